//! GAN-UNET as a [`Task`] of the one training loop: per step, one discriminator update and one
//! generator update on a batch of class-balanced groups (SPEC §5).

use crate::runtime::record::BoundedBinBytes;
use crate::task::{step_seed, Metrics, Task};
use anyhow::{bail, Context};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, Recorder};
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

type Bytes = BoundedBinBytes<FullPrecisionSettings>;

/// Upper limit of [`GanTrainingConfig::batch`] (groups per step).
pub const MAX_BATCH: usize = 1024;
/// Upper limit of the weight initialisations' standard deviations (pix2pix uses 0.02).
pub const MAX_INIT_STD: f64 = 10.0;

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
    /// Seeds the weight initialisation (the backend's generator), the groups and the label noise.
    pub seed: u64,
    /// The data set trained on, so that a resumed run cannot switch it (absent in checkpoints
    /// written before it was recorded, and in runs on images given directly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Height and width of the training images: a trained model factorises images of that
    /// size only (absent in older checkpoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_shape: Option<(usize, usize)>,
}

impl GanTrainingConfig {
    /// Refuses images of another size than the model was trained on (when that is recorded).
    pub fn check_image_shape(&self, height: usize, width: usize, what: &str) -> anyhow::Result<()> {
        match self.image_shape {
            Some((h, w)) if (h, w) != (height, width) => {
                bail!("{what} are {height}×{width} but the model was trained on {h}×{w} images")
            }
            _ => Ok(()),
        }
    }
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
            dataset: None,
            image_shape: None,
        }
    }
}

/// Hands every gradient of a module to the optimiser in a contiguous layout. Convolution
/// backward passes return weight gradients as permuted views; Adam then runs its element-wise
/// ops on them through the backends' strided (scalar) path, which `perf` showed taking about
/// 45% of a flex training step. One copy ([`super::contiguous`]) of each such view, and the
/// optimiser's ops take their vectorised path.
struct ContiguousGrads<'a> {
    grads: &'a mut GradientsParams,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for ContiguousGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            self.grads
                .register::<B::InnerBackend, D>(param.id, super::contiguous::contiguous(g));
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

/// Wall time per named phase, summed over laps (a benchmark's breakdown of a step).
#[derive(Debug, Clone)]
struct PhaseClock {
    at: std::time::Instant,
    totals: Vec<(&'static str, f64)>,
}

impl Default for PhaseClock {
    fn default() -> Self {
        Self {
            at: std::time::Instant::now(),
            totals: Vec::new(),
        }
    }
}

impl PhaseClock {
    fn start(&mut self) {
        self.at = std::time::Instant::now();
    }

    /// Adds the time since the last lap (or start) to `phase`.
    fn lap(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        let dt = (now - self.at).as_secs_f64();
        self.at = now;
        match self.totals.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, t)) => *t += dt,
            None => self.totals.push((phase, dt)),
        }
    }
}

/// Reads every float parameter once, which makes Burn draw the lazily initialised ones now.
struct Materialise;

impl<B: burn::tensor::backend::Backend> ModuleVisitor<B> for Materialise {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}

fn materialise<B: burn::tensor::backend::Backend, M: Module<B>>(module: M) -> M {
    module.visit(&mut Materialise);
    module
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
    pub fn batch(&self, groups: &[&Vec<usize>]) -> Vec<f32> {
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
    /// Wall time per phase of the steps so far (see [`GanTask::phase_seconds`]).
    phases: PhaseClock,
    /// Data-parallel: this peer takes its share of every batch and averages gradients and
    /// metrics with the others.
    #[cfg(feature = "collective")]
    peer: Option<crate::runtime::collective::Peer>,
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
        if cfg.batch > MAX_BATCH {
            bail!(
                "batch must be at most {MAX_BATCH} groups, got {}",
                cfg.batch
            );
        }
        if !(cfg.lr.is_finite() && cfg.lr > 0.0 && cfg.lr <= 1.0) {
            bail!("lr must be in (0, 1], got {}", cfg.lr);
        }
        for (name, b) in [("beta1", cfg.beta1), ("beta2", cfg.beta2)] {
            if !(0.0..1.0).contains(&b) {
                bail!("{name} must be in [0, 1), got {b}");
            }
        }
        if !(cfg.l1_weight.is_finite() && (0.0..=1e6).contains(&cfg.l1_weight)) {
            bail!("l1_weight must be in [0, 1e6], got {}", cfg.l1_weight);
        }
        let g = &cfg.generator;
        if !(1..=10).contains(&g.levels) {
            bail!("generator.levels must be in 1..=10, got {}", g.levels);
        }
        let std_ok = |s: f64| s.is_finite() && s > 0.0 && s <= MAX_INIT_STD;
        if !std_ok(g.init_std) {
            bail!(
                "generator.init_std must be in (0, {MAX_INIT_STD}], got {}",
                g.init_std
            );
        }
        if let Some(d) = &cfg.discriminator {
            if !(1..=4096).contains(&d.base_channels) {
                bail!(
                    "discriminator.base_channels must be in 1..=4096, got {}",
                    d.base_channels
                );
            }
            if !std_ok(d.init_std) {
                bail!(
                    "discriminator.init_std must be in (0, {MAX_INIT_STD}], got {}",
                    d.init_std
                );
            }
        }
        // The widths come from a config or a checkpoint's metadata: refused before the
        // networks are drawn when their parameters, with the gradients and Adam's two moments
        // of a training run (4 f32 copies, the drawing's temporary a fifth), pass the budget.
        let disc = cfg.discriminator.as_ref().map(|d| DiscriminatorConfig {
            in_channels: cfg.generator.group.saturating_mul(2),
            ..d.clone()
        });
        let params =
            cfg.generator.parameter_count() + disc.as_ref().map_or(0, |d| d.parameter_count());
        nmfnet_datasets::error::check_memory(
            format!("a GAN-UNET of {params} parameters"),
            params.saturating_mul(4 * 5),
        )?;
        let data = PaddedImages::new(images, &cfg.generator)?;
        let first = balanced_groups(&data.labels, cfg.generator.group, step_seed(cfg.seed, 0))?;
        // Weights are drawn from the backend's generator: seed it, then draw every parameter
        // now (Burn initialises lazily), so nothing else running can change what is drawn.
        B::seed(device, cfg.seed);
        let generator = materialise(cfg.generator.init::<B>(device)?);
        let discriminator = cfg.discriminator.as_ref().map(|d| {
            DiscriminatorConfig {
                in_channels: 2 * cfg.generator.group,
                ..d.clone()
            }
            .init::<B>(device)
        });
        let discriminator = discriminator.map(materialise);
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
            phases: PhaseClock::default(),
            #[cfg(feature = "collective")]
            peer: None,
        })
    }

    /// Seconds spent in each phase of the training steps so far, summed over the steps, in
    /// step order: building the batch, the generator's forward pass, the PCA targets, the
    /// discriminator's forward passes, backward pass and Adam update, the generator's loss
    /// (the discriminator on its output), backward pass and Adam update, and the gradients'
    /// copies to a contiguous layout (with the all-reduce of a data-parallel run). Exact on the
    /// CPU backends, which run each operation when it is called; on a GPU, work queued in one
    /// phase may be waited for in a later one.
    pub fn phase_seconds(&self) -> Vec<(&'static str, f64)> {
        self.phases.totals.clone()
    }

    /// Makes this task one peer of a data-parallel run (the batch must be a multiple of the
    /// peer count). Every peer must be built from the same config, so that they start equal.
    #[cfg(feature = "collective")]
    pub fn with_peer(mut self, peer: crate::runtime::collective::Peer) -> anyhow::Result<Self> {
        peer.share(self.cfg.batch)?;
        self.peer = Some(peer);
        Ok(self)
    }

    /// The part of a batch of `len` this task trains on (all of it unless it is a peer).
    fn share(&self, len: usize) -> anyhow::Result<std::ops::Range<usize>> {
        #[cfg(feature = "collective")]
        if let Some(p) = &self.peer {
            return p.share(len);
        }
        Ok(0..len)
    }

    /// The gradients to step with, contiguous: this task's own, or their mean over the peers
    /// (slices of one reduced vector, contiguous already).
    fn synced<M: Module<B>>(
        &self,
        module: &M,
        grads: GradientsParams,
    ) -> anyhow::Result<GradientsParams> {
        #[cfg(feature = "collective")]
        if let Some(p) = &self.peer {
            return crate::runtime::collective::average_gradients(p, module, grads);
        }
        Ok(contiguous_grads(module, grads))
    }

    /// A step's metrics: this task's own, or their mean over the peers (equal shares, so the
    /// mean of the peers' batch means is the whole batch's mean).
    fn synced_metrics(&self, values: Vec<f64>) -> anyhow::Result<Vec<f64>> {
        #[cfg(feature = "collective")]
        if let Some(p) = &self.peer {
            return crate::runtime::collective::mean_of::<B::InnerBackend>(
                p,
                &values,
                &self.device,
            );
        }
        Ok(values)
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
        self.phases.start();
        let all_groups = self.groups_for(step)?;
        let share = self.share(all_groups.len())?;
        let groups = &all_groups[share.clone()];
        let refs: Vec<&Vec<usize>> = groups.iter().collect();
        let (m, side) = (self.cfg.generator.group, self.data.side);
        let b = groups.len();
        let host = self.data.batch(&refs);
        let y = Tensor::<B, 4>::from_data(
            TensorData::new(host.clone(), [b, m, side, side]).convert::<B::FloatElem>(),
            &self.device,
        );
        let lr = self.cfg.lr;
        self.phases.lap("batch");
        let mut generator = self.generator.take().expect("present between steps");
        let (h, w) = generator.forward(y.clone());
        let y_hat = reconstruct(h, w);
        self.phases.lap("G forward");
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
            self.phases.lap("PCA targets");
            let fake = y_hat.clone().detach();
            let mut rng = StdRng::seed_from_u64(step_seed(self.cfg.seed ^ 0x5eed, step));
            // Drawn for the whole batch (the same on every peer), then this task's share.
            let targets: Vec<f32> = (0..all_groups.len())
                .map(|_| {
                    if rng.random::<f64>() < self.cfg.label_noise {
                        0.0
                    } else {
                        1.0
                    }
                })
                .collect::<Vec<f32>>()[share.clone()]
            .to_vec();
            let targets = Tensor::<B, 1>::from_data(
                TensorData::new(targets, [b]).convert::<B::FloatElem>(),
                &self.device,
            );
            let (real_logits, fake_logits) = d.forward_pair(
                Tensor::cat(vec![y.clone(), pca], 1),
                Tensor::cat(vec![y.clone(), fake], 1),
            );
            let d_loss = discriminator_loss(real_logits, fake_logits, targets);
            d_loss_value = d_loss.clone().into_scalar().elem::<f64>();
            self.phases.lap("D forward");
            let grads = GradientsParams::from_grads(d_loss.backward(), &d);
            self.phases.lap("D backward");
            let grads = self.synced(&d, grads)?;
            self.phases.lap("gradient copies");
            d = self.d_opt.step(lr, d, grads);
            self.discriminator = Some(d);
            self.phases.lap("D Adam");
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
        self.phases.lap("G loss");
        let grads = GradientsParams::from_grads(g_loss.backward(), &generator);
        self.phases.lap("G backward");
        let grads = self.synced(&generator, grads)?;
        self.phases.lap("gradient copies");
        let [g_loss_value, error, d_loss_value]: [f64; 3] = self
            .synced_metrics(vec![g_loss_value, error, d_loss_value])?
            .try_into()
            .map_err(|_| anyhow::anyhow!("three metrics expected"))?;
        generator = self.g_opt.step(lr, generator, grads);
        self.generator = Some(generator);
        self.phases.lap("G Adam");
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

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};

    #[test]
    fn out_of_range_fields_are_refused_before_any_work() {
        let images = ImageSet {
            images: Dense::new(4, 64, vec![0.5; 256]).unwrap(),
            height: 8,
            width: 8,
            labels: vec![0, 1, 0, 1],
        };
        let device = Default::default();
        type Edit = Box<dyn Fn(&mut GanTrainingConfig)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("l1_weight", Box::new(|c| c.l1_weight = 1e30)),
            ("l1_weight", Box::new(|c| c.l1_weight = f64::NAN)),
            (
                "generator.init_std",
                Box::new(|c| c.generator.init_std = 1e9),
            ),
            (
                "generator.init_std",
                Box::new(|c| c.generator.init_std = 0.0),
            ),
            (
                "discriminator.base_channels",
                Box::new(|c| c.discriminator.as_mut().unwrap().base_channels = 0),
            ),
            (
                "discriminator.init_std",
                Box::new(|c| c.discriminator.as_mut().unwrap().init_std = f64::INFINITY),
            ),
        ];
        for (field, edit) in cases {
            let mut cfg = GanTrainingConfig::default();
            cfg.discriminator.get_or_insert_with(Default::default);
            edit(&mut cfg);
            let err = GanTask::<Autodiff<Flex>>::new(cfg, &images, &device)
                .err()
                .unwrap_or_else(|| panic!("{field}: accepted"));
            assert!(err.to_string().contains(field), "{field}: {err}");
        }
    }
}
