//! The HALS sweep of a block of rows with 8 rows side by side in vector registers, compiled for
//! AVX-512, AVX2 and plain x86-64 (chosen at run time, the same numbers from each).

use crate::simd::Simd;

/// Rows of a sweep side by side in vector registers.
pub(super) const LANES: usize = 8;

/// What every lane group of a block's sweep shares.
pub(super) struct Lanes<'a> {
    /// Column stride of the block's column-major scratch (a multiple of [`LANES`]).
    pub(super) stride: usize,
    pub(super) r: usize,
    /// Q column by column.
    pub(super) qcols: &'a [f64],
    pub(super) order: &'a [usize],
    pub(super) floor: f64,
}

/// The sweep of one block (`w`, `p` column-major with stride `l.stride`), [`LANES`] rows at
/// a time: per row exactly the operations of the row-by-row sweep — t = Σ_j w_j·Q[:, j] in
/// order j (a zero w_j adds a zero, which leaves t's bits alone: t is never −0), then per
/// coordinate in `order` the projected-gradient term, the clipped Newton step and
/// t += δ·Q[:, l] (δ = 0 again a no-op) — so each row gets the bits it gets alone. The term of
/// step s of row i goes to `steps[s·stride + i]`.
///
/// # Safety
/// The processor must have the instructions of `I` (the caller checked them, [`Simd`]).
#[inline(always)]
unsafe fn sweep_lanes<I: LaneIsa>(
    l: &Lanes<'_>,
    w: &mut [f64],
    p: &[f64],
    t: &mut [Lane],
    steps: &mut [f64],
) {
    let (stride, r) = (l.stride, l.r);
    let t = &mut t[..r];
    for base in (0..stride).step_by(LANES) {
        let lane = |v: &[f64], c: usize| -> Lane {
            v[c * stride + base..][..LANES]
                .try_into()
                .expect("a lane group")
        };
        t.fill([0.0; LANES]);
        for j in 0..r {
            let wj = lane(w, j);
            for (tl, &q) in t.iter_mut().zip(&l.qcols[j * r..j * r + r]) {
                // SAFETY: `I` is the instruction set the caller was compiled for.
                unsafe { I::axpy(tl, &wj, q) };
            }
        }
        for (s, &c) in l.order.iter().enumerate() {
            let qc = &l.qcols[c * r..c * r + r];
            let qcc = qc[c];
            let (pc, tc) = (lane(p, c), t[c]);
            let mut wc = lane(w, c);
            let mut sc = [0.0; LANES];
            for i in 0..LANES {
                let grad = tc[i] - pc[i];
                sc[i] = if wc[i] <= l.floor {
                    grad.min(0.0)
                } else {
                    grad
                }
                .abs();
            }
            steps[s * stride + base..][..LANES].copy_from_slice(&sc);
            if qcc <= 0.0 {
                continue;
            }
            let mut delta = [0.0; LANES];
            for i in 0..LANES {
                let val = wc[i] + (pc[i] - tc[i]) / qcc;
                let new = if val > l.floor { val } else { l.floor };
                delta[i] = new - wc[i];
                // Kept as it was where nothing moves (keeps a −0 entry's sign).
                wc[i] = if delta[i] != 0.0 { new } else { wc[i] };
            }
            w[c * stride + base..][..LANES].copy_from_slice(&wc);
            for (tl, &q) in t.iter_mut().zip(qc) {
                // SAFETY: as above.
                unsafe { I::axpy(tl, &delta, q) };
            }
        }
    }
}

/// A lane group's values of one column.
pub(super) type Lane = [f64; LANES];

/// t += a·q lane by lane — a multiply, then an add, as the plain loop rounds — in the
/// instructions of one target. Written out with intrinsics where the compiler would otherwise
/// vectorise across the columns of t (gathers and scatters) instead of across the lanes.
trait LaneIsa {
    /// # Safety
    /// The processor must have the implementation's instructions.
    unsafe fn axpy(t: &mut Lane, a: &Lane, q: f64);
}

struct PlainIsa;

impl LaneIsa for PlainIsa {
    #[inline(always)]
    unsafe fn axpy(t: &mut Lane, a: &Lane, q: f64) {
        for i in 0..LANES {
            t[i] += a[i] * q;
        }
    }
}

#[cfg(target_arch = "x86_64")]
struct Avx512Isa;

#[cfg(target_arch = "x86_64")]
impl LaneIsa for Avx512Isa {
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn axpy(t: &mut Lane, a: &Lane, q: f64) {
        use std::arch::x86_64::*;
        let prod = _mm512_mul_pd(_mm512_loadu_pd(a.as_ptr()), _mm512_set1_pd(q));
        let sum = _mm512_add_pd(_mm512_loadu_pd(t.as_ptr()), prod);
        _mm512_storeu_pd(t.as_mut_ptr(), sum);
    }
}

#[cfg(target_arch = "x86_64")]
struct Avx2Isa;

#[cfg(target_arch = "x86_64")]
impl LaneIsa for Avx2Isa {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn axpy(t: &mut Lane, a: &Lane, q: f64) {
        use std::arch::x86_64::*;
        let qv = _mm256_set1_pd(q);
        for h in [0, 4] {
            let prod = _mm256_mul_pd(_mm256_loadu_pd(a.as_ptr().add(h)), qv);
            let sum = _mm256_add_pd(_mm256_loadu_pd(t.as_ptr().add(h)), prod);
            _mm256_storeu_pd(t.as_mut_ptr().add(h), sum);
        }
    }
}

/// `sweep_lanes` compiled for AVX-512.
///
/// # Safety
/// The processor must have AVX-512F (checked by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn sweep_lanes_avx512(
    l: &Lanes<'_>,
    w: &mut [f64],
    p: &[f64],
    t: &mut [Lane],
    steps: &mut [f64],
) {
    sweep_lanes::<Avx512Isa>(l, w, p, t, steps)
}

/// `sweep_lanes` compiled for AVX2.
///
/// # Safety
/// The processor must have AVX2 (checked by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sweep_lanes_avx2(
    l: &Lanes<'_>,
    w: &mut [f64],
    p: &[f64],
    t: &mut [Lane],
    steps: &mut [f64],
) {
    sweep_lanes::<Avx2Isa>(l, w, p, t, steps)
}

impl Simd {
    pub(super) fn sweep_lanes(
        self,
        l: &Lanes<'_>,
        w: &mut [f64],
        p: &[f64],
        t: &mut [Lane],
        steps: &mut [f64],
    ) {
        match self {
            // SAFETY: `detect` found the instructions these versions are compiled for; all
            // versions compute the same numbers (no fused multiply-adds, see `crate::simd`).
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => unsafe { sweep_lanes_avx512(l, w, p, t, steps) },
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { sweep_lanes_avx2(l, w, p, t, steps) },
            // SAFETY: plain x86-64 (or any target's) instructions.
            Simd::Plain => unsafe { sweep_lanes::<PlainIsa>(l, w, p, t, steps) },
        }
    }
}
