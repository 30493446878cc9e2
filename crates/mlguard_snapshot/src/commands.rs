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
    pub service: &'static str,
    pub name: &'static str,
    pub scope: Scope,
    /// The top-level key holding the listing, for list-shaped responses.
    pub list_key: Option<&'static str>,
}

const fn acct(service: &'static str, name: &'static str, key: &'static str) -> Command {
    Command { service, name, scope: Scope::Account, list_key: Some(key) }
}

const fn res(service: &'static str, name: &'static str, key: Option<&'static str>) -> Command {
    Command { service, name, scope: Scope::Resource, list_key: key }
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
];

/// Finds a command by service and CLI name.
pub fn lookup(service: &str, name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.service == service && c.name == name)
}
