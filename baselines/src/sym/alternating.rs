//! The two-factor methods on `½‖X − UVᵀ‖² + λ/2‖U − V‖²`: SymANLS, SymHALS, scheme (4) and
//! Kuang's ANLS. They share everything but the block update.
//!
//! Cost per iteration: the two products X·V and X·U, plus O(nr²) work. The stop test of the
//! iterate (U_t, V_t) needs ∇_U = U VᵀV − XV_t + λ(U − V) and ∇_V = V UᵀU − XU_t + λ(V − U);
//! XV_t is the product the next U-update needs anyway and XU_t was computed for the V-update
//! that produced V_t, so testing costs no extra product.

use super::{SymFit, SymMethod, SymParams};
use crate::error::{param, Result};
use crate::history::{Hook, Recorder};
use crate::linalg::{add_diag, at_b, dot, right_solve_spd, SymMatrix};
use crate::nnls::nnls_bpp;
use crate::simd::Simd;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef};
use rayon::prelude::*;

mod lanes;
use lanes::{Lanes, LANES};

/// A zeroed HALS column is reset to this times √‖X‖₂ (Zhu et al.'s code resets to 1e-16 on
/// graphs with ‖X‖₂ = 1, to keep VᵀV + λI informative; the factor keeps it scale-free).
const HALS_ZERO_RESET: f64 = 1e-16;

/// The penalty when none is given, in X's units (so that it scales with X): SymANLS and
/// SymHALS take Zhu et al.'s λ = 1 as `penalty_factor`·‖X‖₂ (their graphs have ‖X‖₂ = 1),
/// Kuang's α = max(X)² as max(X)²/‖X‖₂ (the same on such graphs), scheme (4) λ = ‖X‖_F.
pub(super) fn default_lambda(method: SymMethod, x: &SymMatrix, scale: f64, factor: f64) -> f64 {
    match method {
        SymMethod::KuangAnls => x.max().powi(2) / scale,
        SymMethod::Scheme4 => x.frob_sq().sqrt(),
        _ => factor * scale,
    }
}

pub(super) fn fit(
    method: SymMethod,
    x: &SymMatrix,
    params: &SymParams,
    start: super::Start,
    labels: Option<&[usize]>,
    hook: Hook<'_>,
) -> Result<SymFit> {
    let super::Start { u0, scale } = start;
    let lambda = params
        .lambda
        .unwrap_or_else(|| default_lambda(method, x, scale, params.penalty_factor));
    let reset = HALS_ZERO_RESET * scale.sqrt();
    if !(lambda > 0.0 && lambda.is_finite()) {
        return Err(param(
            "lambda",
            format!("the penalty must be positive, got {lambda} (is X all zeros?)"),
        ));
    }
    let mut rec =
        Recorder::new(params.tol, params.record_every, labels, hook).with_cancel(&params.cancel);
    let xf = x.frob_sq();
    let n = x.n();
    let r = u0.ncols();
    let mut products = 0usize;
    let mut u = u0.clone();
    let mut v = u0;
    // Every n×r matrix of the loop lives in one of these buffers, allocated once: on a large
    // graph fresh n×r allocations every iteration cost as much as the products.
    let mut xu = Mat::zeros(n, r);
    let mut xv = Mat::zeros(n, r);
    let mut u_vtv = Mat::zeros(n, r);
    let mut v_utu = Mat::zeros(n, r);
    counted_into(x, &mut products, u.as_ref(), xu.as_mut());
    let mut utu = at_b(u.as_ref(), u.as_ref());
    let mut iter = 0;
    let reason;
    loop {
        // At the start V = U, so X·V is the X·U already computed.
        if iter == 0 {
            xv.copy_from(&xu);
        } else {
            counted_into(x, &mut products, v.as_ref(), xv.as_mut());
        }
        let vtv = at_b(v.as_ref(), v.as_ref());
        let par = faer::get_global_parallelism();
        matmul(
            u_vtv.as_mut(),
            Accum::Replace,
            u.as_ref(),
            vtv.as_ref(),
            1.0,
            par,
        );
        matmul(
            v_utu.as_mut(),
            Accum::Replace,
            v.as_ref(),
            utu.as_ref(),
            1.0,
            par,
        );
        let t = stop_terms(&u, &v, &xu, &xv, &u_vtv, &v_utu, lambda);
        let pg = (t.pg_sq_u + t.pg_sq_v).sqrt();
        let objective = 0.5 * (xf - 2.0 * t.u_xv + dot(utu.as_ref(), vtv.as_ref())).max(0.0)
            + 0.5 * lambda * t.dist_sq;
        let rel = (xf - 2.0 * t.v_xv + dot(vtv.as_ref(), vtv.as_ref())).max(0.0) / xf;
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
        update(method, &mut u, v.as_ref(), xv.as_ref(), &vtv, lambda, reset)?;
        counted_into(x, &mut products, u.as_ref(), xu.as_mut());
        utu = at_b(u.as_ref(), u.as_ref());
        update(method, &mut v, u.as_ref(), xu.as_ref(), &utu, lambda, reset)?;
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
        scale,
        seconds,
    })
}

/// X·V into `out`, counted.
fn counted_into(x: &SymMatrix, products: &mut usize, v: MatRef<'_, f64>, out: MatMut<'_, f64>) {
    *products += 1;
    x.mul_into(v, out);
}

/// The sums the stop test needs, from one pass over the n×r matrices.
struct StopTerms {
    /// ‖P₊(∇_U)‖² and ‖P₊(∇_V)‖² (projected gradients of the penalised objective).
    pg_sq_u: f64,
    pg_sq_v: f64,
    /// ⟨U, XV⟩ and ⟨V, XV⟩.
    u_xv: f64,
    v_xv: f64,
    /// ‖U − V‖².
    dist_sq: f64,
}

/// [`StopTerms`] of the iterate (U, V), given XU, XV, U·VᵀV and V·UᵀU:
/// ∇_U = U VᵀV − XV + λ(U − V) and ∇_V = V UᵀU − XU + λ(V − U), entry by entry. Each sum runs
/// over the entries column by column in one thread, in the order (and with the same roundings)
/// of the separate matrix expressions it replaces, so the numbers are those bit for bit.
fn stop_terms(
    u: &Mat<f64>,
    v: &Mat<f64>,
    xu: &Mat<f64>,
    xv: &Mat<f64>,
    u_vtv: &Mat<f64>,
    v_utu: &Mat<f64>,
    lambda: f64,
) -> StopTerms {
    let mut t = StopTerms {
        pg_sq_u: 0.0,
        pg_sq_v: 0.0,
        u_xv: 0.0,
        v_xv: 0.0,
        dist_sq: 0.0,
    };
    let n = u.nrows();
    for j in 0..u.ncols() {
        let (uc, vc) = (&u.col_as_slice(j)[..n], &v.col_as_slice(j)[..n]);
        let (xuc, xvc) = (&xu.col_as_slice(j)[..n], &xv.col_as_slice(j)[..n]);
        let (gu0, gv0) = (&u_vtv.col_as_slice(j)[..n], &v_utu.col_as_slice(j)[..n]);
        for i in 0..n {
            let gu = gu0[i] - xvc[i] + (uc[i] - vc[i]) * lambda;
            let gv = gv0[i] - xuc[i] + (vc[i] - uc[i]) * lambda;
            if gu < 0.0 || uc[i] > 0.0 {
                t.pg_sq_u += gu * gu;
            }
            if gv < 0.0 || vc[i] > 0.0 {
                t.pg_sq_v += gv * gv;
            }
            t.u_xv += uc[i] * xvc[i];
            t.v_xv += vc[i] * xvc[i];
            let d = uc[i] - vc[i];
            t.dist_sq += d * d;
        }
    }
    t
}

/// Replaces the block `w` given the other block `o`, `xo = X·o` and `oto = oᵀo`: minimises
/// (exactly or approximately) `½‖X − w oᵀ‖² + λ/2‖w − o‖²` over w ≥ 0, with the right-hand
/// side `P = X·o + λo` and Gram `Q = oᵀo + λI`. SymHALS sweeps `w` in place and forms P block
/// by block; the others form P whole.
fn update(
    method: SymMethod,
    w: &mut Mat<f64>,
    o: MatRef<'_, f64>,
    xo: MatRef<'_, f64>,
    oto: &Mat<f64>,
    lambda: f64,
    reset: f64,
) -> Result<()> {
    let q = add_diag(oto, lambda);
    if method == SymMethod::SymHals {
        sweep_in_place(
            w.as_mut(),
            xo,
            Some((o, lambda)),
            &q,
            SweepRules {
                reset: Some(reset),
                ..SweepRules::default()
            },
        );
        return Ok(());
    }
    let p = xo + o * faer::Scale(lambda);
    *w = match method {
        SymMethod::SymAnls | SymMethod::KuangAnls => {
            // Rows of w are independent NNLS problems with Gram Q and right-hand side P[i,:].
            let rhs = p.transpose().to_owned();
            let wt = nnls_bpp(q.as_ref(), rhs.as_ref(), Some(w.transpose()))?;
            wt.transpose().to_owned()
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
            out
        }
        _ => unreachable!("not a two-factor method"),
    };
    Ok(())
}

/// One Gauss–Seidel sweep over the columns of w:
/// `w_l ← max(w_l + (P_l − w Q_l)/Q_ll, 0)`, l = 1..r in order. Row i of the sweep only reads
/// row i of w, so rows are processed in parallel, each sweeping its columns in order — the
/// same arithmetic as the column-by-column sweep. Entries are floored at `floor`; with
/// `floor = 0` a column that ends all zero is reset to a tiny positive value instead.
pub(crate) fn hals_sweep(w: Mat<f64>, p: MatRef<'_, f64>, q: &Mat<f64>, floor: f64) -> Mat<f64> {
    let mut w = w;
    let rules = SweepRules {
        floor,
        reset: Some(HALS_ZERO_RESET),
        ..SweepRules::default()
    };
    sweep_in_place(w.as_mut(), p, None, q, rules);
    w
}

/// [`hals_sweep`], also returning the sweep's violation: the sum over every entry of
/// |projected gradient| of ½‖·‖² (the gradient `(wQ − P)_il`, or its negative part at the
/// floor) taken just before the entry is updated — scikit-learn's coordinate-descent measure.
/// The updates are those of [`hals_sweep`] but that a column ending all zero stays so (as in
/// scikit-learn); the sum runs chunk by chunk in order, so it does not depend on the thread
/// count.
/// `order`, where given, is the order in which the columns are visited (a permutation of
/// 0..r; scikit-learn's `shuffle`), else 0, 1, …, r − 1.
pub(crate) fn hals_sweep_violation(
    w: Mat<f64>,
    p: MatRef<'_, f64>,
    q: &Mat<f64>,
    floor: f64,
    order: Option<&[usize]>,
) -> (Mat<f64>, f64) {
    let mut w = w;
    let rules = SweepRules {
        floor,
        order,
        ..SweepRules::default()
    };
    let violation = sweep_in_place(w.as_mut(), p, None, q, rules);
    (w, violation)
}

/// [`hals_sweep_violation`] on `w` in place (any strides: a transposed view sweeps the rows of
/// a k × n factor), with up to `inner` sweeps per block of rows: after the first, a block is
/// swept again while a sweep still changes it by at least a tenth (in Frobenius norm) of what
/// the first changed it — the rows are independent problems given P and Q, so each block
/// stops on its own (Gillis & Glineur's accelerated HALS, block by block). The violation is
/// the first sweep's.
pub(crate) fn hals_sweeps_violation_in_place(
    w: MatMut<'_, f64>,
    p: MatRef<'_, f64>,
    q: &Mat<f64>,
    inner: usize,
) -> f64 {
    let rules = SweepRules {
        inner,
        ..SweepRules::default()
    };
    sweep_in_place(w, p, None, q, rules)
}

/// The options of [`sweep_in_place`].
#[derive(Clone, Copy)]
struct SweepRules<'a> {
    /// Entries are floored at it.
    floor: f64,
    /// With `floor = 0`, the tiny positive value a column ending all zero is given.
    reset: Option<f64>,
    /// The order of the columns (0..r where None).
    order: Option<&'a [usize]>,
    /// Sweeps per block of rows at most ([`hals_sweeps_violation_in_place`]).
    inner: usize,
}

impl Default for SweepRules<'_> {
    fn default() -> Self {
        Self {
            floor: 0.0,
            reset: None,
            order: None,
            inner: 1,
        }
    }
}

/// Rows per parallel task of the sweep (the violation is summed per block, blocks in order).
const SWEEP_ROWS: usize = 256;

/// The sweep of [`hals_sweep`] and [`hals_sweep_violation`], in place, with right-hand side
/// `P + λ·O` when `shift = Some((O, λ))` (formed entry by entry, never as an n×r matrix). An
/// entry whose curvature `Q_ll` is 0 (its partner column is all zero) is left as it is, as the
/// objective does not depend on it; `reset = Some(v)` (with `floor = 0`) puts the tiny
/// positive value v in a column that ends all zero; `order` is the order of the columns (0..r
/// where None). Each block of rows is copied to a row-major
/// scratch, swept there and written back, so nothing of size n×r is allocated.
fn sweep_in_place(
    mut w: MatMut<'_, f64>,
    p: MatRef<'_, f64>,
    shift: Option<(MatRef<'_, f64>, f64)>,
    q: &Mat<f64>,
    rules: SweepRules<'_>,
) -> f64 {
    let SweepRules {
        floor,
        reset,
        order,
        inner,
    } = rules;
    let (n, r) = (w.nrows(), w.ncols());
    let natural: Vec<usize> = (0..r).collect();
    let order = order.unwrap_or(&natural);
    debug_assert_eq!(order.len(), r);
    let qcols: Vec<f64> = (0..r)
        .flat_map(|l| (0..r).map(move |j| (j, l)))
        .map(|(j, l)| q[(j, l)])
        .collect();
    // Per row, t = w Q is kept up to date: changing w_l by δ adds δ·Q[l, :] (Q is symmetric,
    // so that is column l, contiguous). Rows are independent, so LANES of them run side by
    // side in vector registers (`sweep_lanes`), each with the arithmetic of the row alone.
    let simd = Simd::detect();
    let violations: Vec<f64> = w
        .as_mut()
        .par_row_chunks_mut(SWEEP_ROWS)
        .zip(p.par_row_chunks(SWEEP_ROWS))
        .enumerate()
        .map_init(
            || {
                (
                    vec![0.0; SWEEP_ROWS * r],
                    vec![0.0; SWEEP_ROWS * r],
                    vec![0.0; SWEEP_ROWS * r],
                    vec![[0.0; LANES]; r],
                    Vec::new(),
                )
            },
            |(wbuf, pbuf, steps, t, old), (c, (mut wblock, pblock))| {
                let rows = wblock.nrows();
                // Column-major scratch, columns padded to whole lane groups with zero rows:
                // swept like the others (a floor above 0 lifts them to it), but their
                // violation terms are not summed and they are not written back.
                let stride = rows.div_ceil(LANES) * LANES;
                let oblock = shift.map(|(o, l)| (o.subrows(c * SWEEP_ROWS, rows), l));
                for j in 0..r {
                    let (wc, pc) = (
                        &mut wbuf[j * stride..][..stride],
                        &mut pbuf[j * stride..][..stride],
                    );
                    for i in 0..rows {
                        wc[i] = wblock[(i, j)];
                        pc[i] = match oblock {
                            Some((o, l)) => pblock[(i, j)] + o[(i, j)] * l,
                            None => pblock[(i, j)],
                        };
                    }
                    wc[rows..].fill(0.0);
                    pc[rows..].fill(0.0);
                }
                let lanes = Lanes {
                    stride,
                    r,
                    qcols: &qcols,
                    order,
                    floor,
                };
                let (wb, pb) = (&mut wbuf[..r * stride], &pbuf[..r * stride]);
                if inner > 1 {
                    old.clear();
                    old.extend_from_slice(wb);
                }
                simd.sweep_lanes(&lanes, wb, pb, t, &mut steps[..r * stride]);
                // The violation in the order of the row-by-row sweep: rows, then coordinates.
                let mut violation = 0.0;
                for i in 0..rows {
                    for s in 0..r {
                        violation += steps[s * stride + i];
                    }
                }
                if inner > 1 {
                    let moved = |old: &mut Vec<f64>, w: &[f64]| -> f64 {
                        let d = old.iter().zip(w).map(|(a, b)| (b - a) * (b - a)).sum();
                        old.copy_from_slice(w);
                        d
                    };
                    let first = moved(old, wb);
                    for _ in 1..inner {
                        simd.sweep_lanes(&lanes, wb, pb, t, &mut steps[..r * stride]);
                        // `<=`: a first sweep that moved nothing ends the block at once.
                        if moved(old, wb) <= 0.01 * first {
                            break;
                        }
                    }
                }
                for j in 0..r {
                    for i in 0..rows {
                        wblock[(i, j)] = wbuf[j * stride + i];
                    }
                }
                violation
            },
        )
        .collect();
    if let Some(v) = reset.filter(|_| floor == 0.0) {
        for j in 0..r {
            if (0..n).all(|i| w[(i, j)] == 0.0) {
                for i in 0..n {
                    w[(i, j)] = v;
                }
            }
        }
    }
    violations.iter().sum()
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

    /// The row-by-row sweep of one row in plain scalar code (the code the lane kernel
    /// replaced): the bits each lane must reproduce.
    fn one_row(w: &mut [f64], p: &[f64], q: &Mat<f64>, order: &[usize], floor: f64) -> Vec<f64> {
        let r = w.len();
        let mut t = vec![0.0; r];
        for j in 0..r {
            if w[j] != 0.0 {
                for l in 0..r {
                    t[l] += w[j] * q[(l, j)];
                }
            }
        }
        let mut terms = Vec::new();
        for &l in order {
            let grad = t[l] - p[l];
            terms.push(if w[l] <= floor { grad.min(0.0) } else { grad }.abs());
            if q[(l, l)] <= 0.0 {
                continue;
            }
            let val = w[l] + (p[l] - t[l]) / q[(l, l)];
            let new = if val > floor { val } else { floor };
            let delta = new - w[l];
            if delta != 0.0 {
                for j in 0..r {
                    t[j] += delta * q[(j, l)];
                }
                w[l] = new;
            }
        }
        terms
    }

    #[test]
    fn every_vector_version_of_the_lane_sweep_gives_each_rows_own_bits() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        // 21 rows: two whole lane groups and a padded one; column 3's curvature is 0.
        let (rows, r): (usize, usize) = (21, 5);
        let b = Mat::from_fn(r, r, |i, j| {
            if i == 3 || j == 3 {
                0.0
            } else {
                rng.random::<f64>()
            }
        });
        let q = b.transpose() * &b;
        let order = [4, 1, 3, 0, 2];
        for floor in [0.0, 1e-3] {
            let stride = rows.div_ceil(LANES) * LANES;
            let mut w0 = vec![0.0; stride * r];
            let mut p = vec![0.0; stride * r];
            for j in 0..r {
                for i in 0..rows {
                    w0[j * stride + i] = if (i + j) % 4 == 0 {
                        floor
                    } else {
                        rng.random::<f64>()
                    };
                    p[j * stride + i] = rng.random::<f64>() - 0.4;
                }
            }
            let qcols: Vec<f64> = (0..r)
                .flat_map(|l| (0..r).map(move |j| (j, l)))
                .map(|(j, l)| q[(j, l)])
                .collect();
            let lanes = Lanes {
                stride,
                r,
                qcols: &qcols,
                order: &order,
                floor,
            };
            let run = |simd: Simd| {
                let (mut w, mut steps, mut t) =
                    (w0.clone(), vec![0.0; stride * r], vec![[0.0; LANES]; r]);
                simd.sweep_lanes(&lanes, &mut w, &p, &mut t, &mut steps);
                (w, steps)
            };
            let (plain, plain_steps) = run(Simd::Plain);
            // Every version this processor runs (AVX2 too on an AVX-512 machine).
            for simd in Simd::supported() {
                let (fast, fast_steps) = run(simd);
                assert_eq!(
                    plain.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    fast.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{simd:?}"
                );
                assert_eq!(
                    plain_steps.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    fast_steps.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{simd:?}"
                );
            }
            for i in 0..rows {
                let mut row: Vec<f64> = (0..r).map(|j| w0[j * stride + i]).collect();
                let prow: Vec<f64> = (0..r).map(|j| p[j * stride + i]).collect();
                let terms = one_row(&mut row, &prow, &q, &order, floor);
                for j in 0..r {
                    assert_eq!(
                        row[j].to_bits(),
                        plain[j * stride + i].to_bits(),
                        "row {i} col {j}"
                    );
                }
                for (s, term) in terms.iter().enumerate() {
                    assert_eq!(term.to_bits(), plain_steps[s * stride + i].to_bits());
                }
            }
        }
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
        let (fast, v_fast) = hals_sweep_violation(w.clone(), p.as_ref(), &q, 0.0, None);
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
        // Another order of the columns is the plain loops' sweep of the permuted problem.
        let order = [2, 0, 3, 1];
        let (shuffled, v_shuffled) =
            hals_sweep_violation(w.clone(), p.as_ref(), &q, 0.0, Some(&order));
        let wp = Mat::from_fn(n, r, |i, j| w[(i, order[j])]);
        let pp = Mat::from_fn(n, r, |i, j| p[(i, order[j])]);
        let qp = Mat::from_fn(r, r, |a, b| q[(order[a], order[b])]);
        let (slow, v_slow) = naive(&wp, &pp, &qp, 0.0);
        for i in 0..n {
            for j in 0..r {
                assert!((shuffled[(i, order[j])] - slow[(i, j)]).abs() <= 1e-12);
            }
        }
        assert!((v_shuffled - v_slow).abs() <= 1e-10 * v_slow);
        assert!((0..n).any(|i| (0..r).any(|j| shuffled[(i, j)] != fast[(i, j)])));
    }
}
