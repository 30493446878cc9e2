//! The signature format: a Sigstore bundle (v0.3 JSON) holding a DSSE envelope whose payload is an
//! in-toto Statement v1 with the model-signing v1.0 predicate.
//!
//! ```text
//! bundle ─ mediaType            application/vnd.dev.sigstore.bundle.v0.3+json
//!        ─ verificationMaterial publicKey {hint | rawBytes, keyDetails}
//!                               | x509CertificateChain {certificates[{rawBytes}]}
//!                               | certificate {rawBytes}, tlogEntries[...]        (Sigstore)
//!        ─ dsseEnvelope         payload (base64 statement), payloadType, signatures[{sig, keyid}]
//! statement ─ _type https://in-toto.io/Statement/v1
//!           ─ subject[1] {name: model directory name, digest.sha256: SHA-256(resource digests)}
//!           ─ predicateType https://model_signing/signature/v1.0
//!           ─ predicate {serialization {method, hash_type, allow_symlinks, ignore_paths?},
//!                        resources [{name, algorithm, digest}]}
//! ```
//!
//! The DSSE signature is over `PAE(payloadType, payload)`:
//! `"DSSEv1 <len type> <type> <len payload> " ‖ payload`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::Error;

/// The media type the tool writes and its non-Sigstore verifiers require.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The other spelling of the v0.3 media type that Sigstore clients accept.
pub(crate) const BUNDLE_MEDIA_TYPE_ALT: &str =
    "application/vnd.dev.sigstore.bundle+json;version=0.3";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The model-signing predicate type this crate reads and writes.
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";

/// Signature files larger than this are refused before being read (a manifest of a million files
/// is about 200 MB; no real model comes near).
pub(crate) const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsse_envelope: Option<Envelope>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<CertificateChain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RawCertificate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlog_entries: Option<Vec<TlogEntry>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicKeyIdentifier {
    /// model-signing >= 1.1: SHA-256 (hex) of the PEM (SubjectPublicKeyInfo) of the public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// model-signing 1.0: base64 of the PEM of the public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<String>,
    /// model-signing 1.0: e.g. `PKIX_ECDSA_P384_SHA_384`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_details: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct CertificateChain {
    pub certificates: Vec<RawCertificate>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawCertificate {
    pub raw_bytes: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope {
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct EnvelopeSignature {
    pub sig: String,
    #[serde(default)]
    pub keyid: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TlogEntry {
    pub log_index: String,
    pub log_id: LogId,
    pub kind_version: KindVersion,
    pub integrated_time: String,
    #[serde(default)]
    pub inclusion_promise: Option<InclusionPromise>,
    #[serde(default)]
    pub inclusion_proof: Option<InclusionProof>,
    pub canonicalized_body: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogId {
    pub key_id: String,
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct KindVersion {
    pub kind: String,
    pub version: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InclusionPromise {
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InclusionProof {
    pub log_index: String,
    pub root_hash: String,
    pub tree_size: String,
    pub hashes: Vec<String>,
    pub checkpoint: Checkpoint,
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct Checkpoint {
    pub envelope: String,
}

/// The statement, first read only as far as its types, so that a wrong type is reported as such
/// rather than as a missing field further in.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatementHead {
    #[serde(rename = "_type")]
    type_: String,
    predicate_type: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    pub predicate_type: String,
    pub predicate: Predicate,
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct Subject {
    pub name: String,
    pub digest: SubjectDigest,
}

#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct SubjectDigest {
    pub sha256: String,
}

/// Fields beyond `serialization` and `resources` are ignored, as the predicate's v1.0 rules say.
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct Predicate {
    pub serialization: Serialization,
    pub resources: Vec<Resource>,
}

/// How the model was serialized into the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Serialization {
    /// `files` (one resource per file) or `shards` (one per byte range; not supported here).
    pub method: String,
    /// The hash of every resource; only `sha256` is supported here.
    pub hash_type: String,
    /// Whether symbolic links were followed when signing.
    pub allow_symlinks: bool,
    /// Paths (relative to the model directory) that were ignored when signing; the tool ignores
    /// them again when verifying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_paths: Option<Vec<String>>,
    /// Shard size, for the `shards` method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct Resource {
    pub name: String,
    pub algorithm: String,
    pub digest: String,
}

/// The signed manifest, after the statement's own consistency checks.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub model_name: String,
    pub subject_digest: String,
    pub serialization: Serialization,
    /// In the order listed, names unique, digests decoded.
    pub resources: Vec<(String, [u8; 32])>,
}

/// Parses `bytes` as JSON into `T`, reporting the JSON path of the first error.
pub(crate) fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    document: &'static str,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Json {
        document,
        json_path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    de.end().map_err(|e| Error::Json {
        document,
        json_path: ".".to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}

pub(crate) fn b64(field: &str, value: &str) -> Result<Vec<u8>, Error> {
    STANDARD.decode(value.trim()).map_err(|_| Error::Base64 {
        field: field.to_owned(),
    })
}

pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// DSSE v1 pre-authentication encoding.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}

impl Bundle {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        parse_json(bytes, "the bundle")
    }

    /// The envelope, its decoded payload and first signature, after the payload type check.
    pub(crate) fn envelope(&self) -> Result<(&Envelope, Vec<u8>, Vec<u8>), Error> {
        let env = self.dsse_envelope.as_ref().ok_or_else(|| {
            Error::VerificationMaterial(
                "the bundle has no `dsseEnvelope` (a message signature is not a model signature)"
                    .into(),
            )
        })?;
        if env.payload_type != PAYLOAD_TYPE {
            return Err(Error::PayloadType(env.payload_type.clone()));
        }
        let payload = b64("dsseEnvelope.payload", &env.payload)?;
        // The tool verifies the first signature only, and so does this crate.
        let first = env
            .signatures
            .first()
            .ok_or_else(|| Error::BadSignature("the DSSE envelope has no signature".into()))?;
        let sig = b64("dsseEnvelope.signatures[0].sig", &first.sig)?;
        Ok((env, payload, sig))
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        let byte = u8::try_from(hi * 16 + lo).ok()?;
        *out.get_mut(i)? = byte;
    }
    Some(out)
}

/// A resource name must be a relative, normalized POSIX path inside the model directory.
fn check_resource_name(name: &str) -> Result<(), Error> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\0')
        || name
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(Error::Payload(format!(
            "resource name `{name}` is not a relative path inside the model directory"
        )));
    }
    Ok(())
}

/// Reads the statement from the DSSE payload and checks it as the tool does: statement type,
/// predicate type, exactly one subject, and the subject digest over the resource digests.
pub(crate) fn parse_statement(payload: &[u8]) -> Result<Manifest, Error> {
    let head: StatementHead = parse_json(payload, "the DSSE payload")?;
    if head.type_ != STATEMENT_TYPE {
        return Err(Error::StatementType(head.type_));
    }
    if head.predicate_type != PREDICATE_TYPE {
        return Err(Error::PredicateType(head.predicate_type));
    }
    let st: Statement = parse_json(payload, "the DSSE payload")?;
    let [subject] = st.subject.as_slice() else {
        return Err(Error::Payload(format!(
            "expected exactly one subject, found {}",
            st.subject.len()
        )));
    };
    let ser = st.predicate.serialization;
    if ser.method != "files" {
        return Err(Error::Unsupported {
            what: "serialization method",
            value: ser.method,
        });
    }
    if ser.hash_type != "sha256" {
        return Err(Error::Unsupported {
            what: "hash type",
            value: ser.hash_type,
        });
    }
    let mut root = Sha256::new();
    let mut resources = Vec::with_capacity(st.predicate.resources.len());
    let mut seen = std::collections::HashSet::new();
    for (i, r) in st.predicate.resources.into_iter().enumerate() {
        check_resource_name(&r.name)?;
        if r.algorithm != ser.hash_type {
            return Err(Error::Unsupported {
                what: "hash algorithm for file",
                value: format!("{}: {}", r.name, r.algorithm),
            });
        }
        let digest = unhex32(&r.digest).ok_or_else(|| Error::Json {
            document: "the DSSE payload",
            json_path: format!("predicate.resources[{i}].digest"),
            message: format!("`{}` is not a hex SHA-256 digest", r.digest),
        })?;
        if !seen.insert(r.name.clone()) {
            return Err(Error::Payload(format!("file `{}` is listed twice", r.name)));
        }
        root.update(digest);
        resources.push((r.name, digest));
    }
    let actual = hex(&root.finalize());
    if actual != subject.digest.sha256 {
        return Err(Error::SubjectDigest {
            expected: subject.digest.sha256.clone(),
            actual,
        });
    }
    Ok(Manifest {
        model_name: subject.name.clone(),
        subject_digest: actual,
        serialization: ser,
        resources,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        let got = pae("http://example.com/HelloWorld", b"hello world");
        assert_eq!(
            got,
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn hex_round_trip() {
        let d = [0xab_u8; 32];
        assert_eq!(unhex32(&hex(&d)), Some(d));
        assert_eq!(unhex32(&"AB".repeat(32)), Some(d));
        assert_eq!(unhex32("zz"), None);
        assert_eq!(unhex32(&"é".repeat(32)), None);
    }

    #[test]
    fn json_errors_name_the_path() {
        let err = parse_json::<Bundle>(br#"{"mediaType": 3}"#, "the bundle").unwrap_err();
        assert!(err.to_string().contains("`mediaType`"), "{err}");
    }

    #[test]
    fn resource_names_must_stay_inside() {
        for bad in ["", "/etc/passwd", "a/../b", "./a", "a//b", "a/"] {
            assert!(check_resource_name(bad).is_err(), "{bad}");
        }
        check_resource_name("a/b.bin").unwrap();
    }
}
