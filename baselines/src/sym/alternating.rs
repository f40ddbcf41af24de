//! The two-factor methods on `½‖X − UVᵀ‖² + λ/2‖U − V‖²`: SymANLS, SymHALS, scheme (4) and
//! Kuang's ANLS. They share everything but the block update.
//!
//! Cost per iteration: the two products X·V and X·U, plus O(nr²) work. The stop test of the
//! iterate (U_t, V_t) needs ∇_U = U VᵀV − XV_t + λ(U − V) and ∇_V = V UᵀU − XU_t + λ(V − U);
//! XV_t is the product the next U-update needs anyway and XU_t was computed for the V-update
//! that produced V_t, so testing costs no extra product.

use super::{counted, SymFit, SymMethod, SymParams};
use crate::error::{param, Result};
use crate::history::{proj_grad_sq, Hook, Recorder};
use crate::linalg::{add_diag, at_b, dist_sq, residual_sq, right_solve_spd, SymMatrix};
use crate::nnls::nnls_bpp;
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// A zeroed HALS column is reset to this (Zhu et al.'s code does the same, to keep VᵀV + λI
/// informative).
const HALS_ZERO_RESET: f64 = 1e-16;

pub(super) fn fit(
    method: SymMethod,
    x: &SymMatrix,
    params: &SymParams,
    u0: Mat<f64>,
    labels: Option<&[usize]>,
    hook: Hook<'_>,
) -> Result<SymFit> {
    let lambda = match (method, params.lambda) {
        (_, Some(l)) => l,
        (SymMethod::KuangAnls, None) => x.max().powi(2),
        (SymMethod::Scheme4, None) => x.frob_sq().sqrt(),
        _ => 1.0,
    };
    if !(lambda > 0.0 && lambda.is_finite()) {
        return Err(param(
            "lambda",
            format!("the penalty must be positive, got {lambda} (is X all zeros?)"),
        ));
    }
    let mut rec =
        Recorder::new(params.tol, params.record_every, labels, hook).with_cancel(&params.cancel);
    let xf = x.frob_sq();
    let mut products = 0usize;
    let mut u = u0.clone();
    let mut v = u0;
    let mut xu = counted(x, &mut products, u.as_ref());
    let mut utu = at_b(u.as_ref(), u.as_ref());
    let mut iter = 0;
    let reason;
    loop {
        // At the start V = U, so X·V is the X·U already computed.
        let xv = if iter == 0 {
            xu.clone()
        } else {
            counted(x, &mut products, v.as_ref())
        };
        let vtv = at_b(v.as_ref(), v.as_ref());
        let grad_u = &u * &vtv - &xv + (&u - &v) * faer::Scale(lambda);
        let grad_v = &v * &utu - &xu + (&v - &u) * faer::Scale(lambda);
        let pg = (proj_grad_sq(u.as_ref(), grad_u.as_ref())
            + proj_grad_sq(v.as_ref(), grad_v.as_ref()))
        .sqrt();
        let objective = 0.5 * residual_sq(xf, u.as_ref(), xv.as_ref(), &utu, &vtv)
            + 0.5 * lambda * dist_sq(u.as_ref(), v.as_ref());
        let rel = residual_sq(xf, v.as_ref(), xv.as_ref(), &vtv, &vtv) / xf;
        if let Some(r) = rec.check(
            method.name(),
            iter,
            params.max_iter,
            objective,
            rel,
            pg,
            v.as_ref(),
        )? {
            reason = r;
            break;
        }
        u = update(method, u, v.as_ref(), xv.as_ref(), &vtv, lambda)?;
        xu = counted(x, &mut products, u.as_ref());
        utu = at_b(u.as_ref(), u.as_ref());
        v = update(method, v, u.as_ref(), xu.as_ref(), &utu, lambda)?;
        iter += 1;
    }
    let seconds = rec.seconds();
    let (history, convergence) = rec.finish(iter, reason, None);
    Ok(SymFit {
        method,
        u: v,
        other: Some(u),
        history,
        convergence,
        products,
        penalty: Some(lambda),
        seconds,
    })
}

/// New value of the block `w` given the other block `o`, `xo = X·o` and `oto = oᵀo`:
/// minimises (exactly or approximately) `½‖X − w oᵀ‖² + λ/2‖w − o‖²` over w ≥ 0.
fn update(
    method: SymMethod,
    w: Mat<f64>,
    o: MatRef<'_, f64>,
    xo: MatRef<'_, f64>,
    oto: &Mat<f64>,
    lambda: f64,
) -> Result<Mat<f64>> {
    let q = add_diag(oto, lambda);
    let p = xo + o * faer::Scale(lambda);
    match method {
        SymMethod::SymAnls | SymMethod::KuangAnls => {
            // Rows of w are independent NNLS problems with Gram Q and right-hand side P[i,:].
            let rhs = p.transpose().to_owned();
            let wt = nnls_bpp(q.as_ref(), rhs.as_ref(), Some(w.transpose()))?;
            Ok(wt.transpose().to_owned())
        }
        SymMethod::Scheme4 => {
            let mut out = right_solve_spd(p.as_ref(), &q)?;
            for j in 0..out.ncols() {
                for i in 0..out.nrows() {
                    if out[(i, j)] < 0.0 {
                        out[(i, j)] = 0.0;
                    }
                }
            }
            Ok(out)
        }
        SymMethod::SymHals => Ok(hals_sweep(w, p.as_ref(), &q, 0.0)),
        _ => unreachable!("not a two-factor method"),
    }
}

/// One Gauss–Seidel sweep over the columns of w:
/// `w_l ← max(w_l + (P_l − w Q_l)/Q_ll, 0)`, l = 1..r in order. Row i of the sweep only reads
/// row i of w, so rows are processed in parallel, each sweeping its columns in order — the
/// same arithmetic as the column-by-column sweep. Entries are floored at `floor`; with
/// `floor = 0` a column that ends all zero is reset to a tiny positive value instead.
pub(crate) fn hals_sweep(w: Mat<f64>, p: MatRef<'_, f64>, q: &Mat<f64>, floor: f64) -> Mat<f64> {
    sweep(w, p, q, floor, true).0
}

/// [`hals_sweep`], also returning the sweep's violation: the sum over every entry of
/// |projected gradient| of ½‖·‖² (the gradient `(wQ − P)_il`, or its negative part at the
/// floor) taken just before the entry is updated — scikit-learn's coordinate-descent measure.
/// The updates are those of [`hals_sweep`] but that a column ending all zero stays so (as in
/// scikit-learn); the sum runs chunk by chunk in order, so it does not depend on the thread
/// count.
pub(crate) fn hals_sweep_violation(
    w: Mat<f64>,
    p: MatRef<'_, f64>,
    q: &Mat<f64>,
    floor: f64,
) -> (Mat<f64>, f64) {
    sweep(w, p, q, floor, false)
}

/// The sweep of [`hals_sweep`] and [`hals_sweep_violation`]. An entry whose curvature
/// `Q_ll` is 0 (its partner column is all zero) is left as it is, as the objective does not
/// depend on it; `reset_zero_columns` (with `floor = 0`) puts a tiny positive value in a
/// column that ends all zero.
fn sweep(
    w: Mat<f64>,
    p: MatRef<'_, f64>,
    q: &Mat<f64>,
    floor: f64,
    reset_zero_columns: bool,
) -> (Mat<f64>, f64) {
    let (n, r) = (w.nrows(), w.ncols());
    let mut rows = vec![0.0; n * r];
    let mut prow = vec![0.0; n * r];
    for j in 0..r {
        for i in 0..n {
            rows[i * r + j] = w[(i, j)];
            prow[i * r + j] = p[(i, j)];
        }
    }
    let qcols: Vec<f64> = (0..r)
        .flat_map(|l| (0..r).map(move |j| (j, l)))
        .map(|(j, l)| q[(j, l)])
        .collect();
    // Per row, t = w Q is kept up to date: changing w_l by δ adds δ·Q[l, :] (Q is symmetric,
    // so that is column l, contiguous). An axpy vectorises where the dot product of the plain
    // sweep would not, and an entry that stays put (δ = 0, common once w is sparse) costs O(1).
    let violations: Vec<f64> = rows
        .par_chunks_mut(r * 256)
        .zip(prow.par_chunks(r * 256))
        .map(|(wchunk, pchunk)| {
            let mut violation = 0.0;
            let mut t = vec![0.0; r];
            for (wr, pr) in wchunk.chunks_mut(r).zip(pchunk.chunks(r)) {
                t.iter_mut().for_each(|v| *v = 0.0);
                for (j, &wj) in wr.iter().enumerate() {
                    if wj != 0.0 {
                        for (tv, &qv) in t.iter_mut().zip(&qcols[j * r..j * r + r]) {
                            *tv += wj * qv;
                        }
                    }
                }
                for l in 0..r {
                    let ql = &qcols[l * r..l * r + r];
                    let grad = t[l] - pr[l];
                    violation += if wr[l] <= floor { grad.min(0.0) } else { grad }.abs();
                    if ql[l] <= 0.0 {
                        continue;
                    }
                    let val = wr[l] + (pr[l] - t[l]) / ql[l];
                    let new = if val > floor { val } else { floor };
                    let delta = new - wr[l];
                    if delta != 0.0 {
                        for (tv, &qv) in t.iter_mut().zip(ql) {
                            *tv += delta * qv;
                        }
                        wr[l] = new;
                    }
                }
            }
            violation
        })
        .collect();
    let mut out = Mat::from_fn(n, r, |i, j| rows[i * r + j]);
    for j in 0..r {
        if reset_zero_columns && floor == 0.0 && (0..n).all(|i| out[(i, j)] == 0.0) {
            for i in 0..n {
                out[(i, j)] = HALS_ZERO_RESET;
            }
        }
    }
    (out, violations.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sweep column by column in plain loops, summing |projected gradient| before each
    /// update: the definition the fast sweep must match.
    fn naive(w: &Mat<f64>, p: &Mat<f64>, q: &Mat<f64>, floor: f64) -> (Mat<f64>, f64) {
        let mut w = w.clone();
        let mut violation = 0.0;
        for l in 0..w.ncols() {
            for i in 0..w.nrows() {
                let wq: f64 = (0..w.ncols()).map(|j| w[(i, j)] * q[(j, l)]).sum();
                let grad = wq - p[(i, l)];
                violation += if w[(i, l)] <= floor {
                    grad.min(0.0)
                } else {
                    grad
                }
                .abs();
                w[(i, l)] = (w[(i, l)] - grad / q[(l, l)]).max(floor);
            }
        }
        (w, violation)
    }

    #[test]
    fn the_sweeps_violation_is_the_sum_of_projected_gradients_before_each_update() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let (n, r) = (600, 4);
        let b = Mat::from_fn(r, r, |_, _| rng.random::<f64>());
        let q = b.transpose() * &b + Mat::<f64>::identity(r, r);
        // Some entries at the floor, some gradients pointing out of the feasible set.
        let w = Mat::from_fn(n, r, |i, j| {
            if (i + j) % 3 == 0 {
                0.0
            } else {
                rng.random::<f64>()
            }
        });
        let p = Mat::from_fn(n, r, |_, _| rng.random::<f64>() - 0.3);
        let (fast, v_fast) = hals_sweep_violation(w.clone(), p.as_ref(), &q, 0.0);
        let (slow, v_slow) = naive(&w, &p, &q, 0.0);
        for i in 0..n {
            for j in 0..r {
                assert!((fast[(i, j)] - slow[(i, j)]).abs() <= 1e-12, "({i},{j})");
            }
        }
        assert!(
            (v_fast - v_slow).abs() <= 1e-10 * v_slow,
            "{v_fast} vs {v_slow}"
        );
        // The plain sweep is the same update.
        assert_eq!(hals_sweep(w.clone(), p.as_ref(), &q, 0.0), fast);
    }
}
