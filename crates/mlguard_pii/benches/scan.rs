//! Scanner throughput on the corpus of `scripts/pii-corpus` (no criterion: one timed pass
//! per file after a warm-up, single thread). Run `scripts/pii-corpus target/pii-bench 10`
//! first, then `cargo bench -p mlguard_pii --bench scan [-- DIR]`.

use mlguard_pii::{gitleaks, scan_file, FileOutcome, Options, Scanner};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let dir = std::env::args().skip(1).find(|a| !a.starts_with('-')).map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pii-bench"));
    let gl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pii/gitleaks-rules/gitleaks.toml");
    let only = std::env::var("PII_BENCH_CONFIG").ok();
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
        for f in ["mixed.txt", "data.csv", "data.jsonl"] {
            let p = dir.join(f);
            if !p.is_file() {
                eprintln!("{}: missing; run scripts/pii-corpus {} 10", p.display(), dir.display());
                continue;
            }
            let _ = scan_file(&scanner, &p, 0);
            let mut best = f64::MAX;
            let mut best_cpu = f64::MAX;
            let mut found = 0u64;
            let mut bytes = 0u64;
            for _ in 0..3 {
                let t = Instant::now();
                let c = cpu_seconds();
                if let Ok(FileOutcome::Scanned { result, .. }) = scan_file(&scanner, &p, 0) {
                    found = result.detections.values().map(|d| d.count).sum();
                    bytes = result.size;
                }
                best = best.min(t.elapsed().as_secs_f64());
                if let (Some(a), Some(b)) = (c, cpu_seconds()) {
                    best_cpu = best_cpu.min(b - a);
                }
            }
            println!(
                "{name:>17} {f:>11}: {bytes} bytes, {found} detections, best of 3: wall {best:.3}s = {:.1} MB/s, on-CPU {best_cpu:.3}s = {:.1} MB/s",
                bytes as f64 / 1e6 / best,
                bytes as f64 / 1e6 / best_cpu
            );
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
