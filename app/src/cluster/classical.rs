//! The classical solvers of `nmfnet-baselines` behind `cluster` (f64, on the CPU).

use super::input::Problem;
use super::job::{ClassicalSolver, ClusterJob, Protocol};
use super::report::{scored, ClusterReport, MethodDetails};
use anyhow::Context;
use nmfnet_baselines::linalg::to_dense;
use nmfnet_baselines::{fit_observed, IterRecord, SymMatrix, SymParams};
use nmfnet_datasets::graph::Graph;
use nmfnet_train::progress::iteration_bar;
use std::time::Instant;

/// λ of Zhu et al.'s demo (their SymANLS/SymHALS penalty), in units of ‖X‖₂ (their graphs
/// have ‖X‖₂ = 1), like the start `rand(n, r)` in units of √‖X‖₂.
pub const ZHU_LAMBDA: f64 = 0.66;
/// Iterations of Zhu et al.'s demo (no early stop).
pub const ZHU_ITERATIONS: usize = 500;

/// The solver with the protocol's values where none is given: the iteration budget and
/// tolerance (the penalties depend on X: the methods' own, or Zhu's λ = 0.66‖X‖₂, stay `None`
/// here).
pub(crate) fn resolve(c: &ClassicalSolver) -> ClassicalSolver {
    let defaults = SymParams::new(1);
    let (max_iter, tol) = match c.protocol {
        Protocol::Standard => (defaults.max_iter, defaults.tol),
        Protocol::Zhu => (ZHU_ITERATIONS, 0.0),
    };
    ClassicalSolver {
        max_iter: Some(c.max_iter.unwrap_or(max_iter)),
        tol: Some(c.tol.unwrap_or(tol)),
        ..*c
    }
}

/// One start of the job's solver `c` (resolved) from the seed `seed`; `label` names it on the
/// progress bar.
pub(crate) fn fit(
    job: &ClusterJob,
    c: &ClassicalSolver,
    problem: &Problem,
    seed: u64,
    label: &str,
) -> anyhow::Result<(ClusterReport, Vec<IterRecord>)> {
    let started = Instant::now();
    let method = c.method;
    let (name, graph, labels) = (&problem.name, &problem.x, problem.labels.as_deref());
    let rank = job.rank.expect("the rank is resolved");
    let (x, storage) = match (graph, job.dense) {
        (Graph::Sparse(c), false) => (SymMatrix::from_csr(c)?, "sparse"),
        (g, _) => (SymMatrix::from_dense(&g.to_dense())?, "dense"),
    };
    let c = resolve(c);
    let mut params = SymParams::new(rank);
    params.seed = seed;
    params.cancel = job.run.cancel.clone();
    params.max_iter = c.max_iter.expect("resolved");
    params.tol = c.tol.expect("resolved");
    params.lambda = c.lambda;
    params.rho = c.rho;
    nmfnet_baselines::linalg::check_rank(rank, x.n())?;
    // One random draw per seed: the protocols differ only in its scale.
    let u0 = match c.protocol {
        Protocol::Standard => {
            nmfnet_baselines::linalg::kuang_init(x.n(), rank, x.mean(), 2.0, params.seed)
        }
        Protocol::Zhu => {
            let s = x.scale();
            if params.lambda.is_none() {
                params.lambda = Some(ZHU_LAMBDA * s);
            }
            nmfnet_baselines::linalg::unscaled_init(x.n(), rank, params.seed)
                * faer::Scale(s.sqrt())
        }
    };
    let bar = iteration_bar(
        params.max_iter,
        &format!("{method} {name}{label}"),
        !job.run.progress,
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
    let rel_error = fit
        .history
        .last()
        .expect("the start is always recorded")
        .rel_error;
    let iterations = fit.convergence.iterations;
    let details = MethodDetails::Classical {
        iterations,
        converged: fit.convergence.converged,
        stop_reason: fit.convergence.reason,
        penalty: fit.penalty,
        storage,
        seconds_per_iteration: fit.seconds / iterations.max(1) as f64,
    };
    let report = scored(
        method.name(),
        problem,
        u,
        pred,
        rel_error,
        rank,
        params.seed,
        started,
        details,
        fit.scale,
    )?;
    Ok((report, fit.history))
}
