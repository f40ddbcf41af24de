//! Configurations (serde) with the paper's defaults, and their validation.

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GanUnetError {
    #[error(
        "k (the number of basis images) must be between 1 and the group size {group}, got {k}"
    )]
    Rank { k: usize, group: usize },
    #[error("the group size must be at least 1")]
    EmptyGroup,
    #[error("images of {height}×{width} cannot go through {levels} halvings: the side must be a multiple of {multiple} (pad 28×28 to 32×32)")]
    Size {
        height: usize,
        width: usize,
        levels: usize,
        multiple: usize,
    },
    #[error("groups of {group} images cannot be class-balanced over {classes} classes (the group size must be a multiple of the class count, with enough images of every class)")]
    Unbalanced { group: usize, classes: usize },
    #[error("the input has {found} channels, expected a group of {expected} images")]
    Channels { found: usize, expected: usize },
    #[error("nnls_sweeps = {0} is beyond the {max} HALS sweeps the NNLS layer allows (each sweep adds k steps to the autodiff graph)", max = MAX_NNLS_SWEEPS)]
    NnlsSweeps(usize),
    #[error("the generator needs 1 ≤ base_channels ≤ max_channels ≤ 4096, got base_channels = {base} and max_channels = {max}")]
    Width { base: usize, max: usize },
}

/// Upper limit of [`GeneratorConfig::nnls_sweeps`]: far past convergence on a k ≤ 40 problem.
pub const MAX_NNLS_SWEEPS: usize = 200;

/// The U-Net generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorConfig {
    /// Images per group (input channels and columns of W).
    pub group: usize,
    /// Basis images k.
    pub k: usize,
    /// Channels after the first down-sampling; doubled per level up to `max_channels`.
    pub base_channels: usize,
    pub max_channels: usize,
    /// Down-sampling levels; the input side must be a multiple of 2^levels. 5 takes 32×32
    /// down to 1×1 (pix2pix's bottleneck); 64×64 faces then end at 2×2.
    pub levels: usize,
    /// Standard deviation of the N(0, σ) weight initialisation.
    pub init_std: f64,
    /// HALS sweeps of the differentiable NNLS layer that refines the W head's output given H
    /// and the group ([`crate::nnls`]); 0 = the paper's head alone (pooled bottleneck → linear →
    /// ReLU). An extension the paper wished for (§5.2), off by default.
    pub nnls_sweeps: usize,
    /// Batch-norm statistics per group (each group normalised by its own, as at batch 1)
    /// instead of over the batch: a batch split across data-parallel peers then trains exactly
    /// as on one device. Off by default (the paper's batch norm).
    pub per_group_norm: bool,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            group: 40,
            k: 10,
            base_channels: 64,
            max_channels: 512,
            levels: 5,
            init_std: 0.02,
            nnls_sweeps: 0,
            per_group_norm: false,
        }
    }
}

impl GeneratorConfig {
    pub fn validate(&self) -> Result<(), GanUnetError> {
        if self.group == 0 {
            return Err(GanUnetError::EmptyGroup);
        }
        if self.k == 0 || self.k > self.group {
            return Err(GanUnetError::Rank {
                k: self.k,
                group: self.group,
            });
        }
        if self.nnls_sweeps > MAX_NNLS_SWEEPS {
            return Err(GanUnetError::NnlsSweeps(self.nnls_sweeps));
        }
        if self.base_channels == 0
            || self.max_channels < self.base_channels
            || self.max_channels > 4096
        {
            return Err(GanUnetError::Width {
                base: self.base_channels,
                max: self.max_channels,
            });
        }
        Ok(())
    }

    /// Channels at the output of down level `i` (0-based).
    pub fn channels(&self, i: usize) -> usize {
        (self.base_channels << i.min(16)).min(self.max_channels)
    }

    /// Checks that an image side goes through the levels.
    pub fn check_size(&self, height: usize, width: usize) -> Result<(), GanUnetError> {
        let multiple = 1usize << self.levels;
        if height == 0
            || width == 0
            || !height.is_multiple_of(multiple)
            || !width.is_multiple_of(multiple)
        {
            return Err(GanUnetError::Size {
                height,
                width,
                levels: self.levels,
                multiple,
            });
        }
        Ok(())
    }
}

/// The PatchGAN discriminator (pix2pix's 70×70 layout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscriminatorConfig {
    /// Input channels: source group + reconstruction = 2 × 40.
    pub in_channels: usize,
    pub base_channels: usize,
    pub init_std: f64,
    /// Batch-norm statistics per group, as [`GeneratorConfig::per_group_norm`].
    pub per_group_norm: bool,
}

impl Default for DiscriminatorConfig {
    fn default() -> Self {
        Self {
            in_channels: 80,
            base_channels: 64,
            init_std: 0.02,
            per_group_norm: false,
        }
    }
}
