//! The cells of the GAN-UNET reproduction: each training, evaluation and comparison run once
//! into its folder under `OUT/cells/` (finished ones are read back, not run again), and what the
//! report draws from them (grids, training curves).

use super::plan::{Model, Plan};
use crate::files::read_json;
use crate::plot::Series;
use anyhow::Context;
use nmfnet_app::gan::baselines::{gan_baselines, scaled_to_max, subspace_errors};
use nmfnet_app::gan::eval::gan_eval;
use nmfnet_app::gan::factorize::factorize_images;
use nmfnet_app::gan::train::gan_train;
use nmfnet_app::job::OutMode;
use nmfnet_app::BackendKind;
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::io::{atomic_write, gray_grid_png};
use nmfnet_datasets::Dense;
use nmfnet_train::runtime::rundir::MARKER;
use nmfnet_train::tasks::gan_eval::fixed_groups;
use serde_json::{json, Value};
use std::path::Path;

/// Runs a training cell unless its summary says it already ran to `steps`; resumes from a
/// checkpoint left by an interrupted run.
pub fn train_cell(plan: &Plan, ds: &str, model: Model) -> anyhow::Result<()> {
    let dir = plan.train_dir(ds, model);
    let finished = read_json(&dir.join("summary.json"))
        .and_then(|v| v["steps"].as_u64())
        .is_some_and(|s| s as usize == plan.steps(model));
    if finished {
        return Ok(());
    }
    let mut job = plan.train_job(ds, model)?;
    job.run.progress = false;
    // An interrupted run resumes; a folder that cannot be resumed (no run marker, no
    // checkpoint yet) belongs to this reproduction and starts over.
    let resume = dir.join(MARKER).is_file() && dir.join("checkpoint.bin").is_file();
    if resume {
        job.run.mode = OutMode::Resume;
    }
    if !resume && dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    if !plan.quiet {
        println!("running: {}", plan.train_command(ds, model));
    }
    gan_train(&job).with_context(|| format!("cell {}", dir.display()))?;
    Ok(())
}

/// ε of a trained model on a data set's fixed groups, after `refine` rounds of alternating
/// HALS (0 = the forward pass alone); cached in the model's folder.
pub fn eval_cell(plan: &Plan, model: &Path, ds: &str, refine: usize) -> anyhow::Result<Value> {
    let path = model.join(if refine == 0 {
        format!("eval_{ds}.json")
    } else {
        format!("eval_{ds}_refine{refine}.json")
    });
    let job = plan.eval_job(model, ds, refine);
    let key = serde_json::to_value(&job)?;
    let trained = read_json(&model.join("summary.json")).map(|v| v["steps"].clone());
    if let Some(v) = read_json(&path) {
        // Summaries from before the refinement field (timed by a single pass) are evaluated
        // again.
        if v["job"] == key
            && Some(v["checkpoint_steps"].clone()) == trained
            && v.get("refine").is_some()
        {
            return Ok(v);
        }
    }
    if !plan.quiet {
        println!(
            "running: gan eval of {} on {ds} (refine {refine})",
            model.display()
        );
    }
    let s = gan_eval(&job)?;
    let mut v = serde_json::to_value(&s)?;
    v["job"] = key;
    atomic_write(&path, serde_json::to_string_pretty(&v)?.as_bytes())?;
    Ok(v)
}

/// The classical comparisons on `ds` (cached with the job that made them).
pub fn baselines_cell(plan: &Plan, ds: &str) -> anyhow::Result<Value> {
    let dir = plan.baselines_dir(ds);
    let mut job = plan.baselines_job(ds);
    job.run.progress = !plan.quiet;
    let key = serde_json::to_value(plan.baselines_job(ds))?;
    if let Some(v) = read_json(&dir.join("cell.json")) {
        if v["job"] == key {
            if let Some(s) = read_json(&dir.join("summary.json")) {
                return with_subspace_reference(plan, ds, s);
            }
        }
    }
    if !plan.quiet {
        println!("running: {}", plan.baselines_command(ds));
    }
    // Not cached (or made by another job): the folder belongs to this reproduction.
    fresh_cell_dir(&dir)?;
    let s = gan_baselines(&job)?;
    atomic_write(
        &dir.join("cell.json"),
        serde_json::to_string_pretty(&json!({ "job": key }))?.as_bytes(),
    )?;
    Ok(serde_json::to_value(&s)?)
}

/// Clears a cell's folder (it belongs to this reproduction) and makes its parent, so that the
/// cell's run can create it afresh.
pub fn fresh_cell_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Ok(())
}

/// A baselines summary written before the ε-fitted subspace reference existed gets it added
/// (seconds of work, no solver re-run) and saved.
pub fn with_subspace_reference(plan: &Plan, ds: &str, mut s: Value) -> anyhow::Result<Value> {
    if s.get("subspace_test_error").is_some() {
        return Ok(s);
    }
    let (train, test) = subspace_errors(&plan.baselines_job(ds))?;
    s["subspace_train_error"] = json!(train);
    s["subspace_test_error"] = json!(test);
    let path = plan.baselines_dir(ds).join("summary.json");
    atomic_write(&path, serde_json::to_string_pretty(&s)?.as_bytes())?;
    Ok(s)
}

/// The first fixed test group of `set` as its own image set.
pub fn first_group(set: &ImageSet) -> anyhow::Result<ImageSet> {
    let groups = fixed_groups(set)?;
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
pub fn gan_grid(model: &Path, group: &ImageSet, png: &Path) -> anyhow::Result<f64> {
    let f = factorize_images(model, group, 0, BackendKind::Cpu)?;
    let m = group.images.nrows();
    let mut tiles: Vec<Vec<f32>> = (0..m).map(|j| group.images.row(j).to_vec()).collect();
    tiles.extend((0..m).map(|j| f.rec.row(j).to_vec()));
    tiles.extend((0..f.h.nrows()).map(|l| scaled_to_max(f.h.row(l).to_vec())));
    atomic_write(png, &gray_grid_png(&tiles, group.height, group.width, 10)?)?;
    Ok(f.error)
}

/// Training curve: ε of the training groups (moving mean over 50 steps) against the step, or
/// against training minutes with `minutes` (logs written before the time was recorded have
/// no such curve).
pub fn curve(model: &Path, label: &str, minutes: bool) -> Option<Series> {
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

pub fn f3(v: &Value) -> String {
    v.as_f64()
        .map(|x| format!("{x:.3}"))
        .unwrap_or_else(|| "—".into())
}
