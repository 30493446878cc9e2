//! Reachability questions between endpoints, answered for whole address ranges at once.
//!
//! An endpoint that stands for a range (the internet, a subnet's addresses, S3's prefix list)
//! is split into pieces: each piece is walked with one representative address, and every CIDR
//! the walk tested that address against and that cuts the piece splits it further, until each
//! piece behaves as one. The answer is exact for every address, not for a sample.
//!
//! A connection is reachable when the forward path is routable and admitted (security groups
//! at both ends, network ACLs at every subnet boundary) *and* the reply is routable and
//! admitted back (network ACLs are stateless; security groups are stateful and pass replies).

use crate::addr::{self, Family, Interval, Ip};
use crate::ml::MlCompute;
use crate::model::{EndpointKind, Idx, Net};
use crate::ports::{PortSet, Proto};
use crate::walk::{Addr, Arrival, At, Block, Hop, Pkt, Start, Terminal, Var, Walker};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where traffic starts.
#[derive(Debug, Clone)]
pub enum Source {
    /// Any host on the internet (both families), or the given ranges.
    Internet(Vec<Interval>),
    /// Points in VPCs: interfaces, or groups of interfaces standing for a resource.
    Points(Vec<SrcPoint>),
    /// A SageMaker resource outside any VPC (its own network).
    Managed { id: String, reason: String },
}

#[derive(Debug, Clone)]
pub struct SrcPoint {
    pub subnet: Idx,
    pub groups: Vec<Idx>,
    pub eni: Option<Idx>,
    /// The addresses it sends from: one interface address, or the subnet's CIDR.
    pub addrs: Vec<Interval>,
    pub label: String,
}

/// Where traffic goes.
#[derive(Debug, Clone)]
pub enum Dest {
    Internet(Vec<Interval>),
    /// Interfaces (real ones, by address).
    Enis(Vec<Idx>),
    /// A group of interfaces of a resource in a subnet, standing for any address of it.
    Group { subnet: Idx, groups: Vec<Idx>, label: String },
    /// An AWS service by short name (`s3`, `sagemaker.api`, ...), reached as a source VPC would.
    Service(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Client ports replies go back to (AWS's network ACL guidance: 1024-65535 covers every client).
    pub ephemeral: PortSet,
    /// Check the reply too (`false` for `--one-way`).
    pub two_way: bool,
    /// Stop after this many address pieces per endpoint pair.
    pub max_pieces: usize,
    /// Keep at most this many distinct paths.
    pub max_paths: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { ephemeral: PortSet::range(1024, 65535), two_way: true, max_pieces: 4096, max_paths: 32 }
    }
}

/// One way through, with the traffic it admits.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathOut {
    pub protocol: String,
    pub from: String,
    pub to: String,
    /// Destination ports admitted end to end (ICMP: types).
    pub ports: String,
    /// Client ports the reply is admitted back to (absent with --one-way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_ports: Option<String>,
    pub source_ranges: Vec<String>,
    pub destination_ranges: Vec<String>,
    /// Where the traffic arrives: `interface`, `internet`, `gateway-endpoint`, `sagemaker-network`, `external`.
    pub arrives: String,
    pub hops: Vec<Hop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub return_hops: Vec<Hop>,
    #[serde(skip)]
    pub admitted: PortSet,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Answer {
    pub reachable: bool,
    pub paths: Vec<PathOut>,
    pub blocked: Vec<Block>,
    /// Set when the answer stopped early (too many pieces or paths).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Answer {
    fn add_path(&mut self, p: PathOut, max: usize) {
        if let Some(q) = self.paths.iter_mut().find(|q| q.hops == p.hops && q.return_hops == p.return_hops && q.ports == p.ports && q.from == p.from && q.to == p.to && q.protocol == p.protocol) {
            for r in p.source_ranges {
                if !q.source_ranges.contains(&r) {
                    q.source_ranges.push(r);
                }
            }
            for r in p.destination_ranges {
                if !q.destination_ranges.contains(&r) {
                    q.destination_ranges.push(r);
                }
            }
            return;
        }
        if self.paths.len() >= max {
            let note = format!("more than {max} distinct paths; the rest are not listed");
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
            return;
        }
        self.paths.push(p);
    }

    fn add_block(&mut self, b: Block) {
        if self.blocked.len() < 64 && !self.blocked.contains(&b) {
            self.blocked.push(b);
        }
    }

    /// Union of the admitted ports over all paths of one protocol.
    pub fn admitted(&self, proto: Proto) -> PortSet {
        self.paths.iter().filter(|p| p.protocol == proto.name()).fold(PortSet::empty(), |a, p| a.union(&p.admitted))
    }
}

/// The protocols a question covers, with the ports asked about.
pub fn protocols(name: &str, family: Family) -> Option<Vec<Proto>> {
    let icmp = if family == Family::V6 { Proto::Icmpv6 } else { Proto::Icmp };
    match name {
        "tcp" => Some(vec![Proto::Tcp]),
        "udp" => Some(vec![Proto::Udp]),
        "icmp" => Some(vec![icmp]),
        "all" => Some(vec![Proto::Tcp, Proto::Udp, icmp]),
        _ => None,
    }
}

/// Address ranges for people: the whole internet by name, most of it by what it misses, else
/// CIDR blocks (at most `limit`, then a count of the rest).
fn ranges_text(iv: &[Interval], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest: Vec<Interval> = Vec::new();
    for fam in [Family::V4, Family::V6] {
        let mine: Vec<Interval> = normalize(iv.iter().filter(|i| i.fam == fam).copied().collect());
        if mine.is_empty() {
            continue;
        }
        let all = internet_normalized(fam);
        let (whole, word) = if fam == Family::V4 { ("0.0.0.0/0", "every public IPv4 address") } else { ("2000::/3", "every global IPv6 address") };
        if mine == all {
            out.push(format!("{whole} ({word})"));
            continue;
        }
        // Most of the internet: name what is missing instead.
        let inside = mine.iter().all(|m| all.iter().any(|a| a.lo <= m.lo && m.hi <= a.hi));
        let gaps = if inside { subtract(&all, &mine) } else { Vec::new() };
        if !gaps.is_empty() && gaps.len() <= 4 {
            let missing: Vec<crate::addr::Cidr> = gaps.iter().flat_map(|i| i.to_cidrs()).collect();
            if missing.len() <= 4 {
                let names: Vec<String> = missing.iter().map(|c| c.to_string()).collect();
                out.push(format!("{whole} ({word} except {})", names.join(", ")));
                continue;
            }
        }
        rest.extend(mine);
    }
    let cidrs: Vec<crate::addr::Cidr> = rest.iter().flat_map(|i| i.to_cidrs()).collect();
    let room = limit.saturating_sub(out.len());
    out.extend(cidrs.iter().take(room).map(|c| c.to_string()));
    if cidrs.len() > room {
        out.push(format!("... and {} more blocks", cidrs.len() - room));
    }
    out
}

fn reply_ports(proto: Proto, opts: &Options) -> PortSet {
    match proto {
        Proto::Tcp | Proto::Udp => opts.ephemeral.clone(),
        // An echo request (type 8, or 128 for ICMPv6) is answered by an echo reply (0, or 129).
        Proto::Icmp => PortSet::single(0),
        Proto::Icmpv6 => PortSet::single(129),
        Proto::Other(_) => PortSet::all(),
    }
}

/// The engine: answers questions over one indexed network.
pub struct Reach<'n> {
    pub net: &'n Net,
    pub opts: Options,
}

/// A settled piece of a question: its source and destination ranges and what happened.
type Piece = (Interval, Interval, Result<(PathOut, PortSet), Block>);

/// The concrete ends of one attempt.
enum DstKind {
    Eni(Idx),
    Group { subnet: Idx, groups: Vec<Idx> },
    Internet,
    /// An AWS service's public or gateway-endpoint addresses.
    Service,
}

struct Outcome {
    result: Result<(PathOut, PortSet), Block>,
    touched: Vec<(Var, crate::addr::Cidr)>,
}

impl<'n> Reach<'n> {
    pub fn new(net: &'n Net, opts: Options) -> Reach<'n> {
        Reach { net, opts }
    }

    /// Answers a question for the given protocols and ports.
    pub fn ask(&self, from: &Source, to: &Dest, protos: &[Proto], ports: &PortSet) -> Answer {
        let mut ans = Answer::default();
        for &proto in protos {
            let ports = if proto.has_ports() { ports.clone() } else { PortSet::all() };
            match from {
                Source::Managed { id, reason } => {
                    if matches!(to, Dest::Internet(_)) || matches!(to, Dest::Service(_)) {
                        ans.add_path(
                            PathOut {
                                protocol: proto.name(),
                                from: id.clone(),
                                to: "internet".into(),
                                ports: ports.to_string(),
                                return_ports: None,
                                source_ranges: vec![],
                                destination_ranges: vec!["0.0.0.0/0".into(), "::/0".into()],
                                arrives: "sagemaker-network".into(),
                                hops: vec![Hop { kind: "sagemaker-managed-network", id: id.clone(), detail: reason.clone() }],
                                return_hops: vec![],
                                admitted: ports.clone(),
                            },
                            self.opts.max_paths,
                        );
                    } else {
                        ans.add_block(Block { at: At { kind: "sagemaker-managed-network", id: id.clone() }, reason: "the resource runs outside any VPC; it is not reachable from VPC addresses".into() });
                    }
                }
                Source::Internet(ranges) => {
                    let ranges = public_only(ranges);
                    if ranges.is_empty() {
                        ans.add_block(Block { at: At { kind: "internet", id: "internet".into() }, reason: "the source range holds no public address; internet gateways carry only public addresses".into() });
                    }
                    for (dst, dranges, label) in self.dest_targets(to, None) {
                        let mut walked = false;
                        for fam in [Family::V4, Family::V6] {
                            let src: Vec<Interval> = ranges.iter().filter(|r| r.fam == fam).copied().collect();
                            let dsts: Vec<Interval> = dranges.iter().filter(|r| r.fam == fam).copied().collect();
                            if !src.is_empty() && !dsts.is_empty() {
                                walked = true;
                                self.refine(&mut ans, proto, &ports, None, &dst, &src, &dsts, "internet", &label);
                            }
                        }
                        if !walked && !ranges.is_empty() {
                            ans.add_block(Block { at: At { kind: "network-interface", id: label.clone() }, reason: format!("{label} has no public IPv4, Elastic IP or IPv6 address; the internet cannot address it") });
                        }
                    }
                }
                Source::Points(points) => {
                    for p in points {
                        for (dst, dranges, label) in self.dest_targets(to, Some(p)) {
                            if dranges.is_empty() {
                                ans.add_block(Block { at: At { kind: "destination", id: label.clone() }, reason: format!("{label}: no address to reach (an internet range with no public address, or an interface with no address)") });
                            }
                            for fam in [Family::V4, Family::V6] {
                                let src: Vec<Interval> = p.addrs.iter().filter(|r| r.fam == fam).copied().collect();
                                let dsts: Vec<Interval> = dranges.iter().filter(|r| r.fam == fam).copied().collect();
                                if !src.is_empty() && !dsts.is_empty() {
                                    self.refine(&mut ans, proto, &ports, Some(p), &dst, &src, &dsts, &p.label, &label);
                                }
                            }
                        }
                    }
                }
            }
        }
        ans.reachable = !ans.paths.is_empty();
        ans
    }

    /// The concrete destinations of a question, with their address ranges.
    fn dest_targets(&self, to: &Dest, from: Option<&SrcPoint>) -> Vec<(DstKind, Vec<Interval>, String)> {
        let net = self.net;
        match to {
            Dest::Internet(r) => vec![(DstKind::Internet, public_only(r), "internet".into())],
            Dest::Enis(list) => list
                .iter()
                .map(|&e| {
                    let eni = &net.enis[e];
                    let mut r: Vec<Interval> = Vec::new();
                    if from.is_none() {
                        // From the internet: the public addresses and IPv6 addresses.
                        r.extend(eni.public.iter().map(|(_, p)| crate::addr::Cidr::host(*p).interval()));
                        r.extend(eni.ipv6.iter().map(|p| crate::addr::Cidr::host(*p).interval()));
                    } else {
                        r.extend(eni.private_ips.iter().chain(eni.ipv6.iter()).map(|p| crate::addr::Cidr::host(*p).interval()));
                    }
                    (DstKind::Eni(e), r, eni.id.clone())
                })
                .collect(),
            Dest::Group { subnet, groups, label } => {
                let r = net.subnets[*subnet].cidrs.iter().map(|c| c.interval()).collect();
                vec![(DstKind::Group { subnet: *subnet, groups: groups.clone() }, r, label.clone())]
            }
            Dest::Service(name) => {
                let Some(p) = from else {
                    return Vec::new();
                };
                let vpc = net.subnets[p.subnet].vpc;
                let region = &net.vpcs[vpc].region;
                // An interface endpoint with private DNS takes the service's name inside the VPC.
                if let Some(ep) = net.endpoints.iter().find(|e| e.vpc == vpc && e.kind == EndpointKind::Interface && e.private_dns && e.available && e.short_service() == name) {
                    let az = &net.subnets[p.subnet].az;
                    let eni = ep.enis.iter().copied().find(|&x| &net.subnets[net.enis[x].subnet].az == az).or(ep.enis.first().copied());
                    if let Some(x) = eni {
                        let r = net.enis[x].private_ips.iter().map(|ip| crate::addr::Cidr::host(*ip).interval()).collect();
                        return vec![(DstKind::Eni(x), r, format!("{name} ({})", ep.id))];
                    }
                }
                let full = format!("com.amazonaws.{region}.{name}");
                match net.prefix_lists.values().find(|(n, _)| *n == full) {
                    Some((_, cidrs)) => vec![(DstKind::Service, cidrs.iter().map(|c| c.interval()).collect(), name.clone())],
                    // The service's public addresses are not in the snapshot: any public address stands for them.
                    None => vec![(DstKind::Service, addr::internet(Family::V4), name.clone())],
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn refine(&self, ans: &mut Answer, proto: Proto, ports: &PortSet, src: Option<&SrcPoint>, dst: &DstKind, s: &[Interval], d: &[Interval], from: &str, to: &str) {
        // Walk the hull of each end and clip afterwards: pieces that behave alike are found by
        // the walks themselves, so the requested ranges need not be walked one by one.
        let (Some(sh), Some(dh)) = (hull(s), hull(d)) else { return };
        let mut work: Vec<(Interval, Interval)> = vec![(sh, dh)];
        let mut pieces = 0usize;
        let mut done: Vec<Piece> = Vec::new();
        while let Some((si, di)) = work.pop() {
            pieces += 1;
            if pieces > self.opts.max_pieces {
                ans.notes.push(format!("address ranges {from} -> {to} split into more than {} pieces; the rest was not analysed", self.opts.max_pieces));
                break;
            }
            let out = self.attempt(proto, ports, src, dst, si, di);
            // Cut the piece at every edge of a tested CIDR that falls inside it (source first).
            let cut_src = cut(si, out.touched.iter().filter(|(v, _)| *v == Var::Src).map(|(_, c)| c));
            if let Some(parts) = cut_src {
                work.extend(parts.into_iter().filter(|p| !clip(*p, s).is_empty()).map(|p| (p, di)));
                continue;
            }
            let cut_dst = cut(di, out.touched.iter().filter(|(v, _)| *v == Var::Dst).map(|(_, c)| c));
            if let Some(parts) = cut_dst {
                work.extend(parts.into_iter().filter(|p| !clip(*p, d).is_empty()).map(|p| (si, p)));
                continue;
            }
            for a in clip(si, s) {
                for b in clip(di, d) {
                    done.push((a, b, out.result.clone()));
                }
            }
        }
        // Merge pieces per path, in address order.
        done.sort_by_key(|a| (a.0, a.1));
        let mut by_path: BTreeMap<usize, (PathOut, Vec<Interval>, Vec<Interval>)> = BTreeMap::new();
        let mut order: Vec<PathOut> = Vec::new();
        for (si, di, r) in done {
            match r {
                Ok((p, _)) => {
                    let key = match order.iter().position(|q| q.hops == p.hops && q.return_hops == p.return_hops && q.ports == p.ports) {
                        Some(k) => k,
                        None => {
                            order.push(p.clone());
                            order.len() - 1
                        }
                    };
                    let e = by_path.entry(key).or_insert_with(|| (p, Vec::new(), Vec::new()));
                    e.1.push(si);
                    e.2.push(di);
                }
                Err(b) => ans.add_block(b),
            }
        }
        for (_, (mut p, srcs, dsts)) in by_path {
            let (srcs, dsts) = (normalize(srcs), normalize(dsts));
            let show = |v: &[Interval]| ranges_text(v, 16);
            p.source_ranges = show(&srcs);
            p.destination_ranges = show(&dsts);
            ans.add_path(p, self.opts.max_paths);
        }
    }

    /// One representative packet each way.
    fn attempt(&self, proto: Proto, ports: &PortSet, src: Option<&SrcPoint>, dst: &DstKind, si: Interval, di: Interval) -> Outcome {
        let net = self.net;
        let src_var = if si.lo != si.hi { Some(Var::Src) } else { None };
        let dst_var = if di.lo != di.hi { Some(Var::Dst) } else { None };
        let src_addr = Addr { ip: si.rep(), var: src_var.or(if src.is_none() { Some(Var::Src) } else { None }) };
        let dst_addr = Addr { ip: di.rep(), var: dst_var.or(if matches!(dst, DstKind::Internet | DstKind::Service) { Some(Var::Dst) } else { None }) };
        let mut w = Walker::new(net, false);
        if let DstKind::Group { subnet, .. } = dst {
            w.accept_subnet = Some(*subnet);
        }
        // Internet and AWS service ranges are public addresses only (the caller clips to them).
        let public_var = match (src, dst) {
            (None, _) => Some(Var::Src),
            (_, DstKind::Internet | DstKind::Service) => Some(Var::Dst),
            _ => None,
        };
        w.public_var = public_var;
        let start = match src {
            Some(p) => {
                let label = p.eni.map(|e| net.enis[e].id.clone()).unwrap_or_else(|| p.label.clone());
                w.hops.push(Hop { kind: if p.eni.is_some() { "network-interface" } else { "resource" }, id: label, detail: if src_addr.var.is_some() { format!("any address of {}", net.subnets[p.subnet].id) } else { format!("{} in {}", src_addr.ip, net.subnets[p.subnet].id) } });
                Start::Subnet(p.subnet)
            }
            None => {
                w.hops.push(Hop { kind: "internet", id: "internet".into(), detail: format!("from {}", if src_addr.var.is_some() { "internet hosts in the range".to_string() } else { src_addr.ip.to_string() }) });
                Start::Internet
            }
        };
        let pkt = Pkt { proto, src: src_addr, dst: dst_addr, ports: ports.clone() };
        let fwd = w.walk(start, pkt);
        let mut touched = std::mem::take(&mut w.touched);
        let arrival = match fwd {
            Ok(a) => a,
            Err(b) => return Outcome { result: Err(b), touched },
        };
        let hops_fwd = std::mem::take(&mut w.hops);
        // Where did it arrive, and is that where it was going?
        let (arrives, dst_groups, dst_subnet): (&str, Option<Vec<Idx>>, Option<Idx>) = match (&arrival.terminal, dst) {
            (Terminal::Eni(e), DstKind::Eni(x)) if e == x => ("interface", Some(net.enis[*e].groups.clone()), Some(net.enis[*e].subnet)),
            (Terminal::SubnetAddr(s), DstKind::Group { subnet, groups }) if s == subnet => ("interface", Some(groups.clone()), Some(*s)),
            (Terminal::Eni(e), DstKind::Group { subnet, groups }) if net.enis[*e].subnet == *subnet && net.enis[*e].groups == *groups => ("interface", Some(groups.clone()), Some(*subnet)),
            (Terminal::Internet { .. }, DstKind::Internet) => ("internet", None, None),
            (Terminal::Internet { .. }, DstKind::Service) => ("internet", None, None),
            (Terminal::GatewayEndpoint(_), DstKind::Service) => ("gateway-endpoint", None, None),
            (Terminal::External(what), _) => {
                return Outcome { result: Err(Block { at: At { kind: "external", id: what.clone() }, reason: format!("traffic to {} leaves the modelled network: {what}", dst_addr.show()) }), touched };
            }
            (t, _) => {
                let what = match t {
                    Terminal::Eni(e) => format!("is delivered to {} instead", net.enis[*e].id),
                    Terminal::Internet { .. } => "leaves for the internet instead".into(),
                    Terminal::GatewayEndpoint(e) => format!("goes to {} instead", net.endpoints[*e].id),
                    Terminal::SubnetAddr(s) => format!("is delivered into {} instead", net.subnets[*s].id),
                    Terminal::External(x) => x.clone(),
                };
                let at = hops_fwd.last().map(|h| At { kind: h.kind, id: h.id.clone() }).unwrap_or(At { kind: "route-table", id: String::new() });
                return Outcome { result: Err(Block { at, reason: format!("traffic to {} {what}", dst_addr.show()) }), touched };
            }
        };
        // Security groups at both ends (stateful: checked on the request only).
        let mut admitted = arrival.pkt.ports.clone();
        let mut hops = hops_fwd;
        let refs = arrival.sg_refs;
        if let Some(p) = src {
            let remote_groups = if refs { dst_groups.as_deref() } else { None };
            let (ok, why) = w.sg(&p.groups, false, dst_addr, remote_groups, proto, &admitted);
            touched.append(&mut w.touched);
            let id = sg_ids(net, &p.groups);
            if ok.is_empty() {
                return Outcome { result: Err(Block { at: At { kind: "security-group", id }, reason: format!("no outbound rule of {} allows {} {} to {}", sg_ids(net, &p.groups), proto.name(), crate::walk::port_word(proto, &admitted), dst_addr.show()) }), touched };
            }
            hops.insert(1, Hop { kind: "security-group", id, detail: format!("outbound: {}", why.join("; ")) });
            admitted = ok;
        }
        if let Some(groups) = &dst_groups {
            let remote_groups = if refs { src.map(|p| p.groups.as_slice()) } else { None };
            let (ok, why) = w.sg(groups, true, arrival.pkt.src, remote_groups, proto, &admitted);
            touched.append(&mut w.touched);
            let id = sg_ids(net, groups);
            if ok.is_empty() {
                return Outcome { result: Err(Block { at: At { kind: "security-group", id: id.clone() }, reason: format!("no inbound rule of {id} allows {} {} from {}", proto.name(), crate::walk::port_word(proto, &admitted), arrival.pkt.src.show()) }), touched };
            }
            hops.push(Hop { kind: "security-group", id, detail: format!("inbound: {}", why.join("; ")) });
            admitted = ok;
        }
        let dst_label = match (&arrival.terminal, dst_subnet) {
            (Terminal::Eni(e), _) => net.enis[*e].id.clone(),
            _ => String::new(),
        };
        if !dst_label.is_empty() && !hops.iter().any(|h| h.id == dst_label) {
            hops.push(Hop { kind: "network-interface", id: dst_label, detail: format!("{} receives {} {}", arrival.pkt.dst.show(), proto.name(), crate::walk::port_word(proto, &admitted)) });
        }
        let mut out = PathOut {
            protocol: proto.name(),
            from: String::new(),
            to: String::new(),
            ports: admitted.to_string(),
            return_ports: None,
            source_ranges: Vec::new(),
            destination_ranges: Vec::new(),
            arrives: arrives.to_string(),
            hops,
            return_hops: Vec::new(),
            admitted: admitted.clone(),
        };
        if self.opts.two_way {
            let expect_public = if src.is_none() { Some(dst_addr.ip) } else { None };
            match self.reply(proto, src, &arrival, dst_subnet, expect_public, public_var) {
                Ok((rp, rhops, mut rt)) => {
                    touched.append(&mut rt);
                    out.return_ports = Some(rp.to_string());
                    out.return_hops = rhops;
                }
                Err((b, mut rt)) => {
                    touched.append(&mut rt);
                    return Outcome { result: Err(Block { at: b.at, reason: format!("reply dropped: {}", b.reason) }), touched };
                }
            }
        }
        Outcome { result: Ok((out, admitted)), touched }
    }

    /// The reply: from where the request arrived back to the requester, undoing NAT.
    #[allow(clippy::type_complexity)]
    fn reply(&self, proto: Proto, src: Option<&SrcPoint>, arrival: &Arrival, dst_subnet: Option<Idx>, expect_public: Option<Ip>, public_var: Option<Var>) -> Result<(PortSet, Vec<Hop>, Vec<(Var, crate::addr::Cidr)>), (Block, Vec<(Var, crate::addr::Cidr)>)> {
        let net = self.net;
        let mut w = Walker::new(net, true);
        w.undo = arrival.nats.clone();
        w.public_var = public_var;
        w.reply_to_inbound = src.is_none();
        if let Some(p) = src {
            if p.eni.is_none() {
                w.accept_subnet = Some(p.subnet);
            }
        }
        let pkt = Pkt { proto, src: arrival.pkt.dst, dst: arrival.pkt.src, ports: reply_ports(proto, &self.opts) };
        let start = match (&arrival.terminal, dst_subnet) {
            (Terminal::GatewayEndpoint(e), _) => match src {
                Some(p) => Start::GatewayEndpoint { endpoint: *e, subnet: p.subnet },
                None => return Err((Block { at: At { kind: "vpc-endpoint", id: net.endpoints[*e].id.clone() }, reason: "no source subnet".into() }, w.touched)),
            },
            (Terminal::Internet { src_public, eigw }, _) => {
                w.enter_eigw = *eigw;
                let mut p = pkt.clone();
                p.dst = Addr { ip: *src_public, var: None };
                let r = w.walk(Start::Internet, p);
                return self.finish_reply(w, r, src, None);
            }
            (_, Some(s)) => Start::Subnet(s),
            _ => return Err((Block { at: At { kind: "reply", id: String::new() }, reason: "no place to reply from".into() }, w.touched)),
        };
        let r = w.walk(start, pkt);
        self.finish_reply(w, r, src, expect_public)
    }

    #[allow(clippy::type_complexity)]
    fn finish_reply(&self, mut w: Walker<'_>, r: Result<Arrival, Block>, src: Option<&SrcPoint>, expect_public: Option<Ip>) -> Result<(PortSet, Vec<Hop>, Vec<(Var, crate::addr::Cidr)>), (Block, Vec<(Var, crate::addr::Cidr)>)> {
        let touched = std::mem::take(&mut w.touched);
        match r {
            Err(b) => Err((b, touched)),
            Ok(a) => {
                let ok = match (src, &a.terminal) {
                    (Some(p), Terminal::Eni(e)) => p.eni == Some(*e) || (p.eni.is_none() && self.net.enis[*e].subnet == p.subnet),
                    (Some(p), Terminal::SubnetAddr(s)) => p.eni.is_none() && *s == p.subnet,
                    // The reply must leave from the address the request went to, or the client drops it.
                    (None, Terminal::Internet { src_public, .. }) => expect_public.map(|e| e == *src_public).unwrap_or(true),
                    _ => false,
                };
                if !ok {
                    let at = w.hops.last().map(|h| At { kind: h.kind, id: h.id.clone() }).unwrap_or(At { kind: "route-table", id: String::new() });
                    return Err((Block { at, reason: format!("the reply to {} does not get back to the requester (asymmetric path)", a.pkt.dst.show()) }, touched));
                }
                Ok((a.pkt.ports.clone(), std::mem::take(&mut w.hops), touched))
            }
        }
    }
}

/// The public parts of address ranges: internet ends are clipped to them, so a range that
/// stands for internet hosts never holds a private address.
fn public_only(r: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    for fam in [Family::V4, Family::V6] {
        let net = internet_normalized(fam);
        for i in r.iter().filter(|i| i.fam == fam) {
            out.extend(clip(*i, &net));
        }
    }
    normalize(out)
}

/// The public internet of one family, normalized, computed once.
fn internet_normalized(fam: Family) -> Vec<Interval> {
    static V4: std::sync::OnceLock<Vec<Interval>> = std::sync::OnceLock::new();
    static V6: std::sync::OnceLock<Vec<Interval>> = std::sync::OnceLock::new();
    let cell = if fam == Family::V4 { &V4 } else { &V6 };
    cell.get_or_init(|| normalize(addr::internet(fam))).clone()
}

/// `a` minus `b`, both normalized.
fn subtract(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    for x in a {
        let mut lo = x.lo;
        let mut open = true;
        for y in b.iter().filter(|y| y.fam == x.fam && y.hi >= x.lo && y.lo <= x.hi) {
            if y.lo > lo {
                out.push(Interval { fam: x.fam, lo, hi: y.lo - 1 });
            }
            match y.hi.checked_add(1) {
                Some(n) => lo = lo.max(n),
                None => {
                    open = false;
                    break;
                }
            }
        }
        if open && lo <= x.hi {
            out.push(Interval { fam: x.fam, lo, hi: x.hi });
        }
    }
    out
}

/// The smallest interval covering a list of intervals of one family.
fn hull(v: &[Interval]) -> Option<Interval> {
    let first = v.first()?;
    Some(v.iter().fold(*first, |h, i| Interval { fam: h.fam, lo: h.lo.min(i.lo), hi: h.hi.max(i.hi) }))
}

/// `iv` cut at every CIDR edge that falls strictly inside it; `None` when no CIDR cuts it.
fn cut<'c>(iv: Interval, cidrs: impl Iterator<Item = &'c crate::addr::Cidr>) -> Option<Vec<Interval>> {
    let mut points: Vec<u128> = Vec::new();
    for c in cidrs {
        if c.fam != iv.fam {
            continue;
        }
        let (a, b) = (c.first(), c.last());
        if a > iv.lo && a <= iv.hi {
            points.push(a);
        }
        if b >= iv.lo && b < iv.hi {
            points.push(b + 1);
        }
    }
    if points.is_empty() {
        return None;
    }
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut lo = iv.lo;
    for p in points {
        out.push(Interval { fam: iv.fam, lo, hi: p - 1 });
        lo = p;
    }
    out.push(Interval { fam: iv.fam, lo, hi: iv.hi });
    Some(out)
}

/// The parts of `iv` inside the given intervals.
fn clip(iv: Interval, within: &[Interval]) -> Vec<Interval> {
    within
        .iter()
        .filter(|w| w.fam == iv.fam && w.lo <= iv.hi && iv.lo <= w.hi)
        .map(|w| Interval { fam: iv.fam, lo: iv.lo.max(w.lo), hi: iv.hi.min(w.hi) })
        .collect()
}

/// Sorts and merges overlapping or adjacent intervals.
pub fn normalize(mut v: Vec<Interval>) -> Vec<Interval> {
    v.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(v.len());
    for i in v {
        if let Some(last) = out.last_mut() {
            if last.fam == i.fam && (last.hi >= i.lo || last.hi.checked_add(1) == Some(i.lo)) {
                last.hi = last.hi.max(i.hi);
                continue;
            }
        }
        out.push(i);
    }
    out
}

fn sg_ids(net: &Net, groups: &[Idx]) -> String {
    if groups.is_empty() {
        return "(no security group)".into();
    }
    groups.iter().map(|&g| net.sgs[g].id.as_str()).collect::<Vec<_>>().join("+")
}

/// The internet of both families, as a source or destination range.
pub fn whole_internet() -> Vec<Interval> {
    let mut v = addr::internet(Family::V4);
    v.extend(addr::internet(Family::V6));
    v
}

/// The source points of a piece of ML compute.
pub fn ml_sources(net: &Net, m: &MlCompute) -> Vec<SrcPoint> {
    m.points
        .iter()
        .map(|p| match p.eni {
            Some(e) => eni_point(net, e),
            None => SrcPoint {
                subnet: p.subnet,
                groups: p.groups.clone(),
                eni: None,
                addrs: net.subnets[p.subnet].cidrs.iter().map(|c| c.interval()).collect(),
                label: format!("{} in {}", m.name, net.subnets[p.subnet].id),
            },
        })
        .collect()
}

/// An interface as a source.
pub fn eni_point(net: &Net, e: Idx) -> SrcPoint {
    let eni = &net.enis[e];
    SrcPoint {
        subnet: eni.subnet,
        groups: eni.groups.clone(),
        eni: Some(e),
        addrs: eni.private_ips.iter().take(1).chain(eni.ipv6.iter().take(1)).map(|ip| crate::addr::Cidr::host(*ip).interval()).collect(),
        label: eni.id.clone(),
    }
}
