//! Typed errors of the solvers. Not converging is *not* an error: it is reported in
//! [`crate::Convergence`].

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SolverError {
    #[error("the matrix is empty")]
    Empty,
    #[error("the matrix must be square for symmetric NMF, got {rows}×{cols}")]
    NotSquare { rows: usize, cols: usize },
    #[error("the matrix is not symmetric: X[{i},{j}] = {a} but X[{j},{i}] = {b}")]
    NotSymmetric { i: usize, j: usize, a: f64, b: f64 },
    #[error("the matrix has a negative entry {value} at ({i},{j}); NMF needs X ≥ 0")]
    Negative { i: usize, j: usize, value: f64 },
    #[error("the matrix has a non-finite entry {value} at ({i},{j})")]
    NonFinite { i: usize, j: usize, value: f64 },
    #[error("X is all zeros: U = 0 fits it exactly and there is nothing to factorise")]
    ZeroMatrix,
    #[error("rank must be at least 1 and at most {max} (the matrix size), got {rank}")]
    Rank { rank: usize, max: usize },
    #[error("invalid parameter {name}: {reason}")]
    Param { name: &'static str, reason: String },
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A row or column of Y whose entries are all missing: nothing can fit it.
    #[error(
        "{what} {index} of Y has no observed entry (all of it is missing): nothing can fit it"
    )]
    Unobserved { what: &'static str, index: usize },
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// The request's stop switch ([`nmfnet_datasets::Cancel`]) was set.
    #[error("cancelled at iteration {iter}")]
    Cancelled { iter: usize },
}

pub type Result<T> = std::result::Result<T, SolverError>;

pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> SolverError {
    SolverError::Param {
        name,
        reason: reason.into(),
    }
}

/// The entry of `all` whose name (by `name`) is `s`, any case; otherwise the parameter error
/// "unknown {what} {s:?}; expected one of …" listing every name. One parser for the named
/// choices of this crate (solvers, starts).
pub(crate) fn parse_named<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    param_name: &'static str,
    what: &str,
) -> Result<T> {
    let wanted = s.to_ascii_lowercase();
    all.iter()
        .copied()
        .find(|&m| name(m) == wanted)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|&m| name(m)).collect();
            param(
                param_name,
                format!("unknown {what} {s:?}; expected one of {}", names.join(", ")),
            )
        })
}
