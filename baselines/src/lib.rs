#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`sym`]: SymANLS and SymHALS (Zhu et al. 2018), SymNewton and PGD (Kuang et al. 2015),
//!   ADMM (Lu, Hong, Wang 2017), the plain projected scheme (4) of the SymNMF-Net paper, and
//!   Kuang's ANLS variant — one interface: [`SymParams`] → [`fit`] → [`SymFit`] (factor,
//!   per-iteration history, convergence report).
//! * [`mod@nmf`]: MU, HALS and ANLS-BPP for `Y ≈ HW`, and [`nmf::nnls_fixed_basis`]; their starts
//!   (random, NNDSVD, NNDSVDa) in [`mod@nmf_start`].
//! * [`nmf_beta`] (β-divergences, penalties, the KL coordinate descent) and [`nmf_mask`]
//!   (missing entries) behind the same NMF interface.
//! * [`consensus`]: consensus NMF (cNMF's algorithm) over replicates of the NMF solvers.
//! * [`nnls`]: the one block-principal-pivoting NNLS kernel all of them share.
//! * [`subspace`]: the rank-k references (truncated SVD, subspace fitted to ε) of GAN-UNET's
//!   comparisons.
//!
//! ## Why faer
//!
//! For the product that dominates SymNMF (X·V, n×n by n×r) `bench gemm` measured on
//! the 2-core development machine (f32, n = 3000, r = 30) faer at 61 GFLOP/s against Burn flex
//! 54 and ndarray 12 (numpy/OpenBLAS 82); it also brings a blocked parallel Cholesky, which
//! SymNewton's n×n Hessian blocks need.

pub mod consensus;
pub mod data;
pub mod error;
pub mod history;
pub mod linalg;
pub mod nmf;
pub mod nmf_beta;
pub mod nmf_mask;
pub mod nmf_start;
pub mod nnls;
mod simd;
pub mod subspace;
pub mod sym;

pub use error::{Result, SolverError};
pub use history::{Convergence, IterRecord, StopReason};
pub use history::{Hook, Verbose};
pub use linalg::SymMatrix;
pub use nmf::{
    nmf, nmf_from, nmf_start, nndsvd, nnls_fixed_basis, NmfFit, NmfInit, NmfMethod, NmfParams,
    NmfSteps,
};
pub use sym::{fit, fit_from, fit_observed, SymFit, SymMethod, SymParams};

/// Upper limit of every solver's iteration budget.
pub const MAX_ITER: usize = 1_000_000;

/// Checks an iteration budget: 1 to [`MAX_ITER`].
pub(crate) fn check_max_iter(max_iter: usize) -> Result<()> {
    if max_iter == 0 {
        return Err(error::param("max_iter", "must be at least 1"));
    }
    if max_iter > MAX_ITER {
        return Err(error::param(
            "max_iter",
            format!("must be at most {MAX_ITER} (the history keeps every iteration)"),
        ));
    }
    Ok(())
}
