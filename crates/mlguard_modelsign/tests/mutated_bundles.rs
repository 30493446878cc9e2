//! Mutated bundles never panic the verifiers, and mutations that change signed bytes are errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use mlguard_modelsign::{
    verify_certificate, verify_key, verify_sigstore, SigstoreOptions, VerifyOptions,
};
use proptest::prelude::*;

fn options() -> VerifyOptions {
    VerifyOptions {
        ignore_paths: vec![PathBuf::from("ignore-me")],
        threads: 1,
        ..VerifyOptions::default()
    }
}

/// Runs every verifier on `bundle` written next to a copy of the sample; returns whether the key
/// verifier accepted it.
fn run_all(dir: &Path, bundle: &[u8]) -> bool {
    let sig = dir.join("model.sig");
    fs::write(&sig, bundle).unwrap();
    let ca = fs::read_to_string(common::sample("keys/certificate/ca-cert.pem")).unwrap();
    let _ = verify_certificate(dir, &sig, &[ca.as_str()], &options());
    let _ = verify_sigstore(dir, &sig, &options(), &SigstoreOptions::default());
    verify_key(dir, &sig, &common::elliptic_sample_public_key(), &options()).is_ok()
}

/// Byte ranges of the values of `"payload"` and `"sig"` in the bundle text.
fn signed_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for key in [
        "\"payload\": \"",
        "\"payload\":\"",
        "\"sig\": \"",
        "\"sig\":\"",
    ] {
        if let Some(i) = text.find(key) {
            let start = i + key.len();
            let end = start + text[start..].find('"').unwrap();
            out.push((start, end));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_byte_edits_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
                                     cut in prop::option::of(any::<prop::sample::Index>())) {
        let (_tmp, dir) = common::sample_copy("v1.0.1-elliptic-key");
        let orig = fs::read(dir.join("model.sig")).unwrap();
        let mut b = orig.clone();
        for (i, v) in &edits {
            let i = i.index(b.len());
            b[i] = *v;
        }
        if let Some(c) = cut {
            b.truncate(c.index(b.len()));
        }
        let accepted = run_all(&dir, &b);
        // If accepted, the edits cannot have touched the signed payload or signature.
        if accepted {
            let text = String::from_utf8_lossy(&orig).into_owned();
            for (s, e) in signed_ranges(&text) {
                prop_assert_eq!(&orig[s..e], &b[s..e]);
            }
        }
    }

    #[test]
    fn edits_to_signed_bytes_are_errors(pos in any::<prop::sample::Index>(), v in prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".to_vec()),
                                        which in 0usize..2) {
        let (_tmp, dir) = common::sample_copy("v1.0.1-elliptic-key");
        let orig = fs::read(dir.join("model.sig")).unwrap();
        let text = String::from_utf8(orig.clone()).unwrap();
        let (s, e) = signed_ranges(&text)[which];
        let i = s + pos.index(e - s);
        prop_assume!(orig[i] != v && orig[i] != b'=');
        let mut b = orig.clone();
        b[i] = v;
        prop_assert!(!run_all(&dir, &b));
    }

    #[test]
    fn arbitrary_json_never_panics(s in "\\PC{0,300}") {
        let (_tmp, dir) = common::sample_copy("v1.0.1-elliptic-key");
        prop_assert!(!run_all(&dir, s.as_bytes()));
    }
}

#[test]
fn structural_mutations_of_every_sample_are_errors() {
    let mut unexpected = Vec::new();
    for name in [
        "v1.0.1-elliptic-key",
        "v1.0.1-certificate",
        "v1.0.1-sigstore",
    ] {
        let (_tmp, dir) = common::sample_copy(name);
        let orig: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("model.sig")).unwrap()).unwrap();
        // Replace each value, at every depth, by null, a number, an empty array and a string.
        let mut paths = Vec::new();
        collect_paths(&orig, &mut Vec::new(), &mut paths);
        for p in &paths {
            for replacement in [
                serde_json::Value::Null,
                7.into(),
                serde_json::json!([]),
                "x".into(),
            ] {
                let mut b = orig.clone();
                *pointer(&mut b, p) = replacement.clone();
                if b == orig {
                    continue;
                }
                let sig = dir.join("model.sig");
                fs::write(&sig, b.to_string()).unwrap();
                let ca =
                    fs::read_to_string(common::sample("keys/certificate/ca-cert.pem")).unwrap();
                let key = verify_key(
                    &dir,
                    &sig,
                    &common::elliptic_sample_public_key(),
                    &options(),
                );
                let cert = verify_certificate(&dir, &sig, &[ca.as_str()], &options());
                let store = verify_sigstore(&dir, &sig, &options(), &SigstoreOptions::default());
                let accepted = match name {
                    "v1.0.1-elliptic-key" => key.is_ok(),
                    "v1.0.1-certificate" => cert.is_ok(),
                    _ => store.is_ok(),
                };
                if accepted && !may_be_ignored(name, p, &replacement) {
                    unexpected.push(format!(
                        "{name}: replacing {p:?} by {replacement} was accepted"
                    ));
                }
            }
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

/// Replacements that leave a bundle valid, each for a stated reason.
fn may_be_ignored(name: &str, path: &[String], replacement: &serde_json::Value) -> bool {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let absent = replacement.is_null() || *replacement == serde_json::json!([]);
    match p.as_slice() {
        // `keyid` is not used by the tool nor by this crate.
        ["dsseEnvelope", "signatures", "0", "keyid"] => true,
        // Key method: the key comes from the caller; `hint`, `rawBytes` and `keyDetails` are
        // optional cross-checks (null or an empty sequence read as absent).
        ["verificationMaterial", "publicKey", ..] => name == "v1.0.1-elliptic-key" && absent,
        // Sigstore: what cannot be checked offline is not read.
        ["verificationMaterial", "timestampVerificationData", ..] => true,
        ["verificationMaterial", "tlogEntries", "0", k, ..] => {
            matches!(*k, "logIndex" | "logId" | "inclusionPromise")
                || (*k == "inclusionProof" && p.len() == 4 && replacement.is_null())
        }
        _ => false,
    }
}

fn collect_paths(v: &serde_json::Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, child) in m {
                at.push(k.clone());
                out.push(at.clone());
                collect_paths(child, at, out);
                at.pop();
            }
        }
        serde_json::Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(i.to_string());
                out.push(at.clone());
                collect_paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer<'a>(v: &'a mut serde_json::Value, path: &[String]) -> &'a mut serde_json::Value {
    let ptr: String = path.iter().map(|p| format!("/{p}")).collect();
    v.pointer_mut(&ptr).unwrap()
}
