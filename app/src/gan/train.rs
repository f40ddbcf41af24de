//! `gan train`: GAN-UNET (or its L1-only "UNET" ablation) trained through the one loop on
//! class-balanced groups of 40 images, then evaluated on the fixed test groups.

use super::load_splits;
use crate::job::RunOptions;
use crate::outdir::write_json;
use ganunet_burn::{DiscriminatorConfig, GeneratorConfig};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_train::runtime::backend::{dispatch, BackendJob, BackendKind};
use nmfnet_train::tasks::gan_eval::{evaluate, EvalSpec};
use nmfnet_train::tasks::ganunet::{GanTask, GanTrainingConfig};
use nmfnet_train::trainer::{self, TrainReport, Trainer, TrainerConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use symnmf_burn::SymNmfAutodiffBackend;

/// Starts burn-collective's orchestrator for a multi-process run (see `nmfnet_train::runtime::collective`).
#[cfg(feature = "collective")]
pub use nmfnet_train::runtime::collective::spawn_orchestrator;

/// Upper limit of the steps of a training run.
pub const MAX_STEPS: usize = 100_000_000;

/// One training run. Written to `job.json` with every default resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanTrainJob {
    /// mnist, fashion or face (Olivetti).
    pub dataset: String,
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Optimiser steps (each: one D and one G update on `config.batch` groups).
    pub steps: usize,
    /// The model and its training: generator, discriminator (none: the L1-only "UNET"
    /// ablation), groups per step, optimiser, seed.
    #[serde(default)]
    pub config: GanTrainingConfig,
    #[serde(default)]
    pub parallel: Parallel,
    #[serde(default)]
    pub backend: BackendKind,
    #[serde(default)]
    pub run: RunOptions,
}

/// Data-parallel training: peers in this process and processes in the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parallel {
    /// Peers in this process (threads, one device each; each takes `batch / (devices · nodes)`
    /// groups of every step and gradients are averaged before each optimiser step). Needs the
    /// `collective` feature when above 1.
    pub devices: usize,
    /// Processes of the run (joined through burn-collective's orchestrator).
    pub nodes: usize,
    /// This process's place in a multi-process run (`None`: the only process, or the
    /// launcher that starts the `nodes` processes).
    pub node: Option<NodeJoin>,
}

impl Default for Parallel {
    fn default() -> Self {
        Self {
            devices: 1,
            nodes: 1,
            node: None,
        }
    }
}

impl Parallel {
    /// Peers in the whole run.
    pub fn peers(&self) -> usize {
        self.devices.saturating_mul(self.nodes)
    }
}

/// How one process of a multi-process run reaches the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeJoin {
    /// This process, 0..nodes (process 0 writes `out` and reports).
    pub index: usize,
    /// `ws://host:port` of the orchestrator.
    pub orchestrator: String,
    /// Port of this process's data service.
    pub port: u16,
    /// Host name or address the other processes reach this one by.
    pub host: String,
}

/// Steps between checkpoints when none is asked for.
pub const DEFAULT_CHECKPOINT_EVERY: usize = 100;

/// The shape of a GAN-UNET model as its front ends describe it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GanShape {
    /// Basis images k.
    pub k: usize,
    /// Generator width: channels after the first down-sampling, doubled per level up to 8×.
    pub channels: usize,
    /// A small network (8 base channels): for smoke tests, not for results.
    pub tiny: bool,
    /// HALS sweeps of the differentiable NNLS layer refining W (0 = the paper's W head).
    pub nnls_sweeps: usize,
    /// Batch-norm statistics per group rather than over the batch.
    pub per_group_norm: bool,
    /// Train against the PatchGAN (false: the L1-only "UNET" ablation).
    pub discriminator: bool,
    /// Groups per step.
    pub batch: usize,
    pub seed: u64,
}

impl Default for GanShape {
    fn default() -> Self {
        Self {
            k: 10,
            channels: 64,
            tiny: false,
            nnls_sweeps: 0,
            per_group_norm: false,
            discriminator: true,
            batch: 1,
            seed: 0,
        }
    }
}

impl GanShape {
    /// The training config of this shape (validated).
    pub fn config(&self) -> anyhow::Result<GanTrainingConfig> {
        let mut generator = GeneratorConfig {
            k: self.k,
            nnls_sweeps: self.nnls_sweeps,
            base_channels: self.channels,
            max_channels: self.channels.saturating_mul(8),
            per_group_norm: self.per_group_norm,
            ..Default::default()
        };
        let mut discriminator = DiscriminatorConfig {
            per_group_norm: self.per_group_norm,
            ..Default::default()
        };
        if self.tiny {
            generator.base_channels = 8;
            generator.max_channels = 32;
            discriminator.base_channels = 8;
        }
        generator.validate()?;
        Ok(GanTrainingConfig {
            generator,
            discriminator: self.discriminator.then_some(discriminator),
            batch: self.batch,
            seed: self.seed,
            ..Default::default()
        })
    }
}

impl GanTrainJob {
    /// `steps` steps on `dataset` with `config`, one device, nothing written.
    pub fn new(dataset: &str, steps: usize, config: GanTrainingConfig) -> Self {
        Self {
            dataset: dataset.to_string(),
            data_dir: None,
            steps,
            config,
            parallel: Parallel::default(),
            backend: BackendKind::Cpu,
            run: RunOptions::default(),
        }
    }
}

/// The `train_error` of the last line of the metric log in `dir` (None without one).
fn logged_train_error(dir: &std::path::Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).ok()?;
    let last: serde_json::Value = serde_json::from_str(text.lines().last()?).ok()?;
    last["train_error"].as_f64()
}

/// What `nmfnet gan train` reports.
#[derive(Serialize, Debug, Clone)]
pub struct GanTrainSummary {
    pub dataset: String,
    pub steps: usize,
    pub k: usize,
    pub discriminator: bool,
    /// ε on the last step's training groups (read from the metric log when a resume found
    /// every step done); `None` only when there is no record of it.
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
    /// Threads in this process, processes in the run, and this process's place.
    devices: usize,
    nodes: usize,
    #[cfg_attr(not(feature = "collective"), allow(dead_code))]
    node: Option<NodeJoin>,
}

impl BackendJob for GanJob<'_> {
    type Output = anyhow::Result<(TrainReport, f64, usize, f64)>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        let (report, task) = if self.devices * self.nodes > 1 {
            train_parallel::<B>(&self, &device)?
        } else {
            let mut task = GanTask::<B>::new(self.cfg.clone(), self.train, &device)?;
            (Trainer::new(self.trainer.clone()).run(&mut task)?, task)
        };
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

/// The peers of this process as threads: each joins the collective, trains its share through
/// the one loop (only the first peer of process 0 writes checkpoints, logs and shows progress),
/// and leaves; returns the first peer's report and task (every peer holds the same model).
#[cfg(feature = "collective")]
fn train_parallel<B: SymNmfAutodiffBackend>(
    job: &GanJob<'_>,
    device: &B::Device,
) -> anyhow::Result<(TrainReport, GanTask<B>)> {
    use nmfnet_train::runtime::collective::{self, NodeSpec, Peer};
    let node = job.node.as_ref().map(|n| NodeSpec {
        nodes: job.nodes,
        node: n.index,
        orchestrator: n.orchestrator.clone(),
        port: n.port,
        host: n.host.clone(),
    });
    let first = node.as_ref().map_or(0, |n| n.node * job.devices);
    let count = job.devices * job.nodes;
    let cfg = collective::config(job.devices, node.as_ref())?;
    if node.is_none() {
        collective::reset::<B::InnerBackend>();
    }
    // Built one after the other, before any thread starts: the weights come from the
    // backend's seeded generator, so every peer starts from the same model.
    let mut tasks = Vec::with_capacity(job.devices);
    for t in 0..job.devices {
        let peer = Peer {
            rank: first + t,
            count,
        };
        tasks.push((
            peer.clone(),
            GanTask::<B>::new(job.cfg.clone(), job.train, device)?.with_peer(peer)?,
        ));
    }
    let results: Vec<anyhow::Result<(TrainReport, GanTask<B>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|(peer, mut task)| {
                let trainer = if peer.rank == 0 {
                    job.trainer.clone()
                } else {
                    TrainerConfig {
                        out_dir: None,
                        progress: false,
                        resume: false,
                        ..job.trainer.clone()
                    }
                };
                let cfg = cfg.clone();
                s.spawn(move || {
                    collective::join::<B::InnerBackend>(&peer, device, cfg)?;
                    let report = Trainer::new(trainer).run(&mut task)?;
                    collective::leave::<B::InnerBackend>(&peer)?;
                    Ok((report, task))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a training peer panicked")))
            })
            .collect()
    });
    let mut first_result = None;
    for r in results {
        let r = r?;
        first_result.get_or_insert(r);
    }
    first_result.ok_or_else(|| anyhow::anyhow!("no peer ran"))
}

#[cfg(not(feature = "collective"))]
fn train_parallel<B: SymNmfAutodiffBackend>(
    _: &GanJob<'_>,
    _: &B::Device,
) -> anyhow::Result<(TrainReport, GanTask<B>)> {
    anyhow::bail!(
        "data-parallel training (`devices`/`nodes` above 1) is not in this build: build with the cargo feature `collective`"
    )
}

/// The job's settings that must hold before any data is read.
fn check(job: &GanTrainJob) -> anyhow::Result<()> {
    job.run.check()?;
    let p = &job.parallel;
    if p.devices == 0 || p.nodes == 0 || p.devices > 64 || p.nodes > 64 {
        anyhow::bail!(
            "`devices` and `nodes` must be between 1 and 64, got {} and {}",
            p.devices,
            p.nodes
        );
    }
    if p.peers() > 1 {
        if !cfg!(feature = "collective") {
            anyhow::bail!("data-parallel training (`devices`/`nodes` above 1) is not in this build: build with the cargo feature `collective`");
        }
        if job.run.resume() {
            anyhow::bail!("`resume` is not supported for data-parallel runs (`devices`/`nodes` above 1) yet: resume on one device, or start over");
        }
        if !job.config.batch.is_multiple_of(p.peers()) {
            anyhow::bail!(
                "`batch` {} cannot be shared equally by {} peers (`devices` × `nodes`): make it a multiple",
                job.config.batch,
                p.peers()
            );
        }
        if p.nodes > 1 && p.node.is_none() {
            anyhow::bail!("a run of `nodes` {} needs this process's `node` (the command line starts them all when it is absent)", p.nodes);
        }
    }
    if job.steps == 0 || job.steps > MAX_STEPS {
        anyhow::bail!(
            "`steps` must be between 1 and {MAX_STEPS}, got {}",
            job.steps
        );
    }
    job.config.generator.validate()?;
    Ok(())
}

/// Trains GAN-UNET as `job` says; checkpoints, the metric log, `job.json` and `summary.json` go
/// to its output folder.
pub fn gan_train(job: &GanTrainJob) -> anyhow::Result<GanTrainSummary> {
    let started = std::time::Instant::now();
    check(job)?;
    let (train, test) = load_splits(&job.dataset, job.data_dir.as_deref())?;
    let mut resolved = job.clone();
    resolved.config.dataset = Some(job.dataset.clone());
    resolved.config.image_shape = Some((train.height, train.width));
    let checkpoint_every = job.run.checkpoint_every.unwrap_or(DEFAULT_CHECKPOINT_EVERY);
    resolved.run.checkpoint_every = Some(checkpoint_every);
    let cfg = resolved.config.clone();
    // Only the first process of a multi-process run writes.
    let writes = job.parallel.node.as_ref().is_none_or(|n| n.index == 0);
    let inputs: Vec<&Path> = job.data_dir.iter().map(|d| d.as_path()).collect();
    let mut out = match writes {
        true => job.run.open("gan-train", &inputs)?,
        false => None,
    };
    if let Some(run) = out.as_mut() {
        run.claim(&trainer::FILES)?;
    }
    let trainer = TrainerConfig {
        steps: job.steps,
        out_dir: out.as_ref().map(|r| r.path().to_path_buf()),
        checkpoint_every,
        log_every: 1,
        resume: job.run.resume(),
        upgrade: job.run.upgrade,
        progress: job.run.progress,
        label: format!("gan-unet {}", job.dataset),
        plateau: None,
        cancel: job.run.cancel.clone(),
    };
    let (report, test_error, test_groups, seconds_per_group) = dispatch(
        job.backend,
        GanJob {
            cfg: cfg.clone(),
            train: &train,
            test: &test,
            trainer,
            devices: job.parallel.devices,
            nodes: job.parallel.nodes,
            node: job.parallel.node.clone(),
        },
    )??;
    // A resume of a run whose steps were all done (killed during its final evaluation) runs
    // none: the last step's error is then the last line of its log.
    let train_error = report
        .last
        .iter()
        .find(|(k, _)| k == "train_error")
        .map(|(_, v)| *v)
        .or_else(|| out.as_ref().and_then(|run| logged_train_error(run.path())));
    let summary = GanTrainSummary {
        dataset: job.dataset.clone(),
        steps: job.steps,
        k: cfg.generator.k,
        discriminator: cfg.discriminator.is_some(),
        train_error,
        test_error,
        test_groups,
        seconds_per_group,
        seconds: started.elapsed().as_secs_f64(),
        training_seconds: report.total_seconds,
        backend: job.backend.name(),
    };
    if let Some(out) = out.as_mut() {
        crate::job::write_job(out, &resolved)?;
        write_json(&out.file("summary.json")?, &summary)?;
    }
    if let Some(out) = out {
        out.commit()?;
    }
    Ok(summary)
}
