//! Posture and least-privilege controls for ML on AWS (layer 2).
//!
//! Each module checks one part of the practice over the typed [`Inventory`] and returns
//! findings; a control that cannot be evaluated because its input is missing says so as a
//! [`Diagnostic`] (`not evaluated: missing …`) instead of passing silently.
//!
//! Implemented so far: [`buckets`], the model-artifact and training-data bucket controls
//! (`S3-001` … `S3-007`), and [`sagemaker`], the SageMaker settings controls (`SM-001` …
//! `SM-006`), and [`detection`], detection coverage where ML runs (`DET-001` … `DET-004`).
//! [`transit`] flags default route table association/propagation on a transit gateway that
//! connects teams (`TGW-001`); [`enclaves`] asks for Nitro Enclaves on instances tagged as handling
//! sensitive data (`ENC-001`); [`inference`] follows endpoints to their registry packages, data
//! capture and monitoring (`REG-001`, `EP-001`, `MON-001`); [`waf`] follows API Gateway
//! integrations and CloudFront origins to the endpoints they front and checks their web ACLs
//! (`WAF-001`).
//!
//! Least privilege is decided by evaluating policies with [`mlguard_iam`]: [`principals`] parses
//! every policy of `get-account-authorization-details` once and lends each user's and role's
//! policy set; [`iam`] checks execution roles (`IAM-001` … `IAM-003`), [`escalation`] finds
//! privilege-escalation paths with their permission chains (`IAM-004`) and [`poison`] answers
//! who can poison a model (`IAM-005`).
//!
//! Like every analysis crate, this one does no I/O.

pub mod buckets;
pub mod detection;
pub mod enclaves;
pub mod escalation;
pub mod iam;
pub mod inference;
pub mod poison;
pub mod principals;
pub mod sagemaker;
pub mod transit;
pub mod waf;

use mlguard_core::config::Config;
use mlguard_core::{Diagnostic, Finding, RuleDoc};
use mlguard_snapshot::Inventory;

/// Every posture control implemented so far.
pub static RULES: &[&RuleDoc] = &[
    &buckets::S3_001,
    &buckets::S3_002,
    &buckets::S3_003,
    &buckets::S3_004,
    &buckets::S3_005,
    &buckets::S3_006,
    &buckets::S3_007,
    &sagemaker::SM_001,
    &sagemaker::SM_002,
    &sagemaker::SM_003,
    &sagemaker::SM_004,
    &sagemaker::SM_005,
    &sagemaker::SM_006,
    &sagemaker::SM_007,
    &detection::DET_001,
    &detection::DET_002,
    &detection::DET_003,
    &detection::DET_004,
    &transit::TGW_001,
    &enclaves::ENC_001,
    &iam::IAM_001,
    &iam::IAM_002,
    &iam::IAM_003,
    &escalation::IAM_004,
    &poison::IAM_005,
    &inference::REG_001,
    &inference::EP_001,
    &inference::MON_001,
    &waf::WAF_001,
];

/// Runs every posture control: findings, and the controls that could not be evaluated.
pub fn audit(inv: &Inventory, cfg: &Config) -> (Vec<Finding>, Vec<Diagnostic>) {
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    buckets::check(inv, cfg, &mut findings, &mut notes);
    sagemaker::check(inv, cfg, &mut findings, &mut notes);
    detection::check(inv, cfg, &mut findings, &mut notes);
    transit::check(inv, cfg, &mut findings, &mut notes);
    enclaves::check(inv, cfg, &mut findings, &mut notes);
    let principals = principals::Principals::build(inv, &mut notes);
    iam::check(&principals, inv, cfg, &mut findings, &mut notes);
    escalation::check(&principals, inv, cfg, &mut findings);
    poison::check(&principals, inv, cfg, &mut findings, &mut notes);
    inference::check(inv, cfg, &mut findings, &mut notes);
    waf::check(inv, cfg, &mut findings, &mut notes);
    (findings, notes)
}
