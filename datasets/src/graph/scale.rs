//! The scale of a similarity matrix: its spectral norm ‖X‖₂, which for a symmetric X ≥ 0 is
//! its Perron root (the largest eigenvalue, no smaller than any |eigenvalue|).
//!
//! Every SymNMF method expresses its scale-dependent settings in this unit (a default penalty
//! λ = ‖X‖₂, step sizes 1/‖X‖₂, floors ∝ √‖X‖₂, SymNMF-Net trains on X/‖X‖₂), so that the
//! factors of cX are √c times those of X. On the ncut-normalised graphs D^{-1/2}AD^{-1/2} the
//! unit is exactly 1, which is why it is computed to rounding rather than estimated: the
//! defaults there are the literature's values (λ = 1) to the last digit or so.
//!
//! The scale used is [`unit()`]: the norm, or exactly 1 within [`UNIT_SNAP`] of it.
//!
//! The estimate is Lanczos from the fixed positive start 1/√n with full reorthogonalisation,
//! stopped when the Ritz residual of the largest Ritz value falls below 10⁻¹³ of it. Every
//! quantity scales with X (the basis does not), so the result for cX is c times the result for
//! X, to rounding, however many steps it takes.

/// Lanczos steps at most (the basis holds this many vectors of length n, and no more than
/// [`BASIS_BYTES`]).
const MAX_STEPS: usize = 400;
/// Memory the Lanczos basis may take.
const BASIS_BYTES: usize = 512 << 20;
/// Relative Ritz residual at which the largest Ritz value is taken.
const TOL: f64 = 1e-13;

/// How far from 1 a computed ‖X‖₂ may lie and still be taken as 1: the rounding of X's f32
/// entries alone moves the norm of an exactly normalised graph by ~10⁻⁸.
pub const UNIT_SNAP: f64 = 1e-6;

/// The unit of X's scale-dependent settings: [`spectral_norm`], taken as exactly 1 when it lies
/// within [`UNIT_SNAP`] of 1, so that on a normalised graph (stored in f32) the settings are the
/// literature's values bit for bit. Zero for X = 0.
pub fn unit(n: usize, matvec: impl FnMut(&[f64], &mut [f64])) -> f64 {
    let s = spectral_norm(n, matvec);
    if (s - 1.0).abs() <= UNIT_SNAP {
        1.0
    } else {
        s
    }
}

/// ‖X‖₂ of a symmetric X ≥ 0 of order `n`, given `matvec(v, out)` writing `X·v` into `out`.
/// Zero for X = 0 (and for n = 0).
pub fn spectral_norm(n: usize, mut matvec: impl FnMut(&[f64], &mut [f64])) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let max_steps = MAX_STEPS.min(n).min((BASIS_BYTES / (8 * n)).max(8));
    let mut basis: Vec<Vec<f64>> = vec![vec![1.0 / (n as f64).sqrt(); n]];
    let (mut alpha, mut beta) = (Vec::<f64>::new(), Vec::<f64>::new());
    let mut w = vec![0.0; n];
    let mut theta = 0.0;
    for step in 0..max_steps {
        matvec(&basis[step], &mut w);
        let a = dot(&basis[step], &w);
        alpha.push(a);
        // Two passes of classical Gram–Schmidt against the whole basis keep it orthogonal to
        // rounding (the three-term recurrence alone loses orthogonality once a Ritz value
        // converges, which would duplicate it).
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &w);
                axpy(-c, q, &mut w);
            }
        }
        let b = norm(&w);
        let (t, y_last) = largest_ritz(&alpha, &beta);
        theta = t;
        // An invariant subspace (b ≈ 0) or a converged Ritz pair ends the iteration.
        let scale = alpha
            .iter()
            .chain(&beta)
            .fold(0.0f64, |m, v| m.max(v.abs()));
        if b <= f64::EPSILON * scale || b * y_last.abs() <= TOL * theta.abs() {
            break;
        }
        if step + 1 == max_steps {
            break;
        }
        beta.push(b);
        basis.push(w.iter().map(|v| v / b).collect());
    }
    theta.abs()
}

/// ‖v‖₂ without overflow or underflow of the squares.
fn norm(v: &[f64]) -> f64 {
    let big = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if big == 0.0 || !big.is_finite() {
        return big;
    }
    big * v.iter().map(|x| (x / big).powi(2)).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(c: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += c * xi;
    }
}

/// The largest eigenvalue θ of the symmetric tridiagonal matrix with diagonal `alpha` and
/// off-diagonal `beta` (one shorter), and the last component of its unit eigenvector.
///
/// θ by bisection on the Sturm count (to the last bit: the interval is halved until it no
/// longer shrinks); the eigenvector by one step of inverse iteration from θ, solved as a
/// tridiagonal system with partial pivoting.
fn largest_ritz(alpha: &[f64], beta: &[f64]) -> (f64, f64) {
    let k = alpha.len();
    if k == 1 {
        return (alpha[0], 1.0);
    }
    // Work on T/2^e with the largest entry near 1 (exact), so that squares neither overflow
    // nor underflow.
    let big = alpha.iter().chain(beta).fold(0.0f64, |m, v| m.max(v.abs()));
    if big == 0.0 || !big.is_finite() {
        return (0.0, 1.0);
    }
    let unit = 2f64.powi(big.log2().ceil() as i32);
    let a: Vec<f64> = alpha.iter().map(|v| v / unit).collect();
    let b: Vec<f64> = beta.iter().map(|v| v / unit).collect();
    let (theta, y) = largest_ritz_unit(&a, &b);
    (theta * unit, y)
}

/// [`largest_ritz`] of a tridiagonal matrix with entries of order 1.
fn largest_ritz_unit(alpha: &[f64], beta: &[f64]) -> (f64, f64) {
    let k = alpha.len();
    // Gershgorin bounds.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..k {
        let r = beta.get(i).map_or(0.0, |b| b.abs()) + if i > 0 { beta[i - 1].abs() } else { 0.0 };
        lo = lo.min(alpha[i] - r);
        hi = hi.max(alpha[i] + r);
    }
    // Number of eigenvalues below x (Sturm sequence of the LDLᵀ pivots).
    let below = |x: f64| -> usize {
        let mut count = 0;
        let mut d = 1.0f64;
        for i in 0..k {
            let b2 = if i > 0 {
                beta[i - 1] * beta[i - 1]
            } else {
                0.0
            };
            d = alpha[i] - x - if i > 0 { b2 / d } else { 0.0 };
            if d == 0.0 {
                d = -f64::MIN_POSITIVE;
            }
            if d < 0.0 {
                count += 1;
            }
        }
        count
    };
    // The largest eigenvalue lies in [lo, hi]: keep `below(hi) == k`, `below(lo) < k`.
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) == k {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let theta = hi;
    (theta, last_component(alpha, beta, theta))
}

/// The last component of the unit eigenvector of the tridiagonal matrix for the eigenvalue
/// `theta`: one inverse-iteration solve `(T − σI) y = (1, …, 1)` with σ nudged off θ so that the
/// system is regular (Gaussian elimination with partial pivoting, which fills in one more
/// superdiagonal), then normalised.
fn last_component(alpha: &[f64], beta: &[f64], theta: f64) -> f64 {
    let k = alpha.len();
    let scale = alpha.iter().chain(beta).fold(0.0f64, |m, v| m.max(v.abs()));
    let sigma = theta + 4.0 * f64::EPSILON * scale.max(f64::MIN_POSITIVE);
    let mut d: Vec<f64> = alpha.iter().map(|a| a - sigma).collect();
    let mut u1: Vec<f64> = beta.to_vec();
    u1.push(0.0);
    let mut u2 = vec![0.0; k];
    let mut rhs = vec![1.0; k];
    for i in 0..k - 1 {
        let l = beta[i];
        if l.abs() > d[i].abs() {
            // Row i+1 = (l, d[i+1], u1[i+1]) becomes the pivot row.
            let m = d[i] / l;
            let (old_u1, old_d1, old_u1n) = (u1[i], d[i + 1], u1[i + 1]);
            d[i] = l;
            u1[i] = old_d1;
            u2[i] = old_u1n;
            d[i + 1] = old_u1 - m * old_d1;
            u1[i + 1] = -m * old_u1n;
            rhs.swap(i, i + 1);
            rhs[i + 1] -= m * rhs[i];
        } else {
            if d[i] == 0.0 {
                d[i] = f64::MIN_POSITIVE;
            }
            let m = l / d[i];
            d[i + 1] -= m * u1[i];
            rhs[i + 1] -= m * rhs[i];
        }
    }
    let mut y = vec![0.0; k];
    for i in (0..k).rev() {
        let mut v = rhs[i];
        if i + 1 < k {
            v -= u1[i] * y[i + 1];
        }
        if i + 2 < k {
            v -= u2[i] * y[i + 2];
        }
        y[i] = v / if d[i] == 0.0 { f64::MIN_POSITIVE } else { d[i] };
    }
    let big = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(big.is_finite() && big > 0.0) {
        return 1.0;
    }
    let norm = big * y.iter().map(|v| (v / big).powi(2)).sum::<f64>().sqrt();
    y[k - 1] / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense_matvec(x: &[Vec<f64>]) -> impl FnMut(&[f64], &mut [f64]) + '_ {
        move |v, out| {
            for (o, row) in out.iter_mut().zip(x) {
                *o = dot(row, v);
            }
        }
    }

    /// A random symmetric nonnegative matrix from a small LCG (no dependency on a generator).
    #[allow(clippy::needless_range_loop)] // (i, j) and (j, i) are written together
    fn random_sym(n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in 0..=i {
                let v = if next() < 0.3 { next() } else { 0.0 };
                x[i][j] = v;
                x[j][i] = v;
            }
        }
        x
    }

    /// The largest eigenvalue by power iteration run to its end, as an independent reference.
    fn power(x: &[Vec<f64>]) -> f64 {
        let n = x.len();
        let mut v = vec![1.0; n];
        let mut est = 0.0;
        for _ in 0..20_000 {
            let mut w = vec![0.0; n];
            dense_matvec(x)(&v, &mut w);
            let nrm = dot(&w, &w).sqrt();
            est = dot(&v, &w) / dot(&v, &v);
            v = w.iter().map(|a| a / nrm).collect();
        }
        est
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // a matrix filled by its indices
    fn the_perron_root_of_random_and_ncut_matrices() {
        for seed in 0..5 {
            let x = random_sym(40 + 7 * seed as usize, seed);
            let s = spectral_norm(x.len(), dense_matvec(&x));
            let p = power(&x);
            assert!((s - p).abs() <= 1e-12 * p, "seed {seed}: {s} vs {p}");
        }
        // D^{-1/2} A D^{-1/2} of a graph with two loosely joined cliques: λ₁ = 1 exactly and
        // λ₂ close to it, the hard case for power iteration.
        let n = 60;
        let mut a = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in 0..n {
                if i != j && (i < 30) == (j < 30) {
                    a[i][j] = 1.0;
                }
            }
        }
        a[0][30] = 1e-3;
        a[30][0] = 1e-3;
        let d: Vec<f64> = a.iter().map(|r| r.iter().sum()).collect();
        let x: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| a[i][j] / (d[i] * d[j]).sqrt()).collect())
            .collect();
        let s = spectral_norm(n, dense_matvec(&x));
        assert!((s - 1.0).abs() <= 1e-14, "ncut graph: {s}");
    }

    #[test]
    fn the_scale_of_cx_is_c_times_the_scale_of_x() {
        let x = random_sym(50, 9);
        let s = spectral_norm(50, dense_matvec(&x));
        for c in [1e-300, 1e-6, 3.7e-3, 1e6, 1e300] {
            let cx: Vec<Vec<f64>> = x
                .iter()
                .map(|r| r.iter().map(|v| c * v).collect())
                .collect();
            let sc = spectral_norm(50, dense_matvec(&cx));
            assert!(
                (sc / (c * s) - 1.0).abs() <= 1e-13,
                "c = {c}: {sc} vs {}",
                c * s
            );
        }
        assert_eq!(spectral_norm(3, |_, out| out.fill(0.0)), 0.0);
        assert_eq!(spectral_norm(1, |v, out| out[0] = 2.5 * v[0]), 2.5);
    }
}
