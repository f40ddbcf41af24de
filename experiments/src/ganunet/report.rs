//! The tables of the GAN-UNET report: Table 1 (ε train / test of every method and protocol
//! beside the paper's), the discriminator ablation, generalisation across data sets, and
//! inference time against HALS.

use super::cells::{eval_cell, f3, with_subspace_reference};
use super::paper;
use super::plan::{Model, Plan};
use crate::files::read_json;
use crate::text::fill;
use serde_json::Value;

/// The models trained on one set and applied to the other.
pub const PAIRS: [(&str, &str); 2] = [("mnist", "fashion"), ("fashion", "mnist")];

/// The report as it is built: Markdown, the JSON results, and what later sections reuse.
#[derive(Default)]
pub struct Report {
    pub md: String,
    pub results: serde_json::Map<String, Value>,
    /// (data set, HALS direct seconds per group, its test ε).
    pub hals_direct: Vec<(String, f64, f64)>,
}

/// How to read Table 1 (after it); `{narrow_channels}` and `{narrow_steps}` are the plan's.
const TABLE1_READING: &str = "\nReading the table: the two reference rows drop the sign constraint. The rank-k SVD \
     has the least *squared* error of any rank-k factorisation of a group (Eckart–Young); ε \
     sums the images' errors unsquared, so a subspace fitted to ε itself (iteratively \
     reweighted SVD started from the SVD's, `nmfnet_baselines::subspace::epsilon_subspace`) does a little \
     better: it is the lowest rank-k ε we know how to reach on these groups, by any \
     factorisation, nonnegative or not (ε is not convex in the subspace, so it is a best \
     known value, not a proof). \"direct\" runs the solver on each group; \"transfer\" fits \
     only W ≥ 0 to a basis learned on the training images. The \"NNLS layer\" extension rows \
     feed the W head's output through a differentiable NNLS layer (HALS sweeps given H and \
     the group, `--nnls-sweeps`), the fast NNLS layer the paper wished for in §5.2; the \
     \"narrow\" rows are the same networks at width {narrow_channels} instead of the paper's 64 \
     (`--narrow-channels`; 1/16 of the arithmetic), trained for {narrow_steps} steps.\n";

/// Why the paper's ε and ours are not on one scale; `{notes}` lists the paper's values below
/// the best rank-k fit we found, per data set.
const SCALE_NOTE: &str =
    "\nThe paper's numbers and ours are not on one scale: {notes}. No NMF of a group can beat the \
     best unconstrained rank-k fit of that group, and the paper's values lie below the \
     best such fit we found, so the paper's ε was most likely measured on other groups or \
     under another normalisation than SPEC §5's eq. 4 on these images: compare methods \
     within one source, not ours against the paper's.\n";

/// The paper's Table 1 row of a data set: (train, test) of ANLS, MU, HALS and GAN-UNET.
type PaperRow = [(f64, f64); 4];

/// Table 1 and the note that reads it; returns the rows of the inference table.
pub fn table1(plan: &Plan, rep: &mut Report) -> anyhow::Result<Vec<String>> {
    rep.md
        .push_str("## Table 1: ε train / test (ours | paper)\n\n");
    rep.md.push_str("| data set | method | protocol | train ε | test ε | paper train | paper test | s/group |\n|---|---|---|---|---|---|---|---|\n");
    let mut ratios = Vec::new();
    let mut scale_notes: Vec<String> = Vec::new();
    for ds in &plan.datasets {
        let mut entry = serde_json::Map::new();
        let paper_row = paper::TABLE1.iter().find(|(d, _)| d == ds).map(|r| r.1);
        let base = read_json(
            &plan
                .out
                .join("cells")
                .join(ds)
                .join("baselines")
                .join("summary.json"),
        )
        .map(|b| with_subspace_reference(plan, ds, b))
        .transpose()?;
        if let Some(b) = &base {
            baseline_rows(&mut rep.md, ds, paper_row, b);
            scale_notes.extend(scale_note(ds, paper_row, b));
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
                rep.hals_direct.push((ds.clone(), secs, err));
            }
        }
        let gens = generator_rows(plan, ds, paper_row, hals.as_ref(), &mut entry)?;
        rep.md.push_str(&gens.table);
        ratios.extend(gens.ratios);
        rep.results.insert(ds.clone(), Value::Object(entry));
    }
    rep.md.push_str(&fill(
        TABLE1_READING,
        &[
            ("narrow_channels", plan.narrow_channels.to_string()),
            ("narrow_steps", plan.narrow_steps.to_string()),
        ],
    ));
    if !scale_notes.is_empty() {
        rep.md
            .push_str(&fill(SCALE_NOTE, &[("notes", scale_notes.join("; "))]));
    }
    Ok(ratios)
}

/// Table 1's rows of the classical solvers on `ds` (direct and transfer, beside the paper's)
/// and of the two references without the sign constraint, from the baselines summary `b`.
fn baseline_rows(md: &mut String, ds: &str, paper_row: Option<PaperRow>, b: &Value) {
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
}

/// The paper's values on `ds` that lie below the lowest rank-k ε we found (the fitted
/// subspace of the baselines summary `b`), as a note; None when there are none.
fn scale_note(ds: &str, paper_row: Option<PaperRow>, b: &Value) -> Option<String> {
    let (pr, tr, te) = (
        paper_row?,
        b["subspace_train_error"].as_f64()?,
        b["subspace_test_error"].as_f64()?,
    );
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
    if below.is_empty() {
        return None;
    }
    Some(format!(
        "{ds}: the paper's {} lie below the lowest rank-{} ε we found on our groups ({tr:.3} train, {te:.3} test)",
        below.join(", "),
        b["k"]
    ))
}

/// The generators' rows of one data set: Table 1's, and the inference table's (against HALS).
struct GeneratorRows {
    /// Table 1's rows (Markdown, one line each).
    table: String,
    /// The inference table's rows.
    ratios: Vec<String>,
}

/// Table 1's row of every trained generator on `ds` (the paper's GAN-UNET beside ours) and,
/// with HALS's baseline row `hals`, its inference-table row; the evaluations go into `entry`.
fn generator_rows(
    plan: &Plan,
    ds: &str,
    paper_row: Option<PaperRow>,
    hals: Option<&Value>,
    entry: &mut serde_json::Map<String, Value>,
) -> anyhow::Result<GeneratorRows> {
    let mut rows = GeneratorRows {
        table: String::new(),
        ratios: Vec::new(),
    };
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
        let e = eval_cell(plan, &dir, ds, 0)?;
        let (ptr, pte) = match (model, paper_row) {
            (Model::Gan, Some(pr)) => (format!("{:.3}", pr[3].0), format!("{:.3}", pr[3].1)),
            _ => Default::default(),
        };
        rows.table.push_str(&format!(
            "| {ds} | {} ({} steps) | one forward pass | {} | {} | {ptr} | {pte} | {:.4} |\n",
            model.label(),
            e["checkpoint_steps"],
            f3(&e["train_error"]),
            f3(&e["test_error"]),
            e["seconds_per_group"].as_f64().unwrap_or(f64::NAN)
        ));
        if let Some(h) = hals {
            if let (Some(hs), Some(one), Some(many)) = (
                h["direct_seconds_per_group"].as_f64(),
                e["seconds_per_group"].as_f64(),
                e["seconds_per_group_batched"].as_f64(),
            ) {
                rows.ratios.push(format!(
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
    Ok(rows)
}

/// The discriminator's effect on MNIST: GAN-UNET against UNET (L1 only).
pub fn ablation(plan: &Plan, rep: &mut Report) -> anyhow::Result<()> {
    let Report { md, results, .. } = rep;
    if plan.has_mnist() {
        md.push_str("\n## Ablation on MNIST: the discriminator's effect (ours | paper)\n\n");
        md.push_str(
            "| model | train ε | test ε | paper train | paper test |\n|---|---|---|---|---|\n",
        );
        for disc in [false, true] {
            let model = plan.train_dir("mnist", if disc { Model::Gan } else { Model::Unet });
            if !model.join("checkpoint.bin").is_file() {
                continue;
            }
            let e = eval_cell(plan, &model, "mnist", 0)?;
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

    Ok(())
}

/// A model trained on one set, evaluated on the other.
pub fn generalisation(plan: &Plan, rep: &mut Report) -> anyhow::Result<()> {
    let Report { md, results, .. } = rep;
    let mut gen_rows = Vec::new();
    for (from, to) in PAIRS {
        let model = plan.train_dir(from, Model::Gan);
        if plan.datasets.iter().any(|d| d == to) || model.join("checkpoint.bin").is_file() {
            if !model.join("checkpoint.bin").is_file() {
                continue;
            }
            let e = eval_cell(plan, &model, to, 0)?;
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
    Ok(())
}

/// One forward pass against HALS run on the group (rows from [`table1`]).
pub fn inference(rep: &mut Report, ratios: &[String]) {
    let md = &mut rep.md;
    if !ratios.is_empty() {
        md.push_str("\n## Inference: one forward pass vs HALS run on the group (test groups)\n\nThe generator's time per group one group per forward pass (latency) and many groups per pass (throughput), each the fastest of 3 timed passes over the test groups after an untimed warm-up, against HALS run on each group until it converges (≤ 500 iterations, relative change < 1e-3), same machine.\n\n| data set | model | generator ε | s/group, 1 per pass | s/group, batched | HALS direct s/group | HALS ε | speed-up, 1 per pass | speed-up, batched |\n|---|---|---|---|---|---|---|---|---|\n");
        md.push_str(&ratios.join("\n"));
        md.push('\n');
    }
}
