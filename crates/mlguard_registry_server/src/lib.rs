//! The model registry over HTTP: `mlguard registry serve` and the commands that talk to it.
//!
//! - [`server`]: the axum server. [`server::serve`] (blocking, own tokio runtime, graceful
//!   shutdown on SIGTERM/Ctrl-C) and [`server::start`] (on a thread, for tests and tools). Every
//!   request is authenticated with an API token ([`mlguard_authz::token::TokenStore`]) and
//!   authorized by Cedar policies ([`mlguard_authz::Authorizer`]).
//! - [`api`]: the JSON bodies, shared with the [`client`]; `openapi.yaml` describes them and a
//!   test holds the file and [`server::route_list`] to each other.
//! - [`client`]: [`client::Client`], blocking (`ureq`), streaming uploads and verified downloads.
//! - [`cli`]: clap commands `model …` and `registry …` for the `mlguard` binary.
//! - [`config`]: the server's TOML configuration.
//!
//! Uploads are OCI-style and crash-safe: blobs first (`PUT …/blobs/sha256/{hex}`, streamed and
//! verified against the URL's digest), then one metadata transaction creates the version
//! (`POST …/versions`). A process killed mid-upload leaves at most an unreferenced blob.

pub mod api;
pub mod cli;
pub mod client;
pub mod config;
pub mod error;
pub mod server;
pub mod tls;

pub use client::{Client, ClientError};
pub use config::Config;
pub use server::{serve, start, Options, RunningServer, ServeError, SignatureVerifier};

/// The OpenAPI description of the API.
pub const OPENAPI: &str = include_str!("../openapi.yaml");
