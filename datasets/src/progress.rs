//! Progress of long computations, reported from any worker thread.

/// Progress of a long search: called with (rows done, rows in all) from any worker thread.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// A progress callback that does nothing.
pub fn no_progress(_: usize, _: usize) {}
