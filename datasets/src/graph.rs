//! The similarity graph of SPEC §4 (Kuang, Yun, Park 2015), from a data matrix `Z` with one
//! sample per row:
//!
//! 1. squared Euclidean distances `D`;
//! 2. `kk = ⌊log₂ n⌋ + 1` neighbours define the edges; the local scale `σ_i` is the (not squared)
//!    distance from `i` to its 7th nearest other point;
//! 3. edge `(i, j)` if `j` is among the `kk` nearest others of `i` OR `i` among those of `j`,
//!    weight `A_ij = exp(−D_ij / (σ_i σ_j))`, no self-loops;
//! 4. normalised-cut scaling `X = D^{-1/2} A D^{-1/2}` (`d_i` = row sums of `A`), then
//!    `(X + Xᵀ)/2`.
//!
//! Ties in the neighbour order are broken by the smaller index, so the graph is deterministic.
//! Two guards the original code lacks, both documented here: a zero local scale (duplicate
//! points) is floored at `1e-12 · max σ`, and an isolated point (all weights underflow to 0)
//! keeps a zero row instead of dividing by zero.

use crate::error::{DataError, Result};
use crate::matrix::Dense;

/// Which neighbour of a point sets its local scale σ (the 7th, as in Kuang et al.).
pub const SCALE_NEIGHBOR: usize = 7;

/// Number of neighbours of the kNN rule: `⌊log₂ n⌋ + 1`.
pub fn neighbor_count(n: usize) -> usize {
    assert!(n > 0, "neighbor_count of an empty data set");
    (usize::BITS - 1 - n.leading_zeros()) as usize + 1
}

/// Squared Euclidean distances between the rows of `z` (`n × n`, `f64`).
fn squared_distances(z: &Dense) -> Vec<f64> {
    let n = z.nrows();
    let norms: Vec<f64> = (0..n)
        .map(|i| z.row(i).iter().map(|&v| (v as f64) * (v as f64)).sum())
        .collect();
    let mut d = vec![0.0f64; n * n];
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .min(n.max(1));
    // Each worker fills whole rows of the upper triangle; rows interleave for balance.
    let rows: Vec<(usize, Vec<f64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let norms = &norms;
                s.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| {
                            let zi = z.row(i);
                            let row: Vec<f64> = (i..n)
                                .map(|j| {
                                    let dot = dot_f32(zi, z.row(j));
                                    (norms[i] + norms[j] - 2.0 * dot).max(0.0)
                                })
                                .collect();
                            (i, row)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("distance worker panicked"))
            .collect()
    });
    for (i, row) in rows {
        for (k, v) in row.into_iter().enumerate() {
            let j = i + k;
            let v = if i == j { 0.0 } else { v };
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
    }
    d
}

/// Dot product with eight independent `f64` accumulators (vectorises well).
fn dot_f32(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        for l in 0..8 {
            let k = c * 8 + l;
            acc[l] += a[k] as f64 * b[k] as f64;
        }
    }
    let mut s: f64 = acc.iter().sum();
    for k in chunks * 8..a.len() {
        s += a[k] as f64 * b[k] as f64;
    }
    s
}

/// Builds the ncut-normalised self-tuning kNN similarity matrix of SPEC §4 from features `z`
/// (one sample per row). Needs at least `SCALE_NEIGHBOR + 1` samples.
pub fn knn_similarity(z: &Dense) -> Result<Dense> {
    let n = z.nrows();
    if n == 0 || z.ncols() == 0 {
        return Err(DataError::Empty {
            what: "feature matrix".into(),
        });
    }
    z.check_finite("feature matrix")?;
    if n <= SCALE_NEIGHBOR {
        return Err(DataError::Shape {
            what: "feature matrix".into(),
            expected: format!(
                "more than {SCALE_NEIGHBOR} samples (σ is the distance to the 7th neighbour)"
            ),
            found: format!("{n} samples"),
        });
    }
    let kk = neighbor_count(n).min(n - 1);
    let d = squared_distances(z);

    // Neighbour order of every point (others only), nearest first; ties by index.
    let mut knn = vec![0usize; n * kk];
    let mut sigma = vec![0.0f64; n];
    let need = kk.max(SCALE_NEIGHBOR);
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for i in 0..n {
        let di = &d[i * n..(i + 1) * n];
        order.clear();
        order.extend((0..n).filter(|&j| j != i));
        let cmp = |a: &usize, b: &usize| di[*a].total_cmp(&di[*b]).then(a.cmp(b));
        order.select_nth_unstable_by(need - 1, cmp);
        order[..need].sort_unstable_by(cmp);
        knn[i * kk..(i + 1) * kk].copy_from_slice(&order[..kk]);
        sigma[i] = di[order[SCALE_NEIGHBOR - 1]].sqrt();
    }
    let smax = sigma.iter().cloned().fold(0.0, f64::max);
    if smax == 0.0 {
        return Err(DataError::Param {
            name: "features",
            msg: "every sample has at least 7 identical copies: the local scales are all zero"
                .into(),
        });
    }
    for s in &mut sigma {
        *s = s.max(1e-12 * smax);
    }

    // OR-symmetrised kNN edges with self-tuning Gaussian weights.
    let mut a = vec![0.0f64; n * n];
    for i in 0..n {
        for &j in &knn[i * kk..(i + 1) * kk] {
            let w = (-d[i * n + j] / (sigma[i] * sigma[j])).exp();
            a[i * n + j] = w;
            a[j * n + i] = w;
        }
    }
    // Normalised cut: X = D^{-1/2} A D^{-1/2}; the result is symmetric by construction.
    let inv_sqrt: Vec<f64> = (0..n)
        .map(|i| {
            let deg: f64 = a[i * n..(i + 1) * n].iter().sum();
            if deg > 0.0 {
                1.0 / deg.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let data = (0..n * n)
        .map(|k| (a[k] * inv_sqrt[k / n] * inv_sqrt[k % n]) as f32)
        .collect();
    Dense::new(n, n, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbour_count_is_floor_log2_plus_one() {
        assert_eq!(neighbor_count(1), 1);
        assert_eq!(neighbor_count(400), 9);
        assert_eq!(neighbor_count(1440), 11);
        assert_eq!(neighbor_count(3147), 12);
        assert_eq!(neighbor_count(9394), 14);
    }

    #[test]
    fn graph_is_symmetric_nonnegative_without_self_loops() {
        // 20 points on a line: every point's neighbours are its closest indices.
        let z = Dense::new(20, 1, (0..20).map(|i| (i * i) as f32 * 0.1).collect()).unwrap();
        let x = knn_similarity(&z).unwrap();
        for i in 0..20 {
            assert_eq!(x.get(i, i), 0.0);
            for j in 0..20 {
                assert_eq!(x.get(i, j), x.get(j, i));
                assert!(x.get(i, j) >= 0.0);
            }
        }
        // kk = 5: each row has at least 5 edges.
        for i in 0..20 {
            assert!((0..20).filter(|&j| x.get(i, j) > 0.0).count() >= 5);
        }
    }

    #[test]
    fn too_few_points_is_an_error() {
        let z = Dense::new(5, 2, vec![0.0; 10]).unwrap();
        assert!(knn_similarity(&z).is_err());
    }
}
