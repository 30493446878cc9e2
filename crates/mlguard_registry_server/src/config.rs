//! The server's configuration file (TOML, unknown keys rejected).
//!
//! ```toml
//! listen = "127.0.0.1:8470"
//! data_dir = "/var/lib/mlguard/registry"
//! token_file = "/etc/mlguard/tokens.json"
//! # pepper_file = "/etc/mlguard/token-pepper"     # raw bytes, for `hmac-sha256` token files
//! # schema_file = "registry.cedarschema"          # default: the bundled schema
//! # policy_file = "registry.cedar"                # default: the bundled policies
//! # max_json_bytes = 1048576
//! # max_artifact_bytes = 68719476736
//! # signing_keys = ["keys/release-signer.pub.pem"]   # OpenSSF model-signing public keys trusted
//! # signing_cas = ["keys/ca.pem"]                   # CA certificates for certificate signatures
//! # [s3]                                           # artifacts in S3 instead of data_dir/blobs
//! # bucket = "ml-artifacts"                        # versioning must be Enabled
//! # prefix = "registry/"
//! # region = "eu-west-1"
//! # [tls]                                          # https instead of http
//! # cert = "server.pem"                            # certificate chain, PEM
//! # key = "server.key"                             # its private key, PEM
//! # client_ca = "clients-ca.pem"                   # mutual TLS: clients need a certificate from this CA
//! ```
//!
//! Relative paths are taken relative to the configuration file's directory.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Default limit of JSON request bodies: 1 MiB.
pub const DEFAULT_MAX_JSON: u64 = 1 << 20;
/// Default limit of one artifact upload: 64 GiB.
pub const DEFAULT_MAX_ARTIFACT: u64 = 64 << 30;
/// Limit of a signature bundle (`model.sig`): 1 MiB.
pub const MAX_SIGNATURE: u64 = 1 << 20;

/// `mlguard registry serve --config FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The registry's data directory (created if needed).
    pub data_dir: PathBuf,
    /// The token file (`mlguard registry token add` writes it).
    pub token_file: PathBuf,
    /// The HMAC pepper of an `hmac-sha256` token file.
    #[serde(default)]
    pub pepper_file: Option<PathBuf>,
    /// A Cedar schema replacing the bundled one.
    #[serde(default)]
    pub schema_file: Option<PathBuf>,
    /// Cedar policies replacing the bundled ones.
    #[serde(default)]
    pub policy_file: Option<PathBuf>,
    /// Largest JSON request body, in bytes.
    #[serde(default = "default_max_json")]
    pub max_json_bytes: u64,
    /// Largest artifact upload, in bytes.
    #[serde(default = "default_max_artifact")]
    pub max_artifact_bytes: u64,
    /// Public keys (PEM) whose OpenSSF model signatures (`model.sig`, key method) are accepted.
    #[serde(default)]
    pub signing_keys: Vec<PathBuf>,
    /// CA certificates (PEM) that certificate-method signatures must chain to.
    #[serde(default)]
    pub signing_cas: Vec<PathBuf>,
    /// Artifacts in an S3 bucket (with versioning enabled) instead of `data_dir/blobs`; the
    /// metadata and the audit log stay in `data_dir`. Used by the `mlguard` binary, which links
    /// the AWS SDK.
    #[serde(default)]
    pub s3: Option<S3Store>,
    /// Serve https (and, with `client_ca`, require client certificates).
    #[serde(default)]
    pub tls: Option<TlsFiles>,
}

/// `[tls]`: the server's certificate and key, and the CA of client certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain (PEM), the server's own certificate first.
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
    /// CA certificates (PEM); when set, every client must present a certificate chaining to one.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// `[s3]`: where artifacts live in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Store {
    pub bucket: String,
    /// Prepended to every artifact key (`registry/` gives `registry/sha256/<hex>`).
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub region: Option<String>,
    /// A profile of the AWS configuration files (default: the standard credential chain).
    #[serde(default)]
    pub profile: Option<String>,
    /// An S3-compatible endpoint instead of AWS (path-style addressing).
    #[serde(default)]
    pub endpoint_url: Option<String>,
}

fn default_max_json() -> u64 {
    DEFAULT_MAX_JSON
}

fn default_max_artifact() -> u64 {
    DEFAULT_MAX_ARTIFACT
}

/// Errors reading a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid configuration `{path}`: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// A configuration with the defaults.
    pub fn new(listen: SocketAddr, data_dir: PathBuf, token_file: PathBuf) -> Config {
        Config {
            listen,
            data_dir,
            token_file,
            pepper_file: None,
            schema_file: None,
            policy_file: None,
            max_json_bytes: DEFAULT_MAX_JSON,
            max_artifact_bytes: DEFAULT_MAX_ARTIFACT,
            signing_keys: Vec::new(),
            signing_cas: Vec::new(),
            s3: None,
            tls: None,
        }
    }

    /// Reads a configuration file; relative paths in it are resolved against its directory.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        let mut c: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid { path: path.display().to_string(), message: e.to_string() })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut c.data_dir);
        resolve(&mut c.token_file);
        for p in [&mut c.pepper_file, &mut c.schema_file, &mut c.policy_file].into_iter().flatten() {
            resolve(p);
        }
        for p in c.signing_keys.iter_mut().chain(c.signing_cas.iter_mut()) {
            resolve(p);
        }
        if let Some(t) = &mut c.tls {
            resolve(&mut t.cert);
            resolve(&mut t.key);
            if let Some(ca) = &mut t.client_ca {
                resolve(ca);
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_and_defaults_apply() {
        let ok: Config = toml::from_str("listen = \"127.0.0.1:0\"\ndata_dir = \"d\"\ntoken_file = \"t\"\n").unwrap();
        assert_eq!(ok.max_json_bytes, DEFAULT_MAX_JSON);
        assert_eq!(ok.max_artifact_bytes, DEFAULT_MAX_ARTIFACT);
        let bad = toml::from_str::<Config>("listen = \"127.0.0.1:0\"\ndata_dir = \"d\"\ntoken_file = \"t\"\nmax_json = 3\n");
        assert!(bad.unwrap_err().to_string().contains("max_json"));
    }
}
