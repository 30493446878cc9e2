//! Feeds arbitrary bytes to the snapshot loader as one response file of each recognised
//! command, then builds the network model and runs the network and posture controls over it.
//! Nothing may panic. Run: `cargo fuzz run snapshot_loader` (see docs/ARCHITECTURE.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_snapshot::{commands::COMMANDS, Inventory, Snapshot};
use std::sync::atomic::{AtomicUsize, Ordering};

static RUN: AtomicUsize = AtomicUsize::new(0);

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let n = RUN.fetch_add(1, Ordering::Relaxed);
    let cmd = &COMMANDS[data[0] as usize % COMMANDS.len()];
    let root = std::env::temp_dir().join(format!("mlguard-fuzz-{}-{}", std::process::id(), n % 4));
    let _ = std::fs::remove_dir_all(&root);
    let dir = match cmd.scope {
        mlguard_snapshot::Scope::Account => root.join("111122223333/us-east-1").join(cmd.service),
        mlguard_snapshot::Scope::Resource => root.join("111122223333/us-east-1").join(cmd.service).join("res-1"),
    };
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{}.json", cmd.name)), &data[1..]);
    if let Ok(snap) = Snapshot::open(&root) {
        let inv = Inventory::load(&snap);
        let net = mlguard_net::Net::build(&inv);
        let _ = mlguard_net::controls::audit(&inv, &net, &Default::default());
        let _ = mlguard_posture::audit(&inv, &mlguard_core::config::Config::default());
    }
});
