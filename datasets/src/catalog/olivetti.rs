//! The Olivetti faces (MATLAB v5), scaled as scikit-learn does: (x − min) / max over the set.

use super::checksum::read_checked;
use super::ImageSet;
use crate::error::{DataError, Result};
use crate::formats::mat;
use crate::matrix::Dense;
use std::path::Path;

const OLIVETTI_FILE: (&str, &str) = (
    "olivetti/olivettifaces.mat",
    "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d",
);

pub(super) fn olivetti(dir: &Path) -> Result<ImageSet> {
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
