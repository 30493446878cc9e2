//! Byte-level tampering with the stored audit log, verified on a copy of the data directory
//! that holds only `registry.redb` and `audit.log`.
use crate::common::*;
use mlguard_registry::log::{verify_dir, LogEntry};
use mlguard_registry::*;
use std::path::Path;

/// A registry with 7 log entries, closed; returns its directory.
fn populated() -> TempDir {
    let dir = temp_dir("logsrc");
    let reg = Registry::open(dir.path()).unwrap();
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("a", b"1")]), "alice").unwrap();
    reg.push("m", new_version(&[("a", b"2")]), "bob").unwrap();
    approve(&reg, "m", 1);
    approve(&reg, "m", 2);
    reg.set_alias("m", "production", 1, "carol", "first").unwrap();
    reg.set_alias("m", "production", 2, "carol", "second").unwrap();
    assert_eq!(reg.log_head().unwrap().seq, 7);
    dir
}

/// Copies only the metadata file and the log: verification needs nothing else.
fn copy_for_verification(src: &Path, name: &str) -> TempDir {
    let dst = temp_dir(name);
    for f in ["registry.redb", "audit.log"] {
        std::fs::copy(src.join(f), dst.path().join(f)).unwrap();
    }
    dst
}

fn lines(dir: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(dir.join("audit.log")).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'));
    bytes[..bytes.len() - 1].split(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

fn write_lines(dir: &Path, lines: &[Vec<u8>]) {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    std::fs::write(dir.join("audit.log"), out).unwrap();
}

fn first_bad(dir: &Path) -> Option<(u64, LogProblem)> {
    verify_dir(dir).unwrap().first_bad
}

#[test]
fn intact_copy_verifies() {
    let src = populated();
    let c = copy_for_verification(src.path(), "intact");
    let r = verify_dir(c.path()).unwrap();
    assert!(r.is_intact(), "{r:?}");
    assert_eq!(r.valid_entries, 7);
}

#[test]
fn edited_entry_is_named() {
    let src = populated();
    let c = copy_for_verification(src.path(), "edit");
    let mut l = lines(c.path());
    // Flip one byte inside entry 3's actor ("bob" -> "cob").
    let at = l[2].windows(9).position(|w| w == b"\"actor\":\"").unwrap() + 9;
    assert_eq!(l[2][at], b'b');
    l[2][at] = b'c';
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((3, LogProblem::HashMismatch)));
}

#[test]
fn edited_entry_with_recomputed_hash_breaks_the_next_link() {
    let src = populated();
    let c = copy_for_verification(src.path(), "edit2");
    let mut l = lines(c.path());
    let mut e: LogEntry = serde_json::from_slice(&l[2]).unwrap();
    e.actor = "mallory".into();
    e.hash = e.compute_hash().unwrap();
    l[2] = e.to_line().unwrap();
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((4, LogProblem::ChainBroken)));
}

#[test]
fn non_canonical_bytes_are_an_edit() {
    let src = populated();
    let c = copy_for_verification(src.path(), "ws");
    let mut l = lines(c.path());
    l[1].insert(1, b' ');
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((2, LogProblem::NotCanonical)));
}

#[test]
fn removed_entry_is_named() {
    let src = populated();
    let c = copy_for_verification(src.path(), "remove");
    let mut l = lines(c.path());
    l.remove(2);
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((3, LogProblem::SeqMismatch { found: 4 })));
}

#[test]
fn removed_last_entry_is_caught_by_the_committed_head() {
    let src = populated();
    let c = copy_for_verification(src.path(), "removelast");
    let mut l = lines(c.path());
    l.pop();
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((7, LogProblem::Missing { committed: 7 })));
    // Opening the registry does not paper over it.
    let reg = Registry::open(c.path()).unwrap();
    assert_eq!(reg.verify_log().unwrap().first_bad, Some((7, LogProblem::Missing { committed: 7 })));
}

#[test]
fn inserted_entry_is_named() {
    let src = populated();
    let c = copy_for_verification(src.path(), "insert");
    let mut l = lines(c.path());
    let dup = l[1].clone();
    l.insert(2, dup);
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((3, LogProblem::SeqMismatch { found: 2 })));
}

#[test]
fn forged_consistent_insertion_is_caught_at_the_next_entry() {
    let src = populated();
    let c = copy_for_verification(src.path(), "forge");
    let mut l = lines(c.path());
    let e2: LogEntry = serde_json::from_slice(&l[1]).unwrap();
    let forged = LogEntry::next(
        &e2.head(),
        mlguard_registry::log::LogRecord::new("mallory", "UpdateModelApprovalStatus", "m/1", "forged"),
        e2.time,
    )
    .unwrap();
    l.insert(2, forged.to_line().unwrap());
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((4, LogProblem::SeqMismatch { found: 3 })));
}

#[test]
fn reordered_entries_are_named() {
    let src = populated();
    let c = copy_for_verification(src.path(), "reorder");
    let mut l = lines(c.path());
    l.swap(2, 3);
    write_lines(c.path(), &l);
    assert_eq!(first_bad(c.path()), Some((3, LogProblem::SeqMismatch { found: 4 })));
}

#[test]
fn uncommitted_tail_is_removed_on_open() {
    let src = populated();
    let c = copy_for_verification(src.path(), "tail");
    let l = lines(c.path());
    let last: LogEntry = serde_json::from_slice(l.last().unwrap()).unwrap();
    // An entry appended and synced whose transaction never committed (crash in between).
    let next = LogEntry::next(&last.head(), mlguard_registry::log::LogRecord::new("alice", "PushModelVersion", "m/3", ""), last.time).unwrap();
    let mut l2 = l.clone();
    l2.push(next.to_line().unwrap());
    write_lines(c.path(), &l2);
    assert_eq!(first_bad(c.path()), Some((8, LogProblem::HeadMismatch { committed: 7 })));
    {
        let reg = Registry::open(c.path()).unwrap();
        let r = reg.verify_log().unwrap();
        assert!(r.is_intact(), "{r:?}");
        assert_eq!(r.valid_entries, 7);
    }
    assert_eq!(lines(c.path()), l);
    // A torn partial line is removed as well.
    let mut bytes = std::fs::read(c.path().join("audit.log")).unwrap();
    bytes.extend_from_slice(b"{\"seq\":8,\"prev\":\"ab");
    std::fs::write(c.path().join("audit.log"), &bytes).unwrap();
    assert!(matches!(first_bad(c.path()), Some((8, LogProblem::Unreadable(_)))));
    let reg = Registry::open(c.path()).unwrap();
    assert!(reg.verify_log().unwrap().is_intact());
}
