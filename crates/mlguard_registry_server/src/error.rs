//! [`ApiError`]: every failure of a request as an HTTP status and a JSON [`ErrorBody`].
//!
//! Registry errors map to 400 (invalid input), 404 (no such thing), 409 (the state does not
//! allow it) or 500; a 500 says only "internal error" to the client, the cause goes to the
//! server's standard error.

use crate::api::ErrorBody;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mlguard_registry::{BlobError, RegistryError};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// The one answer to every authentication failure (missing, malformed, unknown, wrong or
    /// expired token): the client cannot tell them apart.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "authentication failed: send a valid token as `Authorization: Bearer <token>`")
    }

    pub fn too_large(what: &str, limit: u64) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("{what} is larger than the limit of {limit} bytes"))
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// Logs the cause on the server and tells the client nothing about it.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        eprintln!("mlguard registry: internal error: {cause}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error (details are in the server's log)")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// A JSON response.
pub fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut r = (status, bytes).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &ErrorBody { error: self.code.to_string(), message: self.message })
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> ApiError {
        use RegistryError as E;
        let (status, code) = match &e {
            E::InvalidName { .. } => (StatusCode::BAD_REQUEST, "invalid_name"),
            E::InvalidPath { .. } => (StatusCode::BAD_REQUEST, "invalid_path"),
            E::DuplicatePath { .. } | E::PathConflict { .. } => (StatusCode::BAD_REQUEST, "invalid_path"),
            E::NoArtifacts => (StatusCode::BAD_REQUEST, "no_artifacts"),
            E::DigestMismatch { .. } | E::Blob(BlobError::DigestMismatch { .. }) => (StatusCode::BAD_REQUEST, "digest_mismatch"),
            E::OverrideNeedsReason => (StatusCode::BAD_REQUEST, "reason_required"),
            E::GroupNotFound { .. } | E::VersionNotFound { .. } | E::AliasNotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            E::VersionDeleted { .. } => (StatusCode::NOT_FOUND, "version_deleted"),
            E::GroupExists { .. } => (StatusCode::CONFLICT, "already_exists"),
            E::SignatureRequired { .. } => (StatusCode::CONFLICT, "signature_required"),
            E::NotApproved { .. } => (StatusCode::CONFLICT, "not_approved"),
            E::NoRollbackTarget { .. } => (StatusCode::CONFLICT, "no_rollback_target"),
            E::RollbackTargetChanged { .. } => (StatusCode::CONFLICT, "rollback_target_changed"),
            E::Retained { .. } => (StatusCode::CONFLICT, "retained"),
            E::AliasTarget { .. } => (StatusCode::CONFLICT, "alias_target"),
            E::BlobMissing { .. } => (StatusCode::CONFLICT, "blob_missing"),
            E::NoMatchingBlobVersion { .. } => (StatusCode::CONFLICT, "no_matching_blob_version"),
            E::Corrupt { .. } | E::Io { .. } | E::Blob(_) | E::Meta(_) | E::Log(_) => return ApiError::internal(&e),
        };
        ApiError::new(status, code, e.to_string())
    }
}
