//! `mlguard can`: asks the IAM policy evaluator one question about a snapshot — can principal P
//! do action A on resource R — and prints the decision with the statements that made it.

use anyhow::{bail, Result};
use clap::Args;
use mlguard_iam::{DecisionKind, Gate, NamedPolicy, Policy, Request};
use mlguard_posture::principals::{Kind, Principals};
use mlguard_snapshot::{Inventory, Snapshot};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct CanArgs {
    /// The snapshot directory.
    snapshot: PathBuf,
    /// The user or role ARN (as `get-account-authorization-details` lists it).
    #[arg(long)]
    principal: String,
    /// `service:Action`, e.g. `s3:PutObject`.
    #[arg(long)]
    action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key`; `*` by default.
    #[arg(long, default_value = "*")]
    resource: String,
    /// A condition key and value, `key=value` (repeatable; a key given twice has several values).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// text or json.
    #[arg(long, default_value = "text")]
    format: String,
}

/// Exit 0 when allowed, 1 when denied, 2 on error.
pub fn run(a: CanArgs) -> Result<u8> {
    let snap = Snapshot::open(&a.snapshot)?;
    let inv = Inventory::load(&snap);
    let mut notes = Vec::new();
    let ps = Principals::build(&inv, &mut notes);
    let Some(p) = ps.get(&a.principal) else {
        bail!("principal `{}` is not in the snapshot's get-account-authorization-details (users and roles, by ARN)", a.principal);
    };
    let mut req = Request::new(p.session.as_str(), a.action.as_str(), a.resource.as_str()).with("aws:PrincipalArn", [p.arn.as_str()]).with("aws:PrincipalAccount", [p.account.as_str()]);
    if p.kind == Kind::User {
        req = req.with("aws:username", [p.name.as_str()]);
    }
    let mut extra: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for kv in &a.context {
        let Some((k, v)) = kv.split_once('=') else { bail!("`--context {kv}`: expected KEY=VALUE") };
        extra.entry(k.to_string()).or_default().push(v.to_string());
    }
    for (k, v) in extra {
        req = req.with(k, v);
    }
    // An S3 resource of a bucket in the principal's account brings its bucket policy.
    let bucket_policy = a.resource.strip_prefix("arn:aws:s3:::").and_then(|r| r.split('/').next()).and_then(|b| inv.s3.bucket_config(&p.account, b).policy.map(|x| (b.to_string(), x)));
    let parsed = match &bucket_policy {
        Some((b, x)) => match Policy::from_json(&x.policy) {
            Ok(pol) => Some(NamedPolicy::new(format!("bucket policy of {b}"), pol)),
            Err(e) => bail!("{}: $.Policy: the bucket policy does not parse: {e}", x.file),
        },
        None => None,
    };
    let mut set = ps.set(p);
    if let Some(bp) = &parsed {
        set = set.with_resource(bp);
    }
    let d = set.evaluate(&req);
    let mut out = std::io::stdout().lock();
    if a.format == "json" {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "principal": p.arn, "action": a.action, "resource": a.resource, "decision": d }))?;
        writeln!(out)?;
    } else {
        let verdict = match d.kind {
            DecisionKind::Allow => "ALLOW",
            DecisionKind::ExplicitDeny => "DENY (explicit)",
            DecisionKind::ImplicitDeny => "DENY (implicit)",
        };
        writeln!(out, "{verdict}: {} {} on {}", p.arn, a.action, a.resource)?;
        match d.gate {
            Some(Gate::NoAllow) => writeln!(out, "  no statement allows it")?,
            Some(Gate::PermissionsBoundary) => writeln!(out, "  allowed by its policies but not by its permissions boundary")?,
            Some(Gate::Scp { level }) => writeln!(out, "  withheld by the SCPs at level {level}")?,
            None => {}
        }
        for m in &d.matched {
            writeln!(out, "  {:?} {} statement {}{}", m.kind, m.policy, m.index, m.sid.as_ref().map(|s| format!(" ({s})")).unwrap_or_default())?;
        }
        for pr in &d.problems {
            writeln!(out, "  note: {}: {}: {}", pr.policy.as_deref().unwrap_or("?"), pr.path, pr.message)?;
        }
    }
    for n in notes {
        eprintln!("warning: {}", n.message);
    }
    Ok(if d.allowed { 0 } else { 1 })
}
