//! JSON Lines records walked to their leaves straight from the parser, without building a
//! `serde_json::Value` (an ordered hash map per object, a `String` per key and per string,
//! all freed again), in the order and with the paths and bytes [`super::Driver`]'s walk of
//! the `Value` gives.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::fmt::{self, Write as _};

/// The leaves (strings and numbers) of one record with their JSON paths.
#[derive(Default)]
pub(super) struct Leaves {
    /// Per leaf: where its path ends in `paths` and its text in `vals`.
    pub ends: Vec<(usize, usize)>,
    pub paths: String,
    pub vals: String,
    path: String,
    /// The keys of the objects being walked (to find a key given twice), each ending at
    /// its entry of `key_ends`.
    keys: String,
    key_ends: Vec<usize>,
}

/// An object with more keys is read through `serde_json::Value` (the check for a key given
/// twice compares each key with the object's earlier ones).
const MAX_KEYS: usize = 64;

impl Leaves {
    /// Walks one JSON text. `false` when it has to be read through `serde_json::Value`
    /// instead: it is not one JSON value, or an object gives a key twice (the `Value` keeps
    /// the last value at the first key's place) or uses a key that is one of serde_json's
    /// private markers (its `Value` visitor treats the first key of an object specially).
    pub fn read(&mut self, text: &[u8]) -> bool {
        self.ends.clear();
        self.paths.clear();
        self.vals.clear();
        self.path.clear();
        self.path.push('$');
        self.keys.clear();
        self.key_ends.clear();
        // A line that is UTF-8 as a whole (checked in one pass) is parsed as a `str`, so that
        // serde_json does not check each string again (about 4 instructions per byte); the
        // same values and errors, since only the UTF-8 checks differ and they pass here.
        match std::str::from_utf8(text) {
            Ok(t) => {
                let mut de = serde_json::Deserializer::from_str(t);
                Walk(self).deserialize(&mut de).is_ok() && de.end().is_ok()
            }
            Err(_) => {
                let mut de = serde_json::Deserializer::from_slice(text);
                Walk(self).deserialize(&mut de).is_ok() && de.end().is_ok()
            }
        }
    }

    fn leaf(&mut self) {
        self.paths.push_str(&self.path);
        self.ends.push((self.paths.len(), self.vals.len()));
    }

    /// A number as `serde_json::Number` prints it (`Value::Number(n).to_string()`).
    fn number(&mut self, n: serde_json::Number) {
        let _ = write!(self.vals, "{n}");
        self.leaf();
    }
}

struct Walk<'a>(&'a mut Leaves);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.number(v.into());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.number(v.into());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // The `Value` is `Null` where there is no `Number` (not finite).
        if let Some(n) = serde_json::Number::from_f64(v) {
            self.0.number(n);
        }
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.vals.push_str(v);
        self.0.leaf();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let l = self.0.path.len();
        let mut i = 0usize;
        loop {
            self.0.path.truncate(l);
            let _ = write!(self.0.path, "[{i}]");
            if seq.next_element_seed(Walk(self.0))?.is_none() {
                break;
            }
            i += 1;
        }
        self.0.path.truncate(l);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let l = self.0.path.len();
        let (k0, kb) = (self.0.key_ends.len(), self.0.keys.len());
        while map.next_key_seed(Key(self.0, k0))?.is_some() {
            map.next_value_seed(Walk(self.0))?;
            self.0.path.truncate(l);
        }
        self.0.keys.truncate(kb);
        self.0.key_ends.truncate(k0);
        Ok(())
    }
}

/// An object's key: checked against the object's earlier keys (from entry `.1` of
/// `key_ends` on) and appended to the path.
struct Key<'a>(&'a mut Leaves, usize);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, k: &str) -> Result<(), E> {
        let Key(w, k0) = self;
        let again = || E::custom("read through serde_json::Value");
        if k.starts_with("$serde_json::private::") || w.key_ends.len() - k0 >= MAX_KEYS {
            return Err(again());
        }
        let mut start = if k0 == 0 { 0 } else { w.key_ends[k0 - 1] };
        for &end in &w.key_ends[k0..] {
            if &w.keys[start..end] == k {
                return Err(again());
            }
            start = end;
        }
        w.keys.push_str(k);
        w.key_ends.push(w.keys.len());
        super::json_path_push(&mut w.path, k);
        Ok(())
    }
}
