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
    let g_rows: Vec<Tensor<B, 3>> = (0..k).map(|j| g.clone().narrow(1, j, 1)).collect();
    let inv_diag: Vec<Tensor<B, 3>> = g_rows
        .iter()
        .enumerate()
        .map(|(j, row)| (row.clone().narrow(2, j, 1) + DIAGONAL_FLOOR).recip())
        .collect();
    let c_rows: Vec<Tensor<B, 3>> = (0..k).map(|j| c.clone().narrow(1, j, 1)).collect();
    let mut rows: Vec<Tensor<B, 3>> = (0..k).map(|j| w.clone().narrow(1, j, 1)).collect();
    for _ in 0..sweeps {
        for j in 0..k {
            let current = Tensor::cat(rows.clone(), 1); // [batch, k, m]
            let gw = g_rows[j].clone().matmul(current); // [batch, 1, m]
            let step = (c_rows[j].clone() - gw) * inv_diag[j].clone();
            rows[j] = relu(rows[j].clone() + step);
        }
    }
    let out = Tensor::cat(rows, 1);
    debug_assert_eq!(out.dims(), [batch, k, m]);
    out
}
