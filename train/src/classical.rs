//! The classical solvers behind `nmfnet cluster --method …` and `nmfnet nmf`.

use crate::cli::{ClusterArgs, ClusterSummary, Graph, MethodDetails};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use nmfnet_baselines::linalg::to_dense;
use nmfnet_baselines::{fit_observed, IterRecord, SymMatrix, SymMethod, SymParams};
use nmfnet_datasets::io::{atomic_write, npy_bytes_labels, write_npy};
use nmfnet_datasets::metrics;
use std::path::Path;
use std::time::Instant;

/// Number of distinct labels.
pub fn class_count(labels: &[usize]) -> usize {
    let mut v = labels.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// A progress bar over the iteration budget showing the relative projected gradient.
pub fn iteration_bar(len: usize, label: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} it  {msg}  {elapsed} (ETA ≤ {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// Writes the history as JSON lines (atomically).
pub fn write_history(path: &Path, history: &[IterRecord]) -> anyhow::Result<()> {
    let mut text = String::new();
    for h in history {
        text.push_str(&serde_json::to_string(h)?);
        text.push('\n');
    }
    atomic_write(path, text.as_bytes())?;
    Ok(())
}

pub(crate) fn cluster(
    args: &ClusterArgs,
    method: SymMethod,
    name: &str,
    graph: &Graph,
    labels: Option<&[usize]>,
    started: Instant,
) -> anyhow::Result<ClusterSummary> {
    let rank = match (args.rank, labels) {
        (Some(r), _) => r,
        (None, Some(l)) => class_count(l),
        (None, None) => bail!("--rank is required when no labels are given"),
    };
    let (x, storage) = match (graph, args.dense) {
        (Graph::Sparse(c), false) => (SymMatrix::from_csr(c)?, "sparse"),
        (g, _) => (SymMatrix::from_dense(&g.to_dense())?, "dense"),
    };
    let mut params = SymParams::new(rank);
    params.seed = args.seed.unwrap_or(0);
    if let Some(v) = args.max_iter {
        params.max_iter = v;
    }
    if let Some(v) = args.tol {
        params.tol = v;
    }
    params.lambda = args.lambda;
    params.rho = args.rho;
    let u0 = {
        nmfnet_baselines::linalg::check_rank(rank, x.n())?;
        nmfnet_baselines::linalg::kuang_init(x.n(), rank, x.mean(), 2.0, params.seed)
    };
    let bar = iteration_bar(params.max_iter, &format!("{method} {name}"), args.quiet);
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
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_npy(&dir.join("U.npy"), &u)?;
        atomic_write(&dir.join("labels.npy"), &npy_bytes_labels(&pred))?;
        write_history(&dir.join("history.jsonl"), &fit.history)?;
        atomic_write(
            &dir.join("summary.json"),
            serde_json::to_string_pretty(&summary)?.as_bytes(),
        )?;
    }
    Ok(summary)
}
