//! TLS and mutual TLS (rustls with the ring provider).
//!
//! Server: `[tls]` in the configuration names the certificate chain and key; with `client_ca`
//! every connection must present a client certificate that chains to one of those CAs, or the
//! handshake fails before any HTTP is read. Mutual TLS authenticates the client machine; the
//! bearer token still names the principal that Cedar authorizes, so both are needed.
//!
//! Client: [`ClientTls`] gives the CA to trust (instead of the public web roots) and, for
//! mutual TLS, the client certificate and key.

use crate::config::TlsFiles;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A certificate, key or CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("TLS {what} `{path}`: {message}")]
pub struct TlsError {
    pub what: &'static str,
    pub path: String,
    pub message: String,
}

fn err(what: &'static str, path: &Path, message: impl std::fmt::Display) -> TlsError {
    TlsError { what, path: path.display().to_string(), message: message.to_string() }
}

/// Every certificate in a PEM file; none is an error.
fn certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| err(what, path, e))?;
    let certs = iter.collect::<Result<Vec<_>, _>>().map_err(|e| err(what, path, e))?;
    if certs.is_empty() {
        return Err(err(what, path, "no `BEGIN CERTIFICATE` block in the file"));
    }
    Ok(certs)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's rustls configuration: its certificate, and client verification when
/// `client_ca` is set. HTTP/1.1 only (ALPN `http/1.1`).
pub fn server_config(t: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = certs("certificate", &t.cert)?;
    let key = PrivateKeyDer::from_pem_file(&t.key).map_err(|e| err("private key", &t.key, e))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().map_err(|e| err("certificate", &t.cert, e))?;
    let builder = match &t.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certs("client CA", ca)? {
                roots.add(c).map_err(|e| err("client CA", ca, e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build().map_err(|e| err("client CA", ca, e))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    // The key must belong to the certificate: rustls checks it here.
    let mut cfg = builder.with_single_cert(chain, key).map_err(|e| err("certificate and key", &t.cert, e))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// What the client trusts and presents.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// CA certificates (PEM) to trust instead of the public web roots.
    pub ca: Option<PathBuf>,
    /// Client certificate chain (PEM) for mutual TLS; needs `key`.
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key: Option<PathBuf>,
}

fn read(what: &'static str, p: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(p).map_err(|e| err(what, p, e))
}

/// Every certificate in a PEM file, for `ureq`; none is an error.
fn ureq_certs(what: &'static str, p: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, TlsError> {
    let pem = read(what, p)?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(c) = item.map_err(|e| err(what, p, e))? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(err(what, p, "no `BEGIN CERTIFICATE` block in the file"));
    }
    Ok(certs)
}

impl ClientTls {
    /// The `ureq` TLS configuration.
    pub fn ureq_config(&self) -> Result<ureq::tls::TlsConfig, TlsError> {
        let mut b = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::Rustls);
        if let Some(ca) = &self.ca {
            b = b.root_certs(ureq::tls::RootCerts::new_with_certs(&ureq_certs("CA", ca)?));
        }
        match (&self.cert, &self.key) {
            (None, None) => {}
            (Some(c), Some(k)) => {
                let chain = ureq_certs("client certificate", c)?;
                let key = ureq::tls::PrivateKey::from_pem(&read("client key", k)?).map_err(|e| err("client key", k, e))?;
                b = b.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&chain, key)));
            }
            (Some(c), None) => return Err(err("client certificate", c, "a client certificate needs its key (`--client-key`)")),
            (None, Some(k)) => return Err(err("client key", k, "a client key needs its certificate (`--client-cert`)")),
        }
        Ok(b.build())
    }
}
