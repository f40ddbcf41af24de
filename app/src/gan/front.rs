//! `gan front`: time–error fronts on one data set's fixed test groups — ε against seconds per
//! group for MU, HALS and ANLS after 1, 2, 3, 5, … iterations from each start (random,
//! NNDSVD, NNDSVDa), one group per call and `batch` groups per call, beside trained
//! generators with 0, 1, 2, … refinement rounds, in one run on one machine; and the speed-up
//! at equal error: for each generator setting, the time the fastest solver setting needs to
//! reach the generator's ε, divided by the generator's time.
//!
//! A solver's time is that of its start and its updates only (no objective, no stop test:
//! [`NmfSteps`]); the clock stops while ε is measured after every iteration, so a front has a
//! point at every count from 0 (the start alone) to the largest of `iterations` (the counts a
//! report shows), and the equal-error time is that of the first whole iteration reaching the
//! target. Each point's time is the fastest of `timed_passes` passes over the groups. "Single"
//! hands one group per call (the products inside still use the thread pool, as the generator's
//! forward pass does); "batched" factorises `batch` groups per call, the groups spread over the
//! threads (rayon) and advanced in lockstep; the generator's batched figure is `batch` groups
//! per forward pass. The generator's time (`gan eval`'s, fastest of 3 passes) also covers
//! building its input and computing ε, which are small next to its forward pass. The classical
//! solvers run in f64 (faer), generators in f32 (Burn, CPU). Beside them, HALS as the
//! generator's refinement rounds compute it ([`SolverForm::RefineF32`]: f32, products on the
//! CPU backend, sweeps on the host) from the same starts, so that "generator + R rounds" and
//! "NNDSVD + R rounds" differ in their start alone.

use super::baselines::group_matrix;
use super::eval::{gan_eval, GanEvalJob};
use super::load_splits;
use crate::job::RunOptions;
use crate::outdir::write_json;
use anyhow::{bail, ensure};
use faer::Mat;
use nmfnet_baselines::nmf::{nmf_start, NmfInit, NmfMethod, NmfSteps};
use nmfnet_baselines::subspace::group_epsilon;
use nmfnet_train::progress::work_bar;
use nmfnet_train::runtime::backend::BackendKind;
use nmfnet_train::tasks::gan_eval::fixed_groups;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One front run. Written to `job.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanFrontJob {
    /// mnist, fashion or face (Olivetti).
    pub dataset: String,
    pub data_dir: Option<PathBuf>,
    /// Basis images k.
    pub k: usize,
    /// The first N fixed test groups (seed 0, those of `gan eval` and `gan baselines`); 0 = all.
    pub groups: usize,
    pub methods: Vec<NmfMethod>,
    pub inits: Vec<NmfInit>,
    /// Iteration counts of the solvers' points (increasing).
    pub iterations: Vec<usize>,
    /// Groups per call of the batched points (both sides).
    pub batch: usize,
    /// Seed of the random start.
    pub seed: u64,
    /// Passes over the groups per solver setting; the fastest counts (as for the generators).
    pub timed_passes: usize,
    /// Folders of `gan train` runs to place on the front.
    pub models: Vec<PathBuf>,
    /// Refinement rounds of each generator's points (those of [`GanEvalJob::refine`]).
    pub refine: Vec<usize>,
    #[serde(default)]
    pub run: RunOptions,
}

/// The default iteration counts.
pub const ITERATIONS: [usize; 9] = [1, 2, 3, 5, 10, 20, 50, 100, 200];

impl GanFrontJob {
    /// Every method from every start on the first 100 test groups of `dataset`, nothing
    /// written.
    pub fn new(dataset: &str) -> Self {
        Self {
            dataset: dataset.to_string(),
            data_dir: None,
            k: 10,
            groups: 100,
            methods: vec![NmfMethod::Hals, NmfMethod::Mu, NmfMethod::Anls],
            inits: vec![NmfInit::Random, NmfInit::Nndsvd, NmfInit::Nndsvda],
            iterations: ITERATIONS.to_vec(),
            batch: 25,
            seed: 0,
            timed_passes: 3,
            models: Vec::new(),
            refine: vec![0, 1, 2, 5, 10],
            run: RunOptions::default(),
        }
    }
}

/// One point of a solver's front.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct FrontPoint {
    pub iterations: usize,
    /// Mean ε over the groups.
    pub error: f64,
    pub seconds_per_group: f64,
}

/// How the groups are handed to a solver or a generator.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FrontMode {
    /// One group per call.
    Single,
    /// `batch` groups per call.
    Batched,
}

impl FrontMode {
    pub const ALL: [FrontMode; 2] = [FrontMode::Single, FrontMode::Batched];
    pub fn name(self) -> &'static str {
        match self {
            FrontMode::Single => "single",
            FrontMode::Batched => "batched",
        }
    }
}

/// How a solver setting computes its iterations.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SolverForm {
    /// The classical solver (`nmfnet_baselines::nmf`, f64, faer).
    F64,
    /// HALS as the generator's refinement rounds run it (`ganunet_burn::nnls::hals_alternate_with`
    /// with host sweeps: f32, the products on the CPU backend): one iteration is one round.
    RefineF32,
}

/// How a report names a solver: "HALS", "MU", "ANLS", or "HALS f32" for the refinement's form.
pub fn solver_label(method: NmfMethod, form: SolverForm) -> String {
    match form {
        SolverForm::F64 => method.name().to_uppercase(),
        SolverForm::RefineF32 => format!("{} f32", method.name().to_uppercase()),
    }
}

/// A solver setting's front.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct SolverFront {
    pub method: NmfMethod,
    pub init: NmfInit,
    /// Required in a summary, so that fronts cached before the refinement's form was measured
    /// are run again rather than read back without it.
    pub form: SolverForm,
    pub mode: FrontMode,
    pub points: Vec<FrontPoint>,
}

/// A generator setting: ε on the test groups and its time per group, both ways.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct GeneratorPoint {
    pub model: PathBuf,
    pub checkpoint_steps: usize,
    pub refine: usize,
    pub error: f64,
    pub seconds_per_group: f64,
    pub seconds_per_group_batched: f64,
}

/// The fastest solver setting that reaches a target ε.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Reached {
    pub method: NmfMethod,
    pub init: NmfInit,
    pub form: SolverForm,
    pub iterations: usize,
    pub error: f64,
    pub seconds_per_group: f64,
}

/// A generator setting against the solvers at its ε.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct EqualError {
    pub model: PathBuf,
    pub refine: usize,
    pub mode: FrontMode,
    pub generator_error: f64,
    pub generator_seconds_per_group: f64,
    /// None: no solver setting reached the generator's ε within the largest iteration count.
    pub solver: Option<Reached>,
    /// Solver time / generator time (> 1: the generator is faster at equal ε).
    pub speedup: Option<f64>,
}

impl EqualError {
    /// One line: the generator setting, its ε and time, and the solver that reaches that ε.
    pub fn describe(&self) -> String {
        let solver = match (&self.solver, self.speedup) {
            (Some(r), Some(x)) => format!(
                "{} from {} reaches it after {} iterations in {:.3} ms (ε {:.3}): speed-up {x:.2}×",
                solver_label(r.method, r.form),
                r.init.name(),
                r.iterations,
                1e3 * r.seconds_per_group,
                r.error
            ),
            _ => "no solver setting reaches it".into(),
        };
        format!(
            "{} refine {} {}: ε {:.3} in {:.3} ms; {solver}",
            self.model.display(),
            self.refine,
            self.mode.name(),
            self.generator_error,
            1e3 * self.generator_seconds_per_group
        )
    }
}

/// What `nmfnet gan front` reports.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct GanFrontSummary {
    pub dataset: String,
    pub k: usize,
    pub groups: usize,
    pub batch: usize,
    /// Threads of the solvers' pool.
    pub threads: usize,
    /// The iteration counts a report shows (every front has a point at each count from 0 to
    /// the last of these).
    pub iterations: Vec<usize>,
    pub solvers: Vec<SolverFront>,
    pub generators: Vec<GeneratorPoint>,
    pub equal_error: Vec<EqualError>,
}

/// The fastest solver point in `mode` with ε at most `target`.
pub fn fastest_reaching(solvers: &[SolverFront], mode: FrontMode, target: f64) -> Option<Reached> {
    solvers
        .iter()
        .filter(|s| s.mode == mode)
        .filter_map(|s| {
            s.points
                .iter()
                .find(|p| p.error <= target)
                .map(|p| Reached {
                    method: s.method,
                    init: s.init,
                    form: s.form,
                    iterations: p.iterations,
                    error: p.error,
                    seconds_per_group: p.seconds_per_group,
                })
        })
        .min_by(|a, b| a.seconds_per_group.total_cmp(&b.seconds_per_group))
}

/// Every generator setting against the solvers, both modes.
pub fn equal_error(solvers: &[SolverFront], generators: &[GeneratorPoint]) -> Vec<EqualError> {
    let mut out = Vec::new();
    for g in generators {
        for mode in FrontMode::ALL {
            let secs = match mode {
                FrontMode::Single => g.seconds_per_group,
                FrontMode::Batched => g.seconds_per_group_batched,
            };
            let solver = fastest_reaching(solvers, mode, g.error);
            out.push(EqualError {
                model: g.model.clone(),
                refine: g.refine,
                mode,
                generator_error: g.error,
                generator_seconds_per_group: secs,
                speedup: solver.as_ref().map(|s| s.seconds_per_group / secs),
                solver,
            });
        }
    }
    out
}

/// One solver setting's schedule: the groups, the start, the iterations and how it is timed.
#[derive(Clone, Copy, Debug)]
pub struct FrontRun<'a> {
    pub ys: &'a [Mat<f64>],
    pub init: NmfInit,
    pub k: usize,
    /// Seed of the random start.
    pub seed: u64,
    /// Points at every iteration count 0 (the start alone) … `max_iter`.
    pub max_iter: usize,
    /// Groups per call (lockstep over the threads when above 1).
    pub per_call: usize,
    /// Passes over the groups; each count's time is the fastest pass's.
    pub passes: usize,
}

impl FrontRun<'_> {
    /// The passes of the schedule: `run_chunk(chunk, seconds, errors)` factorises `per_call`
    /// groups, adding the cumulated seconds of its start and of each iteration count 0 …
    /// `max_iter` to `seconds[it]` and the groups' ε after `it` iterations to `errors[it]`.
    /// Mean ε and seconds per group at every count (the errors are the same in every pass).
    fn timed(
        &self,
        mut run_chunk: impl FnMut(&[Mat<f64>], &mut [f64], &mut [f64]) -> anyhow::Result<()>,
    ) -> anyhow::Result<Vec<FrontPoint>> {
        let n = self.ys.len() as f64;
        let points = self.max_iter + 1;
        let mut best = vec![f64::INFINITY; points];
        let mut errors = vec![0.0; points];
        for _ in 0..self.passes.max(1) {
            let mut seconds = vec![0.0; points];
            errors.iter_mut().for_each(|e| *e = 0.0);
            for chunk in self.ys.chunks(self.per_call.max(1)) {
                run_chunk(chunk, &mut seconds, &mut errors)?;
            }
            for (b, s) in best.iter_mut().zip(&seconds) {
                *b = b.min(*s);
            }
        }
        Ok(best
            .iter()
            .zip(&errors)
            .enumerate()
            .map(|(iterations, (&secs, &err))| FrontPoint {
                iterations,
                error: err / n,
                seconds_per_group: secs / n,
            })
            .collect())
    }
}

/// One solver setting over `groups`, `per_call` groups at a time (lockstep over the threads
/// when above 1): mean ε and seconds per group after every iteration count 0 (the start
/// alone), 1, …, `max_iter`, each point's time the fastest of `passes` passes.
pub fn solver_front(run: FrontRun<'_>, method: NmfMethod) -> anyhow::Result<Vec<FrontPoint>> {
    let FrontRun {
        init,
        k,
        seed,
        max_iter,
        per_call,
        ..
    } = run;
    run.timed(|chunk, seconds, errors| {
        let started = Instant::now();
        let mut runs = if per_call > 1 {
            chunk
                .par_iter()
                .map(|y| {
                    let (h, w) = nmf_start(y.as_ref(), k, init, seed)?;
                    NmfSteps::new(method, y.as_ref(), h, w)
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            let y = &chunk[0];
            let (h, w) = nmf_start(y.as_ref(), k, init, seed)?;
            vec![NmfSteps::new(method, y.as_ref(), h, w)?]
        };
        let mut clock = started.elapsed().as_secs_f64();
        for it in 0..=max_iter {
            if it > 0 {
                let started = Instant::now();
                if per_call > 1 {
                    runs.par_iter_mut().try_for_each(|r| r.step())?;
                } else {
                    runs[0].step()?;
                }
                clock += started.elapsed().as_secs_f64();
            }
            seconds[it] += clock;
            // Not timed: ε of each group after `it` iterations.
            for (r, y) in runs.iter().zip(chunk) {
                errors[it] += group_epsilon(y.as_ref(), r.h(), r.w());
            }
        }
        Ok(())
    })
}

/// [`solver_front`] for HALS in the generator's refinement form ([`SolverForm::RefineF32`]):
/// each call uploads its groups (and their starts, computed as the classical solvers' are) as
/// one batch and runs rounds of `hals_alternate_with(…, Sweeps::Host)` on them; the upload counts
/// as part of the start.
struct RefineFrontJob<'a>(FrontRun<'a>);

impl nmfnet_train::runtime::backend::BackendJob for RefineFrontJob<'_> {
    type Output = anyhow::Result<Vec<FrontPoint>>;
    fn run<B: symnmf_burn::SymNmfAutodiffBackend>(
        self,
        device: B::Device,
        _: &'static str,
    ) -> Self::Output {
        use burn::tensor::backend::Backend;
        use burn::tensor::{Tensor, TensorData};
        use ganunet_burn::nnls::{hals_alternate_with, Sweeps};
        type I<B> = <B as burn::tensor::backend::AutodiffBackend>::InnerBackend;
        // Row-major f32 copy of a faer matrix (column by column, so that each read is
        // contiguous), and back.
        fn rows(m: &Mat<f64>) -> Vec<f32> {
            let (r, c) = (m.nrows(), m.ncols());
            let mut out = vec![0f32; r * c];
            for j in 0..c {
                for (i, &x) in m.col_as_slice(j).iter().enumerate() {
                    out[i * c + j] = x as f32;
                }
            }
            out
        }
        fn back(v: &[f32], r: usize, c: usize) -> Mat<f64> {
            Mat::from_fn(r, c, |i, j| v[i * c + j] as f64)
        }
        fn upload<C: Backend>(v: Vec<f32>, shape: [usize; 3], device: &C::Device) -> Tensor<C, 3> {
            Tensor::from_data(TensorData::new(v, shape).convert::<C::FloatElem>(), device)
        }
        let sync = |d: &B::Device| I::<B>::sync(d).map_err(|e| anyhow::anyhow!("{e:?}"));
        let host = |t: Tensor<I<B>, 3>| {
            t.into_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("{e:?}"))
        };
        let run = self.0;
        let FrontRun {
            init,
            k,
            seed,
            max_iter,
            ..
        } = run;
        run.timed(|chunk, seconds, errors| {
            let (p, m, b) = (chunk[0].nrows(), chunk[0].ncols(), chunk.len());
            let started = Instant::now();
            let starts = chunk
                .par_iter()
                .map(|y| nmf_start(y.as_ref(), k, init, seed))
                .collect::<Result<Vec<_>, _>>()?;
            let y = upload::<I<B>>(chunk.iter().flat_map(rows).collect(), [b, p, m], &device);
            let mut h = upload::<I<B>>(
                starts.iter().flat_map(|s| rows(&s.0)).collect(),
                [b, p, k],
                &device,
            );
            let mut w = upload::<I<B>>(
                starts.iter().flat_map(|s| rows(&s.1)).collect(),
                [b, k, m],
                &device,
            );
            sync(&device)?;
            let mut clock = started.elapsed().as_secs_f64();
            for it in 0..=max_iter {
                if it > 0 {
                    let started = Instant::now();
                    (h, w) = hals_alternate_with(h, y.clone(), w, 1, Sweeps::Host);
                    sync(&device)?;
                    clock += started.elapsed().as_secs_f64();
                }
                seconds[it] += clock;
                // Not timed: ε of each group after `it` rounds.
                let (hv, wv) = (host(h.clone())?, host(w.clone())?);
                for (g, y) in chunk.iter().enumerate() {
                    let hg = back(&hv[g * p * k..(g + 1) * p * k], p, k);
                    let wg = back(&wv[g * k * m..(g + 1) * k * m], k, m);
                    errors[it] += group_epsilon(y.as_ref(), hg.as_ref(), wg.as_ref());
                }
            }
            Ok(())
        })
    }
}

/// [`solver_front`] for HALS in the generator's refinement form ([`SolverForm::RefineF32`]), on
/// the CPU backend: one round per iteration, from the same starts.
pub fn refine_front(run: FrontRun<'_>) -> anyhow::Result<Vec<FrontPoint>> {
    nmfnet_train::runtime::backend::dispatch(BackendKind::Cpu, RefineFrontJob(run))?
}

fn check(req: &GanFrontJob) -> anyhow::Result<()> {
    super::dataset_id(&req.dataset)?;
    ensure!(!req.methods.is_empty(), "`methods` is empty");
    ensure!(!req.inits.is_empty(), "`inits` is empty");
    ensure!(
        !req.iterations.is_empty() && req.iterations[0] >= 1,
        "`iterations` must list counts of at least 1"
    );
    if req.iterations.windows(2).any(|w| w[0] >= w[1]) {
        bail!("`iterations` must increase, got {:?}", req.iterations);
    }
    if let Some(&last) = req.iterations.last() {
        ensure!(last <= 100_000, "`iterations` at most 100000, got {last}");
    }
    ensure!(
        (1..=1024).contains(&req.batch),
        "`batch` must be between 1 and 1024 groups per call, got {}",
        req.batch
    );
    ensure!(
        !req.refine.is_empty(),
        "`refine` is empty (0 is the forward pass alone)"
    );
    for &r in &req.refine {
        super::factorize::check_refine(r)?;
    }
    ensure!(
        (1..=100).contains(&req.timed_passes),
        "`timed_passes` must be between 1 and 100, got {}",
        req.timed_passes
    );
    ganunet_burn::GeneratorConfig {
        k: req.k,
        ..Default::default()
    }
    .validate()?;
    Ok(())
}

/// The fronts of `req` (solvers, then every model at every refinement count).
pub fn gan_front(req: &GanFrontJob) -> anyhow::Result<GanFrontSummary> {
    check(req)?;
    let group = ganunet_burn::GeneratorConfig::default().group;
    for model in &req.models {
        let cfg = super::checkpoint_training_config(model)?.generator;
        ensure!(
            cfg.k == req.k && cfg.group == group,
            "{} factorises groups of {} images at k = {}; the front compares groups of {group} at k = {}",
            model.display(),
            cfg.group,
            cfg.k,
            req.k
        );
    }
    let (_, test) = load_splits(&req.dataset, req.data_dir.as_deref())?;
    ensure!(
        !req.run.resume(),
        "`resume`: a front is not checkpointed; run it again"
    );
    let mut inputs: Vec<&Path> = req.data_dir.iter().map(|d| d.as_path()).collect();
    inputs.extend(req.models.iter().map(|m| m.as_path()));
    let mut out = req.run.open("gan-front", &inputs)?;
    let mut groups = fixed_groups(&test)?;
    if req.groups > 0 {
        groups.truncate(req.groups);
    }
    let ys: Vec<Mat<f64>> = groups.iter().map(|g| group_matrix(&test, g)).collect();
    let per_start = if req.methods.contains(&NmfMethod::Hals) {
        req.methods.len() + 1
    } else {
        req.methods.len()
    };
    let settings = per_start * req.inits.len() * FrontMode::ALL.len();
    let pb = work_bar(
        settings + req.models.len() * req.refine.len(),
        format!("{} fronts", req.dataset),
        !req.run.progress,
    );
    let mut solvers = Vec::with_capacity(settings);
    for mode in FrontMode::ALL {
        let per_call = match mode {
            FrontMode::Single => 1,
            FrontMode::Batched => req.batch,
        };
        // Every classical setting, then HALS in the refinement's form when HALS is asked for.
        let forms = req.methods.iter().map(|&m| (m, SolverForm::F64)).chain(
            req.methods
                .contains(&NmfMethod::Hals)
                .then_some((NmfMethod::Hals, SolverForm::RefineF32)),
        );
        for (method, form) in forms {
            for &init in &req.inits {
                let run = FrontRun {
                    ys: &ys,
                    init,
                    k: req.k,
                    seed: req.seed,
                    max_iter: *req.iterations.last().expect("checked"),
                    per_call,
                    passes: req.timed_passes,
                };
                let points = match form {
                    SolverForm::F64 => solver_front(run, method)?,
                    SolverForm::RefineF32 => refine_front(run)?,
                };
                solvers.push(SolverFront {
                    method,
                    init,
                    form,
                    mode,
                    points,
                });
                pb.inc(1);
            }
        }
    }
    let mut generators = Vec::new();
    for model in &req.models {
        for &refine in &req.refine {
            let mut e = GanEvalJob::new(model, &req.dataset);
            e.data_dir = req.data_dir.clone();
            e.groups = req.groups;
            e.batch = req.batch;
            e.refine = refine;
            let s = gan_eval(&e)?;
            generators.push(GeneratorPoint {
                model: model.clone(),
                checkpoint_steps: s.checkpoint_steps,
                refine,
                error: s.test_error,
                seconds_per_group: s.seconds_per_group,
                seconds_per_group_batched: s.seconds_per_group_batched,
            });
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    let summary = GanFrontSummary {
        dataset: req.dataset.clone(),
        k: req.k,
        groups: ys.len(),
        batch: req.batch.min(ys.len()),
        threads: rayon::current_num_threads(),
        iterations: req.iterations.clone(),
        equal_error: equal_error(&solvers, &generators),
        solvers,
        generators,
    };
    if let Some(mut out) = out.take() {
        crate::job::write_job(&mut out, req)?;
        write_json(&out.file("summary.json")?, &summary)?;
        out.commit()?;
    }
    Ok(summary)
}
