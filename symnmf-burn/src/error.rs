//! Errors of SymNMF-Net: invalid configurations and inputs, each naming what is wrong.

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, SymNmfError>;

#[derive(Debug, thiserror::Error)]
pub enum SymNmfError {
    #[error("rank must be at least 1")]
    RankZero,
    #[error("rank {rank} is larger than the number of points n = {n}")]
    RankTooLarge { rank: usize, n: usize },
    #[error("the network needs at least one block (K ≥ 1)")]
    NoBlocks,
    #[error("invalid parameter {name} = {value}: {msg}")]
    Param {
        name: &'static str,
        value: String,
        msg: String,
    },
    #[error(
        "fixed λ = {lambda} is below the lower bound {bound:.6} of Proposition 1 \
         (½(‖X‖_F + ‖X − U₀U₀ᵀ‖_F)); raise it, or allow it explicitly (`allow_below_bound` in the config's `lambda`) to study small λ"
    )]
    LambdaBelowBound { lambda: f64, bound: f64 },
    #[error("X must be a square n×n matrix, got {rows}×{cols}")]
    NotSquare { rows: usize, cols: usize },
    #[error("X is all zeros (‖X‖_F = 0): nothing to factorise")]
    ZeroMatrix,
}
