//! REG-001, EP-001, MON-001 over tiny snapshots: endpoint → config → model → package.

mod common;

use mlguard_core::config::Config;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const PKG: &str = "arn:aws:sagemaker:us-east-1:111122223333:model-package/grp/1";

fn baseline() -> BTreeMap<&'static str, Value> {
    let mut m = BTreeMap::new();
    m.insert("ep/describe-endpoint.json", json!({"EndpointName": "ep", "EndpointArn": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/ep", "EndpointConfigName": "cfg", "EndpointStatus": "InService"}));
    m.insert(
        "cfg/describe-endpoint-config.json",
        json!({"EndpointConfigName": "cfg", "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/cfg", "KmsKeyId": "k",
               "ProductionVariants": [{"VariantName": "v", "ModelName": "m"}], "DataCaptureConfig": {"EnableCapture": true, "KmsKeyId": "k", "InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://cap/", "CaptureOptions": [{"CaptureMode": "Input"}]}}),
    );
    m.insert("m/describe-model.json", json!({"ModelName": "m", "ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/m", "PrimaryContainer": {"ModelPackageName": PKG}}));
    m.insert("grp-1/describe-model-package.json", json!({"ModelPackageName": "grp", "ModelPackageArn": PKG, "ModelApprovalStatus": "Approved"}));
    m.insert("list-monitoring-schedules.json", json!({"MonitoringScheduleSummaries": [{"MonitoringScheduleName": "s", "MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:111122223333:monitoring-schedule/s", "MonitoringScheduleStatus": "Scheduled", "EndpointName": "ep"}]}));
    m.insert("s/describe-monitoring-schedule.json", json!({"MonitoringScheduleName": "s", "MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:111122223333:monitoring-schedule/s", "MonitoringScheduleStatus": "Scheduled", "EndpointName": "ep"}));
    m
}

fn run(files: &BTreeMap<&'static str, Value>) -> (Vec<String>, Vec<String>) {
    let inv = common::load(files.iter().map(|(p, v)| {
        (
            format!("111122223333/us-east-1/sagemaker/{p}"),
            v.to_string(),
        )
    }));
    let (f, d) = mlguard_posture::audit(&inv, &Config::default());
    let mut ids: Vec<String> = f
        .into_iter()
        .map(|f| f.rule_id)
        .filter(|r| ["REG-", "EP-", "MON-"].iter().any(|p| r.starts_with(p)))
        .collect();
    ids.sort();
    (
        ids,
        d.into_iter()
            .map(|d| d.message)
            .filter(|m| ["REG-", "EP-", "MON-"].iter().any(|p| m.starts_with(p)))
            .collect(),
    )
}

#[test]
fn an_approved_captured_monitored_endpoint_passes() {
    assert_eq!(run(&baseline()), (vec![], vec![]));
}

#[test]
fn registry_approval_is_followed_through_the_chain() {
    let mut f = baseline();
    f.insert("grp-1/describe-model-package.json", json!({"ModelPackageName": "grp", "ModelPackageArn": PKG, "ModelApprovalStatus": "PendingManualApproval"}));
    assert_eq!(run(&f).0, ["REG-001"]);
    let mut f = baseline();
    f.insert("m/describe-model.json", json!({"ModelName": "m", "ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/m", "PrimaryContainer": {"ModelDataUrl": "s3://b/model.tar.gz"}}));
    assert_eq!(run(&f).0, ["REG-001"]);
    // Without the package's answer the approval cannot be judged.
    let mut f = baseline();
    f.remove("grp-1/describe-model-package.json");
    let (ids, notes) = run(&f);
    assert_eq!(ids, Vec::<String>::new());
    assert!(
        notes.iter().any(|n| n.starts_with("REG-001 not evaluated")),
        "{notes:?}"
    );
}

#[test]
fn capture_and_kms_on_the_endpoint_config() {
    let mut f = baseline();
    f.insert("cfg/describe-endpoint-config.json", json!({"EndpointConfigName": "cfg", "EndpointConfigArn": "arn:x", "KmsKeyId": "k", "ProductionVariants": [{"VariantName": "v", "ModelName": "m"}]}));
    assert_eq!(run(&f).0, ["EP-001"]);
}

#[test]
fn monitoring_schedule_per_endpoint() {
    let mut f = baseline();
    f.insert(
        "list-monitoring-schedules.json",
        json!({"MonitoringScheduleSummaries": []}),
    );
    f.remove("s/describe-monitoring-schedule.json");
    assert_eq!(run(&f).0, ["MON-001"]);
    f.remove("list-monitoring-schedules.json");
    let (ids, notes) = run(&f);
    assert_eq!(ids, Vec::<String>::new());
    assert!(
        notes.iter().any(|n| n.starts_with("MON-001 not evaluated")),
        "{notes:?}"
    );
}
