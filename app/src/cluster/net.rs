//! SymNMF-Net behind `cluster`: the training config from the request, one training run through
//! the loop on the chosen backend, the summary and the files of `--out`.

use super::input::Problem;
use super::report::{ClusterReport, ClusterSummary, MethodDetails};
use super::request::ClusterRequest;
use anyhow::{bail, Context};
use nmfnet_datasets::eval::metrics::class_count;
use nmfnet_datasets::eval::metrics::{self, LabelScores};
use nmfnet_datasets::graph::Graph;
use nmfnet_train::runtime::backend::{dispatch, BackendJob, BackendKind};
use nmfnet_train::tasks::symnmf::{train_symnmf, SymNmfRun};
use nmfnet_train::trainer::{Plateau, TrainerConfig};
use symnmf_burn::{SymNmfAutodiffBackend, SymNmfTrainingConfig};

/// Largest entries SymNMF-Net trains on as they are: beyond them (or below the reciprocal) its
/// f32 products overflow (or underflow), so X is divided by its largest entry first.
const SCALE_LIMIT: f32 = 1e8;

/// Divides X by its largest entry when that lies outside [1/SCALE_LIMIT, SCALE_LIMIT]; returns
/// the divisor. The factor of X/s times √s is a factor of X with the same relative error.
pub(crate) fn normalise(x: &mut Graph) -> Option<f64> {
    let m = x.max_abs();
    if m > 0.0 && m.is_finite() && !(1.0 / SCALE_LIMIT..=SCALE_LIMIT).contains(&m) {
        for v in x.values_mut() {
            *v /= m;
        }
        Some(m as f64)
    } else {
        None
    }
}

/// Writes `over` into `base`, recursing into objects present in both.
fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// The training config: the preset (`default` when none is given) with the config file's
/// fields over it, then every option given; the rank falls back to the class count of the
/// labels; validated for n.
pub(crate) fn build_config(
    req: &ClusterRequest,
    problem: &Problem,
) -> anyhow::Result<SymNmfTrainingConfig> {
    // A config file may leave the rank out; it then comes from the labels like without one.
    let mut config_rank = false;
    let preset = req.preset.unwrap_or_default().config();
    let mut cfg = match &req.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("invalid config {}", path.display()))?;
            config_rank = value["model"]["rank"].is_u64();
            // The file's fields over the preset's (all of them, so a field the file leaves
            // out keeps the preset's value, not the type's default).
            let mut merged = serde_json::to_value(preset).expect("config serialises");
            merge(&mut merged, value);
            serde_json::from_value(merged)
                .with_context(|| format!("invalid config {}", path.display()))?
        }
        None => preset,
    };
    let classes = problem.labels.as_deref().map(class_count);
    cfg.model.rank = match (req.rank, config_rank, classes) {
        (Some(r), _, _) => r,
        (None, true, _) => cfg.model.rank,
        (None, false, Some(c)) => c,
        (None, false, None) => {
            bail!("--rank is required when no labels are given (or set model.rank in --config)")
        }
    };
    if let Some(v) = req.blocks {
        cfg.model.blocks = v;
    }
    if let Some(v) = req.epochs {
        cfg.epochs = v;
    }
    if let Some(v) = req.patience {
        cfg.plateau_patience = v;
    }
    if let Some(v) = req.plateau_tol {
        cfg.plateau_tol = v;
    }
    if let Some(v) = req.lr {
        cfg.lr = v;
    }
    if let Some(v) = req.seed {
        cfg.seed = v;
    }
    if let Some(v) = req.beta {
        cfg.model.beta = v;
    }
    if let Some(v) = req.gamma {
        cfg.model.gamma = v;
    }
    if let Some(r) = req.reduction {
        cfg.model.reduction = r;
    }
    if req.lambda.is_some() {
        cfg.model.lambda.init = req.lambda;
    }
    if req.fixed_lambda {
        cfg.model.lambda.learnable = false;
    }
    if req.no_project {
        cfg.model.lambda.project = false;
    }
    if req.allow_lambda_below_bound {
        cfg.model.lambda.allow_below_bound = true;
    }
    cfg.validate(problem.x.n())?;
    Ok(cfg)
}

struct SymNmfJob<'a> {
    cfg: SymNmfTrainingConfig,
    x: &'a Graph,
    labels: Option<Vec<usize>>,
    trainer: TrainerConfig,
}

impl BackendJob for SymNmfJob<'_> {
    type Output = anyhow::Result<SymNmfRun>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, name: &'static str) -> Self::Output {
        train_symnmf::<B>(self.cfg, self.x, self.labels, self.trainer, &device, name)
    }
}

/// Trains SymNMF-Net on the problem once, from `cfg.seed`, and reports it; the loop's files
/// (checkpoint, metric log, config) go to `out_dir` when given.
pub(crate) fn fit(
    req: &ClusterRequest,
    cfg: SymNmfTrainingConfig,
    problem: &Problem,
    backend: BackendKind,
    x_scale: Option<f64>,
    out_dir: Option<std::path::PathBuf>,
    resume: bool,
    label: &str,
) -> anyhow::Result<ClusterReport> {
    let started = std::time::Instant::now();
    let trainer = TrainerConfig {
        steps: cfg.epochs,
        out_dir,
        checkpoint_every: req.checkpoint_every,
        log_every: 1,
        resume,
        progress: req.progress,
        label: format!("symnmf-net {}{label}", problem.name),
        plateau: (cfg.plateau_patience > 0).then_some(Plateau {
            patience: cfg.plateau_patience,
            rel_tol: cfg.plateau_tol,
        }),
        cancel: req.cancel.clone(),
    };
    // A forced dense copy only when asked for; otherwise the problem's own graph, not a copy.
    let forced;
    let graph: &Graph = match (&problem.x, req.dense) {
        (Graph::Sparse(_), true) => {
            forced = Graph::Dense(problem.x.to_dense().into_owned());
            &forced
        }
        _ => &problem.x,
    };
    let run = dispatch(
        backend,
        SymNmfJob {
            cfg: cfg.clone(),
            x: graph,
            labels: problem.labels.clone(),
            trainer,
        },
    )??;
    let storage = match graph {
        Graph::Dense(_) => "dense",
        Graph::Sparse(_) => "sparse",
    };
    let pred = metrics::argmax_labels(&run.u);
    // Relative error and sparsity are the same for X/s and X; U goes back to X's scale.
    let mut u = run.u;
    let rel_error = problem.x.relative_error(&u)?;
    if let Some(s) = x_scale {
        let root = s.sqrt() as f32;
        for v in u.data_mut() {
            *v *= root;
        }
    }
    let scores: Option<LabelScores> = match &problem.labels {
        Some(truth) => Some(metrics::label_scores(truth, &pred)?),
        None => None,
    };
    let summary = ClusterSummary {
        input_seconds: None,
        method: req.method.name(),
        dataset: problem.name.clone(),
        n: problem.x.n(),
        rank: cfg.model.rank,
        acc: scores.map(|s| s.acc),
        nmi: scores.map(|s| s.nmi),
        purity: scores.map(|s| s.purity),
        rel_error,
        sparse_factor: metrics::sparse_factor(&u),
        zero_rows: metrics::zero_rows(&u),
        seconds: started.elapsed().as_secs_f64(),
        seed: cfg.seed,
        restarts: Vec::new(),
        details: MethodDetails::Net {
            backend: run.backend.to_string(),
            storage,
            epochs: run.report.steps_done,
            max_epochs: cfg.epochs,
            plateau_stopped: run.report.plateau_stopped,
            lambda: run.lambda,
            lambda_bound: run.lambda_bound,
            x_scale,
            final_loss: run
                .report
                .last
                .iter()
                .find(|(k, _)| k == "loss")
                .map(|(_, v)| *v),
        },
    };
    Ok(ClusterReport {
        summary,
        u,
        labels: pred,
        graph: None,
    })
}
