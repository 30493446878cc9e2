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

/// Every event of the Stratus recordings, the Panther tests and a synthetic corpus.
fn all_events() -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(shared("data/cloudtrail/stratus-red-team")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x == "json").unwrap_or(false) {
            let v: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            out.extend(v);
        }
    }
    let panther = std::fs::read_to_string(shared("data/cloudtrail/panther-analysis-tests/cloudtrail_rule_tests.jsonl")).unwrap();
    for line in panther.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        out.push(v["event"].clone());
    }
    // One directory per call: tests calling this run in parallel.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mlguard-trail-sigma-diff-{}-{call}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    mlguard_trail::synth::generate(&mlguard_trail::synth::SynthOptions { bytes: 4 << 20, seed: 11, records_per_file: 500, ..Default::default() }, &dir).unwrap();
    let (inputs, _) = mlguard_trail::reader::inputs(std::slice::from_ref(&dir));
    for i in inputs {
        let mlguard_trail::reader::Input::File(p) = i else { continue };
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        out.extend(v["Records"].as_array().unwrap().iter().cloned());
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The production path (the candidate index of `rsigma-eval` over mlguard's borrowed `Record`)
/// gives exactly what evaluating every rule on every event over a `serde_json::Value` gives.
#[test]
fn indexed_evaluation_of_records_equals_a_full_scan_of_values() {
    use rsigma_eval::{evaluate_rule, JsonEvent};
    let set = sigma();
    let engine = set.engine();
    let events = all_events();
    assert!(events.len() > 3000, "{}", events.len());
    let mut matched = 0usize;
    let fp = |rs: Vec<rsigma_eval::EvaluationResult>| -> Vec<String> {
        let mut v: Vec<String> = rs.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
        v.sort();
        v
    };
    for ev in &events {
        let rec = Record::parse(serde_json::to_vec(ev).unwrap()).unwrap();
        let indexed = fp(engine.evaluate(&rec));
        let j = JsonEvent::borrow(ev);
        let full = fp(engine.rules().iter().filter_map(|r| evaluate_rule(r, &j)).collect());
        assert_eq!(indexed, full, "event {ev}");
        // mlguard's own event-name index (`SigmaSet::matches`) reports exactly those rules.
        let mut ours: Vec<String> = set.matches(&rec).iter().map(|m| m.title.clone()).collect();
        ours.sort();
        let mut theirs: Vec<String> = engine.rules().iter().filter_map(|r| evaluate_rule(r, &j)).map(|r| r.header.rule_title.clone()).collect();
        theirs.sort();
        assert_eq!(ours, theirs, "event {ev}");
        matched += full.len();
    }
    assert!(matched > 100, "{matched}");
}

/// Only a condition that forces a literal `eventName` (or `eventSource`) files a rule under it.
#[test]
fn the_event_name_index_files_only_rules_that_force_a_literal() {
    let rule = |name: &str, det: &str| format!("title: {name}\nid: {name}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{det}\nlevel: low\n");
    let cases = [
        // (detection, filed under names, under sources, always)
        ("  sel:\n    eventName: StopLogging\n  condition: sel", (1, 0, 0)),
        ("  sel:\n    eventSource: s3.amazonaws.com\n    eventName|startswith: Put\n  condition: sel", (0, 1, 0)),
        ("  sel:\n    eventName: Delete*\n  condition: sel", (0, 0, 1)),
        ("  sel:\n    eventName: StopLogging\n  condition: not sel", (0, 0, 1)),
        ("  sel1:\n    eventName: A\n  sel2:\n    userIdentity.type: Root\n  condition: 1 of sel*", (0, 0, 1)),
        ("  sel1:\n    eventName: A\n  sel2:\n    eventName: B\n  condition: 1 of sel*", (1, 0, 0)),
        ("  sel:\n    eventName: A\n  filter:\n    userIdentity.type: Root\n  condition: sel and not filter", (1, 0, 0)),
        ("  sel:\n    eventName: null\n  condition: sel", (0, 0, 1)),
        ("  sel:\n    - eventName: A\n    - errorCode: X\n  condition: sel", (0, 0, 1)),
        ("  sel:\n    eventName|cased: StopLogging\n  condition: sel", (0, 0, 1)),
    ];
    for (i, (det, want)) in cases.iter().enumerate() {
        let mut set = mlguard_trail::sigma::SigmaSet::default();
        let diags = set.add_yaml("r.yml", &rule(&format!("r{i}"), det));
        assert!(diags.is_empty() && set.loaded == 1, "{det}: {diags:?}");
        assert_eq!(set.index_sizes(), *want, "{det}");
    }
    // Case-insensitive, as Sigma's default equality is.
    let mut set = mlguard_trail::sigma::SigmaSet::default();
    set.add_yaml("r.yml", &rule("x", cases[0].0));
    let hit = |name: &str| set.matches(&Record::new(serde_json::json!({"eventName": name, "eventSource": "cloudtrail.amazonaws.com"}))).len();
    assert_eq!((hit("StopLogging"), hit("stoplogging"), hit("StartLogging")), (1, 1, 0));
}

#[test]
fn most_of_the_57_rules_are_indexed() {
    let (names, sources, always) = sigma().index_sizes();
    assert_eq!(names + sources + always, 57);
    eprintln!("Sigma rules filed under event names: {names}, event sources: {sources}, always evaluated: {always}");
    assert!(names + sources >= 40, "{names} {sources} {always}");
    // Rules evaluated always are gated on another field their condition forces, where one does.
    let gates = sigma().gates();
    eprintln!("gated rules: {gates:?}");
    assert!(gates.iter().any(|(t, f)| t == "AWS Root Credentials" && f == "userIdentity.type"), "{gates:?}");
    // ... or, from a `|re` pattern, to contain a literal.
    assert!(gates.iter().any(|(t, f)| t == "Malicious Usage Of IMDS Credentials Outside Of AWS Infrastructure" && f == "userIdentity.arn"), "{gates:?}");
}

/// Rules gated on a literal their `|re` pattern forces a field to contain match exactly what
/// evaluating every rule on the event matches (strings built from pieces of the literals, in
/// other cases, around newlines and non-ASCII characters; values that are not strings).
mod re_gate {
    use super::*;
    use proptest::prelude::*;

    const PATTERNS: [&str; 6] = [".+:assumed-role/aws:.+", "^ab-c", "x/y$", ".*q:r.*", "lit", "(a|b)c"];

    fn set() -> mlguard_trail::sigma::SigmaSet {
        let mut set = mlguard_trail::sigma::SigmaSet::default();
        for (i, p) in PATTERNS.iter().enumerate() {
            let y = format!("title: re{i}\nid: re{i}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    userIdentity.arn|re: '{p}'\n  filter:\n    eventSource: ssm.amazonaws.com\n  condition: sel and not filter\nlevel: low\n");
            let diags = set.add_yaml(&format!("re{i}.yml"), &y);
            assert!(diags.is_empty(), "{diags:?}");
        }
        assert_eq!(set.gates().len(), 5, "{:?}", set.gates());
        set
    }

    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", ":assumed-role/aws:", ":ASSUMED-ROLE/AWS:", ":assumed-role/aws", "a", "\n", "é", "ab-c", "AB-C", "x/y", "q:r", "lit", "li", "bc", "arn:aws:sts::1:assumed-role/aws:x"])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn gated_rules_match_as_a_full_scan(parts in prop::collection::vec(piece(), 0..5), kind in 0u8..5, source in prop::sample::select(vec!["s3.amazonaws.com", "ssm.amazonaws.com"])) {
            use rsigma_eval::{evaluate_rule, JsonEvent};
            let arn = parts.concat();
            let value = match kind {
                0 => serde_json::json!(7),
                1 => serde_json::json!([arn]),
                2 => serde_json::Value::Null,
                _ => serde_json::json!(arn),
            };
            let ev = serde_json::json!({"eventName": "GetObject", "eventSource": source, "userIdentity": {"type": "AssumedRole", "arn": value}});
            let set = set();
            let rec = Record::parse(serde_json::to_vec(&ev).unwrap()).unwrap();
            let ours: BTreeSet<String> = set.matches(&rec).iter().map(|m| m.title.clone()).collect();
            let j = JsonEvent::borrow(&ev);
            let full: BTreeSet<String> = set.engine().rules().iter().filter_map(|r| evaluate_rule(r, &j)).map(|r| r.header.rule_title.clone()).collect();
            prop_assert_eq!(ours, full);
        }
    }
}

/// `Detector::jsonl` writes byte for byte what serialising the `Finding`s of `take_findings`
/// writes (as `mlguard detect --format jsonl` does), Sigma findings written from the record
/// included, on every Stratus, Panther and synthetic event and on records with characters that
/// JSON escapes.
#[test]
fn jsonl_mode_writes_what_serialising_the_findings_writes() {
    use mlguard_trail::{DetectOptions, Detector};
    let set = std::sync::Arc::new(sigma());
    let mut events = all_events();
    for (i, arn) in ["arn:aws:sts::1:assumed-role/R/\"q\\\n\t\u{1}\u{7f}é😀", "", "x\u{8}\u{c}\r/</"].iter().enumerate() {
        events.push(serde_json::json!({
            "eventID": format!("esc-{i}"), "eventTime": "2024-01-01T00:00:00Z", "eventSource": "sts.amazonaws.com", "eventName": format!("Get\"Caller\\{i}"),
            "awsRegion": "eu-\nwest-1", "sourceIPAddress": "1.2.3.4\"", "recipientAccountId": "12\\3",
            "userIdentity": {"type": "AssumedRole", "arn": arn, "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::1:role/\"{i}")}}}
        }));
        events.push(serde_json::json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", "userIdentity": {"type": "IAMUser", "arn": arn}}));
    }
    events.push(serde_json::json!({"eventID": "y", "eventTime": "12345-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket"}));
    let run = |jsonl: bool| -> Vec<u8> {
        let mut d = Detector::new(DetectOptions { sigma: set.clone(), ..DetectOptions::default() });
        if jsonl {
            d.jsonl();
        }
        let mut diags = Vec::new();
        let mut out = Vec::new();
        for (i, ev) in events.iter().enumerate() {
            d.process_bytes(ev.to_string().as_bytes(), "t", "x", &mut diags);
            if i % 1000 == 999 {
                d.write_jsonl(&mut out).unwrap();
                for f in d.take_findings() {
                    serde_json::to_writer(&mut out, &f).unwrap();
                    out.push(b'\n');
                }
            }
        }
        d.write_jsonl(&mut out).unwrap();
        let o = d.finish();
        out.extend_from_slice(&o.jsonl);
        for f in &o.findings {
            serde_json::to_writer(&mut out, f).unwrap();
            out.push(b'\n');
        }
        out
    };
    let (a, b) = (run(false), run(true));
    let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
    assert!(a.lines().count() > 1000, "{}", a.lines().count());
    assert!(a.contains("\\\"q\\\\\\n\\t\\u0001\u{7f}é😀"), "escaped ARN not in the output");
    for (x, y) in a.lines().zip(b.lines()) {
        assert_eq!(x, y);
    }
    assert_eq!(a.lines().count(), b.lines().count());
}
