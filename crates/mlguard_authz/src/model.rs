//! The plain Rust values a service hands to [`crate::Authorizer::authorize`]: who
//! ([`Principal`]), what ([`Action`]), on what ([`Resource`]) and how the request arrived
//! ([`RequestContext`]). Nothing here knows Cedar; [`crate::policy`] maps these to the entity
//! types of `policies/registry.cedarschema`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An authenticated caller: Cedar's `User`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Stable identifier (`alice`, `ci-pipeline`); compared with a version's `created_by`.
    pub id: String,
    /// Roles (`data-scientist`, `ml-engineer`, `approver`, `admin`, `auditor`).
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// Teams; a group's `owner_team` is matched against them.
    #[serde(default)]
    pub teams: BTreeSet<String>,
    /// Free-form attributes, Cedar tags of the `User` entity (`principal.getTag("k")`).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

impl Principal {
    /// A principal with no roles, teams or attributes.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Adds roles.
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// Adds teams.
    #[must_use]
    pub fn with_teams<I, S>(mut self, teams: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.teams.extend(teams.into_iter().map(Into::into));
        self
    }

    /// A principal from an mTLS client certificate's subject in RFC 4514 form
    /// (`CN=alice,OU=risk,O=Example`): the common name is the id and each `OU` a team. Roles are
    /// not taken from the certificate; the server assigns them from its own configuration.
    /// Subjects with escaped characters or multi-valued RDNs (`\`, `+`) are refused rather than
    /// guessed at.
    ///
    /// # Errors
    /// [`SubjectError`] when the subject has no single non-empty `CN`, or uses escapes.
    pub fn from_certificate_subject(subject: &str) -> Result<Self, SubjectError> {
        if subject.contains(['\\', '+', '"']) {
            return Err(SubjectError::Unsupported);
        }
        let mut id = None;
        let mut teams = BTreeSet::new();
        for rdn in subject.split(',') {
            let Some((key, value)) = rdn.split_once('=') else {
                return Err(SubjectError::Malformed);
            };
            let value = value.trim();
            match key.trim().to_ascii_uppercase().as_str() {
                "CN" if id.is_some() => return Err(SubjectError::CommonName),
                "CN" => id = Some(value.to_owned()),
                "OU" if !value.is_empty() => {
                    teams.insert(value.to_owned());
                }
                _ => {}
            }
        }
        match id {
            Some(id) if !id.is_empty() => Ok(Self {
                id,
                teams,
                ..Self::default()
            }),
            _ => Err(SubjectError::CommonName),
        }
    }
}

/// Why a certificate subject gave no [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// Not a comma-separated list of `key=value`.
    #[error("certificate subject is not a list of `key=value` attributes")]
    Malformed,
    /// No `CN`, an empty one, or several.
    #[error("certificate subject must have exactly one non-empty `CN`")]
    CommonName,
    /// Escaped characters or multi-valued attributes.
    #[error("certificate subjects with escapes or multi-valued attributes are not supported")]
    Unsupported,
}

macro_rules! actions {
    ($($variant:ident => $doc:literal,)*) => {
        /// A registry operation: Cedar's `Action::"<name>"`, same spelling as the variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $(#[doc = $doc] $variant,)*
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The Cedar action id.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

actions! {
    CreateGroup => "Create a model package group.",
    PushVersion => "Push a new version of a model.",
    ListModels => "List groups, or a group's versions.",
    DescribeModel => "Read a group's or version's metadata.",
    PullArtifact => "Download a version's artifacts.",
    ApproveVersion => "Approve a version for deployment.",
    RejectVersion => "Reject a version.",
    SetAlias => "Point an alias (`prod`, `staging`) at a version.",
    RollbackAlias => "Point an alias back at an earlier version.",
    DeleteVersion => "Delete a version.",
    OverrideRetention => "Lift a version's governance retention.",
    ReadAuditLog => "Read the registry's audit log.",
    VerifyArtifacts => "Verify a version's artifact digests and signature.",
    ReadLineage => "Read a version's lineage (data, code, parent models).",
    WriteLineage => "Record a version's lineage.",
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

/// A name that is not an [`Action`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action `{0}`")]
pub struct UnknownAction(pub String);

/// A model package group: Cedar's `ModelPackageGroup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Unique name; the entity id.
    pub name: String,
    /// The team that owns it.
    pub owner_team: String,
    /// Versions must be signed to be approved.
    pub require_signature: bool,
}

impl Group {
    /// A group that does not require signatures.
    pub fn new(name: impl Into<String>, owner_team: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            owner_team: owner_team.into(),
            require_signature: false,
        }
    }
}

/// Approval state of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalStatus {
    /// Pushed, not yet decided.
    Pending,
    /// Approved for deployment.
    Approved,
    /// Rejected.
    Rejected,
}

impl ApprovalStatus {
    /// The string the policies compare with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// Retention protecting a version from deletion (S3 Object Lock's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetentionMode {
    /// Not retained.
    None,
    /// Retained; an admin may lift it.
    Governance,
    /// Retained; nobody may lift it.
    Compliance,
}

impl RetentionMode {
    /// The string the policies compare with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Governance => "governance",
            Self::Compliance => "compliance",
        }
    }
}

/// A model version: Cedar's `ModelVersion`, child of its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The group it belongs to.
    pub group: Group,
    /// Version number within the group; the entity id is `<group>/<number>`.
    pub number: u64,
    /// Id of the principal who pushed it.
    pub created_by: String,
    /// Approval state.
    pub approval_status: ApprovalStatus,
    /// A signature over its artifacts has been verified.
    pub signed: bool,
    /// Retention mode.
    pub retention: RetentionMode,
}

impl Version {
    /// A pending, unsigned, unretained version.
    pub fn new(group: Group, number: u64, created_by: impl Into<String>) -> Self {
        Self {
            group,
            number,
            created_by: created_by.into(),
            approval_status: ApprovalStatus::Pending,
            signed: false,
            retention: RetentionMode::None,
        }
    }

    /// The entity id, `<group>/<number>`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.group.name, self.number)
    }
}

/// What an action is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The registry as a whole (`ListModels`).
    Registry,
    /// The audit log (`ReadAuditLog`).
    AuditLog,
    /// A model package group.
    Group(Group),
    /// A model version.
    Version(Version),
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// An API token.
    Token,
    /// A client certificate.
    Mtls,
}

impl AuthMethod {
    /// The string the policies compare with (`context.auth_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Mtls => "mtls",
        }
    }
}

/// Request facts that are neither principal nor resource: Cedar's `context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// How the caller authenticated.
    pub auth_method: AuthMethod,
    /// The caller's stated reason, for actions that need one.
    pub justification: Option<String>,
}

impl RequestContext {
    /// A token-authenticated request without justification.
    pub fn token() -> Self {
        Self {
            auth_method: AuthMethod::Token,
            justification: None,
        }
    }

    /// Sets the justification.
    #[must_use]
    pub fn with_justification(mut self, justification: impl Into<String>) -> Self {
        self.justification = Some(justification.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(*a));
        }
        assert_eq!(Action::ALL.len(), 15);
        assert!("Approve".parse::<Action>().is_err());
    }

    #[test]
    fn certificate_subject() {
        let p = Principal::from_certificate_subject("CN=alice, OU=risk,OU=ml,O=Example")
            .expect("valid subject");
        assert_eq!(p.id, "alice");
        assert_eq!(
            p.teams,
            BTreeSet::from(["ml".to_owned(), "risk".to_owned()])
        );
        assert!(p.roles.is_empty());
        assert_eq!(
            Principal::from_certificate_subject("OU=risk"),
            Err(SubjectError::CommonName)
        );
        assert_eq!(
            Principal::from_certificate_subject("CN=a,CN=b"),
            Err(SubjectError::CommonName)
        );
        assert_eq!(
            Principal::from_certificate_subject(r"CN=a\,b"),
            Err(SubjectError::Unsupported)
        );
        assert_eq!(
            Principal::from_certificate_subject("alice"),
            Err(SubjectError::Malformed)
        );
    }
}
