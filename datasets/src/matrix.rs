//! A dense row-major `f32` matrix and the checks on similarity matrices.

use crate::error::{DataError, Result};

/// Dense row-major matrix of `f32`.
///
/// The element type is `f32` because every model here trains in `f32`; sums over many entries
/// (norms, traces, metrics) are accumulated in `f64`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    nrows: usize,
    ncols: usize,
    data: Vec<f32>,
}

impl Dense {
    /// A matrix from row-major data; the length must be `nrows * ncols`.
    pub fn new(nrows: usize, ncols: usize, data: Vec<f32>) -> Result<Self> {
        if data.len() != nrows * ncols {
            return Err(DataError::Shape {
                what: "matrix data".into(),
                expected: format!("{nrows}×{ncols} = {} values", nrows * ncols),
                found: format!("{} values", data.len()),
            });
        }
        Ok(Self { nrows, ncols, data })
    }

    /// The `nrows × ncols` zero matrix.
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        Self {
            nrows,
            ncols,
            data: vec![0.0; nrows * ncols],
        }
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }
    pub fn ncols(&self) -> usize {
        self.ncols
    }
    /// `[nrows, ncols]`.
    pub fn shape(&self) -> [usize; 2] {
        [self.nrows, self.ncols]
    }
    /// Row-major values.
    pub fn data(&self) -> &[f32] {
        &self.data
    }
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> f32 {
        assert!(
            i < self.nrows && j < self.ncols,
            "index ({i}, {j}) out of bounds"
        );
        self.data[i * self.ncols + j]
    }
    #[track_caller]
    pub fn set(&mut self, i: usize, j: usize, v: f32) {
        assert!(
            i < self.nrows && j < self.ncols,
            "index ({i}, {j}) out of bounds"
        );
        self.data[i * self.ncols + j] = v;
    }
    /// Row `i` as a slice.
    #[track_caller]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.ncols..(i + 1) * self.ncols]
    }

    /// `‖A‖_F`, accumulated in `f64`.
    pub fn frobenius_norm(&self) -> f64 {
        self.data
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum::<f64>()
            .sqrt()
    }

    /// Mean of all entries (`f64` accumulation).
    pub fn mean(&self) -> f64 {
        if self.data.is_empty() {
            return 0.0;
        }
        self.data.iter().map(|&v| v as f64).sum::<f64>() / self.data.len() as f64
    }

    /// Fails with a typed error naming the first NaN/Inf entry.
    pub fn check_finite(&self, what: &str) -> Result<()> {
        if let Some(k) = self.data.iter().position(|v| !v.is_finite()) {
            return Err(DataError::NonFinite {
                what: what.into(),
                row: k / self.ncols.max(1),
                col: k % self.ncols.max(1),
                value: self.data[k] as f64,
            });
        }
        Ok(())
    }

    /// Fails with a typed error naming the first negative entry.
    pub fn check_nonnegative(&self, what: &str) -> Result<()> {
        if let Some(k) = self.data.iter().position(|&v| v < 0.0) {
            return Err(DataError::Negative {
                what: what.into(),
                row: k / self.ncols.max(1),
                col: k % self.ncols.max(1),
                value: self.data[k] as f64,
            });
        }
        Ok(())
    }
}

/// A matrix read from a file, with the power of two its values were multiplied by on the way
/// from the file's `f64` to `f32` (0 almost always: see [`f32_values`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Scaled<M> {
    pub matrix: M,
    /// The values are the file's × 2^`exponent`.
    pub exponent: i32,
}

/// Magnitudes kept as they are when values become `f32`: the largest entry of a matrix within
/// [2^−100, 2^100] (about 8e−31 to 1.3e30). Beyond, the values are scaled first, so that a
/// file of valid numbers never turns into zeros, subnormals or infinities.
pub const F32_EXPONENT_WINDOW: i32 = 100;

/// `v` × 2^`k`, exactly unless the result leaves f64's range (steps keep 2^`k` finite).
pub fn times_pow2(mut v: f64, mut k: i32) -> f64 {
    while k != 0 {
        let step = k.clamp(-1000, 1000);
        v *= 2f64.powi(step);
        k -= step;
    }
    v
}

/// The values of a matrix with `ncols` columns (row-major), read in `f64`, as `f32`: a NaN or
/// an infinity is refused, naming its place; when the largest magnitude lies outside
/// [2^−[`F32_EXPONENT_WINDOW`], 2^[`F32_EXPONENT_WINDOW`]] every value is first multiplied by
/// the power of two that brings the largest into [1, 2) — exactly, so that the matrix keeps
/// its digits relative to its largest entry. Returns the values and that power's exponent.
pub fn f32_values(values: &[f64], ncols: usize, what: &str) -> Result<(Vec<f32>, i32)> {
    f32_values_nan(values, ncols, what, false)
}

/// [`f32_values`], keeping NaNs (missing entries) where `nan`.
pub(crate) fn f32_values_nan(
    values: &[f64],
    ncols: usize,
    what: &str,
    nan: bool,
) -> Result<(Vec<f32>, i32)> {
    let exponent = range_exponent(values, ncols, what, nan)?;
    let out = if exponent == 0 {
        values.iter().map(|&v| v as f32).collect()
    } else {
        values
            .iter()
            .map(|&v| times_pow2(v, exponent) as f32)
            .collect()
    };
    Ok((out, exponent))
}

/// [`f32_values`] for values kept in `f64`: multiplied in place by the same power of two (so
/// that no sum of squares overflows or underflows), whose exponent is returned.
pub fn f64_values(values: &mut [f64], ncols: usize, what: &str) -> Result<i32> {
    let exponent = range_exponent(values, ncols, what, false)?;
    if exponent != 0 {
        values
            .iter_mut()
            .for_each(|v| *v = times_pow2(*v, exponent));
    }
    Ok(exponent)
}

/// [`f64_values`] of values whose NaNs mark missing entries: they are kept (and left out of the
/// range); an infinity is refused.
pub fn f64_values_with_nan(values: &mut [f64], ncols: usize, what: &str) -> Result<i32> {
    let exponent = range_exponent(values, ncols, what, true)?;
    if exponent != 0 {
        values
            .iter_mut()
            .for_each(|v| *v = times_pow2(*v, exponent));
    }
    Ok(exponent)
}

/// The exponent of [`f32_values`]: 0, or minus the binary exponent of the largest magnitude
/// when that lies outside the window; a NaN (unless `nan`) or an infinity is refused, naming
/// its place.
fn range_exponent(values: &[f64], ncols: usize, what: &str, nan: bool) -> Result<i32> {
    if let Some(k) = values
        .iter()
        .position(|v| !(v.is_finite() || (nan && v.is_nan())))
    {
        return Err(DataError::NonFinite {
            what: what.into(),
            row: k / ncols.max(1),
            col: k % ncols.max(1),
            value: values[k],
        });
    }
    // f64::max ignores a NaN.
    let big = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    Ok(if big == 0.0 {
        0
    } else {
        // The binary exponent of `big`: big ∈ [2^e, 2^(e+1)).
        let e = big.log2().floor() as i32;
        let e = e + (times_pow2(big, -e) >= 2.0) as i32 - (times_pow2(big, -e) < 1.0) as i32;
        if e.abs() > F32_EXPONENT_WINDOW {
            -e
        } else {
            0
        }
    })
}

/// Relative tolerance of the symmetry check of [`validate_similarity`]: an asymmetry up to
/// `SYMMETRY_RTOL · max|X|` is accepted (text files round to a few digits) and averaged away.
pub const SYMMETRY_RTOL: f64 = 1e-5;

/// Fails unless a `rows` × `cols` matrix is square and not empty.
pub(crate) fn check_square(rows: usize, cols: usize, what: &str) -> Result<()> {
    if rows == 0 || cols == 0 {
        return Err(DataError::Empty { what: what.into() });
    }
    if rows != cols {
        return Err(DataError::NotSquare {
            what: what.into(),
            rows,
            cols,
        });
    }
    Ok(())
}

/// Checks that `x` can be a similarity matrix for SymNMF and returns it exactly symmetric.
///
/// Requirements, each failing with its own [`DataError`]: not empty, square, every entry finite,
/// every entry ≥ 0, and `|X_ij − X_ji| ≤ SYMMETRY_RTOL · max|X|`. Within that tolerance the
/// matrix is replaced by `(X + Xᵀ)/2`.
pub fn validate_similarity(mut x: Dense, what: &str) -> Result<Dense> {
    check_square(x.nrows, x.ncols, what)?;
    x.check_finite(what)?;
    x.check_nonnegative(what)?;
    let n = x.nrows;
    let max_abs = x.data.iter().fold(0.0f64, |m, &v| m.max(v.abs() as f64));
    let tol = SYMMETRY_RTOL * max_abs;
    for i in 0..n {
        for j in (i + 1)..n {
            let a = x.data[i * n + j] as f64;
            let b = x.data[j * n + i] as f64;
            if (a - b).abs() > tol {
                return Err(DataError::NotSymmetric {
                    what: what.into(),
                    row: i,
                    col: j,
                    a,
                    b,
                });
            }
            let m = ((a + b) * 0.5) as f32;
            x.data[i * n + j] = m;
            x.data[j * n + i] = m;
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: usize, v: &[f32]) -> Dense {
        Dense::new(n, v.len() / n, v.to_vec()).unwrap()
    }

    #[test]
    fn accepts_and_symmetrises_within_tolerance() {
        let x = m(2, &[1.0, 0.5, 0.500001, 2.0]);
        let y = validate_similarity(x, "X").unwrap();
        assert_eq!(y.get(0, 1), y.get(1, 0));
    }

    #[test]
    fn rejects_each_bad_input_with_its_own_error() {
        let cases: Vec<(Dense, &str)> = vec![
            (Dense::zeros(0, 0), "empty"),
            (m(2, &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), "square"),
            (m(2, &[1.0, f32::NAN, f32::NAN, 1.0]), "non-finite"),
            (m(2, &[1.0, f32::INFINITY, 0.0, 1.0]), "non-finite"),
            (m(2, &[1.0, -0.5, -0.5, 1.0]), "negative"),
            (m(2, &[1.0, 0.5, 0.1, 1.0]), "symmetric"),
        ];
        for (x, expect) in cases {
            let err = validate_similarity(x, "X").unwrap_err().to_string();
            assert!(err.contains(expect), "'{err}' should mention '{expect}'");
        }
    }

    #[test]
    fn new_checks_length() {
        assert!(Dense::new(2, 2, vec![0.0; 3]).is_err());
    }
}
