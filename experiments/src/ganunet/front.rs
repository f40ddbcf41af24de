//! The equal-error section of the GAN-UNET report: time–error fronts of the classical solvers
//! (MU, HALS, ANLS after 1, 2, 3, … iterations from random, NNDSVD and NNDSVDa starts) beside
//! every trained generator with its refinement rounds, one `gan front` cell per data set, and
//! the speed-up at equal ε — the report's headline.

use super::cells::fresh_cell_dir;
use super::plan::{Model, Plan};
use crate::files::read_json;
use crate::plot::{line_plot, Series};
use crate::text::fill;
use nmfnet_app::gan::front::{
    gan_front, solver_label, EqualError, FrontMode, GanFrontJob, GanFrontSummary, SolverForm,
};
use nmfnet_baselines::{NmfInit, NmfMethod};
use nmfnet_datasets::io::atomic_write;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The trained models of `ds` with a checkpoint, in the report's order.
pub fn trained_models(plan: &Plan, ds: &str) -> Vec<(Model, PathBuf)> {
    std::iter::once(Model::Gan)
        .chain(plan.extra_models(ds))
        .map(|m| (m, plan.train_dir(ds, m)))
        .filter(|(_, d)| d.join("checkpoint.bin").is_file())
        .collect()
}

/// What makes a cached front stale: each model's checkpoint steps, and its checkpoint file's
/// size and modification time (a model trained again to the same step count).
fn model_stamps(models: &[(Model, PathBuf)]) -> Value {
    Value::Array(
        models
            .iter()
            .map(|(_, d)| {
                let steps = read_json(&d.join("summary.json"))
                    .map(|v| v["steps"].clone())
                    .unwrap_or(Value::Null);
                let file = std::fs::metadata(d.join("checkpoint.bin")).ok();
                let modified = file
                    .as_ref()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|t| t.as_nanos().to_string());
                json!([steps, file.map(|m| m.len()), modified])
            })
            .collect(),
    )
}

/// The front run of `ds` against `models`.
pub fn front_job(plan: &Plan, ds: &str, models: &[(Model, PathBuf)]) -> GanFrontJob {
    let mut r = GanFrontJob::new(ds);
    r.data_dir = Some(plan.data_dir.clone());
    r.groups = plan.groups;
    r.models = models.iter().map(|(_, d)| d.clone()).collect();
    r.refine = std::iter::once(0)
        .chain(plan.refine_rounds.iter().copied())
        .collect();
    r.run.out = Some(plan.out.join("cells").join(ds).join("front"));
    if plan.quick {
        r.iterations = vec![1, 2, 5];
        r.timed_passes = 1;
        r.batch = 2;
    }
    r
}

/// The front cell of `ds` (cached with its job and the models' checkpoint steps).
pub fn front_cell(plan: &Plan, ds: &str) -> anyhow::Result<GanFrontSummary> {
    let models = trained_models(plan, ds);
    let mut req = front_job(plan, ds, &models);
    let dir = req.run.out.clone().expect("set by front_job");
    let key = serde_json::to_value(&req)?;
    let stamps = model_stamps(&models);
    if let Some(v) = read_json(&dir.join("cell.json")) {
        if v["job"] == key && v["models"] == stamps {
            if let Some(s) = read_json(&dir.join("summary.json")) {
                if let Ok(s) = serde_json::from_value(s) {
                    return Ok(s);
                }
            }
        }
    }
    if !plan.quiet {
        println!("running: gan front on {ds}");
    }
    req.run.progress = !plan.quiet;
    // Not cached (or made by another job or other checkpoints): the folder belongs to this
    // reproduction.
    fresh_cell_dir(&dir)?;
    let s = gan_front(&req)?;
    atomic_write(
        &dir.join("cell.json"),
        serde_json::to_string_pretty(&json!({ "job": key, "models": stamps }))?.as_bytes(),
    )?;
    Ok(s)
}

fn label_of(models: &[(Model, PathBuf)], dir: &std::path::Path) -> &'static str {
    models
        .iter()
        .find(|(_, d)| d == dir)
        .map_or("?", |(m, _)| m.label())
}

fn ms(s: f64) -> String {
    let v = 1e3 * s;
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// How the equal-error section measures (its first paragraph); the placeholders are filled by
/// [`FrontSection::markdown`].
const FRONT_METHOD: &str = "For each trained generator setting (the forward pass, then 0, 1, 2, … rounds of alternating HALS), the time the fastest classical setting needs to reach the generator's test ε — any of HALS, MU and ANLS, from a random, NNDSVD or NNDSVDa start, after the first whole iteration (0 to {last_iteration}) that reaches it — divided by the generator's time. Above 1 the generator is faster at equal accuracy. Same fixed test groups, one `gan front` run per data set on this machine ({threads} threads); a solver's time counts its start and its updates (no objective, no stop test; ε is measured after every iteration with the clock stopped), the fastest of {passes} passes; the generator's (`gan eval`'s, fastest of 3 passes) also covers building its input and computing ε, small next to its forward pass. The classical solvers run in f64 (faer), generators in f32; \"HALS f32\" is HALS computed as the generators' refinement rounds are (f32, the two products per half-sweep on Burn's CPU backend, the row updates on the host), from the same starts, so that a generator and a start followed by the same rounds differ in the start alone. \"single\" hands one group per call (the products inside still use every thread on both sides); \"batched\" hands {batch} groups to one call on both sides (or all of a data set's groups when fewer; solvers: the groups spread over the threads).\n\n";

/// The equal-error section (returned as Markdown: the report puts it first) and its plots.
pub fn fronts(plan: &Plan, results: &mut serde_json::Map<String, Value>) -> anyhow::Result<String> {
    let mut section = FrontSection::default();
    for ds in &plan.datasets {
        section.add(plan, ds, results)?;
    }
    Ok(section.markdown())
}

/// The equal-error section as it is gathered, data set by data set.
#[derive(Default)]
struct FrontSection {
    /// One line per generator setting without refinement rounds, one or many groups per call.
    headline: Vec<String>,
    /// The rows of the equal-error table.
    eq_rows: Vec<String>,
    /// Every data set's front tables (Markdown).
    tables: String,
    /// Every data set's plot (a Markdown image).
    plots: Vec<String>,
    /// "data set: models" not trained yet.
    missing: Vec<String>,
    /// The iteration counts of the last front.
    iterations: Vec<usize>,
    /// The threads of the last front's machine.
    threads: usize,
    /// The most groups per call of any front.
    batch: usize,
    /// Timed passes of the last front's solvers.
    passes: usize,
}

impl FrontSection {
    /// Adds the front of `ds` (its cell run when not cached): the equal-error rows, the front
    /// tables and the plot; the front itself goes into `results`' entry of `ds`.
    fn add(
        &mut self,
        plan: &Plan,
        ds: &str,
        results: &mut serde_json::Map<String, Value>,
    ) -> anyhow::Result<()> {
        let models = trained_models(plan, ds);
        let absent: Vec<&str> = std::iter::once(Model::Gan)
            .chain(plan.extra_models(ds))
            .filter(|m| !models.iter().any(|(t, _)| t == m))
            .map(|m| m.label())
            .collect();
        if !absent.is_empty() {
            self.missing.push(format!("{ds}: {}", absent.join(", ")));
        }
        let s = front_cell(plan, ds)?;
        self.passes = front_job(plan, ds, &models).timed_passes;
        self.threads = s.threads;
        self.batch = self.batch.max(s.batch);
        if let Some(entry) = results.get_mut(ds).and_then(|v| v.as_object_mut()) {
            entry.insert("front".into(), serde_json::to_value(&s)?);
        }
        for e in &s.equal_error {
            self.equal_error(ds, &models, &s, e);
        }
        self.iterations = s.iterations.clone();
        self.solver_table(ds, &s);
        if !s.generators.is_empty() {
            self.generator_table(&models, &s);
        }
        self.plots.push(front_plot(plan, ds, &models, &s)?);
        Ok(())
    }

    /// The equal-error row of `e`, and its headline line when it is the forward pass alone.
    fn equal_error(
        &mut self,
        ds: &str,
        models: &[(Model, PathBuf)],
        s: &GanFrontSummary,
        e: &EqualError,
    ) {
        let [who, its, err, secs, speed] = reached_cells(s, e);
        let steps = s
            .generators
            .iter()
            .find(|g| g.model == e.model)
            .map_or(0, |g| g.checkpoint_steps);
        let label = format!("{} ({steps} steps)", label_of(models, &e.model));
        self.eq_rows.push(format!(
            "| {ds} | {label} | {} | {} | {:.3} | {} | {who} | {its} | {err} | {secs} | {speed} |",
            e.refine,
            match e.mode {
                FrontMode::Single => 1,
                FrontMode::Batched => s.batch,
            },
            e.generator_error,
            ms(e.generator_seconds_per_group),
        ));
        if e.refine == 0 {
            self.headline.push(headline(ds, &label, s, e));
        }
    }

    /// The solvers' front table of `ds`: ε / ms per group at each iteration count.
    fn solver_table(&mut self, ds: &str, s: &GanFrontSummary) {
        let iterations = &s.iterations;
        self.tables.push_str(&format!(
            "\n### {ds}: solvers, ε / ms per group after N iterations ({} test groups)\n\n| method | start | groups per call | {} |\n|---|---|---|{}\n",
            s.groups,
            iterations.iter().map(|i| format!("N = {i}")).collect::<Vec<_>>().join(" | "),
            "---|".repeat(iterations.len())
        ));
        for f in &s.solvers {
            self.tables.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                solver_label(f.method, f.form),
                f.init.name(),
                match f.mode {
                    FrontMode::Single => "1".to_string(),
                    FrontMode::Batched => s.batch.to_string(),
                },
                f.points
                    .iter()
                    .filter(|p| iterations.contains(&p.iterations))
                    .map(|p| format!("{:.3} / {}", p.error, ms(p.seconds_per_group)))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
    }

    /// The generators as starts against NNDSVD as a start: R rounds of alternating HALS after
    /// each, computed the same way (the refinement's f32 form).
    fn generator_table(&mut self, models: &[(Model, PathBuf)], s: &GanFrontSummary) {
        let nndsvd_hals = |mode: FrontMode, r: usize| {
            s.solvers
                .iter()
                .find(|f| {
                    f.method == NmfMethod::Hals
                        && f.init == NmfInit::Nndsvd
                        && f.form == SolverForm::RefineF32
                        && f.mode == mode
                })
                .and_then(|f| f.points.iter().find(|p| p.iterations == r))
        };
        self.tables.push_str(&format!(
            "\n| generator | HALS rounds R | ε | ms per group, 1 per call | ms per group, {b} per call | NNDSVD + the same R rounds: ε | ms, 1 per call | ms, {b} per call |\n|---|---|---|---|---|---|---|---|\n",
            b = s.batch
        ));
        for g in &s.generators {
            let (one, many) = (
                nndsvd_hals(FrontMode::Single, g.refine),
                nndsvd_hals(FrontMode::Batched, g.refine),
            );
            self.tables.push_str(&format!(
                "| {} | {} | {:.3} | {} | {} | {} | {} | {} |\n",
                label_of(models, &g.model),
                g.refine,
                g.error,
                ms(g.seconds_per_group),
                ms(g.seconds_per_group_batched),
                one.map_or("—".into(), |p| format!("{:.3}", p.error)),
                one.map_or("—".into(), |p| ms(p.seconds_per_group)),
                many.map_or("—".into(), |p| ms(p.seconds_per_group)),
            ));
        }
    }

    /// The section's Markdown: how it measures, the headline and its table, what is missing,
    /// the front tables and the plots.
    fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str("## Speed-up at equal error (the headline)\n\n");
        md.push_str(&fill(
            FRONT_METHOD,
            &[
                (
                    "last_iteration",
                    self.iterations.last().copied().unwrap_or(0).to_string(),
                ),
                ("threads", self.threads.to_string()),
                ("passes", self.passes.to_string()),
                ("batch", self.batch.to_string()),
            ],
        ));
        if self.headline.is_empty() {
            md.push_str("No trained generator yet: the fronts below show the solvers alone.\n\n");
        } else {
            for h in &self.headline {
                md.push_str(&format!("- {h}\n"));
            }
            md.push_str("\n| data set | generator | refinement rounds | groups per call | generator ε | generator ms/group | fastest solver reaching that ε | iterations | its ε | its ms/group | speed-up at equal ε |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
            md.push_str(&self.eq_rows.join("\n"));
            md.push('\n');
        }
        if !self.missing.is_empty() {
            md.push_str(&format!(
                "\nNot trained (yet) in this run, so not on the fronts: {}.\n",
                self.missing.join("; ")
            ));
        }
        md.push_str(&self.tables);
        md.push('\n');
        md.push_str(&self.plots.join("\n\n"));
        md.push_str("\n\n");
        md
    }
}

/// The solver columns of `e`'s equal-error row: who reaches the generator's ε, after how many
/// iterations, its ε, its ms per group and the speed-up (or why none does).
fn reached_cells(s: &GanFrontSummary, e: &EqualError) -> [String; 5] {
    match &e.solver {
        Some(r) => [
            format!("{} from {}", solver_label(r.method, r.form), r.init.name()),
            r.iterations.to_string(),
            format!("{:.3}", r.error),
            ms(r.seconds_per_group),
            format!("**{:.2}×**", e.speedup.unwrap_or(f64::NAN)),
        ],
        None => {
            let last = s
                .solvers
                .iter()
                .flat_map(|f| f.points.last())
                .map(|p| p.iterations)
                .max()
                .unwrap_or(0);
            [
                format!("none within {last} iterations"),
                "—".into(),
                "—".into(),
                "—".into(),
                format!("— (ε below every solver point up to {last} iterations)"),
            ]
        }
    }
}

/// The headline line of `e` (the generator `label` on `ds` without refinement rounds).
fn headline(ds: &str, label: &str, s: &GanFrontSummary, e: &EqualError) -> String {
    format!(
        "{ds}, {label}, {}: ε {:.3} in {} ms; {}",
        match e.mode {
            FrontMode::Single => "one group per call".to_string(),
            FrontMode::Batched => format!("{} groups per call", s.batch),
        },
        e.generator_error,
        ms(e.generator_seconds_per_group),
        match (&e.solver, e.speedup) {
            (Some(r), Some(x)) => format!(
                "{} from {} reaches it after {} iteration{} in {} ms: **{x:.2}×**",
                solver_label(r.method, r.form),
                r.init.name(),
                r.iterations,
                if r.iterations == 1 { "" } else { "s" },
                ms(r.seconds_per_group)
            ),
            _ => "no solver setting reaches it".into(),
        }
    )
}

/// The solver settings drawn on the fronts' plots.
const PLOTTED_SOLVERS: [(NmfMethod, NmfInit, SolverForm); 6] = [
    (NmfMethod::Hals, NmfInit::Random, SolverForm::F64),
    (NmfMethod::Hals, NmfInit::Nndsvd, SolverForm::F64),
    (NmfMethod::Hals, NmfInit::Random, SolverForm::RefineF32),
    (NmfMethod::Hals, NmfInit::Nndsvd, SolverForm::RefineF32),
    (NmfMethod::Mu, NmfInit::Random, SolverForm::F64),
    (NmfMethod::Anls, NmfInit::Nndsvda, SolverForm::F64),
];

/// Draws the front of `ds` (one group per call): log10 of ms per group against ε, from the
/// first iteration on (some starts, such as NNDSVDa's mean fill, sit far above every other
/// point), up to a quarter above the worst generator and 2-iteration HALS; returns its
/// Markdown image.
fn front_plot(
    plan: &Plan,
    ds: &str,
    models: &[(Model, PathBuf)],
    s: &GanFrontSummary,
) -> anyhow::Result<String> {
    let hals2 = s
        .solvers
        .iter()
        .find(|f| f.method == NmfMethod::Hals && f.init == NmfInit::Random)
        .and_then(|f| f.points.iter().find(|p| p.iterations == 2))
        .map_or(0.0, |p| p.error);
    let cap = 1.25 * s.generators.iter().map(|g| g.error).fold(hals2, f64::max);
    let mut series = Vec::new();
    for (m, i, form) in PLOTTED_SOLVERS {
        if let Some(f) = s
            .solvers
            .iter()
            .find(|f| f.method == m && f.init == i && f.form == form && f.mode == FrontMode::Single)
        {
            series.push(Series {
                label: format!("{} from {}", solver_label(m, form), i.name()),
                points: f
                    .points
                    .iter()
                    .filter(|p| p.iterations >= 1 && p.error <= cap)
                    .map(|p| ((1e3 * p.seconds_per_group).log10(), p.error))
                    .collect(),
            });
        }
    }
    for (model, dir) in models {
        let points: Vec<(f64, f64)> = s
            .generators
            .iter()
            .filter(|g| &g.model == dir)
            .map(|g| ((1e3 * g.seconds_per_group).log10(), g.error))
            .collect();
        if !points.is_empty() && series.len() < 10 {
            series.push(Series {
                label: format!("{} + 0, 1, 2, … rounds", model.label()),
                points,
            });
        }
    }
    let stem = format!("front_{ds}");
    line_plot(
        &plan.out.join(&stem),
        &format!("Time–error fronts on {ds} test groups (one group per call)"),
        "log10 of milliseconds per group",
        "test ε",
        &series,
    )?;
    Ok(format!("![front {ds}]({stem}.png)"))
}
