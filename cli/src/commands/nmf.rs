//! `nmfnet nmf`: the flags, the job they make, and the printed summary.

use crate::args::{override_run, print_json, read_job, run_options, usage_error, PrecisionArg};
use anyhow::bail;
use clap::{ArgGroup, Args, ValueEnum};
use nmfnet_app::nmf::{nmf, NmfInput, NmfJob, NmfSummary};
use nmfnet_app::rank::{parse_ranks, RankSelection};
use nmfnet_baselines::data::Precision;
use nmfnet_baselines::nmf::NmfStop;
use nmfnet_baselines::{NmfInit, NmfMethod};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NmfMethodArg {
    /// Lee–Seung multiplicative updates.
    Mu,
    /// Cichocki–Phan HALS with unit-norm basis columns.
    Hals,
    /// Alternating NNLS by block principal pivoting (Kim–Park).
    Anls,
    /// Cyclic coordinate descent for --beta-loss kullback-leibler (Hsieh–Dhillon).
    Ccd,
    /// HALS with extrapolation and restarts (after Ang–Gillis), under the divergence rule.
    Ehals,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NmfStopArg {
    ProjectedGradient,
    Violation,
    Divergence,
}

#[derive(Args, Debug)]
#[command(
    group(ArgGroup::new("spec").multiple(true)),
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct NmfArgs {
    #[command(subcommand)]
    pub command: Option<crate::cli::NmfCommand>,
    /// Run the job in FILE (the `job.json` of an earlier run, or one written by hand; `-`:
    /// standard input). Only --out, --overwrite, --quiet and --json may be given beside it.
    #[arg(long, value_name = "FILE", conflicts_with = "spec")]
    pub job: Option<PathBuf>,
    /// Solver (default hals).
    #[arg(long, value_enum, group = "spec")]
    pub method: Option<NmfMethodArg>,
    /// Number of basis vectors k; or the ranks to choose k from by cross-validation on
    /// held-out entries (`auto`: 1 to 20, a list 4,8,12, a range 2-10), writing the held-out
    /// error per k to the summary and rank.svg/png.
    #[arg(
        long,
        value_name = "K|auto|K1,K2,…|A-B",
        group = "spec",
        required_unless_present = "job"
    )]
    pub rank: Option<String>,
    /// Rank selection: held-out draws per k (default 3).
    #[arg(long, group = "spec")]
    pub replicates: Option<usize>,
    /// Rank selection: share of the observed entries held out in each draw (default 0.1).
    #[arg(long, group = "spec")]
    pub test_fraction: Option<f64>,
    /// Y as a matrix file (.npy, CSV/text, or a scipy.sparse .npz, factorised sparse), m × n; H
    /// is m × k.
    #[arg(
        long,
        value_name = "FILE",
        group = "spec",
        conflicts_with = "images",
        required_unless_present_any = ["images", "job"]
    )]
    pub matrix: Option<PathBuf>,
    /// A folder of same-size grayscale PNG/PGM images; each image is a column of Y, so the
    /// columns of H are basis images.
    #[arg(long, value_name = "DIR", group = "spec")]
    pub images: Option<PathBuf>,
    /// A matrix file the shape of Y whose nonzero entries mark Y's missing entries (NaN entries
    /// of a --matrix file are missing too): the fit runs over the observed entries only (HALS
    /// or MU).
    #[arg(long, value_name = "FILE", group = "spec")]
    pub mask: Option<PathBuf>,
    /// Height×width of one column of Y, for the basis grid of a --matrix (e.g. 28x28).
    #[arg(long, value_name = "HxW", group = "spec")]
    pub image_shape: Option<String>,
    /// Seed of the random start (default 0).
    #[arg(long, group = "spec")]
    pub seed: Option<u64>,
    /// The start: random (a seeded uniform draw scaled to Y's mean, the default), nndsvd
    /// (Boutsidis–Gallopoulos: positive parts of the leading singular pairs) or nndsvda (its
    /// zeros filled with Y's mean; scikit-learn's default start).
    #[arg(long, value_name = "START", group = "spec")]
    pub init: Option<String>,
    /// Iteration budget (default 500, at most 10^6; SPEC §3 stop rule otherwise).
    #[arg(long, group = "spec")]
    pub max_iter: Option<usize>,
    /// Tolerance of the stop rule (default 1e-3).
    #[arg(long, group = "spec")]
    pub tol: Option<f64>,
    /// Stop rule: the relative projected gradient below --tol for 3 iterations after 20
    /// (SPEC §3, the default), the sweep's violation relative to the first sweep's below
    /// --tol (scikit-learn's coordinate-descent rule; HALS only), or every 10 iterations the
    /// drop of √(2·divergence) relative to the start's below --tol (scikit-learn's MU rule; MU
    /// and ehals only, their default, and that of --beta-loss other than frobenius).
    #[arg(long, value_enum, group = "spec")]
    pub stop: Option<NmfStopArg>,
    /// The divergence minimised: frobenius (the default), kullback-leibler, itakura-saito, or
    /// a number β (2, 1, 0 for those); β ≠ 2 needs --method mu.
    #[arg(long, value_name = "BETA", group = "spec")]
    pub beta_loss: Option<String>,
    /// Penalty weight of H (m × k; scikit-learn's alpha_W): l1-ratio·n·‖H‖₁ +
    /// ½(1 − l1-ratio)·n·‖H‖²_F joins the objective (default 0).
    #[arg(long, group = "spec")]
    pub alpha_h: Option<f64>,
    /// Penalty weight of W (k × n; scikit-learn's alpha_H), with m in place of n (default 0).
    #[arg(long, group = "spec")]
    pub alpha_w: Option<f64>,
    /// The L1 share of the penalties, in [0, 1] (default 0: ridge).
    #[arg(long, group = "spec")]
    pub l1_ratio: Option<f64>,
    /// Visit the k coordinates of each HALS sweep in a fresh random order drawn from --seed
    /// (scikit-learn's shuffle); --method hals with --stop violation only.
    #[arg(long, group = "spec")]
    pub shuffle: bool,
    /// Precision of the products with Y (default f64): f32 holds a dense Y in f32 for them,
    /// about twice as fast where they dominate (large Y, small k); the updates stay f64.
    /// Frobenius objective (MU, HALS, ANLS), no missing entries.
    #[arg(long, value_enum, group = "spec")]
    pub precision: Option<PrecisionArg>,
    /// Output folder: H.npy, W.npy, basis.png, history.jsonl, job.json, summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files of an earlier run in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_shape(s: &str) -> anyhow::Result<(usize, usize)> {
    let parts: Vec<&str> = s.split(['x', 'X', '×']).collect();
    match parts.as_slice() {
        [h, w] => match (h.trim().parse::<usize>(), w.trim().parse::<usize>()) {
            (Ok(h), Ok(w)) if h > 0 && w > 0 => Ok((h, w)),
            _ => bail!("--image-shape must be HEIGHTxWIDTH in positive whole pixels, like 28x28; got {s:?}"),
        },
        _ => bail!("--image-shape must look like 28x28, got {s:?}"),
    }
}

/// β from its scikit-learn name or a number.
fn parse_beta(s: &str) -> anyhow::Result<f64> {
    let beta = match s.trim().to_ascii_lowercase().as_str() {
        "frobenius" => 2.0,
        "kullback-leibler" | "kl" => 1.0,
        "itakura-saito" | "is" => 0.0,
        other => match other.parse::<f64>() {
            Ok(b) if b.is_finite() => b,
            _ => bail!("--beta-loss must be frobenius, kullback-leibler, itakura-saito or a finite number, got {s:?}"),
        },
    };
    Ok(beta)
}

impl NmfArgs {
    /// The job these flags stand for (`--image-shape` parsed; `--job`'s file with the run
    /// flags over it).
    pub fn job(&self) -> anyhow::Result<NmfJob> {
        if let Some(path) = &self.job {
            let mut job: NmfJob = read_job(path)?;
            override_run(
                &mut job.run,
                self.out.clone(),
                false,
                self.overwrite,
                None,
                self.quiet,
            );
            return Ok(job);
        }
        let input = match (&self.matrix, &self.images) {
            (Some(p), _) => NmfInput::Matrix(p.clone()),
            (None, Some(d)) => NmfInput::Images(d.clone()),
            (None, None) => return Err(usage_error("give --matrix FILE or --images DIR".into())),
        };
        let method = match self.method.unwrap_or(NmfMethodArg::Hals) {
            NmfMethodArg::Mu => NmfMethod::Mu,
            NmfMethodArg::Hals => NmfMethod::Hals,
            NmfMethodArg::Anls => NmfMethod::Anls,
            NmfMethodArg::Ccd => NmfMethod::Ccd,
            NmfMethodArg::Ehals => NmfMethod::Ehals,
        };
        let rank = self
            .rank
            .as_deref()
            .expect("clap requires --rank without --job");
        let (rank, selection) = match rank.trim().parse::<usize>() {
            Ok(k) => (k, None),
            Err(_) => {
                let ks = parse_ranks(rank).map_err(|e| usage_error(format!("--rank: {e}")))?;
                (0, Some(ks))
            }
        };
        let mut job = NmfJob::new(input, method, rank);
        match selection {
            Some(ks) => {
                let mut sel = RankSelection {
                    ks,
                    ..RankSelection::default()
                };
                if let Some(r) = self.replicates {
                    sel.replicates = r;
                }
                if let Some(f) = self.test_fraction {
                    sel.test_fraction = f;
                }
                job.rank_selection = Some(sel);
            }
            None if self.replicates.is_some() || self.test_fraction.is_some() => {
                return Err(usage_error(
                    "--replicates and --test-fraction belong to rank selection: give --rank auto, a list or a range".into(),
                ));
            }
            None => {}
        }
        // The shape is that of a matrix's columns; an image folder has its own.
        job.image_shape = match self.matrix {
            Some(_) => self.image_shape.as_deref().map(parse_shape).transpose()?,
            None => None,
        };
        job.mask = self.mask.clone();
        job.params.seed = self.seed.unwrap_or(0);
        if let Some(v) = self.max_iter {
            job.params.max_iter = v;
        }
        if let Some(v) = self.tol {
            job.params.tol = v;
        }
        if let Some(b) = self.beta_loss.as_deref() {
            job.params.beta_loss = parse_beta(b)?;
        }
        job.params.stop = match self.stop {
            Some(NmfStopArg::ProjectedGradient) => NmfStop::ProjectedGradient,
            Some(NmfStopArg::Violation) => NmfStop::Violation,
            Some(NmfStopArg::Divergence) => NmfStop::Divergence,
            None if job.params.beta_loss != 2.0 => NmfStop::Divergence,
            None if method == NmfMethod::Ehals => NmfStop::Divergence,
            None => NmfStop::ProjectedGradient,
        };
        job.params.alpha_h = self.alpha_h.unwrap_or(0.0);
        job.params.alpha_w = self.alpha_w.unwrap_or(0.0);
        job.params.l1_ratio = self.l1_ratio.unwrap_or(0.0);
        job.params.shuffle = self.shuffle;
        if let Some(p) = self.precision {
            job.params.precision = p.into();
        }
        if let Some(s) = self.init.as_deref() {
            job.init = s
                .parse::<NmfInit>()
                .map_err(|e| anyhow::anyhow!("--init: {e}"))?;
        }
        job.run = run_options(self.out.clone(), false, self.overwrite, None, self.quiet);
        Ok(job)
    }
}

/// Runs `nmfnet nmf`.
pub fn run(args: &NmfArgs) -> anyhow::Result<()> {
    let job = args.job()?;
    let report = nmf(&job)?;
    print_summary(&report.summary, job.run.out.as_deref());
    if args.json {
        print_json(&report.summary)?;
    }
    Ok(())
}

/// The human-readable summary.
pub fn print_summary(s: &NmfSummary, out: Option<&Path>) {
    println!(
        "method        {}  ({} iterations, {})",
        s.method,
        s.iterations,
        if s.converged {
            "converged".to_string()
        } else {
            format!("not converged: {:?}", s.stop_reason)
        }
    );
    println!(
        "input         {}  (Y is {}×{}, k = {}{})",
        s.input,
        s.m,
        s.n,
        s.rank,
        match s.precision {
            Precision::F64 => "",
            Precision::F32 => ", products in f32",
        }
    );
    if s.missing > 0 {
        println!(
            "rel. error    {:.4}   (‖M∘(Y − HW)‖_F/‖M∘Y‖_F over the observed entries; {} missing)",
            s.rel_error, s.missing
        );
    } else {
        println!("rel. error    {:.4}   (‖Y − HW‖_F/‖Y‖_F)", s.rel_error);
    }
    if s.beta_loss != 2.0 {
        println!(
            "divergence    {:.6e}   (d_β(Y, HW), β = {})",
            s.divergence, s.beta_loss
        );
    }
    if s.objective != s.divergence {
        println!("objective     {:.6e}   (with the penalties)", s.objective);
    }
    if let Some(c) = &s.rank_selection {
        let curve: Vec<String> =
            c.ks.iter()
                .zip(c.mean.iter().zip(&c.sd))
                .map(|(k, (m, sd))| format!("{k}: {m:.4}±{sd:.4}"))
                .collect();
        println!(
            "rank          k = {} chosen (held-out error, {} draws of {:.0} %: {})",
            c.chosen,
            c.replicates,
            100.0 * c.test_fraction,
            curve.join(", ")
        );
    }
    println!("time          {:.2} s", s.seconds);
    if let Some(dir) = out {
        println!("written to    {}", dir.display());
    }
}
