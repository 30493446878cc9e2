use mlguard_registry::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

static SEQ: AtomicU64 = AtomicU64::new(0);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("mlguard-registry-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A clock the test moves.
pub struct ManualClock(pub Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(time::macros::datetime!(2026-01-01 00:00 UTC))))
    }
    pub fn advance(&self, d: time::Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let mut t = self.0.lock().unwrap();
        *t += time::Duration::seconds(1);
        *t
    }
}

pub fn upload<'a>(path: &str, bytes: &'a [u8]) -> ArtifactUpload<'a> {
    ArtifactUpload { path: path.to_string(), sha256: None, body: Box::new(bytes) }
}

pub fn new_version<'a>(files: &[(&str, &'a [u8])]) -> NewVersion<'a> {
    NewVersion { description: "test".into(), artifacts: files.iter().map(|(p, b)| upload(p, b)).collect(), ..NewVersion::default() }
}

/// A registry in a temporary directory with a manual clock.
pub fn registry(name: &str) -> (TempDir, Registry, Arc<ManualClock>) {
    let dir = TempDir::new(name);
    let clock = ManualClock::new();
    let reg = Registry::open_with_clock(dir.path(), clock.clone()).unwrap();
    (dir, reg, clock)
}

pub fn approve(reg: &Registry, g: &str, v: u64) {
    reg.update_approval(g, v, ApprovalStatus::Approved, "approver", "ok").unwrap();
}

pub fn sig() -> SignatureInfo {
    SignatureInfo { kind: "sigstore-bundle".into(), signer: "ci@example.com".into(), verified_at: time::macros::datetime!(2026-01-01 00:00 UTC) }
}
