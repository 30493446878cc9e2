//! `mlguard`: argument parsing and output; the work is done by the library crates.
//!
//! Exit codes: 0 clean (no finding at or above `--fail-on`), 1 findings at or above it,
//! 2 input or usage error.

mod can;
mod cli;
mod detect;
mod gaps;
mod live;
mod registry;
mod scan;

// The analyses allocate many small strings (explanations, ids); mimalloc is markedly faster
// than the system allocator for that pattern (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`mlguard audit | head`) is not an error.
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
