//! Decision latency under the default policies: `cargo bench -p mlguard_authz --bench decide`.
//!
//! Times each of N decisions (default 100 000; `DECIDE_N` overrides) over a mix of requests
//! that allow, forbid and default-deny, and prints p50/p90/p99/p99.9/max. Also times token
//! verification (HMAC-SHA256) the same way.

#![allow(
    clippy::expect_used,
    reason = "a benchmark stops at its first setup failure"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use mlguard_authz::token::{HashScheme, NewToken, Pepper, TokenFile, TokenStore};
use mlguard_authz::{
    Action, ApprovalStatus, Authorizer, Group, Principal, RequestContext, Resource, RetentionMode,
    Version,
};

/// This thread's on-CPU time so far (`/proc/thread-self/schedstat`, Linux), to tell the cost of
/// a decision from time spent waiting for a core on a busy machine.
fn on_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i.min(samples.len() - 1)]
    };
    let total: Duration = samples.iter().sum();
    println!(
        "{name}: n={} mean={:.1?} p50={:.1?} p90={:.1?} p99={:.1?} p99.9={:.1?} max={:.1?}",
        samples.len(),
        total / samples.len() as u32,
        at(0.50),
        at(0.90),
        at(0.99),
        at(0.999),
        samples[samples.len() - 1],
    );
}

fn main() {
    let n: usize = std::env::var("DECIDE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let start = Instant::now();
    let authz = Authorizer::from_sources(
        mlguard_authz::DEFAULT_SCHEMA,
        "registry.cedarschema",
        mlguard_authz::DEFAULT_POLICIES,
        "registry.cedar",
    )
    .expect("default policies load");
    println!("load+validate: {:.1?}", start.elapsed());

    let group = Group {
        name: "fraud".into(),
        owner_team: "risk".into(),
        require_signature: true,
    };
    let mut v = Version::new(group.clone(), 7, "bob");
    v.signed = true;
    let mut approved = v.clone();
    approved.approval_status = ApprovalStatus::Approved;
    let mut retained = v.clone();
    retained.retention = RetentionMode::Governance;
    let alice = Principal::new("alice")
        .with_roles(["ml-engineer", "approver"])
        .with_teams(["risk"]);
    let bob = Principal::new("bob")
        .with_roles(["data-scientist"])
        .with_teams(["risk"]);
    let admin = Principal::new("root").with_roles(["admin"]);
    let auditor = Principal::new("audit").with_roles(["auditor"]);
    let ctx = RequestContext::token();
    let justified = RequestContext::token().with_justification("ticket");
    let mix: Vec<(&Principal, Action, Resource, &RequestContext)> = vec![
        (&bob, Action::ListModels, Resource::Registry, &ctx),
        (
            &bob,
            Action::DescribeModel,
            Resource::Version(v.clone()),
            &ctx,
        ),
        (
            &bob,
            Action::PushVersion,
            Resource::Version(v.clone()),
            &ctx,
        ),
        (
            &bob,
            Action::PullArtifact,
            Resource::Version(v.clone()),
            &ctx,
        ),
        (
            &alice,
            Action::ApproveVersion,
            Resource::Version(v.clone()),
            &ctx,
        ),
        (
            &bob,
            Action::ApproveVersion,
            Resource::Version(v.clone()),
            &ctx,
        ),
        (&alice, Action::SetAlias, Resource::Version(approved), &ctx),
        (
            &admin,
            Action::OverrideRetention,
            Resource::Version(retained),
            &justified,
        ),
        (&auditor, Action::ReadAuditLog, Resource::AuditLog, &ctx),
        (&alice, Action::CreateGroup, Resource::Group(group), &ctx),
    ];
    for _ in 0..2_000 {
        for (p, a, r, c) in &mix {
            black_box(authz.authorize(p, *a, r, c));
        }
    }
    let mut samples = Vec::with_capacity(n);
    let mut allowed = 0usize;
    let (wall, cpu) = (Instant::now(), on_cpu());
    for i in 0..n {
        let (p, a, r, c) = &mix[i % mix.len()];
        let t = Instant::now();
        let d = black_box(authz.authorize(p, *a, r, c));
        samples.push(t.elapsed());
        allowed += usize::from(d.allowed);
    }
    let wall = wall.elapsed();
    println!("allowed {allowed} of {n} (mix of {} requests)", mix.len());
    if let (Some(before), Some(after)) = (cpu, on_cpu()) {
        println!(
            "authorize: on-CPU {:.1?} per decision, wall {:.1?} per decision (incl. timer)",
            (after - before) / n as u32,
            wall / n as u32
        );
    }
    report("authorize", samples);

    let pepper = Pepper::generate().expect("rng");
    let mut file = TokenFile::new(HashScheme::HmacSha256);
    let now = time::OffsetDateTime::now_utc();
    let mut tokens = Vec::new();
    for i in 0..1_000 {
        let issued = file
            .issue(
                NewToken::new(
                    format!("user{i}"),
                    ["data-scientist"],
                    time::Duration::days(1),
                ),
                now,
                Some(&pepper),
            )
            .expect("issue");
        tokens.push(issued.token);
    }
    let store = TokenStore::new(file, Some(pepper), "bench").expect("store");
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let token = tokens[i % tokens.len()].expose_secret();
        let t = Instant::now();
        let r = black_box(store.verify(token, now));
        samples.push(t.elapsed());
        assert!(r.is_ok());
    }
    report("verify token (hmac-sha256, 1000 tokens)", samples);
}
