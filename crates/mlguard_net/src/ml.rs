//! Which resources are ML compute, and where they sit in the network.

use crate::model::{Idx, Net};
use mlguard_snapshot::ec2::tag;
use mlguard_snapshot::Inventory;

/// Instance families with GPUs or ML accelerators.
pub const ACCELERATOR_FAMILIES: &[&str] = &[
    "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6", "p6e", "g3", "g3s", "g4dn", "g4ad", "g5", "g5g", "g6", "g6e", "g6f", "gr6",
    "gr6f", "inf1", "inf2", "trn1", "trn1n", "trn2", "trn2u", "dl1", "dl2q", "f1", "f2", "vt1",
];

/// How ML compute is recognised on EC2.
#[derive(Debug, Clone)]
pub struct MlOptions {
    /// Tag keys whose presence (with any value but `false`) marks an instance as an ML workload.
    pub ml_tag_keys: Vec<String>,
    /// The tag key naming a VPC's team.
    pub team_tag: String,
}

impl Default for MlOptions {
    fn default() -> Self {
        MlOptions { ml_tag_keys: vec!["ml-workload".into()], team_tag: "team".into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlKind {
    NotebookInstance,
    TrainingJob,
    ProcessingJob,
    Model,
    Domain,
    Instance,
}

impl MlKind {
    /// The resource type in Security Hub's vocabulary.
    pub fn resource_type(self) -> &'static str {
        match self {
            MlKind::NotebookInstance => "AwsSageMakerNotebookInstance",
            MlKind::Instance => "AwsEc2Instance",
            _ => "Other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MlKind::NotebookInstance => "notebook instance",
            MlKind::TrainingJob => "training job",
            MlKind::ProcessingJob => "processing job",
            MlKind::Model => "model",
            MlKind::Domain => "Studio domain",
            MlKind::Instance => "instance",
        }
    }
}

/// A place in a VPC where ML compute has a network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub subnet: Idx,
    /// Sorted security groups.
    pub groups: Vec<Idx>,
    /// The interface, when the snapshot has it; else the compute stands for any address of the subnet.
    pub eni: Option<Idx>,
}

#[derive(Debug, Clone)]
pub struct MlCompute {
    pub kind: MlKind,
    /// ARN for SageMaker resources, instance id for EC2.
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub points: Vec<Point>,
    /// Internet access through SageMaker's own network, outside the customer's VPC
    /// (a notebook with DirectInternetAccess Enabled, a job or model without VpcConfig and
    /// without network isolation, a Studio domain in PublicInternetOnly mode).
    pub managed_internet: Option<String>,
    /// Network isolation: the containers make no network calls at all.
    pub isolated: bool,
}

fn groups(net: &Net, ids: &[String]) -> Vec<Idx> {
    let mut g: Vec<Idx> = ids.iter().filter_map(|i| net.sg_by_id.get(i).copied()).collect();
    g.sort_unstable();
    g.dedup();
    g
}

fn points(net: &Net, subnets: &[String], sgs: &[String]) -> Vec<Point> {
    let g = groups(net, sgs);
    subnets.iter().filter_map(|s| net.subnet_by_id.get(s)).map(|&subnet| Point { subnet, groups: g.clone(), eni: None }).collect()
}

/// Finds every piece of ML compute in the snapshot and places it.
pub fn find(inv: &Inventory, net: &Net, opts: &MlOptions) -> Vec<MlCompute> {
    let mut out = Vec::new();
    let sm = &inv.sagemaker;
    for nb in &sm.notebook_instances {
        let mut pts = Vec::new();
        if let Some(s) = nb.subnet_id.as_ref().and_then(|s| net.subnet_by_id.get(s)) {
            let eni = nb.network_interface_id.as_ref().and_then(|e| net.eni_by_id.get(e)).copied();
            let g = match eni {
                Some(e) if !net.enis[e].groups.is_empty() => net.enis[e].groups.clone(),
                _ => groups(net, &nb.security_groups),
            };
            pts.push(Point { subnet: *s, groups: g, eni });
        }
        let direct = nb.direct_internet_access.as_deref().map(|d| d.eq_ignore_ascii_case("Enabled")).unwrap_or(true);
        out.push(MlCompute {
            kind: MlKind::NotebookInstance,
            id: nb.notebook_instance_arn.clone(),
            name: nb.notebook_instance_name.clone(),
            account: nb.account.clone(),
            region: nb.region.clone(),
            points: pts,
            managed_internet: direct.then(|| "DirectInternetAccess is Enabled: SageMaker gives the notebook internet access through its own network, outside your VPC's controls".to_string()),
            isolated: false,
        });
    }
    for j in &sm.training_jobs {
        let vc = j.vpc_config.clone().unwrap_or_default();
        let in_vpc = j.vpc_config.is_some();
        out.push(MlCompute {
            kind: MlKind::TrainingJob,
            id: j.training_job_arn.clone(),
            name: j.training_job_name.clone(),
            account: j.account.clone(),
            region: j.region.clone(),
            points: points(net, &vc.subnets, &vc.security_group_ids),
            managed_internet: (!in_vpc && !j.enable_network_isolation)
                .then(|| "no VpcConfig and network isolation off: the training containers reach the internet through SageMaker's network".to_string()),
            isolated: j.enable_network_isolation,
        });
    }
    for j in &sm.processing_jobs {
        let nc = j.network_config.clone().unwrap_or_default();
        let vc = nc.vpc_config.clone().unwrap_or_default();
        out.push(MlCompute {
            kind: MlKind::ProcessingJob,
            id: j.processing_job_arn.clone(),
            name: j.processing_job_name.clone(),
            account: j.account.clone(),
            region: j.region.clone(),
            points: points(net, &vc.subnets, &vc.security_group_ids),
            managed_internet: (nc.vpc_config.is_none() && !nc.enable_network_isolation)
                .then(|| "no VpcConfig and network isolation off: the processing containers reach the internet through SageMaker's network".to_string()),
            isolated: nc.enable_network_isolation,
        });
    }
    for m in &sm.models {
        let vc = m.vpc_config.clone().unwrap_or_default();
        out.push(MlCompute {
            kind: MlKind::Model,
            id: m.model_arn.clone(),
            name: m.model_name.clone(),
            account: m.account.clone(),
            region: m.region.clone(),
            points: points(net, &vc.subnets, &vc.security_group_ids),
            managed_internet: (m.vpc_config.is_none() && !m.enable_network_isolation)
                .then(|| "no VpcConfig and network isolation off: the model containers reach the internet through SageMaker's network".to_string()),
            isolated: m.enable_network_isolation,
        });
    }
    for d in &sm.domains {
        let mut sgs: Vec<String> = d.default_user_settings.as_ref().map(|u| u.security_groups.clone()).unwrap_or_default();
        sgs.extend(d.domain_settings.as_ref().map(|s| s.security_group_ids.clone()).unwrap_or_default());
        let public = d.app_network_access_type.as_deref().map(|t| t != "VpcOnly").unwrap_or(true);
        out.push(MlCompute {
            kind: MlKind::Domain,
            id: d.domain_arn.clone(),
            name: d.domain_name.clone().unwrap_or_else(|| d.domain_id.clone()),
            account: d.account.clone(),
            region: d.region.clone(),
            points: points(net, &d.subnet_ids, &sgs),
            managed_internet: public.then(|| "AppNetworkAccessType is PublicInternetOnly: Studio apps reach the internet through SageMaker's network".to_string()),
            isolated: false,
        });
    }
    for inst in &net.instances {
        if !inst.running {
            continue;
        }
        let family = inst.instance_type.split('.').next().unwrap_or("");
        let tagged = opts.ml_tag_keys.iter().any(|k| tag(&inst.tags, k).map(|v| !v.eq_ignore_ascii_case("false")).unwrap_or(false));
        if !tagged && !ACCELERATOR_FAMILIES.contains(&family) {
            continue;
        }
        let pts = inst.enis.iter().map(|&e| Point { subnet: net.enis[e].subnet, groups: net.enis[e].groups.clone(), eni: Some(e) }).collect();
        out.push(MlCompute {
            kind: MlKind::Instance,
            id: inst.id.clone(),
            name: tag(&inst.tags, "Name").unwrap_or(&inst.id).to_string(),
            account: inst.account.clone(),
            region: inst.region.clone(),
            points: pts,
            managed_internet: None,
            isolated: false,
        });
    }
    out
}
