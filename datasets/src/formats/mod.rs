//! File formats, each parser fuzzed (see `fuzz/`): malformed input is a typed error, never a
//! panic or an unbounded allocation.
//!
//! * [`npy`]: NumPy `.npy` arrays (a user's matrices and labels);
//! * [`csv`]: CSV / text matrices and label lines;
//! * [`npz`]: sparse matrices saved by `scipy.sparse.save_npz` (a user's graph);
//! * [`idx`]: MNIST / Fashion-MNIST IDX inside gzip;
//! * [`pgm`]: binary PGM (P5), the ORL faces;
//! * [`mat`]: MATLAB v5 MAT-files with compressed elements and sparse arrays (TDT-2, Olivetti);
//! * [`png`]: grayscale PNG through the `image` crate (COIL-20, a user's image folder).

pub mod csv;
pub mod idx;
pub mod mat;
pub mod npy;
pub mod npz;
pub mod pgm;
pub mod png;
