//! Approximate nearest neighbours for large n: HNSW graphs (`instant-distance`), candidates
//! rescored exactly.
//!
//! The exact blocked search ([`super::exact`]) costs n²·d multiply-adds; at n = 70,000 and
//! d = 784 that is a minute on two cores, and it grows with n². This search builds hierarchical
//! navigable small-world graphs instead and asks them for each row's neighbours:
//!
//! 0. **Projection.** The graphs navigate by distances between the rows projected on their
//!    leading principal axes ([`HnswParams::dims`], 96 by default): a 784-pixel distance costs
//!    8× a 96-axis one, and the exact rescoring (3.) repairs the order.
//! 1. **Shards, for determinism.** A parallel HNSW insert depends on the threads' timing, so the
//!    same seed would not give the same graph. The rows are split into `T` contiguous shards
//!    (`T` = the threads available), and each shard's index is built by one thread with its
//!    own seed — the same index whatever the timing. Every row is then searched in every shard.
//! 2. **Candidates.** Each shard returns the `ef` points nearest to the row as its graph finds
//!    them (f32 squared distances); the row itself is dropped.
//! 3. **Exact finish.** The candidates of all shards are rescored with the exact search's
//!    `Distances::get` and sorted by (distance, index), so every neighbour found carries the
//!    distance and tie order the exact search gives it; only a missed neighbour differs.
//!
//! Recall against the exact lists is measured by [`recall`]; `results/scale/` records it.

use super::{nearest, Distances};
use crate::matrix::Dense;
use crate::progress::Progress;
use instant_distance::{Builder, Hnsw, Point, Search};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Parameters of the approximate search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HnswParams {
    /// Candidates kept while building (efConstruction) and per shard when searching (ef), at
    /// least `need + 1`: larger is slower and finds more of the true neighbours.
    pub ef: usize,
    /// Seed of the levels drawn for the points.
    pub seed: u64,
    /// The graphs navigate by distances between the rows projected on this many principal
    /// axes (0, at least the feature count, more than [`MAX_PROJECTED_FEATURES`] features or
    /// fewer rows than features: the rows themselves); candidates are rescored in full.
    pub dims: usize,
}

/// `dims` when none is given: with [`DEFAULT_EF`], recall@17 0.961 at 5.8× less time than the
/// exact search on full MNIST (`results/scale/mnist_full.md`; chosen by recall, no labels).
pub const DEFAULT_DIMS: usize = 96;

/// The projection's d × d eigenproblem costs O(d³): beyond this many features (or with fewer
/// rows than features) the graphs navigate on the rows themselves.
pub const MAX_PROJECTED_FEATURES: usize = 2048;

/// `ef` when none is given (raised to `need + 1` when that is larger).
pub const DEFAULT_EF: usize = 18;

impl Default for HnswParams {
    fn default() -> Self {
        Self {
            ef: DEFAULT_EF,
            seed: 0,
            dims: DEFAULT_DIMS,
        }
    }
}

/// Squared Euclidean distance in f32, 16 lanes at a time: the portable form, and the
/// reference of the vector forms below.
#[inline(always)]
fn sq_dist_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..16 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += (x - y) * (x - y);
    }
    s
}

/// The same loop compiled for AVX-512 or AVX2 + FMA (the build targets plain x86-64): HNSW
/// spends nearly all its time here.
#[cfg(target_arch = "x86_64")]
mod wide {
    #[target_feature(enable = "avx512f")]
    pub(super) fn avx512(a: &[f32], b: &[f32]) -> f32 {
        super::sq_dist_portable(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn avx2(a: &[f32], b: &[f32]) -> f32 {
        super::sq_dist_portable(a, b)
    }
}

type DistFn = fn(&[f32], &[f32]) -> f32;

/// The widest form this processor runs, chosen once.
fn dist_fn() -> DistFn {
    static CHOSEN: std::sync::OnceLock<DistFn> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor has AVX-512F, checked just above.
                return |a, b| unsafe { wide::avx512(a, b) };
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the processor has AVX2 and FMA, checked just above.
                return |a, b| unsafe { wide::avx2(a, b) };
            }
        }
        sq_dist_portable
    })
}

fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    (dist_fn())(a, b)
}

/// The rows of `z` on its `dims` leading principal axes (an f32 Gram matrix by GEMM, centred
/// in f64, its eigenvectors): distances between projected rows approximate the full ones with
/// the variance the other axes hold left out. Translation does not change distances, so the
/// rows are projected uncentred.
fn project(z: &Dense, dims: usize) -> Dense {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, Mat, MatRef, Par, Side};
    let (n, d) = (z.nrows(), z.ncols());
    let zr = MatRef::from_row_major_slice(z.data(), n, d);
    let par = Par::rayon(threads());
    let mut gram = Mat::<f32>::zeros(d, d);
    matmul(
        gram.as_mut(),
        Accum::Replace,
        zr.transpose(),
        zr,
        1.0f32,
        par,
    );
    let mut mean = vec![0.0f64; d];
    for i in 0..n {
        for (m, &v) in mean.iter_mut().zip(z.row(i)) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let cov = Mat::<f64>::from_fn(d, d, |a, b| {
        gram[(a, b)] as f64 - n as f64 * mean[a] * mean[b]
    });
    let axes = match cov.self_adjoint_eigen(Side::Lower) {
        Ok(e) => e.U().to_owned(),
        // No decomposition (it does not fail on finite input): the leading coordinates.
        Err(_) => Mat::<f64>::identity(d, d),
    };
    // Eigenvalues ascend: the last `dims` columns are the leading axes.
    let lead = Mat::<f32>::from_fn(d, dims, |a, c| axes[(a, d - 1 - c)] as f32);
    let mut out = Mat::<f32>::zeros(n, dims);
    matmul(out.as_mut(), Accum::Replace, zr, lead.as_ref(), 1.0f32, par);
    Dense::new(
        n,
        dims,
        (0..n)
            .flat_map(|i| (0..dims).map(move |c| (i, c)))
            .map(|(i, c)| out[(i, c)])
            .collect(),
    )
    .expect("n × dims values")
}

/// A row of the feature matrix with its index.
#[derive(Clone, Copy)]
struct Row<'a> {
    index: u32,
    values: &'a [f32],
}

impl Point for Row<'_> {
    fn distance(&self, other: &Self) -> f32 {
        sq_dist(self.values, other.values)
    }
}

/// Mixes the seed and a shard number into that shard's seed.
fn shard_seed(seed: u64, shard: usize) -> u64 {
    let mut z = seed ^ (shard as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 29)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |t| t.get())
}

/// The `need` nearest other rows of every row of `z` (squared distances of
/// `Distances::get`, nearest first, ties by the smaller index), as the HNSW search finds
/// them. The same `params` give the same lists on every run with the same number of threads
/// available (it sets the shard count). `need` must be below `z.nrows()`.
pub fn approx_nearest_lists(
    z: &Dense,
    need: usize,
    params: HnswParams,
    progress: Progress,
) -> Vec<Vec<(usize, f64)>> {
    let n = z.nrows();
    assert!(
        need >= 1 && need < n,
        "need {need} neighbours of {n} points"
    );
    assert!(n < u32::MAX as usize, "{n} rows do not fit u32 indices");
    let ef = params.ef.max(need + 1);
    let (d, dims) = (z.ncols(), params.dims);
    let projected =
        (dims > 0 && dims < d && d <= MAX_PROJECTED_FEATURES && d < n).then(|| project(z, dims));
    let nav = projected.as_ref().unwrap_or(z);
    let rows: Vec<Row> = (0..n)
        .map(|i| Row {
            index: i as u32,
            values: nav.row(i),
        })
        .collect();
    // Shards of at least a few thousand rows: a small index is searched as fast as a large one.
    let shards = threads().min(n.div_ceil(4096)).max(1);
    let size = n.div_ceil(shards);
    let indexes: Vec<Hnsw<Row>> = rows
        .par_chunks(size)
        .enumerate()
        .map(|(k, part)| {
            // A pool of one thread per shard: the insertion order, hence the graph, is fixed.
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("a one-thread pool");
            pool.install(|| {
                Builder::default()
                    .ef_construction(ef)
                    .ef_search(ef)
                    .seed(shard_seed(params.seed, k))
                    .build_hnsw(part.to_vec())
                    .0
            })
        })
        .collect();
    progress(0, n);

    let dist = Distances::new(z);
    let block = 1024;
    let done = AtomicUsize::new(0);
    let search_block = |(search, cands): &mut (Search, Vec<usize>), r0: usize| {
        let r1 = (r0 + block).min(n);
        let lists: Vec<Vec<(usize, f64)>> = (r0..r1)
            .map(|i| {
                cands.clear();
                for index in &indexes {
                    cands.extend(
                        index
                            .search(&rows[i], search)
                            .map(|item| item.point.index as usize)
                            .filter(|&j| j != i),
                    );
                }
                cands.sort_unstable();
                cands.dedup();
                let mut exact: Vec<(usize, f64)> =
                    cands.iter().map(|&j| (j, dist.get(i, j))).collect();
                exact.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                exact.truncate(need);
                exact
            })
            .collect();
        let rows_done = done.fetch_add(r1 - r0, Ordering::Relaxed) + (r1 - r0);
        progress(rows_done, n);
        lists
    };
    let parts: Vec<Vec<Vec<(usize, f64)>>> = (0..n.div_ceil(block))
        .into_par_iter()
        .map_init(
            || (Search::default(), Vec::with_capacity(ef * indexes.len())),
            |scratch, b| search_block(scratch, b * block),
        )
        .collect();
    // A shard smaller than `need + 1` cannot fill a list; neither can an unlucky search.
    // Such rows (rare) take the exact search's list.
    parts
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, l)| {
            if l.len() == need {
                l
            } else {
                let mut order = Vec::with_capacity(n);
                nearest(n, i, need, |j| dist.get(i, j), &mut order)
            }
        })
        .collect()
}

/// Recall@k of `found` against `exact`: the fraction of the exact lists' members (the first
/// `k` of each) that the found lists (their first `k`) contain.
pub fn recall(found: &[Vec<(usize, f64)>], exact: &[Vec<(usize, f64)>], k: usize) -> f64 {
    assert_eq!(found.len(), exact.len(), "lists of different data sets");
    let mut hit = 0usize;
    let mut all = 0usize;
    for (f, e) in found.iter().zip(exact) {
        let f: Vec<usize> = f.iter().take(k).map(|x| x.0).collect();
        for x in e.iter().take(k) {
            all += 1;
            hit += f.contains(&x.0) as usize;
        }
    }
    hit as f64 / all.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neighbours::{nearest_lists, KnnSearch};
    use crate::progress::no_progress;

    /// Points around `c` centres in `d` dimensions (a seeded LCG).
    fn clustered(n: usize, d: usize, c: usize, seed: u64) -> Dense {
        let mut state = seed
            .wrapping_mul(2862933555777941757)
            .wrapping_add(3037000493);
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let centres: Vec<f32> = (0..c * d).map(|_| next() * 4.0).collect();
        let data = (0..n)
            .flat_map(|i| {
                let k = i % c;
                (0..d)
                    .map(|t| centres[k * d + t] + next() - 0.5)
                    .collect::<Vec<_>>()
            })
            .collect();
        Dense::new(n, d, data).unwrap()
    }

    #[test]
    fn distance_is_the_plain_sum() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.25).collect();
        let b: Vec<f32> = (0..37).map(|i| (i * i % 7) as f32).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!((sq_dist(&a, &b) - plain).abs() <= 1e-5 * plain);
        assert!((sq_dist_portable(&a, &b) - plain).abs() <= 1e-5 * plain);
    }

    #[test]
    fn finds_most_true_neighbours_with_exact_distances_and_is_seeded() {
        let z = clustered(6000, 24, 12, 1);
        let need = 13;
        let exact = nearest_lists(&z, need, &no_progress);
        let params = HnswParams {
            ef: 48,
            seed: 3,
            dims: 0,
        };
        let found = approx_nearest_lists(&z, need, params, &no_progress);
        let r = recall(&found, &exact, need);
        assert!(r > 0.95, "recall {r}");
        // What is found carries the exact distance, in the exact order, never the row itself.
        let dist = Distances::new(&z);
        for (i, l) in found.iter().enumerate() {
            assert_eq!(l.len(), need);
            assert!(l.iter().all(|&(j, d)| j != i && d == dist.get(i, j)));
            assert!(l
                .windows(2)
                .all(|w| w[0].1 < w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0)));
        }
        // The same seed gives the same lists; a larger ef finds at least as much.
        assert_eq!(found, approx_nearest_lists(&z, need, params, &no_progress));
        let wide = approx_nearest_lists(
            &z,
            need,
            HnswParams {
                ef: 200,
                seed: 3,
                dims: 0,
            },
            &no_progress,
        );
        assert!(recall(&wide, &exact, need) >= r - 1e-3);
        // With a decaying spectrum (column t scaled by 0.7^t, as image pixels' variance decays
        // along their principal axes), navigating on 8 of the 24 axes still finds them.
        let decayed = Dense::new(
            z.nrows(),
            z.ncols(),
            z.data()
                .iter()
                .enumerate()
                .map(|(e, &v)| v * 0.7f32.powi((e % z.ncols()) as i32))
                .collect(),
        )
        .unwrap();
        let exact_decayed = nearest_lists(&decayed, need, &no_progress);
        let on_axes = HnswParams {
            ef: 48,
            seed: 3,
            dims: 8,
        };
        let pca = approx_nearest_lists(&decayed, need, on_axes, &no_progress);
        let rp = recall(&pca, &exact_decayed, need);
        assert!(rp > 0.95, "recall on 8 axes {rp}");
        // The recall measure itself: the exact lists against themselves, and against nothing.
        assert_eq!(recall(&exact, &exact, need), 1.0);
        let empty: Vec<Vec<(usize, f64)>> = vec![Vec::new(); exact.len()];
        assert_eq!(recall(&empty, &exact, need), 0.0);
    }

    #[test]
    fn search_names_parse_back() {
        for text in ["exact", "hnsw:64", "hnsw:7"] {
            assert_eq!(KnnSearch::parse(text).unwrap().name(), text);
        }
        assert_eq!(
            KnnSearch::parse("hnsw").unwrap(),
            KnnSearch::Hnsw(HnswParams::default())
        );
        for bad in ["hnsw:0", "hnsw:x", "hnsw:5000", "annoy", "exact:3"] {
            assert!(KnnSearch::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn small_inputs_fall_back_to_full_lists() {
        // Fewer rows than ef: every list is still full and exact.
        let z = clustered(40, 5, 3, 2);
        let found = approx_nearest_lists(&z, 39, HnswParams::default(), &no_progress);
        let exact = nearest_lists(&z, 39, &no_progress);
        assert_eq!(found, exact);
    }
}
