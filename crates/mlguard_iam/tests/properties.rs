//! Property tests: the wildcard matcher against a naive reference, and the two laws of
//! evaluation that every policy set must obey (an applicable deny always wins; adding an
//! allow never takes access away when there is no deny).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlguard_iam::{
    action_matches, arn_like, wildcard_match, DecisionKind, NamedPolicy, Pattern, Policy, PolicySet, Request,
};
use proptest::prelude::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Wildcards
// ---------------------------------------------------------------------------------------------

/// The reference: a direct recursive reading of "`*` is any run, `?` is one character".
/// Exponential in the worst case, which is fine for the short strings generated here.
fn naive(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| naive(rest, &t[i..])),
        Some(('?', rest)) => !t.is_empty() && naive(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && naive(rest, &t[1..]),
    }
}

fn naive_str(p: &str, t: &str) -> bool {
    naive(&p.chars().collect::<Vec<_>>(), &t.chars().collect::<Vec<_>>())
}

/// Component-wise reference for `ArnLike`.
fn naive_arn(p: &str, t: &str) -> bool {
    let ps: Vec<&str> = p.splitn(6, ':').collect();
    if ps.len() < 6 {
        return naive_str(p, t);
    }
    let ts: Vec<&str> = t.splitn(6, ':').collect();
    ts.len() == 6 && ps.iter().zip(&ts).all(|(p, t)| naive_str(p, t))
}

fn pattern() -> impl Strategy<Value = String> {
    "[ab*?:/A]{0,10}"
}

fn text() -> impl Strategy<Value = String> {
    "[ab*?:/A]{0,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn matcher_agrees_with_the_reference(p in pattern(), t in text()) {
        let expected = naive_str(&p, &t);
        prop_assert_eq!(wildcard_match(&p, &t), expected);
        prop_assert_eq!(Pattern::new(&p).matches(&t), expected);
        prop_assert_eq!(Pattern::with_variables(&p).matches(&t), expected);
        prop_assert_eq!(action_matches(&p, &t), naive_str(&p.to_lowercase(), &t.to_lowercase()));
        prop_assert_eq!(arn_like(&p, &t), naive_arn(&p, &t));
    }

    #[test]
    fn matcher_agrees_on_texts_built_to_match(p in pattern(), fill in "[ab:/]{0,3}") {
        // Replace each wildcard by some text so that the pattern matches, then check both agree.
        let t: String = p.chars().map(|c| match c { '*' => fill.clone(), '?' => "b".to_owned(), c => c.to_string() }).collect();
        prop_assert!(naive_str(&p, &t));
        prop_assert!(wildcard_match(&p, &t));
    }
}

#[test]
fn no_exponential_backtracking() {
    let p = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    let t = "a".repeat(5000);
    let start = std::time::Instant::now();
    assert!(!wildcard_match(p, &t));
    assert!(!Pattern::new(p).matches(&t));
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Evaluation laws
// ---------------------------------------------------------------------------------------------

const PRINCIPAL: &str = "arn:aws:iam::111122223333:user/alice";
const ACTIONS: [&str; 6] =
    ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:PassRole", "sagemaker:CreateModel", "ec2:RunInstances"];
const RESOURCES: [&str; 5] = [
    "arn:aws:s3:::data/train.csv",
    "arn:aws:s3:::data",
    "arn:aws:s3:::logs/a",
    "arn:aws:iam::111122223333:role/Trainer",
    "arn:aws:sagemaker:us-east-1:111122223333:model/m",
];

fn action_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        prop::sample::select(ACTIONS.to_vec()).prop_map(str::to_owned),
        prop::sample::select(vec![
            "s3:*",
            "s3:Get*",
            "s3:*Object",
            "iam:*",
            "sagemaker:Create*",
            "ec2:?un*",
            "S3:GETOBJECT"
        ])
        .prop_map(str::to_owned),
    ]
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        prop::sample::select(RESOURCES.to_vec()).prop_map(str::to_owned),
        prop::sample::select(vec![
            "arn:aws:s3:::data*",
            "arn:aws:s3:::*/a",
            "arn:aws:iam::*:role/*",
            "arn:aws:*:us-east-1:*:*",
            "arn:aws:s3:::dat?"
        ])
        .prop_map(str::to_owned),
    ]
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalTag/team": "ml"}}))),
        1 => Just(Some(json!({"StringNotLike": {"aws:PrincipalTag/team": "web*"}}))),
        1 => Just(Some(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))),
    ]
}

/// A random statement with the given effect: Action or NotAction, Resource or NotResource,
/// maybe a condition.
fn statement(effect: &'static str) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop::collection::vec(action_pattern(), 1..3),
        any::<bool>(),
        prop::collection::vec(resource_pattern(), 1..3),
        condition(),
    )
        .prop_map(move |(not_action, actions, not_resource, resources, condition)| {
            let mut s = json!({"Effect": effect});
            s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
            s[if not_resource { "NotResource" } else { "Resource" }] = json!(resources);
            if let Some(c) = condition {
                s["Condition"] = c;
            }
            s
        })
}

fn document(statements: Vec<Value>) -> Policy {
    Policy::from_value(&json!({"Version": "2012-10-17", "Statement": statements})).unwrap()
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop::sample::select(ACTIONS.to_vec()),
        prop::sample::select(RESOURCES.to_vec()),
        prop::option::of(prop::sample::select(vec!["ml", "web", "data"])),
        prop::option::of(prop::sample::select(vec!["10.1.2.3", "192.0.2.1"])),
        prop::option::of(prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 0..3)),
    )
        .prop_map(|(action, resource, team, ip, tags)| {
            let mut r = Request::new(PRINCIPAL, action, resource);
            if let Some(t) = team {
                r = r.with("aws:PrincipalTag/team", [t]);
            }
            if let Some(ip) = ip {
                r = r.with("aws:SourceIp", [ip]);
            }
            if let Some(tags) = tags {
                r = r.with("aws:TagKeys", tags);
            }
            r
        })
}

/// Allow-only policies in every role: identity (1..3), maybe a boundary, maybe SCPs.
#[derive(Debug, Clone)]
struct Setup {
    identity: Vec<Vec<Value>>,
    boundary: Option<Vec<Value>>,
    scps: Vec<Vec<Value>>,
}

fn allows() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(statement("Allow"), 1..4)
}

fn setup() -> impl Strategy<Value = Setup> {
    (prop::collection::vec(allows(), 1..3), prop::option::of(allows()), prop::collection::vec(allows(), 0..2))
        .prop_map(|(identity, boundary, scps)| Setup { identity, boundary, scps })
}

fn decide(setup: &Setup, request: &Request) -> DecisionKind {
    let identity: Vec<NamedPolicy> = setup
        .identity
        .iter()
        .enumerate()
        .map(|(i, s)| NamedPolicy::new(format!("id{i}"), document(s.clone())))
        .collect();
    let boundary = setup.boundary.as_ref().map(|s| NamedPolicy::new("pb", document(s.clone())));
    let scps: Vec<NamedPolicy> =
        setup.scps.iter().enumerate().map(|(i, s)| NamedPolicy::new(format!("scp{i}"), document(s.clone()))).collect();
    let mut set = PolicySet::new(&identity).with_scps(&scps);
    if let Some(b) = &boundary {
        set = set.with_boundary(b);
    }
    let d = set.evaluate(request);
    assert_eq!(d.allowed, d.kind == DecisionKind::Allow);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    d.kind
}

/// A `Deny` statement built to match `request`: its exact action or a wildcard covering it,
/// its resource or `*`, and no condition or a condition that holds.
fn matching_deny(request: &Request, action_star: bool, resource_star: bool, with_if_exists: bool) -> Value {
    let action = if action_star {
        format!("{}*", &request.action[..request.action.find(':').unwrap() + 1])
    } else {
        request.action.to_uppercase()
    };
    let resource = if resource_star { "*".to_owned() } else { request.resource.clone() };
    let mut s = json!({"Effect": "Deny", "Action": action, "Resource": resource});
    if with_if_exists {
        s["Condition"] = json!({"StringNotEqualsIfExists": {"aws:PrincipalTag/never": "x"}});
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn an_applicable_deny_always_wins(
        setup in setup(),
        request in request(),
        star in (any::<bool>(), any::<bool>(), any::<bool>()),
        place in 0usize..4,
        extra_allow in statement("Allow"),
    ) {
        let deny = matching_deny(&request, star.0, star.1, star.2);
        let mut s = setup.clone();
        // Put the deny in an identity policy, the boundary, an SCP, or beside more allows.
        match place {
            0 => s.identity[0].push(deny),
            1 => s.boundary.get_or_insert_with(Vec::new).push(deny),
            2 => s.scps.push(vec![deny]),
            _ => s.identity.push(vec![extra_allow, deny]),
        }
        prop_assert_eq!(decide(&s, &request), DecisionKind::ExplicitDeny);
    }

    #[test]
    fn a_resource_policy_deny_always_wins(setup in setup(), request in request(), star in (any::<bool>(), any::<bool>())) {
        let mut deny = matching_deny(&request, star.0, star.1, false);
        deny["Principal"] = json!({"AWS": PRINCIPAL});
        let grant = json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"});
        let resource = NamedPolicy::new("res", document(vec![grant, deny]));
        let identity: Vec<NamedPolicy> =
            setup.identity.iter().enumerate().map(|(i, s)| NamedPolicy::new(format!("id{i}"), document(s.clone()))).collect();
        let d = PolicySet::new(&identity).with_resource(&resource).evaluate(&request);
        prop_assert_eq!(d.kind, DecisionKind::ExplicitDeny);
    }

    #[test]
    fn adding_an_allow_never_removes_access(
        setup in setup(),
        request in request(),
        extra in statement("Allow"),
        target in 0usize..4,
    ) {
        let before = decide(&setup, &request);
        prop_assert_ne!(before, DecisionKind::ExplicitDeny);
        let mut s = setup.clone();
        match target {
            0 => s.identity[0].push(extra),
            1 => s.identity.push(vec![extra]),
            // Into an existing boundary (creating one would add a policy, not an allow).
            2 => match s.boundary.as_mut() {
                Some(b) => b.push(extra),
                None => s.identity[0].push(extra),
            },
            _ => match s.scps.first_mut() {
                Some(scp) => scp.push(extra),
                None => s.identity[0].push(extra),
            },
        }
        let after = decide(&s, &request);
        prop_assert_ne!(after, DecisionKind::ExplicitDeny);
        if before == DecisionKind::Allow {
            prop_assert_eq!(after, DecisionKind::Allow);
        }
    }

    #[test]
    fn parsing_never_panics(text in ".{0,200}") {
        let _ = Policy::from_json(&text);
        let _ = Policy::from_json(&format!("{{\"Statement\":{text}}}"));
    }

    #[test]
    fn parsing_arbitrary_json_values_never_panics(v in arb_json()) {
        let _ = Policy::from_value(&v);
        let _ = Policy::from_value(&json!({"Version": "2012-10-17", "Statement": v.clone()}));
        let _ = Policy::from_value(&json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": v}}));
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[A-Za-z:*?${}/ ]{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["Allow", "Deny", "*", "StringEquals", "ForAllValues:StringLike", "2012-10-17"])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Principal",
                    "AWS",
                    "Condition",
                    "StringEquals",
                    "Null",
                    "k",
                    "Statement",
                    "Sid"
                ])
                .prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
