//! Built-in detections on hand-made records: one check per behaviour, and the benign twin that
//! must stay quiet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_trail::baseline::BaselineOptions;
use mlguard_trail::builtin::BuiltinOptions;
use mlguard_trail::record::format_time;
use mlguard_trail::{DetectOptions, Detector};
use serde_json::{json, Value};

const T0: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z

fn ev(id: &str, t: i64, who: &str, source: &str, name: &str, req: Value) -> Value {
    json!({"eventID": id, "eventTime": format_time(t), "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333", "sourceIPAddress": "10.0.0.5", "userAgent": "aws-cli/2",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{who}"), "userName": who, "accountId": "111122223333"},
        "requestParameters": req})
}

fn ml_opts() -> DetectOptions {
    let buckets: std::collections::HashSet<String> = ["models".to_string()].into();
    DetectOptions {
        builtin: BuiltinOptions { ml_buckets: buckets.clone(), ..BuiltinOptions::default() },
        baseline: BaselineOptions { ml_buckets: buckets, learning: 86_400, ..BaselineOptions::default() },
        ..DetectOptions::default()
    }
}

fn run(opts: DetectOptions, events: &[Value]) -> Vec<mlguard_core::Finding> {
    let mut d = Detector::new(opts);
    let mut diags = Vec::new();
    for e in events {
        d.process_bytes(e.to_string().as_bytes(), "t", "x", &mut diags);
    }
    assert!(diags.is_empty(), "{diags:?}");
    d.finish().findings
}

fn ids(f: &[mlguard_core::Finding]) -> Vec<&str> {
    f.iter().map(|f| f.rule_id.as_str()).collect()
}

#[test]
fn sagemaker_passrole_notebook_then_presigned_url() {
    let create = ev("c1", T0, "dev", "sagemaker.amazonaws.com", "CreateNotebookInstance", json!({"notebookInstanceName": "nb", "roleArn": "arn:aws:iam::111122223333:role/Admin", "instanceType": "ml.t3.medium"}));
    let open = ev("u1", T0 + 120, "dev", "sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl", json!({"notebookInstanceName": "nb"}));
    let f = run(DetectOptions::default(), &[create.clone(), open.clone()]);
    assert_eq!(ids(&f), ["CT-PRIVESC-001"]);
    assert_eq!(f[0].evidence["event_ids"], json!(["c1", "u1"]));
    assert_eq!(f[0].evidence["passed_role"], "arn:aws:iam::111122223333:role/Admin");
    // Outside the window: nothing.
    let late = ev("u2", T0 + 7200, "dev", "sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl", json!({"notebookInstanceName": "nb"}));
    assert!(run(DetectOptions::default(), &[create.clone(), late]).is_empty());
    // Someone else opening it.
    let other = ev("u3", T0 + 60, "eve", "sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl", json!({"notebookInstanceName": "nb"}));
    let f = run(DetectOptions::default(), &[create, other]);
    assert_eq!(ids(&f), ["CT-PRIVESC-002"]);
    assert!(f[0].title.contains("eve"), "{}", f[0].title);
}

#[test]
fn self_escalation_and_credentials_for_others() {
    let own = ev("a", T0, "dev", "iam.amazonaws.com", "AttachUserPolicy", json!({"userName": "dev", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}));
    assert_eq!(ids(&run(DetectOptions::default(), &[own])), ["CT-PRIVESC-003"]);
    let version = ev("b", T0, "dev", "iam.amazonaws.com", "CreatePolicyVersion", json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "setAsDefault": true, "policyDocument": "{}"}));
    assert_eq!(ids(&run(DetectOptions::default(), &[version])), ["CT-PRIVESC-003"]);
    let own_key = ev("c", T0, "dev", "iam.amazonaws.com", "CreateAccessKey", json!({"userName": "dev"}));
    assert!(run(DetectOptions::default(), &[own_key]).is_empty());
    let inline_admin = ev("d", T0, "dev", "iam.amazonaws.com", "PutRolePolicy", json!({"roleName": "r", "policyName": "p", "policyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}));
    assert_eq!(ids(&run(DetectOptions::default(), &[inline_admin])), ["CT-PRIVESC-004"]);
}

#[test]
fn s3_versioning_lifecycle_and_public_policy() {
    let susp = ev("v", T0, "dev", "s3.amazonaws.com", "PutBucketVersioning", json!({"bucketName": "models", "VersioningConfiguration": {"Status": "Suspended"}}));
    let f = run(ml_opts(), std::slice::from_ref(&susp));
    assert_eq!(ids(&f), ["CT-S3-002"]);
    assert_eq!(f[0].severity, mlguard_core::Severity::High, "ML bucket raises severity");
    assert_eq!(run(DetectOptions::default(), &[susp])[0].severity, mlguard_core::Severity::Medium);
    let lc = ev("l", T0, "dev", "s3.amazonaws.com", "PutBucketLifecycle", json!({"bucketName": "models", "LifecycleConfiguration": {"Rule": [{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}}));
    assert_eq!(ids(&run(ml_opts(), &[lc])), ["CT-S3-003"]);
    let public = ev("p", T0, "dev", "s3.amazonaws.com", "PutBucketPolicy", json!({"bucketName": "data", "bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}}));
    let f = run(DetectOptions::default(), &[public]);
    assert_eq!(ids(&f), ["CT-EXFIL-001"]);
    assert_eq!(f[0].severity, mlguard_core::Severity::Critical);
    let vpce = ev("q", T0, "dev", "s3.amazonaws.com", "PutBucketPolicy", json!({"bucketName": "data", "bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]}}));
    assert!(run(DetectOptions::default(), &[vpce]).is_empty());
}

/// Who a logged policy lets in is decided by evaluating it (mlguard_iam::exposure), not by
/// looking for `"Principal": "*"` without a condition.
#[test]
fn policies_are_evaluated_not_pattern_matched() {
    let put = |id: &str, policy: Value| ev(id, T0, "dev", "s3.amazonaws.com", "PutBucketPolicy", json!({"bucketName": "data", "bucketPolicy": policy}));
    // Everyone, except that a Deny keeps out whoever is not in the organisation: private.
    let org_only = json!({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]});
    assert!(run(DetectOptions::default(), &[put("a", org_only)]).is_empty());
    // Everyone, on a condition the caller meets by choosing its user agent: public.
    let ua = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*", "Condition": {"StringLike": {"aws:UserAgent": "*curl*"}}}]});
    let f = run(DetectOptions::default(), &[put("b", ua)]);
    assert_eq!(ids(&f), ["CT-EXFIL-001"]);
    assert_eq!(f[0].severity, mlguard_core::Severity::Critical);
    // An administrator policy written without a `*` action is still one.
    let not_action = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "aws-portal:*", "Resource": "*"}]});
    let attach = ev("c", T0, "dev", "iam.amazonaws.com", "PutUserPolicy", json!({"userName": "other", "policyName": "p", "policyDocument": not_action.to_string()}));
    let f = run(DetectOptions::default(), &[attach]);
    assert!(ids(&f).contains(&"CT-PRIVESC-004"), "NotAction admin: {:?}", ids(&f));
}

#[test]
fn registry_approval_and_tampering_logs() {
    let approve = ev("m", T0, "dev", "sagemaker.amazonaws.com", "UpdateModelPackage", json!({"modelPackageArn": "arn:aws:sagemaker:us-east-1:111122223333:model-package/g/3", "modelApprovalStatus": "Approved"}));
    let f = run(DetectOptions::default(), &[approve]);
    assert_eq!(ids(&f), ["CT-REG-001"]);
    assert_eq!(f[0].severity, mlguard_core::Severity::High);
    let gd = ev("g", T0, "dev", "guardduty.amazonaws.com", "UpdateDetector", json!({"detectorId": "d", "enable": false}));
    assert_eq!(ids(&run(DetectOptions::default(), &[gd])), ["CT-TAMPER-003"]);
    let gd_on = ev("h", T0, "dev", "guardduty.amazonaws.com", "UpdateDetector", json!({"detectorId": "d", "enable": true}));
    assert!(run(DetectOptions::default(), &[gd_on]).is_empty());
    let mut failed = ev("s", T0, "dev", "cloudtrail.amazonaws.com", "StopLogging", json!({"name": "t"}));
    failed["errorCode"] = json!("AccessDenied");
    let f = run(DetectOptions::default(), &[failed]);
    assert_eq!(f[0].severity, mlguard_core::Severity::Low);
    assert!(f[0].title.starts_with("attempted"), "{}", f[0].title);
}

#[test]
fn new_writer_in_ml_bucket_after_learning() {
    let put = |id: &str, t: i64, who: &str| ev(id, t, who, "s3.amazonaws.com", "PutObject", json!({"bucketName": "models", "key": "m/model.tar.gz"}));
    // The trainer writes on day 0 and day 2; the intruder first writes on day 2.
    let f = run(ml_opts(), &[put("1", T0, "trainer"), put("2", T0 + 2 * 86_400, "trainer"), put("3", T0 + 2 * 86_400 + 5, "intruder")]);
    assert_eq!(ids(&f), ["CT-S3-001"]);
    assert!(f[0].title.contains("intruder"));
    assert_eq!(f[0].evidence["event_ids"], json!(["3"]));
    // Within the learning period a new writer is learned, not reported.
    assert!(run(ml_opts(), &[put("1", T0, "trainer"), put("3", T0 + 60, "intruder")]).is_empty());
    // A bucket not listed in mlguard.toml is not tracked.
    let other = |id: &str, t: i64, who: &str| ev(id, t, who, "s3.amazonaws.com", "PutObject", json!({"bucketName": "logs", "key": "x"}));
    assert!(run(ml_opts(), &[other("1", T0, "a"), other("2", T0 + 3 * 86_400, "b")]).is_empty());
}

#[test]
fn unseen_sensitive_api_after_learning_with_baseline_evidence() {
    let mut evs = Vec::new();
    for i in 0..50 {
        evs.push(ev(&format!("r{i}"), T0 + i * 3600 * 4, "svc", "s3.amazonaws.com", "GetObject", json!({"bucketName": "b", "key": "k"})));
    }
    evs.push(ev("x", T0 + 9 * 86_400, "svc", "iam.amazonaws.com", "CreateAccessKey", json!({"userName": "svc"})));
    let f = run(ml_opts(), &evs);
    assert_eq!(ids(&f), ["CT-BASE-001"]);
    let b = &f[0].evidence["baseline"];
    assert_eq!(b["events"], 50);
    assert_eq!(b["top_apis"][0]["api"], "s3:GetObject");
    assert_eq!(b["top_apis"][0]["class"], "frequent");
    // The same call inside the learning period is not reported.
    let early = vec![evs[0].clone(), ev("y", T0 + 3600, "svc", "iam.amazonaws.com", "CreateAccessKey", json!({"userName": "svc"}))];
    assert!(run(ml_opts(), &early).is_empty());
}

#[test]
fn access_denied_burst_and_instance_credentials() {
    let mut evs = Vec::new();
    for i in 0..12 {
        let mut e = ev(&format!("d{i}"), T0 + i, "scan", "ec2.amazonaws.com", "DescribeInstances", json!({}));
        e["errorCode"] = json!("Client.UnauthorizedOperation");
        evs.push(e);
    }
    let f = run(DetectOptions::default(), &evs);
    assert_eq!(ids(&f), ["CT-BASE-002"]);
    assert_eq!(f[0].evidence["event_ids"].as_array().unwrap().len(), 10);

    let mut inst = ev("i", T0, "x", "sts.amazonaws.com", "GetCallerIdentity", json!({}));
    inst["userIdentity"] = json!({"type": "AssumedRole", "principalId": "AROAX:i-0abc", "arn": "arn:aws:sts::111122223333:assumed-role/r/i-0abc", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/r"}, "ec2RoleDelivery": "2.0"}});
    inst["sourceIPAddress"] = json!("45.33.32.156");
    assert_eq!(ids(&run(DetectOptions::default(), &[inst.clone()])), ["CT-CRED-001"]);
    // A known network of the account is not flagged.
    let mut known = DetectOptions::default();
    assert!(known.builtin.known.add("45.33.32.0/24"));
    known.builtin.known.finish();
    assert!(run(known, &[inst.clone()]).is_empty());
    // With AWS's ranges, an AWS address is the InsideAWS variant at medium.
    let mut aws = DetectOptions::default();
    aws.builtin.aws_ranges = Some(mlguard_trail::net::NetSet::from_ip_ranges(r#"{"prefixes":[{"ip_prefix":"45.33.0.0/16"}]}"#).unwrap());
    let f = run(aws, &[inst]);
    assert_eq!(f[0].evidence["guardduty_finding_type"], "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS");
}

#[test]
fn findings_are_deduplicated_by_event_id() {
    let e = ev("same", T0, "dev", "cloudtrail.amazonaws.com", "StopLogging", json!({"name": "t"}));
    let mut d = Detector::new(DetectOptions::default());
    let mut diags = Vec::new();
    for _ in 0..3 {
        d.process_bytes(e.to_string().as_bytes(), "t", "x", &mut diags);
    }
    let out = d.finish();
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.counts.read, 3);
    assert_eq!(out.counts.duplicates, 2);
}

#[test]
fn resource_policies_kms_and_advanced_selectors() {
    let ecr = ev("e", T0, "dev", "ecr.amazonaws.com", "SetRepositoryPolicy", json!({"repositoryName": "inference", "policyText": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[\"ecr:BatchGetImage\"]}]}"}));
    let f = run(DetectOptions::default(), &[ecr]);
    assert_eq!(ids(&f), ["CT-EXFIL-003"]);
    assert_eq!(f[0].severity, mlguard_core::Severity::High);
    let cross = ev("k", T0, "dev", "kms.amazonaws.com", "PutKeyPolicy", json!({"keyId": "k1", "policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "kms:Decrypt", "Resource": "*"}]}}));
    let f = run(DetectOptions::default(), &[cross]);
    assert_eq!(ids(&f), ["CT-EXFIL-003"]);
    assert_eq!(f[0].severity, mlguard_core::Severity::Medium);
    let own = ev("o", T0, "dev", "kms.amazonaws.com", "PutKeyPolicy", json!({"keyId": "k1", "policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}}));
    assert!(run(DetectOptions::default(), &[own]).is_empty());
    let del = ev("d", T0, "dev", "kms.amazonaws.com", "ScheduleKeyDeletion", json!({"keyId": "k1", "pendingWindowInDays": 7}));
    let f = run(DetectOptions::default(), &[del]);
    assert_eq!(ids(&f), ["CT-KMS-001"]);
    assert!(f[0].title.contains("7 days"), "{}", f[0].title);
    let adv = ev("a", T0, "dev", "cloudtrail.amazonaws.com", "PutEventSelectors", json!({"trailName": "t", "advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}]}));
    assert_eq!(ids(&run(DetectOptions::default(), &[adv])), ["CT-TAMPER-002"]);
    let full = ev("b", T0, "dev", "cloudtrail.amazonaws.com", "PutEventSelectors", json!({"trailName": "t", "eventSelectors": [{"includeManagementEvents": true, "readWriteType": "All", "dataResources": []}]}));
    assert!(run(DetectOptions::default(), &[full]).is_empty());
}

#[test]
fn root_activity_and_console_login() {
    let mut root = ev("r", T0, "x", "iam.amazonaws.com", "ListUsers", json!({}));
    root["userIdentity"] = json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "principalId": "111122223333"});
    assert_eq!(ids(&run(DetectOptions::default(), &[root])), ["CT-CRED-002"]);
    let mut login = ev("c", T0, "alice", "signin.amazonaws.com", "ConsoleLogin", Value::Null);
    login["responseElements"] = json!({"ConsoleLogin": "Success"});
    login["additionalEventData"] = json!({"MFAUsed": "No"});
    assert_eq!(ids(&run(DetectOptions::default(), &[login.clone()])), ["CT-CRED-003"]);
    login["additionalEventData"] = json!({"MFAUsed": "Yes"});
    assert!(run(DetectOptions::default(), &[login]).is_empty());
}

#[test]
fn getobject_volume_outlier() {
    let get = |id: String, t: i64| ev(&id, t, "reader", "s3.amazonaws.com", "GetObject", json!({"bucketName": "data", "key": "k"}));
    let mut evs = Vec::new();
    for h in 0..10 {
        for i in 0..50 {
            evs.push(get(format!("n{h}-{i}"), T0 + h * 3600 + i));
        }
    }
    let quiet = run(DetectOptions::default(), &evs);
    assert!(quiet.is_empty(), "{:?}", ids(&quiet));
    for i in 0..1500 {
        evs.push(get(format!("burst{i}"), T0 + 10 * 3600 + i));
    }
    let f = run(DetectOptions::default(), &evs);
    assert_eq!(ids(&f), ["CT-BASE-003"]);
    assert_eq!(f[0].evidence["count"], 1500);
    assert_eq!(f[0].evidence["mean_per_hour"], 50.0);
    assert_eq!(f[0].evidence["event_ids"].as_array().unwrap().len(), 20);
}

/// `Builtin::has_state` is what lets `Detector` run the built-ins of most records before the
/// reorder buffer: for every Stratus recording's record (and IAM and SageMaker calls made
/// here) that it calls stateless, processing leaves the sequence state as it was.
#[test]
fn records_without_state_leave_the_sequence_state_alone() {
    use mlguard_trail::builtin::Builtin;
    use mlguard_trail::record::Record;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cloudtrail/stratus-red-team");
    let mut recs: Vec<Value> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x != "json").unwrap_or(true) {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        if let Some(Value::Array(a)) = v.get("Records").or(Some(&v)) {
            recs.extend(a.iter().cloned());
        }
    }
    assert!(recs.len() > 100, "{}", recs.len());
    for (source, name) in [("iam.amazonaws.com", "CreateUser"), ("sagemaker.amazonaws.com", "CreateNotebookInstance")] {
        recs.push(ev("s1", T0, "arn:aws:iam::111122223333:user/a", source, name, json!({"userName": "x", "notebookInstanceName": "n"})));
        let mut failed = ev("s2", T0, "arn:aws:iam::111122223333:user/a", source, name, json!({"userName": "x", "notebookInstanceName": "n"}));
        failed["errorCode"] = json!("AccessDenied");
        recs.push(failed);
    }
    let state = |b: &Builtin| (serde_json::to_string(&b.state).unwrap(), b.state.created.len());
    let mut b = Builtin::new(BuiltinOptions::default(), Default::default());
    let (mut stateless, mut stateful) = (0, 0);
    for v in &recs {
        let r = Record::parse(serde_json::to_vec(v).unwrap()).unwrap();
        let before = state(&b);
        b.process(&r, &mut Vec::new());
        if Builtin::has_state(&r) {
            stateful += 1;
        } else {
            stateless += 1;
            assert_eq!(state(&b), before, "{v}");
        }
    }
    assert!(stateless > 100 && stateful > 2, "{stateless} {stateful}");
}
