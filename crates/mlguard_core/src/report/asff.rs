//! AWS Security Finding Format (ASFF), schema version 2018-10-08, as a JSON array that
//! Security Hub's `BatchImportFindings` accepts (`aws securityhub batch-import-findings
//! --findings file://findings.json`).
//!
//! Field names, required attributes and length limits follow the Security Hub API reference
//! (`AwsSecurityFinding`, `Resource`, `Severity`, `Recommendation`, `Workflow`) and the ASFF
//! types taxonomy of the Security Hub user guide.

use super::{fingerprint, rfc3339, tool_version, truncate, WriteOptions, TOOL_NAME};
use crate::{rule, Finding, Practice, Report, Severity};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io;

const SCHEMA_VERSION: &str = "2018-10-08";
const FALLBACK_ACCOUNT: &str = "000000000000";
const FALLBACK_REGION: &str = "us-east-1";

// Length limits of the API reference.
const ID_MAX: usize = 512;
const GENERATOR_ID_MAX: usize = 512;
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const RECOMMENDATION_TEXT_MAX: usize = 512;
const RESOURCE_TYPE_MAX: usize = 256;
const REGION_MAX: usize = 16;
const SEVERITY_ORIGINAL_MAX: usize = 64;
const PRODUCT_FIELD_KEY_MAX: usize = 128;
const PRODUCT_FIELD_VALUE_MAX: usize = 2048;

/// Resource types of Security Hub's `ResourceDetails` that mlguard's layers can report on.
/// Anything else is imported as `Other`, with the original type kept in `ProductFields`.
const RESOURCE_TYPES: &[&str] = &[
    "AwsApiGatewayRestApi",
    "AwsApiGatewayStage",
    "AwsApiGatewayV2Api",
    "AwsApiGatewayV2Stage",
    "AwsCloudTrailTrail",
    "AwsDynamoDbTable",
    "AwsEc2Eip",
    "AwsEc2Instance",
    "AwsEc2NetworkAcl",
    "AwsEc2NetworkInterface",
    "AwsEc2RouteTable",
    "AwsEc2SecurityGroup",
    "AwsEc2Subnet",
    "AwsEc2TransitGateway",
    "AwsEc2Volume",
    "AwsEc2Vpc",
    "AwsEc2VpcEndpointService",
    "AwsEc2VpcPeeringConnection",
    "AwsEc2VpnConnection",
    "AwsEcrContainerImage",
    "AwsEcrRepository",
    "AwsEcsCluster",
    "AwsEcsService",
    "AwsEcsTask",
    "AwsEcsTaskDefinition",
    "AwsEksCluster",
    "AwsElbv2LoadBalancer",
    "AwsIamAccessKey",
    "AwsIamGroup",
    "AwsIamPolicy",
    "AwsIamRole",
    "AwsIamUser",
    "AwsKinesisStream",
    "AwsKmsKey",
    "AwsLambdaFunction",
    "AwsNetworkFirewallFirewall",
    "AwsNetworkFirewallFirewallPolicy",
    "AwsNetworkFirewallRuleGroup",
    "AwsS3AccountPublicAccessBlock",
    "AwsS3Bucket",
    "AwsS3Object",
    "AwsSageMakerNotebookInstance",
    "AwsSecretsManagerSecret",
    "AwsSnsTopic",
    "AwsSqsQueue",
    "AwsWafWebAcl",
    "Container",
    "Other",
];

/// Writes [`to_asff`] pretty-printed.
pub fn write_asff(report: &Report, opts: &WriteOptions, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_asff(report, opts))?;
    writeln!(out)
}

/// The findings as an array of ASFF findings, one per finding, suppressed ones included with
/// `Workflow.Status` `SUPPRESSED`.
///
/// - `Id` is `mlguard/<account>/<region>/<rule>/<fingerprint>`: stable across runs, so a
///   re-import updates the finding instead of duplicating it. Findings that share rule,
///   resource and title (the fingerprint's inputs) get `-2`, `-3`, ... so Ids stay unique.
/// - `AwsAccountId` must be 12 digits and `ProductArn` needs a region: when a finding lacks
///   either, account `000000000000` and region `us-east-1` stand in and
///   `ProductFields["mlguard/LocationFallback"]` is `"true"`.
/// - `Title`, `Description` and `Remediation.Recommendation.Text` are cut to their limits
///   (256, 1024 and 512 characters) on a character boundary, ending in `…`.
/// - `Resources[0].Type` is the finding's resource type when Security Hub knows it, else `Other`.
///
/// Object keys are sorted, so the document does not depend on serde_json features.
pub fn to_asff(report: &Report, opts: &WriteOptions) -> Value {
    let now = rfc3339(opts.now);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut finding = asff_finding(report, f, &now);
            if let Some(obj) = finding.as_object_mut() {
                let id = obj
                    .get("Id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let n = seen.entry(id.clone()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    let suffix = format!("-{n}");
                    let base = truncate_plain(&id, ID_MAX - suffix.len());
                    obj.insert("Id".into(), Value::String(format!("{base}{suffix}")));
                }
            }
            finding
        })
        .collect();
    let mut doc = Value::Array(findings);
    doc.sort_all_objects();
    doc
}

fn asff_finding(report: &Report, f: &Finding, now: &str) -> Value {
    let account_known = is_account_id(&f.account);
    let region_known = is_region(&f.region);
    let account = if account_known {
        f.account.as_str()
    } else {
        FALLBACK_ACCOUNT
    };
    let region = if region_known {
        f.region.as_str()
    } else {
        FALLBACK_REGION
    };
    let partition = partition(region);
    let doc = rule::find(&report.rules, &f.rule_id);

    let title = if f.title.trim().is_empty() {
        f.rule_id.as_str()
    } else {
        f.title.as_str()
    };
    let description = if f.description.trim().is_empty() {
        title
    } else {
        f.description.as_str()
    };
    let resource_type = if RESOURCE_TYPES.contains(&f.resource_type.as_str()) {
        f.resource_type.as_str()
    } else {
        "Other"
    };
    let resource_id = if f.resource_id.trim().is_empty() {
        format!("AWS::::Account:{account}")
    } else {
        f.resource_id.clone()
    };

    let id = format!(
        "mlguard/{account}/{region}/{}/{}",
        f.rule_id,
        fingerprint(f)
    );

    let mut resource = json!({
        "Type": truncate(resource_type, RESOURCE_TYPE_MAX),
        "Id": resource_id,
        "Partition": partition,
    });
    if let (true, Some(obj)) = (region_known, resource.as_object_mut()) {
        obj.insert("Region".into(), Value::from(region));
    }

    let mut finding = json!({
        "SchemaVersion": SCHEMA_VERSION,
        "Id": truncate_plain(&id, ID_MAX),
        "ProductArn": format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default"),
        "ProductName": TOOL_NAME,
        "GeneratorId": truncate_plain(&f.rule_id, GENERATOR_ID_MAX),
        "AwsAccountId": account,
        "Types": [finding_type(doc.map(|d| d.practice))],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {
            "Label": label(f.severity),
            "Original": truncate(f.severity.as_str(), SEVERITY_ORIGINAL_MAX),
        },
        "Title": truncate(title, TITLE_MAX),
        "Description": truncate(description, DESCRIPTION_MAX),
        "Resources": [resource],
        "ProductFields": product_fields(report, f, doc.map(|d| d.practice), !(account_known && region_known)),
        "RecordState": "ACTIVE",
        "Workflow": { "Status": if f.suppressed.is_some() { "SUPPRESSED" } else { "NEW" } },
    });

    let url = f
        .references
        .iter()
        .map(|r| r.url.as_str())
        .find(|u| u.starts_with("https://"));
    let mut recommendation = Map::new();
    if !f.remediation.trim().is_empty() {
        recommendation.insert(
            "Text".into(),
            Value::from(truncate(&f.remediation, RECOMMENDATION_TEXT_MAX)),
        );
    }
    if let Some(url) = url {
        recommendation.insert("Url".into(), Value::from(url));
    }
    if let (false, Some(obj)) = (recommendation.is_empty(), finding.as_object_mut()) {
        obj.insert(
            "Remediation".into(),
            json!({ "Recommendation": recommendation }),
        );
    }
    finding
}

fn product_fields(
    report: &Report,
    f: &Finding,
    practice: Option<Practice>,
    fallback: bool,
) -> Value {
    let mut fields = Map::new();
    let mut put = |key: &str, value: &str| {
        if !value.trim().is_empty() {
            fields.insert(
                truncate_plain(key, PRODUCT_FIELD_KEY_MAX).to_string(),
                Value::from(truncate(value, PRODUCT_FIELD_VALUE_MAX)),
            );
        }
    };
    put("mlguard/RuleId", &f.rule_id);
    put("mlguard/ToolVersion", tool_version(report));
    put("mlguard/Source", &report.source);
    put("mlguard/ResourceType", &f.resource_type);
    if let Some(practice) = practice {
        put("mlguard/Practice", practice.as_str());
    }
    if let Some(reason) = &f.suppressed {
        put("mlguard/SuppressionReason", reason);
    }
    if !f.evidence.is_null() {
        put("mlguard/Evidence", &f.evidence.to_string());
    }
    if fallback {
        put("mlguard/LocationFallback", "true");
    }
    Value::Object(fields)
}

/// The ASFF type (`namespace/category/classifier`) of a practice's findings; a rule that the
/// report does not document gets the namespace of configuration checks.
fn finding_type(practice: Option<Practice>) -> &'static str {
    match practice {
        Some(Practice::Network) => "Software and Configuration Checks/AWS Security Best Practices/Network Reachability",
        Some(Practice::Posture | Practice::SupplyChain | Practice::DataInUse) => {
            "Software and Configuration Checks/AWS Security Best Practices"
        }
        Some(Practice::Inference) => {
            "Software and Configuration Checks/AWS Security Best Practices/Runtime Behavior Analysis"
        }
        Some(Practice::ThreatDetection) => "TTPs",
        Some(Practice::SensitiveData) => "Sensitive Data Identifications",
        None => "Software and Configuration Checks",
    }
}

fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Informational => "INFORMATIONAL",
    }
}

/// The partition a region belongs to: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A plausible region name (`us-east-1`, `cn-north-1`, `us-gov-west-1`): lowercase words and a
/// number joined by dashes, at most 16 characters.
fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= REGION_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.split('-').count() >= 3
        && s.split('-').all(|part| !part.is_empty())
}

/// A prefix of at most `max` characters without an ellipsis, for identifiers.
fn truncate_plain(s: &str, max: usize) -> &str {
    let end = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
    s.get(..end).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_partitions() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("unknown"));
        assert!(!is_region(""));
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }

    #[test]
    fn account_ids() {
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("1111"));
        assert!(!is_account_id("unknown"));
    }

    #[test]
    fn plain_truncation() {
        assert_eq!(truncate_plain("héllo", 2), "hé");
        assert_eq!(truncate_plain("abc", 10), "abc");
    }
}
