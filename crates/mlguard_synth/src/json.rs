//! A minimal JSON tree with keys in insertion order, and a writer that
//! prints it the way the AWS CLI does (`--output json`: 4-space indent,
//! `"key": value`, empty containers as `[]` / `{}`).
//!
//! It exists because building `serde_json::Value` maps for millions of small
//! objects cost most of the generation time.

use std::io::{self, Write};

#[derive(Clone)]
pub(crate) enum J {
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

/// `obj! { "Key": value, ... }` builds a [`J::Obj`]; values go through `J::from`.
macro_rules! obj {
    ($($k:literal : $v:expr),* $(,)?) => {
        $crate::json::J::Obj(vec![$(($k, $crate::json::J::from($v))),*])
    };
}
pub(crate) use obj;

impl J {
    pub(crate) fn empty() -> Self {
        J::Arr(Vec::new())
    }

    /// Appends a key to an object (no-op on other values).
    pub(crate) fn insert(&mut self, key: &'static str, value: impl Into<J>) {
        if let J::Obj(fields) = self {
            fields.push((key, value.into()));
        }
    }
}

impl From<bool> for J {
    fn from(v: bool) -> Self {
        J::Bool(v)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for J {
            fn from(v: $t) -> Self {
                J::Int(v as i64)
            }
        }
    )*};
}
from_int!(i32, i64, u16, u32, u64, usize);

macro_rules! from_ref {
    ($($t:ty),*) => {$(
        impl From<&$t> for J {
            fn from(v: &$t) -> Self {
                J::from(*v)
            }
        }
    )*};
}
from_ref!(i32, i64, u16, u32, u64, usize, bool, &str);

impl From<&str> for J {
    fn from(v: &str) -> Self {
        J::Str(v.to_owned())
    }
}

impl From<&String> for J {
    fn from(v: &String) -> Self {
        J::Str(v.clone())
    }
}

impl From<String> for J {
    fn from(v: String) -> Self {
        J::Str(v)
    }
}

impl<T: Into<J>> From<Vec<T>> for J {
    fn from(v: Vec<T>) -> Self {
        J::Arr(v.into_iter().map(Into::into).collect())
    }
}

impl<const N: usize> From<[J; N]> for J {
    fn from(v: [J; N]) -> Self {
        J::Arr(Vec::from(v))
    }
}

impl From<&[&str]> for J {
    fn from(v: &[&str]) -> Self {
        J::Arr(v.iter().map(|s| J::from(*s)).collect())
    }
}

const SPACES: &[u8] = b"                                                                ";

fn indent(w: &mut impl Write, level: usize) -> io::Result<()> {
    let mut n = level * 4;
    while n > 0 {
        let k = n.min(SPACES.len());
        w.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        w.write_all(bytes)?;
        return w.write_all(b"\"");
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        w.write_all(&bytes[start..i])?;
        match escape {
            Some(e) => w.write_all(e)?,
            None => write!(w, "\\u{b:04x}")?,
        }
        start = i + 1;
    }
    w.write_all(&bytes[start..])?;
    w.write_all(b"\"")
}

/// Writes `v` pretty-printed, its nested lines indented from `level`.
pub(crate) fn write(w: &mut impl Write, v: &J, level: usize) -> io::Result<()> {
    match v {
        J::Bool(b) => w.write_all(if *b { b"true" } else { b"false" }),
        J::Int(n) => write!(w, "{n}"),
        J::Str(s) => string(w, s),
        J::Arr(items) if items.is_empty() => w.write_all(b"[]"),
        J::Obj(fields) if fields.is_empty() => w.write_all(b"{}"),
        J::Arr(items) => {
            w.write_all(b"[\n")?;
            for (i, item) in items.iter().enumerate() {
                indent(w, level + 1)?;
                write(w, item, level + 1)?;
                w.write_all(if i + 1 < items.len() { b",\n" } else { b"\n" })?;
            }
            indent(w, level)?;
            w.write_all(b"]")
        }
        J::Obj(fields) => {
            w.write_all(b"{\n")?;
            for (i, (k, item)) in fields.iter().enumerate() {
                indent(w, level + 1)?;
                string(w, k)?;
                w.write_all(b": ")?;
                write(w, item, level + 1)?;
                w.write_all(if i + 1 < fields.len() { b",\n" } else { b"\n" })?;
            }
            indent(w, level)?;
            w.write_all(b"}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(v: &J) -> String {
        let mut out = Vec::new();
        let _ = write(&mut out, v, 0);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn prints_like_the_cli() {
        let v = obj! {
            "Vpcs": vec![obj! {
                "VpcId": "vpc-1",
                "IsDefault": false,
                "Tags": J::empty(),
                "Count": 3u32,
            }],
            "Quote": "a\"b\\c\u{1}",
        };
        let expected = "{\n    \"Vpcs\": [\n        {\n            \"VpcId\": \"vpc-1\",\n            \"IsDefault\": false,\n            \"Tags\": [],\n            \"Count\": 3\n        }\n    ],\n    \"Quote\": \"a\\\"b\\\\c\\u0001\"\n}";
        assert_eq!(render(&v), expected);
    }
}
