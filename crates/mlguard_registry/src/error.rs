//! Errors. Messages are lowercase, name what and where, and put user input in backticks.

use crate::model::{ApprovalStatus, RetentionMode, Sha256Digest};
use crate::paths::PathProblem;
use time::OffsetDateTime;

/// Errors of a [`crate::blob::BlobStore`].
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob key `{key}` is not valid (relative `/` path of at most 200 bytes, no `.`/`..`/empty components)")]
    InvalidKey { key: String },
    #[error("blob `{key}` does not exist (no versions, or the latest version is a delete marker)")]
    NotFound { key: String },
    #[error("blob `{key}` has no version `{version_id}`")]
    VersionNotFound { key: String, version_id: String },
    #[error("blob `{key}` version `{version_id}` is a delete marker")]
    DeleteMarker { key: String, version_id: String },
    #[error("blob `{key}`: content has SHA-256 {actual}, but {expected} was declared; nothing was stored")]
    DigestMismatch { key: String, expected: Sha256Digest, actual: Sha256Digest },
    #[error("blob store: {op} `{path}`: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error("blob store: reading the upload body for `{key}`: {source}")]
    Body { key: String, source: std::io::Error },
    #[error("blob store: {0}")]
    Other(String),
}

/// Errors of a [`crate::meta::MetadataStore`].
#[derive(Debug, thiserror::Error)]
#[error("metadata store `{location}`: {message}")]
pub struct MetaError {
    pub location: String,
    pub message: String,
}

/// Errors reading or appending the audit log (verification problems are reported, not errors).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("audit log `{path}`: {op}: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error("audit log `{path}`: {message}")]
    Format { path: String, message: String },
}

/// Errors of [`crate::Registry`].
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("invalid {what} `{name}`: {rule}")]
    InvalidName { what: &'static str, name: String, rule: &'static str },
    #[error("invalid artifact path `{path}`: {problem}")]
    InvalidPath { path: String, problem: PathProblem },
    #[error("artifact path `{path}` appears twice in one version")]
    DuplicatePath { path: String },
    #[error("artifact path `{file}` is a file and also a directory of `{other}`")]
    PathConflict { file: String, other: String },
    #[error("a version needs at least one artifact")]
    NoArtifacts,
    #[error("model package group `{group}` does not exist")]
    GroupNotFound { group: String },
    #[error("model package group `{group}` already exists")]
    GroupExists { group: String },
    #[error("version {version} of `{group}` does not exist")]
    VersionNotFound { group: String, version: u64 },
    #[error("version {version} of `{group}` was deleted")]
    VersionDeleted { group: String, version: u64 },
    #[error("alias `{alias}` of `{group}` does not exist")]
    AliasNotFound { group: String, alias: String },
    #[error("version {version} of `{group}` cannot be approved: the group requires a verified signature and the version has none")]
    SignatureRequired { group: String, version: u64 },
    #[error("alias `{alias}` of `{group}` cannot point at version {version}: its status is {status}, not Approved")]
    NotApproved { group: String, alias: String, version: u64, status: ApprovalStatus },
    #[error("alias `{alias}` of `{group}` has no earlier version that is still Approved to roll back to")]
    NoRollbackTarget { group: String, alias: String },
    #[error("`{group}@{alias}` would now roll back to version {actual}, not {expected}: it changed meanwhile; nothing was done, try again")]
    RollbackTargetChanged { group: String, alias: String, expected: u64, actual: u64 },
    #[error("version {version} of `{group}` is under {mode:?} retention until {until}")]
    Retained { group: String, version: u64, mode: RetentionMode, until: OffsetDateTime },
    #[error("a governance retention override needs a reason")]
    OverrideNeedsReason,
    #[error("version {version} of `{group}` is the current target of alias `{alias}`; move the alias first")]
    AliasTarget { group: String, version: u64, alias: String },
    #[error("artifact `{path}`: content has SHA-256 {actual}, expected {expected}")]
    DigestMismatch { path: String, expected: Sha256Digest, actual: Sha256Digest },
    #[error("artifact `{path}`: blob {digest} is not recorded in the registry")]
    BlobMissing { path: String, digest: Sha256Digest },
    #[error("blob {digest} has no stored version `{version_id}` whose content matches")]
    NoMatchingBlobVersion { digest: Sha256Digest, version_id: String },
    #[error("stored record `{what}` is unreadable: {message}")]
    Corrupt { what: String, message: String },
    #[error("{op} `{path}`: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Meta(#[from] MetaError),
    #[error(transparent)]
    Log(#[from] LogError),
}
