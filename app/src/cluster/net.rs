//! SymNMF-Net behind `cluster`: the training config from the job, one training run through
//! the loop on the chosen backend, the summary and the files of `--out`.

use super::input::Problem;
use super::job::{ClusterJob, NetSolver, Preset};
use super::report::{scored, ClusterReport, MethodDetails};
use anyhow::Context;
use nmfnet_datasets::eval::metrics;
use nmfnet_datasets::graph::Graph;
use nmfnet_train::runtime::backend::{dispatch, BackendJob};
use nmfnet_train::tasks::symnmf::{train_symnmf, SymNmfRun};
use nmfnet_train::trainer::{Plateau, TrainerConfig};
use std::path::Path;
use symnmf_burn::{SymNmfAutodiffBackend, SymNmfTrainingConfig};

/// Divides X by s = ‖X‖₂ (to rounding, in f64) for training and returns s: SymNMF-Net then
/// trains on a graph of unit norm whatever the unit of X, so that every setting (λ and its
/// bound, β, γ, the learning rate, U₀) means the same for cX as for X, f32 products neither
/// overflow nor underflow, and the factor of cX is √c times that of X. The factor of X/s times
/// √s is a factor of X with the same relative error. On the ncut-normalised graphs s is taken
/// as exactly 1 and nothing changes.
pub(crate) fn normalise(x: &mut Graph) -> anyhow::Result<f64> {
    let s = x.unit();
    if !(s > 0.0 && s.is_finite()) {
        anyhow::bail!("X is all zeros: U = 0 fits it exactly and there is nothing to factorise");
    }
    if s != 1.0 {
        for v in x.values_mut() {
            *v = (*v as f64 / s) as f32;
        }
    }
    Ok(s)
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

/// A SymNMF-Net config from a preset with a config file's fields over it, and what the file set
/// of the job's own fields (its rank and seed, which a front end takes unless given).
#[derive(Clone, Debug)]
pub struct NetConfigFile {
    pub config: SymNmfTrainingConfig,
    pub rank: Option<usize>,
    pub seed: Option<u64>,
}

/// The preset's settings with the JSON config file `file` over them (every field the file
/// leaves out keeps the preset's value, not the type's default); unknown fields are refused.
pub fn net_config(preset: Preset, file: Option<&Path>) -> anyhow::Result<NetConfigFile> {
    let config = preset.config();
    let Some(path) = file else {
        return Ok(NetConfigFile {
            config,
            rank: None,
            seed: None,
        });
    };
    let text = crate::job::read_text(path)
        .with_context(|| format!("cannot read `config` {}", path.display()))?;
    let text = text.trim_start_matches('\u{feff}');
    crate::job::no_repeated_keys(text)
        .with_context(|| format!("invalid `config` {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(text)
        .with_context(|| format!("invalid `config` {}", path.display()))?;
    let rank = value["model"]["rank"].as_u64().map(|r| r as usize);
    let seed = value["seed"].as_u64();
    let mut merged = serde_json::to_value(config).expect("config serialises");
    merge(&mut merged, value);
    let config = serde_json::from_value(merged)
        .with_context(|| format!("invalid `config` {}", path.display()))?;
    Ok(NetConfigFile { config, rank, seed })
}

/// The job's config with its rank and seed, validated for n points, for training on X/s: a λ
/// given in X's units becomes λ/s.
pub(crate) fn config_for(
    config: &SymNmfTrainingConfig,
    rank: usize,
    seed: u64,
    n: usize,
    x_scale: f64,
) -> anyhow::Result<SymNmfTrainingConfig> {
    let mut cfg = config.clone();
    cfg.model.rank = rank;
    cfg.seed = seed;
    if let Some(l) = cfg.model.lambda.init.as_mut() {
        *l /= x_scale;
    }
    cfg.validate(n)?;
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
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit(
    job: &ClusterJob,
    net: &NetSolver,
    cfg: SymNmfTrainingConfig,
    problem: &Problem,
    x_scale: f64,
    out_dir: Option<std::path::PathBuf>,
    resume: bool,
    label: &str,
) -> anyhow::Result<ClusterReport> {
    let started = std::time::Instant::now();
    let trainer = trainer_config(job, &cfg, problem, out_dir, resume, label);
    // A forced dense copy only when asked for; otherwise the problem's own graph, not a copy.
    let forced;
    let graph: &Graph = match (&problem.x, job.dense) {
        (Graph::Sparse(_), true) => {
            forced = Graph::Dense(problem.x.to_dense().into_owned());
            &forced
        }
        _ => &problem.x,
    };
    let run = dispatch(
        net.backend,
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
    if x_scale != 1.0 {
        let root = x_scale.sqrt();
        for v in u.data_mut() {
            *v = (*v as f64 * root) as f32;
        }
    }
    let final_loss = run
        .report
        .last
        .iter()
        .find(|(k, _)| k == "loss")
        .map(|(_, v)| *v);
    let details = MethodDetails::Net {
        backend: run.backend.to_string(),
        storage,
        epochs: run.report.steps_done,
        max_epochs: cfg.epochs,
        plateau_stopped: run.report.plateau_stopped,
        lambda: run.lambda * x_scale,
        lambda_bound: run.lambda_bound * x_scale,
        final_loss,
    };
    let method = job.method().name();
    let (rank, seed) = (cfg.model.rank, cfg.seed);
    scored(
        method, problem, u, pred, rel_error, rank, seed, started, details, x_scale,
    )
}

/// What the loop does around one start: its steps, folder, checkpoints, progress bar, plateau
/// rule and stop switch.
fn trainer_config(
    job: &ClusterJob,
    cfg: &SymNmfTrainingConfig,
    problem: &Problem,
    out_dir: Option<std::path::PathBuf>,
    resume: bool,
    label: &str,
) -> TrainerConfig {
    TrainerConfig {
        steps: cfg.epochs,
        out_dir,
        checkpoint_every: job
            .run
            .checkpoint_every
            .unwrap_or(super::DEFAULT_CHECKPOINT_EVERY),
        log_every: 1,
        resume,
        upgrade: job.run.upgrade,
        progress: job.run.progress,
        label: format!("symnmf-net {}{label}", problem.name),
        plateau: (cfg.plateau_patience > 0).then_some(Plateau {
            patience: cfg.plateau_patience,
            rel_tol: cfg.plateau_tol,
        }),
        cancel: job.run.cancel.clone(),
    }
}
