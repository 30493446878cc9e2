//! Redaction: a copy of a file with every detection replaced under a policy.
//!
//! The policy (TOML) names an operator per identifier type and per column (CSV header or
//! JSON key), and a default for everything else:
//!
//! ```toml
//! default = "replace"                      # redact | replace | mask | hash | keep
//! mask_keep = 4                            # characters `mask` keeps at the end
//! hash_key_env = "MLGUARD_REDACT_KEY"      # the HMAC-SHA-256 key comes from this variable
//! [types]
//! EMAIL_ADDRESS = "hash"
//! CREDIT_CARD_NUMBER = "mask"
//! [columns]
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
//! Output is written to a temporary file next to the destination and renamed over it at
//! the end: an interrupted run never leaves a half-written file under the final name.
//! The format is kept: CSV/TSV with the same delimiter and columns (minus dropped ones),
//! JSON Lines line by line, JSON as one document, text line by line, gzip if the input was.
//! JSON object keys come out in sorted order (serde_json's map), a known difference.

use crate::engine::{Batch, Cache, Hit, Scanner};
use crate::read::{self, Kind, BATCH_BYTES};
use crate::gitleaks::contains as gitleaks_contains;
use crate::Error;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

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
}

impl Default for Policy {
    fn default() -> Self {
        Policy { default: Op::Replace, mask_keep: 4, types: BTreeMap::new(), columns: BTreeMap::new(), key: Vec::new() }
    }
}

impl Policy {
    /// Parses a policy; `env` looks up the hash key variable.
    pub fn parse(text: &str, file: &str, env: impl Fn(&str) -> Option<String>) -> Result<Policy, Error> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| Error::Policy { file: file.to_string(), message: e.to_string() })?;
        let mut p = Policy { default: raw.default.unwrap_or(Op::Replace), mask_keep: raw.mask_keep.unwrap_or(4), types: raw.types, columns: raw.columns.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect(), key: Vec::new() };
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
        Ok(p)
    }

    pub fn load(path: &Path) -> Result<Policy, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { file: path.display().to_string(), source: e })?;
        Policy::parse(&text, &path.display().to_string(), |v| std::env::var(v).ok())
    }

    fn op_for(&self, ty: &str) -> Op {
        self.types.get(ty).copied().unwrap_or(self.default)
    }

    fn column_op(&self, name: &str) -> Option<Op> {
        self.columns.get(&name.to_lowercase()).copied()
    }

    /// The replacement of `value` (detected as `ty`) under `op`.
    pub fn apply(&self, op: Op, ty: &str, value: &[u8]) -> Vec<u8> {
        match op {
            Op::Keep => value.to_vec(),
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
}

/// Counts of what a redaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub values_changed: u64,
    pub detections: u64,
    pub columns_dropped: u64,
    pub bytes_in: u64,
}

/// Rewrites every value of a batch; returns the new values (None: unchanged).
fn rewrite(scanner: &Scanner, cache: &mut Cache, policy: &Policy, batch: &Batch, col_ops: &[Option<Op>], stats: &mut Stats) -> Vec<Option<Vec<u8>>> {
    let mut out: Vec<Option<Vec<u8>>> = vec![None; batch.segs.len()];
    // Whole-value operators from the column.
    for (i, s) in batch.segs.iter().enumerate() {
        if let Some(Some(op)) = col_ops.get(s.ctx as usize) {
            if *op != Op::Keep && *op != Op::Drop {
                out[i] = Some(policy.apply(*op, "COLUMN", batch.value(i)));
                stats.values_changed += 1;
            }
        }
    }
    let mut hits = Vec::new();
    scanner.scan(cache, batch, &mut hits);
    let mut pending: Vec<usize> = Vec::new();
    apply_hits(scanner, policy, batch, &hits, &mut out, &mut pending, stats);
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
        apply_hits(scanner, policy, &b2, &h2, &mut out2, &mut pend2, &mut st2);
        stats.detections += st2.detections;
        for j in pend2 {
            let i = idx[j];
            out[i] = out2[j].take();
            pending.push(i);
        }
    }
    out
}

fn apply_hits(scanner: &Scanner, policy: &Policy, batch: &Batch, hits: &[Hit], out: &mut [Option<Vec<u8>>], pending: &mut Vec<usize>, stats: &mut Stats) {
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
                if op == Op::Keep {
                    new.extend_from_slice(&value[h.start..end]);
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
    let mut reader = opened.reader;
    match opened.kind {
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
                    let new = rewrite(scanner, &mut cache, policy, &batch, &[], &mut stats);
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
                    let new = rewrite(scanner, &mut cache, policy, &batch, &col_ops, &mut stats);
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
                redact_json_values(scanner, &mut cache, policy, &mut values, &mut stats);
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
                        redact_json_values(scanner, &mut cache, policy, &mut values, &mut stats);
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

enum Out {
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
fn redact_json_values(scanner: &Scanner, cache: &mut Cache, policy: &Policy, values: &mut [Result<serde_json::Value, Vec<u8>>], stats: &mut Stats) {
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
    let new = rewrite(scanner, cache, policy, &batch, &col_ops, stats);
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
                *v = serde_json::Value::String(String::from_utf8_lossy(&n).into_owned());
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| put(x, it)),
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| put(x, it)),
        _ => {}
    }
}
