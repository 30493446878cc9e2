//! Who outside an account a resource-based policy lets in, decided by evaluating the policy.
//!
//! [`exposure`] asks the policy, as AWS would, on behalf of requesters from outside the owning
//! account: an anonymous outsider (for grants to everyone) and each foreign account or principal
//! the policy names. Each `Allow` statement contributes the requests it could grant (its action
//! and resource patterns made concrete), and each request is evaluated against the *whole*
//! policy, so a `Deny`, a `NotPrincipal` or a condition the outsider cannot meet
//! (`aws:PrincipalOrgID`, `aws:SourceVpce`, `aws:SourceAccount`, …) takes the grant away, and
//! a condition the outsider controls does not. The outsider's request carries what AWS always
//! sets (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:SecureTransport` true) and, for the
//! keys a requester chooses itself ([`REQUESTER_CHOSEN`]: `sts:ExternalId`, which the IAM User
//! Guide says is not a secret, the user agent, referer, requested region, request tags), the
//! value the policy asks for; every other condition key is absent.
//!
//! Service principals (`cloudtrail.amazonaws.com`, …) are not outsiders and are not reported.

use crate::eval::{evaluate_policy, NamedPolicy, PolicyKind, Request};
use crate::policy::{ActionMatch, Effect, PrincipalId, PrincipalMatch, ResourceMatch};
use std::collections::BTreeMap;

/// What a resource-based policy grants outside its account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Actions granted to anyone (an anonymous outsider with no special context).
    pub public: Vec<String>,
    /// Foreign account id -> actions granted to it (to the account, delegated to its IAM, or to
    /// a principal in it).
    pub accounts: BTreeMap<String, Vec<String>>,
}

impl Exposure {
    /// Nothing is granted outside the account.
    pub fn is_empty(&self) -> bool {
        self.public.is_empty() && self.accounts.is_empty()
    }
}

/// Condition keys whose value the requester sets in its own request (prefixes end in `/`).
pub const REQUESTER_CHOSEN: &[&str] = &["sts:ExternalId", "aws:UserAgent", "aws:Referer", "aws:RequestedRegion", "aws:RequestTag/", "aws:TagKeys", "sts:RoleSessionName", "sts:SourceIdentity"];

fn requester_chosen(key: &str) -> bool {
    REQUESTER_CHOSEN.iter().any(|k| if k.ends_with('/') { key.len() >= k.len() && key[..k.len()].eq_ignore_ascii_case(k) } else { key.eq_ignore_ascii_case(k) })
}

/// A concrete instance of a wildcard pattern: `*` becomes `x`, `?` becomes `x`.
fn concrete(pattern: &str) -> String {
    pattern.replace(['*', '?'], "x")
}

/// The account id of an ARN, or the id itself.
fn account_of(id: &str) -> Option<&str> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Some(id);
    }
    id.split(':').nth(4).filter(|a| a.len() == 12)
}

/// Evaluates `policy` (a bucket, key, queue, topic, secret, repository or trust policy of
/// `own_account`) for requesters outside `own_account`. `resource` stands in for statements
/// without a `Resource` (trust policies) or with `NotResource`.
pub fn exposure(policy: &NamedPolicy, own_account: &str, resource: &str) -> Exposure {
    // Requests the Allow statements could grant.
    let mut requests: Vec<(String, String)> = Vec::new();
    // Requesters: an anonymous outsider, and each foreign AWS principal the policy names.
    let mut outsiders: Vec<(Option<String>, String)> = Vec::new();
    let text_accounts: Vec<&str> = policy
        .policy
        .statements
        .iter()
        .filter_map(|s| match &s.principals {
            Some(PrincipalMatch::Principal(ids)) | Some(PrincipalMatch::NotPrincipal(ids)) => Some(ids),
            None => None,
        })
        .flatten()
        .filter_map(|id| match id {
            PrincipalId::Aws(a) => account_of(a),
            _ => None,
        })
        .collect();
    // An account id nobody named, for the anonymous outsider.
    let stranger = (0..100u64).map(|i| format!("{:012}", 999_999_999_999 - i)).find(|a| a != own_account && !text_accounts.contains(&a.as_str())).unwrap_or_else(|| "999999999999".into());
    outsiders.push((None, format!("arn:aws:iam::{stranger}:role/mlguard-outsider")));
    for s in policy.policy.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let actions: Vec<String> = match &s.actions {
            ActionMatch::Action(ps) => ps.iter().map(|p| concrete(p.as_str())).collect(),
            ActionMatch::NotAction(_) => vec!["mlguardprobe:Probe".into()],
        };
        let resources: Vec<String> = match &s.resources {
            ResourceMatch::Resource(ps) => ps.iter().map(|p| if p.has_variables() { resource.to_string() } else { concrete(p.as_str()) }).collect(),
            _ => vec![resource.to_string()],
        };
        for a in &actions {
            for r in &resources {
                if !requests.contains(&(a.clone(), r.clone())) {
                    requests.push((a.clone(), r.clone()));
                }
            }
        }
        if let Some(PrincipalMatch::Principal(ids)) = &s.principals {
            for id in ids {
                let PrincipalId::Aws(a) = id else { continue };
                let Some(acct) = account_of(a).filter(|x| *x != own_account) else { continue };
                let arn = if a.len() == 12 || a.ends_with(":root") { format!("arn:aws:iam::{acct}:root") } else { a.clone() };
                if !outsiders.iter().any(|(_, x)| *x == arn) {
                    outsiders.push((Some(acct.to_string()), arn));
                }
            }
        }
    }
    // The values the Allow statements ask for, on keys the requester chooses.
    let mut chosen: Vec<(String, String)> = Vec::new();
    for s in policy.policy.statements.iter().filter(|s| s.effect == Effect::Allow) {
        for c in &s.conditions {
            let negated = c.operator.contains("Not");
            if requester_chosen(&c.key) && !negated && !chosen.iter().any(|(k, _)| k.eq_ignore_ascii_case(&c.key)) {
                if let Some(v) = c.values.first() {
                    chosen.push((c.key.clone(), concrete(v)));
                }
            }
        }
    }
    let mut out = Exposure::default();
    for (acct, who) in &outsiders {
        let who_account = account_of(who).unwrap_or_default().to_string();
        for (action, res) in &requests {
            let mut req = Request::new(who.as_str(), action.as_str(), res.as_str())
                .with("aws:PrincipalArn", [who.as_str()])
                .with("aws:PrincipalAccount", [who_account.as_str()])
                .with("aws:SecureTransport", ["true"]);
            for (k, v) in &chosen {
                req = req.with(k.as_str(), [v.as_str()]);
            }
            let o = evaluate_policy(policy, PolicyKind::Resource, &req);
            if !o.denies.is_empty() || (o.allows.is_empty() && o.delegated.is_empty()) {
                continue;
            }
            let list = match acct {
                None => &mut out.public,
                Some(a) => out.accounts.entry(a.clone()).or_default(),
            };
            if !list.contains(action) {
                list.push(action.clone());
            }
        }
    }
    // Whatever everyone may do, a named account may do too: report it once, as public.
    let public = out.public.clone();
    out.accounts.retain(|_, v| {
        v.retain(|a| !public.contains(a));
        !v.is_empty()
    });
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::Policy;

    const OWN: &str = "111122223333";

    fn exp(json: &str) -> Exposure {
        exposure(&NamedPolicy::new("p", Policy::from_json(json).unwrap()), OWN, "arn:aws:s3:::b")
    }

    #[test]
    fn everyone_unconditionally_is_public() {
        let e = exp(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#);
        assert_eq!(e.public, ["s3:GetObject"]);
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]}"#);
        assert_eq!(e.public, ["s3:x"]);
    }

    #[test]
    fn conditions_the_outsider_cannot_meet_keep_it_private() {
        for cond in [
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
            r#"{"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
        ] {
            let e = exp(&format!(r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{cond}}}]}}"#));
            assert!(e.is_empty(), "{cond}: {e:?}");
        }
        // A condition the requester controls does not.
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#);
        assert_eq!(e.public, ["s3:GetObject"]);
    }

    #[test]
    fn a_deny_takes_the_grant_away() {
        let e = exp(r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn foreign_accounts_and_own_account() {
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","111122223333","arn:aws:iam::777788889999:role/ci"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#);
        assert!(e.public.is_empty());
        assert_eq!(e.accounts.keys().map(String::as_str).collect::<Vec<_>>(), ["444455556666", "777788889999"]);
        // Service principals are not outsiders.
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/AWSLogs/*"}]}"#);
        assert!(e.is_empty());
    }

    #[test]
    fn trust_policies_have_no_resource() {
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}"#);
        assert_eq!(e.accounts["444455556666"], ["sts:AssumeRole"]);
        // The external id is chosen by the caller and is not a secret: anyone can send it.
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"12345"}}}]}"#);
        assert_eq!(e.public, ["sts:AssumeRole"]);
        // A source account or organisation is not the caller's to choose.
        let e = exp(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1","sts:ExternalId":"12345"}}}]}"#);
        assert!(e.is_empty(), "{e:?}");
    }
}
