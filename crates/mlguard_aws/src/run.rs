//! One collection run: bounded concurrency, per-call records, error classes, file writing.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
pub use mlguard_snapshot::manifest::{CallRecord, Outcome};
use serde_json::Value;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Semaphore;

/// A classified failure.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub class: Class,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The answer is that the setting does not exist.
    Absent,
    Denied,
    Failed,
    /// Nothing further can succeed (credentials expired or rejected): stop the run.
    Fatal,
}

/// Error codes that say a setting does not exist, not that reading it failed.
const ABSENT: &[&str] = &[
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchLifecycleConfiguration",
];

/// Error codes that say the caller may not read this here.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "Forbidden",
    "OptInRequired",
    "SubscriptionRequiredException",
    "InvalidAction",
    "UnsupportedOperation",
    "UnknownOperationException",
    "UnrecognizedClientException_Region",
];

/// Error codes after which no call can succeed.
const FATAL: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

/// Sorts an SDK error into [`Class`]es.
pub fn classify<E>(e: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let full = chain(e);
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let status = se.raw().status();
            if err.code().is_none() && status.is_success() {
                // A 2xx answer the SDK could not read: not an error AWS sent, a broken response.
                return Failure { code: "MalformedResponse".into(), message: format!("HTTP {}: {}", status.as_u16(), chain(err)), class: Class::Failed };
            }
            let code = err.code().map(str::to_owned).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            let message = err.message().map(str::to_owned).unwrap_or_else(|| chain(err));
            let class = if ABSENT.contains(&code.as_str()) {
                Class::Absent
            } else if FATAL.contains(&code.as_str()) {
                Class::Fatal
            } else if DENIED.contains(&code.as_str()) || se.raw().status().as_u16() == 403 {
                Class::Denied
            } else {
                Class::Failed
            };
            Failure { code, message, class }
        }
        SdkError::DispatchFailure(d) => {
            let code = if d.is_timeout() { "Timeout" } else { "EndpointUnreachable" };
            Failure { code: code.into(), message: full, class: Class::Failed }
        }
        SdkError::TimeoutError(_) => Failure { code: "Timeout".into(), message: full, class: Class::Failed },
        SdkError::ResponseError(_) => Failure { code: "MalformedResponse".into(), message: full, class: Class::Failed },
        SdkError::ConstructionFailure(_) => {
            // Credentials that cannot be resolved surface here: nothing can be signed.
            let class = if full.contains("credentials") { Class::Fatal } else { Class::Failed };
            Failure { code: "RequestNotBuilt".into(), message: full, class }
        }
        _ => Failure { code: "Unknown".into(), message: full, class: Class::Failed },
    }
}

/// An error and its sources, as one line (`unhandled error: error parsing XML: no root element`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.ends_with(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Where a call goes in the snapshot.
#[derive(Debug, Clone)]
pub struct At {
    pub account: String,
    /// The region folder (`global` for IAM, CloudFront and CloudFront-scope WAF).
    pub region: String,
}

/// Shared state of a run.
pub struct Run {
    pub out: PathBuf,
    sem: Semaphore,
    records: Mutex<Vec<CallRecord>>,
    fatal: Mutex<Option<Failure>>,
    stopped: AtomicBool,
    notes: Mutex<Vec<String>>,
}

impl Run {
    pub fn new(out: &Path, concurrency: usize) -> Run {
        Run {
            out: out.to_path_buf(),
            sem: Semaphore::new(concurrency.max(1)),
            records: Mutex::new(Vec::new()),
            fatal: Mutex::new(None),
            stopped: AtomicBool::new(false),
            notes: Mutex::new(Vec::new()),
        }
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    pub fn fatal(&self) -> Option<Failure> {
        lock(&self.fatal).clone()
    }

    pub fn records(&self) -> Vec<CallRecord> {
        lock(&self.records).clone()
    }

    /// Things written down during the run that are not a call's outcome (a file that could not
    /// be written, a truncated answer).
    pub fn notes(&self) -> Vec<String> {
        lock(&self.notes).clone()
    }

    pub fn note(&self, s: String) {
        lock(&self.notes).push(s);
    }

    #[expect(clippy::too_many_arguments, reason = "one argument per field of the call record it writes")]
    fn record(&self, at: &At, service: &str, command: &str, resource: Option<&str>, outcome: Outcome, pages: u32, fail: Option<&Failure>, started: Option<Instant>) {
        let r = CallRecord {
            account: at.account.clone(),
            region: at.region.clone(),
            service: service.to_owned(),
            command: command.to_owned(),
            resource: resource.map(str::to_owned),
            outcome,
            pages,
            error_code: fail.map(|f| f.code.clone()),
            message: fail.map(|f| f.message.clone()),
            ms: started.map_or(0, |t| t.elapsed().as_millis() as u64),
        };
        lock(&self.records).push(r);
    }

    /// Runs one call (all its pages) under the concurrency bound and records its outcome.
    /// `pages` fetches pages in order until it returns the last; it gets a [`Capture`] that
    /// JSON-protocol calls attach to keep the response body as AWS sent it.
    /// Returns the typed pages, or `None` when the call failed (already recorded).
    pub async fn paged<O, E, F, Fut>(
        &self,
        at: &At,
        service: &str,
        command: &str,
        resource: Option<&str>,
        mut page: F,
        next: impl Fn(&O) -> Option<String>,
    ) -> Option<Vec<(O, Option<Vec<u8>>)>>
    where
        F: FnMut(Option<String>, Capture) -> Fut,
        Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if self.stopped() {
            self.record(at, service, command, resource, Outcome::NotAttempted, 0, None, None);
            return None;
        }
        let Ok(_permit) = self.sem.acquire().await else { return None };
        let started = Instant::now();
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let cap = Capture::default();
            let sent = token.take();
            match page(sent.clone(), cap.clone()).await {
                Ok(o) => {
                    let t = next(&o).filter(|t| !t.is_empty());
                    out.push((o, cap.take()));
                    match t {
                        // A service that hands back the token it was given would be followed
                        // forever: the listing is incomplete, and says so.
                        Some(t) if sent.as_deref() == Some(t.as_str()) => {
                            let f = Failure { code: "RepeatedNextToken".into(), message: format!("page {} returned the token it was sent; the listing stops there", out.len()), class: Class::Failed };
                            self.record(at, service, command, resource, Outcome::Failed, out.len() as u32, Some(&f), Some(started));
                            return None;
                        }
                        Some(t) => token = Some(t),
                        None => break,
                    }
                }
                Err(e) => {
                    let f = classify(&e);
                    let outcome = match f.class {
                        Class::Absent => Outcome::Absent,
                        Class::Denied => Outcome::Denied,
                        Class::Failed => Outcome::Failed,
                        Class::Fatal => {
                            self.stop(f.clone());
                            Outcome::Failed
                        }
                    };
                    self.record(at, service, command, resource, outcome, out.len() as u32, Some(&f), Some(started));
                    return None;
                }
            }
        }
        self.record(at, service, command, resource, Outcome::Ok, out.len() as u32, None, Some(started));
        Some(out)
    }

    /// Stops the run: calls not yet started are recorded as not attempted.
    pub fn stop(&self, why: Failure) {
        let mut f = lock(&self.fatal);
        if f.is_none() {
            *f = Some(why);
        }
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// Writes `value` to `<out>/<account>/<region>/<service>/[<resource>/]<command>[.N].json`,
    /// through a temporary file and a rename, so that no half-written file is ever read.
    pub fn write(&self, at: &At, service: &str, resource: Option<&str>, command: &str, page: usize, value: &Value) {
        let mut dir = self.out.join(&at.account).join(&at.region).join(service);
        if let Some(r) = resource {
            if !safe_segment(r) {
                lock(&self.notes).push(format!("{service} {command}: resource name `{r}` cannot be a folder name; not written"));
                return;
            }
            dir = dir.join(r);
        }
        let name = if page <= 1 { format!("{command}.json") } else { format!("{command}.{page}.json") };
        if let Err(e) = write_atomic(&dir, &name, value) {
            lock(&self.notes).push(format!("writing `{}`: {e}", dir.join(&name).display()));
        }
    }
}

pub fn write_atomic(dir: &Path, name: &str, value: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// A resource name usable as one folder name.
fn safe_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']) && !s.starts_with('.')
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps the body of a response as AWS sent it. JSON-protocol services (SageMaker, WAF,
/// CloudTrail, Macie, API Gateway, GuardDuty) send JSON in the CLI's shape or close to it,
/// so mlguard writes their bodies rather than re-serializing the SDK's types.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Option<Vec<u8>>>>);

impl Capture {
    pub fn take(&self) -> Option<Vec<u8>> {
        lock(&self.0).take()
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "mlguard-capture-body"
    }

    fn read_after_deserialization(&self, context: &AfterDeserializationInterceptorContextRef<'_>, _rc: &RuntimeComponents, _cfg: &mut ConfigBag) -> Result<(), BoxError> {
        if let Some(b) = context.response().body().bytes() {
            *lock(&self.0) = Some(b.to_vec());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_cannot_leave_their_folder() {
        assert!(safe_segment("team-a-nb"));
        assert!(safe_segment("d-sftf9fkpqq3m"));
        for bad in ["", ".", "..", "a/b", "..\\x", ".hidden"] {
            assert!(!safe_segment(bad), "{bad}");
        }
    }

    #[test]
    fn files_are_written_whole_under_the_layout() {
        let dir = std::env::temp_dir().join(format!("mlguard-aws-write-{}", std::process::id()));
        let run = Run::new(&dir, 2);
        let at = At { account: "111122223333".into(), region: "us-east-1".into() };
        run.write(&at, "ec2", None, "describe-vpcs", 1, &serde_json::json!({"Vpcs": []}));
        run.write(&at, "ec2", None, "describe-vpcs", 2, &serde_json::json!({"Vpcs": []}));
        run.write(&at, "s3", Some("../escape"), "get-bucket-policy", 1, &serde_json::json!({}));
        let base = dir.join("111122223333/us-east-1/ec2");
        assert!(base.join("describe-vpcs.json").is_file());
        assert!(base.join("describe-vpcs.2.json").is_file());
        assert!(!base.join(".describe-vpcs.json.tmp").exists());
        assert_eq!(run.notes().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
