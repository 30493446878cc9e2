//! `manifest.json`: what `mlguard collect` called, and what it could not read.
//!
//! A snapshot written by hand has no manifest, and then every absent file means "not there".
//! A collected snapshot has one at its root; a call recorded there as denied, failed or not
//! attempted means "not known", and the audit says which controls could not be evaluated
//! instead of letting them pass on missing data.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest at the root of a collected snapshot.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `mlguard collect <version>`.
    pub tool: String,
    /// RFC 3339 times.
    pub started: String,
    pub finished: String,
    /// The account the credentials belong to (`sts get-caller-identity`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// Every call was made and none failed for a reason other than a denial.
    pub complete: bool,
    /// Why the run stopped early, when it did (credentials rejected, endpoint unreachable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    pub calls: Vec<CallRecord>,
    /// Other things worth knowing (a truncated answer, a file that could not be written).
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stopped {
    pub error_code: String,
    pub message: String,
}

/// What became of one call (one command, for one resource, all its pages).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallRecord {
    pub account: String,
    pub region: String,
    pub service: String,
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resource: Option<String>,
    pub outcome: Outcome,
    /// Pages fetched.
    #[serde(default)]
    pub pages: u32,
    /// The AWS error code (`AccessDenied`, `UnauthorizedOperation`, ...) or, for failures that
    /// never reached AWS, mlguard's name for them (`EndpointUnreachable`, `Timeout`,
    /// `MalformedResponse`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// Wall time of the call with its retries, in milliseconds.
    #[serde(default)]
    pub ms: u64,
}

impl CallRecord {
    /// `ec2 describe-vpcs in 111122223333/us-east-1` (with ` for <resource>` when per resource).
    pub fn describe(&self) -> String {
        let mut s = format!("{} {} in {}/{}", self.service, self.command, self.account, self.region);
        if let Some(r) = &self.resource {
            s.push_str(&format!(" for `{r}`"));
        }
        s
    }

    /// `AccessDenied: User ... is not authorized ...`, or the outcome when there is no code.
    pub fn reason(&self) -> String {
        match (&self.error_code, &self.message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.clone(),
            _ => format!("{:?}", self.outcome).to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Written.
    Ok,
    /// The setting does not exist (no bucket policy, no tags): nothing written, nothing missing.
    Absent,
    /// Not allowed or not available here (access denied, not subscribed, not in this region).
    Denied,
    /// Failed for another reason (a malformed response, a timeout, retries exhausted).
    Failed,
    /// Never attempted, because the run stopped first.
    NotAttempted,
}

impl Outcome {
    /// Whether the snapshot lacks this call's answer.
    pub fn is_missing(self) -> bool {
        matches!(self, Outcome::Denied | Outcome::Failed | Outcome::NotAttempted)
    }
}

/// The manifest at `root`, if there is one.
pub fn read(root: &Path) -> Result<Option<Manifest>, String> {
    let path = root.join("manifest.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map(Some).map_err(|e| format!("{}: {}", e.path(), e.inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_the_missing() {
        let m = Manifest {
            tool: "mlguard collect 0.1.0".into(),
            complete: false,
            calls: vec![CallRecord {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                service: "macie2".into(),
                command: "get-macie-session".into(),
                resource: None,
                outcome: Outcome::Denied,
                pages: 0,
                error_code: Some("AccessDeniedException".into()),
                message: Some("not authorized".into()),
                ms: 3,
            }],
            ..Manifest::default()
        };
        let s = serde_json::to_string(&m).unwrap_or_default();
        assert!(s.contains("\"outcome\":\"denied\""), "{s}");
        let back: Manifest = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, m);
        assert!(back.calls[0].outcome.is_missing());
        assert_eq!(back.calls[0].describe(), "macie2 get-macie-session in 111122223333/us-east-1");
        assert_eq!(back.calls[0].reason(), "AccessDeniedException: not authorized");
    }
}
