//! Which rank k? Cross-validation on held-out entries (the answer of RcppML's `k = "auto"` and
//! nmf-rs's `cv_rank`): in each of `replicates` draws a random, speckled share of Y's observed
//! entries is held out, every k is fitted on the rest (as missing entries: `nmf_mask`), and its
//! error on the held-out entries is measured. Too small a k underfits them, too large a k fits
//! the noise of the training entries and misses them again; the chosen k is the smallest whose
//! mean held-out error lies within one standard deviation of the lowest mean (the one-sd rule).

use crate::plot::{line_plot_to, Series};
use anyhow::{bail, Context};
use faer::Mat;
use nmfnet_baselines::data::NmfData;
use nmfnet_baselines::nmf::{nmf_init, NmfMethod, NmfParams};
use nmfnet_baselines::nmf_mask::{nmf_masked, Missing};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

/// The largest k `auto` tries.
pub const AUTO_MAX_RANK: usize = 20;

/// How ranks are compared. In JSON every field but `ks` may be left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RankSelection {
    /// The ranks tried, increasing; empty: `auto`, 1 to min(m, n, [`AUTO_MAX_RANK`]).
    pub ks: Vec<usize>,
    /// Held-out draws; every k is fitted once per draw.
    pub replicates: usize,
    /// Share of the observed entries held out in each draw, in (0, 0.5].
    pub test_fraction: f64,
}

impl Default for RankSelection {
    fn default() -> Self {
        Self {
            ks: Vec::new(),
            replicates: 3,
            test_fraction: 0.1,
        }
    }
}

/// The ranks of a `--rank` value: `auto` (empty), `K`, `K1,K2,…` or `A-B`.
pub fn parse_ranks(s: &str) -> anyhow::Result<Vec<usize>> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Vec::new());
    }
    let bad = || {
        anyhow::anyhow!(
            "a rank is a whole number ≥ 1, `auto`, a list K1,K2,… or a range A-B; got {s:?}"
        )
    };
    let mut ks = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if let Some((a, b)) = part.split_once('-') {
            let (a, b): (usize, usize) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            );
            if a == 0 || b < a {
                return Err(bad());
            }
            ks.extend(a..=b);
        } else {
            let k: usize = part.parse().map_err(|_| bad())?;
            if k == 0 {
                return Err(bad());
            }
            ks.push(k);
        }
    }
    ks.sort_unstable();
    ks.dedup();
    Ok(ks)
}

/// The held-out errors of every k, and the k chosen.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RankCurve {
    pub ks: Vec<usize>,
    /// ‖Y − HW‖/‖Y‖ over the held-out entries, per k (outer) and draw (inner).
    pub test_error: Vec<Vec<f64>>,
    /// Mean and standard deviation (n − 1) of `test_error` over the draws, per k.
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// The same over the training entries (mean over the draws): it only falls with k.
    pub train_error: Vec<f64>,
    /// The smallest k whose mean lies within one sd of the lowest mean.
    pub chosen: usize,
    pub replicates: usize,
    pub test_fraction: f64,
    pub seconds: f64,
}

/// SplitMix64: the draws of the held-out entries (seeded, the same on every platform).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n ≥ 1; the modulo bias is below 2^-40 for the sizes held here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Draw `r`'s held-out entries: `fraction` of the entries not in `base`, uniformly, less those
/// of any row or column they would leave without an observed entry.
fn held_out(
    (m, n): (usize, usize),
    base: &HashSet<(usize, usize)>,
    fraction: f64,
    seed: u64,
) -> Vec<(usize, usize)> {
    let total = (m * n - base.len()) as f64;
    let want = (fraction * total).round() as usize;
    let mut rng = SplitMix(seed ^ 0x005E_ED0F_4E1D_0075);
    let mut chosen = HashSet::with_capacity(want);
    let cells = (m as u64) * (n as u64);
    while chosen.len() < want {
        let e = rng.below(cells);
        let pos = ((e / n as u64) as usize, (e % n as u64) as usize);
        if !base.contains(&pos) {
            chosen.insert(pos);
        }
    }
    let mut held: Vec<(usize, usize)> = chosen.into_iter().collect();
    held.sort_unstable();
    let (mut rows, mut cols) = (vec![0usize; m], vec![0usize; n]);
    for &(i, j) in base.iter().chain(held.iter()) {
        rows[i] += 1;
        cols[j] += 1;
    }
    held.retain(|&(i, j)| rows[i] < n && cols[j] < m);
    held
}

/// Cross-validates `ks` on Y (whose entries in `missing` are missing, held as 0) with
/// `method` and `params` (its rank aside); the starts are the seeded draws of `params.seed`
/// plus the draw's index.
pub fn select_rank(
    y: NmfData<'_>,
    missing: Option<&Missing>,
    method: NmfMethod,
    params: &NmfParams,
    sel: &RankSelection,
) -> anyhow::Result<RankCurve> {
    let started = Instant::now();
    let (m, n) = (y.nrows(), y.ncols());
    let mut ks = sel.ks.clone();
    if ks.is_empty() {
        ks = (1..=m.min(n).min(AUTO_MAX_RANK)).collect();
    }
    if ks.len() < 2 {
        bail!("`ks`: rank selection compares at least two ranks, got {ks:?}");
    }
    if let Some(&k) = ks.iter().find(|&&k| k == 0 || k > m.max(n)) {
        bail!(
            "`ks`: rank {k} is not between 1 and {} (the matrix size)",
            m.max(n)
        );
    }
    if !(1..=100).contains(&sel.replicates) {
        bail!(
            "`replicates` must lie between 1 and 100, got {}",
            sel.replicates
        );
    }
    let f = sel.test_fraction;
    if !(f > 0.0 && f <= 0.5) {
        bail!("`test_fraction` must lie in (0, 0.5], got {f}");
    }
    // Each draw holds its own training Y (the draws' fits run side by side): their memory first.
    let copy = match y {
        NmfData::Dense(_) | NmfData::Single(_) => (m * n) as f64 * 8.0,
        NmfData::Sparse(s) => s.nnz() as f64 * 32.0 + (m + n) as f64 * 16.0,
    };
    let held = f * (m * n) as f64 * 48.0;
    nmfnet_datasets::error::check_memory(
        format!(
            "rank selection's {} training copies of a {m} × {n} matrix",
            sel.replicates
        ),
        (sel.replicates as f64 * (copy + held)).min(u64::MAX as f64) as u64,
    )?;
    let base: HashSet<(usize, usize)> = missing
        .map(|ms| ms.positions().collect())
        .unwrap_or_default();
    // Each draw: its held-out entries, its missing set and its training Y.
    struct Draw {
        seed: u64,
        held: Vec<(usize, usize)>,
        missing: Missing,
        dense: Option<Mat<f64>>,
        sparse: Option<nmfnet_baselines::data::SparseMatrix>,
        den: f64,
    }
    let mut draws = Vec::with_capacity(sel.replicates);
    for r in 0..sel.replicates {
        let seed = params.seed.wrapping_add(r as u64);
        let held = held_out((m, n), &base, f, seed);
        if held.is_empty() {
            bail!("`test_fraction` {f} holds out no entry of a {m} × {n} matrix");
        }
        let all: Vec<(usize, usize)> = base.iter().copied().chain(held.iter().copied()).collect();
        let missing = Missing::new(m, n, &all)?;
        let (dense, sparse) = match y {
            NmfData::Dense(_) | NmfData::Single(_) => {
                let mut c = match y {
                    NmfData::Single(s) => s.to_f64(),
                    _ => Mat::from_fn(m, n, |i, j| y.get(i, j)),
                };
                for &(i, j) in &held {
                    c[(i, j)] = 0.0;
                }
                (Some(c), None)
            }
            NmfData::Sparse(s) => (None, Some(missing.drop_from(s)?)),
        };
        let den = held.iter().map(|&(i, j)| y.get(i, j).powi(2)).sum();
        draws.push(Draw {
            seed,
            held,
            missing,
            dense,
            sparse,
            den,
        });
    }
    // Every (draw, k) fit is independent: they run side by side (each the same whatever the
    // threads), in a fixed order of results.
    let tasks: Vec<(usize, usize)> = (0..draws.len())
        .flat_map(|r| (0..ks.len()).map(move |ki| (r, ki)))
        .collect();
    let results: Vec<anyhow::Result<(f64, f64)>> = tasks
        .par_iter()
        .map(|&(r, ki)| {
            let d = &draws[r];
            let k = ks[ki];
            let train: NmfData = match (&d.dense, &d.sparse) {
                (Some(c), _) => c.as_ref().into(),
                (None, Some(s)) => s.into(),
                (None, None) => unreachable!("a draw holds its training Y"),
            };
            let mut p = params.clone();
            p.rank = k;
            let (h0, w0) = nmf_init(train, k, d.seed);
            let fit = nmf_masked(method, train, &d.missing, &p, h0, w0)
                .with_context(|| format!("rank {k}, draw {r}"))?;
            let num: f64 = d
                .held
                .iter()
                .map(|&(i, j)| (y.get(i, j) - value(&fit.h, &fit.w, i, j)).powi(2))
                .sum();
            let test = if d.den > 0.0 {
                (num / d.den).sqrt()
            } else {
                num.sqrt()
            };
            Ok((test, fit.rel_error()))
        })
        .collect();
    let mut test_error = vec![Vec::with_capacity(sel.replicates); ks.len()];
    let mut train_sum = vec![0.0; ks.len()];
    for (&(_, ki), res) in tasks.iter().zip(results) {
        let (test, train) = res?;
        test_error[ki].push(test);
        train_sum[ki] += train;
    }
    let reps = sel.replicates as f64;
    let mean: Vec<f64> = test_error
        .iter()
        .map(|e| e.iter().sum::<f64>() / reps)
        .collect();
    let sd: Vec<f64> = test_error
        .iter()
        .zip(&mean)
        .map(|(e, mu)| {
            if e.len() < 2 {
                0.0
            } else {
                (e.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (reps - 1.0)).sqrt()
            }
        })
        .collect();
    let best = (0..ks.len())
        .min_by(|&a, &b| mean[a].total_cmp(&mean[b]))
        .expect("two ranks at least");
    let threshold = mean[best] + sd[best];
    let chosen = ks[(0..ks.len())
        .find(|&i| mean[i] <= threshold)
        .unwrap_or(best)];
    Ok(RankCurve {
        ks,
        test_error,
        mean,
        sd,
        train_error: train_sum.iter().map(|s| s / reps).collect(),
        chosen,
        replicates: sel.replicates,
        test_fraction: f,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// (HW)_ij.
fn value(h: &Mat<f64>, w: &Mat<f64>, i: usize, j: usize) -> f64 {
    (0..h.ncols()).map(|l| h[(i, l)] * w[(l, j)]).sum()
}

/// The figure of a curve: held-out error (mean, ± one sd) and training error against k.
pub fn rank_figure(svg: &Path, png: &Path, curve: &RankCurve) -> anyhow::Result<()> {
    // Overfitted ranks can miss the held-out entries by orders of magnitude: the axis stops
    // at 3× the lowest mean (the values, in the summary, are not cut).
    let lowest = curve.mean.iter().copied().fold(f64::INFINITY, f64::min);
    let cap = 3.0 * lowest.max(f64::MIN_POSITIVE);
    let at = |v: &[f64]| -> Vec<(f64, f64)> {
        curve
            .ks
            .iter()
            .zip(v)
            .map(|(&k, &e)| (k as f64, e.min(cap)))
            .collect()
    };
    let upper: Vec<f64> = curve
        .mean
        .iter()
        .zip(&curve.sd)
        .map(|(m, s)| m + s)
        .collect();
    let lower: Vec<f64> = curve
        .mean
        .iter()
        .zip(&curve.sd)
        .map(|(m, s)| m - s)
        .collect();
    let series = [
        Series {
            label: format!("held-out error (mean of {})", curve.replicates),
            points: at(&curve.mean),
        },
        Series {
            label: "mean + sd".into(),
            points: at(&upper),
        },
        Series {
            label: "mean − sd".into(),
            points: at(&lower),
        },
        Series {
            label: "training error".into(),
            points: at(&curve.train_error),
        },
    ];
    line_plot_to(
        svg,
        png,
        &format!("rank selection: k = {} chosen", curve.chosen),
        "k",
        "relative error",
        &series,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_parse_from_lists_ranges_and_auto() {
        assert_eq!(parse_ranks("auto").unwrap(), Vec::<usize>::new());
        assert_eq!(parse_ranks("4, 2,2-3").unwrap(), vec![2, 3, 4]);
        for bad in ["0", "3-1", "a", "1,,2", "-2"] {
            assert!(parse_ranks(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn held_out_entries_are_the_share_asked_and_leave_every_row_and_column_observed() {
        let base: HashSet<(usize, usize)> = [(0, 0), (1, 1)].into_iter().collect();
        let a = held_out((30, 20), &base, 0.2, 7);
        assert_eq!(a, held_out((30, 20), &base, 0.2, 7), "seeded");
        assert_ne!(a, held_out((30, 20), &base, 0.2, 8));
        assert_eq!(a.len(), ((600 - 2) as f64 * 0.2).round() as usize);
        assert!(a.iter().all(|p| !base.contains(p)));
        // A 2 × 2 matrix at one half: no row or column may lose both its entries.
        for seed in 0..50 {
            let h = held_out((2, 2), &HashSet::new(), 0.5, seed);
            let all: Vec<_> = h.clone();
            assert!(Missing::new(2, 2, &all).is_ok(), "{h:?}");
        }
    }
}
