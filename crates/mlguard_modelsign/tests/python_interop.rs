//! Interoperability with the OpenSSF tool itself (PyPI `model-signing`, the version pinned in
//! `scripts/modelsign-setup`). Run:
//!
//! ```text
//! scripts/modelsign-setup target/modelsign-venv
//! cargo test -p mlguard_modelsign -- --ignored modelsign
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mlguard_modelsign::{public_key_pem, sign_key, verify_key, Error, FileProblem, VerifyOptions};

const SETUP: &str = "scripts/modelsign-setup target/modelsign-venv";

/// `target/modelsign-venv/bin/model_signing` under the workspace root; fails loudly if absent.
fn tool() -> PathBuf {
    let path = common::workspace().join("target/modelsign-venv/bin/model_signing");
    assert!(
        path.is_file(),
        "model_signing is not installed at {}: run `{SETUP}` from the workspace root first",
        path.display()
    );
    path
}

fn key_for(curve: u32) -> String {
    match curve {
        256 => common::fresh_key_pem(false),
        384 => common::fresh_key_pem(true),
        _ => common::fresh_p521_key_pem(),
    }
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    let out = Command::new(tool()).args(args).output().unwrap();
    eprintln!(
        "model_signing {:?}\n  exit: {}\n  stdout: {}\n  stderr: {}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    out
}

fn python_verify(dir: &Path, pub_pem: &Path) -> Output {
    let sig = dir.join("model.sig");
    run(&[
        "verify".as_ref(),
        "key".as_ref(),
        "--signature".as_ref(),
        sig.as_os_str(),
        "--public_key".as_ref(),
        pub_pem.as_os_str(),
        dir.as_os_str(),
    ])
}

fn python_sign(dir: &Path, key_pem: &Path, ignore: &[&Path]) -> Output {
    let sig = dir.join("model.sig");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "sign".as_ref(),
        "key".as_ref(),
        "--signature".as_ref(),
        sig.as_os_str(),
        "--private_key".as_ref(),
        key_pem.as_os_str(),
    ];
    for p in ignore {
        args.push("--ignore-paths".as_ref());
        args.push(p.as_os_str());
    }
    args.push(dir.as_os_str());
    run(&args)
}

/// The common test model plus a name pair whose order differs between string sorting and
/// path sorting (`a-c` < `a/b` as strings, `a/b` < `a-c` component by component).
fn model_with_sort_trap(root: &std::path::Path) -> std::path::PathBuf {
    let dir = common::make_model(root);
    fs::create_dir(dir.join("a")).unwrap();
    fs::write(dir.join("a/b"), b"1").unwrap();
    fs::write(dir.join("a-c"), b"2").unwrap();
    dir
}

#[test]
#[ignore = "needs model-signing from PyPI: scripts/modelsign-setup target/modelsign-venv"]
fn modelsign_python_verifies_our_signature() {
    for curve in [256, 384, 521] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = model_with_sort_trap(tmp.path());
        let key = key_for(curve);
        let pub_path = tmp.path().join("pub.pem");
        fs::write(&pub_path, public_key_pem(&key).unwrap()).unwrap();

        let bundle = sign_key(&dir, &key, &[PathBuf::from("notes.txt")]).unwrap();
        fs::write(dir.join("model.sig"), bundle).unwrap();

        let out = python_verify(&dir, &pub_path);
        assert!(
            out.status.success(),
            "model_signing rejected our signature (P-{curve})"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Verification succeeded"));

        // Tampering: the tool must now refuse, naming the file.
        fs::write(dir.join("weights/layer1.bin"), b"x").unwrap();
        let out = python_verify(&dir, &pub_path);
        assert!(
            !out.status.success(),
            "model_signing accepted a tampered model"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("weights/layer1.bin"));

        // And a file added.
        fs::write(dir.join("weights/layer1.bin"), b"").unwrap();
        assert!(python_verify(&dir, &pub_path).status.success());
        fs::write(dir.join("added.bin"), b"x").unwrap();
        let out = python_verify(&dir, &pub_path);
        assert!(
            !out.status.success(),
            "model_signing accepted an added file"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("added.bin"));
    }
}

#[test]
#[ignore = "needs model-signing from PyPI: scripts/modelsign-setup target/modelsign-venv"]
fn modelsign_we_verify_python_signature() {
    for curve in [256, 384, 521] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = model_with_sort_trap(tmp.path());
        let key = key_for(curve);
        let key_path = tmp.path().join("key.pem");
        fs::write(&key_path, &key).unwrap();
        let out = python_sign(&dir, &key_path, &[&dir.join("notes.txt")]);
        assert!(out.status.success(), "model_signing could not sign");

        let pem = public_key_pem(&key).unwrap();
        let v = verify_key(
            &dir,
            &dir.join("model.sig"),
            &pem,
            &VerifyOptions::default(),
        )
        .unwrap();
        let names: Vec<_> = v.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "README.md",
                "a/b",
                "a-c",
                "config.json",
                "weights/layer0/w.bin",
                "weights/layer0-bias.bin",
                "weights/layer1.bin"
            ]
        );
        assert!(matches!(
            v.signer,
            mlguard_modelsign::Signer::Key {
                legacy_format: false,
                ..
            }
        ));

        // One byte changed.
        let mut w = fs::read(dir.join("weights/layer0/w.bin")).unwrap();
        w[500] ^= 0x80;
        fs::write(dir.join("weights/layer0/w.bin"), &w).unwrap();
        match verify_key(
            &dir,
            &dir.join("model.sig"),
            &pem,
            &VerifyOptions::default(),
        ) {
            Err(Error::Integrity(p)) => {
                assert!(
                    matches!(p.as_slice(), [FileProblem::DigestMismatch { file, .. }] if file == "weights/layer0/w.bin")
                )
            }
            other => panic!("{other:?}"),
        }
        // A wrong key.
        w[500] ^= 0x80;
        fs::write(dir.join("weights/layer0/w.bin"), &w).unwrap();
        let other = public_key_pem(&key_for(curve)).unwrap();
        assert!(matches!(
            verify_key(
                &dir,
                &dir.join("model.sig"),
                &other,
                &VerifyOptions::default()
            ),
            Err(Error::KeyMismatch(_))
        ));
        verify_key(
            &dir,
            &dir.join("model.sig"),
            &pem,
            &VerifyOptions::default(),
        )
        .unwrap();
    }
}
