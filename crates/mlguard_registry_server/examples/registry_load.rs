//! Load test of the registry server on loopback.
//!
//! Starts the server in-process (temporary data directory and token file), creates a group
//! with a few versions, then drives `GET /v1/groups/fraud/versions/1` and `GET /v1/groups`
//! alternately at a fixed open-loop rate over keep-alive connections from a few client
//! threads. Latency is measured from each request's scheduled start (so a stalled server is
//! not hidden by the client waiting for it) and printed as p50/p99/max with the error count.
//! With `--transfer-mb N` it then pushes and pulls an N MB artifact through the HTTP API and
//! prints MB/s.
//!
//! ```text
//! cargo run --release -p mlguard_registry_server --example registry_load -- \
//!     [--rate 1000] [--secs 10] [--threads 4] [--transfer-mb 1024]
//! ```

use mlguard_authz::token::{HashScheme, NewToken, TokenFile};
use mlguard_registry_server::config::Config;
use mlguard_registry_server::{api, Client, Options};
use std::io::Write;
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string()))
        .unwrap_or_else(|| "?".into())
}

#[expect(clippy::unwrap_used, reason = "a benchmark: any failure should stop it loudly")]
fn main() {
    let rate = arg("--rate", 1000);
    let secs = arg("--secs", 10);
    let threads = arg("--threads", 4).max(1);
    let transfer_mb = arg("--transfer-mb", 0);

    let dir = std::env::temp_dir().join(format!("mlguard-registry-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("tokens.json");
    let mut tf = TokenFile::new(HashScheme::Sha256);
    let now = time::OffsetDateTime::now_utc();
    let mut issue = |p: &str, roles: &[&str]| {
        let mut n = NewToken::new(p, roles.iter().copied(), time::Duration::days(1));
        n.teams.insert("risk".into());
        tf.issue(n, now, None).unwrap().token.expose_secret().to_string()
    };
    let alice = issue("alice", &["ml-engineer"]);
    let bob = issue("bob", &["approver", "ml-engineer"]);
    tf.write(&token_file).unwrap();
    let config = Config::new("127.0.0.1:0".parse().unwrap(), dir.join("data"), token_file);
    let srv = mlguard_registry_server::start(&config, Options::default()).unwrap();
    let url = srv.url();
    eprintln!("server on {url}");

    let c = Client::new(&url, &alice);
    c.create_group(&api::CreateGroup { name: "fraud".into(), description: "load".into(), owner_team: "risk".into(), require_signature: false, retention: None }).unwrap();
    let f = dir.join("small.bin");
    std::fs::write(&f, vec![1u8; 4096]).unwrap();
    for i in 0..5 {
        std::fs::write(&f, format!("weights {i}")).unwrap();
        c.push("fraud", &[("model.bin".into(), f.clone())], api::CreateVersion::default()).unwrap();
    }
    Client::new(&url, &bob).set_approval("fraud", 1, api::Decision::Approved, "ok").unwrap();

    // Open loop: request i is due at start + i / rate; thread k sends the i with i % threads == k.
    let total = rate * secs;
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let start = Instant::now() + Duration::from_millis(200);
    let mut handles = Vec::new();
    for k in 0..threads {
        let url = url.clone();
        let token = bob.clone();
        handles.push(std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            let mut lat = Vec::with_capacity((total / threads + 1) as usize);
            let mut errors = 0u64;
            let auth = format!("Bearer {token}");
            let mut i = k;
            while i < total {
                let due = start + interval * (i as u32);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let path = if i % 2 == 0 { "/v1/groups/fraud/versions/1" } else { "/v1/groups" };
                let ok = match agent.get(format!("{url}{path}")).header("authorization", &auth).call() {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body = r.into_body().read_to_vec();
                        status == 200 && body.is_ok()
                    }
                    Err(_) => false,
                };
                lat.push(due.elapsed());
                if !ok {
                    errors += 1;
                }
                i += threads;
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (l, e) = h.join().unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort();
    println!(
        "metadata GETs: {} requests at {rate}/s target over {:.2}s ({:.0}/s achieved), {threads} client threads: p50 {:?} p99 {:?} max {:?}, errors {errors}",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(&all, 0.50),
        pct(&all, 0.99),
        all.last().copied().unwrap_or_default()
    );

    if transfer_mb > 0 {
        let big = dir.join("big.bin");
        {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
            let mut block = vec![0u8; 1 << 20];
            for m in 0..transfer_mb {
                for (j, b) in block.iter_mut().enumerate() {
                    *b = (j as u64).wrapping_mul(2654435761).wrapping_add(m) as u8;
                }
                f.write_all(&block).unwrap();
            }
            f.into_inner().unwrap().sync_all().unwrap();
        }
        let mb = transfer_mb as f64;
        let t = Instant::now();
        let (digest, size) = mlguard_registry_server::client::hash_file(&big).unwrap();
        let hash_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut file = std::fs::File::open(&big).unwrap();
        c.put_blob("fraud", &digest, &mut file, Some(size)).unwrap();
        let up_s = t.elapsed().as_secs_f64();
        let v = c
            .create_version("fraud", &api::CreateVersion { artifacts: vec![api::ArtifactRef { path: "big.bin".into(), sha256: digest }], ..api::CreateVersion::default() })
            .unwrap();
        let _ = std::fs::remove_file(&big);
        let t = Instant::now();
        let out = dir.join("out");
        let (_, bytes) = Client::new(&url, &bob).pull("fraud", v.version, &out).unwrap();
        let down_s = t.elapsed().as_secs_f64();
        assert_eq!(bytes, size);
        println!(
            "{transfer_mb} MB artifact: client hash {:.0} MB/s ({hash_s:.2}s), upload (server hashes + fsyncs) {:.0} MB/s ({up_s:.2}s), push total {:.0} MB/s, pull (both sides hash, client fsyncs) {:.0} MB/s ({down_s:.2}s); peak RSS of the process (server + client) {}",
            mb / hash_s,
            mb / up_s,
            mb / (hash_s + up_s),
            mb / down_s,
            peak_rss_mb()
        );
    }
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}
