//! Custom identifiers, as Macie's `CreateCustomDataIdentifier` defines them
//! (<https://docs.aws.amazon.com/macie/latest/APIReference/custom-data-identifiers.html>):
//! a regex, optional keywords that must occur within `maximumMatchDistance` characters
//! before the match (default 50), ignore words (case-sensitive) that discard a match
//! containing them, and severity levels by occurrence count (default: HIGH from one).
//!
//! The file is TOML (or JSON, by extension) with one `[[identifiers]]` table each:
//!
//! ```toml
//! [[identifiers]]
//! name = "EMPLOYEE_ID"
//! regex = "EMP-[0-9]{6}"
//! keywords = ["employee"]
//! ignoreWords = ["EMP-000000"]
//! maximumMatchDistance = 50
//! severityLevels = [{ occurrencesThreshold = 1, severity = "LOW" }, { occurrencesThreshold = 10, severity = "HIGH" }]
//! ```

use crate::ident::{normalize_keyword, Category, Identifier, KeywordRule, Origin, Validator};
use crate::Error;
use mlguard_core::Severity;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    identifiers: Vec<Raw>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Raw {
    name: String,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    ignore_words: Vec<String>,
    #[serde(default)]
    maximum_match_distance: Option<usize>,
    #[serde(default)]
    severity_levels: Vec<Level>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Level {
    occurrences_threshold: u64,
    severity: String,
}

fn severity(s: &str, file: &str, name: &str) -> Result<Severity, Error> {
    match s.to_ascii_uppercase().as_str() {
        "LOW" => Ok(Severity::Low),
        "MEDIUM" => Ok(Severity::Medium),
        "HIGH" => Ok(Severity::High),
        _ => Err(Error::Parse { file: file.to_string(), message: format!("identifier `{name}`: severity `{s}` is not LOW, MEDIUM or HIGH") }),
    }
}

/// Parses a custom identifier file's text; `json` selects JSON instead of TOML.
pub fn parse(text: &str, file: &str, json: bool) -> Result<Vec<Identifier>, Error> {
    let raw: File = if json {
        serde_json::from_str(text).map_err(|e| Error::Parse { file: file.to_string(), message: e.to_string() })?
    } else {
        toml::from_str(text).map_err(|e| Error::Parse { file: file.to_string(), message: e.to_string() })?
    };
    let mut out = Vec::new();
    for r in raw.identifiers {
        let _ = &r.description;
        let dist = r.maximum_match_distance.unwrap_or(50);
        if !(1..=300).contains(&dist) {
            return Err(Error::Parse { file: file.to_string(), message: format!("identifier `{}`: maximumMatchDistance {dist} is outside 1..300", r.name) });
        }
        let mut levels = Vec::new();
        for l in &r.severity_levels {
            levels.push((l.occurrences_threshold, severity(&l.severity, file, &r.name)?));
        }
        if levels.is_empty() {
            levels.push((1, Severity::High));
        }
        levels.sort_by_key(|l| std::cmp::Reverse(l.0));
        out.push(Identifier {
            name: r.name,
            category: Category::CustomIdentifier,
            origin: Origin::Custom,
            pattern: r.regex,
            keyword_rule: if r.keywords.is_empty() { KeywordRule::Never } else { KeywordRule::Always },
            keywords: r.keywords.iter().map(|k| normalize_keyword(k)).collect(),
            max_distance: dist,
            ignore_words: r.ignore_words,
            validator: Validator::None,
            severity_levels: levels,
            shape: crate::ident::Shape::Plain,
        });
    }
    Ok(out)
}

/// Reads a custom identifier file (`.json` is JSON, anything else TOML).
pub fn load(path: &Path) -> Result<Vec<Identifier>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io { file: path.display().to_string(), source: e })?;
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse(&text, &path.display().to_string(), json)
}

/// The severity of a custom identifier's detections given how many there were.
pub fn severity_for(id: &Identifier, count: u64) -> Option<Severity> {
    id.severity_levels.iter().find(|(t, _)| count >= *t).map(|(_, s)| *s)
}
