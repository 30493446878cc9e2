//! Feeds arbitrary bytes to the sensitive-data readers as a file (format decided by content:
//! CSV, JSON, JSON Lines, Parquet, text, gzip of any), scans it with every managed identifier,
//! and redacts it under the default policy. Nothing may panic. Run: `cargo fuzz run pii_file`.
//! Parquet inputs (`PAR1...`) reach the `parquet` crate, which asserts on some damaged files;
//! `mlguard_pii` turns those panics into errors and keeps them from the panic hook (its own hook
//! goes in front of libFuzzer's, which would abort), so they do not show here as crashes;
//! `crates/mlguard_pii/tests/quiet_panic.rs` and `tests/parquet.rs` cover that. A panic anywhere
//! else still reaches libFuzzer's hook. Seeds worth giving it: small Parquet files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_pii::redact::{redact_file, Policy};
use mlguard_pii::{scan_file, Options, Scanner};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static RUN: AtomicUsize = AtomicUsize::new(0);

fn scanner() -> Option<&'static Scanner> {
    static S: OnceLock<Option<Scanner>> = OnceLock::new();
    S.get_or_init(|| Scanner::new(Options { managed: true, ..Options::default() }).ok()).as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(s) = scanner() else { return };
    let n = RUN.fetch_add(1, Ordering::Relaxed) % 4;
    let dir = std::env::temp_dir().join(format!("mlguard-fuzz-pii-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let input = dir.join(format!("in-{n}"));
    if std::fs::write(&input, data).is_err() {
        return;
    }
    let _ = scan_file(s, &input, 2);
    let _ = redact_file(s, &Policy::default(), &input, &dir.join(format!("out-{n}")));
});
