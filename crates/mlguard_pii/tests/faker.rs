//! Precision and recall per type on the labelled Faker corpus (docs/ACCURACY.md).
//!
//! The corpus comes from PyPI's Faker in a throwaway virtualenv, so this test is ignored
//! by default: `scripts/pii-setup && target/pii-venv/bin/python scripts/pii-faker-corpus
//! target/pii-faker 2000 && cargo test -p mlguard_pii --test faker -- --ignored --nocapture`.
//! Cells are scanned with their column name as keyword context (as in a CSV file), free
//! text without any.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::engine::Batch;
use mlguard_pii::{Options, Scanner};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Default)]
struct T {
    tp: usize,
    fn_: usize,
    fp: usize,
}

#[test]
#[ignore = "needs the Faker corpus: run scripts/pii-setup, then target/pii-venv/bin/python scripts/pii-faker-corpus target/pii-faker 2000"]
fn precision_and_recall_on_the_faker_corpus() {
    // `PII_FAKER_DIR` points at another corpus (the default is the one scripts/test makes).
    let dir = std::env::var("PII_FAKER_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pii-faker"));
    let path = dir.join("labels.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; generate the corpus first (see the module docs)", path.display()));
    let s = Scanner::new(Options { managed: true, ..Options::default() }).unwrap();
    let mut cache = s.cache();
    let mut by: BTreeMap<(String, String), T> = BTreeMap::new();
    let mut misses = Vec::new();
    // Names and addresses: detections by confidence (true and false positives), and some false positives.
    let mut by_conf: BTreeMap<(String, String, String), (usize, usize)> = BTreeMap::new();
    let mut extra = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let kind = v["kind"].as_str().unwrap().to_string();
        let t = v["text"].as_str().unwrap();
        let spans: Vec<(usize, usize, String)> = v["spans"].as_array().unwrap().iter().map(|x| (x[0].as_u64().unwrap() as usize, x[1].as_u64().unwrap() as usize, x[2].as_str().unwrap().to_string())).collect();
        let mut b = Batch::new();
        let ctx = match v["column"].as_str() {
            Some(c) => b.context(c),
            None => u32::MAX,
        };
        b.push(t.as_bytes(), 0, ctx);
        let mut hits = Vec::new();
        s.scan(&mut cache, &b, &mut hits);
        let ch = |byte: usize| t[..byte].chars().count();
        let got: Vec<(usize, usize, &str)> = hits.iter().map(|h| (ch(h.start), ch(h.end), s.idents[h.ident].name.as_str())).collect();
        for (h, g) in hits.iter().zip(&got) {
            if g.2 != "NAME" && g.2 != "ADDRESS" {
                continue;
            }
            let hit = spans.iter().any(|(a, z, ty)| g.2 == ty && g.0 < *z && *a < g.1);
            let e = by_conf.entry((kind.clone(), g.2.to_string(), format!("{:?}", h.confidence).to_lowercase())).or_default();
            if hit {
                e.0 += 1;
            } else {
                e.1 += 1;
                if extra.len() < 12 {
                    extra.push(format!("{kind} {} {:?}: {:?} (column {:?})", g.2, h.confidence, &t[h.start..h.end], v["column"].as_str()));
                }
            }
        }
        for (a, z, ty) in &spans {
            let e = by.entry((kind.clone(), ty.clone())).or_default();
            if got.iter().any(|g| g.2 == ty && g.0 < *z && *a < g.1) {
                e.tp += 1;
            } else {
                e.fn_ += 1;
                if e.fn_ <= 3 {
                    misses.push(format!("{kind} {ty}: {:?}", &t[t.char_indices().nth(*a).map(|c| c.0).unwrap_or(0)..t.char_indices().nth(*z).map(|c| c.0).unwrap_or(t.len())]));
                }
            }
        }
        for g in &got {
            if !spans.iter().any(|(a, z, ty)| g.2 == ty && g.0 < *z && *a < g.1) {
                by.entry((kind.clone(), g.2.to_string())).or_default().fp += 1;
            }
        }
    }
    println!("| input | type | TP | FN | FP | precision | recall |");
    println!("|---|---|---|---|---|---|---|");
    for ((kind, ty), x) in &by {
        let p = if x.tp + x.fp == 0 { f64::NAN } else { x.tp as f64 / (x.tp + x.fp) as f64 };
        let r = if x.tp + x.fn_ == 0 { f64::NAN } else { x.tp as f64 / (x.tp + x.fn_) as f64 };
        println!("| {kind} | {ty} | {} | {} | {} | {p:.3} | {r:.3} |", x.tp, x.fn_, x.fp);
    }
    println!("\n| input | type | confidence | TP | FP |\n|---|---|---|---|---|");
    for ((kind, ty, c), (tp, fp)) in &by_conf {
        println!("| {kind} | {ty} | {c} | {tp} | {fp} |");
    }
    println!("\nfirst misses per type:\n{}", misses.join("\n"));
    println!("\nsome false names and addresses:\n{}", extra.join("\n"));
    // The targets for checksum-validated types and for e-mail and IP addresses.
    // Credit cards are held to 0.93 recall: Faker draws JCB numbers from all of 35xx and
    // Maestro from 0604, outside the registered ranges (JCB 3528–3589), and mlguard
    // rejects those by design (docs/ACCURACY.md).
    // Names and addresses have no target ("reported as measured"); these floors, far below
    // what docs/ACCURACY.md records for columns, only catch a regression.
    for ty in ["NAME", "ADDRESS"] {
        let x = by.get(&("cell".to_string(), ty.to_string())).expect("names and addresses are in the corpus");
        let r = x.tp as f64 / (x.tp + x.fn_).max(1) as f64;
        let p = x.tp as f64 / (x.tp + x.fp).max(1) as f64;
        assert!(r >= 0.9 && p >= 0.9, "cell {ty}: precision {p:.3}, recall {r:.3} below 0.9");
    }
    for (ty, min) in [("IBAN", 0.99), ("USA_SOCIAL_SECURITY_NUMBER", 0.99), ("EMAIL_ADDRESS", 0.95), ("IP_ADDRESS", 0.95), ("MAC_ADDRESS", 0.95), ("CREDIT_CARD_NUMBER", 0.93)] {
        for kind in ["cell", "text"] {
            let Some(x) = by.get(&(kind.to_string(), ty.to_string())) else { continue };
            let r = x.tp as f64 / (x.tp + x.fn_).max(1) as f64;
            let p = x.tp as f64 / (x.tp + x.fp).max(1) as f64;
            assert!(r >= min && p >= min, "{kind} {ty}: precision {p:.3}, recall {r:.3} below {min}");
        }
    }
}
