//! What a SymNMF-Net run folder records about the job and the input it began with, so that
//! `resume` continues it only on the same problem: the job (`job.json`, written before the first
//! start) and the input's fingerprint (`input.json`: each input file's sha256, the number of
//! points). Resuming with another graph, other files, another rank or other settings is refused
//! with what changed; only the epochs to train, the checkpoint interval and the progress bars may
//! differ.

use super::job::{ClusterInput, ClusterJob, Solver};
use crate::job::{write_job, JOB_FILE};
use anyhow::{bail, Context};
use nmfnet_datasets::catalog::sha256_hex;
use nmfnet_train::runtime::rundir::RunDir;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The file holding the input's fingerprint.
pub(crate) const INPUT_FILE: &str = "input.json";

/// The input of a run: its files with their digests, and the number of points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    files: Vec<(PathBuf, String)>,
    n: usize,
}

impl Fingerprint {
    /// The files `job` reads (its similarity or features file, its labels) with their sha256,
    /// and `n`. A data set's files are checked against their own checksums when read, and an
    /// input in memory has no file: both are the job's own business.
    pub(crate) fn of(job: &ClusterJob, n: usize) -> anyhow::Result<Self> {
        let mut paths: Vec<&Path> = Vec::new();
        if let ClusterInput::Similarity(p) | ClusterInput::Features(p) = &job.input {
            paths.push(p);
        }
        paths.extend(job.labels.as_deref());
        let files = paths
            .into_iter()
            .map(|p| {
                let bytes = nmfnet_datasets::io::read_file(p)?;
                Ok((p.to_path_buf(), sha256_hex(&bytes)))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { files, n })
    }
}

/// Writes the job and the input's fingerprint into the run folder.
pub(crate) fn write(run: &mut RunDir, job: &ClusterJob, print: &Fingerprint) -> anyhow::Result<()> {
    write_job(run, job)?;
    crate::outdir::write_json(&run.file(INPUT_FILE)?, print)
}

/// The job without what a resumed run may change: its run options (folder, mode, checkpoints,
/// progress) and SymNMF-Net's epoch budget.
fn comparable(job: &ClusterJob) -> Value {
    let mut job = job.clone();
    job.run = Default::default();
    if let Solver::Net(net) = &mut job.solver {
        net.config.epochs = 0;
    }
    serde_json::to_value(job).expect("a job serialises")
}

/// The first place where `a` and `b` differ, as a path of fields and the two values there.
pub(crate) fn first_difference(a: &Value, b: &Value, at: &str) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &path,
                )
            })
        }
        _ if a == b => None,
        _ => Some((at.to_string(), a.to_string(), b.to_string())),
    }
}

/// Refuses to resume the run in `dir` with `job` on `print` when the folder began with another
/// job or another input; a folder from before job files were written is left to the
/// checkpoint's own check of the training config.
pub(crate) fn check_resume(
    dir: &Path,
    job: &ClusterJob,
    print: &Fingerprint,
) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(dir.join(JOB_FILE)) else {
        return Ok(());
    };
    let earlier: ClusterJob = crate::job::parse_job(&text)
        .with_context(|| format!("`resume`: {} holds a damaged {JOB_FILE}", dir.display()))?;
    if let Some((field, was, now)) = first_difference(&comparable(&earlier), &comparable(job), "") {
        bail!(
            "`resume`: the run in {} was started with another job: {field} was {was}, is {now} (resume with the same settings, or `overwrite` to start over)",
            dir.display()
        );
    }
    let Ok(text) = std::fs::read_to_string(dir.join(INPUT_FILE)) else {
        return Ok(());
    };
    let earlier: Fingerprint = serde_json::from_str(&text)
        .with_context(|| format!("`resume`: {} holds a damaged {INPUT_FILE}", dir.display()))?;
    if earlier.n != print.n {
        bail!(
            "`resume`: the run in {} was started on {} points, the input now has {} (`overwrite` starts over)",
            dir.display(),
            earlier.n,
            print.n
        );
    }
    for ((path, was), (_, now)) in earlier.files.iter().zip(&print.files) {
        if was != now {
            bail!(
                "`resume`: {} changed since the run in {} started (sha256 {was}, now {now}); `overwrite` starts over",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(())
}
