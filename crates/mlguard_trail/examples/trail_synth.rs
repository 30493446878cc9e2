//! Writes a synthetic CloudTrail corpus in the S3 delivery layout (see `mlguard_trail::synth`).
//!
//! `cargo run --release -p mlguard_trail --example trail_synth -- OUT_DIR MEGABYTES [SEED] [--gzip] [--jsonl]`

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gzip = args.iter().any(|a| a == "--gzip");
    let jsonl = args.iter().any(|a| a == "--jsonl");
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(out), Some(mb)) = (pos.first(), pos.get(1).and_then(|m| m.parse::<u64>().ok())) else {
        eprintln!("usage: trail_synth OUT_DIR MEGABYTES [SEED] [--gzip] [--jsonl]");
        return std::process::ExitCode::from(2);
    };
    let seed = pos.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let opts = mlguard_trail::synth::SynthOptions { bytes: mb << 20, seed, gzip, jsonl, ..Default::default() };
    let t = std::time::Instant::now();
    match mlguard_trail::synth::generate(&opts, std::path::Path::new(out.as_str())) {
        Ok(s) => {
            eprintln!("wrote {} files, {} records, {} bytes of JSON ({} injected attacks) in {:.1}s", s.files, s.records, s.bytes, s.attacks, t.elapsed().as_secs_f64());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
