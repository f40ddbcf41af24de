//! `nmfnet gan …`: the flags of each GAN-UNET command, the request they make, and what it
//! prints.

use crate::args::{print_json, BackendArg};
use nmfnet_app::gan::baselines::{gan_baselines, GanBaselineRequest, GanBaselineSummary};
use nmfnet_app::gan::eval::{gan_eval, GanEvalRequest};
use nmfnet_app::gan::factorize::{gan_factorize, GanFactorizeRequest};
use nmfnet_app::gan::train::{gan_train, GanTrainRequest};
use nmfnet_baselines::NmfMethod;
use std::path::PathBuf;

/// `nmfnet gan train` arguments.
#[derive(clap::Args, Debug)]
pub struct GanTrainArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Train with L1 only (the "UNET" ablation).
    #[arg(long)]
    pub no_discriminator: bool,
    /// Optimiser steps (each: one D and one G update on --batch groups; 1 to 10^8).
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Groups per step (1 to 1024).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Basis images k (1 to the group size, 40).
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// HALS sweeps of the differentiable NNLS layer that refines W given H and the group
    /// (0 = the paper's W head alone; an extension, see ganunet_burn::nnls; at most 200).
    #[arg(long, default_value_t = 0)]
    pub nnls_sweeps: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Generator width: channels after the first down-sampling, doubled per level up to 8×
    /// (pix2pix: 64 → 512). 32 has about 1/4 of the parameters and arithmetic (faster
    /// training and inference); the paper's network is 64.
    #[arg(long, default_value_t = 64, conflicts_with = "tiny")]
    pub channels: usize,
    /// A small network (8 base channels): for smoke tests, not for results.
    #[arg(long)]
    pub tiny: bool,
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, requires = "out", conflicts_with = "resume")]
    pub overwrite: bool,
    #[arg(long, default_value_t = 100)]
    pub checkpoint_every: usize,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

/// `nmfnet gan eval` arguments.
#[derive(clap::Args, Debug)]
pub struct GanEvalArgs {
    /// Folder of a `gan train --out` run (checkpoint.bin).
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// mnist, fashion or face: may differ from the training set (generalisation).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Evaluate on the first N fixed groups of each split (0 = all; drawn with seed 0, the
    /// same groups `gan baselines` uses).
    #[arg(long, default_value_t = 0)]
    pub groups: usize,
    /// Groups per forward pass for the errors and the throughput figure (the latency figure
    /// always runs one group at a time).
    #[arg(long, default_value_t = 25)]
    pub batch: usize,
    /// Rounds of alternating HALS (H given W, then W given H) run on each group after the
    /// forward pass, started from the generator's factors: an inference-time refinement that
    /// trades speed for error (0 = the paper's single forward pass). Timings include it.
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub refine: usize,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    #[arg(long)]
    pub json: bool,
}

/// `nmfnet gan factorize` arguments.
#[derive(clap::Args, Debug)]
pub struct GanFactorizeArgs {
    /// Folder of a `gan train --out` run.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// A folder of exactly one group of same-size PNG/PGM images (file-name order).
    #[arg(long, value_name = "DIR")]
    pub images: PathBuf,
    /// Output folder: H.npy ((height·width) × k, one basis image per column), W.npy (k × m),
    /// grid.png (inputs, reconstructions, basis images).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Rounds of alternating HALS after the forward pass (see `gan eval --refine`).
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub refine: usize,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, requires = "out")]
    pub overwrite: bool,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    #[arg(long)]
    pub json: bool,
}

/// `nmfnet gan baselines` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct GanBaselineArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Methods, comma separated (mu, hals, anls).
    #[arg(long, value_delimiter = ',', default_value = "anls,mu,hals")]
    pub methods: Vec<String>,
    /// Basis images k (GAN-UNET's default 10).
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Groups per split (the first N fixed groups, drawn with seed 0 like `gan eval`);
    /// 0 = all of them.
    #[arg(long, default_value_t = 100)]
    pub groups: usize,
    /// Training images the transfer basis is learned on (the first N; 0 = all).
    #[arg(long, default_value_t = 0)]
    pub train_images: usize,
    /// Seed of the solvers' random initialisations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for hals_direct_grid.png etc. (inputs, reconstructions, basis of the first test
    /// group), transfer_basis_<method>.png and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, requires = "out")]
    pub overwrite: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

impl GanTrainArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> GanTrainRequest {
        GanTrainRequest {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            no_discriminator: self.no_discriminator,
            steps: self.steps,
            batch: self.batch,
            k: self.k,
            nnls_sweeps: self.nnls_sweeps,
            seed: self.seed,
            channels: self.channels,
            tiny: self.tiny,
            out: self.out.clone(),
            resume: self.resume,
            overwrite: self.overwrite,
            checkpoint_every: self.checkpoint_every,
            progress: !self.quiet,
            cancel: Default::default(),
        }
    }
}

impl GanEvalArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> GanEvalRequest {
        GanEvalRequest {
            checkpoint: self.checkpoint.clone(),
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            groups: self.groups,
            batch: self.batch,
            refine: self.refine,
        }
    }
}

impl GanFactorizeArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> GanFactorizeRequest {
        GanFactorizeRequest {
            checkpoint: self.checkpoint.clone(),
            images: self.images.clone(),
            out: self.out.clone(),
            refine: self.refine,
            overwrite: self.overwrite,
        }
    }
}

impl GanBaselineArgs {
    /// The request these flags stand for (the method names parsed).
    pub fn request(&self) -> anyhow::Result<GanBaselineRequest> {
        let methods = self
            .methods
            .iter()
            .map(|s| {
                s.trim()
                    .parse::<NmfMethod>()
                    .map_err(|e| anyhow::anyhow!("--methods: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(GanBaselineRequest {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            methods,
            k: self.k,
            groups: self.groups,
            train_images: self.train_images,
            seed: self.seed,
            out: self.out.clone(),
            overwrite: self.overwrite,
            progress: !self.quiet,
        })
    }
}

/// Runs `nmfnet gan train`.
pub fn train(args: &GanTrainArgs) -> anyhow::Result<()> {
    let s = gan_train(&args.request(), args.backend.into())?;
    println!(
        "gan-unet {} ({} steps, k = {}, {}, backend {}): train ε {}, test ε {:.3} on {} groups, {:.4} s per group, {:.1} s ({} of training in all)",
        s.dataset,
        s.steps,
        s.k,
        if s.discriminator { "with discriminator" } else { "L1 only" },
        s.backend,
        s.train_error
            .map_or("— (no step left to run)".into(), |e| format!("{e:.3}")),
        s.test_error,
        s.test_groups,
        s.seconds_per_group,
        s.seconds,
        s.training_seconds
            .map_or("unknown time".into(), |t| format!("{:.1} min", t / 60.0))
    );
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan eval`.
pub fn eval(args: &GanEvalArgs) -> anyhow::Result<()> {
    let s = gan_eval(&args.request(), args.backend.into())?;
    println!(
        "gan-unet eval on {} (checkpoint after {} steps, backend {}): train ε {:.3}, test ε {:.3} on {} groups; {:.4} s per group one at a time, {:.4} s per group {} at a time",
        s.dataset,
        s.checkpoint_steps,
        s.backend,
        s.train_error,
        s.test_error,
        s.groups,
        s.seconds_per_group,
        s.seconds_per_group_batched,
        s.batch
    );
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan factorize`.
pub fn factorize(args: &GanFactorizeArgs) -> anyhow::Result<()> {
    let s = gan_factorize(&args.request(), args.backend.into())?;
    println!(
        "gan-unet factorize: {} images, k = {}, ε {:.3}, {:.4} s (one forward pass); written to {}",
        s.images,
        s.k,
        s.error,
        s.seconds,
        args.out.display()
    );
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan baselines`.
pub fn baselines(args: &GanBaselineArgs) -> anyhow::Result<()> {
    let s = gan_baselines(&args.request()?)?;
    print_baselines(&s);
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Human-readable table.
fn print_baselines(s: &GanBaselineSummary) {
    println!(
        "{}: k = {}, {} train / {} test groups, transfer basis on {} training images",
        s.dataset, s.k, s.train_groups, s.test_groups, s.train_images
    );
    println!(
        "rank-{} SVD (no sign constraint): train ε {:.3}, test ε {:.3}",
        s.k, s.svd_train_error, s.svd_test_error
    );
    println!(
        "rank-{} subspace fitted to ε (no sign constraint): train ε {:.3}, test ε {:.3}",
        s.k, s.subspace_train_error, s.subspace_test_error
    );
    println!(
        "{:6} {:>14} {:>14} {:>12} {:>16} {:>16} {:>10}",
        "method",
        "direct train ε",
        "direct test ε",
        "s/group",
        "transfer train ε",
        "transfer test ε",
        "basis s"
    );
    for r in &s.rows {
        println!(
            "{:6} {:>14.3} {:>14.3} {:>12.4} {:>16.3} {:>16.3} {:>10.1}",
            r.method,
            r.direct_train_error,
            r.direct_test_error,
            r.direct_seconds_per_group,
            r.transfer_train_error,
            r.transfer_test_error,
            r.transfer_basis_seconds
        );
    }
}
