use mlguard_registry::*;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

pub use tempfile::TempDir;

/// A temporary directory, removed when dropped; `name` is part of its path.
pub fn temp_dir(name: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("mlguard-registry-test-{name}-")).tempdir().unwrap()
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
    let dir = temp_dir(name);
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
