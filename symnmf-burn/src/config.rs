//! Hyper-parameters of SymNMF-Net (SPEC §2) as serde configs: `default()` is the setting chosen
//! without labels on ORL (sum reduction, β = 0.01, lr 0.05, a loss-plateau stop), `paper()` the
//! paper's literal values (mean reduction, β = 5e-6, lr 0.5, 100 epochs).

use crate::error::{Result, SymNmfError};
use serde::{Deserialize, Serialize};

/// How the squared-norm terms of the loss are reduced.
///
/// `Sum` is the loss as written in the paper; `Mean` divides the reconstruction terms by `n²`,
/// the proximity terms by `n·r` and the ℓ1 term by `n·r` (as PyTorch's `MSELoss` does by default).
/// The paper's `β = 5e-6` only makes the proximity term matter under `Mean`, where it equals a
/// sum-form weight of `β·n/r` (≈ 1e-3 for n ≈ 2,000, r = 10; SPEC §2 honesty note).
/// [`SymNmfNetConfig::paper`] uses `Mean` with β = 5e-6; [`SymNmfNetConfig::default`] (and so
/// this type's default) `Sum` with β = 0.01.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    #[default]
    Sum,
    Mean,
}

/// How λ, the shared scalar of every inversion layer `(UᵀU + λI)⁻¹`, is handled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LambdaConfig {
    /// Learn λ with the other parameters (paper) or keep it fixed (Fig. 4.2 study).
    pub learnable: bool,
    /// Initial (or fixed) value; `None` means `‖X‖_F` (paper).
    pub init: Option<f64>,
    /// After every optimiser step, project λ back above the computable lower bound of
    /// Proposition 1, `½(‖X‖_F + ‖X − U₀U₀ᵀ‖_F)`. A learnable initial value below the bound is
    /// raised to it.
    pub project: bool,
    /// Accept a fixed λ below the bound (the paper's small-λ study); otherwise that is an error.
    pub allow_below_bound: bool,
}

impl Default for LambdaConfig {
    fn default() -> Self {
        Self {
            learnable: true,
            init: None,
            project: true,
            allow_below_bound: false,
        }
    }
}

/// The network: K blocks `U_i = ReLU(P_i (U_{i−1}ᵀU_{i−1} + λI)⁻¹)` and the loss
/// `Σ_i ‖X − U_iU_iᵀ‖² + β‖P_i − (X+λI)U_{i−1}‖² (+ γ‖U_K‖₁)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SymNmfNetConfig {
    /// Rank r of `U` (the number of clusters).
    pub rank: usize,
    /// Number of blocks K (paper: 10).
    pub blocks: usize,
    /// Weight β of the proximity terms (paper: 5e-6, see [`Reduction`]).
    pub beta: f64,
    /// Weight γ of the optional sparsity term `‖U_K‖₁` (paper §4.1; 0 = off).
    pub gamma: f64,
    /// Reduction of the squared norms.
    pub reduction: Reduction,
    /// λ handling.
    pub lambda: LambdaConfig,
    /// `U₀ = u0_scale · sqrt(mean(X)/r) · rand(n, r)` (Kuang's scaling uses 2).
    pub u0_scale: f64,
}

impl Default for SymNmfNetConfig {
    /// The network of [`SymNmfTrainingConfig::default`]: sum reduction, β = 0.01 (chosen
    /// without labels, see there).
    fn default() -> Self {
        Self {
            reduction: Reduction::Sum,
            beta: 0.01,
            ..Self::paper()
        }
    }
}

impl SymNmfNetConfig {
    /// The paper's literal network settings: K = 10, mean reduction, β = 5e-6, learnable λ
    /// projected above its bound, Kuang's U₀ scaling.
    pub fn paper() -> Self {
        Self {
            rank: 10,
            blocks: 10,
            beta: 5e-6,
            gamma: 0.0,
            reduction: Reduction::Mean,
            lambda: LambdaConfig::default(),
            u0_scale: 2.0,
        }
    }
}

/// Upper limit of [`SymNmfNetConfig::blocks`] (the paper uses K ≤ 20).
pub const MAX_BLOCKS: usize = 1000;
/// Upper limit of [`SymNmfTrainingConfig::epochs`].
pub const MAX_EPOCHS: usize = 10_000_000;
/// Upper limit of [`SymNmfTrainingConfig::lr`] (the paper's is 0.5).
pub const MAX_LR: f64 = 1e6;
/// Upper limit of the loss weights β and γ (the paper's β is 5e-6; any weight beyond this
/// drowns the reconstruction term in f32).
pub const MAX_WEIGHT: f64 = 1e6;
/// Upper limit of [`SymNmfNetConfig::u0_scale`] (Kuang's scaling is 2; beyond this `U₀UᵀU₀`
/// is 10^12 times X and the first block starts from noise).
pub const MAX_U0_SCALE: f64 = 1e3;
/// Upper limit of [`LambdaConfig::init`] (the CLI trains on X/‖X‖₂, whose entries are at most
/// 1, and a λ 10^12 times that leaves nothing of X in `(UᵀU + λI)⁻¹`).
pub const MAX_LAMBDA_INIT: f64 = 1e12;

fn at_most(name: &'static str, v: f64, max: f64) -> Result<()> {
    if v > max {
        return Err(SymNmfError::Param {
            name,
            value: v.to_string(),
            msg: format!("at most {max:e}"),
        });
    }
    Ok(())
}

fn positive_finite(name: &'static str, v: f64, allow_zero: bool) -> Result<()> {
    let ok = v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0));
    if ok {
        Ok(())
    } else {
        Err(SymNmfError::Param {
            name,
            value: v.to_string(),
            msg: if allow_zero {
                "must be finite and ≥ 0".into()
            } else {
                "must be finite and > 0".into()
            },
        })
    }
}

impl SymNmfNetConfig {
    /// Checks the configuration for a problem with `n` points.
    pub fn validate(&self, n: usize) -> Result<()> {
        if self.rank == 0 {
            return Err(SymNmfError::RankZero);
        }
        if self.rank > n {
            return Err(SymNmfError::RankTooLarge { rank: self.rank, n });
        }
        if self.blocks == 0 {
            return Err(SymNmfError::NoBlocks);
        }
        if self.blocks > MAX_BLOCKS {
            return Err(SymNmfError::Param {
                name: "blocks",
                value: self.blocks.to_string(),
                msg: format!(
                    "at most {MAX_BLOCKS} (every block keeps n×r activations for the backward pass)"
                ),
            });
        }
        positive_finite("beta", self.beta, true)?;
        at_most("beta", self.beta, MAX_WEIGHT)?;
        positive_finite("gamma", self.gamma, true)?;
        at_most("gamma", self.gamma, MAX_WEIGHT)?;
        positive_finite("u0_scale", self.u0_scale, false)?;
        at_most("u0_scale", self.u0_scale, MAX_U0_SCALE)?;
        if let Some(l) = self.lambda.init {
            positive_finite("lambda.init", l, false)?;
            at_most("lambda.init", l, MAX_LAMBDA_INIT)?;
        }
        Ok(())
    }
}

/// Adam and the schedule used to train SymNMF-Net.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SymNmfTrainingConfig {
    pub model: SymNmfNetConfig,
    /// Full-batch epochs (one optimiser step each). The paper does not give it.
    pub epochs: usize,
    /// Adam learning rate (paper: 0.5 for images, 0.3 for text).
    pub lr: f64,
    /// Cosine decay of the learning rate to `lr · lr_min_factor` over the epochs.
    pub cosine_decay: bool,
    pub lr_min_factor: f64,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub adam_epsilon: f64,
    /// Seed of `U₀` (and of anything else random).
    pub seed: u64,
    /// Stop before `epochs` once the loss has improved by less than `plateau_tol` (relative)
    /// over the last `plateau_patience` epochs (the running minimum, so Adam's ups and downs do
    /// not count); 0 runs every epoch. A config saved without the field runs every epoch.
    #[serde(default)]
    pub plateau_patience: usize,
    #[serde(default)]
    pub plateau_tol: f64,
}

impl Default for SymNmfTrainingConfig {
    /// Settings chosen without labels, by the lowest mean relative error ‖X − U_KU_Kᵀ‖²/‖X‖²
    /// over seeds 0–2 on ORL (SPEC §4's graph) among 10 candidates (`bench/net_settings_orl.md`):
    /// sum reduction, β = 0.01, Adam at lr 0.05; then up to 600 epochs, stopping once the loss
    /// improves by less than 1e-4 (relative) over 30 epochs (`bench/plateau.md`: on ORL a lower
    /// relative error than a fixed 300 epochs at 16 % more epochs, on the embedded default the
    /// same in a third of them). The paper's own values ([`SymNmfTrainingConfig::paper`]) leave
    /// rows of U_K at zero and fit X worse (ORL: relative error 0.4583 against 0.3695).
    fn default() -> Self {
        Self {
            model: SymNmfNetConfig::default(),
            epochs: 600,
            lr: 0.05,
            plateau_patience: 30,
            plateau_tol: 1e-4,
            ..Self::paper()
        }
    }
}

impl SymNmfTrainingConfig {
    /// The paper's literal settings (§4): its network ([`SymNmfNetConfig::paper`]), Adam at
    /// lr 0.5; it gives no epoch count, 100 is used.
    pub fn paper() -> Self {
        Self {
            model: SymNmfNetConfig::paper(),
            epochs: 100,
            lr: 0.5,
            cosine_decay: false,
            lr_min_factor: 0.01,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_epsilon: 1e-8,
            seed: 0,
            plateau_patience: 0,
            plateau_tol: 0.0,
        }
    }

    /// Checks every field for a problem with `n` points.
    pub fn validate(&self, n: usize) -> Result<()> {
        self.model.validate(n)?;
        if self.epochs == 0 {
            return Err(SymNmfError::Param {
                name: "epochs",
                value: "0".into(),
                msg: "must be at least 1".into(),
            });
        }
        if self.epochs > MAX_EPOCHS {
            return Err(SymNmfError::Param {
                name: "epochs",
                value: self.epochs.to_string(),
                msg: format!("at most {MAX_EPOCHS}"),
            });
        }
        positive_finite("lr", self.lr, false)?;
        at_most("lr", self.lr, MAX_LR)?;
        if self.plateau_patience > MAX_EPOCHS {
            return Err(SymNmfError::Param {
                name: "plateau_patience",
                value: self.plateau_patience.to_string(),
                msg: format!("at most {MAX_EPOCHS}"),
            });
        }
        positive_finite("plateau_tol", self.plateau_tol, true)?;
        at_most("plateau_tol", self.plateau_tol, 1.0)?;
        positive_finite("lr_min_factor", self.lr_min_factor, true)?;
        if self.lr_min_factor > 1.0 {
            return Err(SymNmfError::Param {
                name: "lr_min_factor",
                value: self.lr_min_factor.to_string(),
                msg: "must be in [0, 1]: the decayed rate is lr · lr_min_factor".into(),
            });
        }
        positive_finite("adam_epsilon", self.adam_epsilon, false)?;
        at_most("adam_epsilon", self.adam_epsilon, 1.0)?;
        for (name, b) in [
            ("adam_beta1", self.adam_beta1),
            ("adam_beta2", self.adam_beta2),
        ] {
            if !(0.0..1.0).contains(&b) {
                return Err(SymNmfError::Param {
                    name,
                    value: b.to_string(),
                    msg: "must be in [0, 1)".into(),
                });
            }
        }
        Ok(())
    }

    /// Learning rate at epoch `epoch` (0-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        if !self.cosine_decay || self.epochs <= 1 {
            return self.lr;
        }
        let t = epoch.min(self.epochs - 1) as f64 / (self.epochs - 1) as f64;
        let min = self.lr * self.lr_min_factor;
        min + 0.5 * (self.lr - min) * (1.0 + (std::f64::consts::PI * t).cos())
    }
}
