//! Measures the streaming SHA-256 throughput of `sha256_file` on one large file.
//!
//! ```text
//! cargo run --release -p mlguard_modelsign --example hash_throughput -- [PATH] [SIZE_MIB]
//! ```
//!
//! Writes PATH (default `/tmp/mlguard-modelsign-hash-bench.bin`, 1024 MiB) if it is not already
//! that size, reads it once to warm the page cache, then times three hashes and prints MB/s.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/tmp/mlguard-modelsign-hash-bench.bin".into()),
    );
    let mib: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1024);
    let size = mib * 1024 * 1024;
    if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) != size {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut block = vec![0u8; 1024 * 1024];
        for i in 0..mib {
            // Varying, incompressible-looking content.
            for (j, b) in block.iter_mut().enumerate() {
                *b = (j as u64).wrapping_mul(2_654_435_761).wrapping_add(i) as u8;
            }
            f.write_all(&block)?;
        }
        f.flush()?;
    }
    let warm = mlguard_modelsign::sha256_file(&path)?;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let h = mlguard_modelsign::sha256_file(&path)?;
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(h, warm);
        best = best.min(secs);
        println!("{:.3} s, {:.0} MB/s", secs, size as f64 / secs / 1e6);
    }
    println!(
        "best: {:.0} MB/s ({} MiB, sha256 {})",
        size as f64 / best / 1e6,
        mib,
        warm.sha256
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Ok(())
}
