//! End-to-end tests of `mlguard scan` and `mlguard redact` over files written per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mlguard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlguard"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run mlguard")
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pii_cli").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

const CSV: &str = "name,email,ssn,card_number,notes\nJane,jane@example.com,078-05-1121,4111 1111 1111 1111,call (415) 555-2671\nBob,bob@example.org,219-09-9999,5555555555554444,none\n";
const JSONL: &str = "{\"user\":{\"email\":\"a@b.io\",\"ssn\":\"078051121\"},\"ip\":\"10.1.2.3\"}\n{\"user\":{\"email\":\"c@d.io\"},\"note\":\"AKIAIOSFODNN7EXAMPLE\"}\n";
const TXT: &str = "hello\nmy ssn is 078-05-1121\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";

fn write_inputs(d: &Path) {
    std::fs::write(d.join("a.csv"), CSV).unwrap();
    // No extension: the format is recognised by content.
    std::fs::write(d.join("b"), JSONL).unwrap();
    std::fs::write(d.join("c.txt"), TXT).unwrap();
    let mut gz = flate2_free_gzip(TXT.as_bytes());
    std::fs::write(d.join("sub_d.log.gz"), &mut gz).unwrap();
    std::fs::write(d.join("blob.bin"), [0u8, 1, 2, 3, 0, 0, 255, 254]).unwrap();
}

/// A gzip member with stored (uncompressed) deflate blocks, so the test needs no gzip library.
fn flate2_free_gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = data.chunks(65535).collect();
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let n = c.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(c);
    }
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    out.extend_from_slice(&(!crc).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[test]
fn scan_directory_json_findings_and_skips() {
    let d = dir("scan_dir");
    write_inputs(&d);
    let out = mlguard(&["scan", d.to_str().unwrap(), "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let mut pairs: Vec<(String, String)> = findings
        .iter()
        .map(|f| (Path::new(f["resource_id"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned(), f["rule_id"].as_str().unwrap().to_string()))
        .collect();
    pairs.sort();
    let want: Vec<(String, String)> = [("a.csv", "PII-002"), ("a.csv", "PII-003"), ("b", "PII-001"), ("b", "PII-003"), ("c.txt", "PII-001"), ("c.txt", "PII-003"), ("sub_d.log.gz", "PII-001"), ("sub_d.log.gz", "PII-003")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pairs, want);
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(diags.iter().any(|d| d["file"].as_str().unwrap().ends_with("blob.bin") && d["message"].as_str().unwrap().contains("binary")), "{diags:?}");
    // Samples are masked: no full card number or SSN anywhere in the report.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("4111 1111 1111 1111") && !text.contains("078-05-1121") && !text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
    assert!(text.contains("1111"), "masked samples keep the last four characters");
}

#[test]
fn macie_format_has_locations_and_types() {
    let d = dir("macie");
    write_inputs(&d);
    let out = mlguard(&["scan", d.join("a.csv").to_str().unwrap(), d.join("b").to_str().unwrap(), d.join("c.txt").to_str().unwrap(), "--format", "macie"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    let csv = &arr[0];
    assert_eq!(csv["type"], "SensitiveData:S3Object/Multiple");
    assert_eq!(csv["classificationDetails"]["result"]["mimeType"], "text/csv");
    let sd = csv["classificationDetails"]["result"]["sensitiveData"].as_array().unwrap();
    let personal = sd.iter().find(|c| c["category"] == "PERSONAL_INFORMATION").unwrap();
    let ssn = personal["detections"].as_array().unwrap().iter().find(|d| d["type"] == "USA_SOCIAL_SECURITY_NUMBER").unwrap();
    // 219-09-9999 (an SSA advertisement number) is not counted.
    assert_eq!(ssn["count"], 1);
    assert_eq!(ssn["occurrences"]["cells"][0], serde_json::json!({"column": 3, "columnName": "ssn", "row": 2, "cellReference": null}));
    let jl = &arr[1];
    let recs: Vec<&Value> = jl["classificationDetails"]["result"]["sensitiveData"].as_array().unwrap().iter().flat_map(|c| c["detections"].as_array().unwrap()).collect();
    let ssn = recs.iter().find(|d| d["type"] == "USA_SOCIAL_SECURITY_NUMBER").unwrap();
    // A bare 9-digit SSN counts because the JSON path element `ssn` is a keyword.
    assert_eq!(ssn["occurrences"]["records"][0], serde_json::json!({"jsonPath": "$.user.ssn", "recordIndex": 0}));
    let aws = recs.iter().find(|d| d["type"] == "AWS_CREDENTIALS").unwrap();
    assert_eq!(aws["occurrences"]["records"][0]["recordIndex"], 1);
    let txt = &arr[2];
    let lines: Vec<&Value> = txt["classificationDetails"]["result"]["sensitiveData"].as_array().unwrap().iter().flat_map(|c| c["detections"].as_array().unwrap()).collect();
    let ssn = lines.iter().find(|d| d["type"] == "USA_SOCIAL_SECURITY_NUMBER").unwrap();
    assert_eq!(ssn["occurrences"]["lineRanges"][0], serde_json::json!({"start": 2, "end": 2, "startColumn": 11}));
    assert_eq!(txt["severity"]["description"], "High");
}

#[test]
fn sarif_output_and_sample_values() {
    let d = dir("sarif");
    write_inputs(&d);
    let out = mlguard(&["scan", d.join("a.csv").to_str().unwrap(), "--format", "sarif"], &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["ruleId"].as_str().unwrap().starts_with("PII-")));
    let out = mlguard(&["scan", d.join("a.csv").to_str().unwrap(), "--format", "json", "--sample-values", "1"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("4111 1111 1111 1111"), "--sample-values includes raw values");
}

#[test]
fn custom_identifiers_with_keywords_and_ignore_words() {
    let d = dir("custom");
    std::fs::write(d.join("ids.toml"), "[[identifiers]]\nname = \"EMPLOYEE_ID\"\nregex = \"EMP-[0-9]{6}\"\nkeywords = [\"employee\"]\nignoreWords = [\"EMP-000000\"]\nmaximumMatchDistance = 20\nseverityLevels = [{ occurrencesThreshold = 1, severity = \"LOW\" }, { occurrencesThreshold = 2, severity = \"HIGH\" }]\n").unwrap();
    std::fs::write(d.join("t.txt"), "employee EMP-123456\nemployee EMP-000000\nEMP-654321 without the word\nemployee badge EMP-222222\n").unwrap();
    let out = mlguard(&["scan", d.join("t.txt").to_str().unwrap(), "--identifiers", d.join("ids.toml").to_str().unwrap(), "--format", "macie"], &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["type"], "SensitiveData:S3Object/CustomIdentifier");
    let det = &v[0]["classificationDetails"]["result"]["customDataIdentifiers"]["detections"][0];
    assert_eq!(det["name"], "EMPLOYEE_ID");
    assert_eq!(det["count"], 2, "{det}");
    assert_eq!(v[0]["severity"]["description"], "High");
    // A bad regex names the identifier.
    std::fs::write(d.join("bad.toml"), "[[identifiers]]\nname = \"BROKEN\"\nregex = \"(unclosed\"\n").unwrap();
    let out = mlguard(&["scan", d.join("t.txt").to_str().unwrap(), "--identifiers", d.join("bad.toml").to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`BROKEN`"));
}

#[test]
fn gitleaks_rules_from_the_shared_file() {
    let d = dir("gitleaks");
    std::fs::write(d.join("env.txt"), "GITHUB_TOKEN=ghp_016C5bG5a5hPdz2QaUanF3w1oPuS6Y2W4xQa\n").unwrap();
    let rules = shared("data/pii/gitleaks-rules/gitleaks.toml");
    let out = mlguard(&["scan", d.join("env.txt").to_str().unwrap(), "--gitleaks", rules.to_str().unwrap(), "--format", "json"], &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["rule_id"], "PII-001");
    assert!(f["evidence"]["detections"].as_array().unwrap().iter().any(|d| d["type"].as_str().unwrap().starts_with("github") && d["origin"] == "gitleaks"), "{f}");
}

#[test]
fn nothing_scannable_exits_2() {
    let d = dir("nothing");
    std::fs::write(d.join("blob.bin"), [0u8, 159, 146, 150, 0]).unwrap();
    let out = mlguard(&["scan", d.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = mlguard(&["scan", d.join("missing").to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn redact_csv_with_policy_then_rescan_is_clean() {
    let d = dir("redact_csv");
    write_inputs(&d);
    std::fs::write(d.join("p.toml"), "default = \"replace\"\nhash_key_env = \"PII_TEST_KEY\"\n[types]\nEMAIL_ADDRESS = \"hash\"\nCREDIT_CARD_NUMBER = \"mask\"\n[columns]\nssn = \"drop\"\n").unwrap();
    let key = [("PII_TEST_KEY", "0123456789abcdef-test")];
    let out = mlguard(&["redact", d.join("a.csv").to_str().unwrap(), "--out", d.join("r.csv").to_str().unwrap(), "--policy", d.join("p.toml").to_str().unwrap()], &key);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = std::fs::read_to_string(d.join("r.csv")).unwrap();
    let rows: Vec<Vec<&str>> = r.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["name", "email", "card_number", "notes"]);
    assert_eq!(rows[1][0], "Jane");
    assert_eq!(rows[1][1].len(), 64, "HMAC-SHA-256 hex");
    assert!(rows[1][2].ends_with("1111") && rows[1][2].starts_with("****"));
    assert_eq!(rows[1][3], "call [PHONE_NUMBER]");
    // Deterministic: the same key gives the same hash.
    let out2 = mlguard(&["redact", d.join("a.csv").to_str().unwrap(), "--out", d.join("r2.csv").to_str().unwrap(), "--policy", d.join("p.toml").to_str().unwrap()], &key);
    assert_eq!(out2.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(d.join("r2.csv")).unwrap(), r);
    let scan = mlguard(&["scan", d.join("r.csv").to_str().unwrap(), "--format", "json"], &[]);
    assert_eq!(scan.status.code(), Some(0), "{}", String::from_utf8_lossy(&scan.stdout));
}

#[test]
fn redact_jsonl_text_gzip_then_rescan_is_clean() {
    let d = dir("redact_other");
    write_inputs(&d);
    for (src, dst) in [("b", "rb.jsonl"), ("c.txt", "rc.txt"), ("sub_d.log.gz", "rd.log.gz")] {
        let out = mlguard(&["redact", d.join(src).to_str().unwrap(), "--out", d.join(dst).to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(0), "{src}: {}", String::from_utf8_lossy(&out.stderr));
        let scan = mlguard(&["scan", d.join(dst).to_str().unwrap(), "--format", "json"], &[]);
        assert_eq!(scan.status.code(), Some(0), "{dst}: {}", String::from_utf8_lossy(&scan.stdout));
    }
    let jl = std::fs::read_to_string(d.join("rb.jsonl")).unwrap();
    let first: Value = serde_json::from_str(jl.lines().next().unwrap()).unwrap();
    assert_eq!(first["user"]["email"], "[EMAIL_ADDRESS]");
    assert_eq!(first["ip"], "[IP_ADDRESS]");
    let t = std::fs::read_to_string(d.join("rc.txt")).unwrap();
    assert!(!t.contains("MIIEpAIBAAKCAQEA"), "the private key body is redacted too: {t}");
    let gz = std::fs::read(d.join("rd.log.gz")).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip in, gzip out");
}

#[test]
fn failed_redaction_leaves_no_output() {
    let d = dir("redact_fail");
    std::fs::write(d.join("bad.json"), "[{\"email\": \"a@b.io\"}, {broken").unwrap();
    let out = mlguard(&["redact", d.join("bad.json").to_str().unwrap(), "--out", d.join("out.json").to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, ["bad.json"], "no output and no temporary file");
    // `hash` without its key is refused before anything is written.
    std::fs::write(d.join("p.toml"), "default = \"hash\"\nhash_key_env = \"PII_TEST_ABSENT_KEY\"\n").unwrap();
    std::fs::write(d.join("t.txt"), "jane@example.com\n").unwrap();
    let out = mlguard(&["redact", d.join("t.txt").to_str().unwrap(), "--out", d.join("o.txt").to_str().unwrap(), "--policy", d.join("p.toml").to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PII_TEST_ABSENT_KEY"));
    assert!(!d.join("o.txt").exists());
}
