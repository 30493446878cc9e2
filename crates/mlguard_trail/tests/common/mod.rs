//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_trail::reader::Input;
use mlguard_trail::sigma::SigmaSet;
use mlguard_trail::{DetectOptions, Detector, Outcome};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

pub fn sigma_dir() -> PathBuf {
    shared("data/sigma-aws/cloudtrail")
}

/// The 57 SigmaHQ rules; panics if any does not load.
pub fn sigma() -> SigmaSet {
    let (set, diags) = SigmaSet::load_dir(&sigma_dir());
    assert!(diags.is_empty(), "Sigma rules with problems: {diags:#?}");
    set
}

/// Runs a detector with all Sigma rules over one file; returns the outcome and the diagnostics.
pub fn run_file(path: &Path, sigma: Arc<SigmaSet>) -> (Outcome, Vec<mlguard_core::Diagnostic>) {
    let mut d = Detector::new(DetectOptions { sigma, ..DetectOptions::default() });
    let mut diags = Vec::new();
    d.process_input(&Input::File(path.to_path_buf()), &mut diags, &mut |_| {});
    (d.finish(), diags)
}
