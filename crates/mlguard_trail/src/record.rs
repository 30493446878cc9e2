//! Typed access to the CloudTrail record fields the detections read.
//!
//! Field names and meanings: AWS CloudTrail User Guide, "CloudTrail record contents"
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>.

use serde_json::Value;

/// One parsed CloudTrail record with the fields every detection needs pulled out once.
#[derive(Debug)]
pub struct Record {
    pub raw: Value,
    /// Seconds since the Unix epoch, from `eventTime`; 0 when absent or unparseable.
    pub time: i64,
}

impl Record {
    pub fn new(raw: Value) -> Record {
        let time = raw.get("eventTime").and_then(Value::as_str).and_then(parse_time).unwrap_or(0);
        Record { raw, time }
    }

    /// A string at a path of object keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        get(&self.raw, path).and_then(Value::as_str)
    }

    pub fn s(&self, key: &str) -> &str {
        self.raw.get(key).and_then(Value::as_str).unwrap_or("")
    }

    pub fn event_name(&self) -> &str {
        self.s("eventName")
    }

    pub fn event_source(&self) -> &str {
        self.s("eventSource")
    }

    pub fn event_id(&self) -> &str {
        self.s("eventID")
    }

    pub fn error_code(&self) -> Option<&str> {
        self.raw.get("errorCode").and_then(Value::as_str).filter(|s| !s.is_empty() && *s != "Success")
    }

    pub fn region(&self) -> &str {
        self.s("awsRegion")
    }

    pub fn source_ip(&self) -> &str {
        self.s("sourceIPAddress")
    }

    pub fn user_agent(&self) -> &str {
        self.s("userAgent")
    }

    pub fn account(&self) -> &str {
        let r = self.s("recipientAccountId");
        if r.is_empty() {
            self.str_at(&["userIdentity", "accountId"]).unwrap_or("")
        } else {
            r
        }
    }

    pub fn identity_type(&self) -> &str {
        self.str_at(&["userIdentity", "type"]).unwrap_or("")
    }

    /// The principal an action is attributed to: the session issuer's ARN for assumed roles
    /// (so all sessions of a role share a baseline), else the identity's ARN, else its
    /// principal id, else `unknown`.
    pub fn principal(&self) -> &str {
        if self.identity_type() == "AssumedRole" {
            if let Some(a) = self.str_at(&["userIdentity", "sessionContext", "sessionIssuer", "arn"]).filter(|s| !s.is_empty()) {
                return a;
            }
        }
        self.str_at(&["userIdentity", "arn"])
            .filter(|s| !s.is_empty())
            .or_else(|| self.str_at(&["userIdentity", "principalId"]).filter(|s| !s.is_empty()))
            .or_else(|| self.str_at(&["userIdentity", "invokedBy"]).filter(|s| !s.is_empty()))
            .unwrap_or("unknown")
    }

    /// The exact identity (session ARN for assumed roles).
    pub fn actor(&self) -> &str {
        self.str_at(&["userIdentity", "arn"]).filter(|s| !s.is_empty()).unwrap_or_else(|| self.principal())
    }

    pub fn req(&self, key: &str) -> Option<&Value> {
        self.raw.get("requestParameters").and_then(|r| r.get(key))
    }

    pub fn req_str(&self, key: &str) -> Option<&str> {
        self.req(key).and_then(Value::as_str)
    }

    /// True for an access-denied style error (`AccessDenied`, `Client.UnauthorizedOperation`, ...).
    pub fn is_access_denied(&self) -> bool {
        self.error_code().map(|c| c.contains("AccessDenied") || c.contains("UnauthorizedOperation") || c.contains("Unauthorized")).unwrap_or(false)
    }

    /// Made by an AWS service on the account's behalf rather than by a caller.
    pub fn is_service_event(&self) -> bool {
        self.s("eventType") == "AwsServiceEvent" || self.identity_type() == "AWSService"
    }
}

pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    Some(cur)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (CloudTrail's `eventTime`) into Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

pub use mlguard_iam::days_from_civil;

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // civil_from_days, same source as above.
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trips() {
        let t = parse_time("2024-02-29T13:45:07Z").unwrap();
        assert_eq!(t, 1_709_214_307);
        assert_eq!(format_time(t), "2024-02-29T13:45:07Z");
        assert_eq!(parse_time("2019-01-01T00:00:00.123Z"), Some(1_546_300_800));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn principal_of_assumed_role_is_the_role() {
        let r = Record::new(serde_json::json!({"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/R/s", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/R"}}}}));
        assert_eq!(r.principal(), "arn:aws:iam::1:role/R");
        assert_eq!(r.actor(), "arn:aws:sts::1:assumed-role/R/s");
    }
}
