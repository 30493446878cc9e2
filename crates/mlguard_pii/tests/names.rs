//! Person names and postal addresses (Macie's NAME and ADDRESS) with their confidence, and
//! keyword gating that must see keywords inside other detections.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::engine::Batch;
use mlguard_pii::ident::Confidence::{self, High, Low, Medium};
use mlguard_pii::{Options, Scanner};
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(Options { managed: true, ..Options::default() }).unwrap())
}

/// Detections in one value with an optional column name: (type, text, confidence).
fn check(column: Option<&str>, text: &str) -> Vec<(String, String, Confidence)> {
    let s = scanner();
    let mut b = Batch::new();
    let ctx = column.map_or(u32::MAX, |c| b.context(c));
    b.push(text.as_bytes(), 0, ctx);
    let mut hits = Vec::new();
    s.scan(&mut s.cache(), &b, &mut hits);
    hits.iter().map(|h| (s.idents[h.ident].name.clone(), text[h.start..h.end].to_string(), h.confidence)).collect()
}

fn one(ty: &str, text: &str, conf: Confidence) -> Vec<(String, String, Confidence)> {
    vec![(ty.to_string(), text.to_string(), conf)]
}

#[test]
fn names_carry_how_they_were_found() {
    // Column context and a census name: high; context and the shape alone: medium.
    assert_eq!(check(Some("customer_name"), "Jane Smith"), one("NAME", "Jane Smith", High));
    assert_eq!(check(Some("full_name"), "Zorblax Quuxington"), one("NAME", "Zorblax Quuxington", Medium));
    assert_eq!(check(Some("name"), "Hans D. Schlosser"), one("NAME", "Hans D. Schlosser", High));
    // A keyword within 30 characters before counts as context; so does a title.
    assert_eq!(check(None, "Dear Zorblax Quuxington, thanks"), one("NAME", "Zorblax Quuxington", Medium));
    assert_eq!(check(None, "seen by Dr. Zorblax Quuxington"), one("NAME", "Dr. Zorblax Quuxington", Medium));
    // No context: a census given name and surname only, low.
    assert_eq!(check(None, "yesterday Jane Smith called"), one("NAME", "Jane Smith", Low));
    assert_eq!(check(None, "Contact Jane Smith"), one("NAME", "Jane Smith", Low));
    // Not names: one word, capitalised words that are not census names, a column about something else.
    assert!(check(Some("name"), "Jane").is_empty());
    assert!(check(None, "the Quarterly Report is due").is_empty());
    assert!(check(Some("file_name"), "Quarterly Report").is_empty());
}

#[test]
fn addresses_are_street_lines_and_postcodes_with_context() {
    // A street line and a postcode after it are one detection.
    assert_eq!(check(Some("shipping_address"), "1777 Kramer Court, Johnsonfurt, NE 80119"), one("ADDRESS", "1777 Kramer Court, Johnsonfurt, NE 80119", High));
    // In text, the postcode needs its own keyword within 30 characters (`ship to` is further away).
    assert_eq!(check(None, "ship to 1777 Kramer Court, Johnsonfurt, NE 80119 today"), one("ADDRESS", "1777 Kramer Court", High));
    assert_eq!(check(None, "at 1777 Kramer Court"), one("ADDRESS", "1777 Kramer Court", Medium));
    assert_eq!(check(Some("address"), "Flat 3, Rowe Plains, Jameston, B9H 7HT"), one("ADDRESS", "Flat 3, Rowe Plains, Jameston, B9H 7HT", High));
    assert_eq!(check(None, "wohnt Drubinstraße 47-26"), one("ADDRESS", "Drubinstraße 47-26", Medium));
    assert_eq!(check(None, "au 8, rue Jeanne Henry"), one("ADDRESS", "8, rue Jeanne Henry", Medium));
    // A postcode alone needs a keyword or a column.
    assert!(check(None, "order 80119 shipped").is_empty());
    assert_eq!(check(Some("zip"), "80119"), one("ADDRESS", "80119", Medium));
    // A suffix must end the word: `Mount` is not read out of `Mountain`.
    assert_eq!(check(None, "6 Wendy Mountain"), one("ADDRESS", "6 Wendy Mountain", Medium));
}

#[test]
fn keywords_inside_other_detections_still_unlock_identifiers() {
    // `ssn` inside an e-mail address, then nine bare digits: the keyword is 30 characters before.
    let got = check(None, "ssn.jones@example.com 078051121");
    assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["EMAIL_ADDRESS", "USA_SOCIAL_SECURITY_NUMBER"], "{got:?}");
    // `SSN` inside an AWS access key id.
    let got = check(None, "AKIAIOSFODNNSSNABCDE 078051121");
    assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["AWS_CREDENTIALS", "USA_SOCIAL_SECURITY_NUMBER"], "{got:?}");
    // Keywords written with other separators: `date-of_birth`.
    assert_eq!(check(None, "date-of_birth 1984-02-29"), one("DATE_OF_BIRTH", "1984-02-29", High));
}
