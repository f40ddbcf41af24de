//! Timed pieces of the benchmarks: each runs on the chosen backend and returns its
//! raw seconds; the benchmark takes medians and ratios against a baseline of the same run.

use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use ganunet_burn::reconstruct;
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::Dense;
use nmfnet_train::runtime::backend::{dispatch, BackendJob, BackendKind};
use nmfnet_train::task::Task;
use nmfnet_train::tasks::ganunet::{GanTask, GanTrainingConfig};
use nmfnet_train::tasks::symnmf::SymNmfTask;
use nmfnet_train::tasks::transfer::to_host;
use std::time::Instant;
use symnmf_burn::{SymNmfAutodiffBackend, SymNmfTrainingConfig};

struct GemmJob {
    n: usize,
    r: usize,
    reps: usize,
}

impl BackendJob for GemmJob {
    type Output = Vec<f64>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Vec<f64> {
        gemm_times::<B::InnerBackend>(self.n, self.r, self.reps, &device)
    }
}

/// Seconds of each of `reps` products `X·U` (n×n times n×r, random, data already on the
/// device, result read back), after one untimed product.
fn gemm_times<B: Backend>(n: usize, r: usize, reps: usize, device: &B::Device) -> Vec<f64> {
    let x = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
    let u = Tensor::<B, 2>::random([n, r], Distribution::Default, device);
    let _ = x.clone().matmul(u.clone()).sum().into_scalar();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            let _ = x.clone().matmul(u.clone()).sum().into_scalar();
            t.elapsed().as_secs_f64()
        })
        .collect()
}

/// Seconds of `reps` products `X·U` on `backend` (see [`gemm_times`]).
pub fn gemm(backend: BackendKind, n: usize, r: usize, reps: usize) -> anyhow::Result<Vec<f64>> {
    Ok(dispatch(backend, GemmJob { n, r, reps })?)
}

struct SpmmJob {
    x: std::sync::Arc<symnmf_burn::SparseSymmetric>,
    r: usize,
    reps: usize,
}

impl BackendJob for SpmmJob {
    type Output = SpmmTimes;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> SpmmTimes {
        use burn::tensor::TensorPrimitive;
        use symnmf_burn::SparseBackend;
        type I<B> = <B as burn::tensor::backend::AutodiffBackend>::InnerBackend;
        let n = self.x.n();
        let u = Tensor::<I<B>, 2>::random([n, self.r], Distribution::Default, &device);
        let backend = |u: Tensor<I<B>, 2>| {
            Tensor::<I<B>, 2>::from_primitive(TensorPrimitive::Float(I::<B>::sym_spmm(
                self.x.clone(),
                u.into_primitive().tensor(),
            )))
        };
        let host = |u: Tensor<I<B>, 2>| symnmf_burn::similarity::host_spmm(&self.x, u);
        let time = |f: &dyn Fn(Tensor<I<B>, 2>) -> Tensor<I<B>, 2>| -> Vec<f64> {
            let _ = f(u.clone()).sum().into_scalar();
            (0..self.reps)
                .map(|_| {
                    let t = Instant::now();
                    let _ = f(u.clone()).sum().into_scalar();
                    t.elapsed().as_secs_f64()
                })
                .collect()
        };
        SpmmTimes {
            backend: time(&backend),
            host: time(&host),
        }
    }
}

/// Seconds of sparse products `X·U` (U on the device, the sum of the product read back).
#[derive(Debug, Clone)]
pub struct SpmmTimes {
    /// The backend's own product (on the device for wgpu).
    pub backend: Vec<f64>,
    /// The product through the host (U read back, multiplied there, the result uploaded).
    pub host: Vec<f64>,
}

/// `reps` sparse products `X·U` (n×r, random U) on `backend`, its own way and through the host.
pub fn spmm(
    backend: BackendKind,
    x: symnmf_burn::SparseSymmetric,
    r: usize,
    reps: usize,
) -> anyhow::Result<SpmmTimes> {
    Ok(dispatch(
        backend,
        SpmmJob {
            x: std::sync::Arc::new(x),
            r,
            reps,
        },
    )?)
}

/// SymNMF-Net epochs, timed one by one.
#[derive(Debug, Clone)]
pub struct NetEpochs {
    /// The loss of every epoch run (warm-up ones included).
    pub losses: Vec<f64>,
    /// Seconds of each epoch after the warm-up (metrics read back: each epoch is complete).
    pub seconds: Vec<f64>,
    /// The network's U₀ (n × r), for a reference implementation to start from.
    pub u0: Dense,
}

struct EpochJob {
    cfg: SymNmfTrainingConfig,
    x: Graph,
    warmup: usize,
    epochs: usize,
}

impl BackendJob for EpochJob {
    type Output = anyhow::Result<NetEpochs>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        // X is handed to the device: no second host-size copy (as in a real run).
        let mut task = SymNmfTask::<B>::from_graph(self.cfg, self.x, &device)?;
        let u0 = to_host(task.model().u0.val());
        let (mut losses, mut seconds) = (Vec::new(), Vec::new());
        for s in 0..self.warmup + self.epochs {
            let t = Instant::now();
            let m = task.step(s)?;
            let dt = t.elapsed().as_secs_f64();
            losses.push(
                m.iter()
                    .find(|(k, _)| k == "loss")
                    .map_or(f64::NAN, |p| p.1),
            );
            if s >= self.warmup {
                seconds.push(dt);
            }
        }
        Ok(NetEpochs {
            losses,
            seconds,
            u0,
        })
    }
}

/// `warmup` then `epochs` SymNMF-Net epochs on `x` (validated) on `backend`.
pub fn net_epochs(
    backend: BackendKind,
    cfg: SymNmfTrainingConfig,
    x: Graph,
    warmup: usize,
    epochs: usize,
) -> anyhow::Result<NetEpochs> {
    dispatch(
        backend,
        EpochJob {
            cfg,
            x,
            warmup,
            epochs,
        },
    )?
}

/// GAN-UNET training steps and single-group inference, timed one by one.
#[derive(Debug, Clone)]
pub struct GanSteps {
    /// Seconds of each training step after the warm-up (PCA + D update + G update; the losses
    /// are read back, so each step is complete).
    pub step_seconds: Vec<f64>,
    /// Seconds of each single-group forward pass (eval mode) after the warm-up.
    pub inference_seconds: Vec<f64>,
    pub generator_params: usize,
    pub discriminator_params: usize,
    /// Mean seconds per timed step in each phase of the step (`GanTask::phase_seconds`).
    pub phase_seconds: Vec<(String, f64)>,
}

struct GanJob<'a> {
    cfg: GanTrainingConfig,
    images: &'a ImageSet,
    warmup: usize,
    steps: usize,
    inferences: usize,
}

impl BackendJob for GanJob<'_> {
    type Output = anyhow::Result<GanSteps>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        let group = self.cfg.generator.group;
        let (h, w) = (self.images.height, self.images.width);
        let mut task = GanTask::<B>::new(self.cfg, self.images, &device)?;
        let mut step_seconds = Vec::new();
        let mut before_timed = Vec::new();
        for s in 0..self.warmup + self.steps {
            if s == self.warmup {
                before_timed = task.phase_seconds();
            }
            let t = Instant::now();
            task.step(s)?;
            if s >= self.warmup {
                step_seconds.push(t.elapsed().as_secs_f64());
            }
        }
        let phase_seconds = task
            .phase_seconds()
            .into_iter()
            .map(|(phase, total)| {
                let earlier = before_timed
                    .iter()
                    .find(|(p, _)| *p == phase)
                    .map_or(0.0, |e| e.1);
                (
                    phase.to_string(),
                    (total - earlier) / self.steps.max(1) as f64,
                )
            })
            .collect();
        let g = task.generator().valid();
        let mut inference_seconds = Vec::new();
        for s in 0..self.warmup + self.inferences {
            let y = Tensor::<B::InnerBackend, 4>::random(
                [1, group, h, w],
                Distribution::Uniform(0.0, 1.0),
                &device,
            );
            let t = Instant::now();
            let (hh, ww) = g.forward(y);
            let _ = reconstruct(hh, ww).sum().into_scalar();
            if s >= self.warmup {
                inference_seconds.push(t.elapsed().as_secs_f64());
            }
        }
        Ok(GanSteps {
            step_seconds,
            inference_seconds,
            generator_params: task.generator().num_params(),
            discriminator_params: task.discriminator().map_or(0, |d| d.num_params()),
            phase_seconds,
        })
    }
}

/// `warmup` + `steps` training steps of GAN-UNET on `images` (sides a multiple of 2^levels),
/// then `warmup` + `inferences` single-group forward passes on random groups, on `backend`.
pub fn gan_steps(
    backend: BackendKind,
    cfg: GanTrainingConfig,
    images: &ImageSet,
    warmup: usize,
    steps: usize,
    inferences: usize,
) -> anyhow::Result<GanSteps> {
    dispatch(
        backend,
        GanJob {
            cfg,
            images,
            warmup,
            steps,
            inferences,
        },
    )?
}

/// Where a generator's forward pass spends its time: seconds of each stage
/// ([`ganunet_burn::Stage`]) and of the whole pass, one entry per timed pass.
#[derive(Debug, Clone)]
pub struct GeneratorLaps {
    /// (stage, seconds of each timed pass), in the order of the forward pass.
    pub stages: Vec<(String, Vec<f64>)>,
    /// Seconds of each timed pass without the clock between stages (`forward`, the product
    /// `HW` read back).
    pub whole: Vec<f64>,
    /// Seconds of one round of alternating HALS (`hals_alternate`) after the pass.
    pub refine_round: Vec<f64>,
}

struct GeneratorLapsJob {
    cfg: ganunet_burn::GeneratorConfig,
    how: ganunet_burn::Sweeps,
    batch: usize,
    side: usize,
    warmup: usize,
    reps: usize,
}

impl BackendJob for GeneratorLapsJob {
    type Output = anyhow::Result<GeneratorLaps>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        type I<B> = <B as burn::tensor::backend::AutodiffBackend>::InnerBackend;
        let g = self.cfg.init::<I<B>>(&device)?;
        let shape = [self.batch, self.cfg.group, self.side, self.side];
        let sync = |d: &B::Device| I::<B>::sync(d).map_err(|e| anyhow::anyhow!("{e:?}"));
        let mut out = GeneratorLaps {
            stages: Vec::new(),
            whole: Vec::new(),
            refine_round: Vec::new(),
        };
        for rep in 0..self.warmup + self.reps {
            let timed = rep >= self.warmup;
            let y = Tensor::<I<B>, 4>::random(shape, Distribution::Uniform(0.0, 1.0), &device);
            sync(&device)?;
            // The whole pass, as inference runs it.
            let t = Instant::now();
            let (h, w) = match self.how {
                ganunet_burn::Sweeps::Host => g.factorize(y.clone(), 0),
                ganunet_burn::Sweeps::Tensor => g.forward(y.clone()),
            };
            let _ = reconstruct(h, w).sum().into_scalar();
            if timed {
                out.whole.push(t.elapsed().as_secs_f64());
            }
            // Stage by stage, the device synchronised at every lap.
            let mut laps: Vec<(String, f64)> = Vec::new();
            let mut last = Instant::now();
            let mut failed = None;
            let (h, w) = g.forward_laps(y.clone(), self.how, &mut |stage| {
                if let Err(e) = sync(&device) {
                    failed = Some(e);
                }
                laps.push((stage.to_string(), last.elapsed().as_secs_f64()));
                last = Instant::now();
            });
            if let Some(e) = failed {
                return Err(e);
            }
            // One refinement round from the pass's factors.
            let (hr, yr) = (ganunet_burn::pixel_rows(h), ganunet_burn::pixel_rows(y));
            sync(&device)?;
            let t = Instant::now();
            let (h2, w2) = ganunet_burn::nnls::hals_alternate_with(hr, yr, w, 1, self.how);
            let _ = (h2.sum().into_scalar(), w2.sum().into_scalar());
            if timed {
                out.refine_round.push(t.elapsed().as_secs_f64());
                if out.stages.is_empty() {
                    out.stages = laps.iter().map(|(s, _)| (s.clone(), Vec::new())).collect();
                }
                for ((_, v), (_, secs)) in out.stages.iter_mut().zip(&laps) {
                    v.push(*secs);
                }
            }
        }
        Ok(out)
    }
}

/// `warmup` + `reps` forward passes of a freshly initialised generator (eval mode) on random
/// `batch` groups of `side`×`side` images, each timed whole and stage by stage
/// ([`GeneratorLaps`]), on `backend`; HALS sweeps (NNLS layer, refinement round) as `how` says
/// (`Host` is what inference runs, `Tensor` what training runs).
pub fn generator_laps(
    backend: BackendKind,
    cfg: ganunet_burn::GeneratorConfig,
    how: ganunet_burn::Sweeps,
    batch: usize,
    side: usize,
    warmup: usize,
    reps: usize,
) -> anyhow::Result<GeneratorLaps> {
    cfg.check_size(side, side)?;
    dispatch(
        backend,
        GeneratorLapsJob {
            cfg,
            how,
            batch,
            side,
            warmup,
            reps,
        },
    )?
}
