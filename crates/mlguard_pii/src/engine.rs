//! The scanner: multi-pattern lazy DFAs over a batch of values, validators, keywords.
//!
//! Values (lines, cells, JSON leaves) are appended to a [`Batch`], one after the other,
//! each followed by `\n`, so one pass of a lazy DFA over the whole batch finds candidates
//! for many identifiers at once (`regex_automata::meta::Regex` with many patterns; its
//! lazy-DFA cache is raised from the default so the union of patterns does not thrash it).
//!
//! Identifiers that need no keyword (*always*) run over every value as a few *streams*:
//! one union of most of them, which also holds the keywords of the keyword-gated
//! identifiers as extra patterns, and e-mail addresses on their own (found from their
//! `@`). Each stream finds its next detection; the leftmost is taken (the first in priority
//! order at the same place), and streams whose next detection started inside it search
//! again from its end, so the result is what one leftmost-first search over all of them
//! would give. A candidate that fails its validator is retried as every other pattern of
//! its stream that matches at the same place (one anchored all-matches search), so a
//! 9-digit number that is not an SSN can still be a routing number; then the search goes
//! on one byte further.
//!
//! A keyword found on the way marks its value with the gated identifiers it unlocks (a
//! bitmask); so do a column name or JSON path holding one. Keywords inside a detection
//! of the union, which its search steps over, are found by an Aho-Corasick search of that
//! detection. Identifiers that need a keyword (*gated*) then run, one regex each, only on
//! marked values and only if their bit is set; a candidate counts only if its own keyword
//! is within `max_distance` characters before it (Macie: 30) or in the context.
//!
//! Person names and street lines ([`Shape`]) are always-identifiers whose validators
//! judge the words and the context and set the detection's [`Confidence`]; a street line
//! and a postcode just after it are joined into one address.
//!
//! gitleaks rules are gated the way gitleaks gates them: one Aho-Corasick automaton over
//! all rules' keywords runs over the batch, and a rule's regex runs only on the values
//! where one of its keywords occurs.

use crate::gitleaks::{self, Allow, Rule};
use crate::ident::{normalize_keyword, Category, Confidence, Identifier, KeywordRule, Origin, Shape, Validator};
use crate::validate;
use crate::Error;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_automata::nfa::thompson;
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::syntax;
use regex_automata::{hybrid, meta, Anchored, Input, MatchKind, PatternSet};

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

    /// The value holding `pos`, looked for from value `hint` onwards first (searches move forward).
    fn seg_at_from(&self, pos: usize, hint: usize) -> Option<usize> {
        for i in hint..hint + 8 {
            let s = self.segs.get(i)?;
            if pos < s.start {
                break;
            }
            if pos < s.end {
                return Some(i);
            }
        }
        self.seg_at(pos)
    }

    /// The first value ending after `pos`, looked for from value `hint` onwards first.
    fn first_after(&self, pos: usize, hint: usize) -> usize {
        let mut h = hint.min(self.segs.len());
        if h == 0 || self.segs[h - 1].end <= pos {
            for _ in 0..8 {
                match self.segs.get(h) {
                    Some(s) if s.end <= pos => h += 1,
                    _ => return h,
                }
            }
        }
        self.segs.partition_point(|g| g.end <= pos)
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

/// A value's keyword context as the validators see it: the normalised column name or JSON
/// path, and which person-name and street identifiers it backs (bit `j` for
/// `Scanner::shaped[j]`, worked out once per context and batch, not per detection).
#[derive(Clone, Copy)]
struct Ctx<'a> {
    text: Option<&'a str>,
    shaped: u64,
}

impl Ctx<'_> {
    const NONE: Ctx<'static> = Ctx { text: None, shaped: 0 };
}

/// One detection: which identifier, in which value, and where in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub ident: usize,
    /// How the detection was found ([`Confidence`]): `High` but for names and addresses.
    pub confidence: Confidence,
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
    /// Identifiers that need no keyword, run over every value: a few multi-pattern groups
    /// (streams) whose detections are merged as one leftmost-first search would find them.
    always: Vec<Group>,
    /// Identifiers that need a keyword, one regex each: run only on values where one of
    /// their keywords occurs (Aho-Corasick over the batch's normalised copy) or whose
    /// context (column, JSON path) has one, and only those whose keyword is there.
    gated: Vec<Single>,
    /// Every keyword as it may be written, for the window search inside detections.
    gate: Option<AhoCorasick>,
    /// Per gate pattern, the gated identifiers it unlocks (bit = position in `gated`, 63 and
    /// above share bit 63).
    gate_masks: Vec<u64>,
    /// The longest keyword.
    gate_len: usize,
    /// Normalised keywords of the gated identifiers with their pattern bit, for contexts.
    gate_words: Vec<(String, u64)>,
    /// Person-name and street identifiers (their context bit is their position here).
    shaped: Vec<usize>,
    /// Per identifier: whether a match may hold an ASCII letter or `#` (else no keyword can
    /// start inside one of its detections, and the window search there is skipped).
    lettered: Vec<bool>,
    gl: Option<Gitleaks>,
}

/// Patterns compiled together: leftmost-first for finding, all-matches for the retry.
struct Group {
    /// The meta regexes, built on first use: the group with keywords runs its own lazy
    /// DFAs ([`Direct`]) and needs them only when a DFA gives up, and the e-mail group only
    /// when [`AtSign`]'s DFA does, so most scanners never build them (building one costs
    /// about as much as the DFAs' NFAs together).
    re: LazyMeta,
    all: LazyMeta,
    /// Pattern id -> identifier index.
    ids: Vec<usize>,
    /// Keyword patterns follow the identifiers' (ids from `ids.len()`): a match marks its
    /// value with the gated identifiers it unlocks (bit masks, one per keyword pattern).
    kw_masks: Vec<u64>,
    /// For the group with keywords: its own forward and reverse lazy DFAs, used instead of
    /// `re` for finding (see [`Direct`]).
    direct: Option<Direct>,
    /// For the managed e-mail pattern alone: found from its `@` (see [`AtSign`]).
    at_sign: Option<AtSign>,
    /// Per identifier pattern: whether a match may hold an ASCII letter or `#` (from the NFA).
    lettered: Vec<bool>,
    /// Most keywords as one pattern (see [`KwTrie`]), when they can be; else one pattern each.
    kw: Option<KwTrie>,
}

/// Most keywords of a group as one pattern (a trie: one alternation per shared prefix)
/// instead of one pattern each. The lazy DFA's unanchored start state holds the first NFA
/// state of every pattern, and each new DFA state is built from it, so fewer first states make
/// each new state cheaper to build (managed: 22 keyword patterns' first states instead of 64,
/// the 55 keywords in the trie starting with 13 letters; 105 NFA states in the start before).
///
/// In the trie, no keyword ends with another, so at most one ends at a place: a match's end
/// names its keyword, hence its start, from its last three bytes (a table look-up, and when
/// several keywords of the trie end with them, a comparison); and no keyword left out is a
/// prefix of one in it. The others (`account`, as `bank account` ends with it ...) stay one
/// pattern each, with their fixed length: the longest join first, so short keywords, found
/// more often in text, are the ones that need no look-up.
///
/// Patterns: the identifiers', the trie, then the other keywords in sorted order. The trie
/// matches what its keywords' patterns match, in the same order of preference: its
/// alternatives are in sorted order, and a keyword that is a prefix of others (an empty
/// alternative, first) is preferred to them, as the lower pattern id was. Two keywords match
/// at one place only if one is a prefix of the other, and the shorter is preferred: in the
/// trie, or the trie's over a later pattern (no keyword outside the trie is a prefix of one in
/// it). So the leftmost-first match is the same keyword at the same place. Group finds report
/// keyword `k` (its index in the group's keywords) as pattern `ids.len() + k`, as with one
/// pattern per keyword.
struct KwTrie {
    /// The trie's pattern id (`ids.len()`).
    pid: usize,
    /// Per keyword: whether it is in the trie.
    in_trie: Vec<bool>,
    /// The keywords outside the trie (index), pattern `pid + 1 + j` for the `j`-th.
    rest: Vec<usize>,
    /// Keywords (normalised with [`norm_byte`]).
    words: Vec<Vec<u8>>,
    /// Per byte: the class of its normalised form among the trie keywords' bytes (0 for none,
    /// at most 63).
    cls: [u8; 256],
    /// Per class triple (the last three bytes, six bits each): where the trie keywords ending
    /// so are in `ends` (first << 8 | how many; 0 for none).
    last3: Vec<u32>,
    /// Trie keywords (index, length) by their last three bytes.
    ends: Vec<(usize, usize)>,
}

impl KwTrie {
    /// `None` when fewer than two keywords can be in the trie.
    fn build(keywords: &[(String, u64)], pid: usize) -> Option<KwTrie> {
        let words: Vec<Vec<u8>> = keywords.iter().map(|(k, _)| k.as_bytes().to_vec()).collect();
        let plain = |w: &[u8]| w.len() >= 3 && w.len() < 256 && w.iter().all(|&b| b.is_ascii() && norm_byte(b) == b);
        let tail = |w: &[u8]| w.get(w.len().saturating_sub(3)..).map(<[u8]>::to_vec).unwrap_or_default();
        // Longest first (short keywords, hit more often in text, keep their fixed length): a
        // keyword joins when no keyword in the trie ends with it or is its end (then at most one
        // keyword of the trie ends at a place) and none outside is a prefix of it (the trie's
        // pattern comes first), until none can.
        let mut order: Vec<usize> = (0..words.len()).filter(|&k| plain(&words[k])).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(words[k].len()));
        let mut in_trie = vec![false; words.len()];
        let mut grew = true;
        while grew {
            grew = false;
            for &k in &order {
                let w = &words[k];
                let suffix = |j: usize| in_trie[j] && tail(&words[j]) == tail(w) && (words[j].ends_with(w) || w.ends_with(&words[j]));
                if !in_trie[k] && !(0..words.len()).any(suffix) && !(0..words.len()).any(|x| !in_trie[x] && x != k && w.starts_with(&words[x])) {
                    in_trie[k] = true;
                    grew = true;
                }
            }
        }
        let mut chars: Vec<u8> = (0..words.len()).filter(|&k| in_trie[k]).flat_map(|k| words[k].iter().copied()).collect();
        chars.sort_unstable();
        chars.dedup();
        if in_trie.iter().filter(|&&t| t).count() < 2 || chars.len() > 63 || words.len() >= 1 << 23 {
            return None;
        }
        let class = |c: u8| chars.iter().position(|&x| x == c).map_or(0, |i| i + 1);
        let mut cls = [0u8; 256];
        for (b, c) in (0..=255u8).zip(cls.iter_mut()) {
            *c = u8::try_from(class(norm_byte(b))).ok()?;
        }
        let key = |w: &[u8]| w[w.len() - 3..].iter().fold(0, |a, &b| a << 6 | class(b));
        let mut by_key: Vec<(usize, usize)> = (0..words.len()).filter(|&k| in_trie[k]).map(|k| (key(&words[k]), k)).collect();
        by_key.sort_unstable();
        let mut last3 = vec![0u32; 1 << 18];
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for list in by_key.chunk_by(|a, b| a.0 == b.0) {
            if list.len() > 255 {
                return None;
            }
            *last3.get_mut(list[0].0)? = u32::try_from(ends.len() << 8 | list.len()).ok()?;
            ends.extend(list.iter().map(|&(_, k)| (k, words[k].len())));
        }
        let rest = (0..words.len()).filter(|&k| !in_trie[k]).collect();
        Some(KwTrie { pid, in_trie, rest, words, cls, last3, ends })
    }

    /// The patterns: the trie, each byte as [`keyword_pattern`] writes it, then the others.
    fn patterns(&self, keywords: &[(String, u64)]) -> Vec<String> {
        fn alts(words: &[&[u8]], out: &mut String) {
            let mut parts: Vec<String> = Vec::new();
            let mut i = 0;
            while i < words.len() {
                let Some(&c) = words[i].first() else {
                    // The word ending here (sorted first).
                    parts.push(String::new());
                    i += 1;
                    continue;
                };
                let j = i + words[i..].iter().take_while(|w| w.first() == Some(&c)).count();
                let mut p = if c == b' ' {
                    String::from(r"[ _.\-]")
                } else if c.is_ascii_alphabetic() {
                    format!("[{}{}]", char::from(c.to_ascii_uppercase()), char::from(c))
                } else {
                    regex::escape(char::from(c).encode_utf8(&mut [0; 4]))
                };
                let rest: Vec<&[u8]> = words[i..j].iter().map(|w| &w[1..]).collect();
                alts(&rest, &mut p);
                parts.push(p);
                i = j;
            }
            if parts.len() == 1 {
                out.push_str(&parts[0]);
            } else {
                out.push_str("(?:");
                out.push_str(&parts.join("|"));
                out.push(')');
            }
        }
        let mut sorted: Vec<&[u8]> = self.words.iter().zip(&self.in_trie).filter(|(_, &t)| t).map(|(w, _)| w.as_slice()).collect();
        sorted.sort_unstable();
        let mut p = String::new();
        alts(&sorted, &mut p);
        std::iter::once(p).chain(self.rest.iter().map(|&k| keyword_pattern(&keywords[k].0))).collect()
    }

    /// Pattern `r` (a keyword pattern) matching `hay[s..e]`, leftmost in `hay[at..]`, as
    /// (start, keyword): the trie's start and keyword follow from `e`.
    #[inline(always)]
    fn keyword(&self, r: usize, hay: &[u8], at: usize, s: usize, e: usize) -> Option<(usize, usize)> {
        if r != self.pid {
            return self.rest.get(r.checked_sub(self.pid + 1)?).map(|&k| (s, k));
        }
        let &[a, b, c] = hay.get(e.checked_sub(3)?..e)? else { return None };
        let cls = |x: u8| usize::from(self.cls[usize::from(x)]);
        let v = *self.last3.get(cls(a) << 12 | cls(b) << 6 | cls(c))? as usize;
        if v & 0xff == 1 {
            let &(k, len) = self.ends.get(v >> 8)?;
            return Some((e.checked_sub(len).filter(|&s| s >= at)?, k));
        }
        self.trie_keyword(hay, at, e, v)
    }

    /// The trie's match ending at `e`, leftmost in `hay[at..]`, among the keywords `v` (a
    /// `last3` entry) names: (start, keyword).
    #[inline(never)]
    fn trie_keyword(&self, hay: &[u8], at: usize, e: usize, v: usize) -> Option<(usize, usize)> {
        let (&(k, len), others) = self.ends.get(v >> 8..(v >> 8) + (v & 0xff))?.split_last()?;
        // At most one of them ends here (none ends with another), and one does: compare all
        // but the last.
        for &(k2, len2) in others {
            if let Some(s) = e.checked_sub(len2).filter(|&s| s >= at && Self::is(&self.words[k2], &hay[s..e])) {
                return Some((s, k2));
            }
        }
        Some((e.checked_sub(len).filter(|&s| s >= at)?, k))
    }

    fn is(w: &[u8], h: &[u8]) -> bool {
        w.len() == h.len() && w.iter().zip(h).all(|(&a, &b)| norm_byte(b) == a)
    }

    /// The masks of every keyword of pattern `r` matching at `s` (and ending by `end`).
    fn marks_at(&self, r: usize, masks: &[u64], hay: &[u8], s: usize, end: usize) -> u64 {
        if r != self.pid {
            return self.rest.get(r.saturating_sub(self.pid + 1)).and_then(|&k| masks.get(k)).copied().unwrap_or(u64::MAX);
        }
        (0..self.words.len()).filter(|&k| self.in_trie[k]).filter(|&k| hay.get(s..s + self.words[k].len()).is_some_and(|h| s + h.len() <= end && Self::is(&self.words[k], h))).fold(0, |a, k| a | masks.get(k).copied().unwrap_or(u64::MAX))
    }
}

/// Finds matches of [`crate::ident::EMAIL_PAT`] from their `@` (a vectorised search), with
/// no reverse search: the leftmost match holds the first `@` that is part of a match (the
/// local part holds no `@`, so a match that starts earlier cannot use a later `@`), and
/// its start is the first position, at most 64 bytes before that `@` and after a run of
/// local-part bytes, where a word boundary holds; whether the domain matches, and where
/// the match ends, the pattern's own lazy DFA says, anchored at that start. (The domain
/// does not depend on the start, so if the first possible start has no match, no start
/// has, and the next `@` is tried.) The meta regex does a search when the DFA gives up.
struct AtSign {
    at: Prefilter,
    fwd: hybrid::dfa::DFA,
}

impl AtSign {
    fn build(pattern: &str) -> Option<AtSign> {
        if pattern != crate::ident::EMAIL_PAT {
            return None;
        }
        let fwd = hybrid::dfa::Builder::new()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
            .configure(hybrid::dfa::Config::new().match_kind(MatchKind::LeftmostFirst).unicode_word_boundary(true).cache_capacity(DFA_CACHE).minimum_cache_clear_count(Some(3)).minimum_bytes_per_state(Some(10)))
            .build(pattern)
            .ok()?;
        Some(AtSign { at: Prefilter::new(MatchKind::LeftmostFirst, &[b"@"])?, fwd })
    }

    /// The leftmost-first match starting in `hay[at..]`; `Err` when the DFA gave up.
    fn find(&self, cache: &mut hybrid::dfa::Cache, hay: &[u8], at: usize) -> Result<Option<(usize, usize)>, ()> {
        let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
        let word = |i: usize| hay.get(i).is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_');
        let mut from = at;
        while from < hay.len() {
            let Some(p) = self.at.find(hay, regex_automata::Span::from(from..hay.len())).map(|sp| sp.start) else { return Ok(None) };
            from = p + 1;
            let lo = at.max(p.saturating_sub(64));
            let mut s = p;
            while s > lo && hay.get(s - 1).is_some_and(|&b| local(b)) {
                s -= 1;
            }
            // The first position of the run with a word boundary before it.
            let Some(s) = (s..p).find(|&q| q.checked_sub(1).is_some_and(word) != word(q)) else { continue };
            match self.fwd.try_search_fwd(cache, &Input::new(hay).range(s..).anchored(Anchored::Yes)) {
                Ok(Some(end)) => return Ok(Some((s, end.offset()))),
                Ok(None) => {}
                Err(_) => return Err(()),
            }
        }
        Ok(None)
    }
}

/// The lazy DFAs `meta::Regex` runs for a multi-pattern group, driven here: a keyword match
/// has a fixed length, so its start needs no reverse search (the forward search gives its
/// end and pattern), and the layers of the meta regex are skipped for every search. The
/// DFAs are configured as the meta regex configures its own (same NFA, match kinds,
/// give-up rule); when one gives up, the meta regex does that search.
struct Direct {
    fwd: hybrid::dfa::DFA,
    rev: hybrid::dfa::DFA,
    /// The forward NFA with all-matches semantics, for the retry of the other patterns
    /// matching where a candidate failed (configured as the meta regex configures its own).
    all: hybrid::dfa::DFA,
    /// Per keyword pattern: its length in bytes when every match has it (ASCII keywords).
    kw_len: Vec<Option<usize>>,
    /// No match of any pattern (not even an empty one) starts at a `\n`, whatever byte
    /// precedes it: the forward DFA, anchored, dies on `\n` from every start state. Then a
    /// search may step over a `\n` it starts at, and try the value after it anchored first
    /// (see [`Group::find`]).
    nl_dead: bool,
    /// Per byte: no match starts with it after a `\n` (the anchored DFA, started after a
    /// `\n`, dies on it), so the anchored search at a value's start is not needed.
    dead_first: [bool; 256],
}

impl Direct {
    /// From the group's NFAs, compiled once for all three DFAs (forward and reverse, no
    /// capture states).
    fn build(fwd_nfa: &thompson::NFA, rev_nfa: &thompson::NFA, kw_len: Vec<Option<usize>>) -> Option<Direct> {
        let dfa = |nfa: &thompson::NFA, kind: MatchKind, starts: bool| {
            hybrid::dfa::Builder::new()
                .configure(hybrid::dfa::Config::new().match_kind(kind).starts_for_each_pattern(starts).unicode_word_boundary(true).cache_capacity(DFA_CACHE).minimum_cache_clear_count(Some(3)).minimum_bytes_per_state(Some(10)))
                .build_from_nfa(nfa.clone())
                .ok()
        };
        let fwd = dfa(fwd_nfa, MatchKind::LeftmostFirst, true)?;
        let nl_dead = newline_starts_nothing(&fwd);
        let dead_first = dead_after_newline(&fwd);
        Some(Direct { fwd, rev: dfa(rev_nfa, MatchKind::All, false)?, all: dfa(fwd_nfa, MatchKind::All, true)?, kw_len, nl_dead, dead_first })
    }
}

/// A meta regex over a group's parsed patterns, built the first time it is needed (see
/// [`Group::re`]). `None` if it does not build (the group's NFA did, so only a pattern
/// near the NFA size limit could: its searches then find nothing).
struct LazyMeta {
    pats: std::sync::Arc<Vec<String>>,
    kind: MatchKind,
    re: std::sync::OnceLock<Option<meta::Regex>>,
}

impl LazyMeta {
    fn get(&self) -> Option<&meta::Regex> {
        self.re.get_or_init(|| meta_builder(self.kind).build_many(&self.pats).ok()).as_ref()
    }

    /// A search with the regex, its cache made on first use.
    fn search(&self, cache: &mut Option<meta::Cache>, input: &Input<'_>) -> Option<regex_automata::Match> {
        let re = self.get()?;
        re.search_with(cache.get_or_insert_with(|| re.create_cache()), input)
    }

    fn which_overlapping(&self, cache: &mut Option<meta::Cache>, input: &Input<'_>, set: &mut PatternSet) {
        if let Some(re) = self.get() {
            re.which_overlapping_matches_with(cache.get_or_insert_with(|| re.create_cache()), input, set);
        }
    }
}

/// How the group regexes are built.
fn meta_builder(kind: MatchKind) -> meta::Builder {
    let mut b = meta::Regex::builder();
    b.syntax(syntax::Config::new().unicode(false).utf8(false)).configure(meta::Config::new().match_kind(kind).utf8_empty(false).hybrid_cache_capacity(DFA_CACHE).nfa_size_limit(Some(64 << 20)));
    b
}

/// Per byte: whether the forward lazy DFA `fwd`, anchored, started after a `\n`, dies on it
/// (then no match, empty or not, starts with it there; see [`newline_starts_nothing`]).
/// Any error answers no.
fn dead_after_newline(fwd: &hybrid::dfa::DFA) -> [bool; 256] {
    let mut dead = [false; 256];
    let mut cache = fwd.create_cache();
    let cfg = regex_automata::util::start::Config::new().anchored(Anchored::Yes).look_behind(Some(b'\n'));
    if let Ok(sid) = fwd.start_state(&mut cache, &cfg) {
        for (b, d) in (0..=255u8).zip(dead.iter_mut()) {
            *d = fwd.next_state(&mut cache, sid, b).is_ok_and(|n| n.is_dead());
        }
    }
    dead
}

/// Whether the forward lazy DFA `fwd` (anchored) dies on a `\n` from each of its start
/// states, one per possible byte before the search's start (and none, at the haystack's
/// start): then no match, empty or not, starts at a `\n`. (A lazy DFA reports a match one
/// byte late, so an empty match at the `\n` would make the state after it a match state,
/// not the dead one.) Any error (a quit byte, a full cache) answers no.
fn newline_starts_nothing(fwd: &hybrid::dfa::DFA) -> bool {
    let mut cache = fwd.create_cache();
    std::iter::once(None).chain((0..=255u8).map(Some)).all(|lb| {
        let cfg = regex_automata::util::start::Config::new().anchored(Anchored::Yes).look_behind(lb);
        let Ok(sid) = fwd.start_state(&mut cache, &cfg) else { return false };
        fwd.next_state(&mut cache, sid, b'\n').is_ok_and(|n| n.is_dead())
    })
}

struct DirectCache {
    fwd: hybrid::dfa::Cache,
    rev: hybrid::dfa::Cache,
    all: hybrid::dfa::Cache,
}

/// One keyword-gated identifier.
struct Single {
    re: meta::Regex,
    /// Identifier index.
    id: usize,
    /// Where a match can be: see [`Runs`].
    runs: Option<Runs>,
    /// How a match can start: see [`Starts`].
    starts: Option<Starts>,
}

impl Single {
    /// Where a search for the leftmost match in `hay[at..to]` may begin: no match starts
    /// before it (see [`Runs`] and [`Starts`]); `None` when there is no match.
    fn skip(&self, hay: &[u8], at: usize, to: usize) -> Option<usize> {
        let mut at = at;
        if let Some(r) = &self.runs {
            at = r.first(hay, at, to)?;
        }
        if let Some(s) = &self.starts {
            at = s.first(hay, at, to)?;
        }
        Some(at)
    }
}

/// A pattern's matches are at least two bytes long, and their first two bytes are one of a
/// few pairs (`0` and a digit, `(0` ...), some of them only after a word boundary (`\b0`).
/// A search over a value can start at the first place with such a pair (the bytes before
/// still serve as look-behind), and a value without one holds no match: a phone column's
/// `(558) 467-9337` cells hold no start of the trunk-prefix phone pattern.
struct Starts {
    /// Per first byte: the second bytes (a 256-bit set) that may follow it at a match's
    /// start whatever precedes it.
    any: Vec<[u64; 4]>,
    /// The same, for starts that need an ASCII word boundary before the first byte.
    boundary: Vec<[u64; 4]>,
    /// Finds the bytes that can start a match (at most three: a vectorised search).
    first: Prefilter,
}

impl Starts {
    /// From the pattern's NFA: the byte transitions of the anchored start's closure, and
    /// those of each one's target's closure (looks other than an ASCII word boundary before
    /// the first byte are taken as true, a superset). `None` when a match can be shorter
    /// than two bytes, or any pair can start one (nothing to skip).
    fn of(min: usize, nfa: &thompson::NFA) -> Option<Starts> {
        use regex_automata::nfa::thompson::State;
        use regex_automata::util::look::Look;
        use regex_automata::util::primitives::StateID;
        if min < 2 {
            return None;
        }
        // The byte transitions (lo, hi, next) reachable from `from` through epsilons, each with
        // whether its path passed an ASCII word boundary; `None` if a match state is.
        let closure = |from: StateID, wb: bool| -> Option<Vec<(u8, u8, StateID, bool)>> {
            let mut out = Vec::new();
            let mut seen = vec![[false; 2]; nfa.states().len()];
            let mut stack = vec![(from, wb)];
            while let Some((id, wb)) = stack.pop() {
                if std::mem::replace(&mut seen.get_mut(id.as_usize())?[usize::from(wb)], true) {
                    continue;
                }
                match nfa.state(id) {
                    State::ByteRange { trans } => out.push((trans.start, trans.end, trans.next, wb)),
                    State::Sparse(sp) => out.extend(sp.transitions.iter().map(|t| (t.start, t.end, t.next, wb))),
                    State::Dense(d) => {
                        for (b, &next) in (0..=255u8).zip(d.transitions.iter()) {
                            if next != StateID::ZERO {
                                out.push((b, b, next, wb));
                            }
                        }
                    }
                    State::Look { look, next } => stack.push((*next, wb || *look == Look::WordAscii)),
                    State::Capture { next, .. } => stack.push((*next, wb)),
                    State::Union { alternates } => stack.extend(alternates.iter().map(|&a| (a, wb))),
                    State::BinaryUnion { alt1, alt2 } => stack.extend([(*alt1, wb), (*alt2, wb)]),
                    State::Fail => {}
                    State::Match { .. } => return None,
                }
            }
            Some(out)
        };
        let mut any = vec![[0u64; 4]; 256];
        let mut boundary = vec![[0u64; 4]; 256];
        for (lo, hi, next, wb) in closure(nfa.start_anchored(), false)? {
            let mut second = [0u64; 4];
            for (l2, h2, _, _) in closure(next, false)? {
                for b in l2..=h2 {
                    second[usize::from(b >> 6)] |= 1 << (b & 63);
                }
            }
            let table = if wb { &mut boundary } else { &mut any };
            for b in lo..=hi {
                for (t, s) in table[usize::from(b)].iter_mut().zip(second) {
                    *t |= s;
                }
            }
        }
        // Only when few bytes can start a match: they are found by a vectorised search; else
        // most places of a value are candidate starts, and testing pairs costs about what the
        // regex search it saves does.
        let firsts: Vec<[u8; 1]> = (0..=255u8).filter(|&b| any[usize::from(b)] != [0; 4] || boundary[usize::from(b)] != [0; 4]).map(|b| [b]).collect();
        if firsts.len() > 3 {
            return None;
        }
        let first = Prefilter::new(MatchKind::LeftmostFirst, &firsts)?;
        Some(Starts { any, boundary, first })
    }

    /// The first position `p` in `from..to - 1` where `hay[p]`, `hay[p + 1]` may start a match.
    fn first(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let has = |t: &[[u64; 4]], a: u8, b: u8| t[usize::from(a)][usize::from(b >> 6)] >> (b & 63) & 1 != 0;
        let v = hay.get(..to)?;
        let end = to.checked_sub(1)?;
        let mut from = from;
        while from < end {
            let p = self.first.find(v, regex_automata::Span::from(from..end))?.start;
            let (a, b) = (v[p], v[p + 1]);
            if has(&self.any, a, b) || (has(&self.boundary, a, b) && p.checked_sub(1).is_some_and(|q| word(v[q])) != word(a)) {
                return Some(p);
            }
            from = p + 1;
        }
        None
    }

    /// [`Starts::first`] byte by byte (for the tests).
    #[cfg(test)]
    fn first_simple(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let has = |t: &[[u64; 4]], a: u8, b: u8| t[usize::from(a)][usize::from(b >> 6)] >> (b & 63) & 1 != 0;
        (from..to.saturating_sub(1)).find(|&p| {
            let (a, b) = (hay[p], hay[p + 1]);
            has(&self.any, a, b) || (has(&self.boundary, a, b) && p.checked_sub(1).is_some_and(|q| word(hay[q])) != word(a))
        })
    }
}

/// Every byte of a match of a pattern is in `bytes`, and a match is at least `min` bytes
/// long, so a match lies inside a run of at least `min` consecutive bytes of `bytes`. A
/// search over a value can start at the first such run (the leftmost match starting at or
/// after a position starts at or after the first run from there; the bytes before still
/// serve as look-behind), and a value without one holds no match.
struct Runs {
    bytes: [bool; 256],
    min: usize,
}

impl Runs {
    /// From the pattern's NFA: the bytes of every transition reachable from its anchored
    /// start (a superset of the bytes a match can consume; looks consume none), and the
    /// shortest match length of its syntax tree. `None` when a match can be empty or every
    /// byte may be in one (nothing to skip).
    fn of(min: usize, nfa: &thompson::NFA) -> Option<Runs> {
        if min == 0 {
            return None;
        }
        let bytes = match_bytes(nfa, nfa.start_anchored())?;
        if bytes.iter().all(|&b| b) {
            return None;
        }
        Some(Runs { bytes, min })
    }

    /// The start of the first run of at least `min` bytes of the set in `hay[from..to]`.
    ///
    /// Looks at one byte in `min` where there is no run: with no window of `min` bytes in
    /// the set starting before `q`, if the byte at `q + min - 1` is not in the set, no window
    /// starts before `q + min` either; if it is, the run holding it is followed back (to
    /// `q`) and forward (to `min` bytes), and either it is the answer or the byte that ends
    /// it is in every window starting from `q` up to it.
    fn first(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        let v = hay.get(from..to)?;
        let n = self.min;
        let set = |i: usize| self.bytes[usize::from(v[i])];
        let mut q = 0;
        while q + n <= v.len() {
            let j = q + n - 1;
            if !set(j) {
                q = j + 1;
                continue;
            }
            let mut k = j;
            while k > q && set(k - 1) {
                k -= 1;
            }
            let mut e = j + 1;
            while e < k + n && e < v.len() && set(e) {
                e += 1;
            }
            if e == k + n {
                return Some(from + k);
            }
            q = e + 1;
        }
        None
    }

    /// [`Runs::first`] byte by byte (for the tests).
    #[cfg(test)]
    fn first_simple(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        let mut run = 0;
        for (i, &b) in hay.get(from..to)?.iter().enumerate() {
            if self.bytes[usize::from(b)] {
                run += 1;
                if run >= self.min {
                    return Some(from + i + 1 - run);
                }
            } else {
                run = 0;
            }
        }
        None
    }
}

/// The bytes of every transition reachable from `start` in `nfa` (a pattern's anchored
/// start): a superset of the bytes a match can consume (looks consume none).
fn match_bytes(nfa: &thompson::NFA, start: regex_automata::util::primitives::StateID) -> Option<[bool; 256]> {
    use regex_automata::nfa::thompson::State;
    let mut bytes = [false; 256];
    let mut seen = vec![false; nfa.states().len()];
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        if std::mem::replace(seen.get_mut(id.as_usize())?, true) {
            continue;
        }
        match nfa.state(id) {
            State::ByteRange { trans } => {
                bytes[usize::from(trans.start)..=usize::from(trans.end)].fill(true);
                stack.push(trans.next);
            }
            State::Sparse(sp) => {
                for t in sp.transitions.iter() {
                    bytes[usize::from(t.start)..=usize::from(t.end)].fill(true);
                    stack.push(t.next);
                }
            }
            State::Dense(d) => {
                for (b, &next) in d.transitions.iter().enumerate() {
                    if next != regex_automata::util::primitives::StateID::ZERO {
                        bytes[b] = true;
                        stack.push(next);
                    }
                }
            }
            State::Look { next, .. } | State::Capture { next, .. } => stack.push(*next),
            State::Union { alternates } => stack.extend(alternates.iter().copied()),
            State::BinaryUnion { alt1, alt2 } => stack.extend([*alt1, *alt2]),
            State::Fail | State::Match { .. } => {}
        }
    }
    Some(bytes)
}

struct GroupCache {
    re: Option<meta::Cache>,
    all: Option<meta::Cache>,
    set: PatternSet,
    /// The value the stream's last search stopped in (searches move forward).
    hint: usize,
    direct: Option<DirectCache>,
    at_sign: Option<hybrid::dfa::Cache>,
}

impl Group {
    fn build(idents: &[Identifier], ids: Vec<usize>, keywords: &[(String, u64)]) -> Result<Option<Group>, Error> {
        Group::build_with(idents, ids, keywords, true)
    }

    /// With `trie`, the keywords are one pattern when they can be ([`KwTrie`]).
    fn build_with(idents: &[Identifier], ids: Vec<usize>, keywords: &[(String, u64)], trie: bool) -> Result<Option<Group>, Error> {
        if ids.is_empty() && keywords.is_empty() {
            return Ok(None);
        }
        let kw = if trie { KwTrie::build(keywords, ids.len()) } else { None };
        let kw_pats: Vec<String> = match &kw {
            Some(t) => t.patterns(keywords),
            None => keywords.iter().map(|(k, _)| keyword_pattern(k)).collect(),
        };
        let pats: Vec<&str> = ids.iter().map(|&i| idents[i].pattern.as_str()).chain(kw_pats.iter().map(String::as_str)).collect();
        // Parsed once; the NFAs compiled once per direction for the lazy DFAs.
        let cfg = syntax::Config::new().unicode(false).utf8(false);
        let compiler = |rev: bool| {
            let mut c = thompson::Compiler::new();
            c.configure(thompson::Config::new().reverse(rev).which_captures(thompson::WhichCaptures::None).nfa_size_limit(Some(64 << 20)));
            c
        };
        let compiled = syntax::parse_many_with(&pats, &cfg).ok().and_then(|h| compiler(false).build_many_from_hir(&h).ok().map(|n| (h, n)));
        let Some((hirs, fwd_nfa)) = compiled else {
            // Name the identifier whose pattern does not compile.
            let build = |p: &[&str]| meta_builder(MatchKind::LeftmostFirst).build_many(p).map_err(Box::new);
            for &i in &ids {
                if let Err(e) = build(&[idents[i].pattern.as_str()]) {
                    return Err(Error::Identifier { name: idents[i].name.clone(), message: e.to_string() });
                }
            }
            return Err(Error::Identifier { name: "(all)".into(), message: "the identifiers do not compile together".into() });
        };
        // Two keywords can match at one place only if one is a prefix of the other; a
        // leftmost-first search reports one of them, which then unlocks both.
        let kw_masks = keywords.iter().map(|(k, _)| keywords.iter().filter(|(k2, _)| k.starts_with(k2.as_str()) || k2.starts_with(k.as_str())).fold(0, |a, (_, b)| a | b)).collect();
        // Per keyword pattern: the length of every match, when it has one (ASCII keywords; not the trie).
        let fixed = |k: &String| k.is_ascii().then_some(k.len());
        let kw_len: Vec<Option<usize>> = match &kw {
            Some(t) => std::iter::once(None).chain(t.rest.iter().map(|&k| fixed(&keywords[k].0))).collect(),
            None => keywords.iter().map(|(k, _)| fixed(k)).collect(),
        };
        let direct = if keywords.is_empty() { None } else { compiler(true).build_many_from_hir(&hirs).ok().and_then(|rev| Direct::build(&fwd_nfa, &rev, kw_len)) };
        let at_sign = if pats.len() == 1 { AtSign::build(pats[0]) } else { None };
        let lettered = (0..ids.len())
            .map(|p| {
                let start = regex_automata::util::primitives::PatternID::new(p).ok().and_then(|p| fwd_nfa.start_pattern(p));
                start.and_then(|st| match_bytes(&fwd_nfa, st)).is_none_or(|b| (0..=255u8).any(|c| b[usize::from(c)] && (c.is_ascii_alphabetic() || c == b'#')))
            })
            .collect();
        let pats = std::sync::Arc::new(pats.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        let lazy = |kind| LazyMeta { pats: pats.clone(), kind, re: std::sync::OnceLock::new() };
        Ok(Some(Group { re: lazy(MatchKind::LeftmostFirst), all: lazy(MatchKind::All), ids, kw_masks, direct, at_sign, lettered, kw }))
    }

    fn cache(&self) -> GroupCache {
        let direct = self.direct.as_ref().map(|d| DirectCache { fwd: d.fwd.create_cache(), rev: d.rev.create_cache(), all: d.all.create_cache() });
        let at_sign = self.at_sign.as_ref().map(|a| a.fwd.create_cache());
        GroupCache { re: None, all: None, set: PatternSet::new(self.ids.len() + self.kw_masks.len()), hint: 0, direct, at_sign }
    }

    /// The leftmost-first match in `hay[at..]`: (start, end, pattern), as `re` finds it, a
    /// keyword `k` as pattern `ids.len() + k` (see [`KwTrie`]).
    fn find(&self, c: &mut GroupCache, hay: &[u8], at: usize) -> Option<(usize, usize, usize)> {
        match self.find_raw(c, hay, at)? {
            (m, true) => Some(m),
            (m, false) => Some(self.keyword_of(hay, m)),
        }
    }

    /// A match `(s, e, pattern)` of the group's patterns with the keyword pattern as the
    /// keyword's own id; with [`KwTrie`], its start is `s` (known).
    fn keyword_of(&self, hay: &[u8], m: (usize, usize, usize)) -> (usize, usize, usize) {
        match &self.kw {
            Some(t) if m.2 >= t.pid => match t.keyword(m.2, hay, m.0, m.0, m.1) {
                Some((s, k)) => (s, m.1, t.pid + k),
                // Not reached (the pattern matched there): every gated identifier is run.
                None => (m.0, m.1, t.pid + t.words.len()),
            },
            _ => m,
        }
    }

    /// [`Group::find`], with the keyword pattern's own id unless `true` says the keyword's.
    fn find_raw(&self, c: &mut GroupCache, hay: &[u8], at: usize) -> Option<((usize, usize, usize), bool)> {
        let input = Input::new(hay).range(at..);
        if let (Some(a), Some(ac)) = (&self.at_sign, &mut c.at_sign) {
            if let Ok(found) = a.find(ac, hay, at) {
                return found.map(|(s, e)| ((s, e, 0), false));
            }
        }
        if let (Some(d), Some(dc)) = (&self.direct, &mut c.direct) {
            // A search that starts at a value's start (after a detection that ended its
            // value, most CSV and Parquet cells): the match starting there, if any, is the
            // leftmost one, and an anchored search finds it with no reverse search.
            //
            // Why this is exact: a leftmost-first search reports the match with the
            // smallest start, and among the matches at that start the one first in priority
            // order (pattern order, then the patterns' own preferences), which is what an
            // anchored leftmost-first search at that start reports, the bytes before it
            // serving as look-behind in both. With `nl_dead`, nothing starts at a `\n`, so
            // the search may begin after one; if the anchored search finds nothing at `p`,
            // nothing starts there and the search from `p + 1` finds the leftmost match of
            // the search from `at`. `Group::find` is compared with the meta regex from every
            // position of random and CSV-like haystacks (`direct_find_is_the_meta_regexs`).
            let mut from = at;
            let mut gave_up = false;
            if d.nl_dead {
                if hay.get(from) == Some(&b'\n') {
                    from += 1;
                }
                if from < hay.len() && from > 0 && hay[from - 1] == b'\n' && d.dead_first[usize::from(hay[from])] {
                    // Nothing starts with this byte after a `\n`.
                    from += 1;
                } else if from < hay.len() && from > 0 && hay[from - 1] == b'\n' {
                    match d.fwd.try_search_fwd(&mut dc.fwd, &Input::new(hay).range(from..).anchored(Anchored::Yes)) {
                        Ok(Some(end)) => return Some(((from, end.offset(), end.pattern().as_usize()), false)),
                        Ok(None) => from += 1,
                        Err(_) => gave_up = true,
                    }
                }
            }
            let at = from;
            let search = if gave_up { Err(()) } else { d.fwd.try_search_fwd(&mut dc.fwd, &Input::new(hay).range(at..)).map_err(|_| ()) };
            match search {
                Ok(None) => return None,
                Ok(Some(end)) => {
                    let (e, pid) = (end.offset(), end.pattern().as_usize());
                    // A keyword: its start follows from its end (see [`KwTrie`]).
                    if let Some(t) = self.kw.as_ref().filter(|t| t.pid == pid) {
                        if let Some((s, k)) = t.keyword(pid, hay, at, at, e) {
                            return Some(((s, e, pid + k), true));
                        }
                    }
                    // A keyword of fixed length: its start is known.
                    let fixed = pid.checked_sub(self.ids.len()).and_then(|k| d.kw_len.get(k).copied().flatten());
                    if let Some(s) = fixed.and_then(|n| e.checked_sub(n)).filter(|&s| s >= at) {
                        return Some(((s, e, pid), false));
                    }
                    // As the lazy DFA regex does: an empty match at the start needs no
                    // reverse search; else the start is where the reverse DFA, anchored at
                    // the end, stops matching.
                    if e == at {
                        return Some(((e, e, pid), false));
                    }
                    if let Ok(Some(start)) = d.rev.try_search_rev(&mut dc.rev, &Input::new(hay).range(at..e).anchored(Anchored::Yes)) {
                        return Some(((start.offset(), e, pid), false));
                    }
                }
                Err(_) => {}
            }
        }
        self.re.search(&mut c.re, &input).map(|m| ((m.start(), m.end(), m.pattern().as_usize()), false))
    }

    /// The patterns matching at `input`'s start (anchored), as `all` finds them.
    fn which_at(&self, c: &mut GroupCache, input: &Input<'_>) {
        c.set.clear();
        if let (Some(d), Some(dc)) = (&self.direct, &mut c.direct) {
            if d.all.try_which_overlapping_matches(&mut dc.all, input, &mut c.set).is_ok() {
                return;
            }
            c.set.clear();
        }
        self.all.which_overlapping(&mut c.all, input, &mut c.set);
    }

    /// The end of pattern `q`'s match at `input`'s start (anchored there), as `re` finds it.
    fn end_of(&self, direct: &mut Option<DirectCache>, re: &mut Option<meta::Cache>, input: &Input<'_>) -> Option<usize> {
        if let (Some(d), Some(dc)) = (&self.direct, direct) {
            // An anchored search needs no reverse search: the match starts where the input does.
            if let Ok(m) = d.fwd.try_search_fwd(&mut dc.fwd, input) {
                return m.map(|m| m.offset());
            }
        }
        self.re.search(re, input).map(|m| m.end())
    }
}

/// Per-thread search state.
pub struct Cache {
    always: Vec<GroupCache>,
    /// Per always-stream: its next detection.
    heads: Vec<Option<Cand>>,
    gated: Vec<meta::Cache>,
    marks: Vec<u64>,
    pairs: Vec<(usize, usize)>,
    /// Per gated identifier allowed in a value: its next accepted match (batch offsets).
    next: Vec<Next>,
    /// Per context of the batch: the shaped identifiers it backs ([`Ctx::shaped`]).
    ctx_shaped: Vec<u64>,
    /// The readers' batch, locations and detections, kept from one file to the next so
    /// that each file does not grow them again from nothing.
    pub(crate) spare: Option<(Batch, Vec<crate::read::Loc>, Vec<Hit>)>,
}

/// A detection of an always-stream, in batch offsets.
#[derive(Clone, Copy)]
struct Cand {
    s: usize,
    e: usize,
    seg: usize,
    ident: usize,
    confidence: Confidence,
}

#[derive(Clone, Copy)]
struct Next {
    pos: usize,
    /// `None` once the identifier has no further match in the value.
    span: Option<(usize, usize, Confidence)>,
}

/// The bit of the gated identifier at `pos`.
fn gate_bit(pos: usize) -> u64 {
    1u64 << pos.min(63)
}

/// How keyword search sees a byte: ASCII lowercase, `_`, `-`, `.` as spaces.
fn norm_byte(b: u8) -> u8 {
    match b {
        b'_' | b'-' | b'.' => b' ',
        _ => b.to_ascii_lowercase(),
    }
}

/// Whether `h` holds an ASCII letter or `#`; branch-free, so it vectorises (it runs over
/// every detection whose pattern can hold one, most of them digits only).
fn letter_or_hash(h: &[u8]) -> bool {
    h.iter().fold(false, |a, &c| a | ((c | 0x20).wrapping_sub(b'a') < 26) | (c == b'#'))
}

/// The lazy DFA cache: the default (2 MiB) is too small for the union of all patterns.
const DFA_CACHE: usize = 32 << 20;

/// A normalised keyword as a pattern over raw text: ASCII case-insensitive, a space
/// matching any of ` `, `_`, `-`, `.`.
fn keyword_pattern(k: &str) -> String {
    let mut p = String::from("(?i:");
    for c in k.chars() {
        if c == ' ' {
            p.push_str(r"[ _.\-]");
        } else {
            p.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
        }
    }
    p.push(')');
    p
}

/// One keyword-gated identifier's regex, with the same syntax as the regex sets. It runs
/// on one value at a time, mostly short ones, where a literal prefilter costs more than
/// it saves: none is used.
fn single(pattern: &str) -> Result<meta::Regex, Box<meta::BuildError>> {
    meta::Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(meta::Config::new().match_kind(MatchKind::LeftmostFirst).utf8_empty(false).auto_prefilter(false).hybrid_cache_capacity(DFA_CACHE).nfa_size_limit(Some(64 << 20)))
        .build(pattern)
        .map_err(Box::new)
}

/// The keywords of the gated identifiers `gated_ids`, normalised, sorted, each with the
/// identifiers (bits) it unlocks.
fn gate_keywords(idents: &[Identifier], gated_ids: &[usize]) -> Vec<(String, u64)> {
    let mut variants: Vec<(String, u64)> = Vec::new();
    for (pos, &i) in gated_ids.iter().enumerate() {
        for k in &idents[i].keywords {
            let k: String = k.bytes().map(|b| char::from(norm_byte(b))).collect();
            if !k.is_empty() {
                variants.push((k, gate_bit(pos)));
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
    merged
}

impl Scanner {
    pub fn new(opts: Options) -> Result<Scanner, Error> {
        let mut idents = if opts.managed { crate::ident::managed() } else { Vec::new() };
        idents.extend(opts.custom);
        let (gated_ids, always_ids): (Vec<usize>, Vec<usize>) = (0..idents.len()).partition(|&i| idents[i].keyword_rule == KeywordRule::Always);
        // E-mail addresses run on their own: alone, the regex engine finds them from their `@`
        // (a reverse search from a fast literal scan), while in the union every word could
        // start one. Everything else runs as one multi-pattern lazy DFA.
        let (solo, rest): (Vec<usize>, Vec<usize>) = always_ids.iter().partition(|&&i| idents[i].origin == Origin::Managed && idents[i].name == "EMAIL_ADDRESS");
        let mut gated = Vec::with_capacity(gated_ids.len());
        for &i in &gated_ids {
            let re = single(&idents[i].pattern).map_err(|e| Error::Identifier { name: idents[i].name.clone(), message: e.to_string() })?;
            // The pattern parsed and compiled once more, for its filters.
            let cfg = syntax::Config::new().unicode(false).utf8(false);
            let min = syntax::parse_with(&idents[i].pattern, &cfg).ok().and_then(|h| h.properties().minimum_len());
            let nfa = thompson::Compiler::new().syntax(cfg).configure(thompson::Config::new().which_captures(thompson::WhichCaptures::None)).build(&idents[i].pattern).ok();
            let (runs, starts) = match (min, &nfa) {
                (Some(min), Some(nfa)) => (Runs::of(min, nfa), Starts::of(min, nfa)),
                _ => (None, None),
            };
            gated.push(Single { re, id: i, runs, starts });
        }
        // Keywords of the gated identifiers are patterns of the main multi-pattern search (no
        // extra pass over the data); a keyword inside a detection of an always-identifier,
        // which that search steps over, is found by `gate` afterwards. Each keyword maps to
        // the gated identifiers (bits) it unlocks.
        let merged = gate_keywords(&idents, &gated_ids);
        let mut always = Vec::new();
        if let Some(g) = Group::build(&idents, rest, &merged)? {
            always.push(g);
        }
        if let Some(g) = Group::build(&idents, solo, &[])? {
            always.push(g);
        }
        let gate_len = merged.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        // For the window search: every way a keyword may be written (`date_of_birth` ...).
        let mut written: Vec<(String, u64)> = Vec::new();
        for (k, b) in &merged {
            for sep in [" ", "_", "-", "."] {
                written.push((k.replace(' ', sep), *b));
            }
        }
        written.sort();
        written.dedup();
        let gate_masks: Vec<u64> = written.iter().map(|(_, b)| *b).collect();
        let variants: Vec<String> = written.into_iter().map(|(v, _)| v).collect();
        let gate_words: Vec<(String, u64)> = gated_ids
            .iter()
            .enumerate()
            .flat_map(|(pos, &i)| idents[i].keywords.iter().map(move |k| (k.clone(), gate_bit(pos))))
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
                        shape: crate::ident::Shape::Plain,
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
        let shaped = (0..idents.len()).filter(|&i| matches!(idents[i].shape, Shape::Name | Shape::Street)).collect();
        let mut lettered = vec![true; idents.len()];
        if let Some(g) = always.first() {
            for (&i, &l) in g.ids.iter().zip(&g.lettered) {
                lettered[i] = l;
            }
        }
        Ok(Scanner { idents, always, gated, gate, gate_masks, gate_len, gate_words, shaped, lettered, gl })
    }

    pub fn cache(&self) -> Cache {
        Cache { always: self.always.iter().map(Group::cache).collect(), heads: Vec::new(), gated: self.gated.iter().map(|g| g.re.create_cache()).collect(), pairs: Vec::new(), marks: Vec::new(), next: Vec::new(), ctx_shaped: Vec::new(), spare: None }
    }

    /// Whether one of the identifier's keywords is in the context or within its maximum
    /// distance before `start` (the window normalised with [`norm_byte`] here, only for
    /// candidates that got this far).
    fn has_keyword(&self, id: &Identifier, value: &[u8], start: usize, ctx: Option<&str>) -> bool {
        if let Some(c) = ctx {
            if id.keywords.iter().any(|k| c.contains(k.as_str())) {
                return true;
            }
        }
        let from = start.saturating_sub(id.max_distance);
        let Some(before) = value.get(from..start) else { return false };
        let mut small = [0u8; 64];
        let mut large = Vec::new();
        let low: &mut [u8] = if before.len() <= small.len() {
            &mut small[..before.len()]
        } else {
            large.resize(before.len(), 0);
            &mut large
        };
        for (d, &b) in low.iter_mut().zip(before) {
            *d = norm_byte(b);
        }
        id.keywords.iter().any(|k| gitleaks::contains(low, k.as_bytes()))
    }

    /// Checks a candidate `value[s..e]` for identifier `i`; returns the reported span.
    fn accept(&self, i: usize, value: &[u8], s: usize, e: usize, ctx: Ctx<'_>) -> Option<(usize, usize, Confidence)> {
        let id = &self.idents[i];
        if s >= e || e > value.len() {
            return None;
        }
        if matches!(id.shape, Shape::Name | Shape::Street) {
            return self.accept_shaped(i, id, value, s, e, ctx);
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
        // Card numbers and IBANs are validated here, with their retries; `valid` is the
        // validator's verdict on the final span (not worked out twice).
        let mut valid = None;
        if id.validator == Validator::CreditCard {
            let mut ok = validate::credit_card(&value[s..e]);
            if !ok {
                // A number that follows the card may have been taken as a last group: retry without it.
                for _ in 0..2 {
                    match value[s..e].iter().rposition(|&b| b == b' ' || b == b'-') {
                        Some(p) => {
                            e = s + p;
                            ok = validate::credit_card(&value[s..e]);
                            if ok {
                                break;
                            }
                        }
                        None => break,
                    }
                }
            }
            valid = Some(ok);
        }
        if id.validator == Validator::Iban {
            let mut ok = validate::iban(&value[s..e]);
            if !ok {
                // A trailing word may have been taken as a last group: retry without it.
                for _ in 0..2 {
                    match value[s..e].iter().rposition(|&b| b == b' ' || b == b'-') {
                        Some(p) if !validate::iban(&value[s..s + p]) => e = s + p,
                        Some(p) => {
                            e = s + p;
                            ok = true;
                            break;
                        }
                        None => break,
                    }
                }
            }
            valid = Some(ok);
        }
        let m = &value[s..e];
        if !valid.unwrap_or_else(|| crate::tokenize::validates(id.validator, m)) {
            return None;
        }
        if id.ignore_words.iter().any(|w| gitleaks::contains(m, w.as_bytes())) {
            return None;
        }
        let need = match id.keyword_rule {
            KeywordRule::Never => false,
            KeywordRule::Always => true,
        };
        if need && !self.has_keyword(id, value, s, ctx.text) {
            return None;
        }
        let conf = if id.shape == Shape::Postcode { Confidence::Medium } else { Confidence::High };
        Some((s, e, conf))
    }

    /// Names and street lines: whole words only; the confidence says whether a keyword or
    /// the context backed the pattern (see [`Confidence`]).
    fn accept_shaped(&self, i: usize, id: &Identifier, value: &[u8], s: usize, e: usize, ctx: Ctx<'_>) -> Option<(usize, usize, Confidence)> {
        let letter = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii_alphanumeric() || b >= 0x80);
        if letter(s.checked_sub(1).and_then(|p| value.get(p))) || letter(value.get(e)) {
            return None;
        }
        let context = self.shaped_context(i, id, value, s, ctx);
        match id.shape {
            Shape::Name => validate::name(&value[s..e], context).map(|(a, b, c)| (s + a, s + b, c)),
            _ => Some((s, e, validate::street(context))),
        }
    }

    /// Whether a name or address keyword is in the context (column name, JSON path) or
    /// within the identifier's distance before `start`. A column or path element that names
    /// something else (`file_name`, `company_name`, `hostname` ...) does not count.
    fn shaped_context(&self, i: usize, id: &Identifier, value: &[u8], start: usize, ctx: Ctx<'_>) -> bool {
        match self.shaped.iter().position(|&x| x == i).filter(|&j| j < 64) {
            Some(j) => {
                if ctx.shaped & (1 << j) != 0 {
                    return true;
                }
            }
            None => {
                if ctx.text.is_some_and(|c| Self::context_backs(id, c)) {
                    return true;
                }
            }
        }
        let from = start.saturating_sub(id.max_distance);
        let mut buf = [0u8; 64];
        let Some(before) = value.get(from..start) else { return false };
        let n = before.len().min(buf.len());
        for (d, &b) in buf.iter_mut().zip(&before[before.len() - n..]) {
            *d = norm_byte(b);
        }
        id.keywords.iter().any(|k| gitleaks::contains(&buf[..n], k.as_bytes()))
    }

    /// Whether a context (column name, JSON path) backs a person-name or street identifier:
    /// it holds one of its keywords, and for names does not name something else.
    fn context_backs(id: &Identifier, c: &str) -> bool {
        const NOT_PEOPLE: &[&str] = &["file", "company", "product", "host", "domain", "bucket", "table", "column", "business", "brand", "model", "app", "service", "org", "team", "project", "street", "city", "town", "country", "state", "region", "display", "user name", "username", "screen"];
        let other = id.shape == Shape::Name && NOT_PEOPLE.iter().any(|n| c.contains(n));
        !other && id.keywords.iter().any(|k| c.contains(k.as_str()))
    }

    /// The keyword context of value `seg`.
    fn ctx_of<'b>(batch: &'b Batch, ctx_shaped: &[u64], seg: usize) -> Ctx<'b> {
        let Some(c) = batch.segs.get(seg).map(|s| s.ctx as usize) else { return Ctx::NONE };
        match batch.contexts.get(c) {
            Some(t) => Ctx { text: Some(t.as_str()), shaped: ctx_shaped.get(c).copied().unwrap_or(0) },
            None => Ctx::NONE,
        }
    }

    /// Scans every value of a batch; hits are appended to `out` in value order.
    pub fn scan(&self, cache: &mut Cache, batch: &Batch, out: &mut Vec<Hit>) {
        let first = out.len();
        self.scan_multi(cache, batch, out);
        self.scan_gitleaks(cache, batch, out);
        out[first..].sort_by_key(|h| (h.seg, h.start, h.ident));
        self.join_addresses(out, first);
    }

    /// A street line and a postcode up to 40 bytes after it (`1 Main St, Springfield, IL
    /// 62701`) are one address: one detection over both, at the higher confidence.
    fn join_addresses(&self, out: &mut Vec<Hit>, first: usize) {
        let is_addr = |h: &Hit| self.idents.get(h.ident).is_some_and(|i| matches!(i.shape, Shape::Street | Shape::Postcode));
        let joins = |p: &Hit, h: &Hit| p.seg == h.seg && is_addr(p) && is_addr(h) && h.start <= p.end + 40;
        // Up to the first join every hit stays where it is: look for it without moving any
        // (most batches have none).
        let Some(r0) = (first + 1..out.len()).find(|&r| joins(&out[r - 1], &out[r])) else { return };
        let mut w = r0;
        for r in r0..out.len() {
            let h = out[r];
            if w > first {
                let p = &mut out[w - 1];
                if joins(p, &h) {
                    p.end = p.end.max(h.end);
                    p.confidence = p.confidence.max(h.confidence);
                    continue;
                }
            }
            out[w] = h;
            w += 1;
        }
        out.truncate(w);
    }

    fn scan_multi(&self, cache: &mut Cache, batch: &Batch, out: &mut Vec<Hit>) {
        cache.ctx_shaped.clear();
        cache.ctx_shaped.extend(batch.contexts.iter().map(|c| {
            self.shaped.iter().take(64).enumerate().filter(|&(_, &i)| Self::context_backs(&self.idents[i], c)).fold(0u64, |a, (j, _)| a | 1 << j)
        }));
        let marks = &mut cache.marks;
        marks.clear();
        marks.resize(batch.segs.len(), 0);
        if !self.gated.is_empty() {
            let ctx_mask: Vec<u64> = batch.contexts.iter().map(|c| self.gate_words.iter().filter(|(k, _)| c.contains(k.as_str())).fold(0, |a, (_, b)| a | b)).collect();
            if ctx_mask.iter().any(|&b| b != 0) {
                for (si, seg) in batch.segs.iter().enumerate() {
                    marks[si] |= ctx_mask.get(seg.ctx as usize).copied().unwrap_or(0);
                }
            }
        }
        self.scan_always(&mut cache.always, &mut cache.heads, &mut cache.marks, &cache.ctx_shaped, batch, out);
        if self.gated.is_empty() {
            return;
        }
        for si in 0..batch.segs.len() {
            let mask = cache.marks[si];
            if mask != 0 {
                self.scan_gated(&mut cache.gated, &mut cache.next, &cache.ctx_shaped, batch, si, mask, out);
            }
        }
    }

    /// The identifiers that need no keyword, over the whole batch. Positions are taken left
    /// to right; at each, the identifiers matching there are tried in priority order, and
    /// after a detection the search goes on at its end. Each stream finds its own next
    /// detection; the leftmost (then the first in priority order) is taken, and streams
    /// whose next detection started inside it search again from its end.
    /// Keywords met on the way mark their values in `marks`.
    fn scan_always(&self, caches: &mut [GroupCache], heads: &mut Vec<Option<Cand>>, marks: &mut [u64], ctx_shaped: &[u64], batch: &Batch, out: &mut Vec<Hit>) {
        heads.clear();
        for (g, c) in self.always.iter().zip(caches.iter_mut()) {
            c.hint = 0;
            heads.push(self.next_always(g, c, marks, ctx_shaped, batch, 0, 0));
        }
        loop {
            let mut best: Option<(usize, Cand)> = None;
            for (k, h) in heads.iter().enumerate() {
                if let Some(h) = h {
                    if best.is_none_or(|(_, b)| (h.s, h.ident) < (b.s, b.ident)) {
                        best = Some((k, *h));
                    }
                }
            }
            let Some((k, b)) = best else { break };
            let seg = batch.segs[b.seg];
            out.push(Hit { ident: b.ident, confidence: b.confidence, seg: b.seg, start: b.s - seg.start, end: b.e - seg.start });
            let cursor = b.e.max(b.s + 1);
            // Keywords starting inside a detection of the stream that has the keywords: its
            // search steps over them.
            if k == 0 && self.lettered.get(b.ident).copied().unwrap_or(true) && self.always.first().is_some_and(|g| !g.kw_masks.is_empty()) {
                if let Some(ac) = &self.gate {
                    let hay = &batch.buf[b.s..(b.e + self.gate_len).min(seg.end).max(b.e)];
                    if letter_or_hash(&hay[..b.e - b.s]) {
                        for m in ac.find_overlapping_iter(hay) {
                            if m.start() < b.e - b.s {
                                marks[b.seg] |= self.gate_masks.get(m.pattern().as_usize()).copied().unwrap_or(u64::MAX);
                            }
                        }
                    }
                }
            }
            for (j, ((g, c), h)) in self.always.iter().zip(caches.iter_mut()).zip(heads.iter_mut()).enumerate() {
                if let Some(old) = h.filter(|h| h.s < cursor) {
                    // The keyword stream searches on from where it stopped, so that it sees the
                    // keywords inside another stream's detection; what starts before `cursor` is
                    // dropped there.
                    let from = if j == 0 && k != 0 && !g.kw_masks.is_empty() { old.s + 1 } else { cursor };
                    *h = self.next_always(g, c, marks, ctx_shaped, batch, from, cursor);
                }
            }
        }
    }

    /// The next detection of one always-stream starting at or after `min_start`, searching
    /// from `from`; keywords on the way mark their values.
    #[allow(clippy::too_many_arguments)]
    fn next_always(&self, g: &Group, c: &mut GroupCache, marks: &mut [u64], ctx_shaped: &[u64], batch: &Batch, from: usize, min_start: usize) -> Option<Cand> {
        let nv = g.ids.len();
        let mut hint = batch.first_after(from, c.hint);
        let hay = batch.buf.as_slice();
        let to = hay.len();
        let mut at = from;
        while at < to {
            let (s, e, pid) = g.find(c, hay, at)?;
            let Some(si) = batch.seg_at_from(s, hint) else {
                at = s + 1;
                continue;
            };
            hint = si;
            c.hint = si;
            if pid >= nv {
                // A keyword: only marks its value (nothing else starts here, as identifiers come first).
                marks[si] |= g.kw_masks.get(pid - nv).copied().unwrap_or(u64::MAX);
                at = s + 1;
                continue;
            }
            let seg = batch.segs[si];
            let value = &hay[seg.start..seg.end];
            let ctx = Self::ctx_of(batch, ctx_shaped, si);
            let mut found = None;
            let in_seg = e <= seg.end;
            if in_seg && e > s {
                found = self.accept(g.ids[pid], value, s - seg.start, e - seg.start, ctx).map(|sp| (g.ids[pid], sp));
            }
            if found.is_none() && nv + g.kw_masks.len() > 1 {
                // Every other pattern that matches at the same place, in priority order.
                g.which_at(c, &Input::new(hay).range(s..seg.end).anchored(Anchored::Yes));
                for q in c.set.iter() {
                    if q.as_usize() >= nv {
                        marks[si] |= match &g.kw {
                            Some(t) => t.marks_at(q.as_usize(), &g.kw_masks, hay, s, seg.end),
                            None => g.kw_masks.get(q.as_usize() - nv).copied().unwrap_or(u64::MAX),
                        };
                        continue;
                    }
                    // A match that ran past its value is retried within the value.
                    if q.as_usize() == pid && in_seg {
                        continue;
                    }
                    let inp = Input::new(hay).range(s..seg.end).anchored(Anchored::Pattern(q));
                    if let Some(e2) = g.end_of(&mut c.direct, &mut c.re, &inp) {
                        if e2 > s {
                            let qi = g.ids[q.as_usize()];
                            if let Some(sp) = self.accept(qi, value, s - seg.start, e2 - seg.start, ctx) {
                                found = Some((qi, sp));
                                break;
                            }
                        }
                    }
                }
            } else if found.is_none() && !in_seg && e > s {
                // A single pattern whose match ran past its value: retried within the value.
                let inp = Input::new(hay).range(s..seg.end).anchored(Anchored::Yes);
                if let Some(e2) = g.end_of(&mut c.direct, &mut c.re, &inp) {
                    if e2 > s {
                        found = self.accept(g.ids[0], value, s - seg.start, e2 - seg.start, ctx).map(|sp| (g.ids[0], sp));
                    }
                }
            }
            match found {
                Some((ident, (a, b, confidence))) if s >= min_start => return Some(Cand { s: seg.start + a, e: seg.start + b, seg: si, ident, confidence }),
                _ => at = s + 1,
            }
        }
        None
    }

    /// The keyword-gated identifiers whose bits are in `mask`, over one value. Positions are
    /// taken left to right; at each, the allowed identifiers are tried in priority order, and
    /// after a detection the search goes on at its end (as one leftmost-first search over all
    /// of them would, but each identifier's regex runs alone and only where it may match).
    #[allow(clippy::too_many_arguments)]
    fn scan_gated(&self, caches: &mut [meta::Cache], next: &mut Vec<Next>, ctx_shaped: &[u64], batch: &Batch, si: usize, mask: u64, out: &mut Vec<Hit>) {
        let seg = batch.segs[si];
        let hay = batch.buf.as_slice();
        let value = &hay[seg.start..seg.end];
        let ctx = Self::ctx_of(batch, ctx_shaped, si);
        // The next accepted match of gated identifier `pos` at or after `from`.
        let find = |caches: &mut [meta::Cache], pos: usize, from: usize| -> Option<(usize, usize, Confidence)> {
            let g = &self.gated[pos];
            let mut at = from;
            while at <= seg.end {
                at = g.skip(hay, at, seg.end)?;
                let m = g.re.search_with(&mut caches[pos], &Input::new(hay).range(at..seg.end))?;
                let (s, e) = (m.start(), m.end());
                if e > s {
                    if let Some((a, b, c)) = self.accept(g.id, value, s - seg.start, e - seg.start, ctx) {
                        return Some((seg.start + a, seg.start + b, c));
                    }
                }
                at = s + 1;
            }
            None
        };
        next.clear();
        for pos in 0..self.gated.len() {
            if mask & gate_bit(pos) != 0 {
                next.push(Next { pos, span: find(caches, pos, seg.start) });
            }
        }
        loop {
            // The leftmost detection; at the same place, the identifier first in priority order.
            let mut best: Option<(usize, usize, Confidence, usize)> = None;
            for n in next.iter() {
                if let Some((s, e, c)) = n.span {
                    if best.is_none_or(|(bs, _, _, bp)| (s, n.pos) < (bs, bp)) {
                        best = Some((s, e, c, n.pos));
                    }
                }
            }
            let Some((s, e, confidence, pos)) = best else { break };
            out.push(Hit { ident: self.gated[pos].id, confidence, seg: si, start: s - seg.start, end: e - seg.start });
            let cursor = e.max(s + 1);
            for n in next.iter_mut() {
                if n.span.is_some_and(|(ns, _, _)| ns < cursor) {
                    n.span = find(caches, n.pos, cursor);
                }
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
                out.push(Hit { ident: gl.base + ri, confidence: Confidence::High, seg: si, start: a, end: b });
            }
        }
    }
}

impl Scanner {
    /// Whether no keyword (of an identifier or a gitleaks rule) holds a `\n`. Then no match
    /// that counts crosses from one value of a batch into the next, and a value's detections
    /// depend only on its bytes and its context (the readers scan each distinct Parquet
    /// dictionary value once on this ground).
    pub fn keywords_stay_in_values(&self) -> bool {
        let clean = |ks: &[String]| ks.iter().all(|k| !k.contains('\n'));
        self.idents.iter().all(|i| clean(&i.keywords)) && self.gl.as_ref().is_none_or(|g| g.rules.iter().all(|r| clean(&r.keywords)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// What the meta regex finds for a pattern, from every position of `hay`, next to what
    /// [`super::AtSign`] finds.
    fn at_sign_vs_meta(hay: &[u8]) -> Result<(), TestCaseError> {
        use regex_automata::{meta, util::syntax, Input, MatchKind};
        let pat = crate::ident::EMAIL_PAT;
        let re = meta::Regex::builder().syntax(syntax::Config::new().unicode(false).utf8(false)).configure(meta::Config::new().match_kind(MatchKind::LeftmostFirst).utf8_empty(false)).build(pat).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a = super::AtSign::build(pat).ok_or_else(|| TestCaseError::fail("no AtSign"))?;
        let mut cache = a.fwd.create_cache();
        for at in 0..=hay.len() {
            let want = re.search(&Input::new(hay).range(at..)).map(|m| (m.start(), m.end()));
            let got = a.find(&mut cache, hay, at).map_err(|_| TestCaseError::fail("gave up"))?;
            prop_assert_eq!(got, want, "at {} in {:?}", at, String::from_utf8_lossy(hay));
        }
        Ok(())
    }

    #[test]
    fn at_sign_finds_what_the_regex_finds() {
        let long = format!("{}@example.com {}@b.cd x.{}@e.fg", "a".repeat(70), "b.".repeat(40), "c".repeat(63));
        for hay in [&b""[..], b"@", b"a@b.cd", b"jane@example.com, li.wei@mail.example.org", b".a@b.cd", b"-_@x.yz", b"a@@b.cd a@b", b"x a.@b.c\nj@k.lm", long.as_bytes(), b"\xc3\xa9a@b.cd", b"a@b.cd.", b"__@a.bc"] {
            at_sign_vs_meta(hay).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        #[test]
        fn at_sign_finds_what_the_regex_finds_prop(hay in proptest::collection::vec(prop::sample::select(vec![b'a', b'Z', b'7', b'.', b'_', b'-', b'%', b'+', b'@', b'@', b' ', b'\n', b'#', 0xC3, 0xA9]), 0..48)) {
            at_sign_vs_meta(&hay)?;
        }

        #[test]
        fn at_sign_long_local_parts(n in 0usize..80, m in 0usize..80, sep in prop::sample::select(vec![b'.', b'a', b'_', b'-', b' '])) {
            let mut hay = vec![b'a'; n];
            hay.push(sep);
            hay.extend(std::iter::repeat_n(b'b', m));
            hay.extend_from_slice(b"@c.de");
            at_sign_vs_meta(&hay)?;
        }
    }

    /// The managed scanner, built once for the tests below.
    fn managed() -> &'static super::Scanner {
        static S: std::sync::OnceLock<super::Scanner> = std::sync::OnceLock::new();
        S.get_or_init(|| super::Scanner::new(super::Options { managed: true, ..super::Options::default() }).expect("managed identifiers compile"))
    }

    /// What `Group::find` reports for the stream with the keywords (its own lazy DFAs, the
    /// anchored search at a value's start) from every position of `hay`, next to what the
    /// group's meta regex finds there.
    fn direct_vs_meta(hay: &[u8]) -> Result<(), TestCaseError> {
        use regex_automata::Input;
        let s = managed();
        let g = &s.always[0];
        let mut c = g.cache();
        let re = g.re.get().expect("the meta regex builds");
        let mut m = re.create_cache();
        for at in 0..=hay.len() {
            // Keywords as their own ids (see `KwTrie`).
            let want = re.search_with(&mut m, &Input::new(hay).range(at..)).map(|x| g.keyword_of(hay, (x.start(), x.end(), x.pattern().as_usize())));
            let got = g.find(&mut c, hay, at);
            prop_assert_eq!(got, want, "at {} in {:?}", at, String::from_utf8_lossy(hay));
        }
        Ok(())
    }

    /// Values as CSV cells and text lines hold them: identifiers alone, identifiers in words,
    /// keywords, near misses.
    const PIECES: &[&str] = &[
        "410-19-0302", "123456789", "(558) 467-9337", "+44 20 7946 0958", "020 7946 0958", "4892465416341089508", "4730 6360 8594 3892 712", "4111-1111-1111-1111",
        "Ann O'Brien", "Li Wei", "Dr. Hans D. Schlosser", "o.brien628@mail.example.org", "75.2.39.62", "fe80::1", "2001:db8::8a2e:370:7334", "AKIADVRRVJG7KC66JW7I",
        "DE57326601318839670762", "GB82 WEST 1234 5698 7654 32", "DEUTDEFF", "1777 Kramer Court", "8, rue Jeanne Henry", "62701", "SW1A 1AA", "2024-05-01", "01/02/1990",
        "account", "Account #", "ssn", "passport", "dob", "iban", "phone", "zip", "name", "address", "x", "fixed order", "0", "12", "-", ".", ":", "#", "'", "é", "\u{e2}\u{80}\u{99}",
    ];

    #[test]
    fn direct_find_is_the_meta_regexs() {
        let s = managed();
        let d = s.always[0].direct.as_ref().expect("the stream with keywords runs its own lazy DFAs");
        assert!(d.nl_dead, "no managed pattern starts at a line break: the anchored path is used");
        let row = "\n0\nAnn O'Brien\no.brien628@mail.example.org\n(558) 467-9337\n410-19-0302\n4892465416341089508\nfixed order iban DE57326601318839670762 the\n\n1\n";
        direct_vs_meta(row.as_bytes()).unwrap();
        for p in PIECES {
            direct_vs_meta(format!("\n{p}\n").as_bytes()).unwrap();
            direct_vs_meta(format!("{p}\n{p} {p}\n\n{p}").as_bytes()).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Random rows of pieces separated by line breaks, spaces, commas or nothing.
        #[test]
        fn direct_find_is_the_meta_regexs_prop(parts in proptest::collection::vec((0..PIECES.len(), prop::sample::select(vec!["\n", "\n", " ", ",", "", "\n\n", "\r\n", ": "])), 0..10)) {
            direct_vs_meta(row(PIECES, &parts).as_bytes())?;
        }

        /// Random bytes from the alphabet the patterns care about.
        #[test]
        fn direct_find_is_the_meta_regexs_bytes(hay in proptest::collection::vec(prop::sample::select(vec![b'0', b'4', b'9', b'-', b' ', b'\n', b'\n', b'A', b'Z', b'a', b'.', b':', b'(', b')', b'+', b'#', b'\'', 0xC3, 0xA9]), 0..40)) {
            direct_vs_meta(&hay)?;
        }
    }

    /// A line break, then each piece followed by its separator.
    fn row(pieces: &[&str], parts: &[(usize, &str)]) -> String {
        parts.iter().fold(String::from("\n"), |hay, &(p, sep)| hay + pieces[p] + sep)
    }

    /// The stream with keywords built with the keyword trie ([`super::KwTrie`]) and with one
    /// pattern per keyword.
    fn trie_and_not() -> &'static (super::Group, super::Group) {
        static G: std::sync::OnceLock<(super::Group, super::Group)> = std::sync::OnceLock::new();
        G.get_or_init(|| {
            let s = managed();
            let g = &s.always[0];
            let gated: Vec<usize> = s.gated.iter().map(|x| x.id).collect();
            let kws = super::gate_keywords(&s.idents, &gated);
            let build = |trie| super::Group::build_with(&s.idents, g.ids.clone(), &kws, trie).ok().flatten().expect("builds");
            (build(true), build(false))
        })
    }

    /// From every position of `hay`: the keyword trie finds what one pattern per keyword
    /// finds (same place, same keyword id), and the retry at that position marks the same.
    fn trie_vs_one_per_keyword(hay: &[u8]) -> Result<(), TestCaseError> {
        use regex_automata::{Anchored, Input};
        let (new, old) = trie_and_not();
        let t = new.kw.as_ref().ok_or_else(|| TestCaseError::fail("no trie"))?;
        prop_assert!(old.kw.is_none());
        let (mut nc, mut oc) = (new.cache(), old.cache());
        let nv = new.ids.len();
        for at in 0..=hay.len() {
            prop_assert_eq!(new.find(&mut nc, hay, at), old.find(&mut oc, hay, at), "at {} in {:?}", at, String::from_utf8_lossy(hay));
            let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
            new.which_at(&mut nc, &input);
            old.which_at(&mut oc, &input);
            let ids = |set: &regex_automata::PatternSet| set.iter().map(|q| q.as_usize()).filter(|&q| q < nv).collect::<Vec<_>>();
            prop_assert_eq!(ids(&nc.set), ids(&oc.set));
            let nm = nc.set.iter().map(|q| q.as_usize()).filter(|&q| q >= nv).fold(0, |a, q| a | t.marks_at(q, &new.kw_masks, hay, at, hay.len()));
            let om = oc.set.iter().map(|q| q.as_usize()).filter(|&q| q >= nv).fold(0, |a, q| a | old.kw_masks[q - nv]);
            prop_assert_eq!(nm, om, "marks at {} in {:?}", at, String::from_utf8_lossy(hay));
        }
        Ok(())
    }

    /// Keywords as text writes them, near misses, and identifiers next to them.
    const KW_PIECES: &[&str] = &[
        "account", "Account #", "ACCOUNT_NUMBER", "account-no", "bank account", "Bank.Account", "acct", "acc", "accounts", "unt", "aba", "abartn", "ABA RTN", "rtn", "routing", "routing number",
        "ssn", "SSN", "social security", "social_security_number", "soc sec", "ssa number", "tax id", "Tax_Identification", "taxpayer", "itin", "dl#", "DL-No", "dl number", "dln", "driver",
        "driving", "licence", "license", "zip", "ZIP CODE", "zipcode", "postcode", "post code", "postal", "postal code", "code postal", "postleitzahl", "plz", "dob", "birth", "birthday",
        "bday", "date of birth", "born", "phone", "tel", "telephone", "cell", "call", "mobile", "fax", "contact number", "passport", "swift", "bic", "bank identifier", "address", "addr",
        "aws secret", "secret key", "secret access key", "secretaccesskey", "savings", "checking", "123456789", "410-19-0302", "Ann O'Brien", "fe80::1", "x", "_", "-", ".", " ", "#",
    ];

    #[test]
    fn keyword_trie_is_one_pattern_per_keyword() {
        for p in KW_PIECES {
            trie_vs_one_per_keyword(format!("\n{p}\n{p} {p}{p}\n{p}_{p}").as_bytes()).unwrap();
        }
        for p in PIECES {
            trie_vs_one_per_keyword(format!("\n{p}\n{p} {p}").as_bytes()).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Random rows of keywords and identifiers, glued or separated.
        #[test]
        fn keyword_trie_is_one_pattern_per_keyword_prop(parts in proptest::collection::vec((0..KW_PIECES.len(), prop::sample::select(vec!["\n", " ", "", "", "_", ": ", "-", "."])), 0..8)) {
            trie_vs_one_per_keyword(row(KW_PIECES, &parts).as_bytes())?;
        }

        /// Random bytes of the keywords' alphabet, both cases.
        #[test]
        fn keyword_trie_is_one_pattern_per_keyword_bytes(hay in proptest::collection::vec(prop::sample::select(b"acnotuASNsdlrbi# _-.\n9".to_vec()), 0..40)) {
            trie_vs_one_per_keyword(&hay)?;
        }
    }

    /// The retry searches of the stream with keywords (its own all-matches DFA, its forward
    /// DFA anchored at one pattern) from every position of `hay`, next to what the meta
    /// regexes find there.
    fn retry_vs_meta(hay: &[u8]) -> Result<(), TestCaseError> {
        use regex_automata::{Anchored, Input, PatternID, PatternSet};
        let g = &managed().always[0];
        let mut c = g.cache();
        let (re, all) = (g.re.get().expect("builds"), g.all.get().expect("builds"));
        let (mut rc, mut ac) = (re.create_cache(), all.create_cache());
        for at in 0..=hay.len() {
            let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
            let mut want = PatternSet::new(all.pattern_len());
            all.which_overlapping_matches_with(&mut ac, &input, &mut want);
            g.which_at(&mut c, &input);
            prop_assert_eq!(c.set.iter().collect::<Vec<_>>(), want.iter().collect::<Vec<_>>(), "at {} in {:?}", at, String::from_utf8_lossy(hay));
            for q in 0..re.pattern_len() {
                let input = Input::new(hay).range(at..).anchored(Anchored::Pattern(PatternID::must(q)));
                let want = re.search_with(&mut rc, &input).map(|m| (m.start(), m.end()));
                let got = g.end_of(&mut c.direct, &mut c.re, &input).map(|e| (at, e));
                prop_assert_eq!(got, want, "pattern {} at {} in {:?}", q, at, String::from_utf8_lossy(hay));
            }
        }
        Ok(())
    }

    #[test]
    fn retry_is_the_meta_regexs() {
        assert!(managed().always[0].direct.is_some());
        for p in PIECES {
            retry_vs_meta(format!("\n{p}\n{p} {p}").as_bytes()).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]
        #[test]
        fn retry_is_the_meta_regexs_prop(parts in proptest::collection::vec((0..PIECES.len(), prop::sample::select(vec!["\n", " ", ",", "", ": ", "-"])), 0..6)) {
            let mut hay = String::from("\n");
            for (p, sep) in parts {
                hay.push_str(PIECES[p]);
                hay.push_str(sep);
            }
            retry_vs_meta(hay.as_bytes())?;
        }
    }

    /// For every gated identifier: its regex from each position of `hay` finds what it finds
    /// from where [`super::Single::skip`] says a search may begin (nothing when it says none).
    fn runs_vs_regex(hay: &[u8]) -> Result<(), TestCaseError> {
        use regex_automata::Input;
        for g in &managed().gated {
            let mut c = g.re.create_cache();
            for at in 0..=hay.len() {
                let want = g.re.search_with(&mut c, &Input::new(hay).range(at..)).map(|m| (m.start(), m.end()));
                let got = g.skip(hay, at, hay.len()).and_then(|p| g.re.search_with(&mut c, &Input::new(hay).range(p..)).map(|m| (m.start(), m.end())));
                prop_assert_eq!(got, want, "{} at {} in {:?}", g.re.pattern_len(), at, String::from_utf8_lossy(hay));
            }
        }
        Ok(())
    }

    #[test]
    fn gated_runs() {
        let s = managed();
        let with: Vec<&str> = s.gated.iter().filter(|g| g.runs.is_some()).map(|g| s.idents[g.id].name.as_str()).collect();
        assert!(with.contains(&"BANK_ACCOUNT_NUMBER") && with.contains(&"USA_SOCIAL_SECURITY_NUMBER"), "{with:?}");
        let starts: Vec<&str> = s.gated.iter().filter(|g| g.starts.is_some()).map(|g| s.idents[g.id].name.as_str()).collect();
        assert!(starts.contains(&"PHONE_NUMBER"), "{starts:?}");
        for cell in ["(558) 467-9337", "(250) 811-5435", "(205) 405-1234"] {
            let phone = s.gated.iter().find(|g| s.idents[g.id].name == "PHONE_NUMBER").and_then(|g| g.starts.as_ref()).expect("the trunk-prefix phone pattern has start pairs");
            assert_eq!(phone.first(format!("\n{cell}\n").as_bytes(), 1, cell.len() + 1), None, "{cell}");
        }
        for p in PIECES {
            runs_vs_regex(format!("{p} account {p}\n{p}").as_bytes()).unwrap();
        }
        runs_vs_regex(b"acct 12345678 ssn 123456789 dob 1990-01-02 passport A12345678 zip 62701 SW1A 1AA tel 020 7946 0958 swift DEUTDEFF500").unwrap();
        runs_vs_regex(b"(020) 7946 0958 x0 _0123 a0123 (0 1 (01) 2 0(12) 34-5678 9 0\n01234").unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
        #[test]
        fn gated_runs_prop(hay in proptest::collection::vec(prop::sample::select(vec![b'0', b'0', b'1', b'5', b'9', b'9', b'-', b' ', b'.', b'/', b'(', b')', b'A', b'Z', b'D', b'E', b'a', b'_', b'+', b'\n', 0xC3]), 0..40)) {
            runs_vs_regex(&hay)?;
        }

        #[test]
        fn gated_runs_pieces(parts in proptest::collection::vec((0..PIECES.len(), prop::sample::select(vec![" ", "", "-", ", ", "0", "12345"])), 0..8)) {
            let mut hay = String::new();
            for (p, sep) in parts {
                hay.push_str(PIECES[p]);
                hay.push_str(sep);
            }
            runs_vs_regex(hay.as_bytes())?;
        }
    }

    proptest! {
        /// The skipping run search finds what the byte-by-byte one finds.
        #[test]
        fn runs_first_is_the_simple_search(bits in proptest::collection::vec(prop::bool::weighted(0.6), 0..60), min in 1usize..10, from in 0usize..8, cut in 0usize..8) {
            let mut bytes = [false; 256];
            bytes[usize::from(b'1')] = true;
            let r = super::Runs { bytes, min };
            let hay: Vec<u8> = bits.iter().map(|&b| if b { b'1' } else { b'x' }).collect();
            let to = hay.len().saturating_sub(cut);
            prop_assert_eq!(r.first(&hay, from, to), r.first_simple(&hay, from, to));
        }
    }

    proptest! {
        /// The vectorised start search finds what the pair-by-pair one finds.
        #[test]
        fn starts_first_is_the_simple_search(hay in proptest::collection::vec(prop::sample::select(vec![b'0', b'0', b'(', b'1', b'9', b' ', b'a', b'_', b')', b'-']), 0..40), from in 0usize..8, cut in 0usize..8) {
            for g in &managed().gated {
                let Some(st) = &g.starts else { continue };
                let to = hay.len().saturating_sub(cut);
                let from = from.min(to);
                prop_assert_eq!(st.first(&hay, from, to), st.first_simple(&hay, from, to));
            }
        }
    }

    proptest! {
        /// Joining street lines and postcodes after a look for the first join is the plain join.
        #[test]
        fn join_addresses_as_before(hits in proptest::collection::vec((0usize..3, 0usize..2, 0usize..60, 1usize..30, 0u8..3), 0..24), first in 0usize..3) {
            use super::{Confidence, Hit, Shape};
            let s = managed();
            let pick = |k: usize| s.idents.iter().position(|i| match k { 0 => i.shape == Shape::Street, 1 => i.shape == Shape::Postcode, _ => i.name == "IP_ADDRESS" }).unwrap_or(0);
            let conf = [Confidence::Low, Confidence::Medium, Confidence::High];
            let mut out: Vec<Hit> = hits.iter().map(|&(k, seg, start, len, c)| Hit { ident: pick(k), confidence: conf[usize::from(c)], seg, start, end: start + len }).collect();
            out.sort_by_key(|h| (h.seg, h.start, h.ident));
            let first = first.min(out.len());
            let mut want = out.clone();
            let is_addr = |h: &Hit| matches!(s.idents[h.ident].shape, Shape::Street | Shape::Postcode);
            let mut w = first;
            for r in first..want.len() {
                let h = want[r];
                if w > first {
                    let p = &mut want[w - 1];
                    if p.seg == h.seg && is_addr(p) && is_addr(&h) && h.start <= p.end + 40 {
                        p.end = p.end.max(h.end);
                        p.confidence = p.confidence.max(h.confidence);
                        continue;
                    }
                }
                want[w] = h;
                w += 1;
            }
            want.truncate(w);
            s.join_addresses(&mut out, first);
            prop_assert_eq!(out, want);
        }
    }

    #[test]
    fn lettered_identifiers() {
        let s = managed();
        let lettered = |name: &str| s.idents.iter().zip(&s.lettered).filter(|(i, _)| i.name == name).map(|(_, &l)| l).collect::<Vec<_>>();
        assert_eq!(lettered("CREDIT_CARD_NUMBER"), [false]);
        // (The second, nine bare digits, is keyword-gated: not in a stream, left at true.)
        assert_eq!(lettered("USA_SOCIAL_SECURITY_NUMBER"), [false, true]);
        assert_eq!(lettered("IP_ADDRESS"), [false, true]);
        assert!(lettered("PHONE_NUMBER").iter().all(|&l| l), "extensions are written `x` or `ext`");
        assert!(lettered("NAME").iter().all(|&l| l) && lettered("IBAN").iter().all(|&l| l));
    }

    #[test]
    fn letter_or_hash_is_ascii_alphabetic_or_hash() {
        for c in 0..=255u8 {
            assert_eq!(super::letter_or_hash(&[c]), c.is_ascii_alphabetic() || c == b'#', "{c}");
        }
        assert!(!super::letter_or_hash(b"4111 1111-1111 1111"));
        assert!(super::letter_or_hash(b"4111 1111 #"));
    }
}
