//! The findings model every mlguard layer reports through.
//!
//! A layer describes each of its controls once, as a [`RuleDoc`] (stable id,
//! severity, the practice it enforces, remediation, references), and reports
//! what it found as [`Finding`]s that point back at a rule by id. Problems
//! with the input (a malformed file, an unknown resource) are [`Diagnostic`]s:
//! they never abort an analysis on their own, so one bad resource does not hide
//! the rest. A [`Report`] bundles findings and diagnostics, and the writers in
//! [`report`] turn it into a table for people or JSON, SARIF 2.1.0 and AWS
//! Security Hub ASFF for machines.
//!
//! ```
//! use mlguard_core::{Finding, Severity};
//! let f = Finding::new("NET-001", Severity::Critical, "notebook reachable from the internet")
//!     .resource("arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/nb", "AwsSageMakerNotebookInstance")
//!     .location("111122223333", "us-east-1");
//! assert_eq!(f.rule_id, "NET-001");
//! ```

pub mod config;
pub mod diag;
pub mod report;
pub mod rule;

pub use diag::{Diagnostic, Level};
pub use rule::{Practice, Reference, RuleDoc};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is, in the five levels AWS Security Hub uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a severity name that is not one of the five levels.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity `{0}`, expected one of informational, low, medium, high, critical")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Ok(Severity::Informational),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(s.to_string())),
        }
    }
}

/// One thing a control found about one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The stable id of the rule that raised it, e.g. `NET-001`.
    pub rule_id: String,
    pub severity: Severity,
    /// One line, specific to the resource.
    pub title: String,
    /// The AWS id or ARN of the resource the finding is about.
    pub resource_id: String,
    /// The resource type in Security Hub's vocabulary (`AwsEc2NetworkInterface`, `AwsSageMakerNotebookInstance`, ...).
    pub resource_type: String,
    pub account: String,
    pub region: String,
    /// What was found, in prose, specific to this resource.
    pub description: String,
    /// Machine-readable proof: for reachability the path, admitted ports and source ranges.
    pub evidence: serde_json::Value,
    /// What to do about it.
    pub remediation: String,
    /// The practice and Well-Architected items it enforces, and AWS documentation.
    pub references: Vec<Reference>,
    /// Set when a suppression in the configuration covers this finding.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suppressed: Option<String>,
}

impl Finding {
    pub fn new(rule_id: impl Into<String>, severity: Severity, title: impl Into<String>) -> Self {
        Finding {
            rule_id: rule_id.into(),
            severity,
            title: title.into(),
            resource_id: String::new(),
            resource_type: String::new(),
            account: String::new(),
            region: String::new(),
            description: String::new(),
            evidence: serde_json::Value::Null,
            remediation: String::new(),
            references: Vec::new(),
            suppressed: None,
        }
    }

    /// Fills severity-independent text (remediation, references) from the rule's documentation.
    pub fn from_rule(rule: &RuleDoc, title: impl Into<String>) -> Self {
        let mut f = Finding::new(rule.id, rule.severity, title);
        f.remediation = rule.remediation.to_string();
        f.references = rule.references();
        f
    }

    pub fn resource(mut self, id: impl Into<String>, kind: impl Into<String>) -> Self {
        self.resource_id = id.into();
        self.resource_type = kind.into();
        self
    }

    pub fn location(mut self, account: impl Into<String>, region: impl Into<String>) -> Self {
        self.account = account.into();
        self.region = region.into();
        self
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn evidence(mut self, evidence: serde_json::Value) -> Self {
        self.evidence = evidence;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// What one run produced: findings, the input problems met on the way, and what was analysed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub tool_version: String,
    /// What was analysed (a snapshot path, a list of files).
    pub source: String,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// Rules that were evaluated in this run, so writers can describe them (SARIF `tool.driver.rules`).
    #[serde(skip)]
    pub rules: Vec<&'static RuleDoc>,
}

impl Report {
    pub fn new(source: impl Into<String>) -> Self {
        Report {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            source: source.into(),
            ..Report::default()
        }
    }

    /// Orders findings by severity (highest first), then rule, then resource, so output is stable.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.resource_id.cmp(&b.resource_id))
                .then_with(|| a.title.cmp(&b.title))
        });
    }

    /// The highest severity among findings that are not suppressed.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().filter(|f| f.suppressed.is_none()).map(|f| f.severity).max()
    }
}
