//! Transit Gateway defaults (`TGW-001`): default route table association or propagation, or
//! automatic acceptance of shared attachments, on a gateway that connects VPCs of different teams.

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, Practice, RuleDoc, Severity};
use mlguard_snapshot::ec2::tag;
use mlguard_snapshot::Inventory;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub const TGW_001: RuleDoc = RuleDoc {
    id: "TGW-001",
    severity: Severity::Medium,
    practice: Practice::Posture,
    title: "Transit gateway connecting different teams uses default route table association or propagation",
    what: "For every transit gateway with VPC attachments of more than one team (VPC tag key from `mlguard.toml` `network.team_tag`, default `team`), checks that `DefaultRouteTableAssociation`, `DefaultRouteTablePropagation` and `AutoAcceptSharedAttachments` are all `disable`.",
    why: "With both defaults on, every new attachment is associated with and propagates into one shared route table: every team can route to every other team the moment it attaches; with automatic acceptance, any account the gateway is shared with attaches without the network team's approval. NET-007 reports the paths that exist today; this control reports the settings that create them tomorrow.",
    example: "A transit gateway with `DefaultRouteTableAssociation: enable` and VPC attachments tagged `team=team-a` and `team=team-b`.",
    remediation: "Disable default association, propagation and automatic acceptance (`aws ec2 modify-transit-gateway --options DefaultRouteTableAssociation=disable,DefaultRouteTablePropagation=disable,AutoAcceptSharedAttachments=disable`) and give each team its own route table that propagates only shared services.",
    well_architected: "SEC05-BP01 Create network layers",
    docs: &[("Transit gateway route tables", "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html"), ("Modify a transit gateway", "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html")],
};

pub static RULES: &[&RuleDoc] = &[&TGW_001];

/// Runs TGW-001.
pub fn check(inv: &Inventory, cfg: &Config, out: &mut Vec<Finding>, _notes: &mut Vec<Diagnostic>) {
    let e = &inv.ec2;
    let team_of: BTreeMap<&str, &str> = e.vpcs.iter().filter_map(|v| tag(&v.tags, &cfg.network.team_tag).filter(|t| !t.is_empty()).map(|t| (v.vpc_id.as_str(), t))).collect();
    let mut teams: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in e.transit_gateway_vpc_attachments.iter().filter(|a| a.state.as_deref().map(|s| s == "available" || s == "modifying").unwrap_or(true)) {
        if let Some(t) = team_of.get(a.vpc_id.as_str()) {
            teams.entry(a.transit_gateway_id.as_str()).or_default().insert(t);
        }
    }
    let mut seen = BTreeSet::new();
    for t in &e.transit_gateways {
        if !seen.insert(t.transit_gateway_id.as_str()) {
            continue; // shared gateways appear in every account that sees them
        }
        let Some(ts) = teams.get(t.transit_gateway_id.as_str()) else { continue };
        if ts.len() < 2 {
            continue;
        }
        let on = |s: &Option<String>| s.as_deref().map(|s| s.eq_ignore_ascii_case("enable")).unwrap_or(false);
        let mut defaults = Vec::new();
        if on(&t.options.default_route_table_association) {
            defaults.push("DefaultRouteTableAssociation");
        }
        if on(&t.options.default_route_table_propagation) {
            defaults.push("DefaultRouteTablePropagation");
        }
        if on(&t.options.auto_accept_shared_attachments) {
            defaults.push("AutoAcceptSharedAttachments");
        }
        if defaults.is_empty() {
            continue;
        }
        let team_list: Vec<&str> = ts.iter().copied().collect();
        out.push(
            Finding::from_rule(&TGW_001, format!("transit gateway {} connects teams {} with {} enabled", t.transit_gateway_id, team_list.join(", "), defaults.join(" and ")))
                .resource(t.transit_gateway_arn.clone().unwrap_or_else(|| t.transit_gateway_id.clone()), "AwsEc2TransitGateway")
                .location(t.owner_id.clone().unwrap_or_else(|| t.account.clone()), &t.region)
                .description(format!("{} has {} enabled and VPC attachments of the teams {}: new attachments join without approval or into a shared route table.", t.transit_gateway_id, defaults.join(" and "), team_list.join(", ")))
                .evidence(json!({ "defaults": defaults, "teams": team_list })),
        );
    }
}
