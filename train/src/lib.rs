//! The one training loop of nmfnet: both models train through it, on whichever backend was
//! picked.
//!
//! * [`task`]: the [`task::Task`] trait a model implements (a step, its state as bytes).
//! * [`trainer`]: the loop (seeded, resumable, NaN/Inf guard); [`checkpoint`]: the atomic,
//!   versioned checkpoint file; [`metric_log`]: `metrics.jsonl`; [`progress`]: the bars.
//! * [`record`]: the bounded reader of model records (forged lengths are errors).
//! * [`rundir`]: the output-folder discipline every command follows (ownership marker, lock,
//!   staged replacement).
//! * [`backend`]: the backends compiled in (cargo features `flex`, `ndarray`, `wgpu`) and the
//!   one dispatch from a run-time choice to a concrete backend.
//! * [`tasks`]: SymNMF-Net and GAN-UNET as tasks, generic over the backend.
//!
//! Nothing here names a concrete backend but [`backend::dispatch`]; the application crate
//! (`nmfnet-app`) is where it is called, so each backend is compiled once.

pub mod backend;
pub mod checkpoint;
#[cfg(feature = "collective")]
pub mod collective;
pub mod contiguous;
pub mod error;
pub mod metric_log;
pub mod progress;
pub mod record;
pub mod rundir;
pub mod task;
pub mod tasks;
pub mod trainer;
