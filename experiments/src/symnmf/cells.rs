//! The cells of the SymNMF-Net reproduction: one clustering run each (protocol, data set,
//! method, seed, and a study tag for the figures), as the job that runs it.
//!
//! Two protocols, side by side:
//! * **fair**: SPEC §4's graph for every method, `nmfnet cluster`'s defaults (SymNMF-Net's
//!   label-free settings; the classical solvers' tolerance 1e-4), and every seed group of
//!   SymNMF-Net, SymANLS and SymHALS is [`FAIR_RESTARTS`] seeded starts of which the lowest
//!   relative error is kept — the same seeds, so the same U₀ draws, for every method (ADMM,
//!   PGD and SymNewton: the group's first start only);
//! * **paper**: the SymNMF-Net paper as far as it can be rebuilt: the kNN graph that includes
//!   each point itself (graph `knn-self`, which reaches Table 1's relative errors), the
//!   classical baselines as Zhu et al.'s demo runs them (protocol `zhu`), SymNMF-Net with the
//!   paper's literal settings (preset `paper`; on TDT-2 its learning rate for text, 0.3), one
//!   start per seed.

use crate::files::read_json;
use nmfnet_app::cluster::{
    ClassicalSolver, ClusterInput, ClusterJob, GraphKind, GraphParams, Method, Preset, Protocol,
    Solver, SymNmfTrainingConfig, DEFAULT_RESTARTS,
};
use nmfnet_app::job::RunOptions;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The two protocols of the reproduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Fair,
    Paper,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Fair => "fair",
            Side::Paper => "paper",
        }
    }
}

/// Starts per seed group in the fair protocol (the default of `nmfnet cluster`): group g runs
/// seeds g·R … g·R + R − 1, so groups never share a start.
pub const FAIR_RESTARTS: usize = DEFAULT_RESTARTS;

/// Neighbours of the paper protocol's graph (k others plus the point itself).
pub const PAPER_K: usize = 10;

/// The data sets of the fair protocol: the paper's five and the held-out Fashion₁, on which
/// no setting was ever chosen.
pub const FAIR_DATASETS: [&str; 6] = ["orl", "coil20", "mnist2", "mnist1", "fashion1", "tdt2"];
/// The data sets of the paper protocol (the paper's five).
pub const PAPER_DATASETS: [&str; 5] = ["orl", "coil20", "mnist2", "mnist1", "tdt2"];

/// What to reproduce, and where.
#[derive(Clone, Debug, Default)]
pub struct SymnmfOptions {
    /// Data folder (None: `$NMFNET_DATA`).
    pub data_dir: Option<PathBuf>,
    /// Seed groups 0..N per (protocol, data set, method).
    pub seeds: u64,
    /// Output folder (None: results/symnmf, or results/symnmf-quick with `quick`).
    pub out: Option<PathBuf>,
    /// Smoke run: ORL only, seed 0, both protocols, SymNMF-Net 30 epochs, SymANLS and SymHALS
    /// 100 iterations, two starts in the fair protocol.
    pub quick: bool,
    /// Only these data sets.
    pub datasets: Option<Vec<String>>,
    /// Build the results from the finished cells without running any.
    pub report_only: bool,
    pub quiet: bool,
}

/// SymNewton's iteration budget in the reproduction: one iteration factorises an n×n Hessian
/// block per column (≈ 3 s on MNIST₁ here), so it gets 100 iterations, not 1000.
pub const NEWTON_MAX_ITER: usize = 100;

#[derive(Clone, Debug)]
pub struct Cell {
    pub side: Side,
    pub dataset: String,
    pub method: Method,
    /// Variant label for the figure studies ("" for the tables).
    pub tag: String,
    /// The seed of the cell's first start (fair: its group g times the starts per group).
    pub seed: u64,
    /// The run, without its data folder and output folder.
    job: ClusterJob,
}

/// SymNMF-Net's config in a job.
fn net(job: &mut ClusterJob) -> &mut SymNmfTrainingConfig {
    match &mut job.solver {
        Solver::Net(n) => &mut n.config,
        Solver::Classical(_) => panic!("a SymNMF-Net cell"),
    }
}

/// A classical solver in a job.
fn classical(job: &mut ClusterJob) -> &mut ClassicalSolver {
    match &mut job.solver {
        Solver::Classical(c) => c,
        Solver::Net(_) => panic!("a classical cell"),
    }
}

impl Cell {
    fn new(side: Side, dataset: &str, method: Method, tag: &str, seed: u64) -> Self {
        let mut job = ClusterJob::of_method(method);
        job.input = ClusterInput::Dataset {
            name: dataset.into(),
            data_dir: None,
            coil_full_size: false,
        };
        job.seed = seed;
        job.restarts = match side {
            Side::Fair => FAIR_RESTARTS,
            Side::Paper => 1,
        };
        if side == Side::Paper {
            job.graph = Some(GraphParams {
                kind: GraphKind::KnnSelf { k: PAPER_K },
                ..GraphParams::default()
            });
            if method == Method::SymnmfNet {
                *net(&mut job) = Preset::Paper.config();
                // The paper's learning rate for text (0.5 is its rate for images).
                if dataset == "tdt2" {
                    net(&mut job).lr = 0.3;
                }
            } else {
                classical(&mut job).protocol = Protocol::Zhu;
            }
        }
        Self {
            side,
            dataset: dataset.into(),
            method,
            tag: tag.into(),
            seed,
            job,
        }
    }

    pub fn dir(&self, out: &Path) -> PathBuf {
        let m = if self.tag.is_empty() {
            self.method.name().to_string()
        } else {
            format!("{}-{}", self.method.name(), self.tag)
        };
        out.join("cells")
            .join(self.side.name())
            .join(&self.dataset)
            .join(m)
            .join(format!("seed{}", self.seed))
    }

    /// The run of this cell on the data in `data_dir`, into its folder under `out` (no
    /// progress bars, no checkpoints before the end: a cell that stops runs again whole).
    pub fn job(&self, data_dir: &Path, out: &Path) -> ClusterJob {
        let mut job = self.job.clone();
        job.input = ClusterInput::Dataset {
            name: self.dataset.clone(),
            data_dir: Some(data_dir.to_path_buf()),
            coil_full_size: false,
        };
        job.run = RunOptions {
            out: Some(self.dir(out)),
            checkpoint_every: Some(100_000),
            progress: false,
            ..RunOptions::default()
        };
        job
    }

    /// The command that runs this cell again from the job it wrote, relative to the
    /// reproduction's folder (a replay names a new output folder with `--out`).
    pub fn command(&self) -> String {
        let dir = self.dir(Path::new(""));
        format!("nmfnet cluster --job {}", dir.join("job.json").display())
    }

    /// What a finished cell must match to count as this one (saved as `cell.json`): where it
    /// stands in the tables, and its job without the data and output folders.
    pub fn identity(&self) -> Value {
        json!({"protocol": self.side.name(), "dataset": self.dataset, "method": self.method.name(), "tag": self.tag, "seed": self.seed, "job": self.job})
    }
}

/// Whether `cell` has finished in `out`: its summary is written and its identity matches.
pub fn done(cell: &Cell, out: &Path) -> bool {
    let d = cell.dir(out);
    d.join("summary.json").is_file()
        && read_json(&d.join("cell.json")).map(|v| v == cell.identity()) == Some(true)
}

/// The methods of the tables on `dataset`: every method on the image sets, the three of the
/// paper's Table 4 on TDT-2 (as the paper).
fn table_methods(side: Side, dataset: &str) -> &'static [Method] {
    const ALL: [Method; 6] = [
        Method::Symanls,
        Method::Symhals,
        Method::Admm,
        Method::Pgd,
        Method::SymnmfNet,
        Method::Symnewton,
    ];
    const TRIO: [Method; 3] = [Method::Symanls, Method::Symhals, Method::SymnmfNet];
    match (side, dataset) {
        (Side::Fair, "tdt2") | (Side::Paper, _) => &TRIO,
        (Side::Fair, _) => &ALL,
    }
}

/// Every cell of the reproduction `opts` asks for, cheap ones first.
pub fn cells(opts: &SymnmfOptions) -> Vec<Cell> {
    if opts.quick {
        return quick_cells();
    }
    let mut out = Vec::new();
    // Data set by data set, cheap ones first, so that an interrupted run has whole tables early;
    // the figure studies before TDT-2, the costliest (FAIR_DATASETS ends with it).
    for d in FAIR_DATASETS {
        if d == "tdt2" {
            study_cells(opts, &mut out);
        }
        if !opts.wants(d) {
            continue;
        }
        table_cells(d, opts.seeds, &mut out);
    }
    out
}

impl SymnmfOptions {
    /// Whether the reproduction covers data set `d`.
    fn wants(&self, d: &str) -> bool {
        self.datasets
            .as_ref()
            .is_none_or(|v| v.iter().any(|x| x == d))
    }
}

/// The cell of `side`, `dataset`, `method`, `tag` and `seed`, its job changed by `f`.
fn cell_with(
    side: Side,
    dataset: &str,
    method: Method,
    tag: &str,
    seed: u64,
    f: impl FnOnce(&mut ClusterJob),
) -> Cell {
    let mut c = Cell::new(side, dataset, method, tag, seed);
    f(&mut c.job);
    c
}

/// The smoke run's cells: ORL, seed 0, both protocols, SymNMF-Net 30 epochs, SymANLS and
/// SymHALS 100 iterations, two starts in the fair protocol.
fn quick_cells() -> Vec<Cell> {
    let mut out = Vec::new();
    for side in [Side::Fair, Side::Paper] {
        for m in [Method::SymnmfNet, Method::Symanls, Method::Symhals] {
            out.push(cell_with(side, "orl", m, "", 0, |j| {
                if side == Side::Fair {
                    j.restarts = 2;
                }
                if m == Method::SymnmfNet {
                    net(j).epochs = 30;
                } else {
                    classical(j).max_iter = Some(100);
                }
            }));
        }
    }
    out
}

/// The studies beside the tables: the paper protocol's graph with SymNMF-Net's default
/// settings (ORL and COIL-20), and the figures' fixed λ (COIL-20) and ℓ1 term (ORL).
fn study_cells(opts: &SymnmfOptions, out: &mut Vec<Cell>) {
    // The paper protocol's graph with SymNMF-Net's default settings instead of the
    // paper's: can the network reach Table 1's errors at all? (ORL and COIL-20.)
    for t in ["orl", "coil20"] {
        if opts.wants(t) {
            for g in 0..opts.seeds {
                out.push(cell_with(
                    Side::Paper,
                    t,
                    Method::SymnmfNet,
                    "defaults",
                    g,
                    |j| *net(j) = Preset::Default.config(),
                ));
            }
        }
    }
    // Fig. 4.2: fixed λ on COIL-20; Fig. 4.3: the ℓ1 term (ORL); one start from seed 0.
    if opts.wants("coil20") {
        for (l, tag) in [(0.01, "0.01"), (0.1, "0.1"), (1.0, "1"), (10.0, "10")] {
            let tag = format!("lambda{tag}");
            out.push(cell_with(
                Side::Fair,
                "coil20",
                Method::SymnmfNet,
                &tag,
                0,
                |j| {
                    j.restarts = 1;
                    let lambda = &mut net(j).model.lambda;
                    lambda.learnable = false;
                    lambda.init = Some(l);
                    lambda.project = false;
                    lambda.allow_below_bound = true;
                },
            ));
        }
    }
    if opts.wants("orl") {
        for (g, tag) in [(0.001, "0.001"), (0.01, "0.01")] {
            let tag = format!("gamma{tag}");
            out.push(cell_with(
                Side::Fair,
                "orl",
                Method::SymnmfNet,
                &tag,
                0,
                |j| {
                    j.restarts = 1;
                    net(j).model.gamma = g;
                },
            ));
        }
    }
}

/// The tables' cells of data set `d` in both protocols, seed groups 0..`seeds`.
fn table_cells(d: &str, seeds: u64, out: &mut Vec<Cell>) {
    for side in [Side::Paper, Side::Fair] {
        if side == Side::Paper && !PAPER_DATASETS.contains(&d) {
            continue;
        }
        let stride = match side {
            Side::Fair => FAIR_RESTARTS as u64,
            Side::Paper => 1,
        };
        // Group by group, so that a partial run already pairs the methods seed by seed.
        for g in 0..seeds {
            for &m in table_methods(side, d) {
                out.push(cell_with(side, d, m, "", g * stride, |j| {
                    table_settings(m, j)
                }));
            }
        }
    }
}

/// The tables' settings of classical method `m` (SymNMF-Net's are the job's own).
fn table_settings(m: Method, j: &mut ClusterJob) {
    if m == Method::Symnewton {
        classical(j).max_iter = Some(NEWTON_MAX_ITER);
    }
    // ADMM, PGD and SymNewton are in no paired comparison: one start per group (its
    // first seed) keeps the reproduction within its time (SymNewton alone would take
    // ≈ 40 min with three).
    if matches!(m, Method::Admm | Method::Pgd | Method::Symnewton) {
        j.restarts = 1;
    }
}
