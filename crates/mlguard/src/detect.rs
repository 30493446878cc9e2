//! `mlguard detect`: threat detection over CloudTrail files (layer 3, `mlguard_trail`).

use anyhow::{bail, Context, Result};
use clap::Args;
use mlguard_core::config::{apply_suppressions, Config};
use mlguard_core::report::{self, Format, WriteOptions};
use mlguard_core::{Level, Report, Severity};
use mlguard_trail::net::NetSet;
use mlguard_trail::reader::{self, Input};
use mlguard_trail::sigma::SigmaSet;
use mlguard_trail::store::Store;
use mlguard_trail::{DetectOptions, Detector};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DetectArgs {
    /// CloudTrail files or directories (delivery layout, .json, .json.gz, JSON Lines); `-` or nothing reads standard input.
    pub paths: Vec<PathBuf>,
    /// A directory of SigmaHQ rules (YAML) to evaluate as well (repeatable).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Keep per-principal baselines here (a redb database) so they survive restarts; records already committed are skipped.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Only events at or after this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Only events before this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// table, json, jsonl, sarif, asff or html.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high")]
    pub fail_on: String,
    /// Write the report to a file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// mlguard.toml: `[buckets]` names the model-artifact and training-data buckets; `[[suppress]]` applies.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A snapshot directory (as `mlguard audit` reads it): the model-artifact and training-data buckets its SageMaker resources use join `[buckets]`, and the public addresses of its interfaces and NAT gateways join the known networks.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// AWS's published ip-ranges.json, to tell AWS addresses from others (CT-CRED-001).
    #[arg(long)]
    pub aws_ip_ranges: Option<PathBuf>,
    /// A network of the account's own (CIDR or address; repeatable): NAT gateways, offices, instance public IPs.
    #[arg(long = "known-network")]
    pub known_networks: Vec<String>,
    /// Window of the sequence detections, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub window: i64,
    /// Days a principal (or ML bucket) is learned before its unseen APIs (or writers) are reported.
    #[arg(long, default_value_t = 7)]
    pub learning_days: i64,
    /// Access-denied errors within 10 minutes that make a burst.
    #[arg(long, default_value_t = 10)]
    pub denied_threshold: usize,
    /// Never draw the progress line on standard error.
    #[arg(long)]
    pub no_progress: bool,
}

fn parse_when(s: &str) -> Result<i64> {
    let full = if s.len() == 10 { format!("{s}T00:00:00Z") } else { s.to_string() };
    mlguard_trail::record::parse_time(&full).with_context(|| format!("cannot read time `{s}`: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"))
}

pub fn run(a: DetectArgs) -> Result<u8> {
    let fmt_name = a.format.to_ascii_lowercase();
    let jsonl = fmt_name == "jsonl";
    let format: Format = if jsonl { Format::Json } else { a.format.parse().map_err(|e| anyhow::anyhow!("{e}; or jsonl"))? };
    let fail_on: Severity = a.fail_on.parse()?;
    let (cfg, cfg_file) = match &a.config {
        Some(p) => (Config::load(p)?, p.display().to_string()),
        None => (Config::default(), String::new()),
    };
    let mut diags = Vec::new();
    let mut opts = DetectOptions::default();
    let mut ml: std::collections::HashSet<String> = cfg.buckets.model_artifacts.iter().chain(cfg.buckets.training_data.iter()).cloned().collect();
    if let Some(dir) = &a.snapshot {
        let snap = mlguard_snapshot::Snapshot::open(dir)?;
        let inv = mlguard_snapshot::Inventory::load(&snap);
        if inv.files_read == 0 {
            bail!("nothing usable in snapshot `{}`: no recognised AWS CLI response files", dir.display());
        }
        ml.extend(mlguard_posture::buckets::discover(&inv, &cfg).into_keys());
        let mut public = Vec::new();
        for e in &inv.ec2.network_interfaces {
            public.extend(e.association.as_ref().and_then(|x| x.public_ip.clone()));
            public.extend(e.private_ip_addresses.iter().filter_map(|p| p.association.as_ref().and_then(|x| x.public_ip.clone())));
        }
        for n in &inv.ec2.nat_gateways {
            public.extend(n.nat_gateway_addresses.iter().filter_map(|x| x.public_ip.clone()));
        }
        for ip in public {
            opts.builtin.known.add(&ip);
        }
    }
    opts.builtin.ml_buckets = ml.clone();
    opts.baseline.ml_buckets = ml;
    opts.builtin.window = a.window;
    opts.baseline.learning = a.learning_days * 86_400;
    opts.baseline.denied_threshold = a.denied_threshold.max(1);
    for n in &a.known_networks {
        if !opts.builtin.known.add(n) {
            bail!("cannot read network `{n}`: expected an address or CIDR");
        }
    }
    opts.builtin.known.finish();
    if let Some(p) = &a.aws_ip_ranges {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading `{}`", p.display()))?;
        opts.builtin.aws_ranges = Some(NetSet::from_ip_ranges(&text).map_err(|e| anyhow::anyhow!("`{}`: {e}", p.display()))?);
    }
    opts.since = a.since.as_deref().map(parse_when).transpose()?;
    opts.until = a.until.as_deref().map(parse_when).transpose()?;
    let mut sigma = SigmaSet::default();
    for dir in &a.rules {
        if !dir.is_dir() {
            bail!("`{}` is not a directory of Sigma rules", dir.display());
        }
        diags.extend(sigma.add_dir(dir));
    }
    let sigma_loaded = sigma.loaded;
    opts.sigma = std::sync::Arc::new(sigma);

    let paths = if a.paths.is_empty() { vec![PathBuf::from("-")] } else { a.paths.clone() };
    let (inputs, input_diags) = reader::inputs(&paths);
    diags.extend(input_diags);
    if inputs.is_empty() {
        for d in &diags {
            eprintln!("{d}");
        }
        bail!("no CloudTrail input: none of the paths is a readable file or directory");
    }
    if inputs.contains(&Input::Stdin) && std::io::stdin().is_terminal() {
        bail!("reading CloudTrail records from standard input, which is a terminal; give files or directories, or pipe records in");
    }

    let mut det = match &a.state {
        Some(dir) => {
            let (store, base, seq) = Store::open(dir)?;
            Detector::with_state(opts, Some(store), base, seq)
        }
        None => Detector::new(opts),
    };

    // JSON Lines streams findings as they are raised, file by file, so memory stays bounded.
    let mut stream: Option<Box<dyn Write>> = if jsonl {
        Some(match &a.output {
            Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating `{}`", p.display()))?)),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    } else {
        None
    };
    // Without suppressions to apply, JSON Lines are written by the detector itself, which
    // writes Sigma findings straight from the record (the same bytes, without a `Finding` each).
    let direct = jsonl && cfg_file.is_empty();
    if direct {
        det.jsonl();
    }
    let mut streamed = 0usize;
    let mut stream_max: Option<Severity> = None;
    let progress_on = !a.no_progress && std::io::stderr().is_terminal();
    let start = std::time::Instant::now();
    let total = inputs.len();
    let mut last_draw = std::time::Instant::now();
    for (i, input) in inputs.iter().enumerate() {
        let read_before = det.counts.read;
        let mut draw = |_: u64| {
            if progress_on && last_draw.elapsed().as_millis() >= 200 {
                last_draw = std::time::Instant::now();
                let secs = start.elapsed().as_secs_f64().max(1e-9);
                eprint!("\r\x1b[2K[{}/{}] {} records read, {:.0}/s", i + 1, total, read_before, read_before as f64 / secs);
            }
        };
        det.process_input(input, &mut diags, &mut draw);
        if let (true, Some(w)) = (direct, stream.as_mut()) {
            streamed += usize::try_from(det.write_jsonl(w)?).unwrap_or(usize::MAX);
        } else if let Some(w) = stream.as_mut() {
            let mut batch = Report::new("");
            batch.findings = det.take_findings();
            if !cfg_file.is_empty() {
                // Notes about unused suppressions are only meaningful over the whole run: the last batch reports them.
                let _ = apply_suppressions(&mut batch, &cfg, time::OffsetDateTime::now_utc().date(), &cfg_file);
            }
            for f in batch.findings {
                serde_json::to_writer(&mut *w, &f)?;
                w.write_all(b"\n")?;
                streamed += 1;
                if f.suppressed.is_none() {
                    stream_max = stream_max.max(Some(f.severity));
                }
            }
        }
    }
    if progress_on {
        eprint!("\r\x1b[2K");
    }
    let mut out = det.finish_and_commit()?;
    if let (true, Some(w)) = (direct, stream.as_mut()) {
        w.write_all(&out.jsonl)?;
        streamed += usize::try_from(out.jsonl_lines).unwrap_or(usize::MAX);
        stream_max = stream_max.max(out.jsonl_max_severity);
        out.jsonl = Vec::new();
    }
    let c = out.counts;
    let elapsed = start.elapsed().as_secs_f64();

    let source = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
    let mut rep = Report::new(source);
    rep.rules = mlguard_trail::RULES.to_vec();
    rep.findings = out.findings;
    let today = time::OffsetDateTime::now_utc().date();
    let notes = if cfg_file.is_empty() { Vec::new() } else { apply_suppressions(&mut rep, &cfg, today, &cfg_file) };
    rep.diagnostics = diags;
    rep.diagnostics.extend(notes);
    rep.sort();

    let color = a.output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let wopts = WriteOptions { color, now: time::OffsetDateTime::now_utc() };
    if let Some(mut w) = stream.take() {
        for f in &rep.findings {
            serde_json::to_writer(&mut w, f)?;
            w.write_all(b"\n")?;
            if f.suppressed.is_none() {
                stream_max = stream_max.max(Some(f.severity));
            }
        }
        streamed += rep.findings.len();
        w.flush()?;
    } else {
        let mut sink: Box<dyn Write> = match &a.output {
            Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating `{}`", p.display()))?)),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        report::write(&rep, format, &wopts, &mut sink)?;
        sink.flush()?;
    }
    let n_findings = if jsonl { streamed } else { rep.findings.len() };
    let max_sev = if jsonl { stream_max } else { rep.max_severity() };

    if format != Format::Table || jsonl {
        for d in rep.diagnostics.iter().take(50) {
            eprintln!("{d}");
        }
        if rep.diagnostics.len() > 50 {
            eprintln!("... and {} more input problems (all in the report)", rep.diagnostics.len() - 50);
        }
    }
    eprintln!(
        "read {} records, skipped {}, matched {} ({} findings; {} duplicate, {} outside the time range; {} Sigma rules, {} built-in) in {:.2}s",
        c.read,
        c.skipped,
        c.matched,
        n_findings,
        c.duplicates,
        c.filtered,
        sigma_loaded,
        mlguard_trail::RULES.len(),
        elapsed
    );
    if c.read == 0 && rep.diagnostics.iter().any(|d| d.level == Level::Error || d.level == Level::Warning) {
        if format == Format::Table && !jsonl {
            for d in rep.diagnostics.iter().take(50) {
                eprintln!("{d}");
            }
        }
        eprintln!("error: no CloudTrail record could be read");
        return Ok(2);
    }
    Ok(if max_sev.map(|s| s >= fail_on).unwrap_or(false) { 1 } else { 0 })
}
