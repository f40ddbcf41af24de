//! `gan eval`: ε of a trained generator on the fixed groups (seed 0) of both splits of a data
//! set, with its latency (one group per pass) and throughput (`batch` groups per pass).

use super::{checkpoint_training_config, load_splits};
use anyhow::bail;
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_train::checkpoint::load_checkpoint;
use nmfnet_train::runtime::backend::{dispatch, BackendJob, BackendKind};
use nmfnet_train::tasks::gan_eval::{evaluate, EvalSpec, TIMED_PASSES};
use nmfnet_train::tasks::ganunet::{GanTask, GanTrainingConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use symnmf_burn::SymNmfAutodiffBackend;

/// One evaluation (nothing is written).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanEvalJob {
    /// Folder of a `gan train` run (checkpoint.bin).
    pub checkpoint: PathBuf,
    /// mnist, fashion or face: may differ from the training set (generalisation).
    pub dataset: String,
    pub data_dir: Option<PathBuf>,
    /// The first N fixed groups of each split (0 = all).
    pub groups: usize,
    /// Groups per forward pass for the errors and the throughput figure.
    pub batch: usize,
    /// Rounds of alternating HALS after the forward pass (0 = the paper's single pass).
    pub refine: usize,
    #[serde(default)]
    pub backend: BackendKind,
}

impl GanEvalJob {
    /// Every fixed group, 25 per pass, no refinement, on the CPU.
    pub fn new(checkpoint: &Path, dataset: &str) -> Self {
        Self {
            checkpoint: checkpoint.to_path_buf(),
            dataset: dataset.to_string(),
            data_dir: None,
            groups: 0,
            batch: 25,
            refine: 0,
            backend: BackendKind::Cpu,
        }
    }
}

/// What `nmfnet gan eval` reports: ε on fixed groups (seed 0) of both splits.
#[derive(Serialize, Debug, Clone)]
pub struct GanEvalSummary {
    pub dataset: String,
    pub checkpoint_steps: usize,
    pub train_error: f64,
    pub test_error: f64,
    pub groups: usize,
    /// Latency: one test group per forward pass.
    pub seconds_per_group: f64,
    /// Throughput: `batch` test groups per forward pass, seconds per group.
    pub seconds_per_group_batched: f64,
    pub batch: usize,
    /// Alternating-HALS rounds after the forward pass (0 = the forward pass alone).
    pub refine: usize,
    pub backend: &'static str,
}

struct EvalJob<'a> {
    cfg: GanTrainingConfig,
    groups: usize,
    batch: usize,
    refine: usize,
    dir: &'a Path,
    train: &'a ImageSet,
    test: &'a ImageSet,
}

/// (checkpoint steps, train (ε, groups, s/group), test batched, test one group at a time).
type EvalOutput = (
    usize,
    (f64, usize, f64),
    (f64, usize, f64),
    (f64, usize, f64),
);

impl BackendJob for EvalJob<'_> {
    type Output = anyhow::Result<EvalOutput>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        let mut task = GanTask::<B>::new(self.cfg.clone(), self.train, &device)?;
        let steps = load_checkpoint(self.dir, &mut task)?;
        let g = task.generator();
        let cfg = &self.cfg.generator;
        let spec = EvalSpec {
            seed: 0,
            limit: self.groups,
            batch: self.batch,
            refine: self.refine,
            timed_passes: TIMED_PASSES,
        };
        // The training split's time is not reported: one pass for its error.
        let tr = evaluate(
            g,
            self.train,
            cfg,
            EvalSpec {
                timed_passes: 1,
                ..spec
            },
            &device,
        )?;
        let te = evaluate(g, self.test, cfg, spec, &device)?;
        let single = evaluate(g, self.test, cfg, EvalSpec { batch: 1, ..spec }, &device)?;
        Ok((steps, tr, te, single))
    }
}

/// Evaluates the generator of `job.checkpoint`.
pub fn gan_eval(job: &GanEvalJob) -> anyhow::Result<GanEvalSummary> {
    let (req, backend) = (job, job.backend);
    super::factorize::check_refine(req.refine)?;
    let cfg = checkpoint_training_config(&req.checkpoint)?;
    let (train, test) = load_splits(&req.dataset, req.data_dir.as_deref())?;
    cfg.check_image_shape(
        test.height,
        test.width,
        &format!("the {} images", req.dataset),
    )?;
    if req.batch == 0 || req.batch > 1024 {
        bail!(
            "`batch` must be between 1 and 1024 groups per forward pass, got {}",
            req.batch
        );
    }
    let (steps, tr, te, single) = dispatch(
        backend,
        EvalJob {
            cfg,
            groups: req.groups,
            batch: req.batch,
            refine: req.refine,
            dir: &req.checkpoint,
            train: &train,
            test: &test,
        },
    )??;
    Ok(GanEvalSummary {
        dataset: req.dataset.clone(),
        checkpoint_steps: steps,
        train_error: tr.0,
        test_error: te.0,
        groups: te.1,
        seconds_per_group: single.2,
        seconds_per_group_batched: te.2,
        // Fewer groups than `batch`: all of them went through in one pass.
        batch: req.batch.min(te.1),
        refine: req.refine,
        backend: backend.name(),
    })
}
