//! [`RedbStore`], the [`MetadataStore`] over one `redb` file.
//!
//! Why redb: pure Rust, ACID with copy-on-write B-trees and a crash-safe commit (a torn write
//! leaves the previous commit intact), one file, an exclusive file lock (a second process
//! cannot open the same registry), MIT/Apache-2.0. Every commit is durable (`fsync`) before it
//! returns.
//!
//! Tables (values are JSON of the [`crate::model`] types):
//!
//! | table | key | value |
//! |---|---|---|
//! | `groups` | group name | [`ModelGroup`] |
//! | `versions` | (group, version number) | [`ModelVersion`] |
//! | `aliases` | (group, alias) | [`Alias`] with its history |
//! | `blobs` | digest (hex) | [`BlobRecord`] (key, pinned blob version id, reference count) |
//! | `trained_on` | (dataset URI, dataset version id or `""`, group, version) | `()` |
//! | `meta` | `log_head` | [`LogHead`] |

use crate::error::MetaError;
use crate::meta::{LogHead, MetaRead, MetaWrite, MetadataStore};
use crate::model::{Alias, BlobRecord, ModelGroup, ModelVersion, Sha256Digest, VersionRef};
use redb::{Database, ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

const GROUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("groups");
const VERSIONS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("versions");
const ALIASES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("aliases");
const BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("blobs");
const TRAINED_ON: TableDefinition<(&str, &str, &str, u64), ()> = TableDefinition::new("trained_on");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The metadata store over `registry.redb`.
pub struct RedbStore {
    db: Database,
    loc: String,
}

fn err(loc: &str, e: impl std::fmt::Display) -> MetaError {
    MetaError { location: loc.to_string(), message: e.to_string() }
}

fn decode<T: DeserializeOwned>(loc: &str, what: &str, bytes: &[u8]) -> Result<T, MetaError> {
    serde_json::from_slice(bytes).map_err(|e| err(loc, format!("record {what} is unreadable: {e}")))
}

fn encode<T: serde::Serialize>(loc: &str, v: &T) -> Result<Vec<u8>, MetaError> {
    serde_json::to_vec(v).map_err(|e| err(loc, e))
}

impl RedbStore {
    /// Opens (creating if needed) the database file at `path`. Fails if another process has
    /// it open.
    pub fn open(path: &Path) -> Result<RedbStore, MetaError> {
        let loc = path.display().to_string();
        let db = Database::create(path).map_err(|e| err(&loc, e))?;
        let w = db.begin_write().map_err(|e| err(&loc, e))?;
        {
            w.open_table(GROUPS).map_err(|e| err(&loc, e))?;
            w.open_table(VERSIONS).map_err(|e| err(&loc, e))?;
            w.open_table(ALIASES).map_err(|e| err(&loc, e))?;
            w.open_table(BLOBS).map_err(|e| err(&loc, e))?;
            w.open_table(TRAINED_ON).map_err(|e| err(&loc, e))?;
            w.open_table(META).map_err(|e| err(&loc, e))?;
        }
        w.commit().map_err(|e| err(&loc, e))?;
        Ok(RedbStore { db, loc })
    }

    /// Opens an existing database file without writing to it (no tables are created), e.g.
    /// to verify a copied data directory.
    pub fn open_existing(path: &Path) -> Result<RedbStore, MetaError> {
        let loc = path.display().to_string();
        if !path.is_file() {
            return Err(err(&loc, "no such database file"));
        }
        let db = Database::open(path).map_err(|e| err(&loc, e))?;
        Ok(RedbStore { db, loc })
    }

    /// The database file's path.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.loc)
    }
}

struct RedbRead {
    txn: ReadTransaction,
    loc: String,
}

struct RedbWrite {
    txn: WriteTransaction,
    loc: String,
}

// The read functions, over any readable table, shared by both transaction kinds.

fn r_group(loc: &str, t: &impl ReadableTable<&'static str, &'static [u8]>, name: &str) -> Result<Option<ModelGroup>, MetaError> {
    match t.get(name).map_err(|e| err(loc, e))? {
        Some(v) => Ok(Some(decode(loc, &format!("group `{name}`"), v.value())?)),
        None => Ok(None),
    }
}

fn r_groups(loc: &str, t: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<Vec<ModelGroup>, MetaError> {
    let mut out = Vec::new();
    for row in t.iter().map_err(|e| err(loc, e))? {
        let (k, v) = row.map_err(|e| err(loc, e))?;
        out.push(decode(loc, &format!("group `{}`", k.value()), v.value())?);
    }
    Ok(out)
}

fn r_version(loc: &str, t: &impl ReadableTable<(&'static str, u64), &'static [u8]>, group: &str, version: u64) -> Result<Option<ModelVersion>, MetaError> {
    match t.get((group, version)).map_err(|e| err(loc, e))? {
        Some(v) => Ok(Some(decode(loc, &format!("version {version} of `{group}`"), v.value())?)),
        None => Ok(None),
    }
}

fn r_versions(loc: &str, t: &impl ReadableTable<(&'static str, u64), &'static [u8]>, group: &str) -> Result<Vec<ModelVersion>, MetaError> {
    let mut out = Vec::new();
    for row in t.range((group, 0u64)..=(group, u64::MAX)).map_err(|e| err(loc, e))? {
        let (k, v) = row.map_err(|e| err(loc, e))?;
        out.push(decode(loc, &format!("version {} of `{group}`", k.value().1), v.value())?);
    }
    Ok(out)
}

fn r_alias(loc: &str, t: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>, group: &str, name: &str) -> Result<Option<Alias>, MetaError> {
    match t.get((group, name)).map_err(|e| err(loc, e))? {
        Some(v) => Ok(Some(decode(loc, &format!("alias `{name}` of `{group}`"), v.value())?)),
        None => Ok(None),
    }
}

fn r_aliases(loc: &str, t: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>, group: &str) -> Result<Vec<Alias>, MetaError> {
    let mut out = Vec::new();
    for row in t.range((group, "")..).map_err(|e| err(loc, e))? {
        let (k, v) = row.map_err(|e| err(loc, e))?;
        let (g, name) = k.value();
        if g != group {
            break;
        }
        out.push(decode(loc, &format!("alias `{name}` of `{group}`"), v.value())?);
    }
    Ok(out)
}

fn r_blob(loc: &str, t: &impl ReadableTable<&'static str, &'static [u8]>, digest: &Sha256Digest) -> Result<Option<BlobRecord>, MetaError> {
    let hex = digest.to_hex();
    match t.get(hex.as_str()).map_err(|e| err(loc, e))? {
        Some(v) => Ok(Some(decode(loc, &format!("blob {hex}"), v.value())?)),
        None => Ok(None),
    }
}

fn r_blobs(loc: &str, t: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<Vec<(Sha256Digest, BlobRecord)>, MetaError> {
    let mut out = Vec::new();
    for row in t.iter().map_err(|e| err(loc, e))? {
        let (k, v) = row.map_err(|e| err(loc, e))?;
        let d = Sha256Digest::from_hex(k.value()).ok_or_else(|| err(loc, format!("blob key `{}` is not a digest", k.value())))?;
        out.push((d, decode(loc, &format!("blob {}", k.value()), v.value())?));
    }
    Ok(out)
}

fn r_trained_on(
    loc: &str,
    t: &impl ReadableTable<(&'static str, &'static str, &'static str, u64), ()>,
    uri: &str,
    version_id: Option<&str>,
) -> Result<Vec<VersionRef>, MetaError> {
    let mut out = Vec::new();
    let start = version_id.unwrap_or("");
    for row in t.range((uri, start, "", 0u64)..).map_err(|e| err(loc, e))? {
        let (k, _) = row.map_err(|e| err(loc, e))?;
        let (u, vid, group, version) = k.value();
        if u != uri || version_id.is_some_and(|want| want != vid) {
            break;
        }
        out.push(VersionRef { group: group.to_string(), version });
    }
    Ok(out)
}

fn r_log_head(loc: &str, t: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<LogHead, MetaError> {
    match t.get("log_head").map_err(|e| err(loc, e))? {
        Some(v) => decode(loc, "log_head", v.value()),
        None => Ok(LogHead { seq: 0, hash: crate::log::GENESIS }),
    }
}

macro_rules! impl_read {
    ($ty:ty) => {
        impl MetaRead for $ty {
            fn group(&self, name: &str) -> Result<Option<ModelGroup>, MetaError> {
                r_group(&self.loc, &self.txn.open_table(GROUPS).map_err(|e| err(&self.loc, e))?, name)
            }
            fn groups(&self) -> Result<Vec<ModelGroup>, MetaError> {
                r_groups(&self.loc, &self.txn.open_table(GROUPS).map_err(|e| err(&self.loc, e))?)
            }
            fn version(&self, group: &str, version: u64) -> Result<Option<ModelVersion>, MetaError> {
                r_version(&self.loc, &self.txn.open_table(VERSIONS).map_err(|e| err(&self.loc, e))?, group, version)
            }
            fn versions(&self, group: &str) -> Result<Vec<ModelVersion>, MetaError> {
                r_versions(&self.loc, &self.txn.open_table(VERSIONS).map_err(|e| err(&self.loc, e))?, group)
            }
            fn alias(&self, group: &str, name: &str) -> Result<Option<Alias>, MetaError> {
                r_alias(&self.loc, &self.txn.open_table(ALIASES).map_err(|e| err(&self.loc, e))?, group, name)
            }
            fn aliases(&self, group: &str) -> Result<Vec<Alias>, MetaError> {
                r_aliases(&self.loc, &self.txn.open_table(ALIASES).map_err(|e| err(&self.loc, e))?, group)
            }
            fn blob(&self, digest: &Sha256Digest) -> Result<Option<BlobRecord>, MetaError> {
                r_blob(&self.loc, &self.txn.open_table(BLOBS).map_err(|e| err(&self.loc, e))?, digest)
            }
            fn blobs(&self) -> Result<Vec<(Sha256Digest, BlobRecord)>, MetaError> {
                r_blobs(&self.loc, &self.txn.open_table(BLOBS).map_err(|e| err(&self.loc, e))?)
            }
            fn trained_on(&self, uri: &str, version_id: Option<&str>) -> Result<Vec<VersionRef>, MetaError> {
                r_trained_on(&self.loc, &self.txn.open_table(TRAINED_ON).map_err(|e| err(&self.loc, e))?, uri, version_id)
            }
            fn log_head(&self) -> Result<LogHead, MetaError> {
                r_log_head(&self.loc, &self.txn.open_table(META).map_err(|e| err(&self.loc, e))?)
            }
        }
    };
}

impl_read!(RedbRead);
impl_read!(RedbWrite);

impl MetaWrite for RedbWrite {
    fn put_group(&mut self, group: &ModelGroup) -> Result<(), MetaError> {
        let v = encode(&self.loc, group)?;
        let mut t = self.txn.open_table(GROUPS).map_err(|e| err(&self.loc, e))?;
        t.insert(group.name.as_str(), v.as_slice()).map_err(|e| err(&self.loc, e))?;
        Ok(())
    }

    fn put_version(&mut self, version: &ModelVersion) -> Result<(), MetaError> {
        let v = encode(&self.loc, version)?;
        let mut t = self.txn.open_table(VERSIONS).map_err(|e| err(&self.loc, e))?;
        t.insert((version.group.as_str(), version.version), v.as_slice()).map_err(|e| err(&self.loc, e))?;
        Ok(())
    }

    fn put_alias(&mut self, alias: &Alias) -> Result<(), MetaError> {
        let v = encode(&self.loc, alias)?;
        let mut t = self.txn.open_table(ALIASES).map_err(|e| err(&self.loc, e))?;
        t.insert((alias.group.as_str(), alias.name.as_str()), v.as_slice()).map_err(|e| err(&self.loc, e))?;
        Ok(())
    }

    fn put_blob(&mut self, digest: &Sha256Digest, record: Option<&BlobRecord>) -> Result<(), MetaError> {
        let hex = digest.to_hex();
        let mut t = self.txn.open_table(BLOBS).map_err(|e| err(&self.loc, e))?;
        match record {
            Some(r) => {
                let v = encode(&self.loc, r)?;
                t.insert(hex.as_str(), v.as_slice()).map_err(|e| err(&self.loc, e))?;
            }
            None => {
                t.remove(hex.as_str()).map_err(|e| err(&self.loc, e))?;
            }
        }
        Ok(())
    }

    fn index_dataset(&mut self, uri: &str, version_id: Option<&str>, version: &VersionRef) -> Result<(), MetaError> {
        let mut t = self.txn.open_table(TRAINED_ON).map_err(|e| err(&self.loc, e))?;
        t.insert((uri, version_id.unwrap_or(""), version.group.as_str(), version.version), ()).map_err(|e| err(&self.loc, e))?;
        Ok(())
    }

    fn set_log_head(&mut self, head: &LogHead) -> Result<(), MetaError> {
        let v = encode(&self.loc, head)?;
        let mut t = self.txn.open_table(META).map_err(|e| err(&self.loc, e))?;
        t.insert("log_head", v.as_slice()).map_err(|e| err(&self.loc, e))?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), MetaError> {
        let loc = self.loc.clone();
        self.txn.commit().map_err(|e| err(&loc, e))
    }
}

impl MetadataStore for RedbStore {
    fn read(&self) -> Result<Box<dyn MetaRead + '_>, MetaError> {
        let txn = self.db.begin_read().map_err(|e| err(&self.loc, e))?;
        Ok(Box::new(RedbRead { txn, loc: self.loc.clone() }))
    }

    fn write(&self) -> Result<Box<dyn MetaWrite + '_>, MetaError> {
        let txn = self.db.begin_write().map_err(|e| err(&self.loc, e))?;
        Ok(Box::new(RedbWrite { txn, loc: self.loc.clone() }))
    }
}
