//! β-divergences and penalties for plain NMF `Y ≈ HW`: scikit-learn's `beta_loss`, `alpha_W`,
//! `alpha_H` and `l1_ratio`, on dense and sparse Y.
//!
//! The β-divergence (Févotte & Idier 2011) summed over the entries, with scikit-learn's
//! definitions: d₂ = ½‖Y − HW‖², d₁ = Σ y log(y/v) − y + v (generalised Kullback–Leibler),
//! d₀ = Σ y/v − log(y/v) − 1 (Itakura–Saito), otherwise Σ (y^β + (β−1)v^β − β y v^(β−1)) /
//! (β(β−1)), v = (HW)_ij. Entries of Y at most ε count as zeros (their y-terms vanish) and v is
//! floored at ε where y > ε.
//!
//! MU for any β is scikit-learn's multiplicative update with Févotte's exponent γ (1/(2−β) for
//! β < 1, 1/(β−1) for β > 2, else 1): H ← H ∘ (((Y ∘ V^(β−2))Wᵀ) / (V^(β−1)Wᵀ + l1 + l2·H))^γ,
//! V = HW floored at ε (in the numerator where β < 2, in the denominator where β < 1), a zero
//! denominator replaced by ε, and for β ≤ 1 entries below float64's ε set to zero; then W the
//! same way from the new H. A sparse Y is never made dense: the numerator reads V at Y's
//! stored entries only, the denominator (β ∉ {1, 2}) builds V one row at a time.
//!
//! Every guard is in units of s = max Y, as all of nmfnet's guards are (issue 37): ε = 2⁻²³·s
//! for V, float64's ε·√s for the factors, so that the run on cY is the run on Y with both
//! factors scaled by √c. Where max Y = 1 they are scikit-learn's constants.
//!
//! Penalties, in nmfnet's orientation (Y m × n ≈ H m × k · W k × n; scikit-learn's `W` is
//! nmfnet's H and its `H` nmfnet's W): `alpha_h` and `alpha_w` weigh
//! l1·‖·‖₁ + ½·l2·‖·‖²_F of each factor, with `l1_ratio` splitting them and scikit-learn's
//! scaling — H's weights times n, W's times m.

use crate::data::{Compressed, NmfData};
use crate::linalg::{a_b, at_b, dot, row_major};
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// The guard of V = HW, in units of max Y: float32's ε, scikit-learn's `EPSILON`.
pub const BETA_EPS: f64 = f32::EPSILON as f64;

/// The penalty weights of a run, scaled as scikit-learn scales them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Penalty {
    pub l1_h: f64,
    pub l2_h: f64,
    pub l1_w: f64,
    pub l2_w: f64,
}

impl Penalty {
    /// The weights for an m × n Y: H's `alpha_h`·(l1_ratio, 1 − l1_ratio)·n, W's
    /// `alpha_w`·(l1_ratio, 1 − l1_ratio)·m.
    pub fn new(alpha_h: f64, alpha_w: f64, l1_ratio: f64, m: usize, n: usize) -> Self {
        let (m, n) = (m as f64, n as f64);
        Self {
            l1_h: n * alpha_h * l1_ratio,
            l2_h: n * alpha_h * (1.0 - l1_ratio),
            l1_w: m * alpha_w * l1_ratio,
            l2_w: m * alpha_w * (1.0 - l1_ratio),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.l1_h == 0.0 && self.l2_h == 0.0 && self.l1_w == 0.0 && self.l2_w == 0.0
    }

    /// l1_h‖H‖₁ + ½l2_h‖H‖² + l1_w‖W‖₁ + ½l2_w‖W‖² (both factors ≥ 0).
    pub fn value(&self, h: MatRef<'_, f64>, w: MatRef<'_, f64>) -> f64 {
        let sums = |a: MatRef<'_, f64>| {
            let (mut l1, mut l2) = (0.0, 0.0);
            for j in 0..a.ncols() {
                for &v in a.col(j).iter() {
                    l1 += v;
                    l2 += v * v;
                }
            }
            (l1, l2)
        };
        let mut total = 0.0;
        if self.l1_h != 0.0 || self.l2_h != 0.0 {
            let (l1, l2) = sums(h);
            total += self.l1_h * l1 + 0.5 * self.l2_h * l2;
        }
        if self.l1_w != 0.0 || self.l2_w != 0.0 {
            let (l1, l2) = sums(w);
            total += self.l1_w * l1 + 0.5 * self.l2_w * l2;
        }
        total
    }
}

/// Févotte's exponent of the MU step: 1/(2 − β) for β < 1, 1/(β − 1) for β > 2, else 1.
pub fn mu_exponent(beta: f64) -> f64 {
    if beta < 1.0 {
        1.0 / (2.0 - beta)
    } else if beta > 2.0 {
        1.0 / (beta - 1.0)
    } else {
        1.0
    }
}

/// The guards of one run, in units of s = max Y (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BetaGuards {
    /// V's floor, and the level at or below which an entry of Y counts as zero.
    pub eps: f64,
    /// Factors below it are set to zero after a step (β ≤ 1).
    pub floor: f64,
    /// A zero denominator is replaced by it.
    pub den: f64,
}

impl BetaGuards {
    pub fn new(beta: f64, s: f64) -> Self {
        Self {
            eps: BETA_EPS * s,
            floor: f64::EPSILON * s.sqrt(),
            den: BETA_EPS * s.powf(beta - 0.5),
        }
    }
}

/// v^(β−2), the weight of y in the numerator (v > 0 where β < 2).
#[inline]
fn pow_num(v: f64, beta: f64) -> f64 {
    if beta == 1.0 {
        1.0 / v
    } else if beta == 0.0 {
        let r = 1.0 / v;
        r * r
    } else {
        v.powf(beta - 2.0)
    }
}

/// v^(β−1), the denominator's term.
#[inline]
fn pow_den(v: f64, beta: f64) -> f64 {
    if beta == 0.0 {
        1.0 / v
    } else {
        v.powf(beta - 1.0)
    }
}

/// One MU step of A (p × k) in R ≈ A·B (B k × q): scikit-learn's update of its W for β, with
/// penalties (l1, l2) on A. H is updated with R = Y, A = H, B = W; W with R = Yᵀ, A = Wᵀ,
/// B = Hᵀ (`second`). scikit-learn treats its two factors a little differently, and so does
/// this: after the first half entries below the floor are zeroed for β < 1, after the second
/// for β ≤ 1; in the second, for β = 1, a zero column sum of B counts as 1.
#[allow(clippy::too_many_arguments)]
fn mu_half(
    y: NmfData<'_>,
    second: bool,
    a: &mut Mat<f64>,
    b: MatRef<'_, f64>,
    beta: f64,
    l1: f64,
    l2: f64,
    g: BetaGuards,
) {
    let (num, den) = if beta == 2.0 {
        // (R Bᵀ, A (B Bᵀ)).
        let rbt = if second {
            y.ht_times(b.transpose()).transpose().to_owned()
        } else {
            y.times_wt(b)
        };
        let den = a_b(a.as_ref(), a_b(b, b.transpose()).as_ref());
        (rbt, den)
    } else {
        match y {
            NmfData::Dense(d) => dense_terms(d, a.as_ref(), b, beta, g, second),
            NmfData::Single(d) => dense_terms(d.to_f64().as_ref(), a.as_ref(), b, beta, g, second),
            NmfData::Sparse(sp) => {
                let q = if second { sp.nrows() } else { sp.ncols() };
                sparse_terms(sp.compressed(second), q, a.as_ref(), b, beta, g, second)
            }
        }
    };
    let gamma = mu_exponent(beta);
    let zero_below = if second { beta <= 1.0 } else { beta < 1.0 };
    // The exponent's branch outside the loops: inside, the compiler if-converted it and called
    // pow for every entry even where γ = 1 (a quarter of a sparse Frobenius MU run's time).
    if gamma == 1.0 {
        mu_apply(a, &num, &den, l1, l2, g, zero_below, |delta| delta);
    } else {
        mu_apply(a, &num, &den, l1, l2, g, zero_below, |delta| {
            delta.powf(gamma)
        });
    }
}

/// A ← A ∘ step(num / (den + l1 + l2·A)), the denominator's zeros replaced by the guard and,
/// with `zero_below`, entries below the floor set to 0.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn mu_apply(
    a: &mut Mat<f64>,
    num: &Mat<f64>,
    den: &Mat<f64>,
    l1: f64,
    l2: f64,
    g: BetaGuards,
    zero_below: bool,
    step: impl Fn(f64) -> f64,
) {
    for l in 0..a.ncols() {
        for i in 0..a.nrows() {
            let old = a[(i, l)];
            let mut d = den[(i, l)];
            if l1 != 0.0 {
                d += l1;
            }
            if l2 != 0.0 {
                d += l2 * old;
            }
            if d == 0.0 {
                d = g.den;
            }
            let mut new = old * step(num[(i, l)] / d);
            if zero_below && new < g.floor {
                new = 0.0;
            }
            a[(i, l)] = new;
        }
    }
}

/// Numerator (R ∘ V^(β−2)) Bᵀ and denominator V^(β−1) Bᵀ (β = 1: B's row sums) of [`mu_half`]
/// for a dense Y, V = AB, computed in Y's orientation (V = HW, Y read down its columns) for
/// either half. One power per entry: v^(β−1) = v·v^(β−2) wherever both read the same v.
fn dense_terms(
    y: MatRef<'_, f64>,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    beta: f64,
    g: BetaGuards,
    second: bool,
) -> (Mat<f64>, Mat<f64>) {
    let (h, w) = if second {
        (b.transpose(), a.transpose())
    } else {
        (a, b)
    };
    let mut v = a_b(h, w);
    let with_den = beta != 1.0;
    let mut dv = if with_den {
        Mat::zeros(v.nrows(), v.ncols())
    } else {
        Mat::new()
    };
    const COLS: usize = 16;
    let fill = |j0: usize, mut vc: faer::MatMut<'_, f64>, mut dc: Option<faer::MatMut<'_, f64>>| {
        for c in 0..vc.ncols() {
            for i in 0..vc.nrows() {
                let x = vc[(i, c)];
                let vn = if beta < 2.0 { x.max(g.eps) } else { x };
                let pn = pow_num(vn, beta);
                if let Some(dc) = dc.as_mut() {
                    // v^(β−1) of the denominator's v (floored where β < 1, else as it is).
                    dc[(i, c)] = if !(1.0..=2.0).contains(&beta) || x >= g.eps {
                        vn * pn
                    } else {
                        pow_den(x, beta)
                    };
                }
                vc[(i, c)] = y[(i, j0 + c)] * pn;
            }
        }
    };
    if with_den {
        v.as_mut()
            .par_col_chunks_mut(COLS)
            .zip(dv.as_mut().par_col_chunks_mut(COLS))
            .enumerate()
            .for_each(|(c, (vc, dc))| fill(c * COLS, vc, Some(dc)));
    } else {
        v.as_mut()
            .par_col_chunks_mut(COLS)
            .enumerate()
            .for_each(|(c, vc)| fill(c * COLS, vc, None));
    }
    // Back to A's orientation: (Q Wᵀ, D Wᵀ), or (Qᵀ H, Dᵀ H) in the second half.
    let times = |m: &Mat<f64>| {
        if second {
            a_b(m.transpose(), h)
        } else {
            a_b(m.as_ref(), w.transpose())
        }
    };
    let num = times(&v);
    let den = if with_den {
        times(&dv)
    } else {
        let sums = row_sums(b, second);
        Mat::from_fn(a.nrows(), a.ncols(), |_, l| sums[l])
    };
    (num, den)
}

/// [`dense_terms`] for R in compressed rows of q columns: V at R's stored entries for the
/// numerator, one row of V at a time for the denominator; rows in parallel, each written by
/// one task, so the result does not depend on the thread count.
fn sparse_terms(
    r: &Compressed,
    q: usize,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    beta: f64,
    g: BetaGuards,
    second: bool,
) -> (Mat<f64>, Mat<f64>) {
    let (p, k) = (a.nrows(), a.ncols());
    // A by rows and B by columns, contiguous.
    let (ar, bc) = (row_major(a), row_major(b.transpose()));
    let sums = row_sums(b, second);
    let vdot = |ai: &[f64], j: usize| -> f64 {
        let bj = &bc[j * k..(j + 1) * k];
        ai.iter().zip(bj).map(|(x, y)| x * y).sum()
    };
    let mut num = vec![0.0; p * k];
    let mut den = vec![0.0; p * k];
    num.par_chunks_mut(k)
        .zip(den.par_chunks_mut(k))
        .enumerate()
        .for_each(|(i, (ni, di))| {
            let ai = &ar[i * k..(i + 1) * k];
            for e in r.indptr[i]..r.indptr[i + 1] {
                let j = r.indices[e];
                let v = vdot(ai, j);
                let vn = if beta < 2.0 { v.max(g.eps) } else { v };
                let c = r.values[e] * pow_num(vn, beta);
                for (n, y) in ni.iter_mut().zip(&bc[j * k..(j + 1) * k]) {
                    *n += c * y;
                }
            }
            if beta == 1.0 {
                di.copy_from_slice(&sums);
            } else {
                for j in 0..q {
                    let v = vdot(ai, j);
                    let vd = if beta < 1.0 { v.max(g.eps) } else { v };
                    let c = pow_den(vd, beta);
                    for (d, y) in di.iter_mut().zip(&bc[j * k..(j + 1) * k]) {
                        *d += c * y;
                    }
                }
            }
        });
    let at = |x: &[f64]| Mat::from_fn(p, k, |i, l| x[i * k + l]);
    (at(&num), at(&den))
}

/// B's row sums, KL's denominator; in the second half a zero sum counts as 1.
fn row_sums(b: MatRef<'_, f64>, second: bool) -> Vec<f64> {
    (0..b.nrows())
        .map(|l| {
            let s: f64 = b.row(l).iter().sum();
            if second && s == 0.0 {
                1.0
            } else {
                s
            }
        })
        .collect()
}

/// One MU iteration for β: H from (Y, W), then W from (Y, H).
pub(crate) fn mu_beta_step(
    y: NmfData<'_>,
    h: &mut Mat<f64>,
    w: &mut Mat<f64>,
    beta: f64,
    pen: &Penalty,
    g: BetaGuards,
    update_w: bool,
) {
    mu_half(y, false, h, w.as_ref(), beta, pen.l1_h, pen.l2_h, g);
    if update_w {
        let mut wt = w.transpose().to_owned();
        let ht = h.transpose();
        mu_half(y, true, &mut wt, ht, beta, pen.l1_w, pen.l2_w, g);
        *w = wt.transpose().to_owned();
    }
}

/// d_β(Y, HW), scikit-learn's `_beta_divergence` (module docs), with `eps` = 2⁻²³·max Y.
pub fn beta_divergence(
    y: NmfData<'_>,
    h: MatRef<'_, f64>,
    w: MatRef<'_, f64>,
    beta: f64,
    eps: f64,
) -> f64 {
    let (m, n) = (y.nrows(), y.ncols());
    if beta == 2.0 {
        // An f32 Y's cross term from f64 products: ‖Y‖² − 2⟨H, YWᵀ⟩ + ⟨HᵀH, WWᵀ⟩ cancels, and
        // the f32 products' rounding would be amplified by ‖Y‖²/‖Y − HW‖².
        let ywt = match y {
            NmfData::Single(s) => s.times_wt_f64(w),
            _ => y.times_wt(w),
        };
        let resid = y.frob_sq() - 2.0 * dot(h, ywt.as_ref())
            + dot(at_b(h, h).as_ref(), a_b(w, w.transpose()).as_ref());
        return 0.5 * resid.max(0.0);
    }
    // Per row i of Y: (Σ over y > ε of the y-terms, Σ_j v^β over the whole row).
    let wc = row_major(w.transpose());
    let k = w.nrows();
    let row_terms = |i: usize, entries: &mut dyn Iterator<Item = (usize, f64)>| -> (f64, f64) {
        let hi: Vec<f64> = (0..k).map(|l| h[(i, l)]).collect();
        let v_at = |j: usize| -> f64 {
            hi.iter()
                .zip(&wc[j * k..(j + 1) * k])
                .map(|(a, b)| a * b)
                .sum()
        };
        let mut s = 0.0;
        for (j, x) in entries {
            if x <= eps {
                continue;
            }
            let v = v_at(j).max(eps);
            s += if beta == 1.0 {
                x * (x / v).ln() - x
            } else if beta == 0.0 {
                x / v - (x / v).ln()
            } else {
                x.powf(beta) - beta * x * v.powf(beta - 1.0)
            };
        }
        let all = if beta == 1.0 || beta == 0.0 {
            0.0
        } else {
            (0..n).map(|j| v_at(j).powf(beta)).sum()
        };
        (s, all)
    };
    let mut per_row = vec![(0.0, 0.0); m];
    per_row.par_iter_mut().enumerate().for_each(|(i, out)| {
        *out = match y {
            NmfData::Dense(d) => row_terms(i, &mut (0..n).map(|j| (j, d[(i, j)]))),
            NmfData::Single(_) => row_terms(i, &mut (0..n).map(|j| (j, y.get(i, j)))),
            NmfData::Sparse(sp) => {
                let c = sp.compressed(false);
                let range = c.indptr[i]..c.indptr[i + 1];
                row_terms(i, &mut range.map(|e| (c.indices[e], c.values[e])))
            }
        };
    });
    let (s, all) = per_row
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    if beta == 1.0 {
        // Σ_ij v_ij = (column sums of H)·(row sums of W).
        let total: f64 = (0..k)
            .map(|l| h.col(l).iter().sum::<f64>() * w.row(l).iter().sum::<f64>())
            .sum();
        s + total
    } else if beta == 0.0 {
        s - (m * n) as f64
    } else {
        (s + (beta - 1.0) * all) / (beta * (beta - 1.0))
    }
}

mod ccd;
pub(crate) use ccd::ccd_kl_step;

#[cfg(test)]
mod tests;
