//! The report writers: snapshots of every format on one fixture report, SARIF checked
//! against the official SARIF 2.1.0 schema, ASFF checked against Security Hub's required
//! attributes and length limits.

use mlguard_core::report::{self, Format, WriteOptions};
use mlguard_core::{Diagnostic, Finding, Practice, Report, RuleDoc, Severity};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::error::Error;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::OffsetDateTime;

type TestResult = Result<(), Box<dyn Error>>;

static NET_001: RuleDoc = RuleDoc {
    id: "NET-001",
    severity: Severity::Critical,
    practice: Practice::Network,
    title: "ML workload reachable from the internet",
    what: "Finds SageMaker notebooks and endpoints that a packet from the internet can reach.",
    why: "A notebook holds credentials and data; anyone who reaches its Jupyter port can run code with its role.",
    example: "A notebook in a public subnet whose security group admits 0.0.0.0/0 on tcp/8888.",
    remediation: "Move the notebook to a private subnet and reach it through SageMaker's presigned URL over a VPC endpoint.",
    well_architected: "SEC05-BP01 Create network layers",
    docs: &[(
        "Control traffic to your AWS resources using security groups",
        "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html",
    )],
};

static S3_003: RuleDoc = RuleDoc {
    id: "S3-003",
    severity: Severity::High,
    practice: Practice::SensitiveData,
    title: "Training data bucket readable by everyone",
    what: "Finds buckets holding training data whose policy or ACL grants read to all principals.",
    why: "Training data is often personal data; a public bucket is a breach waiting to be found.",
    example: "A bucket policy with `\"Principal\": \"*\"` and `s3:GetObject`.",
    remediation: "Turn on S3 Block Public Access for the account and remove the public grant.",
    well_architected: "SEC08-BP04 Enforce access control",
    docs: &[(
        "Blocking public access to your Amazon S3 storage",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    )],
};

static CT_PRIVESC_002: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-002",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Role passed to a training job it was not meant for",
    what: "Finds CloudTrail CreateTrainingJob calls that pass a role with wider permissions than the caller's.",
    why: "iam:PassRole to a job is a well-known privilege escalation path.",
    example: "A data scientist role passing an administrator role to CreateTrainingJob.",
    remediation: "Restrict iam:PassRole with a condition on iam:PassedToService and the role's path.",
    well_architected: "SEC03-BP02 Grant least privilege access",
    docs: &[],
};

fn opts() -> WriteOptions {
    WriteOptions {
        color: false,
        now: datetime!(2025-06-30 12:34:56.789 UTC),
    }
}

/// Findings of several severities, a suppressed one, one of a rule the report does not
/// document, one without account and region, evidence and references; two diagnostics.
fn fixture() -> Report {
    let mut r = Report::new("snapshots/acme prod");
    r.tool_version = "0.0.0-test".to_string();
    r.rules = vec![&NET_001, &S3_003, &CT_PRIVESC_002];

    r.findings.push(
        Finding::from_rule(&NET_001, "notebook `research-nb` reachable from the internet on tcp/8888")
            .resource(
                "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/research-nb",
                "AwsSageMakerNotebookInstance",
            )
            .location("111122223333", "us-east-1")
            .description(
                "The notebook's network interface eni-0a1b2c3d is in subnet-0123 whose route table sends 0.0.0.0/0 to igw-0456,\nand security group sg-0789 admits 0.0.0.0/0 on tcp/8888.",
            )
            .evidence(json!({
                "path": ["igw-0456", "rtb-0aaa", "subnet-0123", "sg-0789", "eni-0a1b2c3d"],
                "ports": [{ "protocol": "tcp", "from": 8888, "to": 8888 }],
                "sources": ["0.0.0.0/0"],
            })),
    );
    r.findings.push(
        Finding::from_rule(&S3_003, "bucket `acme-training-data` grants s3:GetObject to everyone")
            .resource("arn:aws:s3:::acme-training-data", "AwsS3Bucket")
            .location("111122223333", "eu-west-1")
            .description("The bucket policy statement `PublicRead` allows `s3:GetObject` for `\"Principal\": \"*\"`.")
            .evidence(json!({ "statement": "PublicRead", "actions": ["s3:GetObject"], "principal": "*" })),
    );
    r.findings.push(
        Finding::from_rule(&CT_PRIVESC_002, "role `ds-analyst` passed `admin-training` to a training job")
            .resource("arn:aws:iam::111122223333:role/ds-analyst", "AwsIamRole")
            .location("111122223333", "us-east-1")
            .description("CreateTrainingJob at 2025-06-29T08:15:00Z passed arn:aws:iam::111122223333:role/admin-training."),
    );
    r.findings.push(
        Finding::new("REG-007", Severity::Informational, "model `acme/sentiment` pulled without a pinned revision")
            .resource("hf://acme/sentiment", "HuggingFaceModel")
            .description("The training job downloads the model by name; the revision it gets can change under it."),
    );
    let mut suppressed = Finding::from_rule(
        &S3_003,
        "bucket `acme-public-datasets` grants s3:GetObject to everyone",
    )
    .severity(Severity::Low)
    .resource("arn:aws:s3:::acme-public-datasets", "AwsS3Bucket")
    .location("111122223333", "eu-west-1");
    suppressed.suppressed =
        Some("public by design: open datasets bucket, risk accepted in SEC-1234".to_string());
    r.findings.push(suppressed);

    r.diagnostics.push(Diagnostic::warning(
        "ec2/describe-security-groups.json",
        "$.SecurityGroups[3].IpPermissions[0].IpProtocol",
        "unknown protocol `icmpv7`, permission skipped",
    ));
    r.diagnostics.push(Diagnostic::error(
        "sagemaker/list-endpoints.json",
        "",
        "not valid JSON: expected value at line 1 column 1",
    ));
    r.sort();
    r
}

fn render(report: &Report, format: Format, opts: &WriteOptions) -> Result<String, Box<dyn Error>> {
    let mut out = Vec::new();
    report::write(report, format, opts, &mut out)?;
    Ok(String::from_utf8(out)?)
}

fn sarif_validator() -> Result<jsonschema::Validator, Box<dyn Error>> {
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json"))?;
    Ok(jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)?)
}

fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Snapshots

#[test]
fn snapshot_table() -> TestResult {
    insta::assert_snapshot!("table", render(&fixture(), Format::Table, &opts())?);
    Ok(())
}

#[test]
fn snapshot_json() -> TestResult {
    insta::assert_snapshot!("json", render(&fixture(), Format::Json, &opts())?);
    Ok(())
}

#[test]
fn snapshot_sarif() -> TestResult {
    insta::assert_snapshot!("sarif", render(&fixture(), Format::Sarif, &opts())?);
    Ok(())
}

#[test]
fn snapshot_asff() -> TestResult {
    insta::assert_snapshot!("asff", render(&fixture(), Format::Asff, &opts())?);
    Ok(())
}

#[test]
fn snapshot_html() -> TestResult {
    insta::assert_snapshot!("html", render(&fixture(), Format::Html, &opts())?);
    Ok(())
}

#[test]
fn snapshot_empty_table() -> TestResult {
    let mut empty = Report::new("snapshots/empty");
    empty.tool_version = "0.0.0-test".to_string();
    insta::assert_snapshot!("empty_table", render(&empty, Format::Table, &opts())?);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Every format

#[test]
fn empty_report_in_every_format() -> TestResult {
    for report in [Report::default(), Report::new("")] {
        for format in Format::ALL {
            let text = render(&report, format, &opts())?;
            assert!(!text.is_empty(), "{format} wrote nothing");
            if matches!(format, Format::Json | Format::Sarif | Format::Asff) {
                let _: Value = serde_json::from_str(&text)?;
            }
        }
    }
    assert_eq!(report::to_asff(&Report::default(), &opts()), json!([]));
    let table = render(&Report::default(), Format::Table, &opts())?;
    assert!(table.contains("No findings."), "{table}");
    Ok(())
}

#[test]
fn write_dispatches_to_each_writer() -> TestResult {
    let report = fixture();
    let opts = opts();
    type Writer = fn(&Report, &WriteOptions, &mut dyn std::io::Write) -> std::io::Result<()>;
    let writers: [(Format, Writer); 5] = [
        (Format::Table, report::write_table),
        (Format::Json, report::write_json),
        (Format::Sarif, report::write_sarif),
        (Format::Asff, report::write_asff),
        (Format::Html, report::write_html),
    ];
    for (format, writer) in writers {
        let mut direct = Vec::new();
        writer(&report, &opts, &mut direct)?;
        assert_eq!(
            render(&report, format, &opts)?.into_bytes(),
            direct,
            "{format}"
        );
    }
    Ok(())
}

#[test]
fn format_names() -> TestResult {
    for (name, format) in [
        ("table", Format::Table),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("asff", Format::Asff),
        ("html", Format::Html),
    ] {
        assert_eq!(name.parse::<Format>()?, format);
        assert_eq!(format.to_string(), name);
    }
    let err = "xml"
        .parse::<Format>()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        err,
        "unknown report format `xml`, expected one of table, json, sarif, asff, html"
    );
    Ok(())
}

#[test]
fn output_is_reproducible() -> TestResult {
    for format in Format::ALL {
        assert_eq!(
            render(&fixture(), format, &opts())?,
            render(&fixture(), format, &opts())?,
            "{format}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Table

#[test]
fn table_colours_only_when_asked() -> TestResult {
    let plain = render(&fixture(), Format::Table, &opts())?;
    assert!(!plain.contains('\x1b'));
    let coloured = render(
        &fixture(),
        Format::Table,
        &WriteOptions {
            color: true,
            ..opts()
        },
    )?;
    assert!(coloured.contains("\x1b[1;31mcritical"));
    assert!(coloured.contains("\x1b[0m"));
    Ok(())
}

#[test]
fn table_escapes_terminal_control_sequences() -> TestResult {
    let mut r = Report::new("x");
    r.findings.push(Finding::new(
        "NET-001",
        Severity::High,
        "evil\x1b]0;owned\x07 title",
    ));
    let text = render(
        &r,
        Format::Table,
        &WriteOptions {
            color: true,
            ..opts()
        },
    )?;
    assert!(!text.contains("\x1b]"), "{text}");
    assert!(text.contains("evil\\u{1b}]0;owned\\u{7} title"), "{text}");
    Ok(())
}

#[test]
fn table_lists_suppressed_with_reason_and_diagnostics_last() -> TestResult {
    let text = render(&fixture(), Format::Table, &opts())?;
    let suppressed = text
        .find("Suppressed (1):")
        .ok_or("no suppressed section")?;
    let diagnostics = text
        .find("Diagnostics (2):")
        .ok_or("no diagnostics section")?;
    assert!(suppressed < diagnostics);
    assert!(text.contains("suppressed: public by design"));
    assert!(text.contains(
        "warning: ec2/describe-security-groups.json: at $.SecurityGroups[3].IpPermissions[0].IpProtocol: unknown protocol `icmpv7`, permission skipped"
    ));
    assert!(text.contains("error: sagemaker/list-endpoints.json: not valid JSON"));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// JSON

#[test]
fn json_summary_and_order() -> TestResult {
    let report = fixture();
    let doc: Value = serde_json::from_str(&render(&report, Format::Json, &opts())?)?;
    assert_eq!(doc["tool"], "mlguard");
    assert_eq!(doc["version"], "0.0.0-test");
    assert_eq!(doc["summary"]["findings"], 5);
    assert_eq!(doc["summary"]["active"], 4);
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(
        doc["summary"]["by_severity"],
        json!({ "critical": 1, "high": 1, "medium": 1, "low": 0, "informational": 1 })
    );
    assert_eq!(doc["summary"]["diagnostics"], 2);
    let findings: Vec<Finding> = serde_json::from_value(doc["findings"].clone())?;
    assert_eq!(
        findings, report.findings,
        "findings round-trip in the report's order"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SARIF

#[test]
fn sarif_is_valid_against_the_official_schema() -> TestResult {
    let validator = sarif_validator()?;
    for report in [
        fixture(),
        Report::default(),
        Report::new("/abs/path with spaces/snap"),
    ] {
        let doc = report::to_sarif(&report, &opts());
        let errors = schema_errors(&validator, &doc);
        assert!(errors.is_empty(), "schema violations: {errors:#?}");
    }
    Ok(())
}

#[test]
fn sarif_schema_rejects_a_broken_document() -> TestResult {
    let validator = sarif_validator()?;
    let mut doc = report::to_sarif(&fixture(), &opts());
    doc["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(
        !schema_errors(&validator, &doc).is_empty(),
        "level `fatal` must be rejected"
    );

    let mut doc = report::to_sarif(&fixture(), &opts());
    doc["version"] = json!("2.0.0");
    assert!(!validator.is_valid(&doc), "version 2.0.0 must be rejected");

    let mut doc = report::to_sarif(&fixture(), &opts());
    doc["runs"][0]["invocations"][0]
        .as_object_mut()
        .ok_or("invocation is not an object")?
        .remove("executionSuccessful");
    assert!(
        !validator.is_valid(&doc),
        "an invocation without executionSuccessful must be rejected"
    );
    Ok(())
}

#[test]
fn sarif_rules_results_and_notifications() -> TestResult {
    let doc = report::to_sarif(&fixture(), &opts());
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().ok_or("runs")?;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "mlguard");

    let rules = run["tool"]["driver"]["rules"].as_array().ok_or("rules")?;
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["NET-001", "S3-003", "CT-PRIVESC-002", "REG-007"]);
    assert_eq!(rules[0]["properties"]["security-severity"], "9.5");
    assert_eq!(rules[0]["help"]["markdown"], NET_001.to_markdown());
    assert_eq!(
        rules[3]["properties"]["security-severity"], "0.0",
        "undocumented rule still ranked"
    );

    let results = run["results"].as_array().ok_or("results")?;
    assert_eq!(results.len(), 5);
    let mut fingerprints = BTreeSet::new();
    for result in results {
        let index = result["ruleIndex"].as_u64().ok_or("ruleIndex")?;
        let rule = rules
            .get(usize::try_from(index)?)
            .ok_or("ruleIndex out of range")?;
        assert_eq!(result["ruleId"], rule["id"]);
        fingerprints.insert(
            result["partialFingerprints"]["mlguard/v1"]
                .as_str()
                .ok_or("fingerprint")?
                .to_string(),
        );
    }
    assert_eq!(fingerprints.len(), 5, "fingerprints are distinct");

    let levels: Vec<&str> = results.iter().filter_map(|r| r["level"].as_str()).collect();
    assert_eq!(levels, ["error", "error", "warning", "note", "note"]);
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");

    let invocation = &run["invocations"][0];
    assert_eq!(
        invocation["executionSuccessful"], false,
        "an error diagnostic fails the execution"
    );
    let notes = invocation["toolExecutionNotifications"]
        .as_array()
        .ok_or("notifications")?;
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "$.SecurityGroups[3].IpPermissions[0].IpProtocol"
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ec2/describe-security-groups.json"
    );

    let mut only_warnings = fixture();
    only_warnings
        .diagnostics
        .retain(|d| d.level == mlguard_core::Level::Warning);
    let doc = report::to_sarif(&only_warnings, &opts());
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    Ok(())
}

#[test]
fn sarif_fingerprint_is_stable() {
    let f = Finding::new("NET-001", Severity::High, "t").resource("r", "AwsEc2Instance");
    // Pinned: changing the hash would make code scanning reopen every alert.
    assert_eq!(report::fingerprint(&f), "baf0daaedb0bf3e9");
    let moved = f
        .clone()
        .location("111122223333", "us-east-1")
        .severity(Severity::Low);
    assert_eq!(
        report::fingerprint(&f),
        report::fingerprint(&moved),
        "only rule, resource and title count"
    );
    let other = Finding::new("NET-001", Severity::High, "t").resource("r2", "AwsEc2Instance");
    assert_ne!(report::fingerprint(&f), report::fingerprint(&other));
}

// ---------------------------------------------------------------------------------------
// ASFF

/// Length as Security Hub could count it: UTF-16 code units, never fewer than characters.
fn len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn string<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    let s = v
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` missing or not a string in {v}"))?;
    if s.trim().is_empty() {
        return Err(format!("`{key}` is blank"));
    }
    Ok(s)
}

fn check_limit(v: &Value, key: &str, max: usize) -> Result<(), String> {
    let s = string(v, key)?;
    if len(s) > max {
        return Err(format!("`{key}` has {} characters, over {max}", len(s)));
    }
    Ok(())
}

fn check_asff_finding(f: &Value) -> Result<(), Box<dyn Error>> {
    assert_eq!(string(f, "SchemaVersion")?, "2018-10-08");
    check_limit(f, "Id", 512)?;
    check_limit(f, "ProductArn", 2048)?;
    check_limit(f, "GeneratorId", 512)?;
    check_limit(f, "Title", 256)?;
    check_limit(f, "Description", 1024)?;

    let account = string(f, "AwsAccountId")?;
    assert!(
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        "account `{account}`"
    );
    let arn = string(f, "ProductArn")?;
    assert!(arn.starts_with("arn:aws"), "{arn}");
    assert!(
        arn.ends_with(&format!(":{account}:product/{account}/default")),
        "{arn}"
    );

    for key in ["CreatedAt", "UpdatedAt"] {
        OffsetDateTime::parse(string(f, key)?, &Rfc3339).map_err(|e| format!("`{key}`: {e}"))?;
    }

    let types = f["Types"].as_array().ok_or("Types missing")?;
    assert!(!types.is_empty() && types.len() <= 50);
    for t in types {
        let t = t.as_str().ok_or("type is not a string")?;
        let namespace = t.split('/').next().unwrap_or_default();
        assert!(
            [
                "Software and Configuration Checks",
                "TTPs",
                "Effects",
                "Unusual Behaviors",
                "Sensitive Data Identifications"
            ]
            .contains(&namespace),
            "type `{t}`"
        );
    }

    let severity = &f["Severity"];
    let label = string(severity, "Label")?;
    assert!(
        ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(&label),
        "{label}"
    );
    check_limit(severity, "Original", 64)?;

    let resources = f["Resources"].as_array().ok_or("Resources missing")?;
    assert!(!resources.is_empty() && resources.len() <= 32);
    for r in resources {
        check_limit(r, "Type", 256)?;
        string(r, "Id")?;
        if let Some(p) = r.get("Partition") {
            assert!(
                ["aws", "aws-cn", "aws-us-gov"].contains(&p.as_str().unwrap_or_default()),
                "{p}"
            );
        }
        if r.get("Region").is_some() {
            check_limit(r, "Region", 16)?;
        }
    }

    if let Some(rec) = f.get("Remediation").map(|r| &r["Recommendation"]) {
        if rec.get("Text").is_some() {
            check_limit(rec, "Text", 512)?;
        }
        if rec.get("Url").is_some() {
            string(rec, "Url")?;
        }
    }

    let fields = f["ProductFields"]
        .as_object()
        .ok_or("ProductFields missing")?;
    assert!(fields.len() <= 50);
    for (k, v) in fields {
        assert!(!k.is_empty() && len(k) <= 128, "key `{k}`");
        let v = v.as_str().ok_or("product field value is not a string")?;
        assert!(!v.trim().is_empty() && len(v) <= 2048, "value of `{k}`");
    }
    assert!(fields.contains_key("mlguard/RuleId"));

    assert_eq!(string(f, "RecordState")?, "ACTIVE");
    let status = string(&f["Workflow"], "Status")?;
    assert!(["NEW", "SUPPRESSED"].contains(&status), "{status}");
    Ok(())
}

#[test]
fn asff_required_fields_and_limits() -> TestResult {
    let doc = report::to_asff(&fixture(), &opts());
    let findings = doc.as_array().ok_or("asff is not an array")?;
    assert_eq!(findings.len(), 5);
    for f in findings {
        check_asff_finding(f)?;
    }
    let ids: BTreeSet<&str> = findings.iter().filter_map(|f| f["Id"].as_str()).collect();
    assert_eq!(ids.len(), findings.len(), "ids are unique");
    let suppressed = findings
        .iter()
        .filter(|f| f["Workflow"]["Status"] == "SUPPRESSED")
        .count();
    assert_eq!(suppressed, 1);
    Ok(())
}

#[test]
fn asff_ids_are_stable_and_unique_even_for_duplicates() -> TestResult {
    let mut r = fixture();
    let twin = r.findings[0].clone();
    r.findings.push(twin);
    let doc = report::to_asff(&r, &opts());
    let findings = doc.as_array().ok_or("asff is not an array")?;
    let ids: BTreeSet<&str> = findings.iter().filter_map(|f| f["Id"].as_str()).collect();
    assert_eq!(ids.len(), findings.len());
    let again = report::to_asff(
        &r,
        &WriteOptions {
            now: datetime!(2030-01-01 00:00 UTC),
            ..opts()
        },
    );
    assert_eq!(
        doc[0]["Id"], again[0]["Id"],
        "ids do not depend on the time"
    );
    Ok(())
}

#[test]
fn asff_truncates_long_text_on_char_boundaries() -> TestResult {
    // 'é' is two bytes in UTF-8 and '😀' two UTF-16 units: a byte- or unit-blind cut would split them.
    let title = format!("a{}", "é😀".repeat(200));
    let description = "数据".repeat(800);
    let remediation = "ü".repeat(1000);
    let mut r = Report::new("x");
    let mut f = Finding::new("NET-001", Severity::High, title.clone())
        .resource("sg-1", "AwsEc2SecurityGroup")
        .location("111122223333", "us-east-1")
        .description(description.clone());
    f.remediation = remediation.clone();
    r.findings.push(f);

    let doc = report::to_asff(&r, &opts());
    let finding = &doc[0];
    check_asff_finding(finding)?;
    for (key, original, max) in [("Title", &title, 256), ("Description", &description, 1024)] {
        let cut = string(finding, key)?;
        assert!(len(cut) <= max, "{key}");
        let kept = cut.strip_suffix('…').ok_or("no ellipsis")?;
        assert!(original.starts_with(kept), "{key} is a prefix");
        assert!(len(kept) >= max - 2, "{key} keeps as much as fits");
    }
    let text = string(&finding["Remediation"]["Recommendation"], "Text")?;
    assert!(len(text) <= 512 && remediation.starts_with(text.trim_end_matches('…')));
    Ok(())
}

#[test]
fn asff_location_fallback_and_resource_types() -> TestResult {
    let doc = report::to_asff(&fixture(), &opts());
    let findings = doc.as_array().ok_or("asff is not an array")?;
    let model = findings
        .iter()
        .find(|f| f["GeneratorId"] == "REG-007")
        .ok_or("no REG-007 finding")?;
    assert_eq!(model["AwsAccountId"], "000000000000");
    assert_eq!(
        model["ProductArn"],
        "arn:aws:securityhub:us-east-1:000000000000:product/000000000000/default"
    );
    assert_eq!(model["ProductFields"]["mlguard/LocationFallback"], "true");
    assert_eq!(
        model["Resources"][0]["Type"], "Other",
        "unknown types import as Other"
    );
    assert_eq!(
        model["ProductFields"]["mlguard/ResourceType"],
        "HuggingFaceModel"
    );

    let notebook = findings
        .iter()
        .find(|f| f["GeneratorId"] == "NET-001")
        .ok_or("no NET-001 finding")?;
    assert_eq!(
        notebook["Resources"][0]["Type"],
        "AwsSageMakerNotebookInstance"
    );
    assert_eq!(notebook["Resources"][0]["Region"], "us-east-1");
    assert_eq!(
        notebook["Types"],
        json!([
            "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
        ])
    );
    assert!(notebook["ProductFields"]
        .get("mlguard/LocationFallback")
        .is_none());
    assert_eq!(notebook["CreatedAt"], "2025-06-30T12:34:56.789Z");

    let mut cn = Report::new("x");
    cn.findings.push(
        Finding::new("NET-001", Severity::Low, "t")
            .resource("i-1", "AwsEc2Instance")
            .location("111122223333", "cn-north-1"),
    );
    let doc = report::to_asff(&cn, &opts());
    assert_eq!(doc[0]["Resources"][0]["Partition"], "aws-cn");
    assert_eq!(
        doc[0]["ProductArn"],
        "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HTML

#[test]
fn html_escape_neutralises_markup() {
    assert_eq!(
        report::escape_html("<script>alert(\"x\" & 'y')</script>"),
        "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
    );
}

#[test]
fn html_escapes_every_piece_of_report_text() -> TestResult {
    let mut r = Report::new("<b>source</b>");
    let mut f = Finding::new("<NET>", Severity::High, "<script>alert(1)</script>")
        .resource("<img src=x onerror=alert(2)>", "\"type\"")
        .description("<iframe>")
        .evidence(json!({ "<key>": "</pre><script>alert(3)</script>" }));
    f.remediation = "<style>body{display:none}</style>".to_string();
    f.references = vec![
        mlguard_core::Reference {
            title: "<em>x</em>".to_string(),
            url: "javascript:alert(4)".to_string(),
        },
        mlguard_core::Reference {
            title: "docs".to_string(),
            url: "https://example.com/?a=1&b=\"2\"".to_string(),
        },
    ];
    f.suppressed = None;
    r.findings.push(f);
    r.diagnostics
        .push(Diagnostic::warning("<file>", "$.<path>", "<message>"));

    let html = render(&r, Format::Html, &opts())?;
    for needle in [
        "<script",
        "<img",
        "<iframe",
        "<b>source",
        "<em>",
        "<NET>",
        "<file>",
        "<message>",
        "<key>",
        "href=\"javascript:",
    ] {
        assert!(!html.contains(needle), "`{needle}` leaked into the page");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("href=\"https://example.com/?a=1&amp;b=&quot;2&quot;\""));
    assert_eq!(
        html.matches("<style>").count(),
        1,
        "only the page's own style element"
    );
    Ok(())
}

#[test]
fn html_is_self_contained() -> TestResult {
    let html = render(&fixture(), Format::Html, &opts())?;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("<link"), "no external stylesheet");
    assert!(!html.contains("src="), "nothing loaded");
    assert_eq!(html.matches("<details>").count(), 5, "one per finding");
    Ok(())
}
