//! Model-artifact and training-data buckets (`S3-001` … `S3-007`).
//!
//! Which buckets matter is found from the ML resources themselves: training jobs' input
//! channels and processing inputs are training data; training output paths, model artifacts,
//! models' `ModelDataUrl` and processing outputs are model artifacts; `mlguard.toml` adds
//! buckets none of them name. Each bucket is then checked against its S3 settings as the
//! snapshot recorded them.
//!
//! A missing response means different things per call, as AWS answers them: an unversioned
//! bucket's `get-bucket-versioning` is empty (never enabled); a bucket without Object Lock, a
//! public access block or a bucket policy makes the call fail (`ObjectLockConfigurationNotFoundError`,
//! `NoSuchPublicAccessBlockConfiguration`, `NoSuchBucketPolicy`), so a missing file for those is
//! read as "not configured" — but only when the bucket's settings were collected at all
//! (its versioning answer is there). A bucket whose settings were not collected is reported as
//! not evaluated, never as passing.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_iam::{evaluate_policy, NamedPolicy, Policy, PolicyKind, Request};
use mlguard_snapshot::BucketConfig;
use mlguard_snapshot::Inventory;
use serde_json::json;
use std::collections::BTreeMap;

const S3_VERSIONING: (&str, &str) = ("Using versioning in S3 buckets", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html");
const S3_POLICY_EXAMPLES: (&str, &str) = ("Bucket policy examples", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html");

pub const S3_001: RuleDoc = RuleDoc {
    id: "S3-001",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "ML bucket without versioning",
    what: "Checks that every model-artifact and training-data bucket has versioning Enabled (not Suspended, not never enabled).",
    why: "Without versions, a poisoned or deleted model artifact or dataset cannot be rolled back to a known-good state, and an overwrite leaves no trace in the bucket.",
    example: "The bucket a training job writes its model to answers `get-bucket-versioning` with `{\"Status\": \"Suspended\"}`.",
    remediation: "Enable versioning (`aws s3api put-bucket-versioning --versioning-configuration Status=Enabled`) and keep noncurrent versions long enough to roll back.",
    well_architected: "SEC08-BP04 Enforce access control",
    docs: &[S3_VERSIONING],
};

pub const S3_002: RuleDoc = RuleDoc {
    id: "S3-002",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "ML bucket without Object Lock or MFA delete",
    what: "Checks that every model-artifact and training-data bucket has Object Lock enabled or MFA delete on its versioning.",
    why: "Versioning alone does not stop a principal with `s3:DeleteObjectVersion` from erasing history; Object Lock (or MFA delete) makes approved artifacts immutable.",
    example: "A model-artifact bucket with versioning Enabled, MFA delete Disabled and no Object Lock configuration.",
    remediation: "Enable Object Lock with a default retention (governance or compliance mode) for artifact prefixes, or MFA delete on the bucket's versioning.",
    well_architected: "SEC08-BP04 Enforce access control",
    docs: &[("Locking objects with Object Lock", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html"), ("Configuring MFA delete", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html")],
};

pub const S3_003: RuleDoc = RuleDoc {
    id: "S3-003",
    severity: Severity::High,
    practice: Practice::Posture,
    title: "ML bucket not fully covered by Block Public Access",
    what: "Checks that all four Block Public Access settings apply to every model-artifact and training-data bucket, at the bucket level or the account level (S3 applies the most restrictive combination).",
    why: "One public ACL or policy statement exposes the training data or the model to anyone.",
    example: "A training-data bucket without a bucket-level public access block in an account without an account-level one.",
    remediation: "Turn on all four settings at the account level (`aws s3control put-public-access-block`) and on the bucket.",
    well_architected: "SEC08-BP04 Enforce access control",
    docs: &[("Blocking public access to your Amazon S3 storage", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html")],
};

pub const S3_004: RuleDoc = RuleDoc {
    id: "S3-004",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "ML bucket not encrypted with KMS by default",
    what: "Checks that the default encryption of every model-artifact and training-data bucket is SSE-KMS (`aws:kms` or `aws:kms:dsse`), not only SSE-S3.",
    why: "With a KMS key, reading the data also needs `kms:Decrypt`, a second, separately audited permission; SSE-S3 gives anyone who can read the object the plaintext.",
    example: "`get-bucket-encryption` shows `SSEAlgorithm: AES256`.",
    remediation: "Set default encryption to SSE-KMS with a customer managed key and an S3 Bucket Key.",
    well_architected: "SEC08-BP02 Enforce encryption at rest",
    docs: &[("Using server-side encryption with AWS KMS keys", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html")],
};

pub const S3_005: RuleDoc = RuleDoc {
    id: "S3-005",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "ML bucket policy does not confine access to VPC endpoints",
    what: "Evaluates the bucket policy for a request from outside the organisation's VPC endpoints (`aws:SourceVpce`/`aws:SourceVpc` not theirs) and checks that a Deny statement conditioned on those keys refuses it, for reads and writes.",
    why: "Without it, stolen credentials work from anywhere on the internet; with it, data and models can only be read or written from inside the ML network.",
    example: "A bucket policy with only Allow statements.",
    remediation: "Add a Deny for `s3:*` with `StringNotEquals` on `aws:SourceVpce` (the S3 gateway endpoints of the ML VPCs), with exceptions only for the roles that must work outside.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[S3_POLICY_EXAMPLES, ("Control access to S3 from VPC endpoints with bucket policies", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html")],
};

pub const S3_006: RuleDoc = RuleDoc {
    id: "S3-006",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "ML bucket policy does not deny unencrypted transport",
    what: "Evaluates the bucket policy for a request with `aws:SecureTransport` false and checks that a Deny statement conditioned on it refuses it, for reads and writes.",
    why: "Training data and models in plain HTTP can be read or altered on the way.",
    example: "A bucket policy without a `Bool aws:SecureTransport false` Deny.",
    remediation: "Add a Deny for `s3:*` on the bucket and its objects when `aws:SecureTransport` is `false`.",
    well_architected: "SEC09-BP02 Enforce encryption in transit",
    docs: &[S3_POLICY_EXAMPLES],
};

pub const S3_007: RuleDoc = RuleDoc {
    id: "S3-007",
    severity: Severity::Low,
    practice: Practice::Posture,
    title: "No record of object access to an ML bucket",
    what: "Checks that every model-artifact and training-data bucket has server access logging, or is covered by the S3 data events of a logging CloudTrail trail.",
    why: "Without an access record, a tampered model or exfiltrated dataset cannot be traced to who did it, and threat detection has nothing to read.",
    example: "`get-bucket-logging` is empty and no trail selects `AWS::S3::Object` data events for the bucket.",
    remediation: "Enable CloudTrail S3 data events for the bucket (advanced event selectors scoped to its ARN), or server access logging to a separate bucket.",
    well_architected: "SEC04-BP01 Configure service and application logging",
    docs: &[("Logging data events", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html"), ("Logging requests with server access logging", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerAccessLogs.html")],
};

/// What a bucket holds, as the ML resources and the configuration say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    ModelArtifacts,
    TrainingData,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::ModelArtifacts => "model-artifact",
            Role::TrainingData => "training-data",
        }
    }
}

/// An ML bucket: its roles and the resources that gave them.
#[derive(Debug, Clone, Default)]
pub struct MlBucket {
    pub roles: Vec<Role>,
    pub because: Vec<String>,
    /// The account of the resource that names it (the bucket may live elsewhere).
    pub seen_in: String,
}

/// `s3://bucket/prefix` -> `bucket`.
pub fn bucket_of(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("s3://").or_else(|| uri.strip_prefix("S3://"))?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// Every bucket that holds model artifacts or training data.
pub fn discover(inv: &Inventory, cfg: &Config) -> BTreeMap<String, MlBucket> {
    let mut out: BTreeMap<String, MlBucket> = BTreeMap::new();
    let mut add = |uri: &str, role: Role, why: String, account: &str| {
        if let Some(b) = bucket_of(uri) {
            let e = out.entry(b.to_string()).or_default();
            if !e.roles.contains(&role) {
                e.roles.push(role);
            }
            if e.because.len() < 8 && !e.because.contains(&why) {
                e.because.push(why);
            }
            if e.seen_in.is_empty() {
                e.seen_in = account.to_string();
            }
        }
    };
    let sm = &inv.sagemaker;
    for j in &sm.training_jobs {
        for u in j.input_s3_uris() {
            add(u, Role::TrainingData, format!("input of training job {}", j.training_job_name), &j.account);
        }
        if let Some(u) = j.output_data_config.as_ref().and_then(|o| o.s3_output_path.as_deref()) {
            add(u, Role::ModelArtifacts, format!("output of training job {}", j.training_job_name), &j.account);
        }
        if let Some(u) = j.model_artifacts.as_ref().and_then(|m| m.s3_model_artifacts.as_deref()) {
            add(u, Role::ModelArtifacts, format!("model artifacts of training job {}", j.training_job_name), &j.account);
        }
    }
    for j in &sm.processing_jobs {
        for u in j.input_s3_uris() {
            add(u, Role::TrainingData, format!("input of processing job {}", j.processing_job_name), &j.account);
        }
        for u in j.output_s3_uris() {
            add(u, Role::TrainingData, format!("output of processing job {}", j.processing_job_name), &j.account);
        }
    }
    for m in &sm.models {
        for c in m.all_containers() {
            if let Some(u) = c.model_data_uri() {
                add(u, Role::ModelArtifacts, format!("artifacts of model {}", m.model_name), &m.account);
            }
        }
    }
    for b in &cfg.buckets.model_artifacts {
        add(&format!("s3://{b}"), Role::ModelArtifacts, "mlguard.toml buckets.model_artifacts".into(), "");
    }
    for b in &cfg.buckets.training_data {
        add(&format!("s3://{b}"), Role::TrainingData, "mlguard.toml buckets.training_data".into(), "");
    }
    for b in out.values_mut() {
        b.roles.sort();
    }
    out
}

/// The account whose snapshot holds the bucket's settings: the one that names it, else any
/// account with a per-bucket file for it.
pub(crate) fn owner(inv: &Inventory, name: &str, seen_in: &str) -> Option<String> {
    let s3 = &inv.s3;
    let has = |acct: &str| {
        let c = s3.bucket_config(acct, name);
        c.versioning.is_some() || c.encryption.is_some() || c.policy.is_some() || c.public_access_block.is_some() || c.logging.is_some() || c.object_lock.is_some()
    };
    if !seen_in.is_empty() && has(seen_in) {
        return Some(seen_in.to_string());
    }
    s3.versioning
        .iter()
        .map(|l| (l.resource.as_deref(), l.account.as_str()))
        .chain(s3.encryption.iter().map(|l| (l.resource.as_deref(), l.account.as_str())))
        .find(|(r, _)| *r == Some(name))
        .map(|(_, a)| a.to_string())
}

struct Ctx<'a> {
    inv: &'a Inventory,
    name: &'a str,
    bucket: &'a MlBucket,
    account: String,
    region: String,
}

impl Ctx<'_> {
    fn finding(&self, rule: &RuleDoc, title: String, description: String, evidence: serde_json::Value) -> Finding {
        let mut ev = evidence;
        if let Some(o) = ev.as_object_mut() {
            o.insert("roles".into(), json!(self.bucket.roles.iter().map(|r| r.label()).collect::<Vec<_>>()));
            o.insert("because".into(), json!(self.bucket.because));
        }
        Finding::from_rule(rule, title)
            .resource(format!("arn:aws:s3:::{}", self.name), "AwsS3Bucket")
            .location(&self.account, &self.region)
            .description(description)
            .evidence(ev)
    }

    fn roles(&self) -> String {
        self.bucket.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(" and ")
    }
}

/// Runs S3-001 … S3-007 over every ML bucket.
pub fn check(inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    for (name, bucket) in discover(inv, cfg) {
        let Some(account) = owner(inv, &name, &bucket.seen_in) else {
            notes.push(Diagnostic::warning(
                format!("s3/{name}/"),
                "",
                format!("S3-001…S3-007 not evaluated for {} bucket `{name}` ({}): missing its settings (get-bucket-versioning and the other per-bucket calls)", bucket.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(" and "), bucket.because.join("; ")),
            ));
            continue;
        };
        let c = inv.s3.bucket_config(&account, &name);
        let region = inv.s3.buckets.iter().find(|b| b.name == name).and_then(|b| b.bucket_region.clone()).or_else(|| c.versioning.map(|v| v.region.clone())).unwrap_or_default();
        let ctx = Ctx { inv, name: &name, bucket: &bucket, account: account.clone(), region };
        versioning(&ctx, &c, out, notes);
        immutability(&ctx, &c, out);
        public_access(&ctx, &c, out);
        encryption(&ctx, &c, out, notes);
        policy(&ctx, &c, out, notes);
        access_record(&ctx, &c, out, notes);
    }
}

fn not_evaluated(notes: &mut Vec<Diagnostic>, ctx: &Ctx<'_>, rule: &str, call: &str) {
    notes.push(Diagnostic::warning(format!("{}/…/s3/{}/{call}.json", ctx.account, ctx.name), "", format!("{rule} not evaluated for `{}`: missing {call}", ctx.name)));
}

fn versioning(ctx: &Ctx<'_>, c: &BucketConfig<'_>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let Some(v) = c.versioning else {
        not_evaluated(notes, ctx, "S3-001", "get-bucket-versioning");
        return;
    };
    if v.is_enabled() {
        return;
    }
    let state = match v.status.as_deref() {
        Some("Suspended") => "suspended",
        _ => "never enabled",
    };
    out.push(ctx.finding(
        &S3_001,
        format!("versioning is {state} on {} bucket `{}`", ctx.roles(), ctx.name),
        format!("Bucket {} holds {} ({}) and its versioning is {state}: an overwritten or deleted object cannot be restored.", ctx.name, ctx.roles(), ctx.bucket.because.join("; ")),
        json!({ "versioning": v.status, "file": v.file }),
    ));
}

fn immutability(ctx: &Ctx<'_>, c: &BucketConfig<'_>, out: &mut Vec<Finding>) {
    // Only judged when the bucket's settings were collected (its versioning answer is there).
    let Some(v) = c.versioning else { return };
    let lock = c.object_lock.and_then(|l| l.object_lock_enabled.as_deref()) == Some("Enabled");
    let mfa = v.mfa_delete.as_deref() == Some("Enabled");
    if lock || mfa {
        return;
    }
    out.push(ctx.finding(
        &S3_002,
        format!("{} bucket `{}` has neither Object Lock nor MFA delete", ctx.roles(), ctx.name),
        format!("Anyone allowed s3:DeleteObjectVersion or s3:PutBucketVersioning on {} can erase its history: Object Lock is {} and MFA delete is {}.", ctx.name, if c.object_lock.is_some() { "not enabled" } else { "not configured" }, v.mfa_delete.as_deref().unwrap_or("not set")),
        json!({ "object_lock": c.object_lock.map(|l| l.item.object_lock_enabled.clone()), "mfa_delete": v.mfa_delete }),
    ));
}

fn public_access(ctx: &Ctx<'_>, c: &BucketConfig<'_>, out: &mut Vec<Finding>) {
    if c.versioning.is_none() && c.public_access_block.is_none() {
        return;
    }
    let account = ctx.inv.s3.account_public_access_block(&ctx.account);
    let flag = |f: fn(&mlguard_snapshot::s3::PublicAccessBlockConfiguration) -> bool| c.public_access_block.map(|b| f(b)).unwrap_or(false) || account.map(|a| f(a)).unwrap_or(false);
    let settings = [
        ("BlockPublicAcls", flag(|b| b.block_public_acls)),
        ("IgnorePublicAcls", flag(|b| b.ignore_public_acls)),
        ("BlockPublicPolicy", flag(|b| b.block_public_policy)),
        ("RestrictPublicBuckets", flag(|b| b.restrict_public_buckets)),
    ];
    let off: Vec<&str> = settings.iter().filter(|(_, on)| !on).map(|(n, _)| *n).collect();
    if off.is_empty() {
        return;
    }
    out.push(ctx.finding(
        &S3_003,
        format!("{} bucket `{}` is not covered by {}", ctx.roles(), ctx.name, off.join(", ")),
        format!(
            "Neither the bucket's public access block ({}) nor the account's ({}) turns on {} for {}.",
            if c.public_access_block.is_some() { "present" } else { "none" },
            if account.is_some() { "present" } else { "none" },
            off.join(", "),
            ctx.name
        ),
        json!({ "off": off, "bucket_block": c.public_access_block.is_some(), "account_block": account.is_some() }),
    ));
}

fn encryption(ctx: &Ctx<'_>, c: &BucketConfig<'_>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let Some(e) = c.encryption else {
        if c.versioning.is_some() {
            not_evaluated(notes, ctx, "S3-004", "get-bucket-encryption");
        }
        return;
    };
    let algs: Vec<&str> = e.algorithms().collect();
    if algs.iter().any(|a| *a == "aws:kms" || *a == "aws:kms:dsse") {
        return;
    }
    out.push(ctx.finding(
        &S3_004,
        format!("{} bucket `{}` is encrypted with {} instead of KMS", ctx.roles(), ctx.name, if algs.is_empty() { "nothing set".to_string() } else { algs.join(", ") }),
        format!("Default encryption of {} is {}: reading an object needs no KMS permission.", ctx.name, if algs.is_empty() { "not set".to_string() } else { algs.join(", ") }),
        json!({ "algorithms": algs }),
    ));
}

/// The statements of `policy` that deny `action` on the bucket under `context`, and whether
/// one of them is conditioned on any of `keys`.
fn denied_by_condition(policy: &NamedPolicy, bucket: &str, action: &str, context: &[(&str, &str)], keys: &[&str]) -> bool {
    let mut req = Request::new("arn:aws:iam::999999999999:role/mlguard-probe", action, format!("arn:aws:s3:::{bucket}/mlguard-probe"));
    for (k, v) in context {
        req = req.with(*k, [*v]);
    }
    let o = evaluate_policy(policy, PolicyKind::Resource, &req);
    o.denies.iter().any(|d| {
        policy.policy.statements.get(d.index).map(|s| s.conditions.iter().any(|c| keys.iter().any(|k| c.key.eq_ignore_ascii_case(k)))).unwrap_or(false)
    })
}

fn policy(ctx: &Ctx<'_>, c: &BucketConfig<'_>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    if c.versioning.is_none() && c.policy.is_none() {
        return;
    }
    let parsed = match c.policy {
        None => None,
        Some(p) => match Policy::from_json(&p.policy) {
            Ok(pol) => Some(NamedPolicy::new(format!("bucket policy of {}", ctx.name), pol)),
            Err(e) => {
                notes.push(Diagnostic::warning(&p.file, "$.Policy", format!("S3-005/S3-006 not evaluated for `{}`: the bucket policy does not parse: {e}", ctx.name)));
                return;
            }
        },
    };
    let actions = ["s3:GetObject", "s3:PutObject"];
    let vpce_ok = parsed.as_ref().map(|p| actions.iter().all(|a| denied_by_condition(p, ctx.name, a, &[("aws:SecureTransport", "true"), ("aws:SourceVpce", "vpce-00000000000000000"), ("aws:SourceVpc", "vpc-00000000000000000")], &["aws:SourceVpce", "aws:SourceVpc"]))).unwrap_or(false);
    let tls_ok = parsed.as_ref().map(|p| actions.iter().all(|a| denied_by_condition(p, ctx.name, a, &[("aws:SecureTransport", "false")], &["aws:SecureTransport"]))).unwrap_or(false);
    let what = if c.policy.is_some() { "its bucket policy" } else { "it has no bucket policy, so nothing" };
    if !vpce_ok {
        out.push(ctx.finding(
            &S3_005,
            format!("{} bucket `{}` can be used from outside the VPC endpoints", ctx.roles(), ctx.name),
            format!("A read or write of {} from outside the organisation's VPC endpoints is not refused: {what} denies requests whose aws:SourceVpce or aws:SourceVpc is foreign.", ctx.name),
            json!({ "policy_present": c.policy.is_some() }),
        ));
    }
    if !tls_ok {
        out.push(ctx.finding(
            &S3_006,
            format!("{} bucket `{}` accepts unencrypted transport", ctx.roles(), ctx.name),
            format!("A read or write of {} over plain HTTP is not refused: {what} denies requests with aws:SecureTransport false.", ctx.name),
            json!({ "policy_present": c.policy.is_some() }),
        ));
    }
}

fn access_record(ctx: &Ctx<'_>, c: &BucketConfig<'_>, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    if c.logging.map(|l| l.logging_enabled.is_some()).unwrap_or(false) {
        return;
    }
    let det = &ctx.inv.detection;
    let bucket_arn = format!("arn:aws:s3:::{}", ctx.name);
    let covered = det.trails.iter().any(|t| {
        let logging = det.trail_status(t).and_then(|s| s.is_logging).unwrap_or(false);
        let Some(sel) = det.trail_event_selectors(t) else { return false };
        let basic = sel.event_selectors.iter().any(|e| {
            e.data_resources.iter().any(|d| d.r#type.as_deref() == Some("AWS::S3::Object") && d.values.iter().any(|v| v == "arn:aws:s3" || v == "arn:aws:s3:::" || bucket_arn.starts_with(v.trim_end_matches('/')) || v.starts_with(&format!("{bucket_arn}/"))))
        });
        let advanced = sel.advanced_event_selectors.iter().any(|a| {
            let data = a.field_selectors.iter().any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Data"));
            let s3 = a.field_selectors.iter().any(|f| f.field == "resources.type" && f.equals.iter().any(|v| v == "AWS::S3::Object"));
            let scoped = a.field_selectors.iter().filter(|f| f.field == "resources.ARN").all(|f| {
                f.starts_with.iter().any(|p| format!("{bucket_arn}/").starts_with(p.as_str()) || p.starts_with(&format!("{bucket_arn}/")))
                    || f.equals.iter().any(|p| p.starts_with(&format!("{bucket_arn}/")))
            });
            data && s3 && scoped
        });
        logging && (basic || advanced)
    });
    if covered {
        return;
    }
    if c.logging.is_none() && det.trails.is_empty() {
        not_evaluated(notes, ctx, "S3-007", "get-bucket-logging (and no cloudtrail describe-trails)");
        return;
    }
    out.push(ctx.finding(
        &S3_007,
        format!("no access record for {} bucket `{}`", ctx.roles(), ctx.name),
        format!("{} has no server access logging and no logging CloudTrail trail selects its S3 data events.", ctx.name),
        json!({ "server_access_logging": c.logging.is_some_and(|l| l.logging_enabled.is_some()), "trails": det.trails.len() }),
    ));
}

#[cfg(test)]
mod tests {
    use super::bucket_of;

    #[test]
    fn bucket_names_from_uris() {
        assert_eq!(bucket_of("s3://ml-data/train/part-0.csv"), Some("ml-data"));
        assert_eq!(bucket_of("s3://ml-data"), Some("ml-data"));
        assert_eq!(bucket_of("https://ml-data.s3.amazonaws.com/x"), None);
        assert_eq!(bucket_of("s3://"), None);
    }
}
