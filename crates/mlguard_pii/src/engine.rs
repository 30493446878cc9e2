//! The scanner: two multi-pattern regex sets over a batch of values, validators, keywords.
//!
//! Values (lines, cells, JSON leaves) are appended to a [`Batch`], one after the other,
//! each followed by `\n`, so one pass of a lazy DFA over the whole batch finds candidates
//! for many identifiers at once (`regex_automata::meta::Regex` with many patterns; its
//! lazy-DFA cache is raised from the default so the union of patterns does not thrash it).
//! Identifiers that need no keyword form the *always* set, run over every value.
//! Identifiers that need a keyword form the *gated* set: one Aho-Corasick automaton over
//! all their keywords (with `_`, `-`, `.` variants) marks the values where a keyword occurs,
//! together with the identifiers it unlocks (a bitmask), and values whose column name or
//! JSON path holds a keyword; the gated set runs only over marked values, and a candidate
//! counts only if its own keyword is within `max_distance` characters before it (Macie: 30)
//! or in the context. A candidate that fails its validator is retried as every other
//! pattern that matches at the same place (found in one anchored all-matches pass), so a
//! 9-digit number that is not an SSN can still be a routing number.
//!
//! gitleaks rules are gated the way gitleaks gates them: one Aho-Corasick automaton over
//! all rules' keywords runs over the batch, and a rule's regex runs only on the values
//! where one of its keywords occurs.

use crate::gitleaks::{self, Allow, Rule};
use crate::ident::{normalize_keyword, Category, Identifier, KeywordRule, Origin, Validator};
use crate::validate;
use crate::Error;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_automata::util::syntax;
use regex_automata::{meta, Anchored, Input, MatchKind, PatternSet};

/// One value in a batch: its byte range in [`Batch::buf`], the caller's location id, and its keyword context.
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    pub start: usize,
    pub end: usize,
    /// The caller's own index (a line number, a cell, a JSON leaf).
    pub loc: u64,
    /// Index into [`Batch::contexts`]; `u32::MAX` for none.
    pub ctx: u32,
}

/// Values to scan in one pass.
#[derive(Debug, Clone)]
pub struct Batch {
    pub buf: Vec<u8>,
    pub segs: Vec<Seg>,
    /// Keyword contexts (column names, JSON paths), normalised with [`normalize_keyword`].
    pub contexts: Vec<String>,
}

impl Default for Batch {
    fn default() -> Self {
        Batch::new()
    }
}

impl Batch {
    pub fn new() -> Batch {
        Batch { buf: vec![b'\n'], segs: Vec::new(), contexts: Vec::new() }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.buf.push(b'\n');
        self.segs.clear();
        self.contexts.clear();
    }

    /// Adds a keyword context and returns its index.
    pub fn context(&mut self, raw: &str) -> u32 {
        self.contexts.push(normalize_keyword(raw));
        (self.contexts.len() - 1) as u32
    }

    /// Appends one value.
    pub fn push(&mut self, value: &[u8], loc: u64, ctx: u32) {
        let start = self.buf.len();
        self.buf.extend_from_slice(value);
        let end = self.buf.len();
        self.buf.push(b'\n');
        self.segs.push(Seg { start, end, loc, ctx });
    }

    pub fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    pub fn value(&self, seg: usize) -> &[u8] {
        self.segs.get(seg).map(|s| &self.buf[s.start..s.end]).unwrap_or(&[])
    }

    fn seg_at(&self, pos: usize) -> Option<usize> {
        let i = self.segs.partition_point(|g| g.start <= pos);
        if i == 0 {
            return None;
        }
        let s = &self.segs[i - 1];
        (pos < s.end).then_some(i - 1)
    }
}

/// One detection: which identifier, in which value, and where in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub ident: usize,
    pub seg: usize,
    /// Byte offsets inside the value.
    pub start: usize,
    pub end: usize,
}

/// What a scanner is built from.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Use the managed identifiers.
    pub managed: bool,
    pub custom: Vec<Identifier>,
    pub gitleaks: Option<gitleaks::Loaded>,
}

struct Gitleaks {
    rules: Vec<Rule>,
    global: Vec<Allow>,
    ac: Option<AhoCorasick>,
    /// Keyword index -> rules.
    by_keyword: Vec<Vec<usize>>,
    /// Rules without keywords: run on every value.
    always: Vec<usize>,
    /// Index of the first gitleaks identifier in `Scanner::idents`.
    base: usize,
}

/// A compiled set of identifiers.
pub struct Scanner {
    /// Every identifier: the regex-set ones first, then one per gitleaks rule.
    pub idents: Vec<Identifier>,
    /// Identifiers that need no keyword: run over every value.
    always: Option<Group>,
    /// Identifiers that need a keyword: run only on values where one of their keywords
    /// occurs (Aho-Corasick over the batch) or whose context (column, JSON path) has one.
    gated: Option<Group>,
    gate: Option<AhoCorasick>,
    /// Per gate pattern, the gated patterns it unlocks (bit = position in the gated group).
    gate_masks: Vec<u64>,
    /// Normalised keywords of the gated identifiers with their pattern bit, for contexts.
    gate_words: Vec<(String, u64)>,
    gl: Option<Gitleaks>,
}

/// Patterns compiled together: leftmost-first for finding, all-matches for the retry.
struct Group {
    re: meta::Regex,
    all: meta::Regex,
    /// Pattern id -> identifier index.
    ids: Vec<usize>,
}

struct GroupCache {
    re: meta::Cache,
    all: meta::Cache,
    set: PatternSet,
}

impl Group {
    fn build(idents: &[Identifier], ids: Vec<usize>) -> Result<Option<Group>, Error> {
        if ids.is_empty() {
            return Ok(None);
        }
        let pats: Vec<&str> = ids.iter().map(|&i| idents[i].pattern.as_str()).collect();
        let build = |p: &[&str], kind: MatchKind| {
            meta::Regex::builder()
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .configure(meta::Config::new().match_kind(kind).utf8_empty(false).hybrid_cache_capacity(DFA_CACHE).nfa_size_limit(Some(64 << 20)))
                .build_many(p)
                .map_err(Box::new)
        };
        let (re, all) = match (build(&pats, MatchKind::LeftmostFirst), build(&pats, MatchKind::All)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                // Name the identifier whose pattern does not compile.
                for &i in &ids {
                    if let Err(e) = build(&[idents[i].pattern.as_str()], MatchKind::LeftmostFirst) {
                        return Err(Error::Identifier { name: idents[i].name.clone(), message: e.to_string() });
                    }
                }
                return Err(Error::Identifier { name: "(all)".into(), message: "the identifiers do not compile together".into() });
            }
        };
        Ok(Some(Group { re, all, ids }))
    }

    fn cache(&self) -> GroupCache {
        GroupCache { re: self.re.create_cache(), all: self.all.create_cache(), set: PatternSet::new(self.ids.len()) }
    }
}

/// Per-thread search state.
pub struct Cache {
    always: Option<GroupCache>,
    gated: Option<GroupCache>,
    marks: Vec<u64>,
    low: Vec<u8>,
    pairs: Vec<(usize, usize)>,
}

/// The lazy DFA cache: the default (2 MiB) is too small for the union of all patterns.
const DFA_CACHE: usize = 32 << 20;

impl Scanner {
    pub fn new(opts: Options) -> Result<Scanner, Error> {
        let mut idents = if opts.managed { crate::ident::managed() } else { Vec::new() };
        idents.extend(opts.custom);
        let (gated_ids, always_ids): (Vec<usize>, Vec<usize>) = (0..idents.len()).partition(|&i| idents[i].keyword_rule == KeywordRule::Always);
        let always = Group::build(&idents, always_ids)?;
        let gated = Group::build(&idents, gated_ids.clone())?;
        // Keyword variants as they may be written: `date of birth`, `date_of_birth`, `date-of-birth`, `date.of.birth`.
        // Each variant maps to the gated patterns (bit = position in the gated group) it unlocks.
        let mut variants: Vec<(String, u64)> = Vec::new();
        for (pos, &i) in gated_ids.iter().enumerate() {
            let bit = if pos < 64 { 1u64 << pos } else { 0 };
            for k in &idents[i].keywords {
                for sep in [" ", "_", "-", "."] {
                    variants.push((k.replace(' ', sep), bit));
                }
            }
        }
        variants.sort();
        let mut merged: Vec<(String, u64)> = Vec::new();
        for (v, b) in variants {
            match merged.last_mut() {
                Some((lv, lb)) if *lv == v => *lb |= b,
                _ => merged.push((v, b)),
            }
        }
        let gate_masks: Vec<u64> = merged.iter().map(|(_, b)| *b).collect();
        let variants: Vec<String> = merged.into_iter().map(|(v, _)| v).collect();
        let gate_words: Vec<(String, u64)> = gated_ids
            .iter()
            .enumerate()
            .flat_map(|(pos, &i)| {
                let bit = if pos < 64 { 1u64 << pos } else { 0 };
                idents[i].keywords.iter().map(move |k| (k.clone(), bit))
            })
            .collect();
        let gate = if variants.is_empty() {
            None
        } else {
            Some(AhoCorasick::builder().ascii_case_insensitive(true).kind(Some(AhoCorasickKind::DFA)).build(&variants).map_err(|e| Error::Identifier { name: "keywords".into(), message: e.to_string() })?)
        };
        let gl = match opts.gitleaks {
            None => None,
            Some(loaded) => {
                let base = idents.len();
                let mut kw_index: Vec<String> = Vec::new();
                let mut by_keyword: Vec<Vec<usize>> = Vec::new();
                let mut always = Vec::new();
                for (ri, r) in loaded.rules.iter().enumerate() {
                    idents.push(Identifier {
                        name: r.id.clone(),
                        category: Category::Credentials,
                        origin: Origin::Gitleaks,
                        pattern: r.regex.as_str().to_string(),
                        keywords: Vec::new(),
                        keyword_rule: KeywordRule::Never,
                        max_distance: 0,
                        ignore_words: Vec::new(),
                        validator: Validator::None,
                                    severity_levels: Vec::new(),
                    });
                    if r.keywords.is_empty() {
                        always.push(ri);
                    }
                    for k in &r.keywords {
                        let ki = match kw_index.iter().position(|x| x == k) {
                            Some(i) => i,
                            None => {
                                kw_index.push(k.clone());
                                by_keyword.push(Vec::new());
                                kw_index.len() - 1
                            }
                        };
                        by_keyword[ki].push(ri);
                    }
                }
                let ac = if kw_index.is_empty() {
                    None
                } else {
                    Some(AhoCorasick::builder().ascii_case_insensitive(true).build(&kw_index).map_err(|e| Error::Identifier { name: "gitleaks keywords".into(), message: e.to_string() })?)
                };
                Some(Gitleaks { rules: loaded.rules, global: loaded.global, ac, by_keyword, always, base })
            }
        };
        Ok(Scanner { idents, always, gated, gate, gate_masks, gate_words, gl })
    }

    pub fn cache(&self) -> Cache {
        Cache { always: self.always.as_ref().map(Group::cache), gated: self.gated.as_ref().map(Group::cache), low: Vec::new(), pairs: Vec::new(), marks: Vec::new() }
    }

    fn has_keyword(&self, id: &Identifier, value: &[u8], start: usize, ctx: Option<&str>, low: &mut Vec<u8>) -> bool {
        if let Some(c) = ctx {
            if id.keywords.iter().any(|k| c.contains(k.as_str())) {
                return true;
            }
        }
        let from = start.saturating_sub(id.max_distance);
        low.clear();
        low.extend(value[from..start].iter().map(|&b| match b {
            b'_' | b'-' | b'.' => b' ',
            _ => b.to_ascii_lowercase(),
        }));
        id.keywords.iter().any(|k| gitleaks::contains(low, k.as_bytes()))
    }

    /// Checks a candidate `value[s..e]` for identifier `i`; returns the reported span.
    fn accept(&self, i: usize, value: &[u8], s: usize, e: usize, ctx: Option<&str>, low: &mut Vec<u8>) -> Option<(usize, usize)> {
        let id = &self.idents[i];
        if s >= e || e > value.len() {
            return None;
        }
        let before = s.checked_sub(1).and_then(|p| value.get(p)).copied();
        let after = value.get(e).copied();
        let after2 = value.get(e + 1).copied();
        match id.validator {
            // Not part of a longer base64 run.
            Validator::Entropy(_) => {
                let b64 = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'='));
                if b64(before) || b64(after) {
                    return None;
                }
            }
            // Not glued to letters, digits, colons or a following `.digit`.
            Validator::Ipv6 => {
                let word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b':');
                if word(before) || before == Some(b'.') || word(after) || (after == Some(b'.') && after2.is_some_and(|b| b.is_ascii_digit())) {
                    return None;
                }
            }
            _ => {}
        }
        let (s, mut e) = (s, e);
        if id.validator == Validator::CreditCard && !validate::credit_card(&value[s..e]) {
            // A number that follows the card may have been taken as a last group: retry without it.
            for _ in 0..2 {
                match value[s..e].iter().rposition(|&b| b == b' ' || b == b'-') {
                    Some(p) => {
                        e = s + p;
                        if validate::credit_card(&value[s..e]) {
                            break;
                        }
                    }
                    None => break,
                }
            }
        }
        if id.validator == Validator::Iban && !validate::iban(&value[s..e]) {
            // A trailing word may have been taken as a last group: retry without it.
            for _ in 0..2 {
                match value[s..e].iter().rposition(|&b| b == b' ' || b == b'-') {
                    Some(p) if !validate::iban(&value[s..s + p]) => e = s + p,
                    Some(p) => {
                        e = s + p;
                        break;
                    }
                    None => break,
                }
            }
        }
        let m = &value[s..e];
        let valid = match id.validator {
            Validator::None => true,
            Validator::CreditCard => validate::credit_card(m),
            Validator::Iban => validate::iban(m),
            Validator::Aba => validate::aba_routing(m),
            Validator::Ssn => validate::ssn(m),
            Validator::Itin => validate::itin(m),
            Validator::Ipv4 => validate::ipv4(m),
            Validator::Ipv6 => validate::ipv6(m),
            Validator::Mac => validate::mac(m),
            Validator::Date => validate::date(m),
            Validator::Jwt => validate::jwt(m),
            Validator::BasicAuth => validate::basic_auth(m),
            Validator::Phone => validate::phone(m),
            Validator::Entropy(min) => validate::entropy(m) >= min && m.iter().any(u8::is_ascii_digit),
        };
        if !valid {
            return None;
        }
        if id.ignore_words.iter().any(|w| gitleaks::contains(m, w.as_bytes())) {
            return None;
        }
        let need = match id.keyword_rule {
            KeywordRule::Never => false,
            KeywordRule::Always => true,
        };
        if need && !self.has_keyword(id, value, s, ctx, low) {
            return None;
        }
        Some((s, e))
    }

    /// Scans every value of a batch; hits are appended to `out` in value order.
    pub fn scan(&self, cache: &mut Cache, batch: &Batch, out: &mut Vec<Hit>) {
        let first = out.len();
        self.scan_multi(cache, batch, out);
        self.scan_gitleaks(cache, batch, out);
        out[first..].sort_by_key(|h| (h.seg, h.start, h.ident));
    }

    fn ctx(batch: &Batch, seg: usize) -> Option<&str> {
        let c = batch.segs.get(seg)?.ctx;
        batch.contexts.get(c as usize).map(String::as_str)
    }

    fn scan_multi(&self, cache: &mut Cache, batch: &Batch, out: &mut Vec<Hit>) {
        if let (Some(g), Some(c)) = (self.always.as_ref(), cache.always.as_mut()) {
            self.scan_group(g, c, &mut cache.low, batch, 0, batch.buf.len(), None, out);
        }
        let (Some(g), Some(c)) = (self.gated.as_ref(), cache.gated.as_mut()) else { return };
        let marks = &mut cache.marks;
        marks.clear();
        marks.resize(batch.segs.len(), 0);
        let mut any = false;
        if let Some(ac) = &self.gate {
            for m in ac.find_iter(batch.buf.as_slice()) {
                if let Some(si) = batch.seg_at(m.start()) {
                    marks[si] |= self.gate_masks.get(m.pattern().as_usize()).copied().unwrap_or(u64::MAX);
                    any = true;
                }
            }
        }
        let ctx_mask: Vec<u64> = batch.contexts.iter().map(|c| self.gate_words.iter().filter(|(k, _)| c.contains(k.as_str())).fold(0, |a, (_, b)| a | b)).collect();
        if ctx_mask.iter().any(|&b| b != 0) {
            for (si, seg) in batch.segs.iter().enumerate() {
                let m = ctx_mask.get(seg.ctx as usize).copied().unwrap_or(0);
                if m != 0 {
                    marks[si] |= m;
                    any = true;
                }
            }
        }
        if !any {
            return;
        }
        let marks = std::mem::take(&mut cache.marks);
        let mut si = 0;
        while si < batch.segs.len() {
            if marks[si] == 0 {
                si += 1;
                continue;
            }
            // A run of marked values is searched in one go.
            let mut sj = si;
            while sj + 1 < batch.segs.len() && marks[sj + 1] != 0 {
                sj += 1;
            }
            self.scan_group(g, c, &mut cache.low, batch, batch.segs[si].start, batch.segs[sj].end, Some(&marks), out);
            si = sj + 1;
        }
        cache.marks = marks;
    }

    #[allow(clippy::too_many_arguments)]
    fn scan_group(&self, g: &Group, c: &mut GroupCache, low: &mut Vec<u8>, batch: &Batch, from: usize, to: usize, marks: Option<&[u64]>, out: &mut Vec<Hit>) {
        // Whether pattern `p` may match in value `si`: for the gated group, one of its keywords is in or around the value.
        let allowed = |si: usize, p: usize| match marks {
            None => true,
            Some(m) => p >= 64 || m.get(si).is_some_and(|&x| x & (1u64 << p) != 0),
        };
        let hay = batch.buf.as_slice();
        let mut at = from;
        while at < to {
            let Some(m) = g.re.search_with(&mut c.re, &Input::new(hay).range(at..to)) else { break };
            let (s, e) = (m.start(), m.end());
            let Some(si) = batch.seg_at(s) else {
                at = s + 1;
                continue;
            };
            let seg = batch.segs[si];
            let value = &hay[seg.start..seg.end];
            let ctx = Self::ctx(batch, si);
            let pid = m.pattern().as_usize();
            let mut found = None;
            let in_seg = e <= seg.end;
            if in_seg && e > s && allowed(si, pid) {
                found = self.accept(g.ids[pid], value, s - seg.start, e - seg.start, ctx, low).map(|sp| (g.ids[pid], sp));
            }
            // Is any other pattern possible here at all?
            let others = match marks {
                None => true,
                Some(m) => m.get(si).is_some_and(|&x| pid >= 64 || x & !(1u64 << pid) != 0),
            };
            if found.is_none() && others {
                // Every other pattern that matches at the same place, in priority order.
                c.set.clear();
                g.all.which_overlapping_matches_with(&mut c.all, &Input::new(hay).range(s..seg.end).anchored(Anchored::Yes), &mut c.set);
                for q in c.set.iter() {
                    // A match that ran past its value is retried within the value.
                    if (q.as_usize() == pid && in_seg) || !allowed(si, q.as_usize()) {
                        continue;
                    }
                    let inp = Input::new(hay).range(s..seg.end).anchored(Anchored::Pattern(q));
                    if let Some(m2) = g.re.search_with(&mut c.re, &inp) {
                        if m2.end() > m2.start() {
                            let qi = g.ids[q.as_usize()];
                            if let Some(sp) = self.accept(qi, value, s - seg.start, m2.end() - seg.start, ctx, low) {
                                found = Some((qi, sp));
                                break;
                            }
                        }
                    }
                }
            }
            match found {
                Some((q, (a, b))) => {
                    out.push(Hit { ident: q, seg: si, start: a, end: b });
                    at = (seg.start + b).max(s + 1);
                }
                None => at = s + 1,
            }
        }
    }

    fn scan_gitleaks(&self, cache: &mut Cache, batch: &Batch, out: &mut Vec<Hit>) {
        let Some(gl) = &self.gl else { return };
        let pairs = &mut cache.pairs;
        pairs.clear();
        if let Some(ac) = &gl.ac {
            for m in ac.find_overlapping_iter(batch.buf.as_slice()) {
                if let Some(si) = batch.seg_at(m.start()) {
                    for &r in &gl.by_keyword[m.pattern().as_usize()] {
                        pairs.push((si, r));
                    }
                }
            }
        }
        if !gl.always.is_empty() {
            for si in 0..batch.segs.len() {
                for &r in &gl.always {
                    pairs.push((si, r));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        for &(si, ri) in pairs.iter() {
            let rule = &gl.rules[ri];
            let value = batch.value(si);
            for caps in rule.regex.captures_iter(value) {
                let Some(whole) = caps.get(0) else { continue };
                let Some((a, b)) = rule.secret_span(&caps) else { continue };
                let secret = &value[a..b];
                if let Some(min) = rule.entropy {
                    if validate::entropy(secret) < min {
                        continue;
                    }
                }
                if rule.allows.iter().chain(gl.global.iter()).any(|al| al.allows(secret, whole.as_bytes(), value)) {
                    continue;
                }
                out.push(Hit { ident: gl.base + ri, seg: si, start: a, end: b });
            }
        }
    }
}
