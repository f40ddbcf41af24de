//! The `nmfnet` command line.

use crate::backend::{dispatch, BackendChoice, BackendJob};
use crate::classical;
use crate::symnmf::{train_symnmf, SymNmfRun};
use crate::trainer::TrainerConfig;
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use nmfnet_baselines::{StopReason, SymMethod};
use nmfnet_datasets::catalog::{self, DatasetId, LoadOptions};
use nmfnet_datasets::graph;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::io::{atomic_write, npy_bytes_labels, read_labels, read_matrix, write_npy};
use nmfnet_datasets::matrix::validate_similarity;
use nmfnet_datasets::metrics::{self, LabelScores};
use nmfnet_datasets::synthetic::{planted_graph, PlantedConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};
use symnmf_burn::{Reduction, SymNmfAutodiffBackend, SymNmfTrainingConfig};

#[derive(Parser, Debug)]
#[command(
    name = "nmfnet",
    version,
    about = "Neural nonnegative matrix factorisation on Burn: SymNMF-Net (graph clustering) and GAN-UNET",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Cluster a similarity graph with symmetric NMF (X ≈ UUᵀ, U ≥ 0; label = argmax of a row
    /// of U). Without a data argument, runs on the embedded planted-cluster default.
    Cluster(ClusterArgs),
    /// Plain NMF Y ≈ HW (MU, HALS or ANLS-BPP) of a matrix or a folder of images; writes H, W
    /// (.npy) and, for images, a PNG grid of the basis images (the columns of H).
    Nmf(NmfArgs),
    /// GAN-UNET: train the generator (against the PatchGAN, or L1 only) on image groups.
    #[command(subcommand)]
    Gan(GanCommand),
    /// Reproduce a paper's tables and figures from scratch (resumable).
    #[command(subcommand)]
    Reproduce(ReproduceCommand),
    /// The papers' data sets: verify the files, or describe one.
    #[command(subcommand)]
    Data(DataCommand),
}

#[derive(Subcommand, Debug)]
pub enum GanCommand {
    /// Train on class-balanced groups of 40 images; reports ε on the last training groups and
    /// on the fixed test groups; checkpoints in --out.
    Train(crate::ganunet::GanTrainArgs),
    /// ε of a trained generator on fixed train and test groups of a data set (one forward pass
    /// per group); the last stdout line is JSON with --json.
    Eval(crate::ganunet::GanEvalArgs),
    /// Factorise one group of images (a folder) with a trained generator: H.npy, W.npy and a
    /// PNG grid of the inputs, reconstructions and basis images.
    Factorize(crate::ganunet::GanFactorizeArgs),
    /// The classical comparisons: MU, HALS, ANLS at the same k on the same fixed groups, each
    /// group factorised directly and with a basis learned on the training images (transfer).
    Baselines(crate::gan_baselines::GanBaselineArgs),
}

#[derive(Subcommand, Debug)]
pub enum ReproduceCommand {
    /// SymNMF-Net paper: Tables 1–4 and Figs. 4.1–4.5 → results.md, results.json, PNG/SVG.
    Symnmf(crate::reproduce::SymnmfReproArgs),
    /// GAN-UNET paper: Table 1 (ε train/test vs ANLS, MU, HALS, direct and transfer), the UNET
    /// ablation, MNIST↔Fashion generalisation, training curves and basis grids.
    Ganunet(crate::reproduce_gan::GanReproArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NmfMethodArg {
    /// Lee–Seung multiplicative updates.
    Mu,
    /// Cichocki–Phan HALS with unit-norm basis columns.
    Hals,
    /// Alternating NNLS by block principal pivoting (Kim–Park).
    Anls,
}

#[derive(Args, Debug)]
pub struct NmfArgs {
    #[arg(long, value_enum, default_value = "hals")]
    pub method: NmfMethodArg,
    /// Number of basis vectors k.
    #[arg(long)]
    pub rank: usize,
    /// Y as a matrix file (.npy, or CSV/text), m × n; H is m × k.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "images",
        required_unless_present = "images"
    )]
    pub matrix: Option<PathBuf>,
    /// A folder of same-size grayscale PNG/PGM images; each image is a column of Y, so the
    /// columns of H are basis images.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Height×width of one column of Y, for the basis grid of a --matrix (e.g. 28x28).
    #[arg(long, value_name = "HxW")]
    pub image_shape: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Iteration budget (default 500; SPEC §3 stop rule otherwise).
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Output folder: H.npy, W.npy, basis.png, history.jsonl, summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files of an earlier run in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Verify every data set (files present, sha256, sample and class counts); one row each.
    /// Exits with a non-zero status on any problem.
    Check {
        /// Data folder (default: $NMFNET_DATA).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Print the rows as one JSON array on the last line.
        #[arg(long)]
        json: bool,
    },
    /// Describe one data set; with a data folder, load it and give its class sizes.
    Info {
        /// orl, coil20, mnist1, mnist2, tdt2, mnist, fashion or olivetti.
        name: String,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SymNMF-Net (Li, Kong, Lin): the unrolled network, trained with Adam.
    SymnmfNet,
    /// SymANLS (Zhu et al. 2018): alternating exact NNLS (block principal pivoting), λ = 1.
    Symanls,
    /// SymHALS (Zhu et al. 2018): Gauss–Seidel column sweeps, λ = 1.
    Symhals,
    /// SymNewton (Kuang et al. 2015): projected Newton-like steps with Armijo search.
    Symnewton,
    /// Projected gradient descent with Armijo search.
    Pgd,
    /// ADMM (Lu, Hong, Wang 2017), ρ = 3‖X‖₂.
    Admm,
    /// Scheme (4) of the SymNMF-Net paper: W = max((X+λI)V(VᵀV+λI)⁻¹, 0), λ = ‖X‖_F.
    Scheme4,
    /// Kuang's ANLS: SymANLS with α = max(X)².
    KuangAnls,
}

impl Method {
    /// The classical solver behind the method, or None for SymNMF-Net.
    pub fn solver(self) -> Option<SymMethod> {
        Some(match self {
            Method::SymnmfNet => return None,
            Method::Symanls => SymMethod::SymAnls,
            Method::Symhals => SymMethod::SymHals,
            Method::Symnewton => SymMethod::SymNewton,
            Method::Pgd => SymMethod::Pgd,
            Method::Admm => SymMethod::Admm,
            Method::Scheme4 => SymMethod::Scheme4,
            Method::KuangAnls => SymMethod::KuangAnls,
        })
    }

    pub fn name(self) -> &'static str {
        match self.solver() {
            None => "symnmf-net",
            Some(m) => m.name(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReductionArg {
    Sum,
    Mean,
}

#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Clustering method.
    #[arg(long, value_enum, default_value = "symnmf-net")]
    pub method: Method,
    /// n×n similarity matrix (.npy, or CSV/text); must be symmetric and nonnegative.
    #[arg(long, value_name = "FILE", conflicts_with = "features")]
    pub similarity: Option<PathBuf>,
    /// Samples × features (.npy, or CSV/text); the kNN graph of SPEC §4 is built from it.
    #[arg(long, value_name = "FILE")]
    pub features: Option<PathBuf>,
    /// One of the papers' clustering data sets: orl, coil20, mnist1, mnist2, tdt2 (its graph
    /// is built as in SPEC §4; the labels and the rank come with it).
    #[arg(long, conflicts_with_all = ["similarity", "features"])]
    pub dataset: Option<String>,
    /// Data folder for --dataset (default: $NMFNET_DATA).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// COIL-20 at its full 128×128 instead of the default 32×32.
    #[arg(long)]
    pub coil_full_size: bool,
    /// Ground-truth classes, one per point (.npy or text): enables ACC, NMI and purity.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Rank r = number of clusters (default: the number of classes in the labels).
    #[arg(long)]
    pub rank: Option<usize>,
    /// Number of blocks K.
    #[arg(long)]
    pub blocks: Option<usize>,
    /// Training epochs (full-batch Adam steps).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Adam learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed of U₀.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Weight β of the proximity terms.
    #[arg(long)]
    pub beta: Option<f64>,
    /// Weight γ of the ℓ1 term on U_K (0 = off).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Reduction of the squared norms in the loss.
    #[arg(long, value_enum)]
    pub reduction: Option<ReductionArg>,
    /// SymNMF-Net: initial λ (default ‖X‖_F; with --fixed-lambda its fixed value). Classical
    /// two-factor methods: the penalty λ of ½‖X − UVᵀ‖² + λ/2‖U − V‖².
    #[arg(long)]
    pub lambda: Option<f64>,
    /// Classical methods: iteration budget (default 1000).
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Classical methods: stop when the projected gradient falls below this fraction of the
    /// first iterate's (default 1e-4).
    #[arg(long)]
    pub tol: Option<f64>,
    /// ADMM: the penalty ρ (default 3‖X‖₂).
    #[arg(long)]
    pub rho: Option<f64>,
    /// Use the graph as a dense matrix even when it was built sparse (kNN graphs are; every
    /// product with X is then a dense one).
    #[arg(long)]
    pub dense: bool,
    /// Keep λ fixed instead of learning it.
    #[arg(long)]
    pub fixed_lambda: bool,
    /// Do not project λ above the bound of Proposition 1 after each step.
    #[arg(long)]
    pub no_project: bool,
    /// Accept a fixed λ below the bound of Proposition 1 (small-λ studies).
    #[arg(long)]
    pub allow_lambda_below_bound: bool,
    /// Training config as JSON (SymNmfTrainingConfig); the flags above override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Backend: cpu (= flex), flex, ndarray or wgpu.
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendChoice,
    /// Output folder: U.npy, labels.npy, summary.json; SymNMF-Net adds metrics.jsonl (the loss
    /// history), config.json and checkpoint.bin, classical methods history.jsonl.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run whose checkpoint is in --out.
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Replace an earlier run in --out instead of refusing.
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// Epochs between checkpoints.
    #[arg(long, default_value_t = 50)]
    pub checkpoint_every: usize,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The graph to cluster, with its ground truth if known.
pub(crate) struct Problem {
    name: String,
    x: Graph,
    labels: Option<Vec<usize>>,
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn load_problem(args: &ClusterArgs) -> anyhow::Result<Problem> {
    let mut problem = if let Some(name) = &args.dataset {
        let id = DatasetId::parse(name)?;
        let dir = catalog::data_dir(args.data_dir.as_deref())?;
        let opts = LoadOptions {
            coil_full_size: args.coil_full_size,
        };
        let data = catalog::load_cluster(id, &dir, opts)?;
        Problem {
            name: id.name().to_string(),
            x: Graph::Sparse(data.graph()?),
            labels: Some(data.labels),
        }
    } else if let Some(path) = &args.similarity {
        let x = read_matrix(path)?;
        let what = format!("similarity matrix {}", path.display());
        Problem {
            name: file_stem(path),
            x: Graph::Dense(validate_similarity(x, &what)?),
            labels: None,
        }
    } else if let Some(path) = &args.features {
        let z = read_matrix(path)?;
        Problem {
            name: file_stem(path),
            x: Graph::Sparse(
                graph::knn_similarity(&z)
                    .with_context(|| format!("building the kNN graph of {}", path.display()))?,
            ),
            labels: None,
        }
    } else {
        let g = planted_graph(&PlantedConfig::default())?;
        Problem {
            name: g.name,
            x: Graph::Dense(g.x),
            labels: g.labels,
        }
    };
    if let Some(path) = &args.labels {
        let labels = read_labels(path)?;
        if labels.len() != problem.x.n() {
            bail!(
                "{} holds {} labels but the data has n = {} points",
                path.display(),
                labels.len(),
                problem.x.n()
            );
        }
        problem.labels = Some(labels);
    }
    Ok(problem)
}

fn build_config(args: &ClusterArgs, problem: &Problem) -> anyhow::Result<SymNmfTrainingConfig> {
    // A config file may leave the rank out; it then comes from the labels like without one.
    let mut config_rank = false;
    let mut cfg = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("invalid config {}", path.display()))?;
            config_rank = value["model"]["rank"].is_u64();
            serde_json::from_value(value)
                .with_context(|| format!("invalid config {}", path.display()))?
        }
        None => SymNmfTrainingConfig::default(),
    };
    let classes = problem.labels.as_deref().map(crate::classical::class_count);
    cfg.model.rank = match (args.rank, config_rank, classes) {
        (Some(r), _, _) => r,
        (None, true, _) => cfg.model.rank,
        (None, false, Some(c)) => c,
        (None, false, None) => {
            bail!("--rank is required when no labels are given (or set model.rank in --config)")
        }
    };
    if let Some(v) = args.blocks {
        cfg.model.blocks = v;
    }
    if let Some(v) = args.epochs {
        cfg.epochs = v;
    }
    if let Some(v) = args.lr {
        cfg.lr = v;
    }
    if let Some(v) = args.seed {
        cfg.seed = v;
    }
    if let Some(v) = args.beta {
        cfg.model.beta = v;
    }
    if let Some(v) = args.gamma {
        cfg.model.gamma = v;
    }
    if let Some(r) = args.reduction {
        cfg.model.reduction = match r {
            ReductionArg::Sum => Reduction::Sum,
            ReductionArg::Mean => Reduction::Mean,
        };
    }
    if args.lambda.is_some() {
        cfg.model.lambda.init = args.lambda;
    }
    if args.fixed_lambda {
        cfg.model.lambda.learnable = false;
    }
    if args.no_project {
        cfg.model.lambda.project = false;
    }
    if args.allow_lambda_below_bound {
        cfg.model.lambda.allow_below_bound = true;
    }
    cfg.validate(problem.x.n())?;
    Ok(cfg)
}

/// Refuses to clobber an earlier run unless asked to.
fn check_out_dir(args: &ClusterArgs) -> anyhow::Result<()> {
    let Some(dir) = &args.out else { return Ok(()) };
    if dir.exists() && !dir.is_dir() {
        bail!("--out {} exists and is not a folder", dir.display());
    }
    let ckpt = dir.join("checkpoint.bin");
    if args.resume && !ckpt.exists() {
        bail!("--resume: no checkpoint in {}", dir.display());
    }
    if !args.resume && !args.overwrite && (ckpt.exists() || dir.join("summary.json").exists()) {
        bail!(
            "{} already holds a run; pass --resume to continue it, --overwrite to replace it, or choose another --out",
            dir.display()
        );
    }
    if args.overwrite {
        for f in [
            "checkpoint.bin",
            "metrics.jsonl",
            "history.jsonl",
            "summary.json",
            "U.npy",
            "labels.npy",
        ] {
            let p = dir.join(f);
            if p.exists() {
                std::fs::remove_file(&p)
                    .with_context(|| format!("cannot remove {}", p.display()))?;
            }
        }
    }
    Ok(())
}

/// The summary printed (and written to summary.json): the fields promised by `--json`, then
/// those of the method that ran.
#[derive(Serialize, Debug)]
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
    pub seconds: f64,
    pub seed: u64,
    #[serde(flatten)]
    pub details: MethodDetails,
}

/// What only one kind of method reports.
#[derive(Serialize, Debug)]
#[serde(untagged)]
pub enum MethodDetails {
    Net {
        backend: String,
        /// How X was held: "sparse" (products on the host) or "dense" (on the device).
        storage: &'static str,
        epochs: usize,
        lambda: f64,
        lambda_bound: f64,
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

/// Flags that only SymNMF-Net reads, by name, if given.
fn net_only_flags(args: &ClusterArgs) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut add = |on: bool, name| {
        if on {
            v.push(name)
        }
    };
    add(args.blocks.is_some(), "--blocks");
    add(args.epochs.is_some(), "--epochs");
    add(args.lr.is_some(), "--lr");
    add(args.beta.is_some(), "--beta");
    add(args.gamma.is_some(), "--gamma");
    add(args.reduction.is_some(), "--reduction");
    add(args.fixed_lambda, "--fixed-lambda");
    add(args.no_project, "--no-project");
    add(args.allow_lambda_below_bound, "--allow-lambda-below-bound");
    add(args.config.is_some(), "--config");
    add(args.resume, "--resume");
    v
}

/// Flags that only the classical methods read, by name, if given.
fn classical_only_flags(args: &ClusterArgs) -> Vec<&'static str> {
    let mut v = Vec::new();
    if args.max_iter.is_some() {
        v.push("--max-iter");
    }
    if args.tol.is_some() {
        v.push("--tol");
    }
    if args.rho.is_some() {
        v.push("--rho");
    }
    v
}

/// `nmfnet cluster`.
pub fn cluster(args: &ClusterArgs) -> anyhow::Result<ClusterSummary> {
    let started = std::time::Instant::now();
    // Every input is read and checked before anything is written.
    match args.method.solver() {
        Some(m) => {
            let wrong = net_only_flags(args);
            if !wrong.is_empty() {
                bail!(
                    "{} appl{} to --method symnmf-net only, not {}",
                    wrong.join(", "),
                    if wrong.len() == 1 { "ies" } else { "y" },
                    m
                );
            }
            if args.rho.is_some() && m != SymMethod::Admm {
                bail!("--rho applies to --method admm only");
            }
            let problem = load_problem(args)?;
            check_out_dir(args)?;
            classical::cluster(
                args,
                m,
                &problem.name,
                &problem.x,
                problem.labels.as_deref(),
                started,
            )
        }
        None => {
            let wrong = classical_only_flags(args);
            if !wrong.is_empty() {
                bail!(
                    "{} appl{} to the classical methods only, not symnmf-net",
                    wrong.join(", "),
                    if wrong.len() == 1 { "ies" } else { "y" }
                );
            }
            let problem = load_problem(args)?;
            let cfg = build_config(args, &problem)?;
            check_out_dir(args)?;
            cluster_net(args, cfg, problem, started)
        }
    }
}

fn cluster_net(
    args: &ClusterArgs,
    cfg: SymNmfTrainingConfig,
    problem: Problem,
    started: std::time::Instant,
) -> anyhow::Result<ClusterSummary> {
    let trainer = TrainerConfig {
        steps: cfg.epochs,
        out_dir: args.out.clone(),
        checkpoint_every: args.checkpoint_every,
        log_every: 1,
        resume: args.resume,
        progress: !args.quiet,
        label: format!("symnmf-net {}", problem.name),
    };
    // A forced dense copy only when asked for; otherwise the problem's own graph, not a copy.
    let forced;
    let graph: &Graph = match (&problem.x, args.dense) {
        (Graph::Sparse(_), true) => {
            forced = Graph::Dense(problem.x.to_dense().into_owned());
            &forced
        }
        _ => &problem.x,
    };
    let run = dispatch(
        args.backend,
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
    let x = problem.x.to_dense();
    let pred = metrics::argmax_labels(&run.u);
    let scores: Option<LabelScores> = match &problem.labels {
        Some(truth) => Some(metrics::label_scores(truth, &pred)?),
        None => None,
    };
    let summary = ClusterSummary {
        method: args.method.name(),
        dataset: problem.name.clone(),
        n: x.nrows(),
        rank: cfg.model.rank,
        acc: scores.map(|s| s.acc),
        nmi: scores.map(|s| s.nmi),
        purity: scores.map(|s| s.purity),
        rel_error: metrics::relative_error(&x, &run.u)?,
        sparse_factor: metrics::sparse_factor(&run.u),
        zero_rows: metrics::zero_rows(&run.u),
        seconds: started.elapsed().as_secs_f64(),
        seed: cfg.seed,
        details: MethodDetails::Net {
            backend: run.backend.to_string(),
            storage,
            epochs: cfg.epochs,
            lambda: run.lambda,
            lambda_bound: run.lambda_bound,
            final_loss: run
                .report
                .last
                .iter()
                .find(|(k, _)| k == "loss")
                .map(|(_, v)| *v),
        },
    };
    if let Some(dir) = &args.out {
        write_npy(&dir.join("U.npy"), &run.u)?;
        atomic_write(&dir.join("labels.npy"), &npy_bytes_labels(&pred))?;
        atomic_write(
            &dir.join("summary.json"),
            serde_json::to_string_pretty(&summary)?.as_bytes(),
        )?;
    }
    Ok(summary)
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "—".into())
}

/// Human-readable summary.
pub fn print_summary(s: &ClusterSummary, out: Option<&Path>) {
    match &s.details {
        MethodDetails::Net {
            backend,
            epochs,
            storage,
            ..
        } => println!(
            "method        {}  (backend {backend}, {epochs} epochs, {storage} X, seed {})",
            s.method, s.seed
        ),
        MethodDetails::Classical {
            iterations,
            converged,
            stop_reason,
            storage,
            ..
        } => println!(
            "method        {}  ({iterations} iterations, {}, {storage} X, seed {})",
            s.method,
            if *converged {
                "converged".to_string()
            } else {
                format!("not converged: {stop_reason:?}")
            },
            s.seed
        ),
    }
    println!("dataset       {}  (n = {}, r = {})", s.dataset, s.n, s.rank);
    println!("ACC           {}", fmt_opt(s.acc));
    println!("NMI           {}", fmt_opt(s.nmi));
    println!("purity        {}", fmt_opt(s.purity));
    println!("rel. error    {:.4}   (‖X − UUᵀ‖²/‖X‖²)", s.rel_error);
    println!(
        "sparse factor {:.4}   zero rows {}",
        s.sparse_factor, s.zero_rows
    );
    match &s.details {
        MethodDetails::Net {
            lambda,
            lambda_bound,
            ..
        } => {
            println!("λ             {lambda:.4}   (bound {lambda_bound:.4})")
        }
        MethodDetails::Classical {
            penalty: Some(p), ..
        } => println!("penalty       {p:.4}"),
        MethodDetails::Classical { .. } => {}
    }
    println!("time          {:.2} s", s.seconds);
    if let Some(dir) = out {
        println!("written to    {}", dir.display());
    }
}

/// `nmfnet data check`: one row per data set; an error if any row has a problem.
fn data_check(data_dir: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let dir = catalog::data_dir(data_dir)?;
    println!("data folder {}", dir.display());
    println!(
        "{:<9} {:>8} {:>8} {:>9} {:>7}  status",
        "dataset", "samples", "classes", "features", "load s"
    );
    let rows: Vec<_> = DatasetId::ALL
        .iter()
        .map(|&id| catalog::check(id, &dir))
        .collect();
    let fmt = |v: Option<usize>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
    for r in &rows {
        println!(
            "{:<9} {:>8} {:>8} {:>9} {:>7.2}  {}",
            r.dataset,
            fmt(r.samples),
            fmt(r.classes),
            fmt(r.features),
            r.seconds,
            match &r.problem {
                None => "ok (sha256 and counts verified)".to_string(),
                Some(p) => format!("FAILED: {p}"),
            }
        );
    }
    if json {
        println!("{}", serde_json::to_string(&rows)?);
    }
    let bad = rows.iter().filter(|r| !r.ok).count();
    if bad > 0 {
        bail!("{bad} of {} data sets failed the check", rows.len());
    }
    Ok(())
}

/// `nmfnet data info NAME`.
fn data_info(name: &str, data_dir: Option<&Path>) -> anyhow::Result<()> {
    let id = DatasetId::parse(name)?;
    let (n, c) = id.expected_counts();
    println!("{}: {}", id.name(), id.describe());
    println!("expected: {n} samples, {c} classes");
    if DatasetId::CLUSTERING.contains(&id) {
        println!("clustering rank r = {}", id.rank());
    }
    let dir = match catalog::data_dir(data_dir) {
        Ok(d) => d,
        Err(_) => {
            println!("(pass --data-dir or set $NMFNET_DATA to load it)");
            return Ok(());
        }
    };
    let labels = if DatasetId::CLUSTERING.contains(&id) {
        let d = catalog::load_cluster(id, &dir, LoadOptions::default())?;
        println!(
            "loaded from {}: {} samples × {} features",
            dir.display(),
            d.features.nrows(),
            d.features.ncols()
        );
        d.labels
    } else {
        let tr = catalog::load_images(id, catalog::Split::Train, &dir)?;
        let te = catalog::load_images(id, catalog::Split::Test, &dir)?;
        println!(
            "loaded from {}: {} train + {} test images of {}×{}",
            dir.display(),
            tr.images.nrows(),
            te.images.nrows(),
            tr.height,
            tr.width
        );
        tr.labels
    };
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    let sizes: Vec<usize> = (0..classes)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .collect();
    println!("class sizes: {sizes:?}");
    Ok(())
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Data(DataCommand::Check { data_dir, json }) => {
            data_check(data_dir.as_deref(), json)
        }
        Command::Data(DataCommand::Info { name, data_dir }) => {
            data_info(&name, data_dir.as_deref())
        }
        Command::Reproduce(ReproduceCommand::Symnmf(args)) => crate::reproduce::symnmf(&args),
        Command::Reproduce(ReproduceCommand::Ganunet(args)) => crate::reproduce_gan::ganunet(&args),
        Command::Gan(GanCommand::Factorize(args)) => {
            let s = crate::ganunet::factorize_command(&args)?;
            println!(
                "gan-unet factorize: {} images, k = {}, ε {:.3}, {:.4} s (one forward pass); written to {}",
                s.images,
                s.k,
                s.error,
                s.seconds,
                args.out.display()
            );
            if args.json {
                println!("{}", serde_json::to_string(&s)?);
            }
            Ok(())
        }
        Command::Gan(GanCommand::Baselines(args)) => {
            let s = crate::gan_baselines::baselines_command(&args)?;
            crate::gan_baselines::print_baselines(&s);
            if args.json {
                println!("{}", serde_json::to_string(&s)?);
            }
            Ok(())
        }
        Command::Gan(GanCommand::Eval(args)) => {
            let s = crate::ganunet::eval_command(&args)?;
            println!(
                "gan-unet eval on {} (checkpoint after {} steps, backend {}): train ε {:.3}, test ε {:.3} on {} groups; {:.4} s per group one at a time, {:.4} s per group {} at a time",
                s.dataset,
                s.checkpoint_steps,
                s.backend,
                s.train_error,
                s.test_error,
                s.groups,
                s.seconds_per_group,
                s.seconds_per_group_batched,
                s.batch
            );
            if args.json {
                println!("{}", serde_json::to_string(&s)?);
            }
            Ok(())
        }
        Command::Gan(GanCommand::Train(args)) => {
            let s = crate::ganunet::train_command(&args)?;
            println!(
                "gan-unet {} ({} steps, k = {}, {}, backend {}): train ε {}, test ε {:.3} on {} groups, {:.4} s per group, {:.1} s ({} of training in all)",
                s.dataset,
                s.steps,
                s.k,
                if s.discriminator { "with discriminator" } else { "L1 only" },
                s.backend,
                s.train_error
                    .map_or("— (no step left to run)".into(), |e| format!("{e:.3}")),
                s.test_error,
                s.test_groups,
                s.seconds_per_group,
                s.seconds,
                s.training_seconds
                    .map_or("unknown time".into(), |t| format!("{:.1} min", t / 60.0))
            );
            if args.json {
                println!("{}", serde_json::to_string(&s)?);
            }
            Ok(())
        }
        Command::Nmf(args) => {
            let summary = classical::nmf_command(&args)?;
            classical::print_nmf_summary(&summary, args.out.as_deref());
            if args.json {
                println!("{}", serde_json::to_string(&summary)?);
            }
            Ok(())
        }
        Command::Cluster(args) => {
            let summary = cluster(&args)?;
            print_summary(&summary, args.out.as_deref());
            if args.json {
                println!("{}", serde_json::to_string(&summary)?);
            }
            Ok(())
        }
    }
}
