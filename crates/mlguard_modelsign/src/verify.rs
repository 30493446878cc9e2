//! Verification of a model directory against a `model.sig`, for the key and certificate methods.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::bundle::{
    self, hex, pae, Bundle, Manifest, Serialization, BUNDLE_MEDIA_TYPE, PAYLOAD_TYPE,
};
use crate::hash::{self, IgnoreSet, ModelFile, GIT_PATHS};
use crate::keys::{Curve, PublicKey};
use crate::x509::{self, Cert};
use crate::{Error, FileProblem};

/// How to verify, mirroring the options of `model_signing verify`.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Paths to ignore, relative to the model directory (absolute paths must lie inside it).
    /// Ignoring a directory ignores everything under it. The signature file, when it lies in the
    /// model directory, and the paths the signature itself lists as ignored are always ignored.
    pub ignore_paths: Vec<PathBuf>,
    /// Ignore `.git`, `.gitattributes`, `.github` and `.gitignore` (the tool's default: true).
    pub ignore_git_paths: bool,
    /// Whether symbolic links may be followed. `None` takes the value recorded in the signature
    /// (the tool's library API); `Some` overrides it (the tool's CLI always passes its
    /// `--allow_symlinks` flag, false by default).
    pub allow_symlinks: Option<bool>,
    /// Check only the files the signature lists; files present but not listed are then not an
    /// error (the tool's `--ignore_unsigned_files`).
    pub ignore_unsigned_files: bool,
    /// Threads for hashing; 0 uses all the machine's cores.
    pub threads: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            ignore_paths: Vec::new(),
            ignore_git_paths: true,
            allow_symlinks: None,
            ignore_unsigned_files: false,
            threads: 0,
        }
    }
}

/// A file whose content matched the signed digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedFile {
    /// Path relative to the model directory, `/`-separated, as in the manifest.
    pub name: String,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Who signed, as far as the method tells.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signer {
    /// A bare public key (the key method). Only possession of the private key is proven.
    Key {
        /// The key's curve.
        curve: Curve,
        /// SHA-256 of the key's PEM (the `hint` of model-signing 1.1 bundles).
        key_sha256: String,
        /// The bundle is in model-signing 1.0 form (`rawBytes`/`keyDetails` instead of `hint`).
        legacy_format: bool,
    },
    /// A certificate that chains to one of the caller's certificates.
    Certificate {
        /// Subject names, signing certificate first, trust anchor last.
        chain: Vec<String>,
        /// The instant the chain was checked at: the signing certificate's `notBefore` (RFC 3339).
        checked_at: String,
    },
    /// A Sigstore (Fulcio) certificate; see [`crate::SigstoreVerified`] for what was not checked.
    Sigstore {
        /// The certificate's subject alternative name (e-mail or URI).
        identity: Option<String>,
        /// The OIDC issuer recorded in the certificate.
        oidc_issuer: Option<String>,
    },
}

/// A model directory that matches its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The model name recorded in the statement's subject (informative only: the tool does not
    /// compare it with the directory's name, and neither does this crate).
    pub model_name: String,
    /// The subject digest: SHA-256 over the resource digests, lowercase hex.
    pub subject_digest: String,
    /// The serialization recorded in the signature.
    pub serialization: Serialization,
    /// Every signed file, in manifest order, each re-hashed and matching.
    pub files: Vec<VerifiedFile>,
    /// The ignored paths in force (caller's, git's, the signature's own, the signature file).
    pub ignored_paths: Vec<String>,
    /// Who signed.
    pub signer: Signer,
}

pub(crate) fn read_bundle(path: &Path) -> Result<Bundle, Error> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > bundle::MAX_BUNDLE_BYTES {
        return Err(Error::Unsupported {
            what: "signature file size",
            value: format!("{} bytes", meta.len()),
        });
    }
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    Bundle::parse(&bytes)
}

fn ignore_bundle_file(ignore: &mut IgnoreSet, model_dir: &Path, bundle_path: &Path) {
    let (Ok(root), Ok(sig)) = (fs::canonicalize(model_dir), fs::canonicalize(bundle_path)) else {
        return;
    };
    if let Ok(rel) = sig.strip_prefix(&root) {
        if let Some(s) = rel.to_str() {
            ignore.add(&s.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
}

/// Re-hashes the model and compares it with the manifest, as the tool does.
pub(crate) fn check_files(
    model_dir: &Path,
    bundle_path: Option<&Path>,
    manifest: &Manifest,
    options: &VerifyOptions,
) -> Result<(Vec<VerifiedFile>, Vec<String>), Error> {
    let allow_symlinks = options
        .allow_symlinks
        .unwrap_or(manifest.serialization.allow_symlinks);
    let mut ignore = IgnoreSet::default();
    for p in &options.ignore_paths {
        ignore.add_path(model_dir, p);
    }
    if options.ignore_git_paths {
        for g in GIT_PATHS {
            ignore.add(g);
        }
    }
    if let Some(b) = bundle_path {
        ignore_bundle_file(&mut ignore, model_dir, b);
    }
    for p in manifest.serialization.ignore_paths.iter().flatten() {
        // The tool keeps only paths that stay inside the model directory.
        if !p.starts_with('/') {
            ignore.add(p);
        }
    }

    let mut problems = Vec::new();
    let files = if options.ignore_unsigned_files {
        let mut files = Vec::new();
        for (name, _) in &manifest.resources {
            let parts: Vec<String> = name.split('/').map(str::to_owned).collect();
            let path = model_dir.join(name);
            match fs::symlink_metadata(&path) {
                Err(_) => continue,
                Ok(m) if m.file_type().is_symlink() && !allow_symlinks => {
                    return Err(Error::Symlink(name.clone()));
                }
                Ok(_) => {}
            }
            let is_file = fs::metadata(&path).map(|m| m.is_file()).unwrap_or(false);
            if is_file && !ignore.is_ignored(&parts) {
                files.push(ModelFile {
                    name: name.clone(),
                    parts,
                    path,
                });
            }
        }
        hash::sort_like_pathlib(&mut files);
        files
    } else {
        hash::list_files(model_dir, &ignore, allow_symlinks)?
    };

    let hashes = hash::hash_files(&files, options.threads);
    let mut actual = BTreeMap::new();
    for (f, h) in files.iter().zip(hashes) {
        actual.insert(f.name.as_str(), h?);
    }
    let expected: BTreeMap<&str, &[u8; 32]> = manifest
        .resources
        .iter()
        .map(|(n, d)| (n.as_str(), d))
        .collect();
    for (name, h) in &actual {
        match expected.get(name) {
            None => problems.push(FileProblem::NotSigned {
                file: (*name).to_owned(),
            }),
            Some(d) if **d != h.sha256 => problems.push(FileProblem::DigestMismatch {
                file: (*name).to_owned(),
                expected: hex(*d),
                actual: hex(&h.sha256),
            }),
            Some(_) => {}
        }
    }
    for name in expected.keys() {
        if !actual.contains_key(name) {
            problems.push(FileProblem::Missing {
                file: (*name).to_owned(),
            });
        }
    }
    if !problems.is_empty() {
        problems.sort_by(|a, b| a.file().cmp(b.file()));
        return Err(Error::Integrity(problems));
    }
    let files = manifest
        .resources
        .iter()
        .filter_map(|(name, _)| {
            actual.get(name.as_str()).map(|h| VerifiedFile {
                name: name.clone(),
                sha256: hex(&h.sha256),
                size: h.size,
            })
        })
        .collect();
    Ok((files, ignore.to_strings()))
}

fn check_media_type(bundle: &Bundle) -> Result<(), Error> {
    if bundle.media_type != BUNDLE_MEDIA_TYPE {
        return Err(Error::MediaType {
            found: bundle.media_type.clone(),
            expected: BUNDLE_MEDIA_TYPE,
        });
    }
    Ok(())
}

fn finish(
    model_dir: &Path,
    bundle_path: &Path,
    manifest: Manifest,
    options: &VerifyOptions,
    signer: Signer,
) -> Result<Verified, Error> {
    let (files, ignored_paths) = check_files(model_dir, Some(bundle_path), &manifest, options)?;
    Ok(Verified {
        model_name: manifest.model_name,
        subject_digest: manifest.subject_digest,
        serialization: manifest.serialization,
        files,
        ignored_paths,
        signer,
    })
}

/// Verifies a model signed with the key method (`model_signing sign key`).
///
/// `public_key_pem` is the expected signer's public key (PEM `PUBLIC KEY`, ECDSA P-256, P-384 or P-521);
/// the key recorded in the bundle is never trusted on its own. Checks, in order: media type v0.3;
/// the bundle has `verificationMaterial.publicKey`; its `hint` (if any) is the SHA-256 of the
/// given key's PEM; its `rawBytes` and `keyDetails` (model-signing 1.0 bundles), if present, name
/// the given key and its curve (the tool ignores these two; this crate rejects a contradiction);
/// payload type; the first DSSE signature verifies over PAE with the given key (SHA-256 for P-256,
/// SHA-384 for P-384, SHA-512 for P-521); the statement and predicate types; one subject whose digest is the SHA-256
/// of the resource digests; then every file (see [`VerifyOptions`]).
pub fn verify_key(
    model_dir: &Path,
    bundle_path: &Path,
    public_key_pem: &str,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let bundle = read_bundle(bundle_path)?;
    let (manifest, signer) = key_signed(&bundle, public_key_pem)?;
    finish(model_dir, bundle_path, manifest, options, signer)
}

/// Verifies a model signed with the certificate method (`model_signing sign certificate`).
///
/// `trusted_pems` are PEM texts holding the trusted certificates (a root, and intermediates if
/// wanted; several per text allowed): the tool's `--certificate_chain`. The signing certificate is
/// `x509CertificateChain.certificates[0]` of the bundle; the bundle's other certificates are used
/// as untrusted intermediates. The path must end at a self-issued certificate among the trusted
/// ones; it is checked at the signing certificate's `notBefore`, as the tool does (so an expired
/// certificate is accepted; the current time is never consulted). See the `x509` module for the
/// list of checks and non-checks. The signing certificate must allow digitalSignature (keyUsage)
/// or else codeSigning (extendedKeyUsage), and its key must be ECDSA P-256, P-384 or P-521; the first
/// DSSE signature must verify with it. Then the payload and files are checked as in
/// [`verify_key`].
pub fn verify_certificate(
    model_dir: &Path,
    bundle_path: &Path,
    trusted_pems: &[&str],
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let bundle = read_bundle(bundle_path)?;
    let (manifest, signer) = certificate_signed(&bundle, trusted_pems)?;
    finish(model_dir, bundle_path, manifest, options, signer)
}

fn key_signed(bundle: &Bundle, public_key_pem: &str) -> Result<(Manifest, Signer), Error> {
    let key = PublicKey::from_pem(public_key_pem)?;
    check_media_type(bundle)?;
    let Some(pk) = bundle.verification_material.public_key.as_ref() else {
        return Err(Error::VerificationMaterial(
            "the bundle has no `verificationMaterial.publicKey`: it was not signed with the key method".into(),
        ));
    };
    let key_sha256 = key.hint()?;
    if let Some(hint) = &pk.hint {
        if *hint != key_sha256 {
            return Err(Error::KeyMismatch(format!(
                "the bundle's `publicKey.hint` is `{hint}`, the given key's is `{key_sha256}`"
            )));
        }
    }
    if let Some(raw) = &pk.raw_bytes {
        let bytes = bundle::b64("verificationMaterial.publicKey.rawBytes", raw)?;
        let embedded = match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains("-----BEGIN") => PublicKey::from_pem(text),
            _ => PublicKey::from_spki_der(&bytes),
        }
        .map_err(|e| Error::VerificationMaterial(format!("`publicKey.rawBytes`: {e}")))?;
        if embedded != key {
            return Err(Error::KeyMismatch(
                "the bundle's `publicKey.rawBytes` is not the given public key".into(),
            ));
        }
    }
    if let Some(details) = &pk.key_details {
        if details != key.curve().key_details() {
            return Err(Error::KeyMismatch(format!(
                "the bundle's `publicKey.keyDetails` is `{details}`, the given key is `{}`",
                key.curve().key_details()
            )));
        }
    }
    let (_, payload, sig) = bundle.envelope()?;
    if !key.verify(&pae(PAYLOAD_TYPE, &payload), &sig, key.default_hash()) {
        return Err(Error::BadSignature(
            "the DSSE signature does not verify with the given public key".into(),
        ));
    }
    let manifest = bundle::parse_statement(&payload)?;
    let signer = Signer::Key {
        curve: key.curve(),
        key_sha256,
        legacy_format: pk.hint.is_none(),
    };
    Ok((manifest, signer))
}

fn certificate_signed(bundle: &Bundle, trusted_pems: &[&str]) -> Result<(Manifest, Signer), Error> {
    let anchors = x509::certs_from_pems(trusted_pems)?;
    if anchors.is_empty() {
        return Err(Error::Certificate("no trusted certificate given".into()));
    }
    check_media_type(bundle)?;
    let Some(chain) = bundle.verification_material.x509_certificate_chain.as_ref() else {
        return Err(Error::VerificationMaterial(
            "the bundle has no `verificationMaterial.x509CertificateChain`: it was not signed with the certificate method".into(),
        ));
    };
    let mut certs = Vec::with_capacity(chain.certificates.len());
    for (i, c) in chain.certificates.iter().enumerate() {
        let field = format!("verificationMaterial.x509CertificateChain.certificates[{i}].rawBytes");
        certs.push(Cert::from_der(
            bundle::b64(&field, &c.raw_bytes)?,
            &format!("`{field}`"),
        )?);
    }
    let Some((leaf, intermediates)) = certs.split_first() else {
        return Err(Error::VerificationMaterial(
            "the certificate chain is empty".into(),
        ));
    };
    let at = leaf.validity().0;
    let path = x509::verify_path(leaf, intermediates, &anchors, at)?;
    x509::check_leaf_usage(leaf)?;
    let key = leaf.ec_public_key()?;
    let (_, payload, sig) = bundle.envelope()?;
    if !key.verify(&pae(PAYLOAD_TYPE, &payload), &sig, key.default_hash()) {
        return Err(Error::BadSignature(format!(
            "the DSSE signature does not verify with the key of the signing certificate `{}`",
            leaf.subject()
        )));
    }
    let manifest = bundle::parse_statement(&payload)?;
    let signer = Signer::Certificate {
        chain: path.certs.iter().map(Cert::subject).collect(),
        checked_at: x509::fmt_time(at),
    };
    Ok((manifest, signer))
}

/// What a verified signature vouches for, without any file read: the signed names and digests
/// and who signed. For artifacts that are not in a directory (a registry's content-addressed
/// store), [`SignedManifest::check`] compares them with digests known by other means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedManifest {
    /// The model name recorded in the statement's subject (informative only).
    pub model_name: String,
    /// The subject digest: SHA-256 over the resource digests, lowercase hex.
    pub subject_digest: String,
    /// The serialization recorded in the signature (its `ignore_paths` among it).
    pub serialization: Serialization,
    /// Every signed file, in manifest order: `/`-separated name and SHA-256.
    pub resources: Vec<(String, [u8; 32])>,
    /// Who signed.
    pub signer: Signer,
}

fn parse_bundle_bytes(bundle_json: &[u8]) -> Result<Bundle, Error> {
    if bundle_json.len() as u64 > bundle::MAX_BUNDLE_BYTES {
        return Err(Error::Unsupported { what: "signature file size", value: format!("{} bytes", bundle_json.len()) });
    }
    Bundle::parse(bundle_json)
}

/// [`verify_key`]'s checks of the bundle and its signature, without the files: the result says
/// what the signature covers.
pub fn verify_key_manifest(bundle_json: &[u8], public_key_pem: &str) -> Result<SignedManifest, Error> {
    let (m, signer) = key_signed(&parse_bundle_bytes(bundle_json)?, public_key_pem)?;
    Ok(SignedManifest { model_name: m.model_name, subject_digest: m.subject_digest, serialization: m.serialization, resources: m.resources, signer })
}

/// [`verify_certificate`]'s checks of the bundle, its certificate path and its signature,
/// without the files.
pub fn verify_certificate_manifest(bundle_json: &[u8], trusted_pems: &[&str]) -> Result<SignedManifest, Error> {
    let (m, signer) = certificate_signed(&parse_bundle_bytes(bundle_json)?, trusted_pems)?;
    Ok(SignedManifest { model_name: m.model_name, subject_digest: m.subject_digest, serialization: m.serialization, resources: m.resources, signer })
}

impl SignedManifest {
    /// Compares the signed digests with `files` (`/`-separated name, SHA-256), as verification
    /// of a directory does: a file not listed, a listed file missing, or a different digest is
    /// an [`Error::Integrity`] naming every such file. Files named in `ignore` (a name, or a
    /// folder prefix) and in the signature's own `ignore_paths` are left out, as is
    /// `model.sig`.
    pub fn check(&self, files: &[(String, [u8; 32])], ignore: &[&str]) -> Result<(), Error> {
        let recorded: Vec<&str> = self.serialization.ignore_paths.iter().flatten().map(String::as_str).collect();
        let ignored = |name: &str| {
            name == crate::SIGNATURE_FILE
                || ignore.iter().chain(recorded.iter()).any(|p| {
                    let p = p.trim_end_matches('/');
                    !p.is_empty() && (name == p || name.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
                })
        };
        let expected: BTreeMap<&str, &[u8; 32]> = self.resources.iter().map(|(n, d)| (n.as_str(), d)).collect();
        let mut seen = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, digest) in files.iter().filter(|(n, _)| !ignored(n)) {
            seen.insert(name.as_str(), ());
            match expected.get(name.as_str()) {
                None => problems.push(FileProblem::NotSigned { file: name.clone() }),
                Some(d) if *d != digest => problems.push(FileProblem::DigestMismatch { file: name.clone(), expected: hex(*d), actual: hex(digest) }),
                Some(_) => {}
            }
        }
        for name in expected.keys().filter(|n| !seen.contains_key(*n)) {
            problems.push(FileProblem::Missing { file: (*name).to_owned() });
        }
        if problems.is_empty() {
            return Ok(());
        }
        problems.sort_by(|a, b| a.file().cmp(b.file()));
        Err(Error::Integrity(problems))
    }
}
