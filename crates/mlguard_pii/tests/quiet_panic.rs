//! A damaged Parquet file on which the `parquet` crate panics (an assertion in its plain
//! decoder: `tests/data/damaged-plain-length.parquet`, found by the `pii_file` fuzz target)
//! becomes an error naming the damage, and the panic hook is not told: `mlguard redact` prints
//! one error line, not a panic and a backtrace. A panic anywhere else still reaches the hook.
//! One test in its own binary: the panic hook is process-wide.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::redact::{redact_file, Policy};
use mlguard_pii::{Options, Scanner};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_caught_parquet_panic_is_an_error_and_silent() {
    let inner = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
        inner(info);
    }));
    let scanner = Scanner::new(Options { managed: true, ..Options::default() }).unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/damaged-plain-length.parquet");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("quiet-panic-out.parquet");
    let err = redact_file(&scanner, &Policy::default(), &input, &out).expect_err("the file is damaged");
    let msg = err.to_string();
    assert!(msg.contains("Parquet: damaged file"), "{msg}");
    assert!(msg.contains("damaged-plain-length.parquet"), "the error names the file: {msg}");
    assert!(!out.exists(), "no output under the final name");
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 0, "the guarded panic reached the hook");
    // Outside the guard, the hook (ours, behind the guard's) still hears of a panic.
    let r = std::panic::catch_unwind(|| panic!("not a Parquet file's"));
    assert!(r.is_err());
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 1);
}
