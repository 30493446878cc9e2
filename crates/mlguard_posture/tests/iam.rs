//! IAM-001 / IAM-002 over tiny snapshots: decided by evaluating the role's policies.

mod common;

use mlguard_core::config::Config;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::111122223333:role/exec";

/// `inline`: the role's inline policy statements; `boundary`: a permissions boundary document.
fn run(inline: Option<Value>, boundary: Option<Value>) -> (Vec<String>, Vec<String>) {
    let mut files = vec![(
        "111122223333/us-east-1/sagemaker/nb/describe-notebook-instance.json",
        json!({"NotebookInstanceName": "nb", "NotebookInstanceArn": "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/nb", "RoleArn": ROLE}).to_string(),
    )];
    if let Some(stmts) = inline {
        let mut role = json!({"RoleName": "exec", "Arn": ROLE, "Path": "/", "AssumeRolePolicyDocument": {}, "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": stmts}}], "AttachedManagedPolicies": []});
        let mut policies = vec![];
        if let Some(b) = boundary {
            role["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary", "PermissionsBoundaryType": "Policy"});
            policies.push(json!({"PolicyName": "boundary", "Arn": "arn:aws:iam::111122223333:policy/boundary", "DefaultVersionId": "v1", "PolicyVersionList": [{"Document": b, "VersionId": "v1", "IsDefaultVersion": true}]}));
        }
        files.push(("111122223333/global/iam/get-account-authorization-details.json", json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [role], "Policies": policies}).to_string()));
    }
    let inv = common::load(files);
    let (f, d) = mlguard_posture::audit(&inv, &Config::default());
    let mut ids: Vec<String> = f.into_iter().map(|f| f.rule_id).filter(|r| r.starts_with("IAM-")).collect();
    ids.sort();
    (ids, d.into_iter().map(|d| d.message).filter(|m| m.starts_with("IAM-")).collect())
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

#[test]
fn scoped_role_passes() {
    let pass_self = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE, "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}});
    assert_eq!(run(Some(json!([allow("s3:GetObject", "arn:aws:s3:::data/*"), pass_self])), None), (vec![], vec![]));
}

#[test]
fn admin_and_unscoped_passrole() {
    // Administrator access implies the rest; IAM-003 is not repeated for an administrator.
    assert_eq!(run(Some(json!([allow("*", "*")])), None).0, ["IAM-001", "IAM-002"]);
    let pass_any = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}});
    assert_eq!(run(Some(json!([pass_any])), None).0, ["IAM-002"]);
    // `iam:Pass*` on a wildcard role path is unscoped too.
    assert_eq!(run(Some(json!([allow("iam:Pass*", "arn:aws:iam::111122223333:role/*")])), None).0, ["IAM-002"]);
}

#[test]
fn an_explicit_deny_or_a_boundary_takes_admin_away() {
    let deny_iam = json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*"});
    // No longer administrator, and no PassRole; but every bucket is still reachable.
    assert_eq!(run(Some(json!([allow("*", "*"), deny_iam])), None).0, ["IAM-003"]);
    let boundary = json!({"Version": "2012-10-17", "Statement": [allow("s3:*", "*")]});
    assert_eq!(run(Some(json!([allow("*", "*")])), Some(boundary)).0, ["IAM-003"]);
    let tight = json!({"Version": "2012-10-17", "Statement": [allow("s3:*", "arn:aws:s3:::ml-data/*")]});
    assert_eq!(run(Some(json!([allow("*", "*")])), Some(tight)).0, Vec::<String>::new());
}

#[test]
fn missing_authorization_details_is_not_evaluated() {
    let (ids, notes) = run(None, None);
    assert_eq!(ids, Vec::<String>::new());
    assert!(notes.iter().any(|n| n.contains("not evaluated") && n.contains("missing iam get-account-authorization-details")), "{notes:?}");
}

#[test]
fn s3_grants_beyond_the_ml_buckets() {
    assert_eq!(run(Some(json!([allow("s3:GetObject", "*")])), None).0, ["IAM-003"]);
    assert_eq!(run(Some(json!([allow("s3:*", "arn:aws:s3:::*")])), None).0, ["IAM-003"]);
    assert_eq!(run(Some(json!([allow("s3:*", "arn:aws:s3:::ml-data/*")])), None).0, Vec::<String>::new());
}
