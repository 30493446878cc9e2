//! Data in use (`ENC-001`): EC2 instances that process sensitive data run with Nitro Enclaves
//! enabled, so keys and plaintext can be confined to an attested enclave.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::ec2::tag;
use mlguard_snapshot::Inventory;
use serde_json::json;

pub const ENC_001: RuleDoc = RuleDoc {
    id: "ENC-001",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "Instance processing sensitive data without Nitro Enclaves",
    what: "For every running EC2 instance whose data-classification tag (`mlguard.toml` `data.classification_tag`, default `data-classification`) has a sensitive value (`data.sensitive_values`), checks that `EnclaveOptions.Enabled` is true.",
    why: "Data in use is the layer encryption at rest and in transit does not cover; an enclave isolates decryption keys and plaintext from the parent instance's users, processes and administrators, and keys can be released only to an attested enclave.",
    example: "A `g5.xlarge` tagged `data-classification=confidential` with `EnclaveOptions: {Enabled: false}`.",
    remediation: "Launch the instance with `--enclave-options Enabled=true` (a supported Nitro instance type) and move the processing of sensitive records into the enclave; release KMS keys only to its attested measurements.",
    well_architected: "SEC08-BP01 Implement secure key management",
    docs: &[("What is AWS Nitro Enclaves?", "https://docs.aws.amazon.com/enclaves/latest/user/nitro-enclave.html")],
};

pub static RULES: &[&RuleDoc] = &[&ENC_001];

/// Runs ENC-001.
pub fn check(inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, _notes: &mut Vec<Diagnostic>) {
    let data = &cfg.data;
    for i in &inv.ec2.instances {
        let state = i.state.as_ref().and_then(|s| s.name.as_deref()).unwrap_or("running");
        if state == "terminated" || state == "shutting-down" {
            continue;
        }
        let Some(class) = tag(&i.tags, &data.classification_tag) else { continue };
        if !data.is_sensitive(class) {
            continue;
        }
        let enabled = i.enclave_options.as_ref().map(|e| e.enabled).unwrap_or(false);
        if enabled {
            continue;
        }
        let name = tag(&i.tags, "Name").unwrap_or(&i.instance_id);
        out.push(
            Finding::from_rule(&ENC_001, format!("instance `{name}` handles {class} data without Nitro Enclaves"))
                .resource(format!("arn:aws:ec2:{}:{}:instance/{}", i.region, i.account, i.instance_id), "AwsEc2Instance")
                .location(&i.account, &i.region)
                .description(format!("{} ({}) is tagged {}={class} and has Nitro Enclaves disabled.", i.instance_id, i.instance_type.clone().unwrap_or_default(), data.classification_tag))
                .evidence(json!({ "instance": i.instance_id, "classification": class, "enclave_options": i.enclave_options.as_ref().map(|e| e.enabled) })),
        );
    }
}
