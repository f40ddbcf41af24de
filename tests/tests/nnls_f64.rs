//! The NNLS layer (`ganunet_burn::nnls`) on NdArray<f64> with tight tolerances (feature
//! `ndarray`), in a test process of its own: burn 0.21 keeps one default float dtype per device
//! type for the whole process, so f64 checks cannot share a binary with f32 ones.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Tensor, TensorData};
use ganunet_burn::hals_refine;

type B = NdArray<f64>;

fn tensor(values: Vec<f64>, shape: [usize; 3]) -> Tensor<B, 3> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

fn filled(value: f64, shape: [usize; 3]) -> Tensor<B, 3> {
    tensor(vec![value; shape.iter().product()], shape)
}

/// Uniform [0, 1) values from a seeded xorshift.
fn uniform(seed: u64, shape: [usize; 3]) -> Tensor<B, 3> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let values = (0..shape.iter().product::<usize>())
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    tensor(values, shape)
}

/// Two groups: H 30 pixels × 4 basis images, Y 30 pixels × 7 images, all in [0, 1).
fn problem(seed: u64) -> (Tensor<B, 3>, Tensor<B, 3>) {
    (
        uniform(2 * seed, [2, 30, 4]),
        uniform(2 * seed + 1, [2, 30, 7]),
    )
}

fn objective(h: &Tensor<B, 3>, y: &Tensor<B, 3>, w: &Tensor<B, 3>) -> f64 {
    (y.clone() - h.clone().matmul(w.clone()))
        .square()
        .sum()
        .into_scalar()
}

fn host(t: Tensor<B, 3>) -> Vec<f64> {
    t.into_data().to_vec::<f64>().unwrap()
}

/// HALS is a descent method: more sweeps never raise ‖Y − HW‖, and W stays ≥ 0.
#[test]
fn sweeps_never_increase_the_objective_and_keep_w_nonnegative() {
    let (h, y) = problem(1);
    let w0 = filled(0.0, [2, 4, 7]);
    let mut last = objective(&h, &y, &w0);
    for sweeps in [1, 2, 5, 20, 100] {
        let w = hals_refine(h.clone(), y.clone(), w0.clone(), sweeps);
        assert!(host(w.clone()).iter().all(|v| *v >= 0.0));
        let f = objective(&h, &y, &w);
        assert!(f <= last + 1e-12, "{sweeps} sweeps: {f} > {last}");
        last = f;
    }
    // Zero sweeps hand the start back untouched.
    let w = hals_refine(h, y, w0.clone(), 0);
    assert_eq!(host(w), host(w0));
}

/// After enough sweeps W meets the KKT conditions of NNLS — the independent reference: with
/// the gradient `∇ = HᵀHW − HᵀY`, `∇ ≥ 0` where `W = 0` and `∇ = 0` where `W > 0`.
#[test]
fn many_sweeps_reach_the_nnls_optimum() {
    let (h, y) = problem(2);
    let w = hals_refine(h.clone(), y.clone(), filled(1.0, [2, 4, 7]), 500);
    let grad = h
        .clone()
        .swap_dims(1, 2)
        .matmul(h.clone().matmul(w.clone()) - y.clone());
    let (w, grad) = (host(w), host(grad));
    let mut at_zero = 0;
    for (wi, gi) in w.iter().zip(&grad) {
        if *wi > 1e-9 {
            assert!(gi.abs() < 1e-6, "W = {wi} > 0 but ∇ = {gi}");
        } else {
            at_zero += 1;
            assert!(*gi > -1e-6, "W = 0 but ∇ = {gi} < 0");
        }
    }
    // Random nonnegative data: the optimum has both zero and positive weights, so both
    // branches of the check ran.
    assert!(
        at_zero > 0 && at_zero < w.len(),
        "{at_zero} of {} at zero",
        w.len()
    );
}

/// A dead basis image (all zero) keeps its row at zero instead of producing NaN.
#[test]
fn a_zero_basis_image_gives_a_zero_row_not_nan() {
    let (h, y) = problem(3);
    let h = h * tensor(vec![1.0, 0.0, 1.0, 1.0], [1, 1, 4]);
    let w = host(hals_refine(h, y, filled(0.0, [2, 4, 7]), 10));
    assert!(w.iter().all(|v| v.is_finite()));
    for b in 0..2 {
        assert!((0..7).all(|col| w[b * 28 + 7 + col] == 0.0));
    }
}

/// Gradients through the sweeps match central finite differences (f64): H enters both the
/// product and the layer.
#[test]
fn gradient_with_respect_to_h_matches_finite_differences() {
    type A = Autodiff<B>;
    let (h, y) = problem(4);
    let device = Default::default();
    let w0 = filled(0.3, [2, 4, 7]);
    let loss = |h: Tensor<A, 3>| -> Tensor<A, 1> {
        let y = Tensor::<A, 3>::from_inner(y.clone());
        let w = hals_refine(h.clone(), y.clone(), Tensor::from_inner(w0.clone()), 3);
        (y - h.matmul(w)).square().sum()
    };
    let hv = Tensor::<A, 3>::from_inner(h.clone()).require_grad();
    let grads = loss(hv.clone()).backward();
    let g = host(hv.grad(&grads).unwrap());
    let base = host(h);
    let step = 1e-6;
    for idx in [0usize, 5, 37, 119, 200, 239] {
        let eval = |delta: f64| -> f64 {
            let mut v = base.clone();
            v[idx] += delta;
            loss(Tensor::from_data(TensorData::new(v, [2, 30, 4]), &device)).into_scalar()
        };
        let fd = (eval(step) - eval(-step)) / (2.0 * step);
        assert!(
            (fd - g[idx]).abs() <= 1e-5 * (1.0 + fd.abs()),
            "H[{idx}]: autodiff {} vs finite differences {fd}",
            g[idx]
        );
    }
}
