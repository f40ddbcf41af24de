//! What a `cluster` job will need, estimated before any start runs, and refused past the memory
//! budget (`nmfnet_datasets::error::memory_budget`: the machine's available memory, or the
//! user's `NMFNET_MAX_MEMORY`) with the number. The graph is already in memory when this runs;
//! the estimate counts what comes on top of it. The coefficients are upper bounds of measured
//! peaks (results/scale/million.md: SymHALS ≈ 68 bytes per node and rank, SymNMF-Net ≈ 31 per
//! node, rank and block), so a job refused here would not have fitted.

use super::input::Problem;
use super::job::{ClusterJob, Solver};
use nmfnet_baselines::SymMethod;
use nmfnet_datasets::graph::Graph;

/// Bytes per (node × rank) of a classical solver's n × r work arrays (f64).
const CLASSICAL_PER_NODE_RANK: f64 = 96.0;
/// Bytes per (node × rank × block) of SymNMF-Net's training step (f32 forward values kept for
/// the backward pass, gradients, parameters and Adam's moments).
const NET_PER_NODE_RANK_BLOCK: f64 = 48.0;
/// Live n × n blocks of one SymNewton column factorisation (H_s·H_sᵀ, the principal submatrix,
/// their difference and its Cholesky factor), f64.
const NEWTON_BLOCKS: f64 = 4.0;
/// SymNewton's cache of factors between iterations (baselines' `CACHE_BYTES`).
const NEWTON_CACHE: f64 = (2u64 << 30) as f64;

/// The estimate in bytes, with the part that dominates it in words.
pub(crate) fn estimate(job: &ClusterJob, problem: &Problem, rank: usize) -> (f64, String) {
    let n = problem.x.n() as f64;
    let r = rank.min(problem.x.n()) as f64;
    let sparse = matches!(problem.x, Graph::Sparse(_));
    let nnz = match &problem.x {
        Graph::Sparse(s) => s.nnz() as f64,
        Graph::Dense(_) => n * n,
    };
    // The starts' reports are kept until the best is chosen: U (f32) and the labels each.
    let reports = job.restarts as f64 * n * (4.0 * r + 8.0);
    let mut parts: Vec<(f64, String)> =
        vec![(reports, format!("{} starts' factors", job.restarts))];
    let dense_copy = !sparse || job.dense;
    match &job.solver {
        Solver::Classical(c) => {
            // The solver's copy of X: f64, dense or sparse (values and indices).
            let x = if dense_copy {
                n * n * 8.0 + if sparse { n * n * 4.0 } else { 0.0 }
            } else {
                nnz * 12.0
            };
            parts.push((
                x,
                format!(
                    "the solver's copy of the {} graph",
                    if dense_copy { "dense" } else { "sparse" }
                ),
            ));
            parts.push((
                CLASSICAL_PER_NODE_RANK * n * r,
                format!("{}'s n × r work arrays", c.method.name()),
            ));
            if c.method == SymMethod::SymNewton {
                // As many columns are factorised at once as there are threads, at most r.
                let threads = rayon::current_num_threads().clamp(1, rank.max(1)) as f64;
                let blocks = threads * NEWTON_BLOCKS * n * n * 8.0;
                let cache = (r * n * n * 8.0).min(NEWTON_CACHE);
                parts.push((
                    blocks + cache,
                    "symnewton's dense n × n Hessian blocks".to_string(),
                ));
            }
        }
        Solver::Net(net) => {
            let k = net.config.model.blocks as f64;
            if dense_copy {
                // X on the backend, and the forced dense copy of a sparse graph.
                let x = n * n * 4.0 * if sparse { 2.0 } else { 1.0 };
                parts.push((x, "the dense graph on the backend".to_string()));
            } else {
                parts.push((nnz * 12.0, "the sparse graph on the backend".to_string()));
            }
            parts.push((
                NET_PER_NODE_RANK_BLOCK * n * r * (k + 1.0),
                format!(
                    "SymNMF-Net's training step ({} blocks of n × r)",
                    net.config.model.blocks
                ),
            ));
        }
    }
    let total = parts.iter().map(|p| p.0).sum();
    let largest = parts
        .into_iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|p| p.1)
        .unwrap_or_default();
    (total, largest)
}

/// Refuses the job when its estimate passes the memory budget.
pub(crate) fn check(job: &ClusterJob, problem: &Problem, rank: usize) -> anyhow::Result<()> {
    let (need, largest) = estimate(job, problem, rank);
    nmfnet_datasets::error::check_memory(
        format!(
            "this clustering (n = {}, rank {rank}, {} start(s); mostly {largest})",
            problem.x.n(),
            job.restarts
        ),
        need.min(u64::MAX as f64) as u64,
    )?;
    Ok(())
}
