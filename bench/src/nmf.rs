//! `bench nmf`: plain NMF `Y ≈ HW` (the GAN-UNET baselines) per iteration — ours (MU, HALS,
//! ANLS) next to the GEMM floor (the two products `Y·Wᵀ` and `Hᵀ·Y` every iteration needs,
//! timed alone in the same run) and next to scikit-learn's `NMF` (solver `mu` for our MU,
//! `cd` — coordinate descent, the same update as HALS — for our HALS) and nmf-rs (`lee`;
//! `hals` and `ehals`) from the same start, where they are installed.

use crate::torch::{last_json_line, python_with};
use anyhow::Result;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat};
use nmfnet_baselines::nmf::nmf_init;
use nmfnet_baselines::{nmf_from, NmfMethod, NmfParams};
use nmfnet_datasets::catalog::{self, DatasetId, Split};
use nmfnet_datasets::io::write_npy;
use nmfnet_datasets::Dense;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The matrix: the first `cols` MNIST training images (pixels × images) when the data folder is
/// there, else a seeded random nonnegative rank-20 matrix plus noise of the same shape.
fn matrix(data_dir: Option<&Path>, cols: usize) -> Result<(String, Dense)> {
    if let Some(dir) = data_dir {
        let set = catalog::load_images(DatasetId::parse("mnist")?, Split::Train, dir)?;
        let cols = cols.min(set.images.nrows());
        let px = set.height * set.width;
        // Stored images × pixels: exactly the samples × features layout scikit-learn takes.
        let data = set.images.data()[..cols * px].to_vec();
        return Ok((format!("mnist {px}×{cols}"), Dense::new(cols, px, data)?));
    }
    let (px, r) = (784usize, 20usize);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || crate::util::unit_f32(&mut state);
    let a: Vec<f32> = (0..cols * r).map(|_| next()).collect();
    let b: Vec<f32> = (0..r * px).map(|_| next()).collect();
    let mut data = vec![0.0f32; cols * px];
    for i in 0..cols {
        for l in 0..r {
            let ail = a[i * r + l];
            for p in 0..px {
                data[i * px + p] += ail * b[l * px + p];
            }
        }
        for p in 0..px {
            data[i * px + p] += 0.1 * next();
        }
    }
    Ok((
        format!("random rank-20 {px}×{cols}"),
        Dense::new(cols, px, data)?,
    ))
}

/// Median seconds of the two products of one iteration, `Y·Wᵀ` and `Hᵀ·Y`.
fn floor_seconds(y: &Mat<f64>, k: usize, reps: usize) -> f64 {
    let (m, n) = (y.nrows(), y.ncols());
    let w = Mat::from_fn(k, n, |i, j| ((i * 7 + j * 13) % 31) as f64 / 31.0);
    let h = Mat::from_fn(m, k, |i, j| ((i * 3 + j * 5) % 29) as f64 / 29.0);
    let mut ywt = Mat::<f64>::zeros(m, k);
    let mut hty = Mat::<f64>::zeros(k, n);
    let par = nmfnet_baselines::linalg::par();
    let mut once = || {
        matmul(
            ywt.as_mut(),
            Accum::Replace,
            y.as_ref(),
            w.transpose(),
            1.0,
            par,
        );
        matmul(
            hty.as_mut(),
            Accum::Replace,
            h.transpose(),
            y.as_ref(),
            1.0,
            par,
        );
        std::hint::black_box((&ywt, &hty));
    };
    once();
    crate::util::median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                once();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub matrix: String,
    pub method: String,
    pub impl_: String,
    pub iterations: usize,
    pub ms_per_iter: f64,
    pub floor_ms: f64,
    pub rel_error: f64,
    /// Time over the GEMM floor.
    pub vs_floor: f64,
    /// Time over scikit-learn's for the same update (MU ↔ mu, HALS ↔ cd).
    pub vs_sklearn: Option<f64>,
}

/// One implementation's run of a method: name, iterations, ms per iteration, relative error.
type Run = (String, usize, f64, f64);

/// Writes Y and the start into `dir` for the scikit-learn script. The script's H0 (samples ×
/// k, scikit-learn's W) is our Wᵀ; its W0 (k × features, scikit-learn's H) our Hᵀ.
fn write_inputs(dir: &Path, yt: &Dense, h0: &Mat<f64>, w0: &Mat<f64>) -> Result<()> {
    write_npy(&dir.join("Y.npy"), yt)?;
    let to_dense = |m: &Mat<f64>| {
        Dense::new(
            m.ncols(),
            m.nrows(),
            (0..m.ncols())
                .flat_map(|j| (0..m.nrows()).map(move |i| (i, j)))
                .map(|(i, j)| m[(i, j)] as f32)
                .collect(),
        )
    };
    write_npy(&dir.join("H0.npy"), &to_dense(w0)?)?;
    write_npy(&dir.join("W0.npy"), &to_dense(h0)?)?;
    Ok(())
}

/// scikit-learn's `solver` for `iters` iterations from the start in `dir`.
fn sklearn_run(
    python: &Path,
    dir: &Path,
    solver: &str,
    iters: usize,
    threads: usize,
) -> Result<Run> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/sklearn_nmf.py");
    let out = Command::new(python)
        .arg(&script)
        .arg("--y")
        .arg(dir.join("Y.npy"))
        .arg("--h0")
        .arg(dir.join("H0.npy"))
        .arg("--w0")
        .arg(dir.join("W0.npy"))
        .args(["--solver", solver, "--iters", &iters.to_string()])
        .args(["--threads", &threads.to_string()])
        .output()?;
    let v = last_json_line(&out, &format!("scikit-learn {solver}"))?;
    Ok((
        match solver.strip_prefix("nmfrs-") {
            Some(m) => format!("nmf-rs-{m}"),
            None => format!("sklearn-{solver}"),
        },
        v["iterations"].as_u64().unwrap_or(0) as usize,
        v["ms_per_iter"].as_f64().unwrap_or(f64::NAN),
        v["rel_error"].as_f64().unwrap_or(f64::NAN),
    ))
}

/// Prints what the plain NMF table shows and its header.
fn print_header(name: &str, k: usize, threads: usize, iters: usize) {
    println!(
        "plain NMF Y ≈ HW of {name}, k = {k}, f64, {threads} threads, {iters} iterations from the same start; \
         floor = Y·Wᵀ + Hᵀ·Y timed alone (median of 7); vs sklearn = time / scikit-learn's for the same update"
    );
    println!(
        "{:>6} {:>12} {:>6} {:>9} {:>9} {:>8} {:>10} {:>9}",
        "method", "impl", "iters", "ms/iter", "floor ms", "vs floor", "vs sklearn", "rel. err"
    );
}

/// The rows of one method on matrix `name`, ours then scikit-learn's when it ran, each printed
/// as it is made.
fn method_rows(name: &str, method: NmfMethod, floor: f64, found: Vec<Run>) -> Vec<Row> {
    let sk = found
        .iter()
        .find(|f| f.0.starts_with("sklearn-"))
        .map(|f| f.2);
    let mut rows = Vec::new();
    for (impl_, iterations, ms, rel) in found {
        let row = Row {
            matrix: name.to_string(),
            method: method.name().into(),
            impl_,
            iterations,
            ms_per_iter: ms,
            floor_ms: floor,
            rel_error: rel,
            vs_floor: ms / floor,
            vs_sklearn: sk.map(|s| ms / s),
        };
        println!(
            "{:>6} {:>12} {:>6} {:>9.2} {:>9.2} {:>8.2} {:>10} {:>9.5}",
            row.method,
            row.impl_,
            row.iterations,
            row.ms_per_iter,
            row.floor_ms,
            row.vs_floor,
            row.vs_sklearn.map_or("—".into(), |x| format!("{x:.2}")),
            row.rel_error
        );
        rows.push(row);
    }
    rows
}

/// `bench nmf`: every method, ours from the same start as scikit-learn's, against the GEMM
/// floor timed right before it and against scikit-learn's same update.
pub fn compare(data_dir: Option<&Path>, cols: usize, k: usize, iters: usize) -> Result<Vec<Row>> {
    let (name, yt) = matrix(data_dir, cols)?;
    // Ours works on pixels × images; values are the f32 ones scikit-learn reads, in f64.
    let y = Mat::from_fn(yt.ncols(), yt.nrows(), |p, i| yt.row(i)[p] as f64);
    let (h0, w0) = nmf_init(y.as_ref(), k, 0);
    let round = |m: &Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32 as f64);
    let (h0, w0) = (round(&h0), round(&w0));
    let dir = std::env::temp_dir().join(format!("nmfnet-bench-nmf-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let py = python_with(&["numpy", "sklearn"]);
    if let Err(why) = &py {
        println!("scikit-learn reference skipped: {why}. Our own numbers follow.");
    } else {
        write_inputs(&dir, &yt, &h0, &w0)?;
    }
    let nmf_rs = python_with(&["numpy", "nmf_rs"]);
    if let Err(why) = &nmf_rs {
        println!("nmf-rs skipped: {why}.");
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    print_header(&name, k, threads, iters);
    let mut rows = Vec::new();
    for method in [
        NmfMethod::Mu,
        NmfMethod::Hals,
        NmfMethod::Anls,
        NmfMethod::Ehals,
    ] {
        let floor = floor_seconds(&y, k, 7) * 1e3;
        let mut p = NmfParams::new(k);
        p.max_iter = iters;
        p.tol = 0.0;
        if method == NmfMethod::Ehals {
            p.stop = nmfnet_baselines::nmf::NmfStop::Divergence;
        }
        let fit = nmf_from(method, y.as_ref(), &p, h0.clone(), w0.clone())?;
        let it = fit.convergence.iterations.max(1);
        let ours_ms = fit.seconds * 1e3 / it as f64;
        let mut found = vec![("ours".to_string(), it, ours_ms, fit.rel_error())];
        let solver = match method {
            NmfMethod::Mu => Some("mu"),
            NmfMethod::Hals => Some("cd"),
            NmfMethod::Anls | NmfMethod::Ccd | NmfMethod::Ehals => None,
        };
        if let (Ok(p), Some(solver)) = (&py, solver) {
            found.push(sklearn_run(p, &dir, solver, iters, threads)?);
        }
        // nmf-rs (PyPI `nmf-rs`), where it is installed: its HALS and extrapolated HALS beside
        // ours, its Lee–Seung MU beside our MU.
        let peers: &[&str] = match method {
            NmfMethod::Mu => &["nmfrs-lee"],
            NmfMethod::Hals => &["nmfrs-hals"],
            NmfMethod::Ehals => &["nmfrs-ehals"],
            NmfMethod::Anls | NmfMethod::Ccd => &[],
        };
        if let (Ok(p), true) = (&nmf_rs, py.is_ok()) {
            for peer in peers {
                found.push(sklearn_run(p, &dir, peer, iters, threads)?);
            }
        }
        rows.extend(method_rows(&name, method, floor, found));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}
