//! The cells of the SymNMF-Net reproduction: one clustering run each (data set, method, seed,
//! and a study tag for the figures), as the request that runs it.

use crate::files::read_json;
use nmfnet_app::argv;
use nmfnet_app::cluster::{ClusterInput, ClusterRequest, Method, Reduction};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The SymNMF-Net settings of the reproduction, chosen on ORL alone by the lowest mean
/// relative error over seeds 0–2 (label-free; see bench/net_settings_orl.md) and applied
/// unchanged to every data set: sum reduction, β = 0.01, learning rate 0.05, 300 epochs.
pub fn net_settings(req: &mut ClusterRequest) {
    req.reduction = Some(Reduction::Sum);
    req.beta = Some(0.01);
    req.lr = Some(0.05);
    req.epochs = Some(300);
}

/// [`net_settings`] as command-line flags.
pub fn net_settings_flags() -> Vec<String> {
    let mut req = ClusterRequest::new(Method::SymnmfNet);
    net_settings(&mut req);
    // Past "nmfnet cluster --method symnmf-net".
    argv::cluster(&req).split_off(4)
}

/// What to reproduce, and where.
#[derive(Clone, Debug, Default)]
pub struct SymnmfOptions {
    /// Data folder (None: `$NMFNET_DATA`).
    pub data_dir: Option<PathBuf>,
    /// Seeds 0..N per (data set, method).
    pub seeds: u64,
    /// Output folder (None: results/symnmf, or results/symnmf-quick with `quick`).
    pub out: Option<PathBuf>,
    /// Smoke run: ORL only, seed 0, SymNMF-Net 30 epochs, SymANLS and SymHALS 100 iterations.
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
    pub dataset: String,
    pub method: Method,
    /// Variant label for the figure studies ("" for the tables).
    pub tag: String,
    pub seed: u64,
    /// The run, without its data folder and output folder.
    req: ClusterRequest,
}

impl Cell {
    fn new(dataset: &str, method: Method, tag: &str, seed: u64) -> Self {
        let mut req = ClusterRequest::new(method);
        req.input = ClusterInput::Dataset {
            name: dataset.into(),
            data_dir: None,
            coil_full_size: false,
        };
        req.seed = Some(seed);
        // A cell is one start: the reproduction compares methods seed by seed.
        req.restarts = Some(1);
        Self {
            dataset: dataset.into(),
            method,
            tag: tag.into(),
            seed,
            req,
        }
    }

    pub fn dir(&self, out: &Path) -> PathBuf {
        let m = if self.tag.is_empty() {
            self.method.name().to_string()
        } else {
            format!("{}-{}", self.method.name(), self.tag)
        };
        out.join("cells")
            .join(&self.dataset)
            .join(m)
            .join(format!("seed{}", self.seed))
    }

    /// The run of this cell on the data in `data_dir`, into its folder under `out`.
    pub fn request(&self, data_dir: &Path, out: &Path) -> ClusterRequest {
        let mut req = self.req.clone();
        req.input = ClusterInput::Dataset {
            name: self.dataset.clone(),
            data_dir: Some(data_dir.to_path_buf()),
            coil_full_size: false,
        };
        req.out = Some(self.dir(out));
        req
    }

    /// The command of [`Cell::request`].
    pub fn command(&self, data_dir: &Path, out: &Path) -> String {
        argv::cluster(&self.request(data_dir, out)).join(" ")
    }

    /// The flags beyond data set, method and seed.
    fn args(&self) -> Vec<String> {
        // Past "nmfnet cluster --dataset D --method M --seed S".
        argv::cluster(&self.req).split_off(8)
    }

    /// What a finished cell must match to count as this one (saved as `cell.json`).
    pub fn identity(&self) -> Value {
        json!({"dataset": self.dataset, "method": self.method.name(), "tag": self.tag, "seed": self.seed, "args": self.args()})
    }
}

/// Whether `cell` has finished in `out`: its summary is written and its identity matches.
pub fn done(cell: &Cell, out: &Path) -> bool {
    let d = cell.dir(out);
    d.join("summary.json").is_file()
        && read_json(&d.join("cell.json")).map(|v| v == cell.identity()) == Some(true)
}

/// Every cell of the reproduction `opts` asks for, cheap ones first.
pub fn cells(opts: &SymnmfOptions) -> Vec<Cell> {
    let mut out = Vec::new();
    let mut add =
        |dataset: &str, method: Method, tag: &str, seed: u64, f: &dyn Fn(&mut ClusterRequest)| {
            let mut c = Cell::new(dataset, method, tag, seed);
            f(&mut c.req);
            out.push(c)
        };
    let classical = |m: Method| {
        move |r: &mut ClusterRequest| {
            if m == Method::Symnewton {
                r.max_iter = Some(NEWTON_MAX_ITER);
            }
        }
    };
    if opts.quick {
        add("orl", Method::SymnmfNet, "", 0, &|r| {
            net_settings(r);
            r.epochs = Some(30);
        });
        for m in [Method::Symanls, Method::Symhals] {
            add("orl", m, "", 0, &|r| r.max_iter = Some(100));
        }
        return out;
    }
    let wanted = |d: &str| {
        opts.datasets
            .as_ref()
            .is_none_or(|v| v.iter().any(|x| x == d))
    };
    let table = [
        Method::Symanls,
        Method::Symhals,
        Method::Admm,
        Method::Pgd,
        Method::SymnmfNet,
    ];
    // Cheap cells first, so that an interrupted run has whole tables early.
    for d in ["orl", "coil20", "mnist2", "mnist1"] {
        if !wanted(d) {
            continue;
        }
        for m in table {
            for s in 0..opts.seeds {
                if m == Method::SymnmfNet {
                    add(d, m, "", s, &net_settings);
                } else {
                    add(d, m, "", s, &classical(m));
                }
            }
        }
    }
    if wanted("tdt2") {
        for m in [Method::Symanls, Method::Symhals, Method::SymnmfNet] {
            for s in 0..opts.seeds {
                if m == Method::SymnmfNet {
                    add("tdt2", m, "", s, &net_settings);
                } else {
                    add("tdt2", m, "", s, &|_| {});
                }
            }
        }
    }
    // Fig. 4.2: fixed λ on COIL-20; Fig. 4.3: the ℓ1 term (ORL), seed 0.
    if wanted("coil20") {
        for (l, tag) in [(0.01, "0.01"), (0.1, "0.1"), (1.0, "1"), (10.0, "10")] {
            add(
                "coil20",
                Method::SymnmfNet,
                &format!("lambda{tag}"),
                0,
                &|r| {
                    net_settings(r);
                    r.fixed_lambda = true;
                    r.lambda = Some(l);
                    r.no_project = true;
                    r.allow_lambda_below_bound = true;
                },
            );
        }
    }
    if wanted("orl") {
        for (g, tag) in [(0.001, "0.001"), (0.01, "0.01")] {
            add("orl", Method::SymnmfNet, &format!("gamma{tag}"), 0, &|r| {
                net_settings(r);
                r.gamma = Some(g);
            });
        }
    }
    for d in ["orl", "coil20", "mnist2", "mnist1"] {
        if wanted(d) {
            for s in 0..opts.seeds {
                add(d, Method::Symnewton, "", s, &classical(Method::Symnewton));
            }
        }
    }
    out
}
