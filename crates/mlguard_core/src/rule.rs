//! Rule documentation: every control is described once, and `mlguard rules`,
//! `mlguard explain`, SARIF's rule table and the docs are generated from it.

use crate::Severity;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The defense-in-depth layer a control belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Practice {
    /// Layer 1: VPCs, subnets, routes, NACLs, security groups, Transit Gateway, VPC endpoints.
    Network,
    /// Layer 2: posture and least privilege.
    Posture,
    /// Layer 3: threat detection over CloudTrail.
    ThreatDetection,
    /// Layer 4: sensitive data.
    SensitiveData,
    /// Layer 5: model supply chain.
    SupplyChain,
    /// Layer 6: inference protection.
    Inference,
    /// Layer 7: data in use.
    DataInUse,
}

impl Practice {
    pub fn as_str(self) -> &'static str {
        match self {
            Practice::Network => "network",
            Practice::Posture => "posture",
            Practice::ThreatDetection => "threat-detection",
            Practice::SensitiveData => "sensitive-data",
            Practice::SupplyChain => "supply-chain",
            Practice::Inference => "inference",
            Practice::DataInUse => "data-in-use",
        }
    }
}

impl fmt::Display for Practice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pointer to the practice or documentation a finding enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub title: String,
    pub url: String,
}

/// The full documentation of one control, written next to its code.
#[derive(Debug, Clone, Copy)]
pub struct RuleDoc {
    /// Stable id, never reused: `NET-001`.
    pub id: &'static str,
    pub severity: Severity,
    pub practice: Practice,
    pub title: &'static str,
    /// What it does.
    pub what: &'static str,
    /// Why is this bad.
    pub why: &'static str,
    /// An example of a configuration that trips it.
    pub example: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
    /// The AWS Well-Architected Security Pillar best practice it enforces (`SEC05-BP01 ...`).
    pub well_architected: &'static str,
    /// `(title, url)` pairs: AWS documentation the semantics come from.
    pub docs: &'static [(&'static str, &'static str)],
}

impl RuleDoc {
    /// The references a finding of this rule carries: the practice, the Well-Architected item, the docs.
    pub fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference {
                title: format!("mlguard defense-in-depth practice: {}", self.practice),
                // In the repository; generated from this same documentation (`docs/rules/`).
                url: format!("docs/rules/{}.md", self.id),
            },
            Reference {
                title: format!("AWS Well-Architected Security Pillar {}", self.well_architected),
                url: well_architected_url(self.well_architected),
            },
        ];
        refs.extend(self.docs.iter().map(|(t, u)| Reference { title: (*t).to_string(), url: (*u).to_string() }));
        refs
    }

    /// The documentation as Markdown, as `mlguard explain` prints it.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "# {} {}\n\nseverity: {} · practice: {}\n\n## What it does\n{}\n\n## Why is this bad\n{}\n\n## Example\n{}\n\n## Fix\n{}\n\n## References\n- AWS Well-Architected Security Pillar {} <{}>\n",
            self.id,
            self.title,
            self.severity,
            self.practice,
            self.what,
            self.why,
            self.example,
            self.remediation,
            self.well_architected,
            well_architected_url(self.well_architected),
        );
        for (t, u) in self.docs {
            s.push_str(&format!("- {t} <{u}>\n"));
        }
        s
    }
}

/// The Well-Architected Framework page of a best-practice id such as `SEC05-BP02`.
pub fn well_architected_url(item: &str) -> String {
    let id = item.split_whitespace().next().unwrap_or(item).to_ascii_lowercase();
    format!("https://docs.aws.amazon.com/wellarchitected/latest/framework/{id}.html")
}

/// Finds a rule by id, case-insensitively.
pub fn find<'a>(rules: &[&'a RuleDoc], id: &str) -> Option<&'a RuleDoc> {
    rules.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}
