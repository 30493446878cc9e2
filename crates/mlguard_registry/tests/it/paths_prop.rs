use mlguard_registry::paths::{check_artifact_path, PathProblem};
use proptest::prelude::*;
use std::path::{Component, Path};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever is accepted stays under the destination directory when joined as `pull` does.
    #[test]
    fn accepted_paths_cannot_escape(s in "[a-z./\\\\\\x00\\n:]{0,24}") {
        if check_artifact_path(&s).is_ok() {
            prop_assert!(!s.starts_with('/'));
            prop_assert!(!s.contains('\\') && !s.contains('\0'));
            for c in s.split('/') {
                prop_assert!(!c.is_empty() && c != "." && c != "..");
            }
            let joined = s.split('/').fold(Path::new("/base").to_path_buf(), |p, c| p.join(c));
            prop_assert!(joined.starts_with("/base"));
            prop_assert!(joined.components().skip(2).all(|c| matches!(c, Component::Normal(_))));
        }
    }

    /// Paths built from ordinary components are accepted.
    #[test]
    fn ordinary_paths_are_accepted(parts in prop::collection::vec("[A-Za-z0-9_-][A-Za-z0-9._-]{0,10}", 1..6)) {
        let parts: Vec<String> = parts.into_iter().filter(|p| p != "." && p != "..").collect();
        prop_assume!(!parts.is_empty());
        prop_assert_eq!(check_artifact_path(&parts.join("/")), Ok(()));
    }

    /// Putting one bad element anywhere in a good path gets it rejected.
    #[test]
    fn one_bad_element_rejects(parts in prop::collection::vec("[a-z0-9]{1,6}", 1..5), at in 0usize..5, bad in prop::sample::select(vec!["..", ".", "", "a\\b", "x\0y", "\n"])) {
        let mut parts = parts;
        let at = at.min(parts.len());
        parts.insert(at, bad.to_string());
        let p = parts.join("/");
        prop_assert!(check_artifact_path(&p).is_err(), "{:?}", p);
        let abs = format!("/{}", parts.join("/"));
        prop_assert!(check_artifact_path(&abs).is_err());
    }
}

#[test]
fn absolute_is_reported_as_such() {
    assert_eq!(check_artifact_path("/a"), Err(PathProblem::Absolute));
}
