//! Streaming CloudTrail input.
//!
//! [`inputs`] turns command-line paths into a list of [`Input`]s (files in a directory tree are
//! walked in name order, so the delivery layout `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`
//! is read in time order; digest files are skipped). [`RecordStream`] reads one input and hands
//! out one record at a time, never holding more than the record being read:
//!
//! - `{"Records":[...]}` as CloudTrail delivers it to S3 (the array is streamed element by element);
//! - a bare JSON array of records (Stratus Red Team's recordings);
//! - JSON Lines, or any sequence of records and `{"Records":[...]}` objects one after the other;
//! - each of them gzip-compressed (recognised by its magic bytes, not its name).
//!
//! The scanner only finds where a record starts and ends (strings, escapes, nesting); each
//! record is then parsed on its own, so a malformed record is reported with its index and
//! skipped while the next ones are still read. A structural error (an unterminated string, a
//! bracket that does not close) ends that input with a diagnostic naming the record index.
//!
//! [`RecordStream::next_parsed`] (what `Detector::process_input` uses) does the same, except that
//! an element of a record array that lies whole in the read buffer is parsed there, in one pass,
//! instead of being scanned for its end, copied out and then parsed; a record the fast parser does
//! not take, or that crosses the buffer's end, is handed out as text as `next_item` would.

use crate::record::{Record, Scratch};
use mlguard_core::Diagnostic;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A record larger than this is reported and the rest of its input skipped.
pub const MAX_RECORD_BYTES: usize = 32 << 20;

/// One source of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    /// The name diagnostics and findings use.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
        }
    }

    /// Opens the input, transparently decompressing gzip.
    pub fn open(&self) -> io::Result<RecordStream> {
        let raw: Box<dyn Read + Send> = match self {
            Input::File(p) => Box::new(File::open(p)?),
            Input::Stdin => Box::new(io::stdin()),
        };
        RecordStream::new(raw)
    }
}

/// Expands paths into inputs: `-` is standard input, a directory is walked recursively (files
/// ending in `.json`, `.json.gz`, `.jsonl`, `.ndjson` or `.gz`, except under
/// `CloudTrail-Digest`), a file is read whatever its name. Unreadable paths become diagnostics.
pub fn inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::Stdin);
        } else if p.is_dir() {
            walk(p, &mut out, &mut diags);
        } else if p.is_file() {
            out.push(Input::File(p.clone()));
        } else {
            diags.push(Diagnostic::error(p.display().to_string(), "", "no such file or directory"));
        }
    }
    (out, diags)
}

fn walk(dir: &Path, out: &mut Vec<Input>, diags: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(dir.display().to_string(), "", format!("cannot list directory: {e}")));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if p.is_dir() {
            // Digest files prove integrity; they hold no events.
            if name != "CloudTrail-Digest" {
                walk(&p, out, diags);
            }
        } else if [".json", ".json.gz", ".jsonl", ".ndjson", ".gz", ".jsonl.gz"].iter().any(|s| name.ends_with(s)) {
            out.push(Input::File(p));
        }
    }
}

/// One record's bytes, or why the input cannot go on.
#[derive(Debug)]
pub enum Item {
    /// The raw JSON text of one record and where it was (`$.Records[3]`, `$[3]`, `line 4`).
    Record { index: u64, place: String, bytes: Vec<u8> },
    /// A problem at a place; `fatal` ends the input.
    Problem { index: u64, place: String, message: String, fatal: bool },
}

/// What a top-level object turned out to be.
#[allow(clippy::large_enum_variant, reason = "returned once per top-level object and matched at once; boxing would allocate per record")]
enum TopObject {
    /// One record (or a problem).
    Item(Parsed),
    /// A `{"Records":[...]}` wrapper: its array is read next.
    Wrapper,
}

enum Mode {
    /// Between top-level values.
    Top,
    /// Inside an array whose elements are records; `records` says it is a `Records` member.
    Array { records: bool, first: bool },
    /// Inside a `{"Records":...}` object after its array, reading remaining members.
    WrapperRest,
    Done,
}

/// What [`RecordStream::next_parsed`] hands out.
#[derive(Debug)]
pub enum Parsed {
    /// A record parsed straight out of the read buffer.
    Record(Record),
    /// A record's text the fast parser did not take, or one that crossed the end of the buffer:
    /// parse it with [`Record::parse_with`], which decides and names the problem.
    Text { index: u64, place: String, bytes: Vec<u8> },
    /// A problem at a place; `fatal` ends the input.
    Problem { index: u64, place: String, message: String, fatal: bool },
}

/// Reads records one at a time from a byte stream. See the module documentation.
pub struct RecordStream {
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    mode: Mode,
    index: u64,
    line: u64,
    /// Bytes consumed so far (of the decompressed stream).
    pub consumed: u64,
    gz_checked: bool,
}

const CHUNK: usize = 256 << 10;

impl RecordStream {
    pub fn new(src: Box<dyn Read + Send>) -> io::Result<RecordStream> {
        let mut s = RecordStream { src, buf: vec![0; CHUNK], pos: 0, len: 0, eof: false, mode: Mode::Top, index: 0, line: 1, consumed: 0, gz_checked: false };
        s.fill()?;
        if s.len - s.pos >= 2 && s.buf[s.pos] == 0x1f && s.buf[s.pos + 1] == 0x8b {
            let rest = s.buf[s.pos..s.len].to_vec();
            let inner = std::mem::replace(&mut s.src, Box::new(io::empty()));
            let chained = io::Cursor::new(rest).chain(inner);
            s.src = Box::new(flate2::read::MultiGzDecoder::new(chained));
            s.pos = 0;
            s.len = 0;
            s.eof = false;
            s.fill()?;
        }
        s.gz_checked = true;
        Ok(s)
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.pos < self.len || self.eof {
            return Ok(());
        }
        self.pos = 0;
        self.len = 0;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos >= self.len {
            self.fill()?;
            if self.pos >= self.len {
                return Ok(None);
            }
        }
        Ok(self.buf.get(self.pos).copied())
    }

    #[inline]
    fn bump(&mut self) {
        if let Some(&b) = self.buf.get(self.pos) {
            if b == b'\n' {
                self.line += 1;
            }
        }
        self.pos += 1;
        self.consumed += 1;
    }

    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.bump(),
                Some(0xef) if self.consumed == 0 => {
                    // A UTF-8 byte-order mark at the very start.
                    self.bump();
                    for _ in 0..2 {
                        if matches!(self.peek()?, Some(0xbb | 0xbf)) {
                            self.bump();
                        }
                    }
                }
                other => return Ok(other),
            }
        }
    }

    /// Copies one complete JSON value (object, array, string or scalar) into `out`.
    ///
    /// Scans the buffered bytes in place (no per-byte call) and copies them in runs.
    fn take_value(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let mut depth: usize = 0;
        let mut in_str = false;
        let mut esc = false;
        let start = out.len();
        loop {
            if self.pos >= self.len {
                self.fill().map_err(|e| format!("read error: {e}"))?;
                if self.pos >= self.len {
                    return Err(if in_str { "unexpected end of input inside a string".into() } else { "unexpected end of input inside a value".into() });
                }
            }
            let buf = self.buf.get(self.pos..self.len).unwrap_or(&[]);
            // (end of the value within `buf`, whether the byte at `end` ends an empty value)
            let mut done: Option<usize> = None;
            let mut empty_close = false;
            let mut i = 0;
            while i < buf.len() {
                let b = buf[i];
                if in_str {
                    if !esc && b != b'"' && b != b'\\' {
                        // Jump to the next quote or backslash.
                        match memchr::memchr2(b'"', b'\\', buf.get(i..).unwrap_or(&[])) {
                            Some(k) => {
                                i += k;
                                continue;
                            }
                            // The value goes on past the buffer: copy it all and read more.
                            None => break,
                        }
                    }
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                        if depth == 0 {
                            done = Some(i + 1);
                            break;
                        }
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            // The end of the enclosing container: a scalar value ended just before.
                            empty_close = out.len() == start && i == 0;
                            done = Some(i);
                            break;
                        }
                        depth -= 1;
                        if depth == 0 {
                            done = Some(i + 1);
                            break;
                        }
                    }
                    b',' | b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => {
                        done = Some(i);
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
            let end = done.unwrap_or(buf.len());
            let chunk = buf.get(..end).unwrap_or(&[]);
            self.line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            out.extend_from_slice(chunk);
            self.pos += end;
            self.consumed += end as u64;
            if empty_close {
                let b = self.buf.get(self.pos).copied().unwrap_or(b'?');
                return Err(format!("unexpected `{}`", b as char));
            }
            if done.is_some() {
                return Ok(());
            }
            if out.len() - start > MAX_RECORD_BYTES {
                return Err(format!("record larger than {MAX_RECORD_BYTES} bytes"));
            }
        }
    }

    fn problem(&self, place: String, message: impl Into<String>, fatal: bool) -> Item {
        Item::Problem { index: self.index, place, message: message.into(), fatal }
    }

    fn parsed_problem(&self, place: String, message: impl Into<String>) -> Parsed {
        Parsed::Problem { index: self.index, place, message: message.into(), fatal: true }
    }

    fn place(&self, records: bool) -> String {
        match &self.mode {
            Mode::Array { records: true, .. } => format!("$.Records[{}]", self.index),
            Mode::Array { records: false, .. } => format!("$[{}]", self.index),
            _ if records => format!("$.Records[{}]", self.index),
            _ => format!("line {}", self.line),
        }
    }

    /// The next record, a problem, or `None` at the end of the input.
    pub fn next_item(&mut self) -> Option<Item> {
        match self.step(None) {
            Ok(Some(Parsed::Text { index, place, bytes })) => Some(Item::Record { index, place, bytes }),
            Ok(Some(Parsed::Problem { index, place, message, fatal })) => Some(Item::Problem { index, place, message, fatal }),
            // Not produced without a scratch buffer; kept whole if it were.
            Ok(Some(Parsed::Record(r))) => Some(Item::Record { index: self.index.saturating_sub(1), place: String::new(), bytes: r.text().to_vec() }),
            Ok(None) => None,
            Err(e) => {
                self.mode = Mode::Done;
                Some(self.problem(format!("record {}", self.index), format!("read error: {e}"), true))
            }
        }
    }

    /// [`RecordStream::next_item`], parsing the elements of an array of records straight out of
    /// the read buffer (no copy into a buffer of their own, no second scan for their end) when
    /// they lie whole within it and the fast parser takes them; other records come as text.
    pub fn next_parsed(&mut self, scratch: &mut Scratch) -> Option<Parsed> {
        match self.step(Some(scratch)) {
            Ok(x) => x,
            Err(e) => {
                self.mode = Mode::Done;
                Some(Parsed::Problem { index: self.index, place: format!("record {}", self.index), message: format!("read error: {e}"), fatal: true })
            }
        }
    }

    fn fatal(&mut self, place: String, message: impl Into<String>) -> Option<Parsed> {
        let item = self.parsed_problem(place, message);
        self.mode = Mode::Done;
        Some(item)
    }

    fn step(&mut self, mut scratch: Option<&mut Scratch>) -> io::Result<Option<Parsed>> {
        loop {
            match self.mode {
                Mode::Done => return Ok(None),
                Mode::Top => {
                    let Some(b) = self.skip_ws()? else {
                        self.mode = Mode::Done;
                        return Ok(None);
                    };
                    match b {
                        b'[' => {
                            self.bump();
                            self.mode = Mode::Array { records: false, first: true };
                        }
                        b'{' => match self.top_object() {
                            Some(TopObject::Item(x)) => return Ok(Some(x)),
                            Some(TopObject::Wrapper) => continue,
                            None => return Ok(None),
                        },
                        b',' => self.bump(),
                        other => {
                            let place = format!("line {}", self.line);
                            return Ok(self.fatal(place, format!("expected a JSON object or array, found `{}`", other as char)));
                        }
                    }
                }
                Mode::Array { records, first } => {
                    let Some(b) = self.skip_ws()? else {
                        let place = self.place(records);
                        return Ok(self.fatal(place, "unexpected end of input inside the array of records"));
                    };
                    if b == b']' {
                        self.bump();
                        self.mode = if records { Mode::WrapperRest } else { Mode::Top };
                        continue;
                    }
                    if !first {
                        if b != b',' {
                            let place = self.place(records);
                            return Ok(self.fatal(place, format!("expected `,` or `]` between records, found `{}`", b as char)));
                        }
                        self.bump();
                        if self.skip_ws()? == Some(b']') {
                            // A trailing comma; tolerated.
                            continue;
                        }
                    }
                    self.mode = Mode::Array { records, first: false };
                    if let Some(sc) = scratch.as_deref_mut() {
                        let buf = self.buf.get(self.pos..self.len).unwrap_or(&[]);
                        if let Some((rec, n, lines)) = Record::parse_prefix_lines(buf, sc) {
                            self.line += lines as u64;
                            self.pos += n;
                            self.consumed += n as u64;
                            self.index += 1;
                            return Ok(Some(Parsed::Record(rec)));
                        }
                    }
                    let place = self.place(records);
                    let mut bytes = Vec::with_capacity(2048);
                    if let Err(m) = self.take_value(&mut bytes) {
                        return Ok(self.fatal(place, m));
                    }
                    let index = self.index;
                    self.index += 1;
                    return Ok(Some(Parsed::Text { index, place, bytes }));
                }
                Mode::WrapperRest => {
                    // Remaining members of the wrapper object after `Records`.
                    let Some(b) = self.skip_ws()? else {
                        return Ok(self.fatal("$".into(), "unexpected end of input: the `{\"Records\":...}` object does not close"));
                    };
                    match b {
                        b'}' => {
                            self.bump();
                            self.mode = Mode::Top;
                        }
                        b',' => {
                            self.bump();
                            let mut scratch = Vec::new();
                            if let Err(m) = self.member(&mut scratch) {
                                return Ok(self.fatal("$".into(), m));
                            }
                        }
                        other => return Ok(self.fatal("$".into(), format!("expected `,` or `}}`, found `{}`", other as char))),
                    }
                }
            }
        }
    }

    /// Reads `"key": value` into `out` (raw), returning the key.
    fn member(&mut self, out: &mut Vec<u8>) -> Result<Vec<u8>, String> {
        let io = |e: io::Error| format!("read error: {e}");
        if self.skip_ws().map_err(io)? != Some(b'"') {
            return Err("expected a member name in double quotes".into());
        }
        let key_start = out.len();
        self.take_value(out)?;
        let key = out[key_start..].to_vec();
        if self.skip_ws().map_err(io)? != Some(b':') {
            return Err("expected `:` after a member name".into());
        }
        self.bump();
        out.push(b':');
        self.skip_ws().map_err(io)?;
        if key == b"\"Records\"" && self.peek().map_err(io)? == Some(b'[') {
            return Ok(key);
        }
        self.take_value(out)?;
        Ok(key)
    }

    /// A top-level object: either a `{"Records":[...]}` wrapper (switch to streaming its array)
    /// or one record (JSON Lines).
    fn top_object(&mut self) -> Option<TopObject> {
        let line = self.line;
        let place = format!("line {line}");
        let mut bytes = Vec::with_capacity(2048);
        bytes.push(b'{');
        self.bump();
        let io = |e: io::Error| format!("read error: {e}");
        let mut first = true;
        loop {
            let next = match self.skip_ws().map_err(io) {
                Ok(n) => n,
                Err(m) => return self.fatal(place, m).map(TopObject::Item),
            };
            match next {
                Some(b'}') if first || bytes.last() != Some(&b',') => {
                    bytes.push(b'}');
                    self.bump();
                    let index = self.index;
                    self.index += 1;
                    return Some(TopObject::Item(Parsed::Text { index, place, bytes }));
                }
                Some(b',') if !first => {
                    bytes.push(b',');
                    self.bump();
                }
                Some(_) if first || bytes.last() == Some(&b',') => {
                    first = false;
                    let before = bytes.len();
                    match self.member(&mut bytes) {
                        Ok(key) if key == b"\"Records\"" && self.peek().ok().flatten() == Some(b'[') => {
                            bytes.truncate(before);
                            self.bump();
                            self.mode = Mode::Array { records: true, first: true };
                            return Some(TopObject::Wrapper);
                        }
                        Ok(_) => {}
                        Err(m) => return self.fatal(place, m).map(TopObject::Item),
                    }
                }
                Some(b) => return self.fatal(place, format!("expected `,` or `}}` in an object, found `{}`", b as char)).map(TopObject::Item),
                None => return self.fatal(place, "unexpected end of input inside an object").map(TopObject::Item),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &[u8]) -> Vec<Result<String, String>> {
        let mut s = RecordStream::new(Box::new(io::Cursor::new(text.to_vec()))).unwrap();
        let mut v = Vec::new();
        while let Some(i) = s.next_item() {
            match i {
                Item::Record { bytes, place, .. } => v.push(Ok(format!("{place} {}", String::from_utf8_lossy(&bytes)))),
                Item::Problem { place, message, .. } => v.push(Err(format!("{place} {message}"))),
            }
        }
        v
    }

    #[test]
    fn records_wrapper_streams_elements() {
        let v = items(br#"{"Records":[{"a":1},{"b":"x]}"}]}"#);
        assert_eq!(v, vec![Ok(r#"$.Records[0] {"a":1}"#.to_string()), Ok(r#"$.Records[1] {"b":"x]}"}"#.to_string())]);
    }

    #[test]
    fn wrapper_with_other_members_before_and_after() {
        let v = items(br#"{"x": [1,2], "Records": [ {"a":1} ] , "y": {"z":"}"}}"#);
        assert_eq!(v, vec![Ok(r#"$.Records[0] {"a":1}"#.to_string())]);
    }

    #[test]
    fn bare_array_and_json_lines() {
        assert_eq!(items(b"[{\"a\":1},\n {\"a\":2}]").len(), 2);
        let v = items(b"{\"a\":1}\n{\"a\":\"q\\\"}\"}\n");
        assert_eq!(v, vec![Ok("line 1 {\"a\":1}".to_string()), Ok("line 2 {\"a\":\"q\\\"}\"}".to_string())]);
    }

    #[test]
    fn gzip_is_recognised_by_magic() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(br#"{"Records":[{"a":1}]}"#).unwrap();
        let v = items(&e.finish().unwrap());
        assert_eq!(v, vec![Ok(r#"$.Records[0] {"a":1}"#.to_string())]);
    }

    /// `next_parsed` hands out the records and problems `next_item` does, in the same places,
    /// whether a record lies within the read buffer or crosses its end, is malformed or repeats
    /// a member name.
    fn same_as_next_item(text: &[u8]) -> (usize, usize) {
        let mut a = RecordStream::new(Box::new(io::Cursor::new(text.to_vec()))).unwrap();
        let mut b = RecordStream::new(Box::new(io::Cursor::new(text.to_vec()))).unwrap();
        let mut scratch = Scratch::default();
        let (mut n, mut parsed, mut copied) = (0, 0, 0);
        loop {
            let (x, y) = (a.next_item(), b.next_parsed(&mut scratch));
            match &y {
                Some(Parsed::Record(_)) => parsed += 1,
                Some(Parsed::Text { .. }) => copied += 1,
                _ => {}
            }
            match (x, y) {
                (None, None) => break,
                (Some(Item::Record { bytes, index, .. }), Some(Parsed::Record(r))) => {
                    assert_eq!(r.text(), &bytes[..], "record {index}");
                    assert_eq!(Record::parse(bytes).map(|r| r.time).ok(), Some(r.time));
                }
                (Some(Item::Record { bytes, index, place }), Some(Parsed::Text { bytes: b2, index: i2, place: p2 })) => assert_eq!((bytes, index, place), (b2, i2, p2)),
                (Some(Item::Problem { index, place, message, fatal }), Some(Parsed::Problem { index: i2, place: p2, message: m2, fatal: f2 })) => assert_eq!((index, place, message, fatal), (i2, p2, m2, f2)),
                (x, y) => panic!("item {n}: {x:?} against {y:?}"),
            }
            assert_eq!((a.line, a.consumed, a.index), (b.line, b.consumed, b.index), "item {n}");
            n += 1;
        }
        (parsed, copied)
    }

    #[test]
    fn parsing_in_the_buffer_gives_what_copying_out_gives() {
        let mut big = b"{\"Records\":[".to_vec();
        for i in 0..6000 {
            if i > 0 {
                big.extend_from_slice(if i % 7 == 0 { b",\n " } else { b"," });
            }
            let rec = match i % 500 {
                13 => format!("{{\"eventID\":\"{i}\",\"a\":1,\"a\":2}}"),
                14 => format!("{{\"eventID\":\"{i}\",\"s\":\"q\\\"\\u00e9\\n\",\"n\":-1.5e3,\"t\":[true,false,null,{{}}]}}"),
                15 => "[1]".to_string(),
                16 => format!("{{\"eventID\":\"{i}\",\"bad\":01}}"),
                _ => format!("{{\"eventID\":\"{i}\",\"eventTime\":\"2024-01-01T00:00:{:02}Z\",\"eventName\":\"GetObject\",\"userIdentity\":{{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1:assumed-role/R/{i}\"}},\"pad\":\"{}\"}}", i % 60, "x".repeat(i % 97)),
            };
            big.extend_from_slice(rec.as_bytes());
        }
        big.extend_from_slice(b"]}\n[{\"a\":1}, 7, {\"b\":\n\"x\"}]\n{\"c\":3}\n");
        let (parsed, copied) = same_as_next_item(&big);
        // Most records are parsed in the buffer; those crossing its end (about 5 in 1.2 MB), the
        // malformed ones and the JSON Lines are copied out.
        assert!(parsed > 5900 && copied >= 20, "{parsed} {copied}");
        // Truncated at many places, some inside a record that crosses the buffer's end.
        for cut in [1, 20, 300, 262_143, 262_144, 262_150, 400_001, big.len() - 30] {
            same_as_next_item(big.get(..cut).unwrap_or(&big));
        }
        for text in [&br#"{"Records":[{"a":1},{"b":"x]}"}]}"#[..], br#"[{"a":1},{"a":"#, br#"{"Records":[{"a":1}x]}"#, br#"[{"a":1},]"#, b"[{\"a\":\"\xff\"}]"] {
            same_as_next_item(text);
        }
    }

    proptest::proptest! {
        /// Mutated and truncated deliveries: both ways agree, and neither panics.
        #[test]
        fn parsing_in_the_buffer_agrees_on_mutated_input(edits in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 0..6), cut in 1usize..4096) {
            let mut t = br#"{"Records":[{"eventID":"a","eventName":"GetObject","n":[1,-2.5e3,true,null],"o":{"k":"v\"\u00e9"}},{"eventID":"b","x":{}},{"eventID":"c","s":"abcdefghijklmnopqrstuvwxyz0123456789"}],"more":1}"#.to_vec();
            for (i, b) in edits {
                let n = t.len();
                if let Some(x) = t.get_mut(i % n) {
                    *x = b;
                }
            }
            t.truncate(cut);
            same_as_next_item(&t);
        }
    }

    #[test]
    fn truncated_input_is_a_problem_with_index() {
        let v = items(br#"[{"a":1},{"a":"#);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1], Err("$[1] unexpected end of input inside a value".to_string()));
        let v = items(br#"{"Records":[{"a":1},{"a":"x"#);
        assert_eq!(v[1], Err("$.Records[1] unexpected end of input inside a string".to_string()));
    }
}
