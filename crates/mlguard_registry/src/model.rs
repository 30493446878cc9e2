//! The registry's domain types: groups, versions, approvals, aliases, lineage, retention.
//!
//! Every type here is plain data with serde derives; the metadata store keeps them as JSON.
//! Timestamps are UTC and serialize as RFC 3339.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The digest of a byte string.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    /// Lowercase hexadecimal.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }

    /// Parses 64 hexadecimal digits (either case).
    pub fn from_hex(s: &str) -> Option<Sha256Digest> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = (nibble(b[2 * i])? << 4) | nibble(b[2 * i + 1])?;
        }
        Some(Sha256Digest(out))
    }

    /// The blob key of an artifact with this digest: `sha256/<hex>`.
    pub fn blob_key(&self) -> String {
        format!("sha256/{}", self.to_hex())
    }
}

impl std::fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl std::fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Sha256Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a SHA-256 digest")))
    }
}

/// Object Lock-style retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionMode {
    /// Deletable before expiry only with an explicit governance override and a reason.
    Governance,
    /// Not deletable by anyone before expiry.
    Compliance,
}

/// A group's retention rule, applied to a version when it is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSettings {
    pub mode: RetentionMode,
    /// Retention period in days from the approval.
    pub days: u32,
}

/// A group's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    /// Versions may be approved only once they carry a verified signature.
    pub require_signature: bool,
    /// Retention applied on approval, if any.
    pub retention: Option<RetentionSettings>,
}

/// A model package group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelGroup {
    pub name: String,
    pub description: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub settings: GroupSettings,
    /// Highest version number ever assigned (numbers are never reused, even after deletion).
    pub latest_version: u64,
}

/// SageMaker's `ModelApprovalStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApprovalStatus {
    PendingManualApproval,
    Approved,
    Rejected,
}

impl std::fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApprovalStatus::PendingManualApproval => "PendingManualApproval",
            ApprovalStatus::Approved => "Approved",
            ApprovalStatus::Rejected => "Rejected",
        })
    }
}

/// One approval status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalChange {
    pub status: ApprovalStatus,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
}

/// A verified signature, as recorded by the caller that verified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// The signature scheme, e.g. `sigstore-bundle` or `openssf-model-signing`.
    pub kind: String,
    /// The signer's identity as the verifier established it.
    pub signer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
}

/// One artifact file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Relative `/`-separated path (validated by [`crate::paths::check_artifact_path`]).
    pub path: String,
    pub sha256: Sha256Digest,
    pub size: u64,
}

/// A dataset used for training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRef {
    /// `s3://bucket/prefix` or any URI.
    pub uri: String,
    /// The S3 object (or dataset) version id, if pinned.
    pub version_id: Option<String>,
    /// A digest of the dataset (or its manifest), if known.
    pub digest: Option<String>,
}

/// The training run that produced a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingRun {
    pub job_name: String,
    pub code_commit: Option<String>,
    pub parameters: BTreeMap<String, String>,
}

/// Where a version came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    pub datasets: Vec<DatasetRef>,
    pub training: Option<TrainingRun>,
}

/// A deployment of a version to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub endpoint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// Retention in force on a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub mode: RetentionMode,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

/// Deletion record of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
    /// Whether a governance-mode retention was overridden.
    pub governance_override: bool,
}

/// A model version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub group: String,
    pub version: u64,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, String>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub artifacts: Vec<Artifact>,
    pub status: ApprovalStatus,
    /// Every status change, oldest first.
    pub approval_history: Vec<ApprovalChange>,
    pub signature: Option<SignatureInfo>,
    pub retention: Option<Retention>,
    pub lineage: Lineage,
    pub deployments: Vec<Deployment>,
    pub deleted: Option<Deletion>,
}

impl ModelVersion {
    /// Total artifact bytes.
    pub fn size(&self) -> u64 {
        self.artifacts.iter().map(|a| a.size).sum()
    }
}

/// How an alias came to point where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AliasMoveKind {
    Set,
    Rollback,
}

/// One move of an alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasMove {
    pub version: u64,
    pub kind: AliasMoveKind,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
}

/// An alias and every place it ever pointed, oldest first; the last move is current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub group: String,
    pub name: String,
    pub history: Vec<AliasMove>,
}

impl Alias {
    /// The version the alias points at now.
    pub fn current(&self) -> Option<u64> {
        self.history.last().map(|m| m.version)
    }
}

/// Where a blob lives, and how many artifacts of live versions reference it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRecord {
    pub key: String,
    /// The blob store's version id of the object pulled for this digest.
    pub version_id: String,
    pub size: u64,
    pub refs: u64,
}

/// A version named by group and number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VersionRef {
    pub group: String,
    pub version: u64,
}

/// The answer of `lineage_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageView {
    pub version: VersionRef,
    pub status: ApprovalStatus,
    pub datasets: Vec<DatasetRef>,
    pub training: Option<TrainingRun>,
    pub artifacts: Vec<Artifact>,
    pub deployments: Vec<Deployment>,
    /// Aliases of the group that point at this version now.
    pub aliases: Vec<String>,
}
