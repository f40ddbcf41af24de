//! `nmfnet reproduce symnmf`: SymNMF-Net and the classical solvers on the paper's five data
//! sets and the held-out Fashion₁, under two protocols (fair and paper, see [`mod@cells`]), over
//! seed groups, into `results.md`, `results.json`, the figures, and `times.md` (apart, so that
//! the others are the same bytes on every run).
//!
//! Every number comes from one "cell" = one clustering job run into its folder `CELL`, which
//! holds the job (`job.json`: `nmfnet cluster --job CELL/job.json` runs it again) and the
//! cell's identity (`cell.json`); the results file lists them. A cell whose `summary.json`
//! exists and whose job is unchanged is not run again, so an interrupted reproduction resumes
//! where it stopped, and `report_only` rebuilds the files from the finished cells.

pub mod cells;
mod figures;
mod paper;
mod report;
mod run;

pub use cells::{cells, SymnmfOptions};
pub use run::symnmf;
