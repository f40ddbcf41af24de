//! Symmetric NMF `X ≈ UUᵀ, U ≥ 0` by the classical solvers (SPEC §3).
//!
//! | method | objective | per iteration | λ / ρ default |
//! |---|---|---|---|
//! | SymANLS (Zhu et al. 2018) | ½‖X − UVᵀ‖² + λ/2‖U − V‖² | two exact NNLS solves (BPP, warm) | λ = ‖X‖₂ |
//! | SymHALS (Zhu et al. 2018) | same | one Gauss–Seidel column sweep on U, then on V | λ = ‖X‖₂ |
//! | scheme (4) (SymNMF-Net paper) | same | `W = max((X+λI)V(VᵀV+λI)⁻¹, 0)`, then V from W | λ = ‖X‖_F |
//! | Kuang's ANLS | same, λ = α | as SymANLS | α = max(X)²/‖X‖₂ |
//! | SymNewton (Kuang et al. 2015) | ‖X − HHᵀ‖² | projected Newton-like step, Armijo | — |
//! | PGD | ‖X − HHᵀ‖² | projected gradient step, Armijo | — |
//! | ADMM (Lu, Hong, Wang 2017) | ½‖WYᵀ − X‖², W = Y ≥ 0 | W closed form, Y by NNLS, dual step | ρ = 3‖X‖₂ |
//!
//! λ = 1 is the default of Zhu et al.'s `symHALS.m`; their theory asks λ large enough that U
//! and V meet, and on the ncut-normalised graphs of SPEC §4 (‖X‖₂ = 1) λ = 1 does that.
//!
//! **Scale.** Every setting that depends on the size of X's entries is expressed in the unit
//! s = ‖X‖₂ (computed to rounding, [`nmfnet_datasets::graph::scale`]): λ = s for SymANLS and
//! SymHALS (Zhu's λ = 1 where s = 1), Kuang's α = max(X)²/s, ρ = 3‖X‖₂, PGD's first trial step
//! 1/s, the thresholds of SymNewton's free sets and HALS's column reset ∝ √s. U₀ ∝ √mean(X), and
//! the stop test is relative. So a fit of cX returns √c times the factors of X, the same labels
//! and the same relative error, to rounding; an explicit λ or ρ is taken as given (it is part
//! of the objective asked for). An all-zero X is refused ([`crate::SolverError::ZeroMatrix`]).
//!
//! Every
//! method starts from Kuang's `U₀ = 2·sqrt(mean(X)/r)·rand(n, r)` with V₀ = U₀ (seeded; the
//! same numbers SymNMF-Net's U₀ is drawn from). Labels come from V (two-factor methods), H, or
//! Y (ADMM). Stop rule: the projected-gradient norm relative to the first iterate's falls
//! below `tol` (default 1e-4), or `max_iter` iterations (default 1000): not converging is
//! reported, not an error.

mod admm;
mod alternating;
mod newton;

pub(crate) use alternating::hals_sweep as alternating_hals_sweep;
pub(crate) use alternating::hals_sweep_violation as alternating_hals_sweep_violation;
pub(crate) use alternating::hals_sweeps_violation_in_place;

use crate::error::{param, Result};
use crate::history::{Convergence, Hook, IterRecord};
use crate::linalg::{check_positive, check_rank, kuang_init, SymMatrix};
use faer::Mat;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The SymNMF solvers (serialised by [`SymMethod::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymMethod {
    SymAnls,
    SymHals,
    SymNewton,
    Pgd,
    Admm,
    Scheme4,
    #[serde(rename = "kuang-anls")]
    KuangAnls,
}

impl SymMethod {
    pub const ALL: [SymMethod; 7] = [
        SymMethod::SymAnls,
        SymMethod::SymHals,
        SymMethod::SymNewton,
        SymMethod::Pgd,
        SymMethod::Admm,
        SymMethod::Scheme4,
        SymMethod::KuangAnls,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SymMethod::SymAnls => "symanls",
            SymMethod::SymHals => "symhals",
            SymMethod::SymNewton => "symnewton",
            SymMethod::Pgd => "pgd",
            SymMethod::Admm => "admm",
            SymMethod::Scheme4 => "scheme4",
            SymMethod::KuangAnls => "kuang-anls",
        }
    }

    /// Number of n×n-by-n×r products (X·V) in one iteration when no line-search trial is
    /// rejected: the "GEMM floor" of the benchmark.
    pub fn products_per_iteration(self) -> usize {
        match self {
            SymMethod::SymAnls | SymMethod::SymHals | SymMethod::Scheme4 | SymMethod::KuangAnls => {
                2
            }
            SymMethod::Admm => 2,
            SymMethod::SymNewton | SymMethod::Pgd => 1,
        }
    }
}

impl fmt::Display for SymMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SymMethod {
    type Err = crate::SolverError;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(
            s,
            &SymMethod::ALL,
            SymMethod::name,
            "method",
            "SymNMF method",
        )
    }
}

/// Parameters of a SymNMF fit; `None` means the method's default (see the module docs).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SymParams {
    pub rank: usize,
    pub max_iter: usize,
    pub tol: f64,
    /// Penalty λ of the two-factor methods (SymANLS, SymHALS, scheme (4); Kuang's ANLS uses
    /// it as α).
    pub lambda: Option<f64>,
    /// ADMM penalty ρ.
    pub rho: Option<f64>,
    /// The default penalty of SymANLS and SymHALS in units of ‖X‖₂ (1: Zhu et al.'s λ = 1 on
    /// their graphs with ‖X‖₂ = 1); ignored when `lambda` is given.
    #[serde(default = "one")]
    pub penalty_factor: f64,
    /// Seed of U₀ (ignored when an explicit start is given to [`fit_from`]).
    pub seed: u64,
    /// Record the history every this many iterations (the first and last always).
    pub record_every: usize,
    /// Stop switch, checked once per iteration (not part of the parameters' record).
    #[serde(skip)]
    pub cancel: nmfnet_datasets::Cancel,
}

impl SymParams {
    pub fn new(rank: usize) -> Self {
        Self {
            rank,
            max_iter: 1000,
            tol: 1e-4,
            lambda: None,
            rho: None,
            penalty_factor: 1.0,
            seed: 0,
            record_every: 1,
            cancel: Default::default(),
        }
    }

    fn validate(&self, n: usize) -> Result<()> {
        check_rank(self.rank, n)?;
        crate::check_max_iter(self.max_iter)?;
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(param(
                "tol",
                format!("must be finite and ≥ 0, got {}", self.tol),
            ));
        }
        if let Some(l) = self.lambda {
            check_positive("lambda", l)?;
        }
        if let Some(r) = self.rho {
            check_positive("rho", r)?;
        }
        check_positive("penalty_factor", self.penalty_factor)?;
        Ok(())
    }
}

/// The result of a fit.
#[derive(Clone, Debug)]
pub struct SymFit {
    pub method: SymMethod,
    /// The factor the labels come from (n×r).
    pub u: Mat<f64>,
    /// The other factor of two-factor methods (U of the (U, V) pair; ADMM's W), if any.
    pub other: Option<Mat<f64>>,
    pub history: Vec<IterRecord>,
    pub convergence: Convergence,
    /// Products X·V (n×n by n×r) computed, initialisation and line-search trials included.
    pub products: usize,
    /// The penalty actually used (λ, α or ρ), if the method has one.
    pub penalty: Option<f64>,
    /// ‖X‖₂, the unit of the method's scale-dependent settings (see the module docs).
    pub scale: f64,
    pub seconds: f64,
}

impl SymFit {
    pub fn labels(&self) -> Vec<usize> {
        crate::history::argmax_rows(self.u.as_ref())
    }
}

fn one() -> f64 {
    1.0
}

/// Where a fit starts: U₀ and the unit ‖X‖₂ of its settings.
pub(crate) struct Start {
    pub u0: Mat<f64>,
    pub scale: f64,
}

/// X·V, counted.
fn counted(x: &SymMatrix, products: &mut usize, v: faer::MatRef<'_, f64>) -> Mat<f64> {
    *products += 1;
    x.mul(v)
}

/// Fits from Kuang's seeded initialisation.
pub fn fit(
    method: SymMethod,
    x: &SymMatrix,
    params: &SymParams,
    labels: Option<&[usize]>,
) -> Result<SymFit> {
    params.validate(x.n())?;
    let u0 = kuang_init(x.n(), params.rank, x.mean(), 2.0, params.seed);
    fit_from(method, x, params, u0, labels)
}

/// Fits from a given nonnegative start U₀ (n×rank).
pub fn fit_from(
    method: SymMethod,
    x: &SymMatrix,
    params: &SymParams,
    u0: Mat<f64>,
    labels: Option<&[usize]>,
) -> Result<SymFit> {
    fit_observed(method, x, params, u0, labels, None)
}

/// [`fit_from`] with a hook called after every iteration (progress reporting).
pub fn fit_observed(
    method: SymMethod,
    x: &SymMatrix,
    params: &SymParams,
    u0: Mat<f64>,
    labels: Option<&[usize]>,
    hook: Hook<'_>,
) -> Result<SymFit> {
    params.validate(x.n())?;
    if u0.nrows() != x.n() || u0.ncols() != params.rank {
        return Err(crate::SolverError::Shape(format!(
            "U₀ is {}×{}, expected {}×{}",
            u0.nrows(),
            u0.ncols(),
            x.n(),
            params.rank
        )));
    }
    if let Some(l) = labels {
        if l.len() != x.n() {
            return Err(crate::SolverError::Shape(format!(
                "{} labels for n = {} points",
                l.len(),
                x.n()
            )));
        }
    }
    let scale = x.scale();
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(crate::SolverError::ZeroMatrix);
    }
    let start = Start { u0, scale };
    match method {
        SymMethod::SymAnls | SymMethod::SymHals | SymMethod::Scheme4 | SymMethod::KuangAnls => {
            alternating::fit(method, x, params, start, labels, hook)
        }
        SymMethod::SymNewton | SymMethod::Pgd => {
            newton::fit(method, x, params, start, labels, hook)
        }
        SymMethod::Admm => admm::fit(x, params, start, labels, hook),
    }
}
