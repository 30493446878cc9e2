//! Input formats, malformed input, and a property test: the reader and detector never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use common::shared;
use mlguard_trail::reader::{inputs, Input, Item, RecordStream};
use mlguard_trail::{DetectOptions, Detector};
use proptest::prelude::*;
use std::io::Write;

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mlguard-trail-in-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rec(id: &str) -> String {
    format!(r#"{{"eventID":"{id}","eventTime":"2025-01-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{{"name":"t"}},"userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}}}"#)
}

#[test]
fn delivery_tree_with_gzip_jsonl_and_a_bad_record() {
    let root = tempdir("tree");
    let day = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/01");
    std::fs::create_dir_all(&day).unwrap();
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(day.join("a.json.gz")).unwrap(), flate2::Compression::fast());
    gz.write_all(format!(r#"{{"Records":[{},{{"eventID": tru}},{}]}}"#, rec("1"), rec("2")).as_bytes()).unwrap();
    gz.finish().unwrap();
    std::fs::write(day.join("b.jsonl"), format!("{}\n{}\n", rec("3"), rec("4"))).unwrap();
    std::fs::create_dir_all(root.join("AWSLogs/111122223333/CloudTrail-Digest")).unwrap();
    std::fs::write(root.join("AWSLogs/111122223333/CloudTrail-Digest/d.json.gz"), b"not a digest").unwrap();
    std::fs::write(day.join("notes.txt"), b"ignored").unwrap();
    let (ins, diags) = inputs(std::slice::from_ref(&root));
    assert!(diags.is_empty());
    assert_eq!(ins.len(), 2, "{ins:?}");
    let mut d = Detector::new(DetectOptions::default());
    let mut diags = Vec::new();
    for i in &ins {
        d.process_input(i, &mut diags, &mut |_| {});
    }
    let out = d.finish();
    assert_eq!((out.counts.read, out.counts.skipped, out.counts.matched), (4, 1, 4));
    assert_eq!(diags.len(), 1);
    assert!(diags[0].file.ends_with("a.json.gz") && diags[0].path == "$.Records[1]", "{:?}", diags[0]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn truncated_file_reports_the_record_index_and_keeps_earlier_records() {
    let dir = tempdir("trunc");
    let p = dir.join("t.json");
    std::fs::write(&p, format!("[{},{}", rec("1"), &rec("2")[..40])).unwrap();
    let mut d = Detector::new(DetectOptions::default());
    let mut diags = Vec::new();
    d.process_input(&Input::File(p), &mut diags, &mut |_| {});
    let out = d.finish();
    assert_eq!(out.counts.read, 1);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].path, "$[1]");
    assert!(diags[0].message.contains("unexpected end of input"), "{}", diags[0].message);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_stratus_recording_streams_as_a_bare_array() {
    let dir = shared("data/cloudtrail/stratus-red-team");
    let (ins, _) = inputs(&[dir]);
    assert_eq!(ins.len(), 35);
    let mut total = 0;
    for i in ins {
        let mut s = i.open().unwrap();
        while let Some(item) = s.next_item() {
            match item {
                Item::Record { bytes, .. } => {
                    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    assert!(v.get("eventID").is_some());
                    total += 1;
                }
                Item::Problem { message, .. } => panic!("{message}"),
            }
        }
    }
    // 310 records in the 35 recordings (counted with a JSON parser outside mlguard).
    assert_eq!(total, 310);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // Bytes that open with gzip's magic number are decompressed from the start, so a damaged
        // gzip header is an error here (which the CLI reports with the file's name); anything else
        // opens.
        let gzip = bytes.starts_with(&[0x1f, 0x8b]);
        let mut s = match RecordStream::new(Box::new(std::io::Cursor::new(bytes))) {
            Ok(s) => s,
            Err(e) => {
                prop_assert!(gzip, "{e}");
                return Ok(());
            }
        };
        let mut d = Detector::new(DetectOptions::default());
        let mut diags = Vec::new();
        let mut n = 0;
        while let Some(item) = s.next_item() {
            n += 1;
            prop_assert!(n < 10_000);
            if let Item::Record { bytes, place, .. } = item {
                d.process_bytes(&bytes, "fuzz", &place, &mut diags);
            }
        }
        let _ = d.finish();
    }

    #[test]
    fn never_panics_on_json_like_text(s in "[\\[\\]{}\",:a-z0-9 \\\\\n]{0,400}") {
        let mut st = RecordStream::new(Box::new(std::io::Cursor::new(format!("{{\"Records\":[{s}").into_bytes()))).unwrap();
        let mut d = Detector::new(DetectOptions::default());
        let mut diags = Vec::new();
        while let Some(item) = st.next_item() {
            if let Item::Record { bytes, place, .. } = item {
                d.process_bytes(&bytes, "fuzz", &place, &mut diags);
            }
        }
        let _ = d.finish();
    }
}
