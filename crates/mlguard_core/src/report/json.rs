//! mlguard's own JSON: the findings as [`Finding`] serializes them, with a summary.

use super::{tool_version, Counts, WriteOptions, TOOL_NAME};
use crate::{Diagnostic, Finding, Report, Severity};
use serde::Serialize;
use std::io;

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'a str,
    source: &'a str,
    summary: Summary,
    findings: &'a [Finding],
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct Summary {
    /// Every finding in `findings`, suppressed or not.
    findings: usize,
    /// Findings no suppression covers: what a CI gate compares with its threshold.
    active: usize,
    suppressed: usize,
    /// Active findings per severity.
    by_severity: BySeverity,
    diagnostics: usize,
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    informational: usize,
}

/// Writes the report as pretty-printed JSON:
/// `{"tool", "version", "source", "summary": {"findings", "active", "suppressed",
/// "by_severity": {...}, "diagnostics"}, "findings": [...], "diagnostics": [...]}`.
///
/// `findings` and `diagnostics` keep the report's order; `by_severity` counts the findings
/// that are not suppressed.
pub fn write_json(
    report: &Report,
    _opts: &WriteOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let counts = Counts::of(report);
    let doc = JsonReport {
        tool: TOOL_NAME,
        version: tool_version(report),
        source: &report.source,
        summary: Summary {
            findings: report.findings.len(),
            active: counts.total_active(),
            suppressed: counts.suppressed,
            by_severity: BySeverity {
                critical: counts.active(Severity::Critical),
                high: counts.active(Severity::High),
                medium: counts.active(Severity::Medium),
                low: counts.active(Severity::Low),
                informational: counts.active(Severity::Informational),
            },
            diagnostics: report.diagnostics.len(),
        },
        findings: &report.findings,
        diagnostics: &report.diagnostics,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
