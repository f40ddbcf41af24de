//! The data sets of the two papers (SPEC §4 and §5), read from the folder of `../shared/data`
//! (see its README): definitions, checksums, loaders and the `data check` report.
//!
//! | name | n | classes | r | features |
//! |---|---|---|---|---|
//! | `orl` | 400 | 40 | 40 | 92×112 PGM pixels / 255 |
//! | `coil20` | 1,440 | 20 | 20 | 128×128 PNG downsampled to 32×32 (triangle filter; `full` keeps 128×128), / 255 |
//! | `mnist1` | 3,147 | 10 | 10 | the first 3,147 MNIST training images, / 255 |
//! | `mnist2` | 3,147 | 3 | 3 | every MNIST test image of digits 0, 1, 2 (980 + 1,135 + 1,032), / 255 |
//! | `tdt2` | 9,394 | 30 | 30 | tf-idf of the term counts, rows L2-normalised (cosine graph) |
//! | `fashion1` | 3,000 | 10 | 10 | the first 300 Fashion-MNIST test images of each class, / 255 (held out: no setting was chosen on it) |
//! | `mnist-full` | 70,000 | 10 | 10 | every MNIST image, the 60,000 training images then the 10,000 test images, / 255 |
//! | `mnist`, `fashion` | 60,000 + 10,000 | 10 | — | 28×28 / 255 (GAN-UNET) |
//! | `olivetti` | 400 (320 + 80) | 40 | — | 64×64, scaled as scikit-learn does: (x − min) / max over the set |
//!
//! "First 3,147" (MNIST₁) is this project's documented choice; the paper does not say how its
//! subset was drawn. Olivetti's train/test split takes images 1–8 of each person for training
//! and 9–10 for testing.

use crate::error::{DataError, Result};
use crate::matrix::Dense;
use crate::neighbours::KnnSearch;
use crate::progress::{no_progress, Progress};
use crate::sparse::Csr;
use std::path::{Path, PathBuf};

mod check;
mod checksum;
mod coil20;
mod mnist;
mod olivetti;
mod orl;
pub mod synthetic;
mod tdt2;

pub use check::{check, CheckRow};
pub use checksum::sha256_hex;

/// The environment variable naming the data folder when `--data-dir` is not given.
pub const DATA_ENV: &str = "NMFNET_DATA";

/// A data set known to nmfnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetId {
    Orl,
    Coil20,
    Mnist1,
    Mnist2,
    Tdt2,
    Fashion1,
    MnistFull,
    Mnist,
    Fashion,
    Olivetti,
}

impl DatasetId {
    pub const ALL: [DatasetId; 10] = [
        DatasetId::Orl,
        DatasetId::Coil20,
        DatasetId::Mnist1,
        DatasetId::Mnist2,
        DatasetId::Tdt2,
        DatasetId::Fashion1,
        DatasetId::MnistFull,
        DatasetId::Mnist,
        DatasetId::Fashion,
        DatasetId::Olivetti,
    ];
    /// The clustering data sets of the SymNMF-Net paper.
    pub const CLUSTERING: [DatasetId; 5] = [
        DatasetId::Orl,
        DatasetId::Coil20,
        DatasetId::Mnist1,
        DatasetId::Mnist2,
        DatasetId::Tdt2,
    ];

    /// Whether this is a clustering set (the paper's five, the held-out `fashion1` and the
    /// 70,000-image `mnist-full`), not an image set of GAN-UNET.
    pub fn is_clustering(self) -> bool {
        Self::CLUSTERING.contains(&self)
            || matches!(self, DatasetId::Fashion1 | DatasetId::MnistFull)
    }

    pub fn name(self) -> &'static str {
        match self {
            DatasetId::Orl => "orl",
            DatasetId::Coil20 => "coil20",
            DatasetId::Mnist1 => "mnist1",
            DatasetId::Mnist2 => "mnist2",
            DatasetId::Tdt2 => "tdt2",
            DatasetId::Fashion1 => "fashion1",
            DatasetId::MnistFull => "mnist-full",
            DatasetId::Mnist => "mnist",
            DatasetId::Fashion => "fashion",
            DatasetId::Olivetti => "olivetti",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name.to_ascii_lowercase())
            .ok_or_else(|| DataError::Param {
                name: "dataset",
                msg: format!(
                    "unknown data set '{name}' (known: {})",
                    Self::ALL.map(|d| d.name()).join(", ")
                ),
            })
    }

    /// Expected (samples, classes) after loading (train + test for the GAN sets).
    pub fn expected_counts(self) -> (usize, usize) {
        match self {
            DatasetId::Orl => (400, 40),
            DatasetId::Coil20 => (1440, 20),
            DatasetId::Mnist1 => (3147, 10),
            DatasetId::Mnist2 => (3147, 3),
            DatasetId::Tdt2 => (9394, 30),
            DatasetId::Fashion1 => (3000, 10),
            DatasetId::MnistFull => (70000, 10),
            DatasetId::Mnist | DatasetId::Fashion => (70000, 10),
            DatasetId::Olivetti => (400, 40),
        }
    }

    /// Rank used for clustering (= number of classes).
    pub fn rank(self) -> usize {
        self.expected_counts().1
    }

    /// One line describing the data set.
    pub fn describe(self) -> &'static str {
        match self {
            DatasetId::Orl => "ORL faces: 40 people × 10 PGM images of 92×112 (orl/orl_faces)",
            DatasetId::Coil20 => {
                "COIL-20: 20 objects × 72 poses, PNG 128×128, used at 32×32 (coil20/coil-20-proc)"
            }
            DatasetId::Mnist1 => {
                "MNIST₁: the first 3,147 MNIST training images, 10 digits (mnist/)"
            }
            DatasetId::Mnist2 => "MNIST₂: all MNIST test images of digits 0, 1, 2 (3,147) (mnist/)",
            DatasetId::Tdt2 => "TDT-2: 9,394 documents × 36,771 terms, 30 topics, tf-idf (tdt2/)",
            DatasetId::Fashion1 => {
                "Fashion₁: the first 300 Fashion-MNIST test images of each of the 10 classes (3,000), held out (fashion-mnist/)"
            }
            DatasetId::MnistFull => {
                "MNIST, all of it for clustering: 60,000 training then 10,000 test images, 10 digits (mnist/)"
            }
            DatasetId::Mnist => "MNIST: 60,000 + 10,000 digits, 28×28 (mnist/)",
            DatasetId::Fashion => {
                "Fashion-MNIST: 60,000 + 10,000 images, 28×28, 10 classes (fashion-mnist/)"
            }
            DatasetId::Olivetti => {
                "Olivetti faces: 40 people × 10 images of 64×64, 8 train + 2 test each (olivetti/)"
            }
        }
    }
}

/// The data folder: `--data-dir` if given, else `$NMFNET_DATA`.
pub fn data_dir(arg: Option<&Path>) -> Result<PathBuf> {
    let dir = match arg {
        Some(p) => p.to_path_buf(),
        None => std::env::var_os(DATA_ENV)
            .map(PathBuf::from)
            .ok_or_else(|| DataError::Param {
                name: "data-dir",
                msg: format!("no data folder: pass `data_dir` DIR or set ${DATA_ENV}"),
            })?,
    };
    if !dir.is_dir() {
        return Err(DataError::Param {
            name: "data-dir",
            msg: format!("{} is not a folder", dir.display()),
        });
    }
    Ok(dir)
}

/// Features for clustering: dense pixels or sparse tf-idf rows.
#[derive(Clone, Debug)]
pub enum Features {
    Dense(Dense),
    Sparse(Csr),
}

impl Features {
    pub fn nrows(&self) -> usize {
        match self {
            Features::Dense(d) => d.nrows(),
            Features::Sparse(s) => s.nrows(),
        }
    }
    pub fn ncols(&self) -> usize {
        match self {
            Features::Dense(d) => d.ncols(),
            Features::Sparse(s) => s.ncols(),
        }
    }
}

/// A clustering data set: features, ground truth and the rank of the paper.
#[derive(Clone, Debug)]
pub struct ClusterData {
    pub id: DatasetId,
    pub features: Features,
    pub labels: Vec<usize>,
    pub rank: usize,
}

impl ClusterData {
    /// The similarity graph of SPEC §4 (Euclidean kNN for images, cosine kNN for text).
    pub fn graph(&self) -> Result<Csr> {
        self.graph_with(KnnSearch::Exact, &no_progress)
    }

    /// [`Self::graph`] with the Euclidean neighbour lists found by `search` (the text set's
    /// cosine graph has only the exact search: anything else is an error), reporting the
    /// search's progress.
    pub fn graph_with(&self, search: KnnSearch, progress: Progress) -> Result<Csr> {
        match &self.features {
            Features::Dense(z) => crate::graph::knn_similarity_search(z, search, progress),
            Features::Sparse(docs) => {
                self.exact_only(search)?;
                crate::graph::cosine_knn_similarity(docs)
            }
        }
    }

    fn exact_only(&self, search: KnnSearch) -> Result<()> {
        match search {
            KnnSearch::Exact => Ok(()),
            other => Err(DataError::Param {
                name: "knn",
                msg: format!(
                    "{} has sparse text features, searched exactly by cosine: '{}' applies to image features only",
                    self.id.name(),
                    other.name()
                ),
            }),
        }
    }

    /// The kNN connectivity graph with self-loops of `k` neighbours (Euclidean for images,
    /// cosine for text; see [`crate::graph::knn_self_similarity`]).
    pub fn knn_self_graph(&self, k: usize) -> Result<Csr> {
        self.knn_self_graph_with(k, KnnSearch::Exact, &no_progress)
    }

    /// [`Self::knn_self_graph`] with the neighbour lists found by `search` (see
    /// [`Self::graph_with`]), reporting the search's progress.
    pub fn knn_self_graph_with(
        &self,
        k: usize,
        search: KnnSearch,
        progress: Progress,
    ) -> Result<Csr> {
        match &self.features {
            Features::Dense(z) => crate::graph::knn_self_similarity_search(z, k, search, progress),
            Features::Sparse(docs) => {
                self.exact_only(search)?;
                crate::graph::cosine_knn_self_similarity(docs, k)
            }
        }
    }
}

/// Options of the loaders.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// COIL-20 at its full 128×128 instead of 32×32.
    pub coil_full_size: bool,
}

/// A set of images with labels, pixel values in [0, 1], one image per row (row-major pixels).
#[derive(Clone, Debug)]
pub struct ImageSet {
    pub images: Dense,
    pub height: usize,
    pub width: usize,
    pub labels: Vec<usize>,
}

/// Train or test split of a GAN-UNET data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

/// MNIST, Fashion-MNIST or Olivetti images (GAN-UNET).
pub fn load_images(id: DatasetId, split: Split, dir: &Path) -> Result<ImageSet> {
    let (img, lab) = match split {
        Split::Train => (0, 1),
        Split::Test => (2, 3),
    };
    match id {
        DatasetId::Mnist => mnist::idx_set(dir, &mnist::MNIST_FILES, img, lab),
        DatasetId::Fashion => mnist::idx_set(dir, &mnist::FASHION_FILES, img, lab),
        DatasetId::Olivetti => {
            let all = olivetti::olivetti(dir)?;
            let keep: Vec<usize> = (0..400)
                .filter(|k| (k % 10 < 8) == (split == Split::Train))
                .collect();
            let mut data = Vec::with_capacity(keep.len() * 4096);
            for &k in &keep {
                data.extend_from_slice(all.images.row(k));
            }
            Ok(ImageSet {
                images: Dense::new(keep.len(), 4096, data)?,
                height: 64,
                width: 64,
                labels: keep.iter().map(|&k| all.labels[k]).collect(),
            })
        }
        other => Err(DataError::Param {
            name: "dataset",
            msg: format!(
                "{} is a clustering data set, not an image set with a split",
                other.name()
            ),
        }),
    }
}

pub(crate) fn subset(set: &ImageSet, keep: &[usize]) -> Result<(Dense, Vec<usize>)> {
    let d = set.images.ncols();
    let mut data = Vec::with_capacity(keep.len() * d);
    for &k in keep {
        data.extend_from_slice(set.images.row(k));
    }
    Ok((
        Dense::new(keep.len(), d, data)?,
        keep.iter().map(|&k| set.labels[k]).collect(),
    ))
}

/// Loads a clustering data set (SPEC §4), checksums verified.
pub fn load_cluster(id: DatasetId, dir: &Path, opts: LoadOptions) -> Result<ClusterData> {
    match id {
        DatasetId::Orl => orl::orl(dir),
        DatasetId::Coil20 => coil20::coil20(dir, opts),
        DatasetId::Mnist1 => mnist::mnist1(dir),
        DatasetId::Mnist2 => mnist::mnist2(dir),
        DatasetId::Fashion1 => mnist::fashion1(dir),
        DatasetId::MnistFull => mnist::mnist_full(dir),
        DatasetId::Tdt2 => tdt2::tdt2(dir),
        other => Err(DataError::Param {
            name: "dataset",
            msg: format!(
                "{} is an image set for GAN-UNET, not a clustering data set",
                other.name()
            ),
        }),
    }
}
