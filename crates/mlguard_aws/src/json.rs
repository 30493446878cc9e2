//! SDK values to the JSON the AWS CLI prints.
//!
//! The writers for the XML-protocol services' types are generated ([`crate::shapes`]); this
//! module holds what they are built from: [`ToJson`] for the SDK's scalar, list, map, time and
//! blob values, and [`Obj`], an object that leaves out absent members as the CLI does.

use aws_smithy_types::date_time::Format;
use aws_smithy_types::{Blob, DateTime, Document};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// A value as the AWS CLI prints it (`--output json`).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

/// A JSON object under construction: `None` members are left out, like the CLI leaves out
/// members the response did not carry.
#[derive(Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn put<T: ToJson + ?Sized>(&mut self, member: &str, value: &T) {
        let v = value.to_json();
        if !v.is_null() {
            self.0.insert(member.to_owned(), v);
        }
    }
}

impl From<Obj> for Value {
    fn from(o: Obj) -> Value {
        Value::Object(o.0)
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: ToJson> ToJson for HashMap<String, T> {
    fn to_json(&self) -> Value {
        // Sorted, so that the same account collects to the same bytes.
        let mut keys: Vec<&String> = self.keys().collect();
        keys.sort();
        Value::Object(keys.into_iter().map(|k| (k.clone(), self[k].to_json())).collect())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_owned())
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::Number(Number::from(*self))
            }
        }
    )*};
}
ints!(i8, i16, i32, i64, u8, u16, u32, u64);

impl ToJson for f64 {
    fn to_json(&self) -> Value {
        Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}

impl ToJson for f32 {
    fn to_json(&self) -> Value {
        f64::from(*self).to_json()
    }
}

/// Times as ISO 8601 (`2024-06-03T14:02:11Z`), the CLI's default `cli_timestamp_format`.
impl ToJson for DateTime {
    fn to_json(&self) -> Value {
        self.fmt(Format::DateTime).map_or(Value::Null, Value::String)
    }
}

/// Blobs as base64, as the CLI prints them.
impl ToJson for Blob {
    fn to_json(&self) -> Value {
        Value::String(base64(self.as_ref()))
    }
}

impl ToJson for Document {
    fn to_json(&self) -> Value {
        match self {
            Document::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Document::Array(a) => Value::Array(a.iter().map(ToJson::to_json).collect()),
            Document::Number(n) => match *n {
                aws_smithy_types::Number::PosInt(u) => Value::from(u),
                aws_smithy_types::Number::NegInt(i) => Value::from(i),
                aws_smithy_types::Number::Float(f) => f.to_json(),
            },
            Document::String(s) => Value::String(s.clone()),
            Document::Bool(b) => Value::Bool(*b),
            Document::Null => Value::Null,
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Reads an IAM policy document as the CLI prints it. IAM's query API returns documents
/// URL-encoded (RFC 3986), and the CLI decodes and parses them; a document that is not
/// JSON after decoding is kept as the decoded string.
pub fn iam_document(encoded: &str) -> Value {
    let decoded = percent_decode(encoded);
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Turns every IAM policy document member (`PolicyDocument`, `AssumeRolePolicyDocument`,
/// `Document`) in `v` from its URL-encoded string into the JSON the CLI prints.
pub fn decode_iam_documents(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(k.as_str(), "PolicyDocument" | "AssumeRolePolicyDocument" | "Document") {
                    if let Value::String(s) = x {
                        *x = iam_document(s);
                        continue;
                    }
                }
                decode_iam_documents(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(decode_iam_documents),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 section 10.
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn iam_documents_are_decoded_and_parsed() {
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(iam_document(enc), serde_json::json!({"Version": "2012-10-17", "Statement": []}));
        // Not JSON after decoding: kept as text. A lone `%` at the end is kept.
        assert_eq!(iam_document("abc%2"), Value::String("abc%2".into()));
        assert_eq!(iam_document("100%"), Value::String("100%".into()));
        let mut v = serde_json::json!({"RoleDetailList": [{"AssumeRolePolicyDocument": enc, "RoleName": "%7B"}]});
        decode_iam_documents(&mut v);
        assert_eq!(v["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Version"], "2012-10-17");
        assert_eq!(v["RoleDetailList"][0]["RoleName"], "%7B");
    }

    #[test]
    fn absent_members_are_left_out() {
        let mut o = Obj::default();
        o.put("A", &Some("x".to_string()));
        o.put("B", &None::<String>);
        o.put("C", &Some(vec![1i32, 2]));
        assert_eq!(Value::from(o), serde_json::json!({"A": "x", "C": [1, 2]}));
    }
}
