//! Extrapolated HALS (after Ang & Gillis, "Accelerating nonnegative matrix factorization
//! algorithms using extrapolation", Neural Computation 31, 2019): each half-sweep starts from,
//! and the other factor's update reads, a point pushed past the latest iterate along its last
//! step, H̃ = H₊ + β(H₊ − H), W̃ = W₊ + β(W₊ − W), with β adapted as the run goes: it grows
//! slowly while the error of the extrapolated pair falls, and a rise restarts from the plain
//! iterates with a smaller β and a ceiling at the β that last worked.

use super::rules::{nmf_state, DivergenceRule};
use super::{NmfFit, NmfMethod, NmfParams};
use crate::data::NmfData;
use crate::error::{Result, SolverError};
use crate::history::{Recorder, StopReason};
use crate::linalg::{a_b, at_b, dot};
use crate::nmf_beta::Penalty;
use crate::sym::alternating_hals_sweep_violation as hals_sweep_violation;
use faer::Mat;

/// The extrapolation weight's schedule: start, growth while the error falls, growth of the
/// ceiling, division on a restart. The paper's HALS runs grew more slowly (1.01, 1.005) and
/// divided by 1.5; these were chosen on two matrices (a 200 × 150 rank-8 one, the test below,
/// and the 5000 × 2000 one of `bench/python/dense_hals.py`): equal at 100–200 iterations on the
/// large one, and on the small one the division by 1.5 restarted every ten iterations and
/// fell behind plain HALS after 1000 (0.01350 vs 0.01300 at 2000), where dividing by 3 stays
/// ahead (0.01285).
const BETA_START: f64 = 0.5;
const GROWTH: f64 = 1.05;
const CEILING_GROWTH: f64 = 1.01;
const SHRINK: f64 = 3.0;

/// β and its ceiling, and the last error seen.
struct Schedule {
    beta: f64,
    ceiling: f64,
    last: f64,
    restarts: usize,
}

impl Schedule {
    fn new() -> Self {
        Self {
            beta: BETA_START,
            ceiling: 1.0,
            last: f64::INFINITY,
            restarts: 0,
        }
    }

    /// Takes the error of the latest extrapolated pair: whether to keep extrapolating (the error
    /// did not rise) or to restart from the plain iterates; β follows.
    fn keep(&mut self, error: f64) -> bool {
        let rose = error > self.last;
        self.last = error;
        if rose {
            self.ceiling = self.beta;
            self.beta /= SHRINK;
            self.restarts += 1;
        } else {
            self.beta = (GROWTH * self.beta).min(self.ceiling);
            self.ceiling = (CEILING_GROWTH * self.ceiling).min(1.0);
        }
        !rose
    }
}

/// `max(0, x + β(x − before))`: the extrapolated point, kept feasible. Component l is left as
/// it is where `gram[(l, l)]` is 0 — its partner is all zero, so the sweep left it untouched,
/// and pushing it along its last step again and again would only make it grow (seen: an
/// infinite violation after 938 iterations). Components are H's columns (`of_columns`) or W's
/// rows.
fn extrapolate(
    x: &Mat<f64>,
    before: &Mat<f64>,
    beta: f64,
    gram: &Mat<f64>,
    of_columns: bool,
) -> Mat<f64> {
    Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
        let l = if of_columns { j } else { i };
        if gram[(l, l)] > 0.0 {
            (x[(i, j)] + beta * (x[(i, j)] - before[(i, j)])).max(0.0)
        } else {
            x[(i, j)]
        }
    })
}

/// Rescales each component l of both pairs — H's column and W's row, plain and extrapolated —
/// by the same d and 1/d, d = √(‖W_l‖/‖H_l‖) of the plain pair, so that its two halves have
/// the same norm. HW and H̃W̃ are unchanged and so are the sweeps (each is equivariant to the
/// scaling), but a component's scale cannot drift: unbalanced, a small row of W made its
/// column of H large, which the extrapolation then pushed further (H reached 1e156 and the
/// violation infinity after 940 iterations on a 200 × 150 test matrix).
fn balance([h, hx]: [&mut Mat<f64>; 2], [w, wx]: [&mut Mat<f64>; 2]) {
    for l in 0..h.ncols() {
        let (a, b) = (h.col(l).norm_l2(), w.row(l).norm_l2());
        if !(a > 0.0 && b > 0.0) {
            continue;
        }
        let d = (b / a).sqrt();
        for x in [&mut *h, &mut *hx] {
            x.col_mut(l).iter_mut().for_each(|v| *v *= d);
        }
        for x in [&mut *w, &mut *wx] {
            x.row_mut(l).iter_mut().for_each(|v| *v /= d);
        }
    }
}

/// Extrapolated HALS, stopped by scikit-learn's multiplicative-update rule
/// ([`super::NmfStop::Divergence`]: every 10 iterations, the drop of the error ‖Y − HW‖ since
/// the last check below `tol` times the start's — here the lowest error so far), without
/// penalties. Two products with Y per iteration, as plain HALS, and from them the error of the
/// pair (H̃, W₊) — the extrapolated H (projected onto H ≥ 0) and the W fitted to it. The result
/// is the pair of lowest error seen, its error recomputed at the end. (W₊ is fitted to H̃, not
/// to the plain H₊: the plain pair does not match. The violation rule does not apply: a sweep
/// starting from an extrapolated point measured a violation 10⁻³ of the first after 11
/// iterations, at twice the error HALS stopped at.)
pub(super) fn ehals_by_divergence(
    y: NmfData<'_>,
    params: &NmfParams,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    let yf = y.frob_sq();
    let none = Penalty::default();
    let mut rec = Recorder::new(params.tol, usize::MAX, None, None);
    let (obj, rel, pg) = nmf_state(y, yf, &h0, &w0, &none, None);
    rec.observe(0, obj, rel, pg, h0.as_ref());
    let (mut h, mut w) = (h0.clone(), w0.clone());
    let (mut hx, mut wx) = (h0, w0);
    let mut rule = DivergenceRule::new(params.tol, (2.0 * obj).max(0.0).sqrt(), &params.verbose);
    let mut schedule = Schedule::new();
    let mut best = (f64::INFINITY, Mat::new(), Mat::new());
    let mut iter = 0;
    let reason = loop {
        if params.cancel.is_cancelled() {
            return Err(SolverError::Cancelled { iter });
        }
        if iter >= params.max_iter {
            break StopReason::MaxIterations;
        }
        balance([&mut h, &mut hx], [&mut w, &mut wx]);
        // H from the extrapolated H, given the extrapolated W.
        let ywt = y.times_wt(wx.as_ref());
        let wwt = a_b(wx.as_ref(), wx.transpose());
        let (h1, _) = hals_sweep_violation(hx, ywt.as_ref(), &wwt, 0.0, None);
        let hx1 = extrapolate(&h1, &h, schedule.beta, &wwt, true);
        // W from the extrapolated W, given the extrapolated H.
        let hty = y.ht_times(hx1.as_ref());
        let hth = at_b(hx1.as_ref(), hx1.as_ref());
        let (wt1, _) =
            hals_sweep_violation(wx.transpose().to_owned(), hty.transpose(), &hth, 0.0, None);
        let w1 = wt1.transpose().to_owned();
        // ‖Y − H̃W₊‖² from the products at hand.
        let error = yf - 2.0 * dot(w1.as_ref(), hty.as_ref())
            + dot(hth.as_ref(), a_b(w1.as_ref(), w1.transpose()).as_ref());
        let wx1 = extrapolate(&w1, &w, schedule.beta, &hth, false);
        if error < best.0 {
            best = (error, hx1.clone(), w1.clone());
        }
        (h, w) = (h1, w1);
        if schedule.keep(error) {
            (hx, wx) = (hx1, wx1);
        } else {
            (hx, wx) = (h.clone(), w.clone());
        }
        iter += 1;
        if !error.is_finite() {
            return Err(SolverError::Numerical(format!(
                "ehals: the error became {error} at iteration {iter}"
            )));
        }
        if rule.checks(iter) && rule.met(iter, best.0.max(0.0).sqrt(), rec.seconds()) {
            break StopReason::Tolerance;
        }
    };
    let seconds = rec.seconds();
    let (h, w) = if best.0.is_finite() {
        (best.1, best.2)
    } else {
        (h, w)
    };
    let (obj, rel, pg) = nmf_state(y, yf, &h, &w, &none, None);
    rec.observe(iter, obj, rel, pg, h.as_ref());
    let (history, convergence) = rec.finish(iter, reason, Some((obj, rel, h.as_ref())));
    Ok(NmfFit {
        method: NmfMethod::Ehals,
        h,
        w,
        history,
        convergence,
        seconds,
    })
}
