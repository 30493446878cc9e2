//! Parquet: scanning reports cells (leaf path as column name, 1-based record as row), redaction
//! keeps the schema, row groups, codecs and unredacted values, and `tokenize` reverses.
//! Fixtures are written here with the `parquet` crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::redact::{redact_file, Op, Policy};
use mlguard_pii::{scan_file, FileOutcome, Options, Scanner};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(Options { managed: true, ..Options::default() }).unwrap())
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pii_parquet");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

const SCHEMA: &str = "
message people {
  required int64 id;
  optional binary name (STRING);
  optional binary email (STRING);
  optional int64 card;
  optional double score;
  optional group phones (LIST) {
    repeated group list {
      optional binary element (STRING);
    }
  }
  optional group address {
    optional binary city (STRING);
    optional binary ssn (STRING);
  }
}";

const CARDS: [i64; 3] = [4111111111111111, 5555555555554444, 4012888888881881];

/// Rows per row group; `n` row groups. Row r (0-based over the file): every 4th has nulls.
fn write_fixture(path: &Path, groups: usize, rows: usize) {
    let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_column_compression(parquet::schema::types::ColumnPath::from("email"), Compression::ZSTD(Default::default()))
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new("origin".into(), "mlguard test".to_string())]))
        .build();
    let f = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(f, schema, Arc::new(props)).unwrap();
    for g in 0..groups {
        let base = g * rows;
        let ids: Vec<i64> = (0..rows).map(|r| (base + r) as i64).collect();
        let null = |r: usize| (base + r) % 4 == 3;
        let def = |r: usize| if null(r) { 0i16 } else { 1 };
        let mut rg = w.next_row_group().unwrap();
        // id
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>().write_batch(&ids, None, None).unwrap();
        c.close().unwrap();
        // name: low cardinality, dictionary encoded
        let names: Vec<ByteArray> = (0..rows).filter(|r| !null(*r)).map(|r| ByteArray::from(["alpha", "beta", "gamma"][(base + r) % 3])).collect();
        let defs: Vec<i16> = (0..rows).map(def).collect();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>().write_batch(&names, Some(&defs), None).unwrap();
        c.close().unwrap();
        // email
        let emails: Vec<ByteArray> = (0..rows).filter(|r| !null(*r)).map(|r| ByteArray::from(format!("user{}@example.com", base + r).as_str())).collect();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>().write_batch(&emails, Some(&defs), None).unwrap();
        c.close().unwrap();
        // card (int64)
        let cards: Vec<i64> = (0..rows).filter(|r| !null(*r)).map(|r| CARDS[(base + r) % 3]).collect();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>().write_batch(&cards, Some(&defs), None).unwrap();
        c.close().unwrap();
        // score
        let scores: Vec<f64> = (0..rows).map(|r| (base + r) as f64 / 2.0).collect();
        let all = vec![1i16; rows];
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<DoubleType>().write_batch(&scores, Some(&all), None).unwrap();
        c.close().unwrap();
        // phones: two per row, max_def 3 (phones, list, element), max_rep 1
        let (mut pv, mut pd, mut pr) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..rows {
            let n = base + r;
            pv.push(ByteArray::from(format!("call ({}15) 555-{:04}", 2 + n % 7, n % 10000).as_str()));
            pv.push(ByteArray::from("no phone here"));
            pd.extend([3i16, 3]);
            pr.extend([0i16, 1]);
        }
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>().write_batch(&pv, Some(&pd), Some(&pr)).unwrap();
        c.close().unwrap();
        // address.city, address.ssn (max_def 2)
        let cities: Vec<ByteArray> = (0..rows).map(|r| ByteArray::from(["Springfield", "Shelbyville"][(base + r) % 2])).collect();
        let d2 = vec![2i16; rows];
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>().write_batch(&cities, Some(&d2), None).unwrap();
        c.close().unwrap();
        let ssns: Vec<ByteArray> = (0..rows).map(|r| ByteArray::from(format!("{:03}-{:02}-{:04}", 100 + (base + r) % 500, 10 + r % 80, 1000 + r).as_str())).collect();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>().write_batch(&ssns, Some(&d2), None).unwrap();
        c.close().unwrap();
        rg.close().unwrap();
    }
    w.close().unwrap();
}

fn scan(path: &Path) -> (Vec<(String, u64, Vec<Value>)>, String) {
    match scan_file(scanner(), path, 0).unwrap() {
        FileOutcome::Scanned { result, .. } => (result.detections.iter().map(|(&i, d)| (scanner().idents[i].name.clone(), d.count, d.occurrences.clone())).collect(), result.mime),
        FileOutcome::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

fn count(found: &[(String, u64, Vec<Value>)], ty: &str) -> u64 {
    found.iter().filter(|(t, _, _)| t == ty).map(|(_, c, _)| c).sum()
}

/// Every row as text, through the crate's record reader.
fn rows(path: &Path) -> Vec<String> {
    let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    r.get_row_iter(None).unwrap().map(|row| row.unwrap().to_string()).collect()
}

#[test]
fn scan_reports_cells_with_leaf_paths() {
    let p = tmp("people.parquet");
    write_fixture(&p, 2, 100);
    let (found, mime) = scan(&p);
    assert_eq!(mime, "application/vnd.apache.parquet");
    // 200 rows, one in four with null email and card.
    assert_eq!(count(&found, "EMAIL_ADDRESS"), 150, "{found:?}");
    assert_eq!(count(&found, "CREDIT_CARD_NUMBER"), 150, "{found:?}");
    assert_eq!(count(&found, "PHONE_NUMBER"), 200, "{found:?}");
    // Nine bare digits would need a keyword; with dashes SSNs need none, and the column path is `address.ssn`.
    assert!(count(&found, "USA_SOCIAL_SECURITY_NUMBER") > 150, "{found:?}");
    let email = &found.iter().find(|(t, _, _)| t == "EMAIL_ADDRESS").unwrap().2[0];
    assert_eq!(email["cells"], serde_json::json!({"column": 3, "columnName": "email", "row": 1, "cellReference": null}));
    let card = &found.iter().find(|(t, _, _)| t == "CREDIT_CARD_NUMBER").unwrap().2;
    // Rows 1, 2, 3 have cards, row 4 (index 3) is null: the fourth occurrence is row 5.
    let card_rows: Vec<&Value> = card.iter().map(|o| &o["cells"]["row"]).collect();
    assert_eq!(card[3]["cells"]["row"], 5, "{card_rows:?}");
    assert_eq!(card[3]["cells"]["columnName"], "card");
    let phone = &found.iter().find(|(t, _, _)| t == "PHONE_NUMBER").unwrap().2;
    assert_eq!(phone[1]["cells"], serde_json::json!({"column": 6, "columnName": "phones.list.element", "row": 2, "cellReference": null}));
    // Rows continue across row groups.
    let last = phone.len();
    assert!(last <= 15);
}

#[test]
fn gzip_wrapped_parquet_is_scanned() {
    let p = tmp("gz-src.parquet");
    write_fixture(&p, 1, 20);
    let raw = std::fs::read(&p).unwrap();
    let gz = tmp("wrapped.parquet.gz");
    let mut e = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, &raw).unwrap();
    e.finish().unwrap();
    let (found, mime) = scan(&gz);
    assert_eq!(mime, "application/gzip");
    assert_eq!(count(&found, "EMAIL_ADDRESS"), 15);
    let out = tmp("wrapped-out.parquet.gz");
    redact_file(scanner(), &Policy::default(), &gz, &out).unwrap();
    assert_eq!(&std::fs::read(&out).unwrap()[..2], &[0x1f, 0x8b]);
    let (left, _) = scan(&out);
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn redaction_keeps_schema_row_groups_codecs_and_other_values() {
    let p = tmp("in.parquet");
    write_fixture(&p, 3, 64);
    let out = tmp("out.parquet");
    let stats = redact_file(scanner(), &Policy::default(), &p, &out).unwrap();
    assert!(stats.values_changed > 0);
    // Card numbers in an integer column cannot hold `[CREDIT_CARD_NUMBER]`: null.
    assert_eq!(stats.nulled, 3 * 48);
    let (left, _) = scan(&out);
    assert!(left.is_empty(), "left: {left:?}");
    let a = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
    let b = SerializedFileReader::new(std::fs::File::open(&out).unwrap()).unwrap();
    let (ma, mb) = (a.metadata(), b.metadata());
    assert_eq!(ma.file_metadata().schema(), mb.file_metadata().schema());
    assert_eq!(ma.file_metadata().key_value_metadata(), mb.file_metadata().key_value_metadata());
    assert_eq!(ma.num_row_groups(), mb.num_row_groups());
    for g in 0..ma.num_row_groups() {
        assert_eq!(ma.row_group(g).num_rows(), mb.row_group(g).num_rows());
        for c in 0..ma.row_group(g).num_columns() {
            assert_eq!(ma.row_group(g).column(c).compression(), mb.row_group(g).column(c).compression(), "column {c}");
        }
    }
    // Unredacted columns are unchanged, redacted ones replaced.
    let (ra, rb) = (rows(&p), rows(&out));
    assert_eq!(ra.len(), rb.len());
    let field = |row: &str, name: &str| -> String { row.split(&format!("{name}: ")).nth(1).map(|t| t.split([',', '}']).next().unwrap_or("").to_string()).unwrap_or_default() };
    for (x, y) in ra.iter().zip(&rb) {
        for f in ["id", "name", "score", "city"] {
            assert_eq!(field(x, f), field(y, f), "{f} in {y}");
        }
    }
    assert!(rb[0].contains("name: \"alpha\"") && rb[0].contains("city: \"Springfield\""), "{}", rb[0]);
    assert!(rb[0].contains("email: \"[EMAIL_ADDRESS]\"") && rb[0].contains("card: null") && rb[0].contains("\"no phone here\""), "{}", rb[0]);
    assert!(!rb.iter().any(|r| r.contains("@example.com") || r.contains("4111111111111111")));
}

#[test]
fn drop_removes_a_top_level_column() {
    let p = tmp("drop-in.parquet");
    write_fixture(&p, 1, 10);
    let policy = Policy::parse("[columns]\naddress = \"drop\"\nemail = \"drop\"\n", "policy.toml", |_| None).unwrap();
    let out = tmp("drop-out.parquet");
    let stats = redact_file(scanner(), &policy, &p, &out).unwrap();
    assert_eq!(stats.columns_dropped, 2);
    let r = rows(&out);
    assert!(!r[0].contains("address") && !r[0].contains("email") && r[0].contains("score"), "{}", r[0]);
}

const KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";

#[test]
fn tokenize_keeps_types_and_reverses() {
    let p = tmp("tok-in.parquet");
    write_fixture(&p, 2, 40);
    let text = "default = \"keep\"\ntokenize_key_env = \"K\"\n[types]\nEMAIL_ADDRESS = \"tokenize\"\nCREDIT_CARD_NUMBER = \"tokenize\"\nUSA_SOCIAL_SECURITY_NUMBER = \"tokenize\"\n[columns]\nname = \"tokenize\"\n";
    let policy = Policy::parse(text, "policy.toml", |v| (v == "K").then(|| KEY.to_string())).unwrap();
    assert_eq!(policy.types["EMAIL_ADDRESS"], Op::Tokenize);
    let tok = tmp("tok-out.parquet");
    let stats = redact_file(scanner(), &policy, &p, &tok).unwrap();
    assert_eq!(stats.nulled, 0);
    assert_eq!(stats.tokenize_fallbacks, 0);
    let (orig, toks) = (rows(&p), rows(&tok));
    assert_ne!(orig, toks);
    assert!(!toks.iter().any(|r| r.contains("user1@example.com")));
    // Tokens keep the type: cards stay integers of the same length that pass Luhn, so a re-scan finds them.
    let (found, _) = scan(&tok);
    assert_eq!(count(&found, "CREDIT_CARD_NUMBER"), 60, "{found:?}");
    assert_eq!(count(&found, "EMAIL_ADDRESS"), 60, "{found:?}");
    let back = tmp("tok-back.parquet");
    redact_file(scanner(), &policy.reversed(), &tok, &back).unwrap();
    assert_eq!(rows(&back), orig);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn small() -> &'static [u8] {
        static B: OnceLock<Vec<u8>> = OnceLock::new();
        B.get_or_init(|| {
            let p = tmp("small.parquet");
            write_fixture(&p, 2, 5);
            std::fs::read(&p).unwrap()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A damaged Parquet file is an error or a skipped file, never a panic.
        #[test]
        fn damaged_parquet_never_panics(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
            let mut b = small().to_vec();
            for (i, x) in flips {
                let k = i.index(b.len());
                b[k] ^= x.max(1);
            }
            if truncate {
                b.truncate(cut.index(b.len()).max(4));
            }
            let p = tmp("damaged.parquet");
            std::fs::write(&p, &b).unwrap();
            let _ = scan_file(scanner(), &p, 0);
            let _ = redact_file(scanner(), &Policy::default(), &p, &tmp("damaged-out.parquet"));
        }
    }
}
