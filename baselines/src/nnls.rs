//! Nonnegative least squares by block principal pivoting (Kim & Park, SIAM J. Sci. Comput.
//! 2011), for many right-hand sides at once: the one NNLS kernel of the crate, used by SymANLS,
//! Kuang's ANLS, ADMM's Y-step, ANLS-BPP and the fixed-basis NNLS of the transfer protocol.
//!
//! Problem, column by column: `min_{x ≥ 0} ‖C x − b‖²`, given only the normal-equation data
//! `G = CᵀC` (k×k, symmetric positive definite) and `R = CᵀB` (k×m). Optimality (KKT):
//! `y = G x − r`, `x ≥ 0`, `y ≥ 0`, `x_j y_j = 0`. Each round flips the infeasible variables of
//! every unsettled column between the passive set (solved by Cholesky on `G[P,P]`) and the
//! active set (held at 0), with Kim & Park's backup rule (after 3 rounds without progress flip
//! only the largest index) that guarantees termination. Columns that share a passive set share
//! one Cholesky factorisation.

use crate::error::{Result, SolverError};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};
use rayon::prelude::*;
use std::collections::HashMap;

/// Rounds of the full-exchange rule tolerated without a decrease in infeasible variables.
const P_BAR: usize = 3;

/// Solves the NNLS problems above; `warm` (k×m) gives the starting passive sets (entries > 0).
pub fn nnls_bpp(
    g: MatRef<'_, f64>,
    r: MatRef<'_, f64>,
    warm: Option<MatRef<'_, f64>>,
) -> Result<Mat<f64>> {
    let k = g.nrows();
    let m = r.ncols();
    if g.ncols() != k || r.nrows() != k {
        return Err(SolverError::Shape(format!(
            "NNLS: G is {}×{} and R is {}×{}",
            g.nrows(),
            g.ncols(),
            r.nrows(),
            r.ncols()
        )));
    }
    if let Some(w) = warm {
        if w.nrows() != k || w.ncols() != m {
            return Err(SolverError::Shape(format!(
                "NNLS warm start is {}×{}, expected {k}×{m}",
                w.nrows(),
                w.ncols()
            )));
        }
    }
    let mut x = Mat::<f64>::zeros(k, m);
    if k == 0 || m == 0 {
        return Ok(x);
    }
    // Tolerance for "y_j < 0" / "x_j < 0": rounding noise of the solves must not look like
    // infeasibility. Relative to the size of the data of each column.
    let gmax = (0..k).map(|i| g[(i, i)].abs()).fold(0.0, f64::max);
    let tol: Vec<f64> = (0..m)
        .map(|c| {
            let rmax = (0..k).map(|i| r[(i, c)].abs()).fold(0.0, f64::max);
            1e-12 * (rmax + gmax).max(f64::MIN_POSITIVE)
        })
        .collect();
    let mut passive: Vec<Vec<bool>> = (0..m)
        .map(|c| match warm {
            Some(w) => (0..k).map(|i| w[(i, c)] > 0.0).collect(),
            None => vec![false; k],
        })
        .collect();
    let mut y = Mat::<f64>::zeros(k, m);
    let all: Vec<usize> = (0..m).collect();
    solve_columns(g, r, &passive, &all, &mut x, &mut y)?;

    let mut p_left = vec![P_BAR; m];
    let mut ninf = vec![k + 1; m];
    let mut rounds = 0usize;
    loop {
        let mut bad = Vec::new();
        for c in 0..m {
            let mut count = 0usize;
            let mut largest = None;
            for i in 0..k {
                let flip = if passive[c][i] {
                    x[(i, c)] < -tol[c]
                } else {
                    y[(i, c)] < -tol[c]
                };
                if flip {
                    count += 1;
                    largest = Some(i);
                }
            }
            if count == 0 {
                continue;
            }
            if count < ninf[c] {
                p_left[c] = P_BAR;
                ninf[c] = count;
                flip_all(&mut passive[c], &x, &y, c, tol[c]);
            } else if p_left[c] >= 1 {
                p_left[c] -= 1;
                flip_all(&mut passive[c], &x, &y, c, tol[c]);
            } else if let Some(i) = largest {
                passive[c][i] = !passive[c][i];
            }
            bad.push(c);
        }
        if bad.is_empty() {
            break;
        }
        rounds += 1;
        if rounds > 50 * (k + 10) {
            return Err(SolverError::Numerical(format!(
                "NNLS block pivoting did not settle after {rounds} rounds ({} columns left); the Gram matrix may be singular",
                bad.len()
            )));
        }
        solve_columns(g, r, &passive, &bad, &mut x, &mut y)?;
    }
    // Exact zeros on the active set, no rounding-level negatives on the passive set.
    for c in 0..m {
        for i in 0..k {
            if !passive[c][i] || x[(i, c)] < 0.0 {
                x[(i, c)] = 0.0;
            }
        }
    }
    Ok(x)
}

fn flip_all(passive: &mut [bool], x: &Mat<f64>, y: &Mat<f64>, c: usize, tol: f64) {
    for (i, p) in passive.iter_mut().enumerate() {
        if (*p && x[(i, c)] < -tol) || (!*p && y[(i, c)] < -tol) {
            *p = !*p;
        }
    }
}

/// For the columns `cols`: x[P] = G[P,P]⁻¹ r[P], x[¬P] = 0, y = G x − r with y[P] = 0.
fn solve_columns(
    g: MatRef<'_, f64>,
    r: MatRef<'_, f64>,
    passive: &[Vec<bool>],
    cols: &[usize],
    x: &mut Mat<f64>,
    y: &mut Mat<f64>,
) -> Result<()> {
    let k = g.nrows();
    let mut groups: HashMap<&[bool], Vec<usize>> = HashMap::new();
    for &c in cols {
        groups.entry(passive[c].as_slice()).or_default().push(c);
    }
    let groups: Vec<(&[bool], Vec<usize>)> = groups.into_iter().collect();
    // Per group: (column, its solution) pairs.
    type Solved = Result<Vec<(usize, Vec<f64>)>>;
    let solved: Vec<Solved> = groups
        .par_iter()
        .map(|(set, members)| {
            let idx: Vec<usize> = (0..k).filter(|&i| set[i]).collect();
            let mut out = Vec::with_capacity(members.len());
            if idx.is_empty() {
                for &c in members {
                    out.push((c, vec![0.0; k]));
                }
                return Ok(out);
            }
            let s = idx.len();
            let gpp = Mat::from_fn(s, s, |a, b| g[(idx[a], idx[b])]);
            let rhs = Mat::from_fn(s, members.len(), |a, b| r[(idx[a], members[b])]);
            let llt = gpp.llt(Side::Lower).map_err(|_| {
                SolverError::Numerical(
                    "NNLS: a principal submatrix of the Gram matrix is not positive definite (rank-deficient factor?)".into(),
                )
            })?;
            let sol = llt.solve(rhs.as_ref());
            for (b, &c) in members.iter().enumerate() {
                let mut col = vec![0.0; k];
                for (a, &i) in idx.iter().enumerate() {
                    col[i] = sol[(a, b)];
                }
                out.push((c, col));
            }
            Ok(out)
        })
        .collect();
    for group in solved {
        for (c, col) in group? {
            for i in 0..k {
                x[(i, c)] = col[i];
            }
            for i in 0..k {
                if passive[c][i] {
                    y[(i, c)] = 0.0;
                } else {
                    let mut s = -r[(i, c)];
                    for (j, &xj) in col.iter().enumerate() {
                        if xj != 0.0 {
                            s += g[(i, j)] * xj;
                        }
                    }
                    y[(i, c)] = s;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::{a_b, at_b};
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    fn random(rows: usize, cols: usize, rng: &mut StdRng) -> Mat<f64> {
        Mat::from_fn(rows, cols, |_, _| rng.random::<f64>() * 2.0 - 1.0)
    }

    /// Brute force: for every subset S of {0..k}, the unconstrained solution on S; keep the
    /// feasible one with the least objective. Exponential; k ≤ 8.
    fn brute_force(c: &Mat<f64>, b: &[f64]) -> (Vec<f64>, f64) {
        let k = c.ncols();
        let obj = |x: &[f64]| -> f64 {
            (0..c.nrows())
                .map(|i| {
                    let s: f64 = (0..k).map(|j| c[(i, j)] * x[j]).sum::<f64>() - b[i];
                    s * s
                })
                .sum()
        };
        let mut best = (vec![0.0; k], obj(&vec![0.0; k]));
        for mask in 1u32..(1 << k) {
            let idx: Vec<usize> = (0..k).filter(|&j| mask >> j & 1 == 1).collect();
            let s = idx.len();
            let g = Mat::from_fn(s, s, |a, bb| {
                (0..c.nrows())
                    .map(|i| c[(i, idx[a])] * c[(i, idx[bb])])
                    .sum::<f64>()
            });
            let rhs = Mat::from_fn(s, 1, |a, _| {
                (0..c.nrows()).map(|i| c[(i, idx[a])] * b[i]).sum::<f64>()
            });
            let Ok(llt) = g.llt(Side::Lower) else {
                continue;
            };
            let sol = llt.solve(rhs.as_ref());
            if (0..s).any(|a| sol[(a, 0)] < 0.0) {
                continue;
            }
            let mut x = vec![0.0; k];
            for (a, &j) in idx.iter().enumerate() {
                x[j] = sol[(a, 0)];
            }
            let o = obj(&x);
            if o < best.1 {
                best = (x, o);
            }
        }
        best
    }

    #[test]
    fn matches_brute_force_enumeration_of_active_sets() {
        let mut rng = StdRng::seed_from_u64(7);
        for trial in 0..40 {
            let k = 1 + trial % 7;
            let rows = k + 3 + trial % 5;
            let m = 6;
            let c = random(rows, k, &mut rng);
            let b = random(rows, m, &mut rng);
            let g = at_b(c.as_ref(), c.as_ref());
            let r = at_b(c.as_ref(), b.as_ref());
            let x = nnls_bpp(g.as_ref(), r.as_ref(), None).unwrap();
            for col in 0..m {
                let bc: Vec<f64> = (0..rows).map(|i| b[(i, col)]).collect();
                let (xb, _) = brute_force(&c, &bc);
                for j in 0..k {
                    // Tolerance: both are exact solves of the same small well-conditioned
                    // system; 1e-9 covers the rounding of two different Cholesky orders.
                    assert!(
                        (x[(j, col)] - xb[j]).abs() < 1e-9,
                        "trial {trial} column {col}: bpp {:?} vs brute {:?}",
                        x.col(col),
                        xb
                    );
                }
            }
        }
    }

    #[test]
    fn kkt_holds_on_larger_problems_and_warm_start_agrees() {
        let mut rng = StdRng::seed_from_u64(11);
        for &(rows, k, m) in &[(200usize, 30usize, 500usize), (80, 40, 50), (1000, 10, 300)] {
            let c = random(rows, k, &mut rng);
            let b = random(rows, m, &mut rng);
            let g = at_b(c.as_ref(), c.as_ref());
            let r = at_b(c.as_ref(), b.as_ref());
            let x = nnls_bpp(g.as_ref(), r.as_ref(), None).unwrap();
            let y = a_b(g.as_ref(), x.as_ref()) - &r;
            let scale = (0..k).map(|i| g[(i, i)]).fold(0.0, f64::max);
            // KKT to 1e-9 relative to the largest diagonal of G (rounding of an exact solve).
            for col in 0..m {
                for i in 0..k {
                    assert!(x[(i, col)] >= 0.0);
                    assert!(
                        y[(i, col)] > -1e-9 * scale,
                        "dual infeasible {}",
                        y[(i, col)]
                    );
                    assert!((x[(i, col)] * y[(i, col)]).abs() < 1e-9 * scale);
                }
            }
            // Warm start from a perturbed solution reaches the same point.
            let warm = Mat::from_fn(k, m, |i, j| if (i + j) % 3 == 0 { 1.0 } else { x[(i, j)] });
            let x2 = nnls_bpp(g.as_ref(), r.as_ref(), Some(warm.as_ref())).unwrap();
            let diff = (&x2 - &x).norm_max();
            assert!(diff < 1e-8, "warm start changed the solution by {diff}");
        }
    }

    #[test]
    fn shape_errors_are_typed() {
        let g = Mat::<f64>::identity(3, 3);
        let r = Mat::<f64>::zeros(2, 4);
        assert!(matches!(
            nnls_bpp(g.as_ref(), r.as_ref(), None),
            Err(SolverError::Shape(_))
        ));
    }
}
