//! Feeds arbitrary bytes to the IAM policy parser as a policy document, and evaluates whatever
//! parses against a handful of requests (identity and resource-based). Nothing may panic.
//! Run: `cargo fuzz run iam_policy`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_iam::{evaluate_policy, NamedPolicy, Policy, PolicyKind, PolicySet, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = Policy::from_json(text) else { return };
    let named = NamedPolicy::new("fuzz", policy);
    let set = PolicySet::new([&named]).with_boundary(&named);
    for (principal, action, resource) in [
        ("arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::bucket/key"),
        ("arn:aws:sts::111122223333:assumed-role/r/s", "iam:PassRole", "arn:aws:iam::111122223333:role/x"),
        ("sagemaker.amazonaws.com", "sts:AssumeRole", "*"),
    ] {
        let r = Request::new(principal, action, resource)
            .with("aws:username", ["alice"])
            .with("aws:SourceIp", ["203.0.113.7"])
            .with("aws:CurrentTime", ["2026-11-26T00:00:00Z"])
            .with("aws:SecureTransport", ["true"]);
        let _ = set.evaluate(&r);
        let _ = evaluate_policy(&named, PolicyKind::Resource, &r);
    }
});
