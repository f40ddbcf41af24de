//! What a clustering run is asked to do: the method, the input, the options, the output.

use nmfnet_baselines::SymMethod;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::neighbours::KnnSearch;
use nmfnet_datasets::{Cancel, Dense};
use nmfnet_train::runtime::rundir::{Mode, RunDir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use symnmf_burn::{Reduction, SymNmfTrainingConfig};

/// A clustering method (see [`Method::describe`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    SymnmfNet,
    Symanls,
    Symhals,
    Symnewton,
    Pgd,
    Admm,
    Scheme4,
    KuangAnls,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::SymnmfNet,
        Method::Symanls,
        Method::Symhals,
        Method::Symnewton,
        Method::Pgd,
        Method::Admm,
        Method::Scheme4,
        Method::KuangAnls,
    ];

    /// The method of a command-line name.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

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

    /// One line on the method (the command line's help).
    pub fn describe(self) -> &'static str {
        match self {
            Method::SymnmfNet => "SymNMF-Net (Li, Kong, Lin): the unrolled network, trained with Adam",
            Method::Symanls => {
                "SymANLS (Zhu et al. 2018): alternating exact NNLS (block principal pivoting), λ = 1"
            }
            Method::Symhals => "SymHALS (Zhu et al. 2018): Gauss–Seidel column sweeps, λ = 1",
            Method::Symnewton => {
                "SymNewton (Kuang et al. 2015): projected Newton-like steps with Armijo search"
            }
            Method::Pgd => "Projected gradient descent with Armijo search",
            Method::Admm => "ADMM (Lu, Hong, Wang 2017), ρ = 3‖X‖₂",
            Method::Scheme4 => {
                "Scheme (4) of the SymNMF-Net paper: W = max((X+λI)V(VᵀV+λI)⁻¹, 0), λ = ‖X‖_F"
            }
            Method::KuangAnls => "Kuang's ANLS: SymANLS with α = max(X)²",
        }
    }

    /// The name the command line takes (`symnmf-net`, `symanls`, …).
    pub fn name(self) -> &'static str {
        match self.solver() {
            None => "symnmf-net",
            Some(m) => m.name(),
        }
    }
}

/// Where SymNMF-Net's settings start, before `--config` and the flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// [`SymNmfTrainingConfig::default`]: chosen without labels by relative error on ORL.
    #[default]
    Default,
    /// [`SymNmfTrainingConfig::paper`]: the paper's literal settings.
    Paper,
}

impl Preset {
    pub fn config(self) -> SymNmfTrainingConfig {
        match self {
            Preset::Default => SymNmfTrainingConfig::default(),
            Preset::Paper => SymNmfTrainingConfig::paper(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Paper => "paper",
        }
    }
}

/// How the similarity graph is built from feature vectors (`--features`, `--dataset`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphKind {
    /// SPEC §4 (Kuang, Yun, Park): self-tuning Gaussian weights on the kNN edges, ncut scaling.
    #[default]
    Kuang,
    /// Binary kNN connectivity including each point itself (k others plus self), symmetrised
    /// as (C + Cᵀ)/2, then the ncut scaling: the graph that reaches the SymNMF-Net paper's
    /// Table 1 relative errors (see `nmfnet_datasets::graph::knn_self_similarity`).
    KnnSelf { k: usize },
}

/// `knn-self`'s k when none is given (scikit-learn's `kneighbors_graph(n_neighbors=11,
/// include_self=True)`).
pub const KNN_SELF_DEFAULT_K: usize = 10;

impl GraphKind {
    /// `kuang`, `knn-self` or `knn-self:K`.
    pub fn parse(text: &str) -> Result<GraphKind, String> {
        match text.split_once(':') {
            None if text == "kuang" => Ok(GraphKind::Kuang),
            None if text == "knn-self" => Ok(GraphKind::KnnSelf {
                k: KNN_SELF_DEFAULT_K,
            }),
            Some(("knn-self", k)) => match k.parse::<usize>() {
                Ok(k) if (1..=1000).contains(&k) => Ok(GraphKind::KnnSelf { k }),
                _ => Err(format!("knn-self:K needs K in 1..=1000, got '{k}'")),
            },
            _ => Err(format!(
                "unknown graph '{text}': expected kuang, knn-self or knn-self:K"
            )),
        }
    }

    /// The text [`GraphKind::parse`] reads back.
    pub fn name(self) -> String {
        match self {
            GraphKind::Kuang => "kuang".into(),
            GraphKind::KnnSelf { k } => format!("knn-self:{k}"),
        }
    }
}

/// How the classical solvers start and stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Kuang's scaled start `U₀ = 2·sqrt(mean(X)/r)·rand`, the method's own λ, stopping at a
    /// relative projected-gradient tolerance (`--tol`) or `--max-iter`.
    #[default]
    Standard,
    /// The demo of Zhu et al.'s code, with which the SymNMF-Net paper's baselines were most
    /// likely run: `U₀ = rand(n, r)` unscaled, V₀ = U₀, λ = 0.66, exactly 500 iterations.
    Zhu,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Standard => "standard",
            Protocol::Zhu => "zhu",
        }
    }
}

/// Most restarts one request may ask for.
pub const MAX_RESTARTS: usize = 1000;

/// What to cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterInput {
    /// The embedded planted-cluster default (5 clusters of 80 points; labels known).
    #[default]
    Embedded,
    /// One of the clustering data sets (orl, coil20, mnist1, mnist2, tdt2, the held-out fashion1, mnist-full): its graph
    /// is built as in SPEC §4; the labels and the rank come with it.
    Dataset {
        name: String,
        /// Data folder (None: `$NMFNET_DATA`).
        data_dir: Option<PathBuf>,
        /// COIL-20 at its full 128×128 instead of 32×32.
        coil_full_size: bool,
    },
    /// An n×n symmetric nonnegative matrix file (.npy, or CSV/text).
    Similarity(PathBuf),
    /// A samples × features file (.npy, or CSV/text): the kNN graph of SPEC §4 is built.
    Features(PathBuf),
    /// An n×n similarity matrix handed over in memory (a binding's array), dense or sparse;
    /// checked like a file's. `name` stands for the file name in the summary.
    #[serde(skip)]
    SimilarityData { name: String, x: Shared<Graph> },
    /// A samples × features matrix handed over in memory; the graph is built as for a file.
    #[serde(skip)]
    FeaturesData { name: String, z: Shared<Dense> },
}

/// A matrix handed over in memory: shared, not copied, between clones of a request, and equal
/// only to itself (requests are compared, matrices are not).
#[derive(Clone)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Self(Arc::new(value))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<matrix in memory>")
    }
}

/// Everything a clustering run needs but the backend. `None` means "the default" (of the
/// method, of the `--config` file, or of the labels for the rank).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterRequest {
    pub method: Method,
    pub input: ClusterInput,
    /// Ground-truth classes, one per point (.npy or text): ACC, NMI and purity.
    pub labels: Option<PathBuf>,
    /// Rank r = number of clusters (default: the number of classes in the labels).
    pub rank: Option<usize>,
    /// Seed of U₀ (default 0); with restarts, the first of `restarts` consecutive seeds.
    pub seed: Option<u64>,
    /// Seeded starts; the one with the lowest relative error is kept (None: the default,
    /// [`super::DEFAULT_RESTARTS`]).
    pub restarts: Option<usize>,
    /// How the graph is built from feature vectors (None: [`GraphKind::Kuang`]).
    pub graph: Option<GraphKind>,
    /// How the graph's neighbours are found from feature vectors (None: the exact search).
    pub knn: Option<KnnSearch>,
    /// Classical methods: the start and stopping protocol (None: [`Protocol::Standard`]).
    pub protocol: Option<Protocol>,
    /// SymNMF-Net: the settings `--config` and the flags start from (None: the default).
    pub preset: Option<Preset>,
    /// SymNMF-Net: initial (or, with `fixed_lambda`, fixed) λ. Classical two-factor methods:
    /// the penalty λ of ½‖X − UVᵀ‖² + λ/2‖U − V‖².
    pub lambda: Option<f64>,
    /// Hold a graph built sparse as a dense matrix.
    pub dense: bool,
    /// SymNMF-Net only.
    pub blocks: Option<usize>,
    pub epochs: Option<usize>,
    /// Stop once the loss improved by less than `plateau_tol` over this many epochs (0: run
    /// every epoch).
    pub patience: Option<usize>,
    pub plateau_tol: Option<f64>,
    pub lr: Option<f64>,
    pub beta: Option<f64>,
    pub gamma: Option<f64>,
    pub reduction: Option<Reduction>,
    pub fixed_lambda: bool,
    pub no_project: bool,
    pub allow_lambda_below_bound: bool,
    /// A `SymNmfTrainingConfig` as JSON; the fields above override it.
    pub config: Option<PathBuf>,
    /// Classical methods only: iteration budget, relative tolerance, ADMM's ρ.
    pub max_iter: Option<usize>,
    pub tol: Option<f64>,
    pub rho: Option<f64>,
    /// Output folder (None: nothing is written).
    pub out: Option<PathBuf>,
    /// Continue the SymNMF-Net run whose checkpoint is in `out`.
    pub resume: bool,
    /// Replace an earlier run in `out` instead of refusing.
    pub overwrite: bool,
    /// Epochs between checkpoints.
    pub checkpoint_every: usize,
    /// Show progress bars (stderr).
    pub progress: bool,
    /// Stop switch: once set, the run stops at its next iteration or epoch with an error.
    #[serde(skip)]
    pub cancel: Cancel,
    /// Return the graph that was factorised in [`super::ClusterReport::graph`] (a binding's
    /// `affinity_matrix_`), instead of dropping it.
    #[serde(skip)]
    pub keep_graph: bool,
}

impl ClusterRequest {
    /// The embedded default with `method`, nothing written, as the command line's defaults.
    pub fn new(method: Method) -> Self {
        Self {
            method,
            input: ClusterInput::Embedded,
            labels: None,
            rank: None,
            seed: None,
            restarts: None,
            graph: None,
            knn: None,
            protocol: None,
            preset: None,
            lambda: None,
            dense: false,
            blocks: None,
            epochs: None,
            patience: None,
            plateau_tol: None,
            lr: None,
            beta: None,
            gamma: None,
            reduction: None,
            fixed_lambda: false,
            no_project: false,
            allow_lambda_below_bound: false,
            config: None,
            max_iter: None,
            tol: None,
            rho: None,
            out: None,
            resume: false,
            overwrite: false,
            checkpoint_every: 50,
            progress: true,
            cancel: Cancel::default(),
            keep_graph: false,
        }
    }

    /// Options given that only SymNMF-Net reads, by their command-line names.
    pub(crate) fn net_only(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |on: bool, name| {
            if on {
                v.push(name)
            }
        };
        add(self.blocks.is_some(), "--blocks");
        add(self.epochs.is_some(), "--epochs");
        add(self.patience.is_some(), "--patience");
        add(self.plateau_tol.is_some(), "--plateau-tol");
        add(self.lr.is_some(), "--lr");
        add(self.beta.is_some(), "--beta");
        add(self.gamma.is_some(), "--gamma");
        add(self.reduction.is_some(), "--reduction");
        add(self.fixed_lambda, "--fixed-lambda");
        add(self.no_project, "--no-project");
        add(self.allow_lambda_below_bound, "--allow-lambda-below-bound");
        add(self.config.is_some(), "--config");
        add(self.preset.is_some(), "--preset");
        add(self.resume, "--resume");
        v
    }

    /// Options given that only the classical methods read, by their command-line names.
    pub(crate) fn classical_only(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.max_iter.is_some() {
            v.push("--max-iter");
        }
        if self.tol.is_some() {
            v.push("--tol");
        }
        if self.rho.is_some() {
            v.push("--rho");
        }
        if self.protocol.is_some() {
            v.push("--protocol");
        }
        v
    }

    /// Takes the output folder for this run (see [`nmfnet_train::runtime::rundir`]): refuses a folder
    /// holding files nmfnet did not write, an earlier run without `--resume`/`--overwrite`, a
    /// folder another run holds, and inputs inside it. `None` when nothing is written.
    pub(crate) fn open_out(&self) -> anyhow::Result<Option<RunDir>> {
        let Some(dir) = &self.out else {
            return Ok(None);
        };
        let mut inputs: Vec<&Path> = Vec::new();
        match &self.input {
            ClusterInput::Similarity(p) | ClusterInput::Features(p) => inputs.push(p),
            ClusterInput::Dataset {
                data_dir: Some(d), ..
            } => inputs.push(d),
            _ => {}
        }
        inputs.extend(self.labels.as_deref());
        inputs.extend(self.config.as_deref());
        let mode = Mode::from_flags(self.resume, self.overwrite)?;
        Ok(Some(RunDir::open(dir, "cluster", mode, &inputs)?))
    }
}
