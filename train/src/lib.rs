//! The one training loop of nmfnet, backend selection, and the `nmfnet` CLI.
//!
//! * [`trainer`]: the generic loop (seeded, progress bar, JSONL metric log, atomic checkpoints
//!   with the config beside them, resume, NaN/Inf guard). Any model plugs in through the
//!   [`trainer::Task`] trait: SymNMF-Net now, GAN-UNET later.
//! * [`backend`]: the backends compiled in (cargo features `flex`, `ndarray`, `wgpu`) and the one
//!   place where a concrete backend is chosen.
//! * [`symnmf`]: SymNMF-Net as a [`trainer::Task`], and a full clustering run.
//! * [`classical`]: the classical solvers of `nmfnet-baselines` behind the same CLI.
//! * [`cli`]: the `nmfnet` command line; [`reproduce`] runs the papers' tables and figures,
//!   [`plot`] draws them.

pub mod backend;
pub mod classical;
pub mod cli;
pub mod ganunet;
pub mod plot;
pub mod reproduce;
pub mod symnmf;
pub mod trainer;
