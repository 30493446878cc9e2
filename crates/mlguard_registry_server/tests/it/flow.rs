//! The main flow, separation of duties, authentication, and the audit log.

use crate::common::*;
use mlguard_registry_server::Client;
use serde_json::json;

const V: &str = "/v1/groups/{group}/versions/{version}";

#[test]
fn push_approve_alias_rollback_flow() {
    let s = setup("flow");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    assert_eq!(api.get("/v1/health", "/v1/health", &t.eve).status, 200);
    create_fraud(&api, t);

    // v1 by alice.
    let weights: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let a = push(&api, &t.alice, &[("model.safetensors", &weights), ("cfg/config.json", b"{\"layers\": 4}")]);
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["version"], 1);
    assert_eq!(a.body["status"], "PendingManualApproval");
    assert_eq!(a.body["created_by"], "alice");

    // list, show.
    let l = api.get("/v1/groups", "/v1/groups", &t.bob);
    assert_eq!(l.status, 200);
    assert_eq!(l.body["groups"][0]["name"], "fraud");
    assert_eq!(l.body["groups"][0]["owner_team"], "risk");
    let lv = api.get("/v1/groups/{group}/versions", "/v1/groups/fraud/versions", &t.bob);
    assert_eq!(lv.body["versions"].as_array().unwrap().len(), 1);
    let sv = api.get(V, "/v1/groups/fraud/versions/1", &t.bob);
    assert_eq!(sv.status, 200);
    let model = sv.body["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "model.safetensors").unwrap();
    assert_eq!(model["sha256"], sha(&weights));

    // pull through the client: digests verified, files in place.
    let client = Client::new(&srv.url(), &t.bob);
    let dest = s.dir.path().join("pulled");
    let (files, bytes) = client.pull("fraud", 1, &dest).unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(bytes, weights.len() as u64 + 13);
    assert_eq!(std::fs::read(dest.join("model.safetensors")).unwrap(), weights);
    assert_eq!(std::fs::read(dest.join("cfg/config.json")).unwrap(), b"{\"layers\": 4}");
    // The raw download carries the digest.
    let raw = api.get("/v1/groups/{group}/versions/{version}/artifacts/{path}", "/v1/groups/fraud/versions/1/artifacts/cfg/config.json", &t.bob);
    assert_eq!(raw.status, 200);
    assert_eq!(raw.headers.get("x-mlguard-sha256").unwrap().to_str().unwrap(), sha(b"{\"layers\": 4}"));
    assert_eq!(raw.bytes, b"{\"layers\": 4}");

    // Separation of duties: alice may approve, but not her own version.
    let own = api.json("POST", "/v1/groups/{group}/versions/{version}/approval", "/v1/groups/fraud/versions/1/approval", &t.alice, &json!({"status": "Approved", "reason": "mine"}));
    assert_eq!(own.status, 403, "{}", own.body);
    assert!(own.body["message"].as_str().unwrap().contains("forbid-self-approval"), "{}", own.body);
    assert_eq!(api.get(V, "/v1/groups/fraud/versions/1", &t.bob).body["status"], "PendingManualApproval");
    // An alias cannot point at an unapproved version.
    let early = api.json("PUT", "/v1/groups/{group}/aliases/{alias}", "/v1/groups/fraud/aliases/production", &t.bob, &json!({"version": 1}));
    assert_eq!(early.status, 403, "{}", early.body);

    let ok = api.json("POST", "/v1/groups/{group}/versions/{version}/approval", "/v1/groups/fraud/versions/1/approval", &t.bob, &json!({"status": "Approved", "reason": "eval passed"}));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["status"], "Approved");
    let al = api.json("PUT", "/v1/groups/{group}/aliases/{alias}", "/v1/groups/fraud/aliases/production", &t.bob, &json!({"version": 1, "reason": "release 1"}));
    assert_eq!(al.status, 200, "{}", al.body);

    // v2 by alice, approved by bob, promoted, then rolled back.
    let a2 = push(&api, &t.alice, &[("model.safetensors", b"weights-2")]);
    assert_eq!(a2.status, 201, "{}", a2.body);
    assert_eq!(a2.body["version"], 2);
    let ok2 = api.json("POST", "/v1/groups/{group}/versions/{version}/approval", "/v1/groups/fraud/versions/2/approval", &t.bob, &json!({"status": "Approved"}));
    assert_eq!(ok2.status, 200, "{}", ok2.body);
    let al2 = client.set_alias("fraud", "production", 2, "release 2").unwrap();
    assert_eq!(al2.current(), Some(2));
    let rb = api.json("POST", "/v1/groups/{group}/aliases/{alias}/rollback", "/v1/groups/fraud/aliases/production/rollback", &t.bob, &json!({"reason": "regression"}));
    assert_eq!(rb.status, 200, "{}", rb.body);
    assert_eq!(rb.body["version"], 1);
    let shown = api.get("/v1/groups/{group}/aliases/{alias}", "/v1/groups/fraud/aliases/production", &t.alice);
    assert_eq!(shown.body["history"].as_array().unwrap().len(), 3);
    let g = api.get("/v1/groups/{group}", "/v1/groups/fraud", &t.alice);
    assert_eq!(g.status, 200);
    assert_eq!(g.body["aliases"][0]["history"][2]["kind"], "Rollback");
    assert_eq!(api.get("/v1/groups/{group}/aliases", "/v1/groups/fraud/aliases", &t.alice).body["aliases"].as_array().unwrap().len(), 1);

    // A third version is rejected.
    let a3 = push(&api, &t.alice, &[("model.safetensors", b"weights-3")]);
    assert_eq!(a3.status, 201);
    let rj = api.json("POST", "/v1/groups/{group}/versions/{version}/approval", "/v1/groups/fraud/versions/3/approval", &t.bob, &json!({"status": "Rejected", "reason": "bias"}));
    assert_eq!(rj.status, 200);
    assert_eq!(rj.body["status"], "Rejected");

    // Lineage, deployments, verification.
    let lin = api.get("/v1/groups/{group}/versions/{version}/lineage", "/v1/groups/fraud/versions/1/lineage", &t.bob);
    assert_eq!(lin.status, 200, "{}", lin.body);
    assert_eq!(lin.body["aliases"], json!(["production"]));
    let dep = api.json("POST", "/v1/groups/{group}/versions/{version}/deployments", "/v1/groups/fraud/versions/1/deployments", &t.alice, &json!({"endpoint": "fraud-prod"}));
    assert_eq!(dep.status, 200, "{}", dep.body);
    let ver = api.json("POST", "/v1/verify", "/v1/verify", &t.bob, &json!({"group": "fraud"}));
    assert_eq!(ver.status, 200, "{}", ver.body);
    assert_eq!(ver.body["problems"], json!([]));
    assert_eq!(ver.body["blobs_checked"], 4);

    // Only auditors read the log; it verifies after the flow.
    assert_eq!(api.get("/v1/audit-log", "/v1/audit-log", &t.alice).status, 403);
    let log = api.get("/v1/audit-log", "/v1/audit-log", &t.audrey);
    assert_eq!(log.status, 200);
    let actions: Vec<&str> = log.body["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"RollbackAlias"), "{actions:?}");
    let lv = api.get("/v1/audit-log/verify", "/v1/audit-log/verify", &t.audrey);
    assert_eq!(lv.status, 200);
    assert_eq!(lv.body["intact"], true);
    srv.stop().unwrap();
    // And offline, after the server released the data directory.
    assert!(mlguard_registry::log::verify_dir(&s.config.data_dir).unwrap().is_intact());
}

#[test]
fn lineage_is_recorded_and_queried_both_ways() {
    let s = setup("lineage");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    assert_eq!(api.put_blob("fraud", &sha(b"w"), &t.alice, b"w").status, 201);
    let body = json!({
        "description": "trained",
        "tags": {"owner": "risk"},
        "metrics": {"auc": "0.91"},
        "lineage": {
            "datasets": [{"uri": "s3://data/train", "version_id": "v7", "sha256": sha(b"manifest")}],
            "training": {"job_name": "job-1", "code_commit": "abc123", "parameters": {"lr": "0.1"}}
        },
        "artifacts": [{"path": "model.bin", "sha256": sha(b"w")}]
    });
    let v = api.json("POST", "/v1/groups/{group}/versions", "/v1/groups/fraud/versions", &t.alice, &body);
    assert_eq!(v.status, 201, "{}", v.body);
    assert_eq!(v.body["lineage"]["datasets"][0]["digest"], sha(b"manifest"));
    let q = api.get("/v1/lineage", "/v1/lineage?dataset_uri=s3%3A%2F%2Fdata%2Ftrain&version_id=v7", &t.bob);
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.body["versions"].as_array().unwrap().len(), 1);
    let none = api.get("/v1/lineage", "/v1/lineage?dataset_uri=s3%3A%2F%2Fother", &t.bob);
    assert_eq!(none.body["versions"], json!([]));
    // eve (another team's data scientist) cannot push lineage into risk's group.
    let denied = api.json("POST", "/v1/groups/{group}/versions", "/v1/groups/fraud/versions", &t.eve, &body);
    assert_eq!(denied.status, 403, "{}", denied.body);
}

#[test]
fn authentication_failures_look_identical() {
    let s = setup("authn");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    let none = api.call("GET", "/v1/groups", "/v1/groups", None, None);
    assert_eq!(none.status, 401);
    let unknown = api.get("/v1/groups", "/v1/groups", &t.unknown);
    let expired = api.get("/v1/groups", "/v1/groups", &t.expired);
    let garbage = api.get("/v1/groups", "/v1/groups", "not-a-token");
    assert_eq!((unknown.status, expired.status, garbage.status), (401, 401, 401));
    assert_eq!(unknown.bytes, expired.bytes);
    assert_eq!(unknown.bytes, garbage.bytes);
    assert_eq!(unknown.bytes, none.bytes);
    assert_eq!(unknown.body["error"], "unauthenticated");
    // Also for uploads and unknown routes: authentication comes first.
    assert_eq!(api.call("GET", "/v1/health", "/v1/health", None, None).status, 401);
}

#[test]
fn signature_endpoint_without_verifier_is_501() {
    let s = setup("sig");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    assert_eq!(push(&api, &t.alice, &[("m", b"m")]).status, 201);
    let a = api.json("PUT", "/v1/groups/{group}/versions/{version}/signature", "/v1/groups/fraud/versions/1/signature", &t.alice, &json!({"bundle": 1}));
    assert_eq!(a.status, 501, "{}", a.body);
    let big = vec![b' '; (1 << 20) + 1];
    let a = api.call("PUT", "/v1/groups/{group}/versions/{version}/signature", "/v1/groups/fraud/versions/1/signature", Some(&t.alice), Some(&big));
    assert_eq!(a.status, 413);
}

#[test]
fn delete_requires_admin_and_reports_blobs() {
    let s = setup("delete");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    assert_eq!(push(&api, &t.alice, &[("m", b"to-delete")]).status, 201);
    let d = api.call("DELETE", V, "/v1/groups/fraud/versions/1?reason=cleanup", Some(&t.alice), None);
    assert_eq!(d.status, 403, "{}", d.body);
    let unknown_q = api.call("DELETE", V, "/v1/groups/fraud/versions/1?reason=x&force=true", Some(&t.alice), None);
    assert_eq!(unknown_q.status, 400, "{}", unknown_q.body);
    assert_eq!(api.get(V, "/v1/groups/fraud/versions/1", &t.alice).body["deleted"], serde_json::Value::Null);
    let ok = api.call("DELETE", V, "/v1/groups/fraud/versions/1?reason=cleanup", Some(&t.admin), None);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["blobs_deleted"].as_array().unwrap().len(), 1);
    assert_eq!(api.get(V, "/v1/groups/fraud/versions/1", &t.alice).body["deleted"]["by"], "root");
    let pull = api.get("/v1/groups/{group}/versions/{version}/artifacts/{path}", "/v1/groups/fraud/versions/1/artifacts/m", &t.alice);
    assert_eq!(pull.status, 404, "{}", pull.body);
}

#[test]
fn tampered_blob_aborts_the_download_and_the_client_writes_nothing() {
    let s = setup("tamper");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    let content = vec![42u8; 3 << 20];
    assert_eq!(push(&api, &t.alice, &[("model.bin", &content)]).status, 201);
    // Overwrite the stored bytes out of band (same length).
    let key_dir = s.config.data_dir.join("blobs").join("objects").join(format!("sha256%2F{}", sha(&content)));
    let file = std::fs::read_dir(&key_dir).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&file, vec![43u8; 3 << 20]).unwrap();

    let dest = s.dir.path().join("out");
    let err = Client::new(&srv.url(), &t.bob).pull("fraud", 1, &dest).unwrap_err();
    assert!(matches!(err, mlguard_registry_server::ClientError::Transport { .. } | mlguard_registry_server::ClientError::DigestMismatch { .. }), "{err}");
    assert!(!dest.join("model.bin").exists());
    assert_eq!(std::fs::read_dir(&dest).map(|d| d.count()).unwrap_or(0), 0, "no partial file may remain");
    // Verification reports it.
    let ver = api.json("POST", "/v1/verify", "/v1/verify", &t.bob, &json!({}));
    assert_eq!(ver.status, 200);
    assert_eq!(ver.body["problems"].as_array().unwrap().len(), 1, "{}", ver.body);
}

#[test]
fn cli_commands_drive_the_server() {
    use mlguard_registry_server::cli::{run_model, Connection, ModelArgs, ModelCommand};
    let s = setup("cli");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    let tok = |name: &str, token: &str| {
        let p = s.dir.path().join(name);
        std::fs::write(&p, format!("{token}\n")).unwrap();
        Connection { server: Some(srv.url()), token_file: Some(p), ..Connection::default() }
    };
    let alice = tok("alice.token", &t.alice);
    let bob = tok("bob.token", &t.bob);
    let file = s.dir.path().join("model.bin");
    std::fs::write(&file, b"cli weights").unwrap();
    let run = |conn: &Connection, command: ModelCommand| run_model(&ModelArgs { conn: conn.clone(), command });
    run(
        &alice,
        ModelCommand::Push {
            group: "fraud".into(),
            files: vec![file.display().to_string(), format!("cfg/model.bin={}", file.display())],
            description: "from the cli".into(),
            tags: vec![("stage".into(), "dev".into())],
            metrics: vec![],
            datasets: vec!["s3://data/train@v1".into()],
            job: Some("job-7".into()),
            commit: None,
            params: vec![],
        },
    )
    .unwrap();
    run(&bob, ModelCommand::List { group: Some("fraud".into()) }).unwrap();
    let own = run(&alice, ModelCommand::Approve { group: "fraud".into(), version: 1, reason: String::new() }).unwrap_err();
    assert!(own.to_string().contains("403"), "{own}");
    run(&bob, ModelCommand::Approve { group: "fraud".into(), version: 1, reason: "ok".into() }).unwrap();
    run(&bob, ModelCommand::Alias { group: "fraud".into(), alias: "production".into(), version: Some(1), reason: String::new() }).unwrap();
    let dest = s.dir.path().join("pulled");
    run(&bob, ModelCommand::Pull { group: "fraud".into(), version: "production".into(), dest: dest.clone() }).unwrap();
    assert_eq!(std::fs::read(dest.join("cfg/model.bin")).unwrap(), b"cli weights");
    run(&bob, ModelCommand::Verify { group: None }).unwrap();
    run(&bob, ModelCommand::Lineage { group: None, version: None, dataset: Some("s3://data/train".into()), dataset_version: Some("v1".into()) }).unwrap();
    let v = api.get("/v1/groups/{group}/versions/{version}", "/v1/groups/fraud/versions/1", &t.bob);
    assert_eq!(v.body["lineage"]["training"]["job_name"], "job-7");
    assert_eq!(v.body["tags"]["stage"], "dev");
    let none = run(&bob, ModelCommand::Rollback { group: "fraud".into(), alias: "production".into(), reason: String::new() }).unwrap_err();
    assert!(none.to_string().contains("409"), "{none}");
}

#[test]
fn a_version_references_only_blobs_uploaded_to_its_group() {
    let s = setup("blob-scope");
    let srv = server(&s);
    let api = Api::new(&srv.url());
    let t = &s.tokens;
    create_fraud(&api, t);
    let g = api.json("POST", "/v1/groups", "/v1/groups", &t.alice, &serde_json::json!({"name": "churn", "description": "", "owner_team": "risk"}));
    assert_eq!(g.status, 201, "{}", g.body);
    let secret: &[u8] = b"fraud weights";
    assert_eq!(push(&api, &t.alice, &[("model.bin", secret)]).status, 201);
    let create = |digest: &str| {
        api.json("POST", "/v1/groups/{group}/versions", "/v1/groups/churn/versions", &t.alice, &serde_json::json!({"description": "v", "artifacts": [{"path": "m.bin", "sha256": digest}]}))
    };
    // fraud's blob named in a churn version without its content being uploaded to churn:
    // refused exactly as a digest that was never stored, so the answer reveals nothing.
    let stolen = create(&sha(secret));
    let never = create(&sha(b"never stored"));
    assert_eq!((stolen.status, never.status), (409, 409), "{} {}", stolen.body, never.body);
    assert_eq!(stolen.body["error"], never.body["error"]);
    for a in [&stolen, &never] {
        assert!(a.body["message"].as_str().unwrap().contains("was not uploaded to group `churn`"), "{}", a.body);
    }
    assert_eq!(api.call("GET", "/v1/groups/{group}/versions", "/v1/groups/churn/versions", Some(&t.alice), None).body["versions"].as_array().unwrap().len(), 0);
    // Uploading the content to churn proves possession: the blob is not stored twice, and the
    // version is created.
    let up = api.put_blob("churn", &sha(secret), &t.alice, secret);
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(create(&sha(secret)).status, 201);
}
