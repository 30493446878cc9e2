//! Sensitive-data discovery and redaction for training data (layer 4).
//!
//! A [`Scanner`] is compiled from the managed identifiers ([`ident::managed`], modelled on
//! Amazon Macie's), custom identifiers ([`custom`], Macie's `CustomDataIdentifier`) and
//! gitleaks secret rules ([`gitleaks`]). [`scan_file`] opens a file (gzip or not), decides
//! its format by content ([`read`]), feeds its values to the scanner in bounded batches
//! and returns an [`result::ObjectResult`]: detections per type with Macie-style locations
//! (`lineRanges`, `cells`, `records`). [`result::to_macie`] renders it as a Macie finding,
//! [`result::to_findings`] as `mlguard_core::Finding`s of the [`RULES`]. [`redact`] writes
//! a redacted copy of a file under a policy.
//!
//! ```
//! use mlguard_pii::{Scanner, Options, engine::Batch};
//! let scanner = Scanner::new(Options { managed: true, ..Options::default() })?;
//! let mut batch = Batch::new();
//! batch.push(b"card 4111 1111 1111 1111, mail jane@example.com", 0, u32::MAX);
//! let mut hits = Vec::new();
//! scanner.scan(&mut scanner.cache(), &batch, &mut hits);
//! let names: Vec<&str> = hits.iter().map(|h| scanner.idents[h.ident].name.as_str()).collect();
//! assert_eq!(names, ["CREDIT_CARD_NUMBER", "EMAIL_ADDRESS"]);
//! # Ok::<(), mlguard_pii::Error>(())
//! ```

pub mod custom;
pub mod engine;
pub mod gitleaks;
pub mod ident;
pub mod parquet;
pub mod read;
pub mod redact;
pub mod result;
pub mod rules;
pub mod tokenize;
pub mod validate;

pub use engine::{Options, Scanner};
pub use rules::RULES;

use std::path::Path;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{file}`: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("`{file}`: {message}")]
    Parse { file: String, message: String },
    #[error("identifier `{name}` does not compile: {message}")]
    Identifier { name: String, message: String },
    #[error("`{file}`: {message}")]
    Policy { file: String, message: String },
}

/// The outcome of scanning one file.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    Scanned { result: result::ObjectResult, notes: Vec<read::Note> },
    Skipped { path: String, reason: String },
}

/// Scans one file; `sample_values` raw samples per type are kept (0: three masked ones).
pub fn scan_file(scanner: &Scanner, path: &Path, sample_values: usize) -> Result<FileOutcome, Error> {
    scan_file_with(scanner, &mut scanner.cache(), path, sample_values)
}

/// [`scan_file`] with a search cache kept across files (the lazy DFAs stay warm).
pub fn scan_file_with(scanner: &Scanner, cache: &mut engine::Cache, path: &Path, sample_values: usize) -> Result<FileOutcome, Error> {
    let name = path.display().to_string();
    let opened = match read::open(path)? {
        Ok(o) => o,
        Err(read::Skipped(reason)) => return Ok(FileOutcome::Skipped { path: name, reason }),
    };
    let mime = if opened.gzip { "application/gzip".to_string() } else { opened.kind.mime().to_string() };
    let mut result = result::ObjectResult { path: name.clone(), mime, ..Default::default() };
    let mut sink = result::Collect { result: &mut result, sample_values };
    match read::scan_opened(scanner, cache, opened, &mut sink) {
        Ok((bytes, notes)) => {
            result.size = bytes;
            Ok(FileOutcome::Scanned { result, notes })
        }
        Err(e) => Ok(FileOutcome::Skipped { path: name, reason: format!("read error: {e}") }),
    }
}
