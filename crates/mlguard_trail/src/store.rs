//! The state under `--state DIR`: one `redb` database file, `baselines.redb`.
//!
//! Why redb: pure Rust (no C toolchain, no `unsafe` in our code), ACID with copy-on-write
//! B-trees and a crash-safe commit (a torn write leaves the previous commit intact), one file,
//! MIT/Apache-2.0. SQLite would need a C build; sled is unmaintained; LMDB bindings are C.
//!
//! Tables: `principals` (principal → JSON baseline), `buckets` (ML bucket → writers),
//! `sequences` (notebook creators for `CT-PRIVESC-002`), and `seen` (64-bit hash of each
//! processed `eventID`). A run reads them at the start and writes everything it changed in
//! **one** write transaction at the end, so a crash before that commit loses the run and a
//! rerun counts it once; a crash after it leaves every record already counted, and the rerun
//! skips those records by their `eventID`.

use crate::baseline::{Baselines, BucketBase, Principal};
use crate::builtin::SeqState;
use redb::{Database, ReadOnlyTable, ReadableTable, TableDefinition};
use std::path::{Path, PathBuf};

const PRINCIPALS: TableDefinition<&str, &[u8]> = TableDefinition::new("principals");
const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
const SEQUENCES: TableDefinition<&str, &[u8]> = TableDefinition::new("sequences");
const SEEN: TableDefinition<u64, ()> = TableDefinition::new("seen");

#[derive(Debug, thiserror::Error)]
#[error("state store `{path}`: {message}")]
pub struct StoreError {
    pub path: String,
    pub message: String,
}

/// An open state store.
pub struct Store {
    db: Database,
    path: PathBuf,
    seen: Option<ReadOnlyTable<u64, ()>>,
}

/// FNV-1a over the event id: the key of the `seen` table.
pub fn event_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Store {
    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError { path: self.path.display().to_string(), message: e.to_string() }
    }

    /// Opens (creating if needed) `dir/baselines.redb` and loads the baselines and sequence state.
    pub fn open(dir: &Path) -> Result<(Store, Baselines, SeqState), StoreError> {
        let path = dir.join("baselines.redb");
        let mk = |m: String| StoreError { path: path.display().to_string(), message: m };
        std::fs::create_dir_all(dir).map_err(|e| mk(format!("cannot create directory: {e}")))?;
        let db = Database::create(&path).map_err(|e| mk(e.to_string()))?;
        // Make sure every table exists so reads need no special case.
        let w = db.begin_write().map_err(|e| mk(e.to_string()))?;
        {
            w.open_table(PRINCIPALS).map_err(|e| mk(e.to_string()))?;
            w.open_table(BUCKETS).map_err(|e| mk(e.to_string()))?;
            w.open_table(SEQUENCES).map_err(|e| mk(e.to_string()))?;
            w.open_table(SEEN).map_err(|e| mk(e.to_string()))?;
        }
        w.commit().map_err(|e| mk(e.to_string()))?;
        let mut store = Store { db, path: path.clone(), seen: None };
        let mut base = Baselines::default();
        let mut seq = SeqState::default();
        let r = store.db.begin_read().map_err(|e| store.err(e))?;
        {
            let t = r.open_table(PRINCIPALS).map_err(|e| store.err(e))?;
            for row in t.iter().map_err(|e| store.err(e))? {
                let (k, v) = row.map_err(|e| store.err(e))?;
                let p: Principal = serde_json::from_slice(v.value()).map_err(|e| store.err(format!("principal `{}` unreadable: {e}", k.value())))?;
                base.principals.insert(k.value().to_string(), p);
            }
            let t = r.open_table(BUCKETS).map_err(|e| store.err(e))?;
            for row in t.iter().map_err(|e| store.err(e))? {
                let (k, v) = row.map_err(|e| store.err(e))?;
                let b: BucketBase = serde_json::from_slice(v.value()).map_err(|e| store.err(format!("bucket `{}` unreadable: {e}", k.value())))?;
                base.buckets.insert(k.value().to_string(), b);
            }
            let t = r.open_table(SEQUENCES).map_err(|e| store.err(e))?;
            if let Some(v) = t.get("state").map_err(|e| store.err(e))? {
                seq = serde_json::from_slice(v.value()).map_err(|e| store.err(format!("sequence state unreadable: {e}")))?;
            }
        }
        store.seen = Some(r.open_table(SEEN).map_err(|e| store.err(e))?);
        Ok((store, base, seq))
    }

    /// Whether a record with this event-id hash was committed by an earlier run.
    pub fn seen(&self, hash: u64) -> bool {
        self.seen.as_ref().and_then(|t| t.get(hash).ok().flatten()).is_some()
    }

    /// Writes the changed baselines, the sequence state and the new event ids in one transaction.
    pub fn commit(mut self, base: &Baselines, seq: &SeqState, new_seen: &[u64]) -> Result<(), StoreError> {
        self.seen = None;
        let w = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut t = w.open_table(PRINCIPALS).map_err(|e| self.err(e))?;
            for k in &base.dirty {
                if let Some(p) = base.principals.get(k) {
                    let v = serde_json::to_vec(p).map_err(|e| self.err(e))?;
                    t.insert(k.as_str(), v.as_slice()).map_err(|e| self.err(e))?;
                }
            }
            let mut t = w.open_table(BUCKETS).map_err(|e| self.err(e))?;
            for k in &base.dirty_buckets {
                if let Some(b) = base.buckets.get(k) {
                    let v = serde_json::to_vec(b).map_err(|e| self.err(e))?;
                    t.insert(k.as_str(), v.as_slice()).map_err(|e| self.err(e))?;
                }
            }
            let mut t = w.open_table(SEQUENCES).map_err(|e| self.err(e))?;
            let v = serde_json::to_vec(seq).map_err(|e| self.err(e))?;
            t.insert("state", v.as_slice()).map_err(|e| self.err(e))?;
            let mut t = w.open_table(SEEN).map_err(|e| self.err(e))?;
            let mut sorted = new_seen.to_vec();
            sorted.sort_unstable();
            for h in sorted {
                t.insert(h, ()).map_err(|e| self.err(e))?;
            }
        }
        w.commit().map_err(|e| self.err(e))?;
        Ok(())
    }
}
