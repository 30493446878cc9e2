//! Crash safety: a child process (this test binary, re-invoked with an environment variable)
//! is killed with SIGKILL mid-operation; the parent then reopens the registry.
use crate::common::*;
use mlguard_registry::*;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ENV: &str = "MLGUARD_REGISTRY_CRASH_CHILD";

/// Serves `remaining` bytes in chunks of up to 1 MiB, 10 ms apart; creates `marker` once
/// `marker_after` bytes have been served.
struct SlowReader {
    remaining: u64,
    served: u64,
    marker: PathBuf,
    marker_after: u64,
}

impl Read for SlowReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        if self.served >= self.marker_after && !self.marker.exists() {
            std::fs::write(&self.marker, b"").unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
        let n = buf.len().min(1 << 20).min(self.remaining as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = (self.served as usize + i) as u8;
        }
        self.remaining -= n as u64;
        self.served += n as u64;
        Ok(n)
    }
}

/// The child's side; does nothing unless started by a crash test.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(ENV) else { return };
    let (mode, dir) = spec.split_once(':').unwrap();
    let dir = Path::new(dir);
    let reg = Registry::open(dir).unwrap();
    match mode {
        "upload" => {
            let body = SlowReader { remaining: 1 << 30, served: 0, marker: dir.join("uploading"), marker_after: 8 << 20 };
            let nv = NewVersion { artifacts: vec![ArtifactUpload { path: "big.bin".into(), sha256: None, body: Box::new(body) }], ..NewVersion::default() };
            reg.push("m", nv, "child").unwrap();
            std::fs::write(dir.join("finished"), b"").unwrap();
        }
        "loop" => {
            let start = reg.group("m").unwrap().latest_version;
            for i in 0u64.. {
                let content = (start + i).to_le_bytes();
                let v = reg.push("m", new_version(&[("w.bin", &content)]), "child").unwrap();
                if i == 20 {
                    std::fs::write(dir.join("uploading"), b"").unwrap();
                }
                let _ = v;
            }
        }
        _ => unreachable!(),
    }
}

fn spawn_child(mode: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash::crash_child", "--nocapture", "--test-threads=1"])
        .env(ENV, format!("{mode}:{}", dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn wait_for(marker: &Path, child: &mut std::process::Child) {
    let start = Instant::now();
    while !marker.exists() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("child exited early: {st}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "child never reached the marker");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill(mut child: std::process::Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    let st = child.wait().unwrap();
    assert_eq!(st.signal(), Some(9), "{st}");
}

#[test]
fn killed_mid_upload_leaves_no_version_and_loses_nothing() {
    let dir = temp_dir("crash-upload");
    let v1_bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let (v1, head) = {
        let reg = Registry::open(dir.path()).unwrap();
        reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
        reg.push("m", new_version(&[("model.bin", &v1_bytes)]), "alice").unwrap();
        approve(&reg, "m", 1);
        reg.set_alias("m", "production", 1, "bob", "").unwrap();
        (reg.version("m", 1).unwrap(), reg.log_head().unwrap())
    };
    assert_eq!(v1.version, 1);

    let mut child = spawn_child("upload", dir.path());
    wait_for(&dir.path().join("uploading"), &mut child);
    // Mid-upload: a temporary file of at least 8 MiB is being written.
    let tmp: Vec<_> = std::fs::read_dir(dir.path().join("blobs/tmp")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).collect();
    assert_eq!(tmp.len(), 1);
    assert!(tmp[0] >= 7 << 20, "{tmp:?}");
    kill(child);
    assert!(!dir.path().join("finished").exists());

    let reg = Registry::open(dir.path()).unwrap();
    assert_eq!(std::fs::read_dir(dir.path().join("blobs/tmp")).unwrap().count(), 0, "temporary files removed on open");
    let versions = reg.versions("m").unwrap();
    assert_eq!(versions, vec![v1.clone()], "no new version, the committed one intact");
    assert_eq!(reg.group("m").unwrap().latest_version, 1);
    assert_eq!(reg.resolve("m", "production").unwrap().version, 1);
    assert_eq!(reg.log_head().unwrap(), head);
    let log = reg.verify_log().unwrap();
    assert!(log.is_intact(), "{log:?}");
    assert!(reg.verify(None).unwrap().problems.is_empty());
    let objects = reg.blob_store().list_versions("sha256/").unwrap();
    assert_eq!(objects.len(), 1, "only v1's blob: {objects:?}");
    reg.pull("m", 1, &dir.path().join("out")).unwrap();
    assert_eq!(std::fs::read(dir.path().join("out/model.bin")).unwrap(), v1_bytes);
    assert_eq!(reg.push("m", new_version(&[("x", b"after")]), "alice").unwrap().version, 2);
    assert!(reg.verify_log().unwrap().is_intact());
}

#[test]
fn killed_during_a_stream_of_commits_keeps_log_and_state_consistent() {
    let dir = temp_dir("crash-loop");
    {
        let reg = Registry::open(dir.path()).unwrap();
        reg.create_group("m", "", GroupSettings::default(), "alice").unwrap();
    }
    let mut before = 0;
    // Three crashes at different points, each followed by recovery and a check.
    for round in 0..3u64 {
        let marker = dir.path().join("uploading");
        let _ = std::fs::remove_file(&marker);
        let mut child = spawn_child("loop", dir.path());
        wait_for(&marker, &mut child);
        std::thread::sleep(Duration::from_millis(7 + 23 * round));
        kill(child);

        let lines_at_kill = std::fs::read(dir.path().join("audit.log")).unwrap().iter().filter(|b| **b == b'\n').count();
        let reg = Registry::open(dir.path()).unwrap();
        let log = reg.verify_log().unwrap();
        assert!(log.is_intact(), "round {round}: {log:?}");
        // Informational: whether the kill fell between a log append and its commit.
        eprintln!("crash round {round}: {lines_at_kill} log lines at the kill, {} committed", log.valid_entries);
        let versions = reg.versions("m").unwrap();
        let n = versions.len() as u64;
        assert!(n >= before + 21, "round {round}: {n}");
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), (1..=n).collect::<Vec<_>>());
        assert_eq!(reg.group("m").unwrap().latest_version, n);
        // One entry for the group, one per committed push: nothing more, nothing less.
        assert_eq!(reg.log_head().unwrap().seq, n + 1);
        assert_eq!(reg.audit_entries().unwrap().len() as u64, n + 1);
        assert!(reg.verify(None).unwrap().problems.is_empty());
        for v in &versions[before as usize..] {
            reg.pull("m", v.version, &dir.path().join(format!("out{}", v.version))).unwrap();
        }
        before = n;
    }
}
