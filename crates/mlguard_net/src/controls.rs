//! The network controls (`NET-001` ...): each is a [`RuleDoc`] and a function over the
//! indexed network that returns findings with the reachability evidence.

use crate::addr::Family;
use crate::ml::{self, MlCompute, MlOptions};
use crate::model::{EndpointKind, Idx, Net, SgPeer, Target};
use crate::ports::{PortSet, Proto, ProtoMatch};
use crate::reach::{self, Answer, Dest, Options, Reach, Source, SrcPoint};
use mlguard_core::{Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::ec2::tag;
use mlguard_snapshot::Inventory;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

const SG_DOCS: (&str, &str) = ("Security group rules", "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html");
const NACL_DOCS: (&str, &str) = ("Control subnet traffic with network access control lists", "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html");
const ROUTE_DOCS: (&str, &str) = ("How route priority works", "https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html");
const SM_VPC_DOCS: (&str, &str) = ("Connect SageMaker AI within your VPC", "https://docs.aws.amazon.com/sagemaker/latest/dg/interface-vpc-endpoint.html");

pub const NET_001: RuleDoc = RuleDoc {
    id: "NET-001",
    severity: Severity::Critical,
    practice: Practice::Network,
    title: "ML compute reachable from the internet",
    what: "Proves, for every SageMaker notebook, training or processing job, model, Studio domain and ML EC2 instance (tagged or of a GPU/accelerator family), whether any internet host can open a connection to it, taking the internet gateway, the subnet's network ACL in both directions, the security groups and the reply's route into account. Reports the exact protocols, ports and source ranges admitted.",
    why: "ML compute holds training data, model weights and execution-role credentials. An internet path to it is the first step of data theft or model tampering; zero trust requires that it be reachable only through authenticated, private paths.",
    example: "A notebook instance in a subnet whose route table sends 0.0.0.0/0 to an internet gateway, with a public IP and a security group that allows tcp/8888 from 0.0.0.0/0.",
    remediation: "Move the compute to private subnets without a route to an internet gateway, remove public IPs, and reach it through SSM Session Manager, a VPN or presigned SageMaker URLs; restrict security groups to security-group references.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[SG_DOCS, NACL_DOCS, ("Connect a notebook instance in a VPC to external resources", "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html")],
};

pub const NET_002: RuleDoc = RuleDoc {
    id: "NET-002",
    severity: Severity::High,
    practice: Practice::Network,
    title: "Administration or ML tooling port reachable from the internet",
    what: "Proves, for every network interface with a public IPv4 or an IPv6 address, whether SSH (22), RDP (3389), Jupyter (8888), TensorBoard (6006), Dask (8786, 8787), MLflow (5000), Redis (6379), NFS (2049), Ray (8265, 10001), Spark (4040, 7077), etcd (2379), kubelet (10250), PostgreSQL (5432), MySQL (3306), MongoDB (27017) or Elasticsearch (9200) can be reached from the internet end to end.",
    why: "These services are built for trusted networks: many have no authentication by default (Jupyter without a token, Redis, Dask, Ray, MLflow) and are routinely scanned for and exploited.",
    example: "An instance with a public IP whose security group allows tcp/22 from 0.0.0.0/0 and whose subnet's network ACL allows it both ways.",
    remediation: "Remove the internet-facing rule (or the public IP); use SSM Session Manager or a bastion reached over a VPN, and bind tooling to private addresses.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[SG_DOCS, NACL_DOCS],
};

pub const NET_003: RuleDoc = RuleDoc {
    id: "NET-003",
    severity: Severity::Medium,
    practice: Practice::Network,
    title: "S3 traffic from ML compute leaves through an internet or NAT gateway",
    what: "Follows HTTPS from every ML compute placement to the region's S3 addresses (the AWS-managed S3 prefix list) and reports the placements whose traffic takes an internet or NAT gateway instead of an S3 gateway or interface endpoint.",
    why: "Training data and model artifacts then cross the public internet path, a bucket policy cannot pin access to `aws:SourceVpce`, and a NAT gateway makes exfiltration to any bucket in any account indistinguishable from normal traffic.",
    example: "A training job in a private subnet whose route table has 0.0.0.0/0 -> nat-... and no route to the S3 prefix list.",
    remediation: "Create an S3 gateway endpoint and associate it with the route tables of ML subnets; restrict it with an endpoint policy to the organisation's buckets.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[("Gateway endpoints for Amazon S3", "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html"), ROUTE_DOCS],
};

pub const NET_004: RuleDoc = RuleDoc {
    id: "NET-004",
    severity: Severity::Medium,
    practice: Practice::Network,
    title: "SageMaker API traffic from ML compute leaves through an internet or NAT gateway",
    what: "Follows HTTPS from every ML compute placement to the SageMaker API and runtime and reports those that reach them through an internet or NAT gateway because the VPC has no interface endpoint with private DNS for `sagemaker.api` or `sagemaker.runtime`.",
    why: "Calls carrying credentials and inference payloads leave the private network, and the endpoint policy and security group that would scope them cannot be applied.",
    example: "A notebook in a private subnet with a NAT gateway route and no `com.amazonaws.<region>.sagemaker.api` endpoint.",
    remediation: "Create interface endpoints for `sagemaker.api` and `sagemaker.runtime` with private DNS enabled and a security group that admits 443 only from ML security groups.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[SM_VPC_DOCS],
};

pub const NET_005: RuleDoc = RuleDoc {
    id: "NET-005",
    severity: Severity::Medium,
    practice: Practice::Network,
    title: "ML compute without internet access lacks the VPC endpoints it needs",
    what: "For ML compute that has no internet egress, lists which of the interface endpoints `sagemaker.api`, `sagemaker.runtime`, `sts`, `logs`, `ecr.api`, `ecr.dkr` (with private DNS) and an S3 gateway or interface endpoint its VPC lacks.",
    why: "Without them jobs fail to pull images, write logs or read data, and teams 'fix' it by opening a NAT gateway, which undoes the isolation.",
    example: "A processing job in an isolated subnet (local route only) in a VPC with no endpoints.",
    remediation: "Create the missing interface endpoints with private DNS and an S3 gateway endpoint on the ML subnets' route tables.",
    well_architected: "SEC05-BP01 Create network layers",
    docs: &[SM_VPC_DOCS, ("Access AWS services through AWS PrivateLink", "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html")],
};

pub const NET_006: RuleDoc = RuleDoc {
    id: "NET-006",
    severity: Severity::High,
    practice: Practice::Network,
    title: "Internet egress from ML compute (exfiltration path)",
    what: "Proves, for every ML compute placement, whether it can open connections to the internet, through an internet gateway, a NAT gateway (also centrally, through a transit gateway), an egress-only internet gateway, or SageMaker's own network (a notebook with DirectInternetAccess Enabled, a job or model without VpcConfig and without network isolation, a Studio domain in PublicInternetOnly mode). Reports the path and the admitted ports and destinations.",
    why: "Egress is how data and model weights leave. A compromised notebook or a poisoned training script with internet egress can upload the training set anywhere.",
    example: "A notebook instance with DirectInternetAccess Enabled.",
    remediation: "Run ML compute in private subnets without a route to the internet, set DirectInternetAccess Disabled, use VpcConfig with network isolation for jobs and models, and reach AWS services through VPC endpoints; where egress is needed, send it through an inspecting proxy or AWS Network Firewall with an allow-list.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[("Training and inference containers in network isolation mode", "https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html"), ("Connect a notebook instance in a VPC to external resources", "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html")],
};

pub const NET_007: RuleDoc = RuleDoc {
    id: "NET-007",
    severity: Severity::High,
    practice: Practice::Network,
    title: "Network path between VPCs of different teams",
    what: "Proves, for every pair of VPCs whose team tags differ, whether interfaces of one can open connections to (high) or send one-way traffic to (medium) interfaces of the other through a transit gateway or VPC peering, and reports the route that allows it. Interfaces are grouped by subnet and security groups; a group stands for every address of its subnet.",
    why: "Team boundaries are trust boundaries: one team's compromised notebook should not reach another team's training data or model endpoints. Transit gateways with default route table association and propagation connect everything to everything.",
    example: "Two team VPCs attached to one transit gateway whose default route table has both attachments associated and propagating.",
    remediation: "Give each team its own transit gateway route table that propagates only shared-services attachments; disable default association and propagation; add blackhole routes for other teams' CIDRs.",
    well_architected: "SEC05-BP01 Create network layers",
    docs: &[("Transit gateway route tables", "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html"), ("Transit gateway network ACLs", "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html"), ("VPC peering", "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html")],
};

pub const NET_008: RuleDoc = RuleDoc {
    id: "NET-008",
    severity: Severity::Low,
    practice: Practice::Network,
    title: "Coarse security-group rule on ML compute (micro-segmentation gap)",
    what: "Reports inbound rules of security groups on ML compute that admit a whole VPC CIDR or wider (including 0.0.0.0/0 and ::/0), or all protocols from an address range, where a security-group reference would name exactly the tier that needs access.",
    why: "Every other workload in the VPC (or the world) can reach the ML tier; one compromised host anywhere in the VPC reaches the training cluster.",
    example: "An ingress rule `-1` from 10.0.0.0/16 on the training job's security group in VPC 10.0.0.0/16.",
    remediation: "Replace CIDR rules with rules that reference the security group of the calling tier, on the specific ports it needs.",
    well_architected: "SEC05-BP02 Control traffic flow within your network layers",
    docs: &[SG_DOCS],
};

pub const NET_009: RuleDoc = RuleDoc {
    id: "NET-009",
    severity: Severity::Low,
    practice: Practice::Network,
    title: "Network ACL of an ML subnet allows all traffic (second layer missing)",
    what: "Reports subnets hosting ML compute whose network ACL admits every protocol from and to 0.0.0.0/0 (or ::/0) before any deny, in both directions, as the default network ACL does.",
    why: "Defense in depth needs a second, stateless layer that still holds when a security group is misconfigured.",
    example: "An ML subnet associated with the VPC's default network ACL (rule 100 allow all, both ways).",
    remediation: "Associate ML subnets with a custom network ACL that admits only the VPC's and the endpoints' ranges on the ports ML traffic uses, plus ephemeral return ports.",
    well_architected: "SEC05-BP01 Create network layers",
    docs: &[NACL_DOCS],
};

/// Every network control.
pub static RULES: &[&RuleDoc] = &[&NET_001, &NET_002, &NET_003, &NET_004, &NET_005, &NET_006, &NET_007, &NET_008, &NET_009];

/// Administration and ML tooling ports (NET-002), with the service each one belongs to.
pub const ADMIN_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (2049, "NFS"),
    (2379, "etcd"),
    (3306, "MySQL"),
    (3389, "RDP"),
    (4040, "Spark UI"),
    (5000, "MLflow"),
    (5432, "PostgreSQL"),
    (6006, "TensorBoard"),
    (6379, "Redis"),
    (7077, "Spark master"),
    (8265, "Ray dashboard"),
    (8786, "Dask scheduler"),
    (8787, "Dask dashboard"),
    (8888, "Jupyter"),
    (9200, "Elasticsearch"),
    (10001, "Ray client"),
    (10250, "kubelet"),
    (27017, "MongoDB"),
];

/// Interface endpoints ML compute needs when it has no internet access (NET-005).
pub const REQUIRED_ENDPOINTS: &[&str] = &["sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr"];

#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    pub ml: MlOptions,
    pub reach: Options,
}

/// Runs every network control.
pub fn audit(inv: &Inventory, net: &Net, opts: &AuditOptions) -> Vec<Finding> {
    audit_timed(inv, net, opts).0
}

/// Runs every network control, and says how long each group of controls took. The controls
/// run on two threads; each group's time is measured on its own thread.
pub fn audit_timed(inv: &Inventory, net: &Net, opts: &AuditOptions) -> (Vec<Finding>, Vec<(&'static str, std::time::Duration)>) {
    let t0 = std::time::Instant::now();
    let mls = ml::find(inv, net, &opts.ml);
    let mut times = vec![("find ML compute", t0.elapsed())];
    let r = Reach::new(net, opts.reach.clone());
    let timed = |name: &'static str, f: &dyn Fn(&mut Vec<Finding>), out: &mut Vec<Finding>, times: &mut Vec<(&'static str, std::time::Duration)>| {
        let t = std::time::Instant::now();
        f(out);
        times.push((name, t.elapsed()));
    };
    let (mut out, side) = std::thread::scope(|sc| {
        let worker = sc.spawn(|| {
            let mut out = Vec::new();
            let mut times = Vec::new();
            let cache = std::cell::RefCell::new(PointCache::default());
            timed("NET-006 egress", &|o| egress(net, &r, &mls, &mut cache.borrow_mut(), o), &mut out, &mut times);
            timed("NET-003/004/005 AWS service paths", &|o| aws_service_paths(net, &r, &mls, &mut cache.borrow_mut(), o), &mut out, &mut times);
            (out, times)
        });
        let mut out = Vec::new();
        timed("NET-001/002 internet exposure", &|o| internet_exposure(net, &r, &mls, o), &mut out, &mut times);
        timed("NET-007 team segmentation", &|o| segmentation(net, &r, &opts.ml.team_tag, o), &mut out, &mut times);
        timed("NET-008/009 rules", &|o| {
            coarse_rules(net, &mls, o);
            open_nacls(net, &mls, o);
        }, &mut out, &mut times);
        (out, worker.join())
    });
    match side {
        Ok((mut o, mut t)) => {
            out.append(&mut o);
            times.append(&mut t);
        }
        Err(_) => out.push(
            Finding::new("MLGUARD-INTERNAL", Severity::High, "NET-003/004/005/006 could not be evaluated (internal error)")
                .description("The thread evaluating the AWS service path and egress controls stopped; their findings are missing from this report."),
        ),
    }
    times.push(("all controls (wall)", t0.elapsed()));
    (out, times)
}

/// At most this many paths go into a finding's evidence; `mlguard reach` lists them all.
const EVIDENCE_PATHS: usize = 4;

fn capped(paths: &[reach::PathOut]) -> &[reach::PathOut] {
    &paths[..paths.len().min(EVIDENCE_PATHS)]
}

fn evidence(ans: &Answer) -> serde_json::Value {
    json!({ "paths": capped(&ans.paths), "paths_total": ans.paths.len(), "notes": ans.notes })
}

fn summary(ans: &Answer) -> String {
    let mut parts: Vec<String> = Vec::new();
    for p in &ans.paths {
        let src = if p.source_ranges.is_empty() { String::new() } else { format!(" from {}", p.source_ranges.join(", ")) };
        parts.push(format!("{} {}{}", p.protocol, p.ports, src));
        if parts.len() >= 6 {
            parts.push("...".into());
            break;
        }
    }
    parts.join("; ")
}

fn all_protos() -> Vec<Proto> {
    vec![Proto::Tcp, Proto::Udp, Proto::Icmp, Proto::Icmpv6]
}

/// Interfaces grouped by what decides their exposure: subnet, security groups and whether
/// they have public IPv4 or IPv6 addresses.
type ClassKey = (Idx, Vec<Idx>, bool, bool);

fn exposure_class(net: &Net, e: Idx) -> ClassKey {
    let eni = &net.enis[e];
    (eni.subnet, eni.groups.clone(), !eni.public.is_empty(), !eni.ipv6.is_empty())
}

fn internet_exposure(net: &Net, r: &Reach<'_>, mls: &[MlCompute], out: &mut Vec<Finding>) {
    let internet = Source::Internet(reach::whole_internet());
    let mut cache: HashMap<ClassKey, (Idx, Answer)> = HashMap::new();
    let mut answer_for = |e: Idx| -> Answer {
        let key = exposure_class(net, e);
        if let Some((rep, a)) = cache.get(&key) {
            return relabel(net, a, *rep, e);
        }
        let a = r.ask(&internet, &Dest::Enis(vec![e]), &all_protos(), &PortSet::all());
        cache.insert(key, (e, a.clone()));
        a
    };
    // NET-001: ML compute.
    for m in mls {
        for p in &m.points {
            let Some(e) = p.eni else { continue };
            let eni = &net.enis[e];
            if eni.public.is_empty() && eni.ipv6.is_empty() {
                continue;
            }
            let a = answer_for(e);
            if !a.reachable {
                continue;
            }
            out.push(
                Finding::from_rule(&NET_001, format!("{} `{}` is reachable from the internet", m.kind.label(), m.name))
                    .resource(&m.id, m.kind.resource_type())
                    .location(&m.account, &m.region)
                    .description(format!("Internet hosts can open connections to {} through {}: {}.", m.name, eni.id, summary(&a)))
                    .evidence(evidence(&a)),
            );
        }
    }
    // NET-002: any host.
    let admin = ADMIN_PORTS.iter().fold(PortSet::empty(), |s, (p, _)| s.union(&PortSet::single(*p)));
    for (e, eni) in net.enis.iter().enumerate() {
        if eni.public.is_empty() && eni.ipv6.is_empty() {
            continue;
        }
        if eni.interface_type != "interface" {
            continue;
        }
        let a = answer_for(e);
        let open = a.admitted(Proto::Tcp).intersect(&admin);
        if open.is_empty() {
            continue;
        }
        let names: Vec<String> = ADMIN_PORTS.iter().filter(|(p, _)| open.contains(*p)).map(|(p, n)| format!("{p} ({n})")).collect();
        let paths: Vec<_> = a.paths.iter().filter(|p| p.protocol == "tcp" && !p.admitted.intersect(&admin).is_empty()).cloned().collect();
        let who = eni.instance.clone().unwrap_or_else(|| eni.id.clone());
        out.push(
            Finding::from_rule(&NET_002, format!("tcp {} reachable from the internet on {who}", names.join(", ")))
                .resource(&eni.id, "AwsEc2NetworkInterface")
                .location(&eni.account, &eni.region)
                .description(format!("Internet hosts can open tcp connections to {} on {}.", eni.id, names.join(", ")))
                .evidence(json!({ "ports": open.to_string(), "paths": capped(&paths), "paths_total": paths.len() })),
        );
    }
}

/// Rewrites an answer computed for one interface of a class so it names another.
fn relabel(net: &Net, a: &Answer, from: Idx, to: Idx) -> Answer {
    if from == to {
        return a.clone();
    }
    let (x, y) = (&net.enis[from], &net.enis[to]);
    let mut pairs: Vec<(String, String)> = vec![(x.id.clone(), y.id.clone())];
    for ((p1, q1), (p2, q2)) in x.public.iter().zip(y.public.iter()) {
        pairs.push((q1.to_string(), q2.to_string()));
        pairs.push((p1.to_string(), p2.to_string()));
    }
    for (v1, v2) in x.ipv6.iter().zip(y.ipv6.iter()) {
        pairs.push((v1.to_string(), v2.to_string()));
    }
    let mut b = a.clone();
    let fix = |s: &mut String| {
        for (f, t) in &pairs {
            if s.contains(f.as_str()) {
                *s = s.replace(f.as_str(), t);
            }
        }
    };
    for p in &mut b.paths {
        for h in p.hops.iter_mut().chain(p.return_hops.iter_mut()) {
            fix(&mut h.id);
            fix(&mut h.detail);
        }
        for d in &mut p.destination_ranges {
            fix(d);
        }
        fix(&mut p.to);
    }
    b
}

/// Answers for groups of points that behave alike: interfaces in the same subnet with the same
/// security groups and the same kinds of public address walk the same way (the interface's own
/// private address is never tested by a rule on these paths), so one answer serves them all.
/// What decides how a point walks: subnet, groups, whether it is a real interface, and whether
/// it has public IPv4 and IPv6 addresses.
type PointKey = (Idx, Vec<Idx>, bool, bool, bool);

#[derive(Default)]
struct PointCache {
    map: HashMap<(Vec<PointKey>, String), (Option<Idx>, Answer)>,
}

impl PointCache {
    #[allow(clippy::too_many_arguments)]
    fn ask(&mut self, net: &Net, r: &Reach<'_>, points: &[SrcPoint], to: &Dest, key: &str, protos: &[Proto], ports: &PortSet) -> Answer {
        let k: Vec<PointKey> = points
            .iter()
            .map(|p| match p.eni {
                Some(e) => (p.subnet, p.groups.clone(), true, !net.enis[e].public.is_empty(), !net.enis[e].ipv6.is_empty()),
                None => (p.subnet, p.groups.clone(), false, false, false),
            })
            .collect();
        let single = if points.len() == 1 { points[0].eni } else { None };
        if let Some((rep, a)) = self.map.get(&(k.clone(), key.to_string())) {
            return match (rep, single) {
                (Some(x), Some(y)) => relabel(net, a, *x, y),
                _ => a.clone(),
            };
        }
        let a = r.ask(&Source::Points(points.to_vec()), to, protos, ports);
        self.map.insert((k, key.to_string()), (single, a.clone()));
        a
    }
}

fn aws_service_paths(net: &Net, r: &Reach<'_>, mls: &[MlCompute], cache: &mut PointCache, out: &mut Vec<Finding>) {
    let https = PortSet::single(443);
    // Per VPC, the services it has an interface endpoint with private DNS for; and the services
    // with an AWS-managed prefix list (gateway endpoints).
    let mut private_dns: HashMap<Idx, Vec<&str>> = HashMap::new();
    for e in net.endpoints.iter().filter(|e| e.kind == EndpointKind::Interface && e.private_dns) {
        private_dns.entry(e.vpc).or_default().push(e.short_service());
    }
    let prefix_list_services: Vec<&str> = net.prefix_lists.values().map(|(n, _)| crate::model::short_service(n)).collect();
    for m in mls {
        if m.isolated {
            continue;
        }
        let points = reach::ml_sources(net, m);
        if points.is_empty() {
            continue;
        }
        
        // NET-003 / NET-004: one finding per resource and rule, naming every service that leaks.
        for (rule, services) in [(&NET_003, vec!["s3"]), (&NET_004, vec!["sagemaker.api", "sagemaker.runtime"])] {
            let mut leaking: Vec<&str> = Vec::new();
            let mut via = std::collections::BTreeSet::new();
            let mut per_service = serde_json::Map::new();
            for svc in services {
                // Without an interface endpoint for the service in the points' VPCs, the service
                // is any public address: one question serves every such service.
                let has_endpoint = points.iter().any(|p| private_dns.get(&net.subnets[p.subnet].vpc).map(|v| v.contains(&svc)).unwrap_or(false));
                let has_prefix_list = prefix_list_services.contains(&svc);
                let key = if has_endpoint || has_prefix_list { svc } else { "public-service" };
                let a = cache.ask(net, r, &points, &Dest::Service(svc.into()), key, &[Proto::Tcp], &https);
                let public: Vec<_> = a.paths.iter().filter(|p| p.arrives == "internet").cloned().collect();
                if public.is_empty() {
                    continue;
                }
                via.extend(public.iter().flat_map(|p| p.hops.iter().filter(|h| h.kind == "nat-gateway" || h.kind == "internet-gateway").map(|h| h.id.clone())));
                leaking.push(svc);
                per_service.insert(svc.to_string(), json!({ "paths": capped(&public), "paths_total": public.len() }));
            }
            if leaking.is_empty() {
                continue;
            }
            let via: Vec<String> = via.into_iter().collect();
            let what = leaking.join(" and ");
            out.push(
                Finding::from_rule(rule, format!("{what} traffic from {} `{}` leaves through {}", m.kind.label(), m.name, via.join(" and ")))
                    .resource(&m.id, m.kind.resource_type())
                    .location(&m.account, &m.region)
                    .description(format!("HTTPS from {} to {what} takes the public path through {} instead of a VPC endpoint.", m.name, via.join(" and ")))
                    .evidence(json!({ "services": per_service })),
            );
        }
        // NET-005: no internet, missing endpoints.
        if m.managed_internet.is_some() {
            continue;
        }
        // The same question as NET-006 asks, answered from the shared cache.
        let egress = cache.ask(net, r, &points, &Dest::Internet(reach::whole_internet()), "internet", &[Proto::Tcp, Proto::Udp], &PortSet::all());
        if egress.reachable {
            continue;
        }
        let mut vpcs: Vec<Idx> = points.iter().map(|p| net.subnets[p.subnet].vpc).collect();
        vpcs.sort_unstable();
        vpcs.dedup();
        for v in vpcs {
            let mut missing: Vec<String> = Vec::new();
            for svc in REQUIRED_ENDPOINTS {
                let has = net.endpoints.iter().any(|e| e.vpc == v && e.kind == EndpointKind::Interface && e.private_dns && e.short_service() == *svc);
                if !has {
                    missing.push((*svc).to_string());
                }
            }
            let s3 = net.endpoints.iter().any(|e| e.vpc == v && e.kind != EndpointKind::GatewayLoadBalancer && e.short_service() == "s3");
            if !s3 {
                missing.push("s3 (gateway or interface)".into());
            }
            if missing.is_empty() {
                continue;
            }
            out.push(
                Finding::from_rule(&NET_005, format!("{} `{}` has no internet access and {} lacks endpoints for {}", m.kind.label(), m.name, net.vpcs[v].id, missing.join(", ")))
                    .resource(&m.id, m.kind.resource_type())
                    .location(&m.account, &m.region)
                    .description(format!("{} cannot reach the internet from {}, and the VPC has no VPC endpoint (with private DNS) for: {}.", m.name, net.vpcs[v].id, missing.join(", ")))
                    .evidence(json!({ "vpc": net.vpcs[v].id, "missing": missing, "internet_egress": egress.blocked })),
            );
        }
    }
}

fn egress(net: &Net, r: &Reach<'_>, mls: &[MlCompute], cache: &mut PointCache, out: &mut Vec<Finding>) {
    for m in mls {
        if let Some(reason) = &m.managed_internet {
            out.push(
                Finding::from_rule(&NET_006, format!("{} `{}` reaches the internet through SageMaker's network", m.kind.label(), m.name))
                    .resource(&m.id, m.kind.resource_type())
                    .location(&m.account, &m.region)
                    .description(format!("{}: {reason}.", m.name))
                    .evidence(json!({ "paths": [{ "arrives": "sagemaker-network", "hops": [{ "type": "sagemaker-managed-network", "id": m.id, "detail": reason }] }] })),
            );
        }
        if m.isolated {
            continue;
        }
        let points = reach::ml_sources(net, m);
        if points.is_empty() {
            continue;
        }
        let a = cache.ask(net, r, &points, &Dest::Internet(reach::whole_internet()), "internet", &[Proto::Tcp, Proto::Udp], &PortSet::all());
        if !a.reachable {
            continue;
        }
        let via: Vec<String> = a.paths.iter().flat_map(|p| p.hops.iter().filter(|h| matches!(h.kind, "nat-gateway" | "internet-gateway" | "egress-only-internet-gateway")).map(|h| h.id.clone())).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        out.push(
            Finding::from_rule(&NET_006, format!("{} `{}` can send to the internet through {}", m.kind.label(), m.name, via.join(" and ")))
                .resource(&m.id, m.kind.resource_type())
                .location(&m.account, &m.region)
                .description(format!("{} can open connections to internet hosts: {}.", m.name, summary(&a)))
                .evidence(evidence(&a)),
        );
    }
}

/// Interface groups per VPC: (subnet, security groups).
fn vpc_classes(net: &Net) -> Vec<Vec<(Idx, Vec<Idx>)>> {
    let mut per: Vec<BTreeMap<(Idx, Vec<Idx>), ()>> = vec![BTreeMap::new(); net.vpcs.len()];
    for eni in &net.enis {
        if eni.interface_type != "interface" {
            continue;
        }
        per[eni.vpc].insert((eni.subnet, eni.groups.clone()), ());
    }
    per.into_iter().map(|m| m.into_keys().collect()).collect()
}

/// For each VPC route table, the VPCs its transit-gateway and peering routes can lead to
/// (an over-approximation used only to choose which VPC pairs to walk).
fn route_candidates(net: &Net) -> Vec<Vec<Idx>> {
    let mut out = vec![Vec::new(); net.route_tables.len()];
    for (i, rt) in net.route_tables.iter().enumerate() {
        let a = rt.vpc;
        let mut set: Vec<Idx> = Vec::new();
        for r in rt.routes.iter().filter(|r| !r.blackhole) {
            match r.target {
                Target::Pcx(p) => {
                    let pc = &net.peerings[p];
                    for side in [&pc.requester, &pc.accepter] {
                        if let Some(v) = side.vpc {
                            if v != a {
                                set.push(v);
                            }
                        }
                    }
                }
                Target::Tgw(t) => {
                    let Some(&att) = net.vpc_tgw_attachment.get(&(a, t)) else { continue };
                    let Some(trt) = net.tgw_attachments[att].route_table else { continue };
                    for tr in net.tgw_route_tables[trt].routes.iter().filter(|tr| !tr.blackhole && tr.dest.overlaps(&r.dest)) {
                        for &x in &tr.attachments {
                            if let crate::model::AttachmentKind::Vpc { vpc, .. } = net.tgw_attachments[x].kind {
                                if vpc != a {
                                    set.push(vpc);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        set.sort_unstable();
        set.dedup();
        out[i] = set;
    }
    out
}

/// Whether some rule of the groups could admit traffic from or to the remote ranges or groups
/// (a cheap necessary condition, used to skip pairs before walking them).
fn sg_may_admit(net: &Net, groups: &[Idx], ingress: bool, remote: &[crate::addr::Cidr], remote_groups: &[Idx]) -> bool {
    groups.iter().any(|&g| {
        let sg = &net.sgs[g];
        let rules = if ingress { &sg.ingress } else { &sg.egress };
        rules.iter().any(|r| match &r.peer {
            SgPeer::Cidr { cidr, .. } => remote.iter().any(|c| c.overlaps(cidr)),
            SgPeer::Group(x) => remote_groups.contains(x),
            SgPeer::UnknownGroup(_) => false,
        })
    })
}

/// Stop searching one VPC pair after this many interface-group pairs (said in the finding's notes).
const MAX_PAIRS_PER_VPC_PAIR: usize = 4096;

fn segmentation(net: &Net, r: &Reach<'_>, team_tag: &str, out: &mut Vec<Finding>) {
    let classes = vpc_classes(net);
    let teams: Vec<Option<&str>> = net.vpcs.iter().map(|v| tag(&v.tags, team_tag).filter(|t| !t.is_empty())).collect();
    let protos = [Proto::Tcp, Proto::Udp, Proto::Icmp];
    let one_way_opts = Options { two_way: false, ..r.opts.clone() };
    let r1 = Reach::new(net, one_way_opts);
    let cands = route_candidates(net);
    // (source VPC, destination VPC) -> source subnets whose route table leads there.
    let mut pairs: BTreeMap<(Idx, Idx), Vec<Idx>> = BTreeMap::new();
    for (s, sub) in net.subnets.iter().enumerate() {
        let Some(rt) = sub.rt else { continue };
        let Some(ta) = teams[sub.vpc] else { continue };
        for &b in &cands[rt] {
            if teams[b].map(|tb| tb != ta).unwrap_or(false) {
                pairs.entry((sub.vpc, b)).or_default().push(s);
            }
        }
    }
    for ((a, b), src_subnets) in pairs {
        let (Some(ta), Some(tb)) = (teams[a], teams[b]) else { continue };
        let mut two_way: Option<Answer> = None;
        let mut one_way_pair: Option<(SrcPoint, Dest)> = None;
        let mut tried = 0usize;
        let mut notes: Vec<String> = Vec::new();
        'search: for (sa, ga) in classes[a].iter().filter(|(s, _)| src_subnets.contains(s)) {
            let a_cidrs = &net.subnets[*sa].cidrs;
            for (sb, gb) in &classes[b] {
                let b_cidrs = &net.subnets[*sb].cidrs;
                if !sg_may_admit(net, ga, false, b_cidrs, gb) || !sg_may_admit(net, gb, true, a_cidrs, ga) {
                    continue;
                }
                tried += 1;
                if tried > MAX_PAIRS_PER_VPC_PAIR {
                    notes.push(format!("search stopped after {MAX_PAIRS_PER_VPC_PAIR} interface-group pairs"));
                    break 'search;
                }
                let point = SrcPoint {
                    subnet: *sa,
                    groups: ga.clone(),
                    eni: None,
                    addrs: a_cidrs.iter().map(|c| c.interval()).collect(),
                    label: format!("{} {}", net.subnets[*sa].id, group_label(net, ga)),
                };
                let dst = Dest::Group { subnet: *sb, groups: gb.clone(), label: format!("{} {}", net.subnets[*sb].id, group_label(net, gb)) };
                let ans = r.ask(&Source::Points(vec![point.clone()]), &dst, &protos, &PortSet::all());
                if ans.reachable {
                    two_way = Some(ans);
                    break 'search;
                }
                // The request got through where only the reply was dropped: one-way traffic.
                if one_way_pair.is_none() && ans.blocked.iter().any(|b| b.reason.starts_with("reply dropped")) {
                    one_way_pair = Some((point, dst));
                }
            }
        }
        let (ans, sev, how) = match (two_way, one_way_pair) {
            (Some(x), _) => (x, Severity::High, "open connections to"),
            (None, Some((p, d))) => {
                let x = r1.ask(&Source::Points(vec![p]), &d, &protos, &PortSet::all());
                if !x.reachable {
                    continue;
                }
                (x, Severity::Medium, "send one-way traffic to")
            }
            _ => continue,
        };
        let via: Vec<String> = ans.paths.iter().flat_map(|p| p.hops.iter().filter(|h| matches!(h.kind, "transit-gateway-route-table" | "vpc-peering-connection")).map(|h| format!("{} ({})", h.id, h.detail))).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let va = &net.vpcs[a];
        out.push(
            Finding::from_rule(&NET_007, format!("team `{ta}` ({}) can {how} team `{tb}` ({})", va.id, net.vpcs[b].id))
                .severity(sev)
                .resource(&va.id, "AwsEc2Vpc")
                .location(&va.account, &va.region)
                .description(format!("Interfaces in {} (team {ta}) can {how} interfaces in {} (team {tb}): {}. Route: {}.", net.vpc_label(a), net.vpc_label(b), summary(&ans), via.join("; ")))
                .evidence(json!({ "from_vpc": va.id, "to_vpc": net.vpcs[b].id, "from_team": ta, "to_team": tb, "two_way": sev == Severity::High, "paths": capped(&ans.paths), "paths_total": ans.paths.len(), "notes": notes })),
        );
    }
}

fn group_label(net: &Net, g: &[Idx]) -> String {
    g.iter().map(|&x| net.sgs[x].id.as_str()).collect::<Vec<_>>().join("+")
}

fn coarse_rules(net: &Net, mls: &[MlCompute], out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<Idx, Vec<String>> = BTreeMap::new();
    for m in mls {
        for p in &m.points {
            for &g in &p.groups {
                groups.entry(g).or_default().push(m.name.clone());
            }
        }
    }
    for (g, users) in groups {
        let sg = &net.sgs[g];
        let vpc_cidrs = sg.vpc.map(|v| net.vpcs[v].cidrs.clone()).unwrap_or_default();
        let mut bad: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for rule in &sg.ingress {
            let SgPeer::Cidr { cidr, prefix_list } = &rule.peer else { continue };
            if prefix_list.is_some() {
                continue;
            }
            let wide = cidr.len == 0 || vpc_cidrs.iter().any(|v| v.fam == cidr.fam && cidr.contains_cidr(v));
            let all_proto = rule.proto == ProtoMatch::All;
            if !(wide || all_proto) {
                continue;
            }
            let what = format!(
                "permission {}: {} {} from {}{}",
                rule.index,
                rule.proto,
                if rule.proto == ProtoMatch::All { "on all ports".to_string() } else { rule.ports.to_string() },
                cidr,
                if cidr.len == 0 { " (anywhere)" } else if wide { " (covers the whole VPC)" } else { "" }
            );
            if seen.insert(what.clone()) {
                bad.push(what);
            }
        }
        if bad.is_empty() {
            continue;
        }
        let mut users = users;
        users.sort();
        users.dedup();
        out.push(
            Finding::from_rule(&NET_008, format!("security group {} on ML compute admits {}", sg.id, bad.join("; ")))
                .resource(&sg.id, "AwsEc2SecurityGroup")
                .location(&sg.account, sg.vpc.map(|v| net.vpcs[v].region.clone()).unwrap_or_default())
                .description(format!("{} ({}) is used by {} and has inbound rules broader than a security-group reference: {}.", sg.id, sg.name, users.join(", "), bad.join("; ")))
                .evidence(json!({ "rules": bad, "used_by": users })),
        );
    }
}

/// Whether a list of rules admits everything from everywhere before any deny.
fn allows_all(rules: &[crate::model::NaclRule], fam: Family) -> bool {
    for r in rules {
        if r.cidr.fam != fam {
            continue;
        }
        if !r.allow {
            return false;
        }
        if r.proto == ProtoMatch::All && r.cidr.len == 0 {
            return true;
        }
    }
    false
}

fn open_nacls(net: &Net, mls: &[MlCompute], out: &mut Vec<Finding>) {
    let mut subnets: BTreeMap<Idx, Vec<String>> = BTreeMap::new();
    for m in mls {
        for p in &m.points {
            subnets.entry(p.subnet).or_default().push(m.name.clone());
        }
    }
    for (s, mut users) in subnets {
        let sub = &net.subnets[s];
        let Some(n) = sub.nacl else { continue };
        let nacl = &net.nacls[n];
        let open = allows_all(&nacl.ingress, Family::V4) && allows_all(&nacl.egress, Family::V4);
        if !open {
            continue;
        }
        users.sort();
        users.dedup();
        let vpc = &net.vpcs[sub.vpc];
        out.push(
            Finding::from_rule(&NET_009, format!("{} of ML subnet {} allows all traffic both ways", nacl.id, sub.id))
                .resource(&sub.id, "AwsEc2Subnet")
                .location(&vpc.account, &vpc.region)
                .description(format!("Subnet {} hosts {} and its network ACL {}{} admits every protocol from and to 0.0.0.0/0 before any deny.", sub.id, users.join(", "), nacl.id, if nacl.is_default { " (the VPC's default ACL)" } else { "" }))
                .evidence(json!({ "network_acl": nacl.id, "default": nacl.is_default, "hosts": users })),
        );
    }
}
