//! TDT-2: 9,394 news documents of 30 topics as term counts (MATLAB v5, sparse), turned into
//! tf-idf rows for the cosine graph.

use super::checksum::read_checked;
use super::{ClusterData, DatasetId, Features};
use crate::error::{DataError, Result};
use crate::formats::mat;
use crate::sparse::Csr;
use std::path::Path;

const TDT2_FILE: (&str, &str) = (
    "tdt2/TDT2_fea_gnd_derived.mat",
    "0896e353ffc7f2b298ef5a027adf383034f017052ca885ffa1a6e4d11dc84250",
);

pub(super) fn tdt2(dir: &Path) -> Result<ClusterData> {
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
