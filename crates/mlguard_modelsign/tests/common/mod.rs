//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};

use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
use sha2::{Digest as _, Sha512};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `shared/data/model-signing/<rel>` beside the workspace.
pub fn sample(rel: &str) -> PathBuf {
    workspace().join("../shared/data/model-signing").join(rel)
}

/// Copies a directory tree (files made writable) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::write(&dest, fs::read(e.path()).unwrap()).unwrap();
        }
    }
}

/// A sample model copied into a fresh temporary directory named like the sample.
pub fn sample_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_dir(&sample(name), &dir);
    (tmp, dir)
}

/// The PEM public key embedded (base64 of PEM) in the elliptic-key sample's bundle.
pub fn elliptic_sample_public_key() -> String {
    use base64::Engine as _;
    let bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(sample("v1.0.1-elliptic-key/model.sig")).unwrap())
            .unwrap();
    let raw = bundle["verificationMaterial"]["publicKey"]["rawBytes"]
        .as_str()
        .unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap(),
    )
    .unwrap()
}

/// 64 fresh random bytes (from the standard library's randomly seeded hasher keys).
fn random_bytes() -> [u8; 64] {
    let mut seed = Vec::new();
    for i in 0..16u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        seed.extend(h.finish().to_le_bytes());
    }
    Sha512::digest(&seed).into()
}

/// A freshly generated private key, PKCS #8 PEM, on P-521.
pub fn fresh_p521_key_pem() -> String {
    let a = random_bytes();
    let b = random_bytes();
    let mut bytes = [0u8; 66];
    bytes[..64].copy_from_slice(&a);
    bytes[64..].copy_from_slice(&b[..2]);
    bytes[0] &= 0x01; // below the group order (521 bits)
    p521::ecdsa::SigningKey::from_slice(&bytes)
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string()
}

/// A freshly generated private key, PKCS #8 PEM, on P-256 or P-384.
pub fn fresh_key_pem(p384: bool) -> String {
    let bytes = random_bytes();
    let pem = if p384 {
        p384::ecdsa::SigningKey::from_slice(&bytes[..48])
            .unwrap()
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
    } else {
        p256::ecdsa::SigningKey::from_slice(&bytes[..32])
            .unwrap()
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
    };
    pem.to_string()
}

/// A small model directory with nested files, a git directory and a file to ignore.
pub fn make_model(root: &Path) -> PathBuf {
    let dir = root.join("tiny-model");
    fs::create_dir_all(dir.join("weights/layer0")).unwrap();
    fs::create_dir_all(dir.join(".git")).unwrap();
    fs::write(dir.join("config.json"), br#"{"layers": 2}"#).unwrap();
    fs::write(dir.join("weights/layer0/w.bin"), vec![7u8; 100_000]).unwrap();
    fs::write(dir.join("weights/layer0-bias.bin"), b"bias").unwrap();
    fs::write(dir.join("weights/layer1.bin"), b"").unwrap();
    fs::write(dir.join("README.md"), b"# tiny\n").unwrap();
    fs::write(dir.join(".git/HEAD"), b"ref: refs/heads/main\n").unwrap();
    fs::write(dir.join("notes.txt"), b"not part of the model").unwrap();
    dir
}
