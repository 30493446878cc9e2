//! The input contract: an AWS account snapshot as a directory of AWS CLI JSON responses.
//!
//! A snapshot is laid out as `<root>/<account>/<region>/<service>/<command>.json` for
//! account-wide calls and `<root>/<account>/<region>/<service>/<resource>/<command>.json`
//! for calls about one resource (the folder name ties a response that does not name its
//! resource to the resource). Each file is what `aws <service> <command> --output json`
//! printed. Pages split over several files (`describe-instances.2.json`) are merged in page
//! order. [`Snapshot::open`] indexes the tree and classifies every file by its command name
//! ([`commands::COMMANDS`]); [`Snapshot::items`] deserializes the elements of a listing one by
//! one, so a malformed element becomes a [`Diagnostic`] naming file and JSON path and the rest
//! of the file is still used. [`Inventory::load`] reads everything into typed, [`Located`]
//! resources.
//!
//! What is read, by module and [`Inventory`] field:
//!
//! - [`ec2`] (`inventory.ec2`): VPCs, subnets, route tables, gateways, network ACLs, security
//!   groups, interfaces, instances (with `EnclaveOptions`), endpoints, peering, prefix lists
//!   and transit gateways, for the network layer.
//! - [`sagemaker`] (`inventory.sagemaker`): `describe-*` of notebook instances, training and
//!   processing jobs (with their S3 inputs and outputs and KMS keys), models (containers,
//!   model data, model packages), domains, endpoint configurations (variants, data capture),
//!   endpoints, model packages (approval status) and monitoring schedules; the account-wide
//!   `list-*` of each; `list-model-packages` per model package group.
//! - [`s3`] (`inventory.s3`): `list-buckets`; per bucket (`s3/<bucket>/` or `s3api/<bucket>/`)
//!   versioning, Object Lock, the bucket policy (kept as its JSON string), Block Public Access,
//!   default encryption, server access logging and tags; the account's Block Public Access
//!   (`s3control get-public-access-block`). [`S3::bucket_config`] gathers one bucket's settings.
//! - [`iam`] (`inventory.iam`): `get-account-authorization-details` under the region `global`:
//!   users, groups, roles and managed policies, with policy documents kept as JSON values.
//! - [`detection`] (`inventory.detection`): GuardDuty detectors and their protection plans,
//!   the Macie session and classification jobs, CloudTrail trails with their status and event
//!   selectors ([`Detection::trail_status`]).
//! - [`waf`] (`inventory.waf`): WAF web ACLs with their rules and associated resources (region
//!   `global` is the CloudFront scope), API Gateway REST APIs and stages, load balancers.
//!
//! An empty file is a call that printed nothing. The AWS CLI prints nothing for an empty
//! response, so for the calls where that is a normal answer (`get-bucket-versioning` of a bucket
//! never versioned, `get-bucket-logging` with logging off) it reads as `{}`; elsewhere it is a
//! failed call and is skipped with a diagnostic. A call that fails because the setting does not
//! exist (no bucket policy, no tags) should leave no file.
//!
//! ```no_run
//! let snapshot = mlguard_snapshot::Snapshot::open("examples/secure-ml-platform".as_ref()).unwrap();
//! let inventory = mlguard_snapshot::Inventory::load(&snapshot);
//! println!("{} VPCs, {} problems", inventory.ec2.vpcs.len(), inventory.diagnostics.len());
//! ```
//!
//! This crate does no network I/O and knows nothing about the AWS SDK.

pub mod commands;
pub mod detection;
pub mod ec2;
pub mod iam;
pub mod manifest;
mod inventory;
mod read;
pub mod s3;
pub mod sagemaker;
pub mod waf;

pub use commands::{Command, Scope};
pub use inventory::{BucketConfig, Detection, Ec2, Iam, Inventory, Located, SageMaker, Waf, S3};
pub use mlguard_core::Diagnostic;
pub use read::ReadError;

use std::path::{Path, PathBuf};

/// One recognised response file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub account: String,
    pub region: String,
    /// The service as named in [`commands::COMMANDS`] (`s3` for files under `s3api/`).
    pub service: String,
    /// The resource folder for per-resource calls.
    pub resource: Option<String>,
    pub command: String,
    /// 1 for `cmd.json`, N for `cmd.N.json`.
    pub page: u32,
    /// Path relative to the snapshot root, with `/` separators.
    pub rel: String,
    pub path: PathBuf,
}

/// An indexed snapshot directory.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub root: PathBuf,
    /// Recognised files, sorted by service, command, account, region, resource, page.
    pub files: Vec<FileEntry>,
    /// Problems met while indexing (unknown files, misplaced files).
    pub diagnostics: Vec<Diagnostic>,
}

/// Errors that make a snapshot unusable as a whole.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot directory `{path}`: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("`{0}` is not a directory; a snapshot is a directory laid out as <account>/<region>/<service>/<command>.json")]
    NotADirectory(String),
}

impl Snapshot {
    /// Indexes the snapshot under `root`. Only an unreadable root is an error; every other
    /// problem becomes a diagnostic.
    pub fn open(root: &Path) -> Result<Snapshot, SnapshotError> {
        let meta = std::fs::metadata(root).map_err(|source| SnapshotError::Io { path: root.display().to_string(), source })?;
        if !meta.is_dir() {
            return Err(SnapshotError::NotADirectory(root.display().to_string()));
        }
        let mut snap = Snapshot { root: root.to_path_buf(), ..Snapshot::default() };
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    snap.diagnostics.push(Diagnostic::error(rel_of(root, &dir), "", format!("cannot read directory: {e}")));
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() {
                    snap.classify(path);
                }
            }
        }
        snap.files.sort_by(|a, b| {
            (&a.service, &a.command, &a.account, &a.region, &a.resource, a.page).cmp(&(&b.service, &b.command, &b.account, &b.region, &b.resource, b.page))
        });
        snap.diagnostics.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(snap)
    }

    fn classify(&mut self, path: PathBuf) {
        let rel = rel_of(&self.root, &path);
        let parts: Vec<&str> = rel.split('/').collect();
        let Some(name) = parts.last() else { return };
        if name.starts_with('.') || rel == "manifest.json" || name.eq_ignore_ascii_case("README.md") || *name == "mlguard.toml" {
            return;
        }
        let Some(stem) = name.strip_suffix(".json") else {
            self.diagnostics.push(Diagnostic::warning(&rel, "", "unknown file ignored: snapshot files are AWS CLI JSON responses named `<command>.json`"));
            return;
        };
        let (command, page) = split_page(stem);
        if !(parts.len() == 4 || parts.len() == 5) {
            self.diagnostics.push(Diagnostic::warning(
                &rel,
                "",
                "file ignored: expected <account>/<region>/<service>/<command>.json or <account>/<region>/<service>/<resource>/<command>.json",
            ));
            return;
        }
        let (account, region, service) = (parts[0], parts[1], parts[2]);
        let resource = if parts.len() == 5 { Some(parts[3].to_string()) } else { None };
        if !is_account_id(account) {
            self.diagnostics.push(Diagnostic::warning(&rel, "", format!("file ignored: `{account}` is not a 12-digit account id")));
            return;
        }
        if !is_region(region) {
            self.diagnostics.push(Diagnostic::warning(&rel, "", format!("file ignored: `{region}` is not a region name or `global`")));
            return;
        }
        let Some(cmd) = commands::lookup(service, command) else {
            self.diagnostics.push(Diagnostic::warning(&rel, "", format!("unknown file ignored: mlguard does not read `{service} {command}`")));
            return;
        };
        if cmd.global && region != "global" {
            self.diagnostics.push(Diagnostic::warning(
                &rel,
                "",
                format!("`{service} {command}` is global and belongs under `{account}/global/{service}/`; read anyway, so keep one copy per account"),
            ));
        }
        match (cmd.scope, &resource) {
            (Scope::Account, Some(_)) => {
                self.diagnostics.push(Diagnostic::warning(
                    &rel,
                    "",
                    format!("file ignored: `{command}` is an account-wide call and belongs directly under `{service}/`"),
                ));
                return;
            }
            (Scope::Resource, None) => {
                self.diagnostics.push(Diagnostic::warning(
                    &rel,
                    "",
                    format!("file ignored: `{command}` is a per-resource call and belongs under `{service}/<resource>/`"),
                ));
                return;
            }
            _ => {}
        }
        self.files.push(FileEntry {
            account: account.to_string(),
            region: region.to_string(),
            // `s3api/` and `s3/` hold the same calls; entries use the name in `COMMANDS`.
            service: cmd.service.to_string(),
            resource,
            command: command.to_string(),
            page,
            rel,
            path,
        });
    }

    /// The files for one command, in account, region, resource, page order.
    pub fn files_for<'a>(&'a self, service: &'a str, command: &'a str) -> impl Iterator<Item = &'a FileEntry> + 'a {
        let start = self.files.partition_point(|f| (f.service.as_str(), f.command.as_str()) < (service, command));
        self.files[start..].iter().take_while(move |f| f.service == service && f.command == command)
    }

    /// Accounts present in the snapshot.
    pub fn accounts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.files.iter().map(|f| f.account.clone()).collect();
        v.sort();
        v.dedup();
        v
    }
}

fn rel_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// `describe-instances.2` -> (`describe-instances`, 2).
fn split_page(stem: &str) -> (&str, u32) {
    if let Some((base, n)) = stem.rsplit_once('.') {
        if let Ok(n) = n.parse::<u32>() {
            return (base, n.max(1));
        }
    }
    (stem, 1)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    s == "global" || (s.split('-').count() >= 3 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_split_from_the_command() {
        assert_eq!(split_page("describe-instances"), ("describe-instances", 1));
        assert_eq!(split_page("describe-instances.2"), ("describe-instances", 2));
        assert_eq!(split_page("describe-instances.x"), ("describe-instances.x", 1));
    }

    #[test]
    fn regions_and_accounts() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(is_region("global"));
        assert!(!is_region("ec2"));
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("11112222333"));
    }
}
