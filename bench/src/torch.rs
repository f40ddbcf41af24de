//! SymNMF-Net training next to an equivalent PyTorch script (`bench/python/symnmf_net.py`):
//! same X, same U₀, same loss and Adam settings, float32, same thread count, each run in its
//! own child process so that its peak memory is its own.
//!
//! The Rust side of one configuration is `bench torch-worker` (this binary, re-executed): it
//! builds the planted kNN graph of n points, writes X.npy and U₀.npy for Python, trains for
//! the warm-up plus timed epochs and prints one JSON line. The orchestrator (`bench torch`)
//! runs the worker for each backend and storage, then Python, and prints the ratios.

use crate::timing::net_epochs;
use anyhow::{bail, Context, Result};
use nmfnet_datasets::catalog::synthetic::{planted_features, PlantedConfig};
use nmfnet_datasets::graph::{knn_similarity, Graph};
use nmfnet_datasets::io::write_npy;
use nmfnet_datasets::Dense;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use symnmf_burn::{Reduction, SymNmfNetConfig, SymNmfTrainingConfig};

/// The settings both sides use (the defaults' reduction, β and lr; every epoch runs: the
/// benchmark times epochs, so the plateau rule is off).
pub fn config(rank: usize, blocks: usize) -> SymNmfTrainingConfig {
    SymNmfTrainingConfig {
        model: SymNmfNetConfig {
            rank,
            blocks,
            beta: 0.01,
            reduction: Reduction::Sum,
            ..Default::default()
        },
        lr: 0.05,
        plateau_patience: 0,
        ..Default::default()
    }
}

/// The planted-cluster kNN graph (SPEC §4) of exactly n points in `rank` clusters.
pub fn planted_knn(n: usize, rank: usize) -> Result<nmfnet_datasets::Csr> {
    let (z, _) = planted_features(&PlantedConfig {
        clusters: rank,
        per_cluster: n.div_ceil(rank),
        dim: 10,
        separation: 2.0,
        seed: 1,
    })?;
    let d = z.ncols();
    let z = Dense::new(n, d, z.data()[..n * d].to_vec())?;
    Ok(knn_similarity(&z)?)
}

/// `bench torch-worker`: one configuration, one JSON line on stdout.
#[allow(clippy::too_many_arguments)]
pub fn worker(
    n: usize,
    rank: usize,
    blocks: usize,
    epochs: usize,
    backend: &str,
    storage: &str,
    dir: &Path,
    peak_rss_mb: fn() -> f64,
) -> Result<()> {
    let csr = planted_knn(n, rank)?;
    let x = match storage {
        "dense" => {
            let mut d = csr.to_dense();
            // The zeros of a freshly allocated matrix are pages the kernel has not mapped yet,
            // which peak RSS would not count; write every entry, as reading X from a file
            // would, so that the memory column counts all of X.
            for v in d.data_mut() {
                *v = std::hint::black_box(*v);
            }
            Graph::Dense(d)
        }
        "sparse" => Graph::Sparse(csr),
        other => bail!("storage must be dense or sparse, got {other}"),
    };
    std::fs::create_dir_all(dir)?;
    let x_path = dir.join("X.npy");
    let u0_path = dir.join("U0.npy");
    if !x_path.is_file() {
        // The first call of a configuration only writes the inputs for the others (its
        // transient .npy buffers would otherwise count in its peak memory).
        write_npy(&x_path, &x.to_dense())?;
        let run = net_epochs(crate::util::choice(backend)?, config(rank, blocks), x, 0, 0)?;
        write_npy(&u0_path, &run.u0)?;
        println!("{}", json!({ "prepared": true }));
        return Ok(());
    }
    let run = net_epochs(
        crate::util::choice(backend)?,
        config(rank, blocks),
        x,
        2,
        epochs,
    )?;
    let (losses, times) = (run.losses, run.seconds);
    println!(
        "{}",
        json!({
            "ms_per_epoch": 1e3 * crate::util::median(times),
            "losses": losses,
            "peak_rss_mb": peak_rss_mb(),
        })
    );
    Ok(())
}

pub fn last_json_line(out: &std::process::Output, what: &str) -> Result<Value> {
    if !out.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("{what} printed no JSON"))?;
    Ok(serde_json::from_str(line)?)
}

/// The Python interpreter with torch: $NMFNET_BENCH_PYTHON, else bench/.venv/bin/python (made by
/// bench/python/setup.sh). `None`, with the reason, when it is missing or cannot import torch.
pub fn python() -> std::result::Result<PathBuf, String> {
    python_with(&["torch", "numpy"])
}

/// Runs bench/python/setup.sh unless the references import already.
pub fn setup_references() -> Result<()> {
    if python_with(&["torch", "numpy", "sklearn"]).is_ok() {
        return Ok(());
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/setup.sh");
    println!("installing the Python references: {}", script.display());
    let status = Command::new("bash").arg(&script).status()?;
    if !status.success() {
        bail!(
            "{} failed ({status}); the benchmarks still run without the references",
            script.display()
        );
    }
    Ok(())
}

/// The benchmark Python (as [`python`]) if it can import every module of `modules`.
pub fn python_with(modules: &[&str]) -> std::result::Result<PathBuf, String> {
    let p = std::env::var_os("NMFNET_BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    if !p.is_file() {
        return Err(format!(
            "no Python at {} (run bench/python/setup.sh or bench all --setup, or set NMFNET_BENCH_PYTHON)",
            p.display()
        ));
    }
    let ok = Command::new(&p)
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Ok(p)
    } else {
        Err(format!(
            "{} cannot import {} (run bench/python/setup.sh, or bench all --setup)",
            p.display(),
            modules.join(", ")
        ))
    }
}

/// One row of the table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub n: usize,
    pub rank: usize,
    pub impl_: String,
    pub ms_per_epoch: f64,
    pub peak_rss_mb: f64,
    /// Peak RSS over (dense X + the K parameter matrices), f32.
    pub memory_ratio: f64,
    /// Time over PyTorch's in the same run with X stored the same way (dense or sparse; the
    /// script as written, one product per factor).
    pub vs_torch: Option<f64>,
    /// Dense rows: time over PyTorch's with the K + 1 products as one (`--one-product`), the
    /// restructuring nmfnet does on a dense X.
    pub vs_torch_one_product: Option<f64>,
    /// Relative difference of the last loss from PyTorch's.
    pub loss_diff: Option<f64>,
}

/// The PyTorch runs of each (n, r): name, sparse X, one product.
pub const TORCH_RUNS: [(&str, bool, bool); 3] = [
    ("pytorch dense", false, false),
    ("pytorch dense, one product", false, true),
    ("pytorch sparse", true, false),
];

/// Prints what the SymNMF-Net table shows and its header.
fn print_header(blocks: usize, epochs: usize, threads: usize) {
    println!(
        "SymNMF-Net epoch (forward, loss, backward, Adam), K = {blocks}, f32, {threads} threads; median of {epochs} after 2 warm-up; \
         vs torch = time / PyTorch's with X stored alike (dense or sparse); vs 1-prod = time / PyTorch dense with the K+1 products as one; \
         loss diff = |last loss − PyTorch dense's| / PyTorch dense's"
    );
    println!(
        "{:>6} {:>3} {:>26} {:>10} {:>9} {:>8} {:>9} {:>9} {:>10}",
        "n", "r", "impl", "ms/epoch", "peak MB", "mem×", "vs torch", "vs 1-prod", "loss diff"
    );
}

/// Our runs of one (n, r), each `bench torch-worker` in its own process: every backend on the
/// dense X, then flex on the sparse X, after an untimed first call that writes X.npy and
/// U0.npy into `dir`. The name and JSON line of each timed run.
fn our_runs(
    exe: &Path,
    n: usize,
    r: usize,
    blocks: usize,
    epochs: usize,
    backends: &[String],
    dir: &Path,
) -> Result<Vec<(String, Value)>> {
    let mut ours = Vec::new();
    let mut jobs: Vec<(String, String)> = backends
        .iter()
        .map(|b| (b.clone(), "dense".to_string()))
        .collect();
    jobs.push(("flex".into(), "sparse".into()));
    // The first call writes X.npy and U0.npy and is not timed.
    jobs.insert(0, (jobs[0].0.clone(), "dense".into()));
    for (i, (b, s)) in jobs.iter().enumerate() {
        let out = Command::new(exe)
            .args([
                "torch-worker",
                "--n",
                &n.to_string(),
                "--rank",
                &r.to_string(),
            ])
            .args([
                "--blocks",
                &blocks.to_string(),
                "--epochs",
                &epochs.to_string(),
            ])
            .args(["--backend", b, "--storage", s, "--dir"])
            .arg(dir)
            .output()?;
        let v = last_json_line(&out, &format!("{b} {s}"))?;
        if i > 0 {
            ours.push((format!("{b} {s}"), v));
        }
    }
    Ok(ours)
}

/// PyTorch's runs ([`TORCH_RUNS`]) on the X.npy and U0.npy in `dir`: the name and JSON line of
/// each.
fn torch_runs(
    python: &Path,
    dir: &Path,
    blocks: usize,
    epochs: usize,
    threads: usize,
) -> Result<Vec<(String, Value)>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/symnmf_net.py");
    let mut theirs = Vec::new();
    for (what, sparse, one_product) in TORCH_RUNS {
        let mut cmd = Command::new(python);
        cmd.arg(&script)
            .arg("--x")
            .arg(dir.join("X.npy"))
            .arg("--u0")
            .arg(dir.join("U0.npy"))
            .args([
                "--blocks",
                &blocks.to_string(),
                "--epochs",
                &epochs.to_string(),
            ])
            .args(["--threads", &threads.to_string()]);
        if sparse {
            cmd.arg("--sparse");
        }
        if one_product {
            cmd.arg("--one-product");
        }
        theirs.push((what.to_string(), last_json_line(&cmd.output()?, what)?));
    }
    Ok(theirs)
}

/// Prints one row of the table.
fn print_row(row: &Row) {
    println!(
        "{:>6} {:>3} {:>26} {:>10.1} {:>9.0} {:>8.2} {:>9} {:>9} {:>10}",
        row.n,
        row.rank,
        row.impl_,
        row.ms_per_epoch,
        row.peak_rss_mb,
        row.memory_ratio,
        row.vs_torch.map_or("—".into(), |x| format!("{x:.2}")),
        row.vs_torch_one_product
            .map_or("—".into(), |x| format!("{x:.2}")),
        row.loss_diff.map_or("—".into(), |x| format!("{x:.1e}")),
    );
}

/// The rows of one (n, r), ours then PyTorch's (`theirs`, empty without the reference), each
/// printed as it is made.
fn table_rows(
    n: usize,
    r: usize,
    blocks: usize,
    ours: &[(String, Value)],
    theirs: &[(String, Value)],
) -> Vec<Row> {
    let x_mb = (n * n * 4) as f64 / 1e6;
    let params_mb = (blocks * n * r * 4) as f64 / 1e6;
    let torch_ms = |name: &str| {
        theirs
            .iter()
            .find(|t| t.0 == name)
            .and_then(|t| t.1["ms_per_epoch"].as_f64())
    };
    let torch_loss = theirs
        .first()
        .and_then(|t| t.1["losses"].as_array()?.last()?.as_f64());
    let mut rows = Vec::new();
    for (name, v) in ours.iter().chain(theirs) {
        let ms = v["ms_per_epoch"].as_f64().unwrap_or(f64::NAN);
        let peak = v["peak_rss_mb"].as_f64().unwrap_or(f64::NAN);
        let last = v["losses"].as_array().and_then(|l| l.last()?.as_f64());
        let row = Row {
            n,
            rank: r,
            impl_: name.clone(),
            ms_per_epoch: ms,
            peak_rss_mb: peak,
            memory_ratio: peak / (x_mb + params_mb),
            vs_torch: torch_ms(if name.ends_with("sparse") {
                "pytorch sparse"
            } else {
                "pytorch dense"
            })
            .map(|t| ms / t),
            vs_torch_one_product: (!name.ends_with("sparse"))
                .then(|| torch_ms("pytorch dense, one product"))
                .flatten()
                .map(|t| ms / t),
            loss_diff: match (last, torch_loss) {
                (Some(a), Some(b)) => Some((a - b).abs() / b.abs()),
                _ => None,
            },
        };
        print_row(&row);
        rows.push(row);
    }
    rows
}

/// `bench torch`: every (n, r), ours per backend and storage, then PyTorch dense (as written and
/// with one product) and sparse.
pub fn compare(
    sizes: &[usize],
    ranks: &[usize],
    blocks: usize,
    epochs: usize,
    backends: &[String],
) -> Result<Vec<Row>> {
    let exe = std::env::current_exe()?;
    let py = python();
    if let Err(why) = &py {
        println!("PyTorch reference skipped: {why}. Our own numbers follow.");
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    print_header(blocks, epochs, threads);
    let mut rows = Vec::new();
    for &n in sizes {
        for &r in ranks {
            let dir = std::env::temp_dir().join(format!("nmfnet-bench-torch-{n}-{r}"));
            let _ = std::fs::remove_dir_all(&dir);
            let ours = our_runs(&exe, n, r, blocks, epochs, backends, &dir)?;
            let theirs = match &py {
                Ok(p) => torch_runs(p, &dir, blocks, epochs, threads)?,
                Err(_) => Vec::new(),
            };
            rows.extend(table_rows(n, r, blocks, &ours, &theirs));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(rows)
}
