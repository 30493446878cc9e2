//! A complete WAF in front of every inference API (`WAF-001`).
//!
//! What fronts an endpoint is followed, not guessed: an API Gateway REST API fronts the
//! SageMaker endpoints its methods integrate with (`get-resources --embed methods`, integration
//! URI `arn:aws:apigateway:<region>:runtime.sagemaker:path/endpoints/<name>/invocations`), so
//! each of its stages does; a CloudFront distribution fronts what its `execute-api` origins
//! front; a load balancer fronts an endpoint when `mlguard.toml` says so (`[inference]
//! front_doors`), because its Lambda or IP targets do not name the endpoint.
//!
//! Each front door needs a WAFv2 web ACL (the stage's `webAclArn` or the ACL's
//! `list-resources-for-web-acl`; the distribution's `WebACLId`) that runs, in block mode, AWS's
//! core rule set, known-bad-inputs and SQL-injection managed rule groups, and a rate-based rule.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::waf::WebAcl;
use mlguard_snapshot::{Inventory, Located};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub const WAF_001: RuleDoc = RuleDoc {
    id: "WAF-001",
    severity: Severity::High,
    practice: Practice::Inference,
    title: "Inference API without a complete WAF",
    what: "Follows API Gateway REST APIs to the SageMaker endpoints their method integrations invoke, CloudFront distributions to the APIs their `execute-api` origins are, and takes load balancers that `mlguard.toml` names under `[inference] front_doors`; then checks that each such stage, distribution or load balancer has a WAFv2 web ACL running the AWS managed rule groups `AWSManagedRulesCommonRuleSet`, `AWSManagedRulesKnownBadInputsRuleSet` and `AWSManagedRulesSQLiRuleSet`, and a rate-based rule, none of them in count-only mode. A stage is checked on its own even behind a protected distribution, because its `execute-api` URL stays callable.",
    why: "An inference endpoint behind a public API is a target for injection payloads, exploit probes (Log4Shell-style known bad inputs), and model extraction or denial of wallet by request floods; AWS WAF's managed rule groups and a rate limit are the practice's first filter before the model sees a request.",
    example: "A REST API stage whose `POST /invocations` integrates with `runtime.sagemaker` and which has no `webAclArn`; a web ACL with the core rule set but no rate-based rule.",
    remediation: "Associate a regional web ACL with each stage (and a CloudFront-scope one with each distribution) that includes the three managed rule groups in block mode and a rate-based rule sized to the endpoint's capacity; disable the default `execute-api` endpoint when a distribution is the only way in.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[
        ("AWS managed rule groups list", "https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html"),
        ("Rate-based rule statement", "https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html"),
        ("Using AWS WAF to protect your REST APIs in API Gateway", "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html"),
    ],
};

/// The managed rule groups every front door needs, with what they are for.
pub const REQUIRED_GROUPS: &[(&str, &str)] = &[
    ("AWSManagedRulesCommonRuleSet", "core rule set"),
    ("AWSManagedRulesKnownBadInputsRuleSet", "known bad inputs"),
    ("AWSManagedRulesSQLiRuleSet", "SQL injection"),
];

/// What a web ACL lacks, in words; empty when it is complete.
pub fn missing_protections(acl: &WebAcl) -> Vec<String> {
    let mut present: BTreeSet<&str> = BTreeSet::new();
    let mut counting: BTreeSet<&str> = BTreeSet::new();
    for r in &acl.rules {
        if let Some(m) = &r.statement.managed_rule_group_statement {
            if m.vendor_name == "AWS" {
                if r.only_counts() { counting.insert(m.name.as_str()) } else { present.insert(m.name.as_str()) };
            }
        }
    }
    for g in acl.pre_process_firewall_manager_rule_groups.iter().chain(&acl.post_process_firewall_manager_rule_groups) {
        if let Some(m) = &g.firewall_manager_statement.managed_rule_group_statement {
            let counts = g.override_action.as_ref().is_some_and(|v| v.get("Count").is_some());
            if m.vendor_name == "AWS" {
                if counts { counting.insert(m.name.as_str()) } else { present.insert(m.name.as_str()) };
            }
        }
    }
    let mut out = Vec::new();
    for (name, what) in REQUIRED_GROUPS {
        if !present.contains(name) {
            out.push(if counting.contains(name) { format!("{name} ({what}) only counts") } else { format!("{name} ({what})") });
        }
    }
    let rate: Vec<bool> = acl.rate_based_rules().map(|(r, _)| r.only_counts()).collect();
    if !rate.iter().any(|c| !c) {
        out.push(if rate.is_empty() { "a rate-based rule".to_string() } else { "a rate-based rule that blocks (it only counts)".to_string() });
    }
    out
}

struct Front<'a> {
    kind: &'static str,
    resource_type: &'static str,
    arn: String,
    account: String,
    region: String,
    endpoints: Vec<String>,
    /// The web ACL's ARN as the resource names it, or found by association.
    acl_arn: Option<String>,
    acl: Option<&'a Located<WebAcl>>,
}

fn acl_by_arn<'a>(inv: &'a Inventory, arn: &str) -> Option<&'a Located<WebAcl>> {
    inv.waf.web_acls.iter().find(|a| a.arn.as_deref() == Some(arn)).or_else(|| {
        // `arn:aws:wafv2:<region>:<account>:<scope>/webacl/<name>/<id>`
        let mut parts = arn.rsplit('/');
        let id = parts.next()?;
        let name = parts.next()?;
        inv.waf.web_acls.iter().find(|a| a.id == id && a.name == name)
    })
}

fn acl_associated_with<'a>(inv: &'a Inventory, resource: &str) -> Option<&'a Located<WebAcl>> {
    inv.waf.web_acls.iter().find(|a| inv.waf.resources_of(a).any(|r| r == resource))
}

/// Runs WAF-001.
pub fn check(inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, notes: &mut Vec<Diagnostic>) {
    let w = &inv.waf;
    // REST API (account, region, id) -> endpoints it invokes.
    let mut api_endpoints: BTreeMap<(&str, &str, &str), BTreeSet<String>> = BTreeMap::new();
    for r in &w.api_resources {
        let Some(api) = r.resource.as_deref() else { continue };
        for m in r.resource_methods.values() {
            if let Some(ep) = m.method_integration.as_ref().and_then(|i| i.sagemaker_endpoint()) {
                api_endpoints.entry((&r.account, &r.region, api)).or_default().insert(ep.to_string());
            }
        }
    }
    let endpoint_regions: BTreeSet<(&str, &str)> = inv.sagemaker.endpoints.iter().map(|e| (e.account.as_str(), e.region.as_str())).collect();
    let mut fronts: Vec<Front<'_>> = Vec::new();
    for api in &w.rest_apis {
        let read_resources = w.api_resources.iter().any(|r| r.is_for_in(&api.account, &api.region, &api.id))
            || inv.collected.iter().any(|(a, r, s, c)| a == &api.account && r == &api.region && s == "apigateway" && c == "get-resources");
        let Some(eps) = api_endpoints.get(&(api.account.as_str(), api.region.as_str(), api.id.as_str())) else {
            if !read_resources && endpoint_regions.contains(&(api.account.as_str(), api.region.as_str())) {
                notes.push(Diagnostic::warning(&api.file, "", format!("WAF-001 not evaluated for REST API `{}`: missing apigateway get-resources --embed methods, so what it fronts is unknown", api.id)));
            }
            continue;
        };
        for st in w.stages_of(api) {
            let arn = format!("arn:aws:apigateway:{}::/restapis/{}/stages/{}", api.region, api.id, st.stage_name);
            let acl = st.web_acl_arn.as_deref().and_then(|a| acl_by_arn(inv, a)).or_else(|| acl_associated_with(inv, &arn));
            fronts.push(Front { kind: "API Gateway stage", resource_type: "AwsApiGatewayStage", account: api.account.clone(), region: api.region.clone(), endpoints: eps.iter().cloned().collect(), acl_arn: st.web_acl_arn.clone().filter(|a| !a.is_empty()), acl, arn });
        }
    }
    for d in &w.distributions {
        let mut eps: BTreeSet<String> = BTreeSet::new();
        for o in &d.origins.items {
            if let Some((id, region)) = o.execute_api() {
                if let Some(e) = api_endpoints.get(&(d.account.as_str(), region, id)) {
                    eps.extend(e.iter().cloned());
                }
            }
        }
        if eps.is_empty() {
            continue;
        }
        let acl_arn = d.web_acl_id.clone().filter(|a| !a.is_empty());
        let acl = acl_arn.as_deref().and_then(|a| acl_by_arn(inv, a));
        let arn = d.arn.clone().unwrap_or_else(|| format!("arn:aws:cloudfront::{}:distribution/{}", d.account, d.id));
        fronts.push(Front { kind: "CloudFront distribution", resource_type: "AwsCloudFrontDistribution", account: d.account.clone(), region: "global".into(), endpoints: eps.into_iter().collect(), acl_arn, acl, arn });
    }
    for arn in &cfg.inference.front_doors {
        let acl = acl_associated_with(inv, arn);
        let parts: Vec<&str> = arn.split(':').collect();
        let (region, account) = (parts.get(3).copied().unwrap_or(""), parts.get(4).copied().unwrap_or(""));
        let asked = inv.collected.iter().any(|(a, r, s, c)| a == account && r == region && s == "wafv2" && c == "list-resources-for-web-acl");
        if acl.is_none() && !asked {
            notes.push(Diagnostic::warning("mlguard.toml", "inference.front_doors", format!("WAF-001 not evaluated for `{arn}`: missing wafv2 list-resources-for-web-acl in {account}/{region}")));
            continue;
        }
        fronts.push(Front { kind: "load balancer", resource_type: "AwsElbv2LoadBalancer", arn: arn.clone(), account: account.to_string(), region: region.to_string(), endpoints: vec!["(declared in mlguard.toml)".into()], acl_arn: acl.and_then(|a| a.arn.clone()), acl });
    }

    for f in fronts {
        let eps = f.endpoints.join(", ");
        let (title, desc, missing) = match (f.acl, &f.acl_arn) {
            (None, Some(a)) => {
                notes.push(Diagnostic::warning("", "", format!("WAF-001 not evaluated for {} `{}`: its web ACL `{a}` was not read (missing wafv2 get-web-acl)", f.kind, f.arn)));
                continue;
            }
            (None, None) => (
                format!("{} `{}` fronts SageMaker endpoint(s) {eps} without a web ACL", f.kind, short(&f.arn)),
                format!("The {} {} passes requests to the SageMaker endpoint(s) {eps} with no AWS WAF web ACL in front.", f.kind, f.arn),
                vec!["a web ACL".to_string()],
            ),
            (Some(acl), _) => {
                let missing = missing_protections(acl);
                if missing.is_empty() {
                    continue;
                }
                (
                    format!("{} `{}` fronts SageMaker endpoint(s) {eps} with an incomplete web ACL", f.kind, short(&f.arn)),
                    format!("The web ACL {} in front of {} {} (to endpoint(s) {eps}) lacks {}.", acl.name, f.kind, f.arn, missing.join(", ")),
                    missing,
                )
            }
        };
        out.push(
            Finding::from_rule(&WAF_001, title)
                .resource(&f.arn, f.resource_type)
                .location(&f.account, &f.region)
                .description(desc)
                .evidence(json!({ "endpoints": f.endpoints, "web_acl": f.acl.map(|a| a.name.clone()), "missing": missing })),
        );
    }
}

/// The last path element of an ARN, for titles.
fn short(arn: &str) -> &str {
    arn.rsplit_once(':').map(|(_, r)| r).unwrap_or(arn)
}
