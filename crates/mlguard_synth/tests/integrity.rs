//! Generates small organisations and checks that every file is valid JSON in
//! the snapshot layout, that the counts match [`SynthStats`], that every
//! referenced id exists and addresses are consistent, and that the output is
//! deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mlguard_synth::{generate, SynthError, SynthOptions, SynthStats, MAX_PAGE_ITEMS};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "mlguard-synth-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn opts(scale: f64, seed: u64, accounts: usize) -> SynthOptions {
    SynthOptions {
        scale,
        seed,
        accounts,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// One parsed file: (account, region, service, resource id, command, page), body.
struct File {
    account: String,
    region: String,
    service: String,
    resource: Option<String>,
    command: String,
    page: usize,
    body: Value,
    bytes: u64,
}

fn load(root: &Path) -> Result<Vec<File>, Box<dyn Error>> {
    let mut paths = Vec::new();
    walk(root, &mut paths)?;
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(root)?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let (resource, name) = match parts.len() {
            4 => (None, parts[3].clone()),
            5 => (Some(parts[3].clone()), parts[4].clone()),
            _ => return Err(format!("unexpected layout `{}`", rel.display()).into()),
        };
        let stem = name
            .strip_suffix(".json")
            .ok_or_else(|| format!("not a .json file: `{}`", rel.display()))?;
        let (command, page) = match stem.rsplit_once('.') {
            Some((cmd, n)) => (cmd.to_owned(), n.parse::<usize>()? - 1),
            None => (stem.to_owned(), 0),
        };
        let text = std::fs::read_to_string(&path)?;
        let body: Value = serde_json::from_str(&text)
            .map_err(|e| format!("`{}` is not JSON: {e}", rel.display()))?;
        files.push(File {
            account: parts[0].clone(),
            region: parts[1].clone(),
            service: parts[2].clone(),
            resource,
            command,
            page,
            body,
            bytes: text.len() as u64,
        });
    }
    Ok(files)
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn cidr4(text: &str) -> Option<(u32, u8)> {
    let (ip, len) = text.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let ip = u32::from(ip);
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    (ip & mask == ip && len <= 32).then_some((ip, len))
}

fn in4(net: (u32, u8), ip: u32) -> bool {
    let mask = if net.1 == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(net.1))
    };
    ip & mask == net.0
}

fn cidr6(text: &str) -> Option<(u128, u8)> {
    let (ip, len) = text.split_once('/')?;
    let ip: Ipv6Addr = ip.parse().ok()?;
    Some((u128::from(ip), len.parse().ok()?))
}

/// Every item of a (possibly paginated) account-wide list, with its account
/// and region.
fn items<'a>(files: &'a [File], command: &str, key: &str) -> Vec<(&'a File, &'a Value)> {
    files
        .iter()
        .filter(|f| f.resource.is_none() && f.command == command)
        .flat_map(|f| arr(&f.body, key).iter().map(move |v| (f, v)))
        .collect()
}

struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok && self.0.len() < 50 {
            self.0.push(what());
        }
    }
}

/// Checks the whole snapshot under `root` against `stats`.
fn check_snapshot(root: &Path, stats: &SynthStats) -> TestResult {
    let files = load(root)?;
    let mut p = Problems(Vec::new());

    // Layout and pagination.
    assert_eq!(files.len(), stats.files, "file count");
    assert_eq!(
        files.iter().map(|f| f.bytes).sum::<u64>(),
        stats.bytes,
        "byte count"
    );
    let mut pages: BTreeMap<(String, String, String), BTreeSet<usize>> = BTreeMap::new();
    for f in &files {
        p.check(
            f.account.len() == 12 && f.account.bytes().all(|b| b.is_ascii_digit()),
            || format!("bad account id `{}`", f.account),
        );
        p.check(f.region == "us-east-1" || f.region == "eu-west-1", || {
            format!("bad region `{}`", f.region)
        });
        p.check(f.service == "ec2" || f.service == "sagemaker", || {
            format!("bad service `{}`", f.service)
        });
        if f.resource.is_none() {
            pages
                .entry((f.account.clone(), f.region.clone(), f.command.clone()))
                .or_default()
                .insert(f.page);
        }
        if let Some(list) = f
            .body
            .as_object()
            .and_then(|o| o.values().find_map(Value::as_array))
        {
            let n: usize = if f.command == "describe-instances" {
                list.iter().map(|r| arr(r, "Instances").len()).sum()
            } else {
                list.len()
            };
            p.check(n <= MAX_PAGE_ITEMS, || {
                format!("{} has {n} items", f.command)
            });
        }
    }
    for ((a, r, c), set) in &pages {
        p.check(set.iter().copied().eq(0..set.len()), || {
            format!("{a}/{r}/{c}: pages {set:?} are not contiguous")
        });
    }

    // Definitions.
    let mut vpcs: BTreeMap<&str, (&Value, &File)> = BTreeMap::new();
    for (f, v) in items(&files, "describe-vpcs", "Vpcs") {
        p.check(vpcs.insert(s(v, "VpcId"), (v, f)).is_none(), || {
            format!("duplicate vpc {}", s(v, "VpcId"))
        });
        p.check(s(v, "OwnerId") == f.account, || "vpc owner".to_owned());
    }
    let mut subnets: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut subnets_by_vpc: BTreeMap<&str, Vec<(u32, u8)>> = BTreeMap::new();
    for (f, sn) in items(&files, "describe-subnets", "Subnets") {
        let id = s(sn, "SubnetId");
        p.check(subnets.insert(id, sn).is_none(), || {
            format!("duplicate subnet {id}")
        });
        let vpc = vpcs.get(s(sn, "VpcId"));
        p.check(vpc.is_some(), || format!("subnet {id}: unknown vpc"));
        p.check(s(sn, "AvailabilityZone").starts_with(&f.region), || {
            format!("subnet {id}: az")
        });
        let (Some(net), Some((v, _))) = (cidr4(s(sn, "CidrBlock")), vpc) else {
            p.check(false, || format!("subnet {id}: bad cidr"));
            continue;
        };
        let vnet = cidr4(s(v, "CidrBlock")).unwrap_or((0, 32));
        p.check(net.1 >= vnet.1 && in4(vnet, net.0), || {
            format!("subnet {id} outside its vpc")
        });
        for a in arr(sn, "Ipv6CidrBlockAssociationSet") {
            let sub6 = cidr6(s(a, "Ipv6CidrBlock"));
            let vpc6 = arr(v, "Ipv6CidrBlockAssociationSet")
                .first()
                .and_then(|x| cidr6(s(x, "Ipv6CidrBlock")));
            let inside = match (sub6, vpc6) {
                (Some((sb, 64)), Some((vb, 56))) => sb >> 72 == vb >> 72,
                _ => false,
            };
            p.check(inside, || {
                format!("subnet {id}: ipv6 block not in the vpc /56")
            });
        }
        subnets_by_vpc.entry(s(sn, "VpcId")).or_default().push(net);
    }
    for (vpc, nets) in &mut subnets_by_vpc {
        nets.sort_unstable();
        for w in nets.windows(2) {
            let end = u64::from(w[0].0) + (1u64 << (32 - u32::from(w[0].1)));
            p.check(end <= u64::from(w[1].0), || {
                format!("vpc {vpc}: subnets overlap")
            });
        }
    }
    let mut sgs: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut rules = 0;
    for (_, g) in items(&files, "describe-security-groups", "SecurityGroups") {
        p.check(sgs.insert(s(g, "GroupId"), g).is_none(), || {
            "duplicate sg".to_owned()
        });
        p.check(vpcs.contains_key(s(g, "VpcId")), || {
            "sg: unknown vpc".to_owned()
        });
        for perm in arr(g, "IpPermissions")
            .iter()
            .chain(arr(g, "IpPermissionsEgress"))
        {
            rules += [
                "IpRanges",
                "Ipv6Ranges",
                "PrefixListIds",
                "UserIdGroupPairs",
            ]
            .iter()
            .map(|k| arr(perm, k).len())
            .sum::<usize>();
        }
    }
    let mut pls: BTreeSet<&str> = BTreeSet::new();
    for (_, pl) in items(&files, "describe-prefix-lists", "PrefixLists") {
        pls.insert(s(pl, "PrefixListId"));
        p.check(!arr(pl, "Cidrs").is_empty(), || {
            "aws prefix list without cidrs".to_owned()
        });
    }
    let mut managed: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for (f, pl) in items(&files, "describe-managed-prefix-lists", "PrefixLists") {
        pls.insert(s(pl, "PrefixListId"));
        managed.insert((&f.account, &f.region, s(pl, "PrefixListId")));
    }
    let instances: BTreeMap<&str, &Value> = items(&files, "describe-instances", "Reservations")
        .into_iter()
        .flat_map(|(_, r)| arr(r, "Instances"))
        .map(|i| (s(i, "InstanceId"), i))
        .collect();
    let enis: BTreeMap<&str, &Value> =
        items(&files, "describe-network-interfaces", "NetworkInterfaces")
            .into_iter()
            .map(|(_, e)| (s(e, "NetworkInterfaceId"), e))
            .collect();
    let tgws: BTreeSet<&str> = items(&files, "describe-transit-gateways", "TransitGateways")
        .into_iter()
        .map(|(_, t)| s(t, "TransitGatewayId"))
        .collect();
    let tgw_rts: BTreeMap<&str, &str> = items(
        &files,
        "describe-transit-gateway-route-tables",
        "TransitGatewayRouteTables",
    )
    .into_iter()
    .map(|(_, t)| (s(t, "TransitGatewayRouteTableId"), s(t, "TransitGatewayId")))
    .collect();
    let igws: BTreeMap<&str, &str> =
        items(&files, "describe-internet-gateways", "InternetGateways")
            .into_iter()
            .map(|(_, g)| {
                (
                    s(g, "InternetGatewayId"),
                    arr(g, "Attachments").first().map_or("", |a| s(a, "VpcId")),
                )
            })
            .collect();
    let eigws: BTreeMap<&str, &str> = items(
        &files,
        "describe-egress-only-internet-gateways",
        "EgressOnlyInternetGateways",
    )
    .into_iter()
    .map(|(_, g)| {
        (
            s(g, "EgressOnlyInternetGatewayId"),
            arr(g, "Attachments").first().map_or("", |a| s(a, "VpcId")),
        )
    })
    .collect();
    let nats: BTreeMap<&str, &Value> = items(&files, "describe-nat-gateways", "NatGateways")
        .into_iter()
        .map(|(_, n)| (s(n, "NatGatewayId"), n))
        .collect();
    let endpoints: BTreeMap<&str, &Value> = items(&files, "describe-vpc-endpoints", "VpcEndpoints")
        .into_iter()
        .map(|(_, e)| (s(e, "VpcEndpointId"), e))
        .collect();
    let peerings: BTreeMap<&str, &Value> = items(
        &files,
        "describe-vpc-peering-connections",
        "VpcPeeringConnections",
    )
    .into_iter()
    .map(|(_, x)| (s(x, "VpcPeeringConnectionId"), x))
    .collect();
    let attachments: BTreeMap<&str, &Value> = items(
        &files,
        "describe-transit-gateway-attachments",
        "TransitGatewayAttachments",
    )
    .into_iter()
    .map(|(_, a)| (s(a, "TransitGatewayAttachmentId"), a))
    .collect();
    let sagemaker = files.iter().filter(|f| f.service == "sagemaker").count();

    // Counts.
    assert_eq!(vpcs.len(), stats.vpcs, "vpcs");
    assert_eq!(subnets.len(), stats.subnets, "subnets");
    assert_eq!(enis.len(), stats.enis, "enis");
    assert_eq!(sgs.len(), stats.security_groups, "security groups");
    assert_eq!(rules, stats.sg_rules, "security group rules");
    assert_eq!(tgws.len(), stats.transit_gateways, "transit gateways");
    assert_eq!(tgw_rts.len(), stats.tgw_route_tables, "tgw route tables");
    assert_eq!(instances.len(), stats.instances, "instances");
    assert_eq!(sagemaker, stats.sagemaker_resources, "sagemaker");

    // Route tables.
    let mut mains: BTreeMap<&str, usize> = BTreeMap::new();
    let mut explicit: BTreeSet<&str> = BTreeSet::new();
    let mut rt_vpc: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, rt) in items(&files, "describe-route-tables", "RouteTables") {
        let vpc = s(rt, "VpcId");
        rt_vpc.insert(s(rt, "RouteTableId"), vpc);
        p.check(vpcs.contains_key(vpc), || {
            "route table: unknown vpc".to_owned()
        });
        for a in arr(rt, "Associations") {
            if a.get("Main").and_then(Value::as_bool) == Some(true) {
                *mains.entry(vpc).or_default() += 1;
            } else {
                let sn = s(a, "SubnetId");
                p.check(
                    subnets.get(sn).is_some_and(|x| s(x, "VpcId") == vpc),
                    || format!("rt assoc: subnet {sn} not in vpc"),
                );
                p.check(explicit.insert(sn), || {
                    format!("subnet {sn} has two route tables")
                });
            }
        }
        for r in arr(rt, "Routes") {
            let blackhole = s(r, "State") == "blackhole";
            if let Some(pl) = r.get("DestinationPrefixListId").and_then(Value::as_str) {
                p.check(pls.contains(pl), || {
                    format!("route to unknown prefix list {pl}")
                });
            }
            let ok = if let Some(g) = r.get("GatewayId").and_then(Value::as_str) {
                g == "local"
                    || igws.get(g) == Some(&vpc)
                    || endpoints.get(g).is_some_and(|e| s(e, "VpcId") == vpc)
            } else if let Some(n) = r.get("NatGatewayId").and_then(Value::as_str) {
                nats.get(n).is_some_and(|x| {
                    s(x, "VpcId") == vpc && (s(x, "State") == "deleted") == blackhole
                })
            } else if let Some(t) = r.get("TransitGatewayId").and_then(Value::as_str) {
                tgws.contains(t)
                    && attachments
                        .values()
                        .any(|a| s(a, "TransitGatewayId") == t && s(a, "ResourceId") == vpc)
            } else if let Some(x) = r.get("VpcPeeringConnectionId").and_then(Value::as_str) {
                peerings.get(x).is_some_and(|pc| {
                    let a = pc.get("AccepterVpcInfo").map_or("", |i| s(i, "VpcId"));
                    let b = pc.get("RequesterVpcInfo").map_or("", |i| s(i, "VpcId"));
                    a == vpc || b == vpc
                })
            } else if let Some(e) = r.get("EgressOnlyInternetGatewayId").and_then(Value::as_str) {
                eigws.get(e) == Some(&vpc)
            } else {
                false
            };
            p.check(ok, || {
                format!("route table {}: bad route {r}", s(rt, "RouteTableId"))
            });
        }
    }
    for v in vpcs.keys() {
        p.check(mains.get(v) == Some(&1), || {
            format!("vpc {v} has no single main route table")
        });
    }
    p.check(subnets.len() > explicit.len(), || {
        "no subnet uses its main route table".to_owned()
    });

    // Network ACLs: every subnet in exactly one.
    let mut acl_subnets: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, n) in items(&files, "describe-network-acls", "NetworkAcls") {
        let vpc = s(n, "VpcId");
        for a in arr(n, "Associations") {
            let sn = s(a, "SubnetId");
            p.check(
                subnets.get(sn).is_some_and(|x| s(x, "VpcId") == vpc),
                || "nacl assoc".to_owned(),
            );
            *acl_subnets.entry(sn).or_default() += 1;
        }
        let mut seen = BTreeSet::new();
        for e in arr(n, "Entries") {
            let key = (
                e.get("Egress").and_then(Value::as_bool),
                e.get("RuleNumber").and_then(Value::as_u64),
            );
            p.check(seen.insert(key), || {
                format!("nacl {}: duplicate rule {key:?}", s(n, "NetworkAclId"))
            });
            p.check(["allow", "deny"].contains(&s(e, "RuleAction")), || {
                "nacl action".to_owned()
            });
        }
    }
    for sn in subnets.keys() {
        p.check(acl_subnets.get(sn) == Some(&1), || {
            format!("subnet {sn} not in exactly one nacl")
        });
    }

    // Security group references.
    for g in sgs.values() {
        for perm in arr(g, "IpPermissions")
            .iter()
            .chain(arr(g, "IpPermissionsEgress"))
        {
            for pair in arr(perm, "UserIdGroupPairs") {
                p.check(sgs.contains_key(s(pair, "GroupId")), || {
                    "sg references unknown group".to_owned()
                });
            }
            for pl in arr(perm, "PrefixListIds") {
                p.check(pls.contains(s(pl, "PrefixListId")), || {
                    "sg references unknown prefix list".to_owned()
                });
            }
            for r in arr(perm, "IpRanges") {
                p.check(cidr4(s(r, "CidrIp")).is_some(), || {
                    format!("bad CidrIp {}", s(r, "CidrIp"))
                });
            }
        }
    }

    // Network interfaces: subnet, groups, addresses.
    let mut ips: BTreeSet<(&str, u32)> = BTreeSet::new();
    let mut public: BTreeSet<&str> = BTreeSet::new();
    for (id, e) in &enis {
        let sn = subnets.get(s(e, "SubnetId"));
        p.check(sn.is_some(), || format!("eni {id}: unknown subnet"));
        let Some(sn) = sn else { continue };
        let vpc = s(e, "VpcId");
        p.check(s(sn, "VpcId") == vpc, || {
            format!("eni {id}: vpc differs from its subnet's")
        });
        p.check(
            s(sn, "AvailabilityZone") == s(e, "AvailabilityZone"),
            || format!("eni {id}: az"),
        );
        for g in arr(e, "Groups") {
            p.check(
                sgs.get(s(g, "GroupId"))
                    .is_some_and(|x| s(x, "VpcId") == vpc),
                || format!("eni {id}: group"),
            );
        }
        let net = cidr4(s(sn, "CidrBlock")).unwrap_or((0, 32));
        for a in arr(e, "PrivateIpAddresses") {
            let ip = s(a, "PrivateIpAddress")
                .parse::<Ipv4Addr>()
                .map(u32::from)
                .unwrap_or(0);
            p.check(in4(net, ip), || format!("eni {id}: ip outside subnet"));
            let offset = ip - net.0;
            let size = 1u32 << (32 - u32::from(net.1));
            p.check(offset >= 4 && offset < size - 1, || {
                format!("eni {id}: reserved address")
            });
            p.check(ips.insert((vpc, ip)), || {
                format!("eni {id}: duplicate ip in vpc")
            });
        }
        let sub6 = arr(sn, "Ipv6CidrBlockAssociationSet")
            .first()
            .and_then(|a| cidr6(s(a, "Ipv6CidrBlock")));
        for a in arr(e, "Ipv6Addresses") {
            let ip = s(a, "Ipv6Address")
                .parse::<Ipv6Addr>()
                .map(u128::from)
                .unwrap_or(0);
            p.check(sub6.is_some_and(|(b, _)| ip >> 64 == b >> 64), || {
                format!("eni {id}: ipv6 outside subnet")
            });
        }
        if let Some(ip) = e.get("Association").map(|a| s(a, "PublicIp")) {
            p.check(public.insert(ip), || format!("public ip {ip} used twice"));
        }
        if let Some(i) = e
            .get("Attachment")
            .and_then(|a| a.get("InstanceId"))
            .and_then(Value::as_str)
        {
            let inst = instances.get(i);
            p.check(inst.is_some(), || format!("eni {id}: unknown instance"));
            let listed = inst.is_some_and(|x| {
                arr(x, "NetworkInterfaces")
                    .iter()
                    .any(|n| s(n, "NetworkInterfaceId") == *id)
            });
            p.check(listed, || format!("eni {id}: instance does not list it"));
        }
    }
    for (id, i) in &instances {
        p.check(subnets.contains_key(s(i, "SubnetId")), || {
            format!("instance {id}: subnet")
        });
        p.check(vpcs.contains_key(s(i, "VpcId")), || {
            format!("instance {id}: vpc")
        });
        for g in arr(i, "SecurityGroups") {
            p.check(sgs.contains_key(s(g, "GroupId")), || {
                format!("instance {id}: group")
            });
        }
        let nics = arr(i, "NetworkInterfaces");
        p.check(!nics.is_empty(), || format!("instance {id}: no interfaces"));
        for n in nics {
            p.check(enis.contains_key(s(n, "NetworkInterfaceId")), || {
                format!("instance {id}: eni")
            });
        }
        let primary = nics.first().map_or("", |n| s(n, "PrivateIpAddress"));
        p.check(s(i, "PrivateIpAddress") == primary, || {
            format!("instance {id}: private ip")
        });
    }
    for (id, n) in &nats {
        p.check(subnets.contains_key(s(n, "SubnetId")), || {
            format!("nat {id}: subnet")
        });
        for a in arr(n, "NatGatewayAddresses") {
            let eni = enis.get(s(a, "NetworkInterfaceId"));
            p.check(
                eni.is_some_and(|e| s(e, "InterfaceType") == "nat_gateway"),
                || format!("nat {id}: eni"),
            );
        }
    }
    for (id, e) in &endpoints {
        let vpc = s(e, "VpcId");
        for r in arr(e, "RouteTableIds").iter().filter_map(Value::as_str) {
            p.check(rt_vpc.get(r) == Some(&vpc), || {
                format!("endpoint {id}: route table")
            });
        }
        for sn in arr(e, "SubnetIds").iter().filter_map(Value::as_str) {
            p.check(
                subnets.get(sn).is_some_and(|x| s(x, "VpcId") == vpc),
                || format!("endpoint {id}: subnet"),
            );
        }
        for x in arr(e, "NetworkInterfaceIds")
            .iter()
            .filter_map(Value::as_str)
        {
            let ok = enis
                .get(x)
                .is_some_and(|n| s(n, "InterfaceType") == "vpc_endpoint" && s(n, "VpcId") == vpc);
            p.check(ok, || format!("endpoint {id}: eni"));
        }
        for g in arr(e, "Groups") {
            p.check(sgs.contains_key(s(g, "GroupId")), || {
                format!("endpoint {id}: group")
            });
        }
    }
    for (id, x) in &peerings {
        for side in ["AccepterVpcInfo", "RequesterVpcInfo"] {
            let info = x.get(side).cloned().unwrap_or(Value::Null);
            let vpc = vpcs.get(s(&info, "VpcId"));
            p.check(
                vpc.is_some_and(|(v, f)| {
                    s(v, "CidrBlock") == s(&info, "CidrBlock")
                        && f.account == s(&info, "OwnerId")
                        && f.region == s(&info, "Region")
                }),
                || format!("peering {id}: {side}"),
            );
        }
    }

    // Transit gateways.
    for (id, a) in &attachments {
        p.check(tgws.contains(s(a, "TransitGatewayId")), || {
            format!("attachment {id}: tgw")
        });
        p.check(vpcs.contains_key(s(a, "ResourceId")), || {
            format!("attachment {id}: vpc")
        });
        let rt = a
            .get("Association")
            .map_or("", |x| s(x, "TransitGatewayRouteTableId"));
        p.check(tgw_rts.get(rt) == Some(&s(a, "TransitGatewayId")), || {
            format!("attachment {id}: route table")
        });
    }
    for (_, a) in items(
        &files,
        "describe-transit-gateway-vpc-attachments",
        "TransitGatewayVpcAttachments",
    ) {
        let id = s(a, "TransitGatewayAttachmentId");
        p.check(attachments.contains_key(id), || {
            format!("vpc attachment {id} not listed")
        });
        let mut azs = BTreeSet::new();
        for sn in arr(a, "SubnetIds").iter().filter_map(Value::as_str) {
            let subnet = subnets.get(sn);
            p.check(
                subnet.is_some_and(|x| s(x, "VpcId") == s(a, "VpcId")),
                || format!("vpc attachment {id}: subnet"),
            );
            p.check(
                azs.insert(subnet.map_or("", |x| s(x, "AvailabilityZone"))),
                || format!("vpc attachment {id}: two subnets in one az"),
            );
        }
        p.check(!azs.is_empty(), || {
            format!("vpc attachment {id}: no subnets")
        });
    }
    let mut blackholes = 0;
    for f in files
        .iter()
        .filter(|f| f.resource.is_some() && f.service == "ec2")
    {
        let rid = f.resource.as_deref().unwrap_or("");
        match f.command.as_str() {
            "get-managed-prefix-list-entries" => {
                p.check(
                    managed.contains(&(f.account.as_str(), f.region.as_str(), rid)),
                    || format!("entries for unknown list {rid}"),
                );
                for e in arr(&f.body, "Entries") {
                    p.check(cidr4(s(e, "Cidr")).is_some(), || {
                        "bad prefix list entry".to_owned()
                    });
                }
            }
            "search-transit-gateway-routes" => {
                p.check(tgw_rts.contains_key(rid), || {
                    format!("routes of unknown tgw rt {rid}")
                });
                p.check(
                    f.body.get("AdditionalRoutesAvailable") == Some(&Value::Bool(false)),
                    || "AdditionalRoutesAvailable".to_owned(),
                );
                for r in arr(&f.body, "Routes") {
                    if s(r, "State") == "blackhole" {
                        blackholes += 1;
                    }
                    for a in arr(r, "TransitGatewayAttachments") {
                        let att = attachments.get(s(a, "TransitGatewayAttachmentId"));
                        p.check(
                            att.is_some_and(|x| s(x, "ResourceId") == s(a, "ResourceId")),
                            || format!("tgw route in {rid}: attachment"),
                        );
                    }
                }
            }
            "get-transit-gateway-route-table-associations"
            | "get-transit-gateway-route-table-propagations" => {
                p.check(tgw_rts.contains_key(rid), || {
                    format!("unknown tgw rt {rid}")
                });
                let key = if f.command.ends_with("associations") {
                    "Associations"
                } else {
                    "TransitGatewayRouteTablePropagations"
                };
                for a in arr(&f.body, key) {
                    p.check(
                        attachments.contains_key(s(a, "TransitGatewayAttachmentId")),
                        || "tgw rt: attachment".to_owned(),
                    );
                }
            }
            other => p.check(false, || format!("unexpected per-resource command {other}")),
        }
    }
    p.check(blackholes > 0, || {
        "no blackhole transit gateway route".to_owned()
    });
    for f in files.iter().filter(|f| f.service == "sagemaker") {
        let b = &f.body;
        match f.command.as_str() {
            "describe-notebook-instance" => {
                p.check(
                    s(b, "NotebookInstanceName") == f.resource.as_deref().unwrap_or(""),
                    || "notebook name".to_owned(),
                );
                if let Some(sn) = b.get("SubnetId").and_then(Value::as_str) {
                    p.check(subnets.contains_key(sn), || "notebook subnet".to_owned());
                    let eni = enis.get(s(b, "NetworkInterfaceId"));
                    p.check(eni.is_some_and(|e| s(e, "SubnetId") == sn), || {
                        "notebook eni".to_owned()
                    });
                }
                for g in arr(b, "SecurityGroups").iter().filter_map(Value::as_str) {
                    p.check(sgs.contains_key(g), || "notebook group".to_owned());
                }
            }
            "describe-training-job" => {
                p.check(
                    s(b, "TrainingJobName") == f.resource.as_deref().unwrap_or(""),
                    || "job name".to_owned(),
                );
                if let Some(vc) = b.get("VpcConfig") {
                    for sn in arr(vc, "Subnets").iter().filter_map(Value::as_str) {
                        p.check(subnets.contains_key(sn), || "job subnet".to_owned());
                    }
                    for g in arr(vc, "SecurityGroupIds").iter().filter_map(Value::as_str) {
                        p.check(sgs.contains_key(g), || "job group".to_owned());
                    }
                }
            }
            other => p.check(false, || format!("unexpected sagemaker command {other}")),
        }
    }

    if p.0.is_empty() {
        Ok(())
    } else {
        Err(p.0.join("\n").into())
    }
}

#[test]
fn small_organisation_is_consistent() -> TestResult {
    let dir = TempDir::new("small");
    let stats = generate(&opts(0.01, 1, 10), &dir.0)?;
    assert_eq!(stats.subnets, 50);
    assert_eq!(stats.enis, 500);
    assert_eq!(stats.security_groups, 50);
    assert_eq!(stats.sg_rules, 1_000);
    assert_eq!(stats.transit_gateways, 2);
    assert_eq!(stats.tgw_route_tables, 4);
    assert!(stats.vpcs >= 5 && stats.instances > 0 && stats.sagemaker_resources >= 4);
    check_snapshot(&dir.0, &stats)
}

#[test]
fn other_seeds_and_account_counts_are_consistent() -> TestResult {
    for (scale, seed, accounts) in [(0.03, 2, 1), (0.02, 3, 3), (0.05, 4, 10)] {
        let dir = TempDir::new("shapes");
        let stats = generate(&opts(scale, seed, accounts), &dir.0)?;
        check_snapshot(&dir.0, &stats).map_err(|e| format!("scale {scale} seed {seed}: {e}"))?;
    }
    Ok(())
}

fn tree(root: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>, Box<dyn Error>> {
    let mut paths = Vec::new();
    walk(root, &mut paths)?;
    let mut out = BTreeMap::new();
    for p in paths {
        out.insert(p.strip_prefix(root)?.to_path_buf(), std::fs::read(&p)?);
    }
    Ok(out)
}

#[test]
fn output_is_deterministic() -> TestResult {
    let a = TempDir::new("det-a");
    let b = TempDir::new("det-b");
    let c = TempDir::new("det-c");
    let sa = generate(&opts(0.01, 42, 4), &a.0)?;
    let sb = generate(&opts(0.01, 42, 4), &b.0)?;
    generate(&opts(0.01, 43, 4), &c.0)?;
    assert_eq!(sa, sb);
    let (ta, tb, tc) = (tree(&a.0)?, tree(&b.0)?, tree(&c.0)?);
    assert!(ta == tb, "same seed gave different files");
    assert!(ta != tc, "different seeds gave the same files");
    Ok(())
}

#[test]
fn organisation_is_varied() -> TestResult {
    let dir = TempDir::new("varied");
    let stats = generate(&opts(0.05, 5, 10), &dir.0)?;
    let files = load(&dir.0)?;
    let text = |cmd: &str| -> String {
        files
            .iter()
            .filter(|f| f.command == cmd)
            .map(|f| f.body.to_string())
            .collect()
    };
    let enis = text("describe-network-interfaces");
    let instances = text("describe-instances");
    let vpcs = text("describe-vpcs");
    let sgs = text("describe-security-groups");
    let rts = text("describe-route-tables");
    let nacls = text("describe-network-acls");
    let endpoints = text("describe-vpc-endpoints");
    for (what, hay, needle) in [
        ("public ENIs", &enis, "\"PublicIp\""),
        ("NAT ENIs", &enis, "\"nat_gateway\""),
        ("endpoint ENIs", &enis, "\"vpc_endpoint\""),
        ("IPv6 ENIs", &enis, "\"Ipv6Address\""),
        ("GPU instances", &instances, "p4d.24xlarge"),
        ("ml-workload tags", &instances, "ml-workload"),
        ("IPv6 VPCs", &vpcs, "Ipv6CidrBlock"),
        ("172.16/12 VPCs", &vpcs, "\"172.1"),
        ("team tags", &vpcs, "\"team\""),
        ("prefix list sources", &sgs, "PrefixListId"),
        ("group references", &sgs, "UserIdGroupPairs\":[{"),
        ("NAT routes", &rts, "NatGatewayId"),
        ("TGW routes", &rts, "TransitGatewayId"),
        ("peering routes", &rts, "VpcPeeringConnectionId"),
        ("S3 endpoint routes", &rts, "DestinationPrefixListId"),
        ("IPv6 routes", &rts, "EgressOnlyInternetGatewayId"),
        ("interface endpoints", &endpoints, "sagemaker.api"),
    ] {
        assert!(hay.contains(needle), "no {what} in the snapshot");
    }
    let open_ssh = items(&files, "describe-security-groups", "SecurityGroups")
        .iter()
        .flat_map(|(_, g)| arr(g, "IpPermissions"))
        .any(|p| {
            p.get("FromPort").and_then(Value::as_i64) == Some(22)
                && arr(p, "IpRanges")
                    .iter()
                    .any(|r| s(r, "CidrIp") == "0.0.0.0/0")
        });
    assert!(open_ssh, "no security group opens ssh to the world");
    let custom_deny = items(&files, "describe-network-acls", "NetworkAcls")
        .iter()
        .filter(|(_, n)| n.get("IsDefault") == Some(&Value::Bool(false)))
        .flat_map(|(_, n)| arr(n, "Entries"))
        .any(|e| {
            s(e, "RuleAction") == "deny"
                && e.get("RuleNumber").and_then(Value::as_u64) < Some(32_767)
        });
    assert!(custom_deny, "no custom network ACL deny entry");
    assert!(nacls.contains("32768"), "no IPv6 network ACL entries");
    // Roughly one interface in ten has a public address.
    let public = enis.matches("\"Association\":{").count();
    let share = public as f64 / stats.enis as f64;
    assert!((0.03..0.25).contains(&share), "public ENI share {share}");
    Ok(())
}

#[test]
fn rejects_bad_options_and_non_empty_output() -> TestResult {
    let dir = TempDir::new("reject");
    assert!(matches!(
        generate(&opts(0.0, 1, 1), &dir.0),
        Err(SynthError::InvalidScale(_))
    ));
    assert!(matches!(
        generate(&opts(f64::NAN, 1, 1), &dir.0),
        Err(SynthError::InvalidScale(_))
    ));
    assert!(matches!(
        generate(&opts(0.01, 1, 0), &dir.0),
        Err(SynthError::NoAccounts)
    ));
    std::fs::create_dir_all(&dir.0)?;
    std::fs::write(dir.0.join("keep.txt"), "user data")?;
    assert!(matches!(
        generate(&opts(0.01, 1, 1), &dir.0),
        Err(SynthError::OutputNotEmpty(_))
    ));
    assert_eq!(
        std::fs::read_to_string(dir.0.join("keep.txt"))?,
        "user data"
    );
    Ok(())
}

/// The benchmark size: `cargo test --release -p mlguard_synth -- --ignored`.
#[test]
#[ignore = "writes about 350 MiB; run in release"]
fn scale_one_is_consistent() -> TestResult {
    let dir = TempDir::new("scale-one");
    let stats = generate(&opts(1.0, 0, 10), &dir.0)?;
    assert_eq!(
        (
            stats.vpcs,
            stats.subnets,
            stats.enis,
            stats.security_groups,
            stats.sg_rules
        ),
        (500, 5_000, 50_000, 5_000, 100_000)
    );
    assert_eq!((stats.transit_gateways, stats.tgw_route_tables), (20, 200));
    check_snapshot(&dir.0, &stats)
}
