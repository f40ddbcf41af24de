//! `data`: the papers' data sets — verify the files of every set, or describe one.

use nmfnet_datasets::catalog::{self, CheckRow, DatasetId, LoadOptions};
pub use nmfnet_datasets::graph::sbm::SbmConfig;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Every data set checked (files present, sha256, sample and class counts).
#[derive(Debug, Clone, Serialize)]
pub struct DataCheck {
    pub dir: PathBuf,
    pub rows: Vec<CheckRow>,
}

impl DataCheck {
    /// Rows with a problem.
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|r| !r.ok).count()
    }
}

/// Checks every data set in `data_dir` (None: `$NMFNET_DATA`).
pub fn check(data_dir: Option<&Path>) -> anyhow::Result<DataCheck> {
    let dir = catalog::data_dir(data_dir)?;
    let rows = DatasetId::ALL
        .iter()
        .map(|&id| catalog::check(id, &dir))
        .collect();
    Ok(DataCheck { dir, rows })
}

/// What the files of a data set hold, once loaded.
#[derive(Debug, Clone, Serialize)]
pub enum Loaded {
    /// A clustering set: samples × features.
    Clustering { samples: usize, features: usize },
    /// An image set of GAN-UNET: its two splits.
    Images {
        train: usize,
        test: usize,
        height: usize,
        width: usize,
    },
}

/// One data set described, and loaded when its folder is known.
#[derive(Debug, Clone, Serialize)]
pub struct DataInfo {
    pub name: &'static str,
    pub description: &'static str,
    /// Samples and classes the files must hold.
    pub expected: (usize, usize),
    /// The clustering rank r (clustering sets only).
    pub rank: Option<usize>,
    /// The folder it was loaded from and what it held; None without a data folder.
    pub loaded: Option<(PathBuf, Loaded)>,
    /// Samples per class (of the training split for image sets), when loaded.
    pub class_sizes: Vec<usize>,
}

/// Describes data set `name`; loads it when `data_dir` (or `$NMFNET_DATA`) names a folder.
pub fn info(name: &str, data_dir: Option<&Path>) -> anyhow::Result<DataInfo> {
    let id = DatasetId::parse(name)?;
    let clustering = id.is_clustering();
    let mut info = DataInfo {
        name: id.name(),
        description: id.describe(),
        expected: id.expected_counts(),
        rank: clustering.then(|| id.rank()),
        loaded: None,
        class_sizes: Vec::new(),
    };
    let Ok(dir) = catalog::data_dir(data_dir) else {
        return Ok(info);
    };
    let (loaded, labels) = if clustering {
        let d = catalog::load_cluster(id, &dir, LoadOptions::default())?;
        (
            Loaded::Clustering {
                samples: d.features.nrows(),
                features: d.features.ncols(),
            },
            d.labels,
        )
    } else {
        let tr = catalog::load_images(id, catalog::Split::Train, &dir)?;
        let te = catalog::load_images(id, catalog::Split::Test, &dir)?;
        (
            Loaded::Images {
                train: tr.images.nrows(),
                test: te.images.nrows(),
                height: tr.height,
                width: tr.width,
            },
            tr.labels,
        )
    };
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    info.class_sizes = (0..classes)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .collect();
    info.loaded = Some((dir, loaded));
    Ok(info)
}

/// What `data planted-graph` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PlantedGraphSummary {
    pub config: nmfnet_datasets::graph::sbm::SbmConfig,
    pub graph: PathBuf,
    pub labels: PathBuf,
    /// Stored entries of X (both triangles).
    pub nnz: usize,
    pub seconds_generate: f64,
    pub seconds_write: f64,
}

/// Generates the seeded planted-partition graph of `cfg` and writes it as a new sparse `.npz`
/// (`graph`) and its blocks as a new `.npy` (`labels`). Neither file may exist: both names are
/// checked before any work, and each is linked into place only when complete.
pub fn planted_graph(
    cfg: &nmfnet_datasets::graph::sbm::SbmConfig,
    graph: &Path,
    labels: &Path,
    progress: bool,
) -> anyhow::Result<PlantedGraphSummary> {
    use nmfnet_datasets::DataError;
    for p in [graph, labels] {
        if p.symlink_metadata().is_ok() {
            return Err(DataError::Exists { path: p.into() }.into());
        }
    }
    if graph == labels {
        anyhow::bail!("`out` and `labels_out` name the same file");
    }
    let t0 = std::time::Instant::now();
    let bar = nmfnet_train::progress::work_bar(
        cfg.nodes,
        format!("planted graph, {} nodes", cfg.nodes),
        !progress,
    );
    let step = |done: usize, _: usize| bar.set_position(done as u64);
    let (x, blocks) = nmfnet_datasets::graph::sbm::planted_partition(cfg, &step)?;
    bar.finish_and_clear();
    let seconds_generate = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    nmfnet_datasets::formats::npz::write_sparse_npz_new(graph, &x)?;
    if let Err(e) = nmfnet_datasets::io::write_labels_new(labels, &blocks) {
        // The graph alone would block the same command run again: it goes with the labels
        // (it was created just now, by this run).
        let _ = std::fs::remove_file(graph);
        return Err(e.into());
    }
    Ok(PlantedGraphSummary {
        config: cfg.clone(),
        graph: graph.into(),
        labels: labels.into(),
        nnz: x.nnz(),
        seconds_generate,
        seconds_write: t1.elapsed().as_secs_f64(),
    })
}
