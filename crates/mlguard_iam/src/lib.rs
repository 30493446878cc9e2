//! The IAM policy evaluator: can principal P do action A on resource R, and which statement
//! decided?
//!
//! [`Policy::from_value`] / [`Policy::from_json`] parse a policy document as
//! `aws iam get-account-authorization-details` prints it (a JSON object, or URL-encoded JSON in
//! a string) into [`Statement`]s with compiled wildcard [`Pattern`]s and typed [`Condition`]s.
//! A [`PolicySet`] gathers what applies to one principal — identity-based policies, an optional
//! resource-based policy, permissions boundary and SCPs — and [`PolicySet::evaluate`] answers a
//! [`Request`] with a [`Decision`]: explicit deny, allow or implicit deny, the
//! [`StatementRef`]s that decided, and any [`Problem`]s met on the way.
//!
//! ```
//! use mlguard_iam::{NamedPolicy, Policy, PolicySet, Request, DecisionKind};
//!
//! let policy = Policy::from_json(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [
//!         {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::data/*"},
//!         {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/secret/*"}
//!     ]
//! }"#)?;
//! let named = NamedPolicy::new("reader", policy);
//! let set = PolicySet::new([&named]);
//! let alice = "arn:aws:iam::111122223333:user/alice";
//!
//! let ok = set.evaluate(&Request::new(alice, "s3:GetObject", "arn:aws:s3:::data/train.csv"));
//! assert_eq!(ok.kind, DecisionKind::Allow);
//! assert_eq!(ok.matched[0].sid.as_deref(), Some("Read"));
//!
//! let no = set.evaluate(&Request::new(alice, "s3:GetObject", "arn:aws:s3:::data/secret/key"));
//! assert_eq!(no.kind, DecisionKind::ExplicitDeny);
//!
//! let actions = ["s3:GetObject", "s3:PutObject", "s3:GetObjectTagging"];
//! let context = Default::default();
//! assert_eq!(
//!     set.allowed_actions(alice, "arn:aws:s3:::data/x", &context, &actions),
//!     ["s3:GetObject", "s3:GetObjectTagging"]
//! );
//! # Ok::<(), mlguard_iam::PolicyError>(())
//! ```
//!
//! Semantics follow the AWS IAM User Guide, cited where each rule is implemented:
//! [`wildcard`] (actions, ARNs, policy variables), [`condition`] (operators, missing keys,
//! `…IfExists`, `ForAnyValue:`/`ForAllValues:`), [`policy`] (the grammar) and [`eval`] (the
//! evaluation order). Problems never panic: a condition that cannot be decided makes its
//! statement not match and is reported.
//!
//! This crate does no I/O and knows nothing about the AWS SDK; it ships no catalogue of AWS
//! actions (callers pass the action lists they care about to [`PolicySet::allowed_actions`]
//! and [`expand_action`]).

pub mod condition;
pub mod eval;
pub mod exposure;
pub mod policy;
mod values;
pub mod wildcard;

use std::collections::HashMap;

pub use condition::{Condition, Operator, OperatorSpec, SetOperator};
pub use eval::{
    evaluate_policy, Decision, DecisionKind, Gate, NamedPolicy, PolicyKind, PolicyOutcome, PolicySet, Request,
    StatementRef,
};
pub use exposure::{exposure, Exposure};
pub use values::days_from_civil;
pub use policy::{
    ActionMatch, Effect, Policy, PolicyError, PrincipalId, PrincipalMatch, Problem, ResourceMatch, Statement,
};
pub use wildcard::{action_matches, arn_like, expand_action, wildcard_match, Pattern};

/// A request context: condition key → values (one value for single-valued keys).
pub type Context = HashMap<String, Vec<String>>;

/// The values of `key` in `context`, matching the key case-insensitively; `None` when the key
/// is absent or has no values.
pub fn lookup<'c>(context: &'c Context, key: &str) -> Option<&'c [String]> {
    let values = match context.get(key) {
        Some(v) => Some(v),
        None => context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v),
    };
    values.map(Vec::as_slice).filter(|v| !v.is_empty())
}
