//! Property tests: the engine's route lookup and network ACL evaluation against naive oracles
//! written straight from the AWS documentation.

use mlguard_net::addr::{Cidr, Family, Ip};
use mlguard_net::model::{Nacl, NaclRule, Net, Route, RouteKind, Target};
use mlguard_net::ports::{PortSet, Proto, ProtoMatch};
use mlguard_net::walk::{Addr, Walker};
use proptest::prelude::*;

fn arb_cidr() -> impl Strategy<Value = Cidr> {
    // Small address space so that prefixes overlap often.
    (0u32..64, 24u8..=32).prop_map(|(v, len)| Cidr::new(Family::V4, (0x0A00_0000u32 | (v << 2)) as u128, len))
}

fn arb_kind() -> impl Strategy<Value = RouteKind> {
    prop_oneof![Just(RouteKind::Static), Just(RouteKind::PrefixList), Just(RouteKind::Propagated)]
}

fn route(dest: Cidr, kind: RouteKind, n: usize) -> Route {
    Route { dest, kind, target: Target::External(format!("t{n}")), target_id: format!("t{n}"), blackhole: false, prefix_list: None }
}

/// Naive oracle: among routes containing the address, the longest prefix wins; at equal
/// length static beats prefix list beats propagated.
fn oracle(routes: &[Route], ip: Ip) -> Option<(u8, RouteKind)> {
    routes.iter().filter(|r| r.dest.contains(ip)).map(|r| (r.dest.len, r.kind)).max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
}

proptest! {
    #[test]
    fn route_lookup_is_longest_prefix_then_priority(rs in proptest::collection::vec((arb_cidr(), arb_kind()), 0..12), host in 0u32..256) {
        let mut routes: Vec<Route> = rs.iter().enumerate().map(|(i, (c, k))| route(*c, *k, i)).collect();
        // The engine's order: longest prefix first, then static, prefix list, propagated.
        routes.sort_by(|a, b| b.dest.len.cmp(&a.dest.len).then(a.kind.cmp(&b.kind)));
        let ip = Ip { fam: Family::V4, v: (0x0A00_0000u32 | host) as u128 };
        let net = Net::default();
        let mut w = Walker::new(&net, false);
        let got = w.lookup(&routes, Addr { ip, var: None }).map(|r| (r.dest.len, r.kind));
        prop_assert_eq!(got, oracle(&routes, ip));
    }

    #[test]
    fn nacl_is_first_match_per_port(rules in proptest::collection::vec((1i64..200, any::<bool>(), arb_cidr(), 0u16..40, 0u16..20, any::<bool>()), 0..10), host in 0u32..256) {
        let mut entries: Vec<NaclRule> = rules.iter().map(|(n, allow, cidr, lo, w, all)| NaclRule {
            number: *n,
            proto: if *all { ProtoMatch::All } else { ProtoMatch::One(Proto::Tcp) },
            allow: *allow,
            cidr: *cidr,
            ports: if *all { PortSet::all() } else { PortSet::range(*lo, lo + w) },
        }).collect();
        entries.sort_by_key(|r| r.number);
        let nacl = Nacl { id: "acl-test".into(), vpc: 0, is_default: false, ingress: entries.clone(), egress: Vec::new() };
        let ip = Ip { fam: Family::V4, v: (0x0A00_0000u32 | host) as u128 };
        let net = Net::default();
        let mut w = Walker::new(&net, false);
        let (admitted, _) = w.nacl(&nacl, false, Addr { ip, var: None }, Proto::Tcp, &PortSet::range(0, 80));
        for port in 0u16..=80 {
            // Oracle: the first rule (ascending number) matching protocol, address and port decides; none means `*` deny.
            let first = entries.iter().find(|r| r.proto.matches(Proto::Tcp) && r.cidr.contains(ip) && r.ports.contains(port));
            let expect = first.map(|r| r.allow).unwrap_or(false);
            prop_assert_eq!(admitted.contains(port), expect, "port {}", port);
        }
    }

    #[test]
    fn interval_split_covers_exactly(lo in 0u32..1000, w in 0u32..1000, c in arb_cidr()) {
        let iv = mlguard_net::addr::Interval { fam: Family::V4, lo: (0x0A00_0000u32 + lo) as u128, hi: (0x0A00_0000u32 + lo + w) as u128 };
        if let Some(parts) = iv.split_by(&c) {
            let total: u128 = parts.iter().map(|p| p.hi - p.lo + 1).sum();
            prop_assert_eq!(total, iv.hi - iv.lo + 1);
            for p in &parts {
                // Every part is wholly inside or wholly outside the CIDR.
                let inside = c.contains(p.rep());
                prop_assert_eq!(c.contains(Ip { fam: Family::V4, v: p.hi }), inside);
            }
        }
    }
}

#[test]
fn propagated_route_never_beats_local() {
    let local = Route { dest: Cidr::parse("10.0.0.0/16").unwrap_or(Cidr::all(Family::V4)), kind: RouteKind::Static, target: Target::Local, target_id: "local".into(), blackhole: false, prefix_list: None };
    let vgw = route(Cidr::parse("10.0.1.0/24").unwrap_or(Cidr::all(Family::V4)), RouteKind::Propagated, 1);
    let routes = vec![vgw, local];
    let net = Net::default();
    let mut w = Walker::new(&net, false);
    let ip = Ip::parse("10.0.1.5").unwrap_or(Ip { fam: Family::V4, v: 0 });
    assert_eq!(w.lookup(&routes, Addr { ip, var: None }).map(|r| r.target.clone()), Some(Target::Local));
}
