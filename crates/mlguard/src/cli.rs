use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use mlguard_core::report::{self, Format, WriteOptions};
use mlguard_core::config::{apply_suppressions, Config};
use mlguard_core::{Level, Report, RuleDoc, Severity};
use mlguard_net::addr::{Cidr, Family, Ip};
use mlguard_net::controls::{self, AuditOptions};
use mlguard_net::ml::{self, MlOptions};
use mlguard_net::ports::PortSet;
use mlguard_net::reach::{self, Dest, Options, Reach, Source};
use mlguard_net::Net;
use mlguard_snapshot::{Inventory, Snapshot};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "mlguard", version, about = "Defense in depth with zero-trust principles for ML workloads on AWS, checkable on a laptop")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Audit a snapshot with every control and report findings.
    Audit {
        /// The snapshot directory (<account>/<region>/<service>/<command>.json); with --live, none.
        #[arg(required_unless_present = "live", conflicts_with = "live")]
        snapshot: Option<PathBuf>,
        /// Collect from AWS into a temporary directory (as `mlguard collect` does) and audit that.
        #[arg(long)]
        live: bool,
        #[command(flatten)]
        live_args: crate::live::LiveArgs,
        /// table, json, sarif, asff or html.
        #[arg(long, default_value = "table")]
        format: String,
        /// Exit 1 when a finding is at or above this severity.
        #[arg(long, default_value = "high")]
        fail_on: String,
        /// Write the report to a file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Configuration file; default: `mlguard.toml` at the snapshot root, if there is one.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Tag key naming a VPC's team (NET-007); overrides the configuration (default `team`).
        #[arg(long)]
        team_tag: Option<String>,
        /// Tag key marking EC2 instances as ML workloads (repeatable); overrides the configuration (default `ml-workload`).
        #[arg(long = "ml-tag")]
        ml_tags: Vec<String>,
        /// Print how long loading and each group of controls took, on standard error.
        #[arg(long)]
        timings: bool,
    },
    /// Read an AWS account with the AWS SDK (read-only) into a snapshot directory, with a
    /// manifest.json of what could not be read.
    Collect(crate::live::CollectArgs),
    /// Talk to a model registry: push, list, show, approve, reject, alias, rollback, pull,
    /// verify, lineage (server from --server or MLGUARD_REGISTRY_URL, token from MLGUARD_TOKEN).
    Model(mlguard_registry_server::cli::ModelArgs),
    /// Run the model registry (serve), check its audit log offline (verify-log), issue tokens.
    Registry(mlguard_registry_server::cli::RegistryArgs),
    /// OpenSSF model signing on a local directory: keygen, sign, verify.
    Signature(crate::registry::SignatureArgs),
    /// Answer one reachability question, hop by hop.
    Reach {
        snapshot: PathBuf,
        /// internet, s3, an AWS service (sagemaker.api ...), an IP or CIDR, eni-..., i-..., or a SageMaker ARN.
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// tcp, udp, icmp or all.
        #[arg(long, default_value = "tcp")]
        protocol: String,
        /// A port (ICMP: a type); all ports when omitted.
        #[arg(long)]
        port: Option<u16>,
        /// Only the forward path; do not require the reply to get back.
        #[arg(long)]
        one_way: bool,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
        /// Print how long loading and the question took, on standard error.
        #[arg(long)]
        timings: bool,
    },
    /// List every control.
    Rules {
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Print the full documentation of one control.
    Explain { rule_id: String },
    /// Ask the IAM policy evaluator: can this principal do this action on this resource?
    Can(crate::can::CanArgs),
    /// Find sensitive data (PII, financial data, credentials) in data files; Macie-shaped findings.
    Scan(crate::scan::ScanArgs),
    /// Write a redacted copy of a data file under a policy.
    Redact(crate::scan::RedactArgs),
    /// Detect threats in CloudTrail logs: SigmaHQ rules, built-in detections, per-principal baselines.
    Detect(crate::detect::DetectArgs),
    /// Write a synthetic organisation snapshot (for benchmarks).
    Synth {
        #[arg(long)]
        out: PathBuf,
        /// 1.0 = 500 VPCs, 5,000 subnets, 50,000 ENIs, 5,000 security groups, 20 transit gateways.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Every control of every layer, for `rules`, `explain` and SARIF.
pub fn all_rules() -> Vec<&'static RuleDoc> {
    let mut v = controls::RULES.to_vec();
    v.extend(mlguard_posture::RULES.iter().copied());
    v.extend(mlguard_trail::RULES.iter().copied());
    v.extend(mlguard_pii::RULES.iter().copied());
    v
}

pub fn run() -> Result<u8> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Audit { snapshot, live, live_args, format, fail_on, output, config, team_tag, ml_tags, timings } => {
            let format: Format = format.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let fail_on: Severity = fail_on.parse()?;
            if let (false, Some(flag)) = (live, live_args.first_given()) {
                bail!("{flag} is a collection option: it needs --live (or use `mlguard collect`)");
            }
            // Kept alive until the audit is written; removed afterwards.
            let temp = if live { Some(crate::live::TempSnapshot::new()?) } else { None };
            let snapshot = match (&temp, snapshot) {
                (Some(t), _) => {
                    crate::live::collect_into(&live_args, &t.0)?;
                    t.0.clone()
                }
                (None, Some(s)) => s,
                (None, None) => bail!("give a snapshot directory, or --live"),
            };
            let (cfg, cfg_file) = load_config(&snapshot, config.as_deref())?;
            let ml = MlOptions {
                ml_tag_keys: if ml_tags.is_empty() { cfg.ml.compute_tags.clone() } else { ml_tags },
                team_tag: team_tag.unwrap_or_else(|| cfg.network.team_tag.clone()),
            };
            audit(&snapshot, format, fail_on, output.as_deref(), ml, &cfg, &cfg_file, timings)
        }
        Cmd::Reach { snapshot, from, to, protocol, port, one_way, format, timings } => reach_cmd(&snapshot, &from, &to, &protocol, port, one_way, &format, timings),
        Cmd::Rules { format } => {
            let mut out = std::io::stdout().lock();
            let rules = all_rules();
            if format == "json" {
                let v: Vec<_> = rules
                    .iter()
                    .map(|r| serde_json::json!({"id": r.id, "severity": r.severity, "title": r.title, "practice": r.practice, "well_architected": r.well_architected}))
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "{:<10} {:<13} {:<10} TITLE", "ID", "SEVERITY", "PRACTICE")?;
                for r in rules {
                    writeln!(out, "{:<10} {:<13} {:<10} {}", r.id, r.severity.as_str(), r.practice.as_str(), r.title)?;
                }
            }
            Ok(0)
        }
        Cmd::Explain { rule_id } => {
            let rules = all_rules();
            match mlguard_core::rule::find(&rules, &rule_id) {
                Some(r) => {
                    print!("{}", r.to_markdown());
                    Ok(0)
                }
                None => bail!("unknown rule `{rule_id}`; `mlguard rules` lists them"),
            }
        }
        Cmd::Collect(a) => crate::live::run_collect(a),
        Cmd::Model(a) => crate::registry::run_model_cmd(&a),
        Cmd::Registry(a) => crate::registry::run_registry_cmd(&a),
        Cmd::Signature(a) => crate::registry::run_signature(&a),
        Cmd::Can(a) => crate::can::run(a),
        Cmd::Scan(a) => crate::scan::run_scan(a),
        Cmd::Redact(a) => crate::scan::run_redact(a),
        Cmd::Detect(a) => crate::detect::run(a),
        Cmd::Synth { out, scale, seed } => {
            let opts = mlguard_synth::SynthOptions { scale, seed, ..mlguard_synth::SynthOptions::default() };
            let t = std::time::Instant::now();
            let stats = mlguard_synth::generate(&opts, &out).with_context(|| format!("writing a synthetic snapshot to `{}`", out.display()))?;
            eprintln!("wrote {} files ({} bytes) in {:.1}s: {stats:?}", stats.files, stats.bytes, t.elapsed().as_secs_f64());
            Ok(0)
        }
    }
}

struct Loaded {
    inv: Inventory,
    net: Net,
}

fn load(path: &Path, timings: bool) -> Result<Loaded> {
    let t = std::time::Instant::now();
    let snap = Snapshot::open(path)?;
    let t_index = t.elapsed();
    let inv = Inventory::load(&snap);
    let t_read = t.elapsed();
    let net = Net::build(&inv);
    if timings {
        eprintln!("timing: index {:.3}s, read and parse {:.3}s, build network {:.3}s", t_index.as_secs_f64(), (t_read - t_index).as_secs_f64(), (t.elapsed() - t_read).as_secs_f64());
    }
    if inv.files_read == 0 {
        for d in &inv.diagnostics {
            eprintln!("{d}");
        }
        bail!("nothing usable in snapshot `{}`: no recognised AWS CLI response files (expected <account>/<region>/<service>/<command>.json)", path.display());
    }
    Ok(Loaded { inv, net })
}

/// The configuration: the given file, else `mlguard.toml` at the snapshot root, else defaults.
fn load_config(snapshot: &Path, given: Option<&Path>) -> Result<(Config, String)> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => {
            let p = snapshot.join("mlguard.toml");
            if !p.is_file() {
                return Ok((Config::default(), String::new()));
            }
            p
        }
    };
    Ok((Config::load(&path)?, path.display().to_string()))
}

#[allow(clippy::too_many_arguments)]
fn audit(path: &Path, format: Format, fail_on: Severity, output: Option<&Path>, ml: MlOptions, cfg: &Config, cfg_file: &str, timings: bool) -> Result<u8> {
    let l = load(path, timings)?;
    let (lo, hi) = cfg.ephemeral_ports();
    let opts = AuditOptions { ml, reach: Options { ephemeral: PortSet::range(lo, hi), ..Options::default() } };
    let mut rep = Report::new(path.display().to_string());
    rep.rules = all_rules();
    let (findings, times) = controls::audit_timed(&l.inv, &l.net, &opts);
    if timings {
        for (name, d) in &times {
            eprintln!("timing: {name} {:.3}s", d.as_secs_f64());
        }
    }
    rep.findings = findings;
    let t_posture = std::time::Instant::now();
    let (posture, posture_notes) = mlguard_posture::audit(&l.inv, cfg);
    if timings {
        eprintln!("timing: posture controls {:.3}s", t_posture.elapsed().as_secs_f64());
    }
    rep.findings.extend(posture);
    let today = time::OffsetDateTime::now_utc().date();
    let suppression_notes = apply_suppressions(&mut rep, cfg, today, cfg_file);
    rep.diagnostics = l.inv.diagnostics.clone();
    rep.diagnostics.extend(l.net.diagnostics.iter().cloned());
    rep.diagnostics.extend(posture_notes);
    rep.diagnostics.extend(suppression_notes);
    rep.diagnostics.extend(crate::gaps::not_evaluated(&l.inv, &rep.rules));
    rep.sort();
    let usable = !l.net.vpcs.is_empty() || !l.inv.sagemaker.notebook_instances.is_empty();
    let t_write = std::time::Instant::now();
    let color = output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let wopts = WriteOptions { color, now: time::OffsetDateTime::now_utc() };
    match output {
        Some(p) => {
            let mut f = std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating `{}`", p.display()))?);
            report::write(&rep, format, &wopts, &mut f)?;
            f.flush()?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            report::write(&rep, format, &wopts, &mut out)?;
            out.flush()?;
        }
    }
    if timings {
        eprintln!("timing: write report {:.3}s", t_write.elapsed().as_secs_f64());
    }
    let code = if !usable && rep.diagnostics.iter().any(|d| d.level == Level::Error) {
        2
    } else if rep.max_severity().map(|s| s >= fail_on).unwrap_or(false) {
        1
    } else {
        0
    };
    // The process ends right after this: freeing millions of small allocations one by one
    // would only delay the exit.
    std::mem::forget(l);
    std::mem::forget(rep);
    Ok(code)
}

fn parse_source(l: &Loaded, s: &str) -> Result<Source> {
    let net = &l.net;
    if s == "internet" {
        return Ok(Source::Internet(reach::whole_internet()));
    }
    if let Some(e) = net.eni_by_id.get(s) {
        return Ok(Source::Points(vec![reach::eni_point(net, *e)]));
    }
    if let Some(&i) = net.instance_by_id.get(s) {
        let pts: Vec<_> = net.instances[i].enis.iter().map(|&e| reach::eni_point(net, e)).collect();
        if pts.is_empty() {
            bail!("instance `{s}` has no network interface in the snapshot");
        }
        return Ok(Source::Points(pts));
    }
    if s.starts_with("arn:") {
        let mls = ml::find(&l.inv, net, &MlOptions::default());
        let Some(m) = mls.iter().find(|m| m.id == s) else { bail!("no SageMaker resource with ARN `{s}` in the snapshot") };
        let pts = reach::ml_sources(net, m);
        if pts.is_empty() {
            if let Some(reason) = &m.managed_internet {
                return Ok(Source::Managed { id: m.id.clone(), reason: reason.clone() });
            }
            bail!("`{s}` has no placement in a VPC and no internet access through SageMaker");
        }
        return Ok(Source::Points(pts));
    }
    if let Some(c) = Cidr::parse(s) {
        if is_public_cidr(&c) {
            return Ok(Source::Internet(vec![c.interval()]));
        }
        let enis = enis_in(net, &c);
        if enis.is_empty() {
            bail!("no network interface in the snapshot holds an address in `{s}`");
        }
        return Ok(Source::Points(enis.into_iter().map(|e| reach::eni_point(net, e)).collect()));
    }
    bail!("cannot understand `{s}`: expected internet, an IP or CIDR, eni-..., i-... or a SageMaker ARN")
}

fn parse_dest(l: &Loaded, s: &str) -> Result<Dest> {
    let net = &l.net;
    match s {
        "internet" => return Ok(Dest::Internet(reach::whole_internet())),
        "s3" | "dynamodb" | "sagemaker.api" | "sagemaker.runtime" | "sts" | "logs" | "ecr.api" | "ecr.dkr" | "kms" => return Ok(Dest::Service(s.to_string())),
        _ => {}
    }
    if let Some(svc) = s.strip_prefix("aws:") {
        return Ok(Dest::Service(svc.to_string()));
    }
    if let Some(e) = net.eni_by_id.get(s) {
        return Ok(Dest::Enis(vec![*e]));
    }
    if let Some(&i) = net.instance_by_id.get(s) {
        return Ok(Dest::Enis(net.instances[i].enis.clone()));
    }
    if s.starts_with("arn:") {
        let mls = ml::find(&l.inv, net, &MlOptions::default());
        let Some(m) = mls.iter().find(|m| m.id == s) else { bail!("no SageMaker resource with ARN `{s}` in the snapshot") };
        let enis: Vec<_> = m.points.iter().filter_map(|p| p.eni).collect();
        if !enis.is_empty() {
            return Ok(Dest::Enis(enis));
        }
        let Some(p) = m.points.first() else { bail!("`{s}` has no placement in a VPC") };
        return Ok(Dest::Group { subnet: p.subnet, groups: p.groups.clone(), label: m.name.clone() });
    }
    if let Some(c) = Cidr::parse(s) {
        if is_public_cidr(&c) {
            // A public address of an interface in the snapshot is that interface.
            if c.len == c.fam.bits() {
                if let Some((e, _)) = net.eni_by_public_ip.get(&Ip { fam: c.fam, v: c.base }) {
                    return Ok(Dest::Enis(vec![*e]));
                }
            }
            return Ok(Dest::Internet(vec![c.interval()]));
        }
        let enis = enis_in(net, &c);
        if enis.is_empty() {
            bail!("no network interface in the snapshot holds an address in `{s}`");
        }
        return Ok(Dest::Enis(enis));
    }
    bail!("cannot understand `{s}`: expected internet, s3, an AWS service name, an IP or CIDR, eni-..., i-... or a SageMaker ARN")
}

fn is_public_cidr(c: &Cidr) -> bool {
    mlguard_net::addr::is_public(Ip { fam: c.fam, v: c.base }) && mlguard_net::addr::is_public(Ip { fam: c.fam, v: c.last() })
}

fn enis_in(net: &Net, c: &Cidr) -> Vec<usize> {
    let mut v: Vec<usize> = net.enis.iter().enumerate().filter(|(_, e)| e.private_ips.iter().chain(e.ipv6.iter()).any(|ip| c.contains(*ip))).map(|(i, _)| i).collect();
    v.truncate(256);
    v
}

#[allow(clippy::too_many_arguments)]
fn reach_cmd(path: &Path, from: &str, to: &str, protocol: &str, port: Option<u16>, one_way: bool, format: &str, timings: bool) -> Result<u8> {
    if format != "text" && format != "json" {
        bail!("unknown format `{format}`, expected text or json");
    }
    let l = load(path, timings)?;
    let t = std::time::Instant::now();
    let src = parse_source(&l, from)?;
    let dst = parse_dest(&l, to)?;
    let fam = if from.contains(':') && !from.starts_with("arn:") || to.contains(':') && !to.starts_with("arn:") && !to.starts_with("aws:") { Family::V6 } else { Family::V4 };
    let Some(protos) = reach::protocols(protocol, fam) else { bail!("unknown protocol `{protocol}`, expected tcp, udp, icmp or all") };
    let ports = match port {
        Some(p) => PortSet::single(p),
        None => PortSet::all(),
    };
    let opts = Options { two_way: !one_way, ..Options::default() };
    let r = Reach::new(&l.net, opts);
    let ans = r.ask(&src, &dst, &protos, &ports);
    if timings {
        eprintln!("timing: question {:.3}ms", t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut out = std::io::stdout().lock();
    if format == "json" {
        writeln!(out, "{}", serde_json::to_string_pretty(&ans)?)?;
    } else {
        write_reach_text(&mut out, from, to, &ans)?;
    }
    Ok(0)
}

fn write_reach_text(out: &mut impl Write, from: &str, to: &str, ans: &reach::Answer) -> Result<()> {
    if ans.reachable {
        writeln!(out, "REACHABLE: {from} -> {to}")?;
        for (i, p) in ans.paths.iter().enumerate() {
            writeln!(out, "\npath {}: {} ports {}{}", i + 1, p.protocol, p.ports, p.return_ports.as_ref().map(|r| format!(", replies to ports {r}")).unwrap_or_default())?;
            if !p.source_ranges.is_empty() {
                writeln!(out, "  from {}", p.source_ranges.join(", "))?;
            }
            if !p.destination_ranges.is_empty() {
                writeln!(out, "  to   {}", p.destination_ranges.join(", "))?;
            }
            for h in &p.hops {
                writeln!(out, "  -> {} {}: {}", h.kind, h.id, h.detail)?;
            }
            if !p.return_hops.is_empty() {
                writeln!(out, "  reply:")?;
                for h in &p.return_hops {
                    writeln!(out, "  <- {} {}: {}", h.kind, h.id, h.detail)?;
                }
            }
        }
        if !ans.blocked.is_empty() {
            writeln!(out, "\nother traffic is blocked:")?;
        }
    } else {
        writeln!(out, "NOT REACHABLE: {from} -> {to}")?;
    }
    for b in &ans.blocked {
        writeln!(out, "  blocked by {} {}: {}", b.at.kind, b.at.id, b.reason)?;
    }
    for n in &ans.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}
