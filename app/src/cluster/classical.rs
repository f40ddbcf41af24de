//! The classical solvers of `nmfnet-baselines` behind `cluster` (f64, on the CPU).

use super::input::Problem;
use super::report::{ClusterReport, ClusterSummary, MethodDetails};
use super::request::{ClusterRequest, Protocol};
use anyhow::{bail, Context};
use nmfnet_baselines::linalg::to_dense;
use nmfnet_baselines::{fit_observed, IterRecord, SymMatrix, SymMethod, SymParams};
use nmfnet_datasets::eval::metrics;
use nmfnet_datasets::eval::metrics::class_count;
use nmfnet_datasets::graph::Graph;
use nmfnet_train::progress::iteration_bar;
use std::time::Instant;

/// λ of Zhu et al.'s demo (their SymANLS/SymHALS penalty).
pub const ZHU_LAMBDA: f64 = 0.66;
/// Iterations of Zhu et al.'s demo (no early stop).
pub const ZHU_ITERATIONS: usize = 500;

/// One start of `method` from the seed `seed`; `label` names it on the progress bar.
pub(crate) fn fit(
    req: &ClusterRequest,
    method: SymMethod,
    problem: &Problem,
    seed: u64,
    label: &str,
) -> anyhow::Result<(ClusterReport, Vec<IterRecord>)> {
    let started = Instant::now();
    let (name, graph, labels) = (&problem.name, &problem.x, problem.labels.as_deref());
    let rank = match (req.rank, labels) {
        (Some(r), _) => r,
        (None, Some(l)) => class_count(l),
        (None, None) => bail!("--rank is required when no labels are given"),
    };
    let (x, storage) = match (graph, req.dense) {
        (Graph::Sparse(c), false) => (SymMatrix::from_csr(c)?, "sparse"),
        (g, _) => (SymMatrix::from_dense(&g.to_dense())?, "dense"),
    };
    let mut params = SymParams::new(rank);
    params.seed = seed;
    params.cancel = req.cancel.clone();
    let protocol = req.protocol.unwrap_or_default();
    if protocol == Protocol::Zhu {
        params.max_iter = ZHU_ITERATIONS;
        params.tol = 0.0;
        params.lambda = Some(ZHU_LAMBDA);
    }
    if let Some(v) = req.max_iter {
        params.max_iter = v;
    }
    if let Some(v) = req.tol {
        params.tol = v;
    }
    if req.lambda.is_some() {
        params.lambda = req.lambda;
    }
    params.rho = req.rho;
    nmfnet_baselines::linalg::check_rank(rank, x.n())?;
    // One random draw per seed: the protocols differ only in its scale.
    let u0 = match protocol {
        Protocol::Standard => {
            nmfnet_baselines::linalg::kuang_init(x.n(), rank, x.mean(), 2.0, params.seed)
        }
        Protocol::Zhu => nmfnet_baselines::linalg::unscaled_init(x.n(), rank, params.seed),
    };
    let bar = iteration_bar(
        params.max_iter,
        &format!("{method} {name}{label}"),
        !req.progress,
    );
    let mut hook = |iter: usize, pg: f64, rel: f64| {
        bar.set_position(iter as u64);
        bar.set_message(format!("proj.grad {pg:.2e}  rel.err {rel:.4}"));
    };
    let fit = fit_observed(method, &x, &params, u0, labels, Some(&mut hook))
        .with_context(|| format!("{method} on {name}"))?;
    bar.finish_and_clear();

    let u = to_dense(fit.u.as_ref());
    let pred = fit.labels();
    let scores = match labels {
        Some(truth) => Some(metrics::label_scores(truth, &pred)?),
        None => None,
    };
    let last = fit.history.last().expect("the start is always recorded");
    let iterations = fit.convergence.iterations;
    let summary = ClusterSummary {
        input_seconds: None,
        method: method.name(),
        dataset: name.to_string(),
        n: x.n(),
        rank,
        acc: scores.map(|s| s.acc),
        nmi: scores.map(|s| s.nmi),
        purity: scores.map(|s| s.purity),
        rel_error: last.rel_error,
        sparse_factor: metrics::sparse_factor(&u),
        zero_rows: metrics::zero_rows(&u),
        seconds: started.elapsed().as_secs_f64(),
        seed: params.seed,
        restarts: Vec::new(),
        details: MethodDetails::Classical {
            iterations,
            converged: fit.convergence.converged,
            stop_reason: fit.convergence.reason,
            penalty: fit.penalty,
            storage,
            seconds_per_iteration: fit.seconds / iterations.max(1) as f64,
        },
    };
    let report = ClusterReport {
        summary,
        u,
        labels: pred,
        graph: None,
    };
    Ok((report, fit.history))
}
