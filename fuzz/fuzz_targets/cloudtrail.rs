//! Feeds arbitrary bytes to the CloudTrail record stream (any of the delivered shapes: a
//! `Records` object, a bare array, JSON Lines, gzip) and every record it yields to the detector
//! with built-ins and baselines. Nothing may panic. Run: `cargo fuzz run cloudtrail`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_trail::reader::{Item, RecordStream};
use mlguard_trail::{DetectOptions, Detector};

fuzz_target!(|data: &[u8]| {
    let Ok(mut stream) = RecordStream::new(Box::new(std::io::Cursor::new(data.to_vec()))) else { return };
    let mut d = Detector::new(DetectOptions::default());
    let mut diags = Vec::new();
    let mut n = 0;
    while let Some(item) = stream.next_item() {
        if let Item::Record { bytes, .. } = item {
            d.process_bytes(&bytes, "fuzz", "record", &mut diags);
        }
        n += 1;
        if n > 10_000 {
            break;
        }
    }
    let _ = d.finish();
});
