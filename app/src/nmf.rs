//! `nmf`: plain NMF `Y ≈ HW` (MU, HALS or ANLS-BPP) of a matrix or a folder of images; writes
//! H, W (.npy) and, for images, a PNG grid of the basis images (the columns of H).

use crate::cluster::Shared;
use crate::outdir::{write_history, write_json};
use anyhow::{bail, Context};
use nmfnet_baselines::linalg::{nonneg_from_dense, to_dense};
use nmfnet_baselines::nmf::nnls_fixed_basis;
use nmfnet_baselines::nmf::{
    nmf as solve, nmf_from, nmf_start, NmfInit, NmfMethod, NmfParams, NmfStop,
};
use nmfnet_baselines::StopReason;
use nmfnet_datasets::io::{atomic_write, gray_grid_png, read_image_folder, read_matrix, write_npy};
use nmfnet_datasets::{Cancel, Dense};
use nmfnet_train::runtime::rundir::{Mode, RunDir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where Y comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NmfInput {
    /// A matrix file (.npy, or CSV/text), m × n; H is m × k.
    Matrix(PathBuf),
    /// A folder of same-size grayscale PNG/PGM images; each image is a column of Y, so the
    /// columns of H are basis images.
    Images(PathBuf),
    /// An m × n matrix handed over in memory (a binding's array); `name` stands for the file.
    #[serde(skip)]
    Data { name: String, y: Shared<Dense> },
}

/// One plain-NMF run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NmfRequest {
    pub method: NmfMethod,
    /// Number of basis vectors k.
    pub rank: usize,
    pub input: NmfInput,
    /// Height × width of one column of Y, for the basis grid of a matrix input.
    pub image_shape: Option<(usize, usize)>,
    pub seed: u64,
    /// Iteration budget (default 500; SPEC §3 stop rule otherwise).
    pub max_iter: Option<usize>,
    /// Tolerance of the stop rule (default 1e-3).
    #[serde(default)]
    pub tol: Option<f64>,
    /// The stop rule (None: SPEC §3's projected gradient).
    #[serde(default)]
    pub stop: Option<NmfStop>,
    /// Output folder: H.npy, W.npy, basis.png, history.jsonl, summary.json.
    pub out: Option<PathBuf>,
    /// Replace the files of an earlier run in `out`.
    pub overwrite: bool,
    /// Stop switch: once set, the run stops at its next iteration with an error.
    #[serde(skip)]
    pub cancel: Cancel,
    /// A given start (H₀ m × k, W₀ k × n, both ≥ 0) instead of the seeded draw: scikit-learn's
    /// `init='custom'`.
    #[serde(skip)]
    pub start: Option<(Shared<Dense>, Shared<Dense>)>,
    /// How the run starts when no `start` is given (None: the seeded uniform draw, `random`).
    #[serde(default)]
    pub init: Option<NmfInit>,
}

/// What `nmfnet nmf` prints (and writes to summary.json).
#[derive(Serialize, Debug, Clone)]
pub struct NmfSummary {
    pub method: &'static str,
    pub input: String,
    pub m: usize,
    pub n: usize,
    pub rank: usize,
    /// ‖Y − HW‖_F / ‖Y‖_F.
    pub rel_error: f64,
    pub iterations: usize,
    pub converged: bool,
    pub stop_reason: StopReason,
    pub seconds: f64,
    pub seed: u64,
}

/// A finished NMF run.
#[derive(Debug, Clone)]
pub struct NmfReport {
    pub summary: NmfSummary,
    /// m × k.
    pub h: Dense,
    /// k × n.
    pub w: Dense,
}

/// Runs `req`; nothing is written unless every input is valid.
pub fn nmf(req: &NmfRequest) -> anyhow::Result<NmfReport> {
    let started = Instant::now();
    let (y, shape, input) = match &req.input {
        NmfInput::Matrix(path) => {
            let y = read_matrix(path)?;
            if let Some((h, w)) = req.image_shape {
                if h * w != y.nrows() {
                    bail!(
                        "--image-shape {h}x{w} has {} pixels but {} has m = {} rows",
                        h * w,
                        path.display(),
                        y.nrows()
                    );
                }
            }
            (y, req.image_shape, path.display().to_string())
        }
        NmfInput::Images(dir) => {
            let f = read_image_folder(dir)?;
            (
                f.matrix,
                Some((f.height, f.width)),
                dir.display().to_string(),
            )
        }
        NmfInput::Data { name, y } => {
            if y.0.nrows() == 0 || y.0.ncols() == 0 {
                bail!("input {name} is empty ({}×{})", y.0.nrows(), y.0.ncols());
            }
            y.0.check_finite(name)?;
            (y.0.as_ref().clone(), req.image_shape, name.clone())
        }
    };
    let ym = nonneg_from_dense(&y).with_context(|| format!("input {input}"))?;
    let mut params = NmfParams::new(req.rank);
    params.seed = req.seed;
    params.cancel = req.cancel.clone();
    if let Some(v) = req.max_iter {
        params.max_iter = v;
    }
    if let Some(s) = req.stop {
        params.stop = s;
    }
    if let Some(t) = req.tol {
        if !(t.is_finite() && t >= 0.0) {
            bail!("--tol must be finite and ≥ 0, got {t}");
        }
        params.tol = t;
    }
    let out = match &req.out {
        Some(dir) => {
            let inputs: Vec<&Path> = match &req.input {
                NmfInput::Matrix(p) | NmfInput::Images(p) => vec![p.as_path()],
                NmfInput::Data { .. } => Vec::new(),
            };
            let mode = Mode::from_flags(false, req.overwrite)?;
            Some(RunDir::open(dir, "nmf", mode, &inputs)?)
        }
        None => None,
    };
    if req.start.is_some() && req.init.is_some_and(|i| i != NmfInit::Random) {
        bail!(
            "a given start and --init {} exclude each other",
            req.init.unwrap_or(NmfInit::Random)
        );
    }
    let fit = match &req.start {
        None => match req.init.unwrap_or(NmfInit::Random) {
            NmfInit::Random => solve(req.method, ym.as_ref(), &params)?,
            init => {
                let (h0, w0) = nmf_start(ym.as_ref(), req.rank, init, req.seed)?;
                nmf_from(req.method, ym.as_ref(), &params, h0, w0)?
            }
        },
        Some((h0, w0)) => {
            let h0 = nonneg_from_dense(&h0.0).context("the start H₀")?;
            let w0 = nonneg_from_dense(&w0.0).context("the start W₀")?;
            nmf_from(req.method, ym.as_ref(), &params, h0, w0)?
        }
    };
    let summary = NmfSummary {
        method: req.method.name(),
        input,
        m: ym.nrows(),
        n: ym.ncols(),
        rank: req.rank,
        rel_error: fit.rel_error(),
        iterations: fit.convergence.iterations,
        converged: fit.convergence.converged,
        stop_reason: fit.convergence.reason,
        seconds: started.elapsed().as_secs_f64(),
        seed: req.seed,
    };
    let report = NmfReport {
        summary,
        h: to_dense(fit.h.as_ref()),
        w: to_dense(fit.w.as_ref()),
    };
    if let Some(mut run) = out {
        write_npy(&run.file("H.npy")?, &report.h)?;
        write_npy(&run.file("W.npy")?, &report.w)?;
        write_history(&run.file("history.jsonl")?, &fit.history)?;
        if let Some((h, w)) = shape {
            let tiles: Vec<Vec<f32>> = (0..req.rank)
                .map(|l| fit.h.col(l).iter().map(|&v| v as f32).collect())
                .collect();
            let cols = (req.rank as f64).sqrt().ceil() as usize;
            atomic_write(&run.file("basis.png")?, &gray_grid_png(&tiles, h, w, cols)?)?;
        }
        write_json(&run.file("summary.json")?, &report.summary)?;
        run.commit()?;
    }
    Ok(report)
}

/// The nonnegative coefficients of the rows of `x` (samples × features) on a fixed basis
/// `components` (k × features): `argmin_{C ≥ 0} ‖x − C·components‖`, samples × k, in f64 —
/// scikit-learn's `NMF.transform`. Both inputs must be finite and nonnegative.
pub fn nmf_transform(components: &Dense, x: &Dense) -> anyhow::Result<Vec<f64>> {
    if components.ncols() != x.ncols() {
        bail!(
            "X has {} features but the basis has {}",
            x.ncols(),
            components.ncols()
        );
    }
    x.check_finite("X")?;
    components.check_finite("the basis")?;
    // x ≈ C·B  ⇔  xᵀ ≈ Bᵀ·Cᵀ: Bᵀ (features × k) is the fixed basis, Cᵀ (k × samples) the solve.
    let basis = faer::Mat::from_fn(components.ncols(), components.nrows(), |i, j| {
        components.get(j, i) as f64
    });
    let y = faer::Mat::from_fn(x.ncols(), x.nrows(), |i, j| x.get(j, i) as f64);
    let ct = nnls_fixed_basis(basis.as_ref(), y.as_ref()).context("X")?;
    let (k, samples) = (ct.nrows(), ct.ncols());
    Ok((0..samples)
        .flat_map(|s| (0..k).map(move |j| (s, j)))
        .map(|(s, j)| ct[(j, s)])
        .collect())
}
