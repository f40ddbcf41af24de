//! Plain NMF `Y ≈ H W` (Y m×n, H m×k, W k×n, all ≥ 0) for GAN-UNET's comparisons: MU
//! (Lee–Seung), HALS (Cichocki–Phan) and ANLS-BPP (Kim–Park), plus the NNLS solve of W for a
//! fixed H (the "transfer" protocol).
//!
//! Objective `½‖Y − HW‖²`; recorded relative error `‖Y − HW‖_F / ‖Y‖_F`. Stop rule (SPEC §3):
//! after 20 iterations, the projected gradient relative to the first iterate's at most 1e-3 for
//! 3 consecutive iterations; at most 500 iterations. In images-as-columns use, the columns of H
//! are the basis images.

use crate::data::NmfData;
use crate::error::{param, Result, SolverError};
use crate::history::{proj_grad_sq, Convergence, IterRecord, Recorder, StopReason};
use crate::linalg::{a_b, add_diag, at_b, check_rank, dot};
use crate::nmf_beta::{beta_divergence, ccd_kl_step, mu_beta_step, BetaGuards, Penalty};
use crate::nnls::nnls_bpp;
use crate::sym::alternating_hals_sweep as hals_sweep;
use crate::sym::alternating_hals_sweep_violation as hals_sweep_violation;
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use crate::nmf_start::{nmf_init, nmf_start, nndsvd, NmfInit};

/// MU's denominator guard, in units of s^{3/2} (s = max Y; see `Units`).
pub const MU_EPS: f64 = 1e-16;
/// HALS's floor on every entry, in units of the factor's size (see `Units`).
pub const HALS_EPS: f64 = 1e-16;

/// The guards of the updates in units of s = max Y, so that a run on cY is the run on Y with
/// both factors scaled by √c (MU, ANLS) or H unchanged and W scaled by c (HALS, whose basis
/// columns have unit norm), and the same relative errors: MU's denominators are ∝ s^{3/2}, the
/// first HALS sweep of H sees H ∝ √s (later ones unit columns, so its floor never exceeds
/// [`HALS_EPS`]), W ∝ s. Where max Y = 1 the guards are the constants.
#[derive(Clone, Copy, Debug)]
struct Units {
    mu_eps: f64,
    floor_h: f64,
    floor_w: f64,
}

impl Units {
    fn of(y: NmfData<'_>) -> Result<Self> {
        let s = y.max_entry();
        if !(s > 0.0 && s.is_finite()) {
            return Err(SolverError::ZeroMatrix);
        }
        Ok(Self {
            mu_eps: MU_EPS * s * s.sqrt(),
            floor_h: HALS_EPS * s.sqrt().min(1.0),
            floor_w: HALS_EPS * s,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NmfMethod {
    Mu,
    Hals,
    Anls,
    /// Cyclic coordinate descent for the KL divergence (Hsieh & Dhillon 2011; β = 1 only).
    Ccd,
}

impl NmfMethod {
    /// The Frobenius solvers (every β = 2 job takes any of them).
    pub const ALL: [NmfMethod; 3] = [NmfMethod::Mu, NmfMethod::Hals, NmfMethod::Anls];
    /// Every solver, by name.
    pub const NAMED: [NmfMethod; 4] = [
        NmfMethod::Mu,
        NmfMethod::Hals,
        NmfMethod::Anls,
        NmfMethod::Ccd,
    ];
    pub fn name(self) -> &'static str {
        match self {
            NmfMethod::Mu => "mu",
            NmfMethod::Hals => "hals",
            NmfMethod::Anls => "anls",
            NmfMethod::Ccd => "ccd",
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
        crate::error::parse_named(
            s,
            &NmfMethod::NAMED,
            NmfMethod::name,
            "method",
            "NMF method",
        )
    }
}

/// When an NMF run stops (besides `max_iter`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NmfStop {
    /// SPEC §3: after `min_iter` iterations, the projected gradient of both factors (2-norm,
    /// relative to the start's) at most `tol` for `patience` consecutive iterations; the
    /// objective and the gradient are computed at every iteration.
    #[default]
    ProjectedGradient,
    /// scikit-learn's coordinate-descent rule (HALS only): the sweep's violation — the sum of
    /// |projected gradient| over every entry just before its update — relative to the first
    /// sweep's at most `tol`. Costs nothing beyond the sweeps; the objective is computed at the
    /// start and the end only.
    Violation,
    /// scikit-learn's multiplicative-update rule (MU only, any β): every 10 iterations the
    /// error √(2·d_β(Y, HW)) is taken, and the run stops once its drop since the last such
    /// check, relative to the start's error, is below `tol`. The objective is computed at
    /// those checks only.
    Divergence,
}

impl NmfStop {
    pub fn name(self) -> &'static str {
        match self {
            NmfStop::ProjectedGradient => "projected-gradient",
            NmfStop::Violation => "violation",
            NmfStop::Divergence => "divergence",
        }
    }
}

/// A plain-NMF run's parameters. In JSON every field but `rank` may be left out (the values of
/// [`NmfParams::new`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// The stop rule.
    #[serde(default)]
    pub stop: NmfStop,
    /// β of the β-divergence d_β(Y, HW) minimised (scikit-learn's `beta_loss`): 2 is
    /// ½‖Y − HW‖², 1 the generalised Kullback–Leibler divergence, 0 Itakura–Saito (see
    /// [`crate::nmf_beta`]). β ≠ 2 is MU's, stopped by [`NmfStop::Divergence`].
    pub beta_loss: f64,
    /// Weight of H's penalty (scikit-learn's `alpha_W`: its W is nmfnet's H): l1_ratio·n·‖H‖₁ +
    /// ½(1 − l1_ratio)·n·‖H‖²_F, added to the objective.
    pub alpha_h: f64,
    /// Weight of W's penalty (scikit-learn's `alpha_H`), with m in place of n.
    pub alpha_w: f64,
    /// The L1 share of both penalties, in [0, 1]. (MU approaches the zeros of an L1 optimum
    /// without reaching them, where the gradient stays ≈ l1: stop it by the divergence rule,
    /// as its projected gradient stalls.)
    pub l1_ratio: f64,
    /// W is kept as given and only H is fitted (scikit-learn's `transform` for a fitted
    /// basis); the violation and divergence rules only.
    pub fix_w: bool,
}

impl Default for NmfParams {
    /// [`NmfParams::new`] with rank 0, which no solver accepts: a rank must be given.
    fn default() -> Self {
        Self::new(0)
    }
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
            stop: NmfStop::default(),
            beta_loss: 2.0,
            alpha_h: 0.0,
            alpha_w: 0.0,
            l1_ratio: 0.0,
            fix_w: false,
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

fn check_input(y: NmfData<'_>) -> Result<()> {
    y.check()
}

/// MU, HALS or ANLS one iteration at a time, with nothing else computed: no objective, no
/// gradient, no stop test — the cost of the updates alone, for time–error fronts (the caller
/// measures whatever it wants between steps). Each step is exactly an iteration of
/// [`nmf_from`].
pub struct NmfSteps<'a> {
    method: NmfMethod,
    y: NmfData<'a>,
    h: Mat<f64>,
    w: Mat<f64>,
    units: Units,
}

impl<'a> NmfSteps<'a> {
    pub fn new(
        method: NmfMethod,
        y: impl Into<NmfData<'a>>,
        h0: Mat<f64>,
        w0: Mat<f64>,
    ) -> Result<Self> {
        let y = y.into();
        check_input(y)?;
        let (m, n, k) = (y.nrows(), y.ncols(), h0.ncols());
        if h0.nrows() != m || w0.shape() != (k, n) {
            return Err(SolverError::Shape(format!(
                "start H is {}×{} and W {}×{}, expected {m}×{k} and {k}×{n}",
                h0.nrows(),
                h0.ncols(),
                w0.nrows(),
                w0.ncols()
            )));
        }
        Ok(Self {
            method,
            y,
            h: h0,
            w: w0,
            units: Units::of(y)?,
        })
    }

    /// One iteration.
    pub fn step(&mut self) -> Result<()> {
        let ywt = self.y.times_wt(self.w.as_ref());
        let wwt = a_b(self.w.as_ref(), self.w.transpose());
        let h = std::mem::replace(&mut self.h, Mat::new());
        let w = std::mem::replace(&mut self.w, Mat::new());
        (self.h, self.w, _, _) = update(
            self.method,
            self.y,
            h,
            w,
            &ywt,
            &wwt,
            self.units,
            &Penalty::default(),
        )?;
        Ok(())
    }

    pub fn h(&self) -> MatRef<'_, f64> {
        self.h.as_ref()
    }

    pub fn w(&self) -> MatRef<'_, f64> {
        self.w.as_ref()
    }
}

/// Fits `Y ≈ HW` from the seeded start.
pub fn nmf<'a>(method: NmfMethod, y: impl Into<NmfData<'a>>, params: &NmfParams) -> Result<NmfFit> {
    let y = y.into();
    check_input(y)?;
    // As in scikit-learn, a random start may have more components than min(m, n); past
    // max(m, n) they can only repeat.
    check_rank(params.rank, y.nrows().max(y.ncols()))?;
    let (h, w) = nmf_init(y, params.rank, params.seed);
    nmf_from(method, y, params, h, w)
}

/// Fits `Y ≈ HW` from a given start.
pub fn nmf_from<'a>(
    method: NmfMethod,
    y: impl Into<NmfData<'a>>,
    params: &NmfParams,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    let y = y.into();
    check_input(y)?;
    let (m, n) = (y.nrows(), y.ncols());
    check_rank(params.rank, m.max(n))?;
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
    let units = Units::of(y)?;
    check_objective(method, y, params)?;
    let pen = Penalty::new(params.alpha_h, params.alpha_w, params.l1_ratio, m, n);
    match params.stop {
        NmfStop::Violation if method != NmfMethod::Hals => {
            return Err(param(
                "stop",
                format!(
                    "the violation rule is HALS's; {method} stops by the projected gradient{}",
                    if method == NmfMethod::Mu {
                        " or the divergence rule"
                    } else {
                        ""
                    }
                ),
            ));
        }
        NmfStop::Violation => return hals_by_violation(y, params, &pen, h0, w0),
        NmfStop::Divergence if !matches!(method, NmfMethod::Mu | NmfMethod::Ccd) => {
            return Err(param(
                "stop",
                format!("the divergence rule is MU's; {method} stops by the projected gradient or the violation"),
            ));
        }
        NmfStop::Divergence => return mu_by_divergence(method, y, params, &pen, h0, w0),
        NmfStop::ProjectedGradient if params.fix_w => {
            return Err(param(
                "fix_w",
                "a fixed W is fitted under the violation or the divergence rule",
            ));
        }
        NmfStop::ProjectedGradient => {}
    }
    let yf = y.frob_sq();
    let mut rec = Recorder::new(params.tol, params.record_every, None, None)
        .with_patience(params.min_iter, params.patience)
        .with_cancel(&params.cancel);
    let mut h = h0;
    let mut w = w0;
    let mut hty = y.ht_times(h.as_ref());
    let mut hth = at_b(h.as_ref(), h.as_ref());
    let mut iter = 0;
    let mut last;
    let reason;
    loop {
        let ywt = y.times_wt(w.as_ref());
        let wwt = a_b(w.as_ref(), w.transpose());
        let mut grad_h = &h * &wwt - &ywt;
        let mut grad_w = &hth * &w - &hty;
        if !pen.is_zero() {
            penalty_gradient(&mut grad_h, &h, pen.l1_h, pen.l2_h);
            penalty_gradient(&mut grad_w, &w, pen.l1_w, pen.l2_w);
        }
        let pg = (proj_grad_sq(h.as_ref(), grad_h.as_ref())
            + proj_grad_sq(w.as_ref(), grad_w.as_ref()))
        .sqrt();
        let resid =
            (yf - 2.0 * dot(h.as_ref(), ywt.as_ref()) + dot(hth.as_ref(), wwt.as_ref())).max(0.0);
        let objective = 0.5 * resid + pen.value(h.as_ref(), w.as_ref());
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
        (h, w, hty, hth) = update(method, y, h, w, &ywt, &wwt, units, &pen)?;
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

/// One iteration of `method` from (H, W), given `YWᵀ` and `WWᵀ` at that point: the new
/// (H, W) and the `HᵀY`, `HᵀH` of the new H (the W-update's operands, which the next
/// iteration's gradient reuses).
/// The factors after one update, and the Gram products the stop rule reads: (H, W, HᵀY, HᵀH).
type Updated = (Mat<f64>, Mat<f64>, Mat<f64>, Mat<f64>);

#[allow(clippy::too_many_arguments)]
fn update(
    method: NmfMethod,
    y: NmfData<'_>,
    mut h: Mat<f64>,
    mut w: Mat<f64>,
    ywt: &Mat<f64>,
    wwt: &Mat<f64>,
    units: Units,
    pen: &Penalty,
) -> Result<Updated> {
    let (m, n, rank) = (y.nrows(), y.ncols(), h.ncols());
    let (hty, hth);
    match method {
        NmfMethod::Ccd => {
            return Err(param(
                "method",
                "ccd runs under the divergence rule (β = 1) only",
            ))
        }
        NmfMethod::Mu => {
            // The penalties' gradients l1 + l2·X join the denominators (scikit-learn's MU).
            let den = &h * wwt;
            h = Mat::from_fn(m, rank, |i, j| {
                let x = h[(i, j)];
                x * ywt[(i, j)] / (den[(i, j)] + mu_penalty(x, pen.l1_h, pen.l2_h) + units.mu_eps)
            });
            hty = y.ht_times(h.as_ref());
            hth = at_b(h.as_ref(), h.as_ref());
            let den = &hth * &w;
            w = Mat::from_fn(rank, n, |i, j| {
                let x = w[(i, j)];
                x * hty[(i, j)] / (den[(i, j)] + mu_penalty(x, pen.l1_w, pen.l2_w) + units.mu_eps)
            });
        }
        NmfMethod::Hals if !pen.is_zero() => {
            // The penalised sweeps: l2 on the Gram matrix's diagonal, l1 off the right-hand
            // side; no unit-norm rescaling of H's columns (the penalties are not invariant
            // to it), and entries may reach 0 (an L1 penalty's optimum has zeros, which a
            // positive floor would keep from it).
            let (p, q) = penalised(ywt, wwt, pen.l1_h, pen.l2_h);
            h = hals_sweep(h, p.as_ref(), &q, 0.0);
            hty = y.ht_times(h.as_ref());
            hth = at_b(h.as_ref(), h.as_ref());
            let (p, q) = penalised(&hty.transpose().to_owned(), &hth, pen.l1_w, pen.l2_w);
            let wt = hals_sweep(w.transpose().to_owned(), p.as_ref(), &q, 0.0);
            w = wt.transpose().to_owned();
        }
        NmfMethod::Anls if !pen.is_zero() => {
            let (p, q) = penalised(ywt, wwt, pen.l1_h, pen.l2_h);
            let ht = nnls_robust(&q, p.transpose(), Some(h.transpose()))?;
            h = ht.transpose().to_owned();
            hty = y.ht_times(h.as_ref());
            hth = at_b(h.as_ref(), h.as_ref());
            let (p, q) = penalised(&hty.transpose().to_owned(), &hth, pen.l1_w, pen.l2_w);
            w = nnls_robust(&q, p.transpose(), Some(w.as_ref()))?;
        }
        NmfMethod::Hals => {
            h = hals_sweep(h, ywt.as_ref(), wwt, units.floor_h);
            // Unit-norm basis columns; W's rows take the norms so that HW is unchanged.
            for l in 0..rank {
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
            hty = y.ht_times(h.as_ref());
            hth = at_b(h.as_ref(), h.as_ref());
            let wt = hals_sweep(
                w.transpose().to_owned(),
                hty.transpose(),
                &hth,
                units.floor_w,
            );
            w = wt.transpose().to_owned();
        }
        NmfMethod::Anls => {
            let ht = nnls_robust(wwt, ywt.transpose(), Some(h.transpose()))?;
            h = ht.transpose().to_owned();
            hty = y.ht_times(h.as_ref());
            hth = at_b(h.as_ref(), h.as_ref());
            w = nnls_robust(&hth, hty.as_ref(), Some(w.as_ref()))?;
        }
    }
    Ok((h, w, hty, hth))
}

/// MU's penalty term in a denominator: l1 + l2·x (nothing added where both are 0, so that an
/// unpenalised run is the same to the bit).
#[inline]
fn mu_penalty(x: f64, l1: f64, l2: f64) -> f64 {
    if l1 == 0.0 && l2 == 0.0 {
        0.0
    } else {
        l1 + l2 * x
    }
}

/// The right-hand side and Gram matrix of a penalised factor's subproblem min ½‖R − XBᵀ‖ +
/// l1‖X‖₁ + ½l2‖X‖²: (P − l1, Q + l2·I) for the unpenalised (P, Q) = (RBᵀ… , BBᵀ).
fn penalised(p: &Mat<f64>, q: &Mat<f64>, l1: f64, l2: f64) -> (Mat<f64>, Mat<f64>) {
    let p = Mat::from_fn(p.nrows(), p.ncols(), |i, j| p[(i, j)] - l1);
    (p, add_diag(q, l2))
}

/// scikit-learn's coordinate-descent stop test: a sweep's violation at most `tol` times the
/// first sweep's (or the first is 0); a violation that is not finite is a numerical failure.
pub(crate) struct ViolationRule {
    tol: f64,
    first: Option<f64>,
}

impl ViolationRule {
    pub(crate) fn new(tol: f64) -> Self {
        Self { tol, first: None }
    }

    /// Whether the sweep that ended iteration `iter` with `violation` stops the run.
    pub(crate) fn met(&mut self, violation: f64, iter: usize) -> Result<bool> {
        if !violation.is_finite() {
            return Err(SolverError::Numerical(format!(
                "hals: the violation became {violation} at iteration {iter}"
            )));
        }
        let first = *self.first.get_or_insert(violation);
        Ok(first == 0.0 || violation <= self.tol * first)
    }
}

/// Adds the penalties' gradient l1 + l2·X to `grad`.
pub(crate) fn penalty_gradient(grad: &mut Mat<f64>, x: &Mat<f64>, l1: f64, l2: f64) {
    for j in 0..grad.ncols() {
        for i in 0..grad.nrows() {
            grad[(i, j)] += l1 + l2 * x[(i, j)];
        }
    }
}

/// Refuses a β, penalty or stop rule the method cannot take, before any work.
fn check_objective(method: NmfMethod, y: NmfData<'_>, params: &NmfParams) -> Result<()> {
    let beta = params.beta_loss;
    if !beta.is_finite() {
        return Err(param("beta_loss", format!("must be finite, got {beta}")));
    }
    for (name, v) in [("alpha_h", params.alpha_h), ("alpha_w", params.alpha_w)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(param(name, format!("must be finite and ≥ 0, got {v}")));
        }
    }
    let r = params.l1_ratio;
    if !(0.0..=1.0).contains(&r) {
        return Err(param("l1_ratio", format!("must lie in [0, 1], got {r}")));
    }
    if method == NmfMethod::Ccd && (beta != 1.0 || params.stop != NmfStop::Divergence) {
        return Err(param(
            "method",
            format!("ccd is the Kullback–Leibler solver (β = 1, stopped by the divergence rule); got β = {beta} and the {} rule", params.stop.name()),
        ));
    }
    if beta != 2.0 && method != NmfMethod::Ccd {
        if method != NmfMethod::Mu {
            return Err(param(
                "beta_loss",
                format!("β = {beta} is minimised by MU only; {method} minimises the Frobenius norm (β = 2)"),
            ));
        }
        if params.stop != NmfStop::Divergence {
            return Err(param(
                "stop",
                format!("β = {beta} stops by the divergence rule; the {} rule is the Frobenius objective's", params.stop.name()),
            ));
        }
        if beta <= 0.0 && y.has_zero() {
            return Err(param(
                "beta_loss",
                format!("with β = {beta} ≤ 0 a zero entry of Y makes the divergence infinite (the solver may diverge): add a small value to Y, or take β > 0"),
            ));
        }
    }
    Ok(())
}

/// MU stopped by scikit-learn's rule ([`NmfStop::Divergence`]), for any β and penalties: its
/// update ([`crate::nmf_beta`]), the error √(2·d_β) every 10 iterations.
fn mu_by_divergence(
    method: NmfMethod,
    y: NmfData<'_>,
    params: &NmfParams,
    pen: &Penalty,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    let beta = params.beta_loss;
    let s = y.max_entry();
    let guards = BetaGuards::new(beta, s);
    let yf = y.frob_sq();
    let state = |h: &Mat<f64>, w: &Mat<f64>| {
        let d = beta_divergence(y, h.as_ref(), w.as_ref(), beta, guards.eps);
        let rel = if beta == 2.0 {
            (2.0 * d / yf).sqrt()
        } else {
            (2.0 * beta_divergence(y, h.as_ref(), w.as_ref(), 2.0, guards.eps) / yf).sqrt()
        };
        (d, d + pen.value(h.as_ref(), w.as_ref()), rel)
    };
    let mut rec = Recorder::new(params.tol, 1, None, None);
    let (d0, obj0, rel0) = state(&h0, &w0);
    rec.observe(0, obj0, rel0, f64::NAN, h0.as_ref());
    let error_at_init = (2.0 * d0.max(0.0)).sqrt();
    let mut previous = error_at_init;
    let (mut h, mut w) = (h0, w0);
    let mut iter = 0;
    let mut last = (obj0, rel0);
    let reason = loop {
        if params.cancel.is_cancelled() {
            return Err(SolverError::Cancelled { iter });
        }
        if iter >= params.max_iter {
            break StopReason::MaxIterations;
        }
        if method == NmfMethod::Ccd {
            ccd_kl_step(y, &mut h, &mut w, pen, guards, !params.fix_w);
        } else {
            mu_beta_step(y, &mut h, &mut w, beta, pen, guards, !params.fix_w);
        }
        iter += 1;
        if params.tol > 0.0 && iter % 10 == 0 {
            let (d, obj, rel) = state(&h, &w);
            if !d.is_finite() {
                return Err(SolverError::Numerical(format!(
                    "mu: the β-divergence became {d} at iteration {iter}"
                )));
            }
            rec.observe(iter, obj, rel, f64::NAN, h.as_ref());
            last = (obj, rel);
            let error = (2.0 * d.max(0.0)).sqrt();
            if (previous - error) / error_at_init < params.tol {
                break StopReason::Tolerance;
            }
            previous = error;
        }
    };
    let seconds = rec.seconds();
    if rec.history.last().map(|r| r.iter) != Some(iter) {
        let (_, obj, rel) = state(&h, &w);
        last = (obj, rel);
    }
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

/// Objective ½‖Y − HW‖², relative error ‖Y − HW‖/‖Y‖ and the projected gradient (2-norm) of
/// both factors at (H, W), the penalties included.
fn nmf_state(
    y: NmfData<'_>,
    yf: f64,
    h: &Mat<f64>,
    w: &Mat<f64>,
    pen: &Penalty,
) -> (f64, f64, f64) {
    let ywt = y.times_wt(w.as_ref());
    let wwt = a_b(w.as_ref(), w.transpose());
    let hty = y.ht_times(h.as_ref());
    let hth = at_b(h.as_ref(), h.as_ref());
    let mut grad_h = h * &wwt - &ywt;
    let mut grad_w = &hth * w - &hty;
    if !pen.is_zero() {
        penalty_gradient(&mut grad_h, h, pen.l1_h, pen.l2_h);
        penalty_gradient(&mut grad_w, w, pen.l1_w, pen.l2_w);
    }
    let pg = (proj_grad_sq(h.as_ref(), grad_h.as_ref())
        + proj_grad_sq(w.as_ref(), grad_w.as_ref()))
    .sqrt();
    let resid =
        (yf - 2.0 * dot(h.as_ref(), ywt.as_ref()) + dot(hth.as_ref(), wwt.as_ref())).max(0.0);
    (
        0.5 * resid + pen.value(h.as_ref(), w.as_ref()),
        (resid / yf).sqrt(),
        pg,
    )
}

/// HALS stopped by scikit-learn's violation rule ([`NmfStop::Violation`]): scikit-learn's
/// coordinate descent — a sweep over H, then over W, entries floored at 0 (a column that ends
/// all zero stays so, its partner's entries untouched), without the unit-norm rescaling of H's
/// columns that the SPEC variant does between them (a rescaling changes the gradients' scale,
/// and the violation relative to the first sweep's then need not fall: measured on digits, it
/// rose 10× over 300 sweeps where the plain sweeps brought it to 2·10⁻⁴) — and no objective
/// per iteration; the history holds the start and the end.
fn hals_by_violation(
    y: NmfData<'_>,
    params: &NmfParams,
    pen: &Penalty,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    let yf = y.frob_sq();
    // Records the start and the end only; the tolerance applies to the violation.
    let mut rec = Recorder::new(params.tol, usize::MAX, None, None);
    let (obj, rel, pg) = nmf_state(y, yf, &h0, &w0, pen);
    rec.observe(0, obj, rel, pg, h0.as_ref());
    let (mut h, mut w) = (h0, w0);
    let mut rule = ViolationRule::new(params.tol);
    let mut iter = 0;
    let reason = loop {
        if params.cancel.is_cancelled() {
            return Err(SolverError::Cancelled { iter });
        }
        if iter >= params.max_iter {
            break StopReason::MaxIterations;
        }
        let ywt = y.times_wt(w.as_ref());
        let wwt = a_b(w.as_ref(), w.transpose());
        let (h1, v_h) = if pen.l1_h == 0.0 && pen.l2_h == 0.0 {
            hals_sweep_violation(h, ywt.as_ref(), &wwt, 0.0)
        } else {
            let (p, q) = penalised(&ywt, &wwt, pen.l1_h, pen.l2_h);
            hals_sweep_violation(h, p.as_ref(), &q, 0.0)
        };
        h = h1;
        let mut v_w = 0.0;
        if !params.fix_w {
            let hty = y.ht_times(h.as_ref());
            let hth = at_b(h.as_ref(), h.as_ref());
            let wt;
            (wt, v_w) = if pen.l1_w == 0.0 && pen.l2_w == 0.0 {
                hals_sweep_violation(w.transpose().to_owned(), hty.transpose(), &hth, 0.0)
            } else {
                let (p, q) = penalised(&hty.transpose().to_owned(), &hth, pen.l1_w, pen.l2_w);
                hals_sweep_violation(w.transpose().to_owned(), p.as_ref(), &q, 0.0)
            };
            w = wt.transpose().to_owned();
        }
        iter += 1;
        if rule.met(v_h + v_w, iter)? {
            break StopReason::Tolerance;
        }
    };
    let seconds = rec.seconds();
    let (obj, rel, pg) = nmf_state(y, yf, &h, &w, pen);
    rec.observe(iter, obj, rel, pg, h.as_ref());
    let (history, convergence) = rec.finish(iter, reason, Some((obj, rel, h.as_ref())));
    Ok(NmfFit {
        method: NmfMethod::Hals,
        h,
        w,
        history,
        convergence,
        seconds,
    })
}

/// BPP NNLS, retried with a tiny ridge when the Gram matrix is singular (a factor with an
/// all-zero column or row).
pub(crate) fn nnls_robust(
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
pub fn nnls_fixed_basis<'a>(h: MatRef<'_, f64>, y: impl Into<NmfData<'a>>) -> Result<Mat<f64>> {
    let y = y.into();
    check_input(y)?;
    if h.nrows() != y.nrows() {
        return Err(SolverError::Shape(format!(
            "H has {} rows but Y has {}",
            h.nrows(),
            y.nrows()
        )));
    }
    let g = at_b(h, h);
    let r = y.ht_times(h);
    nnls_robust(&g, r.as_ref(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::uniform;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn data() -> Mat<f64> {
        let mut rng = StdRng::seed_from_u64(2);
        uniform(60, 40, 1.0, &mut rng)
    }

    #[test]
    fn a_sparse_y_gives_the_dense_fit() {
        // 60 × 40 with about 15 % of its entries nonzero, held both ways.
        let u = data();
        let y = Mat::from_fn(
            60,
            40,
            |i, j| if u[(i, j)] < 0.15 { u[(i, j)] } else { 0.0 },
        );
        let s = crate::data::SparseMatrix::from_dense(y.as_ref()).unwrap();
        let close = |a: MatRef<'_, f64>, b: MatRef<'_, f64>, what: &str| {
            let diff = (a - b).norm_max();
            assert!(diff <= 1e-9 * a.norm_max().max(1e-300), "{what}: {diff}");
        };
        for method in [NmfMethod::Mu, NmfMethod::Hals, NmfMethod::Anls] {
            let mut p = NmfParams::new(4);
            p.max_iter = 50;
            p.tol = 0.0;
            let (d, sp) = (
                nmf(method, y.as_ref(), &p).unwrap(),
                nmf(method, &s, &p).unwrap(),
            );
            assert_eq!(
                d.convergence.iterations, sp.convergence.iterations,
                "{method}"
            );
            let (a, b) = (d.rel_error(), sp.rel_error());
            assert!((a - b).abs() <= 1e-10 * a, "{method}: {a} vs {b}");
            close(d.h.as_ref(), sp.h.as_ref(), "H");
            close(d.w.as_ref(), sp.w.as_ref(), "W");
            let (h0, w0) = nmf_init(&s, 4, 1);
            let mut st = NmfSteps::new(method, &s, h0.clone(), w0.clone()).unwrap();
            let mut sd = NmfSteps::new(method, y.as_ref(), h0, w0).unwrap();
            for _ in 0..5 {
                st.step().unwrap();
                sd.step().unwrap();
            }
            close(sd.h(), st.h(), "steps' H");
        }
        // scikit-learn's stop rule too.
        let mut p = NmfParams::new(4);
        p.stop = NmfStop::Violation;
        p.tol = 1e-4;
        let (d, sp) = (
            nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap(),
            nmf(NmfMethod::Hals, &s, &p).unwrap(),
        );
        assert_eq!(d.convergence.iterations, sp.convergence.iterations);
        close(d.w.as_ref(), sp.w.as_ref(), "violation W");
        // NNDSVD needs a dense Y: a sparse one is refused by name.
        let err = crate::nmf_start::nmf_start(&s, 4, crate::nmf_start::NmfInit::Nndsvd, 0);
        assert!(err.unwrap_err().to_string().contains("random"));
    }

    #[test]
    fn the_violation_rule_runs_plain_coordinate_descent_sweeps() {
        let y = data();
        let mut p = NmfParams::new(5);
        p.tol = 0.0;
        p.max_iter = 30;
        p.stop = NmfStop::Violation;
        let f = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert_eq!(f.convergence.iterations, 30);
        assert_eq!(f.history.len(), 2);
        // The same 30 sweeps by hand: H, then W, floored at 0, nothing in between.
        let (mut h, mut w) = nmf_init(y.as_ref(), 5, p.seed);
        for _ in 0..30 {
            let ywt = a_b(y.as_ref(), w.transpose());
            let wwt = a_b(w.as_ref(), w.transpose());
            h = hals_sweep_violation(h, ywt.as_ref(), &wwt, 0.0).0;
            let hty = at_b(h.as_ref(), y.as_ref());
            let hth = at_b(h.as_ref(), h.as_ref());
            w = hals_sweep_violation(w.transpose().to_owned(), hty.transpose(), &hth, 0.0)
                .0
                .transpose()
                .to_owned();
        }
        assert_eq!((&f.h, &f.w), (&h, &w));
        let r = y.as_ref() - &h * &w;
        let rel = (crate::linalg::frob_sq(r.as_ref()) / crate::linalg::frob_sq(y.as_ref())).sqrt();
        assert!(
            (f.rel_error() - rel).abs() <= 1e-12,
            "{} vs {rel}",
            f.rel_error()
        );
    }

    /// The lean stepper runs exactly the iterations of `nmf_from`.
    #[test]
    fn steps_are_the_iterations_of_nmf_from() {
        let y = data();
        for method in NmfMethod::ALL {
            for init in NmfInit::ALL {
                let (h0, w0) = nmf_start(y.as_ref(), 5, init, 3).unwrap();
                let mut p = NmfParams::new(5);
                p.tol = 0.0;
                p.max_iter = 7;
                let f = nmf_from(method, y.as_ref(), &p, h0.clone(), w0.clone()).unwrap();
                assert_eq!(f.convergence.iterations, 7);
                let mut s = NmfSteps::new(method, y.as_ref(), h0, w0).unwrap();
                for _ in 0..7 {
                    s.step().unwrap();
                }
                assert_eq!(
                    (f.h.as_ref(), f.w.as_ref()),
                    (s.h(), s.w()),
                    "{method} {init}"
                );
            }
        }
        let (h0, w0) = nmf_init(y.as_ref(), 5, 0);
        assert!(NmfSteps::new(NmfMethod::Hals, y.as_ref(), w0, h0).is_err());
    }

    #[test]
    fn the_violation_rule_stops_once_the_violation_fell_by_tol() {
        let y = data();
        let mut p = NmfParams::new(5);
        p.stop = NmfStop::Violation;
        p.tol = 1e-2;
        p.max_iter = 10_000;
        let f = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert!(f.convergence.converged, "{:?}", f.convergence);
        let n = f.convergence.iterations;
        assert!(n > 1 && n < 10_000, "{n}");
        // A tighter tolerance needs more sweeps and ends no worse.
        p.tol = 1e-4;
        let g = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert!(g.convergence.iterations > n);
        assert!(g.rel_error() <= f.rel_error() + 1e-12);
        // Only HALS has it.
        assert!(nmf(NmfMethod::Mu, y.as_ref(), &p).is_err());
    }
}

#[cfg(test)]
mod dead_components {
    use super::*;
    use crate::linalg::uniform;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn a_component_that_dies_stays_finite_under_the_violation_rule() {
        // Columns of very different scales (like wine's), rank 3, from a start whose third
        // component is tiny: it dies, and its partner row must not blow up.
        let mut rng = StdRng::seed_from_u64(9);
        let base = uniform(80, 6, 1.0, &mut rng);
        let y = Mat::from_fn(80, 6, |i, j| {
            base[(i, j)] * [1.0, 10.0, 1000.0, 1.0, 5.0, 0.1][j]
        });
        let mut h0 = uniform(80, 3, 1.0, &mut rng);
        let w0 = uniform(3, 6, 1.0, &mut rng);
        for i in 0..80 {
            h0[(i, 2)] *= 1e-12;
        }
        let mut p = NmfParams::new(3);
        p.stop = NmfStop::Violation;
        p.tol = 1e-6;
        let f = nmf_from(NmfMethod::Hals, y.as_ref(), &p, h0, w0).unwrap();
        let big = f.w.as_ref().norm_max().max(f.h.as_ref().norm_max());
        assert!(big.is_finite() && big < 1e6, "largest entry {big}");
        assert!(f.rel_error() < 0.5, "{}", f.rel_error());
    }
}
