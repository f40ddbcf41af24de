#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! Here: the [`Generator`] (pix2pix U-Net, skip connections on a stack, H and W heads, an
//! optional differentiable NNLS layer for W — [`nnls`]), the PatchGAN [`Discriminator`],
//! `Ŷ = HW` ([`reconstruct`]), the paper's error ε ([`group_error`]), the cGAN + L1 losses
//! ([`loss`]), PCA disturbing ([`pca`]) and class-balanced groups ([`groups`]), all generic over
//! the Burn backend. The training task, the comparisons and the CLI live in `nmfnet-train`.

pub mod config;
pub mod discriminator;
pub mod generator;
pub mod groups;
pub mod loss;
pub mod nnls;
pub mod pca;

pub use config::{DiscriminatorConfig, GanUnetError, GeneratorConfig};
pub use discriminator::Discriminator;
pub use generator::{group_error, pixel_rows, reconstruct, Generator, Stage};
pub use groups::balanced_groups;
pub use loss::{bce_with_logits, discriminator_loss, generator_loss};
pub use nnls::{hals_refine, Sweeps};
pub use pca::pca_reconstruction;
