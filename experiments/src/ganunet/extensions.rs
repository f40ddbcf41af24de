//! The extension sections of the GAN-UNET report: inference-time refinement (alternating HALS
//! rounds from the generator's factors, ε against cost) and training time on MNIST.

use super::cells::{curve, eval_cell, f3};
use super::paper;
use super::plan::{Model, Plan};
use super::report::Report;
use crate::files::read_json;
use crate::plot::{line_plot, Series};
use serde_json::Value;

/// The refinement section's introduction and table header.
const REFINEMENT_INTRO: &str = "\n## Inference-time refinement (extension): a few HALS rounds from the generator's factors\n\n`gan eval --refine R` runs R rounds of alternating HALS (one sweep on the basis images given W, then one on W given H) on each group, started from the generator's H and W: the network does the expensive part (a good starting point), a few cheap sweeps finish it. R = 0 is the forward pass alone. Times include the forward pass (fastest of 3 timed passes); speed-ups are against HALS run on each group to convergence (the Inference table's column). The ≤ column compares the test ε with the paper's GAN-UNET value.\n\n| data set | model | rounds | train ε | test ε | ≤ paper's GAN-UNET test ε | s/group, 1 per pass | s/group, batched | speed-up, 1 per pass | speed-up, batched |\n|---|---|---|---|---|---|---|---|---|---|\n";

/// ε and speed after 0, 1, 2, … rounds of alternating HALS, per data set, with its plot.
pub fn refinement(plan: &Plan, rep: &mut Report) -> anyhow::Result<()> {
    let Report {
        md,
        results,
        hals_direct,
    } = rep;
    if plan.refine_rounds.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    let mut plots = Vec::new();
    for ds in &plan.datasets {
        let hals = hals_direct.iter().find(|h| &h.0 == ds);
        if let Some(plot) = refined_dataset(plan, ds, hals, results, &mut rows)? {
            plots.push(plot);
        }
    }
    if !rows.is_empty() {
        md.push_str(REFINEMENT_INTRO);
        md.push_str(&rows.join("\n"));
        md.push_str("\n\n");
        md.push_str(&plots.join("\n\n"));
        md.push('\n');
    }
    Ok(())
}

/// The refinement rows of `ds` (GAN-UNET and the narrow NNLS model, when trained) and its
/// plot against HALS (`hals`: data set, seconds per group, test ε) and the paper's test ε;
/// returns the plot's Markdown image, None when no model is trained.
fn refined_dataset(
    plan: &Plan,
    ds: &str,
    hals: Option<&(String, f64, f64)>,
    results: &mut serde_json::Map<String, Value>,
    rows: &mut Vec<String>,
) -> anyhow::Result<Option<String>> {
    let rmax = *plan.refine_rounds.last().expect("not empty") as f64;
    let paper_test = paper::TABLE1
        .iter()
        .find(|(d, _)| *d == ds)
        .map(|r| r.1[3].1);
    let mut series = Vec::new();
    for model in [Model::Gan, Model::GanNnlsNarrow] {
        let dir = plan.train_dir(ds, model);
        if !dir.join("checkpoint.bin").is_file() {
            continue;
        }
        let mut points = Vec::new();
        let mut cells = serde_json::Map::new();
        for r in std::iter::once(0).chain(plan.refine_rounds.iter().copied()) {
            let e = eval_cell(plan, &dir, ds, r)?;
            let test = e["test_error"].as_f64().unwrap_or(f64::NAN);
            points.push((r as f64, test));
            rows.push(refinement_row(ds, model, r, &e, paper_test, hals));
            cells.insert(r.to_string(), e);
        }
        series.push(Series {
            label: model.label().to_string(),
            points,
        });
        if let Some(entry) = results.get_mut(ds).and_then(|v| v.as_object_mut()) {
            entry.insert(format!("refine_{}", model.key()), Value::Object(cells));
        }
    }
    if series.is_empty() {
        return Ok(None);
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
        &plan.out.join(&stem),
        &format!("GAN-UNET + alternating HALS on {ds} test groups"),
        "rounds of alternating HALS after the forward pass",
        "test ε",
        &series,
    )?;
    Ok(Some(format!("![refinement {ds}]({stem}.png)")))
}

/// The refinement table's row of `model` on `ds` after `r` rounds (its evaluation `e`),
/// against the paper's test ε and HALS's time.
fn refinement_row(
    ds: &str,
    model: Model,
    r: usize,
    e: &Value,
    paper_test: Option<f64>,
    hals: Option<&(String, f64, f64)>,
) -> String {
    let test = e["test_error"].as_f64().unwrap_or(f64::NAN);
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
    format!(
        "| {ds} | {} | {r} | {} | {} | {meets} | {one:.4} | {many:.4} | {} | {} |",
        model.label(),
        f3(&e["train_error"]),
        f3(&e["test_error"]),
        speed(one),
        speed(many)
    )
}

/// Training minutes of every MNIST model, and ε against training time.
pub fn training_time(plan: &Plan, rep: &mut Report) -> anyhow::Result<()> {
    let md = &mut rep.md;
    let out = &plan.out;
    if plan.has_mnist() {
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

    Ok(())
}
