//! COIL-20: 20 objects, 72 PNG views of 128×128 each, downsampled to 32×32 by default.

use super::checksum::read_manifest;
use super::{ClusterData, DatasetId, Features, LoadOptions};
use crate::error::{DataError, Result};
use crate::formats::png::png_gray;
use crate::matrix::Dense;
use std::path::Path;

/// COIL-20 is many small files: the checksum is that of their manifest, the lines `"<sha256>  <path>\n"`
/// sorted by path, as in the data folder's SHA256SUMS (its README gives the value).
const COIL_MANIFEST: &str = "93786f7a3470195c447f8f7319b7f21e89ca14c42ef3d676b3dc066a8d4b1e89";

pub(super) fn coil20(dir: &Path, opts: LoadOptions) -> Result<ClusterData> {
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
