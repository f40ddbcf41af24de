//! Clustering metrics of SPEC §4: the one implementation every caller uses.
//!
//! * [`accuracy`]: best one-to-one map of clusters to classes (Hungarian method), matched / n.
//! * [`nmi`]: mutual information normalised by `max(H(true), H(pred))` by default (Zhu et al.'s
//!   evaluation code); [`Normalization`] offers sqrt, arithmetic and min.
//! * [`purity`]: Σ over clusters of the largest class count, / n.
//! * [`relative_error`]: `‖X − UUᵀ‖² / ‖X‖²` (squared), computed in the direct form;
//!   [`relative_error_sparse`] the same for a sparse X in O(nnz·r + n·r²), never forming UUᵀ.
//! * [`sparse_factor`]: `#{|u| > T} / #{u}` with `T = 0.01·mean(U)` (paper §4.1).
//!
//! Labels are any `usize` values; they are compacted internally, so classes and clusters need
//! not be numbered `0..k`, and the number of clusters may differ from the number of classes.

use crate::error::{DataError, Result};
use crate::matrix::Dense;
use crate::sparse::Csr;
use pathfinding::prelude::{kuhn_munkres, Matrix};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How NMI divides the mutual information.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// `max(H(T), H(P))` — the default, as in Zhu et al.'s evaluation code.
    #[default]
    Max,
    /// `sqrt(H(T)·H(P))`.
    Sqrt,
    /// `(H(T) + H(P)) / 2` (scikit-learn's default).
    Arithmetic,
    /// `min(H(T), H(P))`.
    Min,
}

/// Contingency table `counts[class][cluster]` of two labelings of the same points.
struct Contingency {
    counts: Vec<Vec<u64>>,
    n: u64,
}

fn compact(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut map = HashMap::new();
    let ids = labels
        .iter()
        .map(|l| {
            let next = map.len();
            *map.entry(*l).or_insert(next)
        })
        .collect();
    (ids, map.len())
}

fn contingency(truth: &[usize], pred: &[usize]) -> Result<Contingency> {
    if truth.len() != pred.len() {
        return Err(DataError::Shape {
            what: "predicted labels".into(),
            expected: format!("{} labels (one per point)", truth.len()),
            found: format!("{} labels", pred.len()),
        });
    }
    if truth.is_empty() {
        return Err(DataError::Empty {
            what: "label vector".into(),
        });
    }
    let (t, kt) = compact(truth);
    let (p, kp) = compact(pred);
    let mut counts = vec![vec![0u64; kp]; kt];
    for (a, b) in t.iter().zip(&p) {
        counts[*a][*b] += 1;
    }
    Ok(Contingency {
        counts,
        n: truth.len() as u64,
    })
}

/// Clustering accuracy: the fraction of points whose cluster maps to their class under the best
/// one-to-one map (Hungarian method; clusters without a partner count as wrong).
pub fn accuracy(truth: &[usize], pred: &[usize]) -> Result<f64> {
    let c = contingency(truth, pred)?;
    let kt = c.counts.len();
    let kp = c.counts[0].len();
    let k = kt.max(kp);
    // Square weight matrix padded with zeros; maximise the matched count.
    let mut w = Matrix::new(k, k, 0i64);
    for (i, row) in c.counts.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            w[(i, j)] = v as i64;
        }
    }
    let (matched, _) = kuhn_munkres(&w);
    Ok(matched as f64 / c.n as f64)
}

/// Purity: Σ over clusters of the size of its largest class, / n.
pub fn purity(truth: &[usize], pred: &[usize]) -> Result<f64> {
    let c = contingency(truth, pred)?;
    let kp = c.counts[0].len();
    let total: u64 = (0..kp)
        .map(|j| c.counts.iter().map(|row| row[j]).max().unwrap_or(0))
        .sum();
    Ok(total as f64 / c.n as f64)
}

/// Normalised mutual information (natural logarithms; the ratio does not depend on the base).
///
/// Conventions for degenerate labelings: two single-cluster labelings give 1; if exactly one of
/// them has a single cluster (zero entropy) the NMI is 0.
pub fn nmi(truth: &[usize], pred: &[usize], norm: Normalization) -> Result<f64> {
    let c = contingency(truth, pred)?;
    let n = c.n as f64;
    let rows: Vec<f64> = c
        .counts
        .iter()
        .map(|r| r.iter().sum::<u64>() as f64)
        .collect();
    let kp = c.counts[0].len();
    let cols: Vec<f64> = (0..kp)
        .map(|j| c.counts.iter().map(|r| r[j]).sum::<u64>() as f64)
        .collect();
    let entropy = |v: &[f64]| -> f64 {
        v.iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| {
                let p = x / n;
                -p * p.ln()
            })
            .sum()
    };
    let (ht, hp) = (entropy(&rows), entropy(&cols));
    let mut mi = 0.0;
    for (i, row) in c.counts.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if v > 0 {
                let v = v as f64;
                mi += (v / n) * ((v * n) / (rows[i] * cols[j])).ln();
            }
        }
    }
    if ht == 0.0 && hp == 0.0 {
        return Ok(1.0);
    }
    if ht == 0.0 || hp == 0.0 {
        return Ok(0.0);
    }
    let denom = match norm {
        Normalization::Max => ht.max(hp),
        Normalization::Min => ht.min(hp),
        Normalization::Sqrt => (ht * hp).sqrt(),
        Normalization::Arithmetic => 0.5 * (ht + hp),
    };
    Ok((mi / denom).clamp(0.0, 1.0))
}

/// Number of distinct labels.
pub fn class_count(labels: &[usize]) -> usize {
    let mut v = labels.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Cluster label of each row of the `n × r` factor `U`: `argmax_c U[j, c]` (the first maximum on
/// ties; an all-zero row gets cluster 0 and is counted by [`zero_rows`]).
pub fn argmax_labels(u: &Dense) -> Vec<usize> {
    (0..u.nrows())
        .map(|i| {
            let row = u.row(i);
            let mut best = 0;
            for (c, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = c;
                }
            }
            best
        })
        .collect()
}

/// Number of all-zero rows of `U` (points that belong to no cluster).
pub fn zero_rows(u: &Dense) -> usize {
    (0..u.nrows())
        .filter(|&i| u.row(i).iter().all(|&v| v == 0.0))
        .count()
}

/// Sparse factor of paper §4.1: `#{ |u| > T } / #{u}` with `T = 0.01·mean(U)`; lower is sparser.
pub fn sparse_factor(u: &Dense) -> f64 {
    let len = u.data().len();
    if len == 0 {
        return 0.0;
    }
    let t = 0.01 * u.mean();
    u.data().iter().filter(|&&v| (v as f64).abs() > t).count() as f64 / len as f64
}

/// `n` when X (`rows` × `cols`) is square and U has its n rows; a shape error otherwise.
fn check_factor(rows: usize, cols: usize, u: &Dense) -> Result<usize> {
    if cols != rows || u.nrows() != rows {
        return Err(DataError::Shape {
            what: "factor U".into(),
            expected: format!("{rows} rows to match X ({rows}×{cols})"),
            found: format!("{}×{}", u.nrows(), u.ncols()),
        });
    }
    Ok(rows)
}

/// Relative error `‖X − UUᵀ‖² / ‖X‖²` (squared) of a symmetric factorisation.
///
/// Computed in the direct form, entry by entry in `f64` (no cancellation when the error is
/// tiny), using the symmetry of `X − UUᵀ` to visit only `j ≥ i`; cost `n²r/2`, split over the
/// available threads.
pub fn relative_error(x: &Dense, u: &Dense) -> Result<f64> {
    let n = check_factor(x.nrows(), x.ncols(), u)?;
    let xn2: f64 = x.frobenius_norm().powi(2);
    if xn2 == 0.0 {
        return Err(DataError::Empty {
            what: "X (all entries are zero)".into(),
        });
    }
    let r = u.ncols();
    let ud: Vec<f64> = u.data().iter().map(|&v| v as f64).collect();
    let row_err = |i: usize| -> f64 {
        let ui = &ud[i * r..(i + 1) * r];
        let mut s = 0.0;
        for j in i..n {
            let uj = &ud[j * r..(j + 1) * r];
            let dot: f64 = ui.iter().zip(uj).map(|(a, b)| a * b).sum();
            let e = x.get(i, j) as f64 - dot;
            s += if j == i { e * e } else { 2.0 * e * e };
        }
        s
    };
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .min(n.max(1));
    // One interleaved share of the rows per thread (it balances the triangular work), the
    // shares summed in order: the same sum for a given thread count, whoever runs a share.
    use rayon::prelude::*;
    let shares: Vec<f64> = (0..threads)
        .into_par_iter()
        .map(|t| (t..n).step_by(threads).map(&row_err).sum::<f64>())
        .collect();
    let err2: f64 = shares.into_iter().sum();
    Ok(err2 / xn2)
}

/// `‖X − UUᵀ‖² / ‖X‖²` for a sparse X, in f64 as `‖X‖² − 2 Σ_{(i,j) stored} x_ij u_i·u_j +
/// ‖UᵀU‖²`: O(nnz·r + n·r²) work and O(r²) memory beyond U, so it serves graphs whose n×n
/// residual could never be held. The three terms nearly cancel only when the error is tiny
/// against ‖X‖² (relative rounding ≈ 1e-16·‖UᵀU‖²/‖X − UUᵀ‖²), never the case on graphs.
pub fn relative_error_sparse(x: &Csr, u: &Dense) -> Result<f64> {
    let n = check_factor(x.nrows(), x.ncols(), u)?;
    let xn2: f64 = x.values().iter().map(|&v| (v as f64).powi(2)).sum();
    if xn2 == 0.0 {
        return Err(DataError::Empty {
            what: "X (all entries are zero)".into(),
        });
    }
    let r = u.ncols();
    let ud = u.data();
    let mut cross = 0.0f64;
    let mut gram = vec![0.0f64; r * r];
    for i in 0..n {
        let ui = &ud[i * r..(i + 1) * r];
        let (cols, vals) = x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            let uj = &ud[j * r..(j + 1) * r];
            let dot: f64 = ui.iter().zip(uj).map(|(&a, &b)| a as f64 * b as f64).sum();
            cross += v as f64 * dot;
        }
        for a in 0..r {
            let ua = ui[a] as f64;
            for b in 0..r {
                gram[a * r + b] += ua * ui[b] as f64;
            }
        }
    }
    let gram2: f64 = gram.iter().map(|g| g * g).sum();
    Ok(((xn2 - 2.0 * cross + gram2) / xn2).max(0.0))
}

/// All label-based scores of one clustering, as reported by every caller.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelScores {
    pub acc: f64,
    pub nmi: f64,
    pub purity: f64,
}

/// ACC, NMI (max normalisation) and purity at once.
pub fn label_scores(truth: &[usize], pred: &[usize]) -> Result<LabelScores> {
    Ok(LabelScores {
        acc: accuracy(truth, pred)?,
        nmi: nmi(truth, pred, Normalization::Max)?,
        purity: purity(truth, pred)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vector of SPEC §4. The NMI values were computed there by the spec's authors;
    // `arithmetic` equals scikit-learn's normalized_mutual_info_score default.
    const TRUTH: [usize; 12] = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
    const PRED: [usize; 12] = [2, 2, 2, 1, 1, 1, 3, 3, 3, 3, 3, 3];

    #[test]
    fn spec_test_vector() {
        assert!((accuracy(&TRUTH, &PRED).unwrap() - 0.75).abs() < 1e-12);
        assert!((purity(&TRUTH, &PRED).unwrap() - 0.75).abs() < 1e-12);
        let cases = [
            (Normalization::Max, 0.565465),
            (Normalization::Arithmetic, 0.581038),
            (Normalization::Sqrt, 0.581259),
            (Normalization::Min, 0.597494),
        ];
        for (norm, want) in cases {
            let got = nmi(&TRUTH, &PRED, norm).unwrap();
            // The spec gives 6 decimals.
            assert!((got - want).abs() < 5e-7, "{norm:?}: {got} vs {want}");
        }
    }

    #[test]
    fn permuted_labels_score_one() {
        let pred: Vec<usize> = TRUTH.iter().map(|l| 10 - l).collect();
        let s = label_scores(&TRUTH, &pred).unwrap();
        assert_eq!((s.acc, s.purity), (1.0, 1.0));
        assert!((s.nmi - 1.0).abs() < 1e-12);
    }

    #[test]
    fn more_clusters_than_classes() {
        // Every point its own cluster: purity 1, ACC = (#classes)/n.
        let pred: Vec<usize> = (0..12).collect();
        assert!((purity(&TRUTH, &pred).unwrap() - 1.0).abs() < 1e-12);
        assert!((accuracy(&TRUTH, &pred).unwrap() - 3.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn length_mismatch_and_empty_are_errors() {
        assert!(accuracy(&TRUTH, &PRED[..5]).is_err());
        assert!(nmi(&[], &[], Normalization::Max).is_err());
    }

    #[test]
    fn relative_error_matches_hand_computation() {
        // X = [[2,1],[1,2]], U = [[1],[1]]: X − UUᵀ = [[1,0],[0,1]], ‖·‖² = 2, ‖X‖² = 10.
        let x = Dense::new(2, 2, vec![2.0, 1.0, 1.0, 2.0]).unwrap();
        let u = Dense::new(2, 1, vec![1.0, 1.0]).unwrap();
        assert!((relative_error(&x, &u).unwrap() - 0.2).abs() < 1e-12);
        // Exact factorisation: 0, with no cancellation.
        let v = Dense::new(2, 1, vec![1e-4, 2e-4]).unwrap();
        let y = Dense::new(2, 2, vec![1e-8, 2e-8, 2e-8, 4e-8]).unwrap();
        assert!(relative_error(&y, &v).unwrap() < 1e-12);
    }

    #[test]
    fn sparse_relative_error_is_the_dense_one() {
        // A random symmetric sparse X (about 10 % stored, some repeated weights) and U ≥ 0.
        let n = 60;
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut rows: Vec<Vec<(usize, f32)>> = vec![Vec::new(); n];
        for i in 0..n {
            for j in i..n {
                if next() < 0.1 {
                    let v = (next() * 3.0) as f32;
                    rows[i].push((j, v));
                    if j != i {
                        rows[j].push((i, v));
                    }
                }
            }
        }
        rows.iter_mut().for_each(|r| r.sort_by_key(|e| e.0));
        let x = Csr::from_rows(n, rows).unwrap();
        let u = Dense::new(n, 4, (0..n * 4).map(|_| next() as f32).collect()).unwrap();
        let dense = relative_error(&x.to_dense(), &u).unwrap();
        let sparse = relative_error_sparse(&x, &u).unwrap();
        assert!(
            (dense - sparse).abs() < 1e-12 * dense.max(1.0),
            "{dense} vs {sparse}"
        );
        assert!(relative_error_sparse(&x, &Dense::zeros(n - 1, 4)).is_err());
    }

    #[test]
    fn sparse_factor_and_labels() {
        let u = Dense::new(3, 2, vec![1.0, 0.0, 0.0, 2.0, 0.0, 0.0]).unwrap();
        assert!((sparse_factor(&u) - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(argmax_labels(&u), vec![0, 1, 0]);
        assert_eq!(zero_rows(&u), 1);
    }
}
