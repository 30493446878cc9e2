//! The one error type of the crate.

use std::fmt;
use std::path::PathBuf;

/// Why a signature could not be verified or made.
///
/// Every variant names what was wrong and, where there is one, the file or the JSON path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a file or a directory failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A document is not valid JSON or does not have the expected shape.
    #[error("{document} is not valid at `{json_path}`: {message}")]
    Json {
        /// Which document: the bundle, or the DSSE payload inside it.
        document: &'static str,
        /// Where in the document, as a JSON path (`.` for the root).
        json_path: String,
        /// What serde_json said.
        message: String,
    },
    /// A field that must hold base64 does not.
    #[error("`{field}` is not valid base64")]
    Base64 {
        /// The JSON path of the field.
        field: String,
    },
    /// The bundle's `mediaType` is not one this crate reads.
    #[error("unsupported bundle media type `{found}`, expected `{expected}`")]
    MediaType {
        /// The media type in the bundle.
        found: String,
        /// The media type expected.
        expected: &'static str,
    },
    /// The DSSE envelope's `payloadType` is not in-toto JSON.
    #[error("unsupported DSSE payload type `{0}`, expected `application/vnd.in-toto+json`")]
    PayloadType(String),
    /// The payload is not an in-toto Statement v1.
    #[error(
        "unsupported in-toto statement type `{0}`, expected `https://in-toto.io/Statement/v1`"
    )]
    StatementType(String),
    /// The statement's `predicateType` is not the model-signing v1.0 predicate.
    #[error("wrong predicate type `{0}`, expected `https://model_signing/signature/v1.0`")]
    PredicateType(String),
    /// The payload parses but breaks a rule of the format.
    #[error("malformed signature payload: {0}")]
    Payload(String),
    /// The subject digest is not the digest of the listed resources.
    #[error("inconsistent manifest: the subject digest is `{expected}` but the resources hash to `{actual}`")]
    SubjectDigest {
        /// The digest in the subject.
        expected: String,
        /// The SHA-256 over the resource digests, in the order listed.
        actual: String,
    },
    /// Something this crate does not implement (a serialization method, a hash, a key type).
    #[error("unsupported {what} `{value}`")]
    Unsupported {
        /// What kind of thing.
        what: &'static str,
        /// Its value.
        value: String,
    },
    /// A key could not be read.
    #[error("invalid key: {0}")]
    Key(String),
    /// The bundle names a key other than the one given.
    #[error("key mismatch: {0}")]
    KeyMismatch(String),
    /// The bundle lacks what the chosen verification method needs.
    #[error("verification material: {0}")]
    VerificationMaterial(String),
    /// The DSSE signature does not verify.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The certificate chain is not acceptable.
    #[error("certificate rejected: {0}")]
    Certificate(String),
    /// The identity in a Sigstore certificate is not the one expected.
    #[error("identity mismatch: {0}")]
    Identity(String),
    /// A transparency log entry in a Sigstore bundle is inconsistent with the bundle.
    #[error("transparency log entry: {0}")]
    Tlog(String),
    /// A symbolic link was found and symlinks are not allowed.
    #[error("`{0}` is a symbolic link and allow_symlinks is false")]
    Symlink(String),
    /// A path in the model is neither a regular file nor a directory (or is a broken link).
    #[error("`{0}` is neither a regular file nor a directory")]
    NotFileOrDirectory(String),
    /// A path in the model is not valid UTF-8 and cannot be named in a manifest.
    #[error("path `{0}` is not valid UTF-8")]
    NonUtf8Path(String),
    /// The model's files do not match the signed manifest.
    #[error("model does not match its signature: {}", Problems(.0))]
    Integrity(Vec<FileProblem>),
}

/// One difference between a model directory and its signed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileProblem {
    /// The file's content does not hash to the signed digest.
    DigestMismatch {
        /// The file, relative to the model directory, with `/` separators.
        file: String,
        /// The signed SHA-256, lowercase hex.
        expected: String,
        /// The SHA-256 of the file as found, lowercase hex.
        actual: String,
    },
    /// The file is in the model directory but not in the signature.
    NotSigned {
        /// The file.
        file: String,
    },
    /// The file is in the signature but not in the model directory (or is ignored now).
    Missing {
        /// The file.
        file: String,
    },
}

impl FileProblem {
    /// The file the problem is about.
    pub fn file(&self) -> &str {
        match self {
            Self::DigestMismatch { file, .. }
            | Self::NotSigned { file }
            | Self::Missing { file } => file,
        }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DigestMismatch {
                file,
                expected,
                actual,
            } => write!(
                f,
                "digest mismatch for file `{file}` (signed sha256 {expected}, found {actual})"
            ),
            Self::NotSigned { file } => write!(f, "file `{file}` is not signed"),
            Self::Missing { file } => write!(f, "file `{file}` is missing"),
        }
    }
}

struct Problems<'a>(&'a [FileProblem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
