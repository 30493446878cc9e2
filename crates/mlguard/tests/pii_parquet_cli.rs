//! End-to-end: `mlguard scan` and `mlguard redact` (and `--reverse`) on a Parquet file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A 573-byte Parquet file written by pyarrow 26 (no compression, no statistics): columns
/// name, email (strings), card (int64), notes (string); three rows with a null in each of the
/// first three columns.
const TINY: &[&str] = &[
    "504152311500152a152a2c15061500150615061c000000020000000303040000004a616e6503000000426f621500155a",
    "155a2c15061500150615061c000000020000000305100000006a616e65406578616d706c652e636f6d0f000000626f62",
    "406578616d706c652e6f72671500152c152c2c15061500150615061c000000020000000303c7f168a5089b0e008c346b",
    "93bfbc13001500157015702c15061500150615061c0000000200000006010f00000073736e203037382d30352d313132",
    "311300000063616c6c202834313529203535352d32363731040000006e6f6e651504195c35001806736368656d611508",
    "00150c250218046e616d6525004c1c000000150c25021805656d61696c25004c1c000000150425021804636172640015",
    "0c250218056e6f74657325004c1c0000001606191c194c26001c150c192506001918046e616d65150016061650165026",
    "08491c150015001502003c160e19061926020400000026001c150c19250600191805656d61696c150016061680011680",
    "012658491c150015001502003c163e19061926020400000026001c150419250600191804636172641500160616521652",
    "26d801491c150015001502003c29061926020400000026001c150c192506001918056e6f746573150016061696011696",
    "0126aa02491c150015001502003c164c19061926000600000016b8031606260816b803002820706172717565742d6370",
    "702d6172726f772076657273696f6e2032362e302e31194c1c00001c00001c00001c0000005501000050415231",
];

fn tiny() -> Vec<u8> {
    let h: String = TINY.concat();
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
}

fn mlguard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlguard"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run mlguard")
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pii_parquet_cli").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn macie(path: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", path.to_str().unwrap(), "--format", "macie"];
    args.extend_from_slice(extra);
    let out = mlguard(&args, &[]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// (type, count, samples) of every detection in a one-object Macie report.
fn detections(v: &Value) -> Vec<(String, u64, Vec<Value>)> {
    let mut out = Vec::new();
    for obj in v.as_array().unwrap() {
        for cat in obj["classificationDetails"]["result"]["sensitiveData"].as_array().unwrap() {
            for d in cat["detections"].as_array().unwrap() {
                out.push((d["type"].as_str().unwrap().to_string(), d["count"].as_u64().unwrap(), d["occurrences"]["cells"].as_array().cloned().unwrap_or_default()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn scan_reports_parquet_cells() {
    let d = dir("scan");
    // No extension: recognised by content.
    let p = d.join("people");
    std::fs::write(&p, tiny()).unwrap();
    let v = macie(&p, &[]);
    assert_eq!(v[0]["classificationDetails"]["result"]["mimeType"], "application/vnd.apache.parquet");
    let found = detections(&v);
    let types: Vec<&str> = found.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(types, ["CREDIT_CARD_NUMBER", "EMAIL_ADDRESS", "PHONE_NUMBER", "USA_SOCIAL_SECURITY_NUMBER"], "{found:?}");
    let email = &found[1];
    assert_eq!(email.1, 2);
    assert_eq!(email.2[1], serde_json::json!({"column": 2, "columnName": "email", "row": 3, "cellReference": null}));
    assert_eq!(found[0].2[1]["row"], 2);
    assert_eq!(found[0].2[1]["columnName"], "card");
}

#[test]
fn redact_then_reverse_restores_tokens() {
    let d = dir("redact");
    let p = d.join("people.parquet");
    std::fs::write(&p, tiny()).unwrap();
    let out = d.join("redacted.parquet");
    let o = mlguard(&["redact", p.to_str().unwrap(), "--out", out.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("written as null"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(detections(&macie(&out, &[])).is_empty());

    let policy = d.join("policy.toml");
    std::fs::write(&policy, "default = \"replace\"\ntokenize_key_env = \"TEST_FF1_KEY\"\n[types]\nEMAIL_ADDRESS = \"tokenize\"\nCREDIT_CARD_NUMBER = \"tokenize\"\n").unwrap();
    let key = [("TEST_FF1_KEY", "00112233445566778899aabbccddeeff")];
    let tok = d.join("tok.parquet");
    let o = mlguard(&["redact", p.to_str().unwrap(), "--out", tok.to_str().unwrap(), "--policy", policy.to_str().unwrap()], &key);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("00112233"), "the key is never printed");
    let raw = |p: &Path| detections(&macie(p, &["--sample-values", "5"]));
    let (orig, toks) = (raw(&p), raw(&tok));
    // Tokens are cards and emails still (other values are replaced); their values differ.
    assert_eq!(toks.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), ["CREDIT_CARD_NUMBER", "EMAIL_ADDRESS"]);
    let back = d.join("back.parquet");
    let o = mlguard(&["redact", tok.to_str().unwrap(), "--out", back.to_str().unwrap(), "--policy", policy.to_str().unwrap(), "--reverse"], &key);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("restored 4 values"), "{}", String::from_utf8_lossy(&o.stderr));
    let json = |p: &Path| -> Value {
        let out = mlguard(&["scan", p.to_str().unwrap(), "--format", "json", "--sample-values", "5"], &[]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let samples_of = |v: &Value| -> Vec<String> {
        let mut s: Vec<String> = v["findings"].as_array().unwrap().iter().flat_map(|f| f["evidence"]["detections"].as_array().unwrap().iter().flat_map(|d| d["samples"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()))).collect();
        s.sort();
        s
    };
    let (so, st, sb) = (samples_of(&json(&p)), samples_of(&json(&tok)), samples_of(&json(&back)));
    assert!(so.contains(&"jane@example.com".to_string()) && so.contains(&"4111111111111111".to_string()), "{so:?}");
    assert!(!st.contains(&"jane@example.com".to_string()) && !st.contains(&"4111111111111111".to_string()), "{st:?}");
    // Back: the cards and emails are the originals again; the SSN and phone stay replaced.
    let keep = |s: &[String]| -> Vec<String> { s.iter().filter(|x| x.contains('@') || x.chars().all(|c| c.is_ascii_digit())).cloned().collect() };
    assert_eq!(keep(&sb), keep(&so), "{sb:?}");
    assert_eq!(orig.len(), 4);
    // Without the policy `--reverse` refuses.
    let o = mlguard(&["redact", tok.to_str().unwrap(), "--out", d.join("x.parquet").to_str().unwrap(), "--reverse"], &[]);
    assert!(!o.status.success());
}
