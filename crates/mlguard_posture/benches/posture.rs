//! Times the posture controls alone on a snapshot directory (default: the one
//! `scripts/bench-posture` writes). Run: `cargo bench -p mlguard_posture --bench posture [-- DIR]`.

use mlguard_core::config::Config;
use mlguard_snapshot::{Inventory, Snapshot};
use std::time::Instant;

fn main() {
    let dir = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "/tmp/mlguard-posture-bench".into());
    let snap = match Snapshot::open(std::path::Path::new(&dir)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open {dir}: {e} (write it with scripts/bench-posture)");
            std::process::exit(2);
        }
    };
    let t = Instant::now();
    let inv = Inventory::load(&snap);
    println!("load: {:.3} s", t.elapsed().as_secs_f64());
    for run in 1..=3 {
        let t = Instant::now();
        let (f, d) = mlguard_posture::audit(&inv, &Config::default());
        println!("posture run {run}: {:.3} s, {} findings, {} diagnostics", t.elapsed().as_secs_f64(), f.len(), d.len());
        if run == 1 {
            for x in d.iter().take(3) {
                println!("  e.g. {}", x.message);
            }
        }
    }
}
