//! Redaction: a copy of a file with every detection replaced under a policy.
//!
//! The policy (TOML) names an operator per identifier type and per column (CSV header or
//! JSON key), and a default for everything else:
//!
//! ```toml
//! default = "replace"                      # redact | replace | mask | hash | tokenize | keep
//! mask_keep = 4                            # characters `mask` keeps at the end
//! hash_key_env = "MLGUARD_REDACT_KEY"      # the HMAC-SHA-256 key comes from this variable
//! tokenize_key_env = "MLGUARD_TOKENIZE_KEY" # the FF1 AES key (hex) comes from this variable,
//! # tokenize_key_file = "ff1.key"          # or from this file (relative to the policy's folder)
//! tokenize_tweak = "column"                # the FF1 tweak: the column name / JSON path, or this literal
//! [types]
//! EMAIL_ADDRESS = "hash"
//! CREDIT_CARD_NUMBER = "mask"
//! USA_SOCIAL_SECURITY_NUMBER = "tokenize"
//! [columns]
//! customer_id = "tokenize"                 # the whole value, reversible with `--reverse`
//! ssn = "drop"                             # drop: remove the column (CSV) or key (JSON)
//! notes = "redact"                         # any other operator: applied to the whole value
//! ```
//!
//! `redact` deletes the value, `replace` writes `[TYPE]`, `mask` keeps the last
//! `mask_keep` characters and stars the rest, `hash` writes the hex HMAC-SHA-256 of the
//! value (deterministic, so joins on the column still work; the key never appears in the
//! policy file). After replacement, changed values are scanned again (up to three rounds)
//! so that no redacted type survives even where a replacement joined two fragments.
//!
//! `tokenize` is format-preserving encryption ([`crate::tokenize`], FF1): a key holder gets
//! the originals back with [`Policy::reversed`] (`mlguard redact --reverse`). A token of a
//! detected type keeps the format *and* passes that type's pattern and validator (a
//! tokenized card number is Luhn-valid), so the reverse pass finds tokens by scanning; the
//! price is that a re-scan reports tokens as what they look like: `tokenize` is the one
//! operator outside the no-detection guarantee. Whole-column tokens keep only the alphabet.
//! Values too short for FF1 (fewer than 6 digits, or 4 letters and digits) have every
//! letter and digit replaced by `*`, irreversibly, and are counted in
//! [`Stats::tokenize_fallbacks`].
//!
//! Output is written to a temporary file next to the destination and renamed over it at
//! the end: an interrupted run never leaves a half-written file under the final name.
//! The format is kept: CSV/TSV with the same delimiter and columns (minus dropped ones),
//! JSON Lines line by line, JSON as one document, text line by line, gzip if the input was.
//! JSON object keys come out in sorted order (serde_json's map), a known difference.

use crate::engine::{Batch, Cache, Hit, Scanner};
use crate::read::{self, Kind, BATCH_BYTES};
use crate::gitleaks::contains as gitleaks_contains;
use crate::ident::Validator;
use crate::tokenize::{Class, TokenError, Tokenizer};
use crate::Error;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What to do with a detected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Redact,
    Replace,
    Mask,
    Hash,
    Keep,
    Drop,
    /// Format-preserving encryption (FF1), reversible with the key.
    Tokenize,
    /// The inverse of `Tokenize`; only [`Policy::reversed`] makes it.
    #[serde(skip)]
    Detokenize,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    default: Option<Op>,
    #[serde(default)]
    mask_keep: Option<usize>,
    #[serde(default)]
    hash_key_env: Option<String>,
    #[serde(default)]
    tokenize_key_env: Option<String>,
    #[serde(default)]
    tokenize_key_file: Option<String>,
    #[serde(default)]
    tokenize_tweak: Option<String>,
    #[serde(default)]
    types: BTreeMap<String, Op>,
    #[serde(default)]
    columns: BTreeMap<String, Op>,
}

/// A redaction policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub default: Op,
    pub mask_keep: usize,
    pub types: BTreeMap<String, Op>,
    /// Column names lowercased.
    pub columns: BTreeMap<String, Op>,
    pub key: Vec<u8>,
    /// The FF1 key for `tokenize` (its `Debug` never shows the key).
    pub tokenizer: Option<Arc<Tokenizer>>,
    /// The FF1 tweak: `None` uses the value's column name or JSON path (normalised as keyword
    /// contexts are: lowercase, `_ - . $ [ ]` read as spaces); text lines have an empty one.
    pub tweak: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { default: Op::Replace, mask_keep: 4, types: BTreeMap::new(), columns: BTreeMap::new(), key: Vec::new(), tokenizer: None, tweak: None }
    }
}

impl Policy {
    /// Parses a policy; `env` looks up the hash key variable.
    pub fn parse(text: &str, file: &str, env: impl Fn(&str) -> Option<String>) -> Result<Policy, Error> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| Error::Policy { file: file.to_string(), message: e.to_string() })?;
        let tweak = raw.tokenize_tweak.filter(|t| t != "column");
        let mut p = Policy { default: raw.default.unwrap_or(Op::Replace), mask_keep: raw.mask_keep.unwrap_or(4), types: raw.types, columns: raw.columns.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect(), key: Vec::new(), tokenizer: None, tweak };
        if p.default == Op::Drop || p.types.values().any(|&o| o == Op::Drop) {
            return Err(Error::Policy { file: file.to_string(), message: "`drop` applies to columns only ([columns])".into() });
        }
        let uses_hash = p.default == Op::Hash || p.types.values().chain(p.columns.values()).any(|&o| o == Op::Hash);
        if uses_hash {
            let var = raw.hash_key_env.unwrap_or_else(|| "MLGUARD_REDACT_KEY".to_string());
            match env(&var) {
                Some(k) if k.len() >= 16 => p.key = k.into_bytes(),
                Some(_) => return Err(Error::Policy { file: file.to_string(), message: format!("the hash key in `{var}` is shorter than 16 bytes") }),
                None => return Err(Error::Policy { file: file.to_string(), message: format!("`hash` needs a key in the environment variable `{var}`") }),
            }
        }
        if p.uses(Op::Tokenize) {
            let perr = |message: String| Error::Policy { file: file.to_string(), message };
            let text = match (&raw.tokenize_key_file, &raw.tokenize_key_env) {
                (Some(_), Some(_)) => return Err(perr("give `tokenize_key_file` or `tokenize_key_env`, not both".into())),
                (Some(f), None) => {
                    let path = Path::new(f);
                    let path = if path.is_relative() { Path::new(file).parent().unwrap_or(Path::new("")).join(path) } else { path.to_path_buf() };
                    std::fs::read_to_string(&path).map_err(|e| perr(format!("cannot read the tokenize key file `{}`: {e}", path.display())))?
                }
                (None, var) => {
                    let var = var.clone().unwrap_or_else(|| "MLGUARD_TOKENIZE_KEY".to_string());
                    env(&var).ok_or_else(|| perr(format!("`tokenize` needs an AES key (hex) in the environment variable `{var}` or a `tokenize_key_file`")))?
                }
            };
            p.tokenizer = Some(Arc::new(Tokenizer::from_hex(&text).map_err(perr)?));
        }
        Ok(p)
    }

    /// Whether any rule of the policy uses `op`.
    pub fn uses(&self, op: Op) -> bool {
        self.default == op || self.types.values().chain(self.columns.values()).any(|&o| o == op)
    }

    /// The policy that undoes this one's `tokenize`: every `tokenize` becomes `detokenize`,
    /// everything else `keep` (what other operators removed cannot come back).
    pub fn reversed(&self) -> Policy {
        let rev = |o: &Op| if *o == Op::Tokenize { Op::Detokenize } else { Op::Keep };
        Policy {
            default: rev(&self.default),
            mask_keep: self.mask_keep,
            types: self.types.iter().map(|(k, v)| (k.clone(), rev(v))).collect(),
            columns: self.columns.iter().map(|(k, v)| (k.clone(), rev(v))).collect(),
            key: self.key.clone(),
            tokenizer: self.tokenizer.clone(),
            tweak: self.tweak.clone(),
        }
    }

    pub fn load(path: &Path) -> Result<Policy, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { file: path.display().to_string(), source: e })?;
        Policy::parse(&text, &path.display().to_string(), |v| std::env::var(v).ok())
    }

    fn op_for(&self, ty: &str) -> Op {
        self.types.get(ty).copied().unwrap_or(self.default)
    }

    pub(crate) fn column_op(&self, name: &str) -> Option<Op> {
        self.columns.get(&name.to_lowercase()).copied()
    }

    /// The replacement of `value` (detected as `ty`) under `op`.
    pub fn apply(&self, op: Op, ty: &str, value: &[u8]) -> Vec<u8> {
        match op {
            Op::Keep => value.to_vec(),
            // Without a context only the alphabet is kept (see `Policy::tokenize`).
            Op::Tokenize | Op::Detokenize => self.tokenize(op == Op::Tokenize, value, b"", &|_| true).unwrap_or_else(|_| star(value)),
            Op::Redact | Op::Drop => Vec::new(),
            Op::Replace => format!("[{ty}]").into_bytes(),
            Op::Mask => {
                let s = String::from_utf8_lossy(value);
                let n = s.chars().count();
                s.chars().enumerate().map(|(i, c)| if i + self.mask_keep >= n && self.mask_keep > 0 { c } else { '*' }).collect::<String>().into_bytes()
            }
            Op::Hash => {
                // HMAC accepts keys of any length; an error is impossible, but stay total.
                match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
                    Ok(mut m) => {
                        m.update(value);
                        m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes()
                    }
                    Err(_) => format!("[{ty}]").into_bytes(),
                }
            }
        }
    }

    /// FF1 in one direction; `accept` is the set tokens stay in.
    pub fn tokenize(&self, forward: bool, value: &[u8], tweak: &[u8], accept: &dyn Fn(&[u8]) -> bool) -> Result<Vec<u8>, TokenError> {
        let Some(t) = &self.tokenizer else { return Err(TokenError::NotInDomain) };
        if forward {
            t.tokenize(value, tweak, accept)
        } else {
            t.detokenize(value, tweak, accept)
        }
    }
}

/// Every ASCII letter and digit replaced by `*`.
fn star(v: &[u8]) -> Vec<u8> {
    v.iter().map(|&b| if b.is_ascii_alphanumeric() { b'*' } else { b }).collect()
}

/// What an integer column can hold, for tokens written back into it (Parquet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    pub min: i128,
    pub max: i128,
}

impl IntRange {
    /// Whether `v` is an integer in range written without a leading zero, as integers print.
    pub fn holds(&self, v: &[u8]) -> bool {
        let digits = v.strip_prefix(b"-").unwrap_or(v);
        if digits.first() == Some(&b'0') && digits.len() > 1 {
            return false;
        }
        std::str::from_utf8(v).ok().and_then(|s| s.parse::<i128>().ok()).is_some_and(|n| n >= self.min && n <= self.max)
    }
}

/// State of one redaction run for `tokenize`: each type's full-match patterns, compiled once.
#[derive(Default)]
pub(crate) struct TokenState {
    checks: HashMap<String, Vec<(Option<regex::bytes::Regex>, Validator)>>,
}

impl TokenState {
    fn checks(&mut self, scanner: &Scanner, ty: &str) -> &[(Option<regex::bytes::Regex>, Validator)] {
        self.checks.entry(ty.to_string()).or_insert_with(|| {
            scanner
                .idents
                .iter()
                .filter(|i| i.name == ty)
                .map(|i| (regex::bytes::RegexBuilder::new(&format!("^(?:{})$", i.pattern)).unicode(false).size_limit(16 << 20).build().ok(), i.validator))
                .collect()
        })
    }
}

/// Tokenizes (or restores) one value. `ty` is the detected type, or `None` for a whole-column
/// value; `ctx` the normalised column name or JSON path; `int` set for integer columns.
#[allow(clippy::too_many_arguments)]
fn tokenize_value(scanner: &Scanner, policy: &Policy, ts: &mut TokenState, forward: bool, ty: Option<&str>, value: &[u8], ctx: &str, int: Option<IntRange>, stats: &mut Stats) -> Vec<u8> {
    let tweak = policy.tweak.as_deref().unwrap_or(ctx).as_bytes().to_vec();
    let checks: &[(Option<regex::bytes::Regex>, Validator)] = match ty {
        Some(t) => ts.checks(scanner, t),
        None => &[],
    };
    let typed = ty.is_some() && !checks.is_empty();
    let accept = |v: &[u8]| -> bool {
        if int.is_some_and(|r| !r.holds(v)) {
            return false;
        }
        // A token of a type must still be that type: some identifier of the type matches it
        // whole (a pattern that does not compile here counts as matching) and validates it.
        !typed || checks.iter().any(|(re, val)| re.as_ref().is_none_or(|r| r.is_match(v)) && crate::tokenize::validates(*val, v))
    };
    match policy.tokenize(forward, value, &tweak, &accept) {
        Ok(t) => t,
        Err(_) if !forward => value.to_vec(),
        Err(_) => {
            stats.tokenize_fallbacks += 1;
            let s = star(value);
            if int.is_some() && Class::of(value).is_some() {
                // `*` cannot go into an integer column; the caller writes a null or 0.
                return b"*".to_vec();
            }
            s
        }
    }
}

/// Counts of what a redaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub values_changed: u64,
    pub detections: u64,
    pub columns_dropped: u64,
    pub bytes_in: u64,
    /// Values `tokenize` could not encrypt (too short for FF1, or not of their type): starred.
    pub tokenize_fallbacks: u64,
    /// Integer cells (Parquet) whose replacement is not an integer: written as null, or 0 in a required column.
    pub nulled: u64,
}

/// Rewrites every value of a batch; returns the new values (None: unchanged). `int` is set
/// when every value of the batch goes back into an integer column.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rewrite(scanner: &Scanner, cache: &mut Cache, policy: &Policy, ts: &mut TokenState, batch: &Batch, col_ops: &[Option<Op>], int: Option<IntRange>, stats: &mut Stats) -> Vec<Option<Vec<u8>>> {
    let mut out: Vec<Option<Vec<u8>>> = vec![None; batch.segs.len()];
    // Whole-value operators from the column.
    for (i, s) in batch.segs.iter().enumerate() {
        if let Some(Some(op)) = col_ops.get(s.ctx as usize) {
            match *op {
                Op::Keep | Op::Drop => {}
                Op::Tokenize | Op::Detokenize => {
                    let ctx = batch.contexts.get(s.ctx as usize).map(String::as_str).unwrap_or("");
                    let v = batch.value(i);
                    let t = tokenize_value(scanner, policy, ts, *op == Op::Tokenize, None, v, ctx, int, stats);
                    if t != v {
                        out[i] = Some(t);
                        stats.values_changed += 1;
                    }
                }
                op => {
                    out[i] = Some(policy.apply(op, "COLUMN", batch.value(i)));
                    stats.values_changed += 1;
                }
            }
        }
    }
    // A whole-column token is not scanned again: it may look like anything of its alphabet.
    let col_tokens: Vec<bool> = batch.segs.iter().map(|s| matches!(col_ops.get(s.ctx as usize), Some(Some(Op::Tokenize | Op::Detokenize)))).collect();
    let mut hits = Vec::new();
    scanner.scan(cache, batch, &mut hits);
    hits.retain(|h| !col_tokens.get(h.seg).copied().unwrap_or(false));
    let mut pending: Vec<usize> = Vec::new();
    let mut cx = Apply { scanner, policy, ts, int, rescan: false };
    cx.hits(batch, &hits, &mut out, &mut pending, stats);
    cx.rescan = true;
    // Re-scan the changed values until nothing redactable is left (three rounds at most).
    for _ in 0..3 {
        if pending.is_empty() {
            break;
        }
        let mut b2 = Batch::new();
        b2.contexts = batch.contexts.clone();
        let idx: Vec<usize> = std::mem::take(&mut pending);
        for &i in &idx {
            let v = out[i].clone().unwrap_or_default();
            b2.push(&v, i as u64, batch.segs[i].ctx);
        }
        let mut h2 = Vec::new();
        scanner.scan(cache, &b2, &mut h2);
        let mut out2: Vec<Option<Vec<u8>>> = vec![None; b2.segs.len()];
        let mut pend2 = Vec::new();
        let mut st2 = Stats::default();
        cx.hits(&b2, &h2, &mut out2, &mut pend2, &mut st2);
        stats.detections += st2.detections;
        stats.tokenize_fallbacks += st2.tokenize_fallbacks;
        for j in pend2 {
            let i = idx[j];
            out[i] = out2[j].take();
            pending.push(i);
        }
    }
    out
}

/// Applies the policy to the detections of a batch.
struct Apply<'a> {
    scanner: &'a Scanner,
    policy: &'a Policy,
    ts: &'a mut TokenState,
    int: Option<IntRange>,
    /// A re-scan of replaced values: tokens found again are left alone (tokenizing a token
    /// twice would make it irreversible).
    rescan: bool,
}

impl Apply<'_> {
    fn hits(&mut self, batch: &Batch, hits: &[Hit], out: &mut [Option<Vec<u8>>], pending: &mut Vec<usize>, stats: &mut Stats) {
        let (scanner, policy) = (self.scanner, self.policy);
        let mut k = 0;
        while k < hits.len() {
            let seg = hits[k].seg;
            let mut j = k;
            while j < hits.len() && hits[j].seg == seg {
                j += 1;
            }
            stats.detections += (j - k) as u64;
            if out[seg].is_some() {
                // The column operator already replaced the whole value.
                k = j;
                continue;
            }
            let value = batch.value(seg);
            let mut new = Vec::with_capacity(value.len());
            let mut pos = 0;
            let mut changed = false;
            // Hits are sorted by start; overlapping ones merge into the first one's span.
            let mut i = k;
            while i < j {
                let h = hits[i];
                let mut end = h.end;
                let mut n = i + 1;
                while n < j && hits[n].start < end {
                    end = end.max(hits[n].end);
                    n += 1;
                }
                if h.start >= pos {
                    let ty = scanner.idents.get(h.ident).map(|x| x.name.as_str()).unwrap_or("SENSITIVE");
                    let op = policy.op_for(ty);
                    new.extend_from_slice(&value[pos..h.start]);
                    let tok = matches!(op, Op::Tokenize | Op::Detokenize);
                    if op == Op::Keep || (tok && self.rescan) {
                        new.extend_from_slice(&value[h.start..end]);
                    } else if tok {
                        let ctx = batch.segs.get(seg).and_then(|s| batch.contexts.get(s.ctx as usize)).map(String::as_str).unwrap_or("");
                        // An integer cell is only ever one whole number.
                        let int = self.int.filter(|_| h.start == 0 && end == value.len());
                        let piece = &value[h.start..end];
                        let t = tokenize_value(scanner, policy, self.ts, op == Op::Tokenize, Some(ty), piece, ctx, int, stats);
                        changed |= t != piece;
                        new.extend(t);
                    } else {
                        new.extend(policy.apply(op, ty, &value[h.start..end]));
                        changed = true;
                    }
                    pos = end;
                }
                i = n;
            }
            new.extend_from_slice(&value[pos..]);
            if changed {
                out[seg] = Some(new);
                pending.push(seg);
                stats.values_changed += 1;
            }
            k = j;
        }
    }
}

/// A file being written under a temporary name, renamed into place by [`AtomicFile::commit`].
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> Result<AtomicFile, Error> {
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let tmp = dir.join(format!(".{name}.mlguard-tmp-{}", std::process::id()));
        let f = std::fs::File::create(&tmp).map_err(|e| Error::Io { file: tmp.display().to_string(), source: e })?;
        Ok(AtomicFile { tmp, dest: dest.to_path_buf(), file: Some(std::io::BufWriter::new(f)) })
    }

    pub fn commit(mut self) -> Result<(), Error> {
        let io = |p: &Path, e| Error::Io { file: p.display().to_string(), source: e };
        if let Some(f) = self.file.take() {
            let f = f.into_inner().map_err(|e| io(&self.tmp, e.into_error()))?;
            f.sync_all().map_err(|e| io(&self.tmp, e))?;
        }
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| io(&self.dest, e))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            // Not committed: never leave the partial output behind.
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a redacted copy of `input` to `output`.
pub fn redact_file(scanner: &Scanner, policy: &Policy, input: &Path, output: &Path) -> Result<Stats, Error> {
    let opened = match read::open(input)? {
        Ok(o) => o,
        Err(read::Skipped(reason)) => return Err(Error::Parse { file: input.display().to_string(), message: format!("cannot redact: {reason}") }),
    };
    let io_in = |e: std::io::Error| Error::Io { file: input.display().to_string(), source: e };
    let io_out = |e: std::io::Error| Error::Io { file: output.display().to_string(), source: e };
    let atomic = AtomicFile::create(output)?;
    let mut w = if opened.gzip { Out::Gz(flate2::write::GzEncoder::new(atomic, flate2::Compression::default())) } else { Out::Plain(atomic) };
    let mut cache = scanner.cache();
    let mut stats = Stats::default();
    let mut ts = TokenState::default();
    let mut reader = opened.reader;
    match opened.kind {
        Kind::Parquet => {
            let Some(file) = opened.file else { return Err(Error::Parse { file: input.display().to_string(), message: "Parquet file not open".into() }) };
            w = crate::parquet::redact(scanner, &mut cache, policy, &mut ts, file, w, &mut stats).map_err(|message| Error::Parse { file: input.display().to_string(), message })?;
        }
        Kind::Text => {
            let mut batch = Batch::new();
            let mut in_key = false;
            let mut ends: Vec<Vec<u8>> = Vec::new();
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = (&mut reader).take(read::MAX_LINE).read_until(b'\n', &mut line).map_err(io_in)?;
                if n > 0 {
                    stats.bytes_in += n as u64;
                    let mut v = &line[..];
                    let mut end = Vec::new();
                    if v.last() == Some(&b'\n') {
                        v = &v[..v.len() - 1];
                        end.push(b'\n');
                        if v.last() == Some(&b'\r') {
                            v = &v[..v.len() - 1];
                            end.insert(0, b'\r');
                        }
                    }
                    batch.push(v, 0, u32::MAX);
                    ends.push(end);
                }
                if (n == 0 && !batch.is_empty()) || batch.size() >= BATCH_BYTES {
                    let new = rewrite(scanner, &mut cache, policy, &mut ts, &batch, &[], None, &mut stats);
                    for (i, nv) in new.iter().enumerate() {
                        // The body lines of a private key whose BEGIN line was detected go too.
                        let orig = batch.value(i);
                        if in_key {
                            if gitleaks_contains(orig, b"-----END ") {
                                in_key = false;
                            }
                            if policy.op_for("PRIVATE_KEY_BODY") != Op::Keep {
                                stats.values_changed += 1;
                                w.write_all(b"[PRIVATE_KEY_BODY]").map_err(io_out)?;
                                w.write_all(&ends[i]).map_err(io_out)?;
                                continue;
                            }
                        }
                        if nv.is_some() && gitleaks_contains(orig, b"-----BEGIN ") && gitleaks_contains(orig, b"PRIVATE KEY") && !gitleaks_contains(orig, b"-----END ") {
                            in_key = true;
                        }
                        w.write_all(nv.as_deref().unwrap_or(orig)).map_err(io_out)?;
                        w.write_all(&ends[i]).map_err(io_out)?;
                    }
                    batch.clear();
                    ends.clear();
                }
                if n == 0 {
                    break;
                }
            }
        }
        Kind::Delimited(delim) => {
            let counter = read::CountingReader { inner: reader, n: 0 };
            let mut rdr = csv::ReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).from_reader(counter);
            let mut wr = csv::WriterBuilder::new().delimiter(delim).flexible(true).from_writer(&mut w);
            let mut header: Vec<String> = Vec::new();
            let mut keep_cols: Vec<bool> = Vec::new();
            let mut col_ops: Vec<Option<Op>> = Vec::new();
            let mut rows: Vec<csv::ByteRecord> = Vec::new();
            let mut batch = Batch::new();
            let mut rec = csv::ByteRecord::new();
            let mut first = true;
            loop {
                let more = rdr.read_byte_record(&mut rec).map_err(|e| Error::Parse { file: input.display().to_string(), message: format!("CSV: {e}") })?;
                if more && first {
                    first = false;
                    header = rec.iter().map(|c| String::from_utf8_lossy(c).trim().to_string()).collect();
                    keep_cols = header.iter().map(|h| policy.column_op(h) != Some(Op::Drop)).collect();
                    col_ops = header.iter().map(|h| policy.column_op(h)).collect();
                    stats.columns_dropped = keep_cols.iter().filter(|k| !**k).count() as u64;
                    let out: csv::ByteRecord = rec.iter().enumerate().filter(|(i, _)| keep_cols.get(*i).copied().unwrap_or(true)).map(|(_, c)| c).collect();
                    wr.write_byte_record(&out).map_err(|e| io_out(e.into()))?;
                    continue;
                }
                if more {
                    if batch.is_empty() {
                        for h in &header {
                            batch.context(h);
                        }
                    }
                    for (ci, cell) in rec.iter().enumerate() {
                        let ctx = if ci < header.len() { ci as u32 } else { u32::MAX };
                        batch.push(cell, rows.len() as u64, ctx);
                    }
                    rows.push(rec.clone());
                }
                if (!more && !rows.is_empty()) || batch.size() >= BATCH_BYTES {
                    let new = rewrite(scanner, &mut cache, policy, &mut ts, &batch, &col_ops, None, &mut stats);
                    let mut si = 0;
                    for r in &rows {
                        let mut out = csv::ByteRecord::new();
                        for (ci, cell) in r.iter().enumerate() {
                            if keep_cols.get(ci).copied().unwrap_or(true) {
                                out.push_field(new[si].as_deref().unwrap_or(cell));
                            }
                            si += 1;
                        }
                        wr.write_byte_record(&out).map_err(|e| io_out(e.into()))?;
                    }
                    rows.clear();
                    batch.clear();
                }
                if !more {
                    break;
                }
            }
            wr.flush().map_err(io_out)?;
            drop(wr);
            stats.bytes_in = rdr.get_ref().n;
        }
        Kind::JsonLines | Kind::Json => {
            let mut values: Vec<Result<serde_json::Value, Vec<u8>>> = Vec::new();
            if opened.kind == Kind::Json {
                let mut all = Vec::new();
                reader.read_to_end(&mut all).map_err(io_in)?;
                stats.bytes_in = all.len() as u64;
                let v = serde_json::from_slice(&all).map_err(|e| Error::Parse { file: input.display().to_string(), message: format!("line {}, column {}: not valid JSON: {e}", e.line(), e.column()) })?;
                values.push(Ok(v));
                redact_json_values(scanner, &mut cache, policy, &mut ts, &mut values, &mut stats);
                if let Some(Ok(v)) = values.first() {
                    serde_json::to_writer(&mut w, v).map_err(|e| io_out(e.into()))?;
                    w.write_all(b"\n").map_err(io_out)?;
                }
            } else {
                let mut line = Vec::new();
                let mut size = 0usize;
                loop {
                    line.clear();
                    let n = reader.read_until(b'\n', &mut line).map_err(io_in)?;
                    stats.bytes_in += n as u64;
                    if n > 0 {
                        size += n;
                        let t: &[u8] = line.strip_suffix(b"\n").unwrap_or(&line);
                        let t = t.strip_suffix(b"\r").unwrap_or(t);
                        values.push(serde_json::from_slice(t).map_err(|_| t.to_vec()));
                    }
                    if (n == 0 && !values.is_empty()) || size >= BATCH_BYTES {
                        redact_json_values(scanner, &mut cache, policy, &mut ts, &mut values, &mut stats);
                        for v in values.drain(..) {
                            match v {
                                Ok(v) => serde_json::to_writer(&mut w, &v).map_err(|e| io_out(e.into()))?,
                                Err(raw) => w.write_all(&raw).map_err(io_out)?,
                            }
                            w.write_all(b"\n").map_err(io_out)?;
                        }
                        size = 0;
                    }
                    if n == 0 {
                        break;
                    }
                }
            }
        }
    }
    w.flush().map_err(io_out)?;
    // Finish gzip, then rename the temporary file into place.
    let atomic = match w {
        Out::Plain(a) => a,
        Out::Gz(g) => g.finish().map_err(io_out)?,
    };
    atomic.commit()?;
    Ok(stats)
}

pub(crate) enum Out {
    Plain(AtomicFile),
    Gz(flate2::write::GzEncoder<AtomicFile>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::Plain(a) => a.write(buf),
            Out::Gz(g) => g.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::Plain(a) => a.flush(),
            Out::Gz(g) => g.flush(),
        }
    }
}

/// The leaves of JSON values (and unparsable lines as text) redacted in place.
fn redact_json_values(scanner: &Scanner, cache: &mut Cache, policy: &Policy, ts: &mut TokenState, values: &mut [Result<serde_json::Value, Vec<u8>>], stats: &mut Stats) {
    let mut batch = Batch::new();
    let mut col_ops: Vec<Option<Op>> = Vec::new();
    let mut ctx_ids: BTreeMap<String, u32> = BTreeMap::new();
    for v in values.iter_mut() {
        match v {
            Ok(v) => {
                drop_keys(v, policy, stats);
                let mut path = String::from("$");
                collect(v, &mut path, None, &mut batch, &mut ctx_ids, &mut col_ops, policy);
            }
            Err(raw) => batch.push(raw, 0, u32::MAX),
        }
    }
    let new = rewrite(scanner, cache, policy, ts, &batch, &col_ops, None, stats);
    let mut it = new.into_iter();
    for v in values.iter_mut() {
        match v {
            Ok(v) => put(v, &mut it),
            Err(raw) => {
                if let Some(Some(n)) = it.next() {
                    *raw = n;
                }
            }
        }
    }
}

fn drop_keys(v: &mut serde_json::Value, policy: &Policy, stats: &mut Stats) {
    match v {
        serde_json::Value::Object(m) => {
            let before = m.len();
            m.retain(|k, _| policy.column_op(k) != Some(Op::Drop));
            stats.columns_dropped += (before - m.len()) as u64;
            for x in m.values_mut() {
                drop_keys(x, policy, stats);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| drop_keys(x, policy, stats)),
        _ => {}
    }
}

fn collect(v: &serde_json::Value, path: &mut String, key_op: Option<Op>, batch: &mut Batch, ids: &mut BTreeMap<String, u32>, ops: &mut Vec<Option<Op>>, policy: &Policy) {
    let mut ctx = |path: &str, batch: &mut Batch| -> u32 {
        if let Some(&c) = ids.get(path) {
            return c;
        }
        let c = batch.context(path);
        ids.insert(path.to_string(), c);
        ops.resize(c as usize + 1, None);
        ops[c as usize] = key_op;
        c
    };
    match v {
        serde_json::Value::String(s) => {
            let c = ctx(path, batch);
            batch.push(s.as_bytes(), 0, c);
        }
        serde_json::Value::Number(n) => {
            let c = ctx(path, batch);
            batch.push(n.to_string().as_bytes(), 0, c);
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let l = path.len();
                path.push_str(&format!("[{i}]"));
                collect(x, path, key_op, batch, ids, ops, policy);
                path.truncate(l);
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let l = path.len();
                read::json_path_push(path, k);
                let op = policy.column_op(k).or(key_op);
                collect(x, path, op, batch, ids, ops, policy);
                path.truncate(l);
            }
        }
        _ => {}
    }
}

fn put(v: &mut serde_json::Value, it: &mut impl Iterator<Item = Option<Vec<u8>>>) {
    match v {
        serde_json::Value::String(_) | serde_json::Value::Number(_) => {
            if let Some(Some(n)) = it.next() {
                // A number stays a number when its replacement is one (a token, a restored value).
                *v = match (&*v, serde_json::from_slice::<serde_json::Number>(&n)) {
                    (serde_json::Value::Number(_), Ok(num)) if num.to_string().as_bytes() == n.as_slice() => serde_json::Value::Number(num),
                    _ => serde_json::Value::String(String::from_utf8_lossy(&n).into_owned()),
                };
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| put(x, it)),
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| put(x, it)),
        _ => {}
    }
}
