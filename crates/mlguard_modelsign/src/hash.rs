//! Listing a model directory the way the tool does, and hashing its files.
//!
//! Files are read in 1 MiB chunks (memory per worker is one buffer, whatever the file size), and
//! several files are hashed at once on up to `threads` worker threads.

use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use crate::Error;

const CHUNK: usize = 1024 * 1024;

/// The SHA-256 of a file and its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHash {
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// Bytes read.
    pub size: u64,
}

/// Hashes one file, streaming, with a 1 MiB buffer.
pub fn sha256_file(path: &Path) -> Result<FileHash, Error> {
    let mut buf = vec![0u8; CHUNK];
    sha256_file_with(path, &mut buf)
}

fn sha256_file_with(path: &Path, buf: &mut [u8]) -> Result<FileHash, Error> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                hasher.update(chunk);
                size += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(FileHash {
        sha256: hasher.finalize().into(),
        size,
    })
}

/// A set of ignored paths, each a list of path components relative to the model directory.
/// A path is ignored when one of them is a prefix of it (pathlib's `is_relative_to`).
#[derive(Debug, Clone, Default)]
pub(crate) struct IgnoreSet {
    prefixes: Vec<Vec<String>>,
}

/// The paths the tool ignores unless told `--no-ignore-git-paths`.
pub(crate) const GIT_PATHS: [&str; 4] = [".git", ".gitattributes", ".github", ".gitignore"];

impl IgnoreSet {
    /// Adds a path relative to the model directory. `.` components and empty components are
    /// dropped as pathlib does; a path with `..` could never match a listed file and is skipped.
    pub(crate) fn add(&mut self, rel: &str) {
        let parts: Vec<String> = rel
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_owned)
            .collect();
        if parts.iter().any(|c| c == "..") {
            return;
        }
        if !self.prefixes.contains(&parts) {
            self.prefixes.push(parts);
        }
    }

    /// Adds a caller's path: relative paths are taken relative to the model directory, absolute
    /// ones must lie inside it (they are skipped otherwise, as the tool skips them).
    pub(crate) fn add_path(&mut self, model_dir: &Path, p: &Path) {
        let rel = if p.is_absolute() {
            let base = fs::canonicalize(model_dir).unwrap_or_else(|_| model_dir.to_path_buf());
            let full = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            match full.strip_prefix(&base) {
                Ok(r) => r.to_path_buf(),
                Err(_) => return,
            }
        } else {
            p.to_path_buf()
        };
        if let Some(s) = rel.to_str() {
            self.add(&s.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }

    pub(crate) fn is_ignored(&self, parts: &[String]) -> bool {
        self.prefixes.iter().any(|p| parts.starts_with(p))
    }

    /// The ignored paths, `/`-joined and sorted (`.` for the whole directory).
    pub(crate) fn to_strings(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .prefixes
            .iter()
            .map(|p| {
                if p.is_empty() {
                    ".".to_owned()
                } else {
                    p.join("/")
                }
            })
            .collect();
        v.sort();
        v
    }
}

/// A file of the model: its manifest name (`/`-separated, relative) and where it is.
#[derive(Debug, Clone)]
pub(crate) struct ModelFile {
    pub name: String,
    pub parts: Vec<String>,
    pub path: PathBuf,
}

/// Lists the files of `model_dir` as the tool's file serializer does: every path below the
/// directory is checked (a symlink is an error unless `allow_symlinks`; a special file or a broken
/// link is an error), even inside ignored directories; regular files (and, with `allow_symlinks`,
/// links to regular files) that are not ignored are kept; symlinked directories are not entered.
pub(crate) fn list_files(
    model_dir: &Path,
    ignore: &IgnoreSet,
    allow_symlinks: bool,
) -> Result<Vec<ModelFile>, Error> {
    let meta = fs::symlink_metadata(model_dir).map_err(|e| Error::io(model_dir, e))?;
    if meta.file_type().is_symlink() && !allow_symlinks {
        return Err(Error::Symlink(model_dir.display().to_string()));
    }
    let target = fs::metadata(model_dir).map_err(|e| Error::io(model_dir, e))?;
    if !target.is_dir() {
        return Err(Error::Unsupported {
            what: "model path (a directory is required)",
            value: model_dir.display().to_string(),
        });
    }
    let mut out = Vec::new();
    let mut stack: Vec<(PathBuf, Vec<String>)> = vec![(model_dir.to_path_buf(), Vec::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let name = entry
                .file_name()
                .into_string()
                .map_err(|n| Error::NonUtf8Path(path.with_file_name(n).display().to_string()))?;
            let mut parts = rel.clone();
            parts.push(name);
            let shown = || parts.join("/");
            let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
            let is_file = if ft.is_symlink() {
                if !allow_symlinks {
                    return Err(Error::Symlink(shown()));
                }
                match fs::metadata(&path) {
                    Ok(m) if m.is_file() => true,
                    // A link to a directory: pathlib's glob does not descend into it, and it is
                    // not a file, so it is skipped.
                    Ok(m) if m.is_dir() => false,
                    _ => return Err(Error::NotFileOrDirectory(shown())),
                }
            } else if ft.is_dir() {
                stack.push((path.clone(), parts.clone()));
                false
            } else if ft.is_file() {
                true
            } else {
                return Err(Error::NotFileOrDirectory(shown()));
            };
            if is_file && !ignore.is_ignored(&parts) {
                out.push(ModelFile {
                    name: parts.join("/"),
                    parts,
                    path,
                });
            }
        }
    }
    sort_like_pathlib(&mut out);
    Ok(out)
}

/// The tool sorts resources as `PurePosixPath`s, which compare component by component (so `a/b`
/// sorts before `a-c`, unlike a plain string sort).
pub(crate) fn sort_like_pathlib(files: &mut [ModelFile]) {
    files.sort_by(|a, b| a.parts.cmp(&b.parts));
}

/// Hashes `files` on up to `threads` threads (0: as many as the machine has). The result is in the
/// order of `files`.
pub(crate) fn hash_files(files: &[ModelFile], threads: usize) -> Vec<Result<FileHash, Error>> {
    let threads = if threads == 0 {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
    } else {
        threads
    }
    .clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<FileHash, Error>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let work = || {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(f) = files.get(i) else { break };
            let r = sha256_file_with(&f.path, &mut buf);
            if let Ok(mut all) = results.lock() {
                if let Some(slot) = all.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results
        .into_iter()
        .zip(files)
        .map(|(r, f)| {
            r.unwrap_or_else(|| {
                Err(Error::io(
                    &f.path,
                    std::io::Error::other("the hashing thread stopped"),
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn mf(name: &str) -> ModelFile {
        ModelFile {
            name: name.to_owned(),
            parts: name.split('/').map(str::to_owned).collect(),
            path: PathBuf::from(name),
        }
    }

    #[test]
    fn sorts_by_component_like_pathlib() {
        let mut v = vec![mf("a-c"), mf("a/b"), mf("B"), mf("a")];
        sort_like_pathlib(&mut v);
        let names: Vec<_> = v.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["B", "a", "a/b", "a-c"]);
    }

    #[test]
    fn ignore_is_a_component_prefix() {
        let mut ig = IgnoreSet::default();
        ig.add(".git/");
        ig.add("./dir//sub");
        ig.add("../outside");
        let p = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<_>>();
        assert!(ig.is_ignored(&p(".git/config")));
        assert!(ig.is_ignored(&p(".git")));
        assert!(!ig.is_ignored(&p(".github")));
        assert!(ig.is_ignored(&p("dir/sub/x")));
        assert!(!ig.is_ignored(&p("dir/subx")));
        assert_eq!(ig.to_strings(), [".git", "dir/sub"]);
    }

    #[test]
    fn hashes_known_content_on_several_threads() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..7 {
            let name = format!("f{i}");
            fs::write(dir.path().join(&name), vec![b'x'; i * 1000 + 3]).unwrap();
            files.push(ModelFile {
                name: name.clone(),
                parts: vec![name.clone()],
                path: dir.path().join(&name),
            });
        }
        let got = hash_files(&files, 2);
        for (i, r) in got.iter().enumerate() {
            let r = r.as_ref().unwrap();
            let expect: [u8; 32] = Sha256::digest(vec![b'x'; i * 1000 + 3]).into();
            assert_eq!(r.sha256, expect);
            assert_eq!(r.size, (i * 1000 + 3) as u64);
        }
    }
}
