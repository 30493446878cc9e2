//! Readers: open a file (gzip or not), decide its format by content, and feed its values
//! to the scanner in bounded batches.
//!
//! CSV/TSV are read with the first row as the header; every other row's cells are values
//! whose keyword context is their column name. JSON Lines and JSON documents are walked
//! to their leaves (strings and numbers), whose keyword context is the JSON path. Other
//! text is read line by line. Memory is bounded by the batch size, except for a JSON
//! document that is not JSON Lines, which is parsed whole. Parquet (`PAR1`) is read column
//! chunk by column chunk ([`crate::parquet`]).

use crate::engine::{Batch, Cache, Hit, Scanner, Seg};
use crate::Error;
use flate2::read::MultiGzDecoder;
use regex_automata::util::prefilter::Prefilter;
use regex_automata::{MatchKind, Span};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

mod json;

/// Batches are scanned when they hold this many bytes.
pub const BATCH_BYTES: usize = 1 << 20;
/// ... or this many values (short values, such as repeated Parquet dictionary entries, would
/// otherwise make a batch of a million bytes hold a quarter of a million values: their
/// locations, segments, extras and hits tens of megabytes). Measured on the benchmark corpus:
/// 2^14 scans in fewer instructions than 2^16 or 2^15 (CSV, JSON Lines and Parquet alike) and
/// than 2^13 for CSV and JSON Lines.
pub const BATCH_VALUES: usize = 1 << 14;
/// Longer lines are read in pieces of this size.
pub const MAX_LINE: u64 = 1 << 20;

/// The format of a file, decided by content (and by extension for CSV/TSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Delimited with a header row; the delimiter byte.
    Delimited(u8),
    JsonLines,
    Json,
    Text,
    /// Apache Parquet, read through [`Opened::file`].
    Parquet,
}

impl Kind {
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Delimited(b'\t') => "text/tab-separated-values",
            Kind::Delimited(_) => "text/csv",
            Kind::JsonLines => "application/x-ndjson",
            Kind::Json => "application/json",
            Kind::Text => "text/plain",
            Kind::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// An opened input: a buffered reader over the (decompressed) bytes and its format.
pub struct Opened {
    pub reader: Box<dyn BufRead>,
    pub kind: Kind,
    pub gzip: bool,
    /// For Parquet, which is read from its footer: the file itself, or for gzip an unnamed
    /// temporary file holding the decompressed bytes (gone when it is closed).
    pub file: Option<std::fs::File>,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped(pub String);

/// Opens `path`, undoes gzip, and decides the format; `Ok(Err(..))` for a file that is deliberately skipped.
pub fn open(path: &Path) -> Result<Result<Opened, Skipped>, Error> {
    let io = |e| Error::Io { file: path.display().to_string(), source: e };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut raw = BufReader::with_capacity(1 << 16, f);
    let gzip = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead> = if gzip { Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(raw))) } else { Box::new(raw) };
    // Look at up to 8 KiB of content.
    let head = match reader.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) if gzip => return Ok(Err(Skipped(format!("gzip stream cannot be read: {e}")))),
        Err(e) => return Err(io(e)),
    };
    let mut head = head;
    if head.len() < 8192 {
        // fill_buf may return a short first block for gzip; peek is best effort.
        head.truncate(8192);
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name).to_string();
    if head.starts_with(crate::parquet::MAGIC) {
        let file = if gzip {
            match spool(&mut reader) {
                Ok(f) => f,
                Err(e) => return Ok(Err(Skipped(format!("gzip-compressed Parquet cannot be unpacked: {e}")))),
            }
        } else {
            std::fs::File::open(path).map_err(io)?
        };
        return Ok(Ok(Opened { reader: Box::new(std::io::empty()), kind: Kind::Parquet, gzip, file: Some(file) }));
    }
    if let Some(why) = binary_reason(&head) {
        return Ok(Err(Skipped(why)));
    }
    let kind = sniff(&head, &name);
    Ok(Ok(Opened { reader, kind, gzip, file: None }))
}

/// Copies a stream into a temporary file that has no name (removed as soon as it is
/// created), ready to be read from the start.
fn spool(reader: &mut dyn BufRead) -> std::io::Result<std::fs::File> {
    use std::io::{Seek, Write};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let name = std::env::temp_dir().join(format!(".mlguard-parquet-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let mut f = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&name)?;
    let _ = std::fs::remove_file(&name);
    let mut w = std::io::BufWriter::new(&mut f);
    std::io::copy(reader, &mut w)?;
    w.flush()?;
    drop(w);
    f.seek(std::io::SeekFrom::Start(0))?;
    Ok(f)
}

/// Why content is binary, if it is.
pub fn binary_reason(head: &[u8]) -> Option<String> {
    if head.starts_with(b"PK\x03\x04") {
        return Some("ZIP archive: archives are not scanned".into());
    }
    if head.starts_with(b"%PDF") {
        return Some("PDF document: not scanned".into());
    }
    let probe = &head[..head.len().min(8192)];
    if probe.contains(&0) {
        return Some("binary content (NUL bytes in the first 8 KiB)".into());
    }
    // Mostly invalid UTF-8 is binary; a few bad bytes (Latin-1 text) are tolerated.
    let bad = String::from_utf8_lossy(probe).chars().filter(|&c| c == char::REPLACEMENT_CHARACTER).count();
    if probe.len() > 64 && bad * 10 > probe.len() {
        return Some("binary content (mostly not UTF-8 text)".into());
    }
    None
}

/// Decides the format from the first bytes and the file name.
pub fn sniff(head: &[u8], name: &str) -> Kind {
    if name.ends_with(".tsv") || name.ends_with(".tab") {
        return Kind::Delimited(b'\t');
    }
    if name.ends_with(".csv") {
        return Kind::Delimited(b',');
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        let first = t.lines().next().unwrap_or("");
        let complete_line = serde_json::from_str::<serde_json::Value>(first).is_ok();
        if name.ends_with(".jsonl") || name.ends_with(".ndjson") || (complete_line && t.starts_with('{')) {
            return Kind::JsonLines;
        }
        return Kind::Json;
    }
    // Delimited by content: the first lines (all complete ones) have the same number (>0) of commas or tabs.
    let lines: Vec<&str> = text.lines().take(6).collect();
    let complete = if head.len() >= 8192 && lines.len() > 1 { &lines[..lines.len() - 1] } else { &lines[..] };
    if complete.len() >= 2 {
        for d in [b'\t', b','] {
            let n0 = complete[0].bytes().filter(|&b| b == d).count();
            if n0 > 0 && complete.iter().all(|l| l.bytes().filter(|&b| b == d).count() == n0) {
                return Kind::Delimited(d);
            }
        }
    }
    Kind::Text
}

/// Where a value came from, in Macie's location vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// 1-based line and the 1-based column where the piece of line starts.
    Line { line: u64, column: u64 },
    /// 1-based row (the header is row 1) and column.
    Cell { row: u64, column: u64 },
    /// 0-based record and JSON path.
    Record { index: u64, path: String },
}

/// A problem inside a file that did not stop it being scanned.
#[derive(Debug, Clone)]
pub struct Note {
    pub place: String,
    pub message: String,
}

/// Receives each scanned batch.
pub trait Sink {
    fn batch(&mut self, batch: &Batch, locs: &[Loc], hits: &[Hit], header: &[String]);
}

pub(crate) struct Driver<'a, S: Sink> {
    scanner: &'a Scanner,
    cache: &'a mut Cache,
    batch: Batch,
    locs: Vec<Loc>,
    hits: Vec<Hit>,
    sink: &'a mut S,
    header: Vec<String>,
    header_ctx: Vec<u32>,
    path_ctx: std::collections::HashMap<String, u32>,
    /// Per leaf of a JSON record (by its place in the record): the last path seen there and its context in this batch.
    path_hint: Vec<(String, u32)>,
    memo: Memo,
    cells: CellKeys,
}

/// Keys for the cells of a delimited file ([`Driver::push_cell`]): per column, its first
/// few distinct cells with their memo keys, looked up while that pays. A column's context
/// is its name, the same for the whole file, so (column, bytes) determines a cell's
/// detections.
#[derive(Default)]
struct CellKeys {
    cols: Vec<ColKeys>,
    /// Keys handed out, and the bytes of their cells.
    keys: u32,
    bytes: usize,
    /// No cell is keyed (a keyword holds a newline, or to compare with).
    disabled: bool,
    /// Bit `c`: column `c` is no longer looked up (its `ColKeys::off`, seen without a call).
    off: u64,
}

#[derive(Default)]
struct ColKeys {
    /// The column's first distinct cells (at most [`CELL_VALUES`]) and their keys.
    map: Vec<(Box<[u8]>, u32)>,
    lookups: u32,
    found: u32,
    off: bool,
}

/// Distinct cells kept per column: the columns this pays for have few distinct values
/// (a status, a name list), compared byte for byte without hashing.
const CELL_VALUES: usize = 8;
/// Longer cells are not looked up (long values rarely repeat, and comparing them costs).
const CELL_KEY_MAX: usize = 64;
/// At most this many keys and key bytes per file.
const CELL_KEYS: u32 = 1 << 16;
const CELL_KEY_BYTES: usize = 4 << 20;
/// After this many lookups a column whose cells were found less than one time in eight
/// stops being looked up (a miss costs the comparisons and a keyed batch's bookkeeping for
/// every value; a hit saves scanning the value).
const CELL_TRIAL: u32 = 1024;

/// Values pushed with a key ([`Driver::push_keyed`]: a Parquet dictionary index, a repeated
/// CSV cell) whose detections are worked out once per key. A value's detections depend only
/// on its bytes and its context (a batch holds each value between `\n`s; a match that runs
/// past its value is searched again within it, and no keyword holds a `\n`), so the first
/// value of a key is scanned and later ones get its detections.
///
/// [`Driver::batch`] holds only the values to scan, in push order; a value not scanned (its
/// key known, or pending in this batch) waits in `extra` (its place among them) with its bytes
/// in `side`. At the flush the batch is scanned, then `side` is appended to its buffer and
/// the extras are merged back in place, so the sink gets every value in push order. Plain
/// values cost nothing extra here.
#[derive(Default)]
struct Memo {
    /// Per key: what is known of its detections.
    state: Vec<Known>,
    /// Detections of done keys (`seg` unused).
    hits: Vec<Hit>,
    /// The values of the batch not scanned, in push order.
    extra: Vec<Extra>,
    /// Bytes of the extras.
    side: Vec<u8>,
    /// Values of the batch that are the first of their key: (value, key), in order.
    pending: Vec<(u32, u32)>,
    scan_hits: Vec<Hit>,
    /// The values in push order, for the sink.
    segs: Vec<Seg>,
    /// JSON paths of the locations of batches already handed to the sink, reused for the
    /// next leaves' locations ([`Driver::add_record_loc`]), and whether the batch has any.
    paths: Vec<String>,
    records: bool,
}

#[derive(Clone, Copy)]
enum Known {
    Unknown,
    /// Scanned with the current batch.
    Pending,
    /// These detections of [`Memo::hits`].
    Done(u32, u32),
}

/// A value not scanned: it comes after the batch's first `at` values.
#[derive(Clone, Copy)]
struct Extra {
    at: u32,
    key: u32,
    /// Its bytes in [`Memo::side`].
    bytes: (u32, u32),
    loc: u64,
    ctx: u32,
}

thread_local! {
    /// The memo's buffers, kept from one file to the next (each file grew them from nothing).
    static SPARE_MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
}

impl Memo {
    /// A memo with the buffers of the last one this thread dropped with [`Memo::give_back`].
    fn reused() -> Memo {
        let mut m = SPARE_MEMO.with(|s| std::mem::take(&mut *s.borrow_mut()));
        m.state.clear();
        m.hits.clear();
        m.extra.clear();
        m.side.clear();
        m.pending.clear();
        m.records = false;
        m
    }

    fn give_back(self) {
        SPARE_MEMO.with(|s| *s.borrow_mut() = self);
    }
}

impl<S: Sink> Driver<'_, S> {
    /// The column names of the cells that follow.
    pub(crate) fn set_header(&mut self, header: Vec<String>) {
        self.flush();
        self.header = header;
        self.header_ctx.clear();
    }

    #[inline]
    pub(crate) fn push(&mut self, value: &[u8], loc: Loc, ctx: u32) {
        let i = self.locs.len() as u64;
        self.locs.push(loc);
        self.push_at(value, i, ctx);
    }

    /// Pushes a value whose location is `locs[i]`.
    #[inline]
    fn push_at(&mut self, value: &[u8], i: u64, ctx: u32) {
        self.batch.push(value, i, ctx);
        if self.batch.size() + self.memo.side.len() >= BATCH_BYTES || self.locs.len() >= BATCH_VALUES {
            self.flush();
        }
    }

    /// Adds a JSON leaf's location, its path copied into a `String` of an earlier batch's
    /// locations (no allocation and free per leaf: about 8 instructions per byte of JSON
    /// Lines); returns its index.
    #[inline]
    fn add_record_loc(&mut self, index: u64, path: &str) -> u64 {
        let mut p = self.memo.paths.pop().unwrap_or_default();
        p.clear();
        p.push_str(path);
        self.memo.records = true;
        let i = self.locs.len() as u64;
        self.locs.push(Loc::Record { index, path: p });
        i
    }

    /// Pushes a value whose detections are those of every other value pushed with the same
    /// `key` since [`Driver::memo_reset`] (same bytes, same context): it is scanned once.
    #[inline]
    pub(crate) fn push_keyed(&mut self, value: &[u8], loc: Loc, ctx: u32, key: usize) {
        self.keyed::<false>(value, 0, value.len(), loc, ctx, key);
    }

    /// [`Driver::push_keyed`] of the value `data[s..e]`, whose following bytes let a short
    /// value be copied as one block ([`append`]).
    #[inline(always)]
    pub(crate) fn push_keyed_in(&mut self, data: &[u8], s: usize, e: usize, loc: Loc, ctx: u32, key: usize) {
        self.keyed::<true>(data, s, e, loc, ctx, key);
    }

    /// [`Driver::push_keyed`] of `data[s..e]`, copied with [`append`] when `BLOCKS`.
    #[inline(always)]
    fn keyed<const BLOCKS: bool>(&mut self, data: &[u8], s: usize, e: usize, loc: Loc, ctx: u32, key: usize) {
        let i = self.locs.len() as u64;
        self.locs.push(loc);
        let m = &mut self.memo;
        match m.state.get(key).copied() {
            Some(Known::Done(..) | Known::Pending) => {
                let a = m.side.len() as u32;
                if BLOCKS {
                    append(&mut m.side, data, s, e);
                } else {
                    m.side.extend_from_slice(&data[s..e]);
                }
                m.extra.push(Extra { at: self.batch.segs.len() as u32, key: key as u32, bytes: (a, m.side.len() as u32), loc: i, ctx });
            }
            Some(Known::Unknown) => {
                m.pending.push((self.batch.segs.len() as u32, key as u32));
                m.state[key] = Known::Pending;
                if BLOCKS {
                    batch_push(&mut self.batch, data, s, e, i, ctx);
                } else {
                    self.batch.push(&data[s..e], i, ctx);
                }
            }
            None if BLOCKS => batch_push(&mut self.batch, data, s, e, i, ctx),
            None => self.batch.push(&data[s..e], i, ctx),
        }
        if self.batch.size() + m.side.len() >= BATCH_BYTES || self.locs.len() >= BATCH_VALUES {
            self.flush();
        }
    }

    /// [`Driver::push`] of the value `data[s..e]` ([`append`]).
    #[inline(always)]
    pub(crate) fn push_in(&mut self, data: &[u8], s: usize, e: usize, loc: Loc, ctx: u32) {
        let i = self.locs.len() as u64;
        self.locs.push(loc);
        batch_push(&mut self.batch, data, s, e, i, ctx);
        if self.batch.size() + self.memo.side.len() >= BATCH_BYTES || self.locs.len() >= BATCH_VALUES {
            self.flush();
        }
    }

    /// Whether values may be pushed with keys (see [`Memo`]).
    pub(crate) fn can_key(&self) -> bool {
        self.scanner.keywords_stay_in_values()
    }

    /// A cell of a delimited file: keyed by its column and bytes while that pays.
    #[inline]
    fn push_cell(&mut self, col: usize, value: &[u8], loc: Loc, ctx: u32) {
        if value.len() <= CELL_KEY_MAX && (col >= 64 || self.cells.off >> col & 1 == 0) {
            if let Some(k) = self.cell_key(col, value) {
                self.push_keyed(value, loc, ctx, k);
                return;
            }
        }
        self.push(value, loc, ctx);
    }

    #[inline(never)]
    fn cell_key(&mut self, col: usize, value: &[u8]) -> Option<usize> {
        let ck = &mut self.cells;
        if ck.cols.len() <= col {
            if col >= 1024 || ck.disabled {
                return None;
            }
            ck.cols.resize_with(col + 1, ColKeys::default);
        }
        let c = &mut ck.cols[col];
        if c.off {
            return None;
        }
        c.lookups += 1;
        if let Some(&(_, k)) = c.map.iter().find(|(v, _)| **v == *value) {
            c.found += 1;
            return Some(k as usize);
        }
        if c.lookups >= CELL_TRIAL && c.found.saturating_mul(8) < c.lookups {
            c.off = true;
            if col < 64 {
                ck.off |= 1 << col;
            }
            c.map = Default::default();
            return None;
        }
        if c.map.len() >= CELL_VALUES || ck.keys >= CELL_KEYS || ck.bytes + value.len() > CELL_KEY_BYTES {
            return None;
        }
        let k = ck.keys;
        ck.keys += 1;
        ck.bytes += value.len();
        c.map.push((value.into(), k));
        self.memo.state.push(Known::Unknown);
        Some(k as usize)
    }

    /// Forgets every key and makes room for keys `0..n`.
    pub(crate) fn memo_reset(&mut self, n: usize) {
        if !self.memo.extra.is_empty() || !self.memo.pending.is_empty() {
            self.flush();
        }
        self.memo.state.clear();
        self.memo.state.resize(n, Known::Unknown);
        self.memo.hits.clear();
    }

    /// Scans the batch, gives every value pushed its detections (in push order, as a scan
    /// of all of them would) and turns the batch into the values in push order.
    fn scan_memo(&mut self) {
        let m = &mut self.memo;
        m.scan_hits.clear();
        self.scanner.scan(self.cache, &self.batch, &mut m.scan_hits);
        // The keys scanned in this batch are done (their values' detections in order).
        let mut h = 0;
        for &(s, k) in &m.pending {
            while h < m.scan_hits.len() && m.scan_hits[h].seg < s as usize {
                h += 1;
            }
            let o = m.hits.len();
            while h < m.scan_hits.len() && m.scan_hits[h].seg == s as usize {
                m.hits.push(m.scan_hits[h]);
                h += 1;
            }
            m.state[k as usize] = Known::Done(o as u32, (m.hits.len() - o) as u32);
        }
        m.pending.clear();
        if m.extra.is_empty() {
            std::mem::swap(&mut self.hits, &mut m.scan_hits);
            return;
        }
        let base = self.batch.buf.len();
        self.batch.buf.extend_from_slice(&m.side);
        m.segs.clear();
        let (mut s, mut h) = (0usize, 0usize);
        let segs = &self.batch.segs;
        for e in &m.extra {
            // The scanned values before it, moved up by the extras before them.
            let at = e.at as usize;
            let shift = m.segs.len() - s;
            m.segs.extend_from_slice(&segs[s..at]);
            while h < m.scan_hits.len() && m.scan_hits[h].seg < at {
                let x = m.scan_hits[h];
                self.hits.push(Hit { seg: x.seg + shift, ..x });
                h += 1;
            }
            s = at;
            let i = m.segs.len();
            m.segs.push(Seg { start: base + e.bytes.0 as usize, end: base + e.bytes.1 as usize, loc: e.loc, ctx: e.ctx });
            if let Some(Known::Done(o, n)) = m.state.get(e.key as usize) {
                self.hits.extend(m.hits[*o as usize..(*o + *n) as usize].iter().map(|x| Hit { seg: i, ..*x }));
            }
        }
        let shift = m.segs.len() - s;
        m.segs.extend_from_slice(&segs[s..]);
        self.hits.extend(m.scan_hits[h..].iter().map(|x| Hit { seg: x.seg + shift, ..*x }));
        std::mem::swap(&mut self.batch.segs, &mut m.segs);
        m.extra.clear();
        m.side.clear();
    }

    /// Whole lines from the start of `block` (each ending in `\n` with no `\r` before it, at
    /// most `MAX_LINE` bytes) as text values, exactly as [`text_piece`] pushes them one by
    /// one, but copied into the batch in one piece per batch (the bytes of such lines are
    /// the batch's layout already: each value followed by `\n`). Stops at the first line that
    /// is not like that, or at the end of the last whole line; returns the bytes taken.
    fn push_text_lines(&mut self, block: &[u8], no: &mut u64) -> usize {
        let mut done = 0;
        loop {
            let base = self.batch.buf.len();
            let mut p = done;
            let mut full = false;
            while let Some(i) = find_byte(&block[p..], b'\n') {
                if i + 1 > MAX_LINE as usize || (i > 0 && block[p + i - 1] == b'\r') {
                    break;
                }
                let loc = self.locs.len() as u64;
                self.locs.push(Loc::Line { line: *no, column: 1 });
                let start = base + (p - done);
                self.batch.segs.push(Seg { start, end: start + i, loc, ctx: u32::MAX });
                *no += 1;
                p += i + 1;
                if base + (p - done) >= BATCH_BYTES || self.locs.len() >= BATCH_VALUES {
                    full = true;
                    break;
                }
            }
            self.batch.buf.extend_from_slice(&block[done..p]);
            done = p;
            if !full {
                return done;
            }
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() && self.memo.extra.is_empty() {
            return;
        }
        self.hits.clear();
        if !self.memo.pending.is_empty() || !self.memo.extra.is_empty() {
            self.scan_memo();
        } else {
            self.scanner.scan(self.cache, &self.batch, &mut self.hits);
        }
        self.sink.batch(&self.batch, &self.locs, &self.hits, &self.header);
        self.batch.clear();
        if self.memo.records {
            let paths = &mut self.memo.paths;
            paths.extend(self.locs.drain(..).filter_map(|l| match l {
                Loc::Record { path, .. } => Some(path),
                _ => None,
            }));
            self.memo.records = false;
        } else {
            self.locs.clear();
        }
        self.header_ctx.clear();
        self.path_ctx.clear();
        self.path_hint.clear();
    }

    #[inline]
    pub(crate) fn column_ctx(&mut self, col: usize) -> u32 {
        if self.header_ctx.is_empty() {
            self.header_contexts();
        }
        self.header_ctx.get(col).copied().unwrap_or(u32::MAX)
    }

    /// The batch's contexts for the column names.
    #[inline(never)]
    fn header_contexts(&mut self) {
        let h = self.header.clone();
        self.header_ctx = h.iter().map(|c| self.batch.context(c)).collect();
    }

    fn path_ctx(&mut self, path: &str) -> u32 {
        if let Some(&c) = self.path_ctx.get(path) {
            return c;
        }
        let c = self.batch.context(path);
        self.path_ctx.insert(path.to_string(), c);
        c
    }

    /// The leaves of record `index`, walked by [`json::Leaves::read`].
    fn push_leaves(&mut self, leaves: &json::Leaves, index: u64) {
        let (mut p0, mut v0) = (0, 0);
        for (j, &(pe, ve)) in leaves.ends.iter().enumerate() {
            let path = &leaves.paths[p0..pe];
            let c = self.leaf_ctx(j, path);
            let i = self.add_record_loc(index, path);
            self.push_at(&leaves.vals.as_bytes()[v0..ve], i, c);
            (p0, v0) = (pe, ve);
        }
    }

    /// [`Driver::path_ctx`], first tried as the path the `j`-th leaf of the last record had
    /// (records of a file mostly have the same shape): a comparison instead of a hash.
    fn leaf_ctx(&mut self, j: usize, path: &str) -> u32 {
        if let Some((p, c)) = self.path_hint.get(j) {
            if p == path {
                return *c;
            }
        }
        let c = self.path_ctx(path);
        if self.path_hint.len() <= j {
            self.path_hint.resize_with(j + 1, Default::default);
        }
        let h = &mut self.path_hint[j];
        h.0.clear();
        h.0.push_str(path);
        h.1 = c;
        c
    }

    fn leaves(&mut self, v: &serde_json::Value, path: &mut String, index: u64) {
        match v {
            serde_json::Value::String(s) => {
                let c = self.path_ctx(path);
                self.push(s.as_bytes(), Loc::Record { index, path: path.clone() }, c);
            }
            serde_json::Value::Number(n) => {
                let c = self.path_ctx(path);
                let t = n.to_string();
                self.push(t.as_bytes(), Loc::Record { index, path: path.clone() }, c);
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    let l = path.len();
                    path.push_str(&format!("[{i}]"));
                    self.leaves(x, path, index);
                    path.truncate(l);
                }
            }
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let l = path.len();
                    json_path_push(path, k);
                    self.leaves(x, path, index);
                    path.truncate(l);
                }
            }
            _ => {}
        }
    }
}

/// Appends a key to a JSON path: `.key`, or `['key']` when it is not a plain name.
pub fn json_path_push(path: &mut String, key: &str) {
    // By bytes: a byte of a non-ASCII character is no ASCII letter or digit either.
    if !key.is_empty() && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        path.push_str(&key.replace('\'', "\\'"));
        path.push_str("']");
    }
}

/// Reads every value of an opened file through the scanner into `sink`; returns the bytes read and the problems met.
pub fn scan_opened<S: Sink>(scanner: &Scanner, cache: &mut Cache, opened: Opened, sink: &mut S) -> Result<(u64, Vec<Note>), std::io::Error> {
    let (mut batch, mut locs, mut hits) = cache.spare.take().unwrap_or_default();
    batch.clear();
    locs.clear();
    hits.clear();
    let mut d = Driver { scanner, cache, batch, locs, hits, sink, header: Vec::new(), header_ctx: Vec::new(), path_ctx: Default::default(), path_hint: Vec::new(), memo: Memo::reused(), cells: CellKeys { disabled: !scanner.keywords_stay_in_values(), ..CellKeys::default() } };
    let mut notes = Vec::new();
    let mut reader = opened.reader;
    let mut bytes = 0u64;
    match opened.kind {
        Kind::Parquet => {
            let file = opened.file.ok_or_else(|| std::io::Error::other("Parquet file not open"))?;
            bytes = crate::parquet::scan(&mut d, file).map_err(std::io::Error::other)?;
        }
        Kind::Text => {
            // Lines straight from the reader's buffer into the batch (one copy), the newline
            // found with a vectorised search; a line is read in pieces of at most
            // `MAX_LINE` bytes, its newline included, as `take(MAX_LINE).read_until` would.
            let nl = Prefilter::new(MatchKind::LeftmostFirst, &[b"\n"]);
            let find_nl = |h: &[u8]| match &nl {
                Some(p) => p.find(h, Span::from(0..h.len())).map(|s| s.start),
                None => h.iter().position(|&b| b == b'\n'),
            };
            let mut pending: Vec<u8> = Vec::new();
            let (mut no, mut col) = (1u64, 1u64);
            let max = MAX_LINE as usize;
            loop {
                let buf = reader.fill_buf()?;
                if buf.is_empty() {
                    if !pending.is_empty() {
                        bytes += text_piece(&mut d, &pending, &mut no, &mut col);
                    }
                    break;
                }
                let mut at = 0;
                while at < buf.len() {
                    if pending.is_empty() && col == 1 {
                        let n = d.push_text_lines(&buf[at..], &mut no);
                        bytes += n as u64;
                        at += n;
                        if at == buf.len() {
                            break;
                        }
                    }
                    let room = max - pending.len();
                    let look = &buf[at..buf.len().min(at + room)];
                    match find_nl(look) {
                        Some(i) if pending.is_empty() => {
                            bytes += text_piece(&mut d, &look[..=i], &mut no, &mut col);
                            at += i + 1;
                        }
                        Some(i) => {
                            pending.extend_from_slice(&look[..=i]);
                            bytes += text_piece(&mut d, &pending, &mut no, &mut col);
                            pending.clear();
                            at += i + 1;
                        }
                        None if look.len() == room => {
                            pending.extend_from_slice(look);
                            bytes += text_piece(&mut d, &pending, &mut no, &mut col);
                            pending.clear();
                            at += look.len();
                        }
                        None => {
                            pending.extend_from_slice(look);
                            at += look.len();
                        }
                    }
                }
                let n = buf.len();
                reader.consume(n);
            }
        }
        Kind::JsonLines => {
            bytes = scan_json_lines(&mut d, &mut reader, &mut notes, true)?;
        }
        Kind::Json => {
            let mut all = Vec::new();
            reader.read_to_end(&mut all)?;
            bytes = all.len() as u64;
            match serde_json::from_slice::<serde_json::Value>(&all) {
                Ok(serde_json::Value::Array(items)) => {
                    for (i, v) in items.iter().enumerate() {
                        let mut p = String::from("$");
                        d.leaves(v, &mut p, i as u64);
                    }
                }
                Ok(v) => {
                    let mut p = String::from("$");
                    d.leaves(&v, &mut p, 0);
                }
                Err(e) => {
                    notes.push(Note { place: format!("line {}, column {}", e.line(), e.column()), message: format!("not valid JSON ({e}); scanned as text") });
                    for (i, l) in all.split(|&b| b == b'\n').enumerate() {
                        d.push(l, Loc::Line { line: i as u64 + 1, column: 1 }, u32::MAX);
                    }
                }
            }
        }
        Kind::Delimited(delim) => {
            bytes = scan_delimited(&mut d, reader, delim, &mut notes, true);
        }
    }
    d.flush();
    let Driver { cache, batch, locs, hits, memo, .. } = d;
    cache.spare = Some((batch, locs, hits));
    memo.give_back();
    Ok((bytes, notes))
}

/// The records of a JSON Lines file, each walked to its leaves; `fast`: lines taken from the
/// reader's buffer, and records walked straight from the parser where that gives what the
/// walk of their `serde_json::Value` gives ([`json::Leaves`]), else through the `Value`;
/// `fast: false` is the reference (`read_until` and the `Value`). Returns the bytes read.
fn scan_json_lines<S: Sink>(d: &mut Driver<'_, S>, reader: &mut dyn BufRead, notes: &mut Vec<Note>, fast: bool) -> std::io::Result<u64> {
    let mut index = 0u64;
    let mut bytes = 0u64;
    let mut leaves = json::Leaves::default();
    let mut record = |d: &mut Driver<'_, S>, line: &[u8]| {
        let t = trim_ascii(line);
        if t.is_empty() {
            return;
        }
        if fast && leaves.read(t) {
            d.push_leaves(&leaves, index);
        } else {
            match serde_json::from_slice::<serde_json::Value>(t) {
                Ok(v) => {
                    let mut p = String::from("$");
                    d.leaves(&v, &mut p, index);
                }
                Err(e) => {
                    notes.push(Note { place: format!("line {}", index + 1), message: format!("not a JSON value ({e}); scanned as text") });
                    d.push(t, Loc::Line { line: index + 1, column: 1 }, u32::MAX);
                }
            }
        }
        index += 1;
    };
    if !fast {
        // The reference: lines by `read_until`, every record through its `Value`.
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                return Ok(bytes);
            }
            bytes += n as u64;
            record(d, &line);
        }
    }
    // Lines as `read_until(b'\n')` reads them, taken from the reader's buffer where whole.
    let nl = Prefilter::new(MatchKind::LeftmostFirst, &[b"\n"]);
    let find_nl = |h: &[u8]| match &nl {
        Some(p) => p.find(h, Span::from(0..h.len())).map(|s| s.start),
        None => h.iter().position(|&b| b == b'\n'),
    };
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !pending.is_empty() {
                record(d, &pending);
            }
            return Ok(bytes);
        }
        let mut at = 0;
        while let Some(i) = find_nl(&buf[at..]) {
            let end = at + i + 1;
            if pending.is_empty() {
                record(d, &buf[at..end]);
            } else {
                pending.extend_from_slice(&buf[at..end]);
                record(d, &pending);
                pending.clear();
            }
            at = end;
        }
        pending.extend_from_slice(&buf[at..]);
        let n = buf.len();
        bytes += n as u64;
        reader.consume(n);
    }
}

/// The rows of a delimited file: the first is the header, every other row's non-empty
/// cells are values. Rows are split here while they hold no quote and no `\r` (a line
/// split at the delimiter is then exactly the record the `csv` crate reads, blank lines
/// skipped as it skips them); from the first line that holds one, the rest of the file is
/// read by the `csv` crate. `fast: false` reads it all with the `csv` crate. Returns the
/// bytes read.
fn scan_delimited<S: Sink>(d: &mut Driver<'_, S>, mut reader: Box<dyn BufRead>, delim: u8, notes: &mut Vec<Note>, fast: bool) -> u64 {
    let mut row = 0u64;
    let mut done = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    // A file that may start with a byte order mark, which the `csv` crate drops, is read
    // by it from the start.
    let bom = matches!(reader.fill_buf(), Ok(b) if b.first() == Some(&0xEF));
    let stops = if fast && !bom && !matches!(delim, b'\n' | b'\r' | b'"') { Prefilter::new(MatchKind::LeftmostFirst, &[b"\n", b"\"", b"\r"]) } else { None };
    let mut handed = false;
    if let Some(stops) = stops {
        loop {
            let buf = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) => {
                    notes.push(Note { place: format!("row {}", row + 1), message: format!("unreadable record: {}", csv::Error::from(e)) });
                    return done + pending.len() as u64;
                }
            };
            if buf.is_empty() {
                if !pending.is_empty() {
                    delimited_row(d, &pending, delim, &mut row);
                    done += pending.len() as u64;
                }
                return done;
            }
            let mut at = 0;
            let mut hand_over = false;
            while at < buf.len() {
                match stops.find(buf, Span::from(at..buf.len())).map(|sp| sp.start) {
                    Some(i) if buf[i] == b'\n' => {
                        if pending.is_empty() {
                            delimited_row(d, &buf[at..i], delim, &mut row);
                        } else {
                            done += pending.len() as u64;
                            pending.extend_from_slice(&buf[at..i]);
                            delimited_row(d, &pending, delim, &mut row);
                            pending.clear();
                        }
                        done += (i + 1 - at) as u64;
                        at = i + 1;
                    }
                    Some(_) => {
                        hand_over = true;
                        break;
                    }
                    None => break,
                }
            }
            pending.extend_from_slice(&buf[at..]);
            let n = buf.len();
            reader.consume(n);
            if hand_over {
                handed = true;
                break;
            }
        }
    }
    // The rest, from the start of a record, through the `csv` crate. Handed over mid-file, it
    // gets a blank line first (which it skips), so that it does not take a byte order mark
    // at the start of the line for the file's.
    if handed {
        pending.insert(0, b'\n');
    }
    let rest = std::io::Cursor::new(pending).chain(reader);
    let counter = CountingReader { inner: rest, n: 0 };
    let mut rdr = csv::ReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).from_reader(counter);
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                notes.push(Note { place: format!("row {}", row + 1), message: format!("unreadable record: {e}") });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                row += 1;
                continue;
            }
        }
        row += 1;
        if row == 1 {
            d.header = rec.iter().map(|c| String::from_utf8_lossy(c).trim().to_string()).collect();
            d.header_ctx.clear();
            continue;
        }
        for (ci, cell) in rec.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let c = d.column_ctx(ci);
            d.push_cell(ci, cell, Loc::Cell { row, column: ci as u64 + 1 }, c);
        }
    }
    done + rdr.get_ref().n.saturating_sub(u64::from(handed))
}

/// One line of a delimited file without quotes or `\r` (blank lines are no record).
fn delimited_row<S: Sink>(d: &mut Driver<'_, S>, line: &[u8], delim: u8, row: &mut u64) {
    if line.is_empty() {
        return;
    }
    *row += 1;
    if *row == 1 {
        d.header = line.split(|&b| b == delim).map(|c| String::from_utf8_lossy(c).trim().to_string()).collect();
        d.header_ctx.clear();
        return;
    }
    let (mut ci, mut at) = (0, 0);
    loop {
        let end = find_byte(&line[at..], delim).map_or(line.len(), |i| at + i);
        let cell = &line[at..end];
        if !cell.is_empty() {
            let c = d.column_ctx(ci);
            d.push_cell(ci, cell, Loc::Cell { row: *row, column: ci as u64 + 1 }, c);
        }
        if end == line.len() {
            return;
        }
        ci += 1;
        at = end + 1;
    }
}

/// Appends `data[s..e]` to `out`. A value of at most 16 (32) bytes with 16 (32) bytes of `data`
/// from its start is copied as one block of that constant length (no call to `memcpy`, whose
/// call and size dispatch cost more than the copy of a short value) and the vector cut back.
#[inline(always)]
fn append(out: &mut Vec<u8>, data: &[u8], s: usize, e: usize) {
    let n = e.saturating_sub(s);
    let at = out.len();
    if n <= 16 {
        if let Some(w) = data.get(s..s.wrapping_add(16)).and_then(|w| <&[u8; 16]>::try_from(w).ok()) {
            out.extend_from_slice(w);
            out.truncate(at + n);
            return;
        }
    } else if n <= 32 {
        if let Some(w) = data.get(s..s.wrapping_add(32)).and_then(|w| <&[u8; 32]>::try_from(w).ok()) {
            out.extend_from_slice(w);
            out.truncate(at + n);
            return;
        }
    }
    out.extend_from_slice(data.get(s..e).unwrap_or_default());
}

/// [`Batch::push`] of `data[s..e]`, copied with [`append`].
#[inline(always)]
fn batch_push(b: &mut Batch, data: &[u8], s: usize, e: usize, loc: u64, ctx: u32) {
    let start = b.buf.len();
    append(&mut b.buf, data, s, e);
    let end = b.buf.len();
    b.buf.push(b'\n');
    b.segs.push(Seg { start, end, loc, ctx });
}

/// The first `b` in `h`, eight bytes at a time (cells are short: a call to a vectorised
/// search costs more than it saves).
fn find_byte(h: &[u8], b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = LO * u64::from(b);
    let mut chunks = h.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ pat;
        // The lowest set bit marks the first zero byte of `x` (higher ones may be false).
        let z = x.wrapping_sub(LO) & !x & HI;
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&c| c == b).map(|i| base + i)
}

/// One piece of a text line (its newline included if it has one): pushed without the
/// newline and a `\r` before it; returns its length.
fn text_piece<S: Sink>(d: &mut Driver<'_, S>, piece: &[u8], no: &mut u64, col: &mut u64) -> u64 {
    let ended = piece.last() == Some(&b'\n');
    let mut v = piece;
    if ended {
        v = &v[..v.len() - 1];
        if v.last() == Some(&b'\r') {
            v = &v[..v.len() - 1];
        }
    }
    d.push(v, Loc::Line { line: *no, column: *col }, u32::MAX);
    if ended {
        *no += 1;
        *col = 1;
    } else {
        *col += piece.len() as u64;
    }
    piece.len() as u64
}

fn trim_ascii(s: &[u8]) -> &[u8] {
    let a = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
    let b = s.iter().rposition(|b| !b.is_ascii_whitespace()).map(|i| i + 1).unwrap_or(a);
    &s[a..b.max(a)]
}

/// Counts the bytes a reader hands out.
pub struct CountingReader<R> {
    pub inner: R,
    pub n: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// Every regular file under `path` (itself if it is a file), sorted; symbolic links to directories are not followed.
pub fn walk(path: &Path, out: &mut Vec<std::path::PathBuf>, errors: &mut Vec<(String, String)>) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let mut entries: Vec<_> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    errors.push((path.display().to_string(), format!("cannot list directory: {e}")));
                    return;
                }
            };
            entries.sort();
            for e in entries {
                walk(&e, out, errors);
            }
        }
        Ok(m) if m.is_file() => out.push(path.to_path_buf()),
        Ok(m) if m.file_type().is_symlink() => match std::fs::metadata(path) {
            Ok(t) if t.is_file() => out.push(path.to_path_buf()),
            Ok(_) => errors.push((path.display().to_string(), "symbolic link to a directory: not followed".into())),
            Err(e) => errors.push((path.display().to_string(), format!("broken symbolic link: {e}"))),
        },
        Ok(_) => errors.push((path.display().to_string(), "not a regular file".into())),
        Err(e) => errors.push((path.display().to_string(), format!("cannot read: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Batch;
    use proptest::prelude::*;

    /// Every value pushed (location, bytes, context) and the header, in order.
    #[derive(Default, Debug, PartialEq)]
    struct Seen {
        values: Vec<(Loc, Vec<u8>, Option<String>)>,
        headers: Vec<Vec<String>>,
    }

    impl Sink for Seen {
        fn batch(&mut self, batch: &Batch, locs: &[Loc], _hits: &[Hit], header: &[String]) {
            for (i, s) in batch.segs.iter().enumerate() {
                self.values.push((locs[s.loc as usize].clone(), batch.value(i).to_vec(), batch.contexts.get(s.ctx as usize).cloned()));
            }
            if self.headers.last().map(Vec::as_slice) != Some(header) {
                self.headers.push(header.to_vec());
            }
        }
    }

    /// Reads `data` as a delimited file, split here (`fast`) or by the `csv` crate only;
    /// `chunk` is the reader's buffer size (lines cross buffer ends).
    fn read_delimited(data: &[u8], delim: u8, fast: bool, chunk: usize) -> (Seen, u64, Vec<String>) {
        let scanner = Scanner::new(crate::Options::default()).unwrap();
        let mut cache = scanner.cache();
        let mut seen = Seen::default();
        let mut notes = Vec::new();
        let bytes = {
            let mut d = Driver { scanner: &scanner, cache: &mut cache, batch: Batch::new(), locs: Vec::new(), hits: Vec::new(), sink: &mut seen, header: Vec::new(), header_ctx: Vec::new(), path_ctx: Default::default(), path_hint: Vec::new(), memo: Memo::default(), cells: CellKeys::default() };
            let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(chunk, std::io::Cursor::new(data.to_vec())));
            let n = scan_delimited(&mut d, reader, delim, &mut notes, fast);
            d.flush();
            n
        };
        (seen, bytes, notes.into_iter().map(|n| format!("{}: {}", n.place, n.message)).collect())
    }

    type Values = Vec<(Loc, Vec<u8>)>;

    /// The text reader's values, next to what `take(MAX_LINE).read_until` line by line gives.
    fn text_values(data: &[u8], chunk: usize) -> (Values, u64, Values, u64) {
        let scanner = Scanner::new(crate::Options::default()).unwrap();
        let mut cache = scanner.cache();
        let mut seen = Seen::default();
        let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(chunk, std::io::Cursor::new(data.to_vec())));
        let (bytes, _) = scan_opened(&scanner, &mut cache, Opened { reader, kind: Kind::Text, gzip: false, file: None }, &mut seen).unwrap();
        let got = seen.values.into_iter().map(|(l, v, _)| (l, v)).collect();
        let mut want = Vec::new();
        let mut r = std::io::Cursor::new(data);
        let (mut no, mut col, mut n_all) = (1u64, 1u64, 0u64);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line).unwrap();
            if n == 0 {
                break;
            }
            n_all += n as u64;
            let ended = line.last() == Some(&b'\n');
            let mut v = &line[..];
            if ended {
                v = &v[..v.len() - 1];
                if v.last() == Some(&b'\r') {
                    v = &v[..v.len() - 1];
                }
            }
            want.push((Loc::Line { line: no, column: col }, v.to_vec()));
            if ended {
                no += 1;
                col = 1;
            } else {
                col += n as u64;
            }
        }
        (got, bytes, want, n_all)
    }

    #[test]
    fn text_reader_pieces_are_read_until_pieces() {
        let max = MAX_LINE as usize;
        let mut long = vec![b'x'; 2 * max + 7];
        long.extend_from_slice(b"\r\nshort\r\n\n");
        long.extend(vec![b'y'; max - 1]);
        long.extend_from_slice(b"\n");
        long.extend(vec![b'z'; max]);
        long.extend_from_slice(b"\nlast");
        for data in [&b""[..], b"\n", b"a\r\nb\rc\n\nd", b"no newline", &long] {
            for chunk in [1, 5, 64, 1 << 16] {
                if data.len() > 100_000 && chunk < 64 {
                    continue;
                }
                let (got, bytes, want, n_all) = text_values(data, chunk);
                assert_eq!(bytes, n_all, "{chunk}");
                assert_eq!(got.len(), want.len(), "{chunk}");
                assert!(got == want, "{chunk}");
            }
        }
    }

    #[test]
    fn find_byte_finds_the_first() {
        let hay: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x55).collect();
        for len in 0..hay.len() {
            for b in [0u8, 0x55, 0x80, 0xFF, hay[len / 2], hay[len.saturating_sub(1)]] {
                let h = &hay[..len];
                assert_eq!(find_byte(h, b), h.iter().position(|&c| c == b), "{len} {b}");
            }
        }
        assert_eq!(find_byte(b"\x01\x01\x00,,", b','), Some(3));
        assert_eq!(find_byte(b"aaaaaaa\x80\x81,", b','), Some(9));
    }

    #[test]
    fn delimited_fast_path_reads_what_csv_reads() {
        for data in [&b"id,name\n1,Jane Roe\n\n2,,x\n,\n3,\"a,b\"\n4,c\r\n5,d"[..], b"a,b\n1,2", b"a\tb\n\n\n1\t2\n", b"\xef\xbb\xbfname,ssn\nJane,123-45-6789\n", b"name,ssn\nJane,1\n\xef\xbb\xbf\"x\",2\n", b""] {
            for chunk in [1, 3, 8, 64] {
                let d = if data.contains(&b'\t') { b'\t' } else { b',' };
                assert_eq!(read_delimited(data, d, true, chunk), read_delimited(data, d, false, chunk), "{:?} {chunk}", String::from_utf8_lossy(data));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn delimited_fast_path_reads_what_csv_reads_prop(data in proptest::collection::vec(prop::sample::select(vec![b'a', b'1', b' ', b',', b'\t', b'"', b'\r', b'\n', b'\n', b',', 0xC3, 0xA9, 0xEF, 0xBB, 0xBF]), 0..80), chunk in 1usize..20, tab in any::<bool>()) {
            let d = if tab { b'\t' } else { b',' };
            prop_assert_eq!(read_delimited(&data, d, true, chunk), read_delimited(&data, d, false, chunk));
        }
    }

    /// Reads `data` as JSON Lines, walked straight from the parser (`fast`) or through
    /// `serde_json::Value` only; the values pushed, their detections and the notes.
    fn read_json_lines(data: &[u8], fast: bool) -> (All, u64, Vec<String>) {
        let scanner = managed();
        let mut cache = scanner.cache();
        let mut all = All::default();
        let mut notes = Vec::new();
        let bytes = {
            let mut d = driver(scanner, &mut cache, &mut all);
            let mut reader = BufReader::with_capacity(64, std::io::Cursor::new(data.to_vec()));
            let n = scan_json_lines(&mut d, &mut reader, &mut notes, fast).unwrap();
            d.flush();
            n
        };
        (all, bytes, notes.into_iter().map(|n| format!("{}: {}", n.place, n.message)).collect())
    }

    /// JSON text: objects whose keys repeat (and one of serde_json's private marker keys),
    /// arrays, numbers of every kind, strings with escapes and sensitive values.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            Just("1.0".to_string()),
            Just("-0.0".to_string()),
            Just("1e400".to_string()),
            Just("123456789012345678901234567890".to_string()),
            prop::sample::select(vec!["jane@example.com", "078-05-1120", "4111 1111 1111 1111", "a\\\"b", "caf\\u00e9 \\n 10.1.2.3", "\\ud83d\\ude00", "", "(415) 555-0134"]).prop_map(|v| format!("\"{v}\"")),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec((prop::sample::select(vec!["a", "b", "email", "user name", "x'y", "", "$serde_json::private::RawValue", "ssn"]), inner), 0..5)
                    .prop_map(|v| format!("{{{}}}", v.into_iter().map(|(k, x)| format!("\"{k}\": {x}")).collect::<Vec<_>>().join(","))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        /// Records walked straight from the parser push what the `Value` walk pushes (same
        /// values, paths, contexts, detections and notes), also for lines that are not JSON.
        #[test]
        fn json_lines_walk_pushes_what_the_value_walk_pushes(lines in proptest::collection::vec((json_text(), 0usize..8), 0..12)) {
            let mut data = String::new();
            for (l, cut) in &lines {
                // Some lines cut short or with a stray byte: not JSON.
                match cut {
                    0 => data.push_str(&l[..l.len() / 2]),
                    1 => { data.push_str(l); data.push_str(" x"); }
                    2 => { data.push_str("  "); data.push_str(l); data.push_str(" \r"); }
                    _ => data.push_str(l),
                }
                data.push('\n');
            }
            let (fast, slow) = (read_json_lines(data.as_bytes(), true), read_json_lines(data.as_bytes(), false));
            prop_assert_eq!(fast.0, slow.0);
            prop_assert_eq!(fast.1, slow.1);
            prop_assert_eq!(fast.2, slow.2);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
        /// Lines with bytes that are not UTF-8 (inside strings or not), and UTF-8 lines, which
        /// the walk parses as `str`: the walk pushes what the `Value` walk pushes.
        #[test]
        fn json_lines_walk_reads_lines_that_are_not_utf8(lines in proptest::collection::vec((json_text(), any::<prop::sample::Index>(), prop::sample::select(vec![0xffu8, 0xc3, 0xe9, 0x80, b'a'])), 0..10)) {
            let mut data = Vec::new();
            for (l, at, b) in &lines {
                let mut l = l.clone().into_bytes();
                let i = at.index(l.len() + 1);
                l.insert(i, *b);
                data.extend_from_slice(&l);
                data.push(b'\n');
            }
            let (fast, slow) = (read_json_lines(&data, true), read_json_lines(&data, false));
            prop_assert_eq!(fast.0, slow.0);
            prop_assert_eq!(fast.1, slow.1);
            prop_assert_eq!(fast.2, slow.2);
        }
    }

    /// Over several batches, leaves' paths are written into the `String`s of the last
    /// batch's locations (paths of other lengths, records of other shapes): every location
    /// is the one the `Value` walk gives.
    #[test]
    fn json_lines_paths_reused_across_batches() {
        let mut data = String::new();
        let mut r = 0usize;
        while data.len() < 5 * BATCH_BYTES / 2 {
            r += 1;
            let v = String::from_utf8_lossy(POOL[r % POOL.len()]).replace(['"', '\\'], " ");
            match r % 3 {
                0 => data.push_str(&format!("{{\"user\": {{\"email\": \"{v}\", \"ids\": [{r}, \"{v}\"]}}}}\n")),
                1 => data.push_str(&format!("{{\"a\": \"{v}\"}}\n")),
                _ => data.push_str(&format!("{{\"a long key with spaces {}\": [[\"{v}\"]], \"b\": {r}}}\n", r % 7)),
            }
        }
        let (fast, slow) = (read_json_lines(data.as_bytes(), true), read_json_lines(data.as_bytes(), false));
        assert!(fast.0.values.len() > 50_000);
        assert!(fast.0 == slow.0);
    }

    #[test]
    fn json_lines_walk_falls_back_where_the_value_differs() {
        let data = b"{\"a\": \"jane@example.com\", \"b\": 1, \"a\": \"078-05-1120\"}\n{\"$serde_json::private::RawValue\": \"[\\\"x@example.com\\\"]\"}\n[1.5e3, -7, 18446744073709551615, 1e400]\n";
        let (fast, slow) = (read_json_lines(data, true), read_json_lines(data, false));
        assert!(fast.0.values.len() >= 4);
        assert_eq!(fast.0, slow.0);
        assert_eq!(fast.2, slow.2);
    }

    proptest! {
        /// [`append`] adds exactly `data[s..e]`, whatever follows the value in `data` and
        /// whatever the vector held.
        #[test]
        fn append_adds_the_value(data in proptest::collection::vec(any::<u8>(), 0..80), a in 0usize..80, b in 0usize..80, held in proptest::collection::vec(any::<u8>(), 0..20)) {
            let (s, e) = (a.min(b).min(data.len()), a.max(b).min(data.len()));
            let mut out = held.clone();
            append(&mut out, &data, s, e);
            let mut want = held;
            want.extend_from_slice(&data[s..e]);
            prop_assert_eq!(out, want);
        }
    }

    /// Every value pushed and every detection, by location.
    #[derive(Default, Debug, PartialEq)]
    struct All {
        values: Vec<(Loc, Vec<u8>, Option<String>)>,
        hits: Vec<(Loc, usize, usize, usize, crate::ident::Confidence)>,
    }

    impl Sink for All {
        fn batch(&mut self, batch: &Batch, locs: &[Loc], hits: &[Hit], _header: &[String]) {
            for (i, s) in batch.segs.iter().enumerate() {
                self.values.push((locs[s.loc as usize].clone(), batch.value(i).to_vec(), batch.contexts.get(s.ctx as usize).cloned()));
            }
            for h in hits {
                self.hits.push((locs[batch.segs[h.seg].loc as usize].clone(), h.ident, h.start, h.end, h.confidence));
            }
        }
    }

    fn managed() -> &'static Scanner {
        static S: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        S.get_or_init(|| Scanner::new(crate::Options { managed: true, ..crate::Options::default() }).unwrap())
    }

    fn driver<'a>(scanner: &'a Scanner, cache: &'a mut Cache, sink: &'a mut All) -> Driver<'a, All> {
        Driver { scanner, cache, batch: Batch::new(), locs: Vec::new(), hits: Vec::new(), sink, header: Vec::new(), header_ctx: Vec::new(), path_ctx: Default::default(), path_hint: Vec::new(), memo: Memo::default(), cells: CellKeys::default() }
    }

    const POOL: &[&[u8]] = &[b"123-45-6789", b"ssn 078-05-1120", b"Jane Roe", b"jane.roe@example.com", b"4111 1111 1111 1111", b"card 4111111111111111 and 5555555555554444", b"(415) 555-0134", b"account 12345678", b"", b"plain words", b"AKIAIOSFODNN7EXAMPLE", b"GB82 WEST 1234 5698 7654 32", b"\xff\xfe not utf-8", b"10.1.2.3", b"1 Main St, Springfield, IL 62701"];

    /// Values pushed with keys (a value per key) give the detections the same values pushed
    /// plainly give, across batches (more than [`BATCH_BYTES`] of values).
    #[test]
    fn keyed_values_get_the_detections_of_a_scan() {
        let scanner = managed();
        let run = |keyed: bool| {
            let mut cache = scanner.cache();
            let mut all = All::default();
            {
                let mut d = driver(scanner, &mut cache, &mut all);
                d.set_header(vec!["comment".into(), "ssn".into()]);
                let mut n = 0usize;
                let mut row = 1u64;
                d.memo_reset(POOL.len() * 2);
                while n < 3 * BATCH_BYTES {
                    row += 1;
                    let k = (row as usize * 7 + row as usize / 3) % (POOL.len() * 2);
                    let col = k % 2;
                    let v = POOL[k / 2];
                    n += v.len() + 1;
                    let ctx = d.column_ctx(col);
                    let loc = Loc::Cell { row, column: col as u64 + 1 };
                    if keyed && !row.is_multiple_of(5) {
                        d.push_keyed(v, loc, ctx, k);
                    } else {
                        d.push(v, loc, ctx);
                    }
                }
                d.flush();
            }
            all
        };
        let (a, b) = (run(false), run(true));
        assert!(a.hits.len() > 1000);
        assert!(a == b);
    }

    /// A row of the test Parquet files: column a (pool index or null), b, and c's list elements.
    type Row = (Option<usize>, usize, Vec<Option<usize>>);

    /// Writes a Parquet file of `rows` (a: optional string, b: required unannotated bytes,
    /// c: a list of strings) and returns its path.
    fn write_parquet(name: &str, rows: &[Row], v2: bool, dict: bool, dict_limit: usize, page_rows: usize, snappy: bool) -> std::path::PathBuf {
        use ::parquet::data_type::{ByteArray, ByteArrayType};
        use ::parquet::file::properties::{WriterProperties, WriterVersion};
        use ::parquet::file::writer::SerializedFileWriter;
        let schema = std::sync::Arc::new(::parquet::schema::parser::parse_message_type("message m { optional binary a (STRING); required binary b; optional group c (LIST) { repeated group list { optional binary element (STRING); } } }").unwrap());
        let props = WriterProperties::builder()
            .set_writer_version(if v2 { WriterVersion::PARQUET_2_0 } else { WriterVersion::PARQUET_1_0 })
            .set_dictionary_enabled(dict)
            .set_dictionary_page_size_limit(dict_limit)
            .set_data_page_row_count_limit(page_rows)
            .set_write_batch_size(page_rows.max(1))
            .set_compression(if snappy { ::parquet::basic::Compression::SNAPPY } else { ::parquet::basic::Compression::UNCOMPRESSED })
            .build();
        let dir = std::env::temp_dir().join(format!("mlguard-pii-read-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let mut w = SerializedFileWriter::new(std::fs::File::create(&path).unwrap(), schema, std::sync::Arc::new(props)).unwrap();
        let ba = |i: usize| ByteArray::from(POOL[i % POOL.len()].to_vec());
        for half in rows.chunks(rows.len().div_ceil(2).max(1)) {
            let mut rg = w.next_row_group().unwrap();
            let av: Vec<ByteArray> = half.iter().filter_map(|r| r.0.map(ba)).collect();
            let ad: Vec<i16> = half.iter().map(|r| i16::from(r.0.is_some())).collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>().write_batch(&av, Some(&ad), None).unwrap();
            c.close().unwrap();
            let bv: Vec<ByteArray> = half.iter().map(|r| ba(r.1)).collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>().write_batch(&bv, None, None).unwrap();
            c.close().unwrap();
            let (mut cv, mut cd, mut cr) = (Vec::new(), Vec::new(), Vec::new());
            for r in half {
                if r.2.is_empty() {
                    cd.push(1);
                    cr.push(0);
                }
                for (i, e) in r.2.iter().enumerate() {
                    cr.push(i16::from(i > 0));
                    match e {
                        Some(x) => {
                            cv.push(ba(*x));
                            cd.push(3);
                        }
                        None => cd.push(2),
                    }
                }
            }
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>().write_batch(&cv, Some(&cd), Some(&cr)).unwrap();
            c.close().unwrap();
            rg.close().unwrap();
        }
        w.close().unwrap();
        path
    }

    fn parquet_both(path: &std::path::Path) -> (All, All) {
        let scanner = managed();
        let run = |fast: bool| {
            let mut cache = scanner.cache();
            let mut all = All::default();
            {
                let mut d = driver(scanner, &mut cache, &mut all);
                crate::parquet::scan_with(&mut d, std::fs::File::open(path).unwrap(), fast).unwrap();
                d.flush();
            }
            all
        };
        (run(true), run(false))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Text columns read page by page (dictionary values scanned once per distinct
        /// value) push the values and give the detections the column readers give.
        #[test]
        fn parquet_pages_read_what_column_readers_read(
            rows in proptest::collection::vec((proptest::option::of(0usize..40), 0usize..40, proptest::collection::vec(proptest::option::of(0usize..40), 0..4)), 0..120),
            v2 in any::<bool>(), dict in any::<bool>(), dict_limit in 16usize..400, page_rows in 1usize..40, snappy in any::<bool>(), distinct in 1usize..40,
        ) {
            let rows: Vec<_> = rows.into_iter().map(|(a, b, c)| (a.map(|x| x % distinct), b % distinct, c.into_iter().map(|e| e.map(|x| x % distinct)).collect())).collect();
            let path = write_parquet("prop.parquet", &rows, v2, dict, dict_limit, page_rows, snappy);
            let (fast, slow) = parquet_both(&path);
            prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn parquet_pages_read_what_column_readers_read_large() {
        let rows: Vec<_> = (0..20_000usize).map(|r| (Some(r % 13), r % 7, vec![Some(r % 11), None, Some(r % 3)])).collect();
        for (v2, dict) in [(false, true), (true, true), (false, false)] {
            let path = write_parquet("large.parquet", &rows, v2, dict, 1 << 20, 20_000, true);
            let (fast, slow) = parquet_both(&path);
            assert!(fast.hits.len() > 10_000);
            assert!(fast == slow, "{v2} {dict}");
        }
    }

    /// Reads `data` as a delimited file with cells keyed by column and bytes (`keyed`) or not.
    fn delimited_hits(data: &[u8], keyed: bool) -> All {
        let scanner = managed();
        let mut cache = scanner.cache();
        let mut all = All::default();
        {
            let mut d = driver(scanner, &mut cache, &mut all);
            d.cells.disabled = !keyed;
            let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(1 << 16, std::io::Cursor::new(data.to_vec())));
            let mut notes = Vec::new();
            scan_delimited(&mut d, reader, b',', &mut notes, true);
            d.flush();
        }
        all
    }

    /// A delimited file whose cells repeat (some columns), also across batches, and whose
    /// other cells do not: keyed cells get the detections of a plain scan.
    #[test]
    fn keyed_cells_get_the_detections_of_a_scan() {
        let mut data = b"comment,name,ssn,id,email\n".to_vec();
        let mut r = 0usize;
        while data.len() < 3 * BATCH_BYTES {
            r += 1;
            let pick = |i: usize| String::from_utf8_lossy(POOL[i % POOL.len()]).replace(',', " ");
            let line = format!("{},{},{},{r} {},{}\n", pick(r * 7 / 3), pick(r % 3), pick(r), pick(r * 5), if r.is_multiple_of(9) { "\"quoted, cell\"".to_string() } else { pick(r / 2) });
            data.extend_from_slice(line.as_bytes());
        }
        let (a, b) = (delimited_hits(&data, false), delimited_hits(&data, true));
        assert!(a.hits.len() > 10_000);
        assert!(a == b);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Small files, cells drawn from a few values: keyed and plain reads agree.
        #[test]
        fn keyed_cells_get_the_detections_of_a_scan_prop(cells in proptest::collection::vec((0usize..16, any::<bool>()), 0..400), width in 1usize..6) {
            let mut data = b"name,ssn,comment,phone,x,y\n".to_vec();
            for (i, (c, nl)) in cells.iter().enumerate() {
                data.extend_from_slice(&String::from_utf8_lossy(POOL[c % POOL.len()]).replace(',', " ").into_bytes());
                data.push(if *nl || (i + 1) % width == 0 { b'\n' } else { b',' });
            }
            prop_assert_eq!(delimited_hits(&data, false), delimited_hits(&data, true));
        }
    }
}
