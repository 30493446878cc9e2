//! Every IAM principal of the snapshot with the policies that apply to it, parsed once.
//!
//! [`Principals::build`] reads `iam get-account-authorization-details`: each managed policy's
//! default version is parsed once into an arena of [`NamedPolicy`]s however many principals
//! attach it; users get their own and their groups' inline and managed policies; roles get
//! theirs and their trust policy. [`Principals::set`] then lends the [`PolicySet`] of one
//! principal (within its permissions boundary) to the IAM controls.
//!
//! [`Probe`] is the fixed list of privileges that the IAM controls compare principals by: what
//! a principal *gains* by becoming another is the probes the other is allowed and it is not.

use mlguard_core::Diagnostic;
use mlguard_iam::{NamedPolicy, Policy, PolicySet, PrincipalId, PrincipalMatch, Request};
use mlguard_snapshot::iam::InlinePolicy;
use mlguard_snapshot::Inventory;
use std::collections::{BTreeMap, HashMap};

/// User or role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    User,
    Role,
}

/// One user or role.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: Kind,
    pub arn: String,
    pub name: String,
    pub account: String,
    /// The snapshot file it came from.
    pub file: String,
    /// The ARN requests are made as: the user, or a session of the role.
    pub session: String,
    /// Identity policies (indices into [`Principals::arena`]), its groups' included.
    pub policies: Vec<usize>,
    pub boundary: Option<usize>,
    /// Customer managed policies attached to it directly or through a group: ARN, with the
    /// indices of each non-default version (for `iam:SetDefaultPolicyVersion`).
    pub attached_customer: Vec<(String, Vec<usize>)>,
    /// Users: the names of its groups.
    pub groups: Vec<String>,
    /// Roles: the trust policy.
    pub trust: Option<usize>,
    /// Roles: the ARNs of its instance profiles (one is needed to pass it to EC2).
    pub instance_profiles: Vec<String>,
    /// Service-linked roles (`/aws-service-role/`) cannot be assumed or changed by anyone.
    pub service_linked: bool,
    /// Bit `i` set when [`PROBES`]`[i]` is allowed.
    pub mask: u32,
    /// For each of [`GATED`], the literal prefixes of the resources its `Allow` statements
    /// name (`""` when one can match anything); `None` when no statement allows the action.
    gates: Vec<Option<Vec<String>>>,
}

/// The actions the IAM controls ask about often enough to be worth a pre-filter.
pub const GATED: &[&str] = &[
    "iam:PassRole", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
    "iam:AddUserToGroup", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:PutRolePolicy",
    "iam:AttachRolePolicy", "iam:PutGroupPolicy", "iam:AttachGroupPolicy", "sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:UpdateModelPackage",
    "s3:PutObject", "s3:DeleteObjectVersion", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
    "sagemaker:UpdateNotebookInstance", "ssm:SendCommand", "ssm:StartSession",
];

/// A group, for `iam:AddUserToGroup`.
#[derive(Debug, Clone)]
pub struct Group {
    pub arn: String,
    pub name: String,
    pub account: String,
    pub policies: Vec<usize>,
}

/// A privilege the IAM controls compare principals by.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub action: &'static str,
    pub resource: &'static str,
    /// Part of the administrator test (IAM-001's probe set).
    pub admin: bool,
}

/// Unrelated, destructive or sensitive actions on resources nobody scoped a policy to.
pub const PROBES: &[Probe] = &[
    Probe { action: "iam:CreateAccessKey", resource: "*", admin: true },
    Probe { action: "iam:PutRolePolicy", resource: "*", admin: true },
    Probe { action: "ec2:TerminateInstances", resource: "*", admin: true },
    Probe { action: "kms:ScheduleKeyDeletion", resource: "*", admin: true },
    Probe { action: "s3:DeleteBucket", resource: "*", admin: true },
    Probe { action: "organizations:LeaveOrganization", resource: "*", admin: true },
    Probe { action: "iam:AttachRolePolicy", resource: "*", admin: false },
    Probe { action: "iam:PassRole", resource: "*", admin: false },
    Probe { action: "sts:AssumeRole", resource: "*", admin: false },
    Probe { action: "kms:Decrypt", resource: "*", admin: false },
    Probe { action: "s3:GetObject", resource: "arn:aws:s3:::mlguard-probe-bucket/object", admin: false },
    Probe { action: "s3:PutObject", resource: "arn:aws:s3:::mlguard-probe-bucket/object", admin: false },
    Probe { action: "secretsmanager:GetSecretValue", resource: "*", admin: false },
    Probe { action: "sagemaker:UpdateModelPackage", resource: "*", admin: false },
    Probe { action: "lambda:UpdateFunctionCode", resource: "*", admin: false },
    Probe { action: "ec2:RunInstances", resource: "*", admin: false },
];

/// Every probe.
pub const ALL: u32 = (1 << PROBES.len()) - 1;

/// The administrator probes.
pub fn admin_mask() -> u32 {
    PROBES.iter().enumerate().filter(|(_, p)| p.admin).fold(0, |m, (i, _)| m | 1 << i)
}

/// The probes set in `mask`, as `action on resource`.
pub fn describe(mask: u32) -> Vec<String> {
    PROBES
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, p)| if p.resource == "*" { p.action.to_string() } else { format!("{} on {}", p.action, p.resource) })
        .collect()
}

/// The index of `action` in [`GATED`], to look up once outside a loop.
pub fn gate(action: &str) -> Option<usize> {
    GATED.iter().position(|a| *a == action)
}

/// [`Principals::may`] with the action's [`gate`] already looked up.
pub fn may_at(p: &Principal, gate: Option<usize>, resource: &str) -> bool {
    match gate.and_then(|i| p.gates.get(i)) {
        Some(None) => false,
        Some(Some(prefixes)) => prefixes.iter().any(|x| resource.starts_with(x.as_str())),
        None => true,
    }
}

/// A group's policies and its attached customer managed policies (with their other versions).
type GroupParts = (Vec<usize>, Vec<(String, Vec<usize>)>);

/// All principals and groups of a snapshot.
#[derive(Debug, Default)]
pub struct Principals {
    pub arena: Vec<NamedPolicy>,
    pub list: Vec<Principal>,
    pub groups: Vec<Group>,
    by_arn: HashMap<String, usize>,
    by_profile: HashMap<String, usize>,
    /// Instances that run with an instance profile of a known role: (account, region, instance
    /// id, role index), found once so that per-principal checks do not walk every instance.
    pub instance_roles: Vec<(String, String, String, usize)>,
}

/// The account id of an ARN.
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

impl Principals {
    /// Parses every policy once and assembles each principal's set. Policies that do not
    /// parse and attachments whose document is missing are reported once each.
    pub fn build(inv: &Inventory, notes: &mut Vec<Diagnostic>) -> Principals {
        let iam = &inv.iam;
        let mut out = Principals::default();
        // Managed policies: default version, and the other versions, by ARN.
        let mut managed: HashMap<&str, (Option<usize>, Vec<usize>, bool)> = HashMap::new();
        for p in &iam.policies {
            if managed.contains_key(p.arn.as_str()) {
                continue;
            }
            let mut default = None;
            let mut others = Vec::new();
            let default_doc = p.default_document();
            for v in &p.policy_version_list {
                let is_default = default_doc.is_some_and(|d| std::ptr::eq(d, &v.document));
                let name = if is_default { p.arn.clone() } else { format!("{} ({})", p.arn, v.version_id.as_deref().unwrap_or("?")) };
                match Policy::from_value(&v.document) {
                    Ok(pol) => {
                        out.arena.push(NamedPolicy::new(name, pol));
                        if is_default {
                            default = Some(out.arena.len() - 1);
                        } else {
                            others.push(out.arena.len() - 1);
                        }
                    }
                    Err(e) if is_default => notes.push(Diagnostic::warning(&p.file, "$.PolicyVersionList", format!("managed policy `{}` does not parse and is left out of every principal that attaches it: {e}", p.arn))),
                    Err(_) => {}
                }
            }
            let customer = !p.arn.starts_with("arn:aws:iam::aws:") && !p.arn.contains(":iam::aws:policy");
            managed.insert(p.arn.as_str(), (default, others, customer));
        }
        let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let inline = |arena: &mut Vec<NamedPolicy>, owner: &str, file: &str, list: &[InlinePolicy], notes: &mut Vec<Diagnostic>| -> Vec<usize> {
            let mut v = Vec::new();
            for p in list {
                match Policy::from_value(&p.policy_document) {
                    Ok(pol) => {
                        arena.push(NamedPolicy::new(format!("{owner}/{}", p.policy_name), pol));
                        v.push(arena.len() - 1);
                    }
                    Err(e) => notes.push(Diagnostic::warning(file, "", format!("inline policy `{}` of `{owner}` does not parse and is left out: {e}", p.policy_name))),
                }
            }
            v
        };
        let mut attach = |who: &str, arns: &mut dyn Iterator<Item = &str>, policies: &mut Vec<usize>, customer: &mut Vec<(String, Vec<usize>)>| {
            for arn in arns {
                match managed.get(arn) {
                    Some((Some(i), others, is_customer)) => {
                        policies.push(*i);
                        if *is_customer {
                            customer.push((arn.to_string(), others.clone()));
                        }
                    }
                    _ => missing.entry(arn.to_string()).or_default().push(who.to_string()),
                }
            }
        };
        // Groups first: users inherit them.
        let mut group_parts: HashMap<(String, String), GroupParts> = HashMap::new();
        for g in &iam.groups {
            let mut policies = inline(&mut out.arena, &g.group_name, &g.file, &g.group_policy_list, notes);
            let mut customer = Vec::new();
            attach(&g.arn, &mut g.attached_managed_policies.iter().map(|a| a.policy_arn.as_str()), &mut policies, &mut customer);
            out.groups.push(Group { arn: g.arn.clone(), name: g.group_name.clone(), account: g.account.clone(), policies: policies.clone() });
            group_parts.insert((g.account.clone(), g.group_name.clone()), (policies, customer));
        }
        let boundary_of = |b: &Option<mlguard_snapshot::iam::PermissionsBoundary>| b.as_ref().and_then(|b| managed.get(b.permissions_boundary_arn.as_str())).and_then(|m| m.0);
        for u in &iam.users {
            if out.by_arn.contains_key(&u.arn) {
                continue;
            }
            let mut policies = inline(&mut out.arena, &u.user_name, &u.file, &u.user_policy_list, notes);
            let mut customer = Vec::new();
            attach(&u.arn, &mut u.attached_managed_policies.iter().map(|a| a.policy_arn.as_str()), &mut policies, &mut customer);
            for g in &u.group_list {
                if let Some((p, c)) = group_parts.get(&(u.account.clone(), g.clone())) {
                    policies.extend(p);
                    customer.extend(c.iter().cloned());
                }
            }
            out.by_arn.insert(u.arn.clone(), out.list.len());
            out.list.push(Principal {
                kind: Kind::User,
                arn: u.arn.clone(),
                name: u.user_name.clone(),
                account: u.account.clone(),
                file: u.file.clone(),
                session: u.arn.clone(),
                policies,
                boundary: boundary_of(&u.permissions_boundary),
                attached_customer: customer,
                groups: u.group_list.clone(),
                trust: None,
                instance_profiles: Vec::new(),
                service_linked: false,
                mask: 0,
                gates: Vec::new(),
            });
        }
        for r in &iam.roles {
            if out.by_arn.contains_key(&r.arn) {
                continue;
            }
            let mut policies = inline(&mut out.arena, &r.role_name, &r.file, &r.role_policy_list, notes);
            let mut customer = Vec::new();
            attach(&r.arn, &mut r.attached_managed_policies.iter().map(|a| a.policy_arn.as_str()), &mut policies, &mut customer);
            let trust = match Policy::from_value(&r.assume_role_policy_document) {
                Ok(p) => {
                    out.arena.push(NamedPolicy::new(format!("{} trust policy", r.role_name), p));
                    Some(out.arena.len() - 1)
                }
                Err(_) => None,
            };
            let account = if r.account.is_empty() { account_of(&r.arn).to_string() } else { r.account.clone() };
            out.by_arn.insert(r.arn.clone(), out.list.len());
            out.list.push(Principal {
                kind: Kind::Role,
                session: format!("arn:aws:sts::{account}:assumed-role/{}/mlguard", r.role_name),
                arn: r.arn.clone(),
                name: r.role_name.clone(),
                account,
                file: r.file.clone(),
                policies,
                boundary: boundary_of(&r.permissions_boundary),
                attached_customer: customer,
                groups: Vec::new(),
                trust,
                instance_profiles: r.instance_profile_list.iter().map(|p| p.arn.clone()).collect(),
                service_linked: r.path.as_deref().is_some_and(|p| p.starts_with("/aws-service-role/")),
                mask: 0,
                gates: Vec::new(),
            });
        }
        for (arn, who) in missing {
            let n = who.len();
            let first: Vec<&str> = who.iter().take(3).map(String::as_str).collect();
            notes.push(Diagnostic::warning(
                "iam/get-account-authorization-details",
                "",
                format!("attached policy `{arn}` is not in the snapshot; {n} principal(s) ({}{}) are evaluated without it", first.join(", "), if n > 3 { ", …" } else { "" }),
            ));
        }
        for (i, p) in out.list.iter().enumerate() {
            for a in &p.instance_profiles {
                out.by_profile.insert(a.clone(), i);
            }
        }
        for i in &inv.ec2.instances {
            if let Some(&r) = i.iam_instance_profile.as_ref().and_then(|p| out.by_profile.get(&p.arn)) {
                out.instance_roles.push((i.account.clone(), i.region.clone(), i.instance_id.clone(), r));
            }
        }
        let masks: Vec<u32> = out.list.iter().map(|p| out.mask_of(&out.set(p), &p.session)).collect();
        let gates: Vec<Vec<Option<Vec<String>>>> = out.list.iter().map(|p| GATED.iter().map(|a| out.allow_prefixes(&p.policies, a)).collect()).collect();
        for ((p, m), g) in out.list.iter_mut().zip(masks).zip(gates) {
            p.mask = m;
            p.gates = g;
        }
        out
    }

    /// The literal prefixes of the resources that `Allow` statements of `policies` name for
    /// `action`: a pattern's text up to its first wildcard or variable, `""` for `NotResource`
    /// or no resource. `None` when no statement allows the action.
    fn allow_prefixes(&self, policies: &[usize], action: &str) -> Option<Vec<String>> {
        let mut out: Option<Vec<String>> = None;
        for &i in policies {
            for s in &self.arena[i].policy.statements {
                if s.effect != mlguard_iam::Effect::Allow || !s.actions.matches(action) {
                    continue;
                }
                let v = out.get_or_insert_with(Vec::new);
                match &s.resources {
                    mlguard_iam::ResourceMatch::Resource(ps) => {
                        for p in ps {
                            let t = p.as_str();
                            let cut = t.find(['*', '?', '$']).unwrap_or(t.len());
                            v.push(t[..cut].to_string());
                        }
                    }
                    _ => v.push(String::new()),
                }
            }
        }
        out
    }

    /// A cheap over-approximation of "may `p`'s identity policies allow `action` on
    /// `resource`": false only when no `Allow` statement can match. Actions outside [`GATED`]
    /// always pass.
    pub fn may(&self, p: &Principal, action: &str, resource: &str) -> bool {
        may_at(p, gate(action), resource)
    }

    /// The principal with this ARN.
    pub fn get(&self, arn: &str) -> Option<&Principal> {
        self.by_arn.get(arn).map(|&i| &self.list[i])
    }

    /// The identity policies of `p` within its boundary.
    pub fn set(&self, p: &Principal) -> PolicySet<'_> {
        let set = PolicySet::new(p.policies.iter().map(|&i| &self.arena[i]));
        match p.boundary {
            Some(b) => set.with_boundary(&self.arena[b]),
            None => set,
        }
    }

    /// A set of `policies` within `boundary`.
    pub fn set_of(&self, policies: &[usize], boundary: Option<usize>) -> PolicySet<'_> {
        let set = PolicySet::new(policies.iter().map(|&i| &self.arena[i]));
        match boundary {
            Some(b) => set.with_boundary(&self.arena[b]),
            None => set,
        }
    }

    /// Which probes `set` allows for requests by `session`.
    pub fn mask_of(&self, set: &PolicySet<'_>, session: &str) -> u32 {
        let mut m = 0;
        for (i, p) in PROBES.iter().enumerate() {
            if set.is_allowed(&Request::new(session, p.action, p.resource)) {
                m |= 1 << i;
            }
        }
        m
    }

    /// Whether role `r`'s trust policy lets `service` assume it.
    pub fn trusts_service(&self, r: &Principal, service: &str) -> bool {
        let Some(t) = r.trust else { return false };
        self.arena[t].policy.statements.iter().any(|s| {
            s.effect == mlguard_iam::Effect::Allow
                && s.actions.matches("sts:AssumeRole")
                && matches!(&s.principals, Some(PrincipalMatch::Principal(ids)) if ids.iter().any(|id| matches!(id, PrincipalId::Service(x) if x == service)))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ACTIONS: &[&str] = &["s3:PutObject", "s3:*", "s3:Put*", "iam:PassRole", "iam:*", "*", "sagemaker:UpdateModelPackage", "ssm:SendCommand"];
    const RESOURCES: &[&str] = &[
        "*",
        "arn:aws:s3:::models/*",
        "arn:aws:s3:::models*",
        "arn:aws:s3:::mod?ls/x",
        "arn:aws:s3:::other/*",
        "arn:aws:iam::111122223333:role/*",
        "arn:aws:iam::111122223333:role/ml-?xec",
        "arn:aws:iam::111122223333:user/${aws:username}",
        "arn:aws:sagemaker:*:111122223333:model-package/*",
    ];
    const ASKED: &[&str] = &[
        "arn:aws:s3:::models/mlguard-probe-object",
        "arn:aws:s3:::models",
        "arn:aws:s3:::modxls/x",
        "arn:aws:iam::111122223333:role/ml-exec",
        "arn:aws:iam::111122223333:user/dev",
        "arn:aws:sagemaker:us-east-1:111122223333:model-package/g/1",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    ];

    fn statement() -> impl Strategy<Value = serde_json::Value> {
        (any::<bool>(), proptest::sample::subsequence(ACTIONS, 1..3), proptest::sample::subsequence(RESOURCES, 1..3), any::<bool>(), any::<bool>()).prop_map(|(allow, actions, resources, not_resource, cond)| {
            let mut s = serde_json::json!({"Effect": if allow { "Allow" } else { "Deny" }, "Action": actions});
            s[if not_resource { "NotResource" } else { "Resource" }] = serde_json::json!(resources);
            if cond {
                s["Condition"] = serde_json::json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}});
            }
            s
        })
    }

    proptest! {
        /// The pre-filter never hides a grant: whenever the evaluator allows, `may` says maybe.
        #[test]
        fn the_gate_over_approximates_the_evaluator(stmts in proptest::collection::vec(statement(), 1..5), ai in 0..GATED.len(), ri in 0..ASKED.len()) {
            let doc = serde_json::json!({"Version": "2012-10-17", "Statement": stmts});
            let mut ps = Principals::default();
            ps.arena.push(NamedPolicy::new("p", Policy::from_value(&doc).unwrap()));
            let gates = GATED.iter().map(|a| ps.allow_prefixes(&[0], a)).collect();
            let p = Principal {
                kind: Kind::User, arn: "arn:aws:iam::111122223333:user/dev".into(), name: "dev".into(), account: "111122223333".into(), file: String::new(),
                session: "arn:aws:iam::111122223333:user/dev".into(), policies: vec![0], boundary: None, attached_customer: vec![], groups: vec![], trust: None,
                instance_profiles: vec![], service_linked: false, mask: 0, gates,
            };
            let (action, resource) = (GATED[ai], ASKED[ri]);
            let allowed = ps.set(&p).is_allowed(&Request::new(p.session.as_str(), action, resource).with("aws:username", ["dev"]).with("aws:PrincipalAccount", ["111122223333"]));
            prop_assert!(!allowed || ps.may(&p, action, resource), "{action} on {resource} allowed but gated out by {doc}");
        }
    }
}
