//! Integration tests of `mlguard_registry_server` (one test binary): a server in-process on
//! 127.0.0.1:0 with a temporary data directory and token file.

// Helpers outside `#[test]` functions unwrap and panic too: a failed step fails the test.
#![expect(clippy::unwrap_used, clippy::panic, reason = "test helpers: a failed step fails the test")]

mod common;
mod crash;
mod flow;
mod input;
mod openapi;
mod tls;
