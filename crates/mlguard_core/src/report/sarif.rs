//! SARIF 2.1.0: one run, one rule descriptor per rule, one result per finding, and the
//! diagnostics as tool execution notifications.

use super::{
    fingerprint, path_to_uri, rfc3339, tool_version, WriteOptions, TOOL_INFORMATION_URI, TOOL_NAME,
};
use crate::{Diagnostic, Finding, Level, Report, RuleDoc, Severity};
use serde_json::{json, Map, Value};
use std::io;

/// The `$schema` of the documents written.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Writes [`to_sarif`] pretty-printed, streaming the results one by one so that a large
/// report is never held twice in memory (the output is byte for byte what serializing
/// [`to_sarif`] gives).
pub fn write_sarif(
    report: &Report,
    opts: &WriteOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    use serde::ser::{Serialize, SerializeSeq, Serializer};

    struct Results<'a> {
        report: &'a Report,
        table: &'a RuleTable,
        uri: Option<&'a str>,
    }
    impl Serialize for Results<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.report.findings.len()))?;
            for f in &self.report.findings {
                let mut v = result(f, self.table, self.uri);
                v.sort_all_objects();
                seq.serialize_element(&v)?;
            }
            seq.end()
        }
    }
    // Fields in sorted key order, as `to_sarif` sorts them.
    #[derive(serde::Serialize)]
    struct Run<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        artifacts: Option<Value>,
        invocations: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        properties: Option<Value>,
        results: Results<'a>,
        tool: Value,
    }
    #[derive(serde::Serialize)]
    struct Log<'a> {
        #[serde(rename = "$schema")]
        schema: &'static str,
        runs: [Run<'a>; 1],
        version: &'static str,
    }

    let table = RuleTable::new(report);
    let source_uri = (!report.source.is_empty()).then(|| path_to_uri(&report.source));
    let notifications: Vec<Value> = report.diagnostics.iter().map(notification).collect();
    let successful = !report.diagnostics.iter().any(|d| d.level == Level::Error);
    let mut invocations = json!([{
        "executionSuccessful": successful,
        "endTimeUtc": rfc3339(opts.now),
        "toolExecutionNotifications": notifications,
    }]);
    invocations.sort_all_objects();
    let mut tool = json!({
        "driver": {
            "name": TOOL_NAME,
            "version": tool_version(report),
            "informationUri": TOOL_INFORMATION_URI,
            "rules": table.descriptors,
        }
    });
    tool.sort_all_objects();
    let (artifacts, properties) = match &source_uri {
        Some(uri) => (
            Some(json!([{ "location": { "uri": uri }, "roles": ["analysisTarget"] }])),
            Some(json!({ "source": report.source })),
        ),
        None => (None, None),
    };
    let log = Log {
        schema: SARIF_SCHEMA,
        runs: [Run {
            artifacts,
            invocations,
            properties,
            results: Results { report, table: &table, uri: source_uri.as_deref() },
            tool,
        }],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The report as a SARIF 2.1.0 log.
///
/// - `tool.driver.rules` holds one descriptor per rule in `report.rules`, then a minimal one
///   for each rule id that findings use but `report.rules` does not describe.
/// - Each finding is a result pointing at its descriptor (`ruleId`, `ruleIndex`), located by a
///   logical location (the resource) and, when the report names its source, a physical
///   location (the snapshot path). `partialFingerprints["mlguard/v1"]` is [`super::fingerprint`].
///   A suppressed finding carries an external suppression with its justification.
/// - Diagnostics become `invocations[0].toolExecutionNotifications`; `executionSuccessful` is
///   false when any of them is an error.
///
/// Object keys are sorted, so the document does not depend on serde_json features.
pub fn to_sarif(report: &Report, opts: &WriteOptions) -> Value {
    let table = RuleTable::new(report);
    let source_uri = (!report.source.is_empty()).then(|| path_to_uri(&report.source));

    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, &table, source_uri.as_deref()))
        .collect();
    let notifications: Vec<Value> = report.diagnostics.iter().map(notification).collect();
    let successful = !report.diagnostics.iter().any(|d| d.level == Level::Error);

    let mut run = json!({
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version(report),
                "informationUri": TOOL_INFORMATION_URI,
                "rules": table.descriptors,
            }
        },
        "invocations": [{
            "executionSuccessful": successful,
            "endTimeUtc": rfc3339(opts.now),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    });
    if let (Some(uri), Some(run)) = (&source_uri, run.as_object_mut()) {
        run.insert(
            "artifacts".into(),
            json!([{ "location": { "uri": uri }, "roles": ["analysisTarget"] }]),
        );
        run.insert("properties".into(), json!({ "source": report.source }));
    }

    let mut log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    log.sort_all_objects();
    log
}

/// The rule descriptors of the run and how findings find theirs.
struct RuleTable {
    descriptors: Vec<Value>,
    /// The descriptor id of each entry of `descriptors`, in the same order.
    ids: Vec<String>,
}

impl RuleTable {
    fn new(report: &Report) -> RuleTable {
        let mut table = RuleTable {
            descriptors: Vec::new(),
            ids: Vec::new(),
        };
        for doc in &report.rules {
            if table.index(doc.id).is_none() {
                table.ids.push(doc.id.to_string());
                table.descriptors.push(documented_descriptor(doc));
            }
        }
        for f in &report.findings {
            if table.index(&f.rule_id).is_none() {
                table.ids.push(f.rule_id.clone());
                table.descriptors.push(minimal_descriptor(f));
            }
        }
        table
    }

    /// Rule ids match case-insensitively, as [`crate::rule::find`] does.
    fn index(&self, id: &str) -> Option<usize> {
        self.ids
            .iter()
            .position(|known| known.eq_ignore_ascii_case(id))
    }
}

fn documented_descriptor(doc: &RuleDoc) -> Value {
    let help_uri = doc
        .references()
        .into_iter()
        .map(|r| r.url)
        .find(|u| u.starts_with("https://"));
    let mut d = json!({
        "id": doc.id,
        "shortDescription": { "text": doc.title },
        "fullDescription": { "text": doc.what },
        "help": {
            "text": format!("{}\n\nWhy is this bad: {}\n\nFix: {}", doc.what, doc.why, doc.remediation),
            "markdown": doc.to_markdown(),
        },
        "defaultConfiguration": { "level": level(doc.severity) },
        "properties": rule_properties(doc.severity, Some(doc)),
    });
    if let (Some(uri), Some(obj)) = (help_uri, d.as_object_mut()) {
        obj.insert("helpUri".into(), Value::String(uri));
    }
    d
}

/// A descriptor for a rule id that `report.rules` does not document: its id, and the
/// severity of the first finding that uses it so code scanning can still rank it.
fn minimal_descriptor(f: &Finding) -> Value {
    json!({
        "id": f.rule_id,
        "defaultConfiguration": { "level": level(f.severity) },
        "properties": rule_properties(f.severity, None),
    })
}

fn rule_properties(severity: Severity, doc: Option<&RuleDoc>) -> Value {
    let mut tags = vec![Value::from("security")];
    if let Some(doc) = doc {
        tags.push(Value::from(doc.practice.as_str()));
    }
    json!({
        // RuleDoc has no confidence of its own; mlguard's checks are deterministic
        // evaluations of configuration, so "high" is the honest default.
        "precision": "high",
        "security-severity": security_severity(severity),
        "tags": tags,
    })
}

fn result(f: &Finding, table: &RuleTable, source_uri: Option<&str>) -> Value {
    let index = table.index(&f.rule_id);
    let rule_id = index
        .and_then(|i| table.ids.get(i))
        .map_or(f.rule_id.as_str(), String::as_str);

    let mut message = f.title.clone();
    if !f.description.is_empty() {
        message.push_str("\n\n");
        message.push_str(&f.description);
    }

    let mut logical = Map::new();
    if !f.resource_id.is_empty() {
        logical.insert(
            "fullyQualifiedName".into(),
            Value::from(f.resource_id.as_str()),
        );
    }
    if !f.resource_type.is_empty() {
        logical.insert("kind".into(), Value::from(f.resource_type.as_str()));
    }
    let mut location = Map::new();
    if !logical.is_empty() {
        location.insert("logicalLocations".into(), json!([logical]));
    }
    if let Some(uri) = source_uri {
        location.insert(
            "physicalLocation".into(),
            json!({ "artifactLocation": { "uri": uri } }),
        );
    }

    let mut r = json!({
        "ruleId": rule_id,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": if location.is_empty() { json!([]) } else { json!([location]) },
        "partialFingerprints": { "mlguard/v1": fingerprint(f) },
        "properties": {
            "severity": f.severity.as_str(),
            "account": f.account,
            "region": f.region,
            "resourceType": f.resource_type,
            "evidence": f.evidence,
        },
    });
    if let Some(obj) = r.as_object_mut() {
        if let Some(i) = index {
            obj.insert("ruleIndex".into(), Value::from(i));
        }
        if let Some(reason) = &f.suppressed {
            obj.insert(
                "suppressions".into(),
                json!([{ "kind": "external", "status": "accepted", "justification": reason }]),
            );
        }
    }
    r
}

fn notification(d: &Diagnostic) -> Value {
    let mut location = Map::new();
    if !d.file.is_empty() {
        location.insert(
            "physicalLocation".into(),
            json!({ "artifactLocation": { "uri": path_to_uri(&d.file) } }),
        );
    }
    if !d.path.is_empty() {
        location.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": d.path }]),
        );
    }
    let mut n = json!({
        "level": match d.level {
            Level::Warning => "warning",
            Level::Error => "error",
        },
        "message": { "text": d.message },
    });
    if let (false, Some(obj)) = (location.is_empty(), n.as_object_mut()) {
        obj.insert("locations".into(), json!([location]));
    }
    n
}

/// SARIF result level: critical and high are errors, medium a warning, the rest notes.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "note",
    }
}

/// The CVSS-like score GitHub code scanning reads from a rule's `security-severity`
/// (over 9.0 critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Informational => "0.0",
    }
}
