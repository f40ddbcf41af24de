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

use crate::ann::KnnSearch;
use crate::error::{DataError, Result};
use crate::formats::{idx, mat, pgm};
use crate::matrix::Dense;
use crate::sparse::Csr;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

mod check;
pub use check::{check, CheckRow};

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
                msg: format!("no data folder: pass --data-dir DIR or set ${DATA_ENV}"),
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

// sha256 of every file read (from the data folder's README and SHA256SUMS).
const MNIST_FILES: [(&str, &str); 4] = [
    (
        "mnist/train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    (
        "mnist/train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    (
        "mnist/t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    (
        "mnist/t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
];
const FASHION_FILES: [(&str, &str); 4] = [
    (
        "fashion-mnist/train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    (
        "fashion-mnist/train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    (
        "fashion-mnist/t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    (
        "fashion-mnist/t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
];
const OLIVETTI_FILE: (&str, &str) = (
    "olivetti/olivettifaces.mat",
    "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d",
);
const TDT2_FILE: (&str, &str) = (
    "tdt2/TDT2_fea_gnd_derived.mat",
    "0896e353ffc7f2b298ef5a027adf383034f017052ca885ffa1a6e4d11dc84250",
);
/// ORL and COIL-20 are many small files: the checksum is that of their manifest, the lines
/// `"<sha256>  <path>\n"` sorted by path, as in the data folder's SHA256SUMS (its README gives
/// both values).
const ORL_MANIFEST: &str = "d93adfaddb9546e9ca89865b9abce58448a3707f64c17ccbad401c9ec15e7ae0";
const COIL_MANIFEST: &str = "93786f7a3470195c447f8f7319b7f21e89ca14c42ef3d676b3dc066a8d4b1e89";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn read_checked(dir: &Path, (rel, sha): (&str, &str)) -> Result<Vec<u8>> {
    let path = dir.join(rel);
    let bytes = std::fs::read(&path).map_err(|e| DataError::io(&path, e))?;
    let got = sha256_hex(&bytes);
    if got != sha {
        return Err(DataError::format(
            &path,
            format!("sha256 {got} differs from the expected {sha}"),
        ));
    }
    Ok(bytes)
}

/// Reads the files `rel_paths` (relative to `dir`) and checks their manifest checksum.
fn read_manifest(
    dir: &Path,
    rel_paths: &[String],
    expected: &str,
    what: &str,
) -> Result<Vec<Vec<u8>>> {
    let mut lines: Vec<(String, String)> = Vec::with_capacity(rel_paths.len());
    let mut contents = Vec::with_capacity(rel_paths.len());
    for rel in rel_paths {
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| DataError::io(&path, e))?;
        lines.push((rel.clone(), sha256_hex(&bytes)));
        contents.push(bytes);
    }
    lines.sort();
    let manifest: String = lines.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
    let got = sha256_hex(manifest.as_bytes());
    if got != expected {
        return Err(DataError::format(
            dir,
            format!("{what}: manifest sha256 {got} differs from the expected {expected} (a file was changed, added or lost)"),
        ));
    }
    Ok(contents)
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
        self.graph_with(KnnSearch::Exact, &crate::knn::no_progress)
    }

    /// [`Self::graph`] with the Euclidean neighbour lists found by `search` (the text set's
    /// cosine graph has only the exact search: anything else is an error), reporting the
    /// search's progress.
    pub fn graph_with(&self, search: KnnSearch, progress: crate::knn::Progress) -> Result<Csr> {
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
        self.knn_self_graph_with(k, KnnSearch::Exact, &crate::knn::no_progress)
    }

    /// [`Self::knn_self_graph`] with the neighbour lists found by `search` (see
    /// [`Self::graph_with`]), reporting the search's progress.
    pub fn knn_self_graph_with(
        &self,
        k: usize,
        search: KnnSearch,
        progress: crate::knn::Progress,
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

fn idx_set(
    dir: &Path,
    files: &[(&str, &str)],
    images_at: usize,
    labels_at: usize,
) -> Result<ImageSet> {
    let ip = dir.join(files[images_at].0);
    let lp = dir.join(files[labels_at].0);
    let images = idx::parse_images(&ip, &read_checked(dir, files[images_at])?)?;
    let labels = idx::parse_labels(&lp, &read_checked(dir, files[labels_at])?)?;
    if labels.len() != images.count {
        return Err(DataError::format(
            &lp,
            format!("{} labels for {} images", labels.len(), images.count),
        ));
    }
    let pixels = images.pixels.iter().map(|&v| v as f32 / 255.0).collect();
    Ok(ImageSet {
        images: Dense::new(images.count, images.rows * images.cols, pixels)?,
        height: images.rows,
        width: images.cols,
        labels: labels.into_iter().map(usize::from).collect(),
    })
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
        DatasetId::Mnist => idx_set(dir, &MNIST_FILES, img, lab),
        DatasetId::Fashion => idx_set(dir, &FASHION_FILES, img, lab),
        DatasetId::Olivetti => {
            let all = olivetti(dir)?;
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

fn olivetti(dir: &Path) -> Result<ImageSet> {
    let path = dir.join(OLIVETTI_FILE.0);
    let bytes = read_checked(dir, OLIVETTI_FILE)?;
    let vars = mat::parse_mat(&bytes).map_err(|m| DataError::format(&path, m))?;
    let (rows, cols, data) = match mat::find(&vars, "faces", &path)? {
        mat::MatArray::Dense { rows, cols, data } => (*rows, *cols, data),
        _ => return Err(DataError::format(&path, "'faces' is not a dense matrix")),
    };
    if (rows, cols) != (4096, 400) {
        return Err(DataError::format(
            &path,
            format!("'faces' is {rows}×{cols}, expected 4096×400"),
        ));
    }
    // Column k is image k, flattened column-major; scikit-learn's scaling (x − min) / max.
    let min = data.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = data.iter().map(|v| v - min).fold(0.0, f64::max);
    let scale = if max > 0.0 { 1.0 / max } else { 0.0 };
    let mut pixels = vec![0.0f32; 400 * 4096];
    for k in 0..400 {
        for r in 0..64 {
            for c in 0..64 {
                pixels[k * 4096 + r * 64 + c] =
                    ((data[k * 4096 + c * 64 + r] - min) * scale) as f32;
            }
        }
    }
    Ok(ImageSet {
        images: Dense::new(400, 4096, pixels)?,
        height: 64,
        width: 64,
        labels: (0..400).map(|k| k / 10).collect(),
    })
}

fn orl(dir: &Path) -> Result<ClusterData> {
    let mut rels: Vec<String> = vec!["orl/orl_faces/README".into()];
    for s in 1..=40 {
        for i in 1..=10 {
            rels.push(format!("orl/orl_faces/s{s}/{i}.pgm"));
        }
    }
    let contents = read_manifest(dir, &rels, ORL_MANIFEST, "ORL")?;
    let mut data = Vec::with_capacity(400 * 92 * 112);
    let mut labels = Vec::with_capacity(400);
    for (k, bytes) in contents.iter().enumerate().skip(1) {
        let g = pgm::parse_pgm(&dir.join(&rels[k]), bytes)?;
        if (g.width, g.height) != (92, 112) {
            return Err(DataError::format(
                dir.join(&rels[k]),
                format!("{}×{}, expected 92×112", g.width, g.height),
            ));
        }
        data.extend_from_slice(&g.pixels);
        labels.push((k - 1) / 10);
    }
    Ok(ClusterData {
        id: DatasetId::Orl,
        features: Features::Dense(Dense::new(400, 92 * 112, data)?),
        labels,
        rank: 40,
    })
}

/// Decodes an 8-bit grayscale PNG to values in [0, 1], optionally downsampled to `side`×`side`
/// with the triangle (bilinear) filter.
pub fn png_gray(path: &Path, bytes: &[u8], side: Option<u32>) -> Result<(u32, u32, Vec<f32>)> {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map_err(|e| DataError::format(path, format!("not a readable PNG: {e}")))?
        .to_luma8();
    let img = match side {
        Some(s) if (img.width(), img.height()) != (s, s) => {
            image::imageops::resize(&img, s, s, image::imageops::FilterType::Triangle)
        }
        _ => img,
    };
    let (w, h) = img.dimensions();
    Ok((
        w,
        h,
        img.into_raw()
            .into_iter()
            .map(|v| v as f32 / 255.0)
            .collect(),
    ))
}

fn coil20(dir: &Path, opts: LoadOptions) -> Result<ClusterData> {
    let mut rels = Vec::with_capacity(1440);
    for o in 1..=20 {
        for p in 0..72 {
            rels.push(format!("coil20/coil-20-proc/obj{o}__{p}.png"));
        }
    }
    let contents = read_manifest(dir, &rels, COIL_MANIFEST, "COIL-20")?;
    let side = if opts.coil_full_size { 128 } else { 32 };
    let mut data = Vec::with_capacity(1440 * side * side);
    for (k, bytes) in contents.iter().enumerate() {
        let path = dir.join(&rels[k]);
        let (w, h, px) = png_gray(&path, bytes, Some(side as u32))?;
        if (w as usize, h as usize) != (side, side) {
            return Err(DataError::format(
                &path,
                format!("{w}×{h} after resizing, expected {side}×{side}"),
            ));
        }
        data.extend_from_slice(&px);
    }
    Ok(ClusterData {
        id: DatasetId::Coil20,
        features: Features::Dense(Dense::new(1440, side * side, data)?),
        labels: (0..1440).map(|k| k / 72).collect(),
        rank: 20,
    })
}

fn subset(set: &ImageSet, keep: &[usize]) -> Result<(Dense, Vec<usize>)> {
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

fn tdt2(dir: &Path) -> Result<ClusterData> {
    let path = dir.join(TDT2_FILE.0);
    let bytes = read_checked(dir, TDT2_FILE)?;
    let vars = mat::parse_mat(&bytes).map_err(|m| DataError::format(&path, m))?;
    let counts = match mat::find(&vars, "fea", &path)? {
        mat::MatArray::Sparse {
            rows,
            cols,
            jc,
            ir,
            values,
        } => {
            // CSC of fea (docs × terms) is the CSR of its transpose.
            let vals = values.iter().map(|&v| v as f32).collect();
            Csr::new(*cols, *rows, jc.clone(), ir.clone(), vals)
                .map_err(|e| DataError::format(&path, format!("'fea': {e}")))?
                .transpose()
        }
        _ => return Err(DataError::format(&path, "'fea' is not a sparse matrix")),
    };
    let gnd = match mat::find(&vars, "gnd", &path)? {
        mat::MatArray::Dense { data, .. } => data.clone(),
        _ => return Err(DataError::format(&path, "'gnd' is not a dense vector")),
    };
    if gnd.len() != counts.nrows() {
        return Err(DataError::format(
            &path,
            format!("{} labels for {} documents", gnd.len(), counts.nrows()),
        ));
    }
    let labels = gnd
        .iter()
        .map(|&g| {
            if g >= 1.0 && g.fract() == 0.0 && g < 1e9 {
                Ok(g as usize - 1)
            } else {
                Err(DataError::format(
                    &path,
                    format!("label {g} is not a positive integer"),
                ))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ClusterData {
        id: DatasetId::Tdt2,
        features: Features::Sparse(crate::graph::tfidf(&counts)),
        labels,
        rank: 30,
    })
}

/// Loads a clustering data set (SPEC §4), checksums verified.
pub fn load_cluster(id: DatasetId, dir: &Path, opts: LoadOptions) -> Result<ClusterData> {
    match id {
        DatasetId::Orl => orl(dir),
        DatasetId::Coil20 => coil20(dir, opts),
        DatasetId::Mnist1 => {
            let train = load_images(DatasetId::Mnist, Split::Train, dir)?;
            let keep: Vec<usize> = (0..3147).collect();
            let (z, labels) = subset(&train, &keep)?;
            Ok(ClusterData {
                id,
                features: Features::Dense(z),
                labels,
                rank: 10,
            })
        }
        DatasetId::Mnist2 => {
            let test = load_images(DatasetId::Mnist, Split::Test, dir)?;
            let keep: Vec<usize> = (0..test.labels.len())
                .filter(|&k| test.labels[k] <= 2)
                .collect();
            let (z, labels) = subset(&test, &keep)?;
            Ok(ClusterData {
                id,
                features: Features::Dense(z),
                labels,
                rank: 3,
            })
        }
        DatasetId::Fashion1 => {
            let test = load_images(DatasetId::Fashion, Split::Test, dir)?;
            let mut seen = [0usize; 10];
            let keep: Vec<usize> = (0..test.labels.len())
                .filter(|&k| {
                    let c = test.labels[k];
                    let take = c < 10 && seen[c] < 300;
                    if take {
                        seen[c] += 1;
                    }
                    take
                })
                .collect();
            let (z, labels) = subset(&test, &keep)?;
            Ok(ClusterData {
                id,
                features: Features::Dense(z),
                labels,
                rank: 10,
            })
        }
        DatasetId::MnistFull => {
            let train = load_images(DatasetId::Mnist, Split::Train, dir)?;
            let test = load_images(DatasetId::Mnist, Split::Test, dir)?;
            let mut data = train.images.data().to_vec();
            data.extend_from_slice(test.images.data());
            let mut labels = train.labels;
            labels.extend(test.labels);
            Ok(ClusterData {
                id,
                features: Features::Dense(Dense::new(labels.len(), train.images.ncols(), data)?),
                labels,
                rank: 10,
            })
        }
        DatasetId::Tdt2 => tdt2(dir),
        other => Err(DataError::Param {
            name: "dataset",
            msg: format!(
                "{} is an image set for GAN-UNET, not a clustering data set",
                other.name()
            ),
        }),
    }
}
