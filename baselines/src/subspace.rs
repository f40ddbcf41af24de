//! Rank-k references for the error ε of GAN-UNET's paper (eq. 4: the mean over a group's
//! columns of `‖Ŷ_j − Y_j‖₂`): no sign constraint, so no NMF can do better than the best of
//! them. [`epsilon_subspace`] with no reweighting step is the truncated SVD (the least
//! *squared* error, Eckart–Young); with steps, the subspace fitted to ε itself.

use crate::error::{Result, SolverError};
use faer::{Mat, MatRef};

/// Rank-k subspace (orthonormal columns, pixels × k') that minimises the sum of the columns'
/// distances to it, `Σ_j ‖Y_j − P Y_j‖₂` (ε times m), by iteratively reweighted least squares:
/// each step takes the top-k left singular vectors of `Y · diag(1/‖r_j‖)^{1/2}`, the exact
/// minimiser of the reweighted squared distances, so the sum never rises (a majorise-minimise
/// step; R1-PCA). The steps work on the m × m Gram matrix (O(m³) each); the basis of the best
/// weights is then taken from a thin SVD of the weighted group itself, which keeps it
/// orthonormal to machine precision. Starts from the SVD's subspace (unit weights); returns
/// the basis (k' = min(k, rank Y) columns); with `iters = 0` that is the truncated SVD's.
pub fn epsilon_subspace(y: MatRef<'_, f64>, k: usize, iters: usize) -> Result<Mat<f64>> {
    let m = y.ncols();
    let gram = y.transpose() * y;
    let scale = (0..m).map(|j| gram[(j, j)]).fold(0.0f64, f64::max).sqrt();
    if scale == 0.0 || k == 0 {
        return Ok(Mat::zeros(y.nrows(), 0));
    }
    let floor = 1e-12 * scale;
    let mut weights = vec![1.0f64; m];
    let mut best = (f64::INFINITY, weights.clone());
    for _ in 0..=iters {
        // Distances to the top-k eigenspace of W^½ G W^½ (= the weighted SVD's subspace).
        let root: Vec<f64> = weights.iter().map(|w| w.sqrt()).collect();
        let mw = Mat::from_fn(m, m, |i, j| root[i] * gram[(i, j)] * root[j]);
        let Ok(svd) = mw.thin_svd() else { break };
        let lam = svd.S().column_vector();
        let kk = (0..k.min(m))
            .take_while(|&l| lam[l] > 1e-12 * lam[0])
            .count();
        let v = svd.U();
        let dist: Vec<f64> = (0..m)
            .map(|j| {
                // Coefficient l of column j: (Λ^{-½} Vᵀ W^½ G)[l, j].
                let proj: f64 = (0..kk)
                    .map(|l| {
                        let c: f64 = (0..m).map(|i| v[(i, l)] * root[i] * gram[(i, j)]).sum();
                        c * c / lam[l]
                    })
                    .sum();
                (gram[(j, j)] - proj).max(0.0).sqrt()
            })
            .collect();
        let total: f64 = dist.iter().sum();
        if total >= best.0 * (1.0 - 1e-13) {
            break;
        }
        best = (total, weights);
        weights = dist.iter().map(|d| 1.0 / d.max(floor)).collect();
    }
    let weighted = Mat::from_fn(y.nrows(), m, |p, j| y[(p, j)] * best.1[j].sqrt());
    let svd = weighted
        .thin_svd()
        .map_err(|e| SolverError::Numerical(format!("SVD of a group failed: {e:?}")))?;
    let s = svd.S().column_vector();
    let kk = (0..k.min(m).min(y.nrows()))
        .take_while(|&l| s[l] > 1e-9 * s[0])
        .count();
    Ok(svd.U().subcols(0, kk).to_owned())
}

/// ε of paper eq. 4 for one group: mean over columns of `‖Ŷ_j − Y_j‖₂`.
pub fn group_epsilon(y: MatRef<'_, f64>, h: MatRef<'_, f64>, w: MatRef<'_, f64>) -> f64 {
    let y_hat = h * w;
    let m = y.ncols();
    (0..m)
        .map(|j| {
            (0..y.nrows())
                .map(|p| (y_hat[(p, j)] - y[(p, j)]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .sum::<f64>()
        / m as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truncated_svd_epsilon(y: MatRef<'_, f64>, k: usize) -> f64 {
        let svd = y.thin_svd().unwrap();
        let u = svd.U().subcols(0, k);
        let coef = u.transpose() * y;
        group_epsilon(y, u, coef.as_ref())
    }

    fn subspace_epsilon(y: MatRef<'_, f64>, k: usize) -> (f64, Mat<f64>) {
        let u = epsilon_subspace(y, k, 200).unwrap();
        let coef = u.transpose() * y;
        (group_epsilon(y, u.as_ref(), coef.as_ref()), u)
    }

    #[test]
    fn epsilon_subspace_never_loses_to_the_svd_and_is_orthonormal() {
        // Nonnegative pseudo-random groups (an LCG), like images.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for &(p, m, k) in &[(50, 20, 3), (30, 12, 5), (64, 40, 10)] {
            let y = Mat::from_fn(p, m, |_, _| next().powi(3));
            let svd_eps = truncated_svd_epsilon(y.as_ref(), k);
            let (eps, u) = subspace_epsilon(y.as_ref(), k);
            assert_eq!(u.ncols(), k);
            // No reweighting step: the truncated SVD itself.
            let u0 = epsilon_subspace(y.as_ref(), k, 0).unwrap();
            let eps0 = group_epsilon(y.as_ref(), u0.as_ref(), (u0.transpose() * &y).as_ref());
            assert!(
                (eps0 - svd_eps).abs() < 1e-9 * svd_eps,
                "{eps0} vs SVD {svd_eps}"
            );
            assert!(eps <= svd_eps * (1.0 + 1e-12), "{eps} > SVD {svd_eps}");
            let gram = u.transpose() * &u;
            for i in 0..k {
                for j in 0..k {
                    let want = if i == j { 1.0 } else { 0.0 };
                    let got = gram[(i, j)];
                    assert!((got - want).abs() < 1e-10, "UᵀU[{i},{j}] = {got}");
                }
            }
        }
    }

    #[test]
    fn epsilon_subspace_ignores_an_outlier_that_tilts_the_svd() {
        // Eleven columns in the plane of e1 and e2, one outlier 2 away from it along e3: the
        // plane itself gives Σ‖r_j‖ = 2 (only the outlier misses), ε = 2/12. The SVD tilts the
        // plane towards the outlier (it minimises squares) and pays on every inlier.
        let (p, m) = (20, 12);
        let mut y = Mat::<f64>::zeros(p, m);
        for j in 0..m - 1 {
            let t = j as f64 * 0.5;
            y[(0, j)] = 1.0 + t.cos();
            y[(1, j)] = 1.0 + t.sin();
        }
        y[(0, m - 1)] = 3.0;
        y[(2, m - 1)] = 2.0;
        let planted = 2.0 / m as f64;
        let svd_eps = truncated_svd_epsilon(y.as_ref(), 2);
        let (eps, _) = subspace_epsilon(y.as_ref(), 2);
        assert!(
            svd_eps > planted * 1.05,
            "SVD ε {svd_eps} vs planted {planted}"
        );
        // IRLS converges sublinearly when residuals go to zero: 1e-4 relative after 200 steps.
        assert!(
            (eps - planted).abs() < 1e-4 * planted,
            "ε {eps} vs planted {planted}"
        );
    }

    #[test]
    fn epsilon_subspace_of_a_low_rank_group_is_exact() {
        // Rank 2 < k = 4: the basis has 2 columns and reconstructs exactly.
        let y = Mat::from_fn(15, 8, |p, j| {
            (p as f64 + 1.0) * (j % 3) as f64 + (j as f64) * 0.1
        });
        let (eps, u) = subspace_epsilon(y.as_ref(), 4);
        assert_eq!(u.ncols(), 2);
        assert!(eps < 1e-6, "{eps}");
        let zero = Mat::<f64>::zeros(6, 5);
        assert_eq!(epsilon_subspace(zero.as_ref(), 3, 10).unwrap().ncols(), 0);
    }
}
