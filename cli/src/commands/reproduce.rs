//! `nmfnet reproduce …`: the flags of the two reproductions, handed to the experiments.

use clap::{Args, Subcommand};
use nmfnet_experiments::ganunet::{ganunet, GanOptions};
use nmfnet_experiments::symnmf::{symnmf, SymnmfOptions};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ReproduceCommand {
    /// SymNMF-Net paper: its tables under a fair protocol and under the paper's own, paired
    /// Wilcoxon verdicts, Figs. 4.1–4.5 → results.md, results.json, times.md, PNG/SVG.
    Symnmf(SymnmfReproArgs),
    /// GAN-UNET paper: Table 1 (ε train/test vs ANLS, MU, HALS, direct and transfer), the UNET
    /// ablation, MNIST↔Fashion generalisation, training curves and basis grids.
    Ganunet(GanReproArgs),
}

#[derive(Args, Debug)]
pub struct SymnmfReproArgs {
    /// Data folder (default: $NMFNET_DATA).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed groups 0..N per (protocol, data set, method): in the fair protocol group g is the
    /// starts from seeds 3g, 3g + 1, 3g + 2, in the paper protocol seed g.
    #[arg(long, default_value_t = 10)]
    pub seeds: u64,
    /// Output folder (default: results/symnmf, or results/symnmf-quick with --quick).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Smoke run: ORL only, seed 0, both protocols, SymNMF-Net 30 epochs, SymANLS and SymHALS
    /// 100 iterations, two starts in the fair protocol.
    #[arg(long)]
    pub quick: bool,
    /// Only these data sets (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub datasets: Option<Vec<String>>,
    /// Build the results from the finished cells without running any.
    #[arg(long)]
    pub report_only: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct GanReproArgs {
    /// Data folder (default: $NMFNET_DATA).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output folder (default: results/ganunet, or results/ganunet-quick with --quick).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Optimiser steps of each training run (one D and one G update on one group each;
    /// ≈ 0.5 s per step for the paper's model on 2 cores, so 3000 steps ≈ 25 min).
    #[arg(long, default_value_t = 3000)]
    pub steps: usize,
    /// HALS sweeps of the NNLS layer of the extension row "GAN-UNET + NNLS layer" (a model
    /// trained on MNIST with the W head refined by `ganunet_burn::nnls`); 0 leaves it out.
    #[arg(long, default_value_t = 10)]
    pub nnls_sweeps: usize,
    /// Width (base channels) of the narrow extension models, "GAN-UNET, narrow" (MNIST) and,
    /// with --nnls-sweeps, "GAN-UNET + NNLS layer, narrow" (every data set): ¼ of the paper's
    /// width 64 has 1/16 of its arithmetic. 0 leaves them out.
    #[arg(long, default_value_t = 16)]
    pub narrow_channels: usize,
    /// Optimiser steps of the narrow models (≈ 0.17 s per step without the NNLS layer, ≈ 0.28 s
    /// with it, on 2 cores).
    #[arg(long, default_value_t = 8000)]
    pub narrow_steps: usize,
    /// Rounds of alternating HALS after the forward pass for the refinement section (`gan
    /// eval --refine`; comma-separated, 0 is always included); empty leaves the section out.
    #[arg(long, value_delimiter = ',', default_value = "1,2,5,10")]
    pub refine_rounds: Vec<usize>,
    /// Fixed groups per split for the errors (0 = all).
    #[arg(long, default_value_t = 100)]
    pub groups: usize,
    /// Smoke run: MNIST only, tiny networks, 2 steps, 2 groups, transfer basis on 400 images.
    #[arg(long)]
    pub quick: bool,
    /// Only these data sets (comma-separated: mnist, fashion, face).
    #[arg(long, value_delimiter = ',')]
    pub datasets: Option<Vec<String>>,
    /// Build the results from the finished cells without running any.
    #[arg(long)]
    pub report_only: bool,
    /// Only the equal-error section for the models already trained (trains nothing): the
    /// front cells, then front.md, front.json and front_*.png; results.md is left as it is.
    #[arg(long, conflicts_with = "report_only")]
    pub fronts_only: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

impl SymnmfReproArgs {
    pub fn options(&self) -> SymnmfOptions {
        SymnmfOptions {
            data_dir: self.data_dir.clone(),
            seeds: self.seeds,
            out: self.out.clone(),
            quick: self.quick,
            datasets: self.datasets.clone(),
            report_only: self.report_only,
            quiet: self.quiet,
        }
    }
}

impl GanReproArgs {
    pub fn options(&self) -> GanOptions {
        GanOptions {
            data_dir: self.data_dir.clone(),
            out: self.out.clone(),
            steps: self.steps,
            nnls_sweeps: self.nnls_sweeps,
            narrow_channels: self.narrow_channels,
            narrow_steps: self.narrow_steps,
            refine_rounds: self.refine_rounds.clone(),
            groups: self.groups,
            quick: self.quick,
            datasets: self.datasets.clone(),
            report_only: self.report_only,
            fronts_only: self.fronts_only,
            quiet: self.quiet,
        }
    }
}

/// Runs `nmfnet reproduce …`.
pub fn run(cmd: &ReproduceCommand) -> anyhow::Result<()> {
    match cmd {
        ReproduceCommand::Symnmf(a) => symnmf(&a.options()),
        ReproduceCommand::Ganunet(a) => ganunet(&a.options()),
    }
}
