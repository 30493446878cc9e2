//! The audit log: append-only, hash-chained JSON Lines in `audit.log`.
//!
//! # Format
//!
//! One entry per line, UTF-8, each line ending in `\n`. An entry is the compact JSON of
//! [`LogEntry`] with its members in this order: `seq` (1, 2, 3…), `prev`, `time` (RFC 3339,
//! UTC), `actor`, `action`, `target`, `reason`, `details` (an object of strings, keys sorted),
//! `hash`. Both `prev` and `hash` are lowercase hex SHA-256:
//!
//! - `hash` is the SHA-256 of the entry's *canonical body*: the same compact JSON without the
//!   `hash` member, i.e. the line's bytes up to (not including) `,"hash":`, followed by `}`.
//! - `prev` is the previous entry's `hash`; the first entry's `prev` is [`GENESIS`]
//!   (64 zeros).
//!
//! A line must be exactly the canonical serialization of the entry it parses to, so any
//! changed byte is detected. The committed head (number of entries and last hash) is also kept
//! in the metadata store, in the same transaction as the state change the entry records, so a
//! removed *last* entry is detected too. Verification needs only `audit.log` and
//! `registry.redb` from a copy of the data directory: see [`verify_dir`].
//!
//! # What verification can and cannot tell
//!
//! [`verify_file`] reports the first position at which a check fails: an entry whose bytes
//! were edited fails its own `hash` (or canonical form) at its position; a removed, inserted or
//! swapped entry breaks the `seq` numbering or the `prev` link at the first position affected.
//! Someone who rewrites an entry *and* recomputes its `hash` is caught at the next entry's
//! `prev`; someone who recomputes the whole chain and the head in the database is not caught:
//! publish [`crate::Registry::log_head`] elsewhere (or sign it) to anchor it.
//!
//! # Writing
//!
//! An entry is appended and `fdatasync`ed *before* the metadata transaction commits. If the
//! process dies in between, the file holds one entry beyond the committed head (or a torn
//! partial line); opening the registry removes exactly that uncommitted tail, and nothing else.

use crate::error::LogError;
use crate::meta::LogHead;
use crate::model::Sha256Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The `prev` of the first entry.
pub const GENESIS: Sha256Digest = Sha256Digest([0u8; 32]);

/// File name of the log in the data directory.
pub const LOG_FILE: &str = "audit.log";

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    pub seq: u64,
    pub prev: Sha256Digest,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The principal that made the change.
    pub actor: String,
    /// What was done, e.g. `CreateModelPackageGroup`, `PushModelVersion`, `UpdateApproval`.
    pub action: String,
    /// What it was done to, e.g. `fraud/3` or `fraud@production`.
    pub target: String,
    pub reason: String,
    pub details: BTreeMap<String, String>,
    pub hash: Sha256Digest,
}

/// The entry without its hash: the bytes that are hashed.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    prev: &'a Sha256Digest,
    #[serde(with = "time::serde::rfc3339")]
    time: OffsetDateTime,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    reason: &'a str,
    details: &'a BTreeMap<String, String>,
}

/// What a state change records; the log adds the sequence number, chain and time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRecord {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub details: BTreeMap<String, String>,
}

impl LogRecord {
    pub fn new(actor: &str, action: &str, target: impl Into<String>, reason: &str) -> LogRecord {
        LogRecord { actor: actor.to_string(), action: action.to_string(), target: target.into(), reason: reason.to_string(), details: BTreeMap::new() }
    }

    /// Adds a detail.
    pub fn with(mut self, key: &str, value: impl ToString) -> LogRecord {
        self.details.insert(key.to_string(), value.to_string());
        self
    }
}

impl LogEntry {
    fn body(&self) -> Body<'_> {
        Body {
            seq: self.seq,
            prev: &self.prev,
            time: self.time,
            actor: &self.actor,
            action: &self.action,
            target: &self.target,
            reason: &self.reason,
            details: &self.details,
        }
    }

    /// SHA-256 of the canonical body.
    pub fn compute_hash(&self) -> Result<Sha256Digest, serde_json::Error> {
        Ok(Sha256Digest::of(&serde_json::to_vec(&self.body())?))
    }

    /// Builds the entry that follows `head`.
    pub fn next(head: &LogHead, record: LogRecord, time: OffsetDateTime) -> Result<LogEntry, serde_json::Error> {
        let mut e = LogEntry {
            seq: head.seq + 1,
            prev: head.hash,
            time,
            actor: record.actor,
            action: record.action,
            target: record.target,
            reason: record.reason,
            details: record.details,
            hash: GENESIS,
        };
        e.hash = e.compute_hash()?;
        Ok(e)
    }

    /// The canonical line, without its `\n`.
    pub fn to_line(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// The head after this entry.
    pub fn head(&self) -> LogHead {
        LogHead { seq: self.seq, hash: self.hash }
    }
}

/// Why verification stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogProblem {
    /// The line is not a readable entry (or not valid UTF-8 JSON).
    Unreadable(String),
    /// The line parses but is not the canonical serialization of what it parses to.
    NotCanonical,
    /// The entry's content does not match its `hash`: it was edited.
    HashMismatch,
    /// The entry's `seq` is not its position: an entry was removed, inserted or moved.
    SeqMismatch { found: u64 },
    /// The entry's `prev` is not the previous entry's `hash`.
    ChainBroken,
    /// The file ends before the committed head: entries from this position on are missing.
    Missing { committed: u64 },
    /// The file continues past the committed head, or its last hash differs from the head's.
    HeadMismatch { committed: u64 },
}

impl std::fmt::Display for LogProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogProblem::Unreadable(m) => write!(f, "unreadable entry: {m}"),
            LogProblem::NotCanonical => f.write_str("entry bytes are not in canonical form (edited)"),
            LogProblem::HashMismatch => f.write_str("entry content does not match its hash (edited)"),
            LogProblem::SeqMismatch { found } => write!(f, "entry has sequence number {found} (entries removed, inserted or reordered)"),
            LogProblem::ChainBroken => f.write_str("entry does not chain to the previous entry's hash"),
            LogProblem::Missing { committed } => write!(f, "log ends here but {committed} entries were committed"),
            LogProblem::HeadMismatch { committed } => write!(f, "log does not end at the committed head ({committed} entries)"),
        }
    }
}

/// The outcome of verifying the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// Entries checked and found good before the first problem (all of them if none).
    pub valid_entries: u64,
    /// The first bad position (1-based) and why, if any.
    pub first_bad: Option<(u64, LogProblem)>,
}

impl LogReport {
    pub fn is_intact(&self) -> bool {
        self.first_bad.is_none()
    }
}

fn io(op: &'static str, path: &Path) -> impl Fn(std::io::Error) -> LogError {
    let path = path.display().to_string();
    move |source| LogError::Io { op, path: path.clone(), source }
}

/// Checks one line at `position` (1-based) after `prev`; returns the entry's hash.
fn check_line(line: &[u8], position: u64, prev: &Sha256Digest) -> Result<Sha256Digest, LogProblem> {
    let entry: LogEntry = serde_json::from_slice(line).map_err(|e| LogProblem::Unreadable(e.to_string()))?;
    let canonical = entry.to_line().map_err(|e| LogProblem::Unreadable(e.to_string()))?;
    if canonical != line {
        return Err(LogProblem::NotCanonical);
    }
    if entry.compute_hash().map_err(|e| LogProblem::Unreadable(e.to_string()))? != entry.hash {
        return Err(LogProblem::HashMismatch);
    }
    if entry.seq != position {
        return Err(LogProblem::SeqMismatch { found: entry.seq });
    }
    if entry.prev != *prev {
        return Err(LogProblem::ChainBroken);
    }
    Ok(entry.hash)
}

/// Verifies a log file, streaming it, against the committed head if one is given.
pub fn verify_file(path: &Path, head: Option<&LogHead>) -> Result<LogReport, LogError> {
    let f = match File::open(path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io("opening", path)(e)),
    };
    let mut prev = GENESIS;
    let mut n: u64 = 0;
    if let Some(f) = f {
        let mut r = BufReader::with_capacity(1 << 16, f);
        let mut line = Vec::new();
        loop {
            line.clear();
            let k = r.read_until(b'\n', &mut line).map_err(io("reading", path))?;
            if k == 0 {
                break;
            }
            let position = n + 1;
            let body = match line.strip_suffix(b"\n") {
                Some(b) => b,
                None => return Ok(LogReport { valid_entries: n, first_bad: Some((position, LogProblem::Unreadable("line has no final newline (torn write)".into()))) }),
            };
            match check_line(body, position, &prev) {
                Ok(h) => prev = h,
                Err(p) => return Ok(LogReport { valid_entries: n, first_bad: Some((position, p)) }),
            }
            n = position;
        }
    }
    if let Some(head) = head {
        if n < head.seq {
            return Ok(LogReport { valid_entries: n, first_bad: Some((n + 1, LogProblem::Missing { committed: head.seq })) });
        }
        if n > head.seq {
            return Ok(LogReport { valid_entries: head.seq, first_bad: Some((head.seq + 1, LogProblem::HeadMismatch { committed: head.seq })) });
        }
        if prev != head.hash {
            return Ok(LogReport { valid_entries: n.saturating_sub(1), first_bad: Some((n.max(1), LogProblem::HeadMismatch { committed: head.seq })) });
        }
    }
    Ok(LogReport { valid_entries: n, first_bad: None })
}

/// Verifies the log of a registry data directory (`audit.log` against the head committed in
/// `registry.redb`), with nothing else: a copy of those two files is enough. The directory must
/// not be open by a running registry (verify a copy, or use [`crate::Registry::verify_log`]).
pub fn verify_dir(dir: &Path) -> Result<LogReport, crate::error::RegistryError> {
    use crate::meta::MetadataStore as _;
    let store = crate::meta_redb::RedbStore::open_existing(&dir.join(crate::registry::META_FILE))?;
    let head = store.read()?.log_head()?;
    Ok(verify_file(&dir.join(LOG_FILE), Some(&head))?)
}

/// Reads every entry of a log file (no verification).
pub fn read_entries(path: &Path) -> Result<Vec<LogEntry>, LogError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("opening", path)(e)),
    };
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(io("reading", path))?;
        let e = serde_json::from_str(&line).map_err(|e| LogError::Format { path: path.display().to_string(), message: format!("entry {}: {e}", i + 1) })?;
        out.push(e);
    }
    Ok(out)
}

/// The open log file, appended by one writer at a time.
pub(crate) struct LogWriter {
    path: PathBuf,
    file: File,
    len: u64,
}

impl LogWriter {
    /// Opens (creating) the log and removes an uncommitted tail: a torn last line, or one
    /// complete entry that follows the committed head exactly.
    pub(crate) fn open(path: &Path, head: &LogHead) -> Result<LogWriter, LogError> {
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io("opening", path))?;
        let mut len = file.metadata().map_err(io("reading metadata", path))?.len();
        // Tail: at most the last two lines matter.
        let (tail_start, tail) = read_tail(&mut file, len, path)?;
        let mut cut: Option<u64> = None;
        let mut complete_end = tail.len();
        if !tail.is_empty() && !tail.ends_with(b"\n") {
            // A torn append: drop the partial line.
            let start = tail.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            cut = Some(tail_start + start as u64);
            complete_end = start;
        }
        let complete = tail.get(..complete_end).unwrap_or_default();
        if let Some(body) = complete.strip_suffix(b"\n") {
            let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if let Ok(last) = serde_json::from_slice::<LogEntry>(body.get(start..).unwrap_or_default()) {
                if last.seq == head.seq + 1 && last.prev == head.hash {
                    cut = Some(tail_start + start as u64);
                }
            }
        }
        if let Some(at) = cut {
            file.set_len(at).map_err(io("truncating uncommitted tail", path))?;
            file.sync_all().map_err(io("syncing", path))?;
            len = at;
        }
        Ok(LogWriter { path: path.to_path_buf(), file, len })
    }

    /// Appends one entry and makes it durable; returns the length before it, for [`Self::undo`].
    pub(crate) fn append(&mut self, entry: &LogEntry) -> Result<u64, LogError> {
        let mut line = entry.to_line().map_err(|e| LogError::Format { path: self.path.display().to_string(), message: e.to_string() })?;
        line.push(b'\n');
        let before = self.len;
        let res = self.file.write_all(&line).and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            let _ = self.undo(before);
            return Err(io("appending", &self.path)(e));
        }
        self.len = before + line.len() as u64;
        Ok(before)
    }

    /// Removes what was appended after `len` (the transaction it recorded did not commit).
    pub(crate) fn undo(&mut self, len: u64) -> Result<(), LogError> {
        self.file.set_len(len).and_then(|()| self.file.sync_all()).map_err(io("truncating", &self.path))?;
        self.len = len;
        Ok(())
    }
}

/// Reads enough of the end of the file to hold its last two lines: (offset, bytes).
fn read_tail(file: &mut File, len: u64, path: &Path) -> Result<(u64, Vec<u8>), LogError> {
    let mut window: u64 = 1 << 16;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start)).map_err(io("seeking", path))?;
        let mut buf = Vec::new();
        Read::by_ref(file).take(len - start).read_to_end(&mut buf).map_err(io("reading", path))?;
        // Three newlines guarantee two whole lines (plus a possible partial one) are inside.
        if start == 0 || buf.iter().filter(|b| **b == b'\n').count() >= 3 {
            return Ok((start, buf));
        }
        window *= 4;
    }
}
