//! The one fixture writer the posture tests share: files written under a fresh temporary
//! snapshot root (paths relative to it, `<account>/<region>/<service>/...`), loaded, and removed.

use mlguard_snapshot::{Inventory, Snapshot};
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

/// Writes `files` (relative path, contents) into a new snapshot directory and loads it.
pub fn load<P: AsRef<str>, C: AsRef<str>>(files: impl IntoIterator<Item = (P, C)>) -> Inventory {
    let root = std::env::temp_dir().join(format!(
        "mlguard-posture-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    for (p, c) in files {
        let path = root.join(p.as_ref());
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(&root));
        let _ = std::fs::write(&path, c.as_ref());
    }
    let snap = Snapshot::open(&root);
    let inv = snap.as_ref().map(Inventory::load).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&root);
    assert!(snap.is_ok(), "fixture snapshot did not open");
    inv
}
