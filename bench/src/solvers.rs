//! `bench solvers`: per-iteration time of every classical solver next to its "GEMM floor" —
//! the time of the X·V products it performs, measured in the same run on the same matrix.

use crate::util::median;
use anyhow::Result;
use faer::Mat;
use nmfnet_baselines::linalg::kuang_init;
use nmfnet_baselines::{fit_from, SymMatrix, SymMethod, SymParams};
use nmfnet_datasets::catalog;
use std::path::Path;
use std::time::Instant;

/// Resets the kernel's peak-RSS mark of this process (Linux), so that the next reading of
/// `VmHWM` is the peak of what runs in between.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Median seconds of one X·V with V n×r.
fn product_seconds(x: &SymMatrix, r: usize, reps: usize) -> f64 {
    let v = Mat::from_fn(x.n(), r, |i, j| ((i * 31 + j * 17) % 97) as f64 / 97.0);
    let _ = x.mul(v.as_ref());
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(x.mul(v.as_ref()));
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

pub struct Row {
    pub dataset: String,
    pub storage: &'static str,
    pub method: SymMethod,
    pub iterations: usize,
    pub ms_per_iter: f64,
    pub products_per_iter: f64,
    pub floor_ms: f64,
    pub peak_mb: f64,
}

/// The graph of data set `name` and its rank. "planted": the planted-cluster kNN graph of
/// `bench torch` (n = 2,000, r = 10), for machines without the data folder.
fn load_graph(data_dir: Option<&Path>, name: &str) -> Result<(nmfnet_datasets::Csr, usize)> {
    if name == "planted" {
        return Ok((crate::torch::planted_knn(2000, 10)?, 10));
    }
    let dir = data_dir
        .ok_or_else(|| anyhow::anyhow!("data set {name} needs the data folder (--data-dir)"))?;
    let id = catalog::DatasetId::parse(name)?;
    let data = catalog::load_cluster(id, dir, catalog::LoadOptions::default())?;
    Ok((data.graph()?, id.rank()))
}

/// The graph stored as `storage` (dense or sparse), with that name.
fn stored(graph: &nmfnet_datasets::Csr, storage: &str) -> Result<(SymMatrix, &'static str)> {
    Ok(match storage {
        "sparse" => (SymMatrix::from_csr(graph)?, "sparse"),
        "dense" => (SymMatrix::from_dense(&graph.to_dense())?, "dense"),
        other => anyhow::bail!("unknown storage {other:?} (dense, sparse)"),
    })
}

/// One method's row on `x` (stored as `storage`): `max_iter` iterations from the Kuang start, its time per iteration
/// and peak memory beside the floor of its products, measured right before it.
fn time_method(
    dataset: &str,
    x: &SymMatrix,
    storage: &'static str,
    r: usize,
    method: SymMethod,
    max_iter: usize,
    peak_rss_mb: fn() -> f64,
) -> Result<Row> {
    // The floor is measured right before each method: machine noise then hits both.
    let t_prod = product_seconds(x, r, 7);
    let mut p = SymParams::new(r);
    p.tol = 0.0;
    p.max_iter = max_iter;
    let u0 = kuang_init(x.n(), r, x.mean(), 2.0, 0);
    reset_peak_rss();
    let fit = fit_from(method, x, &p, u0, None)?;
    let peak = peak_rss_mb();
    let it = fit.convergence.iterations.max(1);
    let h = &fit.history;
    let secs = h.last().unwrap().seconds - h[0].seconds;
    // The initial product(s) before iteration 0 are not part of an iteration.
    let init_products = 1;
    let per_iter_products = (fit.products - init_products) as f64 / it as f64;
    Ok(Row {
        dataset: dataset.to_string(),
        storage,
        method,
        iterations: it,
        ms_per_iter: secs / it as f64 * 1e3,
        products_per_iter: per_iter_products,
        floor_ms: per_iter_products * t_prod * 1e3,
        peak_mb: peak,
    })
}

/// Prints one row of the table.
fn print_row(row: &Row) {
    println!(
        "{:>8} {:>7} {:>11} {:>6} {:>11.2} {:>9.2} {:>10.2} {:>7.2} {:>9.0}",
        row.dataset,
        row.storage,
        row.method.name(),
        row.iterations,
        row.ms_per_iter,
        row.products_per_iter,
        row.floor_ms,
        row.ms_per_iter / row.floor_ms,
        row.peak_mb
    );
}

/// `bench solvers`: every data set, storage and method, each row printed as it is measured.
#[allow(clippy::too_many_arguments)]
pub fn run(
    data_dir: Option<&Path>,
    datasets: &[String],
    storages: &[String],
    methods: &[SymMethod],
    iters: usize,
    newton_iters: usize,
    peak_rss_mb: fn() -> f64,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    println!(
        "per-iteration time of each solver vs its GEMM floor (the X·V products it computed, each timed alone right before it, median of 7); f64, seed 0, fixed iteration count"
    );
    println!(
        "{:>8} {:>7} {:>11} {:>6} {:>11} {:>9} {:>10} {:>7} {:>9}",
        "dataset", "X", "method", "iters", "ms/iter", "X·V/iter", "floor ms", "ratio", "peak MB"
    );
    for name in datasets {
        let (graph, r) = load_graph(data_dir, name)?;
        for storage in storages {
            let (x, storage) = stored(&graph, storage)?;
            let _ = product_seconds(&x, r, 3); // warm-up (page faults, thread pool)
            for &method in methods {
                let max_iter = if method == SymMethod::SymNewton {
                    newton_iters
                } else {
                    iters
                };
                let row = time_method(name, &x, storage, r, method, max_iter, peak_rss_mb)?;
                print_row(&row);
                rows.push(row);
            }
        }
    }
    Ok(rows)
}
