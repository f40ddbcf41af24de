//! GAN-UNET as a [`Task`] of the one training loop: per step, one discriminator update and one
//! generator update on a batch of class-balanced groups (SPEC §5).

use crate::symnmf::to_device;
use crate::trainer::{step_seed, Metrics, Task};
use anyhow::{bail, Context};
use burn::module::{AutodiffModule, Module, ModuleVisitor, Param};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use ganunet_burn::{
    balanced_groups, discriminator_loss, generator_loss, group_error, pca_reconstruction,
    reconstruct, Discriminator, DiscriminatorConfig, Generator, GeneratorConfig,
};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::Dense;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

type Bytes = BinBytesRecorder<FullPrecisionSettings>;

/// Everything that defines a GAN-UNET training run (saved beside its checkpoints).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GanTrainingConfig {
    pub generator: GeneratorConfig,
    /// `None`: the "UNET" ablation, L1 only.
    pub discriminator: Option<DiscriminatorConfig>,
    /// Groups per optimiser step.
    pub batch: usize,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    /// λ of the L1 term.
    pub l1_weight: f64,
    /// Probability that a real pair is labelled fake.
    pub label_noise: f64,
    pub seed: u64,
}

impl Default for GanTrainingConfig {
    fn default() -> Self {
        Self {
            generator: GeneratorConfig::default(),
            discriminator: Some(DiscriminatorConfig::default()),
            batch: 1,
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            l1_weight: 100.0,
            label_noise: 0.1,
            seed: 0,
        }
    }
}

/// Hands every gradient of a module to the optimiser in a contiguous layout. Convolution
/// backward passes return weight gradients as permuted views; Adam then runs its element-wise
/// ops on them through the backends' strided (scalar) path, which `perf` showed taking about
/// 45% of a flex training step. One reshape copies each such view once (a tiled copy), and the
/// optimiser's ops take their vectorised path.
struct ContiguousGrads<'a> {
    grads: &'a mut GradientsParams,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for ContiguousGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            let dims = g.dims();
            let n = dims.iter().product::<usize>();
            self.grads
                .register::<B::InnerBackend, D>(param.id, g.reshape([n]).reshape(dims));
        }
    }
}

fn contiguous_grads<B: AutodiffBackend, M: Module<B>>(
    module: &M,
    mut grads: GradientsParams,
) -> GradientsParams {
    module.visit(&mut ContiguousGrads { grads: &mut grads });
    grads
}

/// Images padded to a side the U-Net accepts (28×28 → 32×32, zeros around; the error is
/// measured on the original 28×28 crop).
pub struct PaddedImages {
    pub side: usize,
    pub height: usize,
    pub width: usize,
    /// One padded image per row.
    pub pixels: Dense,
    pub labels: Vec<usize>,
}

impl PaddedImages {
    pub fn new(set: &ImageSet, cfg: &GeneratorConfig) -> anyhow::Result<Self> {
        let multiple = 1usize << cfg.levels;
        let side = set.height.max(set.width).div_ceil(multiple) * multiple;
        cfg.check_size(side, side)?;
        let (top, left) = ((side - set.height) / 2, (side - set.width) / 2);
        let n = set.images.nrows();
        let mut data = vec![0.0f32; n * side * side];
        for i in 0..n {
            let row = set.images.row(i);
            for y in 0..set.height {
                for x in 0..set.width {
                    data[i * side * side + (y + top) * side + x + left] = row[y * set.width + x];
                }
            }
        }
        Ok(Self {
            side,
            height: set.height,
            width: set.width,
            pixels: Dense::new(n, side * side, data)?,
            labels: set.labels.clone(),
        })
    }

    /// The groups as one [batch, m, side, side] host buffer.
    fn batch(&self, groups: &[&Vec<usize>]) -> Vec<f32> {
        let mut out = Vec::with_capacity(groups.len() * groups[0].len() * self.side * self.side);
        for g in groups {
            for &i in g.iter() {
                out.extend_from_slice(self.pixels.row(i));
            }
        }
        out
    }

    /// Crops [batch, m, side, side] back to the original image size.
    pub fn crop<B: burn::tensor::backend::Backend>(&self, t: Tensor<B, 4>) -> Tensor<B, 4> {
        let (top, left) = ((self.side - self.height) / 2, (self.side - self.width) / 2);
        let [b, m, _, _] = t.dims();
        t.slice([0..b, 0..m, top..top + self.height, left..left + self.width])
    }
}

pub struct GanTask<B: AutodiffBackend> {
    cfg: GanTrainingConfig,
    data: PaddedImages,
    generator: Option<Generator<B>>,
    discriminator: Option<Discriminator<B>>,
    g_opt: OptimizerAdaptor<Adam, Generator<B>, B>,
    d_opt: OptimizerAdaptor<Adam, Discriminator<B>, B>,
    groups_per_epoch: usize,
    epoch_groups: (usize, Vec<Vec<usize>>),
    device: B::Device,
}

impl<B: AutodiffBackend> GanTask<B> {
    pub fn new(
        cfg: GanTrainingConfig,
        images: &ImageSet,
        device: &B::Device,
    ) -> anyhow::Result<Self> {
        cfg.generator.validate()?;
        if cfg.batch == 0 {
            bail!("batch must be at least 1 group");
        }
        if !(0.0..=1.0).contains(&cfg.label_noise) {
            bail!("label_noise must be a probability, got {}", cfg.label_noise);
        }
        let data = PaddedImages::new(images, &cfg.generator)?;
        let first = balanced_groups(&data.labels, cfg.generator.group, step_seed(cfg.seed, 0))?;
        let generator = cfg.generator.init::<B>(device)?;
        let discriminator = cfg.discriminator.as_ref().map(|d| {
            DiscriminatorConfig {
                in_channels: 2 * cfg.generator.group,
                ..d.clone()
            }
            .init::<B>(device)
        });
        let adam = || {
            AdamConfig::new()
                .with_beta_1(cfg.beta1 as f32)
                .with_beta_2(cfg.beta2 as f32)
        };
        Ok(Self {
            groups_per_epoch: first.len(),
            epoch_groups: (0, first),
            g_opt: adam().init(),
            d_opt: adam().init(),
            cfg,
            data,
            generator: Some(generator),
            discriminator,
            device: device.clone(),
        })
    }

    pub fn generator(&self) -> &Generator<B> {
        self.generator.as_ref().expect("present between steps")
    }

    /// `None` for the "UNET" ablation.
    pub fn discriminator(&self) -> Option<&Discriminator<B>> {
        self.discriminator.as_ref()
    }

    /// The groups of training step `step` (groups are re-drawn every epoch from the seed).
    fn groups_for(&mut self, step: usize) -> anyhow::Result<Vec<Vec<usize>>> {
        let mut out = Vec::with_capacity(self.cfg.batch);
        for b in 0..self.cfg.batch {
            let pos = step * self.cfg.batch + b;
            let epoch = pos / self.groups_per_epoch;
            if self.epoch_groups.0 != epoch {
                self.epoch_groups = (
                    epoch,
                    balanced_groups(
                        &self.data.labels,
                        self.cfg.generator.group,
                        step_seed(self.cfg.seed, epoch),
                    )?,
                );
            }
            out.push(self.epoch_groups.1[pos % self.groups_per_epoch].clone());
        }
        Ok(out)
    }
}

impl<B: AutodiffBackend> Task for GanTask<B> {
    fn step(&mut self, step: usize) -> anyhow::Result<Metrics> {
        let groups = self.groups_for(step)?;
        let refs: Vec<&Vec<usize>> = groups.iter().collect();
        let (m, side) = (self.cfg.generator.group, self.data.side);
        let b = groups.len();
        let host = self.data.batch(&refs);
        let y = Tensor::<B, 4>::from_data(
            TensorData::new(host.clone(), [b, m, side, side]).convert::<B::FloatElem>(),
            &self.device,
        );
        let lr = self.cfg.lr;
        let mut generator = self.generator.take().expect("present between steps");
        let (h, w) = generator.forward(y.clone());
        let y_hat = reconstruct(h, w);
        let mut d_loss_value = f64::NAN;
        if let Some(mut d) = self.discriminator.take() {
            // "Real" pairs: the source and its rank-k PCA reconstruction (PCA disturbing).
            let mut pca = Vec::with_capacity(host.len());
            for g in 0..b {
                let one = &host[g * m * side * side..(g + 1) * m * side * side];
                pca.extend(pca_reconstruction(
                    one,
                    m,
                    side * side,
                    self.cfg.generator.k,
                )?);
            }
            let pca = Tensor::<B, 4>::from_data(
                TensorData::new(pca, [b, m, side, side]).convert::<B::FloatElem>(),
                &self.device,
            );
            let fake = y_hat.clone().detach();
            let mut rng = StdRng::seed_from_u64(step_seed(self.cfg.seed ^ 0x5eed, step));
            let targets: Vec<f32> = (0..b)
                .map(|_| {
                    if rng.random::<f64>() < self.cfg.label_noise {
                        0.0
                    } else {
                        1.0
                    }
                })
                .collect();
            let targets = Tensor::<B, 1>::from_data(
                TensorData::new(targets, [b]).convert::<B::FloatElem>(),
                &self.device,
            );
            let real_logits = d.forward(Tensor::cat(vec![y.clone(), pca], 1));
            let fake_logits = d.forward(Tensor::cat(vec![y.clone(), fake], 1));
            let d_loss = discriminator_loss(real_logits, fake_logits, targets);
            d_loss_value = d_loss.clone().into_scalar().elem::<f64>();
            let grads = contiguous_grads(&d, GradientsParams::from_grads(d_loss.backward(), &d));
            d = self.d_opt.step(lr, d, grads);
            self.discriminator = Some(d);
        }
        // The discriminator's update does not change the generator, so the reconstruction of
        // its forward pass serves the generator's update too (one generator forward per step).
        let fake_logits = self
            .discriminator
            .as_ref()
            .map(|d| d.forward(Tensor::cat(vec![y.clone(), y_hat.clone()], 1)));
        let g_loss = generator_loss(fake_logits, y_hat.clone(), y.clone(), self.cfg.l1_weight);
        let error = group_error(self.data.crop(y_hat.detach()), self.data.crop(y.clone()))
            .mean()
            .into_scalar()
            .elem::<f64>();
        let g_loss_value = g_loss.clone().into_scalar().elem::<f64>();
        let grads = contiguous_grads(
            &generator,
            GradientsParams::from_grads(g_loss.backward(), &generator),
        );
        generator = self.g_opt.step(lr, generator, grads);
        self.generator = Some(generator);
        let mut metrics: Metrics = vec![
            ("g_loss".into(), g_loss_value),
            ("train_error".into(), error),
        ];
        if d_loss_value.is_finite() {
            metrics.push(("d_loss".into(), d_loss_value));
        }
        Ok(metrics)
    }

    fn config_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    /// Parsed, so a checkpoint from before `nnls_sweeps` existed (absent = 0) still loads.
    fn accepts_config(&self, saved: &serde_json::Value) -> bool {
        serde_json::from_value::<GanTrainingConfig>(saved.clone()).is_ok_and(|c| c == self.cfg)
    }

    fn save_state(&self) -> anyhow::Result<Vec<u8>> {
        let parts: Vec<Vec<u8>> = vec![
            Bytes::default().record(self.generator().clone().into_record(), ())?,
            Bytes::default().record(self.g_opt.to_record(), ())?,
            match &self.discriminator {
                Some(d) => Bytes::default().record(d.clone().into_record(), ())?,
                None => Vec::new(),
            },
            Bytes::default().record(self.d_opt.to_record(), ())?,
        ];
        let mut out = Vec::new();
        for p in &parts {
            out.extend_from_slice(&(p.len() as u64).to_le_bytes());
            out.extend_from_slice(p);
        }
        Ok(out)
    }

    fn load_state(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let mut parts = Vec::new();
        let mut at = 0usize;
        for _ in 0..4 {
            anyhow::ensure!(bytes.len() >= at + 8, "checkpoint state is truncated");
            let n = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes")) as usize;
            at += 8;
            anyhow::ensure!(bytes.len() >= at + n, "checkpoint state is truncated");
            parts.push(bytes[at..at + n].to_vec());
            at += n;
        }
        let g = self.generator.take().expect("present between steps");
        let rec = Bytes::default()
            .load(parts[0].clone(), &self.device)
            .context("cannot read the generator")?;
        self.generator = Some(g.load_record(rec));
        let rec = Bytes::default()
            .load(parts[1].clone(), &self.device)
            .context("cannot read the generator's optimiser")?;
        self.g_opt = self.g_opt.clone().load_record(rec);
        if let Some(d) = self.discriminator.take() {
            let rec = Bytes::default()
                .load(parts[2].clone(), &self.device)
                .context("cannot read the discriminator")?;
            self.discriminator = Some(d.load_record(rec));
            let rec = Bytes::default()
                .load(parts[3].clone(), &self.device)
                .context("cannot read the discriminator's optimiser")?;
            self.d_opt = self.d_opt.clone().load_record(rec);
        }
        Ok(())
    }
}

/// The fixed evaluation groups of a split: every class-balanced group of 40, drawn with seed 0
/// whatever the training seed (the generator and the classical baselines use the same ones).
pub fn fixed_groups(set: &ImageSet) -> anyhow::Result<Vec<Vec<usize>>> {
    Ok(balanced_groups(
        &set.labels,
        GeneratorConfig::default().group,
        0,
    )?)
}

/// Which groups [`evaluate`] factorises and how.
#[derive(Clone, Copy, Debug)]
pub struct EvalSpec {
    /// Seed of the class-balanced groups (0 = the fixed groups every report uses).
    pub seed: u64,
    /// > 0 keeps the first `limit` groups.
    pub limit: usize,
    /// Groups per forward pass (BatchNorm uses its running statistics, so batching does not
    /// change the result, only the speed).
    pub batch: usize,
    /// Rounds of alternating HALS after the forward pass ([`Generator::factorize`]); 0 = the
    /// paper's single forward pass.
    pub refine: usize,
    /// Timed passes over all groups (at least 1); the fastest counts. Millisecond passes on a
    /// shared CPU are noisy: [`TIMED_PASSES`] where the time is reported, 1 where only the
    /// error is needed.
    pub timed_passes: usize,
}

/// Timed passes where [`evaluate`]'s time is a reported figure.
pub const TIMED_PASSES: usize = 3;

impl EvalSpec {
    /// All groups of seed 0, one per pass, no refinement, timed as reported figures are.
    pub fn fixed() -> Self {
        Self {
            seed: 0,
            limit: 0,
            batch: 1,
            refine: 0,
            timed_passes: TIMED_PASSES,
        }
    }
}

/// The generator's error ε on class-balanced groups (inference, no autodiff). Returns (mean ε,
/// groups, seconds per group); the timing follows one untimed warm-up pass, is the fastest of
/// `spec.timed_passes` passes over all groups and includes the refinement rounds.
pub fn evaluate<B: AutodiffBackend>(
    generator: &Generator<B>,
    set: &ImageSet,
    cfg: &GeneratorConfig,
    spec: EvalSpec,
    device: &B::Device,
) -> anyhow::Result<(f64, usize, f64)> {
    let EvalSpec {
        seed,
        limit,
        batch,
        refine,
        timed_passes,
    } = spec;
    let data = PaddedImages::new(set, cfg)?;
    let mut groups = balanced_groups(&data.labels, cfg.group, seed)?;
    if limit > 0 {
        groups.truncate(limit);
    }
    let g = generator.valid();
    let pass =
        |chunk: &[Vec<usize>]| -> anyhow::Result<f64> {
            let refs: Vec<&Vec<usize>> = chunk.iter().collect();
            let host = data.batch(&refs);
            let y = to_device::<B::InnerBackend>(&Dense::new(1, host.len(), host)?, device)
                .reshape([chunk.len(), cfg.group, data.side, data.side]);
            let (h, w) = g.factorize(y.clone(), refine);
            Ok(group_error(data.crop(reconstruct(h, w)), data.crop(y))
                .sum()
                .into_scalar()
                .elem::<f64>())
        };
    // One untimed pass at the timed shape first: GPU backends compile (and autotune) their
    // kernels on first use, which is not the cost of factorising a group.
    if let Some(first) = groups.chunks(batch.max(1)).next() {
        pass(first)?;
    }
    let mut best = f64::INFINITY;
    let mut total = 0.0;
    for _ in 0..timed_passes.max(1) {
        let started = std::time::Instant::now();
        total = 0.0;
        for chunk in groups.chunks(batch.max(1)) {
            total += pass(chunk)?;
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    let secs = best / groups.len() as f64;
    Ok((total / groups.len() as f64, groups.len(), secs))
}

/// `nmfnet gan train` arguments.
#[derive(clap::Args, Debug)]
pub struct GanTrainArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Train with L1 only (the "UNET" ablation).
    #[arg(long)]
    pub no_discriminator: bool,
    /// Optimiser steps (each: one D and one G update on --batch groups).
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Groups per step.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Basis images k.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// HALS sweeps of the differentiable NNLS layer that refines W given H and the group
    /// (0 = the paper's W head alone; an extension, see ganunet_burn::nnls).
    #[arg(long, default_value_t = 0)]
    pub nnls_sweeps: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Generator width: channels after the first down-sampling, doubled per level up to 8×
    /// (pix2pix: 64 → 512). 32 has about 1/4 of the parameters and arithmetic (faster
    /// training and inference); the paper's network is 64.
    #[arg(long, default_value_t = 64, conflicts_with = "tiny")]
    pub channels: usize,
    /// A small network (8 base channels): for smoke tests, not for results.
    #[arg(long)]
    pub tiny: bool,
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    #[arg(long, requires = "out")]
    pub resume: bool,
    #[arg(long, default_value_t = 100)]
    pub checkpoint_every: usize,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: crate::backend::BackendChoice,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

/// What `nmfnet gan train` reports.
#[derive(Serialize, Debug)]
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

pub(crate) fn dataset_id(name: &str) -> anyhow::Result<nmfnet_datasets::catalog::DatasetId> {
    use nmfnet_datasets::catalog::DatasetId;
    Ok(match name {
        "mnist" => DatasetId::Mnist,
        "fashion" => DatasetId::Fashion,
        "face" | "olivetti" => DatasetId::Olivetti,
        other => bail!("unknown GAN-UNET data set {other:?} (mnist, fashion, face)"),
    })
}

struct GanJob<'a> {
    cfg: GanTrainingConfig,
    train: &'a ImageSet,
    test: &'a ImageSet,
    trainer: crate::trainer::TrainerConfig,
}

impl crate::backend::BackendJob for GanJob<'_> {
    type Output = anyhow::Result<(crate::trainer::TrainReport, f64, usize, f64)>;
    fn run<B: symnmf_burn::SymNmfAutodiffBackend>(
        self,
        device: B::Device,
        _: &'static str,
    ) -> Self::Output {
        let mut task = GanTask::<B>::new(self.cfg.clone(), self.train, &device)?;
        let report = crate::trainer::Trainer::new(self.trainer).run(&mut task)?;
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

/// `nmfnet gan train`.
pub fn train_command(args: &GanTrainArgs) -> anyhow::Result<GanTrainSummary> {
    use nmfnet_datasets::catalog::{self, Split};
    let started = std::time::Instant::now();
    let id = dataset_id(&args.dataset)?;
    let dir = catalog::data_dir(args.data_dir.as_deref())?;
    let train = catalog::load_images(id, Split::Train, &dir)?;
    let test = catalog::load_images(id, Split::Test, &dir)?;
    let mut generator = GeneratorConfig {
        k: args.k,
        nnls_sweeps: args.nnls_sweeps,
        base_channels: args.channels,
        max_channels: args.channels.saturating_mul(8),
        ..Default::default()
    };
    let mut discriminator = DiscriminatorConfig::default();
    if args.tiny {
        generator.base_channels = 8;
        generator.max_channels = 32;
        discriminator.base_channels = 8;
    }
    generator.validate()?;
    let cfg = GanTrainingConfig {
        generator,
        discriminator: (!args.no_discriminator).then_some(discriminator),
        batch: args.batch,
        seed: args.seed,
        ..Default::default()
    };
    if let Some(out) = &args.out {
        if !args.resume && out.join("checkpoint.bin").exists() {
            bail!(
                "{} already holds a run; pass --resume or choose another --out",
                out.display()
            );
        }
    }
    let trainer = crate::trainer::TrainerConfig {
        steps: args.steps,
        out_dir: args.out.clone(),
        checkpoint_every: args.checkpoint_every,
        log_every: 1,
        resume: args.resume,
        progress: !args.quiet,
        label: format!("gan-unet {}", args.dataset),
    };
    let backend = args.backend;
    let (report, test_error, test_groups, seconds_per_group) = crate::backend::dispatch(
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
        dataset: args.dataset.clone(),
        steps: args.steps,
        k: args.k,
        discriminator: !args.no_discriminator,
        train_error,
        test_error,
        test_groups,
        seconds_per_group,
        seconds: started.elapsed().as_secs_f64(),
        training_seconds: report.total_seconds,
        backend: backend.name(),
    };
    if let Some(out) = &args.out {
        nmfnet_datasets::io::atomic_write(
            &out.join("summary.json"),
            serde_json::to_string_pretty(&summary)?.as_bytes(),
        )?;
    }
    Ok(summary)
}

/// `nmfnet gan eval` arguments.
#[derive(clap::Args, Debug)]
pub struct GanEvalArgs {
    /// Folder of a `gan train --out` run (checkpoint.bin).
    #[arg(long, value_name = "DIR")]
    pub checkpoint: std::path::PathBuf,
    /// mnist, fashion or face: may differ from the training set (generalisation).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Evaluate on the first N fixed groups of each split (0 = all; drawn with seed 0, the
    /// same groups `gan baselines` uses).
    #[arg(long, default_value_t = 0)]
    pub groups: usize,
    /// Groups per forward pass for the errors and the throughput figure (the latency figure
    /// always runs one group at a time).
    #[arg(long, default_value_t = 25)]
    pub batch: usize,
    /// Rounds of alternating HALS (H given W, then W given H) run on each group after the
    /// forward pass, started from the generator's factors: an inference-time refinement that
    /// trades speed for error (0 = the paper's single forward pass). Timings include it.
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub refine: usize,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: crate::backend::BackendChoice,
    #[arg(long)]
    pub json: bool,
}

/// What `nmfnet gan eval` reports: ε on fixed groups (seed 0) of both splits.
#[derive(Serialize, Debug)]
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
    dir: &'a std::path::Path,
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

impl crate::backend::BackendJob for EvalJob<'_> {
    type Output = anyhow::Result<EvalOutput>;
    fn run<B: symnmf_burn::SymNmfAutodiffBackend>(
        self,
        device: B::Device,
        _: &'static str,
    ) -> Self::Output {
        let mut task = GanTask::<B>::new(self.cfg.clone(), self.train, &device)?;
        let steps = crate::trainer::load_checkpoint(self.dir, &mut task)?;
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

/// The training config saved in a `gan train` checkpoint folder.
pub(crate) fn checkpoint_training_config(
    dir: &std::path::Path,
) -> anyhow::Result<GanTrainingConfig> {
    let value = crate::trainer::checkpoint_config(dir)?;
    serde_json::from_value(value)
        .with_context(|| format!("{} does not hold a GAN-UNET checkpoint", dir.display()))
}

/// `nmfnet gan eval`.
pub fn eval_command(args: &GanEvalArgs) -> anyhow::Result<GanEvalSummary> {
    use nmfnet_datasets::catalog::{self, Split};
    let cfg = checkpoint_training_config(&args.checkpoint)?;
    let id = dataset_id(&args.dataset)?;
    let dir = catalog::data_dir(args.data_dir.as_deref())?;
    let train = catalog::load_images(id, Split::Train, &dir)?;
    let test = catalog::load_images(id, Split::Test, &dir)?;
    if args.batch == 0 {
        bail!("--batch must be at least 1 group per forward pass");
    }
    let (steps, tr, te, single) = crate::backend::dispatch(
        args.backend,
        EvalJob {
            cfg,
            groups: args.groups,
            batch: args.batch,
            refine: args.refine,
            dir: &args.checkpoint,
            train: &train,
            test: &test,
        },
    )??;
    Ok(GanEvalSummary {
        dataset: args.dataset.clone(),
        checkpoint_steps: steps,
        train_error: tr.0,
        test_error: te.0,
        groups: te.1,
        seconds_per_group: single.2,
        seconds_per_group_batched: te.2,
        // Fewer groups than --batch: all of them went through in one pass.
        batch: args.batch.min(te.1),
        refine: args.refine,
        backend: args.backend.name(),
    })
}

/// `nmfnet gan factorize` arguments.
#[derive(clap::Args, Debug)]
pub struct GanFactorizeArgs {
    /// Folder of a `gan train --out` run.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: std::path::PathBuf,
    /// A folder of exactly one group of same-size PNG/PGM images (file-name order).
    #[arg(long, value_name = "DIR")]
    pub images: std::path::PathBuf,
    /// Output folder: H.npy ((height·width) × k, one basis image per column), W.npy (k × m),
    /// grid.png (inputs, reconstructions, basis images).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Rounds of alternating HALS after the forward pass (see `gan eval --refine`).
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub refine: usize,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: crate::backend::BackendChoice,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize, Debug)]
pub struct GanFactorizeSummary {
    pub images: usize,
    pub k: usize,
    /// ε of this group (paper eq. 4).
    pub error: f64,
    pub seconds: f64,
}

struct FactorizeJob<'a> {
    cfg: GanTrainingConfig,
    dir: &'a std::path::Path,
    set: &'a ImageSet,
    refine: usize,
}

impl crate::backend::BackendJob for FactorizeJob<'_> {
    type Output = anyhow::Result<(Dense, Dense, Dense, f64, f64)>;
    fn run<B: symnmf_burn::SymNmfAutodiffBackend>(
        self,
        device: B::Device,
        _: &'static str,
    ) -> Self::Output {
        let mut task = GanTask::<B>::new(self.cfg.clone(), self.set, &device)?;
        crate::trainer::load_checkpoint(self.dir, &mut task)?;
        let data = PaddedImages::new(self.set, &self.cfg.generator)?;
        let g = task.generator().valid();
        let m = self.cfg.generator.group;
        let all: Vec<usize> = (0..m).collect();
        let host = data.batch(&[&all]);
        let started = std::time::Instant::now();
        let y = to_device::<B::InnerBackend>(&Dense::new(1, host.len(), host)?, &device)
            .reshape([1, m, data.side, data.side]);
        let (h, w) = g.factorize(y.clone(), self.refine);
        let y_hat = reconstruct(h.clone(), w.clone());
        let secs = started.elapsed().as_secs_f64();
        let err = group_error(data.crop(y_hat.clone()), data.crop(y))
            .into_scalar()
            .elem::<f64>();
        let k = self.cfg.generator.k;
        let (hh, ww) = (data.height, data.width);
        let h_img = crate::symnmf::to_host(data.crop(h).reshape([k, hh * ww]));
        let rec = crate::symnmf::to_host(data.crop(y_hat).reshape([m, hh * ww]));
        let w = crate::symnmf::to_host(w.reshape([k, m]));
        Ok((h_img, w, rec, err, secs))
    }
}

/// A group factorised by a trained generator (one forward pass).
pub struct Factorized {
    /// k × pixels, one basis image per row.
    pub h: Dense,
    /// k × m.
    pub w: Dense,
    /// m × pixels, the reconstructions.
    pub rec: Dense,
    /// ε of the group.
    pub error: f64,
    /// Seconds of the forward pass (and the refinement rounds).
    pub seconds: f64,
}

/// Factorises `set` (exactly one group: as many images as the generator takes, one per row)
/// with the generator of the checkpoint in `checkpoint`, then `refine` rounds of alternating
/// HALS.
pub fn factorize_images(
    checkpoint: &std::path::Path,
    set: &ImageSet,
    refine: usize,
    backend: crate::backend::BackendChoice,
) -> anyhow::Result<Factorized> {
    let cfg = checkpoint_training_config(checkpoint)?;
    anyhow::ensure!(
        set.images.nrows() == cfg.generator.group,
        "the generator factorises groups of {} images, got {}",
        cfg.generator.group,
        set.images.nrows()
    );
    let (h, w, rec, error, seconds) = crate::backend::dispatch(
        backend,
        FactorizeJob {
            cfg,
            dir: checkpoint,
            set,
            refine,
        },
    )??;
    Ok(Factorized {
        h,
        w,
        rec,
        error,
        seconds,
    })
}

/// `nmfnet gan factorize`: one forward pass on a group (plus `--refine` rounds).
pub fn factorize_command(args: &GanFactorizeArgs) -> anyhow::Result<GanFactorizeSummary> {
    use nmfnet_datasets::io::{atomic_write, gray_grid_png, read_image_folder, write_npy};
    let cfg = checkpoint_training_config(&args.checkpoint)?;
    let folder = read_image_folder(&args.images)?;
    let m = folder.matrix.ncols();
    if m != cfg.generator.group {
        bail!(
            "{} holds {m} images but the generator factorises groups of {}",
            args.images.display(),
            cfg.generator.group
        );
    }
    // Images as rows (the folder reader gives pixels × images).
    let px = folder.height * folder.width;
    let mut rows = vec![0.0f32; m * px];
    for p in 0..px {
        for j in 0..m {
            rows[j * px + p] = folder.matrix.get(p, j);
        }
    }
    let set = ImageSet {
        images: Dense::new(m, px, rows.clone())?,
        height: folder.height,
        width: folder.width,
        labels: vec![0; m],
    };
    let Factorized {
        h,
        w,
        rec,
        error,
        seconds,
    } = factorize_images(&args.checkpoint, &set, args.refine, args.backend)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // H with one basis image per column.
    let k = cfg.generator.k;
    let mut hcols = vec![0.0f32; px * k];
    for l in 0..k {
        for p in 0..px {
            hcols[p * k + l] = h.get(l, p);
        }
    }
    write_npy(&args.out.join("H.npy"), &Dense::new(px, k, hcols)?)?;
    write_npy(&args.out.join("W.npy"), &w)?;
    let mut tiles: Vec<Vec<f32>> = (0..m)
        .map(|j| rows[j * px..(j + 1) * px].to_vec())
        .collect();
    tiles.extend((0..m).map(|j| rec.row(j).to_vec()));
    tiles.extend((0..k).map(|l| h.row(l).to_vec()));
    atomic_write(
        &args.out.join("grid.png"),
        &gray_grid_png(&tiles, folder.height, folder.width, 10)?,
    )?;
    Ok(GanFactorizeSummary {
        images: m,
        k,
        error,
        seconds,
    })
}
