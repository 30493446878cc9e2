//! Integration tests of `mlguard_registry` (one test binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod blob_model;
mod stored_push;
mod blobstore;
mod common;
mod crash;
mod log_tamper;
mod paths_prop;
mod registry;
