//! The matrix Y of an NMF `Y ≈ HW`, held dense or sparse. The solvers touch Y only through
//! the two products Y·Wᵀ and Hᵀ·Y, its squared norm, its largest entry and its sum, so a sparse
//! Y is never made dense: its products cost O(nnz · k) and the objective comes from
//! ‖Y‖² − 2⟨HᵀY, W⟩ + ⟨HᵀH, WWᵀ⟩ with no m × n residual.

use crate::error::{Result, SolverError};
use crate::linalg::{at_b, check_nonnegative, csr_times, frob_sq, max_entry};
use faer::{Mat, MatRef};

/// A nonnegative m × n matrix in compressed rows, with its transpose in compressed rows too
/// (the columns of Y), so that both products run row by row over the threads.
#[derive(Clone, Debug)]
pub struct SparseMatrix {
    nrows: usize,
    ncols: usize,
    rows: Compressed,
    cols: Compressed,
}

#[derive(Clone, Debug)]
pub(crate) struct Compressed {
    pub(crate) indptr: Vec<usize>,
    pub(crate) indices: Vec<usize>,
    pub(crate) values: Vec<f64>,
}

impl SparseMatrix {
    /// From CSR arrays (row pointers, column indices, values); every structural invariant and
    /// every value (finite, ≥ 0) is checked. Entries of a row may come in any order; a
    /// column index given twice in a row is refused.
    pub fn from_csr(
        nrows: usize,
        ncols: usize,
        indptr: Vec<usize>,
        indices: Vec<usize>,
        values: Vec<f64>,
    ) -> Result<Self> {
        if nrows == 0 || ncols == 0 {
            return Err(SolverError::Empty);
        }
        let bad = |msg: String| SolverError::Shape(format!("sparse Y: {msg}"));
        if indptr.len() != nrows + 1 || indptr[0] != 0 {
            return Err(bad(format!(
                "{} row pointers for {nrows} rows",
                indptr.len()
            )));
        }
        if indptr.windows(2).any(|w| w[0] > w[1])
            || indptr[nrows] != indices.len()
            || indices.len() != values.len()
        {
            return Err(bad("row pointers, indices and values disagree".into()));
        }
        let mut rows = Compressed {
            indptr,
            indices,
            values,
        };
        for i in 0..nrows {
            let (a, b) = (rows.indptr[i], rows.indptr[i + 1]);
            if let Some(&j) = rows.indices[a..b].iter().find(|&&j| j >= ncols) {
                return Err(bad(format!(
                    "column {j} in row {i} of a matrix of {ncols} columns"
                )));
            }
            // Sorted columns: a fixed order of summation whatever order the caller used (rows
            // that come sorted, as from scipy and the .npz reader, are left as they are).
            if !rows.indices[a..b].is_sorted() {
                let mut entries: Vec<(usize, f64)> =
                    (a..b).map(|p| (rows.indices[p], rows.values[p])).collect();
                entries.sort_by_key(|e| e.0);
                for (p, (j, v)) in (a..b).zip(entries) {
                    rows.indices[p] = j;
                    rows.values[p] = v;
                }
            }
            if rows.indices[a..b].windows(2).any(|w| w[0] == w[1]) {
                return Err(bad(format!("a column given twice in row {i}")));
            }
            for p in a..b {
                let (j, v) = (rows.indices[p], rows.values[p]);
                if !v.is_finite() {
                    return Err(SolverError::NonFinite { i, j, value: v });
                }
                if v < 0.0 {
                    return Err(SolverError::Negative { i, j, value: v });
                }
            }
        }
        let cols = transpose(&rows, ncols);
        Ok(Self {
            nrows,
            ncols,
            rows,
            cols,
        })
    }

    /// The stored entries (row, column, value), row by row.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        let c = &self.rows;
        (0..self.nrows).flat_map(move |i| {
            (c.indptr[i]..c.indptr[i + 1]).map(move |e| (i, c.indices[e], c.values[e]))
        })
    }

    /// The nonzero entries of a dense matrix (tests and references).
    pub fn from_dense(y: MatRef<'_, f64>) -> Result<Self> {
        let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
        for i in 0..y.nrows() {
            for j in 0..y.ncols() {
                if y[(i, j)] != 0.0 {
                    indices.push(j);
                    values.push(y[(i, j)]);
                }
            }
            indptr.push(indices.len());
        }
        Self::from_csr(y.nrows(), y.ncols(), indptr, indices, values)
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }

    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Yᵀ (the two compressed forms swap: no copy of the entries is made twice).
    pub fn transposed(self) -> Self {
        Self {
            nrows: self.ncols,
            ncols: self.nrows,
            rows: self.cols,
            cols: self.rows,
        }
    }

    /// The dense m × n matrix.
    pub fn to_dense(&self) -> Mat<f64> {
        let mut d = Mat::zeros(self.nrows, self.ncols);
        for (i, j, v) in self.entries() {
            d[(i, j)] = v;
        }
        d
    }

    /// Stored entries.
    pub fn nnz(&self) -> usize {
        self.rows.values.len()
    }

    /// The rows of Y (`false`) or of Yᵀ (`true`), compressed.
    pub(crate) fn compressed(&self, transposed: bool) -> &Compressed {
        if transposed {
            &self.cols
        } else {
            &self.rows
        }
    }
}

/// The transpose of an m-row CSR with `ncols` columns, in CSR form (a counting sort: each row
/// of the result lists its entries in increasing column order).
fn transpose(a: &Compressed, ncols: usize) -> Compressed {
    let mut indptr = vec![0usize; ncols + 1];
    for &j in &a.indices {
        indptr[j + 1] += 1;
    }
    for j in 0..ncols {
        indptr[j + 1] += indptr[j];
    }
    let mut next = indptr.clone();
    let mut indices = vec![0usize; a.indices.len()];
    let mut values = vec![0.0; a.values.len()];
    for i in 0..a.indptr.len() - 1 {
        for p in a.indptr[i]..a.indptr[i + 1] {
            let j = a.indices[p];
            indices[next[j]] = i;
            values[next[j]] = a.values[p];
            next[j] += 1;
        }
    }
    Compressed {
        indptr,
        indices,
        values,
    }
}

/// The precision of the products with Y (`NmfParams::precision`, the consensus job's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F64,
    /// Y held in f32 and multiplied in f32 ([`DenseF32`]), the factors, Gram matrices and
    /// updates in f64: for a dense Y under the Frobenius objective, about twice as fast where
    /// the products dominate; a run follows the f64 one to f32 rounding until their paths part.
    F32,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// Y, dense or sparse, as the NMF solvers read it.
#[derive(Clone, Copy, Debug)]
pub enum NmfData<'a> {
    Dense(MatRef<'a, f64>),
    Sparse(&'a SparseMatrix),
    /// A dense Y held in f32, for products in single precision (made by the solvers from a
    /// dense f64 Y when asked for [`Precision::F32`]; its scalars — norm, largest entry, sum —
    /// are those of the f32 values, summed in f64).
    Single(&'a DenseF32),
}

impl<'a> From<MatRef<'a, f64>> for NmfData<'a> {
    fn from(y: MatRef<'a, f64>) -> Self {
        NmfData::Dense(y)
    }
}

impl<'a> From<&'a SparseMatrix> for NmfData<'a> {
    fn from(y: &'a SparseMatrix) -> Self {
        NmfData::Sparse(y)
    }
}

impl<'a> From<&'a DenseF32> for NmfData<'a> {
    fn from(y: &'a DenseF32) -> Self {
        NmfData::Single(y)
    }
}

impl NmfData<'_> {
    pub fn nrows(&self) -> usize {
        match self {
            NmfData::Dense(y) => y.nrows(),
            NmfData::Sparse(y) => y.nrows,
            NmfData::Single(y) => y.y.nrows(),
        }
    }

    pub fn ncols(&self) -> usize {
        match self {
            NmfData::Dense(y) => y.ncols(),
            NmfData::Sparse(y) => y.ncols,
            NmfData::Single(y) => y.y.ncols(),
        }
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self, NmfData::Sparse(_))
    }

    /// Not empty, every entry finite and ≥ 0 (a sparse matrix was checked when it was made, an
    /// f32 one is checked here).
    pub fn check(&self) -> Result<()> {
        match self {
            NmfData::Dense(y) => check_nonnegative(*y),
            NmfData::Sparse(_) => Ok(()),
            NmfData::Single(y) => {
                if y.y.nrows() == 0 || y.y.ncols() == 0 {
                    return Err(SolverError::Empty);
                }
                if !y.bad {
                    return Ok(());
                }
                for j in 0..y.y.ncols() {
                    for (i, &v) in y.y.col(j).iter().enumerate() {
                        let value = v as f64;
                        if !v.is_finite() {
                            return Err(SolverError::NonFinite { i, j, value });
                        }
                        if v < 0.0 {
                            return Err(SolverError::Negative { i, j, value });
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Y in f32 when `precision` asks for it and Y is dense f64 (`None`: Y as it is).
    pub fn single(&self, precision: Precision) -> Option<DenseF32> {
        match (precision, self) {
            (Precision::F32, NmfData::Dense(d)) => Some(DenseF32::new(*d)),
            _ => None,
        }
    }

    /// Y · Wᵀ (m × k) for W k × n.
    pub fn times_wt(&self, w: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = Mat::zeros(self.nrows(), w.nrows());
        match self {
            NmfData::Dense(y) => faer::linalg::matmul::matmul(
                out.as_mut(),
                faer::Accum::Replace,
                *y,
                w.transpose(),
                1.0,
                crate::linalg::par(),
            ),
            NmfData::Sparse(y) => csr_times(
                &y.rows.indptr,
                &y.rows.indices,
                &y.rows.values,
                w.transpose(),
                out.as_mut(),
            ),
            NmfData::Single(y) => return y.times_wt(w),
        }
        out
    }

    /// Hᵀ · Y (k × n) for H m × k.
    pub fn ht_times(&self, h: MatRef<'_, f64>) -> Mat<f64> {
        match self {
            NmfData::Dense(y) => at_b(h, *y),
            NmfData::Sparse(y) => {
                // (Yᵀ H)ᵀ, from the rows of Yᵀ.
                let mut yth = Mat::zeros(y.ncols, h.ncols());
                csr_times(
                    &y.cols.indptr,
                    &y.cols.indices,
                    &y.cols.values,
                    h,
                    yth.as_mut(),
                );
                yth.transpose().to_owned()
            }
            NmfData::Single(y) => y.ht_times(h),
        }
    }

    /// Y · [W₁ᵀ … W_Gᵀ] (m × G·k) for blocks W_g, k × n each.
    pub fn times_blocks_wt(&self, ws: &[MatRef<'_, f64>]) -> Mat<f64> {
        match self {
            NmfData::Single(y) => y.times_blocks_wt(ws),
            _ => self.times_wt(stack_rows(ws).as_ref()),
        }
    }

    /// [H₁ … H_G]ᵀ · Y (G·k × n) for blocks H_g, m × k each.
    pub fn blocks_ht_times(&self, hs: &[MatRef<'_, f64>]) -> Mat<f64> {
        match self {
            NmfData::Single(y) => y.blocks_ht_times(hs),
            _ => self.ht_times(side_by_side(hs).as_ref()),
        }
    }

    /// ‖Y‖²_F.
    pub fn frob_sq(&self) -> f64 {
        match self {
            NmfData::Dense(y) => frob_sq(*y),
            NmfData::Sparse(y) => y.rows.values.iter().map(|v| v * v).sum(),
            NmfData::Single(y) => y.frob_sq,
        }
    }

    /// max_ij Y_ij.
    pub fn max_entry(&self) -> f64 {
        match self {
            NmfData::Dense(y) => max_entry(*y),
            NmfData::Sparse(y) => y.rows.values.iter().copied().fold(0.0, f64::max),
            NmfData::Single(y) => y.max,
        }
    }

    /// Y_ij (a sparse Y's by binary search in its row).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self {
            NmfData::Dense(y) => y[(i, j)],
            NmfData::Sparse(y) => {
                let (a, b) = (y.rows.indptr[i], y.rows.indptr[i + 1]);
                match y.rows.indices[a..b].binary_search(&j) {
                    Ok(p) => y.rows.values[a + p],
                    Err(_) => 0.0,
                }
            }
            NmfData::Single(y) => y.y[(i, j)] as f64,
        }
    }

    /// Whether some entry is 0 (stored or not).
    pub fn has_zero(&self) -> bool {
        match self {
            NmfData::Dense(y) => (0..y.ncols()).any(|j| y.col(j).iter().any(|&v| v == 0.0)),
            NmfData::Sparse(y) => y.nnz() < y.nrows * y.ncols || y.rows.values.contains(&0.0),
            NmfData::Single(y) => (0..y.y.ncols()).any(|j| y.y.col(j).iter().any(|&v| v == 0.0)),
        }
    }

    /// Σ_ij Y_ij.
    pub fn sum(&self) -> f64 {
        match self {
            NmfData::Dense(y) => (0..y.ncols()).map(|j| y.col(j).iter().sum::<f64>()).sum(),
            NmfData::Sparse(y) => y.rows.values.iter().sum(),
            NmfData::Single(y) => y.sum,
        }
    }
}

/// The blocks (k × n each) one above the other: G·k × n.
fn stack_rows(ws: &[MatRef<'_, f64>]) -> Mat<f64> {
    let (k, n) = ws.first().map_or((0, 0), |w| (w.nrows(), w.ncols()));
    let mut out = Mat::zeros(ws.len() * k, n);
    for j in 0..n {
        let col = out
            .col_mut(j)
            .try_as_col_major_mut()
            .expect("a new matrix is contiguous");
        let col = col.as_slice_mut();
        for (a, w) in ws.iter().enumerate() {
            for l in 0..k {
                col[a * k + l] = w[(l, j)];
            }
        }
    }
    out
}

/// The blocks (m × k each) side by side: m × G·k, column by column.
fn side_by_side(hs: &[MatRef<'_, f64>]) -> Mat<f64> {
    let (m, k) = hs.first().map_or((0, 0), |h| (h.nrows(), h.ncols()));
    let mut out = Mat::zeros(m, hs.len() * k);
    for (a, h) in hs.iter().enumerate() {
        for l in 0..k {
            out.col_mut(a * k + l).copy_from(h.col(l));
        }
    }
    out
}

/// A·B in f32, returned in f64.
fn product(a: MatRef<'_, f32>, b: MatRef<'_, f32>) -> Mat<f64> {
    let mut out = Mat::<f32>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(
        out.as_mut(),
        faer::Accum::Replace,
        a,
        b,
        1.0f32,
        crate::linalg::par(),
    );
    widen(&out)
}

/// An f32 product, entry by entry as f64.
fn widen(out: &Mat<f32>) -> Mat<f64> {
    let mut wide = Mat::zeros(out.nrows(), out.ncols());
    for j in 0..out.ncols() {
        for (d, s) in wide.col_mut(j).iter_mut().zip(out.col(j).iter()) {
            *d = *s as f64;
        }
    }
    wide
}

/// A dense Y held in float32, for products in single precision: each product rounds its
/// (float64) factor to f32, multiplies in f32 and returns f64. Half the memory traffic and
/// about twice the multiply rate of the f64 products on AVX-512/AVX2 machines; each entry of a
/// product carries a relative rounding of about √n·2⁻²⁴ (n the length of the sum). Its
/// scalars (‖Y‖², max, sum; f64 sums of its f32 values) are taken once, when it is made.
#[derive(Clone, Debug)]
pub struct DenseF32 {
    y: Mat<f32>,
    frob_sq: f64,
    max: f64,
    sum: f64,
    /// Some entry is negative or not finite (found by [`NmfData::check`]).
    bad: bool,
}

impl DenseF32 {
    pub fn new(y: MatRef<'_, f64>) -> Self {
        Self::of(Mat::from_fn(y.nrows(), y.ncols(), |i, j| y[(i, j)] as f32))
    }

    /// From row-major f32 values (`nrows · ncols` of them).
    pub fn from_row_major(nrows: usize, ncols: usize, values: &[f32]) -> Self {
        Self::of(MatRef::from_row_major_slice(values, nrows, ncols).to_owned())
    }

    /// A sparse Y, made dense.
    pub fn from_sparse(y: &SparseMatrix) -> Self {
        let mut d = Mat::<f32>::zeros(y.nrows, y.ncols);
        for (i, j, v) in y.entries() {
            d[(i, j)] = v as f32;
        }
        Self::of(d)
    }

    fn of(y: Mat<f32>) -> Self {
        let (mut frob_sq, mut max, mut sum, mut bad) = (0.0, 0.0f64, 0.0, false);
        for j in 0..y.ncols() {
            for &v in y.col(j).iter() {
                bad |= !(v >= 0.0 && v.is_finite());
                let v = v as f64;
                frob_sq += v * v;
                max = max.max(v);
                sum += v;
            }
        }
        Self {
            y,
            frob_sq,
            max,
            sum,
            bad,
        }
    }

    /// Y · Wᵀ with the products in f64 (each block of rows widened in turn, without an f64
    /// copy of Y): the objective's cross term without the f32 products' rounding.
    pub fn times_wt_f64(&self, w: MatRef<'_, f64>) -> Mat<f64> {
        let (m, n) = (self.y.nrows(), self.y.ncols());
        // Blocks of at most 2^20 entries (8 MiB) and 512 rows: never a copy of a short, wide Y.
        let rows = ((1usize << 20) / n.max(1)).clamp(16, 512);
        let mut out = Mat::zeros(m, w.nrows());
        let mut block = Mat::<f64>::zeros(rows.min(m), n);
        for i0 in (0..m).step_by(rows) {
            let r = rows.min(m - i0);
            for j in 0..n {
                for (d, s) in block
                    .col_mut(j)
                    .subrows_mut(0, r)
                    .iter_mut()
                    .zip(self.y.col(j).subrows(i0, r).iter())
                {
                    *d = *s as f64;
                }
            }
            faer::linalg::matmul::matmul(
                out.as_mut().subrows_mut(i0, r),
                faer::Accum::Replace,
                block.as_ref().subrows(0, r),
                w.transpose(),
                1.0,
                crate::linalg::par(),
            );
        }
        out
    }

    /// Y · Wᵀ (m × k) for W k × n.
    pub fn times_wt(&self, w: MatRef<'_, f64>) -> Mat<f64> {
        self.times_blocks_wt(&[w])
    }

    /// Y in f64 (exactly its f32 values).
    pub fn to_f64(&self) -> Mat<f64> {
        widen(&self.y)
    }

    /// Y · [W₁ᵀ … W_Gᵀ] (m × G·k) for blocks W_g, k × n each (their f32 copy is made
    /// transposed in one pass: n × G·k).
    pub fn times_blocks_wt(&self, ws: &[MatRef<'_, f64>]) -> Mat<f64> {
        let (k, n) = ws.first().map_or((0, 0), |w| (w.nrows(), w.ncols()));
        let mut wt = Mat::<f32>::zeros(n, ws.len() * k);
        for (a, w) in ws.iter().enumerate() {
            for l in 0..k {
                for (d, s) in wt.col_mut(a * k + l).iter_mut().zip(w.row(l).iter()) {
                    *d = *s as f32;
                }
            }
        }
        product(self.y.as_ref(), wt.as_ref())
    }

    /// [H₁ … H_G]ᵀ · Y (G·k × n) for blocks H_g, m × k each.
    pub fn blocks_ht_times(&self, hs: &[MatRef<'_, f64>]) -> Mat<f64> {
        let (m, k) = hs.first().map_or((0, 0), |h| (h.nrows(), h.ncols()));
        let mut side = Mat::<f32>::zeros(m, hs.len() * k);
        for (a, h) in hs.iter().enumerate() {
            for l in 0..k {
                for (d, s) in side.col_mut(a * k + l).iter_mut().zip(h.col(l).iter()) {
                    *d = *s as f32;
                }
            }
        }
        product(side.transpose(), self.y.as_ref())
    }

    /// Hᵀ · Y (k × n) for H m × k.
    pub fn ht_times(&self, h: MatRef<'_, f64>) -> Mat<f64> {
        self.blocks_ht_times(&[h])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::uniform;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// A 70 × 50 matrix with about 10 % of its entries nonzero.
    fn sparse_dense() -> Mat<f64> {
        let mut rng = StdRng::seed_from_u64(5);
        let u = uniform(70, 50, 1.0, &mut rng);
        Mat::from_fn(70, 50, |i, j| {
            if u[(i, j)] < 0.1 {
                u[(i, j)] * 10.0
            } else {
                0.0
            }
        })
    }

    #[test]
    fn sparse_products_match_the_dense_ones() {
        let y = sparse_dense();
        let s = SparseMatrix::from_dense(y.as_ref()).unwrap();
        let mut rng = StdRng::seed_from_u64(6);
        let (h, w) = (uniform(70, 4, 1.0, &mut rng), uniform(4, 50, 1.0, &mut rng));
        let (d, sp) = (NmfData::from(y.as_ref()), NmfData::from(&s));
        let close = |a: &Mat<f64>, b: &Mat<f64>| {
            assert_eq!(a.shape(), b.shape());
            let diff = (a - b).norm_max();
            assert!(diff <= 1e-12 * a.norm_max(), "{diff}");
        };
        close(&d.times_wt(w.as_ref()), &sp.times_wt(w.as_ref()));
        close(&d.ht_times(h.as_ref()), &sp.ht_times(h.as_ref()));
        assert!((d.frob_sq() - sp.frob_sq()).abs() <= 1e-12 * d.frob_sq());
        assert_eq!(d.max_entry(), sp.max_entry());
        assert!((d.sum() - sp.sum()).abs() <= 1e-12 * d.sum());
        // Yᵀ's products are Y's, transposed.
        let t = s.clone().transposed();
        let yt = y.transpose().to_owned();
        close(
            &NmfData::from(yt.as_ref()).times_wt(h.transpose()),
            &NmfData::from(&t).times_wt(h.transpose()),
        );
    }

    #[test]
    fn single_precision_products_are_the_double_ones_to_f32_rounding() {
        let mut rng = StdRng::seed_from_u64(8);
        let y = uniform(90, 60, 1.0, &mut rng);
        let (h, w) = (uniform(90, 5, 1.0, &mut rng), uniform(5, 60, 1.0, &mut rng));
        let (d, s) = (NmfData::from(y.as_ref()), DenseF32::new(y.as_ref()));
        for (a, b) in [
            (d.times_wt(w.as_ref()), s.times_wt(w.as_ref())),
            (d.ht_times(h.as_ref()), s.ht_times(h.as_ref())),
        ] {
            assert_eq!(a.shape(), b.shape());
            let rel = (&a - &b).norm_max() / a.norm_max();
            // Inputs rounded to 2⁻²⁴ and sums of ≤ 90 terms: a few 1e-7, not 1e-12.
            assert!(rel < 2e-6 && rel > 1e-12, "{rel}");
        }
        // The f64 product of the f32 values: Y's rounding only, none of the product's.
        let rounded = Mat::from_fn(90, 60, |i, j| y[(i, j)] as f32 as f64);
        let exact = NmfData::from(rounded.as_ref()).times_wt(w.as_ref());
        let wide = s.times_wt_f64(w.as_ref());
        assert!((&exact - &wide).norm_max() <= 1e-14 * exact.norm_max());
        // Made from row-major values: the same matrix and scalars.
        let rows: Vec<f32> = (0..90 * 60).map(|p| y[(p / 60, p % 60)] as f32).collect();
        let r = DenseF32::from_row_major(90, 60, &rows);
        assert_eq!(r.to_f64(), s.to_f64());
        let (a, b) = (NmfData::from(&r), NmfData::from(&s));
        assert_eq!(
            (a.frob_sq(), a.max_entry(), a.sum()),
            (b.frob_sq(), b.max_entry(), b.sum())
        );
        assert!((a.frob_sq() - frob_sq(rounded.as_ref())).abs() <= 1e-12 * a.frob_sq());
    }

    #[test]
    fn malformed_sparse_matrices_are_refused() {
        let ok = SparseMatrix::from_csr(2, 3, vec![0, 2, 3], vec![2, 0, 1], vec![1.0, 2.0, 3.0]);
        assert_eq!(ok.unwrap().nnz(), 3);
        let cases = [
            (vec![0, 2], vec![0, 1], vec![1.0, 1.0], "row pointers"),
            (vec![0, 2, 1], vec![0, 1], vec![1.0, 1.0], "disagree"),
            (vec![0, 1, 2], vec![0, 3], vec![1.0, 1.0], "column 3"),
            (vec![0, 2, 2], vec![1, 1], vec![1.0, 1.0], "twice"),
            (vec![0, 1, 1], vec![0], vec![-1.0], "negative"),
            (vec![0, 1, 1], vec![0], vec![f64::NAN], "finite"),
        ];
        for (indptr, indices, values, phrase) in cases {
            let err = SparseMatrix::from_csr(2, 3, indptr, indices, values).unwrap_err();
            assert!(
                err.to_string().contains(phrase),
                "{err} should say {phrase}"
            );
        }
    }
}
