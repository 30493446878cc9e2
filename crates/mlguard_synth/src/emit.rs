//! Writes the organisation as AWS CLI `--output json` responses in the
//! mlguard snapshot layout.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::json::{obj, write as write_json, J};

use crate::addr::{dashed, ip4, ip6, net6};
use crate::model::{
    AnyCidr, Dest, EndpointKind, Eni, EniKind, Nacl, Org, Perm, RouteTable, SecurityGroup, Target,
    TgwAttachment, Tier, VpcKind, ENVS, TEAMS,
};
use crate::{SynthError, MAX_PAGE_ITEMS};

/// Days since 1970-01-01 to a civil date (proleptic Gregorian).
pub(crate) fn civil(t: i64) -> (i64, u32, u32) {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// EC2 timestamps as the CLI prints them: `2024-03-05T10:11:12+00:00`.
fn ts(t: i64) -> String {
    let (y, m, d) = civil(t);
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// SageMaker timestamps carry microseconds: `2024-03-05T10:11:12.345000+00:00`.
fn ts_micro(t: i64) -> String {
    let (y, m, d) = civil(t);
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}000+00:00",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        t.rem_euclid(997)
    )
}

fn tags(pairs: &[(&str, &str)]) -> J {
    J::Arr(pairs.iter().map(|(k, v)| obj! {"Key": k, "Value": v}).collect())
}

struct Out {
    root: PathBuf,
    files: usize,
    bytes: u64,
    dirs: BTreeSet<PathBuf>,
}

impl Out {
    fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            files: 0,
            bytes: 0,
            dirs: BTreeSet::new(),
        }
    }

    /// Creates the file at `root/parts...` and lets `body` fill it.
    fn file(
        &mut self,
        parts: &[&str],
        body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<(), SynthError> {
        let mut path = self.root.clone();
        for p in parts {
            path.push(p);
        }
        if let Some(dir) = path.parent() {
            if !self.dirs.contains(dir) {
                std::fs::create_dir_all(dir).map_err(|source| SynthError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
                self.dirs.insert(dir.to_path_buf());
            }
        }
        let io = |source| SynthError::Io {
            path: path.clone(),
            source,
        };
        let file = File::create(&path).map_err(io)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        body(&mut w).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
        w.flush().map_err(io)?;
        let len = w.get_ref().metadata().map_err(io)?.len();
        self.files += 1;
        self.bytes += len;
        Ok(())
    }

    fn write(&mut self, parts: &[&str], value: &J) -> Result<(), SynthError> {
        self.file(parts, |w| write_json(w, value, 0))
    }

    /// Writes `{"<key>": [items...]}`, rendering one item at a time.
    fn write_list(
        &mut self,
        parts: &[&str],
        key: &'static str,
        items: impl Iterator<Item = J>,
    ) -> Result<(), SynthError> {
        self.file(parts, |w| {
            write!(w, "{{\n    \"{key}\": [")?;
            let mut any = false;
            for item in items {
                w.write_all(if any { b",\n        " } else { b"\n        " })?;
                write_json(w, &item, 2)?;
                any = true;
            }
            w.write_all(if any { b"\n    ]\n}" } else { b"]\n}" })
        })
    }
}

/// Items per page: full pages of [`MAX_PAGE_ITEMS`] for long lists, as
/// the CLI paginates; shorter lists of two or more items are still split in
/// two so that small snapshots exercise the merge too.
pub(crate) fn page_limit(n: usize) -> usize {
    if n > MAX_PAGE_ITEMS {
        MAX_PAGE_ITEMS
    } else if n < 2 {
        1
    } else {
        n.div_ceil(2)
    }
}

fn page_file(cmd: &str, page: usize) -> String {
    if page == 0 {
        format!("{cmd}.json")
    } else {
        format!("{cmd}.{}.json", page + 1)
    }
}

fn buckets(n_ar: usize, ars: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); n_ar];
    for (i, ar) in ars.enumerate() {
        if let Some(b) = out.get_mut(ar) {
            b.push(i);
        }
    }
    out
}

struct Ctx<'a> {
    org: &'a Org,
    ar: usize,
    acct: &'a str,
    region: &'static str,
}

/// Which resources of each account and region live where.
struct Index {
    vpcs: Vec<Vec<usize>>,
    subnets: Vec<Vec<usize>>,
    rts: Vec<Vec<usize>>,
    nacls: Vec<Vec<usize>>,
    sgs: Vec<Vec<usize>>,
    enis: Vec<Vec<usize>>,
    reservations: Vec<Vec<usize>>,
    igws: Vec<Vec<usize>>,
    eigws: Vec<Vec<usize>>,
    nats: Vec<Vec<usize>>,
    eips: Vec<Vec<usize>>,
    endpoints: Vec<Vec<usize>>,
    pls: Vec<Vec<usize>>,
    tgw_rts: Vec<Vec<usize>>,
    notebooks: Vec<Vec<usize>>,
    jobs: Vec<Vec<usize>>,
    peerings: Vec<BTreeSet<usize>>,
    attachments: Vec<BTreeSet<usize>>,
    tgws: Vec<BTreeSet<usize>>,
}

impl Index {
    fn new(org: &Org) -> Self {
        let n_ar = org.accounts.len() * 2;
        // Shared resources show in the owner's account and in the other side's.
        let mut peerings = vec![BTreeSet::new(); n_ar];
        for (i, p) in org.peerings.iter().enumerate() {
            for v in [p.requester, p.accepter] {
                if let Some(b) = peerings.get_mut(org.vpcs[v].ar) {
                    b.insert(i);
                }
            }
        }
        let mut attachments = vec![BTreeSet::new(); n_ar];
        let mut tgws = vec![BTreeSet::new(); n_ar];
        for (i, a) in org.attachments.iter().enumerate() {
            for ar in [org.tgws[a.tgw].ar, org.vpcs[a.vpc].ar] {
                if let Some(b) = attachments.get_mut(ar) {
                    b.insert(i);
                }
                if let Some(b) = tgws.get_mut(ar) {
                    b.insert(a.tgw);
                }
            }
        }
        for (i, t) in org.tgws.iter().enumerate() {
            if let Some(b) = tgws.get_mut(t.ar) {
                b.insert(i);
            }
        }
        Self {
            vpcs: buckets(n_ar, org.vpcs.iter().map(|x| x.ar)),
            subnets: buckets(n_ar, org.subnets.iter().map(|x| x.ar)),
            rts: buckets(n_ar, org.route_tables.iter().map(|x| x.ar)),
            nacls: buckets(n_ar, org.nacls.iter().map(|x| x.ar)),
            sgs: buckets(n_ar, org.sgs.iter().map(|x| x.ar)),
            enis: buckets(n_ar, org.enis.iter().map(|x| x.ar)),
            reservations: buckets(n_ar, org.reservations.iter().map(|x| x.ar)),
            igws: buckets(n_ar, org.igws.iter().map(|x| x.ar)),
            eigws: buckets(n_ar, org.eigws.iter().map(|x| x.ar)),
            nats: buckets(n_ar, org.nats.iter().map(|x| x.ar)),
            eips: buckets(n_ar, org.eips.iter().map(|x| x.ar)),
            endpoints: buckets(n_ar, org.endpoints.iter().map(|x| x.ar)),
            pls: buckets(n_ar, org.prefix_lists.iter().map(|x| x.ar)),
            tgw_rts: buckets(n_ar, org.tgw_rts.iter().map(|x| x.ar)),
            notebooks: buckets(n_ar, org.notebooks.iter().map(|x| x.ar)),
            jobs: buckets(n_ar, org.training_jobs.iter().map(|x| x.ar)),
            peerings,
            attachments,
            tgws,
        }
    }
}

/// A unit of output work: one account and region, one group of files.
#[derive(Clone, Copy)]
enum Section {
    Small,
    SecurityGroups,
    Interfaces,
    Instances,
}

/// Writes every file, spreading the work over the available cores; returns
/// (files, bytes). The content of every file is independent of the thread
/// that writes it.
pub(crate) fn write_org(org: &Org, root: &Path) -> Result<(usize, u64), SynthError> {
    let index = Index::new(org);
    let n_ar = org.accounts.len() * 2;
    let mut jobs: Vec<(usize, usize, Section)> = Vec::new();
    for ar in 0..n_ar {
        let instances: usize = index.reservations[ar]
            .iter()
            .map(|r| org.reservations[*r].instances.len())
            .sum();
        jobs.push((index.vpcs[ar].len() * 50, ar, Section::Small));
        jobs.push((index.sgs[ar].len() * 10, ar, Section::SecurityGroups));
        jobs.push((index.enis[ar].len() * 3, ar, Section::Interfaces));
        jobs.push((instances * 6, ar, Section::Instances));
    }
    jobs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<(usize, u64), SynthError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Out::new(root);
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(_, ar, section)) = jobs.get(k) else {
                            break;
                        };
                        write_section(org, &index, ar, section, &mut out)?;
                    }
                    Ok((out.files, out.bytes))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(SynthError::WorkerPanicked)))
            .collect()
    });
    let mut total = (0, 0);
    for r in results {
        let (files, bytes) = r?;
        total.0 += files;
        total.1 += bytes;
    }
    Ok(total)
}

fn write_section(
    org: &Org,
    index: &Index,
    ar: usize,
    section: Section,
    out: &mut Out,
) -> Result<(), SynthError> {
    let acct = org.account(ar);
    let region = org.region(ar).name;
    let c = Ctx {
        org,
        ar,
        acct,
        region,
    };
    let list = |out: &mut Out,
                cmd: &str,
                page: usize,
                key: &'static str,
                items: &mut dyn Iterator<Item = J>| {
        let file = page_file(cmd, page);
        out.write_list(&[acct, region, "ec2", &file], key, items)
    };
    match section {
        Section::SecurityGroups => {
            let items = &index.sgs[ar];
            for (page, chunk) in chunks_or_empty(items, page_limit(items.len()))
                .into_iter()
                .enumerate()
            {
                let mut it = chunk.iter().map(|i| c.security_group(&org.sgs[*i]));
                list(
                    out,
                    "describe-security-groups",
                    page,
                    "SecurityGroups",
                    &mut it,
                )?;
            }
        }
        Section::Interfaces => {
            let items = &index.enis[ar];
            for (page, chunk) in chunks_or_empty(items, page_limit(items.len()))
                .into_iter()
                .enumerate()
            {
                let mut it = chunk.iter().map(|i| c.eni(*i));
                list(
                    out,
                    "describe-network-interfaces",
                    page,
                    "NetworkInterfaces",
                    &mut it,
                )?;
            }
        }
        Section::Instances => {
            let res = &index.reservations[ar];
            let total: usize = res
                .iter()
                .map(|r| org.reservations[*r].instances.len())
                .sum();
            let limit = page_limit(total);
            let mut pages: Vec<Vec<usize>> = vec![Vec::new()];
            let mut in_page = 0;
            for r in res {
                let n = org.reservations[*r].instances.len();
                if in_page > 0 && in_page + n > limit {
                    pages.push(Vec::new());
                    in_page = 0;
                }
                if let Some(p) = pages.last_mut() {
                    p.push(*r);
                }
                in_page += n;
            }
            for (page, rs) in pages.iter().enumerate() {
                let mut it = rs.iter().map(|r| c.reservation(*r));
                list(out, "describe-instances", page, "Reservations", &mut it)?;
            }
        }
        Section::Small => write_small(&c, index, out)?,
    }
    Ok(())
}

fn write_small(c: &Ctx<'_>, index: &Index, out: &mut Out) -> Result<(), SynthError> {
    let (org, ar, acct, region) = (c.org, c.ar, c.acct, c.region);
    let mut put = |cmd: &str, key: &'static str, items: Vec<J>| {
        let file = page_file(cmd, 0);
        out.write_list(&[acct, region, "ec2", &file], key, items.into_iter())
    };
    put(
        "describe-vpcs",
        "Vpcs",
        index.vpcs[ar].iter().map(|i| c.vpc(*i)).collect(),
    )?;
    put(
        "describe-subnets",
        "Subnets",
        index.subnets[ar].iter().map(|i| c.subnet(*i)).collect(),
    )?;
    put(
        "describe-route-tables",
        "RouteTables",
        index.rts[ar]
            .iter()
            .map(|i| c.route_table(&org.route_tables[*i]))
            .collect(),
    )?;
    put(
        "describe-network-acls",
        "NetworkAcls",
        index.nacls[ar]
            .iter()
            .map(|i| c.nacl(&org.nacls[*i]))
            .collect(),
    )?;
    put(
        "describe-internet-gateways",
        "InternetGateways",
        index.igws[ar].iter().map(|i| c.igw(*i)).collect(),
    )?;
    put(
        "describe-egress-only-internet-gateways",
        "EgressOnlyInternetGateways",
        index.eigws[ar].iter().map(|i| c.eigw(*i)).collect(),
    )?;
    put(
        "describe-nat-gateways",
        "NatGateways",
        index.nats[ar].iter().map(|i| c.nat(*i)).collect(),
    )?;
    put(
        "describe-addresses",
        "Addresses",
        index.eips[ar].iter().map(|i| c.eip(*i)).collect(),
    )?;
    put(
        "describe-vpc-endpoints",
        "VpcEndpoints",
        index.endpoints[ar].iter().map(|i| c.endpoint(*i)).collect(),
    )?;
    put("describe-prefix-lists", "PrefixLists", c.aws_prefix_lists())?;
    put(
        "describe-managed-prefix-lists",
        "PrefixLists",
        index.pls[ar]
            .iter()
            .map(|i| c.managed_prefix_list(*i))
            .collect(),
    )?;
    put(
        "describe-vpc-peering-connections",
        "VpcPeeringConnections",
        index.peerings[ar].iter().map(|i| c.peering(*i)).collect(),
    )?;
    put(
        "describe-transit-gateways",
        "TransitGateways",
        index.tgws[ar].iter().map(|i| c.tgw(*i)).collect(),
    )?;
    put(
        "describe-transit-gateway-attachments",
        "TransitGatewayAttachments",
        index.attachments[ar]
            .iter()
            .map(|i| c.tgw_attachment(&org.attachments[*i]))
            .collect(),
    )?;
    put(
        "describe-transit-gateway-vpc-attachments",
        "TransitGatewayVpcAttachments",
        index.attachments[ar]
            .iter()
            .map(|i| c.tgw_vpc_attachment(&org.attachments[*i]))
            .collect(),
    )?;
    put(
        "describe-transit-gateway-route-tables",
        "TransitGatewayRouteTables",
        index.tgw_rts[ar].iter().map(|i| c.tgw_rt(*i)).collect(),
    )?;
    put("describe-dhcp-options", "DhcpOptions", vec![c.dhcp()])?;

    // Per-resource calls.
    for i in &index.pls[ar] {
        let pl = &org.prefix_lists[*i];
        let entries: Vec<J> = pl
            .entries
            .iter()
            .map(|(cidr, d)| obj! {"Cidr": cidr, "Description": d})
            .collect();
        out.write(
            &[
                acct,
                region,
                "ec2",
                &pl.id,
                "get-managed-prefix-list-entries.json",
            ],
            &obj! {"Entries": entries},
        )?;
    }
    for i in &index.tgw_rts[ar] {
        let rt = &org.tgw_rts[*i];
        out.write(
            &[
                acct,
                region,
                "ec2",
                &rt.id,
                "search-transit-gateway-routes.json",
            ],
            &c.tgw_routes(*i),
        )?;
        let link = |a: &usize, state: &str| {
            let att = &org.attachments[*a];
            obj! {
                "TransitGatewayAttachmentId": &att.id,
                "ResourceId": &org.vpcs[att.vpc].id,
                "ResourceType": "vpc",
                "State": state,
            }
        };
        let assocs: Vec<J> = rt.assocs.iter().map(|a| link(a, "associated")).collect();
        out.write(
            &[
                acct,
                region,
                "ec2",
                &rt.id,
                "get-transit-gateway-route-table-associations.json",
            ],
            &obj! {"Associations": assocs},
        )?;
        let props: Vec<J> = rt.props.iter().map(|a| link(a, "enabled")).collect();
        out.write(
            &[
                acct,
                region,
                "ec2",
                &rt.id,
                "get-transit-gateway-route-table-propagations.json",
            ],
            &obj! {"TransitGatewayRouteTablePropagations": props},
        )?;
    }
    for i in &index.notebooks[ar] {
        let nb = &org.notebooks[*i];
        out.write(
            &[
                acct,
                region,
                "sagemaker",
                &nb.name,
                "describe-notebook-instance.json",
            ],
            &c.notebook(*i),
        )?;
    }
    for i in &index.jobs[ar] {
        let job = &org.training_jobs[*i];
        out.write(
            &[
                acct,
                region,
                "sagemaker",
                &job.name,
                "describe-training-job.json",
            ],
            &c.training_job(*i),
        )?;
    }
    Ok(())
}

/// `chunks`, but an empty list still yields one (empty) page.
fn chunks_or_empty(items: &[usize], limit: usize) -> Vec<&[usize]> {
    if items.is_empty() {
        vec![items]
    } else {
        items.chunks(limit.max(1)).collect()
    }
}

impl Ctx<'_> {
    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.acct)
    }

    fn az_id(&self, az: usize) -> &'static str {
        self.org
            .region(self.ar)
            .az_ids
            .get(az)
            .copied()
            .unwrap_or("")
    }

    fn az(&self, az: usize) -> &'static str {
        self.org.region(self.ar).azs.get(az).copied().unwrap_or("")
    }

    fn private_dns(&self, ip: u32) -> String {
        format!("ip-{}.{}", dashed(ip), self.org.region(self.ar).private_dns)
    }

    fn public_dns(&self, ip: u32) -> String {
        format!("ec2-{}.{}", dashed(ip), self.org.region(self.ar).public_dns)
    }

    fn vpc(&self, i: usize) -> J {
        let v = &self.org.vpcs[i];
        let mut o = obj! {
            "CidrBlock": v.cidr.to_string(),
            "DhcpOptionsId": self.org.dhcp.get(v.ar).cloned().unwrap_or_default(),
            "State": "available",
            "VpcId": &v.id,
            "OwnerId": &self.acct,
            "InstanceTenancy": "default",
            "CidrBlockAssociationSet": vec![obj! {
                "AssociationId": &v.cidr_assoc,
                "CidrBlock": v.cidr.to_string(),
                "CidrBlockState": obj! {"State": "associated"},
            }],
            "IsDefault": v.kind == VpcKind::Default,
            "BlockPublicAccessStates": obj! {"InternetGatewayBlockMode": "off"},
        };
        if let Some(block) = v.v6 {
            o.insert(
                "Ipv6CidrBlockAssociationSet",
                vec![obj! {
                    "AssociationId": &v.v6_assoc,
                    "Ipv6CidrBlock": net6(block, 56),
                    "Ipv6CidrBlockState": obj! {"State": "associated"},
                    "NetworkBorderGroup": &self.region,
                    "Ipv6Pool": "Amazon",
                }],
            );
        }
        if v.kind != VpcKind::Default {
            o.insert(
                "Tags",
                tags(&[
                    ("Name", &v.name),
                    ("team", TEAMS[v.team]),
                    ("env", ENVS[v.env]),
                ]),
            );
        }
        o
    }

    fn subnet(&self, i: usize) -> J {
        let s = &self.org.subnets[i];
        let v = &self.org.vpcs[s.vpc];
        let available = s
            .cidr
            .size()
            .saturating_sub(5)
            .saturating_sub(u64::from(s.used));
        let v6: Vec<J> =
            s.v6.iter()
                .map(|b| {
                    obj! {
                        "AssociationId": &s.v6_assoc,
                        "Ipv6CidrBlock": net6(*b, 64),
                        "Ipv6CidrBlockState": obj! {"State": "associated"},
                    }
                })
                .collect();
        let mut o = obj! {
            "AvailabilityZone": self.az(s.az),
            "AvailabilityZoneId": self.az_id(s.az),
            "AvailableIpAddressCount": available,
            "CidrBlock": s.cidr.to_string(),
            "DefaultForAz": &s.default_for_az,
            "MapPublicIpOnLaunch": &s.map_public,
            "MapCustomerOwnedIpOnLaunch": false,
            "State": "available",
            "SubnetId": &s.id,
            "VpcId": &v.id,
            "OwnerId": &self.acct,
            "AssignIpv6AddressOnCreation": false,
            "Ipv6CidrBlockAssociationSet": v6,
            "SubnetArn": self.arn("ec2", &format!("subnet/{}", s.id)),
            "EnableDns64": false,
            "Ipv6Native": false,
            "PrivateDnsNameOptionsOnLaunch": obj! {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": false,
                "EnableResourceNameDnsAAAARecord": false,
            },
        };
        if v.kind != VpcKind::Default {
            let tier = match s.tier {
                Tier::Public => "public",
                Tier::Private => "private",
                Tier::Isolated => "isolated",
            };
            o.insert("Tags", tags(&[("Name", &s.name), ("tier", tier)]));
        }
        o
    }

    fn route_table(&self, rt: &RouteTable) -> J {
        let mut assocs = Vec::new();
        if rt.main {
            assocs.push(obj! {
                "Main": true,
                "RouteTableAssociationId": &rt.main_assoc,
                "RouteTableId": &rt.id,
                "AssociationState": obj! {"State": "associated"},
            });
        }
        for (s, id) in &rt.assocs {
            assocs.push(obj! {
                "Main": false,
                "RouteTableAssociationId": id,
                "RouteTableId": &rt.id,
                "SubnetId": &self.org.subnets[*s].id,
                "AssociationState": obj! {"State": "associated"},
            });
        }
        let routes: Vec<J> = rt
            .routes
            .iter()
            .map(|r| {
                let mut o = J::Obj(Vec::with_capacity(4));
                match &r.dest {
                    Dest::V4(n) => o.insert("DestinationCidrBlock", n.to_string()),
                    Dest::V6(c) => o.insert("DestinationIpv6CidrBlock", c),
                    Dest::PrefixList(p) => o.insert("DestinationPrefixListId", p),
                }
                let (key, id) = match &r.target {
                    Target::Local => ("GatewayId", "local"),
                    Target::Gateway(id) => ("GatewayId", id.as_str()),
                    Target::Nat(id) => ("NatGatewayId", id.as_str()),
                    Target::Tgw(id) => ("TransitGatewayId", id.as_str()),
                    Target::Pcx(id) => ("VpcPeeringConnectionId", id.as_str()),
                    Target::Eigw(id) => ("EgressOnlyInternetGatewayId", id.as_str()),
                };
                o.insert(key, id);
                o.insert("Origin", r.origin);
                o.insert("State", if r.blackhole { "blackhole" } else { "active" });
                o
            })
            .collect();
        let tag_list: Vec<(&str, &str)> = rt.name.iter().map(|n| ("Name", n.as_str())).collect();
        obj! {
            "Associations": assocs,
            "PropagatingVgws": J::empty(),
            "RouteTableId": &rt.id,
            "Routes": routes,
            "Tags": tags(&tag_list),
            "VpcId": &self.org.vpcs[rt.vpc].id,
            "OwnerId": &self.acct,
        }
    }

    fn nacl(&self, n: &Nacl) -> J {
        let assocs: Vec<J> = n
            .assocs
            .iter()
            .map(|(s, id)| {
                obj! {
                    "NetworkAclAssociationId": id,
                    "NetworkAclId": &n.id,
                    "SubnetId": &self.org.subnets[*s].id,
                }
            })
            .collect();
        let entries: Vec<J> = n
            .entries
            .iter()
            .map(|e| {
                let mut o = obj! {
                    "Egress": &e.egress,
                    "Protocol": &e.protocol,
                    "RuleAction": if e.allow { "allow" } else { "deny" },
                    "RuleNumber": &e.rule,
                };
                match &e.cidr {
                    AnyCidr::V4(c) => o.insert("CidrBlock", J::from(c.to_string())),
                    AnyCidr::V6(c) => o.insert("Ipv6CidrBlock", J::from(c)),
                }
                if let Some((from, to)) = e.ports {
                    o.insert("PortRange", obj! {"From": from, "To": to});
                }
                if let Some((ty, code)) = e.icmp {
                    o.insert("IcmpTypeCode", obj! {"Code": code, "Type": ty});
                }
                o
            })
            .collect();
        let tag_list: Vec<(&str, &str)> = n.name.iter().map(|x| ("Name", x.as_str())).collect();
        obj! {
            "Associations": assocs,
            "Entries": entries,
            "IsDefault": &n.is_default,
            "NetworkAclId": &n.id,
            "Tags": tags(&tag_list),
            "VpcId": &self.org.vpcs[n.vpc].id,
            "OwnerId": &self.acct,
        }
    }

    fn perm(p: &Perm) -> J {
        let mut o = obj! {
            "IpProtocol": &p.proto,
            "IpRanges": p.v4.iter().map(|(c, d)| match d {
                Some(d) => obj! {"CidrIp": c, "Description": d},
                None => obj! {"CidrIp": c},
            }).collect::<Vec<_>>(),
            "Ipv6Ranges": p.v6.iter().map(|c| obj! {"CidrIpv6": c}).collect::<Vec<_>>(),
            "PrefixListIds": p.pls.iter().map(|c| obj! {"PrefixListId": c}).collect::<Vec<_>>(),
            "UserIdGroupPairs": p.groups.iter().map(|(g, u)| obj! {"GroupId": g, "UserId": u}).collect::<Vec<_>>(),
        };
        if let Some((from, to)) = p.ports {
            o.insert("FromPort", J::from(from));
            o.insert("ToPort", J::from(to));
        }
        o
    }

    fn security_group(&self, g: &SecurityGroup) -> J {
        let v = &self.org.vpcs[g.vpc];
        let mut o = obj! {
            "Description": &g.description,
            "GroupName": &g.name,
            "IpPermissions": g.ingress.iter().map(Self::perm).collect::<Vec<_>>(),
            "OwnerId": &self.acct,
            "GroupId": &g.id,
            "IpPermissionsEgress": g.egress.iter().map(Self::perm).collect::<Vec<_>>(),
            "VpcId": &v.id,
            "SecurityGroupArn": self.arn("ec2", &format!("security-group/{}", g.id)),
        };
        if !g.is_default && v.kind == VpcKind::Workload {
            o.insert("Tags", tags(&[("team", TEAMS[v.team])]));
        }
        o
    }

    fn groups(&self, groups: &[usize]) -> J {
        J::Arr(
            groups
                .iter()
                .map(
                    |g| obj! {"GroupId": &self.org.sgs[*g].id, "GroupName": &self.org.sgs[*g].name},
                )
                .collect(),
        )
    }

    fn association(&self, e: &Eni, eip: Option<&crate::model::Eip>) -> Option<J> {
        let ip = e.public_ip?;
        Some(match eip {
            Some(x) => obj! {
                "AllocationId": &x.alloc,
                "AssociationId": &x.assoc,
                "IpOwnerId": &self.acct,
                "PublicDnsName": self.public_dns(ip),
                "PublicIp": ip4(ip),
            },
            None => obj! {
                "IpOwnerId": "amazon",
                "PublicDnsName": self.public_dns(ip),
                "PublicIp": ip4(ip),
            },
        })
    }

    fn private_ips(&self, e: &Eni, assoc: Option<&J>) -> J {
        J::Arr(
            e.private_ips
                .iter()
                .enumerate()
                .map(|(k, ip)| {
                    let mut o = obj! {
                        "Primary": k == 0,
                        "PrivateDnsName": self.private_dns(*ip),
                        "PrivateIpAddress": ip4(*ip),
                    };
                    if let (0, Some(a)) = (k, assoc) {
                        o.insert("Association", a.clone());
                    }
                    o
                })
                .collect(),
        )
    }

    fn eni(&self, i: usize) -> J {
        let e = &self.org.enis[i];
        let s = &self.org.subnets[e.subnet];
        let primary = e.private_ips.first().copied().unwrap_or(0);
        let eip = match e.kind {
            EniKind::Nat(_) => self.org.eips.iter().find(|x| x.eni == i),
            _ => None,
        };
        let assoc = self.association(e, eip);
        let (interface_type, description, requester_managed, status) = match &e.kind {
            EniKind::Instance { efa, .. } => (
                if *efa { "efa" } else { "interface" },
                String::new(),
                false,
                "in-use",
            ),
            EniKind::Nat(n) => (
                "nat_gateway",
                format!("Interface for NAT Gateway {}", self.org.nats[*n].id),
                true,
                "in-use",
            ),
            EniKind::Endpoint(x) => (
                "vpc_endpoint",
                format!("VPC Endpoint Interface {}", self.org.endpoints[*x].id),
                true,
                "in-use",
            ),
            EniKind::Lambda(f) => ("lambda", format!("AWS Lambda VPC ENI-{f}"), true, "in-use"),
            EniKind::Elb(name) => ("interface", format!("ELB {name}"), false, "in-use"),
            EniKind::Notebook(name) => (
                "interface",
                format!("[DO NOT DELETE] ENI managed by SageMaker for Notebook Instance {name}"),
                true,
                "in-use",
            ),
            EniKind::Detached => (
                "interface",
                "scratch interface".to_owned(),
                false,
                "available",
            ),
        };
        let mut o = obj! {
            "AvailabilityZone": self.az(s.az),
            "AvailabilityZoneId": self.az_id(s.az),
            "Description": description,
            "Groups": self.groups(&e.groups),
            "InterfaceType": interface_type,
            "Ipv6Addresses": e.v6.iter().map(|a| obj! {"Ipv6Address": ip6(*a), "IsPrimaryIpv6": false}).collect::<Vec<_>>(),
            "MacAddress": &e.mac,
            "NetworkInterfaceId": &e.id,
            "OwnerId": &self.acct,
            "PrivateDnsName": self.private_dns(primary),
            "PrivateIpAddress": ip4(primary),
            "PrivateIpAddresses": self.private_ips(e, assoc.as_ref()),
            "RequesterManaged": requester_managed,
            "SourceDestCheck": !matches!(e.kind, EniKind::Nat(_)),
            "Status": status,
            "SubnetId": &s.id,
            "TagSet": J::empty(),
            "VpcId": &self.org.vpcs[e.vpc].id,
        };
        if let Some(a) = assoc {
            o.insert("Association", a);
        }
        let attachment = match &e.kind {
            EniKind::Instance {
                instance,
                device,
                efa,
            } => Some(obj! {
                "AttachTime": ts(e.created),
                "AttachmentId": &e.attach_id,
                "DeleteOnTermination": *device == 0,
                "DeviceIndex": if *efa { 0 } else { *device },
                "NetworkCardIndex": if *efa { *device } else { 0 },
                "InstanceId": &self.org.instances[*instance].id,
                "InstanceOwnerId": &self.acct,
                "Status": "attached",
            }),
            EniKind::Elb(_) => Some(obj! {
                "AttachTime": ts(e.created),
                "AttachmentId": &e.attach_id,
                "DeleteOnTermination": false,
                "DeviceIndex": 1,
                "InstanceOwnerId": "amazon-elb",
                "Status": "attached",
            }),
            EniKind::Lambda(_) => Some(obj! {
                "AttachTime": ts(e.created),
                "AttachmentId": e.attach_id.replace("eni-attach", "ela-attach"),
                "DeleteOnTermination": false,
                "DeviceIndex": 1,
                "InstanceOwnerId": "amazon-aws",
                "Status": "attached",
            }),
            _ => None,
        };
        if let Some(a) = attachment {
            o.insert("Attachment", a);
        }
        let requester = match &e.kind {
            EniKind::Elb(_) => Some("amazon-elb"),
            EniKind::Nat(_) | EniKind::Endpoint(_) | EniKind::Notebook(_) => Some("amazon-aws"),
            EniKind::Lambda(_) => Some("AROAEXAMPLELAMBDA:awslambda_vpc"),
            _ => None,
        };
        if let Some(r) = requester {
            o.insert("RequesterId", J::from(r));
        }
        o
    }

    fn reservation(&self, r: usize) -> J {
        let res = &self.org.reservations[r];
        let instances: Vec<J> = res
            .instances
            .iter()
            .enumerate()
            .map(|(k, i)| self.instance(*i, k))
            .collect();
        obj! {
            "Groups": J::empty(),
            "Instances": instances,
            "OwnerId": &self.acct,
            "ReservationId": &res.id,
        }
    }

    fn instance(&self, i: usize, launch_index: usize) -> J {
        let inst = &self.org.instances[i];
        let s = &self.org.subnets[inst.subnet];
        let primary = inst.enis.first().map(|e| &self.org.enis[*e]);
        let private_ip = primary
            .and_then(|e| e.private_ips.first().copied())
            .unwrap_or(0);
        let public_ip = primary.and_then(|e| e.public_ip);
        let groups = primary.map(|e| e.groups.clone()).unwrap_or_default();
        let nics: Vec<J> = inst
            .enis
            .iter()
            .map(|x| {
                let e = &self.org.enis[*x];
                let (device, efa) = match e.kind {
                    EniKind::Instance { device, efa, .. } => (device, efa),
                    _ => (0, false),
                };
                let assoc = self.association(e, None);
                let mut o = obj! {
                    "Attachment": obj! {
                        "AttachTime": ts(e.created),
                        "AttachmentId": &e.attach_id,
                        "DeleteOnTermination": device == 0,
                        "DeviceIndex": if efa { 0 } else { device },
                        "NetworkCardIndex": if efa { device } else { 0 },
                        "Status": "attached",
                    },
                    "Description": "",
                    "Groups": self.groups(&e.groups),
                    "Ipv6Addresses": e.v6.iter().map(|a| obj! {"Ipv6Address": ip6(*a), "IsPrimaryIpv6": false}).collect::<Vec<_>>(),
                    "MacAddress": &e.mac,
                    "NetworkInterfaceId": &e.id,
                    "OwnerId": &self.acct,
                    "PrivateDnsName": self.private_dns(e.private_ips.first().copied().unwrap_or(0)),
                    "PrivateIpAddress": ip4(e.private_ips.first().copied().unwrap_or(0)),
                    "PrivateIpAddresses": self.private_ips(e, assoc.as_ref()),
                    "SourceDestCheck": true,
                    "Status": "in-use",
                    "SubnetId": &self.org.subnets[e.subnet].id,
                    "VpcId": &self.org.vpcs[e.vpc].id,
                    "InterfaceType": if efa { "efa" } else { "interface" },
                };
                if let Some(a) = assoc {
                    o.insert("Association", a);
                }
                o
            })
            .collect();
        let tag_list: Vec<(&str, &str)> = inst
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut o = obj! {
            "AmiLaunchIndex": launch_index,
            "ImageId": &inst.image,
            "InstanceId": &inst.id,
            "InstanceType": &inst.itype,
            "LaunchTime": ts(inst.launch),
            "Monitoring": obj! {"State": "disabled"},
            "Placement": obj! {"AvailabilityZone": self.az(s.az), "GroupName": "", "Tenancy": "default"},
            "PrivateDnsName": self.private_dns(private_ip),
            "PrivateIpAddress": ip4(private_ip),
            "ProductCodes": J::empty(),
            "PublicDnsName": public_ip.map(|ip| self.public_dns(ip)).unwrap_or_default(),
            "State": obj! {"Code": 16, "Name": "running"},
            "StateTransitionReason": "",
            "SubnetId": &s.id,
            "VpcId": &self.org.vpcs[s.vpc].id,
            "Architecture": "x86_64",
            "BlockDeviceMappings": J::empty(),
            "EbsOptimized": true,
            "EnaSupport": true,
            "Hypervisor": "xen",
            "NetworkInterfaces": nics,
            "RootDeviceName": "/dev/xvda",
            "RootDeviceType": "ebs",
            "SecurityGroups": self.groups(&groups),
            "SourceDestCheck": true,
            "Tags": tags(&tag_list),
            "VirtualizationType": "hvm",
            "MetadataOptions": obj! {
                "State": "applied",
                "HttpTokens": if inst.imdsv2 { "required" } else { "optional" },
                "HttpPutResponseHopLimit": if inst.imdsv2 { 2 } else { 1 },
                "HttpEndpoint": "enabled",
                "HttpProtocolIpv6": "disabled",
                "InstanceMetadataTags": "disabled",
            },
        };
        if let Some(ip) = public_ip {
            o.insert("PublicIpAddress", J::from(ip4(ip)));
        }
        if let Some(p) = &inst.profile {
            let id = format!(
                "AIPA{:016X}",
                crate::rng::mix64(p.len() as u64 ^ inst.launch as u64)
            );
            o.insert(
                "IamInstanceProfile",
                obj! {"Arn": format!("arn:aws:iam::{}:instance-profile/{p}", self.acct), "Id": id},
            );
        }
        o
    }

    fn igw(&self, i: usize) -> J {
        let g = &self.org.igws[i];
        let v = &self.org.vpcs[g.vpc];
        obj! {
            "Attachments": vec![obj! {"State": "available", "VpcId": &v.id}],
            "InternetGatewayId": &g.id,
            "OwnerId": &self.acct,
            "Tags": tags(&[("Name", &format!("{}-igw", v.name))]),
        }
    }

    fn eigw(&self, i: usize) -> J {
        let g = &self.org.eigws[i];
        obj! {
            "Attachments": vec![obj! {"State": "attached", "VpcId": &self.org.vpcs[g.vpc].id}],
            "EgressOnlyInternetGatewayId": &g.id,
            "Tags": J::empty(),
        }
    }

    fn nat(&self, i: usize) -> J {
        let n = &self.org.nats[i];
        let v = &self.org.vpcs[n.vpc];
        let addresses: Vec<J> = match (n.eni, n.eip) {
            (Some(e), Some(x)) => {
                let eni = &self.org.enis[e];
                let eip = &self.org.eips[x];
                vec![obj! {
                    "AllocationId": &eip.alloc,
                    "NetworkInterfaceId": &eni.id,
                    "PrivateIp": ip4(eni.private_ips.first().copied().unwrap_or(0)),
                    "PublicIp": ip4(eip.public_ip),
                    "AssociationId": &eip.assoc,
                    "IsPrimary": true,
                    "Status": "succeeded",
                }]
            }
            _ => Vec::new(),
        };
        let mut o = obj! {
            "CreateTime": ts(n.created),
            "NatGatewayAddresses": addresses,
            "NatGatewayId": &n.id,
            "State": if n.deleted { "deleted" } else { "available" },
            "SubnetId": &self.org.subnets[n.subnet].id,
            "VpcId": &v.id,
            "Tags": tags(&[("Name", &format!("{}-nat", v.name))]),
            "ConnectivityType": "public",
        };
        if n.deleted {
            o.insert("DeleteTime", J::from(ts(n.created + 30 * 86_400)));
        }
        o
    }

    fn eip(&self, i: usize) -> J {
        let x = &self.org.eips[i];
        let eni = &self.org.enis[x.eni];
        obj! {
            "AllocationId": &x.alloc,
            "AssociationId": &x.assoc,
            "Domain": "vpc",
            "NetworkInterfaceId": &eni.id,
            "NetworkInterfaceOwnerId": &self.acct,
            "PrivateIpAddress": ip4(eni.private_ips.first().copied().unwrap_or(0)),
            "PublicIp": ip4(x.public_ip),
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": &self.region,
        }
    }

    fn endpoint(&self, i: usize) -> J {
        let e = &self.org.endpoints[i];
        let policy = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
        let interface = e.kind == EndpointKind::Interface;
        let dns: Vec<J> = if interface {
            let short = e
                .service
                .rsplit(&format!("{}.", self.region))
                .next()
                .unwrap_or("");
            vec![obj! {
                "DnsName": format!("{}-{:08x}.{short}.{}.vpce.amazonaws.com", e.id, crate::rng::mix64(e.created as u64) as u32, self.region),
                "HostedZoneId": "Z7HUB22UULQXV",
            }]
        } else {
            Vec::new()
        };
        obj! {
            "VpcEndpointId": &e.id,
            "VpcEndpointType": if interface { "Interface" } else { "Gateway" },
            "VpcId": &self.org.vpcs[e.vpc].id,
            "ServiceName": &e.service,
            "State": "available",
            "PolicyDocument": policy,
            "RouteTableIds": e.route_tables.iter().map(|r| self.org.route_tables[*r].id.clone()).collect::<Vec<_>>(),
            "SubnetIds": e.subnets.iter().map(|s| self.org.subnets[*s].id.clone()).collect::<Vec<_>>(),
            "Groups": self.groups(&e.groups),
            "IpAddressType": "ipv4",
            "DnsOptions": obj! {"DnsRecordIpType": "ipv4"},
            "PrivateDnsEnabled": &e.private_dns,
            "RequesterManaged": false,
            "NetworkInterfaceIds": e.enis.iter().map(|x| self.org.enis[*x].id.clone()).collect::<Vec<_>>(),
            "DnsEntries": dns,
            "CreationTimestamp": ts(e.created),
            "Tags": J::empty(),
            "OwnerId": &self.acct,
        }
    }

    fn aws_prefix_lists(&self) -> Vec<J> {
        let r = self.org.region(self.ar);
        vec![
            obj! {
                "Cidrs": r.s3_cidrs,
                "PrefixListId": &r.s3_pl,
                "PrefixListName": format!("com.amazonaws.{}.s3", r.name),
            },
            obj! {
                "Cidrs": r.ddb_cidrs,
                "PrefixListId": &r.ddb_pl,
                "PrefixListName": format!("com.amazonaws.{}.dynamodb", r.name),
            },
        ]
    }

    fn managed_prefix_list(&self, i: usize) -> J {
        let p = &self.org.prefix_lists[i];
        obj! {
            "PrefixListId": &p.id,
            "AddressFamily": "IPv4",
            "State": "create-complete",
            "PrefixListArn": self.arn("ec2", &format!("prefix-list/{}", p.id)),
            "PrefixListName": &p.name,
            "MaxEntries": &p.max_entries,
            "Version": &p.version,
            "Tags": tags(&[("Name", p.name)]),
            "OwnerId": &self.acct,
        }
    }

    fn peer_info(&self, vpc: usize) -> J {
        let v = &self.org.vpcs[vpc];
        let mut o = obj! {
            "CidrBlock": v.cidr.to_string(),
            "CidrBlockSet": vec![obj! {"CidrBlock": v.cidr.to_string()}],
            "OwnerId": self.org.account(v.ar),
            "PeeringOptions": obj! {
                "AllowDnsResolutionFromRemoteVpc": false,
                "AllowEgressFromLocalClassicLinkToRemoteVpc": false,
                "AllowEgressFromLocalVpcToRemoteClassicLink": false,
            },
            "VpcId": &v.id,
            "Region": self.org.region(v.ar).name,
        };
        if let Some(block) = v.v6 {
            o.insert(
                "Ipv6CidrBlockSet",
                vec![obj! {"Ipv6CidrBlock": net6(block, 56)}],
            );
        }
        o
    }

    fn peering(&self, i: usize) -> J {
        let p = &self.org.peerings[i];
        let name = format!(
            "{}-to-{}",
            self.org.vpcs[p.requester].name, self.org.vpcs[p.accepter].name
        );
        obj! {
            "AccepterVpcInfo": self.peer_info(p.accepter),
            "RequesterVpcInfo": self.peer_info(p.requester),
            "Status": obj! {"Code": "active", "Message": "Active"},
            "Tags": tags(&[("Name", &name)]),
            "VpcPeeringConnectionId": &p.id,
        }
    }

    fn tgw(&self, i: usize) -> J {
        let t = &self.org.tgws[i];
        let owner = self.org.account(t.ar);
        let region = self.org.region(t.ar).name;
        obj! {
            "TransitGatewayId": &t.id,
            "TransitGatewayArn": format!("arn:aws:ec2:{region}:{owner}:transit-gateway/{}", t.id),
            "State": "available",
            "OwnerId": owner,
            "Description": format!("{} hub", t.name),
            "CreationTime": ts(t.created),
            "Options": obj! {
                "AmazonSideAsn": &t.asn,
                "AutoAcceptSharedAttachments": "enable",
                "DefaultRouteTableAssociation": "disable",
                "DefaultRouteTablePropagation": "disable",
                "VpnEcmpSupport": "enable",
                "DnsSupport": "enable",
                "SecurityGroupReferencingSupport": "disable",
                "MulticastSupport": "disable",
            },
            "Tags": tags(&[("Name", &t.name)]),
        }
    }

    fn tgw_attachment(&self, a: &TgwAttachment) -> J {
        let t = &self.org.tgws[a.tgw];
        let v = &self.org.vpcs[a.vpc];
        obj! {
            "TransitGatewayAttachmentId": &a.id,
            "TransitGatewayId": &t.id,
            "TransitGatewayOwnerId": self.org.account(t.ar),
            "ResourceOwnerId": self.org.account(v.ar),
            "ResourceType": "vpc",
            "ResourceId": &v.id,
            "State": "available",
            "Association": obj! {
                "TransitGatewayRouteTableId": &self.org.tgw_rts[a.rt].id,
                "State": "associated",
            },
            "CreationTime": ts(a.created),
            "Tags": tags(&[("Name", &format!("{}-attachment", v.name))]),
        }
    }

    fn tgw_vpc_attachment(&self, a: &TgwAttachment) -> J {
        let t = &self.org.tgws[a.tgw];
        let v = &self.org.vpcs[a.vpc];
        obj! {
            "TransitGatewayAttachmentId": &a.id,
            "TransitGatewayId": &t.id,
            "VpcId": &v.id,
            "VpcOwnerId": self.org.account(v.ar),
            "State": "available",
            "SubnetIds": a.subnets.iter().map(|s| self.org.subnets[*s].id.clone()).collect::<Vec<_>>(),
            "CreationTime": ts(a.created),
            "Options": obj! {
                "DnsSupport": "enable",
                "SecurityGroupReferencingSupport": "disable",
                "Ipv6Support": if a.ipv6 { "enable" } else { "disable" },
                "ApplianceModeSupport": if v.kind == VpcKind::Hub { "enable" } else { "disable" },
            },
            "Tags": tags(&[("Name", &format!("{}-attachment", v.name))]),
        }
    }

    fn tgw_rt(&self, i: usize) -> J {
        let rt = &self.org.tgw_rts[i];
        obj! {
            "TransitGatewayRouteTableId": &rt.id,
            "TransitGatewayId": &self.org.tgws[rt.tgw].id,
            "State": "available",
            "DefaultAssociationRouteTable": false,
            "DefaultPropagationRouteTable": false,
            "CreationTime": ts(rt.created),
            "Tags": tags(&[("Name", &rt.name)]),
        }
    }

    fn tgw_routes(&self, i: usize) -> J {
        let rt = &self.org.tgw_rts[i];
        let routes: Vec<J> = rt
            .routes
            .iter()
            .map(|r| {
                let mut o = obj! {
                    "DestinationCidrBlock": &r.dest,
                    "Type": if r.propagated { "propagated" } else { "static" },
                    "State": if r.attachment.is_some() { "active" } else { "blackhole" },
                };
                if let Some(a) = r.attachment {
                    let att = &self.org.attachments[a];
                    o.insert(
                        "TransitGatewayAttachments",
                        vec![obj! {
                            "ResourceId": &self.org.vpcs[att.vpc].id,
                            "TransitGatewayAttachmentId": &att.id,
                            "ResourceType": "vpc",
                        }],
                    );
                }
                o
            })
            .collect();
        obj! {"Routes": routes, "AdditionalRoutesAvailable": false}
    }

    fn dhcp(&self) -> J {
        let domain = self.org.region(self.ar).private_dns;
        obj! {
            "DhcpConfigurations": vec![
                obj! {"Key": "domain-name", "Values": vec![obj! {"Value": domain}]},
                obj! {"Key": "domain-name-servers", "Values": vec![obj! {"Value": "AmazonProvidedDNS"}]},],
            "DhcpOptionsId": self.org.dhcp.get(self.ar).cloned().unwrap_or_default(),
            "OwnerId": &self.acct,
            "Tags": J::empty(),
        }
    }

    fn role_arn(&self, team: &str) -> String {
        format!(
            "arn:aws:iam::{}:role/service-role/AmazonSageMaker-ExecutionRole-{team}",
            self.acct
        )
    }

    fn notebook(&self, i: usize) -> J {
        let nb = &self.org.notebooks[i];
        let team = nb.name.split("-notebook-").next().unwrap_or("ml");
        let mut o = obj! {
            "NotebookInstanceArn": self.arn("sagemaker", &format!("notebook-instance/{}", nb.name.to_lowercase())),
            "NotebookInstanceName": &nb.name,
            "NotebookInstanceStatus": "InService",
            "Url": format!("{}.notebook.{}.sagemaker.aws", nb.name, self.region),
            "InstanceType": &nb.itype,
            "RoleArn": self.role_arn(team),
            "LastModifiedTime": ts_micro(nb.created + 3_600),
            "CreationTime": ts_micro(nb.created),
            "DirectInternetAccess": if nb.direct_internet { "Enabled" } else { "Disabled" },
            "VolumeSizeInGB": 50,
            "RootAccess": "Enabled",
            "PlatformIdentifier": "notebook-al2-v2",
            "InstanceMetadataServiceConfiguration": obj! {"MinimumInstanceMetadataServiceVersion": "2"},
        };
        if let Some(s) = nb.subnet {
            o.insert("SubnetId", J::from(&self.org.subnets[s].id));
            o.insert(
                "SecurityGroups",
                J::from(
                    nb.groups
                        .iter()
                        .map(|g| self.org.sgs[*g].id.clone())
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if let Some(e) = nb.eni {
            o.insert("NetworkInterfaceId", J::from(&self.org.enis[e].id));
        }
        o
    }

    fn training_job(&self, i: usize) -> J {
        let job = &self.org.training_jobs[i];
        let team = job.name.split("-train-").next().unwrap_or("ml");
        let bucket = format!("{team}-ml-{}", self.acct);
        let ecr_region = self.region;
        let mut o = obj! {
            "TrainingJobName": &job.name,
            "TrainingJobArn": self.arn("sagemaker", &format!("training-job/{}", job.name.to_lowercase())),
            "TrainingJobStatus": &job.status,
            "SecondaryStatus": &job.status,
            "AlgorithmSpecification": obj! {
                "TrainingImage": format!("763104351884.dkr.ecr.{ecr_region}.amazonaws.com/pytorch-training:2.1.0-gpu-py310"),
                "TrainingInputMode": "File",
                "EnableSageMakerMetricsTimeSeries": false,
            },
            "RoleArn": self.role_arn(team),
            "InputDataConfig": vec![obj! {
                "ChannelName": "train",
                "DataSource": obj! {"S3DataSource": obj! {
                    "S3DataType": "S3Prefix",
                    "S3Uri": format!("s3://{bucket}/datasets/train/"),
                    "S3DataDistributionType": "FullyReplicated",
                }},
                "CompressionType": "None",
                "RecordWrapperType": "None",
            }],
            "OutputDataConfig": obj! {"KmsKeyId": "", "S3OutputPath": format!("s3://{bucket}/models/")},
            "ResourceConfig": obj! {"InstanceType": &job.itype, "InstanceCount": &job.count, "VolumeSizeInGB": 100},
            "StoppingCondition": obj! {"MaxRuntimeInSeconds": 86_400},
            "CreationTime": ts_micro(job.created),
            "TrainingStartTime": ts_micro(job.created + 180),
            "LastModifiedTime": ts_micro(job.created + 7_200),
            "EnableNetworkIsolation": &job.isolation,
            "EnableInterContainerTrafficEncryption": &job.encryption,
            "EnableManagedSpotTraining": false,
        };
        if job.status != "InProgress" {
            o.insert("TrainingEndTime", J::from(ts_micro(job.created + 7_000)));
            o.insert("TrainingTimeInSeconds", J::from(6_820));
            o.insert("BillableTimeInSeconds", J::from(6_820));
        }
        if !job.subnets.is_empty() {
            o.insert("VpcConfig",
                obj! {
                    "SecurityGroupIds": job.groups.iter().map(|g| self.org.sgs[*g].id.clone()).collect::<Vec<_>>(),
                    "Subnets": job.subnets.iter().map(|s| self.org.subnets[*s].id.clone()).collect::<Vec<_>>(),
                },
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(1_704_067_200), (2024, 1, 1));
        assert_eq!(civil(1_709_251_199), (2024, 2, 29));
        assert_eq!(ts(1_704_067_200 + 3_661), "2024-01-01T01:01:01+00:00");
    }

    #[test]
    fn page_limits() {
        assert_eq!(page_limit(0), 1);
        assert_eq!(page_limit(1), 1);
        assert_eq!(page_limit(3), 2);
        assert_eq!(page_limit(15_000), MAX_PAGE_ITEMS);
        assert_eq!(page_limit(9_000), 4_500);
        assert_eq!(page_limit(25_000), MAX_PAGE_ITEMS);
        assert_eq!(
            page_file("describe-instances", 0),
            "describe-instances.json"
        );
        assert_eq!(
            page_file("describe-instances", 2),
            "describe-instances.3.json"
        );
    }
}
