//! The clap commands of the `mlguard` binary that use the registry server:
//! `mlguard model push|list|show|approve|reject|alias|rollback|pull|verify|lineage` ([`ModelArgs`],
//! [`run_model`]) and `mlguard registry serve|verify-log|token add` ([`RegistryArgs`],
//! [`run_registry`]). Answers are printed as JSON on standard output.

use crate::api::{CreateGroup, CreateVersion, DatasetIn, Decision, LineageIn, RetentionIn, TrainingIn};
use crate::client::{Client, ClientError};
use crate::config::{Config, ConfigError};
use crate::server::{Options, ServeError};
use clap::{Args, Subcommand};
use mlguard_authz::token::{add_token, HashScheme, NewToken, Pepper, TokenError};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Errors of the commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Registry(#[from] mlguard_registry::RegistryError),
    #[error("{0}")]
    Usage(String),
    #[error("the audit log in `{dir}` is not intact: {problem}")]
    LogBroken { dir: String, problem: String },
    #[error("verification found {0} problem(s)")]
    VerifyFailed(usize),
}

/// How to reach the server.
#[derive(Debug, Clone, Default, Args)]
pub struct Connection {
    /// Server URL (default: `MLGUARD_REGISTRY_URL`).
    #[arg(long, global = true)]
    pub server: Option<String>,
    /// File holding the API token (default: the `MLGUARD_TOKEN` environment variable).
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// CA certificate(s) (PEM) that an `https` server's certificate must chain to, instead of
    /// the public web roots (default: `MLGUARD_REGISTRY_CA`).
    #[arg(long, global = true)]
    pub ca_cert: Option<PathBuf>,
    /// Client certificate (PEM) for a server that requires mutual TLS (default:
    /// `MLGUARD_REGISTRY_CLIENT_CERT`); needs `--client-key`.
    #[arg(long, global = true)]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM; default: `MLGUARD_REGISTRY_CLIENT_KEY`).
    #[arg(long, global = true)]
    pub client_key: Option<PathBuf>,
}

impl Connection {
    /// The client for these options.
    pub fn client(&self) -> Result<Client, CliError> {
        let server = match &self.server {
            Some(s) => s.clone(),
            None => std::env::var("MLGUARD_REGISTRY_URL").map_err(|_| CliError::Usage("no server: give `--server URL` or set `MLGUARD_REGISTRY_URL`".into()))?,
        };
        let token = match &self.token_file {
            Some(p) => std::fs::read_to_string(p).map_err(|e| CliError::Usage(format!("cannot read token file `{}`: {e}", p.display())))?.trim().to_string(),
            None => std::env::var("MLGUARD_TOKEN").map_err(|_| CliError::Usage("no token: set `MLGUARD_TOKEN` or give `--token-file FILE`".into()))?,
        };
        let env = |flag: &Option<PathBuf>, var: &str| flag.clone().or_else(|| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from));
        let tls = crate::tls::ClientTls {
            ca: env(&self.ca_cert, "MLGUARD_REGISTRY_CA"),
            cert: env(&self.client_cert, "MLGUARD_REGISTRY_CLIENT_CERT"),
            key: env(&self.client_key, "MLGUARD_REGISTRY_CLIENT_KEY"),
        };
        Client::with_tls(&server, &token, &tls).map_err(|e| CliError::Usage(e.to_string()))
    }
}

/// `mlguard model …`.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    #[command(flatten)]
    pub conn: Connection,
    #[command(subcommand)]
    pub command: ModelCommand,
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn retention_mode(s: &str) -> Result<mlguard_registry::RetentionMode, String> {
    match s {
        "governance" => Ok(mlguard_registry::RetentionMode::Governance),
        "compliance" => Ok(mlguard_registry::RetentionMode::Compliance),
        _ => Err(format!("`{s}`: expected governance or compliance")),
    }
}

/// `mlguard model` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ModelCommand {
    /// Create a model package group.
    CreateGroup {
        group: String,
        /// The team that owns it (policies scope pushes and aliases to the owning team).
        #[arg(long)]
        owner_team: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Versions need a verified OpenSSF model signature before they can be approved.
        #[arg(long)]
        require_signature: bool,
        /// Keep approved versions for this many days (with --retention-mode).
        #[arg(long, requires = "retention_mode")]
        retention_days: Option<u32>,
        /// governance (an authorised principal may override, with a reason) or compliance (no one).
        #[arg(long, value_parser = retention_mode, requires = "retention_days")]
        retention_mode: Option<mlguard_registry::RetentionMode>,
    },
    /// Attach an OpenSSF model signature (`model.sig`, made by `model_signing sign`) to a
    /// version; the server verifies it against the version's artifact digests.
    Sign {
        group: String,
        version: u64,
        #[arg(long)]
        signature: PathBuf,
    },
    /// Upload files as a new version (`PATH=FILE`, or `FILE` stored under its file name).
    Push {
        group: String,
        #[arg(required = true)]
        files: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long = "tag", value_parser = key_value)]
        tags: Vec<(String, String)>,
        #[arg(long = "metric", value_parser = key_value)]
        metrics: Vec<(String, String)>,
        /// A training dataset, `URI` or `URI@VERSION_ID`.
        #[arg(long = "dataset")]
        datasets: Vec<String>,
        /// The training job's name.
        #[arg(long)]
        job: Option<String>,
        /// The training code's commit.
        #[arg(long)]
        commit: Option<String>,
        #[arg(long = "param", value_parser = key_value)]
        params: Vec<(String, String)>,
    },
    /// List groups, or the versions of one group.
    List { group: Option<String> },
    /// Show a group (with aliases), or one version.
    Show { group: String, version: Option<u64> },
    /// Approve a version.
    Approve {
        group: String,
        version: u64,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Reject a version.
    Reject {
        group: String,
        version: u64,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Point an alias at a version, or show it (with its history) when no version is given.
    Alias {
        group: String,
        alias: String,
        version: Option<u64>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Move an alias back to the previous approved version it pointed at.
    Rollback {
        group: String,
        alias: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Download a version's artifacts (by number or alias), verifying every digest.
    Pull {
        group: String,
        version: String,
        #[arg(long, default_value = ".")]
        dest: PathBuf,
    },
    /// Re-hash the stored artifacts of one group, or all.
    Verify { group: Option<String> },
    /// A version's lineage, or (with `--dataset`) the versions trained on a dataset.
    Lineage {
        group: Option<String>,
        version: Option<u64>,
        #[arg(long)]
        dataset: Option<String>,
        #[arg(long)]
        dataset_version: Option<String>,
    },
}

fn print<T: serde::Serialize>(t: &T) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(t).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{s}");
    Ok(())
}

/// Runs `mlguard model …`.
pub fn run_model(args: &ModelArgs) -> Result<(), CliError> {
    let c = args.conn.client()?;
    match &args.command {
        ModelCommand::Push { group, files, description, tags, metrics, datasets, job, commit, params } => {
            let mut pairs = Vec::new();
            for f in files {
                let (path, file) = match f.split_once('=') {
                    Some((p, file)) => (p.to_string(), PathBuf::from(file)),
                    None => {
                        let file = PathBuf::from(f);
                        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| CliError::Usage(format!("`{f}` has no file name")))?;
                        (name, file)
                    }
                };
                pairs.push((path, file));
            }
            let lineage = LineageIn {
                datasets: datasets
                    .iter()
                    .map(|d| match d.rsplit_once('@') {
                        Some((uri, v)) => DatasetIn { uri: uri.into(), version_id: Some(v.into()), sha256: None },
                        None => DatasetIn { uri: d.clone(), version_id: None, sha256: None },
                    })
                    .collect(),
                training: job.as_ref().map(|j| TrainingIn { job_name: j.clone(), code_commit: commit.clone(), parameters: params.iter().cloned().collect() }),
            };
            let meta = CreateVersion {
                description: description.clone(),
                tags: tags.iter().cloned().collect::<BTreeMap<_, _>>(),
                metrics: metrics.iter().cloned().collect(),
                lineage,
                artifacts: Vec::new(),
            };
            print(&c.push(group, &pairs, meta)?)
        }
        ModelCommand::CreateGroup { group, owner_team, description, require_signature, retention_days, retention_mode } => {
            let retention = match (retention_days, retention_mode) {
                (Some(days), Some(mode)) => Some(RetentionIn { mode: *mode, days: *days }),
                _ => None,
            };
            print(&c.create_group(&CreateGroup { name: group.clone(), description: description.clone(), owner_team: owner_team.clone(), require_signature: *require_signature, retention })?)
        }
        ModelCommand::Sign { group, version, signature } => {
            let bundle = std::fs::read(signature).map_err(|e| CliError::Usage(format!("cannot read `{}`: {e}", signature.display())))?;
            print(&c.put_signature(group, *version, &bundle)?)
        }
        ModelCommand::List { group: None } => print(&c.list_groups()?),
        ModelCommand::List { group: Some(g) } => print(&c.list_versions(g)?),
        ModelCommand::Show { group, version: None } => print(&c.show_group(group)?),
        ModelCommand::Show { group, version: Some(v) } => print(&c.show_version(group, *v)?),
        ModelCommand::Approve { group, version, reason } => print(&c.set_approval(group, *version, Decision::Approved, reason)?),
        ModelCommand::Reject { group, version, reason } => print(&c.set_approval(group, *version, Decision::Rejected, reason)?),
        ModelCommand::Alias { group, alias, version: Some(v), reason } => print(&c.set_alias(group, alias, *v, reason)?),
        ModelCommand::Alias { group, alias, version: None, .. } => print(&c.show_alias(group, alias)?),
        ModelCommand::Rollback { group, alias, reason } => print(&c.rollback(group, alias, reason)?),
        ModelCommand::Pull { group, version, dest } => {
            let number = match version.parse::<u64>() {
                Ok(n) => n,
                Err(_) => c.show_alias(group, version)?.current().ok_or_else(|| CliError::Usage(format!("alias `{version}` points nowhere")))?,
            };
            let (files, bytes) = c.pull(group, number, dest)?;
            for f in &files {
                eprintln!("{}", f.display());
            }
            print(&serde_json::json!({ "group": group, "version": number, "files": files.len(), "bytes": bytes }))
        }
        ModelCommand::Verify { group } => {
            let rep = c.verify(group.as_deref())?;
            print(&rep)?;
            if rep.problems.is_empty() {
                Ok(())
            } else {
                Err(CliError::VerifyFailed(rep.problems.len()))
            }
        }
        ModelCommand::Lineage { dataset: Some(uri), dataset_version, .. } => print(&c.trained_on(uri, dataset_version.as_deref())?),
        ModelCommand::Lineage { group: Some(g), version: Some(v), .. } => print(&c.lineage(g, *v)?),
        ModelCommand::Lineage { .. } => Err(CliError::Usage("give `GROUP VERSION` or `--dataset URI`".into())),
    }
}

/// `mlguard registry …`.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

/// `mlguard registry` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum RegistryCommand {
    /// Run the registry's HTTP API.
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Verify the audit log of a data directory, offline.
    VerifyLog { data_dir: PathBuf },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// `mlguard registry token` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; prints it once (only its hash is stored).
    Add {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        principal: String,
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        teams: Vec<String>,
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// HMAC pepper file; a new token file then uses `hmac-sha256`.
        #[arg(long)]
        pepper_file: Option<PathBuf>,
        #[arg(long)]
        description: Option<String>,
    },
}

/// Runs `mlguard registry …`.
pub fn run_registry(args: &RegistryArgs) -> Result<(), CliError> {
    match &args.command {
        RegistryCommand::Serve { config } => {
            let c = Config::read(config)?;
            Ok(crate::server::serve(&c, Options::default())?)
        }
        RegistryCommand::VerifyLog { data_dir } => {
            let rep = mlguard_registry::log::verify_dir(data_dir)?;
            match rep.first_bad {
                None => {
                    println!("audit log intact: {} entries", rep.valid_entries);
                    Ok(())
                }
                Some((n, p)) => Err(CliError::LogBroken { dir: data_dir.display().to_string(), problem: format!("entry {n}: {p}") }),
            }
        }
        RegistryCommand::Token { command: TokenCommand::Add { file, principal, roles, teams, days, pepper_file, description } } => {
            let pepper = match pepper_file {
                Some(p) => Some(Pepper::new(std::fs::read(p).map_err(|e| CliError::Usage(format!("cannot read pepper `{}`: {e}", p.display())))?)?),
                None => None,
            };
            let scheme = if pepper.is_some() { HashScheme::HmacSha256 } else { HashScheme::Sha256 };
            let mut new = NewToken::new(principal.clone(), roles.iter().cloned(), time::Duration::days(*days));
            new.teams = teams.iter().cloned().collect();
            new.description = description.clone();
            let issued = add_token(file, scheme, new, time::OffsetDateTime::now_utc(), pepper.as_ref())?;
            eprintln!("token `{}` for `{principal}` expires {}; it is shown only now:", issued.token_id, issued.expires);
            println!("{}", issued.token.expose_secret());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(subcommand)]
        command: Top2,
    }

    #[derive(Debug, Subcommand)]
    enum Top2 {
        Model(ModelArgs),
        Registry(RegistryArgs),
    }

    #[test]
    fn commands_parse() {
        let t = Top::try_parse_from(["mlguard", "model", "push", "fraud", "model.bin", "cfg/c.json=./c.json", "--tag", "a=b", "--dataset", "s3://d/x@v1", "--server", "http://h:1"]).unwrap();
        let Top2::Model(m) = t.command else { panic!("model") };
        assert_eq!(m.conn.server.as_deref(), Some("http://h:1"));
        let ModelCommand::Push { files, tags, datasets, .. } = m.command else { panic!("push") };
        assert_eq!(files, ["model.bin", "cfg/c.json=./c.json"]);
        assert_eq!(tags, [("a".to_string(), "b".to_string())]);
        assert_eq!(datasets, ["s3://d/x@v1"]);
        for args in [
            &["mlguard", "model", "list"][..],
            &["mlguard", "model", "show", "fraud", "3"],
            &["mlguard", "model", "approve", "fraud", "3", "--reason", "ok"],
            &["mlguard", "model", "reject", "fraud", "3"],
            &["mlguard", "model", "alias", "fraud", "production", "3"],
            &["mlguard", "model", "rollback", "fraud", "production"],
            &["mlguard", "model", "pull", "fraud", "production", "--dest", "out"],
            &["mlguard", "model", "verify"],
            &["mlguard", "model", "lineage", "--dataset", "s3://d"],
            &["mlguard", "registry", "serve", "--config", "c.toml"],
            &["mlguard", "registry", "verify-log", "data"],
            &["mlguard", "registry", "token", "add", "--file", "t.json", "--principal", "p", "--roles", "a,b", "--days", "3"],
        ] {
            Top::try_parse_from(args.iter().copied()).unwrap();
        }
        assert!(Top::try_parse_from(["mlguard", "model", "push", "fraud"]).is_err());
    }

    #[test]
    fn token_add_stores_only_a_hash() {
        let dir = std::env::temp_dir().join(format!("mlguard-regsrv-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tokens.json");
        let args = RegistryArgs {
            command: RegistryCommand::Token {
                command: TokenCommand::Add { file: file.clone(), principal: "alice".into(), roles: vec!["approver".into()], teams: vec![], days: 3, pepper_file: None, description: None },
            },
        };
        run_registry(&args).unwrap();
        let store = mlguard_authz::token::TokenStore::load(&file, None).unwrap();
        assert_eq!(store.len(), 1);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("secret_hash") && text.contains("alice"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
