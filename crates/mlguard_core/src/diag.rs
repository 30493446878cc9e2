//! Problems with the input, reported next to findings instead of aborting the run.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something was skipped or assumed; the rest of the analysis stands.
    Warning,
    /// Something could not be used at all (a whole file, a required resource).
    Error,
}

/// An input problem: which file, where in it (a JSON path such as `$.Vpcs[3].CidrBlock`), and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub level: Level,
    /// The file, relative to the input root where there is one.
    pub file: String,
    /// Where in the file: a JSON path, or empty for the whole file.
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(file: impl Into<String>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Warning, file: file.into(), path: path.into(), message: message.into() }
    }

    pub fn error(file: impl Into<String>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Error, file: file.into(), path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Warning => "warning",
            Level::Error => "error",
        };
        if self.path.is_empty() {
            write!(f, "{level}: {}: {}", self.file, self.message)
        } else {
            write!(f, "{level}: {}: at {}: {}", self.file, self.path, self.message)
        }
    }
}
