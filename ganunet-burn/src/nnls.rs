//! A differentiable NNLS layer for the W head: given the generator's basis images H and the
//! group Y, a fixed number of HALS sweeps (exact coordinate descent on the rows of W) refines W
//! towards `argmin_{W ≥ 0} ‖Y − HW‖_F`. Every sweep is plain tensor algebra (k×k and k×m
//! products, ReLU), so gradients reach H — and the starting W — through Burn's autodiff on any
//! backend. The paper (§5.2) tried such a layer through cvxpylayers and found it too slow; here
//! it costs a few k×k·k×m products per sweep.
//!
//! One row update, with `G = HᵀH` and `C = HᵀY`:
//! `W_j ← max(0, W_j + (C_j − G_j W) / G_jj)`. HALS never increases the objective; a basis image
//! that is all zero (`G_jj = 0`) leaves its row at zero (the division is guarded).
//!
//! [`hals_alternate`] runs the same sweep on both factors in turn (H given W, then W given H):
//! plain HALS for NMF started from the generator's output, an optional inference-time
//! refinement that trades a little of the one-pass speed for a lower error.

use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// Guards `G_jj` against a dead (all-zero) basis image.
const DIAGONAL_FLOOR: f64 = 1e-8;

/// `h`: [batch, pixels, k], `y`: [batch, pixels, m], `w`: [batch, k, m] (a start, ≥ 0) →
/// W after `sweeps` HALS sweeps, [batch, k, m], ≥ 0. `sweeps = 0` returns `w` unchanged.
pub fn hals_refine<B: Backend>(
    h: Tensor<B, 3>,
    y: Tensor<B, 3>,
    w: Tensor<B, 3>,
    sweeps: usize,
) -> Tensor<B, 3> {
    if sweeps == 0 {
        return w;
    }
    let [batch, k, m] = w.dims();
    let ht = h.swap_dims(1, 2); // [batch, k, pixels]
    let g = ht.clone().matmul(ht.clone().swap_dims(1, 2)); // [batch, k, k]
    let c = ht.matmul(y); // [batch, k, m]
                          // Row j of G and C divided by G_jj once, so a row update is one product and three
                          // element-wise ops: W_j ← max(0, W_j + C'_j − G'_j W).
    let inv_diag = (g.clone() * Tensor::eye(k, &g.device()).unsqueeze::<3>())
        .sum_dim(2)
        .add_scalar(DIAGONAL_FLOOR)
        .recip(); // [batch, k, 1]
    let g_scaled = g * inv_diag.clone();
    let c_scaled = c * inv_diag;
    let g_rows: Vec<Tensor<B, 3>> = (0..k).map(|j| g_scaled.clone().narrow(1, j, 1)).collect();
    let c_rows: Vec<Tensor<B, 3>> = (0..k).map(|j| c_scaled.clone().narrow(1, j, 1)).collect();
    let mut out = w;
    for _ in 0..sweeps {
        for j in 0..k {
            let row = out.clone().narrow(1, j, 1);
            let gw = g_rows[j].clone().matmul(out.clone()); // [batch, 1, m]
            let updated = relu(row + c_rows[j].clone() - gw);
            out = out.slice_assign([0..batch, j..j + 1, 0..m], updated);
        }
    }
    debug_assert_eq!(out.dims(), [batch, k, m]);
    out
}

/// Alternating HALS started from `(h, w)`: each round is one sweep on the basis images given
/// W (the transposed problem `Yᵀ ≈ WᵀHᵀ`) and then one sweep on W given the new H. Shapes as
/// in [`hals_refine`]: `h` [batch, pixels, k], `y` [batch, pixels, m], `w` [batch, k, m];
/// returns the refined (H, W), both ≥ 0, with `‖Y − HW‖_F` never larger than at the start
/// (every sweep is exact coordinate descent). `rounds = 0` returns the inputs unchanged.
pub fn hals_alternate<B: Backend>(
    h: Tensor<B, 3>,
    y: Tensor<B, 3>,
    w: Tensor<B, 3>,
    rounds: usize,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let yt = y.clone().swap_dims(1, 2); // [batch, m, pixels]
    let (mut h, mut w) = (h, w);
    for _ in 0..rounds {
        // Rows of Hᵀ are the basis images: the W-update with the roles of the factors swapped.
        let ht = hals_refine(w.clone().swap_dims(1, 2), yt.clone(), h.swap_dims(1, 2), 1);
        h = ht.swap_dims(1, 2);
        w = hals_refine(h.clone(), y.clone(), w, 1);
    }
    (h, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::Distribution;

    type B = NdArray<f32>;

    fn host(t: Tensor<B, 3>) -> Vec<f64> {
        t.into_data().convert::<f64>().to_vec::<f64>().unwrap()
    }

    /// Independent reference: HALS written on plain row-major arrays, one basis column at a
    /// time then one row of W at a time (Cichocki & Phan's update, no tensor algebra).
    fn reference_round(h: &mut [f64], w: &mut [f64], y: &[f64], p: usize, k: usize, m: usize) {
        for j in 0..k {
            // H[:, j] ← max(0, H[:, j] + (Y Wᵀ[:, j] − H (W Wᵀ)[:, j]) / (W Wᵀ)[j, j])
            let wwt: Vec<f64> = (0..k)
                .map(|l| (0..m).map(|c| w[l * m + c] * w[j * m + c]).sum())
                .collect();
            let d = wwt[j] + DIAGONAL_FLOOR;
            for r in 0..p {
                let ywt: f64 = (0..m).map(|c| y[r * m + c] * w[j * m + c]).sum();
                let hw: f64 = (0..k).map(|l| h[r * k + l] * wwt[l]).sum();
                h[r * k + j] = (h[r * k + j] + (ywt - hw) / d).max(0.0);
            }
        }
        for j in 0..k {
            let hth: Vec<f64> = (0..k)
                .map(|l| (0..p).map(|r| h[r * k + l] * h[r * k + j]).sum())
                .collect();
            let d = hth[j] + DIAGONAL_FLOOR;
            for c in 0..m {
                let hty: f64 = (0..p).map(|r| h[r * k + j] * y[r * m + c]).sum();
                let gw: f64 = (0..k).map(|l| hth[l] * w[l * m + c]).sum();
                w[j * m + c] = (w[j * m + c] + (hty - gw) / d).max(0.0);
            }
        }
    }

    #[test]
    fn alternating_rounds_match_a_plain_array_hals() {
        let device = Default::default();
        let (p, k, m) = (12, 3, 5);
        let h = Tensor::<B, 3>::random([1, p, k], Distribution::Uniform(0.0, 1.0), &device);
        let w = Tensor::<B, 3>::random([1, k, m], Distribution::Uniform(0.0, 1.0), &device);
        let y = Tensor::<B, 3>::random([1, p, m], Distribution::Uniform(0.0, 1.0), &device);
        let (mut hr, mut wr, yr) = (host(h.clone()), host(w.clone()), host(y.clone()));
        for _ in 0..3 {
            reference_round(&mut hr, &mut wr, &yr, p, k, m);
        }
        let (h3, w3) = hals_alternate(h, y, w, 3);
        for (a, b) in host(h3).iter().zip(&hr).chain(host(w3).iter().zip(&wr)) {
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    /// Objective never rises, factors stay ≥ 0, and many rounds reach a point where another
    /// round barely moves (a fixed point of HALS), on two groups at once.
    #[test]
    fn alternating_rounds_decrease_the_error_and_keep_signs() {
        let device = Default::default();
        let (p, k, m) = (30, 4, 8);
        // A planted nonnegative rank-4 product plus noise.
        let h0 = Tensor::<B, 3>::random([2, p, k], Distribution::Uniform(0.0, 1.0), &device);
        let w0 = Tensor::<B, 3>::random([2, k, m], Distribution::Uniform(0.0, 1.0), &device);
        let noise = Tensor::<B, 3>::random([2, p, m], Distribution::Uniform(0.0, 0.05), &device);
        let y = h0.matmul(w0) + noise;
        let mut h = Tensor::<B, 3>::random([2, p, k], Distribution::Uniform(0.0, 1.0), &device);
        let mut w = Tensor::<B, 3>::zeros([2, k, m], &device);
        let frob = |h: &Tensor<B, 3>, w: &Tensor<B, 3>| -> f64 {
            (h.clone().matmul(w.clone()) - y.clone())
                .square()
                .sum()
                .into_scalar() as f64
        };
        let mut last = frob(&h, &w);
        let start = last;
        for _ in 0..60 {
            (h, w) = hals_alternate(h, y.clone(), w, 1);
            assert!(h.clone().min().into_scalar() >= 0.0);
            assert!(w.clone().min().into_scalar() >= 0.0);
            let now = frob(&h, &w);
            assert!(now <= last * (1.0 + 1e-5), "{last} → {now}");
            last = now;
        }
        // Noise of amplitude ≤ 0.05 over 2·30·8 entries: a good fit sits near its energy.
        let noise_energy = 2.0 * (p * m) as f64 * 0.05f64.powi(2);
        assert!(
            last < 0.01 * start && last < 2.0 * noise_energy,
            "{start} → {last}"
        );
        let (h2, w2) = hals_alternate(h.clone(), y.clone(), w.clone(), 0);
        assert_eq!(host(h2), host(h));
        assert_eq!(host(w2), host(w));
    }
}
