//! mlguard's own evaluator of compiled Sigma rules (`SigmaSet::fast_matches`) says what
//! `rsigma-eval` says, rule by rule: on every recorded event, and on events generated from the
//! fields and values the 57 rules name (cases changed, pieces joined, non-ASCII characters,
//! values that are not strings).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use common::*;
use mlguard_trail::record::Record;
use mlguard_trail::sigma::SigmaSet;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use rsigma_eval::compiler::CompiledDetection;
use rsigma_eval::{evaluate_rule, CompiledMatcher, JsonEvent};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;

fn set() -> &'static SigmaSet {
    static SET: OnceLock<SigmaSet> = OnceLock::new();
    SET.get_or_init(sigma)
}

/// Every rule on one event: the fast evaluator (where a rule has it) against `rsigma-eval` over
/// the same `Record` and over the event as a `serde_json::Value`.
fn check(ev: &Value) -> Result<usize, String> {
    let set = set();
    let rec = Record::parse(serde_json::to_vec(ev).unwrap()).unwrap();
    let j = JsonEvent::borrow(ev);
    let mut hits = 0;
    for (i, rule) in set.engine().rules().iter().enumerate() {
        let Some(fast) = set.fast_matches(i, &rec) else { continue };
        let theirs = evaluate_rule(rule, &rec).is_some();
        let json = evaluate_rule(rule, &j).is_some();
        if fast != theirs || theirs != json {
            return Err(format!("rule `{}`: fast {fast}, rsigma on the record {theirs}, on the value {json}; event {ev}", rule.title));
        }
        hits += usize::from(fast);
    }
    Ok(hits)
}

#[test]
fn all_57_rules_take_the_fast_path() {
    let set = set();
    let slow: Vec<&str> = set.engine().rules().iter().enumerate().filter(|(i, _)| set.fast_matches(*i, &Record::new(json!({}))).is_none()).map(|(_, r)| r.title.as_str()).collect();
    eprintln!("rules evaluated by rsigma-eval: {slow:?}");
    assert_eq!(set.fast_rules(), set.loaded, "{} fast; slow: {slow:?}", set.fast_rules());
}

#[test]
fn fast_evaluation_equals_rsigma_on_recorded_events() {
    let mut events = Vec::new();
    for e in std::fs::read_dir(shared("data/cloudtrail/stratus-red-team")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x == "json").unwrap_or(false) {
            let v: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            events.extend(v);
        }
    }
    let panther = std::fs::read_to_string(shared("data/cloudtrail/panther-analysis-tests/cloudtrail_rule_tests.jsonl")).unwrap();
    for line in panther.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        events.push(v["event"].clone());
    }
    assert!(events.len() > 500, "{}", events.len());
    let mut hits = 0;
    for ev in &events {
        hits += check(ev).unwrap();
    }
    assert!(hits > 50, "{hits}");
}

/// (field path, the literal strings its items compare with) over all rules.
fn fields_and_values() -> Vec<(String, Vec<String>)> {
    fn lits(m: &CompiledMatcher, out: &mut BTreeSet<String>) {
        match m {
            CompiledMatcher::Exact { value, .. } | CompiledMatcher::Contains { value, .. } | CompiledMatcher::StartsWith { value, .. } | CompiledMatcher::EndsWith { value, .. } => {
                out.insert(value.clone());
            }
            CompiledMatcher::Not(x) => lits(x, out),
            CompiledMatcher::AnyOf(xs) | CompiledMatcher::AllOf(xs) | CompiledMatcher::CaseInsensitiveGroup { children: xs, .. } => xs.iter().for_each(|x| lits(x, out)),
            CompiledMatcher::Regex(re) => {
                out.insert(re.as_str().trim_start_matches("(?i)").replace(['.', '+', '*', '^', '$'], ""));
            }
            _ => {}
        }
    }
    fn walk(d: &CompiledDetection, out: &mut std::collections::BTreeMap<String, BTreeSet<String>>) {
        match d {
            CompiledDetection::AllOf(items) => {
                for i in items {
                    if let Some(f) = &i.field {
                        lits(&i.matcher, out.entry(f.clone()).or_default());
                    }
                }
            }
            CompiledDetection::AnyOf(ds) => ds.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for r in set().engine().rules() {
        for d in r.detections.values() {
            walk(d, &mut out);
        }
    }
    out.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

fn table() -> &'static Vec<(String, Vec<String>)> {
    static T: OnceLock<Vec<(String, Vec<String>)>> = OnceLock::new();
    T.get_or_init(fields_and_values)
}

/// Changes the case of a literal, character by character, by `mask`.
fn recase(s: &str, mask: u64) -> String {
    s.chars().enumerate().map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_uppercase().collect::<String>() } else { c.to_lowercase().collect() }).collect()
}

/// A value for a field: pieces of the rules' literals for it (or for any field), recased, with
/// extra characters; or a value that is not a string.
fn value(lits: Vec<String>, other: String, mask: u64, kind: u8, extra: &'static str) -> Value {
    let lit = lits.first().cloned().unwrap_or_default();
    let s = match kind % 8 {
        0 => recase(&lit, mask),
        1 => format!("{extra}{}{extra}", recase(&lit, mask)),
        2 => lits.iter().map(|l| recase(l, mask)).collect::<Vec<_>>().join(extra),
        3 => format!("{}{}", recase(&lit, mask), recase(&other, !mask)),
        4 => lit.clone(),
        5 => return json!([recase(&lit, mask), other]),
        6 => {
            return match mask % 5 {
                0 => Value::Null,
                1 => json!(7),
                2 => json!(true),
                3 => json!({"k": lit}),
                _ => json!(1.5),
            }
        }
        _ => recase(&lit, mask).chars().take((mask % 9) as usize).collect(),
    };
    Value::String(s)
}

fn set_path(ev: &mut Value, path: &str, v: Value) {
    let segs: Vec<&str> = path.split('.').collect();
    let mut cur = ev;
    for (k, seg) in segs.iter().enumerate() {
        let Some(obj) = cur.as_object_mut() else { return };
        if k + 1 == segs.len() {
            obj.insert(seg.to_string(), v);
            return;
        }
        cur = obj.entry(seg.to_string()).or_insert_with(|| json!({}));
    }
}

fn event() -> impl Strategy<Value = Value> {
    let n = table().len();
    let field = (0..n, prop::collection::vec(any::<prop::sample::Index>(), 1..4), any::<prop::sample::Index>(), any::<u64>(), any::<u8>(), prop::sample::select(vec!["", " ", "é", "É", "İ", "K", "ß", "\n", "-", "X"]));
    let named = (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u64>(), 0u8..12);
    (named, prop::collection::vec(field, 0..7)).prop_map(|((src, name, mask, kind), fields)| {
        let t = table();
        let mut ev = json!({});
        // A source and a name from the rules' literals (most rules need both), as is or recased.
        for (key, pick) in [("eventSource", src), ("eventName", name)] {
            if let Some((_, lits)) = t.iter().find(|(p, _)| p == key) {
                let l = lits[pick.index(lits.len())].clone();
                let v = match kind {
                    0 => recase(&l, mask),
                    1 => format!("{l}x"),
                    2 => continue,
                    _ => l,
                };
                set_path(&mut ev, key, Value::String(v));
            }
        }
        for (f, picks, other, mask, kind, extra) in fields {
            let (path, lits) = &t[f];
            let chosen: Vec<String> = if lits.is_empty() { vec![String::new()] } else { picks.iter().map(|p| lits[p.index(lits.len())].clone()).collect() };
            let (_, olits) = &t[other.index(t.len())];
            let o = olits.first().cloned().unwrap_or_default();
            set_path(&mut ev, path, value(chosen, o, mask, kind, extra));
        }
        ev
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]
    #[test]
    fn fast_evaluation_equals_rsigma_on_generated_events(ev in event()) {
        if let Err(e) = check(&ev) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The generated events do make rules fire (else the comparison above would prove little).
#[test]
fn generated_events_match_rules() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = event();
    let mut hits = 0;
    for _ in 0..5000 {
        let ev = strategy.new_tree(&mut runner).unwrap().current();
        hits += check(&ev).unwrap();
    }
    assert!(hits > 200, "{hits}");
}

/// Rules evaluated always, gated on a field their condition forces to a literal, match exactly
/// what evaluating every rule matches: values around the literals' lengths and four times
/// them, recased, with characters whose lower case has another length (`K` is the Kelvin sign,
/// three bytes that lower-case to `k`).
mod eq_gate {
    use super::*;

    fn set() -> &'static SigmaSet {
        static SET: OnceLock<SigmaSet> = OnceLock::new();
        SET.get_or_init(|| {
            let mut set = SigmaSet::default();
            for (i, v) in ["TruffleHog", "k", "Root"].iter().enumerate() {
                let y = format!("title: eq{i}\nid: eq{i}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    userAgent: '{v}'\n  condition: sel\nlevel: low\n");
                assert!(set.add_yaml(&format!("eq{i}.yml"), &y).is_empty());
            }
            assert_eq!(set.gates().len(), 3, "{:?}", set.gates());
            set
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn gated_rules_match_as_a_full_scan(parts in prop::collection::vec(prop::sample::select(vec!["TruffleHog", "trufflehog", "K", "k", "KK", "İ", "ROOT", "root", "x", "é", "Ⱥ", "aaaaaaaaaa"]), 0..6)) {
            let ua = parts.concat();
            let ev = json!({"eventName": "GetObject", "eventSource": "s3.amazonaws.com", "userAgent": ua});
            let rec = Record::parse(serde_json::to_vec(&ev).unwrap()).unwrap();
            let ours: BTreeSet<String> = set().matches(&rec).iter().map(|m| m.title.clone()).collect();
            let j = JsonEvent::borrow(&ev);
            let full: BTreeSet<String> = set().engine().rules().iter().filter_map(|r| evaluate_rule(r, &j)).map(|r| r.header.rule_title.clone()).collect();
            prop_assert_eq!(ours, full, "{}", ua);
        }
    }
}
