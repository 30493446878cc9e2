//! Generates a snapshot and reports its size and the time it took.
//!
//! `cargo run --release -p mlguard_synth --example synth -- <out-dir> [scale] [seed] [accounts]`

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use mlguard_synth::{generate, SynthOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: synth <out-dir> [scale] [seed] [accounts]")?,
    );
    let mut opts = SynthOptions::default();
    if let Some(s) = args.next() {
        opts.scale = s.parse()?;
    }
    if let Some(s) = args.next() {
        opts.seed = s.parse()?;
    }
    if let Some(s) = args.next() {
        opts.accounts = s.parse()?;
    }
    let start = Instant::now();
    let stats = generate(&opts, &out)?;
    let elapsed = start.elapsed();
    println!("{stats:#?}");
    println!(
        "generated {} files, {:.1} MiB in {:.2?} (scale {}, seed {}, {} accounts)",
        stats.files,
        stats.bytes as f64 / (1024.0 * 1024.0),
        elapsed,
        opts.scale,
        opts.seed,
        opts.accounts
    );
    Ok(())
}
