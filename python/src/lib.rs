//! `nmfnet._core`: the Python binding of nmfnet's entry points (`nmfnet_app`), plain arrays in
//! and out. The estimators of the `nmfnet` package (python/nmfnet) are built on these functions;
//! nothing here is meant to be called by users directly.
//!
//! Every fit runs on a worker thread with the GIL released; the calling thread wakes ten times
//! a second to let Python handle signals, and on Ctrl-C (or any exception a signal handler
//! raises) sets the job's stop switch, waits for the solver to stop at its next iteration
//! and re-raises. Errors of the Rust side become `ValueError` with the whole message chain; a
//! panic becomes `RuntimeError`.

use faer::Mat;
use nmfnet_app::cluster::{
    cluster as run_cluster, feature_graph, net_config as preset_config, ClusterInput, ClusterJob,
    GraphKind, GraphParams, KnnSearch, Preset, Shared,
};
use nmfnet_app::consensus::{run_consensus, ConsensusRun};
use nmfnet_app::gan::checkpoint_training_config;
use nmfnet_app::gan::factorize::factorize_images;
use nmfnet_app::gan::train::{gan_train as gan_train_run, GanShape, GanTrainJob};
use nmfnet_app::job::render_fields;
use nmfnet_app::nmf::{nmf as run_nmf, nmf_transform, nmf_transform_sparse, NmfInput, NmfJob};
use nmfnet_app::BackendKind;
use nmfnet_baselines::data::{DenseF32, NmfData, SparseMatrix};
use nmfnet_baselines::Verbose;
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::{Cancel, Csr, Dense};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use std::sync::mpsc;
use std::time::Duration;

/// Stack of the worker thread: the size of a main thread's, for the deepest solver.
const WORKER_STACK: usize = 8 << 20;

/// The estimators' name of a job field (the keyword argument that sets it).
fn python_name(field: &str) -> Option<String> {
    Some(
        match field {
            "rank" => "n_components",
            "seed" => "random_state",
            "restarts" => "n_restarts",
            "epochs" | "max_iter" => "max_iter",
            "plateau_tol" | "tol" => "tol",
            "graph" => "affinity",
            // scikit-learn's W is nmfnet's H.
            "alpha_h" => "alpha_W",
            "alpha_w" => "alpha_H",
            "replicates" => "n_replicates",
            "knn" => "neighbors",
            "backend" | "out" | "resume" | "overwrite" | "checkpoint_every" | "data_dir"
            | "steps" | "batch" | "init" | "method" | "stop" | "beta_loss" | "l1_ratio"
            | "shuffle" | "ks" | "test_fraction" => field,
            _ => return None,
        }
        .to_string()
            + "=",
    )
}

fn value_error(e: anyhow::Error) -> PyErr {
    PyValueError::new_err(render_fields(&format!("{e:#}"), python_name))
}

/// A job from the package's JSON (a dict of the estimator's settings), `input` set here.
fn job_of<T: DeserializeOwned>(text: &str, input: Option<serde_json::Value>) -> PyResult<T> {
    let mut v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| PyValueError::new_err(format!("invalid job: {e}")))?;
    if let (Some(input), Some(map)) = (input, v.as_object_mut()) {
        map.insert("input".into(), input);
    }
    serde_json::from_value(v).map_err(|e| PyValueError::new_err(format!("invalid job: {e}")))
}

/// Runs `job` on a worker thread with the GIL released, checking for signals while it runs;
/// a signal's exception (KeyboardInterrupt) sets `cancel` and is raised once the job stopped.
fn run_detached<T: Send>(
    py: Python<'_>,
    cancel: &Cancel,
    job: impl FnOnce() -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    run_detached_logged(py, cancel, &Verbose::default(), job)
}

/// Prints the lines said into `log` since the last call, through Python's `print` (so that a
/// notebook shows them).
fn print_lines(py: Python<'_>, log: &Verbose) {
    let lines = log.drain();
    if lines.is_empty() {
        return;
    }
    if let Ok(print) = py.import("builtins").and_then(|b| b.getattr("print")) {
        for line in lines {
            let _ = print.call1((line,));
        }
    }
}

/// [`run_detached`], printing the solver's progress lines (`log`) as they come.
fn run_detached_logged<T: Send>(
    py: Python<'_>,
    cancel: &Cancel,
    log: &Verbose,
    job: impl FnOnce() -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("nmfnet-fit".into())
            .stack_size(WORKER_STACK)
            .spawn_scoped(scope, move || {
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                let _ = tx.send(out);
            })
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the fit's thread: {e}")))?;
        let mut interrupted: Option<PyErr> = None;
        let mut rx = rx;
        loop {
            // The receiver is Send but not Sync: it travels into the GIL-free closure and back.
            let (got, back) = py.detach(move || {
                let got = rx.recv_timeout(Duration::from_millis(100));
                (got, rx)
            });
            rx = back;
            print_lines(py, log);
            match got {
                Ok(out) => {
                    if let Some(e) = interrupted {
                        return Err(e);
                    }
                    return match out {
                        Ok(Ok(v)) => Ok(v),
                        Ok(Err(e)) => Err(value_error(e)),
                        Err(panic) => {
                            let msg = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "unknown panic".into());
                            Err(PyRuntimeError::new_err(format!(
                                "nmfnet stopped on an internal error: {msg}"
                            )))
                        }
                    };
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if interrupted.is_none() {
                        if let Err(e) = py.check_signals() {
                            cancel.cancel();
                            interrupted = Some(e);
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(PyRuntimeError::new_err(
                        "the fit's thread ended without a result",
                    ))
                }
            }
        }
    })
}

/// A 2-D array in any layout (C, F, strided, read-only) as a row-major `Dense`.
fn dense(a: &PyReadonlyArray2<'_, f32>) -> PyResult<Dense> {
    let v = a.as_array();
    let (r, c) = v.dim();
    Dense::new(r, c, v.iter().copied().collect()).map_err(|e| value_error(e.into()))
}

fn usize_vec(a: &PyReadonlyArray1<'_, i64>, what: &str) -> PyResult<Vec<usize>> {
    a.as_array()
        .iter()
        .map(|&v| {
            usize::try_from(v)
                .map_err(|_| PyValueError::new_err(format!("{what} holds a negative entry {v}")))
        })
        .collect()
}

fn matrix<'py>(py: Python<'py>, d: &Dense) -> PyResult<Bound<'py, PyArray2<f32>>> {
    PyArray1::from_slice(py, d.data()).reshape([d.nrows(), d.ncols()])
}

/// SymNMF-Net's settings of a preset (`default`, `paper`) as JSON: the estimator sets its own
/// options over them.
#[pyfunction]
fn net_config(preset: &str) -> PyResult<String> {
    let preset = match preset {
        "default" => Preset::Default,
        "paper" => Preset::Paper,
        p => {
            return Err(PyValueError::new_err(format!(
                "unknown preset {p:?}: expected 'default' or 'paper'"
            )))
        }
    };
    let cfg = preset_config(preset, None).map_err(value_error)?.config;
    serde_json::to_string(&cfg).map_err(|e| value_error(e.into()))
}

/// How a graph is built from features, from its names (`kuang`, `knn-self`, `knn-self:K`;
/// `exact`, `hnsw`, `hnsw:EF`), as JSON.
#[pyfunction]
fn graph_params(graph: &str, knn: &str) -> PyResult<String> {
    let params = GraphParams {
        kind: GraphKind::parse(graph).map_err(PyValueError::new_err)?,
        knn: KnnSearch::parse(knn).map_err(PyValueError::new_err)?,
    };
    serde_json::to_string(&params).map_err(|e| value_error(e.into()))
}

type CsrArrays<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f32>>,
);
/// (U, labels, summary JSON, the graph built from features as CSR arrays).
type ClusterOut<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<i64>>,
    String,
    Option<CsrArrays<'py>>,
);

fn csr_arrays<'py>(py: Python<'py>, g: &Csr) -> CsrArrays<'py> {
    let ints = |v: &[usize]| v.iter().map(|&i| i as i64).collect::<Vec<i64>>();
    (
        PyArray1::from_vec(py, ints(g.indptr())),
        PyArray1::from_vec(py, ints(g.indices())),
        PyArray1::from_slice(py, g.values()),
    )
}

fn cluster_input<'py>(
    py: Python<'py>,
    input: ClusterInput,
    job: &str,
) -> PyResult<ClusterOut<'py>> {
    let mut job: ClusterJob = job_of(job, None)?;
    job.input = input;
    // A graph built here from features is handed back (affinity_matrix_); a given one is not.
    job.keep_graph = matches!(job.input, ClusterInput::FeaturesData { .. });
    let cancel = job.run.cancel.clone();
    let report = run_detached(py, &cancel, || run_cluster(&job))?;
    let summary = serde_json::to_string(&report.summary).map_err(|e| value_error(e.into()))?;
    let labels: Vec<i64> = report.labels.iter().map(|&l| l as i64).collect();
    let graph = match &report.graph {
        Some(Graph::Sparse(c)) => Some(csr_arrays(py, c)),
        _ => None,
    };
    Ok((
        matrix(py, &report.u)?,
        PyArray1::from_vec(py, labels),
        summary,
        graph,
    ))
}

/// Clusters dense `x` as the cluster job `job` (JSON, without its input) says: features
/// (samples × features, the graph is built) when `features`, otherwise a similarity matrix.
/// Returns (U, labels, summary JSON, the graph built).
#[pyfunction]
fn cluster<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f32>,
    features: bool,
    job: &str,
) -> PyResult<ClusterOut<'py>> {
    let d = dense(&x)?;
    let name = "array".to_string();
    let input = if features {
        ClusterInput::FeaturesData {
            name,
            z: Shared::new(d),
        }
    } else {
        ClusterInput::SimilarityData {
            name,
            x: Shared::new(Graph::Dense(d)),
        }
    };
    cluster_input(py, input, job)
}

/// Clusters a sparse n×n similarity matrix given as CSR arrays (sorted column indices).
#[pyfunction]
fn cluster_csr<'py>(
    py: Python<'py>,
    n: usize,
    indptr: PyReadonlyArray1<'py, i64>,
    indices: PyReadonlyArray1<'py, i64>,
    data: PyReadonlyArray1<'py, f32>,
    job: &str,
) -> PyResult<ClusterOut<'py>> {
    let csr = Csr::new(
        n,
        n,
        usize_vec(&indptr, "indptr")?,
        usize_vec(&indices, "indices")?,
        data.as_array().iter().copied().collect(),
    )
    .map_err(|e| value_error(e.into()))?;
    let input = ClusterInput::SimilarityData {
        name: "array".into(),
        x: Shared::new(Graph::Sparse(csr)),
    };
    cluster_input(py, input, job)
}

/// The similarity graph of samples × features `z` (`kuang`, `knn-self`, `knn-self:K`), as CSR
/// arrays (indptr, indices, data).
#[pyfunction]
fn knn_graph<'py>(
    py: Python<'py>,
    z: PyReadonlyArray2<'py, f32>,
    graph: &str,
) -> PyResult<CsrArrays<'py>> {
    let kind = GraphKind::parse(graph).map_err(PyValueError::new_err)?;
    let z = dense(&z)?;
    let g = run_detached(py, &Cancel::new(), || {
        Ok(feature_graph(
            &z,
            kind,
            nmfnet_datasets::neighbours::KnnSearch::Exact,
        )?)
    })?;
    Ok(csr_arrays(py, &g))
}

/// (H m×k, W k×n, summary JSON).
type NmfOut<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>, String);

/// Integer labels, one per sample.
type Labels<'py> = Bound<'py, PyArray1<i64>>;

/// A float64 array as a matrix (one copy, whatever the array's layout; a C-ordered one is
/// copied in tiles, reading and writing memory in runs).
fn mat64(a: &PyReadonlyArray2<'_, f64>) -> Mat<f64> {
    let v = a.as_array();
    let (r, c) = v.dim();
    let Some(values) = v.as_slice() else {
        return Mat::from_fn(r, c, |i, j| v[[i, j]]);
    };
    const T: usize = 64;
    let mut out = Mat::<f64>::zeros(r, c);
    for i0 in (0..r).step_by(T) {
        for j in 0..c {
            for i in i0..(i0 + T).min(r) {
                out[(i, j)] = values[i * c + j];
            }
        }
    }
    out
}

/// A matrix as a float64 array.
fn array64<'py>(py: Python<'py>, m: &Mat<f64>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (r, c) = m.shape();
    let data: Vec<f64> = (0..r)
        .flat_map(|i| (0..c).map(move |j| m[(i, j)]))
        .collect();
    PyArray1::from_vec(py, data).reshape([r, c])
}

/// NMF `Y ≈ HW` of `y` (m × n, float64, solved as it is) as the NMF job `job` (JSON, without
/// its input) says, from its start or from (H₀, W₀): returns (H m×k, W k×n, summary JSON).
/// `missing`: the rows and columns of Y's missing entries (held as 0 in `y`).
#[pyfunction]
#[pyo3(signature = (y, job, h0=None, w0=None, missing=None, verbose=false))]
fn nmf<'py>(
    py: Python<'py>,
    y: PyReadonlyArray2<'py, f64>,
    job: &str,
    h0: Option<PyReadonlyArray2<'py, f64>>,
    w0: Option<PyReadonlyArray2<'py, f64>>,
    missing: Option<Positions<'py>>,
    verbose: bool,
) -> PyResult<NmfOut<'py>> {
    // The input is the array: a placeholder for the JSON, replaced by the data.
    let mut job: NmfJob = job_of(job, Some(serde_json::json!({"matrix": "array"})))?;
    job.input = NmfInput::Data64 {
        name: "array".into(),
        y: Shared::new(mat64(&y)),
    };
    run_nmf_job(py, job, h0, w0, missing, verbose)
}

/// [`nmf`] of a float32 `y` for a job with `params.precision` f32: the values are held in f32
/// as they are (no float64 copy) and multiplied in f32.
#[pyfunction]
#[pyo3(signature = (y, job, h0=None, w0=None, verbose=false))]
fn nmf32<'py>(
    py: Python<'py>,
    y: PyReadonlyArray2<'py, f32>,
    job: &str,
    h0: Option<PyReadonlyArray2<'py, f64>>,
    w0: Option<PyReadonlyArray2<'py, f64>>,
    verbose: bool,
) -> PyResult<NmfOut<'py>> {
    let mut job: NmfJob = job_of(job, Some(serde_json::json!({"matrix": "array"})))?;
    if job.params.precision != nmfnet_baselines::data::Precision::F32 {
        return Err(PyValueError::new_err(
            "nmf32 is for jobs with f32 products; a float64 job goes to nmf",
        ));
    }
    // One copy, straight into the f32 column-major matrix the products read.
    let v = y.as_array();
    let (r, c) = v.dim();
    let single = match v.as_slice() {
        Some(values) => DenseF32::from_row_major(r, c, values),
        None => {
            let values: Vec<f32> = v.iter().copied().collect();
            DenseF32::from_row_major(r, c, &values)
        }
    };
    job.input = NmfInput::Data32 {
        name: "array".into(),
        y: Shared::new(single),
    };
    run_nmf_job(py, job, h0, w0, None, verbose)
}

/// (rows, columns) of some entries of a matrix.
type Positions<'py> = (PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, i64>);

/// Runs an NMF job whose input is set, from (H₀, W₀) when both are given; with `verbose`,
/// printing the solver's progress lines while it runs.
fn run_nmf_job<'py>(
    py: Python<'py>,
    mut job: NmfJob,
    h0: Option<PyReadonlyArray2<'py, f64>>,
    w0: Option<PyReadonlyArray2<'py, f64>>,
    missing: Option<Positions<'py>>,
    verbose: bool,
) -> PyResult<NmfOut<'py>> {
    if verbose {
        job.params.verbose = Verbose::buffer();
    }
    if let Some((rows, cols)) = missing {
        let (rows, cols) = (
            usize_vec(&rows, "missing rows")?,
            usize_vec(&cols, "missing columns")?,
        );
        if rows.len() != cols.len() {
            return Err(PyValueError::new_err(
                "missing rows and columns differ in length",
            ));
        }
        job.missing = Some(Shared::new(rows.into_iter().zip(cols).collect()));
    }
    job.start = match (h0, w0) {
        (Some(h), Some(w)) => Some((Shared::new(mat64(&h)), Shared::new(mat64(&w)))),
        (None, None) => None,
        _ => return Err(PyValueError::new_err("a start needs both H₀ and W₀")),
    };
    let cancel = job.run.cancel.clone();
    let log = job.params.verbose.clone();
    let report = run_detached_logged(py, &cancel, &log, || run_nmf(&job))?;
    let summary = serde_json::to_string(&report.summary).map_err(|e| value_error(e.into()))?;
    Ok((
        array64(py, &report.fit_h)?,
        array64(py, &report.fit_w)?,
        summary,
    ))
}

/// Consensus NMF of Y (dense f64, or CSR arrays when `y` is None) as the consensus run (JSON:
/// the job, the engine, the backend) says: per k, (spectra k × n, usage m × k, stability, error, kept mask, labels, points).
#[pyfunction]
#[pyo3(signature = (job, y=None, shape=None, indptr=None, indices=None, data=None))]
#[allow(clippy::type_complexity)]
fn consensus_nmf<'py>(
    py: Python<'py>,
    job: &str,
    y: Option<PyReadonlyArray2<'py, f64>>,
    shape: Option<(usize, usize)>,
    indptr: Option<Indices<'py>>,
    indices: Option<Indices<'py>>,
    data: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Vec<ConsensusOut<'py>>> {
    let mut run: ConsensusRun = job_of(job, None)?;
    // Ctrl-C sets the switch the replicates check.
    let cancel = Cancel::new();
    run.job.params.cancel = cancel.clone();
    let dense = y.as_ref().map(mat64);
    let kmax = run.job.ks.iter().copied().max().unwrap_or(1);
    let sparse = match (shape, indptr, indices, data) {
        (Some(shape), Some(p), Some(i), Some(d)) => Some(sparse_matrix(shape, &p, &i, &d, kmax)?),
        _ => None,
    };
    let input: NmfData<'_> = match (&dense, &sparse) {
        (Some(d), _) => d.as_ref().into(),
        (None, Some(s)) => s.into(),
        _ => return Err(PyValueError::new_err("give Y dense or as CSR arrays")),
    };
    let fits = run_detached(py, &cancel, || run_consensus(input, &run, |_| {}))?;
    fits.into_iter()
        .map(|c| {
            Ok((
                array64(py, &c.spectra)?,
                array64(py, &c.usage)?,
                c.stability,
                c.error,
                c.kept,
                c.labels,
                array64(py, &c.points)?,
                c.iterations,
            ))
        })
        .collect()
}

/// One k's consensus as Python receives it.
type ConsensusOut<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    f64,
    f64,
    Vec<bool>,
    Vec<usize>,
    Bound<'py, PyArray2<f64>>,
    Vec<usize>,
);

/// An index array of a CSR matrix as scipy holds it: int32 (its usual) or int64, taken without
/// a conversion on the Python side (an int64 copy of a large matrix's indices cost 8 bytes an
/// entry at the peak of a fit).
#[derive(FromPyObject)]
enum Indices<'py> {
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

impl Indices<'_> {
    fn to_usize(&self, what: &str) -> PyResult<Vec<usize>> {
        let bad = |v: i64| PyValueError::new_err(format!("{what} holds a negative entry {v}"));
        match self {
            Indices::I32(a) => a
                .as_array()
                .iter()
                .map(|&v| usize::try_from(v).map_err(|_| bad(v.into())))
                .collect(),
            Indices::I64(a) => usize_vec(a, what),
        }
    }
}

/// An m × n sparse matrix from CSR arrays, in f64 (checked: structure, finite, ≥ 0).
fn sparse_matrix(
    shape: (usize, usize),
    indptr: &Indices<'_>,
    indices: &Indices<'_>,
    data: &PyReadonlyArray1<'_, f64>,
    k: usize,
) -> PyResult<SparseMatrix> {
    // The shape is the caller's claim: its pointer arrays are checked before they exist.
    let nnz = data.as_array().len();
    nmfnet_app::nmf::check_memory(shape.0, shape.1, k, Some(nnz)).map_err(value_error)?;
    SparseMatrix::from_csr(
        shape.0,
        shape.1,
        indptr.to_usize("indptr")?,
        indices.to_usize("indices")?,
        data.as_array().iter().copied().collect(),
    )
    .map_err(|e| value_error(e.into()))
}

/// [`nmf`] of a sparse m × n matrix given as CSR arrays (f64), never made dense.
#[pyfunction]
#[pyo3(signature = (shape, indptr, indices, data, job, h0=None, w0=None, missing=None, verbose=false))]
#[allow(clippy::too_many_arguments)]
fn nmf_csr<'py>(
    py: Python<'py>,
    shape: (usize, usize),
    indptr: Indices<'py>,
    indices: Indices<'py>,
    data: PyReadonlyArray1<'py, f64>,
    job: &str,
    h0: Option<PyReadonlyArray2<'py, f64>>,
    w0: Option<PyReadonlyArray2<'py, f64>>,
    missing: Option<Positions<'py>>,
    verbose: bool,
) -> PyResult<NmfOut<'py>> {
    let mut job: NmfJob = job_of(job, Some(serde_json::json!({"matrix": "array"})))?;
    let y = sparse_matrix(shape, &indptr, &indices, &data, job.params.rank)?;
    job.input = NmfInput::SparseData {
        name: "array".into(),
        y: Shared::new(y),
    };
    run_nmf_job(py, job, h0, w0, missing, verbose)
}

/// [`transform`] of a sparse samples × features matrix given as CSR arrays (f64).
#[pyfunction]
fn transform_csr<'py>(
    py: Python<'py>,
    components: PyReadonlyArray2<'py, f64>,
    shape: (usize, usize),
    indptr: Indices<'py>,
    indices: Indices<'py>,
    data: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let b = mat64(&components);
    let x = sparse_matrix(shape, &indptr, &indices, &data, b.nrows())?;
    let (samples, k) = (shape.0, b.nrows());
    let c = run_detached(py, &Cancel::new(), || nmf_transform_sparse(b.as_ref(), x))?;
    PyArray1::from_vec(py, c).reshape([samples, k])
}

/// The nonnegative coefficients (samples × k, f64) of the rows of `x` on the basis
/// `components` (k × features), both float64.
#[pyfunction]
fn transform<'py>(
    py: Python<'py>,
    components: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (b, xd) = (mat64(&components), mat64(&x));
    let (samples, k) = (xd.nrows(), b.nrows());
    let c = run_detached(py, &Cancel::new(), || {
        nmf_transform(b.as_ref(), xd.as_ref())
    })?;
    PyArray1::from_vec(py, c).reshape([samples, k])
}

/// One of the clustering data sets with image features (orl, coil20, mnist1, mnist2,
/// fashion1, mnist-full) from `data_dir` (None: $NMFNET_DATA): (features samples × pixels, labels).
#[pyfunction]
#[pyo3(signature = (name, data_dir=None))]
fn load_cluster_dataset<'py>(
    py: Python<'py>,
    name: &str,
    data_dir: Option<std::path::PathBuf>,
) -> PyResult<(Bound<'py, PyArray2<f32>>, Labels<'py>)> {
    use nmfnet_datasets::catalog::{self, DatasetId, Features, LoadOptions};
    let data = run_detached(py, &Cancel::new(), || {
        let id = DatasetId::parse(name)?;
        let dir = catalog::data_dir(data_dir.as_deref())?;
        Ok(catalog::load_cluster(id, &dir, LoadOptions::default())?)
    })?;
    let Features::Dense(z) = &data.features else {
        return Err(PyValueError::new_err(format!(
            "{name}'s features are sparse term counts; only the image sets load as arrays"
        )));
    };
    let labels: Vec<i64> = data.labels.iter().map(|&l| l as i64).collect();
    Ok((matrix(py, z)?, PyArray1::from_vec(py, labels)))
}

/// The training config of a GAN-UNET shape (k, width, tiny, NNLS sweeps, …; JSON) as JSON.
#[pyfunction]
fn gan_shape_config(shape: &str) -> PyResult<String> {
    let shape: GanShape = job_of(shape, None)?;
    let cfg = shape.config().map_err(value_error)?;
    serde_json::to_string(&cfg).map_err(|e| value_error(e.into()))
}

/// Trains GAN-UNET as the job `job` (JSON) says, through the one training loop
/// (`nmfnet gan train`); returns the summary JSON.
#[pyfunction]
fn gan_train(py: Python<'_>, job: &str) -> PyResult<String> {
    let job: GanTrainJob = job_of(job, None)?;
    let cancel = job.run.cancel.clone();
    let summary = run_detached(py, &cancel, || gan_train_run(&job))?;
    serde_json::to_string(&summary).map_err(|e| value_error(e.into()))
}

/// The training config of a `gan train` folder (group size, k, image shape, …) as JSON.
#[pyfunction]
fn gan_config(checkpoint: std::path::PathBuf) -> PyResult<String> {
    let cfg = checkpoint_training_config(&checkpoint).map_err(value_error)?;
    serde_json::to_string(&cfg).map_err(|e| value_error(e.into()))
}

/// One group of images (m × height·width, one image per row, values as trained on) factorised
/// by the generator in `checkpoint`, then `refine` rounds of HALS: (H k × pixels, W k × m,
/// the reconstructions m × pixels, ε, seconds).
#[pyfunction]
#[pyo3(signature = (checkpoint, images, height, width, refine=0, backend="flex"))]
#[allow(clippy::type_complexity)]
fn gan_factorize<'py>(
    py: Python<'py>,
    checkpoint: std::path::PathBuf,
    images: PyReadonlyArray2<'py, f32>,
    height: usize,
    width: usize,
    refine: usize,
    backend: &str,
) -> PyResult<(
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray2<f32>>,
    f64,
    f64,
)> {
    let backend = backend
        .parse::<BackendKind>()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let images = dense(&images)?;
    let m = images.nrows();
    let out = run_detached(py, &Cancel::new(), || {
        let cfg = checkpoint_training_config(&checkpoint)?;
        cfg.check_image_shape(height, width, "the images")?;
        anyhow::ensure!(
            images.ncols() == height * width,
            "the images have {} pixels each, not {height}×{width}",
            images.ncols()
        );
        images.check_finite("the images")?;
        let set = ImageSet {
            images,
            height,
            width,
            labels: vec![0; m],
        };
        factorize_images(&checkpoint, &set, refine, backend)
    })?;
    Ok((
        matrix(py, &out.h)?,
        matrix(py, &out.w)?,
        matrix(py, &out.rec)?,
        out.error,
        out.seconds,
    ))
}

/// The backends compiled into this module (`flex`, `ndarray`, `wgpu`).
#[pyfunction]
fn backends() -> Vec<&'static str> {
    nmfnet_app::compiled_backends()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cluster, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_csr, m)?)?;
    m.add_function(wrap_pyfunction!(knn_graph, m)?)?;
    m.add_function(wrap_pyfunction!(nmf, m)?)?;
    m.add_function(wrap_pyfunction!(nmf32, m)?)?;
    m.add_function(wrap_pyfunction!(transform, m)?)?;
    m.add_function(wrap_pyfunction!(nmf_csr, m)?)?;
    m.add_function(wrap_pyfunction!(consensus_nmf, m)?)?;
    m.add_function(wrap_pyfunction!(transform_csr, m)?)?;
    m.add_function(wrap_pyfunction!(backends, m)?)?;
    m.add_function(wrap_pyfunction!(load_cluster_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(gan_train, m)?)?;
    m.add_function(wrap_pyfunction!(gan_config, m)?)?;
    m.add_function(wrap_pyfunction!(gan_shape_config, m)?)?;
    m.add_function(wrap_pyfunction!(net_config, m)?)?;
    m.add_function(wrap_pyfunction!(graph_params, m)?)?;
    m.add_function(wrap_pyfunction!(gan_factorize, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
