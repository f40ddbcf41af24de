//! Consensus NMF (Kotliar et al., eLife 2019, the cNMF algorithm): many replicate fits of one
//! Y ≈ HW at rank k, their components W (k × n each) pooled, and the programs that recur across
//! replicates kept as the consensus.
//!
//! Steps, for one k ([`consensus`]):
//! 1. every replicate's k spectra (rows of W) L2-normalised and pooled: R·k points in ℝⁿ;
//! 2. outliers removed: a point whose mean Euclidean distance to its `⌊ρ·R⌋` nearest other
//!    points (ρ = `local_neighborhood_size`) is not below `density_threshold` is dropped (a
//!    dead, all-zero component too: it has no direction);
//! 3. k-means into k clusters (k-means++ starts, best of `kmeans_restarts`, seeded: the
//!    clustering of cNMF's scikit-learn `KMeans` where the clusters are clear, not its bits);
//! 4. consensus spectra: each cluster's entrywise median, scaled to sum 1;
//! 5. stability: the silhouette of that clustering (Euclidean), in [−1, 1];
//! 6. usages H refitted by NNLS against the consensus spectra (W fixed), and the error
//!    ‖Y − HW‖²_F of that refit.
//!
//! The stability and the error reported for a k are cNMF's K-selection statistics: steps 3–6
//! on every spectrum (no density filter, cNMF's threshold 2), as its `k_selection_plot` has
//! them; the spectra and usages are those of the filtered clustering.

use crate::data::NmfData;
use crate::error::{param, Result, SolverError};
use crate::linalg::{a_b, dot};
use crate::nmf::nnls_robust;
use faer::Mat;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// cNMF's consensus settings, with its defaults.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusParams {
    /// Largest mean distance to the nearest neighbours a kept spectrum may have (L2-normalised
    /// spectra lie within distance 2 of each other: 2 keeps every one). cNMF's default 0.5.
    pub density_threshold: f64,
    /// Neighbours of that mean, as a share of the replicates (cNMF's 0.3).
    pub local_neighborhood_size: f64,
    /// k-means restarts (the best inertia is kept; scikit-learn's `n_init`, 10).
    pub kmeans_restarts: usize,
    /// Seed of the k-means starts.
    pub seed: u64,
}

impl ConsensusParams {
    /// Refuses settings that have no meaning, before any replicate is fitted.
    pub fn check(&self) -> Result<()> {
        let rho = self.local_neighborhood_size;
        if !(rho > 0.0 && rho <= 1.0) {
            return Err(param(
                "local_neighborhood_size",
                format!("must lie in (0, 1], got {rho}"),
            ));
        }
        if self.density_threshold.is_nan() || self.density_threshold <= 0.0 {
            return Err(param(
                "density_threshold",
                format!("must be > 0, got {}", self.density_threshold),
            ));
        }
        if self.kmeans_restarts == 0 {
            return Err(param("kmeans_restarts", "must be at least 1"));
        }
        Ok(())
    }
}

impl Default for ConsensusParams {
    fn default() -> Self {
        Self {
            density_threshold: 0.5,
            local_neighborhood_size: 0.3,
            kmeans_restarts: 10,
            seed: 1,
        }
    }
}

/// The consensus of one k.
#[derive(Clone, Debug)]
pub struct Consensus {
    /// Consensus spectra, k × n, each row summing to 1.
    pub spectra: Mat<f64>,
    /// Usages refitted against them, m × k (NNLS, W fixed).
    pub usage: Mat<f64>,
    /// Silhouette of the k-means clustering of every spectrum (cNMF's K-selection statistic).
    pub stability: f64,
    /// ‖Y − usage·spectra‖²_F of that clustering's consensus (cNMF's prediction error).
    pub error: f64,
    /// Per pooled spectrum (replicate r's component l at r·k + l): whether the density filter
    /// kept it.
    pub kept: Vec<bool>,
    /// Per kept spectrum, in pooled order: its cluster.
    pub labels: Vec<usize>,
    /// The kept spectra, L2-normalised (rows), for a clustergram.
    pub points: Mat<f64>,
    /// Iterations each replicate ran, in replicate order, where the runner recorded them
    /// (empty from [`consensus`] alone, and for replicates read back from a file).
    pub iterations: Vec<usize>,
}

/// Euclidean distances between the rows of `p` (from the Gram matrix; clamped at 0).
fn distances(p: &Mat<f64>) -> Mat<f64> {
    let g = a_b(p.as_ref(), p.transpose());
    let n = p.nrows();
    Mat::from_fn(n, n, |i, j| {
        if i == j {
            0.0
        } else {
            (g[(i, i)] + g[(j, j)] - 2.0 * g[(i, j)]).max(0.0).sqrt()
        }
    })
}

/// Mean distance of each point to its `nn` nearest other points.
fn local_density(d: &Mat<f64>, nn: usize) -> Vec<f64> {
    (0..d.nrows())
        .into_par_iter()
        .map(|i| {
            let mut row: Vec<f64> = (0..d.ncols())
                .filter(|&j| j != i)
                .map(|j| d[(i, j)])
                .collect();
            if row.is_empty() {
                // A lone spectrum has no neighbours: nothing says it is an outlier.
                return 0.0;
            }
            let nn = nn.min(row.len()).max(1);
            row.select_nth_unstable_by(nn - 1, f64::total_cmp);
            row[..nn].iter().sum::<f64>() / nn as f64
        })
        .collect()
}

/// Squared Euclidean distance.
fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// k-means (Lloyd) of the rows of `p`, row-major `n × d` in `x`: (labels, inertia), the best of
/// `restarts` k-means++ starts. Ties go to the lower cluster index; an emptied cluster takes
/// the point farthest from its centre.
pub fn kmeans(x: &[f64], d: usize, k: usize, restarts: usize, seed: u64) -> (Vec<usize>, f64) {
    if d == 0 || k == 0 || x.len() < d {
        return (vec![0; x.len().checked_div(d).unwrap_or(0)], 0.0);
    }
    let n = x.len() / d;
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let mut best: Option<(Vec<usize>, f64)> = None;
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..restarts.max(1) {
        // k-means++: each next centre drawn with probability ∝ squared distance to the nearest.
        let mut centres: Vec<f64> = Vec::with_capacity(k * d);
        let first = rng.random_range(0..n);
        centres.extend_from_slice(row(first));
        let mut near: Vec<f64> = (0..n).map(|i| dist2(row(i), row(first))).collect();
        for _ in 1..k {
            let total: f64 = near.iter().sum();
            let pick = if total > 0.0 {
                let mut t = rng.random::<f64>() * total;
                // Rounding may leave t past the last weight: the last point of positive weight.
                let mut pick = near.iter().rposition(|&w| w > 0.0).unwrap_or(n - 1);
                for (i, &w) in near.iter().enumerate() {
                    if t < w {
                        pick = i;
                        break;
                    }
                    t -= w;
                }
                pick
            } else {
                rng.random_range(0..n)
            };
            centres.extend_from_slice(row(pick));
            for (i, v) in near.iter_mut().enumerate() {
                *v = v.min(dist2(row(i), row(pick)));
            }
        }
        let mut labels = vec![0usize; n];
        let mut inertia = f64::INFINITY;
        for _ in 0..300 {
            let (new, dists): (Vec<usize>, Vec<f64>) = (0..n)
                .into_par_iter()
                .map(|i| {
                    let mut b = (0, f64::INFINITY);
                    for c in 0..k {
                        let e = dist2(row(i), &centres[c * d..(c + 1) * d]);
                        if e < b.1 {
                            b = (c, e);
                        }
                    }
                    b
                })
                .unzip();
            let now: f64 = dists.iter().sum();
            let moved = new != labels;
            labels = new;
            inertia = now;
            // New centres: the means; an empty cluster takes the farthest point.
            let mut sums = vec![0.0; k * d];
            let mut counts = vec![0usize; k];
            for (i, &c) in labels.iter().enumerate() {
                counts[c] += 1;
                for (s, v) in sums[c * d..(c + 1) * d].iter_mut().zip(row(i)) {
                    *s += v;
                }
            }
            // An empty cluster takes one of the points farthest from their centres (each a
            // different one, taken out of its donor cluster).
            let mut refilled = false;
            let empty: Vec<usize> = (0..k).filter(|&c| counts[c] == 0).collect();
            if !empty.is_empty() {
                let mut far: Vec<usize> = (0..n).collect();
                far.sort_by(|&a, &b| dists[b].total_cmp(&dists[a]).then(a.cmp(&b)));
                let mut far = far.into_iter();
                for &c in &empty {
                    // The next far point whose cluster keeps a member without it.
                    let next = far.by_ref().find(|&i| counts[labels[i]] > 1);
                    if let Some(i) = next {
                        let donor = labels[i];
                        for (s, v) in sums[donor * d..(donor + 1) * d].iter_mut().zip(row(i)) {
                            *s -= v;
                        }
                        counts[donor] -= 1;
                        sums[c * d..(c + 1) * d].copy_from_slice(row(i));
                        counts[c] = 1;
                        labels[i] = c;
                        refilled = true;
                    }
                }
            }
            for c in 0..k {
                if counts[c] > 0 {
                    for s in &mut sums[c * d..(c + 1) * d] {
                        *s /= counts[c] as f64;
                    }
                }
            }
            centres = sums;
            if !moved && !refilled {
                break;
            }
        }
        if best.as_ref().is_none_or(|b| inertia < b.1) {
            best = Some((labels, inertia));
        }
    }
    best.expect("at least one restart")
}

/// Mean silhouette of `labels` over the points with distance matrix `d` (a point alone in its
/// cluster counts 0, as scikit-learn counts it).
pub fn silhouette(d: &Mat<f64>, labels: &[usize], k: usize) -> f64 {
    let n = labels.len();
    let k = labels.iter().map(|&c| c + 1).max().unwrap_or(0).max(k);
    if n == 0 || d.nrows() < n || d.ncols() < n {
        return 0.0;
    }
    let mut size = vec![0usize; k];
    for &c in labels {
        size[c] += 1;
    }
    // Per point in parallel, summed in order (a parallel sum's order would depend on the
    // threads' timing).
    let per: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut sum = vec![0.0; k];
            for j in 0..n {
                sum[labels[j]] += d[(i, j)];
            }
            let own = labels[i];
            if size[own] <= 1 {
                return 0.0;
            }
            let a = sum[own] / (size[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && size[c] > 0)
                .map(|c| sum[c] / size[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !b.is_finite() {
                return 0.0;
            }
            let m = a.max(b);
            if m > 0.0 {
                (b - a) / m
            } else {
                0.0
            }
        })
        .collect();
    per.iter().sum::<f64>() / n as f64
}

/// The consensus of `spectra` (the replicates' W, R·k × n, replicate r's component l in row
/// r·k + l) for rank `k`, and the usages of Y refitted against it (see the module's steps).
pub fn consensus(
    y: NmfData<'_>,
    spectra: &Mat<f64>,
    k: usize,
    params: &ConsensusParams,
) -> Result<Consensus> {
    let (pooled, n) = (spectra.nrows(), spectra.ncols());
    if k == 0 || pooled == 0 || pooled % k != 0 {
        return Err(SolverError::Shape(format!(
            "consensus of rank {k}: {pooled} pooled spectra are not a whole number of replicates"
        )));
    }
    if n != y.ncols() {
        return Err(SolverError::Shape(format!(
            "spectra have {n} entries, Y has {} columns",
            y.ncols()
        )));
    }
    params.check()?;
    let rho = params.local_neighborhood_size;
    let replicates = pooled / k;
    // 1. L2-normalised spectra. A dead component (all zero) or a non-finite one has no
    // direction: it takes no part (cNMF's normalisation would make it NaN).
    let norms: Vec<f64> = (0..pooled).map(|i| spectra.row(i).norm_l2()).collect();
    let live: Vec<usize> = (0..pooled)
        .filter(|&i| norms[i].is_finite() && norms[i] > 0.0)
        .collect();
    if live.len() < k {
        return Err(SolverError::Numerical(format!(
            "only {} of the {pooled} replicate spectra at rank {k} are nonzero and finite: fewer than k (the replicates' components died; try a lower rank)",
            live.len()
        )));
    }
    let unit = Mat::from_fn(live.len(), n, |a, j| spectra[(live[a], j)] / norms[live[a]]);
    // 2. The density filter.
    let nn = ((rho * replicates as f64) as usize).max(1);
    let density = local_density(&distances(&unit), nn);
    let rows: Vec<usize> = (0..live.len())
        .filter(|&a| density[a] < params.density_threshold)
        .collect();
    let mut kept = vec![false; pooled];
    for &a in &rows {
        kept[live[a]] = true;
    }
    if rows.len() < k {
        return Err(param(
            "density_threshold",
            format!(
                "{} of {pooled} spectra pass {} at rank {k}: fewer than k (raise it; 2 keeps all)",
                rows.len(),
                params.density_threshold
            ),
        ));
    }
    let points = Mat::from_fn(rows.len(), n, |i, j| unit[(rows[i], j)]);
    let clustered = cluster(y, &points, k, params)?;
    // cNMF's K-selection statistics are those of every spectrum (its density threshold 2).
    let (stability, error) = if rows.len() == live.len() {
        (clustered.stability, clustered.error)
    } else {
        let all = cluster(y, &unit, k, params)?;
        (all.stability, all.error)
    };
    Ok(Consensus {
        spectra: clustered.spectra,
        usage: clustered.usage,
        stability,
        error,
        kept,
        labels: clustered.labels,
        points,
        iterations: Vec::new(),
    })
}

/// Steps 3 to 6 on the unit spectra `points`.
struct Clustered {
    spectra: Mat<f64>,
    usage: Mat<f64>,
    stability: f64,
    error: f64,
    labels: Vec<usize>,
}

fn cluster(
    y: NmfData<'_>,
    points: &Mat<f64>,
    k: usize,
    params: &ConsensusParams,
) -> Result<Clustered> {
    let n = points.ncols();
    // 3. k-means.
    let flat = crate::linalg::row_major(points.as_ref());
    let (labels, _) = kmeans(&flat, n, k, params.kmeans_restarts, params.seed);
    // 4. Medians, scaled to sum 1.
    let mut spectra = Mat::<f64>::zeros(k, n);
    for c in 0..k {
        let members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        for j in 0..n {
            let mut v: Vec<f64> = members.iter().map(|&i| points[(i, j)]).collect();
            spectra[(c, j)] = median(&mut v);
        }
        let total: f64 = spectra.row(c).iter().sum();
        if total > 0.0 {
            for j in 0..n {
                spectra[(c, j)] /= total;
            }
        }
    }
    // 5. Stability.
    let stability = silhouette(&distances(points), &labels, k);
    // 6. Usages by NNLS with the spectra fixed: min ‖Y − HW‖ over H ≥ 0, row by row.
    let wwt = a_b(spectra.as_ref(), spectra.transpose());
    let ywt = y.times_wt(spectra.as_ref());
    let usage = nnls_robust(&wwt, ywt.transpose(), None)?
        .transpose()
        .to_owned();
    let hth = a_b(usage.transpose(), usage.as_ref());
    let fit = dot(usage.as_ref(), ywt.as_ref());
    let model = dot(hth.as_ref(), wwt.as_ref());
    let error = (y.frob_sq() - 2.0 * fit + model).max(0.0);
    Ok(Clustered {
        spectra,
        usage,
        stability,
        error,
        labels,
    })
}

/// The median of `v` (the mean of the two middle values for an even count; 0 when empty).
fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let h = v.len() / 2;
    if v.len() % 2 == 1 {
        v[h]
    } else {
        0.5 * (v[h - 1] + v[h])
    }
}

mod job;
pub use job::{ConsensusJob, HostOptions, Precision};

/// The replicates' iteration counts as they end (on any thread), in replicate order.
struct Iterations(std::sync::Mutex<Vec<usize>>);

impl Iterations {
    fn new(replicates: usize) -> Self {
        Self(std::sync::Mutex::new(vec![0; replicates]))
    }

    fn record(&self, replicate: usize, iterations: usize) {
        // A panic elsewhere cannot leave a count half-written: take the data as it is.
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v[replicate] = iterations;
    }

    fn into_vec(self) -> Vec<usize> {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// The seed of replicate 0 at rank `k` (replicate r takes this + r): `seed + k·2³²`, so that
/// the ranks' replicates never share a start.
pub fn replicate_seed(seed: u64, k: usize) -> u64 {
    seed.wrapping_add((k as u64) << 32)
}

/// Runs `job` on Y: per k of `job.ks` (in order), its consensus.
pub fn consensus_nmf(y: NmfData<'_>, job: &ConsensusJob) -> Result<Vec<Consensus>> {
    if job.ks.is_empty() {
        return Err(param("ks", "give at least one rank"));
    }
    job.ks
        .iter()
        .map(|&k| {
            let mut p = job.params.clone();
            p.rank = k;
            let (pooled, iterations) = replicate_spectra_counted(
                y,
                job.method,
                &p,
                job.replicates,
                replicate_seed(job.seed, k),
                job.host_options(),
                &|| {},
            )?;
            let mut c = consensus(y, &pooled, k, &job.consensus)?;
            c.iterations = iterations;
            Ok(c)
        })
        .collect()
}

/// The spectra (W, k × n each) of `replicates` fits of Y at rank `params.rank` by `method`,
/// replicate r from a random start with seed `seed + r` (and solver seed the same), pooled
/// R·k × n in replicate order. Replicates run on the thread pool, each as it would alone: the
/// same replicate gives the same bits whatever the others (tested).
pub fn replicate_spectra(
    y: NmfData<'_>,
    method: crate::nmf::NmfMethod,
    params: &crate::nmf::NmfParams,
    replicates: usize,
    seed: u64,
) -> Result<Mat<f64>> {
    replicate_spectra_with(
        y,
        method,
        params,
        replicates,
        seed,
        HostOptions::default(),
        &|_, _| {},
    )
}

/// [`replicate_spectra_with`], returning also each replicate's iterations (in replicate
/// order) and calling `each` as a replicate ends (for a progress bar).
pub fn replicate_spectra_counted(
    y: NmfData<'_>,
    method: crate::nmf::NmfMethod,
    params: &crate::nmf::NmfParams,
    replicates: usize,
    seed: u64,
    opts: HostOptions,
    each: &(dyn Fn() + Sync),
) -> Result<(Mat<f64>, Vec<usize>)> {
    let iterations = Iterations::new(replicates);
    let pooled = replicate_spectra_with(y, method, params, replicates, seed, opts, &|r, n| {
        iterations.record(r, n);
        each()
    })?;
    Ok((pooled, iterations.into_vec()))
}

/// [`replicate_spectra`] run as `opts` says, calling `done(r, iterations)` as
/// replicate r ends (for a progress bar and the iteration counts).
pub fn replicate_spectra_with(
    y: NmfData<'_>,
    method: crate::nmf::NmfMethod,
    params: &crate::nmf::NmfParams,
    replicates: usize,
    seed: u64,
    opts: HostOptions,
    done: &(dyn Fn(usize, usize) + Sync),
) -> Result<Mat<f64>> {
    if replicates == 0 {
        return Err(param("replicates", "must be at least 1"));
    }
    check_host_options(y, method, params, opts)?;
    let k = params.rank;
    if grouped_applies(y, method, params) || opts != HostOptions::default() {
        return grouped_hals(y, params, replicates, seed, opts, done);
    }
    let fits: Vec<Mat<f64>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let s = seed.wrapping_add(r as u64);
            let (h0, w0) = crate::nmf::nmf_start(y, k, crate::nmf::NmfInit::Random, s)?;
            let mut p = params.clone();
            p.seed = s;
            let fit = crate::nmf::nmf_from(method, y, &p, h0, w0)?;
            done(r, fit.convergence.iterations);
            Ok(fit.w)
        })
        .collect::<Result<_>>()?;
    Ok(pool(&fits, k, y.ncols()))
}

/// The replicates' W (k × n each) stacked in replicate order: R·k × n.
fn pool(ws: &[Mat<f64>], k: usize, n: usize) -> Mat<f64> {
    Mat::from_fn(ws.len() * k, n, |i, j| ws[i / k][(i % k, j)])
}

mod grouped;
use grouped::grouped_hals;
pub use grouped::{check_host_options, dense_products, grouped_applies, DENSE_PRODUCTS_DENSITY};

#[cfg(test)]
mod tests;
