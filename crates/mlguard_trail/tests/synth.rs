//! The corpus generator writes the delivery layout that the reader walks, deterministically.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_trail::reader::inputs;
use mlguard_trail::synth::{generate, SynthOptions};
use mlguard_trail::{DetectOptions, Detector};

fn run(dir: &std::path::Path) -> mlguard_trail::Outcome {
    let (ins, diags) = inputs(&[dir.to_path_buf()]);
    assert!(diags.is_empty());
    let mut d = Detector::new(DetectOptions::default());
    let mut diags = Vec::new();
    for i in &ins {
        d.process_input(i, &mut diags, &mut |_| {});
    }
    assert!(diags.is_empty(), "{diags:?}");
    d.finish()
}

#[test]
fn generated_corpus_reads_back_in_every_format() {
    let base = std::env::temp_dir().join(format!("mlguard-trail-synth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let mut counts = Vec::new();
    for (name, gzip, jsonl) in [("plain", false, false), ("gz", true, false), ("lines", false, true)] {
        let dir = base.join(name);
        let stats = generate(&SynthOptions { bytes: 3 << 20, seed: 3, records_per_file: 500, gzip, jsonl, ..SynthOptions::default() }, &dir).unwrap();
        assert!(stats.files >= 2 && stats.records >= 1000, "{stats:?}");
        assert!(dir.join("AWSLogs/111122223333/CloudTrail/us-east-1").is_dir());
        let out = run(&dir);
        assert_eq!(out.counts.read, stats.records);
        assert_eq!(out.counts.skipped, 0);
        counts.push((stats.records, out.findings.len()));
    }
    // Same seed: same records and the same findings whatever the container format.
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    let _ = std::fs::remove_dir_all(&base);
}
