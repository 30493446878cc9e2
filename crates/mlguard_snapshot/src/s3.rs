//! S3 buckets and their settings, as `aws s3api … --output json` prints them (folder `s3/` or
//! `s3api/`), and the account's S3 Block Public Access (`aws s3control get-public-access-block`).
//!
//! Per-bucket calls live under `s3/<bucket>/<command>.json`; none of these responses names its
//! bucket, so the folder does. Responses that wrap a single object
//! (`{"PublicAccessBlockConfiguration": {…}}`) are stored unwrapped.

use crate::ec2::Tag;
use serde::Deserialize;

/// One element of `list-buckets` `Buckets`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub name: String,
    /// Where the bucket lives (printed by newer CLI versions).
    #[serde(default)]
    pub bucket_region: Option<String>,
    #[serde(default)]
    pub bucket_arn: Option<String>,
}

/// `get-bucket-versioning`. A bucket that was never versioned returns `{}` (and the CLI then
/// prints nothing, so an empty file reads the same): `status` is `None`. Once enabled,
/// versioning can only be suspended, never turned off again.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct BucketVersioning {
    /// `Enabled` or `Suspended`; `None` when versioning was never enabled.
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    /// `Enabled` or `Disabled`; present only once MFA delete has been configured.
    #[serde(rename = "MFADelete", default)]
    pub mfa_delete: Option<String>,
}

impl BucketVersioning {
    pub fn is_enabled(&self) -> bool {
        self.status.as_deref() == Some("Enabled")
    }
}

/// `get-object-lock-configuration` (`ObjectLockConfiguration`). The call fails when the bucket
/// has no Object Lock, so there is no file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockConfiguration {
    /// `Enabled` when Object Lock is on.
    #[serde(default)]
    pub object_lock_enabled: Option<String>,
    #[serde(default)]
    pub rule: Option<ObjectLockRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockRule {
    #[serde(default)]
    pub default_retention: Option<DefaultRetention>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultRetention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub years: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ObjectLockResponse {
    #[serde(default)]
    pub object_lock_configuration: ObjectLockConfiguration,
}

/// `get-bucket-policy`: the policy document as the JSON string S3 returns. It is kept as text;
/// parsing it is the IAM layer's job (`mlguard_iam::Policy::from_json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    pub policy: String,
}

/// S3 Block Public Access, for a bucket (`s3api get-public-access-block`) or the whole account
/// (`s3control get-public-access-block`). A setting that is absent is off.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    #[serde(default)]
    pub block_public_acls: bool,
    #[serde(default)]
    pub ignore_public_acls: bool,
    #[serde(default)]
    pub block_public_policy: bool,
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlockConfiguration {
    /// All four settings on.
    pub fn blocks_all(&self) -> bool {
        self.block_public_acls && self.ignore_public_acls && self.block_public_policy && self.restrict_public_buckets
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PublicAccessBlockResponse {
    pub public_access_block_configuration: PublicAccessBlockConfiguration,
}

/// `get-bucket-encryption` (`ServerSideEncryptionConfiguration`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionConfiguration {
    #[serde(default)]
    pub rules: Vec<ServerSideEncryptionRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    #[serde(default)]
    pub apply_server_side_encryption_by_default: Option<ServerSideEncryptionByDefault>,
    #[serde(default)]
    pub bucket_key_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServerSideEncryptionByDefault {
    /// `AES256`, `aws:kms` or `aws:kms:dsse` (among others).
    #[serde(rename = "SSEAlgorithm", default)]
    pub sse_algorithm: Option<String>,
    #[serde(rename = "KMSMasterKeyID", default)]
    pub kms_master_key_id: Option<String>,
}

impl ServerSideEncryptionConfiguration {
    /// The default algorithms of all rules (`AES256`, `aws:kms`, …).
    pub fn algorithms(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().filter_map(|r| r.apply_server_side_encryption_by_default.as_ref()?.sse_algorithm.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncryptionResponse {
    pub server_side_encryption_configuration: ServerSideEncryptionConfiguration,
}

/// `get-bucket-logging`: `{}` (or an empty file) when server access logging is off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketLogging {
    #[serde(default)]
    pub logging_enabled: Option<LoggingEnabled>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingEnabled {
    #[serde(default)]
    pub target_bucket: Option<String>,
    #[serde(default)]
    pub target_prefix: Option<String>,
}

/// `get-bucket-tagging`. The call fails when the bucket has no tags, so there is no file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketTagging {
    #[serde(default)]
    pub tag_set: Vec<Tag>,
}
