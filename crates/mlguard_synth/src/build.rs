//! Builds the organisation model: plans the counts, carves the address
//! space, then creates every resource with its links resolved.

use std::collections::BTreeSet;

use crate::addr::{ceil_log2, net6, v4, Net4};
use crate::model::{
    AnyCidr, Dest, Eip, Endpoint, EndpointKind, Eni, EniKind, Igw, Instance, Nacl, NaclEntry, Nat,
    NatMode, Notebook, Org, Peering, Perm, PrefixList, Reservation, Route, RouteTable,
    SecurityGroup, Subnet, Target, Tgw, TgwAttachment, TgwRoute, TgwRt, Tier, TrainingJob, Vpc,
    VpcKind, ENVS, ENV_PROD, ENV_SANDBOX, INTERFACE_SERVICES, ML_TEAMS, REGIONS, TEAMS, TEAM_INFRA,
};
use crate::rng::{mix64, Rng};
use crate::SynthError;

/// 2024-01-01T00:00:00Z: resources are created within 400 days after it.
pub(crate) const BASE_TIME: i64 = 1_704_067_200;
const DAY: i64 = 86_400;

/// The target number of each resource at a given scale.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    pub(crate) vpcs: usize,
    pub(crate) subnets: usize,
    pub(crate) enis: usize,
    pub(crate) sgs: usize,
    pub(crate) sg_rules: usize,
    pub(crate) tgws: usize,
    pub(crate) tgw_rts: usize,
    pub(crate) sagemaker: usize,
    pub(crate) peerings: usize,
}

impl Counts {
    pub(crate) fn new(scale: f64) -> Self {
        let n = |base: f64, min: usize| ((base * scale).round() as usize).max(min);
        let tgws = n(20.0, 2);
        Self {
            vpcs: n(500.0, 8),
            subnets: n(5_000.0, 0),
            enis: n(50_000.0, 0),
            sgs: n(5_000.0, 0),
            sg_rules: n(100_000.0, 0),
            tgws,
            tgw_rts: n(200.0, 0).max(2 * tgws),
            sagemaker: n(100.0, 4),
            peerings: n(25.0, 2),
        }
    }
}

/// Unique, random-looking identifiers: a counter pushed through a bijection.
struct Ids {
    key: u64,
    counter: u64,
}

impl Ids {
    fn raw(&mut self) -> u64 {
        self.counter += 1;
        mix64(self.counter ^ self.key)
    }

    fn next(&mut self, prefix: &str) -> String {
        format!("{prefix}-0{:016x}", self.raw())
    }
}

const CPU_TYPES: [&str; 8] = [
    "m5.large",
    "m5.xlarge",
    "c5.2xlarge",
    "c6i.xlarge",
    "r5.2xlarge",
    "t3.medium",
    "m6i.4xlarge",
    "r6i.xlarge",
];
const GPU_TYPES: [&str; 6] = [
    "p4d.24xlarge",
    "g5.xlarge",
    "trn1.2xlarge",
    "inf2.xlarge",
    "g5.12xlarge",
    "p3.2xlarge",
];
const SG_ROLES: [&str; 15] = [
    "vpc-endpoints",
    "app",
    "web-alb",
    "db",
    "ml-notebook",
    "ml-training",
    "bastion",
    "monitoring",
    "batch",
    "cache",
    "inference",
    "efs",
    "eks-nodes",
    "jupyterhub",
    "kafka",
];
/// (protocol, FromPort, ToPort) of security group permissions; `-1` has no ports.
const SG_PORTS: [(&str, i32, i32); 22] = [
    ("tcp", 22, 22),
    ("tcp", 80, 80),
    ("tcp", 443, 443),
    ("tcp", 3306, 3306),
    ("tcp", 5432, 5432),
    ("tcp", 6379, 6379),
    ("tcp", 8080, 8080),
    ("tcp", 8443, 8443),
    ("tcp", 8888, 8888),
    ("tcp", 9090, 9090),
    ("tcp", 2049, 2049),
    ("tcp", 1024, 65535),
    ("tcp", 30000, 32767),
    ("udp", 53, 53),
    ("tcp", 53, 53),
    ("icmp", -1, -1),
    ("icmp", 8, -1),
    ("tcp", 9092, 9094),
    ("tcp", 27017, 27017),
    ("tcp", 6443, 6443),
    ("udp", 123, 123),
    ("-1", 0, 0),
];
const SG_DESCRIPTIONS: [&str; 6] = [
    "office",
    "vpn",
    "monitoring",
    "ci runners",
    "partner",
    "legacy",
];
const PUBLIC_FIRST_OCTETS: [u8; 12] = [13, 18, 34, 35, 44, 52, 81, 91, 104, 151, 185, 212];
const TGW_RT_NAMES: [&str; 9] = [
    "shared-services",
    "prod",
    "staging",
    "dev",
    "ml-training",
    "ml-inference",
    "data",
    "security",
    "sandbox",
];

/// Spreads `total` over items in proportion to `weights`, each between its
/// minimum and `max`. The sum is exact unless the bounds make it impossible.
fn distribute(
    rng: &mut Rng,
    total: usize,
    weights: &[f64],
    mins: &[usize],
    max: usize,
) -> Vec<usize> {
    let n = weights.len();
    let mut out: Vec<usize> = mins.iter().map(|m| (*m).min(max)).collect();
    let base: usize = out.iter().sum();
    let mut rem = total.saturating_sub(base);
    if n == 0 || rem == 0 {
        return out;
    }
    let wsum: f64 = weights.iter().sum();
    if wsum > 0.0 {
        let pool = rem as f64;
        for (slot, w) in out.iter_mut().zip(weights) {
            let want = (pool * w / wsum).floor() as usize;
            let add = want.min(max - *slot).min(rem);
            *slot += add;
            rem -= add;
        }
    }
    let start = rng.below(n);
    while rem > 0 {
        let mut progressed = false;
        for k in 0..n {
            let i = (start + k) % n;
            if rem > 0 && out[i] < max {
                out[i] += 1;
                rem -= 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    out
}

fn space_error(what: impl Into<String>) -> SynthError {
    SynthError::AddressSpace(what.into())
}

struct NotebookPlan {
    ar: usize,
    vpc: Option<usize>,
}

struct SourceCtx {
    acct: String,
    vpc_cidr: Net4,
    v6: Option<u128>,
    subnets: Vec<(Net4, Option<u128>)>,
    sg_ids: Vec<String>,
    pls: Vec<String>,
    neighbours: Vec<Net4>,
}

pub(crate) struct Builder {
    rng: Rng,
    ids: Ids,
    org: Org,
    n_ar: usize,
    public_next: [u64; 2],
    public_start: [u64; 2],
    public_stride: [u64; 2],
    v6_next: [u64; 2],
    v6_start: [u64; 2],
    v6_stride: [u64; 2],
    unique_host: u32,
    notebook_plan: Vec<NotebookPlan>,
    training_plan: Vec<NotebookPlan>,
}

/// Builds the whole organisation for `counts`.
pub(crate) fn build(seed: u64, accounts: usize, counts: &Counts) -> Result<Org, SynthError> {
    let mut b = Builder::new(seed, accounts);
    b.plan_vpcs(counts);
    b.plan_subnets(counts);
    b.plan_sagemaker(counts);
    b.plan_enis(counts);
    b.allocate_cidrs()?;
    b.build_subnets();
    b.prefix_lists();
    b.gateways()?;
    b.security_groups(counts);
    b.interface_endpoints()?;
    b.transit_gateways(counts);
    b.route_tables();
    b.peerings(counts);
    b.nacls();
    b.tgw_routes();
    b.sagemaker()?;
    b.fleets()?;
    Ok(b.org)
}

impl Builder {
    fn new(seed: u64, accounts: usize) -> Self {
        let mut rng = Rng::new(seed);
        let key = rng.next_u64();
        let odd = |r: &mut Rng, bits: u32| (r.next_u64() & ((1u64 << bits) - 1)) | 1;
        let public_stride = [odd(&mut rng, 19), odd(&mut rng, 18)];
        let public_start = [rng.next_u64() >> 44, rng.next_u64() >> 45];
        let v6_stride = [odd(&mut rng, 19), odd(&mut rng, 19)];
        let v6_start = [rng.next_u64() >> 44, rng.next_u64() >> 44];
        let mut b = Self {
            rng,
            ids: Ids { key, counter: 0 },
            org: Org::default(),
            n_ar: accounts * 2,
            public_next: [0; 2],
            public_start,
            public_stride,
            v6_next: [0; 2],
            v6_start,
            v6_stride,
            unique_host: 0,
            notebook_plan: Vec::new(),
            training_plan: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        while b.org.accounts.len() < accounts {
            let id = 100_000_000_000 + b.rng.next_u64() % 900_000_000_000;
            if seen.insert(id) {
                b.org.accounts.push(format!("{id:012}"));
            }
        }
        for _ in 0..b.n_ar {
            let id = b.ids.next("dopt");
            b.org.dhcp.push(id);
        }
        b
    }

    fn when(&mut self) -> i64 {
        BASE_TIME + self.rng.below((400 * DAY) as usize) as i64
    }

    fn public_ip(&mut self, region: usize) -> Result<u32, SynthError> {
        let pool = REGIONS[region].public_pool;
        let size = pool.size();
        loop {
            let k = self.public_next[region];
            if k >= size {
                return Err(space_error(format!(
                    "public addresses of `{}` are exhausted",
                    REGIONS[region].name
                )));
            }
            self.public_next[region] += 1;
            let off = (self.public_start[region] + k * self.public_stride[region]) % size;
            let ip = pool.base + off as u32;
            let last = ip & 0xff;
            if last != 0 && last != 255 {
                return Ok(ip);
            }
        }
    }

    fn vpc_v6(&mut self, region: usize) -> Result<u128, SynthError> {
        let k = self.v6_next[region];
        let slots = 1u64 << 20;
        if k >= slots {
            return Err(space_error("IPv6 /56 blocks are exhausted"));
        }
        self.v6_next[region] += 1;
        let idx = (self.v6_start[region] + k * self.v6_stride[region]) % slots;
        Ok(REGIONS[region].v6_base | (u128::from(idx) << 72))
    }

    fn new_vpc(&mut self, ar: usize, kind: VpcKind, team: usize, env: usize) -> Vpc {
        Vpc {
            id: self.ids.next("vpc"),
            ar,
            kind,
            cidr: Net4::new(0, 32),
            cidr_assoc: self.ids.next("vpc-cidr-assoc"),
            v6: None,
            v6_assoc: self.ids.next("vpc-cidr-assoc"),
            name: String::new(),
            team,
            env,
            azs: Vec::new(),
            layout: Vec::new(),
            nat_mode: NatMode::None,
            tgw: None,
            attachment: None,
            s3_endpoint: false,
            ddb_endpoint: false,
            interface_services: Vec::new(),
            notebooks: 0,
            fleet_budget: 0,
            infra_enis: 0,
            n_sgs: 2,
            subnets: Vec::new(),
            sgs: Vec::new(),
            igw: None,
            eigw: None,
            nats: Vec::new(),
            public_rt: None,
            private_rts: Vec::new(),
            main_rt: None,
        }
    }

    fn pick_azs(&mut self, region: usize, n: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..REGIONS[region].azs.len()).collect();
        self.rng.shuffle(&mut all);
        all.truncate(n.min(all.len()));
        all.sort_unstable();
        all
    }

    // ----- planning -------------------------------------------------------

    fn plan_vpcs(&mut self, c: &Counts) {
        let accounts = self.org.accounts.len();
        let defaults = self.n_ar.min(c.vpcs / 8);
        for ar in 0..defaults {
            let mut v = self.new_vpc(ar, VpcKind::Default, TEAM_INFRA, ENV_SANDBOX);
            let region = ar % 2;
            v.azs = (0..REGIONS[region].azs.len()).collect();
            v.layout = v.azs.iter().map(|az| (Tier::Public, *az)).collect();
            v.name = "default".to_owned();
            self.org.vpcs.push(v);
        }
        for j in 0..c.tgws {
            let region = j % 2;
            let mut v = self.new_vpc(region, VpcKind::Hub, TEAM_INFRA, ENV_PROD);
            let naz = REGIONS[region].azs.len().min(3);
            v.azs = self.pick_azs(region, naz);
            let mut layout: Vec<(Tier, usize)> =
                v.azs.iter().map(|az| (Tier::Public, *az)).collect();
            layout.extend(v.azs.iter().map(|az| (Tier::Private, *az)));
            v.layout = layout;
            v.nat_mode = NatMode::PerAz;
            v.tgw = Some(j);
            v.s3_endpoint = true;
            v.v6 = self.rng.chance(0.5).then_some(0);
            v.name = format!("network-egress-{}-{}", REGIONS[region].name, j / 2 + 1);
            self.org.vpcs.push(v);
        }
        let workloads = c.vpcs.saturating_sub(defaults + c.tgws).max(4);
        let weights: Vec<f64> = (0..accounts)
            .map(|i| match (accounts, i) {
                (1, _) => 1.0,
                (_, 0) => 0.3,
                (_, 1) => 2.0,
                _ => 1.0 / i as f64,
            })
            .collect();
        let mut per_team = [0usize; 10];
        for _ in 0..workloads {
            let acct = self.rng.weighted(&weights);
            let region = usize::from(!self.rng.chance(0.65));
            let team = self.rng.below(TEAMS.len());
            let env = self.rng.weighted(&[0.35, 0.2, 0.35, 0.1]);
            let mut v = self.new_vpc(acct * 2 + region, VpcKind::Workload, team, env);
            let naz = if REGIONS[region].azs.len() >= 3 && self.rng.chance(0.6) {
                3
            } else {
                2
            };
            v.azs = self.pick_azs(region, naz);
            v.v6 = self.rng.chance(0.3).then_some(0);
            // `layout` is decided once the subnet counts are known; stash the wish.
            let wants_public = self.rng.chance(if env == ENV_SANDBOX { 0.9 } else { 0.7 });
            v.layout = if wants_public {
                vec![(Tier::Public, 0)]
            } else {
                Vec::new()
            };
            let r = self.rng.unit();
            v.nat_mode = if r < 0.55 {
                NatMode::PerAz
            } else if r < 0.85 {
                NatMode::Single
            } else {
                NatMode::None
            };
            if env != ENV_SANDBOX && self.rng.chance(0.9) {
                let in_region: Vec<usize> = (0..c.tgws).filter(|j| j % 2 == region).collect();
                v.tgw = in_region.get(team % in_region.len().max(1)).copied();
            }
            v.s3_endpoint = self.rng.chance(0.8);
            v.ddb_endpoint = self.rng.chance(0.2);
            if self.rng.chance(0.3) {
                let mut services: Vec<usize> = (0..INTERFACE_SERVICES.len()).collect();
                self.rng.shuffle(&mut services);
                services.truncate(self.rng.range(2, INTERFACE_SERVICES.len()));
                services.sort_unstable();
                v.interface_services = services;
            }
            per_team[team] += 1;
            v.name = format!("{}-{}-{}", TEAMS[team], ENVS[env], per_team[team]);
            self.org.vpcs.push(v);
        }
    }

    fn plan_subnets(&mut self, c: &Counts) {
        let fixed: usize = self
            .org
            .vpcs
            .iter()
            .filter(|v| v.kind != VpcKind::Workload)
            .map(|v| v.layout.len())
            .sum();
        let work: Vec<usize> = (0..self.org.vpcs.len())
            .filter(|i| self.org.vpcs[*i].kind == VpcKind::Workload)
            .collect();
        let mins: Vec<usize> = work
            .iter()
            .map(|i| self.org.vpcs[*i].azs.len().max(3))
            .collect();
        let total = c.subnets.saturating_sub(fixed).max(mins.iter().sum());
        let weights: Vec<f64> = work
            .iter()
            .map(|_| {
                let u = self.rng.unit();
                0.3 + 3.0 * u * u
            })
            .collect();
        let counts = distribute(&mut self.rng, total, &weights, &mins, 200);
        for (vi, n) in work.into_iter().zip(counts) {
            let v = &mut self.org.vpcs[vi];
            let naz = v.azs.len().max(1);
            let wants_public = !v.layout.is_empty();
            let public = match (wants_public, n >= 2 * naz, n > naz) {
                (true, true, _) => naz,
                (true, false, true) => 1,
                _ => 0,
            };
            let rest = n - public;
            let isolated = rest / 5;
            let private = rest - isolated;
            let tiers = std::iter::repeat_n(Tier::Public, public)
                .chain(std::iter::repeat_n(Tier::Private, private))
                .chain(std::iter::repeat_n(Tier::Isolated, isolated));
            v.layout = tiers
                .enumerate()
                .map(|(k, t)| (t, v.azs[k % naz]))
                .collect();
            if public == 0 {
                v.nat_mode = NatMode::None;
            }
        }
    }

    fn workload_vpcs(&self) -> Vec<usize> {
        (0..self.org.vpcs.len())
            .filter(|i| self.org.vpcs[*i].kind == VpcKind::Workload)
            .collect()
    }

    fn plan_sagemaker(&mut self, c: &Counts) {
        let work = self.workload_vpcs();
        let ml: Vec<usize> = work
            .iter()
            .copied()
            .filter(|i| self.org.vpcs[*i].team < ML_TEAMS)
            .collect();
        let ml = if ml.is_empty() { work.clone() } else { ml };
        let notebooks = (c.sagemaker * 2 / 5).max(2);
        let jobs = c.sagemaker.saturating_sub(notebooks).max(2);
        for k in 0..notebooks + jobs {
            let Some(&v) = self.rng.pick(&ml) else { return };
            let in_vpc = self.rng.chance(if k < notebooks { 0.85 } else { 0.7 });
            let plan = NotebookPlan {
                ar: self.org.vpcs[v].ar,
                vpc: in_vpc.then_some(v),
            };
            if k < notebooks {
                if in_vpc {
                    self.org.vpcs[v].notebooks += 1;
                }
                self.notebook_plan.push(plan);
            } else {
                self.training_plan.push(plan);
            }
        }
    }

    fn nat_azs(v: &Vpc) -> Vec<usize> {
        let mut azs: Vec<usize> = v
            .layout
            .iter()
            .filter(|(t, _)| *t == Tier::Public)
            .map(|(_, az)| *az)
            .collect();
        azs.dedup();
        let mut seen = BTreeSet::new();
        azs.retain(|az| seen.insert(*az));
        match v.nat_mode {
            NatMode::None => Vec::new(),
            NatMode::Single => azs.into_iter().take(1).collect(),
            NatMode::PerAz => azs,
        }
    }

    fn plan_enis(&mut self, c: &Counts) {
        let mut infra_total = 0;
        for v in &mut self.org.vpcs {
            let nat = Self::nat_azs(v).len();
            v.infra_enis = nat + v.interface_services.len() * v.azs.len() + v.notebooks;
            infra_total += v.infra_enis;
        }
        let work = self.workload_vpcs().len();
        let fleet = c.enis.saturating_sub(infra_total).max(work);
        let weights: Vec<f64> = (0..self.org.vpcs.len())
            .map(|i| match self.org.vpcs[i].kind {
                VpcKind::Default => 0.3,
                VpcKind::Hub => 0.5,
                VpcKind::Workload => {
                    self.org.vpcs[i].layout.len() as f64 * (0.3 + 2.0 * self.rng.unit())
                }
            })
            .collect();
        let mins: Vec<usize> = self
            .org
            .vpcs
            .iter()
            .map(|v| usize::from(v.kind == VpcKind::Workload))
            .collect();
        let budgets = distribute(&mut self.rng, fleet, &weights, &mins, usize::MAX);
        for (v, b) in self.org.vpcs.iter_mut().zip(budgets) {
            v.fleet_budget = b;
        }
    }

    // ----- address space --------------------------------------------------

    fn allocate_cidrs(&mut self) -> Result<(), SynthError> {
        let non_default: Vec<usize> = (0..self.org.vpcs.len())
            .filter(|i| self.org.vpcs[*i].kind != VpcKind::Default)
            .collect();
        let total_space = (255.0 + 15.0) * 65_536.0;
        let avg = total_space * 0.55 / non_default.len().max(1) as f64;
        let p0 = (32 - avg.log2().floor() as i32).clamp(16, 26);
        let mut pool_a = Vec::new();
        let mut pool_b = Vec::new();
        for &vi in &non_default {
            let v = &self.org.vpcs[vi];
            let n = v.layout.len().max(1) as u64;
            let k = i32::from(ceil_log2(n));
            let need = ((v.fleet_budget + v.infra_enis) as u64 * 3).div_ceil(n) + 4;
            let sub_max = (32 - i32::from(ceil_log2(need + 5))).min(28);
            let p_max = (sub_max - k).max(16);
            let offset = [-2, -1, 0, 1, 2][self.rng.weighted(&[0.05, 0.2, 0.4, 0.25, 0.1])];
            let p = (p0 + offset).clamp(16, p_max) as u8;
            let entry = (p, self.rng.next_u64(), vi);
            if self.rng.chance(0.06) {
                pool_b.push(entry);
            } else {
                pool_a.push(entry);
            }
        }
        let overflow = self.allocate_pool(pool_b, v4(172, 16, 0, 0), 15 * 65_536);
        pool_a.extend(overflow);
        let overflow = self.allocate_pool(pool_a, v4(10, 0, 0, 0), 255 * 65_536);
        if !overflow.is_empty() {
            return Err(space_error(format!(
                "{} VPCs do not fit in 10.0.0.0/8 and 172.16.0.0/12; use a smaller scale",
                overflow.len()
            )));
        }
        for vi in 0..self.org.vpcs.len() {
            let region = self.org.vpcs[vi].ar % 2;
            if self.org.vpcs[vi].kind == VpcKind::Default {
                self.org.vpcs[vi].cidr = Net4::new(v4(172, 31, 0, 0), 16);
            } else if self.org.vpcs[vi].v6.is_some() {
                let block = self.vpc_v6(region)?;
                self.org.vpcs[vi].v6 = Some(block);
            }
        }
        Ok(())
    }

    /// Places VPCs largest first so that every block is aligned; returns
    /// those that did not fit.
    fn allocate_pool(
        &mut self,
        mut list: Vec<(u8, u64, usize)>,
        base: u32,
        size: u64,
    ) -> Vec<(u8, u64, usize)> {
        list.sort_unstable();
        let mut cursor = 0u64;
        let mut overflow = Vec::new();
        for entry in list {
            let block = 1u64 << (32 - u32::from(entry.0));
            if cursor + block <= size {
                self.org.vpcs[entry.2].cidr = Net4::new(base + cursor as u32, entry.0);
                cursor += block;
            } else {
                overflow.push(entry);
            }
        }
        overflow
    }

    fn build_subnets(&mut self) {
        for vi in 0..self.org.vpcs.len() {
            let (kind, cidr, v6, ar, layout, vname) = {
                let v = &self.org.vpcs[vi];
                (v.kind, v.cidr, v.v6, v.ar, v.layout.clone(), v.name.clone())
            };
            let region = ar % 2;
            let n = layout.len();
            let mut cidrs = vec![Net4::new(0, 32); n];
            if kind == VpcKind::Default {
                for (k, slot) in cidrs.iter_mut().enumerate() {
                    *slot = Net4::new(cidr.base + ((k as u32) << 12), 20);
                }
            } else {
                let sp = cidr.len + ceil_log2(n as u64);
                let mut order: Vec<(u8, u64, usize)> = layout
                    .iter()
                    .enumerate()
                    .map(|(k, (tier, _))| {
                        let smaller = *tier == Tier::Isolated && sp < 28 && self.rng.chance(0.5);
                        (sp + u8::from(smaller), self.rng.next_u64(), k)
                    })
                    .collect();
                order.sort_unstable();
                let mut cursor = 0u32;
                for (p, _, k) in order {
                    cidrs[k] = Net4::new(cidr.base + cursor, p);
                    cursor += 1u32 << (32 - u32::from(p));
                }
            }
            for (k, ((tier, az), sub)) in layout.iter().zip(cidrs).enumerate() {
                let size = sub.size() as usize;
                let start = 4 + self.rng.below((size / 16).min(8)) as u32;
                let tier_name = match tier {
                    Tier::Public => "public",
                    Tier::Private => "private",
                    Tier::Isolated => "isolated",
                };
                let az_letter = REGIONS[region].azs[*az].chars().last().unwrap_or('a');
                let s = Subnet {
                    id: self.ids.next("subnet"),
                    vpc: vi,
                    ar,
                    az: *az,
                    cidr: sub,
                    v6: v6.map(|b| b | ((k as u128) << 64)),
                    v6_assoc: self.ids.next("subnet-cidr-assoc"),
                    tier: *tier,
                    default_for_az: kind == VpcKind::Default,
                    map_public: *tier == Tier::Public
                        && (kind == VpcKind::Default || self.rng.chance(0.8)),
                    next: start,
                    used: 0,
                    name: format!("{vname}-{tier_name}-{az_letter}{}", k + 1),
                };
                self.org.vpcs[vi].subnets.push(self.org.subnets.len());
                self.org.subnets.push(s);
            }
        }
    }

    fn random_public_24(&mut self) -> Net4 {
        let a = *self.rng.pick(&PUBLIC_FIRST_OCTETS).unwrap_or(&52);
        let b = self.rng.below(256) as u8;
        let c = self.rng.below(256) as u8;
        Net4::new(v4(a, b, c, 0), 24)
    }

    fn prefix_lists(&mut self) {
        for ar in 0..self.n_ar {
            let mut corp = Vec::new();
            for (k, fixed) in ["203.0.113.0/24", "198.51.100.0/24"].iter().enumerate() {
                corp.push(((*fixed).to_owned(), format!("office {}", k + 1)));
            }
            for k in 0..self.rng.range(1, 6) {
                let net = self.random_public_24();
                corp.push((net.to_string(), format!("branch {}", k + 1)));
            }
            let mut vpn = Vec::new();
            for k in 0..self.rng.range(2, 8) {
                let net = Net4::new(v4(10, 255, (k * 8 + self.rng.below(8)) as u8, 0), 24);
                vpn.push((net.to_string(), format!("vpn pool {}", k + 1)));
            }
            let mut lists = vec![("corp-offices", corp), ("vpn-users", vpn)];
            if self.rng.chance(0.3) {
                let mut partner = Vec::new();
                for k in 0..self.rng.range(2, 6) {
                    let net = self.random_public_24();
                    let host = Net4::new(net.base + 16 * self.rng.below(16) as u32, 28);
                    partner.push((host.to_string(), format!("partner {}", k + 1)));
                }
                lists.push(("partner-apis", partner));
            }
            for (name, entries) in lists {
                let max_entries = (entries.len() + 5).next_multiple_of(10);
                let pl = PrefixList {
                    id: self.ids.next("pl"),
                    ar,
                    name,
                    entries,
                    max_entries,
                    version: self.rng.range(1, 12) as u32,
                };
                self.org.prefix_lists.push(pl);
            }
        }
    }

    // ----- network interfaces ----------------------------------------------

    fn add_eni(
        &mut self,
        subnet: usize,
        kind: EniKind,
        groups: Vec<usize>,
        public: bool,
        secondaries: usize,
        with_v6: bool,
    ) -> Result<usize, SynthError> {
        let (ips, vpc, ar, v6_prefix) = {
            let s = &mut self.org.subnets[subnet];
            if (s.free() as usize) < 1 + secondaries {
                return Err(space_error(format!("subnet `{}` is full", s.cidr)));
            }
            let mut ips = Vec::with_capacity(1 + secondaries);
            for _ in 0..=secondaries {
                ips.push(s.cidr.base + s.next);
                s.next += 1;
                s.used += 1;
            }
            (ips, s.vpc, s.ar, s.v6)
        };
        let public_ip = if public {
            Some(self.public_ip(ar % 2)?)
        } else {
            None
        };
        let v6 = match (with_v6, v6_prefix) {
            (true, Some(prefix)) => {
                let host = self.ids.raw() | 0x1_0000;
                vec![prefix | u128::from(host)]
            }
            _ => Vec::new(),
        };
        let m = self.ids.raw().to_be_bytes();
        let mac = format!(
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            (m[2] & 0xfc) | 0x02,
            m[3],
            m[4],
            m[5],
            m[6],
            m[7]
        );
        let eni = Eni {
            id: self.ids.next("eni"),
            ar,
            subnet,
            vpc,
            private_ips: ips,
            public_ip,
            v6,
            groups,
            kind,
            mac,
            attach_id: self.ids.next("eni-attach"),
            created: self.when(),
        };
        self.org.enis.push(eni);
        Ok(self.org.enis.len() - 1)
    }

    fn subnets_of(&self, vpc: usize, tier: Tier) -> Vec<usize> {
        self.org.vpcs[vpc]
            .subnets
            .iter()
            .copied()
            .filter(|s| self.org.subnets[*s].tier == tier)
            .collect()
    }

    /// One subnet per AZ of the VPC, preferring private, then isolated, then public.
    fn one_per_az(&self, vpc: usize) -> Vec<usize> {
        let v = &self.org.vpcs[vpc];
        let mut out = Vec::new();
        for az in &v.azs {
            for tier in [Tier::Private, Tier::Isolated, Tier::Public] {
                let found = v.subnets.iter().copied().find(|s| {
                    let s = &self.org.subnets[*s];
                    s.az == *az && s.tier == tier
                });
                if let Some(s) = found {
                    out.push(s);
                    break;
                }
            }
        }
        out
    }

    fn gateways(&mut self) -> Result<(), SynthError> {
        for vi in 0..self.org.vpcs.len() {
            let ar = self.org.vpcs[vi].ar;
            if self.org.vpcs[vi].has_public() {
                let id = self.ids.next("igw");
                self.org.vpcs[vi].igw = Some(self.org.igws.len());
                self.org.igws.push(Igw { id, ar, vpc: vi });
            }
            let has_private = self.org.vpcs[vi]
                .layout
                .iter()
                .any(|(t, _)| *t == Tier::Private);
            if self.org.vpcs[vi].v6.is_some() && has_private {
                let id = self.ids.next("eigw");
                self.org.vpcs[vi].eigw = Some(self.org.eigws.len());
                self.org.eigws.push(Igw { id, ar, vpc: vi });
            }
            let publics = self.subnets_of(vi, Tier::Public);
            for az in Self::nat_azs(&self.org.vpcs[vi]) {
                let Some(subnet) = publics
                    .iter()
                    .copied()
                    .find(|s| self.org.subnets[*s].az == az)
                else {
                    continue;
                };
                let nat = self.org.nats.len();
                let eni = self.add_eni(subnet, EniKind::Nat(nat), Vec::new(), true, 0, false)?;
                let public_ip = self.org.enis[eni].public_ip.unwrap_or(0);
                let eip = Eip {
                    alloc: self.ids.next("eipalloc"),
                    assoc: self.ids.next("eipassoc"),
                    ar,
                    public_ip,
                    eni,
                };
                self.org.eips.push(eip);
                let n = Nat {
                    id: self.ids.next("nat"),
                    ar,
                    vpc: vi,
                    subnet,
                    eni: Some(eni),
                    eip: Some(self.org.eips.len() - 1),
                    deleted: false,
                    created: self.when(),
                };
                self.org.nats.push(n);
                self.org.vpcs[vi].nats.push(nat);
            }
        }
        Ok(())
    }

    // ----- security groups -------------------------------------------------

    fn security_groups(&mut self, c: &Counts) {
        let work = self.workload_vpcs();
        let fixed: usize = self.org.vpcs.len() * 2 - work.len() * 2;
        let weights: Vec<f64> = work
            .iter()
            .map(|v| self.org.vpcs[*v].layout.len() as f64 * (0.5 + self.rng.unit()))
            .collect();
        let mins = vec![2; work.len()];
        let target = c.sgs.saturating_sub(fixed);
        let counts = distribute(&mut self.rng, target, &weights, &mins, 60);
        for (v, n) in work.iter().zip(counts) {
            self.org.vpcs[*v].n_sgs = n;
        }
        // Create every group first so that rules can reference any of them.
        for vi in 0..self.org.vpcs.len() {
            let (ar, kind, n) = {
                let v = &self.org.vpcs[vi];
                (v.ar, v.kind, v.n_sgs)
            };
            for k in 0..n {
                let (name, description) = match (kind, k) {
                    (_, 0) => (
                        "default".to_owned(),
                        "default VPC security group".to_owned(),
                    ),
                    (VpcKind::Default, _) => (
                        format!("launch-wizard-{k}"),
                        format!("launch-wizard-{k} created 2024-05-02T10:11:12.000Z"),
                    ),
                    (VpcKind::Hub, _) => (
                        "shared-endpoints".to_owned(),
                        "Interface endpoints shared through the transit gateway".to_owned(),
                    ),
                    (VpcKind::Workload, _) => {
                        let role = SG_ROLES[(k - 1) % SG_ROLES.len()];
                        let round = (k - 1) / SG_ROLES.len();
                        let name = if round == 0 {
                            role.to_owned()
                        } else {
                            format!("{role}-{}", round + 1)
                        };
                        let description = if self.rng.chance(0.5) {
                            "Managed by Terraform".to_owned()
                        } else {
                            format!("{role} security group")
                        };
                        (name, description)
                    }
                };
                let sg = SecurityGroup {
                    id: self.ids.next("sg"),
                    vpc: vi,
                    ar,
                    name,
                    description,
                    ingress: Vec::new(),
                    egress: Vec::new(),
                    is_default: k == 0,
                    budget: 0,
                };
                self.org.vpcs[vi].sgs.push(self.org.sgs.len());
                self.org.sgs.push(sg);
            }
        }
        let default_rules: usize = self
            .org
            .sgs
            .iter()
            .filter(|g| g.is_default)
            .map(|g| 2 + usize::from(self.org.vpcs[g.vpc].v6.is_some()))
            .sum();
        let others: Vec<usize> = (0..self.org.sgs.len())
            .filter(|g| !self.org.sgs[*g].is_default)
            .collect();
        let weights: Vec<f64> = others
            .iter()
            .map(|_| {
                let u = self.rng.unit();
                0.3 + 3.0 * u * u * u
            })
            .collect();
        let mins = vec![5; others.len()];
        let budgets = distribute(
            &mut self.rng,
            c.sg_rules.saturating_sub(default_rules),
            &weights,
            &mins,
            40,
        );
        for (g, b) in others.iter().zip(budgets) {
            self.org.sgs[*g].budget = b;
        }
        for vi in 0..self.org.vpcs.len() {
            let ctx = self.source_ctx(vi);
            for g in self.org.vpcs[vi].sgs.clone() {
                self.sg_rules(g, &ctx);
            }
        }
    }

    fn source_ctx(&mut self, vi: usize) -> SourceCtx {
        let v = &self.org.vpcs[vi];
        let region = v.ar % 2;
        let mut neighbours = Vec::new();
        for _ in 0..4 {
            let other = &self.org.vpcs[self.rng.below(self.org.vpcs.len())];
            if other.ar % 2 == region && other.kind != VpcKind::Default && other.cidr != v.cidr {
                neighbours.push(other.cidr);
            }
        }
        SourceCtx {
            acct: self.org.account(v.ar).to_owned(),
            vpc_cidr: v.cidr,
            v6: v.v6,
            subnets: v
                .subnets
                .iter()
                .map(|s| (self.org.subnets[*s].cidr, self.org.subnets[*s].v6))
                .collect(),
            sg_ids: v.sgs.iter().map(|g| self.org.sgs[*g].id.clone()).collect(),
            pls: self
                .org
                .prefix_lists
                .iter()
                .filter(|p| p.ar == v.ar)
                .map(|p| p.id.clone())
                .chain(std::iter::once(REGIONS[region].s3_pl.to_owned()))
                .collect(),
            neighbours,
        }
    }

    fn unique_cidr(&mut self) -> String {
        // 100.64.0.0/10 (shared address space): partners reached over VPN.
        self.unique_host = (self.unique_host + 1) % (1 << 22);
        format!(
            "{}/32",
            crate::addr::ip4(v4(100, 64, 0, 0) + self.unique_host)
        )
    }

    fn random_v4_source(&mut self, ctx: &SourceCtx) -> String {
        let r = self.rng.unit();
        let pick_subnet =
            |rng: &mut Rng| ctx.subnets.get(rng.below(ctx.subnets.len())).map(|s| s.0);
        if r < 0.2 {
            ctx.vpc_cidr.to_string()
        } else if r < 0.45 {
            pick_subnet(&mut self.rng)
                .unwrap_or(ctx.vpc_cidr)
                .to_string()
        } else if r < 0.6 {
            match pick_subnet(&mut self.rng) {
                Some(s) => {
                    let host = s.base
                        + 4
                        + self.rng.below((s.size() as usize).saturating_sub(5).max(1)) as u32;
                    format!("{}/32", crate::addr::ip4(host))
                }
                None => ctx.vpc_cidr.to_string(),
            }
        } else if r < 0.68 {
            "10.0.0.0/8".to_owned()
        } else if r < 0.71 {
            "172.16.0.0/12".to_owned()
        } else if r < 0.83 {
            match self.rng.pick(&ctx.neighbours) {
                Some(n) => n.to_string(),
                None => ctx.vpc_cidr.to_string(),
            }
        } else if r < 0.95 {
            match self.rng.below(3) {
                0 => "203.0.113.0/24".to_owned(),
                1 => "198.51.100.0/24".to_owned(),
                _ => self.random_public_24().to_string(),
            }
        } else {
            "0.0.0.0/0".to_owned()
        }
    }

    fn random_v6_source(&mut self, ctx: &SourceCtx) -> Option<String> {
        let block = ctx.v6?;
        let r = self.rng.unit();
        Some(if r < 0.4 {
            net6(block, 56)
        } else if r < 0.8 {
            let s = self
                .rng
                .pick(&ctx.subnets)
                .and_then(|s| s.1)
                .unwrap_or(block);
            net6(s, 64)
        } else if r < 0.9 {
            "::/0".to_owned()
        } else {
            "2001:db8::/32".to_owned()
        })
    }

    /// Adds exactly `k` distinct sources to `perm`.
    fn add_sources(&mut self, perm: &mut Perm, k: usize, ctx: &SourceCtx) {
        let mut added = 0;
        let mut tries = 0;
        while added < k {
            tries += 1;
            if tries > 24 {
                let cidr = self.unique_cidr();
                perm.v4.push((cidr, None));
                added += 1;
                continue;
            }
            let r = self.rng.unit();
            let pushed = if r < 0.55 {
                let cidr = self.random_v4_source(ctx);
                if perm.v4.iter().any(|(c, _)| *c == cidr) {
                    false
                } else {
                    let description = if self.rng.chance(0.25) {
                        self.rng.pick(&SG_DESCRIPTIONS).copied()
                    } else {
                        None
                    };
                    perm.v4.push((cidr, description));
                    true
                }
            } else if r < 0.8 {
                match self.rng.pick(&ctx.sg_ids) {
                    Some(g) if !perm.groups.iter().any(|(x, _)| x == g) => {
                        perm.groups.push((g.clone(), ctx.acct.clone()));
                        true
                    }
                    _ => false,
                }
            } else if r < 0.9 {
                match self.rng.pick(&ctx.pls) {
                    Some(p) if !perm.pls.contains(p) => {
                        perm.pls.push(p.clone());
                        true
                    }
                    _ => false,
                }
            } else {
                match self.random_v6_source(ctx) {
                    Some(c) if !perm.v6.contains(&c) => {
                        perm.v6.push(c);
                        true
                    }
                    _ => false,
                }
            };
            if pushed {
                added += 1;
            }
        }
    }

    fn pick_ports(
        &mut self,
        used: &mut Vec<(&'static str, i32, i32)>,
    ) -> (&'static str, Option<(i32, i32)>) {
        for _ in 0..12 {
            let (p, f, t) = SG_PORTS[self.rng.below(SG_PORTS.len())];
            if !used.contains(&(p, f, t)) {
                used.push((p, f, t));
                return (p, (p != "-1").then_some((f, t)));
            }
        }
        loop {
            let port = self.rng.range(10_000, 60_000) as i32;
            if !used.contains(&("tcp", port, port)) {
                used.push(("tcp", port, port));
                return ("tcp", Some((port, port)));
            }
        }
    }

    fn sg_rules(&mut self, g: usize, ctx: &SourceCtx) {
        let (is_default, budget, name, self_id) = {
            let sg = &self.org.sgs[g];
            (sg.is_default, sg.budget, sg.name.clone(), sg.id.clone())
        };
        if is_default {
            let ingress = Perm {
                proto: "-1",
                groups: vec![(self_id, ctx.acct.clone())],
                ..Perm::default()
            };
            let egress = Perm {
                proto: "-1",
                v4: vec![("0.0.0.0/0".to_owned(), None)],
                v6: ctx.v6.map(|_| "::/0".to_owned()).into_iter().collect(),
                ..Perm::default()
            };
            self.org.sgs[g].ingress.push(ingress);
            self.org.sgs[g].egress.push(egress);
            return;
        }
        let mut rem = budget;
        let mut ingress: Vec<Perm> = Vec::new();
        let mut egress: Vec<Perm> = Vec::new();
        let mut used_in: Vec<(&'static str, i32, i32)> = Vec::new();
        let mut used_out: Vec<(&'static str, i32, i32)> = Vec::new();
        let s3 = ctx.pls.last().cloned().unwrap_or_default();

        // Egress: mostly allow-all, sometimes restricted.
        let r = self.rng.unit();
        if r < 0.7 {
            let mut p = Perm {
                proto: "-1",
                v4: vec![("0.0.0.0/0".to_owned(), None)],
                ..Perm::default()
            };
            rem -= 1;
            if ctx.v6.is_some() && rem > 4 && self.rng.chance(0.7) {
                p.v6.push("::/0".to_owned());
                rem -= 1;
            }
            used_out.push(("-1", 0, 0));
            egress.push(p);
        } else if r < 0.85 {
            let mut p = Perm {
                proto: "tcp",
                ports: Some((443, 443)),
                v4: vec![("0.0.0.0/0".to_owned(), None)],
                ..Perm::default()
            };
            rem -= 1;
            if rem > 4 {
                p.pls.push(s3);
                rem -= 1;
            }
            used_out.push(("tcp", 443, 443));
            egress.push(p);
            if rem > 4 {
                egress.push(Perm {
                    proto: "-1",
                    v4: vec![(ctx.vpc_cidr.to_string(), None)],
                    ..Perm::default()
                });
                used_out.push(("-1", 0, 0));
                rem -= 1;
            }
        } else {
            let (proto, ports) = self.pick_ports(&mut used_out);
            let mut p = Perm {
                proto,
                ports,
                ..Perm::default()
            };
            let k = self.rng.range(1, 2).min(rem);
            self.add_sources(&mut p, k, ctx);
            rem -= k;
            egress.push(p);
        }

        // Ingress: a role-specific opening rule, then a random mix.
        let role = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let open = |proto: &'static str, port: i32| Perm {
            proto,
            ports: Some((port, port)),
            v4: vec![("0.0.0.0/0".to_owned(), None)],
            ..Perm::default()
        };
        let mut first: Option<Perm> = match role {
            "web-alb" => Some(open("tcp", 443)),
            "launch-wizard" => Some(open("tcp", 22)),
            "bastion" => Some(if self.rng.chance(0.5) {
                open("tcp", 22)
            } else {
                Perm {
                    proto: "tcp",
                    ports: Some((22, 22)),
                    pls: ctx.pls.first().cloned().into_iter().collect(),
                    ..Perm::default()
                }
            }),
            "ml-notebook" | "jupyterhub" if self.rng.chance(0.3) => Some(open("tcp", 8888)),
            "vpc-endpoints" | "shared-endpoints" => Some(Perm {
                proto: "tcp",
                ports: Some((443, 443)),
                v4: vec![(ctx.vpc_cidr.to_string(), None)],
                ..Perm::default()
            }),
            _ => {
                let r = self.rng.unit();
                if r < 0.06 {
                    Some(open("tcp", 22))
                } else if r < 0.1 {
                    Some(open("tcp", 8888))
                } else if r < 0.18 {
                    Some(open("tcp", 443))
                } else {
                    None
                }
            }
        };
        if let Some(p) = first.as_mut() {
            if role == "web-alb" && ctx.v6.is_some() && rem > 1 {
                p.v6.push("::/0".to_owned());
            }
        }
        if let Some(p) = first {
            let n = p.sources();
            if n > 0 && n <= rem {
                let (f, t) = p.ports.unwrap_or((0, 0));
                used_in.push((p.proto, f, t));
                rem -= n;
                ingress.push(p);
            }
        }
        while rem > 0 {
            let (proto, ports) = self.pick_ports(&mut used_in);
            let mut p = Perm {
                proto,
                ports,
                ..Perm::default()
            };
            let k = self.rng.range(1, 4).min(rem);
            self.add_sources(&mut p, k, ctx);
            rem -= k;
            ingress.push(p);
        }
        self.org.sgs[g].ingress = ingress;
        self.org.sgs[g].egress = egress;
    }

    fn endpoint_group(&self, vpc: usize) -> usize {
        let sgs = &self.org.vpcs[vpc].sgs;
        sgs.iter()
            .copied()
            .find(|g| {
                let n = &self.org.sgs[*g].name;
                n == "vpc-endpoints" || n == "shared-endpoints"
            })
            .or_else(|| sgs.get(1).copied())
            .or_else(|| sgs.first().copied())
            .unwrap_or(0)
    }

    fn interface_endpoints(&mut self) -> Result<(), SynthError> {
        for vi in 0..self.org.vpcs.len() {
            let services = self.org.vpcs[vi].interface_services.clone();
            if services.is_empty() {
                continue;
            }
            let ar = self.org.vpcs[vi].ar;
            let subnets = self.one_per_az(vi);
            let group = self.endpoint_group(vi);
            for s in services {
                let idx = self.org.endpoints.len();
                let mut enis = Vec::new();
                for subnet in &subnets {
                    enis.push(self.add_eni(
                        *subnet,
                        EniKind::Endpoint(idx),
                        vec![group],
                        false,
                        0,
                        false,
                    )?);
                }
                let e = Endpoint {
                    id: self.ids.next("vpce"),
                    ar,
                    vpc: vi,
                    service: format!(
                        "com.amazonaws.{}.{}",
                        REGIONS[ar % 2].name,
                        INTERFACE_SERVICES[s]
                    ),
                    kind: EndpointKind::Interface,
                    route_tables: Vec::new(),
                    subnets: subnets.clone(),
                    enis,
                    groups: vec![group],
                    private_dns: self.rng.chance(0.85),
                    created: self.when(),
                };
                self.org.endpoints.push(e);
            }
        }
        Ok(())
    }

    // ----- transit gateways ------------------------------------------------

    fn transit_gateways(&mut self, c: &Counts) {
        let n = c.tgws;
        for j in 0..n {
            let region = j % 2;
            let rts = c.tgw_rts / n + usize::from(j < c.tgw_rts % n);
            let tgw = Tgw {
                id: self.ids.next("tgw"),
                ar: region,
                asn: 64_512 + j as u32,
                rts: Vec::new(),
                name: format!("tgw-{}-{}", REGIONS[region].name, j / 2 + 1),
                created: self.when(),
            };
            self.org.tgws.push(tgw);
            for i in 0..rts {
                let quarantine = rts >= 4 && i == rts - 1;
                let name = if quarantine {
                    "quarantine".to_owned()
                } else if i < TGW_RT_NAMES.len() {
                    TGW_RT_NAMES[i].to_owned()
                } else {
                    format!(
                        "{}-{}",
                        TGW_RT_NAMES[i % TGW_RT_NAMES.len()],
                        i / TGW_RT_NAMES.len() + 1
                    )
                };
                let rt = TgwRt {
                    id: self.ids.next("tgw-rtb"),
                    tgw: j,
                    ar: region,
                    name,
                    routes: Vec::new(),
                    assocs: Vec::new(),
                    props: Vec::new(),
                    quarantine,
                    created: self.when(),
                };
                self.org.tgws[j].rts.push(self.org.tgw_rts.len());
                self.org.tgw_rts.push(rt);
            }
        }
        for vi in 0..self.org.vpcs.len() {
            let Some(j) = self.org.vpcs[vi].tgw else {
                continue;
            };
            let rts = self.org.tgws[j].rts.clone();
            let has_q = rts.last().is_some_and(|r| self.org.tgw_rts[*r].quarantine);
            let eligible: Vec<usize> = (1..rts.len() - usize::from(has_q)).collect();
            let (kind, env, team) = {
                let v = &self.org.vpcs[vi];
                (v.kind, v.env, v.team)
            };
            let own = if kind == VpcKind::Hub {
                0
            } else if has_q && self.rng.chance(0.03) {
                rts.len() - 1
            } else if eligible.is_empty() {
                0
            } else {
                eligible[(env * 3 + team) % eligible.len()]
            };
            let a = self.org.attachments.len();
            let att = TgwAttachment {
                id: self.ids.next("tgw-attach"),
                tgw: j,
                vpc: vi,
                subnets: self.one_per_az(vi),
                rt: rts[own],
                ipv6: self.org.vpcs[vi].v6.is_some() && self.rng.chance(0.8),
                created: self.when(),
            };
            self.org.attachments.push(att);
            self.org.vpcs[vi].attachment = Some(a);
            self.org.tgw_rts[rts[own]].assocs.push(a);
            for (i, rt) in rts.iter().enumerate() {
                if self.org.tgw_rts[*rt].quarantine {
                    continue;
                }
                let propagate = kind == VpcKind::Hub
                    || i == 0
                    || (i == own && self.rng.chance(0.8))
                    || self.rng.chance(0.1);
                if propagate {
                    self.org.tgw_rts[*rt].props.push(a);
                }
            }
        }
    }

    fn tgw_routes(&mut self) {
        for r in 0..self.org.tgw_rts.len() {
            let tgw = self.org.tgw_rts[r].tgw;
            let mut routes = Vec::new();
            if self.org.tgw_rts[r].quarantine {
                for dest in ["0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12"] {
                    routes.push(TgwRoute {
                        dest: dest.to_owned(),
                        attachment: None,
                        propagated: false,
                    });
                }
                self.org.tgw_rts[r].routes = routes;
                continue;
            }
            let hub = self
                .org
                .attachments
                .iter()
                .position(|a| a.tgw == tgw && self.org.vpcs[a.vpc].kind == VpcKind::Hub);
            let props = self.org.tgw_rts[r].props.clone();
            for a in &props {
                let v = &self.org.vpcs[self.org.attachments[*a].vpc];
                routes.push(TgwRoute {
                    dest: v.cidr.to_string(),
                    attachment: Some(*a),
                    propagated: true,
                });
                if let (true, Some(block)) = (self.org.attachments[*a].ipv6, v.v6) {
                    routes.push(TgwRoute {
                        dest: net6(block, 56),
                        attachment: Some(*a),
                        propagated: true,
                    });
                }
            }
            let first = self.org.tgws[tgw].rts.first() == Some(&r);
            if let (false, Some(h)) = (first, hub) {
                routes.push(TgwRoute {
                    dest: "0.0.0.0/0".to_owned(),
                    attachment: Some(h),
                    propagated: false,
                });
            }
            if self.rng.chance(0.3) {
                routes.push(TgwRoute {
                    dest: "10.255.0.0/16".to_owned(),
                    attachment: None,
                    propagated: false,
                });
            }
            if self.rng.chance(0.2) {
                routes.push(TgwRoute {
                    dest: "192.168.0.0/16".to_owned(),
                    attachment: None,
                    propagated: false,
                });
            }
            if let (true, Some(h)) = (self.rng.chance(0.15), hub) {
                let spokes: Vec<usize> = props
                    .iter()
                    .copied()
                    .filter(|a| {
                        *a != h && self.org.vpcs[self.org.attachments[*a].vpc].cidr.len <= 23
                    })
                    .collect();
                if let Some(a) = self.rng.pick(&spokes) {
                    let cidr = self.org.vpcs[self.org.attachments[*a].vpc].cidr;
                    routes.push(TgwRoute {
                        dest: Net4::new(cidr.base, 24).to_string(),
                        attachment: Some(h),
                        propagated: false,
                    });
                }
            }
            self.org.tgw_rts[r].routes = routes;
        }
    }

    // ----- route tables ----------------------------------------------------

    fn new_rt(&mut self, vpc: usize, name: Option<String>) -> usize {
        let (ar, cidr, v6) = {
            let v = &self.org.vpcs[vpc];
            (v.ar, v.cidr, v.v6)
        };
        let mut routes = vec![Route {
            dest: Dest::V4(cidr),
            target: Target::Local,
            blackhole: false,
            origin: "CreateRouteTable",
        }];
        if let Some(block) = v6 {
            routes.push(Route {
                dest: Dest::V6(net6(block, 56)),
                target: Target::Local,
                blackhole: false,
                origin: "CreateRouteTable",
            });
        }
        let rt = RouteTable {
            id: self.ids.next("rtb"),
            vpc,
            ar,
            main: false,
            main_assoc: self.ids.next("rtbassoc"),
            assocs: Vec::new(),
            routes,
            name,
        };
        self.org.route_tables.push(rt);
        self.org.route_tables.len() - 1
    }

    fn add_route(&mut self, rt: usize, dest: Dest, target: Target) {
        self.org.route_tables[rt].routes.push(Route {
            dest,
            target,
            blackhole: false,
            origin: "CreateRoute",
        });
    }

    fn associate(&mut self, rt: usize, subnet: usize) {
        let id = self.ids.next("rtbassoc");
        self.org.route_tables[rt].assocs.push((subnet, id));
    }

    fn route_tables(&mut self) {
        for vi in 0..self.org.vpcs.len() {
            let (kind, name, v6, azs, nat_mode, region) = {
                let v = &self.org.vpcs[vi];
                (
                    v.kind,
                    v.name.clone(),
                    v.v6,
                    v.azs.clone(),
                    v.nat_mode,
                    v.ar % 2,
                )
            };
            let igw = self.org.vpcs[vi].igw.map(|i| self.org.igws[i].id.clone());
            let eigw = self.org.vpcs[vi].eigw.map(|i| self.org.eigws[i].id.clone());
            let tgw = self.org.vpcs[vi]
                .attachment
                .map(|a| self.org.tgws[self.org.attachments[a].tgw].id.clone());
            let nats: Vec<(usize, String)> = self.org.vpcs[vi]
                .nats
                .iter()
                .map(|n| {
                    let nat = &self.org.nats[*n];
                    (self.org.subnets[nat.subnet].az, nat.id.clone())
                })
                .collect();
            let any = Net4::new(0, 0);
            if kind == VpcKind::Default {
                let rt = self.new_rt(vi, None);
                self.org.route_tables[rt].main = true;
                if let Some(igw) = igw {
                    self.add_route(rt, Dest::V4(any), Target::Gateway(igw));
                }
                self.org.vpcs[vi].main_rt = Some(rt);
                continue;
            }
            let publics = self.subnets_of(vi, Tier::Public);
            if let (false, Some(igw)) = (publics.is_empty(), igw.clone()) {
                let rt = self.new_rt(vi, Some(format!("{name}-public")));
                self.add_route(rt, Dest::V4(any), Target::Gateway(igw.clone()));
                if v6.is_some() {
                    self.add_route(rt, Dest::V6("::/0".to_owned()), Target::Gateway(igw));
                }
                if let Some(t) = &tgw {
                    if kind == VpcKind::Hub || self.rng.chance(0.4) {
                        self.add_route(
                            rt,
                            Dest::V4(Net4::new(v4(10, 0, 0, 0), 8)),
                            Target::Tgw(t.clone()),
                        );
                    }
                    if kind == VpcKind::Hub {
                        self.add_route(
                            rt,
                            Dest::V4(Net4::new(v4(172, 16, 0, 0), 12)),
                            Target::Tgw(t.clone()),
                        );
                    }
                }
                for s in publics {
                    self.associate(rt, s);
                }
                self.org.vpcs[vi].public_rt = Some(rt);
            }
            let privates = self.subnets_of(vi, Tier::Private);
            let main_is_private =
                kind == VpcKind::Workload && !privates.is_empty() && self.rng.chance(0.2);
            for az in &azs {
                let in_az: Vec<usize> = privates
                    .iter()
                    .copied()
                    .filter(|s| self.org.subnets[*s].az == *az)
                    .collect();
                if in_az.is_empty() {
                    continue;
                }
                let letter = REGIONS[region].azs[*az].chars().last().unwrap_or('a');
                let rt = self.new_rt(vi, Some(format!("{name}-private-{letter}")));
                let nat = match nat_mode {
                    NatMode::PerAz => nats
                        .iter()
                        .find(|(a, _)| a == az)
                        .or_else(|| nats.first())
                        .map(|n| n.1.clone()),
                    NatMode::Single => nats.first().map(|n| n.1.clone()),
                    NatMode::None => None,
                };
                match (nat, &tgw) {
                    (Some(n), _) => self.add_route(rt, Dest::V4(any), Target::Nat(n)),
                    (None, Some(t)) => self.add_route(rt, Dest::V4(any), Target::Tgw(t.clone())),
                    (None, None) => {}
                }
                if let (Some(t), false) = (&tgw, kind == VpcKind::Hub) {
                    self.add_route(
                        rt,
                        Dest::V4(Net4::new(v4(10, 0, 0, 0), 8)),
                        Target::Tgw(t.clone()),
                    );
                    self.add_route(
                        rt,
                        Dest::V4(Net4::new(v4(172, 16, 0, 0), 12)),
                        Target::Tgw(t.clone()),
                    );
                }
                if let Some(e) = &eigw {
                    self.add_route(rt, Dest::V6("::/0".to_owned()), Target::Eigw(e.clone()));
                }
                let first = self.org.vpcs[vi].private_rts.is_empty();
                for s in in_az {
                    if !(main_is_private && first && self.rng.chance(0.5)) {
                        self.associate(rt, s);
                    }
                }
                self.org.vpcs[vi].private_rts.push(rt);
            }
            let isolated = self.subnets_of(vi, Tier::Isolated);
            let explicit: Vec<usize> = isolated
                .into_iter()
                .filter(|_| main_is_private || self.rng.chance(0.5))
                .collect();
            let mut inner_rts = Vec::new();
            if !explicit.is_empty() {
                let rt = self.new_rt(vi, Some(format!("{name}-isolated")));
                for s in explicit {
                    self.associate(rt, s);
                }
                inner_rts.push(rt);
            }
            let main = match (main_is_private, self.org.vpcs[vi].private_rts.first()) {
                (true, Some(rt)) => *rt,
                _ => {
                    let rt = self.new_rt(vi, None);
                    inner_rts.push(rt);
                    rt
                }
            };
            self.org.route_tables[main].main = true;
            self.org.vpcs[vi].main_rt = Some(main);
            inner_rts.extend(self.org.vpcs[vi].private_rts.iter().copied());
            inner_rts.sort_unstable();
            inner_rts.dedup();
            let (s3, ddb) = (
                self.org.vpcs[vi].s3_endpoint,
                self.org.vpcs[vi].ddb_endpoint,
            );
            for (wanted, service, pl) in [
                (s3, "s3", REGIONS[region].s3_pl),
                (ddb, "dynamodb", REGIONS[region].ddb_pl),
            ] {
                if !wanted {
                    continue;
                }
                let id = self.ids.next("vpce");
                for rt in &inner_rts {
                    self.add_route(
                        *rt,
                        Dest::PrefixList(pl.to_owned()),
                        Target::Gateway(id.clone()),
                    );
                }
                let e = Endpoint {
                    id,
                    ar: self.org.vpcs[vi].ar,
                    vpc: vi,
                    service: format!("com.amazonaws.{}.{service}", REGIONS[region].name),
                    kind: EndpointKind::Gateway,
                    route_tables: inner_rts.clone(),
                    subnets: Vec::new(),
                    enis: Vec::new(),
                    groups: Vec::new(),
                    private_dns: false,
                    created: self.when(),
                };
                self.org.endpoints.push(e);
            }
            // A NAT gateway deleted under a live route: the route turns blackhole.
            let private_rts = self.org.vpcs[vi].private_rts.clone();
            if kind == VpcKind::Workload && !private_rts.is_empty() && self.rng.chance(0.04) {
                let subnet = self
                    .subnets_of(vi, Tier::Public)
                    .first()
                    .copied()
                    .or_else(|| self.org.vpcs[vi].subnets.first().copied());
                if let Some(subnet) = subnet {
                    let nat = Nat {
                        id: self.ids.next("nat"),
                        ar: self.org.vpcs[vi].ar,
                        vpc: vi,
                        subnet,
                        eni: None,
                        eip: None,
                        deleted: true,
                        created: self.when(),
                    };
                    let nat_id = nat.id.clone();
                    self.org.nats.push(nat);
                    let rt = private_rts[self.rng.below(private_rts.len())];
                    let routes = &mut self.org.route_tables[rt].routes;
                    let default = routes
                        .iter_mut()
                        .find(|r| matches!(r.dest, Dest::V4(n) if n.len == 0));
                    match default {
                        Some(r) => {
                            r.target = Target::Nat(nat_id);
                            r.blackhole = true;
                        }
                        None => routes.push(Route {
                            dest: Dest::V4(any),
                            target: Target::Nat(nat_id),
                            blackhole: true,
                            origin: "CreateRoute",
                        }),
                    }
                }
            }
        }
    }

    fn peerings(&mut self, c: &Counts) {
        let work = self.workload_vpcs();
        if work.len() < 2 {
            return;
        }
        let mut pairs = BTreeSet::new();
        for _ in 0..c.peerings {
            for _ in 0..20 {
                let a = work[self.rng.below(work.len())];
                let b = work[self.rng.below(work.len())];
                if a == b || pairs.contains(&(a.min(b), a.max(b))) {
                    continue;
                }
                pairs.insert((a.min(b), a.max(b)));
                let id = self.ids.next("pcx");
                for (x, y) in [(a, b), (b, a)] {
                    let mut rts = self.org.vpcs[x].private_rts.clone();
                    if rts.is_empty() {
                        rts.extend(self.org.vpcs[x].main_rt);
                    }
                    let dest = self.org.vpcs[y].cidr;
                    for rt in rts {
                        self.add_route(rt, Dest::V4(dest), Target::Pcx(id.clone()));
                    }
                }
                self.org.peerings.push(Peering {
                    id,
                    requester: a,
                    accepter: b,
                });
                break;
            }
        }
    }

    // ----- network ACLs ----------------------------------------------------

    fn nacl_entry(
        rule: u32,
        egress: bool,
        protocol: &'static str,
        allow: bool,
        cidr: AnyCidr,
        ports: Option<(u16, u16)>,
    ) -> NaclEntry {
        NaclEntry {
            rule,
            egress,
            protocol,
            allow,
            cidr,
            ports,
            icmp: None,
        }
    }

    fn terminal_entries(entries: &mut Vec<NaclEntry>, v6: bool) {
        for egress in [true, false] {
            entries.push(Self::nacl_entry(
                32767,
                egress,
                "-1",
                false,
                AnyCidr::V4(Net4::new(0, 0)),
                None,
            ));
            if v6 {
                entries.push(Self::nacl_entry(
                    32768,
                    egress,
                    "-1",
                    false,
                    AnyCidr::V6("::/0".to_owned()),
                    None,
                ));
            }
        }
    }

    fn default_entries(v6: bool) -> Vec<NaclEntry> {
        let mut entries = Vec::new();
        for egress in [true, false] {
            entries.push(Self::nacl_entry(
                100,
                egress,
                "-1",
                true,
                AnyCidr::V4(Net4::new(0, 0)),
                None,
            ));
            if v6 {
                entries.push(Self::nacl_entry(
                    101,
                    egress,
                    "-1",
                    true,
                    AnyCidr::V6("::/0".to_owned()),
                    None,
                ));
            }
        }
        Self::terminal_entries(&mut entries, v6);
        entries
    }

    fn custom_entries(&mut self, vpc_cidr: Net4, v6: Option<u128>) -> Vec<NaclEntry> {
        let n = self.rng.range(5, 30);
        let n_in = (n * 3 / 5).max(1);
        let mut entries = Vec::new();
        for (egress, count) in [(true, n - n_in), (false, n_in)] {
            let mut rule = 100u32;
            for i in 0..count {
                if i > 0 {
                    rule += 10 * self.rng.range(1, 3) as u32;
                }
                let choice = self.rng.below(if v6.is_some() { 12 } else { 10 });
                let ten = AnyCidr::V4(Net4::new(v4(10, 0, 0, 0), 8));
                let e = match choice {
                    0 => Self::nacl_entry(rule, egress, "-1", true, AnyCidr::V4(vpc_cidr), None),
                    1 => Self::nacl_entry(rule, egress, "6", true, any_v4(), Some((443, 443))),
                    2 => Self::nacl_entry(rule, egress, "6", false, any_v4(), Some((22, 22))),
                    3 => Self::nacl_entry(rule, egress, "6", true, any_v4(), Some((1024, 65535))),
                    4 => {
                        let bad = self.random_public_24();
                        Self::nacl_entry(
                            rule,
                            egress,
                            "-1",
                            false,
                            AnyCidr::V4(Net4::new(bad.base & 0xffff_0000, 16)),
                            None,
                        )
                    }
                    5 => {
                        let port = [3306u16, 5432, 6379, 8080, 8888, 9090][self.rng.below(6)];
                        Self::nacl_entry(rule, egress, "6", true, ten, Some((port, port)))
                    }
                    6 => Self::nacl_entry(
                        rule,
                        egress,
                        "17",
                        true,
                        AnyCidr::V4(vpc_cidr),
                        Some((53, 53)),
                    ),
                    7 => NaclEntry {
                        icmp: Some((-1, -1)),
                        ..Self::nacl_entry(rule, egress, "1", true, ten, None)
                    },
                    8 => Self::nacl_entry(rule, egress, "6", false, any_v4(), Some((3389, 3389))),
                    9 => Self::nacl_entry(
                        rule,
                        egress,
                        "6",
                        true,
                        AnyCidr::V4(Net4::new(v4(203, 0, 113, 0), 24)),
                        Some((22, 22)),
                    ),
                    10 => Self::nacl_entry(
                        rule,
                        egress,
                        "6",
                        true,
                        AnyCidr::V6("::/0".to_owned()),
                        Some((443, 443)),
                    ),
                    _ => Self::nacl_entry(
                        rule,
                        egress,
                        "-1",
                        true,
                        AnyCidr::V6(net6(v6.unwrap_or(0), 56)),
                        None,
                    ),
                };
                entries.push(e);
            }
        }
        Self::terminal_entries(&mut entries, v6.is_some());
        entries
    }

    fn nacls(&mut self) {
        for vi in 0..self.org.vpcs.len() {
            let (ar, kind, cidr, v6, subnets, name) = {
                let v = &self.org.vpcs[vi];
                (
                    v.ar,
                    v.kind,
                    v.cidr,
                    v.v6,
                    v.subnets.clone(),
                    v.name.clone(),
                )
            };
            let default = self.org.nacls.len();
            let nacl = Nacl {
                id: self.ids.next("acl"),
                vpc: vi,
                ar,
                is_default: true,
                assocs: Vec::new(),
                entries: Self::default_entries(v6.is_some()),
                name: None,
            };
            self.org.nacls.push(nacl);
            let mut owner = vec![default; subnets.len()];
            if kind == VpcKind::Workload {
                for (label, p) in [("restricted", 0.4), ("public-edge", 0.3)] {
                    if !self.rng.chance(p) {
                        continue;
                    }
                    let members: Vec<usize> = (0..subnets.len())
                        .filter(|k| {
                            let tier = self.org.subnets[subnets[*k]].tier;
                            match label {
                                "restricted" => {
                                    tier == Tier::Isolated
                                        || (tier == Tier::Private && self.rng.chance(0.5))
                                }
                                _ => tier == Tier::Public,
                            }
                        })
                        .collect();
                    if members.is_empty() {
                        continue;
                    }
                    let idx = self.org.nacls.len();
                    let entries = self.custom_entries(cidr, v6);
                    let nacl = Nacl {
                        id: self.ids.next("acl"),
                        vpc: vi,
                        ar,
                        is_default: false,
                        assocs: Vec::new(),
                        entries,
                        name: Some(format!("{name}-{label}")),
                    };
                    self.org.nacls.push(nacl);
                    for k in members {
                        owner[k] = idx;
                    }
                }
            }
            for (k, n) in owner.into_iter().enumerate() {
                let id = self.ids.next("aclassoc");
                self.org.nacls[n].assocs.push((subnets[k], id));
            }
        }
    }

    // ----- workloads -------------------------------------------------------

    fn groups_for_fleet(&mut self, vpc: usize) -> Vec<usize> {
        let sgs = self.org.vpcs[vpc].sgs.clone();
        let mut non_default: Vec<usize> = sgs.iter().copied().skip(1).collect();
        if non_default.is_empty() || self.rng.chance(0.04) {
            return sgs.first().copied().into_iter().collect();
        }
        self.rng.shuffle(&mut non_default);
        non_default.truncate(self.rng.range(1, 3));
        non_default.sort_unstable();
        non_default
    }

    fn pick_subnet_with(&mut self, vpc: usize, tiers: &[Tier], need: u32) -> Option<usize> {
        let subnets = self.org.vpcs[vpc].subnets.clone();
        for tier in tiers {
            let cands: Vec<usize> = subnets
                .iter()
                .copied()
                .filter(|s| {
                    self.org.subnets[*s].tier == *tier && self.org.subnets[*s].free() >= need
                })
                .collect();
            if let Some(s) = self.rng.pick(&cands) {
                return Some(*s);
            }
        }
        subnets
            .iter()
            .copied()
            .filter(|s| self.org.subnets[*s].free() >= need)
            .max_by_key(|s| self.org.subnets[*s].free())
    }

    fn sagemaker(&mut self) -> Result<(), SynthError> {
        let plans = std::mem::take(&mut self.notebook_plan);
        let nb_types = [
            "ml.t3.medium",
            "ml.t3.xlarge",
            "ml.m5.xlarge",
            "ml.g4dn.xlarge",
            "ml.g5.2xlarge",
        ];
        for (i, plan) in plans.iter().enumerate() {
            let team = plan.vpc.map_or(0, |v| self.org.vpcs[v].team);
            let name = format!("{}-notebook-{}", TEAMS[team], i + 1);
            let mut nb = Notebook {
                name: name.clone(),
                ar: plan.ar,
                subnet: None,
                groups: Vec::new(),
                eni: None,
                direct_internet: true,
                itype: nb_types[self.rng.below(nb_types.len())],
                created: self.when(),
            };
            if let Some(v) = plan.vpc {
                let subnet = self
                    .pick_subnet_with(v, &[Tier::Private, Tier::Isolated, Tier::Public], 1)
                    .ok_or_else(|| space_error("no room for a notebook interface"))?;
                let groups = match self.org.vpcs[v]
                    .sgs
                    .iter()
                    .copied()
                    .find(|g| self.org.sgs[*g].name == "ml-notebook")
                {
                    Some(g) => vec![g],
                    None => self.groups_for_fleet(v),
                };
                let eni = self.add_eni(
                    subnet,
                    EniKind::Notebook(name),
                    groups.clone(),
                    false,
                    0,
                    false,
                )?;
                nb.subnet = Some(subnet);
                nb.groups = groups;
                nb.eni = Some(eni);
                nb.direct_internet = self.rng.chance(0.4);
            }
            self.org.notebooks.push(nb);
        }
        let plans = std::mem::take(&mut self.training_plan);
        let tj_types = [
            "ml.p4d.24xlarge",
            "ml.g5.12xlarge",
            "ml.trn1.32xlarge",
            "ml.m5.4xlarge",
            "ml.p3.16xlarge",
        ];
        for (i, plan) in plans.iter().enumerate() {
            let team = plan.vpc.map_or(0, |v| self.org.vpcs[v].team);
            let created = self.when();
            let (y, m, d) = crate::emit::civil(created);
            let mut job = TrainingJob {
                name: format!("{}-train-{y:04}{m:02}{d:02}-{}", TEAMS[team], i + 1),
                ar: plan.ar,
                subnets: Vec::new(),
                groups: Vec::new(),
                isolation: self.rng.chance(0.4),
                encryption: self.rng.chance(0.3),
                itype: tj_types[self.rng.below(tj_types.len())],
                count: self.rng.range(1, 4) as u32,
                status: [
                    "Completed",
                    "Completed",
                    "Completed",
                    "InProgress",
                    "Failed",
                    "Stopped",
                ][self.rng.below(6)],
                created,
            };
            if let Some(v) = plan.vpc {
                let mut subnets = self.subnets_of(v, Tier::Private);
                if subnets.is_empty() {
                    subnets = self.org.vpcs[v].subnets.clone();
                }
                self.rng.shuffle(&mut subnets);
                subnets.truncate(self.rng.range(1, 2));
                job.subnets = subnets;
                job.groups = self.groups_for_fleet(v);
            }
            self.org.training_jobs.push(job);
        }
        Ok(())
    }

    fn fleets(&mut self) -> Result<(), SynthError> {
        let mut leftover = 0usize;
        for vi in 0..self.org.vpcs.len() {
            let budget = self.org.vpcs[vi].fleet_budget;
            leftover += self.place_fleets(vi, budget)?;
        }
        if leftover > 0 {
            for vi in self.workload_vpcs() {
                leftover = self.place_fleets(vi, leftover)?;
                if leftover == 0 {
                    break;
                }
            }
        }
        if leftover > 0 {
            return Err(space_error(format!(
                "{leftover} network interfaces found no free address"
            )));
        }
        Ok(())
    }

    /// Places up to `budget` fleet interfaces in the VPC; returns how many did not fit.
    fn place_fleets(&mut self, vi: usize, budget: usize) -> Result<usize, SynthError> {
        let mut remaining = budget;
        let (team, env, kind, vname) = {
            let v = &self.org.vpcs[vi];
            (v.team, v.env, v.kind, v.name.clone())
        };
        let mut fleet_no = 0;
        while remaining > 0 {
            fleet_no += 1;
            let r = self.rng.unit();
            let size = if r < 0.4 {
                self.rng.range(1, 3)
            } else if r < 0.75 {
                self.rng.range(4, 20)
            } else if r < 0.95 {
                self.rng.range(20, 100)
            } else {
                self.rng.range(100, 400)
            };
            let r = self.rng.unit();
            let fleet_kind = if kind == VpcKind::Default || r < 0.8 {
                0 // instances
            } else if r < 0.87 {
                1 // load balancer
            } else if r < 0.95 {
                2 // lambda
            } else {
                3 // detached
            };
            let size = match fleet_kind {
                1 => self.rng.range(2, 3),
                3 => self.rng.range(1, 2),
                _ => size,
            }
            .min(remaining);
            let r = self.rng.unit();
            let tiers: &[Tier] = match fleet_kind {
                0 if r < 0.17 => &[Tier::Public, Tier::Private],
                0 if r < 0.84 => &[Tier::Private, Tier::Isolated],
                0 => &[Tier::Isolated, Tier::Private],
                1 if r < 0.7 => &[Tier::Public, Tier::Private],
                1 => &[Tier::Private],
                _ => &[Tier::Private, Tier::Isolated],
            };
            let groups = self.groups_for_fleet(vi);
            let gpu = self.rng.chance(if team < ML_TEAMS { 0.3 } else { 0.05 });
            let itype = if gpu {
                GPU_TYPES[self.rng.below(GPU_TYPES.len())]
            } else {
                CPU_TYPES[self.rng.below(CPU_TYPES.len())]
            };
            let per_instance = if itype == "p4d.24xlarge" {
                4
            } else if self.rng.chance(0.08) {
                2
            } else {
                1
            };
            let secondaries = if self.rng.chance(0.1) {
                self.rng.range(3, 8)
            } else if self.rng.chance(0.1) {
                self.rng.range(1, 2)
            } else {
                0
            };
            let ml_tag = self.rng.chance(if gpu { 0.7 } else { 0.05 });
            let want_public = self.rng.chance(if fleet_kind == 1 { 0.6 } else { 0.8 });
            let with_v6 = self.rng.chance(0.5);
            let imdsv2 = self.rng.chance(0.7);
            let profile = self
                .rng
                .chance(0.8)
                .then(|| format!("{}-{}-instance-profile", TEAMS[team], ENVS[env]));
            let role = if gpu {
                "gpu"
            } else {
                ["api", "worker", "etl", "svc", "node"][self.rng.below(5)]
            };
            let fleet_name = format!("{}-{role}-{fleet_no}", TEAMS[team]);
            let image = self.ids.next("ami");
            let launch = self.when();
            let mut chosen: Vec<usize> = Vec::new();
            for _ in 0..self.rng.range(1, 3) {
                if let Some(s) = self.pick_subnet_with(vi, tiers, 1 + secondaries as u32) {
                    if !chosen.contains(&s) {
                        chosen.push(s);
                    }
                }
            }
            if chosen.is_empty() {
                return Ok(remaining);
            }
            let mut placed = 0;
            let mut turn = 0;
            let mut reservation: Vec<usize> = Vec::new();
            let mut res_size = self.rng.range(1, 5);
            while placed < size {
                let need = 1 + secondaries as u32;
                let mut subnet = None;
                for k in 0..chosen.len() {
                    let s = chosen[(turn + k) % chosen.len()];
                    if self.org.subnets[s].free() >= need {
                        subnet = Some(s);
                        break;
                    }
                }
                turn += 1;
                let subnet = match subnet {
                    Some(s) => s,
                    None => match self.pick_subnet_with(vi, tiers, need) {
                        Some(s) => {
                            chosen.push(s);
                            s
                        }
                        None => break,
                    },
                };
                let public = want_public && self.org.subnets[subnet].tier == Tier::Public;
                if fleet_kind == 0 {
                    let free = (self.org.subnets[subnet].free() / need) as usize;
                    let n = per_instance.min(size - placed).min(free).max(1);
                    let inst = self.org.instances.len();
                    let mut tags = vec![
                        ("Name".to_owned(), fleet_name.clone()),
                        ("team".to_owned(), TEAMS[team].to_owned()),
                        ("env".to_owned(), ENVS[env].to_owned()),
                    ];
                    if ml_tag {
                        tags.push(("ml-workload".to_owned(), "true".to_owned()));
                    }
                    let instance = Instance {
                        id: self.ids.next("i"),
                        ar: self.org.subnets[subnet].ar,
                        subnet,
                        itype,
                        enis: Vec::new(),
                        tags,
                        launch,
                        image: image.clone(),
                        profile: profile.clone(),
                        imdsv2,
                    };
                    self.org.instances.push(instance);
                    for d in 0..n {
                        let eni = self.add_eni(
                            subnet,
                            EniKind::Instance {
                                instance: inst,
                                device: d as u32,
                                efa: itype == "p4d.24xlarge" && d > 0,
                            },
                            groups.clone(),
                            public && d == 0,
                            secondaries,
                            with_v6,
                        )?;
                        self.org.instances[inst].enis.push(eni);
                    }
                    placed += n;
                    reservation.push(inst);
                    if reservation.len() >= res_size {
                        self.push_reservation(std::mem::take(&mut reservation));
                        res_size = self.rng.range(1, 5);
                    }
                } else {
                    let kind = match fleet_kind {
                        1 => EniKind::Elb(format!(
                            "app/{}-{}/{:016x}",
                            vname,
                            fleet_no,
                            self.ids.raw()
                        )),
                        2 => EniKind::Lambda(format!("{}-fn-{fleet_no}", TEAMS[team])),
                        _ => EniKind::Detached,
                    };
                    let public = public && fleet_kind == 1;
                    self.add_eni(subnet, kind, groups.clone(), public, 0, with_v6)?;
                    placed += 1;
                }
            }
            if !reservation.is_empty() {
                self.push_reservation(reservation);
            }
            remaining -= placed;
            if placed == 0 {
                return Ok(remaining);
            }
        }
        Ok(0)
    }

    fn push_reservation(&mut self, instances: Vec<usize>) {
        let ar = instances.first().map_or(0, |i| self.org.instances[*i].ar);
        let r = Reservation {
            id: self.ids.next("r"),
            ar,
            instances,
        };
        self.org.reservations.push(r);
    }
}

fn any_v4() -> AnyCidr {
    AnyCidr::V4(Net4::new(0, 0))
}
