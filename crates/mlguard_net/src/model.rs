//! The indexed network: every resource of the snapshot resolved to numeric indices, with
//! rules compiled (CIDRs parsed, prefix lists expanded, routes sorted for longest-prefix match).
//!
//! Building never fails: a resource that cannot be used becomes a diagnostic naming its file
//! and JSON path, and the rest is kept.

use crate::addr::{Cidr, Ip};
use crate::ports::{PortSet, Proto, ProtoMatch};
use mlguard_core::Diagnostic;
use mlguard_snapshot::ec2::{self, Tag};
use mlguard_snapshot::{Inventory, Located};
use std::collections::HashMap;

pub type Idx = usize;

#[derive(Debug, Clone)]
pub struct Vpc {
    pub id: String,
    pub account: String,
    pub region: String,
    pub cidrs: Vec<Cidr>,
    pub tags: Vec<Tag>,
    pub igw: Option<Idx>,
    pub eigw: Option<Idx>,
    pub main_rt: Option<Idx>,
    pub subnets: Vec<Idx>,
}

#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub vpc: Idx,
    pub az: String,
    pub cidrs: Vec<Cidr>,
    /// The route table in force: the explicitly associated one, else the main route table of the subnet's own VPC.
    pub rt: Option<Idx>,
    pub rt_explicit: bool,
    pub nacl: Option<Idx>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteKind {
    /// A route to a CIDR block (static, or the local route).
    Static = 0,
    /// A route whose destination is a prefix list, expanded to one route per entry.
    PrefixList = 1,
    /// Propagated from a virtual private gateway.
    Propagated = 2,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Local,
    Igw(Idx),
    Eigw(Idx),
    Nat(Idx),
    Tgw(Idx),
    Pcx(Idx),
    Vpce(Idx),
    Eni(Idx),
    /// A virtual private gateway, local gateway, carrier gateway or Cloud WAN core network:
    /// traffic leaves the modelled network.
    External(String),
    /// The target id is not in the snapshot.
    Missing(String),
}

#[derive(Debug, Clone)]
pub struct Route {
    pub dest: Cidr,
    pub kind: RouteKind,
    pub target: Target,
    pub target_id: String,
    pub blackhole: bool,
    /// The prefix list id when the route came from one.
    pub prefix_list: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RouteTable {
    pub id: String,
    pub vpc: Idx,
    /// Sorted for lookup: longest prefix first, then static before prefix-list before propagated.
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone)]
pub struct NaclRule {
    pub number: i64,
    pub proto: ProtoMatch,
    pub allow: bool,
    pub cidr: Cidr,
    /// Ports for TCP/UDP, ICMP types for ICMP, everything otherwise.
    pub ports: PortSet,
}

#[derive(Debug, Clone)]
pub struct Nacl {
    pub id: String,
    pub vpc: Idx,
    pub is_default: bool,
    /// Ascending rule number; the implicit `*` deny is not stored.
    pub ingress: Vec<NaclRule>,
    pub egress: Vec<NaclRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SgPeer {
    Cidr { cidr: Cidr, prefix_list: Option<String> },
    Group(Idx),
    /// A referenced group that is not in the snapshot: matches nothing.
    UnknownGroup(String),
}

#[derive(Debug, Clone)]
pub struct SgRule {
    pub proto: ProtoMatch,
    pub ports: PortSet,
    pub peer: SgPeer,
    /// Position of the permission in the API response, for explanations.
    pub index: usize,
}

#[derive(Debug, Clone)]
pub struct Sg {
    pub id: String,
    pub name: String,
    pub vpc: Option<Idx>,
    pub account: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

#[derive(Debug, Clone)]
pub struct Eni {
    pub id: String,
    pub subnet: Idx,
    pub vpc: Idx,
    pub account: String,
    pub region: String,
    pub private_ips: Vec<Ip>,
    pub ipv6: Vec<Ip>,
    /// (private, public) pairs: public IPv4 or Elastic IP associations.
    pub public: Vec<(Ip, Ip)>,
    /// Sorted, deduplicated.
    pub groups: Vec<Idx>,
    pub interface_type: String,
    pub instance: Option<String>,
    pub source_dest_check: bool,
    pub description: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub account: String,
    pub region: String,
    pub instance_type: String,
    pub enis: Vec<Idx>,
    pub tags: Vec<Tag>,
    pub running: bool,
}

#[derive(Debug, Clone)]
pub struct Nat {
    pub id: String,
    pub subnet: Idx,
    pub vpc: Idx,
    pub eni: Option<Idx>,
    pub private_ip: Option<Ip>,
    pub public_ip: Option<Ip>,
    pub public: bool,
    pub available: bool,
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub id: String,
    pub vpcs: Vec<Idx>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Gateway,
    Interface,
    GatewayLoadBalancer,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub kind: EndpointKind,
    pub vpc: Idx,
    pub service: String,
    pub private_dns: bool,
    pub enis: Vec<Idx>,
    pub available: bool,
}

impl Endpoint {
    /// The short service name: `com.amazonaws.us-east-1.sagemaker.api` -> `sagemaker.api`.
    pub fn short_service(&self) -> &str {
        short_service(&self.service)
    }
}

/// `com.amazonaws.us-east-1.sagemaker.api` -> `sagemaker.api`.
pub fn short_service(name: &str) -> &str {
    let mut parts = name.splitn(4, '.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(_), Some(_), Some(rest)) => rest,
        _ => name,
    }
}

#[derive(Debug, Clone)]
pub struct PeerSide {
    pub vpc_id: String,
    pub vpc: Option<Idx>,
    pub cidrs: Vec<Cidr>,
    pub region: String,
}

#[derive(Debug, Clone)]
pub struct Peering {
    pub id: String,
    pub requester: PeerSide,
    pub accepter: PeerSide,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Tgw {
    pub id: String,
    pub account: String,
    pub region: String,
    pub sg_referencing: bool,
    pub default_association: bool,
    pub default_propagation: bool,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone)]
pub enum AttachmentKind {
    Vpc { vpc: Idx, subnets: Vec<Idx>, sg_referencing: bool },
    /// Peering to another transit gateway (by id, if it is in the snapshot).
    Peering { peer_tgw: Option<Idx> },
    /// VPN, Direct Connect gateway, Connect, network function: leaves the modelled network.
    External(String),
}

#[derive(Debug, Clone)]
pub struct TgwAttachment {
    pub id: String,
    pub tgw: Idx,
    pub kind: AttachmentKind,
    pub route_table: Option<Idx>,
    pub available: bool,
}

#[derive(Debug, Clone)]
pub struct TgwRoute {
    pub dest: Cidr,
    pub propagated: bool,
    pub blackhole: bool,
    pub attachments: Vec<Idx>,
    pub prefix_list: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TgwRouteTable {
    pub id: String,
    pub tgw: Idx,
    /// Sorted: longest prefix first, static before propagated.
    pub routes: Vec<TgwRoute>,
    /// Whether the routes came from `search-transit-gateway-routes` (else derived from propagations).
    pub routes_known: bool,
}

/// The whole indexed network.
#[derive(Debug, Default)]
pub struct Net {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub nacls: Vec<Nacl>,
    pub sgs: Vec<Sg>,
    pub enis: Vec<Eni>,
    pub instances: Vec<Instance>,
    pub nats: Vec<Nat>,
    pub igws: Vec<Gateway>,
    pub eigws: Vec<Gateway>,
    pub endpoints: Vec<Endpoint>,
    pub peerings: Vec<Peering>,
    pub tgws: Vec<Tgw>,
    pub tgw_attachments: Vec<TgwAttachment>,
    pub tgw_route_tables: Vec<TgwRouteTable>,
    /// Prefix list id -> (name, CIDRs), AWS-managed and customer-managed.
    pub prefix_lists: HashMap<String, (String, Vec<Cidr>)>,
    pub vpc_by_id: HashMap<String, Idx>,
    pub subnet_by_id: HashMap<String, Idx>,
    pub sg_by_id: HashMap<String, Idx>,
    pub eni_by_id: HashMap<String, Idx>,
    pub instance_by_id: HashMap<String, Idx>,
    pub tgw_by_id: HashMap<String, Idx>,
    pub tgw_attachment_by_id: HashMap<String, Idx>,
    pub tgw_rt_by_id: HashMap<String, Idx>,
    /// (VPC, private address) -> ENI.
    pub eni_by_ip: HashMap<(Idx, Ip), Idx>,
    /// Public IPv4 -> (ENI, private address it maps to).
    pub eni_by_public_ip: HashMap<Ip, (Idx, Ip)>,
    /// (VPC, private address) -> public address, for the internet gateway's one-to-one NAT.
    pub public_of_private: HashMap<(Idx, Ip), Ip>,
    /// Per VPC: (TGW) -> VPC attachment.
    pub vpc_tgw_attachment: HashMap<(Idx, Idx), Idx>,
    /// Per security group: the ENIs that carry it.
    pub sg_members: Vec<Vec<Idx>>,
    pub diagnostics: Vec<Diagnostic>,
}

fn warn<T>(d: &mut Vec<Diagnostic>, l: &Located<T>, path: &str, msg: String) {
    d.push(Diagnostic::warning(&l.file, path, msg));
}

fn cidr_or_warn<T>(d: &mut Vec<Diagnostic>, l: &Located<T>, path: &str, s: &str) -> Option<Cidr> {
    let c = Cidr::parse(s);
    if c.is_none() {
        warn(d, l, path, format!("expected a CIDR block, found `{s}`; ignored"));
    }
    c
}

fn nonzero_state_ok(s: &Option<String>, ok: &[&str]) -> bool {
    match s {
        None => true,
        Some(s) => ok.iter().any(|o| s.eq_ignore_ascii_case(o)),
    }
}

impl Net {
    /// Builds the indexed network from a loaded inventory.
    pub fn build(inv: &Inventory) -> Net {
        let mut net = Net::default();
        let mut diags: Vec<Diagnostic> = Vec::new();
        let d = &mut diags;
        let e = &inv.ec2;

        // Prefix lists first: routes and rules refer to them.
        for pl in &e.prefix_lists {
            let cidrs = pl.cidrs.iter().enumerate().filter_map(|(i, c)| cidr_or_warn(d, pl, &format!("$.PrefixLists[?].Cidrs[{i}]"), c)).collect();
            net.prefix_lists.insert(pl.prefix_list_id.clone(), (pl.prefix_list_name.clone().unwrap_or_default(), cidrs));
        }
        for pl in &e.managed_prefix_lists {
            net.prefix_lists.entry(pl.prefix_list_id.clone()).or_insert_with(|| (pl.prefix_list_name.clone().unwrap_or_default(), Vec::new()));
        }
        for entry in &e.prefix_list_entries {
            let Some(pl_id) = entry.resource.clone() else { continue };
            if let Some(c) = cidr_or_warn(d, entry, "$.Entries[?].Cidr", &entry.cidr) {
                net.prefix_lists.entry(pl_id).or_insert_with(|| (String::new(), Vec::new())).1.push(c);
            }
        }

        for v in &e.vpcs {
            let mut cidrs = Vec::new();
            let seen = |c: Cidr, cidrs: &mut Vec<Cidr>| {
                if !cidrs.contains(&c) {
                    cidrs.push(c)
                }
            };
            if let Some(c) = v.cidr_block.as_deref().and_then(|s| cidr_or_warn(d, v, "$.Vpcs[?].CidrBlock", s)) {
                seen(c, &mut cidrs);
            }
            for a in &v.cidr_block_association_set {
                let st = a.cidr_block_state.as_ref().and_then(|s| s.state.clone());
                if nonzero_state_ok(&st, &["associated"]) {
                    if let Some(c) = cidr_or_warn(d, v, "$.Vpcs[?].CidrBlockAssociationSet[?].CidrBlock", &a.cidr_block) {
                        seen(c, &mut cidrs);
                    }
                }
            }
            for a in &v.ipv6_cidr_block_association_set {
                let st = a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.clone());
                if nonzero_state_ok(&st, &["associated"]) {
                    if let Some(c) = cidr_or_warn(d, v, "$.Vpcs[?].Ipv6CidrBlockAssociationSet[?].Ipv6CidrBlock", &a.ipv6_cidr_block) {
                        seen(c, &mut cidrs);
                    }
                }
            }
            if net.vpc_by_id.contains_key(&v.vpc_id) {
                warn(d, v, "$.Vpcs", format!("duplicate VPC `{}`; the first one is kept", v.vpc_id));
                continue;
            }
            net.vpc_by_id.insert(v.vpc_id.clone(), net.vpcs.len());
            net.vpcs.push(Vpc {
                id: v.vpc_id.clone(),
                account: v.owner_id.clone().unwrap_or_else(|| v.account.clone()),
                region: v.region.clone(),
                cidrs,
                tags: v.tags.clone(),
                igw: None,
                eigw: None,
                main_rt: None,
                subnets: Vec::new(),
            });
        }

        for g in &e.internet_gateways {
            let idx = net.igws.len();
            let mut vpcs = Vec::new();
            for a in &g.attachments {
                if !nonzero_state_ok(&a.state, &["available", "attached"]) {
                    continue;
                }
                match net.vpc_by_id.get(&a.vpc_id) {
                    Some(&v) => {
                        net.vpcs[v].igw = Some(idx);
                        vpcs.push(v);
                    }
                    None => warn(d, g, "$.InternetGateways[?].Attachments", format!("`{}` is attached to unknown VPC `{}`", g.internet_gateway_id, a.vpc_id)),
                }
            }
            net.igws.push(Gateway { id: g.internet_gateway_id.clone(), vpcs });
        }
        for g in &e.egress_only_internet_gateways {
            let idx = net.eigws.len();
            let mut vpcs = Vec::new();
            for a in &g.attachments {
                if !nonzero_state_ok(&a.state, &["attached", "available"]) {
                    continue;
                }
                if let Some(&v) = net.vpc_by_id.get(&a.vpc_id) {
                    net.vpcs[v].eigw = Some(idx);
                    vpcs.push(v);
                }
            }
            net.eigws.push(Gateway { id: g.egress_only_internet_gateway_id.clone(), vpcs });
        }

        for s in &e.subnets {
            let Some(&vpc) = net.vpc_by_id.get(&s.vpc_id) else {
                warn(d, s, "$.Subnets[?].VpcId", format!("subnet `{}` references unknown VPC `{}`; skipped", s.subnet_id, s.vpc_id));
                continue;
            };
            let mut cidrs = Vec::new();
            if let Some(c) = s.cidr_block.as_deref().and_then(|c| cidr_or_warn(d, s, "$.Subnets[?].CidrBlock", c)) {
                cidrs.push(c);
            }
            for a in &s.ipv6_cidr_block_association_set {
                let st = a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.clone());
                if nonzero_state_ok(&st, &["associated"]) {
                    if let Some(c) = cidr_or_warn(d, s, "$.Subnets[?].Ipv6CidrBlockAssociationSet[?].Ipv6CidrBlock", &a.ipv6_cidr_block) {
                        cidrs.push(c);
                    }
                }
            }
            if net.subnet_by_id.contains_key(&s.subnet_id) {
                continue;
            }
            net.subnet_by_id.insert(s.subnet_id.clone(), net.subnets.len());
            net.vpcs[vpc].subnets.push(net.subnets.len());
            net.subnets.push(Subnet {
                id: s.subnet_id.clone(),
                vpc,
                az: s.availability_zone.clone().unwrap_or_default(),
                cidrs,
                rt: None,
                rt_explicit: false,
                nacl: None,
                tags: s.tags.clone(),
            });
        }

        // Security groups (rules resolved after all groups are known).
        for g in &e.security_groups {
            if net.sg_by_id.contains_key(&g.group_id) {
                continue;
            }
            let vpc = g.vpc_id.as_ref().and_then(|v| net.vpc_by_id.get(v).copied());
            net.sg_by_id.insert(g.group_id.clone(), net.sgs.len());
            net.sgs.push(Sg {
                id: g.group_id.clone(),
                name: g.group_name.clone().unwrap_or_default(),
                vpc,
                account: g.owner_id.clone().unwrap_or_else(|| g.account.clone()),
                ingress: Vec::new(),
                egress: Vec::new(),
            });
        }
        for g in &e.security_groups {
            let Some(&idx) = net.sg_by_id.get(&g.group_id) else { continue };
            if !net.sgs[idx].ingress.is_empty() || !net.sgs[idx].egress.is_empty() {
                continue;
            }
            let ingress = compile_sg_rules(&net, d, g, &g.ip_permissions, "IpPermissions");
            let egress = compile_sg_rules(&net, d, g, &g.ip_permissions_egress, "IpPermissionsEgress");
            net.sgs[idx].ingress = ingress;
            net.sgs[idx].egress = egress;
        }

        // Gateways with ENIs: NATs, endpoints, TGWs, peerings need the ENIs and route tables.
        for n in &e.network_interfaces {
            let Some(&subnet) = net.subnet_by_id.get(&n.subnet_id) else {
                warn(d, n, "$.NetworkInterfaces[?].SubnetId", format!("network interface `{}` references unknown subnet `{}`; skipped", n.network_interface_id, n.subnet_id));
                continue;
            };
            if net.eni_by_id.contains_key(&n.network_interface_id) {
                continue;
            }
            let (private_ips, public, bad) = addresses(n.private_ip_address.as_deref(), &n.private_ip_addresses, n.association.as_ref());
            for (i, text) in bad {
                warn(d, n, &format!("$.NetworkInterfaces[?].PrivateIpAddresses[{i}]"), format!("expected an IP address, found `{text}`"));
            }
            let mut groups = Vec::new();
            for g in &n.groups {
                match net.sg_by_id.get(&g.group_id) {
                    Some(&s) => groups.push(s),
                    None => warn(d, n, "$.NetworkInterfaces[?].Groups", format!("network interface `{}` carries unknown security group `{}`; that group admits nothing", n.network_interface_id, g.group_id)),
                }
            }
            net.add_eni(Eni {
                id: n.network_interface_id.clone(),
                subnet,
                vpc: net.subnets[subnet].vpc,
                account: n.owner_id.clone().unwrap_or_else(|| n.account.clone()),
                region: n.region.clone(),
                private_ips,
                ipv6: n.ipv6_addresses.iter().filter_map(|a| Ip::parse(&a.ipv6_address)).collect(),
                public,
                groups,
                interface_type: n.interface_type.clone().unwrap_or_else(|| "interface".into()),
                instance: n.attachment.as_ref().and_then(|a| a.instance_id.clone()),
                source_dest_check: n.source_dest_check.unwrap_or(true),
                description: n.description.clone().unwrap_or_default(),
                tags: n.tag_set.clone(),
            });
        }

        // Instances; their ENIs may be missing from describe-network-interfaces.
        for i in &e.instances {
            if net.instance_by_id.contains_key(&i.instance_id) {
                continue;
            }
            let mut enis = Vec::new();
            for ni in &i.network_interfaces {
                if let Some(&x) = net.eni_by_id.get(&ni.network_interface_id) {
                    enis.push(x);
                    continue;
                }
                // Build the ENI from the instance's own description.
                let subnet_id = ni.subnet_id.clone().or_else(|| i.subnet_id.clone()).unwrap_or_default();
                let Some(&subnet) = net.subnet_by_id.get(&subnet_id) else {
                    warn(d, i, "$.Reservations[?].Instances[?].NetworkInterfaces", format!("instance `{}` interface `{}` is in unknown subnet `{subnet_id}`; skipped", i.instance_id, ni.network_interface_id));
                    continue;
                };
                let (private_ips, public, _) = addresses(ni.private_ip_address.as_deref(), &ni.private_ip_addresses, ni.association.as_ref());
                let idx = net.add_eni(Eni {
                    id: ni.network_interface_id.clone(),
                    subnet,
                    vpc: net.subnets[subnet].vpc,
                    account: i.account.clone(),
                    region: i.region.clone(),
                    private_ips,
                    ipv6: ni.ipv6_addresses.iter().filter_map(|a| Ip::parse(&a.ipv6_address)).collect(),
                    public,
                    groups: ni.groups.iter().filter_map(|g| net.sg_by_id.get(&g.group_id).copied()).collect(),
                    interface_type: "interface".into(),
                    instance: Some(i.instance_id.clone()),
                    source_dest_check: true,
                    description: String::new(),
                    tags: Vec::new(),
                });
                enis.push(idx);
            }
            let running = i.state.as_ref().and_then(|s| s.name.as_deref()).map(|s| s != "terminated").unwrap_or(true);
            net.instance_by_id.insert(i.instance_id.clone(), net.instances.len());
            net.instances.push(Instance {
                id: i.instance_id.clone(),
                account: i.account.clone(),
                region: i.region.clone(),
                instance_type: i.instance_type.clone().unwrap_or_default(),
                enis,
                tags: i.tags.clone(),
                running,
            });
        }

        for n in &e.nat_gateways {
            let (Some(&subnet), Some(&vpc)) = (net.subnet_by_id.get(&n.subnet_id), net.vpc_by_id.get(&n.vpc_id)) else {
                warn(d, n, "$.NatGateways[?].SubnetId", format!("NAT gateway `{}` references unknown subnet `{}`; skipped", n.nat_gateway_id, n.subnet_id));
                continue;
            };
            let primary = n.nat_gateway_addresses.iter().find(|a| a.is_primary.unwrap_or(true)).or(n.nat_gateway_addresses.first());
            let eni = primary.and_then(|a| a.network_interface_id.as_ref()).and_then(|id| net.eni_by_id.get(id).copied());
            let private_ip = primary.and_then(|a| a.private_ip.as_deref()).and_then(Ip::parse);
            let public_ip = primary.and_then(|a| a.public_ip.as_deref()).and_then(Ip::parse);
            let public = n.connectivity_type.as_deref().map(|c| c.eq_ignore_ascii_case("public")).unwrap_or(true);
            if let (Some(p), Some(q)) = (private_ip, public_ip) {
                net.public_of_private.insert((vpc, p), q);
                if let Some(x) = eni {
                    net.eni_by_public_ip.insert(q, (x, p));
                }
            }
            if let (Some(p), Some(x)) = (private_ip, eni) {
                net.eni_by_ip.insert((vpc, p), x);
            }
            net.nats.push(Nat {
                id: n.nat_gateway_id.clone(),
                subnet,
                vpc,
                eni,
                private_ip,
                public_ip,
                public,
                available: nonzero_state_ok(&n.state, &["available"]),
            });
        }

        for p in &e.vpc_peering_connections {
            let side = |i: &ec2::PeeringVpcInfo, net: &Net| {
                let mut cidrs: Vec<Cidr> = i.cidr_block_set.iter().filter_map(|c| Cidr::parse(&c.cidr_block)).collect();
                if let Some(c) = i.cidr_block.as_deref().and_then(Cidr::parse) {
                    if !cidrs.contains(&c) {
                        cidrs.push(c);
                    }
                }
                cidrs.extend(i.ipv6_cidr_block_set.iter().filter_map(|c| Cidr::parse(&c.ipv6_cidr_block)));
                PeerSide { vpc_id: i.vpc_id.clone(), vpc: net.vpc_by_id.get(&i.vpc_id).copied(), cidrs, region: i.region.clone().unwrap_or_default() }
            };
            let requester = side(&p.requester_vpc_info, &net);
            let accepter = side(&p.accepter_vpc_info, &net);
            let active = p.status.as_ref().and_then(|s| s.code.as_deref()).map(|c| c == "active").unwrap_or(false);
            net.peerings.push(Peering { id: p.vpc_peering_connection_id.clone(), requester, accepter, active });
        }

        for v in &e.vpc_endpoints {
            let Some(&vpc) = net.vpc_by_id.get(&v.vpc_id) else {
                warn(d, v, "$.VpcEndpoints[?].VpcId", format!("endpoint `{}` references unknown VPC `{}`; skipped", v.vpc_endpoint_id, v.vpc_id));
                continue;
            };
            let kind = match v.vpc_endpoint_type.as_deref() {
                Some("Gateway") => EndpointKind::Gateway,
                Some("GatewayLoadBalancer") => EndpointKind::GatewayLoadBalancer,
                _ => EndpointKind::Interface,
            };
            let enis = v.network_interface_ids.iter().filter_map(|id| net.eni_by_id.get(id).copied()).collect();
            net.endpoints.push(Endpoint {
                id: v.vpc_endpoint_id.clone(),
                kind,
                vpc,
                service: v.service_name.clone(),
                private_dns: v.private_dns_enabled,
                enis,
                available: nonzero_state_ok(&v.state, &["available", "Available"]),
            });
        }

        // Transit gateways.
        for t in &e.transit_gateways {
            if net.tgw_by_id.contains_key(&t.transit_gateway_id) {
                continue;
            }
            let o = &t.options;
            let enabled = |s: &Option<String>| s.as_deref().map(|s| s.eq_ignore_ascii_case("enable")).unwrap_or(false);
            net.tgw_by_id.insert(t.transit_gateway_id.clone(), net.tgws.len());
            net.tgws.push(Tgw {
                id: t.transit_gateway_id.clone(),
                account: t.owner_id.clone().unwrap_or_else(|| t.account.clone()),
                region: t.region.clone(),
                sg_referencing: enabled(&o.security_group_referencing_support),
                default_association: enabled(&o.default_route_table_association),
                default_propagation: enabled(&o.default_route_table_propagation),
                tags: t.tags.clone(),
            });
        }
        for r in &e.transit_gateway_route_tables {
            let Some(&tgw) = net.tgw_by_id.get(&r.transit_gateway_id) else {
                warn(d, r, "$.TransitGatewayRouteTables[?].TransitGatewayId", format!("route table `{}` references unknown transit gateway `{}`; skipped", r.transit_gateway_route_table_id, r.transit_gateway_id));
                continue;
            };
            if net.tgw_rt_by_id.contains_key(&r.transit_gateway_route_table_id) {
                continue;
            }
            net.tgw_rt_by_id.insert(r.transit_gateway_route_table_id.clone(), net.tgw_route_tables.len());
            net.tgw_route_tables.push(TgwRouteTable { id: r.transit_gateway_route_table_id.clone(), tgw, routes: Vec::new(), routes_known: false });
        }
        let vpc_att: HashMap<&str, &Located<ec2::TransitGatewayVpcAttachment>> =
            e.transit_gateway_vpc_attachments.iter().map(|a| (a.transit_gateway_attachment_id.as_str(), a)).collect();
        let mut seen_att = std::collections::HashSet::new();
        // Attachments from describe-transit-gateway-attachments, plus VPC attachments only listed in the VPC call.
        // (attachment, transit gateway, resource type, resource, associated route table, state)
        #[allow(clippy::type_complexity)]
        let mut generic: Vec<(String, String, String, Option<String>, Option<String>, Option<String>)> = Vec::new();
        for a in &e.transit_gateway_attachments {
            generic.push((
                a.transit_gateway_attachment_id.clone(),
                a.transit_gateway_id.clone(),
                a.resource_type.clone().unwrap_or_default(),
                a.resource_id.clone(),
                a.association.as_ref().and_then(|x| x.transit_gateway_route_table_id.clone()),
                a.state.clone(),
            ));
        }
        for a in &e.transit_gateway_vpc_attachments {
            generic.push((a.transit_gateway_attachment_id.clone(), a.transit_gateway_id.clone(), "vpc".into(), Some(a.vpc_id.clone()), None, a.state.clone()));
        }
        for (id, tgw_id, rtype, rid, assoc, state) in generic {
            if !seen_att.insert(id.clone()) {
                continue;
            }
            let Some(&tgw) = net.tgw_by_id.get(&tgw_id) else {
                d.push(Diagnostic::warning("ec2/describe-transit-gateway-attachments.json", "", format!("attachment `{id}` references unknown transit gateway `{tgw_id}`; skipped")));
                continue;
            };
            let kind = match rtype.as_str() {
                "vpc" => {
                    let Some(vpc) = rid.as_ref().and_then(|v| net.vpc_by_id.get(v).copied()) else {
                        d.push(Diagnostic::warning("ec2/describe-transit-gateway-attachments.json", "", format!("attachment `{id}` attaches unknown VPC `{}`; skipped", rid.clone().unwrap_or_default())));
                        continue;
                    };
                    let (subnets, sgref) = match vpc_att.get(id.as_str()) {
                        Some(va) => (
                            va.subnet_ids.iter().filter_map(|s| net.subnet_by_id.get(s).copied()).collect(),
                            va.options.security_group_referencing_support.as_deref().map(|s| s.eq_ignore_ascii_case("enable")).unwrap_or(false),
                        ),
                        None => {
                            d.push(Diagnostic::warning("ec2/describe-transit-gateway-vpc-attachments.json", "", format!("no subnets known for VPC attachment `{id}` (missing from describe-transit-gateway-vpc-attachments); traffic cannot enter the transit gateway through it")));
                            (Vec::new(), false)
                        }
                    };
                    net.vpc_tgw_attachment.insert((vpc, tgw), net.tgw_attachments.len());
                    AttachmentKind::Vpc { vpc, subnets, sg_referencing: sgref }
                }
                "peering" => AttachmentKind::Peering { peer_tgw: None },
                other => AttachmentKind::External(other.to_string()),
            };
            let route_table = assoc.and_then(|r| net.tgw_rt_by_id.get(&r).copied());
            net.tgw_attachment_by_id.insert(id.clone(), net.tgw_attachments.len());
            net.tgw_attachments.push(TgwAttachment {
                id,
                tgw,
                kind,
                route_table,
                available: nonzero_state_ok(&state, &["available", "modifying"]),
            });
        }
        for a in &e.transit_gateway_associations {
            let (Some(rt), Some(&att)) = (a.resource.as_ref().and_then(|r| net.tgw_rt_by_id.get(r).copied()), net.tgw_attachment_by_id.get(&a.transit_gateway_attachment_id)) else { continue };
            if nonzero_state_ok(&a.state, &["associated", "associating"]) {
                net.tgw_attachments[att].route_table = Some(rt);
            }
        }
        for r in &e.transit_gateway_routes {
            let Some(&rt) = r.resource.as_ref().and_then(|x| net.tgw_rt_by_id.get(x)) else {
                warn(d, r, "", format!("routes for unknown transit gateway route table `{}`; skipped", r.resource.clone().unwrap_or_default()));
                continue;
            };
            let blackhole = r.state.as_deref() == Some("blackhole");
            if !blackhole && !nonzero_state_ok(&r.state, &["active"]) {
                continue;
            }
            let attachments: Vec<Idx> = r.transit_gateway_attachments.iter().filter_map(|a| net.tgw_attachment_by_id.get(&a.transit_gateway_attachment_id).copied()).collect();
            let propagated = r.kind.as_deref() == Some("propagated");
            let dests: Vec<(Cidr, Option<String>)> = match (&r.destination_cidr_block, &r.prefix_list_id) {
                (Some(c), _) => cidr_or_warn(d, r, "$.Routes[?].DestinationCidrBlock", c).map(|c| vec![(c, None)]).unwrap_or_default(),
                (None, Some(pl)) => net.prefix_lists.get(pl).map(|(_, cs)| cs.iter().map(|c| (*c, Some(pl.clone()))).collect()).unwrap_or_default(),
                _ => Vec::new(),
            };
            for (dest, prefix_list) in dests {
                net.tgw_route_tables[rt].routes.push(TgwRoute { dest, propagated, blackhole, attachments: attachments.clone(), prefix_list });
            }
        }
        for id in &e.transit_gateway_route_tables_searched {
            if let Some(&rt) = net.tgw_rt_by_id.get(id) {
                net.tgw_route_tables[rt].routes_known = true;
            }
        }
        // Route tables with no search-transit-gateway-routes file: derive propagated routes.
        for p in &e.transit_gateway_propagations {
            let Some(&rt) = p.resource.as_ref().and_then(|r| net.tgw_rt_by_id.get(r)) else { continue };
            if net.tgw_route_tables[rt].routes_known || !nonzero_state_ok(&p.state, &["enabled", "enabling"]) {
                continue;
            }
            let Some(&att) = net.tgw_attachment_by_id.get(&p.transit_gateway_attachment_id) else { continue };
            if let AttachmentKind::Vpc { vpc, .. } = net.tgw_attachments[att].kind {
                for c in net.vpcs[vpc].cidrs.clone() {
                    net.tgw_route_tables[rt].routes.push(TgwRoute { dest: c, propagated: true, blackhole: false, attachments: vec![att], prefix_list: None });
                }
            }
        }
        for rt in &mut net.tgw_route_tables {
            if !rt.routes_known && !rt.routes.is_empty() {
                d.push(Diagnostic::warning(
                    format!("ec2/{}/search-transit-gateway-routes.json", rt.id),
                    "",
                    format!("missing; routes of `{}` were derived from its propagations only (static routes unknown)", rt.id),
                ));
            }
            rt.routes.sort_by(|a, b| b.dest.len.cmp(&a.dest.len).then(a.propagated.cmp(&b.propagated)));
        }

        // Route tables.
        let mut explicit: HashMap<String, Idx> = HashMap::new();
        for r in &e.route_tables {
            let Some(&vpc) = net.vpc_by_id.get(&r.vpc_id) else {
                warn(d, r, "$.RouteTables[?].VpcId", format!("route table `{}` references unknown VPC `{}`; skipped", r.route_table_id, r.vpc_id));
                continue;
            };
            let idx = net.route_tables.len();
            let mut routes = Vec::new();
            for (i, rr) in r.routes.iter().enumerate() {
                let path = format!("$.RouteTables[?].Routes[{i}]");
                let (target, target_id) = resolve_target(&net, rr);
                let blackhole = rr.state.as_deref() == Some("blackhole");
                let kind = if rr.origin.as_deref() == Some("EnableVgwRoutePropagation") { RouteKind::Propagated } else { RouteKind::Static };
                if let Some(c) = rr.destination_cidr_block.as_deref().or(rr.destination_ipv6_cidr_block.as_deref()) {
                    if let Some(dest) = cidr_or_warn(d, r, &path, c) {
                        routes.push(Route { dest, kind, target: target.clone(), target_id: target_id.clone(), blackhole, prefix_list: None });
                    }
                } else if let Some(pl) = &rr.destination_prefix_list_id {
                    match net.prefix_lists.get(pl) {
                        Some((_, cidrs)) => {
                            for c in cidrs {
                                routes.push(Route { dest: *c, kind: RouteKind::PrefixList, target: target.clone(), target_id: target_id.clone(), blackhole, prefix_list: Some(pl.clone()) });
                            }
                        }
                        None => warn(d, r, &path, format!("route to prefix list `{pl}` whose entries are not in the snapshot (add describe-prefix-lists or get-managed-prefix-list-entries); route ignored")),
                    }
                }
            }
            routes.sort_by(|a, b| b.dest.len.cmp(&a.dest.len).then(a.kind.cmp(&b.kind)));
            for a in &r.associations {
                let st = a.association_state.as_ref().and_then(|s| s.state.clone());
                if !nonzero_state_ok(&st, &["associated"]) {
                    continue;
                }
                if a.main {
                    net.vpcs[vpc].main_rt = Some(idx);
                }
                if let Some(s) = &a.subnet_id {
                    explicit.insert(s.clone(), idx);
                }
                if a.gateway_id.is_some() {
                    warn(d, r, "$.RouteTables[?].Associations", format!("`{}` is a gateway route table (edge association); ingress routing is not modelled, traffic from the gateway is assumed to go straight to its destination", r.route_table_id));
                }
            }
            net.route_tables.push(RouteTable { id: r.route_table_id.clone(), vpc, routes });
        }
        for s in 0..net.subnets.len() {
            let sid = net.subnets[s].id.clone();
            match explicit.get(&sid) {
                Some(&rt) if net.route_tables[rt].vpc == net.subnets[s].vpc => {
                    net.subnets[s].rt = Some(rt);
                    net.subnets[s].rt_explicit = true;
                }
                _ => {
                    // AWS: a subnet without an explicit association uses the main route table of its own VPC.
                    net.subnets[s].rt = net.vpcs[net.subnets[s].vpc].main_rt;
                }
            }
            if net.subnets[s].rt.is_none() {
                net.diagnostics.push(Diagnostic::warning("ec2/describe-route-tables.json", "", format!("no route table known for subnet `{sid}` (no explicit association and no main route table in its VPC); its traffic is not routed")));
            }
        }

        // Network ACLs.
        for a in &e.network_acls {
            let Some(&vpc) = net.vpc_by_id.get(&a.vpc_id) else {
                warn(d, a, "$.NetworkAcls[?].VpcId", format!("network ACL `{}` references unknown VPC `{}`; skipped", a.network_acl_id, a.vpc_id));
                continue;
            };
            let idx = net.nacls.len();
            let mut ingress = Vec::new();
            let mut egress = Vec::new();
            for (i, en) in a.entries.iter().enumerate() {
                let path = format!("$.NetworkAcls[?].Entries[{i}]");
                if en.rule_number >= 32767 {
                    continue; // the implicit `*` rule
                }
                let Some(proto) = ProtoMatch::parse(&en.protocol) else {
                    warn(d, a, &path, format!("expected a protocol number or -1, found `{}`; rule ignored", en.protocol));
                    continue;
                };
                let Some(cidr) = en.cidr_block.as_deref().or(en.ipv6_cidr_block.as_deref()).and_then(Cidr::parse) else {
                    warn(d, a, &path, "expected CidrBlock or Ipv6CidrBlock; rule ignored".to_string());
                    continue;
                };
                let ports = match proto {
                    ProtoMatch::One(p) if p == Proto::Tcp || p == Proto::Udp => match en.port_range {
                        Some(r) => range_of(r.from, r.to),
                        None => PortSet::all(),
                    },
                    ProtoMatch::One(p) if p.is_icmp() => match en.icmp_type_code.and_then(|t| t.kind) {
                        Some(t) if t >= 0 => range_of(Some(t), Some(t)),
                        _ => PortSet::all(),
                    },
                    _ => PortSet::all(),
                };
                let rule = NaclRule { number: en.rule_number, proto, allow: en.rule_action.eq_ignore_ascii_case("allow"), cidr, ports };
                if en.egress {
                    egress.push(rule);
                } else {
                    ingress.push(rule);
                }
            }
            ingress.sort_by_key(|r| r.number);
            egress.sort_by_key(|r| r.number);
            for s in &a.associations {
                if let Some(&sub) = net.subnet_by_id.get(&s.subnet_id) {
                    net.subnets[sub].nacl = Some(idx);
                }
            }
            net.nacls.push(Nacl { id: a.network_acl_id.clone(), vpc, is_default: a.is_default, ingress, egress });
        }
        for s in &net.subnets {
            if s.nacl.is_none() {
                net.diagnostics.push(Diagnostic::warning("ec2/describe-network-acls.json", "", format!("no network ACL is associated with subnet `{}`; its traffic is treated as denied (AWS always associates one)", s.id)));
            }
        }

        diags.append(&mut net.diagnostics);
        net.diagnostics = diags;
        net.sg_members = vec![Vec::new(); net.sgs.len()];
        for (i, eni) in net.enis.iter().enumerate() {
            for &g in &eni.groups {
                net.sg_members[g].push(i);
            }
        }
        net
    }

    /// Adds an interface and indexes its addresses; returns its index.
    fn add_eni(&mut self, mut eni: Eni) -> Idx {
        eni.groups.sort_unstable();
        eni.groups.dedup();
        let idx = self.enis.len();
        let vpc = eni.vpc;
        for ip in eni.private_ips.iter().chain(eni.ipv6.iter()) {
            self.eni_by_ip.insert((vpc, *ip), idx);
        }
        for (p, q) in &eni.public {
            self.eni_by_public_ip.insert(*q, (idx, *p));
            self.public_of_private.insert((vpc, *p), *q);
        }
        // IPv6 addresses are public as they are.
        for ip in &eni.ipv6 {
            self.eni_by_public_ip.insert(*ip, (idx, *ip));
        }
        self.eni_by_id.insert(eni.id.clone(), idx);
        self.enis.push(eni);
        idx
    }

    pub fn vpc_of_subnet(&self, s: Idx) -> &Vpc {
        &self.vpcs[self.subnets[s].vpc]
    }

    /// The VPC name tag or id, for explanations.
    pub fn vpc_label(&self, v: Idx) -> String {
        let vpc = &self.vpcs[v];
        match ec2::tag(&vpc.tags, "Name") {
            Some(n) if !n.is_empty() => format!("{} ({n})", vpc.id),
            _ => vpc.id.clone(),
        }
    }
}

/// The private addresses of an interface (primary first) and their public or Elastic IP
/// associations, with the unparseable entries (index, text).
#[allow(clippy::type_complexity)]
fn addresses(primary: Option<&str>, list: &[ec2::PrivateIpAddress], assoc: Option<&ec2::PublicIpAssociation>) -> (Vec<Ip>, Vec<(Ip, Ip)>, Vec<(usize, String)>) {
    let mut private_ips = Vec::new();
    let mut public = Vec::new();
    let mut bad = Vec::new();
    let public_of = |a: Option<&ec2::PublicIpAssociation>| a.and_then(|a| a.public_ip.as_deref()).and_then(Ip::parse);
    for (i, p) in list.iter().enumerate() {
        match Ip::parse(&p.private_ip_address) {
            Some(ip) => {
                if !private_ips.contains(&ip) {
                    private_ips.push(ip);
                }
                if let Some(q) = public_of(p.association.as_ref()) {
                    public.push((ip, q));
                }
            }
            None => bad.push((i, p.private_ip_address.clone())),
        }
    }
    if let Some(ip) = primary.and_then(Ip::parse) {
        if let Some(pos) = private_ips.iter().position(|x| *x == ip) {
            private_ips.remove(pos);
        }
        private_ips.insert(0, ip);
        if let Some(q) = public_of(assoc) {
            if !public.iter().any(|(p, _)| *p == ip) {
                public.push((ip, q));
            }
        }
    }
    (private_ips, public, bad)
}

fn range_of(from: Option<i64>, to: Option<i64>) -> PortSet {
    match (from, to) {
        (Some(a), Some(b)) if (0..=65535).contains(&a) && (0..=65535).contains(&b) => PortSet::range(a as u16, b as u16),
        (Some(a), None) if (0..=65535).contains(&a) => PortSet::single(a as u16),
        _ => PortSet::all(),
    }
}

fn resolve_target(net: &Net, r: &ec2::Route) -> (Target, String) {
    if let Some(g) = &r.gateway_id {
        if g == "local" {
            return (Target::Local, g.clone());
        }
        if g.starts_with("igw-") {
            return (net.igws.iter().position(|x| &x.id == g).map(Target::Igw).unwrap_or(Target::Missing(g.clone())), g.clone());
        }
        if g.starts_with("vpce-") {
            return (net.endpoints.iter().position(|x| &x.id == g).map(Target::Vpce).unwrap_or(Target::Missing(g.clone())), g.clone());
        }
        return (Target::External(g.clone()), g.clone());
    }
    if let Some(n) = &r.nat_gateway_id {
        return (net.nats.iter().position(|x| &x.id == n).map(Target::Nat).unwrap_or(Target::Missing(n.clone())), n.clone());
    }
    if let Some(t) = &r.transit_gateway_id {
        return (net.tgw_by_id.get(t).copied().map(Target::Tgw).unwrap_or(Target::Missing(t.clone())), t.clone());
    }
    if let Some(p) = &r.vpc_peering_connection_id {
        return (net.peerings.iter().position(|x| &x.id == p).map(Target::Pcx).unwrap_or(Target::Missing(p.clone())), p.clone());
    }
    if let Some(e) = &r.egress_only_internet_gateway_id {
        return (net.eigws.iter().position(|x| &x.id == e).map(Target::Eigw).unwrap_or(Target::Missing(e.clone())), e.clone());
    }
    if let Some(n) = &r.network_interface_id {
        return (net.eni_by_id.get(n).copied().map(Target::Eni).unwrap_or(Target::Missing(n.clone())), n.clone());
    }
    if let Some(i) = &r.instance_id {
        let eni = net.instance_by_id.get(i).and_then(|&x| net.instances[x].enis.first().copied());
        return (eni.map(Target::Eni).unwrap_or(Target::Missing(i.clone())), i.clone());
    }
    if let Some(o) = [&r.local_gateway_id, &r.carrier_gateway_id, &r.core_network_arn].into_iter().flatten().next() {
        return (Target::External(o.clone()), o.clone());
    }
    (Target::Missing("(no target)".into()), "(no target)".into())
}

fn compile_sg_rules(net: &Net, d: &mut Vec<Diagnostic>, g: &Located<ec2::SecurityGroup>, perms: &[ec2::IpPermission], key: &str) -> Vec<SgRule> {
    let mut out = Vec::new();
    for (i, p) in perms.iter().enumerate() {
        let path = format!("$.SecurityGroups[?].{key}[{i}]");
        let Some(proto) = ProtoMatch::parse(&p.ip_protocol) else {
            warn(d, g, &path, format!("`{}`: expected IpProtocol -1, tcp, udp, icmp, icmpv6 or a number, found `{}`; rule ignored", g.group_id, p.ip_protocol));
            continue;
        };
        let ports = match proto {
            ProtoMatch::One(Proto::Tcp) | ProtoMatch::One(Proto::Udp) => range_of(p.from_port, p.to_port),
            // For ICMP, FromPort is the type and ToPort the code; -1 means all.
            ProtoMatch::One(Proto::Icmp) | ProtoMatch::One(Proto::Icmpv6) => match p.from_port {
                Some(t) if t >= 0 => range_of(Some(t), Some(t)),
                _ => PortSet::all(),
            },
            _ => PortSet::all(),
        };
        for r in &p.ip_ranges {
            if let Some(cidr) = cidr_or_warn(d, g, &format!("{path}.IpRanges"), &r.cidr_ip) {
                out.push(SgRule { proto, ports: ports.clone(), peer: SgPeer::Cidr { cidr, prefix_list: None }, index: i });
            }
        }
        for r in &p.ipv6_ranges {
            if let Some(cidr) = cidr_or_warn(d, g, &format!("{path}.Ipv6Ranges"), &r.cidr_ipv6) {
                out.push(SgRule { proto, ports: ports.clone(), peer: SgPeer::Cidr { cidr, prefix_list: None }, index: i });
            }
        }
        for r in &p.prefix_list_ids {
            match net.prefix_lists.get(&r.prefix_list_id) {
                Some((_, cidrs)) => {
                    for c in cidrs {
                        out.push(SgRule { proto, ports: ports.clone(), peer: SgPeer::Cidr { cidr: *c, prefix_list: Some(r.prefix_list_id.clone()) }, index: i });
                    }
                }
                None => warn(d, g, &format!("{path}.PrefixListIds"), format!("`{}` references prefix list `{}` whose entries are not in the snapshot; that source admits nothing", g.group_id, r.prefix_list_id)),
            }
        }
        for r in &p.user_id_group_pairs {
            let Some(id) = &r.group_id else { continue };
            match net.sg_by_id.get(id) {
                Some(&x) => out.push(SgRule { proto, ports: ports.clone(), peer: SgPeer::Group(x), index: i }),
                None => out.push(SgRule { proto, ports: ports.clone(), peer: SgPeer::UnknownGroup(id.clone()), index: i }),
            }
        }
    }
    out
}

