//! Elliptic-curve keys: the curves the tool supports for key and certificate signing (P-256 with
//! SHA-256, P-384 with SHA-384, P-521 with SHA-512), DER ECDSA signatures.

use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _};
use sha2::{Digest as _, Sha256, Sha384};
use signature_compat::{DigestSign, PrehashVerify};

use crate::bundle::{b64_encode, sha256_hex};
use crate::Error;

/// An elliptic curve the crate can verify and sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Curve {
    /// NIST P-256 (secp256r1), signatures over SHA-256.
    P256,
    /// NIST P-384 (secp384r1), signatures over SHA-384.
    P384,
    /// NIST P-521 (secp521r1), signatures over SHA-512.
    P521,
}

impl Curve {
    /// The Sigstore `keyDetails` name of ECDSA on this curve with its hash.
    pub fn key_details(self) -> &'static str {
        match self {
            Self::P256 => "PKIX_ECDSA_P256_SHA_256",
            Self::P384 => "PKIX_ECDSA_P384_SHA_384",
            Self::P521 => "PKIX_ECDSA_P521_SHA_512",
        }
    }
}

/// A public key of a supported curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// The hash an ECDSA signature was made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(msg).to_vec(),
            Self::Sha384 => Sha384::digest(msg).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(msg).to_vec(),
        }
    }
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub(crate) fn from_pem(pem: &str) -> Result<Self, Error> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem.trim()) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem.trim()) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_pem(pem.trim()) {
            return Ok(Self::P521(k));
        }
        Err(Error::Key(
            "not a PEM `PUBLIC KEY` on P-256, P-384 or P-521 (other key types and curves are not supported)".into(),
        ))
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P521(k));
        }
        Err(Error::Key(
            "not an ECDSA key on P-256, P-384 or P-521".into(),
        ))
    }

    pub(crate) fn curve(&self) -> Curve {
        match self {
            Self::P256(_) => Curve::P256,
            Self::P384(_) => Curve::P384,
            Self::P521(_) => Curve::P521,
        }
    }

    /// The hash the tool pairs with the curve.
    pub(crate) fn default_hash(&self) -> Hash {
        match self {
            Self::P256(_) => Hash::Sha256,
            Self::P384(_) => Hash::Sha384,
            Self::P521(_) => Hash::Sha512,
        }
    }

    pub(crate) fn spki_der(&self) -> Result<Vec<u8>, Error> {
        let doc = match self {
            Self::P256(k) => k.to_public_key_der(),
            Self::P384(k) => k.to_public_key_der(),
            Self::P521(k) => k.to_public_key_der(),
        }
        .map_err(|e| Error::Key(format!("cannot encode the public key: {e}")))?;
        Ok(doc.as_bytes().to_vec())
    }

    /// The key as PEM exactly as Python's `cryptography` writes it (64-character lines, LF), whose
    /// SHA-256 is the bundle's `publicKey.hint`.
    pub(crate) fn canonical_pem(&self) -> Result<String, Error> {
        Ok(pem_encode("PUBLIC KEY", &self.spki_der()?))
    }

    pub(crate) fn hint(&self) -> Result<String, Error> {
        Ok(sha256_hex(self.canonical_pem()?.as_bytes()))
    }

    /// Verifies a DER ECDSA signature over `msg` hashed with `hash`.
    pub(crate) fn verify(&self, msg: &[u8], der_sig: &[u8], hash: Hash) -> bool {
        let prehash = hash.digest(msg);
        match self {
            Self::P256(k) => p256::ecdsa::DerSignature::try_from(der_sig)
                .map(|s| k.verify_prehash_compat(&prehash, &s))
                .unwrap_or(false),
            Self::P384(k) => p384::ecdsa::DerSignature::try_from(der_sig)
                .map(|s| k.verify_prehash_compat(&prehash, &s))
                .unwrap_or(false),
            Self::P521(k) => p521::ecdsa::DerSignature::try_from(der_sig)
                .map(|s| k.verify_prehash_compat(&prehash, &s))
                .unwrap_or(false),
        }
    }
}

/// A private key of a supported curve.
pub(crate) enum PrivateKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

impl PrivateKey {
    /// Reads an unencrypted PEM `PRIVATE KEY` (PKCS #8) or `EC PRIVATE KEY` (SEC 1).
    pub(crate) fn from_pem(pem: &str) -> Result<Self, Error> {
        let pem = pem.trim();
        if pem.contains("ENCRYPTED") {
            return Err(Error::Key(
                "encrypted private keys are not supported".into(),
            ));
        }
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = p256::SecretKey::from_sec1_pem(pem) {
            return Ok(Self::P256(k.into()));
        }
        if let Ok(k) = p384::SecretKey::from_sec1_pem(pem) {
            return Ok(Self::P384(k.into()));
        }
        if let Ok(k) = p521::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::P521(k));
        }
        if let Ok(k) = p521::SecretKey::from_sec1_pem(pem) {
            return Ok(Self::P521(k.into()));
        }
        Err(Error::Key(
            "not an unencrypted PEM private key (PKCS #8 or SEC 1) on P-256, P-384 or P-521".into(),
        ))
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        match self {
            Self::P256(k) => PublicKey::P256(*k.verifying_key()),
            Self::P384(k) => PublicKey::P384(*k.verifying_key()),
            Self::P521(k) => PublicKey::P521(*k.verifying_key()),
        }
    }

    /// Signs `msg` (hashed with the curve's hash), returning a DER signature.
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        match self {
            Self::P256(k) => k.sign_der_compat(msg),
            Self::P384(k) => k.sign_der_compat(msg),
            Self::P521(k) => k.sign_der_compat(msg),
        }
        .ok_or_else(|| Error::Key("signing failed".into()))
    }
}

/// PEM with 64-character base64 lines and LF line ends, ending in a newline.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = b64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Thin adapters over the `signature` traits, so the rest of the module reads the same for both
/// curves.
mod signature_compat {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    use p256::ecdsa::signature::{SignatureEncoding as _, Signer};

    pub(super) trait PrehashVerify<S> {
        fn verify_prehash_compat(&self, prehash: &[u8], sig: &S) -> bool;
    }

    impl<K: PrehashVerifier<S>, S> PrehashVerify<S> for K {
        fn verify_prehash_compat(&self, prehash: &[u8], sig: &S) -> bool {
            self.verify_prehash(prehash, sig).is_ok()
        }
    }

    pub(super) trait DigestSign {
        fn sign_der_compat(&self, msg: &[u8]) -> Option<Vec<u8>>;
    }

    impl DigestSign for p256::ecdsa::SigningKey {
        fn sign_der_compat(&self, msg: &[u8]) -> Option<Vec<u8>> {
            let sig: p256::ecdsa::Signature = self.try_sign(msg).ok()?;
            Some(sig.to_der().to_vec())
        }
    }

    impl DigestSign for p384::ecdsa::SigningKey {
        fn sign_der_compat(&self, msg: &[u8]) -> Option<Vec<u8>> {
            let sig: p384::ecdsa::Signature = self.try_sign(msg).ok()?;
            Some(sig.to_der().to_vec())
        }
    }

    impl DigestSign for p521::ecdsa::SigningKey {
        fn sign_der_compat(&self, msg: &[u8]) -> Option<Vec<u8>> {
            let sig: p521::ecdsa::Signature = self.try_sign(msg).ok()?;
            Some(sig.to_der().to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn signs_and_verifies_on_both_curves() {
        let k256 = PrivateKey::P256(p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap());
        let k384 = PrivateKey::P384(p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).unwrap());
        let k521 = PrivateKey::P521(p521::ecdsa::SigningKey::from_slice(&[1u8; 66]).unwrap());
        for k in [k256, k384, k521] {
            let pk = k.public_key();
            let sig = k.sign(b"msg").unwrap();
            assert!(pk.verify(b"msg", &sig, pk.default_hash()));
            assert!(!pk.verify(b"msh", &sig, pk.default_hash()));
            let pem = pk.canonical_pem().unwrap();
            assert_eq!(PublicKey::from_pem(&pem).unwrap(), pk);
        }
    }
}
