//! Properties: the readers and the scanner never panic on arbitrary bytes, and scanning a
//! redacted file finds no occurrence of any redacted type.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::engine::Batch;
use mlguard_pii::redact::{redact_file, Op, Policy};
use mlguard_pii::{scan_file, FileOutcome, Options, Scanner};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(Options { managed: true, ..Options::default() }).unwrap())
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pii_prop");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn luhn_complete(prefix: &[u8], len: usize, fill: &[u8]) -> String {
    let mut d: Vec<u32> = prefix.iter().map(|b| u32::from(b - b'0')).collect();
    let mut k = 0;
    while d.len() < len - 1 {
        d.push(u32::from(fill[k % fill.len()] % 10));
        k += 1;
    }
    let s: u32 = d.iter().rev().enumerate().map(|(i, &x)| if i % 2 == 0 { let y = x * 2; if y > 9 { y - 9 } else { y } } else { x }).sum();
    d.push((10 - s % 10) % 10);
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

fn sensitive() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::collection::vec(any::<u8>(), 18), prop::sample::select(vec![("4", 16usize), ("51", 16), ("2221", 16), ("37", 15), ("6011", 16), ("4", 19)]))
            .prop_map(|(fill, (p, n))| luhn_complete(p.as_bytes(), n, &fill)),
        (1u32..900, 1u32..100, 1u32..10000).prop_filter("ssa rules", |(a, _, _)| *a != 666).prop_map(|(a, g, s)| format!("ssn {a:03}-{g:02}-{s:04}")),
        ("[a-z]{1,8}", "[a-z]{2,8}").prop_map(|(u, d)| format!("{u}@{d}.com")),
        // N11 area codes (211, 311, ... 911) are service codes, rejected by `validate::phone` by
        // design, so they would not be sensitive values.
        (2u32..10, 0u32..100, 2u32..10, 0u32..100, 0u32..10000)
            .prop_filter("N11 area code", |(_, b, ..)| *b != 11)
            .prop_map(|(a, b, c, d, e)| format!("({a}{b:02}) {c}{d:02}-{e:04}")),
        (1u32..255, 0u32..256, 0u32..256, 1u32..255).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        "[A-Z2-7]{16}".prop_map(|s| format!("AKIA{s}")),
    ]
}

fn filler() -> impl Strategy<Value = String> {
    "[a-z ]{0,12}"
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec((filler(), prop::option::of(sensitive())), 1..4).prop_map(|parts| {
        let mut s = String::new();
        for (f, v) in parts {
            s.push_str(&f);
            s.push(' ');
            if let Some(v) = v {
                s.push_str(&v);
                s.push(' ');
            }
        }
        s
    })
}

fn detections(path: &Path) -> Vec<String> {
    match scan_file(scanner(), path, 0).unwrap() {
        FileOutcome::Scanned { result, .. } => result.detections.keys().map(|&i| scanner().idents[i].name.clone()).collect(),
        FileOutcome::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn scanner_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let s = scanner();
        let mut b = Batch::new();
        b.push(&bytes, 0, u32::MAX);
        b.push(&bytes[bytes.len() / 2..], 1, u32::MAX);
        let mut hits = Vec::new();
        s.scan(&mut s.cache(), &b, &mut hits);
        for h in &hits {
            prop_assert!(h.start < h.end && h.end <= b.value(h.seg).len());
        }
    }

    #[test]
    fn readers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), ext in prop::sample::select(vec!["csv", "jsonl", "json", "txt", "gz", "tsv"])) {
        let p = tmp(&format!("fuzz.{ext}"));
        std::fs::write(&p, &bytes).unwrap();
        // Any outcome but a panic is fine: scanned, skipped or an error.
        let _ = scan_file(scanner(), &p, 0);
        let _ = redact_file(scanner(), &Policy::default(), &p, &tmp(&format!("fuzz-out.{ext}")));
    }

    #[test]
    fn redacted_text_has_no_detections(lines in prop::collection::vec(line(), 1..20), op in prop::sample::select(vec![Op::Replace, Op::Redact, Op::Mask])) {
        let p = tmp("in.txt");
        std::fs::write(&p, lines.join("\n")).unwrap();
        let policy = Policy { default: op, ..Policy::default() };
        let out = tmp("out.txt");
        redact_file(scanner(), &policy, &p, &out).unwrap();
        let left = detections(&out);
        prop_assert!(left.is_empty(), "{:?} left in {:?}", left, std::fs::read_to_string(&out));
    }

    #[test]
    fn redacted_csv_and_jsonl_have_no_detections(rows in prop::collection::vec((sensitive(), line()), 1..12), hash in any::<bool>()) {
        let mut csv = String::from("a,b\n");
        let mut jl = String::new();
        for (a, b) in &rows {
            csv.push_str(&format!("{a},{b}\n"));
            jl.push_str(&serde_json::json!({"a": a, "nested": {"b": [b]}}).to_string());
            jl.push('\n');
        }
        let policy = if hash { Policy { default: Op::Hash, key: b"0123456789abcdef".to_vec(), ..Policy::default() } } else { Policy::default() };
        for (name, text) in [("in.csv", csv), ("in.jsonl", jl)] {
            let p = tmp(name);
            std::fs::write(&p, text).unwrap();
            // Every row has a sensitive value in column `a`: the input has detections.
            prop_assert!(!detections(&p).is_empty(), "{}: nothing found in the input", name);
            let out = tmp(&format!("out-{name}"));
            redact_file(scanner(), &policy, &p, &out).unwrap();
            let left = detections(&out);
            prop_assert!(left.is_empty(), "{}: {:?} left in {:?}", name, left, std::fs::read_to_string(&out));
        }
    }
}
