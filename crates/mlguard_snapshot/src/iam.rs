//! IAM users, groups, roles and managed policies, as `aws iam get-account-authorization-details
//! --output json` prints them (under the region folder `global`).
//!
//! The response holds four listings side by side (`UserDetailList`, `GroupDetailList`,
//! `RoleDetailList`, `Policies`); pages (`get-account-authorization-details.2.json`) merge per
//! listing. Policy documents are kept as [`serde_json::Value`]: the API returns them URL-encoded
//! and the CLI prints them decoded into objects, but other collectors keep the encoded string.
//! `mlguard_iam::Policy::from_value` reads both.

use crate::ec2::Tag;
use serde::Deserialize;
use serde_json::Value;

/// An inline policy (`UserPolicyList`, `GroupPolicyList`, `RolePolicyList`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    /// An object, or a URL-encoded JSON string.
    #[serde(default)]
    pub policy_document: Value,
}

/// A managed policy attached to a user, group or role.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_arn: String,
    #[serde(default)]
    pub policy_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    pub permissions_boundary_arn: String,
    /// `PermissionsBoundaryPolicy`.
    #[serde(default)]
    pub permissions_boundary_type: Option<String>,
}

/// One element of `UserDetailList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDetail {
    pub user_name: String,
    pub arn: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    /// Names of the groups the user is in.
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// One element of `GroupDetailList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDetail {
    pub group_name: String,
    pub arn: String,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

/// An instance profile a role belongs to (`InstanceProfileList`); its nested copy of the role
/// is not read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub instance_profile_name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleLastUsed {
    /// As printed: an ISO 8601 string (or a number with some CLI timestamp settings).
    #[serde(default)]
    pub last_used_date: Option<Value>,
    #[serde(default)]
    pub region: Option<String>,
}

/// One element of `RoleDetailList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub role_name: String,
    pub arn: String,
    #[serde(default)]
    pub role_id: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    /// The trust policy: an object, or a URL-encoded JSON string.
    #[serde(default)]
    pub assume_role_policy_document: Value,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub role_last_used: Option<RoleLastUsed>,
}

/// One version of a managed policy (`PolicyVersionList`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    /// An object, or a URL-encoded JSON string.
    #[serde(default)]
    pub document: Value,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub is_default_version: bool,
}

/// One element of `Policies`: a managed policy (customer managed, or AWS managed when the
/// collection asked for it) with its versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    pub policy_name: String,
    pub arn: String,
    #[serde(default)]
    pub policy_id: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub attachment_count: Option<i64>,
    #[serde(default)]
    pub permissions_boundary_usage_count: Option<i64>,
    #[serde(default)]
    pub is_attachable: Option<bool>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

impl ManagedPolicyDetail {
    /// The document of the default version: the one marked `IsDefaultVersion`, else the one
    /// named by `DefaultVersionId`.
    pub fn default_document(&self) -> Option<&Value> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .or_else(|| {
                let id = self.default_version_id.as_deref()?;
                self.policy_version_list.iter().find(|v| v.version_id.as_deref() == Some(id))
            })
            .map(|v| &v.document)
    }
}

/// All four listings of one response page, read in one pass.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthorizationDetails {
    #[serde(default)]
    pub user_detail_list: Vec<UserDetail>,
    #[serde(default)]
    pub group_detail_list: Vec<GroupDetail>,
    #[serde(default)]
    pub role_detail_list: Vec<RoleDetail>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicyDetail>,
}
