//! SageMaker settings of the ML compute itself (`SM-001` … `SM-006`): notebook root access,
//! placement in a customer VPC, customer managed KMS keys for ML storage volumes and job
//! outputs, inter-container traffic encryption of distributed jobs and container network
//! isolation.
//!
//! Each control reads the `describe-*` answers of notebook instances, training jobs,
//! processing jobs, models and Studio domains. A field missing from an answer is read as the
//! default the SageMaker API reference gives for it (cited on each control): `RootAccess`
//! defaults to `Enabled`, `AppNetworkAccessType` to `PublicInternetOnly`,
//! `EnableInterContainerTrafficEncryption` and `EnableNetworkIsolation` to `false`, and a
//! missing or empty KMS key means SageMaker uses an AWS managed key. Where the answer does not
//! hold what a control needs (no instance count, no instance type, no output configuration),
//! the control is reported as not evaluated for that resource, never passed. A resource that a
//! `list-*` call names but whose `describe-*` answer is missing is reported as not evaluated too.
//!
//! Internet egress from ML compute is `NET-006` (layer 1) and is not repeated here: `SM-002`
//! is about where the compute is placed (your VPC, its security groups, flow logs and endpoint
//! policies) whether or not a path to the internet exists, and `SM-006` about the container's
//! own network access, which includes AWS APIs through VPC endpoints that `NET-006` does not
//! count as egress.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::sagemaker::{Domain, Model, NotebookInstance, ProcessingJob, TrainingJob};
use mlguard_snapshot::{Inventory, Located};
use serde_json::json;

const SM_ENCRYPTION_AT_REST: (&str, &str) = ("Protect data at rest using encryption", "https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest.html");
const SM_VPC: (&str, &str) = ("Give SageMaker access to resources in your Amazon VPC", "https://docs.aws.amazon.com/sagemaker/latest/dg/infrastructure-give-access.html");
const API_CREATE_TRAINING_JOB: (&str, &str) = ("CreateTrainingJob API reference", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html");
const API_NETWORK_CONFIG: (&str, &str) = ("NetworkConfig API reference (processing jobs)", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_NetworkConfig.html");

pub const SM_001: RuleDoc = RuleDoc {
    id: "SM-001",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "SageMaker notebook instance gives its users root access",
    what: "Checks that every notebook instance has `RootAccess` `Disabled`. An answer without `RootAccess` is read as `Enabled`, the API default.",
    why: "A notebook user with root can change the instance's software, read every user's files and credentials cached on it, and tamper with the tooling that prepares data and models; everything the notebook's execution role may do is then one `sudo` away for whoever holds the notebook session.",
    example: "`describe-notebook-instance` shows `\"RootAccess\": \"Enabled\"` (or no `RootAccess` at all).",
    remediation: "Set root access to Disabled (`aws sagemaker update-notebook-instance --root-access Disabled` while the instance is stopped), and install what users need through a reviewed lifecycle configuration, which still runs as root.",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[
        ("Control root access to a SageMaker notebook instance", "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-root-access.html"),
        ("CreateNotebookInstance API reference (RootAccess defaults to Enabled)", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstance.html"),
    ],
};

pub const SM_002: RuleDoc = RuleDoc {
    id: "SM-002",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "SageMaker ML compute not placed in a customer VPC",
    what: "Checks that notebook instances have a `SubnetId`, training jobs and models a `VpcConfig`, processing jobs a `NetworkConfig.VpcConfig`, and Studio domains `AppNetworkAccessType` `VpcOnly` (an answer without it is read as `PublicInternetOnly`, the API default). Unlike NET-006, it reports the placement whether or not a path to the internet exists: a job in network isolation without a VPC has no egress but is still outside your network controls.",
    why: "Compute outside your VPC talks through a network SageMaker manages: your security groups, network ACLs, VPC endpoint policies and flow logs do not apply to it, so its traffic to data and models can be neither restricted nor recorded.",
    example: "A processing job whose `NetworkConfig` has no `VpcConfig`; a Studio domain with `\"AppNetworkAccessType\": \"PublicInternetOnly\"`.",
    remediation: "Create notebooks with `--subnet-id` and security groups, give jobs and models a `VpcConfig` of private subnets with VPC endpoints for the AWS services they use, and set Studio domains to `VpcOnly` (`aws sagemaker update-domain --app-network-access-type VpcOnly` once all apps are deleted).",
    well_architected: "SEC05-BP01 Create network layers",
    docs: &[
        SM_VPC,
        ("VpcConfig API reference", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VpcConfig.html"),
        ("CreateDomain API reference (AppNetworkAccessType defaults to PublicInternetOnly)", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html"),
        ("Connect a notebook instance in a VPC to external resources", "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html"),
    ],
};

pub const SM_003: RuleDoc = RuleDoc {
    id: "SM-003",
    severity: Severity::Low,
    practice: Practice::Posture,
    title: "SageMaker ML storage volume not encrypted with a customer managed KMS key",
    what: "Checks that notebook instances have a `KmsKeyId`, training jobs a `ResourceConfig.VolumeKmsKeyId` and processing jobs a `ProcessingResources.ClusterConfig.VolumeKmsKeyId`. Studio domains are checked for a `KmsKeyId` (the key of their EFS volume). Instance types with local NVMe instance storage (`ml.p4d`, `ml.g5`, `ml.m5d`, …) are exempt for jobs: their volumes are encrypted by a hardware module and the API refuses a volume key for them.",
    why: "Without a key of your own, the volume is encrypted with the AWS managed key for EBS, whose key policy lets any principal of the account that may use EBS decrypt through it: you cannot restrict, audit separately or revoke access to the notebooks, datasets and checkpoints on the volume.",
    example: "`describe-notebook-instance` without `KmsKeyId`; a training job on `ml.m5.2xlarge` whose `ResourceConfig` has no `VolumeKmsKeyId`.",
    remediation: "Create the notebook or job with a customer managed key (`--kms-key-id` for notebooks, `ResourceConfig.VolumeKmsKeyId` or `ClusterConfig.VolumeKmsKeyId` for jobs), with a key policy that grants only the execution roles; enforce it with the `sagemaker:VolumeKmsKey` condition key in an SCP or IAM policy.",
    well_architected: "SEC08-BP01 Implement secure key management",
    docs: &[
        SM_ENCRYPTION_AT_REST,
        ("ResourceConfig API reference (VolumeKmsKeyId and local storage)", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceConfig.html"),
        ("ProcessingClusterConfig API reference", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingClusterConfig.html"),
    ],
};

pub const SM_004: RuleDoc = RuleDoc {
    id: "SM-004",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "SageMaker job output not encrypted with a customer managed KMS key",
    what: "Checks that training jobs have an `OutputDataConfig.KmsKeyId` and processing jobs with outputs a `ProcessingOutputConfig.KmsKeyId` (a missing or empty key counts as none).",
    why: "Without a key, SageMaker writes model artifacts and processed datasets with the account's default AWS managed key for S3, which any principal allowed to read the objects can use: encryption adds no permission of its own, and the artifacts cannot be protected by a key policy or crypto-shredded.",
    example: "A training job with `\"OutputDataConfig\": {\"KmsKeyId\": \"\", \"S3OutputPath\": \"s3://…/models/\"}`.",
    remediation: "Pass a customer managed key as `OutputDataConfig.KmsKeyId` (training) or `ProcessingOutputConfig.KmsKeyId` (processing), grant `kms:GenerateDataKey`/`kms:Decrypt` only to the roles that write and serve the artifacts, and require it with the `sagemaker:OutputKmsKey` condition key.",
    well_architected: "SEC08-BP01 Implement secure key management",
    docs: &[
        SM_ENCRYPTION_AT_REST,
        ("OutputDataConfig API reference (without KmsKeyId, the default KMS key for S3 is used)", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_OutputDataConfig.html"),
        ("ProcessingOutputConfig API reference", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingOutputConfig.html"),
    ],
};

pub const SM_005: RuleDoc = RuleDoc {
    id: "SM-005",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "Distributed SageMaker job without inter-container traffic encryption",
    what: "Checks that every training job with `ResourceConfig.InstanceCount` above 1 and every processing job with `ClusterConfig.InstanceCount` above 1 has `EnableInterContainerTrafficEncryption` true (an answer without it is read as false, the API default). Single-instance jobs are not reported: AWS states the setting does not affect them, so a finding there would be noise. A job whose instance count is not in the answer (for example a heterogeneous cluster) is reported as not evaluated.",
    why: "Distributed training exchanges gradients and weights between instances in plain text; anyone who can capture traffic in the subnet (a compromised neighbour, traffic mirroring) can reconstruct or alter the model.",
    example: "A training job on two `ml.m5.2xlarge` instances with `\"EnableInterContainerTrafficEncryption\": false`.",
    remediation: "Set `EnableInterContainerTrafficEncryption` (training) or `NetworkConfig.EnableInterContainerTrafficEncryption` (processing) to true, allow UDP 500 and protocol 50 (ESP) within the job's security group, and require it with the `sagemaker:InterContainerTrafficEncryption` condition key.",
    well_architected: "SEC09-BP02 Enforce encryption in transit",
    docs: &[
        ("Protect communications between ML compute instances in a distributed training job", "https://docs.aws.amazon.com/sagemaker/latest/dg/train-encrypt.html"),
        API_CREATE_TRAINING_JOB,
        API_NETWORK_CONFIG,
    ],
};

pub const SM_006: RuleDoc = RuleDoc {
    id: "SM-006",
    severity: Severity::Low,
    practice: Practice::Posture,
    title: "SageMaker container without network isolation",
    what: "Checks that training jobs, processing jobs (`NetworkConfig.EnableNetworkIsolation`) and models have network isolation on (an answer without it is read as false, the API default). It is not NET-006: NET-006 reports a network path to the internet, while this control reports that the container itself may open connections at all, including to AWS APIs through VPC endpoints and to other hosts of the VPC, which a private subnet with endpoints still allows.",
    why: "A container with network access can use the execution role's credentials to send training data or model weights to any bucket reachable through the S3 endpoint, pull code at run time, or reach other workloads; third-party algorithms and models are the ML supply chain's untrusted code. With isolation, SageMaker itself moves the inputs and outputs and the container has no network.",
    example: "A model (`describe-model`) with `\"EnableNetworkIsolation\": false`, running a third-party inference image.",
    remediation: "Create the job or model with `EnableNetworkIsolation` true (models and jobs must be recreated); where a container really needs network access, keep it in a VPC with restrictive VPC endpoint policies and record why with a suppression in `mlguard.toml`.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[
        ("Training and inference containers in network isolation mode", "https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html"),
        API_CREATE_TRAINING_JOB,
        API_NETWORK_CONFIG,
        ("CreateModel API reference", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html"),
    ],
};

pub const SM_007: RuleDoc = RuleDoc {
    id: "SM-007",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "SageMaker notebook instance serves IMDSv1",
    what: "Checks that notebook instances have `InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion` `2` (an answer without it is read as `1`, the CreateNotebookInstance default, which serves IMDSv1 and IMDSv2).",
    why: "A notebook runs arbitrary code and fetches arbitrary URLs; with IMDSv1, a server-side request forgery in anything it runs (a plotting library loading a URL, a crafted dataset) returns the execution role's credentials with a single GET. IMDSv2's session token stops that class of request.",
    example: "`describe-notebook-instance` with `\"InstanceMetadataServiceConfiguration\": {\"MinimumInstanceMetadataServiceVersion\": \"1\"}` or without the field.",
    remediation: "`aws sagemaker update-notebook-instance --notebook-instance-name NAME --instance-metadata-service-configuration MinimumInstanceMetadataServiceVersion=2`, and require it with the `sagemaker:MinimumInstanceMetadataServiceVersion` condition key.",
    well_architected: "SEC06-BP02 Reduce attack surface",
    docs: &[
        ("InstanceMetadataServiceConfiguration API reference (defaults to IMDSv1)", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InstanceMetadataServiceConfiguration.html"),
        ("Use instance metadata service v2 (IMDSv2)", "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html"),
    ],
};

/// The SageMaker-settings controls.
pub static RULES: &[&RuleDoc] = &[&SM_001, &SM_002, &SM_003, &SM_004, &SM_005, &SM_006, &SM_007];

const NOTEBOOK: &str = "AwsSageMakerNotebookInstance";
const OTHER: &str = "Other";

/// ML instance families with local NVMe instance storage: their volumes are encrypted by a
/// hardware module and SageMaker refuses a `VolumeKmsKeyId` for them.
const LOCAL_STORAGE_FAMILIES: &[&str] = &[
    "m5d", "m6id", "c5d", "c6id", "r5d", "r6id", "g4dn", "g5", "g6", "g6e", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2",
];

/// Whether `ml.<family>.<size>` has local instance storage.
pub fn has_local_storage(instance_type: &str) -> bool {
    let family = instance_type.strip_prefix("ml.").unwrap_or(instance_type).split('.').next().unwrap_or("");
    LOCAL_STORAGE_FAMILIES.contains(&family)
}

/// A KMS key that is set (the CLI prints `""` for none in some answers).
fn key(k: Option<&String>) -> Option<&str> {
    k.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn finding<T>(rule: &RuleDoc, at: &Located<T>, arn: &str, kind: &str, title: String, description: String, evidence: serde_json::Value) -> Finding {
    let mut ev = evidence;
    if let Some(o) = ev.as_object_mut() {
        o.insert("file".into(), json!(at.file));
    }
    Finding::from_rule(rule, title).resource(arn, kind).location(&at.account, &at.region).description(description).evidence(ev)
}

fn not_evaluated<T>(notes: &mut Vec<Diagnostic>, at: &Located<T>, path: &str, message: String) {
    notes.push(Diagnostic::warning(&at.file, path, message));
}

/// Runs SM-001 … SM-006 over every notebook instance, training job, processing job, model and
/// Studio domain.
pub fn check(inv: &Inventory, _cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let sm = &inv.sagemaker;
    for n in &sm.notebook_instances {
        notebook(n, out);
    }
    for j in &sm.training_jobs {
        training(j, out, notes);
    }
    for j in &sm.processing_jobs {
        processing(j, out, notes);
    }
    for m in &sm.models {
        model(m, out);
    }
    for d in &sm.domains {
        domain(d, out);
    }
    missing_describes(inv, notes);
}

fn notebook(n: &Located<NotebookInstance>, out: &mut Vec<Finding>) {
    let name = &n.notebook_instance_name;
    let arn = &n.notebook_instance_arn;
    let imds = n.instance_metadata_service_configuration.as_ref().and_then(|c| c.minimum_instance_metadata_service_version.as_deref());
    if imds != Some("2") {
        out.push(finding(
            &SM_007,
            n,
            arn,
            NOTEBOOK,
            format!("notebook instance `{name}` serves IMDSv1"),
            format!("Notebook instance {name} has minimum IMDS version {}: code in it can read the execution role's credentials without a session token.", imds.map(|v| v.to_string()).unwrap_or_else(|| "not set (1 by default)".into())),
            json!({ "minimum_instance_metadata_service_version": imds }),
        ));
    }
    // RootAccess defaults to Enabled (CreateNotebookInstance).
    let root = n.root_access.as_deref().unwrap_or("Enabled");
    if !root.eq_ignore_ascii_case("Disabled") {
        out.push(finding(
            &SM_001,
            n,
            arn,
            NOTEBOOK,
            format!("notebook instance `{name}` gives its users root access"),
            format!(
                "Notebook instance {name} has RootAccess {}: every user of the notebook can become root on it.",
                n.root_access.as_deref().map(|r| r.to_string()).unwrap_or_else(|| "not set (Enabled by default)".into())
            ),
            json!({ "root_access": n.root_access }),
        ));
    }
    if n.subnet_id.as_deref().map(str::trim).unwrap_or("").is_empty() {
        out.push(finding(
            &SM_002,
            n,
            arn,
            NOTEBOOK,
            format!("notebook instance `{name}` is not in a VPC"),
            format!("Notebook instance {name} has no SubnetId: it runs only in the network SageMaker manages, outside your security groups, endpoint policies and flow logs."),
            json!({ "subnet_id": n.subnet_id, "direct_internet_access": n.direct_internet_access }),
        ));
    }
    if key(n.kms_key_id.as_ref()).is_none() {
        out.push(finding(
            &SM_003,
            n,
            arn,
            NOTEBOOK,
            format!("notebook instance `{name}` storage volume has no customer managed KMS key"),
            format!("Notebook instance {name} has no KmsKeyId: its ML storage volume is encrypted with the AWS managed key."),
            json!({ "kms_key_id": n.kms_key_id }),
        ));
    }
}

fn training(j: &Located<TrainingJob>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let name = &j.training_job_name;
    let arn = &j.training_job_arn;
    if j.vpc_config.is_none() {
        out.push(finding(
            &SM_002,
            j,
            arn,
            OTHER,
            format!("training job `{name}` is not in a VPC"),
            format!("Training job {name} has no VpcConfig: its containers run in the network SageMaker manages, outside your security groups, endpoint policies and flow logs (network isolation {}).", on_off(j.enable_network_isolation)),
            json!({ "vpc_config": null, "enable_network_isolation": j.enable_network_isolation }),
        ));
    }
    let rc = j.resource_config.as_ref();
    volume_key(j, arn, "training job", name, "ResourceConfig", rc.and_then(|r| r.volume_kms_key_id.as_ref()), rc.and_then(|r| r.instance_type.as_deref()), out, notes);
    match j.output_data_config.as_ref() {
        None => not_evaluated(notes, j, "$.OutputDataConfig", format!("SM-004 not evaluated for training job `{name}`: missing OutputDataConfig")),
        Some(o) if key(o.kms_key_id.as_ref()).is_none() => out.push(finding(
            &SM_004,
            j,
            arn,
            OTHER,
            format!("training job `{name}` writes its model without a customer managed KMS key"),
            format!(
                "Training job {name} has no OutputDataConfig.KmsKeyId: the model artifacts{} are encrypted with the account's default AWS managed key for S3.",
                o.s3_output_path.as_deref().map(|p| format!(" under {p}")).unwrap_or_default()
            ),
            json!({ "s3_output_path": o.s3_output_path, "kms_key_id": o.kms_key_id }),
        )),
        Some(_) => {}
    }
    // EnableInterContainerTrafficEncryption defaults to false (CreateTrainingJob).
    let why = "EnableInterContainerTrafficEncryption false: gradients and weights cross the network in plain text";
    inter_container(j, arn, "training job", name, rc.and_then(|r| r.instance_count), j.enable_inter_container_traffic_encryption, "$.ResourceConfig.InstanceCount", why, out, notes);
    if !j.enable_network_isolation {
        out.push(isolation_finding(j, arn, "training job", name, j.vpc_config.is_some()));
    }
}

fn processing(j: &Located<ProcessingJob>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let name = &j.processing_job_name;
    let arn = &j.processing_job_arn;
    let nc = j.network_config.clone().unwrap_or_default();
    if nc.vpc_config.is_none() {
        out.push(finding(
            &SM_002,
            j,
            arn,
            OTHER,
            format!("processing job `{name}` is not in a VPC"),
            format!("Processing job {name} has no NetworkConfig.VpcConfig: its containers run in the network SageMaker manages, outside your security groups, endpoint policies and flow logs (network isolation {}).", on_off(nc.enable_network_isolation)),
            json!({ "vpc_config": null, "enable_network_isolation": nc.enable_network_isolation }),
        ));
    }
    let cc = j.processing_resources.as_ref().and_then(|r| r.cluster_config.as_ref());
    volume_key(j, arn, "processing job", name, "ProcessingResources.ClusterConfig", cc.and_then(|c| c.volume_kms_key_id.as_ref()), cc.and_then(|c| c.instance_type.as_deref()), out, notes);
    // A job without outputs writes nothing for SM-004 to protect.
    if let Some(oc) = j.processing_output_config.as_ref().filter(|c| !c.outputs.is_empty()) {
        if key(oc.kms_key_id.as_ref()).is_none() {
            let uris: Vec<&str> = j.output_s3_uris().collect();
            out.push(finding(
                &SM_004,
                j,
                arn,
                OTHER,
                format!("processing job `{name}` writes its outputs without a customer managed KMS key"),
                format!("Processing job {name} has no ProcessingOutputConfig.KmsKeyId: its outputs ({}) are encrypted with the account's default AWS managed key for S3.", uris.join(", ")),
                json!({ "outputs": uris, "kms_key_id": oc.kms_key_id }),
            ));
        }
    }
    let why = "NetworkConfig.EnableInterContainerTrafficEncryption false: data exchanged between them crosses the network in plain text";
    inter_container(j, arn, "processing job", name, cc.and_then(|c| c.instance_count), nc.enable_inter_container_traffic_encryption, "$.ProcessingResources.ClusterConfig.InstanceCount", why, out, notes);
    if !nc.enable_network_isolation {
        out.push(isolation_finding(j, arn, "processing job", name, nc.vpc_config.is_some()));
    }
}

fn model(m: &Located<Model>, out: &mut Vec<Finding>) {
    let name = &m.model_name;
    let arn = &m.model_arn;
    if m.vpc_config.is_none() {
        out.push(finding(
            &SM_002,
            m,
            arn,
            OTHER,
            format!("model `{name}` is not in a VPC"),
            format!("Model {name} has no VpcConfig: the endpoints and batch transforms that run it are outside your security groups, endpoint policies and flow logs (network isolation {}).", on_off(m.enable_network_isolation)),
            json!({ "vpc_config": null, "enable_network_isolation": m.enable_network_isolation }),
        ));
    }
    if !m.enable_network_isolation {
        out.push(isolation_finding(m, arn, "model", name, m.vpc_config.is_some()));
    }
}

fn domain(d: &Located<Domain>, out: &mut Vec<Finding>) {
    // AppNetworkAccessType defaults to PublicInternetOnly (CreateDomain).
    let mode = d.app_network_access_type.as_deref().unwrap_or("PublicInternetOnly");
    if mode != "VpcOnly" {
        let name = d.domain_name.as_deref().unwrap_or(&d.domain_id);
        out.push(finding(
            &SM_002,
            d,
            &d.domain_arn,
            OTHER,
            format!("Studio domain `{name}` is not VPC-only"),
            format!(
                "Studio domain {name} ({}) has AppNetworkAccessType {}: apart from its EFS traffic, its apps use the network SageMaker manages, outside your security groups, endpoint policies and flow logs.",
                d.domain_id,
                d.app_network_access_type.as_deref().map(|m| m.to_string()).unwrap_or_else(|| "not set (PublicInternetOnly by default)".into())
            ),
            json!({ "app_network_access_type": d.app_network_access_type, "vpc_id": d.vpc_id }),
        ));
    }
    if key(d.kms_key_id.as_ref()).is_none() {
        let name = d.domain_name.as_deref().unwrap_or(&d.domain_id);
        out.push(finding(
            &SM_003,
            d,
            &d.domain_arn,
            OTHER,
            format!("Studio domain `{name}` EFS volume has no customer managed KMS key"),
            format!("Studio domain {name} ({}) has no KmsKeyId: the EFS volume holding its users' home directories, notebooks and data is encrypted with the AWS managed key.", d.domain_id),
            json!({ "kms_key_id": d.kms_key_id }),
        ));
    }
}

/// SM-003 for one job's storage volumes: a customer managed key, unless the instance type has
/// local storage (which takes no key); without an instance type the job is not evaluated.
#[allow(clippy::too_many_arguments)]
fn volume_key<T>(j: &Located<T>, arn: &str, kind: &str, name: &str, config: &str, kms: Option<&String>, instance_type: Option<&str>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let field = config.rsplit('.').next().unwrap_or(config);
    match (key(kms), instance_type) {
        (Some(_), _) => {}
        (None, Some(t)) if has_local_storage(t) => {}
        (None, Some(t)) => out.push(finding(
            &SM_003,
            j,
            arn,
            OTHER,
            format!("{kind} `{name}` storage volumes have no customer managed KMS key"),
            format!("{} {name} runs on {t} (EBS storage) without {field}.VolumeKmsKeyId: its volumes are encrypted with the AWS managed key.", capitalised(kind)),
            json!({ "instance_type": t, "volume_kms_key_id": null }),
        )),
        (None, None) => not_evaluated(notes, j, &format!("$.{config}.InstanceType"), format!("SM-003 not evaluated for {kind} `{name}`: no VolumeKmsKeyId and no instance type to tell whether it has local storage")),
    }
}

/// SM-005 for one job: only distributed jobs need it (EnableInterContainerTrafficEncryption
/// defaults to false); without an instance count the job is not evaluated.
#[allow(clippy::too_many_arguments)]
fn inter_container<T>(j: &Located<T>, arn: &str, kind: &str, name: &str, count: Option<i64>, encrypted: bool, count_path: &str, why: &str, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    match count {
        Some(n) if n > 1 && !encrypted => out.push(finding(
            &SM_005,
            j,
            arn,
            OTHER,
            format!("distributed {kind} `{name}` does not encrypt traffic between its {n} instances"),
            format!("{} {name} runs on {n} instances with {why}.", capitalised(kind)),
            json!({ "instance_count": n, "enable_inter_container_traffic_encryption": false }),
        )),
        Some(_) => {}
        None if encrypted => {}
        None => not_evaluated(notes, j, count_path, format!("SM-005 not evaluated for {kind} `{name}`: no instance count to tell whether it is distributed")),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn isolation_finding<T>(at: &Located<T>, arn: &str, kind: &str, name: &str, in_vpc: bool) -> Finding {
    finding(
        &SM_006,
        at,
        arn,
        OTHER,
        format!("{kind} `{name}` runs without network isolation"),
        format!(
            "The containers of {kind} {name} may open network connections{}: with the execution role's credentials they can reach AWS APIs and any destination the network allows.",
            if in_vpc { " from its VPC subnets" } else { " through SageMaker's network" }
        ),
        json!({ "enable_network_isolation": false, "in_vpc": in_vpc }),
    )
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Resources a `list-*` call names whose `describe-*` answer is missing: not evaluated.
fn missing_describes(inv: &Inventory, notes: &mut Vec<Diagnostic>) {
    let sm = &inv.sagemaker;
    let has = |acct: &str, region: &str, name: &str, call: &str| match call {
        "describe-notebook-instance" => sm.notebook_instances.iter().any(|n| n.account == acct && n.region == region && n.notebook_instance_name == name),
        "describe-training-job" => sm.training_jobs.iter().any(|j| j.account == acct && j.region == region && j.training_job_name == name),
        "describe-processing-job" => sm.processing_jobs.iter().any(|j| j.account == acct && j.region == region && j.processing_job_name == name),
        "describe-model" => sm.models.iter().any(|m| m.account == acct && m.region == region && m.model_name == name),
        _ => sm.domains.iter().any(|d| d.account == acct && d.region == region && d.domain_id == name),
    };
    let mut push = |acct: &str, region: &str, file: &str, name: &str, kind: &str, call: &str, rules: &str| {
        if !has(acct, region, name, call) {
            notes.push(Diagnostic::warning(file, "", format!("{rules} not evaluated for {kind} `{name}`: missing {call}")));
        }
    };
    for s in &sm.notebook_instance_list {
        push(&s.account, &s.region, &s.file, &s.notebook_instance_name, "notebook instance", "describe-notebook-instance", "SM-001…SM-003");
    }
    for s in &sm.training_job_list {
        push(&s.account, &s.region, &s.file, &s.training_job_name, "training job", "describe-training-job", "SM-002…SM-006");
    }
    for s in &sm.processing_job_list {
        push(&s.account, &s.region, &s.file, &s.processing_job_name, "processing job", "describe-processing-job", "SM-002…SM-006");
    }
    for s in &sm.model_list {
        push(&s.account, &s.region, &s.file, &s.model_name, "model", "describe-model", "SM-002, SM-006");
    }
    for s in &sm.domain_list {
        push(&s.account, &s.region, &s.file, &s.domain_id, "Studio domain", "describe-domain", "SM-002");
    }
}

#[cfg(test)]
mod tests {
    use super::has_local_storage;

    #[test]
    fn instance_types_with_local_storage() {
        assert!(has_local_storage("ml.p4d.24xlarge"));
        assert!(has_local_storage("ml.g5.2xlarge"));
        assert!(has_local_storage("ml.m5d.large"));
        assert!(!has_local_storage("ml.m5.2xlarge"));
        assert!(!has_local_storage("ml.t3.medium"));
        assert!(!has_local_storage(""));
    }
}
