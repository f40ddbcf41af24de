//! The one training loop of nmfnet, backend selection, and the `nmfnet` CLI.
//!
//! * [`trainer`]: the generic loop (seeded, progress bar, JSONL metric log, atomic checkpoints
//!   with the config beside them, resume, NaN/Inf guard). Any model plugs in through the
//!   [`trainer::Task`] trait: SymNMF-Net and GAN-UNET.
//! * [`backend`]: the backends compiled in (cargo features `flex`, `ndarray`, `wgpu`) and the one
//!   place where a concrete backend is chosen.
//! * [`symnmf`]: SymNMF-Net as a [`trainer::Task`], and a full clustering run.
//! * [`classical`]: the classical solvers of `nmfnet-baselines` behind the same CLI.
//! * [`ganunet`]: GAN-UNET as a [`trainer::Task`]; [`gan_baselines`]: its MU/HALS/ANLS
//!   comparisons (direct and transfer protocols).
//! * [`cli`]: the `nmfnet` command line; [`reproduce`] and [`reproduce_gan`] run the papers'
//!   tables and figures,
//!   [`plot`] draws them.

pub mod backend;
pub mod classical;
pub mod cli;
pub mod gan_baselines;
pub mod ganunet;
pub mod plot;
pub mod reproduce;
pub mod reproduce_gan;
pub mod symnmf;
pub mod trainer;
