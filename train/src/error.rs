//! Errors of the loop itself (a task's own errors pass through as they are).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(
        "step {step}: metric '{metric}' is {value} — training stopped; {}",
        match checkpoint {
            Some(p) => format!("the last good checkpoint is {}", p.display()),
            None => "no checkpoint was written (use --out DIR to keep them)".to_string(),
        }
    )]
    NonFinite {
        step: usize,
        metric: String,
        value: f64,
        checkpoint: Option<PathBuf>,
    },
    #[error("--resume needs an output folder holding a checkpoint")]
    ResumeWithoutDir,
    #[error("no checkpoint to resume in {0}")]
    NoCheckpoint(PathBuf),
    #[error("{path} is not an nmfnet checkpoint ({msg})")]
    BadCheckpoint { path: PathBuf, msg: String },
    #[error("the checkpoint in {path} was written by another configuration:\n  checkpoint: {saved}\n  this run:   {current}")]
    ConfigMismatch {
        path: PathBuf,
        saved: String,
        current: String,
    },
    #[error("{0}")]
    Io(String),
}
