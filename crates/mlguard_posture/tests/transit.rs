//! TGW-001 over tiny snapshots.

mod common;

use mlguard_core::config::Config;
use serde_json::json;

fn run(assoc: &str, prop: &str, teams: [&str; 2]) -> Vec<String> {
    run_with(assoc, prop, "disable", teams)
}

fn run_with(assoc: &str, prop: &str, accept: &str, teams: [&str; 2]) -> Vec<String> {
    let vpc = |id: &str, team: &str| json!({"VpcId": id, "CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "team", "Value": team}]});
    let files = [
        ("describe-vpcs.json", json!({"Vpcs": [vpc("vpc-a", teams[0]), vpc("vpc-b", teams[1])]})),
        ("describe-transit-gateways.json", json!({"TransitGateways": [{"TransitGatewayId": "tgw-1", "State": "available", "OwnerId": "111122223333", "Options": {"DefaultRouteTableAssociation": assoc, "DefaultRouteTablePropagation": prop, "AutoAcceptSharedAttachments": accept}}]})),
        (
            "describe-transit-gateway-vpc-attachments.json",
            json!({"TransitGatewayVpcAttachments": [
                {"TransitGatewayAttachmentId": "tgw-attach-a", "TransitGatewayId": "tgw-1", "VpcId": "vpc-a", "State": "available", "SubnetIds": []},
                {"TransitGatewayAttachmentId": "tgw-attach-b", "TransitGatewayId": "tgw-1", "VpcId": "vpc-b", "State": "available", "SubnetIds": []}
            ]}),
        ),
    ];
    let inv = common::load(files.map(|(name, v)| (format!("111122223333/us-east-1/ec2/{name}"), v.to_string())));
    let (f, _) = mlguard_posture::audit(&inv, &Config::default());
    f.into_iter().map(|f| f.rule_id).filter(|r| r.starts_with("TGW-")).collect()
}

#[test]
fn defaults_on_a_gateway_shared_by_teams() {
    assert_eq!(run("enable", "enable", ["a", "b"]), ["TGW-001"]);
    assert_eq!(run("disable", "enable", ["a", "b"]), ["TGW-001"]);
    assert_eq!(run("disable", "disable", ["a", "b"]), Vec::<String>::new());
    // One team only: the defaults connect nothing that should be apart.
    assert_eq!(run("enable", "enable", ["a", "a"]), Vec::<String>::new());
}

#[test]
fn automatic_acceptance_of_shared_attachments() {
    assert_eq!(run_with("disable", "disable", "enable", ["a", "b"]), ["TGW-001"]);
    assert_eq!(run_with("disable", "disable", "enable", ["a", "a"]), Vec::<String>::new());
}
