//! GAN-UNET (Wei, "GAN-UNET: Non-negative Matrix Factorization Using Deep Neural Networks"):
//! the NMF `Y ≈ HW` of a group of 40 images in one forward pass of a U-Net generator with ReLU
//! heads for H (basis images) and W (weights), trained against a PatchGAN discriminator with
//! PCA disturbing (SPEC §5).
//!
//! Done so far: the [`Generator`] (pix2pix U-Net, skip connections on a stack, H and W heads),
//! the PatchGAN [`Discriminator`], `Ŷ = HW` ([`reconstruct`]) and the paper's error ε
//! ([`group_error`]), generic over the Burn backend. Still to come (issue 6): the losses and
//! the training task for the one training loop of `nmfnet-train`, PCA disturbing, the CLI.

pub mod config;
pub mod discriminator;
pub mod generator;

pub use config::{DiscriminatorConfig, GanUnetError, GeneratorConfig};
pub use discriminator::Discriminator;
pub use generator::{group_error, reconstruct, Generator};
