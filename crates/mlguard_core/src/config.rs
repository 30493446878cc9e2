//! `mlguard.toml`: what the user tells mlguard about their estate, and which findings they
//! accept for now.
//!
//! ```toml
//! [network]
//! team_tag = "team"            # tag key naming a VPC's team (NET-007)
//! ephemeral_ports = "1024-65535"
//!
//! [ml]
//! compute_tags = ["ml-workload"]   # tag keys marking EC2 instances as ML compute
//!
//! [buckets]                     # roles SageMaker resources do not reveal
//! model_artifacts = ["acme-models"]
//! training_data = ["acme-datasets"]
//!
//! [data]                        # which resources handle sensitive data (ENC-001)
//! classification_tag = "data-classification"
//! sensitive_values = ["confidential", "restricted", "sensitive", "pii"]
//!
//! [inference]                   # what fronts endpoints where the snapshot cannot tell (WAF-001)
//! front_doors = ["arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/inference/0123456789abcdef"]
//!
//! [[suppress]]
//! rule = "NET-002"              # a rule id, or a prefix ending in `*` (`NET-*`)
//! resource = "eni-0abc..."      # an id or ARN, or `*`
//! reason = "bastion behind a WAF, accepted by the security team (TICKET-123)"
//! expires = "2027-01-31"        # after this date the suppression stops and says so
//! ```
//!
//! Every table denies unknown keys, so a misspelt key is an error that names it.

use crate::{Diagnostic, Report};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub network: Network,
    #[serde(default)]
    pub ml: Ml,
    #[serde(default)]
    pub buckets: Buckets,
    #[serde(default)]
    pub data: Data,
    #[serde(default)]
    pub inference: Inference,
    /// Accepted findings.
    #[serde(default)]
    pub suppress: Vec<Suppression>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The tag key naming a VPC's team.
    #[serde(default = "default_team_tag")]
    pub team_tag: String,
    /// Client ports replies go back to, `LO-HI`.
    #[serde(default = "default_ephemeral")]
    pub ephemeral_ports: String,
}

impl Default for Network {
    fn default() -> Self {
        Network { team_tag: default_team_tag(), ephemeral_ports: default_ephemeral() }
    }
}

fn default_team_tag() -> String {
    "team".into()
}

fn default_ephemeral() -> String {
    "1024-65535".into()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ml {
    /// Tag keys whose presence (with any value but `false`) marks an EC2 instance as ML compute.
    #[serde(default = "default_compute_tags")]
    pub compute_tags: Vec<String>,
}

impl Default for Ml {
    fn default() -> Self {
        Ml { compute_tags: default_compute_tags() }
    }
}

fn default_compute_tags() -> Vec<String> {
    vec!["ml-workload".into()]
}

/// How resources say that they handle sensitive data.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// The tag key carrying a data classification.
    #[serde(default = "default_classification_tag")]
    pub classification_tag: String,
    /// Values of that tag that mean sensitive (compared case-insensitively).
    #[serde(default = "default_sensitive_values")]
    pub sensitive_values: Vec<String>,
}

impl Default for Data {
    fn default() -> Self {
        Data { classification_tag: default_classification_tag(), sensitive_values: default_sensitive_values() }
    }
}

fn default_classification_tag() -> String {
    "data-classification".into()
}

fn default_sensitive_values() -> Vec<String> {
    vec!["confidential".into(), "restricted".into(), "sensitive".into(), "pii".into()]
}

impl Data {
    /// Whether a tag value means sensitive data.
    pub fn is_sensitive(&self, value: &str) -> bool {
        self.sensitive_values.iter().any(|v| v.eq_ignore_ascii_case(value))
    }
}

/// Buckets whose role mlguard cannot see from SageMaker resources alone.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Buckets {
    /// Buckets holding model artifacts (besides those SageMaker jobs and models point at).
    #[serde(default)]
    pub model_artifacts: Vec<String>,
    /// Buckets holding training data.
    #[serde(default)]
    pub training_data: Vec<String>,
}

/// What sits in front of inference endpoints where the snapshot cannot tell.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Inference {
    /// ARNs of load balancers (or other WAF-capable resources) that front SageMaker endpoints,
    /// for example an ALB whose Lambda target invokes an endpoint. API Gateway stages and the
    /// CloudFront distributions in front of them are found from the snapshot.
    #[serde(default)]
    pub front_doors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// A rule id (`NET-002`) or a prefix ending in `*` (`NET-*`).
    pub rule: String,
    /// A resource id or ARN, or `*` for every resource.
    pub resource: String,
    /// Why the finding is accepted; required, and carried into every report.
    pub reason: String,
    /// `YYYY-MM-DD`; from the day after, the suppression no longer applies.
    pub expires: Option<String>,
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{path}`: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("`{path}`: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.display().to_string(), source })?;
        Config::parse(&text).map_err(|message| ConfigError::Invalid { path: path.display().to_string(), message })
    }

    /// Parses and validates configuration text; the error names the key or value at fault.
    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        for (i, s) in cfg.suppress.iter().enumerate() {
            if s.reason.trim().is_empty() {
                return Err(format!("suppress[{i}]: `reason` must say why the finding is accepted"));
            }
            if s.rule.trim().is_empty() || s.resource.trim().is_empty() {
                return Err(format!("suppress[{i}]: `rule` and `resource` must not be empty (use `*` for every resource)"));
            }
            if let Some(d) = &s.expires {
                parse_date(d).map_err(|_| format!("suppress[{i}]: `expires` must be a date written YYYY-MM-DD, found `{d}`"))?;
            }
        }
        if cfg.network.team_tag.trim().is_empty() {
            return Err("network.team_tag must not be empty".into());
        }
        if parse_port_range(&cfg.network.ephemeral_ports).is_none() {
            return Err(format!("network.ephemeral_ports must be `LO-HI` with 0 <= LO <= HI <= 65535, found `{}`", cfg.network.ephemeral_ports));
        }
        Ok(cfg)
    }

    /// The ephemeral port range as numbers (validated at load).
    pub fn ephemeral_ports(&self) -> (u16, u16) {
        parse_port_range(&self.network.ephemeral_ports).unwrap_or((1024, 65535))
    }
}

/// `LO-HI` as numbers.
pub fn parse_port_range(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?);
    (a <= b).then_some((a, b))
}

fn parse_date(s: &str) -> Result<time::Date, time::error::Parse> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
}

impl Suppression {
    fn matches(&self, rule_id: &str, resource: &str) -> bool {
        let rule_ok = match self.rule.strip_suffix('*') {
            Some(prefix) => rule_id.starts_with(prefix),
            None => rule_id.eq_ignore_ascii_case(&self.rule),
        };
        rule_ok && (self.resource == "*" || self.resource == resource)
    }
}

/// Marks findings covered by a live suppression; returns a diagnostic for every expired
/// suppression (it no longer applies) and every suppression that matched nothing.
pub fn apply_suppressions(report: &mut Report, cfg: &Config, today: time::Date, config_file: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, s) in cfg.suppress.iter().enumerate() {
        let place = format!("suppress[{i}]");
        let expired = s.expires.as_deref().and_then(|d| parse_date(d).ok()).map(|d| d < today).unwrap_or(false);
        let mut hits = 0usize;
        for f in report.findings.iter_mut().filter(|f| s.matches(&f.rule_id, &f.resource_id)) {
            hits += 1;
            if !expired && f.suppressed.is_none() {
                f.suppressed = Some(s.reason.clone());
            }
        }
        if expired {
            out.push(Diagnostic::warning(
                config_file,
                &place,
                format!("suppression of `{}` on `{}` expired on {}; it no longer applies ({hits} finding(s) reported again)", s.rule, s.resource, s.expires.clone().unwrap_or_default()),
            ));
        } else if hits == 0 {
            out.push(Diagnostic::warning(config_file, &place, format!("suppression of `{}` on `{}` matched no finding", s.rule, s.resource)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Finding, Severity};

    fn date(s: &str) -> time::Date {
        parse_date(s).unwrap_or(time::Date::MIN)
    }

    fn report() -> Report {
        let mut r = Report::new("x");
        r.findings.push(Finding::new("NET-002", Severity::High, "ssh open").resource("eni-1", "AwsEc2NetworkInterface"));
        r.findings.push(Finding::new("NET-001", Severity::Critical, "notebook open").resource("arn:nb", "AwsSageMakerNotebookInstance"));
        r
    }

    #[test]
    fn defaults_and_full_file() {
        let c = Config::parse("").unwrap_or_default();
        assert_eq!(c.network.team_tag, "team");
        assert_eq!(c.ml.compute_tags, vec!["ml-workload".to_string()]);
        let c = Config::parse(
            "[network]\nteam_tag = \"owner\"\nephemeral_ports = \"32768-60999\"\n[ml]\ncompute_tags = [\"gpu\", \"ml\"]\n[[suppress]]\nrule = \"NET-*\"\nresource = \"*\"\nreason = \"lab\"\nexpires = \"2030-01-01\"\n",
        );
        assert!(c.is_ok(), "{c:?}");
        let c = c.unwrap_or_default();
        assert_eq!(c.network.team_tag, "owner");
        assert_eq!(c.ephemeral_ports(), (32768, 60999));
        assert_eq!(c.suppress.len(), 1);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::parse("[network]\nteam_tags = \"x\"\n").err().unwrap_or_default();
        assert!(e.contains("team_tags"), "{e}");
        let e = Config::parse("colour = 1\n").err().unwrap_or_default();
        assert!(e.contains("colour"), "{e}");
        let e = Config::parse("[[suppress]]\nrule = \"NET-001\"\nresource = \"*\"\nreason = \"x\"\nuntil = \"2020-01-01\"\n").err().unwrap_or_default();
        assert!(e.contains("until"), "{e}");
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(Config::parse("[[suppress]]\nrule = \"NET-001\"\nresource = \"*\"\nreason = \" \"\n").is_err());
        assert!(Config::parse("[[suppress]]\nrule = \"NET-001\"\nresource = \"*\"\nreason = \"x\"\nexpires = \"31/01/2027\"\n").is_err());
        assert!(Config::parse("[network]\nephemeral_ports = \"60000-1024\"\n").is_err());
    }

    #[test]
    fn live_suppression_marks_and_expired_one_says_so() {
        let cfg = Config::parse("[[suppress]]\nrule = \"NET-002\"\nresource = \"eni-1\"\nreason = \"accepted\"\nexpires = \"2026-12-31\"\n").unwrap_or_default();
        let mut r = report();
        let d = apply_suppressions(&mut r, &cfg, date("2026-11-26"), "mlguard.toml");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(r.findings[0].suppressed.as_deref(), Some("accepted"));
        assert_eq!(r.findings[1].suppressed, None);
        assert_eq!(r.max_severity(), Some(Severity::Critical));

        let mut r = report();
        let d = apply_suppressions(&mut r, &cfg, date("2027-01-01"), "mlguard.toml");
        assert_eq!(r.findings[0].suppressed, None);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("expired on 2026-12-31"), "{}", d[0].message);
        assert_eq!(d[0].path, "suppress[0]");
    }

    #[test]
    fn prefix_rules_and_unmatched_suppressions() {
        let cfg = Config::parse("[[suppress]]\nrule = \"NET-*\"\nresource = \"*\"\nreason = \"lab account\"\n[[suppress]]\nrule = \"NET-009\"\nresource = \"subnet-x\"\nreason = \"r\"\n").unwrap_or_default();
        let mut r = report();
        let d = apply_suppressions(&mut r, &cfg, date("2026-11-26"), "mlguard.toml");
        assert!(r.findings.iter().all(|f| f.suppressed.is_some()));
        assert_eq!(r.max_severity(), None);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("matched no finding"));
    }
}
