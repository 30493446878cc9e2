//! The model registry end to end through the `mlguard` binary: tokens, a signing key, the
//! server (`registry serve`, on loopback), and the client commands (`model …`, `signature …`),
//! with the OpenSSF signature check the binary plugs into the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mlguard"))
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.args(args).env_remove("MLGUARD_TOKEN").env_remove("MLGUARD_REGISTRY_URL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap_or_else(|e| panic!("running mlguard {args:?}: {e}"))
}

fn ok(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "stdout: {}\nstderr: {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mlguard registry serve` and returns it with the URL it printed.
fn serve(config: &Path) -> (Server, String) {
    let mut child = bin().args(["registry", "serve", "--config"]).arg(config).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap_or_else(|e| panic!("{e}"));
    let err = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let server = Server(child);
    let mut lines = BufReader::new(err).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        if let Some(url) = line.split("listening on ").nth(1) {
            let url = url.trim().to_owned();
            // Keep draining stderr so that the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return (server, url);
        }
        seen.push(line);
    }
    panic!("the server exited without listening: {}", seen.join("\n"));
}

fn token(dir: &Path, principal: &str, roles: &str) -> String {
    let o = run(&["registry", "token", "add", "--file", dir.join("tokens.json").to_str().unwrap_or_default(), "--principal", principal, "--roles", roles, "--teams", "fraud"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn write(p: &Path, bytes: &[u8]) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

#[test]
fn push_sign_approve_alias_pull_and_verify_through_the_binary() {
    let dir = std::env::temp_dir().join(format!("mlguard-registry-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let s = |p: &PathBuf| p.to_str().unwrap_or_default().to_owned();

    // Two people: alice trains and may also approve (but never her own versions); bob approves.
    let alice = token(&dir, "alice", "ml-engineer,approver");
    let bob = token(&dir, "bob", "approver");
    assert!(alice.starts_with("mlg_") && bob.starts_with("mlg_"));
    assert!(!std::fs::read_to_string(dir.join("tokens.json")).unwrap_or_default().contains(&alice), "the token file holds the secret");

    // A signing key, and a model signed with it.
    let key = dir.join("signer.pem");
    ok(&run(&["signature", "keygen", "--out", &s(&key)], &[]));
    let model = dir.join("model");
    write(&model.join("weights.bin"), &[7u8; 300_000]);
    write(&model.join("config.json"), br#"{"layers": 2}"#);
    ok(&run(&["signature", "sign", &s(&model), "--key", &s(&key)], &[]));
    let pub_key = format!("{}.pub", key.display());
    ok(&run(&["signature", "verify", &s(&model), "--key", &pub_key], &[]));
    // A signature over other content, to be refused later.
    let other = dir.join("other");
    write(&other.join("weights.bin"), &[8u8; 300_000]);
    write(&other.join("config.json"), br#"{"layers": 2}"#);
    ok(&run(&["signature", "sign", &s(&other), "--key", &s(&key)], &[]));

    write(&dir.join("registry.toml"), format!("listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\ntoken_file = \"tokens.json\"\nsigning_keys = [\"{pub_key}\"]\n").as_bytes());
    let (server, url) = serve(&dir.join("registry.toml"));
    let as_alice = [("MLGUARD_REGISTRY_URL", url.as_str()), ("MLGUARD_TOKEN", alice.as_str())];
    let as_bob = [("MLGUARD_REGISTRY_URL", url.as_str()), ("MLGUARD_TOKEN", bob.as_str())];

    ok(&run(&["model", "create-group", "fraud-scorer", "--owner-team", "fraud", "--require-signature"], &as_alice));
    let v = ok(&run(&["model", "push", "fraud-scorer", &s(&model.join("weights.bin")), &s(&model.join("config.json")), "--dataset", "s3://data/train.csv@v7", "--job", "train-42"], &as_alice));
    assert_eq!(v["version"], 1, "{v}");

    // Unsigned: nobody may approve it yet.
    let o = run(&["model", "approve", "fraud-scorer", "1", "--reason", "eval passed"], &as_bob);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A signature over other bytes is refused, naming the file; the right one is recorded.
    let o = run(&["model", "sign", "fraud-scorer", "1", "--signature", &s(&other.join("model.sig"))], &as_alice);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("weights.bin"), "{}", stderr(&o));
    let signed = ok(&run(&["model", "sign", "fraud-scorer", "1", "--signature", &s(&model.join("model.sig"))], &as_alice));
    assert_eq!(signed["signature"]["kind"], "openssf-model-signing", "{signed}");

    // Separation of duties: alice pushed it, so alice cannot approve it; bob can.
    let o = run(&["model", "approve", "fraud-scorer", "1", "--reason", "mine"], &as_alice);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("forbid-self-approval"), "{}", stderr(&o));
    let approved = ok(&run(&["model", "approve", "fraud-scorer", "1", "--reason", "eval passed"], &as_bob));
    assert_eq!(approved["status"], "Approved", "{approved}");
    ok(&run(&["model", "alias", "fraud-scorer", "production", "1", "--reason", "release"], &as_alice));

    // Pull by alias: the same bytes, every digest checked.
    let out = dir.join("pulled");
    ok(&run(&["model", "pull", "fraud-scorer", "production", "--dest", &s(&out)], &as_alice));
    assert_eq!(std::fs::read(out.join("weights.bin")).unwrap_or_default(), vec![7u8; 300_000]);
    let trained = ok(&run(&["model", "lineage", "--dataset", "s3://data/train.csv", "--dataset-version", "v7"], &as_alice));
    assert!(trained.to_string().contains("fraud-scorer"), "{trained}");
    ok(&run(&["model", "verify"], &as_alice));
    drop(server);

    // Offline: the audit log of the data directory is intact; edited, it is not.
    let o = run(&["registry", "verify-log", &s(&dir.join("data"))], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = dir.join("data/audit.log");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    write(&log, text.replacen("\"bob\"", "\"eve\"", 1).as_bytes());
    let o = run(&["registry", "verify-log", &s(&dir.join("data"))], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    // A changed file no longer verifies against the local signature.
    write(&model.join("config.json"), br#"{"layers": 3}"#);
    let o = run(&["signature", "verify", &s(&model), "--key", &pub_key], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("config.json"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
