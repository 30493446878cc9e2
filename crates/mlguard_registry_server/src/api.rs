//! The JSON bodies of the HTTP API, shared by the server and the client.
//!
//! Request bodies reject unknown fields (`deny_unknown_fields`), so a misspelt field is a 400
//! instead of a silently ignored setting. Responses reuse the registry's own record types
//! ([`ModelGroup`], [`ModelVersion`], [`Alias`], [`LineageView`], [`LogEntry`]). Every type
//! here is described in `openapi.yaml`.

use mlguard_registry::{Alias, LogEntry, ModelGroup, ModelVersion, RetentionMode, Sha256Digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name of the response header carrying an artifact's SHA-256 (lowercase hex).
pub const DIGEST_HEADER: &str = "x-mlguard-sha256";

/// Every error response: a stable machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    pub status: String,
}

/// A group's retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionIn {
    pub mode: RetentionMode,
    pub days: u32,
}

/// `POST /v1/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The team that owns the group (Cedar `ModelPackageGroup.owner_team`).
    pub owner_team: String,
    #[serde(default)]
    pub require_signature: bool,
    #[serde(default)]
    pub retention: Option<RetentionIn>,
}

/// A group with its owner team (a response only: `flatten` rules out `deny_unknown_fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    #[serde(flatten)]
    pub group: ModelGroup,
    pub owner_team: String,
}

/// `GET /v1/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupList {
    pub groups: Vec<GroupInfo>,
}

/// `GET /v1/groups/{group}`: the group and its aliases (with their history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupView {
    pub group: GroupInfo,
    pub aliases: Vec<Alias>,
}

/// `GET /v1/groups/{group}/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionList {
    pub versions: Vec<ModelVersion>,
}

/// `PUT /v1/groups/{group}/blobs/sha256/{hex}`: the stored blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobStored {
    pub sha256: Sha256Digest,
    pub size: u64,
    /// `false` when the blob was stored already.
    pub created: bool,
}

/// A dataset a version was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetIn {
    pub uri: String,
    #[serde(default)]
    pub version_id: Option<String>,
    /// A digest of the dataset or its manifest.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// The training run that produced a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingIn {
    pub job_name: String,
    #[serde(default)]
    pub code_commit: Option<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

/// Where a version came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineageIn {
    #[serde(default)]
    pub datasets: Vec<DatasetIn>,
    #[serde(default)]
    pub training: Option<TrainingIn>,
}

impl LineageIn {
    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty() && self.training.is_none()
    }
}

/// One artifact of a new version: a path and the digest of a blob uploaded before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRef {
    pub path: String,
    pub sha256: Sha256Digest,
}

/// `POST /v1/groups/{group}/versions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVersion {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub metrics: BTreeMap<String, String>,
    #[serde(default)]
    pub lineage: LineageIn,
    pub artifacts: Vec<ArtifactRef>,
}

/// The decision of an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Approved,
    Rejected,
}

/// `POST /v1/groups/{group}/versions/{version}/approval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalIn {
    pub status: Decision,
    #[serde(default)]
    pub reason: String,
}

/// `PUT /v1/groups/{group}/aliases/{alias}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAliasIn {
    pub version: u64,
    #[serde(default)]
    pub reason: String,
}

/// `POST /v1/groups/{group}/aliases/{alias}/rollback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackIn {
    #[serde(default)]
    pub reason: String,
}

/// The answer of a rollback: the version the alias points at now, and the alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackOut {
    pub version: u64,
    pub alias: Alias,
}

/// `GET /v1/groups/{group}/aliases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasList {
    pub aliases: Vec<Alias>,
}

/// Query of `DELETE /v1/groups/{group}/versions/{version}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub governance_override: bool,
}

/// What a deletion did to the blob store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteOut {
    pub blobs_deleted: Vec<String>,
    pub blob_errors: Vec<String>,
}

/// `POST /v1/groups/{group}/versions/{version}/deployments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentIn {
    pub endpoint: String,
}

/// Query of `GET /v1/lineage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineageQuery {
    pub dataset_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// `POST /v1/verify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyIn {
    /// One group, or every group when absent.
    #[serde(default)]
    pub group: Option<String>,
}

/// A version (and artifact path) using a blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobUse {
    pub group: String,
    pub version: u64,
    pub path: String,
}

/// One problem found by a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyProblem {
    pub sha256: Sha256Digest,
    pub key: String,
    pub pinned_version_id: String,
    pub fault: String,
    pub used_by: Vec<BlobUse>,
    pub matching_versions: Vec<String>,
}

/// The answer of `POST /v1/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyOut {
    pub blobs_checked: u64,
    pub bytes_hashed: u64,
    pub problems: Vec<VerifyProblem>,
}

/// `GET /v1/audit-log`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditLog {
    pub entries: Vec<LogEntry>,
}

/// `GET /v1/audit-log/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogVerifyOut {
    pub intact: bool,
    pub valid_entries: u64,
    /// 1-based position of the first bad entry.
    pub first_bad: Option<u64>,
    pub problem: Option<String>,
}

/// `GET /v1/lineage`: the versions trained on a dataset that the caller may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedOn {
    pub versions: Vec<ModelVersion>,
}
