//! SymNMF-Net (Li, Kong, Lin): K unrolled blocks
//! `U_i = ReLU( P_i · (U_{i−1}ᵀ U_{i−1} + λ I_r)⁻¹ )`, with learnable `P_i ∈ R^{n×r}` and one
//! learnable λ shared by all blocks, initialised by Algorithm 1.

use crate::backend::NetBackend;
use crate::config::SymNmfNetConfig;
use crate::error::{Result, SymNmfError};
use crate::inverse::{spd_inverse, InverseBackend};
use crate::norms::scalar;
use crate::similarity::Similarity;
use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The unrolled network.
#[derive(Module, Debug)]
pub struct SymNmfNet<B: Backend> {
    /// `P_1 … P_K`, each n×r.
    pub p: Vec<Param<Tensor<B, 2>>>,
    /// λ, shape `[1]`.
    pub lambda: Param<Tensor<B, 1>>,
    /// The input `U₀` (n×r), stored with the parameters but not trained.
    pub u0: Param<Tensor<B, 2>>,
    /// Lower bound of Proposition 1, `½(‖X‖_F + ‖X − U₀U₀ᵀ‖_F)` (not persisted: recomputed by
    /// [`SymNmfNetConfig::init`]).
    pub lambda_bound: f64,
    /// Whether λ is projected above `lambda_bound` after each step.
    pub project_lambda: bool,
}

/// One block: `ReLU(P (UᵀU + λI)⁻¹)`, with `lambda` of shape `[1]`.
pub fn block<B: InverseBackend>(
    u_prev: Tensor<B, 2>,
    p: Tensor<B, 2>,
    lambda: Tensor<B, 1>,
) -> Tensor<B, 2> {
    let r = u_prev.dims()[1];
    let eye = Tensor::<B, 2>::eye(r, &u_prev.device());
    let a = u_prev.clone().transpose().matmul(u_prev) + eye * lambda.reshape([1, 1]);
    relu(p.matmul(spd_inverse(a)))
}

/// `U₀ = scale · sqrt(mean(X)/r) · rand(n, r)` with uniform entries in [0, 1), seeded, drawn on
/// the host so that every backend starts from the same numbers.
pub fn initial_u0<B: Backend>(
    n: usize,
    r: usize,
    x_mean: f64,
    scale: f64,
    seed: u64,
    device: &B::Device,
) -> Tensor<B, 2> {
    let mut rng = StdRng::seed_from_u64(seed);
    let s = scale * (x_mean.max(0.0) / r as f64).sqrt();
    let data: Vec<f32> = (0..n * r)
        .map(|_| (s * rng.random::<f64>()) as f32)
        .collect();
    Tensor::from_data(
        TensorData::new(data, [n, r]).convert::<B::FloatElem>(),
        device,
    )
}

impl SymNmfNetConfig {
    /// Builds the network for the n×n similarity matrix `x` by Algorithm 1: from `U₀`, run the
    /// scheme `U_i = max((X+λI)U_{i−1}(U_{i−1}ᵀU_{i−1}+λI)⁻¹, 0)` and set `P_i = (X+λI)U_{i−1}`,
    /// so that the untrained network reproduces K steps of scheme (4) exactly.
    ///
    /// `x` is assumed validated (square, finite, nonnegative, symmetric; see
    /// `nmfnet_datasets::matrix::validate_similarity`); a dense tensor or a
    /// [`crate::SparseSymmetric`] converts into it.
    pub fn init<B: NetBackend>(
        &self,
        x: impl Into<Similarity<B>>,
        seed: u64,
    ) -> Result<SymNmfNet<B>> {
        let x: Similarity<B> = x.into();
        let [n, m] = x.dims();
        if n != m {
            return Err(SymNmfError::NotSquare { rows: n, cols: m });
        }
        self.validate(n)?;
        let device = x.device();
        let r = self.rank;
        let x = x.detach();
        let x_norm2 = x.frobenius2();
        if x_norm2 == 0.0 {
            return Err(SymNmfError::ZeroMatrix);
        }
        let x_norm = x_norm2.sqrt();
        let x_mean = x.mean();
        let u0 = initial_u0::<B>(n, r, x_mean, self.u0_scale, seed, &device);

        // ‖X − U₀U₀ᵀ‖² = ‖X‖² − 2 tr(U₀ᵀXU₀) + ‖U₀ᵀU₀‖² (U₀ is random: no cancellation).
        let xu0 = x.matmul(u0.clone());
        let cross = scalar((u0.clone() * xu0).sum());
        let gram = scalar(u0.clone().transpose().matmul(u0.clone()).square().sum());
        let resid = (x_norm2 - 2.0 * cross + gram).max(0.0).sqrt();
        let bound = 0.5 * (x_norm + resid);

        let lc = &self.lambda;
        let mut lambda = lc.init.unwrap_or(x_norm);
        if lc.learnable {
            if lc.project {
                lambda = lambda.max(bound);
            }
        } else if lambda < bound && !lc.allow_below_bound {
            return Err(SymNmfError::LambdaBelowBound { lambda, bound });
        }

        // Algorithm 1.
        let lam = Tensor::<B, 1>::from_data(
            TensorData::new(vec![lambda], [1]).convert::<B::FloatElem>(),
            &device,
        );
        let mut p = Vec::with_capacity(self.blocks);
        let mut u = u0.clone();
        for _ in 0..self.blocks {
            let p_i = x.matmul(u.clone()) + u.clone() * lambda;
            u = block(u, p_i.clone(), lam.clone());
            p.push(Param::from_tensor(p_i));
        }
        let lambda_param = Param::from_tensor(lam).set_require_grad(lc.learnable);
        Ok(SymNmfNet {
            p,
            lambda: lambda_param,
            u0: Param::from_tensor(u0).set_require_grad(false),
            lambda_bound: bound,
            project_lambda: lc.learnable && lc.project,
        })
    }
}

impl<B: NetBackend> SymNmfNet<B> {
    /// Number of blocks K.
    pub fn blocks(&self) -> usize {
        self.p.len()
    }

    /// Current λ.
    pub fn lambda_value(&self) -> f64 {
        scalar(self.lambda.val())
    }

    /// The forward pass: `[U_0, U_1, …, U_K]`.
    pub fn forward(&self) -> Vec<Tensor<B, 2>> {
        let lambda = self.lambda.val();
        let mut us = Vec::with_capacity(self.p.len() + 1);
        us.push(self.u0.val());
        for p in &self.p {
            let prev = us.last().expect("U_0 is pushed first").clone();
            us.push(block(prev, p.val(), lambda.clone()));
        }
        us
    }

    /// The output `U_K`.
    pub fn output(&self) -> Tensor<B, 2> {
        self.forward()
            .pop()
            .expect("forward returns K + 1 ≥ 1 factors")
    }

    /// Projects λ back above the bound of Proposition 1 (no-op when projection is off or λ is
    /// fixed). Keeps the parameter id, so the optimiser state stays attached.
    pub fn project(mut self) -> Self {
        if self.project_lambda {
            let bound = self.lambda_bound;
            self.lambda = self.lambda.map(|t| {
                let req = t.is_require_grad();
                // clamp, then detach again so the result is a leaf that may require grad.
                let t = t.detach().clamp_min(bound).detach();
                if req {
                    t.require_grad()
                } else {
                    t
                }
            });
        }
        self
    }
}
