#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`matrix`] and [`sparse`]: the dense row-major and CSR matrix types every crate shares,
//!   and the checks a similarity matrix must pass before any solver sees it (square, finite,
//!   nonnegative, symmetric).
//! * [`io`]: user files (`.npy`, CSV, `.npz` matrices, label files, image folders) and the
//!   atomic writers of results.
//! * [`formats`]: the parsers behind them and behind the data sets: `.npy`, CSV, `.npz`, IDX,
//!   PGM, MATLAB v5 `.mat`, PNG — each fuzzed.
//! * [`catalog`]: the papers' data sets (ORL, COIL-20, MNIST₁/₂, TDT-2, Fashion₁, all of MNIST,
//!   Fashion-MNIST, Olivetti), one file each, with their checksums; the embedded default
//!   ([`catalog::synthetic`]) and `data check`.
//! * [`neighbours`]: nearest neighbours of feature vectors, exact (blocked GEMM with a
//!   certificate) or approximate (HNSW).
//! * [`graph`]: the similarity graphs of SPEC §4 (self-tuning kNN or cosine kNN, ncut scaling;
//!   kNN connectivity with self-loops) and seeded planted-partition graphs ([`graph::sbm`]).
//! * [`eval`]: the ONE implementation of the clustering metrics every caller uses, and the
//!   Wilcoxon signed-rank test.
//! * [`cancel`] and [`progress`]: a request's stop switch, and progress callbacks.

pub mod cancel;
pub mod catalog;
pub mod error;
pub mod eval;
pub mod formats;
pub mod graph;
pub mod io;
pub mod matrix;
pub mod neighbours;
pub mod progress;
pub mod sparse;

pub use cancel::Cancel;
pub use error::{DataError, Result};
pub use matrix::Dense;
pub use sparse::Csr;
