//! The SageMaker-settings controls over tiny snapshots: one baseline resource of each kind that
//! passes everything, and one change per test.
#![allow(clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use mlguard_core::config::Config;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ACCT: &str = "111122223333";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/6f1e2d3c-4b5a-4c7d-9e8f-0a1b2c3d4e5f";

const NB: &str = "sagemaker/nb-1/describe-notebook-instance.json";
const TJ: &str = "sagemaker/train-1/describe-training-job.json";
const PJ: &str = "sagemaker/prep-1/describe-processing-job.json";
const MD: &str = "sagemaker/model-1/describe-model.json";
const DM: &str = "sagemaker/d-abc123/describe-domain.json";

fn vpc() -> Value {
    json!({"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]})
}

/// Files of a snapshot, by path under `<account>/us-east-1/`.
struct Snap(BTreeMap<String, Value>);

/// One notebook, distributed training job, distributed processing job, model and Studio
/// domain, each passing every SageMaker control.
fn baseline() -> Snap {
    let mut m = BTreeMap::new();
    m.insert(
        NB.into(),
        json!({"NotebookInstanceName": "nb-1", "NotebookInstanceArn": "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/nb-1", "InstanceType": "ml.t3.medium",
            "SubnetId": "subnet-0123456789abcdef0", "SecurityGroups": ["sg-0123456789abcdef0"], "KmsKeyId": KEY, "DirectInternetAccess": "Disabled", "RootAccess": "Disabled",
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"}}),
    );
    m.insert(
        TJ.into(),
        json!({"TrainingJobName": "train-1", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/train-1",
            "OutputDataConfig": {"KmsKeyId": KEY, "S3OutputPath": "s3://models-111122223333/out/"},
            "ResourceConfig": {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30, "VolumeKmsKeyId": KEY},
            "VpcConfig": vpc(), "EnableNetworkIsolation": true, "EnableInterContainerTrafficEncryption": true}),
    );
    m.insert(
        PJ.into(),
        json!({"ProcessingJobName": "prep-1", "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:processing-job/prep-1",
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "features", "S3Output": {"S3Uri": "s3://data-111122223333/features/", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}], "KmsKeyId": KEY},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30, "VolumeKmsKeyId": KEY}},
            "NetworkConfig": {"EnableInterContainerTrafficEncryption": true, "EnableNetworkIsolation": true, "VpcConfig": vpc()}}),
    );
    m.insert(
        MD.into(),
        json!({"ModelName": "model-1", "ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/model-1",
            "PrimaryContainer": {"Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310", "ModelDataUrl": "s3://models-111122223333/out/model.tar.gz"},
            "VpcConfig": vpc(), "EnableNetworkIsolation": true}),
    );
    m.insert(
        DM.into(),
        json!({"DomainId": "d-abc123", "DomainArn": "arn:aws:sagemaker:us-east-1:111122223333:domain/d-abc123", "DomainName": "studio",
            "AppNetworkAccessType": "VpcOnly", "VpcId": "vpc-0123456789abcdef0", "SubnetIds": ["subnet-0123456789abcdef0"], "KmsKeyId": KEY}),
    );
    Snap(m)
}

impl Snap {
    /// Sets `pointer` (a JSON pointer) in the file `path` to `v`.
    fn set(mut self, path: &str, pointer: &str, v: Value) -> Self {
        let doc = self.0.get_mut(path).unwrap_or_else(|| panic!("no file {path}"));
        let (parent, last) = pointer.rsplit_once('/').unwrap_or_else(|| panic!("bad pointer {pointer}"));
        match doc.pointer_mut(parent).and_then(Value::as_object_mut) {
            Some(o) => {
                o.insert(last.to_string(), v);
            }
            None => panic!("no object at {parent} in {path}"),
        }
        self
    }
    /// Removes `pointer` from the file `path`.
    fn unset(mut self, path: &str, pointer: &str) -> Self {
        let doc = self.0.get_mut(path).unwrap_or_else(|| panic!("no file {path}"));
        let (parent, last) = pointer.rsplit_once('/').unwrap_or_else(|| panic!("bad pointer {pointer}"));
        match doc.pointer_mut(parent).and_then(Value::as_object_mut) {
            Some(o) => {
                o.remove(last);
            }
            None => panic!("no object at {parent} in {path}"),
        }
        self
    }
    fn file(mut self, path: &str, v: Value) -> Self {
        self.0.insert(path.to_string(), v);
        self
    }
    /// Rule ids found (sorted), the resource ids and types, and the diagnostics' messages.
    fn run(&self) -> (Vec<String>, Vec<(String, String)>, Vec<String>) {
        let inv = common::load(self.0.iter().map(|(p, v)| (format!("111122223333/us-east-1/{p}"), v.to_string())));
        assert!(inv.diagnostics.is_empty(), "fixture problems: {:?}", inv.diagnostics);
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        mlguard_posture::sagemaker::check(&inv, &Config::default(), &mut findings, &mut notes);
        for f in &findings {
            assert_eq!((f.account.as_str(), f.region.as_str()), (ACCT, "us-east-1"), "{f:?}");
        }
        let mut ids: Vec<String> = findings.iter().map(|f| f.rule_id.clone()).collect();
        ids.sort();
        let res = findings.iter().map(|f| (f.resource_id.clone(), f.resource_type.clone())).collect();
        (ids, res, notes.iter().map(|d| d.message.clone()).collect())
    }
    fn ids(&self) -> Vec<String> {
        self.run().0
    }
}

const NONE: [&str; 0] = [];

#[test]
fn the_baseline_passes_everything() {
    let (ids, _, notes) = baseline().run();
    assert_eq!(ids, NONE);
    assert_eq!(notes, NONE);
}

#[test]
fn every_rule_is_listed_once() {
    let ids: Vec<&str> = mlguard_posture::sagemaker::RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids, ["SM-001", "SM-002", "SM-003", "SM-004", "SM-005", "SM-006", "SM-007"]);
    for r in mlguard_posture::sagemaker::RULES {
        assert!(!r.docs.is_empty() && r.docs.iter().all(|(_, u)| u.starts_with("https://docs.aws.amazon.com/")), "{}", r.id);
        assert!(r.well_architected.starts_with("SEC"), "{}", r.id);
    }
}

#[test]
fn notebook_root_access() {
    let (ids, res, _) = baseline().set(NB, "/RootAccess", json!("Enabled")).run();
    assert_eq!(ids, ["SM-001"]);
    assert_eq!(res, [("arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/nb-1".to_string(), "AwsSageMakerNotebookInstance".to_string())]);
}

#[test]
fn notebook_root_access_defaults_to_enabled() {
    assert_eq!(baseline().unset(NB, "/RootAccess").ids(), ["SM-001"]);
}

#[test]
fn notebook_without_subnet_is_not_in_a_vpc() {
    assert_eq!(baseline().unset(NB, "/SubnetId").ids(), ["SM-002"]);
}

#[test]
fn notebook_without_kms_key() {
    assert_eq!(baseline().unset(NB, "/KmsKeyId").ids(), ["SM-003"]);
    assert_eq!(baseline().set(NB, "/KmsKeyId", json!("")).ids(), ["SM-003"]);
}

#[test]
fn notebook_serving_imdsv1() {
    assert_eq!(baseline().set(NB, "/InstanceMetadataServiceConfiguration/MinimumInstanceMetadataServiceVersion", json!("1")).ids(), ["SM-007"]);
    // Absent means the CreateNotebookInstance default, IMDSv1.
    assert_eq!(baseline().unset(NB, "/InstanceMetadataServiceConfiguration").ids(), ["SM-007"]);
}

#[test]
fn studio_domain_without_kms_key() {
    let (ids, res, _) = baseline().unset(DM, "/KmsKeyId").run();
    assert_eq!(ids, ["SM-003"]);
    assert_eq!(res[0].0, "arn:aws:sagemaker:us-east-1:111122223333:domain/d-abc123");
}

#[test]
fn notebook_direct_internet_access_is_left_to_net_006() {
    assert_eq!(baseline().set(NB, "/DirectInternetAccess", json!("Enabled")).ids(), NONE);
}

#[test]
fn training_job_without_vpc() {
    let (ids, res, _) = baseline().unset(TJ, "/VpcConfig").run();
    assert_eq!(ids, ["SM-002"]);
    assert_eq!(res, [("arn:aws:sagemaker:us-east-1:111122223333:training-job/train-1".to_string(), "Other".to_string())]);
}

#[test]
fn training_job_without_volume_key() {
    assert_eq!(baseline().unset(TJ, "/ResourceConfig/VolumeKmsKeyId").ids(), ["SM-003"]);
}

#[test]
fn training_job_with_local_storage_needs_no_volume_key() {
    let s = baseline().unset(TJ, "/ResourceConfig/VolumeKmsKeyId").set(TJ, "/ResourceConfig/InstanceType", json!("ml.p4d.24xlarge"));
    assert_eq!(s.ids(), NONE);
}

#[test]
fn training_job_volume_key_without_instance_type_is_not_evaluated() {
    let (ids, _, notes) = baseline().unset(TJ, "/ResourceConfig/VolumeKmsKeyId").unset(TJ, "/ResourceConfig/InstanceType").run();
    assert_eq!(ids, NONE);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("SM-003 not evaluated") && notes[0].contains("train-1"), "{notes:?}");
}

#[test]
fn training_job_without_output_key() {
    assert_eq!(baseline().unset(TJ, "/OutputDataConfig/KmsKeyId").ids(), ["SM-004"]);
    // The CLI prints an empty key for a job created without one.
    assert_eq!(baseline().set(TJ, "/OutputDataConfig/KmsKeyId", json!("")).ids(), ["SM-004"]);
}

#[test]
fn training_job_without_output_config_is_not_evaluated() {
    let (ids, _, notes) = baseline().unset(TJ, "/OutputDataConfig").run();
    assert_eq!(ids, NONE);
    assert!(notes.len() == 1 && notes[0].contains("SM-004 not evaluated"), "{notes:?}");
}

#[test]
fn distributed_training_job_without_inter_container_encryption() {
    assert_eq!(baseline().set(TJ, "/EnableInterContainerTrafficEncryption", json!(false)).ids(), ["SM-005"]);
    // Absent means false.
    assert_eq!(baseline().unset(TJ, "/EnableInterContainerTrafficEncryption").ids(), ["SM-005"]);
}

#[test]
fn single_instance_training_job_needs_no_inter_container_encryption() {
    let s = baseline().set(TJ, "/EnableInterContainerTrafficEncryption", json!(false)).set(TJ, "/ResourceConfig/InstanceCount", json!(1));
    assert_eq!(s.ids(), NONE);
}

#[test]
fn training_job_without_instance_count_is_not_evaluated_for_sm_005() {
    let (ids, _, notes) = baseline().set(TJ, "/EnableInterContainerTrafficEncryption", json!(false)).unset(TJ, "/ResourceConfig/InstanceCount").run();
    assert_eq!(ids, NONE);
    assert!(notes.len() == 1 && notes[0].contains("SM-005 not evaluated"), "{notes:?}");
}

#[test]
fn training_job_without_network_isolation() {
    assert_eq!(baseline().set(TJ, "/EnableNetworkIsolation", json!(false)).ids(), ["SM-006"]);
    assert_eq!(baseline().unset(TJ, "/EnableNetworkIsolation").ids(), ["SM-006"]);
}

#[test]
fn processing_job_without_vpc() {
    assert_eq!(baseline().unset(PJ, "/NetworkConfig/VpcConfig").ids(), ["SM-002"]);
}

#[test]
fn processing_job_without_volume_key() {
    assert_eq!(baseline().unset(PJ, "/ProcessingResources/ClusterConfig/VolumeKmsKeyId").ids(), ["SM-003"]);
}

#[test]
fn processing_job_without_output_key() {
    assert_eq!(baseline().unset(PJ, "/ProcessingOutputConfig/KmsKeyId").ids(), ["SM-004"]);
    // Without outputs there is nothing to encrypt.
    let s = baseline().unset(PJ, "/ProcessingOutputConfig/KmsKeyId").set(PJ, "/ProcessingOutputConfig/Outputs", json!([]));
    assert_eq!(s.ids(), NONE);
}

#[test]
fn distributed_processing_job_without_inter_container_encryption() {
    assert_eq!(baseline().set(PJ, "/NetworkConfig/EnableInterContainerTrafficEncryption", json!(false)).ids(), ["SM-005"]);
    assert_eq!(baseline().unset(PJ, "/NetworkConfig/EnableInterContainerTrafficEncryption").ids(), ["SM-005"]);
    let single = baseline().set(PJ, "/NetworkConfig/EnableInterContainerTrafficEncryption", json!(false)).set(PJ, "/ProcessingResources/ClusterConfig/InstanceCount", json!(1));
    assert_eq!(single.ids(), NONE);
}

#[test]
fn processing_job_without_network_isolation() {
    assert_eq!(baseline().set(PJ, "/NetworkConfig/EnableNetworkIsolation", json!(false)).ids(), ["SM-006"]);
}

#[test]
fn processing_job_without_network_config_takes_the_defaults() {
    // No VpcConfig, no isolation, no encryption between its two instances.
    assert_eq!(baseline().unset(PJ, "/NetworkConfig").ids(), ["SM-002", "SM-005", "SM-006"]);
}

#[test]
fn model_without_vpc_or_isolation() {
    assert_eq!(baseline().unset(MD, "/VpcConfig").ids(), ["SM-002"]);
    assert_eq!(baseline().set(MD, "/EnableNetworkIsolation", json!(false)).ids(), ["SM-006"]);
    assert_eq!(baseline().unset(MD, "/EnableNetworkIsolation").ids(), ["SM-006"]);
}

#[test]
fn studio_domain_not_vpc_only() {
    let (ids, res, _) = baseline().set(DM, "/AppNetworkAccessType", json!("PublicInternetOnly")).run();
    assert_eq!(ids, ["SM-002"]);
    assert_eq!(res, [("arn:aws:sagemaker:us-east-1:111122223333:domain/d-abc123".to_string(), "Other".to_string())]);
    // Absent means PublicInternetOnly.
    assert_eq!(baseline().unset(DM, "/AppNetworkAccessType").ids(), ["SM-002"]);
}

#[test]
fn listed_but_not_described_is_not_evaluated() {
    let s = baseline().file(
        "sagemaker/list-training-jobs.json",
        json!({"TrainingJobSummaries": [
            {"TrainingJobName": "train-1", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/train-1", "TrainingJobStatus": "Completed"},
            {"TrainingJobName": "train-2", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/train-2", "TrainingJobStatus": "Completed"}
        ]}),
    );
    let (ids, _, notes) = s.run();
    assert_eq!(ids, NONE);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("not evaluated") && notes[0].contains("train-2") && notes[0].contains("describe-training-job"), "{notes:?}");
}
