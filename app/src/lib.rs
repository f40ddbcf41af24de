#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`cluster`]: SymNMF-Net or a classical solver on a similarity graph.
//! * [`nmf`]: plain NMF of a matrix or an image folder.
//! * [`gan`]: GAN-UNET training, evaluation, factorisation, and its classical comparisons.
//! * [`data`]: the papers' data sets, verified or described.
//! * [`allocator`]: the C allocator's settings for nmfnet's own processes.
//! * [`outdir`]: output folders (what is checked before a run, what it writes).
//! * [`job`]: the run options every command shares, `job.json`, and the field names of messages.

pub mod allocator;
pub mod cluster;
pub mod consensus;
pub mod data;
pub mod gan;
pub mod job;
pub mod nmf;
pub mod outdir;
pub mod plot;
pub mod rank;

pub use nmfnet_train::runtime::backend::{compiled_backends, BackendKind};
