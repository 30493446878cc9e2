//! What sits in front of inference endpoints: AWS WAF web ACLs (`aws wafv2`; region `global`
//! holds the CloudFront scope), API Gateway REST APIs and stages (`aws apigateway`, which prints
//! camelCase keys and calls the stage listing `item`) and load balancers (`aws elbv2`).
//!
//! Per-resource calls: `wafv2/<web-acl-name-or-id>/get-web-acl.json` and
//! `list-resources-for-web-acl.json` (which does not name its web ACL, so the folder does), and
//! `apigateway/<rest-api-id>/get-stages.json` and `get-resources.json` (`--embed methods`, so
//! each resource carries its methods and their integrations). CloudFront distributions
//! (`aws cloudfront list-distributions`, under `global`) carry their web ACL themselves.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One element of `list-web-acls` `WebACLs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebAclSummary {
    pub name: String,
    pub id: String,
    #[serde(rename = "ARN", default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `get-web-acl` `WebACL`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebAcl {
    pub name: String,
    pub id: String,
    #[serde(rename = "ARN", default)]
    pub arn: Option<String>,
    /// `Allow` or `Block` for requests no rule matched.
    #[serde(default)]
    pub default_action: Option<DefaultAction>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Rule groups that AWS Firewall Manager runs before and after `rules`.
    #[serde(default)]
    pub pre_process_firewall_manager_rule_groups: Vec<FirewallManagerRuleGroup>,
    #[serde(default)]
    pub post_process_firewall_manager_rule_groups: Vec<FirewallManagerRuleGroup>,
    #[serde(default)]
    pub managed_by_firewall_manager: bool,
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
}

impl WebAcl {
    /// Every managed rule group the web ACL runs, in its own rules or through Firewall Manager.
    pub fn managed_rule_groups(&self) -> impl Iterator<Item = &ManagedRuleGroupStatement> {
        let own = self.rules.iter().filter_map(|r| r.statement.managed_rule_group_statement.as_ref());
        let fms = self
            .pre_process_firewall_manager_rule_groups
            .iter()
            .chain(&self.post_process_firewall_manager_rule_groups)
            .filter_map(|g| g.firewall_manager_statement.managed_rule_group_statement.as_ref());
        own.chain(fms)
    }

    /// The rate-based rules.
    pub fn rate_based_rules(&self) -> impl Iterator<Item = (&Rule, &RateBasedStatement)> {
        self.rules.iter().filter_map(|r| Some((r, r.statement.rate_based_statement.as_ref()?)))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WebAclResponse {
    #[serde(rename = "WebACL")]
    pub web_acl: WebAcl,
}

/// Exactly one of `allow` and `block` is present; each is kept as printed (custom request or
/// response handling).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultAction {
    #[serde(default)]
    pub allow: Option<Value>,
    #[serde(default)]
    pub block: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VisibilityConfig {
    #[serde(default)]
    pub sampled_requests_enabled: bool,
    #[serde(default)]
    pub cloud_watch_metrics_enabled: bool,
    #[serde(default)]
    pub metric_name: Option<String>,
}

/// One rule of a web ACL.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub statement: Statement,
    /// For rules with their own statement: `{"Block": {}}`, `{"Allow": {}}`, `{"Count": {}}`,
    /// `{"Captcha": {}}` or `{"Challenge": {}}`, kept as printed.
    #[serde(default)]
    pub action: Option<Value>,
    /// For rule group statements: `{"None": {}}` (use the group's actions) or `{"Count": {}}`
    /// (only count), kept as printed.
    #[serde(default)]
    pub override_action: Option<Value>,
}

impl Rule {
    /// A rule group whose actions are overridden to count blocks nothing.
    pub fn only_counts(&self) -> bool {
        let has = |v: &Option<Value>| v.as_ref().is_some_and(|v| v.get("Count").is_some());
        has(&self.override_action) || has(&self.action)
    }
}

/// A rule statement. The kinds the posture layer looks at are typed; every other kind
/// (`ByteMatchStatement`, `GeoMatchStatement`, `IPSetReferenceStatement`, …) is kept by name in
/// `other`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(default)]
    pub managed_rule_group_statement: Option<ManagedRuleGroupStatement>,
    #[serde(default)]
    pub rate_based_statement: Option<RateBasedStatement>,
    #[serde(default)]
    pub rule_group_reference_statement: Option<RuleGroupReferenceStatement>,
    #[serde(default)]
    pub and_statement: Option<Statements>,
    #[serde(default)]
    pub or_statement: Option<Statements>,
    #[serde(default)]
    pub not_statement: Option<NotStatement>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `AndStatement` / `OrStatement`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statements {
    #[serde(default)]
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotStatement {
    #[serde(default)]
    pub statement: Box<Statement>,
}

/// A managed rule group (`VendorName` `AWS`, `Name` `AWSManagedRulesCommonRuleSet`, …).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedRuleGroupStatement {
    pub vendor_name: String,
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    /// Rules of the group set to count (`ExcludedRules[].Name`).
    #[serde(default)]
    pub excluded_rules: Vec<ExcludedRule>,
    /// Per-rule action overrides, kept as printed.
    #[serde(default)]
    pub rule_action_overrides: Vec<Value>,
    #[serde(default)]
    pub scope_down_statement: Option<Box<Statement>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExcludedRule {
    pub name: String,
}

/// A rate limit: at most `limit` requests per `evaluation_window_sec` (300 s by default) per
/// aggregation key.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateBasedStatement {
    pub limit: i64,
    #[serde(default)]
    pub evaluation_window_sec: Option<i64>,
    /// `IP`, `FORWARDED_IP`, `CUSTOM_KEYS` or `CONSTANT`.
    #[serde(default)]
    pub aggregate_key_type: Option<String>,
    #[serde(default)]
    pub scope_down_statement: Option<Box<Statement>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleGroupReferenceStatement {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(default)]
    pub excluded_rules: Vec<ExcludedRule>,
}

/// A rule group that AWS Firewall Manager adds to the web ACL.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FirewallManagerRuleGroup {
    pub name: String,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub firewall_manager_statement: FirewallManagerStatement,
    #[serde(default)]
    pub override_action: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FirewallManagerStatement {
    #[serde(default)]
    pub managed_rule_group_statement: Option<ManagedRuleGroupStatement>,
    #[serde(default)]
    pub rule_group_reference_statement: Option<RuleGroupReferenceStatement>,
}

/// One element of `apigateway get-rest-apis` `items` (camelCase).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestApi {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub endpoint_configuration: Option<EndpointConfiguration>,
    /// The resource policy as a JSON string (escaped), kept as text.
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub disable_execute_api_endpoint: bool,
    /// `HEADER` or `AUTHORIZER`.
    #[serde(default)]
    pub api_key_source: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointConfiguration {
    /// `EDGE`, `REGIONAL` or `PRIVATE`.
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub vpc_endpoint_ids: Vec<String>,
}

/// One element of `apigateway get-stages` `item` (camelCase); the REST API id is the resource
/// folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub stage_name: String,
    #[serde(default)]
    pub deployment_id: Option<String>,
    /// The regional web ACL protecting the stage, if any.
    #[serde(default)]
    pub web_acl_arn: Option<String>,
    #[serde(default)]
    pub client_certificate_id: Option<String>,
    #[serde(default)]
    pub tracing_enabled: bool,
    #[serde(default)]
    pub access_log_settings: Option<AccessLogSettings>,
    /// Keyed by `<resource path>/<method>`, `*/*` for the stage default.
    #[serde(default)]
    pub method_settings: BTreeMap<String, MethodSetting>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogSettings {
    #[serde(default)]
    pub destination_arn: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSetting {
    #[serde(default)]
    pub throttling_rate_limit: Option<f64>,
    #[serde(default)]
    pub throttling_burst_limit: Option<i64>,
    /// `OFF`, `ERROR` or `INFO`.
    #[serde(default)]
    pub logging_level: Option<String>,
    #[serde(default)]
    pub data_trace_enabled: Option<bool>,
    #[serde(default)]
    pub metrics_enabled: Option<bool>,
    #[serde(default)]
    pub caching_enabled: Option<bool>,
    #[serde(default)]
    pub cache_data_encrypted: Option<bool>,
}

/// One element of `elbv2 describe-load-balancers` `LoadBalancers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub load_balancer_arn: String,
    #[serde(default)]
    pub load_balancer_name: Option<String>,
    #[serde(rename = "DNSName", default)]
    pub dns_name: Option<String>,
    /// `internet-facing` or `internal`.
    #[serde(default)]
    pub scheme: Option<String>,
    /// `application`, `network` or `gateway`.
    #[serde(default)]
    pub r#type: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    /// `Code`: `active`, `provisioning`, `active_impaired` or `failed`.
    #[serde(default)]
    pub state: Option<LoadBalancerState>,
    #[serde(default)]
    pub availability_zones: Vec<LoadBalancerZone>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub ip_address_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerState {
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerZone {
    #[serde(default)]
    pub zone_name: Option<String>,
    #[serde(default)]
    pub subnet_id: Option<String>,
}

impl LoadBalancer {
    pub fn is_internet_facing(&self) -> bool {
        self.scheme.as_deref() == Some("internet-facing")
    }
}

/// One element of `apigateway get-resources --embed methods` `items` (camelCase); the REST API
/// id is the resource folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    pub id: String,
    #[serde(default)]
    pub path: Option<String>,
    /// HTTP method -> method, present with `--embed methods`.
    #[serde(default)]
    pub resource_methods: BTreeMap<String, ApiMethod>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiMethod {
    #[serde(default)]
    pub http_method: Option<String>,
    /// `NONE`, `AWS_IAM`, `CUSTOM` or `COGNITO_USER_POOLS`.
    #[serde(default)]
    pub authorization_type: Option<String>,
    #[serde(default)]
    pub api_key_required: bool,
    #[serde(default)]
    pub method_integration: Option<ApiIntegration>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiIntegration {
    /// `AWS`, `AWS_PROXY`, `HTTP`, `HTTP_PROXY` or `MOCK`.
    #[serde(default)]
    pub r#type: Option<String>,
    /// For a SageMaker integration
    /// `arn:aws:apigateway:<region>:runtime.sagemaker:path/endpoints/<name>/invocations`.
    #[serde(default)]
    pub uri: Option<String>,
}

impl ApiIntegration {
    /// The SageMaker endpoint an `AWS` integration invokes, if it is one.
    pub fn sagemaker_endpoint(&self) -> Option<&str> {
        let uri = self.uri.as_deref()?;
        let (_, path) = uri.split_once(":runtime.sagemaker:path/")?;
        let rest = path.trim_start_matches('/').strip_prefix("endpoints/")?;
        rest.split('/').next().filter(|n| !n.is_empty())
    }
}

/// One element of `cloudfront list-distributions` `DistributionList.Items`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Distribution {
    pub id: String,
    #[serde(rename = "ARN", default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub domain_name: Option<String>,
    /// The WAFv2 web ACL's ARN (a WAF Classic id for legacy ACLs); empty when none.
    #[serde(rename = "WebACLId", default)]
    pub web_acl_id: Option<String>,
    #[serde(default)]
    pub origins: Origins,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origins {
    #[serde(default)]
    pub items: Vec<Origin>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origin {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub origin_path: Option<String>,
}

impl Origin {
    /// `(rest-api-id, region)` when the origin is an API Gateway `execute-api` domain.
    pub fn execute_api(&self) -> Option<(&str, &str)> {
        let d = self.domain_name.as_deref()?;
        let rest = d.strip_suffix(".amazonaws.com")?;
        let mut parts = rest.split('.');
        let (id, svc, region) = (parts.next()?, parts.next()?, parts.next()?);
        (svc == "execute-api" && parts.next().is_none()).then_some((id, region))
    }
}
