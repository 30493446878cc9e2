#![allow(dead_code)]

use mlguard_authz::token::{HashScheme, NewToken, TokenFile};
use mlguard_registry_server::config::Config;
use mlguard_registry_server::{start, Options, RunningServer, OPENAPI};
use serde_json::Value;
use std::path::Path;
use time::OffsetDateTime;

pub use tempfile::TempDir;

/// A temporary directory, removed when dropped; `name` is part of its path.
pub fn temp_dir(name: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("mlguard-regsrv-test-{name}-")).tempdir().unwrap()
}

/// The test principals' tokens.
pub struct Tokens {
    /// ml-engineer + approver, team risk: creates, pushes, may approve others' versions.
    pub alice: String,
    /// approver + ml-engineer, team risk.
    pub bob: String,
    /// auditor.
    pub audrey: String,
    /// data-scientist of another team.
    pub eve: String,
    /// admin.
    pub admin: String,
    /// alice's second token, expired.
    pub expired: String,
    /// Well-formed, never issued.
    pub unknown: String,
}

pub fn write_tokens(path: &Path) -> Tokens {
    let mut f = TokenFile::new(HashScheme::Sha256);
    let now = OffsetDateTime::now_utc();
    let mut issue = |p: &str, roles: &[&str], teams: &[&str], at: OffsetDateTime, days: i64| {
        let mut n = NewToken::new(p, roles.iter().copied(), time::Duration::days(days));
        n.teams = teams.iter().map(|t| t.to_string()).collect();
        f.issue(n, at, None).unwrap().token.expose_secret().to_string()
    };
    let alice = issue("alice", &["ml-engineer", "approver"], &["risk"], now, 1);
    let bob = issue("bob", &["approver", "ml-engineer"], &["risk"], now, 1);
    let audrey = issue("audrey", &["auditor"], &[], now, 1);
    let eve = issue("eve", &["data-scientist"], &["growth"], now, 1);
    let admin = issue("root", &["admin"], &[], now, 1);
    let expired = issue("alice", &["ml-engineer", "approver"], &["risk"], now - time::Duration::days(10), 1);
    f.write(path).unwrap();
    let unknown = format!("mlg_{}_{}", "0123456789abcdef", "ab".repeat(32));
    Tokens { alice, bob, audrey, eve, admin, expired, unknown }
}

/// A data directory, a token file and a config.
pub struct Setup {
    pub dir: TempDir,
    pub tokens: Tokens,
    pub config: Config,
}

pub fn setup(name: &str) -> Setup {
    let dir = temp_dir(name);
    let token_file = dir.path().join("tokens.json");
    let tokens = write_tokens(&token_file);
    let config = Config::new("127.0.0.1:0".parse().unwrap(), dir.path().join("data"), token_file);
    Setup { dir, tokens, config }
}

pub fn server(s: &Setup) -> RunningServer {
    start(&s.config, Options::default()).unwrap()
}

/// Raw requests with OpenAPI validation of every JSON answer.
pub struct Api {
    pub base: String,
    agent: ureq::Agent,
    doc: Value,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub bytes: Vec<u8>,
    pub headers: ureq::http::HeaderMap,
}

pub fn openapi_doc() -> Value {
    yaml_serde::from_str(OPENAPI).unwrap()
}

impl Api {
    pub fn new(base: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Api { base: base.to_string(), agent, doc: openapi_doc() }
    }

    /// Sends a request to `path` (whose OpenAPI template is `template`) and checks that the
    /// answer's status is documented and its JSON body validates against that status's schema.
    pub fn call(&self, method: &str, template: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let resp = match body {
            Some(bytes) => self.agent.run(b.header("content-type", "application/json").body(bytes.to_vec()).unwrap()),
            None => self.agent.run(b.body(()).unwrap()),
        }
        .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().with_config().limit(1 << 30).read_to_vec().unwrap();
        let is_json = headers.get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
        let body: Value = if is_json { serde_json::from_slice(&bytes).unwrap() } else { Value::Null };
        self.validate(method, template, status, &body, is_json);
        Answer { status, body, bytes, headers }
    }

    pub fn validate(&self, method: &str, template: &str, status: u16, body: &Value, is_json: bool) {
        let op = &self.doc["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not in openapi.yaml");
        let mut resp = op["responses"][status.to_string()].clone();
        assert!(resp.is_object(), "{method} {template}: status {status} is not documented (body {body})");
        if let Some(r) = resp.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap();
            resp = self.doc["components"]["responses"][name].clone();
        }
        let schema = &resp["content"]["application/json"]["schema"];
        if !is_json {
            assert!(schema.is_null(), "{method} {template} {status}: expected a JSON body");
            return;
        }
        assert!(schema.is_object(), "{method} {template} {status}: no JSON schema documented");
        let mut root = schema.clone();
        root["components"] = self.doc["components"].clone();
        root["$schema"] = Value::String("https://json-schema.org/draft/2020-12/schema".into());
        let v = jsonschema::validator_for(&root).unwrap();
        let errors: Vec<String> = v.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{method} {template} {status}: body does not match openapi.yaml: {errors:?}\nbody: {body}");
    }

    pub fn get(&self, template: &str, path: &str, token: &str) -> Answer {
        self.call("GET", template, path, Some(token), None)
    }

    pub fn json(&self, method: &str, template: &str, path: &str, token: &str, body: &Value) -> Answer {
        self.call(method, template, path, Some(token), Some(serde_json::to_vec(body).unwrap().as_slice()))
    }

    /// Uploads a blob (raw body).
    pub fn put_blob(&self, group: &str, hex: &str, token: &str, bytes: &[u8]) -> Answer {
        let url = format!("{}/v1/groups/{group}/blobs/sha256/{hex}", self.base);
        let resp = self.agent.put(&url).header("authorization", &format!("Bearer {token}")).send(bytes).unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().read_to_vec().unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        self.validate("PUT", "/v1/groups/{group}/blobs/sha256/{digest}", status, &body, true);
        Answer { status, body, bytes, headers }
    }
}

pub fn sha(bytes: &[u8]) -> String {
    mlguard_registry::Sha256Digest::of(bytes).to_hex()
}

/// Creates group `fraud` owned by team `risk` as alice.
pub fn create_fraud(api: &Api, t: &Tokens) {
    let a = api.json("POST", "/v1/groups", "/v1/groups", &t.alice, &serde_json::json!({"name": "fraud", "description": "fraud scoring", "owner_team": "risk"}));
    assert_eq!(a.status, 201, "{}", a.body);
}

/// Pushes one version of `fraud` with the given files as `token`; returns the answer.
pub fn push(api: &Api, token: &str, files: &[(&str, &[u8])]) -> Answer {
    let mut arts = Vec::new();
    for (p, b) in files {
        let up = api.put_blob("fraud", &sha(b), token, b);
        assert!(up.status == 201 || up.status == 200, "{}", up.body);
        arts.push(serde_json::json!({"path": p, "sha256": sha(b)}));
    }
    api.json("POST", "/v1/groups/{group}/versions", "/v1/groups/fraud/versions", token, &serde_json::json!({"description": "v", "artifacts": arts}))
}
