//! Privilege-escalation paths (`IAM-004`): a principal that can make itself, or become,
//! something more privileged, each path reported with the chain of permissions that opens it.
//!
//! The methods are the published IAM escalation methods (Rhino Security Labs, "AWS IAM
//! Privilege Escalation – Methods and Mitigation", and the SageMaker ones the posture issue
//! lists). A method counts only when it *gains* something: the target (a role that can be
//! passed or assumed, a user whose keys can be made, a group that can be joined, a policy that
//! can be rewritten) is allowed a [`PROBES`](crate::principals::PROBES) privilege the principal
//! is not. Rewriting one's own policies gains everything the permissions boundary leaves.
//!
//! Not covered, because the snapshot has no input for them: escalation through existing Lambda
//! functions (`lambda:UpdateFunctionCode`), existing Glue dev endpoints' keys, existing
//! CloudFormation stacks (`UpdateStack`), CodeStar and Data Pipeline, and cross-account paths.

use crate::principals::{admin_mask, describe, gate, may_at, Kind, Principal, Principals, ALL};
use mlguard_core::config::Config;
use mlguard_core::{Finding, Practice, RuleDoc, Severity};
use mlguard_iam::{Decision, PolicySet, Request};
use mlguard_snapshot::Inventory;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

pub const IAM_004: RuleDoc = RuleDoc {
    id: "IAM-004",
    severity: Severity::Critical,
    practice: Practice::Posture,
    title: "Principal can escalate its privileges",
    what: "Evaluates every IAM user and role (service-linked roles excepted) for the known privilege-escalation methods: `iam:CreatePolicyVersion` or `iam:SetDefaultPolicyVersion` on a policy attached to itself; `iam:Put*Policy` or `iam:Attach*Policy` on itself or its group; `iam:AddUserToGroup`; `iam:CreateAccessKey`, `iam:CreateLoginProfile` or `iam:UpdateLoginProfile` on another user; `iam:UpdateAssumeRolePolicy` on another role (a trust policy naming the principal lets it assume the role in the same account, within its permissions boundary); `iam:PassRole` of a more privileged role together with `lambda:CreateFunction` and `lambda:InvokeFunction` (or `lambda:CreateEventSourceMapping`), `ec2:RunInstances`, `cloudformation:CreateStack`, `glue:CreateDevEndpoint`, `sagemaker:CreateNotebookInstance` and `sagemaker:CreatePresignedNotebookInstanceUrl`, `sagemaker:CreateTrainingJob` or `sagemaker:CreateProcessingJob`, `ecs:RegisterTaskDefinition` with `ecs:RunTask` or `ecs:StartTask`, or `codebuild:CreateProject` with `codebuild:StartBuild`; `sagemaker:CreatePresignedNotebookInstanceUrl`, or a lifecycle configuration (`CreateNotebookInstanceLifecycleConfig`, `StopNotebookInstance` when it runs, `UpdateNotebookInstance`, `StartNotebookInstance`), on an existing notebook that runs as a more privileged role; and `ssm:SendCommand` or `ssm:StartSession` on an instance whose profile holds a more privileged role. A method is reported only when its target is allowed a probed privilege (administrative IAM, KMS, S3, EC2, Secrets Manager, model approval, PassRole) that the principal is not; the finding lists each path with the permission chain, the statements that grant each link, and what it gains. Critical when a path reaches administrator access, high otherwise.",
    why: "A principal that can rewrite its own policies, mint another user's keys or start compute as a more privileged role holds those privileges already, whatever its policies say on their face. In ML platforms the usual door is the data scientist who may pass an execution role to a notebook and open it.",
    example: "A user allowed `iam:PassRole` on `*`, `sagemaker:CreateNotebookInstance` and `sagemaker:CreatePresignedNotebookInstanceUrl`, in an account with a role that trusts SageMaker and has `AdministratorAccess`.",
    remediation: "Scope `iam:PassRole` to the execution roles a team may use (with `iam:PassedToService`), keep `iam:*` management actions for administrators, scope `sagemaker:CreatePresignedNotebookInstanceUrl` to the user's own notebooks (with a tag condition), and set permissions boundaries on roles and users that teams create.",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[
        ("Policy evaluation logic", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"),
        ("Grant a user permissions to pass a role to an AWS service", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"),
        ("Control access to SageMaker notebook instances (presigned URLs)", "https://docs.aws.amazon.com/sagemaker/latest/dg/howitworks-access-ws.html"),
        ("Rhino Security Labs: AWS IAM privilege escalation methods", "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"),
    ],
};

/// One link of a chain: an action on a resource and the statements that allow it.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub action: String,
    pub resource: String,
    pub granted_by: Vec<String>,
}

/// One escalation path.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub method: &'static str,
    pub target: String,
    pub chain: Vec<Link>,
    pub gains: Vec<String>,
    /// Set when the target itself can escalate on to administrator access (computed over all
    /// principals, so chains of several hops are found).
    pub then_admin_through: Option<String>,
    #[serde(skip)]
    pub gain_mask: u32,
    /// The user or role the path makes the principal act as, if any.
    #[serde(skip)]
    pub becomes: Option<String>,
}

/// The PassRole methods: service principal, the actions each needs (all of one alternative),
/// and whether the role needs an instance profile.
const PASS_METHODS: &[(&str, &str, &[&[&str]], bool)] = &[
    ("PassRole + SageMaker notebook + presigned URL", "sagemaker.amazonaws.com", &[&["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]], false),
    ("PassRole + SageMaker training job", "sagemaker.amazonaws.com", &[&["sagemaker:CreateTrainingJob"]], false),
    ("PassRole + SageMaker processing job", "sagemaker.amazonaws.com", &[&["sagemaker:CreateProcessingJob"]], false),
    ("PassRole + Lambda function", "lambda.amazonaws.com", &[&["lambda:CreateFunction", "lambda:InvokeFunction"], &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"]], false),
    ("PassRole + EC2 instance", "ec2.amazonaws.com", &[&["ec2:RunInstances"]], true),
    ("PassRole + CloudFormation stack", "cloudformation.amazonaws.com", &[&["cloudformation:CreateStack"]], false),
    ("PassRole + Glue dev endpoint", "glue.amazonaws.com", &[&["glue:CreateDevEndpoint"]], false),
    ("PassRole + ECS task", "ecs-tasks.amazonaws.com", &[&["ecs:RegisterTaskDefinition", "ecs:RunTask"], &["ecs:RegisterTaskDefinition", "ecs:StartTask"]], false),
    ("PassRole + CodeBuild project", "codebuild.amazonaws.com", &[&["codebuild:CreateProject", "codebuild:StartBuild"]], false),
];

/// How many paths one finding's evidence lists.
pub const MAX_PATHS: usize = 25;

fn granted(d: &Decision) -> Vec<String> {
    d.matched.iter().map(|m| format!("{}{}", m.policy, m.sid.as_ref().map(|s| format!(" ({s})")).unwrap_or_default())).collect()
}

struct Asker<'a> {
    ps: &'a Principals,
    p: &'a Principal,
    set: PolicySet<'a>,
    session: &'a str,
    /// Keys AWS sets for every request of the principal (`aws:username` feeds policy variables).
    base: Vec<(&'static str, &'a str)>,
}

impl Asker<'_> {
    /// The link if `action` on `resource` is allowed.
    fn link(&self, action: &str, resource: &str, ctx: &[(&str, &str)]) -> Option<Link> {
        if !self.ps.may(self.p, action, resource) {
            return None;
        }
        let mut r = Request::new(self.session, action, resource);
        for (k, v) in self.base.iter().chain(ctx) {
            r = r.with(*k, [*v]);
        }
        let d = self.set.evaluate(&r);
        d.allowed.then(|| Link { action: action.to_string(), resource: resource.to_string(), granted_by: granted(&d) })
    }

    /// Links for every action of one alternative, or `None`.
    fn all(&self, actions: &[&str], resource: &str) -> Option<Vec<Link>> {
        actions.iter().map(|a| self.link(a, resource, &[])).collect()
    }
}

/// Every escalation path of `p`.
pub fn paths(ps: &Principals, p: &Principal, inv: &Inventory) -> Vec<Path> {
    let admin = admin_mask();
    let mut out = Vec::new();
    if p.service_linked || p.mask & admin == admin {
        return out;
    }
    let mut base = vec![("aws:PrincipalArn", p.arn.as_str()), ("aws:PrincipalAccount", p.account.as_str())];
    if p.kind == Kind::User {
        base.push(("aws:username", p.name.as_str()));
    }
    let ask = Asker { ps, p, set: ps.set(p), session: &p.session, base };
    // The non-PassRole half of each PassRole method, asked once.
    let pass_rest: Vec<Option<Vec<Link>>> = PASS_METHODS.iter().map(|(_, _, alternatives, _)| alternatives.iter().find_map(|alt| ask.all(alt, "*"))).collect();
    let acct = p.account.as_str();
    let gain = |target_mask: u32| target_mask & !p.mask;
    // What rewriting its own policies can reach: everything, within the boundary.
    let own_ceiling = match p.boundary {
        Some(b) => ps.mask_of(&ps.set_of(&[b], None), &p.session),
        None => ALL,
    };
    let mut push = |method: &'static str, target: String, chain: Vec<Link>, mask: u32, becomes: Option<&str>| {
        if mask != 0 {
            out.push(Path { method, target, chain, gains: describe(mask), then_admin_through: None, gain_mask: mask, becomes: becomes.map(str::to_string) });
        }
    };

    // Rewriting its own policies.
    if gain(own_ceiling) != 0 {
        for (policy, others) in &p.attached_customer {
            if let Some(l) = ask.link("iam:CreatePolicyVersion", policy, &[]) {
                push("iam:CreatePolicyVersion on an attached policy", policy.clone(), vec![l], gain(own_ceiling), None);
            }
            if !others.is_empty() {
                if let Some(l) = ask.link("iam:SetDefaultPolicyVersion", policy, &[]) {
                    let m = others.iter().fold(0, |m, &v| m | ps.mask_of(&ps.set_of(&[v], p.boundary), &p.session));
                    push("iam:SetDefaultPolicyVersion on an attached policy", policy.clone(), vec![l], gain(m), None);
                }
            }
        }
        let own: &[&str] = match p.kind {
            Kind::User => &["iam:PutUserPolicy", "iam:AttachUserPolicy"],
            Kind::Role => &["iam:PutRolePolicy", "iam:AttachRolePolicy"],
        };
        for a in own {
            if let Some(l) = ask.link(a, &p.arn, &[]) {
                push(if a.contains("Put") { "iam:Put*Policy on itself" } else { "iam:Attach*Policy on itself" }, p.arn.clone(), vec![l], gain(own_ceiling), None);
            }
        }
        for g in &p.groups {
            let garn = ps.groups.iter().find(|x| &x.name == g && x.account == p.account).map(|x| x.arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{acct}:group/{g}"));
            for a in ["iam:PutGroupPolicy", "iam:AttachGroupPolicy"] {
                if let Some(l) = ask.link(a, &garn, &[]) {
                    push(if a.contains("Put") { "iam:PutGroupPolicy on its group" } else { "iam:AttachGroupPolicy on its group" }, garn.clone(), vec![l], gain(own_ceiling), None);
                }
            }
        }
    }

    // Joining a group.
    if p.kind == Kind::User {
        for g in ps.groups.iter().filter(|g| g.account == p.account && !p.groups.contains(&g.name)) {
            let gm = ps.mask_of(&ps.set_of(&g.policies, p.boundary), &p.session);
            if gain(gm) == 0 {
                continue;
            }
            if let Some(l) = ask.link("iam:AddUserToGroup", &g.arn, &[]) {
                push("iam:AddUserToGroup", g.arn.clone(), vec![l], gain(gm), None);
            }
        }
    }

    let pass_gate = gate("iam:PassRole");
    for t in ps.list.iter().filter(|t| gain(t.mask) != 0 && !t.service_linked && t.account == p.account && t.arn != p.arn) {
        match t.kind {
            Kind::User => {
                for (a, m) in [("iam:CreateAccessKey", "iam:CreateAccessKey on another user"), ("iam:CreateLoginProfile", "iam:CreateLoginProfile on another user"), ("iam:UpdateLoginProfile", "iam:UpdateLoginProfile on another user")] {
                    if let Some(l) = ask.link(a, &t.arn, &[]) {
                        push(m, t.arn.clone(), vec![l], gain(t.mask), Some(&t.arn));
                    }
                }
            }
            Kind::Role => {
                // In the same account a trust policy that names the principal is enough to assume
                // the role (STS AssumeRole API reference); a permissions boundary must still allow it.
                if let Some(a) = ask.link("iam:UpdateAssumeRolePolicy", &t.arn, &[]) {
                    let boundary_ok = p.boundary.is_none_or(|b| ps.set_of(&[b], None).is_allowed(&Request::new(p.session.as_str(), "sts:AssumeRole", t.arn.as_str())));
                    if boundary_ok {
                        let b = Link { action: "sts:AssumeRole".into(), resource: t.arn.clone(), granted_by: vec![format!("the rewritten trust policy of {}, naming {}", t.name, p.arn)] };
                        push("iam:UpdateAssumeRolePolicy, then sts:AssumeRole", t.arn.clone(), vec![a, b], gain(t.mask), Some(&t.arn));
                    }
                }
                if !may_at(p, pass_gate, &t.arn) {
                    continue;
                }
                // PassRole to one service, asked once for the methods that share it.
                let mut passed: Vec<(&str, Option<Link>)> = Vec::new();
                for ((method, service, _, needs_profile), rest) in PASS_METHODS.iter().zip(&pass_rest) {
                    let Some(rest) = rest else { continue };
                    if *needs_profile && t.instance_profiles.is_empty() {
                        continue;
                    }
                    let pass = match passed.iter().find(|(s, _)| s == service) {
                        Some((_, l)) => l.clone(),
                        None => {
                            let l = if ps.trusts_service(t, service) { ask.link("iam:PassRole", &t.arn, &[("iam:PassedToService", service)]) } else { None };
                            passed.push((service, l.clone()));
                            l
                        }
                    };
                    let Some(pass) = pass else { continue };
                    let mut chain = vec![pass];
                    chain.extend(rest.iter().cloned());
                    push(method, t.arn.clone(), chain, gain(t.mask), Some(&t.arn));
                }
            }
        }
    }

    // Existing notebooks that run as a more privileged role: open one, or make it run your code
    // at its next start with a lifecycle configuration.
    for nb in &inv.sagemaker.notebook_instances {
        let Some(role) = nb.role_arn.as_deref() else { continue };
        let arn = nb.notebook_instance_arn.as_str();
        if nb.account != p.account || role == p.arn {
            continue;
        }
        let Some(t) = ps.get(role) else { continue };
        if gain(t.mask) == 0 {
            continue;
        }
        if let Some(l) = ask.link("sagemaker:CreatePresignedNotebookInstanceUrl", arn, &[]) {
            push("sagemaker:CreatePresignedNotebookInstanceUrl on an existing notebook", arn.to_string(), vec![l], gain(t.mask), Some(&t.arn));
        }
        if ask.ps.may(p, "sagemaker:UpdateNotebookInstance", arn) {
            let config = format!("arn:aws:sagemaker:{}:{}:notebook-instance-lifecycle-config/mlguard-probe", nb.region, nb.account);
            let running = nb.notebook_instance_status.as_deref().is_some_and(|s| s != "Stopped" && s != "Failed");
            let mut needed: Vec<(&str, &str)> = vec![("sagemaker:CreateNotebookInstanceLifecycleConfig", config.as_str())];
            if running {
                needed.push(("sagemaker:StopNotebookInstance", arn));
            }
            needed.push(("sagemaker:UpdateNotebookInstance", arn));
            needed.push(("sagemaker:StartNotebookInstance", arn));
            if let Some(chain) = needed.iter().map(|(a, r)| ask.link(a, r, &[])).collect::<Option<Vec<_>>>() {
                push("lifecycle configuration on an existing notebook", arn.to_string(), chain, gain(t.mask), Some(&t.arn));
            }
        }
    }
    // Instances whose profile holds a more privileged role: run commands on them.
    for (account, region, id, r) in &ps.instance_roles {
        let t = &ps.list[*r];
        if *account != p.account || t.arn == p.arn || gain(t.mask) == 0 {
            continue;
        }
        let arn = format!("arn:aws:ec2:{region}:{account}:instance/{id}");
        let ways: [(&str, &str, String); 2] = [
            ("ssm:SendCommand on an instance", "ssm:SendCommand", format!("arn:aws:ssm:{region}::document/AWS-RunShellScript")),
            ("ssm:StartSession on an instance", "ssm:StartSession", format!("arn:aws:ssm:{region}::document/SSM-SessionManagerRunShell")),
        ];
        for (method, action, document) in ways {
            if let (Some(a), Some(b)) = (ask.link(action, &arn, &[]), ask.link(action, &document, &[])) {
                push(method, arn.clone(), vec![a, b], gain(t.mask), Some(&t.arn));
                break;
            }
        }
    }
    out
}

/// Runs IAM-004 over every principal.
pub fn check(ps: &Principals, inv: &Inventory, _cfg: &Config, out: &mut Vec<Finding>) {
    let admin = admin_mask();
    let mut all: Vec<Vec<Path>> = ps.list.iter().map(|p| paths(ps, p, inv)).collect();
    // Who reaches administrator access, directly or through principals that do.
    let mut admin_via: HashMap<&str, String> = HashMap::new();
    for (p, paths) in ps.list.iter().zip(&all) {
        if p.mask & admin == admin {
            admin_via.insert(p.arn.as_str(), p.arn.clone());
        } else if let Some(x) = paths.iter().find(|x| x.gain_mask & admin == admin & !p.mask) {
            admin_via.insert(p.arn.as_str(), x.target.clone());
        }
    }
    loop {
        let mut changed = false;
        for (p, paths) in ps.list.iter().zip(all.iter_mut()) {
            for x in paths.iter_mut() {
                let Some(b) = x.becomes.as_deref() else { continue };
                if x.then_admin_through.is_none() && x.gain_mask & admin != admin & !p.mask && admin_via.contains_key(b) {
                    x.then_admin_through = Some(b.to_string());
                    if !admin_via.contains_key(p.arn.as_str()) {
                        admin_via.insert(p.arn.as_str(), b.to_string());
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (p, paths) in ps.list.iter().zip(all) {
        let Some(first) = paths.first() else { continue };
        let direct = |x: &Path| x.gain_mask & admin == admin & !p.mask;
        let to_admin = paths.iter().any(|x| direct(x) || x.then_admin_through.is_some());
        let best = paths.iter().find(|x| direct(x)).or_else(|| paths.iter().find(|x| x.then_admin_through.is_some())).unwrap_or(first);
        let kind = match p.kind {
            Kind::User => ("user", "AwsIamUser"),
            Kind::Role => ("role", "AwsIamRole"),
        };
        let chain = best.chain.iter().map(|l| format!("{} on {} (granted by {})", l.action, l.resource, l.granted_by.join(", "))).collect::<Vec<_>>().join(", then ");
        let gains = if direct(best) {
            "administrator access".to_string()
        } else if let Some(via) = &best.then_admin_through {
            format!("{} and, through {via}, which can escalate further, administrator access", best.gains.join(", "))
        } else {
            best.gains.join(", ")
        };
        // The evidence keeps the paths that reach administrator access first, then the others,
        // up to MAX_PATHS; the total says how many there are.
        let total = paths.len();
        let shown: Vec<&Path> = paths.iter().filter(|x| direct(x) || x.then_admin_through.is_some()).chain(paths.iter().filter(|x| !(direct(x) || x.then_admin_through.is_some()))).take(MAX_PATHS).collect();
        let mut f = Finding::from_rule(&IAM_004, format!("{} `{}` can escalate its privileges ({} path{})", kind.0, p.name, paths.len(), if paths.len() == 1 { "" } else { "s" }))
            .resource(&p.arn, kind.1)
            .location(&p.account, "global")
            .description(format!(
                "{} {} can gain {gains} through {}: {chain}, targeting {}.{}",
                capitalised(kind.0),
                p.name,
                best.method,
                best.target,
                if total > 1 { format!(" {} more path(s) ({} listed in the evidence).", total - 1, shown.len().saturating_sub(1)) } else { String::new() }
            ))
            .evidence(json!({ "paths": shown, "paths_total": total, "reaches_admin": to_admin }));
        if !to_admin {
            f = f.severity(Severity::High);
        }
        out.push(f);
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
