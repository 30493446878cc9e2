//! The table for people: a summary line, each finding with what to do about it, then the
//! suppressed findings and the input problems.

use super::{tool_version, Counts, WriteOptions, SEVERITIES_DESC, TOOL_NAME};
use crate::{Finding, Level, Report, Severity};
use std::io;

const RESET: &str = "\x1b[0m";
const INDENT: &str = "    ";
/// Wide enough for the longest severity name, `informational`.
const SEVERITY_WIDTH: usize = 13;

/// Writes the report as plain text, coloured with ANSI escapes when `opts.color`.
///
/// Text from the input (titles, resource ids, messages) is printed with control characters
/// escaped, so a crafted resource name cannot move the cursor or recolour the terminal.
pub fn write_table(
    report: &Report,
    opts: &WriteOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let counts = Counts::of(report);
    let paint = Paint { color: opts.color };

    writeln!(out, "{}", header(report, &counts))?;

    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let suppressed: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    let rule_width = report
        .findings
        .iter()
        .map(|f| clean(&f.rule_id).chars().count())
        .max()
        .unwrap_or(0);

    writeln!(out)?;
    if active.is_empty() {
        if suppressed.is_empty() {
            writeln!(out, "No findings.")?;
        } else {
            writeln!(out, "No findings outside the suppressions.")?;
        }
    }
    for f in &active {
        write_finding(out, f, rule_width, paint)?;
        writeln!(out)?;
    }

    if !suppressed.is_empty() {
        writeln!(out, "Suppressed ({}):", suppressed.len())?;
        writeln!(out)?;
        for f in &suppressed {
            write_finding(out, f, rule_width, paint)?;
            let reason = f.suppressed.as_deref().unwrap_or_default();
            writeln!(out, "{INDENT}suppressed: {}", indent_rest(&clean(reason)))?;
            writeln!(out)?;
        }
    }

    if !report.diagnostics.is_empty() {
        writeln!(out, "Diagnostics ({}):", report.diagnostics.len())?;
        writeln!(out)?;
        for d in &report.diagnostics {
            let code = match d.level {
                Level::Warning => "\x1b[33m",
                Level::Error => "\x1b[1;31m",
            };
            writeln!(out, "{}", paint.wrap(code, &clean(&d.to_string())))?;
        }
    }
    Ok(())
}

fn header(report: &Report, counts: &Counts) -> String {
    let mut line = format!("{TOOL_NAME} {}", clean(tool_version(report)));
    if !report.source.is_empty() {
        line.push_str(&format!(": {}", clean(&report.source)));
    }
    let per_severity: Vec<String> = SEVERITIES_DESC
        .iter()
        .map(|s| format!("{} {s}", counts.active(*s)))
        .collect();
    let total = counts.total_active();
    line.push_str(&format!(
        "\n{total} finding{} ({})",
        if total == 1 { "" } else { "s" },
        per_severity.join(", ")
    ));
    if counts.suppressed > 0 {
        line.push_str(&format!(", {} suppressed", counts.suppressed));
    }
    line.push_str(&format!(
        ", {} warning{}, {} error{}",
        counts.warnings,
        if counts.warnings == 1 { "" } else { "s" },
        counts.errors,
        if counts.errors == 1 { "" } else { "s" },
    ));
    line
}

fn write_finding(
    out: &mut dyn io::Write,
    f: &Finding,
    rule_width: usize,
    paint: Paint,
) -> io::Result<()> {
    let severity = format!("{:<SEVERITY_WIDTH$}", f.severity.as_str());
    writeln!(
        out,
        "{}  {:<rule_width$}  {}",
        paint.wrap(severity_code(f.severity), &severity),
        clean(&f.rule_id),
        indent_rest(&clean(&f.title)),
    )?;
    if !f.resource_id.is_empty() || !f.resource_type.is_empty() {
        let mut resource = clean(&f.resource_id);
        if !f.resource_type.is_empty() {
            if resource.is_empty() {
                resource = clean(&f.resource_type);
            } else {
                resource.push_str(&format!(" ({})", clean(&f.resource_type)));
            }
        }
        writeln!(out, "{INDENT}resource: {resource}")?;
    }
    let location: Vec<String> = [("account", &f.account), ("region", &f.region)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k} {}", clean(v)))
        .collect();
    if !location.is_empty() {
        writeln!(out, "{INDENT}where: {}", location.join(", "))?;
    }
    if !f.description.is_empty() {
        writeln!(out, "{INDENT}{}", indent_rest(&clean(&f.description)))?;
    }
    if !f.remediation.is_empty() {
        writeln!(out, "{INDENT}fix: {}", indent_rest(&clean(&f.remediation)))?;
    }
    Ok(())
}

fn severity_code(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Informational => "\x1b[2m",
    }
}

#[derive(Debug, Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// Continuation lines of multi-line text, indented under the first.
fn indent_rest(text: &str) -> String {
    text.trim_end().replace('\n', &format!("\n{INDENT}"))
}

/// Text safe to print on a terminal: line feeds and tabs stay, `\r\n` becomes `\n`, every
/// other control character (ESC included) is shown escaped, e.g. `\u{1b}`.
fn clean(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            s.push_str(&c.escape_unicode().to_string());
        } else {
            s.push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_terminal_controls() {
        assert_eq!(clean("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(clean("a\r\nb\tc"), "a\nb\tc");
    }
}
