//! Every row of the Stratus Red Team table in docs/DETECTIONS.md holds: running mlguard (57
//! SigmaHQ rules, built-ins, default options) over that technique's real recording raises
//! exactly the finding ids listed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// technique → finding ids, from the table in docs/DETECTIONS.md.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/DETECTIONS.md")).unwrap();
    let mut rows = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `aws.")) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let technique = cols[1].trim_matches('`').to_string();
        let ids: BTreeSet<String> = cols[2].split(',').map(|s| s.trim().trim_matches('`').to_string()).filter(|s| s.starts_with("CT-") || s.starts_with("SIGMA-")).collect();
        assert!(rows.insert(technique.clone(), ids).is_none(), "{technique} listed twice");
    }
    rows
}

#[test]
fn every_row_of_the_stratus_table_holds() {
    let rows = documented();
    let dir = shared("data/cloudtrail/stratus-red-team");
    let set = Arc::new(sigma());
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().map(|x| x == "json").unwrap_or(false)).collect();
    files.sort();
    assert_eq!(files.len(), 35);
    let mut mismatches = Vec::new();
    for p in &files {
        let technique = p.file_stem().unwrap().to_string_lossy().to_string();
        let Some(expected) = rows.get(&technique) else {
            mismatches.push(format!("{technique}: no row in docs/DETECTIONS.md"));
            continue;
        };
        let (out, diags) = run_file(p, set.clone());
        assert!(diags.is_empty(), "{technique}: {diags:?}");
        assert!(out.counts.read > 0 && out.counts.skipped == 0);
        let got: BTreeSet<String> = out.findings.iter().map(|f| f.rule_id.clone()).collect();
        if &got != expected {
            mismatches.push(format!("{technique}: documented {expected:?}, raised {got:?}"));
        }
        // Evidence names the triggering events, and each is an event of the recording.
        let text = std::fs::read_to_string(p).unwrap();
        for f in &out.findings {
            let ids = f.evidence["event_ids"].as_array().unwrap();
            assert!(!ids.is_empty(), "{technique}: {} has no event ids", f.rule_id);
            for id in ids {
                assert!(text.contains(id.as_str().unwrap()), "{technique}: {} cites unknown event {id}", f.rule_id);
            }
        }
    }
    assert_eq!(rows.len(), files.len(), "rows for techniques without a recording");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn create_then_escalate_is_one_linked_finding() {
    let p = shared("data/cloudtrail/stratus-red-team/aws.persistence.iam-create-admin-user.json");
    let (out, _) = run_file(&p, Arc::new(Default::default()));
    let f = out.findings.iter().find(|f| f.rule_id == "CT-PRIVESC-004").unwrap();
    // The CreateUser event (listed last in the file, same second) is linked before the attachment.
    let ids: Vec<&str> = f.evidence["event_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(f.title.contains("created and made administrator"), "{}", f.title);
    assert_eq!(f.evidence["mitre_attack"][0], "T1098.003");
    assert_eq!(f.evidence["guardduty_finding_type"], "Persistence:IAMUser/AnomalousBehavior");
}
