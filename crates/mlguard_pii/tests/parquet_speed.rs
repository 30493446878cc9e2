//! Parquet scanning speed on one core, for docs/BENCHMARKS.md. Ignored: run in release on a
//! file of your choice (`scripts/pii-setup`'s pyarrow can make one from the bench corpus):
//! `MLGUARD_PARQUET_BENCH=target/pii-parquet-bench/data.parquet cargo test --release -p mlguard_pii --test parquet_speed -- --ignored --nocapture`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::{scan_file_with, FileOutcome, Options, Scanner};
use parquet::file::reader::{FileReader, SerializedFileReader};

#[test]
#[ignore = "measurement: needs MLGUARD_PARQUET_BENCH=<file.parquet>"]
fn parquet_scan_speed() {
    let Some(path) = std::env::var_os("MLGUARD_PARQUET_BENCH") else { panic!("set MLGUARD_PARQUET_BENCH to a Parquet file") };
    let path = std::path::PathBuf::from(path);
    let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let uncompressed: i64 = r.metadata().row_groups().iter().map(|g| g.total_byte_size()).sum();
    let scanner = Scanner::new(Options { managed: true, ..Options::default() }).unwrap();
    let mut cache = scanner.cache();
    for run in 0..3 {
        let t = std::time::Instant::now();
        let out = scan_file_with(&scanner, &mut cache, &path, 0).unwrap();
        let s = t.elapsed().as_secs_f64();
        let FileOutcome::Scanned { result, .. } = out else { panic!("skipped") };
        let found: u64 = result.detections.values().map(|d| d.count).sum();
        println!(
            "run {run}: {:.3}s, file {} bytes = {:.1} MB/s, uncompressed columns {} bytes = {:.1} MB/s, {found} detections",
            s,
            result.size,
            result.size as f64 / 1e6 / s,
            uncompressed,
            uncompressed as f64 / 1e6 / s
        );
    }
}
