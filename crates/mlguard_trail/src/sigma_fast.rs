//! A second evaluator for the compiled Sigma rules whose shapes the CloudTrail rules use, with
//! `rsigma-eval` kept as the loader and the reference.
//!
//! `rsigma-eval` looks each detection up by name (SipHash) and lower-cases a copy of the value
//! for every case-insensitive comparison. [`FastRule`] is built from a [`CompiledRule`] once:
//! detections by position, selectors (`1 of selection_*`) resolved to positions, dotted field
//! paths split once, and string comparisons that fold ASCII case as they go, without a copy.
//! It takes a rule only when every part is one it understands:
//!
//! - conditions: identifiers, `and`, `or`, `not`, `N of` / `all of` over names or patterns;
//! - detections: `AllOf` items and `AnyOf` lists of detections (no keyword detections, no
//!   array scopes);
//! - items: a named field, with or without an existence check; their matchers: `Exact`,
//!   `Contains`, `StartsWith`, `EndsWith` (either case mode), `Null`, `Not`, `AnyOf`, `AllOf`,
//!   `CaseInsensitiveGroup` over case-insensitive children, and any other matcher (`|re`,
//!   `|fieldref`, ...) by calling `rsigma-eval`'s own matcher on the value.
//!
//! Anything else keeps `rsigma-eval`'s evaluation. A value that is not a string (numbers,
//! booleans, arrays, `null`, objects) also goes to `rsigma-eval`'s matcher, which converts it.
//!
//! Why folding is exact: `rsigma-eval` compares `s.to_lowercase()` (or, in a group,
//! `ascii_lowercase_cow(s)`, the same string) with values it stored lower-cased. For an ASCII
//! `s` that lower-cased copy is `s` with ASCII letters folded, byte for byte, so comparing
//! `s`'s bytes folded with the stored bytes gives the same answer; a non-ASCII `s` is
//! lower-cased with `str::to_lowercase` as `rsigma-eval` does (that output has no ASCII
//! capital, so folding it again changes nothing). `tests/sigma_fast.rs` compares every rule
//! with `rsigma-eval` on recorded and generated events.

use crate::record::Record;
use rsigma_eval::compiler::{CompiledDetection, CompiledDetectionItem, CompiledRule};
use rsigma_eval::event::{Event, EventValue};
use rsigma_eval::matcher::GroupMode;
use rsigma_eval::CompiledMatcher;
use rsigma_parser::{ConditionExpr, Quantifier};
use std::borrow::Cow;

/// A rule in the form [`FastRule::matches`] evaluates.
pub(crate) struct FastRule {
    /// Any of them holding makes the rule match.
    conds: Vec<Cond>,
    dets: Vec<Det>,
}

enum Cond {
    Det(usize),
    /// An identifier that names no detection.
    False,
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// At least `need` of the detections hold (`all of`: `need` is their number).
    Count { dets: Vec<usize>, need: u64 },
}

enum Det {
    All(Vec<Item>),
    Any(Vec<Det>),
}

/// A field path, prepared once for reading it from records as `rsigma-eval` reads it
/// (`Record::get_field`).
pub(crate) struct FieldPath {
    pub(crate) path: String,
    /// `path` split at `.` when it has a `.` and no `[` or `\\` (read with
    /// [`Record::get_dotted`]); empty otherwise.
    segs: Vec<String>,
    /// For a path with no `[` or `\\`: where its first segment is among the top-level members
    /// a record locates as it is parsed ([`Record::hot_slot`]), so no name is matched per read.
    slot: Option<u8>,
}

impl FieldPath {
    pub(crate) fn new(path: String) -> FieldPath {
        let plain = !path.contains(['[', '\\']);
        let segs: Vec<String> = if path.contains('.') && plain { path.split('.').map(str::to_string).collect() } else { Vec::new() };
        let slot = if !plain {
            None
        } else {
            segs.first().map_or(Some(path.as_str()), |s| Some(s.as_str())).and_then(Record::hot_slot)
        };
        FieldPath { path, segs, slot }
    }

    /// `f` of the string `get` reads, or of `None` when it reads something else or nothing;
    /// without building the value where the record can tell directly.
    #[inline]
    pub(crate) fn with_str<R>(&self, rec: &Record, f: impl FnOnce(Option<&str>) -> R) -> R {
        if let Some(v) = self.slot.and_then(|slot| rec.hot_str_at(slot, &self.segs)) {
            return f(v);
        }
        match self.get(rec) {
            Some(EventValue::Str(s)) => f(Some(&s)),
            _ => f(None),
        }
    }

    /// What `rec.get_field(&self.path)` gives.
    #[inline]
    pub(crate) fn get<'r>(&self, rec: &'r Record) -> Option<EventValue<'r>> {
        match (self.slot, self.segs.is_empty()) {
            (Some(slot), true) => rec.get_hot(slot),
            (Some(slot), false) => rec.get_dotted_hot(slot, &self.path, &self.segs),
            (None, true) => rec.get_field(&self.path),
            (None, false) => rec.get_dotted(&self.path, &self.segs),
        }
    }
}

struct Item {
    field: FieldPath,
    exists: Option<bool>,
    m: M,
    /// Whether `m` compares case-insensitively anywhere (its haystack then needs folding).
    ci: bool,
    /// `rsigma-eval`'s matcher, for values that are not strings.
    orig: CompiledMatcher,
    null: bool,
}

enum M {
    Eq(Box<[u8]>, bool),
    Contains(Box<[u8]>, bool),
    Starts(Box<[u8]>, bool),
    Ends(Box<[u8]>, bool),
    Null,
    Not(Box<M>),
    Any(Vec<M>),
    All(Vec<M>),
    /// Children matched against the lower-cased value.
    Group(Vec<M>, GroupMode),
    /// `rsigma-eval`'s matcher on the string (on the lower-cased string inside a group).
    Other(CompiledMatcher),
}

impl FastRule {
    /// The fast form of `rule`, or `None` when some part of it is not one this module knows.
    pub(crate) fn new(rule: &CompiledRule) -> Option<FastRule> {
        let names: Vec<&String> = rule.detections.keys().collect();
        let mut dets = Vec::with_capacity(names.len());
        for n in &names {
            dets.push(Det::new(rule.detections.get(*n)?)?);
        }
        let conds = rule.conditions.iter().map(|c| Cond::new(c, &names)).collect::<Option<Vec<_>>>()?;
        Some(FastRule { conds, dets })
    }

    /// What `rsigma_eval::evaluate_rule(rule, rec).is_some()` says.
    pub(crate) fn matches(&self, rec: &Record) -> bool {
        self.conds.iter().any(|c| c.eval(&self.dets, rec))
    }
}

impl Cond {
    fn new(c: &ConditionExpr, names: &[&String]) -> Option<Cond> {
        Some(match c {
            ConditionExpr::Identifier(n) => match names.iter().position(|x| *x == n) {
                Some(i) => Cond::Det(i),
                None => Cond::False,
            },
            ConditionExpr::And(xs) => Cond::And(xs.iter().map(|x| Cond::new(x, names)).collect::<Option<_>>()?),
            ConditionExpr::Or(xs) => Cond::Or(xs.iter().map(|x| Cond::new(x, names)).collect::<Option<_>>()?),
            ConditionExpr::Not(x) => Cond::Not(Box::new(Cond::new(x, names)?)),
            ConditionExpr::Selector { quantifier, pattern } => {
                let dets: Vec<usize> = names.iter().enumerate().filter(|(_, n)| pattern.matches_detection_name(n)).map(|(i, _)| i).collect();
                let need = match quantifier {
                    Quantifier::Any => 1,
                    Quantifier::All => dets.len() as u64,
                    Quantifier::Count(n) => *n,
                };
                Cond::Count { dets, need }
            }
        })
    }

    fn eval(&self, dets: &[Det], rec: &Record) -> bool {
        match self {
            Cond::Det(i) => dets.get(*i).is_some_and(|d| d.eval(rec)),
            Cond::False => false,
            Cond::And(xs) => xs.iter().all(|x| x.eval(dets, rec)),
            Cond::Or(xs) => xs.iter().any(|x| x.eval(dets, rec)),
            Cond::Not(x) => !x.eval(dets, rec),
            Cond::Count { dets: ds, need } => {
                if *need == 0 {
                    return true;
                }
                let mut n = 0u64;
                for i in ds {
                    if dets.get(*i).is_some_and(|d| d.eval(rec)) {
                        n += 1;
                        if n >= *need {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }
}

impl Det {
    fn new(d: &CompiledDetection) -> Option<Det> {
        match d {
            CompiledDetection::AllOf(items) => Some(Det::All(items.iter().map(Item::new).collect::<Option<_>>()?)),
            CompiledDetection::AnyOf(ds) => Some(Det::Any(ds.iter().map(Det::new).collect::<Option<_>>()?)),
            _ => None,
        }
    }

    fn eval(&self, rec: &Record) -> bool {
        match self {
            Det::All(items) => items.iter().all(|i| i.eval(rec)),
            Det::Any(ds) => ds.iter().any(|d| d.eval(rec)),
        }
    }
}

impl Item {
    fn new(i: &CompiledDetectionItem) -> Option<Item> {
        let field = FieldPath::new(i.field.clone()?);
        let m = M::new(&i.matcher, false)?;
        Some(Item { field, exists: i.exists, ci: m.folds(), m, orig: i.matcher.clone(), null: matches!(i.matcher, CompiledMatcher::Null) })
    }

    fn eval(&self, rec: &Record) -> bool {
        let v = self.field.get(rec);
        if let Some(expect) = self.exists {
            return v.is_some_and(|v| !v.is_null()) == expect;
        }
        match v {
            Some(EventValue::Str(s)) => {
                if self.ci && !s.is_ascii() {
                    let low = s.to_lowercase();
                    self.m.eval(&s, low.as_bytes(), false, rec)
                } else {
                    self.m.eval(&s, s.as_bytes(), false, rec)
                }
            }
            Some(v) => self.orig.matches(&v, rec),
            None => self.null,
        }
    }
}

impl M {
    /// `in_group`: a child of a `CaseInsensitiveGroup`, which `rsigma-eval` matches with
    /// `matches_pre_lowered`; only the children that function handles are taken there.
    fn new(m: &CompiledMatcher, in_group: bool) -> Option<M> {
        let text = |v: &String| v.as_bytes().to_vec().into_boxed_slice();
        Some(match m {
            CompiledMatcher::Exact { value, case_insensitive } if *case_insensitive || !in_group => M::Eq(text(value), *case_insensitive),
            CompiledMatcher::Contains { value, case_insensitive } if *case_insensitive || !in_group => M::Contains(text(value), *case_insensitive),
            CompiledMatcher::StartsWith { value, case_insensitive } if *case_insensitive || !in_group => M::Starts(text(value), *case_insensitive),
            CompiledMatcher::EndsWith { value, case_insensitive } if *case_insensitive || !in_group => M::Ends(text(value), *case_insensitive),
            CompiledMatcher::Null if !in_group => M::Null,
            CompiledMatcher::Not(x) => M::Not(Box::new(M::new(x, in_group)?)),
            CompiledMatcher::AnyOf(xs) => M::Any(xs.iter().map(|x| M::new(x, in_group)).collect::<Option<_>>()?),
            CompiledMatcher::AllOf(xs) => M::All(xs.iter().map(|x| M::new(x, in_group)).collect::<Option<_>>()?),
            CompiledMatcher::CaseInsensitiveGroup { children, mode } => M::Group(children.iter().map(|x| M::new(x, true)).collect::<Option<_>>()?, *mode),
            CompiledMatcher::Regex(_) | CompiledMatcher::RegexSetMatch { .. } => M::Other(m.clone()),
            // Not in a group: matching it on the lower-cased string would lower-case it again.
            CompiledMatcher::AhoCorasickSet { .. } if !in_group => M::Other(m.clone()),
            // Matchers that read other fields or convert the value (`fieldref`, numbers, ...)
            // are `rsigma-eval`'s business, but not inside a group (which would hand them the
            // lower-cased string).
            CompiledMatcher::FieldRef { .. } | CompiledMatcher::Cidr(_) | CompiledMatcher::Exists(_) | CompiledMatcher::BoolEq(_) if !in_group => M::Other(m.clone()),
            _ => return None,
        })
    }

    fn folds(&self) -> bool {
        match self {
            M::Eq(_, ci) | M::Contains(_, ci) | M::Starts(_, ci) | M::Ends(_, ci) => *ci,
            M::Null | M::Other(_) => false,
            M::Not(x) => x.folds(),
            M::Any(xs) | M::All(xs) => xs.iter().any(M::folds),
            M::Group(..) => true,
        }
    }

    /// The matcher on the string `s`; `h` is `s` when it is ASCII, else `s.to_lowercase()`
    /// (only read by case-insensitive comparisons, which fold ASCII letters as they go).
    fn eval(&self, s: &str, h: &[u8], in_group: bool, rec: &Record) -> bool {
        match self {
            M::Eq(v, ci) => {
                if *ci {
                    fold_eq(h, v)
                } else {
                    s.as_bytes() == &v[..]
                }
            }
            M::Contains(v, ci) => {
                if *ci {
                    fold_find(h, v)
                } else {
                    memchr::memmem::find(s.as_bytes(), v).is_some()
                }
            }
            M::Starts(v, ci) => {
                if *ci {
                    h.get(..v.len()).is_some_and(|p| fold_eq(p, v))
                } else {
                    s.as_bytes().starts_with(v)
                }
            }
            M::Ends(v, ci) => {
                if *ci {
                    h.len() >= v.len() && h.get(h.len() - v.len()..).is_some_and(|p| fold_eq(p, v))
                } else {
                    s.as_bytes().ends_with(v)
                }
            }
            M::Null => false,
            M::Not(x) => !x.eval(s, h, in_group, rec),
            M::Any(xs) => xs.iter().any(|x| x.eval(s, h, in_group, rec)),
            M::All(xs) => xs.iter().all(|x| x.eval(s, h, in_group, rec)),
            M::Group(xs, mode) => match mode {
                GroupMode::Any => xs.iter().any(|x| x.eval(s, h, true, rec)),
                GroupMode::All => xs.iter().all(|x| x.eval(s, h, true, rec)),
            },
            M::Other(m) => {
                if in_group {
                    let low = rsigma_eval::matcher::ascii_lowercase_cow(s);
                    m.matches(&EventValue::Str(low), rec)
                } else {
                    m.matches(&EventValue::Str(Cow::Borrowed(s)), rec)
                }
            }
        }
    }
}

/// Whether `h` with its ASCII capitals folded is `v`: eight bytes at a time (see [`lower8`]),
/// then byte by byte.
#[inline]
fn fold_eq(h: &[u8], v: &[u8]) -> bool {
    if h.len() != v.len() {
        return false;
    }
    let (mut hw, mut vw) = (h.chunks_exact(8), v.chunks_exact(8));
    for (a, b) in (&mut hw).zip(&mut vw) {
        if lower8(word(a)) != word(b) {
            return false;
        }
    }
    hw.remainder().iter().zip(vw.remainder()).all(|(a, b)| a.to_ascii_lowercase() == *b)
}

/// Eight bytes as a little-endian word (`c` is a `chunks_exact(8)` chunk).
#[inline]
fn word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(c);
    u64::from_le_bytes(w)
}

/// `u8::to_ascii_lowercase` of each byte of `x`. For a byte below 0x80, adding 0x3F (0x25)
/// sets its top bit exactly when it is at least `A` (above `Z`), with no carry into the next
/// byte; a capital then gets 0x20, its top-bit flag shifted down two places.
#[inline]
fn lower8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOP: u64 = ONES * 0x80;
    let low7 = x & !TOP;
    let from_a = low7 + ONES * (0x80 - u64::from(b'A'));
    let past_z = low7 + ONES * (0x80 - u64::from(b'Z') - 1);
    let capital = from_a & !past_z & !x & TOP;
    x | (capital >> 2)
}

/// Whether `h` with its ASCII capitals folded contains `v`.
fn fold_find(h: &[u8], v: &[u8]) -> bool {
    let Some(&first) = v.first() else { return true };
    if h.len() < v.len() {
        return false;
    }
    // Where `v` could start: its first byte, or that byte's capital (which folds to it; for
    // a capital `first`, that is itself, and the comparison below rejects it).
    let last = h.len() - v.len();
    let upper = first.to_ascii_uppercase();
    let mut from = 0;
    while from <= last {
        let window = h.get(from..=last).unwrap_or(&[]);
        let Some(k) = (if upper != first { memchr::memchr2(first, upper, window) } else { memchr::memchr(first, window) }) else { return false };
        let at = from + k;
        if h.get(at..at + v.len()).is_some_and(|t| fold_eq(t, v)) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]
    use super::{fold_eq, fold_find, lower8, FieldPath};
    use crate::record::Record;
    use proptest::prelude::*;
    use rsigma_eval::event::Event;

    /// A prepared path reads what `get_field` reads, for the names a record locates as it is
    /// parsed and others, through objects, arrays, flat keys with dots and missing members.
    #[test]
    fn field_paths_read_as_get_field() {
        let records = [
            r#"{"eventName":"A","eventSource":"s","userAgent":"ua","userIdentity":{"type":"Root","arn":"x","sessionContext":{"sessionIssuer":{"type":"Role"}}},"requestParameters":{"a":[{"b":1},{"b":"two"}],"c":null},"errorCode":null}"#,
            r#"{"userIdentity":[{"type":"Root"},{"type":"IAMUser","arn":"y"}],"userAgent":7,"eventName":["A","B"]}"#,
            r#"{"userIdentity.type":"flat","userIdentity":{"type":"nested"},"eventName":"N"}"#,
            r#"{"userIdentity":"scalar","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}}"#,
            r#"{}"#,
            r#"{"eventName":"A","eventName":"B","userIdentity":{"type":"T","type":"U"}}"#,
        ];
        let paths = [
            "eventName", "eventSource", "eventID", "eventTime", "eventType", "errorCode", "awsRegion", "sourceIPAddress", "userAgent", "recipientAccountId", "userIdentity",
            "requestParameters", "responseElements", "additionalEventData", "errorMessage", "other", "userIdentity.type", "userIdentity.arn",
            "userIdentity.sessionContext.sessionIssuer.type", "requestParameters.a.b", "requestParameters.c", "requestParameters.a[0].b", "responseElements.ConsoleLogin",
            "additionalEventData.MFAUsed", "eventName.x", "other.x", "userIdentity\\.type",
        ];
        for t in records {
            let rec = Record::parse(t.as_bytes().to_vec()).unwrap();
            for p in paths {
                let fp = FieldPath::new(p.to_string());
                assert_eq!(fp.get(&rec), rec.get_field(p), "{p} in {t}");
                let want = match rec.get_field(p) {
                    Some(rsigma_eval::event::EventValue::Str(s)) => Some(s.into_owned()),
                    _ => None,
                };
                assert_eq!(fp.with_str(&rec, |s| s.map(str::to_string)), want, "{p} in {t}");
            }
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["a", "A", "b", "B", "z", "Z", "@", "[", "é", "É", "K", "İ", "ß", ":", ""]), 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The word-at-a-time fold is `to_ascii_lowercase` of each byte (words biased to the
        /// bytes around the letters' bounds and with the top bit set).
        #[test]
        fn lower8_folds_each_byte(bytes in prop::collection::vec(prop_oneof![any::<u8>(), prop::sample::select(vec![0x40u8, b'A', b'Z', 0x5b, 0x60, b'a', b'z', 0x7b, 0xc0, 0xc1, 0xda, 0xdb, 0x7f, 0x80, 0xff])], 8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes);
            let want: Vec<u8> = bytes.iter().map(u8::to_ascii_lowercase).collect();
            prop_assert_eq!(lower8(u64::from_le_bytes(w)).to_le_bytes().to_vec(), want);
        }

        /// Folding as it compares equals lower-casing a copy, as `rsigma-eval` does.
        #[test]
        fn folding_equals_lower_casing(s in text(), v in text()) {
            let v = v.to_lowercase();
            let low = s.to_lowercase();
            let h = if s.is_ascii() { s.as_bytes() } else { low.as_bytes() };
            prop_assert_eq!(fold_eq(h, v.as_bytes()), low == v);
            prop_assert_eq!(fold_find(h, v.as_bytes()), low.contains(v.as_str()));
            // Values not lower-cased (never stored so, but the comparison must not care).
            let raw = v.to_uppercase();
            prop_assert_eq!(fold_eq(h, raw.as_bytes()), low == raw);
            prop_assert_eq!(fold_find(h, raw.as_bytes()), low.contains(raw.as_str()));
        }
    }
}
