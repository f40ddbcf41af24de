//! Plain NMF `Y ≈ H W` (Y m×n, H m×k, W k×n, all ≥ 0) for GAN-UNET's comparisons: MU
//! (Lee–Seung), HALS (Cichocki–Phan) and ANLS-BPP (Kim–Park), plus the NNLS solve of W for a
//! fixed H (the "transfer" protocol).
//!
//! Objective `½‖Y − HW‖²`; recorded relative error `‖Y − HW‖_F / ‖Y‖_F`. Stop rule (SPEC §3):
//! after 20 iterations, the projected gradient relative to the first iterate's at most 1e-3 for
//! 3 consecutive iterations; at most 500 iterations. In images-as-columns use, the columns of H
//! are the basis images.

use crate::error::{param, Result, SolverError};
use crate::history::{proj_grad_sq, Convergence, IterRecord, Recorder};
use crate::linalg::{a_b, add_diag, at_b, check_rank, dot, par, uniform};
use crate::nnls::nnls_bpp;
use crate::sym::alternating_hals_sweep as hals_sweep;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// MU's denominator guard.
pub const MU_EPS: f64 = 1e-16;
/// HALS's floor on every entry.
pub const HALS_EPS: f64 = 1e-16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NmfMethod {
    Mu,
    Hals,
    Anls,
}

impl NmfMethod {
    pub const ALL: [NmfMethod; 3] = [NmfMethod::Mu, NmfMethod::Hals, NmfMethod::Anls];
    pub fn name(self) -> &'static str {
        match self {
            NmfMethod::Mu => "mu",
            NmfMethod::Hals => "hals",
            NmfMethod::Anls => "anls",
        }
    }
}

impl fmt::Display for NmfMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NmfMethod {
    type Err = SolverError;
    fn from_str(s: &str) -> Result<Self> {
        NmfMethod::ALL
            .into_iter()
            .find(|m| m.name() == s.to_ascii_lowercase())
            .ok_or_else(|| {
                param(
                    "method",
                    format!("unknown NMF method {s:?}; expected mu, hals or anls"),
                )
            })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NmfParams {
    pub rank: usize,
    pub max_iter: usize,
    pub tol: f64,
    /// Iterations before the tolerance may stop the run.
    pub min_iter: usize,
    /// Consecutive iterations below the tolerance needed to stop.
    pub patience: usize,
    pub seed: u64,
    pub record_every: usize,
    /// Stop switch, checked once per iteration (not part of the parameters' record).
    #[serde(skip)]
    pub cancel: nmfnet_datasets::Cancel,
}

impl NmfParams {
    pub fn new(rank: usize) -> Self {
        Self {
            rank,
            max_iter: 500,
            tol: 1e-3,
            min_iter: 20,
            patience: 3,
            seed: 0,
            record_every: 1,
            cancel: Default::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct NmfFit {
    pub method: NmfMethod,
    pub h: Mat<f64>,
    pub w: Mat<f64>,
    pub history: Vec<IterRecord>,
    pub convergence: Convergence,
    pub seconds: f64,
}

impl NmfFit {
    /// ‖Y − HW‖_F / ‖Y‖_F of the result.
    pub fn rel_error(&self) -> f64 {
        self.history.last().map_or(f64::NAN, |h| h.rel_error)
    }
}

fn check_input(y: MatRef<'_, f64>) -> Result<()> {
    crate::linalg::check_nonnegative(y)
}

/// Seeded start: H, W uniform, scaled so that HW has the mean of Y.
pub fn nmf_init(y: MatRef<'_, f64>, rank: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let (m, n) = (y.nrows(), y.ncols());
    let mean = (0..n).map(|j| y.col(j).iter().sum::<f64>()).sum::<f64>() / (m * n) as f64;
    // E[(HW)_ij] = k · (s/2)² = mean  ⇒  s = 2 sqrt(mean/k).
    let s = 2.0 * (mean.max(0.0) / rank as f64).sqrt();
    let mut rng = StdRng::seed_from_u64(seed);
    let h = uniform(m, rank, s, &mut rng);
    let w = uniform(rank, n, s, &mut rng);
    (h, w)
}

/// Fits `Y ≈ HW` from the seeded start.
pub fn nmf(method: NmfMethod, y: MatRef<'_, f64>, params: &NmfParams) -> Result<NmfFit> {
    check_input(y)?;
    check_rank(params.rank, y.nrows().min(y.ncols()))?;
    let (h, w) = nmf_init(y, params.rank, params.seed);
    nmf_from(method, y, params, h, w)
}

/// Fits `Y ≈ HW` from a given start.
pub fn nmf_from(
    method: NmfMethod,
    y: MatRef<'_, f64>,
    params: &NmfParams,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    check_input(y)?;
    let (m, n) = (y.nrows(), y.ncols());
    check_rank(params.rank, m.min(n))?;
    crate::check_max_iter(params.max_iter)?;
    if h0.shape() != (m, params.rank) || w0.shape() != (params.rank, n) {
        return Err(SolverError::Shape(format!(
            "start H is {}×{} and W {}×{}, expected {m}×{k} and {k}×{n}",
            h0.nrows(),
            h0.ncols(),
            w0.nrows(),
            w0.ncols(),
            k = params.rank
        )));
    }
    let yf = crate::linalg::frob_sq(y);
    let mut rec = Recorder::new(params.tol, params.record_every, None, None)
        .with_patience(params.min_iter, params.patience)
        .with_cancel(&params.cancel);
    let mut h = h0;
    let mut w = w0;
    let mut hty = at_b(h.as_ref(), y);
    let mut hth = at_b(h.as_ref(), h.as_ref());
    let mut iter = 0;
    let mut last;
    let reason;
    loop {
        let mut ywt = Mat::zeros(m, params.rank);
        matmul(ywt.as_mut(), Accum::Replace, y, w.transpose(), 1.0, par());
        let wwt = a_b(w.as_ref(), w.transpose());
        let grad_h = &h * &wwt - &ywt;
        let grad_w = &hth * &w - &hty;
        let pg = (proj_grad_sq(h.as_ref(), grad_h.as_ref())
            + proj_grad_sq(w.as_ref(), grad_w.as_ref()))
        .sqrt();
        let resid =
            (yf - 2.0 * dot(h.as_ref(), ywt.as_ref()) + dot(hth.as_ref(), wwt.as_ref())).max(0.0);
        let objective = 0.5 * resid;
        let rel = (resid / yf).sqrt();
        last = (objective, rel);
        if let Some(r) = rec.check(
            method.name(),
            iter,
            params.max_iter,
            objective,
            rel,
            pg,
            h.as_ref(),
        )? {
            reason = r;
            break;
        }
        match method {
            NmfMethod::Mu => {
                let den = &h * &wwt;
                h = Mat::from_fn(m, params.rank, |i, j| {
                    h[(i, j)] * ywt[(i, j)] / (den[(i, j)] + MU_EPS)
                });
                hty = at_b(h.as_ref(), y);
                hth = at_b(h.as_ref(), h.as_ref());
                let den = &hth * &w;
                w = Mat::from_fn(params.rank, n, |i, j| {
                    w[(i, j)] * hty[(i, j)] / (den[(i, j)] + MU_EPS)
                });
            }
            NmfMethod::Hals => {
                h = hals_sweep(h, ywt.as_ref(), &wwt, HALS_EPS);
                // Unit-norm basis columns; W's rows take the norms so that HW is unchanged.
                for l in 0..params.rank {
                    let norm = h.col(l).norm_l2();
                    if norm > 0.0 {
                        for i in 0..m {
                            h[(i, l)] /= norm;
                        }
                        for j in 0..n {
                            w[(l, j)] *= norm;
                        }
                    }
                }
                hty = at_b(h.as_ref(), y);
                hth = at_b(h.as_ref(), h.as_ref());
                let wt = hals_sweep(w.transpose().to_owned(), hty.transpose(), &hth, HALS_EPS);
                w = wt.transpose().to_owned();
            }
            NmfMethod::Anls => {
                let ht = nnls_robust(&wwt, ywt.transpose(), Some(h.transpose()))?;
                h = ht.transpose().to_owned();
                hty = at_b(h.as_ref(), y);
                hth = at_b(h.as_ref(), h.as_ref());
                w = nnls_robust(&hth, hty.as_ref(), Some(w.as_ref()))?;
            }
        }
        iter += 1;
    }
    let seconds = rec.seconds();
    let (history, convergence) = rec.finish(iter, reason, Some((last.0, last.1, h.as_ref())));
    Ok(NmfFit {
        method,
        h,
        w,
        history,
        convergence,
        seconds,
    })
}

/// BPP NNLS, retried with a tiny ridge when the Gram matrix is singular (a factor with an
/// all-zero column or row).
fn nnls_robust(
    g: &Mat<f64>,
    r: MatRef<'_, f64>,
    warm: Option<MatRef<'_, f64>>,
) -> Result<Mat<f64>> {
    match nnls_bpp(g.as_ref(), r, warm) {
        Err(SolverError::Numerical(_)) => {
            let k = g.nrows();
            let trace: f64 = (0..k).map(|i| g[(i, i)]).sum();
            let ridge = 1e-12 * (trace / k as f64).max(f64::MIN_POSITIVE);
            nnls_bpp(add_diag(g, ridge).as_ref(), r, warm)
        }
        other => other,
    }
}

/// `W = argmin_{W ≥ 0} ‖Y − HW‖` for a fixed basis H (m×k): the transfer protocol's solve.
pub fn nnls_fixed_basis(h: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<Mat<f64>> {
    check_input(y)?;
    if h.nrows() != y.nrows() {
        return Err(SolverError::Shape(format!(
            "H has {} rows but Y has {}",
            h.nrows(),
            y.nrows()
        )));
    }
    let g = at_b(h, h);
    let r = at_b(h, y);
    nnls_robust(&g, r.as_ref(), None)
}
