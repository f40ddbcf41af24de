//! Plain NMF `Y ≈ H W` (Y m×n, H m×k, W k×n, all ≥ 0) for GAN-UNET's comparisons: MU
//! (Lee–Seung), HALS (Cichocki–Phan) and ANLS-BPP (Kim–Park), plus the NNLS solve of W for a
//! fixed H (the "transfer" protocol).
//!
//! Objective `½‖Y − HW‖²`; recorded relative error `‖Y − HW‖_F / ‖Y‖_F`. Stop rule (SPEC §3):
//! after 20 iterations, the projected gradient relative to the first iterate's at most 1e-3 for
//! 3 consecutive iterations; at most 500 iterations. In images-as-columns use, the columns of H
//! are the basis images.

use crate::data::{NmfData, Precision};
use crate::error::{param, Result, SolverError};
use crate::history::{proj_grad_sq, Convergence, IterRecord, Recorder};
use crate::linalg::{a_b, add_diag, at_b, check_rank, dot};
use crate::nmf_beta::Penalty;
use crate::nnls::nnls_bpp;
use crate::sym::alternating_hals_sweep as hals_sweep;
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

mod checks;
mod ehals;
mod rules;

pub use crate::nmf_start::{nmf_init, nmf_start, nndsvd, NmfInit};
pub(crate) use checks::check_shuffle;
use checks::{check_objective, check_precision};
use rules::{hals_by_violation, mu_by_divergence};
pub(crate) use rules::{nmf_state, nmf_state_from, CoordinateOrder, ViolationRule};

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
    /// HALS with extrapolation and restarts (after Ang & Gillis 2019), under the divergence
    /// rule, without penalties.
    Ehals,
}

impl NmfMethod {
    /// The Frobenius solvers (every β = 2 job takes any of them).
    pub const ALL: [NmfMethod; 3] = [NmfMethod::Mu, NmfMethod::Hals, NmfMethod::Anls];
    /// Every solver, by name.
    pub const NAMED: [NmfMethod; 5] = [
        NmfMethod::Mu,
        NmfMethod::Hals,
        NmfMethod::Anls,
        NmfMethod::Ccd,
        NmfMethod::Ehals,
    ];
    pub fn name(self) -> &'static str {
        match self {
            NmfMethod::Mu => "mu",
            NmfMethod::Hals => "hals",
            NmfMethod::Anls => "anls",
            NmfMethod::Ccd => "ccd",
            NmfMethod::Ehals => "ehals",
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
    /// HALS visits the k coordinates of each half-sweep in a fresh random order, drawn from
    /// `seed` (scikit-learn's `shuffle`); HALS under the violation rule only.
    #[serde(default)]
    pub shuffle: bool,
    /// Progress lines (scikit-learn's `verbose`; not part of the parameters' record).
    #[serde(skip)]
    pub verbose: crate::history::Verbose,
    /// The products with Y in f32 ([`Precision::F32`]: a dense Y under the Frobenius objective,
    /// MU, HALS or ANLS; Y's f32 copy is made for the run) or f64 (the default).
    #[serde(default)]
    pub precision: Precision,
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
            shuffle: false,
            verbose: Default::default(),
            precision: Precision::F64,
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
    check_precision(method, y, params)?;
    let pen = Penalty::new(params.alpha_h, params.alpha_w, params.l1_ratio, m, n);
    let single = y.single(params.precision);
    let y = single.as_ref().map_or(y, NmfData::Single);
    let mut fit = solve(method, y, params, units, &pen, h0, w0)?;
    if matches!(y, NmfData::Single(_)) {
        // The records' objective and error come from the f32 products, where ½‖Y − HW‖² as
        // ‖Y‖² − 2⟨H, YWᵀ⟩ + ⟨HᵀH, WWᵀ⟩ loses their rounding (≈ 1e-7) times ‖Y‖²/‖Y − HW‖² to
        // cancellation: the result's own are recomputed with f64 products.
        if let Some(last) = fit.history.last_mut() {
            let d = crate::nmf_beta::beta_divergence(y, fit.h.as_ref(), fit.w.as_ref(), 2.0, 0.0);
            last.objective = d + pen.value(fit.h.as_ref(), fit.w.as_ref());
            last.rel_error = (2.0 * d / y.frob_sq()).sqrt();
        }
    }
    Ok(fit)
}

/// [`nmf_from`] after its checks, on Y as the products read it.
fn solve(
    method: NmfMethod,
    y: NmfData<'_>,
    params: &NmfParams,
    units: Units,
    pen: &Penalty,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    if method == NmfMethod::Ehals {
        if params.stop != NmfStop::Divergence || !pen.is_zero() || params.fix_w || params.shuffle {
            return Err(param(
                "method",
                "ehals runs under the divergence rule, without penalties, a fixed W or a shuffled order",
            ));
        }
        return ehals::ehals_by_divergence(y, params, h0, w0);
    }
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
        NmfStop::Violation => return hals_by_violation(y, params, pen, h0, w0),
        NmfStop::Divergence if !matches!(method, NmfMethod::Mu | NmfMethod::Ccd) => {
            return Err(param(
                "stop",
                format!("the divergence rule is MU's; {method} stops by the projected gradient or the violation"),
            ));
        }
        NmfStop::Divergence => return mu_by_divergence(method, y, params, pen, h0, w0),
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
        .with_cancel(&params.cancel)
        .with_verbose(&params.verbose);
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
        (h, w, hty, hth) = update(method, y, h, w, &ywt, &wwt, units, pen)?;
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
        NmfMethod::Ehals => {
            return Err(param(
                "method",
                "ehals carries an extrapolated pair from one iteration to the next: fit it with nmf_from",
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
pub(super) fn penalised(p: &Mat<f64>, q: &Mat<f64>, l1: f64, l2: f64) -> (Mat<f64>, Mat<f64>) {
    let p = Mat::from_fn(p.nrows(), p.ncols(), |i, j| p[(i, j)] - l1);
    (p, add_diag(q, l2))
}

/// Adds the penalties' gradient l1 + l2·X to `grad`.
pub(crate) fn penalty_gradient(grad: &mut Mat<f64>, x: &Mat<f64>, l1: f64, l2: f64) {
    for j in 0..grad.ncols() {
        for i in 0..grad.nrows() {
            grad[(i, j)] += l1 + l2 * x[(i, j)];
        }
    }
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
mod tests;
