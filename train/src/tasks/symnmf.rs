//! SymNMF-Net as a [`Task`] of the training loop, and a whole clustering run.

use crate::runtime::record::BoundedBinBytes;
use crate::task::{Metrics, Task};
use crate::tasks::transfer::{into_device, to_host, to_similarity};
use crate::trainer::{TrainReport, Trainer, TrainerConfig};
use anyhow::Context;
use burn::module::{AutodiffModule, Module};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, Recorder};
use burn::tensor::Tensor;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::Dense;
use symnmf_burn::norms::scalar;
use symnmf_burn::{loss, Similarity, SymNmfAutodiffBackend, SymNmfNet, SymNmfTrainingConfig};

type Bytes = BoundedBinBytes<FullPrecisionSettings>;

/// SymNMF-Net trained full-batch with Adam: one step = one epoch.
pub struct SymNmfTask<B: SymNmfAutodiffBackend> {
    cfg: SymNmfTrainingConfig,
    x: Similarity<B>,
    x_norm2: f64,
    model: Option<SymNmfNet<B>>,
    optim: OptimizerAdaptor<Adam, SymNmfNet<B>, B>,
    device: B::Device,
    /// Ground truth: when known, ACC, NMI, purity and the sparse factor of U_K are logged
    /// every epoch (U_K is read back once per epoch for that).
    labels: Option<Vec<usize>>,
}

impl<B: SymNmfAutodiffBackend> SymNmfTask<B> {
    /// Builds the network for the validated similarity matrix `x` (Algorithm 1 initialisation).
    /// A sparse graph keeps its sparse form: every product with X is then sparse.
    pub fn new(cfg: SymNmfTrainingConfig, x: &Graph, device: &B::Device) -> anyhow::Result<Self> {
        cfg.validate(x.n())?;
        let xt = to_similarity::<B>(x, device)?;
        Self::with_similarity(cfg, xt, device)
    }

    /// As [`SymNmfTask::new`], taking the graph: a dense X is handed to the device, so the run
    /// never holds two host-size copies of it.
    pub fn from_graph(
        cfg: SymNmfTrainingConfig,
        x: Graph,
        device: &B::Device,
    ) -> anyhow::Result<Self> {
        cfg.validate(x.n())?;
        let xt = match x {
            Graph::Dense(d) => Similarity::Dense(into_device::<B>(d, device)),
            sparse => to_similarity::<B>(&sparse, device)?,
        };
        Self::with_similarity(cfg, xt, device)
    }

    fn with_similarity(
        cfg: SymNmfTrainingConfig,
        xt: Similarity<B>,
        device: &B::Device,
    ) -> anyhow::Result<Self> {
        let model = cfg.model.init(xt.clone(), cfg.seed)?;
        let x_norm2 = xt.frobenius2();
        let optim = AdamConfig::new()
            .with_beta_1(cfg.adam_beta1 as f32)
            .with_beta_2(cfg.adam_beta2 as f32)
            .with_epsilon(cfg.adam_epsilon as f32)
            .init();
        Ok(Self {
            cfg,
            x: xt,
            x_norm2,
            model: Some(model),
            optim,
            device: device.clone(),
            labels: None,
        })
    }

    /// Logs label-based scores of U_K every epoch.
    pub fn with_labels(mut self, labels: Option<Vec<usize>>) -> Self {
        self.labels = labels;
        self
    }

    pub fn model(&self) -> &SymNmfNet<B> {
        self.model
            .as_ref()
            .expect("the model is only taken during a step")
    }

    /// `U_K` of the current parameters (inference, no autodiff graph).
    pub fn output(&self) -> Dense {
        to_host(self.model().valid().output())
    }
}

impl<B: SymNmfAutodiffBackend> Task for SymNmfTask<B> {
    fn step(&mut self, step: usize) -> anyhow::Result<Metrics> {
        let model = self
            .model
            .take()
            .expect("the model is only taken during a step");
        let us = model.forward();
        let ps: Vec<_> = model.p.iter().map(|p| p.val()).collect();
        let parts = loss(
            &self.cfg.model,
            &self.x,
            self.x_norm2,
            &us,
            &ps,
            model.lambda.val(),
        );
        // Everything logged, in one read-back: the loss, ‖X − U_KU_Kᵀ‖², λ, the diagnostic
        // a² + 4aε of Proposition 1 (a = max_i ‖U_i‖_F, ε = max_i ‖P_i − (X+λI)U_{i−1}‖_F),
        // and per block the fractions of zero entries and all-zero rows of U_i ("dead" ReLU
        // units; a point whose row is zero belongs to no cluster — SPEC §2).
        let k = ps.len();
        let mut stats = vec![
            parts.total.clone().detach(),
            parts.recon_last.clone().detach(),
            model.lambda.val().detach(),
        ];
        stats.extend(us.iter().map(|u| u.clone().detach().square().sum()));
        stats.extend(parts.prox.iter().map(|p| p.clone().detach()));
        for u in &us[1..] {
            let u = u.clone().detach();
            stats.push(u.clone().equal_elem(0.0).float().mean());
            stats.push(u.sum_dim(1).equal_elem(0.0).float().mean().reshape([1]));
        }
        let v = Tensor::cat(stats, 0)
            .into_data()
            .convert::<f64>()
            .into_vec::<f64>()
            .expect("f64 after convert");
        let a = v[3..3 + k + 1].iter().cloned().fold(0.0, f64::max).sqrt();
        let eps = v[4 + k..4 + 2 * k]
            .iter()
            .cloned()
            .fold(0.0, f64::max)
            .sqrt();
        let zeros = &v[4 + 2 * k..];
        let scores = match &self.labels {
            Some(truth) => {
                let u = to_host(us.last().expect("K ≥ 1 blocks").clone().detach().inner());
                let pred = nmfnet_datasets::eval::metrics::argmax_labels(&u);
                let s = nmfnet_datasets::eval::metrics::label_scores(truth, &pred)?;
                Some((s, nmfnet_datasets::eval::metrics::sparse_factor(&u)))
            }
            None => None,
        };

        let lr = self.cfg.lr_at(step);
        let grads = GradientsParams::from_grads(parts.total.backward(), &model);
        let model = self.optim.step(lr, model, grads).project();
        self.model = Some(model);
        let mut metrics: Metrics = vec![
            ("loss".into(), v[0]),
            ("rel_error".into(), v[1] / self.x_norm2),
            ("lambda".into(), v[2]),
            ("bound_a2_4ae".into(), a * a + 4.0 * a * eps),
            ("lr".into(), lr),
        ];
        if let Some((s, sf)) = scores {
            metrics.push(("acc".into(), s.acc));
            metrics.push(("nmi".into(), s.nmi));
            metrics.push(("purity".into(), s.purity));
            metrics.push(("sparse_factor".into(), sf));
        }
        for i in 0..k {
            metrics.push((format!("zero_entries_{}", i + 1), zeros[2 * i]));
            metrics.push((format!("zero_rows_{}", i + 1), zeros[2 * i + 1]));
        }
        Ok(metrics)
    }

    fn config_json(&self) -> serde_json::Value {
        let mut cfg = self.cfg.clone();
        // A resumed run may go on for more epochs than the one that wrote the checkpoint.
        cfg.epochs = 0;
        serde_json::to_value(cfg).expect("config serialises")
    }

    fn save_state(&self) -> anyhow::Result<Vec<u8>> {
        let model: Vec<u8> = Bytes::default().record(self.model().clone().into_record(), ())?;
        let optim: Vec<u8> = Bytes::default().record(self.optim.to_record(), ())?;
        let mut out = (model.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&model);
        out.extend_from_slice(&optim);
        Ok(out)
    }

    fn load_state(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(bytes.len() >= 8, "checkpoint state is truncated");
        let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        anyhow::ensure!(n <= bytes.len() - 8, "checkpoint state is truncated");
        let model_record = Bytes::default()
            .load(bytes[8..8 + n].to_vec(), &self.device)
            .context("cannot read the model from the checkpoint")?;
        let optim_record = Bytes::default()
            .load(bytes[8 + n..].to_vec(), &self.device)
            .context("cannot read the optimiser state from the checkpoint")?;
        let model = self.model.take().expect("model present between steps");
        self.model = Some(model.load_record(model_record));
        self.optim = self.optim.clone().load_record(optim_record);
        Ok(())
    }
}

/// Result of training SymNMF-Net on one similarity matrix.
#[derive(Clone, Debug)]
pub struct SymNmfRun {
    /// `U_K` (n×r).
    pub u: Dense,
    /// Final λ and its lower bound.
    pub lambda: f64,
    pub lambda_bound: f64,
    pub report: TrainReport,
    pub backend: &'static str,
}

/// Trains SymNMF-Net on `x` (validated) with the one training loop and returns `U_K`.
pub fn train_symnmf<B: SymNmfAutodiffBackend>(
    cfg: SymNmfTrainingConfig,
    x: &Graph,
    labels: Option<Vec<usize>>,
    trainer: TrainerConfig,
    device: &B::Device,
    backend: &'static str,
) -> anyhow::Result<SymNmfRun> {
    let mut task = SymNmfTask::<B>::new(cfg, x, device)?.with_labels(labels);
    let report = Trainer::new(trainer).run(&mut task)?;
    let model = task.model();
    Ok(SymNmfRun {
        u: task.output(),
        lambda: scalar(model.lambda.val()),
        lambda_bound: model.lambda_bound,
        report,
        backend,
    })
}
