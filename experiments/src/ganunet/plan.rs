//! The plan of the GAN-UNET reproduction: the data sets, the models trained on each, and the
//! jobs (training, evaluation, classical comparisons) behind every number.

use anyhow::bail;
use nmfnet_app::gan::baselines::GanBaselineJob;
use nmfnet_app::gan::eval::GanEvalJob;
use nmfnet_app::gan::train::{GanShape, GanTrainJob};
use nmfnet_app::job::RunOptions;
use std::path::{Path, PathBuf};

pub const ALL: [&str; 3] = ["mnist", "fashion", "face"];

/// The trained models of the reproduction.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Model {
    /// The paper's GAN-UNET.
    Gan,
    /// The "UNET" ablation: L1 only.
    Unet,
    /// Extension: GAN-UNET with the differentiable NNLS layer refining W.
    GanNnls,
    /// Extension: the paper's model at a narrower width ([`GanOptions::narrow_channels`]).
    GanNarrow,
    /// Extension: the NNLS model at the narrow width.
    GanNnlsNarrow,
}

impl Model {
    pub fn folder(self) -> &'static str {
        match self {
            Model::Gan => "gan-unet",
            Model::Unet => "unet",
            Model::GanNnls => "gan-unet-nnls",
            Model::GanNarrow => "gan-unet-narrow",
            Model::GanNnlsNarrow => "gan-unet-nnls-narrow",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Model::Gan => "GAN-UNET",
            Model::Unet => "UNET (L1 only)",
            Model::GanNnls => "GAN-UNET + NNLS layer (extension)",
            Model::GanNarrow => "GAN-UNET, narrow (extension)",
            Model::GanNnlsNarrow => "GAN-UNET + NNLS layer, narrow (extension)",
        }
    }

    /// Key in results.json.
    pub fn key(self) -> &'static str {
        match self {
            Model::Gan => "gan_unet",
            Model::Unet => "unet",
            Model::GanNnls => "gan_unet_nnls",
            Model::GanNarrow => "gan_unet_narrow",
            Model::GanNnlsNarrow => "gan_unet_nnls_narrow",
        }
    }

    pub fn nnls(self) -> bool {
        matches!(self, Model::GanNnls | Model::GanNnlsNarrow)
    }

    pub fn narrow(self) -> bool {
        matches!(self, Model::GanNarrow | Model::GanNnlsNarrow)
    }
}

/// What to reproduce, and where.
#[derive(Clone, Debug)]
pub struct GanOptions {
    /// Data folder (None: `$NMFNET_DATA`).
    pub data_dir: Option<PathBuf>,
    /// Output folder (None: results/ganunet, or results/ganunet-quick with `quick`).
    pub out: Option<PathBuf>,
    /// Optimiser steps of each training run of the paper's width.
    pub steps: usize,
    /// HALS sweeps of the NNLS layer of the extension models (0 leaves them out).
    pub nnls_sweeps: usize,
    /// Width of the narrow extension models (0 leaves them out).
    pub narrow_channels: usize,
    /// Optimiser steps of the narrow models.
    pub narrow_steps: usize,
    /// Rounds of alternating HALS for the refinement section (0 always included; empty leaves
    /// the section out).
    pub refine_rounds: Vec<usize>,
    /// Fixed groups per split for the errors (0 = all).
    pub groups: usize,
    /// Smoke run: MNIST only, tiny networks, 2 steps, 2 groups, transfer basis on 400 images.
    pub quick: bool,
    /// Only these data sets (mnist, fashion, face).
    pub datasets: Option<Vec<String>>,
    /// Build the results from the finished cells without running any.
    pub report_only: bool,
    /// Only the equal-error section, for the models already trained: train nothing, run the
    /// front cells, write `front.md`, `front.json` and the plots (results.md untouched).
    pub fronts_only: bool,
    pub quiet: bool,
}

/// What the reproduction runs, and where (from [`GanOptions`], `quick` already applied).
pub struct Plan {
    pub data_dir: PathBuf,
    pub out: PathBuf,
    pub steps: usize,
    pub nnls_sweeps: usize,
    pub narrow_channels: usize,
    pub narrow_steps: usize,
    pub refine_rounds: Vec<usize>,
    pub groups: usize,
    pub quick: bool,
    pub datasets: Vec<String>,
    pub quiet: bool,
}

impl Plan {
    /// The plan `opts` asks for, on the data in `data_dir`, into `out`.
    pub fn new(opts: &GanOptions, data_dir: PathBuf, out: PathBuf) -> anyhow::Result<Plan> {
        let datasets: Vec<String> = match (&opts.datasets, opts.quick) {
            (Some(d), _) => d.clone(),
            (None, true) => vec!["mnist".into()],
            (None, false) => ALL.iter().map(|s| s.to_string()).collect(),
        };
        for d in &datasets {
            if !ALL.contains(&d.as_str()) {
                bail!("unknown GAN-UNET data set {d:?} (mnist, fashion, face)");
            }
        }
        Ok(Plan {
            data_dir,
            out,
            steps: if opts.quick { 2 } else { opts.steps },
            nnls_sweeps: opts.nnls_sweeps,
            narrow_channels: opts.narrow_channels,
            narrow_steps: if opts.quick { 2 } else { opts.narrow_steps },
            refine_rounds: {
                let mut r: Vec<usize> = opts
                    .refine_rounds
                    .iter()
                    .copied()
                    .filter(|&r| r > 0)
                    .collect();
                r.sort_unstable();
                r.dedup();
                r
            },
            groups: if opts.quick { 2 } else { opts.groups },
            quick: opts.quick,
            datasets,
            quiet: opts.quiet,
        })
    }

    pub fn train_dir(&self, ds: &str, model: Model) -> PathBuf {
        self.out.join("cells").join(ds).join(model.folder())
    }

    pub fn steps(&self, model: Model) -> usize {
        if model.narrow() {
            self.narrow_steps
        } else {
            self.steps
        }
    }

    /// The models trained on `ds` beside the paper's: on MNIST the ablation and every
    /// extension; elsewhere the narrow NNLS model (the fast, accurate one) alone.
    pub fn extra_models(&self, ds: &str) -> Vec<Model> {
        let mnist = ds == "mnist";
        let mut v = Vec::new();
        if mnist {
            v.push(Model::Unet);
            if self.nnls_sweeps > 0 {
                v.push(Model::GanNnls);
            }
            if self.narrow_channels > 0 {
                v.push(Model::GanNarrow);
            }
        }
        if self.narrow_channels > 0 && self.nnls_sweeps > 0 {
            v.push(Model::GanNnlsNarrow);
        }
        v
    }

    /// The training run of `model` on `ds`.
    pub fn train_job(&self, ds: &str, model: Model) -> anyhow::Result<GanTrainJob> {
        let mut shape = GanShape {
            discriminator: model != Model::Unet,
            ..GanShape::default()
        };
        if model.nnls() {
            shape.nnls_sweeps = self.nnls_sweeps;
        }
        if self.quick {
            shape.tiny = true;
        } else if model.narrow() {
            shape.channels = self.narrow_channels;
        }
        let mut job = GanTrainJob::new(ds, self.steps(model), shape.config()?);
        job.data_dir = Some(self.data_dir.clone());
        job.run = RunOptions {
            out: Some(self.train_dir(ds, model)),
            checkpoint_every: Some(250),
            ..RunOptions::default()
        };
        Ok(job)
    }

    /// The command that trains `model` on `ds` again from the job the cell wrote, relative to
    /// the reproduction's folder.
    pub fn train_command(&self, ds: &str, model: Model) -> String {
        let dir = Path::new("cells").join(ds).join(model.folder());
        format!("nmfnet gan train --job {}", dir.join("job.json").display())
    }

    /// The evaluation of the model in `model` on the fixed groups of `ds`, after `refine`
    /// rounds of alternating HALS.
    pub fn eval_job(&self, model: &Path, ds: &str, refine: usize) -> GanEvalJob {
        let mut r = GanEvalJob::new(model, ds);
        r.data_dir = Some(self.data_dir.clone());
        r.groups = self.groups;
        r.refine = refine;
        r
    }

    /// The folder of the classical comparisons on `ds`.
    pub fn baselines_dir(&self, ds: &str) -> PathBuf {
        self.out.join("cells").join(ds).join("baselines")
    }

    /// The classical comparisons on `ds`.
    pub fn baselines_job(&self, ds: &str) -> GanBaselineJob {
        let mut r = GanBaselineJob::new(ds);
        r.data_dir = Some(self.data_dir.clone());
        r.groups = self.groups;
        r.run.out = Some(self.baselines_dir(ds));
        if self.quick {
            r.train_images = 400;
        }
        r
    }

    /// The command that runs the comparisons on `ds` again from the job the cell wrote.
    pub fn baselines_command(&self, ds: &str) -> String {
        let dir = Path::new("cells").join(ds).join("baselines");
        format!(
            "nmfnet gan baselines --job {}",
            dir.join("job.json").display()
        )
    }

    /// Whether MNIST is among the data sets (the ablation and the training-time study).
    pub fn has_mnist(&self) -> bool {
        self.datasets.iter().any(|d| d == "mnist")
    }
}
