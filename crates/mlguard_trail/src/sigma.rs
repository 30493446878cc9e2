//! SigmaHQ rules, loaded unmodified and evaluated with `rsigma-eval`.
//!
//! Why `rsigma`: it is maintained, MIT-licensed, parses every rule of SigmaHQ's AWS CloudTrail
//! set (modifiers such as `contains|all`, `re`, `fieldref`, `null` values, dotted paths into
//! nested JSON, `1 of selection_*`, `not`), and compiles rules once for evaluation. Version 0.21
//! is the newest whose `rust-version` the workspace's 1.88 satisfies.
//!
//! `rsigma-eval` parses, compiles and is the reference; the compiled rules are evaluated by
//! mlguard's own evaluator (module `sigma_fast`) where it understands every part of a rule
//! (all 57 CloudTrail rules), which gives the same answers without `rsigma-eval`'s
//! lower-cased copy per comparison and detection lookups by name (`tests/sigma_fast.rs`
//! compares the two rule by rule).
//!
//! A finding from a Sigma rule has the id `SIGMA-` followed by the rule's file stem, e.g.
//! `SIGMA-aws_cloudtrail_disable_logging`; its severity is the rule's `level`.

use crate::baseline::{Slim, F_ACCOUNT, F_ACTOR, F_ID, F_IP, F_NAME, F_PRINCIPAL, F_REGION};
use crate::record::Record;
use mlguard_core::{Diagnostic, Finding, Reference, Severity};
use rsigma_eval::Engine;
use crate::fast::FastMap;
use crate::sigma_fast::{FastRule, FieldPath};
use rsigma_parser::{ConditionExpr, Detection, DetectionItem, Modifier, Quantifier, SigmaValue, StringPart};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// What a finding needs to know about a loaded rule.
#[derive(Debug, Clone)]
pub struct SigmaMeta {
    /// `SIGMA-<file stem>`.
    pub finding_id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub file: String,
    /// ATT&CK technique ids from `attack.tNNNN` tags, upper-cased.
    pub techniques: Vec<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    /// Built once: the remediation and references every finding of this rule carries.
    pub remediation: String,
    pub finding_refs: Vec<Reference>,
    /// The constant parts of a finding's JSON (see [`write_finding_json`]).
    json: FindingJson,
}

/// A Sigma finding's JSON text, as `serde_json` writes its [`Finding`], cut where the parts
/// that depend on the record go.
#[derive(Debug, Clone, Default)]
struct FindingJson {
    /// `{"rule_id":…,"severity":…,"title":"` and the escaped rule title, the string left open.
    head: String,
    /// The trimmed description as a JSON string.
    description: String,
    /// `,"sigma_rule":…,"mitre_attack":[…]},"remediation":…,"references":[…]}`
    tail: String,
}

/// A set of compiled Sigma rules.
pub struct SigmaSet {
    engine: Engine,
    /// By Sigma rule id (or title when a rule has no id).
    meta: HashMap<String, usize>,
    /// Position in `engine.rules()` → its metadata.
    list: Vec<SigmaMeta>,
    index: RuleIndex,
    /// Position in `engine.rules()` → its [`FastRule`] form, when it has one.
    fast: Vec<Option<FastRule>>,
    pub loaded: usize,
}

impl Default for SigmaSet {
    fn default() -> Self {
        SigmaSet { engine: Engine::new(), meta: HashMap::new(), list: Vec::new(), index: RuleIndex::default(), fast: Vec::new(), loaded: 0 }
    }
}

/// Which rules a record can match, from its `eventName` or `eventSource`.
///
/// Most CloudTrail rules select on literal event names or sources. A rule is filed under the
/// (ASCII-lowercased) literals of `eventName` when its condition cannot be true unless
/// `eventName` equals one of them (plain values without modifiers or wildcards, Sigma's
/// default case-insensitive equality), else under those of `eventSource`, else it is always
/// evaluated. `not`, `1 of` over selections of which one is unconstrained, keyword
/// selections, modifiers (`contains`, `re`, ...), wildcards, `null` and non-string values all
/// leave a rule unconstrained. A record whose `eventName` or `eventSource` is not a plain
/// ASCII string is evaluated against every rule. `tests/sigma_rules.rs` compares this with
/// evaluating every rule on every event of the Stratus, Panther and synthetic records.
///
/// A rule evaluated always is gated the same way on another field when its condition forces
/// that field to one of some literals (`userAgent: TruffleHog`, `userIdentity.type: Root`): it is
/// skipped for a record where the field (read as the Sigma engine reads it) is an ASCII string
/// equal to none of them, and evaluated otherwise. Of the fields with the fewest literals, the
/// one with the shortest path gates (a cheaper read), and rules gated on the same field share
/// one read of it per record.
#[derive(Default)]
struct RuleIndex {
    /// Keyed by bytes, so a lookup needs no UTF-8 check of the lower-cased name.
    by_name: FastMap<Vec<u8>, Vec<usize>>,
    by_source: FastMap<Vec<u8>, Vec<usize>>,
    always: Vec<(usize, Option<Gate>)>,
    /// The rules of `always` without a gate.
    ungated: Vec<usize>,
    /// The rules of `always` with a gate, by the gate's field.
    gated: Vec<GateGroup>,
}

/// Rules gated on one field: (rule, position of its gate in `always`).
struct GateGroup {
    field: FieldPath,
    rules: Vec<(usize, usize)>,
}

/// A field and the (ASCII-lowercased) literals one of which it must equal, or (`contains`)
/// the literals one of which it must contain, case-sensitively.
struct Gate {
    field: String,
    /// In order (a slice: iterating a `BTreeSet` on every record cost more than the test).
    values: Vec<String>,
    contains: bool,
    /// `field` split at `.` when it has a `.` and no `[` or `\\` (read with
    /// [`Record::get_dotted`]); empty otherwise.
    segs: Vec<String>,
    /// With `contains`: a searcher per literal, built once.
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// The longest literal's length.
    longest: usize,
}

impl Gate {
    fn new(field: String, values: BTreeSet<String>, contains: bool) -> Gate {
        let segs = if field.contains('.') && !field.contains(['[', '\\']) { field.split('.').map(str::to_string).collect() } else { Vec::new() };
        let values: Vec<String> = values.into_iter().collect();
        let finders = if contains { values.iter().map(|v| memchr::memmem::Finder::new(v.as_bytes()).into_owned()).collect() } else { Vec::new() };
        let longest = values.iter().map(String::len).max().unwrap_or(0);
        Gate { field, values, contains, segs, finders, longest }
    }

    /// Whether a rule gated on this may match a record whose gate field is `v`.
    #[inline]
    fn admits(&self, v: &str) -> bool {
        if self.contains {
            self.finders.iter().any(|f| f.find(v.as_bytes()).is_some())
        } else {
            // A value lower-cased has at least one byte per character, so at least a quarter
            // of its bytes: one over four times the longest literal cannot equal any.
            if v.len() > 4 * self.longest {
                return false;
            }
            // The literals are lowercase ASCII: for an ASCII value this is set membership of
            // its lowercase form.
            !v.is_ascii() || self.values.iter().any(|x| x.eq_ignore_ascii_case(v))
        }
    }

    /// The path segments counted for the choice of a gate (a flat name is one).
    fn depth(&self) -> usize {
        self.segs.len().max(1)
    }
}

/// Names of the fields that detection items compare without modifiers.
fn plain_fields(d: &Detection, out: &mut BTreeSet<String>) {
    match d {
        Detection::AllOf(items) => out.extend(items.iter().filter(|i| i.field.modifiers.is_empty()).filter_map(|i| i.field.name.clone())),
        Detection::AnyOf(ds) => ds.iter().for_each(|x| plain_fields(x, out)),
        _ => {}
    }
}

/// Names of the fields that detection items match with a case-sensitive regular expression
/// (`|re` alone).
fn re_fields(d: &Detection, out: &mut BTreeSet<String>) {
    match d {
        Detection::AllOf(items) => out.extend(items.iter().filter(|i| matches!(i.field.modifiers.as_slice(), [Modifier::Re])).filter_map(|i| i.field.name.clone())),
        Detection::AnyOf(ds) => ds.iter().for_each(|x| re_fields(x, out)),
        _ => {}
    }
}

/// The field with the fewest forced literals, if any field has some; else a field whose
/// value must contain one of some literals (from `|re` patterns, see [`re_literal`]).
fn gate(rule: &rsigma_parser::SigmaRule) -> Option<Gate> {
    let mut fields = BTreeSet::new();
    for d in rule.detection.named.values() {
        plain_fields(d, &mut fields);
    }
    if let Some(g) = fields.into_iter().filter_map(|f| required(rule, &f, &item_required).map(|values| Gate::new(f, values, false))).min_by_key(|g| (g.values.len(), g.depth())) {
        return Some(g);
    }
    let mut fields = BTreeSet::new();
    for d in rule.detection.named.values() {
        re_fields(d, &mut fields);
    }
    fields.into_iter().filter_map(|f| required(rule, &f, &item_re_literals).map(|values| Gate::new(f, values, true))).min_by_key(|g| (g.values.len(), g.depth()))
}

/// What a detection item forces its field to: literals one of which it must equal (or
/// contain, for [`item_re_literals`]); `None` when the item does not constrain that field.
type ItemRule = dyn Fn(&DetectionItem, &str) -> Option<BTreeSet<String>>;

/// Literals one of which `field` must equal (or contain, with [`item_re_literals`]) for the
/// rule to match; `None` when unconstrained.
fn required(rule: &rsigma_parser::SigmaRule, field: &str, item: &ItemRule) -> Option<BTreeSet<String>> {
    let det = &rule.detection;
    let mut out: Option<BTreeSet<String>> = None;
    for c in &det.conditions {
        let s = cond_required(c, &det.named, field, item)?;
        out.get_or_insert_with(BTreeSet::new).extend(s);
    }
    out
}

fn cond_required(c: &ConditionExpr, named: &HashMap<String, Detection>, field: &str, item: &ItemRule) -> Option<BTreeSet<String>> {
    let union = |sets: Vec<Option<BTreeSet<String>>>| -> Option<BTreeSet<String>> {
        if sets.is_empty() {
            return None;
        }
        let mut u = BTreeSet::new();
        for s in sets {
            u.extend(s?);
        }
        Some(u)
    };
    match c {
        ConditionExpr::Identifier(n) => det_required(named.get(n)?, field, item),
        // Any constrained operand constrains a conjunction; take the smallest.
        ConditionExpr::And(xs) => xs.iter().filter_map(|x| cond_required(x, named, field, item)).min_by_key(BTreeSet::len),
        ConditionExpr::Or(xs) => union(xs.iter().map(|x| cond_required(x, named, field, item)).collect()),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Selector { quantifier, pattern } => {
            let sets: Vec<Option<BTreeSet<String>>> = named.iter().filter(|(n, _)| pattern.matches_detection_name(n)).map(|(_, d)| det_required(d, field, item)).collect();
            match quantifier {
                Quantifier::Any => union(sets),
                Quantifier::Count(n) if *n >= 1 => union(sets),
                Quantifier::Count(_) => None,
                Quantifier::All => sets.into_iter().flatten().min_by_key(BTreeSet::len),
            }
        }
    }
}

fn det_required(d: &Detection, field: &str, item: &ItemRule) -> Option<BTreeSet<String>> {
    match d {
        Detection::AllOf(items) => items.iter().filter_map(|i| item(i, field)).min_by_key(BTreeSet::len),
        Detection::AnyOf(ds) => {
            if ds.is_empty() {
                return None;
            }
            let mut u = BTreeSet::new();
            for x in ds {
                u.extend(det_required(x, field, item)?);
            }
            Some(u)
        }
        _ => None,
    }
}

/// A string value with no wildcards or placeholders, as its text; `None` for anything else.
fn plain_text(v: &SigmaValue) -> Option<String> {
    let SigmaValue::String(s) = v else { return None };
    let mut text = String::new();
    for p in &s.parts {
        match p {
            StringPart::Plain(t) => text.push_str(t),
            StringPart::Special(_) => return None,
        }
    }
    Some(text)
}

fn item_required(i: &DetectionItem, field: &str) -> Option<BTreeSet<String>> {
    if i.field.name.as_deref() != Some(field) || !i.field.modifiers.is_empty() || i.values.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    for v in &i.values {
        let lit = plain_text(v)?;
        if !lit.is_ascii() {
            return None;
        }
        out.insert(lit.to_ascii_lowercase());
    }
    Some(out)
}

/// For an item `field|re: PATTERN` (case-sensitive, no other modifier): for each pattern, a
/// literal that any string it matches contains (see [`re_literal`]).
fn item_re_literals(i: &DetectionItem, field: &str) -> Option<BTreeSet<String>> {
    if i.field.name.as_deref() != Some(field) || !matches!(i.field.modifiers.as_slice(), [Modifier::Re]) || i.values.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    for v in &i.values {
        let pattern = plain_text(v)?;
        out.insert(re_literal(&pattern)?.to_string());
    }
    Some(out)
}

/// For a regular expression of the form `[^ | .* | .+] LITERAL [$ | .* | .+]`, where LITERAL
/// is not empty and has no character with a meaning in regex syntax: LITERAL. Every string
/// the expression matches (case-sensitively, without flags) contains it. `None` for any other
/// form.
pub(crate) fn re_literal(pattern: &str) -> Option<&str> {
    let body = [".*", ".+", "^"].iter().find_map(|p| pattern.strip_prefix(p)).unwrap_or(pattern);
    let body = [".*", ".+", "$"].iter().find_map(|p| body.strip_suffix(p)).unwrap_or(body);
    // The characters with a meaning outside a class (and `#` and whitespace, which have one
    // in verbose mode).
    let plain = |c: char| !(matches!(c, '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#') || c.is_whitespace());
    (!body.is_empty() && body.chars().all(plain)).then_some(body)
}

impl RuleIndex {
    fn add(&mut self, rule: &rsigma_parser::SigmaRule, idx: usize) {
        if let Some(names) = required(rule, "eventName", &item_required) {
            for n in names {
                self.by_name.entry(n.into_bytes()).or_default().push(idx);
            }
        } else if let Some(sources) = required(rule, "eventSource", &item_required) {
            for s in sources {
                self.by_source.entry(s.into_bytes()).or_default().push(idx);
            }
        } else {
            let g = gate(rule);
            let at = self.always.len();
            match &g {
                None => self.ungated.push(idx),
                Some(g) => match self.gated.iter_mut().find(|x| x.field.path == g.field) {
                    Some(x) => x.rules.push((idx, at)),
                    None => self.gated.push(GateGroup { field: FieldPath::new(g.field.clone()), rules: vec![(idx, at)] }),
                },
            }
            self.always.push((idx, g));
        }
    }

    /// The rules `rec` can match, or `None` for all of them.
    fn candidates(&self, rec: &Record, buf: &mut Vec<usize>) -> bool {
        // `plain_ascii("eventName")` and `("eventSource")`, by their slots.
        let (Some(name), Some(source)) = (rec.slot_str(0).filter(|s| s.is_ascii()), rec.slot_str(1).filter(|s| s.is_ascii())) else { return false };
        buf.clear();
        buf.extend_from_slice(&self.ungated);
        for grp in &self.gated {
            // Anything but a string: the rules are evaluated.
            grp.field.with_str(rec, |v| {
                for &(i, at) in &grp.rules {
                    let admitted = match (v, self.always.get(at)) {
                        (Some(v), Some((_, Some(g)))) => g.admits(v),
                        _ => true,
                    };
                    if admitted {
                        buf.push(i);
                    }
                }
            });
        }
        let mut low = [0u8; 96];
        for (map, v) in [(&self.by_name, name), (&self.by_source, source)] {
            if map.is_empty() {
                continue;
            }
            let Some(l) = low.get_mut(..v.len()) else {
                // Longer than any literal worth indexing: look it up the slow way.
                if let Some(rs) = map.get(v.to_ascii_lowercase().as_bytes()) {
                    buf.extend_from_slice(rs);
                }
                continue;
            };
            l.copy_from_slice(v.as_bytes());
            l.make_ascii_lowercase();
            if let Some(rs) = map.get(&*l) {
                buf.extend_from_slice(rs);
            }
        }
        true
    }
}

fn level(l: Option<&rsigma_parser::Level>) -> Severity {
    match l.map(|l| format!("{l:?}").to_ascii_lowercase()) {
        Some(s) if s == "critical" => Severity::Critical,
        Some(s) if s == "high" => Severity::High,
        Some(s) if s == "medium" => Severity::Medium,
        Some(s) if s == "low" => Severity::Low,
        _ => Severity::Informational,
    }
}

impl SigmaSet {
    /// Loads every `.yml`/`.yaml` file under `dir` (recursively, in name order). A file that does
    /// not parse, or a rule that does not compile, is a diagnostic naming the file and rule.
    pub fn load_dir(dir: &Path) -> (SigmaSet, Vec<Diagnostic>) {
        let mut set = SigmaSet::default();
        let diags = set.add_dir(dir);
        (set, diags)
    }

    /// Adds the rules under `dir` to this set; returns the problems.
    pub fn add_dir(&mut self, dir: &Path) -> Vec<Diagnostic> {
        let mut files = Vec::new();
        let mut diags = Vec::new();
        collect(dir, &mut files, &mut diags);
        files.sort();
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => diags.extend(self.add_yaml(&f.display().to_string(), &text)),
                Err(e) => diags.push(Diagnostic::error(f.display().to_string(), "", format!("cannot read Sigma rule: {e}"))),
            }
        }
        diags
    }

    /// Adds the rules of one YAML document set; returns the problems.
    pub fn add_yaml(&mut self, file: &str, text: &str) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let stem = Path::new(file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| file.to_string());
        let coll = match rsigma_parser::parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                diags.push(Diagnostic::error(file, "", format!("Sigma rule does not parse: {e}")));
                return diags;
            }
        };
        for e in &coll.errors {
            diags.push(Diagnostic::error(file, "", format!("Sigma rule does not parse: {e}")));
        }
        if !coll.correlations.is_empty() {
            diags.push(Diagnostic::warning(file, "", "Sigma correlation rules are not evaluated; use the built-in sequence detections"));
        }
        let many = coll.rules.len() > 1;
        for (i, rule) in coll.rules.iter().enumerate() {
            let key = rule.id.clone().unwrap_or_else(|| rule.title.clone());
            if self.meta.contains_key(&key) {
                diags.push(Diagnostic::warning(file, "", format!("Sigma rule `{}` has the id of a rule already loaded; skipped", rule.title)));
                continue;
            }
            let idx = self.engine.rule_count();
            if let Err(e) = self.engine.add_rule(rule) {
                diags.push(Diagnostic::error(file, "", format!("Sigma rule `{}` cannot be compiled: {e}", rule.title)));
                continue;
            }
            if self.engine.rule_count() != idx + 1 || self.list.len() != idx {
                diags.push(Diagnostic::error(file, "", format!("Sigma rule `{}` was not added", rule.title)));
                continue;
            }
            self.index.add(rule, idx);
            self.fast.push(self.engine.rules().get(idx).and_then(FastRule::new));
            let finding_id = if many { format!("SIGMA-{stem}-{}", i + 1) } else { format!("SIGMA-{stem}") };
            let techniques = rule.tags.iter().filter_map(|t| t.strip_prefix("attack.t")).map(|t| format!("T{}", t.to_ascii_uppercase())).collect();
            let remediation = if rule.falsepositives.is_empty() {
                "Confirm with the principal's owner that the call was intended; if not, treat the credentials as compromised.".to_string()
            } else {
                format!("Rule out the known false positives ({}); otherwise treat the principal's credentials as compromised.", rule.falsepositives.join("; "))
            };
            let mut finding_refs = vec![Reference { title: format!("SigmaHQ rule `{}`", rule.title), url: file.to_string() }];
            finding_refs.extend(rule.references.iter().map(|u| Reference { title: "Sigma rule reference".to_string(), url: u.clone() }));
            self.meta.insert(key, idx);
            let mut meta = SigmaMeta {
                    remediation,
                    finding_refs,
                    finding_id,
                    title: rule.title.clone(),
                    description: rule.description.clone().unwrap_or_default(),
                    severity: level(rule.level.as_ref()),
                    file: file.to_string(),
                    techniques,
                    references: rule.references.clone(),
                    falsepositives: rule.falsepositives.clone(),
                    json: FindingJson::default(),
                };
            meta.json = FindingJson::of(&meta);
            self.list.push(meta);
            self.loaded += 1;
        }
        diags
    }

    /// The rules that match `rec`.
    pub fn matches(&self, rec: &Record) -> Vec<&SigmaMeta> {
        let mut out = Vec::new();
        self.matches_into(rec, &mut Vec::new(), &mut out);
        out
    }

    /// [`SigmaSet::matches`] with buffers the caller keeps: evaluates only the candidate rules
    /// of the record's `eventName`/`eventSource` (see [`RuleIndex`]), in the engine's order.
    pub fn matches_into<'a>(&'a self, rec: &Record, buf: &mut Vec<usize>, out: &mut Vec<&'a SigmaMeta>) {
        let mut at = Vec::new();
        self.matches_at(rec, buf, &mut at);
        out.clear();
        out.extend(at.iter().filter_map(|&i| self.list.get(i)));
    }

    /// [`SigmaSet::matches_into`] as positions for [`SigmaSet::meta`].
    pub fn matches_at(&self, rec: &Record, buf: &mut Vec<usize>, out: &mut Vec<usize>) {
        out.clear();
        if self.loaded == 0 {
            return;
        }
        if !self.index.candidates(rec, buf) {
            out.extend(self.engine.evaluate(rec).iter().filter_map(|r| self.meta.get(r.header.rule_id.as_deref().unwrap_or(&r.header.rule_title)).copied().filter(|&i| i < self.list.len())));
            return;
        }
        buf.sort_unstable();
        let rules = self.engine.rules();
        let mut selections = Vec::new();
        for &i in buf.iter() {
            if let Some(rule) = rules.get(i) {
                let hit = match self.fast.get(i) {
                    Some(Some(f)) => f.matches(rec),
                    _ => rule_matches(rule, rec, &mut selections),
                };
                if i < self.list.len() && hit {
                    out.push(i);
                }
            }
        }
    }

    /// How many rules [`SigmaSet::matches_at`] evaluates with its own evaluator rather than
    /// `rsigma-eval`'s.
    pub fn fast_rules(&self) -> usize {
        self.fast.iter().flatten().count()
    }

    /// Whether rule `i` (a position in `engine().rules()`) matches `rec`, by the evaluator
    /// [`SigmaSet::matches_at`] uses for it; `None` when it uses `rsigma-eval`'s. For tests
    /// that compare the two.
    #[doc(hidden)]
    pub fn fast_matches(&self, i: usize, rec: &Record) -> Option<bool> {
        Some(self.fast.get(i)?.as_ref()?.matches(rec))
    }

    /// The rule at a position [`SigmaSet::matches_at`] gave.
    pub fn meta(&self, i: usize) -> Option<&SigmaMeta> {
        self.list.get(i)
    }

    /// How many rules are filed under event names, event sources, and always evaluated.
    pub fn index_sizes(&self) -> (usize, usize, usize) {
        let distinct = |m: &FastMap<Vec<u8>, Vec<usize>>| m.values().flatten().collect::<BTreeSet<_>>().len();
        (distinct(&self.index.by_name), distinct(&self.index.by_source), self.index.always.len())
    }

    /// The fields that gate rules evaluated always (see [`RuleIndex`]), by rule title.
    pub fn gates(&self) -> Vec<(String, String)> {
        self.index.always.iter().filter_map(|(i, g)| Some((self.list.get(*i)?.title.clone(), g.as_ref()?.field.clone()))).collect()
    }

    /// The compiled rules, for comparisons with a full scan.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Every loaded rule, in no particular order.
    pub fn rules(&self) -> impl Iterator<Item = &SigmaMeta> {
        self.list.iter()
    }
}

/// Whether `rule` matches: what `rsigma_eval::evaluate_rule(rule, rec).is_some()` says (any of
/// its conditions holds), without building the match result that mlguard does not use (its
/// title, id and tags cloned, and a second, detail-collecting pass over the condition).
fn rule_matches(rule: &rsigma_eval::CompiledRule, rec: &Record, selections: &mut Vec<String>) -> bool {
    rule.conditions.iter().any(|c| {
        selections.clear();
        rsigma_eval::compiler::eval_condition(c, &rule.detections, rec, selections)
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(dir.display().to_string(), "", format!("cannot list Sigma rule directory: {e}")));
            return;
        }
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out, diags);
        } else if p.extension().map(|x| x == "yml" || x == "yaml").unwrap_or(false) {
            out.push(p);
        }
    }
}

/// A finding for one Sigma match on one record.
pub fn finding(meta: &SigmaMeta, rec: &Record) -> Finding {
    finding_of(meta, rec.event_name(), rec.actor())
}

/// [`finding`] for a record's `eventName` and [`Record::actor`].
pub(crate) fn finding_of(meta: &SigmaMeta, event_name: &str, actor: &str) -> Finding {
    let mut f = Finding::new(meta.finding_id.clone(), meta.severity, format!("{} ({} by {})", meta.title, event_name, actor));
    f.description = meta.description.trim().to_string();
    f.remediation = meta.remediation.clone();
    f.references = meta.finding_refs.clone();
    f
}

impl FindingJson {
    fn of(meta: &SigmaMeta) -> FindingJson {
        let mut head = format!("{{\"rule_id\":{},\"severity\":{},\"title\":", q(&meta.finding_id), q(&meta.severity));
        head.push_str(q(&meta.title).strip_suffix('"').unwrap_or(""));
        let tail = format!(
            ",\"sigma_rule\":{},\"mitre_attack\":{}}},\"remediation\":{},\"references\":{}}}",
            q(&meta.title),
            q(&meta.techniques),
            q(&meta.remediation),
            q(&meta.finding_refs)
        );
        FindingJson { head, description: q(meta.description.trim()), tail }
    }
}

/// A value as `serde_json` writes it (compact).
fn q<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Appends `s` escaped as `serde_json` escapes string contents (`"`, `\\` and control
/// characters; everything else as is).
pub(crate) fn escape_into(s: &str, out: &mut Vec<u8>) {
    let mut rest = s.as_bytes();
    while let Some(k) = crate::record::string_stop(rest) {
        let (run, tail) = rest.split_at(k);
        out.extend_from_slice(run);
        let Some((&c, tail)) = tail.split_first() else {
            rest = tail;
            break;
        };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 15)]);
            }
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
}

/// [`escape_into`] for field `i` of a record's [`Slim`] copy: a string the record's text
/// held unescaped (a JSON string without escapes has no quote, backslash or control
/// character) is copied as is.
#[inline]
fn escape_field(rec: &Slim, i: usize, out: &mut Vec<u8>) {
    let (s, raw) = rec.field_raw(i);
    if raw {
        out.extend_from_slice(s.as_bytes());
    } else {
        escape_into(s, out);
    }
}

/// [`escape_field`] between quotes.
#[inline]
fn quoted_field(rec: &Slim, i: usize, out: &mut Vec<u8>) {
    out.push(b'"');
    escape_field(rec, i, out);
    out.push(b'"');
}

/// Appends one JSON line: exactly what `serde_json` writes for the [`Finding`] that
/// `Detector` builds for a Sigma match (see `tests/sigma_rules.rs`), without building it.
/// Only valid while `serde_json` keeps maps in insertion order (its `preserve_order` feature,
/// which the workspace turns on); `Detector` checks that before using it. Written from the
/// record's [`Slim`] copy: every part that depends on the record is one of its fields.
pub(crate) fn write_finding_json(meta: &SigmaMeta, rec: &Slim, days: &mut DayText, out: &mut Vec<u8>) {
    let j = &meta.json;
    out.extend_from_slice(j.head.as_bytes());
    out.extend_from_slice(b" (");
    escape_field(rec, F_NAME, out);
    out.extend_from_slice(b" by ");
    escape_field(rec, F_ACTOR, out);
    out.extend_from_slice(b")\",\"resource_id\":");
    quoted_field(rec, F_ACTOR, out);
    out.extend_from_slice(if rec.assumed_role { b",\"resource_type\":\"AwsIamRole\",\"account\":" } else { b",\"resource_type\":\"AwsIamUser\",\"account\":" });
    quoted_field(rec, F_ACCOUNT, out);
    out.extend_from_slice(b",\"region\":");
    quoted_field(rec, F_REGION, out);
    out.extend_from_slice(b",\"description\":");
    out.extend_from_slice(j.description.as_bytes());
    out.extend_from_slice(b",\"evidence\":{\"event_ids\":[");
    quoted_field(rec, F_ID, out);
    out.extend_from_slice(b"],\"events\":[{\"event_id\":");
    quoted_field(rec, F_ID, out);
    out.extend_from_slice(b",\"time\":\"");
    days.write_time(rec.time, out);
    out.extend_from_slice(b"\",\"event_name\":");
    quoted_field(rec, F_NAME, out);
    out.extend_from_slice(b",\"actor\":");
    quoted_field(rec, F_ACTOR, out);
    out.extend_from_slice(b",\"source_ip\":");
    quoted_field(rec, F_IP, out);
    out.extend_from_slice(b"}],\"principal\":");
    quoted_field(rec, F_PRINCIPAL, out);
    out.extend_from_slice(j.tail.as_bytes());
    out.push(b'\n');
}

/// [`crate::record::write_time`] with the date of the last day written kept: findings come in
/// time order, so most share their day with the one before, and the time of day is written
/// into a stack array (one copy into `out` rather than a capacity test per byte).
pub(crate) struct DayText {
    day: i64,
    /// `YYYY-MM-DDT` of `day`, when `write_time` writes that day's times in 20 bytes.
    date: Option<[u8; 11]>,
}

impl Default for DayText {
    fn default() -> Self {
        // No Unix second has this day (`i64::MIN / 86_400` is the lowest).
        DayText { day: i64::MIN, date: None }
    }
}

impl DayText {
    /// Appends what `write_time(t, out)` appends.
    pub(crate) fn write_time(&mut self, t: i64, out: &mut Vec<u8>) {
        let day = t.div_euclid(86_400);
        if day != self.day {
            self.day = day;
            // Both of `write_time`'s forms are the date, `T`, then the time of day in the
            // same 9 bytes; the date depends on the day only.
            self.date = day.checked_mul(86_400).and_then(|start| {
                let mut v = Vec::with_capacity(24);
                crate::record::write_time(start, &mut v);
                (v.len() == 20 && v.get(10) == Some(&b'T')).then(|| v.get(..11).and_then(|d| <[u8; 11]>::try_from(d).ok())).flatten()
            });
        }
        let Some(date) = self.date else {
            crate::record::write_time(t, out);
            return;
        };
        let secs = t.rem_euclid(86_400);
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mut b = [0u8; 20];
        b[..11].copy_from_slice(&date);
        for (at, v) in [(11, h), (14, m), (17, s)] {
            b[at] = b'0' + (v / 10) as u8;
            b[at + 1] = b'0' + (v % 10) as u8;
        }
        b[13] = b':';
        b[16] = b':';
        b[19] = b'Z';
        out.extend_from_slice(&b);
    }
}

#[cfg(test)]
mod tests {
    use super::{re_literal, DayText};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The kept date gives what `write_time` writes, over runs of times in one day, across
        /// days and years, before the epoch and outside years 0–9999.
        #[test]
        fn day_text_writes_as_write_time(ts in prop::collection::vec(prop_oneof![
            0i64..4_102_444_800, -62_167_219_200i64..0, -400_000_000_000i64..400_000_000_000, Just(i64::MIN), Just(i64::MAX), Just(-62_167_219_201), Just(253_402_300_799), Just(253_402_300_800)
        ], 1..12), step in 0i64..200) {
            let mut days = DayText::default();
            for t in ts {
                for u in [t, t.saturating_add(step), t.saturating_add(step * 400)] {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    days.write_time(u, &mut a);
                    crate::record::write_time(u, &mut b);
                    prop_assert_eq!(a, b);
                }
            }
        }
    }

    #[test]
    fn re_literal_takes_only_a_plain_literal_between_simple_ends() {
        assert_eq!(re_literal(".+:assumed-role/aws:.+"), Some(":assumed-role/aws:"));
        assert_eq!(re_literal("^ab-c"), Some("ab-c"));
        assert_eq!(re_literal(".*x$"), Some("x"));
        assert_eq!(re_literal("lit"), Some("lit"));
        for p in ["", ".+", "^$", "(a|b)c", "a.b", "a+", "ab?", "a{2}", r"a\.b", "[ab]", "a b", "a#b", "^.+x", ".*?x", "x.+?"] {
            assert_eq!(re_literal(p), None, "{p}");
        }
    }
}
