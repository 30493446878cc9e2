//! The zero-trust network verifier: exact reachability in AWS VPCs, explained hop by hop.
//!
//! [`Net::build`] indexes a snapshot's networking resources ([`model`]); a [`walk::Walker`]
//! follows one packet through route tables, network ACLs, internet and NAT gateways, VPC
//! endpoints, peering and transit gateways as AWS documents them; [`reach`] answers
//! questions between endpoints (an interface, an instance, a SageMaker resource, the
//! internet, S3) for whole address ranges at once by splitting them into pieces that behave
//! alike; [`controls`] turns answers into findings (`NET-001` ...).
//!
//! This crate does no I/O: snapshot in, answers and findings out.

pub mod addr;
pub mod controls;
pub mod ml;
pub mod model;
pub mod ports;
pub mod reach;
pub mod walk;

pub use model::Net;
