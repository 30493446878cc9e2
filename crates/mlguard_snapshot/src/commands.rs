//! The AWS CLI commands mlguard recognises, and where each belongs in the layout.
//!
//! Every layer that reads a new call adds it here, so that an unknown file is reported
//! once, in one place.

/// Whether a call is about the whole account/region or about one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `<service>/<command>.json`
    Account,
    /// `<service>/<resource>/<command>.json`
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// The service folder name (the AWS CLI service, except that `s3api` calls live in `s3/`).
    pub service: &'static str,
    pub name: &'static str,
    pub scope: Scope,
    /// The top-level key holding the listing, for list-shaped responses.
    pub list_key: Option<&'static str>,
    /// Further top-level listings in the same response: `get-account-authorization-details`
    /// returns users, groups, roles and policies side by side, and its pages merge per key.
    pub more_list_keys: &'static [&'static str],
    /// The call is about a global service (IAM) and belongs under the region folder `global`.
    pub global: bool,
    /// The AWS CLI prints nothing at all when this response is empty (`{}`), for example
    /// `get-bucket-versioning` on a bucket that was never versioned; an empty file then reads
    /// as `{}`. For every other command an empty file is a failed call and is skipped.
    pub may_be_empty: bool,
}

impl Command {
    /// Every top-level listing key of the response, first [`Command::list_key`].
    pub fn list_keys(&self) -> impl Iterator<Item = &'static str> {
        self.list_key.into_iter().chain(self.more_list_keys.iter().copied())
    }
}

const BASE: Command = Command { service: "", name: "", scope: Scope::Account, list_key: None, more_list_keys: &[], global: false, may_be_empty: false };

/// An account-wide listing.
const fn acct(service: &'static str, name: &'static str, key: &'static str) -> Command {
    Command { service, name, scope: Scope::Account, list_key: Some(key), ..BASE }
}

/// An account-wide call that returns one object.
const fn acct_obj(service: &'static str, name: &'static str) -> Command {
    Command { service, name, scope: Scope::Account, ..BASE }
}

/// A call about one resource, listing-shaped when `key` is given.
const fn res(service: &'static str, name: &'static str, key: Option<&'static str>) -> Command {
    Command { service, name, scope: Scope::Resource, list_key: key, ..BASE }
}

/// A call about one resource whose empty response the CLI does not print.
const fn res_may_be_empty(service: &'static str, name: &'static str) -> Command {
    Command { service, name, scope: Scope::Resource, may_be_empty: true, ..BASE }
}

/// Every recognised command.
pub const COMMANDS: &[Command] = &[
    acct("ec2", "describe-vpcs", "Vpcs"),
    acct("ec2", "describe-subnets", "Subnets"),
    acct("ec2", "describe-route-tables", "RouteTables"),
    acct("ec2", "describe-internet-gateways", "InternetGateways"),
    acct("ec2", "describe-egress-only-internet-gateways", "EgressOnlyInternetGateways"),
    acct("ec2", "describe-nat-gateways", "NatGateways"),
    acct("ec2", "describe-network-acls", "NetworkAcls"),
    acct("ec2", "describe-security-groups", "SecurityGroups"),
    acct("ec2", "describe-network-interfaces", "NetworkInterfaces"),
    acct("ec2", "describe-instances", "Reservations"),
    acct("ec2", "describe-vpc-endpoints", "VpcEndpoints"),
    acct("ec2", "describe-vpc-peering-connections", "VpcPeeringConnections"),
    acct("ec2", "describe-prefix-lists", "PrefixLists"),
    acct("ec2", "describe-managed-prefix-lists", "PrefixLists"),
    res("ec2", "get-managed-prefix-list-entries", Some("Entries")),
    acct("ec2", "describe-transit-gateways", "TransitGateways"),
    acct("ec2", "describe-transit-gateway-attachments", "TransitGatewayAttachments"),
    acct("ec2", "describe-transit-gateway-vpc-attachments", "TransitGatewayVpcAttachments"),
    acct("ec2", "describe-transit-gateway-peering-attachments", "TransitGatewayPeeringAttachments"),
    acct("ec2", "describe-transit-gateway-route-tables", "TransitGatewayRouteTables"),
    res("ec2", "search-transit-gateway-routes", Some("Routes")),
    res("ec2", "get-transit-gateway-route-table-associations", Some("Associations")),
    res("ec2", "get-transit-gateway-route-table-propagations", Some("TransitGatewayRouteTablePropagations")),
    res("sagemaker", "describe-notebook-instance", None),
    res("sagemaker", "describe-training-job", None),
    res("sagemaker", "describe-processing-job", None),
    res("sagemaker", "describe-model", None),
    res("sagemaker", "describe-domain", None),
    acct("sagemaker", "list-notebook-instances", "NotebookInstances"),
    acct("sagemaker", "list-training-jobs", "TrainingJobSummaries"),
    acct("sagemaker", "list-processing-jobs", "ProcessingJobSummaries"),
    acct("sagemaker", "list-models", "Models"),
    acct("sagemaker", "list-endpoint-configs", "EndpointConfigs"),
    acct("sagemaker", "list-endpoints", "Endpoints"),
    acct("sagemaker", "list-domains", "Domains"),
    acct("sagemaker", "list-model-package-groups", "ModelPackageGroupSummaryList"),
    acct("sagemaker", "list-monitoring-schedules", "MonitoringScheduleSummaries"),
    res("sagemaker", "describe-endpoint-config", None),
    res("sagemaker", "describe-endpoint", None),
    res("sagemaker", "list-model-packages", Some("ModelPackageSummaryList")),
    res("sagemaker", "describe-model-package", None),
    res("sagemaker", "describe-monitoring-schedule", None),
    acct("s3", "list-buckets", "Buckets"),
    res_may_be_empty("s3", "get-bucket-versioning"),
    res("s3", "get-object-lock-configuration", None),
    res("s3", "get-bucket-policy", None),
    res("s3", "get-public-access-block", None),
    res("s3", "get-bucket-encryption", None),
    res_may_be_empty("s3", "get-bucket-logging"),
    res("s3", "get-bucket-tagging", None),
    acct_obj("s3control", "get-public-access-block"),
    Command {
        service: "iam",
        name: "get-account-authorization-details",
        scope: Scope::Account,
        list_key: Some("UserDetailList"),
        more_list_keys: &["GroupDetailList", "RoleDetailList", "Policies"],
        global: true,
        may_be_empty: false,
    },
    acct("guardduty", "list-detectors", "DetectorIds"),
    res("guardduty", "get-detector", None),
    acct_obj("macie2", "get-macie-session"),
    acct("macie2", "list-classification-jobs", "items"),
    acct_obj("macie2", "get-automated-discovery-configuration"),
    acct_obj("macie2", "get-classification-scope"),
    acct("cloudtrail", "describe-trails", "trailList"),
    res("cloudtrail", "get-trail-status", None),
    res("cloudtrail", "get-event-selectors", None),
    acct("wafv2", "list-web-acls", "WebACLs"),
    res("wafv2", "get-web-acl", None),
    res("wafv2", "list-resources-for-web-acl", Some("ResourceArns")),
    acct("apigateway", "get-rest-apis", "items"),
    res("apigateway", "get-stages", Some("item")),
    res("apigateway", "get-resources", Some("items")),
    Command { service: "cloudfront", name: "list-distributions", list_key: Some("DistributionList.Items"), global: true, ..BASE },
    acct("elbv2", "describe-load-balancers", "LoadBalancers"),
];

/// The service folder a snapshot may use for a service, mapped to the one in [`COMMANDS`]:
/// the AWS CLI calls S3's API `s3api`, and the layout calls the folder `s3`; both are read.
pub fn canonical_service(folder: &str) -> &str {
    match folder {
        "s3api" => "s3",
        other => other,
    }
}

/// Finds a command by service folder (`s3api` is read as `s3`) and CLI name.
pub fn lookup(service: &str, name: &str) -> Option<&'static Command> {
    let service = canonical_service(service);
    COMMANDS.iter().find(|c| c.service == service && c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_listed_once() {
        for (i, c) in COMMANDS.iter().enumerate() {
            assert!(COMMANDS[..i].iter().all(|d| (d.service, d.name) != (c.service, c.name)), "{} {} twice", c.service, c.name);
        }
    }

    #[test]
    fn s3api_folders_read_as_s3() {
        assert_eq!(lookup("s3api", "get-bucket-versioning").map(|c| c.service), Some("s3"));
        assert_eq!(lookup("s3", "get-bucket-versioning").map(|c| c.service), Some("s3"));
        assert!(lookup("s3api", "get-public-access-block").is_some());
        assert_eq!(lookup("s3control", "get-public-access-block").map(|c| c.scope), Some(Scope::Account));
    }

    #[test]
    fn authorization_details_lists_four_keys() {
        let keys: Vec<&str> = lookup("iam", "get-account-authorization-details").map(|c| c.list_keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"]);
    }
}
