//! `mlguard collect` and `mlguard audit --live`: the snapshot read from AWS (crate mlguard_aws).

use anyhow::Result;
use clap::Args;
use mlguard_aws::{Options, Regions, Summary};
use std::path::{Path, PathBuf};

/// Where and how to read AWS.
#[derive(Args, Debug, Clone)]
pub struct LiveArgs {
    /// A named profile from the AWS config and credentials files (default: the standard chain:
    /// environment, default profile, SSO, container or instance credentials).
    #[arg(long)]
    pub profile: Option<String>,
    /// `all` (every region enabled for the account) or a comma-separated list; default: the
    /// profile's or AWS_REGION's region.
    #[arg(long)]
    pub regions: Option<String>,
    /// Send every call to this endpoint instead of AWS (an emulator such as moto).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Calls in flight at once [default: 16].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,
    /// Attempts per request; throttling and transient errors are retried with backoff [default: 8].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: Option<u32>,
}

#[derive(Args, Debug)]
pub struct CollectArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    /// The snapshot directory to write (created if needed).
    #[arg(long)]
    pub out: PathBuf,
}

impl LiveArgs {
    /// The first collection option given on the command line, if any: `audit` accepts them only
    /// with `--live`, rather than ignoring them.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            ("--profile", self.profile.is_some()),
            ("--regions", self.regions.is_some()),
            ("--endpoint-url", self.endpoint_url.is_some()),
            ("--concurrency", self.concurrency.is_some()),
            ("--max-attempts", self.max_attempts.is_some()),
        ]
        .into_iter()
        .find_map(|(flag, given)| given.then_some(flag))
    }

    fn options(&self, out: &Path) -> Result<Options> {
        let mut o = Options::new(out);
        o.profile = self.profile.clone();
        o.endpoint_url = self.endpoint_url.clone();
        if let Some(c) = self.concurrency {
            o.concurrency = c as usize;
        }
        if let Some(a) = self.max_attempts {
            o.max_attempts = a;
        }
        o.regions = match &self.regions {
            Some(r) => r.parse::<Regions>().map_err(|e| anyhow::anyhow!("--regions: {e}"))?,
            None => Regions::Default,
        };
        Ok(o)
    }
}

/// Collects into `out` and reports what could not be read on standard error. The flag is false
/// when calls failed for a reason other than a denial (the caller exits 2). A run that stopped
/// (credentials rejected, endpoint unreachable) is an error (exit 2).
pub fn collect_into(live: &LiveArgs, out: &Path) -> Result<(Summary, bool)> {
    let opts = live.options(out)?;
    match mlguard_aws::collect(&opts) {
        Ok(s) => {
            let failed = s.manifest.calls.iter().filter(|c| c.outcome == mlguard_aws::Outcome::Failed).count();
            let denied = s.manifest.calls.iter().filter(|c| c.outcome == mlguard_aws::Outcome::Denied).count();
            eprintln!(
                "collected account {} in {} region(s): {} calls, {} denied, {} failed, in {:.1}s; manifest: {}",
                s.manifest.account.as_deref().unwrap_or("?"),
                s.manifest.regions.len(),
                s.manifest.calls.len(),
                denied,
                failed,
                s.elapsed.as_secs_f64(),
                s.manifest_path.display()
            );
            for c in s.missing() {
                eprintln!("  not collected: {}: {}", c.describe(), c.reason());
            }
            for n in &s.manifest.notes {
                eprintln!("  note: {n}");
            }
            Ok((s, failed == 0))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

pub fn run_collect(a: CollectArgs) -> Result<u8> {
    let (_, clean) = collect_into(&a.live, &a.out)?;
    Ok(if clean { 0 } else { 2 })
}

/// A temporary directory for `audit --live`, removed when dropped.
pub struct TempSnapshot(pub PathBuf);

impl TempSnapshot {
    pub fn new() -> Result<TempSnapshot> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let p = std::env::temp_dir().join(format!("mlguard-live-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p)?;
        Ok(TempSnapshot(p))
    }
}

impl Drop for TempSnapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
