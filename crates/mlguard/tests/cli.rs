//! End-to-end tests of the `mlguard` binary on the bundled example snapshots.
#![allow(clippy::panic, reason = "test helpers fail the test by panicking")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

fn mlguard(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_mlguard")).args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run mlguard: {e}"),
    }
}

fn json_of(o: &Output) -> Value {
    match serde_json::from_slice(&o.stdout) {
        Ok(v) => v,
        Err(e) => panic!("stdout is not JSON ({e}): {}\nstderr: {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    }
}

fn audit_json(name: &str) -> (Value, i32) {
    let p = example(name);
    let o = mlguard(&["audit", p.to_str().unwrap_or_default(), "--format", "json"]);
    (json_of(&o), o.status.code().unwrap_or(-1))
}

fn reach(name: &str, args: &[&str]) -> Value {
    let p = example(name);
    let mut a = vec!["reach", p.to_str().unwrap_or_default(), "--format", "json"];
    a.extend_from_slice(args);
    let o = mlguard(&a);
    assert_eq!(o.status.code(), Some(0), "reach {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    json_of(&o)
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"].as_array().map(|a| a.iter().filter_map(|f| f["rule_id"].as_str().map(String::from)).collect()).unwrap_or_default()
}

#[test]
fn secure_platform_trips_no_control() {
    let (r, code) = audit_json("secure-ml-platform");
    assert_eq!(rule_ids(&r), Vec::<String>::new(), "{}", serde_json::to_string_pretty(&r["findings"]).unwrap_or_default());
    assert_eq!(code, 0);
    assert_eq!(r["diagnostics"].as_array().map(|a| a.len()), Some(0), "{}", r["diagnostics"]);
}

#[test]
fn insecure_platform_trips_every_network_control() {
    let (r, code) = audit_json("insecure-ml-platform");
    let ids = rule_ids(&r);
    for id in ["NET-001", "NET-002", "NET-003", "NET-004", "NET-005", "NET-006", "NET-007", "NET-008", "NET-009"] {
        assert!(ids.iter().any(|x| x == id), "{id} missing from {ids:?}");
    }
    assert_eq!(code, 1, "findings at or above high must exit 1");
    // Every finding carries the fields the findings model promises.
    for f in r["findings"].as_array().into_iter().flatten() {
        for k in ["rule_id", "severity", "title", "resource_id", "resource_type", "account", "region", "description", "remediation"] {
            assert!(f[k].as_str().map(|s| !s.is_empty()).unwrap_or(false), "finding lacks {k}: {f}");
        }
        assert!(f["references"].as_array().map(|a| a.len() >= 2).unwrap_or(false));
    }
}

#[test]
fn insecure_platform_trips_every_bucket_control() {
    let (r, _) = audit_json("insecure-ml-platform");
    let ids = rule_ids(&r);
    for id in ["S3-001", "S3-002", "S3-003", "S3-004", "S3-005", "S3-006", "S3-007", "SM-001", "SM-002", "SM-003", "SM-004", "SM-005", "SM-006", "SM-007", "DET-001", "DET-002", "DET-003", "DET-004", "TGW-001", "ENC-001", "IAM-001", "IAM-002", "IAM-003", "IAM-004", "IAM-005", "REG-001", "EP-001", "MON-001", "WAF-001"] {
        assert!(ids.iter().any(|x| x == id), "{id} missing from {ids:?}");
    }
    // The bucket is found from the SageMaker resources that use it, and both roles are named.
    let f = r["findings"].as_array().into_iter().flatten().find(|f| f["rule_id"] == "S3-001").cloned().unwrap_or_default();
    assert_eq!(f["resource_id"], "arn:aws:s3:::team-a-ml-data-111122223333");
    assert_eq!(f["evidence"]["roles"], serde_json::json!(["model-artifact", "training-data"]));
    assert!(f["evidence"]["because"].to_string().contains("output of training job churn-xgb-train"), "{}", f["evidence"]);
}

#[test]
fn insecure_ipv6_exposure_is_found() {
    let (r, _) = audit_json("insecure-ml-platform");
    let hit = r["findings"].as_array().into_iter().flatten().any(|f| {
        f["rule_id"] == "NET-001" && f["evidence"]["paths"].as_array().into_iter().flatten().any(|p| p["source_ranges"].as_array().into_iter().flatten().any(|s| s.as_str().map(|s| s.contains(':')).unwrap_or(false)))
    });
    assert!(hit, "an IPv6 internet exposure must be reported");
}

#[test]
fn team_paths_two_way_and_one_way() {
    let (r, _) = audit_json("insecure-ml-platform");
    let team: Vec<&Value> = r["findings"].as_array().into_iter().flatten().filter(|f| f["rule_id"] == "NET-007").collect();
    assert!(team.iter().any(|f| f["evidence"]["two_way"] == true && f["severity"] == "high"));
    assert!(team.iter().any(|f| f["evidence"]["two_way"] == false && f["severity"] == "medium" && f["description"].as_str().unwrap_or("").contains("udp 514")));
}

#[test]
fn nacl_deny_is_not_exposure() {
    // Prowler's internet-exposure check ignores network ACLs; this bastion is blocked by one.
    let a = reach("secure-ml-platform", &["--from", "internet", "--to", "i-045d846ef541265f8", "--port", "22"]);
    assert_eq!(a["reachable"], false);
    assert_eq!(a["paths"].as_array().map(|p| p.len()), Some(0));
    let b = &a["blocked"][0];
    assert_eq!(b["at"]["type"], "network-acl");
    assert!(b["reason"].as_str().unwrap_or("").contains("rule 90 denies"), "{b}");
}

#[test]
fn main_route_table_is_the_subnets_own_vpcs() {
    let a = reach("secure-ml-platform", &["--from", "internet", "--to", "i-052556982e82ac25b", "--port", "3389"]);
    assert_eq!(a["reachable"], false);
    assert!(a["blocked"].to_string().contains("no route"), "{}", a["blocked"]);
}

#[test]
fn stateless_return_path_is_required() {
    let a = reach("secure-ml-platform", &["--from", "internet", "--to", "i-034437eb446397685", "--port", "6379"]);
    assert_eq!(a["reachable"], false);
    assert!(a["blocked"][0]["reason"].as_str().unwrap_or("").starts_with("reply dropped"), "{}", a["blocked"]);
    // The forward path alone is open.
    let b = reach("secure-ml-platform", &["--from", "internet", "--to", "i-034437eb446397685", "--port", "6379", "--one-way"]);
    assert_eq!(b["reachable"], true);
    assert!(b["paths"][0].get("return_hops").is_none());
}

#[test]
fn s3_goes_through_the_gateway_endpoint_in_the_secure_platform() {
    let a = reach("secure-ml-platform", &["--from", "i-09683c31952a00061", "--to", "s3", "--port", "443"]);
    assert_eq!(a["reachable"], true);
    for p in a["paths"].as_array().into_iter().flatten() {
        assert_eq!(p["arrives"], "gateway-endpoint");
    }
}

#[test]
fn segmented_teams_are_blocked_by_the_blackhole() {
    let a = reach("secure-ml-platform", &["--from", "eni-0bc9111150cbe5f82", "--to", "eni-02c39e229aa937490", "--protocol", "all"]);
    assert_eq!(a["reachable"], false);
    assert!(a["blocked"].to_string().contains("blackhole"), "{}", a["blocked"]);
}

#[test]
fn notebook_exposure_path_is_explained() {
    let a = reach("insecure-ml-platform", &["--from", "internet", "--to", "eni-0f1cee0f67606f7c1", "--port", "8888"]);
    assert_eq!(a["reachable"], true);
    let p = &a["paths"][0];
    let kinds: Vec<&str> = p["hops"].as_array().into_iter().flatten().filter_map(|h| h["type"].as_str()).collect();
    assert_eq!(kinds, ["internet", "internet-gateway", "network-acl", "security-group", "network-interface"]);
    assert_eq!(p["source_ranges"][0], "0.0.0.0/0 (every public IPv4 address)");
    assert!(!p["return_hops"].as_array().map(|h| h.is_empty()).unwrap_or(true));
}

#[test]
fn reach_text_explains_a_block() {
    let p = example("secure-ml-platform");
    let o = mlguard(&["reach", p.to_str().unwrap_or_default(), "--from", "internet", "--to", "i-045d846ef541265f8", "--port", "22"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("NOT REACHABLE"), "{text}");
    assert!(text.contains("blocked by network-acl acl-"), "{text}");
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let p = example("insecure-ml-platform");
    let o = mlguard(&["audit", p.to_str().unwrap_or_default(), "--format", "sarif"]);
    let doc = json_of(&o);
    let schema_text = std::fs::read_to_string(root().join("crates/mlguard_core/tests/data/sarif-schema-2.1.0.json")).unwrap_or_default();
    let schema: Value = serde_json::from_str(&schema_text).unwrap_or(Value::Null);
    let validator = match jsonschema::draft4::new(&schema) {
        Ok(v) => v,
        Err(e) => panic!("schema does not compile: {e}"),
    };
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(doc["runs"][0]["results"].as_array().map(|r| !r.is_empty()).unwrap_or(false));
}

#[test]
fn asff_output_has_required_fields() {
    let p = example("insecure-ml-platform");
    let o = mlguard(&["audit", p.to_str().unwrap_or_default(), "--format", "asff"]);
    let doc = json_of(&o);
    let list = doc.as_array().cloned().unwrap_or_default();
    assert!(!list.is_empty());
    for f in list {
        for k in ["SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources"] {
            assert!(!f[k].is_null(), "ASFF finding lacks {k}");
        }
    }
}

#[test]
fn rules_and_explain() {
    let o = mlguard(&["rules", "--format", "json"]);
    let v = json_of(&o);
    assert_eq!(v.as_array().map(|a| a.len()), Some(67));
    let o = mlguard(&["explain", "net-007"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("# NET-007") && text.contains("## Fix") && text.contains("SEC05"), "{text}");
    let o = mlguard(&["explain", "NET-999"]);
    assert_eq!(o.status.code(), Some(2));
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    for e in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            let _ = std::fs::copy(&p, &t);
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mlguard-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn bad_input_is_reported_with_file_and_path_and_the_rest_is_analysed() {
    let d = temp_dir("bad-input");
    copy_dir(&example("insecure-ml-platform"), &d);
    let ec2 = d.join("111122223333/us-east-1/ec2");
    // A malformed file, an element with a wrong type, and an unknown file.
    let _ = std::fs::write(ec2.join("describe-vpc-endpoints.json"), "{\"VpcEndpoints\": [");
    let sgs = std::fs::read_to_string(ec2.join("describe-security-groups.json")).unwrap_or_default();
    let mut v: Value = serde_json::from_str(&sgs).unwrap_or(Value::Null);
    if let Some(list) = v["SecurityGroups"].as_array_mut() {
        list.push(serde_json::json!({"GroupId": 42}));
    }
    let _ = std::fs::write(ec2.join("describe-security-groups.json"), v.to_string());
    let _ = std::fs::write(ec2.join("describe-everything.json"), "{}");
    let o = mlguard(&["audit", d.to_str().unwrap_or_default(), "--format", "json"]);
    let r = json_of(&o);
    let diags = r["diagnostics"].to_string();
    assert!(diags.contains("describe-vpc-endpoints.json") && diags.contains("malformed JSON"), "{diags}");
    assert!(diags.contains("$.SecurityGroups[") && diags.contains("GroupId"), "{diags}");
    assert!(diags.contains("describe-everything.json"), "{diags}");
    // The rest of the snapshot is still analysed.
    assert!(rule_ids(&r).iter().any(|x| x == "NET-001"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unusable_input_exits_2() {
    let o = mlguard(&["audit", "/nonexistent/snapshot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/snapshot"));
    let d = temp_dir("empty");
    let _ = std::fs::create_dir_all(&d);
    let o = mlguard(&["audit", d.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
    let o = mlguard(&["audit", "x", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs mlguard from the repository root so report paths are relative and stable.
fn mlguard_in_root(args: &[&str]) -> String {
    match Command::new(env!("CARGO_BIN_EXE_mlguard")).args(args).current_dir(root()).output() {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(e) => panic!("cannot run mlguard: {e}"),
    }
}

#[test]
fn snapshot_audit_table_reports() {
    insta::assert_snapshot!("audit_insecure_table", mlguard_in_root(&["audit", "examples/insecure-ml-platform"]));
    insta::assert_snapshot!("audit_secure_table", mlguard_in_root(&["audit", "examples/secure-ml-platform"]));
}

#[test]
fn snapshot_audit_json_report() {
    insta::assert_snapshot!("audit_insecure_json", mlguard_in_root(&["audit", "examples/insecure-ml-platform", "--format", "json"]));
}

#[test]
fn snapshot_reach_explanations() {
    insta::assert_snapshot!(
        "reach_notebook_8888",
        mlguard_in_root(&["reach", "examples/insecure-ml-platform", "--from", "internet", "--to", "eni-0f1cee0f67606f7c1", "--port", "8888"])
    );
    insta::assert_snapshot!(
        "reach_team_c_to_team_a_one_way",
        mlguard_in_root(&["reach", "examples/insecure-ml-platform", "--from", "10.3.1.0/24", "--to", "10.1.30.0/24", "--protocol", "udp", "--port", "514", "--one-way"])
    );
    insta::assert_snapshot!(
        "reach_bastion_blocked",
        mlguard_in_root(&["reach", "examples/secure-ml-platform", "--from", "internet", "--to", "i-045d846ef541265f8", "--port", "22"])
    );
}

#[test]
fn config_suppresses_and_expired_suppressions_say_so() {
    let d = temp_dir("config");
    copy_dir(&example("insecure-ml-platform"), &d);
    let _ = std::fs::write(
        d.join("mlguard.toml"),
        "[[suppress]]\nrule = \"WAF-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"REG-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"EP-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"MON-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"IAM-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"ENC-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"TGW-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"NET-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"DET-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"SM-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"S3-*\"\nresource = \"*\"\nreason = \"lab account, accepted\"\n\n[[suppress]]\nrule = \"NET-001\"\nresource = \"*\"\nreason = \"old exception\"\nexpires = \"2020-01-01\"\n",
    );
    let o = mlguard(&["audit", d.to_str().unwrap_or_default(), "--format", "json"]);
    let r = json_of(&o);
    // Everything is suppressed, so nothing fails the run.
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(r["findings"].as_array().into_iter().flatten().all(|f| f["suppressed"] == "lab account, accepted"));
    assert!(r["diagnostics"].to_string().contains("expired on 2020-01-01"), "{}", r["diagnostics"]);
    // A misspelt key is an error naming it, exit 2.
    let _ = std::fs::write(d.join("mlguard.toml"), "[network]\nteam_tags = \"owner\"\n");
    let o = mlguard(&["audit", d.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("team_tags"), "{}", String::from_utf8_lossy(&o.stderr));
    // The team tag from the configuration is used: with a tag no VPC has, NET-007 disappears.
    let _ = std::fs::write(d.join("mlguard.toml"), "[network]\nteam_tag = \"no-such-tag\"\n");
    let r = json_of(&mlguard(&["audit", d.to_str().unwrap_or_default(), "--format", "json"]));
    assert!(!rule_ids(&r).iter().any(|x| x == "NET-007"));
    let _ = std::fs::remove_dir_all(&d);
}

/// `docs/rules/` is generated from the same `RuleDoc`s as `mlguard rules` and `explain`;
/// this test fails when they drift. Regenerate with `UPDATE_DOCS=1 cargo test -p mlguard --test cli rule_docs`.
#[test]
fn rule_docs_are_generated_from_the_rules() {
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let dir = root().join("docs/rules");
    let rules = json_of(&mlguard(&["rules", "--format", "json"]));
    let mut index = String::from("# Rules\n\nGenerated from the rules' own documentation (`mlguard rules`, `mlguard explain ID`); do not edit by hand.\n\n| Id | Severity | Practice | Title |\n|---|---|---|---|\n");
    let mut stale = Vec::new();
    for r in rules.as_array().into_iter().flatten() {
        let id = r["id"].as_str().unwrap_or_default();
        index.push_str(&format!("| [{id}]({id}.md) | {} | {} | {} |\n", r["severity"].as_str().unwrap_or_default(), r["practice"].as_str().unwrap_or_default(), r["title"].as_str().unwrap_or_default()));
        let text = String::from_utf8_lossy(&mlguard(&["explain", id]).stdout).into_owned();
        let path = dir.join(format!("{id}.md"));
        if update {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(&path, &text);
        } else if std::fs::read_to_string(&path).unwrap_or_default() != text {
            stale.push(path.display().to_string());
        }
    }
    let path = dir.join("README.md");
    if update {
        let _ = std::fs::write(&path, &index);
    } else if std::fs::read_to_string(&path).unwrap_or_default() != index {
        stale.push(path.display().to_string());
    }
    assert!(stale.is_empty(), "stale rule docs (run UPDATE_DOCS=1 cargo test -p mlguard --test cli rule_docs): {stale:?}");
}

#[test]
fn sagemaker_resources_as_endpoints() {
    // A training job placed in its VPC subnet reaches S3 through the NAT gateway (no endpoint).
    let a = reach("insecure-ml-platform", &["--from", "arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-xgb-train-2024-06-03-14-02-11-503", "--to", "s3", "--port", "443"]);
    assert_eq!(a["reachable"], true);
    let kinds: Vec<&str> = a["paths"][0]["hops"].as_array().into_iter().flatten().filter_map(|h| h["type"].as_str()).collect();
    assert!(kinds.contains(&"nat-gateway") && kinds.contains(&"internet-gateway"), "{kinds:?}");
    assert_eq!(a["paths"][0]["source_ranges"][0], "10.1.10.0/24");
    // A notebook with direct internet access reaches the internet outside the VPC.
    let b = reach("insecure-ml-platform", &["--from", "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/team-a-nb-quickstart", "--to", "internet"]);
    assert_eq!(b["reachable"], true);
    assert_eq!(b["paths"][0]["arrives"], "sagemaker-network");
    // A private notebook cannot be addressed from the internet, and the answer says why.
    let c = reach("secure-ml-platform", &["--from", "internet", "--to", "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/ml-research-nb-01"]);
    assert_eq!(c["reachable"], false);
    assert!(c["blocked"][0]["reason"].as_str().unwrap_or("").contains("no public IPv4"), "{}", c["blocked"]);
}
