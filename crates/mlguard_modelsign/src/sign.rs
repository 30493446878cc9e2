//! Signing with the key method, producing the bundle `model_signing sign key` (1.1) writes.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::bundle::{
    b64_encode, hex, pae, Bundle, Envelope, EnvelopeSignature, Predicate, PublicKeyIdentifier,
    Resource, Serialization, Statement, Subject, SubjectDigest, VerificationMaterial,
    BUNDLE_MEDIA_TYPE, PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE,
};
use crate::hash::{self, IgnoreSet, GIT_PATHS};
use crate::keys::PrivateKey;
use crate::Error;

/// The file name the tool and this crate give a model's signature.
pub const SIGNATURE_FILE: &str = "model.sig";

fn model_name(model_dir: &Path) -> String {
    match model_dir.file_name().and_then(|n| n.to_str()) {
        Some(n) if !n.is_empty() && n != ".." => n.to_owned(),
        _ => std::fs::canonicalize(model_dir)
            .ok()
            .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// Signs the model in `model_dir` with an ECDSA P-256, P-384 or P-521 private key (unencrypted PEM,
/// PKCS #8 `PRIVATE KEY` or SEC 1 `EC PRIVATE KEY`) and returns the bundle JSON to write as
/// `model_dir/model.sig`.
///
/// Every regular file of the directory is hashed (SHA-256), except `ignore_paths` (relative to
/// the model directory), `model.sig`, and the git paths (`.git`, `.gitattributes`, `.github`,
/// `.gitignore`), as `model_signing sign key` does by default; symbolic links are refused
/// (`allow_symlinks` false). The ignored paths are recorded in the signature, so verifiers ignore
/// them too. The bundle has the form model-signing 1.1 writes: `verificationMaterial.publicKey`
/// holds only the `hint` (SHA-256 of the public key's PEM), and the verifier supplies the key.
pub fn sign_key(
    model_dir: &Path,
    private_key_pem: &str,
    ignore_paths: &[PathBuf],
) -> Result<String, Error> {
    let key = PrivateKey::from_pem(private_key_pem)?;
    let mut ignore = IgnoreSet::default();
    for p in ignore_paths {
        ignore.add_path(model_dir, p);
    }
    ignore.add(SIGNATURE_FILE);
    for g in GIT_PATHS {
        ignore.add(g);
    }
    let files = hash::list_files(model_dir, &ignore, false)?;
    let hashes = hash::hash_files(&files, 0);
    let mut root = Sha256::new();
    let mut resources = Vec::with_capacity(files.len());
    for (f, h) in files.iter().zip(hashes) {
        let h = h?;
        root.update(h.sha256);
        resources.push(Resource {
            name: f.name.clone(),
            algorithm: "sha256".into(),
            digest: hex(&h.sha256),
        });
    }
    let statement = Statement {
        type_: STATEMENT_TYPE.into(),
        subject: vec![Subject {
            name: model_name(model_dir),
            digest: SubjectDigest {
                sha256: hex(&root.finalize()),
            },
        }],
        predicate_type: PREDICATE_TYPE.into(),
        predicate: Predicate {
            serialization: Serialization {
                method: "files".into(),
                hash_type: "sha256".into(),
                allow_symlinks: false,
                ignore_paths: Some(ignore.to_strings()),
                shard_size: None,
            },
            resources,
        },
    };
    let payload = serde_json::to_string_pretty(&statement)
        .map_err(|e| Error::Payload(format!("cannot encode the statement: {e}")))?;
    let sig = key.sign(&pae(PAYLOAD_TYPE, payload.as_bytes()))?;
    let bundle = Bundle {
        media_type: BUNDLE_MEDIA_TYPE.into(),
        verification_material: VerificationMaterial {
            public_key: Some(PublicKeyIdentifier {
                hint: Some(key.public_key().hint()?),
                ..Default::default()
            }),
            tlog_entries: Some(Vec::new()),
            ..Default::default()
        },
        dsse_envelope: Some(Envelope {
            payload: b64_encode(payload.as_bytes()),
            payload_type: PAYLOAD_TYPE.into(),
            signatures: vec![EnvelopeSignature {
                sig: b64_encode(&sig),
                keyid: Some(String::new()),
            }],
        }),
    };
    serde_json::to_string(&bundle)
        .map_err(|e| Error::Payload(format!("cannot encode the bundle: {e}")))
}

/// The PEM `PUBLIC KEY` of a private key, as the verifier of a [`sign_key`] signature needs it
/// (64-character lines, as Python's `cryptography` writes it).
pub fn public_key_pem(private_key_pem: &str) -> Result<String, Error> {
    PrivateKey::from_pem(private_key_pem)?
        .public_key()
        .canonical_pem()
}

/// Generates an ECDSA private key on `curve` from the operating system's random number
/// generator and returns it as unencrypted PKCS #8 PEM (what `model_signing sign key
/// --private_key` and [`sign_key`] read). Keep it secret: whoever holds it can sign models.
pub fn generate_private_key_pem(curve: crate::Curve) -> Result<String, Error> {
    use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
    let rng = |buf: &mut [u8]| getrandom::fill(buf).map_err(|e| Error::Key(format!("the operating system's random number generator failed: {e}")));
    // A random string is a valid scalar unless it is zero or not below the group order, which
    // for these curves happens with negligible probability; draw again if it does.
    for _ in 0..16 {
        let pem = match curve {
            crate::Curve::P256 => {
                let mut b = [0u8; 32];
                rng(&mut b)?;
                p256::ecdsa::SigningKey::from_slice(&b).ok().map(|k| k.to_pkcs8_pem(LineEnding::LF))
            }
            crate::Curve::P384 => {
                let mut b = [0u8; 48];
                rng(&mut b)?;
                p384::ecdsa::SigningKey::from_slice(&b).ok().map(|k| k.to_pkcs8_pem(LineEnding::LF))
            }
            crate::Curve::P521 => {
                let mut b = [0u8; 66];
                rng(&mut b)?;
                b[0] &= 0x01; // 521 bits
                p521::ecdsa::SigningKey::from_slice(&b).ok().map(|k| k.to_pkcs8_pem(LineEnding::LF))
            }
        };
        if let Some(pem) = pem {
            return pem.map(|p| p.to_string()).map_err(|e| Error::Key(format!("encoding the key: {e}")));
        }
    }
    Err(Error::Key("no valid key drawn from the random number generator".into()))
}
