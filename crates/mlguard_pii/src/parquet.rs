//! Apache Parquet: scanning and redacting one column chunk at a time.
//!
//! A Parquet file is recognised by its `PAR1` magic (also inside gzip, which is unpacked to an
//! unnamed temporary file first, since Parquet is read from its footer). Text column chunks
//! are read page by page (the `parquet` crate's page reader, which decompresses; levels and
//! dictionary indices decoded here, values read in place), and each distinct value of a
//! dictionary page is scanned once, its detections repeated for every row that refers to it
//! (exact: a value's detections depend only on its text and its column; see
//! `Driver::push_keyed` in `read`). Other leaves are read with the crate's column readers,
//! [`CHUNK_RECORDS`] records at a time. Memory holds one page or chunk of one column, never a
//! row group or the file. Scanned leaves:
//! strings (`STRING`, `ENUM`, `JSON`, and unannotated `BYTE_ARRAY` values that are UTF-8)
//! and integers (`INT32`/`INT64` without a date, time, timestamp or decimal annotation,
//! printed in decimal). Floating point, boolean, fixed-length, decimal, date and time
//! columns are not scanned. Every value is a cell: its column is the leaf's position among
//! the leaves (1-based), its column name the leaf's dotted path (`customer.phones.list.element`),
//! which is also its keyword context, and its row the record's 1-based index in the file.
//!
//! Redaction writes the same schema (every physical, logical and converted type, every
//! repetition), the same key-value metadata (so pyarrow's `ARROW:schema` comes back too)
//! and one row group for each input row group with the same number of rows. Scanned
//! columns are re-encoded with their original codec and with dictionary encoding where
//! the input used it; other columns are copied byte for byte. An integer cell whose
//! replacement is not an integer becomes null (0 in a required column). `[columns] x =
//! "drop"` removes a top-level field (and the `ARROW:schema` entry, which would name it).

use crate::engine::{Batch, Cache, Scanner};
use crate::read::{Driver, Loc, Sink};
use crate::redact::{rewrite, IntRange, Op, Out, Policy, Stats, TokenState};
use ::parquet::basic::{Compression, ConvertedType, Encoding, LogicalType, Type as Physical};
use ::parquet::column::page::{Page, PageReader};
use ::parquet::column::reader::ColumnReader;
use ::parquet::column::writer::{ColumnCloseResult, ColumnWriter};
use ::parquet::data_type::ByteArray;
use ::parquet::file::metadata::{KeyValue, RowGroupMetaData};
use ::parquet::file::properties::{WriterProperties, WriterVersion};
use ::parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use ::parquet::file::serialized_reader::SerializedPageReader;
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::schema::types::{ColumnDescriptor, Type};
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// The first and last four bytes of a Parquet file.
pub const MAGIC: &[u8] = b"PAR1";

/// Records read from a column at a time.
pub const CHUNK_RECORDS: usize = 8192;

/// What a leaf column holds, for scanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Strings; `checked`: unannotated bytes, scanned only where they are UTF-8.
    Text { checked: bool },
    /// Integers of this range (`INT64` physically when `wide`, else `INT32`).
    Int { range: IntRange, wide: bool },
    /// Not scanned.
    Other,
}

/// Classifies a leaf column.
pub fn leaf(c: &ColumnDescriptor) -> Leaf {
    match c.physical_type() {
        Physical::BYTE_ARRAY => match c.logical_type_ref() {
            Some(LogicalType::String | LogicalType::Enum | LogicalType::Json) => Leaf::Text { checked: false },
            Some(_) => Leaf::Other,
            None => match c.converted_type() {
                ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON => Leaf::Text { checked: false },
                ConvertedType::NONE => Leaf::Text { checked: true },
                _ => Leaf::Other,
            },
        },
        p @ (Physical::INT32 | Physical::INT64) => {
            let wide = p == Physical::INT64;
            let (bits, signed) = match (c.logical_type_ref(), c.converted_type()) {
                (Some(LogicalType::Integer(t)), _) => (u32::try_from(t.bit_width).unwrap_or(64), t.is_signed),
                (Some(_), _) => return Leaf::Other,
                (None, ConvertedType::NONE) => (if wide { 64 } else { 32 }, true),
                (None, ConvertedType::INT_8) => (8, true),
                (None, ConvertedType::INT_16) => (16, true),
                (None, ConvertedType::INT_32) => (32, true),
                (None, ConvertedType::INT_64) => (64, true),
                (None, ConvertedType::UINT_8) => (8, false),
                (None, ConvertedType::UINT_16) => (16, false),
                (None, ConvertedType::UINT_32) => (32, false),
                (None, ConvertedType::UINT_64) => (64, false),
                _ => return Leaf::Other,
            };
            let bits = bits.clamp(8, if wide { 64 } else { 32 });
            let range = if signed { IntRange { min: -(1i128 << (bits - 1)), max: (1i128 << (bits - 1)) - 1 } } else { IntRange { min: 0, max: (1i128 << bits) - 1 } };
            Leaf::Int { range, wide }
        }
        _ => Leaf::Other,
    }
}

fn err(e: ::parquet::errors::ParquetError) -> String {
    format!("Parquet: {e}")
}

/// Values of one chunk of one column, with their levels.
#[derive(Default)]
struct Chunk {
    def: Vec<i16>,
    rep: Vec<i16>,
    bytes: Vec<ByteArray>,
    i32s: Vec<i32>,
    i64s: Vec<i64>,
}

impl Chunk {
    /// Reads up to [`CHUNK_RECORDS`] records; returns (records, levels).
    fn read(&mut self, r: &mut ColumnReader, max_def: i16, max_rep: i16) -> Result<(usize, usize), String> {
        self.def.clear();
        self.rep.clear();
        self.bytes.clear();
        self.i32s.clear();
        self.i64s.clear();
        let (d, p) = (Some(&mut self.def), Some(&mut self.rep));
        let (records, _values, levels) = match r {
            ColumnReader::ByteArrayColumnReader(r) => r.read_records(CHUNK_RECORDS, d, p, &mut self.bytes),
            ColumnReader::Int32ColumnReader(r) => r.read_records(CHUNK_RECORDS, d, p, &mut self.i32s),
            ColumnReader::Int64ColumnReader(r) => r.read_records(CHUNK_RECORDS, d, p, &mut self.i64s),
            _ => Ok((0, 0, 0)),
        }
        .map_err(err)?;
        Ok((records, if max_def == 0 && max_rep == 0 { records } else { levels }))
    }

    /// The text of value `i`, integers in decimal into `buf`; `None` when it is not scanned.
    fn text<'a>(&'a self, leaf: Leaf, i: usize, buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
        match leaf {
            Leaf::Text { checked } => {
                let v = self.bytes.get(i)?.data();
                (!checked || std::str::from_utf8(v).is_ok()).then_some(v)
            }
            Leaf::Int { range, wide } => {
                buf.clear();
                let n: i128 = if wide { i128::from(*self.i64s.get(i)?) } else { i128::from(*self.i32s.get(i)?) };
                // Unsigned columns store the bits of the unsigned value.
                let n = if range.min == 0 && n < 0 { n + if wide { 1i128 << 64 } else { 1i128 << 32 } } else { n };
                let _ = write!(buf, "{n}");
                Some(buf.as_slice())
            }
            Leaf::Other => None,
        }
    }

    /// Calls `f(record, value)` for each non-null value: its record (0-based within the chunk) and index.
    fn walk(&self, levels: usize, max_def: i16, max_rep: i16, mut f: impl FnMut(u64, usize)) {
        if max_def == 0 && max_rep == 0 {
            for i in 0..levels {
                f(i as u64, i);
            }
            return;
        }
        let mut rec = 0u64;
        let mut vi = 0usize;
        for k in 0..levels {
            if k > 0 && (max_rep == 0 || self.rep.get(k) == Some(&0)) {
                rec += 1;
            }
            if max_def == 0 || self.def.get(k) == Some(&max_def) {
                f(rec, vi);
                vi += 1;
            }
        }
    }
}

/// Runs `f`, turning a panic into an error: the `parquet` crate asserts on some damaged
/// input (seen: `bit_util.rs` "size <= src.len()" on a flipped byte), and a bad file must cost
/// that file only. The panic's message is the error's; the panic hook is not told (see
/// [`quiet_hook`]), so a damaged file prints one error line, not a panic and a backtrace.
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    quiet_hook();
    let outer = GUARDED.with(|g| g.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    match r {
        Ok(r) => r,
        Err(p) => {
            let why = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
            Err(format!("Parquet: damaged file ({why})"))
        }
    }
}

thread_local! {
    /// Whether this thread is inside [`guard`].
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Puts, once per process, a panic hook in front of the one in place that passes on every panic
/// except those raised inside [`guard`] on the same thread (which become errors).
fn quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let inner = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                inner(info);
            }
        }));
    });
}

/// Scans every scannable leaf of a Parquet file; returns its size in bytes.
pub(crate) fn scan<S: Sink>(d: &mut Driver<'_, S>, file: File) -> Result<u64, String> {
    guard(|| scan_inner(d, file, true))
}

/// [`scan`], with text columns read page by page (`fast`) or all through the column readers.
#[cfg(test)]
pub(crate) fn scan_with<S: Sink>(d: &mut Driver<'_, S>, file: File, fast: bool) -> Result<u64, String> {
    guard(|| scan_inner(d, file, fast))
}

fn scan_inner<S: Sink>(d: &mut Driver<'_, S>, file: File, fast: bool) -> Result<u64, String> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // Our own handle for the page readers that hand snappy pages over still compressed.
    let raw = Arc::new(file.try_clone().map_err(|e| format!("cannot read again: {e}"))?);
    let reader = SerializedFileReader::new(file).map_err(err)?;
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr();
    d.set_header(schema.columns().iter().map(|c| c.path().string()).collect());
    let leaves: Vec<Leaf> = schema.columns().iter().map(|c| leaf(c)).collect();
    let mut row_base = 0u64;
    let mut chunk = Chunk::default();
    let mut buf = Vec::new();
    let mut pages = PageBufs::reused();
    for g in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(g).map_err(err)?;
        for (j, &lf) in leaves.iter().enumerate() {
            if lf == Leaf::Other {
                continue;
            }
            let c = schema.column(j);
            let (max_def, max_rep) = (c.max_def_level(), c.max_rep_level());
            if let Leaf::Text { checked } = lf {
                if fast && fast_chunk(rg.metadata().column(j).encodings()) {
                    let values = rg.metadata().column(j).num_values().max(0) as u64;
                    let (pr, snappy) = page_reader(&raw, &*rg, rg.metadata(), j)?;
                    let at = TextChunk { j, checked, max_def, max_rep, row_base, values, snappy };
                    scan_text_chunk(d, pr, at, &mut pages).map_err(|e| format!("{e} (row group {}, column `{}`)", g + 1, c.path().string()))?;
                    continue;
                }
            }
            let mut r = rg.get_column_reader(j).map_err(err)?;
            let mut rec_base = row_base;
            loop {
                let (records, levels) = chunk.read(&mut r, max_def, max_rep)?;
                if records == 0 && levels == 0 {
                    break;
                }
                chunk.walk(levels, max_def, max_rep, |rec, vi| {
                    if let Some(v) = chunk.text(lf, vi, &mut buf) {
                        if !v.is_empty() {
                            // Asked per value: a full batch is scanned and its contexts start again.
                            let ctx = d.column_ctx(j);
                            d.push(v, Loc::Cell { row: rec_base + rec + 1, column: j as u64 + 1 }, ctx);
                        }
                    }
                });
                rec_base += records as u64;
            }
        }
        row_base += rg.metadata().num_rows().max(0) as u64;
    }
    pages.give_back();
    Ok(size)
}

/// The page reader of text column `j`; `true` when its pages come compressed with snappy,
/// which [`PageBufs::snappy`] undoes. The crate's own reader decompresses each page into a
/// new zero-filled buffer (the zeroing and the allocation cost about 2.5 instructions per
/// file byte); ours reuses its buffers. Other codecs go through the crate.
fn page_reader(raw: &Arc<File>, rg: &dyn RowGroupReader, meta: &RowGroupMetaData, j: usize) -> Result<(Box<dyn PageReader>, bool), String> {
    let col = meta.column(j);
    if col.compression() != Compression::SNAPPY {
        return Ok((rg.get_column_page_reader(j).map_err(err)?, false));
    }
    let stored = col.clone().into_builder().set_compression(Compression::UNCOMPRESSED).build().map_err(err)?;
    let rows = usize::try_from(meta.num_rows()).map_err(|_| "Parquet: negative row count".to_string())?;
    Ok((Box::new(SerializedPageReader::new(Arc::clone(raw), &stored, rows, None).map_err(err)?), true))
}

/// Buffers for decompressed pages: the dictionary page and the data page of a chunk. They
/// only grow, so a page is decompressed over the last one's bytes without zeroing first.
#[derive(Default)]
struct PageBufs {
    dict: Vec<u8>,
    page: Vec<u8>,
}

thread_local! {
    /// The page buffers, kept from one file to the next.
    static SPARE_PAGES: std::cell::RefCell<PageBufs> = std::cell::RefCell::new(PageBufs::default());
}

impl PageBufs {
    fn reused() -> PageBufs {
        SPARE_PAGES.with(|s| std::mem::take(&mut *s.borrow_mut()))
    }

    fn give_back(self) {
        SPARE_PAGES.with(|s| *s.borrow_mut() = self);
    }

    /// Decompresses a snappy block into `out` (grown if need be); returns its length.
    fn snappy(data: &[u8], out: &mut Vec<u8>, keep: usize) -> Result<usize, String> {
        let bad = |e: snap::Error| format!("Parquet: snappy page cannot be decompressed ({e})");
        let n = snap::raw::decompress_len(data).map_err(bad)?;
        // The length is the page's own claim: a valid block expands at most about 21x (a 3-byte
        // copy of 64 bytes), so a larger claim is damage, refused before it is allocated.
        if n > data.len().saturating_mul(32).saturating_add(64) {
            return Err(format!("Parquet: snappy page claims {n} bytes from {} compressed", data.len()));
        }
        let total = keep.checked_add(n).ok_or("Parquet: page too large")?;
        if out.len() < total {
            out.resize(total, 0);
        }
        let got = snap::raw::Decoder::new().decompress(data, &mut out[keep..total]).map_err(bad)?;
        if got != n {
            return Err("Parquet: snappy page shorter than it says".into());
        }
        Ok(total)
    }
}

/// RLE / bit-packed hybrid decoder (levels and dictionary indices), reading `data` in
/// place; `None` once the data runs out.
#[derive(Clone)]
struct Hybrid<'a> {
    data: &'a [u8],
    pos: usize,
    width: u32,
    /// Values left in the current RLE run, and its value.
    rle: u64,
    rle_val: u32,
    /// Values left in the current bit-packed run, its first byte and the next value's first
    /// bit from there.
    packed: u64,
    packed_at: usize,
    bit: usize,
    /// The low `width` bits.
    mask: u64,
}

impl<'a> Hybrid<'a> {
    fn new(data: &'a [u8], width: u32) -> Hybrid<'a> {
        let mask = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
        Hybrid { data, pos: 0, width, rle: 0, rle_val: 0, packed: 0, packed_at: 0, bit: 0, mask }
    }

    fn uvarint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u32> {
        loop {
            if self.rle > 0 {
                self.rle -= 1;
                return Some(self.rle_val);
            }
            if self.packed > 0 {
                self.packed -= 1;
                let bit = self.bit;
                self.bit += self.width as usize;
                let at = self.packed_at + bit / 8;
                let w = match self.data.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                    Some(b) => u64::from_le_bytes(b),
                    None => self.tail(at)?,
                };
                let v = (w >> (bit % 8)) & self.mask;
                return Some(v as u32);
            }
            self.run()?;
        }
    }

    /// The bytes from `at` to the end of the data (fewer than eight), as a little-endian word.
    #[inline(never)]
    fn tail(&self, at: usize) -> Option<u64> {
        let mut w = [0u8; 8];
        for (d, &b) in w.iter_mut().zip(self.data.get(at..)?) {
            *d = b;
        }
        Some(u64::from_le_bytes(w))
    }

    /// Reads the next run's header.
    #[inline(never)]
    fn run(&mut self) -> Option<()> {
        let h = self.uvarint()?;
        if h & 1 == 1 {
            // A bit-packed run of (h >> 1) groups of eight values.
            let groups = h >> 1;
            let bytes = usize::try_from(groups.checked_mul(u64::from(self.width))?).ok()?;
            self.packed_at = self.pos;
            self.pos = self.pos.checked_add(bytes)?;
            if self.width == 0 {
                // Every value is 0: an RLE run in effect (a count past u64 is damage).
                self.rle = groups.checked_mul(8)?;
                self.rle_val = 0;
            } else if self.pos > self.data.len() {
                return None;
            } else {
                self.packed = groups * 8;
                self.bit = 0;
            }
        } else {
            self.rle = h >> 1;
            let nb = self.width.div_ceil(8) as usize;
            let b = self.data.get(self.pos..self.pos + nb)?;
            self.pos += nb;
            let mut w = [0u8; 4];
            w[..nb].copy_from_slice(b);
            self.rle_val = u32::from_le_bytes(w);
        }
        Some(())
    }
}

/// Bits for levels up to `max`.
fn level_width(max: i16) -> u32 {
    16 - (max.max(0) as u16).leading_zeros()
}

/// The byte ranges of `n` PLAIN byte arrays from the start of `data`.
fn plain_ranges(data: &[u8], n: usize) -> Result<Vec<(u32, u32)>, String> {
    let mut out = Vec::new();
    let mut p = 0usize;
    for _ in 0..n {
        let (s, e) = plain_next(data, &mut p).ok_or("Parquet: dictionary page too short")?;
        out.push((s as u32, e as u32));
    }
    Ok(out)
}

/// The next PLAIN byte array at `*p`: its range.
#[inline]
fn plain_next(data: &[u8], p: &mut usize) -> Option<(usize, usize)> {
    let l = data.get(*p..*p + 4).and_then(|l| <[u8; 4]>::try_from(l).ok())?;
    let len = u32::from_le_bytes(l) as usize;
    let s = *p + 4;
    let e = s.checked_add(len).filter(|&e| e <= data.len())?;
    *p = e;
    Some((s, e))
}

/// Whether a text column chunk can be read by [`scan_text_chunk`]: every encoding it lists is one it reads.
fn fast_chunk(encodings: impl Iterator<Item = Encoding>) -> bool {
    let mut any = false;
    for e in encodings {
        any = true;
        if !matches!(e, Encoding::PLAIN | Encoding::RLE | Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY) {
            return false;
        }
    }
    any
}

/// Values of one data page, where they come from.
enum Values<'a> {
    Plain { data: &'a [u8], pos: usize },
    Dict { idx: Hybrid<'a> },
}

/// Where a text column chunk is and how it is read ([`scan_text_chunk`]).
struct TextChunk {
    /// The leaf's index.
    j: usize,
    /// Unannotated bytes: scanned only where they are UTF-8.
    checked: bool,
    max_def: i16,
    max_rep: i16,
    /// Rows in the row groups before.
    row_base: u64,
    /// Values in the chunk (levels included), from its metadata.
    values: u64,
    /// Pages come compressed with snappy ([`page_reader`]).
    snappy: bool,
}

/// Where a chunk's dictionary is: a page as the crate gave it, or `PageBufs::dict[..len]`.
enum Dict {
    None,
    Page(Page),
    Own(usize),
}

/// Scans one text column chunk page by page, with its pages' bytes read in place (no copy
/// per value): values of a dictionary-encoded page are pushed with their dictionary index
/// as the memo key, so each distinct value is scanned once ([`Driver::push_keyed`]).
/// Values, locations and contexts are the ones the column reader path pushes.
fn scan_text_chunk<S: Sink>(d: &mut Driver<'_, S>, mut pages: Box<dyn PageReader>, tc: TextChunk, bufs: &mut PageBufs) -> Result<(), String> {
    let TextChunk { j, checked, max_def, max_rep, row_base, values: chunk_values, snappy } = tc;
    let (def_w, rep_w) = (level_width(max_def), level_width(max_rep));
    // The dictionary: its bytes, and each entry's range.
    let mut dict = Dict::None;
    let mut dict_ranges: Vec<(u32, u32)> = Vec::new();
    // Whether dictionary values are pushed with their index as key: when the chunk has
    // enough values per entry (at least 9 per 8) for the entries' repeats to pay for
    // copying each entry's first value twice (into the batch and the values to scan).
    let mut keyed = false;
    let can_key = d.can_key();
    let mut rec = 0u64;
    let mut first = true;
    let short = || "Parquet: data page too short".to_string();
    while let Some(page) = pages.get_next_page().map_err(err)? {
        if let Page::DictionaryPage { num_values, encoding, .. } = &page {
            let (num_values, encoding) = (*num_values, *encoding);
            if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                return Err(format!("Parquet: dictionary page encoding {encoding} not supported"));
            }
            dict = if snappy { Dict::Own(PageBufs::snappy(page.buffer(), &mut bufs.dict, 0)?) } else { Dict::Page(page) };
            let data: &[u8] = match &dict {
                Dict::Page(p) => p.buffer(),
                Dict::Own(n) => &bufs.dict[..*n],
                Dict::None => &[],
            };
            dict_ranges = plain_ranges(data, num_values as usize)?;
            keyed = can_key && chunk_values.saturating_mul(8) >= (dict_ranges.len() as u64).saturating_mul(9);
            if keyed {
                d.memo_reset(dict_ranges.len());
            }
            continue;
        }
        let (buf, num_values, encoding, rep_data, def_data, vals_at) = match &page {
            Page::DataPage { buf, num_values, encoding, def_level_encoding, rep_level_encoding, .. } => {
                let buf: &[u8] = if snappy {
                    let n = PageBufs::snappy(buf, &mut bufs.page, 0)?;
                    &bufs.page[..n]
                } else {
                    buf
                };
                let mut at = 0usize;
                let level = |max: i16, enc: Encoding, at: &mut usize| -> Result<(usize, usize), String> {
                    if max == 0 {
                        return Ok((0, 0));
                    }
                    if enc != Encoding::RLE {
                        return Err(format!("Parquet: level encoding {enc} not supported"));
                    }
                    let l = buf.get(*at..*at + 4).ok_or_else(short)?;
                    let n = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                    let s = *at + 4;
                    let e = s.checked_add(n).filter(|&e| e <= buf.len()).ok_or_else(short)?;
                    *at = e;
                    Ok((s, e))
                };
                let rep = level(max_rep, *rep_level_encoding, &mut at)?;
                let def = level(max_def, *def_level_encoding, &mut at)?;
                (buf, *num_values, *encoding, rep, def, at)
            }
            Page::DataPageV2 { buf, num_values, encoding, def_levels_byte_len, rep_levels_byte_len, is_compressed, .. } => {
                let r = *rep_levels_byte_len as usize;
                let dl = *def_levels_byte_len as usize;
                if r.checked_add(dl).is_none_or(|x| x > buf.len()) {
                    return Err(short());
                }
                // The levels are never compressed; the values after them may be (none: nothing after them).
                let buf: &[u8] = if snappy && *is_compressed && buf.len() > r + dl {
                    bufs.page.clear();
                    bufs.page.extend_from_slice(&buf[..r + dl]);
                    let n = PageBufs::snappy(&buf[r + dl..], &mut bufs.page, r + dl)?;
                    &bufs.page[..n]
                } else {
                    buf
                };
                (buf, *num_values, *encoding, (0, r), (r, r + dl), r + dl)
            }
            Page::DictionaryPage { .. } => continue,
        };
        let mut reps = Hybrid::new(&buf[rep_data.0..rep_data.1], rep_w);
        let mut defs = Hybrid::new(&buf[def_data.0..def_data.1], def_w);
        // A flat column whose page has no nulls (its definition levels one run of the
        // maximum, as writers write them): each level is a value and a record of its own,
        // and the levels need not be read one by one.
        let flat = max_rep == 0 && (max_def == 0 || {
            let mut probe = defs.clone();
            probe.run().is_some() && probe.rle >= u64::from(num_values) && probe.rle_val == max_def as u32
        });
        let data = &buf[vals_at..];
        let mut vals = match encoding {
            Encoding::PLAIN => Values::Plain { data, pos: 0 },
            Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY => {
                if matches!(dict, Dict::None) {
                    return Err("Parquet: dictionary-encoded page without a dictionary".into());
                }
                let w = u32::from(*data.first().ok_or_else(short)?);
                if w > 32 {
                    return Err("Parquet: dictionary index width above 32".into());
                }
                Values::Dict { idx: Hybrid::new(&data[1..], w) }
            }
            e => return Err(format!("Parquet: data page encoding {e} not supported")),
        };
        let dict_buf: &[u8] = match &dict {
            Dict::Page(p) => p.buffer(),
            Dict::Own(n) => &bufs.dict[..*n],
            Dict::None => &[],
        };
        let dict_ranges = &dict_ranges[..];
        let column = j as u64 + 1;
        // Runs `$body` for each value that is not null, `rec` its record: one loop per kind of
        // page and of values, so that none of them is decided per value.
        macro_rules! each_value {
            ($body:block) => {
                if flat {
                    // Every level a record: the chunk's first one keeps `rec`, others add one.
                    if num_values > 0 && first {
                        rec = rec.wrapping_sub(1);
                    }
                    for _ in 0..num_values {
                        rec = rec.wrapping_add(1);
                        $body
                    }
                    if num_values > 0 {
                        first = false;
                    }
                } else {
                    for _ in 0..num_values {
                        let rl = if max_rep > 0 { reps.next().ok_or_else(short)? } else { 0 };
                        let dl = if max_def > 0 { defs.next().ok_or_else(short)? } else { 0 };
                        if !first && (max_rep == 0 || rl == 0) {
                            rec += 1;
                        }
                        first = false;
                        if dl != max_def as u32 {
                            continue;
                        }
                        $body
                    }
                }
            };
        }
        match &mut vals {
            Values::Plain { data, pos } => each_value!({
                let (s, e) = plain_next(data, pos).ok_or_else(short)?;
                let v = &data[s..e];
                if !v.is_empty() && (!checked || std::str::from_utf8(v).is_ok()) {
                    let ctx = d.column_ctx(j);
                    d.push_in(data, s, e, Loc::Cell { row: row_base + rec + 1, column }, ctx);
                }
            }),
            Values::Dict { idx } => {
                // The value of the next index: its key and range in the dictionary page.
                macro_rules! entry {
                    () => {{
                        let k = idx.next().ok_or_else(short)? as usize;
                        let &(s, e) = dict_ranges.get(k).ok_or("Parquet: dictionary index out of range")?;
                        let (s, e) = (s as usize, e as usize);
                        let v = &dict_buf[s..e];
                        (k, s, e, !v.is_empty() && (!checked || std::str::from_utf8(v).is_ok()))
                    }};
                }
                if keyed {
                    each_value!({
                        let (k, s, e, scan) = entry!();
                        if scan {
                            let ctx = d.column_ctx(j);
                            d.push_keyed_in(dict_buf, s, e, Loc::Cell { row: row_base + rec + 1, column }, ctx, k);
                        }
                    })
                } else {
                    each_value!({
                        let (_, s, e, scan) = entry!();
                        if scan {
                            let ctx = d.column_ctx(j);
                            d.push_in(dict_buf, s, e, Loc::Cell { row: row_base + rec + 1, column }, ctx);
                        }
                    })
                }
            }
        }
    }
    Ok(())
}

/// Writer properties that keep each column's codec and dictionary use (from the first row
/// group), the format version and the key-value metadata.
fn properties(reader: &SerializedFileReader<File>, keep_arrow_schema: bool) -> WriterProperties {
    let meta = reader.metadata();
    let fm = meta.file_metadata();
    let mut b = WriterProperties::builder().set_writer_version(if fm.version() >= 2 { WriterVersion::PARQUET_2_0 } else { WriterVersion::PARQUET_1_0 });
    let kv: Option<Vec<KeyValue>> = fm.key_value_metadata().map(|kv| kv.iter().filter(|k| keep_arrow_schema || k.key != "ARROW:schema").cloned().collect());
    b = b.set_key_value_metadata(kv);
    if let Some(rg) = meta.row_groups().first() {
        for c in rg.columns() {
            let dict = c.encodings().any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY));
            b = b.set_column_compression(c.column_path().clone(), c.compression()).set_column_dictionary_enabled(c.column_path().clone(), dict);
        }
    }
    b.build()
}

/// Writes a redacted copy of a Parquet file into `w` and returns `w`.
pub(crate) fn redact(scanner: &Scanner, cache: &mut Cache, policy: &Policy, ts: &mut TokenState, file: File, w: Out, stats: &mut Stats) -> Result<Out, String> {
    guard(|| redact_inner(scanner, cache, policy, ts, file, w, stats))
}

fn redact_inner(scanner: &Scanner, cache: &mut Cache, policy: &Policy, ts: &mut TokenState, file: File, w: Out, stats: &mut Stats) -> Result<Out, String> {
    stats.bytes_in = file.metadata().map(|m| m.len()).unwrap_or(0);
    let copy = file.try_clone().map_err(|e| format!("cannot read again: {e}"))?;
    let reader = SerializedFileReader::new(file).map_err(err)?;
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr();
    let root = schema.root_schema();
    // Top-level fields to drop.
    let drop: Vec<bool> = root.get_fields().iter().map(|f| policy.column_op(f.name()) == Some(Op::Drop)).collect();
    let dropping = drop.iter().any(|&d| d);
    let out_schema = if dropping {
        let kept: Vec<Arc<Type>> = root.get_fields().iter().zip(&drop).filter(|(_, d)| !**d).map(|(f, _)| f.clone()).collect();
        stats.columns_dropped = drop.iter().filter(|&&d| d).count() as u64;
        Arc::new(Type::group_type_builder(root.name()).with_fields(kept).build().map_err(err)?)
    } else {
        schema.root_schema_ptr()
    };
    // Each leaf: dropped?, its scan kind, its whole-value operator (the nearest path element named in [columns]), its path.
    let mut plan = Vec::new();
    for c in schema.columns() {
        let parts = c.path().parts();
        let top = root.get_fields().iter().position(|f| parts.first().map(String::as_str) == Some(f.name()));
        if parts.iter().skip(1).any(|p| policy.column_op(p) == Some(Op::Drop)) {
            return Err(format!("`drop` applies to top-level Parquet columns; `{}` is nested", c.path().string()));
        }
        let op = parts.iter().rev().find_map(|p| policy.column_op(p));
        plan.push((top.and_then(|t| drop.get(t).copied()).unwrap_or(false), leaf(c), op, c.path().string()));
    }
    let props = Arc::new(properties(&reader, !dropping));
    let mut writer = SerializedFileWriter::new(w, out_schema, props).map_err(err)?;
    let mut chunk = Chunk::default();
    let mut buf = Vec::new();
    let mut batch = Batch::new();
    for g in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(g).map_err(err)?;
        let rg_meta = meta.row_group(g);
        let mut rg_out = writer.next_row_group().map_err(err)?;
        for (j, (dropped, lf, op, name)) in plan.iter().enumerate() {
            if *dropped {
                continue;
            }
            if *lf == Leaf::Other {
                // Copied byte for byte, with its statistics (its values are unchanged).
                let col = rg_meta.column(j);
                let close = ColumnCloseResult { bytes_written: col.compressed_size().max(0) as u64, rows_written: rg_meta.num_rows().max(0) as u64, metadata: col.clone(), bloom_filter: None, column_index: None, offset_index: None };
                rg_out.append_column(&copy, close).map_err(err)?;
                continue;
            }
            let c = schema.column(j);
            let (max_def, max_rep) = (c.max_def_level(), c.max_rep_level());
            let leaf_optional = c.self_type().is_optional();
            let int = match lf {
                Leaf::Int { range, .. } => Some(*range),
                _ => None,
            };
            let mut r = rg.get_column_reader(j).map_err(err)?;
            let Some(mut cw) = rg_out.next_column().map_err(err)? else { return Err("Parquet writer has no column left".into()) };
            loop {
                let (records, levels) = chunk.read(&mut r, max_def, max_rep)?;
                if records == 0 && levels == 0 {
                    break;
                }
                batch.clear();
                batch.context(name);
                // Value index -> position in the batch (None: not scanned).
                let mut at: Vec<Option<usize>> = Vec::new();
                chunk.walk(levels, max_def, max_rep, |_, vi| {
                    at.resize(vi + 1, None);
                    if let Some(v) = chunk.text(*lf, vi, &mut buf) {
                        at[vi] = Some(batch.segs.len());
                        batch.push(v, vi as u64, 0);
                    }
                });
                let new = rewrite(scanner, cache, policy, ts, &batch, &[*op], int, stats);
                let level = Levels { count: levels, max_def, max_rep, leaf_optional };
                write_chunk(cw.untyped(), &mut chunk, *lf, &at, &new, level, stats)?;
            }
            cw.close().map_err(err)?;
        }
        rg_out.close().map_err(err)?;
    }
    writer.into_inner().map_err(err)
}

#[derive(Clone, Copy)]
struct Levels {
    count: usize,
    max_def: i16,
    max_rep: i16,
    leaf_optional: bool,
}

/// Writes one chunk with its new values; integer cells whose replacement is not an integer
/// become null (the leaf's own definition level less one) or 0 in a required leaf.
fn write_chunk(cw: &mut ColumnWriter<'_>, chunk: &mut Chunk, lf: Leaf, at: &[Option<usize>], new: &[Option<Vec<u8>>], lv: Levels, stats: &mut Stats) -> Result<(), String> {
    let changed = |vi: usize| at.get(vi).copied().flatten().and_then(|b| new.get(b)).and_then(|n| n.as_deref());
    let n = lv.count;
    let def = (lv.max_def > 0).then(|| &chunk.def[..n.min(chunk.def.len())]);
    let rep = (lv.max_rep > 0).then(|| &chunk.rep[..n.min(chunk.rep.len())]);
    match (lf, cw) {
        (Leaf::Text { .. }, ColumnWriter::ByteArrayColumnWriter(w)) => {
            let mut vals = std::mem::take(&mut chunk.bytes);
            for (vi, v) in vals.iter_mut().enumerate() {
                if let Some(x) = changed(vi) {
                    *v = ByteArray::from(x.to_vec());
                }
            }
            w.write_batch(&vals, def, rep).map_err(err)?;
        }
        (Leaf::Int { range, wide }, cw) => {
            let n_values = if wide { chunk.i64s.len() } else { chunk.i32s.len() };
            // Per value: None unchanged, Some(Some(x)) a new integer, Some(None) not an integer.
            let repl: Vec<Option<Option<i128>>> = (0..n_values).map(|vi| changed(vi).map(|x| std::str::from_utf8(x).ok().and_then(|s| s.parse::<i128>().ok()).filter(|x| *x >= range.min && *x <= range.max))).collect();
            let to_null = lv.leaf_optional && repl.iter().any(|r| matches!(r, Some(None)));
            let mut keep = vec![true; n_values];
            let mut def_new: Vec<i16> = Vec::new();
            if to_null {
                let mut vi = 0usize;
                for &d in def.unwrap_or(&[]) {
                    if d == lv.max_def {
                        if matches!(repl.get(vi), Some(Some(None))) {
                            def_new.push(lv.max_def - 1);
                            keep[vi] = false;
                        } else {
                            def_new.push(d);
                        }
                        vi += 1;
                    } else {
                        def_new.push(d);
                    }
                }
            }
            stats.nulled += repl.iter().filter(|r| matches!(r, Some(None))).count() as u64;
            let def = if to_null { Some(&def_new[..]) } else { def };
            let top = if wide { i128::from(i64::MAX) } else { i128::from(i32::MAX) };
            let span = if wide { 1i128 << 64 } else { 1i128 << 32 };
            let value = |vi: usize, old: i128| -> i128 {
                match repl.get(vi) {
                    // Unsigned values above the signed maximum are stored as their bits.
                    Some(Some(Some(x))) if *x > top => *x - span,
                    Some(Some(Some(x))) => *x,
                    Some(Some(None)) => 0,
                    _ => old,
                }
            };
            match cw {
                ColumnWriter::Int64ColumnWriter(w) => {
                    let vals: Vec<i64> = chunk.i64s.iter().enumerate().filter(|(vi, _)| keep[*vi]).map(|(vi, &o)| i64::try_from(value(vi, i128::from(o))).unwrap_or(o)).collect();
                    w.write_batch(&vals, def, rep).map_err(err)?;
                }
                ColumnWriter::Int32ColumnWriter(w) => {
                    let vals: Vec<i32> = chunk.i32s.iter().enumerate().filter(|(vi, _)| keep[*vi]).map(|(vi, &o)| i32::try_from(value(vi, i128::from(o))).unwrap_or(o)).collect();
                    w.write_batch(&vals, def, rep).map_err(err)?;
                }
                _ => return Err("Parquet column writer of another type".into()),
            }
        }
        _ => return Err("Parquet column writer of another type".into()),
    }
    Ok(())
}

#[cfg(test)]
mod snappy_tests {
    use super::PageBufs;

    #[test]
    fn a_page_claiming_more_than_snappy_can_hold_is_refused_unallocated() {
        // Varint 0x80 0x80 0x80 0x80 0x04 = 1 GiB, then a few bytes of nothing.
        let claim = [0x80, 0x80, 0x80, 0x80, 0x04, 0, 0, 0];
        let mut out = Vec::new();
        let e = PageBufs::snappy(&claim, &mut out, 0).unwrap_err();
        assert!(e.contains("claims 1073741824 bytes from 8 compressed"), "{e}");
        assert!(out.capacity() < 1 << 20);
        // A real block still decompresses, after what the caller keeps.
        let text = b"model artifact model artifact model artifact model artifact".repeat(50);
        let packed = snap::raw::Encoder::new().compress_vec(&text).unwrap_or_default();
        let mut out = b"kept".to_vec();
        let n = PageBufs::snappy(&packed, &mut out, 4).unwrap_or(0);
        assert_eq!(&out[..n], [&b"kept"[..], &text[..]].concat());
    }
}

#[cfg(test)]
mod hybrid_tests {
    use super::Hybrid;
    use proptest::prelude::*;

    #[test]
    fn runs_decode_and_damage_ends_without_panic() {
        // RLE run of 3 x 5 (width 3), then one bit-packed group of 8 values 0..8 (width 3).
        let data = [3 << 1, 5, 1 << 1 | 1, 0b1000_1000, 0b1100_0110, 0b1111_1010];
        let mut h = Hybrid::new(&data, 3);
        let got: Vec<u32> = std::iter::from_fn(|| h.next()).collect();
        assert_eq!(got, [5, 5, 5, 0, 1, 2, 3, 4, 5, 6, 7]);
        // Width 0 with a bit-packed run count whose value count passes u64: damage, not a panic.
        let mut huge = vec![0xff; 9];
        huge.push(0x01);
        assert_eq!(Hybrid::new(&huge, 0).next(), None);
        // A bit-packed run longer than the data.
        assert_eq!(Hybrid::new(&[5 << 1 | 1, 0xff], 8).next(), None);
    }

    proptest! {
        #[test]
        fn any_bytes_and_width_decode_without_panic(data in proptest::collection::vec(any::<u8>(), 0..64), width in 0u32..=32) {
            let mut h = Hybrid::new(&data, width);
            let mut n = 0;
            while n < 10_000 && h.next().is_some() {
                n += 1;
            }
            prop_assert!(n <= 10_000);
        }
    }
}
