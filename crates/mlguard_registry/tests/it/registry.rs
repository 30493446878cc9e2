use crate::common::*;
use mlguard_registry::*;
use std::collections::BTreeMap;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn registry_is_send_and_sync() {
    assert_send_sync::<Registry>();
}

#[test]
fn groups_are_created_once_with_valid_names() {
    let (_d, reg, _) = registry("groups");
    let g = reg.create_group("fraud", "fraud scoring", GroupSettings::default(), "alice").unwrap();
    assert_eq!(g.created_by, "alice");
    assert!(matches!(reg.create_group("fraud", "", GroupSettings::default(), "bob"), Err(RegistryError::GroupExists { .. })));
    assert!(matches!(reg.create_group("bad_name", "", GroupSettings::default(), "bob"), Err(RegistryError::InvalidName { .. })));
    assert!(matches!(reg.group("nope"), Err(RegistryError::GroupNotFound { .. })));
    assert_eq!(reg.groups().unwrap().len(), 1);
}

#[test]
fn push_numbers_versions_and_pull_round_trips() {
    let (d, reg, _) = registry("push");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    let v1 = reg.push("m", new_version(&[("model.bin", b"weights-1"), ("cfg/config.json", b"{}")]), "alice").unwrap();
    let v2 = reg.push("m", new_version(&[("model.bin", b"weights-2")]), "bob").unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(v1.status, ApprovalStatus::PendingManualApproval);
    assert_eq!(v2.created_by, "bob");
    let shown = reg.version("m", 1).unwrap();
    assert_eq!(shown.artifacts.len(), 2);
    assert_eq!(shown.artifacts[0].sha256, Sha256Digest::of(b"weights-1"));
    assert_eq!(shown.artifacts[0].size, 9);
    assert_eq!(reg.versions("m").unwrap().len(), 2);

    let dest = d.path().join("out");
    let rep = reg.pull("m", 1, &dest).unwrap();
    assert_eq!(rep.files.len(), 2);
    assert_eq!(std::fs::read(dest.join("model.bin")).unwrap(), b"weights-1");
    assert_eq!(std::fs::read(dest.join("cfg/config.json")).unwrap(), b"{}");
    // Stored content-addressed.
    let key = Sha256Digest::of(b"weights-2").blob_key();
    assert!(key.starts_with("sha256/"));
    assert_eq!(reg.blob_store().head(&key, None).unwrap().size, 9);
}

#[test]
fn declared_digest_mismatch_changes_nothing() {
    let (_d, reg, _) = registry("mismatch");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    let head = reg.log_head().unwrap();
    let mut nv = new_version(&[("a.bin", b"good"), ("b.bin", b"bad bytes")]);
    nv.artifacts[1].sha256 = Some(Sha256Digest::of(b"something else"));
    let err = reg.push("m", nv, "alice").unwrap_err();
    match &err {
        RegistryError::DigestMismatch { path, actual, .. } => {
            assert_eq!(path, "b.bin");
            assert_eq!(*actual, Sha256Digest::of(b"bad bytes"));
        }
        e => panic!("unexpected {e}"),
    }
    assert!(err.to_string().contains("`b.bin`"));
    assert!(reg.versions("m").unwrap().is_empty());
    assert_eq!(reg.group("m").unwrap().latest_version, 0);
    assert_eq!(reg.log_head().unwrap(), head);
    // Neither the mismatching blob nor the good one uploaded before it remains.
    let objects: Vec<_> = reg.blob_store().list_versions("sha256/").unwrap().into_iter().filter(|e| !e.is_delete_marker).collect();
    assert!(objects.is_empty(), "{objects:?}");
    // A matching declared digest is accepted.
    let mut nv = new_version(&[("a.bin", b"good")]);
    nv.artifacts[0].sha256 = Some(Sha256Digest::of(b"good"));
    assert_eq!(reg.push("m", nv, "alice").unwrap().version, 1);
}

#[test]
fn bad_artifact_paths_are_rejected() {
    let (_d, reg, _) = registry("paths");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    for p in ["../escape", "/etc/passwd", "a//b", "a\\b", "a\0b", "a/./b", "", "dir/"] {
        let err = reg.push("m", new_version(&[(p, b"x")]), "alice").unwrap_err();
        assert!(matches!(err, RegistryError::InvalidPath { .. }), "{p:?}: {err}");
    }
    assert!(matches!(reg.push("m", new_version(&[("a", b"1"), ("a", b"2")]), "alice"), Err(RegistryError::DuplicatePath { .. })));
    assert!(matches!(reg.push("m", new_version(&[("a", b"1"), ("a/b", b"2")]), "alice"), Err(RegistryError::PathConflict { .. })));
    assert!(matches!(reg.push("m", new_version(&[]), "alice"), Err(RegistryError::NoArtifacts)));
    assert!(matches!(reg.push("zz", new_version(&[("a", b"1")]), "alice"), Err(RegistryError::GroupNotFound { .. })));
    assert!(reg.versions("m").unwrap().is_empty());
}

#[test]
fn approval_history_and_required_signature() {
    let (_d, reg, _) = registry("approval");
    reg.create_group("s", "", GroupSettings { require_signature: true, retention: None }, "alice").unwrap();
    reg.push("s", new_version(&[("m", b"1")]), "alice").unwrap();
    let err = reg.update_approval("s", 1, ApprovalStatus::Approved, "bob", "ship it").unwrap_err();
    assert!(matches!(err, RegistryError::SignatureRequired { version: 1, .. }), "{err}");
    assert_eq!(reg.version("s", 1).unwrap().status, ApprovalStatus::PendingManualApproval);
    // Rejecting needs no signature.
    reg.update_approval("s", 1, ApprovalStatus::Rejected, "carol", "bad eval").unwrap();
    reg.set_signature("s", 1, sig(), "verifier").unwrap();
    let v = reg.update_approval("s", 1, ApprovalStatus::Approved, "bob", "re-evaluated").unwrap();
    assert_eq!(v.status, ApprovalStatus::Approved);
    assert_eq!(v.signature.as_ref().unwrap().signer, "ci@example.com");
    let h: Vec<_> = v.approval_history.iter().map(|c| (c.status, c.by.as_str(), c.reason.as_str())).collect();
    assert_eq!(h, vec![(ApprovalStatus::Rejected, "carol", "bad eval"), (ApprovalStatus::Approved, "bob", "re-evaluated")]);
    assert!(v.approval_history[0].at < v.approval_history[1].at);
    // Groups without the setting approve unsigned versions.
    reg.create_group("u", "", GroupSettings::default(), "alice").unwrap();
    reg.push("u", new_version(&[("m", b"1")]), "alice").unwrap();
    approve(&reg, "u", 1);
    assert!(matches!(reg.update_approval("u", 9, ApprovalStatus::Approved, "b", ""), Err(RegistryError::VersionNotFound { version: 9, .. })));
}

#[test]
fn aliases_need_approved_versions_and_keep_history() {
    let (_d, reg, _) = registry("alias");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    for i in 0..3u8 {
        reg.push("m", new_version(&[("m", &[i][..])]), "alice").unwrap();
    }
    let err = reg.set_alias("m", "production", 1, "bob", "").unwrap_err();
    assert!(matches!(err, RegistryError::NotApproved { status: ApprovalStatus::PendingManualApproval, .. }), "{err}");
    assert!(matches!(reg.set_alias("m", "Prod!", 1, "bob", ""), Err(RegistryError::InvalidName { .. })));
    for v in 1..=3 {
        approve(&reg, "m", v);
        reg.set_alias("m", "production", v, "bob", &format!("release {v}")).unwrap();
    }
    let a = reg.alias("m", "production").unwrap();
    assert_eq!(a.history.iter().map(|m| m.version).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(a.history[2].reason, "release 3");
    assert_eq!(reg.resolve("m", "production").unwrap().version, 3);

    // 2 is rejected since: rollback skips it.
    reg.update_approval("m", 2, ApprovalStatus::Rejected, "sec", "CVE").unwrap();
    assert_eq!(reg.rollback("m", "production", "oncall", "incident").unwrap(), 1);
    assert_eq!(reg.resolve("m", "production").unwrap().version, 1);
    let a = reg.alias("m", "production").unwrap();
    assert_eq!(a.history.last().unwrap().kind, AliasMoveKind::Rollback);
    assert_eq!(a.history.len(), 4);
    // Nothing earlier than 1.
    assert!(matches!(reg.rollback("m", "production", "oncall", ""), Err(RegistryError::NoRollbackTarget { .. })));
    assert!(matches!(reg.rollback("m", "staging", "oncall", ""), Err(RegistryError::AliasNotFound { .. })));
}

#[test]
fn successive_rollbacks_go_further_back() {
    let (_d, reg, _) = registry("rollback2");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    for i in 1..=3u8 {
        reg.push("m", new_version(&[("m", &[i][..])]), "alice").unwrap();
        approve(&reg, "m", u64::from(i));
        reg.set_alias("m", "staging", u64::from(i), "bob", "").unwrap();
    }
    assert_eq!(reg.rollback("m", "staging", "o", "").unwrap(), 2);
    assert_eq!(reg.rollback("m", "staging", "o", "").unwrap(), 1);
    assert!(reg.rollback("m", "staging", "o", "").is_err());
    // Setting again then rolling back returns to where it was.
    reg.set_alias("m", "staging", 3, "bob", "").unwrap();
    assert_eq!(reg.rollback("m", "staging", "o", "").unwrap(), 1);
}

#[test]
fn a_rollback_authorized_for_one_target_is_not_made_to_another() {
    let (_d, reg, _) = registry("rollback3");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    for i in 1..=3u8 {
        reg.push("m", new_version(&[("m", &[i][..])]), "alice").unwrap();
        approve(&reg, "m", u64::from(i));
        reg.set_alias("m", "prod", u64::from(i), "bob", "").unwrap();
    }
    let target = reg.rollback_target("m", "prod").unwrap();
    assert_eq!(target, 2);
    // Between the check and the rollback, version 2 is rejected: the target is now 1.
    reg.update_approval("m", 2, ApprovalStatus::Rejected, "carol", "regression").unwrap();
    let before = reg.alias("m", "prod").unwrap();
    let e = reg.rollback_expecting("m", "prod", target, "oncall", "incident").unwrap_err();
    assert!(matches!(e, RegistryError::RollbackTargetChanged { expected: 2, actual: 1, .. }), "{e}");
    assert_eq!(reg.alias("m", "prod").unwrap(), before, "nothing changed");
    assert_eq!(reg.rollback_expecting("m", "prod", 1, "oncall", "incident").unwrap(), 1);
}

#[test]
fn lineage_both_ways() {
    let (_d, reg, _) = registry("lineage");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.create_group("n", "", GroupSettings::default(), "alice").unwrap();
    let ds = |vid: &str| DatasetRef { uri: "s3://data/train".into(), version_id: Some(vid.into()), digest: Some("abc".into()) };
    let mut nv = new_version(&[("m", b"1")]);
    nv.lineage = Lineage {
        datasets: vec![ds("v1"), DatasetRef { uri: "s3://data/labels".into(), version_id: None, digest: None }],
        training: Some(TrainingRun { job_name: "job-1".into(), code_commit: Some("deadbeef".into()), parameters: BTreeMap::from([("lr".into(), "0.1".into())]) }),
    };
    reg.push("m", nv, "alice").unwrap();
    let mut nv = new_version(&[("m", b"2")]);
    nv.lineage.datasets = vec![ds("v2")];
    reg.push("n", nv, "alice").unwrap();
    reg.push("n", new_version(&[("m", b"3")]), "alice").unwrap();

    let all: Vec<_> = reg.models_trained_on("s3://data/train", None).unwrap().into_iter().map(|v| (v.group, v.version)).collect();
    assert_eq!(all, vec![("m".to_string(), 1), ("n".to_string(), 1)]);
    let v1: Vec<_> = reg.models_trained_on("s3://data/train", Some("v1")).unwrap().into_iter().map(|v| (v.group, v.version)).collect();
    assert_eq!(v1, vec![("m".to_string(), 1)]);
    assert!(reg.models_trained_on("s3://data/train", Some("v9")).unwrap().is_empty());
    assert!(reg.models_trained_on("s3://data/tra", None).unwrap().is_empty());
    assert_eq!(reg.models_trained_on("s3://data/labels", None).unwrap().len(), 1);

    approve(&reg, "m", 1);
    reg.set_alias("m", "production", 1, "bob", "").unwrap();
    reg.record_deployment("m", 1, "fraud-endpoint", "deployer").unwrap();
    let l = reg.lineage_of("m", 1).unwrap();
    assert_eq!(l.training.as_ref().unwrap().code_commit.as_deref(), Some("deadbeef"));
    assert_eq!(l.datasets.len(), 2);
    assert_eq!(l.deployments.len(), 1);
    assert_eq!(l.deployments[0].endpoint, "fraud-endpoint");
    assert_eq!(l.deployments[0].by, "deployer");
    assert_eq!(l.aliases, vec!["production".to_string()]);
}

fn retained_group(reg: &Registry, mode: RetentionMode) {
    reg.create_group("r", "", GroupSettings { require_signature: false, retention: Some(RetentionSettings { mode, days: 30 }) }, "alice").unwrap();
    reg.push("r", new_version(&[("m", b"retained")]), "alice").unwrap();
    approve(reg, "r", 1);
}

#[test]
fn governance_retention_needs_override_with_reason() {
    let (_d, reg, clock) = registry("governance");
    retained_group(&reg, RetentionMode::Governance);
    let r = reg.version("r", 1).unwrap().retention.unwrap();
    assert_eq!(r.mode, RetentionMode::Governance);
    let plain = DeleteOptions { reason: "cleanup".into(), governance_override: false };
    assert!(matches!(reg.delete_version("r", 1, "bob", &plain), Err(RegistryError::Retained { mode: RetentionMode::Governance, .. })));
    let no_reason = DeleteOptions { reason: " ".into(), governance_override: true };
    assert!(matches!(reg.delete_version("r", 1, "admin", &no_reason), Err(RegistryError::OverrideNeedsReason)));
    assert!(reg.version("r", 1).unwrap().deleted.is_none());
    let ok = DeleteOptions { reason: "legal request 42".into(), governance_override: true };
    reg.delete_version("r", 1, "admin", &ok).unwrap();
    let v = reg.version("r", 1).unwrap();
    let del = v.deleted.unwrap();
    assert!(del.governance_override);
    assert_eq!(del.by, "admin");
    let last = reg.audit_entries().unwrap().pop().unwrap();
    assert_eq!(last.action, "DeleteModelVersion");
    assert_eq!(last.actor, "admin");
    assert_eq!(last.reason, "legal request 42");
    assert_eq!(last.details["governance_override"], "true");
    let _ = clock;
}

#[test]
fn governance_retention_expires() {
    let (_d, reg, clock) = registry("governance-exp");
    retained_group(&reg, RetentionMode::Governance);
    clock.advance(time::Duration::days(31));
    let rep = reg.delete_version("r", 1, "bob", &DeleteOptions { reason: "".into(), governance_override: false }).unwrap();
    assert_eq!(rep.blobs_deleted.len(), 1);
    assert!(!reg.version("r", 1).unwrap().deleted.unwrap().governance_override);
}

#[test]
fn compliance_retention_cannot_be_overridden() {
    let (_d, reg, clock) = registry("compliance");
    retained_group(&reg, RetentionMode::Compliance);
    let ov = DeleteOptions { reason: "please".into(), governance_override: true };
    assert!(matches!(reg.delete_version("r", 1, "root", &ov), Err(RegistryError::Retained { mode: RetentionMode::Compliance, .. })));
    clock.advance(time::Duration::days(29));
    assert!(reg.delete_version("r", 1, "root", &ov).is_err());
    clock.advance(time::Duration::days(2));
    reg.delete_version("r", 1, "root", &DeleteOptions::default()).unwrap();
    assert!(reg.version("r", 1).unwrap().deleted.is_some());
}

#[test]
fn unapproved_versions_have_no_retention() {
    let (_d, reg, _) = registry("noret");
    reg.create_group("r", "", GroupSettings { require_signature: false, retention: Some(RetentionSettings { mode: RetentionMode::Compliance, days: 30 }) }, "a").unwrap();
    reg.push("r", new_version(&[("m", b"x")]), "a").unwrap();
    assert!(reg.version("r", 1).unwrap().retention.is_none());
    reg.delete_version("r", 1, "a", &DeleteOptions::default()).unwrap();
}

#[test]
fn shared_blobs_are_deleted_with_their_last_version() {
    let (d, reg, _) = registry("refs");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("w.bin", b"shared"), ("a.txt", b"only-1")]), "alice").unwrap();
    reg.push("m", new_version(&[("w.bin", b"shared")]), "alice").unwrap();
    let key = Sha256Digest::of(b"shared").blob_key();
    assert_eq!(reg.blob_store().list_versions(&key).unwrap().len(), 1, "deduplicated");
    let rep = reg.delete_version("m", 1, "alice", &DeleteOptions::default()).unwrap();
    assert_eq!(rep.blobs_deleted.len(), 1, "{rep:?}");
    assert!(rep.blobs_deleted[0].starts_with(&Sha256Digest::of(b"only-1").blob_key()));
    assert!(reg.blob_store().head(&key, None).is_ok());
    reg.pull("m", 2, &d.path().join("o")).unwrap();
    assert!(matches!(reg.pull("m", 1, &d.path().join("o1")), Err(RegistryError::VersionDeleted { .. })));
    reg.delete_version("m", 2, "alice", &DeleteOptions::default()).unwrap();
    assert!(reg.blob_store().list_versions(&key).unwrap().is_empty());
    // Numbers are never reused.
    assert_eq!(reg.push("m", new_version(&[("w.bin", b"shared")]), "alice").unwrap().version, 3);
    assert!(matches!(reg.delete_version("m", 2, "alice", &DeleteOptions::default()), Err(RegistryError::VersionDeleted { .. })));
}

#[test]
fn alias_target_cannot_be_deleted() {
    let (_d, reg, _) = registry("aliasdel");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("m", b"x")]), "alice").unwrap();
    approve(&reg, "m", 1);
    reg.set_alias("m", "production", 1, "bob", "").unwrap();
    assert!(matches!(reg.delete_version("m", 1, "bob", &DeleteOptions::default()), Err(RegistryError::AliasTarget { .. })));
}

#[test]
fn pull_detects_tampered_blob_and_leaves_no_file() {
    let (d, reg, _) = registry("pulltamper");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("ok.bin", b"fine"), ("sub/model.bin", b"original weights")]), "alice").unwrap();
    let digest = Sha256Digest::of(b"original weights");
    let vid = reg.blob_store().head(&digest.blob_key(), None).unwrap().version_id;
    let file = d.path().join("blobs/objects").join(digest.blob_key().replace('/', "%2F")).join(&vid);
    std::fs::write(&file, b"poisoned weights").unwrap();
    let dest = d.path().join("dest");
    let err = reg.pull("m", 1, &dest).unwrap_err();
    match &err {
        RegistryError::DigestMismatch { path, expected, .. } => {
            assert_eq!(path, "sub/model.bin");
            assert_eq!(*expected, digest);
        }
        e => panic!("unexpected {e}"),
    }
    assert!(!dest.join("sub/model.bin").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dest.join("sub")).unwrap().collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn verify_finds_out_of_band_changes_and_restore_repairs() {
    let (d, reg, _) = registry("verify");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("model.bin", b"true weights"), ("x", b"other")]), "alice").unwrap();
    assert!(reg.verify(None).unwrap().problems.is_empty());
    let digest = Sha256Digest::of(b"true weights");
    let key = digest.blob_key();
    let pinned = reg.blob_store().head(&key, None).unwrap().version_id;

    // S3-style: someone puts a new version of the key.
    reg.blob_store().put(&key, &mut &b"evil weights"[..], None).unwrap();
    let rep = reg.verify(Some("m")).unwrap();
    assert_eq!(rep.blobs_checked, 2);
    assert_eq!(rep.problems.len(), 1, "{rep:?}");
    let p = &rep.problems[0];
    assert!(matches!(&p.fault, ArtifactFault::LatestChanged { actual, .. } if *actual == Sha256Digest::of(b"evil weights")));
    assert_eq!(p.matching_versions, vec![pinned.clone()]);
    assert_eq!(p.used_by, vec![(VersionRef { group: "m".into(), version: 1 }, "model.bin".to_string())]);
    // Pulls read the pinned version, so they still get the true bytes.
    reg.pull("m", 1, &d.path().join("p1")).unwrap();
    let restored = reg.restore_artifact(&digest, &pinned, "ops", "revert overwrite").unwrap();
    assert!(reg.verify(None).unwrap().problems.is_empty());
    let versions = reg.blob_store().list_versions(&key).unwrap();
    assert_eq!(versions.len(), 3);
    assert!(versions[0].is_latest && versions[0].version_id == restored.version_id);

    // Local-style: the pinned file is overwritten in place; the older version still matches.
    let file = d.path().join("blobs/objects").join(key.replace('/', "%2F")).join(&restored.version_id);
    std::fs::write(&file, b"in-place tamper").unwrap();
    let rep = reg.verify(None).unwrap();
    assert!(rep.problems.iter().any(|p| matches!(p.fault, ArtifactFault::PinnedChanged { .. })), "{rep:?}");
    assert_eq!(rep.problems[0].matching_versions, vec![pinned.clone()]);
    // Restoring from a version that does not match is refused.
    assert!(matches!(reg.restore_artifact(&digest, &restored.version_id, "ops", ""), Err(RegistryError::NoMatchingBlobVersion { .. })));
    reg.restore_artifact(&digest, &pinned, "ops", "revert in-place tamper").unwrap();
    assert!(reg.verify(None).unwrap().problems.is_empty());
    reg.pull("m", 1, &d.path().join("p2")).unwrap();
    assert_eq!(std::fs::read(d.path().join("p2/model.bin")).unwrap(), b"true weights");
}

#[test]
fn one_audit_entry_per_state_change() {
    let (_d, reg, _) = registry("audit");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("m", b"x")]), "bob").unwrap();
    let _ = reg.set_alias("m", "production", 1, "eve", ""); // refused: no entry
    let _ = reg.push("m", new_version(&[("../x", b"x")]), "eve"); // refused: no entry
    reg.set_signature("m", 1, sig(), "verifier").unwrap();
    approve(&reg, "m", 1);
    reg.set_alias("m", "production", 1, "carol", "go").unwrap();
    reg.record_deployment("m", 1, "ep", "dave").unwrap();
    let e = reg.audit_entries().unwrap();
    let got: Vec<_> = e.iter().map(|e| (e.seq, e.actor.as_str(), e.action.as_str(), e.target.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, "alice", "CreateModelPackageGroup", "m"),
            (2, "bob", "PushModelVersion", "m/1"),
            (3, "verifier", "SetSignature", "m/1"),
            (4, "approver", "UpdateModelApprovalStatus", "m/1"),
            (5, "carol", "SetAlias", "m@production"),
            (6, "dave", "RecordDeployment", "m/1"),
        ]
    );
    assert_eq!(e[1].details["artifact:m"], Sha256Digest::of(b"x").to_hex());
    assert_eq!(e[0].prev, mlguard_registry::log::GENESIS);
    assert_eq!(e[1].prev, e[0].hash);
    let rep = reg.verify_log().unwrap();
    assert!(rep.is_intact(), "{rep:?}");
    assert_eq!(rep.valid_entries, 6);
    assert_eq!(reg.log_head().unwrap(), LogHead { seq: 6, hash: e[5].hash });
}

#[test]
fn reopen_keeps_everything() {
    let dir = temp_dir("reopen");
    {
        let reg = Registry::open(dir.path()).unwrap();
        reg.create_group("m", "desc", GroupSettings { require_signature: true, retention: None }, "alice").unwrap();
        reg.push("m", new_version(&[("m", b"persist")]), "alice").unwrap();
        reg.set_signature("m", 1, sig(), "v").unwrap();
        approve(&reg, "m", 1);
        reg.set_alias("m", "production", 1, "bob", "").unwrap();
    }
    let reg = Registry::open(dir.path()).unwrap();
    assert!(reg.group("m").unwrap().settings.require_signature);
    assert_eq!(reg.resolve("m", "production").unwrap().version, 1);
    assert!(reg.verify_log().unwrap().is_intact());
    assert_eq!(reg.log_head().unwrap().seq, 5);
    reg.push("m", new_version(&[("m", b"after")]), "alice").unwrap();
    assert_eq!(reg.log_head().unwrap().seq, 6);
    assert!(reg.verify_log().unwrap().is_intact());
}

#[test]
fn a_second_process_handle_is_refused() {
    let dir = temp_dir("lock");
    let _reg = Registry::open(dir.path()).unwrap();
    assert!(matches!(Registry::open(dir.path()), Err(RegistryError::Meta(_))));
}

#[test]
fn concurrent_pushes_get_distinct_numbers() {
    let (_d, reg, _) = registry("concurrent");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    let reg = std::sync::Arc::new(reg);
    let mut handles = Vec::new();
    for t in 0..4u8 {
        let reg = reg.clone();
        handles.push(std::thread::spawn(move || {
            let mut got = Vec::new();
            for i in 0..5u8 {
                // Threads 0 and 1 push identical content: deduplication under concurrency.
                let content = vec![t.min(1), i];
                got.push(reg.push("m", new_version(&[("w", &content)]), &format!("t{t}")).unwrap().version);
            }
            got
        }));
    }
    let mut all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all, (1..=20).collect::<Vec<_>>());
    assert!(reg.verify_log().unwrap().is_intact());
    assert_eq!(reg.log_head().unwrap().seq, 21);
    assert!(reg.verify(None).unwrap().problems.is_empty());
    // Every referenced blob has exactly one stored version.
    for d in reg.referenced_digests().unwrap() {
        assert_eq!(reg.blob_store().list_versions(&d.blob_key()).unwrap().len(), 1);
    }
}

#[test]
fn settings_changes_apply_to_later_approvals_and_are_logged() {
    let (_d, reg, _) = registry("settings");
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("m", b"1")]), "alice").unwrap();
    reg.push("m", new_version(&[("m", b"2")]), "alice").unwrap();
    approve(&reg, "m", 1);
    let s = GroupSettings { require_signature: true, retention: Some(RetentionSettings { mode: RetentionMode::Governance, days: 7 }) };
    reg.update_group_settings("m", s.clone(), "admin", "policy 12").unwrap();
    assert_eq!(reg.group("m").unwrap().settings, s);
    assert!(reg.version("m", 1).unwrap().retention.is_none(), "not retroactive");
    assert!(matches!(reg.update_approval("m", 2, ApprovalStatus::Approved, "b", ""), Err(RegistryError::SignatureRequired { .. })));
    reg.set_signature("m", 2, sig(), "v").unwrap();
    let v = reg.update_approval("m", 2, ApprovalStatus::Approved, "b", "").unwrap();
    let r = v.retention.unwrap();
    assert_eq!(r.mode, RetentionMode::Governance);
    assert_eq!(r.until - v.approval_history[0].at, time::Duration::days(7));
    let e = reg.audit_entries().unwrap();
    assert!(e.iter().any(|e| e.action == "UpdateModelPackageGroup" && e.actor == "admin" && e.reason == "policy 12"));
    assert!(matches!(reg.update_group_settings("zz", GroupSettings::default(), "a", ""), Err(RegistryError::GroupNotFound { .. })));
}

#[test]
fn gc_removes_only_unreferenced_uploads() {
    let dir = temp_dir("gc");
    let reg = Registry::open(dir.path()).unwrap();
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    reg.push("m", new_version(&[("m", b"kept")]), "alice").unwrap();
    // An upload whose push never committed (as after a crash between upload and commit).
    let orphan = reg.blob_store().put_content_addressed(&mut &b"orphan"[..], None).unwrap();
    let head = reg.log_head().unwrap().seq;
    assert!(reg.gc_unreferenced_blobs(time::Duration::hours(1), "ops").unwrap().is_empty(), "too young");
    assert_eq!(reg.log_head().unwrap().seq, head, "nothing removed, nothing logged");
    let removed = reg.gc_unreferenced_blobs(time::Duration::ZERO, "ops").unwrap();
    assert_eq!(removed, vec![format!("{}@{}", orphan.key, orphan.version_id)]);
    assert!(reg.blob_store().list_versions(&orphan.key).unwrap().is_empty());
    assert!(reg.verify(None).unwrap().problems.is_empty());
    reg.pull("m", 1, &dir.path().join("o")).unwrap();
    assert_eq!(reg.audit_entries().unwrap().last().unwrap().action, "CollectUnreferencedBlobs");
    assert!(reg.verify_log().unwrap().is_intact());
}

#[test]
fn changes_need_an_actor() {
    let (_d, reg, _) = registry("actor");
    assert!(matches!(reg.create_group("m", "", GroupSettings::default(), " "), Err(RegistryError::InvalidName { what: "actor", .. })));
    assert!(reg.groups().unwrap().is_empty());
    reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    assert!(reg.push("m", new_version(&[("a", b"1")]), "").is_err());
    assert!(reg.versions("m").unwrap().is_empty());
    assert_eq!(reg.log_head().unwrap().seq, 1);
}
