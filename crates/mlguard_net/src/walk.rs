//! The packet walk: one concrete packet followed hop by hop through route tables, network
//! ACLs, gateways and transit gateways, as AWS documents each step.
//!
//! A walk is deterministic given its addresses. Every CIDR that a *variable* address (one end
//! of a range question, such as "any internet host") is tested against is recorded in
//! [`Walker::touched`], so the caller can split the range until every piece behaves the same
//! ([`crate::reach`] does that). Security groups are applied by the caller at the two ends,
//! because only then are both the source and destination interfaces known.

use crate::addr::{self, Cidr, Family, Ip};
use crate::model::{AttachmentKind, EndpointKind, Idx, Nacl, Net, Route, RouteKind, SgPeer, Target};
use crate::ports::{PortSet, Proto};
use serde::Serialize;

/// One step of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Hop {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub detail: String,
}

/// Where and why a packet was dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Block {
    pub at: At,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct At {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
}

/// Which end of the question an address belongs to, when it stands for a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Src,
    Dst,
}

/// An address in a packet, and whether it stands for a range of the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    pub ip: Ip,
    pub var: Option<Var>,
}

impl Addr {
    /// The address for explanations: a range stands in for many addresses, so it is not named.
    pub fn show(&self) -> String {
        match self.var {
            Some(_) => "the range".to_string(),
            None => self.ip.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Pkt {
    pub proto: Proto,
    pub src: Addr,
    pub dst: Addr,
    /// Destination ports still admitted (ICMP: types).
    pub ports: PortSet,
}

/// Where a walk starts.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// From an interface (real or standing for a group of interfaces) in a subnet.
    Subnet(Idx),
    /// From the internet, towards a public address.
    Internet,
    /// From an AWS service reached through a gateway endpoint, back into a subnet.
    GatewayEndpoint { endpoint: Idx, subnet: Idx },
}

/// Where a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// Delivered to a network interface.
    Eni(Idx),
    /// Delivered to a subnet address that no known interface holds (used for interface groups).
    SubnetAddr(Idx),
    /// Left for the internet with this public source address (through an egress-only
    /// internet gateway when `eigw` is set).
    Internet { src_public: Ip, eigw: Option<Idx> },
    /// Reached an AWS service privately through a gateway endpoint.
    GatewayEndpoint(Idx),
    /// Left the modelled network (VPN, Direct Connect, local gateway, peered VPC not in the snapshot).
    External(String),
}

#[derive(Debug, Clone)]
pub struct Arrival {
    pub terminal: Terminal,
    pub pkt: Pkt,
    /// Whether security-group references still apply (same VPC, same-region peering, or a
    /// transit gateway with security-group referencing on both attachments; never after NAT).
    pub sg_refs: bool,
    /// NAT translations made on the way, innermost last: (NAT gateway, original source).
    pub nats: Vec<(Idx, Addr)>,
}

/// Walk state shared by the walks of one question.
pub struct Walker<'n> {
    pub net: &'n Net,
    pub hops: Vec<Hop>,
    pub touched: Vec<(Var, Cidr)>,
    /// Reply mode: network ACLs are applied, security groups are not (they are stateful).
    pub reply: bool,
    /// NAT translations to undo on a reply.
    pub undo: Vec<(Idx, Addr)>,
    /// When set, local delivery to an address of this subnet that no interface holds is accepted
    /// (the destination stands for any interface of the subnet).
    pub accept_subnet: Option<Idx>,
    /// A variable end known to hold only public addresses (the internet, an AWS service's
    /// ranges): tests of it against non-public ranges are uniform and need not split it.
    pub public_var: Option<Var>,
    /// Reply mode, for a connection the internet opened: an egress-only internet gateway
    /// does not carry it.
    pub reply_to_inbound: bool,
    /// Reply mode, for a connection that left through this egress-only internet gateway:
    /// the reply comes back through it.
    pub enter_eigw: Option<Idx>,
}

const MAX_HOPS: usize = 24;

impl<'n> Walker<'n> {
    pub fn new(net: &'n Net, reply: bool) -> Walker<'n> {
        Walker { net, hops: Vec::new(), touched: Vec::new(), reply, undo: Vec::new(), accept_subnet: None, public_var: None, reply_to_inbound: false, enter_eigw: None }
    }

    fn hop(&mut self, kind: &'static str, id: &str, detail: String) {
        self.hops.push(Hop { kind, id: id.to_string(), detail });
    }

    fn block(kind: &'static str, id: &str, reason: String) -> Block {
        Block { at: At { kind, id: id.to_string() }, reason }
    }

    /// Tests `a` against `c`, recording the test when `a` is variable.
    pub fn test(&mut self, c: &Cidr, a: Addr) -> bool {
        if let Some(v) = a.var {
            if c.fam == a.ip.fam {
                self.touched.push((v, *c));
            }
        }
        c.contains(a.ip)
    }

    /// Longest-prefix match in a VPC route table (AWS "How route priority works": longest
    /// prefix, then static routes before prefix-list routes before propagated routes).
    /// <https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html>
    pub fn lookup<'r>(&mut self, routes: &'r [Route], dst: Addr) -> Option<&'r Route> {
        let mut best: Option<&Route> = None;
        for r in routes {
            if let Some(b) = best {
                if r.dest.len < b.dest.len {
                    // Sorted by prefix length: nothing later can win, but a variable address
                    // still depends on the shorter prefixes only through `b`.
                    break;
                }
            }
            if self.test(&r.dest, dst) && best.is_none() {
                best = Some(r);
            }
        }
        // Propagated routes never beat the local route, even when more specific.
        if let Some(b) = best {
            if b.kind == RouteKind::Propagated {
                if let Some(local) = routes.iter().find(|r| r.target == Target::Local && r.dest.contains(dst.ip)) {
                    return Some(local);
                }
            }
        }
        best
    }

    /// Network ACL evaluation for one direction: rules in ascending number, the first rule
    /// that matches a port decides it, the implicit `*` rule denies the rest. Returns the
    /// admitted ports and an explanation.
    /// <https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html>
    pub fn nacl(&mut self, nacl: &Nacl, egress: bool, remote: Addr, proto: Proto, ports: &PortSet) -> (PortSet, String) {
        let rules = if egress { &nacl.egress } else { &nacl.ingress };
        let mut remaining = ports.clone();
        let mut admitted = PortSet::empty();
        let mut why: Vec<String> = Vec::new();
        for r in rules {
            if remaining.is_empty() {
                break;
            }
            if !r.proto.matches(proto) {
                continue;
            }
            if !self.test(&r.cidr, remote) {
                continue;
            }
            let m = if proto.has_ports() { remaining.intersect(&r.ports) } else { remaining.clone() };
            if m.is_empty() {
                continue;
            }
            remaining = remaining.subtract(&m);
            if r.allow {
                admitted = admitted.union(&m);
            }
            why.push(format!("rule {} {} {} {} {} {}", r.number, if r.allow { "allows" } else { "denies" }, r.proto, port_word(proto, &m), if egress { "to" } else { "from" }, r.cidr));
        }
        if !remaining.is_empty() {
            why.push(format!("rule * denies {}", port_word(proto, &remaining)));
        }
        (admitted, why.join("; "))
    }

    /// Applies a network ACL to the packet in place; blocks when nothing is admitted.
    fn apply_nacl(&mut self, subnet: Idx, egress: bool, pkt: &mut Pkt) -> Result<(), Block> {
        let net = self.net;
        let Some(n) = net.subnets[subnet].nacl else {
            return Err(Self::block("subnet", &net.subnets[subnet].id, "no network ACL known for the subnet".into()));
        };
        let nacl = &net.nacls[n];
        let remote = if egress { pkt.dst } else { pkt.src };
        let (ok, why) = self.nacl(nacl, egress, remote, pkt.proto, &pkt.ports);
        let dir = if egress { "outbound" } else { "inbound" };
        if ok.is_empty() {
            return Err(Self::block("network-acl", &nacl.id, format!("{dir} {why} ({} {} {})", pkt.proto.name(), if egress { "to" } else { "from" }, remote.show())));
        }
        self.hop("network-acl", &nacl.id, format!("{dir}: {why}"));
        pkt.ports = ok;
        Ok(())
    }

    /// Moving from one subnet to another: outbound rules of the first, inbound rules of the
    /// second; none within one subnet.
    fn cross(&mut self, from: Idx, to: Idx, pkt: &mut Pkt) -> Result<(), Block> {
        if from == to {
            return Ok(());
        }
        self.apply_nacl(from, true, pkt)?;
        self.apply_nacl(to, false, pkt)
    }

    /// Follows the packet from `start` until it is delivered, leaves, or is dropped.
    pub fn walk(&mut self, start: Start, mut pkt: Pkt) -> Result<Arrival, Block> {
        let net = self.net;
        let mut sg_refs = true;
        let mut nats: Vec<(Idx, Addr)> = Vec::new();
        let mut last_nat_private = false;
        let mut cur = match start {
            Start::Subnet(s) => s,
            Start::GatewayEndpoint { endpoint, subnet } => {
                self.hop("vpc-endpoint", &net.endpoints[endpoint].id, format!("from {} back into the VPC", net.endpoints[endpoint].service));
                self.apply_nacl(subnet, false, &mut pkt)?;
                subnet
            }
            Start::Internet => return self.enter_from_internet(pkt),
        };
        for _ in 0..MAX_HOPS {
            let sub = &net.subnets[cur];
            let vpc = sub.vpc;
            let Some(rt_idx) = sub.rt else {
                return Err(Self::block("subnet", &sub.id, "no route table applies to the subnet".into()));
            };
            let rt = &net.route_tables[rt_idx];
            let Some(route) = self.lookup(&rt.routes, pkt.dst) else {
                return Err(Self::block("route-table", &rt.id, format!("no route to {} in {}", pkt.dst.show(), rt.id)));
            };
            let via = match &route.prefix_list {
                Some(pl) => format!("{} (prefix list {pl})", route.dest),
                None => route.dest.to_string(),
            };
            if route.blackhole {
                return Err(Self::block("route-table", &rt.id, format!("{} matches blackhole route {via} -> {}", pkt.dst.show(), route.target_id)));
            }
            self.hop("route-table", &rt.id, format!("{} matches {via} -> {}{}", pkt.dst.show(), route.target_id, if sub.rt_explicit { "" } else { " (main route table of the VPC)" }));
            match route.target.clone() {
                // The local route: delivery inside the VPC; network ACLs apply only when the packet
                // crosses from one subnet to another.
                // <https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html>
                Target::Local => {
                    let found = net.eni_by_ip.get(&(vpc, pkt.dst.ip)).copied();
                    let eni = match found {
                        Some(e) => e,
                        None => {
                            if let Some(s) = self.accept_subnet {
                                if net.subnets[s].vpc == vpc && net.subnets[s].cidrs.iter().any(|c| c.contains(pkt.dst.ip)) {
                                    self.cross(cur, s, &mut pkt)?;
                                    return Ok(Arrival { terminal: Terminal::SubnetAddr(s), pkt, sg_refs, nats });
                                }
                            }
                            return Err(Self::block("vpc", &net.vpcs[vpc].id, format!("no network interface in {} holds {}", net.vpcs[vpc].id, pkt.dst.show())));
                        }
                    };
                    let dsub = net.enis[eni].subnet;
                    self.cross(cur, dsub, &mut pkt)?;
                    if let Some(nat_subnet) = self.undo_nat(eni, &mut pkt) {
                        cur = nat_subnet;
                        continue;
                    }
                    return Ok(Arrival { terminal: Terminal::Eni(eni), pkt, sg_refs, nats });
                }
                Target::Igw(g) => {
                    let igw = &net.igws[g];
                    if !igw.vpcs.contains(&vpc) {
                        return Err(Self::block("internet-gateway", &igw.id, format!("{} is not attached to {}", igw.id, net.vpcs[vpc].id)));
                    }
                    self.apply_nacl(cur, true, &mut pkt)?;
                    let src_public = self.igw_out(g, vpc, &pkt, last_nat_private)?;
                    self.hop("internet-gateway", &igw.id, format!("to the internet from {src_public}"));
                    return Ok(Arrival { terminal: Terminal::Internet { src_public, eigw: None }, pkt, sg_refs: false, nats });
                }
                // Egress-only internet gateway: IPv6 out, replies back, nothing initiated from outside.
                // <https://docs.aws.amazon.com/vpc/latest/userguide/egress-only-internet-gateway.html>
                Target::Eigw(g) => {
                    let gw = &net.eigws[g];
                    if pkt.dst.ip.fam != Family::V6 {
                        return Err(Self::block("egress-only-internet-gateway", &gw.id, "an egress-only internet gateway carries IPv6 only".into()));
                    }
                    if !gw.vpcs.contains(&vpc) {
                        return Err(Self::block("egress-only-internet-gateway", &gw.id, format!("{} is not attached to {}", gw.id, net.vpcs[vpc].id)));
                    }
                    if self.reply && self.reply_to_inbound {
                        return Err(Self::block("egress-only-internet-gateway", &gw.id, "an egress-only internet gateway does not carry replies to connections opened from the internet".into()));
                    }
                    self.apply_nacl(cur, true, &mut pkt)?;
                    self.hop("egress-only-internet-gateway", &gw.id, "IPv6 to the internet (outbound only)".into());
                    return Ok(Arrival { terminal: Terminal::Internet { src_public: pkt.src.ip, eigw: Some(g) }, pkt, sg_refs: false, nats });
                }
                // NAT gateway: source NAT to its private address, forwarded by its own subnet's
                // route table; a public NAT gateway then goes out with its Elastic IP.
                // <https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html>
                Target::Nat(n) => {
                    let nat = &net.nats[n];
                    if !nat.available {
                        return Err(Self::block("nat-gateway", &nat.id, "the NAT gateway is not available".into()));
                    }
                    if pkt.dst.ip.fam == Family::V6 {
                        return Err(Self::block("nat-gateway", &nat.id, "NAT64 is not modelled; IPv6 to a NAT gateway is treated as dropped".into()));
                    }
                    self.cross(cur, nat.subnet, &mut pkt)?;
                    let Some(priv_ip) = nat.private_ip else {
                        return Err(Self::block("nat-gateway", &nat.id, "the NAT gateway has no private address in the snapshot".into()));
                    };
                    self.hop("nat-gateway", &nat.id, format!("translates source {} to {}", pkt.src.show(), priv_ip));
                    nats.push((n, pkt.src));
                    pkt.src = Addr { ip: priv_ip, var: None };
                    sg_refs = false;
                    last_nat_private = !nat.public;
                    cur = nat.subnet;
                }
                Target::Tgw(t) => {
                    let (next, refs_ok) = self.through_tgw(t, cur, &mut pkt)?;
                    match next {
                        Some(s) => {
                            sg_refs &= refs_ok;
                            cur = s;
                        }
                        None => {
                            return Ok(Arrival { terminal: Terminal::External("transit gateway attachment to a network outside the snapshot".into()), pkt, sg_refs: false, nats });
                        }
                    }
                }
                // VPC peering: only to the peer VPC's CIDRs, no transitive routing, no edge-to-edge
                // use of the peer's gateways.
                // <https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html>
                Target::Pcx(p) => {
                    let pc = &net.peerings[p];
                    if !pc.active {
                        return Err(Self::block("vpc-peering-connection", &pc.id, format!("{} is not active", pc.id)));
                    }
                    let me = &net.vpcs[vpc].id;
                    let peer = if &pc.requester.vpc_id == me { &pc.accepter } else { &pc.requester };
                    let mine = if &pc.requester.vpc_id == me { &pc.requester } else { &pc.accepter };
                    // No transitive routing: the destination must be inside the peer VPC's CIDRs.
                    let cidrs = peer.cidrs.clone();
                    let mut inside = false;
                    for c in &cidrs {
                        if self.test(c, pkt.dst) {
                            inside = true;
                        }
                    }
                    if !inside {
                        return Err(Self::block("vpc-peering-connection", &pc.id, format!("{} is outside {}'s CIDRs; peering is not transitive", pkt.dst.show(), peer.vpc_id)));
                    }
                    self.apply_nacl(cur, true, &mut pkt)?;
                    self.hop("vpc-peering-connection", &pc.id, format!("{} -> {}", mine.vpc_id, peer.vpc_id));
                    let Some(pv) = peer.vpc else {
                        return Ok(Arrival { terminal: Terminal::External(format!("peered VPC {} (not in the snapshot)", peer.vpc_id)), pkt, sg_refs: false, nats });
                    };
                    if peer.region != mine.region && !peer.region.is_empty() && !mine.region.is_empty() {
                        sg_refs = false; // referencing works only for same-region peering
                    }
                    let Some(eni) = net.eni_by_ip.get(&(pv, pkt.dst.ip)).copied() else {
                        if let Some(s) = self.accept_subnet {
                            if net.subnets[s].vpc == pv && net.subnets[s].cidrs.iter().any(|c| c.contains(pkt.dst.ip)) {
                                self.apply_nacl(s, false, &mut pkt)?;
                                return Ok(Arrival { terminal: Terminal::SubnetAddr(s), pkt, sg_refs, nats });
                            }
                        }
                        return Err(Self::block("vpc", &peer.vpc_id, format!("no network interface in {} holds {}", peer.vpc_id, pkt.dst.show())));
                    };
                    let dsub = net.enis[eni].subnet;
                    self.apply_nacl(dsub, false, &mut pkt)?;
                    if let Some(nat_subnet) = self.undo_nat(eni, &mut pkt) {
                        cur = nat_subnet;
                        continue;
                    }
                    return Ok(Arrival { terminal: Terminal::Eni(eni), pkt, sg_refs, nats });
                }
                // Gateway endpoint (S3, DynamoDB) through its prefix-list route; the subnet's network
                // ACL still applies. <https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html>
                Target::Vpce(e) => {
                    let ep = &net.endpoints[e];
                    match ep.kind {
                        EndpointKind::Gateway => {
                            self.apply_nacl(cur, true, &mut pkt)?;
                            self.hop("vpc-endpoint", &ep.id, format!("gateway endpoint to {} (stays on the AWS network)", ep.service));
                            return Ok(Arrival { terminal: Terminal::GatewayEndpoint(e), pkt, sg_refs: false, nats });
                        }
                        _ => {
                            let Some(&x) = ep.enis.first() else {
                                return Err(Self::block("vpc-endpoint", &ep.id, "endpoint has no network interface in the snapshot".into()));
                            };
                            let s = net.enis[x].subnet;
                            self.cross(cur, s, &mut pkt)?;
                            self.hop("vpc-endpoint", &ep.id, "Gateway Load Balancer endpoint: the inspection appliance is assumed to forward the traffic".into());
                            cur = s;
                        }
                    }
                }
                Target::Eni(x) => {
                    let eni = &net.enis[x];
                    if eni.source_dest_check {
                        return Err(Self::block("network-interface", &eni.id, format!("{} has source/destination checking enabled and drops traffic not addressed to it", eni.id)));
                    }
                    self.cross(cur, eni.subnet, &mut pkt)?;
                    self.hop("network-interface", &eni.id, "appliance forwards the traffic (its own filtering is not modelled)".into());
                    cur = eni.subnet;
                }
                Target::External(id) => {
                    self.apply_nacl(cur, true, &mut pkt)?;
                    return Ok(Arrival { terminal: Terminal::External(id), pkt, sg_refs: false, nats });
                }
                Target::Missing(id) => {
                    return Err(Self::block("route-table", &rt.id, format!("route target {id} is not in the snapshot")));
                }
            }
        }
        Err(Self::block("route-table", "", format!("routing loop: more than {MAX_HOPS} hops")))
    }

    /// On a reply that reached a NAT gateway's interface (or its private address): translates
    /// the destination back to the original requester and returns the NAT's subnet to route from.
    fn undo_nat(&mut self, eni: Idx, pkt: &mut Pkt) -> Option<Idx> {
        if !self.reply {
            return None;
        }
        let net = self.net;
        let pos = self.undo.iter().rposition(|(n, _)| net.nats[*n].eni == Some(eni) || net.nats[*n].private_ip == Some(pkt.dst.ip))?;
        let (n, orig) = self.undo.remove(pos);
        self.hop("nat-gateway", &net.nats[n].id, format!("translates the reply back to {}", orig.show()));
        pkt.dst = orig;
        Some(net.nats[n].subnet)
    }

    /// The internet gateway's checks on the way out: a public destination, and a public source
    /// (a one-to-one NAT of a private address that has a public or Elastic IP; IPv6 addresses
    /// are public as they are).
    /// <https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html>
    fn igw_out(&mut self, g: Idx, vpc: Idx, pkt: &Pkt, after_private_nat: bool) -> Result<Ip, Block> {
        let net = self.net;
        let igw = &net.igws[g];
        if after_private_nat {
            return Err(Self::block("internet-gateway", &igw.id, "traffic from a private NAT gateway to an internet gateway is dropped".into()));
        }
        match pkt.dst.ip.fam {
            Family::V4 => {
                let known_public = pkt.dst.var.is_some() && pkt.dst.var == self.public_var;
                for c in addr::non_public_v4_cidrs() {
                    if known_public {
                        break;
                    }
                    if self.test(&c, pkt.dst) {
                        return Err(Self::block("internet-gateway", &igw.id, format!("{} is not a public address; the internet gateway drops it", pkt.dst.show())));
                    }
                }
                match net.public_of_private.get(&(vpc, pkt.src.ip)) {
                    Some(p) => Ok(*p),
                    None => Err(Self::block("internet-gateway", &igw.id, format!("source {} has no public IPv4 or Elastic IP address", pkt.src.show()))),
                }
            }
            Family::V6 => {
                let g = addr::global_unicast_v6();
                let known_public = pkt.dst.var.is_some() && pkt.dst.var == self.public_var;
                if !known_public && !self.test(&g, pkt.dst) {
                    return Err(Self::block("internet-gateway", &igw.id, format!("{} is not a global IPv6 address", pkt.dst.show())));
                }
                Ok(pkt.src.ip)
            }
        }
    }

    /// From the internet through the internet gateway of the VPC that owns the public address.
    fn enter_from_internet(&mut self, mut pkt: Pkt) -> Result<Arrival, Block> {
        let net = self.net;
        let Some(&(eni, private)) = net.eni_by_public_ip.get(&pkt.dst.ip) else {
            return Err(Self::block("internet", "internet", format!("no network interface in the snapshot owns public address {}", pkt.dst.ip)));
        };
        let vpc = net.enis[eni].vpc;
        match self.enter_eigw {
            // The reply to a connection that left through an egress-only internet gateway.
            Some(g) if pkt.dst.ip.fam == Family::V6 => {
                if !net.eigws[g].vpcs.contains(&vpc) {
                    return Err(Self::block("egress-only-internet-gateway", &net.eigws[g].id, format!("{} is not attached to {}", net.eigws[g].id, net.vpcs[vpc].id)));
                }
                self.hop("egress-only-internet-gateway", &net.eigws[g].id, format!("reply to {}", pkt.dst.ip));
            }
            _ => {
                let Some(g) = net.vpcs[vpc].igw else {
                    return Err(Self::block("vpc", &net.vpcs[vpc].id, format!("{} has no internet gateway", net.vpcs[vpc].id)));
                };
                self.hop("internet-gateway", &net.igws[g].id, if private == pkt.dst.ip { format!("to {}", pkt.dst.ip) } else { format!("translates destination {} to {}", pkt.dst.ip, private) });
            }
        }
        pkt.dst = Addr { ip: private, var: pkt.dst.var };
        let dsub = net.enis[eni].subnet;
        self.apply_nacl(dsub, false, &mut pkt)?;
        if let Some(nat_subnet) = self.undo_nat(eni, &mut pkt) {
            return self.walk(Start::Subnet(nat_subnet), pkt);
        }
        Ok(Arrival { terminal: Terminal::Eni(eni), pkt, sg_refs: false, nats: Vec::new() })
    }

    /// Through a transit gateway: the attachment subnet in the packet's Availability Zone,
    /// the attachment's associated route table (longest prefix, static before propagated,
    /// blackholes drop), then out of the destination attachment into its VPC.
    /// Network ACLs as AWS documents for transit gateways: from an instance to the transit
    /// gateway, the instance subnet's outbound rules and the attachment subnet's inbound rules
    /// (both of the same ACL when they share a subnet); from the transit gateway to an
    /// instance, the attachment subnet's outbound and the instance subnet's inbound rules
    /// (none when they share a subnet).
    /// <https://docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html>
    /// <https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html>
    fn through_tgw(&mut self, t: Idx, cur: Idx, pkt: &mut Pkt) -> Result<(Option<Idx>, bool), Block> {
        let net = self.net;
        let tgw = &net.tgws[t];
        let vpc = net.subnets[cur].vpc;
        let Some(&att) = net.vpc_tgw_attachment.get(&(vpc, t)) else {
            return Err(Self::block("transit-gateway", &tgw.id, format!("{} is not attached to {}", net.vpcs[vpc].id, tgw.id)));
        };
        let a = &net.tgw_attachments[att];
        if !a.available {
            return Err(Self::block("transit-gateway-attachment", &a.id, "the attachment is not available".into()));
        }
        let AttachmentKind::Vpc { subnets, sg_referencing: src_ref, .. } = &a.kind else {
            return Err(Self::block("transit-gateway-attachment", &a.id, "not a VPC attachment".into()));
        };
        let az = &net.subnets[cur].az;
        let Some(&tsub) = subnets.iter().find(|&&s| &net.subnets[s].az == az) else {
            return Err(Self::block("transit-gateway-attachment", &a.id, format!("the attachment has no subnet in {az}; resources in that Availability Zone cannot reach the transit gateway")));
        };
        if tsub == cur {
            self.apply_nacl(cur, true, pkt)?;
            self.apply_nacl(cur, false, pkt)?;
        } else {
            self.cross(cur, tsub, pkt)?;
        }
        self.hop("transit-gateway-attachment", &a.id, format!("into {} through {} ({az})", tgw.id, net.subnets[tsub].id));
        let mut refs_ok = tgw.sg_referencing && *src_ref;
        let mut att_in = att;
        for _ in 0..4 {
            let a_in = &net.tgw_attachments[att_in];
            let Some(rt) = a_in.route_table else {
                return Err(Self::block("transit-gateway-attachment", &a_in.id, "the attachment is not associated with a transit gateway route table".into()));
            };
            let table = &net.tgw_route_tables[rt];
            let mut best = None;
            for r in &table.routes {
                if let Some(b) = best {
                    let b: &crate::model::TgwRoute = b;
                    if r.dest.len < b.dest.len {
                        break;
                    }
                }
                if self.test(&r.dest, pkt.dst) && best.is_none() {
                    best = Some(r);
                }
            }
            let Some(r) = best else {
                return Err(Self::block("transit-gateway-route-table", &table.id, format!("no route to {} in {}", pkt.dst.show(), table.id)));
            };
            if r.blackhole {
                return Err(Self::block("transit-gateway-route-table", &table.id, format!("{} matches blackhole route {}", pkt.dst.show(), r.dest)));
            }
            let Some(&out) = r.attachments.first() else {
                return Err(Self::block("transit-gateway-route-table", &table.id, format!("route {} has no attachment in the snapshot", r.dest)));
            };
            let o = &net.tgw_attachments[out];
            self.hop(
                "transit-gateway-route-table",
                &table.id,
                format!("{} matches {} route {} -> {}", pkt.dst.show(), if r.propagated { "propagated" } else { "static" }, r.dest, o.id),
            );
            match &o.kind {
                AttachmentKind::Vpc { vpc: v2, subnets: s2, sg_referencing } => {
                    refs_ok &= *sg_referencing;
                    if s2.is_empty() {
                        return Err(Self::block("transit-gateway-attachment", &o.id, "the attachment has no subnets in the snapshot".into()));
                    }
                    // The transit gateway keeps traffic in its Availability Zone where it can.
                    let tsub2 = s2.iter().copied().find(|&s| &net.subnets[s].az == az).unwrap_or(s2[0]);
                    self.hop("transit-gateway-attachment", &o.id, format!("out of {} into {} through {}", net.tgws[o.tgw].id, net.vpcs[*v2].id, net.subnets[tsub2].id));
                    return Ok((Some(tsub2), refs_ok));
                }
                AttachmentKind::Peering { peer_tgw: Some(_) } => {
                    att_in = out;
                    refs_ok = false;
                }
                AttachmentKind::Peering { peer_tgw: None } => return Ok((None, false)),
                AttachmentKind::External(kind) => {
                    self.hop("transit-gateway-attachment", &o.id, format!("{kind} attachment: leaves the modelled network"));
                    return Ok((None, false));
                }
            }
        }
        Err(Self::block("transit-gateway", &tgw.id, "too many transit gateway peering hops".into()))
    }

    /// Security-group filter at an interface: the union of every rule of every group (allow
    /// only). A CIDR or prefix-list source matches the remote address; a group source matches
    /// when the remote interface carries that group and references apply on the path.
    /// <https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>
    pub fn sg(&mut self, groups: &[Idx], ingress: bool, remote: Addr, remote_groups: Option<&[Idx]>, proto: Proto, ports: &PortSet) -> (PortSet, Vec<String>) {
        let net = self.net;
        let mut admitted = PortSet::empty();
        let mut why = Vec::new();
        for &g in groups {
            let sg = &net.sgs[g];
            let rules = if ingress { &sg.ingress } else { &sg.egress };
            for r in rules {
                if !r.proto.matches(proto) {
                    continue;
                }
                let hit = match &r.peer {
                    SgPeer::Cidr { cidr, .. } => self.test(cidr, remote),
                    SgPeer::Group(x) => remote_groups.map(|gs| gs.contains(x)).unwrap_or(false),
                    SgPeer::UnknownGroup(_) => false,
                };
                if !hit {
                    continue;
                }
                let m = if proto.has_ports() { ports.intersect(&r.ports) } else { ports.clone() };
                if m.is_empty() {
                    continue;
                }
                let peer = match &r.peer {
                    SgPeer::Cidr { cidr, prefix_list: Some(pl) } => format!("{cidr} (prefix list {pl})"),
                    SgPeer::Cidr { cidr, prefix_list: None } => cidr.to_string(),
                    SgPeer::Group(x) => net.sgs[*x].id.clone(),
                    SgPeer::UnknownGroup(id) => id.clone(),
                };
                let line = format!("{} rule {} allows {} {} {} {peer}", sg.id, r.index, r.proto, port_word(proto, &m), if ingress { "from" } else { "to" });
                if why.len() < 6 && !why.contains(&line) {
                    why.push(line);
                }
                admitted = admitted.union(&m);
            }
        }
        (admitted, why)
    }
}

/// `tcp 22`, `udp 1024-65535`, `icmp type 8`, `all`.
pub fn port_word(proto: Proto, ports: &PortSet) -> String {
    if !proto.has_ports() {
        return String::new();
    }
    if proto.is_icmp() {
        if ports.is_all() {
            "all types".into()
        } else {
            format!("type {ports}")
        }
    } else {
        format!("port {ports}")
    }
}
