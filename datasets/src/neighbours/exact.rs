//! Exact nearest neighbours of the rows of a feature matrix, by Euclidean distance, in blocks.
//!
//! The distances that decide a neighbour list are the ones `Distances::get` computes in f64
//! (`‖z_i‖² + ‖z_j‖² − 2 z_i·z_j`, clamped at 0), and ties go to the smaller index. A plain
//! search computes all n of them for every row: n²·d multiply-adds at scalar speed, 40 minutes
//! for the 70,000 MNIST images. The blocked search gets the same lists in a minute:
//!
//! 1. **Screening.** The products of a block of rows with a block of columns come from one f32
//!    GEMM (faer); `key_j = ‖z_j‖² − 2 g_ij` orders the columns of row i as the distances do.
//!    Each row keeps the `need + EXTRA` smallest keys in a heap, block after block, so memory is
//!    O(n·need) plus one block of products per thread — never n².
//! 2. **Certificate.** An f32 dot product of length d is off by at most `γ_d ‖z_i‖‖z_j‖`
//!    (`γ_d = d·u / (1 − d·u)`, `u = 2⁻²⁴`, any summation order). So every key is within
//!    `δ_i = 2 γ_d ‖z_i‖ max_j ‖z_j‖` (plus f64 rounding) of the exact distance minus `‖z_i‖²`.
//!    When the largest kept key exceeds the `need`-th smallest by more than `2 δ_i`, no point
//!    outside the heap can be among the `need` nearest: its exact distance is larger than that
//!    of `need` kept points.
//! 3. **Exact finish.** The kept candidates are rescored with `Distances::get` and sorted by
//!    (distance, index). A row whose certificate fails (many points at nearly one distance, e.g.
//!    duplicates) is searched by the plain scan instead, so the result is always the plain
//!    search's, bit for bit; tests check that on random and adversarial data.

use super::{nearest, Distances};
use crate::matrix::Dense;
use crate::progress::Progress;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Neighbour lists of consecutive rows: (index, squared distance), nearest first.
type Lists = Vec<Vec<(usize, f64)>>;

/// Rows of one GEMM block (columns of the product buffer).
const ROW_BLOCK: usize = 256;
/// Columns of one GEMM block.
const COL_BLOCK: usize = 2048;
/// Candidates kept per row beyond the `need` asked for: the certificate's margin.
const EXTRA: usize = 16;

/// A heap entry ordered by (key, index): the heap's top is the worst candidate kept.
#[derive(Clone, Copy, PartialEq)]
struct Cand(f64, usize);
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// How a search went: rows settled by the certificate, rows that needed the plain scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub certified: usize,
    pub rescanned: usize,
}

/// The `need` nearest other rows of every row of `z` with their squared distances
/// (`Distances::get`), nearest first, ties by the smaller index — the plain search's lists —
/// by blocked GEMM screening (see the module notes). `need` must be below `z.nrows()`.
pub fn nearest_lists(z: &Dense, need: usize, progress: Progress) -> Vec<Vec<(usize, f64)>> {
    nearest_lists_stats(z, need, progress).0
}

/// [`nearest_lists`] with the count of rows the certificate settled.
pub fn nearest_lists_stats(
    z: &Dense,
    need: usize,
    progress: Progress,
) -> (Vec<Vec<(usize, f64)>>, SearchStats) {
    let (n, d) = (z.nrows(), z.ncols());
    assert!(
        need >= 1 && need < n,
        "need {need} neighbours of {n} points"
    );
    // The exact finish always uses z's own distances; the screening runs on z, or on z times a
    // power of two when z's products would leave the range where f32 keeps its relative
    // precision (overflow to infinity, or subnormal underflow). Scaling by a power of two is
    // exact, so it changes no key's order.
    let dist = Distances::new(z);
    let scaled = screening_copy(z, &dist);
    let scaled_dist;
    let (zs, screen) = match &scaled {
        Some(copy) => {
            scaled_dist = Distances::new(copy);
            (copy, &scaled_dist)
        }
        None => (z, &dist),
    };
    let keep = (need + EXTRA).min(n - 1);
    let norm: Vec<f64> = screen.norms.iter().map(|s| s.sqrt()).collect();
    let max_norm = norm.iter().cloned().fold(0.0f64, f64::max);
    let u = f32::EPSILON as f64 / 2.0;
    let gamma = d as f64 * u / (1.0 - d as f64 * u);
    let zref = MatRef::from_row_major_slice(zs.data(), n, d);
    let blocks = n.div_ceil(ROW_BLOCK);
    let done = AtomicUsize::new(0);
    // One block of rows per task; each worker keeps its product buffer across its blocks. The
    // lists do not depend on which worker ran a block: the GEMM inside a block is sequential
    // and the exact finish decides every list.
    let parts: Vec<(Lists, SearchStats)> = (0..blocks)
        .into_par_iter()
        .map_init(
            || (Mat::<f32>::zeros(COL_BLOCK, ROW_BLOCK), Vec::new()),
            |(g, order), b| {
                let r0 = b * ROW_BLOCK;
                let rb = ROW_BLOCK.min(n - r0);
                let mut heaps: Vec<BinaryHeap<Cand>> = (0..rb)
                    .map(|_| BinaryHeap::with_capacity(keep + 1))
                    .collect();
                let zr = zref.subrows(r0, rb).transpose();
                let mut c0 = 0;
                while c0 < n {
                    let cb = COL_BLOCK.min(n - c0);
                    matmul(
                        g.as_mut().submatrix_mut(0, 0, cb, rb),
                        Accum::Replace,
                        zref.subrows(c0, cb),
                        zr,
                        1.0f32,
                        Par::Seq,
                    );
                    for (li, heap) in heaps.iter_mut().enumerate() {
                        screen_block(
                            heap,
                            r0 + li,
                            c0,
                            &g.col_as_slice(li)[..cb],
                            &screen.norms[c0..c0 + cb],
                            keep,
                        );
                    }
                    c0 += cb;
                }
                let mut stats = SearchStats::default();
                let lists = heaps
                    .into_iter()
                    .enumerate()
                    .map(|(li, heap)| {
                        let i = r0 + li;
                        let cands = heap.into_sorted_vec();
                        let delta = 2.0 * gamma * norm[i] * max_norm * (1.0 + 1e-6)
                            + 1e-12 * (screen.norms[i] + max_norm * max_norm);
                        // A heap that did not fill (keys that are not numbers: products that
                        // overflow f32) certifies nothing: the row is scanned plainly in f64.
                        let certified = cands.len() == n - 1
                            || (cands.len() == keep
                                && cands[keep - 1].0 - cands[need - 1].0 > 2.0 * delta);
                        if certified {
                            stats.certified += 1;
                            let mut exact: Vec<(usize, f64)> =
                                cands.iter().map(|c| (c.1, dist.get(i, c.1))).collect();
                            exact.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                            exact.truncate(need);
                            exact
                        } else {
                            stats.rescanned += 1;
                            nearest(n, i, need, |j| dist.get(i, j), order)
                        }
                    })
                    .collect();
                let rows = done.fetch_add(rb, Ordering::Relaxed) + rb;
                progress(rows, n);
                (lists, stats)
            },
        )
        .collect();
    let mut stats = SearchStats::default();
    let mut out = Vec::with_capacity(n);
    for (lists, s) in parts {
        stats.certified += s.certified;
        stats.rescanned += s.rescanned;
        out.extend(lists);
    }
    (out, stats)
}

/// Pushes the columns `c0..` of one block of products into row `i`'s heap of the `keep`
/// smallest keys `‖z_j‖² − 2 g_ij`.
fn screen_block(
    heap: &mut BinaryHeap<Cand>,
    i: usize,
    c0: usize,
    col: &[f32],
    norms: &[f64],
    keep: usize,
) {
    let mut worst = if heap.len() == keep {
        heap.peek().map_or(f64::INFINITY, |c| c.0)
    } else {
        f64::INFINITY
    };
    for (lj, (&gij, &nj)) in col.iter().zip(norms).enumerate() {
        let key = nj - 2.0 * gij as f64;
        // Columns come in increasing index, so an equal key never displaces the kept one
        // (ties go to the smaller index).
        if key < worst {
            let j = c0 + lj;
            if j == i {
                continue;
            }
            heap.push(Cand(key, j));
            if heap.len() > keep {
                heap.pop();
            }
            if heap.len() == keep {
                worst = heap.peek().map_or(f64::INFINITY, |c| c.0);
            }
        }
    }
}

/// Products of rows of `z` must stay within this range (in absolute value) for the f32
/// screening: well inside the normal numbers, so its error bound holds.
const SAFE_PRODUCT: f64 = 1e30;

/// `z` times a power of two that brings its largest squared row norm near 1, when the
/// screening's f32 products of `z` itself could overflow or become subnormal; `None` when `z`
/// is fine as it is (or all zero).
fn screening_copy(z: &Dense, dist: &Distances) -> Option<Dense> {
    let largest = dist.norms.iter().cloned().fold(0.0f64, f64::max);
    if largest == 0.0 || (1.0 / SAFE_PRODUCT..=SAFE_PRODUCT).contains(&largest) {
        return None;
    }
    let k = (largest.log2() / 2.0).round() as i32;
    let factor = 2f64.powi(-k) as f32;
    let data = z.data().iter().map(|&v| v * factor).collect();
    Some(Dense::new(z.nrows(), z.ncols(), data).expect("the same shape"))
}

/// The plain search: every distance of every row (O(n²·d), memory O(n) per thread); the
/// reference the blocked search is tested against.
pub fn nearest_lists_plain(z: &Dense, need: usize) -> Vec<Vec<(usize, f64)>> {
    let n = z.nrows();
    assert!(
        need >= 1 && need < n,
        "need {need} neighbours of {n} points"
    );
    let dist = Distances::new(z);
    (0..n)
        .into_par_iter()
        .map_init(Vec::new, |order, i| {
            nearest(n, i, need, |j| dist.get(i, j), order)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::no_progress;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    fn random(n: usize, d: usize, seed: u64, levels: Option<u32>) -> Dense {
        let mut rng = StdRng::seed_from_u64(seed);
        let data = (0..n * d)
            .map(|_| match levels {
                // Few distinct values: many exactly equal distances.
                Some(l) => rng.random_range(0..l) as f32 / l as f32,
                None => rng.random::<f32>(),
            })
            .collect();
        Dense::new(n, d, data).unwrap()
    }

    #[test]
    fn blocked_search_is_the_plain_search() {
        // Sizes around the block edges, several dimensions, continuous and tied values.
        for (n, d, need, seed, levels) in [
            (30, 3, 7, 1, None),
            (300, 17, 12, 2, None),
            (2100, 8, 12, 3, None),
            (2049, 64, 17, 4, Some(3)),
            (600, 2, 20, 5, Some(2)),
            (257, 784, 9, 6, Some(256)),
        ] {
            let z = random(n, d, seed, levels);
            let (blocked, stats) = nearest_lists_stats(&z, need, &no_progress);
            let plain = nearest_lists_plain(&z, need);
            assert_eq!(blocked.len(), n);
            for i in 0..n {
                assert_eq!(blocked[i], plain[i], "row {i} of {n}×{d}, need {need}");
            }
            assert_eq!(stats.certified + stats.rescanned, n);
            eprintln!("{n}×{d}: {stats:?}");
        }
    }

    #[test]
    fn duplicates_fall_back_to_the_plain_scan() {
        // 40 copies of each of 10 points: every row has 39 others at distance 0, more than the
        // heap keeps, so no certificate can hold and every row is rescanned.
        let base = random(10, 5, 7, None);
        let mut data = Vec::new();
        for _ in 0..40 {
            data.extend_from_slice(base.data());
        }
        let z = Dense::new(400, 5, data).unwrap();
        let (blocked, stats) = nearest_lists_stats(&z, 9, &no_progress);
        assert_eq!(blocked, nearest_lists_plain(&z, 9));
        assert_eq!(stats.rescanned, 400);
    }

    #[test]
    fn entries_beyond_f32_products_are_searched_exactly() {
        // Entries near 1e19: their f32 products overflow (the search read past a heap that
        // infinite keys left unfilled, and certified wrong lists); near 1e-22 they underflow to
        // subnormals, where f32 loses its relative precision. The screening runs on a copy
        // scaled by a power of two instead; the lists are the plain search's.
        for scale in [1e19f32, 3e18, -1e19, 1e-22, 3e-20] {
            let mut z = random(60, 5, 11, None);
            for v in z.data_mut() {
                *v = (*v + 0.25) * scale;
            }
            let (blocked, stats) = nearest_lists_stats(&z, 6, &no_progress);
            assert_eq!(blocked, nearest_lists_plain(&z, 6), "scale {scale}");
            assert_eq!(stats.certified + stats.rescanned, 60);
        }
    }

    #[test]
    fn progress_reaches_every_row() {
        let z = random(1000, 4, 8, None);
        let last = AtomicUsize::new(0);
        let calls = AtomicUsize::new(0);
        nearest_lists(&z, 5, &|done, total| {
            assert_eq!(total, 1000);
            last.fetch_max(done, Ordering::Relaxed);
            calls.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(last.into_inner(), 1000);
        assert_eq!(calls.into_inner(), 1000usize.div_ceil(ROW_BLOCK));
    }
}
