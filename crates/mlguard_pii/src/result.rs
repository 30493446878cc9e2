//! Per-object results, Macie-shaped findings and the common `Finding` model.

use crate::custom;
use crate::engine::{Batch, Hit, Scanner};
use crate::ident::{Category, Origin};
use crate::read::{Loc, Sink};
use mlguard_core::{Finding, RuleDoc, Severity};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Macie keeps the locations of at most 15 occurrences per type in a finding.
pub const MAX_OCCURRENCES: usize = 15;

/// Detections of one type in one object.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub count: u64,
    /// How many were found at each confidence: low, medium, high ([`crate::ident::Confidence`]).
    pub by_confidence: [u64; 3],
    pub occurrences: Vec<Value>,
    /// Masked (or, if asked, raw) sample values.
    pub samples: Vec<String>,
}

/// What scanning one object found.
#[derive(Debug, Clone, Default)]
pub struct ObjectResult {
    pub path: String,
    pub size: u64,
    pub mime: String,
    /// Detections by identifier index.
    pub detections: BTreeMap<usize, Detection>,
}

/// Masks a value, keeping the last four characters of values of twelve or more characters.
pub fn mask(v: &str) -> String {
    let n = v.chars().count();
    let keep = if n >= 12 { 4 } else { 0 };
    v.chars().enumerate().map(|(i, c)| if i + keep >= n { c } else { '*' }).collect()
}

/// A [`Sink`] that counts detections per identifier and keeps their first locations.
pub struct Collect<'a> {
    pub result: &'a mut ObjectResult,
    /// Raw samples to keep per type; 0 keeps up to three masked ones.
    pub sample_values: usize,
}

impl Sink for Collect<'_> {
    fn batch(&mut self, batch: &Batch, locs: &[Loc], hits: &[Hit], header: &[String]) {
        let keep = if self.sample_values > 0 { self.sample_values } else { 3 };
        // Per identifier in this batch: counts, and whether its detection still keeps
        // locations or samples (once it has all it keeps, a hit only counts).
        let mut acc: Vec<(u64, [u64; 3], bool)> = Vec::new();
        for h in hits {
            if acc.len() <= h.ident {
                acc.resize(h.ident + 1, (0, [0; 3], false));
            }
            let a = &mut acc[h.ident];
            if a.0 == 0 {
                let d = self.result.detections.entry(h.ident).or_default();
                a.2 = d.occurrences.len() < MAX_OCCURRENCES || d.samples.len() < keep;
            }
            a.0 += 1;
            a.1[h.confidence as usize] += 1;
            if !a.2 {
                continue;
            }
            let d = self.result.detections.entry(h.ident).or_default();
            if d.occurrences.len() >= MAX_OCCURRENCES && d.samples.len() >= keep {
                a.2 = false;
                continue;
            }
            let Some(seg) = batch.segs.get(h.seg) else { continue };
            if d.occurrences.len() < MAX_OCCURRENCES {
                let occ = match locs.get(seg.loc as usize) {
                    Some(Loc::Line { line, column }) => json!({"lineRanges": {"start": line, "end": line, "startColumn": column + h.start as u64}}),
                    Some(Loc::Cell { row, column }) => {
                        let name = header.get((*column as usize).saturating_sub(1)).cloned().unwrap_or_default();
                        json!({"cells": {"column": column, "columnName": name, "row": row, "cellReference": Value::Null}})
                    }
                    Some(Loc::Record { index, path }) => json!({"records": {"jsonPath": path, "recordIndex": index}}),
                    None => Value::Null,
                };
                d.occurrences.push(occ);
            }
            if d.samples.len() < keep {
                let raw = String::from_utf8_lossy(&batch.value(h.seg)[h.start..h.end]).into_owned();
                d.samples.push(if self.sample_values > 0 { raw } else { mask(&raw) });
            }
        }
        for (ident, (n, by, _)) in acc.into_iter().enumerate() {
            if n > 0 {
                let d = self.result.detections.entry(ident).or_default();
                d.count += n;
                for (t, x) in d.by_confidence.iter_mut().zip(by) {
                    *t += x;
                }
            }
        }
    }
}

/// Counts by confidence, as `{"high": n, "medium": n, "low": n}` (zeros left out).
pub fn confidence_counts(d: &Detection) -> Value {
    let mut o = serde_json::Map::new();
    for (name, i) in [("high", 2), ("medium", 1), ("low", 0)] {
        if d.by_confidence[i] > 0 {
            o.insert(name.to_string(), json!(d.by_confidence[i]));
        }
    }
    Value::Object(o)
}

/// Groups occurrence objects into Macie's `occurrences` shape (`lineRanges`, `cells`, `records` arrays).
fn occurrences(list: &[Value]) -> Value {
    let mut o = serde_json::Map::new();
    for k in ["cells", "lineRanges", "offsetRanges", "pages", "records"] {
        let v: Vec<Value> = list.iter().filter_map(|x| x.get(k).cloned()).collect();
        o.insert(k.to_string(), if v.is_empty() { Value::Null } else { Value::Array(v) });
    }
    Value::Object(o)
}

fn macie_severity(s: Severity) -> Value {
    let (score, d) = match s {
        Severity::Informational | Severity::Low => (1, "Low"),
        Severity::Medium => (2, "Medium"),
        Severity::High | Severity::Critical => (3, "High"),
    };
    json!({"score": score, "description": d})
}

/// The severity of an object's finding: credentials High; financial and personal Medium,
/// High from 100 occurrences (mlguard's choice, documented in `PII-002`/`PII-003`); custom
/// identifiers by their severity levels; the highest over all types.
pub fn object_severity(scanner: &Scanner, r: &ObjectResult) -> Severity {
    let mut sev = Severity::Low;
    for (&i, d) in &r.detections {
        let Some(id) = scanner.idents.get(i) else { continue };
        let s = match id.category {
            Category::Credentials => Severity::High,
            Category::Financial | Category::Personal => {
                if d.count >= 100 {
                    Severity::High
                } else {
                    Severity::Medium
                }
            }
            Category::CustomIdentifier => custom::severity_for(id, d.count).unwrap_or(Severity::Low),
        };
        sev = sev.max(s);
    }
    sev
}

/// The categories present in an object's detections.
pub fn categories(scanner: &Scanner, r: &ObjectResult) -> Vec<Category> {
    let mut c: Vec<Category> = r.detections.keys().filter_map(|&i| scanner.idents.get(i).map(|x| x.category)).collect();
    c.sort();
    c.dedup();
    c
}

/// Macie's finding type for an object: one category's, or `Multiple`.
pub fn finding_type(cats: &[Category]) -> String {
    match cats {
        [one] => format!("SensitiveData:S3Object/{}", one.finding_suffix()),
        _ => "SensitiveData:S3Object/Multiple".to_string(),
    }
}

/// One object's finding in the shape of an Amazon Macie sensitive data finding
/// (Macie API reference, `Finding` and `ClassificationResult`), with the object's local path
/// in `resourcesAffected.s3Object.path`.
pub fn to_macie(scanner: &Scanner, r: &ObjectResult, created_at: &str) -> Value {
    let cats = categories(scanner, r);
    let mut sensitive: BTreeMap<Category, Vec<Value>> = BTreeMap::new();
    let mut custom_dets = Vec::new();
    let mut custom_total = 0u64;
    let mut additional = false;
    for (&i, d) in &r.detections {
        let Some(id) = scanner.idents.get(i) else { continue };
        additional |= d.count as usize > d.occurrences.len();
        // `confidence` is mlguard's addition to Macie's detection shape.
        let det = json!({"type": id.name, "count": d.count, "confidence": confidence_counts(d), "occurrences": occurrences(&d.occurrences)});
        if id.origin == Origin::Custom {
            custom_total += d.count;
            custom_dets.push(json!({"name": id.name, "arn": format!("mlguard:custom-data-identifier/{}", id.name), "count": d.count, "occurrences": occurrences(&d.occurrences)}));
        } else {
            sensitive.entry(id.category).or_default().push(det);
        }
    }
    let sensitive: Vec<Value> = sensitive
        .into_iter()
        .map(|(c, dets)| {
            let total: u64 = dets.iter().filter_map(|d| d.get("count").and_then(Value::as_u64)).sum();
            json!({"category": c.macie(), "totalCount": total, "detections": dets})
        })
        .collect();
    let ty = finding_type(&cats);
    let sev = object_severity(scanner, r);
    let total: u64 = r.detections.values().map(|d| d.count).sum();
    json!({
        "schemaVersion": "1.0",
        "type": ty,
        "category": "CLASSIFICATION",
        "title": format!("The object contains sensitive data ({total} occurrences)"),
        "description": format!("{} contains {} types of sensitive data.", r.path, r.detections.len()),
        "severity": macie_severity(sev),
        "createdAt": created_at,
        "resourcesAffected": {"s3Object": {"key": r.path, "path": r.path, "size": r.size}},
        "classificationDetails": {
            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "result": {
                "status": {"code": "COMPLETE"},
                "mimeType": r.mime,
                "sizeClassified": r.size,
                "additionalOccurrences": additional,
                "sensitiveData": sensitive,
                "customDataIdentifiers": {"totalCount": custom_total, "detections": custom_dets},
            }
        }
    })
}

/// One `Finding` per object and category, for the table, JSON and SARIF writers.
pub fn to_findings(scanner: &Scanner, r: &ObjectResult) -> Vec<Finding> {
    let mut out = Vec::new();
    for cat in categories(scanner, r) {
        let Some(rule) = crate::rules::RULES.iter().find(|x| x.id == cat.rule_id()) else { continue };
        let dets: Vec<(&crate::ident::Identifier, &Detection)> = r.detections.iter().filter_map(|(&i, d)| scanner.idents.get(i).filter(|x| x.category == cat).map(|x| (x, d))).collect();
        let total: u64 = dets.iter().map(|(_, d)| d.count).sum();
        let types: Vec<String> = dets.iter().map(|(x, d)| format!("{} ({})", x.name, d.count)).collect();
        let sev = match cat {
            Category::Credentials => Severity::High,
            Category::CustomIdentifier => dets.iter().filter_map(|(x, d)| custom::severity_for(x, d.count)).max().unwrap_or(Severity::Low),
            _ if total >= 100 => Severity::High,
            _ => Severity::Medium,
        };
        let evidence = json!({
            "mimeType": r.mime,
            "size": r.size,
            "detections": dets.iter().map(|(x, d)| json!({"type": x.name, "origin": x.origin, "count": d.count, "confidence": confidence_counts(d), "occurrences": d.occurrences, "samples": d.samples})).collect::<Vec<_>>(),
        });
        let f = Finding::from_rule(rule, format!("{} occurrences of {} in {}", total, cat.finding_suffix().to_lowercase(), r.path))
            .severity(sev)
            .resource(r.path.clone(), "File")
            .description(format!("{} contains {}.", r.path, types.join(", ")))
            .evidence(evidence);
        out.push(f);
    }
    out
}

/// Exposed for the binary: the rule docs.
pub fn rules() -> &'static [&'static RuleDoc] {
    crate::rules::RULES
}
