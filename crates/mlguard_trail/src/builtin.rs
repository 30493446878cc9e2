//! Built-in detections: single-event checks that need more than a Sigma selection (parsing a
//! policy document, comparing the caller with the target) and sequences by one principal
//! within a window. Their documentation is in [`crate::rules`].

use crate::net::{Addr, NetSet};
use crate::record::{format_time, Record};
use crate::rules::*;
use mlguard_core::{RuleDoc, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// A reference to one triggering event, as findings carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRef {
    pub event_id: String,
    pub time: String,
    pub event_name: String,
    pub actor: String,
    pub source_ip: String,
}

impl EventRef {
    pub fn of(r: &Record) -> EventRef {
        EventRef { event_id: r.event_id().to_string(), time: format_time(r.time), event_name: r.event_name().to_string(), actor: r.actor().to_string(), source_ip: r.source_ip().to_string() }
    }
}

/// What a hit takes from the event that raised it: a [`Record`] or its
/// [`crate::baseline::Slim`] copy.
pub trait Origin {
    fn account(&self) -> &str;
    fn region(&self) -> &str;
    fn principal(&self) -> &str;
    /// [`EventRef::of`].
    fn event_ref(&self) -> EventRef;
}

impl Origin for Record {
    fn account(&self) -> &str {
        Record::account(self)
    }
    fn region(&self) -> &str {
        Record::region(self)
    }
    fn principal(&self) -> &str {
        Record::principal(self)
    }
    fn event_ref(&self) -> EventRef {
        EventRef::of(self)
    }
}

/// One detection, before it becomes a [`mlguard_core::Finding`].
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: &'static RuleDoc,
    pub severity: Severity,
    pub title: String,
    pub resource: String,
    pub resource_type: &'static str,
    pub description: String,
    pub account: String,
    pub region: String,
    pub principal: String,
    /// Triggering events, the one that completed the detection last.
    pub events: Vec<EventRef>,
    /// Rule-specific evidence merged into the finding's evidence object.
    pub extra: Value,
}

impl Hit {
    pub fn new<R: Origin + ?Sized>(rule: &'static RuleDoc, r: &R, title: String, resource: impl Into<String>, resource_type: &'static str) -> Hit {
        Hit {
            rule,
            severity: rule.severity,
            title,
            resource: resource.into(),
            resource_type,
            description: String::new(),
            account: r.account().to_string(),
            region: r.region().to_string(),
            principal: r.principal().to_string(),
            events: vec![r.event_ref()],
            extra: Value::Null,
        }
    }

    fn desc(mut self, d: String) -> Hit {
        self.description = d;
        self
    }

    fn sev(mut self, s: Severity) -> Hit {
        self.severity = s;
        self
    }

    fn extra(mut self, v: Value) -> Hit {
        self.extra = v;
        self
    }

    /// A failed call is an attempt: reported at low severity.
    fn attempt(self, r: &Record) -> Hit {
        match r.error_code() {
            Some(code) => {
                let s = self.severity.min(Severity::Low);
                let t = format!("attempted: {} (failed with {code})", self.title);
                Hit { severity: s, title: t, ..self }
            }
            None => self,
        }
    }
}

/// Options of the built-in detections.
#[derive(Debug, Clone)]
pub struct BuiltinOptions {
    /// Model-artifact and training-data bucket names.
    pub ml_buckets: HashSet<String>,
    /// Sequence window in seconds.
    pub window: i64,
    /// AWS's published address ranges, when given.
    pub aws_ranges: Option<NetSet>,
    /// The account's own networks (NAT gateways, office ranges, public addresses of its instances).
    pub known: NetSet,
}

impl Default for BuiltinOptions {
    fn default() -> Self {
        BuiltinOptions { ml_buckets: HashSet::new(), window: 3600, aws_ranges: None, known: NetSet::default() }
    }
}

/// State the sequence detections keep; persisted by the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeqState {
    /// `account/region/notebook name` → who created it, when, with which role.
    pub notebooks: HashMap<String, NotebookInfo>,
    /// `principal|identity kind|name` → the creation event.
    #[serde(skip)]
    pub created: HashMap<String, (i64, EventRef)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotebookInfo {
    pub creator: String,
    pub time: i64,
    pub role: String,
    pub event: EventRef,
}

/// Runs every built-in detection over records in order.
pub struct Builtin {
    pub opts: BuiltinOptions,
    pub state: SeqState,
}

fn caller_user_name(r: &Record) -> Option<&str> {
    match r.identity_type() {
        "IAMUser" => r.identity_str(&["userName"]).or_else(|| r.identity_str(&["arn"]).and_then(|a| a.rsplit('/').next())),
        _ => None,
    }
}

fn caller_role_name(r: &Record) -> Option<&str> {
    if r.identity_type() == "AssumedRole" {
        r.identity_str(&["sessionContext", "sessionIssuer", "userName"])
    } else {
        None
    }
}

/// What a resource-based policy logged in a request grants outside `own` account, decided by
/// evaluating it with `mlguard_iam` (a `Deny`, an organisation or VPC endpoint condition, or an
/// external id keeps a grant private); `None` when the document does not parse.
fn outside_grants(v: Option<&Value>, own: &str, resource: &str) -> Option<mlguard_iam::Exposure> {
    let policy = mlguard_iam::Policy::from_value(v?).ok()?;
    Some(mlguard_iam::exposure(&mlguard_iam::NamedPolicy::new("policy", policy), own, resource))
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(x) => vec![x],
    }
}

/// The account id in an ARN or a bare 12-digit id.
fn account_of(principal: &str) -> Option<&str> {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Some(principal);
    }
    principal.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Accounts (`userId`) and `all` (the only valid `group`, meaning public) added by an EC2
/// `createVolumePermission`/`launchPermission` modification.
fn permission_adds(p: Option<&Value>) -> Vec<String> {
    let Some(add) = p.and_then(|p| p.get("add")) else { return Vec::new() };
    as_list(add.get("items"))
        .iter()
        .filter_map(|i| match (i.get("userId").and_then(Value::as_str), i.get("group").and_then(Value::as_str)) {
            (Some(u), _) => Some(u.to_string()),
            (None, Some("all")) => Some("all".to_string()),
            _ => None,
        })
        .collect()
}

fn is_admin_policy_arn(arn: &str) -> bool {
    arn.ends_with(":policy/AdministratorAccess")
}

/// Unrelated, destructive actions on any resource: a policy that allows them all is an
/// administrator policy, whether it says `*`, `iam:*` and `ec2:*`, or `NotAction`.
const ADMIN_PROBES: &[&str] = &["iam:CreateAccessKey", "iam:PutRolePolicy", "ec2:TerminateInstances", "kms:ScheduleKeyDeletion", "s3:DeleteBucket", "organizations:LeaveOrganization"];

/// Whether an identity policy logged in a request grants administrator access, decided by
/// evaluating it with `mlguard_iam` (conditions whose keys a request may not carry do not hold).
fn allows_everything(v: Option<&Value>) -> bool {
    let Some(policy) = v.and_then(|v| mlguard_iam::Policy::from_value(v).ok()) else { return false };
    let named = mlguard_iam::NamedPolicy::new("policy", policy);
    let set = mlguard_iam::PolicySet::new([&named]);
    ADMIN_PROBES.iter().all(|a| set.is_allowed(&mlguard_iam::Request::new("arn:aws:iam::000000000000:user/probe", *a, "*")))
}

impl Builtin {
    pub fn new(opts: BuiltinOptions, state: SeqState) -> Builtin {
        Builtin { opts, state }
    }

    /// Whether [`Builtin::process`] reads or changes the sequence state for `r` (IAM calls and
    /// SageMaker calls that succeeded); for any other record it depends on the record and the
    /// options alone, so it can run in any order.
    pub fn has_state(r: &Record) -> bool {
        matches!(r.event_source(), "iam.amazonaws.com" | "sagemaker.amazonaws.com") && r.error_code().is_none()
    }

    /// Runs the detections on one record, appending hits.
    pub fn process(&mut self, r: &Record, out: &mut Vec<Hit>) {
        let name = r.event_name();
        match r.event_source() {
            "cloudtrail.amazonaws.com" => self.cloudtrail(r, name, out),
            "guardduty.amazonaws.com" | "macie.amazonaws.com" | "macie2.amazonaws.com" | "securityhub.amazonaws.com" | "config.amazonaws.com" => self.detection_services(r, name, out),
            "ec2.amazonaws.com" => self.ec2(r, name, out),
            "route53resolver.amazonaws.com" if matches!(name, "DeleteResolverQueryLogConfig" | "DisassociateResolverQueryLogConfig") && r.error_code().is_none() => {
                let id = r.req_str("resolverQueryLogConfigId").unwrap_or("query log config").to_string();
                out.push(Hit::new(&TAMPER_NETLOGS, r, format!("DNS query logging removed: {name} `{id}`"), id, "Other").desc(format!("{} called {name}.", r.actor())));
            }
            "organizations.amazonaws.com" if name == "LeaveOrganization" => {
                let acct = r.account().to_string();
                out.push(Hit::new(&TAMPER_ORG, r, format!("account {acct} leaves its organization"), acct, "AwsAccount").desc(format!("{} called LeaveOrganization.", r.actor())).attempt(r));
            }
            "iam.amazonaws.com" if r.error_code().is_none() => self.iam(r, name, out),
            "kms.amazonaws.com" if matches!(name, "DisableKey" | "ScheduleKeyDeletion") && r.error_code().is_none() => {
                let k = r.req_str("keyId").unwrap_or("").to_string();
                let days = r.req("pendingWindowInDays").and_then(Value::as_i64);
                let what = if name == "DisableKey" { "disabled".to_string() } else { format!("scheduled for deletion in {} days", days.unwrap_or(30)) };
                out.push(Hit::new(&KMS_KEY_LOSS, r, format!("KMS key `{k}` {what}"), k.clone(), "AwsKmsKey").desc(format!("{} called {name} on `{k}`.", r.actor())));
            }
            "s3.amazonaws.com" => self.s3(r, name, out),
            "sagemaker.amazonaws.com" => self.sagemaker(r, name, out),
            "rds.amazonaws.com" if matches!(name, "ModifyDBSnapshotAttribute" | "ModifyDBClusterSnapshotAttribute") && r.error_code().is_none() && r.req_str("attributeName") == Some("restore") => {
                let added: Vec<String> = as_list(r.req("valuesToAdd")).iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
                if !added.is_empty() {
                    let snap = r.req_str("dBSnapshotIdentifier").or_else(|| r.req_str("dBClusterSnapshotIdentifier")).unwrap_or("").to_string();
                    self.share(r, "RDS snapshot", snap, "AwsRdsDbSnapshot", added, out);
                }
            }
            _ => {}
        }
        if r.error_code().is_none() {
            self.resource_policy(r, name, out);
        }
        if r.identity_type() == "Root" && !r.is_service_event() && r.identity_str(&["invokedBy"]).is_none() {
            let acct = r.account().to_string();
            out.push(Hit::new(&CRED_ROOT, r, format!("root user called {name} in account {acct}"), acct, "AwsAccount").desc(format!("The root user called {name} from {}.", r.source_ip())));
        }
        if name == "ConsoleLogin" && matches!(r.identity_type(), "IAMUser" | "Root") {
            let ok = r.str_at(&["responseElements", "ConsoleLogin"]) == Some("Success");
            let mfa = r.str_at(&["additionalEventData", "MFAUsed"]);
            // A SAML federation login did its MFA at the identity provider.
            let saml = r.has(&["additionalEventData", "SamlProviderArn"]);
            if ok && mfa == Some("No") && !saml {
                out.push(Hit::new(&CRED_NO_MFA, r, format!("console login without MFA by {}", r.actor()), r.actor().to_string(), "AwsIamUser").desc(format!("{} signed in to the console from {} without MFA.", r.actor(), r.source_ip())));
            }
        }
        self.instance_creds(r, out);
    }

    fn cloudtrail(&mut self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        let trail = r.req_str("name").or_else(|| r.req_str("trailName")).unwrap_or("").to_string();
        match name {
            "StopLogging" | "DeleteTrail" => {
                out.push(Hit::new(&TAMPER_TRAIL, r, format!("{name} on trail `{trail}`"), trail.clone(), "AwsCloudTrailTrail").desc(format!("{} called {name} on `{trail}`; events after it are not recorded by this trail.", r.actor())).attempt(r));
            }
            "PutEventSelectors" if r.error_code().is_none() => {
                let mut reasons = Vec::new();
                for s in as_list(r.req("eventSelectors")) {
                    if s.get("includeManagementEvents").and_then(Value::as_bool) == Some(false) {
                        reasons.push("management events excluded".to_string());
                    }
                    if let Some(rw) = s.get("readWriteType").and_then(Value::as_str).filter(|rw| *rw != "All") {
                        reasons.push(format!("only {rw} events recorded"));
                    }
                }
                let adv = as_list(r.req("advancedEventSelectors"));
                if !adv.is_empty() {
                    let selects_management = adv.iter().any(|sel| {
                        as_list(sel.get("fieldSelectors")).iter().any(|f| f.get("field").and_then(Value::as_str) == Some("eventCategory") && as_list(f.get("equals")).iter().any(|v| v.as_str() == Some("Management")))
                    });
                    if !selects_management {
                        reasons.push("advanced selectors select no management events".to_string());
                    }
                }
                if !reasons.is_empty() {
                    reasons.dedup();
                    out.push(
                        Hit::new(&TAMPER_SELECTORS, r, format!("event selectors of trail `{trail}` drop events"), trail.clone(), "AwsCloudTrailTrail")
                            .desc(format!("{} changed the event selectors of `{trail}`: {}.", r.actor(), reasons.join(", ")))
                            .extra(json!({"reasons": reasons})),
                    );
                }
            }
            _ => {}
        }
    }

    fn detection_services(&mut self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        let svc = r.event_source().trim_end_matches(".amazonaws.com");
        let hit = match (svc, name) {
            ("guardduty", "DeleteDetector" | "DisassociateFromMasterAccount" | "DisassociateFromAdministratorAccount" | "StopMonitoringMembers" | "DeleteMembers") => true,
            ("guardduty", "UpdateDetector") => r.req("enable").and_then(Value::as_bool) == Some(false),
            ("macie" | "macie2", "DisableMacie" | "DisassociateFromMasterAccount" | "DisassociateFromAdministratorAccount") => true,
            ("macie2", "UpdateMacieSession") => r.req_str("status") == Some("PAUSED"),
            ("securityhub", "DisableSecurityHub" | "DisassociateFromMasterAccount" | "DisassociateFromAdministratorAccount") => true,
            ("config", "StopConfigurationRecorder" | "DeleteConfigurationRecorder" | "DeleteDeliveryChannel") => true,
            _ => false,
        };
        if hit {
            let id = r.req_str("detectorId").or_else(|| r.req_str("configurationRecorderName")).unwrap_or(svc).to_string();
            out.push(Hit::new(&TAMPER_DETECTION, r, format!("{svc} {name}"), id, "Other").desc(format!("{} called {svc}:{name}.", r.actor())).attempt(r));
        }
    }

    fn ec2(&mut self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        if r.error_code().is_some() {
            return;
        }
        match name {
            "DeleteFlowLogs" => {
                let ids: Vec<String> = r.req("DeleteFlowLogsRequest").and_then(|d| d.get("FlowLogId")).map(|v| as_list(Some(v)).iter().filter_map(|x| x.get("content").and_then(Value::as_str).or(x.as_str()).map(str::to_string)).collect()).unwrap_or_default();
                let res = if ids.is_empty() { "flow logs".to_string() } else { ids.join(",") };
                out.push(Hit::new(&TAMPER_NETLOGS, r, format!("VPC flow logs deleted: {res}"), res, "AwsEc2Vpc").desc(format!("{} deleted VPC flow logs.", r.actor())));
            }
            "ModifySnapshotAttribute" => {
                let added = permission_adds(r.req("createVolumePermission"));
                if !added.is_empty() {
                    let id = r.req_str("snapshotId").unwrap_or("").to_string();
                    self.share(r, "EBS snapshot", id, "AwsEc2Snapshot", added, out);
                }
            }
            "ModifyImageAttribute" => {
                let added = permission_adds(r.req("launchPermission"));
                if !added.is_empty() {
                    let id = r.req_str("imageId").unwrap_or("").to_string();
                    self.share(r, "AMI", id, "AwsEc2Image", added, out);
                }
            }
            _ => {}
        }
    }

    fn share(&self, r: &Record, what: &str, id: String, kind: &'static str, added: Vec<String>, out: &mut Vec<Hit>) {
        let public = added.iter().any(|a| a == "all");
        let own = r.account();
        let others: Vec<&String> = added.iter().filter(|a| a.as_str() != own).collect();
        if others.is_empty() {
            return;
        }
        let to = if public { "everyone (public)".to_string() } else { format!("account(s) {}", others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) };
        let mut h = Hit::new(&EXFIL_SHARE, r, format!("{what} `{id}` shared with {to}"), id, kind).desc(format!("{} shared {what} with {to}.", r.actor())).extra(json!({"shared_with": added}));
        if public {
            h = h.sev(Severity::Critical);
        }
        out.push(h);
    }

    fn iam(&mut self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        let me_user = caller_user_name(r);
        let me_role = caller_role_name(r);
        let target_user = r.req_str("userName");
        let target_role = r.req_str("roleName");
        let principal = r.principal().to_string();
        match name {
            "CreateUser" | "CreateRole" => {
                let (kind, n) = if name == "CreateUser" { ("user", target_user) } else { ("role", target_role) };
                if let Some(n) = n {
                    self.state.created.insert(format!("{principal}|{kind}|{n}"), (r.time, EventRef::of(r)));
                }
                if name == "CreateRole" {
                    self.trust(r, out);
                }
            }
            "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" | "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy" => {
                let (kind, target) = match name {
                    "AttachUserPolicy" | "PutUserPolicy" => ("user", target_user),
                    "AttachRolePolicy" | "PutRolePolicy" => ("role", target_role),
                    _ => ("group", r.req_str("groupName")),
                };
                let target = target.unwrap_or("").to_string();
                let admin = r.req_str("policyArn").map(is_admin_policy_arn).unwrap_or(false) || allows_everything(r.req("policyDocument"));
                let own = (kind == "user" && me_user == Some(target.as_str())) || (kind == "role" && me_role == Some(target.as_str()));
                if own {
                    out.push(Hit::new(&PRIVESC_SELF, r, format!("{} gave itself a policy with {name}", r.actor()), r.actor().to_string(), "AwsIamUser").desc(format!("{} called {name} on its own {kind} `{target}`{}.", r.actor(), if admin { " granting administrator access" } else { "" })));
                } else if admin {
                    let mut h = Hit::new(&PRIVESC_ADMIN, r, format!("administrator access granted to {kind} `{target}`"), target.clone(), if kind == "role" { "AwsIamRole" } else { "AwsIamUser" });
                    let key = format!("{principal}|{kind}|{target}");
                    let mut d = format!("{} granted administrator access to {kind} `{target}` with {name}", r.actor());
                    if let Some((t, ev)) = self.state.created.get(&key) {
                        if r.time - t <= self.opts.window && r.time >= *t {
                            h.events.insert(0, ev.clone());
                            d.push_str(&format!(", {} s after creating it", r.time - t));
                            h.title = format!("new {kind} `{target}` created and made administrator by the same principal");
                        }
                    }
                    out.push(h.desc(d + "."));
                }
            }
            "AddUserToGroup" if me_user.is_some() && me_user == target_user => {
                let g = r.req_str("groupName").unwrap_or("").to_string();
                out.push(Hit::new(&PRIVESC_SELF, r, format!("{} added itself to group `{g}`", r.actor()), r.actor().to_string(), "AwsIamUser").desc(format!("{} added its own user to group `{g}`.", r.actor())));
            }
            "CreatePolicyVersion" | "SetDefaultPolicyVersion" => {
                let default = name == "SetDefaultPolicyVersion" || r.req("setAsDefault").and_then(Value::as_bool) == Some(true);
                if default {
                    let p = r.req_str("policyArn").unwrap_or("").to_string();
                    out.push(Hit::new(&PRIVESC_SELF, r, format!("new default version of policy `{p}`"), p.clone(), "AwsIamPolicy").desc(format!("{} made a new version of `{p}` the default with {name}; whoever holds the policy gets its new permissions.", r.actor())));
                }
            }
            "CreateAccessKey" | "CreateLoginProfile" | "UpdateLoginProfile" => {
                if let Some(t) = target_user {
                    if me_user != Some(t) {
                        let what = if name == "CreateAccessKey" { "access key" } else { "console password" };
                        let mut h = Hit::new(&PRIVESC_CREDS, r, format!("{what} created for user `{t}` by {}", r.actor()), t.to_string(), "AwsIamUser").desc(format!("{} called {name} for user `{t}`.", r.actor()));
                        if let Some((ts, ev)) = self.state.created.get(&format!("{principal}|user|{t}")) {
                            if r.time - ts <= self.opts.window && r.time >= *ts {
                                h.events.insert(0, ev.clone());
                            }
                        }
                        out.push(h);
                    }
                }
            }
            "UpdateAssumeRolePolicy" => self.trust(r, out),
            _ => {}
        }
    }

    /// `CT-EXFIL-003`: resource policies of services other than S3 buckets and IAM roles.
    fn resource_policy(&self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        let (doc, resource, kind) = match (r.event_source(), name) {
            ("ecr.amazonaws.com", "SetRepositoryPolicy") => (r.req("policyText"), r.req_str("repositoryName"), "AwsEcrRepository"),
            ("kms.amazonaws.com", "PutKeyPolicy" | "CreateKey") => (r.req("policy"), r.req_str("keyId"), "AwsKmsKey"),
            ("secretsmanager.amazonaws.com", "PutResourcePolicy") => (r.req("resourcePolicy"), r.req_str("secretId"), "AwsSecretsManagerSecret"),
            ("sqs.amazonaws.com", "SetQueueAttributes") => (r.req("attributes").and_then(|a| a.get("Policy")), r.req_str("queueUrl"), "AwsSqsQueue"),
            ("sns.amazonaws.com", "SetTopicAttributes") if r.req_str("attributeName") == Some("Policy") => (r.req("attributeValue"), r.req_str("topicArn"), "AwsSnsTopic"),
            ("es.amazonaws.com", "CreateElasticsearchDomain" | "UpdateElasticsearchDomainConfig" | "CreateDomain" | "UpdateDomainConfig") => (r.req("accessPolicies"), r.req_str("domainName"), "AwsOpenSearchServiceDomain"),
            ("lambda.amazonaws.com", n) if n.starts_with("AddPermission") => {
                let p = r.req_str("principal").unwrap_or("");
                let f = r.req_str("functionName").unwrap_or("").to_string();
                let own = r.account();
                let public = p == "*" && r.req("sourceArn").is_none() && r.req("sourceAccount").is_none() && r.req("principalOrgID").is_none();
                let other = account_of(p).filter(|a| *a != own && !own.is_empty());
                if public || other.is_some() {
                    let to = if public { "everyone".to_string() } else { format!("account {}", other.unwrap_or_default()) };
                    let h = Hit::new(&EXFIL_RESOURCE_POLICY, r, format!("Lambda function `{f}` can be invoked by {to}"), f.clone(), "AwsLambdaFunction").desc(format!("{} added a permission on `{f}` for principal `{p}`.", r.actor()));
                    out.push(if public { h } else { h.sev(Severity::Medium) });
                }
                return;
            }
            _ => return,
        };
        let own = r.account();
        let res = resource.unwrap_or("").to_string();
        let Some(e) = outside_grants(doc, own, "*") else { return };
        if e.is_empty() {
            return;
        }
        let public = !e.public.is_empty();
        let accounts: Vec<String> = e.accounts.keys().cloned().collect();
        let to = if public { "everyone".to_string() } else { format!("account(s) {}", accounts.join(", ")) };
        let svc = r.event_source().trim_end_matches(".amazonaws.com");
        let h = Hit::new(&EXFIL_RESOURCE_POLICY, r, format!("{svc} resource `{res}` policy allows {to}"), res.clone(), kind).desc(format!("{} called {name} with a policy that allows {to}.", r.actor())).extra(json!({"public": public, "public_actions": e.public, "accounts": e.accounts}));
        out.push(if public { h } else { h.sev(Severity::Medium) });
    }

    fn trust(&self, r: &Record, out: &mut Vec<Hit>) {
        let own = r.account();
        let role = r.req_str("roleName").unwrap_or("").to_string();
        let Some(e) = outside_grants(r.req("policyDocument").or(r.req("assumeRolePolicyDocument")), own, &format!("arn:aws:iam::{own}:role/{role}")) else { return };
        let mut outside: Vec<String> = if e.public.is_empty() { Vec::new() } else { vec!["*".to_string()] };
        outside.extend(e.accounts.keys().cloned());
        if outside.is_empty() {
            return;
        }
        let role = r.req_str("roleName").unwrap_or("").to_string();
        out.push(
            Hit::new(&PRIVESC_TRUST, r, format!("role `{role}` can be assumed by {}", outside.join(", ")), role.clone(), "AwsIamRole")
                .desc(format!("{} called {} letting {} assume `{role}`.", r.actor(), r.event_name(), outside.join(", ")))
                .extra(json!({"outside_principals": outside})),
        );
    }

    fn s3(&mut self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        if r.error_code().is_some() {
            return;
        }
        let bucket = r.req_str("bucketName").unwrap_or("").to_string();
        let ml = self.opts.ml_buckets.contains(&bucket);
        let ml_note = if ml { " (an ML bucket)" } else { "" };
        match name {
            "PutBucketVersioning" => {
                let cfg = r.req("VersioningConfiguration");
                let status = cfg.and_then(|c| c.get("Status")).and_then(Value::as_str);
                let mfa = cfg.and_then(|c| c.get("MfaDelete")).and_then(Value::as_str);
                let what = match (status, mfa) {
                    (Some("Suspended"), _) => Some("versioning suspended"),
                    (_, Some("Disabled")) => Some("MFA delete disabled"),
                    _ => None,
                };
                if let Some(w) = what {
                    let h = Hit::new(&S3_VERSIONING, r, format!("{w} on bucket `{bucket}`{ml_note}"), format!("arn:aws:s3:::{bucket}"), "AwsS3Bucket").desc(format!("{} called PutBucketVersioning on `{bucket}`: {w}.", r.actor()));
                    out.push(if ml { h.sev(Severity::High) } else { h });
                }
            }
            "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" => {
                let cfg = r.req("LifecycleConfiguration");
                let mut reasons = Vec::new();
                for rule in as_list(cfg.and_then(|c| c.get("Rule"))) {
                    if rule.get("Status").and_then(Value::as_str) == Some("Disabled") {
                        continue;
                    }
                    let days = |v: Option<&Value>| v.and_then(|d| d.as_i64().or_else(|| d.as_str().and_then(|s| s.parse().ok())));
                    if let Some(d) = days(rule.get("NoncurrentVersionExpiration").and_then(|e| e.get("NoncurrentDays"))).filter(|d| *d <= 30) {
                        reasons.push(format!("noncurrent versions expire after {d} day(s)"));
                    }
                    if let Some(d) = days(rule.get("Expiration").and_then(|e| e.get("Days"))).filter(|d| *d <= 7) {
                        reasons.push(format!("objects expire after {d} day(s)"));
                    }
                }
                reasons.dedup();
                if !reasons.is_empty() {
                    let h = Hit::new(&S3_LIFECYCLE, r, format!("lifecycle rule deletes data in bucket `{bucket}`{ml_note}"), format!("arn:aws:s3:::{bucket}"), "AwsS3Bucket").desc(format!("{} set a lifecycle configuration on `{bucket}`: {}.", r.actor(), reasons.join(", "))).extra(json!({"reasons": reasons}));
                    out.push(if ml { h.sev(Severity::High) } else { h });
                }
            }
            "PutBucketPolicy" => {
                let own = r.account();
                let Some(e) = outside_grants(r.req("bucketPolicy"), own, &format!("arn:aws:s3:::{bucket}/*")) else { return };
                let public = !e.public.is_empty();
                let accounts: Vec<String> = e.accounts.keys().cloned().collect();
                if public || !accounts.is_empty() {
                    let to = if public { "everyone".to_string() } else { format!("account(s) {}", accounts.join(", ")) };
                    let h = Hit::new(&EXFIL_BUCKET, r, format!("bucket `{bucket}` policy allows {to}{ml_note}"), format!("arn:aws:s3:::{bucket}"), "AwsS3Bucket").desc(format!("{} set a bucket policy on `{bucket}` that allows {to}.", r.actor())).extra(json!({"public": public, "public_actions": e.public, "accounts": e.accounts}));
                    out.push(if public { h.sev(Severity::Critical) } else { h });
                }
            }
            "PutBucketAcl" => {
                let canned = r.req_str("x-amz-acl").unwrap_or("");
                let text = r.req("AccessControlPolicy").map(|v| v.to_string()).unwrap_or_default();
                let public = canned.starts_with("public-read") || canned == "authenticated-read" || text.contains("acs.amazonaws.com/groups/global/AllUsers") || text.contains("acs.amazonaws.com/groups/global/AuthenticatedUsers");
                if public {
                    out.push(Hit::new(&EXFIL_BUCKET, r, format!("bucket `{bucket}` ACL grants public access{ml_note}"), format!("arn:aws:s3:::{bucket}"), "AwsS3Bucket").sev(Severity::Critical).desc(format!("{} set an ACL on `{bucket}` granting AllUsers or AuthenticatedUsers.", r.actor())));
                }
            }
            "DeleteBucketPublicAccessBlock" | "PutBucketPublicAccessBlock" => {
                let cfg = r.req("PublicAccessBlockConfiguration");
                let off = name == "DeleteBucketPublicAccessBlock" || ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"].iter().any(|k| cfg.and_then(|c| c.get(*k)).and_then(Value::as_bool) == Some(false));
                if off {
                    out.push(Hit::new(&EXFIL_BUCKET, r, format!("Block Public Access turned off on bucket `{bucket}`{ml_note}"), format!("arn:aws:s3:::{bucket}"), "AwsS3Bucket").sev(Severity::Medium).desc(format!("{} called {name} on `{bucket}`; GuardDuty type Policy:S3/BucketBlockPublicAccessDisabled.", r.actor())));
                }
            }
            _ => {}
        }
    }

    fn sagemaker(&mut self, r: &Record, name: &str, out: &mut Vec<Hit>) {
        if r.error_code().is_some() {
            return;
        }
        let nb = r.req_str("notebookInstanceName").unwrap_or("").to_string();
        let key = format!("{}/{}/{nb}", r.account(), r.region());
        match name {
            "CreateNotebookInstance" => {
                let role = r.req_str("roleArn").unwrap_or("").to_string();
                self.state.notebooks.insert(key, NotebookInfo { creator: r.principal().to_string(), time: r.time, role, event: EventRef::of(r) });
            }
            "CreatePresignedNotebookInstanceUrl" => {
                if let Some(info) = self.state.notebooks.get(&key) {
                    let me = r.principal();
                    if info.creator == me && r.time >= info.time && r.time - info.time <= self.opts.window && !info.role.is_empty() {
                        let mut h = Hit::new(&PRIVESC_NOTEBOOK, r, format!("notebook `{nb}` created with role `{}` and opened by its creator", info.role), format!("arn:aws:sagemaker:{}:{}:notebook-instance/{nb}", r.region(), r.account()), "AwsSageMakerNotebookInstance")
                            .desc(format!("{me} created notebook `{nb}` passing role `{}` and created a presigned URL for it {} s later: it now has a shell with that role.", info.role, r.time - info.time))
                            .extra(json!({"passed_role": info.role}));
                        h.events.insert(0, info.event.clone());
                        out.push(h);
                    } else if info.creator != me {
                        let mut h = Hit::new(&PRIVESC_FOREIGN_NOTEBOOK, r, format!("{me} opened notebook `{nb}` created by {}", info.creator), format!("arn:aws:sagemaker:{}:{}:notebook-instance/{nb}", r.region(), r.account()), "AwsSageMakerNotebookInstance")
                            .desc(format!("{me} created a presigned URL for notebook `{nb}`, which {} created with role `{}`.", info.creator, info.role))
                            .extra(json!({"creator": info.creator, "notebook_role": info.role}));
                        h.events.insert(0, info.event.clone());
                        out.push(h);
                    }
                }
            }
            "UpdateModelPackage" => {
                if let Some(st) = r.req_str("modelApprovalStatus") {
                    let p = r.req_str("modelPackageArn").unwrap_or("").to_string();
                    let h = Hit::new(&REGISTRY, r, format!("model package approval set to {st}: `{p}`"), p.clone(), "Other").desc(format!("{} set the approval status of `{p}` to {st}.", r.actor()));
                    out.push(if st == "Approved" { h.sev(Severity::High) } else { h });
                }
            }
            "DeleteModelPackage" | "DeleteModelPackageGroup" => {
                let p = r.req_str("modelPackageName").or_else(|| r.req_str("modelPackageGroupName")).unwrap_or("").to_string();
                out.push(Hit::new(&REGISTRY, r, format!("{name}: `{p}`"), p.clone(), "Other").desc(format!("{} called {name} on `{p}`.", r.actor())));
            }
            _ => {}
        }
    }

    fn instance_creds(&self, r: &Record, out: &mut Vec<Hit>) {
        if r.identity_type() != "AssumedRole" {
            return;
        }
        // One pass over `userIdentity`'s members for the three it may read.
        let [invoked, pid, context] = r.identity_children(["invokedBy", "principalId", "sessionContext"]);
        if r.node_text(invoked, None).is_some() {
            return;
        }
        let pid = r.node_text(pid, None).unwrap_or("");
        let from_instance = pid.rsplit_once(':').map(|(_, s)| s.starts_with("i-")).unwrap_or(false) || r.node_text(context, Some("ec2RoleDelivery")).is_some();
        if !from_instance {
            return;
        }
        // SSM's agent registers instances with the instance's own credentials from anywhere.
        if r.event_source() == "ssm.amazonaws.com" && r.event_name() == "RegisterManagedInstance" {
            return;
        }
        let Some(addr) = Addr::parse(r.source_ip()) else { return };
        if !addr.is_public() || self.opts.known.contains(addr) {
            return;
        }
        let inside = self.opts.aws_ranges.as_ref().map(|s| s.contains(addr));
        let (gd, sev) = match inside {
            Some(true) => ("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", Severity::Medium),
            _ => ("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", Severity::High),
        };
        let where_ = match inside {
            Some(true) => "an AWS address outside the account's known networks",
            Some(false) => "an address outside AWS",
            None => "a public address outside the account's known networks (no AWS ip-ranges given)",
        };
        out.push(
            Hit::new(&CRED_INSTANCE, r, format!("instance credentials of {} used from {}", r.actor(), r.source_ip()), r.actor().to_string(), "AwsIamRole")
                .sev(sev)
                .desc(format!("{} called {} from {} ({where_}).", r.actor(), r.event_name(), r.source_ip()))
                .extra(json!({"guardduty_finding_type": gd, "inside_aws": inside})),
        );
    }

    /// Drops sequence state older than the window (creation events only matter within it).
    pub fn expire(&mut self, now: i64) {
        let w = self.opts.window;
        self.state.created.retain(|_, (t, _)| now - *t <= w);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]
    use crate::record::Record;

    /// One pass over `userIdentity`'s members finds what `identity_str` finds per name: first
    /// members of repeated names, values that are not strings, missing members, and a
    /// `userIdentity` that is not an object.
    #[test]
    fn identity_children_read_as_identity_str() {
        let records = [
            r#"{"userIdentity":{"type":"AssumedRole","principalId":"AROA:i-0abc","sessionContext":{"ec2RoleDelivery":"2.0"},"invokedBy":"x"}}"#,
            r#"{"userIdentity":{"principalId":"p1","principalId":"p2","sessionContext":{"ec2RoleDelivery":1},"sessionContext":{"ec2RoleDelivery":"2.0"}}}"#,
            r#"{"userIdentity":{"invokedBy":null,"principalId":7,"sessionContext":"s"}}"#,
            r#"{"userIdentity":["principalId"],"principalId":"top"}"#,
            r#"{"userIdentity":"scalar"}"#,
            r#"{"userIdentity":{}}"#,
            r#"{}"#,
            r#"{"userIdentity":{"sessionContext":{"a":{"ec2RoleDelivery":"deep"}},"princip\u0061lId":"esc"}}"#,
        ];
        for t in records {
            let r = Record::parse(t.as_bytes().to_vec()).unwrap();
            let [invoked, pid, context] = r.identity_children(["invokedBy", "principalId", "sessionContext"]);
            assert_eq!(r.node_text(invoked, None), r.identity_str(&["invokedBy"]), "{t}");
            assert_eq!(r.node_text(pid, None), r.identity_str(&["principalId"]), "{t}");
            assert_eq!(r.node_text(context, Some("ec2RoleDelivery")), r.identity_str(&["sessionContext", "ec2RoleDelivery"]), "{t}");
        }
    }
}
