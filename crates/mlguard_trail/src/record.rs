//! Typed access to the CloudTrail record fields the detections read.
//!
//! Field names and meanings: AWS CloudTrail User Guide, "CloudTrail record contents"
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>.
//!
//! A [`Record`] keeps the record's JSON text and a flat index of its values (one [`Node`] per
//! value, in document order, each knowing where its subtree ends). Strings are slices of the
//! text, unescaped into a side buffer only when they contain escapes, so no `serde_json::Value`
//! tree is built per record. The fields every detection reads (`eventName`, `eventSource`,
//! `userIdentity`, ...) are located once, when the record is parsed. `Record` implements
//! `rsigma_eval::Event` with the semantics of `rsigma_eval::event::JsonEvent` (flat keys first,
//! dotted paths that fan out over arrays, `name[N]` indices, numbers as `serde_json` reads
//! them), which `tests/sigma_rules.rs` checks against `JsonEvent` on real recordings.
//!
//! The parser accepts only what `serde_json` accepts; anything it does not take (or a record
//! with a duplicated member name, where `serde_json` keeps the last) goes through `serde_json`,
//! whose verdict and error message then decide.

use rsigma_eval::event::{Event, EventValue};
use rsigma_parser::fieldpath::{first_unescaped, unescape_brackets};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::OnceCell;

const NONE: u32 = u32::MAX;
/// Marks a [`Span`] whose text is in the unescaped side buffer.
const ESC: u32 = 1 << 31;
/// Deeper nesting is left to `serde_json` (which stops at 128).
const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    False,
    True,
    Num,
    Str,
    Arr,
    Obj,
}

/// Bytes `off..off+len` of the text, or of the side buffer when `off` has [`ESC`] set.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    off: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The member name (empty for array elements and the root).
    key: Span,
    /// A string's contents, a number's text, or a container's whole text.
    val: Span,
    /// Index of the node after this value's subtree.
    end: u32,
    kind: Kind,
}

/// Top-level members located at parse time.
#[derive(Debug, Clone, Copy)]
struct Hot {
    event_name: u32,
    event_source: u32,
    event_id: u32,
    event_time: u32,
    event_type: u32,
    error_code: u32,
    region: u32,
    source_ip: u32,
    user_agent: u32,
    recipient: u32,
    identity: u32,
    request: u32,
    response: u32,
    additional: u32,
    error_message: u32,
    /// `userIdentity.type`.
    identity_type: u32,
    /// The node [`Record::principal`] answers (`NONE`: `unknown`).
    principal: u32,
    /// The node [`Record::actor`] answers (`NONE`: `unknown`).
    actor: u32,
}

const NO_HOT: Hot = Hot { event_name: NONE, event_source: NONE, event_id: NONE, event_time: NONE, event_type: NONE, error_code: NONE, region: NONE, source_ip: NONE, user_agent: NONE, recipient: NONE, identity: NONE, request: NONE, response: NONE, additional: NONE, error_message: NONE, identity_type: NONE, principal: NONE, actor: NONE };

/// Why a record's text is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// Valid JSON, but not an object.
    NotObject,
    /// Not valid JSON: `serde_json`'s message.
    Malformed(String),
}

/// One CloudTrail record: its JSON text and an index of its values (see the module documentation).
pub struct Record {
    text: String,
    esc: String,
    nodes: Vec<Node>,
    hot: Hot,
    /// Whether a top-level member name contains `.`, `[` or `\\` (which a field path can name
    /// only by its flat-key rule).
    odd_keys: bool,
    /// `requestParameters` as a `serde_json::Value`, built on first use by [`Record::req`].
    req_value: OnceCell<Option<Value>>,
    /// Seconds since the Unix epoch, from `eventTime`; 0 when absent or unparseable.
    pub time: i64,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record").field("text", &self.text).field("time", &self.time).finish()
    }
}

struct Parser<'a> {
    b: &'a [u8],
    nodes: Vec<Node>,
    esc: String,
    /// A member name repeated within one object.
    dup: bool,
    /// Newlines skipped (all of them: within a string one is an error).
    lines: usize,
}

impl Parser<'_> {
    /// The position after the whitespace at `i` (newlines counted in `lines`).
    #[inline]
    fn ws(&mut self, mut i: usize) -> usize {
        while let Some(&c @ (b' ' | b'\t' | b'\n' | b'\r')) = self.b.get(i) {
            self.lines += usize::from(c == b'\n');
            i += 1;
        }
        i
    }

    fn text(&self, s: Span) -> &[u8] {
        if s.off & ESC != 0 {
            let o = (s.off & !ESC) as usize;
            self.esc.as_bytes().get(o..o + s.len as usize).unwrap_or(&[])
        } else {
            self.b.get(s.off as usize..(s.off + s.len) as usize).unwrap_or(&[])
        }
    }

    /// A string whose opening quote is at `i`, and the position after it; `None` on anything
    /// `serde_json` would reject. The common case (no escape) inline; strings with escapes in
    /// [`Parser::string_escaped`].
    #[inline(always)]
    fn string(&mut self, i: usize) -> Option<(Span, usize)> {
        let start = i + 1;
        let k = string_stop(self.b.get(start..)?)?;
        let stop = *self.b.get(start + k)?;
        if stop == b'"' {
            return Some((Span { off: start as u32, len: k as u32 }, start + k + 1));
        }
        if stop < 0x20 {
            return None;
        }
        self.string_escaped(start, start + k)
    }

    /// A member name (as [`Parser::string`]) and its [`name_bucket`], taken from the text
    /// the scan just read (a name with escapes from its unescaped form).
    #[inline(always)]
    fn key(&mut self, i: usize) -> Option<(Span, u32, usize)> {
        let start = i + 1;
        let rest = self.b.get(start..)?;
        let k = string_stop(rest)?;
        let name = rest.get(..k)?;
        let stop = *rest.get(k)?;
        if stop == b'"' {
            return Some((Span { off: start as u32, len: k as u32 }, name_bucket(name), start + k + 1));
        }
        if stop < 0x20 {
            return None;
        }
        let (s, end) = self.string_escaped(start, start + k)?;
        Some((s, name_bucket(self.text(s)), end))
    }

    /// The rest of a string from its first backslash (at `i`; the text from `start` has no
    /// escape): unescaped into the side buffer; the span and the position after the string.
    #[cold]
    #[inline(never)]
    fn string_escaped(&mut self, start: usize, mut i: usize) -> Option<(Span, usize)> {
        let b = self.b;
        let off = self.esc.len();
        self.esc.push_str(std::str::from_utf8(b.get(start..i)?).ok()?);
        loop {
            match *b.get(i)? {
                b'"' => {
                    return Some((Span { off: off as u32 | ESC, len: (self.esc.len() - off) as u32 }, i + 1));
                }
                b'\\' => {
                    let c = *b.get(i + 1)?;
                    i += 2;
                    let ch = match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = hex4(b, i)?;
                            i += 4;
                            if (0xdc00..0xe000).contains(&hi) {
                                return None;
                            }
                            if (0xd800..0xdc00).contains(&hi) {
                                if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
                                    return None;
                                }
                                i += 2;
                                let lo = hex4(b, i)?;
                                i += 4;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))?
                            } else {
                                char::from_u32(hi)?
                            }
                        }
                        _ => return None,
                    };
                    self.esc.push(ch);
                }
                _ => {
                    let rest = b.get(i..)?;
                    let k = memchr::memchr2(b'"', b'\\', rest)?;
                    let run = rest.get(..k)?;
                    if run.iter().any(|&c| c < 0x20) {
                        return None;
                    }
                    self.esc.push_str(std::str::from_utf8(run).ok()?);
                    i += k;
                }
            }
        }
    }

    /// One value at `i` (after whitespace) with member name `key`; the position after it.
    /// The position goes in and out by value (a register), not through `self` (where it was
    /// stored and loaded again around every node pushed).
    fn value(&mut self, key: Span, depth: usize, i: usize) -> Option<usize> {
        let b = self.b;
        let at = self.nodes.len();
        let (kind, val, end) = match *b.get(i)? {
            b'"' => {
                let (s, end) = self.string(i)?;
                (Kind::Str, s, end)
            }
            c @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let obj = c == b'{';
                self.nodes.push(Node { key, val: Span::default(), end: 0, kind: if obj { Kind::Obj } else { Kind::Arr } });
                let end = if obj { self.members(depth, i + 1)? } else { self.elements(depth, i + 1)? };
                let after = self.nodes.len() as u32;
                let n = self.nodes.get_mut(at)?;
                n.end = after;
                n.val = Span { off: i as u32, len: (end - i) as u32 };
                return Some(end);
            }
            b't' => (Kind::True, Span::default(), literal(b, i, b"true")?),
            b'f' => (Kind::False, Span::default(), literal(b, i, b"false")?),
            b'n' => (Kind::Null, Span::default(), literal(b, i, b"null")?),
            _ => {
                let end = number_end(b, i)?;
                (Kind::Num, Span { off: i as u32, len: (end - i) as u32 }, end)
            }
        };
        self.nodes.push(Node { key, val, end: at as u32 + 1, kind });
        Some(end)
    }

    /// The members of an object whose `{` is just before `i`; the position after its `}`.
    fn members(&mut self, depth: usize, i: usize) -> Option<usize> {
        let b = self.b;
        let mut i = self.ws(i);
        if *b.get(i)? == b'}' {
            return Some(i + 1);
        }
        let first = self.nodes.len();
        // One bit per member name, by a hash of it: a name whose bit is already set is compared
        // with the earlier names (so a repeated name is always found, with few comparisons).
        // Sixty-four bits: a shift and a test of one word (128 took a dozen instructions a
        // name), for twice the (cheap, rare) comparisons.
        let mut names: u64 = 0;
        loop {
            // Compact JSON (no whitespace between tokens) is the common case: each `ws` is
            // called only when the next byte is not the expected one.
            if b.get(i) != Some(&b'"') {
                i = self.ws(i);
                if b.get(i) != Some(&b'"') {
                    return None;
                }
            }
            // A name without escapes here; any other through `key`.
            let rest = b.get(i + 1..)?;
            let k = string_stop(rest)?;
            let (key, bucket) = match (rest.get(k), rest.get(..k)) {
                (Some(b'"'), Some(name)) => {
                    let s = Span { off: (i + 1) as u32, len: k as u32 };
                    i += k + 2;
                    (s, name_bucket(name))
                }
                _ => {
                    let (s, bucket, end) = self.key(i)?;
                    i = end;
                    (s, bucket)
                }
            };
            if b.get(i) != Some(&b':') {
                i = self.ws(i);
                if b.get(i) != Some(&b':') {
                    return None;
                }
            }
            i += 1;
            let mut next = *b.get(i)?;
            if matches!(next, b' ' | b'\t' | b'\n' | b'\r') {
                i = self.ws(i);
                next = *b.get(i)?;
            }
            let bit = 1u64 << bucket;
            if names & bit != 0 && !self.dup {
                let me = self.nodes.len();
                let mut x = first;
                while x < me {
                    let Some(n) = self.nodes.get(x) else { break };
                    if n.key.len == key.len && self.text(n.key) == self.text(key) {
                        self.dup = true;
                        break;
                    }
                    x = n.end as usize;
                }
            }
            names |= bit;
            if next == b'"' {
                // The common member, a string, without a call to `value`.
                let at = self.nodes.len() as u32;
                let rest = b.get(i + 1..)?;
                let k = string_stop(rest)?;
                let val = if rest.get(k) == Some(&b'"') {
                    let s = Span { off: (i + 1) as u32, len: k as u32 };
                    i += k + 2;
                    s
                } else {
                    let (s, end) = self.string(i)?;
                    i = end;
                    s
                };
                self.nodes.push(Node { key, val, end: at + 1, kind: Kind::Str });
            } else {
                i = self.value(key, depth + 1, i)?;
            }
            let mut next = *b.get(i)?;
            if matches!(next, b' ' | b'\t' | b'\n' | b'\r') {
                i = self.ws(i);
                next = *b.get(i)?;
            }
            i += 1;
            match next {
                b',' => {}
                b'}' => return Some(i),
                _ => return None,
            }
        }
    }

    /// The elements of an array whose `[` is just before `i`; the position after its `]`.
    fn elements(&mut self, depth: usize, i: usize) -> Option<usize> {
        let b = self.b;
        let mut i = self.ws(i);
        if *b.get(i)? == b']' {
            return Some(i + 1);
        }
        // As in `members`: strings without escapes inline.
        loop {
            let mut next = *b.get(i)?;
            if matches!(next, b' ' | b'\t' | b'\n' | b'\r') {
                i = self.ws(i);
                next = *b.get(i)?;
            }
            let plain = match (next, b.get(i + 1..)) {
                (b'"', Some(rest)) => string_stop(rest).filter(|&k| rest.get(k) == Some(&b'"')),
                _ => None,
            };
            if let Some(k) = plain {
                let at = self.nodes.len() as u32;
                self.nodes.push(Node { key: Span::default(), val: Span { off: (i + 1) as u32, len: k as u32 }, end: at + 1, kind: Kind::Str });
                i += k + 2;
            } else {
                i = self.value(Span::default(), depth + 1, i)?;
            }
            let mut next = *b.get(i)?;
            if matches!(next, b' ' | b'\t' | b'\n' | b'\r') {
                i = self.ws(i);
                next = *b.get(i)?;
            }
            i += 1;
            match next {
                b',' => {}
                b']' => return Some(i),
                _ => return None,
            }
        }
    }
}

/// Four hexadecimal digits at `i`.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let h = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// The position after the digits at `i`.
#[inline]
fn digits(b: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

/// The position after the JSON number at `i`; `None` when it is not one.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => {
            i += 1;
            if let Some(b'0'..=b'9') = b.get(i) {
                return None;
            }
        }
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let e = digits(b, i + 1);
        if e == i + 1 {
            return None;
        }
        i = e;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let e = digits(b, i);
        if e == i {
            return None;
        }
        i = e;
    }
    Some(i)
}

/// The position after `word` at `i`, if it is there.
#[inline]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// A member name's bucket (0..64) for the repeated-name check: its length and first and last
/// eight bytes, mixed.
// Always inlined: a call in the member loop made the scan's vector constants reload after it.
#[inline(always)]
fn name_bucket(name: &[u8]) -> u32 {
    // Fixed-size loads (a copy of a variable length was a `memcpy` call per name).
    // Names of four to seven bytes (`type`, `arn` aside, many nested names) by two four-byte
    // loads rather than byte by byte. Any function of the name's bytes does: every name goes
    // through this one.
    let (head, tail) = match (name.first_chunk::<8>(), name.last_chunk::<8>()) {
        (Some(h), Some(t)) => (u64::from_le_bytes(*h), u64::from_le_bytes(*t)),
        _ => match (name.first_chunk::<4>(), name.last_chunk::<4>()) {
            (Some(h), Some(t)) => {
                let w = u64::from(u32::from_le_bytes(*h)) | (u64::from(u32::from_le_bytes(*t)) << 32);
                (w, w)
            }
            _ => {
                let w = name.iter().rev().fold(0u64, |w, &c| (w << 8) | u64::from(c));
                (w, w)
            }
        },
    };
    let h = (head ^ tail.rotate_left(29) ^ name.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 58) as u32
}

/// The top-level names located at parse time (see [`Hot`]).
#[derive(Clone, Copy)]
enum HotName {
    EventName,
    EventSource,
    EventId,
    EventTime,
    EventType,
    ErrorCode,
    Region,
    SourceIp,
    UserAgent,
    Recipient,
    Identity,
    Request,
    Response,
    Additional,
    ErrorMessage,
}

/// A name's first and last eight bytes as words (overlapping for names shorter than sixteen
/// bytes); for names of four to seven bytes, its first and last four bytes in one word, twice;
/// (0, 0) for shorter names. With the length, this is the whole name up to sixteen bytes.
#[inline(always)]
const fn name_words(name: &[u8]) -> (u64, u64) {
    if let (Some(h), Some(t)) = (name.first_chunk::<8>(), name.last_chunk::<8>()) {
        return (u64::from_le_bytes(*h), u64::from_le_bytes(*t));
    }
    if let (Some(h), Some(t)) = (name.first_chunk::<4>(), name.last_chunk::<4>()) {
        let w = u32::from_le_bytes(*h) as u64 | ((u32::from_le_bytes(*t) as u64) << 32);
        return (w, w);
    }
    (0, 0)
}

/// Bytes 8..16 of a name of sixteen bytes or more (which its first and last words leave out
/// when it is longer than sixteen).
#[inline(always)]
const fn name_mid(name: &[u8]) -> u64 {
    match name.split_at_checked(8) {
        Some((_, rest)) => match rest.first_chunk::<8>() {
            Some(m) => u64::from_le_bytes(*m),
            None => 0,
        },
        None => 0,
    }
}

/// The [`HotName`] a top-level member name is, if any: by its length and words (integer
/// compares; matching the name against each literal was a `memcmp` call per candidate).
#[inline]
fn hot_slot_of(key: &[u8]) -> Option<HotName> {
    const fn w(s: &[u8]) -> (u64, u64) {
        name_words(s)
    }
    const EVENT_ID: (u64, u64) = w(b"eventID");
    const EVENT_NAME: (u64, u64) = w(b"eventName");
    const EVENT_TIME: (u64, u64) = w(b"eventTime");
    const EVENT_TYPE: (u64, u64) = w(b"eventType");
    const ERROR_CODE: (u64, u64) = w(b"errorCode");
    const REGION: (u64, u64) = w(b"awsRegion");
    const USER_AGENT: (u64, u64) = w(b"userAgent");
    const EVENT_SOURCE: (u64, u64) = w(b"eventSource");
    const IDENTITY: (u64, u64) = w(b"userIdentity");
    const ERROR_MESSAGE: (u64, u64) = w(b"errorMessage");
    const SOURCE_IP: (u64, u64) = w(b"sourceIPAddress");
    const RESPONSE: (u64, u64) = w(b"responseElements");
    const REQUEST: (u64, u64, u64) = (w(b"requestParameters").0, w(b"requestParameters").1, name_mid(b"requestParameters"));
    const RECIPIENT: (u64, u64, u64) = (w(b"recipientAccountId").0, w(b"recipientAccountId").1, name_mid(b"recipientAccountId"));
    const ADDITIONAL: (u64, u64, u64) = (w(b"additionalEventData").0, w(b"additionalEventData").1, name_mid(b"additionalEventData"));
    let x = name_words(key);
    Some(match key.len() {
        7 if x == EVENT_ID => HotName::EventId,
        9 => match x {
            EVENT_NAME => HotName::EventName,
            EVENT_TIME => HotName::EventTime,
            EVENT_TYPE => HotName::EventType,
            ERROR_CODE => HotName::ErrorCode,
            REGION => HotName::Region,
            USER_AGENT => HotName::UserAgent,
            _ => return None,
        },
        11 if x == EVENT_SOURCE => HotName::EventSource,
        12 => match x {
            IDENTITY => HotName::Identity,
            ERROR_MESSAGE => HotName::ErrorMessage,
            _ => return None,
        },
        15 if x == SOURCE_IP => HotName::SourceIp,
        16 if x == RESPONSE => HotName::Response,
        17 if (x.0, x.1, name_mid(key)) == REQUEST => HotName::Request,
        18 if (x.0, x.1, name_mid(key)) == RECIPIENT => HotName::Recipient,
        19 if (x.0, x.1, name_mid(key)) == ADDITIONAL => HotName::Additional,
        _ => return None,
    })
}

/// Whether two names of the same length are equal: by overlapping word loads for names of four
/// bytes or more (a comparison of slices is a `memcmp` call).
#[inline]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    if let (Some(x), Some(y), Some(xt), Some(yt)) = (a.first_chunk::<8>(), b.first_chunk::<8>(), a.last_chunk::<8>(), b.last_chunk::<8>()) {
        return x == y && xt == yt && (a.len() <= 16 || a == b);
    }
    if let (Some(x), Some(y), Some(xt), Some(yt)) = (a.first_chunk::<4>(), b.first_chunk::<4>(), a.last_chunk::<4>(), b.last_chunk::<4>()) {
        return a.len() == b.len() && u32::from_le_bytes(*x) == u32::from_le_bytes(*y) && u32::from_le_bytes(*xt) == u32::from_le_bytes(*yt);
    }
    a == b
}

/// The position of the first `"`, `\\` or control character (which ends, escapes or
/// invalidates a JSON string), sixteen bytes (two words) a step: most strings of a record are
/// short, where this beats a vectorised search that needs a second pass for control characters
/// (one step of two words measured 3.5% fewer instructions for a whole run than one word a step).
#[inline(always)]
pub(crate) fn string_stop(b: &[u8]) -> Option<usize> {
    // Sixteen bytes a step (two words, one branch): most strings end within the first step.
    let mut i = 0;
    let mut pairs = b.chunks_exact(16);
    for pair in &mut pairs {
        let (Some(lo), Some(hi)) = (pair.first_chunk::<8>(), pair.last_chunk::<8>()) else { break };
        let (m0, m1) = (stop_mask(lo), stop_mask(hi));
        if m0 | m1 != 0 {
            let k = if m0 != 0 { m0.trailing_zeros() / 8 } else { 8 + m1.trailing_zeros() / 8 };
            return Some(i + k as usize);
        }
        i += 16;
    }
    let mut rest = pairs.remainder();
    if let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let m = stop_mask(word);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
        rest = tail;
    }
    rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|k| i + k)
}

/// The high bit of each byte of an eight-byte `word` (little-endian) that is a `"`, a `\\` or
/// below 0x20, and possibly of bytes after the first such byte: a byte is flagged when it is
/// zero after the xor with `\\` or below 0x21 after the xor with 0x02 (which swaps control
/// characters among themselves and takes `"`, 0x22, to 0x20, so one test finds both); the
/// lowest flag is exact (borrows only ever flag bytes above a true match).
#[inline(always)]
fn stop_mask(word: &[u8; 8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(*word);
    let q = x ^ (ONES * 0x02);
    let e = x ^ (ONES * u64::from(b'\\'));
    ((q.wrapping_sub(ONES * 0x21) & !q) | (e.wrapping_sub(ONES) & !e)) & HIGH
}

/// Buffers a caller keeps across records so parsing one does not allocate them anew.
#[derive(Default)]
pub struct Scratch {
    nodes: Vec<Node>,
}

/// Text and node buffers of dropped records, reused by the next records parsed on the thread:
/// two allocations and two frees a record (about 175 instructions each through the global
/// allocator) become a few pushes and pops. Bounded in count and in each buffer's size.
struct Pool(Vec<(String, Vec<Node>)>);

const POOL_MAX: usize = 64;
const POOL_TEXT_MAX: usize = 1 << 16;
const POOL_NODES_MAX: usize = 1 << 12;

thread_local! {
    static POOL: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool(Vec::new())) };
}

/// Empty buffers for a record (from the pool when it has some).
#[inline]
fn pool_take() -> (String, Vec<Node>) {
    POOL.try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.0.pop())).ok().flatten().unwrap_or_default()
}

/// Gives a dropped record's buffers back to the pool (emptied), unless it is full or they are large.
#[inline]
fn pool_give(mut text: String, mut nodes: Vec<Node>) {
    if text.capacity() > POOL_TEXT_MAX || nodes.capacity() > POOL_NODES_MAX || text.capacity() == 0 {
        return;
    }
    text.clear();
    nodes.clear();
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.0.len() < POOL_MAX {
                p.0.push((text, nodes));
            }
        }
    });
}

impl Drop for Record {
    fn drop(&mut self) {
        pool_give(std::mem::take(&mut self.text), std::mem::take(&mut self.nodes));
    }
}

/// Parses the object at the start of `text` (after whitespace) into `nodes`; returns where it
/// ends, the unescaped side buffer and how many newlines the object's text holds. `None` when
/// `serde_json` must decide (or, for a prefix, when the object does not end within `text`).
/// UTF-8 is not checked here.
fn parse_object(text: &[u8], nodes: &mut Vec<Node>) -> Option<(usize, String, usize)> {
    if text.len() >= (ESC as usize) {
        return None;
    }
    nodes.clear();
    let mut p = Parser { b: text, nodes: std::mem::take(nodes), esc: String::new(), dup: false, lines: 0 };
    let i = p.ws(0);
    let end = if text.get(i) == Some(&b'{') { p.value(Span::default(), 0, i) } else { None };
    *nodes = p.nodes;
    end.filter(|_| !p.dup).map(|end| (end, p.esc, p.lines))
}

/// Parses an object record; `None` when `serde_json` must decide.
fn fast_parse(text: &str, scratch: &mut Scratch) -> Option<(Vec<Node>, String)> {
    let (end, esc, _) = parse_object(text.as_bytes(), &mut scratch.nodes)?;
    let rest = text.as_bytes().get(end..)?;
    if !rest.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        return None;
    }
    Some((scratch.nodes.clone(), esc))
}

impl Record {
    /// Parses one record's JSON text.
    pub fn parse(text: Vec<u8>) -> Result<Record, RecordError> {
        Record::parse_with(text, &mut Scratch::default())
    }

    /// [`Record::parse`] with buffers the caller keeps across records.
    pub fn parse_with(text: Vec<u8>, scratch: &mut Scratch) -> Result<Record, RecordError> {
        let text = match String::from_utf8(text) {
            Ok(t) => match fast_parse(&t, scratch) {
                Some((nodes, esc)) => return Ok(Record::build(t, nodes, esc)),
                None => t.into_bytes(),
            },
            Err(e) => e.into_bytes(),
        };
        match serde_json::from_slice::<Value>(&text) {
            Ok(v @ Value::Object(_)) => Ok(Record::new(v)),
            Ok(_) => Err(RecordError::NotObject),
            Err(e) => Err(RecordError::Malformed(e.to_string())),
        }
    }

    /// A record from a parsed value (an object; anything else is an empty record).
    pub fn new(v: Value) -> Record {
        let text = serde_json::to_string(&v).unwrap_or_default();
        match fast_parse(&text, &mut Scratch::default()) {
            Some((nodes, esc)) => Record::build(text, nodes, esc),
            None => {
                let text = "{}".to_string();
                let nodes = vec![Node { key: Span::default(), val: Span { off: 0, len: 2 }, end: 1, kind: Kind::Obj }];
                Record::build(text, nodes, String::new())
            }
        }
    }

    /// Parses the object record at the start of `buf` (a reader's buffer, where more records
    /// follow) in place, copying only its own text; returns the record and its length in bytes.
    /// `None` when the record does not end within `buf`, or is anything the fast parser does not
    /// take (the caller then finds its end and parses it with [`Record::parse_with`]).
    pub fn parse_prefix(buf: &[u8], scratch: &mut Scratch) -> Option<(Record, usize)> {
        Record::parse_prefix_lines(buf, scratch).map(|(r, n, _)| (r, n))
    }

    /// [`Record::parse_prefix`], also returning how many newlines the record's text holds
    /// (counted by the parser as it skips whitespace, so the caller need not scan the text
    /// again for them).
    pub fn parse_prefix_lines(buf: &[u8], scratch: &mut Scratch) -> Option<(Record, usize, usize)> {
        let (end, esc, lines) = parse_object(buf, &mut scratch.nodes)?;
        let text = std::str::from_utf8(buf.get(..end)?).ok()?;
        let (mut t, mut n) = pool_take();
        t.push_str(text);
        n.extend_from_slice(&scratch.nodes);
        Some((Record::build(t, n, esc), end, lines))
    }

    fn build(text: String, nodes: Vec<Node>, esc: String) -> Record {
        let mut r = Record { text, esc, nodes, hot: NO_HOT, odd_keys: false, req_value: OnceCell::new(), time: 0 };
        let mut hot = NO_HOT;
        let mut i = 1;
        let end = r.nodes.first().map(|n| n.end).unwrap_or(0) as usize;
        while i < end {
            let Some(n) = r.nodes.get(i) else { break };
            let key = r.bytes(n.key);
            let Some(slot) = hot_slot_of(key) else {
                r.odd_keys |= path_special(key);
                i = n.end as usize;
                continue;
            };
            let slot = match slot {
                HotName::EventName => &mut hot.event_name,
                HotName::EventSource => &mut hot.event_source,
                HotName::EventId => &mut hot.event_id,
                HotName::EventTime => &mut hot.event_time,
                HotName::EventType => &mut hot.event_type,
                HotName::ErrorCode => &mut hot.error_code,
                HotName::Region => &mut hot.region,
                HotName::SourceIp => &mut hot.source_ip,
                HotName::UserAgent => &mut hot.user_agent,
                HotName::Recipient => &mut hot.recipient,
                HotName::Identity => &mut hot.identity,
                HotName::Request => &mut hot.request,
                HotName::Response => &mut hot.response,
                HotName::Additional => &mut hot.additional,
                HotName::ErrorMessage => &mut hot.error_message,
            };
            *slot = i as u32;
            i = n.end as usize;
        }
        if hot.identity != NONE {
            hot.identity_type = r.child(hot.identity, "type").unwrap_or(NONE);
        }
        r.hot = hot;
        if hot.identity != NONE {
            // What `principal` and `actor` answer, located once (every record asks at least once).
            let found = |path: &[&str]| r.path_node(hot.identity, path).filter(|&i| r.node_str(i).is_some_and(|s| !s.is_empty()));
            let arn = found(&["arn"]);
            let issuer = if r.identity_type() == "AssumedRole" { found(&["sessionContext", "sessionIssuer", "arn"]) } else { None };
            let principal = issuer.or(arn).or_else(|| found(&["principalId"])).or_else(|| found(&["invokedBy"]));
            r.hot.principal = principal.unwrap_or(NONE);
            r.hot.actor = arn.or(principal).unwrap_or(NONE);
        }
        r.time = r.node_str(hot.event_time).and_then(parse_time).unwrap_or(0);
        r
    }

    /// [`Record::str_of`] as bytes, sliced without the two character-boundary tests of
    /// `str::get` (the same bytes: spans start and end on boundaries).
    #[inline]
    fn bytes(&self, s: Span) -> &[u8] {
        if s.off & ESC != 0 {
            let o = (s.off & !ESC) as usize;
            self.esc.as_bytes().get(o..o + s.len as usize).unwrap_or(&[])
        } else {
            self.text.as_bytes().get(s.off as usize..(s.off + s.len) as usize).unwrap_or(&[])
        }
    }

    #[inline]
    fn str_of(&self, s: Span) -> &str {
        // Spans start and end at ASCII quotes, brackets or number bounds of the text (or of
        // whole characters pushed to the side buffer), so slicing needs no UTF-8 check.
        if s.off & ESC != 0 {
            let o = (s.off & !ESC) as usize;
            self.esc.get(o..o + s.len as usize).unwrap_or("")
        } else {
            self.text.get(s.off as usize..(s.off + s.len) as usize).unwrap_or("")
        }
    }

    /// The string at node `i`, if it is one.
    #[inline]
    fn node_str(&self, i: u32) -> Option<&str> {
        let n = self.nodes.get(i as usize)?;
        (n.kind == Kind::Str).then(|| self.str_of(n.val))
    }

    /// The top-level member `key`: the members located at parse time without a search.
    #[inline]
    fn top(&self, key: &str) -> Option<u32> {
        let h = &self.hot;
        let i = match key {
            "eventName" => h.event_name,
            "eventSource" => h.event_source,
            "eventID" => h.event_id,
            "eventTime" => h.event_time,
            "eventType" => h.event_type,
            "errorCode" => h.error_code,
            "awsRegion" => h.region,
            "sourceIPAddress" => h.source_ip,
            "userAgent" => h.user_agent,
            "recipientAccountId" => h.recipient,
            "userIdentity" => h.identity,
            "requestParameters" => h.request,
            "responseElements" => h.response,
            "additionalEventData" => h.additional,
            "errorMessage" => h.error_message,
            _ => return self.child(0, key),
        };
        (i != NONE).then_some(i)
    }

    /// The member `key` of object node `obj`.
    fn child(&self, obj: u32, key: &str) -> Option<u32> {
        let o = self.nodes.get(obj as usize)?;
        if o.kind != Kind::Obj {
            return None;
        }
        let mut i = obj + 1;
        while i < o.end {
            let n = self.nodes.get(i as usize)?;
            if n.key.len as usize == key.len() && same_name(self.bytes(n.key), key.as_bytes()) {
                return Some(i);
            }
            i = n.end;
        }
        None
    }

    fn children(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let end = self.nodes.get(node as usize).map(|n| if matches!(n.kind, Kind::Obj | Kind::Arr) { n.end } else { node + 1 }).unwrap_or(node + 1);
        let mut i = node + 1;
        std::iter::from_fn(move || {
            if i >= end {
                return None;
            }
            let c = i;
            i = self.nodes.get(i as usize).map(|n| n.end).unwrap_or(end);
            Some(c)
        })
    }

    fn path_node(&self, from: u32, path: &[&str]) -> Option<u32> {
        let mut cur = from;
        for k in path {
            cur = if cur == 0 { self.top(k)? } else { self.child(cur, k)? };
        }
        Some(cur)
    }

    /// Whether `s` lies within the record's text. For a string this record's accessors return
    /// (`event_name`, `actor`, ...), it then is a JSON string's contents without escapes (those
    /// with escapes are unescaped into a side buffer), so it has no `"`, `\\` or control
    /// character and `serde_json` writes it unchanged.
    pub(crate) fn holds_raw(&self, s: &str) -> bool {
        let t = self.text.as_bytes().as_ptr_range();
        let (start, end) = (t.start as usize, t.end as usize);
        let p = s.as_ptr() as usize;
        start <= p && p.saturating_add(s.len()) <= end
    }

    /// The record's JSON text.
    pub fn text(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// A string at a path of object keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.node_str(self.path_node(0, path)?)
    }

    /// Whether a path of object keys exists (whatever its value, `null` included).
    pub fn has(&self, path: &[&str]) -> bool {
        self.path_node(0, path).is_some()
    }

    /// The value at a path of object keys, built as a `serde_json::Value`.
    pub fn value_at(&self, path: &[&str]) -> Option<Value> {
        let n = self.nodes.get(self.path_node(0, path)? as usize)?;
        Some(match n.kind {
            Kind::Null => Value::Null,
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::Str => Value::String(self.str_of(n.val).to_string()),
            Kind::Num | Kind::Arr | Kind::Obj => serde_json::from_slice(self.bytes(n.val)).ok()?,
        })
    }

    /// The whole record as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    #[inline]
    fn hot_str(&self, i: u32) -> &str {
        self.node_str(i).unwrap_or("")
    }

    pub fn s(&self, key: &str) -> &str {
        self.child(0, key).and_then(|i| self.node_str(i)).unwrap_or("")
    }

    #[inline]
    pub fn event_name(&self) -> &str {
        self.hot_str(self.hot.event_name)
    }

    #[inline]
    pub fn event_source(&self) -> &str {
        self.hot_str(self.hot.event_source)
    }

    #[inline]
    pub fn event_id(&self) -> &str {
        self.hot_str(self.hot.event_id)
    }

    #[inline]
    pub fn error_code(&self) -> Option<&str> {
        self.node_str(self.hot.error_code).filter(|s| !s.is_empty() && *s != "Success")
    }

    #[inline]
    pub fn region(&self) -> &str {
        self.hot_str(self.hot.region)
    }

    #[inline]
    pub fn source_ip(&self) -> &str {
        self.hot_str(self.hot.source_ip)
    }

    #[inline]
    pub fn user_agent(&self) -> &str {
        self.hot_str(self.hot.user_agent)
    }

    /// A top-level member that is a string of ASCII characters (`None` when absent, not a
    /// string or not ASCII).
    pub fn plain_ascii(&self, key: &str) -> Option<&str> {
        let i = match key {
            "eventName" => self.hot.event_name,
            "eventSource" => self.hot.event_source,
            _ => self.child(0, key)?,
        };
        self.node_str(i).filter(|s| s.is_ascii())
    }

    /// A string member of `userIdentity` at a path.
    pub fn identity_str(&self, path: &[&str]) -> Option<&str> {
        if self.hot.identity == NONE {
            return None;
        }
        self.node_str(self.path_node(self.hot.identity, path)?)
    }

    pub fn account(&self) -> &str {
        let r = self.hot_str(self.hot.recipient);
        if r.is_empty() {
            self.identity_str(&["accountId"]).unwrap_or("")
        } else {
            r
        }
    }

    #[inline]
    pub fn identity_type(&self) -> &str {
        // `identity_str(&["type"])`, located at parse time.
        self.node_str(self.hot.identity_type).unwrap_or("")
    }

    /// The principal an action is attributed to: the session issuer's ARN for assumed roles
    /// (so all sessions of a role share a baseline), else the identity's ARN, else its
    /// principal id, else `unknown`.
    /// (Located when the record is parsed.)
    #[inline]
    pub fn principal(&self) -> &str {
        self.node_str(self.hot.principal).unwrap_or("unknown")
    }

    /// The exact identity (session ARN for assumed roles): `userIdentity.arn` when it is a
    /// non-empty string, else [`Record::principal`]. (Located when the record is parsed.)
    #[inline]
    pub fn actor(&self) -> &str {
        self.node_str(self.hot.actor).unwrap_or("unknown")
    }

    /// A member of `requestParameters` as a `serde_json::Value` (the object is built once, on
    /// first use: only the detections that read policy documents and lists need it).
    pub fn req(&self, key: &str) -> Option<&Value> {
        self.req_value
            .get_or_init(|| {
                let n = self.nodes.get(self.hot.request as usize)?;
                (n.kind == Kind::Obj).then(|| serde_json::from_slice(self.bytes(n.val)).ok()).flatten()
            })
            .as_ref()?
            .get(key)
    }

    /// A string member of `requestParameters`.
    pub fn req_str(&self, key: &str) -> Option<&str> {
        if self.hot.request == NONE {
            return None;
        }
        self.node_str(self.child(self.hot.request, key)?)
    }

    /// Whether `requestParameters` has a member `key` (whatever its value).
    pub fn req_has(&self, key: &str) -> bool {
        self.hot.request != NONE && self.child(self.hot.request, key).is_some()
    }

    /// True for an access-denied style error (`AccessDenied`, `Client.UnauthorizedOperation`, ...).
    pub fn is_access_denied(&self) -> bool {
        self.error_code().map(|c| c.contains("AccessDenied") || c.contains("UnauthorizedOperation") || c.contains("Unauthorized")).unwrap_or(false)
    }

    /// Made by an AWS service on the account's behalf rather than by a caller.
    pub fn is_service_event(&self) -> bool {
        self.hot_str(self.hot.event_type) == "AwsServiceEvent" || self.identity_type() == "AWSService"
    }

    /// Node `i` as `rsigma_eval` sees a `serde_json::Value` (objects with sorted keys, as
    /// `serde_json`'s `BTreeMap` keeps them).
    fn event_value(&self, i: u32) -> EventValue<'_> {
        let Some(n) = self.nodes.get(i as usize) else { return EventValue::Null };
        match n.kind {
            Kind::Null => EventValue::Null,
            Kind::True => EventValue::Bool(true),
            Kind::False => EventValue::Bool(false),
            Kind::Str => EventValue::Str(Cow::Borrowed(self.str_of(n.val))),
            Kind::Num => number(self.bytes(n.val)),
            Kind::Arr => EventValue::Array(self.children(i).map(|c| self.event_value(c)).collect()),
            Kind::Obj => {
                let mut m: Vec<(Cow<'_, str>, EventValue<'_>)> = self.children(i).filter_map(|c| self.nodes.get(c as usize).map(|cn| (Cow::Borrowed(self.str_of(cn.key)), self.event_value(c)))).collect();
                if json_maps_sorted() {
                    m.sort_by(|a, b| a.0.cmp(&b.0));
                }
                EventValue::Map(m)
            }
        }
    }

    fn collect<'a>(&'a self, cur: u32, ops: &[PathOp<'_>], out: &mut Vec<EventValue<'a>>) {
        let Some((op, rest)) = ops.split_first() else {
            out.push(self.event_value(cur));
            return;
        };
        let Some(n) = self.nodes.get(cur as usize) else { return };
        match op {
            PathOp::Key(k) => match n.kind {
                Kind::Obj => {
                    if let Some(next) = self.child(cur, k) {
                        self.collect(next, rest, out);
                    }
                }
                Kind::Arr => {
                    for c in self.children(cur) {
                        self.collect(c, ops, out);
                    }
                }
                _ => {}
            },
            PathOp::Index(ix) => {
                if n.kind == Kind::Arr {
                    let elems: Vec<u32> = self.children(cur).collect();
                    if let Some(next) = resolve_index(*ix, elems.len()).and_then(|p| elems.get(p)) {
                        self.collect(*next, rest, out);
                    }
                }
            }
        }
    }

    fn visit_strings(&self, i: u32, visit: &mut dyn FnMut(&str) -> bool, depth: usize) -> bool {
        if depth == 0 {
            return false;
        }
        let Some(n) = self.nodes.get(i as usize) else { return false };
        match n.kind {
            Kind::Str => visit(self.str_of(n.val)),
            Kind::Obj | Kind::Arr => {
                for c in self.children(i) {
                    if self.visit_strings(c, visit, depth - 1) {
                        return true;
                    }
                }
                false
            }
            _ => false,
        }
    }
}

/// A number as `serde_json::Value` holds it, then as `EventValue::from(&Value)` converts it.
fn number(text: &[u8]) -> EventValue<'static> {
    if !text.is_empty() && text.len() <= 18 && text.iter().all(u8::is_ascii_digit) {
        let mut v: i64 = 0;
        for &d in text {
            v = v * 10 + i64::from(d - b'0');
        }
        return EventValue::Int(v);
    }
    match serde_json::from_slice::<serde_json::Number>(text) {
        Ok(n) => match n.as_i64() {
            Some(i) => EventValue::Int(i),
            None => EventValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Err(_) => EventValue::Null,
    }
}

/// Whether a name or path contains `.`, `[` or `\\`.
#[inline]
fn path_special(b: &[u8]) -> bool {
    let (dotted, bracketed) = path_class(b);
    dotted || bracketed
}

/// Whether a name or path contains `.`, and whether it contains `[` or `\\`: eight bytes at a
/// time (a flag per byte that equals the character, as in [`string_stop`]).
#[inline]
fn path_class(b: &[u8]) -> (bool, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte equal to `c`, possibly also of bytes above the first such byte
    // (so it is non-zero exactly when one is `c`).
    let has = |x: u64, c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    let (mut dotted, mut bracketed) = (0u64, 0u64);
    let mut rest = b;
    while let Some((w, tail)) = rest.split_first_chunk::<8>() {
        let x = u64::from_le_bytes(*w);
        dotted |= has(x, b'.');
        bracketed |= has(x, b'[') | has(x, b'\\');
        rest = tail;
    }
    // The last bytes as one more word (overlapping the words before, or the first and last four
    // bytes of a short name, or the bytes of a tiny one with zeros, which match none of the
    // three), not byte by byte: most names end with a few bytes left over.
    if !rest.is_empty() {
        let x = match (b.last_chunk::<8>(), b.first_chunk::<4>(), b.last_chunk::<4>()) {
            (Some(w), _, _) => u64::from_le_bytes(*w),
            (None, Some(h), Some(t)) => u64::from(u32::from_le_bytes(*h)) | (u64::from(u32::from_le_bytes(*t)) << 32),
            _ => rest.iter().fold(0u64, |w, &c| (w << 8) | u64::from(c)),
        };
        dotted |= has(x, b'.');
        bracketed |= has(x, b'[') | has(x, b'\\');
    }
    (dotted != 0, bracketed != 0)
}

/// Maximum nesting that `rsigma_eval`'s JSON walks follow.
const WALK_DEPTH: usize = 64;

enum PathOp<'a> {
    Key(Cow<'a, str>),
    Index(i64),
}

fn resolve_index(index: i64, len: usize) -> Option<usize> {
    if index >= 0 {
        usize::try_from(index).ok().filter(|&i| i < len)
    } else {
        usize::try_from(index.unsigned_abs()).ok().and_then(|abs| len.checked_sub(abs))
    }
}

/// `name[N][M]` groups, as `rsigma_eval` reads them.
fn index_groups(s: &str) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut rem = s;
    while !rem.is_empty() {
        let rest = rem.strip_prefix('[')?;
        let close = rest.find(']')?;
        out.push(rest.get(..close)?.parse().ok()?);
        rem = rest.get(close + 1..)?;
    }
    Some(out)
}

fn path_ops(path: &str) -> Vec<PathOp<'_>> {
    let mut ops = Vec::new();
    for part in path.split('.') {
        let groups = first_unescaped(part, b'[').and_then(|p| Some((p, index_groups(part.get(p..)?)?)));
        match groups {
            Some((p, idx)) => {
                let name = part.get(..p).unwrap_or("");
                if !name.is_empty() {
                    ops.push(PathOp::Key(unescape_brackets(name)));
                }
                ops.extend(idx.into_iter().map(PathOp::Index));
            }
            None => ops.push(PathOp::Key(unescape_brackets(part))),
        }
    }
    ops
}

fn path_root_key(path: &str) -> Option<Cow<'_, str>> {
    let segment = match first_unescaped(path, b'.') {
        Some(0) => return None,
        Some(pos) => path.get(..pos)?,
        None => path,
    };
    if segment.is_empty() {
        return None;
    }
    let name = match first_unescaped(segment, b'[') {
        Some(0) => return None,
        Some(pos) => segment.get(..pos)?,
        None => segment,
    };
    if name.is_empty() {
        return None;
    }
    Some(unescape_brackets(name))
}

impl Record {
    /// The member `seg` of the object node `obj`: the top level and `userIdentity.type` from
    /// what the parse located, others by a search of the object's members.
    #[inline]
    fn member(&self, obj: u32, seg: &str) -> Option<u32> {
        if obj == 0 {
            self.top(seg)
        } else if obj == self.hot.identity && seg == "type" {
            (self.hot.identity_type != NONE).then_some(self.hot.identity_type)
        } else {
            self.child(obj, seg)
        }
    }

    /// `get_field(path)` for a `path` with a `.` and no `[` or `\\`, already split at `.` into
    /// `segs` (the walk `get_field` makes, without classifying and splitting the path again).
    pub(crate) fn get_dotted<S: AsRef<str>>(&self, path: &str, segs: &[S]) -> Option<EventValue<'_>> {
        if self.odd_keys {
            return self.get_field(path);
        }
        self.walk_members(0, segs, path)
    }

    /// Follows `segs` member by member from node `cur`; an array on the way fans out, which
    /// only `get_field(path)` does.
    fn walk_members<S: AsRef<str>>(&self, mut cur: u32, segs: &[S], path: &str) -> Option<EventValue<'_>> {
        for seg in segs {
            match self.nodes.get(cur as usize).map(|n| n.kind) {
                Some(Kind::Obj) => cur = self.member(cur, seg.as_ref())?,
                Some(Kind::Arr) => return self.get_field(path),
                _ => return None,
            }
        }
        Some(self.event_value(cur))
    }
}

impl Event for Record {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        let (dotted, bracketed) = path_class(path.as_bytes());
        let special = dotted || bracketed;
        // A path with `.`, `[` or `\\` can only be a flat key when some top-level name has one.
        if !special || self.odd_keys {
            if let Some(i) = self.top(path) {
                return Some(self.event_value(i));
            }
        }
        if special {
            if !bracketed {
                // Plain `a.b.c` through objects only: no allocation. A path that meets an array
                // (which fans out) takes the general walk below. Segments as `path.split('.')`.
                let mut cur = 0u32;
                let mut through_objects = true;
                let mut rest = Some(path);
                while let Some(r) = rest {
                    // Segments are short: a plain loop beats `memchr`'s set-up.
                    let (seg, next) = match r.bytes().position(|c| c == b'.') {
                        Some(k) => (r.get(..k).unwrap_or(""), r.get(k + 1..)),
                        None => (r, None),
                    };
                    rest = next;
                    match self.nodes.get(cur as usize).map(|n| n.kind) {
                        Some(Kind::Obj) => cur = self.member(cur, seg)?,
                        Some(Kind::Arr) => {
                            through_objects = false;
                            break;
                        }
                        _ => return None,
                    }
                }
                if through_objects {
                    return Some(self.event_value(cur));
                }
            } else if let Some(root) = path_root_key(path) {
                self.child(0, &root)?;
            }
            let ops = path_ops(path);
            let mut out = Vec::new();
            self.collect(0, &ops, &mut out);
            return match out.len() {
                0 => None,
                1 => out.pop(),
                _ => Some(EventValue::Array(out)),
            };
        }
        None
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.visit_strings(0, &mut |s| pred(s), WALK_DEPTH)
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut v = Vec::new();
        self.visit_strings(
            0,
            &mut |s| {
                v.push(Cow::Owned(s.to_string()));
                false
            },
            WALK_DEPTH,
        );
        v
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        self.visit_strings(
            0,
            &mut |s| {
                visit(s);
                false
            },
            WALK_DEPTH,
        );
    }

    fn to_json(&self) -> Value {
        self.to_value()
    }

    fn top_level_keys(&self) -> Option<Vec<Cow<'_, str>>> {
        Some(self.children(0).filter_map(|c| self.nodes.get(c as usize).map(|n| Cow::Borrowed(self.str_of(n.key)))).collect())
    }

    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        for c in self.children(0) {
            if let Some(n) = self.nodes.get(c as usize) {
                visit(self.str_of(n.key));
            }
        }
        true
    }
}

pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    Some(cur)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (CloudTrail's `eventTime`) into Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    // `YYYY-MM-DD` as a key: the records of a file mostly share their date, so its day number
    // is worked out once (about 100 instructions of the 200 this function took).
    let key = match (b.first_chunk::<8>(), b.get(8..10)) {
        (Some(&w), Some(&[d0, d1])) => (u64::from_le_bytes(w), u16::from_le_bytes([d0, d1])),
        _ => (0, 0),
    };
    let last = LAST_DATE.try_with(std::cell::Cell::get).unwrap_or((0, 0, 0));
    if (last.0, last.1) == key {
        if let Some((h, mi, se)) = b.get(11..19).and_then(clock_digits) {
            if h > 23 || mi > 59 || se > 60 {
                return None;
            }
            return Some(last.2 * 86_400 + h * 3600 + mi * 60 + se);
        }
    }
    let (y, mo, d, h, mi, se) = match time_digits(b) {
        Some(t) => {
            if (1..=12).contains(&t.1) && (1..=31).contains(&t.2) {
                // A date of plain digits and in range (a key never matches before it is set:
                // the key holds `-`, the initial one is zeros).
                let _ = LAST_DATE.try_with(|c| c.set((key.0, key.1, days_from_civil(t.0, t.1, t.2))));
            }
            t
        }
        None => {
            // Anything but plain digits (a sign, which `parse` accepts) as `parse` reads it.
            let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
            (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?)
        }
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

thread_local! {
    /// The last date [`parse_time`] read whole (plain digits, month and day in range) and its day
    /// number: `(first eight bytes, next two bytes, days)`.
    static LAST_DATE: std::cell::Cell<(u64, u16, i64)> = const { std::cell::Cell::new((0, 0, 0)) };
}

/// Hours, minutes and seconds of `HH:MM:SS` (eight bytes) when all six are plain ASCII digits.
#[inline]
fn clock_digits(b: &[u8]) -> Option<(i64, i64, i64)> {
    let t = b.first_chunk::<8>()?;
    let dig = |i: usize| -> Option<i64> {
        let c = *t.get(i)?;
        c.is_ascii_digit().then_some(i64::from(c.wrapping_sub(b'0')))
    };
    let two = |i: usize| -> Option<i64> { Some(dig(i)? * 10 + dig(i + 1)?) };
    Some((two(0)?, two(3)?, two(6)?))
}

/// The six fields of `YYYY-MM-DDTHH:MM:SS` when all of them are plain ASCII digits.
#[inline]
fn time_digits(b: &[u8]) -> Option<(i64, i64, i64, i64, i64, i64)> {
    let t = b.first_chunk::<19>()?;
    let dig = |i: usize| -> Option<i64> {
        let c = *t.get(i)?;
        c.is_ascii_digit().then_some(i64::from(c.wrapping_sub(b'0')))
    };
    let two = |i: usize| -> Option<i64> { Some(dig(i)? * 10 + dig(i + 1)?) };
    Some((two(0)? * 100 + two(2)?, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?))
}

pub use mlguard_iam::days_from_civil;

/// Appends [`format_time`]'s text without going through `format!`.
pub fn write_time(t: i64, out: &mut Vec<u8>) {
    let (y, m, d) = civil(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    if !(0..=9999).contains(&y) {
        out.extend_from_slice(format_time_wide(t).as_bytes());
        return;
    }
    let two = |v: i64, out: &mut Vec<u8>| {
        out.push(b'0' + (v / 10 % 10) as u8);
        out.push(b'0' + (v % 10) as u8);
    };
    two(y / 100, out);
    two(y % 100, out);
    out.push(b'-');
    two(m, out);
    out.push(b'-');
    two(d, out);
    out.push(b'T');
    two(secs / 3600, out);
    out.push(b':');
    two(secs / 60 % 60, out);
    out.push(b':');
    two(secs % 60, out);
    out.push(b'Z');
}

/// Year, month and day of a day count since the Unix epoch.
fn civil(days: i64) -> (i64, i64, i64) {
    // civil_from_days, same source as `days_from_civil`.
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(t: i64) -> String {
    let mut v = Vec::with_capacity(20);
    write_time(t, &mut v);
    String::from_utf8(v).unwrap_or_default()
}

/// [`format_time`] through `format!`, for years outside 0–9999.
fn format_time_wide(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Whether `serde_json`'s `Map`, and so rsigma's `JsonEvent`, orders an object's keys (the
/// default) or keeps them in document order (its `preserve_order` feature, which any crate in
/// the build can turn on: Cedar does). A whole object read from a record follows the same rule.
pub(crate) fn json_maps_sorted() -> bool {
    static SORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SORTED.get_or_init(|| {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(r#"{"b":0,"a":0}"#).map(|m| m.keys().next().map(String::as_str) == Some("a")).unwrap_or(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsigma_eval::event::JsonEvent;

    #[test]
    fn path_class_finds_dots_brackets_and_backslashes_anywhere() {
        let naive = |b: &[u8]| (b.contains(&b'.'), b.iter().any(|&c| c == b'[' || c == b'\\'));
        for len in 0..20 {
            for at in 0..len {
                for c in [b'.', b'[', b'\\', b'/', 0x80, 0xff, b'-'] {
                    let mut v = vec![b'a'; len];
                    if let Some(x) = v.get_mut(at) {
                        *x = c;
                    }
                    assert_eq!(path_class(&v), naive(&v), "{v:?}");
                    assert_eq!(path_special(&v), naive(&v).0 || naive(&v).1);
                }
            }
        }
        assert_eq!(path_class(b"userIdentity.sessionContext.sessionIssuer.type"), (true, false));
        assert_eq!(path_class(b"a.b[0]"), (true, true));
    }

    #[test]
    fn the_parser_counts_the_newlines_of_a_record() {
        for text in ["{}", "{\n}", "\n {\"a\" :\r\n [1 ,\n2\n] , \"b\":\"x\\ny\"\n}\n\n{", "{\"a\":{\"b\":[\n\n]}}"] {
            let (r, end, lines) = Record::parse_prefix_lines(text.as_bytes(), &mut Scratch::default()).unwrap();
            assert_eq!(lines, text.as_bytes()[..end].iter().filter(|&&c| c == b'\n').count(), "{text:?}");
            assert_eq!(r.text(), &text.as_bytes()[..end]);
        }
    }

    #[test]
    fn time_reads_signs_as_parse_does() {
        let old = |s: &str| -> Option<(i64, i64, i64, i64, i64, i64)> {
            let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
            Some((num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?))
        };
        for s in ["2024-02-29T13:45:07Z", "2024-+2-29T13:45:07Z", "+024-02-29T13:45:07Z", "2024-02-29T13:45:-7Z", "2024-02-29T1a:45:07Z", "2024-02-29T13:45:0", "0000-00-00T00:00:00", "9999-99-99T99:99:99"] {
            if let Some(t) = time_digits(s.as_bytes()) {
                assert_eq!(Some(t), old(s), "{s}");
            }
        }
        // The whole function against the one that read every field with `parse`.
        let old_parse_time = |s: &str| -> Option<i64> {
            let b = s.as_bytes();
            if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
                return None;
            }
            let (y, mo, d, h, mi, se) = old(s)?;
            if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
                return None;
            }
            Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
        };
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut v = b"2024-02-29T13:45:07.123Z".to_vec();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x % 24) as usize;
                v[at] = [b'+', b'-', b'0', b'9', b'5', b'1', b'a', b' ', 0xc3, b'3'][(x >> 8) as usize % 10];
            }
            if let Ok(s) = std::str::from_utf8(&v) {
                assert_eq!(parse_time(s), old_parse_time(s), "{s}");
            }
        }
        assert_eq!(parse_time("2024-+2-29T13:45:07Z"), parse_time("2024-02-29T13:45:07Z"));
        assert_eq!(parse_time("2024-02-29T1a:45:07Z"), None);
        // After a date is cached: other clocks on it, bad clocks, signs, and other dates.
        for s in ["2024-02-29T13:45:07Z", "2024-02-29T00:00:00Z", "2024-02-29T24:00:00Z", "2024-02-29T23:59:60Z", "2024-02-29T+1:00:00Z", "2024-02-29T1:00:00Z", "2024-02-29T13:45:07Z", "2024-03-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-02-29T00:60:00Z"] {
            assert_eq!(parse_time(s), old_parse_time(s), "{s}");
        }
    }

    #[test]
    fn repeated_names_of_every_length_are_found() {
        for len in 0..24 {
            let name: String = (0..len).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
            // Another name of the same length, to sit between the two.
            let other: String = name.chars().rev().chain(std::iter::once('z')).skip(1).collect();
            for text in [format!("{{\"{name}\":1,\"{other}x\":2,\"{name}\":3}}"), format!("{{\"o\":{{\"{name}\":1,\"{name}\":3}}}}")] {
                let r = Record::parse(text.clone().into_bytes()).unwrap();
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(r.to_json(), v, "{text}");
                let path: Vec<&str> = if text.starts_with("{\"o\"") { vec!["o", &name] } else { vec![&name] };
                assert_eq!(r.value_at(&path), Some(serde_json::json!(3)), "{text}");
            }
        }
    }

    #[test]
    fn same_name_is_equality() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in 0..40 {
            for _ in 0..300 {
                let a: Vec<u8> = (0..len).map(|_| [b'a', b'b', 0x80][(next() % 3) as usize]).collect();
                let mut b = a.clone();
                let r = next();
                if len > 0 && r % 2 == 0 {
                    let at = (r >> 5) as usize % len;
                    b[at] = [b'a', b'b', 0x80][(next() % 3) as usize];
                }
                assert_eq!(same_name(&a, &b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn time_round_trips() {
        let t = parse_time("2024-02-29T13:45:07Z").unwrap();
        assert_eq!(t, 1_709_214_307);
        assert_eq!(format_time(t), "2024-02-29T13:45:07Z");
        assert_eq!(parse_time("2019-01-01T00:00:00.123Z"), Some(1_546_300_800));
        assert_eq!(parse_time("yesterday"), None);
        for t in [0, -1, 1_709_214_307, -62_167_219_200, -62_167_219_201, 253_402_300_799, 253_402_300_800, i64::MIN / 2, i64::MAX / 2] {
            assert_eq!(format_time(t), format_time_wide(t), "{t}");
        }
    }

    #[test]
    fn string_stop_finds_the_first_quote_backslash_or_control() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..40 {
            for _ in 0..400 {
                let b: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        [b'a', b'"', b'\\', 0x1f, 0x20, 0x00, 0x7f, 0x80, 0xff, 0x21, 0x5b, 0x5d, b'\n', 0x02, 0x23, 0xa2, 0xdc][(x % 17) as usize]
                    })
                    .collect();
                assert_eq!(string_stop(&b), naive(&b), "{b:?}");
            }
        }
    }

    #[test]
    fn hot_names_are_found_by_their_words_and_nothing_else() {
        let names = ["eventName", "eventSource", "eventID", "eventTime", "eventType", "errorCode", "awsRegion", "sourceIPAddress", "userAgent", "recipientAccountId", "userIdentity", "requestParameters", "responseElements", "additionalEventData", "errorMessage"];
        for (k, name) in names.iter().enumerate() {
            assert_eq!(hot_slot_of(name.as_bytes()).map(|h| h as usize), Some(k), "{name}");
            assert_eq!(Record::hot_slot(name), Some(k as u8));
            // Every one-byte change and every cut misses.
            let b = name.as_bytes();
            for at in 0..b.len() {
                for c in [b'a', b'X', b'.', 0x80, b'D', b'd'] {
                    let mut v = b.to_vec();
                    if v[at] != c {
                        v[at] = c;
                        assert!(hot_slot_of(&v).is_none(), "{}", String::from_utf8_lossy(&v));
                    }
                }
                assert!(hot_slot_of(&b[..at]).is_none());
                assert!(hot_slot_of(&b[at + 1..]).is_none() || at + 1 == 0);
            }
        }
        for other in ["", "a", "arn", "type", "eventVersion", "readOnly", "managementEvent", "eventCategory", "requestID", "tlsDetails", "sessionCredentialFromConsole", "vpcEndpointId", "apiVersion", "serviceEventDetails", "sharedEventID"] {
            assert!(hot_slot_of(other.as_bytes()).is_none(), "{other}");
        }
    }

    #[test]
    fn records_on_reused_buffers_hold_their_own_text_and_index() {
        // Records of growing and shrinking sizes, some kept alive while others are dropped, so
        // buffers go round the pool with leftovers of longer records in their capacity.
        let texts: Vec<String> = (0..300).map(|i| format!("{{\"eventID\":\"{i}\",\"eventName\":\"{}\",\"n\":[{}]}}", "x".repeat((i * 37) % 200), "1,".repeat(i % 50) + "2")).collect();
        let mut kept = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let (r, end, _) = Record::parse_prefix_lines(t.as_bytes(), &mut Scratch::default()).unwrap();
            assert_eq!(end, t.len());
            assert_eq!(r.text(), t.as_bytes());
            assert_eq!(r.to_json(), serde_json::from_str::<Value>(t).unwrap());
            assert_eq!(index_value(&r, 0), serde_json::from_str::<Value>(t).unwrap());
            if i % 3 == 0 {
                kept.push((i, r));
            }
            if i % 7 == 0 {
                kept.truncate(kept.len() / 2);
            }
        }
        for (i, r) in &kept {
            assert_eq!(r.text(), texts[*i].as_bytes());
            assert_eq!(r.event_id(), i.to_string());
        }
    }

    #[test]
    fn principal_of_assumed_role_is_the_role() {
        let r = Record::new(serde_json::json!({"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/R/s", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/R"}}}}));
        assert_eq!(r.principal(), "arn:aws:iam::1:role/R");
        assert_eq!(r.actor(), "arn:aws:sts::1:assumed-role/R/s");
    }

    /// Every field path answers as `JsonEvent` answers over the `serde_json::Value`.
    fn same_as_json_event(text: &str, paths: &[&str]) {
        let r = Record::parse(text.as_bytes().to_vec()).unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        let j = JsonEvent::borrow(&v);
        for p in paths {
            assert_eq!(r.get_field(p), j.get_field(p), "{p} in {text}");
        }
        let mut a = r.all_string_values().into_iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut b = j.all_string_values().into_iter().map(|s| s.to_string()).collect::<Vec<_>>();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let mut a: Vec<String> = r.top_level_keys().unwrap().into_iter().map(|s| s.to_string()).collect();
        let mut b: Vec<String> = j.top_level_keys().unwrap().into_iter().map(|s| s.to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert_eq!(r.to_json(), v);
    }

    #[test]
    fn fields_as_json_event() {
        let t = r#"{"a.b":"flat","a":{"b":"nested","c":[{"d":1},{"d":"x"},{"e":null}],"n":-0,"f":1.5e3,"big":18446744073709551615,"neg":-12},"s":"q\"\u00e9\ud83d\ude00\n","arr":[[1,2],[3]],"t":true,"o":{"z":1,"y":{"k":"v"}},"w\\[x]":"br"}"#;
        let paths = ["a.b", "a", "a.c", "a.c.d", "a.c.e", "a.c[0].d", "a.c[-1]", "a.c[5]", "a.n", "a.f", "a.big", "a.neg", "s", "arr", "arr[0]", "arr[0][1]", "t", "o", "o.y.k", "missing", "missing.x", ".a", "[0]", "a.c.d.x", "w\\[x]", "w[x]", "a.c[x]"];
        same_as_json_event(t, &paths);
    }

    /// The index as a `serde_json::Value` (what the accessors read), to compare with
    /// `serde_json`'s own parse.
    fn index_value(r: &Record, i: u32) -> Value {
        let n = r.nodes[i as usize];
        match n.kind {
            Kind::Null => Value::Null,
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::Num => serde_json::from_slice(r.bytes(n.val)).unwrap(),
            Kind::Str => Value::String(r.str_of(n.val).to_string()),
            Kind::Arr => Value::Array(r.children(i).map(|c| index_value(r, c)).collect()),
            Kind::Obj => Value::Object(r.children(i).map(|c| (r.str_of(r.nodes[c as usize].key).to_string(), index_value(r, c))).collect()),
        }
    }

    /// Record text from a few pieces: names that repeat, escapes, non-ASCII, numbers, nesting
    /// and whitespace, so that most cases are valid JSON and some are near misses.
    fn json_piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop::sample::select(vec![
            "\"a\"", "\"eventName\"", "\"\\u00e9x\\n\"", "\"\u{e9}\u{1f600}\"", "\"abcdefghijklmnopq\"", "\"x\\\"y\"", "\"\"", "1", "-0", "1.5e3", "0.25", "-12", "true", "false", "null", "[]", "{}", "\"\\ud83d\\ude00\"",
        ])
        .prop_map(str::to_string);
        leaf.prop_recursive(4, 40, 6, |inner| {
            let names = prop::sample::select(vec!["a", "b", "eventName", "userIdentity", "type", "arn", "a.b", "k\\\"", "sessionContext", "abcdefghijklmnopqrstu", "abcdefghijklmnopqrstv", ""]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((names, inner, prop::sample::select(vec!["", " ", "\n", "\t "])), 0..8)
                    .prop_map(|v| format!("{{{}}}", v.into_iter().map(|(k, x, w)| format!("{w}\"{k}\"{w}:{w}{x}{w}")).collect::<Vec<_>>().join(","))),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Whatever the fast parser takes, it indexes as `serde_json` reads it; whatever it
        /// does not, `serde_json` decides (same verdict, same message); a byte mutation or a
        /// cut makes near misses.
        #[test]
        fn the_index_is_what_serde_json_reads(text in json_piece(), edit in proptest::option::of((0usize..4096, proptest::prelude::any::<u8>())), cut in proptest::option::of(0usize..4096)) {
            let mut b = format!("{{\"r\":{text}}}").into_bytes();
            if let Some((at, c)) = edit {
                let n = b.len();
                b[at % n] = c;
            }
            if let Some(cut) = cut {
                b.truncate(cut % (b.len() + 1));
            }
            let theirs = serde_json::from_slice::<Value>(&b);
            match (Record::parse(b.clone()), &theirs) {
                (Ok(r), Ok(v)) => {
                    proptest::prop_assert_eq!(&index_value(&r, 0), v);
                    proptest::prop_assert_eq!(&r.to_json(), v);
                }
                (Err(RecordError::NotObject), Ok(v)) => proptest::prop_assert!(!v.is_object()),
                (Err(RecordError::Malformed(m)), Err(e)) => proptest::prop_assert_eq!(m, e.to_string()),
                (ours, _) => proptest::prop_assert!(false, "{:?} vs {:?}", ours.map(|r| r.to_json()), theirs),
            }
            // In a reader's buffer, followed by more text: taken only when serde_json takes it.
            let mut buf = b.clone();
            buf.extend_from_slice(b" {\"next\":1}");
            if let Some((r, end, lines)) = Record::parse_prefix_lines(&buf, &mut Scratch::default()) {
                let v: Value = serde_json::from_slice(&buf[..end]).unwrap();
                proptest::prop_assert_eq!(&index_value(&r, 0), &v);
                proptest::prop_assert_eq!(lines, buf[..end].iter().filter(|&&c| c == b'\n').count());
            }
        }
    }

    #[test]
    fn serde_json_decides_what_the_fast_parser_does_not_take() {
        // A repeated member: serde_json keeps the last.
        let r = Record::parse(br#"{"eventName":"A","eventName":"B"}"#.to_vec()).unwrap();
        assert_eq!(r.event_name(), "B");
        assert_eq!(Record::parse(b"[1]".to_vec()).unwrap_err(), RecordError::NotObject);
        for bad in [&b"{\"a\":01}"[..], b"{\"a\":1,}", b"{\"a\":\"\x01\"}", b"{\"a\":\"\\x\"}", b"{\"a\":1} x", b"{\"a\":\"\xff\"}", b"{\"a\":tru}", b"{\"a\":1.}", b"{\"a\":\"\\ud800\"}"] {
            let ours = Record::parse(bad.to_vec()).err();
            let theirs = serde_json::from_slice::<Value>(bad).err().map(|e| RecordError::Malformed(e.to_string()));
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(bad));
        }
    }
}

// Accessors for the detection side (trail-eval).
#[cfg_attr(test, expect(clippy::items_after_test_module, reason = "appended after the tests so two helpers can edit this file at once"))]
impl Record {
    /// The place of a top-level name among the members located at parse time (the names
    /// [`Record::top`] answers without a search), for [`Record::get_hot`] and
    /// [`Record::get_dotted_hot`]; `None` for any other name.
    pub(crate) fn hot_slot(name: &str) -> Option<u8> {
        Some(match name {
            "eventName" => 0,
            "eventSource" => 1,
            "eventID" => 2,
            "eventTime" => 3,
            "eventType" => 4,
            "errorCode" => 5,
            "awsRegion" => 6,
            "sourceIPAddress" => 7,
            "userAgent" => 8,
            "recipientAccountId" => 9,
            "userIdentity" => 10,
            "requestParameters" => 11,
            "responseElements" => 12,
            "additionalEventData" => 13,
            "errorMessage" => 14,
            _ => return None,
        })
    }

    /// The string at the member [`Record::hot_slot`] placed at `slot`, if it is one.
    #[inline]
    pub(crate) fn slot_str(&self, slot: u8) -> Option<&str> {
        self.node_str(self.hot_at(slot))
    }

    #[inline]
    fn hot_at(&self, slot: u8) -> u32 {
        let h = &self.hot;
        match slot {
            0 => h.event_name,
            1 => h.event_source,
            2 => h.event_id,
            3 => h.event_time,
            4 => h.event_type,
            5 => h.error_code,
            6 => h.region,
            7 => h.source_ip,
            8 => h.user_agent,
            9 => h.recipient,
            10 => h.identity,
            11 => h.request,
            12 => h.response,
            13 => h.additional,
            14 => h.error_message,
            _ => NONE,
        }
    }

    /// `get_field(name)` for the top-level name [`Record::hot_slot`] placed at `slot` (such a
    /// name has no `.`, `[` or `\\`, so `get_field` answers it with [`Record::top`] alone).
    #[inline]
    pub(crate) fn get_hot(&self, slot: u8) -> Option<EventValue<'_>> {
        let i = self.hot_at(slot);
        (i != NONE).then(|| self.event_value(i))
    }

    /// [`Record::get_dotted`] for a path whose first segment [`Record::hot_slot`] placed at
    /// `slot`: the same walk, without matching the first segment's name.
    pub(crate) fn get_dotted_hot<S: AsRef<str>>(&self, slot: u8, path: &str, segs: &[S]) -> Option<EventValue<'_>> {
        if self.odd_keys || self.nodes.first().map(|n| n.kind) != Some(Kind::Obj) {
            return self.get_dotted(path, segs);
        }
        let cur = self.hot_at(slot);
        if cur == NONE {
            return None;
        }
        self.walk_members(cur, segs.get(1..).unwrap_or(&[]), path)
    }

    /// For a caller that only needs a string: the string [`Record::get_hot`] (no `segs`) or
    /// [`Record::get_dotted_hot`] reads, as `Some(Some(s))`; `Some(None)` when that is not a
    /// string or nothing; `None` when only those functions' general walk can tell (odd
    /// top-level names, an array on the way). Builds no `EventValue`.
    #[inline]
    pub(crate) fn hot_str_at<S: AsRef<str>>(&self, slot: u8, segs: &[S]) -> Option<Option<&str>> {
        let mut cur = self.hot_at(slot);
        if segs.is_empty() {
            return Some(self.node_str(cur));
        }
        if self.odd_keys || self.nodes.first().map(|n| n.kind) != Some(Kind::Obj) {
            return None;
        }
        if cur == NONE {
            return Some(None);
        }
        for seg in segs.get(1..).unwrap_or(&[]) {
            match self.nodes.get(cur as usize).map(|n| n.kind) {
                Some(Kind::Obj) => match self.member(cur, seg.as_ref()) {
                    Some(c) => cur = c,
                    None => return Some(None),
                },
                Some(Kind::Arr) => return None,
                _ => return Some(None),
            }
        }
        Some(self.node_str(cur))
    }

    /// The members `keys` of `userIdentity`, each as `identity_str(&[key])` locates it (the
    /// first member of that name), in one pass over its members rather than one per name.
    pub(crate) fn identity_children<const N: usize>(&self, keys: [&str; N]) -> [Option<u32>; N] {
        let mut out = [None; N];
        let obj = self.hot.identity;
        let Some(o) = self.nodes.get(obj as usize).filter(|o| o.kind == Kind::Obj) else { return out };
        let mut i = obj + 1;
        while i < o.end {
            let Some(n) = self.nodes.get(i as usize) else { break };
            for (k, found) in keys.iter().zip(out.iter_mut()) {
                if found.is_none() && n.key.len as usize == k.len() && same_name(self.bytes(n.key), k.as_bytes()) {
                    *found = Some(i);
                }
            }
            i = n.end;
        }
        out
    }

    /// The string at node `i` (from [`Record::identity_children`]), or at its member `key`
    /// when given; `None` for anything else.
    pub(crate) fn node_text(&self, i: Option<u32>, key: Option<&str>) -> Option<&str> {
        let i = i?;
        let i = match key {
            Some(k) => self.child(i, k)?,
            None => i,
        };
        self.node_str(i)
    }
}
