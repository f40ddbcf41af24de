//! Data for nmfnet.
//!
//! * [`matrix`]: a small dense row-major matrix type shared by every crate, and the checks a
//!   similarity matrix must pass before any solver sees it (square, finite, nonnegative,
//!   symmetric).
//! * [`io`]: user files: `.npy` and CSV matrices, label files.
//! * [`formats`]: IDX/gzip, PGM, MATLAB v5 `.mat` (compressed, sparse) readers.
//! * [`catalog`]: the papers' data sets (ORL, COIL-20, MNIST₁/₂, TDT-2, MNIST, Fashion-MNIST,
//!   Olivetti): definitions, checksums, loaders, `data check`.
//! * [`graph`]: the similarity graphs of SPEC §4 (self-tuning kNN or cosine kNN, ncut
//!   normalisation), sparse and dense; tf-idf.
//! * [`knn`]: exact Euclidean nearest neighbours by blocked GEMM screening with a certificate
//!   (the plain search's lists, at GEMM speed, memory O(n·k)).
//! * [`sparse`]: CSR matrices.
//! * [`synthetic`]: the embedded default: planted clusters turned into a similarity graph.
//! * [`cancel`]: a request's stop switch (Ctrl-C, a binding waiting for the fit).
//! * [`metrics`]: the ONE implementation of the clustering metrics (ACC, NMI, purity, relative
//!   error, sparse factor) that every caller uses.

pub mod ann;
pub mod atomic;
pub mod cancel;
pub mod catalog;
pub mod error;
pub mod formats;
pub mod graph;
pub mod io;
pub mod knn;
pub mod matrix;
pub mod metrics;
pub mod sbm;
pub mod sparse;
pub mod stats;
pub mod synthetic;

pub use cancel::Cancel;
pub use error::{DataError, Result};
pub use matrix::Dense;
pub use sparse::Csr;
