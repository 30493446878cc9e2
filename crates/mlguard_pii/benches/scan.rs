//! Scanner throughput on the corpus of `scripts/pii-corpus` (no criterion: timed passes per
//! file, single thread). Run `scripts/pii-corpus target/pii-bench 10` first, then
//! `cargo bench -p mlguard_pii --bench scan [-- DIR]`.
//!
//! Per file: one pass with a fresh search cache (cold: the lazy DFAs are built while
//! scanning, as for the first file a `mlguard scan` thread reads), then `PII_BENCH_RUNS`
//! passes (default 5) with the cache kept, as `mlguard scan` keeps it across the files of a
//! thread. Printed: the cold pass, and the fastest, median and slowest warm pass, as wall
//! time and as the scanning thread's on-CPU time (`/proc/thread-self/schedstat`), so that a
//! busy shared machine counts less against the scanner. `PII_BENCH_CONFIG=managed` (or
//! `managed+gitleaks`) runs one configuration only. A `data.parquet` in the directory (for
//! example `data.csv` written by pyarrow) is scanned too; its MB/s count the file's bytes.

use mlguard_pii::{gitleaks, scan_file_with, FileOutcome, Options, Scanner};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let dir = std::env::args().skip(1).find(|a| !a.starts_with('-')).map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pii-bench"));
    let gl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pii/gitleaks-rules/gitleaks.toml");
    let only = std::env::var("PII_BENCH_CONFIG").ok();
    let runs: usize = std::env::var("PII_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    for name in ["managed", "managed+gitleaks"] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let t = Instant::now();
        let opts = if name == "managed" { Options { managed: true, ..Options::default() } } else { Options { managed: true, gitleaks: gitleaks::load(&gl).ok(), ..Options::default() } };
        let built = Scanner::new(opts);
        println!("{name:>17}: rules loaded and compiled in {:.3}s", t.elapsed().as_secs_f64());
        let scanner = match built {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        for f in ["mixed.txt", "data.csv", "data.jsonl", "data.parquet"] {
            let p = dir.join(f);
            if !p.is_file() && f == "data.parquet" {
                continue;
            }
            if !p.is_file() {
                eprintln!("{}: missing; run scripts/pii-corpus {} 10", p.display(), dir.display());
                continue;
            }
            let mut cache = scanner.cache();
            let pass = |cache: &mut mlguard_pii::engine::Cache| {
                let t = Instant::now();
                let c = cpu_seconds();
                let mut found = 0u64;
                let mut bytes = 0u64;
                if let Ok(FileOutcome::Scanned { result, .. }) = scan_file_with(&scanner, cache, &p, 0) {
                    found = result.detections.values().map(|d| d.count).sum();
                    bytes = result.size;
                }
                let wall = t.elapsed().as_secs_f64();
                let cpu = match (c, cpu_seconds()) {
                    (Some(a), Some(b)) => b - a,
                    _ => f64::NAN,
                };
                (wall, cpu, found, bytes)
            };
            let (cold_wall, cold_cpu, found, bytes) = pass(&mut cache);
            let mut walls = Vec::new();
            let mut cpus = Vec::new();
            for _ in 0..runs {
                let (w, c, _, _) = pass(&mut cache);
                walls.push(w);
                cpus.push(c);
            }
            walls.sort_by(f64::total_cmp);
            cpus.sort_by(f64::total_cmp);
            let mb = |s: f64| bytes as f64 / 1e6 / s;
            let (lo, md, hi) = (cpus[0], cpus[runs / 2], cpus[runs - 1]);
            let (wlo, wmd, whi) = (walls[0], walls[runs / 2], walls[runs - 1]);
            println!("{name:>17} {f:>11}: {bytes} bytes, {found} detections; cold pass: on-CPU {:.1} MB/s, wall {:.1} MB/s", mb(cold_cpu), mb(cold_wall));
            println!("{name:>17} {f:>11}: warm x{runs}, MB/s fastest/median/slowest: on-CPU {:.1}/{:.1}/{:.1}, wall {:.1}/{:.1}/{:.1}", mb(lo), mb(md), mb(hi), mb(wlo), mb(wmd), mb(whi));
        }
    }
}

/// Time this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`, nanoseconds),
/// so that a busy shared machine does not count against the scanner.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
