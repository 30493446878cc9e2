//! [`Client`]: a blocking client of the HTTP API, one method per endpoint.
//!
//! Built on `ureq` (synchronous, no async runtime in the CLI). Uploads stream from files (the
//! file is hashed first, since the blob URL names the digest); downloads stream into a
//! temporary file next to the destination, hashed on the way, and are renamed into place
//! only when the digest matches the one recorded for the artifact.

use crate::api::*;
use mlguard_registry::{Alias, LineageView, ModelVersion, Sha256Digest};
use sha2::{Digest as _, Sha256};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Errors of the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error.
    #[error("server answered {status} ({code}): {message}")]
    Api { status: u16, code: String, message: String },
    #[error("request to `{url}` failed: {message}")]
    Transport { url: String, message: String },
    #[error("{op} `{path}`: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    #[error("artifact `{path}`: downloaded content has SHA-256 {actual}, expected {expected}; nothing was written")]
    DigestMismatch { path: String, expected: Sha256Digest, actual: Sha256Digest },
}

impl ClientError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn io_err(op: &'static str, p: &Path) -> impl Fn(std::io::Error) -> ClientError {
    let path = p.display().to_string();
    move |source| ClientError::Io { op, path: path.clone(), source }
}

/// Percent-encodes one path segment (everything but unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes an artifact path, keeping its `/` separators.
fn encode_path(p: &str) -> String {
    p.split('/').map(encode_segment).collect::<Vec<_>>().join("/")
}

/// Hashes a file.
pub fn hash_file(path: &Path) -> Result<(Sha256Digest, u64), ClientError> {
    let mut f = File::open(path).map_err(io_err("opening", path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io_err("reading", path))?;
        if k == 0 {
            break;
        }
        h.update(buf.get(..k).unwrap_or_default());
        n += k as u64;
    }
    Ok((Sha256Digest(h.finalize().into()), n))
}

/// A blocking client.
#[derive(Clone)]
pub struct Client {
    base: String,
    auth: String,
    agent: ureq::Agent,
}

type Resp = ureq::http::Response<ureq::Body>;

impl Client {
    /// A client of the server at `base` (`http://host:port`) presenting `token`; an `https`
    /// server's certificate must chain to the public web roots.
    pub fn new(base: &str, token: &str) -> Client {
        Client::with_tls_config(base, token, ureq::tls::TlsConfig::default())
    }

    /// A client that trusts `tls.ca` (instead of the public web roots) and, for mutual TLS,
    /// presents `tls.cert`.
    pub fn with_tls(base: &str, token: &str, tls: &crate::tls::ClientTls) -> Result<Client, crate::tls::TlsError> {
        Ok(Client::with_tls_config(base, token, tls.ureq_config()?))
    }

    fn with_tls_config(base: &str, token: &str, tls: ureq::tls::TlsConfig) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_idle_connections_per_host(16).tls_config(tls).build().into();
        Client { base: base.trim_end_matches('/').to_string(), auth: format!("Bearer {token}"), agent }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn transport(&self, path: &str, e: ureq::Error) -> ClientError {
        ClientError::Transport { url: self.url(path), message: e.to_string() }
    }

    /// Turns an error status into [`ClientError::Api`].
    fn check(resp: Resp) -> Result<Resp, ClientError> {
        let status = resp.status().as_u16();
        if status < 400 {
            return Ok(resp);
        }
        let text = resp.into_body().read_to_string().unwrap_or_default();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(b) => ClientError::Api { status, code: b.error, message: b.message },
            Err(_) => ClientError::Api { status, code: "http".into(), message: text },
        })
    }

    fn parse<T: serde::de::DeserializeOwned>(resp: Resp) -> Result<T, ClientError> {
        let resp = Self::check(resp)?;
        let bytes = resp.into_body().with_config().limit(256 << 20).read_to_vec().map_err(|e| ClientError::Protocol(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(format!("invalid JSON answer: {e}")))
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let r = self.agent.get(self.url(path)).header("authorization", &self.auth).call().map_err(|e| self.transport(path, e))?;
        Self::parse(r)
    }

    fn send_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(&self, method: &str, path: &str, body: &B) -> Result<T, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let url = self.url(path);
        let req = match method {
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        };
        let r = req.header("authorization", &self.auth).content_type("application/json").send(&bytes[..]).map_err(|e| self.transport(path, e))?;
        Self::parse(r)
    }

    pub fn health(&self) -> Result<Health, ClientError> {
        self.get("/v1/health")
    }

    pub fn list_groups(&self) -> Result<GroupList, ClientError> {
        self.get("/v1/groups")
    }

    pub fn create_group(&self, req: &CreateGroup) -> Result<GroupInfo, ClientError> {
        self.send_json("POST", "/v1/groups", req)
    }

    pub fn show_group(&self, group: &str) -> Result<GroupView, ClientError> {
        self.get(&format!("/v1/groups/{}", encode_segment(group)))
    }

    pub fn list_versions(&self, group: &str) -> Result<VersionList, ClientError> {
        self.get(&format!("/v1/groups/{}/versions", encode_segment(group)))
    }

    pub fn show_version(&self, group: &str, version: u64) -> Result<ModelVersion, ClientError> {
        self.get(&format!("/v1/groups/{}/versions/{version}", encode_segment(group)))
    }

    /// Uploads a blob whose digest is known, streaming from `body`.
    pub fn put_blob(&self, group: &str, digest: &Sha256Digest, body: &mut dyn Read, size: Option<u64>) -> Result<BlobStored, ClientError> {
        let path = format!("/v1/groups/{}/blobs/sha256/{}", encode_segment(group), digest.to_hex());
        let mut req = self.agent.put(self.url(&path)).header("authorization", &self.auth).content_type("application/octet-stream");
        if let Some(n) = size {
            req = req.header("content-length", n.to_string());
        }
        let r = req.send(ureq::SendBody::from_reader(body)).map_err(|e| self.transport(&path, e))?;
        Self::parse(r)
    }

    /// Hashes a file and uploads it as a blob.
    pub fn put_blob_file(&self, group: &str, file: &Path) -> Result<BlobStored, ClientError> {
        let (digest, size) = hash_file(file)?;
        let mut f = File::open(file).map_err(io_err("opening", file))?;
        self.put_blob(group, &digest, &mut f, Some(size))
    }

    pub fn create_version(&self, group: &str, req: &CreateVersion) -> Result<ModelVersion, ClientError> {
        self.send_json("POST", &format!("/v1/groups/{}/versions", encode_segment(group)), req)
    }

    /// Uploads every file (`(artifact path, local file)`) and creates the version.
    pub fn push(&self, group: &str, files: &[(String, PathBuf)], mut meta: CreateVersion) -> Result<ModelVersion, ClientError> {
        meta.artifacts.clear();
        for (path, file) in files {
            let b = self.put_blob_file(group, file)?;
            meta.artifacts.push(ArtifactRef { path: path.clone(), sha256: b.sha256 });
        }
        self.create_version(group, &meta)
    }

    pub fn delete_version(&self, group: &str, version: u64, reason: &str, governance_override: bool) -> Result<DeleteOut, ClientError> {
        let path = format!("/v1/groups/{}/versions/{version}", encode_segment(group));
        let r = self
            .agent
            .delete(self.url(&path))
            .header("authorization", &self.auth)
            .query("reason", reason)
            .query("governance_override", if governance_override { "true" } else { "false" })
            .call()
            .map_err(|e| self.transport(&path, e))?;
        Self::parse(r)
    }

    /// Downloads one artifact into `dest` (a file path): written to a temporary name in the
    /// same directory, hashed while streaming, renamed only when it matches both the digest
    /// the server announces and `expected`.
    pub fn download(&self, group: &str, version: u64, artifact: &str, expected: &Sha256Digest, dest: &Path) -> Result<u64, ClientError> {
        let path = format!("/v1/groups/{}/versions/{version}/artifacts/{}", encode_segment(group), encode_path(artifact));
        let r = self.agent.get(self.url(&path)).header("authorization", &self.auth).call().map_err(|e| self.transport(&path, e))?;
        let r = Self::check(r)?;
        let announced = r.headers().get(DIGEST_HEADER).and_then(|v| v.to_str().ok()).and_then(Sha256Digest::from_hex);
        if announced.as_ref() != Some(expected) {
            return Err(ClientError::Protocol(format!("the server announced digest {announced:?} for `{artifact}`, expected {expected}")));
        }
        let dir = dest.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        fs::create_dir_all(&dir).map_err(io_err("creating directory", &dir))?;
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "artifact".into());
        let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let res = (|| {
            let mut f = File::create(&tmp).map_err(io_err("creating", &tmp))?;
            let mut body = r.into_body().into_reader();
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut n = 0u64;
            loop {
                let k = match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(k) => k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(ClientError::Transport { url: self.url(&path), message: format!("download interrupted: {e}") }),
                };
                let chunk = buf.get(..k).unwrap_or_default();
                h.update(chunk);
                f.write_all(chunk).map_err(io_err("writing", &tmp))?;
                n += k as u64;
            }
            f.sync_all().map_err(io_err("syncing", &tmp))?;
            let actual = Sha256Digest(h.finalize().into());
            if actual != *expected {
                return Err(ClientError::DigestMismatch { path: artifact.to_string(), expected: *expected, actual });
            }
            Ok(n)
        })();
        match res {
            Ok(n) => {
                fs::rename(&tmp, dest).map_err(io_err("renaming into place", dest))?;
                Ok(n)
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Downloads every artifact of a version under `dest`; returns the files and bytes.
    pub fn pull(&self, group: &str, version: u64, dest: &Path) -> Result<(Vec<PathBuf>, u64), ClientError> {
        let v = self.show_version(group, version)?;
        let mut files = Vec::new();
        let mut bytes = 0;
        for a in &v.artifacts {
            // The registry validated the path; check again before writing under `dest`.
            if mlguard_registry::paths::check_artifact_path(&a.path).is_err() {
                return Err(ClientError::Protocol(format!("the server sent an unsafe artifact path `{}`", a.path)));
            }
            let target = a.path.split('/').fold(dest.to_path_buf(), |p, c| p.join(c));
            bytes += self.download(group, version, &a.path, &a.sha256, &target)?;
            files.push(target);
        }
        Ok((files, bytes))
    }

    pub fn set_approval(&self, group: &str, version: u64, status: Decision, reason: &str) -> Result<ModelVersion, ClientError> {
        self.send_json("POST", &format!("/v1/groups/{}/versions/{version}/approval", encode_segment(group)), &ApprovalIn { status, reason: reason.into() })
    }

    /// Sends a signature bundle (`model.sig`).
    pub fn put_signature(&self, group: &str, version: u64, bundle: &[u8]) -> Result<ModelVersion, ClientError> {
        let path = format!("/v1/groups/{}/versions/{version}/signature", encode_segment(group));
        let r = self.agent.put(self.url(&path)).header("authorization", &self.auth).content_type("application/json").send(bundle).map_err(|e| self.transport(&path, e))?;
        Self::parse(r)
    }

    pub fn lineage(&self, group: &str, version: u64) -> Result<LineageView, ClientError> {
        self.get(&format!("/v1/groups/{}/versions/{version}/lineage", encode_segment(group)))
    }

    pub fn record_deployment(&self, group: &str, version: u64, endpoint: &str) -> Result<ModelVersion, ClientError> {
        self.send_json("POST", &format!("/v1/groups/{}/versions/{version}/deployments", encode_segment(group)), &DeploymentIn { endpoint: endpoint.into() })
    }

    pub fn list_aliases(&self, group: &str) -> Result<AliasList, ClientError> {
        self.get(&format!("/v1/groups/{}/aliases", encode_segment(group)))
    }

    pub fn show_alias(&self, group: &str, alias: &str) -> Result<Alias, ClientError> {
        self.get(&format!("/v1/groups/{}/aliases/{}", encode_segment(group), encode_segment(alias)))
    }

    pub fn set_alias(&self, group: &str, alias: &str, version: u64, reason: &str) -> Result<Alias, ClientError> {
        self.send_json("PUT", &format!("/v1/groups/{}/aliases/{}", encode_segment(group), encode_segment(alias)), &SetAliasIn { version, reason: reason.into() })
    }

    pub fn rollback(&self, group: &str, alias: &str, reason: &str) -> Result<RollbackOut, ClientError> {
        self.send_json("POST", &format!("/v1/groups/{}/aliases/{}/rollback", encode_segment(group), encode_segment(alias)), &RollbackIn { reason: reason.into() })
    }

    pub fn trained_on(&self, dataset_uri: &str, version_id: Option<&str>) -> Result<TrainedOn, ClientError> {
        let mut path = format!("/v1/lineage?dataset_uri={}", encode_segment(dataset_uri));
        if let Some(v) = version_id {
            path.push_str(&format!("&version_id={}", encode_segment(v)));
        }
        self.get(&path)
    }

    pub fn verify(&self, group: Option<&str>) -> Result<VerifyOut, ClientError> {
        self.send_json("POST", "/v1/verify", &VerifyIn { group: group.map(str::to_string) })
    }

    pub fn audit_log(&self) -> Result<AuditLog, ClientError> {
        self.get("/v1/audit-log")
    }

    pub fn verify_audit_log(&self) -> Result<LogVerifyOut, ClientError> {
        self.get("/v1/audit-log/verify")
    }
}
