//! Who can poison a model (`IAM-005`): every principal that can overwrite or destroy the
//! versions of a model-artifact bucket, or change a model's approval.
//!
//! For each model-artifact bucket (found as [`buckets::discover`] finds them) every user and
//! role of the bucket's account is evaluated, with the bucket policy as the resource policy,
//! for `s3:PutObject`, `s3:DeleteObjectVersion`, `s3:PutBucketVersioning` and
//! `s3:PutLifecycleConfiguration`. Requests are modelled as an insider makes them: over TLS,
//! from the VPC endpoint and VPC the bucket policy names (so network conditions do not hide
//! anyone), with `aws:PrincipalArn` and `aws:PrincipalAccount` set. The bucket policy alone is
//! also asked whether it lets a principal of *another* account write.
//!
//! The bucket is reported when someone other than the roles of the jobs that write there can
//! write, or anyone at all can delete versions, suspend versioning or expire versions with a
//! lifecycle rule. For model package groups, the report is the SageMaker execution roles that
//! may `sagemaker:UpdateModelPackage` (code in a container approving its own model); the
//! evidence lists everyone who may.

use crate::buckets::{self, Role};
use crate::principals::{gate, may_at, Kind, Principal, Principals};
use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_iam::{evaluate_policy, NamedPolicy, Policy, PolicyKind, Request};
use mlguard_snapshot::Inventory;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub const IAM_005: RuleDoc = RuleDoc {
    id: "IAM-005",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "Principals beyond the training jobs can poison a model",
    what: "For every model-artifact bucket, evaluates every IAM user and role of its account (identity policies, permissions boundary and the bucket policy) for `s3:PutObject`, `s3:DeleteObjectVersion`, `s3:PutBucketVersioning` and `s3:PutLifecycleConfiguration`, as a request over TLS through the VPC endpoint the bucket policy names; and asks the bucket policy whether it lets another account write. Reports the bucket when a principal other than the execution roles of the jobs that write there can write, when anyone can delete versions, suspend versioning or expire versions, or when another account can write. For every model package group, reports the SageMaker execution roles allowed `sagemaker:UpdateModelPackage`. The evidence is the full answer to \"who can poison this model\": every principal, its actions and the statements that grant them.",
    why: "A model is what its artifact and its approval say it is. Whoever can overwrite the artifact, destroy the versions that would let you roll back, or flip a package to Approved, can put a backdoored model into production; a training container that can approve its own model removes the human gate entirely.",
    example: "A data-science user whose policy allows `s3:*` on the model-artifact bucket; an execution role with `AmazonSageMakerFullAccess`, which allows `sagemaker:UpdateModelPackage` on every package.",
    remediation: "Let only the training jobs' execution roles `s3:PutObject` into the model prefix, keep `s3:DeleteObjectVersion`, `s3:PutBucketVersioning` and `s3:PutLifecycleConfiguration` for a break-glass role (deny them to everyone else in the bucket policy, conditioned on `aws:PrincipalArn`), and grant `sagemaker:UpdateModelPackage` only to the approvers' role, never to execution roles.",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[
        ("Using versioning in S3 buckets", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"),
        ("Update the approval status of a model", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html"),
        ("Policy evaluation logic", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"),
    ],
};

const WRITE: &str = "s3:PutObject";
const DESTROY: &[&str] = &["s3:DeleteObjectVersion", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"];

/// One principal and what it may do.
#[derive(Debug, Clone, Serialize)]
struct Who {
    principal: String,
    actions: Vec<String>,
    granted_by: Vec<String>,
    /// An execution role of a job that writes to this bucket.
    expected_writer: bool,
}

/// Values the bucket policy compares `key` against, so the request can come from there.
fn policy_values(p: &NamedPolicy, key: &str) -> Option<String> {
    p.policy.statements.iter().flat_map(|s| &s.conditions).find(|c| c.key.eq_ignore_ascii_case(key)).and_then(|c| c.values.first().cloned())
}

/// What can be known about one action before asking any principal.
#[derive(Clone, Copy)]
struct Pre {
    gate: Option<usize>,
    /// The bucket policy has an `Allow` statement for the action, which may grant it by itself.
    resource_grants: bool,
}

impl Pre {
    fn new(action: &str, bucket_policy: Option<&NamedPolicy>) -> Pre {
        Pre { gate: gate(action), resource_grants: bucket_policy.is_some_and(|bp| bp.policy.statements.iter().any(|s| s.effect == mlguard_iam::Effect::Allow && s.actions.matches(action))) }
    }
}

fn ask(ps: &Principals, p: &Principal, bucket_policy: Option<&NamedPolicy>, action: &str, pre: Pre, resource: &str, ctx: &[(String, String)]) -> Option<Vec<String>> {
    // Without an identity statement for it, only a bucket policy statement can grant it.
    if !pre.resource_grants && !may_at(p, pre.gate, resource) {
        return None;
    }
    let mut set = ps.set(p);
    if let Some(bp) = bucket_policy {
        set = set.with_resource(bp);
    }
    let mut r = Request::new(&p.session, action, resource).with("aws:PrincipalArn", [p.arn.as_str()]).with("aws:PrincipalAccount", [p.account.as_str()]);
    if p.kind == Kind::User {
        r = r.with("aws:username", [p.name.as_str()]);
    }
    for (k, v) in ctx {
        r = r.with(k.as_str(), [v.as_str()]);
    }
    let d = set.evaluate(&r);
    d.allowed.then(|| d.matched.iter().map(|m| format!("{}{}", m.policy, m.sid.as_ref().map(|s| format!(" ({s})")).unwrap_or_default())).collect())
}

/// Runs IAM-005.
pub fn check(ps: &Principals, inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    buckets_check(ps, inv, cfg, out, notes);
    approval_check(ps, inv, out);
}

fn buckets_check(ps: &Principals, inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    // Execution roles of the jobs that write each bucket.
    let mut writers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for j in &inv.sagemaker.training_jobs {
        let outs = j.output_data_config.as_ref().and_then(|o| o.s3_output_path.as_deref()).into_iter().chain(j.model_artifacts.as_ref().and_then(|m| m.s3_model_artifacts.as_deref()));
        for u in outs {
            if let (Some(b), Some(r)) = (buckets::bucket_of(u), j.role_arn.as_deref()) {
                writers.entry(b).or_default().insert(r);
            }
        }
    }
    for j in &inv.sagemaker.processing_jobs {
        for u in j.output_s3_uris() {
            if let (Some(b), Some(r)) = (buckets::bucket_of(u), j.role_arn.as_deref()) {
                writers.entry(b).or_default().insert(r);
            }
        }
    }
    for (name, bucket) in buckets::discover(inv, cfg) {
        if !bucket.roles.contains(&Role::ModelArtifacts) {
            continue;
        }
        let Some(account) = buckets::owner(inv, &name, &bucket.seen_in) else { continue };
        if !ps.list.iter().any(|p| p.account == account) {
            let asked = inv.collected.iter().any(|(a, _, s, c)| a == &account && s == "iam" && c == "get-account-authorization-details");
            if !asked {
                notes.push(Diagnostic::warning(format!("{account}/global/iam/"), "", format!("IAM-005 not evaluated for model-artifact bucket `{name}`: missing iam get-account-authorization-details of account {account}")));
            }
            continue;
        }
        let c = inv.s3.bucket_config(&account, &name);
        let bp = match c.policy.map(|p| (p, Policy::from_json(&p.policy))) {
            None => None,
            Some((_, Ok(pol))) => Some(NamedPolicy::new(format!("bucket policy of {name}"), pol)),
            Some((p, Err(e))) => {
                notes.push(Diagnostic::warning(&p.file, "$.Policy", format!("IAM-005 for `{name}` evaluated without its bucket policy, which does not parse: {e}")));
                None
            }
        };
        let mut ctx: Vec<(String, String)> = vec![("aws:SecureTransport".into(), "true".into()), ("aws:ResourceAccount".into(), account.clone())];
        for key in ["aws:SourceVpce", "aws:SourceVpc"] {
            if let Some(v) = bp.as_ref().and_then(|p| policy_values(p, key)) {
                ctx.push((key.into(), v));
            }
        }
        let object = format!("arn:aws:s3:::{name}/mlguard-probe-object");
        let bucket_arn = format!("arn:aws:s3:::{name}");
        let expected = writers.get(name.as_str());
        let asked: Vec<(&str, Pre, &String)> = std::iter::once(WRITE)
            .chain(DESTROY.iter().copied())
            .map(|a| (a, Pre::new(a, bp.as_ref()), if a == WRITE || a == "s3:DeleteObjectVersion" { &object } else { &bucket_arn }))
            .collect();
        let mut who = Vec::new();
        for p in ps.list.iter().filter(|p| p.account == account && !p.service_linked) {
            let mut actions = Vec::new();
            let mut granted: Vec<String> = Vec::new();
            for &(a, pre, res) in &asked {
                if let Some(g) = ask(ps, p, bp.as_ref(), a, pre, res, &ctx) {
                    actions.push(a.to_string());
                    for x in g {
                        if !granted.contains(&x) {
                            granted.push(x);
                        }
                    }
                }
            }
            if !actions.is_empty() {
                who.push(Who { principal: p.arn.clone(), actions, granted_by: granted, expected_writer: expected.is_some_and(|e| e.contains(p.arn.as_str())) });
            }
        }
        // Another account, through the bucket policy alone.
        let mut outside = Vec::new();
        if let Some(bp) = &bp {
            let stranger = "arn:aws:iam::999999999999:role/mlguard-probe-outsider";
            for a in std::iter::once(WRITE).chain(DESTROY.iter().copied()) {
                let res = if a == WRITE || a == "s3:DeleteObjectVersion" { &object } else { &bucket_arn };
                let mut r = Request::new(stranger, a, res.as_str()).with("aws:PrincipalArn", [stranger]).with("aws:PrincipalAccount", ["999999999999"]);
                for (k, v) in &ctx {
                    r = r.with(k.as_str(), [v.as_str()]);
                }
                let o = evaluate_policy(bp, PolicyKind::Resource, &r);
                if o.denies.is_empty() && !(o.allows.is_empty() && o.delegated.is_empty()) {
                    outside.push(a.to_string());
                }
            }
        }
        let unexpected: Vec<&Who> = who.iter().filter(|w| !w.expected_writer || w.actions.iter().any(|a| a != WRITE)).collect();
        if unexpected.is_empty() && outside.is_empty() {
            continue;
        }
        let region = inv.s3.buckets.iter().find(|b| b.name == name).and_then(|b| b.bucket_region.clone()).or_else(|| c.versioning.map(|v| v.region.clone())).unwrap_or_default();
        let named: Vec<String> = unexpected.iter().take(5).map(|w| format!("{} ({})", short(&w.principal), w.actions.join(", "))).collect();
        let mut desc = format!("Model-artifact bucket {name} can be poisoned by {} principal(s) beyond the roles of the jobs that write it", unexpected.len());
        if !named.is_empty() {
            desc.push_str(&format!(": {}{}", named.join("; "), if unexpected.len() > 5 { "; …" } else { "" }));
        }
        if !outside.is_empty() {
            desc.push_str(&format!(". Its bucket policy also lets another account {}", outside.join(", ")));
        }
        desc.push('.');
        out.push(
            Finding::from_rule(&IAM_005, format!("{} principal(s) can overwrite or destroy versions in model-artifact bucket `{name}`", unexpected.len() + usize::from(!outside.is_empty())))
                .resource(bucket_arn.clone(), "AwsS3Bucket")
                .location(&account, &region)
                .description(desc)
                .evidence(json!({ "who": who, "other_accounts": outside, "expected_writers": expected.map(|e| e.iter().collect::<Vec<_>>()).unwrap_or_default(), "request_context": ctx.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>() })),
        );
    }
}

fn approval_check(ps: &Principals, inv: &Inventory, out: &mut Vec<Finding>) {
    let exec: BTreeSet<&str> = crate::iam::execution_roles(inv).into_keys().collect::<Vec<_>>().into_iter().filter_map(|a| ps.get(&a).map(|p| p.arn.as_str())).collect();
    // Groups as listed, and as the packages that were read name them: (account, region) -> group ARN -> name.
    let mut groups: BTreeMap<(&str, &str, String), String> = BTreeMap::new();
    let sm = &inv.sagemaker;
    for g in &sm.model_package_groups {
        groups.insert((&g.account, &g.region, g.model_package_group_arn.clone()), g.model_package_group_name.clone());
    }
    let from_package = |arn: &str| -> Option<(String, String)> {
        let (head, rest) = arn.split_once(":model-package/")?;
        let name = rest.split('/').next()?;
        Some((format!("{head}:model-package-group/{name}"), name.to_string()))
    };
    for (acct, region, arn) in sm.model_packages.iter().map(|p| (&p.account, &p.region, &p.model_package_arn)).chain(sm.model_package_summaries.iter().map(|p| (&p.account, &p.region, &p.model_package_arn))) {
        if let Some((g, name)) = from_package(arn) {
            groups.entry((acct, region, g)).or_insert(name);
        }
    }
    for ((account, region, group_arn), group_name) in &groups {
        // A package of the group, as UpdateModelPackage names it.
        let package = format!("{}/1", group_arn.replacen(":model-package-group/", ":model-package/", 1));
        let mut who = Vec::new();
        let mut bad = Vec::new();
        let pre = Pre::new("sagemaker:UpdateModelPackage", None);
        for p in ps.list.iter().filter(|p| p.account == *account && !p.service_linked) {
            if let Some(granted) = ask(ps, p, None, "sagemaker:UpdateModelPackage", pre, &package, &[]) {
                let is_exec = exec.contains(p.arn.as_str());
                if is_exec {
                    bad.push(p.arn.clone());
                }
                who.push(json!({ "principal": p.arn, "execution_role": is_exec, "granted_by": granted }));
            }
        }
        if bad.is_empty() {
            continue;
        }
        out.push(
            Finding::from_rule(&IAM_005, format!("execution roles can change approval in model package group `{group_name}`"))
                .resource(group_arn, "AwsSageMakerModelPackageGroup")
                .location(*account, *region)
                .description(format!(
                    "{} SageMaker execution role(s) ({}) may sagemaker:UpdateModelPackage in {}: code running in a notebook or job can approve a model for deployment. {} principal(s) in all can change approval.",
                    bad.len(),
                    bad.iter().map(|a| short(a)).collect::<Vec<_>>().join(", "),
                    group_name,
                    who.len()
                ))
                .evidence(json!({ "who": who, "probe": package })),
        );
    }
}

/// `arn:aws:iam::1:role/path/name` -> `role/path/name`.
fn short(arn: &str) -> &str {
    arn.rsplit_once(':').map(|(_, r)| r).unwrap_or(arn)
}
