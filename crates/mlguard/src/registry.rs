//! `mlguard model …` and `mlguard registry …`: the registry server's commands
//! (`mlguard_registry_server::cli`), plus the two parts only the binary can supply: OpenSSF
//! signature verification (`mlguard_modelsign`) and the S3 artifact store (`mlguard_aws`, the one
//! crate that links the AWS SDK).

use anyhow::{Context, Result};
use mlguard_modelsign::{verify_certificate_manifest, verify_key_manifest, SignedManifest, Signer};
use mlguard_registry::{ModelVersion, RedbStore, Registry, SignatureInfo, SystemClock};
use mlguard_registry_server::cli::{run_model, run_registry, CliError, ModelArgs, RegistryArgs, RegistryCommand};
use mlguard_registry_server::config::Config;
use mlguard_registry_server::server::{serve_registry, Options, SignatureVerifier};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Verifies `model.sig` bundles (key or certificate method) against a version's stored digests.
pub struct ModelSignVerifier {
    /// Trusted signers' public keys: (file, PEM).
    keys: Vec<(PathBuf, String)>,
    /// Trusted CA certificates (PEM) for the certificate method.
    cas: Vec<String>,
}

impl ModelSignVerifier {
    pub fn load(keys: &[PathBuf], cas: &[PathBuf]) -> Result<ModelSignVerifier> {
        let read = |p: &PathBuf| std::fs::read_to_string(p).with_context(|| format!("reading trusted signing material `{}`", p.display()));
        Ok(ModelSignVerifier { keys: keys.iter().map(|p| Ok((p.clone(), read(p)?))).collect::<Result<_>>()?, cas: cas.iter().map(read).collect::<Result<_>>()? })
    }

    fn manifest(&self, bundle: &[u8]) -> Result<(SignedManifest, String), String> {
        let mut tried = Vec::new();
        for (path, pem) in &self.keys {
            match verify_key_manifest(bundle, pem) {
                Ok(m) => {
                    let who = format!("key {}", path.display());
                    return Ok((m, who));
                }
                Err(e) => tried.push(format!("key {}: {e}", path.display())),
            }
        }
        if !self.cas.is_empty() {
            let refs: Vec<&str> = self.cas.iter().map(String::as_str).collect();
            match verify_certificate_manifest(bundle, &refs) {
                Ok(m) => {
                    let who = match &m.signer {
                        Signer::Certificate { chain, .. } => format!("certificate {}", chain.first().map(String::as_str).unwrap_or("?")),
                        _ => "certificate".into(),
                    };
                    return Ok((m, who));
                }
                Err(e) => tried.push(format!("certificate chain: {e}")),
            }
        }
        if tried.is_empty() {
            return Err("the server trusts no signing key or certificate (`signing_keys`, `signing_cas` in its configuration)".into());
        }
        Err(format!("no trusted signer verifies this signature: {}", tried.join("; ")))
    }
}

impl SignatureVerifier for ModelSignVerifier {
    fn verify(&self, bundle: &[u8], version: &ModelVersion) -> Result<SignatureInfo, String> {
        let (m, signer) = self.manifest(bundle)?;
        let files: Vec<(String, [u8; 32])> = version.artifacts.iter().map(|a| (a.path.clone(), a.sha256.0)).collect();
        m.check(&files, &[]).map_err(|e| format!("the signature does not cover this version's artifacts exactly: {e}"))?;
        Ok(SignatureInfo { kind: "openssf-model-signing".into(), signer, verified_at: time::OffsetDateTime::now_utc() })
    }
}

/// The registry over the configured stores: the data directory, with artifacts in S3 when the
/// configuration names a bucket.
fn open_registry(c: &Config) -> Result<Registry> {
    let Some(s3) = &c.s3 else {
        return Registry::open(&c.data_dir).with_context(|| format!("opening the registry in `{}`", c.data_dir.display()));
    };
    std::fs::create_dir_all(&c.data_dir).with_context(|| format!("creating `{}`", c.data_dir.display()))?;
    let opts = mlguard_aws::s3blob::S3BlobOptions {
        bucket: s3.bucket.clone(),
        prefix: s3.prefix.clone(),
        region: s3.region.clone(),
        profile: s3.profile.clone(),
        endpoint_url: s3.endpoint_url.clone(),
        spool_dir: Some(c.data_dir.join("spool")),
        ..Default::default()
    };
    let blobs = mlguard_aws::s3blob::S3BlobStore::open(&opts).with_context(|| format!("opening the artifact store s3://{}/{}", s3.bucket, s3.prefix))?;
    let meta = RedbStore::open(&c.data_dir.join("registry.redb")).with_context(|| format!("opening the metadata in `{}`", c.data_dir.display()))?;
    Ok(Registry::with_stores(Box::new(meta), Box::new(blobs), &c.data_dir.join("audit.log"), Arc::new(SystemClock))?)
}

fn serve(config: &Path) -> Result<u8> {
    let c = Config::read(config)?;
    let verifier = ModelSignVerifier::load(&c.signing_keys, &c.signing_cas)?;
    let reg = open_registry(&c)?;
    serve_registry(&c, reg, Options { verifier: Some(Arc::new(verifier)) })?;
    Ok(0)
}

/// Exit 1 for a verification that found problems (as `audit` does for findings), 2 for errors.
fn code(r: Result<(), CliError>) -> Result<u8> {
    match r {
        Ok(()) => Ok(0),
        Err(e @ (CliError::VerifyFailed(_) | CliError::LogBroken { .. })) => {
            eprintln!("{e}");
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn run_model_cmd(a: &ModelArgs) -> Result<u8> {
    code(run_model(a))
}

pub fn run_registry_cmd(a: &RegistryArgs) -> Result<u8> {
    match &a.command {
        RegistryCommand::Serve { config } => serve(config),
        _ => code(run_registry(a)),
    }
}

/// `mlguard signature …`: OpenSSF model signing on a local directory.
#[derive(clap::Args)]
pub struct SignatureArgs {
    #[command(subcommand)]
    cmd: SignatureCmd,
}

#[derive(clap::Subcommand)]
enum SignatureCmd {
    /// Generate an ECDSA signing key: OUT (PKCS #8 PEM, readable by its owner only) and OUT.pub.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        /// p256, p384 or p521.
        #[arg(long, default_value = "p256")]
        curve: String,
    },
    /// Sign a model directory into DIR/model.sig (key method; `model_signing verify key` accepts it).
    Sign {
        dir: PathBuf,
        /// The private key (PEM).
        #[arg(long)]
        key: PathBuf,
        /// A path inside DIR to leave out (repeatable).
        #[arg(long)]
        ignore: Vec<PathBuf>,
    },
    /// Verify DIR/model.sig: with the signer's public key (key method) or CA certificates
    /// (certificate method). Exit 0 verified, 1 not verified, 2 unreadable input.
    Verify {
        dir: PathBuf,
        #[arg(long, required_unless_present = "ca", conflicts_with = "ca")]
        key: Option<PathBuf>,
        #[arg(long)]
        ca: Vec<PathBuf>,
        /// A path inside DIR to leave out (repeatable).
        #[arg(long)]
        ignore: Vec<PathBuf>,
        /// The signature file (default DIR/model.sig).
        #[arg(long)]
        signature: Option<PathBuf>,
    },
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).with_context(|| format!("creating `{}` (an existing key is never overwritten)", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("writing `{}`", path.display()))?;
    Ok(())
}

pub fn run_signature(a: &SignatureArgs) -> Result<u8> {
    use mlguard_modelsign as ms;
    match &a.cmd {
        SignatureCmd::Keygen { out, curve } => {
            let curve = match curve.as_str() {
                "p256" => ms::Curve::P256,
                "p384" => ms::Curve::P384,
                "p521" => ms::Curve::P521,
                other => anyhow::bail!("--curve `{other}`: expected p256, p384 or p521"),
            };
            let key = ms::generate_private_key_pem(curve)?;
            let public = ms::public_key_pem(&key)?;
            write_private(out, &key)?;
            let pub_path = PathBuf::from(format!("{}.pub", out.display()));
            std::fs::write(&pub_path, public).with_context(|| format!("writing `{}`", pub_path.display()))?;
            eprintln!("private key: {} (keep it secret); public key: {}", out.display(), pub_path.display());
            Ok(0)
        }
        SignatureCmd::Sign { dir, key, ignore } => {
            let pem = std::fs::read_to_string(key).with_context(|| format!("reading `{}`", key.display()))?;
            let bundle = ms::sign_key(dir, &pem, ignore)?;
            let out = dir.join(ms::SIGNATURE_FILE);
            let tmp = dir.join(format!(".{}.tmp", ms::SIGNATURE_FILE));
            std::fs::write(&tmp, bundle).with_context(|| format!("writing `{}`", tmp.display()))?;
            std::fs::rename(&tmp, &out).with_context(|| format!("renaming to `{}`", out.display()))?;
            eprintln!("signed: {}", out.display());
            Ok(0)
        }
        SignatureCmd::Verify { dir, key, ca, ignore, signature } => {
            let sig = signature.clone().unwrap_or_else(|| dir.join(ms::SIGNATURE_FILE));
            let opts = ms::VerifyOptions { ignore_paths: ignore.clone(), ..ms::VerifyOptions::default() };
            let res = match key {
                Some(k) => ms::verify_key(dir, &sig, &std::fs::read_to_string(k).with_context(|| format!("reading `{}`", k.display()))?, &opts),
                None => {
                    let pems = ca.iter().map(|p| std::fs::read_to_string(p).with_context(|| format!("reading `{}`", p.display()))).collect::<Result<Vec<_>>>()?;
                    let refs: Vec<&str> = pems.iter().map(String::as_str).collect();
                    ms::verify_certificate(dir, &sig, &refs, &opts)
                }
            };
            match res {
                Ok(v) => {
                    for f in &v.files {
                        println!("{}  {}", f.sha256, f.name);
                    }
                    eprintln!("verified: {} file(s), signed by {:?}", v.files.len(), v.signer);
                    Ok(0)
                }
                Err(e @ ms::Error::Io { .. }) => Err(e.into()),
                Err(e) => {
                    eprintln!("not verified: {e}");
                    Ok(1)
                }
            }
        }
    }
}
