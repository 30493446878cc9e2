//! The inputs of the posture and least-privilege layers: S3, SageMaker (registry, endpoints,
//! data locations), GuardDuty, Macie, CloudTrail, WAF, API Gateway, load balancers and IAM.
//! Each test writes a small snapshot of AWS CLI responses (shaped like the AWS documentation's
//! examples), loads it and checks the typed values, the joins by resource folder, skipped bad
//! elements and merged pages.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_snapshot::{Diagnostic, Inventory, Snapshot};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const ACCOUNT: &str = "111122223333";

struct Snap(PathBuf);

impl Snap {
    fn new() -> Snap {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!("mlguard-posture-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Snap(p)
    }

    /// Writes `body` at `<account>/<rel>`.
    fn text(&self, rel: &str, body: &str) -> &Snap {
        let path = self.0.join(ACCOUNT).join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
        self
    }

    fn json(&self, rel: &str, v: Value) -> &Snap {
        self.text(rel, &serde_json::to_string_pretty(&v).unwrap())
    }

    fn load(&self) -> Inventory {
        Inventory::load(&Snapshot::open(&self.0).unwrap())
    }
}

impl Drop for Snap {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The diagnostic about `file` (relative to the account folder) at `path`.
fn diag<'a>(inv: &'a Inventory, file: &str, path: &str) -> &'a Diagnostic {
    let file = format!("{ACCOUNT}/{file}");
    inv.diagnostics.iter().find(|d| d.file == file && d.path == path).unwrap_or_else(|| panic!("no diagnostic for {file} at {path}: {:#?}", inv.diagnostics))
}

// --- S3 ------------------------------------------------------------------------------------------

#[test]
fn bucket_versioning_enabled_suspended_and_never_enabled() {
    let s = Snap::new();
    s.json(
        "us-east-1/s3/list-buckets.json",
        json!({
            "Buckets": [
                {"Name": "ml-training-data", "CreationDate": "2024-01-05T10:00:00+00:00", "BucketRegion": "us-east-1"},
                {"Name": 17, "CreationDate": "2024-01-05T10:00:00+00:00"},
                {"Name": "ml-models", "CreationDate": "2024-02-01T10:00:00+00:00", "BucketRegion": "us-east-1"}
            ],
            "Owner": {"DisplayName": "ml-team", "ID": "examplee7a2f25102679df27bb0ae12b3f85be6f290b936c4393484be31bebcc"},
            "Prefix": ""
        }),
    )
    .json("us-east-1/s3/list-buckets.2.json", json!({"Buckets": [{"Name": "ml-inference-logs", "BucketRegion": "eu-west-1"}]}))
    .json("us-east-1/s3/ml-training-data/get-bucket-versioning.json", json!({"Status": "Enabled", "MFADelete": "Disabled"}))
    // `s3api/` is the same service as `s3/`.
    .json("us-east-1/s3api/ml-models/get-bucket-versioning.json", json!({"Status": "Suspended"}))
    .json("us-east-1/s3/ml-inference-logs/get-bucket-versioning.json", json!({}))
    // The CLI prints nothing for `{}`: an empty file is a bucket that was never versioned too.
    .text("us-east-1/s3/ml-scratch/get-bucket-versioning.json", "");
    let inv = s.load();

    let names: Vec<&str> = inv.s3.buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["ml-training-data", "ml-models", "ml-inference-logs"], "pages merge in order, the bad element is skipped");
    assert_eq!(inv.s3.buckets[2].bucket_region.as_deref(), Some("eu-west-1"));
    let d = diag(&inv, "us-east-1/s3/list-buckets.json", "$.Buckets[1].Name");
    assert!(d.message.contains("element skipped"), "{d}");

    let status = |b: &str| inv.s3.bucket_config(ACCOUNT, b).versioning.map(|v| v.status.clone());
    assert_eq!(status("ml-training-data"), Some(Some("Enabled".to_string())));
    assert_eq!(status("ml-models"), Some(Some("Suspended".to_string())));
    assert_eq!(status("ml-inference-logs"), Some(None), "`{{}}`: never enabled");
    assert_eq!(status("ml-scratch"), Some(None), "empty file: never enabled");
    assert_eq!(status("not-collected"), None);
    let v = inv.s3.bucket_config(ACCOUNT, "ml-training-data").versioning.unwrap();
    assert!(v.is_enabled());
    assert_eq!(v.mfa_delete.as_deref(), Some("Disabled"));
    assert_eq!(v.file, format!("{ACCOUNT}/us-east-1/s3/ml-training-data/get-bucket-versioning.json"));
    assert_eq!(
        inv.s3.versioning.iter().find(|v| v.is_for(ACCOUNT, "ml-models")).map(|v| v.file.as_str()),
        Some("111122223333/us-east-1/s3api/ml-models/get-bucket-versioning.json")
    );
    assert_eq!(inv.diagnostics.len(), 1, "{:#?}", inv.diagnostics);
}

#[test]
fn bucket_settings_are_read_and_joined_by_bucket_folder() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::ml-training-data","arn:aws:s3:::ml-training-data/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    let s = Snap::new();
    s.json("us-east-1/s3/ml-training-data/get-bucket-policy.json", json!({ "Policy": policy }))
        .json(
            "us-east-1/s3/ml-training-data/get-public-access-block.json",
            json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": false}}),
        )
        .json(
            "us-east-1/s3/ml-training-data/get-bucket-encryption.json",
            json!({"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, "BucketKeyEnabled": true}]}}),
        )
        .json(
            "us-east-1/s3/ml-training-data/get-object-lock-configuration.json",
            json!({"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 50}}}}),
        )
        .json("us-east-1/s3/ml-training-data/get-bucket-logging.json", json!({"LoggingEnabled": {"TargetBucket": "ml-access-logs", "TargetPrefix": "ml-training-data/"}}))
        .json("us-east-1/s3/ml-training-data/get-bucket-tagging.json", json!({"TagSet": [{"Key": "data-classification", "Value": "confidential"}, {"Key": "team", "Value": "ml"}]}))
        .text("us-east-1/s3/ml-models/get-bucket-logging.json", "\n")
        // A failed call leaves an empty file: it is not read as "no policy".
        .text("us-east-1/s3/ml-models/get-bucket-policy.json", "")
        .json(
            "us-east-1/s3control/get-public-access-block.json",
            json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}}),
        );
    let inv = s.load();

    let c = inv.s3.bucket_config(ACCOUNT, "ml-training-data");
    assert_eq!(c.policy.unwrap().policy, policy, "the policy document is kept verbatim as a string");
    let pab = c.public_access_block.unwrap();
    assert!(pab.block_public_acls && pab.block_public_policy && !pab.restrict_public_buckets);
    assert!(!pab.blocks_all());
    let enc = c.encryption.unwrap();
    assert_eq!(enc.algorithms().collect::<Vec<_>>(), ["aws:kms"]);
    assert_eq!(enc.rules[0].bucket_key_enabled, Some(true));
    let lock = c.object_lock.unwrap();
    assert_eq!(lock.object_lock_enabled.as_deref(), Some("Enabled"));
    assert_eq!(lock.rule.as_ref().and_then(|r| r.default_retention.as_ref()).and_then(|r| r.days), Some(50));
    assert_eq!(c.logging.unwrap().logging_enabled.as_ref().and_then(|l| l.target_bucket.as_deref()), Some("ml-access-logs"));
    assert_eq!(mlguard_snapshot::ec2::tag(&c.tagging.unwrap().tag_set, "data-classification"), Some("confidential"));

    let m = inv.s3.bucket_config(ACCOUNT, "ml-models");
    assert!(m.logging.unwrap().logging_enabled.is_none(), "logging off: the CLI printed nothing");
    assert!(m.policy.is_none());
    let d = diag(&inv, "us-east-1/s3/ml-models/get-bucket-policy.json", "");
    assert!(d.message.contains("empty file"), "{d}");

    assert!(inv.s3.account_public_access_block(ACCOUNT).unwrap().blocks_all());
    assert_eq!(inv.diagnostics.len(), 1, "{:#?}", inv.diagnostics);
}

// --- SageMaker -----------------------------------------------------------------------------------

#[test]
fn endpoint_config_capture_and_model_package_approval() {
    let s = Snap::new();
    s.json(
        "us-east-1/sagemaker/list-endpoints.json",
        json!({"Endpoints": [
            {"EndpointName": "fraud-scoring", "EndpointArn": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud-scoring", "CreationTime": "2024-03-01T12:00:00Z", "LastModifiedTime": "2024-03-01T12:10:00Z", "EndpointStatus": "InService"},
            {"EndpointName": "broken", "CreationTime": "2024-03-01T12:00:00Z"}
        ]}),
    )
    .json(
        "us-east-1/sagemaker/fraud-scoring/describe-endpoint.json",
        json!({
            "EndpointName": "fraud-scoring",
            "EndpointArn": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud-scoring",
            "EndpointConfigName": "fraud-scoring-config-v3",
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentWeight": 1.0, "DesiredWeight": 1.0, "CurrentInstanceCount": 2, "DesiredInstanceCount": 2}],
            "DataCaptureConfig": {"EnableCapture": true, "CaptureStatus": "Started", "CurrentSamplingPercentage": 20, "DestinationS3Uri": "s3://ml-inference-logs/capture", "KmsKeyId": "alias/ml-capture"},
            "EndpointStatus": "InService",
            "CreationTime": 1709294400.0,
            "LastModifiedTime": 1709294400.0
        }),
    )
    .json(
        "us-east-1/sagemaker/fraud-scoring-config-v3/describe-endpoint-config.json",
        json!({
            "EndpointConfigName": "fraud-scoring-config-v3",
            "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/fraud-scoring-config-v3",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "fraud-xgb-2024-03", "InitialInstanceCount": 2, "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 1.0}],
            "DataCaptureConfig": {"EnableCapture": true, "InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://ml-inference-logs/capture", "KmsKeyId": "alias/ml-capture", "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]},
            "KmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "CreationTime": "2024-03-01T11:55:00Z"
        }),
    )
    .json(
        "us-east-1/sagemaker/list-model-package-groups.json",
        json!({"ModelPackageGroupSummaryList": [
            {"ModelPackageGroupName": "fraud-models", "ModelPackageGroupArn": "arn:aws:sagemaker:us-east-1:111122223333:model-package-group/fraud-models", "CreationTime": "2024-01-01T00:00:00Z", "ModelPackageGroupStatus": "Completed"},
            {"ModelPackageGroupName": "bad", "ModelPackageGroupArn": ["not", "a", "string"]}
        ]}),
    )
    .json(
        "us-east-1/sagemaker/fraud-models/list-model-packages.json",
        json!({"ModelPackageSummaryList": [
            {"ModelPackageGroupName": "fraud-models", "ModelPackageVersion": 3, "ModelPackageArn": "arn:aws:sagemaker:us-east-1:111122223333:model-package/fraud-models/3", "CreationTime": "2024-03-01T00:00:00Z", "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved"},
            {"ModelPackageGroupName": "fraud-models", "ModelPackageVersion": 4, "CreationTime": "2024-03-02T00:00:00Z", "ModelPackageStatus": "Completed", "ModelApprovalStatus": "PendingManualApproval"}
        ]}),
    )
    .json(
        "us-east-1/sagemaker/fraud-models/list-model-packages.2.json",
        json!({"ModelPackageSummaryList": [
            {"ModelPackageGroupName": "fraud-models", "ModelPackageVersion": 5, "ModelPackageArn": "arn:aws:sagemaker:us-east-1:111122223333:model-package/fraud-models/5", "CreationTime": "2024-03-03T00:00:00Z", "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Rejected"}
        ]}),
    )
    .json(
        "us-east-1/sagemaker/fraud-models-3/describe-model-package.json",
        json!({
            "ModelPackageGroupName": "fraud-models",
            "ModelPackageVersion": 3,
            "ModelPackageArn": "arn:aws:sagemaker:us-east-1:111122223333:model-package/fraud-models/3",
            "ModelPackageName": "fraud-models",
            "CreationTime": "2024-03-01T00:00:00Z",
            "InferenceSpecification": {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "ImageDigest": "sha256:1111", "ModelDataUrl": "s3://ml-models/fraud/3/model.tar.gz"}], "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "CertifyForMarketplace": false,
            "ModelApprovalStatus": "Approved",
            "MetadataProperties": {"CommitId": "4f1c2e9", "Repository": "https://git.example.com/ml/fraud", "ProjectId": "p-abc123"}
        }),
    );
    let inv = s.load();
    let sm = &inv.sagemaker;

    assert_eq!(sm.endpoint_list.len(), 1);
    assert!(diag(&inv, "us-east-1/sagemaker/list-endpoints.json", "$.Endpoints[1]").message.contains("EndpointArn"));
    let ep = &sm.endpoints[0];
    assert_eq!(ep.endpoint_status.as_deref(), Some("InService"));
    assert_eq!(ep.data_capture_config.as_ref().and_then(|c| c.capture_status.as_deref()), Some("Started"));
    let cfg = sm.endpoint_config_of(ep).unwrap();
    assert_eq!(cfg.production_variants[0].model_name.as_deref(), Some("fraud-xgb-2024-03"));
    let capture = cfg.data_capture_config.as_ref().unwrap();
    assert!(capture.enable_capture);
    assert_eq!(capture.kms_key_id.as_deref(), Some("alias/ml-capture"));
    let modes: Vec<&str> = capture.capture_options.iter().filter_map(|o| o.capture_mode.as_deref()).collect();
    assert_eq!(modes, ["Input", "Output"]);
    assert!(cfg.kms_key_id.as_deref().unwrap().starts_with("arn:aws:kms:"));

    assert_eq!(sm.model_package_groups.len(), 1);
    diag(&inv, "us-east-1/sagemaker/list-model-package-groups.json", "$.ModelPackageGroupSummaryList[1].ModelPackageGroupArn");
    let approvals: Vec<(Option<i64>, Option<&str>, Option<&str>)> =
        sm.model_package_summaries.iter().map(|p| (p.model_package_version, p.model_approval_status.as_deref(), p.resource.as_deref())).collect();
    assert_eq!(approvals, [(Some(3), Some("Approved"), Some("fraud-models")), (Some(5), Some("Rejected"), Some("fraud-models"))]);
    diag(&inv, "us-east-1/sagemaker/fraud-models/list-model-packages.json", "$.ModelPackageSummaryList[1]");
    let pkg = &sm.model_packages[0];
    assert!(pkg.is_approved());
    let container = &pkg.inference_specification.as_ref().unwrap().containers[0];
    assert_eq!(container.model_data_uri(), Some("s3://ml-models/fraud/3/model.tar.gz"));
    assert_eq!(pkg.metadata_properties.as_ref().and_then(|m| m.commit_id.as_deref()), Some("4f1c2e9"));
    assert_eq!(inv.diagnostics.len(), 3, "{:#?}", inv.diagnostics);
}

#[test]
fn job_and_model_data_locations_and_keys() {
    let s = Snap::new();
    s.json(
        "us-east-1/sagemaker/fraud-train-0301/describe-training-job.json",
        json!({
            "TrainingJobName": "fraud-train-0301",
            "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/fraud-train-0301",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://ml-models/fraud/fraud-train-0301/output/model.tar.gz"},
            "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed",
            "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "TrainingInputMode": "File"},
            "RoleArn": "arn:aws:iam::111122223333:role/SageMakerTraining",
            "InputDataConfig": [
                {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ml-training-data/fraud/train/", "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "text/csv"},
                {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ml-training-data/fraud/validation/"}}}
            ],
            "OutputDataConfig": {"KmsKeyId": "alias/ml-artifacts", "S3OutputPath": "s3://ml-models/fraud/"},
            "ResourceConfig": {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30, "VolumeKmsKeyId": "alias/ml-volumes"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "CreationTime": 1709290000.0,
            "EnableNetworkIsolation": true
        }),
    )
    .json(
        "us-east-1/sagemaker/fraud-features/describe-processing-job.json",
        json!({
            "ProcessingInputs": [{"InputName": "raw", "AppManaged": false, "S3Input": {"S3Uri": "s3://ml-raw/transactions/", "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "features", "S3Output": {"S3Uri": "s3://ml-training-data/fraud/train/", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}], "KmsKeyId": "alias/ml-artifacts"},
            "ProcessingJobName": "fraud-features",
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30, "VolumeKmsKeyId": "alias/ml-volumes"}},
            "AppSpecification": {"ImageUri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/features:latest"},
            "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:processing-job/fraud-features",
            "ProcessingJobStatus": "Completed",
            "CreationTime": "2024-02-28T10:00:00Z"
        }),
    )
    .json(
        "us-east-1/sagemaker/fraud-xgb-2024-03/describe-model.json",
        json!({
            "ModelName": "fraud-xgb-2024-03",
            "PrimaryContainer": {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "Mode": "SingleModel", "ModelDataUrl": "s3://ml-models/fraud/3/model.tar.gz", "ModelPackageName": "arn:aws:sagemaker:us-east-1:111122223333:model-package/fraud-models/3"},
            "ExecutionRoleArn": "arn:aws:iam::111122223333:role/SageMakerInference",
            "CreationTime": "2024-03-01T11:50:00Z",
            "ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/fraud-xgb-2024-03",
            "EnableNetworkIsolation": true
        }),
    )
    .json(
        "us-east-1/sagemaker/pipeline-model/describe-model.json",
        json!({
            "ModelName": "pipeline-model",
            "Containers": [
                {"Image": "a.dkr.ecr.us-east-1.amazonaws.com/pre:1", "ModelDataSource": {"S3DataSource": {"S3Uri": "s3://ml-models/pre/", "S3DataType": "S3Prefix", "CompressionType": "None"}}},
                {"Image": "a.dkr.ecr.us-east-1.amazonaws.com/model:1", "ModelDataUrl": "s3://ml-models/pipeline/model.tar.gz"}
            ],
            "CreationTime": "2024-03-01T11:50:00Z",
            "ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/pipeline-model"
        }),
    )
    .json(
        "us-east-1/sagemaker/fraud-drift/describe-monitoring-schedule.json",
        json!({
            "MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:111122223333:monitoring-schedule/fraud-drift",
            "MonitoringScheduleName": "fraud-drift",
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": "DataQuality",
            "CreationTime": "2024-03-01T12:00:00Z",
            "LastModifiedTime": "2024-03-01T12:00:00Z",
            "MonitoringScheduleConfig": {
                "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                "MonitoringJobDefinitionName": "fraud-drift-dq",
                "MonitoringType": "DataQuality"
            },
            "EndpointName": "fraud-scoring",
            "LastMonitoringExecutionSummary": {"MonitoringScheduleName": "fraud-drift", "ScheduledTime": "2024-03-02T00:00:00Z", "CreationTime": "2024-03-02T00:00:05Z", "LastModifiedTime": "2024-03-02T00:20:00Z", "MonitoringExecutionStatus": "CompletedWithViolations"}
        }),
    )
    .json(
        "us-east-1/sagemaker/list-monitoring-schedules.json",
        json!({"MonitoringScheduleSummaries": [{"MonitoringScheduleName": "fraud-drift", "MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:111122223333:monitoring-schedule/fraud-drift", "CreationTime": "2024-03-01T12:00:00Z", "LastModifiedTime": "2024-03-01T12:00:00Z", "MonitoringScheduleStatus": "Scheduled", "EndpointName": "fraud-scoring", "MonitoringType": "DataQuality"}]}),
    );
    let inv = s.load();
    assert!(inv.diagnostics.is_empty(), "{:#?}", inv.diagnostics);
    let sm = &inv.sagemaker;

    let job = &sm.training_jobs[0];
    assert_eq!(job.input_s3_uris().collect::<Vec<_>>(), ["s3://ml-training-data/fraud/train/", "s3://ml-training-data/fraud/validation/"]);
    let out = job.output_data_config.as_ref().unwrap();
    assert_eq!((out.s3_output_path.as_deref(), out.kms_key_id.as_deref()), (Some("s3://ml-models/fraud/"), Some("alias/ml-artifacts")));
    assert_eq!(job.resource_config.as_ref().and_then(|r| r.volume_kms_key_id.as_deref()), Some("alias/ml-volumes"));
    assert!(job.enable_network_isolation, "existing fields still read");

    let p = &sm.processing_jobs[0];
    assert_eq!(p.input_s3_uris().collect::<Vec<_>>(), ["s3://ml-raw/transactions/"]);
    assert_eq!(p.output_s3_uris().collect::<Vec<_>>(), ["s3://ml-training-data/fraud/train/"]);
    assert_eq!(p.processing_output_config.as_ref().and_then(|c| c.kms_key_id.as_deref()), Some("alias/ml-artifacts"));
    assert_eq!(p.processing_resources.as_ref().and_then(|r| r.cluster_config.as_ref()).and_then(|c| c.volume_kms_key_id.as_deref()), Some("alias/ml-volumes"));

    let m = sm.models.iter().find(|m| m.model_name == "fraud-xgb-2024-03").unwrap();
    let c = m.primary_container.as_ref().unwrap();
    assert_eq!(c.model_data_uri(), Some("s3://ml-models/fraud/3/model.tar.gz"));
    assert_eq!(c.model_package_name.as_deref(), Some("arn:aws:sagemaker:us-east-1:111122223333:model-package/fraud-models/3"));
    let pipeline = sm.models.iter().find(|m| m.model_name == "pipeline-model").unwrap();
    let uris: Vec<Option<&str>> = pipeline.all_containers().map(|c| c.model_data_uri()).collect();
    assert_eq!(uris, [Some("s3://ml-models/pre/"), Some("s3://ml-models/pipeline/model.tar.gz")]);

    let ms = &sm.monitoring_schedules[0];
    assert_eq!(ms.endpoint_name.as_deref(), Some("fraud-scoring"));
    assert_eq!(ms.last_monitoring_execution_summary.as_ref().and_then(|x| x.monitoring_execution_status.as_deref()), Some("CompletedWithViolations"));
    assert_eq!(sm.monitoring_schedule_list[0].monitoring_type.as_deref(), Some("DataQuality"));
}

// --- GuardDuty, Macie, CloudTrail ------------------------------------------------------------------

#[test]
fn detectors_macie_jobs_and_trails() {
    let s = Snap::new();
    s.json("us-east-1/guardduty/list-detectors.json", json!({"DetectorIds": ["12abc34d567e8fa901bc2d34eexample", 42]}))
        .json(
            "us-east-1/guardduty/12abc34d567e8fa901bc2d34eexample/get-detector.json",
            json!({
                "CreatedAt": "2017-12-22T22:51:31.940Z",
                "FindingPublishingFrequency": "SIX_HOURS",
                "ServiceRole": "arn:aws:iam::111122223333:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
                "Status": "ENABLED",
                "UpdatedAt": "2024-11-07T03:24:22.938Z",
                "DataSources": {"CloudTrail": {"Status": "ENABLED"}, "DNSLogs": {"Status": "ENABLED"}, "FlowLogs": {"Status": "ENABLED"}, "S3Logs": {"Status": "DISABLED"}, "Kubernetes": {"AuditLogs": {"Status": "DISABLED"}}},
                "Tags": {},
                "Features": [
                    {"Name": "CLOUD_TRAIL", "Status": "ENABLED", "UpdatedAt": "2024-11-07T03:24:22Z"},
                    {"Name": "S3_DATA_EVENTS", "Status": "ENABLED", "UpdatedAt": "2024-11-07T03:24:22Z"},
                    {"Name": "RUNTIME_MONITORING", "Status": "DISABLED", "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "DISABLED"}]}
                ]
            }),
        )
        .json("us-east-1/macie2/get-macie-session.json", json!({"createdAt": "2024-01-10T16:01:01.386Z", "findingPublishingFrequency": "FIFTEEN_MINUTES", "serviceRole": "arn:aws:iam::111122223333:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie", "status": "ENABLED", "updatedAt": "2024-01-10T16:01:01.386Z"}))
        .json(
            "us-east-1/macie2/list-classification-jobs.json",
            json!({"items": [
                {"bucketDefinitions": [{"accountId": "111122223333", "buckets": ["ml-training-data", "ml-raw"]}], "createdAt": "2024-02-01T00:00:00Z", "jobId": "3ce05dbb7ec5505def334104bexample", "jobStatus": "RUNNING", "jobType": "SCHEDULED", "lastRunErrorStatus": {"code": "NONE"}, "name": "ml-data-weekly"},
                {"jobId": "bad", "bucketDefinitions": [{"buckets": ["x"]}]},
                {"bucketCriteria": {"includes": {"and": [{"tagCriterion": {"comparator": "EQ", "tagValues": [{"key": "data-classification", "value": "confidential"}]}}]}}, "jobId": "f8e3b1e6a49e4f8f9d7a9e4f7example", "jobStatus": "COMPLETE", "jobType": "ONE_TIME", "name": "by-tag"}
            ]}),
        )
        .json(
            "us-east-1/cloudtrail/describe-trails.json",
            json!({"trailList": [
                {"Name": "org-trail", "S3BucketName": "org-cloudtrail-logs", "IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": true, "HomeRegion": "us-east-1", "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail", "LogFileValidationEnabled": true, "KmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/abcd", "HasCustomEventSelectors": true, "HasInsightSelectors": false, "IsOrganizationTrail": false},
                {"Name": "old-trail", "S3BucketName": "old-logs", "IsMultiRegionTrail": false, "HomeRegion": "us-east-1", "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/old-trail"},
                {"S3BucketName": "nameless"}
            ]}),
        )
        // The same multi-region trail, as listed in another region.
        .json(
            "us-west-2/cloudtrail/describe-trails.json",
            json!({"trailList": [{"Name": "org-trail", "S3BucketName": "org-cloudtrail-logs", "IsMultiRegionTrail": true, "HomeRegion": "us-east-1", "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"}]}),
        )
        .json(
            "us-east-1/cloudtrail/org-trail/get-trail-status.json",
            json!({"LatestNotificationTime": 1454022144.869, "LatestDeliveryAttemptTime": "2016-01-28T23:02:24Z", "LatestDeliveryTime": 1454022144.869, "TimeLoggingStarted": "2015-11-06T18:36:38Z", "IsLogging": true, "StartLoggingTime": 1446834998.695}),
        )
        .json("us-east-1/cloudtrail/old-trail/get-trail-status.json", json!({"IsLogging": false, "StopLoggingTime": 1446834996.933}))
        .json(
            "us-east-1/cloudtrail/org-trail/get-event-selectors.json",
            json!({
                "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail",
                "AdvancedEventSelectors": [
                    {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
                    {"Name": "S3 data events for ML buckets", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::ml-training-data/"]}]}
                ]
            }),
        )
        .json(
            "us-east-1/cloudtrail/old-trail/get-event-selectors.json",
            json!({"TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/old-trail", "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}], "ExcludeManagementEventSources": []}]}),
        );
    let inv = s.load();
    let det = &inv.detection;

    assert_eq!(det.guardduty_detector_ids.iter().map(|d| d.item.as_str()).collect::<Vec<_>>(), ["12abc34d567e8fa901bc2d34eexample"]);
    diag(&inv, "us-east-1/guardduty/list-detectors.json", "$.DetectorIds[1]");
    let gd = det.detectors_in(ACCOUNT, "us-east-1").next().unwrap();
    assert_eq!(gd.resource.as_deref(), Some("12abc34d567e8fa901bc2d34eexample"), "get-detector does not name its detector: the folder does");
    assert!(gd.is_enabled());
    assert_eq!(gd.data_sources.as_ref().and_then(|d| d.s3_logs.as_ref()).and_then(|s| s.status.as_deref()), Some("DISABLED"));
    assert_eq!(gd.feature("S3_DATA_EVENTS"), Some("ENABLED"));
    assert_eq!(gd.s3_protection(), Some(true), "Features win over the older DataSources view");
    assert_eq!(gd.features[2].additional_configuration[0].name, "ECS_FARGATE_AGENT_MANAGEMENT");

    assert_eq!(det.macie_sessions[0].status.as_deref(), Some("ENABLED"));
    let jobs = &det.macie_classification_jobs;
    assert_eq!(jobs.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(), ["3ce05dbb7ec5505def334104bexample", "f8e3b1e6a49e4f8f9d7a9e4f7example"]);
    assert!(jobs[0].names_bucket(ACCOUNT, "ml-training-data"));
    assert_eq!(jobs[0].job_status.as_deref(), Some("RUNNING"));
    assert!(jobs[1].bucket_definitions.is_empty() && jobs[1].bucket_criteria.is_some());
    diag(&inv, "us-east-1/macie2/list-classification-jobs.json", "$.items[1].bucketDefinitions[0]");

    assert_eq!(det.trails.len(), 3);
    diag(&inv, "us-east-1/cloudtrail/describe-trails.json", "$.trailList[2]");
    let status = |region: &str, name: &str| {
        let t = det.trails.iter().find(|t| t.region == region && t.name == name).unwrap();
        (t.is_multi_region_trail, det.trail_status(t).and_then(|s| s.is_logging))
    };
    assert_eq!(status("us-east-1", "org-trail"), (true, Some(true)));
    assert_eq!(status("us-west-2", "org-trail"), (true, Some(true)), "the shadow trail's status comes from its home region");
    assert_eq!(status("us-east-1", "old-trail"), (false, Some(false)));
    let org = det.trails.iter().find(|t| t.name == "org-trail").unwrap();
    let sel = det.trail_event_selectors(org).unwrap();
    assert!(sel.event_selectors.is_empty());
    assert_eq!(sel.advanced_event_selectors[1].field_selectors[2].starts_with, ["arn:aws:s3:::ml-training-data/"]);
    let old = det.trails.iter().find(|t| t.name == "old-trail").unwrap();
    let basic = &det.trail_event_selectors(old).unwrap().event_selectors[0];
    assert_eq!(basic.data_resources[0].r#type.as_deref(), Some("AWS::S3::Object"));
    assert_eq!(basic.include_management_events, Some(true));
    assert_eq!(inv.diagnostics.len(), 3, "{:#?}", inv.diagnostics);
}

// --- WAF, API Gateway, load balancers ---------------------------------------------------------------

#[test]
fn web_acls_rules_and_what_they_protect() {
    let s = Snap::new();
    let acl_arn = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/inference-acl/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
    s.json(
        "us-east-1/wafv2/list-web-acls.json",
        json!({"NextMarker": "Testing", "WebACLs": [
            {"Name": "inference-acl", "Id": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "Description": "", "LockToken": "2294b3a1-eb60-4aa0-a86f-a3ae04329de9", "ARN": acl_arn},
            {"Name": "no-id"}
        ]}),
    )
    .json(
        "global/wafv2/list-web-acls.json",
        json!({"WebACLs": [{"Name": "cdn-acl", "Id": "b1b2c3d4-5678-90ab-cdef-EXAMPLE22222", "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/cdn-acl/b1b2c3d4-5678-90ab-cdef-EXAMPLE22222"}]}),
    )
    .json(
        "us-east-1/wafv2/inference-acl/get-web-acl.json",
        json!({
            "WebACL": {
                "Name": "inference-acl",
                "Id": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
                "ARN": acl_arn,
                "DefaultAction": {"Allow": {}},
                "Description": "",
                "Rules": [
                    {"Name": "AWS-AWSManagedRulesCommonRuleSet", "Priority": 0, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet", "ExcludedRules": [{"Name": "SizeRestrictions_BODY"}]}}, "OverrideAction": {"None": {}}, "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "common"}},
                    {"Name": "AWS-AWSManagedRulesKnownBadInputsRuleSet", "Priority": 1, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}}, "OverrideAction": {"Count": {}}, "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "bad-inputs"}},
                    {"Name": "rate-per-ip", "Priority": 2, "Action": {"Block": {}}, "Statement": {"RateBasedStatement": {"Limit": 1000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP", "ScopeDownStatement": {"ByteMatchStatement": {"SearchString": "L2ludm9jYXRpb25z", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "ENDS_WITH"}}}}, "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "rate"}},
                    {"Name": "testrule01", "Priority": 3, "Action": {"Block": {}}, "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "testrule01"}, "Statement": {"AndStatement": {"Statements": [
                        {"ByteMatchStatement": {"PositionalConstraint": "EXACTLY", "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "SearchString": "dGVzdHN0cmluZw==", "FieldToMatch": {"UriPath": {}}}},
                        {"NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["US"]}}}}
                    ]}}}
                ],
                "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "inference-acl"},
                "Capacity": 1200,
                "ManagedByFirewallManager": false
            },
            "LockToken": "e3db7e2c-d58b-4ee6-8346-6aec5511c6fb"
        }),
    )
    .json(
        "us-east-1/wafv2/inference-acl/list-resources-for-web-acl.json",
        json!({"ResourceArns": ["arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/inference-alb/50dc6c495c0c9188", {"Arn": "wrong shape"}, "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod"]}),
    )
    .json(
        "us-east-1/apigateway/get-rest-apis.json",
        json!({"items": [
            {"id": "a1b2c3d4e5", "name": "fraud-inference", "createdDate": 1709290000, "apiKeySource": "HEADER", "endpointConfiguration": {"types": ["REGIONAL"]}, "disableExecuteApiEndpoint": false, "policy": "{\\\"Version\\\":\\\"2012-10-17\\\"}", "tags": {"team": "ml"}},
            {"name": "no-id"}
        ]}),
    )
    .json(
        "us-east-1/apigateway/a1b2c3d4e5/get-stages.json",
        json!({"item": [
            {"stageName": "prod", "deploymentId": "123h64", "cacheClusterEnabled": false, "lastUpdatedDate": 1456185138, "createdDate": 1453589092, "webAclArn": acl_arn, "tracingEnabled": true,
             "accessLogSettings": {"format": "$context.requestId", "destinationArn": "arn:aws:logs:us-east-1:111122223333:log-group:api-access"},
             "methodSettings": {"*/*": {"metricsEnabled": true, "loggingLevel": "INFO", "dataTraceEnabled": false, "throttlingBurstLimit": 1000, "throttlingRateLimit": 500.0, "cachingEnabled": false, "cacheTtlInSeconds": 300, "cacheDataEncrypted": false}}},
            {"stageName": "dev", "methodSettings": {"*/*": {"throttlingBurstLimit": "lots"}}}
        ]}),
    )
    .json(
        "us-east-1/elbv2/describe-load-balancers.json",
        json!({"LoadBalancers": [
            {"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/inference-alb/50dc6c495c0c9188", "DNSName": "inference-alb-1234567890.us-east-1.elb.amazonaws.com", "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K", "CreatedTime": "2024-01-01T00:00:00Z", "LoadBalancerName": "inference-alb", "Scheme": "internet-facing", "VpcId": "vpc-3ac0fb5f", "State": {"Code": "active"}, "Type": "application", "AvailabilityZones": [{"ZoneName": "us-east-1a", "SubnetId": "subnet-8360a9e7"}, {"ZoneName": "us-east-1b", "SubnetId": "subnet-b7d581c0"}], "SecurityGroups": ["sg-5943793c"], "IpAddressType": "ipv4"}
        ]}),
    )
    .json("us-east-1/elbv2/describe-load-balancers.2.json", json!({"LoadBalancers": [{"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/internal-nlb/1", "Scheme": "internal", "Type": "network"}, {"Scheme": "internal"}]}));
    let inv = s.load();
    let w = &inv.waf;

    let listed: Vec<(&str, &str)> = w.web_acl_list.iter().map(|a| (a.region.as_str(), a.name.as_str())).collect();
    assert_eq!(listed, [("global", "cdn-acl"), ("us-east-1", "inference-acl")]);
    diag(&inv, "us-east-1/wafv2/list-web-acls.json", "$.WebACLs[1]");

    let acl = &w.web_acls[0];
    assert!(acl.default_action.as_ref().unwrap().allow.is_some());
    let groups: Vec<(&str, &str)> = acl.managed_rule_groups().map(|g| (g.vendor_name.as_str(), g.name.as_str())).collect();
    assert_eq!(groups, [("AWS", "AWSManagedRulesCommonRuleSet"), ("AWS", "AWSManagedRulesKnownBadInputsRuleSet")]);
    assert_eq!(acl.rules[0].statement.managed_rule_group_statement.as_ref().unwrap().excluded_rules[0].name, "SizeRestrictions_BODY");
    assert!(!acl.rules[0].only_counts() && acl.rules[1].only_counts());
    let (rule, rate) = acl.rate_based_rules().next().unwrap();
    assert_eq!((rule.name.as_str(), rule.priority, rate.limit, rate.aggregate_key_type.as_deref()), ("rate-per-ip", 2, 1000, Some("IP")));
    assert!(rate.scope_down_statement.as_ref().unwrap().other.contains_key("ByteMatchStatement"));
    let and = acl.rules[3].statement.and_statement.as_ref().unwrap();
    assert!(and.statements[0].other.contains_key("ByteMatchStatement"));
    assert!(and.statements[1].not_statement.as_ref().unwrap().statement.other.contains_key("GeoMatchStatement"));

    let protected: Vec<&str> = w.resources_of(acl).collect();
    assert_eq!(
        protected,
        [
            "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/inference-alb/50dc6c495c0c9188",
            "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod"
        ]
    );
    diag(&inv, "us-east-1/wafv2/inference-acl/list-resources-for-web-acl.json", "$.ResourceArns[1]");

    assert_eq!(w.rest_apis.len(), 1);
    diag(&inv, "us-east-1/apigateway/get-rest-apis.json", "$.items[1]");
    let api = &w.rest_apis[0];
    assert_eq!(api.endpoint_configuration.as_ref().unwrap().types, ["REGIONAL"]);
    assert_eq!(api.tags.get("team").map(String::as_str), Some("ml"));
    let stages: Vec<&str> = w.stages_of(api).map(|s| s.stage_name.as_str()).collect();
    assert_eq!(stages, ["prod"]);
    diag(&inv, "us-east-1/apigateway/a1b2c3d4e5/get-stages.json", "$.item[1].methodSettings.*/*.throttlingBurstLimit");
    let prod = w.stages_of(api).next().unwrap();
    assert_eq!(prod.web_acl_arn.as_deref(), Some(acl_arn));
    assert_eq!(prod.method_settings["*/*"].throttling_rate_limit, Some(500.0));

    let lbs: Vec<(&str, bool)> = w.load_balancers.iter().map(|l| (l.load_balancer_arn.rsplit('/').nth(1).unwrap_or(""), l.is_internet_facing())).collect();
    assert_eq!(lbs, [("inference-alb", true), ("internal-nlb", false)], "pages merge");
    diag(&inv, "us-east-1/elbv2/describe-load-balancers.2.json", "$.LoadBalancers[1]");
    assert_eq!(w.load_balancers[0].availability_zones.len(), 2);
    assert_eq!(inv.diagnostics.len(), 5, "{:#?}", inv.diagnostics);
}

#[test]
fn a_deeply_nested_statement_costs_its_file_not_the_run() {
    // Built as text: the nesting is deeper than serde_json reads (and than a `Value` should hold).
    let depth = 2000;
    let st = format!("{}{{\"GeoMatchStatement\": {{}}}}{}", "{\"NotStatement\": {\"Statement\": ".repeat(depth), "}}".repeat(depth));
    let s = Snap::new();
    s.text(
        "us-east-1/wafv2/deep/get-web-acl.json",
        &format!("{{\"WebACL\": {{\"Name\": \"deep\", \"Id\": \"1\", \"Rules\": [{{\"Name\": \"r\", \"Statement\": {st}}}]}}}}"),
    )
    .json("us-east-1/wafv2/list-web-acls.json", json!({"WebACLs": [{"Name": "deep", "Id": "1"}]}));
    let inv = std::thread::Builder::new().stack_size(2 << 20).spawn(move || s.load()).unwrap().join().unwrap();
    assert!(inv.waf.web_acls.is_empty());
    assert_eq!(inv.waf.web_acl_list.len(), 1);
    assert_eq!(inv.diagnostics.len(), 1, "{:#?}", inv.diagnostics);
    assert!(inv.diagnostics[0].message.contains("recursion limit"), "{}", inv.diagnostics[0]);
}

// --- IAM -------------------------------------------------------------------------------------------

fn trust(service: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
}

#[test]
fn authorization_details_pages_merge_per_listing() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aml-training-data%2F%2A%22%7D%5D%7D";
    let s = Snap::new();
    s.json(
        "global/iam/get-account-authorization-details.json",
        json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "data-scientist", "UserId": "AIDA1234567890EXAMPLE", "Arn": "arn:aws:iam::111122223333:user/data-scientist", "CreateDate": "2024-01-01T00:00:00Z",
                "GroupList": ["ml-team"], "AttachedManagedPolicies": [], "Tags": [],
                "UserPolicyList": [{"PolicyName": "read-training-data", "PolicyDocument": encoded}]
            }],
            "GroupDetailList": [{
                "Path": "/", "GroupName": "ml-team", "GroupId": "AGPA1234567890EXAMPLE", "Arn": "arn:aws:iam::111122223333:group/ml-team", "CreateDate": "2024-01-01T00:00:00Z",
                "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"}]
            }],
            "RoleDetailList": [
                {
                    "AssumeRolePolicyDocument": trust("sagemaker.amazonaws.com"),
                    "RoleId": "AROA1234567890EXAMPLE", "CreateDate": "2024-01-01T00:00:00Z",
                    "InstanceProfileList": [],
                    "RoleName": "SageMakerTraining", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/SageMakerTraining",
                    "RolePolicyList": [{"PolicyName": "artifacts", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::ml-models/*"}]}}],
                    "AttachedManagedPolicies": [{"PolicyName": "ml-boundary", "PolicyArn": "arn:aws:iam::111122223333:policy/ml-boundary"}],
                    "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/ml-boundary"},
                    "Tags": [{"Key": "team", "Value": "ml"}],
                    "RoleLastUsed": {"LastUsedDate": "2024-03-01T12:00:00Z", "Region": "us-east-1"}
                },
                {"RoleName": 12, "Arn": "arn:aws:iam::111122223333:role/broken"}
            ],
            "Policies": [],
            "IsTruncated": true,
            "Marker": "EXAMPLEkakv9BCuUNFDtxWSyfzetYwEx2ADc8dnzfvERF5S6YMvXKx41t6gCl/eeaCX3Jo94/bKqezEAg8TEVS99EKFLxm3jtbpl25FDWEXAMPLE"
        }),
    )
    .json(
        "global/iam/get-account-authorization-details.2.json",
        json!({
            "UserDetailList": [], "GroupDetailList": [],
            "RoleDetailList": [{
                "AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
                "RoleId": "AROA1234567890EXAMPLF", "RoleName": "EC2role", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/EC2role",
                "InstanceProfileList": [{"InstanceProfileId": "AIPA1234567890EXAMPLE", "Roles": [{"RoleName": "EC2role", "Arn": "arn:aws:iam::111122223333:role/EC2role"}], "CreateDate": "2014-07-30T17:09:20Z", "InstanceProfileName": "EC2role", "Path": "/", "Arn": "arn:aws:iam::111122223333:instance-profile/EC2role"}],
                "RolePolicyList": [], "AttachedManagedPolicies": []
            }],
            "Policies": [{
                "PolicyName": "ml-boundary", "DefaultVersionId": "v2", "PolicyId": "ANPA1234567890EXAMPLE", "Path": "/", "Arn": "arn:aws:iam::111122223333:policy/ml-boundary",
                "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 1, "IsAttachable": true, "CreateDate": "2024-01-01T00:00:00Z", "UpdateDate": "2024-02-01T00:00:00Z",
                "PolicyVersionList": [
                    {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2024-01-01T00:00:00Z"},
                    {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::ml-*/*"}]}, "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": "2024-02-01T00:00:00Z"}
                ]
            }],
            "IsTruncated": false
        }),
    )
    // IAM is global: a copy under a region folder is read, with a warning.
    .json("us-east-1/iam/get-account-authorization-details.json", json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}));
    let inv = s.load();
    let iam = &inv.iam;

    let roles: Vec<&str> = iam.roles.iter().map(|r| r.role_name.as_str()).collect();
    assert_eq!(roles, ["SageMakerTraining", "EC2role"], "pages merge, the bad role is skipped");
    diag(&inv, "global/iam/get-account-authorization-details.json", "$.RoleDetailList[1].RoleName");
    let w = diag(&inv, "us-east-1/iam/get-account-authorization-details.json", "");
    assert!(w.message.contains("global"), "{w}");
    assert_eq!(inv.diagnostics.len(), 2, "{:#?}", inv.diagnostics);

    let training = iam.role("arn:aws:iam::111122223333:role/SageMakerTraining").unwrap();
    assert_eq!(training.assume_role_policy_document, trust("sagemaker.amazonaws.com"));
    assert_eq!(training.role_policy_list[0].policy_document["Statement"][0]["Resource"], "arn:aws:s3:::ml-models/*");
    assert_eq!(training.permissions_boundary.as_ref().unwrap().permissions_boundary_arn, "arn:aws:iam::111122223333:policy/ml-boundary");
    assert_eq!(training.attached_managed_policies[0].policy_arn, "arn:aws:iam::111122223333:policy/ml-boundary");
    assert_eq!(mlguard_snapshot::ec2::tag(&training.tags, "team"), Some("ml"));
    assert_eq!(iam.roles[1].instance_profile_list[0].instance_profile_name, "EC2role");

    assert_eq!(iam.users[0].user_policy_list[0].policy_document, Value::String(encoded.to_string()), "URL-encoded documents are kept as strings");
    assert_eq!(iam.users[0].group_list, ["ml-team"]);
    assert_eq!(iam.groups[0].attached_managed_policies[0].policy_name.as_deref(), Some("AmazonSageMakerFullAccess"));

    let boundary = iam.policy("arn:aws:iam::111122223333:policy/ml-boundary").unwrap();
    assert_eq!(boundary.default_document().unwrap()["Statement"][0]["Resource"], "arn:aws:s3:::ml-*/*");
    assert_eq!(boundary.policy_version_list.len(), 2);
    assert_eq!(boundary.region, "global");
}

#[test]
fn a_broken_authorization_details_page_is_reported_once() {
    let s = Snap::new();
    s.text("global/iam/get-account-authorization-details.json", "{\"RoleDetailList\": [").json(
        "global/iam/get-account-authorization-details.2.json",
        json!({"RoleDetailList": [{"RoleName": "ok", "Arn": "arn:aws:iam::111122223333:role/ok"}], "Policies": {"not": "a list"}}),
    );
    let inv = s.load();
    assert_eq!(inv.iam.roles.len(), 1);
    let first: Vec<&Diagnostic> = inv.diagnostics.iter().filter(|d| d.file.ends_with("details.json")).collect();
    assert_eq!(first.len(), 1, "{first:#?}");
    assert!(first[0].message.contains("malformed JSON"), "{}", first[0]);
    let second = diag(&inv, "global/iam/get-account-authorization-details.2.json", "");
    assert!(second.message.contains("`Policies`"), "{second}");
}

// --- Every new listing ---------------------------------------------------------------------------

/// For each new listing: a good element and a malformed one (a number) are kept and skipped.
#[test]
fn every_new_listing_skips_a_malformed_element_and_keeps_the_rest() {
    type Count = fn(&Inventory) -> usize;
    let cases: &[(&str, &str, Value, Count)] = &[
        ("s3/list-buckets", "Buckets", json!({"Name": "b"}), |i| i.s3.buckets.len()),
        ("sagemaker/list-notebook-instances", "NotebookInstances", json!({"NotebookInstanceName": "n", "NotebookInstanceArn": "arn:n"}), |i| {
            i.sagemaker.notebook_instance_list.len()
        }),
        (
            "sagemaker/list-training-jobs",
            "TrainingJobSummaries",
            json!({"TrainingJobName": "t", "TrainingJobArn": "arn:t", "TrainingJobStatus": "Completed"}),
            |i| i.sagemaker.training_job_list.len(),
        ),
        ("sagemaker/list-processing-jobs", "ProcessingJobSummaries", json!({"ProcessingJobName": "p", "ProcessingJobArn": "arn:p"}), |i| {
            i.sagemaker.processing_job_list.len()
        }),
        ("sagemaker/list-models", "Models", json!({"ModelName": "m", "ModelArn": "arn:m"}), |i| i.sagemaker.model_list.len()),
        ("sagemaker/list-endpoint-configs", "EndpointConfigs", json!({"EndpointConfigName": "c", "EndpointConfigArn": "arn:c"}), |i| {
            i.sagemaker.endpoint_config_list.len()
        }),
        ("sagemaker/list-endpoints", "Endpoints", json!({"EndpointName": "e", "EndpointArn": "arn:e"}), |i| i.sagemaker.endpoint_list.len()),
        ("sagemaker/list-domains", "Domains", json!({"DomainId": "d-1", "DomainName": "studio"}), |i| i.sagemaker.domain_list.len()),
        ("sagemaker/list-model-package-groups", "ModelPackageGroupSummaryList", json!({"ModelPackageGroupName": "g", "ModelPackageGroupArn": "arn:g"}), |i| {
            i.sagemaker.model_package_groups.len()
        }),
        ("sagemaker/list-monitoring-schedules", "MonitoringScheduleSummaries", json!({"MonitoringScheduleName": "s", "MonitoringScheduleArn": "arn:s"}), |i| {
            i.sagemaker.monitoring_schedule_list.len()
        }),
        ("sagemaker/g/list-model-packages", "ModelPackageSummaryList", json!({"ModelPackageArn": "arn:p/1"}), |i| i.sagemaker.model_package_summaries.len()),
        ("guardduty/list-detectors", "DetectorIds", json!("d1"), |i| i.detection.guardduty_detector_ids.len()),
        ("macie2/list-classification-jobs", "items", json!({"jobId": "j"}), |i| i.detection.macie_classification_jobs.len()),
        ("cloudtrail/describe-trails", "trailList", json!({"Name": "t"}), |i| i.detection.trails.len()),
        ("wafv2/list-web-acls", "WebACLs", json!({"Name": "a", "Id": "1"}), |i| i.waf.web_acl_list.len()),
        ("wafv2/a/list-resources-for-web-acl", "ResourceArns", json!("arn:r"), |i| i.waf.web_acl_resources.len()),
        ("apigateway/get-rest-apis", "items", json!({"id": "api"}), |i| i.waf.rest_apis.len()),
        ("apigateway/api/get-stages", "item", json!({"stageName": "prod"}), |i| i.waf.stages.len()),
        ("elbv2/describe-load-balancers", "LoadBalancers", json!({"LoadBalancerArn": "arn:lb"}), |i| i.waf.load_balancers.len()),
    ];
    for (rel, key, good, count) in cases {
        let s = Snap::new();
        let file = format!("us-east-1/{rel}.json");
        s.json(&file, json!({ *key: [good, 7, good] }));
        let inv = s.load();
        assert_eq!(count(&inv), 2, "{rel}: {:#?}", inv.diagnostics);
        assert_eq!(inv.diagnostics.len(), 1, "{rel}: {:#?}", inv.diagnostics);
        assert_eq!(diag(&inv, &file, &format!("$.{key}[1]")).level, mlguard_core::diag::Level::Warning);
    }
}
