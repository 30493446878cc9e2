//! Controls that could not be evaluated because `mlguard collect` could not read their input.
//!
//! Each audit control declares the calls it reads ([`inputs`]). When a collected snapshot's
//! manifest records one of them as denied, failed or not attempted for an account and region,
//! the audit says "not evaluated: missing X" for that control there, instead of letting the
//! control pass on data it never saw. A test keeps every audit control in this table.

use mlguard_core::{Diagnostic, RuleDoc};
use mlguard_snapshot::Inventory;
use std::collections::BTreeMap;

const NETWORK: &[&str] = &[
    "ec2 describe-vpcs",
    "ec2 describe-subnets",
    "ec2 describe-route-tables",
    "ec2 describe-internet-gateways",
    "ec2 describe-egress-only-internet-gateways",
    "ec2 describe-nat-gateways",
    "ec2 describe-network-acls",
    "ec2 describe-security-groups",
    "ec2 describe-network-interfaces",
    "ec2 describe-instances",
    "ec2 describe-vpc-endpoints",
    "ec2 describe-vpc-peering-connections",
    "ec2 describe-prefix-lists",
    "ec2 describe-managed-prefix-lists",
    "ec2 get-managed-prefix-list-entries",
    "ec2 describe-transit-gateways",
    "ec2 describe-transit-gateway-attachments",
    "ec2 describe-transit-gateway-vpc-attachments",
    "ec2 describe-transit-gateway-peering-attachments",
    "ec2 describe-transit-gateway-route-tables",
    "ec2 search-transit-gateway-routes",
    "ec2 get-transit-gateway-route-table-associations",
    "ec2 get-transit-gateway-route-table-propagations",
];

/// The SageMaker compute the network controls place in the network.
const ML_COMPUTE: &[&str] = &[
    "sagemaker list-notebook-instances",
    "sagemaker describe-notebook-instance",
    "sagemaker list-training-jobs",
    "sagemaker describe-training-job",
    "sagemaker list-processing-jobs",
    "sagemaker describe-processing-job",
    "sagemaker list-domains",
    "sagemaker describe-domain",
    "sagemaker list-endpoints",
    "sagemaker describe-endpoint",
    "sagemaker describe-endpoint-config",
    "sagemaker describe-model",
];

const BUCKETS: &[&str] = &[
    "s3 list-buckets",
    "s3 get-bucket-versioning",
    "s3 get-object-lock-configuration",
    "s3 get-bucket-policy",
    "s3 get-public-access-block",
    "s3 get-bucket-encryption",
    "s3 get-bucket-logging",
    "s3 get-bucket-tagging",
    "s3control get-public-access-block",
];

const REGISTRY: &[&str] = &["sagemaker list-model-package-groups", "sagemaker list-model-packages", "sagemaker describe-model-package"];
const IAM: &[&str] = &["iam get-account-authorization-details"];
const MACIE: &[&str] = &["macie2 get-macie-session", "macie2 list-classification-jobs", "macie2 get-automated-discovery-configuration", "macie2 get-classification-scope"];
const FRONT_DOORS: &[&str] = &[
    "wafv2 list-web-acls",
    "wafv2 get-web-acl",
    "wafv2 list-resources-for-web-acl",
    "apigateway get-rest-apis",
    "apigateway get-stages",
    "apigateway get-resources",
    "cloudfront list-distributions",
    "elbv2 describe-load-balancers",
    "sagemaker list-endpoints",
    "sagemaker describe-endpoint",
];

/// The groups of calls a control reads, by rule id; `None` for a rule that reads no snapshot
/// (the CloudTrail and sensitive-data layers read their own inputs).
pub fn inputs(rule: &str) -> Option<&'static [&'static [&'static str]]> {
    Some(match rule {
        "NET-001" | "NET-002" | "NET-003" | "NET-004" | "NET-005" | "NET-006" | "NET-007" | "NET-008" | "NET-009" => &[NETWORK, ML_COMPUTE],
        "TGW-001" => &[NETWORK],
        "S3-001" | "S3-002" | "S3-003" | "S3-004" | "S3-005" | "S3-006" | "S3-007" => &[BUCKETS, ML_COMPUTE, REGISTRY],
        "SM-001" | "SM-002" | "SM-003" | "SM-004" | "SM-005" | "SM-006" | "SM-007" => &[ML_COMPUTE],
        "ENC-001" => &[ML_COMPUTE, &["ec2 describe-instances"]],
        "DET-001" => &[&["guardduty list-detectors", "guardduty get-detector"]],
        "DET-002" | "DET-003" => &[MACIE, BUCKETS],
        "DET-004" => &[&["cloudtrail describe-trails", "cloudtrail get-trail-status", "cloudtrail get-event-selectors"]],
        "IAM-001" | "IAM-002" | "IAM-003" => &[IAM],
        "IAM-004" => &[IAM, &["ec2 describe-instances"], ML_COMPUTE],
        "IAM-005" => &[IAM, BUCKETS, REGISTRY, ML_COMPUTE],
        "REG-001" => &[REGISTRY],
        "EP-001" => &[ML_COMPUTE],
        "MON-001" => &[ML_COMPUTE, &["sagemaker list-monitoring-schedules", "sagemaker describe-monitoring-schedule"]],
        "WAF-001" => &[FRONT_DOORS],
        _ => return None,
    })
}

/// One warning per control, account and region whose inputs the manifest says are missing.
pub fn not_evaluated(inv: &Inventory, rules: &[&RuleDoc]) -> Vec<Diagnostic> {
    let Some(m) = &inv.manifest else { return Vec::new() };
    let missing: Vec<_> = m.calls.iter().filter(|c| c.outcome.is_missing()).collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in rules {
        let Some(groups) = inputs(r.id) else { continue };
        // (account, region) -> the missing commands, each with its first reason.
        let mut by_place: BTreeMap<(&str, &str), BTreeMap<String, String>> = BTreeMap::new();
        for c in &missing {
            let call = format!("{} {}", c.service, c.command);
            if groups.iter().any(|g| g.contains(&call.as_str())) {
                by_place.entry((&c.account, &c.region)).or_default().entry(call).or_insert_with(|| c.error_code.clone().unwrap_or_else(|| "not attempted".into()));
            }
        }
        for ((account, region), calls) in by_place {
            let list: Vec<String> = calls.iter().map(|(call, why)| format!("{call} ({why})")).collect();
            out.push(Diagnostic::warning("manifest.json", "", format!("{} not evaluated for {account}/{region}: missing {}", r.id, list.join(", "))));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snapshot_control_declares_its_inputs() {
        let mut rules: Vec<&RuleDoc> = mlguard_net::controls::RULES.to_vec();
        rules.extend(mlguard_posture::RULES.iter().copied());
        for r in rules {
            assert!(inputs(r.id).is_some(), "{} has no inputs in gaps.rs", r.id);
        }
    }

    #[test]
    fn declared_inputs_are_calls_the_loader_reads() {
        for g in [NETWORK, ML_COMPUTE, BUCKETS, REGISTRY, IAM, MACIE, FRONT_DOORS] {
            for call in g {
                let (svc, cmd) = call.split_once(' ').unwrap_or_default();
                assert!(mlguard_snapshot::commands::lookup(svc, cmd).is_some(), "{call}");
            }
        }
    }
}
