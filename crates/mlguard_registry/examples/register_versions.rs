//! Registers N model versions, each with one artifact and its metadata (description, tags,
//! metrics, a dataset and a training run with parameters), in a new registry directory; prints
//! one JSON line with the wall and CPU time of the N registrations. The mlguard half of
//! `scripts/registry-mlflow-bench`, which does the same with MLflow.
//!
//! `cargo run --release -p mlguard_registry --example register_versions -- DIR N [ARTIFACT_BYTES]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark fails by panicking")]

use mlguard_registry::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// CPU time of this process (user + system), from `/proc/self/stat`, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Linux reports these in USER_HZ ticks, 100 per second.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok())) else {
        eprintln!("usage: register_versions DIR N [ARTIFACT_BYTES]");
        std::process::exit(2);
    };
    let size: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(4096);
    let dir = std::path::Path::new(dir);
    let reg = Registry::open(dir).unwrap_or_else(|e| panic!("{e}"));
    reg.create_group("churn", "churn classifier", GroupSettings::default(), "alice").unwrap_or_else(|e| panic!("{e}"));
    let (t0, c0) = (Instant::now(), cpu_seconds());
    for i in 0..n {
        // A distinct artifact per version (the version number in its first bytes).
        let mut body = vec![0x5au8; size];
        for (b, v) in body.iter_mut().zip(i.to_le_bytes()) {
            *b = v;
        }
        let tags = BTreeMap::from([("stage".to_string(), "dev".to_string()), ("framework".into(), "xgboost".into()), ("owner".into(), "risk".into())]);
        let metrics = BTreeMap::from([("auc".to_string(), format!("0.{:04}", 8000 + i % 1000)), ("logloss".into(), format!("0.{:04}", 3000 + i % 700))]);
        let params = BTreeMap::from([
            ("max_depth".to_string(), "6".to_string()),
            ("eta".into(), "0.3".into()),
            ("subsample".into(), "0.8".into()),
            ("num_round".into(), (100 + i).to_string()),
            ("seed".into(), i.to_string()),
        ]);
        let lineage = Lineage {
            datasets: vec![DatasetRef { uri: "s3://ml-training-data/churn/train.parquet".into(), version_id: Some(format!("v{i}")), digest: Some(format!("sha256:{:064x}", i)) }],
            training: Some(TrainingRun { job_name: format!("churn-train-{i}"), code_commit: Some(format!("{:040x}", i)), parameters: params }),
        };
        let new = NewVersion { description: format!("nightly build {i}"), tags, metrics, lineage, artifacts: vec![ArtifactUpload { path: "model/model.bin".into(), sha256: None, body: Box::new(&body[..]) }] };
        reg.push("churn", new, "alice").unwrap_or_else(|e| panic!("version {i}: {e}"));
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    assert_eq!(reg.versions("churn").unwrap_or_else(|e| panic!("{e}")).len() as u64, n);
    println!("{{\"system\":\"mlguard\",\"versions\":{n},\"artifact_bytes\":{size},\"wall_s\":{wall:.3},\"cpu_s\":{cpu:.3},\"per_version_ms\":{:.3}}}", wall * 1000.0 / n as f64);
}
