//! What is read, service by service, and where it is written.
//!
//! Every function here reads one service in one place (a region, or the account for the global
//! services) and writes the files `mlguard_snapshot` reads, named by the AWS CLI command that
//! prints the same response. Calls that depend on an earlier answer (a bucket's policy, a
//! notebook's description) run after it, concurrently with each other; [`Run`] bounds how many
//! are in flight.

use crate::json::{decode_iam_documents, ToJson};
use crate::run::{At, Run};
use aws_types::SdkConfig;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use tokio::task::JoinSet;

/// Everything the collector calls, as `(service, CLI command, IAM action)`. The IAM policy in
/// docs/collect-iam-policy.json allows exactly these actions (a test checks it), and the
/// moto test checks that every call a collection makes is listed here.
pub const CALLS: &[(&str, &str, &str)] = &[
    ("sts", "get-caller-identity", "sts:GetCallerIdentity"),
    ("ec2", "describe-regions", "ec2:DescribeRegions"),
    ("ec2", "describe-vpcs", "ec2:DescribeVpcs"),
    ("ec2", "describe-subnets", "ec2:DescribeSubnets"),
    ("ec2", "describe-route-tables", "ec2:DescribeRouteTables"),
    ("ec2", "describe-internet-gateways", "ec2:DescribeInternetGateways"),
    ("ec2", "describe-egress-only-internet-gateways", "ec2:DescribeEgressOnlyInternetGateways"),
    ("ec2", "describe-nat-gateways", "ec2:DescribeNatGateways"),
    ("ec2", "describe-network-acls", "ec2:DescribeNetworkAcls"),
    ("ec2", "describe-security-groups", "ec2:DescribeSecurityGroups"),
    ("ec2", "describe-network-interfaces", "ec2:DescribeNetworkInterfaces"),
    ("ec2", "describe-instances", "ec2:DescribeInstances"),
    ("ec2", "describe-vpc-endpoints", "ec2:DescribeVpcEndpoints"),
    ("ec2", "describe-vpc-peering-connections", "ec2:DescribeVpcPeeringConnections"),
    ("ec2", "describe-prefix-lists", "ec2:DescribePrefixLists"),
    ("ec2", "describe-managed-prefix-lists", "ec2:DescribeManagedPrefixLists"),
    ("ec2", "get-managed-prefix-list-entries", "ec2:GetManagedPrefixListEntries"),
    ("ec2", "describe-transit-gateways", "ec2:DescribeTransitGateways"),
    ("ec2", "describe-transit-gateway-attachments", "ec2:DescribeTransitGatewayAttachments"),
    ("ec2", "describe-transit-gateway-vpc-attachments", "ec2:DescribeTransitGatewayVpcAttachments"),
    ("ec2", "describe-transit-gateway-peering-attachments", "ec2:DescribeTransitGatewayPeeringAttachments"),
    ("ec2", "describe-transit-gateway-route-tables", "ec2:DescribeTransitGatewayRouteTables"),
    ("ec2", "search-transit-gateway-routes", "ec2:SearchTransitGatewayRoutes"),
    ("ec2", "get-transit-gateway-route-table-associations", "ec2:GetTransitGatewayRouteTableAssociations"),
    ("ec2", "get-transit-gateway-route-table-propagations", "ec2:GetTransitGatewayRouteTablePropagations"),
    ("s3", "list-buckets", "s3:ListAllMyBuckets"),
    ("s3", "get-bucket-location", "s3:GetBucketLocation"),
    ("s3", "get-bucket-versioning", "s3:GetBucketVersioning"),
    ("s3", "get-object-lock-configuration", "s3:GetBucketObjectLockConfiguration"),
    ("s3", "get-bucket-policy", "s3:GetBucketPolicy"),
    ("s3", "get-public-access-block", "s3:GetBucketPublicAccessBlock"),
    ("s3", "get-bucket-encryption", "s3:GetEncryptionConfiguration"),
    ("s3", "get-bucket-logging", "s3:GetBucketLogging"),
    ("s3", "get-bucket-tagging", "s3:GetBucketTagging"),
    ("s3control", "get-public-access-block", "s3:GetAccountPublicAccessBlock"),
    ("iam", "get-account-authorization-details", "iam:GetAccountAuthorizationDetails"),
    ("sagemaker", "list-notebook-instances", "sagemaker:ListNotebookInstances"),
    ("sagemaker", "describe-notebook-instance", "sagemaker:DescribeNotebookInstance"),
    ("sagemaker", "list-training-jobs", "sagemaker:ListTrainingJobs"),
    ("sagemaker", "describe-training-job", "sagemaker:DescribeTrainingJob"),
    ("sagemaker", "list-processing-jobs", "sagemaker:ListProcessingJobs"),
    ("sagemaker", "describe-processing-job", "sagemaker:DescribeProcessingJob"),
    ("sagemaker", "list-models", "sagemaker:ListModels"),
    ("sagemaker", "describe-model", "sagemaker:DescribeModel"),
    ("sagemaker", "list-endpoint-configs", "sagemaker:ListEndpointConfigs"),
    ("sagemaker", "describe-endpoint-config", "sagemaker:DescribeEndpointConfig"),
    ("sagemaker", "list-endpoints", "sagemaker:ListEndpoints"),
    ("sagemaker", "describe-endpoint", "sagemaker:DescribeEndpoint"),
    ("sagemaker", "list-domains", "sagemaker:ListDomains"),
    ("sagemaker", "describe-domain", "sagemaker:DescribeDomain"),
    ("sagemaker", "list-model-package-groups", "sagemaker:ListModelPackageGroups"),
    ("sagemaker", "list-model-packages", "sagemaker:ListModelPackages"),
    ("sagemaker", "describe-model-package", "sagemaker:DescribeModelPackage"),
    ("sagemaker", "list-monitoring-schedules", "sagemaker:ListMonitoringSchedules"),
    ("sagemaker", "describe-monitoring-schedule", "sagemaker:DescribeMonitoringSchedule"),
    ("guardduty", "list-detectors", "guardduty:ListDetectors"),
    ("guardduty", "get-detector", "guardduty:GetDetector"),
    ("macie2", "get-macie-session", "macie2:GetMacieSession"),
    ("macie2", "list-classification-jobs", "macie2:ListClassificationJobs"),
    ("macie2", "get-automated-discovery-configuration", "macie2:GetAutomatedDiscoveryConfiguration"),
    ("macie2", "get-classification-scope", "macie2:GetClassificationScope"),
    ("cloudtrail", "describe-trails", "cloudtrail:DescribeTrails"),
    ("cloudtrail", "get-trail-status", "cloudtrail:GetTrailStatus"),
    ("cloudtrail", "get-event-selectors", "cloudtrail:GetEventSelectors"),
    ("wafv2", "list-web-acls", "wafv2:ListWebACLs"),
    ("wafv2", "get-web-acl", "wafv2:GetWebACL"),
    ("wafv2", "list-resources-for-web-acl", "wafv2:ListResourcesForWebACL"),
    ("apigateway", "get-rest-apis", "apigateway:GET"),
    ("apigateway", "get-stages", "apigateway:GET"),
    ("apigateway", "get-resources", "apigateway:GET"),
    ("cloudfront", "list-distributions", "cloudfront:ListDistributions"),
    ("elbv2", "describe-load-balancers", "elasticloadbalancing:DescribeLoadBalancers"),
];

/// A response body as JSON; `None` (and a note) when there is none to read.
fn body(run: &Run, raw: Option<Vec<u8>>, what: &str) -> Option<Value> {
    let Some(b) = raw else {
        run.note(format!("{what}: the response body was not kept; not written"));
        return None;
    };
    match serde_json::from_slice(&b) {
        Ok(v) => Some(v),
        Err(e) => {
            run.note(format!("{what}: response body is not JSON ({e}); not written"));
            None
        }
    }
}

/// Writes the kept bodies of a JSON-protocol call, one file per page, after `fix`.
fn write_pages<O>(run: &Run, at: &At, service: &str, resource: Option<&str>, command: &str, pages: Vec<(O, Option<Vec<u8>>)>, fix: impl Fn(&mut Value)) {
    for (i, (_, raw)) in pages.into_iter().enumerate() {
        if let Some(mut v) = body(run, raw, &format!("{service} {command}")) {
            fix(&mut v);
            run.write(at, service, resource, command, i + 1, &v);
        }
    }
}

fn no_fix(_: &mut Value) {}

fn items<T: ToJson>(key: &str, v: &[T]) -> Value {
    let mut m = Map::new();
    m.insert(key.to_owned(), v.to_json());
    Value::Object(m)
}

// ---------------------------------------------------------------- EC2

pub async fn ec2(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_ec2::Client::new(&conf);
    let mut set = JoinSet::new();
    macro_rules! listing {
        ($cmd:literal, $key:literal, $op:ident, $field:ident) => {{
            let (run, at, c) = (run.clone(), at.clone(), c.clone());
            set.spawn(async move {
                if let Some(pages) = run.paged(&at, "ec2", $cmd, None, |t, _| c.$op().set_next_token(t).send(), |o| o.next_token.clone()).await {
                    let all: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.$field.unwrap_or_default()).collect();
                    run.write(&at, "ec2", None, $cmd, 1, &items($key, &all));
                }
            });
        }};
    }
    listing!("describe-vpcs", "Vpcs", describe_vpcs, vpcs);
    listing!("describe-subnets", "Subnets", describe_subnets, subnets);
    listing!("describe-route-tables", "RouteTables", describe_route_tables, route_tables);
    listing!("describe-internet-gateways", "InternetGateways", describe_internet_gateways, internet_gateways);
    listing!("describe-egress-only-internet-gateways", "EgressOnlyInternetGateways", describe_egress_only_internet_gateways, egress_only_internet_gateways);
    listing!("describe-nat-gateways", "NatGateways", describe_nat_gateways, nat_gateways);
    listing!("describe-network-acls", "NetworkAcls", describe_network_acls, network_acls);
    listing!("describe-security-groups", "SecurityGroups", describe_security_groups, security_groups);
    listing!("describe-network-interfaces", "NetworkInterfaces", describe_network_interfaces, network_interfaces);
    listing!("describe-instances", "Reservations", describe_instances, reservations);
    listing!("describe-vpc-endpoints", "VpcEndpoints", describe_vpc_endpoints, vpc_endpoints);
    listing!("describe-vpc-peering-connections", "VpcPeeringConnections", describe_vpc_peering_connections, vpc_peering_connections);
    listing!("describe-prefix-lists", "PrefixLists", describe_prefix_lists, prefix_lists);
    listing!("describe-transit-gateways", "TransitGateways", describe_transit_gateways, transit_gateways);
    listing!("describe-transit-gateway-attachments", "TransitGatewayAttachments", describe_transit_gateway_attachments, transit_gateway_attachments);
    listing!("describe-transit-gateway-vpc-attachments", "TransitGatewayVpcAttachments", describe_transit_gateway_vpc_attachments, transit_gateway_vpc_attachments);
    listing!(
        "describe-transit-gateway-peering-attachments",
        "TransitGatewayPeeringAttachments",
        describe_transit_gateway_peering_attachments,
        transit_gateway_peering_attachments
    );

    // Customer-managed prefix lists and their entries.
    {
        let (run, at, c) = (run.clone(), at.clone(), c.clone());
        set.spawn(async move {
            let Some(pages) = run.paged(&at, "ec2", "describe-managed-prefix-lists", None, |t, _| c.describe_managed_prefix_lists().set_next_token(t).send(), |o| o.next_token.clone()).await else { return };
            let lists: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.prefix_lists.unwrap_or_default()).collect();
            run.write(&at, "ec2", None, "describe-managed-prefix-lists", 1, &items("PrefixLists", &lists));
            let mut inner = JoinSet::new();
            for id in lists.iter().filter_map(|l| l.prefix_list_id.clone()) {
                let (run, at, c) = (run.clone(), at.clone(), c.clone());
                inner.spawn(async move {
                    let r = run
                        .paged(&at, "ec2", "get-managed-prefix-list-entries", Some(&id), |t, _| c.get_managed_prefix_list_entries().prefix_list_id(&id).set_next_token(t).send(), |o| o.next_token.clone())
                        .await;
                    if let Some(pages) = r {
                        let all: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.entries.unwrap_or_default()).collect();
                        run.write(&at, "ec2", Some(&id), "get-managed-prefix-list-entries", 1, &items("Entries", &all));
                    }
                });
            }
            inner.join_all().await;
        });
    }

    // Transit gateway route tables, then each table's routes, associations and propagations.
    {
        let (run, at, c) = (run.clone(), at.clone(), c.clone());
        set.spawn(async move {
            let Some(pages) = run
                .paged(&at, "ec2", "describe-transit-gateway-route-tables", None, |t, _| c.describe_transit_gateway_route_tables().set_next_token(t).send(), |o| o.next_token.clone())
                .await
            else {
                return;
            };
            let tables: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.transit_gateway_route_tables.unwrap_or_default()).collect();
            run.write(&at, "ec2", None, "describe-transit-gateway-route-tables", 1, &items("TransitGatewayRouteTables", &tables));
            let mut inner = JoinSet::new();
            for id in tables.iter().filter_map(|t| t.transit_gateway_route_table_id.clone()) {
                let (run2, at2, c2, id2) = (run.clone(), at.clone(), c.clone(), id.clone());
                inner.spawn(async move {
                    // SearchTransitGatewayRoutes needs a filter; every route is active or a blackhole.
                    let filter = aws_sdk_ec2::types::Filter::builder().name("state").values("active").values("blackhole").build();
                    // It is not paginated: it answers at most 1,000 routes and says whether more matched.
                    let r = run2
                        .paged(&at2, "ec2", "search-transit-gateway-routes", Some(&id2), |_, _| c2.search_transit_gateway_routes().transit_gateway_route_table_id(&id2).filters(filter.clone()).max_results(1000).send(), |_| None)
                        .await;
                    if let Some(pages) = r {
                        for (o, _) in pages {
                            if o.additional_routes_available == Some(true) {
                                run2.note(format!("ec2 search-transit-gateway-routes {id2}: more than 1,000 routes; AWS returned the first 1,000 only"));
                            }
                            let mut v = items("Routes", o.routes.as_deref().unwrap_or_default());
                            v["AdditionalRoutesAvailable"] = json!(o.additional_routes_available.unwrap_or(false));
                            run2.write(&at2, "ec2", Some(&id2), "search-transit-gateway-routes", 1, &v);
                        }
                    }
                });
                let (run2, at2, c2, id2) = (run.clone(), at.clone(), c.clone(), id.clone());
                inner.spawn(async move {
                    let r = run2
                        .paged(&at2, "ec2", "get-transit-gateway-route-table-associations", Some(&id2), |t, _| c2.get_transit_gateway_route_table_associations().transit_gateway_route_table_id(&id2).set_next_token(t).send(), |o| o.next_token.clone())
                        .await;
                    if let Some(pages) = r {
                        let all: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.associations.unwrap_or_default()).collect();
                        run2.write(&at2, "ec2", Some(&id2), "get-transit-gateway-route-table-associations", 1, &items("Associations", &all));
                    }
                });
                let (run2, at2, c2, id2) = (run.clone(), at.clone(), c.clone(), id.clone());
                inner.spawn(async move {
                    let r = run2
                        .paged(&at2, "ec2", "get-transit-gateway-route-table-propagations", Some(&id2), |t, _| c2.get_transit_gateway_route_table_propagations().transit_gateway_route_table_id(&id2).set_next_token(t).send(), |o| o.next_token.clone())
                        .await;
                    if let Some(pages) = r {
                        let all: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.transit_gateway_route_table_propagations.unwrap_or_default()).collect();
                        run2.write(&at2, "ec2", Some(&id2), "get-transit-gateway-route-table-propagations", 1, &items("TransitGatewayRouteTablePropagations", &all));
                    }
                });
            }
            inner.join_all().await;
        });
    }
    set.join_all().await;
}

// ---------------------------------------------------------------- S3

/// `list-buckets` (written under `at`, the home region) and every bucket's settings, written
/// under the bucket's own region. `conf_for` gives the SDK configuration for a region.
pub async fn s3(run: Arc<Run>, at: At, conf: SdkConfig, path_style: bool, conf_for: Arc<dyn Fn(&str) -> SdkConfig + Send + Sync>) {
    let client = |conf: &SdkConfig| aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(conf).force_path_style(path_style).build());
    let c = client(&conf);
    let Some(pages) = run.paged(&at, "s3", "list-buckets", None, |t, _| c.list_buckets().set_continuation_token(t).send(), |o| o.continuation_token.clone()).await else { return };
    let mut buckets = Vec::new();
    let mut owner = None;
    for (o, _) in pages {
        owner = owner.or(o.owner);
        buckets.extend(o.buckets.unwrap_or_default());
    }
    let mut v = items("Buckets", &buckets);
    if let Some(o) = &owner {
        v["Owner"] = o.to_json();
    }
    run.write(&at, "s3", None, "list-buckets", 1, &v);

    let mut set = JoinSet::new();
    for b in buckets {
        let Some(name) = b.name.clone() else { continue };
        let (run, at, c0, conf_for) = (run.clone(), at.clone(), c.clone(), conf_for.clone());
        set.spawn(async move {
            // The bucket's region: ListBuckets says it where AWS fills `BucketRegion`, else ask.
            let region = match b.bucket_region.clone() {
                Some(r) => r,
                None => {
                    let r = run.paged(&at, "s3", "get-bucket-location", Some(&name), |_, _| c0.get_bucket_location().bucket(&name).send(), |_| None).await;
                    match r.and_then(|p| p.into_iter().next()) {
                        Some((o, _)) => match o.location_constraint.as_ref().map(|l| l.as_str().to_owned()) {
                            None => "us-east-1".to_owned(),
                            Some(l) if l.is_empty() => "us-east-1".to_owned(),
                            Some(l) if l == "EU" => "eu-west-1".to_owned(),
                            Some(l) => l,
                        },
                        None => at.region.clone(),
                    }
                }
            };
            let bat = At { account: at.account.clone(), region: region.clone() };
            let c = if region == at.region { c0 } else { aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf_for(&region)).force_path_style(path_style).build()) };
            bucket(&run, &bat, &c, &name).await;
        });
    }
    set.join_all().await;
}

async fn bucket(run: &Run, at: &At, c: &aws_sdk_s3::Client, name: &str) {
    let n = Some(name);
    if let Some(p) = run.paged(at, "s3", "get-bucket-versioning", n, |_, _| c.get_bucket_versioning().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            // The CLI prints `{}` for a bucket that was never versioned.
            let mut m = Map::new();
            if let Some(s) = &o.status {
                m.insert("Status".into(), s.to_json());
            }
            if let Some(s) = &o.mfa_delete {
                m.insert("MFADelete".into(), s.to_json());
            }
            run.write(at, "s3", n, "get-bucket-versioning", 1, &Value::Object(m));
        }
    }
    if let Some(p) = run.paged(at, "s3", "get-object-lock-configuration", n, |_, _| c.get_object_lock_configuration().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            run.write(at, "s3", n, "get-object-lock-configuration", 1, &json!({ "ObjectLockConfiguration": o.object_lock_configuration.to_json() }));
        }
    }
    if let Some(p) = run.paged(at, "s3", "get-bucket-policy", n, |_, _| c.get_bucket_policy().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            run.write(at, "s3", n, "get-bucket-policy", 1, &json!({ "Policy": o.policy }));
        }
    }
    if let Some(p) = run.paged(at, "s3", "get-public-access-block", n, |_, _| c.get_public_access_block().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            run.write(at, "s3", n, "get-public-access-block", 1, &json!({ "PublicAccessBlockConfiguration": o.public_access_block_configuration.to_json() }));
        }
    }
    if let Some(p) = run.paged(at, "s3", "get-bucket-encryption", n, |_, _| c.get_bucket_encryption().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            run.write(at, "s3", n, "get-bucket-encryption", 1, &json!({ "ServerSideEncryptionConfiguration": o.server_side_encryption_configuration.to_json() }));
        }
    }
    if let Some(p) = run.paged(at, "s3", "get-bucket-logging", n, |_, _| c.get_bucket_logging().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            let mut m = Map::new();
            if let Some(l) = &o.logging_enabled {
                m.insert("LoggingEnabled".into(), l.to_json());
            }
            run.write(at, "s3", n, "get-bucket-logging", 1, &Value::Object(m));
        }
    }
    if let Some(p) = run.paged(at, "s3", "get-bucket-tagging", n, |_, _| c.get_bucket_tagging().bucket(name).send(), |_| None).await {
        for (o, _) in p {
            run.write(at, "s3", n, "get-bucket-tagging", 1, &json!({ "TagSet": o.tag_set.to_json() }));
        }
    }
}

pub async fn s3control(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_s3control::Client::new(&conf);
    let account = at.account.clone();
    if let Some(p) = run.paged(&at, "s3control", "get-public-access-block", None, |_, _| c.get_public_access_block().account_id(&account).send(), |_| None).await {
        for (o, _) in p {
            run.write(&at, "s3control", None, "get-public-access-block", 1, &json!({ "PublicAccessBlockConfiguration": o.public_access_block_configuration.to_json() }));
        }
    }
}

// ---------------------------------------------------------------- IAM (global)

pub async fn iam(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_iam::Client::new(&conf);
    let Some(pages) = run
        .paged(&at, "iam", "get-account-authorization-details", None, |t, _| c.get_account_authorization_details().set_marker(t).send(), |o| if o.is_truncated { o.marker.clone() } else { None })
        .await
    else {
        return;
    };
    let (mut users, mut groups, mut roles, mut policies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (o, _) in pages {
        users.extend(o.user_detail_list.unwrap_or_default());
        groups.extend(o.group_detail_list.unwrap_or_default());
        roles.extend(o.role_detail_list.unwrap_or_default());
        policies.extend(o.policies.unwrap_or_default());
    }
    let mut v = json!({
        "UserDetailList": users.to_json(),
        "GroupDetailList": groups.to_json(),
        "RoleDetailList": roles.to_json(),
        "Policies": policies.to_json(),
    });
    decode_iam_documents(&mut v);
    run.write(&at, "iam", None, "get-account-authorization-details", 1, &v);
}

// ---------------------------------------------------------------- CloudFront (global)

pub async fn cloudfront(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_cloudfront::Client::new(&conf);
    let next = |o: &aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput| o.distribution_list.as_ref().filter(|l| l.is_truncated).and_then(|l| l.next_marker.clone());
    let Some(pages) = run.paged(&at, "cloudfront", "list-distributions", None, |t, _| c.list_distributions().set_marker(t).send(), next).await else { return };
    let all: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.distribution_list.and_then(|l| l.items).unwrap_or_default()).collect();
    let v = json!({ "DistributionList": { "Marker": "", "MaxItems": all.len(), "IsTruncated": false, "Quantity": all.len(), "Items": all.to_json() } });
    run.write(&at, "cloudfront", None, "list-distributions", 1, &v);
}

// ---------------------------------------------------------------- ELBv2

pub async fn elbv2(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    if let Some(pages) = run.paged(&at, "elbv2", "describe-load-balancers", None, |t, _| c.describe_load_balancers().set_marker(t).send(), |o| o.next_marker.clone()).await {
        let all: Vec<_> = pages.into_iter().flat_map(|(o, _)| o.load_balancers.unwrap_or_default()).collect();
        run.write(&at, "elbv2", None, "describe-load-balancers", 1, &items("LoadBalancers", &all));
    }
}

// ---------------------------------------------------------------- SageMaker (bodies as sent)

pub async fn sagemaker(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_sagemaker::Client::new(&conf);
    let mut set = JoinSet::new();
    // A listing, then `describe` for each name it returns, in the name's folder.
    macro_rules! list_then_describe {
        ($list_cmd:literal, $list:ident, $field:ident, $name:ident, $desc_cmd:literal, $desc:ident, $arg:ident) => {{
            let (run, at, c) = (run.clone(), at.clone(), c.clone());
            set.spawn(async move {
                let Some(pages) = run.paged(&at, "sagemaker", $list_cmd, None, |t, cap| c.$list().set_next_token(t).customize().interceptor(cap).send(), |o| o.next_token.clone()).await else { return };
                let names: Vec<String> = pages.iter().flat_map(|(o, _)| o.$field.iter().flatten()).filter_map(|s| s.$name.clone()).collect();
                write_pages(&run, &at, "sagemaker", None, $list_cmd, pages, no_fix);
                let mut inner = JoinSet::new();
                for name in names {
                    let (run, at, c) = (run.clone(), at.clone(), c.clone());
                    inner.spawn(async move {
                        if let Some(p) = run.paged(&at, "sagemaker", $desc_cmd, Some(&name), |_, cap| c.$desc().$arg(&name).customize().interceptor(cap).send(), |_| None).await {
                            write_pages(&run, &at, "sagemaker", Some(&name), $desc_cmd, p, no_fix);
                        }
                    });
                }
                inner.join_all().await;
            });
        }};
    }
    list_then_describe!("list-notebook-instances", list_notebook_instances, notebook_instances, notebook_instance_name, "describe-notebook-instance", describe_notebook_instance, notebook_instance_name);
    list_then_describe!("list-training-jobs", list_training_jobs, training_job_summaries, training_job_name, "describe-training-job", describe_training_job, training_job_name);
    list_then_describe!("list-processing-jobs", list_processing_jobs, processing_job_summaries, processing_job_name, "describe-processing-job", describe_processing_job, processing_job_name);
    list_then_describe!("list-models", list_models, models, model_name, "describe-model", describe_model, model_name);
    list_then_describe!("list-endpoint-configs", list_endpoint_configs, endpoint_configs, endpoint_config_name, "describe-endpoint-config", describe_endpoint_config, endpoint_config_name);
    list_then_describe!("list-endpoints", list_endpoints, endpoints, endpoint_name, "describe-endpoint", describe_endpoint, endpoint_name);
    list_then_describe!("list-domains", list_domains, domains, domain_id, "describe-domain", describe_domain, domain_id);
    list_then_describe!(
        "list-monitoring-schedules",
        list_monitoring_schedules,
        monitoring_schedule_summaries,
        monitoring_schedule_name,
        "describe-monitoring-schedule",
        describe_monitoring_schedule,
        monitoring_schedule_name
    );

    // Model package groups, each group's packages, and each package.
    {
        let (run, at, c) = (run.clone(), at.clone(), c.clone());
        set.spawn(async move {
            let Some(pages) = run.paged(&at, "sagemaker", "list-model-package-groups", None, |t, cap| c.list_model_package_groups().set_next_token(t).customize().interceptor(cap).send(), |o| o.next_token.clone()).await else { return };
            let groups: Vec<String> = pages.iter().flat_map(|(o, _)| o.model_package_group_summary_list.iter().flatten()).filter_map(|g| g.model_package_group_name.clone()).collect();
            write_pages(&run, &at, "sagemaker", None, "list-model-package-groups", pages, no_fix);
            let mut inner = JoinSet::new();
            for g in groups {
                let (run, at, c) = (run.clone(), at.clone(), c.clone());
                inner.spawn(async move {
                    let Some(pages) = run.paged(&at, "sagemaker", "list-model-packages", Some(&g), |t, cap| c.list_model_packages().model_package_group_name(&g).set_next_token(t).customize().interceptor(cap).send(), |o| o.next_token.clone()).await else { return };
                    let packages: Vec<(String, String)> = pages
                        .iter()
                        .flat_map(|(o, _)| o.model_package_summary_list.iter().flatten())
                        .filter_map(|p| Some((p.model_package_arn.clone()?, format!("{g}-{}", p.model_package_version.unwrap_or(0)))))
                        .collect();
                    write_pages(&run, &at, "sagemaker", Some(&g), "list-model-packages", pages, no_fix);
                    for (arn, folder) in packages {
                        if let Some(p) = run.paged(&at, "sagemaker", "describe-model-package", Some(&folder), |_, cap| c.describe_model_package().model_package_name(&arn).customize().interceptor(cap).send(), |_| None).await {
                            write_pages(&run, &at, "sagemaker", Some(&folder), "describe-model-package", p, no_fix);
                        }
                    }
                });
            }
            inner.join_all().await;
        });
    }
    set.join_all().await;
}

// ---------------------------------------------------------------- detection services

/// GuardDuty's REST API sends camelCase members (`detectorIds`) that the API model, and so the
/// CLI, names in PascalCase (`DetectorIds`); every member follows that rule. Tags are a map of
/// the user's own keys and are left alone.
fn guardduty_case(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut x) in old {
                if k != "tags" {
                    guardduty_case(&mut x);
                }
                let mut cs = k.chars();
                let key = match cs.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                    None => k,
                };
                m.insert(key, x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(guardduty_case),
        _ => {}
    }
}

pub async fn guardduty(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_guardduty::Client::new(&conf);
    let Some(pages) = run.paged(&at, "guardduty", "list-detectors", None, |t, cap| c.list_detectors().set_next_token(t).customize().interceptor(cap).send(), |o| o.next_token.clone()).await else { return };
    let ids: Vec<String> = pages.iter().flat_map(|(o, _)| o.detector_ids.iter().flatten().cloned()).collect();
    write_pages(&run, &at, "guardduty", None, "list-detectors", pages, guardduty_case);
    for id in ids {
        if let Some(p) = run.paged(&at, "guardduty", "get-detector", Some(&id), |_, cap| c.get_detector().detector_id(&id).customize().interceptor(cap).send(), |_| None).await {
            write_pages(&run, &at, "guardduty", Some(&id), "get-detector", p, guardduty_case);
        }
    }
}

pub async fn macie(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_macie2::Client::new(&conf);
    if let Some(p) = run.paged(&at, "macie2", "get-macie-session", None, |_, cap| c.get_macie_session().customize().interceptor(cap).send(), |_| None).await {
        write_pages(&run, &at, "macie2", None, "get-macie-session", p, no_fix);
    } else {
        // Without a Macie session nothing else of Macie's can be read.
        return;
    }
    if let Some(p) = run.paged(&at, "macie2", "list-classification-jobs", None, |t, cap| c.list_classification_jobs().set_next_token(t).customize().interceptor(cap).send(), |o| o.next_token.clone()).await {
        write_pages(&run, &at, "macie2", None, "list-classification-jobs", p, no_fix);
    }
    let scope = match run.paged(&at, "macie2", "get-automated-discovery-configuration", None, |_, cap| c.get_automated_discovery_configuration().customize().interceptor(cap).send(), |_| None).await {
        Some(p) => {
            let scope = p.first().and_then(|(o, _)| o.classification_scope_id.clone());
            write_pages(&run, &at, "macie2", None, "get-automated-discovery-configuration", p, no_fix);
            scope
        }
        None => None,
    };
    if let Some(id) = scope {
        if let Some(p) = run.paged(&at, "macie2", "get-classification-scope", None, |_, cap| c.get_classification_scope().id(&id).customize().interceptor(cap).send(), |_| None).await {
            write_pages(&run, &at, "macie2", None, "get-classification-scope", p, no_fix);
        }
    }
}

pub async fn cloudtrail(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_cloudtrail::Client::new(&conf);
    let Some(pages) = run.paged(&at, "cloudtrail", "describe-trails", None, |_, cap| c.describe_trails().customize().interceptor(cap).send(), |_| None).await else { return };
    // Trails of this region only: a multi-region trail is listed in every region but read
    // (and written) once, in its home region.
    let trails: Vec<(String, String)> = pages
        .iter()
        .flat_map(|(o, _)| o.trail_list.iter().flatten())
        .filter(|t| t.home_region.as_deref().is_none_or(|r| r == at.region))
        .filter_map(|t| Some((t.name.clone()?, t.trail_arn.clone().or(t.name.clone())?)))
        .collect();
    write_pages(&run, &at, "cloudtrail", None, "describe-trails", pages, no_fix);
    for (name, arn) in trails {
        if let Some(p) = run.paged(&at, "cloudtrail", "get-trail-status", Some(&name), |_, cap| c.get_trail_status().name(&arn).customize().interceptor(cap).send(), |_| None).await {
            write_pages(&run, &at, "cloudtrail", Some(&name), "get-trail-status", p, no_fix);
        }
        if let Some(p) = run.paged(&at, "cloudtrail", "get-event-selectors", Some(&name), |_, cap| c.get_event_selectors().trail_name(&arn).customize().interceptor(cap).send(), |_| None).await {
            write_pages(&run, &at, "cloudtrail", Some(&name), "get-event-selectors", p, no_fix);
        }
    }
}

// ---------------------------------------------------------------- inference front doors

/// WAF web ACLs of one scope: `REGIONAL` in a region, `CLOUDFRONT` (called in us-east-1,
/// written under `global`). Regional ACLs also list what they protect.
pub async fn wafv2(run: Arc<Run>, at: At, conf: SdkConfig, cloudfront_scope: bool) {
    use aws_sdk_wafv2::types::{ResourceType, Scope};
    let c = aws_sdk_wafv2::Client::new(&conf);
    let scope = if cloudfront_scope { Scope::Cloudfront } else { Scope::Regional };
    let sc = scope.clone();
    let Some(pages) = run.paged(&at, "wafv2", "list-web-acls", None, |t, cap| c.list_web_acls().scope(sc.clone()).set_next_marker(t).customize().interceptor(cap).send(), |o| o.next_marker.clone()).await else { return };
    let acls: Vec<(String, String, String)> = pages.iter().flat_map(|(o, _)| o.web_acls.iter().flatten()).filter_map(|a| Some((a.name.clone()?, a.id.clone()?, a.arn.clone()?))).collect();
    write_pages(&run, &at, "wafv2", None, "list-web-acls", pages, no_fix);
    for (name, id, arn) in acls {
        let sc = scope.clone();
        if let Some(p) = run.paged(&at, "wafv2", "get-web-acl", Some(&name), |_, cap| c.get_web_acl().name(&name).id(&id).scope(sc.clone()).customize().interceptor(cap).send(), |_| None).await {
            write_pages(&run, &at, "wafv2", Some(&name), "get-web-acl", p, no_fix);
        }
        if cloudfront_scope {
            // A CloudFront distribution names its web ACL itself (`WebACLId`).
            continue;
        }
        // One file listing every kind of protected resource the loader follows.
        let mut arns = Vec::new();
        let mut complete = true;
        for rt in [ResourceType::ApplicationLoadBalancer, ResourceType::ApiGateway] {
            match run.paged(&at, "wafv2", "list-resources-for-web-acl", Some(&name), |_, _| c.list_resources_for_web_acl().web_acl_arn(&arn).resource_type(rt.clone()).send(), |_| None).await {
                Some(p) => arns.extend(p.into_iter().flat_map(|(o, _)| o.resource_arns.unwrap_or_default())),
                None => complete = false,
            }
        }
        if complete {
            run.write(&at, "wafv2", Some(&name), "list-resources-for-web-acl", 1, &json!({ "ResourceArns": arns }));
        }
    }
}

/// API Gateway's REST API sends a list under `item`, which the API model (and the CLI) calls
/// `items` for `get-rest-apis` and `get-resources`; `get-stages` calls it `item` in both.
fn apigateway_items(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        if let Some(x) = m.remove("item") {
            m.insert("items".into(), x);
        }
    }
}

pub async fn apigateway(run: Arc<Run>, at: At, conf: SdkConfig) {
    let c = aws_sdk_apigateway::Client::new(&conf);
    let Some(pages) = run.paged(&at, "apigateway", "get-rest-apis", None, |t, cap| c.get_rest_apis().set_position(t).customize().interceptor(cap).send(), |o| o.position.clone()).await else { return };
    let ids: Vec<String> = pages.iter().flat_map(|(o, _)| o.items.iter().flatten()).filter_map(|a| a.id.clone()).collect();
    write_pages(&run, &at, "apigateway", None, "get-rest-apis", pages, apigateway_items);
    for id in ids {
        if let Some(p) = run.paged(&at, "apigateway", "get-stages", Some(&id), |_, cap| c.get_stages().rest_api_id(&id).customize().interceptor(cap).send(), |_| None).await {
            write_pages(&run, &at, "apigateway", Some(&id), "get-stages", p, no_fix);
        }
        if let Some(p) = run.paged(&at, "apigateway", "get-resources", Some(&id), |t, cap| c.get_resources().rest_api_id(&id).embed("methods").set_position(t).customize().interceptor(cap).send(), |o| o.position.clone()).await {
            write_pages(&run, &at, "apigateway", Some(&id), "get-resources", p, apigateway_items);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardduty_members_take_the_model_case_but_tags_keep_theirs() {
        let mut v = json!({"detectorIds": ["a"], "features": [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}], "tags": {"team": "ml"}});
        guardduty_case(&mut v);
        assert_eq!(v, json!({"DetectorIds": ["a"], "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}], "Tags": {"team": "ml"}}));
    }

    #[test]
    fn apigateway_lists_are_renamed_where_the_model_does() {
        let mut v = json!({"item": [{"id": "x"}], "position": "p"});
        apigateway_items(&mut v);
        assert_eq!(v, json!({"items": [{"id": "x"}], "position": "p"}));
    }

    #[test]
    fn every_call_is_a_command_the_loader_reads_or_a_helper_call() {
        for (svc, cmd, _) in CALLS {
            let helper = matches!((*svc, *cmd), ("sts", "get-caller-identity") | ("ec2", "describe-regions") | ("s3", "get-bucket-location"));
            assert!(helper || mlguard_snapshot::commands::lookup(svc, cmd).is_some(), "{svc} {cmd} is collected but the loader does not read it");
        }
        for c in mlguard_snapshot::commands::COMMANDS {
            assert!(CALLS.iter().any(|(s, n, _)| (*s, *n) == (c.service, c.name)), "the loader reads {} {} but collect does not call it", c.service, c.name);
        }
    }
}

#[cfg(test)]
mod policy_tests {
    use super::CALLS;
    use std::collections::BTreeSet;

    /// docs/collect-iam-policy.json allows exactly the actions `collect` needs: each action by
    /// name, no wildcard in any action, and `apigateway:GET` only on the REST API paths read.
    #[test]
    fn the_documented_policy_allows_exactly_what_collect_calls() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/collect-iam-policy.json")).unwrap_or_default();
        let policy: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let mut allowed = BTreeSet::new();
        for st in policy["Statement"].as_array().into_iter().flatten() {
            assert_eq!(st["Effect"], "Allow");
            for a in st["Action"].as_array().into_iter().flatten() {
                let a = a.as_str().unwrap_or_default();
                assert!(!a.contains('*') && !a.contains('?'), "wildcard action {a}");
                allowed.insert(a.to_owned());
                if a == "apigateway:GET" {
                    assert_ne!(st["Resource"], "*", "apigateway:GET must name the paths it reads");
                }
            }
        }
        let needed: BTreeSet<String> = CALLS.iter().map(|(_, _, a)| a.to_string()).collect();
        assert_eq!(allowed, needed, "docs/collect-iam-policy.json is out of step with collect::CALLS");
        // mlguard's own policy parser understands all of it.
        let parsed = mlguard_iam::Policy::from_value(&policy);
        assert!(parsed.as_ref().is_ok_and(|p| p.problems.is_empty()), "{parsed:?}");
    }
}
