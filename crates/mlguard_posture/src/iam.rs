//! Least privilege for ML execution roles (`IAM-001`, `IAM-002`), decided by evaluating the
//! roles' policies with [`mlguard_iam`], not by looking for `*` in the JSON.
//!
//! The roles checked are the execution roles SageMaker resources run as (notebooks', jobs' and
//! models' `RoleArn`/`ExecutionRoleArn`). Their policies come from [`Principals`]: inline and
//! attached managed policies' default versions from `iam get-account-authorization-details`,
//! within the permissions boundary when there is one.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use crate::principals::{account_of, admin_mask, Principals, PROBES};
use mlguard_iam::Request;
use mlguard_snapshot::Inventory;
use serde_json::json;
use std::collections::BTreeMap;

pub const IAM_001: RuleDoc = RuleDoc {
    id: "IAM-001",
    severity: Severity::Critical,
    practice: Practice::Posture,
    title: "ML execution role has administrator access",
    what: "Evaluates the identity policies (within the permissions boundary) of every SageMaker execution role for a set of unrelated, destructive actions on any resource (`iam:CreateAccessKey`, `iam:PutRolePolicy`, `ec2:TerminateInstances`, `kms:ScheduleKeyDeletion`, `s3:DeleteBucket`, `organizations:LeaveOrganization`) and reports roles allowed all of them.",
    why: "Code running in a notebook or training container acts with its execution role; an administrator role turns any compromised dependency or malicious notebook into a full account takeover.",
    example: "`AdministratorAccess` attached to the role a notebook runs as.",
    remediation: "Replace the attachment with a policy scoped to the role's buckets, ECR repositories, log groups and KMS keys; add a permissions boundary for roles that teams create themselves.",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[("Policy evaluation logic", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"), ("How to use SageMaker AI execution roles", "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html")],
};

pub const IAM_002: RuleDoc = RuleDoc {
    id: "IAM-002",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "ML execution role can pass any role",
    what: "Evaluates whether every SageMaker execution role may `iam:PassRole` an arbitrary role of its account to SageMaker (`iam:PassedToService` = `sagemaker.amazonaws.com`), i.e. whether its PassRole grant is not scoped to specific role ARNs.",
    why: "PassRole on any role is the first step of the SageMaker privilege-escalation path: create a notebook or job that runs as a more privileged role, then use it.",
    example: "`AmazonSageMakerFullAccess` attached to an execution role: it allows `iam:PassRole` on `*` when passed to SageMaker.",
    remediation: "Grant `iam:PassRole` only on the ARNs of the execution roles the team may use, with the `iam:PassedToService` condition.",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[("Grant a user permissions to pass a role to an AWS service", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html")],
};

pub const IAM_003: RuleDoc = RuleDoc {
    id: "IAM-003",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "ML execution role reaches buckets beyond its own",
    what: "Evaluates whether every SageMaker execution role may read (`s3:GetObject`) or write (`s3:PutObject`) objects in an arbitrary bucket that no ML resource uses, i.e. whether its S3 grants are not scoped to the buckets its jobs and models name.",
    why: "A training container or notebook that can write to any bucket can exfiltrate data to a bucket the attacker controls in the same account, or poison other teams' data and models.",
    example: "An execution role with `s3:GetObject` and `s3:PutObject` on `*`.",
    remediation: "Scope the role's S3 permissions to the ARNs of its training-data and model-artifact buckets (and prefixes).",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[("How to use SageMaker AI execution roles", "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html")],
};

pub static RULES: &[&RuleDoc] = &[&IAM_001, &IAM_002, &IAM_003];

/// Execution roles of SageMaker resources, with who uses them.
pub(crate) fn execution_roles(inv: &Inventory) -> BTreeMap<String, Vec<String>> {
    let sm = &inv.sagemaker;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |arn: &Option<String>, who: String| {
        if let Some(a) = arn {
            out.entry(a.clone()).or_default().push(who);
        }
    };
    for x in &sm.notebook_instances {
        add(&x.role_arn, format!("notebook {}", x.notebook_instance_name));
    }
    for x in &sm.training_jobs {
        add(&x.role_arn, format!("training job {}", x.training_job_name));
    }
    for x in &sm.processing_jobs {
        add(&x.role_arn, format!("processing job {}", x.processing_job_name));
    }
    for x in &sm.models {
        add(&x.execution_role_arn, format!("model {}", x.model_name));
    }
    out
}

/// Runs IAM-001, IAM-002 and IAM-003 over the execution roles.
pub fn check(ps: &Principals, inv: &Inventory, _cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let admin_bits = admin_mask();
    let admin_probes: Vec<&str> = PROBES.iter().filter(|p| p.admin).map(|p| p.action).collect();
    for (arn, users) in execution_roles(inv) {
        let acct = account_of(&arn).to_string();
        let Some(role) = ps.get(&arn) else {
            let asked = inv.collected.iter().any(|(a, _, s, c)| a == &acct && s == "iam" && c == "get-account-authorization-details");
            let why = if asked { "the role is not in its account's get-account-authorization-details" } else { "missing iam get-account-authorization-details" };
            notes.push(Diagnostic::warning(format!("{acct}/global/iam/"), "", format!("IAM-001/IAM-002 not evaluated for `{arn}` ({}): {why}", users.join(", "))));
            continue;
        };
        let set = ps.set(role);
        let principal = role.session.clone();
        let admin = role.mask & admin_bits == admin_bits;
        if admin {
            let grants: Vec<String> = set.evaluate(&Request::new(principal.clone(), "iam:CreateAccessKey", "*")).matched.iter().map(|m| m.policy.clone()).collect();
            out.push(
                Finding::from_rule(&IAM_001, format!("execution role `{}` has administrator access", role.name))
                    .resource(&arn, "AwsIamRole")
                    .location(&acct, "global")
                    .description(format!("{} runs as {} and its policies allow every probed administrative action on any resource (granted by {}).", users.join(", "), role.name, grants.join(", ")))
                    .evidence(json!({ "probes": admin_probes, "granted_by": grants, "used_by": users })),
            );
        }
        // A bucket no ML resource names, in the role's own account.
        let other = "arn:aws:s3:::mlguard-probe-unrelated-bucket/object";
        let broad: Vec<&str> = ["s3:GetObject", "s3:PutObject"].into_iter().filter(|a| set.evaluate(&Request::new(principal.clone(), *a, other).with("aws:ResourceAccount", [acct.as_str()])).allowed).collect();
        if !broad.is_empty() && !admin {
            out.push(
                Finding::from_rule(&IAM_003, format!("execution role `{}` can {} any bucket's objects", role.name, broad.join(" and ")))
                    .resource(&arn, "AwsIamRole")
                    .location(&acct, "global")
                    .description(format!("{} runs as {}, which is allowed {} on objects of a bucket no ML resource uses.", users.join(", "), role.name, broad.join(" and ")))
                    .evidence(json!({ "actions": broad, "probe": other, "used_by": users })),
            );
        }
        let pass = Request::new(principal.clone(), "iam:PassRole", format!("arn:aws:iam::{acct}:role/mlguard-probe-any-role")).with("iam:PassedToService", ["sagemaker.amazonaws.com"]);
        let d = set.evaluate(&pass);
        if d.allowed {
            let grants: Vec<String> = d.matched.iter().map(|m| format!("{}{}", m.policy, m.sid.as_ref().map(|s| format!(" ({s})")).unwrap_or_default())).collect();
            out.push(
                Finding::from_rule(&IAM_002, format!("execution role `{}` can pass any role to SageMaker", role.name))
                    .resource(&arn, "AwsIamRole")
                    .location(&acct, "global")
                    .description(format!("{} runs as {}, which may iam:PassRole an arbitrary role of account {acct} to SageMaker (granted by {}).", users.join(", "), role.name, grants.join(", ")))
                    .evidence(json!({ "granted_by": grants, "used_by": users })),
            );
        }
    }
}
