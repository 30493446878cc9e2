//! Throughput and latency of the registry at the library level.
//!
//! `cargo bench -p mlguard_registry --bench throughput` (release profile). Environment:
//! `MLGUARD_BENCH_MB` (artifact size, default 1024), `MLGUARD_BENCH_DIR` (where the data
//! directory goes, default the system temporary directory), `MLGUARD_BENCH_OPS` (iterations per
//! metadata operation, default 500).
//!
//! Reports wall-clock MB/s and MB per CPU-second of the (single) calling thread, from
//! `/proc/thread-self/schedstat`, for: SHA-256 over memory, push, pull and verify of one large
//! artifact; peak resident memory (`VmHWM`); and p50/p99 latencies of `version` (show),
//! `versions` (list), `push` of a 1 KiB artifact and `update_approval`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark fails by panicking")]

use mlguard_registry::*;
use sha2::{Digest as _, Sha256};
use std::io::Read;
use std::time::{Duration, Instant};

/// Pseudo-random bytes (xorshift64*), generated as they are read: nothing is buffered.
struct Gen {
    remaining: u64,
    state: u64,
}

impl Read for Gen {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.remaining as usize) & !7;
        let n = if n == 0 { buf.len().min(self.remaining as usize) } else { n };
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let v = self.state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|x| x.parse().ok()).unwrap_or(0)
}

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

fn report(what: &str, bytes: u64, wall: Duration, cpu: u64) {
    let mb = bytes as f64 / 1e6;
    println!(
        "{what:<28} {mb:>8.0} MB  wall {:>7.2} s  {:>7.0} MB/s  cpu {:>6.2} s  {:>7.0} MB/s per core",
        wall.as_secs_f64(),
        mb / wall.as_secs_f64(),
        cpu as f64 / 1e9,
        mb / (cpu as f64 / 1e9)
    );
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, u64) {
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let r = f();
    (r, t0.elapsed(), cpu_ns() - c0)
}

fn percentiles(name: &str, mut v: Vec<Duration>) {
    v.sort_unstable();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    println!("{name:<28} n={:<5} p50 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}", v.len(), p(0.5), p(0.99), v[v.len() - 1]);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mb: u64 = std::env::var("MLGUARD_BENCH_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(1024);
    let ops: usize = std::env::var("MLGUARD_BENCH_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(500);
    let base = std::env::var_os("MLGUARD_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("mlguard-registry-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let size = mb << 20;

    // SHA-256 alone, over an 8 MiB buffer in memory.
    let buf: Vec<u8> = {
        let mut b = vec![0u8; 8 << 20];
        Gen { remaining: b.len() as u64, state: 7 }.read_exact(&mut b).unwrap();
        b
    };
    let reps = (size / buf.len() as u64).max(1);
    let (_, wall, cpu) = timed(|| {
        let mut h = Sha256::new();
        for _ in 0..reps {
            h.update(&buf);
        }
        h.finalize()
    });
    report("sha256 (memory)", reps * buf.len() as u64, wall, cpu);
    let (_, wall, cpu) = timed(|| {
        let mut g = Gen { remaining: size, state: 9 };
        std::io::copy(&mut g, &mut std::io::sink()).unwrap()
    });
    report("generator alone", size, wall, cpu);
    drop(buf);
    let rss_before = peak_rss_kib();

    let reg = Registry::open(&dir).unwrap();
    reg.create_group("big", "", GroupSettings::default(), "bench").unwrap();
    let (v, wall, cpu) = timed(|| {
        let nv = NewVersion {
            artifacts: vec![ArtifactUpload { path: "model.bin".into(), sha256: None, body: Box::new(Gen { remaining: size, state: 1 }) }],
            ..NewVersion::default()
        };
        reg.push("big", nv, "bench").unwrap()
    });
    report("push (hash+write+fsync)", size, wall, cpu);
    let (_, wall, cpu) = timed(|| reg.pull("big", v.version, &dir.join("pulled")).unwrap());
    report("pull (read+hash+write+fsync)", size, wall, cpu);
    let (r, wall, cpu) = timed(|| reg.verify(Some("big")).unwrap());
    assert!(r.problems.is_empty());
    report("verify (read+hash)", r.bytes_hashed, wall, cpu);
    println!("peak RSS: {} KiB before the large transfers, {} KiB after", rss_before, peak_rss_kib());
    std::fs::remove_dir_all(dir.join("pulled")).unwrap();

    // Metadata operations.
    reg.create_group("small", "", GroupSettings::default(), "bench").unwrap();
    let payload = vec![42u8; 1024];
    let mut push_lat = Vec::with_capacity(ops);
    for i in 0..ops {
        let mut p = payload.clone();
        p[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let t = Instant::now();
        reg.push("small", NewVersion { artifacts: vec![ArtifactUpload { path: "m.bin".into(), sha256: None, body: Box::new(&p[..]) }], ..NewVersion::default() }, "bench")
            .unwrap();
        push_lat.push(t.elapsed());
    }
    percentiles("push 1 KiB", push_lat);
    let mut approve_lat = Vec::with_capacity(ops);
    for i in 0..ops {
        let t = Instant::now();
        reg.update_approval("small", (i + 1) as u64, ApprovalStatus::Approved, "bench", "").unwrap();
        approve_lat.push(t.elapsed());
    }
    percentiles("update_approval", approve_lat);
    let mut show = Vec::with_capacity(ops);
    for i in 0..ops {
        let t = Instant::now();
        let v = reg.version("small", (i % ops + 1) as u64).unwrap();
        show.push(t.elapsed());
        assert_eq!(v.version, (i + 1) as u64);
    }
    percentiles("show (version)", show);
    let mut list = Vec::with_capacity(100);
    for _ in 0..100 {
        let t = Instant::now();
        let l = reg.versions("small").unwrap();
        list.push(t.elapsed());
        assert_eq!(l.len(), ops);
    }
    percentiles(&format!("list ({ops} versions)"), list);
    let mut groups = Vec::with_capacity(ops);
    for _ in 0..ops {
        let t = Instant::now();
        let g = reg.groups().unwrap();
        groups.push(t.elapsed());
        assert_eq!(g.len(), 2);
    }
    percentiles("groups", groups);
    let t = Instant::now();
    assert!(reg.verify_log().unwrap().is_intact());
    println!("verify_log ({} entries)          {:.1?}", reg.log_head().unwrap().seq, t.elapsed());
    drop(reg);
    std::fs::remove_dir_all(&dir).unwrap();
}
