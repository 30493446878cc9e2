//! Agreement with Microsoft Presidio's recognizer test cases (`../shared/data/pii/presidio`)
//! on the entity types both tools have. Run with `--nocapture` to see the table that
//! docs/ACCURACY.md records.
//!
//! A Presidio case lists the spans Presidio's recognizer is expected to return. Presidio
//! also returns bare digit strings at scores of 0.05 or less (bank accounts, passports,
//! driver's licences without context); Macie's semantics (and mlguard's) require a keyword
//! for those types, so expectations whose score range tops out below 0.3 are counted
//! separately as "low-confidence" and not as misses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::engine::Batch;
use mlguard_pii::{Options, Scanner};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn shared(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

const MAP: &[(&str, &str)] = &[
    ("test_aba_routing_recognizer.py", "USA_ABA_ROUTING_NUMBER"),
    ("test_credit_card_recognizer.py", "CREDIT_CARD_NUMBER"),
    ("test_email_recognizer.py", "EMAIL_ADDRESS"),
    ("test_iban_recognizer.py", "IBAN"),
    ("test_ip_recognizer.py", "IP_ADDRESS"),
    ("test_mac_recognizer.py", "MAC_ADDRESS"),
    ("test_phone_recognizer.py", "PHONE_NUMBER"),
    ("test_us_ssn_recognizer.py", "USA_SOCIAL_SECURITY_NUMBER"),
    ("test_us_itin_recognizer.py", "USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"),
    ("test_us_bank_recognizer.py", "BANK_ACCOUNT_NUMBER"),
    ("test_us_passport_recognizer.py", "USA_PASSPORT_NUMBER"),
    ("test_us_driver_license_recognizer.py", "DRIVERS_LICENSE"),
];

const CONTEXT_MAP: &[(&str, &str)] = &[
    ("ABA_ROUTING_NUMBER", "USA_ABA_ROUTING_NUMBER"),
    ("IP_ADDRESS", "IP_ADDRESS"),
    ("PHONE_NUMBER", "PHONE_NUMBER"),
    ("US_BANK_NUMBER", "BANK_ACCOUNT_NUMBER"),
    ("US_DRIVER_LICENSE", "DRIVERS_LICENSE"),
    ("US_ITIN", "USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"),
    ("US_PASSPORT", "USA_PASSPORT_NUMBER"),
    ("US_SSN", "USA_SOCIAL_SECURITY_NUMBER"),
];

#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    tp: usize,
    fn_: usize,
    fp: usize,
    low: usize,
    low_found: usize,
    exact_cases: usize,
}

/// Our spans of type `ty` in `text`, in character offsets.
fn spans(s: &Scanner, text: &str, ty: &str) -> Vec<(usize, usize)> {
    let mut b = Batch::new();
    b.push(text.as_bytes(), 0, u32::MAX);
    let mut hits = Vec::new();
    s.scan(&mut s.cache(), &b, &mut hits);
    let ch = |byte: usize| text[..byte].chars().count();
    hits.iter().filter(|h| s.idents[h.ident].name == ty).map(|h| (ch(h.start), ch(h.end))).collect()
}

fn pairs(v: Option<&Value>) -> Vec<(usize, usize)> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|p| Some((p.get(0)?.as_u64()? as usize, p.get(1)?.as_u64()? as usize))).collect())
        .unwrap_or_default()
}

/// The highest score Presidio is expected to give each expected span, where the case says.
fn max_scores(case: &Value, n: usize) -> Vec<Option<f64>> {
    if let Some(r) = case.get("expected_score_ranges").and_then(Value::as_array) {
        if r.len() == n {
            return r.iter().map(|x| x.get(1).and_then(Value::as_f64)).collect();
        }
    }
    if let Some(s) = case.get("expected_score").and_then(Value::as_f64) {
        return vec![Some(s); n];
    }
    if let Some(s) = case.get("score").and_then(Value::as_f64) {
        return vec![Some(s); n];
    }
    vec![None; n]
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[test]
fn agreement_with_presidio_recognizer_cases() {
    let s = Scanner::new(Options { managed: true, ..Options::default() }).unwrap();
    let text = std::fs::read_to_string(shared("data/pii/presidio/recognizer_param_cases.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut t: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for c in &cases {
        let Some(&(_, ty)) = MAP.iter().find(|(f, _)| c["_file"] == *f) else { continue };
        let Some(input) = c.get("text").or_else(|| c.get("iban")).and_then(Value::as_str) else { continue };
        let expected = {
            let p = pairs(c.get("expected_positions").or_else(|| c.get("expected_res")));
            if p.is_empty() && c.get("expected_len").and_then(Value::as_u64).unwrap_or(0) > 0 {
                // A case with a count but no spans: the whole text.
                vec![(0, input.chars().count())]
            } else {
                p
            }
        };
        let scores = max_scores(c, expected.len());
        let got = spans(&s, input, ty);
        let e = t.entry(ty).or_default();
        e.cases += 1;
        let mut case_ok = true;
        for (i, &x) in expected.iter().enumerate() {
            let found = got.iter().any(|&g| overlaps(g, x));
            let low = scores.get(i).copied().flatten().is_some_and(|m| m < 0.3);
            if low {
                e.low += 1;
                e.low_found += usize::from(found);
            } else if found {
                e.tp += 1;
            } else {
                e.fn_ += 1;
                case_ok = false;
            }
        }
        for &g in &got {
            if !expected.iter().any(|&x| overlaps(g, x)) {
                e.fp += 1;
                case_ok = false;
            }
        }
        if case_ok {
            e.exact_cases += 1;
        } else {
            disagreements.push(format!("{ty}: {input:?} expected {expected:?} got {got:?}"));
        }
    }
    println!("| type | cases | agreeing cases | Presidio spans found (TP) | missed (FN) | extra (FP) | precision | recall | low-confidence Presidio spans (found by mlguard) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (ty, x) in &t {
        let p = if x.tp + x.fp == 0 { 1.0 } else { x.tp as f64 / (x.tp + x.fp) as f64 };
        let r = if x.tp + x.fn_ == 0 { 1.0 } else { x.tp as f64 / (x.tp + x.fn_) as f64 };
        println!("| {ty} | {} | {} | {} | {} | {} | {p:.3} | {r:.3} | {} ({}) |", x.cases, x.exact_cases, x.tp, x.fn_, x.fp, x.low, x.low_found);
    }
    println!("\ndisagreements:\n{}", disagreements.join("\n"));
    // Checksum-validated types and e-mail: near-complete agreement is required.
    for (ty, min) in [("CREDIT_CARD_NUMBER", 0.9), ("IBAN", 0.95), ("EMAIL_ADDRESS", 0.99), ("MAC_ADDRESS", 0.9), ("IP_ADDRESS", 0.9)] {
        let x = &t[ty];
        let agree = x.exact_cases as f64 / x.cases as f64;
        assert!(agree >= min, "{ty}: {} of {} cases agree ({agree:.3} < {min})", x.exact_cases, x.cases);
    }
}

#[test]
fn presidio_context_sentences() {
    let s = Scanner::new(Options { managed: true, ..Options::default() }).unwrap();
    let text = std::fs::read_to_string(shared("data/pii/presidio/context_sentences_tests.txt")).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    let mut t: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    for pair in lines.chunks(2) {
        let [entity, sentence] = pair else { continue };
        let Some(&(_, ty)) = CONTEXT_MAP.iter().find(|(e, _)| e == entity) else { continue };
        let found = !spans(&s, sentence, ty).is_empty();
        let e = t.entry(ty).or_default();
        e.0 += 1;
        e.1 += usize::from(found);
        if !found {
            missed.push(format!("{ty}: {sentence:?}"));
        }
    }
    println!("| type | sentences | found |");
    println!("|---|---|---|");
    for (ty, (n, f)) in &t {
        println!("| {ty} | {n} | {f} |");
    }
    println!("\nnot found:\n{}", missed.join("\n"));
    let (n, f) = t.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(n >= 25, "the context file has sentences for the shared types");
    assert!(f * 2 >= n, "{f} of {n} context sentences found");
}
