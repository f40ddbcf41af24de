//! What a clustering run is asked to do ([`ClusterJob`]): the input, the rank, the seeds, the
//! graph built from feature vectors, the solver with its own config, and the run options.

use crate::job::RunOptions;
use nmfnet_baselines::SymMethod;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::neighbours::KnnSearch;
use nmfnet_datasets::Dense;
use nmfnet_train::runtime::backend::BackendKind;
use nmfnet_train::runtime::rundir::{OutDirError, RunDir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use symnmf_burn::SymNmfTrainingConfig;

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
                "SymANLS (Zhu et al. 2018): alternating exact NNLS (block principal pivoting), λ = ‖X‖₂"
            }
            Method::Symhals => "SymHALS (Zhu et al. 2018): Gauss–Seidel column sweeps, λ = ‖X‖₂",
            Method::Symnewton => {
                "SymNewton (Kuang et al. 2015): projected Newton-like steps with Armijo search"
            }
            Method::Pgd => "Projected gradient descent with Armijo search",
            Method::Admm => "ADMM (Lu, Hong, Wang 2017), ρ = 3‖X‖₂",
            Method::Scheme4 => {
                "Scheme (4) of the SymNMF-Net paper: W = max((X+λI)V(VᵀV+λI)⁻¹, 0), λ = ‖X‖_F"
            }
            Method::KuangAnls => "Kuang's ANLS: SymANLS with α = max(X)²/‖X‖₂",
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

/// Where SymNMF-Net's settings start (a front end applies a config file and its options over
/// them).
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

/// How the similarity graph is built from feature vectors (a features file or a data set).
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
    /// relative projected-gradient tolerance (`tol`) or after `max_iter` iterations.
    #[default]
    Standard,
    /// The demo of Zhu et al.'s code, with which the SymNMF-Net paper's baselines were most
    /// likely run: `U₀ = rand(n, r)` unscaled, V₀ = U₀, λ = 0.66, exactly 500 iterations (U₀ and λ
    /// in units of √‖X‖₂ and ‖X‖₂, which is 1 on their graphs).
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

/// Most restarts one job may ask for.
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

/// A matrix handed over in memory: shared, not copied, between clones of a job, and equal only
/// to itself (jobs are compared, matrices are not).
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

/// Seeded starts per job when none is asked for (see the guide's "Restarts").
pub const DEFAULT_RESTARTS: usize = 3;

/// Epochs between SymNMF-Net's checkpoints when none is asked for.
pub const DEFAULT_CHECKPOINT_EVERY: usize = 50;

/// The seed of start `i` of a job seeded with `seed`: consecutive seeds.
pub fn restart_seed(seed: u64, i: usize) -> u64 {
    seed.wrapping_add(i as u64)
}

/// How the graph of feature vectors is built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphParams {
    /// The weights and scaling of the graph.
    pub kind: GraphKind,
    /// How the neighbours are found.
    pub knn: KnnSearch,
}

/// SymNMF-Net: the backend it trains on and its whole training config (the rank and the seed
/// come from the job).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetSolver {
    pub backend: BackendKind,
    pub config: SymNmfTrainingConfig,
}

/// A classical solver (f64, on the CPU) and how it starts and stops; `None` is the protocol's
/// value (the written job has them resolved).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassicalSolver {
    pub method: SymMethod,
    #[serde(default)]
    pub protocol: Protocol,
    /// Iteration budget.
    #[serde(default)]
    pub max_iter: Option<usize>,
    /// Stop once the projected gradient falls below this fraction of the first iterate's.
    #[serde(default)]
    pub tol: Option<f64>,
    /// The penalty λ of ½‖X − UVᵀ‖² + λ/2‖U − V‖² (two-factor methods).
    #[serde(default)]
    pub lambda: Option<f64>,
    /// ADMM's penalty ρ.
    #[serde(default)]
    pub rho: Option<f64>,
}

impl ClassicalSolver {
    /// `method` with the standard protocol and its defaults.
    pub fn new(method: SymMethod) -> Self {
        Self {
            method,
            protocol: Protocol::Standard,
            max_iter: None,
            tol: None,
            lambda: None,
            rho: None,
        }
    }
}

/// The solver of a clustering job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solver {
    /// SymNMF-Net, trained through the loop on a Burn backend.
    Net(NetSolver),
    /// One of the classical solvers.
    Classical(ClassicalSolver),
}

/// Everything a clustering run needs. Written to `job.json` with every default resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterJob {
    /// What to cluster (the embedded default when left out).
    #[serde(default)]
    pub input: ClusterInput,
    /// Ground-truth classes, one per point (.npy or text): ACC, NMI and purity.
    #[serde(default)]
    pub labels: Option<PathBuf>,
    /// Rank r = number of clusters (None: the number of classes in the labels).
    #[serde(default)]
    pub rank: Option<usize>,
    /// Seed of U₀; with restarts, the first of `restarts` consecutive seeds.
    #[serde(default)]
    pub seed: u64,
    /// Seeded starts; the one with the lowest relative error is kept.
    #[serde(default = "default_restarts")]
    pub restarts: usize,
    /// How the graph is built from feature vectors (inputs that are graphs already take none).
    #[serde(default)]
    pub graph: Option<GraphParams>,
    /// Hold a graph built sparse as a dense matrix.
    #[serde(default)]
    pub dense: bool,
    pub solver: Solver,
    #[serde(default)]
    pub run: RunOptions,
    /// Return the graph that was factorised in [`super::ClusterReport::graph`] (a binding's
    /// `affinity_matrix_`), instead of dropping it.
    #[serde(skip)]
    pub keep_graph: bool,
}

fn default_restarts() -> usize {
    DEFAULT_RESTARTS
}

impl ClusterJob {
    /// The embedded default clustered by `solver`, nothing written.
    pub fn new(solver: Solver) -> Self {
        Self {
            input: ClusterInput::Embedded,
            labels: None,
            rank: None,
            seed: 0,
            restarts: DEFAULT_RESTARTS,
            graph: None,
            dense: false,
            solver,
            run: RunOptions::default(),
            keep_graph: false,
        }
    }

    /// SymNMF-Net with a preset's settings on the CPU.
    pub fn net(preset: Preset) -> Self {
        Self::new(Solver::Net(NetSolver {
            backend: BackendKind::Cpu,
            config: preset.config(),
        }))
    }

    /// A classical solver with its standard protocol.
    pub fn classical(method: SymMethod) -> Self {
        Self::new(Solver::Classical(ClassicalSolver::new(method)))
    }

    /// The job of `method`: the default preset for SymNMF-Net.
    pub fn of_method(method: Method) -> Self {
        match method.solver() {
            None => Self::net(Preset::Default),
            Some(m) => Self::classical(m),
        }
    }

    /// The method that runs.
    pub fn method(&self) -> Method {
        match &self.solver {
            Solver::Net(_) => Method::SymnmfNet,
            Solver::Classical(c) => Method::ALL
                .into_iter()
                .find(|m| m.solver() == Some(c.method))
                .expect("every solver is a method"),
        }
    }

    /// Whether the input is made into a graph here (a features file, data, or a data set).
    pub fn builds_graph(&self) -> bool {
        matches!(
            self.input,
            ClusterInput::Features(_)
                | ClusterInput::FeaturesData { .. }
                | ClusterInput::Dataset { .. }
        )
    }

    /// Takes the output folder for this run (see [`RunOptions::open`]); the inputs named by the
    /// job may not lie inside it.
    pub(crate) fn open_out(&self) -> Result<Option<RunDir>, OutDirError> {
        let mut inputs: Vec<&Path> = Vec::new();
        match &self.input {
            ClusterInput::Similarity(p) | ClusterInput::Features(p) => inputs.push(p),
            ClusterInput::Dataset {
                data_dir: Some(d), ..
            } => inputs.push(d),
            _ => {}
        }
        inputs.extend(self.labels.as_deref());
        self.run.open("cluster", &inputs)
    }
}
