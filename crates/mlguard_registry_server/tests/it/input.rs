//! Bad input: 4xx with a JSON error, and nothing changed.

use crate::common::*;
use serde_json::json;

const VERSIONS: &str = "/v1/groups/{group}/versions";

fn version_count(api: &Api, t: &Tokens) -> usize {
    api.get(VERSIONS, "/v1/groups/fraud/versions", &t.alice).body["versions"].as_array().unwrap().len()
}

#[test]
fn bad_artifact_paths_are_400_and_change_nothing() {
    let s = setup("paths");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    assert_eq!(api.put_blob("fraud", &sha(b"w"), &t.alice, b"w").status, 201);
    for bad in ["../escape", "a/../../b", "/etc/passwd", "a\\b", "./a", "a//b", ""] {
        let a = api.json("POST", VERSIONS, "/v1/groups/fraud/versions", &t.alice, &json!({"artifacts": [{"path": bad, "sha256": sha(b"w")}]}));
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(a.body["error"], "invalid_path", "{bad}: {}", a.body);
    }
    assert_eq!(version_count(&api, t), 0);
    let g = api.get("/v1/groups/{group}", "/v1/groups/fraud", &t.alice);
    assert_eq!(g.body["group"]["latest_version"], 0);
}

#[test]
fn digest_mismatch_on_upload_is_400_and_stores_nothing() {
    let s = setup("digest");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    let claimed = sha(b"the real weights");
    let a = api.put_blob("fraud", &claimed, &t.alice, b"tampered weights");
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"], "digest_mismatch");
    // Neither digest was stored: a version naming either is refused.
    for d in [claimed, sha(b"tampered weights")] {
        let v = api.json("POST", VERSIONS, "/v1/groups/fraud/versions", &t.alice, &json!({"artifacts": [{"path": "m", "sha256": d}]}));
        assert_eq!(v.status, 409, "{}", v.body);
        assert_eq!(v.body["error"], "blob_missing");
    }
    let bad_hex = api.put_blob("fraud", "xyz", &t.alice, b"w");
    assert_eq!(bad_hex.status, 400);
    assert_eq!(version_count(&api, t), 0);
    srv.stop().unwrap();
    let reg = mlguard_registry::Registry::open(&s.config.data_dir).unwrap();
    assert!(reg.blob_store().list_versions("").unwrap().is_empty());
}

#[test]
fn unknown_fields_are_400() {
    let s = setup("unknown");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    let g = api.json("POST", "/v1/groups", "/v1/groups", &t.alice, &json!({"name": "fraud", "owner_team": "risk", "owner": "x"}));
    assert_eq!(g.status, 400, "{}", g.body);
    assert!(g.body["message"].as_str().unwrap().contains("unknown field `owner`"), "{}", g.body);
    create_fraud(&api, t);
    assert_eq!(api.put_blob("fraud", &sha(b"w"), &t.alice, b"w").status, 201);
    let nested = api.json("POST", VERSIONS, "/v1/groups/fraud/versions", &t.alice, &json!({"artifacts": [{"path": "m", "sha256": sha(b"w"), "size": 1}]}));
    assert_eq!(nested.status, 400, "{}", nested.body);
    let lineage = api.json("POST", VERSIONS, "/v1/groups/fraud/versions", &t.alice, &json!({"lineage": {"datasets": [], "model": 1}, "artifacts": [{"path": "m", "sha256": sha(b"w")}]}));
    assert_eq!(lineage.status, 400, "{}", lineage.body);
    let approval = api.json("POST", "/v1/groups/{group}/versions/{version}/approval", "/v1/groups/fraud/versions/1/approval", &t.bob, &json!({"status": "Approved", "force": true}));
    assert_eq!(approval.status, 400, "{}", approval.body);
    let not_json = api.call("POST", VERSIONS, "/v1/groups/fraud/versions", Some(&t.alice), Some(b"{not json"));
    assert_eq!(not_json.status, 400);
    assert_eq!(version_count(&api, t), 0);
}

#[test]
fn oversized_json_is_413() {
    let s = setup("big");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    let big = json!({"description": "x".repeat(2 << 20), "artifacts": [{"path": "m", "sha256": sha(b"w")}]});
    let a = api.json("POST", VERSIONS, "/v1/groups/fraud/versions", &t.alice, &big);
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.body["error"], "payload_too_large");
    assert_eq!(version_count(&api, t), 0);
}

#[test]
fn oversized_artifact_is_413_and_stores_nothing() {
    let mut s = setup("big-artifact");
    s.config.max_artifact_bytes = 1000;
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    let body = vec![7u8; 5000];
    let a = api.put_blob("fraud", &sha(&body), &t.alice, &body);
    assert_eq!(a.status, 413, "{}", a.body);
    srv.stop().unwrap();
    let reg = mlguard_registry::Registry::open(&s.config.data_dir).unwrap();
    assert!(reg.blob_store().list_versions("").unwrap().is_empty());
}

#[test]
fn broken_policy_stops_the_server_with_the_cedar_error() {
    let mut s = setup("policy");
    let policy = s.dir.path().join("broken.cedar");
    std::fs::write(&policy, "@id(\"x\")\npermit (principal, action == Action::\"NoSuchAction\", resource);\n").unwrap();
    s.config.policy_file = Some(policy.clone());
    let err = match mlguard_registry_server::start(&s.config, mlguard_registry_server::Options::default()) {
        Ok(_) => panic!("a broken policy must stop the server"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(&policy.display().to_string()), "{err}");
    assert!(err.contains("NoSuchAction"), "{err}");
    // A syntax error too.
    std::fs::write(&policy, "permit (principal, action, resource) when { ").unwrap();
    let err = mlguard_registry_server::start(&s.config, mlguard_registry_server::Options::default()).err().unwrap().to_string();
    assert!(err.contains("invalid Cedar policies"), "{err}");
    assert!(err.contains(&policy.display().to_string()), "{err}");
}

#[test]
fn unknown_routes_and_groups_are_json_404() {
    let s = setup("404");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    let a = api.get("/v1/groups/{group}", "/v1/groups/nope", &t.alice);
    assert_eq!(a.status, 404);
    assert_eq!(a.body["error"], "not_found");
    let v = api.get("/v1/groups/{group}/versions/{version}", "/v1/groups/nope/versions/x", &t.alice);
    assert_eq!(v.status, 400, "{}", v.body);
}
