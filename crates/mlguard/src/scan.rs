//! `mlguard scan` and `mlguard redact`: sensitive data in training data (layer 4, `mlguard_pii`).

use anyhow::{bail, Context, Result};
use clap::Args;
use mlguard_core::report::{self, Format, WriteOptions};
use mlguard_core::{Diagnostic, Report, Severity};
use mlguard_pii::{custom, gitleaks, redact, result, FileOutcome, Options, Scanner};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Args)]
pub struct ScanArgs {
    /// Files or directories (searched recursively); gzip and the format are recognised by content.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Custom identifiers (TOML, or JSON by extension), Macie CustomDataIdentifier fields.
    #[arg(long)]
    identifiers: Option<PathBuf>,
    /// A gitleaks rule file (TOML) whose secret rules run next to the managed identifiers.
    #[arg(long)]
    gitleaks: Option<PathBuf>,
    /// table, json, macie or sarif.
    #[arg(long, default_value = "table")]
    format: String,
    /// Include up to N unmasked sample values per type (default: three masked samples).
    #[arg(long, default_value_t = 0)]
    sample_values: usize,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "medium")]
    fail_on: String,
    /// Write the report to a file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print bytes scanned and throughput on standard error.
    #[arg(long)]
    timings: bool,
}

#[derive(Args)]
pub struct RedactArgs {
    /// The file to redact (CSV/TSV, JSON, JSON Lines, Parquet or text, optionally gzip).
    input: PathBuf,
    /// Where the redacted copy goes; written to a temporary file and renamed into place.
    #[arg(long)]
    out: PathBuf,
    /// Redaction policy (TOML); default: replace every detection with `[TYPE]`.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Custom identifiers, as for `scan`.
    #[arg(long)]
    identifiers: Option<PathBuf>,
    /// A gitleaks rule file, as for `scan`.
    #[arg(long)]
    gitleaks: Option<PathBuf>,
    /// Undo the policy's `tokenize` (same policy, same key): restores the original values;
    /// what the other operators removed cannot come back.
    #[arg(long)]
    reverse: bool,
}

fn build_scanner(identifiers: Option<&Path>, gl: Option<&Path>, diags: &mut Vec<Diagnostic>) -> Result<Scanner> {
    let custom = match identifiers {
        Some(p) => custom::load(p)?,
        None => Vec::new(),
    };
    let gitleaks = match gl {
        Some(p) => {
            let loaded = gitleaks::load(p)?;
            for (id, why) in &loaded.unsupported {
                diags.push(Diagnostic::warning(p.display().to_string(), format!("rule `{id}`"), format!("not applied: {why}")));
            }
            for (id, why) in &loaded.notes {
                diags.push(Diagnostic::warning(p.display().to_string(), format!("rule `{id}`"), why.clone()));
            }
            Some(loaded)
        }
        None => None,
    };
    Ok(Scanner::new(Options { managed: true, custom, gitleaks })?)
}

pub fn run_scan(a: ScanArgs) -> Result<u8> {
    let fmt = a.format.as_str();
    if !matches!(fmt, "table" | "json" | "macie" | "sarif") {
        bail!("unknown format `{fmt}`, expected table, json, macie or sarif");
    }
    let fail_on: Severity = a.fail_on.parse()?;
    let mut diags = Vec::new();
    let scanner = build_scanner(a.identifiers.as_deref(), a.gitleaks.as_deref(), &mut diags)?;
    let mut files = Vec::new();
    let mut walk_errors = Vec::new();
    for p in &a.paths {
        mlguard_pii::read::walk(p, &mut files, &mut walk_errors);
    }
    for (f, m) in walk_errors {
        diags.push(Diagnostic::error(f, "", m));
    }
    let t = std::time::Instant::now();
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<(usize, Result<FileOutcome, mlguard_pii::Error>)>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut cache = scanner.cache();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = mlguard_pii::scan_file_with(&scanner, &mut cache, f, a.sample_values);
                    if let Ok(mut o) = outcomes.lock() {
                        o.push((i, r));
                    }
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap_or_default();
    outcomes.sort_by_key(|(i, _)| *i);
    let mut results = Vec::new();
    let mut scanned = 0usize;
    let mut bytes = 0u64;
    for (_, o) in outcomes {
        match o {
            Ok(FileOutcome::Scanned { result, notes }) => {
                scanned += 1;
                bytes += result.size;
                for n in notes {
                    diags.push(Diagnostic::warning(result.path.clone(), n.place, n.message));
                }
                if !result.detections.is_empty() {
                    results.push(result);
                }
            }
            Ok(FileOutcome::Skipped { path, reason }) => diags.push(Diagnostic::warning(path, "", format!("skipped: {reason}"))),
            Err(e) => diags.push(Diagnostic::error(String::new(), "", e.to_string())),
        }
    }
    if a.timings {
        let s = t.elapsed().as_secs_f64();
        eprintln!("timing: scanned {scanned} files, {bytes} bytes in {s:.3}s ({:.1} MB/s)", bytes as f64 / 1e6 / s.max(1e-9));
    }
    let now = time::OffsetDateTime::now_utc();
    let mut rep = Report::new(a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "));
    rep.rules = mlguard_pii::RULES.to_vec();
    for r in &results {
        rep.findings.extend(result::to_findings(&scanner, r));
    }
    rep.diagnostics = diags;
    rep.sort();
    let mut sink: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating `{}`", p.display()))?)),
        None => Box::new(std::io::stdout().lock()),
    };
    if fmt == "macie" {
        let created = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let v: Vec<_> = results.iter().map(|r| result::to_macie(&scanner, r, &created)).collect();
        serde_json::to_writer_pretty(&mut sink, &v).map_err(std::io::Error::from)?;
        writeln!(sink)?;
        for d in &rep.diagnostics {
            eprintln!("{d}");
        }
    } else {
        let format: Format = fmt.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        let color = a.output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        report::write(&rep, format, &WriteOptions { color, now }, &mut sink)?;
    }
    sink.flush()?;
    if scanned == 0 {
        eprintln!("error: nothing could be scanned");
        return Ok(2);
    }
    Ok(if rep.max_severity().is_some_and(|s| s >= fail_on) { 1 } else { 0 })
}

pub fn run_redact(a: RedactArgs) -> Result<u8> {
    let mut diags = Vec::new();
    let scanner = build_scanner(a.identifiers.as_deref(), a.gitleaks.as_deref(), &mut diags)?;
    for d in &diags {
        eprintln!("{d}");
    }
    let policy = match &a.policy {
        Some(p) => redact::Policy::load(p)?,
        None if a.reverse => bail!("`--reverse` needs the `--policy` that tokenized the file"),
        None => redact::Policy::default(),
    };
    if a.reverse && !policy.uses(redact::Op::Tokenize) {
        bail!("`--reverse` undoes `tokenize`, which the policy does not use");
    }
    let policy = if a.reverse { policy.reversed() } else { policy };
    if a.input == a.out {
        bail!("`--out` must differ from the input `{}`", a.input.display());
    }
    let stats = redact::redact_file(&scanner, &policy, &a.input, &a.out)?;
    if stats.tokenize_fallbacks > 0 {
        eprintln!("warning: {} values could not be tokenized (too short for FF1, or not of their type) and were starred instead", stats.tokenize_fallbacks);
    }
    if stats.nulled > 0 {
        eprintln!("warning: {} integer cells (Parquet) got a replacement that is not an integer and were written as null (0 where the column is required)", stats.nulled);
    }
    if a.reverse {
        eprintln!("restored {} values; wrote `{}`", stats.values_changed, a.out.display());
        return Ok(0);
    }
    eprintln!(
        "redacted {} detections in {} values, dropped {} columns; wrote `{}`",
        stats.detections,
        stats.values_changed,
        stats.columns_dropped,
        a.out.display()
    );
    Ok(0)
}
