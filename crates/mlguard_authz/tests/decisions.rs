//! The default registry policies, as a table of (principal, action, resource) → decision, and
//! the separation-of-duties property.

// Helpers outside `#[test]` functions expect too: a failed step fails the test.
#![expect(clippy::expect_used, reason = "test helpers: a failed step fails the test")]

use std::collections::BTreeSet;

use mlguard_authz::{
    Action, ApprovalStatus, Authorizer, Group, Principal, RequestContext, Resource, RetentionMode,
    Version,
};
use proptest::prelude::*;

fn authz() -> Authorizer {
    Authorizer::from_sources(
        mlguard_authz::DEFAULT_SCHEMA,
        "registry.cedarschema",
        mlguard_authz::DEFAULT_POLICIES,
        "registry.cedar",
    )
    .expect("default policies load")
}

const ME: &str = "pat";

fn who(roles: &[&str], teams: &[&str]) -> Principal {
    Principal::new(ME)
        .with_roles(roles.iter().copied())
        .with_teams(teams.iter().copied())
}

/// A group of team `risk`.
fn group(require_signature: bool) -> Group {
    Group {
        name: "fraud-detector".to_owned(),
        owner_team: "risk".to_owned(),
        require_signature,
    }
}

/// A signed, pending, unretained version of [`group`] (which requires signatures).
fn version(created_by: &str) -> Version {
    Version {
        signed: true,
        ..Version::new(group(true), 7, created_by)
    }
}

fn ver(v: Version) -> Resource {
    Resource::Version(v)
}

fn with(created_by: &str, f: impl FnOnce(&mut Version)) -> Resource {
    let mut v = version(created_by);
    f(&mut v);
    Resource::Version(v)
}

struct Case {
    name: &'static str,
    principal: Principal,
    action: Action,
    resource: Resource,
    context: RequestContext,
    allowed: bool,
    /// Expected reasons (policy ids); `None` to expect a schema error.
    reasons: Option<&'static [&'static str]>,
}

fn case(
    name: &'static str,
    principal: Principal,
    action: Action,
    resource: Resource,
    allowed: bool,
    reasons: &'static [&'static str],
) -> Case {
    Case {
        name,
        principal,
        action,
        resource,
        context: RequestContext::token(),
        allowed,
        reasons: Some(reasons),
    }
}

fn table() -> Vec<Case> {
    use Action::*;
    let ds = || who(&["data-scientist"], &["risk"]);
    let eng = || who(&["ml-engineer"], &["risk"]);
    let approver = || who(&["approver"], &["risk"]);
    let eng_approver = || who(&["ml-engineer", "approver"], &["risk"]);
    let admin = || who(&["admin"], &[]);
    let auditor = || who(&["auditor"], &[]);
    let nobody = || who(&[], &["risk"]);
    let approved = |v: &mut Version| v.approval_status = ApprovalStatus::Approved;
    let justified = RequestContext::token().with_justification("legal hold released, TICKET-1");
    vec![
        // read-metadata
        case(
            "ds lists models",
            ds(),
            ListModels,
            Resource::Registry,
            true,
            &["read-metadata"],
        ),
        case(
            "ds lists a group",
            ds(),
            ListModels,
            Resource::Group(group(true)),
            true,
            &["read-metadata"],
        ),
        case(
            "auditor describes a version",
            auditor(),
            DescribeModel,
            ver(version("bob")),
            true,
            &["read-metadata"],
        ),
        case(
            "admin reads lineage",
            admin(),
            ReadLineage,
            ver(version("bob")),
            true,
            &["read-metadata"],
        ),
        case(
            "approver verifies artifacts",
            approver(),
            VerifyArtifacts,
            ver(version("bob")),
            true,
            &["read-metadata"],
        ),
        case(
            "no role lists nothing",
            nobody(),
            ListModels,
            Resource::Registry,
            false,
            &[],
        ),
        case(
            "unknown role describes nothing",
            who(&["intern"], &["risk"]),
            DescribeModel,
            Resource::Group(group(false)),
            false,
            &[],
        ),
        // pull-artifact
        case(
            "ds pulls",
            ds(),
            PullArtifact,
            ver(version("bob")),
            true,
            &["pull-artifact"],
        ),
        case(
            "engineer pulls",
            eng(),
            PullArtifact,
            ver(version("bob")),
            true,
            &["pull-artifact"],
        ),
        case(
            "approver pulls",
            approver(),
            PullArtifact,
            ver(version("bob")),
            true,
            &["pull-artifact"],
        ),
        case(
            "auditor cannot pull",
            auditor(),
            PullArtifact,
            ver(version("bob")),
            false,
            &[],
        ),
        case(
            "admin cannot pull",
            admin(),
            PullArtifact,
            ver(version("bob")),
            false,
            &[],
        ),
        // auditor-read-log
        case(
            "auditor reads the log",
            auditor(),
            ReadAuditLog,
            Resource::AuditLog,
            true,
            &["auditor-read-log"],
        ),
        case(
            "admin cannot read the log",
            admin(),
            ReadAuditLog,
            Resource::AuditLog,
            false,
            &[],
        ),
        case(
            "approver cannot read the log",
            approver(),
            ReadAuditLog,
            Resource::AuditLog,
            false,
            &[],
        ),
        // create-group
        case(
            "engineer creates own team's group",
            eng(),
            CreateGroup,
            Resource::Group(group(false)),
            true,
            &["create-group"],
        ),
        case(
            "engineer cannot create another team's group",
            who(&["ml-engineer"], &["growth"]),
            CreateGroup,
            Resource::Group(group(false)),
            false,
            &[],
        ),
        case(
            "admin creates any group",
            admin(),
            CreateGroup,
            Resource::Group(group(true)),
            true,
            &["create-group"],
        ),
        case(
            "ds cannot create a group",
            ds(),
            CreateGroup,
            Resource::Group(group(false)),
            false,
            &[],
        ),
        // push-version, forbid-push-as-other
        case(
            "ds pushes to own team",
            ds(),
            PushVersion,
            ver(version(ME)),
            true,
            &["push-version"],
        ),
        case(
            "engineer pushes to own team",
            eng(),
            PushVersion,
            ver(version(ME)),
            true,
            &["push-version"],
        ),
        case(
            "ds cannot push to another team",
            who(&["data-scientist"], &["growth"]),
            PushVersion,
            ver(version(ME)),
            false,
            &[],
        ),
        case(
            "ds cannot push in another's name",
            ds(),
            PushVersion,
            ver(version("bob")),
            false,
            &["forbid-push-as-other"],
        ),
        case(
            "auditor cannot push",
            who(&["auditor"], &["risk"]),
            PushVersion,
            ver(version(ME)),
            false,
            &[],
        ),
        case(
            "approver cannot push",
            approver(),
            PushVersion,
            ver(version(ME)),
            false,
            &[],
        ),
        // write-lineage
        case(
            "engineer writes lineage",
            eng(),
            WriteLineage,
            ver(version("bob")),
            true,
            &["write-lineage"],
        ),
        case(
            "ds writes lineage",
            ds(),
            WriteLineage,
            ver(version("bob")),
            true,
            &["write-lineage"],
        ),
        case(
            "other team cannot write lineage",
            who(&["ml-engineer"], &["growth"]),
            WriteLineage,
            ver(version("bob")),
            false,
            &[],
        ),
        case(
            "approver cannot write lineage",
            approver(),
            WriteLineage,
            ver(version("bob")),
            false,
            &[],
        ),
        // approver-decide, forbid-self-approval, forbid-unsigned-approval
        case(
            "approver approves another's version",
            approver(),
            ApproveVersion,
            ver(version("bob")),
            true,
            &["approver-decide"],
        ),
        case(
            "approver rejects another's version",
            approver(),
            RejectVersion,
            ver(version("bob")),
            true,
            &["approver-decide"],
        ),
        case(
            "approver cannot approve own version",
            approver(),
            ApproveVersion,
            ver(version(ME)),
            false,
            &["forbid-self-approval"],
        ),
        case(
            "engineer+approver cannot approve own version",
            eng_approver(),
            ApproveVersion,
            ver(version(ME)),
            false,
            &["forbid-self-approval"],
        ),
        case(
            "engineer+approver approves another's version",
            eng_approver(),
            ApproveVersion,
            ver(version("bob")),
            true,
            &["approver-decide"],
        ),
        case(
            "approver may reject own version",
            approver(),
            RejectVersion,
            ver(version(ME)),
            true,
            &["approver-decide"],
        ),
        case(
            "unsigned version of a signing group",
            approver(),
            ApproveVersion,
            with("bob", |v| v.signed = false),
            false,
            &["forbid-unsigned-approval"],
        ),
        case(
            "unsigned version of a non-signing group",
            approver(),
            ApproveVersion,
            with("bob", |v| {
                v.signed = false;
                v.group.require_signature = false;
            }),
            true,
            &["approver-decide"],
        ),
        case(
            "own unsigned version: both forbids",
            approver(),
            ApproveVersion,
            with(ME, |v| v.signed = false),
            false,
            &["forbid-self-approval", "forbid-unsigned-approval"],
        ),
        case(
            "engineer cannot approve",
            eng(),
            ApproveVersion,
            ver(version("bob")),
            false,
            &[],
        ),
        case(
            "admin cannot approve",
            admin(),
            ApproveVersion,
            ver(version("bob")),
            false,
            &[],
        ),
        case(
            "ds cannot reject",
            ds(),
            RejectVersion,
            ver(version("bob")),
            false,
            &[],
        ),
        // engineer-alias, forbid-alias-unapproved
        case(
            "engineer sets alias to approved",
            eng(),
            SetAlias,
            with("bob", approved),
            true,
            &["engineer-alias"],
        ),
        case(
            "engineer rolls back to approved",
            eng(),
            RollbackAlias,
            with("bob", approved),
            true,
            &["engineer-alias"],
        ),
        case(
            "engineer cannot alias a pending version",
            eng(),
            SetAlias,
            ver(version("bob")),
            false,
            &["forbid-alias-unapproved"],
        ),
        case(
            "engineer cannot alias a rejected version",
            eng(),
            RollbackAlias,
            with("bob", |v| v.approval_status = ApprovalStatus::Rejected),
            false,
            &["forbid-alias-unapproved"],
        ),
        case(
            "other team cannot alias",
            who(&["ml-engineer"], &["growth"]),
            SetAlias,
            with("bob", approved),
            false,
            &[],
        ),
        case(
            "approver cannot alias",
            approver(),
            SetAlias,
            with("bob", approved),
            false,
            &[],
        ),
        // admin-delete, forbid-delete-retained
        case(
            "admin deletes unretained",
            admin(),
            DeleteVersion,
            ver(version("bob")),
            true,
            &["admin-delete"],
        ),
        case(
            "admin cannot delete under governance",
            admin(),
            DeleteVersion,
            with("bob", |v| v.retention = RetentionMode::Governance),
            false,
            &["forbid-delete-retained"],
        ),
        case(
            "admin cannot delete under compliance",
            admin(),
            DeleteVersion,
            with("bob", |v| v.retention = RetentionMode::Compliance),
            false,
            &["forbid-delete-retained"],
        ),
        case(
            "engineer cannot delete",
            eng(),
            DeleteVersion,
            ver(version(ME)),
            false,
            &[],
        ),
        // admin-override-retention, forbid-override-non-admin, forbid-override-compliance
        Case {
            context: justified.clone(),
            ..case(
                "admin lifts governance with justification",
                admin(),
                OverrideRetention,
                with("bob", |v| v.retention = RetentionMode::Governance),
                true,
                &["admin-override-retention"],
            )
        },
        case(
            "admin needs a justification",
            admin(),
            OverrideRetention,
            with("bob", |v| v.retention = RetentionMode::Governance),
            false,
            &[],
        ),
        Case {
            context: RequestContext::token().with_justification(""),
            ..case(
                "empty justification",
                admin(),
                OverrideRetention,
                with("bob", |v| v.retention = RetentionMode::Governance),
                false,
                &[],
            )
        },
        Case {
            context: justified.clone(),
            ..case(
                "compliance is never lifted",
                admin(),
                OverrideRetention,
                with("bob", |v| v.retention = RetentionMode::Compliance),
                false,
                &["forbid-override-compliance"],
            )
        },
        Case {
            context: justified.clone(),
            ..case(
                "approver cannot lift retention",
                approver(),
                OverrideRetention,
                with("bob", |v| v.retention = RetentionMode::Governance),
                false,
                &["forbid-override-non-admin"],
            )
        },
        Case {
            context: justified,
            ..case(
                "nothing to lift",
                admin(),
                OverrideRetention,
                ver(version("bob")),
                false,
                &[],
            )
        },
        // Requests the schema does not allow: denied with an error.
        Case {
            reasons: None,
            ..case(
                "log action on a version",
                auditor(),
                ReadAuditLog,
                ver(version("bob")),
                false,
                &[],
            )
        },
        Case {
            reasons: None,
            ..case(
                "push to the registry",
                ds(),
                PushVersion,
                Resource::Registry,
                false,
                &[],
            )
        },
        Case {
            reasons: None,
            ..case(
                "approve a group",
                approver(),
                ApproveVersion,
                Resource::Group(group(false)),
                false,
                &[],
            )
        },
    ]
}

#[test]
fn default_policy_table() {
    let authz = authz();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let cases = table();
    for c in &cases {
        let d = authz.authorize(&c.principal, c.action, &c.resource, &c.context);
        seen.extend(d.reasons.iter().cloned());
        let ok = match c.reasons {
            Some(reasons) => d.allowed == c.allowed && d.reasons == reasons && d.errors.is_empty(),
            None => !d.allowed && !d.errors.is_empty(),
        };
        if !ok {
            failures.push(format!("{}: got {d:?}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Every default policy decides at least one case.
    let all: BTreeSet<String> = authz.policy_ids().into_iter().collect();
    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "policies no case exercises: {missing:?}"
    );
    assert_eq!(all.len(), 17);
}

#[test]
fn evaluation_error_denies() {
    // A forbid that errors (integer overflow) is skipped by Cedar, which then allows through
    // the permit; the authorizer must deny instead and report the error.
    let policies = r#"
        @id("allow-read") permit (principal, action == Action::"DescribeModel", resource);
        @id("overflow") forbid (principal, action == Action::"DescribeModel", resource is ModelVersion)
        when { resource.number * 9223372036854775807 > 0 };
    "#;
    let authz = Authorizer::from_sources(mlguard_authz::DEFAULT_SCHEMA, "s", policies, "p")
        .expect("validates");
    let d = authz.authorize(
        &who(&[], &[]),
        Action::DescribeModel,
        &ver(version("bob")),
        &RequestContext::token(),
    );
    assert!(!d.allowed);
    assert_eq!(d.reasons, ["allow-read"]);
    assert_eq!(d.errors.len(), 1, "{d:?}");
    assert!(d.errors[0].contains("overflow"), "{d:?}");
}

#[test]
fn out_of_range_version_number_denies() {
    let mut v = version("bob");
    v.number = u64::MAX;
    let d = authz().authorize(
        &who(&["data-scientist"], &[]),
        Action::DescribeModel,
        &ver(v),
        &RequestContext::token(),
    );
    assert!(!d.allowed);
    assert!(d.errors[0].contains("out of range"), "{d:?}");
}

#[test]
fn principal_attributes_are_tags() {
    let policies = r#"
        @id("tagged") permit (principal, action == Action::"ListModels", resource)
        when { principal.hasTag("clearance") && principal.getTag("clearance") == "high" };
    "#;
    let authz = Authorizer::from_sources(mlguard_authz::DEFAULT_SCHEMA, "s", policies, "p")
        .expect("validates");
    let mut p = who(&[], &[]);
    let ctx = RequestContext::token();
    assert!(
        !authz
            .authorize(&p, Action::ListModels, &Resource::Registry, &ctx)
            .allowed
    );
    p.attributes
        .insert("clearance".to_owned(), "high".to_owned());
    assert!(
        authz
            .authorize(&p, Action::ListModels, &Resource::Registry, &ctx)
            .allowed
    );
}

fn role() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("data-scientist".to_owned()),
        Just("ml-engineer".to_owned()),
        Just("approver".to_owned()),
        Just("admin".to_owned()),
        Just("auditor".to_owned()),
        "[a-z-]{1,12}",
    ]
}

fn principal() -> impl Strategy<Value = Principal> {
    (
        "[a-zA-Z0-9_.@:/\" -]{1,24}",
        prop::collection::btree_set(role(), 0..6),
        prop::collection::btree_set(prop_oneof![Just("risk".to_owned()), "[a-z]{1,8}"], 0..3),
        prop::collection::btree_map("[a-z]{1,6}", "[a-z]{0,6}", 0..3),
    )
        .prop_map(|(id, roles, teams, attributes)| Principal {
            id,
            roles,
            teams,
            attributes,
        })
}

fn status() -> impl Strategy<Value = ApprovalStatus> {
    prop_oneof![
        Just(ApprovalStatus::Pending),
        Just(ApprovalStatus::Approved),
        Just(ApprovalStatus::Rejected)
    ]
}

fn retention() -> impl Strategy<Value = RetentionMode> {
    prop_oneof![
        Just(RetentionMode::None),
        Just(RetentionMode::Governance),
        Just(RetentionMode::Compliance)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Separation of duties: under the default policies nobody, whatever their roles, teams or
    /// attributes, approves a version they created.
    #[test]
    fn nobody_approves_their_own_version(
        p in principal(),
        owner in prop_oneof![Just("risk".to_owned()), "[a-z]{1,8}"],
        require_signature: bool,
        signed: bool,
        number in 0u64..1_000_000,
        status in status(),
        retention in retention(),
        justification in prop::option::of("[a-z ]{0,10}"),
    ) {
        let authz = authz_cached();
        let version = Version {
            group: Group { name: "g".to_owned(), owner_team: owner, require_signature },
            number,
            created_by: p.id.clone(),
            approval_status: status,
            signed,
            retention,
        };
        let context = RequestContext { justification, ..RequestContext::token() };
        let d = authz.authorize(&p, Action::ApproveVersion, &Resource::Version(version.clone()), &context);
        prop_assert!(!d.allowed, "{p:?} approved own {version:?}: {d:?}");
        prop_assert!(d.errors.is_empty(), "{d:?}");
        prop_assert!(d.reasons.iter().any(|r| r == "forbid-self-approval"), "{d:?}");

        // The same version pushed by someone else is approvable by an approver (when signed or
        // not required to be): the forbid is about the creator, not a blanket deny.
        let mut other = version;
        other.created_by = format!("{}-other", p.id);
        let approver = p.clone().with_roles(["approver"]);
        let d = authz.authorize(&approver, Action::ApproveVersion, &Resource::Version(other.clone()), &context);
        prop_assert_eq!(d.allowed, other.signed || !other.group.require_signature, "{:?}", d);
    }
}

fn authz_cached() -> &'static Authorizer {
    static AUTHZ: std::sync::OnceLock<Authorizer> = std::sync::OnceLock::new();
    AUTHZ.get_or_init(authz)
}
