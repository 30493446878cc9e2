//! Secret rules in gitleaks' TOML format (gitleaks v8 `config/gitleaks.toml`).
//!
//! Each rule has an `id`, a Go RE2 `regex`, lowercase `keywords` that gate it (the rule
//! only runs where one of them occurs), an optional minimum Shannon `entropy` of the
//! secret, an optional `secretGroup`, and allowlists (`regexes` tested against the secret,
//! the match or the line per `regexTarget`, and `stopwords`). Semantics from gitleaks'
//! README, "Configuration" (<https://github.com/gitleaks/gitleaks#configuration>).
//! Rules that match on file paths only, and rules whose regex the Rust `regex` crate
//! cannot compile, are returned by id in [`Loaded::unsupported`], never dropped silently.

use crate::Error;
use regex::bytes::Regex;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    allowlist: Option<RawAllow>,
    #[serde(default)]
    allowlists: Vec<RawAllow>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    allowlists: Vec<RawAllow>,
    #[serde(default)]
    allowlist: Option<RawAllow>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawAllow {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    condition: Option<String>,
}

/// What an allowlist regex is tested against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Secret,
    Match,
    Line,
}

/// One allowlist of a rule (or the global one).
#[derive(Debug, Clone)]
pub struct Allow {
    pub regexes: Vec<Regex>,
    pub target: Target,
    /// Lowercased.
    pub stopwords: Vec<String>,
}

impl Allow {
    /// Whether this allowlist excuses a finding.
    pub fn allows(&self, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
        let hay = match self.target {
            Target::Secret => secret,
            Target::Match => whole,
            Target::Line => line,
        };
        if self.regexes.iter().any(|r| r.is_match(hay)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let low = secret.to_ascii_lowercase();
        self.stopwords.iter().any(|w| contains(&low, w.as_bytes()))
    }
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else { return false };
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w[0] == first && w == needle)
}

/// A compiled gitleaks rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub regex: Regex,
    /// Lowercased.
    pub keywords: Vec<String>,
    pub entropy: Option<f64>,
    pub secret_group: Option<usize>,
    pub allows: Vec<Allow>,
}

impl Rule {
    /// The secret's span inside a match: `secretGroup`, else the first group that matched, else the whole match.
    pub fn secret_span(&self, caps: &regex::bytes::Captures<'_>) -> Option<(usize, usize)> {
        if let Some(g) = self.secret_group {
            return caps.get(g).map(|m| (m.start(), m.end()));
        }
        for i in 1..caps.len() {
            if let Some(m) = caps.get(i) {
                if !m.is_empty() {
                    return Some((m.start(), m.end()));
                }
            }
        }
        caps.get(0).map(|m| (m.start(), m.end()))
    }
}

/// A rule file, compiled.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    /// The global allowlists.
    pub global: Vec<Allow>,
    /// `(rule id, reason)` for every rule that is not applied.
    pub unsupported: Vec<(String, String)>,
    /// `(rule id, problem)` for allowlist entries that could not be used (the rule itself is applied).
    pub notes: Vec<(String, String)>,
}

fn compile_allow(a: &RawAllow, owner: &str, notes: &mut Vec<(String, String)>) -> Option<Allow> {
    if a.regexes.is_empty() && a.stopwords.is_empty() {
        // Path- and commit-only allowlists do not apply to data files.
        return None;
    }
    let _ = (&a.paths, &a.commits, &a.condition);
    let target = match a.regex_target.as_deref() {
        Some("match") => Target::Match,
        Some("line") => Target::Line,
        _ => Target::Secret,
    };
    let mut regexes = Vec::new();
    for r in &a.regexes {
        match compile(r) {
            Ok(re) => regexes.push(re),
            Err(e) => notes.push((owner.to_string(), format!("allowlist regex `{r}` does not compile: {}", first_line(&e.to_string())))),
        }
    }
    Some(Allow { regexes, target, stopwords: a.stopwords.iter().map(|s| s.to_ascii_lowercase()).collect() })
}

/// Compiles a Go RE2 pattern: in RE2 `\w`, `\d`, `\s` and `\b` are ASCII-only, so Unicode
/// classes are off (which also keeps compilation of the whole file fast).
fn compile(pat: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(&go_braces(pat)).unicode(false).size_limit(1 << 24).dfa_size_limit(1 << 22).build()
}

/// RE2 reads a `{` that does not start a repetition (`{2}`, `{2,}`, `{2,5}`) as a literal;
/// Rust's `regex` rejects it, so such braces are escaped.
pub fn go_braces(pat: &str) -> String {
    let b = pat.as_bytes();
    let mut out = String::with_capacity(pat.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && i + 1 < b.len() {
            out.push_str(&pat[i..i + 2]);
            i += 2;
            continue;
        }
        if in_class {
            if c == b']' {
                in_class = false;
            }
        } else if c == b'[' {
            in_class = true;
            // A `]` right after `[` or `[^` is a literal.
            out.push('[');
            i += 1;
            if b.get(i) == Some(&b'^') {
                out.push('^');
                i += 1;
            }
            if b.get(i) == Some(&b']') {
                out.push(']');
                i += 1;
            }
            continue;
        } else if c == b'{' {
            let rest = &pat[i + 1..];
            let end = rest.find('}');
            let valid = end.is_some_and(|e| {
                let inner = &rest[..e];
                let mut parts = inner.splitn(2, ',');
                let a = parts.next().unwrap_or("");
                let bpart = parts.next();
                !a.is_empty() && a.bytes().all(|x| x.is_ascii_digit()) && bpart.is_none_or(|x| x.bytes().all(|y| y.is_ascii_digit()))
            });
            if !valid {
                out.push_str("\\{");
                i += 1;
                continue;
            }
        } else if c == b'}' {
            // A `}` that closes nothing is a literal too.
            let open = out.rfind('{').filter(|&p| p == 0 || out.as_bytes()[p - 1] != b'\\');
            let closed = open.is_some_and(|p| !out[p..].contains('}'));
            if !closed {
                out.push_str("\\}");
                i += 1;
                continue;
            }
        }
        let ch = pat[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// Parses and compiles a gitleaks rule file's text.
pub fn parse(text: &str, file: &str) -> Result<Loaded, Error> {
    let raw: File = toml::from_str(text).map_err(|e| Error::Parse { file: file.to_string(), message: e.to_string() })?;
    let mut out = Loaded::default();
    let mut notes = Vec::new();
    for a in raw.allowlist.iter().chain(raw.allowlists.iter()) {
        if let Some(al) = compile_allow(a, "(global allowlist)", &mut notes) {
            out.global.push(al);
        }
    }
    for r in raw.rules {
        let Some(pat) = r.regex.as_deref() else {
            out.unsupported.push((r.id.clone(), "matches file paths only (`path` without `regex`)".to_string()));
            continue;
        };
        if r.path.is_some() {
            out.unsupported.push((r.id.clone(), "restricted to file paths (`path`); data files are not matched by path".to_string()));
            continue;
        }
        let regex = match compile(pat) {
            Ok(re) => re,
            Err(e) => {
                out.unsupported.push((r.id.clone(), format!("regex does not compile in Rust's `regex` crate: {}", first_line(&e.to_string()))));
                continue;
            }
        };
        let mut allows = Vec::new();
        for a in r.allowlist.iter().chain(r.allowlists.iter()) {
            if let Some(al) = compile_allow(a, &r.id, &mut notes) {
                allows.push(al);
            }
        }
        out.rules.push(Rule {
            id: r.id,
            regex,
            keywords: r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
            entropy: r.entropy,
            secret_group: r.secret_group,
            allows,
        });
    }
    out.notes = notes;
    Ok(out)
}

/// Reads and compiles a gitleaks rule file.
pub fn load(path: &Path) -> Result<Loaded, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io { file: path.display().to_string(), source: e })?;
    parse(&text, &path.display().to_string())
}
