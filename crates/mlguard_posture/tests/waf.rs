//! WAF-001: what fronts an endpoint is followed from API Gateway integrations and CloudFront
//! origins (or declared), and each front door's web ACL must be complete.
#![allow(clippy::unwrap_used, reason = "test helpers fail the test by panicking")]

mod common;

use mlguard_core::config::Config;
use mlguard_core::Finding;
use serde_json::{json, Value};

const A: &str = "111122223333";
const API: &str = "abc123defg";

fn managed(name: &str, count: bool) -> Value {
    json!({"Name": name, "Priority": 0, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}},
           "OverrideAction": if count { json!({"Count": {}}) } else { json!({"None": {}}) }, "VisibilityConfig": {}})
}

fn rate() -> Value {
    json!({"Name": "rate", "Priority": 9, "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}, "Action": {"Block": {}}, "VisibilityConfig": {}})
}

fn complete() -> Vec<Value> {
    vec![managed("AWSManagedRulesCommonRuleSet", false), managed("AWSManagedRulesKnownBadInputsRuleSet", false), managed("AWSManagedRulesSQLiRuleSet", false), rate()]
}

/// A REST API whose `POST /predict` invokes `integration_uri`, one stage `prod`, and a regional
/// web ACL with `rules` associated with the stage (when `rules` is given).
fn files(integration_uri: &str, rules: Option<Vec<Value>>) -> Vec<(String, String)> {
    let base = format!("{A}/us-east-1/apigateway");
    let mut v = vec![
        (format!("{A}/us-east-1/sagemaker/ep/describe-endpoint.json"), json!({"EndpointName": "ep", "EndpointArn": format!("arn:aws:sagemaker:us-east-1:{A}:endpoint/ep"), "EndpointStatus": "InService"}).to_string()),
        (format!("{base}/get-rest-apis.json"), json!({"items": [{"id": API, "name": "inference"}]}).to_string()),
        (
            format!("{base}/{API}/get-resources.json"),
            json!({"items": [{"id": "r", "path": "/predict", "resourceMethods": {"POST": {"httpMethod": "POST", "authorizationType": "AWS_IAM", "methodIntegration": {"type": "AWS", "uri": integration_uri}}}}]}).to_string(),
        ),
    ];
    let stage_arn = format!("arn:aws:apigateway:us-east-1::/restapis/{API}/stages/prod");
    match rules {
        Some(rules) => {
            let acl_arn = format!("arn:aws:wafv2:us-east-1:{A}:regional/webacl/acl/1111");
            v.push((format!("{base}/{API}/get-stages.json"), json!({"item": [{"stageName": "prod", "webAclArn": acl_arn}]}).to_string()));
            v.push((format!("{A}/us-east-1/wafv2/acl/get-web-acl.json"), json!({"WebACL": {"Name": "acl", "Id": "1111", "ARN": acl_arn, "DefaultAction": {"Allow": {}}, "Rules": rules}}).to_string()));
            v.push((format!("{A}/us-east-1/wafv2/acl/list-resources-for-web-acl.json"), json!({"ResourceArns": [stage_arn]}).to_string()));
        }
        None => v.push((format!("{base}/{API}/get-stages.json"), json!({"item": [{"stageName": "prod"}]}).to_string())),
    }
    v
}

const SAGEMAKER: &str = "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/ep/invocations";

fn waf(files: Vec<(String, String)>, cfg: &Config) -> (Vec<Finding>, Vec<String>) {
    let inv = common::load(files);
    let (f, d) = mlguard_posture::audit(&inv, cfg);
    (f.into_iter().filter(|f| f.rule_id == "WAF-001").collect(), d.into_iter().map(|d| d.message).filter(|m| m.starts_with("WAF-001")).collect())
}

#[test]
fn a_stage_without_a_web_acl_in_front_of_an_endpoint() {
    let (f, d) = waf(files(SAGEMAKER, None), &Config::default());
    assert_eq!(f.len(), 1, "{d:?}");
    assert_eq!(f[0].resource_id, format!("arn:aws:apigateway:us-east-1::/restapis/{API}/stages/prod"));
    assert_eq!(f[0].evidence["endpoints"], json!(["ep"]));
    assert_eq!(f[0].evidence["missing"], json!(["a web ACL"]));
}

#[test]
fn a_stage_that_fronts_no_endpoint_is_not_reported() {
    let (f, _) = waf(files("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111122223333:function:f/invocations", None), &Config::default());
    assert!(f.is_empty());
}

#[test]
fn a_complete_web_acl_passes_and_each_missing_part_is_named() {
    assert!(waf(files(SAGEMAKER, Some(complete())), &Config::default()).0.is_empty());
    let mut rules = complete();
    rules.remove(3);
    rules[2] = managed("AWSManagedRulesSQLiRuleSet", true);
    let (f, _) = waf(files(SAGEMAKER, Some(rules)), &Config::default());
    assert_eq!(f[0].evidence["missing"], json!(["AWSManagedRulesSQLiRuleSet (SQL injection) only counts", "a rate-based rule"]));
    // A third-party group of the same name is not AWS's.
    let mut rules = complete();
    rules[1] = json!({"Name": "x", "Priority": 1, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "SomeVendor", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}}, "OverrideAction": {"None": {}}});
    let (f, _) = waf(files(SAGEMAKER, Some(rules)), &Config::default());
    assert_eq!(f[0].evidence["missing"], json!(["AWSManagedRulesKnownBadInputsRuleSet (known bad inputs)"]));
}

#[test]
fn a_cloudfront_distribution_in_front_of_the_api() {
    let mut v = files(SAGEMAKER, Some(complete()));
    v.push((
        format!("{A}/global/cloudfront/list-distributions.json"),
        json!({"DistributionList": {"Items": [{"Id": "E1", "ARN": format!("arn:aws:cloudfront::{A}:distribution/E1"), "WebACLId": "",
            "Origins": {"Items": [{"Id": "o", "DomainName": format!("{API}.execute-api.us-east-1.amazonaws.com"), "OriginPath": "/prod"}]}}]}}).to_string(),
    ));
    let (f, _) = waf(v, &Config::default());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, format!("arn:aws:cloudfront::{A}:distribution/E1"));
    assert_eq!(f[0].resource_type, "AwsCloudFrontDistribution");
}

#[test]
fn declared_load_balancers_and_missing_inputs() {
    let alb = format!("arn:aws:elasticloadbalancing:us-east-1:{A}:loadbalancer/app/inference/0123");
    let cfg = Config::parse(&format!("[inference]\nfront_doors = [\"{alb}\"]\n")).unwrap();
    // No WAF data for that region at all: not evaluated, never passed.
    let (f, d) = waf(files(SAGEMAKER, Some(complete())).into_iter().filter(|(p, _)| !p.contains("wafv2")).collect(), &cfg);
    assert!(f.iter().all(|x| x.resource_id != alb));
    assert!(d.iter().any(|m| m.contains(&alb)), "{d:?}");
    // WAF collected, the ALB not among any ACL's resources: reported.
    let (f, _) = waf(files(SAGEMAKER, Some(complete())), &cfg);
    assert_eq!(f.iter().filter(|x| x.resource_id == alb).count(), 1);
    // Without get-resources, what an API fronts is unknown: said, not passed.
    let (f, d) = waf(files(SAGEMAKER, None).into_iter().filter(|(p, _)| !p.ends_with("get-resources.json")).collect(), &Config::default());
    assert!(f.is_empty());
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn a_bad_distribution_is_named_and_the_others_kept() {
    let mut v = files(SAGEMAKER, Some(complete()));
    let good = json!({"Id": "E1", "ARN": format!("arn:aws:cloudfront::{A}:distribution/E1"), "WebACLId": "",
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": format!("{API}.execute-api.us-east-1.amazonaws.com"), "OriginPath": "/prod"}]}});
    let bad = json!({"Id": 7, "Origins": {"Quantity": 0}});
    v.push((format!("{A}/global/cloudfront/list-distributions.json"), json!({"DistributionList": {"Quantity": 2, "Items": [bad, good]}}).to_string()));
    let inv = common::load(v);
    let paths: Vec<(&str, &str)> = inv.diagnostics.iter().map(|d| (d.file.as_str(), d.path.as_str())).collect();
    assert_eq!(paths, [("111122223333/global/cloudfront/list-distributions.json", "$.DistributionList.Items[0].Id")], "{:?}", inv.diagnostics);
    assert_eq!(inv.waf.distributions.len(), 1);
    let (f, _) = mlguard_posture::audit(&inv, &Config::default());
    assert!(f.iter().any(|x| x.rule_id == "WAF-001" && x.resource_id.ends_with("distribution/E1")));
    // No distributions: the CLI prints no `Items` at all, which is an empty listing, not an error.
    let mut v = files(SAGEMAKER, Some(complete()));
    v.push((format!("{A}/global/cloudfront/list-distributions.json"), json!({"DistributionList": {"Marker": "", "MaxItems": 100, "IsTruncated": false, "Quantity": 0}}).to_string()));
    let inv = common::load(v);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert!(inv.waf.distributions.is_empty());
}
