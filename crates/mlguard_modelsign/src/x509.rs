//! X.509 path validation for the certificate method, as the tool asks OpenSSL for it: the leaf
//! from the bundle, the bundle's other certificates as untrusted intermediates, the caller's
//! certificates as the trust store, all checked at one instant (the leaf's `notBefore`).
//!
//! What is checked, for every link `child -> issuer`:
//! - the issuer's subject equals the child's issuer name (DER equality);
//! - the child's signature verifies with the issuer's key (RSA PKCS #1 v1.5 with SHA-256/384/512,
//!   ECDSA P-256/P-384/P-521 with SHA-256/384/512);
//! - the issuer is a CA (basicConstraints `cA`, or a version 1 self-issued certificate), its
//!   keyUsage (if present) allows `keyCertSign`, and its `pathLenConstraint` is respected;
//! - every certificate in the path is valid at the chosen instant;
//! - no certificate has a critical extension other than basicConstraints, keyUsage,
//!   extendedKeyUsage, subjectAltName, certificatePolicies, subject/authority key identifier;
//! - the path ends at a self-issued certificate that is one of the caller's certificates.
//!
//! Not checked: revocation (CRL, OCSP), name constraints (a critical one is rejected), policies,
//! the self-signature of the trust anchor, and extended key usage of the CAs.

use rsa::pkcs1v15;
use rsa::signature::Verifier as _;
use x509_cert::der::{Decode as _, DecodePem as _, Encode as _};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::spki::ObjectIdentifier;
use x509_cert::Certificate;

use crate::keys::{Hash, PublicKey};
use crate::Error;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

const EXT_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const EXT_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXT_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
const EXT_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const EXT_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
pub(crate) const KP_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

const MAX_DEPTH: usize = 10;

/// A parsed certificate and its DER.
#[derive(Clone)]
pub(crate) struct Cert {
    pub der: Vec<u8>,
    pub cert: Certificate,
}

impl Cert {
    pub(crate) fn from_der(der: Vec<u8>, what: &str) -> Result<Self, Error> {
        let cert = Certificate::from_der(&der).map_err(|e| {
            Error::Certificate(format!("{what} is not a DER X.509 certificate: {e}"))
        })?;
        Ok(Self { der, cert })
    }

    pub(crate) fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    pub(crate) fn issuer(&self) -> String {
        self.cert.tbs_certificate().issuer().to_string()
    }

    fn subject_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate()
            .subject()
            .to_der()
            .unwrap_or_default()
    }

    fn issuer_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate()
            .issuer()
            .to_der()
            .unwrap_or_default()
    }

    fn self_issued(&self) -> bool {
        self.subject_der() == self.issuer_der()
    }

    /// `notBefore` and `notAfter`, as seconds since the Unix epoch.
    pub(crate) fn validity(&self) -> (u64, u64) {
        let v = self.cert.tbs_certificate().validity();
        (
            v.not_before.to_unix_duration().as_secs(),
            v.not_after.to_unix_duration().as_secs(),
        )
    }

    fn spki_der(&self) -> Result<Vec<u8>, Error> {
        self.cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| {
                Error::Certificate(format!(
                    "cannot encode the key of `{}`: {e}",
                    self.subject()
                ))
            })
    }

    /// The leaf's key, which must be ECDSA on P-256, P-384 or P-521.
    pub(crate) fn ec_public_key(&self) -> Result<PublicKey, Error> {
        PublicKey::from_spki_der(&self.spki_der()?).map_err(|_| {
            Error::Certificate(format!(
                "the key of `{}` is not an ECDSA key on P-256, P-384 or P-521",
                self.subject()
            ))
        })
    }

    /// Extensions by OID: (critical, DER value).
    pub(crate) fn extensions(&self) -> Vec<(ObjectIdentifier, bool, &[u8])> {
        self.cert
            .tbs_certificate()
            .extensions()
            .map(|exts| {
                exts.iter()
                    .map(|e| (e.extn_id, e.critical, e.extn_value.as_bytes()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        self.extensions()
            .into_iter()
            .find(|(id, _, _)| *id == oid)
            .map(|(_, _, v)| v)
    }

    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, Error> {
        self.extension(EXT_KEY_USAGE)
            .map(|v| {
                KeyUsage::from_der(v).map_err(|e| {
                    Error::Certificate(format!("bad keyUsage in `{}`: {e}", self.subject()))
                })
            })
            .transpose()
    }

    pub(crate) fn ext_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, Error> {
        self.extension(EXT_EXT_KEY_USAGE)
            .map(|v| {
                ExtendedKeyUsage::from_der(v).map_err(|e| {
                    Error::Certificate(format!("bad extendedKeyUsage in `{}`: {e}", self.subject()))
                })
            })
            .transpose()
    }

    fn basic_constraints(&self) -> Result<Option<BasicConstraints>, Error> {
        self.extension(EXT_BASIC_CONSTRAINTS)
            .map(|v| {
                BasicConstraints::from_der(v).map_err(|e| {
                    Error::Certificate(format!("bad basicConstraints in `{}`: {e}", self.subject()))
                })
            })
            .transpose()
    }

    /// Whether this certificate's signature verifies with `issuer`'s key.
    fn signed_by(&self, issuer: &Cert) -> Result<bool, Error> {
        let tbs =
            self.cert.tbs_certificate().to_der().map_err(|e| {
                Error::Certificate(format!("cannot encode `{}`: {e}", self.subject()))
            })?;
        let sig = self.cert.signature().raw_bytes();
        let alg = self.cert.signature_algorithm().oid;
        let key_alg = issuer
            .cert
            .tbs_certificate()
            .subject_public_key_info()
            .algorithm
            .oid;
        let spki = issuer.spki_der()?;
        let unsupported = || Error::Unsupported {
            what: "certificate signature algorithm",
            value: format!("{alg} with a {key_alg} key (in `{}`)", self.subject()),
        };
        if alg == SHA256_WITH_RSA || alg == SHA384_WITH_RSA || alg == SHA512_WITH_RSA {
            if key_alg != RSA_ENCRYPTION {
                return Ok(false);
            }
            use rsa::pkcs8::DecodePublicKey as _;
            let key = rsa::PublicKey::from_public_key_der(&spki).map_err(|e| {
                Error::Certificate(format!("bad RSA key in `{}`: {e}", issuer.subject()))
            })?;
            let Ok(s) = pkcs1v15::Signature::try_from(sig) else {
                return Ok(false);
            };
            let ok = if alg == SHA256_WITH_RSA {
                pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                    .verify(&tbs, &s)
                    .is_ok()
            } else if alg == SHA384_WITH_RSA {
                pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key)
                    .verify(&tbs, &s)
                    .is_ok()
            } else {
                pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key)
                    .verify(&tbs, &s)
                    .is_ok()
            };
            return Ok(ok);
        }
        let hash = if alg == ECDSA_SHA256 {
            Hash::Sha256
        } else if alg == ECDSA_SHA384 {
            Hash::Sha384
        } else if alg == ECDSA_SHA512 {
            Hash::Sha512
        } else {
            return Err(unsupported());
        };
        if key_alg != EC_PUBLIC_KEY {
            return Ok(false);
        }
        let key = PublicKey::from_spki_der(&spki).map_err(|_| unsupported())?;
        Ok(key.verify(&tbs, sig, hash))
    }
}

/// Reads every `CERTIFICATE` block of the given PEM texts.
pub(crate) fn certs_from_pems(pems: &[&str]) -> Result<Vec<Cert>, Error> {
    let mut out = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        const END: &str = "-----END CERTIFICATE-----";
        let mut rest = *pem;
        let mut found = 0;
        while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
            let tail = rest.get(start..).unwrap_or_default();
            let Some(end) = tail.find(END) else { break };
            let block = tail.get(..end + END.len()).unwrap_or_default();
            let cert = Certificate::from_pem(block.as_bytes()).map_err(|e| {
                Error::Certificate(format!(
                    "certificate {} of trusted PEM {} is not valid: {e}",
                    found + 1,
                    i + 1
                ))
            })?;
            let der = cert
                .to_der()
                .map_err(|e| Error::Certificate(e.to_string()))?;
            out.push(Cert { der, cert });
            found += 1;
            rest = tail.get(end + END.len()..).unwrap_or_default();
        }
        if found == 0 {
            return Err(Error::Certificate(format!(
                "trusted PEM {} holds no certificate",
                i + 1
            )));
        }
    }
    Ok(out)
}

fn check_time(c: &Cert, at: u64) -> Result<(), Error> {
    let (nb, na) = c.validity();
    if at < nb || at > na {
        return Err(Error::Certificate(format!(
            "`{}` is not valid at {} (valid from {} to {})",
            c.subject(),
            fmt_time(at),
            fmt_time(nb),
            fmt_time(na)
        )));
    }
    Ok(())
}

pub(crate) fn fmt_time(secs: u64) -> String {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
    match t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    }) {
        Some(s) => s,
        None => format!("{secs}s after the epoch"),
    }
}

fn check_critical(c: &Cert) -> Result<(), Error> {
    for (oid, critical, _) in c.extensions() {
        let known = [
            EXT_BASIC_CONSTRAINTS,
            EXT_KEY_USAGE,
            EXT_EXT_KEY_USAGE,
            EXT_SAN,
            EXT_POLICIES,
            EXT_SKI,
            EXT_AKI,
        ];
        if critical && !known.contains(&oid) {
            return Err(Error::Certificate(format!(
                "`{}` has a critical extension `{oid}` that is not supported",
                c.subject()
            )));
        }
    }
    Ok(())
}

fn check_ca(c: &Cert, below: usize) -> Result<(), Error> {
    let bc = c.basic_constraints()?;
    let v1 = c.cert.tbs_certificate().version() == x509_cert::Version::V1;
    let is_ca = match &bc {
        Some(bc) => bc.ca,
        None => v1 && c.self_issued(),
    };
    if !is_ca {
        return Err(Error::Certificate(format!(
            "`{}` issues certificates but is not a CA",
            c.subject()
        )));
    }
    if let Some(ku) = c.key_usage()? {
        if !ku.key_cert_sign() {
            return Err(Error::Certificate(format!(
                "`{}` issues certificates but its keyUsage lacks keyCertSign",
                c.subject()
            )));
        }
    }
    // `below` counts the non-self-issued CA certificates between this one and the leaf.
    if let Some(limit) = bc.and_then(|b| b.path_len_constraint) {
        if below > usize::from(limit) {
            return Err(Error::Certificate(format!(
                "`{}` allows {limit} intermediate certificates below it, the path has {below}",
                c.subject()
            )));
        }
    }
    Ok(())
}

/// The validated path: leaf first, trust anchor last.
pub(crate) struct Path {
    pub certs: Vec<Cert>,
}

/// Builds and checks a path from `leaf` to one of `anchors`, through `intermediates` (from the
/// bundle, untrusted) or `anchors`, at the instant `at` (seconds since the epoch).
pub(crate) fn verify_path(
    leaf: &Cert,
    intermediates: &[Cert],
    anchors: &[Cert],
    at: u64,
) -> Result<Path, Error> {
    check_time(leaf, at)?;
    check_critical(leaf)?;
    let mut path = vec![leaf.clone()];
    let mut ca_below = 0usize;
    loop {
        let Some(current) = path.last() else {
            return Err(Error::Certificate("empty path".into()));
        };
        if current.self_issued() && anchors.iter().any(|a| a.der == current.der) {
            return Ok(Path { certs: path });
        }
        if path.len() > MAX_DEPTH {
            return Err(Error::Certificate(format!(
                "no trusted root within {MAX_DEPTH} certificates"
            )));
        }
        let mut found = None;
        let mut reasons = Vec::new();
        for cand in anchors.iter().chain(intermediates) {
            if cand.subject_der() != current.issuer_der() || path.iter().any(|p| p.der == cand.der)
            {
                continue;
            }
            if !current.signed_by(cand)? {
                reasons.push(format!(
                    "the signature of `{}` does not verify with the key of `{}`",
                    current.subject(),
                    cand.subject()
                ));
                continue;
            }
            found = Some(cand.clone());
            break;
        }
        let Some(issuer) = found else {
            let why = if reasons.is_empty() {
                format!(
                    "no issuer `{}` for `{}` among the bundle's chain and the trusted certificates",
                    current.issuer(),
                    current.subject()
                )
            } else {
                reasons.join("; ")
            };
            return Err(Error::Certificate(why));
        };
        check_time(&issuer, at)?;
        check_critical(&issuer)?;
        check_ca(&issuer, ca_below)?;
        if path.len() > 1 && !current.self_issued() {
            ca_below += 1;
        }
        path.push(issuer);
    }
}

/// The tool's rule for the signing certificate: keyUsage with digitalSignature, or else an
/// extendedKeyUsage with codeSigning.
pub(crate) fn check_leaf_usage(leaf: &Cert) -> Result<(), Error> {
    if let Some(ku) = leaf.key_usage()? {
        if ku.digital_signature() {
            return Ok(());
        }
    }
    if let Some(eku) = leaf.ext_key_usage()? {
        if eku.0.contains(&KP_CODE_SIGNING) {
            return Ok(());
        }
    }
    Err(Error::Certificate(format!(
        "`{}` cannot be used for signing (keyUsage lacks digitalSignature and extendedKeyUsage lacks codeSigning)",
        leaf.subject()
    )))
}
