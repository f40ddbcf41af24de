//! SymNewton (Kuang, Yun, Park 2015, `symnmf_newton`) and PGD on `f(H) = ‖X − HHᵀ‖²`,
//! `∇f = 4(HHᵀH − XH)`.
//!
//! SymNewton scales the gradient column by column with the block of the Hessian that belongs to
//! that column, restricted to its free variables F_i = {j : g_ji ≤ ε or h_ji > ε}:
//! `4(H_F H_Fᵀ − X_FF + h_F h_Fᵀ + ‖h_i‖² I)`. As in the original, a column's Cholesky factor is
//! recomputed only when its free set changes; when the block is not positive definite, or the
//! scaled step is not a descent direction, that column takes the gradient. Every 100
//! iterations all columns take the gradient once and every factor is recomputed afterwards.
//! Factors are cached while they fit in `CACHE_BYTES`; beyond that a column's factor is
//! recomputed each iteration (the same step, more arithmetic).
//!
//! PGD is the same framework with identity scaling. Both use the projected Armijo search of the
//! original: α = 1, 0.1, 0.01, … until `f(H⁺) − f(H) ≤ σ⟨∇f, H⁺ − H⟩`, σ = 0.1, where
//! `H⁺ = max(H − α·step, 0)`. Every trial costs one product X·H⁺, which the accepted trial
//! hands on to the next iteration.

use super::{counted, SymFit, SymMethod, SymParams};
use crate::error::Result;
use crate::history::{proj_grad_sq, Hook, Recorder, StopReason};
use crate::linalg::{at_b, dot, frob_sq, SymMatrix};
use faer::linalg::solvers::{Llt, Solve};
use faer::{Mat, MatRef, Side};
use rayon::prelude::*;

const SIGMA: f64 = 0.1;
const BETA: f64 = 0.1;
/// MATLAB's eps, the threshold of the original code (on graphs with ‖X‖₂ = 1; see
/// [`Units`]).
const EPS: f64 = f64::EPSILON;

/// The scale-dependent constants of the original code in units of s = ‖X‖₂, so that the run
/// on cX is the run on X scaled (H by √c, the gradient by c^{3/2}): the thresholds of the free
/// sets (EPS on H and on the gradient where s = 1), and the factor 1/s that turns a gradient
/// (∝ s^{3/2}) into a step of H's size (∝ s^{1/2}) for PGD and gradient columns. The Newton
/// step is scale-free by itself.
#[derive(Clone, Copy)]
struct Units {
    h_eps: f64,
    grad_eps: f64,
    grad_step: f64,
}

impl Units {
    fn new(scale: f64) -> Self {
        Self {
            h_eps: EPS * scale.sqrt(),
            grad_eps: EPS * scale * scale.sqrt(),
            grad_step: 1.0 / scale,
        }
    }
}
/// Armijo trials before the search is declared stalled (α = 1e-30).
const MAX_TRIALS: usize = 30;
const CACHE_BYTES: usize = 2 << 30;

struct ColumnFactor {
    free: Vec<bool>,
    /// Indices of the free set and the Cholesky factor of its Hessian block; None when that
    /// block is not positive definite (the column then takes the gradient).
    llt: Option<(Vec<usize>, Llt<f64>)>,
    /// Bytes held by `llt`.
    bytes: usize,
}

fn objective(xf: f64, h: MatRef<'_, f64>, xh: MatRef<'_, f64>, hth: &Mat<f64>) -> f64 {
    (xf - 2.0 * dot(h, xh) + frob_sq(hth.as_ref())).max(0.0)
}

pub(super) fn fit(
    method: SymMethod,
    x: &SymMatrix,
    params: &SymParams,
    start: super::Start,
    labels: Option<&[usize]>,
    hook: Hook<'_>,
) -> Result<SymFit> {
    let super::Start { u0: h0, scale } = start;
    let units = Units::new(scale);
    let (n, r) = (h0.nrows(), h0.ncols());
    let mut rec =
        Recorder::new(params.tol, params.record_every, labels, hook).with_cancel(&params.cancel);
    let xf = x.frob_sq();
    let mut products = 0usize;
    let mut h = h0;
    let mut xh = counted(x, &mut products, h.as_ref());
    let mut hth = at_b(h.as_ref(), h.as_ref());
    let mut obj = objective(xf, h.as_ref(), xh.as_ref(), &hth);
    let mut cache: Vec<Option<ColumnFactor>> = (0..r).map(|_| None).collect();
    let mut iter = 0;
    let reason;
    loop {
        let grad = (&h * &hth - &xh) * faer::Scale(4.0);
        let pg = proj_grad_sq(h.as_ref(), grad.as_ref()).sqrt();
        if let Some(r) = rec.check(
            method.name(),
            iter,
            params.max_iter,
            obj,
            obj / xf,
            pg,
            h.as_ref(),
        )? {
            reason = r;
            break;
        }
        let step = match method {
            SymMethod::Pgd => &grad * faer::Scale(units.grad_step),
            _ if iter > 0 && iter % 100 == 0 => {
                cache.iter_mut().for_each(|c| *c = None);
                &grad * faer::Scale(units.grad_step)
            }
            _ => newton_step(x, h.as_ref(), &grad, &mut cache, units)?,
        };
        // Projected Armijo search.
        let mut alpha = 1.0;
        let mut accepted = None;
        for _ in 0..MAX_TRIALS {
            let hn = Mat::from_fn(n, r, |i, j| (h[(i, j)] - alpha * step[(i, j)]).max(0.0));
            let xhn = counted(x, &mut products, hn.as_ref());
            let hthn = at_b(hn.as_ref(), hn.as_ref());
            let newobj = objective(xf, hn.as_ref(), xhn.as_ref(), &hthn);
            let decrease = dot(grad.as_ref(), (&hn - &h).as_ref());
            if newobj - obj <= SIGMA * decrease {
                accepted = Some((hn, xhn, hthn, newobj));
                break;
            }
            alpha *= BETA;
        }
        match accepted {
            Some((hn, xhn, hthn, newobj)) => {
                h = hn;
                xh = xhn;
                hth = hthn;
                obj = newobj;
            }
            None => {
                reason = StopReason::LineSearchStalled;
                break;
            }
        }
        iter += 1;
    }
    let seconds = rec.seconds();
    let (history, convergence) = rec.finish(iter, reason, Some((obj, obj / xf, h.as_ref())));
    Ok(SymFit {
        method,
        u: h,
        other: None,
        history,
        convergence,
        products,
        penalty: None,
        scale,
        seconds,
    })
}

/// The Newton-like step of every column (see the module docs).
fn newton_step(
    x: &SymMatrix,
    h: MatRef<'_, f64>,
    grad: &Mat<f64>,
    cache: &mut [Option<ColumnFactor>],
    units: Units,
) -> Result<Mat<f64>> {
    let (n, r) = (h.nrows(), h.ncols());
    let mut step = Mat::zeros(n, r);
    let mut held: usize = cache.iter().flatten().map(|c| c.bytes).sum();
    let frees: Vec<Vec<bool>> = (0..r)
        .map(|i| {
            (0..n)
                .map(|j| grad[(j, i)] <= units.grad_eps || h[(j, i)] > units.h_eps)
                .collect()
        })
        .collect();
    let stale: Vec<bool> = (0..r)
        .map(|i| match &cache[i] {
            Some(c) => c.free != frees[i],
            None => true,
        })
        .collect();
    // A factor depends only on X, H, the column and its free set, so the stale columns are
    // factorised ahead, as many at once as there are threads (each factorisation itself is
    // the sequential one, so the numbers are those of one column after the other); the cache
    // is then updated column by column in order, as before.
    let mut pending: Vec<Option<ColumnFactor>> = (0..r).map(|_| None).collect();
    let window = rayon::current_num_threads().max(1);
    for i in 0..r {
        if stale[i] && pending[i].is_none() {
            let next: Vec<usize> = (i..r).filter(|&c| stale[c]).take(window).collect();
            let made: Vec<ColumnFactor> = next
                .par_iter()
                .map(|&c| factorise(x, h, c, frees[c].clone()))
                .collect();
            for (c, f) in next.into_iter().zip(made) {
                pending[c] = Some(f);
            }
        }
        let fresh;
        let factor: &ColumnFactor = if stale[i] {
            if let Some(old) = cache[i].take() {
                held -= old.bytes;
            }
            let f = pending[i].take().expect("factorised ahead");
            if held + f.bytes <= CACHE_BYTES {
                held += f.bytes;
                cache[i] = Some(f);
                cache[i].as_ref().expect("just stored")
            } else {
                fresh = f;
                &fresh
            }
        } else {
            cache[i].as_ref().expect("not stale")
        };
        let g = grad.col(i);
        let had_factor = factor.llt.is_some();
        let scaled: Option<Vec<f64>> = factor.llt.as_ref().and_then(|(idx, llt)| {
            let rhs = Mat::from_fn(idx.len(), 1, |a, _| g[idx[a]]);
            let sol = llt.solve(rhs.as_ref());
            let mut s = vec![0.0; n];
            for (a, &j) in idx.iter().enumerate() {
                s[j] = sol[(a, 0)];
            }
            for j in 0..n {
                if s[j] > -units.h_eps && h[(j, i)] <= units.h_eps {
                    s[j] = 0.0;
                }
            }
            let gs: f64 = (0..n).map(|j| g[j] * s[j]).sum();
            let gn: f64 = (0..n).map(|j| g[j] * g[j]).sum::<f64>().sqrt();
            let sn: f64 = s.iter().map(|v| v * v).sum::<f64>().sqrt();
            (gn > 0.0 && sn > 0.0 && gs / gn / sn > EPS).then_some(s)
        });
        let use_gradient = scaled.is_none();
        if let Some(s) = scaled {
            for j in 0..n {
                step[(j, i)] = s[j];
            }
        } else if had_factor {
            // As in the original: this column takes gradient steps until its free set changes.
            if let Some(c) = cache[i].as_mut() {
                held -= c.bytes;
                c.llt = None;
                c.bytes = 0;
            }
        }
        if use_gradient {
            for j in 0..n {
                step[(j, i)] = g[j] * units.grad_step;
            }
        }
    }
    Ok(step)
}

fn factorise(x: &SymMatrix, h: MatRef<'_, f64>, i: usize, free: Vec<bool>) -> ColumnFactor {
    let idx: Vec<usize> = (0..free.len()).filter(|&j| free[j]).collect();
    if idx.is_empty() {
        return ColumnFactor {
            free,
            llt: None,
            bytes: 0,
        };
    }
    let s = idx.len();
    let hs = Mat::from_fn(s, h.ncols(), |a, c| h[(idx[a], c)]);
    let hi_sq: f64 = (0..h.nrows()).map(|j| h[(j, i)] * h[(j, i)]).sum();
    let mut block = &hs * hs.transpose() - x.principal_submatrix(&idx);
    for a in 0..s {
        for b in 0..s {
            block[(a, b)] += hs[(a, i)] * hs[(b, i)];
        }
        block[(a, a)] += hi_sq;
    }
    // The factor 4 of the Hessian scales the step by 1/4 uniformly; kept for fidelity.
    let block = block * faer::Scale(4.0);
    match block.llt(Side::Lower) {
        Ok(llt) => ColumnFactor {
            free,
            llt: Some((idx, llt)),
            bytes: s * s * 8,
        },
        Err(_) => ColumnFactor {
            free,
            llt: None,
            bytes: 0,
        },
    }
}
