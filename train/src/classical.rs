//! The classical solvers behind `nmfnet cluster --method …` and `nmfnet nmf`.

use crate::cli::{ClusterArgs, ClusterSummary, MethodDetails, NmfArgs, NmfMethodArg};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use nmfnet_baselines::linalg::nonneg_from_dense;
use nmfnet_baselines::linalg::to_dense;
use nmfnet_baselines::nmf::{nmf, NmfMethod, NmfParams};
use nmfnet_baselines::{fit_observed, IterRecord, StopReason, SymMatrix, SymMethod, SymParams};
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::io::{
    atomic_write, gray_grid_png, npy_bytes_labels, read_image_folder, read_matrix, write_npy,
};
use nmfnet_datasets::metrics;
use serde::Serialize;
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

/// What `nmfnet nmf` prints (and writes to summary.json).
#[derive(Serialize, Debug)]
pub struct NmfSummary {
    pub method: &'static str,
    pub input: String,
    pub m: usize,
    pub n: usize,
    pub rank: usize,
    /// ‖Y − HW‖_F / ‖Y‖_F.
    pub rel_error: f64,
    pub iterations: usize,
    pub converged: bool,
    pub stop_reason: StopReason,
    pub seconds: f64,
    pub seed: u64,
}

fn parse_shape(s: &str) -> anyhow::Result<(usize, usize)> {
    let parts: Vec<&str> = s.split(['x', 'X', '×']).collect();
    match parts.as_slice() {
        [h, w] => Ok((h.trim().parse()?, w.trim().parse()?)),
        _ => bail!("--image-shape must look like 28x28, got {s:?}"),
    }
}

/// `nmfnet nmf`.
pub fn nmf_command(args: &NmfArgs) -> anyhow::Result<NmfSummary> {
    let started = Instant::now();
    let method = match args.method {
        NmfMethodArg::Mu => NmfMethod::Mu,
        NmfMethodArg::Hals => NmfMethod::Hals,
        NmfMethodArg::Anls => NmfMethod::Anls,
    };
    let (y, shape, input) = match (&args.matrix, &args.images) {
        (Some(path), _) => {
            let y = read_matrix(path)?;
            let shape = match &args.image_shape {
                Some(s) => {
                    let (h, w) = parse_shape(s)?;
                    if h * w != y.nrows() {
                        bail!(
                            "--image-shape {h}x{w} has {} pixels but {} has m = {} rows",
                            h * w,
                            path.display(),
                            y.nrows()
                        );
                    }
                    Some((h, w))
                }
                None => None,
            };
            (y, shape, path.display().to_string())
        }
        (None, Some(dir)) => {
            let f = read_image_folder(dir)?;
            (
                f.matrix,
                Some((f.height, f.width)),
                dir.display().to_string(),
            )
        }
        (None, None) => bail!("give --matrix FILE or --images DIR"),
    };
    let ym = nonneg_from_dense(&y).with_context(|| format!("input {input}"))?;
    let mut params = NmfParams::new(args.rank);
    params.seed = args.seed;
    if let Some(v) = args.max_iter {
        params.max_iter = v;
    }
    if let Some(dir) = &args.out {
        if dir.join("summary.json").exists() && !args.overwrite {
            bail!(
                "{} already holds a run; pass --overwrite or choose another --out",
                dir.display()
            );
        }
    }
    let fit = nmf(method, ym.as_ref(), &params)?;
    let summary = NmfSummary {
        method: method.name(),
        input,
        m: ym.nrows(),
        n: ym.ncols(),
        rank: args.rank,
        rel_error: fit.rel_error(),
        iterations: fit.convergence.iterations,
        converged: fit.convergence.converged,
        stop_reason: fit.convergence.reason,
        seconds: started.elapsed().as_secs_f64(),
        seed: args.seed,
    };
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_npy(&dir.join("H.npy"), &to_dense(fit.h.as_ref()))?;
        write_npy(&dir.join("W.npy"), &to_dense(fit.w.as_ref()))?;
        write_history(&dir.join("history.jsonl"), &fit.history)?;
        if let Some((h, w)) = shape {
            let tiles: Vec<Vec<f32>> = (0..args.rank)
                .map(|l| fit.h.col(l).iter().map(|&v| v as f32).collect())
                .collect();
            let cols = (args.rank as f64).sqrt().ceil() as usize;
            atomic_write(&dir.join("basis.png"), &gray_grid_png(&tiles, h, w, cols)?)?;
        }
        atomic_write(
            &dir.join("summary.json"),
            serde_json::to_string_pretty(&summary)?.as_bytes(),
        )?;
    }
    Ok(summary)
}

pub fn print_nmf_summary(s: &NmfSummary, out: Option<&Path>) {
    println!(
        "method        {}  ({} iterations, {})",
        s.method,
        s.iterations,
        if s.converged {
            "converged".to_string()
        } else {
            format!("not converged: {:?}", s.stop_reason)
        }
    );
    println!(
        "input         {}  (Y is {}×{}, k = {})",
        s.input, s.m, s.n, s.rank
    );
    println!("rel. error    {:.4}   (‖Y − HW‖_F/‖Y‖_F)", s.rel_error);
    println!("time          {:.2} s", s.seconds);
    if let Some(dir) = out {
        println!("written to    {}", dir.display());
    }
}
