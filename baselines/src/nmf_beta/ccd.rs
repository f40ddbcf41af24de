//! Cyclic coordinate descent for the generalised Kullback–Leibler divergence (Hsieh & Dhillon,
//! KDD 2011, without their variable selection): `solver='ccd'`.
//!
//! One half-sweep updates A (p × k) in R ≈ A·B with B (k × q) fixed: each row of A on its own
//! (rows do not interact; they run in parallel), each of its k entries in turn by one projected
//! Newton step on the one-variable objective f(a) = Σ_j v_j − r_j log v_j (+ l1·a + ½l2·a²),
//! v = (AB)_row, halved until f does not rise, so the objective never rises. Only R's nonzero
//! entries enter the sums: the rest of Σ v_j is a·(row sum of B), so a sparse R costs
//! O(nnz · k) per sweep. v is floored at `eps` where r > 0 (scikit-learn's floor).
//!
//! A row's nonzero entries are gathered once per half-sweep into contiguous buffers (values,
//! B's columns at them one coordinate after another, v), and every pass over them runs in
//! [`LANES`] independent partial sums, so that the compiler turns it into vector instructions
//! (AVX-512 or AVX2 where the processor has them, chosen at run time). The lanes fix the order
//! of every sum, so the iterates are the same on every x86-64 processor.

use crate::data::NmfData;
use crate::linalg::row_major;
use crate::simd::Simd;
use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::{row_sums, BetaGuards, Penalty};

/// Independent partial sums per pass over a row's entries: one AVX-512 register of f64.
const LANES: usize = 8;

/// A row's nonzero entries and what the coordinate steps read: reused across rows by a thread.
#[derive(Default)]
struct RowScratch {
    /// Column of each nonzero entry.
    cols: Vec<usize>,
    /// Its value r_j.
    r: Vec<f64>,
    /// B at the entries, coordinate-major: `bl[l·e + t]` = B[l, cols[t]] (e entries).
    bl: Vec<f64>,
    /// v_j = (AB)_j at the entries.
    v: Vec<f64>,
}

/// `x` floored at `eps` (one `max` instruction; `eps` > 0).
#[inline(always)]
fn floor_at(x: f64, eps: f64) -> f64 {
    if x > eps {
        x
    } else {
        eps
    }
}

/// Σ_t r_t·w_t/v̂_t and Σ_t r_t·w_t²/v̂_t², v̂ = v floored at `eps`: the gradient's and the
/// curvature's sums of f at the current point.
#[inline(always)]
fn grad_curv(r: &[f64], w: &[f64], v: &[f64], eps: f64) -> (f64, f64) {
    let (mut g, mut c) = ([0.0; LANES], [0.0; LANES]);
    let (rc, wc, vc) = (
        r.chunks_exact(LANES),
        w.chunks_exact(LANES),
        v.chunks_exact(LANES),
    );
    let (rr, wr, vr) = (rc.remainder(), wc.remainder(), vc.remainder());
    for ((r8, w8), v8) in rc.zip(wc).zip(vc) {
        for u in 0..LANES {
            let iv = 1.0 / floor_at(v8[u], eps);
            let q = r8[u] * w8[u] * iv;
            g[u] += q;
            c[u] += q * w8[u] * iv;
        }
    }
    for u in 0..rr.len() {
        let iv = 1.0 / floor_at(vr[u], eps);
        let q = rr[u] * wr[u] * iv;
        g[u] += q;
        c[u] += q * wr[u] * iv;
    }
    (g.iter().sum(), c.iter().sum())
}

/// Σ_t r_t·w_t/v̂(t)_t at v(t) = v + t·w floored at `eps`, and the least of v and v(t): f'
/// after the step (less the linear terms) and whether any floor was reached.
#[inline(always)]
fn grad_after(r: &[f64], w: &[f64], v: &[f64], step: f64, eps: f64) -> (f64, f64) {
    let (mut g, mut low) = ([0.0; LANES], [f64::INFINITY; LANES]);
    let (rc, wc, vc) = (
        r.chunks_exact(LANES),
        w.chunks_exact(LANES),
        v.chunks_exact(LANES),
    );
    let (rr, wr, vr) = (rc.remainder(), wc.remainder(), vc.remainder());
    for ((r8, w8), v8) in rc.zip(wc).zip(vc) {
        for u in 0..LANES {
            let vt = v8[u] + step * w8[u];
            g[u] += r8[u] * w8[u] / floor_at(vt, eps);
            let m = if vt < v8[u] { vt } else { v8[u] };
            low[u] = if m < low[u] { m } else { low[u] };
        }
    }
    for u in 0..rr.len() {
        let vt = vr[u] + step * wr[u];
        g[u] += rr[u] * wr[u] / floor_at(vt, eps);
        low[u] = low[u].min(vt.min(vr[u]));
    }
    (
        g.iter().sum(),
        low.iter().copied().fold(f64::INFINITY, f64::min),
    )
}

/// The coordinate steps of one row: `a` (k entries) against the gathered entries of `s`.
#[inline(always)]
fn row_steps(a: &mut [f64], s: &mut RowScratch, sums: &[f64], l1: f64, l2: f64, eps: f64) {
    let e = s.cols.len();
    s.v.clear();
    s.v.resize(e, 0.0);
    for (l, al) in a.iter().enumerate() {
        for (vt, b) in s.v.iter_mut().zip(&s.bl[l * e..(l + 1) * e]) {
            *vt += al * b;
        }
    }
    for l in 0..a.len() {
        let w = &s.bl[l * e..(l + 1) * e];
        let (gs, cs) = grad_curv(&s.r, w, &s.v, eps);
        let g = sums[l] + l1 + l2 * a[l] - gs;
        let hh = l2 + cs;
        let mut t = if hh > 0.0 {
            (-g / hh).max(-a[l])
        } else if g > 0.0 {
            -a[l]
        } else {
            0.0
        };
        if t == 0.0 {
            continue;
        }
        // A step up needs no check: the third derivative is negative (f'' falls as a grows),
        // so f' stays <= 0 up to the Newton point and f only falls. A step down can
        // overshoot; but f' is concave, so on [t, 0] it lies above its chord and
        // f(0) - f(t) >= |t|(f'(t) + f'(0))/2: where f'(t) + f'(0) >= 0 (one pass of
        // divisions, no floor reached) the step is safe without the logarithms.
        if t < 0.0 {
            let (ga, low) = grad_after(&s.r, w, &s.v, t, eps);
            let safe = low > eps && sums[l] + l1 + l2 * (a[l] + t) - ga + g >= 0.0;
            if !safe {
                t = checked_down_step(&s.r, w, &s.v, t, sums[l] + l1, l2, a[l], eps);
                if t == 0.0 {
                    continue;
                }
            }
        }
        a[l] += t;
        for (vt, b) in s.v.iter_mut().zip(w) {
            *vt += t * b;
        }
    }
}

/// A downward step `t` halved until f(x + t) ≤ f(x) (the logarithms of the row's entries;
/// 0 after 30 halvings). `lin` is the linear coefficient (row sum of B plus l1).
#[allow(clippy::too_many_arguments)]
fn checked_down_step(
    r: &[f64],
    w: &[f64],
    v: &[f64],
    mut t: f64,
    lin: f64,
    l2: f64,
    x: f64,
    eps: f64,
) -> f64 {
    let rise = |t: f64| -> f64 {
        let mut d = t * lin + 0.5 * l2 * t * (2.0 * x + t);
        for ((r, w), v) in r.iter().zip(w).zip(v) {
            d -= r * (floor_at(v + t * w, eps) / floor_at(*v, eps)).ln();
        }
        d
    };
    for _ in 0..30 {
        if rise(t) <= 0.0 {
            return t;
        }
        t *= 0.5;
    }
    0.0
}

/// `row_steps` compiled for AVX-512.
///
/// # Safety
/// The processor must have AVX-512F (checked by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn row_steps_avx512(
    a: &mut [f64],
    s: &mut RowScratch,
    sums: &[f64],
    l1: f64,
    l2: f64,
    eps: f64,
) {
    row_steps(a, s, sums, l1, l2, eps)
}

/// `row_steps` compiled for AVX2.
///
/// # Safety
/// The processor must have AVX2 (checked by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_steps_avx2(
    a: &mut [f64],
    s: &mut RowScratch,
    sums: &[f64],
    l1: f64,
    l2: f64,
    eps: f64,
) {
    row_steps(a, s, sums, l1, l2, eps)
}

impl Simd {
    fn row_steps(
        self,
        a: &mut [f64],
        s: &mut RowScratch,
        sums: &[f64],
        l1: f64,
        l2: f64,
        eps: f64,
    ) {
        match self {
            // SAFETY: `detect` found the instructions these versions are compiled for. They
            // contain no fused multiply-adds the plain version lacks (Rust never contracts
            // a·b + c), so all three compute the same numbers.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { row_steps_avx512(a, s, sums, l1, l2, eps) },
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { row_steps_avx2(a, s, sums, l1, l2, eps) },
            Simd::Plain => row_steps(a, s, sums, l1, l2, eps),
        }
    }
}

/// Gathers row `i` of R (of Rᵀ where `second`) into `s`: its nonzero entries and B's columns at
/// them (`bc` is Bᵀ row-major, k per column of B).
fn gather(y: NmfData<'_>, second: bool, i: usize, bc: &[f64], k: usize, s: &mut RowScratch) {
    s.cols.clear();
    s.r.clear();
    match y {
        NmfData::Dense(d) => {
            let len = if second { d.nrows() } else { d.ncols() };
            for j in 0..len {
                let x = if second { d[(j, i)] } else { d[(i, j)] };
                if x > 0.0 {
                    s.cols.push(j);
                    s.r.push(x);
                }
            }
        }
        NmfData::Single(_) => {
            let len = if second { y.nrows() } else { y.ncols() };
            for j in 0..len {
                let x = if second { y.get(j, i) } else { y.get(i, j) };
                if x > 0.0 {
                    s.cols.push(j);
                    s.r.push(x);
                }
            }
        }
        NmfData::Sparse(sp) => {
            let c = sp.compressed(second);
            for t in c.indptr[i]..c.indptr[i + 1] {
                if c.values[t] > 0.0 {
                    s.cols.push(c.indices[t]);
                    s.r.push(c.values[t]);
                }
            }
        }
    }
    let e = s.cols.len();
    s.bl.clear();
    s.bl.resize(k * e, 0.0);
    for (t, &j) in s.cols.iter().enumerate() {
        for (l, b) in bc[j * k..(j + 1) * k].iter().enumerate() {
            s.bl[l * e + t] = *b;
        }
    }
}

/// One half-sweep over A (p × k) in R ≈ A·B (R = Y, or Yᵀ where `second`), B fixed.
fn ccd_half(
    y: NmfData<'_>,
    second: bool,
    a: &mut Mat<f64>,
    b: MatRef<'_, f64>,
    l1: f64,
    l2: f64,
    eps: f64,
) {
    let (p, k) = (a.nrows(), a.ncols());
    let bc = row_major(b.transpose());
    let sums = row_sums(b, false);
    let simd = Simd::detect();
    let mut ar = row_major(a.as_ref());
    ar.par_chunks_mut(k)
        .enumerate()
        .for_each_init(RowScratch::default, |s, (i, row)| {
            gather(y, second, i, &bc, k, s);
            simd.row_steps(row, s, &sums, l1, l2, eps);
        });
    *a = Mat::from_fn(p, k, |i, l| ar[i * k + l]);
}

/// One iteration of the KL coordinate descent: H from (Y, W), then W from (Y, H) (unless fixed).
pub(crate) fn ccd_kl_step(
    y: NmfData<'_>,
    h: &mut Mat<f64>,
    w: &mut Mat<f64>,
    pen: &Penalty,
    g: BetaGuards,
    update_w: bool,
) {
    ccd_half(y, false, h, w.as_ref(), pen.l1_h, pen.l2_h, g.eps);
    if update_w {
        let mut wt = w.transpose().to_owned();
        let ht = h.transpose().to_owned();
        ccd_half(y, true, &mut wt, ht.as_ref(), pen.l1_w, pen.l2_w, g.eps);
        *w = wt.transpose().to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::uniform;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// The vector versions compute the plain version's numbers, bit for bit (odd lengths, so
    /// the remainder loops run too; entries near the floor, so the checked steps run).
    #[test]
    fn vector_versions_equal_the_plain_one() {
        let mut rng = StdRng::seed_from_u64(11);
        let (e, k) = (203, 7);
        let r = uniform(1, e, 3.0, &mut rng);
        let b = uniform(k, e, 1.0, &mut rng);
        let a0 = uniform(1, k, 2.0, &mut rng);
        let sums: Vec<f64> = (0..k).map(|l| b.row(l).iter().sum::<f64>() * 4.0).collect();
        let run = |simd: Simd| {
            let mut s = RowScratch {
                cols: (0..e).collect(),
                r: (0..e).map(|j| r[(0, j)]).collect(),
                bl: (0..k * e).map(|x| b[(x / e, x % e)]).collect(),
                v: Vec::new(),
            };
            let mut a: Vec<f64> = (0..k).map(|l| a0[(0, l)]).collect();
            for _ in 0..5 {
                simd.row_steps(&mut a, &mut s, &sums, 0.1, 0.05, 1e-3);
            }
            a
        };
        let plain = run(Simd::Plain);
        assert!(plain.iter().zip(a0.row(0).iter()).any(|(x, y)| x != y));
        assert!(plain.iter().all(|x| x.is_finite() && *x >= 0.0));
        let fast = run(Simd::detect());
        assert_eq!(
            plain.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            fast.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}
