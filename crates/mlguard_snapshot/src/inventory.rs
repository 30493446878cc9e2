//! Everything the analyses read from a snapshot, typed and located.

use crate::{commands, ec2, sagemaker, Diagnostic, FileEntry, Snapshot};
use serde::de::DeserializeOwned;

/// A resource with where it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub account: String,
    pub region: String,
    /// The file it was read from, relative to the snapshot root.
    pub file: String,
    /// The resource folder, for per-resource calls.
    pub resource: Option<String>,
    pub item: T,
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.item
    }
}

#[derive(Debug, Default)]
pub struct Ec2 {
    pub vpcs: Vec<Located<ec2::Vpc>>,
    pub subnets: Vec<Located<ec2::Subnet>>,
    pub route_tables: Vec<Located<ec2::RouteTable>>,
    pub internet_gateways: Vec<Located<ec2::InternetGateway>>,
    pub egress_only_internet_gateways: Vec<Located<ec2::EgressOnlyInternetGateway>>,
    pub nat_gateways: Vec<Located<ec2::NatGateway>>,
    pub network_acls: Vec<Located<ec2::NetworkAcl>>,
    pub security_groups: Vec<Located<ec2::SecurityGroup>>,
    pub network_interfaces: Vec<Located<ec2::NetworkInterface>>,
    pub instances: Vec<Located<ec2::Instance>>,
    pub vpc_endpoints: Vec<Located<ec2::VpcEndpoint>>,
    pub vpc_peering_connections: Vec<Located<ec2::VpcPeeringConnection>>,
    pub prefix_lists: Vec<Located<ec2::PrefixList>>,
    pub managed_prefix_lists: Vec<Located<ec2::ManagedPrefixList>>,
    /// Entries of managed prefix lists; `resource` is the prefix list id.
    pub prefix_list_entries: Vec<Located<ec2::PrefixListEntry>>,
    pub transit_gateways: Vec<Located<ec2::TransitGateway>>,
    pub transit_gateway_attachments: Vec<Located<ec2::TransitGatewayAttachment>>,
    pub transit_gateway_vpc_attachments: Vec<Located<ec2::TransitGatewayVpcAttachment>>,
    pub transit_gateway_route_tables: Vec<Located<ec2::TransitGatewayRouteTable>>,
    /// Routes of TGW route tables; `resource` is the TGW route table id.
    pub transit_gateway_routes: Vec<Located<ec2::TransitGatewayRoute>>,
    /// Route tables for which a `search-transit-gateway-routes` file was present (even if empty).
    pub transit_gateway_route_tables_searched: Vec<String>,
    /// `resource` is the TGW route table id.
    pub transit_gateway_associations: Vec<Located<ec2::TgwRouteTableLink>>,
    /// `resource` is the TGW route table id.
    pub transit_gateway_propagations: Vec<Located<ec2::TgwRouteTableLink>>,
}

#[derive(Debug, Default)]
pub struct SageMaker {
    pub notebook_instances: Vec<Located<sagemaker::NotebookInstance>>,
    pub training_jobs: Vec<Located<sagemaker::TrainingJob>>,
    pub processing_jobs: Vec<Located<sagemaker::ProcessingJob>>,
    pub models: Vec<Located<sagemaker::Model>>,
    pub domains: Vec<Located<sagemaker::Domain>>,
}

/// The typed content of a snapshot, with every problem met while reading it.
#[derive(Debug, Default)]
pub struct Inventory {
    pub ec2: Ec2,
    pub sagemaker: SageMaker,
    /// Indexing and reading problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files_read: usize,
}

fn locate<T>(f: &FileEntry, item: T) -> Located<T> {
    Located { account: f.account.clone(), region: f.region.clone(), file: f.rel.clone(), resource: f.resource.clone(), item }
}

impl Inventory {
    /// Reads every recognised file. Never fails: problems become diagnostics. The two largest
    /// listings (interfaces and instances) are read on a second thread.
    pub fn load(snap: &Snapshot) -> Inventory {
        let mut inv = Inventory { diagnostics: snap.diagnostics.clone(), ..Inventory::default() };
        let mut read = 0usize;
        let side = std::thread::scope(|sc| {
            let worker = sc.spawn(|| {
                let mut d = Vec::new();
                let (enis, n1) = read_list::<ec2::NetworkInterface>(snap, "describe-network-interfaces", &mut d);
                let (sgs, n2) = read_list::<ec2::SecurityGroup>(snap, "describe-security-groups", &mut d);
                (enis, sgs, n1 + n2, d)
            });
            let d = &mut inv.diagnostics;
            macro_rules! ec2_list {
                ($field:ident, $cmd:literal) => {{
                    let (v, n) = read_list(snap, $cmd, d);
                    inv.ec2.$field = v;
                    read += n;
                }};
            }
            ec2_list!(vpcs, "describe-vpcs");
            ec2_list!(subnets, "describe-subnets");
            ec2_list!(route_tables, "describe-route-tables");
            ec2_list!(internet_gateways, "describe-internet-gateways");
            ec2_list!(egress_only_internet_gateways, "describe-egress-only-internet-gateways");
            ec2_list!(nat_gateways, "describe-nat-gateways");
            ec2_list!(network_acls, "describe-network-acls");
            ec2_list!(vpc_endpoints, "describe-vpc-endpoints");
            ec2_list!(vpc_peering_connections, "describe-vpc-peering-connections");
            ec2_list!(prefix_lists, "describe-prefix-lists");
            ec2_list!(managed_prefix_lists, "describe-managed-prefix-lists");
            ec2_list!(prefix_list_entries, "get-managed-prefix-list-entries");
            ec2_list!(transit_gateways, "describe-transit-gateways");
            ec2_list!(transit_gateway_attachments, "describe-transit-gateway-attachments");
            ec2_list!(transit_gateway_vpc_attachments, "describe-transit-gateway-vpc-attachments");
            ec2_list!(transit_gateway_route_tables, "describe-transit-gateway-route-tables");
            ec2_list!(transit_gateway_routes, "search-transit-gateway-routes");
            ec2_list!(transit_gateway_associations, "get-transit-gateway-route-table-associations");
            ec2_list!(transit_gateway_propagations, "get-transit-gateway-route-table-propagations");
            for f in snap.files_for("ec2", "describe-instances") {
                read += 1;
                match snap.try_items::<ec2::ReservationWithInstances>(f, "Reservations") {
                    Some(rs) => inv.ec2.instances.extend(rs.into_iter().flat_map(|r| r.instances).map(|i| locate(f, i))),
                    None => {
                        let pairs: Vec<(ec2::Reservation, ec2::Instance)> = snap.nested_items(f, "Reservations", "Instances", d);
                        inv.ec2.instances.extend(pairs.into_iter().map(|(_, i)| locate(f, i)));
                    }
                }
            }
            read += load_objects(snap, "describe-notebook-instance", &mut inv.sagemaker.notebook_instances, d);
            read += load_objects(snap, "describe-training-job", &mut inv.sagemaker.training_jobs, d);
            read += load_objects(snap, "describe-processing-job", &mut inv.sagemaker.processing_jobs, d);
            read += load_objects(snap, "describe-model", &mut inv.sagemaker.models, d);
            read += load_objects(snap, "describe-domain", &mut inv.sagemaker.domains, d);
            worker.join()
        });
        match side {
            Ok((enis, sgs, n, mut d)) => {
                inv.ec2.network_interfaces = enis;
                inv.ec2.security_groups = sgs;
                read += n;
                inv.diagnostics.append(&mut d);
            }
            Err(_) => inv.diagnostics.push(Diagnostic::error("", "", "internal error while reading network interfaces and security groups; they are missing from the analysis")),
        }
        inv.ec2.transit_gateway_route_tables_searched = snap.files_for("ec2", "search-transit-gateway-routes").filter_map(|f| f.resource.clone()).collect();
        let first = snap.diagnostics.len();
        inv.diagnostics[first..].sort_by(|a, b| a.file.cmp(&b.file));
        inv.files_read = read;
        inv
    }
}

/// Every element of one ec2 listing command, over all its files and pages.
fn read_list<T: DeserializeOwned>(snap: &Snapshot, cmd: &str, d: &mut Vec<Diagnostic>) -> (Vec<Located<T>>, usize) {
    let key = commands::lookup("ec2", cmd).and_then(|c| c.list_key).unwrap_or_default();
    let mut out = Vec::new();
    let mut n = 0;
    for f in snap.files_for("ec2", cmd) {
        n += 1;
        out.extend(snap.items(f, key, d).into_iter().map(|i| locate(f, i)));
    }
    (out, n)
}

fn load_objects<T: DeserializeOwned>(snap: &Snapshot, cmd: &str, out: &mut Vec<Located<T>>, d: &mut Vec<Diagnostic>) -> usize {
    let mut n = 0;
    for f in snap.files_for("sagemaker", cmd) {
        n += 1;
        if let Some(item) = snap.object(f, d) {
            out.push(locate(f, item));
        }
    }
    n
}
