//! The ORL faces: 40 people, 10 binary PGM images of 92×112 each.

use super::checksum::read_manifest;
use super::{ClusterData, DatasetId, Features};
use crate::error::{DataError, Result};
use crate::formats::pgm;
use crate::matrix::Dense;
use std::path::Path;

/// ORL is many small files: the checksum is that of their manifest, the lines `"<sha256>  <path>\n"`
/// sorted by path, as in the data folder's SHA256SUMS (its README gives the value).
const ORL_MANIFEST: &str = "d93adfaddb9546e9ca89865b9abce58448a3707f64c17ccbad401c9ec15e7ae0";

pub(super) fn orl(dir: &Path) -> Result<ClusterData> {
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
