//! The similarity graphs of SPEC §4 (Kuang, Yun, Park 2015).
//!
//! **Images / feature vectors** ([`knn_similarity`]), from a data matrix `Z` with one sample per
//! row:
//! 1. squared Euclidean distances `D_ij = ‖z_i‖² + ‖z_j‖² − 2 z_i·z_j` (clamped at 0);
//! 2. `kk = ⌊log₂ n⌋ + 1` neighbours define the edges; the local scale `σ_i` is the (not
//!    squared) distance from `i` to its 7th nearest other point;
//! 3. edge `(i, j)` if `j` is among the `kk` nearest others of `i` OR `i` among those of `j`,
//!    weight `A_ij = exp(−D_ij / (σ_i σ_j))`, no self-loops;
//! 4. normalised-cut scaling `X = D^{-1/2} A D^{-1/2}` (`d_i` = row sums of `A`); the result is
//!    symmetric by construction, so the final `(X + Xᵀ)/2` of the spec changes nothing.
//!
//! **Text** ([`cosine_knn_similarity`]): rows tf-idf weighted and L2-normalised (see
//! [`tfidf`]); neighbours by largest cosine similarity with the same kNN OR rule; weight
//! `A_ij = cos(i, j)`; then step 4.
//!
//! **kNN connectivity with self-loops** ([`knn_self_similarity`], [`cosine_knn_self_similarity`]):
//! binary `C` (each point and its `k` nearest others), `(C + Cᵀ)/2`, then step 4: the graph
//! that reaches the SymNMF-Net paper's Table 1 relative errors (`--graph knn-self:k`).
//!
//! Each graph has a sparse route (CSR, memory O(n·kk), the one the CLI uses) and, for the
//! Euclidean graph, a dense reference route ([`knn_similarity_dense`], O(n²) memory) written
//! separately; tests check that both give the same matrix. Ties in the neighbour order are
//! broken by the smaller index, so graphs are deterministic. Two guards the original code
//! lacks: a zero local scale (duplicate points) is floored at `1e-12 · max σ`, and a point
//! whose weights all underflow keeps a zero row instead of dividing by zero.

pub mod sbm;
pub mod scale;

use crate::error::{DataError, Result};
use crate::matrix::Dense;
use crate::neighbours::{nearest, Distances, KnnSearch};
use crate::progress::{no_progress, Progress};
use crate::sparse::Csr;

/// Which neighbour of a point sets its local scale σ (the 7th, as in Kuang et al.).
pub const SCALE_NEIGHBOR: usize = 7;

/// Number of neighbours of the kNN rule: `⌊log₂ n⌋ + 1`.
pub fn neighbor_count(n: usize) -> usize {
    assert!(n > 0, "neighbor_count of an empty data set");
    (usize::BITS - 1 - n.leading_zeros()) as usize + 1
}

/// Runs `f(i)` for every row `i < n` on rayon's threads, results in row order.
pub(crate) fn par_rows<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(&f).collect()
}

fn check_features(z: &Dense, what: &str) -> Result<()> {
    if z.nrows() == 0 || z.ncols() == 0 {
        return Err(DataError::Empty { what: what.into() });
    }
    z.check_finite(what)?;
    if z.nrows() <= SCALE_NEIGHBOR {
        return Err(DataError::Shape {
            what: what.into(),
            expected: format!(
                "more than {SCALE_NEIGHBOR} samples (σ is the distance to the 7th neighbour)"
            ),
            found: format!("{} samples", z.nrows()),
        });
    }
    Ok(())
}

fn floor_scales(sigma: &mut [f64]) -> Result<()> {
    let smax = sigma.iter().cloned().fold(0.0, f64::max);
    if smax == 0.0 {
        return Err(DataError::Param {
            name: "features",
            msg: "every sample has at least 7 identical copies: the local scales are all zero"
                .into(),
        });
    }
    for s in sigma.iter_mut() {
        *s = s.max(1e-12 * smax);
    }
    Ok(())
}

/// OR-symmetrised edges → CSR with the ncut scaling of step 4.
fn ncut_from_edges(
    n: usize,
    knn: &[Vec<usize>],
    weight: impl Fn(usize, usize) -> f64,
) -> Result<Csr> {
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, list) in knn.iter().enumerate() {
        for &j in list {
            rows[i].push(j);
            rows[j].push(i);
        }
    }
    let mut weighted: Vec<Vec<(usize, f64)>> = Vec::with_capacity(n);
    for (i, mut cols) in rows.into_iter().enumerate() {
        cols.sort_unstable();
        cols.dedup();
        weighted.push(cols.into_iter().map(|j| (j, weight(i, j))).collect());
    }
    ncut_scaled(n, weighted)
}

/// Step 4 on weighted rows: `X = D^{-1/2} A D^{-1/2}` with `d_i` the row sums (a zero row stays
/// zero).
fn ncut_scaled(n: usize, weighted: Vec<Vec<(usize, f64)>>) -> Result<Csr> {
    let inv_sqrt: Vec<f64> = weighted
        .iter()
        .map(|r| {
            let deg: f64 = r.iter().map(|&(_, w)| w).sum();
            if deg > 0.0 {
                1.0 / deg.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let rows = weighted
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.into_iter()
                .map(|(j, w)| (j, (w * inv_sqrt[i] * inv_sqrt[j]) as f32))
                .collect()
        })
        .collect();
    Csr::from_rows(n, rows)
}

/// The Euclidean kNN graph of SPEC §4 as a sparse matrix (memory O(n·kk)).
pub fn knn_similarity(z: &Dense) -> Result<Csr> {
    knn_similarity_with(z, &no_progress)
}

/// [`knn_similarity`], reporting the neighbour search's progress (rows done, rows in all).
/// The neighbours come from the blocked exact search of [`crate::neighbours::exact`].
pub fn knn_similarity_with(z: &Dense, progress: Progress) -> Result<Csr> {
    knn_similarity_search(z, KnnSearch::Exact, progress)
}

/// [`knn_similarity_with`] with the neighbour lists found by `search` (the exact search, or
/// the approximate one for large n: a missed neighbour changes its edge, and the scale σ when
/// it is the 7th).
pub fn knn_similarity_search(z: &Dense, search: KnnSearch, progress: Progress) -> Result<Csr> {
    check_features(z, "feature matrix")?;
    let n = z.nrows();
    let kk = neighbor_count(n).min(n - 1);
    let need = kk.max(SCALE_NEIGHBOR);
    let dist = Distances::new(z);
    let lists = search.lists(z, need, progress);
    let mut sigma: Vec<f64> = lists
        .iter()
        .map(|l| l[SCALE_NEIGHBOR - 1].1.sqrt())
        .collect();
    floor_scales(&mut sigma)?;
    let knn: Vec<Vec<usize>> = lists
        .iter()
        .map(|l| l[..kk].iter().map(|&(j, _)| j).collect())
        .collect();
    ncut_from_edges(n, &knn, |i, j| {
        (-dist.get(i, j) / (sigma[i] * sigma[j])).exp()
    })
}

/// The same graph by the dense route: the full n×n distance matrix first (O(n²) memory).
/// Kept as an independent reference for [`knn_similarity`].
pub fn knn_similarity_dense(z: &Dense) -> Result<Dense> {
    check_features(z, "feature matrix")?;
    let n = z.nrows();
    let kk = neighbor_count(n).min(n - 1);
    let dist = Distances::new(z);
    let d: Vec<f64> = (0..n * n).map(|k| dist.get(k / n, k % n)).collect();
    let need = kk.max(SCALE_NEIGHBOR);
    let mut sigma = vec![0.0f64; n];
    let mut is_nn = vec![false; n * n];
    for i in 0..n {
        let row = &d[i * n..(i + 1) * n];
        let mut order: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        order.sort_by(|a, b| row[*a].total_cmp(&row[*b]).then(a.cmp(b)));
        sigma[i] = row[order[SCALE_NEIGHBOR - 1]].sqrt();
        for &j in &order[..kk] {
            is_nn[i * n + j] = true;
        }
        debug_assert!(need <= order.len());
    }
    floor_scales(&mut sigma)?;
    let mut a = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            if is_nn[i * n + j] || is_nn[j * n + i] {
                a[i * n + j] = (-d[i * n + j] / (sigma[i] * sigma[j])).exp();
            }
        }
    }
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

/// tf-idf weighting of a document-term count matrix (documents as rows), rows L2-normalised:
/// `w_dt = tf_dt · ln(N / df_t)` with `tf` the raw count and `df_t` the number of documents
/// containing term t (terms in every document get weight 0). A document left with no weight
/// keeps an empty row.
pub fn tfidf(counts: &Csr) -> Csr {
    let n = counts.nrows() as f64;
    let mut df = vec![0usize; counts.ncols()];
    for &c in counts.indices() {
        df[c] += 1;
    }
    let idf: Vec<f64> = df
        .iter()
        .map(|&d| if d > 0 { (n / d as f64).ln() } else { 0.0 })
        .collect();
    let mut out = counts.clone();
    let indptr = out.indptr().to_vec();
    let indices = out.indices().to_vec();
    let vals = out.values_mut();
    for i in 0..indptr.len() - 1 {
        let r = indptr[i]..indptr[i + 1];
        let mut norm2 = 0.0f64;
        for k in r.clone() {
            let w = vals[k] as f64 * idf[indices[k]];
            vals[k] = w as f32;
            norm2 += w * w;
        }
        let inv = if norm2 > 0.0 { 1.0 / norm2.sqrt() } else { 0.0 };
        for k in r {
            vals[k] = (vals[k] as f64 * inv) as f32;
        }
    }
    out
}

/// The `k` most cosine-similar other documents of each document (ties by index).
fn cosine_lists(docs: &Csr, k: usize) -> Vec<Vec<usize>> {
    let n = docs.nrows();
    let postings = docs.transpose();
    par_rows(n, |i| {
        // Cosine similarities of i with every document, through the inverted index.
        let mut sim = vec![0.0f64; n];
        let (terms, w) = docs.row(i);
        for (&t, &wi) in terms.iter().zip(w) {
            let (ds, wd) = postings.row(t);
            for (&j, &wj) in ds.iter().zip(wd) {
                sim[j] += wi as f64 * wj as f64;
            }
        }
        let mut order = Vec::with_capacity(n);
        nearest(n, i, k, |j| -sim[j], &mut order)
            .into_iter()
            .map(|(j, _)| j)
            .collect()
    })
}

fn check_docs(docs: &Csr) -> Result<()> {
    let n = docs.nrows();
    if n <= 1 {
        return Err(DataError::Shape {
            what: "document matrix".into(),
            expected: "at least 2 documents".into(),
            found: format!("{n}"),
        });
    }
    if let Some(v) = docs.values().iter().find(|v| !v.is_finite()) {
        return Err(DataError::NonFinite {
            what: "document matrix".into(),
            row: 0,
            col: 0,
            value: *v as f64,
        });
    }
    Ok(())
}

/// The cosine kNN graph for text: `docs` holds L2-normalised rows (e.g. from [`tfidf`]).
pub fn cosine_knn_similarity(docs: &Csr) -> Result<Csr> {
    check_docs(docs)?;
    let n = docs.nrows();
    let kk = neighbor_count(n).min(n - 1);
    let knn = cosine_lists(docs, kk);
    let cos = |i: usize, j: usize| -> f64 {
        // Sparse dot product of rows i and j (both sorted), in term order.
        let (ti, wi) = docs.row(i);
        let (tj, wj) = docs.row(j);
        let (mut a, mut b, mut s) = (0, 0, 0.0f64);
        while a < ti.len() && b < tj.len() {
            match ti[a].cmp(&tj[b]) {
                std::cmp::Ordering::Less => a += 1,
                std::cmp::Ordering::Greater => b += 1,
                std::cmp::Ordering::Equal => {
                    s += wi[a] as f64 * wj[b] as f64;
                    a += 1;
                    b += 1;
                }
            }
        }
        s.max(0.0)
    };
    ncut_from_edges(n, &knn, cos)
}

/// Checks `k` for the connectivity graphs: at least one neighbour, fewer than the points.
fn check_self_k(n: usize, k: usize) -> Result<()> {
    if k == 0 || k >= n {
        return Err(DataError::Param {
            name: "k",
            msg: format!("the kNN connectivity graph needs 1 ≤ k < n = {n} neighbours, got {k}"),
        });
    }
    Ok(())
}

/// Binary kNN connectivity with self-loops, `C_ij = 1` when `j = i` or `j` is among the `k`
/// nearest others of `i`, symmetrised as `(C + Cᵀ)/2` (one-way edges weigh ½), then the ncut
/// scaling of step 4. That is scikit-learn's `kneighbors_graph(Z, k + 1, include_self=True)`
/// followed by the same two steps; with k = 10 it reaches the relative errors of the SymNMF-Net
/// paper's Table 1 on ORL and COIL-20, which SPEC §4's graph cannot (its spectral floor lies
/// above them).
fn connectivity_from_lists(n: usize, knn: &[Vec<usize>]) -> Result<Csr> {
    let mut rows: Vec<Vec<(usize, f64)>> = (0..n).map(|i| vec![(i, 1.0)]).collect();
    for (i, list) in knn.iter().enumerate() {
        for &j in list {
            rows[i].push((j, 0.5));
            rows[j].push((i, 0.5));
        }
    }
    let merged: Vec<Vec<(usize, f64)>> = rows
        .into_iter()
        .map(|mut r| {
            r.sort_unstable_by_key(|&(j, _)| j);
            let mut out: Vec<(usize, f64)> = Vec::with_capacity(r.len());
            for (j, w) in r {
                match out.last_mut() {
                    Some((lj, lw)) if *lj == j => *lw += w,
                    _ => out.push((j, w)),
                }
            }
            out
        })
        .collect();
    ncut_scaled(n, merged)
}

/// The Euclidean kNN connectivity graph with self-loops (see `connectivity_from_lists` in the
/// source: binary `C` with the diagonal, `(C + Cᵀ)/2`, ncut scaling), sparse, memory O(n·k).
pub fn knn_self_similarity(z: &Dense, k: usize) -> Result<Csr> {
    knn_self_similarity_with(z, k, &no_progress)
}

/// [`knn_self_similarity`], reporting the neighbour search's progress (rows done, rows in all).
pub fn knn_self_similarity_with(z: &Dense, k: usize, progress: Progress) -> Result<Csr> {
    knn_self_similarity_search(z, k, KnnSearch::Exact, progress)
}

/// [`knn_self_similarity_with`] with the neighbour lists found by `search`.
pub fn knn_self_similarity_search(
    z: &Dense,
    k: usize,
    search: KnnSearch,
    progress: Progress,
) -> Result<Csr> {
    if z.nrows() == 0 || z.ncols() == 0 {
        return Err(DataError::Empty {
            what: "feature matrix".into(),
        });
    }
    z.check_finite("feature matrix")?;
    let n = z.nrows();
    check_self_k(n, k)?;
    // The lists with their distances, then the symmetrised rows: ≈ 61 bytes per node and
    // neighbour measured (n = 20000, k = 1000: 1.22 GB).
    crate::error::check_memory(
        format!("the {k}-nearest-neighbour graph of {n} points"),
        (n as u64).saturating_mul(k as u64).saturating_mul(64),
    )?;
    let knn: Vec<Vec<usize>> = search
        .lists(z, k, progress)
        .into_iter()
        .map(|l| l.into_iter().map(|(j, _)| j).collect())
        .collect();
    connectivity_from_lists(n, &knn)
}

/// [`knn_self_similarity`] by the dense route (full sort of each row of the n×n distance
/// matrix, the matrix built entry by entry): an independent reference for it.
pub fn knn_self_similarity_dense(z: &Dense, k: usize) -> Result<Dense> {
    z.check_finite("feature matrix")?;
    let n = z.nrows();
    check_self_k(n, k)?;
    let dist = Distances::new(z);
    let mut c = vec![0.0f64; n * n];
    for i in 0..n {
        let mut order: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        order.sort_by(|a, b| dist.get(i, *a).total_cmp(&dist.get(i, *b)).then(a.cmp(b)));
        c[i * n + i] = 1.0;
        for &j in &order[..k] {
            c[i * n + j] = 1.0;
        }
    }
    let sym: Vec<f64> = (0..n * n)
        .map(|t| 0.5 * (c[t] + c[(t % n) * n + t / n]))
        .collect();
    let deg: Vec<f64> = (0..n)
        .map(|i| sym[i * n..(i + 1) * n].iter().sum())
        .collect();
    let data = (0..n * n)
        .map(|t| (sym[t] / (deg[t / n] * deg[t % n]).sqrt()) as f32)
        .collect();
    Dense::new(n, n, data)
}

/// The cosine kNN connectivity graph with self-loops, for text (`docs` L2-normalised rows):
/// neighbours by largest cosine similarity, then as [`knn_self_similarity`].
pub fn cosine_knn_self_similarity(docs: &Csr, k: usize) -> Result<Csr> {
    check_docs(docs)?;
    let n = docs.nrows();
    check_self_k(n, k)?;
    connectivity_from_lists(n, &cosine_lists(docs, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::synthetic::{planted_features, PlantedConfig};

    #[test]
    fn neighbour_count_is_floor_log2_plus_one() {
        assert_eq!(neighbor_count(1), 1);
        assert_eq!(neighbor_count(400), 9);
        assert_eq!(neighbor_count(1440), 11);
        assert_eq!(neighbor_count(3147), 12);
        assert_eq!(neighbor_count(9394), 14);
    }

    #[test]
    fn sparse_and_dense_routes_agree() {
        for (clusters, per, dim) in [(3, 20, 4), (5, 40, 10), (2, 9, 1)] {
            let cfg = PlantedConfig {
                clusters,
                per_cluster: per,
                dim,
                separation: 2.0,
                seed: 9,
            };
            let (z, _) = planted_features(&cfg).unwrap();
            let sparse = knn_similarity(&z).unwrap();
            let dense = knn_similarity_dense(&z).unwrap();
            assert_eq!(sparse.to_dense(), dense, "{clusters}×{per} in {dim}-D");
        }
    }

    #[test]
    fn graph_is_symmetric_nonnegative_without_self_loops() {
        let z = Dense::new(20, 1, (0..20).map(|i| (i * i) as f32 * 0.1).collect()).unwrap();
        let x = knn_similarity(&z).unwrap().to_dense();
        for i in 0..20 {
            assert_eq!(x.get(i, i), 0.0);
            for j in 0..20 {
                assert_eq!(x.get(i, j), x.get(j, i));
                assert!(x.get(i, j) >= 0.0);
            }
            // kk = 5: each row has at least 5 edges.
            assert!((0..20).filter(|&j| x.get(i, j) > 0.0).count() >= 5);
        }
    }

    #[test]
    fn too_few_points_is_an_error() {
        let z = Dense::new(5, 2, vec![0.0; 10]).unwrap();
        assert!(knn_similarity(&z).is_err());
        assert!(knn_similarity_dense(&z).is_err());
    }

    #[test]
    fn tfidf_and_cosine_graph() {
        // 4 documents over 3 terms; term 2 is in every document (idf 0).
        let counts = Csr::from_rows(
            3,
            vec![
                vec![(0, 2.0), (2, 1.0)],
                vec![(0, 1.0), (2, 5.0)],
                vec![(1, 3.0), (2, 1.0)],
                vec![(1, 1.0), (2, 1.0)],
            ],
        )
        .unwrap();
        let w = tfidf(&counts);
        assert_eq!(w.get(0, 2), 0.0);
        for i in 0..4 {
            let (_, v) = w.row(i);
            let norm: f32 = v.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-6);
        }
        // kk = ⌊log₂4⌋+1 = 3 = n−1: a complete graph weighted by cosine; docs {0,1} and {2,3}
        // are identical after tf-idf, docs across the pairs orthogonal.
        let x = cosine_knn_similarity(&w).unwrap().to_dense();
        assert!(x.get(0, 1) > 0.0 && x.get(2, 3) > 0.0);
        assert_eq!(x.get(0, 2), 0.0);
        assert_eq!(x.get(0, 0), 0.0);
    }
}

/// A similarity graph as it was built: the kNN graphs are sparse, user matrices dense.
#[derive(Clone, Debug)]
pub enum Graph {
    Dense(Dense),
    Sparse(Csr),
}

impl Graph {
    /// Order n of the (square) matrix.
    pub fn n(&self) -> usize {
        match self {
            Graph::Dense(d) => d.nrows(),
            Graph::Sparse(s) => s.nrows(),
        }
    }

    /// The stored entries (for a sparse graph, the nonzeros only).
    pub fn values_mut(&mut self) -> &mut [f32] {
        match self {
            Graph::Dense(d) => d.data_mut(),
            Graph::Sparse(s) => s.values_mut(),
        }
    }

    /// The largest |entry|.
    pub fn max_abs(&self) -> f32 {
        let values = match self {
            Graph::Dense(d) => d.data(),
            Graph::Sparse(s) => s.values(),
        };
        values.iter().fold(0.0f32, |m, v| m.max(v.abs()))
    }

    /// ‖X‖₂ (the Perron root of X ≥ 0) as the unit of every scale-dependent setting
    /// ([`scale::unit`]: exactly 1 within 10⁻⁶ of it). Products in f64; each row summed in its
    /// stored order (thread-independent).
    pub fn unit(&self) -> f64 {
        use rayon::prelude::*;
        let matvec = |v: &[f64], out: &mut [f64]| match self {
            Graph::Dense(d) => out.par_iter_mut().enumerate().for_each(|(i, o)| {
                *o = d.row(i).iter().zip(v).map(|(&x, y)| x as f64 * y).sum();
            }),
            Graph::Sparse(s) => out.par_iter_mut().enumerate().for_each(|(i, o)| {
                let (idx, val) = s.row(i);
                *o = idx.iter().zip(val).map(|(&j, &x)| x as f64 * v[j]).sum();
            }),
        };
        scale::unit(self.n(), matvec)
    }

    /// `‖X − UUᵀ‖² / ‖X‖²`, without an n×n array when X is sparse.
    pub fn relative_error(&self, u: &Dense) -> Result<f64> {
        match self {
            Graph::Dense(d) => crate::eval::metrics::relative_error(d, u),
            Graph::Sparse(s) => crate::eval::metrics::relative_error_sparse(s, u),
        }
    }

    /// The matrix as a dense one (borrowed when it already is).
    pub fn to_dense(&self) -> std::borrow::Cow<'_, Dense> {
        match self {
            Graph::Dense(d) => std::borrow::Cow::Borrowed(d),
            Graph::Sparse(s) => std::borrow::Cow::Owned(s.to_dense()),
        }
    }
}
