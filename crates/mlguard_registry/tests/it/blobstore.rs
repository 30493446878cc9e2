//! S3-versioning semantics of `LocalBlobStore`.
use crate::common::{temp_dir, TempDir};
use mlguard_registry::*;
use std::io::Read;

fn read_all(mut r: BlobReader) -> Vec<u8> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    v
}

fn store(name: &str) -> (TempDir, LocalBlobStore) {
    let d = temp_dir(name);
    let s = LocalBlobStore::open(d.path()).unwrap();
    (d, s)
}

#[test]
fn put_creates_versions_and_get_reads_latest_or_named() {
    let (_d, s) = store("versions");
    let a = s.put("k/x", &mut &b"one"[..], None).unwrap();
    let b = s.put("k/x", &mut &b"two"[..], None).unwrap();
    assert_ne!(a.version_id, b.version_id);
    assert!(a.version_id < b.version_id);
    assert_eq!(a.sha256, Sha256Digest::of(b"one"));
    assert_eq!(read_all(s.get("k/x", None).unwrap()), b"two");
    assert_eq!(read_all(s.get("k/x", Some(&a.version_id)).unwrap()), b"one");
    assert!(matches!(s.get("k/x", Some("nope")), Err(BlobError::VersionNotFound { .. })));
    assert!(matches!(s.get("k/y", None), Err(BlobError::NotFound { .. })));
}

#[test]
fn delete_inserts_a_marker_and_earlier_versions_remain() {
    let (_d, s) = store("marker");
    let a = s.put("k", &mut &b"one"[..], None).unwrap();
    let m = s.delete("k").unwrap();
    assert!(matches!(s.get("k", None), Err(BlobError::NotFound { .. })));
    assert!(matches!(s.head("k", None), Err(BlobError::NotFound { .. })));
    assert_eq!(read_all(s.get("k", Some(&a.version_id)).unwrap()), b"one");
    assert!(matches!(s.get("k", Some(&m)), Err(BlobError::DeleteMarker { .. })));
    let l = s.list_versions("k").unwrap();
    assert_eq!(l.len(), 2);
    assert!(l[0].is_delete_marker && l[0].is_latest && l[0].version_id == m);
    assert!(!l[1].is_delete_marker && !l[1].is_latest && l[1].version_id == a.version_id);
    // Deleting the delete marker makes the object visible again, as in S3.
    s.delete_version("k", &m).unwrap();
    assert_eq!(read_all(s.get("k", None).unwrap()), b"one");
}

#[test]
fn delete_version_removes_one_version_for_good() {
    let (_d, s) = store("delver");
    let a = s.put("k", &mut &b"one"[..], None).unwrap();
    let b = s.put("k", &mut &b"two"[..], None).unwrap();
    s.delete_version("k", &b.version_id).unwrap();
    assert_eq!(read_all(s.get("k", None).unwrap()), b"one");
    assert!(matches!(s.delete_version("k", &b.version_id), Err(BlobError::VersionNotFound { .. })));
    s.delete_version("k", &a.version_id).unwrap();
    assert!(s.list_versions("k").unwrap().is_empty());
    assert!(matches!(s.get("k", None), Err(BlobError::NotFound { .. })));
}

#[test]
fn restore_copies_an_earlier_version_to_latest() {
    let (_d, s) = store("restore");
    let a = s.put("k", &mut &b"good"[..], None).unwrap();
    s.put("k", &mut &b"bad"[..], None).unwrap();
    s.delete("k").unwrap();
    let r = s.restore("k", &a.version_id).unwrap();
    assert_eq!(r.sha256, Sha256Digest::of(b"good"));
    assert_eq!(read_all(s.get("k", None).unwrap()), b"good");
    let l = s.list_versions("k").unwrap();
    assert_eq!(l.len(), 4);
    assert_eq!(l[0].version_id, r.version_id);
    assert!(l[0].is_latest);
    // Newest first, ids strictly decreasing, exactly one latest.
    assert!(l.windows(2).all(|w| w[0].version_id > w[1].version_id));
    assert_eq!(l.iter().filter(|e| e.is_latest).count(), 1);
    // The source version is untouched.
    assert_eq!(read_all(s.get("k", Some(&a.version_id)).unwrap()), b"good");
    // A delete marker cannot be restored.
    let m = s.delete("k").unwrap();
    assert!(matches!(s.restore("k", &m), Err(BlobError::DeleteMarker { .. })));
}

#[test]
fn mismatching_declared_digest_stores_nothing() {
    let (d, s) = store("digest");
    let wrong = Sha256Digest::of(b"other");
    assert!(matches!(s.put("k", &mut &b"data"[..], Some(&wrong)), Err(BlobError::DigestMismatch { .. })));
    assert!(matches!(s.put_content_addressed(&mut &b"data"[..], Some(&wrong)), Err(BlobError::DigestMismatch { .. })));
    assert!(s.list_versions("").unwrap().is_empty());
    assert_eq!(std::fs::read_dir(d.path().join("tmp")).unwrap().count(), 0);
    let ok = s.put("k", &mut &b"data"[..], Some(&Sha256Digest::of(b"data"))).unwrap();
    assert_eq!(ok.size, 4);
}

#[test]
fn content_addressed_puts_deduplicate() {
    let (_d, s) = store("cas");
    let a = s.put_content_addressed(&mut &b"blob"[..], None).unwrap();
    assert_eq!(a.key, Sha256Digest::of(b"blob").blob_key());
    assert!(a.created);
    let b = s.put_content_addressed(&mut &b"blob"[..], Some(&Sha256Digest::of(b"blob"))).unwrap();
    assert!(!b.created);
    assert_eq!(a.version_id, b.version_id);
    assert_eq!(s.list_versions("sha256/").unwrap().len(), 1);
    // After a delete marker, a new version is written.
    s.delete(&a.key).unwrap();
    assert!(s.put_content_addressed(&mut &b"blob"[..], None).unwrap().created);
}

#[test]
fn list_versions_filters_by_prefix_and_sorts_keys() {
    let (_d, s) = store("list");
    for k in ["b/2", "a/1", "b/1", "c"] {
        s.put(k, &mut &b"x"[..], None).unwrap();
    }
    s.put("b/1", &mut &b"y"[..], None).unwrap();
    let keys: Vec<_> = s.list_versions("b/").unwrap().into_iter().map(|e| (e.key, e.is_latest)).collect();
    assert_eq!(keys, vec![("b/1".into(), true), ("b/1".into(), false), ("b/2".into(), true)]);
    assert_eq!(s.list_versions("").unwrap().len(), 5);
    // `%` and `/` in keys survive the escaping.
    s.put("p%2F/q", &mut &b"z"[..], None).unwrap();
    assert_eq!(s.list_versions("p%").unwrap()[0].key, "p%2F/q");
}

#[test]
fn invalid_keys_are_refused() {
    let (_d, s) = store("keys");
    for k in ["../x", "/abs", "a//b", "", "a\\b"] {
        assert!(matches!(s.put(k, &mut &b"x"[..], None), Err(BlobError::InvalidKey { .. })), "{k:?}");
    }
}

#[test]
fn open_removes_leftover_uploads() {
    let d = temp_dir("tmpclean");
    LocalBlobStore::open(d.path()).unwrap();
    std::fs::write(d.path().join("tmp/12345-partial"), b"half an upload").unwrap();
    let s = LocalBlobStore::open(d.path()).unwrap();
    assert_eq!(std::fs::read_dir(d.path().join("tmp")).unwrap().count(), 0);
    assert!(s.list_versions("").unwrap().is_empty());
}

/// A failing body leaves nothing behind.
#[test]
fn body_error_stores_nothing() {
    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("connection reset"));
            }
            self.0 -= 1;
            buf[0] = 1;
            Ok(1)
        }
    }
    let (d, s) = store("bodyerr");
    let err = s.put_content_addressed(&mut Failing(3), None).unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    assert!(s.list_versions("").unwrap().is_empty());
    assert_eq!(std::fs::read_dir(d.path().join("tmp")).unwrap().count(), 0);
}
