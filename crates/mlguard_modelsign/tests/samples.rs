//! Verification of the real model-signing v1.0.1 samples (`../shared/data/model-signing`), and of
//! tampered copies of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{elliptic_sample_public_key, sample, sample_copy};
use mlguard_modelsign::{
    verify_certificate, verify_key, verify_sigstore, Curve, Error, FileProblem, Signer,
    SigstoreOptions, VerifyOptions,
};

fn ignoring_ignore_me() -> VerifyOptions {
    VerifyOptions {
        ignore_paths: vec![PathBuf::from("ignore-me")],
        ..VerifyOptions::default()
    }
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap()
}

fn ca_pems() -> Vec<String> {
    vec![read(&sample("keys/certificate/ca-cert.pem"))]
}

fn verify_ec(dir: &Path, options: &VerifyOptions) -> Result<mlguard_modelsign::Verified, Error> {
    verify_key(
        dir,
        &dir.join("model.sig"),
        &elliptic_sample_public_key(),
        options,
    )
}

fn verify_cert(dir: &Path, options: &VerifyOptions) -> Result<mlguard_modelsign::Verified, Error> {
    let pems = ca_pems();
    let refs: Vec<&str> = pems.iter().map(String::as_str).collect();
    verify_certificate(dir, &dir.join("model.sig"), &refs, options)
}

fn problems(err: Error) -> Vec<FileProblem> {
    match err {
        Error::Integrity(p) => p,
        other => panic!("expected an integrity error, got: {other}"),
    }
}

#[test]
fn elliptic_key_sample_verifies() {
    let dir = sample("v1.0.1-elliptic-key");
    let v = verify_ec(&dir, &ignoring_ignore_me()).unwrap();
    let names: Vec<_> = v.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["signme-1", "signme-2"]);
    assert_eq!(
        v.files[0].sha256,
        "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc"
    );
    assert_eq!(v.files[0].size, 9);
    assert_eq!(v.model_name, "v1.0.1-elliptic-key");
    assert_eq!(
        v.subject_digest,
        "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"
    );
    match v.signer {
        Signer::Key {
            curve,
            legacy_format,
            ..
        } => {
            assert_eq!(curve, Curve::P384);
            assert!(
                legacy_format,
                "v1.0.1 bundles carry rawBytes/keyDetails, not a hint"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(v.ignored_paths.contains(&"ignore-me".to_owned()));
    assert!(v.ignored_paths.contains(&"model.sig".to_owned()));
}

#[test]
fn the_samples_were_signed_with_ignore_me_ignored() {
    // `ignore-me` is not in the manifest and the v1.0.1 tool did not record ignore_paths, so a
    // verifier must be told to ignore it (as the tool's own tests do), or it is an unsigned file.
    let err = verify_ec(&sample("v1.0.1-elliptic-key"), &VerifyOptions::default()).unwrap_err();
    assert_eq!(
        problems(err),
        [FileProblem::NotSigned {
            file: "ignore-me".into()
        }]
    );
    // ... and with --ignore_unsigned_files it passes.
    let opts = VerifyOptions {
        ignore_unsigned_files: true,
        ..VerifyOptions::default()
    };
    verify_ec(&sample("v1.0.1-elliptic-key"), &opts).unwrap();
}

#[test]
fn elliptic_key_sample_public_key_file_is_the_bundle_key() {
    // keys/certificate/signing-key-pub.pem is the same P-384 key: it verifies the key sample too.
    let dir = sample("v1.0.1-elliptic-key");
    let pem = read(&sample("keys/certificate/signing-key-pub.pem"));
    verify_key(&dir, &dir.join("model.sig"), &pem, &ignoring_ignore_me()).unwrap();
}

#[test]
fn elliptic_key_sample_rejects_another_key() {
    let dir = sample("v1.0.1-elliptic-key");
    let other = mlguard_modelsign::public_key_pem(&common::fresh_key_pem(true)).unwrap();
    let err = verify_key(&dir, &dir.join("model.sig"), &other, &ignoring_ignore_me()).unwrap_err();
    assert!(matches!(err, Error::KeyMismatch(_)), "{err}");
    // A P-256 key contradicts keyDetails as well.
    let other = mlguard_modelsign::public_key_pem(&common::fresh_key_pem(false)).unwrap();
    let err = verify_key(&dir, &dir.join("model.sig"), &other, &ignoring_ignore_me()).unwrap_err();
    assert!(matches!(err, Error::KeyMismatch(_)), "{err}");
}

#[test]
fn elliptic_key_bundle_without_raw_key_still_needs_the_right_key() {
    // Strip rawBytes/keyDetails (as model-signing 1.1's reader does): the signature check alone
    // must then reject a wrong key.
    let (_tmp, dir) = sample_copy("v1.0.1-elliptic-key");
    let mut b: serde_json::Value = serde_json::from_str(&read(&dir.join("model.sig"))).unwrap();
    b["verificationMaterial"]["publicKey"] = serde_json::json!({});
    fs::write(dir.join("model.sig"), b.to_string()).unwrap();
    verify_ec(&dir, &ignoring_ignore_me()).unwrap();
    let other = mlguard_modelsign::public_key_pem(&common::fresh_key_pem(true)).unwrap();
    let err = verify_key(&dir, &dir.join("model.sig"), &other, &ignoring_ignore_me()).unwrap_err();
    assert!(matches!(err, Error::BadSignature(_)), "{err}");
}

#[test]
fn certificate_sample_verifies_with_the_root() {
    let dir = sample("v1.0.1-certificate");
    let v = verify_cert(&dir, &ignoring_ignore_me()).unwrap();
    assert_eq!(v.files.len(), 2);
    match v.signer {
        Signer::Certificate { chain, checked_at } => {
            assert_eq!(
                chain,
                ["CN=intermediate-ca", "CN=intermediate-ca", "CN=root-ca"]
            );
            assert_eq!(checked_at, "2025-05-02T23:36:28Z");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn certificate_sample_verifies_with_root_and_intermediate() {
    let dir = sample("v1.0.1-certificate");
    let pems = [
        read(&sample("keys/certificate/int-ca-cert.pem")),
        read(&sample("keys/certificate/ca-cert.pem")),
    ];
    let refs: Vec<&str> = pems.iter().map(String::as_str).collect();
    verify_certificate(&dir, &dir.join("model.sig"), &refs, &ignoring_ignore_me()).unwrap();
    // All in one PEM text works too.
    let joined = pems.concat();
    verify_certificate(
        &dir,
        &dir.join("model.sig"),
        &[joined.as_str()],
        &ignoring_ignore_me(),
    )
    .unwrap();
}

#[test]
fn certificate_sample_needs_a_trusted_root() {
    let dir = sample("v1.0.1-certificate");
    // The intermediate alone is not a self-issued trust anchor (OpenSSL's default, no partial chains).
    let int = read(&sample("keys/certificate/int-ca-cert.pem"));
    let err = verify_certificate(
        &dir,
        &dir.join("model.sig"),
        &[int.as_str()],
        &ignoring_ignore_me(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Certificate(_)), "{err}");
    // An unrelated self-signed certificate (the leaf of the Sigstore sample is not even a CA).
    let sig: serde_json::Value =
        serde_json::from_str(&read(&sample("v1.0.1-sigstore/model.sig"))).unwrap();
    let raw = sig["verificationMaterial"]["certificate"]["rawBytes"]
        .as_str()
        .unwrap();
    let lines: Vec<&str> = raw
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    );
    let err = verify_certificate(
        &dir,
        &dir.join("model.sig"),
        &[pem.as_str()],
        &ignoring_ignore_me(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no issuer"), "{err}");
    // Not a PEM at all.
    let err = verify_certificate(
        &dir,
        &dir.join("model.sig"),
        &["junk"],
        &ignoring_ignore_me(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Certificate(_)), "{err}");
}

#[test]
fn key_and_certificate_verifiers_refuse_each_others_bundles() {
    let cert_dir = sample("v1.0.1-certificate");
    let err = verify_key(
        &cert_dir,
        &cert_dir.join("model.sig"),
        &elliptic_sample_public_key(),
        &ignoring_ignore_me(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::VerificationMaterial(_)), "{err}");
    let err = verify_cert(&sample("v1.0.1-elliptic-key"), &ignoring_ignore_me()).unwrap_err();
    assert!(matches!(err, Error::VerificationMaterial(_)), "{err}");
}

#[test]
fn sigstore_sample_is_only_partly_verified() {
    let dir = sample("v1.0.1-sigstore");
    let opts = SigstoreOptions {
        identity: Some("stefanb@us.ibm.com".into()),
        oidc_issuer: Some("https://sigstore.verify.ibm.com/oauth2".into()),
        fulcio_certs_pem: Vec::new(),
    };
    let r = verify_sigstore(&dir, &dir.join("model.sig"), &ignoring_ignore_me(), &opts).unwrap();
    assert_eq!(r.verified.files.len(), 2);
    assert!(
        r.not_checked.iter().any(|s| s.contains("Fulcio")),
        "{:?}",
        r.not_checked
    );
    assert!(
        r.not_checked
            .iter()
            .any(|s| s.contains("checkpoint's signature")),
        "{:?}",
        r.not_checked
    );
    assert!(
        r.not_checked
            .iter()
            .any(|s| s.contains("signed entry timestamp")),
        "{:?}",
        r.not_checked
    );
    assert!(
        r.checked.iter().any(|s| s.contains("inclusion proof")),
        "{:?}",
        r.checked
    );
    match &r.verified.signer {
        Signer::Sigstore {
            identity,
            oidc_issuer,
        } => {
            assert_eq!(identity.as_deref(), Some("stefanb@us.ibm.com"));
            assert_eq!(
                oidc_issuer.as_deref(),
                Some("https://sigstore.verify.ibm.com/oauth2")
            );
        }
        other => panic!("{other:?}"),
    }
    // Without expectations, the identity is reported as not checked.
    let r = verify_sigstore(
        &dir,
        &dir.join("model.sig"),
        &ignoring_ignore_me(),
        &SigstoreOptions::default(),
    )
    .unwrap();
    assert!(r.not_checked.iter().any(|s| s.contains("identity")));
    // A wrong identity fails.
    let wrong = SigstoreOptions {
        identity: Some("someone@example.com".into()),
        ..SigstoreOptions::default()
    };
    let err =
        verify_sigstore(&dir, &dir.join("model.sig"), &ignoring_ignore_me(), &wrong).unwrap_err();
    assert!(matches!(err, Error::Identity(_)), "{err}");
}

#[test]
fn sigstore_sample_with_a_tampered_log_entry_fails() {
    let (_tmp, dir) = sample_copy("v1.0.1-sigstore");
    let mut b: serde_json::Value = serde_json::from_str(&read(&dir.join("model.sig"))).unwrap();
    let hashes = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"];
    hashes[0] = serde_json::Value::String(hashes[1].as_str().unwrap().to_owned());
    fs::write(dir.join("model.sig"), b.to_string()).unwrap();
    let err = verify_sigstore(
        &dir,
        &dir.join("model.sig"),
        &ignoring_ignore_me(),
        &SigstoreOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Tlog(_)), "{err}");
}

#[test]
fn sigstore_bundle_is_not_accepted_by_the_key_verifier() {
    let dir = sample("v1.0.1-sigstore");
    let err = verify_key(
        &dir,
        &dir.join("model.sig"),
        &elliptic_sample_public_key(),
        &ignoring_ignore_me(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::VerificationMaterial(_)), "{err}");
}

type Verify = fn(&Path, &VerifyOptions) -> Result<mlguard_modelsign::Verified, Error>;

fn tamper_cases(name: &str, verify: Verify) {
    // One byte changed.
    let (_t, dir) = sample_copy(name);
    let mut bytes = fs::read(dir.join("signme-1")).unwrap();
    bytes[0] ^= 0x01;
    fs::write(dir.join("signme-1"), bytes).unwrap();
    let err = verify(&dir, &ignoring_ignore_me()).unwrap_err();
    assert!(
        err.to_string()
            .contains("digest mismatch for file `signme-1`"),
        "{err}"
    );
    match problems(err).as_slice() {
        [FileProblem::DigestMismatch { file, .. }] => assert_eq!(file, "signme-1"),
        other => panic!("{other:?}"),
    }

    // A file added (in a subdirectory).
    let (_t, dir) = sample_copy(name);
    fs::create_dir(dir.join("extra")).unwrap();
    fs::write(dir.join("extra/payload.py"), b"import os").unwrap();
    let err = verify(&dir, &ignoring_ignore_me()).unwrap_err();
    assert!(
        err.to_string()
            .contains("file `extra/payload.py` is not signed"),
        "{err}"
    );
    assert_eq!(
        problems(err),
        [FileProblem::NotSigned {
            file: "extra/payload.py".into()
        }]
    );

    // A file removed.
    let (_t, dir) = sample_copy(name);
    fs::remove_file(dir.join("signme-2")).unwrap();
    let err = verify(&dir, &ignoring_ignore_me()).unwrap_err();
    assert!(
        err.to_string().contains("file `signme-2` is missing"),
        "{err}"
    );
    assert_eq!(
        problems(err),
        [FileProblem::Missing {
            file: "signme-2".into()
        }]
    );

    // A file removed is also caught with ignore_unsigned_files.
    let (_t, dir) = sample_copy(name);
    fs::remove_file(dir.join("signme-2")).unwrap();
    let opts = VerifyOptions {
        ignore_unsigned_files: true,
        ..ignoring_ignore_me()
    };
    assert_eq!(
        problems(verify(&dir, &opts).unwrap_err()),
        [FileProblem::Missing {
            file: "signme-2".into()
        }]
    );

    // Ignoring a signed file makes it missing, as in the tool.
    let (_t, dir) = sample_copy(name);
    let opts = VerifyOptions {
        ignore_paths: vec![PathBuf::from("ignore-me"), PathBuf::from("signme-1")],
        ..VerifyOptions::default()
    };
    assert_eq!(
        problems(verify(&dir, &opts).unwrap_err()),
        [FileProblem::Missing {
            file: "signme-1".into()
        }]
    );

    // All three at once are all reported, sorted by file.
    let (_t, dir) = sample_copy(name);
    fs::write(dir.join("signme-1"), b"changed").unwrap();
    fs::remove_file(dir.join("signme-2")).unwrap();
    fs::write(dir.join("new"), b"").unwrap();
    let files: Vec<String> = problems(verify(&dir, &ignoring_ignore_me()).unwrap_err())
        .iter()
        .map(|p| p.file().to_owned())
        .collect();
    assert_eq!(files, ["new", "signme-1", "signme-2"]);

    // The copy itself still verifies (the tempdir name matches, but the name is informative only).
    let (_t, dir) = sample_copy(name);
    verify(&dir, &ignoring_ignore_me()).unwrap();
}

#[test]
fn elliptic_key_sample_tampering_is_caught() {
    tamper_cases("v1.0.1-elliptic-key", verify_ec);
}

#[test]
fn certificate_sample_tampering_is_caught() {
    tamper_cases("v1.0.1-certificate", verify_cert);
}

#[test]
fn symlinks_are_refused_unless_allowed() {
    let (_t, dir) = sample_copy("v1.0.1-elliptic-key");
    let target = dir.join("signme-2");
    fs::remove_file(&target).unwrap();
    let real = dir.parent().unwrap().join("real-signme-2");
    fs::write(&real, b"signme-2").unwrap();
    std::os::unix::fs::symlink(&real, &target).unwrap();
    let err = verify_ec(&dir, &ignoring_ignore_me()).unwrap_err();
    assert!(
        matches!(&err, Error::Symlink(p) if p == "signme-2"),
        "{err}"
    );
    // The signature recorded allow_symlinks=false; the caller may override it (the CLI's flag).
    let opts = VerifyOptions {
        allow_symlinks: Some(true),
        ..ignoring_ignore_me()
    };
    verify_ec(&dir, &opts).unwrap();
}

#[test]
fn a_symlink_inside_an_ignored_directory_is_still_refused() {
    // The tool checks every path before applying the ignore list.
    let (_t, dir) = sample_copy("v1.0.1-elliptic-key");
    fs::create_dir(dir.join(".git")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join(".git/link")).unwrap();
    let err = verify_ec(&dir, &ignoring_ignore_me()).unwrap_err();
    assert!(
        matches!(&err, Error::Symlink(p) if p == ".git/link"),
        "{err}"
    );
}

#[test]
fn git_paths_are_ignored_by_default_only() {
    let (_t, dir) = sample_copy("v1.0.1-elliptic-key");
    fs::create_dir(dir.join(".git")).unwrap();
    fs::write(dir.join(".git/HEAD"), b"ref").unwrap();
    fs::write(dir.join(".gitattributes"), b"*.bin lfs").unwrap();
    verify_ec(&dir, &ignoring_ignore_me()).unwrap();
    let opts = VerifyOptions {
        ignore_git_paths: false,
        ..ignoring_ignore_me()
    };
    let files: Vec<String> = problems(verify_ec(&dir, &opts).unwrap_err())
        .iter()
        .map(|p| p.file().to_owned())
        .collect();
    assert_eq!(files, [".git/HEAD", ".gitattributes"]);
}

#[test]
fn a_signature_outside_the_model_directory_works() {
    let (tmp, dir) = sample_copy("v1.0.1-elliptic-key");
    let outside = tmp.path().join("elsewhere.sig");
    fs::rename(dir.join("model.sig"), &outside).unwrap();
    verify_key(
        &dir,
        &outside,
        &elliptic_sample_public_key(),
        &ignoring_ignore_me(),
    )
    .unwrap();
}

#[test]
fn tampered_bundles_fail_with_the_right_error() {
    let (_t, dir) = sample_copy("v1.0.1-elliptic-key");
    let orig: serde_json::Value = serde_json::from_str(&read(&dir.join("model.sig"))).unwrap();
    let check = |mutate: &dyn Fn(&mut serde_json::Value), want: &str| {
        let mut b = orig.clone();
        mutate(&mut b);
        fs::write(dir.join("model.sig"), b.to_string()).unwrap();
        let err = verify_ec(&dir, &ignoring_ignore_me()).unwrap_err();
        assert!(
            err.to_string().contains(want),
            "wanted `{want}`, got: {err}"
        );
    };
    check(
        &|b| b["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.2+json".into(),
        "unsupported bundle media type",
    );
    check(
        &|b| b["dsseEnvelope"]["payloadType"] = "text/plain".into(),
        "unsupported DSSE payload type",
    );
    check(
        &|b| b["dsseEnvelope"]["signatures"] = serde_json::json!([]),
        "no signature",
    );
    check(
        &|b| b["dsseEnvelope"]["payload"] = "!!!".into(),
        "`dsseEnvelope.payload` is not valid base64",
    );
    check(
        &|b| b["dsseEnvelope"]["payload"] = 5.into(),
        "`dsseEnvelope.payload`",
    );
    check(
        &|b| {
            b.as_object_mut().unwrap().remove("verificationMaterial");
        },
        "missing field `verificationMaterial`",
    );
    // A re-encoded payload changes the signed bytes.
    check(
        &|b| {
            use base64::Engine as _;
            let e = base64::engine::general_purpose::STANDARD;
            let p = e
                .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
                .unwrap();
            let mut v: serde_json::Value = serde_json::from_slice(&p).unwrap();
            v["predicate"]["resources"][0]["digest"] = "00".repeat(32).into();
            b["dsseEnvelope"]["payload"] = e.encode(v.to_string()).into();
        },
        "bad signature",
    );
    fs::write(dir.join("model.sig"), b"{ not json").unwrap();
    let err = verify_ec(&dir, &ignoring_ignore_me()).unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err}");
}

/// `(name, sha256)` of every file of a sample directory, as a registry would know them.
fn digests_of(dir: &Path) -> Vec<(String, [u8; 32])> {
    let mut v: Vec<(String, [u8; 32])> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let h = mlguard_modelsign::sha256_file(&e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), h.sha256)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn manifest_api_checks_the_signature_and_then_digests_known_elsewhere() {
    use mlguard_modelsign::{verify_certificate_manifest, verify_key_manifest};
    let key_dir = sample("v1.0.1-elliptic-key");
    let bundle = fs::read(key_dir.join("model.sig")).unwrap();
    let m = verify_key_manifest(&bundle, &elliptic_sample_public_key()).unwrap();
    let files = digests_of(&key_dir);
    // Same verdicts as the directory verifier: `ignore-me` was left out when signing.
    assert!(matches!(m.check(&files, &[]), Err(Error::Integrity(p)) if p == [FileProblem::NotSigned { file: "ignore-me".into() }]));
    m.check(&files, &["ignore-me"]).unwrap();
    // A changed digest and a missing file are both named.
    let mut changed: Vec<(String, [u8; 32])> = files.iter().filter(|(n, _)| n != "signme-2").cloned().collect();
    for (n, d) in &mut changed {
        if n == "signme-1" {
            d[0] ^= 1;
        }
    }
    let p = problems(m.check(&changed, &["ignore-me"]).unwrap_err());
    let named: Vec<&str> = p.iter().map(FileProblem::file).collect();
    assert_eq!(named, ["signme-1", "signme-2"], "{p:?}");
    // The wrong key fails before any digest is looked at.
    let other = mlguard_modelsign::public_key_pem(&mlguard_modelsign::generate_private_key_pem(Curve::P384).unwrap()).unwrap();
    assert!(verify_key_manifest(&bundle, &other).is_err());

    let cert_dir = sample("v1.0.1-certificate");
    let cert_bundle = fs::read(cert_dir.join("model.sig")).unwrap();
    let pems = ca_pems();
    let refs: Vec<&str> = pems.iter().map(String::as_str).collect();
    let m = verify_certificate_manifest(&cert_bundle, &refs).unwrap();
    assert!(matches!(m.signer, Signer::Certificate { .. }));
    m.check(&digests_of(&cert_dir), &["ignore-me"]).unwrap();
    assert!(verify_certificate_manifest(&cert_bundle, &[]).is_err());
}
