//! File formats, each parser fuzzed (see `fuzz/`): malformed input is a typed error, never a
//! panic or an unbounded allocation.
//!
//! * [`idx`]: MNIST / Fashion-MNIST IDX inside gzip;
//! * [`pgm`]: binary PGM (P5), the ORL faces;
//! * [`mat`]: MATLAB v5 MAT-files with compressed elements and sparse arrays (TDT-2, Olivetti);
//! * [`npz`]: sparse matrices saved by `scipy.sparse.save_npz` (a user's graph);
//! * PNG (COIL-20) goes through the `image` crate, see `catalog::png_gray`.

pub mod idx;
pub mod mat;
pub mod npz;
pub mod pgm;
