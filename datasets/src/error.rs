//! The error type of this crate: every variant names the file or the entry that is wrong.

use std::path::PathBuf;

/// Result alias of the data crate.
pub type Result<T> = std::result::Result<T, DataError>;

/// What can be wrong with data handed to nmfnet.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The OS error is part of the message and deliberately not a `source()`: a caller
    /// printing the error chain would otherwise show it twice.
    #[error("cannot read {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot write {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path} exists; nmfnet never writes over a file it did not create (choose a new name or remove it)")]
    Exists { path: PathBuf },
    #[error("{path}: {msg}")]
    Format { path: PathBuf, msg: String },
    #[error("{path}, line {line}: {msg}")]
    Parse {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error("{what} is empty")]
    Empty { what: String },
    #[error("{what} must be square, got {rows}×{cols}")]
    NotSquare {
        what: String,
        rows: usize,
        cols: usize,
    },
    #[error("{what} has a non-finite entry ({value}) at ({row}, {col})")]
    NonFinite {
        what: String,
        row: usize,
        col: usize,
        value: f64,
    },
    #[error("{what} has a negative entry {value} at ({row}, {col}); a similarity matrix must be nonnegative")]
    Negative {
        what: String,
        row: usize,
        col: usize,
        value: f64,
    },
    #[error("{what} is not symmetric: X[{row},{col}] = {a} but X[{col},{row}] = {b}")]
    NotSymmetric {
        what: String,
        row: usize,
        col: usize,
        a: f64,
        b: f64,
    },
    #[error("{what}: expected {expected}, found {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    #[error("invalid parameter {name}: {msg}")]
    Param { name: &'static str, msg: String },
    #[error("{what} needs about {} of memory, but this machine has {} available: choose a smaller size", gib(*.need), gib(*.have))]
    Memory { what: String, need: u64, have: u64 },
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Memory the system can still give (`MemAvailable` of /proc/meminfo, in bytes); None where
/// that is not known.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Refuses work that needs `need` bytes when the machine has fewer available (nothing is
/// refused where the available memory is not known).
pub fn check_memory(what: impl Into<String>, need: u64) -> Result<()> {
    match available_memory() {
        Some(have) if need > have => Err(DataError::Memory {
            what: what.into(),
            need,
            have,
        }),
        _ => Ok(()),
    }
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            cause: source,
        }
    }
    pub(crate) fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Write {
            path: path.into(),
            cause: source,
        }
    }
    pub(crate) fn format(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            msg: msg.into(),
        }
    }
}
