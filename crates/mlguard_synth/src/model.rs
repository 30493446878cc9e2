//! The in-memory organisation: plain structs linked by index, built by
//! `build` and written out by `emit`.

use crate::addr::{v4, Net4};

/// One AWS region the organisation uses, with the public facts the
/// generator needs about it.
pub(crate) struct Region {
    pub(crate) name: &'static str,
    pub(crate) azs: &'static [&'static str],
    pub(crate) az_ids: &'static [&'static str],
    pub(crate) s3_pl: &'static str,
    pub(crate) s3_cidrs: &'static [&'static str],
    pub(crate) ddb_pl: &'static str,
    pub(crate) ddb_cidrs: &'static [&'static str],
    /// An Amazon-owned IPv6 /36 the VPC /56s are cut from.
    pub(crate) v6_base: u128,
    /// The pool public IPv4 addresses are drawn from.
    pub(crate) public_pool: Net4,
    pub(crate) private_dns: &'static str,
    pub(crate) public_dns: &'static str,
}

pub(crate) static REGIONS: [Region; 2] = [
    Region {
        name: "us-east-1",
        azs: &[
            "us-east-1a",
            "us-east-1b",
            "us-east-1c",
            "us-east-1d",
            "us-east-1e",
            "us-east-1f",
        ],
        az_ids: &[
            "use1-az1", "use1-az2", "use1-az4", "use1-az6", "use1-az3", "use1-az5",
        ],
        s3_pl: "pl-63a5400a",
        s3_cidrs: &[
            "3.5.0.0/19",
            "16.182.0.0/16",
            "18.34.0.0/19",
            "18.34.232.0/21",
            "52.216.0.0/15",
            "54.231.0.0/16",
        ],
        ddb_pl: "pl-02cd2c6b",
        ddb_cidrs: &[
            "3.218.180.0/22",
            "3.218.184.0/22",
            "52.94.0.0/22",
            "52.119.224.0/20",
        ],
        v6_base: 0x2600_1f18_0000_0000_0000_0000_0000_0000,
        public_pool: Net4::new(v4(3, 80, 0, 0), 12),
        private_dns: "ec2.internal",
        public_dns: "compute-1.amazonaws.com",
    },
    Region {
        name: "eu-west-1",
        azs: &["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        az_ids: &["euw1-az1", "euw1-az2", "euw1-az3"],
        s3_pl: "pl-6da54004",
        s3_cidrs: &[
            "3.5.64.0/21",
            "3.5.72.0/23",
            "18.34.32.0/20",
            "52.92.0.0/17",
            "52.218.0.0/17",
        ],
        ddb_pl: "pl-6fa54006",
        ddb_cidrs: &["52.94.24.0/23", "52.94.26.0/23", "52.119.240.0/21"],
        v6_base: 0x2a05_d018_0000_0000_0000_0000_0000_0000,
        public_pool: Net4::new(v4(34, 240, 0, 0), 13),
        private_dns: "eu-west-1.compute.internal",
        public_dns: "eu-west-1.compute.amazonaws.com",
    },
];

pub(crate) const TEAMS: [&str; 10] = [
    "ml-platform",
    "recsys",
    "vision",
    "nlp",
    "fraud",
    "data-eng",
    "search",
    "payments",
    "analytics",
    "infra",
];
/// Teams whose VPCs host most SageMaker resources and GPU fleets.
pub(crate) const ML_TEAMS: usize = 5;
pub(crate) const TEAM_INFRA: usize = 9;

pub(crate) const ENVS: [&str; 4] = ["prod", "staging", "dev", "sandbox"];
pub(crate) const ENV_PROD: usize = 0;
pub(crate) const ENV_SANDBOX: usize = 3;

pub(crate) const INTERFACE_SERVICES: [&str; 6] = [
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "logs",
    "ecr.api",
    "ecr.dkr",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VpcKind {
    /// The default VPC AWS creates in every region (172.31.0.0/16).
    Default,
    /// A central egress VPC, one per Transit Gateway.
    Hub,
    Workload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Public,
    Private,
    Isolated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NatMode {
    None,
    Single,
    PerAz,
}

pub(crate) struct Vpc {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) kind: VpcKind,
    pub(crate) cidr: Net4,
    pub(crate) cidr_assoc: String,
    pub(crate) v6: Option<u128>,
    pub(crate) v6_assoc: String,
    pub(crate) name: String,
    pub(crate) team: usize,
    pub(crate) env: usize,
    /// Indices into the region's AZ list.
    pub(crate) azs: Vec<usize>,
    /// Planned (tier, AZ) of each subnet, in creation order.
    pub(crate) layout: Vec<(Tier, usize)>,
    pub(crate) nat_mode: NatMode,
    pub(crate) tgw: Option<usize>,
    pub(crate) attachment: Option<usize>,
    pub(crate) s3_endpoint: bool,
    pub(crate) ddb_endpoint: bool,
    pub(crate) interface_services: Vec<usize>,
    pub(crate) notebooks: usize,
    pub(crate) fleet_budget: usize,
    pub(crate) infra_enis: usize,
    pub(crate) n_sgs: usize,
    pub(crate) subnets: Vec<usize>,
    pub(crate) sgs: Vec<usize>,
    pub(crate) igw: Option<usize>,
    pub(crate) eigw: Option<usize>,
    pub(crate) nats: Vec<usize>,
    pub(crate) public_rt: Option<usize>,
    pub(crate) private_rts: Vec<usize>,
    pub(crate) main_rt: Option<usize>,
}

impl Vpc {
    pub(crate) fn has_public(&self) -> bool {
        self.layout.iter().any(|(t, _)| *t == Tier::Public)
    }
}

pub(crate) struct Subnet {
    pub(crate) id: String,
    pub(crate) vpc: usize,
    pub(crate) ar: usize,
    pub(crate) az: usize,
    pub(crate) cidr: Net4,
    pub(crate) v6: Option<u128>,
    pub(crate) v6_assoc: String,
    pub(crate) tier: Tier,
    pub(crate) default_for_az: bool,
    pub(crate) map_public: bool,
    /// Next free host offset inside the subnet.
    pub(crate) next: u32,
    pub(crate) used: u32,
    pub(crate) name: String,
}

impl Subnet {
    /// Addresses still free: usable offsets run from 4 to size - 2.
    pub(crate) fn free(&self) -> u32 {
        let last = self.cidr.size().saturating_sub(2) as u32;
        (last + 1).saturating_sub(self.next)
    }
}

pub(crate) enum Dest {
    V4(Net4),
    V6(String),
    PrefixList(String),
}

pub(crate) enum Target {
    Local,
    /// An internet gateway or a gateway VPC endpoint: both print as GatewayId.
    Gateway(String),
    Nat(String),
    Tgw(String),
    Pcx(String),
    Eigw(String),
}

pub(crate) struct Route {
    pub(crate) dest: Dest,
    pub(crate) target: Target,
    pub(crate) blackhole: bool,
    pub(crate) origin: &'static str,
}

pub(crate) struct RouteTable {
    pub(crate) id: String,
    pub(crate) vpc: usize,
    pub(crate) ar: usize,
    pub(crate) main: bool,
    pub(crate) main_assoc: String,
    pub(crate) assocs: Vec<(usize, String)>,
    pub(crate) routes: Vec<Route>,
    pub(crate) name: Option<String>,
}

pub(crate) enum AnyCidr {
    V4(Net4),
    V6(String),
}

pub(crate) struct NaclEntry {
    pub(crate) rule: u32,
    pub(crate) egress: bool,
    pub(crate) protocol: &'static str,
    pub(crate) allow: bool,
    pub(crate) cidr: AnyCidr,
    pub(crate) ports: Option<(u16, u16)>,
    pub(crate) icmp: Option<(i32, i32)>,
}

pub(crate) struct Nacl {
    pub(crate) id: String,
    pub(crate) vpc: usize,
    pub(crate) ar: usize,
    pub(crate) is_default: bool,
    pub(crate) assocs: Vec<(usize, String)>,
    pub(crate) entries: Vec<NaclEntry>,
    pub(crate) name: Option<String>,
}

#[derive(Default)]
pub(crate) struct Perm {
    pub(crate) proto: &'static str,
    pub(crate) ports: Option<(i32, i32)>,
    pub(crate) v4: Vec<(String, Option<&'static str>)>,
    pub(crate) v6: Vec<String>,
    pub(crate) pls: Vec<String>,
    /// (group id, owning account id)
    pub(crate) groups: Vec<(String, String)>,
}

impl Perm {
    pub(crate) fn sources(&self) -> usize {
        self.v4.len() + self.v6.len() + self.pls.len() + self.groups.len()
    }
}

pub(crate) struct SecurityGroup {
    pub(crate) id: String,
    pub(crate) vpc: usize,
    pub(crate) ar: usize,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) ingress: Vec<Perm>,
    pub(crate) egress: Vec<Perm>,
    pub(crate) is_default: bool,
    pub(crate) budget: usize,
}

impl SecurityGroup {
    pub(crate) fn rules(&self) -> usize {
        self.ingress
            .iter()
            .chain(self.egress.iter())
            .map(Perm::sources)
            .sum()
    }
}

pub(crate) enum EniKind {
    Instance {
        instance: usize,
        device: u32,
        efa: bool,
    },
    Nat(usize),
    Endpoint(usize),
    Lambda(String),
    Elb(String),
    Notebook(String),
    Detached,
}

pub(crate) struct Eni {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) subnet: usize,
    pub(crate) vpc: usize,
    pub(crate) private_ips: Vec<u32>,
    pub(crate) public_ip: Option<u32>,
    pub(crate) v6: Vec<u128>,
    pub(crate) groups: Vec<usize>,
    pub(crate) kind: EniKind,
    pub(crate) mac: String,
    pub(crate) attach_id: String,
    pub(crate) created: i64,
}

pub(crate) struct Instance {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) subnet: usize,
    pub(crate) itype: &'static str,
    pub(crate) enis: Vec<usize>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) launch: i64,
    pub(crate) image: String,
    pub(crate) profile: Option<String>,
    pub(crate) imdsv2: bool,
}

pub(crate) struct Reservation {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) instances: Vec<usize>,
}

pub(crate) struct Igw {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) vpc: usize,
}

pub(crate) struct Nat {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) vpc: usize,
    pub(crate) subnet: usize,
    pub(crate) eni: Option<usize>,
    pub(crate) eip: Option<usize>,
    pub(crate) deleted: bool,
    pub(crate) created: i64,
}

pub(crate) struct Eip {
    pub(crate) alloc: String,
    pub(crate) assoc: String,
    pub(crate) ar: usize,
    pub(crate) public_ip: u32,
    pub(crate) eni: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointKind {
    Gateway,
    Interface,
}

pub(crate) struct Endpoint {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) vpc: usize,
    pub(crate) service: String,
    pub(crate) kind: EndpointKind,
    pub(crate) route_tables: Vec<usize>,
    pub(crate) subnets: Vec<usize>,
    pub(crate) enis: Vec<usize>,
    pub(crate) groups: Vec<usize>,
    pub(crate) private_dns: bool,
    pub(crate) created: i64,
}

pub(crate) struct Peering {
    pub(crate) id: String,
    pub(crate) requester: usize,
    pub(crate) accepter: usize,
}

pub(crate) struct Tgw {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) asn: u32,
    pub(crate) rts: Vec<usize>,
    pub(crate) name: String,
    pub(crate) created: i64,
}

pub(crate) struct TgwRoute {
    pub(crate) dest: String,
    pub(crate) attachment: Option<usize>,
    pub(crate) propagated: bool,
}

pub(crate) struct TgwRt {
    pub(crate) id: String,
    pub(crate) tgw: usize,
    pub(crate) ar: usize,
    pub(crate) name: String,
    pub(crate) routes: Vec<TgwRoute>,
    pub(crate) assocs: Vec<usize>,
    pub(crate) props: Vec<usize>,
    pub(crate) quarantine: bool,
    pub(crate) created: i64,
}

pub(crate) struct TgwAttachment {
    pub(crate) id: String,
    pub(crate) tgw: usize,
    pub(crate) vpc: usize,
    pub(crate) subnets: Vec<usize>,
    pub(crate) rt: usize,
    pub(crate) ipv6: bool,
    pub(crate) created: i64,
}

pub(crate) struct PrefixList {
    pub(crate) id: String,
    pub(crate) ar: usize,
    pub(crate) name: &'static str,
    pub(crate) entries: Vec<(String, String)>,
    pub(crate) max_entries: usize,
    pub(crate) version: u32,
}

pub(crate) struct Notebook {
    pub(crate) name: String,
    pub(crate) ar: usize,
    pub(crate) subnet: Option<usize>,
    pub(crate) groups: Vec<usize>,
    pub(crate) eni: Option<usize>,
    pub(crate) direct_internet: bool,
    pub(crate) itype: &'static str,
    pub(crate) created: i64,
}

pub(crate) struct TrainingJob {
    pub(crate) name: String,
    pub(crate) ar: usize,
    pub(crate) subnets: Vec<usize>,
    pub(crate) groups: Vec<usize>,
    pub(crate) isolation: bool,
    pub(crate) encryption: bool,
    pub(crate) itype: &'static str,
    pub(crate) count: u32,
    pub(crate) status: &'static str,
    pub(crate) created: i64,
}

/// The whole organisation. An `ar` index is `account * 2 + region`.
#[derive(Default)]
pub(crate) struct Org {
    pub(crate) accounts: Vec<String>,
    pub(crate) dhcp: Vec<String>,
    pub(crate) vpcs: Vec<Vpc>,
    pub(crate) subnets: Vec<Subnet>,
    pub(crate) route_tables: Vec<RouteTable>,
    pub(crate) nacls: Vec<Nacl>,
    pub(crate) sgs: Vec<SecurityGroup>,
    pub(crate) enis: Vec<Eni>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) reservations: Vec<Reservation>,
    pub(crate) igws: Vec<Igw>,
    pub(crate) eigws: Vec<Igw>,
    pub(crate) nats: Vec<Nat>,
    pub(crate) eips: Vec<Eip>,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) peerings: Vec<Peering>,
    pub(crate) tgws: Vec<Tgw>,
    pub(crate) tgw_rts: Vec<TgwRt>,
    pub(crate) attachments: Vec<TgwAttachment>,
    pub(crate) prefix_lists: Vec<PrefixList>,
    pub(crate) notebooks: Vec<Notebook>,
    pub(crate) training_jobs: Vec<TrainingJob>,
}

pub(crate) const fn ar_account(ar: usize) -> usize {
    ar / 2
}

pub(crate) const fn ar_region(ar: usize) -> usize {
    ar % 2
}

impl Org {
    pub(crate) fn account(&self, ar: usize) -> &str {
        self.accounts
            .get(ar_account(ar))
            .map_or("000000000000", String::as_str)
    }

    pub(crate) fn region(&self, ar: usize) -> &'static Region {
        &REGIONS[ar_region(ar)]
    }
}
