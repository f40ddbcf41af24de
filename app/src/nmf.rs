//! `nmf`: plain NMF `Y ≈ HW` (MU, HALS or ANLS-BPP) of a matrix or a folder of images; writes
//! H, W (.npy) and, for images, a PNG grid of the basis images (the columns of H).

use crate::cluster::Shared;
use crate::job::RunOptions;
use crate::outdir::{write_history, write_json};
use crate::rank::{rank_figure, select_rank, RankCurve, RankSelection, AUTO_MAX_RANK};
use anyhow::{bail, Context};
use faer::{Mat, MatRef};
use nmfnet_baselines::data::{DenseF32, NmfData, Precision, SparseMatrix};
use nmfnet_baselines::linalg::{check_nonnegative, nonneg_from_dense, to_dense};
use nmfnet_baselines::nmf::nnls_fixed_basis;
use nmfnet_baselines::nmf::{nmf_from, nmf_start, NmfInit, NmfMethod, NmfParams};
use nmfnet_baselines::nmf_beta::{beta_divergence, Penalty, BETA_EPS};
use nmfnet_baselines::nmf_mask::{nmf_masked, Missing};
use nmfnet_baselines::StopReason;
use nmfnet_datasets::io::{
    atomic_write, gray_grid_png, is_npz, read_image_folder, read_matrix_f64,
    read_matrix_f64_with_nan, write_npy,
};
use nmfnet_datasets::Dense;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
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
    /// An m × n matrix in f64 handed over in memory (a binding's float64 array), solved as it is.
    #[serde(skip)]
    Data64 { name: String, y: Shared<Mat<f64>> },
    /// An m × n matrix held in f32 for f32 products (a binding's float32 array, copied once
    /// into column-major f32); the job's `params.precision` must be f32.
    #[serde(skip)]
    Data32 { name: String, y: Shared<DenseF32> },
    /// A sparse m × n matrix handed over in memory (a binding's `scipy.sparse`), in f64 and
    /// never made dense.
    #[serde(skip)]
    SparseData {
        name: String,
        y: Shared<SparseMatrix>,
    },
}

/// A given start (H₀, W₀), in f64.
pub type NmfStart = (Shared<Mat<f64>>, Shared<Mat<f64>>);

/// One plain-NMF run. Written to `job.json` with every default resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NmfJob {
    pub input: NmfInput,
    /// Height × width of one column of Y, for the basis grid of a matrix input.
    #[serde(default)]
    pub image_shape: Option<(usize, usize)>,
    pub method: NmfMethod,
    /// How the run starts when no `start` is given.
    #[serde(default)]
    pub init: NmfInit,
    /// The solver's own parameters: the rank k, the seed, the budget and the stop rule.
    pub params: NmfParams,
    #[serde(default)]
    pub run: RunOptions,
    /// A given start (H₀ m × k, W₀ k × n, both ≥ 0) instead of `init`: scikit-learn's
    /// `init='custom'`.
    #[serde(skip)]
    pub start: Option<NmfStart>,
    /// A matrix file the shape of Y whose nonzero entries mark Y's missing entries (beside the
    /// NaN entries of a matrix file, which are missing too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<PathBuf>,
    /// Missing entries handed over in memory (a binding's), as (row, column) pairs.
    #[serde(skip)]
    pub missing: Option<Shared<Vec<(usize, usize)>>>,
    /// Choose the rank by cross-validation on held-out entries first (`params.rank` is then
    /// the rank chosen): [`crate::rank`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_selection: Option<RankSelection>,
}

impl NmfJob {
    /// `method` at rank `rank` on `input`, the solver's defaults, nothing written.
    pub fn new(input: NmfInput, method: NmfMethod, rank: usize) -> Self {
        Self {
            input,
            image_shape: None,
            method,
            init: NmfInit::Random,
            params: NmfParams::new(rank),
            run: RunOptions::default(),
            start: None,
            mask: None,
            missing: None,
            rank_selection: None,
        }
    }

    /// The largest rank the job fits: its rank, or the largest it compares.
    pub fn max_rank(&self) -> usize {
        match &self.rank_selection {
            Some(sel) if sel.ks.is_empty() => AUTO_MAX_RANK,
            Some(sel) => sel.ks.iter().copied().max().unwrap_or(0),
            None => self.params.rank,
        }
    }
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
    /// max Y, the unit of the solvers' guards (MU's denominator guard, HALS's floors, NNDSVD's
    /// zero threshold), so that the run on cY gives c·HW, the same relative error and the same
    /// iterations; nothing else depends on Y's scale.
    pub y_scale: f64,
    /// When the file's values lay beyond f32's range (largest entry outside 2^±100) they were
    /// multiplied by 2^`input_exponent` first: y_scale, H and W are those of that Y. Left out
    /// of the JSON when 0 (the file's values as they are).
    #[serde(skip_serializing_if = "is_zero")]
    pub input_exponent: i32,
    pub iterations: usize,
    pub converged: bool,
    pub stop_reason: StopReason,
    pub seconds: f64,
    pub seed: u64,
    /// β of the divergence minimised (2: Frobenius).
    pub beta_loss: f64,
    /// d_β(Y, HW) of the result (β = 2: ½‖Y − HW‖²), with the guards in units of max Y.
    pub divergence: f64,
    /// The objective minimised: `divergence` plus the penalties.
    pub objective: f64,
    /// Entries of Y missing (NaN, or marked by the mask): `rel_error`, `divergence` and
    /// `objective` are those of the observed entries. Left out of the JSON when 0.
    #[serde(skip_serializing_if = "is_zero_usize")]
    pub missing: usize,
    /// The cross-validation that chose `rank`, when the job asked for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_selection: Option<RankCurve>,
    /// The precision of the products with Y (`params.precision`): f32 holds Y in f32 for them.
    pub precision: nmfnet_baselines::data::Precision,
}

fn is_zero_usize(k: &usize) -> bool {
    *k == 0
}

fn is_zero(k: &i32) -> bool {
    *k == 0
}

/// A finished NMF run.
#[derive(Debug, Clone)]
pub struct NmfReport {
    pub summary: NmfSummary,
    /// m × k, as written (f32).
    pub h: Dense,
    /// k × n, as written (f32).
    pub w: Dense,
    /// The solver's H and W, in f64.
    pub fit_h: Mat<f64>,
    pub fit_w: Mat<f64>,
}

/// Refuses an NMF of an m × n matrix at rank k past the memory budget. Dense Y: Y in f64 and
/// the f32 matrix it was read into (the solvers touch Y only through its products). Sparse Y
/// (`nnz` entries): its rows and its columns, index and value each, both pointer arrays, and
/// the f32 copy read from the file. Both: the factors' work arrays (≈ 12 f64 per entry of H
/// and W: the factors, their products and Gram matrices).
pub fn check_memory(m: usize, n: usize, k: usize, nnz: Option<usize>) -> anyhow::Result<()> {
    let (mf, nf, kf) = (m as f64, n as f64, k as f64);
    let y = match nnz {
        Some(nnz) => nnz as f64 * 48.0 + (mf + nf + 2.0) * 16.0,
        None => mf * nf * 16.0,
    };
    let need = y + 96.0 * (mf + nf) * kf + 8.0 * kf * kf;
    nmfnet_datasets::error::check_memory(
        format!("an NMF of a {m} × {n} matrix at rank {k}"),
        need.min(u64::MAX as f64) as u64,
    )?;
    Ok(())
}

/// Y as read: dense (a binding's array is borrowed, not copied), or sparse (a `scipy.sparse`
/// `.npz` or array, never made dense).
enum Held<'a> {
    Dense(std::borrow::Cow<'a, Dense>),
    Single(&'a DenseF32),
    Dense64(std::borrow::Cow<'a, Mat<f64>>),
    Sparse(std::sync::Arc<SparseMatrix>),
}

impl Held<'_> {
    /// (m, n) and, for a sparse Y, its stored entries.
    fn shape(&self) -> ((usize, usize), Option<usize>) {
        match self {
            Held::Dense(y) => ((y.nrows(), y.ncols()), None),
            Held::Single(y) => {
                let y = NmfData::Single(y);
                ((y.nrows(), y.ncols()), None)
            }
            Held::Dense64(y) => ((y.nrows(), y.ncols()), None),
            Held::Sparse(y) => ((y.nrows(), y.ncols()), Some(y.nnz())),
        }
    }
}

/// A sparse matrix file as the solvers' f64 sparse Y, its memory at rank `k` checked before
/// the claimed shape is allocated (the columns' pointers are n + 1, whatever the entries); its
/// stored NaN entries are missing: pushed to `missing` and held as stored zeros.
pub(crate) fn read_sparse(
    path: &std::path::Path,
    k: usize,
    missing: &mut Vec<(usize, usize)>,
) -> anyhow::Result<(SparseMatrix, i32)> {
    let read = nmfnet_datasets::io::read_sparse_npz_with_nan(path)?;
    let x = read.matrix;
    check_memory(x.nrows(), x.ncols(), k, Some(x.nnz()))?;
    let (m, n, indptr, indices, values) = x.into_parts();
    let mut values: Vec<f64> = values.into_iter().map(f64::from).collect();
    for i in 0..m {
        for e in indptr[i]..indptr[i + 1] {
            if values[e].is_nan() {
                missing.push((i, indices[e]));
                values[e] = 0.0;
            }
        }
    }
    let y = SparseMatrix::from_csr(m, n, indptr, indices, values)
        .with_context(|| format!("input {}", path.display()))?;
    Ok((y, read.exponent))
}

/// Runs `job`; nothing is written unless every input is valid.
pub fn nmf(job: &NmfJob) -> anyhow::Result<NmfReport> {
    let started = Instant::now();
    let mut file_missing: Vec<(usize, usize)> = Vec::new();
    let (y, shape, input, exponent) = match &job.input {
        NmfInput::Matrix(path) => {
            let (y, exponent) = if is_npz(path) {
                let (y, exponent) = read_sparse(path, job.max_rank(), &mut file_missing)?;
                (Held::Sparse(std::sync::Arc::new(y)), exponent)
            } else {
                // The file's values in f64, as they are (a float64 .npy is solved exactly);
                // its NaN entries are missing.
                let read = read_matrix_f64_with_nan(path)?;
                let (m, n, values) = read.matrix;
                check_memory(m, n, job.max_rank(), None)?;
                for (e, v) in values.iter().enumerate() {
                    if v.is_nan() {
                        file_missing.push((e / n, e % n));
                    }
                }
                let y = Mat::from_fn(m, n, |i, j| values[i * n + j]);
                (Held::Dense64(std::borrow::Cow::Owned(y)), read.exponent)
            };
            let ((m, _), _) = y.shape();
            if let Some((h, w)) = job.image_shape {
                if h * w != m {
                    bail!(
                        "`image_shape` {h}x{w} has {} pixels but {} has m = {m} rows",
                        h * w,
                        path.display(),
                    );
                }
            }
            if exponent != 0 && job.start.is_some() {
                bail!(
                    "{}'s values lie beyond f32's range and were scaled by 2^{exponent}: a given start would not match them",
                    path.display(),
                );
            }
            (y, job.image_shape, path.display().to_string(), exponent)
        }
        NmfInput::Images(dir) => {
            let f = read_image_folder(dir)?;
            (
                Held::Dense(std::borrow::Cow::Owned(f.matrix)),
                Some((f.height, f.width)),
                dir.display().to_string(),
                0,
            )
        }
        NmfInput::SparseData { name, y } => {
            (Held::Sparse(y.0.clone()), job.image_shape, name.clone(), 0)
        }
        NmfInput::Data32 { name, y } => {
            if job.params.precision != Precision::F32 {
                bail!(
                    "input {name} is held in f32 for f32 products: `params.precision` must be f32"
                );
            }
            (Held::Single(&y.0), job.image_shape, name.clone(), 0)
        }
        NmfInput::Data64 { name, y } => {
            if y.0.nrows() == 0 || y.0.ncols() == 0 {
                bail!("input {name} is empty ({}×{})", y.0.nrows(), y.0.ncols());
            }
            (
                Held::Dense64(std::borrow::Cow::Borrowed(&*y.0)),
                job.image_shape,
                name.clone(),
                0,
            )
        }
        NmfInput::Data { name, y } => {
            if y.0.nrows() == 0 || y.0.ncols() == 0 {
                bail!("input {name} is empty ({}×{})", y.0.nrows(), y.0.ncols());
            }
            y.0.check_finite(name)?;
            (
                Held::Dense(std::borrow::Cow::Borrowed(y.0.as_ref())),
                job.image_shape,
                name.clone(),
                0,
            )
        }
    };
    let ((m, n), nnz) = y.shape();
    check_memory(m, n, job.max_rank(), nnz)?;
    let missing = missing_entries(job, (m, n), file_missing)?;
    // Y is held with its missing entries at 0 (the masked solvers read only the others).
    let mut y = y;
    if let Some(ms) = &missing {
        y = zero_missing(y, ms)?;
    }
    let (dense_y, single_y);
    let ym: NmfData = match &y {
        // f32 values for f32 products: held as they are, no f64 copy.
        Held::Single(d) => {
            let y = NmfData::Single(d);
            y.check().with_context(|| format!("input {input}"))?;
            y
        }
        Held::Dense(d) if job.params.precision == Precision::F32 && missing.is_none() => {
            single_y = DenseF32::from_row_major(d.nrows(), d.ncols(), d.data());
            let y = NmfData::Single(&single_y);
            y.check().with_context(|| format!("input {input}"))?;
            y
        }
        Held::Dense(d) => {
            dense_y = nonneg_from_dense(d).with_context(|| format!("input {input}"))?;
            dense_y.as_ref().into()
        }
        Held::Dense64(d) => {
            let y: NmfData = d.as_ref().as_ref().into();
            y.check().with_context(|| format!("input {input}"))?;
            y
        }
        Held::Sparse(s) => s.as_ref().into(),
    };
    let mut params = job.params.clone();
    params.cancel = job.run.cancel.clone();
    if !(params.tol.is_finite() && params.tol >= 0.0) {
        bail!("`tol` must be finite and ≥ 0, got {}", params.tol);
    }
    if job.run.resume() {
        bail!("`resume`: an NMF run is not checkpointed; run it again");
    }
    let out = match &job.input {
        NmfInput::Matrix(p) | NmfInput::Images(p) => job.run.open("nmf", &[p.as_path()])?,
        NmfInput::Data { .. }
        | NmfInput::Data32 { .. }
        | NmfInput::Data64 { .. }
        | NmfInput::SparseData { .. } => job.run.open("nmf", &[])?,
    };
    if job.start.is_some() && job.init != NmfInit::Random {
        bail!("a given start and `init` {} exclude each other", job.init);
    }
    if job.rank_selection.is_some() && params.precision == Precision::F32 {
        bail!("rank selection fits held-out draws with f64 products: give `precision` f64 (the default)");
    }
    let curve = match &job.rank_selection {
        Some(sel) => {
            if job.start.is_some() {
                bail!("a given start fixes the rank: rank selection needs none");
            }
            let curve = select_rank(ym, missing.as_ref(), job.method, &params, sel)?;
            params.rank = curve.chosen;
            Some(curve)
        }
        None => None,
    };
    let (h0, w0) = match &job.start {
        None => nmf_start(ym, params.rank, job.init, params.seed)?,
        Some((h0, w0)) => {
            let (h0, w0): (&Mat<f64>, &Mat<f64>) = (&h0.0, &w0.0);
            check_nonnegative(h0.as_ref()).context("the start H₀")?;
            check_nonnegative(w0.as_ref()).context("the start W₀")?;
            (h0.clone(), w0.clone())
        }
    };
    let fit = match &missing {
        None => nmf_from(job.method, ym, &params, h0, w0)?,
        Some(ms) => nmf_masked(job.method, ym, ms, &params, h0, w0)?,
    };
    let beta = params.beta_loss;
    let unpenalised = params.alpha_h == 0.0 && params.alpha_w == 0.0;
    let divergence = match (&missing, fit.history.last()) {
        // ½‖M ∘ (Y − HW)‖², from the observed relative error.
        (Some(_), _) => 0.5 * fit.rel_error().powi(2) * ym.frob_sq(),
        // A fit with f32 products ends with this very number, computed with f64 products
        // (nmf_from): not computed twice.
        (None, Some(last)) if params.precision == Precision::F32 && beta == 2.0 && unpenalised => {
            last.objective
        }
        (None, _) => beta_divergence(
            ym,
            fit.h.as_ref(),
            fit.w.as_ref(),
            beta,
            BETA_EPS * ym.max_entry(),
        ),
    };
    let penalty = Penalty::new(
        params.alpha_h,
        params.alpha_w,
        params.l1_ratio,
        ym.nrows(),
        ym.ncols(),
    );
    let summary = NmfSummary {
        method: job.method.name(),
        input,
        m: ym.nrows(),
        n: ym.ncols(),
        rank: params.rank,
        rel_error: fit.rel_error(),
        y_scale: ym.max_entry(),
        input_exponent: exponent,
        iterations: fit.convergence.iterations,
        converged: fit.convergence.converged,
        stop_reason: fit.convergence.reason,
        seconds: started.elapsed().as_secs_f64(),
        seed: params.seed,
        beta_loss: beta,
        divergence,
        objective: divergence + penalty.value(fit.h.as_ref(), fit.w.as_ref()),
        missing: missing.as_ref().map_or(0, |ms| ms.len()),
        rank_selection: curve,
        precision: params.precision,
    };
    let report = NmfReport {
        summary,
        h: to_dense(fit.h.as_ref()),
        w: to_dense(fit.w.as_ref()),
        fit_h: fit.h.clone(),
        fit_w: fit.w.clone(),
    };
    useful(&report, !penalty.is_zero())?;
    if let Some(mut run) = out {
        write_npy(&run.file("H.npy")?, &report.h)?;
        write_npy(&run.file("W.npy")?, &report.w)?;
        write_history(&run.file("history.jsonl")?, &fit.history)?;
        if let Some((h, w)) = shape {
            let tiles: Vec<Vec<f32>> = (0..params.rank)
                .map(|l| fit.h.col(l).iter().map(|&v| v as f32).collect())
                .collect();
            let cols = (params.rank as f64).sqrt().ceil() as usize;
            atomic_write(&run.file("basis.png")?, &gray_grid_png(&tiles, h, w, cols)?)?;
        }
        if let Some(curve) = &report.summary.rank_selection {
            let (svg, png) = (run.file("rank.svg")?, run.file("rank.png")?);
            rank_figure(&svg, &png, curve)?;
        }
        // The job as run: the ranks compared, and the one chosen.
        let mut done = job.clone();
        if let (Some(sel), Some(curve)) = (&mut done.rank_selection, &report.summary.rank_selection)
        {
            sel.ks = curve.ks.clone();
            done.params.rank = curve.chosen;
        }
        // A job on arrays in memory (a binding's) cannot be replayed: no job.json.
        if matches!(done.input, NmfInput::Matrix(_) | NmfInput::Images(_)) {
            crate::job::write_job(&mut run, &done)?;
        }
        write_json(&run.file("summary.json")?, &report.summary)?;
        run.commit()?;
    }
    Ok(report)
}

/// The missing entries of an m × n Y: the NaN entries of its file, the nonzero entries of
/// `mask`, and those handed over in memory; None where there are none.
fn missing_entries(
    job: &NmfJob,
    (m, n): (usize, usize),
    mut positions: Vec<(usize, usize)>,
) -> anyhow::Result<Option<Missing>> {
    if let Some(path) = &job.mask {
        let read = read_matrix_f64(path).context("the mask")?;
        let (rows, cols, values) = read.matrix;
        if (rows, cols) != (m, n) {
            bail!(
                "the mask {} is {rows} × {cols} but Y is {m} × {n}",
                path.display()
            );
        }
        positions.extend(
            values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(e, _)| (e / n, e % n)),
        );
    }
    if let Some(given) = &job.missing {
        positions.extend(given.0.iter().copied());
    }
    if positions.is_empty() {
        return Ok(None);
    }
    Ok(Some(Missing::new(m, n, &positions)?))
}

/// Y with its missing entries set to 0 (a dense Y is copied first if it is borrowed; a
/// sparse one loses those stored entries) — Y as it is where they are 0 already.
fn zero_missing<'a>(y: Held<'a>, missing: &Missing) -> anyhow::Result<Held<'a>> {
    // A binding hands Y over with its missing entries at 0 already: then nothing is copied.
    let held_zero = |y: NmfData<'_>| missing.positions().all(|(i, j)| y.get(i, j) == 0.0);
    match &y {
        Held::Dense64(d) if held_zero(d.as_ref().as_ref().into()) => return Ok(y),
        Held::Sparse(s) if held_zero(s.as_ref().into()) => return Ok(y),
        _ => {}
    }
    Ok(match y {
        Held::Dense(d) => {
            let mut d = d.into_owned();
            for (i, j) in missing.positions() {
                d.set(i, j, 0.0);
            }
            Held::Dense(std::borrow::Cow::Owned(d))
        }
        Held::Dense64(d) => {
            let mut d = d.into_owned();
            for (i, j) in missing.positions() {
                d[(i, j)] = 0.0;
            }
            Held::Dense64(std::borrow::Cow::Owned(d))
        }
        Held::Sparse(s) => Held::Sparse(std::sync::Arc::new(missing.drop_from(&s)?)),
        Held::Single(_) => bail!("missing entries are fitted with f64 products; use f64"),
    })
}

/// Refuses a result no one can use, before anything is written: a zero factor (HW = 0), or one
/// that fits Y worse than HW = 0 does (β = 2). Under penalties HW = 0 may be the minimiser of the
/// objective asked for (a large `alpha_h`/`alpha_w`): it is then the answer, not a failure.
fn useful(r: &NmfReport, penalised: bool) -> anyhow::Result<()> {
    let s = &r.summary;
    let zero = |m: &Mat<f64>| m.col_iter().all(|c| c.iter().all(|&v| v == 0.0));
    if !penalised && (zero(&r.fit_h) || zero(&r.fit_w)) {
        bail!(
            "no usable factorisation: {} ended at HW = 0 after {} iterations (relative error {:.4}); nothing was written. Try another `method` or `init`",
            s.method,
            s.iterations,
            s.rel_error
        );
    }
    if !s.divergence.is_finite() {
        bail!(
            "no usable factorisation: {} ended at a divergence of {}; nothing was written. Try another `method` or `init`",
            s.method,
            s.divergence
        );
    }
    // HW = 0 bounds the Frobenius objective (β = 2) only: for β ≤ 1 its divergence is
    // infinite, and a fit of another β may lie farther from Y in the Frobenius norm.
    if s.rel_error.is_nan() || (s.beta_loss == 2.0 && s.rel_error > 1.0) {
        bail!(
            "no usable factorisation: {} fits Y worse than HW = 0 does (relative error {:.4e} > 1); nothing was written. Try another `method` or `init`",
            s.method,
            s.rel_error
        );
    }
    Ok(())
}

/// The nonnegative coefficients of the rows of `x` (samples × features) on a fixed basis
/// `components` (k × features): `argmin_{C ≥ 0} ‖x − C·components‖`, samples × k —
/// scikit-learn's `NMF.transform`. Both inputs must be finite and nonnegative.
pub fn nmf_transform(components: MatRef<'_, f64>, x: MatRef<'_, f64>) -> anyhow::Result<Vec<f64>> {
    // x ≈ C·B  ⇔  xᵀ ≈ Bᵀ·Cᵀ: Bᵀ (features × k) is the fixed basis, Cᵀ (k × samples) the solve.
    transform_features(components, x.transpose().into())
}

/// [`nmf_transform`] of a sparse `x` (samples × features), never made dense.
pub fn nmf_transform_sparse(
    components: MatRef<'_, f64>,
    x: SparseMatrix,
) -> anyhow::Result<Vec<f64>> {
    let y = x.transposed();
    transform_features(components, (&y).into())
}

/// The samples × k coefficients of `y` (features × samples) on the basis `components`.
fn transform_features(components: MatRef<'_, f64>, y: NmfData<'_>) -> anyhow::Result<Vec<f64>> {
    if components.ncols() != y.nrows() {
        bail!(
            "X has {} features but the basis has {}",
            y.nrows(),
            components.ncols()
        );
    }
    y.check().context("X")?;
    check_nonnegative(components).context("the basis")?;
    let ct = nnls_fixed_basis(components.transpose(), y).context("X")?;
    Ok(sample_major(&ct))
}

/// Cᵀ (k × samples) as the samples × k values, row by row.
fn sample_major(ct: &faer::Mat<f64>) -> Vec<f64> {
    let (k, samples) = (ct.nrows(), ct.ncols());
    (0..samples)
        .flat_map(|s| (0..k).map(move |j| (s, j)))
        .map(|(s, j)| ct[(j, s)])
        .collect()
}
