//! The metadata store interface: transactions over the registry's records.
//!
//! The registry's rules live in [`crate::Registry`]; a store only keeps records and gives
//! each state change one transaction: [`MetadataStore::write`] opens it, the registry reads
//! and writes records through [`MetaWrite`], and [`MetaWrite::commit`] makes every change
//! durable at once (dropping the transaction instead discards them). A store for a networked
//! database implements the same three traits with its own transactions (serializable isolation
//! is assumed: the registry allocates version numbers and moves reference counts inside them).

use crate::error::MetaError;
use crate::model::{Alias, BlobRecord, ModelGroup, ModelVersion, Sha256Digest, VersionRef};

/// The committed end of the audit log: how many entries, and the hash of the last one
/// ([`crate::log::GENESIS`] when there are none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogHead {
    pub seq: u64,
    pub hash: Sha256Digest,
}

/// Reads, inside a read or a write transaction.
pub trait MetaRead {
    fn group(&self, name: &str) -> Result<Option<ModelGroup>, MetaError>;
    /// Every group, by name.
    fn groups(&self) -> Result<Vec<ModelGroup>, MetaError>;
    fn version(&self, group: &str, version: u64) -> Result<Option<ModelVersion>, MetaError>;
    /// Every version of a group (deleted ones included), by number.
    fn versions(&self, group: &str) -> Result<Vec<ModelVersion>, MetaError>;
    fn alias(&self, group: &str, name: &str) -> Result<Option<Alias>, MetaError>;
    /// Every alias of a group, by name.
    fn aliases(&self, group: &str) -> Result<Vec<Alias>, MetaError>;
    fn blob(&self, digest: &Sha256Digest) -> Result<Option<BlobRecord>, MetaError>;
    /// Every blob record, by digest.
    fn blobs(&self) -> Result<Vec<(Sha256Digest, BlobRecord)>, MetaError>;
    /// Versions indexed as trained on `uri` (and on that dataset version, if given).
    fn trained_on(&self, uri: &str, version_id: Option<&str>) -> Result<Vec<VersionRef>, MetaError>;
    fn log_head(&self) -> Result<LogHead, MetaError>;
}

/// Writes, inside a write transaction.
pub trait MetaWrite: MetaRead {
    fn put_group(&mut self, group: &ModelGroup) -> Result<(), MetaError>;
    fn put_version(&mut self, version: &ModelVersion) -> Result<(), MetaError>;
    fn put_alias(&mut self, alias: &Alias) -> Result<(), MetaError>;
    /// Stores a blob record, or removes it when `record` is `None`.
    fn put_blob(&mut self, digest: &Sha256Digest, record: Option<&BlobRecord>) -> Result<(), MetaError>;
    /// Adds `version` to the index of models trained on `uri` at `version_id`.
    fn index_dataset(&mut self, uri: &str, version_id: Option<&str>, version: &VersionRef) -> Result<(), MetaError>;
    fn set_log_head(&mut self, head: &LogHead) -> Result<(), MetaError>;
    /// Makes every change of this transaction durable, atomically.
    fn commit(self: Box<Self>) -> Result<(), MetaError>;
}

/// A transactional metadata store. Implementations must be usable from many threads.
pub trait MetadataStore: Send + Sync {
    /// A consistent snapshot for reading.
    fn read(&self) -> Result<Box<dyn MetaRead + '_>, MetaError>;
    /// A write transaction; write transactions are serialized.
    fn write(&self) -> Result<Box<dyn MetaWrite + '_>, MetaError>;
}
