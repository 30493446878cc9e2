//! The comparison point for `scripts/trail-bench`: the `rsigma-eval` engine alone (the engine the
//! rsigma CLI runs) evaluating Sigma rules over CloudTrail `{"Records":[...]}` files, each file
//! parsed whole into `serde_json::Value` as the CLI's `--jq '.Records[]'` path does. No built-ins,
//! no baselines, no findings: only parse and match, counting matches.
//!
//! `cargo run --release -p mlguard_trail --example rsigma_only -- RULES_DIR CORPUS_DIR`

use rsigma_eval::event::JsonEvent;
use rsigma_eval::Engine;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().map(|x| x == "json" || x == "yml").unwrap_or(false) {
                out.push(p);
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rules), Some(corpus)) = (args.first(), args.get(1)) else {
        eprintln!("usage: rsigma_only RULES_DIR CORPUS_DIR");
        return std::process::ExitCode::from(2);
    };
    let mut engine = Engine::new();
    // rsigma-eval's optional bloom prefilter, to compare: RSIGMA_BLOOM=1.
    if std::env::var_os("RSIGMA_BLOOM").is_some() {
        engine.set_bloom_prefilter(true);
    }
    let mut rule_files = Vec::new();
    files(Path::new(rules), &mut rule_files);
    for f in &rule_files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        match rsigma_parser::parse_sigma_yaml(&text) {
            Ok(c) => {
                if let Err(e) = engine.add_collection(&c) {
                    eprintln!("{}: {e}", f.display());
                }
            }
            Err(e) => eprintln!("{}: {e}", f.display()),
        }
    }
    let mut inputs = Vec::new();
    files(Path::new(corpus), &mut inputs);
    inputs.retain(|p| p.extension().map(|x| x == "json").unwrap_or(false));
    inputs.sort();
    let t = std::time::Instant::now();
    let (mut events, mut matches) = (0u64, 0u64);
    for f in &inputs {
        let Ok(bytes) = std::fs::read(f) else { continue };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else { continue };
        for r in v.get("Records").and_then(|r| r.as_array()).into_iter().flatten() {
            events += 1;
            matches += engine.evaluate(&JsonEvent::borrow(r)).len() as u64;
        }
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!("rsigma-eval: {} rules, {events} events, {matches} matches in {s:.2}s ({:.0} events/s)", engine.rule_count(), events as f64 / s);
    std::process::ExitCode::SUCCESS
}
