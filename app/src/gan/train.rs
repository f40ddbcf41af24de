//! `gan train`: GAN-UNET (or its L1-only "UNET" ablation) trained through the one loop on
//! class-balanced groups of 40 images, then evaluated on the fixed test groups.

use super::load_splits;
use crate::outdir::write_json;
use ganunet_burn::{DiscriminatorConfig, GeneratorConfig};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_train::backend::{dispatch, BackendJob, BackendKind};
use nmfnet_train::rundir::{Mode, RunDir};
use nmfnet_train::tasks::gan_eval::{evaluate, EvalSpec};
use nmfnet_train::tasks::ganunet::{GanTask, GanTrainingConfig};
use nmfnet_train::trainer::{self, TrainReport, Trainer, TrainerConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use symnmf_burn::SymNmfAutodiffBackend;

/// Upper limit of `gan train --steps`.
pub const MAX_STEPS: usize = 100_000_000;

/// One training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanTrainRequest {
    /// mnist, fashion or face (Olivetti).
    pub dataset: String,
    pub data_dir: Option<PathBuf>,
    /// L1 only (the "UNET" ablation).
    pub no_discriminator: bool,
    /// Optimiser steps (each: one D and one G update on `batch` groups).
    pub steps: usize,
    /// Groups per step.
    pub batch: usize,
    /// Basis images k.
    pub k: usize,
    /// HALS sweeps of the differentiable NNLS layer refining W (0 = the paper's W head).
    pub nnls_sweeps: usize,
    pub seed: u64,
    /// Generator width: channels after the first down-sampling, doubled per level up to 8×.
    pub channels: usize,
    /// A small network (8 base channels): for smoke tests, not for results.
    pub tiny: bool,
    pub out: Option<PathBuf>,
    /// Continue the run whose checkpoint is in `out`.
    pub resume: bool,
    /// Replace an earlier run in `out` (once this one has succeeded).
    pub overwrite: bool,
    pub checkpoint_every: usize,
    /// Show the progress bar (stderr).
    pub progress: bool,
    /// Stop switch: once set, training stops before its next step (checkpoints kept).
    #[serde(skip)]
    pub cancel: nmfnet_datasets::Cancel,
}

impl GanTrainRequest {
    /// The command line's defaults on `dataset`.
    pub fn new(dataset: &str) -> Self {
        Self {
            dataset: dataset.to_string(),
            data_dir: None,
            no_discriminator: false,
            steps: 1000,
            batch: 1,
            k: 10,
            nnls_sweeps: 0,
            seed: 0,
            channels: 64,
            tiny: false,
            out: None,
            resume: false,
            overwrite: false,
            checkpoint_every: 100,
            progress: true,
            cancel: Default::default(),
        }
    }

    /// The training config the request stands for (validated).
    pub fn config(&self) -> anyhow::Result<GanTrainingConfig> {
        let mut generator = GeneratorConfig {
            k: self.k,
            nnls_sweeps: self.nnls_sweeps,
            base_channels: self.channels,
            max_channels: self.channels.saturating_mul(8),
            ..Default::default()
        };
        let mut discriminator = DiscriminatorConfig::default();
        if self.tiny {
            generator.base_channels = 8;
            generator.max_channels = 32;
            discriminator.base_channels = 8;
        }
        generator.validate()?;
        Ok(GanTrainingConfig {
            generator,
            discriminator: (!self.no_discriminator).then_some(discriminator),
            batch: self.batch,
            seed: self.seed,
            dataset: Some(self.dataset.clone()),
            ..Default::default()
        })
    }
}

/// What `nmfnet gan train` reports.
#[derive(Serialize, Debug, Clone)]
pub struct GanTrainSummary {
    pub dataset: String,
    pub steps: usize,
    pub k: usize,
    pub discriminator: bool,
    /// ε on the last step's training groups; `None` when the checkpoint already held every
    /// requested step and none ran.
    pub train_error: Option<f64>,
    /// ε on the fixed test groups.
    pub test_error: f64,
    pub test_groups: usize,
    pub seconds_per_group: f64,
    /// Wall-clock seconds of this command (loading, training, the test evaluation).
    pub seconds: f64,
    /// Seconds spent in training steps over every call that built this checkpoint (resumed
    /// runs included); `None` when it resumed a checkpoint older than this record.
    pub training_seconds: Option<f64>,
    pub backend: &'static str,
}

struct GanJob<'a> {
    cfg: GanTrainingConfig,
    train: &'a ImageSet,
    test: &'a ImageSet,
    trainer: TrainerConfig,
}

impl BackendJob for GanJob<'_> {
    type Output = anyhow::Result<(TrainReport, f64, usize, f64)>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        let mut task = GanTask::<B>::new(self.cfg.clone(), self.train, &device)?;
        let report = Trainer::new(self.trainer).run(&mut task)?;
        // Test groups are fixed: drawn once with seed 0, whatever the training seed.
        let (err, groups, secs) = evaluate(
            task.generator(),
            self.test,
            &self.cfg.generator,
            EvalSpec::fixed(),
            &device,
        )?;
        Ok((report, err, groups, secs))
    }
}

/// Trains GAN-UNET as `req` says on `backend`; checkpoints, the metric log and `summary.json`
/// go to `req.out`.
pub fn gan_train(req: &GanTrainRequest, backend: BackendKind) -> anyhow::Result<GanTrainSummary> {
    let started = std::time::Instant::now();
    let (train, test) = load_splits(&req.dataset, req.data_dir.as_deref())?;
    let mut cfg = req.config()?;
    cfg.image_shape = Some((train.height, train.width));
    if req.steps == 0 || req.steps > MAX_STEPS {
        anyhow::bail!(
            "--steps must be between 1 and {MAX_STEPS}, got {}",
            req.steps
        );
    }
    let mut out = match &req.out {
        Some(dir) => {
            let inputs: Vec<&Path> = req.data_dir.iter().map(|d| d.as_path()).collect();
            let mode = Mode::from_flags(req.resume, req.overwrite)?;
            let mut run = RunDir::open(dir, "gan-train", mode, &inputs)?;
            run.claim(&trainer::FILES)?;
            Some(run)
        }
        None => None,
    };
    let trainer = TrainerConfig {
        steps: req.steps,
        out_dir: out.as_ref().map(|r| r.path().to_path_buf()),
        checkpoint_every: req.checkpoint_every,
        log_every: 1,
        resume: req.resume,
        progress: req.progress,
        label: format!("gan-unet {}", req.dataset),
        plateau: None,
        cancel: req.cancel.clone(),
    };
    let (report, test_error, test_groups, seconds_per_group) = dispatch(
        backend,
        GanJob {
            cfg: cfg.clone(),
            train: &train,
            test: &test,
            trainer,
        },
    )??;
    let train_error = report
        .last
        .iter()
        .find(|(k, _)| k == "train_error")
        .map(|(_, v)| *v);
    let summary = GanTrainSummary {
        dataset: req.dataset.clone(),
        steps: req.steps,
        k: req.k,
        discriminator: !req.no_discriminator,
        train_error,
        test_error,
        test_groups,
        seconds_per_group,
        seconds: started.elapsed().as_secs_f64(),
        training_seconds: report.total_seconds,
        backend: backend.name(),
    };
    if let Some(out) = out.as_mut() {
        write_json(&out.file("summary.json")?, &summary)?;
    }
    if let Some(out) = out {
        out.commit()?;
    }
    Ok(summary)
}
