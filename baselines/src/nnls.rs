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
    if k == 0 || m == 0 {
        return Ok(Mat::zeros(k, m));
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
    // The state of column c: its passive set as a bit mask (`words` words), x and y (k each),
    // in flat arrays, so that a round touches no allocator and hashes nothing.
    let words = k.div_ceil(64);
    let mut passive = vec![0u64; words * m];
    if let Some(w) = warm {
        for c in 0..m {
            let mask = &mut passive[c * words..(c + 1) * words];
            for i in 0..k {
                if w[(i, c)] > 0.0 {
                    mask[i / 64] |= 1 << (i % 64);
                }
            }
        }
    }
    let mut x = vec![0.0; k * m];
    let mut y = vec![0.0; k * m];
    let all: Vec<usize> = (0..m).collect();
    let data = Data::new(g, r, words);
    data.solve_columns(&passive, &all, &mut x, &mut y)?;

    let mut p_left = vec![P_BAR; m];
    let mut ninf = vec![k + 1; m];
    let mut rounds = 0usize;
    loop {
        let mut bad = Vec::new();
        for c in 0..m {
            let mask = &mut passive[c * words..(c + 1) * words];
            let (xc, yc) = (&x[c * k..(c + 1) * k], &y[c * k..(c + 1) * k]);
            let t = tol[c];
            let infeasible = |mask: &[u64], i: usize| {
                if bit(mask, i) {
                    xc[i] < -t
                } else {
                    yc[i] < -t
                }
            };
            let mut count = 0usize;
            let mut largest = None;
            for i in 0..k {
                if infeasible(mask, i) {
                    count += 1;
                    largest = Some(i);
                }
            }
            if count == 0 {
                continue;
            }
            let flip_all = count < ninf[c] || p_left[c] >= 1;
            if count < ninf[c] {
                p_left[c] = P_BAR;
                ninf[c] = count;
            } else if p_left[c] >= 1 {
                p_left[c] -= 1;
            }
            if flip_all {
                // Whether i flips depends on its own membership only, so deciding and
                // flipping index by index is the simultaneous exchange.
                for i in 0..k {
                    if infeasible(mask, i) {
                        mask[i / 64] ^= 1 << (i % 64);
                    }
                }
            } else if let Some(i) = largest {
                mask[i / 64] ^= 1 << (i % 64);
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
        data.solve_columns(&passive, &bad, &mut x, &mut y)?;
    }
    // Exact zeros on the active set, no rounding-level negatives on the passive set.
    Ok(Mat::from_fn(k, m, |i, c| {
        let v = x[c * k + i];
        if !bit(&passive[c * words..(c + 1) * words], i) || v < 0.0 {
            0.0
        } else {
            v
        }
    }))
}

fn bit(mask: &[u64], i: usize) -> bool {
    mask[i / 64] >> (i % 64) & 1 == 1
}

/// The problem data of one [`nnls_bpp`] call.
struct Data<'a> {
    g: MatRef<'a, f64>,
    r: MatRef<'a, f64>,
    /// G column-major, contiguous (`gcol[j·k + i] = G[i, j]`).
    gcol: Vec<f64>,
    words: usize,
}

impl<'a> Data<'a> {
    fn new(g: MatRef<'a, f64>, r: MatRef<'a, f64>, words: usize) -> Self {
        let k = g.nrows();
        let gcol = (0..k * k).map(|p| g[(p % k, p / k)]).collect();
        Self { g, r, gcol, words }
    }

    fn mask<'p>(&self, passive: &'p [u64], c: usize) -> &'p [u64] {
        &passive[c * self.words..(c + 1) * self.words]
    }

    /// For the columns `cols`: x[P] = G[P,P]⁻¹ r[P], x[¬P] = 0, y = G x − r with y[P] = 0.
    /// Columns that share a passive set share one Cholesky factorisation.
    fn solve_columns(
        &self,
        passive: &[u64],
        cols: &[usize],
        x: &mut [f64],
        y: &mut [f64],
    ) -> Result<()> {
        let k = self.g.nrows();
        let mut order = cols.to_vec();
        order.sort_unstable_by(|&a, &b| {
            self.mask(passive, a)
                .cmp(self.mask(passive, b))
                .then(a.cmp(&b))
        });
        let mut groups: Vec<&[usize]> = Vec::new();
        let mut start = 0;
        for i in 1..=order.len() {
            if i == order.len() || self.mask(passive, order[i]) != self.mask(passive, order[start])
            {
                groups.push(&order[start..i]);
                start = i;
            }
        }
        // Per group: x then y of each member, k values each.
        let solved: Vec<Result<Vec<f64>>> = groups
            .par_iter()
            .map(|members| self.solve_group(self.mask(passive, members[0]), members))
            .collect();
        for (members, group) in groups.iter().zip(solved) {
            let group = group?;
            for (b, &c) in members.iter().enumerate() {
                x[c * k..(c + 1) * k].copy_from_slice(&group[2 * k * b..2 * k * b + k]);
                y[c * k..(c + 1) * k].copy_from_slice(&group[2 * k * b + k..2 * k * (b + 1)]);
            }
        }
        Ok(())
    }

    fn solve_group(&self, set: &[u64], members: &[usize]) -> Result<Vec<f64>> {
        let (g, r, k) = (self.g, self.r, self.g.nrows());
        let idx: Vec<usize> = (0..k).filter(|&i| bit(set, i)).collect();
        let mut out = vec![0.0; 2 * k * members.len()];
        if !idx.is_empty() {
            let s = idx.len();
            let gpp = Mat::from_fn(s, s, |a, b| g[(idx[a], idx[b])]);
            let rhs = Mat::from_fn(s, members.len(), |a, b| r[(idx[a], members[b])]);
            let llt = gpp.llt(Side::Lower).map_err(|_| {
                SolverError::Numerical(
                    "NNLS: a principal submatrix of the Gram matrix is not positive definite (rank-deficient factor?)".into(),
                )
            })?;
            let sol = llt.solve(rhs.as_ref());
            for b in 0..members.len() {
                for (a, &i) in idx.iter().enumerate() {
                    out[2 * k * b + i] = sol[(a, b)];
                }
            }
        }
        for (b, &c) in members.iter().enumerate() {
            let (xc, yc) = out[2 * k * b..2 * k * (b + 1)].split_at_mut(k);
            for i in 0..k {
                if !bit(set, i) {
                    // x is zero off the passive set: only its entries can contribute.
                    let mut s = -r[(i, c)];
                    for &j in &idx {
                        let xj = xc[j];
                        if xj != 0.0 {
                            s += self.gcol[j * k + i] * xj;
                        }
                    }
                    yc[i] = s;
                }
            }
        }
        Ok(out)
    }
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
