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
    #[error("{what}: {empty} of its {n} rows are empty (isolated nodes, which no method can place in a cluster); a graph with more isolated nodes than connected ones is refused")]
    Isolated {
        what: String,
        empty: usize,
        n: usize,
    },
    #[error("{what} needs about {} of memory, but {} available{}: choose a smaller size", gib(*.need), gib(*.have), if *.limited { " (NMFNET_MAX_MEMORY)" } else { " on this machine" })]
    Memory {
        what: String,
        need: u64,
        have: u64,
        /// The budget is the user's `NMFNET_MAX_MEMORY`, not the machine's available memory.
        limited: bool,
    },
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

/// The memory a command may plan to use: the machine's available memory, or less where the
/// environment variable `NMFNET_MAX_MEMORY` says so (bytes, or a number with a K, M, G or T
/// suffix in powers of 1024: `NMFNET_MAX_MEMORY=2G`). Returns the budget and whether it is the
/// user's limit; None where neither is known. A value that is not a size is an error.
pub fn memory_budget() -> Result<Option<(u64, bool)>> {
    let limit = match std::env::var("NMFNET_MAX_MEMORY") {
        Ok(text) => Some(parse_size(&text).ok_or_else(|| DataError::Param {
            name: "NMFNET_MAX_MEMORY",
            msg: format!("{text:?} is not a size (bytes, or a number followed by K, M, G or T)"),
        })?),
        Err(_) => None,
    };
    Ok(match (available_memory(), limit) {
        (Some(have), Some(lim)) if lim < have => Some((lim, true)),
        (Some(have), _) => Some((have, false)),
        (None, Some(lim)) => Some((lim, true)),
        (None, None) => None,
    })
}

fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return None,
            };
            (t[..i].trim(), shift)
        }
        _ => (t, 0),
    };
    let value: f64 = digits.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * (1u64 << shift) as f64) as u64)
}

/// Refuses work that needs `need` bytes when the budget of [`memory_budget`] is smaller
/// (nothing is refused where no budget is known).
pub fn check_memory(what: impl Into<String>, need: u64) -> Result<()> {
    match memory_budget()? {
        Some((have, limited)) if need > have => Err(DataError::Memory {
            what: what.into(),
            need,
            have,
            limited,
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

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn memory_budgets_read_as_sizes() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size(" 1.5g "), Some(3 << 29));
        assert_eq!(parse_size("2T"), Some(2 << 40));
        for bad in ["", "lots", "-1G", "1X", "G", "NaN"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
