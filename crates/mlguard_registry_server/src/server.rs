//! The HTTP server: [`router`] over [`ROUTES`], authentication, authorization, and
//! [`serve`] / [`start`].
//!
//! Every request is authenticated by its bearer token ([`TokenStore::verify`]) and every
//! operation authorized by the Cedar policies ([`Authorizer::authorize`]) on entities built
//! from the token record and the registry's metadata; a decision that errs denies. The
//! registry is synchronous, so each handler's work runs on tokio's blocking pool. Uploads
//! stream from the request body into the blob store through `StreamReader` + `SyncIoBridge`;
//! downloads stream out through a bounded channel, hashed on the way: the last chunk is held
//! back until the digest matches, and a mismatch aborts the response.

use crate::api::*;
use crate::config::{Config, ConfigError, MAX_SIGNATURE};
use crate::error::{json_response, ApiError};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path as UrlPath, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;
use futures_util::StreamExt as _;
use mlguard_authz::token::{Pepper, TokenError, TokenStore};
use mlguard_authz::{Action, Authorizer, LoadError, Principal, RequestContext, Resource};
use mlguard_registry::paths::is_valid_group_name;
use mlguard_registry::{
    ApprovalStatus, ArtifactFault, DatasetRef, DeleteOptions, GroupSettings, Lineage, ModelGroup, ModelVersion, Registry,
    RegistryError, RetentionMode, RetentionSettings, Sha256Digest, SignatureInfo, StoredVersion, TrainingRun,
};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use time::OffsetDateTime;

/// Verifies a signature bundle (`model.sig`) over a version's artifacts. The implementation
/// backed by the OpenSSF model-signing crate is plugged in by the binary; without one the
/// signature endpoint answers 501.
pub trait SignatureVerifier: Send + Sync {
    /// Checks `bundle` against `version`'s artifact digests; on success returns what is to be
    /// recorded, on failure a message for the client (answered with 400).
    fn verify(&self, bundle: &[u8], version: &ModelVersion) -> Result<SignatureInfo, String>;
}

/// What a configuration file cannot carry.
#[derive(Default, Clone)]
pub struct Options {
    pub verifier: Option<Arc<dyn SignatureVerifier>>,
}

/// Why the server did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("opening the registry: {0}")]
    Registry(#[from] RegistryError),
    #[error("loading tokens: {0}")]
    Tokens(#[from] TokenError),
    #[error("loading authorization policies: {0}")]
    Policy(#[from] LoadError),
    #[error("{op} `{path}`: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error("listening on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Tls(crate::tls::TlsError),
}

/// The owner team of each group, kept next to the registry in `server-groups.json` (the
/// registry's `ModelGroup` has no owner team). Written with a temporary file, `fsync` and a
/// rename before the group is created; a group with no entry has the owner team `""`, which
/// no principal's teams contain, so team-scoped permits fail closed.
struct Owners {
    path: PathBuf,
    map: RwLock<BTreeMap<String, String>>,
    write: Mutex<()>,
}

/// File name of the owner-team map in the data directory.
pub const OWNERS_FILE: &str = "server-groups.json";

impl Owners {
    fn open(dir: &Path) -> Result<Owners, ServeError> {
        let path = dir.join(OWNERS_FILE);
        let map = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| ServeError::Io { op: "reading", path: path.display().to_string(), source: std::io::Error::other(e) })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(ServeError::Io { op: "reading", path: path.display().to_string(), source }),
        };
        Ok(Owners { path, map: RwLock::new(map), write: Mutex::new(()) })
    }

    fn get(&self, group: &str) -> String {
        self.map.read().ok().and_then(|m| m.get(group).cloned()).unwrap_or_default()
    }

    fn store(&self, map: &BTreeMap<String, String>) -> std::io::Result<()> {
        use std::io::Write as _;
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(map).map_err(std::io::Error::other)?;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// Everything a request needs.
pub struct AppState {
    reg: Registry,
    uploads: Uploads,
    tokens: TokenStore,
    authz: Authorizer,
    owners: Owners,
    max_json: u64,
    max_artifact: u64,
    verifier: Option<Arc<dyn SignatureVerifier>>,
}

type St = Arc<AppState>;

/// How long an upload lets versions of its group reference the blob.
const UPLOAD_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Which blobs were uploaded to which group, and when. Artifacts are content-addressed and
/// stored once for all groups, so without this anyone allowed to push to one group could name
/// the digest of another group's artifact in a new version of their own, then download it
/// there. A version may reference a blob only if its content was uploaded to that group
/// (proof of possession: the server hashed the body) within [`UPLOAD_TTL`], or if a version of
/// the group already references it. Kept in memory: after a restart a client uploads again
/// (the blob is stored already; the upload is hashed and recorded, not stored twice).
#[derive(Default)]
struct Uploads {
    map: Mutex<UploadMap>,
}

#[derive(Default)]
struct UploadMap {
    at: std::collections::HashMap<(String, Sha256Digest), std::time::Instant>,
    /// When expired entries were last removed: at most once a minute, so that an upload does
    /// not scan the whole map each time.
    pruned: Option<std::time::Instant>,
}

impl Uploads {
    fn record(&self, group: &str, digest: Sha256Digest) {
        let now = std::time::Instant::now();
        if let Ok(mut m) = self.map.lock() {
            if m.pruned.is_none_or(|p| now.duration_since(p) >= std::time::Duration::from_secs(60)) {
                m.at.retain(|_, at| now.duration_since(*at) < UPLOAD_TTL);
                m.pruned = Some(now);
            }
            m.at.insert((group.to_owned(), digest), now);
        }
    }

    fn contains(&self, group: &str, digest: &Sha256Digest) -> bool {
        self.map.lock().ok().and_then(|m| m.at.get(&(group.to_owned(), *digest)).copied()).is_some_and(|at| at.elapsed() < UPLOAD_TTL)
    }
}

/// Loads policies (refusing to start on any error), tokens and the registry.
pub fn load_state(config: &Config, opts: Options, reg: Option<Registry>) -> Result<AppState, ServeError> {
    let authz = match (&config.schema_file, &config.policy_file) {
        (None, None) => Authorizer::from_sources(mlguard_authz::DEFAULT_SCHEMA, "registry.cedarschema (bundled)", mlguard_authz::DEFAULT_POLICIES, "registry.cedar (bundled)")?,
        (schema, policy) => {
            let read = |p: &Option<PathBuf>, default: &str| -> Result<(String, String), ServeError> {
                match p {
                    Some(p) => std::fs::read_to_string(p)
                        .map(|s| (s, p.display().to_string()))
                        .map_err(|source| ServeError::Policy(LoadError::Read { path: p.display().to_string(), source })),
                    None => Ok((default.to_string(), "bundled".to_string())),
                }
            };
            let (s, sn) = read(schema, mlguard_authz::DEFAULT_SCHEMA)?;
            let (p, pn) = read(policy, mlguard_authz::DEFAULT_POLICIES)?;
            Authorizer::from_sources(&s, &sn, &p, &pn)?
        }
    };
    for w in authz.warnings() {
        eprintln!("mlguard registry: policy warning: {w}");
    }
    let pepper = match &config.pepper_file {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|source| ServeError::Io { op: "reading pepper", path: p.display().to_string(), source })?;
            Some(Pepper::new(bytes)?)
        }
        None => None,
    };
    let tokens = TokenStore::load(&config.token_file, pepper)?;
    let reg = match reg {
        Some(r) => r,
        None => Registry::open(&config.data_dir)?,
    };
    let owners = Owners::open(&config.data_dir)?;
    Ok(AppState { reg, uploads: Uploads::default(), tokens, authz, owners, max_json: config.max_json_bytes, max_artifact: config.max_artifact_bytes, verifier: opts.verifier })
}

// ----- the route table -----

/// Every route: method, path (axum syntax) and handler. The OpenAPI test checks this table
/// against `openapi.yaml` both ways.
fn routes() -> Vec<(&'static str, &'static str, MethodRouter<St>)> {
    vec![
        ("GET", "/v1/health", get(health)),
        ("GET", "/v1/groups", get(list_groups)),
        ("POST", "/v1/groups", post(create_group)),
        ("GET", "/v1/groups/{group}", get(show_group)),
        ("GET", "/v1/groups/{group}/versions", get(list_versions)),
        ("POST", "/v1/groups/{group}/versions", post(create_version)),
        ("PUT", "/v1/groups/{group}/blobs/sha256/{digest}", put(put_blob)),
        ("GET", "/v1/groups/{group}/versions/{version}", get(show_version)),
        ("DELETE", "/v1/groups/{group}/versions/{version}", delete(delete_version)),
        ("GET", "/v1/groups/{group}/versions/{version}/artifacts/{*path}", get(get_artifact)),
        ("POST", "/v1/groups/{group}/versions/{version}/approval", post(approval)),
        ("PUT", "/v1/groups/{group}/versions/{version}/signature", put(signature)),
        ("GET", "/v1/groups/{group}/versions/{version}/lineage", get(version_lineage)),
        ("POST", "/v1/groups/{group}/versions/{version}/deployments", post(deployment)),
        ("GET", "/v1/groups/{group}/aliases", get(list_aliases)),
        ("GET", "/v1/groups/{group}/aliases/{alias}", get(show_alias)),
        ("PUT", "/v1/groups/{group}/aliases/{alias}", put(set_alias)),
        ("POST", "/v1/groups/{group}/aliases/{alias}/rollback", post(rollback)),
        ("GET", "/v1/lineage", get(trained_on)),
        ("POST", "/v1/verify", post(verify)),
        ("GET", "/v1/audit-log", get(audit_log)),
        ("GET", "/v1/audit-log/verify", get(audit_log_verify)),
    ]
}

/// `(method, OpenAPI path)` of every route the router serves.
pub fn route_list() -> Vec<(&'static str, String)> {
    routes().into_iter().map(|(m, p, _)| (m, p.replace("{*", "{"))).collect()
}

/// The router over a loaded state.
pub fn router(state: AppState) -> Router {
    let mut r: Router<St> = Router::new();
    for (_, path, handler) in routes() {
        r = r.route(path, handler);
    }
    r.fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(Arc::new(state))
}

// ----- extractors -----

/// The authenticated caller.
pub struct Caller(pub Principal);

impl FromRequestParts<St> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &St) -> Result<Caller, ApiError> {
        let presented = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        match st.tokens.verify(presented.trim(), OffsetDateTime::now_utc()) {
            Ok(rec) => Ok(Caller(rec.principal())),
            Err(f) => {
                eprintln!("mlguard registry: authentication failed: {} ({} {})", f.reason(), parts.method, parts.uri.path());
                Err(ApiError::unauthenticated())
            }
        }
    }
}

/// Path parameters, with a JSON 400 on a bad one.
pub struct P<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<St> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &St) -> Result<P<T>, ApiError> {
        match UrlPath::<T>::from_request_parts(parts, st).await {
            Ok(UrlPath(t)) => Ok(P(t)),
            Err(e) => Err(ApiError::bad_request("invalid_parameter", e.body_text())),
        }
    }
}

/// Query parameters (unknown ones rejected by the types), with a JSON 400.
pub struct Q<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<St> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &St) -> Result<Q<T>, ApiError> {
        match Query::<T>::from_request_parts(parts, st).await {
            Ok(Query(t)) => Ok(Q(t)),
            Err(e) => Err(ApiError::bad_request("invalid_query", e.body_text())),
        }
    }
}

/// Reads a whole body of at most `limit` bytes (413 beyond). An oversized body is read and
/// discarded up to 16 times the limit before answering, so that the client, still sending,
/// receives the 413 instead of a reset connection; beyond that the connection is dropped.
async fn read_limited(headers: &HeaderMap, body: Body, limit: u64, what: &str) -> Result<Vec<u8>, ApiError> {
    let drain_cap = limit.saturating_mul(16);
    if content_length(headers).is_some_and(|n| n > drain_cap) {
        return Err(ApiError::too_large(what, limit));
    }
    let mut out = Vec::new();
    let mut seen: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("body_unreadable", format!("reading the request body: {e}")))?;
        seen += chunk.len() as u64;
        if seen > drain_cap {
            break;
        }
        if seen <= limit {
            out.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(ApiError::too_large(what, limit));
    }
    Ok(out)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// A JSON body of at most `max_json_bytes` whose type rejects unknown fields.
pub struct J<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<St> for J<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &St) -> Result<J<T>, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_limited(&parts.headers, body, st.max_json, "the JSON body").await?;
        serde_json::from_slice(&bytes).map(J).map_err(|e| ApiError::bad_request("invalid_json", format!("invalid request body: {e}")))
    }
}

// ----- helpers -----

/// Runs registry work on the blocking pool.
async fn blocking<T: Send + 'static>(st: &St, f: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    let st = st.clone();
    tokio::task::spawn_blocking(move || f(&st)).await.map_err(|e| ApiError::internal(&e))?
}

async fn answer<T: serde::Serialize + Send + 'static>(st: &St, status: StatusCode, f: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static) -> Response {
    match blocking(st, f).await {
        Ok(t) => json_response(status, &t),
        Err(e) => e.into_response(),
    }
}

impl AppState {
    fn group_entity(&self, g: &ModelGroup) -> mlguard_authz::Group {
        mlguard_authz::Group { name: g.name.clone(), owner_team: self.owners.get(&g.name), require_signature: g.settings.require_signature }
    }

    fn version_entity(&self, g: &ModelGroup, v: &ModelVersion) -> mlguard_authz::Version {
        let now = OffsetDateTime::now_utc();
        mlguard_authz::Version {
            group: self.group_entity(g),
            number: v.version,
            created_by: v.created_by.clone(),
            approval_status: match v.status {
                ApprovalStatus::PendingManualApproval => mlguard_authz::ApprovalStatus::Pending,
                ApprovalStatus::Approved => mlguard_authz::ApprovalStatus::Approved,
                ApprovalStatus::Rejected => mlguard_authz::ApprovalStatus::Rejected,
            },
            signed: v.signature.is_some(),
            retention: match v.retention {
                Some(r) if r.until > now => match r.mode {
                    RetentionMode::Governance => mlguard_authz::RetentionMode::Governance,
                    RetentionMode::Compliance => mlguard_authz::RetentionMode::Compliance,
                },
                _ => mlguard_authz::RetentionMode::None,
            },
        }
    }

    fn authorize(&self, who: &Principal, action: Action, resource: &Resource, ctx: &RequestContext) -> Result<(), ApiError> {
        let d = self.authz.authorize(who, action, resource, ctx);
        if d.allowed {
            return Ok(());
        }
        let target = match resource {
            Resource::Registry => "the registry".to_string(),
            Resource::AuditLog => "the audit log".to_string(),
            Resource::Group(g) => format!("`{}`", g.name),
            Resource::Version(v) => format!("`{}`", v.id()),
        };
        eprintln!("mlguard registry: denied: `{}` {action} {target}: reasons {:?} errors {:?}", who.id, d.reasons, d.errors);
        let why = if d.reasons.is_empty() { "no policy permits it".to_string() } else { format!("forbidden by {}", d.reasons.join(", ")) };
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("`{}` may not {action} on {target}: {why}", who.id)))
    }

    fn check(&self, who: &Principal, action: Action, resource: &Resource) -> Result<(), ApiError> {
        self.authorize(who, action, resource, &RequestContext::token())
    }

    fn group_info(&self, g: ModelGroup) -> GroupInfo {
        let owner_team = self.owners.get(&g.name);
        GroupInfo { group: g, owner_team }
    }

    /// The group and version, and the version's Cedar entity.
    fn version_res(&self, group: &str, version: u64) -> Result<(ModelGroup, ModelVersion, Resource), ApiError> {
        let g = self.reg.group(group)?;
        let v = self.reg.version(group, version)?;
        let r = Resource::Version(self.version_entity(&g, &v));
        Ok((g, v, r))
    }
}

// ----- handlers -----

async fn health(_c: Caller) -> Response {
    json_response(StatusCode::OK, &Health { status: "ok".into() })
}

async fn list_groups(State(st): State<St>, Caller(who): Caller) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        st.check(&who, Action::ListModels, &Resource::Registry)?;
        let groups = st.reg.groups()?.into_iter().map(|g| st.group_info(g)).collect();
        Ok(GroupList { groups })
    })
    .await
}

async fn create_group(State(st): State<St>, Caller(who): Caller, J(req): J<CreateGroup>) -> Response {
    answer(&st, StatusCode::CREATED, move |st| {
        if !is_valid_group_name(&req.name) {
            return Err(RegistryError::InvalidName { what: "model package group name", name: req.name, rule: "1 to 63 letters, digits and inner hyphens" }.into());
        }
        let entity = mlguard_authz::Group { name: req.name.clone(), owner_team: req.owner_team.clone(), require_signature: req.require_signature };
        st.check(&who, Action::CreateGroup, &Resource::Group(entity))?;
        let settings = GroupSettings {
            require_signature: req.require_signature,
            retention: req.retention.map(|r| RetentionSettings { mode: r.mode, days: r.days }),
        };
        // One creation at a time, so that the owner entry and the group agree.
        let _guard = st.owners.write.lock().map_err(|_| ApiError::internal(&"owner map lock poisoned"))?;
        match st.reg.group(&req.name) {
            Ok(_) => return Err(RegistryError::GroupExists { group: req.name }.into()),
            Err(RegistryError::GroupNotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let mut map = st.owners.map.read().map_err(|_| ApiError::internal(&"owner map lock poisoned"))?.clone();
        map.insert(req.name.clone(), req.owner_team.clone());
        st.owners.store(&map).map_err(|e| ApiError::internal(&e))?;
        *st.owners.map.write().map_err(|_| ApiError::internal(&"owner map lock poisoned"))? = map;
        let g = st.reg.create_group(&req.name, &req.description, settings, &who.id)?;
        Ok(st.group_info(g))
    })
    .await
}

async fn show_group(State(st): State<St>, Caller(who): Caller, P(group): P<String>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let g = st.reg.group(&group)?;
        st.check(&who, Action::DescribeModel, &Resource::Group(st.group_entity(&g)))?;
        let aliases = st.reg.aliases(&group)?;
        Ok(GroupView { group: st.group_info(g), aliases })
    })
    .await
}

async fn list_versions(State(st): State<St>, Caller(who): Caller, P(group): P<String>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let g = st.reg.group(&group)?;
        st.check(&who, Action::ListModels, &Resource::Group(st.group_entity(&g)))?;
        Ok(VersionList { versions: st.reg.versions(&group)? })
    })
    .await
}

/// The entity of the version a push would create (authorizes blob uploads and pushes).
fn next_version(st: &AppState, who: &Principal, g: &ModelGroup) -> Resource {
    let mut v = mlguard_authz::Version::new(st.group_entity(g), g.latest_version + 1, who.id.clone());
    v.approval_status = mlguard_authz::ApprovalStatus::Pending;
    Resource::Version(v)
}

async fn put_blob(State(st): State<St>, Caller(who): Caller, P((group, hex)): P<(String, String)>, headers: HeaderMap, body: Body) -> Response {
    match put_blob_inner(st, who, group, hex, headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn put_blob_inner(st: St, who: Principal, group: String, hex: String, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let Some(digest) = mlguard_registry::Sha256Digest::from_hex(&hex) else {
        return Err(ApiError::bad_request("invalid_digest", format!("`{hex}` is not a SHA-256 digest (64 hexadecimal digits)")));
    };
    let g_name = group.clone();
    blocking(&st, move |st| {
        let g = st.reg.group(&g_name)?;
        st.check(&who, Action::PushVersion, &next_version(st, &who, &g))
    })
    .await?;
    let limit = st.max_artifact;
    if content_length(&headers).is_some_and(|n| n > limit) {
        return Err(ApiError::too_large("the artifact", limit));
    }
    let exceeded = Arc::new(AtomicBool::new(false));
    let flag = exceeded.clone();
    let mut seen: u64 = 0;
    let stream = body.into_data_stream().map(move |r| match r {
        Ok(b) => {
            seen += b.len() as u64;
            if seen > limit {
                flag.store(true, Ordering::Relaxed);
                Err(std::io::Error::other("artifact too large"))
            } else {
                Ok(b)
            }
        }
        Err(e) => Err(std::io::Error::other(e)),
    });
    let reader = tokio_util::io::StreamReader::new(Box::pin(stream));
    let mut bridge = tokio_util::io::SyncIoBridge::new(reader);
    let res = blocking(&st, move |st| Ok(st.reg.put_artifact(&mut bridge, Some(&digest)))).await?;
    if let Ok(o) = &res {
        st.uploads.record(&group, o.sha256);
    }
    match res {
        Ok(o) => Ok(json_response(if o.created { StatusCode::CREATED } else { StatusCode::OK }, &BlobStored { sha256: o.sha256, size: o.size, created: o.created })),
        Err(_) if exceeded.load(Ordering::Relaxed) => Err(ApiError::too_large("the artifact", limit)),
        Err(RegistryError::Blob(mlguard_registry::BlobError::Body { source, .. })) => {
            Err(ApiError::bad_request("body_unreadable", format!("the upload was interrupted: {source}; nothing was stored")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn create_version(State(st): State<St>, Caller(who): Caller, P(group): P<String>, J(req): J<CreateVersion>) -> Response {
    answer(&st, StatusCode::CREATED, move |st| {
        let g = st.reg.group(&group)?;
        let res = next_version(st, &who, &g);
        st.check(&who, Action::PushVersion, &res)?;
        if !req.lineage.is_empty() {
            st.check(&who, Action::WriteLineage, &res)?;
        }
        let lineage = Lineage {
            datasets: req.lineage.datasets.into_iter().map(|d| DatasetRef { uri: d.uri, version_id: d.version_id, digest: d.sha256 }).collect(),
            training: req.lineage.training.map(|t| TrainingRun { job_name: t.job_name, code_commit: t.code_commit, parameters: t.parameters }),
        };
        // Every blob must have been uploaded to this group, or be referenced by one of its
        // versions already (see `Uploads`); the answer is the same whether or not the blob
        // exists elsewhere, so it reveals nothing about other groups.
        let mut known: Option<std::collections::HashSet<Sha256Digest>> = None;
        for a in &req.artifacts {
            if st.uploads.contains(&group, &a.sha256) {
                continue;
            }
            if known.is_none() {
                known = Some(st.reg.versions(&group)?.iter().flat_map(|v| v.artifacts.iter().map(|x| x.sha256)).collect());
            }
            if !known.as_ref().is_some_and(|k| k.contains(&a.sha256)) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "blob_missing",
                    format!("artifact `{}`: blob {} was not uploaded to group `{group}`; upload it first (PUT /v1/groups/{group}/blobs/sha256/<hex>)", a.path, a.sha256),
                ));
            }
        }
        let new = StoredVersion {
            description: req.description,
            tags: req.tags,
            metrics: req.metrics,
            lineage,
            artifacts: req.artifacts.into_iter().map(|a| (a.path, a.sha256)).collect(),
        };
        Ok(st.reg.push_stored(&group, new, &who.id)?)
    })
    .await
}

async fn show_version(State(st): State<St>, Caller(who): Caller, P((group, version)): P<(String, u64)>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let (_, v, res) = st.version_res(&group, version)?;
        st.check(&who, Action::DescribeModel, &res)?;
        Ok(v)
    })
    .await
}

async fn delete_version(State(st): State<St>, Caller(who): Caller, P((group, version)): P<(String, u64)>, Q(q): Q<DeleteQuery>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let (g, v, res) = st.version_res(&group, version)?;
        if q.governance_override {
            st.authorize(&who, Action::OverrideRetention, &res, &RequestContext::token().with_justification(q.reason.clone()))?;
            // The override lifts the governance hold for this deletion.
            let mut lifted = st.version_entity(&g, &v);
            lifted.retention = mlguard_authz::RetentionMode::None;
            st.check(&who, Action::DeleteVersion, &Resource::Version(lifted))?;
        } else {
            st.check(&who, Action::DeleteVersion, &res)?;
        }
        let rep = st.reg.delete_version(&group, version, &who.id, &DeleteOptions { reason: q.reason, governance_override: q.governance_override })?;
        Ok(DeleteOut { blobs_deleted: rep.blobs_deleted, blob_errors: rep.blob_errors })
    })
    .await
}

/// Size of the chunks a download is sent in.
const DOWNLOAD_CHUNK: usize = 256 << 10;

async fn get_artifact(State(st): State<St>, Caller(who): Caller, P((group, version, path)): P<(String, u64, String)>) -> Response {
    let opened = blocking(&st, move |st| {
        let (_, v, res) = st.version_res(&group, version)?;
        st.check(&who, Action::PullArtifact, &res)?;
        if v.deleted.is_some() {
            return Err(RegistryError::VersionDeleted { group, version }.into());
        }
        let a = v
            .artifacts
            .iter()
            .find(|a| a.path == path)
            .ok_or_else(|| ApiError::not_found(format!("version {version} of `{group}` has no artifact `{path}`")))?
            .clone();
        let reader = st.reg.blob_store().get(&a.sha256.blob_key(), None).map_err(RegistryError::from)?;
        Ok((a, reader))
    })
    .await;
    let (artifact, mut reader) = match opened {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let expected = artifact.sha256;
    tokio::task::spawn_blocking(move || {
        let mut h = Sha256::new();
        let mut pending: Option<Bytes> = None;
        loop {
            let mut buf = vec![0u8; DOWNLOAD_CHUNK];
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("mlguard registry: reading blob {expected}: {e}");
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            buf.truncate(n);
            h.update(&buf);
            if let Some(p) = pending.replace(Bytes::from(buf)) {
                if tx.blocking_send(Ok(p)).is_err() {
                    return;
                }
            }
        }
        let actual = mlguard_registry::Sha256Digest(h.finalize().into());
        if actual == expected {
            if let Some(p) = pending {
                let _ = tx.blocking_send(Ok(p));
            }
        } else {
            eprintln!("mlguard registry: ERROR: blob {expected} now hashes to {actual}: download aborted; run `POST /v1/verify`");
            let _ = tx.blocking_send(Err(std::io::Error::other("stored artifact does not match its digest")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(artifact.size));
    if let Ok(v) = HeaderValue::from_str(&artifact.sha256.to_hex()) {
        h.insert(DIGEST_HEADER, v);
    }
    resp
}

async fn approval(State(st): State<St>, Caller(who): Caller, P((group, version)): P<(String, u64)>, J(req): J<ApprovalIn>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let (_, _, res) = st.version_res(&group, version)?;
        let (action, status) = match req.status {
            Decision::Approved => (Action::ApproveVersion, ApprovalStatus::Approved),
            Decision::Rejected => (Action::RejectVersion, ApprovalStatus::Rejected),
        };
        st.check(&who, action, &res)?;
        Ok(st.reg.update_approval(&group, version, status, &who.id, &req.reason)?)
    })
    .await
}

async fn signature(State(st): State<St>, Caller(who): Caller, P((group, version)): P<(String, u64)>, headers: HeaderMap, body: Body) -> Response {
    let checked = blocking(&st, move |st| {
        let (_, v, res) = st.version_res(&group, version)?;
        st.check(&who, Action::PushVersion, &res)?;
        Ok((v, who))
    })
    .await;
    let (v, who) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let bundle = match read_limited(&headers, body, MAX_SIGNATURE, "the signature bundle").await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Some(verifier) = st.verifier.clone() else {
        return ApiError::new(StatusCode::NOT_IMPLEMENTED, "not_implemented", "this server has no signature verifier configured; signatures cannot be recorded yet").into_response();
    };
    answer(&st, StatusCode::OK, move |st| {
        let info = verifier.verify(&bundle, &v).map_err(|m| ApiError::bad_request("invalid_signature", m))?;
        Ok(st.reg.set_signature(&v.group, v.version, info, &who.id)?)
    })
    .await
}

async fn version_lineage(State(st): State<St>, Caller(who): Caller, P((group, version)): P<(String, u64)>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let (_, _, res) = st.version_res(&group, version)?;
        st.check(&who, Action::ReadLineage, &res)?;
        Ok(st.reg.lineage_of(&group, version)?)
    })
    .await
}

async fn deployment(State(st): State<St>, Caller(who): Caller, P((group, version)): P<(String, u64)>, J(req): J<DeploymentIn>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let (_, _, res) = st.version_res(&group, version)?;
        st.check(&who, Action::WriteLineage, &res)?;
        Ok(st.reg.record_deployment(&group, version, &req.endpoint, &who.id)?)
    })
    .await
}

async fn list_aliases(State(st): State<St>, Caller(who): Caller, P(group): P<String>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let g = st.reg.group(&group)?;
        st.check(&who, Action::DescribeModel, &Resource::Group(st.group_entity(&g)))?;
        Ok(AliasList { aliases: st.reg.aliases(&group)? })
    })
    .await
}

async fn show_alias(State(st): State<St>, Caller(who): Caller, P((group, alias)): P<(String, String)>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let g = st.reg.group(&group)?;
        st.check(&who, Action::DescribeModel, &Resource::Group(st.group_entity(&g)))?;
        Ok(st.reg.alias(&group, &alias)?)
    })
    .await
}

async fn set_alias(State(st): State<St>, Caller(who): Caller, P((group, alias)): P<(String, String)>, J(req): J<SetAliasIn>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let (_, _, res) = st.version_res(&group, req.version)?;
        st.check(&who, Action::SetAlias, &res)?;
        Ok(st.reg.set_alias(&group, &alias, req.version, &who.id, &req.reason)?)
    })
    .await
}

async fn rollback(State(st): State<St>, Caller(who): Caller, P((group, alias)): P<(String, String)>, J(req): J<RollbackIn>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let g = st.reg.group(&group)?;
        let target = st.reg.rollback_target(&group, &alias)?;
        let v = st.reg.version(&group, target)?;
        st.check(&who, Action::RollbackAlias, &Resource::Version(st.version_entity(&g, &v)))?;
        // Made only if the target is still the version just authorized.
        let to = st.reg.rollback_expecting(&group, &alias, target, &who.id, &req.reason)?;
        Ok(RollbackOut { version: to, alias: st.reg.alias(&group, &alias)? })
    })
    .await
}

async fn trained_on(State(st): State<St>, Caller(who): Caller, Q(q): Q<LineageQuery>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let mut out = Vec::new();
        let mut groups: BTreeMap<String, ModelGroup> = BTreeMap::new();
        for v in st.reg.models_trained_on(&q.dataset_uri, q.version_id.as_deref())? {
            if !groups.contains_key(&v.group) {
                groups.insert(v.group.clone(), st.reg.group(&v.group)?);
            }
            let Some(g) = groups.get(&v.group) else { continue };
            let res = Resource::Version(st.version_entity(g, &v));
            // Versions the caller may not read are left out, not an error.
            if st.authz.authorize(&who, Action::ReadLineage, &res, &RequestContext::token()).allowed {
                out.push(v);
            }
        }
        Ok(TrainedOn { versions: out })
    })
    .await
}

async fn verify(State(st): State<St>, Caller(who): Caller, J(req): J<VerifyIn>) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        let groups = match &req.group {
            Some(g) => vec![st.reg.group(g)?],
            None => st.reg.groups()?,
        };
        for g in &groups {
            for v in st.reg.versions(&g.name)?.iter().filter(|v| v.deleted.is_none()) {
                st.check(&who, Action::VerifyArtifacts, &Resource::Version(st.version_entity(g, v)))?;
            }
        }
        let rep = st.reg.verify(req.group.as_deref())?;
        Ok(VerifyOut {
            blobs_checked: rep.blobs_checked as u64,
            bytes_hashed: rep.bytes_hashed,
            problems: rep
                .problems
                .into_iter()
                .map(|p| VerifyProblem {
                    sha256: p.digest,
                    key: p.key,
                    pinned_version_id: p.pinned_version_id,
                    fault: match p.fault {
                        ArtifactFault::PinnedChanged { actual } => format!("the pinned blob version now hashes to {actual}"),
                        ArtifactFault::PinnedMissing { error } => format!("the pinned blob version cannot be read: {error}"),
                        ArtifactFault::LatestChanged { latest_version_id, actual } => format!("the key's latest version `{latest_version_id}` hashes to {actual}"),
                        ArtifactFault::LatestAbsent => "the key's latest version is missing or a delete marker".to_string(),
                    },
                    used_by: p.used_by.into_iter().map(|(r, path)| BlobUse { group: r.group, version: r.version, path }).collect(),
                    matching_versions: p.matching_versions,
                })
                .collect(),
        })
    })
    .await
}

async fn audit_log(State(st): State<St>, Caller(who): Caller) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        st.check(&who, Action::ReadAuditLog, &Resource::AuditLog)?;
        Ok(AuditLog { entries: st.reg.audit_entries()? })
    })
    .await
}

async fn audit_log_verify(State(st): State<St>, Caller(who): Caller) -> Response {
    answer(&st, StatusCode::OK, move |st| {
        st.check(&who, Action::ReadAuditLog, &Resource::AuditLog)?;
        let rep = st.reg.verify_log()?;
        Ok(LogVerifyOut {
            intact: rep.is_intact(),
            valid_entries: rep.valid_entries,
            first_bad: rep.first_bad.as_ref().map(|(n, _)| *n),
            problem: rep.first_bad.map(|(_, p)| p.to_string()),
        })
    })
    .await
}

// ----- running -----

/// A server running on its own thread and runtime (tests, the load example). Dropping it
/// shuts it down gracefully.
pub struct RunningServer {
    pub addr: SocketAddr,
    tls: bool,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl RunningServer {
    /// `http://<addr>`, or `https://<addr>` when the configuration has `[tls]`.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), ServeError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(ServeError::Runtime(std::io::Error::other("server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("mlguard-registry").build().map_err(ServeError::Runtime)
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })
}

/// The TLS configuration of `[tls]`, if any (read before listening, so a bad file stops startup).
fn tls_config(config: &Config) -> Result<Option<Arc<rustls::ServerConfig>>, ServeError> {
    config.tls.as_ref().map(crate::tls::server_config).transpose().map_err(ServeError::Tls)
}

/// Starts the server on a thread of its own and returns once it listens.
pub fn start(config: &Config, opts: Options) -> Result<RunningServer, ServeError> {
    let state = load_state(config, opts, None)?;
    let tls = tls_config(config)?;
    let rt = runtime()?;
    let listener = rt.block_on(bind(config.listen))?;
    let addr = listener.local_addr().map_err(ServeError::Runtime)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state);
    let is_tls = tls.is_some();
    let thread = std::thread::Builder::new()
        .name("mlguard-registry-server".into())
        .spawn(move || {
            rt.block_on(run(listener, app, tls, async move {
                let _ = rx.await;
            }))
        })
        .map_err(ServeError::Runtime)?;
    Ok(RunningServer { addr, tls: is_tls, shutdown: Some(tx), thread: Some(thread) })
}

/// `mlguard registry serve`: loads everything (a policy that does not parse or validate is an
/// error, never a fallback), listens, prints the bound address on standard error, and serves
/// until SIGTERM or Ctrl-C, then finishes the requests in flight.
pub fn serve(config: &Config, opts: Options) -> Result<(), ServeError> {
    serve_with(config, opts, None)
}

/// [`serve`] over a registry the caller opened (other stores than the data directory's, such
/// as an S3 bucket for the artifacts).
pub fn serve_registry(config: &Config, reg: Registry, opts: Options) -> Result<(), ServeError> {
    serve_with(config, opts, Some(reg))
}

fn serve_with(config: &Config, opts: Options, reg: Option<Registry>) -> Result<(), ServeError> {
    let state = load_state(config, opts, reg)?;
    let tls = tls_config(config)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = bind(config.listen).await?;
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        eprintln!("mlguard registry listening on {}://{addr}", if config.tls.is_some() { "https" } else { "http" });
        if config.tls.as_ref().is_some_and(|t| t.client_ca.is_some()) {
            eprintln!("mlguard registry: client certificates required (mutual TLS)");
        }
        run(listener, router(state), tls, shutdown_signal()).await
    })
}

/// Longest a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `app` until `shutdown` completes, then lets requests in flight finish: plain HTTP
/// through `axum::serve`, or each accepted connection through a TLS handshake first.
async fn run(listener: tokio::net::TcpListener, app: Router, tls: Option<Arc<rustls::ServerConfig>>, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
    let Some(tls) = tls else {
        return axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(ServeError::Runtime);
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                // Out of file descriptors and the like: wait, as axum::serve does, and go on.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while conns.try_join_next().is_some() {}
        let acceptor = acceptor.clone();
        let app = app.clone();
        let mut stop = stop_rx.clone();
        conns.spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                // No HTTP answer is possible before the handshake; the client sees the TLS alert.
                Ok(Err(e)) => return eprintln!("mlguard registry: TLS handshake with {peer} failed: {e}"),
                Err(_) => return eprintln!("mlguard registry: TLS handshake with {peer} timed out"),
            };
            let svc = hyper_util::service::TowerToHyperService::new(app);
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    let _ = stop_tx.send(true);
    while conns.join_next().await.is_some() {}
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("mlguard registry: shutting down");
}
