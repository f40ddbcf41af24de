//! Errors of the loop itself (a task's own errors pass through as they are).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(
        "step {step}: metric '{metric}' is {value} — training stopped; {}",
        match (checkpoint, saving) {
            (Some(p), _) => format!("the last good checkpoint is {}", p.display()),
            (None, true) => "it stopped before its first checkpoint".to_string(),
            (None, false) => "no checkpoint was written (give an output folder, `out`, to keep them)".to_string(),
        }
    )]
    NonFinite {
        step: usize,
        metric: String,
        value: f64,
        checkpoint: Option<PathBuf>,
        /// Whether the run was writing checkpoints at all.
        saving: bool,
    },
    #[error("`resume`: the checkpoint in {path} has done {done} steps, more than the {asked} asked for; ask for at least {done}")]
    FewerSteps {
        path: PathBuf,
        done: usize,
        asked: usize,
    },
    #[error("`resume` needs an output folder (`out`) holding a checkpoint")]
    ResumeWithoutDir,
    #[error("{0} holds no checkpoint (checkpoint.bin of a training run)")]
    NoCheckpoint(PathBuf),
    #[error("{path} is not an nmfnet checkpoint ({msg})")]
    BadCheckpoint { path: PathBuf, msg: String },
    #[error("{path} is a version-1 checkpoint, written before checksums: nothing but its shapes can be checked, so it is not resumed as it is; `upgrade` resumes it once and writes its next checkpoint in the current format (`overwrite` starts over)")]
    OldCheckpoint { path: PathBuf },
    #[error("the checkpoint in {path} was written by another configuration:\n  checkpoint: {saved}\n  this run:   {current}")]
    ConfigMismatch {
        path: PathBuf,
        saved: String,
        current: String,
    },
    #[error("cancelled before step {step}; {}", match checkpoint {
        Some(p) => format!("the last checkpoint is {}", p.display()),
        None => "no checkpoint was written".to_string(),
    })]
    Cancelled {
        step: usize,
        checkpoint: Option<PathBuf>,
    },
    #[error("{0}")]
    Io(String),
}
