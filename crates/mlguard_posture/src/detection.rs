//! Detection coverage where ML runs (`DET-001` … `DET-004`): GuardDuty with S3 protection in
//! every region with ML resources, Macie covering every training-data bucket, and a logging
//! multi-region CloudTrail trail in every account with ML resources.
//!
//! "Not collected" and "answered empty" are told apart with [`Inventory::collected`]: a region
//! whose `guardduty list-detectors` answer is an empty list has no detector (a finding); a
//! region without that answer is not evaluated (a diagnostic).

use crate::buckets::{discover, Role};
use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::Inventory;
use serde_json::json;
use std::collections::BTreeSet;

pub const DET_001: RuleDoc = RuleDoc {
    id: "DET-001",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "GuardDuty not enabled in a region with ML resources",
    what: "For every account and region with SageMaker resources, checks that a GuardDuty detector exists and is enabled.",
    why: "GuardDuty is the managed detector for credential exfiltration, privilege escalation and anomalous API use; ML execution roles and notebooks are prime targets.",
    example: "`guardduty list-detectors` answers `{\"DetectorIds\": []}` in the region where the training jobs run.",
    remediation: "Enable GuardDuty in every region (ideally organisation-wide from a delegated administrator account).",
    well_architected: "SEC04-BP02 Capture logs, findings, and metrics in standardized locations",
    docs: &[("What is Amazon GuardDuty?", "https://docs.aws.amazon.com/guardduty/latest/ug/what-is-guardduty.html")],
};

pub const DET_002: RuleDoc = RuleDoc {
    id: "DET-002",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "GuardDuty S3 protection off where ML data lives",
    what: "For every enabled GuardDuty detector in a region with SageMaker resources, checks that S3 protection (the `S3_DATA_EVENTS` feature, or the older `DataSources.S3Logs`) is enabled.",
    why: "Without S3 protection GuardDuty does not analyse data-plane access to training data and model artifacts, where exfiltration and tampering happen.",
    example: "`get-detector` shows `Features: [{Name: S3_DATA_EVENTS, Status: DISABLED}]`.",
    remediation: "Enable S3 Protection on the detector (`aws guardduty update-detector --features Name=S3_DATA_EVENTS,Status=ENABLED`).",
    well_architected: "SEC04-BP02 Capture logs, findings, and metrics in standardized locations",
    docs: &[("Amazon S3 Protection in GuardDuty", "https://docs.aws.amazon.com/guardduty/latest/ug/s3-protection.html")],
};

pub const DET_003: RuleDoc = RuleDoc {
    id: "DET-003",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "Training-data bucket not covered by a Macie classification job",
    what: "For every training-data bucket, checks that Macie is enabled in its account and that either a classification job that is not cancelled names the bucket, or automated sensitive data discovery is `ENABLED` (`get-automated-discovery-configuration`) and the classification scope (`get-classification-scope`, when collected) does not exclude the bucket.",
    why: "Training data leaks personal data and secrets into models; Macie is the managed way to find them before training.",
    example: "Macie is not enabled (`get-macie-session` fails), or no job's `bucketDefinitions` names the bucket.",
    remediation: "Enable Macie and create a scheduled classification job over the training-data buckets (or automated sensitive data discovery).",
    well_architected: "SEC07-BP02 Apply data protection controls based on data sensitivity",
    docs: &[("What is Amazon Macie?", "https://docs.aws.amazon.com/macie/latest/user/what-is-macie.html")],
};

pub const DET_004: RuleDoc = RuleDoc {
    id: "DET-004",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "No logging multi-region CloudTrail trail in an account with ML resources",
    what: "For every account with SageMaker resources, checks that some multi-region trail exists and `get-trail-status` says it is logging.",
    why: "Without a trail in every region, API activity against ML resources in other regions (a new notebook, a changed model approval) leaves no record, and threat detection has nothing to read.",
    example: "`describe-trails` lists only a single-region trail, or the multi-region trail has `IsLogging: false`.",
    remediation: "Create a multi-region (or organisation) trail with log file validation and keep it logging.",
    well_architected: "SEC04-BP01 Configure service and application logging",
    docs: &[("Creating a trail for your AWS account", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail.html")],
};

pub static RULES: &[&RuleDoc] = &[&DET_001, &DET_002, &DET_003, &DET_004];

/// (account, region) pairs that hold SageMaker resources.
fn ml_places(inv: &Inventory) -> BTreeSet<(String, String)> {
    let sm = &inv.sagemaker;
    let mut out = BTreeSet::new();
    out.extend(sm.notebook_instances.iter().map(|x| (x.account.clone(), x.region.clone())));
    out.extend(sm.training_jobs.iter().map(|x| (x.account.clone(), x.region.clone())));
    out.extend(sm.processing_jobs.iter().map(|x| (x.account.clone(), x.region.clone())));
    out.extend(sm.models.iter().map(|x| (x.account.clone(), x.region.clone())));
    out.extend(sm.domains.iter().map(|x| (x.account.clone(), x.region.clone())));
    out
}

fn note(notes: &mut Vec<Diagnostic>, account: &str, region: &str, what: String) {
    let place = if region.is_empty() { format!("{account}/") } else { format!("{account}/{region}/") };
    notes.push(Diagnostic::warning(place, "", what));
}

/// Runs DET-001 … DET-004.
pub fn check(inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let places = ml_places(inv);
    let det = &inv.detection;
    // DET-001 / DET-002, per region.
    for (acct, region) in &places {
        if !inv.collected(acct, region, "guardduty", "list-detectors") {
            note(notes, acct, region, format!("DET-001/DET-002 not evaluated in {acct} {region}: missing guardduty list-detectors"));
            continue;
        }
        let detectors: Vec<_> = det.detectors_in(acct, region).collect();
        let listed = det.guardduty_detector_ids.iter().filter(|d| &d.account == acct && &d.region == region).count();
        let enabled: Vec<_> = detectors.iter().filter(|d| d.is_enabled()).collect();
        if enabled.is_empty() {
            if listed > 0 && detectors.is_empty() {
                note(notes, acct, region, format!("DET-001 not evaluated in {acct} {region}: a detector is listed but its get-detector answer is missing"));
                continue;
            }
            out.push(
                Finding::from_rule(&DET_001, format!("GuardDuty is not enabled in {region} where ML resources run"))
                    .resource(format!("arn:aws:guardduty:{region}:{acct}:detector"), "Other")
                    .location(acct, region)
                    .description(format!("Account {acct} has SageMaker resources in {region} and no enabled GuardDuty detector there ({listed} listed)."))
                    .evidence(json!({ "detectors_listed": listed, "enabled": 0 })),
            );
            continue;
        }
        for d in enabled {
            if d.s3_protection() == Some(true) {
                continue;
            }
            let id = d.resource.clone().unwrap_or_default();
            out.push(
                Finding::from_rule(&DET_002, format!("GuardDuty detector {id} in {region} has S3 protection off"))
                    .resource(format!("arn:aws:guardduty:{region}:{acct}:detector/{id}"), "AwsGuardDutyDetector")
                    .location(acct, region)
                    .description(format!("Detector {id} is enabled but does not analyse S3 data events, where the ML training data and model artifacts of {acct} live."))
                    .evidence(json!({ "s3_protection": d.s3_protection() })),
            );
        }
    }
    // DET-003, per training-data bucket.
    for (name, b) in discover(inv, cfg) {
        if !b.roles.contains(&Role::TrainingData) || b.seen_in.is_empty() {
            continue;
        }
        let acct = b.seen_in.clone();
        let queried = det.macie_sessions.iter().any(|s| s.account == acct) || inv.collected.iter().any(|(a, _, s, _)| a == &acct && s == "macie2");
        if !queried {
            note(notes, &acct, "", format!("DET-003 not evaluated for `{name}`: missing macie2 get-macie-session and list-classification-jobs in {acct}"));
            continue;
        }
        let enabled = det.macie_sessions.iter().any(|s| s.account == acct && s.status.as_deref() == Some("ENABLED"));
        let covering: Vec<String> = det
            .macie_classification_jobs
            .iter()
            .filter(|j| j.account == acct && j.job_status.as_deref() != Some("CANCELLED") && j.names_bucket(&acct, &name))
            .map(|j| j.name.clone().unwrap_or_else(|| j.job_id.clone()))
            .collect();
        let automated = det.macie_automated_discovery.iter().any(|a| {
            a.account == acct
                && a.status.as_deref() == Some("ENABLED")
                && !det.macie_classification_scopes.iter().any(|sc| sc.account == acct && sc.region == a.region && sc.s3.excludes.bucket_names.iter().any(|b| b == &name))
        });
        if enabled && (!covering.is_empty() || automated) {
            continue;
        }
        let region = inv
            .s3
            .buckets
            .iter()
            .find(|x| x.name == name)
            .and_then(|x| x.bucket_region.clone().or_else(|| Some(x.region.clone())))
            .or_else(|| places.iter().find(|(a, _)| a == &acct).map(|(_, r)| r.clone()))
            .unwrap_or_default();
        let why = if !enabled { "Macie is not enabled in the account".to_string() } else { "no classification job names it and automated sensitive data discovery does not cover it".to_string() };
        out.push(
            Finding::from_rule(&DET_003, format!("training-data bucket `{name}` is not scanned by Macie"))
                .resource(format!("arn:aws:s3:::{name}"), "AwsS3Bucket")
                .location(&acct, &region)
                .description(format!("Bucket {name} holds training data ({}) and {why}.", b.because.join("; ")))
                .evidence(json!({ "macie_enabled": enabled, "jobs": covering })),
        );
    }
    // DET-004, per account.
    let accounts: BTreeSet<&String> = places.iter().map(|(a, _)| a).collect();
    for acct in accounts {
        let asked = inv.collected.iter().any(|(a, _, s, c)| a == acct && s == "cloudtrail" && c == "describe-trails");
        if !asked {
            note(notes, acct, "", format!("DET-004 not evaluated in {acct}: missing cloudtrail describe-trails"));
            continue;
        }
        let logging = det.trails.iter().filter(|t| &t.account == acct && t.is_multi_region_trail).any(|t| det.trail_status(t).and_then(|s| s.is_logging).unwrap_or(false));
        if logging {
            continue;
        }
        let multi = det.trails.iter().filter(|t| &t.account == acct && t.is_multi_region_trail).count();
        let region = places.iter().find(|(a, _)| a == acct).map(|(_, r)| r.clone()).unwrap_or_default();
        out.push(
            Finding::from_rule(&DET_004, format!("no logging multi-region CloudTrail trail in account {acct}"))
                .resource(format!("arn:aws:cloudtrail:{region}:{acct}:trail"), "AwsCloudTrailTrail")
                .location(acct, &region)
                .description(format!("Account {acct} runs SageMaker resources and has {multi} multi-region trail(s), none of them logging."))
                .evidence(json!({ "multi_region_trails": multi })),
        );
    }
}
