//! `nmfnet nmf consensus`: the flags, the consensus job they make, and the printed summary.

use crate::args::{
    override_run, print_json, read_job, run_options, usage_error, BackendArg, PrecisionArg,
};
use clap::{Args, ValueEnum};
use nmfnet_app::consensus::{consensus_command, ConsensusCommand, Engine};
use nmfnet_app::rank::parse_ranks;
use nmfnet_baselines::nmf::NmfStop;
use nmfnet_baselines::NmfMethod;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// host on a CPU backend, batched on wgpu.
    Auto,
    /// The f64 solvers, replicates on threads.
    Host,
    /// All replicates of a rank as one tensor program on --backend.
    Batched,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConsensusLoss {
    Frobenius,
    KullbackLeibler,
}

#[derive(Args, Debug)]
pub struct ConsensusArgs {
    /// Run the job in FILE (the `job.json` of an earlier run); only --out, --resume,
    /// --overwrite, --quiet and --json may be given beside it.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = [
            "matrix", "ks", "replicates", "beta_loss", "density_threshold",
            "local_neighborhood_size", "k", "max_iter", "tol", "seed", "engine", "backend",
            "precision", "inner_sweeps"
        ]
    )]
    pub job: Option<PathBuf>,
    /// Y, cells × genes: .npy, CSV/text, or a scipy.sparse .npz (kept sparse on the host engine).
    #[arg(long, value_name = "FILE", required_unless_present = "job")]
    pub matrix: Option<PathBuf>,
    /// The ranks compared: a range 5-10 or a list 5,7,9.
    #[arg(long, value_name = "A-B|K1,K2,…", required_unless_present = "job")]
    pub ks: Option<String>,
    /// NMF replicates per rank, from random starts (default 100).
    #[arg(long)]
    pub replicates: Option<usize>,
    /// frobenius (HALS, cNMF's) or kullback-leibler (the KL coordinate descent).
    #[arg(long, value_enum)]
    pub beta_loss: Option<ConsensusLoss>,
    /// Spectra whose mean distance to their nearest neighbours is not below this are dropped
    /// (default 0.5; 2 keeps all).
    #[arg(long)]
    pub density_threshold: Option<f64>,
    /// Those neighbours as a share of the replicates (default 0.3).
    #[arg(long)]
    pub local_neighborhood_size: Option<f64>,
    /// The rank whose clustergram is drawn and reported (default: the most stable).
    #[arg(long)]
    pub k: Option<usize>,
    /// Iteration budget of each replicate (default 1000).
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Tolerance of each replicate's stop rule (default 1e-4).
    #[arg(long)]
    pub tol: Option<f64>,
    /// Seed of the starts (replicate r of rank k: seed + k·2³² + r); the k-means seed is
    /// cNMF's, 1.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where the replicates run (default auto).
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
    /// Backend of the batched engine (default cpu).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Precision of the host engine's products with Y (default f64); f32 runs them about
    /// twice as fast, for HALS on a dense Y or a sparse one ≥ 15 % nonzero (the batched engine
    /// is f32 throughout).
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// HALS sweeps of each factor per product with Y, at most (default 1: cNMF's HALS): more
    /// reach the stop rule in fewer products (Gillis & Glineur's accelerated HALS; a block of
    /// rows stops once a sweep moves it less than a tenth of the first). Host engine.
    #[arg(long)]
    pub inner_sweeps: Option<usize>,
    /// Output folder: spectra_k*.npy, usage_k*.npy, replicates_k*.npy, k_selection.svg/png,
    /// clustergram_k*.png, job.json, input.json, summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run in --out (ranks whose replicates were saved are not fitted again).
    #[arg(long)]
    pub resume: bool,
    /// Replace the run in --out once this one has succeeded.
    #[arg(long)]
    pub overwrite: bool,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

impl ConsensusArgs {
    pub fn job(&self) -> anyhow::Result<ConsensusCommand> {
        if let Some(path) = &self.job {
            let mut job: ConsensusCommand = read_job(path)?;
            override_run(
                &mut job.run,
                self.out.clone(),
                self.resume,
                self.overwrite,
                None,
                self.quiet,
            );
            return Ok(job);
        }
        let mut cmd = ConsensusCommand {
            matrix: self.matrix.clone().expect("clap requires --matrix"),
            ..Default::default()
        };
        let j = &mut cmd.consensus.job;
        let ks = self.ks.as_deref().expect("clap requires --ks");
        j.ks = parse_ranks(ks).map_err(|e| usage_error(format!("--ks: {e}")))?;
        if j.ks.is_empty() {
            return Err(usage_error(
                "--ks: give the ranks (a range 5-10 or a list)".into(),
            ));
        }
        if let Some(r) = self.replicates {
            j.replicates = r;
        }
        if self.beta_loss == Some(ConsensusLoss::KullbackLeibler) {
            j.method = NmfMethod::Ccd;
            j.params.beta_loss = 1.0;
            j.params.stop = NmfStop::Divergence;
        }
        if let Some(v) = self.density_threshold {
            j.consensus.density_threshold = v;
        }
        if let Some(v) = self.local_neighborhood_size {
            j.consensus.local_neighborhood_size = v;
        }
        if let Some(v) = self.max_iter {
            j.params.max_iter = v;
        }
        if let Some(v) = self.tol {
            j.params.tol = v;
        }
        if let Some(v) = self.seed {
            j.seed = v;
        }
        if let Some(v) = self.inner_sweeps {
            j.inner_sweeps = v;
        }
        if let Some(p) = self.precision {
            j.precision = p.into();
        }
        cmd.consensus.engine = match self.engine {
            None | Some(EngineArg::Auto) => Engine::Auto,
            Some(EngineArg::Host) => Engine::Host,
            Some(EngineArg::Batched) => Engine::Batched,
        };
        if let Some(b) = self.backend {
            cmd.consensus.backend = b.into();
        }
        cmd.k = self.k;
        cmd.run = run_options(
            self.out.clone(),
            self.resume,
            self.overwrite,
            None,
            self.quiet,
        );
        Ok(cmd)
    }
}

/// Runs `nmfnet nmf consensus`.
pub fn run(args: &ConsensusArgs) -> anyhow::Result<()> {
    let cmd = args.job()?;
    let report = consensus_command(&cmd)?;
    let s = &report.summary;
    println!(
        "consensus     {} replicates × K = {:?} on {} ({} engine{})",
        s.replicates,
        s.ks,
        s.input,
        match s.engine {
            Engine::Batched => "batched",
            _ => "host",
        },
        match s.engine {
            Engine::Batched => format!(", {}", s.backend),
            _ => String::new(),
        }
    );
    println!(
        "input         Y is {}×{}; products {}",
        s.m, s.n, s.products
    );
    for (i, k) in s.ks.iter().enumerate() {
        let iterations = match (s.iterations_median[i], s.at_max_iter[i]) {
            (Some(m), Some(a)) => format!("   iterations median {m}, {a} at the budget"),
            _ => "   (replicates read back)".into(),
        };
        println!(
            "K = {k:<3}       stability {:.4}   error {:.6e}   kept {}/{}{iterations}{}",
            s.stability[i],
            s.error[i],
            s.kept[i],
            s.replicates * k,
            if *k == s.k { "   ← reported" } else { "" }
        );
    }
    println!("time          {:.2} s", s.seconds);
    if let Some(dir) = &cmd.run.out {
        println!("written to    {}", dir.display());
    }
    if args.json {
        print_json(s)?;
    }
    Ok(())
}
