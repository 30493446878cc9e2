//! The model registry's artifact store in an S3 bucket with versioning enabled: an
//! implementation of [`mlguard_registry::BlobStore`] with the AWS SDK.
//!
//! The mapping of each method to S3 calls is the one documented in `mlguard_registry::blob`,
//! with one change: a body is first spooled to a local temporary file while it is hashed, so
//! that its digest is known (and checked against the declared one) before anything reaches the
//! bucket, memory stays bounded, and the upload can state its length and its SHA-256 checksum
//! (`x-amz-checksum-sha256`), which S3 verifies on arrival. Bodies up to [`SINGLE_PUT_MAX`] go
//! up in one `PutObject`; larger ones as a multipart upload of [`PART_SIZE`] parts, aborted on
//! any failure so that no partial object version is ever created.
//!
//! Opening the store checks `GetBucketVersioning`: a bucket without versioning `Enabled` is
//! refused, since the registry's promises (earlier versions survive an overwrite or a delete)
//! rest on it.
//!
//! The trait is synchronous; the store runs its own Tokio runtime and blocks on it, so it must
//! not be called from inside an asynchronous task (a server calls it from blocking threads).

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls;
use mlguard_registry::{BlobError, BlobReader, BlobStore, ObjectVersion, Sha256Digest, VersionEntry};
use sha2::{Digest as _, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::runtime::Runtime;

/// Largest body sent in one `PutObject` (S3's limit is 5 GiB).
pub const SINGLE_PUT_MAX: u64 = 1 << 30;
/// Part size of multipart uploads (S3 allows 10,000 parts: up to 1.25 TiB per artifact).
pub const PART_SIZE: u64 = 128 << 20;

/// Where the store lives and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct S3BlobOptions {
    pub bucket: String,
    /// Prepended to every key (`registry/` puts artifacts under `registry/sha256/...`).
    pub prefix: String,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// An S3-compatible endpoint instead of AWS (moto, MinIO); path-style addressing is used.
    pub endpoint_url: Option<String>,
    /// Where bodies are spooled before upload (default: the system's temporary directory).
    pub spool_dir: Option<PathBuf>,
    /// Bodies larger than this go up as multipart uploads (default [`SINGLE_PUT_MAX`]).
    pub multipart_threshold: Option<u64>,
    /// Part size of multipart uploads (default [`PART_SIZE`]; S3's minimum is 5 MiB).
    pub part_size: Option<u64>,
}

/// A [`BlobStore`] over an S3 bucket with versioning enabled.
pub struct S3BlobStore {
    rt: Runtime,
    client: Client,
    bucket: String,
    prefix: String,
    spool_dir: PathBuf,
    seq: AtomicU64,
    multipart_threshold: u64,
    part_size: u64,
}

fn other(what: impl std::fmt::Display) -> BlobError {
    BlobError::Other(what.to_string())
}

/// The service's error code and message, or the transport failure, as one line.
fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> String {
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match err.code() {
                Some(code) => format!("{code}: {}", err.message().unwrap_or("")),
                // No error code in the body: the HTTP status is what there is.
                None => format!("HTTP {} with no error code ({err})", s.raw().status().as_u16()),
            }
        }
        other => {
            let mut s = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(e) = src {
                s.push_str(": ");
                s.push_str(&e.to_string());
                src = e.source();
            }
            s
        }
    }
}

fn status<E>(e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

fn is_delete_marker<E>(e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> bool {
    e.raw_response().and_then(|r| r.headers().get("x-amz-delete-marker")).is_some_and(|v| v == "true")
}

fn odt(t: Option<&aws_sdk_s3::primitives::DateTime>) -> OffsetDateTime {
    t.and_then(|t| OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.secs()) * 1_000_000_000 + i128::from(t.subsec_nanos())).ok()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl S3BlobStore {
    /// Connects (credentials from the standard chain) and checks that versioning is enabled.
    pub fn open(opts: &S3BlobOptions) -> Result<S3BlobStore, BlobError> {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| other(format!("starting the S3 client runtime: {e}")))?;
        let client = rt.block_on(async {
            let http = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring)).build_https();
            // No overall operation timeout: a large artifact may take long; a stalled connection
            // is caught by the read timeout.
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .http_client(http)
                .retry_config(RetryConfig::standard().with_max_attempts(5))
                .timeout_config(TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).read_timeout(Duration::from_secs(120)).build());
            if let Some(p) = &opts.profile {
                loader = loader.profile_name(p);
            }
            if let Some(u) = &opts.endpoint_url {
                loader = loader.endpoint_url(u);
            }
            if let Some(r) = &opts.region {
                loader = loader.region(Region::new(r.clone()));
            }
            let conf = loader.load().await;
            let s3 = aws_sdk_s3::config::Builder::from(&conf).force_path_style(opts.endpoint_url.is_some()).build();
            Client::from_conf(s3)
        });
        let store = S3BlobStore {
            rt,
            client,
            bucket: opts.bucket.clone(),
            prefix: opts.prefix.clone(),
            spool_dir: opts.spool_dir.clone().unwrap_or_else(std::env::temp_dir),
            seq: AtomicU64::new(0),
            multipart_threshold: opts.multipart_threshold.unwrap_or(SINGLE_PUT_MAX),
            part_size: opts.part_size.unwrap_or(PART_SIZE).max(5 << 20),
        };
        let v = store
            .rt
            .block_on(store.client.get_bucket_versioning().bucket(&store.bucket).send())
            .map_err(|e| other(format!("s3://{}: GetBucketVersioning: {}", store.bucket, describe(&e))))?;
        if v.status() != Some(&BucketVersioningStatus::Enabled) {
            return Err(other(format!(
                "s3://{}: versioning is {} (it must be Enabled: earlier artifact versions are what `verify` restores from)",
                store.bucket,
                v.status().map(|s| s.as_str()).unwrap_or("not configured")
            )));
        }
        Ok(store)
    }

    fn full(&self, key: &str) -> Result<String, BlobError> {
        if !mlguard_registry::paths::is_valid_blob_key(key) {
            return Err(BlobError::InvalidKey { key: key.to_owned() });
        }
        Ok(format!("{}{key}", self.prefix))
    }

    /// Writes `body` to a spool file while hashing it.
    fn spool(&self, label: &str, body: &mut dyn Read) -> Result<Spooled, BlobError> {
        std::fs::create_dir_all(&self.spool_dir).map_err(|source| BlobError::Io { op: "creating spool directory", path: self.spool_dir.display().to_string(), source })?;
        let path = self.spool_dir.join(format!(".mlguard-s3-{}-{}.part", std::process::id(), self.seq.fetch_add(1, Ordering::Relaxed)));
        let mut guard = Spooled { path, sha256: Sha256Digest([0; 32]), size: 0 };
        let mut f = std::fs::File::create(&guard.path).map_err(|source| BlobError::Io { op: "creating spool file", path: guard.path.display().to_string(), source })?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(BlobError::Body { key: label.to_owned(), source }),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            h.update(chunk);
            f.write_all(chunk).map_err(|source| BlobError::Io { op: "writing spool file", path: guard.path.display().to_string(), source })?;
            size += n as u64;
        }
        guard.sha256 = Sha256Digest(h.finalize().into());
        guard.size = size;
        Ok(guard)
    }

    /// Uploads a spooled body as a new version of `key`; returns the version id.
    fn upload(&self, key: &str, s: &Spooled) -> Result<String, BlobError> {
        let full = self.full(key)?;
        let checksum = aws_smithy_types::base64::encode(s.sha256.0);
        self.rt.block_on(async {
            if s.size <= self.multipart_threshold {
                let body = ByteStream::from_path(&s.path).await.map_err(|e| other(format!("reading spool file: {e}")))?;
                let out = self
                    .client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&full)
                    .content_length(s.size as i64)
                    .checksum_sha256(&checksum)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| other(format!("s3://{}/{full}: PutObject: {}", self.bucket, describe(&e))))?;
                return out.version_id.ok_or_else(|| other(format!("s3://{}/{full}: PutObject returned no version id (is versioning enabled?)", self.bucket)));
            }
            let up = self
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&full)
                .send()
                .await
                .map_err(|e| other(format!("s3://{}/{full}: CreateMultipartUpload: {}", self.bucket, describe(&e))))?;
            let id = up.upload_id.unwrap_or_default();
            let res = self.parts(&full, &id, s).await;
            match res {
                Ok(v) => Ok(v),
                Err(e) => {
                    let _ = self.client.abort_multipart_upload().bucket(&self.bucket).key(&full).upload_id(&id).send().await;
                    Err(e)
                }
            }
        })
    }

    async fn parts(&self, full: &str, id: &str, s: &Spooled) -> Result<String, BlobError> {
        let mut done = Vec::new();
        let mut offset = 0u64;
        let mut number = 1i32;
        while offset < s.size {
            let len = self.part_size.min(s.size - offset);
            let body = ByteStream::read_from().path(&s.path).offset(offset).length(aws_smithy_types::byte_stream::Length::Exact(len)).build().await.map_err(|e| other(format!("reading spool file: {e}")))?;
            let p = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(full)
                .upload_id(id)
                .part_number(number)
                .content_length(len as i64)
                .body(body)
                .send()
                .await
                .map_err(|e| other(format!("s3://{}/{full}: UploadPart {number}: {}", self.bucket, describe(&e))))?;
            done.push(CompletedPart::builder().part_number(number).set_e_tag(p.e_tag).build());
            offset += len;
            number += 1;
        }
        let out = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(full)
            .upload_id(id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
            .send()
            .await
            .map_err(|e| other(format!("s3://{}/{full}: CompleteMultipartUpload: {}", self.bucket, describe(&e))))?;
        out.version_id.ok_or_else(|| other(format!("s3://{}/{full}: CompleteMultipartUpload returned no version id", self.bucket)))
    }

    /// Every version and delete marker under `prefix` (full keys), S3's order within a key.
    fn list_full(&self, prefix: &str) -> Result<Vec<VersionEntry>, BlobError> {
        let mut out = Vec::new();
        let (mut key_marker, mut vid_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .rt
                .block_on(self.client.list_object_versions().bucket(&self.bucket).prefix(prefix).set_key_marker(key_marker.take()).set_version_id_marker(vid_marker.take()).send())
                .map_err(|e| other(format!("s3://{}/{prefix}: ListObjectVersions: {}", self.bucket, describe(&e))))?;
            for v in page.versions() {
                out.push(VersionEntry {
                    key: v.key().unwrap_or_default().to_owned(),
                    version_id: v.version_id().unwrap_or_default().to_owned(),
                    is_latest: v.is_latest().unwrap_or(false),
                    is_delete_marker: false,
                    size: v.size().unwrap_or(0).max(0) as u64,
                    last_modified: odt(v.last_modified()),
                });
            }
            for m in page.delete_markers() {
                out.push(VersionEntry {
                    key: m.key().unwrap_or_default().to_owned(),
                    version_id: m.version_id().unwrap_or_default().to_owned(),
                    is_latest: m.is_latest().unwrap_or(false),
                    is_delete_marker: true,
                    size: 0,
                    last_modified: odt(m.last_modified()),
                });
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            vid_marker = page.next_version_id_marker().map(str::to_owned);
            if key_marker.is_none() {
                break;
            }
        }
        // Versions and delete markers come in two lists: merge them, keys ascending, the latest
        // first, then newest first (stable, so S3's order stands among equal times).
        out.sort_by(|a, b| a.key.cmp(&b.key).then(b.is_latest.cmp(&a.is_latest)).then(b.last_modified.cmp(&a.last_modified)));
        Ok(out)
    }

    fn entry(&self, key: &str, version_id: &str) -> Result<VersionEntry, BlobError> {
        let full = self.full(key)?;
        let strip = |mut e: VersionEntry| {
            e.key = key.to_owned();
            e
        };
        self.list_full(&full)?
            .into_iter()
            .find(|e| e.key == full && e.version_id == version_id)
            .map(strip)
            .ok_or_else(|| BlobError::VersionNotFound { key: key.to_owned(), version_id: version_id.to_owned() })
    }
}

/// A spooled body; its file is removed when it goes out of scope.
struct Spooled {
    path: PathBuf,
    sha256: Sha256Digest,
    size: u64,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A `GetObject` body read synchronously, chunk by chunk.
struct S3Reader {
    rt: tokio::runtime::Handle,
    body: ByteStream,
    /// The unread rest of the last chunk received.
    chunk: bytes::Bytes,
    what: String,
}

impl Read for S3Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rt.block_on(self.body.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(std::io::Error::other(format!("{}: {e}", self.what))),
            }
        }
        let n = self.chunk.len().min(buf.len());
        let head = self.chunk.split_to(n);
        buf.get_mut(..n).unwrap_or_default().copy_from_slice(&head);
        Ok(n)
    }
}

impl BlobStore for S3BlobStore {
    fn put(&self, key: &str, body: &mut dyn Read, expected_sha256: Option<&Sha256Digest>) -> Result<ObjectVersion, BlobError> {
        self.full(key)?;
        let s = self.spool(key, body)?;
        if let Some(expected) = expected_sha256 {
            if *expected != s.sha256 {
                return Err(BlobError::DigestMismatch { key: key.to_owned(), expected: *expected, actual: s.sha256 });
            }
        }
        let version_id = self.upload(key, &s)?;
        Ok(ObjectVersion { key: key.to_owned(), version_id, sha256: s.sha256, size: s.size, created: true })
    }

    fn put_content_addressed(&self, body: &mut dyn Read, expected_sha256: Option<&Sha256Digest>) -> Result<ObjectVersion, BlobError> {
        let label = expected_sha256.map(|d| d.blob_key()).unwrap_or_else(|| "sha256/<pending>".to_owned());
        let s = self.spool(&label, body)?;
        if let Some(expected) = expected_sha256 {
            if *expected != s.sha256 {
                return Err(BlobError::DigestMismatch { key: label, expected: *expected, actual: s.sha256 });
            }
        }
        let key = s.sha256.blob_key();
        match self.head(&key, None) {
            Ok(e) => return Ok(ObjectVersion { key, version_id: e.version_id, sha256: s.sha256, size: e.size, created: false }),
            Err(BlobError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let version_id = self.upload(&key, &s)?;
        Ok(ObjectVersion { key, version_id, sha256: s.sha256, size: s.size, created: true })
    }

    fn get(&self, key: &str, version_id: Option<&str>) -> Result<BlobReader, BlobError> {
        let full = self.full(key)?;
        let out = self.rt.block_on(self.client.get_object().bucket(&self.bucket).key(&full).set_version_id(version_id.map(str::to_owned)).send());
        match out {
            Ok(o) => Ok(Box::new(S3Reader { rt: self.rt.handle().clone(), body: o.body, chunk: bytes::Bytes::new(), what: format!("s3://{}/{full}", self.bucket) })),
            Err(e) => Err(self.not_found(key, version_id, &e, "GetObject")),
        }
    }

    fn head(&self, key: &str, version_id: Option<&str>) -> Result<VersionEntry, BlobError> {
        if let Some(v) = version_id {
            let e = self.entry(key, v)?;
            if e.is_delete_marker {
                return Err(BlobError::DeleteMarker { key: key.to_owned(), version_id: v.to_owned() });
            }
            return Ok(e);
        }
        let full = self.full(key)?;
        match self.rt.block_on(self.client.head_object().bucket(&self.bucket).key(&full).send()) {
            Ok(o) => Ok(VersionEntry {
                key: key.to_owned(),
                version_id: o.version_id().unwrap_or_default().to_owned(),
                is_latest: true,
                is_delete_marker: false,
                size: o.content_length().unwrap_or(0).max(0) as u64,
                last_modified: odt(o.last_modified()),
            }),
            Err(e) => Err(self.not_found(key, None, &e, "HeadObject")),
        }
    }

    fn delete(&self, key: &str) -> Result<String, BlobError> {
        let full = self.full(key)?;
        let out = self
            .rt
            .block_on(self.client.delete_object().bucket(&self.bucket).key(&full).send())
            .map_err(|e| other(format!("s3://{}/{full}: DeleteObject: {}", self.bucket, describe(&e))))?;
        out.version_id.ok_or_else(|| other(format!("s3://{}/{full}: DeleteObject returned no delete marker version id", self.bucket)))
    }

    fn delete_version(&self, key: &str, version_id: &str) -> Result<(), BlobError> {
        // S3 answers a delete of a version that does not exist with success; the trait says
        // that is an error.
        self.entry(key, version_id)?;
        let full = self.full(key)?;
        self.rt
            .block_on(self.client.delete_object().bucket(&self.bucket).key(&full).version_id(version_id).send())
            .map_err(|e| other(format!("s3://{}/{full}?versionId={version_id}: DeleteObject: {}", self.bucket, describe(&e))))?;
        Ok(())
    }

    fn list_versions(&self, prefix: &str) -> Result<Vec<VersionEntry>, BlobError> {
        let full = format!("{}{prefix}", self.prefix);
        let mut v = self.list_full(&full)?;
        for e in &mut v {
            if let Some(k) = e.key.strip_prefix(&self.prefix) {
                e.key = k.to_owned();
            }
        }
        Ok(v)
    }

    fn restore(&self, key: &str, version_id: &str) -> Result<ObjectVersion, BlobError> {
        let e = self.entry(key, version_id)?;
        if e.is_delete_marker {
            return Err(BlobError::DeleteMarker { key: key.to_owned(), version_id: version_id.to_owned() });
        }
        // The digest of the restored content: read it back rather than trusting a stored value.
        let mut r = self.get(key, Some(version_id))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = r.read(&mut buf).map_err(|source| BlobError::Body { key: key.to_owned(), source })?;
            if n == 0 {
                break;
            }
            h.update(buf.get(..n).unwrap_or_default());
            size += n as u64;
        }
        let sha256 = Sha256Digest(h.finalize().into());
        let full = self.full(key)?;
        let source = format!("{}/{}?versionId={}", self.bucket, encode_key(&full), version_id);
        let out = self
            .rt
            .block_on(self.client.copy_object().bucket(&self.bucket).key(&full).copy_source(source).send())
            .map_err(|e| other(format!("s3://{}/{full}: CopyObject from version {version_id}: {}", self.bucket, describe(&e))))?;
        let version_id = out.version_id.ok_or_else(|| other(format!("s3://{}/{full}: CopyObject returned no version id", self.bucket)))?;
        Ok(ObjectVersion { key: key.to_owned(), version_id, sha256, size, created: true })
    }
}

impl S3BlobStore {
    /// Maps a failed `GetObject`/`HeadObject` to the trait's absent-object errors.
    fn not_found<E: ProvideErrorMetadata + std::error::Error + 'static>(&self, key: &str, version_id: Option<&str>, e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>, op: &str) -> BlobError {
        match (status(e), version_id) {
            // GetObject of a version that is a delete marker: 405 Method Not Allowed.
            (Some(405), Some(v)) => BlobError::DeleteMarker { key: key.to_owned(), version_id: v.to_owned() },
            (Some(404), Some(v)) if is_delete_marker(e) => BlobError::DeleteMarker { key: key.to_owned(), version_id: v.to_owned() },
            (Some(400 | 404), Some(v)) => BlobError::VersionNotFound { key: key.to_owned(), version_id: v.to_owned() },
            // No such key, or its latest version is a delete marker.
            (Some(404), None) => BlobError::NotFound { key: key.to_owned() },
            _ => other(format!("s3://{}/{}{key}: {op}: {}", self.bucket, self.prefix, describe(e))),
        }
    }
}

/// Percent-encodes a key for `x-amz-copy-source` (unreserved characters and `/` kept).
fn encode_key(key: &str) -> String {
    let mut s = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Used by tests: the spool directory's leftover files (there should be none).
pub fn spool_leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(".mlguard-s3-"))).collect())
        .unwrap_or_default()
}
