//! The classical solvers of `nmfnet-baselines` behind `cluster` (f64, on the CPU).

use super::input::Problem;
use super::report::{ClusterReport, ClusterSummary, MethodDetails};
use super::request::ClusterRequest;
use anyhow::{bail, Context};
use nmfnet_baselines::linalg::to_dense;
use nmfnet_baselines::{fit_observed, SymMatrix, SymMethod, SymParams};
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::metrics;
use nmfnet_datasets::metrics::class_count;
use nmfnet_train::progress::iteration_bar;
use nmfnet_train::rundir::RunDir;
use std::time::Instant;

pub(crate) fn cluster(
    req: &ClusterRequest,
    method: SymMethod,
    problem: &Problem,
    out: Option<RunDir>,
    started: Instant,
) -> anyhow::Result<ClusterReport> {
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
    params.seed = req.seed.unwrap_or(0);
    if let Some(v) = req.max_iter {
        params.max_iter = v;
    }
    if let Some(v) = req.tol {
        params.tol = v;
    }
    params.lambda = req.lambda;
    params.rho = req.rho;
    let u0 = {
        nmfnet_baselines::linalg::check_rank(rank, x.n())?;
        nmfnet_baselines::linalg::kuang_init(x.n(), rank, x.mean(), 2.0, params.seed)
    };
    let bar = iteration_bar(params.max_iter, &format!("{method} {name}"), !req.progress);
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
    };
    if let Some(run) = out {
        report.write(run, Some(&fit.history))?;
    }
    Ok(report)
}
