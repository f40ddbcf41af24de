//! `nmfnet cluster`: the flags, the request they make, and the printed summary.

use crate::args::{print_json, BackendArg};
use clap::{Args, ValueEnum};
use nmfnet_app::cluster::{
    cluster, ClusterInput, ClusterRequest, ClusterSummary, GraphKind, KnnSearch, Method,
    MethodDetails, Preset, Protocol, Reduction, MAX_RESTARTS,
};
use std::path::{Path, PathBuf};

/// `--method`: the names of [`Method::ALL`], each with its line of help.
fn method_parser() -> impl clap::builder::TypedValueParser<Value = Method> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(Method::ALL.map(|m| PossibleValue::new(m.name()).help(m.describe())))
        .map(|name| Method::from_name(&name).expect("one of the listed names"))
}

/// `--reduction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReductionArg {
    Sum,
    Mean,
}

/// `--preset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// Sum reduction, β = 0.01, lr 0.05, up to 600 epochs stopping on a loss plateau
    /// (patience 30, tol 1e-4): chosen without labels by the relative error on ORL
    /// (bench/net_settings_orl.md, bench/plateau.md).
    Default,
    /// The paper's literal settings: mean reduction, β = 5e-6, lr 0.5, 100 epochs (every
    /// epoch runs).
    Paper,
}

/// `--protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// U₀ = 2·sqrt(mean(X)/r)·rand (Kuang), the method's λ, stop at --tol or --max-iter.
    Standard,
    /// Zhu et al.'s demo: U₀ = rand(n, r) unscaled, λ = 0.66, exactly 500 iterations
    /// (--max-iter, --tol and --lambda still override).
    Zhu,
}

fn graph_parser(text: &str) -> Result<GraphKind, String> {
    GraphKind::parse(text)
}

fn knn_parser(text: &str) -> Result<KnnSearch, String> {
    KnnSearch::parse(text)
}

#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Clustering method.
    #[arg(long, value_parser = method_parser(), default_value = "symnmf-net")]
    pub method: Method,
    /// n×n similarity matrix (.npy, CSV/text, or a sparse .npz from scipy.sparse.save_npz);
    /// must be symmetric and nonnegative.
    #[arg(long, value_name = "FILE", conflicts_with = "features")]
    pub similarity: Option<PathBuf>,
    /// Samples × features (.npy, or CSV/text); the kNN graph of SPEC §4 is built from it.
    #[arg(long, value_name = "FILE")]
    pub features: Option<PathBuf>,
    /// One of the clustering data sets: orl, coil20, mnist1, mnist2, tdt2 (the paper's),
    /// fashion1 (held out) or mnist-full (all 70,000 MNIST images); its graph is built as in
    /// SPEC §4, the labels and the rank come with it.
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
    /// Number of blocks K (1 to 1000).
    #[arg(long)]
    pub blocks: Option<usize>,
    /// Training epochs (full-batch Adam steps; 1 to 10^7).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Stop before --epochs once the loss has improved by less than --plateau-tol (relative)
    /// over the last N epochs; 0 runs every epoch (0 to 10^7).
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    /// Relative improvement below which the loss counts as flat (0 to 1).
    #[arg(long, value_name = "TOL")]
    pub plateau_tol: Option<f64>,
    /// Adam learning rate (0 < lr ≤ 10^6).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed of U₀ (the first of --restarts consecutive seeds).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seeded starts (seeds --seed, --seed + 1, …); the one with the lowest relative error is
    /// kept, all are listed in the summary ("restarts"). Labels never choose. 1 to 1000
    /// (default 3).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_RESTARTS as u64))]
    pub restarts: Option<usize>,
    /// How the graph is built from --features or a --dataset: kuang (SPEC §4: self-tuning
    /// Gaussian kNN weights), or knn-self[:K] (binary kNN connectivity including each point,
    /// K = 10 others by default, symmetrised, ncut-scaled: the graph the paper's Table 1
    /// relative errors need).
    #[arg(long, value_name = "KIND", value_parser = graph_parser)]
    pub graph: Option<GraphKind>,
    /// How the graph's nearest neighbours are found from --features or a --dataset with image
    /// features: exact (every distance, in GEMM blocks; the default) or hnsw[:EF] (approximate,
    /// HNSW graphs on 96 principal axes searched with EF candidates, default 18; the neighbours found get their exact
    /// distances; for n in the tens of thousands and more; seeded, the same graph every run).
    #[arg(long, value_name = "SEARCH", value_parser = knn_parser)]
    pub knn: Option<KnnSearch>,
    /// Classical methods: how they start and stop.
    #[arg(long, value_enum)]
    pub protocol: Option<ProtocolArg>,
    /// SymNMF-Net: the settings --config and the flags start from.
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// Weight β of the proximity terms (0 ≤ β ≤ 10^6).
    #[arg(long)]
    pub beta: Option<f64>,
    /// Weight γ of the ℓ1 term on U_K (0 = off; at most 10^6).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Reduction of the squared norms in the loss.
    #[arg(long, value_enum)]
    pub reduction: Option<ReductionArg>,
    /// SymNMF-Net: initial λ (default ‖X‖_F; with --fixed-lambda its fixed value; 0 < λ ≤ 10^12). Classical
    /// two-factor methods: the penalty λ of ½‖X − UVᵀ‖² + λ/2‖U − V‖².
    #[arg(long)]
    pub lambda: Option<f64>,
    /// Classical methods: iteration budget (default 1000; 1 to 10^6).
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Classical methods: stop when the projected gradient falls below this fraction of the
    /// first iterate's (default 1e-4; finite, ≥ 0).
    #[arg(long)]
    pub tol: Option<f64>,
    /// ADMM: the penalty ρ (default 3‖X‖₂; finite, > 0).
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
    /// Training config as JSON (SymNmfTrainingConfig); the flags above override it. Its other
    /// fields are bounded too: u0_scale in (0, 10^3], lr_min_factor in [0, 1], adam_beta1/2 in
    /// [0, 1), adam_epsilon in (0, 1].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Backend: cpu (= flex), flex, ndarray or wgpu.
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
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

impl ClusterArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> ClusterRequest {
        let input = if let Some(name) = &self.dataset {
            ClusterInput::Dataset {
                name: name.clone(),
                data_dir: self.data_dir.clone(),
                coil_full_size: self.coil_full_size,
            }
        } else if let Some(p) = &self.similarity {
            ClusterInput::Similarity(p.clone())
        } else if let Some(p) = &self.features {
            ClusterInput::Features(p.clone())
        } else {
            ClusterInput::Embedded
        };
        ClusterRequest {
            method: self.method,
            input,
            labels: self.labels.clone(),
            rank: self.rank,
            seed: self.seed,
            restarts: self.restarts,
            graph: self.graph,
            knn: self.knn,
            protocol: self.protocol.map(|p| match p {
                ProtocolArg::Standard => Protocol::Standard,
                ProtocolArg::Zhu => Protocol::Zhu,
            }),
            preset: self.preset.map(|p| match p {
                PresetArg::Default => Preset::Default,
                PresetArg::Paper => Preset::Paper,
            }),
            lambda: self.lambda,
            dense: self.dense,
            blocks: self.blocks,
            epochs: self.epochs,
            patience: self.patience,
            plateau_tol: self.plateau_tol,
            lr: self.lr,
            beta: self.beta,
            gamma: self.gamma,
            reduction: self.reduction.map(|r| match r {
                ReductionArg::Sum => Reduction::Sum,
                ReductionArg::Mean => Reduction::Mean,
            }),
            fixed_lambda: self.fixed_lambda,
            no_project: self.no_project,
            allow_lambda_below_bound: self.allow_lambda_below_bound,
            config: self.config.clone(),
            max_iter: self.max_iter,
            tol: self.tol,
            rho: self.rho,
            out: self.out.clone(),
            resume: self.resume,
            overwrite: self.overwrite,
            checkpoint_every: self.checkpoint_every,
            progress: !self.quiet,
            cancel: Default::default(),
            keep_graph: false,
        }
    }
}

/// Runs `nmfnet cluster`.
pub fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    let report = cluster(&args.request(), args.backend.into())?;
    print_summary(&report.summary, args.out.as_deref());
    if args.json {
        print_json(&report.summary)?;
    }
    Ok(())
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "—".into())
}

/// The human-readable summary.
pub fn print_summary(s: &ClusterSummary, out: Option<&Path>) {
    match &s.details {
        MethodDetails::Net {
            backend,
            epochs,
            plateau_stopped,
            storage,
            ..
        } => println!(
            "method        {}  (backend {backend}, {epochs} epochs{}, {storage} X, seed {})",
            s.method,
            if *plateau_stopped {
                " (loss plateau)"
            } else {
                ""
            },
            s.seed
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
    if s.restarts.len() > 1 {
        let errs: Vec<String> = s
            .restarts
            .iter()
            .map(|r| format!("{}: {:.4}", r.seed, r.rel_error))
            .collect();
        println!(
            "restarts      {} (kept seed {}; rel. error by seed {})",
            s.restarts.len(),
            s.seed,
            errs.join(", ")
        );
    }
    match s.input_seconds {
        Some(t) => println!(
            "time          {:.2} s  (input and graph {t:.2} s)",
            s.seconds
        ),
        None => println!("time          {:.2} s", s.seconds),
    }
    if let Some(dir) = out {
        println!("written to    {}", dir.display());
    }
}
