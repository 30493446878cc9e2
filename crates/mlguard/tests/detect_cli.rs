//! `mlguard detect` end to end: formats, exit codes, counts, standard input, state, config.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn mlguard(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlguard"));
    c.args(args).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("run mlguard");
    if let Some(b) = stdin {
        child.stdin.take().unwrap().write_all(b).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mlguard-detect-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stratus(t: &str) -> String {
    s(&shared(&format!("data/cloudtrail/stratus-red-team/{t}.json")))
}

#[test]
fn json_report_with_sigma_rules_and_exit_code_1() {
    let out = mlguard(&["detect", &stratus("aws.defense-evasion.cloudtrail-stop"), "--rules", &s(&shared("data/sigma-aws/cloudtrail")), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["rule_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CT-TAMPER-001", "SIGMA-aws_cloudtrail_disable_logging"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("read 1 records, skipped 0, matched 1"), "{err}");
    assert!(err.contains("57 Sigma rules"), "{err}");
}

#[test]
fn jsonl_one_finding_per_line_and_fail_on() {
    let out = mlguard(&["detect", &stratus("aws.persistence.iam-create-admin-user"), "--format", "jsonl", "--fail-on", "critical"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|f| !f["evidence"]["event_ids"].as_array().unwrap().is_empty()));
}

#[test]
fn jsonl_written_by_the_detector_equals_the_findings_path() {
    // Without a configuration the detector writes JSON Lines itself (Sigma findings straight from
    // the record); with one (suppressions possible) every finding goes through a `Finding`. Same
    // lines, same exit code, over every Stratus recording with the 57 Sigma rules.
    let dir = tempdir("jsonl-paths");
    std::fs::write(dir.join("mlguard.toml"), "").unwrap();
    let input = s(&shared("data/cloudtrail/stratus-red-team"));
    let rules = s(&shared("data/sigma-aws/cloudtrail"));
    let direct = mlguard(&["detect", &input, "--rules", &rules, "--format", "jsonl", "--fail-on", "high"], None);
    let via = mlguard(&["detect", &input, "--rules", &rules, "--format", "jsonl", "--fail-on", "high", "--config", &s(&dir.join("mlguard.toml"))], None);
    assert_eq!(direct.status.code(), via.status.code(), "{}", String::from_utf8_lossy(&direct.stderr));
    assert_eq!(direct.status.code(), Some(1));
    let lines = |o: &Output| {
        let mut v: Vec<String> = String::from_utf8(o.stdout.clone()).unwrap().lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    let (a, b) = (lines(&direct), lines(&via));
    assert!(a.len() > 50, "{} lines", a.len());
    assert!(a.iter().any(|l| l.contains("\"rule_id\":\"SIGMA-")));
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sarif_and_asff_are_written() {
    let sarif = mlguard(&["detect", &stratus("aws.exfiltration.ec2-share-ami"), "--format", "sarif"], None);
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "CT-EXFIL-002");
    let asff = mlguard(&["detect", &stratus("aws.exfiltration.ec2-share-ami"), "--format", "asff"], None);
    let v: serde_json::Value = serde_json::from_slice(&asff.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
}

#[test]
fn stdin_with_a_malformed_record_is_reported_and_skipped() {
    let good = std::fs::read_to_string(stratus("aws.defense-evasion.vpc-remove-flow-logs")).unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    let input = format!("{}\n{{\"eventID\": nope}}\n", good[0]);
    let out = mlguard(&["detect", "-", "--format", "json"], Some(input.as_bytes()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>: at line 2: malformed record skipped"), "{err}");
    assert!(err.contains("read 1 records, skipped 1, matched 1"), "{err}");
    assert_eq!(out.status.code(), Some(0), "CT-TAMPER-004 is medium, below the default --fail-on high");
}

#[test]
fn nothing_readable_is_exit_2() {
    let out = mlguard(&["detect", "/nonexistent/trail"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = mlguard(&["detect", "-"], Some(b"this is not json"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a JSON object or array"));
    let out = mlguard(&["detect", &stratus("aws.exfiltration.ec2-share-ami"), "--format", "xml"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn state_dir_makes_a_rerun_count_nothing_twice() {
    let dir = tempdir("state");
    let state = dir.join("state");
    let f = stratus("aws.credential-access.ec2-get-password-data");
    let first = mlguard(&["detect", &f, "--state", &s(&state), "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "CT-BASE-002 once");
    assert!(state.join("baselines.redb").is_file());
    let second = mlguard(&["detect", &f, "--state", &s(&state), "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert!(String::from_utf8_lossy(&second.stderr).contains("34 duplicate"), "{}", String::from_utf8_lossy(&second.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn since_until_filter_and_ml_buckets_from_config() {
    let dir = tempdir("cfg");
    std::fs::write(dir.join("mlguard.toml"), "[buckets]\nmodel_artifacts = [\"acme-models\"]\n").unwrap();
    let rec = serde_json::json!({"eventID": "v1", "eventTime": "2025-03-01T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning", "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a"}, "requestParameters": {"bucketName": "acme-models", "VersioningConfiguration": {"Status": "Suspended"}}});
    let p = dir.join("t.jsonl");
    std::fs::write(&p, format!("{rec}\n")).unwrap();
    let out = mlguard(&["detect", &s(&p), "--config", &s(&dir.join("mlguard.toml")), "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["severity"], "high", "versioning suspended on an ML bucket");
    assert_eq!(out.status.code(), Some(1));
    let out = mlguard(&["detect", &s(&p), "--since", "2025-03-02", "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 outside the time range"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshot_gives_ml_buckets_and_known_networks() {
    let dir = tempdir("snap");
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/insecure-ml-platform");
    let ident = serde_json::json!({"type": "AssumedRole", "principalId": "AROAX:i-0abc", "arn": "arn:aws:sts::111122223333:assumed-role/r/i-0abc",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/r"}, "ec2RoleDelivery": "2.0"}});
    let recs = [
        // Versioning suspended on the training-data bucket the snapshot's SageMaker resources use.
        serde_json::json!({"eventID": "v1", "eventTime": "2025-03-01T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning", "awsRegion": "us-east-1",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"}, "requestParameters": {"bucketName": "team-a-ml-data-111122223333", "VersioningConfiguration": {"Status": "Suspended"}}}),
        // Instance credentials from one of the snapshot's public addresses, then from elsewhere.
        serde_json::json!({"eventID": "c1", "eventTime": "2025-03-01T10:00:01Z", "eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userIdentity": ident, "sourceIPAddress": "3.83.45.190"}),
        serde_json::json!({"eventID": "c2", "eventTime": "2025-03-01T10:00:02Z", "eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userIdentity": ident, "sourceIPAddress": "45.33.32.156"}),
    ];
    let p = dir.join("t.jsonl");
    std::fs::write(&p, recs.iter().map(|r| format!("{r}\n")).collect::<String>()).unwrap();
    let out = mlguard(&["detect", &s(&p), "--snapshot", &s(&snapshot), "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, String)> = v["findings"].as_array().unwrap().iter().map(|f| (f["rule_id"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string(), f["evidence"]["event_ids"][0].as_str().unwrap().to_string())).collect();
    assert!(found.contains(&("CT-S3-002".into(), "high".into(), "v1".into())), "{found:?}");
    assert!(found.contains(&("CT-CRED-001".into(), "high".into(), "c2".into())), "{found:?}");
    assert!(!found.iter().any(|f| f.2 == "c1"), "a known address of the account is not flagged: {found:?}");
    // Without the snapshot the bucket is not known as an ML bucket and both addresses are unknown.
    let out = mlguard(&["detect", &s(&p), "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sev: Vec<&str> = v["findings"].as_array().unwrap().iter().filter(|f| f["rule_id"] == "CT-S3-002").map(|f| f["severity"].as_str().unwrap()).collect();
    assert_eq!(sev, ["medium"]);
    assert_eq!(v["findings"].as_array().unwrap().iter().filter(|f| f["rule_id"] == "CT-CRED-001").count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
