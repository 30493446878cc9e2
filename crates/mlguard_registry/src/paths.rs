//! Validation of the names and paths that come from clients: artifact paths, group names,
//! alias names and blob keys.
//!
//! Artifact paths are relative, `/`-separated paths that are written under a destination
//! directory by `pull`, so they must not be able to escape it or to mean different things on
//! different systems: no `..` or `.` component, no absolute path, no empty component (which
//! also rules out a leading, trailing or doubled `/`), no backslash, no NUL or other control
//! character, at most 1024 bytes and 255 bytes per component.

use crate::error::RegistryError;

/// Longest artifact path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 1024;
/// Longest path component accepted, in bytes (the usual file-name limit).
pub const MAX_COMPONENT_LEN: usize = 255;

/// Why an artifact path was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    TooLong,
    Absolute,
    EmptyComponent,
    DotComponent,
    ParentComponent,
    Backslash,
    Nul,
    ControlCharacter,
    ComponentTooLong,
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "the path is empty",
            PathProblem::TooLong => "the path is longer than 1024 bytes",
            PathProblem::Absolute => "absolute paths are not allowed",
            PathProblem::EmptyComponent => "empty path component (leading, trailing or doubled `/`)",
            PathProblem::DotComponent => "`.` components are not allowed",
            PathProblem::ParentComponent => "`..` components are not allowed",
            PathProblem::Backslash => "backslashes are not allowed (use `/`)",
            PathProblem::Nul => "NUL bytes are not allowed",
            PathProblem::ControlCharacter => "control characters are not allowed",
            PathProblem::ComponentTooLong => "a path component is longer than 255 bytes",
        })
    }
}

/// Checks an artifact path, returning the first problem found.
pub fn check_artifact_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.len() > MAX_PATH_LEN {
        return Err(PathProblem::TooLong);
    }
    if path.contains('\0') {
        return Err(PathProblem::Nul);
    }
    if path.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if path.chars().any(char::is_control) {
        return Err(PathProblem::ControlCharacter);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    for c in path.split('/') {
        match c {
            "" => return Err(PathProblem::EmptyComponent),
            "." => return Err(PathProblem::DotComponent),
            ".." => return Err(PathProblem::ParentComponent),
            _ if c.len() > MAX_COMPONENT_LEN => return Err(PathProblem::ComponentTooLong),
            _ => {}
        }
    }
    Ok(())
}

/// Checks an artifact path, as a registry error naming the path.
pub fn validate_artifact_path(path: &str) -> Result<(), RegistryError> {
    check_artifact_path(path).map_err(|problem| RegistryError::InvalidPath { path: path.escape_debug().to_string(), problem })
}

/// Checks that no artifact path of a set is also a directory of another (`a` and `a/b`), nor
/// repeated, since both could not be written by `pull`.
pub fn check_path_set<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<(), RegistryError> {
    let mut sorted: Vec<&str> = paths.into_iter().collect();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if let [a, b] = w {
            if a == b {
                return Err(RegistryError::DuplicatePath { path: (*a).to_string() });
            }
            if b.len() > a.len() && b.starts_with(a) && b.as_bytes().get(a.len()) == Some(&b'/') {
                return Err(RegistryError::PathConflict { file: (*a).to_string(), other: (*b).to_string() });
            }
        }
    }
    // `a` and `a/b` need not be adjacent once sorted (`a`, `a-x`, `a/b`): check prefixes too.
    let set: std::collections::BTreeSet<&str> = sorted.iter().copied().collect();
    for p in &sorted {
        let mut end = 0;
        while let Some(i) = p[end..].find('/') {
            let dir = &p[..end + i];
            if set.contains(dir) {
                return Err(RegistryError::PathConflict { file: dir.to_string(), other: (*p).to_string() });
            }
            end += i + 1;
        }
    }
    Ok(())
}

/// Model package group names, as SageMaker allows them: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`.
pub fn is_valid_group_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// Alias names: a lowercase letter, then up to 62 lowercase letters, digits, `-` or `_`
/// (`production`, `staging`, `canary-eu`).
pub fn is_valid_alias_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

/// Blob keys: the artifact-path rules, at most 200 bytes (a key becomes one file name in the
/// local store once `/` and `%` are escaped).
pub fn is_valid_blob_key(key: &str) -> bool {
    key.len() <= 200 && check_artifact_path(key).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        for p in ["model.safetensors", "a/b/c.bin", "weights/part-0001.bin", ".hidden", "a..b", "日本/語"] {
            assert_eq!(check_artifact_path(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn rejects_each_problem() {
        let cases = [
            ("", PathProblem::Empty),
            ("/etc/passwd", PathProblem::Absolute),
            ("a//b", PathProblem::EmptyComponent),
            ("a/", PathProblem::EmptyComponent),
            ("./a", PathProblem::DotComponent),
            ("a/../../b", PathProblem::ParentComponent),
            ("..", PathProblem::ParentComponent),
            ("a\\b", PathProblem::Backslash),
            ("..\\x", PathProblem::Backslash),
            ("a\0b", PathProblem::Nul),
            ("a\nb", PathProblem::ControlCharacter),
        ];
        for (p, want) in cases {
            assert_eq!(check_artifact_path(p), Err(want.clone()), "{p:?}");
        }
        assert_eq!(check_artifact_path(&"x".repeat(256)), Err(PathProblem::ComponentTooLong));
        assert_eq!(check_artifact_path(&"x/".repeat(600)), Err(PathProblem::TooLong));
    }

    #[test]
    fn path_sets() {
        assert!(check_path_set(["a", "b/c"]).is_ok());
        assert!(matches!(check_path_set(["a", "a"]), Err(RegistryError::DuplicatePath { .. })));
        assert!(matches!(check_path_set(["a", "a-x", "a/b"]), Err(RegistryError::PathConflict { .. })));
        assert!(matches!(check_path_set(["x/a", "x/a/b/c"]), Err(RegistryError::PathConflict { .. })));
    }

    #[test]
    fn names() {
        assert!(is_valid_group_name("fraud-model-2"));
        assert!(!is_valid_group_name("-x"));
        assert!(!is_valid_group_name("x_y"));
        assert!(!is_valid_group_name(&"a".repeat(64)));
        assert!(is_valid_alias_name("production"));
        assert!(is_valid_alias_name("canary-eu_1"));
        assert!(!is_valid_alias_name("Prod"));
        assert!(!is_valid_alias_name("1st"));
        assert!(!is_valid_alias_name("a/b"));
    }
}
