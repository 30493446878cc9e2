//! kill -9 during an upload: no partial version, nothing committed lost.
//!
//! The test binary re-invokes itself as the server process (`crash::child_server` with
//! `MLGUARD_CRASH_CHILD` set), starts a slow 200 MB upload, kills the server with SIGKILL
//! (`Child::kill`) mid-upload, restarts it on the same data directory and checks the state.

use crate::common::*;
use mlguard_registry_server::config::Config;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "MLGUARD_CRASH_CHILD";
const UPLOAD: u64 = 200 << 20;

/// The server process: runs only when re-invoked by `kill_during_upload_loses_nothing`.
#[test]
fn child_server() {
    let Ok(config) = std::env::var(CHILD_ENV) else { return };
    let config: Config = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    let srv = mlguard_registry_server::start(&config, mlguard_registry_server::Options::default()).unwrap();
    let addr_file = config.data_dir.with_extension("addr");
    std::fs::write(addr_file.with_extension("tmp"), srv.url()).unwrap();
    std::fs::rename(addr_file.with_extension("tmp"), &addr_file).unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[expect(clippy::zombie_processes, reason = "the child is returned; the caller kills and waits for it")]
fn spawn_child(cfg_path: &Path, data_dir: &Path) -> (Child, String) {
    let addr_file = data_dir.with_extension("addr");
    let _ = std::fs::remove_file(&addr_file);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash::child_server", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Ok(url) = std::fs::read_to_string(&addr_file) {
            return (child, url);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child server did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Deterministic content, slow after the first `fast` bytes.
struct SlowBody {
    pos: u64,
    len: u64,
    fast: u64,
    sent: Arc<AtomicU64>,
}

fn byte_at(i: u64) -> u8 {
    (i.wrapping_mul(2654435761) >> 13) as u8
}

impl Read for SlowBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        if self.pos >= self.fast {
            std::thread::sleep(Duration::from_millis(20));
        }
        let n = buf.len().min(64 << 10).min((self.len - self.pos) as usize);
        for (k, b) in buf.iter_mut().take(n).enumerate() {
            *b = byte_at(self.pos + k as u64);
        }
        self.pos += n as u64;
        self.sent.store(self.pos, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn kill_during_upload_loses_nothing() {
    let s = setup("crash");
    let cfg_path = s.dir.path().join("config.json");
    std::fs::write(&cfg_path, serde_json::to_vec(&s.config).unwrap()).unwrap();
    let t = &s.tokens;

    // A committed version first.
    let (mut child, url) = spawn_child(&cfg_path, &s.config.data_dir);
    let api = Api::new(&url);
    create_fraud(&api, t);
    let v1 = push(&api, &t.alice, &[("model.bin", b"committed weights")]);
    assert_eq!(v1.status, 201, "{}", v1.body);

    // The digest of the 200 MB body.
    let mut all = SlowBody { pos: 0, len: UPLOAD, fast: UPLOAD, sent: Arc::new(AtomicU64::new(0)) };
    let mut h = mlguard_registry::Sha256Digest::of(b"");
    {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = all.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        h.0 = hasher.finalize().into();
    }
    let digest = h;

    // The slow upload, killed mid-way.
    let sent = Arc::new(AtomicU64::new(0));
    let body = SlowBody { pos: 0, len: UPLOAD, fast: 40 << 20, sent: sent.clone() };
    let client = mlguard_registry_server::Client::new(&url, &t.alice);
    let uploader = std::thread::spawn(move || {
        let mut body = body;
        client.put_blob("fraud", &digest, &mut body, Some(UPLOAD))
    });
    let start = Instant::now();
    while sent.load(Ordering::Relaxed) < 48 << 20 {
        assert!(start.elapsed() < Duration::from_secs(120), "upload did not progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let res = uploader.join().unwrap();
    assert!(res.is_err(), "the upload must fail when the server dies: {res:?}");
    // Leftover partial upload is in blobs/tmp until the next open.
    let tmp = s.config.data_dir.join("blobs").join("tmp");
    eprintln!("temporary files after the kill: {}", std::fs::read_dir(&tmp).unwrap().count());

    // Restart on the same data directory.
    let (mut child, url) = spawn_child(&cfg_path, &s.config.data_dir);
    let api = Api::new(&url);
    let versions = api.get("/v1/groups/{group}/versions", "/v1/groups/fraud/versions", &t.alice);
    assert_eq!(versions.status, 200);
    let vs = versions.body["versions"].as_array().unwrap();
    assert_eq!(vs.len(), 1, "no new version may appear");
    assert_eq!(vs[0]["artifacts"][0]["sha256"], sha(b"committed weights"));
    let dest = s.dir.path().join("pulled");
    mlguard_registry_server::Client::new(&url, &t.bob).pull("fraud", 1, &dest).unwrap();
    assert_eq!(std::fs::read(dest.join("model.bin")).unwrap(), b"committed weights");
    let lv = api.get("/v1/audit-log/verify", "/v1/audit-log/verify", &t.audrey);
    assert_eq!(lv.body["intact"], true, "{}", lv.body);
    child.kill().unwrap();
    child.wait().unwrap();

    // Offline: temporary files gone, no blob under the uploaded digest (or a complete one).
    let reg = mlguard_registry::Registry::open(&s.config.data_dir).unwrap();
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    match reg.blob_store().head(&digest.blob_key(), None) {
        Err(_) => {}
        Ok(e) => {
            assert_eq!(e.size, UPLOAD, "a stored blob must be complete");
            let mut r = reg.blob_store().get(&digest.blob_key(), None).unwrap();
            let mut n = 0u64;
            let mut buf = vec![0u8; 1 << 20];
            use sha2::Digest as _;
            let mut hasher = sha2::Sha256::new();
            loop {
                let k = r.read(&mut buf).unwrap();
                if k == 0 {
                    break;
                }
                n += k as u64;
                hasher.update(&buf[..k]);
            }
            assert_eq!((n, mlguard_registry::Sha256Digest(hasher.finalize().into())), (UPLOAD, digest));
        }
    }
    assert_eq!(reg.versions("fraud").unwrap().len(), 1);
    assert!(reg.verify_log().unwrap().is_intact());
    assert!(reg.verify(None).unwrap().problems.is_empty());
}

const SERVE_ENV: &str = "MLGUARD_SERVE_CHILD";

/// `mlguard registry serve --config FILE` as a process: runs only when re-invoked by
/// `serve_stops_gracefully_on_sigterm`.
#[test]
fn serve_child() {
    let Ok(config) = std::env::var(SERVE_ENV) else { return };
    let args = mlguard_registry_server::cli::RegistryArgs { command: mlguard_registry_server::cli::RegistryCommand::Serve { config: config.into() } };
    mlguard_registry_server::cli::run_registry(&args).unwrap();
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    use std::io::BufRead;
    let s = setup("sigterm");
    let cfg = s.dir.path().join("registry.toml");
    std::fs::write(&cfg, format!("listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\ntoken_file = {:?}\n", s.config.token_file.display().to_string())).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash::serve_child", "--nocapture", "--test-threads=1"])
        .env(SERVE_ENV, &cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.strip_prefix("mlguard registry listening on ") {
            break u.to_string();
        }
    };
    let api = Api::new(&url);
    assert_eq!(api.get("/v1/health", "/v1/health", &s.tokens.alice).status, 200);
    let st = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
    // The data directory is released and consistent.
    assert!(mlguard_registry::log::verify_dir(&s.dir.path().join("data")).unwrap().is_intact());
}
