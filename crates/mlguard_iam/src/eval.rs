//! Deciding a request against the policies that apply to it, within one account.
//!
//! The order follows "Determining whether a request is allowed or denied within an account"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//!
//! 1. An applicable `Deny` statement in any policy (identity, resource, permissions boundary,
//!    SCP) is an explicit deny.
//! 2. Every level of SCPs must allow: "If the enforcement code does not find any applicable
//!    `Allow` statements in the SCPs, then the request is implicitly denied". Each entry of
//!    [`PolicySet::scps`] is one level of the organization (root, OU, account); within a level
//!    one allowing SCP is enough (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>).
//! 3. A resource-based policy that grants directly to the requesting IAM user or role session
//!    (its exact ARN) allows even without an identity allow and despite the permissions
//!    boundary ("an implicit deny in an identity-based policy, a permissions boundary, or a
//!    session policy does not impact the final decision"). A grant to a role ARN, to `*` or to a
//!    service is an allow that the permissions boundary still limits. A grant to the account
//!    (`123456789012`, `arn:aws:iam::123456789012:root`) delegates to IAM: it allows nothing by
//!    itself (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts>).
//! 4. Otherwise some identity-based policy (or a boundary-limited resource grant) must allow,
//!    and the permissions boundary, if there is one, must allow too.
//!
//! Not modelled: session policies, resource control policies, cross-account requests (where
//! both sides must allow), the account root user (which policies other than SCPs do not
//! restrict), and service-linked roles (which SCPs do not restrict).

use std::collections::HashMap;

use serde::Serialize;

use crate::policy::{Effect, Policy, PrincipalId, PrincipalMatch, Problem, ResourceMatch, Statement};
use crate::Context;

/// A request: can `principal` do `action` on `resource`, given `context`?
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The requester's ARN: `arn:aws:iam::123456789012:user/alice`,
    /// `arn:aws:sts::123456789012:assumed-role/Role/session`, or a service principal.
    pub principal: String,
    /// `service:Action`, e.g. `s3:GetObject` (matched case-insensitively).
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key` (matched case-sensitively).
    pub resource: String,
    /// Condition keys and their values; key names are matched case-insensitively.
    pub context: Context,
}

impl Request {
    /// A request with an empty context.
    pub fn new(principal: impl Into<String>, action: impl Into<String>, resource: impl Into<String>) -> Request {
        Request {
            principal: principal.into(),
            action: action.into(),
            resource: resource.into(),
            context: HashMap::new(),
        }
    }

    /// Adds a context key with its values.
    pub fn with<I, S>(mut self, key: impl Into<String>, values: I) -> Request
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.context.insert(key.into(), values.into_iter().map(Into::into).collect());
        self
    }

    fn view(&self) -> View<'_> {
        View { principal: &self.principal, action: &self.action, resource: &self.resource, context: &self.context }
    }
}

/// A borrowed request, so that many actions can be asked without copying the rest.
#[derive(Clone, Copy)]
struct View<'r> {
    principal: &'r str,
    action: &'r str,
    resource: &'r str,
    context: &'r Context,
}

/// A policy with the name (or ARN) that decisions cite.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    /// Name or ARN, e.g. `arn:aws:iam::aws:policy/AdministratorAccess` or `alice/inline-s3`.
    pub name: String,
    /// The document.
    pub policy: Policy,
}

impl NamedPolicy {
    /// Pairs a name with a policy.
    pub fn new(name: impl Into<String>, policy: Policy) -> NamedPolicy {
        NamedPolicy { name: name.into(), policy }
    }
}

/// What role a policy plays in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PolicyKind {
    /// Attached to the principal (directly, through a group, or inline).
    Identity,
    /// Attached to the resource; its statements must name a principal.
    Resource,
    /// The principal's permissions boundary.
    PermissionsBoundary,
    /// A service control policy of the principal's organization.
    Scp,
}

/// Which statement took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct StatementRef {
    /// [`NamedPolicy::name`].
    pub policy: String,
    /// The role of that policy.
    pub kind: PolicyKind,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
    /// The statement's position in the policy (0-based).
    pub index: usize,
}

/// The three possible outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DecisionKind {
    /// An applicable `Deny` statement.
    ExplicitDeny,
    /// Allowed.
    Allow,
    /// Nothing allows, or a boundary or SCP withholds the allow.
    ImplicitDeny,
}

/// Why an implicit deny happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Gate {
    /// No identity-based or resource-based statement allows.
    NoAllow,
    /// Something allows, but the permissions boundary does not.
    PermissionsBoundary,
    /// No SCP at this level (index into [`PolicySet::scps`]) allows.
    Scp {
        /// Index of the level.
        level: usize,
    },
}

/// The answer to a [`Request`], with the statements that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// `kind == Allow`.
    pub allowed: bool,
    /// Explicit deny, allow or implicit deny.
    pub kind: DecisionKind,
    /// For an explicit deny, every applicable `Deny` statement. For an allow, the statements
    /// that grant it, then the boundary and SCP statements that let it through. For an implicit
    /// deny, the granting statements that a boundary or SCP stopped (empty for [`Gate::NoAllow`]).
    pub matched: Vec<StatementRef>,
    /// For an implicit deny, what withheld the allow.
    pub gate: Option<Gate>,
    /// Statements that would have applied but could not be decided (unknown operator, a policy
    /// variable without a value, …); each was treated as not matching.
    pub problems: Vec<Problem>,
}

/// The statements of one policy that apply to a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyOutcome {
    /// Applicable `Deny` statements.
    pub denies: Vec<StatementRef>,
    /// Applicable `Allow` statements (for a resource policy, those that grant: see [`Self::direct`]).
    pub allows: Vec<StatementRef>,
    /// For a resource policy, the subset of `allows` that name the requesting user or session
    /// itself, which the permissions boundary does not limit.
    pub direct: Vec<StatementRef>,
    /// For a resource policy, `Allow` statements that name the requester's account (its root
    /// or id): they grant nothing by themselves but delegate to that account's IAM policies, so
    /// for a requester of *another* account they are a cross-account grant.
    pub delegated: Vec<StatementRef>,
    /// Statements that could not be decided.
    pub problems: Vec<Problem>,
}

/// Evaluates one policy on its own: which of its statements apply to `request`.
/// For [`PolicyKind::Resource`] a statement must name the principal (a statement without
/// `Principal` is reported and ignored); for the other kinds `Principal` is ignored.
pub fn evaluate_policy(policy: &NamedPolicy, kind: PolicyKind, request: &Request) -> PolicyOutcome {
    outcome(policy, kind, request.view())
}

/// How a resource-policy statement's `Principal` relates to the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Hit {
    No,
    /// The requester's account, which delegates to IAM.
    Account,
    /// `*`, a role whose session is the requester, a service: boundary-limited.
    Other,
    /// The requester's own user or session ARN.
    Direct,
}

fn outcome(policy: &NamedPolicy, kind: PolicyKind, req: View<'_>) -> PolicyOutcome {
    let mut out = PolicyOutcome::default();
    for (index, stmt) in policy.policy.statements.iter().enumerate() {
        let reference = || StatementRef { policy: policy.name.clone(), kind, sid: stmt.sid.clone(), index };
        let hit = if kind == PolicyKind::Resource {
            match &stmt.principals {
                Some(p) => principal_hit(p, req.principal),
                None => {
                    if stmt.actions.matches(req.action) {
                        out.problems.push(problem(
                            policy,
                            &stmt.path,
                            "a resource-based policy statement without `Principal` applies to no one".to_owned(),
                        ));
                    }
                    Hit::No
                }
            }
        } else {
            Hit::Other
        };
        if hit == Hit::No {
            continue;
        }
        match applies(stmt, req) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(problems) => {
                out.problems.extend(problems.into_iter().map(|(path, message)| problem(policy, &path, message)));
                continue;
            }
        }
        match stmt.effect {
            Effect::Deny => out.denies.push(reference()),
            Effect::Allow => match hit {
                Hit::Direct => {
                    out.direct.push(reference());
                    out.allows.push(reference());
                }
                Hit::Other => out.allows.push(reference()),
                Hit::Account => out.delegated.push(reference()),
                Hit::No => {}
            },
        }
    }
    out
}

fn problem(policy: &NamedPolicy, path: &str, message: String) -> Problem {
    Problem { policy: Some(policy.name.clone()), path: path.to_owned(), message }
}

/// Whether the statement applies (action, resource, conditions), or why it cannot be decided.
fn applies(stmt: &Statement, req: View<'_>) -> Result<bool, Vec<(String, String)>> {
    if !stmt.actions.matches(req.action) {
        return Ok(false);
    }
    let resource_ok = match &stmt.resources {
        ResourceMatch::Unspecified => Ok(true),
        ResourceMatch::Resource(ps) => any_resource(ps, req),
        ResourceMatch::NotResource(ps) => any_resource(ps, req).map(|hit| !hit),
    };
    let resource_path = || format!("{}.Resource", stmt.path);
    let mut problems = Vec::new();
    match resource_ok {
        Ok(false) => return Ok(false),
        Ok(true) => {}
        Err(key) => problems.push((
            resource_path(),
            format!("policy variable `${{{key}}}` has no single value in the request; the statement does not apply"),
        )),
    }
    for c in &stmt.conditions {
        match c.evaluate(req.context) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(message) => problems.push((c.path.clone(), message)),
        }
    }
    if problems.is_empty() {
        Ok(true)
    } else {
        Err(problems)
    }
}

fn any_resource(patterns: &[crate::Pattern], req: View<'_>) -> Result<bool, String> {
    for p in patterns {
        if p.matches_in(req.resource, req.context, false).map_err(|u| u.key)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn principal_hit(m: &PrincipalMatch, principal: &str) -> Hit {
    match m {
        PrincipalMatch::Principal(ids) => ids.iter().map(|id| id_hit(id, principal)).max().unwrap_or(Hit::No),
        PrincipalMatch::NotPrincipal(ids) => {
            if ids.iter().any(|id| id_hit(id, principal) != Hit::No) {
                Hit::No
            } else {
                Hit::Other
            }
        }
    }
}

/// The fields of an ARN: partition, service, region, account, resource.
fn arn_fields(arn: &str) -> Option<[&str; 5]> {
    let mut it = arn.splitn(6, ':');
    if it.next()? != "arn" {
        return None;
    }
    Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
}

fn id_hit(id: &PrincipalId, principal: &str) -> Hit {
    match id {
        PrincipalId::Anyone => Hit::Other,
        PrincipalId::Service(s) | PrincipalId::Federated(s) | PrincipalId::CanonicalUser(s) => {
            if s == principal {
                Hit::Other
            } else {
                Hit::No
            }
        }
        PrincipalId::Aws(s) => aws_hit(s, principal),
    }
}

fn aws_hit(id: &str, principal: &str) -> Hit {
    if id == "*" {
        return Hit::Other;
    }
    let requester = arn_fields(principal);
    let requester_account = requester.map(|f| f[3]);
    // An account: the bare ID or its root ARN.
    let account = if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Some(id)
    } else {
        match arn_fields(id) {
            Some([_, "iam", "", acct, "root"]) => Some(acct),
            _ => None,
        }
    };
    if let Some(acct) = account {
        if id == principal {
            return Hit::Direct;
        }
        return if requester_account == Some(acct) { Hit::Account } else { Hit::No };
    }
    if id == principal {
        let resource = requester.map_or("", |f| f[4]);
        let is_user_or_session = resource.starts_with("user/")
            || resource.starts_with("assumed-role/")
            || resource.starts_with("federated-user/");
        return if is_user_or_session { Hit::Direct } else { Hit::Other };
    }
    // A role ARN covers that role's sessions.
    if let (Some([p1, "iam", "", a1, role]), Some([p2, "sts", "", a2, session])) = (arn_fields(id), requester) {
        if let (Some(role_path), Some(session_rest)) =
            (role.strip_prefix("role/"), session.strip_prefix("assumed-role/"))
        {
            let role_name = role_path.rsplit('/').next().unwrap_or(role_path);
            let session_role = session_rest.split('/').next().unwrap_or("");
            if p1 == p2 && a1 == a2 && role_name == session_role {
                return Hit::Other;
            }
        }
    }
    Hit::No
}

/// The policies that apply to one principal's requests, borrowed so that policies shared by
/// many principals are parsed once.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies: managed and inline, the principal's own and its groups'.
    pub identity: Vec<&'a NamedPolicy>,
    /// The resource's policy, if it has one (bucket policy, key policy, trust policy, …).
    pub resource: Option<&'a NamedPolicy>,
    /// The permissions boundary, if one is set.
    pub boundary: Option<&'a NamedPolicy>,
    /// SCPs, one entry per level of the organization; every level must allow, and within a
    /// level one SCP is enough. [`PolicySet::with_scps`] makes each SCP its own level.
    pub scps: Vec<Vec<&'a NamedPolicy>>,
}

impl<'a> PolicySet<'a> {
    /// A set of identity-based policies only.
    pub fn new(identity: impl IntoIterator<Item = &'a NamedPolicy>) -> PolicySet<'a> {
        PolicySet { identity: identity.into_iter().collect(), ..PolicySet::default() }
    }

    /// Sets the resource-based policy.
    pub fn with_resource(mut self, policy: &'a NamedPolicy) -> PolicySet<'a> {
        self.resource = Some(policy);
        self
    }

    /// Sets the permissions boundary.
    pub fn with_boundary(mut self, policy: &'a NamedPolicy) -> PolicySet<'a> {
        self.boundary = Some(policy);
        self
    }

    /// Adds SCPs that must each allow (each becomes its own level).
    pub fn with_scps(mut self, scps: impl IntoIterator<Item = &'a NamedPolicy>) -> PolicySet<'a> {
        self.scps.extend(scps.into_iter().map(|p| vec![p]));
        self
    }

    /// Adds one level of SCPs of which at least one must allow.
    pub fn with_scp_level(mut self, level: impl IntoIterator<Item = &'a NamedPolicy>) -> PolicySet<'a> {
        self.scps.push(level.into_iter().collect());
        self
    }

    /// Decides `request`.
    pub fn evaluate(&self, request: &Request) -> Decision {
        self.decide(request.view())
    }

    /// Whether `request` is allowed.
    pub fn is_allowed(&self, request: &Request) -> bool {
        self.evaluate(request).allowed
    }

    /// The actions among `actions` that `principal` may do on `resource` with `context`.
    pub fn allowed_actions<'s, S: AsRef<str>>(
        &self,
        principal: &str,
        resource: &str,
        context: &Context,
        actions: &'s [S],
    ) -> Vec<&'s str> {
        actions
            .iter()
            .map(AsRef::as_ref)
            .filter(|action| self.decide(View { principal, action, resource, context }).allowed)
            .collect()
    }

    fn decide(&self, req: View<'_>) -> Decision {
        let mut problems = Vec::new();
        let mut denies = Vec::new();
        let mut take = |o: PolicyOutcome, problems: &mut Vec<Problem>| {
            denies.extend(o.denies);
            problems.extend(o.problems);
            (o.allows, o.direct)
        };
        let mut identity_allows = Vec::new();
        for p in &self.identity {
            identity_allows.extend(take(outcome(p, PolicyKind::Identity, req), &mut problems).0);
        }
        let (resource_allows, resource_direct) = match self.resource {
            Some(p) => take(outcome(p, PolicyKind::Resource, req), &mut problems),
            None => (Vec::new(), Vec::new()),
        };
        let boundary_allows =
            self.boundary.map(|p| take(outcome(p, PolicyKind::PermissionsBoundary, req), &mut problems).0);
        let scp_allows: Vec<Vec<StatementRef>> = self
            .scps
            .iter()
            .map(|level| level.iter().flat_map(|p| take(outcome(p, PolicyKind::Scp, req), &mut problems).0).collect())
            .collect();

        if !denies.is_empty() {
            return Decision {
                allowed: false,
                kind: DecisionKind::ExplicitDeny,
                matched: denies,
                gate: None,
                problems,
            };
        }
        let mut grants: Vec<StatementRef> = identity_allows;
        grants.extend(resource_allows.iter().filter(|r| !resource_direct.contains(r)).cloned());
        let implicit = |gate: Gate, matched: Vec<StatementRef>, problems: Vec<Problem>| Decision {
            allowed: false,
            kind: DecisionKind::ImplicitDeny,
            matched,
            gate: Some(gate),
            problems,
        };
        if let Some(level) = scp_allows.iter().position(Vec::is_empty) {
            let mut stopped = resource_direct;
            stopped.extend(grants);
            return implicit(Gate::Scp { level }, stopped, problems);
        }
        let scp_refs = scp_allows.into_iter().flatten();
        if !resource_direct.is_empty() {
            let mut matched = resource_direct;
            matched.extend(scp_refs);
            return Decision { allowed: true, kind: DecisionKind::Allow, matched, gate: None, problems };
        }
        if grants.is_empty() {
            return implicit(Gate::NoAllow, Vec::new(), problems);
        }
        if let Some(boundary) = &boundary_allows {
            if boundary.is_empty() {
                return implicit(Gate::PermissionsBoundary, grants, problems);
            }
        }
        let mut matched = grants;
        matched.extend(boundary_allows.into_iter().flatten());
        matched.extend(scp_refs);
        Decision { allowed: true, kind: DecisionKind::Allow, matched, gate: None, problems }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
    const BUCKET: &str = "arn:aws:s3:::data";
    const OBJECT: &str = "arn:aws:s3:::data/train.csv";

    fn named(name: &str, json: &str) -> NamedPolicy {
        NamedPolicy::new(name, Policy::from_json(json).unwrap())
    }

    /// `kind [policy#index …]`, with the gate of an implicit deny: `ImplicitDeny(NoAllow)`.
    fn render(d: &Decision) -> String {
        let mut s = match (d.kind, d.gate) {
            (DecisionKind::ImplicitDeny, Some(Gate::Scp { level })) => format!("ImplicitDeny(Scp{level})"),
            (DecisionKind::ImplicitDeny, Some(g)) => format!("ImplicitDeny({g:?})"),
            (k, _) => format!("{k:?}"),
        };
        for m in &d.matched {
            s.push_str(&format!(" {}#{}", m.policy, m.index));
        }
        assert_eq!(d.allowed, d.kind == DecisionKind::Allow);
        s
    }

    /// `check(policy_json, request, expected)`: one identity-based policy named `p`.
    fn check(policy_json: &str, request: Request, expected: &str) {
        let p = named("p", policy_json);
        let d = PolicySet::new([&p]).evaluate(&request);
        assert_eq!(render(&d), expected, "{policy_json}\n{request:?}");
    }

    /// Several policies: `(kind, name, json)` with kind `id`, `res`, `pb` or `scpN` (SCP level N).
    fn check_set(policies: &[(&str, &str, &str)], request: Request, expected: &str) {
        let parsed: Vec<(&str, NamedPolicy)> = policies.iter().map(|(k, n, j)| (*k, named(n, j))).collect();
        let mut set = PolicySet::default();
        for (kind, p) in &parsed {
            match *kind {
                "id" => set.identity.push(p),
                "res" => set.resource = Some(p),
                "pb" => set.boundary = Some(p),
                scp => {
                    let level: usize = scp.trim_start_matches("scp").parse().unwrap();
                    while set.scps.len() <= level {
                        set.scps.push(Vec::new());
                    }
                    set.scps[level].push(p);
                }
            }
        }
        let d = set.evaluate(&request);
        assert_eq!(render(&d), expected, "{policies:?}\n{request:?}");
    }

    fn allow(action: &str, resource: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
        )
    }

    fn deny(action: &str, resource: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"{resource}"}}]}}"#
        )
    }

    #[test]
    fn allow_deny_and_implicit_deny() {
        let p = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
            {"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}]}"#;
        check(p, Request::new(ALICE, "iam:GetUser", "*"), "Allow p#0");
        check(p, Request::new(ALICE, "IAM:getuser", "*"), "Allow p#0");
        check(p, Request::new(ALICE, "iam:CreatePolicy", "*"), "ImplicitDeny(NoAllow)");
        check(p, Request::new(ALICE, "iam:GetOrganizationsAccessReport", "*"), "ExplicitDeny p#1");
        check(p, Request::new(ALICE, "iam:GenerateCredentialReport", "*"), "ExplicitDeny p#1");
    }

    #[test]
    fn wildcard_question_mark_in_actions_and_resources() {
        check(
            &allow("s3:Get?bject", "arn:aws:s3:::data/??.csv"),
            Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::data/ab.csv"),
            "Allow p#0",
        );
        check(
            &allow("s3:Get?bject", "arn:aws:s3:::data/??.csv"),
            Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::data/abc.csv"),
            "ImplicitDeny(NoAllow)",
        );
        check(
            &allow("s3:Get?bject", "arn:aws:s3:::data/??.csv"),
            Request::new(ALICE, "s3:GetObjects", "arn:aws:s3:::data/ab.csv"),
            "ImplicitDeny(NoAllow)",
        );
        // Resources are case-sensitive, actions are not.
        check(
            &allow("S3:GETOBJECT", "arn:aws:s3:::Data/*"),
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ImplicitDeny(NoAllow)",
        );
        check(&allow("S3:GETOBJECT", "arn:aws:s3:::data/*"), Request::new(ALICE, "s3:GetObject", OBJECT), "Allow p#0");
    }

    #[test]
    fn not_action() {
        // The documented example: everything in S3 except deleting a bucket.
        let p = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"arn:aws:s3:::*"}}"#;
        check(p, Request::new(ALICE, "s3:GetObject", OBJECT), "Allow p#0");
        check(p, Request::new(ALICE, "s3:DeleteBucket", BUCKET), "ImplicitDeny(NoAllow)");
        // NotAction with Resource "arn:aws:s3:::*" does not reach other services' resources.
        check(
            p,
            Request::new(ALICE, "ec2:RunInstances", "arn:aws:ec2:us-east-1:111122223333:instance/*"),
            "ImplicitDeny(NoAllow)",
        );
        // Deny everything outside IAM unless MFA: NotAction with Deny.
        let d = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        check(d, Request::new(ALICE, "iam:ListUsers", "*"), "Allow p#0");
        check(d, Request::new(ALICE, "s3:ListBucket", BUCKET), "ExplicitDeny p#1");
        check(
            d,
            Request::new(ALICE, "s3:ListBucket", BUCKET).with("aws:MultiFactorAuthPresent", ["true"]),
            "Allow p#0",
        );
    }

    #[test]
    fn not_resource() {
        // The documented HRPayroll example, with an allow to see its effect.
        let p = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}]}"#;
        check(p, Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/jan.csv"), "Allow p#0");
        check(p, Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/jan.csv"), "ExplicitDeny p#1");
        check(p, Request::new(ALICE, "s3:GetObject", OBJECT), "ExplicitDeny p#1");
        let a = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sagemaker:*","NotResource":"arn:aws:sagemaker:*:*:domain/*"}}"#;
        check(
            a,
            Request::new(ALICE, "sagemaker:CreateModel", "arn:aws:sagemaker:us-east-1:111122223333:model/m"),
            "Allow p#0",
        );
        check(
            a,
            Request::new(ALICE, "sagemaker:DeleteDomain", "arn:aws:sagemaker:us-east-1:111122223333:domain/d-1"),
            "ImplicitDeny(NoAllow)",
        );
    }

    #[test]
    fn explicit_deny_overrides_allow_across_policies() {
        check_set(
            &[("id", "admin", &allow("*", "*")), ("id", "guard", &deny("s3:DeleteObject", "arn:aws:s3:::data/*"))],
            Request::new(ALICE, "s3:DeleteObject", OBJECT),
            "ExplicitDeny guard#0",
        );
        check_set(
            &[("id", "admin", &allow("*", "*")), ("id", "guard", &deny("s3:DeleteObject", "arn:aws:s3:::data/*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow admin#0",
        );
        // A deny in a boundary, a resource policy or an SCP wins too.
        check_set(
            &[("id", "admin", &allow("*", "*")), ("pb", "pb", &deny("s3:*", "*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ExplicitDeny pb#0",
        );
        check_set(
            &[("id", "admin", &allow("*", "*")), ("scp0", "scp", &deny("s3:*", "*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ExplicitDeny scp#0",
        );
        let res_deny = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#;
        check_set(
            &[("id", "admin", &allow("*", "*")), ("res", "bucket", res_deny)],
            Request::new(ALICE, "s3:GetObject", OBJECT).with("aws:SecureTransport", ["false"]),
            "ExplicitDeny bucket#0",
        );
        check_set(
            &[("id", "admin", &allow("*", "*")), ("res", "bucket", res_deny)],
            Request::new(ALICE, "s3:GetObject", OBJECT).with("aws:SecureTransport", ["true"]),
            "Allow admin#0",
        );
        // Every applicable deny is cited.
        check_set(
            &[("id", "a", &deny("s3:*", "*")), ("id", "b", &deny("s3:Get*", "*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ExplicitDeny a#0 b#0",
        );
    }

    #[test]
    fn permissions_boundary_intersects() {
        // The documented example: the boundary allows S3, CloudWatch and EC2; the identity
        // policy allows iam:CreateUser; neither alone is enough.
        let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}]}"#;
        check_set(
            &[("id", "create-user", &allow("iam:CreateUser", "*")), ("pb", "pb", boundary)],
            Request::new(ALICE, "iam:CreateUser", "*"),
            "ImplicitDeny(PermissionsBoundary) create-user#0",
        );
        check_set(
            &[("id", "s3", &allow("s3:*", "*")), ("pb", "pb", boundary)],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow s3#0 pb#0",
        );
        // The boundary grants nothing by itself.
        check_set(&[("pb", "pb", boundary)], Request::new(ALICE, "s3:GetObject", OBJECT), "ImplicitDeny(NoAllow)");
    }

    #[test]
    fn scps_gate_every_level() {
        let s3 = allow("s3:*", "*");
        let full = allow("*", "*");
        check_set(
            &[("id", "admin", &full), ("scp0", "root", &full), ("scp1", "ou", &allow("ec2:*", "*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ImplicitDeny(Scp1) admin#0",
        );
        check_set(
            &[("id", "admin", &full), ("scp0", "root", &full), ("scp1", "ou", &s3)],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow admin#0 root#0 ou#0",
        );
        // Within one level one SCP is enough.
        check_set(
            &[("id", "admin", &full), ("scp0", "ec2", &allow("ec2:*", "*")), ("scp0", "s3", &s3)],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow admin#0 s3#0",
        );
        // SCPs grant nothing by themselves.
        check_set(&[("scp0", "root", &full)], Request::new(ALICE, "s3:GetObject", OBJECT), "ImplicitDeny(NoAllow)");
        // with_scps: each SCP must allow.
        let (a, b) = (named("a", &full), named("b", &allow("ec2:*", "*")));
        let admin = named("admin", &full);
        let d = PolicySet::new([&admin]).with_scps([&a, &b]).evaluate(&Request::new(ALICE, "s3:GetObject", OBJECT));
        assert_eq!(render(&d), "ImplicitDeny(Scp1) admin#0");
    }

    fn bucket_policy(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}}]}}"#
        )
    }

    #[test]
    fn resource_policies_same_account() {
        // A grant to the user itself allows without any identity policy, despite a boundary.
        let to_alice = bucket_policy(&format!(r#"{{"AWS":"{ALICE}"}}"#));
        check_set(&[("res", "bucket", &to_alice)], Request::new(ALICE, "s3:GetObject", OBJECT), "Allow bucket#0");
        check_set(
            &[("res", "bucket", &to_alice), ("pb", "pb", &allow("ec2:*", "*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow bucket#0",
        );
        check_set(
            &[("res", "bucket", &to_alice)],
            Request::new("arn:aws:iam::111122223333:user/bob", "s3:GetObject", OBJECT),
            "ImplicitDeny(NoAllow)",
        );
        // A grant to a role covers its sessions but is limited by the boundary.
        let session = "arn:aws:sts::111122223333:assumed-role/Trainer/job-42";
        let to_role = bucket_policy(r#"{"AWS":"arn:aws:iam::111122223333:role/ml/Trainer"}"#);
        check_set(&[("res", "bucket", &to_role)], Request::new(session, "s3:GetObject", OBJECT), "Allow bucket#0");
        check_set(
            &[("res", "bucket", &to_role), ("pb", "pb", &allow("ec2:*", "*"))],
            Request::new(session, "s3:GetObject", OBJECT),
            "ImplicitDeny(PermissionsBoundary) bucket#0",
        );
        check_set(
            &[("res", "bucket", &to_role)],
            Request::new("arn:aws:sts::111122223333:assumed-role/Other/job-42", "s3:GetObject", OBJECT),
            "ImplicitDeny(NoAllow)",
        );
        // A grant to the account delegates to IAM: identity policies must allow.
        for account in [r#"{"AWS":"111122223333"}"#, r#"{"AWS":"arn:aws:iam::111122223333:root"}"#] {
            let to_account = bucket_policy(account);
            check_set(
                &[("res", "bucket", &to_account)],
                Request::new(ALICE, "s3:GetObject", OBJECT),
                "ImplicitDeny(NoAllow)",
            );
            check_set(
                &[("res", "bucket", &to_account), ("id", "s3", &allow("s3:GetObject", "*"))],
                Request::new(ALICE, "s3:GetObject", OBJECT),
                "Allow s3#0",
            );
        }
        // "*" grants to everyone (limited by a boundary); NotPrincipal excludes.
        check_set(
            &[("res", "bucket", &bucket_policy(r#""*""#))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow bucket#0",
        );
        let not_alice = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":"{ALICE}"}},"Action":"s3:*","Resource":"arn:aws:s3:::data/*"}}]}}"#
        );
        let full = allow("*", "*");
        check_set(
            &[("id", "admin", &full), ("res", "bucket", &not_alice)],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "Allow admin#0",
        );
        check_set(
            &[("id", "admin", &full), ("res", "bucket", &not_alice)],
            Request::new("arn:aws:iam::111122223333:user/bob", "s3:GetObject", OBJECT),
            "ExplicitDeny bucket#0",
        );
        // A deny naming the account applies to everyone in it.
        let deny_account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}"#;
        check_set(
            &[("id", "admin", &full), ("res", "bucket", deny_account)],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ExplicitDeny bucket#0",
        );
        // SCPs still apply to a direct grant.
        check_set(
            &[("res", "bucket", &to_alice), ("scp0", "scp", &allow("ec2:*", "*"))],
            Request::new(ALICE, "s3:GetObject", OBJECT),
            "ImplicitDeny(Scp0) bucket#0",
        );
        // A service principal.
        let to_service = bucket_policy(r#"{"Service":"sagemaker.amazonaws.com"}"#);
        check_set(
            &[("res", "bucket", &to_service)],
            Request::new("sagemaker.amazonaws.com", "s3:GetObject", OBJECT),
            "Allow bucket#0",
        );
    }

    #[test]
    fn resource_statement_without_principal_is_reported() {
        let p = named("bucket", &allow("s3:*", "*"));
        let d = PolicySet::default().with_resource(&p).evaluate(&Request::new(ALICE, "s3:GetObject", OBJECT));
        assert_eq!(render(&d), "ImplicitDeny(NoAllow)");
        assert_eq!(d.problems.len(), 1);
        assert!(d.problems[0].message.contains("without `Principal`"));
    }

    #[test]
    fn policy_variables_in_resources() {
        let p = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}]}"#;
        check(
            p,
            Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x").with("aws:username", ["alice"]),
            "Allow p#0",
        );
        check(
            p,
            Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/bob/x").with("aws:username", ["alice"]),
            "ImplicitDeny(NoAllow)",
        );
        // Without a value the statement does not apply, and that is reported.
        let named_p = named("p", p);
        let d =
            PolicySet::new([&named_p]).evaluate(&Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x"));
        assert_eq!(render(&d), "ImplicitDeny(NoAllow)");
        assert_eq!(d.problems.len(), 1);
        assert_eq!(d.problems[0].path, "Statement[0].Resource");
        assert_eq!(d.problems[0].policy.as_deref(), Some("p"));
        // Version 2008-10-17: the variable is literal text.
        let old = p.replace("2012-10-17", "2008-10-17");
        check(&old, Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/x"), "Allow p#0");
    }

    #[test]
    fn unknown_operator_on_a_deny_is_reported_and_does_not_deny() {
        let p = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringFuzzy":{"aws:username":"x"}}}]}"#;
        let named_p = named("p", p);
        let d = PolicySet::new([&named_p]).evaluate(&Request::new(ALICE, "s3:GetObject", OBJECT));
        assert_eq!(render(&d), "Allow p#0");
        assert_eq!(d.problems.len(), 1);
        assert_eq!(d.problems[0].path, "Statement[1].Condition.StringFuzzy.aws:username");
        // A false condition next to the unknown one decides without a problem.
        let q = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{"StringFuzzy":{"k":"x"},"StringEquals":{"aws:username":"bob"}}}]}"#;
        let named_q = named("q", q);
        let d = PolicySet::new([&named_q])
            .evaluate(&Request::new(ALICE, "s3:GetObject", OBJECT).with("aws:username", ["alice"]));
        assert_eq!(render(&d), "ImplicitDeny(NoAllow)");
        assert!(d.problems.is_empty());
    }

    #[test]
    fn allowed_actions_and_evaluate_policy() {
        let p = named(
            "p",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"},
                {"Effect":"Deny","Action":"s3:GetObjectAcl","Resource":"*"}]}"#,
        );
        let set = PolicySet::new([&p]);
        let actions = ["s3:GetObject", "s3:GetObjectAcl", "s3:ListBucket", "s3:PutObject"];
        assert_eq!(set.allowed_actions(ALICE, OBJECT, &Context::new(), &actions), ["s3:GetObject", "s3:ListBucket"]);
        let owned: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
        assert_eq!(set.allowed_actions(ALICE, OBJECT, &Context::new(), &owned), ["s3:GetObject", "s3:ListBucket"]);
        let o = evaluate_policy(&p, PolicyKind::Identity, &Request::new(ALICE, "s3:GetObjectAcl", OBJECT));
        assert_eq!((o.allows.len(), o.denies.len()), (1, 1));
        assert!(set.is_allowed(&Request::new(ALICE, "s3:ListBucket", BUCKET)));
    }
}
