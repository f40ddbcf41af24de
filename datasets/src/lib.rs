//! Data for nmfnet.
//!
//! * [`matrix`]: a small dense row-major matrix type shared by every crate, and the checks a
//!   similarity matrix must pass before any solver sees it (square, finite, nonnegative,
//!   symmetric).
//! * [`io`]: user files: `.npy` and CSV matrices, label files.
//! * [`graph`]: the similarity graph of SPEC §4 (self-tuning kNN, ncut normalisation).
//! * [`synthetic`]: the embedded default: planted clusters turned into a similarity graph.
//! * [`metrics`]: the ONE implementation of the clustering metrics (ACC, NMI, purity, relative
//!   error, sparse factor) that every caller uses.

pub mod error;
pub mod graph;
pub mod io;
pub mod matrix;
pub mod metrics;
pub mod synthetic;

pub use error::{DataError, Result};
pub use matrix::Dense;
