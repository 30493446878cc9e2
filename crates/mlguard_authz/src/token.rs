//! API tokens, stored only as hashes.
//!
//! A token reads `mlg_<id>_<secret>`: `id` is 8 random bytes in hex, which names the record
//! without revealing anything, and `secret` 32 random bytes (256 bits) from the OS RNG in hex.
//! It is shown once, by [`TokenFile::issue`] or [`add_token`], and never stored: a
//! [`TokenRecord`] keeps SHA-256 of it, or HMAC-SHA256 keyed with a server-side [`Pepper`] kept
//! outside the file (then a stolen token file is useless for offline guessing), bound to the id
//! and a domain tag. [`TokenStore::verify`] compares hashes in constant time.
//!
//! The token file is JSON ([`TokenFile`]):
//!
//! ```json
//! { "version": 1, "hash": "hmac-sha256", "tokens": [
//!   { "token_id": "3f9c0a4e5b6d7e8f", "principal": "alice", "secret_hash": "…64 hex…",
//!     "created": "2026-11-26T12:00:00Z", "expires": "2027-02-24T12:00:00Z",
//!     "roles": ["approver", "ml-engineer"], "teams": ["risk"], "attributes": {} } ] }
//! ```
//!
//! Failures are [`AuthnFailure`]s (malformed, unknown, wrong secret, expired) for the server's
//! log, and all become the one [`Unauthenticated`] the client sees.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::model::Principal;

/// The prefix of every token, so that secret scanners and people recognize one.
pub const TOKEN_PREFIX: &str = "mlg_";
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
/// Length of a well-formed token.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 2 * ID_BYTES + 1 + 2 * SECRET_BYTES;
const DOMAIN: &[u8] = b"mlguard-token-v1";
const FILE_VERSION: u32 = 1;

/// How secrets are hashed in a token file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashScheme {
    /// SHA-256 of the domain tag, the id and the secret.
    Sha256,
    /// HMAC-SHA256 of the same, keyed with the server's [`Pepper`].
    HmacSha256,
}

/// The server-side HMAC key for [`HashScheme::HmacSha256`]. Its `Debug` does not show it.
#[derive(Clone)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    /// Minimum length in bytes.
    pub const MIN_LEN: usize = 32;

    /// A pepper of at least [`Pepper::MIN_LEN`] bytes.
    ///
    /// # Errors
    /// [`TokenError::Pepper`] when shorter.
    pub fn new(bytes: Vec<u8>) -> Result<Self, TokenError> {
        if bytes.len() < Self::MIN_LEN {
            return Err(TokenError::Pepper(format!(
                "a pepper needs at least {} bytes, got {}",
                Self::MIN_LEN,
                bytes.len()
            )));
        }
        Ok(Self(bytes))
    }

    /// A new random pepper from the OS RNG.
    ///
    /// # Errors
    /// [`TokenError::Random`] when the OS RNG fails.
    pub fn generate() -> Result<Self, TokenError> {
        Ok(Self(random::<32>()?.to_vec()))
    }

    /// The key bytes, to store them (e.g. in a secrets manager).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(..)")
    }
}

/// A token as shown to its owner once. Its `Debug` and `Display` do not show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// The whole token, to hand to its owner.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(..)")
    }
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The record's id (not secret).
    pub token_id: String,
    /// When it stops working.
    pub expires: OffsetDateTime,
    /// The token itself.
    pub token: SecretToken,
}

/// One stored token: who it authenticates and the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// 16 lowercase hex digits; the middle part of the token.
    pub token_id: String,
    /// The principal's id.
    pub principal: String,
    /// Hash of the token (see [`HashScheme`]), 64 lowercase hex digits.
    pub secret_hash: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    /// The principal's roles.
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// The principal's teams.
    #[serde(default)]
    pub teams: BTreeSet<String>,
    /// Free-form attributes (Cedar tags of the principal).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// What the token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TokenRecord {
    /// The principal this token authenticates.
    pub fn principal(&self) -> Principal {
        Principal {
            id: self.principal.clone(),
            roles: self.roles.clone(),
            teams: self.teams.clone(),
            attributes: self.attributes.clone(),
        }
    }
}

/// What to issue a token for.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The principal's id.
    pub principal: String,
    /// Its roles.
    pub roles: BTreeSet<String>,
    /// Its teams.
    pub teams: BTreeSet<String>,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
    /// How long the token works.
    pub lifetime: time::Duration,
    /// What the token is for.
    pub description: Option<String>,
}

impl NewToken {
    /// A token for `principal` with these roles, working for `lifetime`.
    pub fn new<I, S>(principal: impl Into<String>, roles: I, lifetime: time::Duration) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            principal: principal.into(),
            roles: roles.into_iter().map(Into::into).collect(),
            teams: BTreeSet::new(),
            attributes: BTreeMap::new(),
            lifetime,
            description: None,
        }
    }
}

/// The token file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    /// Format version, 1.
    pub version: u32,
    /// How every record's secret is hashed.
    pub hash: HashScheme,
    /// The tokens.
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
}

/// Errors reading, writing or changing a token file.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid token file.
    #[error("invalid token file `{path}`: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A pepper is missing, unexpected or too short.
    #[error("{0}")]
    Pepper(String),
    /// A token to issue is invalid.
    #[error("cannot issue token: {0}")]
    Issue(String),
    /// The OS RNG failed.
    #[error("the OS random number generator failed: {0}")]
    Random(String),
}

fn random<const N: usize>() -> Result<[u8; N], TokenError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| TokenError::Random(e.to_string()))?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if !is_lower_hex(s, 64) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        };
        if let (Some(slot), [hi, lo]) = (out.get_mut(i), pair) {
            *slot = (digit(*hi) << 4) | digit(*lo);
        }
    }
    Some(out)
}

fn hash_secret(
    scheme: HashScheme,
    pepper: Option<&Pepper>,
    token_id: &str,
    secret: &str,
) -> [u8; 32] {
    let parts: [&[u8]; 5] = [DOMAIN, b"\0", token_id.as_bytes(), b"\0", secret.as_bytes()];
    match (scheme, pepper) {
        (HashScheme::HmacSha256, Some(pepper)) => {
            // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
            match Hmac::<Sha256>::new_from_slice(&pepper.0) {
                Ok(mut mac) => {
                    for p in parts {
                        mac.update(p);
                    }
                    mac.finalize().into_bytes().into()
                }
                Err(_) => [0u8; 32],
            }
        }
        // An HMAC file without a pepper is refused when loading; hashing plainly here would
        // only produce a mismatch.
        _ => {
            let mut h = Sha256::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().into()
        }
    }
}

/// Splits a presented token into id and secret.
fn parse_token(presented: &str) -> Option<(&str, &str)> {
    if presented.len() != TOKEN_LEN {
        return None;
    }
    let rest = presented.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (is_lower_hex(id, 2 * ID_BYTES) && is_lower_hex(secret, 2 * SECRET_BYTES))
        .then_some((id, secret))
}

fn check_pepper(scheme: HashScheme, pepper: Option<&Pepper>) -> Result<(), TokenError> {
    match (scheme, pepper) {
        (HashScheme::HmacSha256, None) => Err(TokenError::Pepper(
            "the token file uses `hmac-sha256` but no pepper was given".to_owned(),
        )),
        (HashScheme::Sha256, Some(_)) => Err(TokenError::Pepper(
            "a pepper was given but the token file uses `sha256`".to_owned(),
        )),
        _ => Ok(()),
    }
}

impl TokenFile {
    /// An empty file.
    pub fn new(hash: HashScheme) -> Self {
        Self {
            version: FILE_VERSION,
            hash,
            tokens: Vec::new(),
        }
    }

    /// Reads a token file (not yet checked: [`TokenStore::new`] checks it).
    ///
    /// # Errors
    /// [`TokenError::Io`] or [`TokenError::Invalid`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self, TokenError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::Io {
            action: "read",
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| TokenError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Writes the file atomically (a temporary file renamed over it), readable by its owner only.
    ///
    /// # Errors
    /// [`TokenError::Io`].
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), TokenError> {
        let path = path.as_ref();
        let io = |source| TokenError::Io {
            action: "write",
            path: path.display().to_string(),
            source,
        };
        let mut json =
            serde_json::to_string_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        json.push('\n');
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let result = options.open(&tmp).and_then(|mut f| {
            f.write_all(json.as_bytes())?;
            f.sync_all()
        });
        let result = result.and_then(|()| std::fs::rename(&tmp, path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(io)
    }

    /// Issues a new token, appends its record and returns the token (the only time it exists).
    ///
    /// # Errors
    /// [`TokenError::Issue`] for an empty principal or a non-positive lifetime,
    /// [`TokenError::Pepper`] when the pepper does not match the file's scheme,
    /// [`TokenError::Random`] when the OS RNG fails.
    pub fn issue(
        &mut self,
        new: NewToken,
        now: OffsetDateTime,
        pepper: Option<&Pepper>,
    ) -> Result<IssuedToken, TokenError> {
        check_pepper(self.hash, pepper)?;
        if new.principal.trim().is_empty() {
            return Err(TokenError::Issue("the principal id is empty".to_owned()));
        }
        if !new.lifetime.is_positive() {
            return Err(TokenError::Issue(
                "the lifetime must be positive".to_owned(),
            ));
        }
        let expires = now
            .checked_add(new.lifetime)
            .ok_or_else(|| TokenError::Issue("the lifetime is too long".to_owned()))?;
        let token_id = loop {
            let id = hex(&random::<ID_BYTES>()?);
            if !self.tokens.iter().any(|t| t.token_id == id) {
                break id;
            }
        };
        let secret = hex(&random::<SECRET_BYTES>()?);
        let secret_hash = hex(&hash_secret(self.hash, pepper, &token_id, &secret));
        let token = SecretToken(format!("{TOKEN_PREFIX}{token_id}_{secret}"));
        self.tokens.push(TokenRecord {
            token_id: token_id.clone(),
            principal: new.principal,
            secret_hash,
            created: now,
            expires,
            roles: new.roles,
            teams: new.teams,
            attributes: new.attributes,
            description: new.description,
        });
        Ok(IssuedToken {
            token_id,
            expires,
            token,
        })
    }

    /// Removes a token; whether it was there.
    pub fn revoke(&mut self, token_id: &str) -> bool {
        let before = self.tokens.len();
        self.tokens.retain(|t| t.token_id != token_id);
        self.tokens.len() != before
    }
}

/// Issues a token into the file at `path` (created with `scheme` if it does not exist) and
/// returns it. This is `mlguard registry token add`.
///
/// # Errors
/// As [`TokenFile::read`], [`TokenFile::issue`] and [`TokenFile::write`].
pub fn add_token(
    path: impl AsRef<Path>,
    scheme: HashScheme,
    new: NewToken,
    now: OffsetDateTime,
    pepper: Option<&Pepper>,
) -> Result<IssuedToken, TokenError> {
    let path = path.as_ref();
    let mut file = if path.exists() {
        let file = TokenFile::read(path)?;
        // Check the existing records before adding to them.
        TokenStore::new(file.clone(), pepper.cloned(), &path.display().to_string())?;
        file
    } else {
        TokenFile::new(scheme)
    };
    let issued = file.issue(new, now, pepper)?;
    file.write(path)?;
    Ok(issued)
}

/// Why a presented token was refused: for the server's log. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthnFailure {
    /// Not of the form `mlg_<16 hex>_<64 hex>` (or absent).
    #[error("malformed token")]
    Malformed,
    /// No record has this id (revoked or never issued).
    #[error("unknown token `{token_id}`")]
    Unknown {
        /// The presented id.
        token_id: String,
    },
    /// The id exists but the secret does not match.
    #[error("wrong secret for token `{token_id}`")]
    WrongSecret {
        /// The token's id.
        token_id: String,
    },
    /// The token is genuine but past its expiry.
    #[error("token `{token_id}` expired at {expired}")]
    Expired {
        /// The token's id.
        token_id: String,
        /// When it expired.
        expired: OffsetDateTime,
    },
}

impl AuthnFailure {
    /// A short stable name for structured logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Unknown { .. } => "unknown",
            Self::WrongSecret { .. } => "wrong-secret",
            Self::Expired { .. } => "expired",
        }
    }
}

/// The one error a client sees for any authentication failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("authentication failed")]
pub struct Unauthenticated;

impl From<AuthnFailure> for Unauthenticated {
    fn from(_: AuthnFailure) -> Self {
        Unauthenticated
    }
}

/// Checked tokens, indexed by id, ready to verify requests.
#[derive(Debug)]
pub struct TokenStore {
    scheme: HashScheme,
    pepper: Option<Pepper>,
    tokens: HashMap<String, (TokenRecord, [u8; 32])>,
}

impl TokenStore {
    /// Checks a token file: version 1, a pepper exactly when the scheme needs one, well-formed
    /// and unique ids, 64-hex-digit hashes, non-empty principals. `name` is used in errors.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] or [`TokenError::Pepper`].
    pub fn new(file: TokenFile, pepper: Option<Pepper>, name: &str) -> Result<Self, TokenError> {
        let invalid = |message: String| TokenError::Invalid {
            path: name.to_owned(),
            message,
        };
        if file.version != FILE_VERSION {
            return Err(invalid(format!(
                "unsupported version {}, expected {FILE_VERSION}",
                file.version
            )));
        }
        check_pepper(file.hash, pepper.as_ref())?;
        let mut tokens = HashMap::with_capacity(file.tokens.len());
        for record in file.tokens {
            if !is_lower_hex(&record.token_id, 2 * ID_BYTES) {
                return Err(invalid(format!(
                    "token id `{}` is not 16 lowercase hex digits",
                    record.token_id
                )));
            }
            if record.principal.trim().is_empty() {
                return Err(invalid(format!(
                    "token `{}` has no principal",
                    record.token_id
                )));
            }
            let Some(hash) = unhex32(&record.secret_hash) else {
                return Err(invalid(format!(
                    "token `{}`: `secret_hash` is not 64 lowercase hex digits",
                    record.token_id
                )));
            };
            let id = record.token_id.clone();
            if tokens.insert(id.clone(), (record, hash)).is_some() {
                return Err(invalid(format!("duplicate token id `{id}`")));
            }
        }
        Ok(Self {
            scheme: file.hash,
            pepper,
            tokens,
        })
    }

    /// Reads and checks a token file.
    ///
    /// # Errors
    /// As [`TokenFile::read`] and [`TokenStore::new`].
    pub fn load(path: impl AsRef<Path>, pepper: Option<Pepper>) -> Result<Self, TokenError> {
        let path = path.as_ref();
        Self::new(TokenFile::read(path)?, pepper, &path.display().to_string())
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Verifies a presented token (e.g. the `Authorization: Bearer` value) at time `now` and
    /// returns its record. The secret is compared in constant time, and an unknown id costs the
    /// same hash and comparison as a known one. Map the error with `Unauthenticated::from`
    /// before answering the client.
    ///
    /// # Errors
    /// The [`AuthnFailure`].
    pub fn verify(
        &self,
        presented: &str,
        now: OffsetDateTime,
    ) -> Result<&TokenRecord, AuthnFailure> {
        let (token_id, secret) = parse_token(presented).ok_or(AuthnFailure::Malformed)?;
        let computed = hash_secret(self.scheme, self.pepper.as_ref(), token_id, secret);
        let Some((record, stored)) = self.tokens.get(token_id) else {
            // Same work as a known id, against a hash no secret has.
            let _ = std::hint::black_box(computed[..].ct_eq(&[0u8; 32][..]));
            return Err(AuthnFailure::Unknown {
                token_id: token_id.to_owned(),
            });
        };
        if !bool::from(computed[..].ct_eq(&stored[..])) {
            return Err(AuthnFailure::WrongSecret {
                token_id: token_id.to_owned(),
            });
        }
        if now >= record.expires {
            return Err(AuthnFailure::Expired {
                token_id: token_id.to_owned(),
                expired: record.expires,
            });
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    fn pepper() -> Pepper {
        Pepper::new(vec![7u8; 32]).expect("long enough")
    }

    fn issue(scheme: HashScheme, pepper: Option<&Pepper>) -> (TokenFile, IssuedToken) {
        let mut file = TokenFile::new(scheme);
        let mut new = NewToken::new(
            "alice",
            ["approver", "ml-engineer"],
            time::Duration::days(90),
        );
        new.teams.insert("risk".to_owned());
        new.attributes
            .insert("cost-center".to_owned(), "42".to_owned());
        let issued = file.issue(new, NOW, pepper).expect("issued");
        (file, issued)
    }

    #[test]
    fn token_shape() {
        let (file, issued) = issue(HashScheme::Sha256, None);
        let token = issued.token.expose_secret();
        assert!(token.starts_with("mlg_"));
        assert_eq!(token.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 85);
        assert!(parse_token(token).is_some());
        // The secret appears nowhere in the record, its JSON or the Debug output.
        let secret = token.rsplit('_').next().expect("secret part");
        assert_eq!(secret.len(), 64);
        let json = serde_json::to_string(&file).expect("json");
        assert!(!json.contains(secret));
        assert!(!format!("{issued:?}").contains(secret));
        assert!(!format!("{file:?}").contains(secret));
        assert_eq!(file.tokens[0].expires, NOW + time::Duration::days(90));
    }

    #[test]
    fn tokens_differ() {
        let (_, a) = issue(HashScheme::Sha256, None);
        let (_, b) = issue(HashScheme::Sha256, None);
        assert_ne!(a.token, b.token);
        assert_ne!(a.token_id, b.token_id);
    }

    #[test]
    fn verify_each_outcome() {
        for (scheme, pepper) in [
            (HashScheme::Sha256, None),
            (HashScheme::HmacSha256, Some(pepper())),
        ] {
            let (file, issued) = issue(scheme, pepper.as_ref());
            let store = TokenStore::new(file, pepper.clone(), "tokens.json").expect("valid file");
            let token = issued.token.expose_secret();

            let record = store.verify(token, NOW).expect("valid token");
            let principal = record.principal();
            assert_eq!(principal.id, "alice");
            assert!(principal.roles.contains("approver"));
            assert!(principal.teams.contains("risk"));
            assert_eq!(principal.attributes["cost-center"], "42");

            // Expired: at and after the expiry instant.
            let expires = NOW + time::Duration::days(90);
            let e = store.verify(token, expires).expect_err("expired");
            assert_eq!(e.reason(), "expired");
            // Wrong secret: last digit changed.
            let mut wrong = token.to_owned();
            let last = if wrong.ends_with('0') { "1" } else { "0" };
            wrong.replace_range(TOKEN_LEN - 1.., last);
            assert_eq!(
                store.verify(&wrong, NOW).expect_err("wrong").reason(),
                "wrong-secret"
            );
            // Unknown id.
            let unknown = format!("mlg_{}_{}", "0".repeat(16), &token[21..]);
            assert_eq!(
                store.verify(&unknown, NOW).expect_err("unknown").reason(),
                "unknown"
            );
            // Malformed.
            let upper = token.to_uppercase();
            let longer = format!("{token}0");
            for bad in [
                "",
                "mlg_",
                "Bearer x",
                &token[..84],
                upper.as_str(),
                longer.as_str(),
            ] {
                assert_eq!(
                    store.verify(bad, NOW),
                    Err(AuthnFailure::Malformed),
                    "{bad:?}"
                );
            }
            // Distinct inside, the same outside, and the secret never in a message.
            let failures = [
                store.verify(token, expires).expect_err("expired"),
                store.verify(&wrong, NOW).expect_err("wrong"),
                store.verify(&unknown, NOW).expect_err("unknown"),
                store.verify("nope", NOW).expect_err("malformed"),
            ];
            let secret = &token[21..];
            for f in &failures {
                assert!(!f.to_string().contains(secret));
                assert_eq!(
                    Unauthenticated::from(f.clone()).to_string(),
                    "authentication failed"
                );
            }
        }
    }

    #[test]
    fn pepper_is_required_and_matters() {
        let (file, issued) = issue(HashScheme::HmacSha256, Some(&pepper()));
        assert!(matches!(
            TokenStore::new(file.clone(), None, "t"),
            Err(TokenError::Pepper(_))
        ));
        let other = Pepper::new(vec![8u8; 32]).expect("long enough");
        let store = TokenStore::new(file, Some(other), "t").expect("valid");
        assert_eq!(
            store
                .verify(issued.token.expose_secret(), NOW)
                .expect_err("other pepper")
                .reason(),
            "wrong-secret"
        );
        assert!(Pepper::new(vec![1; 31]).is_err());
        assert_eq!(format!("{:?}", pepper()), "Pepper(..)");
        let (sha_file, _) = issue(HashScheme::Sha256, None);
        assert!(TokenStore::new(sha_file, Some(pepper()), "t").is_err());
    }

    #[test]
    fn invalid_files_are_refused() {
        let (file, _) = issue(HashScheme::Sha256, None);
        let mut dup = file.clone();
        dup.tokens.push(dup.tokens[0].clone());
        assert!(TokenStore::new(dup, None, "t").is_err());
        let mut bad_hash = file.clone();
        bad_hash.tokens[0].secret_hash.pop();
        assert!(TokenStore::new(bad_hash, None, "t").is_err());
        let mut bad_version = file;
        bad_version.version = 2;
        assert!(TokenStore::new(bad_version, None, "t").is_err());
        assert!(
            serde_json::from_str::<TokenFile>(r#"{"version":1,"hash":"sha256","extra":1}"#)
                .is_err()
        );
    }

    #[test]
    fn add_token_round_trips_through_the_file() {
        let dir = std::env::temp_dir().join(format!("mlguard_authz_tokens_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("tokens.json");
        let _ = std::fs::remove_file(&path);
        let p = pepper();
        let a = add_token(
            &path,
            HashScheme::HmacSha256,
            NewToken::new("alice", ["data-scientist"], time::Duration::days(30)),
            NOW,
            Some(&p),
        )
        .expect("first");
        let b = add_token(
            &path,
            HashScheme::HmacSha256,
            NewToken::new("bob", ["auditor"], time::Duration::days(30)),
            NOW,
            Some(&p),
        )
        .expect("second");
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(!text.contains(&a.token.expose_secret()[21..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let store = TokenStore::load(&path, Some(p.clone())).expect("loads");
        assert_eq!(store.len(), 2);
        assert_eq!(
            store
                .verify(a.token.expose_secret(), NOW)
                .expect("a")
                .principal,
            "alice"
        );
        assert_eq!(
            store
                .verify(b.token.expose_secret(), NOW)
                .expect("b")
                .principal,
            "bob"
        );
        // Adding to an HMAC file without its pepper is refused and leaves the file alone.
        assert!(add_token(
            &path,
            HashScheme::HmacSha256,
            NewToken::new("eve", ["admin"], time::Duration::days(1)),
            NOW,
            None
        )
        .is_err());
        assert_eq!(TokenStore::load(&path, Some(p)).expect("loads").len(), 2);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn issue_rejects_bad_input() {
        let mut file = TokenFile::new(HashScheme::Sha256);
        assert!(file
            .issue(
                NewToken::new(" ", ["admin"], time::Duration::days(1)),
                NOW,
                None
            )
            .is_err());
        assert!(file
            .issue(
                NewToken::new("a", ["admin"], time::Duration::ZERO),
                NOW,
                None
            )
            .is_err());
        assert!(file.tokens.is_empty());
    }
}
