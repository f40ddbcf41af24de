//! A seeded planted-partition graph (a stochastic block model with a fixed number of edge draws
//! per node) built straight into CSR — never an n×n array — for clustering at 10⁵–10⁷ nodes.
//!
//! Node `i` falls in block `label[i]`, drawn uniformly. It then makes `degree` edge draws: with
//! probability `inside` the other end is a uniform member of its own block, otherwise a uniform
//! node of the whole graph (which may land inside the block too). The draws form a directed
//! count matrix A (repeats add up); the graph is X = (A + Aᵀ)/2, symmetric with weights in
//! multiples of ½. This is the graph `bench/python/planted_npz.py` makes, with its own random
//! stream: same law, not the same draws.
//!
//! Memory: the draws (n·degree `u32`), then the CSR (≤ 2·n·degree entries of a `usize` index and
//! an `f32` value, 12 bytes each) — about 260 bytes per node at degree 10, and nothing that grows
//! faster than n.

use crate::error::{DataError, Result};
use crate::progress::Progress;
use crate::sparse::Csr;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The planted partition's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SbmConfig {
    /// Number of nodes n (2 to 2³¹ − 1).
    pub nodes: usize,
    /// Number of blocks (the clusters; 1 to n).
    pub blocks: usize,
    /// Edge draws per node (1 to 1000).
    pub degree: usize,
    /// Probability that a draw stays inside the node's block (0 to 1).
    pub inside: f64,
    /// Seed of every draw.
    pub seed: u64,
}

impl SbmConfig {
    /// Peak memory of [`planted_partition`], about: the draws (4 bytes each), the CSR of
    /// X = (A + Aᵀ)/2 with up to 2·n·d entries (an index and a value, 12 bytes, held twice while
    /// it is assembled) and per node the labels, block members and row pointers. An upper
    /// bound: `data planted-graph` peaked at 434 MiB for 10⁶ nodes of degree 12 (estimate 626)
    /// and at 695 MiB for 2·10⁵ of degree 100 (estimate 998).
    pub fn memory_bytes(&self) -> u64 {
        let (n, d) = (self.nodes as u64, self.degree as u64);
        n.saturating_mul(d)
            .saturating_mul(4 + 2 * 12 * 2)
            .saturating_add(n.saturating_mul(4 + 4 + 8 + 8 + 8))
    }

    fn check(&self) -> Result<()> {
        let bad = |msg: String| {
            Err(DataError::Param {
                name: "planted graph",
                msg,
            })
        };
        if self.nodes < 2 || self.nodes > i32::MAX as usize {
            return bad(format!("nodes must be in 2..=2^31-1, got {}", self.nodes));
        }
        if self.blocks == 0 || self.blocks > self.nodes {
            return bad(format!(
                "blocks must be in 1..=nodes ({}), got {}",
                self.nodes, self.blocks
            ));
        }
        if self.degree == 0 || self.degree > 1000 {
            return bad(format!("degree must be in 1..=1000, got {}", self.degree));
        }
        if !(0.0..=1.0).contains(&self.inside) {
            return bad(format!("inside must be in [0, 1], got {}", self.inside));
        }
        Ok(())
    }
}

/// Nodes per chunk of draws: each chunk has its own random stream (seeded from the seed and the
/// chunk's index), so the draws do not depend on the number of threads.
const CHUNK: usize = 1 << 14;

/// Mixes the seed and a chunk index into one stream seed (SplitMix64's finaliser).
fn stream_seed(seed: u64, chunk: u64) -> u64 {
    let mut z = seed ^ chunk.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The planted-partition graph X = (A + Aᵀ)/2 and the block of every node. `progress` is told
/// the nodes done out of n, once per pass over them (draws, then assembly).
pub fn planted_partition(cfg: &SbmConfig, progress: Progress) -> Result<(Csr, Vec<usize>)> {
    cfg.check()?;
    crate::error::check_memory(
        format!(
            "a planted graph of {} nodes and degree {}",
            cfg.nodes, cfg.degree
        ),
        cfg.memory_bytes(),
    )?;
    let n = cfg.nodes;
    let d = cfg.degree;
    let mut rng = StdRng::seed_from_u64(stream_seed(cfg.seed, u64::MAX));
    let label: Vec<u32> = (0..n)
        .map(|_| rng.random_range(0..cfg.blocks) as u32)
        .collect();
    // Members of each block, in node order (a counting sort).
    let mut start = vec![0usize; cfg.blocks + 1];
    for &l in &label {
        start[l as usize + 1] += 1;
    }
    for b in 0..cfg.blocks {
        start[b + 1] += start[b];
    }
    let mut members = vec![0u32; n];
    let mut fill = start.clone();
    for (i, &l) in label.iter().enumerate() {
        members[fill[l as usize]] = i as u32;
        fill[l as usize] += 1;
    }

    // The draws: row i of A is targets[i·d .. (i+1)·d].
    let mut targets = vec![0u32; n * d];
    let done = std::sync::atomic::AtomicUsize::new(0);
    // Each chunk of rows draws from its own stream: the graph does not depend on which thread
    // drew which chunk.
    targets
        .par_chunks_mut(CHUNK * d)
        .enumerate()
        .for_each(|(c, out)| {
            let mut rng = StdRng::seed_from_u64(stream_seed(cfg.seed, c as u64));
            let first = c * CHUNK;
            for (k, row) in out.chunks_mut(d).enumerate() {
                let b = label[first + k] as usize;
                let (lo, size) = (start[b], start[b + 1] - start[b]);
                for t in row.iter_mut() {
                    *t = if rng.random::<f64>() < cfg.inside {
                        members[lo + rng.random_range(0..size)]
                    } else {
                        rng.random_range(0..n) as u32
                    };
                }
            }
            let rows = out.len() / d;
            let total = done.fetch_add(rows, std::sync::atomic::Ordering::Relaxed) + rows;
            progress(total, n);
        });

    // Row i of A + Aᵀ: its own d draws and every node that drew i.
    let mut indptr = vec![0usize; n + 1];
    for i in 0..n {
        indptr[i + 1] += d;
    }
    for &t in &targets {
        indptr[t as usize + 1] += 1;
    }
    for i in 0..n {
        indptr[i + 1] += indptr[i];
    }
    let mut cols = vec![0u32; indptr[n]];
    let mut pos = indptr.clone();
    for i in 0..n {
        for &t in &targets[i * d..(i + 1) * d] {
            cols[pos[i]] = t;
            pos[i] += 1;
            cols[pos[t as usize]] = i as u32;
            pos[t as usize] += 1;
        }
    }
    drop(targets);
    drop(pos);

    // Sort each row and merge repeats: every entry carries ½.
    let mut out_ptr = Vec::with_capacity(n + 1);
    out_ptr.push(0usize);
    let mut indices = Vec::with_capacity(cols.len());
    let mut values = Vec::with_capacity(cols.len());
    for i in 0..n {
        let row = &mut cols[indptr[i]..indptr[i + 1]];
        row.sort_unstable();
        let mut k = 0;
        while k < row.len() {
            let c = row[k];
            let mut m = 1;
            while k + m < row.len() && row[k + m] == c {
                m += 1;
            }
            indices.push(c as usize);
            values.push(0.5 * m as f32);
            k += m;
        }
        out_ptr.push(indices.len());
        if (i + 1) % (1 << 16) == 0 || i + 1 == n {
            progress(i + 1, n);
        }
    }
    let x = Csr::new(n, n, out_ptr, indices, values)?;
    Ok((x, label.into_iter().map(|l| l as usize).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::no_progress;

    fn cfg(nodes: usize, blocks: usize, seed: u64) -> SbmConfig {
        SbmConfig {
            nodes,
            blocks,
            degree: 10,
            inside: 0.8,
            seed,
        }
    }

    #[test]
    fn symmetric_with_the_right_weight_and_seeded() {
        let c = cfg(50_000, 7, 3);
        let (x, labels) = planted_partition(&c, &no_progress).unwrap();
        let (y, labels2) = planted_partition(&c, &no_progress).unwrap();
        assert_eq!(labels, labels2);
        assert_eq!(x.indices(), y.indices());
        assert_eq!(x.values(), y.values());
        let (z, _) = planted_partition(&cfg(50_000, 7, 4), &no_progress).unwrap();
        assert_ne!(x.indices(), z.indices(), "another seed, the same graph");
        // X = Xᵀ, and the total weight is that of the n·d draws.
        let t = x.transpose();
        assert_eq!(x.indptr(), t.indptr());
        assert_eq!(x.indices(), t.indices());
        assert_eq!(x.values(), t.values());
        let total: f64 = x.values().iter().map(|&v| v as f64).sum();
        assert_eq!(total, (50_000 * 10) as f64);
        // Every block is used and about equally large.
        let mut size = [0usize; 7];
        labels.iter().for_each(|&l| size[l] += 1);
        assert!(
            size.iter().all(|&s| (6_500..7_800).contains(&s)),
            "{size:?}"
        );
    }

    #[test]
    fn the_inside_fraction_is_the_planted_one() {
        // Inside weight = draws kept inside (0.8) + outside draws that land inside (0.2/blocks).
        let (x, labels) = planted_partition(&cfg(40_000, 10, 11), &no_progress).unwrap();
        let (mut inside, mut all) = (0.0f64, 0.0f64);
        for i in 0..x.nrows() {
            let (cols, vals) = x.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                all += v as f64;
                if labels[i] == labels[j] {
                    inside += v as f64;
                }
            }
        }
        let frac = inside / all;
        let expect = 0.8 + 0.2 / 10.0;
        // 4·10⁵ draws: the standard error of the fraction is ≈ 6·10⁻⁴.
        assert!(
            (frac - expect).abs() < 0.004,
            "inside fraction {frac}, expected {expect}"
        );
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            cfg(1, 1, 0),
            cfg(10, 0, 0),
            cfg(10, 11, 0),
            SbmConfig {
                degree: 0,
                ..cfg(10, 2, 0)
            },
            SbmConfig {
                inside: 1.5,
                ..cfg(10, 2, 0)
            },
            SbmConfig {
                inside: f64::NAN,
                ..cfg(10, 2, 0)
            },
        ] {
            assert!(matches!(
                planted_partition(&c, &no_progress),
                Err(DataError::Param { .. })
            ));
        }
    }
}
