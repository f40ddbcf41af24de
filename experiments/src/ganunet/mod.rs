//! `nmfnet reproduce ganunet`: GAN-UNET, its "UNET" ablation and the classical MU/HALS/ANLS
//! comparisons on MNIST, Fashion-MNIST and Face, into `results.md`, `results.json` and the
//! figures (training curves, basis grids of GAN-UNET and HALS side by side).
//!
//! Every number comes from one step ("cell") that is an `nmfnet gan …` job, run in-process and
//! written into its own folder under `OUT/cells/` with its `summary.json` (and, for training
//! and the comparisons, its `job.json`; the results file quotes the `--job` command that runs
//! it again). Finished cells are not run again; an
//! interrupted training resumes from its last checkpoint; `report_only` rebuilds the files
//! from what is there.

mod cells;
mod extensions;
mod figures;
pub mod front;
mod paper;
pub mod plan;
mod report;
mod run;

pub use plan::GanOptions;
pub use run::ganunet;
