//! What a clustering run reports: the summary (printed, `summary.json`), the factor and the labels.

use crate::outdir::{write_history, write_json};
use nmfnet_baselines::{IterRecord, StopReason};
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::io::{atomic_write, npy_bytes_labels, write_npy};
use nmfnet_datasets::Dense;
use nmfnet_train::runtime::rundir::RunDir;
use serde::Serialize;

/// The summary printed (and written to summary.json): the fields promised by `--json`, then
/// those of the method that ran.
#[derive(Serialize, Debug, Clone)]
pub struct ClusterSummary {
    pub method: &'static str,
    pub dataset: String,
    pub n: usize,
    pub rank: usize,
    pub acc: Option<f64>,
    pub nmi: Option<f64>,
    pub purity: Option<f64>,
    pub rel_error: f64,
    pub sparse_factor: f64,
    pub zero_rows: usize,
    /// ‖X‖₂, the unit of every scale-dependent setting: the classical solvers' default
    /// penalties and steps are multiples of it (or of its root) and SymNMF-Net trains on
    /// X/x_scale, so the factors of cX are √c times those of X. U is reported for X itself.
    pub x_scale: f64,
    /// When a file's values lay beyond f32's range (largest entry outside 2^±100) they were
    /// multiplied by 2^`input_exponent` before anything else: x_scale and U are those of that
    /// X. Left out of the JSON when 0 (the file's values as they are).
    #[serde(skip_serializing_if = "is_zero")]
    pub input_exponent: i32,
    /// A dense input with at least 90 % zeros is held sparse (`storage` says "sparse") unless
    /// `dense` is asked for: its share of zeros. Left out of the JSON otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense_input_zeros: Option<f64>,
    /// Wall time of the whole job (every restart).
    pub seconds: f64,
    /// Of which reading the input and building the graph (kNN search included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_seconds: Option<f64>,
    /// The seed of the start kept.
    pub seed: u64,
    /// Every start, in seed order: the one kept has the lowest relative error (labels, when
    /// given, are only reported, never used to choose).
    pub restarts: Vec<RestartRecord>,
    #[serde(flatten)]
    pub details: MethodDetails,
}

fn is_zero(k: &i32) -> bool {
    *k == 0
}

/// One seeded start of a job with restarts.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct RestartRecord {
    pub seed: u64,
    pub rel_error: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acc: Option<f64>,
    pub seconds: f64,
}

/// What only one kind of method reports.
#[derive(Serialize, Debug, Clone)]
#[serde(untagged)]
pub enum MethodDetails {
    Net {
        backend: String,
        /// How X was held: "sparse" (products on the host) or "dense" (on the device).
        storage: &'static str,
        /// Epochs run (fewer than `max_epochs` when the plateau rule stopped the run).
        epochs: usize,
        max_epochs: usize,
        plateau_stopped: bool,
        /// λ and its bound in X's units (training ran on X/x_scale with λ/x_scale).
        lambda: f64,
        lambda_bound: f64,
        /// The training loss, of X/x_scale.
        final_loss: Option<f64>,
    },
    Classical {
        iterations: usize,
        converged: bool,
        stop_reason: StopReason,
        /// λ, α or ρ, whichever the method uses.
        penalty: Option<f64>,
        storage: &'static str,
        seconds_per_iteration: f64,
    },
}

/// The report of one start: its factor `u` (for X itself) and the clusters `pred` the solver
/// read off it, scored against the problem's labels when it has them, with the solver's
/// `details`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scored(
    method: &'static str,
    problem: &super::input::Problem,
    u: Dense,
    pred: Vec<usize>,
    rel_error: f64,
    rank: usize,
    seed: u64,
    started: std::time::Instant,
    details: MethodDetails,
    x_scale: f64,
) -> anyhow::Result<ClusterReport> {
    use nmfnet_datasets::eval::metrics;
    let scores = match &problem.labels {
        Some(truth) => Some(metrics::label_scores(truth, &pred)?),
        None => None,
    };
    let summary = ClusterSummary {
        input_seconds: None,
        method,
        dataset: problem.name.clone(),
        n: problem.x.n(),
        rank,
        acc: scores.map(|s| s.acc),
        nmi: scores.map(|s| s.nmi),
        purity: scores.map(|s| s.purity),
        rel_error,
        sparse_factor: metrics::sparse_factor(&u),
        zero_rows: metrics::zero_rows(&u),
        x_scale,
        input_exponent: problem.exponent,
        dense_input_zeros: problem.dense_zeros,
        seconds: started.elapsed().as_secs_f64(),
        seed,
        restarts: Vec::new(),
        details,
    };
    Ok(ClusterReport {
        summary,
        u,
        labels: pred,
        graph: None,
    })
}

/// A finished clustering run.
#[derive(Debug, Clone)]
pub struct ClusterReport {
    pub summary: ClusterSummary,
    /// The factor U (n × r).
    pub u: Dense,
    /// Predicted clusters: the argmax of each row of U.
    pub labels: Vec<usize>,
    /// The graph that was factorised, when the job asked to keep it
    /// ([`super::ClusterJob::keep_graph`]).
    pub graph: Option<Graph>,
}

impl ClusterReport {
    /// `U.npy`, `labels.npy`, the solver's `history.jsonl` if any, the job that ran
    /// (`job.json`), then `summary.json` (last, so a folder with a summary holds a whole run);
    /// then the run is committed.
    pub(crate) fn write(
        &self,
        mut run: RunDir,
        history: Option<&[IterRecord]>,
        job: &super::ClusterJob,
    ) -> anyhow::Result<()> {
        write_npy(&run.file("U.npy")?, &self.u)?;
        atomic_write(&run.file("labels.npy")?, &npy_bytes_labels(&self.labels))?;
        if let Some(h) = history {
            write_history(&run.file("history.jsonl")?, h)?;
        }
        crate::job::write_job(&mut run, job)?;
        write_json(&run.file("summary.json")?, &self.summary)?;
        run.commit()?;
        Ok(())
    }
}
