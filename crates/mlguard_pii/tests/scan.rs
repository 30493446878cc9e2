//! Scanner and reader tests over small inline inputs and the shared gitleaks rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::engine::{Batch, Hit};
use mlguard_pii::{gitleaks, Options, Scanner};
use std::path::{Path, PathBuf};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

fn managed() -> Scanner {
    Scanner::new(Options { managed: true, ..Options::default() }).unwrap()
}

fn types(s: &Scanner, text: &str) -> Vec<String> {
    let mut b = Batch::new();
    b.push(text.as_bytes(), 0, u32::MAX);
    let mut hits: Vec<Hit> = Vec::new();
    s.scan(&mut s.cache(), &b, &mut hits);
    hits.iter().map(|h| s.idents[h.ident].name.clone()).collect()
}

#[test]
fn managed_identifiers_find_and_validate() {
    let s = managed();
    let cases: &[(&str, &[&str])] = &[
        ("visa 4111 1111 1111 1111 ok", &["CREDIT_CARD_NUMBER"]),
        ("mc2 2223003122003222", &["CREDIT_CARD_NUMBER"]),
        ("bad luhn 4111 1111 1111 1112", &[]),
        ("iban GB82 WEST 1234 5698 7654 32", &["IBAN"]),
        ("ssn: 078-05-1121", &["USA_SOCIAL_SECURITY_NUMBER"]),
        ("woolworth 078-05-1120", &[]),
        ("my ssn is 078051121", &["USA_SOCIAL_SECURITY_NUMBER"]),
        ("order 078051121 shipped", &[]),
        ("routing number 121000358", &["USA_ABA_ROUTING_NUMBER"]),
        ("write to jane.doe@example.co.uk today", &["EMAIL_ADDRESS"]),
        ("call (415) 555-2671", &["PHONE_NUMBER"]),
        ("host 10.0.0.1 and 2001:db8::ff00:42:8329", &["IP_ADDRESS", "IP_ADDRESS"]),
        ("mac 00:1A:2B:3C:4D:5E", &["MAC_ADDRESS"]),
        ("time 12:30:45 version 1.2.3", &[]),
        ("id AKIAIOSFODNN7EXAMPLE", &["AWS_CREDENTIALS"]),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ", &["AWS_CREDENTIALS"]),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", &["OPENSSH_PRIVATE_KEY"]),
        ("-----BEGIN RSA PRIVATE KEY-----", &["PKCS"]),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", &["HTTP_BASIC_AUTH_HEADER"]),
        ("tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sflKxwRJSMeKKF2QT4fwpM", &["JSON_WEB_TOKEN"]),
        ("key AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", &["GOOGLE_CLOUD_API_KEY"]),
        ("passport number C03005988", &["USA_PASSPORT_NUMBER"]),
        ("date of birth: 1984-02-29", &["DATE_OF_BIRTH"]),
        ("meeting on 1984-02-29", &[]),
        ("swift code DEUTDEFF500", &["SWIFT_CODE"]),
        ("account number 12345678901", &["BANK_ACCOUNT_NUMBER"]),
        ("itin 912-70-1234", &["USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"]),
    ];
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = types(&s, text);
        if got != *want {
            failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn keyword_proximity_is_thirty_characters_before() {
    let s = managed();
    assert_eq!(types(&s, "ssn 078051121"), ["USA_SOCIAL_SECURITY_NUMBER"]);
    let far = format!("ssn{}078051121", " ".repeat(40));
    assert!(types(&s, &far).is_empty());
    // A column name counts as a keyword.
    let mut b = Batch::new();
    let c = b.context("employee_ssn");
    b.push(b"078051121", 0, c);
    let mut hits = Vec::new();
    s.scan(&mut s.cache(), &b, &mut hits);
    assert_eq!(hits.len(), 1);
}

#[test]
fn gitleaks_rules_load_and_unsupported_are_named() {
    let loaded = gitleaks::load(&shared("data/pii/gitleaks-rules/gitleaks.toml")).unwrap();
    assert!(loaded.rules.len() > 200, "{} rules compiled", loaded.rules.len());
    // Go's literal braces are translated, so every allowlist regex compiles.
    assert!(loaded.notes.is_empty(), "{:?}", loaded.notes);
    for (id, why) in &loaded.unsupported {
        assert!(!id.is_empty() && !why.is_empty());
    }
    let total = loaded.rules.len() + loaded.unsupported.len();
    assert_eq!(total, 222, "every rule is either compiled or reported");
    let s = Scanner::new(Options { managed: false, gitleaks: Some(loaded), ..Options::default() }).unwrap();
    let got = types(&s, "GITHUB_TOKEN=ghp_016C5bG5a5hPdz2QaUanF3w1oPuS6Y2W4xQa");
    assert!(got.iter().any(|t| t.contains("github")), "{got:?}");
    assert!(types(&s, "nothing secret here, just prose about tokens").is_empty());
}

#[test]
fn go_literal_braces_are_escaped() {
    assert_eq!(gitleaks::go_braces(r"^\${(?:[A-Z_]+)}$"), r"^\$\{(?:[A-Z_]+)\}$");
    assert_eq!(gitleaks::go_braces(r"a{2,5}[{]b{3}"), r"a{2,5}[{]b{3}");
    assert_eq!(gitleaks::go_braces(r"import[ \t]+{[ \t\w,]+}"), r"import[ \t]+\{[ \t\w,]+\}");
}

#[test]
fn keyword_gating_picks_the_identifier_whose_keyword_is_present() {
    let s = managed();
    assert_eq!(types(&s, "passport 55123456"), ["USA_PASSPORT_NUMBER"]);
    assert_eq!(types(&s, "driver licence 55123456"), ["DRIVERS_LICENSE"]);
    assert_eq!(types(&s, "bank account 55123456"), ["BANK_ACCOUNT_NUMBER"]);
    assert!(types(&s, "order number 55123456").is_empty());
    // `date_of_birth` written with underscores is the keyword `date of birth`.
    assert_eq!(types(&s, "date_of_birth=1990-01-31"), ["DATE_OF_BIRTH"]);
}

#[test]
fn samples_are_masked_to_the_last_four_characters() {
    assert_eq!(mlguard_pii::result::mask("4111 1111 1111 1111"), "***************1111");
    assert_eq!(mlguard_pii::result::mask("078-05-1121"), "***********");
}

#[test]
fn a_number_after_a_card_is_not_taken_as_its_last_group() {
    let s = managed();
    assert_eq!(types(&s, "card 4111 1111 1111 1111 4 items"), ["CREDIT_CARD_NUMBER"]);
    assert_eq!(types(&s, "iban DE89 3704 0044 0532 0130 00 12 items"), ["IBAN"]);
}
