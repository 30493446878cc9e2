//! Signing with the key method, and payload-level errors (on payloads signed here, so that they
//! get past the signature check).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mlguard_modelsign::{public_key_pem, sign_key, verify_key, Error, FileProblem, VerifyOptions};
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::json;

fn sign_and_write(dir: &Path, key: &str, ignore: &[PathBuf]) {
    let bundle = sign_key(dir, key, ignore).unwrap();
    fs::write(dir.join("model.sig"), bundle).unwrap();
}

#[test]
fn round_trip_on_every_curve() {
    for curve in [256, 384, 521] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::make_model(tmp.path());
        let key = match curve {
            256 => common::fresh_key_pem(false),
            384 => common::fresh_key_pem(true),
            _ => common::fresh_p521_key_pem(),
        };
        sign_and_write(&dir, &key, &[PathBuf::from("notes.txt")]);
        let pubkey = public_key_pem(&key).unwrap();
        let v = verify_key(
            &dir,
            &dir.join("model.sig"),
            &pubkey,
            &VerifyOptions::default(),
        )
        .unwrap();
        let names: Vec<_> = v.files.iter().map(|f| f.name.as_str()).collect();
        // PurePosixPath order: component by component.
        assert_eq!(
            names,
            [
                "README.md",
                "config.json",
                "weights/layer0/w.bin",
                "weights/layer0-bias.bin",
                "weights/layer1.bin"
            ]
        );
        assert_eq!(v.model_name, "tiny-model");
        // notes.txt was recorded as ignored in the signature: no need to pass it again.
        let recorded = v.serialization.ignore_paths.clone().unwrap();
        assert!(
            recorded.contains(&"notes.txt".to_owned())
                && recorded.contains(&"model.sig".to_owned())
        );

        // Tampering is caught.
        fs::write(dir.join("weights/layer0/w.bin"), vec![8u8; 100_000]).unwrap();
        let err = verify_key(
            &dir,
            &dir.join("model.sig"),
            &pubkey,
            &VerifyOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`weights/layer0/w.bin`"), "{err}");
    }
}

#[test]
fn the_bundle_has_the_form_model_signing_1_1_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::make_model(tmp.path());
    let key = common::fresh_key_pem(false);
    let bundle: serde_json::Value =
        serde_json::from_str(&sign_key(&dir, &key, &[]).unwrap()).unwrap();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(bundle["verificationMaterial"]["tlogEntries"], json!([]));
    let hint = bundle["verificationMaterial"]["publicKey"]["hint"]
        .as_str()
        .unwrap();
    let pem = public_key_pem(&key).unwrap();
    use sha2::Digest as _;
    let expect: String = sha2::Sha256::digest(pem.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hint, expect);
    assert_eq!(
        bundle["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
    assert_eq!(bundle["dsseEnvelope"]["signatures"][0]["keyid"], "");
    let payload = STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["predicateType"], "https://model_signing/signature/v1.0");
    assert_eq!(st["predicate"]["serialization"]["method"], "files");
    assert_eq!(st["predicate"]["serialization"]["allow_symlinks"], false);
    assert_eq!(
        st["predicate"]["serialization"]["ignore_paths"],
        json!([
            ".git",
            ".gitattributes",
            ".github",
            ".gitignore",
            "model.sig"
        ])
    );
}

#[test]
fn sec1_keys_are_accepted_and_bad_keys_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::make_model(tmp.path());
    let pkcs8 = common::fresh_key_pem(false);
    let sk = p256::SecretKey::from_pkcs8_pem(&pkcs8).unwrap();
    let sec1 = sk.to_sec1_pem(p256::pkcs8::LineEnding::LF).unwrap();
    sign_and_write(&dir, &sec1, &[PathBuf::from("notes.txt")]);
    verify_key(
        &dir,
        &dir.join("model.sig"),
        &public_key_pem(&pkcs8).unwrap(),
        &VerifyOptions::default(),
    )
    .unwrap();
    for bad in [
        "",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    ] {
        assert!(matches!(sign_key(&dir, bad, &[]), Err(Error::Key(_))));
    }
    assert!(matches!(
        verify_key(
            &dir,
            &dir.join("model.sig"),
            "not a key",
            &VerifyOptions::default()
        ),
        Err(Error::Key(_))
    ));
}

#[test]
fn signing_refuses_symlinks_and_missing_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::make_model(tmp.path());
    std::os::unix::fs::symlink("config.json", dir.join("alias.json")).unwrap();
    let key = common::fresh_key_pem(false);
    assert!(matches!(sign_key(&dir, &key, &[]), Err(Error::Symlink(p)) if p == "alias.json"));
    assert!(matches!(
        sign_key(&tmp.path().join("nope"), &key, &[]),
        Err(Error::Io { .. })
    ));
}

/// Signs an arbitrary statement with a P-256 key into a key-method bundle.
fn bundle_for(statement: &[u8], key_pem: &str) -> String {
    let sk = p256::ecdsa::SigningKey::from_pkcs8_pem(key_pem).unwrap();
    let ty = "application/vnd.in-toto+json";
    let mut pae = format!("DSSEv1 {} {} {} ", ty.len(), ty, statement.len()).into_bytes();
    pae.extend_from_slice(statement);
    let sig: p256::ecdsa::Signature = sk.sign(&pae);
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": STANDARD.encode(statement),
            "payloadType": ty,
            "signatures": [{"sig": STANDARD.encode(sig.to_der().as_bytes()), "keyid": ""}]
        }
    })
    .to_string()
}

fn statement(resources: serde_json::Value, subject_digest: &str) -> serde_json::Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "m", "digest": {"sha256": subject_digest}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": false},
            "resources": resources
        }
    })
}

fn root_of(digests: &[&str]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for d in digests {
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&d[i * 2..i * 2 + 2], 16).unwrap())
            .collect();
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn payload_errors_are_precise() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("a"), b"hello\n").unwrap();
    let da = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    let key = common::fresh_key_pem(false);
    let pubkey = public_key_pem(&key).unwrap();
    let run = |st: serde_json::Value| {
        fs::write(
            dir.join("model.sig"),
            bundle_for(st.to_string().as_bytes(), &key),
        )
        .unwrap();
        verify_key(
            &dir,
            &dir.join("model.sig"),
            &pubkey,
            &VerifyOptions::default(),
        )
    };
    let good = statement(
        json!([{"name": "a", "algorithm": "sha256", "digest": da}]),
        &root_of(&[da]),
    );
    run(good.clone()).unwrap();

    let mut st = good.clone();
    st["predicateType"] = "https://model_signing/Digests/v0.1".into();
    assert!(
        matches!(run(st), Err(Error::PredicateType(t)) if t == "https://model_signing/Digests/v0.1")
    );

    let mut st = good.clone();
    st["_type"] = "https://in-toto.io/Statement/v0.1".into();
    assert!(matches!(run(st), Err(Error::StatementType(_))));

    let st = statement(
        json!([{"name": "a", "algorithm": "sha256", "digest": da}]),
        &"0".repeat(64),
    );
    assert!(matches!(run(st), Err(Error::SubjectDigest { .. })));

    let mut st = good.clone();
    st["subject"] = json!([]);
    assert!(run(st)
        .unwrap_err()
        .to_string()
        .contains("exactly one subject"));

    let mut st = good.clone();
    st["predicate"]["serialization"]["method"] = "shards".into();
    assert!(matches!(
        run(st),
        Err(Error::Unsupported {
            what: "serialization method",
            ..
        })
    ));

    let mut st = good.clone();
    st["predicate"]["resources"][0]["digest"] = "xyz".into();
    let err = run(st).unwrap_err();
    assert!(
        err.to_string().contains("predicate.resources[0].digest"),
        "{err}"
    );

    let mut st = good.clone();
    st["predicate"]["resources"][0]["name"] = "../a".into();
    assert!(matches!(run(st), Err(Error::Payload(_))));

    let mut st = good.clone();
    st["predicate"]["resources"] = json!("nope");
    let err = run(st).unwrap_err();
    assert!(err.to_string().contains("`predicate.resources`"), "{err}");

    let st = statement(
        json!([{"name": "a", "algorithm": "sha256", "digest": da}, {"name": "a", "algorithm": "sha256", "digest": da}]),
        &root_of(&[da, da]),
    );
    assert!(run(st).unwrap_err().to_string().contains("listed twice"));

    // A resource in a different order than sorted is accepted (the tool does not require order),
    // and the subject digest follows the listed order.
    fs::write(dir.join("b"), b"").unwrap();
    let db = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let st = statement(
        json!([{"name": "b", "algorithm": "sha256", "digest": db}, {"name": "a", "algorithm": "sha256", "digest": da}]),
        &root_of(&[db, da]),
    );
    run(st).unwrap();

    // Extra predicate fields are ignored (v1.0 rule).
    let mut st = statement(
        json!([{"name": "a", "algorithm": "sha256", "digest": da}, {"name": "b", "algorithm": "sha256", "digest": db}]),
        &root_of(&[da, db]),
    );
    st["predicate"]["model_card"] = json!({"x": 1});
    run(st).unwrap();

    // A signed manifest listing a file that is a directory: missing.
    fs::create_dir(dir.join("d")).unwrap();
    let st = statement(
        json!([{"name": "a", "algorithm": "sha256", "digest": da}, {"name": "b", "algorithm": "sha256", "digest": db}, {"name": "d", "algorithm": "sha256", "digest": db}]),
        &root_of(&[da, db, db]),
    );
    match run(st) {
        Err(Error::Integrity(p)) => assert_eq!(p, [FileProblem::Missing { file: "d".into() }]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn generated_keys_sign_and_verify_on_every_curve_and_differ() {
    use mlguard_modelsign::{generate_private_key_pem, Curve};
    for curve in [Curve::P256, Curve::P384, Curve::P521] {
        let a = generate_private_key_pem(curve).unwrap();
        let b = generate_private_key_pem(curve).unwrap();
        assert_ne!(a, b, "two draws gave the same key");
        assert!(a.starts_with("-----BEGIN PRIVATE KEY-----"), "{a}");
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::make_model(tmp.path());
        sign_and_write(&dir, &a, &[PathBuf::from("notes.txt")]);
        verify_key(&dir, &dir.join("model.sig"), &public_key_pem(&a).unwrap(), &VerifyOptions::default()).unwrap();
        // Another key's public half does not verify it.
        assert!(verify_key(&dir, &dir.join("model.sig"), &public_key_pem(&b).unwrap(), &VerifyOptions::default()).is_err());
    }
}
