//! The matrix to factorise (dense or sparse, always f64) and the few dense kernels the solvers
//! share. Dense products go through faer's GEMM on the global rayon pool; the sparse product
//! is a row-parallel CSR × dense kernel.

use crate::error::{param, Result, SolverError};
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use nmfnet_datasets::{Csr, Dense};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Relative tolerance of the symmetry check (same as the data crate's).
pub const SYMMETRY_RTOL: f64 = 1e-5;

/// Parallelism used for every dense product.
pub fn par() -> Par {
    Par::rayon(0)
}

/// A symmetric nonnegative n×n matrix, validated on construction.
#[derive(Clone, Debug)]
pub enum SymMatrix {
    Dense(Mat<f64>),
    Sparse(SparseSym),
}

/// CSR storage of a symmetric matrix (both triangles stored).
#[derive(Clone, Debug)]
pub struct SparseSym {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f64>,
}

impl SparseSym {
    pub fn nnz(&self) -> usize {
        self.values.len()
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        match self.indices[a..b].binary_search(&j) {
            Ok(p) => self.values[a + p],
            Err(_) => 0.0,
        }
    }
}

fn check_entry(i: usize, j: usize, v: f64) -> Result<()> {
    if !v.is_finite() {
        return Err(SolverError::NonFinite { i, j, value: v });
    }
    if v < 0.0 {
        return Err(SolverError::Negative { i, j, value: v });
    }
    Ok(())
}

fn symmetric_close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= SYMMETRY_RTOL * scale.max(f64::MIN_POSITIVE)
}

impl SymMatrix {
    /// From a dense f32 matrix of the data crate: square, finite, nonnegative, symmetric.
    pub fn from_dense(x: &Dense) -> Result<Self> {
        let (n, m) = (x.nrows(), x.ncols());
        if n == 0 || m == 0 {
            return Err(SolverError::Empty);
        }
        if n != m {
            return Err(SolverError::NotSquare { rows: n, cols: m });
        }
        let mat = Mat::from_fn(n, n, |i, j| x.get(i, j) as f64);
        Self::from_mat(mat)
    }

    /// From an f64 faer matrix (same checks).
    pub fn from_mat(mat: Mat<f64>) -> Result<Self> {
        let (n, m) = (mat.nrows(), mat.ncols());
        if n == 0 || m == 0 {
            return Err(SolverError::Empty);
        }
        if n != m {
            return Err(SolverError::NotSquare { rows: n, cols: m });
        }
        let mut scale = 0.0f64;
        for j in 0..n {
            for i in 0..n {
                let v = mat[(i, j)];
                check_entry(i, j, v)?;
                scale = scale.max(v);
            }
        }
        for j in 0..n {
            for i in (j + 1)..n {
                let (a, b) = (mat[(i, j)], mat[(j, i)]);
                if !symmetric_close(a, b, scale) {
                    return Err(SolverError::NotSymmetric { i, j, a, b });
                }
            }
        }
        Ok(Self::Dense(mat))
    }

    /// From a CSR matrix of the data crate (same checks, on the stored entries).
    pub fn from_csr(x: &Csr) -> Result<Self> {
        let (n, m) = (x.nrows(), x.ncols());
        if n == 0 || m == 0 {
            return Err(SolverError::Empty);
        }
        if n != m {
            return Err(SolverError::NotSquare { rows: n, cols: m });
        }
        let values: Vec<f64> = x.values().iter().map(|&v| v as f64).collect();
        let s = SparseSym {
            n,
            indptr: x.indptr().to_vec(),
            indices: x.indices().to_vec(),
            values,
        };
        let mut scale = 0.0f64;
        for i in 0..n {
            for p in s.indptr[i]..s.indptr[i + 1] {
                let v = s.values[p];
                check_entry(i, s.indices[p], v)?;
                scale = scale.max(v);
            }
        }
        for i in 0..n {
            for p in s.indptr[i]..s.indptr[i + 1] {
                let j = s.indices[p];
                let (a, b) = (s.values[p], s.get(j, i));
                if !symmetric_close(a, b, scale) {
                    return Err(SolverError::NotSymmetric { i, j, a, b });
                }
            }
        }
        Ok(Self::Sparse(s))
    }

    pub fn n(&self) -> usize {
        match self {
            Self::Dense(m) => m.nrows(),
            Self::Sparse(s) => s.n,
        }
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self, Self::Sparse(_))
    }

    fn values(&self) -> Box<dyn Iterator<Item = f64> + '_> {
        match self {
            Self::Dense(m) => Box::new((0..m.ncols()).flat_map(move |j| m.col(j).iter().copied())),
            Self::Sparse(s) => Box::new(s.values.iter().copied()),
        }
    }

    /// cX, stored as X is (c ≥ 0 finite; the scale property's tests).
    pub fn scaled(&self, c: f64) -> SymMatrix {
        match self {
            Self::Dense(m) => Self::Dense(m * faer::Scale(c)),
            Self::Sparse(s) => Self::Sparse(SparseSym {
                values: s.values.iter().map(|v| c * v).collect(),
                ..s.clone()
            }),
        }
    }

    /// ‖X‖²_F.
    pub fn frob_sq(&self) -> f64 {
        self.values().map(|v| v * v).sum()
    }

    /// max_ij X_ij.
    pub fn max(&self) -> f64 {
        self.values().fold(0.0, f64::max)
    }

    /// Mean over all n² entries.
    pub fn mean(&self) -> f64 {
        let n = self.n() as f64;
        self.values().sum::<f64>() / (n * n)
    }

    /// X · V into `out` (n×k).
    pub fn mul_into(&self, v: MatRef<'_, f64>, out: MatMut<'_, f64>) {
        match self {
            Self::Dense(x) => matmul(out, Accum::Replace, x.as_ref(), v, 1.0, par()),
            Self::Sparse(s) => spmm(s, v, out),
        }
    }

    /// X · V.
    pub fn mul(&self, v: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = Mat::zeros(self.n(), v.ncols());
        self.mul_into(v, out.as_mut());
        out
    }

    /// The dense submatrix X[rows, rows].
    pub fn principal_submatrix(&self, rows: &[usize]) -> Mat<f64> {
        match self {
            Self::Dense(x) => Mat::from_fn(rows.len(), rows.len(), |a, b| x[(rows[a], rows[b])]),
            Self::Sparse(s) => {
                let mut pos = vec![usize::MAX; s.n];
                for (a, &i) in rows.iter().enumerate() {
                    pos[i] = a;
                }
                let mut out = Mat::zeros(rows.len(), rows.len());
                for (a, &i) in rows.iter().enumerate() {
                    for p in s.indptr[i]..s.indptr[i + 1] {
                        let b = pos[s.indices[p]];
                        if b != usize::MAX {
                            out[(a, b)] = s.values[p];
                        }
                    }
                }
                out
            }
        }
    }

    /// ‖X‖₂ to rounding (Lanczos), exactly 1 within 10⁻⁶ of it
    /// ([`nmfnet_datasets::graph::scale::unit`]): the unit of the SymNMF solvers'
    /// scale-dependent settings. Each entry of X·v is summed in a fixed order, so the
    /// result does not depend on the thread count.
    pub fn scale(&self) -> f64 {
        use rayon::prelude::*;
        let n = self.n();
        nmfnet_datasets::graph::scale::unit(n, |v, out| match self {
            // X is symmetric: row i is column i, contiguous in faer's column-major storage.
            Self::Dense(x) => out.par_iter_mut().enumerate().for_each(|(i, o)| {
                *o = x.col(i).iter().zip(v).map(|(a, b)| a * b).sum();
            }),
            Self::Sparse(s) => out.par_iter_mut().enumerate().for_each(|(i, o)| {
                *o = (s.indptr[i]..s.indptr[i + 1])
                    .map(|p| s.values[p] * v[s.indices[p]])
                    .sum();
            }),
        })
    }

    /// An estimate of the spectral norm ‖X‖₂ (power iteration, 50 steps from a positive vector:
    /// X ≥ 0, so the Perron vector is reached quickly).
    pub fn spectral_norm(&self) -> f64 {
        let n = self.n();
        let mut v = Mat::from_fn(n, 1, |_, _| 1.0 / (n as f64).sqrt());
        let mut est = 0.0;
        for _ in 0..50 {
            let w = self.mul(v.as_ref());
            let norm = w.norm_l2();
            if norm == 0.0 {
                return 0.0;
            }
            est = norm;
            v = w * faer::Scale(1.0 / norm);
        }
        est
    }
}

/// Row-parallel CSR × dense product. V is copied to row-major once so that each stored entry
/// reads one contiguous row of V; the rows of V that the next few entries read are prefetched
/// (on a large graph those reads are the product's cost: scattered rows of a V far larger than
/// the caches). Blocks of 64 rows are accumulated in a row-major scratch and written straight
/// into `out`; each output entry sums its terms in the order the row stores them, so the result
/// does not depend on the thread count.
fn spmm(s: &SparseSym, v: MatRef<'_, f64>, out: MatMut<'_, f64>) {
    csr_times(&s.indptr, &s.indices, &s.values, v, out)
}

/// A · V into `out` for A in CSR form (`indptr`, `indices`, `values`; out.nrows() rows and
/// v.nrows() columns): rows in blocks of 64 over the threads, each entry of a row summed in
/// the order it is stored, so the result does not depend on the thread count.
pub(crate) fn csr_times(
    indptr: &[usize],
    indices: &[usize],
    values: &[f64],
    v: MatRef<'_, f64>,
    out: MatMut<'_, f64>,
) {
    const ROWS: usize = 64;
    /// Entries ahead whose rows of V are prefetched.
    const AHEAD: usize = 8;
    let (n, k) = (v.nrows(), v.ncols());
    if k == 0 {
        return;
    }
    let mut vr = vec![0.0; n * k];
    vr.par_chunks_mut(k * ROWS)
        .zip(v.par_row_chunks(ROWS))
        .for_each(|(dst, src)| {
            for j in 0..k {
                for i in 0..src.nrows() {
                    dst[i * k + j] = src[(i, j)];
                }
            }
        });
    out.par_row_chunks_mut(ROWS).enumerate().for_each_init(
        || vec![0.0; ROWS * k],
        |acc, (c, mut block)| {
            let first = c * ROWS;
            let rows = block.nrows();
            acc.iter_mut().for_each(|a| *a = 0.0);
            let stop = indptr[first + rows];
            for (local, row) in acc.chunks_mut(k).take(rows).enumerate() {
                let i = first + local;
                let entries = indptr[i]..indptr[i + 1];
                // Eight columns at a time with their sums in registers (kept in memory, each
                // sum was stored and reloaded for every entry); the same terms in the same
                // order, so the same bits.
                let mut c0 = 0;
                while c0 + 8 <= k {
                    let mut r = [0.0f64; 8];
                    for p in entries.clone() {
                        if c0 == 0 && p + AHEAD < stop {
                            prefetch_row(&vr[indices[p + AHEAD] * k..][..k]);
                        }
                        let x = values[p];
                        let src = &vr[indices[p] * k + c0..][..8];
                        for (o, &b) in r.iter_mut().zip(src) {
                            *o += x * b;
                        }
                    }
                    row[c0..c0 + 8].copy_from_slice(&r);
                    c0 += 8;
                }
                if c0 < k {
                    for p in entries {
                        if c0 == 0 && p + AHEAD < stop {
                            prefetch_row(&vr[indices[p + AHEAD] * k..][..k]);
                        }
                        let x = values[p];
                        let src = &vr[indices[p] * k + c0..indices[p] * k + k];
                        for (o, &b) in row[c0..].iter_mut().zip(src) {
                            *o += x * b;
                        }
                    }
                }
            }
            for j in 0..k {
                for i in 0..rows {
                    block[(i, j)] = acc[i * k + j];
                }
            }
        },
    );
}

/// Asks the cache for the lines holding `row` (a hint; no effect on results).
#[inline(always)]
fn prefetch_row(row: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // 8 f64 per 64-byte line.
        for chunk in row.chunks(8) {
            // SAFETY: prefetching is a hint and never faults, the pointer is in bounds.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(chunk.as_ptr().cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Aᵀ B.
pub fn at_b(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::zeros(a.ncols(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a.transpose(), b, 1.0, par());
    out
}

/// A B.
pub fn a_b(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, 1.0, par());
    out
}

/// Σ_ij A_ij B_ij.
pub fn dot(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    debug_assert_eq!(a.shape(), b.shape());
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            s += a[(i, j)] * b[(i, j)];
        }
    }
    s
}

/// ‖A‖²_F.
/// The largest entry of `a` (0 for an empty or nonpositive matrix).
pub fn max_entry(a: MatRef<'_, f64>) -> f64 {
    (0..a.ncols())
        .flat_map(|j| a.col(j).iter().copied())
        .fold(0.0, f64::max)
}

pub fn frob_sq(a: MatRef<'_, f64>) -> f64 {
    dot(a, a)
}

/// ‖A − B‖²_F.
pub fn dist_sq(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let d = a[(i, j)] - b[(i, j)];
            s += d * d;
        }
    }
    s
}

/// A + μI for square A.
pub fn add_diag(a: &Mat<f64>, mu: f64) -> Mat<f64> {
    let mut out = a.clone();
    for i in 0..out.nrows() {
        out[(i, i)] += mu;
    }
    out
}

/// B · A⁻¹ for a symmetric positive definite A (Cholesky); an error if A is not SPD.
pub fn right_solve_spd(b: MatRef<'_, f64>, a: &Mat<f64>) -> Result<Mat<f64>> {
    let llt = a
        .llt(Side::Lower)
        .map_err(|_| SolverError::Numerical("an r×r system is not positive definite".into()))?;
    // B A⁻¹ = (A⁻¹ Bᵀ)ᵀ since A is symmetric.
    let sol = llt.solve(b.transpose());
    Ok(sol.transpose().to_owned())
}

/// ‖X − UVᵀ‖² from X·V, without any n×n intermediate:
/// ‖X‖² − 2 tr(Uᵀ X V) + tr((UᵀU)(VᵀV)).
pub fn residual_sq(
    x_frob_sq: f64,
    u: MatRef<'_, f64>,
    xv: MatRef<'_, f64>,
    utu: &Mat<f64>,
    vtv: &Mat<f64>,
) -> f64 {
    (x_frob_sq - 2.0 * dot(u, xv) + dot(utu.as_ref(), vtv.as_ref())).max(0.0)
}

/// Kuang's initialisation `U₀ = scale · sqrt(mean(X)/r) · rand(n, r)`, entries uniform in
/// [0, 1) drawn row by row from `StdRng::seed_from_u64(seed)` — the same numbers SymNMF-Net's
/// `initial_u0` draws, so a seed gives every method the same start.
pub fn kuang_init(n: usize, r: usize, x_mean: f64, scale: f64, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let s = scale * (x_mean.max(0.0) / r as f64).sqrt();
    let data: Vec<f64> = (0..n * r).map(|_| s * rng.random::<f64>()).collect();
    Mat::from_fn(n, r, |i, j| data[i * r + j])
}

/// `U₀ = rand(n, r)` unscaled, from the same draws as [`kuang_init`] with that seed (Zhu et
/// al.'s demo start).
pub fn unscaled_init(n: usize, r: usize, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    uniform(n, r, 1.0, &mut rng)
}

/// Uniform random nonnegative matrix scaled as `scale · rand`, seeded (plain NMF).
pub fn uniform(rows: usize, cols: usize, scale: f64, rng: &mut StdRng) -> Mat<f64> {
    let data: Vec<f64> = (0..rows * cols)
        .map(|_| scale * rng.random::<f64>())
        .collect();
    Mat::from_fn(rows, cols, |i, j| data[i * cols + j])
}

/// The entries of `a` row by row, contiguous: row i is `out[i*c..(i+1)*c]` (read down the
/// columns, as faer stores them). `row_major(b.transpose())` gives B's columns contiguous.
pub fn row_major(a: MatRef<'_, f64>) -> Vec<f64> {
    let c = a.ncols();
    let mut out = vec![0.0; a.nrows() * c];
    for l in 0..c {
        for (i, &v) in a.col(l).iter().enumerate() {
            out[i * c + l] = v;
        }
    }
    out
}

/// Converts an f64 faer matrix to the data crate's f32 dense matrix.
pub fn to_dense(m: MatRef<'_, f64>) -> Dense {
    let (r, c) = (m.nrows(), m.ncols());
    let mut data = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            data.push(m[(i, j)] as f32);
        }
    }
    Dense::new(r, c, data).expect("shape is consistent")
}

/// Checks that a matrix (any shape) is non-empty, finite and nonnegative.
pub fn check_nonnegative(m: MatRef<'_, f64>) -> Result<()> {
    if m.nrows() == 0 || m.ncols() == 0 {
        return Err(SolverError::Empty);
    }
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            check_entry(i, j, m[(i, j)])?;
        }
    }
    Ok(())
}

/// Converts a data-crate matrix (any shape) to f64, rejecting NaN/Inf and negative entries.
pub fn nonneg_from_dense(x: &Dense) -> Result<Mat<f64>> {
    let m = Mat::from_fn(x.nrows(), x.ncols(), |i, j| x.get(i, j) as f64);
    check_nonnegative(m.as_ref())?;
    Ok(m)
}

/// Checks 1 ≤ rank ≤ max.
pub fn check_rank(rank: usize, max: usize) -> Result<()> {
    if rank == 0 || rank > max {
        return Err(SolverError::Rank { rank, max });
    }
    Ok(())
}

/// Checks a positive finite parameter.
pub fn check_positive(name: &'static str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(param(name, format!("must be positive and finite, got {v}")));
    }
    Ok(())
}
