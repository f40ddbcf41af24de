//! `nmfnet reproduce ganunet`: GAN-UNET, its "UNET" ablation and the classical MU/HALS/ANLS
//! comparisons on MNIST, Fashion-MNIST and Face, into `results.md`, `results.json` and the
//! figures (training curves, basis grids of GAN-UNET and HALS side by side).
//!
//! Every number comes from one step ("cell") that is an `nmfnet gan …` command, run in-process
//! and written into its own folder under `OUT/cells/` with its `summary.json`; the command is
//! quoted in the results file. Finished cells are not run again; an interrupted training
//! resumes from its last checkpoint; `--report-only` rebuilds the files from what is there.

use crate::cli::{Cli, Command, GanCommand};
use crate::plot::{line_plot, Series};
use anyhow::{bail, Context};
use clap::{Args, Parser};
use nmfnet_datasets::catalog::{self, ImageSet, Split};
use nmfnet_datasets::io::{atomic_write, gray_grid_png};
use nmfnet_datasets::Dense;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

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
    #[arg(long, short)]
    pub quiet: bool,
}

/// Paper values (Wei, GAN-UNET, as quoted in SPEC §5): ε train / test.
mod paper {
    /// ANLS, MU, HALS, GAN-UNET.
    pub const TABLE1: [(&str, [(f64, f64); 4]); 3] = [
        (
            "mnist",
            [
                (1.533, 9.794),
                (1.801, 9.850),
                (3.265, 9.417),
                (3.847, 3.933),
            ],
        ),
        (
            "fashion",
            [
                (1.265, 11.189),
                (2.063, 10.991),
                (1.717, 11.077),
                (3.622, 4.122),
            ],
        ),
        (
            "face",
            [
                (1.778, 12.147),
                (2.994, 11.709),
                (1.894, 12.083),
                (3.305, 9.911),
            ],
        ),
    ];
    pub const METHODS: [&str; 3] = ["anls", "mu", "hals"];
    /// Ablation on MNIST: UNET (L1 only).
    pub const UNET_MNIST: (f64, f64) = (5.371, 5.374);
}

const ALL: [&str; 3] = ["mnist", "fashion", "face"];

/// The trained models of the reproduction.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Model {
    /// The paper's GAN-UNET.
    Gan,
    /// The "UNET" ablation: L1 only.
    Unet,
    /// Extension: GAN-UNET with the differentiable NNLS layer refining W.
    GanNnls,
    /// Extension: the paper's model at a narrower width (`--narrow-channels`).
    GanNarrow,
    /// Extension: the NNLS model at the narrow width.
    GanNnlsNarrow,
}

impl Model {
    fn folder(self) -> &'static str {
        match self {
            Model::Gan => "gan-unet",
            Model::Unet => "unet",
            Model::GanNnls => "gan-unet-nnls",
            Model::GanNarrow => "gan-unet-narrow",
            Model::GanNnlsNarrow => "gan-unet-nnls-narrow",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Model::Gan => "GAN-UNET",
            Model::Unet => "UNET (L1 only)",
            Model::GanNnls => "GAN-UNET + NNLS layer (extension)",
            Model::GanNarrow => "GAN-UNET, narrow (extension)",
            Model::GanNnlsNarrow => "GAN-UNET + NNLS layer, narrow (extension)",
        }
    }

    /// Key in results.json.
    fn key(self) -> &'static str {
        match self {
            Model::Gan => "gan_unet",
            Model::Unet => "unet",
            Model::GanNnls => "gan_unet_nnls",
            Model::GanNarrow => "gan_unet_narrow",
            Model::GanNnlsNarrow => "gan_unet_nnls_narrow",
        }
    }

    fn nnls(self) -> bool {
        matches!(self, Model::GanNnls | Model::GanNnlsNarrow)
    }

    fn narrow(self) -> bool {
        matches!(self, Model::GanNarrow | Model::GanNnlsNarrow)
    }
}

struct Plan {
    data_dir: PathBuf,
    out: PathBuf,
    steps: usize,
    nnls_sweeps: usize,
    narrow_channels: usize,
    narrow_steps: usize,
    refine_rounds: Vec<usize>,
    groups: usize,
    quick: bool,
    datasets: Vec<String>,
    quiet: bool,
}

impl Plan {
    fn train_dir(&self, ds: &str, model: Model) -> PathBuf {
        self.out.join("cells").join(ds).join(model.folder())
    }

    fn steps(&self, model: Model) -> usize {
        if model.narrow() {
            self.narrow_steps
        } else {
            self.steps
        }
    }

    /// The models trained on `ds` beside the paper's: on MNIST the ablation and every
    /// extension; elsewhere the narrow NNLS model (the fast, accurate one) alone.
    fn extra_models(&self, ds: &str) -> Vec<Model> {
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

    fn base(&self) -> Vec<String> {
        vec!["nmfnet".into(), "gan".into()]
    }

    fn train_argv(&self, ds: &str, model: Model) -> Vec<String> {
        let mut v = self.base();
        v.extend(
            [
                "train",
                "--dataset",
                ds,
                "--data-dir",
                &self.data_dir.display().to_string(),
                "--steps",
                &self.steps(model).to_string(),
                "--checkpoint-every",
                "250",
                "--out",
                &self.train_dir(ds, model).display().to_string(),
            ]
            .map(String::from),
        );
        if model == Model::Unet {
            v.push("--no-discriminator".into());
        }
        if model.nnls() {
            v.extend(["--nnls-sweeps".into(), self.nnls_sweeps.to_string()]);
        }
        if self.quick {
            v.push("--tiny".into());
        } else if model.narrow() {
            v.extend(["--channels".into(), self.narrow_channels.to_string()]);
        }
        v
    }

    fn eval_argv(&self, model: &Path, ds: &str, refine: usize) -> Vec<String> {
        let mut v = self.base();
        v.extend(
            [
                "eval",
                "--checkpoint",
                &model.display().to_string(),
                "--dataset",
                ds,
                "--data-dir",
                &self.data_dir.display().to_string(),
                "--groups",
                &self.groups.to_string(),
            ]
            .map(String::from),
        );
        if refine > 0 {
            v.extend(["--refine".into(), refine.to_string()]);
        }
        v
    }

    fn baselines_argv(&self, ds: &str) -> Vec<String> {
        let mut v = self.base();
        v.extend(
            [
                "baselines",
                "--dataset",
                ds,
                "--data-dir",
                &self.data_dir.display().to_string(),
                "--groups",
                &self.groups.to_string(),
                "--out",
                &self
                    .out
                    .join("cells")
                    .join(ds)
                    .join("baselines")
                    .display()
                    .to_string(),
            ]
            .map(String::from),
        );
        if self.quick {
            v.extend(["--train-images", "400"].map(String::from));
        }
        v
    }
}

fn read_json(path: &Path) -> Option<Value> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}

fn parse(argv: &[String]) -> anyhow::Result<GanCommand> {
    let cli = Cli::try_parse_from(argv).with_context(|| format!("cell arguments {argv:?}"))?;
    match cli.command {
        Command::Gan(g) => Ok(g),
        _ => bail!("a GAN cell is a `gan` command"),
    }
}

/// Runs a training cell unless its summary says it already ran to `steps`; resumes from a
/// checkpoint left by an interrupted run.
fn train_cell(plan: &Plan, ds: &str, model: Model) -> anyhow::Result<()> {
    let dir = plan.train_dir(ds, model);
    let finished = read_json(&dir.join("summary.json"))
        .and_then(|v| v["steps"].as_u64())
        .is_some_and(|s| s as usize == plan.steps(model));
    if finished {
        return Ok(());
    }
    let mut argv = plan.train_argv(ds, model);
    argv.push("--quiet".into());
    if dir.join("checkpoint.bin").is_file() {
        argv.push("--resume".into());
    }
    if !plan.quiet {
        println!("running: {}", argv.join(" "));
    }
    let GanCommand::Train(a) = parse(&argv)? else {
        bail!("not a train command")
    };
    crate::ganunet::train_command(&a).with_context(|| format!("cell {}", dir.display()))?;
    Ok(())
}

/// ε of a trained model on a data set's fixed groups, after `refine` rounds of alternating
/// HALS (0 = the forward pass alone); cached in the model's folder.
fn eval_cell(plan: &Plan, model: &Path, ds: &str, refine: usize) -> anyhow::Result<Value> {
    let path = model.join(if refine == 0 {
        format!("eval_{ds}.json")
    } else {
        format!("eval_{ds}_refine{refine}.json")
    });
    let argv = plan.eval_argv(model, ds, refine);
    let trained = read_json(&model.join("summary.json")).map(|v| v["steps"].clone());
    if let Some(v) = read_json(&path) {
        // Summaries from before the refinement field (timed by a single pass) are evaluated
        // again.
        if v["command"] == json!(argv.join(" "))
            && Some(v["checkpoint_steps"].clone()) == trained
            && v.get("refine").is_some()
        {
            return Ok(v);
        }
    }
    if !plan.quiet {
        println!("running: {}", argv.join(" "));
    }
    let GanCommand::Eval(a) = parse(&argv)? else {
        bail!("not an eval command")
    };
    let s = crate::ganunet::eval_command(&a)?;
    let mut v = serde_json::to_value(&s)?;
    v["command"] = json!(argv.join(" "));
    atomic_write(&path, serde_json::to_string_pretty(&v)?.as_bytes())?;
    Ok(v)
}

fn baselines_cell(plan: &Plan, ds: &str) -> anyhow::Result<Value> {
    let dir = plan.out.join("cells").join(ds).join("baselines");
    let argv = plan.baselines_argv(ds);
    if let Some(v) = read_json(&dir.join("cell.json")) {
        if v["command"] == json!(argv.join(" ")) {
            if let Some(s) = read_json(&dir.join("summary.json")) {
                return with_subspace_reference(plan, ds, s);
            }
        }
    }
    if !plan.quiet {
        println!("running: {}", argv.join(" "));
    }
    let GanCommand::Baselines(mut a) = parse(&argv)? else {
        bail!("not a baselines command")
    };
    a.quiet = plan.quiet;
    let s = crate::gan_baselines::baselines_command(&a)?;
    atomic_write(
        &dir.join("cell.json"),
        serde_json::to_string_pretty(&json!({ "command": argv.join(" ") }))?.as_bytes(),
    )?;
    Ok(serde_json::to_value(&s)?)
}

/// A baselines summary written before the ε-fitted subspace reference existed gets it added
/// (seconds of work, no solver re-run) and saved.
fn with_subspace_reference(plan: &Plan, ds: &str, mut s: Value) -> anyhow::Result<Value> {
    if s.get("subspace_test_error").is_some() {
        return Ok(s);
    }
    let GanCommand::Baselines(a) = parse(&plan.baselines_argv(ds))? else {
        bail!("not a baselines command")
    };
    let (train, test) = crate::gan_baselines::subspace_errors(&a)?;
    s["subspace_train_error"] = json!(train);
    s["subspace_test_error"] = json!(test);
    let path = plan
        .out
        .join("cells")
        .join(ds)
        .join("baselines")
        .join("summary.json");
    atomic_write(&path, serde_json::to_string_pretty(&s)?.as_bytes())?;
    Ok(s)
}

/// The first fixed test group of `set` as its own image set.
fn first_group(set: &ImageSet) -> anyhow::Result<ImageSet> {
    let groups = crate::ganunet::fixed_groups(set)?;
    let g = groups.first().context("no test group")?;
    let px = set.height * set.width;
    let mut rows = Vec::with_capacity(g.len() * px);
    for &i in g {
        rows.extend_from_slice(set.images.row(i));
    }
    Ok(ImageSet {
        images: Dense::new(g.len(), px, rows)?,
        height: set.height,
        width: set.width,
        labels: g.iter().map(|&i| set.labels[i]).collect(),
    })
}

/// The GAN-UNET grid of a group: inputs, reconstructions, basis images (each basis image
/// scaled to its own maximum).
fn gan_grid(model: &Path, group: &ImageSet, png: &Path) -> anyhow::Result<f64> {
    let f = crate::ganunet::factorize_images(model, group, 0, crate::backend::BackendChoice::Cpu)?;
    let m = group.images.nrows();
    let mut tiles: Vec<Vec<f32>> = (0..m).map(|j| group.images.row(j).to_vec()).collect();
    tiles.extend((0..m).map(|j| f.rec.row(j).to_vec()));
    tiles
        .extend((0..f.h.nrows()).map(|l| crate::gan_baselines::scaled_to_max(f.h.row(l).to_vec())));
    atomic_write(png, &gray_grid_png(&tiles, group.height, group.width, 10)?)?;
    Ok(f.error)
}

/// Training curve: ε of the training groups (moving mean over 50 steps) against the step, or
/// against training minutes with `minutes` (logs written before the time was recorded have
/// no such curve).
fn curve(model: &Path, label: &str, minutes: bool) -> Option<Series> {
    let text = std::fs::read_to_string(model.join("metrics.jsonl")).ok()?;
    let raw: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let x = if minutes {
                v["seconds"].as_f64()? / 60.0
            } else {
                v["step"].as_f64()?
            };
            Some((x, v["train_error"].as_f64()?))
        })
        .collect();
    if raw.is_empty() {
        return None;
    }
    let w = 50usize;
    let points = raw
        .iter()
        .enumerate()
        .map(|(i, &(s, _))| {
            let lo = i.saturating_sub(w - 1);
            let mean = raw[lo..=i].iter().map(|p| p.1).sum::<f64>() / (i + 1 - lo) as f64;
            (s, mean)
        })
        .collect();
    Some(Series {
        label: label.to_string(),
        points,
    })
}

fn f3(v: &Value) -> String {
    v.as_f64()
        .map(|x| format!("{x:.3}"))
        .unwrap_or_else(|| "—".into())
}

/// `nmfnet reproduce ganunet`.
pub fn ganunet(args: &GanReproArgs) -> anyhow::Result<()> {
    let data_dir = catalog::data_dir(args.data_dir.as_deref())?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(if args.quick {
            "results/ganunet-quick"
        } else {
            "results/ganunet"
        })
    });
    let datasets: Vec<String> = match (&args.datasets, args.quick) {
        (Some(d), _) => d.clone(),
        (None, true) => vec!["mnist".into()],
        (None, false) => ALL.iter().map(|s| s.to_string()).collect(),
    };
    for d in &datasets {
        if !ALL.contains(&d.as_str()) {
            bail!("unknown GAN-UNET data set {d:?} (mnist, fashion, face)");
        }
    }
    let plan = Plan {
        data_dir,
        out: out.clone(),
        steps: if args.quick { 2 } else { args.steps },
        nnls_sweeps: args.nnls_sweeps,
        narrow_channels: args.narrow_channels,
        narrow_steps: if args.quick { 2 } else { args.narrow_steps },
        refine_rounds: {
            let mut r: Vec<usize> = args
                .refine_rounds
                .iter()
                .copied()
                .filter(|&r| r > 0)
                .collect();
            r.sort_unstable();
            r.dedup();
            r
        },
        groups: if args.quick { 2 } else { args.groups },
        quick: args.quick,
        datasets,
        quiet: args.quiet,
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let started = std::time::Instant::now();
    let mnist = plan.datasets.iter().any(|d| d == "mnist");
    if !args.report_only {
        for ds in &plan.datasets {
            train_cell(&plan, ds, Model::Gan)?;
            baselines_cell(&plan, ds)?;
            for model in plan.extra_models(ds) {
                train_cell(&plan, ds, model)?;
            }
        }
    }

    // Collect (evaluations are cheap and cached; they run in --report-only too when missing).
    let mut results = serde_json::Map::new();
    let mut md = String::new();
    md.push_str("# GAN-UNET reproduction (Wei, GAN-UNET)\n\n");
    md.push_str(&format!(
        "Generated by `nmfnet reproduce ganunet{}` — {} training steps requested per model (one D \
         and one G update on one class-balanced group of 40 each; each row names the steps its \
         checkpoint holds), errors ε (paper eq. 4, pixel scale \
         [0,1], 28×28 images padded to 32×32 for the U-Net and cropped back) on the first {} \
         fixed groups (seed 0) of each split. Paper values from SPEC §5.\n\n",
        if args.quick { " --quick" } else { "" },
        plan.steps,
        plan.groups
    ));
    md.push_str("## Table 1: ε train / test (ours | paper)\n\n");
    md.push_str("| data set | method | protocol | train ε | test ε | paper train | paper test | s/group |\n|---|---|---|---|---|---|---|---|\n");
    let mut ratios = Vec::new();
    let mut scale_notes: Vec<String> = Vec::new();
    // (data set, HALS direct seconds per group, its test ε).
    let mut hals_direct: Vec<(String, f64, f64)> = Vec::new();
    for ds in &plan.datasets {
        let mut entry = serde_json::Map::new();
        let paper_row = paper::TABLE1.iter().find(|(d, _)| d == ds).map(|r| r.1);
        let base = read_json(
            &out.join("cells")
                .join(ds)
                .join("baselines")
                .join("summary.json"),
        )
        .map(|b| with_subspace_reference(&plan, ds, b))
        .transpose()?;
        if let Some(b) = &base {
            let rows = b["rows"].as_array().cloned().unwrap_or_default();
            for r in &rows {
                let m = r["method"].as_str().unwrap_or("?");
                let p = paper::METHODS
                    .iter()
                    .position(|x| *x == m)
                    .and_then(|i| paper_row.map(|pr| pr[i]));
                let (ptr, pte) = p
                    .map(|(a, b)| (format!("{a:.3}"), format!("{b:.3}")))
                    .unwrap_or_else(|| ("—".into(), "—".into()));
                md.push_str(&format!(
                    "| {ds} | {m} | direct | {} | {} | {ptr} | {pte} | {:.4} |\n",
                    f3(&r["direct_train_error"]),
                    f3(&r["direct_test_error"]),
                    r["direct_seconds_per_group"].as_f64().unwrap_or(f64::NAN)
                ));
                md.push_str(&format!(
                    "| {ds} | {m} | transfer | {} | {} | | | {:.4} |\n",
                    f3(&r["transfer_train_error"]),
                    f3(&r["transfer_test_error"]),
                    r["transfer_seconds_per_group"].as_f64().unwrap_or(f64::NAN)
                ));
            }
            md.push_str(&format!(
                "| {ds} | rank-{} SVD (reference, no sign constraint) | direct | {} | {} | | | |\n",
                b["k"],
                f3(&b["svd_train_error"]),
                f3(&b["svd_test_error"])
            ));
            md.push_str(&format!(
                "| {ds} | rank-{} subspace fitted to ε (reference, no sign constraint) | direct | {} | {} | | | |\n",
                b["k"],
                f3(&b["subspace_train_error"]),
                f3(&b["subspace_test_error"])
            ));
            if let (Some(pr), Some(tr), Some(te)) = (
                paper_row,
                b["subspace_train_error"].as_f64(),
                b["subspace_test_error"].as_f64(),
            ) {
                let below: Vec<String> = paper::METHODS
                    .iter()
                    .chain(["gan-unet"].iter())
                    .zip(pr.iter())
                    .flat_map(|(m, (ptr, pte))| {
                        let mut v = Vec::new();
                        if *ptr < tr {
                            v.push(format!("{m} train {ptr:.3}"));
                        }
                        if *pte < te {
                            v.push(format!("{m} test {pte:.3}"));
                        }
                        v
                    })
                    .collect();
                if !below.is_empty() {
                    scale_notes.push(format!(
                        "{ds}: the paper's {} lie below the lowest rank-{} ε we found on our groups ({tr:.3} train, {te:.3} test)",
                        below.join(", "),
                        b["k"]
                    ));
                }
            }
            entry.insert("baselines".into(), b.clone());
        }
        let hals = base.as_ref().and_then(|b| {
            b["rows"]
                .as_array()
                .and_then(|r| r.iter().find(|x| x["method"] == "hals").cloned())
        });
        if let Some(h) = &hals {
            if let (Some(secs), Some(err)) = (
                h["direct_seconds_per_group"].as_f64(),
                h["direct_test_error"].as_f64(),
            ) {
                hals_direct.push((ds.clone(), secs, err));
            }
        }
        for model in [
            Model::Gan,
            Model::GanNnls,
            Model::GanNarrow,
            Model::GanNnlsNarrow,
        ] {
            let dir = plan.train_dir(ds, model);
            if !dir.join("checkpoint.bin").is_file() {
                continue;
            }
            let e = eval_cell(&plan, &dir, ds, 0)?;
            let (ptr, pte) = match (model, paper_row) {
                (Model::Gan, Some(pr)) => (format!("{:.3}", pr[3].0), format!("{:.3}", pr[3].1)),
                _ => Default::default(),
            };
            md.push_str(&format!(
                "| {ds} | {} ({} steps) | one forward pass | {} | {} | {ptr} | {pte} | {:.4} |\n",
                model.label(),
                e["checkpoint_steps"],
                f3(&e["train_error"]),
                f3(&e["test_error"]),
                e["seconds_per_group"].as_f64().unwrap_or(f64::NAN)
            ));
            if let Some(h) = &hals {
                if let (Some(hs), Some(one), Some(many)) = (
                    h["direct_seconds_per_group"].as_f64(),
                    e["seconds_per_group"].as_f64(),
                    e["seconds_per_group_batched"].as_f64(),
                ) {
                    ratios.push(format!(
                        "| {ds} | {} | {} | {one:.4} | {many:.4} ({} per pass) | {hs:.4} | {} | {:.1}× | {:.1}× |",
                        model.label(),
                        f3(&e["test_error"]),
                        e["batch"],
                        f3(&h["direct_test_error"]),
                        hs / one,
                        hs / many
                    ));
                }
            }
            entry.insert(model.key().into(), e);
        }
        results.insert(ds.clone(), Value::Object(entry));
    }

    md.push_str(&format!(
        "\nReading the table: the two reference rows drop the sign constraint. The rank-k SVD \
         has the least *squared* error of any rank-k factorisation of a group (Eckart–Young); ε \
         sums the images' errors unsquared, so a subspace fitted to ε itself (iteratively \
         reweighted SVD started from the SVD's, `gan_baselines::epsilon_subspace`) does a little \
         better: it is the lowest rank-k ε we know how to reach on these groups, by any \
         factorisation, nonnegative or not (ε is not convex in the subspace, so it is a best \
         known value, not a proof). \"direct\" runs the solver on each group; \"transfer\" fits \
         only W ≥ 0 to a basis learned on the training images. The \"NNLS layer\" extension rows \
         feed the W head's output through a differentiable NNLS layer (HALS sweeps given H and \
         the group, `--nnls-sweeps`), the fast NNLS layer the paper wished for in §5.2; the \
         \"narrow\" rows are the same networks at width {} instead of the paper's 64 \
         (`--narrow-channels`; 1/16 of the arithmetic), trained for {} steps.\n",
        plan.narrow_channels, plan.narrow_steps
    ));
    if !scale_notes.is_empty() {
        md.push_str(&format!(
            "\nThe paper's numbers and ours are not on one scale: {}. No NMF of a group can beat the \
             best unconstrained rank-k fit of that group, and the paper's values lie below the \
             best such fit we found, so the paper's ε was most likely measured on other groups or \
             under another normalisation than SPEC §5's eq. 4 on these images: compare methods \
             within one source, not ours against the paper's.\n",
            scale_notes.join("; ")
        ));
    }
    if mnist {
        md.push_str("\n## Ablation on MNIST: the discriminator's effect (ours | paper)\n\n");
        md.push_str(
            "| model | train ε | test ε | paper train | paper test |\n|---|---|---|---|---|\n",
        );
        for disc in [false, true] {
            let model = plan.train_dir("mnist", if disc { Model::Gan } else { Model::Unet });
            if !model.join("checkpoint.bin").is_file() {
                continue;
            }
            let e = eval_cell(&plan, &model, "mnist", 0)?;
            let p = if disc {
                paper::TABLE1[0].1[3]
            } else {
                paper::UNET_MNIST
            };
            md.push_str(&format!(
                "| {} ({} steps) | {} | {} | {:.3} | {:.3} |\n",
                if disc { "GAN-UNET" } else { "UNET (L1 only)" },
                e["checkpoint_steps"],
                f3(&e["train_error"]),
                f3(&e["test_error"]),
                p.0,
                p.1
            ));
            results.insert(
                if disc {
                    "ablation_gan_unet"
                } else {
                    "ablation_unet"
                }
                .into(),
                e,
            );
        }
    }

    // Generalisation: a model trained on one set, evaluated on the other.
    let pairs = [("mnist", "fashion"), ("fashion", "mnist")];
    let mut gen_rows = Vec::new();
    for (from, to) in pairs {
        let model = plan.train_dir(from, Model::Gan);
        if plan.datasets.iter().any(|d| d == to) || model.join("checkpoint.bin").is_file() {
            if !model.join("checkpoint.bin").is_file() {
                continue;
            }
            let e = eval_cell(&plan, &model, to, 0)?;
            gen_rows.push(format!(
                "| {from} | {to} | {} | {} |",
                f3(&e["train_error"]),
                f3(&e["test_error"])
            ));
            results.insert(format!("generalisation_{from}_to_{to}"), e);
        }
    }
    if !gen_rows.is_empty() {
        md.push_str("\n## Generalisation: trained on one set, applied to the other\n\n| trained on | applied to | train-split ε | test-split ε |\n|---|---|---|---|\n");
        md.push_str(&gen_rows.join("\n"));
        md.push('\n');
    }
    if !ratios.is_empty() {
        md.push_str("\n## Inference: one forward pass vs HALS run on the group (test groups)\n\nThe generator's time per group one group per forward pass (latency) and many groups per pass (throughput), each the fastest of 3 timed passes over the test groups after an untimed warm-up, against HALS run on each group until it converges (≤ 500 iterations, relative change < 1e-3), same machine.\n\n| data set | model | generator ε | s/group, 1 per pass | s/group, batched | HALS direct s/group | HALS ε | speed-up, 1 per pass | speed-up, batched |\n|---|---|---|---|---|---|---|---|---|\n");
        md.push_str(&ratios.join("\n"));
        md.push('\n');
    }

    // Inference-time refinement (extension): alternating HALS rounds from the generator's
    // factors, ε against cost.
    if !plan.refine_rounds.is_empty() {
        let mut rows = Vec::new();
        let mut plots = Vec::new();
        let rmax = *plan.refine_rounds.last().expect("not empty") as f64;
        for ds in &plan.datasets {
            let paper_test = paper::TABLE1
                .iter()
                .find(|(d, _)| d == ds)
                .map(|r| r.1[3].1);
            let hals = hals_direct.iter().find(|h| &h.0 == ds);
            let mut series = Vec::new();
            for model in [Model::Gan, Model::GanNnlsNarrow] {
                let dir = plan.train_dir(ds, model);
                if !dir.join("checkpoint.bin").is_file() {
                    continue;
                }
                let mut points = Vec::new();
                let mut cells = serde_json::Map::new();
                for r in std::iter::once(0).chain(plan.refine_rounds.iter().copied()) {
                    let e = eval_cell(&plan, &dir, ds, r)?;
                    let test = e["test_error"].as_f64().unwrap_or(f64::NAN);
                    points.push((r as f64, test));
                    let one = e["seconds_per_group"].as_f64().unwrap_or(f64::NAN);
                    let many = e["seconds_per_group_batched"].as_f64().unwrap_or(f64::NAN);
                    let speed = |t: f64| {
                        hals.map(|h| format!("{:.1}×", h.1 / t))
                            .unwrap_or_else(|| "—".into())
                    };
                    let meets = match paper_test {
                        Some(p) if test <= p => format!("yes (≤ {p:.3})"),
                        Some(p) => format!("no (> {p:.3})"),
                        None => "—".into(),
                    };
                    rows.push(format!(
                        "| {ds} | {} | {r} | {} | {} | {meets} | {one:.4} | {many:.4} | {} | {} |",
                        model.label(),
                        f3(&e["train_error"]),
                        f3(&e["test_error"]),
                        speed(one),
                        speed(many)
                    ));
                    cells.insert(r.to_string(), e);
                }
                series.push(Series {
                    label: model.label().to_string(),
                    points,
                });
                if let Some(entry) = results.get_mut(ds.as_str()).and_then(|v| v.as_object_mut()) {
                    entry.insert(format!("refine_{}", model.key()), Value::Object(cells));
                }
            }
            if series.is_empty() {
                continue;
            }
            if let Some(h) = hals {
                series.push(Series {
                    label: "HALS direct, converged".into(),
                    points: vec![(0.0, h.2), (rmax, h.2)],
                });
            }
            if let Some(p) = paper_test {
                series.push(Series {
                    label: "paper's GAN-UNET test ε".into(),
                    points: vec![(0.0, p), (rmax, p)],
                });
            }
            let stem = format!("refine_{ds}");
            line_plot(
                &out.join(&stem),
                &format!("GAN-UNET + alternating HALS on {ds} test groups"),
                "rounds of alternating HALS after the forward pass",
                "test ε",
                &series,
            )?;
            plots.push(format!("![refinement {ds}]({stem}.png)"));
        }
        if !rows.is_empty() {
            md.push_str("\n## Inference-time refinement (extension): a few HALS rounds from the generator's factors\n\n`gan eval --refine R` runs R rounds of alternating HALS (one sweep on the basis images given W, then one on W given H) on each group, started from the generator's H and W: the network does the expensive part (a good starting point), a few cheap sweeps finish it. R = 0 is the forward pass alone. Times include the forward pass (fastest of 3 timed passes); speed-ups are against HALS run on each group to convergence (the Inference table's column). The ≤ column compares the test ε with the paper's GAN-UNET value.\n\n| data set | model | rounds | train ε | test ε | ≤ paper's GAN-UNET test ε | s/group, 1 per pass | s/group, batched | speed-up, 1 per pass | speed-up, batched |\n|---|---|---|---|---|---|---|---|---|---|\n");
            md.push_str(&rows.join("\n"));
            md.push_str("\n\n");
            md.push_str(&plots.join("\n\n"));
            md.push('\n');
        }
    }

    // Training time (MNIST): the "≤ 1 hour on this 2-core machine".
    if mnist {
        let mut rows = Vec::new();
        let mut series = Vec::new();
        for model in std::iter::once(Model::Gan).chain(plan.extra_models("mnist")) {
            let dir = plan.train_dir("mnist", model);
            let Some(sum) = read_json(&dir.join("summary.json")) else {
                continue;
            };
            let e = read_json(&dir.join("eval_mnist.json")).unwrap_or(Value::Null);
            let secs = sum["training_seconds"].as_f64();
            let steps = sum["steps"].as_f64().unwrap_or(f64::NAN);
            rows.push(format!(
                "| {} | {} | {} | {} | {} |",
                model.label(),
                sum["steps"],
                secs.map(|t| format!("{:.1}", t / 60.0))
                    .unwrap_or_else(|| "— (run predates the record)".into()),
                secs.map(|t| format!("{:.3}", t / steps))
                    .unwrap_or_else(|| "—".into()),
                f3(&e["test_error"])
            ));
            if let Some(s) = curve(&dir, model.label(), true) {
                series.push(s);
            }
        }
        if !rows.is_empty() {
            md.push_str("\n## Training time on MNIST (this machine, 2 cores)\n\nTraining seconds summed over every call that built the checkpoint (resumed runs included), measured by the training loop; other work shared the CPU during some runs, so these are upper bounds.\n\n| model | steps | training minutes | s/step | test ε |\n|---|---|---|---|---|\n");
            md.push_str(&rows.join("\n"));
            md.push('\n');
        }
        if !series.is_empty() {
            line_plot(
                &out.join("training_time_mnist"),
                "GAN-UNET training on mnist against time",
                "training minutes",
                "ε of the training groups (mean of 50 steps)",
                &series,
            )?;
            md.push_str("\n![training time mnist](training_time_mnist.png)\n");
        }
    }

    // Figures.
    md.push_str("\n## Figures\n\n");
    for ds in &plan.datasets {
        let mut series = Vec::new();
        for model in [
            Model::Gan,
            Model::Unet,
            Model::GanNnls,
            Model::GanNarrow,
            Model::GanNnlsNarrow,
        ] {
            if let Some(s) = curve(&plan.train_dir(ds, model), model.label(), false) {
                series.push(s);
            }
        }
        if !series.is_empty() {
            let stem = out.join(format!("training_{ds}"));
            line_plot(
                &stem,
                &format!("GAN-UNET training on {ds}"),
                "step",
                "ε of the training groups (mean of 50 steps)",
                &series,
            )?;
            md.push_str(&format!("![training {ds}](training_{ds}.png)\n\n"));
        }
        let id = crate::ganunet::dataset_id(ds)?;
        let test = catalog::load_images(id, Split::Test, &plan.data_dir)?;
        let group = first_group(&test)?;
        let model = plan.train_dir(ds, Model::Gan);
        if model.join("checkpoint.bin").is_file() {
            let e = gan_grid(&model, &group, &out.join(format!("grid_{ds}_gan_unet.png")))?;
            md.push_str(&format!(
                "GAN-UNET on the first {ds} test group (ε {e:.3}): inputs, reconstructions, basis images\n\n![](grid_{ds}_gan_unet.png)\n\n"
            ));
        }
        for model in [Model::GanNnls, Model::GanNnlsNarrow] {
            let dir = plan.train_dir(ds, model);
            if dir.join("checkpoint.bin").is_file() {
                let file = format!("grid_{ds}_{}.png", model.key());
                let e = gan_grid(&dir, &group, &out.join(&file))?;
                md.push_str(&format!(
                    "{} on the same group (ε {e:.3}):\n\n![]({file})\n\n",
                    model.label()
                ));
            }
        }
        let hals = out
            .join("cells")
            .join(ds)
            .join("baselines")
            .join("hals_direct_grid.png");
        if hals.is_file() {
            std::fs::copy(&hals, out.join(format!("grid_{ds}_hals.png")))?;
            md.push_str(&format!(
                "HALS run on the same group (direct):\n\n![](grid_{ds}_hals.png)\n\n"
            ));
        }
        for (from, to) in pairs {
            let m = plan.train_dir(from, Model::Gan);
            if to == ds && m.join("checkpoint.bin").is_file() {
                let e = gan_grid(
                    &m,
                    &group,
                    &out.join(format!("grid_{from}_model_on_{to}.png")),
                )?;
                md.push_str(&format!(
                    "The {from} model on the first {to} test group (ε {e:.3}):\n\n![](grid_{from}_model_on_{to}.png)\n\n"
                ));
            }
        }
    }
    md.push_str("## Commands\n\n");
    for ds in &plan.datasets {
        md.push_str(&format!(
            "- `{}`\n- `{}`\n",
            plan.train_argv(ds, Model::Gan).join(" "),
            plan.baselines_argv(ds).join(" ")
        ));
        for model in plan.extra_models(ds) {
            md.push_str(&format!("- `{}`\n", plan.train_argv(ds, model).join(" ")));
        }
    }
    md.push_str(&format!(
        "\nThis report took {:.0} s to build (training time is in each model's summary.json).\n",
        started.elapsed().as_secs_f64()
    ));
    atomic_write(&out.join("results.md"), md.as_bytes())?;
    atomic_write(
        &out.join("results.json"),
        serde_json::to_string_pretty(&Value::Object(results))?.as_bytes(),
    )?;
    if !args.quiet {
        println!("written: {}", out.join("results.md").display());
    }
    Ok(())
}
