//! Nearest neighbours of the rows of a feature matrix, by Euclidean distance: the exact blocked
//! search ([`exact`]) and the approximate HNSW search ([`hnsw`]), chosen by [`KnnSearch`].
//!
//! Both finish with the same exact distances (`Distances::get`) and the same tie order (the
//! smaller index first), so a neighbour found carries the same distance whichever search found
//! it, and the exact search gives the plain scan's lists bit for bit.

pub mod exact;
pub mod hnsw;

pub use exact::{nearest_lists, nearest_lists_plain, nearest_lists_stats, SearchStats};
pub use hnsw::{approx_nearest_lists, recall, HnswParams};

use crate::matrix::Dense;
use crate::progress::Progress;
use serde::{Deserialize, Serialize};

/// How the neighbour lists of a Euclidean kNN graph are found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnnSearch {
    /// Every distance, in GEMM blocks ([`exact::nearest_lists`]): the true neighbours.
    #[default]
    Exact,
    /// [`hnsw::approx_nearest_lists`] with HNSW graphs.
    Hnsw(HnswParams),
}

impl KnnSearch {
    /// `exact`, `hnsw` or `hnsw:EF` (EF in 1..=4096; the seed is 0, the axes
    /// [`hnsw::DEFAULT_DIMS`]).
    pub fn parse(text: &str) -> std::result::Result<KnnSearch, String> {
        match text.split_once(':') {
            None if text == "exact" => Ok(KnnSearch::Exact),
            None if text == "hnsw" => Ok(KnnSearch::Hnsw(HnswParams::default())),
            Some(("hnsw", ef)) => match ef.parse::<usize>() {
                Ok(ef) if (1..=4096).contains(&ef) => Ok(KnnSearch::Hnsw(HnswParams {
                    ef,
                    ..HnswParams::default()
                })),
                _ => Err(format!("hnsw:EF needs EF in 1..=4096, got '{ef}'")),
            },
            _ => Err(format!(
                "unknown neighbour search '{text}': expected exact, hnsw or hnsw:EF"
            )),
        }
    }

    /// The text [`KnnSearch::parse`] reads back (the seed aside).
    pub fn name(self) -> String {
        match self {
            KnnSearch::Exact => "exact".into(),
            KnnSearch::Hnsw(p) => format!("hnsw:{}", p.ef),
        }
    }

    /// The `need` nearest other rows of every row of `z`, nearest first (see
    /// [`exact::nearest_lists`] and [`hnsw::approx_nearest_lists`]).
    pub fn lists(self, z: &Dense, need: usize, progress: Progress) -> Vec<Vec<(usize, f64)>> {
        match self {
            KnnSearch::Exact => exact::nearest_lists(z, need, progress),
            KnnSearch::Hnsw(p) => approx_nearest_lists(z, need, p, progress),
        }
    }
}

/// Dot product with eight independent `f64` accumulators (vectorises well).
#[allow(clippy::needless_range_loop)] // the index form is what the vectoriser likes here
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        for l in 0..8 {
            let k = c * 8 + l;
            acc[l] += a[k] as f64 * b[k] as f64;
        }
    }
    let mut s: f64 = acc.iter().sum();
    for k in chunks * 8..a.len() {
        s += a[k] as f64 * b[k] as f64;
    }
    s
}

/// Squared distances as every route computes them: symmetric in (i, j) bit for bit.
pub(crate) struct Distances<'a> {
    z: &'a Dense,
    norms: Vec<f64>,
}

impl<'a> Distances<'a> {
    pub(crate) fn new(z: &'a Dense) -> Self {
        let norms = (0..z.nrows())
            .map(|i| dot_f32(z.row(i), z.row(i)))
            .collect();
        Self { z, norms }
    }
    pub(crate) fn get(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return 0.0;
        }
        let (a, b) = (i.min(j), i.max(j));
        (self.norms[a] + self.norms[b] - 2.0 * dot_f32(self.z.row(a), self.z.row(b))).max(0.0)
    }
}

/// The `need` nearest others of `i` by `key` (smaller first), ties by index: the plain scan.
pub(crate) fn nearest(
    n: usize,
    i: usize,
    need: usize,
    key: impl Fn(usize) -> f64,
    order: &mut Vec<usize>,
) -> Vec<(usize, f64)> {
    let keys: Vec<f64> = (0..n)
        .map(|j| if j == i { f64::INFINITY } else { key(j) })
        .collect();
    order.clear();
    order.extend((0..n).filter(|&j| j != i));
    let cmp = |a: &usize, b: &usize| keys[*a].total_cmp(&keys[*b]).then(a.cmp(b));
    order.select_nth_unstable_by(need - 1, cmp);
    order[..need].sort_unstable_by(cmp);
    order[..need].iter().map(|&j| (j, keys[j])).collect()
}
