#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`task`]: the [`task::Task`] trait a model implements (a step, its state as bytes).
//! * [`trainer`]: the loop (seeded, resumable, NaN/Inf guard); [`plateau`]: its stop rule;
//!   [`checkpoint`]: the atomic, versioned checkpoint file; [`metric_log`]: `metrics.jsonl`;
//!   [`progress`]: the bars.
//! * [`tasks`]: SymNMF-Net and GAN-UNET as tasks, generic over the backend.
//! * [`runtime`]: what runs need around the loop: the backends compiled in (cargo features
//!   `flex`, `ndarray`, `wgpu`) and the one dispatch from a run-time choice to a concrete backend
//!   ([`runtime::backend`]); the output-folder discipline every command follows
//!   ([`runtime::rundir`]: ownership marker, lock, staged replacement); the bounded reader of
//!   model records ([`runtime::record`]); data-parallel peers (`runtime::collective`, feature
//!   `collective`).
//!
//! Nothing here names a concrete backend but [`runtime::backend::dispatch`]; the application
//! crate (`nmfnet-app`) is where it is called, so each backend is compiled once.

pub mod checkpoint;
pub mod error;
pub mod metric_log;
pub mod plateau;
pub mod progress;
pub mod runtime;
pub mod task;
pub mod tasks;
pub mod trainer;
