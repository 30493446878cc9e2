//! Semantic tests of the reach engine, one rule of docs/NETWORK-SEMANTICS.md at a time.
//!
//! Every scenario is a small snapshot written in the AWS CLI layout
//! (`<tmp>/<account>/<region>/ec2/<command>.json`, per-resource files under
//! `ec2/<resource>/<command>.json`), loaded through `mlguard_snapshot` and indexed by
//! `Net::build`, exactly as the binary does. Scenarios start from [`baseline`] and change one
//! thing. Each test pins the verdict *and* where a blocked connection stops (`blocked[..].at`
//! and a phrase of the reason) or the hops a reachable one takes, so that each can fail.
//!
//! Families: security groups, network ACLs, transit gateway network ACLs, route tables,
//! internet gateway, NAT gateway, egress-only internet gateway, VPC peering, transit gateway,
//! and property tests over random variations of the baseline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlguard_net::addr::{self, Cidr, Family};
use mlguard_net::ports::{PortSet, Proto};
use mlguard_net::reach::{self, Answer, Dest, Options, PathOut, Reach, Source};
use mlguard_net::walk::Hop;
use mlguard_net::Net;
use mlguard_snapshot::{Inventory, Snapshot};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------------------------
// Snapshot builder
// ---------------------------------------------------------------------------------------------

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";

const ALLOW: &str = "allow";
const DENY: &str = "deny";
/// Network ACL protocols as `describe-network-acls` prints them.
const ALL: &str = "-1";
const TCP: &str = "6";
/// Any port (no `PortRange` / `FromPort`).
const ANY: Option<(i64, i64)> = None;

fn port(p: i64) -> Option<(i64, i64)> {
    Some((p, p))
}

fn ports(from: i64, to: i64) -> Option<(i64, i64)> {
    Some((from, to))
}

/// One element of a listing, upserted by its id.
struct Item {
    region: String,
    cmd: &'static str,
    id: String,
    value: Value,
}

/// One per-resource response file (`ec2/<res>/<cmd>.json`).
struct ResFile {
    region: String,
    res: String,
    cmd: &'static str,
    value: Value,
}

/// A snapshot under construction. Adding a resource whose id exists replaces it, so a test
/// changes the baseline by declaring the resource again.
struct Snap {
    region: String,
    items: Vec<Item>,
    files: Vec<ResFile>,
}

impl Snap {
    fn new() -> Snap {
        Snap { region: REGION.into(), items: Vec::new(), files: Vec::new() }
    }

    /// Resources added from now on go to this region.
    fn in_region(&mut self, region: &str) -> &mut Self {
        self.region = region.into();
        self
    }

    fn put(&mut self, cmd: &'static str, id: &str, value: Value) -> &mut Self {
        let item = Item { region: self.region.clone(), cmd, id: id.into(), value };
        match self.items.iter_mut().find(|i| i.cmd == cmd && i.id == id) {
            Some(i) => *i = item,
            None => self.items.push(item),
        }
        self
    }

    fn put_file(&mut self, res: &str, cmd: &'static str, value: Value) -> &mut Self {
        let f = ResFile { region: self.region.clone(), res: res.into(), cmd, value };
        match self.files.iter_mut().find(|x| x.cmd == cmd && x.res == res) {
            Some(x) => *x = f,
            None => self.files.push(f),
        }
        self
    }

    fn item(&self, cmd: &str, id: &str) -> &Item {
        match self.items.iter().find(|i| i.cmd == cmd && i.id == id) {
            Some(i) => i,
            None => panic!("fixture: no `{id}` in {cmd}"),
        }
    }

    fn get(&self, cmd: &str, id: &str) -> &Value {
        &self.item(cmd, id).value
    }

    fn edit(&mut self, cmd: &str, id: &str, f: impl FnOnce(&mut Value)) -> &mut Self {
        match self.items.iter_mut().find(|i| i.cmd == cmd && i.id == id) {
            Some(i) => f(&mut i.value),
            None => panic!("fixture: no `{id}` in {cmd}"),
        }
        self
    }

    fn remove(&mut self, cmd: &str, id: &str) -> &mut Self {
        self.items.retain(|i| !(i.cmd == cmd && i.id == id));
        self
    }

    fn vpc_of_subnet(&self, subnet: &str) -> String {
        self.get("describe-subnets", subnet)["VpcId"].as_str().unwrap_or_default().to_string()
    }

    // --- resources ---------------------------------------------------------------------------

    fn vpc(&mut self, id: &str, cidr: &str) -> &mut Self {
        self.put(
            "describe-vpcs",
            id,
            json!({
                "VpcId": id, "OwnerId": ACCOUNT, "State": "available", "CidrBlock": cidr,
                "CidrBlockAssociationSet": [{"CidrBlock": cidr, "CidrBlockState": {"State": "associated"}}]
            }),
        )
    }

    fn vpc_ipv6(&mut self, id: &str, cidr6: &str) -> &mut Self {
        self.edit("describe-vpcs", id, |v| {
            v["Ipv6CidrBlockAssociationSet"] = json!([{"Ipv6CidrBlock": cidr6, "Ipv6CidrBlockState": {"State": "associated"}}]);
        })
    }

    fn subnet(&mut self, id: &str, vpc: &str, cidr: &str, az: &str) -> &mut Self {
        self.put(
            "describe-subnets",
            id,
            json!({"SubnetId": id, "VpcId": vpc, "CidrBlock": cidr, "AvailabilityZone": az, "OwnerId": ACCOUNT, "State": "available"}),
        )
    }

    fn subnet_ipv6(&mut self, id: &str, cidr6: &str) -> &mut Self {
        self.edit("describe-subnets", id, |v| {
            v["Ipv6CidrBlockAssociationSet"] = json!([{"Ipv6CidrBlock": cidr6, "Ipv6CidrBlockState": {"State": "associated"}}]);
        })
    }

    fn igw(&mut self, id: &str, vpc: &str) -> &mut Self {
        self.put("describe-internet-gateways", id, json!({"InternetGatewayId": id, "OwnerId": ACCOUNT, "Attachments": [{"VpcId": vpc, "State": "available"}]}))
    }

    fn eigw(&mut self, id: &str, vpc: &str) -> &mut Self {
        self.put("describe-egress-only-internet-gateways", id, json!({"EgressOnlyInternetGatewayId": id, "Attachments": [{"VpcId": vpc, "State": "attached"}]}))
    }

    /// A route table; `assoc` lists `"main"` and/or subnet ids (taken away from any other table).
    fn rtb(&mut self, id: &str, vpc: &str, assoc: &[&str], routes: &[Value]) -> &mut Self {
        for i in self.items.iter_mut().filter(|i| i.cmd == "describe-route-tables") {
            if let Some(a) = i.value["Associations"].as_array_mut() {
                a.retain(|x| !assoc.iter().any(|s| x["SubnetId"] == json!(s)));
            }
        }
        let associations: Vec<Value> = assoc
            .iter()
            .map(|s| match *s {
                "main" => json!({"Main": true, "RouteTableId": id, "AssociationState": {"State": "associated"}}),
                s => json!({"Main": false, "RouteTableId": id, "SubnetId": s, "AssociationState": {"State": "associated"}}),
            })
            .collect();
        self.put("describe-route-tables", id, json!({"RouteTableId": id, "VpcId": vpc, "OwnerId": ACCOUNT, "Associations": associations, "Routes": routes}))
    }

    fn add_route(&mut self, rtb: &str, r: Value) -> &mut Self {
        self.edit("describe-route-tables", rtb, |v| {
            if let Some(a) = v["Routes"].as_array_mut() {
                a.push(r);
            }
        })
    }

    /// A network ACL with the given entries plus AWS's `*` deny rules; its subnets are taken
    /// away from any other ACL.
    fn nacl(&mut self, id: &str, vpc: &str, subnets: &[&str], entries: &[Value]) -> &mut Self {
        for i in self.items.iter_mut().filter(|i| i.cmd == "describe-network-acls") {
            if let Some(a) = i.value["Associations"].as_array_mut() {
                a.retain(|x| !subnets.iter().any(|s| x["SubnetId"] == json!(s)));
            }
        }
        let mut all: Vec<Value> = entries.to_vec();
        for egress in [false, true] {
            all.push(acl_rule(32767, egress, DENY, ALL, "0.0.0.0/0", ANY));
            all.push(acl_rule(32768, egress, DENY, ALL, "::/0", ANY));
        }
        let assoc: Vec<Value> = subnets.iter().map(|s| json!({"NetworkAclId": id, "SubnetId": s})).collect();
        self.put("describe-network-acls", id, json!({"NetworkAclId": id, "VpcId": vpc, "IsDefault": false, "OwnerId": ACCOUNT, "Associations": assoc, "Entries": all}))
    }

    fn sg(&mut self, id: &str, vpc: &str, ingress: &[Value], egress: &[Value]) -> &mut Self {
        self.put(
            "describe-security-groups",
            id,
            json!({"GroupId": id, "GroupName": id, "VpcId": vpc, "OwnerId": ACCOUNT, "IpPermissions": ingress, "IpPermissionsEgress": egress}),
        )
    }

    /// An interface (type `interface`) with one private address and an optional public one.
    fn eni(&mut self, id: &str, subnet: &str, ip: &str, public: Option<&str>, groups: &[&str]) -> &mut Self {
        let sub = self.get("describe-subnets", subnet).clone();
        let groups: Vec<Value> = groups.iter().map(|g| json!({"GroupId": g, "GroupName": g})).collect();
        let mut v = json!({
            "NetworkInterfaceId": id, "SubnetId": subnet, "VpcId": sub["VpcId"], "AvailabilityZone": sub["AvailabilityZone"],
            "PrivateIpAddress": ip, "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": true}],
            "Ipv6Addresses": [], "Groups": groups, "InterfaceType": "interface", "Status": "in-use",
            "OwnerId": ACCOUNT, "SourceDestCheck": true
        });
        if let Some(p) = public {
            let a = json!({"PublicIp": p, "IpOwnerId": "amazon"});
            v["Association"] = a.clone();
            v["PrivateIpAddresses"][0]["Association"] = a;
        }
        self.put("describe-network-interfaces", id, v)
    }

    fn eni_ipv6(&mut self, id: &str, v6: &str) -> &mut Self {
        self.edit("describe-network-interfaces", id, |v| v["Ipv6Addresses"] = json!([{"Ipv6Address": v6}]))
    }

    /// A NAT gateway and its interface `eni-<id>`; public when it has an Elastic IP.
    fn nat(&mut self, id: &str, subnet: &str, private_ip: &str, eip: Option<&str>) -> &mut Self {
        let eni = format!("eni-{id}");
        self.eni(&eni, subnet, private_ip, eip, &[]);
        self.edit("describe-network-interfaces", &eni, |v| {
            v["InterfaceType"] = json!("nat_gateway");
            v["SourceDestCheck"] = json!(false);
        });
        let vpc = self.vpc_of_subnet(subnet);
        self.put(
            "describe-nat-gateways",
            id,
            json!({
                "NatGatewayId": id, "SubnetId": subnet, "VpcId": vpc, "State": "available",
                "ConnectivityType": if eip.is_some() { "public" } else { "private" },
                "NatGatewayAddresses": [{"NetworkInterfaceId": eni, "PrivateIp": private_ip, "PublicIp": eip, "IsPrimary": true}]
            }),
        )
    }

    fn pcx(&mut self, id: &str, requester: &str, accepter: &str, status: &str) -> &mut Self {
        let side = |s: &Snap, vpc: &str| {
            let it = s.item("describe-vpcs", vpc);
            let cidr = it.value["CidrBlock"].clone();
            json!({"VpcId": vpc, "OwnerId": ACCOUNT, "Region": it.region, "CidrBlock": cidr, "CidrBlockSet": [{"CidrBlock": cidr}]})
        };
        let (r, a) = (side(self, requester), side(self, accepter));
        self.put(
            "describe-vpc-peering-connections",
            id,
            json!({"VpcPeeringConnectionId": id, "RequesterVpcInfo": r, "AccepterVpcInfo": a, "Status": {"Code": status}}),
        )
    }

    fn tgw(&mut self, id: &str, sg_referencing: bool) -> &mut Self {
        self.put(
            "describe-transit-gateways",
            id,
            json!({
                "TransitGatewayId": id, "OwnerId": ACCOUNT, "State": "available",
                "Options": {
                    "DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable",
                    "SecurityGroupReferencingSupport": enable(sg_referencing)
                }
            }),
        )
    }

    /// A VPC attachment (both listings), associated with one transit gateway route table.
    fn tgw_attach(&mut self, id: &str, tgw: &str, vpc: &str, subnets: &[&str], rt: &str, sg_referencing: bool) -> &mut Self {
        self.put(
            "describe-transit-gateway-attachments",
            id,
            json!({
                "TransitGatewayAttachmentId": id, "TransitGatewayId": tgw, "TransitGatewayOwnerId": ACCOUNT,
                "ResourceOwnerId": ACCOUNT, "ResourceType": "vpc", "ResourceId": vpc, "State": "available",
                "Association": {"TransitGatewayRouteTableId": rt, "State": "associated"}
            }),
        );
        self.put(
            "describe-transit-gateway-vpc-attachments",
            id,
            json!({
                "TransitGatewayAttachmentId": id, "TransitGatewayId": tgw, "VpcId": vpc, "VpcOwnerId": ACCOUNT,
                "State": "available", "SubnetIds": subnets,
                "Options": {"DnsSupport": "enable", "SecurityGroupReferencingSupport": enable(sg_referencing), "Ipv6Support": "disable", "ApplianceModeSupport": "disable"}
            }),
        )
    }

    /// A transit gateway route table with its `search-transit-gateway-routes` file.
    fn tgw_rt(&mut self, id: &str, tgw: &str, routes: &[Value]) -> &mut Self {
        self.put("describe-transit-gateway-route-tables", id, json!({"TransitGatewayRouteTableId": id, "TransitGatewayId": tgw, "State": "available"}));
        self.put_file(id, "search-transit-gateway-routes", json!({"Routes": routes, "AdditionalRoutesAvailable": false}))
    }

    /// An AWS-managed prefix list as `describe-prefix-lists` prints it.
    fn aws_prefix_list(&mut self, id: &str, name: &str, cidrs: &[&str]) -> &mut Self {
        self.put("describe-prefix-lists", id, json!({"PrefixListId": id, "PrefixListName": name, "Cidrs": cidrs}))
    }

    /// A customer-managed prefix list and its `get-managed-prefix-list-entries` file.
    fn managed_prefix_list(&mut self, id: &str, name: &str, cidrs: &[&str]) -> &mut Self {
        self.put(
            "describe-managed-prefix-lists",
            id,
            json!({"PrefixListId": id, "PrefixListName": name, "AddressFamily": "IPv4", "OwnerId": ACCOUNT, "State": "create-complete", "MaxEntries": 10}),
        );
        let entries: Vec<Value> = cidrs.iter().map(|c| json!({"Cidr": c})).collect();
        self.put_file(id, "get-managed-prefix-list-entries", json!({"Entries": entries}))
    }

    fn gateway_endpoint(&mut self, id: &str, vpc: &str, service: &str, rtbs: &[&str]) -> &mut Self {
        self.put(
            "describe-vpc-endpoints",
            id,
            json!({"VpcEndpointId": id, "VpcEndpointType": "Gateway", "VpcId": vpc, "ServiceName": service, "State": "available", "RouteTableIds": rtbs, "OwnerId": ACCOUNT}),
        )
    }

    // --- writing and loading -----------------------------------------------------------------

    fn write(&self, root: &Path) {
        let mut lists: BTreeMap<(String, &'static str), Vec<&Value>> = BTreeMap::new();
        for i in &self.items {
            lists.entry((i.region.clone(), i.cmd)).or_default().push(&i.value);
        }
        for ((region, cmd), values) in lists {
            let Some(key) = mlguard_snapshot::commands::lookup("ec2", cmd).and_then(|c| c.list_key) else {
                panic!("fixture: `{cmd}` is not a recognised list command")
            };
            write_json(&root.join(ACCOUNT).join(region).join("ec2").join(format!("{cmd}.json")), &json!({ key: values }));
        }
        for f in &self.files {
            write_json(&root.join(ACCOUNT).join(&f.region).join("ec2").join(&f.res).join(format!("{}.json", f.cmd)), &f.value);
        }
    }

    /// Writes the snapshot into a fresh temporary directory, loads and indexes it, and removes
    /// the directory again.
    fn build(&self) -> World {
        let dir = TempDir::new();
        self.write(&dir.0);
        let snapshot = match Snapshot::open(&dir.0) {
            Ok(s) => s,
            Err(e) => panic!("fixture: {e}"),
        };
        let inv = Inventory::load(&snapshot);
        assert!(inv.diagnostics.is_empty(), "fixture files are malformed: {:#?}", inv.diagnostics);
        World { net: Net::build(&inv) }
    }
}

fn enable(on: bool) -> &'static str {
    if on {
        "enable"
    } else {
        "disable"
    }
}

fn write_json(path: &Path, v: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// A unique temporary directory, removed on drop (also when a test panics).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!("mlguard-semantics-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A VPC route: the destination key from the form of `dest` (CIDR, IPv6 CIDR, `pl-`), the
/// target key from the target's id prefix.
fn route(dest: &str, target: &str) -> Value {
    let dkey = if dest.starts_with("pl-") {
        "DestinationPrefixListId"
    } else if dest.contains(':') {
        "DestinationIpv6CidrBlock"
    } else {
        "DestinationCidrBlock"
    };
    let tkey = match target.split('-').next().unwrap_or_default() {
        "local" | "igw" | "vpce" => "GatewayId",
        "nat" => "NatGatewayId",
        "tgw" => "TransitGatewayId",
        "pcx" => "VpcPeeringConnectionId",
        "eigw" => "EgressOnlyInternetGatewayId",
        "eni" => "NetworkInterfaceId",
        other => panic!("fixture: unknown route target kind `{other}`"),
    };
    let origin = if target == "local" { "CreateRouteTable" } else { "CreateRoute" };
    json!({ dkey: dest, tkey: target, "Origin": origin, "State": "active" })
}

fn blackhole(mut r: Value) -> Value {
    r["State"] = json!("blackhole");
    r
}

fn tgw_route(dest: &str, attachment: &str, kind: &str) -> Value {
    json!({
        "DestinationCidrBlock": dest, "Type": kind, "State": "active",
        "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": attachment, "ResourceType": "vpc"}]
    })
}

fn tgw_blackhole(dest: &str) -> Value {
    json!({"DestinationCidrBlock": dest, "Type": "static", "State": "blackhole", "TransitGatewayAttachments": []})
}

fn acl_rule(n: i64, egress: bool, action: &str, proto: &str, cidr: &str, ports: Option<(i64, i64)>) -> Value {
    let mut e = json!({"RuleNumber": n, "Protocol": proto, "RuleAction": action, "Egress": egress});
    if cidr.contains(':') {
        e["Ipv6CidrBlock"] = json!(cidr);
    } else {
        e["CidrBlock"] = json!(cidr);
    }
    if let Some((from, to)) = ports {
        e["PortRange"] = json!({"From": from, "To": to});
    }
    e
}

fn inbound(n: i64, action: &str, proto: &str, cidr: &str, ports: Option<(i64, i64)>) -> Value {
    acl_rule(n, false, action, proto, cidr, ports)
}

fn outbound(n: i64, action: &str, proto: &str, cidr: &str, ports: Option<(i64, i64)>) -> Value {
    acl_rule(n, true, action, proto, cidr, ports)
}

/// The default network ACL's rules: allow everything both ways, both families.
fn allow_all() -> Vec<Value> {
    vec![
        inbound(100, ALLOW, ALL, "0.0.0.0/0", ANY),
        outbound(100, ALLOW, ALL, "0.0.0.0/0", ANY),
        inbound(101, ALLOW, ALL, "::/0", ANY),
        outbound(101, ALLOW, ALL, "::/0", ANY),
    ]
}

/// `extra` rules in front of the default allow-all rules.
fn allow_all_but(extra: &[Value]) -> Vec<Value> {
    let mut v = extra.to_vec();
    v.extend(allow_all());
    v
}

/// A security group permission; the peer's form picks the source kind: `sg-` a group
/// reference, `pl-` a prefix list, an IPv6 CIDR, or an IPv4 CIDR.
fn perm(proto: &str, ports: Option<(i64, i64)>, peer: &str) -> Value {
    let mut p = json!({"IpProtocol": proto, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []});
    if let Some((from, to)) = ports {
        p["FromPort"] = json!(from);
        p["ToPort"] = json!(to);
    }
    if peer.starts_with("sg-") {
        p["UserIdGroupPairs"] = json!([{"GroupId": peer, "UserId": ACCOUNT}]);
    } else if peer.starts_with("pl-") {
        p["PrefixListIds"] = json!([{"PrefixListId": peer}]);
    } else if peer.contains(':') {
        p["Ipv6Ranges"] = json!([{"CidrIpv6": peer}]);
    } else {
        p["IpRanges"] = json!([{"CidrIp": peer}]);
    }
    p
}

/// Everything to/from anywhere, both families.
fn open() -> Vec<Value> {
    vec![perm("-1", ANY, "0.0.0.0/0"), perm("-1", ANY, "::/0")]
}

// ---------------------------------------------------------------------------------------------
// The baseline and the scenario worlds built on it
// ---------------------------------------------------------------------------------------------

/// One VPC `vpc-a` 10.0.0.0/16 with `subnet-a1` 10.0.1.0/24 (us-east-1a) and `subnet-a2`
/// 10.0.2.0/24 (us-east-1b), both on the allow-all network ACL `acl-a`, the main route table
/// `rtb-a` (local, 0.0.0.0/0 -> `igw-a`), the permissive group `sg-web`, and two interfaces:
/// `eni-web` 10.0.1.10 with public IP 54.0.0.10, `eni-app` 10.0.2.20 without one.
fn baseline() -> Snap {
    let mut s = Snap::new();
    s.vpc("vpc-a", "10.0.0.0/16")
        .subnet("subnet-a1", "vpc-a", "10.0.1.0/24", "us-east-1a")
        .subnet("subnet-a2", "vpc-a", "10.0.2.0/24", "us-east-1b")
        .igw("igw-a", "vpc-a")
        .rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-a")])
        .nacl("acl-a", "vpc-a", &["subnet-a1", "subnet-a2"], &allow_all())
        .sg("sg-web", "vpc-a", &open(), &open())
        .eni("eni-web", "subnet-a1", "10.0.1.10", Some("54.0.0.10"), &["sg-web"])
        .eni("eni-app", "subnet-a2", "10.0.2.20", None, &["sg-web"]);
    s
}

/// Adds a VPC `vpc-<n>` with CIDR `<prefix>.0.0/16`, subnets `subnet-<n>1` (us-east-1a) and
/// `subnet-<n>2` (us-east-1b), allow-all ACL `acl-<n>`, permissive `sg-<n>`, main route table
/// `rtb-<n>` with the given extra routes, and the interface `eni-<n>` at `<prefix>.1.10`.
fn spoke(s: &mut Snap, n: &str, prefix: &str, routes: &[Value]) {
    let (vpc, s1, s2) = (format!("vpc-{n}"), format!("subnet-{n}1"), format!("subnet-{n}2"));
    let mut rs = vec![route(&format!("{prefix}.0.0/16"), "local")];
    rs.extend_from_slice(routes);
    s.vpc(&vpc, &format!("{prefix}.0.0/16"))
        .subnet(&s1, &vpc, &format!("{prefix}.1.0/24"), "us-east-1a")
        .subnet(&s2, &vpc, &format!("{prefix}.2.0/24"), "us-east-1b")
        .rtb(&format!("rtb-{n}"), &vpc, &["main"], &rs)
        .nacl(&format!("acl-{n}"), &vpc, &[&s1, &s2], &allow_all())
        .sg(&format!("sg-{n}"), &vpc, &open(), &open())
        .eni(&format!("eni-{n}"), &s1, &format!("{prefix}.1.10"), None, &[&format!("sg-{n}")]);
}

/// The baseline peered with `vpc-b` 10.1.0.0/16 through the active `pcx-ab`, routes both ways.
fn peered() -> Snap {
    let mut s = baseline();
    spoke(&mut s, "b", "10.1", &[route("10.0.0.0/16", "pcx-ab")]);
    s.pcx("pcx-ab", "vpc-a", "vpc-b", "active").add_route("rtb-a", route("10.1.0.0/16", "pcx-ab"));
    s
}

/// The baseline and `vpc-b` 10.1.0.0/16 on `tgw-1`; both attachments (`tgw-attach-a` in
/// subnet-a1/a2, `tgw-attach-b` in subnet-b1/b2) are associated with `tgw-rtb-1`, which has
/// the routes propagated from both VPCs. Each VPC routes 10.0.0.0/8 to the transit gateway.
fn tgw_pair() -> Snap {
    let mut s = baseline();
    spoke(&mut s, "b", "10.1", &[route("10.0.0.0/8", "tgw-1")]);
    s.add_route("rtb-a", route("10.0.0.0/8", "tgw-1"))
        .tgw("tgw-1", false)
        .tgw_attach("tgw-attach-a", "tgw-1", "vpc-a", &["subnet-a1", "subnet-a2"], "tgw-rtb-1", false)
        .tgw_attach("tgw-attach-b", "tgw-1", "vpc-b", &["subnet-b1", "subnet-b2"], "tgw-rtb-1", false)
        .tgw_rt("tgw-rtb-1", "tgw-1", &[tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated"), tgw_route("10.1.0.0/16", "tgw-attach-b", "propagated")]);
    s
}

/// [`tgw_pair`] plus `vpc-c` 10.2.0.0/16 attached as `tgw-attach-c` to the same route table.
fn tgw_three() -> Snap {
    let mut s = tgw_pair();
    spoke(&mut s, "c", "10.2", &[route("10.0.0.0/8", "tgw-1")]);
    s.tgw_attach("tgw-attach-c", "tgw-1", "vpc-c", &["subnet-c1", "subnet-c2"], "tgw-rtb-1", false).tgw_rt(
        "tgw-rtb-1",
        "tgw-1",
        &[
            tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated"),
            tgw_route("10.1.0.0/16", "tgw-attach-b", "propagated"),
            tgw_route("10.2.0.0/16", "tgw-attach-c", "propagated"),
        ],
    );
    s
}

/// The baseline with IPv6: vpc-a 2600:1f18:1:100::/56, subnet-a1 ...:101::/64, subnet-a2
/// ...:102::/64, `eni-web` 2600:1f18:1:101::10, `eni-app` 2600:1f18:1:102::20, ::/0 -> igw-a.
fn ipv6() -> Snap {
    let mut s = baseline();
    s.vpc_ipv6("vpc-a", "2600:1f18:1:100::/56")
        .subnet_ipv6("subnet-a1", "2600:1f18:1:101::/64")
        .subnet_ipv6("subnet-a2", "2600:1f18:1:102::/64")
        .rtb(
            "rtb-a",
            "vpc-a",
            &["main"],
            &[route("10.0.0.0/16", "local"), route("2600:1f18:1:100::/56", "local"), route("0.0.0.0/0", "igw-a"), route("::/0", "igw-a")],
        )
        .eni_ipv6("eni-web", "2600:1f18:1:101::10")
        .eni_ipv6("eni-app", "2600:1f18:1:102::20");
    s
}

/// The baseline split into a public subnet-a1 (`rtb-pub`: 0.0.0.0/0 -> igw-a, its own ACL
/// `acl-pub`) holding `nat-a` (10.0.1.100, Elastic IP 3.3.3.3), and a private subnet-a2 (main
/// `rtb-a`: 0.0.0.0/0 -> nat-a, ACL `acl-a`) holding `eni-app`.
fn nat_world() -> Snap {
    let mut s = baseline();
    s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("0.0.0.0/0", "nat-a")])
        .rtb("rtb-pub", "vpc-a", &["subnet-a1"], &[route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-a")])
        .nacl("acl-pub", "vpc-a", &["subnet-a1"], &allow_all())
        .nat("nat-a", "subnet-a1", "10.0.1.100", Some("3.3.3.3"));
    s
}

// ---------------------------------------------------------------------------------------------
// Questions and assertions
// ---------------------------------------------------------------------------------------------

/// The indexed network of one scenario.
struct World {
    net: Net,
}

/// What is asked: protocols, destination ports (ICMP: types), and whether the reply counts.
#[derive(Debug, Clone)]
struct Q {
    protos: Vec<Proto>,
    ports: PortSet,
    two_way: bool,
}

fn tcp(p: u16) -> Q {
    Q { protos: vec![Proto::Tcp], ports: PortSet::single(p), two_way: true }
}

fn tcp_all() -> Q {
    Q { protos: vec![Proto::Tcp], ports: PortSet::all(), two_way: true }
}

fn udp(p: u16) -> Q {
    Q { protos: vec![Proto::Udp], ports: PortSet::single(p), two_way: true }
}

/// An ICMP echo request (type 8).
fn ping() -> Q {
    Q { protos: vec![Proto::Icmp], ports: PortSet::single(8), two_way: true }
}

impl Q {
    fn one_way(mut self) -> Q {
        self.two_way = false;
        self
    }

    fn two_way(mut self, on: bool) -> Q {
        self.two_way = on;
        self
    }
}

impl World {
    fn eni(&self, id: &str) -> usize {
        match self.net.eni_by_id.get(id) {
            Some(&i) => i,
            None => panic!("no interface `{id}` in the network; diagnostics: {:#?}", self.net.diagnostics),
        }
    }

    /// `internet` (every public IPv4 address), `internet6` (2000::/3), `internet*` (both), an
    /// interface id, or a CIDR of internet hosts.
    fn source(&self, end: &str) -> Source {
        match end {
            "internet" => Source::Internet(addr::internet(Family::V4)),
            "internet6" => Source::Internet(addr::internet(Family::V6)),
            "internet*" => Source::Internet(reach::whole_internet()),
            e if e.starts_with("eni-") => Source::Points(vec![reach::eni_point(&self.net, self.eni(e))]),
            e => match Cidr::parse(e) {
                Some(c) => Source::Internet(vec![c.interval()]),
                None => panic!("unknown source `{e}`"),
            },
        }
    }

    /// As [`World::source`], plus a CIDR of internet destinations or a service name (`s3`).
    fn dest(&self, end: &str) -> Dest {
        match end {
            "internet" => Dest::Internet(addr::internet(Family::V4)),
            "internet6" => Dest::Internet(addr::internet(Family::V6)),
            "internet*" => Dest::Internet(reach::whole_internet()),
            e if e.starts_with("eni-") => Dest::Enis(vec![self.eni(e)]),
            e => match Cidr::parse(e) {
                Some(c) => Dest::Internet(vec![c.interval()]),
                None => Dest::Service(e.to_string()),
            },
        }
    }

    fn ask(&self, from: &str, to: &str, q: &Q) -> Answer {
        let opts = Options { two_way: q.two_way, ..Options::default() };
        Reach::new(&self.net, opts).ask(&self.source(from), &self.dest(to), &q.protos, &q.ports)
    }
}

/// Builds the scenario and asks one question.
fn check(s: &Snap, from: &str, to: &str, q: Q) -> Answer {
    s.build().ask(from, to, &q)
}

fn show(a: &Answer) -> String {
    serde_json::to_string_pretty(a).unwrap_or_default()
}

/// Reachable, with at least one path; returns the first.
#[track_caller]
fn assert_reachable(a: &Answer) -> PathOut {
    assert!(a.reachable && !a.paths.is_empty(), "expected reachable, got:\n{}", show(a));
    a.paths[0].clone()
}

/// Not reachable, no path, and *every* blocked piece stops at `kind` `id` with `phrase` in its reason.
#[track_caller]
fn assert_blocked(a: &Answer, kind: &str, id: &str, phrase: &str) {
    assert!(!a.reachable && a.paths.is_empty(), "expected blocked at {kind} `{id}`, got:\n{}", show(a));
    assert!(!a.blocked.is_empty(), "blocked without saying where:\n{}", show(a));
    for b in &a.blocked {
        assert!(
            b.at.kind == kind && b.at.id == id && b.reason.contains(phrase),
            "expected every block at {kind} `{id}` with reason containing `{phrase}`, got:\n{}",
            show(a)
        );
    }
}

/// Some blocked piece stops at `kind` `id` with `phrase` (the answer may still be reachable for other pieces).
#[track_caller]
fn assert_some_block(a: &Answer, kind: &str, id: &str, phrase: &str) {
    assert!(
        a.blocked.iter().any(|b| b.at.kind == kind && b.at.id == id && b.reason.contains(phrase)),
        "expected a block at {kind} `{id}` with reason containing `{phrase}`, got:\n{}",
        show(a)
    );
}

fn kinds(hops: &[Hop]) -> Vec<&'static str> {
    hops.iter().map(|h| h.kind).collect()
}

fn has_hop(hops: &[Hop], kind: &str, id: &str) -> bool {
    hops.iter().any(|h| h.kind == kind && h.id == id)
}

/// The first hop of `kind` `id`.
#[track_caller]
fn hop<'a>(hops: &'a [Hop], kind: &str, id: &str) -> &'a Hop {
    match hops.iter().find(|h| h.kind == kind && h.id == id) {
        Some(h) => h,
        None => panic!("no {kind} `{id}` hop in {hops:#?}"),
    }
}

/// The network ACL hops as (ACL id, `inbound`/`outbound`), in order.
fn acl_hops(hops: &[Hop]) -> Vec<(String, String)> {
    hops.iter()
        .filter(|h| h.kind == "network-acl")
        .map(|h| (h.id.clone(), h.detail.split(':').next().unwrap_or_default().to_string()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Every source range of every path, sorted.
fn source_ranges(a: &Answer) -> Vec<String> {
    let mut v: Vec<String> = a.paths.iter().flat_map(|p| p.source_ranges.clone()).collect();
    v.sort();
    v.dedup();
    v
}

fn destination_ranges(a: &Answer) -> Vec<String> {
    let mut v: Vec<String> = a.paths.iter().flat_map(|p| p.destination_ranges.clone()).collect();
    v.sort();
    v.dedup();
    v
}

fn port_set(ranges: &[(u16, u16)]) -> PortSet {
    ranges.iter().fold(PortSet::empty(), |acc, &(a, b)| acc.union(&PortSet::range(a, b)))
}

#[test]
fn baseline_is_open_both_ways() {
    let w = baseline().build();
    assert!(w.net.diagnostics.is_empty(), "{:#?}", w.net.diagnostics);
    let p = assert_reachable(&w.ask("internet", "eni-web", &tcp(22)));
    assert_eq!(kinds(&p.hops), ["internet", "internet-gateway", "network-acl", "security-group", "network-interface"], "{p:#?}");
    assert_eq!(source_ranges(&w.ask("internet", "eni-web", &tcp(22))), ["0.0.0.0/0 (every public IPv4 address)"]);
    let p = assert_reachable(&w.ask("eni-web", "internet", &tcp(443)));
    assert!(hop(&p.hops, "internet-gateway", "igw-a").detail.contains("54.0.0.10"), "{p:#?}");
    assert_reachable(&w.ask("eni-app", "eni-web", &tcp(22)));
}

// ---------------------------------------------------------------------------------------------
// Security groups
// ---------------------------------------------------------------------------------------------

mod security_groups {
    use super::*;

    #[test]
    fn rules_are_the_union_of_every_group_on_the_interface() {
        let mut s = baseline();
        s.sg("sg-ssh", "vpc-a", &[perm("tcp", port(22), "0.0.0.0/0")], &[])
            .sg("sg-https", "vpc-a", &[perm("tcp", port(443), "0.0.0.0/0")], &[])
            .eni("eni-web", "subnet-a1", "10.0.1.10", Some("54.0.0.10"), &["sg-ssh", "sg-https"]);
        let w = s.build();
        let a = w.ask("internet", "eni-web", &tcp_all());
        assert_reachable(&a);
        assert_eq!(a.admitted(Proto::Tcp), port_set(&[(22, 22), (443, 443)]), "{}", show(&a));
        assert_blocked(&w.ask("internet", "eni-web", &tcp(8080)), "security-group", "sg-ssh+sg-https", "no inbound rule of sg-ssh+sg-https allows tcp port 8080");

        // One group alone admits only its own port: the second group adds, never restricts.
        s.eni("eni-web", "subnet-a1", "10.0.1.10", Some("54.0.0.10"), &["sg-ssh"]);
        assert_eq!(check(&s, "internet", "eni-web", tcp_all()).admitted(Proto::Tcp), PortSet::single(22));
    }

    #[test]
    fn cidr_source_admits_exactly_that_range() {
        let mut s = baseline();
        s.sg("sg-web", "vpc-a", &[perm("tcp", port(22), "198.51.100.0/24")], &open());
        let w = s.build();
        let a = w.ask("internet", "eni-web", &tcp(22));
        let p = assert_reachable(&a);
        assert_eq!(source_ranges(&a), ["198.51.100.0/24"]);
        assert!(hop(&p.hops, "security-group", "sg-web").detail.contains("from 198.51.100.0/24"), "{p:#?}");
        assert_some_block(&a, "security-group", "sg-web", "no inbound rule of sg-web allows tcp port 22");
        // A VPC address is outside the range.
        assert_blocked(&w.ask("eni-app", "eni-web", &tcp(22)), "security-group", "sg-web", "no inbound rule of sg-web allows tcp port 22 from 10.0.2.20");
    }

    #[test]
    fn prefix_list_source_expands_to_its_entries() {
        let mut s = baseline();
        s.managed_prefix_list("pl-0corp", "corp-offices", &["198.51.100.0/24", "203.0.113.0/25"])
            .sg("sg-web", "vpc-a", &[perm("tcp", port(443), "pl-0corp")], &open());
        let w = s.build();
        let a = w.ask("internet", "eni-web", &tcp(443));
        let p = assert_reachable(&a);
        assert_eq!(source_ranges(&a), ["198.51.100.0/24", "203.0.113.0/25"]);
        assert!(hop(&p.hops, "security-group", "sg-web").detail.contains("prefix list pl-0corp"), "{p:#?}");
        assert_blocked(&w.ask("203.0.113.128/25", "eni-web", &tcp(443)), "security-group", "sg-web", "no inbound rule");
    }

    /// `eni-db` (sg-db) admits 5432 from members of `sg-app` only.
    fn referencing() -> Snap {
        let mut s = baseline();
        s.sg("sg-db", "vpc-a", &[perm("tcp", port(5432), "sg-app")], &[])
            .sg("sg-app", "vpc-a", &[], &open())
            .sg("sg-other", "vpc-a", &[], &open())
            .eni("eni-db", "subnet-a1", "10.0.1.20", None, &["sg-db"])
            .eni("eni-app", "subnet-a2", "10.0.2.20", None, &["sg-app"])
            .eni("eni-other", "subnet-a2", "10.0.2.30", None, &["sg-other"]);
        s
    }

    #[test]
    fn group_reference_within_a_vpc() {
        let w = referencing().build();
        let a = w.ask("eni-app", "eni-db", &tcp(5432));
        let p = assert_reachable(&a);
        assert!(p.hops.iter().any(|h| h.kind == "security-group" && h.id == "sg-db" && h.detail.contains("from sg-app")), "{p:#?}");
        // Same subnet as eni-app, but not a member of the group.
        assert_blocked(&w.ask("eni-other", "eni-db", &tcp(5432)), "security-group", "sg-db", "no inbound rule of sg-db allows tcp port 5432 from 10.0.2.30");
    }

    #[test]
    fn group_reference_across_same_region_peering() {
        let mut s = peered();
        s.sg("sg-db", "vpc-a", &[perm("tcp", port(5432), "sg-b")], &[]).eni("eni-db", "subnet-a1", "10.0.1.20", None, &["sg-db"]);
        let a = check(&s, "eni-b", "eni-db", tcp(5432));
        let p = assert_reachable(&a);
        assert!(has_hop(&p.hops, "vpc-peering-connection", "pcx-ab"), "{p:#?}");
        assert!(hop(&p.hops, "security-group", "sg-db").detail.contains("from sg-b"), "{p:#?}");
    }

    #[test]
    fn group_reference_does_not_cross_inter_region_peering() {
        let mut s = baseline();
        s.in_region("us-west-2");
        spoke(&mut s, "b", "10.1", &[route("10.0.0.0/16", "pcx-ab")]);
        s.in_region(REGION);
        s.pcx("pcx-ab", "vpc-a", "vpc-b", "active")
            .add_route("rtb-a", route("10.1.0.0/16", "pcx-ab"))
            .sg("sg-db", "vpc-a", &[perm("tcp", port(5432), "sg-b"), perm("tcp", port(5433), "10.1.0.0/16")], &[])
            .eni("eni-db", "subnet-a1", "10.0.1.20", None, &["sg-db"]);
        let w = s.build();
        assert_blocked(&w.ask("eni-b", "eni-db", &tcp(5432)), "security-group", "sg-db", "no inbound rule of sg-db allows tcp port 5432");
        // The peering itself works: a CIDR rule admits.
        assert_reachable(&w.ask("eni-b", "eni-db", &tcp(5433)));
    }

    /// `eni-b` (sg-b) -> `eni-db` (sg-db: 5432 from sg-b) over `tgw-1`, with security-group
    /// referencing on the gateway and on each attachment as given.
    fn across_tgw(on_tgw: bool, on_a: bool, on_b: bool) -> Answer {
        let mut s = tgw_pair();
        s.tgw("tgw-1", on_tgw)
            .tgw_attach("tgw-attach-a", "tgw-1", "vpc-a", &["subnet-a1", "subnet-a2"], "tgw-rtb-1", on_a)
            .tgw_attach("tgw-attach-b", "tgw-1", "vpc-b", &["subnet-b1", "subnet-b2"], "tgw-rtb-1", on_b)
            .sg("sg-db", "vpc-a", &[perm("tcp", port(5432), "sg-b")], &[])
            .eni("eni-db", "subnet-a1", "10.0.1.20", None, &["sg-db"]);
        check(&s, "eni-b", "eni-db", tcp(5432))
    }

    #[test]
    fn group_reference_across_a_transit_gateway_needs_support_on_gateway_and_both_attachments() {
        let a = across_tgw(true, true, true);
        let p = assert_reachable(&a);
        assert!(has_hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-1"), "{p:#?}");
        assert!(hop(&p.hops, "security-group", "sg-db").detail.contains("from sg-b"), "{p:#?}");
        for (t, x, y) in [(false, true, true), (true, false, true), (true, true, false), (false, false, false)] {
            let a = across_tgw(t, x, y);
            assert_blocked(&a, "security-group", "sg-db", "no inbound rule of sg-db allows tcp port 5432 from 10.1.1.10");
        }
    }

    #[test]
    fn security_groups_are_stateful() {
        let mut s = baseline();
        // The server has no outbound rule at all; the client may send anything.
        s.sg("sg-db", "vpc-a", &[perm("tcp", port(5432), "10.0.0.0/16")], &[])
            .sg("sg-app", "vpc-a", &[perm("tcp", port(5432), "10.0.0.0/16")], &open())
            .eni("eni-db", "subnet-a1", "10.0.1.20", None, &["sg-db"])
            .eni("eni-app", "subnet-a2", "10.0.2.20", None, &["sg-app"]);
        let w = s.build();
        let a = w.ask("eni-app", "eni-db", &tcp(5432));
        let p = assert_reachable(&a);
        assert_eq!(p.return_ports.as_deref(), Some("1024-65535"), "{p:#?}");
        assert!(!p.return_hops.is_empty() && !p.return_hops.iter().any(|h| h.kind == "security-group"), "{p:#?}");
        // The same server cannot open a connection itself.
        assert_blocked(&w.ask("eni-db", "eni-app", &tcp(5432)), "security-group", "sg-db", "no outbound rule of sg-db");
    }
}

// ---------------------------------------------------------------------------------------------
// Network ACLs
// ---------------------------------------------------------------------------------------------

mod network_acls {
    use super::*;

    /// The baseline with `acl-a`'s rules replaced.
    fn with_acl(entries: &[Value]) -> Snap {
        let mut s = baseline();
        s.nacl("acl-a", "vpc-a", &["subnet-a1", "subnet-a2"], entries);
        s
    }

    #[test]
    fn a_lower_numbered_deny_beats_a_later_allow() {
        let s = with_acl(&allow_all_but(&[inbound(90, DENY, TCP, "0.0.0.0/0", port(22))]));
        assert_blocked(&check(&s, "internet", "eni-web", tcp(22)), "network-acl", "acl-a", "inbound rule 90 denies");
        let p = assert_reachable(&check(&s, "internet", "eni-web", tcp(443)));
        assert!(hop(&p.hops, "network-acl", "acl-a").detail.contains("rule 100 allows"), "{p:#?}");
    }

    #[test]
    fn a_lower_numbered_allow_beats_a_later_deny() {
        let s = with_acl(&[
            inbound(90, ALLOW, TCP, "0.0.0.0/0", port(22)),
            inbound(100, DENY, ALL, "0.0.0.0/0", ANY),
            inbound(200, ALLOW, ALL, "0.0.0.0/0", ANY),
            outbound(100, ALLOW, ALL, "0.0.0.0/0", ANY),
        ]);
        let a = check(&s, "internet", "eni-web", tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "network-acl", "acl-a").detail.contains("rule 90 allows"), "{p:#?}");
        assert_blocked(&check(&s, "internet", "eni-web", tcp(443)), "network-acl", "acl-a", "inbound rule 100 denies");
        assert_eq!(check(&s, "internet", "eni-web", tcp_all()).admitted(Proto::Tcp), PortSet::single(22));
    }

    #[test]
    fn the_implicit_star_rule_denies_the_rest() {
        let s = with_acl(&[inbound(100, ALLOW, TCP, "0.0.0.0/0", port(22)), outbound(100, ALLOW, ALL, "0.0.0.0/0", ANY)]);
        assert_reachable(&check(&s, "internet", "eni-web", tcp(22)));
        assert_blocked(&check(&s, "internet", "eni-web", tcp(80)), "network-acl", "acl-a", "rule * denies");
        assert_blocked(&check(&s, "internet", "eni-web", udp(22)), "network-acl", "acl-a", "rule * denies");
    }

    #[test]
    fn protocol_minus_one_matches_every_protocol() {
        let s = with_acl(&allow_all_but(&[inbound(90, DENY, ALL, "0.0.0.0/0", ANY)]));
        for q in [tcp(443), udp(53), ping()] {
            assert_blocked(&check(&s, "internet", "eni-web", q.clone()), "network-acl", "acl-a", "inbound rule 90 denies");
        }
        // And `-1` allow admits every port of every protocol.
        let w = baseline().build();
        assert_eq!(w.ask("internet", "eni-web", &tcp_all()).admitted(Proto::Tcp), PortSet::all());
        assert_reachable(&w.ask("internet", "eni-web", &udp(53)));
        let p = assert_reachable(&w.ask("internet", "eni-web", &ping()));
        assert_eq!(p.protocol, "icmp");
        assert_eq!(p.return_ports.as_deref(), Some("0"), "an echo request is answered by an echo reply: {p:#?}");
    }

    #[test]
    fn ipv6_traffic_needs_ipv6_entries() {
        let mut s = ipv6();
        // IPv4-only rules: IPv6 falls through to the `*` rule.
        s.nacl("acl-a", "vpc-a", &["subnet-a1", "subnet-a2"], &[inbound(100, ALLOW, ALL, "0.0.0.0/0", ANY), outbound(100, ALLOW, ALL, "0.0.0.0/0", ANY)]);
        assert_blocked(&check(&s, "internet6", "eni-web", tcp(22)), "network-acl", "acl-a", "inbound rule * denies");
        assert_reachable(&check(&s, "internet", "eni-web", tcp(22)));
        // An IPv6 deny only touches IPv6.
        s.nacl("acl-a", "vpc-a", &["subnet-a1", "subnet-a2"], &allow_all_but(&[inbound(90, DENY, ALL, "::/0", ANY)]));
        assert_blocked(&check(&s, "internet6", "eni-web", tcp(22)), "network-acl", "acl-a", "inbound rule 90 denies");
        assert_reachable(&check(&s, "internet", "eni-web", tcp(22)));
        // With the default IPv6 entries both families pass.
        let a = check(&ipv6(), "internet*", "eni-web", tcp(22));
        assert_reachable(&a);
        let r = source_ranges(&a);
        assert!(r.iter().any(|x| x == "0.0.0.0/0 (every public IPv4 address)") && r.iter().any(|x| x.contains(':')), "{r:?}");
    }

    #[test]
    fn acls_are_stateless_so_replies_need_the_ephemeral_ports() {
        let s = with_acl(&allow_all_but(&[outbound(90, DENY, TCP, "0.0.0.0/0", ports(1024, 65535))]));
        let a = check(&s, "internet", "eni-web", tcp(22));
        assert_blocked(&a, "network-acl", "acl-a", "outbound rule 90 denies");
        assert!(a.blocked.iter().all(|b| b.reason.starts_with("reply dropped")), "{}", show(&a));
        let one = check(&s, "internet", "eni-web", tcp(22).one_way());
        let p = assert_reachable(&one);
        assert!(p.return_ports.is_none() && p.return_hops.is_empty(), "{p:#?}");
    }

    #[test]
    fn acls_are_not_evaluated_within_one_subnet() {
        let mut s = baseline();
        s.nacl("acl-closed", "vpc-a", &["subnet-a1"], &[]).eni("eni-web2", "subnet-a1", "10.0.1.11", None, &["sg-web"]);
        let w = s.build();
        let a = w.ask("eni-web2", "eni-web", &tcp(22));
        let p = assert_reachable(&a);
        assert!(acl_hops(&p.hops).is_empty() && acl_hops(&p.return_hops).is_empty(), "{p:#?}");
        assert_blocked(&w.ask("eni-app", "eni-web", &tcp(22)), "network-acl", "acl-closed", "inbound rule * denies");
    }

    #[test]
    fn crossing_subnets_evaluates_both_acls_both_ways() {
        let mut s = baseline();
        s.nacl("acl-1", "vpc-a", &["subnet-a1"], &allow_all()).nacl("acl-2", "vpc-a", &["subnet-a2"], &allow_all());
        let a = check(&s, "eni-app", "eni-web", tcp(22));
        let p = assert_reachable(&a);
        assert_eq!(acl_hops(&p.hops), pairs(&[("acl-2", "outbound"), ("acl-1", "inbound")]));
        assert_eq!(acl_hops(&p.return_hops), pairs(&[("acl-1", "outbound"), ("acl-2", "inbound")]));

        s.nacl("acl-2", "vpc-a", &["subnet-a2"], &allow_all_but(&[outbound(90, DENY, ALL, "10.0.1.0/24", ANY)]));
        assert_blocked(&check(&s, "eni-app", "eni-web", tcp(22)), "network-acl", "acl-2", "outbound rule 90 denies");

        s.nacl("acl-2", "vpc-a", &["subnet-a2"], &allow_all()).nacl("acl-1", "vpc-a", &["subnet-a1"], &allow_all_but(&[inbound(90, DENY, ALL, "10.0.2.0/24", ANY)]));
        assert_blocked(&check(&s, "eni-app", "eni-web", tcp(22)), "network-acl", "acl-1", "inbound rule 90 denies");
    }
}

// ---------------------------------------------------------------------------------------------
// Network ACLs and transit gateways (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html)
// ---------------------------------------------------------------------------------------------

mod transit_gateway_acls {
    use super::*;

    #[test]
    fn instance_to_tgw_in_the_same_subnet_evaluates_outbound_and_inbound_rules() {
        // eni-web and the attachment share subnet-a1; the shared ACL denies *inbound* from the
        // instance's own address.
        let mut s = tgw_pair();
        s.nacl("acl-a", "vpc-a", &["subnet-a1", "subnet-a2"], &allow_all_but(&[inbound(90, DENY, ALL, "10.0.1.10/32", ANY)]));
        let w = s.build();
        for q in [tcp(22), tcp(22).one_way()] {
            assert_blocked(&w.ask("eni-web", "eni-b", &q), "network-acl", "acl-a", "inbound rule 90 denies");
        }
        // Without a transit gateway on the way the inbound rule is not consulted.
        assert_reachable(&w.ask("eni-web", "internet", &tcp(443)));
        // And without it the path goes through.
        let a = check(&tgw_pair(), "eni-web", "eni-b", tcp(22));
        let p = assert_reachable(&a);
        assert_eq!(acl_hops(&p.hops), pairs(&[("acl-a", "outbound"), ("acl-a", "inbound")]), "{p:#?}");
    }

    #[test]
    fn tgw_to_instance_in_the_same_subnet_evaluates_no_rules() {
        // eni-b and the attachment share subnet-b1: acl-b denies everything from vpc-a inbound
        // and is still not consulted for traffic from the transit gateway.
        let mut s = tgw_pair();
        s.nacl("acl-b", "vpc-b", &["subnet-b1", "subnet-b2"], &allow_all_but(&[inbound(90, DENY, ALL, "10.0.0.0/16", ANY)]));
        let a = check(&s, "eni-web", "eni-b", tcp(22));
        let p = assert_reachable(&a);
        assert!(!acl_hops(&p.hops).iter().any(|(id, _)| id == "acl-b"), "{p:#?}");
        // The reply leaves eni-b towards the transit gateway in its own subnet: both directions of acl-b.
        assert_eq!(acl_hops(&p.return_hops), pairs(&[("acl-b", "outbound"), ("acl-b", "inbound")]), "{p:#?}");

        // The same ACL on an instance in another subnet (same AZ) than the attachment blocks.
        s.subnet("subnet-b3", "vpc-b", "10.1.3.0/24", "us-east-1a")
            .nacl("acl-b", "vpc-b", &["subnet-b1", "subnet-b2", "subnet-b3"], &allow_all_but(&[inbound(90, DENY, ALL, "10.0.0.0/16", ANY)]))
            .eni("eni-b", "subnet-b3", "10.1.3.10", None, &["sg-b"]);
        assert_blocked(&check(&s, "eni-web", "eni-b", tcp(22)), "network-acl", "acl-b", "inbound rule 90 denies");
    }

    /// Instances and attachments in different subnets of us-east-1a: `eni-web` in subnet-a1
    /// (`acl-a`), attachment A in `subnet-a3` (`acl-a-tgw`); `eni-b` in subnet-b1 (`acl-b`),
    /// attachment B in `subnet-b3` (`acl-b-tgw`).
    fn separate_subnets() -> Snap {
        let mut s = tgw_pair();
        s.subnet("subnet-a3", "vpc-a", "10.0.3.0/24", "us-east-1a")
            .subnet("subnet-b3", "vpc-b", "10.1.3.0/24", "us-east-1a")
            .nacl("acl-a-tgw", "vpc-a", &["subnet-a3"], &allow_all())
            .nacl("acl-b-tgw", "vpc-b", &["subnet-b3"], &allow_all())
            .tgw_attach("tgw-attach-a", "tgw-1", "vpc-a", &["subnet-a3"], "tgw-rtb-1", false)
            .tgw_attach("tgw-attach-b", "tgw-1", "vpc-b", &["subnet-b3"], "tgw-rtb-1", false);
        s
    }

    #[test]
    fn different_subnets_evaluate_instance_outbound_attachment_inbound_then_attachment_outbound_instance_inbound() {
        let s = separate_subnets();
        let a = check(&s, "eni-web", "eni-b", tcp(22));
        let p = assert_reachable(&a);
        assert_eq!(
            acl_hops(&p.hops),
            pairs(&[("acl-a", "outbound"), ("acl-a-tgw", "inbound"), ("acl-b-tgw", "outbound"), ("acl-b", "inbound")]),
            "{p:#?}"
        );
        assert_eq!(
            acl_hops(&p.return_hops),
            pairs(&[("acl-b", "outbound"), ("acl-b-tgw", "inbound"), ("acl-a-tgw", "outbound"), ("acl-a", "inbound")]),
            "{p:#?}"
        );
        // Each of the four evaluations can block the request on its own.
        for (acl, vpc, subnets, egress) in [
            ("acl-a", "vpc-a", &["subnet-a1", "subnet-a2"][..], true),
            ("acl-a-tgw", "vpc-a", &["subnet-a3"][..], false),
            ("acl-b-tgw", "vpc-b", &["subnet-b3"][..], true),
            ("acl-b", "vpc-b", &["subnet-b1", "subnet-b2"][..], false),
        ] {
            let mut s = separate_subnets();
            let deny = acl_rule(90, egress, DENY, ALL, "0.0.0.0/0", ANY);
            s.nacl(acl, vpc, subnets, &allow_all_but(&[deny]));
            let dir = if egress { "outbound" } else { "inbound" };
            let a = check(&s, "eni-web", "eni-b", tcp(22).one_way());
            assert_blocked(&a, "network-acl", acl, &format!("{dir} rule 90 denies"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Route tables
// ---------------------------------------------------------------------------------------------

mod route_tables {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut s = baseline();
        s.add_route("rtb-a", blackhole(route("198.51.0.0/16", "igw-a"))).add_route("rtb-a", route("198.51.100.0/24", "igw-a"));
        let a = check(&s, "eni-web", "198.51.0.0/16", tcp(443));
        let p = assert_reachable(&a);
        assert_eq!(destination_ranges(&a), ["198.51.100.0/24"]);
        assert!(hop(&p.hops, "route-table", "rtb-a").detail.contains("198.51.100.0/24 -> igw-a"), "{p:#?}");
        assert_blocked(&check(&s, "eni-web", "198.51.7.0/24", tcp(443)), "route-table", "rtb-a", "matches blackhole route 198.51.0.0/16");
        // The /0 still serves everything else.
        assert_reachable(&check(&s, "eni-web", "203.0.113.0/24", tcp(443)));
    }

    #[test]
    fn the_local_route_delivers_inside_the_vpc() {
        let mut s = baseline();
        // Even a main table with nothing but the local route; a broader route does not beat it.
        s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("10.0.0.0/8", "igw-a")]);
        let a = check(&s, "eni-app", "eni-web", tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "route-table", "rtb-a").detail.contains("10.0.0.0/16 -> local"), "{p:#?}");
        assert_eq!(p.arrives, "interface");
    }

    /// The S3 prefix list and a gateway endpoint routed from the main table.
    fn s3() -> Snap {
        let mut s = baseline();
        s.aws_prefix_list("pl-63a5400a", "com.amazonaws.us-east-1.s3", &["52.216.0.0/15", "54.231.0.0/16"])
            .gateway_endpoint("vpce-s3", "vpc-a", "com.amazonaws.us-east-1.s3", &["rtb-a"])
            .add_route("rtb-a", route("pl-63a5400a", "vpce-s3"));
        s
    }

    #[test]
    fn prefix_list_route_to_the_s3_gateway_endpoint() {
        let a = check(&s3(), "eni-app", "s3", tcp(443));
        let p = assert_reachable(&a);
        assert_eq!(p.arrives, "gateway-endpoint");
        assert_eq!(destination_ranges(&a), ["52.216.0.0/15", "54.231.0.0/16"]);
        assert!(hop(&p.hops, "route-table", "rtb-a").detail.contains("prefix list pl-63a5400a"), "{p:#?}");
        assert!(has_hop(&p.hops, "vpc-endpoint", "vpce-s3"), "{p:#?}");
        // Without the prefix-list route, a private-only interface cannot reach S3 through the internet gateway.
        let mut s = s3();
        s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-a")]);
        assert_blocked(&check(&s, "eni-app", "s3", tcp(443)), "internet-gateway", "igw-a", "no public IPv4");
    }

    #[test]
    fn a_blackhole_route_drops() {
        let mut s = peered();
        s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-a"), blackhole(route("10.1.0.0/16", "pcx-ab"))]);
        assert_blocked(&check(&s, "eni-web", "eni-b", tcp(22)), "route-table", "rtb-a", "matches blackhole route 10.1.0.0/16");
        assert_reachable(&check(&peered(), "eni-web", "eni-b", tcp(22)));
    }

    #[test]
    fn a_subnet_without_association_uses_the_main_table_of_its_own_vpc() {
        // vpc-a's main table has no way out; vpc-b's main table (listed first) has an internet gateway route.
        let mut s = Snap::new();
        spoke(&mut s, "b", "10.1", &[route("0.0.0.0/0", "igw-b")]);
        s.igw("igw-b", "vpc-b");
        let base = baseline();
        s.items.extend(base.items);
        s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local")]);
        let w = s.build();
        let a = w.ask("eni-web", "internet", &tcp(443));
        assert_blocked(&a, "route-table", "rtb-a", "no route");
        let a = w.ask("internet", "eni-web", &tcp(22));
        assert_blocked(&a, "route-table", "rtb-a", "no route");
        assert!(a.blocked.iter().all(|b| b.reason.starts_with("reply dropped")), "{}", show(&a));
        // An explicit association with vpc-b's table is ignored (it is another VPC's).
        let mut s2 = Snap::new();
        s2.items = s.items;
        s2.rtb("rtb-b", "vpc-b", &["main", "subnet-a1"], &[route("10.1.0.0/16", "local"), route("0.0.0.0/0", "igw-b")]);
        assert_blocked(&check(&s2, "eni-web", "internet", tcp(443)), "route-table", "rtb-a", "no route");
    }

    #[test]
    fn a_more_specific_peering_route_beats_the_default_route_to_the_internet_gateway() {
        let a = check(&peered(), "eni-web", "eni-b", tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "route-table", "rtb-a").detail.contains("10.1.0.0/16 -> pcx-ab"), "{p:#?}");
        assert!(has_hop(&p.hops, "vpc-peering-connection", "pcx-ab") && !p.hops.iter().any(|h| h.kind == "internet-gateway"), "{p:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Internet gateway
// ---------------------------------------------------------------------------------------------

mod internet_gateway {
    use super::*;

    #[test]
    fn inbound_only_to_a_public_address() {
        let w = baseline().build();
        let a = w.ask("internet", "eni-app", &tcp(22));
        assert!(!a.reachable && a.paths.is_empty(), "{}", show(&a));
        // The public address answers, the private one is not on the internet.
        let p = assert_reachable(&w.ask("internet", "eni-web", &tcp(22)));
        assert!(hop(&p.hops, "internet-gateway", "igw-a").detail.contains("translates destination 54.0.0.10 to 10.0.1.10"), "{p:#?}");
    }

    #[test]
    fn inbound_to_a_private_only_interface_says_why() {
        let a = check(&baseline(), "internet", "eni-app", tcp(22));
        assert!(!a.reachable);
        assert!(!a.blocked.is_empty(), "an unreachable answer must say where and why:\n{}", show(&a));
    }

    #[test]
    fn an_ipv6_address_is_reachable_from_the_internet() {
        let a = check(&ipv6(), "2a00::/16", "eni-app", tcp(22));
        let p = assert_reachable(&a);
        assert_eq!(source_ranges(&a), ["2a00::/16"]);
        assert!(hop(&p.hops, "internet-gateway", "igw-a").detail.contains("to 2600:1f18:1:102::20"), "{p:#?}");
        // From all of 2000::/3, only hosts claiming the VPC's own prefix get no reply (it is delivered locally).
        let a = check(&ipv6(), "internet6", "eni-app", tcp(22));
        assert_reachable(&a);
        assert!(!source_ranges(&a).iter().any(|r| r.starts_with("2600:1f18:1:100::")), "{}", show(&a));
        assert_some_block(&a, "vpc", "vpc-a", "reply dropped: no network interface in vpc-a holds the range");
        // It needs the ::/0 route for the reply ...
        let mut s = ipv6();
        s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("2600:1f18:1:100::/56", "local"), route("0.0.0.0/0", "igw-a")]);
        assert_blocked(&check(&s, "2a00::/16", "eni-app", tcp(22)), "route-table", "rtb-a", "reply dropped: no route to the range");
        // ... and a security group rule for ::/0.
        let mut s = ipv6();
        s.sg("sg-web", "vpc-a", &[perm("-1", ANY, "0.0.0.0/0")], &open());
        assert_blocked(&check(&s, "2a00::/16", "eni-app", tcp(22)), "security-group", "sg-web", "no inbound rule of sg-web");
    }

    #[test]
    fn outbound_needs_a_public_address() {
        let a = check(&baseline(), "eni-app", "internet", tcp(443));
        assert_blocked(&a, "internet-gateway", "igw-a", "no public IPv4");
        let p = assert_reachable(&check(&baseline(), "eni-web", "internet", tcp(443)));
        assert_eq!(p.arrives, "internet");
    }

    #[test]
    fn a_private_range_is_no_internet_destination() {
        // An internet end is clipped to public addresses: a private range asked as one is not
        // reachable through the internet gateway, and the answer says why.
        let mut s = baseline();
        s.add_route("rtb-a", route("192.168.0.0/16", "igw-a"));
        let a = check(&s, "eni-web", "192.168.0.0/16", tcp(443));
        assert_blocked(&a, "destination", "internet", "no public address");
    }

    #[test]
    fn a_private_range_is_no_internet_source() {
        let a = check(&baseline(), "192.168.0.0/16", "eni-web", tcp(22));
        assert_blocked(&a, "internet", "internet", "holds no public address");
    }

    #[test]
    fn the_internet_gateway_drops_special_purpose_destinations_of_a_public_range() {
        // The same check where the range is the internet itself: 0.0.0.0/0 as asked is cut to public addresses.
        let mut s = baseline();
        s.add_route("rtb-a", route("192.168.0.0/16", "igw-a"));
        let a = check(&s, "eni-web", "internet", tcp(443));
        assert_reachable(&a);
        assert!(!destination_ranges(&a).iter().any(|r| r.starts_with("192.168.")), "{}", show(&a));
    }
}

// ---------------------------------------------------------------------------------------------
// NAT gateway
// ---------------------------------------------------------------------------------------------

mod nat_gateway {
    use super::*;

    #[test]
    fn a_private_instance_reaches_the_internet_with_the_nat_elastic_ip() {
        let a = check(&nat_world(), "eni-app", "internet", tcp(443));
        let p = assert_reachable(&a);
        assert_eq!(
            kinds(&p.hops),
            ["network-interface", "security-group", "route-table", "network-acl", "network-acl", "nat-gateway", "route-table", "network-acl", "internet-gateway"],
            "{p:#?}"
        );
        assert!(hop(&p.hops, "internet-gateway", "igw-a").detail.contains("from 3.3.3.3"), "{p:#?}");
        assert!(hop(&p.return_hops, "nat-gateway", "nat-a").detail.contains("translates the reply back to 10.0.2.20"), "{p:#?}");
    }

    #[test]
    fn the_nat_subnet_acl_is_evaluated_both_ways() {
        let w = |extra: &[Value]| {
            let mut s = nat_world();
            s.nacl("acl-pub", "vpc-a", &["subnet-a1"], &allow_all_but(extra));
            s
        };
        let a = check(&w(&[]), "eni-app", "internet", tcp(443));
        let p = assert_reachable(&a);
        assert_eq!(acl_hops(&p.hops), pairs(&[("acl-a", "outbound"), ("acl-pub", "inbound"), ("acl-pub", "outbound")]), "{p:#?}");
        assert_eq!(acl_hops(&p.return_hops), pairs(&[("acl-pub", "inbound"), ("acl-pub", "outbound"), ("acl-a", "inbound")]), "{p:#?}");

        // Request into the NAT subnet.
        let s = w(&[inbound(90, DENY, ALL, "10.0.2.0/24", ANY)]);
        assert_blocked(&check(&s, "eni-app", "internet", tcp(443)), "network-acl", "acl-pub", "inbound rule 90 denies");
        // Reply from the internet into the NAT subnet (ephemeral ports).
        let s = w(&[inbound(90, DENY, TCP, "0.0.0.0/0", ports(1024, 65535))]);
        let a = check(&s, "eni-app", "internet", tcp(443));
        assert_blocked(&a, "network-acl", "acl-pub", "inbound rule 90 denies");
        assert!(a.blocked.iter().all(|b| b.reason.starts_with("reply dropped")), "{}", show(&a));
        assert_reachable(&check(&s, "eni-app", "internet", tcp(443).one_way()));
        // Reply from the NAT subnet back to the private subnet.
        let s = w(&[outbound(90, DENY, ALL, "10.0.2.0/24", ANY)]);
        let a = check(&s, "eni-app", "internet", tcp(443));
        assert_blocked(&a, "network-acl", "acl-pub", "reply dropped: outbound rule 90 denies");
    }

    #[test]
    fn the_internet_cannot_open_a_connection_through_the_nat() {
        let w = nat_world().build();
        let a = w.ask("internet", "eni-app", &tcp(22));
        assert!(!a.reachable && a.paths.is_empty(), "{}", show(&a));
        // Aimed at the NAT's Elastic IP, nothing reaches the private instance either.
        let a = w.ask("internet", "eni-nat-a", &tcp(22));
        assert!(!a.reachable && a.paths.is_empty(), "{}", show(&a));
        assert!(!a.blocked.is_empty(), "{}", show(&a));
    }

    #[test]
    fn a_private_nat_gateway_to_the_internet_gateway_is_dropped() {
        let mut s = nat_world();
        s.nat("nat-a", "subnet-a1", "10.0.1.100", None);
        assert_blocked(&check(&s, "eni-app", "internet", tcp(443)), "internet-gateway", "igw-a", "private NAT gateway");
    }
}

// ---------------------------------------------------------------------------------------------
// Egress-only internet gateway
// ---------------------------------------------------------------------------------------------

mod egress_only_internet_gateway {
    use super::*;

    /// [`ipv6`] with `eigw-a`; subnet-a2 routes ::/0 to it through `rtb-priv`.
    fn eigw() -> Snap {
        let mut s = ipv6();
        s.eigw("eigw-a", "vpc-a").rtb(
            "rtb-priv",
            "vpc-a",
            &["subnet-a2"],
            &[route("10.0.0.0/16", "local"), route("2600:1f18:1:100::/56", "local"), route("::/0", "eigw-a")],
        );
        s
    }

    /// A VPC with no internet gateway at all, only the egress-only one.
    fn eigw_only() -> Snap {
        let mut s = eigw();
        s.remove("describe-internet-gateways", "igw-a").rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("2600:1f18:1:100::/56", "local")]);
        s
    }

    #[test]
    fn ipv6_outbound_works() {
        let a = check(&eigw(), "eni-app", "internet6", tcp(443));
        let p = assert_reachable(&a);
        assert!(has_hop(&p.hops, "egress-only-internet-gateway", "eigw-a"), "{p:#?}");
        assert!(!p.return_hops.is_empty(), "{p:#?}");
        // IPv4 is not carried.
        let mut s = eigw();
        s.add_route("rtb-priv", route("0.0.0.0/0", "eigw-a"));
        assert_blocked(&check(&s, "eni-app", "internet", tcp(443)), "egress-only-internet-gateway", "eigw-a", "IPv6 only");
    }

    #[test]
    fn ipv6_outbound_works_without_an_internet_gateway() {
        let a = check(&eigw_only(), "eni-app", "internet6", tcp(443));
        let p = assert_reachable(&a);
        assert!(has_hop(&p.hops, "egress-only-internet-gateway", "eigw-a"), "{p:#?}");
    }

    #[test]
    fn inbound_from_the_internet_is_blocked_without_an_internet_gateway() {
        let a = check(&eigw_only(), "internet6", "eni-app", tcp(22));
        assert_blocked(&a, "vpc", "vpc-a", "has no internet gateway");
    }

    #[test]
    fn inbound_from_the_internet_is_blocked_when_the_subnet_routes_to_the_egress_only_gateway() {
        let a = check(&eigw(), "internet6", "eni-app", tcp(22));
        assert!(!a.reachable && a.paths.is_empty(), "{}", show(&a));
        assert_some_block(&a, "egress-only-internet-gateway", "eigw-a", "");
    }
}

// ---------------------------------------------------------------------------------------------
// VPC peering
// ---------------------------------------------------------------------------------------------

mod vpc_peering {
    use super::*;

    #[test]
    fn routes_to_the_peering_reach_the_peer_vpc() {
        let w = peered().build();
        for (from, to) in [("eni-web", "eni-b"), ("eni-b", "eni-app")] {
            let a = w.ask(from, to, &tcp(22));
            let p = assert_reachable(&a);
            assert!(has_hop(&p.hops, "vpc-peering-connection", "pcx-ab") && has_hop(&p.return_hops, "vpc-peering-connection", "pcx-ab"), "{p:#?}");
        }
    }

    /// A–B–C: `pcx-ab` and `pcx-bc`; A and C route each other's CIDR through B.
    fn chain() -> Snap {
        let mut s = peered();
        spoke(&mut s, "c", "10.2", &[route("10.1.0.0/16", "pcx-bc"), route("10.0.0.0/16", "pcx-bc")]);
        s.pcx("pcx-bc", "vpc-b", "vpc-c", "active")
            .add_route("rtb-b", route("10.2.0.0/16", "pcx-bc"))
            .add_route("rtb-a", route("10.2.0.0/16", "pcx-ab"));
        s
    }

    #[test]
    fn peering_is_not_transitive() {
        let w = chain().build();
        assert_blocked(&w.ask("eni-web", "eni-c", &tcp(22)), "vpc-peering-connection", "pcx-ab", "peering is not transitive");
        assert_reachable(&w.ask("eni-b", "eni-c", &tcp(22)));
    }

    #[test]
    fn a_vpc_cannot_use_its_peers_internet_or_nat_gateway() {
        // vpc-b: subnet-b2 is public (igw-b) and holds nat-b; subnet-b1 (eni-b) goes out through nat-b.
        let mut s = peered();
        s.igw("igw-b", "vpc-b")
            .nat("nat-b", "subnet-b2", "10.1.2.100", Some("3.3.3.3"))
            .add_route("rtb-b", route("0.0.0.0/0", "nat-b"))
            .rtb("rtb-b-pub", "vpc-b", &["subnet-b2"], &[route("10.1.0.0/16", "local"), route("0.0.0.0/0", "igw-b")])
            .rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("10.1.0.0/16", "pcx-ab"), route("0.0.0.0/0", "pcx-ab")]);
        let w = s.build();
        for from in ["eni-app", "eni-web"] {
            assert_blocked(&w.ask(from, "internet", &tcp(443)), "vpc-peering-connection", "pcx-ab", "is outside vpc-b's CIDRs; peering is not transitive");
        }
        // B itself can use them, and A still reaches B.
        assert!(has_hop(&assert_reachable(&w.ask("eni-b", "internet", &tcp(443))).hops, "nat-gateway", "nat-b"));
        assert_reachable(&w.ask("eni-app", "eni-b", &tcp(22)));
    }

    #[test]
    fn an_inactive_peering_blocks() {
        let mut s = peered();
        s.pcx("pcx-ab", "vpc-a", "vpc-b", "pending-acceptance");
        assert_blocked(&check(&s, "eni-web", "eni-b", tcp(22)), "vpc-peering-connection", "pcx-ab", "is not active");
    }
}

// ---------------------------------------------------------------------------------------------
// Transit gateway
// ---------------------------------------------------------------------------------------------

mod transit_gateway {
    use super::*;

    #[test]
    fn propagated_routes_carry_traffic() {
        let a = check(&tgw_pair(), "eni-web", "eni-b", tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-1").detail.contains("propagated route 10.1.0.0/16 -> tgw-attach-b"), "{p:#?}");
        assert!(hop(&p.return_hops, "transit-gateway-route-table", "tgw-rtb-1").detail.contains("propagated route 10.0.0.0/16 -> tgw-attach-a"), "{p:#?}");
    }

    #[test]
    fn each_attachment_routes_by_its_own_associated_table() {
        let mut s = tgw_three();
        s.tgw_attach("tgw-attach-a", "tgw-1", "vpc-a", &["subnet-a1", "subnet-a2"], "tgw-rtb-a", false)
            .tgw_attach("tgw-attach-b", "tgw-1", "vpc-b", &["subnet-b1", "subnet-b2"], "tgw-rtb-b", false)
            .tgw_attach("tgw-attach-c", "tgw-1", "vpc-c", &["subnet-c1", "subnet-c2"], "tgw-rtb-c", false)
            .tgw_rt("tgw-rtb-a", "tgw-1", &[tgw_route("10.1.0.0/16", "tgw-attach-b", "propagated")])
            .tgw_rt("tgw-rtb-b", "tgw-1", &[tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated"), tgw_route("10.2.0.0/16", "tgw-attach-c", "propagated")])
            .tgw_rt("tgw-rtb-c", "tgw-1", &[tgw_route("10.1.0.0/16", "tgw-attach-b", "propagated")]);
        let w = s.build();
        assert_blocked(&w.ask("eni-web", "eni-c", &tcp(22)), "transit-gateway-route-table", "tgw-rtb-a", "no route");
        let a = w.ask("eni-b", "eni-c", &tcp(22));
        let p = assert_reachable(&a);
        assert!(has_hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-b") && has_hop(&p.return_hops, "transit-gateway-route-table", "tgw-rtb-c"), "{p:#?}");
        assert_reachable(&w.ask("eni-web", "eni-b", &tcp(22)));
    }

    #[test]
    fn a_static_route_beats_a_propagated_one_at_equal_prefix() {
        // vpc-c reuses 10.1.0.0/16: both VPCs hold 10.1.1.10.
        let mut s = tgw_pair();
        spoke(&mut s, "c", "10.1", &[route("10.0.0.0/8", "tgw-1")]);
        s.tgw_attach("tgw-attach-c", "tgw-1", "vpc-c", &["subnet-c1", "subnet-c2"], "tgw-rtb-1", false).tgw_rt(
            "tgw-rtb-1",
            "tgw-1",
            &[
                tgw_route("10.1.0.0/16", "tgw-attach-b", "propagated"),
                tgw_route("10.1.0.0/16", "tgw-attach-c", "static"),
                tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated"),
            ],
        );
        let w = s.build();
        let a = w.ask("eni-web", "eni-c", &tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-1").detail.contains("static route 10.1.0.0/16 -> tgw-attach-c"), "{p:#?}");
        let a = w.ask("eni-web", "eni-b", &tcp(22));
        assert!(!a.reachable && a.blocked.iter().all(|b| b.reason.contains("is delivered to eni-c instead")), "{}", show(&a));
    }

    #[test]
    fn a_blackhole_route_drops() {
        let mut s = tgw_pair();
        s.tgw_rt("tgw-rtb-1", "tgw-1", &[tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated"), tgw_blackhole("10.1.0.0/16")]);
        assert_blocked(&check(&s, "eni-web", "eni-b", tcp(22)), "transit-gateway-route-table", "tgw-rtb-1", "matches blackhole route 10.1.0.0/16");
    }

    #[test]
    fn the_longest_prefix_wins_before_static_over_propagated() {
        let mut s = tgw_three();
        s.tgw_rt(
            "tgw-rtb-1",
            "tgw-1",
            &[
                tgw_route("10.0.0.0/8", "tgw-attach-b", "static"),
                tgw_route("10.2.0.0/16", "tgw-attach-c", "propagated"),
                tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated"),
            ],
        );
        let w = s.build();
        let a = w.ask("eni-web", "eni-c", &tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-1").detail.contains("propagated route 10.2.0.0/16 -> tgw-attach-c"), "{p:#?}");
        let a = w.ask("eni-web", "eni-b", &tcp(22));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-1").detail.contains("static route 10.0.0.0/8 -> tgw-attach-b"), "{p:#?}");
    }

    #[test]
    fn the_attachment_needs_a_subnet_in_the_source_availability_zone() {
        let mut s = tgw_pair();
        s.tgw_attach("tgw-attach-a", "tgw-1", "vpc-a", &["subnet-a1"], "tgw-rtb-1", false);
        let w = s.build();
        assert_blocked(&w.ask("eni-app", "eni-b", &tcp(22)), "transit-gateway-attachment", "tgw-attach-a", "no subnet in us-east-1b");
        assert_reachable(&w.ask("eni-web", "eni-b", &tcp(22)));
    }

    /// Spoke vpc-a routes everything to `tgw-1`; egress VPC `vpc-e` 10.100.0.0/16 has its
    /// attachment in `subnet-e1`/`subnet-e2` (route 0.0.0.0/0 -> `nat-e`) and `nat-e` (Elastic
    /// IP 3.3.3.3) in `subnet-e3` (0.0.0.0/0 -> `igw-e`, 10.0.0.0/8 -> tgw-1).
    fn centralised_egress() -> Snap {
        let mut s = baseline();
        s.rtb("rtb-a", "vpc-a", &["main"], &[route("10.0.0.0/16", "local"), route("0.0.0.0/0", "tgw-1")]);
        spoke(&mut s, "e", "10.100", &[route("0.0.0.0/0", "nat-e")]);
        s.subnet("subnet-e3", "vpc-e", "10.100.3.0/24", "us-east-1a")
            .nacl("acl-e", "vpc-e", &["subnet-e1", "subnet-e2", "subnet-e3"], &allow_all())
            .igw("igw-e", "vpc-e")
            .rtb("rtb-e-pub", "vpc-e", &["subnet-e3"], &[route("10.100.0.0/16", "local"), route("10.0.0.0/8", "tgw-1"), route("0.0.0.0/0", "igw-e")])
            .nat("nat-e", "subnet-e3", "10.100.3.100", Some("3.3.3.3"))
            .tgw("tgw-1", false)
            .tgw_attach("tgw-attach-a", "tgw-1", "vpc-a", &["subnet-a1", "subnet-a2"], "tgw-rtb-spoke", false)
            .tgw_attach("tgw-attach-e", "tgw-1", "vpc-e", &["subnet-e1", "subnet-e2"], "tgw-rtb-egress", false)
            .tgw_rt("tgw-rtb-spoke", "tgw-1", &[tgw_route("0.0.0.0/0", "tgw-attach-e", "static")])
            .tgw_rt("tgw-rtb-egress", "tgw-1", &[tgw_route("10.0.0.0/16", "tgw-attach-a", "propagated")]);
        s
    }

    #[test]
    fn centralised_egress_through_a_nat_in_another_vpc() {
        let a = check(&centralised_egress(), "eni-app", "internet", tcp(443));
        let p = assert_reachable(&a);
        assert!(hop(&p.hops, "transit-gateway-route-table", "tgw-rtb-spoke").detail.contains("0.0.0.0/0 -> tgw-attach-e"), "{p:#?}");
        assert!(has_hop(&p.hops, "nat-gateway", "nat-e"), "{p:#?}");
        assert!(hop(&p.hops, "internet-gateway", "igw-e").detail.contains("from 3.3.3.3"), "{p:#?}");
        assert!(has_hop(&p.return_hops, "nat-gateway", "nat-e") && has_hop(&p.return_hops, "transit-gateway-route-table", "tgw-rtb-egress"), "{p:#?}");
    }

    #[test]
    fn centralised_egress_needs_the_route_back() {
        let mut s = centralised_egress();
        s.tgw_rt("tgw-rtb-egress", "tgw-1", &[]);
        let a = check(&s, "eni-app", "internet", tcp(443));
        assert_blocked(&a, "transit-gateway-route-table", "tgw-rtb-egress", "reply dropped: no route");
        assert_reachable(&check(&s, "eni-app", "internet", tcp(443).one_way()));
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over random variations of the baseline
// ---------------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Random security group port ranges on `sg-web` and random rules on `acl-web`, the ACL of
    /// eni-web's subnet.
    #[derive(Debug, Clone)]
    struct Variation {
        sg: Vec<(u16, u16)>,
        acl: Vec<(bool, i64, bool, u16, u16, usize)>,
        last_in: Option<bool>,
        last_out: Option<bool>,
        port: u16,
    }

    const CIDRS: [&str; 4] = ["0.0.0.0/0", "198.51.100.0/24", "10.0.2.0/24", "10.0.0.0/8"];

    fn variation() -> impl Strategy<Value = Variation> {
        (
            proptest::collection::vec((0u16..3000, 0u16..1500), 0..3),
            proptest::collection::vec((any::<bool>(), 1i64..300, any::<bool>(), 0u16..3000, 0u16..2000, 0usize..CIDRS.len()), 0..6),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            0u16..3000,
        )
            .prop_map(|(sg, acl, last_in, last_out, port)| Variation { sg, acl, last_in, last_out, port })
    }

    impl Variation {
        fn snap(&self) -> Snap {
            let mut s = baseline();
            let ingress: Vec<Value> = self.sg.iter().map(|&(lo, w)| perm("tcp", ports(lo.into(), (lo as i64 + w as i64).min(65535)), "0.0.0.0/0")).collect();
            s.sg("sg-web", "vpc-a", &ingress, &open());
            let mut entries: Vec<Value> = Vec::new();
            let mut seen: Vec<(bool, i64)> = Vec::new();
            for &(egress, n, allow, lo, w, c) in &self.acl {
                if seen.contains(&(egress, n)) {
                    continue;
                }
                seen.push((egress, n));
                entries.push(acl_rule(n, egress, if allow { ALLOW } else { DENY }, TCP, CIDRS[c], ports(lo.into(), (lo as i64 + w as i64).min(65535))));
            }
            for (egress, last) in [(false, self.last_in), (true, self.last_out)] {
                if let Some(allow) = last {
                    entries.push(acl_rule(1000, egress, if allow { ALLOW } else { DENY }, ALL, "0.0.0.0/0", ANY));
                }
            }
            s.nacl("acl-web", "vpc-a", &["subnet-a1"], &entries);
            s
        }
    }

    const FROM: [&str; 2] = ["internet", "eni-app"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn two_way_reachable_implies_one_way_reachable(v in variation()) {
            let w = v.snap().build();
            for from in FROM {
                for q in [tcp_all(), tcp(v.port)] {
                    let two = w.ask(from, "eni-web", &q.clone().two_way(true));
                    let one = w.ask(from, "eni-web", &q.one_way());
                    prop_assert!(!two.reachable || one.reachable, "{from}: two-way\n{}\none-way\n{}", show(&two), show(&one));
                    prop_assert!(two.admitted(Proto::Tcp).subtract(&one.admitted(Proto::Tcp)).is_empty(), "{from}: two-way admits more than one-way");
                }
            }
        }

        #[test]
        fn paths_are_non_empty_exactly_when_reachable(v in variation()) {
            let w = v.snap().build();
            for from in FROM {
                for q in [tcp_all(), tcp(v.port), tcp(v.port).one_way()] {
                    let a = w.ask(from, "eni-web", &q);
                    prop_assert_eq!(a.reachable, !a.paths.is_empty(), "{}", show(&a));
                    prop_assert!(a.reachable || !a.blocked.is_empty(), "unreachable without a reason: {}", show(&a));
                    for b in &a.blocked {
                        prop_assert!(!b.at.kind.is_empty() && !b.reason.is_empty(), "{}", show(&a));
                    }
                }
            }
        }

        #[test]
        fn all_ports_answer_agrees_with_single_port_answers(v in variation(), extra in 0u16..3000) {
            let w = v.snap().build();
            for from in FROM {
                for two_way in [true, false] {
                    let all = w.ask(from, "eni-web", &tcp_all().two_way(two_way)).admitted(Proto::Tcp);
                    for p in [v.port, extra] {
                        let single = w.ask(from, "eni-web", &tcp(p).two_way(two_way));
                        prop_assert_eq!(all.contains(p), single.reachable, "{} two_way={} port {}: all-ports admits {:?}\n{}", from, two_way, p, all, show(&single));
                    }
                }
            }
        }
    }
}

