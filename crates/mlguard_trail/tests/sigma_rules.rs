//! All 57 SigmaHQ CloudTrail rules load unmodified, and the rules whose events the Stratus Red
//! Team recordings contain fire on them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use common::*;
use mlguard_trail::record::Record;
use std::collections::BTreeSet;

#[test]
fn all_57_rules_load() {
    let set = sigma();
    assert_eq!(set.loaded, 57);
    let files: BTreeSet<String> = set.rules().map(|r| r.file.clone()).collect();
    assert_eq!(files.len(), 57);
}

#[test]
fn a_broken_rule_is_reported_by_name() {
    let mut set = mlguard_trail::sigma::SigmaSet::default();
    let diags = set.add_yaml("bad.yml", "title: Bad\nlogsource:\n  product: aws\ndetection:\n  selection:\n    eventName: X\n  condition: selection and nothere\n");
    assert_eq!(set.loaded, 0);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].file == "bad.yml" && diags[0].message.contains("Bad"), "{diags:?}");
}

/// Evaluates every Stratus recording with the Sigma rules alone and returns (file stem, finding id).
fn stratus_sigma_hits() -> BTreeSet<(String, String)> {
    let set = sigma();
    let dir = shared("data/cloudtrail/stratus-red-team");
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x == "json").unwrap_or(false) {
            let v: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            for ev in v {
                for m in set.matches(&Record::new(ev)) {
                    out.insert((p.file_stem().unwrap().to_string_lossy().to_string(), m.finding_id.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn rules_with_matching_stratus_events_fire() {
    let hits = stratus_sigma_hits();
    // Each pair: a Stratus technique and the Sigma rule written for exactly that behaviour.
    for (technique, rule) in [
        ("aws.defense-evasion.cloudtrail-stop", "SIGMA-aws_cloudtrail_disable_logging"),
        ("aws.defense-evasion.cloudtrail-delete", "SIGMA-aws_cloudtrail_disable_logging"),
        ("aws.defense-evasion.vpc-remove-flow-logs", "SIGMA-aws_cloudtrail_vpc_flow_logs_deleted"),
        ("aws.exfiltration.ec2-share-ebs-snapshot", "SIGMA-aws_snapshot_backup_exfiltration"),
        ("aws.initial-access.console-login-without-mfa", "SIGMA-aws_cloudtrail_console_login_success_without_mfa"),
        ("aws.persistence.lambda-layer-extension", "SIGMA-aws_new_lambda_layer_attached"),
        ("aws.persistence.iam-backdoor-user", "SIGMA-aws_iam_backdoor_users_keys"),
        ("aws.persistence.iam-create-admin-user", "SIGMA-aws_iam_backdoor_users_keys"),
        ("aws.privilege-escalation.iam-update-user-login-profile", "SIGMA-aws_update_login_profile"),
        ("aws.exfiltration.ec2-security-group-open-port-22-ingress", "SIGMA-aws_cloudtrail_security_group_change_ingress_egress"),
        ("aws.execution.ssm-send-command", "SIGMA-aws_cloudtrail_ssm_malicious_usage"),
    ] {
        assert!(hits.contains(&(technique.to_string(), rule.to_string())), "{rule} did not fire on {technique}; hits: {hits:#?}");
    }
}

#[test]
fn null_and_fieldref_semantics() {
    let set = sigma();
    let ids = |v: serde_json::Value| -> Vec<String> { set.matches(&Record::new(v)).into_iter().map(|m| m.finding_id.clone()).collect() };
    // `errorCode: null` (absent) satisfies the success branch of the bucket-deletion rule; an error does not.
    let ok = serde_json::json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket"});
    assert!(ids(ok).contains(&"SIGMA-aws_cloudtrail_bucket_deleted".to_string()));
    let failed = serde_json::json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", "errorCode": "AccessDenied"});
    assert!(!ids(failed).contains(&"SIGMA-aws_cloudtrail_bucket_deleted".to_string()));
    // `userIdentity.arn|fieldref: requestParameters.userName` filters a user changing its own profile.
    let own = serde_json::json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile", "userIdentity": {"arn": "alice"}, "requestParameters": {"userName": "alice"}});
    assert!(!ids(own).contains(&"SIGMA-aws_update_login_profile".to_string()));
    let other = serde_json::json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile", "userIdentity": {"arn": "mallory"}, "requestParameters": {"userName": "alice"}});
    assert!(ids(other).contains(&"SIGMA-aws_update_login_profile".to_string()));
}
