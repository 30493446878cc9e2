//! The Sigstore method, verified as far as it can be offline.
//!
//! A Sigstore bundle is trusted through Sigstore's trust root: the Fulcio CA that issued the
//! short-lived signing certificate and the Rekor key that signed the log's checkpoint and the
//! entry's timestamp. Without that trust root (it is not shipped here and is not fetched), the
//! signature proves only that *someone holding the certificate's key* signed these files. This
//! module checks everything else and lists precisely what it could not check.

use std::path::Path;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::bundle::{
    self, pae, sha256_hex, BUNDLE_MEDIA_TYPE, BUNDLE_MEDIA_TYPE_ALT, PAYLOAD_TYPE,
};
use crate::verify::{check_files, read_bundle, Signer, Verified, VerifyOptions};
use crate::x509::{self, Cert};
use crate::Error;

/// What the caller expects of a Sigstore signature.
#[derive(Debug, Clone, Default)]
pub struct SigstoreOptions {
    /// The signer's identity (the certificate's e-mail or URI subject alternative name); checked
    /// for equality when given.
    pub identity: Option<String>,
    /// The OIDC issuer recorded in the certificate; checked for equality when given.
    pub oidc_issuer: Option<String>,
    /// PEM texts of Fulcio CA certificates (root and intermediate, e.g. taken from a
    /// `trusted_root.json` the caller trusts). When given, the signing certificate must chain to
    /// them at the log's integrated time.
    pub fulcio_certs_pem: Vec<String>,
}

/// The result of an offline Sigstore verification. This is **never** a full verification: see
/// `not_checked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigstoreVerified {
    /// The files and payload, verified as for the other methods, with the certificate's identity.
    pub verified: Verified,
    /// What was checked, one sentence each.
    pub checked: Vec<String>,
    /// What could not be checked offline, one sentence each; never empty.
    pub not_checked: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DsseBody {
    kind: String,
    spec: DsseSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DsseSpec {
    payload_hash: HashValue,
    signatures: Vec<BodySignature>,
}

#[derive(Deserialize)]
struct HashValue {
    algorithm: String,
    value: String,
}

#[derive(Deserialize)]
struct BodySignature {
    signature: String,
    verifier: String,
}

const OIDC_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const OIDC_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

fn identity_of(leaf: &Cert) -> (Option<String>, Option<String>) {
    use x509_cert::der::Decode as _;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::SubjectAltName;
    let mut identity = None;
    let mut issuer = None;
    for (oid, _, value) in leaf.extensions() {
        let oid = oid.to_string();
        if oid == "2.5.29.17" {
            if let Ok(san) = SubjectAltName::from_der(value) {
                identity = san.0.iter().find_map(|n| match n {
                    GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                        Some(s.to_string())
                    }
                    _ => None,
                });
            }
        } else if oid == OIDC_ISSUER_V2 {
            if let Ok(s) = x509_cert::der::asn1::Utf8StringRef::from_der(value) {
                issuer = Some(s.as_str().to_owned());
            }
        } else if oid == OIDC_ISSUER_V1 && issuer.is_none() {
            issuer = std::str::from_utf8(value).ok().map(str::to_owned);
        }
    }
    (identity, issuer)
}

fn hash_children(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 9162 §2.1.3.2: the root implied by an inclusion proof, or `None` if the proof is malformed.
pub(crate) fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf_hash: [u8; 32],
    proof: &[[u8; 32]],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = leaf_hash;
    for p in proof {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = hash_children(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = hash_children(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

fn parse_u64(field: &str, s: &str) -> Result<u64, Error> {
    s.parse()
        .map_err(|_| Error::Tlog(format!("`{field}` is not a number: `{s}`")))
}

fn hash32(field: &str, s: &str) -> Result<[u8; 32], Error> {
    let v = bundle::b64(field, s)?;
    <[u8; 32]>::try_from(v.as_slice())
        .map_err(|_| Error::Tlog(format!("`{field}` is not a SHA-256 hash")))
}

/// Verifies a model signed with the Sigstore method, as far as possible offline.
///
/// Checked: media type v0.3; the signing certificate parses, its key is ECDSA P-256/P-384/P-521 and
/// allows signing; the first DSSE signature verifies with it; the expected identity and OIDC
/// issuer, when given; the first transparency-log entry is a `dsse` entry whose body names this
/// payload's SHA-256, this signature and this certificate; its integrated time falls within the
/// certificate's validity; its inclusion proof leads to the root hash stated in the bundle, and
/// that root hash and tree size are the checkpoint's; with `fulcio_certs_pem`, the certificate
/// chain at the integrated time; then the statement and every file as for [`crate::verify_key`].
///
/// Not checked (listed in [`SigstoreVerified::not_checked`]): the checkpoint's signature and the
/// signed entry timestamp (both need Rekor's public key from Sigstore's trust root), hence the
/// authenticity of the root hash and of the integrated time; without `fulcio_certs_pem`, the
/// Fulcio chain; RFC 3161 timestamps; the entry's `envelopeHash`.
pub fn verify_sigstore(
    model_dir: &Path,
    bundle_path: &Path,
    options: &VerifyOptions,
    sigstore: &SigstoreOptions,
) -> Result<SigstoreVerified, Error> {
    let bundle = read_bundle(bundle_path)?;
    if bundle.media_type != BUNDLE_MEDIA_TYPE && bundle.media_type != BUNDLE_MEDIA_TYPE_ALT {
        return Err(Error::MediaType {
            found: bundle.media_type.clone(),
            expected: BUNDLE_MEDIA_TYPE,
        });
    }
    let vm = &bundle.verification_material;
    let raw =
        match (&vm.certificate, &vm.x509_certificate_chain) {
            (Some(c), _) => (&c.raw_bytes, "verificationMaterial.certificate.rawBytes"),
            (None, Some(ch)) => match ch.certificates.first() {
                Some(c) => (
                    &c.raw_bytes,
                    "verificationMaterial.x509CertificateChain.certificates[0].rawBytes",
                ),
                None => {
                    return Err(Error::VerificationMaterial(
                        "the certificate chain is empty".into(),
                    ))
                }
            },
            (None, None) => return Err(Error::VerificationMaterial(
                "the bundle has no signing certificate: it was not signed with the Sigstore method"
                    .into(),
            )),
        };
    let leaf = Cert::from_der(bundle::b64(raw.1, raw.0)?, &format!("`{}`", raw.1))?;
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();

    x509::check_leaf_usage(&leaf)?;
    let key = leaf.ec_public_key()?;
    let (env, payload, sig) = bundle.envelope()?;
    if !key.verify(&pae(PAYLOAD_TYPE, &payload), &sig, key.default_hash()) {
        return Err(Error::BadSignature(
            "the DSSE signature does not verify with the key of the bundle's certificate".into(),
        ));
    }
    checked.push(
        "the DSSE signature verifies with the key of the bundle's signing certificate".to_owned(),
    );

    let (identity, oidc_issuer) = identity_of(&leaf);
    match &sigstore.identity {
        Some(want) if identity.as_deref() != Some(want.as_str()) => {
            return Err(Error::Identity(format!(
                "the certificate is for `{}`, expected `{want}`",
                identity.as_deref().unwrap_or("(none)")
            )))
        }
        Some(want) => checked.push(format!(
            "the certificate's identity is `{want}` as expected"
        )),
        None => not_checked.push(format!(
            "the signer's identity: the certificate names `{}` but no expected identity was given",
            identity.as_deref().unwrap_or("(none)")
        )),
    }
    match &sigstore.oidc_issuer {
        Some(want) if oidc_issuer.as_deref() != Some(want.as_str()) => {
            return Err(Error::Identity(format!(
                "the certificate's OIDC issuer is `{}`, expected `{want}`",
                oidc_issuer.as_deref().unwrap_or("(none)")
            )))
        }
        Some(want) => checked.push(format!(
            "the certificate's OIDC issuer is `{want}` as expected"
        )),
        None => not_checked.push(format!(
            "the OIDC issuer: the certificate names `{}` but no expected issuer was given",
            oidc_issuer.as_deref().unwrap_or("(none)")
        )),
    }

    // The transparency log entry.
    let entry = vm
        .tlog_entries
        .as_ref()
        .and_then(|v| v.first())
        .ok_or_else(|| Error::Tlog("the bundle has no transparency log entry".into()))?;
    if entry.kind_version.kind != "dsse" || entry.kind_version.version != "0.0.1" {
        return Err(Error::Unsupported {
            what: "transparency log entry kind",
            value: format!("{} {}", entry.kind_version.kind, entry.kind_version.version),
        });
    }
    let body_bytes = bundle::b64(
        "tlogEntries[0].canonicalizedBody",
        &entry.canonicalized_body,
    )?;
    let body: DsseBody = bundle::parse_json(&body_bytes, "the log entry body")?;
    if body.kind != "dsse" {
        return Err(Error::Tlog(format!(
            "the entry body is of kind `{}`",
            body.kind
        )));
    }
    if body.spec.payload_hash.algorithm != "sha256"
        || body.spec.payload_hash.value != sha256_hex(&payload)
    {
        return Err(Error::Tlog(
            "the entry's payload hash is not the SHA-256 of this payload".into(),
        ));
    }
    let names_us = body.spec.signatures.iter().any(|s| {
        let sig_ok = bundle::b64("signature", &s.signature)
            .map(|b| b == sig)
            .unwrap_or(false);
        let cert_ok = bundle::b64("verifier", &s.verifier)
            .ok()
            .and_then(|pem| String::from_utf8(pem).ok())
            .and_then(|pem| x509::certs_from_pems(&[pem.as_str()]).ok())
            .is_some_and(|certs| certs.first().is_some_and(|c| c.der == leaf.der));
        sig_ok && cert_ok
    });
    if !names_us {
        return Err(Error::Tlog(
            "the entry does not record this signature with this certificate".into(),
        ));
    }
    checked.push(
        "the log entry's body records this payload's SHA-256, this signature and this certificate"
            .to_owned(),
    );

    let integrated = parse_u64("integratedTime", &entry.integrated_time)?;
    let (nb, na) = leaf.validity();
    if integrated < nb || integrated > na {
        return Err(Error::Tlog(format!(
            "the entry was integrated at {}, outside the certificate's validity ({} to {})",
            x509::fmt_time(integrated),
            x509::fmt_time(nb),
            x509::fmt_time(na)
        )));
    }
    checked.push(format!(
        "the entry's integrated time {} is within the certificate's validity (the time itself is not authenticated)",
        x509::fmt_time(integrated)
    ));

    match &entry.inclusion_proof {
        Some(proof) => {
            let index = parse_u64("inclusionProof.logIndex", &proof.log_index)?;
            let size = parse_u64("inclusionProof.treeSize", &proof.tree_size)?;
            let root = hash32("inclusionProof.rootHash", &proof.root_hash)?;
            let hashes = proof
                .hashes
                .iter()
                .enumerate()
                .map(|(i, h)| hash32(&format!("inclusionProof.hashes[{i}]"), h))
                .collect::<Result<Vec<_>, _>>()?;
            let mut leaf_hasher = Sha256::new();
            leaf_hasher.update([0u8]);
            leaf_hasher.update(&body_bytes);
            let computed =
                root_from_inclusion_proof(index, size, leaf_hasher.finalize().into(), &hashes);
            if computed != Some(root) {
                return Err(Error::Tlog(
                    "the inclusion proof does not lead to the stated root hash".into(),
                ));
            }
            let mut lines = proof.checkpoint.envelope.lines();
            let _origin = lines.next();
            let cp_size = lines.next().unwrap_or_default();
            let cp_root = lines.next().unwrap_or_default();
            if cp_size != proof.tree_size || cp_root != proof.root_hash {
                return Err(Error::Tlog(
                    "the checkpoint's tree size or root hash differs from the inclusion proof's"
                        .into(),
                ));
            }
            checked.push(format!(
                "the inclusion proof places the entry at index {index} of a tree of size {size} whose root is the checkpoint's"
            ));
            not_checked.push("the checkpoint's signature, hence that the root hash is Rekor's (needs Rekor's public key from Sigstore's trusted root)".to_owned());
        }
        None => {
            not_checked.push("inclusion in the log: the bundle has no inclusion proof".to_owned())
        }
    }
    if entry.inclusion_promise.is_some() {
        not_checked.push("the signed entry timestamp (needs Rekor's public key from Sigstore's trusted root), hence the integrated time".to_owned());
    }
    not_checked.push(
        "the entry's `envelopeHash` (the hash of the envelope as the log serialized it)".to_owned(),
    );

    if sigstore.fulcio_certs_pem.is_empty() {
        not_checked.push(format!(
            "the certificate chain: `{}` issued by `{}` is not checked against Fulcio's CA (needs Sigstore's trusted root)",
            leaf.subject(),
            leaf.issuer()
        ));
    } else {
        let pems: Vec<&str> = sigstore
            .fulcio_certs_pem
            .iter()
            .map(String::as_str)
            .collect();
        let anchors = x509::certs_from_pems(&pems)?;
        let path = x509::verify_path(&leaf, &[], &anchors, integrated)?;
        checked.push(format!(
            "the certificate chains to the given Fulcio CA `{}` at the (unauthenticated) integrated time",
            path.certs.last().map(Cert::subject).unwrap_or_default()
        ));
    }

    let _ = env;
    let manifest = bundle::parse_statement(&payload)?;
    let (files, ignored_paths) = check_files(model_dir, Some(bundle_path), &manifest, options)?;
    checked.push(format!(
        "every file matches the signed manifest ({} files)",
        files.len()
    ));
    Ok(SigstoreVerified {
        verified: Verified {
            model_name: manifest.model_name,
            subject_digest: manifest.subject_digest,
            serialization: manifest.serialization,
            files,
            ignored_paths,
            signer: Signer::Sigstore {
                identity,
                oidc_issuer,
            },
        },
        checked,
        not_checked,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn leaf(i: u8) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([0u8, i]);
        h.finalize().into()
    }

    /// Root of a tree of leaves 0..n, per RFC 9162's definition.
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = leaves.len().next_power_of_two() / 2;
        let k = if k == leaves.len() { k / 2 } else { k };
        hash_children(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }

    fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        if leaves.len() == 1 {
            return vec![];
        }
        let k = leaves.len().next_power_of_two() / 2;
        let k = if k == leaves.len() { k / 2 } else { k };
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    #[test]
    fn inclusion_proofs_for_every_leaf_of_small_trees() {
        for n in 1..=9u8 {
            let leaves: Vec<_> = (0..n).map(leaf).collect();
            let root = mth(&leaves);
            for m in 0..usize::from(n) {
                let p = path(m, &leaves);
                assert_eq!(
                    root_from_inclusion_proof(m as u64, u64::from(n), leaves[m], &p),
                    Some(root),
                    "n={n} m={m}"
                );
                if !p.is_empty() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert_ne!(
                        root_from_inclusion_proof(m as u64, u64::from(n), leaves[m], &bad),
                        Some(root)
                    );
                }
            }
        }
    }
}
