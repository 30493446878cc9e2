//! Synthetic AWS organisation snapshots for benchmarks and tests.
//!
//! [`generate`] builds a deterministic, internally consistent organisation
//! (VPCs, subnets, route tables, network ACLs, security groups, network
//! interfaces, instances, NAT and internet gateways, VPC endpoints, peering,
//! Transit Gateways with their route tables, managed prefix lists, SageMaker
//! notebooks and training jobs) and writes it in the mlguard snapshot layout:
//! one file per AWS CLI call, `<account>/<region>/<service>/<command>.json`,
//! or `<account>/<region>/<service>/<resource-id>/<command>.json` for calls
//! about one resource, each holding the response exactly as
//! `aws ... --output json` prints it. [`SynthOptions`] chooses the size
//! (`scale`), the seed and the number of accounts; [`SynthStats`] reports what
//! was written.
//!
//! At scale 1.0 the organisation has 500 VPCs, 5,000 subnets, 50,000 network
//! interfaces, 5,000 security groups holding 100,000 rules, 20 Transit
//! Gateways and 200 Transit Gateway route tables, spread over the accounts in
//! `us-east-1` and `eu-west-1`; every count scales linearly. The same options
//! always produce byte-identical files.
//!
//! ```no_run
//! use mlguard_synth::{generate, SynthOptions};
//!
//! let opts = SynthOptions { scale: 0.01, seed: 7, accounts: 3 };
//! let stats = generate(&opts, std::path::Path::new("/tmp/synthetic-org"))?;
//! println!("{} files, {} ENIs", stats.files, stats.enis);
//! # Ok::<(), mlguard_synth::SynthError>(())
//! ```
//!
//! What is deliberately there, for a verifier to find: default VPCs (all
//! `172.31.0.0/16`, overlapping across accounts), security groups open to
//! `0.0.0.0/0` on 22, 443 and 8888, a quarantine Transit Gateway route table
//! and blackhole routes, subnets left on their VPC's main route table, route
//! tables whose default route points at a deleted NAT gateway, notebooks with
//! direct internet access. Resources shared across accounts (Transit
//! Gateways, their attachments, peering connections) appear, as in real
//! snapshots, in every account that can see them: loaders should merge by id.

mod addr;
mod build;
mod emit;
mod json;
mod model;
mod rng;

use std::path::{Path, PathBuf};

/// The most items one page file holds; longer lists continue in
/// `<command>.2.json`, `<command>.3.json`, ...
pub const MAX_PAGE_ITEMS: usize = 10_000;

/// The largest accepted `scale`: beyond it the private address space runs out.
pub const MAX_SCALE: f64 = 20.0;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Multiplies every count; 1.0 is 500 VPCs and 50,000 network interfaces.
    pub scale: f64,
    /// The same seed always produces the same snapshot, byte for byte.
    pub seed: u64,
    /// Number of AWS accounts (each uses two regions); 10 by default.
    pub accounts: usize,
}

impl Default for SynthOptions {
    fn default() -> Self {
        Self {
            scale: 1.0,
            seed: 0,
            accounts: 10,
        }
    }
}

/// What [`generate`] wrote. Resources that appear in several accounts'
/// files (shared Transit Gateways, attachments, peering connections) are
/// counted once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub files: usize,
    pub bytes: u64,
    pub vpcs: usize,
    pub subnets: usize,
    pub enis: usize,
    pub security_groups: usize,
    /// Security group rules: for every ingress and egress permission, the
    /// number of its sources (CIDRs, IPv6 CIDRs, prefix lists and groups).
    pub sg_rules: usize,
    pub transit_gateways: usize,
    pub tgw_route_tables: usize,
    pub instances: usize,
    /// Notebook instances plus training jobs.
    pub sagemaker_resources: usize,
}

/// Why a snapshot could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    #[error("scale must be a finite number above 0 and at most {MAX_SCALE}, got `{0}`")]
    InvalidScale(f64),
    #[error("at least one account is needed")]
    NoAccounts,
    #[error("output directory `{}` is not empty", .0.display())]
    OutputNotEmpty(PathBuf),
    #[error("address space exhausted: {0}")]
    AddressSpace(String),
    #[error("a writer thread stopped unexpectedly")]
    WorkerPanicked,
    #[error("cannot write `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Generates an organisation snapshot into `out`, which must be missing or
/// empty.
pub fn generate(opts: &SynthOptions, out: &Path) -> Result<SynthStats, SynthError> {
    if !(opts.scale.is_finite() && opts.scale > 0.0 && opts.scale <= MAX_SCALE) {
        return Err(SynthError::InvalidScale(opts.scale));
    }
    if opts.accounts == 0 {
        return Err(SynthError::NoAccounts);
    }
    ensure_empty(out)?;
    let counts = build::Counts::new(opts.scale);
    let org = build::build(opts.seed, opts.accounts, &counts)?;
    let (files, bytes) = emit::write_org(&org, out)?;
    Ok(SynthStats {
        files,
        bytes,
        vpcs: org.vpcs.len(),
        subnets: org.subnets.len(),
        enis: org.enis.len(),
        security_groups: org.sgs.len(),
        sg_rules: org.sgs.iter().map(model::SecurityGroup::rules).sum(),
        transit_gateways: org.tgws.len(),
        tgw_route_tables: org.tgw_rts.len(),
        instances: org.instances.len(),
        sagemaker_resources: org.notebooks.len() + org.training_jobs.len(),
    })
}

fn ensure_empty(out: &Path) -> Result<(), SynthError> {
    let io = |source| SynthError::Io {
        path: out.to_path_buf(),
        source,
    };
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(SynthError::OutputNotEmpty(out.to_path_buf()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out).map_err(io)
        }
        Err(e) => Err(io(e)),
    }
}
