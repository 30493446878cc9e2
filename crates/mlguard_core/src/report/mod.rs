//! Report writers: one [`Report`] in, one document out.
//!
//! [`Format::Table`] is for people at a terminal; [`Format::Json`] is mlguard's own
//! machine format; [`Format::Sarif`] is SARIF 2.1.0 for code-scanning tools (GitHub
//! code scanning reads its `security-severity`); [`Format::Asff`] is the AWS Security
//! Finding Format, a JSON array ready for Security Hub's `BatchImportFindings`;
//! [`Format::Html`] is one self-contained page (inline CSS, no script, nothing fetched).
//!
//! Writers never reorder findings: the caller sorts (see [`Report::sort`]). Everything
//! time-dependent comes from [`WriteOptions::now`], so the same report and options always
//! give byte-identical output.
//!
//! ```
//! use mlguard_core::report::{write, Format, WriteOptions};
//! use mlguard_core::{Finding, Report, Severity};
//!
//! let mut report = Report::new("snapshots/acme");
//! report.findings.push(Finding::new("NET-001", Severity::Critical, "notebook reachable from the internet"));
//! let opts = WriteOptions { color: false, now: time::OffsetDateTime::UNIX_EPOCH };
//! let mut out = Vec::new();
//! write(&report, Format::Sarif, &opts, &mut out)?;
//! assert!(String::from_utf8_lossy(&out).contains("\"2.1.0\""));
//! # Ok::<(), std::io::Error>(())
//! ```

mod asff;
mod html;
mod json;
mod sarif;
mod table;

pub use asff::{to_asff, write_asff};
pub use html::{escape as escape_html, write_html};
pub use json::write_json;
pub use sarif::{to_sarif, write_sarif, SARIF_SCHEMA};
pub use table::write_table;

use crate::{Finding, Report, Severity};
use std::fmt;
use std::io;
use std::str::FromStr;
use time::OffsetDateTime;

/// The name every writer reports as the producing tool.
pub const TOOL_NAME: &str = "mlguard";
/// Where people learn about the tool (SARIF `informationUri`).
pub const TOOL_INFORMATION_URI: &str = "https://github.com/mlguard/mlguard";

/// An output format of `mlguard ... --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Asff,
    Html,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::Asff,
        Format::Html,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Asff => "asff",
            Format::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a format name that is not one of the writers.
#[derive(Debug, thiserror::Error)]
#[error("unknown report format `{0}`, expected one of table, json, sarif, asff, html")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// What a writer needs besides the report.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Colour the table with ANSI escapes (the other formats ignore it).
    pub color: bool,
    /// The time stamped into SARIF, ASFF and HTML, injected so output is reproducible.
    pub now: OffsetDateTime,
}

/// Writes `report` in `format` to `out`.
pub fn write(
    report: &Report,
    format: Format,
    opts: &WriteOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Table => write_table(report, opts, out),
        Format::Json => write_json(report, opts, out),
        Format::Sarif => write_sarif(report, opts, out),
        Format::Asff => write_asff(report, opts, out),
        Format::Html => write_html(report, opts, out),
    }
}

/// A stable identity of a finding across runs: FNV-1a (64 bit) over its rule id, resource id
/// and title, as 16 lowercase hex digits. SARIF's `partialFingerprints` and ASFF's `Id` use it.
pub fn fingerprint(finding: &Finding) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    for part in [&finding.rule_id, &finding.resource_id, &finding.title] {
        // 0xff never occurs in UTF-8, so it separates the parts unambiguously.
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

/// Counts of the findings of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Findings not covered by a suppression, per severity, indexed like [`Severity::ALL`].
    active: [usize; 5],
    pub(crate) suppressed: usize,
    pub(crate) warnings: usize,
    pub(crate) errors: usize,
}

impl Counts {
    pub(crate) fn of(report: &Report) -> Counts {
        let mut counts = Counts::default();
        for f in &report.findings {
            if f.suppressed.is_some() {
                counts.suppressed += 1;
            } else if let Some(slot) = counts.active.get_mut(severity_index(f.severity)) {
                *slot += 1;
            }
        }
        for d in &report.diagnostics {
            match d.level {
                crate::Level::Warning => counts.warnings += 1,
                crate::Level::Error => counts.errors += 1,
            }
        }
        counts
    }

    pub(crate) fn active(&self, severity: Severity) -> usize {
        self.active
            .get(severity_index(severity))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn total_active(&self) -> usize {
        self.active.iter().sum()
    }
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Informational => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// Severities from the most to the least severe, the order people read them in.
pub(crate) const SEVERITIES_DESC: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Informational,
];

/// The version the report says produced it, or this crate's when the report left it empty.
pub(crate) fn tool_version(report: &Report) -> &str {
    if report.tool_version.is_empty() {
        env!("CARGO_PKG_VERSION")
    } else {
        &report.tool_version
    }
}

/// `now` in UTC as RFC 3339 with milliseconds, e.g. `2025-01-31T12:00:00.000Z`.
///
/// Written by hand so it cannot fail; both SARIF `date-time` and ASFF timestamps accept it.
pub(crate) fn rfc3339(now: OffsetDateTime) -> String {
    let t = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The longest prefix of `s` that fits in `max` UTF-16 code units, ending in `…` when cut.
///
/// AWS length limits are counted in characters; counting UTF-16 units is never more lenient
/// (a character is one or two units), and the cut always falls on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(1); // room for the ellipsis
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    let mut cut = s.get(..end).unwrap_or_default().to_string();
    if max > 0 {
        cut.push('…');
    }
    cut
}

/// A path or file name as a URI reference (SARIF `artifactLocation.uri`): backslashes become
/// slashes, absolute paths become `file://` URIs, and bytes outside RFC 3986's unreserved
/// and sub-delimiter sets, `/` and `@` are percent-encoded. Colons are encoded too, so
/// `C:/x` does not read as a URI with scheme `C`.
pub(crate) fn path_to_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut uri = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        uri.push_str("file://");
    }
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_short_text() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("", 3), "");
    }

    #[test]
    fn truncate_cuts_on_char_boundary_with_ellipsis() {
        let s = "ééééé";
        let t = truncate(s, 3);
        assert_eq!(t, "éé…");
        // two UTF-16 units per emoji: the budget of 4 holds one emoji and the ellipsis
        assert_eq!(truncate("😀😀😀", 4), "😀…");
    }

    #[test]
    fn uri_encoding() {
        assert_eq!(path_to_uri("snapshots/acme prod"), "snapshots/acme%20prod");
        assert_eq!(path_to_uri("/tmp/x"), "file:///tmp/x");
        assert_eq!(path_to_uri("C:\\snap"), "C%3A/snap");
    }

    #[test]
    fn format_round_trips() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>().ok(), Some(f));
        }
        assert!("pdf".parse::<Format>().is_err());
    }
}
