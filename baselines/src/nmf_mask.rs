//! Missing entries: plain NMF `Y ≈ HW` fitted over the observed entries of Y only, minimising
//! ½‖M ∘ (Y − HW)‖² (+ the penalties), M = 0 at the missing entries and 1 elsewhere.
//!
//! Y is held with its missing entries set to 0 (dense or sparse, as ever), and [`Missing`]
//! lists where they are. Every masked quantity is the unmasked one corrected at those entries
//! only, so the cost is that of the plain solver plus O(|missing| · k) per half-iteration and
//! nothing of size m × n is made:
//! * (M ∘ Y) Wᵀ = Y₀ Wᵀ;
//! * (M ∘ HW) Wᵀ = H (WWᵀ) − C, C_il = Σ_{j missing in row i} (HW)_ij W_lj;
//! * ‖M ∘ (Y − HW)‖² = ‖Y₀‖² − 2⟨H, Y₀Wᵀ⟩ + ⟨HᵀH, WWᵀ⟩ − Σ_missing (HW)²_ij.
//!
//! For a fixed W the masked objective separates by the rows of H, so each row is swept on its
//! own (in parallel), with (HW) at the row's missing entries kept up to date:
//! * HALS — for l = 1…k in turn, h_il ← max(0, h_il − g_il / d_il), g the gradient of the
//!   masked objective (penalties included) and d_il = Σ_{j observed} W_lj² + l2 its curvature
//!   (an entry with d_il = 0, whose observed partners are all zero, stays as it is);
//! * MU — h_il ← h_il · (Y₀Wᵀ)_il / ((M ∘ HW)Wᵀ + l1 + l2·h_il + ε), all l from the same H;
//! * ANLS — each row's exact NNLS over its observed entries (block principal pivoting, its own
//!   Gram matrix WWᵀ − Σ_{j missing} w_j w_jᵀ).
//!
//! W is then updated the same way from Yᵀ, column by column of Y. Both are the plain updates
//! where no entry is missing, but for HALS's unit-norm rescaling and its floor, which the
//! masked sweeps do not take (they are scikit-learn's coordinate descent on the observed
//! entries): a run with nothing missing goes through [`crate::nmf::nmf_from`] unchanged.

use crate::data::{NmfData, SparseMatrix};
use crate::error::{param, Result, SolverError};
use crate::history::{Recorder, StopReason};
use crate::linalg::{a_b, at_b, row_major};
use crate::nmf::{
    nmf_state, nmf_state_from, nnls_robust, CoordinateOrder, NmfFit, NmfMethod, NmfParams, NmfStop,
    ViolationRule, MU_EPS,
};
use crate::nmf_beta::Penalty;
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// Positions in compressed rows: row i's entries are `indices[indptr[i]..indptr[i + 1]]`,
/// increasing.
#[derive(Clone, Debug, PartialEq)]
struct Pattern {
    indptr: Vec<usize>,
    indices: Vec<usize>,
}

impl Pattern {
    /// From (row, column) pairs of a matrix with `rows` rows (any order; repeats dropped).
    fn new(rows: usize, pairs: &[(usize, usize)]) -> Self {
        let mut indptr = vec![0usize; rows + 1];
        for &(i, _) in pairs {
            indptr[i + 1] += 1;
        }
        for i in 0..rows {
            indptr[i + 1] += indptr[i];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0usize; pairs.len()];
        for &(i, j) in pairs {
            indices[next[i]] = j;
            next[i] += 1;
        }
        // Sort each row and drop repeats.
        let mut out_ptr = vec![0usize; rows + 1];
        let mut out = Vec::with_capacity(indices.len());
        for i in 0..rows {
            let row = &mut indices[indptr[i]..indptr[i + 1]];
            row.sort_unstable();
            let start = out.len();
            for &j in row.iter() {
                if out.len() == start || out[out.len() - 1] != j {
                    out.push(j);
                }
            }
            out_ptr[i + 1] = out.len();
        }
        Self {
            indptr: out_ptr,
            indices: out,
        }
    }

    fn row(&self, i: usize) -> &[usize] {
        &self.indices[self.indptr[i]..self.indptr[i + 1]]
    }
}

/// The missing entries of an m × n Y, by rows and by columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Missing {
    nrows: usize,
    ncols: usize,
    by_row: Pattern,
    by_col: Pattern,
}

impl Missing {
    /// The entries at `positions` (row, column) of an m × n Y are missing. Refused: a position
    /// outside Y, and a row or a column with no observed entry (nothing could fit it).
    pub fn new(m: usize, n: usize, positions: &[(usize, usize)]) -> Result<Self> {
        if let Some(&(i, j)) = positions.iter().find(|&&(i, j)| i >= m || j >= n) {
            return Err(SolverError::Shape(format!(
                "missing entry ({i}, {j}) lies outside the {m} × {n} matrix"
            )));
        }
        let by_row = Pattern::new(m, positions);
        let swapped: Vec<(usize, usize)> = positions.iter().map(|&(i, j)| (j, i)).collect();
        let by_col = Pattern::new(n, &swapped);
        for (what, pattern, len, other) in [("row", &by_row, m, n), ("column", &by_col, n, m)] {
            if let Some(index) = (0..len).find(|&i| pattern.row(i).len() == other) {
                return Err(SolverError::Unobserved { what, index });
            }
        }
        Ok(Self {
            nrows: m,
            ncols: n,
            by_row,
            by_col,
        })
    }

    /// How many entries are missing.
    pub fn len(&self) -> usize {
        self.by_row.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }

    /// `y` without its stored entries at missing positions (the masked solvers hold Y with
    /// its missing entries at 0).
    pub fn drop_from(&self, y: &SparseMatrix) -> Result<SparseMatrix> {
        if (y.nrows(), y.ncols()) != self.shape() {
            return Err(SolverError::Shape(format!(
                "the missing entries are those of a {} × {} matrix, Y is {} × {}",
                self.nrows,
                self.ncols,
                y.nrows(),
                y.ncols()
            )));
        }
        let rows = y.compressed(false);
        let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
        for i in 0..self.nrows {
            let gone = self.by_row.row(i);
            for e in rows.indptr[i]..rows.indptr[i + 1] {
                let j = rows.indices[e];
                if gone.binary_search(&j).is_err() {
                    indices.push(j);
                    values.push(rows.values[e]);
                }
            }
            indptr.push(indices.len());
        }
        SparseMatrix::from_csr(self.nrows, self.ncols, indptr, indices, values)
    }

    /// Σ_{missing (i, j)} (HW)_ij² and the corrections C_H = [(HW)∘P]Wᵀ (m × k) and
    /// C_W = Hᵀ[(HW)∘P] (k × n), P the missing entries' indicator.
    pub(crate) fn corrections(
        &self,
        h: MatRef<'_, f64>,
        w: MatRef<'_, f64>,
    ) -> (f64, Mat<f64>, Mat<f64>) {
        let k = h.ncols();
        let (hr, wc) = (row_major(h), row_major(w.transpose()));
        let mut sq = 0.0;
        let mut ch = Mat::zeros(h.nrows(), k);
        let mut cw = Mat::zeros(k, w.ncols());
        for (i, j) in self.positions() {
            let (hi, wj) = (&hr[i * k..(i + 1) * k], &wc[j * k..(j + 1) * k]);
            let v: f64 = hi.iter().zip(wj).map(|(a, b)| a * b).sum();
            sq += v * v;
            for l in 0..k {
                ch[(i, l)] += v * wj[l];
                cw[(l, j)] += v * hi[l];
            }
        }
        (sq, ch, cw)
    }

    /// The missing (row, column) positions, row by row.
    pub fn positions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.nrows).flat_map(move |i| self.by_row.row(i).iter().map(move |&j| (i, j)))
    }
}

/// One masked HALS sweep or MU step of A (p × k) in R ≈ A·B over R's observed entries:
/// `rb` = R₀Bᵀ (p × k), `bbt` = BBᵀ, `bc` the columns of B (q of them, k each, contiguous),
/// `miss` R's missing entries by rows. Returns the sweep's violation (HALS: Σ |projected
/// gradient| before each update, summed row by row in order).
#[allow(clippy::too_many_arguments)]
fn masked_half(
    method: NmfMethod,
    a: &mut Mat<f64>,
    rb: MatRef<'_, f64>,
    bbt: &Mat<f64>,
    bc: &[f64],
    miss: &Pattern,
    l1: f64,
    l2: f64,
    mu_eps: f64,
    order: Option<&[usize]>,
) -> Result<f64> {
    let natural: Vec<usize> = (0..a.ncols()).collect();
    let order = order.unwrap_or(&natural);
    let (p, k) = (a.nrows(), a.ncols());
    let mut ar = row_major(a.as_ref());
    let rbr = row_major(rb);
    let q = row_major(bbt.as_ref()); // symmetric: row l is column l
    let mut violations = vec![0.0; p];
    ar.par_chunks_mut(k)
        .zip(violations.par_iter_mut())
        .enumerate()
        .try_for_each(|(i, (h, viol))| -> Result<()> {
            let r = &rbr[i * k..(i + 1) * k];
            let cols = miss.row(i);
            // (AB) at the row's missing entries, and t = h·BBᵀ.
            let mut v: Vec<f64> = cols
                .iter()
                .map(|&j| {
                    h.iter()
                        .zip(&bc[j * k..(j + 1) * k])
                        .map(|(x, y)| x * y)
                        .sum()
                })
                .collect();
            let mut t = vec![0.0; k];
            for (l, &hl) in h.iter().enumerate() {
                if hl != 0.0 {
                    for (tv, &qv) in t.iter_mut().zip(&q[l * k..(l + 1) * k]) {
                        *tv += hl * qv;
                    }
                }
            }
            match method {
                NmfMethod::Anls => {
                    // The row's own NNLS: Gram matrix over its observed columns (+ l2·I),
                    // right-hand side minus l1, warm-started from the row.
                    let mut g = Mat::from_fn(k, k, |a, b| q[a * k + b]);
                    for &j in cols {
                        let bj = &bc[j * k..(j + 1) * k];
                        for b in 0..k {
                            for a in 0..k {
                                g[(a, b)] -= bj[a] * bj[b];
                            }
                        }
                    }
                    for l in 0..k {
                        g[(l, l)] += l2;
                    }
                    let rhs = Mat::from_fn(k, 1, |l, _| r[l] - l1);
                    let warm = Mat::from_fn(k, 1, |l, _| h[l]);
                    let x = nnls_robust(&g, rhs.as_ref(), Some(warm.as_ref()))?;
                    for (l, hl) in h.iter_mut().enumerate() {
                        *hl = x[(l, 0)];
                    }
                }
                NmfMethod::Mu => {
                    let old = h.to_vec();
                    for l in 0..k {
                        let c: f64 = cols.iter().zip(&v).map(|(&j, vj)| vj * bc[j * k + l]).sum();
                        let den = t[l] - c + l1 + l2 * old[l];
                        h[l] = old[l] * r[l] / (den + mu_eps);
                    }
                }
                _ => {
                    let mut sum = 0.0;
                    for &l in order {
                        let (mut cw, mut cv) = (0.0, 0.0);
                        for (&j, vj) in cols.iter().zip(&v) {
                            let wl = bc[j * k + l];
                            cw += wl * wl;
                            cv += vj * wl;
                        }
                        let grad = t[l] - cv - r[l] + l1 + l2 * h[l];
                        sum += if h[l] > 0.0 {
                            grad.abs()
                        } else {
                            (-grad).max(0.0)
                        };
                        let den = q[l * k + l] - cw + l2;
                        if den <= 0.0 {
                            continue;
                        }
                        let new = (h[l] - grad / den).max(0.0);
                        let delta = new - h[l];
                        if delta != 0.0 {
                            for (tv, &qv) in t.iter_mut().zip(&q[l * k..(l + 1) * k]) {
                                *tv += delta * qv;
                            }
                            for (&j, vj) in cols.iter().zip(v.iter_mut()) {
                                *vj += delta * bc[j * k + l];
                            }
                            h[l] = new;
                        }
                    }
                    *viol = sum;
                }
            }
            Ok(())
        })?;
    *a = Mat::from_fn(p, k, |i, l| ar[i * k + l]);
    Ok(violations.iter().sum())
}

/// Fits `Y ≈ HW` over the observed entries of Y (its missing ones held as 0) from (H₀, W₀), by
/// HALS, MU or ANLS (each row's own NNLS over its observed entries; Frobenius), stopped by `params.stop`: the projected gradient (SPEC §3, of the
/// masked objective), HALS's violation or MU's divergence rule (scikit-learn's).
pub fn nmf_masked<'a>(
    method: NmfMethod,
    y: impl Into<NmfData<'a>>,
    missing: &Missing,
    params: &NmfParams,
    h0: Mat<f64>,
    w0: Mat<f64>,
) -> Result<NmfFit> {
    let y = y.into();
    y.check()?;
    let (m, n) = (y.nrows(), y.ncols());
    if missing.shape() != (m, n) {
        return Err(SolverError::Shape(format!(
            "the missing entries are those of a {} × {} matrix, Y is {m} × {n}",
            missing.nrows, missing.ncols
        )));
    }
    crate::check_max_iter(params.max_iter)?;
    let k = params.rank;
    if h0.shape() != (m, k) || w0.shape() != (k, n) {
        return Err(SolverError::Shape(format!(
            "start H is {}×{} and W {}×{}, expected {m}×{k} and {k}×{n}",
            h0.nrows(),
            h0.ncols(),
            w0.nrows(),
            w0.ncols()
        )));
    }
    if params.beta_loss != 2.0 {
        return Err(param(
            "beta_loss",
            "missing entries are fitted in the Frobenius norm (β = 2)",
        ));
    }
    if !matches!(method, NmfMethod::Mu | NmfMethod::Hals | NmfMethod::Anls) {
        return Err(param(
            "method",
            format!("missing entries are fitted by mu, hals or anls; got {method}"),
        ));
    }
    match (params.stop, method) {
        (NmfStop::Violation, NmfMethod::Mu) => {
            return Err(param("stop", "the violation rule is HALS's; mu stops by the projected gradient or the divergence rule"))
        }
        (NmfStop::Divergence, NmfMethod::Hals) => {
            return Err(param("stop", "the divergence rule is MU's; hals stops by the projected gradient or the violation"))
        }
        _ => {}
    }
    crate::nmf::check_shuffle(method, params)?;
    if params.precision != crate::data::Precision::F64 {
        return Err(param(
            "precision",
            "missing entries are fitted with f64 products; use f64",
        ));
    }
    let s = y.max_entry();
    if !(s > 0.0 && s.is_finite()) {
        return Err(SolverError::ZeroMatrix);
    }
    let mu_eps = MU_EPS * s * s.sqrt();
    let pen = Penalty::new(params.alpha_h, params.alpha_w, params.l1_ratio, m, n);
    let yf = y.frob_sq();
    let mut rec = Recorder::new(params.tol, params.record_every, None, None)
        .with_patience(params.min_iter, params.patience)
        .with_cancel(&params.cancel)
        .with_verbose(&params.verbose);
    let (mut h, mut w) = (h0, w0);
    let mut iter = 0;
    let mut rule = ViolationRule::new(params.tol, &params.verbose);
    let mut order = CoordinateOrder::new(params);
    let (mut error_at_init, mut previous) = (f64::NAN, f64::NAN);
    // HᵀY and HᵀH at the current H, from the last W-half (the state reuses them).
    let mut at_h: Option<(Mat<f64>, Mat<f64>)> = None;
    let reason = loop {
        let ywt = y.times_wt(w.as_ref());
        let wwt = a_b(w.as_ref(), w.transpose());
        let mut state = |h: &Mat<f64>, w: &Mat<f64>| {
            let (hty, hth) = at_h
                .take()
                .unwrap_or_else(|| (y.ht_times(h.as_ref()), at_b(h.as_ref(), h.as_ref())));
            nmf_state_from(yf, h, w, &pen, Some(missing), [&ywt, &wwt, &hty, &hth])
        };
        if params.stop == NmfStop::ProjectedGradient {
            let (obj, rel, pg) = state(&h, &w);
            let stop = rec.check(
                method.name(),
                iter,
                params.max_iter,
                obj,
                rel,
                pg,
                h.as_ref(),
            )?;
            if let Some(r) = stop {
                break r;
            }
        } else {
            if params.cancel.is_cancelled() {
                return Err(SolverError::Cancelled { iter });
            }
            if iter == 0
                || (params.stop == NmfStop::Divergence && params.tol > 0.0 && iter % 10 == 0)
            {
                let (obj, rel, pg) = state(&h, &w);
                rec.observe(iter, obj, rel, pg, h.as_ref());
                if params.stop == NmfStop::Divergence {
                    let error = rel * yf.sqrt();
                    if iter > 0 {
                        params.verbose.say(|| {
                            format!(
                                "Epoch {iter:02} reached after {:.3} seconds, error: {error:.6}",
                                rec.seconds()
                            )
                        });
                    }
                    if iter == 0 {
                        (error_at_init, previous) = (error, error);
                    } else {
                        if (previous - error) / error_at_init < params.tol {
                            break StopReason::Tolerance;
                        }
                        previous = error;
                    }
                }
            }
            if iter >= params.max_iter {
                break StopReason::MaxIterations;
            }
        }
        at_h = None;
        let wc = row_major(w.transpose());
        let v_h = masked_half(
            method,
            &mut h,
            ywt.as_ref(),
            &wwt,
            &wc,
            &missing.by_row,
            pen.l1_h,
            pen.l2_h,
            mu_eps,
            order.next(),
        )?;
        let mut v_w = 0.0;
        if !params.fix_w {
            let hty = y.ht_times(h.as_ref());
            let hth = at_b(h.as_ref(), h.as_ref());
            let hr = row_major(h.as_ref());
            let mut wt = w.transpose().to_owned();
            v_w = masked_half(
                method,
                &mut wt,
                hty.transpose(),
                &hth,
                &hr,
                &missing.by_col,
                pen.l1_w,
                pen.l2_w,
                mu_eps,
                order.next(),
            )?;
            w = wt.transpose().to_owned();
            at_h = Some((hty, hth));
        }
        iter += 1;
        if params.stop == NmfStop::Violation && rule.met(v_h + v_w, iter)? {
            break StopReason::Tolerance;
        }
    };
    let seconds = rec.seconds();
    let (obj, rel, pg) = nmf_state(y, yf, &h, &w, &pen, Some(missing));
    if params.stop != NmfStop::ProjectedGradient && rec.history.last().map(|r| r.iter) != Some(iter)
    {
        rec.observe(iter, obj, rel, pg, h.as_ref());
    }
    let (history, convergence) = rec.finish(iter, reason, Some((obj, rel, h.as_ref())));
    Ok(NmfFit {
        method,
        h,
        w,
        history,
        convergence,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::uniform;
    use crate::nmf::nmf_from;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    /// A 40 × 30 Y in [0, 1) with about `frac` of its entries missing (held as 0).
    fn holes(frac: f64, seed: u64) -> (Mat<f64>, Missing) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut y = uniform(40, 30, 1.0, &mut rng);
        let mut gone = Vec::new();
        for j in 0..30 {
            for i in 0..40 {
                if rng.random::<f64>() < frac {
                    gone.push((i, j));
                    y[(i, j)] = 0.0;
                }
            }
        }
        (y, Missing::new(40, 30, &gone).unwrap())
    }

    fn start(seed: u64) -> (Mat<f64>, Mat<f64>) {
        let mut rng = StdRng::seed_from_u64(seed);
        (uniform(40, 3, 1.0, &mut rng), uniform(3, 30, 1.0, &mut rng))
    }

    #[test]
    fn unobserved_rows_and_columns_and_stray_positions_are_refused() {
        let row: Vec<_> = (0..5).map(|j| (2, j)).collect();
        let err = Missing::new(4, 5, &row).unwrap_err();
        assert!(
            err.to_string().contains("row 2 of Y has no observed entry"),
            "{err}"
        );
        let col: Vec<_> = (0..4).map(|i| (i, 1)).collect();
        let err = Missing::new(4, 5, &col).unwrap_err();
        assert!(err.to_string().contains("column 1"), "{err}");
        assert!(Missing::new(4, 5, &[(4, 0)]).is_err());
        // Repeats count once.
        assert_eq!(
            Missing::new(4, 5, &[(1, 1), (1, 1), (0, 3)]).unwrap().len(),
            2
        );
    }

    #[test]
    fn nothing_missing_is_scikit_learns_coordinate_descent() {
        let (y, _) = holes(0.0, 1);
        let none = Missing::new(40, 30, &[]).unwrap();
        let (h0, w0) = start(2);
        let mut p = NmfParams::new(3);
        (p.stop, p.max_iter, p.tol) = (NmfStop::Violation, 100, 1e-6);
        let a = nmf_masked(
            NmfMethod::Hals,
            y.as_ref(),
            &none,
            &p,
            h0.clone(),
            w0.clone(),
        )
        .unwrap();
        let b = nmf_from(NmfMethod::Hals, y.as_ref(), &p, h0, w0).unwrap();
        assert_eq!(a.convergence.iterations, b.convergence.iterations);
        let diff = (&a.h - &b.h).norm_max() + (&a.w - &b.w).norm_max();
        assert!(diff <= 1e-9, "{diff}");
    }

    #[test]
    fn the_masked_objective_falls_and_ignores_the_missing_values() {
        let (y, missing) = holes(0.25, 3);
        for (method, stop) in [
            (NmfMethod::Hals, NmfStop::ProjectedGradient),
            (NmfMethod::Mu, NmfStop::ProjectedGradient),
            (NmfMethod::Anls, NmfStop::ProjectedGradient),
        ] {
            let (h0, w0) = start(4);
            let mut p = NmfParams::new(3);
            (p.stop, p.max_iter, p.tol) = (stop, 200, 1e-4);
            let fit = nmf_masked(method, y.as_ref(), &missing, &p, h0, w0).unwrap();
            let obj: Vec<f64> = fit.history.iter().map(|r| r.objective).collect();
            for pair in obj.windows(2) {
                assert!(pair[1] <= pair[0] * (1.0 + 1e-12), "{method}: {obj:?}");
            }
            // The objective is over the observed entries: recomputed entry by entry.
            let v = &fit.h * &fit.w;
            let gone: std::collections::HashSet<_> = missing.positions().collect();
            let mut direct = 0.0;
            for j in 0..30 {
                for i in 0..40 {
                    if !gone.contains(&(i, j)) {
                        direct += 0.5 * (y[(i, j)] - v[(i, j)]).powi(2);
                    }
                }
            }
            let last = *obj.last().unwrap();
            assert!(
                (last - direct).abs() <= 1e-9 * direct,
                "{method}: {last} vs {direct}"
            );
        }
    }

    #[test]
    fn a_sparse_y_gives_the_dense_masked_fit_and_cy_its_scaled_fit() {
        let (y, missing) = holes(0.2, 5);
        let s = crate::data::SparseMatrix::from_dense(y.as_ref()).unwrap();
        for method in [NmfMethod::Hals, NmfMethod::Mu] {
            let (h0, w0) = start(6);
            let mut p = NmfParams::new(3);
            (p.max_iter, p.tol) = (60, 1e-4);
            let d = nmf_masked(method, y.as_ref(), &missing, &p, h0.clone(), w0.clone()).unwrap();
            let sp = nmf_masked(method, &s, &missing, &p, h0.clone(), w0.clone()).unwrap();
            assert_eq!(d.convergence.iterations, sp.convergence.iterations);
            assert!(
                (&d.h - &sp.h).norm_max() <= 1e-10 * d.h.norm_max(),
                "{method}"
            );
            let c: f64 = 1e-6;
            let yc = Mat::from_fn(40, 30, |i, j| c * y[(i, j)]);
            let r = c.sqrt();
            let (hc, wc) = (
                Mat::from_fn(40, 3, |i, l| r * h0[(i, l)]),
                Mat::from_fn(3, 30, |l, j| r * w0[(l, j)]),
            );
            let scaled = nmf_masked(method, yc.as_ref(), &missing, &p, hc, wc).unwrap();
            assert_eq!(
                d.convergence.iterations, scaled.convergence.iterations,
                "{method}"
            );
            let expect = Mat::from_fn(40, 3, |i, l| r * d.h[(i, l)]);
            assert!(
                (&expect - &scaled.h).norm_max() <= 1e-9 * expect.norm_max(),
                "{method}"
            );
        }
    }
}
