//! SymNMF-Net (Li, Kong, Lin, "SymNMF-Net for the Symmetric NMF Problem"): symmetric NMF
//! `X ≈ UUᵀ, U ≥ 0` solved by an unrolled network, generic over the Burn backend.
//!
//! * [`inverse`]: the inversion layer `(UᵀU + λI)⁻¹`, a custom autodiff op.
//! * [`model`]: blocks, network, Algorithm 1 initialisation, λ and its lower bound.
//! * [`loss`]: the training objective without n×n intermediates.
//! * [`similarity`]: X dense on the device or sparse on the host (custom autodiff product).
//! * [`config`]: hyper-parameters with the paper's defaults.

pub mod config;
pub mod error;
pub mod inverse;
pub mod loss;
pub mod model;
pub mod similarity;

pub use config::{LambdaConfig, Reduction, SymNmfNetConfig, SymNmfTrainingConfig};
pub use error::{Result, SymNmfError};
pub use inverse::{spd_inverse, spd_inverse_reference, InverseBackend};
pub use loss::{loss, loss_direct, LossParts};
pub use model::SymNmfNet;
pub use similarity::{Similarity, SparseBackend, SparseSymmetric};

/// A backend with both custom ops of the network: the inversion layer and the sparse product.
pub trait NetBackend: InverseBackend + SparseBackend {}
impl<B: InverseBackend + SparseBackend> NetBackend for B {}

/// An autodiff backend whose inner backend also has the inversion layer: what training needs.
pub trait SymNmfAutodiffBackend:
    NetBackend + burn::tensor::backend::AutodiffBackend<InnerBackend: NetBackend>
{
}
impl<B> SymNmfAutodiffBackend for B where
    B: NetBackend + burn::tensor::backend::AutodiffBackend<InnerBackend: NetBackend>
{
}
