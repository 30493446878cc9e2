//! `mlguard detect PATHS --rules DIR [--state DIR] --format jsonl` without the rest of the binary,
//! for profiling `mlguard_trail` without building the binary's other layers.
//!
//! `cargo run --release -p mlguard_trail --example trail_detect -- CORPUS [RULES_DIR] [STATE_DIR] > findings.jsonl`
//!
//! By default the findings are written with `Detector::jsonl`/`write_jsonl` (Sigma findings
//! written straight from the record). With `TRAIL_VIA_FINDINGS=1` it makes the calls
//! `crates/mlguard/src/detect.rs` makes today instead: `take_findings` after each file and one
//! `serde_json::to_writer` per `Finding`. Both write the same bytes.

use mlguard_trail::sigma::SigmaSet;
use mlguard_trail::store::Store;
use mlguard_trail::{reader, DetectOptions, Detector};
use std::io::Write;
use std::path::PathBuf;

// The allocator of the `mlguard` binary (crates/mlguard/src/main.rs), so the figures compare.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(corpus) = args.first() else {
        eprintln!("usage: trail_detect CORPUS [RULES_DIR] [STATE_DIR]");
        return std::process::ExitCode::from(2);
    };
    let mut opts = DetectOptions::default();
    if let Some(r) = args.get(1).filter(|r| !r.is_empty()) {
        let (set, diags) = SigmaSet::load_dir(std::path::Path::new(r));
        for d in diags {
            eprintln!("{d}");
        }
        opts.sigma = std::sync::Arc::new(set);
    }
    let mut det = match args.get(2) {
        Some(dir) => match Store::open(std::path::Path::new(dir)) {
            Ok((store, base, seq)) => Detector::with_state(opts, Some(store), base, seq),
            Err(e) => {
                eprintln!("{e}");
                return std::process::ExitCode::from(2);
            }
        },
        None => Detector::new(opts),
    };
    let via_findings = std::env::var_os("TRAIL_VIA_FINDINGS").is_some_and(|v| v == "1");
    if !via_findings {
        det.jsonl();
    }
    let (inputs, mut diags) = reader::inputs(&[PathBuf::from(corpus)]);
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    let mut n = 0u64;
    let t = std::time::Instant::now();
    for i in &inputs {
        det.process_input(i, &mut diags, &mut |_| {});
        match det.write_jsonl(&mut w) {
            Ok(k) => n += k,
            Err(_) => return std::process::ExitCode::from(2),
        }
        for f in det.take_findings() {
            if serde_json::to_writer(&mut w, &f).is_err() || w.write_all(b"\n").is_err() {
                return std::process::ExitCode::from(2);
            }
            n += 1;
        }
    }
    let out = match det.finish_and_commit() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    if w.write_all(&out.jsonl).is_err() {
        return std::process::ExitCode::from(2);
    }
    n += out.jsonl_lines;
    for f in &out.findings {
        if serde_json::to_writer(&mut w, f).is_err() || w.write_all(b"\n").is_err() {
            return std::process::ExitCode::from(2);
        }
        n += 1;
    }
    let _ = w.flush();
    let c = out.counts;
    eprintln!("read {} records, skipped {}, matched {} ({n} findings) in {:.2}s", c.read, c.skipped, c.matched, t.elapsed().as_secs_f64());
    std::process::ExitCode::SUCCESS
}
