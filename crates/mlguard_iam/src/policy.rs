//! The typed policy model and its parser.
//!
//! Documents come as `aws iam get-account-authorization-details` prints them: a JSON object, or
//! (older CLI output, the raw API) a string holding URL-encoded JSON ("The policy document
//! returned in this structure is URL-encoded compliant with RFC 3986";
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html>). The grammar
//! follows <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>:
//! `Statement` is one object or an array; `Action`/`NotAction`/`Resource`/`NotResource` are a
//! string or an array of strings; `Principal`/`NotPrincipal` is `"*"` or an object keyed by
//! `AWS`, `Service`, `Federated` or `CanonicalUser`; `Condition` maps operator → key → value(s).
//!
//! A document that does not have this shape is an error naming the JSON path and what was
//! expected there. Things that are well-formed but not understood (an unknown element, an
//! unknown condition operator, a condition value that does not parse) are [`Problem`]s on the
//! policy; the statement concerned still parses and its condition never matches.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::condition::Condition;
use crate::wildcard::Pattern;

/// Why a document is not a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON.
    #[error("malformed JSON at line {line} column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A URL-encoded document whose escapes are broken or whose bytes are not UTF-8.
    #[error("the URL-encoded policy document does not decode: {0}")]
    Encoding(String),
    /// A value of the wrong kind at `path`.
    #[error("at `{path}`: expected {expected}, found {found}")]
    Shape {
        /// JSON path such as `Statement[1].Action[0]` (`.` for the document itself).
        path: String,
        /// What the grammar allows there.
        expected: String,
        /// What the document has there.
        found: String,
    },
    /// A required element is missing, or two exclusive ones are both present.
    #[error("at `{path}`: {message}")]
    Invalid {
        /// JSON path of the enclosing object.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Something in a policy that is well-formed but not understood; the rest is still used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The policy's name or ARN, when known (problems found during evaluation).
    pub policy: Option<String>,
    /// JSON path inside the document, e.g. `Statement[2].Condition.StringFuzzyEquals`.
    pub path: String,
    /// What is wrong and what was done about it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.policy {
            Some(p) => write!(f, "{p}: `{}`: {}", self.path, self.message),
            None => write!(f, "`{}`: {}", self.path, self.message),
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    /// Grants the statement's actions.
    Allow,
    /// Denies them, overriding every allow.
    Deny,
}

/// The `Action` or `NotAction` element.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionMatch {
    /// Matches the listed action patterns.
    Action(Vec<Pattern>),
    /// Matches every action except the listed patterns
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html>).
    NotAction(Vec<Pattern>),
}

impl ActionMatch {
    /// Whether `action` (such as `s3:GetObject`) is covered; case-insensitive.
    pub fn matches(&self, action: &str) -> bool {
        match self {
            ActionMatch::Action(ps) => ps.iter().any(|p| p.matches_ignore_case(action)),
            ActionMatch::NotAction(ps) => !ps.iter().any(|p| p.matches_ignore_case(action)),
        }
    }

    /// The actions among `known` that this element covers.
    pub fn expand<'k, S: AsRef<str>>(&self, known: &'k [S]) -> Vec<&'k str> {
        known.iter().map(AsRef::as_ref).filter(|a| self.matches(a)).collect()
    }
}

/// The `Resource` or `NotResource` element.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceMatch {
    /// Matches the listed ARN patterns (case-sensitive).
    Resource(Vec<Pattern>),
    /// Matches every resource except the listed patterns
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html>).
    NotResource(Vec<Pattern>),
    /// Neither element: a role trust policy, whose resource is the role itself. Matches every resource.
    Unspecified,
}

/// One entry of a `Principal`/`NotPrincipal` element
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum PrincipalId {
    /// `"Principal": "*"`: everyone, including anonymous callers.
    Anyone,
    /// `"AWS"`: an account ID, an account root ARN, a user, role or session ARN, or `*`.
    Aws(String),
    /// `"Service"`: a service principal such as `sagemaker.amazonaws.com`.
    Service(String),
    /// `"Federated"`: an identity provider.
    Federated(String),
    /// `"CanonicalUser"`: an S3 canonical user ID.
    CanonicalUser(String),
}

/// The `Principal` or `NotPrincipal` element (resource-based policies only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalMatch {
    /// The statement applies to the listed principals.
    Principal(Vec<PrincipalId>),
    /// The statement applies to everyone except the listed principals.
    NotPrincipal(Vec<PrincipalId>),
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` / `NotAction`.
    pub actions: ActionMatch,
    /// `Resource` / `NotResource`.
    pub resources: ResourceMatch,
    /// `Principal` / `NotPrincipal`, present in resource-based policies.
    pub principals: Option<PrincipalMatch>,
    /// Every operator–key pair of the `Condition` block; all must hold.
    pub conditions: Vec<Condition>,
    /// JSON path of the statement: `Statement` or `Statement[i]`.
    pub path: String,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `Version` (`2012-10-17` enables policy variables).
    pub version: Option<String>,
    /// `Id`, if any.
    pub id: Option<String>,
    /// The statements in document order.
    pub statements: Vec<Statement>,
    /// What was found but not understood while parsing.
    pub problems: Vec<Problem>,
}

/// The policy language version that introduced policy variables.
pub const VERSION_2012: &str = "2012-10-17";

impl Policy {
    /// Parses a document given as text: JSON, URL-encoded JSON, or a JSON string holding either.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        parse_text(text, 0)
    }

    /// Parses a document given as a JSON value: an object, or a string holding (URL-encoded) JSON,
    /// as found under `PolicyVersionList[].Document` or `RolePolicyList[].PolicyDocument`.
    pub fn from_value(value: &Value) -> Result<Policy, PolicyError> {
        parse_value(value, 0)
    }

    /// Whether `${...}` in resources and condition values are policy variables.
    pub fn supports_variables(&self) -> bool {
        self.version.as_deref() == Some(VERSION_2012)
    }
}

/// How many layers of string-wrapping and URL-encoding are unwrapped.
const MAX_NESTING: usize = 3;

fn parse_text(text: &str, depth: usize) -> Result<Policy, PolicyError> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.starts_with('%') {
        if depth >= MAX_NESTING {
            return Err(shape(".", "a policy document", "a document encoded too many times"));
        }
        return parse_text(&percent_decode(t)?, depth + 1);
    }
    let value: Value = serde_json::from_str(t).map_err(|e| PolicyError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    parse_value(&value, depth)
}

fn parse_value(value: &Value, depth: usize) -> Result<Policy, PolicyError> {
    match value {
        Value::Object(map) => parse_document(map),
        Value::String(s) if depth < MAX_NESTING => parse_text(s, depth + 1),
        other => Err(shape(".", "a JSON object or a string holding URL-encoded JSON", &describe(other))),
    }
}

/// RFC 3986 percent-decoding (a `+` stays a `+`).
fn percent_decode(s: &str) -> Result<String, PolicyError> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = |b: Option<u8>| b.and_then(|b| char::from(b).to_digit(16));
            match (hex(bytes.next()), hex(bytes.next())) {
                (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                _ => return Err(PolicyError::Encoding("a `%` is not followed by two hex digits".to_owned())),
            }
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| PolicyError::Encoding("the decoded bytes are not UTF-8".to_owned()))
}

fn shape(path: &str, expected: &str, found: &str) -> PolicyError {
    PolicyError::Shape { path: display_path(path), expected: expected.to_owned(), found: found.to_owned() }
}

fn invalid(path: &str, message: String) -> PolicyError {
    PolicyError::Invalid { path: display_path(path), message }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        path.to_owned()
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A short description of a JSON value for error messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string `{s}`"),
        Value::String(_) => "a long string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

const DOCUMENT_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] =
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"];

fn unknown_keys(map: &Map<String, Value>, known: &[&str], path: &str, problems: &mut Vec<Problem>) {
    for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
        problems.push(Problem {
            policy: None,
            path: child(path, key),
            message: format!("unknown policy element `{key}` is ignored"),
        });
    }
}

fn parse_document(map: &Map<String, Value>) -> Result<Policy, PolicyError> {
    let mut problems = Vec::new();
    unknown_keys(map, &DOCUMENT_KEYS, "", &mut problems);
    let version = optional_string(map, "Version", "")?;
    if let Some(v) = &version {
        if v != VERSION_2012 && v != "2008-10-17" {
            problems.push(Problem {
                policy: None,
                path: "Version".to_owned(),
                message: format!("unknown policy language version `{v}`; policy variables are not substituted"),
            });
        }
    }
    let id = optional_string(map, "Id", "")?;
    let variables = version.as_deref() == Some(VERSION_2012);
    let statements = match map.get("Statement") {
        None => return Err(invalid("", "missing the `Statement` element".to_owned())),
        Some(Value::Object(s)) => vec![parse_statement(s, "Statement".to_owned(), variables, &mut problems)?],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("Statement[{i}]");
                match item {
                    Value::Object(s) => parse_statement(s, path, variables, &mut problems),
                    other => Err(shape(&path, "a statement object", &describe(other))),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(shape("Statement", "an object or an array of objects", &describe(other))),
    };
    Ok(Policy { version, id, statements, problems })
}

fn optional_string(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, PolicyError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(shape(&child(path, key), "a string", &describe(other))),
    }
}

fn string_list(v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    const EXPECTED: &str = "a string or an array of strings";
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(shape(&format!("{path}[{i}]"), "a string", &describe(other))),
            })
            .collect(),
        other => Err(shape(path, EXPECTED, &describe(other))),
    }
}

/// Exactly one of `a`/`b` (when `required`), or at most one.
fn one_of<'m>(
    map: &'m Map<String, Value>,
    a: &'static str,
    b: &'static str,
    path: &str,
    required: bool,
) -> Result<Option<(&'static str, &'m Value)>, PolicyError> {
    match (map.get(a), map.get(b)) {
        (Some(_), Some(_)) => Err(invalid(path, format!("has both `{a}` and `{b}`; a statement takes one of them"))),
        (Some(v), None) => Ok(Some((a, v))),
        (None, Some(v)) => Ok(Some((b, v))),
        (None, None) if required => Err(invalid(path, format!("missing `{a}` (or `{b}`)"))),
        (None, None) => Ok(None),
    }
}

fn parse_statement(
    map: &Map<String, Value>,
    path: String,
    variables: bool,
    problems: &mut Vec<Problem>,
) -> Result<Statement, PolicyError> {
    unknown_keys(map, &STATEMENT_KEYS, &path, problems);
    let sid = optional_string(map, "Sid", &path)?;
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => return Err(shape(&child(&path, "Effect"), "`Allow` or `Deny`", &describe(other))),
        None => return Err(invalid(&path, "missing `Effect`".to_owned())),
    };
    let actions = match one_of(map, "Action", "NotAction", &path, true)? {
        Some((key, v)) => {
            let patterns = string_list(v, &child(&path, key))?.iter().map(|a| Pattern::new(a)).collect();
            if key == "Action" {
                ActionMatch::Action(patterns)
            } else {
                ActionMatch::NotAction(patterns)
            }
        }
        None => ActionMatch::Action(Vec::new()),
    };
    let resources = match one_of(map, "Resource", "NotResource", &path, false)? {
        Some((key, v)) => {
            let compile = |r: &String| if variables { Pattern::with_variables(r) } else { Pattern::new(r) };
            let patterns = string_list(v, &child(&path, key))?.iter().map(compile).collect();
            if key == "Resource" {
                ResourceMatch::Resource(patterns)
            } else {
                ResourceMatch::NotResource(patterns)
            }
        }
        None => ResourceMatch::Unspecified,
    };
    let principals = match one_of(map, "Principal", "NotPrincipal", &path, false)? {
        Some((key, v)) => {
            let ids = parse_principal(v, &child(&path, key))?;
            Some(if key == "Principal" { PrincipalMatch::Principal(ids) } else { PrincipalMatch::NotPrincipal(ids) })
        }
        None => None,
    };
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(v) => parse_conditions(v, &child(&path, "Condition"), variables, problems)?,
    };
    Ok(Statement { sid, effect, actions, resources, principals, conditions, path })
}

fn parse_principal(v: &Value, path: &str) -> Result<Vec<PrincipalId>, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(vec![PrincipalId::Anyone]),
        Value::Object(map) => {
            let mut ids = Vec::new();
            for (kind, value) in map {
                let make: fn(String) -> PrincipalId = match kind.as_str() {
                    "AWS" => PrincipalId::Aws,
                    "Service" => PrincipalId::Service,
                    "Federated" => PrincipalId::Federated,
                    "CanonicalUser" => PrincipalId::CanonicalUser,
                    other => {
                        return Err(shape(
                            &child(path, other),
                            "one of `AWS`, `Service`, `Federated` or `CanonicalUser`",
                            &format!("`{other}`"),
                        ))
                    }
                };
                ids.extend(string_list(value, &child(path, kind))?.into_iter().map(make));
            }
            Ok(ids)
        }
        other => Err(shape(
            path,
            "`*` or an object keyed by `AWS`, `Service`, `Federated` or `CanonicalUser`",
            &describe(other),
        )),
    }
}

fn condition_values(v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    const EXPECTED: &str = "a string, number or boolean, or an array of them";
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                scalar(item)
                    .ok_or_else(|| shape(&format!("{path}[{i}]"), "a string, number or boolean", &describe(item)))
            })
            .collect(),
        other => scalar(other).map(|s| vec![s]).ok_or_else(|| shape(path, EXPECTED, &describe(other))),
    }
}

fn parse_conditions(
    v: &Value,
    path: &str,
    variables: bool,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(block) = v else {
        return Err(shape(path, "an object mapping condition operators to keys", &describe(v)));
    };
    let mut conditions = Vec::new();
    for (operator, keys) in block {
        let op_path = child(path, operator);
        let Value::Object(keys) = keys else {
            return Err(shape(&op_path, "an object mapping condition keys to values", &describe(keys)));
        };
        for (key, values) in keys {
            let key_path = child(&op_path, key);
            let values = condition_values(values, &key_path)?;
            let condition = Condition::new(operator, key, values, variables, key_path.clone());
            if let Some(p) = condition.problem() {
                problems.push(Problem { policy: None, path: key_path, message: p.to_owned() });
            }
            conditions.push(condition);
        }
    }
    Ok(conditions)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// `check(document, expected)`: parsing `document` succeeds with `Ok(summary)` or fails
    /// with the error message `Err(message)`.
    fn check(document: &str, expected: Result<&str, &str>) {
        let got = Policy::from_json(document).map(|p| summary(&p)).map_err(|e| e.to_string());
        assert_eq!(got.as_deref().map_err(String::as_str), expected, "{document}");
    }

    /// One line per statement: `effect actions resources principals #conditions`.
    fn summary(p: &Policy) -> String {
        p.statements
            .iter()
            .map(|s| {
                let pats = |ps: &[Pattern]| ps.iter().map(Pattern::as_str).collect::<Vec<_>>().join(",");
                let actions = match &s.actions {
                    ActionMatch::Action(ps) => format!("A[{}]", pats(ps)),
                    ActionMatch::NotAction(ps) => format!("NA[{}]", pats(ps)),
                };
                let resources = match &s.resources {
                    ResourceMatch::Resource(ps) => format!("R[{}]", pats(ps)),
                    ResourceMatch::NotResource(ps) => format!("NR[{}]", pats(ps)),
                    ResourceMatch::Unspecified => "R-".to_owned(),
                };
                let principals = match &s.principals {
                    None => "P-".to_owned(),
                    Some(PrincipalMatch::Principal(ids)) => format!("P{ids:?}"),
                    Some(PrincipalMatch::NotPrincipal(ids)) => format!("NP{ids:?}"),
                };
                format!("{:?} {actions} {resources} {principals} {}", s.effect, s.conditions.len())
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn statement_object_or_array_string_or_array() {
        check(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            Ok("Allow A[s3:GetObject] R[*] P- 0"),
        );
        check(
            r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:s3:::a","arn:aws:s3:::b"]}]}"#,
            Ok("Deny NA[iam:*,sts:*] NR[arn:aws:s3:::a,arn:aws:s3:::b] P- 0"),
        );
        check(r#"{"Statement":[]}"#, Ok(""));
    }

    #[test]
    fn principals() {
        check(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
            Ok("Allow A[s3:*] R[*] P[Anyone] 0"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::1:role/r"],"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
            Ok(
                r#"Allow A[sts:AssumeRole] R- P[Aws("123456789012"), Aws("arn:aws:iam::1:role/r"), Service("sagemaker.amazonaws.com")] 0"#,
            ),
        );
        check(
            r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"CanonicalUser":"abc","Federated":"cognito-identity.amazonaws.com"},"Action":"*","Resource":"*"}}"#,
            Ok(r#"Deny A[*] R[*] NP[CanonicalUser("abc"), Federated("cognito-identity.amazonaws.com")] 0"#),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Users":"x"},"Action":"*","Resource":"*"}}"#,
            Err("at `Statement.Principal.Users`: expected one of `AWS`, `Service`, `Federated` or `CanonicalUser`, found `Users`"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"*","Resource":"*"}}"#,
            Err("at `Statement.Principal`: expected `*` or an object keyed by `AWS`, `Service`, `Federated` or `CanonicalUser`, found the string `arn:aws:iam::1:root`"),
        );
    }

    #[test]
    fn conditions_parse_every_value_kind() {
        let p = Policy::from_json(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
                "StringEquals":{"a":"x","b":["y","z"]},"NumericLessThan":{"n":10},"Bool":{"aws:SecureTransport":true}}}}"#,
        )
        .unwrap();
        let mut c: Vec<(&str, &str, Vec<String>)> = p.statements[0]
            .conditions
            .iter()
            .map(|c| (c.operator.as_str(), c.key.as_str(), c.values.clone()))
            .collect();
        c.sort();
        assert_eq!(
            c,
            vec![
                ("Bool", "aws:SecureTransport", vec!["true".to_owned()]),
                ("NumericLessThan", "n", vec!["10".to_owned()]),
                ("StringEquals", "a", vec!["x".to_owned()]),
                ("StringEquals", "b", vec!["y".to_owned(), "z".to_owned()]),
            ]
        );
        assert!(p.statements[0].conditions.iter().any(|c| c.path == "Statement.Condition.StringEquals.b"));
        assert!(p.problems.is_empty());
    }

    #[test]
    fn malformed_documents_name_the_path() {
        check("{", Err("malformed JSON at line 1 column 1: EOF while parsing an object at line 1 column 1"));
        check("[1]", Err("at `.`: expected a JSON object or a string holding URL-encoded JSON, found an array"));
        check(r#"{"Version":"2012-10-17"}"#, Err("at `.`: missing the `Statement` element"));
        check(
            r#"{"Statement":"x"}"#,
            Err("at `Statement`: expected an object or an array of objects, found the string `x`"),
        );
        check(r#"{"Statement":[1]}"#, Err("at `Statement[0]`: expected a statement object, found the number `1`"));
        check(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
            Err("at `Statement[1].Effect`: expected `Allow` or `Deny`, found the string `allow`"),
        );
        check(r#"{"Statement":{"Action":"*","Resource":"*"}}"#, Err("at `Statement`: missing `Effect`"));
        check(
            r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
            Err("at `Statement`: missing `Action` (or `NotAction`)"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}"#,
            Err("at `Statement`: has both `Action` and `NotAction`; a statement takes one of them"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject",7],"Resource":"*"}}"#,
            Err("at `Statement.Action[1]`: expected a string, found the number `7`"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":{"arn":"x"}}}"#,
            Err("at `Statement.Resource`: expected a string or an array of strings, found an object"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}}"#,
            Err("at `Statement.Condition.StringEquals`: expected an object mapping condition keys to values, found the string `x`"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":null}}}}"#,
            Err("at `Statement.Condition.StringEquals.k`: expected a string, number or boolean, or an array of them, found null"),
        );
        check(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":["a",{}]}}}}"#,
            Err("at `Statement.Condition.StringEquals.k[1]`: expected a string, number or boolean, found an object"),
        );
        check(r#"{"Version":7,"Statement":[]}"#, Err("at `Version`: expected a string, found the number `7`"));
        check(
            r#"{"Statement":{"Sid":1,"Effect":"Allow","Action":"*"}}"#,
            Err("at `Statement.Sid`: expected a string, found the number `1`"),
        );
    }

    #[test]
    fn url_encoded_and_string_wrapped_documents() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGet%2A%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%7D%5D%7D";
        let a = Policy::from_json(plain).unwrap();
        assert_eq!(Policy::from_json(encoded).unwrap(), a);
        assert_eq!(Policy::from_value(&Value::String(encoded.to_owned())).unwrap(), a);
        assert_eq!(Policy::from_value(&Value::String(plain.to_owned())).unwrap(), a);
        assert_eq!(Policy::from_value(&serde_json::from_str::<Value>(plain).unwrap()).unwrap(), a);
        assert_eq!(Policy::from_json(&serde_json::to_string(plain).unwrap()).unwrap(), a);
        // Lower-case hex and a literal `+` (RFC 3986 does not turn `+` into a space).
        let plus = Policy::from_json(
            "%7b%22Statement%22%3a%7b%22Effect%22%3a%22Allow%22%2c%22Action%22%3a%22a%3ab+c%22%7d%7d",
        )
        .unwrap();
        assert_eq!(plus.statements[0].actions, ActionMatch::Action(vec![Pattern::new("a:b+c")]));
        assert_eq!(
            Policy::from_json("%7B%2").unwrap_err(),
            PolicyError::Encoding("a `%` is not followed by two hex digits".to_owned())
        );
        assert_eq!(
            Policy::from_json("%FF%FE").unwrap_err(),
            PolicyError::Encoding("the decoded bytes are not UTF-8".to_owned())
        );
        assert!(matches!(Policy::from_value(&Value::Bool(true)), Err(PolicyError::Shape { .. })));
    }

    #[test]
    fn unknown_elements_are_problems_not_errors() {
        let p = Policy::from_json(
            r#"{"Version":"2012-10-17","Colour":"blue","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Comment":"x"}}"#,
        )
        .unwrap();
        let paths: Vec<&str> = p.problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["Colour", "Statement.Comment"]);
        assert_eq!(p.problems[0].to_string(), "`Colour`: unknown policy element `Colour` is ignored");
        let old = Policy::from_json(r#"{"Version":"2099-01-01","Statement":[]}"#).unwrap();
        assert_eq!(old.problems.len(), 1);
        assert!(!old.supports_variables());
    }

    #[test]
    fn trust_policies_have_no_resource() {
        let p = Policy::from_json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .unwrap();
        assert_eq!(p.statements[0].resources, ResourceMatch::Unspecified);
    }
}
