//! The `Condition` element: operators, their values, and how they meet the request context.
//!
//! A `Condition` block maps operators to keys to values. Several operators, and several keys
//! under one operator, are "evaluated using a logical AND"; several values of one key "using
//! a logical OR", and under a negated operator (`StringNotEquals`, `NotIpAddress`, …) "using a
//! logical NOR"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html>).
//! Key names are case-insensitive
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>).
//!
//! Missing keys (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>):
//! "If the key that you specify in a policy condition is not present in the request context,
//! the values do not match and the condition is false. If the policy condition requires that
//! the key is not matched, such as `StringNotLike` or `ArnNotLike`, and the right key is not
//! present, the condition is true." `…IfExists` turns a missing key into true; `Null` tests
//! presence (`"true"`: the key is absent). A key whose list of values is empty counts as absent.
//!
//! Set operators (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>):
//! `ForAllValues:` holds when every request value matches at least one policy value, and also
//! when the key is absent or "the key values in the request resolve to an empty data set (for
//! example, an empty string)"; `ForAnyValue:` holds when at least one request value matches
//! and is false for an absent key or an empty set. With a negated operator, "matches" reads
//! "matches none of the policy values". Without a set operator a multi-valued key matches
//! when any of its values does (negated: when none does).
//!
//! Policy variables are substituted in the values of the string and ARN operators only
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>); a
//! variable the request cannot fill makes the statement not apply, with a problem reported.
//!
//! An operator this module does not know, or a policy value that does not parse for its
//! operator (a date that is not a date), makes the condition — and so its statement — not
//! match; the reason travels as a problem, never as a panic.

use std::fmt;

use serde::Serialize;

use crate::values::{parse_date, parse_ip, parse_number, Cidr, Instant};
use crate::wildcard::{arn_like, Pattern, Unresolved};
use crate::Context;

/// A condition operator without its `ForAnyValue:`/`ForAllValues:` prefix or `IfExists` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(missing_docs)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Operator {
    /// Every operator this crate evaluates.
    pub const ALL: [Operator; 27] = [
        Operator::StringEquals,
        Operator::StringNotEquals,
        Operator::StringEqualsIgnoreCase,
        Operator::StringNotEqualsIgnoreCase,
        Operator::StringLike,
        Operator::StringNotLike,
        Operator::NumericEquals,
        Operator::NumericNotEquals,
        Operator::NumericLessThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThan,
        Operator::NumericGreaterThanEquals,
        Operator::DateEquals,
        Operator::DateNotEquals,
        Operator::DateLessThan,
        Operator::DateLessThanEquals,
        Operator::DateGreaterThan,
        Operator::DateGreaterThanEquals,
        Operator::Bool,
        Operator::BinaryEquals,
        Operator::IpAddress,
        Operator::NotIpAddress,
        Operator::ArnEquals,
        Operator::ArnLike,
        Operator::ArnNotEquals,
        Operator::ArnNotLike,
        Operator::Null,
    ];

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        match self {
            Operator::StringEquals => "StringEquals",
            Operator::StringNotEquals => "StringNotEquals",
            Operator::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Operator::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Operator::StringLike => "StringLike",
            Operator::StringNotLike => "StringNotLike",
            Operator::NumericEquals => "NumericEquals",
            Operator::NumericNotEquals => "NumericNotEquals",
            Operator::NumericLessThan => "NumericLessThan",
            Operator::NumericLessThanEquals => "NumericLessThanEquals",
            Operator::NumericGreaterThan => "NumericGreaterThan",
            Operator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Operator::DateEquals => "DateEquals",
            Operator::DateNotEquals => "DateNotEquals",
            Operator::DateLessThan => "DateLessThan",
            Operator::DateLessThanEquals => "DateLessThanEquals",
            Operator::DateGreaterThan => "DateGreaterThan",
            Operator::DateGreaterThanEquals => "DateGreaterThanEquals",
            Operator::Bool => "Bool",
            Operator::BinaryEquals => "BinaryEquals",
            Operator::IpAddress => "IpAddress",
            Operator::NotIpAddress => "NotIpAddress",
            Operator::ArnEquals => "ArnEquals",
            Operator::ArnLike => "ArnLike",
            Operator::ArnNotEquals => "ArnNotEquals",
            Operator::ArnNotLike => "ArnNotLike",
            Operator::Null => "Null",
        }
    }

    /// Whether the operator holds when none of its values match (and when its key is missing).
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
                | Operator::ArnNotEquals
                | Operator::ArnNotLike
        )
    }

    /// Operator names are matched case-insensitively.
    fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SetOperator {
    /// True when at least one request value matches; false when the key is absent or empty.
    ForAnyValue,
    /// True when every request value matches; also true when the key is absent or empty.
    ForAllValues,
}

/// A condition operator as written, taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct OperatorSpec {
    /// `ForAnyValue:` / `ForAllValues:`, if present.
    pub set: Option<SetOperator>,
    /// The base operator.
    pub operator: Operator,
    /// Whether the name ends in `IfExists` (a missing key then makes the condition true).
    pub if_exists: bool,
}

impl OperatorSpec {
    /// Parses `ForAnyValue:StringLikeIfExists` and the like; `None` for an unknown operator.
    /// `Null` takes neither a set operator nor `IfExists`.
    pub fn parse(name: &str) -> Option<OperatorSpec> {
        let (set, rest) = if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), r)
        } else if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
            (Some(SetOperator::ForAllValues), r)
        } else {
            (None, name)
        };
        let (base, if_exists) = match strip_suffix_ci(rest, "IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let operator = Operator::from_name(base)?;
        if operator == Operator::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(OperatorSpec { set, operator, if_exists })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

/// The policy values of one condition, parsed for its operator.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    /// String and ARN operators (wildcards only where the operator allows them).
    Strings(Vec<Pattern>),
    Numbers(Vec<f64>),
    Dates(Vec<Instant>),
    Ips(Vec<Cidr>),
    /// `Bool` and `BinaryEquals` compare text.
    Text(Vec<String>),
    /// `Null`: `true` means "the key is absent".
    Nulls(Vec<bool>),
}

/// One operator–key pair of a `Condition` block with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written, e.g. `ForAllValues:StringLike`.
    pub operator: String,
    /// The context key as written, e.g. `aws:PrincipalTag/team` (matched case-insensitively).
    pub key: String,
    /// The values as written (JSON numbers and booleans as their text).
    pub values: Vec<String>,
    /// The JSON path of the key, e.g. `Statement[2].Condition.StringEquals.aws:username`.
    pub path: String,
    parsed: Result<(OperatorSpec, Values), String>,
}

impl Condition {
    /// Builds a condition; `variables` enables `${...}` in string and ARN values (policy
    /// language version `2012-10-17`).
    pub fn new(operator: &str, key: &str, values: Vec<String>, variables: bool, path: String) -> Condition {
        let parsed = match OperatorSpec::parse(operator) {
            None => Err(format!("unknown condition operator `{operator}`; the statement is treated as not matching")),
            Some(spec) => parse_values(spec.operator, &values, variables).map(|v| (spec, v)),
        };
        Condition { operator: operator.to_owned(), key: key.to_owned(), values, path, parsed }
    }

    /// The operator taken apart, or `None` when it is unknown.
    pub fn spec(&self) -> Option<OperatorSpec> {
        self.parsed.as_ref().ok().map(|(s, _)| *s)
    }

    /// Why this condition can never match (unknown operator, a value that does not parse).
    pub fn problem(&self) -> Option<&str> {
        self.parsed.as_ref().err().map(String::as_str)
    }

    /// Whether the condition holds for `context`; an error says why it cannot be decided
    /// (the statement is then treated as not matching).
    pub fn evaluate(&self, context: &Context) -> Result<bool, String> {
        let (spec, values) = self.parsed.as_ref().map_err(Clone::clone)?;
        let present = crate::lookup(context, &self.key);
        if let Values::Nulls(wants) = values {
            return Ok(wants.iter().any(|&want_absent| want_absent == present.is_none()));
        }
        let negated = spec.operator.is_negated();
        // For set operators an empty string is an empty data set.
        let request: Vec<&str> = match present {
            Some(vs) if spec.set.is_some() => vs.iter().map(String::as_str).filter(|v| !v.is_empty()).collect(),
            Some(vs) => vs.iter().map(String::as_str).collect(),
            None => Vec::new(),
        };
        if request.is_empty() {
            return Ok(match spec.set {
                Some(SetOperator::ForAllValues) => true,
                Some(SetOperator::ForAnyValue) => spec.if_exists,
                None => spec.if_exists || negated,
            });
        }
        match spec.set {
            None => {
                for v in &request {
                    if self.any_value_matches(spec.operator, values, v, context)? {
                        return Ok(!negated);
                    }
                }
                Ok(negated)
            }
            Some(SetOperator::ForAnyValue) => {
                for v in &request {
                    if self.any_value_matches(spec.operator, values, v, context)? != negated {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Some(SetOperator::ForAllValues) => {
                for v in &request {
                    if self.any_value_matches(spec.operator, values, v, context)? == negated {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }

    /// Whether request value `v` matches at least one policy value under the positive form
    /// of `op` (`StringNotEquals` tests equality; the caller negates).
    fn any_value_matches(&self, op: Operator, values: &Values, v: &str, context: &Context) -> Result<bool, String> {
        use Operator as O;
        let unresolved = |u: Unresolved| {
            format!("policy variable `${{{}}}` has no single value in the request; the statement does not apply", u.key)
        };
        match values {
            Values::Strings(patterns) => {
                for p in patterns {
                    let hit = match op {
                        O::StringEquals | O::StringNotEquals => p.resolve_text(context).map_err(unresolved)? == v,
                        O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => {
                            eq_ignore_case(&p.resolve_text(context).map_err(unresolved)?, v)
                        }
                        O::StringLike | O::StringNotLike => p.matches_in(v, context, false).map_err(unresolved)?,
                        _ => arn_like(&p.resolve_text(context).map_err(unresolved)?, v),
                    };
                    if hit {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Values::Numbers(ns) => {
                let x = parse_number(v).ok_or_else(|| self.bad_request_value(v, "a number"))?;
                Ok(ns.iter().any(|&n| match op {
                    O::NumericLessThan => x < n,
                    O::NumericLessThanEquals => x <= n,
                    O::NumericGreaterThan => x > n,
                    O::NumericGreaterThanEquals => x >= n,
                    _ => x == n,
                }))
            }
            Values::Dates(ds) => {
                let x = parse_date(v).ok_or_else(|| self.bad_request_value(v, "an ISO 8601 date or epoch seconds"))?;
                Ok(ds.iter().any(|&d| match op {
                    O::DateLessThan => x < d,
                    O::DateLessThanEquals => x <= d,
                    O::DateGreaterThan => x > d,
                    O::DateGreaterThanEquals => x >= d,
                    _ => x == d,
                }))
            }
            Values::Ips(cidrs) => {
                let ip = parse_ip(v).ok_or_else(|| self.bad_request_value(v, "an IP address"))?;
                Ok(cidrs.iter().any(|c| c.contains(ip)))
            }
            Values::Text(ts) => Ok(match op {
                O::Bool => ts.iter().any(|t| t.eq_ignore_ascii_case(v)),
                _ => ts.iter().any(|t| t == v),
            }),
            Values::Nulls(_) => Ok(false),
        }
    }

    fn bad_request_value(&self, v: &str, expected: &str) -> String {
        format!("request value `{v}` of `{}` is not {expected}; the statement is treated as not matching", self.key)
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

fn parse_values(op: Operator, values: &[String], variables: bool) -> Result<Values, String> {
    use Operator as O;
    fn all<T>(values: &[String], what: &str, f: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
        values
            .iter()
            .map(|v| f(v).ok_or_else(|| format!("`{v}` is not {what}; the statement is treated as not matching")))
            .collect()
    }
    Ok(match op {
        O::StringEquals | O::StringNotEquals | O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => {
            Values::Strings(
                values
                    .iter()
                    .map(|v| if variables { Pattern::compile(v, false) } else { Pattern::literal(v) })
                    .collect(),
            )
        }
        O::StringLike | O::StringNotLike | O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => {
            Values::Strings(
                values.iter().map(|v| if variables { Pattern::with_variables(v) } else { Pattern::new(v) }).collect(),
            )
        }
        O::NumericEquals
        | O::NumericNotEquals
        | O::NumericLessThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThan
        | O::NumericGreaterThanEquals => Values::Numbers(all(values, "a number", parse_number)?),
        O::DateEquals
        | O::DateNotEquals
        | O::DateLessThan
        | O::DateLessThanEquals
        | O::DateGreaterThan
        | O::DateGreaterThanEquals => Values::Dates(all(values, "an ISO 8601 date or epoch seconds", parse_date)?),
        O::IpAddress | O::NotIpAddress => Values::Ips(all(values, "an IP address or CIDR block", Cidr::parse)?),
        O::Bool | O::BinaryEquals => Values::Text(values.to_vec()),
        O::Null => Values::Nulls(all(values, "`true` or `false`", |v| {
            if v.eq_ignore_ascii_case("true") {
                Some(true)
            } else if v.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &[&str])]) -> Context {
        pairs.iter().map(|(k, vs)| ((*k).to_owned(), vs.iter().map(|v| (*v).to_owned()).collect())).collect()
    }

    /// `check(condition_block, context, expected)`: the AND of every operator and key in a
    /// `Condition` block written as JSON, evaluated against `context`. `None` = undecidable.
    fn check(block: &str, context: &[(&str, &[&str])], expected: Option<bool>) {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{block}}}}}"#
        );
        let policy = crate::Policy::from_json(&doc).unwrap();
        let stmt = &policy.statements[0];
        let c = ctx(context);
        let mut got = Some(true);
        for cond in &stmt.conditions {
            match cond.evaluate(&c) {
                Ok(true) => {}
                Ok(false) => {
                    got = Some(false);
                    break;
                }
                Err(_) => got = None,
            }
        }
        assert_eq!(got, expected, "{block} with {context:?}");
    }

    const NONE: &[(&str, &[&str])] = &[];

    #[test]
    fn string_operators() {
        let john: &[(&str, &[&str])] = &[("aws:username", &["john"])];
        let big_john: &[(&str, &[&str])] = &[("aws:username", &["John"])];
        check(r#"{"StringEquals":{"aws:username":"john"}}"#, john, Some(true));
        check(r#"{"StringEquals":{"aws:username":"john"}}"#, big_john, Some(false));
        check(r#"{"StringEquals":{"aws:username":"john"}}"#, NONE, Some(false));
        check(r#"{"StringEquals":{"aws:username":"jo*"}}"#, john, Some(false));
        check(r#"{"StringNotEquals":{"aws:username":"john"}}"#, john, Some(false));
        check(r#"{"StringNotEquals":{"aws:username":"john"}}"#, big_john, Some(true));
        check(r#"{"StringNotEquals":{"aws:username":"john"}}"#, NONE, Some(true));
        check(r#"{"StringNotEquals":{"aws:username":["alice","john"]}}"#, john, Some(false));
        check(r#"{"StringEqualsIgnoreCase":{"aws:username":"JOHN"}}"#, big_john, Some(true));
        check(r#"{"StringNotEqualsIgnoreCase":{"aws:username":"JOHN"}}"#, big_john, Some(false));
        check(r#"{"StringNotEqualsIgnoreCase":{"aws:username":"JOHN"}}"#, NONE, Some(true));
        check(r#"{"StringLike":{"aws:username":"j?h*"}}"#, john, Some(true));
        check(r#"{"StringLike":{"aws:username":"j?h*"}}"#, big_john, Some(false));
        check(r#"{"StringLike":{"aws:username":"j?h*"}}"#, NONE, Some(false));
        check(r#"{"StringNotLike":{"aws:username":["a*","j*"]}}"#, john, Some(false));
        check(r#"{"StringNotLike":{"aws:username":["a*","j*"]}}"#, big_john, Some(true));
        check(r#"{"StringNotLike":{"aws:username":"j*"}}"#, NONE, Some(true));
        // Multiple values are OR'ed.
        check(r#"{"StringEquals":{"aws:username":["alice","john"]}}"#, john, Some(true));
    }

    #[test]
    fn keys_are_case_insensitive_values_are_not() {
        check(r#"{"StringEquals":{"AWS:UserName":"john"}}"#, &[("aws:username", &["john"])], Some(true));
        check(r#"{"StringEquals":{"aws:username":"john"}}"#, &[("Aws:Username", &["john"])], Some(true));
        check(
            r#"{"StringEquals":{"aws:ResourceTag/TagKey1":"Value1"}}"#,
            &[("aws:resourcetag/tagkey1", &["Value1"])],
            Some(true),
        );
        check(r#"{"stringequals":{"aws:username":"john"}}"#, &[("aws:username", &["john"])], Some(true));
    }

    #[test]
    fn multiple_keys_and_operators_are_anded() {
        let both: &[(&str, &[&str])] = &[("aws:RequestTag/project", &["x"]), ("aws:ResourceTag/env", &["dev"])];
        let prod: &[(&str, &[&str])] = &[("aws:RequestTag/project", &["x"]), ("aws:ResourceTag/env", &["production"])];
        let block =
            r#"{"StringLike":{"aws:RequestTag/project":"*"},"StringNotEquals":{"aws:ResourceTag/env":"production"}}"#;
        check(block, both, Some(true));
        check(block, prod, Some(false));
        check(block, &[("aws:ResourceTag/env", &["dev"])], Some(false));
        let two_keys = r#"{"StringEquals":{"aws:username":"john","aws:PrincipalTag/team":"ml"}}"#;
        check(two_keys, &[("aws:username", &["john"]), ("aws:PrincipalTag/team", &["ml"])], Some(true));
        check(two_keys, &[("aws:username", &["john"]), ("aws:PrincipalTag/team", &["web"])], Some(false));
    }

    #[test]
    fn numeric_operators() {
        let ten: &[(&str, &[&str])] = &[("s3:max-keys", &["10"])];
        check(r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, ten, Some(true));
        check(r#"{"NumericEquals":{"s3:max-keys":10}}"#, ten, Some(true));
        check(r#"{"NumericEquals":{"s3:max-keys":"10.0"}}"#, ten, Some(true));
        check(r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, ten, Some(false));
        check(r#"{"NumericNotEquals":{"s3:max-keys":"11"}}"#, ten, Some(true));
        check(r#"{"NumericNotEquals":{"s3:max-keys":"11"}}"#, NONE, Some(true));
        check(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, ten, Some(false));
        check(r#"{"NumericLessThan":{"s3:max-keys":"11"}}"#, ten, Some(true));
        check(r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, ten, Some(true));
        check(r#"{"NumericLessThanEquals":{"s3:max-keys":"9"}}"#, ten, Some(false));
        check(r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, ten, Some(false));
        check(r#"{"NumericGreaterThan":{"s3:max-keys":"9.5"}}"#, ten, Some(true));
        check(r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#, ten, Some(true));
        check(r#"{"NumericGreaterThanEquals":{"s3:max-keys":"11"}}"#, ten, Some(false));
        check(r#"{"NumericLessThan":{"s3:max-keys":"11"}}"#, NONE, Some(false));
        // A policy value that is not a number: never matches, reported.
        check(r#"{"NumericLessThan":{"s3:max-keys":"ten"}}"#, ten, None);
        // A request value that is not a number: undecidable.
        check(r#"{"NumericLessThan":{"s3:max-keys":"11"}}"#, &[("s3:max-keys", &["many"])], None);
    }

    #[test]
    fn date_operators() {
        let t: &[(&str, &[&str])] = &[("aws:CurrentTime", &["2020-06-30T12:00:00Z"])];
        check(r#"{"DateEquals":{"aws:CurrentTime":"2020-06-30T12:00:00Z"}}"#, t, Some(true));
        check(r#"{"DateEquals":{"aws:CurrentTime":"2020-06-30T14:00:00+02:00"}}"#, t, Some(true));
        check(r#"{"DateEquals":{"aws:CurrentTime":"1593518400"}}"#, t, Some(true));
        check(r#"{"DateNotEquals":{"aws:CurrentTime":"2020-06-30T12:00:00Z"}}"#, t, Some(false));
        check(r#"{"DateNotEquals":{"aws:CurrentTime":"2020-06-30"}}"#, t, Some(true));
        check(r#"{"DateLessThan":{"aws:CurrentTime":"2020-07-01"}}"#, t, Some(true));
        check(r#"{"DateLessThan":{"aws:CurrentTime":"2020-06-30T12:00:00Z"}}"#, t, Some(false));
        check(r#"{"DateLessThanEquals":{"aws:CurrentTime":"2020-06-30T12:00:00Z"}}"#, t, Some(true));
        check(r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-06-30"}}"#, t, Some(true));
        check(r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-06-30T12:00:00Z"}}"#, t, Some(false));
        check(r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-06-30T12:00:00Z"}}"#, t, Some(true));
        check(r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-07-01"}}"#, t, Some(false));
        // Epoch on the request side (aws:EpochTime).
        check(
            r#"{"DateLessThan":{"aws:EpochTime":"2020-07-01T00:00:00Z"}}"#,
            &[("aws:EpochTime", &["1593518400"])],
            Some(true),
        );
        // The documented TokenIssueTime example: missing key means false.
        check(r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#, NONE, Some(false));
        check(r#"{"DateGreaterThan":{"aws:CurrentTime":"not a date"}}"#, t, None);
    }

    #[test]
    fn bool_binary_and_null() {
        let https: &[(&str, &[&str])] = &[("aws:SecureTransport", &["true"])];
        let http: &[(&str, &[&str])] = &[("aws:SecureTransport", &["false"])];
        check(r#"{"Bool":{"aws:SecureTransport":"false"}}"#, http, Some(true));
        check(r#"{"Bool":{"aws:SecureTransport":"false"}}"#, https, Some(false));
        check(r#"{"Bool":{"aws:SecureTransport":false}}"#, http, Some(true));
        check(r#"{"Bool":{"aws:SecureTransport":"TRUE"}}"#, https, Some(true));
        check(r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#, NONE, Some(false));
        check(r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#, NONE, Some(true));
        check(
            r#"{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            &[("k", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="])],
            Some(true),
        );
        check(r#"{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, &[("k", &["AAAA"])], Some(false));
        check(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, NONE, Some(true));
        check(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, &[("aws:TokenIssueTime", &["2020-01-01"])], Some(false));
        check(r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, NONE, Some(false));
        check(r#"{"Null":{"aws:TokenIssueTime":false}}"#, &[("aws:TokenIssueTime", &["2020-01-01"])], Some(true));
        // An empty list of values is an absent key.
        check(r#"{"Null":{"aws:TagKeys":"true"}}"#, &[("aws:TagKeys", &[])], Some(true));
        check(r#"{"Null":{"k":"maybe"}}"#, NONE, None);
        check(r#"{"NullIfExists":{"k":"true"}}"#, NONE, None);
    }

    #[test]
    fn ip_operators() {
        let inside: &[(&str, &[&str])] = &[("aws:SourceIp", &["203.0.113.9"])];
        let outside: &[(&str, &[&str])] = &[("aws:SourceIp", &["198.51.100.1"])];
        let v6: &[(&str, &[&str])] = &[("aws:SourceIp", &["2001:db8:1234:5678::9"])];
        let both = r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#;
        check(both, inside, Some(true));
        check(both, outside, Some(false));
        check(both, v6, Some(true));
        check(both, &[("aws:SourceIp", &["2001:db8::1"])], Some(false));
        check(both, NONE, Some(false));
        check(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.9"}}"#, inside, Some(true));
        check(r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, inside, Some(false));
        check(r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, outside, Some(true));
        check(r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, v6, Some(true));
        check(r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, NONE, Some(true));
        check(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/99"}}"#, inside, None);
    }

    #[test]
    fn arn_operators() {
        let topic: &[(&str, &[&str])] = &[("aws:SourceArn", &["arn:aws:sns:us-east-2:123456789012:TOPIC-ID"])];
        check(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}"#, topic, Some(true));
        check(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, topic, Some(true));
        check(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, topic, Some(true));
        check(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}"#, topic, Some(false));
        check(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#, NONE, Some(false));
        check(r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, topic, Some(false));
        check(r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}"#, topic, Some(true));
        check(r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}"#, NONE, Some(true));
        // Components are matched one by one: `*` does not run across colons in the first five.
        check(
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
            &[("aws:SourceArn", &["arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/x"])],
            Some(false),
        );
        check(
            r#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
            &[("aws:SourceArn", &["arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/x"])],
            Some(true),
        );
    }

    #[test]
    fn if_exists() {
        let t2: &[(&str, &[&str])] = &[("ec2:InstanceType", &["t2.micro"])];
        let p3: &[(&str, &[&str])] = &[("ec2:InstanceType", &["p3.16xlarge"])];
        let like = r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#;
        check(like, t2, Some(true));
        check(like, p3, Some(false));
        check(like, NONE, Some(true));
        check(r#"{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#, NONE, Some(false));
        check(r#"{"StringNotEqualsIfExists":{"k":"v"}}"#, NONE, Some(true));
        check(r#"{"StringNotEqualsIfExists":{"k":"v"}}"#, &[("k", &["v"])], Some(false));
        check(r#"{"NumericLessThanIfExists":{"n":"3"}}"#, NONE, Some(true));
        check(r#"{"NumericLessThanIfExists":{"n":"3"}}"#, &[("n", &["4"])], Some(false));
        check(r#"{"DateLessThanIfExists":{"d":"2020-01-01"}}"#, NONE, Some(true));
        check(r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, NONE, Some(true));
        check(r#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}"#, NONE, Some(true));
        check(
            r#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}"#,
            &[("aws:SourceArn", &["arn:aws:s3:::c"])],
            Some(false),
        );
    }

    #[test]
    fn for_all_values() {
        let allowed =
            r#"{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}"#;
        check(allowed, &[("dynamodb:requestedAttributes", &["PostDateTime", "Message"])], Some(true));
        check(allowed, &[("dynamodb:requestedAttributes", &["PostDateTime", "UserName"])], Some(false));
        // The documented edge cases: an absent key, an empty set and an empty string are all true.
        check(allowed, NONE, Some(true));
        check(allowed, &[("dynamodb:requestedAttributes", &[])], Some(true));
        check(allowed, &[("dynamodb:requestedAttributes", &[""])], Some(true));
        // The documented Deny example: ForAllValues:StringNotLike with aws:TagKeys key1*.
        let deny = r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}"#;
        check(deny, &[("aws:TagKeys", &["key1:legal"])], Some(false));
        check(deny, &[("aws:TagKeys", &["key1:hr", "key1:personnel"])], Some(false));
        check(deny, &[("aws:TagKeys", &["key2:audit"])], Some(true));
        check(deny, NONE, Some(true));
        check(deny, &[("aws:TagKeys", &["key1:hr", "key2:audit"])], Some(false));
        check(r#"{"ForAllValues:NumericLessThan":{"n":"5"}}"#, &[("n", &["1", "4"])], Some(true));
        check(r#"{"ForAllValues:NumericLessThan":{"n":"5"}}"#, &[("n", &["1", "6"])], Some(false));
    }

    #[test]
    fn for_any_value() {
        let deny = r#"{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}"#;
        check(deny, &[("dynamodb:requestedAttributes", &["UserName", "Message", "PostDateTime"])], Some(true));
        check(deny, &[("dynamodb:requestedAttributes", &["UserName"])], Some(false));
        // The documented edge cases: an absent key, an empty set and an empty string are all false.
        check(deny, NONE, Some(false));
        check(deny, &[("dynamodb:requestedAttributes", &[])], Some(false));
        check(deny, &[("dynamodb:requestedAttributes", &[""])], Some(false));
        // Negated: true when some request value matches none of the policy values.
        let not = r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#;
        check(not, &[("aws:TagKeys", &["a", "b"])], Some(false));
        check(not, &[("aws:TagKeys", &["a", "c"])], Some(true));
        check(not, NONE, Some(false));
        // With IfExists an absent key is true.
        check(r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"team"}}"#, NONE, Some(true));
    }

    #[test]
    fn single_value_operator_on_a_multi_valued_key() {
        check(r#"{"StringEquals":{"k":"b"}}"#, &[("k", &["a", "b"])], Some(true));
        check(r#"{"StringNotEquals":{"k":"b"}}"#, &[("k", &["a", "b"])], Some(false));
        check(r#"{"StringNotEquals":{"k":"c"}}"#, &[("k", &["a", "b"])], Some(true));
    }

    #[test]
    fn variables_in_values() {
        let ctx_john: &[(&str, &[&str])] = &[("aws:username", &["john"]), ("s3:prefix", &["home/john/"])];
        check(r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}"#, ctx_john, Some(true));
        check(
            r#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#,
            &[("aws:username", &["ann"]), ("s3:prefix", &["home/john/x"])],
            Some(false),
        );
        check(
            r#"{"StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"}}"#,
            &[("aws:ResourceAccount", &["1"]), ("aws:PrincipalAccount", &["1"])],
            Some(true),
        );
        check(
            r#"{"StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"}}"#,
            &[("aws:ResourceAccount", &["1"]), ("aws:PrincipalAccount", &["2"])],
            Some(false),
        );
        // A variable the request cannot fill: undecidable (the statement does not apply).
        check(
            r#"{"StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"}}"#,
            &[("aws:ResourceAccount", &["1"])],
            None,
        );
        // Numeric operators take no variables: the value is not a number.
        check(r#"{"NumericEquals":{"n":"${x}"}}"#, &[("n", &["1"]), ("x", &["1"])], None);
    }

    #[test]
    fn variables_need_version_2012_10_17() {
        let doc = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"${aws:username}"}}}}"#;
        let p = crate::Policy::from_json(doc).unwrap();
        let c = &p.statements[0].conditions[0];
        assert_eq!(c.evaluate(&ctx(&[("k", &["${aws:username}"]), ("aws:username", &["x"])])), Ok(true));
        assert_eq!(c.evaluate(&ctx(&[("k", &["x"]), ("aws:username", &["x"])])), Ok(false));
    }

    #[test]
    fn unknown_operators_never_match_and_are_reported() {
        check(r#"{"StringFuzzyEquals":{"k":"v"}}"#, &[("k", &["v"])], None);
        check(r#"{"ForSomeValues:StringEquals":{"k":"v"}}"#, &[("k", &["v"])], None);
        check(r#"{"ForAllValues:Null":{"k":"true"}}"#, NONE, None);
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringFuzzyEquals":{"k":"v"}}}}"#;
        let p = crate::Policy::from_json(doc).unwrap();
        assert!(p.statements[0].conditions[0]
            .problem()
            .unwrap()
            .contains("unknown condition operator `StringFuzzyEquals`"));
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].path, "Statement.Condition.StringFuzzyEquals.k");
    }

    #[test]
    fn operator_names_parse() {
        assert_eq!(
            OperatorSpec::parse("ForAllValues:StringLikeIfExists"),
            Some(OperatorSpec {
                set: Some(SetOperator::ForAllValues),
                operator: Operator::StringLike,
                if_exists: true
            })
        );
        assert_eq!(
            OperatorSpec::parse("foranyvalue:stringequals"),
            Some(OperatorSpec {
                set: Some(SetOperator::ForAnyValue),
                operator: Operator::StringEquals,
                if_exists: false
            })
        );
        for op in Operator::ALL {
            assert_eq!(OperatorSpec::parse(op.name()).map(|s| s.operator), Some(op));
        }
        assert_eq!(OperatorSpec::parse("IfExists"), None);
        assert_eq!(OperatorSpec::parse(""), None);
    }
}
