//! The graph to cluster, read from what the job names, with its ground truth if known.

use super::job::{ClusterInput, ClusterJob, GraphKind};
use anyhow::{bail, Context};
use indicatif::ProgressBar;
use nmfnet_datasets::catalog::synthetic::{planted_graph, PlantedConfig};
use nmfnet_datasets::catalog::{self, DatasetId, LoadOptions};
use nmfnet_datasets::graph::{self, Graph};
use nmfnet_datasets::io::{is_npz, read_labels, read_matrix, read_sparse_npz};
use nmfnet_datasets::matrix::validate_similarity;
use nmfnet_datasets::neighbours::KnnSearch;
use nmfnet_datasets::progress::{no_progress, Progress};
use nmfnet_datasets::sparse::validate_sparse_similarity;
use nmfnet_datasets::{Csr, Dense};
use nmfnet_train::progress::work_bar;
use std::path::Path;

/// A validated graph, its name and its labels.
pub(crate) struct Problem {
    pub name: String,
    pub x: Graph,
    pub labels: Option<Vec<usize>>,
    /// X is the input's values × 2^`exponent` (0 unless a file's values lay beyond f32's
    /// range: see `nmfnet_datasets::matrix::f32_values`).
    pub exponent: i32,
    /// The share of zeros of a dense input that is held sparse (see [`SPARSE_SHARE`]).
    pub dense_zeros: Option<f64>,
}

/// A dense similarity (a file or an array) with at least this share of zeros is held sparse
/// unless `dense` is asked for: the sparse products then do a tenth of the work or less.
pub const SPARSE_SHARE: f64 = 0.9;

/// `x` held sparse when it is dense with at least [`SPARSE_SHARE`] zeros; the share when so.
fn sparse_if_mostly_zero(x: &mut Graph) -> Option<f64> {
    let Graph::Dense(d) = x else { return None };
    let n = d.data().len();
    let zeros = d.data().iter().filter(|&&v| v == 0.0).count();
    let share = zeros as f64 / n.max(1) as f64;
    if share < SPARSE_SHARE {
        return None;
    }
    *x = Graph::Sparse(nmfnet_datasets::sparse::Csr::from_dense(d));
    Some(share)
}

/// The rule a sparse file meets (see `check_isolated`), for a dense one that runs sparse.
fn check_isolated(x: &Graph, name: &str) -> anyhow::Result<()> {
    if let Graph::Sparse(s) = x {
        nmfnet_datasets::sparse::check_isolated(s, &format!("similarity matrix {name}"))?;
    }
    Ok(())
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The similarity graph of samples × features `z` (sparse).
pub fn feature_graph(
    z: &Dense,
    kind: GraphKind,
    search: KnnSearch,
) -> nmfnet_datasets::Result<Csr> {
    feature_graph_with(z, kind, search, &no_progress)
}

/// [`feature_graph`], reporting the neighbour search's progress (rows done, rows in all).
pub fn feature_graph_with(
    z: &Dense,
    kind: GraphKind,
    search: KnnSearch,
    progress: Progress,
) -> nmfnet_datasets::Result<Csr> {
    match kind {
        GraphKind::Kuang => graph::knn_similarity_search(z, search, progress),
        GraphKind::KnnSelf { k } => graph::knn_self_similarity_search(z, k, search, progress),
    }
}

/// A bar over the rows of the neighbour search (hidden without progress bars or off a
/// terminal).
fn graph_bar(job: &ClusterJob, n: usize) -> ProgressBar {
    work_bar(
        n,
        format!("kNN graph, {n} points"),
        !job.run.progress || n < 5000,
    )
}

/// Reads and checks the graph and the labels of `job`.
pub(crate) fn load_problem(job: &ClusterJob) -> anyhow::Result<Problem> {
    let params = job.graph.unwrap_or_default();
    let (kind, search) = (params.kind, params.knn);
    let mut problem = match &job.input {
        ClusterInput::Dataset {
            name,
            data_dir,
            coil_full_size,
        } => dataset_problem(
            job,
            name,
            data_dir.as_deref(),
            *coil_full_size,
            kind,
            search,
        )?,
        ClusterInput::Similarity(path) => similarity_file(path)?,
        ClusterInput::Features(path) => {
            // A kNN graph does not depend on the features' unit: their scaling is dropped.
            let z = read_matrix(path)?.matrix;
            let bar = graph_bar(job, z.nrows());
            let x = feature_graph_with(&z, kind, search, &|done, _| bar.set_position(done as u64))
                .with_context(|| format!("building the kNN graph of {}", path.display()))?;
            bar.finish_and_clear();
            Problem {
                name: file_stem(path),
                x: Graph::Sparse(x),
                labels: None,
                exponent: 0,
                dense_zeros: None,
            }
        }
        ClusterInput::FeaturesData { name, z } => Problem {
            name: name.clone(),
            x: Graph::Sparse(
                feature_graph(&z.0, kind, search)
                    .with_context(|| format!("building the kNN graph of {name}"))?,
            ),
            labels: None,
            exponent: 0,
            dense_zeros: None,
        },
        ClusterInput::SimilarityData { name, x } => similarity_data(name, &x.0)?,
        ClusterInput::Embedded => {
            let g = planted_graph(&PlantedConfig::default())?;
            Problem {
                name: g.name,
                x: Graph::Dense(g.x),
                labels: g.labels,
                exponent: 0,
                dense_zeros: None,
            }
        }
    };
    // A user's dense matrix that is mostly zeros (a kNN graph saved dense) runs sparse.
    if !job.dense
        && matches!(
            job.input,
            ClusterInput::Similarity(_) | ClusterInput::SimilarityData { .. }
        )
    {
        problem.dense_zeros = sparse_if_mostly_zero(&mut problem.x);
        if problem.dense_zeros.is_some() {
            check_isolated(&problem.x, &problem.name)?;
        }
    }
    if let Some(path) = &job.labels {
        let labels = read_labels(path)?;
        if labels.len() != problem.x.n() {
            bail!(
                "{} holds {} labels but the data has n = {} points",
                path.display(),
                labels.len(),
                problem.x.n()
            );
        }
        problem.labels = Some(labels);
    }
    Ok(problem)
}

/// One of the papers' data sets, its graph built as `kind` with neighbours found by `search`.
fn dataset_problem(
    job: &ClusterJob,
    name: &str,
    data_dir: Option<&Path>,
    coil_full_size: bool,
    kind: GraphKind,
    search: KnnSearch,
) -> anyhow::Result<Problem> {
    let id = DatasetId::parse(name)?;
    let dir = catalog::data_dir(data_dir)?;
    let data = catalog::load_cluster(id, &dir, LoadOptions { coil_full_size })?;
    let bar = graph_bar(job, data.features.nrows());
    let progress = |done: usize, _: usize| bar.set_position(done as u64);
    let x = match kind {
        GraphKind::Kuang => data.graph_with(search, &progress)?,
        GraphKind::KnnSelf { k } => data.knn_self_graph_with(k, search, &progress)?,
    };
    bar.finish_and_clear();
    Ok(Problem {
        name: id.name().to_string(),
        x: Graph::Sparse(x),
        labels: Some(data.labels),
        exponent: 0,
        dense_zeros: None,
    })
}

/// A similarity matrix file: a scipy `.npz` is sparse, anything else dense.
fn similarity_file(path: &Path) -> anyhow::Result<Problem> {
    let what = format!("similarity matrix {}", path.display());
    let (x, exponent) = if is_npz(path) {
        let read = read_sparse_npz(path)?;
        let x = validate_sparse_similarity(read.matrix, &what)?;
        (Graph::Sparse(x), read.exponent)
    } else {
        let read = read_matrix(path)?;
        (
            Graph::Dense(validate_similarity(read.matrix, &what)?),
            read.exponent,
        )
    };
    Ok(Problem {
        name: file_stem(path),
        x,
        labels: None,
        exponent,
        dense_zeros: None,
    })
}

/// A similarity matrix handed over in memory, checked like a file's.
fn similarity_data(name: &str, x: &Graph) -> anyhow::Result<Problem> {
    let what = format!("similarity matrix {name}");
    Ok(Problem {
        name: name.to_string(),
        x: match x {
            Graph::Dense(d) => Graph::Dense(validate_similarity(d.clone(), &what)?),
            Graph::Sparse(s) => Graph::Sparse(validate_sparse_similarity(s.clone(), &what)?),
        },
        labels: None,
        exponent: 0,
        dense_zeros: None,
    })
}
