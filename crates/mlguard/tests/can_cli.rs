//! `mlguard can` end to end on the bundled examples: the decision, the statements behind it,
//! and the exit code (0 allowed, 1 denied, 2 error).
#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test helpers fail the test by panicking")]

use std::process::Command;

fn can(example: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlguard"))
        .arg("can")
        .arg(format!("{}/../../examples/{example}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const ENGINEER: &str = "arn:aws:iam::111122223333:user/ml-engineer";
const OBJECT: &str = "arn:aws:s3:::team-a-ml-data-111122223333/models/model.tar.gz";

#[test]
fn allowed_through_a_group_policy() {
    let (code, out, _) = can("insecure-ml-platform", &["--principal", ENGINEER, "--action", "s3:DeleteObjectVersion", "--resource", OBJECT]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ALLOW"), "{out}");
    assert!(out.contains("ml-engineers/model-buckets statement 0 (ModelBuckets)"), "{out}");
}

#[test]
fn denied_with_the_reason_and_as_json() {
    let (code, out, _) = can("insecure-ml-platform", &["--principal", ENGINEER, "--action", "s3:DeleteObjectVersion", "--resource", "arn:aws:s3:::another-bucket/x"]);
    assert_eq!(code, 1);
    assert!(out.contains("no statement allows it"), "{out}");
    let (code, out, _) = can("insecure-ml-platform", &["--principal", ENGINEER, "--action", "s3:PutObject", "--resource", OBJECT, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"]["kind"], "Allow");
    assert_eq!(v["decision"]["matched"][0]["policy"], "ml-engineers/model-buckets");
}

#[test]
fn policy_variables_take_the_users_name() {
    let me = "arn:aws:iam::111122223333:user/data-scientist";
    let (code, _, _) = can("secure-ml-platform", &["--principal", me, "--action", "iam:CreateAccessKey", "--resource", me]);
    assert_eq!(code, 0);
    let (code, _, _) = can("secure-ml-platform", &["--principal", me, "--action", "iam:CreateAccessKey", "--resource", "arn:aws:iam::111122223333:user/model-approver"]);
    assert_eq!(code, 1);
}

#[test]
fn the_bucket_policy_takes_part() {
    // The secure artifacts bucket denies requests from outside its VPC endpoint.
    let role = "arn:aws:iam::111122223333:role/service-role/ml-research-sagemaker-execution";
    let obj = "arn:aws:s3:::ml-research-artifacts-111122223333/models/model.tar.gz";
    let (code, out, _) = can("secure-ml-platform", &["--principal", role, "--action", "s3:PutObject", "--resource", obj, "--context", "aws:SecureTransport=true"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DENY (explicit)"), "{out}");
    assert!(out.contains("bucket policy of ml-research-artifacts-111122223333"), "{out}");
}

#[test]
fn errors_exit_2() {
    let (code, _, err) = can("secure-ml-platform", &["--principal", "arn:aws:iam::111122223333:user/nobody", "--action", "s3:GetObject"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not in the snapshot"), "{err}");
    let (code, _, err) = can("secure-ml-platform", &["--principal", "arn:aws:iam::111122223333:user/data-scientist", "--action", "s3:GetObject", "--context", "novalue"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected KEY=VALUE"), "{err}");
}
