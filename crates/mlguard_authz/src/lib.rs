//! Zero-trust authentication and authorization for mlguard's services (the model registry now,
//! the inference gateway later).
//!
//! Every request is authenticated, then authorized:
//!
//! - [`token`]: API tokens (`mlg_<id>_<secret>`, 256 random bits from the OS) are shown once and
//!   stored only as hashes in a [`token::TokenFile`]; [`token::TokenStore::verify`] checks a
//!   presented token in constant time and returns the caller as a [`Principal`]. Every failure has
//!   its own internal [`token::AuthnFailure`] for the log and one external
//!   [`token::Unauthenticated`] for the client.
//! - [`policy`]: [`Authorizer::load`] reads a Cedar schema and policy set, validates the policies
//!   against the schema in strict mode and refuses to start on any error;
//!   [`Authorizer::authorize`] turns plain Rust values ([`Principal`], [`Action`], [`Resource`],
//!   [`RequestContext`]) into Cedar entities and returns a [`Decision`]. An evaluation error denies.
//!
//! The default schema and policies of the registry are `policies/registry.cedarschema` and
//! `policies/registry.cedar` ([`DEFAULT_SCHEMA`], [`DEFAULT_POLICIES`]): least privilege,
//! separation of duties (nobody approves what they pushed), default deny.
//!
//! ```
//! use mlguard_authz::{Action, Authorizer, Group, Principal, RequestContext, Resource, Version};
//! let authz = Authorizer::from_sources(
//!     mlguard_authz::DEFAULT_SCHEMA, "registry.cedarschema",
//!     mlguard_authz::DEFAULT_POLICIES, "registry.cedar",
//! )?;
//! let alice = Principal::new("alice").with_roles(["ml-engineer", "approver"]);
//! let group = Group::new("fraud", "risk");
//! let mut version = Version::new(group, 3, "alice");
//! version.signed = true;
//! let own = authz.authorize(&alice, Action::ApproveVersion, &Resource::Version(version.clone()),
//!     &RequestContext::token());
//! assert!(!own.allowed);
//! assert_eq!(own.reasons, ["forbid-self-approval"]);
//! version.created_by = "bob".into();
//! let other = authz.authorize(&alice, Action::ApproveVersion, &Resource::Version(version),
//!     &RequestContext::token());
//! assert!(other.allowed);
//! # Ok::<(), mlguard_authz::LoadError>(())
//! ```

pub mod model;
pub mod policy;
pub mod token;

pub use model::{
    Action, ApprovalStatus, AuthMethod, Group, Principal, RequestContext, Resource, RetentionMode,
    Version,
};
pub use policy::{Authorizer, Decision, LoadError, Problem};

/// The registry's default Cedar schema (`policies/registry.cedarschema`).
pub const DEFAULT_SCHEMA: &str = include_str!("../policies/registry.cedarschema");

/// The registry's default Cedar policies (`policies/registry.cedar`).
pub const DEFAULT_POLICIES: &str = include_str!("../policies/registry.cedar");

#[cfg(test)]
mod tests {
    /// Servers share one authorizer and one token store across request threads.
    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Authorizer>();
        assert_send_sync::<crate::token::TokenStore>();
    }
}
