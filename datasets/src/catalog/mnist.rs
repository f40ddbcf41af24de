//! MNIST and Fashion-MNIST (IDX inside gzip) and the clustering sets drawn from them: MNIST₁,
//! MNIST₂, Fashion₁ (held out) and all of MNIST.

use super::checksum::read_checked;
use super::{load_images, subset, ClusterData, DatasetId, Features, ImageSet, Split};
use crate::error::{DataError, Result};
use crate::formats::idx;
use crate::matrix::Dense;
use std::path::Path;

// sha256 of every file read (from the data folder's README and SHA256SUMS).
pub(crate) const MNIST_FILES: [(&str, &str); 4] = [
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
pub(crate) const FASHION_FILES: [(&str, &str); 4] = [
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
pub(crate) fn idx_set(
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

/// MNIST₁: the first 3,147 MNIST training images.
pub(super) fn mnist1(dir: &Path) -> Result<ClusterData> {
    let train = load_images(DatasetId::Mnist, Split::Train, dir)?;
    let keep: Vec<usize> = (0..3147).collect();
    let (z, labels) = subset(&train, &keep)?;
    Ok(ClusterData {
        id: DatasetId::Mnist1,
        features: Features::Dense(z),
        labels,
        rank: 10,
    })
}

/// MNIST₂: every MNIST test image of digits 0, 1 and 2.
pub(super) fn mnist2(dir: &Path) -> Result<ClusterData> {
    let test = load_images(DatasetId::Mnist, Split::Test, dir)?;
    let keep: Vec<usize> = (0..test.labels.len())
        .filter(|&k| test.labels[k] <= 2)
        .collect();
    let (z, labels) = subset(&test, &keep)?;
    Ok(ClusterData {
        id: DatasetId::Mnist2,
        features: Features::Dense(z),
        labels,
        rank: 3,
    })
}

/// Fashion₁ (held out): the first 300 Fashion-MNIST test images of each class.
pub(super) fn fashion1(dir: &Path) -> Result<ClusterData> {
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
        id: DatasetId::Fashion1,
        features: Features::Dense(z),
        labels,
        rank: 10,
    })
}

/// Every MNIST image: the 60,000 training images, then the 10,000 test images.
pub(super) fn mnist_full(dir: &Path) -> Result<ClusterData> {
    let train = load_images(DatasetId::Mnist, Split::Train, dir)?;
    let test = load_images(DatasetId::Mnist, Split::Test, dir)?;
    let mut data = train.images.data().to_vec();
    data.extend_from_slice(test.images.data());
    let mut labels = train.labels;
    labels.extend(test.labels);
    Ok(ClusterData {
        id: DatasetId::MnistFull,
        features: Features::Dense(Dense::new(labels.len(), train.images.ncols(), data)?),
        labels,
        rank: 10,
    })
}
