//! Differential test: `LocalBlobStore` against a reference model of S3 versioning.
use crate::common::temp_dir;
use mlguard_registry::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;

#[derive(Debug, Clone)]
enum Op {
    Put(usize, u8),
    Delete(usize),
    DeleteVersion(usize, usize),
    Restore(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, any::<u8>()).prop_map(|(k, b)| Op::Put(k, b)),
        1 => (0..2usize).prop_map(Op::Delete),
        1 => (0..2usize, 0..8usize).prop_map(|(k, i)| Op::DeleteVersion(k, i)),
        1 => (0..2usize, 0..8usize).prop_map(|(k, i)| Op::Restore(k, i)),
    ]
}

/// Versions of one key, oldest first: (version id, content or `None` for a delete marker).
type Model = BTreeMap<String, Vec<(String, Option<Vec<u8>>)>>;

const KEYS: [&str; 2] = ["models/a", "models/b"];

fn check(s: &LocalBlobStore, model: &Model) -> Result<(), TestCaseError> {
    for key in KEYS {
        let versions = model.get(key).cloned().unwrap_or_default();
        match versions.last() {
            Some((_, Some(content))) => {
                let mut got = Vec::new();
                s.get(key, None).unwrap().read_to_end(&mut got).unwrap();
                prop_assert_eq!(&got, content);
            }
            _ => prop_assert!(matches!(s.get(key, None), Err(BlobError::NotFound { .. })), "latest should be absent"),
        }
        let listed: Vec<(String, bool, bool)> = s.list_versions(key).unwrap().into_iter().map(|e| (e.version_id, e.is_delete_marker, e.is_latest)).collect();
        let want: Vec<(String, bool, bool)> = versions.iter().rev().enumerate().map(|(i, (v, c))| (v.clone(), c.is_none(), i == 0)).collect();
        prop_assert_eq!(listed, want);
        for (vid, c) in &versions {
            if let Some(c) = c {
                let mut got = Vec::new();
                s.get(key, Some(vid)).unwrap().read_to_end(&mut got).unwrap();
                prop_assert_eq!(&got, c);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn local_store_behaves_like_s3_versioning(ops in prop::collection::vec(op(), 1..24)) {
        let d = temp_dir("model");
        let s = LocalBlobStore::open(d.path()).unwrap();
        let mut model = Model::new();
        for op in ops {
            match op {
                Op::Put(k, b) => {
                    let content = vec![b; usize::from(b % 5) + 1];
                    let o = s.put(KEYS[k], &mut &content[..], None).unwrap();
                    model.entry(KEYS[k].to_string()).or_default().push((o.version_id, Some(content)));
                }
                Op::Delete(k) => {
                    let m = s.delete(KEYS[k]).unwrap();
                    model.entry(KEYS[k].to_string()).or_default().push((m, None));
                }
                Op::DeleteVersion(k, i) => {
                    let vs = model.entry(KEYS[k].to_string()).or_default();
                    if vs.is_empty() {
                        prop_assert!(s.delete_version(KEYS[k], "00000000000000000001").is_err());
                    } else {
                        let (vid, _) = vs.remove(i % vs.len());
                        s.delete_version(KEYS[k], &vid).unwrap();
                    }
                }
                Op::Restore(k, i) => {
                    let vs = model.entry(KEYS[k].to_string()).or_default();
                    if !vs.is_empty() {
                        let (vid, c) = vs[i % vs.len()].clone();
                        match c {
                            Some(c) => {
                                let o = s.restore(KEYS[k], &vid).unwrap();
                                prop_assert_eq!(o.sha256, Sha256Digest::of(&c));
                                vs.push((o.version_id, Some(c)));
                            }
                            None => prop_assert!(matches!(s.restore(KEYS[k], &vid), Err(BlobError::DeleteMarker { .. })), "restoring a marker"),
                        }
                    }
                }
            }
            check(&s, &model)?;
        }
    }
}
