//! SigmaHQ rules, loaded unmodified and evaluated with `rsigma-eval`.
//!
//! Why `rsigma`: it is maintained, MIT-licensed, parses every rule of SigmaHQ's AWS CloudTrail
//! set (modifiers such as `contains|all`, `re`, `fieldref`, `null` values, dotted paths into
//! nested JSON, `1 of selection_*`, `not`), and compiles rules once for evaluation. Version 0.21
//! is the newest whose `rust-version` the workspace's 1.88 satisfies.
//!
//! A finding from a Sigma rule has the id `SIGMA-` followed by the rule's file stem, e.g.
//! `SIGMA-aws_cloudtrail_disable_logging`; its severity is the rule's `level`.

use crate::record::Record;
use mlguard_core::{Diagnostic, Finding, Reference, Severity};
use rsigma_eval::event::JsonEvent;
use rsigma_eval::Engine;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a finding needs to know about a loaded rule.
#[derive(Debug, Clone)]
pub struct SigmaMeta {
    /// `SIGMA-<file stem>`.
    pub finding_id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub file: String,
    /// ATT&CK technique ids from `attack.tNNNN` tags, upper-cased.
    pub techniques: Vec<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    /// Built once: the remediation and references every finding of this rule carries.
    pub remediation: String,
    pub finding_refs: Vec<Reference>,
}

/// A set of compiled Sigma rules.
pub struct SigmaSet {
    engine: Engine,
    /// By Sigma rule id (or title when a rule has no id).
    meta: HashMap<String, SigmaMeta>,
    pub loaded: usize,
}

impl Default for SigmaSet {
    fn default() -> Self {
        SigmaSet { engine: Engine::new(), meta: HashMap::new(), loaded: 0 }
    }
}

fn level(l: Option<&rsigma_parser::Level>) -> Severity {
    match l.map(|l| format!("{l:?}").to_ascii_lowercase()) {
        Some(s) if s == "critical" => Severity::Critical,
        Some(s) if s == "high" => Severity::High,
        Some(s) if s == "medium" => Severity::Medium,
        Some(s) if s == "low" => Severity::Low,
        _ => Severity::Informational,
    }
}

impl SigmaSet {
    /// Loads every `.yml`/`.yaml` file under `dir` (recursively, in name order). A file that does
    /// not parse, or a rule that does not compile, is a diagnostic naming the file and rule.
    pub fn load_dir(dir: &Path) -> (SigmaSet, Vec<Diagnostic>) {
        let mut set = SigmaSet::default();
        let diags = set.add_dir(dir);
        (set, diags)
    }

    /// Adds the rules under `dir` to this set; returns the problems.
    pub fn add_dir(&mut self, dir: &Path) -> Vec<Diagnostic> {
        let mut files = Vec::new();
        let mut diags = Vec::new();
        collect(dir, &mut files, &mut diags);
        files.sort();
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => diags.extend(self.add_yaml(&f.display().to_string(), &text)),
                Err(e) => diags.push(Diagnostic::error(f.display().to_string(), "", format!("cannot read Sigma rule: {e}"))),
            }
        }
        diags
    }

    /// Adds the rules of one YAML document set; returns the problems.
    pub fn add_yaml(&mut self, file: &str, text: &str) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let stem = Path::new(file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| file.to_string());
        let coll = match rsigma_parser::parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                diags.push(Diagnostic::error(file, "", format!("Sigma rule does not parse: {e}")));
                return diags;
            }
        };
        for e in &coll.errors {
            diags.push(Diagnostic::error(file, "", format!("Sigma rule does not parse: {e}")));
        }
        if !coll.correlations.is_empty() {
            diags.push(Diagnostic::warning(file, "", "Sigma correlation rules are not evaluated; use the built-in sequence detections"));
        }
        let many = coll.rules.len() > 1;
        for (i, rule) in coll.rules.iter().enumerate() {
            let key = rule.id.clone().unwrap_or_else(|| rule.title.clone());
            if self.meta.contains_key(&key) {
                diags.push(Diagnostic::warning(file, "", format!("Sigma rule `{}` has the id of a rule already loaded; skipped", rule.title)));
                continue;
            }
            if let Err(e) = self.engine.add_rule(rule) {
                diags.push(Diagnostic::error(file, "", format!("Sigma rule `{}` cannot be compiled: {e}", rule.title)));
                continue;
            }
            let finding_id = if many { format!("SIGMA-{stem}-{}", i + 1) } else { format!("SIGMA-{stem}") };
            let techniques = rule.tags.iter().filter_map(|t| t.strip_prefix("attack.t")).map(|t| format!("T{}", t.to_ascii_uppercase())).collect();
            let remediation = if rule.falsepositives.is_empty() {
                "Confirm with the principal's owner that the call was intended; if not, treat the credentials as compromised.".to_string()
            } else {
                format!("Rule out the known false positives ({}); otherwise treat the principal's credentials as compromised.", rule.falsepositives.join("; "))
            };
            let mut finding_refs = vec![Reference { title: format!("SigmaHQ rule `{}`", rule.title), url: file.to_string() }];
            finding_refs.extend(rule.references.iter().map(|u| Reference { title: "Sigma rule reference".to_string(), url: u.clone() }));
            self.meta.insert(
                key,
                SigmaMeta {
                    remediation,
                    finding_refs,
                    finding_id,
                    title: rule.title.clone(),
                    description: rule.description.clone().unwrap_or_default(),
                    severity: level(rule.level.as_ref()),
                    file: file.to_string(),
                    techniques,
                    references: rule.references.clone(),
                    falsepositives: rule.falsepositives.clone(),
                },
            );
            self.loaded += 1;
        }
        diags
    }

    /// The rules that match `rec`.
    pub fn matches(&self, rec: &Record) -> Vec<&SigmaMeta> {
        if self.loaded == 0 {
            return Vec::new();
        }
        let ev = JsonEvent::borrow(&rec.raw);
        self.engine
            .evaluate(&ev)
            .iter()
            .filter_map(|r| self.meta.get(r.header.rule_id.as_deref().unwrap_or(&r.header.rule_title)))
            .collect()
    }

    /// Every loaded rule, in no particular order.
    pub fn rules(&self) -> impl Iterator<Item = &SigmaMeta> {
        self.meta.values()
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(dir.display().to_string(), "", format!("cannot list Sigma rule directory: {e}")));
            return;
        }
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out, diags);
        } else if p.extension().map(|x| x == "yml" || x == "yaml").unwrap_or(false) {
            out.push(p);
        }
    }
}

/// A finding for one Sigma match on one record.
pub fn finding(meta: &SigmaMeta, rec: &Record) -> Finding {
    let mut f = Finding::new(meta.finding_id.clone(), meta.severity, format!("{} ({} by {})", meta.title, rec.event_name(), rec.actor()));
    f.description = meta.description.trim().to_string();
    f.remediation = meta.remediation.clone();
    f.references = meta.finding_refs.clone();
    f
}
