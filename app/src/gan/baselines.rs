//! GAN-UNET's classical comparisons (SPEC §5): MU, HALS and ANLS at the same k, under both
//! protocols, on the same fixed class-balanced groups the generator is evaluated on.
//!
//! * **direct**: each group `Y` (pixels × 40) factorised on its own, `Y ≈ HW` — the optimum a
//!   solver reaches per group, and the time it needs for it;
//! * **transfer**: one basis `H` learned by the method on the training images (all of them
//!   unless `train_images` caps it), then for every group only `W ≥ 0` by NNLS with `H`
//!   fixed — the classical counterpart of a generator that has seen the training set.
//!
//! Errors are the paper's ε (eq. 4): the mean over the 40 images of `‖Ŷ_i − Y_i‖₂`, pixel
//! scale [0, 1], on the original image size (no padding), averaged over groups.

use super::{dataset_id, load_splits};
use crate::job::RunOptions;
use crate::outdir::write_json;
use anyhow::Context;
use faer::{Mat, MatRef};
use nmfnet_baselines::nmf::{nmf, nnls_fixed_basis, NmfMethod, NmfParams};
use nmfnet_baselines::subspace::{epsilon_subspace, group_epsilon};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::io::{atomic_write, gray_grid_png};
use nmfnet_train::progress::work_bar;
use nmfnet_train::tasks::gan_eval::fixed_groups;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One comparison run. Written to `job.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanBaselineJob {
    /// mnist, fashion or face (Olivetti).
    pub dataset: String,
    pub data_dir: Option<PathBuf>,
    /// The methods, in the order of the table.
    pub methods: Vec<NmfMethod>,
    /// Basis images k (GAN-UNET's default 10).
    pub k: usize,
    /// Groups per split (the first N fixed groups, drawn with seed 0 like `gan eval`); 0 = all.
    pub groups: usize,
    /// Training images the transfer basis is learned on (the first N; 0 = all).
    pub train_images: usize,
    /// Seed of the solvers' random initialisations.
    pub seed: u64,
    /// Folder for the grids of the first test group, job.json and summary.json.
    #[serde(default)]
    pub run: RunOptions,
}

impl GanBaselineJob {
    /// ANLS, MU and HALS at k = 10 on the first 100 groups of `dataset`, nothing written.
    pub fn new(dataset: &str) -> Self {
        Self {
            dataset: dataset.to_string(),
            data_dir: None,
            methods: vec![NmfMethod::Anls, NmfMethod::Mu, NmfMethod::Hals],
            k: 10,
            groups: 100,
            train_images: 0,
            seed: 0,
            run: RunOptions::default(),
        }
    }
}

/// One method's numbers.
#[derive(Serialize, Debug, Clone)]
pub struct BaselineRow {
    pub method: &'static str,
    /// ε, each group factorised on its own.
    pub direct_train_error: f64,
    pub direct_test_error: f64,
    /// Seconds to factorise one test group directly (mean).
    pub direct_seconds_per_group: f64,
    /// ε with the basis learned on the training images and W by NNLS.
    pub transfer_train_error: f64,
    pub transfer_test_error: f64,
    /// Seconds to learn the transfer basis, and per test group for its NNLS.
    pub transfer_basis_seconds: f64,
    pub transfer_seconds_per_group: f64,
}

/// What `nmfnet gan baselines` reports.
#[derive(Serialize, Debug, Clone)]
pub struct GanBaselineSummary {
    pub dataset: String,
    pub k: usize,
    pub train_groups: usize,
    pub test_groups: usize,
    pub train_images: usize,
    /// ε of the truncated SVD of each group (rank k, no sign constraint): the rank-k
    /// reconstruction with the least *squared* error (Eckart–Young).
    pub svd_train_error: f64,
    pub svd_test_error: f64,
    /// ε of the rank-k subspace fitted to ε itself (the sum of column norms, not of their
    /// squares; no sign constraint) by iteratively reweighted SVD from the SVD's subspace: the
    /// lowest ε we can find for any rank-k factorisation of each group. ε is not convex in the
    /// subspace, so this is the best known value, not a proven bound.
    pub subspace_train_error: f64,
    pub subspace_test_error: f64,
    pub rows: Vec<BaselineRow>,
}

/// Mean ε of [`epsilon_subspace`] over groups (each column projected on the subspace):
/// `iters = 0` is the truncated SVD, [`FITTED_ITERS`] the subspace fitted to ε.
fn subspace_reference(
    set: &ImageSet,
    groups: &[Vec<usize>],
    k: usize,
    iters: usize,
) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for g in groups {
        let y = group_matrix(set, g);
        let u = epsilon_subspace(y.as_ref(), k, iters)?;
        let coef = u.transpose() * &y;
        total += group_epsilon(y.as_ref(), u.as_ref(), coef.as_ref());
    }
    Ok(total / groups.len() as f64)
}

/// Reweighting steps of the ε-fitted reference (it stops earlier once ε stops falling).
const FITTED_ITERS: usize = 200;

/// The group as a pixels × m matrix, one image per column.
pub fn group_matrix(set: &ImageSet, group: &[usize]) -> Mat<f64> {
    let px = set.height * set.width;
    Mat::from_fn(px, group.len(), |p, j| set.images.row(group[j])[p] as f64)
}

/// Mean ε of factorising every group on its own, seconds per group, and the first group's
/// factors.
/// Mean ε of the groups factorised one by one, seconds per group, and the first group's
/// factors (H, W).
type Direct = (f64, f64, Option<(Mat<f64>, Mat<f64>)>);

fn direct(
    method: NmfMethod,
    set: &ImageSet,
    groups: &[Vec<usize>],
    params: &NmfParams,
    what: &str,
    quiet: bool,
) -> anyhow::Result<Direct> {
    let pb = work_bar(
        groups.len(),
        format!("{} direct {what}", method.name()),
        quiet,
    );
    let mut total = 0.0;
    let mut first = None;
    let started = Instant::now();
    for g in groups {
        let y = group_matrix(set, g);
        let fit = nmf(method, y.as_ref(), params)?;
        total += group_epsilon(y.as_ref(), fit.h.as_ref(), fit.w.as_ref());
        if first.is_none() {
            first = Some((fit.h, fit.w));
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let n = groups.len() as f64;
    Ok((total / n, started.elapsed().as_secs_f64() / n, first))
}

/// Mean ε of the NNLS fit of every group on the fixed basis `h`, and seconds per group.
fn transfer(
    h: MatRef<'_, f64>,
    set: &ImageSet,
    groups: &[Vec<usize>],
) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    let mut total = 0.0;
    for g in groups {
        let y = group_matrix(set, g);
        let w = nnls_fixed_basis(h, y.as_ref())?;
        total += group_epsilon(y.as_ref(), h, w.as_ref());
    }
    let n = groups.len() as f64;
    Ok((total / n, started.elapsed().as_secs_f64() / n))
}

/// Tiles for a grid: the group's images, their reconstructions, then the basis images.
pub fn grid_tiles(y: MatRef<'_, f64>, h: MatRef<'_, f64>, w: MatRef<'_, f64>) -> Vec<Vec<f32>> {
    let y_hat = h * w;
    let col = |m: MatRef<'_, f64>, j: usize| -> Vec<f32> {
        (0..m.nrows()).map(|p| m[(p, j)] as f32).collect()
    };
    let mut tiles: Vec<Vec<f32>> = (0..y.ncols()).map(|j| col(y, j)).collect();
    tiles.extend((0..y.ncols()).map(|j| col(y_hat.as_ref(), j)));
    tiles.extend((0..h.ncols()).map(|l| scaled_to_max(col(h, l))));
    tiles
}

/// A basis image scaled to its own maximum for display (H has no fixed scale).
pub fn scaled_to_max(v: Vec<f32>) -> Vec<f32> {
    let mx = v.iter().cloned().fold(0.0f32, f32::max);
    v.into_iter()
        .map(|x| if mx > 0.0 { x / mx } else { 0.0 })
        .collect()
}

/// The training and test images, and the groups of each (rows of the images).
type SetsAndGroups = (ImageSet, ImageSet, Vec<Vec<usize>>, Vec<Vec<usize>>);

/// The training and test images of `req.dataset` and their first `req.groups` fixed groups.
fn sets_and_groups(req: &GanBaselineJob) -> anyhow::Result<SetsAndGroups> {
    let (train, test) = load_splits(&req.dataset, req.data_dir.as_deref())?;
    let limit = |mut g: Vec<Vec<usize>>| {
        if req.groups > 0 {
            g.truncate(req.groups);
        }
        g
    };
    let train_groups = limit(fixed_groups(&train)?);
    let test_groups = limit(fixed_groups(&test)?);
    Ok((train, test, train_groups, test_groups))
}

/// The reference ε of [`epsilon_subspace`] (train, test) on the groups `req` names; lets a
/// report fill in a summary written before that reference existed without re-running the
/// solvers.
pub fn subspace_errors(req: &GanBaselineJob) -> anyhow::Result<(f64, f64)> {
    let (train, test, train_groups, test_groups) = sets_and_groups(req)?;
    Ok((
        subspace_reference(&train, &train_groups, req.k, FITTED_ITERS)?,
        subspace_reference(&test, &test_groups, req.k, FITTED_ITERS)?,
    ))
}

/// MU, HALS and ANLS (those `job` lists) under both protocols on the fixed groups.
pub fn gan_baselines(job: &GanBaselineJob) -> anyhow::Result<GanBaselineSummary> {
    let req = job;
    dataset_id(&req.dataset)?;
    let methods = &req.methods;
    anyhow::ensure!(!methods.is_empty(), "`methods` is empty");
    anyhow::ensure!(
        !job.run.resume(),
        "`resume`: the comparisons are not checkpointed; run them again"
    );
    let quiet = !req.run.progress;
    ganunet_burn::GeneratorConfig {
        k: req.k,
        ..Default::default()
    }
    .validate()?;
    let (train, test, train_groups, test_groups) = sets_and_groups(req)?;
    let inputs: Vec<&Path> = req.data_dir.iter().map(|d| d.as_path()).collect();
    let mut out = job.run.open("gan-baselines", &inputs)?;
    let n_train = match req.train_images {
        0 => train.images.nrows(),
        n => n.min(train.images.nrows()),
    };
    let all_train: Vec<usize> = (0..n_train).collect();
    let y_train = group_matrix(&train, &all_train);
    let mut params = NmfParams::new(req.k);
    params.seed = req.seed;

    let mut rows = Vec::new();
    for &method in methods {
        let (d_train, _, _) = direct(method, &train, &train_groups, &params, "train", quiet)?;
        let (d_test, d_secs, first) = direct(method, &test, &test_groups, &params, "test", quiet)?;
        let pb = work_bar(
            1,
            format!("{} basis on {n_train} images", method.name()),
            quiet,
        );
        let started = Instant::now();
        let basis = nmf(method, y_train.as_ref(), &params)
            .with_context(|| format!("{} on the training images", method.name()))?;
        let basis_secs = started.elapsed().as_secs_f64();
        pb.finish_and_clear();
        let (t_train, _) = transfer(basis.h.as_ref(), &train, &train_groups)?;
        let (t_test, t_secs) = transfer(basis.h.as_ref(), &test, &test_groups)?;
        if let Some(out) = out.as_mut() {
            let (h, w) = first.expect("at least one test group");
            let y = group_matrix(&test, &test_groups[0]);
            let tiles = grid_tiles(y.as_ref(), h.as_ref(), w.as_ref());
            atomic_write(
                &out.file(&format!("{}_direct_grid.png", method.name()))?,
                &gray_grid_png(&tiles, test.height, test.width, 10)?,
            )?;
            let wt = nnls_fixed_basis(basis.h.as_ref(), y.as_ref())?;
            let tiles = grid_tiles(y.as_ref(), basis.h.as_ref(), wt.as_ref());
            atomic_write(
                &out.file(&format!("{}_transfer_grid.png", method.name()))?,
                &gray_grid_png(&tiles, test.height, test.width, 10)?,
            )?;
        }
        rows.push(BaselineRow {
            method: method.name(),
            direct_train_error: d_train,
            direct_test_error: d_test,
            direct_seconds_per_group: d_secs,
            transfer_train_error: t_train,
            transfer_test_error: t_test,
            transfer_basis_seconds: basis_secs,
            transfer_seconds_per_group: t_secs,
        });
    }
    let summary = GanBaselineSummary {
        dataset: req.dataset.clone(),
        k: req.k,
        train_groups: train_groups.len(),
        test_groups: test_groups.len(),
        train_images: n_train,
        svd_train_error: subspace_reference(&train, &train_groups, req.k, 0)?,
        svd_test_error: subspace_reference(&test, &test_groups, req.k, 0)?,
        subspace_train_error: subspace_reference(&train, &train_groups, req.k, FITTED_ITERS)?,
        subspace_test_error: subspace_reference(&test, &test_groups, req.k, FITTED_ITERS)?,
        rows,
    };
    if let Some(mut out) = out {
        crate::job::write_job(&mut out, job)?;
        write_json(&out.file("summary.json")?, &summary)?;
        out.commit()?;
    }
    Ok(summary)
}
