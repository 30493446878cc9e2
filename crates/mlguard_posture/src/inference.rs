//! What serves inference (`REG-001`, `EP-001`, `MON-001`): every InService endpoint serves only
//! models from `Approved` Model Registry packages, captures its traffic encrypted with KMS, and
//! is watched by a Model Monitor schedule.
//!
//! The chain followed is the one SageMaker uses: endpoint → endpoint config → production
//! variants' models → each model's containers' `ModelPackageName` → the package's
//! `ModelApprovalStatus`.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::{sagemaker, Inventory, Located};
use serde_json::json;

pub const REG_001: RuleDoc = RuleDoc {
    id: "REG-001",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "Endpoint serves a model that is not an approved registry version",
    what: "Follows every InService endpoint to its endpoint config, the models of its production variants, and each model's containers, and checks that every container comes from a Model Registry package whose `ModelApprovalStatus` is `Approved`.",
    why: "The registry's approval is the gate between a trained artifact and production; a model deployed from a raw `ModelDataUrl`, or from a package that is pending or rejected, skips review, lineage and rollback.",
    example: "An endpoint whose model has `PrimaryContainer.ModelDataUrl` and no `ModelPackageName`.",
    remediation: "Register the model in a model package group, approve it after review, and deploy from the package ARN (`CreateModel` with `Containers[].ModelPackageName`); gate deployment pipelines on `ModelApprovalStatus`.",
    well_architected: "SEC11-BP07 Regularly assess security properties of the pipelines",
    docs: &[("Model Registry: update the approval status of a model", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html")],
};

pub const EP_001: RuleDoc = RuleDoc {
    id: "EP-001",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "Endpoint config without encrypted data capture",
    what: "For the endpoint config of every InService endpoint, checks that data capture is enabled (`DataCaptureConfig.EnableCapture`) with a `KmsKeyId`, and that the config has a `KmsKeyId` for the ML storage volumes.",
    why: "Captured requests and responses are what drift monitoring and incident response read; without capture there is no record of what the model was asked, and without KMS the captured payloads (often personal data) are readable by anyone who can read the bucket.",
    example: "`describe-endpoint-config` shows no `DataCaptureConfig` and no `KmsKeyId`.",
    remediation: "Create a new endpoint config with `DataCaptureConfig` (EnableCapture, a sampling percentage, `KmsKeyId`) and a `KmsKeyId`, and update the endpoint to it.",
    well_architected: "SEC08-BP02 Enforce encryption at rest",
    docs: &[("Capture data from real-time endpoint", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html")],
};

pub const MON_001: RuleDoc = RuleDoc {
    id: "MON-001",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "Endpoint without a Model Monitor schedule",
    what: "For every InService endpoint, checks that a monitoring schedule names it and is `Scheduled`.",
    why: "Data and model drift, and poisoning that shows only in production behaviour, go unnoticed without monitoring.",
    example: "`list-monitoring-schedules` lists no schedule with the endpoint's name.",
    remediation: "Create a data-quality (and model-quality) monitoring schedule for the endpoint from a baseline of the training data.",
    well_architected: "SEC04-BP01 Configure service and application logging",
    docs: &[("Data and model quality monitoring with Amazon SageMaker Model Monitor", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor.html")],
};

pub static RULES: &[&RuleDoc] = &[&REG_001, &EP_001, &MON_001];

fn finding(rule: &RuleDoc, ep: &Located<sagemaker::Endpoint>, title: String, description: String, evidence: serde_json::Value) -> Finding {
    Finding::from_rule(rule, title).resource(&ep.endpoint_arn, "AwsSageMakerEndpoint").location(&ep.account, &ep.region).description(description).evidence(evidence)
}

fn not_evaluated(notes: &mut Vec<Diagnostic>, ep: &Located<sagemaker::Endpoint>, rule: &str, missing: &str) {
    notes.push(Diagnostic::warning(&ep.file, "", format!("{rule} not evaluated for endpoint `{}`: missing {missing}", ep.endpoint_name)));
}

/// The package a container names (by ARN or name), and its approval status.
fn package_status<'a>(inv: &'a Inventory, name_or_arn: &str) -> Option<&'a str> {
    let sm = &inv.sagemaker;
    if let Some(p) = sm.model_packages.iter().find(|p| p.model_package_arn == name_or_arn || p.model_package_name == name_or_arn) {
        return p.model_approval_status.as_deref();
    }
    sm.model_package_summaries.iter().find(|p| p.model_package_arn == name_or_arn).and_then(|p| p.model_approval_status.as_deref())
}

/// Runs REG-001, EP-001 and MON-001.
pub fn check(inv: &Inventory, _cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let sm = &inv.sagemaker;
    for ep in sm.endpoints.iter().filter(|e| e.endpoint_status.as_deref().map(|s| s == "InService").unwrap_or(true)) {
        // MON-001
        let watched = sm.monitoring_schedules.iter().any(|m| m.account == ep.account && m.endpoint_name.as_deref() == Some(ep.endpoint_name.as_str()) && m.monitoring_schedule_status.as_deref().map(|s| s == "Scheduled").unwrap_or(true));
        if !watched {
            if inv.collected(&ep.account, &ep.region, "sagemaker", "list-monitoring-schedules") || !sm.monitoring_schedules.is_empty() {
                out.push(finding(&MON_001, ep, format!("endpoint `{}` has no Model Monitor schedule", ep.endpoint_name), format!("No scheduled monitoring schedule names endpoint {}.", ep.endpoint_name), json!({})));
            } else {
                not_evaluated(notes, ep, "MON-001", "sagemaker list-monitoring-schedules");
            }
        }
        let Some(cfg) = sm.endpoint_config_of(ep) else {
            not_evaluated(notes, ep, "REG-001/EP-001", "its describe-endpoint-config");
            continue;
        };
        // EP-001
        let capture = cfg.data_capture_config.as_ref();
        let mut gaps = Vec::new();
        if !capture.map(|c| c.enable_capture).unwrap_or(false) {
            gaps.push("data capture is off");
        } else if capture.and_then(|c| c.kms_key_id.as_deref()).map(str::is_empty).unwrap_or(true) {
            gaps.push("captured data has no KMS key");
        }
        if cfg.kms_key_id.as_deref().map(str::is_empty).unwrap_or(true) {
            gaps.push("the storage volumes have no KMS key");
        }
        if !gaps.is_empty() {
            out.push(finding(
                &EP_001,
                ep,
                format!("endpoint `{}`: {}", ep.endpoint_name, gaps.join(", ")),
                format!("Endpoint config {} of {}: {}.", cfg.endpoint_config_name, ep.endpoint_name, gaps.join("; ")),
                json!({ "endpoint_config": cfg.endpoint_config_name, "gaps": gaps }),
            ));
        }
        // REG-001
        let mut unapproved: Vec<String> = Vec::new();
        for v in cfg.production_variants.iter() {
            let Some(model_name) = &v.model_name else { continue };
            let Some(model) = sm.models.iter().find(|m| &m.model_name == model_name && m.account == ep.account) else {
                not_evaluated(notes, ep, "REG-001", &format!("describe-model of `{model_name}`"));
                continue;
            };
            for c in model.all_containers() {
                match c.model_package_name.as_deref() {
                    None => unapproved.push(format!("{model_name}: not from the Model Registry")),
                    Some(pkg) => match package_status(inv, pkg) {
                        Some("Approved") => {}
                        Some(other) => unapproved.push(format!("{model_name}: package {pkg} is {other}")),
                        None => not_evaluated(notes, ep, "REG-001", &format!("describe-model-package of `{pkg}`")),
                    },
                }
            }
        }
        if !unapproved.is_empty() {
            out.push(finding(
                &REG_001,
                ep,
                format!("endpoint `{}` serves a model that is not an approved registry version", ep.endpoint_name),
                format!("Endpoint {} ({}): {}.", ep.endpoint_name, cfg.endpoint_config_name, unapproved.join("; ")),
                json!({ "endpoint_config": cfg.endpoint_config_name, "models": unapproved }),
            ));
        }
    }
}
