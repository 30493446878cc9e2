//! The bucket controls over tiny snapshots: one baseline bucket that passes everything, and
//! one change per test.
#![allow(clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use mlguard_core::config::Config;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const B: &str = "models-111122223333";

/// Files of a snapshot, by path under `<account>/us-east-1/`; `None` writes an empty file.
struct Snap(BTreeMap<String, Option<Value>>);

fn policy(statements: Value) -> Value {
    json!({ "Policy": json!({ "Version": "2012-10-17", "Statement": statements }).to_string() })
}

fn deny_tls() -> Value {
    json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{B}"), format!("arn:aws:s3:::{B}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
}

fn deny_vpce() -> Value {
    json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{B}"), format!("arn:aws:s3:::{B}/*")], "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}})
}

fn all_blocked() -> Value {
    json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}})
}

/// A training job writing to the bucket, and a bucket that passes every control.
fn baseline() -> Snap {
    let mut m = BTreeMap::new();
    m.insert(
        "sagemaker/train-1/describe-training-job.json".into(),
        Some(json!({"TrainingJobName": "train-1", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/train-1", "OutputDataConfig": {"S3OutputPath": format!("s3://{B}/out/")}})),
    );
    m.insert("s3/list-buckets.json".into(), Some(json!({"Buckets": [{"Name": B, "CreationDate": "2024-01-01T00:00:00+00:00"}]})));
    let d = format!("s3/{B}");
    m.insert(format!("{d}/get-bucket-versioning.json"), Some(json!({"Status": "Enabled", "MFADelete": "Disabled"})));
    m.insert(format!("{d}/get-object-lock-configuration.json"), Some(json!({"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}})));
    m.insert(format!("{d}/get-public-access-block.json"), Some(all_blocked()));
    m.insert(format!("{d}/get-bucket-encryption.json"), Some(json!({"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:111122223333:key/k"}}]}})));
    m.insert(format!("{d}/get-bucket-policy.json"), Some(policy(json!([deny_tls(), deny_vpce()]))));
    m.insert(format!("{d}/get-bucket-logging.json"), Some(json!({"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "models/"}})));
    Snap(m)
}

impl Snap {
    fn set(&mut self, path: &str, v: Option<Value>) -> &mut Self {
        self.0.insert(path.to_string(), v);
        self
    }
    fn remove(&mut self, path: &str) -> &mut Self {
        self.0.remove(path);
        self
    }
    /// Rule ids found, and the diagnostics' messages.
    fn audit(&self) -> (Vec<String>, Vec<String>) {
        let inv = common::load(self.0.iter().map(|(p, v)| (format!("111122223333/us-east-1/{p}"), v.as_ref().map(|v| v.to_string()).unwrap_or_default())));
        assert!(inv.diagnostics.is_empty(), "fixture problems: {:?}", inv.diagnostics);
        let (f, d) = mlguard_posture::audit(&inv, &Config::default());
        // Only the bucket controls: the fixture's training job is not meant to pass the SM-* ones.
        let mut ids: Vec<String> = f.iter().map(|f| f.rule_id.clone()).filter(|id| id.starts_with("S3-")).collect();
        ids.sort();
        (ids, d.iter().map(|d| d.message.clone()).filter(|m| m.starts_with("S3-")).collect())
    }
}

fn d(call: &str) -> String {
    format!("s3/{B}/{call}.json")
}

#[test]
fn the_baseline_bucket_passes_everything() {
    let (ids, notes) = baseline().audit();
    assert_eq!(ids, Vec::<String>::new());
    assert_eq!(notes, Vec::<String>::new());
}

#[test]
fn versioning_suspended_or_never_enabled() {
    let (ids, _) = baseline().set(&d("get-bucket-versioning"), Some(json!({"Status": "Suspended"}))).audit();
    assert_eq!(ids, ["S3-001"]);
    // The CLI prints nothing for a bucket that never had versioning; with no Object Lock either.
    let (ids, _) = baseline().set(&d("get-bucket-versioning"), None).remove(&d("get-object-lock-configuration")).audit();
    assert_eq!(ids, ["S3-001", "S3-002"]);
}

#[test]
fn mfa_delete_is_enough_without_object_lock() {
    let (ids, _) = baseline().remove(&d("get-object-lock-configuration")).set(&d("get-bucket-versioning"), Some(json!({"Status": "Enabled", "MFADelete": "Enabled"}))).audit();
    assert_eq!(ids, Vec::<String>::new());
    let (ids, _) = baseline().remove(&d("get-object-lock-configuration")).audit();
    assert_eq!(ids, ["S3-002"]);
}

#[test]
fn public_access_block_at_bucket_or_account_level() {
    // No bucket-level block, but the account's covers everything.
    let (ids, _) = baseline().remove(&d("get-public-access-block")).set("s3control/get-public-access-block.json", Some(all_blocked())).audit();
    assert_eq!(ids, Vec::<String>::new());
    // Neither level: reported.
    let (ids, _) = baseline().remove(&d("get-public-access-block")).audit();
    assert_eq!(ids, ["S3-003"]);
    // One flag off at both levels.
    let partial = json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": false, "RestrictPublicBuckets": true}});
    let (ids, _) = baseline().set(&d("get-public-access-block"), Some(partial)).audit();
    assert_eq!(ids, ["S3-003"]);
}

#[test]
fn sse_s3_is_not_kms() {
    let aes = json!({"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}});
    let (ids, _) = baseline().set(&d("get-bucket-encryption"), Some(aes)).audit();
    assert_eq!(ids, ["S3-004"]);
}

#[test]
fn bucket_policy_denies_are_evaluated_not_pattern_matched() {
    // Only the TLS deny: access from outside the endpoints is not refused.
    let (ids, _) = baseline().set(&d("get-bucket-policy"), Some(policy(json!([deny_tls()])))).audit();
    assert_eq!(ids, ["S3-005"]);
    // Only the endpoint deny: plain HTTP from inside is not refused.
    let (ids, _) = baseline().set(&d("get-bucket-policy"), Some(policy(json!([deny_vpce()])))).audit();
    assert_eq!(ids, ["S3-006"]);
    // A TLS deny that covers only reads does not protect writes.
    let mut reads_only = deny_tls();
    reads_only["Action"] = json!("s3:GetObject");
    let (ids, _) = baseline().set(&d("get-bucket-policy"), Some(policy(json!([reads_only, deny_vpce()])))).audit();
    assert_eq!(ids, ["S3-006"]);
    // No policy at all: both.
    let (ids, _) = baseline().remove(&d("get-bucket-policy")).audit();
    assert_eq!(ids, ["S3-005", "S3-006"]);
}

#[test]
fn cloudtrail_data_events_count_as_an_access_record() {
    let mut s = baseline();
    s.set(&d("get-bucket-logging"), None);
    assert_eq!(s.audit().0, ["S3-007"]);
    s.set("cloudtrail/describe-trails.json", Some(json!({"trailList": [{"Name": "org", "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org", "IsMultiRegionTrail": true, "HomeRegion": "us-east-1"}]})));
    s.set("cloudtrail/org/get-trail-status.json", Some(json!({"IsLogging": true})));
    s.set(
        "cloudtrail/org/get-event-selectors.json",
        Some(json!({"TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org", "AdvancedEventSelectors": [{"Name": "models", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": [format!("arn:aws:s3:::{B}/")]}
        ]}]})),
    );
    assert_eq!(s.audit().0, Vec::<String>::new());
    // A trail that is not logging does not count.
    s.set("cloudtrail/org/get-trail-status.json", Some(json!({"IsLogging": false})));
    assert_eq!(s.audit().0, ["S3-007"]);
}

#[test]
fn a_bucket_whose_settings_were_not_collected_is_not_evaluated() {
    let mut s = baseline();
    for call in ["get-bucket-versioning", "get-object-lock-configuration", "get-public-access-block", "get-bucket-encryption", "get-bucket-policy", "get-bucket-logging"] {
        s.remove(&d(call));
    }
    let (ids, notes) = s.audit();
    assert_eq!(ids, Vec::<String>::new());
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("not evaluated") && notes[0].contains(B), "{notes:?}");
}
