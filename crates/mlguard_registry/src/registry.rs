//! [`Registry`]: the rules of the model registry over a [`MetadataStore`], a [`BlobStore`] and
//! the audit log.

use crate::blob::{copy_hashing, hash_reader, BlobStore, LocalBlobStore, ObjectVersion};
use crate::error::{BlobError, RegistryError};
use crate::log::{self, LogEntry, LogRecord, LogReport, LogWriter};
use crate::meta::{LogHead, MetaRead, MetaWrite, MetadataStore};
use crate::meta_redb::RedbStore;
use crate::model::*;
use crate::paths::{check_path_set, is_valid_alias_name, is_valid_group_name, validate_artifact_path};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use time::OffsetDateTime;

/// File name of the metadata database in the data directory.
pub const META_FILE: &str = "registry.redb";
/// Directory of the local blob store in the data directory.
pub const BLOB_DIR: &str = "blobs";

/// Where the registry gets the time (tests use a fixed or advancing clock).
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The system clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// One artifact file of a push.
pub struct ArtifactUpload<'a> {
    /// Relative `/` path; validated.
    pub path: String,
    /// The digest the client declares; the content must match it or nothing is stored.
    pub sha256: Option<Sha256Digest>,
    /// The content, streamed.
    pub body: Box<dyn Read + Send + 'a>,
}

/// A version to push.
#[derive(Default)]
pub struct NewVersion<'a> {
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, String>,
    pub lineage: Lineage,
    pub artifacts: Vec<ArtifactUpload<'a>>,
}

/// A version to create from blobs already stored ([`Registry::push_stored`]): the fields of
/// [`NewVersion`], with each artifact named by its path and the digest of a stored blob.
#[derive(Debug, Clone, Default)]
pub struct StoredVersion {
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, String>,
    pub lineage: Lineage,
    /// `(path, digest)` of each artifact.
    pub artifacts: Vec<(String, Sha256Digest)>,
}

/// The metadata fields of a new version.
struct StoredFields {
    description: String,
    tags: BTreeMap<String, String>,
    metrics: BTreeMap<String, String>,
    lineage: Lineage,
}

/// How to delete a version.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Why; required (non-empty) when overriding governance retention.
    pub reason: String,
    /// Delete a version under `Governance` retention before it expires. The caller must have
    /// checked that the actor holds the override right (the registry does no authorization);
    /// the override is logged. Has no effect on `Compliance` retention.
    pub governance_override: bool,
}

/// What a deletion did to the blob store (the metadata change is committed either way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteReport {
    /// `key@version_id` of blob versions deleted because nothing references them any more.
    pub blobs_deleted: Vec<String>,
    /// Blob versions that could not be deleted (unreferenced, safe to remove later).
    pub blob_errors: Vec<String>,
}

/// What `pull` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub files: Vec<PathBuf>,
    pub bytes: u64,
}

/// What is wrong with a stored artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactFault {
    /// The pinned blob version's bytes no longer hash to the digest (overwritten out of band).
    PinnedChanged { actual: Sha256Digest },
    /// The pinned blob version cannot be read.
    PinnedMissing { error: String },
    /// The key's latest version differs from the pinned one and does not hash to the digest
    /// (someone put a new version of the key).
    LatestChanged { latest_version_id: String, actual: Sha256Digest },
    /// The key's latest version is a delete marker, or the key is gone.
    LatestAbsent,
}

/// One problem found by [`Registry::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactProblem {
    pub digest: Sha256Digest,
    pub key: String,
    pub pinned_version_id: String,
    pub fault: ArtifactFault,
    /// Versions (and artifact paths) using this blob.
    pub used_by: Vec<(VersionRef, String)>,
    /// Stored blob versions of the key whose bytes do match the digest (restore candidates).
    pub matching_versions: Vec<String>,
}

/// The outcome of [`Registry::verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Distinct blobs re-hashed.
    pub blobs_checked: usize,
    pub bytes_hashed: u64,
    pub problems: Vec<ArtifactProblem>,
}

/// The model registry. `Send + Sync`: share it in an `Arc` between server threads. Writes are
/// serialized (one state change, one metadata transaction, one log entry at a time); reads
/// run concurrently on consistent snapshots, and artifact uploads and downloads stream
/// outside any lock.
pub struct Registry {
    meta: Box<dyn MetadataStore>,
    blobs: Box<dyn BlobStore>,
    log: Mutex<LogWriter>,
    log_path: PathBuf,
    clock: Arc<dyn Clock>,
    pull_seq: AtomicU64,
}

fn invalid_name(what: &'static str, name: &str, rule: &'static str) -> RegistryError {
    RegistryError::InvalidName { what, name: name.to_string(), rule }
}

fn check_group_name(name: &str) -> Result<(), RegistryError> {
    if is_valid_group_name(name) {
        Ok(())
    } else {
        Err(invalid_name("model package group name", name, "1 to 63 letters, digits and inner hyphens"))
    }
}

fn check_alias_name(name: &str) -> Result<(), RegistryError> {
    if is_valid_alias_name(name) {
        Ok(())
    } else {
        Err(invalid_name("alias", name, "a lowercase letter, then up to 62 lowercase letters, digits, `-` or `_`"))
    }
}

fn get_group(m: &dyn MetaRead, group: &str) -> Result<ModelGroup, RegistryError> {
    m.group(group)?.ok_or_else(|| RegistryError::GroupNotFound { group: group.to_string() })
}

fn get_version(m: &dyn MetaRead, group: &str, version: u64) -> Result<ModelVersion, RegistryError> {
    get_group(m, group)?;
    m.version(group, version)?.ok_or_else(|| RegistryError::VersionNotFound { group: group.to_string(), version })
}

fn get_live_version(m: &dyn MetaRead, group: &str, version: u64) -> Result<ModelVersion, RegistryError> {
    let v = get_version(m, group, version)?;
    if v.deleted.is_some() {
        return Err(RegistryError::VersionDeleted { group: group.to_string(), version });
    }
    Ok(v)
}

fn target(group: &str, version: u64) -> String {
    format!("{group}/{version}")
}

/// Where an alias stands once rollbacks are taken as undoing the moves they undo: the versions
/// it was set to, oldest first, the current one last.
fn alias_stack(alias: &Alias) -> Vec<u64> {
    let mut stack: Vec<u64> = Vec::new();
    for m in &alias.history {
        match m.kind {
            AliasMoveKind::Set => stack.push(m.version),
            AliasMoveKind::Rollback => {
                while stack.last().is_some_and(|v| *v != m.version) {
                    stack.pop();
                }
                if stack.is_empty() {
                    stack.push(m.version);
                }
            }
        }
    }
    stack
}

/// Where a rollback of `alias` goes: the newest earlier version on its stack that is not the
/// current one, not deleted and still Approved.
fn rollback_target_in(m: &dyn MetaRead, group: &str, alias: &Alias) -> Result<Option<u64>, RegistryError> {
    let current = alias.current();
    for cand in alias_stack(alias).iter().rev().skip(1) {
        if Some(*cand) == current {
            continue;
        }
        if let Some(v) = m.version(group, *cand)? {
            if v.deleted.is_none() && v.status == ApprovalStatus::Approved {
                return Ok(Some(*cand));
            }
        }
    }
    Ok(None)
}

impl Registry {
    /// Opens (creating if needed) a registry in `dir` with the system clock:
    /// `dir/registry.redb`, `dir/audit.log`, `dir/blobs/` (see the crate documentation).
    pub fn open(dir: &Path) -> Result<Registry, RegistryError> {
        Registry::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// [`Registry::open`] with a given clock.
    pub fn open_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Registry, RegistryError> {
        fs::create_dir_all(dir).map_err(|source| RegistryError::Io { op: "creating directory", path: dir.display().to_string(), source })?;
        let meta = RedbStore::open(&dir.join(META_FILE))?;
        let blobs = LocalBlobStore::open(&dir.join(BLOB_DIR))?;
        Registry::with_stores(Box::new(meta), Box::new(blobs), &dir.join(log::LOG_FILE), clock)
    }

    /// A registry over other stores (e.g. S3 and a networked database), with the audit log at
    /// `log_path`. Removes an uncommitted log tail left by a crash.
    pub fn with_stores(meta: Box<dyn MetadataStore>, blobs: Box<dyn BlobStore>, log_path: &Path, clock: Arc<dyn Clock>) -> Result<Registry, RegistryError> {
        let head = meta.read()?.log_head()?;
        let log = LogWriter::open(log_path, &head)?;
        Ok(Registry { meta, blobs, log: Mutex::new(log), log_path: log_path.to_path_buf(), clock, pull_seq: AtomicU64::new(0) })
    }

    /// The blob store.
    pub fn blob_store(&self) -> &dyn BlobStore {
        &*self.blobs
    }

    fn lock(&self) -> Result<MutexGuard<'_, LogWriter>, RegistryError> {
        self.log.lock().map_err(|_| RegistryError::Corrupt { what: "audit log writer".into(), message: "a thread panicked while writing".into() })
    }

    /// Runs one state change: one metadata transaction and one log entry. The log entry is
    /// made durable before the transaction commits and removed if the commit fails.
    fn commit_with<R>(
        &self,
        log: &mut LogWriter,
        f: impl FnOnce(&mut dyn MetaWrite, OffsetDateTime) -> Result<(R, LogRecord), RegistryError>,
    ) -> Result<R, RegistryError> {
        let now = self.clock.now();
        let mut tx = self.meta.write()?;
        let (r, record) = f(&mut *tx, now)?;
        if record.actor.trim().is_empty() {
            return Err(invalid_name("actor", &record.actor, "every change needs the acting principal's id"));
        }
        let head = tx.log_head()?;
        let entry = LogEntry::next(&head, record, now).map_err(|e| RegistryError::Corrupt { what: "audit entry".into(), message: e.to_string() })?;
        tx.set_log_head(&entry.head())?;
        let before = log.append(&entry)?;
        if let Err(e) = tx.commit() {
            let _ = log.undo(before);
            return Err(e.into());
        }
        Ok(r)
    }

    fn change<R>(&self, f: impl FnOnce(&mut dyn MetaWrite, OffsetDateTime) -> Result<(R, LogRecord), RegistryError>) -> Result<R, RegistryError> {
        let mut log = self.lock()?;
        self.commit_with(&mut log, f)
    }

    // ----- groups -----

    /// Creates a model package group.
    pub fn create_group(&self, name: &str, description: &str, settings: GroupSettings, actor: &str) -> Result<ModelGroup, RegistryError> {
        check_group_name(name)?;
        self.change(|tx, now| {
            if tx.group(name)?.is_some() {
                return Err(RegistryError::GroupExists { group: name.to_string() });
            }
            let g = ModelGroup {
                name: name.to_string(),
                description: description.to_string(),
                created_by: actor.to_string(),
                created_at: now,
                settings: settings.clone(),
                latest_version: 0,
            };
            tx.put_group(&g)?;
            let rec = LogRecord::new(actor, "CreateModelPackageGroup", name, "")
                .with("require_signature", settings.require_signature)
                .with("retention", format!("{:?}", settings.retention));
            Ok((g, rec))
        })
    }

    /// Replaces a group's settings (they apply to later approvals).
    pub fn update_group_settings(&self, name: &str, settings: GroupSettings, actor: &str, reason: &str) -> Result<ModelGroup, RegistryError> {
        self.change(|tx, _| {
            let mut g = get_group(tx, name)?;
            let rec = LogRecord::new(actor, "UpdateModelPackageGroup", name, reason)
                .with("old", format!("{:?}", g.settings))
                .with("new", format!("{settings:?}"));
            g.settings = settings;
            tx.put_group(&g)?;
            Ok((g, rec))
        })
    }

    pub fn group(&self, name: &str) -> Result<ModelGroup, RegistryError> {
        get_group(&*self.meta.read()?, name)
    }

    pub fn groups(&self) -> Result<Vec<ModelGroup>, RegistryError> {
        Ok(self.meta.read()?.groups()?)
    }

    // ----- versions -----

    /// Uploads the artifacts (streamed, hashed, content-addressed; outside any lock) and then
    /// creates the next version of `group` in one transaction. If anything fails, no version
    /// is created and blobs this push added are removed again.
    pub fn push(&self, group: &str, new: NewVersion<'_>, actor: &str) -> Result<ModelVersion, RegistryError> {
        self.check_new_version(group, &new.artifacts.iter().map(|a| a.path.as_str()).collect::<Vec<_>>())?;

        let NewVersion { description, tags, metrics, lineage, artifacts } = new;
        let mut uploaded: Vec<(String, ObjectVersion)> = Vec::with_capacity(artifacts.len());
        for mut a in artifacts {
            match self.blobs.put_content_addressed(&mut a.body, a.sha256.as_ref()) {
                Ok(o) => uploaded.push((a.path, o)),
                Err(e) => {
                    self.discard_unreferenced(&uploaded);
                    return Err(match e {
                        BlobError::DigestMismatch { expected, actual, .. } => RegistryError::DigestMismatch { path: a.path, expected, actual },
                        e => e.into(),
                    });
                }
            }
        }
        let res = self.commit_version(group, StoredFields { description, tags, metrics, lineage }, &uploaded, actor);
        // Whether committed or not: drop new blob versions that no record pins.
        self.discard_unreferenced(&uploaded);
        res
    }

    /// Uploads one artifact body into the blob store (streamed, hashed, content-addressed,
    /// outside any lock) without creating a version: the first half of [`Registry::push`].
    /// When `expected` is given and the content differs, nothing is stored. The blob stays
    /// unreferenced until [`Registry::push_stored`] names it.
    pub fn put_artifact(&self, body: &mut dyn Read, expected: Option<&Sha256Digest>) -> Result<ObjectVersion, RegistryError> {
        Ok(self.blobs.put_content_addressed(body, expected)?)
    }

    /// Creates the next version of `group` from blobs already stored (by an earlier push or by
    /// [`Registry::put_artifact`]) in one transaction: the second half of [`Registry::push`],
    /// with the same validation. A digest with neither a blob record nor a stored blob is
    /// [`RegistryError::BlobMissing`], and nothing is created.
    pub fn push_stored(&self, group: &str, new: StoredVersion, actor: &str) -> Result<ModelVersion, RegistryError> {
        self.check_new_version(group, &new.artifacts.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>())?;
        let StoredVersion { description, tags, metrics, lineage, artifacts } = new;
        let mut stored: Vec<(String, ObjectVersion)> = Vec::with_capacity(artifacts.len());
        {
            let r = self.meta.read()?;
            for (path, digest) in artifacts {
                let o = match r.blob(&digest)? {
                    Some(rec) => ObjectVersion { key: rec.key, version_id: rec.version_id, sha256: digest, size: rec.size, created: false },
                    None => match self.blobs.head(&digest.blob_key(), None) {
                        Ok(e) => ObjectVersion { key: e.key, version_id: e.version_id, sha256: digest, size: e.size, created: false },
                        Err(BlobError::NotFound { .. }) => return Err(RegistryError::BlobMissing { path, digest }),
                        Err(e) => return Err(e.into()),
                    },
                };
                stored.push((path, o));
            }
        }
        self.commit_version(group, StoredFields { description, tags, metrics, lineage }, &stored, actor)
    }

    /// The checks `push` and `push_stored` make before storing anything.
    fn check_new_version(&self, group: &str, paths: &[&str]) -> Result<(), RegistryError> {
        check_group_name(group)?;
        if paths.is_empty() {
            return Err(RegistryError::NoArtifacts);
        }
        for p in paths {
            validate_artifact_path(p)?;
        }
        check_path_set(paths.iter().copied())?;
        get_group(&*self.meta.read()?, group)?;
        Ok(())
    }

    /// Creates the next version of `group` over stored blobs in one transaction (shared by
    /// `push` and `push_stored`).
    fn commit_version(&self, group: &str, fields: StoredFields, uploaded: &[(String, ObjectVersion)], actor: &str) -> Result<ModelVersion, RegistryError> {
        let StoredFields { description, tags, metrics, lineage } = fields;
        self.change(|tx, now| {
            let mut g = get_group(tx, group)?;
            let number = g.latest_version + 1;
            let mut arts = Vec::with_capacity(uploaded.len());
            for (path, o) in uploaded {
                let rec = match tx.blob(&o.sha256)? {
                    Some(mut r) => {
                        r.refs += 1;
                        r
                    }
                    None => {
                        // The blob may have been deleted since the upload found it stored.
                        self.blobs.head(&o.key, Some(&o.version_id))?;
                        BlobRecord { key: o.key.clone(), version_id: o.version_id.clone(), size: o.size, refs: 1 }
                    }
                };
                tx.put_blob(&o.sha256, Some(&rec))?;
                arts.push(Artifact { path: path.clone(), sha256: o.sha256, size: o.size });
            }
            let v = ModelVersion {
                group: group.to_string(),
                version: number,
                description,
                tags,
                metrics,
                created_by: actor.to_string(),
                created_at: now,
                artifacts: arts,
                status: ApprovalStatus::PendingManualApproval,
                approval_history: Vec::new(),
                signature: None,
                retention: None,
                lineage,
                deployments: Vec::new(),
                deleted: None,
            };
            let vref = VersionRef { group: group.to_string(), version: number };
            for d in &v.lineage.datasets {
                tx.index_dataset(&d.uri, d.version_id.as_deref(), &vref)?;
            }
            tx.put_version(&v)?;
            g.latest_version = number;
            tx.put_group(&g)?;
            let mut rec = LogRecord::new(actor, "PushModelVersion", target(group, number), "").with("artifacts", v.artifacts.len()).with("bytes", v.size());
            for a in &v.artifacts {
                rec = rec.with(&format!("artifact:{}", a.path), a.sha256);
            }
            Ok((v, rec))
        })
    }

    /// Deletes blob versions this process created that no blob record pins.
    fn discard_unreferenced(&self, uploaded: &[(String, ObjectVersion)]) {
        let Ok(_guard) = self.lock() else { return };
        let Ok(r) = self.meta.read() else { return };
        for (_, o) in uploaded.iter().filter(|(_, o)| o.created) {
            let pinned = matches!(r.blob(&o.sha256), Ok(Some(rec)) if rec.version_id == o.version_id);
            if !pinned {
                let _ = self.blobs.delete_version(&o.key, &o.version_id);
            }
        }
    }

    /// A version ("show").
    pub fn version(&self, group: &str, version: u64) -> Result<ModelVersion, RegistryError> {
        get_version(&*self.meta.read()?, group, version)
    }

    /// Every version of a group, deleted ones included ("list").
    pub fn versions(&self, group: &str) -> Result<Vec<ModelVersion>, RegistryError> {
        let r = self.meta.read()?;
        get_group(&*r, group)?;
        Ok(r.versions(group)?)
    }

    /// Changes a version's approval status. Approving applies the group's retention and, if
    /// the group requires it, needs a verified signature.
    pub fn update_approval(&self, group: &str, version: u64, status: ApprovalStatus, actor: &str, reason: &str) -> Result<ModelVersion, RegistryError> {
        self.change(|tx, now| {
            let g = get_group(tx, group)?;
            let mut v = get_live_version(tx, group, version)?;
            if status == ApprovalStatus::Approved && g.settings.require_signature && v.signature.is_none() {
                return Err(RegistryError::SignatureRequired { group: group.to_string(), version });
            }
            let old = v.status;
            v.status = status;
            v.approval_history.push(ApprovalChange { status, by: actor.to_string(), at: now, reason: reason.to_string() });
            let mut rec = LogRecord::new(actor, "UpdateModelApprovalStatus", target(group, version), reason).with("from", old).with("to", status);
            if status == ApprovalStatus::Approved {
                if let Some(rs) = g.settings.retention {
                    let until = now + time::Duration::days(i64::from(rs.days));
                    let r = match v.retention {
                        Some(cur) => Retention {
                            mode: if cur.mode == RetentionMode::Compliance { RetentionMode::Compliance } else { rs.mode },
                            until: cur.until.max(until),
                        },
                        None => Retention { mode: rs.mode, until },
                    };
                    rec = rec.with("retention_mode", format!("{:?}", r.mode)).with("retain_until", r.until);
                    v.retention = Some(r);
                }
            }
            tx.put_version(&v)?;
            Ok((v, rec))
        })
    }

    /// Records the verified signature of a version (verification is the caller's).
    pub fn set_signature(&self, group: &str, version: u64, signature: SignatureInfo, actor: &str) -> Result<ModelVersion, RegistryError> {
        self.change(|tx, _| {
            let mut v = get_live_version(tx, group, version)?;
            let rec = LogRecord::new(actor, "SetSignature", target(group, version), "")
                .with("kind", &signature.kind)
                .with("signer", &signature.signer)
                .with("verified_at", signature.verified_at);
            v.signature = Some(signature);
            tx.put_version(&v)?;
            Ok((v, rec))
        })
    }

    /// Records a deployment of a version to an endpoint.
    pub fn record_deployment(&self, group: &str, version: u64, endpoint: &str, actor: &str) -> Result<ModelVersion, RegistryError> {
        self.change(|tx, now| {
            let mut v = get_live_version(tx, group, version)?;
            v.deployments.push(Deployment { endpoint: endpoint.to_string(), at: now, by: actor.to_string() });
            tx.put_version(&v)?;
            Ok((v, LogRecord::new(actor, "RecordDeployment", target(group, version), "").with("endpoint", endpoint)))
        })
    }

    /// Deletes a version: refused under unexpired `Compliance` retention, and under unexpired
    /// `Governance` retention unless overridden with a reason; refused while an alias points at
    /// it. Marks the version deleted and deletes the blobs no other version references.
    pub fn delete_version(&self, group: &str, version: u64, actor: &str, opts: &DeleteOptions) -> Result<DeleteReport, RegistryError> {
        let mut log = self.lock()?;
        let unpinned: Vec<(String, String)> = self.commit_with(&mut log, |tx, now| {
            let mut v = get_live_version(tx, group, version)?;
            for a in tx.aliases(group)? {
                if a.current() == Some(version) {
                    return Err(RegistryError::AliasTarget { group: group.to_string(), version, alias: a.name });
                }
            }
            let mut overridden = false;
            if let Some(r) = v.retention.filter(|r| now < r.until) {
                let retained = RegistryError::Retained { group: group.to_string(), version, mode: r.mode, until: r.until };
                match r.mode {
                    RetentionMode::Compliance => return Err(retained),
                    RetentionMode::Governance if !opts.governance_override => return Err(retained),
                    RetentionMode::Governance => {
                        if opts.reason.trim().is_empty() {
                            return Err(RegistryError::OverrideNeedsReason);
                        }
                        overridden = true;
                    }
                }
            }
            let mut unpinned = Vec::new();
            for a in &v.artifacts {
                if let Some(mut r) = tx.blob(&a.sha256)? {
                    r.refs = r.refs.saturating_sub(1);
                    if r.refs == 0 {
                        tx.put_blob(&a.sha256, None)?;
                        unpinned.push((r.key, r.version_id));
                    } else {
                        tx.put_blob(&a.sha256, Some(&r))?;
                    }
                }
            }
            v.deleted = Some(Deletion { by: actor.to_string(), at: now, reason: opts.reason.clone(), governance_override: overridden });
            tx.put_version(&v)?;
            let rec = LogRecord::new(actor, "DeleteModelVersion", target(group, version), &opts.reason)
                .with("governance_override", overridden)
                .with("blobs_unreferenced", unpinned.len());
            Ok((unpinned, rec))
        })?;
        // Still under the write lock, so no push can pin these blobs in between.
        let mut report = DeleteReport::default();
        for (key, vid) in unpinned {
            match self.blobs.delete_version(&key, &vid) {
                Ok(()) => report.blobs_deleted.push(format!("{key}@{vid}")),
                Err(e) => report.blob_errors.push(format!("{key}@{vid}: {e}")),
            }
        }
        drop(log);
        Ok(report)
    }

    // ----- aliases -----

    /// Points an alias at an Approved version (creating the alias if needed).
    pub fn set_alias(&self, group: &str, alias: &str, version: u64, actor: &str, reason: &str) -> Result<Alias, RegistryError> {
        check_alias_name(alias)?;
        self.change(|tx, now| {
            let v = get_live_version(tx, group, version)?;
            if v.status != ApprovalStatus::Approved {
                return Err(RegistryError::NotApproved { group: group.to_string(), alias: alias.to_string(), version, status: v.status });
            }
            let mut a = tx.alias(group, alias)?.unwrap_or_else(|| Alias { group: group.to_string(), name: alias.to_string(), history: Vec::new() });
            let from = a.current();
            a.history.push(AliasMove { version, kind: AliasMoveKind::Set, by: actor.to_string(), at: now, reason: reason.to_string() });
            tx.put_alias(&a)?;
            let rec = LogRecord::new(actor, "SetAlias", format!("{group}@{alias}"), reason)
                .with("from", from.map_or_else(|| "none".to_string(), |v| v.to_string()))
                .with("to", version);
            Ok((a, rec))
        })
    }

    /// Returns an alias to the latest earlier version it pointed at that is still Approved
    /// (and not deleted); successive rollbacks go further back. Returns that version.
    /// The version [`Registry::rollback`] would move `alias` to now (a server authorizes the
    /// rollback against it before making it).
    pub fn rollback_target(&self, group: &str, alias: &str) -> Result<u64, RegistryError> {
        check_alias_name(alias)?;
        let r = self.meta.read()?;
        get_group(&*r, group)?;
        let a = r.alias(group, alias)?.ok_or_else(|| RegistryError::AliasNotFound { group: group.to_string(), alias: alias.to_string() })?;
        rollback_target_in(&*r, group, &a)?.ok_or_else(|| RegistryError::NoRollbackTarget { group: group.to_string(), alias: alias.to_string() })
    }

    pub fn rollback(&self, group: &str, alias: &str, actor: &str, reason: &str) -> Result<u64, RegistryError> {
        self.rollback_inner(group, alias, None, actor, reason)
    }

    /// [`Registry::rollback`], made only if its target is still `expected` (the version the
    /// caller authorized, from [`Registry::rollback_target`]); otherwise
    /// [`RegistryError::RollbackTargetChanged`] and nothing changes.
    pub fn rollback_expecting(&self, group: &str, alias: &str, expected: u64, actor: &str, reason: &str) -> Result<u64, RegistryError> {
        self.rollback_inner(group, alias, Some(expected), actor, reason)
    }

    fn rollback_inner(&self, group: &str, alias: &str, expected: Option<u64>, actor: &str, reason: &str) -> Result<u64, RegistryError> {
        check_alias_name(alias)?;
        self.change(|tx, now| {
            get_group(tx, group)?;
            let mut a = tx.alias(group, alias)?.ok_or_else(|| RegistryError::AliasNotFound { group: group.to_string(), alias: alias.to_string() })?;
            let current = a.current();
            let to = rollback_target_in(tx, group, &a)?.ok_or_else(|| RegistryError::NoRollbackTarget { group: group.to_string(), alias: alias.to_string() })?;
            if let Some(expected) = expected.filter(|e| *e != to) {
                return Err(RegistryError::RollbackTargetChanged { group: group.to_string(), alias: alias.to_string(), expected, actual: to });
            }
            a.history.push(AliasMove { version: to, kind: AliasMoveKind::Rollback, by: actor.to_string(), at: now, reason: reason.to_string() });
            tx.put_alias(&a)?;
            let rec = LogRecord::new(actor, "RollbackAlias", format!("{group}@{alias}"), reason)
                .with("from", current.map_or_else(|| "none".to_string(), |v| v.to_string()))
                .with("to", to);
            Ok((to, rec))
        })
    }

    pub fn alias(&self, group: &str, alias: &str) -> Result<Alias, RegistryError> {
        let r = self.meta.read()?;
        get_group(&*r, group)?;
        r.alias(group, alias)?.ok_or_else(|| RegistryError::AliasNotFound { group: group.to_string(), alias: alias.to_string() })
    }

    pub fn aliases(&self, group: &str) -> Result<Vec<Alias>, RegistryError> {
        let r = self.meta.read()?;
        get_group(&*r, group)?;
        Ok(r.aliases(group)?)
    }

    /// The version an alias points at now.
    pub fn resolve(&self, group: &str, alias: &str) -> Result<ModelVersion, RegistryError> {
        let r = self.meta.read()?;
        get_group(&*r, group)?;
        let a = r.alias(group, alias)?.ok_or_else(|| RegistryError::AliasNotFound { group: group.to_string(), alias: alias.to_string() })?;
        let v = a.current().ok_or_else(|| RegistryError::AliasNotFound { group: group.to_string(), alias: alias.to_string() })?;
        get_version(&*r, group, v)
    }

    // ----- lineage -----

    /// Versions trained on a dataset (any version of it when `version_id` is `None`), deleted
    /// versions included (their `deleted` field says so).
    pub fn models_trained_on(&self, dataset_uri: &str, version_id: Option<&str>) -> Result<Vec<ModelVersion>, RegistryError> {
        let r = self.meta.read()?;
        let mut out = Vec::new();
        for vr in r.trained_on(dataset_uri, version_id)? {
            if let Some(v) = r.version(&vr.group, vr.version)? {
                out.push(v);
            }
        }
        out.sort_by(|a, b| (&a.group, a.version).cmp(&(&b.group, b.version)));
        Ok(out)
    }

    /// Where a version came from and where it went.
    pub fn lineage_of(&self, group: &str, version: u64) -> Result<LineageView, RegistryError> {
        let r = self.meta.read()?;
        let v = get_version(&*r, group, version)?;
        let aliases = r.aliases(group)?.into_iter().filter(|a| a.current() == Some(version)).map(|a| a.name).collect();
        Ok(LineageView {
            version: VersionRef { group: group.to_string(), version },
            status: v.status,
            datasets: v.lineage.datasets,
            training: v.lineage.training,
            artifacts: v.artifacts,
            deployments: v.deployments,
            aliases,
        })
    }

    // ----- artifacts -----

    /// Writes every artifact of a version under `dest`, verifying each digest while
    /// streaming. Each file is written to a temporary name in its directory and renamed only
    /// once its digest matches; on a mismatch the temporary file is removed and the error
    /// names the artifact.
    pub fn pull(&self, group: &str, version: u64, dest: &Path) -> Result<PullReport, RegistryError> {
        let (v, records) = {
            let r = self.meta.read()?;
            let v = get_live_version(&*r, group, version)?;
            let mut recs = Vec::with_capacity(v.artifacts.len());
            for a in &v.artifacts {
                recs.push(r.blob(&a.sha256)?.ok_or_else(|| RegistryError::BlobMissing { path: a.path.clone(), digest: a.sha256 })?);
            }
            (v, recs)
        };
        let mut report = PullReport::default();
        for (a, rec) in v.artifacts.iter().zip(records) {
            validate_artifact_path(&a.path)?;
            let final_path = a.path.split('/').fold(dest.to_path_buf(), |p, c| p.join(c));
            let dir = final_path.parent().map_or_else(|| dest.to_path_buf(), Path::to_path_buf);
            let io = |op: &'static str, p: &Path| {
                let path = p.display().to_string();
                move |source| RegistryError::Io { op, path: path.clone(), source }
            };
            fs::create_dir_all(&dir).map_err(io("creating directory", &dir))?;
            let n = self.pull_seq.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".mlguard-partial-{}-{n}", std::process::id()));
            let mut body = self.blobs.get(&rec.key, Some(&rec.version_id))?;
            let mut f = File::create(&tmp).map_err(io("creating", &tmp))?;
            let res = copy_hashing(&mut body, &mut f, |e| RegistryError::Blob(BlobError::Body { key: rec.key.clone(), source: e }), io("writing", &tmp))
                .and_then(|r| f.sync_all().map_err(io("syncing", &tmp)).map(|()| r));
            drop(f);
            let (actual, size) = match res {
                Ok(x) => x,
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            if actual != a.sha256 {
                let _ = fs::remove_file(&tmp);
                return Err(RegistryError::DigestMismatch { path: a.path.clone(), expected: a.sha256, actual });
            }
            fs::rename(&tmp, &final_path).map_err(io("renaming into place", &final_path))?;
            report.bytes += size;
            report.files.push(final_path);
        }
        Ok(report)
    }

    /// Re-hashes stored artifacts (of one group, or all) and reports every blob whose pinned
    /// version changed or vanished, or whose key's latest version no longer matches, with
    /// the stored versions that still match (candidates for [`Registry::restore_artifact`]).
    pub fn verify(&self, group: Option<&str>) -> Result<VerifyReport, RegistryError> {
        let (uses, records) = {
            let r = self.meta.read()?;
            let groups = match group {
                Some(g) => vec![get_group(&*r, g)?],
                None => r.groups()?,
            };
            let mut uses: BTreeMap<Sha256Digest, Vec<(VersionRef, String)>> = BTreeMap::new();
            for g in &groups {
                for v in r.versions(&g.name)?.into_iter().filter(|v| v.deleted.is_none()) {
                    for a in v.artifacts {
                        uses.entry(a.sha256).or_default().push((VersionRef { group: g.name.clone(), version: v.version }, a.path));
                    }
                }
            }
            let mut records = BTreeMap::new();
            for d in uses.keys() {
                if let Some(rec) = r.blob(d)? {
                    records.insert(*d, rec);
                }
            }
            (uses, records)
        };
        let mut report = VerifyReport::default();
        for (digest, used_by) in uses {
            let Some(rec) = records.get(&digest) else {
                continue;
            };
            report.blobs_checked += 1;
            let mut faults = Vec::new();
            match self.hash_blob(&rec.key, Some(&rec.version_id)) {
                Ok((d, n)) => {
                    report.bytes_hashed += n;
                    if d != digest {
                        faults.push(ArtifactFault::PinnedChanged { actual: d });
                    }
                }
                Err(e) => faults.push(ArtifactFault::PinnedMissing { error: e.to_string() }),
            }
            match self.blobs.head(&rec.key, None) {
                Ok(latest) if latest.version_id != rec.version_id => match self.hash_blob(&rec.key, Some(&latest.version_id)) {
                    Ok((d, n)) => {
                        report.bytes_hashed += n;
                        if d != digest {
                            faults.push(ArtifactFault::LatestChanged { latest_version_id: latest.version_id, actual: d });
                        }
                    }
                    Err(_) => faults.push(ArtifactFault::LatestAbsent),
                },
                Ok(_) => {}
                Err(_) => faults.push(ArtifactFault::LatestAbsent),
            }
            if faults.is_empty() {
                continue;
            }
            let mut matching = Vec::new();
            for e in self.blobs.list_versions(&rec.key)? {
                if e.key != rec.key || e.is_delete_marker {
                    continue;
                }
                if let Ok((d, n)) = self.hash_blob(&rec.key, Some(&e.version_id)) {
                    report.bytes_hashed += n;
                    if d == digest {
                        matching.push(e.version_id);
                    }
                }
            }
            for fault in faults {
                report.problems.push(ArtifactProblem {
                    digest,
                    key: rec.key.clone(),
                    pinned_version_id: rec.version_id.clone(),
                    fault,
                    used_by: used_by.clone(),
                    matching_versions: matching.clone(),
                });
            }
        }
        Ok(report)
    }

    fn hash_blob(&self, key: &str, version_id: Option<&str>) -> Result<(Sha256Digest, u64), RegistryError> {
        let mut r = self.blobs.get(key, version_id)?;
        hash_reader(&mut r).map_err(|source| RegistryError::Blob(BlobError::Body { key: key.to_string(), source }))
    }

    /// Makes a stored blob version whose bytes match `digest` the latest version of its key
    /// again (S3 `CopyObject` from that version) and pins it for pulls.
    pub fn restore_artifact(&self, digest: &Sha256Digest, from_version_id: &str, actor: &str, reason: &str) -> Result<ObjectVersion, RegistryError> {
        let mut log = self.lock()?;
        let rec = self.meta.read()?.blob(digest)?.ok_or_else(|| RegistryError::NoMatchingBlobVersion { digest: *digest, version_id: from_version_id.to_string() })?;
        let (d, _) = self.hash_blob(&rec.key, Some(from_version_id))?;
        if d != *digest {
            return Err(RegistryError::NoMatchingBlobVersion { digest: *digest, version_id: from_version_id.to_string() });
        }
        let o = self.blobs.restore(&rec.key, from_version_id)?;
        if o.sha256 != *digest {
            let _ = self.blobs.delete_version(&o.key, &o.version_id);
            return Err(RegistryError::NoMatchingBlobVersion { digest: *digest, version_id: from_version_id.to_string() });
        }
        let out = o.clone();
        self.commit_with(&mut log, |tx, _| {
            let mut r = tx.blob(digest)?.ok_or_else(|| RegistryError::NoMatchingBlobVersion { digest: *digest, version_id: from_version_id.to_string() })?;
            let old = std::mem::replace(&mut r.version_id, o.version_id.clone());
            tx.put_blob(digest, Some(&r))?;
            let rec = LogRecord::new(actor, "RestoreArtifact", o.key.clone(), reason)
                .with("from_version_id", from_version_id)
                .with("old_pinned_version_id", old)
                .with("new_version_id", &o.version_id);
            Ok(((), rec))
        })?;
        Ok(out)
    }

    // ----- audit log -----

    /// Verifies the audit log against the committed head (writes wait meanwhile).
    pub fn verify_log(&self) -> Result<LogReport, RegistryError> {
        let _guard = self.lock()?;
        let head = self.meta.read()?.log_head()?;
        Ok(log::verify_file(&self.log_path, Some(&head))?)
    }

    /// The committed end of the audit log (publish it elsewhere to anchor the chain).
    pub fn log_head(&self) -> Result<LogHead, RegistryError> {
        Ok(self.meta.read()?.log_head()?)
    }

    /// Every audit entry, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<LogEntry>, RegistryError> {
        let _guard = self.lock()?;
        Ok(log::read_entries(&self.log_path)?)
    }

    /// Removes blob versions under `sha256/` whose key no blob record pins at all and that are
    /// older than `min_age`: uploads whose push never committed (a crash between upload and
    /// commit). Other versions of pinned keys are kept (they are restore candidates). Logged as
    /// one entry. Returns the `key@version_id`s removed.
    pub fn gc_unreferenced_blobs(&self, min_age: time::Duration, actor: &str) -> Result<Vec<String>, RegistryError> {
        let mut log = self.lock()?;
        let now = self.clock.now();
        let pinned: BTreeSet<String> = self.meta.read()?.blobs()?.into_iter().map(|(_, r)| r.key).collect();
        let mut removed = Vec::new();
        for e in self.blobs.list_versions("sha256/")? {
            if pinned.contains(&e.key) || now - e.last_modified < min_age {
                continue;
            }
            self.blobs.delete_version(&e.key, &e.version_id)?;
            removed.push(format!("{}@{}", e.key, e.version_id));
        }
        if !removed.is_empty() {
            let n = removed.len();
            self.commit_with(&mut log, |_, _| Ok(((), LogRecord::new(actor, "CollectUnreferencedBlobs", "sha256/", "").with("removed", n))))?;
        }
        Ok(removed)
    }

    /// Digests of every artifact of live versions (for tools).
    pub fn referenced_digests(&self) -> Result<BTreeSet<Sha256Digest>, RegistryError> {
        Ok(self.meta.read()?.blobs()?.into_iter().map(|(d, _)| d).collect())
    }
}
