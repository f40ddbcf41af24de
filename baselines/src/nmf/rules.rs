//! The loops of scikit-learn's two stop rules — HALS's violation and MU's divergence rule —
//! and the state (objective, relative error, projected gradient) that they and the masked
//! solvers record.

use super::{penalised, penalty_gradient, NmfFit, NmfMethod, NmfParams};
use crate::data::NmfData;
use crate::error::{Result, SolverError};
use crate::history::{proj_grad_sq, Recorder, StopReason, Verbose};
use crate::linalg::{a_b, at_b, dot};
use crate::nmf_beta::{beta_divergence, ccd_kl_step, mu_beta_step, BetaGuards, Penalty};
use crate::nmf_mask::Missing;
use crate::sym::alternating_hals_sweep_violation as hals_sweep_violation;
use faer::Mat;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// The order in which a HALS half-sweep visits the k coordinates: 0..k, or with `shuffle` a
/// fresh permutation per half-sweep from a generator seeded by the run's seed.
pub(crate) struct CoordinateOrder {
    rng: Option<StdRng>,
    order: Vec<usize>,
}

impl CoordinateOrder {
    pub(crate) fn new(params: &NmfParams) -> Self {
        Self {
            rng: params
                .shuffle
                .then(|| StdRng::seed_from_u64(params.seed ^ 0x5348_5546_464c_4553)),
            order: (0..params.rank).collect(),
        }
    }

    /// The next half-sweep's order (None: the natural one).
    pub(crate) fn next(&mut self) -> Option<&[usize]> {
        let rng = self.rng.as_mut()?;
        self.order.shuffle(rng);
        Some(&self.order)
    }
}

/// scikit-learn's coordinate-descent stop test: a sweep's violation at most `tol` times the
/// first sweep's (or the first is 0); a violation that is not finite is a numerical failure.
/// With `verbose`, scikit-learn's lines: `violation: r` per sweep, `Converged at iteration n`.
pub(crate) struct ViolationRule {
    tol: f64,
    first: Option<f64>,
    verbose: Verbose,
}

impl ViolationRule {
    pub(crate) fn new(tol: f64, verbose: &Verbose) -> Self {
        Self {
            tol,
            first: None,
            verbose: verbose.clone(),
        }
    }

    /// Whether the sweep that ended iteration `iter` with `violation` stops the run.
    pub(crate) fn met(&mut self, violation: f64, iter: usize) -> Result<bool> {
        if !violation.is_finite() {
            return Err(SolverError::Numerical(format!(
                "hals: the violation became {violation} at iteration {iter}"
            )));
        }
        let first = *self.first.get_or_insert(violation);
        if first == 0.0 {
            return Ok(true);
        }
        self.verbose
            .say(|| format!("violation: {}", violation / first));
        let met = violation <= self.tol * first;
        if met {
            // scikit-learn counts this sweep's iteration from 0 in its message.
            self.verbose
                .say(|| format!("Converged at iteration {}", iter + 1));
        }
        Ok(met)
    }
}

/// scikit-learn's multiplicative-update stop test ([`NmfStop::Divergence`]), checked every 10
/// iterations: stop once the error's drop since the last check is below `tol` times the
/// start's error. With `verbose`, scikit-learn's line `Epoch nn reached after s seconds, error: e`.
pub(crate) struct DivergenceRule<'a> {
    tol: f64,
    at_init: f64,
    previous: f64,
    verbose: &'a Verbose,
}

impl<'a> DivergenceRule<'a> {
    pub(crate) fn new(tol: f64, error_at_init: f64, verbose: &'a Verbose) -> Self {
        Self {
            tol,
            at_init: error_at_init,
            previous: error_at_init,
            verbose,
        }
    }

    /// Whether iteration `iter` is a check (every 10th, with a tolerance to meet).
    pub(crate) fn checks(&self, iter: usize) -> bool {
        self.tol > 0.0 && iter.is_multiple_of(10)
    }

    /// The test at a check, with the error then and the seconds since the start.
    pub(crate) fn met(&mut self, iter: usize, error: f64, seconds: f64) -> bool {
        self.verbose.say(|| {
            format!("Epoch {iter:02} reached after {seconds:.3} seconds, error: {error:.6}")
        });
        if (self.previous - error) / self.at_init < self.tol {
            return true;
        }
        self.previous = error;
        false
    }
}

/// MU stopped by scikit-learn's rule ([`NmfStop::Divergence`]), for any β and penalties: its
/// update ([`crate::nmf_beta`]), the error √(2·d_β) every 10 iterations.
pub(super) fn mu_by_divergence(
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
    let mut rule = DivergenceRule::new(params.tol, (2.0 * d0.max(0.0)).sqrt(), &params.verbose);
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
        if rule.checks(iter) {
            let (d, obj, rel) = state(&h, &w);
            if !d.is_finite() {
                return Err(SolverError::Numerical(format!(
                    "mu: the β-divergence became {d} at iteration {iter}"
                )));
            }
            rec.observe(iter, obj, rel, f64::NAN, h.as_ref());
            last = (obj, rel);
            if rule.met(iter, (2.0 * d.max(0.0)).sqrt(), rec.seconds()) {
                break StopReason::Tolerance;
            }
        }
    };
    let seconds = rec.seconds();
    if params.tol == 0.0 || !iter.is_multiple_of(10) {
        params
            .verbose
            .say(|| format!("Epoch {iter:02} reached after {seconds:.3} seconds."));
    }
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
/// With `missing`, all of it over the observed entries only (the plain quantities corrected at
/// the missing ones: [`crate::nmf_mask`]).
pub(crate) fn nmf_state(
    y: NmfData<'_>,
    yf: f64,
    h: &Mat<f64>,
    w: &Mat<f64>,
    pen: &Penalty,
    missing: Option<&Missing>,
) -> (f64, f64, f64) {
    let ywt = y.times_wt(w.as_ref());
    let wwt = a_b(w.as_ref(), w.transpose());
    let hty = y.ht_times(h.as_ref());
    let hth = at_b(h.as_ref(), h.as_ref());
    nmf_state_from(yf, h, w, pen, missing, [&ywt, &wwt, &hty, &hth])
}

/// [`nmf_state`] from the products at (H, W) already made: `[YWᵀ, WWᵀ, HᵀY, HᵀH]`.
pub(crate) fn nmf_state_from(
    yf: f64,
    h: &Mat<f64>,
    w: &Mat<f64>,
    pen: &Penalty,
    missing: Option<&Missing>,
    [ywt, wwt, hty, hth]: [&Mat<f64>; 4],
) -> (f64, f64, f64) {
    let mut grad_h = h * wwt - ywt;
    let mut grad_w = hth * w - hty;
    let mut sq = 0.0;
    if let Some(missing) = missing {
        let (s, ch, cw) = missing.corrections(h.as_ref(), w.as_ref());
        sq = s;
        grad_h -= &ch;
        grad_w -= &cw;
    }
    if !pen.is_zero() {
        penalty_gradient(&mut grad_h, h, pen.l1_h, pen.l2_h);
        penalty_gradient(&mut grad_w, w, pen.l1_w, pen.l2_w);
    }
    let pg = (proj_grad_sq(h.as_ref(), grad_h.as_ref())
        + proj_grad_sq(w.as_ref(), grad_w.as_ref()))
    .sqrt();
    let resid =
        (yf - 2.0 * dot(h.as_ref(), ywt.as_ref()) + dot(hth.as_ref(), wwt.as_ref()) - sq).max(0.0);
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
pub(super) fn hals_by_violation(
    y: NmfData<'_>,
    params: &NmfParams,
    pen: &Penalty,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    let yf = y.frob_sq();
    // Records the start and the end only; the tolerance applies to the violation.
    let mut rec = Recorder::new(params.tol, usize::MAX, None, None);
    let (obj, rel, pg) = nmf_state(y, yf, &h0, &w0, pen, None);
    rec.observe(0, obj, rel, pg, h0.as_ref());
    let (mut h, mut w) = (h0, w0);
    let mut rule = ViolationRule::new(params.tol, &params.verbose);
    let mut order = CoordinateOrder::new(params);
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
            hals_sweep_violation(h, ywt.as_ref(), &wwt, 0.0, order.next())
        } else {
            let (p, q) = penalised(&ywt, &wwt, pen.l1_h, pen.l2_h);
            hals_sweep_violation(h, p.as_ref(), &q, 0.0, order.next())
        };
        h = h1;
        let mut v_w = 0.0;
        if !params.fix_w {
            let hty = y.ht_times(h.as_ref());
            let hth = at_b(h.as_ref(), h.as_ref());
            let wt;
            (wt, v_w) = if pen.l1_w == 0.0 && pen.l2_w == 0.0 {
                hals_sweep_violation(
                    w.transpose().to_owned(),
                    hty.transpose(),
                    &hth,
                    0.0,
                    order.next(),
                )
            } else {
                let (p, q) = penalised(&hty.transpose().to_owned(), &hth, pen.l1_w, pen.l2_w);
                hals_sweep_violation(w.transpose().to_owned(), p.as_ref(), &q, 0.0, order.next())
            };
            w = wt.transpose().to_owned();
        }
        iter += 1;
        if rule.met(v_h + v_w, iter)? {
            break StopReason::Tolerance;
        }
    };
    let seconds = rec.seconds();
    let (obj, rel, pg) = nmf_state(y, yf, &h, &w, pen, None);
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
