//! The `nmfnet` command line: the commands, and the one dispatch from a parsed line to them.

use crate::commands::data::DataCommand;
use crate::commands::reproduce::ReproduceCommand;
use crate::commands::{cluster, consensus, data, gan, nmf, reproduce};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "nmfnet",
    version,
    about = "Neural nonnegative matrix factorisation on Burn: SymNMF-Net (graph clustering) and GAN-UNET",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Cluster a similarity graph with symmetric NMF (X ≈ UUᵀ, U ≥ 0; label = argmax of a row
    /// of U). Without a data argument, runs on the embedded planted-cluster default.
    Cluster(cluster::ClusterArgs),
    /// Plain NMF Y ≈ HW (MU, HALS or ANLS-BPP) of a matrix or a folder of images; writes H, W
    /// (.npy) and, for images, a PNG grid of the basis images (the columns of H).
    Nmf(nmf::NmfArgs),
    /// GAN-UNET: train the generator (against the PatchGAN, or L1 only) on image groups.
    #[command(subcommand)]
    Gan(GanCommand),
    /// Reproduce a paper's tables and figures from scratch (resumable).
    #[command(subcommand)]
    Reproduce(ReproduceCommand),
    /// The papers' data sets: verify the files, or describe one.
    #[command(subcommand)]
    Data(DataCommand),
}

#[derive(Subcommand, Debug)]
pub enum NmfCommand {
    /// Consensus NMF (cNMF's algorithm): many replicates at each rank of --ks, their
    /// components clustered into consensus programs; per rank the stability and the error
    /// (k_selection.svg/png), a clustergram, spectra and usages.
    Consensus(consensus::ConsensusArgs),
}

#[derive(Subcommand, Debug)]
pub enum GanCommand {
    /// Train on class-balanced groups of 40 images; reports ε on the last training groups and
    /// on the fixed test groups; checkpoints in --out.
    Train(gan::GanTrainArgs),
    /// ε of a trained generator on fixed train and test groups of a data set (one forward pass
    /// per group); the last stdout line is JSON with --json.
    Eval(gan::GanEvalArgs),
    /// Factorise one group of images (a folder) with a trained generator: H.npy, W.npy and a
    /// PNG grid of the inputs, reconstructions and basis images.
    Factorize(gan::GanFactorizeArgs),
    /// The classical comparisons: MU, HALS, ANLS at the same k on the same fixed groups, each
    /// group factorised directly and with a basis learned on the training images (transfer).
    Baselines(gan::GanBaselineArgs),
    /// Time–error fronts on the fixed test groups: ε against seconds per group for MU, HALS
    /// and ANLS after 1, 2, 3, 5, … iterations from random, NNDSVD and NNDSVDa starts, one
    /// and --batch groups per call, beside trained generators with refinement rounds; and the
    /// speed-up at equal error.
    Front(gan::GanFrontArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Cluster(a) => cluster::run(a),
        Command::Nmf(a) => match &a.command {
            Some(NmfCommand::Consensus(c)) => consensus::run(c),
            None => nmf::run(a),
        },
        Command::Gan(GanCommand::Train(a)) => gan::train(a),
        Command::Gan(GanCommand::Eval(a)) => gan::eval(a),
        Command::Gan(GanCommand::Factorize(a)) => gan::factorize(a),
        Command::Gan(GanCommand::Baselines(a)) => gan::baselines(a),
        Command::Gan(GanCommand::Front(a)) => gan::front(a),
        Command::Reproduce(c) => reproduce::run(c),
        Command::Data(c) => data::run(c),
    }
}
