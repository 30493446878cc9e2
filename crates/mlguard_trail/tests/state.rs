//! Baselines in the redb store survive restarts; a rerun over the same records counts nothing twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use mlguard_trail::baseline::BaselineOptions;
use mlguard_trail::record::format_time;
use mlguard_trail::store::Store;
use mlguard_trail::{DetectOptions, Detector, Outcome};
use serde_json::json;

const T0: i64 = 1_735_689_600;

fn get(id: &str, t: i64, api: &str) -> serde_json::Value {
    json!({"eventID": id, "eventTime": format_time(t), "eventSource": "iam.amazonaws.com", "eventName": api, "awsRegion": "us-east-1", "recipientAccountId": "1",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/svc", "userName": "svc"}, "requestParameters": {"userName": "svc"}})
}

fn run(dir: &std::path::Path, events: &[serde_json::Value]) -> Outcome {
    let (store, base, seq) = Store::open(dir).unwrap();
    let opts = DetectOptions { baseline: BaselineOptions { learning: 86_400, ..BaselineOptions::default() }, ..DetectOptions::default() };
    let mut d = Detector::with_state(opts, Some(store), base, seq);
    let mut diags = Vec::new();
    for e in events {
        d.process_bytes(e.to_string().as_bytes(), "t", "x", &mut diags);
    }
    d.finish_and_commit().unwrap()
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mlguard-trail-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn baseline_survives_restart_and_rerun_counts_nothing_twice() {
    let dir = tempdir("state");
    // Day 0: the principal's routine.
    let day0: Vec<_> = (0..5).map(|i| get(&format!("a{i}"), T0 + i, "GetUser")).collect();
    let out = run(&dir, &day0);
    assert_eq!(out.counts.read, 5);
    assert_eq!(out.baselines.principals["arn:aws:iam::1:user/svc"].events, 5);
    // Same records again: all skipped as already committed; the baseline is unchanged.
    let again = run(&dir, &day0);
    assert_eq!(again.counts.duplicates, 5);
    assert_eq!(again.baselines.principals["arn:aws:iam::1:user/svc"].events, 5);
    // Day 3, a new process: an unseen sensitive API is reported because the learned baseline was kept.
    let out = run(&dir, &[get("b1", T0 + 3 * 86_400, "CreateLoginProfile")]);
    let ids: Vec<&str> = out.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["CT-BASE-001"]);
    assert_eq!(out.findings[0].evidence["baseline"]["events"], 5);
    assert_eq!(out.baselines.principals["arn:aws:iam::1:user/svc"].events, 6);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_that_dies_before_commit_leaves_the_store_as_it_was() {
    let dir = tempdir("crash");
    run(&dir, &[get("a", T0, "GetUser")]);
    {
        // Process records but drop the detector without committing (as a crash would).
        let (store, base, seq) = Store::open(&dir).unwrap();
        let mut d = Detector::with_state(DetectOptions::default(), Some(store), base, seq);
        let mut diags = Vec::new();
        d.process_bytes(get("b", T0 + 1, "GetUser").to_string().as_bytes(), "t", "x", &mut diags);
        let _ = d.finish();
    }
    let out = run(&dir, &[get("a", T0, "GetUser"), get("b", T0 + 1, "GetUser")]);
    assert_eq!(out.counts.duplicates, 1, "only the committed record is known");
    assert_eq!(out.baselines.principals["arn:aws:iam::1:user/svc"].events, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_directory_of_the_row_per_id_format_keeps_its_seen_records() {
    let dir = tempdir("oldformat");
    std::fs::create_dir_all(&dir).unwrap();
    {
        // The earlier format: table `seen`, one row per event-id hash.
        let seen: redb::TableDefinition<u64, ()> = redb::TableDefinition::new("seen");
        let db = redb::Database::create(dir.join("baselines.redb")).unwrap();
        let w = db.begin_write().unwrap();
        {
            let mut t = w.open_table(seen).unwrap();
            for i in 0..3 {
                t.insert(mlguard_trail::store::event_hash(&format!("a{i}")), ()).unwrap();
            }
        }
        w.commit().unwrap();
    }
    let day0: Vec<_> = (0..5).map(|i| get(&format!("a{i}"), T0 + i, "GetUser")).collect();
    let out = run(&dir, &day0);
    assert_eq!(out.counts.duplicates, 3, "the ids of the old table are known");
    assert_eq!(out.counts.read, 5);
    let again = run(&dir, &day0);
    assert_eq!(again.counts.duplicates, 5, "old and new ids are known after the conversion");
    let (store, _, _) = Store::open(&dir).unwrap();
    assert_eq!(store.seen_blocks().1, 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_runs_keep_few_blocks_and_count_nothing_twice() {
    let dir = tempdir("blocks");
    let mut all = Vec::new();
    for run_no in 0..12 {
        let events: Vec<_> = (0..20).map(|i| get(&format!("r{run_no}-{i}"), T0 + run_no * 100 + i, "GetUser")).collect();
        all.extend(events.iter().cloned());
        let out = run(&dir, &events);
        assert_eq!(out.counts.duplicates, 0);
    }
    let (store, _, _) = Store::open(&dir).unwrap();
    let (blocks, hashes) = store.seen_blocks();
    drop(store);
    assert_eq!(hashes, 240);
    assert!(blocks <= 8, "{blocks} blocks");
    let out = run(&dir, &all);
    assert_eq!(out.counts.duplicates, 240);
    let _ = std::fs::remove_dir_all(&dir);
}
