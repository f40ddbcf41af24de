//! GAN-UNET's classical comparisons (SPEC §5): MU, HALS and ANLS at the same k, under both
//! protocols, on the same fixed class-balanced groups the generator is evaluated on.
//!
//! * **direct**: each group `Y` (pixels × 40) factorised on its own, `Y ≈ HW` — the optimum a
//!   solver reaches per group, and the time it needs for it;
//! * **transfer**: one basis `H` learned by the method on the training images (all of them
//!   unless `--train-images` caps it), then for every group only `W ≥ 0` by NNLS with `H`
//!   fixed — the classical counterpart of a generator that has seen the training set.
//!
//! Errors are the paper's ε (eq. 4): the mean over the 40 images of `‖Ŷ_i − Y_i‖₂`, pixel
//! scale [0, 1], on the original image size (no padding), averaged over groups.

use crate::ganunet::{dataset_id, fixed_groups};
use anyhow::Context;
use faer::{Mat, MatRef};
use nmfnet_baselines::nmf::{nmf, nnls_fixed_basis, NmfMethod, NmfParams};
use nmfnet_datasets::catalog::{self, ImageSet, Split};
use nmfnet_datasets::io::{atomic_write, gray_grid_png};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// `nmfnet gan baselines` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct GanBaselineArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Methods, comma separated (mu, hals, anls).
    #[arg(long, value_delimiter = ',', default_value = "anls,mu,hals")]
    pub methods: Vec<String>,
    /// Basis images k (GAN-UNET's default 10).
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Groups per split (the first N fixed groups, drawn with seed 0 like `gan eval`);
    /// 0 = all of them.
    #[arg(long, default_value_t = 100)]
    pub groups: usize,
    /// Training images the transfer basis is learned on (the first N; 0 = all).
    #[arg(long, default_value_t = 0)]
    pub train_images: usize,
    /// Seed of the solvers' random initialisations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for hals_direct_grid.png etc. (inputs, reconstructions, basis of the first test
    /// group), transfer_basis_<method>.png and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
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

/// Rank-k subspace (orthonormal columns, pixels × k') that minimises the sum of the columns'
/// distances to it, `Σ_j ‖Y_j − P Y_j‖₂` (ε times m), by iteratively reweighted least squares:
/// each step takes the top-k left singular vectors of `Y · diag(1/‖r_j‖)^{1/2}`, the exact
/// minimiser of the reweighted squared distances, so the sum never rises (a majorise-minimise
/// step; R1-PCA). The steps work on the m × m Gram matrix (O(m³) each); the basis of the best
/// weights is then taken from a thin SVD of the weighted group itself, which keeps it
/// orthonormal to machine precision. Starts from the SVD's subspace (unit weights); returns
/// the basis (k' = min(k, rank Y) columns); with `iters = 0` that is the truncated SVD's.
pub fn epsilon_subspace(y: MatRef<'_, f64>, k: usize, iters: usize) -> anyhow::Result<Mat<f64>> {
    let m = y.ncols();
    let gram = y.transpose() * y;
    let scale = (0..m).map(|j| gram[(j, j)]).fold(0.0f64, f64::max).sqrt();
    if scale == 0.0 || k == 0 {
        return Ok(Mat::zeros(y.nrows(), 0));
    }
    let floor = 1e-12 * scale;
    let mut weights = vec![1.0f64; m];
    let mut best = (f64::INFINITY, weights.clone());
    for _ in 0..=iters {
        // Distances to the top-k eigenspace of W^½ G W^½ (= the weighted SVD's subspace).
        let root: Vec<f64> = weights.iter().map(|w| w.sqrt()).collect();
        let mw = Mat::from_fn(m, m, |i, j| root[i] * gram[(i, j)] * root[j]);
        let Ok(svd) = mw.thin_svd() else { break };
        let lam = svd.S().column_vector();
        let kk = (0..k.min(m))
            .take_while(|&l| lam[l] > 1e-12 * lam[0])
            .count();
        let v = svd.U();
        let dist: Vec<f64> = (0..m)
            .map(|j| {
                // Coefficient l of column j: (Λ^{-½} Vᵀ W^½ G)[l, j].
                let proj: f64 = (0..kk)
                    .map(|l| {
                        let c: f64 = (0..m).map(|i| v[(i, l)] * root[i] * gram[(i, j)]).sum();
                        c * c / lam[l]
                    })
                    .sum();
                (gram[(j, j)] - proj).max(0.0).sqrt()
            })
            .collect();
        let total: f64 = dist.iter().sum();
        if total >= best.0 * (1.0 - 1e-13) {
            break;
        }
        best = (total, weights);
        weights = dist.iter().map(|d| 1.0 / d.max(floor)).collect();
    }
    let weighted = Mat::from_fn(y.nrows(), m, |p, j| y[(p, j)] * best.1[j].sqrt());
    let svd = weighted
        .thin_svd()
        .map_err(|e| anyhow::anyhow!("SVD of a group failed: {e:?}"))?;
    let s = svd.S().column_vector();
    let kk = (0..k.min(m).min(y.nrows()))
        .take_while(|&l| s[l] > 1e-9 * s[0])
        .count();
    Ok(svd.U().subcols(0, kk).to_owned())
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

fn parse_method(s: &str) -> anyhow::Result<NmfMethod> {
    s.trim()
        .parse::<NmfMethod>()
        .map_err(|e| anyhow::anyhow!("--methods: {e}"))
}

/// The group as a pixels × m matrix, one image per column.
pub fn group_matrix(set: &ImageSet, group: &[usize]) -> Mat<f64> {
    let px = set.height * set.width;
    Mat::from_fn(px, group.len(), |p, j| set.images.row(group[j])[p] as f64)
}

/// ε of paper eq. 4 for one group: mean over columns of `‖Ŷ_j − Y_j‖₂`.
pub fn group_epsilon(y: MatRef<'_, f64>, h: MatRef<'_, f64>, w: MatRef<'_, f64>) -> f64 {
    let y_hat = h * w;
    let m = y.ncols();
    (0..m)
        .map(|j| {
            (0..y.nrows())
                .map(|p| (y_hat[(p, j)] - y[(p, j)]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .sum::<f64>()
        / m as f64
}

fn bar(len: usize, msg: String, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{msg:28} {bar:30} {pos}/{len} [{elapsed}<{eta}]")
            .expect("valid template"),
    );
    pb.set_message(msg);
    pb
}

/// Mean ε of factorising every group on its own, seconds per group, and the first group's
/// factors.
fn direct(
    method: NmfMethod,
    set: &ImageSet,
    groups: &[Vec<usize>],
    params: &NmfParams,
    what: &str,
    quiet: bool,
) -> anyhow::Result<(f64, f64, Option<(Mat<f64>, Mat<f64>)>)> {
    let pb = bar(
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

/// `nmfnet gan baselines`.
/// The training and test images of `args.dataset` and their first `args.groups` fixed groups.
fn sets_and_groups(
    args: &GanBaselineArgs,
) -> anyhow::Result<(ImageSet, ImageSet, Vec<Vec<usize>>, Vec<Vec<usize>>)> {
    let id = dataset_id(&args.dataset)?;
    let dir = catalog::data_dir(args.data_dir.as_deref())?;
    let train = catalog::load_images(id, Split::Train, &dir)?;
    let test = catalog::load_images(id, Split::Test, &dir)?;
    let limit = |mut g: Vec<Vec<usize>>| {
        if args.groups > 0 {
            g.truncate(args.groups);
        }
        g
    };
    let train_groups = limit(fixed_groups(&train)?);
    let test_groups = limit(fixed_groups(&test)?);
    Ok((train, test, train_groups, test_groups))
}

/// The reference ε of [`epsilon_subspace`] (train, test) on the groups `args` names; lets a
/// report fill in a summary written before that reference existed without re-running the
/// solvers.
pub fn subspace_errors(args: &GanBaselineArgs) -> anyhow::Result<(f64, f64)> {
    let (train, test, train_groups, test_groups) = sets_and_groups(args)?;
    Ok((
        subspace_reference(&train, &train_groups, args.k, FITTED_ITERS)?,
        subspace_reference(&test, &test_groups, args.k, FITTED_ITERS)?,
    ))
}

pub fn baselines_command(args: &GanBaselineArgs) -> anyhow::Result<GanBaselineSummary> {
    dataset_id(&args.dataset)?;
    let methods: Vec<NmfMethod> = args
        .methods
        .iter()
        .map(|s| parse_method(s))
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!methods.is_empty(), "--methods is empty");
    ganunet_burn::GeneratorConfig {
        k: args.k,
        ..Default::default()
    }
    .validate()?;
    let (train, test, train_groups, test_groups) = sets_and_groups(args)?;
    let n_train = match args.train_images {
        0 => train.images.nrows(),
        n => n.min(train.images.nrows()),
    };
    let all_train: Vec<usize> = (0..n_train).collect();
    let y_train = group_matrix(&train, &all_train);
    let mut params = NmfParams::new(args.k);
    params.seed = args.seed;

    let mut rows = Vec::new();
    for &method in &methods {
        let (d_train, _, _) = direct(method, &train, &train_groups, &params, "train", args.quiet)?;
        let (d_test, d_secs, first) =
            direct(method, &test, &test_groups, &params, "test", args.quiet)?;
        let pb = bar(
            1,
            format!("{} basis on {n_train} images", method.name()),
            args.quiet,
        );
        let started = Instant::now();
        let basis = nmf(method, y_train.as_ref(), &params)
            .with_context(|| format!("{} on the training images", method.name()))?;
        let basis_secs = started.elapsed().as_secs_f64();
        pb.finish_and_clear();
        let (t_train, _) = transfer(basis.h.as_ref(), &train, &train_groups)?;
        let (t_test, t_secs) = transfer(basis.h.as_ref(), &test, &test_groups)?;
        if let Some(out) = &args.out {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let (h, w) = first.expect("at least one test group");
            let y = group_matrix(&test, &test_groups[0]);
            let tiles = grid_tiles(y.as_ref(), h.as_ref(), w.as_ref());
            atomic_write(
                &out.join(format!("{}_direct_grid.png", method.name())),
                &gray_grid_png(&tiles, test.height, test.width, 10)?,
            )?;
            let wt = nnls_fixed_basis(basis.h.as_ref(), y.as_ref())?;
            let tiles = grid_tiles(y.as_ref(), basis.h.as_ref(), wt.as_ref());
            atomic_write(
                &out.join(format!("{}_transfer_grid.png", method.name())),
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
        dataset: args.dataset.clone(),
        k: args.k,
        train_groups: train_groups.len(),
        test_groups: test_groups.len(),
        train_images: n_train,
        svd_train_error: subspace_reference(&train, &train_groups, args.k, 0)?,
        svd_test_error: subspace_reference(&test, &test_groups, args.k, 0)?,
        subspace_train_error: subspace_reference(&train, &train_groups, args.k, FITTED_ITERS)?,
        subspace_test_error: subspace_reference(&test, &test_groups, args.k, FITTED_ITERS)?,
        rows,
    };
    if let Some(out) = &args.out {
        atomic_write(
            &out.join("summary.json"),
            serde_json::to_string_pretty(&summary)?.as_bytes(),
        )?;
    }
    Ok(summary)
}

/// Human-readable table.
pub fn print_baselines(s: &GanBaselineSummary) {
    println!(
        "{}: k = {}, {} train / {} test groups, transfer basis on {} training images",
        s.dataset, s.k, s.train_groups, s.test_groups, s.train_images
    );
    println!(
        "rank-{} SVD (no sign constraint): train ε {:.3}, test ε {:.3}",
        s.k, s.svd_train_error, s.svd_test_error
    );
    println!(
        "rank-{} subspace fitted to ε (no sign constraint): train ε {:.3}, test ε {:.3}",
        s.k, s.subspace_train_error, s.subspace_test_error
    );
    println!(
        "{:6} {:>14} {:>14} {:>12} {:>16} {:>16} {:>10}",
        "method",
        "direct train ε",
        "direct test ε",
        "s/group",
        "transfer train ε",
        "transfer test ε",
        "basis s"
    );
    for r in &s.rows {
        println!(
            "{:6} {:>14.3} {:>14.3} {:>12.4} {:>16.3} {:>16.3} {:>10.1}",
            r.method,
            r.direct_train_error,
            r.direct_test_error,
            r.direct_seconds_per_group,
            r.transfer_train_error,
            r.transfer_test_error,
            r.transfer_basis_seconds
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truncated_svd_epsilon(y: MatRef<'_, f64>, k: usize) -> f64 {
        let svd = y.thin_svd().unwrap();
        let u = svd.U().subcols(0, k);
        let coef = u.transpose() * y;
        group_epsilon(y, u, coef.as_ref())
    }

    fn subspace_epsilon(y: MatRef<'_, f64>, k: usize) -> (f64, Mat<f64>) {
        let u = epsilon_subspace(y, k, FITTED_ITERS).unwrap();
        let coef = u.transpose() * y;
        (group_epsilon(y, u.as_ref(), coef.as_ref()), u)
    }

    #[test]
    fn epsilon_subspace_never_loses_to_the_svd_and_is_orthonormal() {
        // Nonnegative pseudo-random groups (an LCG), like images.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for &(p, m, k) in &[(50, 20, 3), (30, 12, 5), (64, 40, 10)] {
            let y = Mat::from_fn(p, m, |_, _| next().powi(3));
            let svd_eps = truncated_svd_epsilon(y.as_ref(), k);
            let (eps, u) = subspace_epsilon(y.as_ref(), k);
            assert_eq!(u.ncols(), k);
            // No reweighting step: the truncated SVD itself.
            let u0 = epsilon_subspace(y.as_ref(), k, 0).unwrap();
            let eps0 = group_epsilon(y.as_ref(), u0.as_ref(), (u0.transpose() * &y).as_ref());
            assert!(
                (eps0 - svd_eps).abs() < 1e-9 * svd_eps,
                "{eps0} vs SVD {svd_eps}"
            );
            assert!(eps <= svd_eps * (1.0 + 1e-12), "{eps} > SVD {svd_eps}");
            let gram = u.transpose() * &u;
            for i in 0..k {
                for j in 0..k {
                    let want = if i == j { 1.0 } else { 0.0 };
                    let got = gram[(i, j)];
                    assert!((got - want).abs() < 1e-10, "UᵀU[{i},{j}] = {got}");
                }
            }
        }
    }

    #[test]
    fn epsilon_subspace_ignores_an_outlier_that_tilts_the_svd() {
        // Eleven columns in the plane of e1 and e2, one outlier 2 away from it along e3: the
        // plane itself gives Σ‖r_j‖ = 2 (only the outlier misses), ε = 2/12. The SVD tilts the
        // plane towards the outlier (it minimises squares) and pays on every inlier.
        let (p, m) = (20, 12);
        let mut y = Mat::<f64>::zeros(p, m);
        for j in 0..m - 1 {
            let t = j as f64 * 0.5;
            y[(0, j)] = 1.0 + t.cos();
            y[(1, j)] = 1.0 + t.sin();
        }
        y[(0, m - 1)] = 3.0;
        y[(2, m - 1)] = 2.0;
        let planted = 2.0 / m as f64;
        let svd_eps = truncated_svd_epsilon(y.as_ref(), 2);
        let (eps, _) = subspace_epsilon(y.as_ref(), 2);
        assert!(
            svd_eps > planted * 1.05,
            "SVD ε {svd_eps} vs planted {planted}"
        );
        // IRLS converges sublinearly when residuals go to zero: 1e-4 relative after 200 steps.
        assert!(
            (eps - planted).abs() < 1e-4 * planted,
            "ε {eps} vs planted {planted}"
        );
    }

    #[test]
    fn epsilon_subspace_of_a_low_rank_group_is_exact() {
        // Rank 2 < k = 4: the basis has 2 columns and reconstructs exactly.
        let y = Mat::from_fn(15, 8, |p, j| {
            (p as f64 + 1.0) * (j % 3) as f64 + (j as f64) * 0.1
        });
        let (eps, u) = subspace_epsilon(y.as_ref(), 4);
        assert_eq!(u.ncols(), 2);
        assert!(eps < 1e-6, "{eps}");
        let zero = Mat::<f64>::zeros(6, 5);
        assert_eq!(epsilon_subspace(zero.as_ref(), 3, 10).unwrap().ncols(), 0);
    }
}
