//! `Registry::put_artifact` and `Registry::push_stored`.

use crate::common::*;
use mlguard_registry::*;

fn stored(files: &[(&str, Sha256Digest)]) -> StoredVersion {
    StoredVersion { description: "stored".into(), artifacts: files.iter().map(|(p, d)| (p.to_string(), *d)).collect(), ..StoredVersion::default() }
}

#[test]
fn put_artifact_stores_content_addressed_and_rejects_mismatch() {
    let (_d, reg, _) = registry("put-artifact");
    let o = reg.put_artifact(&mut &b"weights"[..], Some(&Sha256Digest::of(b"weights"))).unwrap();
    assert_eq!((o.sha256, o.size, o.created), (Sha256Digest::of(b"weights"), 7, true));
    assert_eq!(reg.blob_store().head(&o.key, None).unwrap().version_id, o.version_id);
    let again = reg.put_artifact(&mut &b"weights"[..], None).unwrap();
    assert!(!again.created);
    let wrong = Sha256Digest::of(b"other");
    assert!(matches!(reg.put_artifact(&mut &b"evil"[..], Some(&wrong)), Err(RegistryError::Blob(BlobError::DigestMismatch { .. }))));
    assert!(reg.blob_store().head(&wrong.blob_key(), None).is_err());
    assert!(reg.blob_store().head(&Sha256Digest::of(b"evil").blob_key(), None).is_err());
    // Nothing is referenced until a version names it.
    assert!(reg.referenced_digests().unwrap().is_empty());
}

#[test]
fn push_stored_commits_a_version_over_uploaded_and_referenced_blobs() {
    let (d, reg, _) = registry("push-stored");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    let v1 = reg.push("m", new_version(&[("model.bin", b"weights-1")]), "alice").unwrap();
    let fresh = reg.put_artifact(&mut &b"config"[..], None).unwrap();
    let v2 = reg.push_stored("m", stored(&[("model.bin", v1.artifacts[0].sha256), ("cfg/c.json", fresh.sha256)]), "bob").unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.created_by, "bob");
    assert_eq!(v2.artifacts[1].size, 6);
    assert_eq!(reg.version("m", 2).unwrap(), v2);
    let rep = reg.pull("m", 2, &d.path().join("out")).unwrap();
    assert_eq!(rep.bytes, 9 + 6);
    assert_eq!(reg.referenced_digests().unwrap().len(), 2);
    assert!(reg.verify(None).unwrap().problems.is_empty());
    assert!(reg.verify_log().unwrap().is_intact());
}

#[test]
fn push_stored_validates_like_push_and_changes_nothing_on_error() {
    let (_d, reg, _) = registry("push-stored-bad");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    let o = reg.put_artifact(&mut &b"w"[..], None).unwrap();
    let missing = Sha256Digest::of(b"never uploaded");
    assert!(matches!(reg.push_stored("m", stored(&[("../x", o.sha256)]), "a"), Err(RegistryError::InvalidPath { .. })));
    assert!(matches!(reg.push_stored("m", stored(&[("/x", o.sha256)]), "a"), Err(RegistryError::InvalidPath { .. })));
    assert!(matches!(reg.push_stored("m", stored(&[("a", o.sha256), ("a", o.sha256)]), "a"), Err(RegistryError::DuplicatePath { .. })));
    assert!(matches!(reg.push_stored("m", stored(&[]), "a"), Err(RegistryError::NoArtifacts)));
    assert!(matches!(reg.push_stored("nope", stored(&[("a", o.sha256)]), "a"), Err(RegistryError::GroupNotFound { .. })));
    assert!(matches!(reg.push_stored("m", stored(&[("a", o.sha256), ("b", missing)]), "a"), Err(RegistryError::BlobMissing { .. })));
    assert!(reg.versions("m").unwrap().is_empty());
    assert_eq!(reg.group("m").unwrap().latest_version, 0);
}
