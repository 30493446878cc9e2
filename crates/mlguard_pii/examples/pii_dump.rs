//! Prints every detection of a scan, one line each (location, identifier, confidence, span
//! in the value, the matched bytes), to compare two versions of the engine mechanically:
//! `cargo run --release -p mlguard_pii --example pii_dump -- [--gitleaks FILE] FILE... > out`
//! with each version, then `cmp` the outputs. The matched bytes are printed as hex.

#![allow(clippy::expect_used, reason = "a developer tool: a file it cannot read ends it with the reason")]

use mlguard_pii::engine::{Batch, Hit};
use mlguard_pii::read::{self, Loc, Sink};
use mlguard_pii::{gitleaks, Options, Scanner};
use std::io::Write;

struct Dump<'a, W: Write> {
    scanner: &'a Scanner,
    out: W,
}

impl<W: Write> Sink for Dump<'_, W> {
    fn batch(&mut self, batch: &Batch, locs: &[Loc], hits: &[Hit], _header: &[String]) {
        for h in hits {
            let seg = batch.segs[h.seg];
            let loc = locs.get(seg.loc as usize);
            let v = &batch.value(h.seg)[h.start..h.end];
            let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(self.out, "{loc:?}\t{}\t{:?}\t{}\t{}\t{hex}", self.scanner.idents[h.ident].name, h.confidence, h.start, h.end);
        }
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = Options { managed: true, ..Options::default() };
    if args.first().map(String::as_str) == Some("--gitleaks") && args.len() > 1 {
        opts.gitleaks = Some(gitleaks::load(std::path::Path::new(&args[1])).expect("gitleaks rules"));
        args.drain(..2);
    }
    let scanner = Scanner::new(opts).expect("scanner");
    let mut cache = scanner.cache();
    let stdout = std::io::stdout();
    let mut sink = Dump { scanner: &scanner, out: std::io::BufWriter::new(stdout.lock()) };
    for f in &args {
        let _ = writeln!(sink.out, "# {f}");
        match read::open(std::path::Path::new(f)).expect("open") {
            Ok(o) => {
                read::scan_opened(&scanner, &mut cache, o, &mut sink).expect("scan");
            }
            Err(s) => {
                let _ = writeln!(sink.out, "skipped: {}", s.0);
            }
        }
    }
}
