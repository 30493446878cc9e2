//! One self-contained HTML page: inline CSS, no script, nothing loaded from elsewhere.

use super::{rfc3339, tool_version, Counts, WriteOptions, SEVERITIES_DESC, TOOL_NAME};
use crate::{Finding, Level, Report};
use std::io;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            _ => s.push(c),
        }
    }
    s
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --code: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --code: #151b23; } }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto; max-width: 75rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
.meta { color: var(--muted); margin-top: 0; overflow-wrap: anywhere; }
.counts { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.3rem 0.8rem; }
.counts b { font-size: 1.2rem; margin-right: 0.3rem; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { font-weight: 600; }
col.sev { width: 8rem; } col.rule { width: 9rem; } col.res { width: 30%; }
summary { cursor: pointer; font-weight: 600; }
details > div { margin: 0.5rem 0 0.25rem 1rem; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 0.3rem; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
.sev { display: inline-block; border-radius: 0.3rem; padding: 0 0.4rem; font-weight: 600; color: #fff; }
.sev-critical { background: #8b0000; } .sev-high { background: #cf222e; } .sev-medium { background: #9a6700; }
.sev-low { background: #0969da; } .sev-informational { background: #59636e; }
.diag-error { color: #cf222e; font-weight: 600; } .diag-warning { color: #9a6700; font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
"#;

/// Writes the report as one HTML page: summary counts, a table of findings with a
/// `<details>` per finding (description, fix, references, evidence), the suppressed findings
/// and the diagnostics. Every piece of report text is escaped; only `http(s)` references
/// become links.
pub fn write_html(report: &Report, opts: &WriteOptions, out: &mut dyn io::Write) -> io::Result<()> {
    let counts = Counts::of(report);
    let version = escape(tool_version(report));
    let title = if report.source.is_empty() {
        format!("{TOOL_NAME} report")
    } else {
        format!("{TOOL_NAME} report: {}", report.source)
    };

    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">")?;
    writeln!(out, "<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<meta name=\"generator\" content=\"{TOOL_NAME} {version}\">"
    )?;
    writeln!(out, "<title>{}</title>", escape(&title))?;
    writeln!(out, "<style>{STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<header>")?;
    writeln!(out, "<h1>{}</h1>", escape(&title))?;
    writeln!(
        out,
        "<p class=\"meta\">{TOOL_NAME} {version} · generated <time datetime=\"{now}\">{now}</time></p>",
        now = rfc3339(opts.now)
    )?;
    writeln!(out, "</header>")?;

    writeln!(out, "<section>")?;
    writeln!(out, "<h2>Summary</h2>")?;
    writeln!(out, "<ul class=\"counts\">")?;
    for s in SEVERITIES_DESC {
        writeln!(
            out,
            "<li><b>{}</b><span class=\"sev sev-{s}\">{s}</span></li>",
            counts.active(s)
        )?;
    }
    writeln!(out, "<li><b>{}</b>suppressed</li>", counts.suppressed)?;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            word.to_string()
        } else {
            format!("{word}s")
        }
    };
    writeln!(
        out,
        "<li><b>{}</b>{}</li>",
        counts.warnings,
        plural(counts.warnings, "warning")
    )?;
    writeln!(
        out,
        "<li><b>{}</b>{}</li>",
        counts.errors,
        plural(counts.errors, "error")
    )?;
    writeln!(out, "</ul>")?;
    writeln!(out, "</section>")?;

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

    writeln!(out, "<section>")?;
    writeln!(out, "<h2>Findings ({})</h2>", active.len())?;
    if active.is_empty() {
        writeln!(out, "<p class=\"empty\">No findings.</p>")?;
    } else {
        write_findings_table(out, &active)?;
    }
    writeln!(out, "</section>")?;

    if !suppressed.is_empty() {
        writeln!(out, "<section>")?;
        writeln!(out, "<h2>Suppressed ({})</h2>", suppressed.len())?;
        write_findings_table(out, &suppressed)?;
        writeln!(out, "</section>")?;
    }

    writeln!(out, "<section>")?;
    writeln!(out, "<h2>Diagnostics ({})</h2>", report.diagnostics.len())?;
    if report.diagnostics.is_empty() {
        writeln!(out, "<p class=\"empty\">No problems with the input.</p>")?;
    } else {
        writeln!(out, "<table>")?;
        writeln!(
            out,
            "<colgroup><col class=\"sev\"><col class=\"res\"><col class=\"res\"><col></colgroup>"
        )?;
        writeln!(
            out,
            "<thead><tr><th>Level</th><th>File</th><th>Path</th><th>Message</th></tr></thead>"
        )?;
        writeln!(out, "<tbody>")?;
        for d in &report.diagnostics {
            let level = match d.level {
                Level::Warning => "warning",
                Level::Error => "error",
            };
            writeln!(
                out,
                "<tr><td class=\"diag-{level}\">{level}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&d.file),
                escape(&d.path),
                escape(&d.message)
            )?;
        }
        writeln!(out, "</tbody>")?;
        writeln!(out, "</table>")?;
    }
    writeln!(out, "</section>")?;

    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}

fn write_findings_table(out: &mut dyn io::Write, findings: &[&Finding]) -> io::Result<()> {
    writeln!(out, "<table>")?;
    writeln!(
        out,
        "<colgroup><col class=\"sev\"><col class=\"rule\"><col class=\"res\"><col></colgroup>"
    )?;
    writeln!(
        out,
        "<thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Finding</th></tr></thead>"
    )?;
    writeln!(out, "<tbody>")?;
    for f in findings {
        let severity = f.severity.as_str();
        writeln!(out, "<tr>")?;
        writeln!(
            out,
            "<td><span class=\"sev sev-{severity}\">{severity}</span></td>"
        )?;
        writeln!(out, "<td><code>{}</code></td>", escape(&f.rule_id))?;
        write!(out, "<td><code>{}</code>", escape(&f.resource_id))?;
        if !f.resource_type.is_empty() {
            write!(out, "<br>{}", escape(&f.resource_type))?;
        }
        let location: Vec<&str> = [f.account.as_str(), f.region.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if !location.is_empty() {
            write!(out, "<br>{}", escape(&location.join(" · ")))?;
        }
        writeln!(out, "</td>")?;
        writeln!(out, "<td><details>")?;
        writeln!(out, "<summary>{}</summary>", escape(&f.title))?;
        writeln!(out, "<div>")?;
        if let Some(reason) = &f.suppressed {
            writeln!(
                out,
                "<p><strong>Suppressed:</strong> {}</p>",
                escape(reason)
            )?;
        }
        if !f.description.is_empty() {
            writeln!(out, "<p>{}</p>", paragraph(&f.description))?;
        }
        if !f.remediation.is_empty() {
            writeln!(
                out,
                "<p><strong>Fix:</strong> {}</p>",
                paragraph(&f.remediation)
            )?;
        }
        if !f.references.is_empty() {
            writeln!(out, "<p><strong>References</strong></p>")?;
            writeln!(out, "<ul>")?;
            for r in &f.references {
                let title = if r.title.is_empty() { &r.url } else { &r.title };
                if is_web_url(&r.url) {
                    writeln!(
                        out,
                        "<li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>",
                        escape(&r.url),
                        escape(title)
                    )?;
                } else {
                    writeln!(
                        out,
                        "<li>{} <code>{}</code></li>",
                        escape(title),
                        escape(&r.url)
                    )?;
                }
            }
            writeln!(out, "</ul>")?;
        }
        if !f.evidence.is_null() {
            let evidence = serde_json::to_string_pretty(&f.evidence)
                .unwrap_or_else(|_| f.evidence.to_string());
            writeln!(out, "<p><strong>Evidence</strong></p>")?;
            writeln!(out, "<pre><code>{}</code></pre>", escape(&evidence))?;
        }
        writeln!(out, "</div>")?;
        writeln!(out, "</details></td>")?;
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>")?;
    writeln!(out, "</table>")
}

/// Escaped text with its line breaks kept.
fn paragraph(text: &str) -> String {
    escape(text.trim_end()).replace('\n', "<br>\n")
}

/// Only `http(s)` URLs become links, so a reference cannot smuggle in `javascript:`.
fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn only_web_links() {
        assert!(is_web_url("https://docs.aws.amazon.com/"));
        assert!(!is_web_url("javascript:alert(1)"));
    }
}
