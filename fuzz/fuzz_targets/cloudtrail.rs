//! Feeds arbitrary bytes to the CloudTrail record stream (any of the delivered shapes: a
//! `Records` object, a bare array, JSON Lines, gzip) and every record it yields to the detector
//! with built-ins and baselines. The first byte picks the reading path: records parsed straight
//! out of the read buffer (`next_parsed`, what `Detector::process_input` uses) or each record's
//! text copied out first (`next_item`). Nothing may panic. Run: `cargo fuzz run cloudtrail`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_trail::reader::{Item, Parsed, RecordStream};
use mlguard_trail::record::Scratch;
use mlguard_trail::{DetectOptions, Detector};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else { return };
    let Ok(mut stream) = RecordStream::new(Box::new(std::io::Cursor::new(data.to_vec()))) else { return };
    let mut d = Detector::new(DetectOptions::default());
    let mut diags = Vec::new();
    let mut scratch = Scratch::default();
    for _ in 0..10_000 {
        if mode & 1 == 0 {
            match stream.next_parsed(&mut scratch) {
                Some(Parsed::Record(r)) => d.process(r),
                Some(Parsed::Text { bytes, .. }) => d.process_bytes(&bytes, "fuzz", "record", &mut diags),
                Some(Parsed::Problem { .. }) => {}
                None => break,
            }
        } else {
            match stream.next_item() {
                Some(Item::Record { bytes, .. }) => d.process_bytes(&bytes, "fuzz", "record", &mut diags),
                Some(_) => {}
                None => break,
            }
        }
    }
    let _ = d.finish();
});
