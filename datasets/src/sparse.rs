//! Compressed sparse row matrices (`f32` values), used for sparse similarity graphs and
//! document-term matrices.

use crate::error::{DataError, Result};
use crate::matrix::Dense;

/// A CSR matrix: row `i` holds columns `indices[indptr[i]..indptr[i+1]]` (strictly increasing)
/// with `values` in the same positions.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f32>,
}

impl Csr {
    /// Builds a CSR matrix, checking every structural invariant.
    pub fn new(
        nrows: usize,
        ncols: usize,
        indptr: Vec<usize>,
        indices: Vec<usize>,
        values: Vec<f32>,
    ) -> Result<Self> {
        let bad = |msg: String| DataError::Shape {
            what: "sparse matrix".into(),
            expected: "a valid CSR structure".into(),
            found: msg,
        };
        if indptr.len() != nrows + 1 || indptr[0] != 0 {
            return Err(bad(format!(
                "{} row pointers for {nrows} rows",
                indptr.len()
            )));
        }
        if indptr.windows(2).any(|w| w[0] > w[1]) || indptr[nrows] != indices.len() {
            return Err(bad("row pointers are not nondecreasing up to nnz".into()));
        }
        if indices.len() != values.len() {
            return Err(bad(format!(
                "{} indices but {} values",
                indices.len(),
                values.len()
            )));
        }
        for i in 0..nrows {
            let cols = &indices[indptr[i]..indptr[i + 1]];
            if cols.windows(2).any(|w| w[0] >= w[1]) || cols.last().is_some_and(|&c| c >= ncols) {
                return Err(bad(format!(
                    "row {i} has unsorted, repeated or out-of-range columns"
                )));
            }
        }
        Ok(Self {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        })
    }

    /// From per-row lists of (column, value); each list is sorted and must not repeat a column.
    pub fn from_rows(ncols: usize, rows: Vec<Vec<(usize, f32)>>) -> Result<Self> {
        let nrows = rows.len();
        let mut indptr = Vec::with_capacity(nrows + 1);
        indptr.push(0);
        let nnz = rows.iter().map(|r| r.len()).sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        for mut r in rows {
            r.sort_unstable_by_key(|&(c, _)| c);
            for (c, v) in r {
                indices.push(c);
                values.push(v);
            }
            indptr.push(indices.len());
        }
        Self::new(nrows, ncols, indptr, indices, values)
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }
    pub fn ncols(&self) -> usize {
        self.ncols
    }
    pub fn nnz(&self) -> usize {
        self.values.len()
    }
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
    pub fn values(&self) -> &[f32] {
        &self.values
    }
    /// (rows, columns, row pointers, column indices, values), moved out.
    pub fn into_parts(self) -> (usize, usize, Vec<usize>, Vec<usize>, Vec<f32>) {
        (
            self.nrows,
            self.ncols,
            self.indptr,
            self.indices,
            self.values,
        )
    }

    pub fn values_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }

    /// Columns and values of row `i`.
    pub fn row(&self, i: usize) -> (&[usize], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Entry (i, j) (0 when not stored).
    pub fn get(&self, i: usize, j: usize) -> f32 {
        let (cols, vals) = self.row(i);
        cols.binary_search(&j).map(|k| vals[k]).unwrap_or(0.0)
    }

    /// The dense matrix.
    /// The nonzero entries of a dense matrix, row by row.
    pub fn from_dense(d: &Dense) -> Self {
        let (m, n) = (d.nrows(), d.ncols());
        let (mut indptr, mut indices, mut values) =
            (Vec::with_capacity(m + 1), Vec::new(), Vec::new());
        indptr.push(0);
        for i in 0..m {
            for (j, &v) in d.row(i).iter().enumerate() {
                if v != 0.0 {
                    indices.push(j);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Self {
            nrows: m,
            ncols: n,
            indptr,
            indices,
            values,
        }
    }

    pub fn to_dense(&self) -> Dense {
        let mut d = Dense::zeros(self.nrows, self.ncols);
        for i in 0..self.nrows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                d.set(i, c, v);
            }
        }
        d
    }

    /// The transpose (CSR of Aᵀ, i.e. the CSC structure of A).
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.ncols + 1];
        for &c in &self.indices {
            counts[c + 1] += 1;
        }
        for k in 0..self.ncols {
            counts[k + 1] += counts[k];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0; self.nnz()];
        let mut values = vec![0.0; self.nnz()];
        for i in 0..self.nrows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                indices[next[c]] = i;
                values[next[c]] = v;
                next[c] += 1;
            }
        }
        Csr {
            nrows: self.ncols,
            ncols: self.nrows,
            indptr,
            indices,
            values,
        }
    }
}

/// [`crate::matrix::validate_similarity`] for a sparse matrix: not empty, square, every stored
/// entry finite and ≥ 0, and `|X_ij − X_ji| ≤ SYMMETRY_RTOL · max|X|` (a missing entry is 0);
/// within that tolerance the matrix is replaced by `(X + Xᵀ)/2`, and a stored entry whose
/// mirror is missing (so it is below the tolerance) becomes a stored 0.
pub fn validate_sparse_similarity(mut x: Csr, what: &str) -> Result<Csr> {
    crate::matrix::check_square(x.nrows, x.ncols, what)?;
    let position = |x: &Csr, k: usize| {
        let row = x.indptr.partition_point(|&p| p <= k) - 1;
        (row, x.indices[k])
    };
    if let Some(k) = x.values.iter().position(|v| !v.is_finite()) {
        let (row, col) = position(&x, k);
        return Err(DataError::NonFinite {
            what: what.into(),
            row,
            col,
            value: x.values[k] as f64,
        });
    }
    if let Some(k) = x.values.iter().position(|&v| v < 0.0) {
        let (row, col) = position(&x, k);
        return Err(DataError::Negative {
            what: what.into(),
            row,
            col,
            value: x.values[k] as f64,
        });
    }
    let tol = crate::matrix::SYMMETRY_RTOL * x.values.iter().fold(0.0f64, |m, &v| m.max(v as f64));
    let mut sym = x.values.clone();
    for i in 0..x.nrows {
        // k indexes the column indices, the values and their symmetrised copy alike.
        #[allow(clippy::needless_range_loop)]
        for k in x.indptr[i]..x.indptr[i + 1] {
            let j = x.indices[k];
            let (a, b) = (x.values[k] as f64, x.get(j, i) as f64);
            if (a - b).abs() > tol {
                return Err(DataError::NotSymmetric {
                    what: what.into(),
                    row: i,
                    col: j,
                    a,
                    b,
                });
            }
            let (cols, _) = x.row(j);
            sym[k] = if cols.binary_search(&i).is_ok() {
                ((a + b) * 0.5) as f32
            } else {
                0.0
            };
        }
    }
    x.values = sym;
    check_isolated(&x, what)?;
    Ok(x)
}

/// Refuses a graph with more isolated nodes (empty rows) than connected ones: a claimed n that
/// the stored entries do not justify (a 1 kB archive can claim millions of nodes, and every
/// one still costs a row of U), or a graph no method could cluster. A graph with no entry at
/// all passes: it is refused as all zeros where it is used.
pub fn check_isolated(x: &Csr, what: &str) -> Result<()> {
    let empty = (0..x.nrows)
        .filter(|&i| {
            x.values[x.indptr[i]..x.indptr[i + 1]]
                .iter()
                .all(|&v| v == 0.0)
        })
        .count();
    // All rows empty is an all-zero X, which the solvers name as such.
    if empty > x.nrows / 2 && empty < x.nrows {
        return Err(DataError::Isolated {
            what: what.into(),
            empty,
            n: x.nrows,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_is_checked() {
        assert!(Csr::new(2, 2, vec![0, 1, 2], vec![0, 1], vec![1.0, 2.0]).is_ok());
        assert!(Csr::new(2, 2, vec![0, 2, 1], vec![0, 1], vec![1.0, 2.0]).is_err());
        assert!(Csr::new(1, 2, vec![0, 2], vec![1, 0], vec![1.0, 2.0]).is_err());
        assert!(Csr::new(1, 2, vec![0, 1], vec![2], vec![1.0]).is_err());
    }

    #[test]
    fn transpose_and_dense_agree() {
        let a = Csr::from_rows(3, vec![vec![(2, 1.0), (0, 2.0)], vec![], vec![(1, 3.0)]]).unwrap();
        let t = a.transpose();
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(a.get(i, j), t.get(j, i));
                assert_eq!(a.get(i, j), a.to_dense().get(i, j));
            }
        }
    }

    #[test]
    fn sparse_similarity_checks_match_the_dense_ones() {
        let csr = |n: usize, v: &[f32]| {
            let d = Dense::new(n, v.len() / n, v.to_vec()).unwrap();
            let rows = (0..d.nrows())
                .map(|i| {
                    (0..d.ncols())
                        .filter(|&j| d.get(i, j) != 0.0)
                        .map(|j| (j, d.get(i, j)))
                        .collect()
                })
                .collect();
            Csr::from_rows(d.ncols(), rows).unwrap()
        };
        let cases: Vec<(Csr, &str)> = vec![
            (csr(2, &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), "square"),
            (csr(2, &[1.0, f32::NAN, f32::NAN, 1.0]), "non-finite"),
            (csr(2, &[1.0, -0.5, -0.5, 1.0]), "negative"),
            (csr(2, &[1.0, 0.5, 0.1, 1.0]), "symmetric"),
            (csr(2, &[1.0, 0.5, 0.0, 1.0]), "symmetric"),
        ];
        for (x, expect) in cases {
            let err = validate_sparse_similarity(x, "X").unwrap_err().to_string();
            assert!(err.contains(expect), "'{err}' should mention '{expect}'");
        }
        // Within the tolerance: averaged, the same as the dense check gives.
        let v = [1.0, 0.5, 0.0, 0.500001, 2.0, 1e-7, 0.0, 0.0, 3.0];
        let sparse = validate_sparse_similarity(csr(3, &v), "X").unwrap();
        let dense =
            crate::matrix::validate_similarity(Dense::new(3, 3, v.to_vec()).unwrap(), "X").unwrap();
        assert_eq!(
            sparse.to_dense().data(),
            dense
                .data()
                .iter()
                .map(|&d| if d < 1e-6 { 0.0 } else { d })
                .collect::<Vec<_>>()
                .as_slice()
        );
        assert_eq!(sparse.get(1, 0), sparse.get(0, 1));
    }

    #[test]
    fn a_graph_of_mostly_isolated_nodes_is_refused() {
        // Two connected nodes in four: accepted (half); in five, or in a claimed 10^7: refused.
        let graph = |n: usize| {
            let mut rows = vec![vec![(1, 1.0)], vec![(0, 1.0)]];
            rows.resize(n, vec![]);
            Csr::from_rows(n, rows).unwrap()
        };
        assert!(validate_sparse_similarity(graph(4), "X").is_ok());
        for n in [5, 10_000_000] {
            let err = validate_sparse_similarity(graph(n), "X").unwrap_err();
            assert!(
                matches!(err, DataError::Isolated { empty, .. } if empty == n - 2),
                "{err}"
            );
        }
    }
}
