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
//! sensitive data (`ENC-001`); [`iam`] evaluates the execution roles' policies for administrator
//! access and unscoped PassRole (`IAM-001`, `IAM-002`); [`inference`] follows endpoints to their
//! registry packages, data capture and monitoring (`REG-001`, `EP-001`, `MON-001`). WAF and the
//! other IAM controls (privilege-escalation chains, who can poison a model) of the
//! posture issue are not written yet.
//!
//! Like every analysis crate, this one does no I/O.

pub mod buckets;
pub mod detection;
pub mod enclaves;
pub mod iam;
pub mod inference;
pub mod sagemaker;
pub mod transit;

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
    &detection::DET_001,
    &detection::DET_002,
    &detection::DET_003,
    &detection::DET_004,
    &transit::TGW_001,
    &enclaves::ENC_001,
    &iam::IAM_001,
    &iam::IAM_002,
    &iam::IAM_003,
    &inference::REG_001,
    &inference::EP_001,
    &inference::MON_001,
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
    iam::check(inv, cfg, &mut findings, &mut notes);
    inference::check(inv, cfg, &mut findings, &mut notes);
    (findings, notes)
}
