//! Reading response files element by element, so one bad element does not hide the rest.

use crate::{commands, Diagnostic, FileEntry, Snapshot};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Why a whole file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed JSON at line {line} column {column}: {message}")]
    Json { line: usize, column: usize, message: String },
    #[error("expected a JSON object with the key `{0}` as the AWS CLI prints it")]
    MissingKey(String),
    #[error("expected `{0}` to be a JSON array")]
    NotAnArray(String),
    #[error("empty file: the call printed nothing, so it probably failed; collect it again or remove the file")]
    Empty,
}

fn json_err(e: &serde_json::Error) -> ReadError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; keep the message itself.
    let message = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    ReadError::Json { line: e.line(), column: e.column(), message }
}

/// Deserializes one element, naming the JSON path of any problem.
pub(crate) fn element<T: DeserializeOwned>(raw: &RawValue, base: &str) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." || inner.is_empty() { base.to_string() } else { format!("{base}.{inner}") };
        let msg = e.inner().to_string();
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        (path, msg)
    })
}

impl Snapshot {
    /// The response text. An empty file is `{}` where the AWS CLI prints nothing for an empty
    /// response ([`commands::Command::may_be_empty`]) and a failed call everywhere else.
    fn text(&self, entry: &FileEntry) -> Result<String, ReadError> {
        let text = std::fs::read_to_string(&entry.path)?;
        if text.trim().is_empty() {
            return match commands::lookup(&entry.service, &entry.command) {
                Some(c) if c.may_be_empty => Ok("{}".to_string()),
                _ => Err(ReadError::Empty),
            };
        }
        Ok(text)
    }

    /// The elements of the listing under `key`, each deserialized on its own. Bad elements
    /// and unreadable files become diagnostics; the index of each good element in the file
    /// is returned with it.
    pub fn items<T: DeserializeOwned>(&self, entry: &FileEntry, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<T> {
        self.listing(entry, key, false, diags)
    }

    /// Like [`Snapshot::items`] for one of several listings in a response
    /// ([`commands::Command::more_list_keys`]): a missing key is an empty listing.
    pub fn optional_items<T: DeserializeOwned>(&self, entry: &FileEntry, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<T> {
        self.listing(entry, key, true, diags)
    }

    fn listing<T: DeserializeOwned>(&self, entry: &FileEntry, key: &str, optional: bool, diags: &mut Vec<Diagnostic>) -> Vec<T> {
        let whole = match self.text(entry) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(&entry.rel, "", e.to_string()));
                return Vec::new();
            }
        };
        // A dotted key (`DistributionList.Items`) names a listing inside nested objects; the
        // AWS CLI leaves the innermost key out when the listing is empty.
        let full_key = key;
        let (text, key) = match key.rsplit_once('.') {
            None => (whole.as_str(), key),
            Some((outer, leaf)) => match descend(&whole, outer) {
                Ok(inner) => (inner, leaf),
                Err(ReadError::MissingKey(_)) if optional => return Vec::new(),
                Err(e) => {
                    diags.push(Diagnostic::error(&entry.rel, "", format!("file skipped: {e}")));
                    return Vec::new();
                }
            },
        };
        let optional = optional || full_key != key;
        // Fast path: one typed pass over the file. Only when it fails is the file split into
        // elements, so that each bad element is named and the good ones are kept.
        match fast_list::<T>(text, key) {
            Ok(Some(items)) => return items,
            Ok(None) if optional => return Vec::new(),
            _ => {}
        }
        match raw_list(text, key) {
            Ok(list) => {
                let mut out = Vec::with_capacity(list.len());
                for (i, raw) in list.iter().enumerate() {
                    match element::<T>(raw, &format!("$.{full_key}[{i}]")) {
                        Ok(v) => out.push(v),
                        Err((path, msg)) => diags.push(Diagnostic::warning(&entry.rel, path, format!("element skipped: {msg}"))),
                    }
                }
                out
            }
            Err(ReadError::MissingKey(_)) if optional => Vec::new(),
            Err(e) => {
                diags.push(Diagnostic::error(&entry.rel, "", format!("file skipped: {e}")));
                Vec::new()
            }
        }
    }

    /// The whole response as `T` in one typed pass, or `None` if anything in the file is off
    /// (then [`Snapshot::object`] or [`Snapshot::items`] say what and where).
    pub fn try_object<T: DeserializeOwned>(&self, entry: &FileEntry) -> Option<T> {
        let text = self.text(entry).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The listing under `key` in one typed pass, or `None` if anything in the file is off
    /// (then [`Snapshot::items`] or [`Snapshot::nested_items`] say what and where).
    pub fn try_items<T: DeserializeOwned>(&self, entry: &FileEntry, key: &str) -> Option<Vec<T>> {
        let text = self.text(entry).ok()?;
        fast_list(&text, key).ok().flatten()
    }

    /// Like [`Snapshot::items`] for listings nested one level (`Reservations[].Instances[]`):
    /// returns `(outer, inner)` pairs where `outer` is the outer element without the inner list.
    pub fn nested_items<O: DeserializeOwned + Clone, T: DeserializeOwned>(
        &self,
        entry: &FileEntry,
        key: &str,
        inner_key: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(O, T)> {
        let text = match self.text(entry) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(&entry.rel, "", e.to_string()));
                return Vec::new();
            }
        };
        let list = match raw_list(&text, key) {
            Ok(l) => l,
            Err(e) => {
                diags.push(Diagnostic::error(&entry.rel, "", format!("file skipped: {e}")));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, raw) in list.iter().enumerate() {
            let base = format!("$.{key}[{i}]");
            let outer: O = match element(raw, &base) {
                Ok(o) => o,
                Err((path, msg)) => {
                    diags.push(Diagnostic::warning(&entry.rel, path, format!("element skipped: {msg}")));
                    continue;
                }
            };
            let inner = match raw_list(raw.get(), inner_key) {
                Ok(l) => l,
                Err(e) => {
                    diags.push(Diagnostic::warning(&entry.rel, &base, format!("element skipped: {e}")));
                    continue;
                }
            };
            for (j, r) in inner.iter().enumerate() {
                match element::<T>(r, &format!("{base}.{inner_key}[{j}]")) {
                    Ok(v) => out.push((outer.clone(), v)),
                    Err((path, msg)) => diags.push(Diagnostic::warning(&entry.rel, path, format!("element skipped: {msg}"))),
                }
            }
        }
        out
    }

    /// A whole-object response (`describe-notebook-instance`).
    pub fn object<T: DeserializeOwned>(&self, entry: &FileEntry, diags: &mut Vec<Diagnostic>) -> Option<T> {
        let text = match self.text(entry) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(&entry.rel, "", e.to_string()));
                return None;
            }
        };
        let raw: Box<RawValue> = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                diags.push(Diagnostic::error(&entry.rel, "", format!("file skipped: {}", json_err(&e))));
                return None;
            }
        };
        match element::<T>(&raw, "$") {
            Ok(v) => Some(v),
            Err((path, msg)) => {
                diags.push(Diagnostic::error(&entry.rel, path, format!("file skipped: {msg}")));
                None
            }
        }
    }
}

/// Splits `{"Key": [ ... ]}` into raw elements without deserializing them.
/// The raw text of the object at the dotted path `outer` (`DistributionList`) of a response.
fn descend<'a>(text: &'a str, outer: &str) -> Result<&'a str, ReadError> {
    let mut cur = text;
    for k in outer.split('.') {
        let map: HashMap<String, &'a RawValue> = serde_json::from_str(cur).map_err(|e| json_err(&e))?;
        cur = map.get(k).ok_or_else(|| ReadError::MissingKey(outer.to_string()))?.get();
    }
    Ok(cur)
}

pub(crate) fn raw_list<'a>(text: &'a str, key: &str) -> Result<Vec<&'a RawValue>, ReadError> {
    let top: HashMap<String, &'a RawValue> = serde_json::from_str(text).map_err(|e| json_err(&e))?;
    let raw = top.get(key).ok_or_else(|| ReadError::MissingKey(key.to_string()))?;
    let trimmed = raw.get().trim_start();
    if trimmed.starts_with("null") {
        return Ok(Vec::new());
    }
    serde_json::from_str::<Vec<&'a RawValue>>(raw.get()).map_err(|_| ReadError::NotAnArray(key.to_string()))
}

/// Deserializes `{"Key": [T, ...], ...}` in one pass, ignoring other keys; `None` when the key
/// is missing.
fn fast_list<T: DeserializeOwned>(text: &str, key: &str) -> Result<Option<Vec<T>>, serde_json::Error> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    use std::marker::PhantomData;

    struct Seed<'k, T>(&'k str, PhantomData<T>);
    impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Seed<'_, T> {
        type Value = Option<Vec<T>>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de, T: DeserializeOwned> Visitor<'de> for Seed<'_, T> {
        type Value = Option<Vec<T>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "an object with the key `{}`", self.0)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = None;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if k == self.0 && out.is_none() {
                    out = Some(map.next_value::<Option<Vec<T>>>()?.unwrap_or_default());
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Seed::<T>(key, PhantomData).deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}
