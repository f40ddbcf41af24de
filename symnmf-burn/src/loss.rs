//! The SymNMF-Net loss (SPEC §2):
//! `Σ_{i=1..K} ( ‖X − U_iU_iᵀ‖² + β‖P_i − (X+λI)U_{i−1}‖² ) + γ‖U_K‖₁`.
//!
//! `‖X − UUᵀ‖²` is evaluated as `‖X‖² − 2 tr(UᵀXU) + ‖UᵀU‖²`: one n×r product `XU` per factor
//! and no n×n intermediate (with a sparse X, none ever: see [`crate::similarity`]). `XU_i` serves
//! both the reconstruction term of block i and the proximity term of block i+1, so a loss
//! evaluation needs K+1 products with X. The factors do not depend on X (the blocks see only
//! `U_{i−1}ᵀU_{i−1}` and the `P_i`), so on a dense X the K+1 products are one wide product
//! ([`Similarity::matmul_each`]), and so are their gradients.
//! In `f32` this form loses relative accuracy when the error is tiny compared with `‖X‖²`
//! (cancellation); on similarity graphs the relative error stays ≥ 0.2, far from that regime.
//! [`loss_direct`] builds the n×n residuals and is kept for tests.

use crate::config::{Reduction, SymNmfNetConfig};
use crate::similarity::{Similarity, SparseBackend};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// The loss and the parts worth logging.
#[derive(Debug, Clone)]
pub struct LossParts<B: Backend> {
    /// The training objective, shape `[1]`.
    pub total: Tensor<B, 1>,
    /// `‖X − U_KU_Kᵀ‖²` (sum form, not reduced), shape `[1]`.
    pub recon_last: Tensor<B, 1>,
    /// `‖P_i − (X+λI)U_{i−1}‖²` for i = 1..K (sum form, not reduced), each of shape `[1]`.
    pub prox: Vec<Tensor<B, 1>>,
}

struct Scales {
    recon: f64,
    prox: f64,
    l1: f64,
}

fn scales(reduction: Reduction, n: usize, r: usize) -> Scales {
    match reduction {
        Reduction::Sum => Scales {
            recon: 1.0,
            prox: 1.0,
            l1: 1.0,
        },
        Reduction::Mean => Scales {
            recon: 1.0 / (n * n) as f64,
            prox: 1.0 / (n * r) as f64,
            l1: 1.0 / (n * r) as f64,
        },
    }
}

/// The loss from the forward factors `us = [U_0, …, U_K]`, the `P_i` and λ (shape `[1]`).
/// `x_norm2` is `‖X‖²` (a constant of the problem, computed once).
pub fn loss<B: SparseBackend>(
    cfg: &SymNmfNetConfig,
    x: &Similarity<B>,
    x_norm2: f64,
    us: &[Tensor<B, 2>],
    ps: &[Tensor<B, 2>],
    lambda: Tensor<B, 1>,
) -> LossParts<B> {
    let k = ps.len();
    assert_eq!(us.len(), k + 1, "loss needs U_0..U_K for K = {k} blocks");
    let [n, r] = us[0].dims();
    let s = scales(cfg.reduction, n, r);
    let lam = lambda.reshape([1, 1]);
    let xu = x.matmul_each(us);

    let mut total: Option<Tensor<B, 1>> = None;
    let mut recon_last = None;
    let mut proxes = Vec::with_capacity(k);
    for i in 1..=k {
        let u = &us[i];
        let cross = (u.clone() * xu[i].clone()).sum();
        let gram = u.clone().transpose().matmul(u.clone()).square().sum();
        let recon = gram - cross * 2.0 + x_norm2;
        let prox = (ps[i - 1].clone() - xu[i - 1].clone() - us[i - 1].clone() * lam.clone())
            .square()
            .sum();
        proxes.push(prox.clone());
        let term = recon.clone() * s.recon + prox * (cfg.beta * s.prox);
        total = Some(match total {
            None => term,
            Some(t) => t + term,
        });
        if i == k {
            recon_last = Some(recon);
        }
    }
    let mut total = total.expect("at least one block");
    if cfg.gamma > 0.0 {
        // U_K ≥ 0 after the ReLU, so ‖U_K‖₁ is its sum.
        total = total + us[k].clone().sum() * (cfg.gamma * s.l1);
    }
    LossParts {
        total,
        recon_last: recon_last.expect("at least one block"),
        prox: proxes,
    }
}

/// The same loss built from the n×n residuals `X − U_iU_iᵀ` and `(X+λI)U` directly (tests).
pub fn loss_direct<B: Backend>(
    cfg: &SymNmfNetConfig,
    x: &Tensor<B, 2>,
    us: &[Tensor<B, 2>],
    ps: &[Tensor<B, 2>],
    lambda: Tensor<B, 1>,
) -> Tensor<B, 1> {
    let k = ps.len();
    let [n, r] = us[0].dims();
    let s = scales(cfg.reduction, n, r);
    let eye = Tensor::<B, 2>::eye(n, &x.device());
    let x_lam = x.clone() + eye * lambda.reshape([1, 1]);
    let mut total = Tensor::<B, 1>::zeros([1], &x.device());
    for i in 1..=k {
        let resid = x.clone() - us[i].clone().matmul(us[i].clone().transpose());
        let prox = ps[i - 1].clone() - x_lam.clone().matmul(us[i - 1].clone());
        total = total + resid.square().sum() * s.recon + prox.square().sum() * (cfg.beta * s.prox);
    }
    if cfg.gamma > 0.0 {
        total = total + us[k].clone().abs().sum() * (cfg.gamma * s.l1);
    }
    total
}
