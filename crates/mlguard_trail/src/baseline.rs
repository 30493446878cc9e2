//! Per-principal baselines, GuardDuty-style: for each principal the APIs, user agents and source
//! networks it uses with their counts, which give frequency classes (frequent, infrequent, rare,
//! unseen). After a principal's learning period, an unseen API in a sensitive family is a
//! finding with the baseline as evidence. Also: bursts of access-denied errors and hourly
//! `GetObject` volume outliers, and the writers of each ML bucket (for `CT-S3-001`).

use crate::builtin::{EventRef, Hit, Origin};
use crate::record::Record;
use crate::rules::{BASE_DENIED_BURST, BASE_UNSEEN_API, BASE_VOLUME, S3_NEW_WRITER};
use mlguard_core::Severity;
use serde::{Deserialize, Serialize};
use serde_json::json;
use crate::fast::{FastMap, FastSet};
use std::collections::{HashSet, VecDeque};

/// How many distinct user agents and networks a baseline keeps per principal.
const MAX_KEYS: usize = 64;

#[derive(Debug, Clone)]
pub struct BaselineOptions {
    /// Seconds from a principal's first event before its unseen APIs are reported.
    pub learning: i64,
    /// Access-denied errors within `denied_window` seconds that make a burst.
    pub denied_threshold: usize,
    pub denied_window: i64,
    /// An hour's `GetObject` count must exceed this and ten times the principal's mean.
    pub volume_floor: u64,
    pub ml_buckets: HashSet<String>,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions { learning: 7 * 86_400, denied_threshold: 10, denied_window: 600, volume_floor: 1000, ml_buckets: HashSet::new() }
    }
}

/// What one principal has been seen doing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Principal {
    pub first: i64,
    pub last: i64,
    pub events: u64,
    /// `service:Api` → count.
    pub apis: FastMap<String, u64>,
    pub agents: FastMap<String, u64>,
    /// `/24` (IPv4), `/48` (IPv6) or the service name → count.
    pub networks: FastMap<String, u64>,
    /// GetObject count of the current hour and of all earlier hours with reads.
    /// A denied burst is reported once per window: none before this time.
    #[serde(default)]
    pub denied_quiet_until: i64,
    pub get_hour: i64,
    pub get_in_hour: u64,
    pub get_total_before: u64,
    pub get_hours_before: u64,
    /// The records of the window and of the hour's sample, as their [`Slim`] copies (one
    /// allocation each, where an [`EventRef`] takes five and a formatted time); they become
    /// [`EventRef`]s only in a finding.
    #[serde(skip)]
    denied: VecDeque<(i64, Slim)>,
    #[serde(skip)]
    get_sample: Vec<Slim>,
    /// Updated in this run (so in [`Baselines::dirty`]).
    #[serde(skip)]
    touched: bool,
    /// The source address of the principal's last record and its network: a principal
    /// mostly calls from one address, so its network is found without a lookup. (Empty and
    /// empty at first, which is right: the network of an empty address is itself.)
    #[serde(skip)]
    last_ip: String,
    #[serde(skip)]
    last_net: String,
}

/// Frequency class of a count against the principal's total, as GuardDuty names them.
pub fn frequency(count: u64, total: u64) -> &'static str {
    if count == 0 {
        "unseen"
    } else if total > 0 && count * 20 >= total {
        "frequent"
    } else if count >= 3 {
        "infrequent"
    } else {
        "rare"
    }
}

/// The network of a source address (`/24`, `/48`, or the service name) into `out`.
fn network_into(ip: &str, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    if let Some(a) = crate::net::Addr::parse(ip) {
        if ip.contains(':') {
            for (i, part) in ip.split(':').take(3).enumerate() {
                if i > 0 {
                    out.push(':');
                }
                out.push_str(part);
            }
            out.push_str("::/48");
            return;
        }
        let v = (a.0 & 0xffff_ffff) as u32;
        let _ = write!(out, "{}.{}.{}.0/24", v >> 24, (v >> 16) & 255, (v >> 8) & 255);
        return;
    }
    out.push_str(ip);
}

/// An event source without its `.amazonaws.com` suffixes (what `trim_end_matches` gives, without
/// its general substring search).
pub(crate) fn service_of(source: &str) -> &str {
    let mut s = source;
    while let Some(t) = s.strip_suffix(".amazonaws.com") {
        s = t;
    }
    s
}

/// Whether `source:name` is in a sensitive family for `CT-BASE-001`.
pub fn sensitive(source: &str, name: &str) -> bool {
    let read = ["Get", "List", "Describe", "Head", "Lookup"].iter().any(|p| name.starts_with(p));
    match source {
        "iam.amazonaws.com" | "cloudtrail.amazonaws.com" | "guardduty.amazonaws.com" | "organizations.amazonaws.com" => !read,
        "kms.amazonaws.com" => !read && !matches!(name, "Decrypt" | "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "ReEncrypt"),
        "sts.amazonaws.com" => matches!(name, "GetFederationToken" | "GetSessionToken"),
        "s3.amazonaws.com" => matches!(name, "PutBucketPolicy" | "DeleteBucketPolicy" | "PutBucketAcl" | "PutBucketPublicAccessBlock" | "DeleteBucketPublicAccessBlock" | "PutBucketVersioning" | "PutBucketLifecycle" | "PutBucketReplication"),
        "sagemaker.amazonaws.com" => name.contains("ModelPackage") && !read,
        _ => false,
    }
}

/// Writers of one ML bucket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketBase {
    pub first: i64,
    pub writers: HashSet<String>,
}

/// All baselines; serialisable for the store.
#[derive(Debug, Default)]
pub struct Baselines {
    pub principals: FastMap<String, Principal>,
    pub buckets: FastMap<String, BucketBase>,
    /// Principals and buckets changed since loading, to write back.
    pub dirty: FastSet<String>,
    pub dirty_buckets: FastSet<String>,
    /// Reused buffer for the per-record key.
    scratch_api: String,
    /// Source address → its network, for the addresses seen last.
    net_cache: FastMap<String, String>,
}

/// The members of a record that the baselines (and the findings they raise) read, copied out
/// of it: `Detector` keeps this, not the whole record, while a record waits to be analysed in
/// time order, so the record can be dropped while it is still in cache.
#[derive(Debug, Clone, Default)]
pub struct Slim {
    text: String,
    /// Where each field ends in `text`, in the order of the `F_*` positions (`u32`, so the
    /// copies waiting in the reorder buffer stay small; a record is far shorter than 4 GiB).
    ends: [u32; FIELDS],
    pub time: i64,
    service: bool,
    denied: bool,
    failed: bool,
    /// `userIdentity.type` is `AssumedRole`.
    pub(crate) assumed_role: bool,
    /// Bit `i`: field `i` is held as is in the record's text, so it has no character JSON
    /// escapes (see [`Record::holds_raw`]).
    raw: u16,
}

pub(crate) const F_PRINCIPAL: usize = 0;
const F_SOURCE: usize = 1;
pub(crate) const F_NAME: usize = 2;
pub(crate) const F_IP: usize = 3;
const F_AGENT: usize = 4;
pub(crate) const F_ID: usize = 5;
pub(crate) const F_ACTOR: usize = 6;
pub(crate) const F_ACCOUNT: usize = 7;
pub(crate) const F_REGION: usize = 8;
const F_BUCKET: usize = 9;
const FIELDS: usize = 10;

/// The S3 calls that write to (or delete from) a bucket, for `CT-S3-001`.
fn s3_write(name: &str) -> bool {
    matches!(name, "PutObject" | "CopyObject" | "DeleteObject" | "DeleteObjects" | "DeleteObjectVersion" | "CompleteMultipartUpload")
}

impl Slim {
    pub fn of(r: &Record) -> Slim {
        let failed = r.error_code().is_some();
        // `requestParameters.bucketName` is read only for the calls that write to a bucket.
        let bucket = if !failed && r.event_source() == "s3.amazonaws.com" && s3_write(r.event_name()) { r.req_str("bucketName").unwrap_or("") } else { "" };
        let fields = [r.principal(), r.event_source(), r.event_name(), r.source_ip(), r.user_agent(), r.event_id(), r.actor(), r.account(), r.region(), bucket];
        let mut text = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0; FIELDS];
        let mut raw = 0u16;
        for (k, (e, f)) in ends.iter_mut().zip(fields).enumerate() {
            text.push_str(f);
            *e = u32::try_from(text.len()).unwrap_or(u32::MAX);
            if r.holds_raw(f) {
                raw |= 1 << k;
            }
        }
        Slim { text, ends, time: r.time, service: r.is_service_event(), denied: r.is_access_denied(), failed, assumed_role: r.identity_type() == "AssumedRole", raw }
    }

    /// Field `i` (an `F_*` position) and whether the record's text held it as is.
    #[inline]
    pub(crate) fn field_raw(&self, i: usize) -> (&str, bool) {
        (self.field(i), self.raw & (1 << i) != 0)
    }

    #[inline]
    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(0) };
        let end = self.ends.get(i).copied().unwrap_or(0);
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// [`Record::principal`].
    pub fn principal(&self) -> &str {
        self.field(F_PRINCIPAL)
    }
    pub fn event_source(&self) -> &str {
        self.field(F_SOURCE)
    }
    pub fn event_name(&self) -> &str {
        self.field(F_NAME)
    }
    pub fn source_ip(&self) -> &str {
        self.field(F_IP)
    }
    pub fn user_agent(&self) -> &str {
        self.field(F_AGENT)
    }
    pub fn event_id(&self) -> &str {
        self.field(F_ID)
    }
    pub fn actor(&self) -> &str {
        self.field(F_ACTOR)
    }
    pub fn account(&self) -> &str {
        self.field(F_ACCOUNT)
    }
    pub fn region(&self) -> &str {
        self.field(F_REGION)
    }
    /// `requestParameters.bucketName` of a successful S3 write call; empty for other records.
    pub fn write_bucket(&self) -> &str {
        self.field(F_BUCKET)
    }
    /// [`Record::is_service_event`].
    pub fn is_service_event(&self) -> bool {
        self.service
    }
}

impl Origin for Slim {
    fn account(&self) -> &str {
        Slim::account(self)
    }
    fn region(&self) -> &str {
        Slim::region(self)
    }
    fn principal(&self) -> &str {
        Slim::principal(self)
    }
    fn event_ref(&self) -> EventRef {
        EventRef { event_id: self.event_id().to_string(), time: crate::record::format_time(self.time), event_name: self.event_name().to_string(), actor: self.actor().to_string(), source_ip: self.source_ip().to_string() }
    }
}

/// Addresses whose network is remembered (the cache is emptied when full).
const NET_CACHE: usize = 4096;

impl Baselines {
    /// Updates the baselines with one record, appending hits.
    pub fn process(&mut self, opts: &BaselineOptions, r: &Record, out: &mut Vec<Hit>) {
        self.process_slim(opts, &Slim::of(r), out);
    }

    /// [`Baselines::process`] for the record's [`Slim`] copy.
    pub fn process_slim(&mut self, opts: &BaselineOptions, r: &Slim, out: &mut Vec<Hit>) {
        if r.is_service_event() {
            return;
        }
        let key = r.principal();
        let mut api = std::mem::take(&mut self.scratch_api);
        api.clear();
        api.push_str(service_of(r.event_source()));
        api.push(':');
        api.push_str(r.event_name());
        self.update(opts, r, key, &api, out);
        self.scratch_api = api;
    }

    fn update(&mut self, opts: &BaselineOptions, r: &Slim, key: &str, api: &str, out: &mut Vec<Hit>) {
        let t = r.time;
        // One lookup of the principal for a known one (the map cannot lend an entry to a
        // match arm that also inserts).
        let first_touch = match self.principals.get_mut(key) {
            Some(p) => update_principal(opts, r, key, api, &mut self.net_cache, p, out),
            None => {
                let mut p = Principal { first: t, last: t, ..Principal::default() };
                let first = update_principal(opts, r, key, api, &mut self.net_cache, &mut p, out);
                self.principals.insert(key.to_string(), p);
                first
            }
        };
        if first_touch {
            self.dirty.insert(key.to_string());
        }
        // Writers of ML buckets.
        if r.event_source() == "s3.amazonaws.com" && !r.failed && s3_write(r.event_name()) {
            let bucket = r.write_bucket();
            if opts.ml_buckets.contains(bucket) {
                let b = self.buckets.entry(bucket.to_string()).or_insert_with(|| BucketBase { first: t, writers: HashSet::new() });
                b.first = b.first.min(t);
                if !b.writers.contains(key) {
                    if t - b.first >= opts.learning {
                        let delete = r.event_name().starts_with("Delete");
                        let h = Hit::new(&S3_NEW_WRITER, r, format!("{key} {} in ML bucket `{bucket}` for the first time", if delete { "deleted" } else { "wrote" }), format!("arn:aws:s3:::{bucket}"), "AwsS3Bucket")
                            .desc_pub(format!("{key} called {} on `{bucket}`; it had not written there since the bucket's baseline began ({}).", r.event_name(), crate::record::format_time(b.first)))
                            .extra_pub(json!({"known_writers": b.writers.iter().collect::<Vec<_>>(), "guardduty_finding_type": if delete { "Impact:S3/AnomalousBehavior.Delete" } else { "Impact:S3/AnomalousBehavior.Write" }}));
                        out.push(if delete { h.sev_pub(Severity::High) } else { h });
                    }
                    b.writers.insert(key.to_string());
                }
                self.dirty_buckets.insert(bucket.to_string());
            }
        }
    }

    /// Evaluates the last open hour of every principal (at the end of a run).
    pub fn finish(&mut self, opts: &BaselineOptions, out: &mut Vec<Hit>) {
        for (key, p) in self.principals.iter_mut() {
            volume_check(opts, key, p, out);
        }
    }
}

/// The per-principal part of [`Baselines::update`]; returns whether this is the principal's
/// first record of the run (it then goes into [`Baselines::dirty`]).
fn update_principal(opts: &BaselineOptions, r: &Slim, key: &str, api: &str, net_cache: &mut FastMap<String, String>, p: &mut Principal, out: &mut Vec<Hit>) -> bool {
    let ip = r.source_ip();
    if p.last_ip != ip {
        p.last_ip.clear();
        p.last_ip.push_str(ip);
        network_cached(net_cache, ip, &mut p.last_net);
    }
    // Lent out while `p` is updated (moved back below).
    let net = std::mem::take(&mut p.last_net);
    let first_touch = update_principal_net(opts, r, key, api, &net, p, out);
    p.last_net = net;
    first_touch
}

/// The network of `ip` into `out`, through the cache of recent addresses.
fn network_cached(net_cache: &mut FastMap<String, String>, ip: &str, out: &mut String) {
    match net_cache.get(ip) {
        Some(n) => {
            out.clear();
            out.push_str(n);
        }
        None => {
            network_into(ip, out);
            if net_cache.len() >= NET_CACHE {
                net_cache.clear();
            }
            net_cache.insert(ip.to_string(), out.clone());
        }
    }
}

/// [`update_principal`] once the network of the record's address is known.
fn update_principal_net(opts: &BaselineOptions, r: &Slim, key: &str, api: &str, net: &str, p: &mut Principal, out: &mut Vec<Hit>) -> bool {
    let t = r.time;
    let first_touch = !p.touched;
    p.touched = true;
    if t < p.first {
        p.first = t;
    }
    p.last = p.last.max(t);
    // Unseen sensitive API after learning.
    // Counted here when seen before (one lookup); an unseen API is added below, after the
    // check that reads the counts as they were.
    let seen = match p.apis.get_mut(api) {
        Some(c) if *c > 0 => {
            *c += 1;
            *c - 1
        }
        _ => 0,
    };
    if seen == 0 && t - p.first >= opts.learning && sensitive(r.event_source(), r.event_name()) {
        let mut known: Vec<(&String, &u64)> = p.apis.iter().collect();
        known.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<serde_json::Value> = known.iter().take(20).map(|(k, c)| json!({"api": k, "count": c, "class": frequency(**c, p.events)})).collect();
        let agent_class = frequency(p.agents.get(r.user_agent()).copied().unwrap_or(0), p.events);
        let net_class = frequency(p.networks.get(net).copied().unwrap_or(0), p.events);
        out.push(
            Hit::new(&BASE_UNSEEN_API, r, format!("{key} called {api} for the first time"), key.to_string(), "AwsIamRole")
                .desc_pub(format!("{key} called {api}, unseen in {} events over {} days; user agent {agent_class}, network {net_class}.", p.events, (t - p.first) / 86_400))
                .extra_pub(json!({"baseline": {"events": p.events, "since": crate::record::format_time(p.first), "known_apis": p.apis.len(), "top_apis": top, "user_agent_class": agent_class, "network_class": net_class}})),
        );
    }
    p.events += 1;
    if seen == 0 {
        match p.apis.get_mut(api) {
            Some(c) => *c += 1,
            None => {
                p.apis.insert(api.to_string(), 1);
            }
        }
    }
    bump(&mut p.agents, r.user_agent());
    bump(&mut p.networks, net);
    // Access-denied bursts.
    if r.denied {
        p.denied.push_back((t, r.clone()));
        while p.denied.front().map(|(t0, _)| t - t0 > opts.denied_window).unwrap_or(false) {
            p.denied.pop_front();
        }
        if p.denied.len() >= opts.denied_threshold && t >= p.denied_quiet_until {
            p.denied_quiet_until = t + opts.denied_window;
            let events: Vec<EventRef> = p.denied.drain(..).map(|(_, e)| e.event_ref()).collect();
            let n = events.len();
            let mut h = Hit::new(&BASE_DENIED_BURST, r, format!("{n} access-denied errors for {key} within {} s", opts.denied_window), key.to_string(), "AwsIamRole").desc_pub(format!("{key} received {n} access-denied errors within {} s, the last on {}.", opts.denied_window, r.event_name()));
            h.events = events;
            out.push(h);
        }
    }
    // GetObject volume per hour.
    if r.event_name() == "GetObject" {
        let hour = t.div_euclid(3600);
        if hour != p.get_hour {
            volume_check(opts, key, p, out);
            if p.get_in_hour > 0 {
                p.get_total_before += p.get_in_hour;
                p.get_hours_before += 1;
            }
            p.get_hour = hour;
            p.get_in_hour = 0;
            p.get_sample.clear();
        }
        p.get_in_hour += 1;
        if p.get_sample.len() < 20 {
            p.get_sample.push(r.clone());
        }
    }
    first_touch
}

fn volume_check(opts: &BaselineOptions, key: &str, p: &mut Principal, out: &mut Vec<Hit>) {
    if p.get_in_hour <= opts.volume_floor || p.get_hours_before == 0 {
        return;
    }
    let mean = p.get_total_before as f64 / p.get_hours_before as f64;
    if (p.get_in_hour as f64) > 10.0 * mean {
        let Some(first) = p.get_sample.first().map(|s| crate::record::format_time(s.time)) else { return };
        let mut h = Hit {
            rule: &BASE_VOLUME,
            severity: BASE_VOLUME.severity,
            title: format!("{key} read {} objects in one hour (mean {mean:.0})", p.get_in_hour),
            resource: key.to_string(),
            resource_type: "AwsIamRole",
            description: format!("{key} made {} GetObject calls in the hour from {}, against a mean of {mean:.1} per active hour over {} hours.", p.get_in_hour, first, p.get_hours_before),
            account: String::new(),
            region: String::new(),
            principal: key.to_string(),
            events: p.get_sample.iter().map(Origin::event_ref).collect(),
            extra: json!({"count": p.get_in_hour, "mean_per_hour": mean, "hours_in_baseline": p.get_hours_before}),
        };
        h.events.truncate(20);
        out.push(h);
        // Reported once per hour.
        p.get_sample.clear();
        p.get_in_hour = 0;
    }
}

fn bump(m: &mut FastMap<String, u64>, k: &str) {
    if let Some(c) = m.get_mut(k) {
        *c += 1;
    } else if m.len() < MAX_KEYS {
        m.insert(k.to_string(), 1);
    }
}

impl Hit {
    pub(crate) fn desc_pub(mut self, d: String) -> Hit {
        self.description = d;
        self
    }
    pub(crate) fn extra_pub(mut self, v: serde_json::Value) -> Hit {
        self.extra = v;
        self
    }
    pub(crate) fn sev_pub(mut self, s: Severity) -> Hit {
        self.severity = s;
        self
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn service_of_trims_as_trim_end_matches() {
        for s in ["iam.amazonaws.com", "x.amazonaws.com.amazonaws.com", ".amazonaws.com", "", "amazonaws.com", "s3.amazonaws.comx", "é.amazonaws.com"] {
            assert_eq!(super::service_of(s), s.trim_end_matches(".amazonaws.com"), "{s}");
        }
    }
}
