//! Detection coverage over tiny snapshots: where ML runs, GuardDuty (with S3 protection), a
//! logging multi-region trail, and Macie over the training data; "not collected" is not "off".
#![allow(clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use mlguard_core::config::Config;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const DET: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";

struct Snap(BTreeMap<String, Value>);

fn baseline() -> Snap {
    let mut m = BTreeMap::new();
    m.insert(
        "sagemaker/train-1/describe-training-job.json".to_string(),
        json!({"TrainingJobName": "train-1", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/train-1",
               "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data-111122223333/train/"}}}]}),
    );
    m.insert("guardduty/list-detectors.json".into(), json!({"DetectorIds": [DET]}));
    m.insert(format!("guardduty/{DET}/get-detector.json"), json!({"Status": "ENABLED", "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]}));
    m.insert("cloudtrail/describe-trails.json".into(), json!({"trailList": [{"Name": "all", "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/all", "IsMultiRegionTrail": true, "HomeRegion": "us-east-1"}]}));
    m.insert("cloudtrail/all/get-trail-status.json".into(), json!({"IsLogging": true}));
    m.insert("macie2/get-macie-session.json".into(), json!({"status": "ENABLED"}));
    m.insert(
        "macie2/list-classification-jobs.json".into(),
        json!({"items": [{"jobId": "j1", "name": "weekly", "jobStatus": "IDLE", "jobType": "SCHEDULED", "bucketDefinitions": [{"accountId": "111122223333", "buckets": ["data-111122223333"]}]}]}),
    );
    Snap(m)
}

impl Snap {
    fn set(&mut self, p: &str, v: Value) -> &mut Self {
        self.0.insert(p.into(), v);
        self
    }
    fn remove(&mut self, p: &str) -> &mut Self {
        self.0.remove(p);
        self
    }
    /// DET-* rule ids found, and the DET-* diagnostics.
    fn audit(&self) -> (Vec<String>, Vec<String>) {
        let inv = common::load(self.0.iter().map(|(p, v)| (format!("111122223333/us-east-1/{p}"), v.to_string())));
        assert!(inv.diagnostics.is_empty(), "fixture problems: {:?}", inv.diagnostics);
        let (f, d) = mlguard_posture::audit(&inv, &Config::default());
        let mut ids: Vec<String> = f.iter().map(|f| f.rule_id.clone()).filter(|i| i.starts_with("DET-")).collect();
        ids.sort();
        (ids, d.iter().map(|d| d.message.clone()).filter(|m| m.starts_with("DET-")).collect())
    }
}

#[test]
fn full_coverage_passes() {
    assert_eq!(baseline().audit(), (vec![], vec![]));
}

#[test]
fn guardduty_missing_off_or_without_s3_protection() {
    assert_eq!(baseline().set("guardduty/list-detectors.json", json!({"DetectorIds": []})).remove(&format!("guardduty/{DET}/get-detector.json")).audit().0, ["DET-001"]);
    assert_eq!(baseline().set(&format!("guardduty/{DET}/get-detector.json"), json!({"Status": "DISABLED"})).audit().0, ["DET-001"]);
    assert_eq!(baseline().set(&format!("guardduty/{DET}/get-detector.json"), json!({"Status": "ENABLED", "Features": [{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}]})).audit().0, ["DET-002"]);
    // The older DataSources form counts too.
    assert_eq!(baseline().set(&format!("guardduty/{DET}/get-detector.json"), json!({"Status": "ENABLED", "DataSources": {"S3Logs": {"Status": "ENABLED"}}})).audit().0, Vec::<String>::new());
    // Never collected: not evaluated, not a finding.
    let (ids, notes) = baseline().remove("guardduty/list-detectors.json").remove(&format!("guardduty/{DET}/get-detector.json")).audit();
    assert_eq!(ids, Vec::<String>::new());
    assert!(notes.iter().any(|n| n.contains("DET-001/DET-002 not evaluated")), "{notes:?}");
}

#[test]
fn trail_must_be_multi_region_and_logging() {
    assert_eq!(baseline().set("cloudtrail/all/get-trail-status.json", json!({"IsLogging": false})).audit().0, ["DET-004"]);
    let single = json!({"trailList": [{"Name": "all", "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/all", "IsMultiRegionTrail": false, "HomeRegion": "us-east-1"}]});
    assert_eq!(baseline().set("cloudtrail/describe-trails.json", single).audit().0, ["DET-004"]);
    let (ids, notes) = baseline().remove("cloudtrail/describe-trails.json").remove("cloudtrail/all/get-trail-status.json").audit();
    assert_eq!(ids, Vec::<String>::new());
    assert!(notes.iter().any(|n| n.contains("DET-004 not evaluated")), "{notes:?}");
}

#[test]
fn macie_must_be_enabled_and_name_the_training_bucket() {
    assert_eq!(baseline().remove("macie2/get-macie-session.json").audit().0, ["DET-003"]);
    assert_eq!(baseline().set("macie2/list-classification-jobs.json", json!({"items": []})).audit().0, ["DET-003"]);
    let cancelled = json!({"items": [{"jobId": "j1", "jobStatus": "CANCELLED", "bucketDefinitions": [{"accountId": "111122223333", "buckets": ["data-111122223333"]}]}]});
    assert_eq!(baseline().set("macie2/list-classification-jobs.json", cancelled).audit().0, ["DET-003"]);
    let (ids, notes) = baseline().remove("macie2/get-macie-session.json").remove("macie2/list-classification-jobs.json").audit();
    assert_eq!(ids, Vec::<String>::new());
    assert!(notes.iter().any(|n| n.contains("DET-003 not evaluated")), "{notes:?}");
}

#[test]
fn automated_sensitive_data_discovery_covers_buckets_it_does_not_exclude() {
    let no_jobs = json!({"items": []});
    let on = json!({"status": "ENABLED", "classificationScopeId": "s1", "sensitivityInspectionTemplateId": "t1"});
    assert_eq!(baseline().set("macie2/list-classification-jobs.json", no_jobs.clone()).set("macie2/get-automated-discovery-configuration.json", on.clone()).audit().0, Vec::<String>::new());
    let off = json!({"status": "DISABLED"});
    assert_eq!(baseline().set("macie2/list-classification-jobs.json", no_jobs.clone()).set("macie2/get-automated-discovery-configuration.json", off).audit().0, ["DET-003"]);
    let excluded = json!({"id": "s1", "name": "automated-sensitive-data-discovery", "s3": {"excludes": {"bucketNames": ["data-111122223333"]}}});
    assert_eq!(
        baseline().set("macie2/list-classification-jobs.json", no_jobs).set("macie2/get-automated-discovery-configuration.json", on).set("macie2/get-classification-scope.json", excluded).audit().0,
        ["DET-003"]
    );
}
