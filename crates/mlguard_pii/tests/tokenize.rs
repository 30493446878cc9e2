//! `tokenize`: FF1 against NIST's published samples, round trips, formats kept, and the
//! reverse pass through files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_pii::redact::{redact_file, Policy};
use mlguard_pii::tokenize::{TokenError, Tokenizer};
use mlguard_pii::{scan_file, validate, FileOutcome, Options, Scanner};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(Options { managed: true, ..Options::default() }).unwrap())
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pii_tokenize");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn numerals(s: &str) -> Vec<u16> {
    s.chars().map(|c| c.to_digit(36).unwrap() as u16).collect()
}

fn text(n: &[u16]) -> String {
    n.iter().map(|&d| char::from_digit(u32::from(d), 36).unwrap()).collect()
}

/// NIST SP 800-38G, FF1 samples 1-9 ("FF1samples.pdf", Cryptographic Standards and Guidelines,
/// Examples with Intermediate Values): key, radix, tweak (hex), plaintext, ciphertext.
const NIST: &[(&str, u32, &str, &str, &str)] = &[
    ("2B7E151628AED2A6ABF7158809CF4F3C", 10, "", "0123456789", "2433477484"),
    ("2B7E151628AED2A6ABF7158809CF4F3C", 10, "39383736353433323130", "0123456789", "6124200773"),
    ("2B7E151628AED2A6ABF7158809CF4F3C", 36, "3737373770717273373737", "0123456789abcdefghi", "a9tv40mll9kdu509eum"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", 10, "", "0123456789", "2830668132"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", 10, "39383736353433323130", "0123456789", "2496655549"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", 36, "3737373770717273373737", "0123456789abcdefghi", "xbj3kv35jrawxv32ysr"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", 10, "", "0123456789", "6657667009"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", 10, "39383736353433323130", "0123456789", "1001623463"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", 36, "3737373770717273373737", "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"),
];

#[test]
fn ff1_matches_the_nist_samples() {
    for (i, (key, radix, tweak, pt, ct)) in NIST.iter().enumerate() {
        let t = Tokenizer::new(&hex(key)).unwrap();
        let enc = t.ff1(*radix, &hex(tweak), numerals(pt), true).unwrap();
        assert_eq!(text(&enc), *ct, "sample {}", i + 1);
        let dec = t.ff1(*radix, &hex(tweak), numerals(ct), false).unwrap();
        assert_eq!(text(&dec), *pt, "sample {} decrypt", i + 1);
    }
}

#[test]
fn keys_of_other_lengths_are_refused_and_never_printed() {
    assert!(Tokenizer::new(&[0u8; 15]).is_err());
    assert!(Tokenizer::from_hex("zz").is_err());
    let t = Tokenizer::from_hex(NIST[0].0).unwrap();
    assert!(!format!("{t:?}").to_lowercase().contains("2b7e"));
    let p = Policy::parse("default = \"tokenize\"\n", "p.toml", |_| Some(NIST[0].0.to_string())).unwrap();
    assert!(!format!("{p:?}").to_lowercase().contains("2b7e"));
}

fn tk() -> Tokenizer {
    Tokenizer::from_hex(NIST[6].0).unwrap()
}

#[test]
fn separators_stay_and_classes_are_kept() {
    let t = tk();
    let any = |_: &[u8]| true;
    for v in ["4111-1111-1111-1111", "078 05 1121", "AB12CD34", "abc-def-ghi", "Jane.Doe@Example.com", "x9Y8z7W6"] {
        let tok = t.tokenize(v.as_bytes(), b"col", &any).unwrap();
        assert_eq!(tok.len(), v.len());
        for (a, b) in v.bytes().zip(&tok) {
            assert_eq!(a.is_ascii_alphanumeric(), b.is_ascii_alphanumeric(), "{v} -> {}", String::from_utf8_lossy(&tok));
            if !a.is_ascii_alphanumeric() {
                assert_eq!(a, *b);
            }
        }
        assert_ne!(tok, v.as_bytes());
        assert_eq!(t.detokenize(&tok, b"col", &any).unwrap(), v.as_bytes());
        // Another tweak, another token.
        assert_ne!(t.tokenize(v.as_bytes(), b"other", &any).unwrap(), tok);
    }
    assert_eq!(t.tokenize(b"12345", b"", &any), Err(TokenError::TooShort));
    assert_eq!(t.tokenize(b"--", b"", &any).unwrap(), b"--");
}

#[test]
fn card_tokens_are_cards() {
    // Cycle walking keeps a card token in the set of valid cards: same length, digits and
    // separators in place, Luhn and issuer prefix valid. This is how the reverse pass finds it,
    // and why a re-scan reports it (tokenize is outside the no-detection guarantee).
    let t = tk();
    let card = |v: &[u8]| validate::credit_card(v);
    for v in ["4111 1111 1111 1111", "5555555555554444", "378282246310005", "4012-8888-8888-1881"] {
        let tok = t.tokenize(v.as_bytes(), b"", &card).unwrap();
        assert!(validate::credit_card(&tok), "{}", String::from_utf8_lossy(&tok));
        assert_eq!(t.detokenize(&tok, b"", &card).unwrap(), v.as_bytes());
    }
    // A value outside the set is refused, not tokenized irreversibly.
    assert_eq!(t.tokenize(b"4111111111111112", b"", &card), Err(TokenError::NotInDomain));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip(v in "[0-9A-Za-z .@-]{0,40}", tweak in "[a-z]{0,8}") {
        let t = tk();
        let any = |_: &[u8]| true;
        match t.tokenize(v.as_bytes(), tweak.as_bytes(), &any) {
            Ok(tok) => prop_assert_eq!(t.detokenize(&tok, tweak.as_bytes(), &any).unwrap(), v.as_bytes().to_vec()),
            Err(e) => prop_assert_eq!(e, TokenError::TooShort),
        }
    }
}

fn detections(path: &Path) -> Vec<String> {
    match scan_file(scanner(), path, 0).unwrap() {
        FileOutcome::Scanned { result, .. } => result.detections.keys().map(|&i| scanner().idents[i].name.clone()).collect(),
        FileOutcome::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

const POLICY: &str = "default = \"replace\"\n[types]\nCREDIT_CARD_NUMBER = \"tokenize\"\nUSA_SOCIAL_SECURITY_NUMBER = \"tokenize\"\nEMAIL_ADDRESS = \"tokenize\"\nPHONE_NUMBER = \"tokenize\"\n[columns]\ncustomer = \"tokenize\"\n";

fn policy() -> Policy {
    Policy::parse(POLICY, "p.toml", |v| (v == "MLGUARD_TOKENIZE_KEY").then(|| NIST[6].0.to_string())).unwrap()
}

#[test]
fn files_round_trip_through_reverse() {
    let csv = "customer,notes,ip\nCUST-00017,\"card 4111 1111 1111 1111, ssn 078-05-1121\",10.1.2.3\nCUST-00018,mail jane.doe@example.com or call (415) 555-2671,10.1.2.4\n";
    let jsonl = "{\"card\":5555555555554444,\"customer\":\"CUST-99\",\"n\":{\"ssn\":\"536-22-1234\"}}\n";
    let txt = "paid with 4012 8888 8888 1881 from 10.0.0.1\nssn 078-05-1121, mail a.b@example.org\n";
    for (name, input) in [("t.csv", csv), ("t.jsonl", jsonl), ("t.txt", txt)] {
        let p = tmp(name);
        std::fs::write(&p, input).unwrap();
        let tok = tmp(&format!("tok-{name}"));
        let stats = redact_file(scanner(), &policy(), &p, &tok).unwrap();
        assert_eq!(stats.tokenize_fallbacks, 0, "{name}");
        let t = std::fs::read_to_string(&tok).unwrap();
        for secret in ["4111 1111 1111 1111", "078-05-1121", "jane.doe@example.com", "5555555555554444", "4012 8888 8888 1881", "CUST-00017", "536-22-1234"] {
            assert!(!t.contains(secret), "{name}: {secret} left in {t}");
        }
        // Types under `replace` are gone; tokenized ones are still there, as tokens.
        assert!(!t.contains("10.1.2.3") && !t.contains("10.0.0.1"), "{t}");
        let left = detections(&tok);
        assert!(!left.contains(&"IP_ADDRESS".to_string()), "{name}: {left:?}");
        let back = tmp(&format!("back-{name}"));
        redact_file(scanner(), &policy().reversed(), &tok, &back).unwrap();
        let b = std::fs::read_to_string(&back).unwrap();
        // Only what `replace` removed differs.
        let expect = input.replace("10.1.2.3", "[IP_ADDRESS]").replace("10.1.2.4", "[IP_ADDRESS]").replace("10.0.0.1", "[IP_ADDRESS]");
        assert_eq!(b, expect, "{name}: tokens were {t}");
    }
}

fn luhn_complete(prefix: &str, len: usize, fill: &[u8]) -> String {
    let mut d: Vec<u32> = prefix.bytes().map(|b| u32::from(b - b'0')).collect();
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
        (prop::collection::vec(any::<u8>(), 18), prop::sample::select(vec![("4", 16usize), ("51", 16), ("37", 15), ("6011", 16)])).prop_map(|(fill, (p, n))| luhn_complete(p, n, &fill)),
        (1u32..900, 1u32..100, 1u32..10000).prop_filter("ssa rules", |(a, _, _)| *a != 666).prop_map(|(a, g, s)| format!("ssn {a:03}-{g:02}-{s:04}")),
        ("[a-z]{1,8}", "[a-z]{2,8}").prop_map(|(u, d)| format!("{u}@{d}.com")),
        (1u32..255, 0u32..256, 0u32..256, 1u32..255).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        "[A-Z2-7]{16}".prop_map(|s| format!("AKIA{s}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The redaction guarantee with `tokenize` in the policy: types under the other operators
    /// are never found again; tokenized types may be (tokens keep their type by design), and
    /// the reverse pass gives back exactly the input, minus what the other operators removed.
    #[test]
    fn tokenized_text_reverses_and_other_types_stay_gone(parts in prop::collection::vec(("[a-z ]{0,10}", prop::option::of(sensitive())), 1..12)) {
        let mut input = String::new();
        for (f, v) in &parts {
            // A leading word: a file starting with `[` (a replacement) would be read as JSON.
            input.push_str("line ");
            input.push_str(f);
            input.push(' ');
            if let Some(v) = v {
                input.push_str(v);
                input.push(' ');
            }
            input.push('\n');
        }
        let text = "default = \"replace\"\n[types]\nCREDIT_CARD_NUMBER = \"tokenize\"\nUSA_SOCIAL_SECURITY_NUMBER = \"tokenize\"\nEMAIL_ADDRESS = \"tokenize\"\n";
        let policy = Policy::parse(text, "p.toml", |_| Some(NIST[0].0.to_string())).unwrap();
        let p = tmp("prop-in.txt");
        std::fs::write(&p, &input).unwrap();
        let tok = tmp("prop-tok.txt");
        let stats = redact_file(scanner(), &policy, &p, &tok).unwrap();
        prop_assert_eq!(stats.tokenize_fallbacks, 0);
        let left = detections(&tok);
        for ty in ["IP_ADDRESS", "AWS_CREDENTIALS"] {
            prop_assert!(!left.contains(&ty.to_string()), "{} left in {}", ty, std::fs::read_to_string(&tok).unwrap());
        }
        // What the reverse must give: the input with IP addresses and keys replaced.
        let replaced = tmp("prop-replaced.txt");
        let only_replace = Policy::parse("default = \"replace\"\n[types]\nCREDIT_CARD_NUMBER = \"keep\"\nUSA_SOCIAL_SECURITY_NUMBER = \"keep\"\nEMAIL_ADDRESS = \"keep\"\n", "p.toml", |_| None).unwrap();
        redact_file(scanner(), &only_replace, &p, &replaced).unwrap();
        let back = tmp("prop-back.txt");
        redact_file(scanner(), &policy.reversed(), &tok, &back).unwrap();
        prop_assert_eq!(std::fs::read_to_string(&back).unwrap(), std::fs::read_to_string(&replaced).unwrap(), "tokens: {}", std::fs::read_to_string(&tok).unwrap());
    }
}

#[test]
fn the_key_comes_from_a_file_beside_the_policy_or_the_environment() {
    let d = tmp("keyfile");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("ff1.key"), format!("{}\n", NIST[0].0)).unwrap();
    let file = d.join("policy.toml").display().to_string();
    let p = Policy::parse("default = \"tokenize\"\ntokenize_key_file = \"ff1.key\"\n", &file, |_| None).unwrap();
    let e = Policy::parse("default = \"tokenize\"\ntokenize_key_env = \"K\"\n", "p.toml", |v| (v == "K").then(|| NIST[0].0.to_string())).unwrap();
    let any = |_: &[u8]| true;
    assert_eq!(p.tokenize(true, b"0123456789", b"", &any), e.tokenize(true, b"0123456789", b"", &any));
    assert_eq!(p.tokenize(true, b"0123456789", b"", &any).unwrap(), b"2433477484", "NIST sample 1 through the policy");
    let missing = Policy::parse("default = \"tokenize\"\n", "p.toml", |_| None).unwrap_err().to_string();
    assert!(missing.contains("MLGUARD_TOKENIZE_KEY"), "{missing}");
    let short = Policy::parse("default = \"tokenize\"\n", "p.toml", |_| Some("00ff".into())).unwrap_err().to_string();
    assert!(short.contains("16, 24 or 32") && !short.contains("00ff"), "{short}");
}
