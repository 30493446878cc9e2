//! Verification and signing of OpenSSF model-signing signatures (layer 5: model supply chain).
//!
//! A model version is a directory of files; `model_signing` (PyPI `model-signing`, repository
//! sigstore/model-transparency) signs it into a `model.sig`: a Sigstore bundle v0.3 whose DSSE
//! envelope carries an in-toto statement listing the SHA-256 of every file (see [`bundle`] for
//! the format). This crate verifies such signatures offline and makes key-method signatures that
//! the tool accepts:
//!
//! - [`verify_key`]: the key method, with the expected public key from the caller;
//! - [`verify_certificate`]: the certificate method, with the caller's trusted certificates;
//! - [`verify_sigstore`]: the Sigstore method, only as far as is possible without Sigstore's
//!   trust root; the result lists what was not checked;
//! - [`verify_key_manifest`], [`verify_certificate_manifest`]: the same checks of the signature
//!   alone, for artifacts held elsewhere than in a directory ([`SignedManifest::check`]);
//! - [`sign_key`]: the key method's signing.
//!
//! Verification re-hashes the whole directory with the tool's rules ([`VerifyOptions`]) and fails
//! with [`Error::Integrity`] naming every changed, unsigned or missing file.
//!
//! ```no_run
//! use std::path::Path;
//! use mlguard_modelsign::{verify_key, VerifyOptions};
//!
//! let pem = std::fs::read_to_string("signer.pub.pem")?;
//! let model = Path::new("models/resnet/v3");
//! let verified = verify_key(model, &model.join("model.sig"), &pem, &VerifyOptions::default())?;
//! for f in &verified.files {
//!     println!("{} {}", f.sha256, f.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Analysis only: no network I/O, no key management.

#![warn(missing_docs)]

pub mod bundle;
mod error;
mod hash;
mod keys;
mod sign;
mod sigstore;
mod verify;
mod x509;

pub use bundle::Serialization;
pub use error::{Error, FileProblem};
pub use hash::{sha256_file, FileHash};
pub use keys::Curve;
pub use sign::{generate_private_key_pem, public_key_pem, sign_key, SIGNATURE_FILE};
pub use sigstore::{verify_sigstore, SigstoreOptions, SigstoreVerified};
pub use verify::{verify_certificate, verify_certificate_manifest, verify_key, verify_key_manifest, SignedManifest, Signer, Verified, VerifiedFile, VerifyOptions};
