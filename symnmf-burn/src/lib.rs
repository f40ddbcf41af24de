#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`inverse`]: the inversion layer `(UᵀU + λI)⁻¹`, a custom autodiff op.
//! * [`model`]: blocks, network, Algorithm 1 initialisation, λ and its lower bound.
//! * [`mod@loss`]: the training objective without n×n intermediates.
//! * [`norms`]: `‖X‖_F²` and scalars read back to the host.
//! * [`similarity`]: X dense on the device or sparse on the host (custom autodiff product).
//! * [`ell`]: the sparse product kept on the device (sliced ELL), for GPU backends.
//! * [`config`]: hyper-parameters: the label-free defaults and the paper's settings.
//! * [`backend`]: the backend traits training needs (both custom ops, autodiff on top).
//! * [`nmf_batch`]: R plain NMFs of one matrix advanced together (consensus NMF's replicates).

pub mod backend;
pub mod config;
pub mod ell;
pub mod error;
pub mod inverse;
pub mod loss;
pub mod model;
pub mod nmf_batch;
pub mod norms;
pub mod similarity;

pub use backend::{NetBackend, SymNmfAutodiffBackend};
pub use config::{LambdaConfig, Reduction, SymNmfNetConfig, SymNmfTrainingConfig};
pub use error::{Result, SymNmfError};
pub use inverse::{spd_inverse, spd_inverse_reference, InverseBackend};
pub use loss::{loss, loss_direct, LossParts};
pub use model::SymNmfNet;
pub use similarity::{Similarity, SparseBackend, SparseSymmetric};
