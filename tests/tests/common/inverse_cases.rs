//! Cases for the inversion layer `A ↦ A⁻¹` (custom autodiff op) on every backend:
//! identity `A·A⁻¹ ≈ I`, value and gradient equal to the plain-tensor-op reference
//! (Gauss–Jordan, differentiated by Burn's autodiff), and central finite differences.
//!
//! Test matrices: `A = GᵀG/r + I` with G an r×r standard normal matrix (seeded), whose
//! eigenvalues lie in [1, ≈5] (Marchenko–Pastur), so cond(A) ≤ 5 and every tolerance below can
//! be written as (a small constant) × r × ε × cond(A).

use nmfnet_datasets::catalog::synthetic::standard_normal;
use nmfnet_tests::{host, max_abs, max_diff, tensor, Precision, Target};
use rand::rngs::StdRng;
use rand::SeedableRng;
use symnmf_burn::{spd_inverse, spd_inverse_reference, SymNmfAutodiffBackend};

/// Upper bound of cond(A) for the matrices of [`random_spd`].
const COND: f64 = 5.0;

/// Matrix sizes: r = 2…64 (SymNMF-Net's range); on a software GPU, where each tensor op is a
/// round trip and the Gauss–Jordan reference takes ~5 ops per column, up to r = 10.
fn sizes(target: Target) -> &'static [usize] {
    if target.slow_ops {
        &[2, 5, 10]
    } else {
        &[2, 5, 10, 30, 64]
    }
}

fn random_spd(r: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let g: Vec<f64> = (0..r * r).map(|_| standard_normal(&mut rng)).collect();
    let mut a = vec![0.0; r * r];
    for i in 0..r {
        for j in 0..r {
            let s: f64 = (0..r).map(|k| g[k * r + i] * g[k * r + j]).sum();
            a[i * r + j] = s / r as f64 + if i == j { 1.0 } else { 0.0 };
        }
    }
    a
}

fn random_weights(r: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x9e37_79b9);
    (0..r * r).map(|_| standard_normal(&mut rng)).collect()
}

/// `A·A⁻¹ ≈ I`. The inverse is exact to the working precision (computed in f64, rounded once);
/// the product on the device adds at most ≈ r·ε·‖A‖·‖A⁻¹‖ ≤ r·ε·cond per entry. Tolerance:
/// 10·r·ε·cond.
pub fn identity<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    for (k, &r) in sizes(target).iter().enumerate() {
        let a = tensor::<B, 2>(random_spd(r, k as u64), [r, r], device);
        let prod = host(a.clone().matmul(spd_inverse(a)));
        let eye: Vec<f64> = (0..r * r)
            .map(|i| if i / r == i % r { 1.0 } else { 0.0 })
            .collect();
        let err = max_diff(&prod, &eye);
        let tol = 10.0 * r as f64 * target.eps() * COND;
        assert!(err <= tol, "r = {r}: max |A·A⁻¹ − I| = {err:e} > {tol:e}");
    }
}

/// Custom inverse equals the Gauss–Jordan reference. Gauss–Jordan without pivoting on an SPD
/// matrix is backward stable with growth ≤ cond; its error per entry is ≈ r·ε·cond·max|A⁻¹|,
/// and the custom result is within ε of exact. Tolerance: 10·r·ε·cond·max|A⁻¹|.
pub fn value_matches_reference<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    for (k, &r) in sizes(target).iter().enumerate() {
        let a = tensor::<B, 2>(random_spd(r, 100 + k as u64), [r, r], device);
        let custom = host(spd_inverse(a.clone()));
        let reference = host(spd_inverse_reference(a));
        let err = max_diff(&custom, &reference);
        let tol = 10.0 * r as f64 * target.eps() * COND * max_abs(&custom);
        assert!(
            err <= tol,
            "r = {r}: |custom − reference| = {err:e} > {tol:e}"
        );
    }
}

/// `∂L/∂A` of `L = Σ W ⊙ A⁻¹` (W random, not symmetric, so G = W is not symmetric and a
/// misplaced transpose would show): the hand-written backward against autodiff through the
/// Gauss–Jordan reference. Both are products of ~r error-carrying steps with A⁻¹ of norm ≤ 1;
/// tolerance 10·r·ε·cond²·max|∂L/∂A|.
pub fn gradient_matches_reference<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    for (k, &r) in sizes(target).iter().enumerate() {
        let a_host = random_spd(r, 200 + k as u64);
        let w = tensor::<B, 2>(random_weights(r, k as u64), [r, r], device);
        let grad_of = |reference: bool| -> Vec<f64> {
            let a = tensor::<B, 2>(a_host.clone(), [r, r], device).require_grad();
            let inv = if reference {
                spd_inverse_reference(a.clone())
            } else {
                spd_inverse(a.clone())
            };
            let grads = (inv * w.clone()).sum().backward();
            host(a.grad(&grads).expect("A is a leaf that requires grad"))
        };
        let custom = grad_of(false);
        let reference = grad_of(true);
        let err = max_diff(&custom, &reference);
        let tol = 10.0 * r as f64 * target.eps() * COND * COND * max_abs(&reference);
        assert!(err <= tol, "r = {r}: gradient error {err:e} > {tol:e}");
    }
}

/// Central finite differences of `L(A) = Σ W ⊙ A⁻¹`, perturbing A symmetrically (A_ij and A_ji
/// together, as the forward reads the symmetric part): the derivative is g_ij + g_ji (i ≠ j) or
/// g_ii. Error model: truncation h²·|L'''|/6 plus rounding ε·Σ|W ⊙ A⁻¹|/h.
/// f64: h = 1e-5, tolerance 1e-7·(1 + max|g|); f32: h = 1e-2, tolerance 2e-2·(1 + max|g|)
/// (f32 differences of an O(r²) sum are noisy; the reference comparison above is the tight one).
pub fn finite_differences<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let r = 5;
    let a_host = random_spd(r, 300);
    let w_host = random_weights(r, 300);
    let (h, rtol) = match target.precision {
        Precision::F64 => (1e-5, 1e-7),
        Precision::F32 => (1e-2, 2e-2),
    };
    let w = tensor::<B::InnerBackend, 2>(w_host.clone(), [r, r], device);
    let loss = |a: Vec<f64>| -> f64 {
        let a = tensor::<B::InnerBackend, 2>(a, [r, r], device);
        host((spd_inverse(a) * w.clone()).sum())[0]
    };
    let a = tensor::<B, 2>(a_host.clone(), [r, r], device).require_grad();
    let wd = tensor::<B, 2>(w_host, [r, r], device);
    let grads = (spd_inverse(a.clone()) * wd).sum().backward();
    let g = host(a.grad(&grads).expect("leaf"));
    let gmax = max_abs(&g);
    for i in 0..r {
        for j in i..r {
            let bump = |s: f64| {
                let mut m = a_host.clone();
                m[i * r + j] += s * h;
                if i != j {
                    m[j * r + i] += s * h;
                }
                m
            };
            let fd = (loss(bump(1.0)) - loss(bump(-1.0))) / (2.0 * h);
            let analytic = if i == j {
                g[i * r + i]
            } else {
                g[i * r + j] + g[j * r + i]
            };
            let tol = rtol * (1.0 + gmax);
            assert!(
                (fd - analytic).abs() <= tol,
                "({i},{j}): finite difference {fd} vs analytic {analytic} (tol {tol:e})"
            );
        }
    }
}

/// A matrix that is not positive definite has no Cholesky factor: the layer returns NaN, which
/// the training loop reports as a non-finite loss.
pub fn indefinite_gives_nan<B: SymNmfAutodiffBackend>(device: &B::Device, _: Target) {
    let a = tensor::<B, 2>(vec![1.0, 2.0, 2.0, 1.0], [2, 2], device);
    assert!(host(spd_inverse(a)).iter().all(|v| v.is_nan()));
}

/// The untracked path (inner backend, no autodiff) gives the same values.
pub fn inner_backend_forward<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let r = 10;
    let a_host = random_spd(r, 400);
    let outer = host(spd_inverse(tensor::<B, 2>(a_host.clone(), [r, r], device)));
    let inner = host(spd_inverse(tensor::<B::InnerBackend, 2>(
        a_host,
        [r, r],
        device,
    )));
    assert!(max_diff(&outer, &inner) <= target.eps() * max_abs(&outer));
}
