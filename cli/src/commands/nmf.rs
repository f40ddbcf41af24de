//! `nmfnet nmf`: the flags, the request they make, and the printed summary.

use crate::args::print_json;
use anyhow::bail;
use clap::{Args, ValueEnum};
use nmfnet_app::nmf::{nmf, NmfInput, NmfRequest, NmfSummary};
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NmfStopArg {
    ProjectedGradient,
    Violation,
}

#[derive(Args, Debug)]
pub struct NmfArgs {
    #[arg(long, value_enum, default_value = "hals")]
    pub method: NmfMethodArg,
    /// Number of basis vectors k.
    #[arg(long)]
    pub rank: usize,
    /// Y as a matrix file (.npy, or CSV/text), m × n; H is m × k.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "images",
        required_unless_present = "images"
    )]
    pub matrix: Option<PathBuf>,
    /// A folder of same-size grayscale PNG/PGM images; each image is a column of Y, so the
    /// columns of H are basis images.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Height×width of one column of Y, for the basis grid of a --matrix (e.g. 28x28).
    #[arg(long, value_name = "HxW")]
    pub image_shape: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The start: random (a seeded uniform draw scaled to Y's mean, the default), nndsvd
    /// (Boutsidis–Gallopoulos: positive parts of the leading singular pairs) or nndsvda (its
    /// zeros filled with Y's mean; scikit-learn's default start).
    #[arg(long, value_name = "START")]
    pub init: Option<String>,
    /// Iteration budget (default 500, at most 10^6; SPEC §3 stop rule otherwise).
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Tolerance of the stop rule (default 1e-3).
    #[arg(long)]
    pub tol: Option<f64>,
    /// Stop rule: the relative projected gradient below --tol for 3 iterations after 20
    /// (SPEC §3, the default), or the sweep's violation relative to the first sweep's below
    /// --tol (scikit-learn's coordinate-descent rule; HALS only).
    #[arg(long, value_enum)]
    pub stop: Option<NmfStopArg>,
    /// Output folder: H.npy, W.npy, basis.png, history.jsonl, summary.json.
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

impl NmfArgs {
    /// The request these flags stand for (`--image-shape` parsed).
    pub fn request(&self) -> anyhow::Result<NmfRequest> {
        let input = match (&self.matrix, &self.images) {
            (Some(p), _) => NmfInput::Matrix(p.clone()),
            (None, Some(d)) => NmfInput::Images(d.clone()),
            (None, None) => bail!("give --matrix FILE or --images DIR"),
        };
        Ok(NmfRequest {
            method: match self.method {
                NmfMethodArg::Mu => NmfMethod::Mu,
                NmfMethodArg::Hals => NmfMethod::Hals,
                NmfMethodArg::Anls => NmfMethod::Anls,
            },
            rank: self.rank,
            input,
            // The shape is that of a matrix's columns; an image folder has its own.
            image_shape: match self.matrix {
                Some(_) => self.image_shape.as_deref().map(parse_shape).transpose()?,
                None => None,
            },
            seed: self.seed,
            max_iter: self.max_iter,
            tol: self.tol,
            stop: self.stop.map(|s| match s {
                NmfStopArg::ProjectedGradient => NmfStop::ProjectedGradient,
                NmfStopArg::Violation => NmfStop::Violation,
            }),
            out: self.out.clone(),
            overwrite: self.overwrite,
            cancel: Default::default(),
            start: None,
            init: self
                .init
                .as_deref()
                .map(|s| {
                    s.parse::<NmfInit>()
                        .map_err(|e| anyhow::anyhow!("--init: {e}"))
                })
                .transpose()?,
        })
    }
}

/// Runs `nmfnet nmf`.
pub fn run(args: &NmfArgs) -> anyhow::Result<()> {
    let report = nmf(&args.request()?)?;
    print_summary(&report.summary, args.out.as_deref());
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
        "input         {}  (Y is {}×{}, k = {})",
        s.input, s.m, s.n, s.rank
    );
    println!("rel. error    {:.4}   (‖Y − HW‖_F/‖Y‖_F)", s.rel_error);
    println!("time          {:.2} s", s.seconds);
    if let Some(dir) = out {
        println!("written to    {}", dir.display());
    }
}
