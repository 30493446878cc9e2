//! The model registry's core (layer 5, model supply chain): model package groups with
//! numbered versions of content-addressed artifacts, approval, signatures, aliases with
//! rollback, lineage, Object Lock-style retention, and a hash-chained audit log.
//!
//! [`Registry`] is the entry point; it is `Send + Sync` and every method takes `&self` and
//! the acting principal's id. Authorization is the caller's: the registry records who did
//! what, it does not decide who may. Storage sits behind two traits so that an S3 bucket and
//! a networked database can replace the local implementations: [`BlobStore`] (S3 versioning
//! semantics; [`LocalBlobStore`]) and [`MetadataStore`] ([`RedbStore`]).
//!
//! ```no_run
//! use mlguard_registry::{Registry, NewVersion, ArtifactUpload, GroupSettings, ApprovalStatus};
//! # fn main() -> Result<(), mlguard_registry::RegistryError> {
//! let reg = Registry::open(std::path::Path::new("/var/lib/mlguard/registry"))?;
//! reg.create_group("fraud", "fraud scoring", GroupSettings::default(), "alice")?;
//! let body = std::fs::File::open("model.safetensors").map_err(|e| mlguard_registry::RegistryError::Io { op: "opening", path: "model.safetensors".into(), source: e })?;
//! let v = reg.push("fraud", NewVersion {
//!     artifacts: vec![ArtifactUpload { path: "model.safetensors".into(), sha256: None, body: Box::new(body) }],
//!     ..NewVersion::default()
//! }, "alice")?;
//! reg.update_approval("fraud", v.version, ApprovalStatus::Approved, "bob", "eval passed")?;
//! reg.set_alias("fraud", "production", v.version, "bob", "release 7")?;
//! # Ok(()) }
//! ```
//!
//! # Data directory layout
//!
//! ```text
//! <dir>/registry.redb      metadata (redb): groups, versions, aliases, blob records, lineage
//!                          index, and the committed audit-log head (see `meta_redb`)
//! <dir>/audit.log          the audit log, hash-chained JSON Lines (format in `log`)
//! <dir>/blobs/tmp/         uploads in progress; emptied on open
//! <dir>/blobs/objects/<escaped key>/<version id>[.deleted]
//!                          artifact versions and delete markers (see `blob`)
//! ```
//!
//! Artifacts are stored under the key `sha256/<hex digest>`, so the same file pushed twice is
//! stored once; a blob record pins the blob version that pulls read and counts the live
//! versions using it. [`log::verify_dir`] checks the audit log of a copy of this directory
//! with nothing else.
//!
//! # Crash safety
//!
//! An upload streams into `blobs/tmp/`, is hashed on the way, `fsync`ed and renamed into place;
//! the version is then created by one metadata transaction, durable when it returns. A process
//! killed during an upload leaves at most a temporary file (removed on the next open) or an
//! unreferenced blob (removed by [`Registry::gc_unreferenced_blobs`]), never a version. The audit entry of a change is made durable just before
//! its transaction commits; an entry whose transaction did not commit is removed on open.
//! One process at a time: the metadata file is locked.

pub mod blob;
pub mod error;
pub mod log;
pub mod meta;
pub mod meta_redb;
pub mod model;
pub mod paths;
pub mod registry;

pub use blob::{BlobReader, BlobStore, LocalBlobStore, ObjectVersion, VersionEntry};
pub use error::{BlobError, LogError, MetaError, RegistryError};
pub use log::{LogEntry, LogProblem, LogReport};
pub use meta::{LogHead, MetaRead, MetaWrite, MetadataStore};
pub use meta_redb::RedbStore;
pub use model::*;
pub use registry::{
    ArtifactFault, ArtifactProblem, ArtifactUpload, Clock, DeleteOptions, DeleteReport, NewVersion, PullReport, Registry, StoredVersion, SystemClock, VerifyReport,
};
