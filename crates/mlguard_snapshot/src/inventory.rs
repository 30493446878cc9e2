//! Everything the analyses read from a snapshot, typed and located.

use crate::{commands, detection, ec2, iam, s3, sagemaker, waf, Diagnostic, FileEntry, Snapshot};
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

impl<T> Located<T> {
    /// Whether this came from the resource folder `resource` of `account` (in any region).
    pub fn is_for(&self, account: &str, resource: &str) -> bool {
        self.account == account && self.resource.as_deref() == Some(resource)
    }

    /// Whether this came from the resource folder `resource` of `account` in `region`.
    pub fn is_for_in(&self, account: &str, region: &str, resource: &str) -> bool {
        self.region == region && self.is_for(account, resource)
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

/// SageMaker: `describe-*` responses (one per resource folder) and the account-wide listings.
/// A listing says what exists; the matching `describe-*` says how it is configured, and may be
/// missing for some resources.
#[derive(Debug, Default)]
pub struct SageMaker {
    pub notebook_instances: Vec<Located<sagemaker::NotebookInstance>>,
    pub training_jobs: Vec<Located<sagemaker::TrainingJob>>,
    pub processing_jobs: Vec<Located<sagemaker::ProcessingJob>>,
    pub models: Vec<Located<sagemaker::Model>>,
    pub domains: Vec<Located<sagemaker::Domain>>,
    pub endpoint_configs: Vec<Located<sagemaker::EndpointConfig>>,
    pub endpoints: Vec<Located<sagemaker::Endpoint>>,
    pub model_packages: Vec<Located<sagemaker::ModelPackage>>,
    pub monitoring_schedules: Vec<Located<sagemaker::MonitoringSchedule>>,
    /// `list-model-packages`; `resource` is the model package group name.
    pub model_package_summaries: Vec<Located<sagemaker::ModelPackageSummary>>,
    pub notebook_instance_list: Vec<Located<sagemaker::NotebookInstanceSummary>>,
    pub training_job_list: Vec<Located<sagemaker::TrainingJobSummary>>,
    pub processing_job_list: Vec<Located<sagemaker::ProcessingJobSummary>>,
    pub model_list: Vec<Located<sagemaker::ModelSummary>>,
    pub endpoint_config_list: Vec<Located<sagemaker::EndpointConfigSummary>>,
    pub endpoint_list: Vec<Located<sagemaker::EndpointSummary>>,
    pub domain_list: Vec<Located<sagemaker::DomainSummary>>,
    pub model_package_groups: Vec<Located<sagemaker::ModelPackageGroupSummary>>,
    pub monitoring_schedule_list: Vec<Located<sagemaker::MonitoringScheduleSummary>>,
}

impl SageMaker {
    /// The endpoint configuration an endpoint runs, from the same account and region.
    pub fn endpoint_config_of(&self, endpoint: &Located<sagemaker::Endpoint>) -> Option<&Located<sagemaker::EndpointConfig>> {
        let name = endpoint.endpoint_config_name.as_deref()?;
        self.endpoint_configs.iter().find(|c| c.account == endpoint.account && c.region == endpoint.region && c.endpoint_config_name == name)
    }
}

/// S3. Per-bucket responses have the bucket name as `resource`; [`S3::bucket_config`] gathers
/// them. A missing response means the call was not collected, or failed because the setting
/// does not exist (no policy, no tags, no Object Lock, no bucket-level public access block).
#[derive(Debug, Default)]
pub struct S3 {
    /// `list-buckets`, in whatever region it was collected.
    pub buckets: Vec<Located<s3::Bucket>>,
    pub versioning: Vec<Located<s3::BucketVersioning>>,
    pub object_lock: Vec<Located<s3::ObjectLockConfiguration>>,
    pub policies: Vec<Located<s3::BucketPolicy>>,
    pub public_access_blocks: Vec<Located<s3::PublicAccessBlockConfiguration>>,
    pub encryption: Vec<Located<s3::ServerSideEncryptionConfiguration>>,
    pub logging: Vec<Located<s3::BucketLogging>>,
    pub tagging: Vec<Located<s3::BucketTagging>>,
    /// `s3control get-public-access-block`: the account-level setting.
    pub account_public_access_blocks: Vec<Located<s3::PublicAccessBlockConfiguration>>,
}

/// The per-bucket responses of one bucket; `None` where no file was read.
#[derive(Debug, Clone, Copy, Default)]
pub struct BucketConfig<'a> {
    pub versioning: Option<&'a Located<s3::BucketVersioning>>,
    pub object_lock: Option<&'a Located<s3::ObjectLockConfiguration>>,
    pub policy: Option<&'a Located<s3::BucketPolicy>>,
    pub public_access_block: Option<&'a Located<s3::PublicAccessBlockConfiguration>>,
    pub encryption: Option<&'a Located<s3::ServerSideEncryptionConfiguration>>,
    pub logging: Option<&'a Located<s3::BucketLogging>>,
    pub tagging: Option<&'a Located<s3::BucketTagging>>,
}

impl S3 {
    /// Everything read about `bucket` of `account`. Bucket names are global, so the region
    /// folder the files were collected under does not matter.
    pub fn bucket_config(&self, account: &str, bucket: &str) -> BucketConfig<'_> {
        fn one<'a, T>(v: &'a [Located<T>], account: &str, bucket: &str) -> Option<&'a Located<T>> {
            v.iter().find(|x| x.is_for(account, bucket))
        }
        BucketConfig {
            versioning: one(&self.versioning, account, bucket),
            object_lock: one(&self.object_lock, account, bucket),
            policy: one(&self.policies, account, bucket),
            public_access_block: one(&self.public_access_blocks, account, bucket),
            encryption: one(&self.encryption, account, bucket),
            logging: one(&self.logging, account, bucket),
            tagging: one(&self.tagging, account, bucket),
        }
    }

    /// The account-level Block Public Access setting of `account`, if collected.
    pub fn account_public_access_block(&self, account: &str) -> Option<&Located<s3::PublicAccessBlockConfiguration>> {
        self.account_public_access_blocks.iter().find(|x| x.account == account)
    }
}

/// IAM, from `get-account-authorization-details` (all pages merged per listing).
#[derive(Debug, Default)]
pub struct Iam {
    pub users: Vec<Located<iam::UserDetail>>,
    pub groups: Vec<Located<iam::GroupDetail>>,
    pub roles: Vec<Located<iam::RoleDetail>>,
    pub policies: Vec<Located<iam::ManagedPolicyDetail>>,
}

impl Iam {
    /// A managed policy by ARN.
    pub fn policy(&self, arn: &str) -> Option<&Located<iam::ManagedPolicyDetail>> {
        self.policies.iter().find(|p| p.arn == arn)
    }

    /// A role by ARN.
    pub fn role(&self, arn: &str) -> Option<&Located<iam::RoleDetail>> {
        self.roles.iter().find(|r| r.arn == arn)
    }
}

/// GuardDuty, Macie and CloudTrail.
#[derive(Debug, Default)]
pub struct Detection {
    /// `guardduty list-detectors`: one detector id per region where GuardDuty was set up.
    pub guardduty_detector_ids: Vec<Located<String>>,
    /// `guardduty get-detector`; `resource` is the detector id.
    pub guardduty_detectors: Vec<Located<detection::Detector>>,
    /// `macie2 get-macie-session`, per region where Macie is enabled.
    pub macie_sessions: Vec<Located<detection::MacieSession>>,
    pub macie_classification_jobs: Vec<Located<detection::ClassificationJob>>,
    /// `macie2 get-automated-discovery-configuration`, per region.
    pub macie_automated_discovery: Vec<Located<detection::AutomatedDiscovery>>,
    /// `macie2 get-classification-scope`, per region.
    pub macie_classification_scopes: Vec<Located<detection::ClassificationScope>>,
    /// `cloudtrail describe-trails`.
    pub trails: Vec<Located<detection::Trail>>,
    /// `get-trail-status`; `resource` is the trail name.
    pub trail_statuses: Vec<Located<detection::TrailStatus>>,
    /// `get-event-selectors`; `resource` is the trail name.
    pub event_selectors: Vec<Located<detection::EventSelectors>>,
}

impl Detection {
    /// The `get-detector` response for each listed detector id of `account` in `region`.
    pub fn detectors_in<'a>(&'a self, account: &'a str, region: &'a str) -> impl Iterator<Item = &'a Located<detection::Detector>> + 'a {
        self.guardduty_detectors.iter().filter(move |d| d.account == account && d.region == region)
    }

    /// The status of a trail: from the trail's folder in the same region, else in its home
    /// region (a multi-region trail is often only queried where it was created).
    pub fn trail_status(&self, trail: &Located<detection::Trail>) -> Option<&Located<detection::TrailStatus>> {
        per_trail(&self.trail_statuses, trail)
    }

    /// The event selectors of a trail, found like [`Detection::trail_status`].
    pub fn trail_event_selectors(&self, trail: &Located<detection::Trail>) -> Option<&Located<detection::EventSelectors>> {
        per_trail(&self.event_selectors, trail)
    }
}

fn per_trail<'a, T>(v: &'a [Located<T>], trail: &Located<detection::Trail>) -> Option<&'a Located<T>> {
    v.iter().find(|s| s.is_for_in(&trail.account, &trail.region, &trail.name)).or_else(|| {
        let home = trail.home_region.as_deref()?;
        v.iter().find(|s| s.is_for_in(&trail.account, home, &trail.name))
    })
}

/// WAF web ACLs and what they can sit in front of.
#[derive(Debug, Default)]
pub struct Waf {
    /// `wafv2 list-web-acls`; region `global` is the CloudFront scope.
    pub web_acl_list: Vec<Located<waf::WebAclSummary>>,
    /// `wafv2 get-web-acl`, unwrapped from `WebACL`.
    pub web_acls: Vec<Located<waf::WebAcl>>,
    /// `wafv2 list-resources-for-web-acl`: one ARN per element; `resource` is the web ACL
    /// folder (its name or id).
    pub web_acl_resources: Vec<Located<String>>,
    pub rest_apis: Vec<Located<waf::RestApi>>,
    /// `apigateway get-stages`; `resource` is the REST API id.
    pub stages: Vec<Located<waf::Stage>>,
    /// `apigateway get-resources --embed methods`; `resource` is the REST API id.
    pub api_resources: Vec<Located<waf::ApiResource>>,
    /// `cloudfront list-distributions` (region `global`).
    pub distributions: Vec<Located<waf::Distribution>>,
    pub load_balancers: Vec<Located<waf::LoadBalancer>>,
}

impl Waf {
    /// The ARNs a web ACL is associated with, from the folder named after its name or id in
    /// the same account and region.
    pub fn resources_of<'a>(&'a self, acl: &'a Located<waf::WebAcl>) -> impl Iterator<Item = &'a str> + 'a {
        self.web_acl_resources
            .iter()
            .filter(move |r| r.is_for_in(&acl.account, &acl.region, &acl.name) || r.is_for_in(&acl.account, &acl.region, &acl.id))
            .map(|r| r.item.as_str())
    }

    /// The stages of a REST API.
    pub fn stages_of<'a>(&'a self, api: &'a Located<waf::RestApi>) -> impl Iterator<Item = &'a Located<waf::Stage>> + 'a {
        self.stages.iter().filter(move |s| s.is_for_in(&api.account, &api.region, &api.id))
    }
}

/// The typed content of a snapshot, with every problem met while reading it.
#[derive(Debug, Default)]
pub struct Inventory {
    pub ec2: Ec2,
    pub sagemaker: SageMaker,
    pub s3: S3,
    pub iam: Iam,
    pub detection: Detection,
    pub waf: Waf,
    /// Indexing and reading problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files_read: usize,
    /// Which calls the snapshot holds an answer for: (account, region, service, command). Lets a
    /// control tell "answered with an empty list" from "never collected".
    pub collected: std::collections::BTreeSet<(String, String, String, String)>,
    /// `manifest.json` of a collected snapshot (`mlguard collect`); `None` for one written by hand.
    pub manifest: Option<crate::manifest::Manifest>,
}

impl Inventory {
    /// Whether the snapshot holds an answer of `service command` for this account and region.
    pub fn collected(&self, account: &str, region: &str, service: &str, command: &str) -> bool {
        self.collected.contains(&(account.to_string(), region.to_string(), service.to_string(), command.to_string()))
    }
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
                let (enis, n1) = read_list::<ec2::NetworkInterface>(snap, "ec2", "describe-network-interfaces", &mut d);
                let (sgs, n2) = read_list::<ec2::SecurityGroup>(snap, "ec2", "describe-security-groups", &mut d);
                (enis, sgs, n1 + n2, d)
            });
            let d = &mut inv.diagnostics;
            macro_rules! ec2_list {
                ($field:ident, $cmd:literal) => {{
                    let (v, n) = read_list(snap, "ec2", $cmd, d);
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
            read += load_sagemaker(snap, &mut inv.sagemaker, d);
            read += load_s3(snap, &mut inv.s3, d);
            read += load_iam(snap, &mut inv.iam, d);
            read += load_detection(snap, &mut inv.detection, d);
            read += load_waf(snap, &mut inv.waf, d);
            worker.join()
        });
        match side {
            Ok((enis, sgs, n, mut d)) => {
                inv.ec2.network_interfaces = enis;
                inv.ec2.security_groups = sgs;
                read += n;
                inv.diagnostics.append(&mut d);
            }
            Err(_) => inv.diagnostics.push(Diagnostic::error(
                "",
                "",
                "internal error while reading network interfaces and security groups; they are missing from the analysis",
            )),
        }
        inv.ec2.transit_gateway_route_tables_searched = snap.files_for("ec2", "search-transit-gateway-routes").filter_map(|f| f.resource.clone()).collect();
        let first = snap.diagnostics.len();
        inv.diagnostics[first..].sort_by(|a, b| a.file.cmp(&b.file));
        inv.files_read = read;
        inv.collected = snap.files.iter().map(|f| (f.account.clone(), f.region.clone(), f.service.clone(), f.command.clone())).collect();
        read_manifest(snap, &mut inv);
        inv
    }
}

/// Every element of one listing command, over all its files and pages.
fn read_list<T: DeserializeOwned>(snap: &Snapshot, service: &str, cmd: &str, d: &mut Vec<Diagnostic>) -> (Vec<Located<T>>, usize) {
    let key = commands::lookup(service, cmd).and_then(|c| c.list_key).unwrap_or_default();
    let mut out = Vec::new();
    let mut n = 0;
    for f in snap.files_for(service, cmd) {
        n += 1;
        out.extend(snap.items(f, key, d).into_iter().map(|i| locate(f, i)));
    }
    (out, n)
}

/// Appends every element of one listing command to `out`; returns the number of files read.
fn list_into<T: DeserializeOwned>(snap: &Snapshot, service: &str, cmd: &str, out: &mut Vec<Located<T>>, d: &mut Vec<Diagnostic>) -> usize {
    let (mut v, n) = read_list(snap, service, cmd, d);
    out.append(&mut v);
    n
}

/// Appends every whole-object response of one command to `out`.
fn load_objects<T: DeserializeOwned>(snap: &Snapshot, service: &str, cmd: &str, out: &mut Vec<Located<T>>, d: &mut Vec<Diagnostic>) -> usize {
    load_objects_as(snap, service, cmd, out, d, |t: T| t)
}

/// Like [`load_objects`], keeping `unwrap(response)` (the object inside a one-key wrapper).
fn load_objects_as<R: DeserializeOwned, T>(
    snap: &Snapshot,
    service: &str,
    cmd: &str,
    out: &mut Vec<Located<T>>,
    d: &mut Vec<Diagnostic>,
    unwrap: impl Fn(R) -> T,
) -> usize {
    let mut n = 0;
    for f in snap.files_for(service, cmd) {
        n += 1;
        if let Some(item) = snap.object::<R>(f, d) {
            out.push(locate(f, unwrap(item)));
        }
    }
    n
}

fn load_sagemaker(snap: &Snapshot, sm: &mut SageMaker, d: &mut Vec<Diagnostic>) -> usize {
    const S: &str = "sagemaker";
    let mut n = 0;
    n += load_objects(snap, S, "describe-notebook-instance", &mut sm.notebook_instances, d);
    n += load_objects(snap, S, "describe-training-job", &mut sm.training_jobs, d);
    n += load_objects(snap, S, "describe-processing-job", &mut sm.processing_jobs, d);
    n += load_objects(snap, S, "describe-model", &mut sm.models, d);
    n += load_objects(snap, S, "describe-domain", &mut sm.domains, d);
    n += load_objects(snap, S, "describe-endpoint-config", &mut sm.endpoint_configs, d);
    n += load_objects(snap, S, "describe-endpoint", &mut sm.endpoints, d);
    n += load_objects(snap, S, "describe-model-package", &mut sm.model_packages, d);
    n += load_objects(snap, S, "describe-monitoring-schedule", &mut sm.monitoring_schedules, d);
    n += list_into(snap, S, "list-model-packages", &mut sm.model_package_summaries, d);
    n += list_into(snap, S, "list-notebook-instances", &mut sm.notebook_instance_list, d);
    n += list_into(snap, S, "list-training-jobs", &mut sm.training_job_list, d);
    n += list_into(snap, S, "list-processing-jobs", &mut sm.processing_job_list, d);
    n += list_into(snap, S, "list-models", &mut sm.model_list, d);
    n += list_into(snap, S, "list-endpoint-configs", &mut sm.endpoint_config_list, d);
    n += list_into(snap, S, "list-endpoints", &mut sm.endpoint_list, d);
    n += list_into(snap, S, "list-domains", &mut sm.domain_list, d);
    n += list_into(snap, S, "list-model-package-groups", &mut sm.model_package_groups, d);
    n += list_into(snap, S, "list-monitoring-schedules", &mut sm.monitoring_schedule_list, d);
    n
}

fn load_s3(snap: &Snapshot, s3: &mut S3, d: &mut Vec<Diagnostic>) -> usize {
    const S: &str = "s3";
    let mut n = 0;
    n += list_into(snap, S, "list-buckets", &mut s3.buckets, d);
    n += load_objects(snap, S, "get-bucket-versioning", &mut s3.versioning, d);
    n += load_objects_as(snap, S, "get-object-lock-configuration", &mut s3.object_lock, d, |r: s3::ObjectLockResponse| r.object_lock_configuration);
    n += load_objects(snap, S, "get-bucket-policy", &mut s3.policies, d);
    n += load_objects_as(snap, S, "get-public-access-block", &mut s3.public_access_blocks, d, |r: s3::PublicAccessBlockResponse| {
        r.public_access_block_configuration
    });
    n += load_objects_as(snap, S, "get-bucket-encryption", &mut s3.encryption, d, |r: s3::EncryptionResponse| r.server_side_encryption_configuration);
    n += load_objects(snap, S, "get-bucket-logging", &mut s3.logging, d);
    n += load_objects(snap, S, "get-bucket-tagging", &mut s3.tagging, d);
    n += load_objects_as(snap, "s3control", "get-public-access-block", &mut s3.account_public_access_blocks, d, |r: s3::PublicAccessBlockResponse| {
        r.public_access_block_configuration
    });
    n
}

/// `get-account-authorization-details`: each page in one typed pass over its four listings;
/// a page with a bad element is read listing by listing, element by element.
fn load_iam(snap: &Snapshot, out: &mut Iam, d: &mut Vec<Diagnostic>) -> usize {
    let mut n = 0;
    for f in snap.files_for("iam", "get-account-authorization-details") {
        n += 1;
        let page = match snap.try_object::<iam::AuthorizationDetails>(f) {
            Some(p) => p,
            // Not a JSON object at all: say so once, not once per listing.
            None if snap.object::<std::collections::HashMap<String, serde::de::IgnoredAny>>(f, d).is_none() => continue,
            None => iam::AuthorizationDetails {
                user_detail_list: snap.optional_items(f, "UserDetailList", d),
                group_detail_list: snap.optional_items(f, "GroupDetailList", d),
                role_detail_list: snap.optional_items(f, "RoleDetailList", d),
                policies: snap.optional_items(f, "Policies", d),
            },
        };
        out.users.extend(page.user_detail_list.into_iter().map(|x| locate(f, x)));
        out.groups.extend(page.group_detail_list.into_iter().map(|x| locate(f, x)));
        out.roles.extend(page.role_detail_list.into_iter().map(|x| locate(f, x)));
        out.policies.extend(page.policies.into_iter().map(|x| locate(f, x)));
    }
    n
}

fn load_detection(snap: &Snapshot, det: &mut Detection, d: &mut Vec<Diagnostic>) -> usize {
    let mut n = 0;
    n += list_into(snap, "guardduty", "list-detectors", &mut det.guardduty_detector_ids, d);
    n += load_objects(snap, "guardduty", "get-detector", &mut det.guardduty_detectors, d);
    n += load_objects(snap, "macie2", "get-macie-session", &mut det.macie_sessions, d);
    n += list_into(snap, "macie2", "list-classification-jobs", &mut det.macie_classification_jobs, d);
    n += load_objects(snap, "macie2", "get-automated-discovery-configuration", &mut det.macie_automated_discovery, d);
    n += load_objects(snap, "macie2", "get-classification-scope", &mut det.macie_classification_scopes, d);
    n += list_into(snap, "cloudtrail", "describe-trails", &mut det.trails, d);
    n += load_objects(snap, "cloudtrail", "get-trail-status", &mut det.trail_statuses, d);
    n += load_objects(snap, "cloudtrail", "get-event-selectors", &mut det.event_selectors, d);
    n
}

fn load_waf(snap: &Snapshot, w: &mut Waf, d: &mut Vec<Diagnostic>) -> usize {
    let mut n = 0;
    n += list_into(snap, "wafv2", "list-web-acls", &mut w.web_acl_list, d);
    n += load_objects_as(snap, "wafv2", "get-web-acl", &mut w.web_acls, d, |r: waf::WebAclResponse| r.web_acl);
    n += list_into(snap, "wafv2", "list-resources-for-web-acl", &mut w.web_acl_resources, d);
    n += list_into(snap, "apigateway", "get-rest-apis", &mut w.rest_apis, d);
    n += list_into(snap, "apigateway", "get-stages", &mut w.stages, d);
    n += list_into(snap, "apigateway", "get-resources", &mut w.api_resources, d);
    n += list_into(snap, "cloudfront", "list-distributions", &mut w.distributions, d);
    n += list_into(snap, "elbv2", "describe-load-balancers", &mut w.load_balancers, d);
    n
}

/// Reads `manifest.json` and reports, as warnings, every call it says could not be read:
/// one warning per command, place and error code, counting the resources it concerns.
fn read_manifest(snap: &Snapshot, inv: &mut Inventory) {
    let m = match crate::manifest::read(&snap.root) {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => {
            inv.diagnostics.push(Diagnostic::error("manifest.json", "", format!("{e}; what `mlguard collect` could not read is unknown")));
            return;
        }
    };
    if let Some(s) = &m.stopped {
        inv.diagnostics.push(Diagnostic::warning("manifest.json", "", format!("collection stopped early ({}: {}); calls not attempted are listed below", s.error_code, s.message)));
    }
    // (account, region, service, command, reason) → (calls, first resource).
    type CallKey = (String, String, String, String, String);
    let mut groups: std::collections::BTreeMap<CallKey, (usize, String)> = std::collections::BTreeMap::new();
    for c in m.calls.iter().filter(|c| c.outcome.is_missing()) {
        let key = (c.account.clone(), c.region.clone(), c.service.clone(), c.command.clone(), c.reason());
        let e = groups.entry(key).or_insert((0, c.resource.clone().unwrap_or_default()));
        e.0 += 1;
    }
    for ((account, region, service, command, reason), (n, first)) in groups {
        let what = match (n, first.is_empty()) {
            (1, true) => String::new(),
            (1, false) => format!(" for `{first}`"),
            _ => format!(" for {n} resources (first `{first}`)"),
        };
        inv.diagnostics.push(Diagnostic::warning("manifest.json", "", format!("not collected: {service} {command} in {account}/{region}{what}: {reason}")));
    }
    inv.manifest = Some(m);
}
