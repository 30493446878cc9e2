//! The state under `--state DIR`: one `redb` database file, `baselines.redb`.
//!
//! Why redb: pure Rust (no C toolchain, no `unsafe` in our code), ACID with copy-on-write
//! B-trees and a crash-safe commit (a torn write leaves the previous commit intact), one file,
//! MIT/Apache-2.0. SQLite would need a C build; sled is unmaintained; LMDB bindings are C.
//!
//! Tables: `principals` (principal → JSON baseline), `buckets` (ML bucket → writers),
//! `sequences` (notebook creators for `CT-PRIVESC-002`), and `seen_blocks` (the 64-bit hashes of
//! the processed `eventID`s). A run reads them at the start and writes everything it changed in
//! **one** write transaction at the end, so a crash before that commit loses the run and a
//! rerun counts it once; a crash after it leaves every record already counted, and the rerun
//! skips those records by their `eventID`.
//!
//! # The seen event ids
//!
//! `seen_blocks` maps a block number to a sorted array of distinct event-id hashes (little-endian
//! `u64`s, 8 bytes each). A run adds one block with the hashes it processed that no block holds,
//! then, in the same transaction, merges the newest block into the one before it for as long as
//! that one is at most twice its size (size-tiered, like a binary counter): each block is more
//! than twice the size of the next newer one, so n hashes take at most about log2(n) blocks, and
//! each hash is rewritten O(log n) times over the store's life. No block grows past
//! [`MAX_BLOCK`] hashes (128 MiB as a redb value): a merge that would is not made, and a run with
//! more new hashes adds several blocks, so past that size the count is at most about
//! 2n / `MAX_BLOCK` + 24 blocks. A lookup is a binary search in each block.
//!
//! Memory: the blocks are read into memory when the store opens, **8 MiB per million seen
//! events** (the sorted arrays, no hash table), and held for the run; the commit needs up to as
//! much again while it merges. Besides that the run itself keeps the hashes it processes in a
//! hash set (about 16–32 MiB per million events of that run). Opening costs a read of the blocks
//! (8 bytes an event). Earlier versions kept one `seen` row per hash (a redb insert of about
//! 16,000 instructions per record); a store in that format is converted when it opens: its rows
//! become one block and the `seen` table is deleted, in one write transaction.

use crate::baseline::{Baselines, BucketBase, Principal};
use crate::builtin::SeqState;
use redb::{Database, ReadableTable, Table, TableDefinition, TableHandle};
use std::path::{Path, PathBuf};

const PRINCIPALS: TableDefinition<&str, &[u8]> = TableDefinition::new("principals");
const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
const SEQUENCES: TableDefinition<&str, &[u8]> = TableDefinition::new("sequences");
const SEEN_BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("seen_blocks");
/// The table of the earlier format (one row per hash), converted when a store opens.
const SEEN_ROWS: TableDefinition<u64, ()> = TableDefinition::new("seen");

/// The most hashes one block holds (128 MiB as a redb value).
pub const MAX_BLOCK: usize = 1 << 24;

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
    /// The `seen_blocks` rows, oldest first: (block number, sorted distinct hashes).
    blocks: Vec<(u64, Vec<u64>)>,
}

/// FNV-1a over the event id: the key of the seen event ids.
pub fn event_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn encode(hashes: &[u64]) -> Vec<u8> {
    let mut v = Vec::with_capacity(hashes.len() * 8);
    for h in hashes {
        v.extend_from_slice(&h.to_le_bytes());
    }
    v
}

/// A block's value as sorted distinct hashes (sorted again if a damaged store left it unsorted).
fn decode(bytes: &[u8]) -> Option<Vec<u64>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    let mut v: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect();
    if !v.is_sorted_by(|a, b| a < b) {
        v.sort_unstable();
        v.dedup();
    }
    Some(v)
}

/// The union of two sorted arrays of distinct hashes.
fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x <= y {
            out.push(x);
            i += 1;
            j += usize::from(x == y);
        } else {
            out.push(y);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn contains(blocks: &[(u64, Vec<u64>)], hash: u64) -> bool {
    blocks.iter().any(|(_, b)| b.binary_search(&hash).is_ok())
}

/// Appends sorted distinct hashes (none of them in `blocks`) as a block, or as several of at most
/// `max` hashes, each merged into the blocks before it while each is at most twice the size of
/// what is merged and the result holds at most `max`: see the module doc.
fn add_block(t: &mut Table<u64, &[u8]>, blocks: &mut Vec<(u64, Vec<u64>)>, fresh: Vec<u64>, max: usize) -> Result<(), redb::StorageError> {
    if fresh.len() <= max {
        return add_one(t, blocks, fresh, max);
    }
    for part in fresh.chunks(max.max(1)) {
        add_one(t, blocks, part.to_vec(), max)?;
    }
    Ok(())
}

fn add_one(t: &mut Table<u64, &[u8]>, blocks: &mut Vec<(u64, Vec<u64>)>, fresh: Vec<u64>, max: usize) -> Result<(), redb::StorageError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let mut key = blocks.last().map(|b| b.0 + 1).unwrap_or(0);
    let mut cur = fresh;
    while let Some((k, prev)) = blocks.last() {
        if prev.len() > 2 * cur.len() || prev.len() + cur.len() > max {
            break;
        }
        cur = merge(prev, &cur);
        if *k != key {
            t.remove(key)?;
        }
        key = *k;
        blocks.pop();
    }
    t.insert(key, encode(&cur).as_slice())?;
    blocks.push((key, cur));
    Ok(())
}

impl Store {
    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError { path: self.path.display().to_string(), message: e.to_string() }
    }

    /// Opens (creating if needed) `dir/baselines.redb` and loads the baselines and sequence
    /// state (and the seen event ids, converting a store of the earlier one-row-per-id format).
    pub fn open(dir: &Path) -> Result<(Store, Baselines, SeqState), StoreError> {
        let path = dir.join("baselines.redb");
        let mk = |m: String| StoreError { path: path.display().to_string(), message: m };
        std::fs::create_dir_all(dir).map_err(|e| mk(format!("cannot create directory: {e}")))?;
        let db = Database::create(&path).map_err(|e| mk(e.to_string()))?;
        let mut blocks = Vec::new();
        // Make sure every table exists so reads need no special case; read the seen blocks and
        // convert rows of the earlier format.
        let w = db.begin_write().map_err(|e| mk(e.to_string()))?;
        {
            w.open_table(PRINCIPALS).map_err(|e| mk(e.to_string()))?;
            w.open_table(BUCKETS).map_err(|e| mk(e.to_string()))?;
            w.open_table(SEQUENCES).map_err(|e| mk(e.to_string()))?;
            let mut t = w.open_table(SEEN_BLOCKS).map_err(|e| mk(e.to_string()))?;
            for row in t.iter().map_err(|e| mk(e.to_string()))? {
                let (k, v) = row.map_err(|e| mk(e.to_string()))?;
                let b = decode(v.value()).ok_or_else(|| mk(format!("seen block {} unreadable", k.value())))?;
                blocks.push((k.value(), b));
            }
            let old = w.list_tables().map_err(|e| mk(e.to_string()))?.any(|h| h.name() == SEEN_ROWS.name());
            if old {
                let mut rows = Vec::new();
                {
                    let o = w.open_table(SEEN_ROWS).map_err(|e| mk(e.to_string()))?;
                    for row in o.iter().map_err(|e| mk(e.to_string()))? {
                        let (k, _) = row.map_err(|e| mk(e.to_string()))?;
                        let h = k.value();
                        if !contains(&blocks, h) {
                            rows.push(h);
                        }
                    }
                }
                // Keys come out in order, so the block is sorted already.
                add_block(&mut t, &mut blocks, rows, MAX_BLOCK).map_err(|e| mk(e.to_string()))?;
                w.delete_table(SEEN_ROWS).map_err(|e| mk(e.to_string()))?;
            }
        }
        w.commit().map_err(|e| mk(e.to_string()))?;
        let store = Store { db, path: path.clone(), blocks };
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
        Ok((store, base, seq))
    }

    /// Whether a record with this event-id hash was committed by an earlier run.
    #[inline]
    pub fn seen(&self, hash: u64) -> bool {
        contains(&self.blocks, hash)
    }

    /// How many blocks of seen event ids the store holds, and how many hashes in all.
    pub fn seen_blocks(&self) -> (usize, usize) {
        (self.blocks.len(), self.blocks.iter().map(|b| b.1.len()).sum())
    }

    /// Writes the changed baselines, the sequence state and the new event ids in one
    /// transaction. Hashes in `new_seen` the store already holds, or given twice, are stored once.
    pub fn commit(mut self, base: &Baselines, seq: &SeqState, new_seen: &[u64]) -> Result<(), StoreError> {
        let mut fresh: Vec<u64> = new_seen.iter().copied().filter(|h| !self.seen(*h)).collect();
        fresh.sort_unstable();
        fresh.dedup();
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
            let mut t = w.open_table(SEEN_BLOCKS).map_err(|e| self.err(e))?;
            let mut blocks = std::mem::take(&mut self.blocks);
            add_block(&mut t, &mut blocks, fresh, MAX_BLOCK).map_err(|e| self.err(e))?;
        }
        w.commit().map_err(|e| self.err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mlguard-trail-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// Distinct pseudo-random hashes.
    fn hashes(seed: u64, n: usize) -> Vec<u64> {
        (0..n as u64).map(|i| event_hash(&format!("{seed}-{i}"))).collect()
    }

    fn commit(dir: &Path, new: &[u64]) -> (usize, usize) {
        let (s, b, q) = Store::open(dir).unwrap();
        s.commit(&b, &q, new).unwrap();
        let (s, _, _) = Store::open(dir).unwrap();
        s.seen_blocks()
    }

    fn sizes(dir: &Path) -> Vec<usize> {
        let (s, _, _) = Store::open(dir).unwrap();
        s.blocks.iter().map(|b| b.1.len()).collect()
    }

    #[test]
    fn merge_is_a_sorted_union() {
        assert_eq!(merge(&[1, 4, 9], &[2, 4, 10, 11]), [1, 2, 4, 9, 10, 11]);
        assert_eq!(merge(&[], &[3]), [3]);
        assert_eq!(merge(&[3], &[]), [3]);
        assert_eq!(decode(&encode(&[5, 1, 5])).unwrap(), [1, 5]);
        assert!(decode(&[0; 7]).is_none());
    }

    #[test]
    fn blocks_merge_size_tiered() {
        let dir = tempdir("tiers");
        let mut all = Vec::new();
        for run in 0..40u64 {
            let new = hashes(run, 100 + (run as usize % 7) * 30);
            all.extend_from_slice(&new);
            commit(&dir, &new);
            let s = sizes(&dir);
            // Each block is more than twice the size of the next newer one.
            for w in s.windows(2) {
                assert!(w[0] > 2 * w[1], "run {run}: sizes {s:?}");
            }
            let total: usize = s.iter().sum();
            assert_eq!(total, all.len());
            assert!(s.len() <= (usize::BITS - total.leading_zeros()) as usize, "run {run}: {s:?}");
        }
        let (s, _, _) = Store::open(&dir).unwrap();
        assert!(all.iter().all(|h| s.seen(*h)));
        assert!(hashes(1000, 1000).iter().all(|h| !s.seen(*h)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn blocks_stay_under_the_cap() {
        let dir = tempdir("cap");
        std::fs::create_dir_all(&dir).unwrap();
        let db = Database::create(dir.join("baselines.redb")).unwrap();
        let w = db.begin_write().unwrap();
        let mut blocks = Vec::new();
        let mut all = Vec::new();
        {
            let mut t = w.open_table(SEEN_BLOCKS).unwrap();
            for run in 0..30u64 {
                // Runs of 60..=700 hashes, one larger than the cap of 500.
                let mut new = hashes(run, if run == 7 { 1700 } else { 60 + (run as usize * 37) % 400 });
                new.sort_unstable();
                all.extend_from_slice(&new);
                add_block(&mut t, &mut blocks, new, 500).unwrap();
                assert!(blocks.iter().all(|b| b.1.len() <= 500), "run {run}");
                let total: usize = blocks.iter().map(|b| b.1.len()).sum();
                assert_eq!(total, all.len());
            }
            // What is in memory is what the table holds.
            let stored: Vec<(u64, Vec<u64>)> = t.iter().unwrap().map(|r| r.unwrap()).map(|(k, v)| (k.value(), decode(v.value()).unwrap())).collect();
            assert_eq!(stored, blocks);
        }
        w.commit().unwrap();
        assert!(all.iter().all(|h| contains(&blocks, *h)));
        assert!(blocks.len() <= 2 * all.len() / 500 + 12, "{} blocks", blocks.len());
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn lookup_across_several_blocks() {
        let dir = tempdir("lookup");
        let (a, b, c) = (hashes(1, 5000), hashes(2, 1000), hashes(3, 10));
        commit(&dir, &a);
        commit(&dir, &b);
        assert_eq!(commit(&dir, &c), (3, 6010));
        assert_eq!(sizes(&dir), [5000, 1000, 10]);
        let (s, _, _) = Store::open(&dir).unwrap();
        for h in a.iter().chain(&b).chain(&c) {
            assert!(s.seen(*h));
        }
        assert!(hashes(4, 1000).iter().all(|h| !s.seen(*h)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rerun_adds_nothing() {
        let dir = tempdir("rerun");
        let a = hashes(1, 3000);
        assert_eq!(commit(&dir, &a), (1, 3000));
        // The same hashes again, given twice: no new block.
        let twice: Vec<u64> = a.iter().chain(&a).copied().collect();
        assert_eq!(commit(&dir, &twice), (1, 3000));
        // Half old, half new, with a repeat: only the new ones are added.
        let mut mixed: Vec<u64> = a[..100].to_vec();
        mixed.extend(hashes(2, 100));
        mixed.extend(hashes(2, 1));
        assert_eq!(commit(&dir, &mixed), (2, 3100));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_store_with_seen_rows_is_converted() {
        let dir = tempdir("migrate");
        std::fs::create_dir_all(&dir).unwrap();
        let old = hashes(9, 2000);
        {
            // The earlier format, written with redb directly: a row per hash, and a baseline.
            let db = Database::create(dir.join("baselines.redb")).unwrap();
            let w = db.begin_write().unwrap();
            {
                let mut t = w.open_table(SEEN_ROWS).unwrap();
                for h in &old {
                    t.insert(*h, ()).unwrap();
                }
                let mut t = w.open_table(PRINCIPALS).unwrap();
                let p = serde_json::to_vec(&Principal::default()).unwrap();
                t.insert("arn:aws:iam::1:user/a", p.as_slice()).unwrap();
                w.open_table(BUCKETS).unwrap();
                w.open_table(SEQUENCES).unwrap();
            }
            w.commit().unwrap();
        }
        let (s, base, _) = Store::open(&dir).unwrap();
        assert_eq!(s.seen_blocks(), (1, 2000));
        assert!(old.iter().all(|h| s.seen(*h)));
        assert!(base.principals.contains_key("arn:aws:iam::1:user/a"));
        {
            let r = s.db.begin_read().unwrap();
            assert!(r.list_tables().unwrap().all(|h| h.name() != "seen"), "the old table is deleted");
        }
        drop(s);
        // It keeps working: a new run adds a block, the old ids stay known.
        let new = hashes(10, 50);
        assert_eq!(commit(&dir, &new), (2, 2050));
        let (s, _, _) = Store::open(&dir).unwrap();
        assert!(old.iter().chain(&new).all(|h| s.seen(*h)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
