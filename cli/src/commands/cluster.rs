//! `nmfnet cluster`: the flags, the job they make, and the printed summary.

use crate::args::{override_run, print_json, read_job, run_options, usage_error, BackendArg};
use clap::{ArgGroup, Args, ValueEnum};
use nmfnet_app::cluster::{
    cluster, net_config, ClassicalSolver, ClusterInput, ClusterJob, ClusterSummary, GraphKind,
    GraphParams, KnnSearch, Method, MethodDetails, NetConfigFile, NetSolver, Preset, Protocol,
    Reduction, Solver, SymNmfTrainingConfig, MAX_RESTARTS,
};
use nmfnet_app::BackendKind;
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
#[command(group(ArgGroup::new("spec").multiple(true)))]
pub struct ClusterArgs {
    /// Run the job in FILE: the `job.json` an earlier run wrote (every setting, defaults
    /// resolved), or one written by hand; `-` reads it from standard input. Only --out,
    /// --resume, --overwrite, --checkpoint-every, --quiet and --json may be given beside it (a
    /// new --out starts a new run there).
    #[arg(long, value_name = "FILE", conflicts_with = "spec")]
    pub job: Option<PathBuf>,
    /// Clustering method (default symnmf-net).
    #[arg(long, group = "spec", value_parser = method_parser())]
    pub method: Option<Method>,
    /// n×n similarity matrix (.npy, CSV/text, or a sparse .npz from scipy.sparse.save_npz);
    /// must be symmetric and nonnegative.
    #[arg(long, group = "spec", value_name = "FILE", conflicts_with = "features")]
    pub similarity: Option<PathBuf>,
    /// Samples × features (.npy, or CSV/text); the kNN graph of SPEC §4 is built from it.
    #[arg(long, group = "spec", value_name = "FILE")]
    pub features: Option<PathBuf>,
    /// One of the clustering data sets: orl, coil20, mnist1, mnist2, tdt2 (the paper's),
    /// fashion1 (held out) or mnist-full (all 70,000 MNIST images); its graph is built as in
    /// SPEC §4, the labels and the rank come with it.
    #[arg(long, group = "spec", conflicts_with_all = ["similarity", "features"])]
    pub dataset: Option<String>,
    /// Data folder for --dataset (default: $NMFNET_DATA).
    #[arg(long, group = "spec", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// COIL-20 at its full 128×128 instead of the default 32×32.
    #[arg(long, group = "spec")]
    pub coil_full_size: bool,
    /// Ground-truth classes, one per point (.npy or text): enables ACC, NMI and purity.
    #[arg(long, group = "spec", value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Rank r = number of clusters (default: the number of classes in the labels).
    #[arg(long, group = "spec")]
    pub rank: Option<usize>,
    /// Number of blocks K (1 to 1000).
    #[arg(long, group = "spec")]
    pub blocks: Option<usize>,
    /// Training epochs (full-batch Adam steps; 1 to 10^7).
    #[arg(long, group = "spec")]
    pub epochs: Option<usize>,
    /// Stop before --epochs once the loss has improved by less than --plateau-tol (relative)
    /// over the last N epochs; 0 runs every epoch (0 to 10^7).
    #[arg(long, group = "spec", value_name = "N")]
    pub patience: Option<usize>,
    /// Relative improvement below which the loss counts as flat (0 to 1).
    #[arg(long, group = "spec", value_name = "TOL")]
    pub plateau_tol: Option<f64>,
    /// Adam learning rate (0 < lr ≤ 10^6).
    #[arg(long, group = "spec")]
    pub lr: Option<f64>,
    /// Seed of U₀ (the first of --restarts consecutive seeds).
    #[arg(long, group = "spec")]
    pub seed: Option<u64>,
    /// Seeded starts (seeds --seed, --seed + 1, …); the one with the lowest relative error is
    /// kept, all are listed in the summary ("restarts"). Labels never choose. 1 to 1000
    /// (default 3).
    #[arg(long, group = "spec", value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_RESTARTS as u64))]
    pub restarts: Option<usize>,
    /// How the graph is built from --features or a --dataset: kuang (SPEC §4: self-tuning
    /// Gaussian kNN weights), or knn-self / knn-self:K (binary kNN connectivity including each point,
    /// K = 10 others by default, symmetrised, ncut-scaled: the graph the paper's Table 1
    /// relative errors need).
    #[arg(long, group = "spec", value_name = "KIND", value_parser = graph_parser)]
    pub graph: Option<GraphKind>,
    /// How the graph's nearest neighbours are found from --features or a --dataset with image
    /// features: exact (every distance, in GEMM blocks; the default) or hnsw / hnsw:EF (approximate,
    /// HNSW graphs on 96 principal axes searched with EF candidates, default 18; the neighbours found get their exact
    /// distances; for n in the tens of thousands and more; seeded, the same graph every run).
    #[arg(long, group = "spec", value_name = "SEARCH", value_parser = knn_parser)]
    pub knn: Option<KnnSearch>,
    /// Classical methods: how they start and stop.
    #[arg(long, group = "spec", value_enum)]
    pub protocol: Option<ProtocolArg>,
    /// SymNMF-Net: the settings --config and the flags start from.
    #[arg(long, group = "spec", value_enum)]
    pub preset: Option<PresetArg>,
    /// Weight β of the proximity terms (0 ≤ β ≤ 10^6).
    #[arg(long, group = "spec")]
    pub beta: Option<f64>,
    /// Weight γ of the ℓ1 term on U_K (0 = off; at most 10^6).
    #[arg(long, group = "spec")]
    pub gamma: Option<f64>,
    /// Reduction of the squared norms in the loss.
    #[arg(long, group = "spec", value_enum)]
    pub reduction: Option<ReductionArg>,
    /// SymNMF-Net: initial λ (default ‖X‖_F; with --fixed-lambda its fixed value; 0 < λ ≤ 10^12). Classical
    /// two-factor methods: the penalty λ of ½‖X − UVᵀ‖² + λ/2‖U − V‖².
    #[arg(long, group = "spec")]
    pub lambda: Option<f64>,
    /// Classical methods: iteration budget (default 1000; 1 to 10^6).
    #[arg(long, group = "spec")]
    pub max_iter: Option<usize>,
    /// Classical methods: stop when the projected gradient falls below this fraction of the
    /// first iterate's (default 1e-4; finite, ≥ 0).
    #[arg(long, group = "spec")]
    pub tol: Option<f64>,
    /// ADMM: the penalty ρ (default 3‖X‖₂; finite, > 0).
    #[arg(long, group = "spec")]
    pub rho: Option<f64>,
    /// Use the graph as a dense matrix even when it was built sparse (kNN graphs are; every
    /// product with X is then a dense one).
    #[arg(long, group = "spec")]
    pub dense: bool,
    /// Keep λ fixed instead of learning it.
    #[arg(long, group = "spec")]
    pub fixed_lambda: bool,
    /// Do not project λ above the bound of Proposition 1 after each step.
    #[arg(long, group = "spec")]
    pub no_project: bool,
    /// Accept a fixed λ below the bound of Proposition 1 (small-λ studies).
    #[arg(long, group = "spec")]
    pub allow_lambda_below_bound: bool,
    /// Training config as JSON (SymNmfTrainingConfig); the flags above override it. Its other
    /// fields are bounded too: u0_scale in (0, 10^3], lr_min_factor in [0, 1], adam_beta1/2 in
    /// [0, 1), adam_epsilon in (0, 1].
    #[arg(long, group = "spec", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Backend: cpu (= flex), flex, ndarray or wgpu.
    #[arg(
        long,
        group = "spec",
        visible_alias = "device",
        value_enum,
        default_value = "cpu"
    )]
    pub backend: BackendArg,
    /// Output folder: U.npy, labels.npy, job.json (the whole job: --job runs it again),
    /// summary.json; SymNMF-Net adds metrics.jsonl (the loss history), config.json and
    /// checkpoint.bin, classical methods history.jsonl.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run whose checkpoints are in --out (or in the folder of --job's file).
    #[arg(long)]
    pub resume: bool,
    /// Replace an earlier run in --out instead of refusing.
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// With --resume: accept a version-1 checkpoint (written before checksums) this once; the
    /// next checkpoint is written in the current format.
    #[arg(long, requires = "resume")]
    pub upgrade: bool,
    /// Epochs between checkpoints (default 50).
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A flag given with a method that does not read it.
fn misplaced(flags: &[(&str, bool)], only: &str, method: &str) -> anyhow::Result<()> {
    let given: Vec<&str> = flags.iter().filter(|f| f.1).map(|f| f.0).collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(usage_error(format!(
        "{} appl{} to {only} only, not {method}",
        given.join(", "),
        if given.len() == 1 { "ies" } else { "y" }
    )))
}

impl ClusterArgs {
    /// The job these flags stand for (`--job`'s file, with the run flags over it).
    pub fn job(&self) -> anyhow::Result<ClusterJob> {
        let mut job = match &self.job {
            Some(path) => {
                let mut job: ClusterJob = read_job(path)?;
                override_run(
                    &mut job.run,
                    self.out.clone(),
                    self.resume,
                    self.overwrite,
                    self.checkpoint_every,
                    self.quiet,
                );
                job.run.upgrade |= self.upgrade;
                return Ok(job);
            }
            None => {
                let file = self.config_file()?;
                let mut job = ClusterJob::new(self.solver(file.as_ref())?);
                job.rank = self.rank.or(file.as_ref().and_then(|f| f.rank));
                job.seed = self
                    .seed
                    .or(file.as_ref().and_then(|f| f.seed))
                    .unwrap_or(0);
                job
            }
        };
        job.input = if let Some(name) = &self.dataset {
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
        for (flag, given) in [
            ("--graph", self.graph.is_some()),
            ("--knn", self.knn.is_some()),
        ] {
            if given && !job.builds_graph() {
                return Err(usage_error(format!("{flag} applies to --features and --dataset only: the other inputs are graphs already")));
            }
        }
        if self.graph.is_some() || self.knn.is_some() {
            job.graph = Some(GraphParams {
                kind: self.graph.unwrap_or_default(),
                knn: self.knn.unwrap_or_default(),
            });
        }
        job.labels = self.labels.clone();
        job.dense = self.dense;
        if let Some(r) = self.restarts {
            job.restarts = r;
        }
        job.run = run_options(
            self.out.clone(),
            self.resume,
            self.overwrite,
            self.checkpoint_every,
            self.quiet,
        );
        job.run.upgrade = self.upgrade;
        Ok(job)
    }

    fn config_file(&self) -> anyhow::Result<Option<NetConfigFile>> {
        match self.method.unwrap_or(Method::SymnmfNet) {
            Method::SymnmfNet => Ok(Some(net_config(self.preset(), self.config.as_deref())?)),
            _ => Ok(None),
        }
    }

    fn preset(&self) -> Preset {
        match self.preset {
            Some(PresetArg::Paper) => Preset::Paper,
            Some(PresetArg::Default) | None => Preset::Default,
        }
    }

    /// The solver: SymNMF-Net with the preset, the config file and the flags over it, or a
    /// classical method with its protocol and overrides. Flags of the other kind are a usage
    /// error.
    fn solver(&self, file: Option<&NetConfigFile>) -> anyhow::Result<Solver> {
        let method = self.method.unwrap_or(Method::SymnmfNet);
        let net_flags = [
            ("--blocks", self.blocks.is_some()),
            ("--epochs", self.epochs.is_some()),
            ("--patience", self.patience.is_some()),
            ("--plateau-tol", self.plateau_tol.is_some()),
            ("--lr", self.lr.is_some()),
            ("--beta", self.beta.is_some()),
            ("--gamma", self.gamma.is_some()),
            ("--reduction", self.reduction.is_some()),
            ("--fixed-lambda", self.fixed_lambda),
            ("--no-project", self.no_project),
            ("--allow-lambda-below-bound", self.allow_lambda_below_bound),
            ("--config", self.config.is_some()),
            ("--preset", self.preset.is_some()),
            ("--resume", self.resume),
            ("--checkpoint-every", self.checkpoint_every.is_some()),
        ];
        let classical_flags = [
            ("--max-iter", self.max_iter.is_some()),
            ("--tol", self.tol.is_some()),
            ("--rho", self.rho.is_some()),
            ("--protocol", self.protocol.is_some()),
        ];
        let Some(m) = method.solver() else {
            misplaced(&classical_flags, "the classical methods", "symnmf-net")?;
            let mut config = file.expect("SymNMF-Net reads its config").config.clone();
            self.apply_net_flags(&mut config);
            return Ok(Solver::Net(NetSolver {
                backend: self.backend.into(),
                config,
            }));
        };
        misplaced(&net_flags, "--method symnmf-net", m.name())?;
        if self.backend != BackendArg::Cpu {
            return Err(usage_error(format!(
                "--backend {} applies to --method symnmf-net only: the classical solvers run on the CPU in f64",
                BackendKind::from(self.backend).name()
            )));
        }
        if self.rho.is_some() && m != nmfnet_baselines::SymMethod::Admm {
            return Err(usage_error("--rho applies to --method admm only".into()));
        }
        Ok(Solver::Classical(ClassicalSolver {
            method: m,
            protocol: match self.protocol {
                Some(ProtocolArg::Zhu) => Protocol::Zhu,
                Some(ProtocolArg::Standard) | None => Protocol::Standard,
            },
            max_iter: self.max_iter,
            tol: self.tol,
            lambda: self.lambda,
            rho: self.rho,
        }))
    }

    /// The SymNMF-Net settings given as flags, over the config.
    fn apply_net_flags(&self, cfg: &mut SymNmfTrainingConfig) {
        if let Some(v) = self.blocks {
            cfg.model.blocks = v;
        }
        if let Some(v) = self.epochs {
            cfg.epochs = v;
        }
        if let Some(v) = self.patience {
            cfg.plateau_patience = v;
        }
        if let Some(v) = self.plateau_tol {
            cfg.plateau_tol = v;
        }
        if let Some(v) = self.lr {
            cfg.lr = v;
        }
        if let Some(v) = self.beta {
            cfg.model.beta = v;
        }
        if let Some(v) = self.gamma {
            cfg.model.gamma = v;
        }
        if let Some(r) = self.reduction {
            cfg.model.reduction = match r {
                ReductionArg::Sum => Reduction::Sum,
                ReductionArg::Mean => Reduction::Mean,
            };
        }
        if self.lambda.is_some() {
            cfg.model.lambda.init = self.lambda;
        }
        if self.fixed_lambda {
            cfg.model.lambda.learnable = false;
        }
        if self.no_project {
            cfg.model.lambda.project = false;
        }
        if self.allow_lambda_below_bound {
            cfg.model.lambda.allow_below_bound = true;
        }
    }
}

/// Runs `nmfnet cluster`.
pub fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    let job = args.job()?;
    let report = cluster(&job)?;
    print_summary(&report.summary, job.run.out.as_deref());
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
    let held = |storage: &str| match s.dense_input_zeros {
        Some(z) => format!("{storage} X (dense input, {:.1} % zeros)", 100.0 * z),
        None => format!("{storage} X"),
    };
    match &s.details {
        MethodDetails::Net {
            backend,
            epochs,
            plateau_stopped,
            storage,
            ..
        } => println!(
            "method        {}  (backend {backend}, {epochs} epochs{}, {}, seed {})",
            s.method,
            if *plateau_stopped {
                " (loss plateau)"
            } else {
                ""
            },
            held(storage),
            s.seed
        ),
        MethodDetails::Classical {
            iterations,
            converged,
            stop_reason,
            storage,
            ..
        } => println!(
            "method        {}  ({iterations} iterations, {}, {}, seed {})",
            s.method,
            if *converged {
                "converged".to_string()
            } else {
                format!("not converged: {stop_reason:?}")
            },
            held(storage),
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
