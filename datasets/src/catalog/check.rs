//! `nmfnet data check`: every data set's files verified (sha256) and counted.

use super::{load_cluster, load_images, DatasetId, LoadOptions, Split};
use crate::error::Result;
use std::path::Path;

/// One row of `nmfnet data check`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckRow {
    pub dataset: &'static str,
    pub samples: Option<usize>,
    pub classes: Option<usize>,
    pub features: Option<usize>,
    pub ok: bool,
    pub problem: Option<String>,
    pub seconds: f64,
}

/// Loads (checksums verified) and counts one data set.
pub fn check(id: DatasetId, dir: &Path) -> CheckRow {
    let t = std::time::Instant::now();
    let counted: Result<(usize, usize, usize)> = (|| match id {
        DatasetId::Mnist | DatasetId::Fashion | DatasetId::Olivetti => {
            let tr = load_images(id, Split::Train, dir)?;
            let te = load_images(id, Split::Test, dir)?;
            let mut all = tr.labels.clone();
            all.extend_from_slice(&te.labels);
            Ok((
                all.len(),
                crate::eval::metrics::class_count(&all),
                tr.images.ncols(),
            ))
        }
        _ => {
            let d = load_cluster(id, dir, LoadOptions::default())?;
            Ok((
                d.labels.len(),
                crate::eval::metrics::class_count(&d.labels),
                d.features.ncols(),
            ))
        }
    })();
    let seconds = t.elapsed().as_secs_f64();
    match counted {
        Ok((n, c, f)) => {
            let (en, ec) = id.expected_counts();
            let problem = ((n, c) != (en, ec))
                .then(|| format!("expected {en} samples of {ec} classes, found {n} of {c}"));
            CheckRow {
                dataset: id.name(),
                samples: Some(n),
                classes: Some(c),
                features: Some(f),
                ok: problem.is_none(),
                problem,
                seconds,
            }
        }
        Err(e) => CheckRow {
            dataset: id.name(),
            samples: None,
            classes: None,
            features: None,
            ok: false,
            problem: Some(e.to_string()),
            seconds,
        },
    }
}
