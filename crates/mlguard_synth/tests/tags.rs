//! Every tag the generator writes has the AWS CLI shape `{"Key": ..., "Value": ...}` (a
//! regression test: tags were once written under a wrong key, which silently hid every team).

use mlguard_synth::{generate, SynthOptions};
use serde_json::Value;
use std::path::Path;

fn walk(v: &Value, file: &Path, tags_seen: &mut usize) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "Tags" || k == "TagSet" {
                    for t in x.as_array().into_iter().flatten() {
                        *tags_seen += 1;
                        let keys: Vec<&String> = t.as_object().map(|o| o.keys().collect()).unwrap_or_default();
                        assert!(t["Key"].is_string() && t["Value"].is_string() && keys.len() == 2, "{}: tag {t} is not {{Key, Value}}", file.display());
                    }
                }
                walk(x, file, tags_seen);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, file, tags_seen)),
        _ => {}
    }
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().map(|x| x == "json").unwrap_or(false) {
            out.push(p);
        }
    }
}

#[test]
fn tags_have_key_and_value() {
    let dir = std::env::temp_dir().join(format!("mlguard-synth-tags-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = generate(&SynthOptions { scale: 0.01, seed: 7, accounts: 2 }, &dir);
    assert!(r.is_ok(), "{r:?}");
    let mut list = Vec::new();
    files(&dir, &mut list);
    let mut seen = 0;
    for f in &list {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        walk(&v, f, &mut seen);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(seen > 100, "only {seen} tags seen");
}
