//! Artifact storage with S3-versioning semantics: the [`BlobStore`] trait and
//! [`LocalBlobStore`], its implementation over a directory.
//!
//! The trait follows the S3 API of a bucket with versioning enabled, so that an S3
//! implementation maps each method to one or two calls:
//!
//! | method | S3 |
//! |---|---|
//! | [`BlobStore::put`] | `PutObject` with `ChecksumSHA256` when a digest is declared (S3 then rejects a mismatch) and `ChecksumAlgorithm=SHA256` otherwise |
//! | [`BlobStore::put_content_addressed`] | with a declared digest: `HeadObject` on `sha256/<hex>` and, if absent, `PutObject` with `ChecksumSHA256`; without one: `PutObject` to a staging key, `CopyObject` to `sha256/<hex>`, `DeleteObject` + `DeleteObject?versionId` of the staging key |
//! | [`BlobStore::get`] | `GetObject` (with `versionId`), the body streamed |
//! | [`BlobStore::head`] | `HeadObject` (with `versionId`) |
//! | [`BlobStore::delete`] | `DeleteObject` without `versionId`: inserts a delete marker |
//! | [`BlobStore::delete_version`] | `DeleteObject?versionId`: removes that version for good |
//! | [`BlobStore::list_versions`] | `ListObjectVersions` with a prefix (versions and delete markers) |
//! | [`BlobStore::restore`] | `CopyObject` with `x-amz-copy-source: key?versionId=…` onto the same key |
//!
//! Bodies go in as `&mut dyn Read` and come out as a boxed reader, never as whole buffers;
//! version ids are opaque strings. Keys are relative `/` paths (see
//! [`crate::paths::is_valid_blob_key`]).
//!
//! # `LocalBlobStore` layout
//!
//! ```text
//! <root>/tmp/                             uploads in progress; emptied when the store is opened
//! <root>/objects/<escaped key>/<vid>       one object version (the bytes)
//! <root>/objects/<escaped key>/<vid>.deleted   a delete marker (empty file)
//! ```
//!
//! `<escaped key>` is the key with `%` written `%25` and `/` written `%2F`. A version id is the
//! 20-digit count of nanoseconds since the Unix epoch at which the version was created,
//! strictly increasing per key, so sorting the names orders the versions. Every version is
//! written to `tmp/`, hashed while streaming, `fsync`ed, and renamed into its key directory
//! (which is then `fsync`ed), so a version is either complete or absent after a crash.
//! Version files are never modified after the rename.

use crate::error::BlobError;
use crate::model::Sha256Digest;
use crate::paths::is_valid_blob_key;
use sha2::{Digest as _, Sha256};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use time::OffsetDateTime;

/// A streamed object body.
pub type BlobReader = Box<dyn Read + Send>;

/// The result of storing an object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub key: String,
    pub version_id: String,
    pub sha256: Sha256Digest,
    pub size: u64,
    /// `false` when a content-addressed put found the object already stored and added nothing.
    pub created: bool,
}

/// One entry of [`BlobStore::list_versions`] or [`BlobStore::head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub is_delete_marker: bool,
    /// Zero for delete markers.
    pub size: u64,
    pub last_modified: OffsetDateTime,
}

/// Versioned object storage (see the module documentation for the S3 mapping).
pub trait BlobStore: Send + Sync {
    /// Stores `body` as a new version of `key` and returns its version id. When
    /// `expected_sha256` is given and the content differs, nothing is stored.
    fn put(&self, key: &str, body: &mut dyn Read, expected_sha256: Option<&Sha256Digest>) -> Result<ObjectVersion, BlobError>;

    /// Stores `body` under `sha256/<hex of its digest>`. If that key's latest version exists
    /// already, nothing is written and that version is returned with `created: false`. When
    /// `expected_sha256` is given and the content differs, nothing is stored.
    fn put_content_addressed(&self, body: &mut dyn Read, expected_sha256: Option<&Sha256Digest>) -> Result<ObjectVersion, BlobError>;

    /// Streams a version of `key` (the latest when `version_id` is `None`; an error if the
    /// latest is a delete marker, or if the version named is one).
    fn get(&self, key: &str, version_id: Option<&str>) -> Result<BlobReader, BlobError>;

    /// Describes a version of `key` without its body (same rules as [`BlobStore::get`]).
    fn head(&self, key: &str, version_id: Option<&str>) -> Result<VersionEntry, BlobError>;

    /// Inserts a delete marker: the key is then absent, its earlier versions remain. Returns
    /// the marker's version id.
    fn delete(&self, key: &str) -> Result<String, BlobError>;

    /// Removes one version (object or delete marker) for good.
    fn delete_version(&self, key: &str, version_id: &str) -> Result<(), BlobError>;

    /// Every version and delete marker of every key starting with `prefix`: keys ascending,
    /// each key's versions newest first, the newest marked `is_latest`.
    fn list_versions(&self, prefix: &str) -> Result<Vec<VersionEntry>, BlobError>;

    /// Copies an earlier version to be the latest version of the same key, as S3's
    /// `CopyObject` from a `versionId` does, and returns the new version.
    fn restore(&self, key: &str, version_id: &str) -> Result<ObjectVersion, BlobError>;
}

/// Size of the buffer used to stream bodies (memory per transfer is bounded by it).
pub const COPY_BUFFER: usize = 1 << 20;

/// Copies `r` to `w` while hashing; returns the digest and byte count. `body_err` turns a read
/// error into the caller's error, `write_err` a write error.
pub(crate) fn copy_hashing<E>(
    r: &mut dyn Read,
    w: &mut dyn Write,
    body_err: impl Fn(std::io::Error) -> E,
    write_err: impl Fn(std::io::Error) -> E,
) -> Result<(Sha256Digest, u64), E> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut h = Sha256::new();
    let mut n: u64 = 0;
    loop {
        let k = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(body_err(e)),
        };
        let chunk = buf.get(..k).unwrap_or_default();
        h.update(chunk);
        w.write_all(chunk).map_err(&write_err)?;
        n += k as u64;
    }
    Ok((Sha256Digest(h.finalize().into()), n))
}

/// Hashes a whole stream.
pub(crate) fn hash_reader(r: &mut dyn Read) -> std::io::Result<(Sha256Digest, u64)> {
    copy_hashing(r, &mut std::io::sink(), |e| e, |e| e)
}

fn escape_key(key: &str) -> String {
    key.replace('%', "%25").replace('/', "%2F")
}

fn unescape_key(name: &str) -> String {
    name.replace("%2F", "/").replace("%25", "%")
}

const MARKER_SUFFIX: &str = ".deleted";

/// A [`BlobStore`] over a local directory (layout in the module documentation).
///
/// One store per directory per process: opening empties `tmp/`, so two processes must not
/// share a directory (the [`crate::Registry`] guarantees it through its metadata file lock).
pub struct LocalBlobStore {
    root: PathBuf,
    tmp_seq: AtomicU64,
    /// Serializes version-id allocation and renames into key directories.
    place: Mutex<u128>,
}

impl LocalBlobStore {
    /// Opens (creating if needed) a store under `root` and removes leftover temporary files.
    pub fn open(root: &Path) -> Result<LocalBlobStore, BlobError> {
        let io = Self::io;
        let tmp = root.join("tmp");
        let objects = root.join("objects");
        fs::create_dir_all(&tmp).map_err(io("creating directory", &tmp))?;
        fs::create_dir_all(&objects).map_err(io("creating directory", &objects))?;
        for e in fs::read_dir(&tmp).map_err(io("reading directory", &tmp))? {
            let e = e.map_err(io("reading directory", &tmp))?;
            let p = e.path();
            fs::remove_file(&p).map_err(io("removing leftover upload", &p))?;
        }
        Ok(LocalBlobStore { root: root.to_path_buf(), tmp_seq: AtomicU64::new(0), place: Mutex::new(0) })
    }

    /// The directory the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file holding a version's bytes (for tests and tools that inspect the layout).
    pub fn version_path(&self, key: &str, version_id: &str) -> PathBuf {
        self.key_dir(key).join(version_id)
    }

    fn key_dir(&self, key: &str) -> PathBuf {
        self.root.join("objects").join(escape_key(key))
    }

    fn io(op: &'static str, p: &Path) -> impl Fn(std::io::Error) -> BlobError {
        let path = p.display().to_string();
        move |source| BlobError::Io { op, path: path.clone(), source }
    }

    fn check_key(key: &str) -> Result<(), BlobError> {
        if is_valid_blob_key(key) {
            Ok(())
        } else {
            Err(BlobError::InvalidKey { key: key.to_string() })
        }
    }

    fn tmp_path(&self) -> PathBuf {
        let n = self.tmp_seq.fetch_add(1, Ordering::Relaxed);
        self.root.join("tmp").join(format!("{}-{}-{n}", std::process::id(), now_nanos()))
    }

    /// Streams `body` into a new temporary file, hashing it; the file is fsynced.
    fn spool(&self, key_for_errors: &str, body: &mut dyn Read) -> Result<(PathBuf, Sha256Digest, u64), BlobError> {
        let tmp = self.tmp_path();
        let mut f = File::create(&tmp).map_err(Self::io("creating temporary file", &tmp))?;
        let res = copy_hashing(body, &mut f, |source| BlobError::Body { key: key_for_errors.to_string(), source }, Self::io("writing temporary file", &tmp))
            .and_then(|r| f.sync_all().map_err(Self::io("syncing temporary file", &tmp)).map(|()| r));
        match res {
            Ok((d, n)) => Ok((tmp, d, n)),
            Err(e) => {
                drop(f);
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Version names present in a key directory: (version id, is delete marker), newest first.
    fn versions_of(&self, key: &str) -> Result<Vec<(String, bool)>, BlobError> {
        let dir = self.key_dir(key);
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::io("reading directory", &dir)(e)),
        };
        let mut out = Vec::new();
        for e in rd {
            let e = e.map_err(Self::io("reading directory", &dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            match name.strip_suffix(MARKER_SUFFIX) {
                Some(v) => out.push((v.to_string(), true)),
                None => out.push((name, false)),
            }
        }
        out.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(out)
    }

    /// Allocates a version id for `key` greater than every existing one. Call with `place` held.
    fn next_vid(&self, last: &mut u128, key: &str) -> Result<String, BlobError> {
        let newest = self.versions_of(key)?.first().and_then(|(v, _)| v.parse::<u128>().ok()).unwrap_or(0);
        let v = now_nanos().max(*last + 1).max(newest + 1);
        *last = v;
        Ok(format!("{v:020}"))
    }

    /// Renames a spooled file into place as a new version of `key`.
    fn place_file(&self, last: &mut u128, key: &str, tmp: &Path) -> Result<String, BlobError> {
        let dir = self.key_dir(key);
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(Self::io("creating directory", &dir))?;
            sync_dir(&self.root.join("objects"))?;
        }
        let vid = self.next_vid(last, key)?;
        let dest = dir.join(&vid);
        fs::rename(tmp, &dest).map_err(Self::io("renaming into place", &dest))?;
        sync_dir(&dir)?;
        Ok(vid)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, u128>, BlobError> {
        self.place.lock().map_err(|_| BlobError::Other("a thread panicked while placing a blob".into()))
    }

    fn resolve(&self, key: &str, version_id: Option<&str>) -> Result<VersionEntry, BlobError> {
        Self::check_key(key)?;
        let versions = self.versions_of(key)?;
        let pos = match version_id {
            None => {
                if versions.is_empty() {
                    return Err(BlobError::NotFound { key: key.to_string() });
                }
                0
            }
            Some(v) => versions
                .iter()
                .position(|(id, _)| id == v)
                .ok_or_else(|| BlobError::VersionNotFound { key: key.to_string(), version_id: v.to_string() })?,
        };
        let (vid, marker) = versions.get(pos).cloned().ok_or_else(|| BlobError::NotFound { key: key.to_string() })?;
        if marker {
            return Err(match version_id {
                None => BlobError::NotFound { key: key.to_string() },
                Some(_) => BlobError::DeleteMarker { key: key.to_string(), version_id: vid },
            });
        }
        self.entry(key, &vid, false, pos == 0)
    }

    fn entry(&self, key: &str, vid: &str, marker: bool, is_latest: bool) -> Result<VersionEntry, BlobError> {
        let p = if marker { self.key_dir(key).join(format!("{vid}{MARKER_SUFFIX}")) } else { self.key_dir(key).join(vid) };
        let md = fs::metadata(&p).map_err(Self::io("reading metadata", &p))?;
        let nanos = vid.parse::<i128>().unwrap_or(0);
        Ok(VersionEntry {
            key: key.to_string(),
            version_id: vid.to_string(),
            is_latest,
            is_delete_marker: marker,
            size: if marker { 0 } else { md.len() },
            last_modified: OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(LocalBlobStore::io("syncing directory", dir))
}

impl BlobStore for LocalBlobStore {
    fn put(&self, key: &str, body: &mut dyn Read, expected_sha256: Option<&Sha256Digest>) -> Result<ObjectVersion, BlobError> {
        Self::check_key(key)?;
        let (tmp, sha256, size) = self.spool(key, body)?;
        if let Some(expected) = expected_sha256 {
            if *expected != sha256 {
                let _ = fs::remove_file(&tmp);
                return Err(BlobError::DigestMismatch { key: key.to_string(), expected: *expected, actual: sha256 });
            }
        }
        let mut last = self.lock()?;
        let res = self.place_file(&mut last, key, &tmp);
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(ObjectVersion { key: key.to_string(), version_id: res?, sha256, size, created: true })
    }

    fn put_content_addressed(&self, body: &mut dyn Read, expected_sha256: Option<&Sha256Digest>) -> Result<ObjectVersion, BlobError> {
        let label = expected_sha256.map(|d| d.blob_key()).unwrap_or_else(|| "sha256/<pending>".to_string());
        let (tmp, sha256, size) = self.spool(&label, body)?;
        let key = sha256.blob_key();
        if let Some(expected) = expected_sha256 {
            if *expected != sha256 {
                let _ = fs::remove_file(&tmp);
                return Err(BlobError::DigestMismatch { key: label, expected: *expected, actual: sha256 });
            }
        }
        let mut last = self.lock()?;
        if let Some((vid, false)) = self.versions_of(&key)?.first() {
            let _ = fs::remove_file(&tmp);
            return Ok(ObjectVersion { key, version_id: vid.clone(), sha256, size, created: false });
        }
        let res = self.place_file(&mut last, &key, &tmp);
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(ObjectVersion { key, version_id: res?, sha256, size, created: true })
    }

    fn get(&self, key: &str, version_id: Option<&str>) -> Result<BlobReader, BlobError> {
        let e = self.resolve(key, version_id)?;
        let p = self.key_dir(key).join(&e.version_id);
        let f = File::open(&p).map_err(Self::io("opening", &p))?;
        Ok(Box::new(f))
    }

    fn head(&self, key: &str, version_id: Option<&str>) -> Result<VersionEntry, BlobError> {
        self.resolve(key, version_id)
    }

    fn delete(&self, key: &str) -> Result<String, BlobError> {
        Self::check_key(key)?;
        let mut last = self.lock()?;
        let dir = self.key_dir(key);
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(Self::io("creating directory", &dir))?;
            sync_dir(&self.root.join("objects"))?;
        }
        let vid = self.next_vid(&mut last, key)?;
        let p = dir.join(format!("{vid}{MARKER_SUFFIX}"));
        File::create_new(&p).and_then(|f| f.sync_all()).map_err(Self::io("creating delete marker", &p))?;
        sync_dir(&dir)?;
        Ok(vid)
    }

    fn delete_version(&self, key: &str, version_id: &str) -> Result<(), BlobError> {
        Self::check_key(key)?;
        let _last = self.lock()?;
        let marker = self
            .versions_of(key)?
            .into_iter()
            .find(|(v, _)| v == version_id)
            .map(|(_, m)| m)
            .ok_or_else(|| BlobError::VersionNotFound { key: key.to_string(), version_id: version_id.to_string() })?;
        let dir = self.key_dir(key);
        let p = if marker { dir.join(format!("{version_id}{MARKER_SUFFIX}")) } else { dir.join(version_id) };
        fs::remove_file(&p).map_err(Self::io("removing version", &p))?;
        sync_dir(&dir)
    }

    fn list_versions(&self, prefix: &str) -> Result<Vec<VersionEntry>, BlobError> {
        let objects = self.root.join("objects");
        let mut keys = Vec::new();
        for e in fs::read_dir(&objects).map_err(Self::io("reading directory", &objects))? {
            let e = e.map_err(Self::io("reading directory", &objects))?;
            let key = unescape_key(&e.file_name().to_string_lossy());
            if key.starts_with(prefix) {
                keys.push(key);
            }
        }
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            for (i, (vid, marker)) in self.versions_of(&key)?.into_iter().enumerate() {
                out.push(self.entry(&key, &vid, marker, i == 0)?);
            }
        }
        Ok(out)
    }

    fn restore(&self, key: &str, version_id: &str) -> Result<ObjectVersion, BlobError> {
        let mut src = self.get(key, Some(version_id))?;
        let (tmp, sha256, size) = self.spool(key, &mut src)?;
        let mut last = self.lock()?;
        let res = self.place_file(&mut last, key, &tmp);
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(ObjectVersion { key: key.to_string(), version_id: res?, sha256, size, created: true })
    }
}
