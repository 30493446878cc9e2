//! Threat detection over CloudTrail, offline: layer 3 of mlguard.
//!
//! [`reader`] streams records out of CloudTrail files (`{"Records":[...]}`, bare arrays, JSON
//! Lines, gzip, delivery-layout trees, standard input). A [`Detector`] runs every record through
//! the SigmaHQ rules ([`sigma::SigmaSet`]), the built-in detections ([`builtin::Builtin`],
//! documented in [`rules`]) and the per-principal baselines ([`baseline::Baselines`]), and
//! turns what fires into [`mlguard_core::Finding`]s that carry the triggering `eventID`s as
//! evidence. With a state directory ([`store::Store`]) baselines survive restarts and records
//! already committed are skipped on a rerun.
//!
//! ```
//! use mlguard_trail::{Detector, DetectOptions};
//! let mut d = Detector::new(DetectOptions::default());
//! let mut diags = Vec::new();
//! d.process_bytes(br#"{"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"t"},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}"#, "x.json", "line 1", &mut diags);
//! let out = d.finish();
//! assert_eq!(out.findings[0].rule_id, "CT-TAMPER-001");
//! ```

pub mod baseline;
pub mod builtin;
pub mod fast;
pub mod net;
pub mod reader;
pub mod record;
pub mod rules;
pub mod sigma;
mod sigma_fast;
pub mod store;
pub mod synth;

pub use rules::RULES;

use baseline::{BaselineOptions, Baselines, Slim};
use builtin::{Builtin, BuiltinOptions, Hit, SeqState};
use fast::FastSet;
use mlguard_core::{Diagnostic, Finding, Severity};
use record::{Record, RecordError};
use serde_json::{json, Value};
use sigma::SigmaSet;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;
use store::{event_hash, Store};

/// Everything a run is configured with.
#[derive(Default)]
pub struct DetectOptions {
    pub builtin: BuiltinOptions,
    pub baseline: BaselineOptions,
    /// Shared so one compiled set can serve several detectors.
    pub sigma: Arc<SigmaSet>,
    /// Only records with `eventTime` at or after / before these Unix seconds.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Counts printed at the end of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Records parsed.
    pub read: u64,
    /// Records skipped as malformed.
    pub skipped: u64,
    /// Records that raised at least one finding.
    pub matched: u64,
    /// Records skipped because their `eventID` was already processed (this run or, with state, an earlier one).
    pub duplicates: u64,
    /// Records outside `--since`/`--until`.
    pub filtered: u64,
}

/// What a run produced.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub counts: Counts,
    /// Hashes of the event ids processed, for [`store::Store::commit`].
    pub new_seen: Vec<u64>,
    pub baselines: Baselines,
    pub sequences: SeqState,
    /// With [`Detector::jsonl`]: the findings raised by `finish` (and not yet written), as JSON
    /// Lines, instead of `findings`; and how many lines that is.
    pub jsonl: Vec<u8>,
    pub jsonl_lines: u64,
    /// With [`Detector::jsonl`]: the highest severity among all the JSON Lines written.
    pub jsonl_max_severity: Option<Severity>,
}

/// Runs all detections over records, in the order given.
pub struct Detector {
    sigma: Arc<SigmaSet>,
    builtin: Builtin,
    base_opts: BaselineOptions,
    base: Baselines,
    since: Option<i64>,
    until: Option<i64>,
    store: Option<Store>,
    seen_run: FastSet<u64>,
    /// (rule id, event id) of the findings raised: built-in hits, and Sigma matches of records without an `eventID`.
    emitted: HashSet<(String, String)>,
    findings: Vec<Finding>,
    /// Findings as JSON Lines (see [`Detector::jsonl`]), when on.
    jsonl: Option<Vec<u8>>,
    jsonl_lines: u64,
    jsonl_max: Option<Severity>,
    hits: Vec<Hit>,
    /// Candidate and matched Sigma rules of the record being prepared (reused).
    sigma_buf: Vec<usize>,
    sigma_matched: Vec<usize>,
    /// The date of the last Sigma finding written as JSON.
    days: sigma::DayText,
    /// The parser's buffers (reused).
    scratch: record::Scratch,
    /// Records waiting to be analysed in time order (see [`REORDER`]).
    pending: BinaryHeap<Pending>,
    seq: u64,
    pub counts: Counts,
}

/// How many records are held back to be analysed in `eventTime` order: CloudTrail files are
/// not sorted (and Stratus's recordings list a user's policy attachment before its creation),
/// so sequences are matched on a reordered stream with bounded memory. Within one second
/// (CloudTrail's resolution) the creation of an identity or notebook sorts first, since
/// anything done to it must have come after.
pub const REORDER: usize = 4096;

/// Boxed, so the heap moves a pointer rather than the record when it reorders.
struct Pending(i64, u64, Box<Deferred>);

/// A record waiting in the reorder buffer: what `Detector::prepare` worked out while the
/// record was in cache (the detections that do not depend on the order of records), and what
/// `Detector::analyse` still needs in time order (the fields the baselines and the Sigma
/// findings read, the whole record only for the built-ins with state). Holding whole records (about 3.7 KB of text and index each)
/// for 4,096 records meant analysing each one after it had left the CPU's caches.
struct Deferred {
    /// The record, kept only when [`Builtin::has_state`] (boxed: most entries have none, and
    /// the 4,096 waiting entries should stay small enough for the CPU's caches).
    rec: Option<Box<Record>>,
    slim: Slim,
    /// The Sigma rules it matched (positions in the set); their findings are made from `slim`.
    sigma: Vec<usize>,
    /// The built-ins' hits, when they ran in `prepare`.
    hits: Vec<Hit>,
}

fn creates_identity(name: &str) -> bool {
    matches!(name, "CreateUser" | "CreateRole" | "CreateGroup" | "CreateNotebookInstance")
}

/// The order key: time, then creations first, then arrival.
fn order_key(time: i64, name: &str, seq: u64) -> (i64, u64) {
    (time, if creates_identity(name) { seq } else { seq | (1 << 63) })
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    /// Reversed: the heap pops the earliest record first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.0, o.1).cmp(&(self.0, self.1))
    }
}

/// What `heap.push(new)` and then, past `cap` entries, `heap.pop()` hand out: once the heap
/// is full, the greater of its top and `new` (the earliest record), with one sift of the heap
/// rather than push's sift up and pop's sift down to the bottom and back up.
fn push_past<T: Ord>(heap: &mut BinaryHeap<T>, cap: usize, new: T) -> Option<T> {
    if heap.len() < cap {
        heap.push(new);
        return None;
    }
    match heap.peek_mut() {
        Some(mut top) if *top > new => Some(std::mem::replace(&mut *top, new)),
        _ => Some(new),
    }
}

impl Detector {
    pub fn new(opts: DetectOptions) -> Detector {
        Detector::with_state(opts, None, Baselines::default(), SeqState::default())
    }

    /// A detector that continues from a store's baselines and skips records it committed.
    pub fn with_state(opts: DetectOptions, store: Option<Store>, base: Baselines, seq: SeqState) -> Detector {
        Detector {
            sigma: opts.sigma,
            builtin: Builtin::new(opts.builtin, seq),
            base_opts: opts.baseline,
            base,
            since: opts.since,
            until: opts.until,
            store,
            seen_run: FastSet::default(),
            emitted: HashSet::new(),
            findings: Vec::new(),
            jsonl: None,
            jsonl_lines: 0,
            jsonl_max: None,
            hits: Vec::new(),
            sigma_buf: Vec::new(),
            sigma_matched: Vec::new(),
            days: sigma::DayText::default(),
            scratch: record::Scratch::default(),
            pending: BinaryHeap::new(),
            seq: 0,
            counts: Counts::default(),
        }
    }

    /// Reads one input to its end; problems become diagnostics naming the file and record.
    pub fn process_input(&mut self, input: &reader::Input, diags: &mut Vec<Diagnostic>, progress: &mut dyn FnMut(u64)) {
        let name = input.name();
        let mut stream = match input.open() {
            Ok(s) => s,
            Err(e) => {
                diags.push(Diagnostic::error(name, "", format!("cannot read: {e}")));
                return;
            }
        };
        let mut n = 0u64;
        let mut scratch = std::mem::take(&mut self.scratch);
        while let Some(item) = stream.next_parsed(&mut scratch) {
            match item {
                reader::Parsed::Record(rec) => {
                    self.process(rec);
                    n += 1;
                    if n.is_multiple_of(65_536) {
                        progress(stream.consumed);
                    }
                }
                reader::Parsed::Text { place, bytes, .. } => {
                    self.scratch = std::mem::take(&mut scratch);
                    self.process_text(bytes, &name, &place, diags);
                    scratch = std::mem::take(&mut self.scratch);
                    n += 1;
                    if n.is_multiple_of(65_536) {
                        progress(stream.consumed);
                    }
                }
                reader::Parsed::Problem { place, message, fatal, .. } => {
                    self.counts.skipped += 1;
                    let msg = if fatal { format!("{message}; the rest of this input is skipped") } else { message };
                    diags.push(Diagnostic::warning(name.clone(), place, msg));
                }
            }
        }
        self.scratch = scratch;
        progress(stream.consumed);
    }

    /// Parses and processes one record's JSON text.
    pub fn process_bytes(&mut self, bytes: &[u8], file: &str, place: &str, diags: &mut Vec<Diagnostic>) {
        self.process_text(bytes.to_vec(), file, place, diags);
    }

    /// [`Detector::process_bytes`] for text the caller hands over.
    pub fn process_text(&mut self, bytes: Vec<u8>, file: &str, place: &str, diags: &mut Vec<Diagnostic>) {
        match Record::parse_with(bytes, &mut self.scratch) {
            Ok(r) => self.process(r),
            Err(RecordError::NotObject) => {
                self.counts.skipped += 1;
                diags.push(Diagnostic::warning(file, place, "expected a CloudTrail record (a JSON object)"));
            }
            Err(RecordError::Malformed(e)) => {
                self.counts.skipped += 1;
                diags.push(Diagnostic::warning(file, place, format!("malformed record skipped: {e}")));
            }
        }
    }

    /// Runs every detection on one record.
    pub fn process(&mut self, rec: Record) {
        self.counts.read += 1;
        if self.since.map(|s| rec.time < s).unwrap_or(false) || self.until.map(|u| rec.time >= u).unwrap_or(false) {
            self.counts.filtered += 1;
            return;
        }
        let id = rec.event_id();
        if !id.is_empty() {
            let h = event_hash(id);
            if !self.seen_run.insert(h) || self.store.as_ref().map(|s| s.seen(h)).unwrap_or(false) {
                self.counts.duplicates += 1;
                return;
            }
        }
        self.seq += 1;
        let (t, k) = order_key(rec.time, rec.event_name(), self.seq);
        let d = self.prepare(rec);
        if let Some(Pending(_, _, d)) = push_past(&mut self.pending, REORDER, Pending(t, k, Box::new(d))) {
            self.analyse(*d);
        }
    }

    /// The detections of one record that do not depend on the order of records: the Sigma
    /// rules (stateless per record) and the built-ins without state. Their findings are raised
    /// in `analyse`, in the same order as if they were made there.
    fn prepare(&mut self, rec: Record) -> Deferred {
        let mut cand = std::mem::take(&mut self.sigma_buf);
        let mut matched = std::mem::take(&mut self.sigma_matched);
        // A handle of its own, so the matched rules do not borrow `self`.
        let sigma = Arc::clone(&self.sigma);
        sigma.matches_at(&rec, &mut cand, &mut matched);
        // A copy at its size (none for the records that match nothing).
        let out = matched.clone();
        self.sigma_matched = matched;
        self.sigma_buf = cand;
        let mut hits = Vec::new();
        let keep = Builtin::has_state(&rec);
        if !keep {
            self.builtin.process(&rec, &mut hits);
        }
        let slim = Slim::of(&rec);
        Deferred { rec: keep.then(|| Box::new(rec)), slim, sigma: out, hits }
    }

    /// Hands findings over as JSON Lines instead of [`Finding`]s: each finding is written, as
    /// `serde_json` writes a `Finding` followed by a newline, to a buffer that
    /// [`Detector::write_jsonl`] empties (`take_findings` then returns nothing). Sigma findings,
    /// most of the output when a rule matches many records, are written straight from the
    /// record without building a `Finding`. The output is byte for byte the same as
    /// serialising the findings `take_findings` would return, in the same order.
    pub fn jsonl(&mut self) {
        if self.jsonl.is_none() {
            let mut buf = Vec::with_capacity(1 << 20);
            for f in self.findings.drain(..) {
                if serde_json::to_writer(&mut buf, &f).is_ok() {
                    buf.push(b'\n');
                    self.jsonl_lines += 1;
                    self.jsonl_max = self.jsonl_max.max(Some(f.severity));
                }
            }
            self.jsonl = Some(buf);
        }
    }

    /// Writes the JSON Lines raised so far (see [`Detector::jsonl`]) and returns how many
    /// findings that was.
    pub fn write_jsonl(&mut self, w: &mut dyn std::io::Write) -> std::io::Result<u64> {
        let n = std::mem::take(&mut self.jsonl_lines);
        if let Some(buf) = self.jsonl.as_mut() {
            w.write_all(buf)?;
            buf.clear();
        }
        Ok(n)
    }

    fn emit(&mut self, f: Finding) {
        match self.jsonl.as_mut() {
            Some(buf) => {
                if serde_json::to_writer(&mut *buf, &f).is_ok() {
                    buf.push(b'\n');
                    self.jsonl_lines += 1;
                    self.jsonl_max = self.jsonl_max.max(Some(f.severity));
                }
            }
            None => self.findings.push(f),
        }
    }

    fn analyse(&mut self, d: Deferred) {
        let Deferred { rec, slim, sigma: out, hits: early } = d;
        let mut raised = 0usize;
        // A record with an `eventID` is analysed once (see `process`), so only records
        // without one can repeat a (rule, event id) pair.
        let no_id = slim.event_id().is_empty();
        // Sigma findings written straight as JSON need `serde_json` to keep the evidence
        // object's members in insertion order (its `preserve_order` feature).
        let direct = self.jsonl.is_some() && !record::json_maps_sorted();
        let sigma = Arc::clone(&self.sigma);
        for i in out {
            let Some(m) = sigma.meta(i) else { continue };
            if no_id && !self.emitted.insert((m.finding_id.clone(), String::new())) {
                continue;
            }
            raised += 1;
            if let (true, Some(buf)) = (direct, self.jsonl.as_mut()) {
                sigma::write_finding_json(m, &slim, &mut self.days, buf);
                self.jsonl_lines += 1;
                self.jsonl_max = self.jsonl_max.max(Some(m.severity));
                continue;
            }
            self.emit(sigma_finding(m, &slim));
        }
        let mut hits = std::mem::take(&mut self.hits);
        match &rec {
            Some(r) => self.builtin.process(r, &mut hits),
            None => hits.extend(early),
        }
        self.base.process_slim(&self.base_opts, &slim, &mut hits);
        for h in hits.drain(..) {
            if self.push_hit(h) {
                raised += 1;
            }
        }
        self.hits = hits;
        if raised > 0 {
            self.counts.matched += 1;
        }
        if self.counts.read.is_multiple_of(4096) {
            self.builtin.expire(slim.time);
        }
    }

    /// Raises a finding for a hit unless it repeats one; returns whether it did.
    fn push_hit(&mut self, h: Hit) -> bool {
        let last = h.events.last().map(|e| e.event_id.clone()).unwrap_or_default();
        if !self.emitted.insert((h.rule.id.to_string(), last)) {
            return false;
        }
        let (gd, mitre) = rules::mapping(h.rule.id);
        let ids: Vec<&str> = h.events.iter().map(|e| e.event_id.as_str()).collect();
        let mut ev = json!({"event_ids": ids, "events": h.events, "principal": h.principal, "mitre_attack": mitre});
        if let (Some(obj), Some(gd)) = (ev.as_object_mut(), gd) {
            obj.insert("guardduty_finding_type".into(), json!(gd));
        }
        if let (Some(obj), Value::Object(extra)) = (ev.as_object_mut(), &h.extra) {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        let f = Finding::from_rule(h.rule, h.title).severity(h.severity).resource(h.resource, h.resource_type).location(h.account, h.region).description(h.description).evidence(ev);
        self.emit(f);
        true
    }

    /// Hands over the findings raised so far (for writers that stream, such as JSON Lines),
    /// so memory does not grow with the number of findings.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// Ends the run: closes open windows and hands back findings, counts and state to commit.
    pub fn finish(mut self) -> Outcome {
        while let Some(Pending(_, _, d)) = self.pending.pop() {
            self.analyse(*d);
        }
        let mut hits = Vec::new();
        self.base.finish(&self.base_opts, &mut hits);
        for h in hits {
            self.push_hit(h);
        }
        Outcome {
            findings: self.findings,
            counts: self.counts,
            new_seen: self.seen_run.into_iter().collect(),
            baselines: self.base,
            sequences: self.builtin.state,
            jsonl: self.jsonl.unwrap_or_default(),
            jsonl_lines: self.jsonl_lines,
            jsonl_max_severity: self.jsonl_max,
        }
    }

    /// Finishes and commits the state (if a store was given) in one transaction.
    pub fn finish_and_commit(mut self) -> Result<Outcome, store::StoreError> {
        let store = self.store.take();
        let out = self.finish();
        if let Some(s) = store {
            s.commit(&out.baselines, &out.sequences, &out.new_seen)?;
        }
        Ok(out)
    }
}

/// The [`Finding`] of one Sigma match (what [`sigma::write_finding_json`] writes as JSON).
fn sigma_finding(m: &sigma::SigmaMeta, rec: &Slim) -> Finding {
    let f = sigma::finding_of(m, rec.event_name(), rec.actor());
    let kind = if rec.assumed_role { "AwsIamRole" } else { "AwsIamUser" };
    let f = f.resource(rec.actor().to_string(), kind).location(rec.account().to_string(), rec.region().to_string());
    let ev = builtin::Origin::event_ref(rec);
    f.evidence(json!({"event_ids": [ev.event_id], "events": [ev], "principal": rec.principal(), "sigma_rule": m.title, "mitre_attack": m.techniques}))
}

#[cfg(test)]
mod tests {
    use super::push_past;
    use proptest::prelude::*;
    use std::collections::BinaryHeap;

    proptest! {
        /// `push_past` hands out what push then pop past the bound do, in the same order, and
        /// leaves the same records waiting (keys unique, as the detector's are).
        #[test]
        fn push_past_is_push_then_pop(keys in prop::collection::vec(0u16..64, 0..300), cap in 0usize..40) {
            let (mut fast, mut slow) = (BinaryHeap::new(), BinaryHeap::new());
            let (mut got, mut want) = (Vec::new(), Vec::new());
            for (i, k) in keys.into_iter().enumerate() {
                got.extend(push_past(&mut fast, cap, (k, i)));
                slow.push((k, i));
                if slow.len() > cap {
                    want.extend(slow.pop());
                }
            }
            prop_assert_eq!(got, want);
            prop_assert_eq!(fast.into_sorted_vec(), slow.into_sorted_vec());
        }
    }
}
