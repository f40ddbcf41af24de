//! `cluster`: symmetric NMF of a similarity graph (`X ≈ UUᵀ, U ≥ 0`; the label of a point is
//! the argmax of its row of U), by SymNMF-Net or a classical solver.
//!
//! [`cluster`] takes a [`ClusterJob`] (plain data: what to cluster, how, where to write), reads
//! and checks every input before anything is written, runs the solver from `restarts` seeds
//! and returns a [`ClusterReport`]: the summary printed and saved as `summary.json`, and the
//! factor and labels themselves. A run that writes leaves its job, defaults resolved, in
//! `job.json` beside the summary.

mod classical;
pub(crate) mod fingerprint;
mod input;
mod job;
mod memory;
mod net;
mod report;

pub use input::feature_graph;
pub use job::{
    restart_seed, ClassicalSolver, ClusterInput, ClusterJob, GraphKind, GraphParams, Method,
    NetSolver, Preset, Protocol, Shared, Solver, DEFAULT_CHECKPOINT_EVERY, DEFAULT_RESTARTS,
    KNN_SELF_DEFAULT_K, MAX_RESTARTS,
};
pub use net::{net_config, NetConfigFile};
pub use nmfnet_datasets::neighbours::{HnswParams, KnnSearch};
pub use report::{ClusterReport, ClusterSummary, MethodDetails, RestartRecord};
pub use symnmf_burn::{Reduction, SymNmfTrainingConfig};

use anyhow::bail;
use input::Problem;
use nmfnet_baselines::{IterRecord, SymMethod};
use nmfnet_datasets::eval::metrics::class_count;
use nmfnet_train::checkpoint::checkpoint_path;
use nmfnet_train::runtime::rundir::RunDir;
use nmfnet_train::trainer;

/// Runs `job`: `restarts` seeded starts (seeds `seed`, `seed + 1`, …), keeping the one with the
/// lowest relative error. Every input is read and checked before anything is written.
pub fn cluster(job: &ClusterJob) -> anyhow::Result<ClusterReport> {
    let started = std::time::Instant::now();
    check(job)?;
    let loading = std::time::Instant::now();
    let mut problem = input::load_problem(job)?;
    let input_seconds = loading.elapsed().as_secs_f64();
    let rank = resolve_rank(job.rank, &problem)?;
    memory::check(job, &problem, rank)?;
    let resolved = resolve(job, rank);
    let (best, out): (Fitted, Option<RunDir>) = match &resolved.solver {
        Solver::Classical(c) => {
            let out = job.open_out()?;
            let fitted = starts(job, |i, label| {
                let (report, history) =
                    classical::fit(&resolved, c, &problem, restart_seed(job.seed, i), label)?;
                Ok((report, Some(history)))
            })?;
            (finish(fitted, started, input_seconds), out)
        }
        Solver::Net(net) => {
            // The binding keeps the graph as it was given; the net trains on X/s.
            let given = job.keep_graph.then(|| problem.x.clone());
            let x_scale = net::normalise(&mut problem.x)?;
            let cfg = net::config_for(&net.config, rank, job.seed, problem.x.n(), x_scale)?;
            let print = match &job.run.out {
                Some(dir) => Some((dir, fingerprint::Fingerprint::of(job, problem.x.n())?)),
                None => None,
            };
            // A resume's job and input are checked before the folder is taken, so that a
            // refused one leaves a finished run finished.
            if let (Some((dir, print)), true) = (&print, job.run.resume()) {
                fingerprint::check_resume(dir, &resolved, print)?;
            }
            let mut out = job.open_out()?;
            if let (Some(run), true) = (&out, job.run.resume()) {
                // Folders from before job.json was written: their starts are counted instead.
                check_resumable_starts(run.path(), job.restarts, job.seed)?;
            }
            if let (Some(run), Some((_, print))) = (out.as_mut(), &print) {
                // Before any start is trained: a run killed mid-way can then be checked when
                // it is resumed.
                fingerprint::write(run, &resolved, print)?;
            }
            let fitted = starts(job, |i, label| {
                let mut cfg = cfg.clone();
                cfg.seed = restart_seed(job.seed, i);
                let (out_dir, resume) = start_dir(job, out.as_mut(), cfg.seed)?;
                let fitted = net::fit(
                    &resolved, net, cfg, &problem, x_scale, out_dir, resume, label,
                );
                match (fitted, &out) {
                    (Err(e), Some(dir)) if dir.replacing() => Err(e.context(format!(
                        "the replacement run stopped; {} still holds the earlier run",
                        dir.target().display()
                    ))),
                    (r, _) => Ok((r?, None)),
                }
            })?;
            if let Some(x) = given {
                problem.x = x;
            }
            (finish(fitted, started, input_seconds), out)
        }
    };
    let (mut report, history) = best;
    useful(&report.summary)?;
    if let Some(run) = out {
        report.write(run, history.as_deref(), &resolved)?;
    }
    if job.keep_graph {
        report.graph = Some(problem.x);
    }
    Ok(report)
}

/// The job's settings that hold whatever the input: bounds, and the ones that belong to one
/// kind of solver or input only.
fn check(job: &ClusterJob) -> anyhow::Result<()> {
    job.run.check()?;
    if !(1..=MAX_RESTARTS).contains(&job.restarts) {
        bail!(
            "`restarts` must be between 1 and {MAX_RESTARTS}, got {}",
            job.restarts
        );
    }
    if job.graph.is_some() && !job.builds_graph() {
        bail!("`graph` and `knn` apply to feature vectors and data sets only: the other inputs are graphs already");
    }
    if let Solver::Classical(c) = &job.solver {
        if c.rho.is_some() && c.method != SymMethod::Admm {
            bail!("`rho` applies to the admm method only");
        }
        if job.run.resume() {
            bail!("`resume` applies to SymNMF-Net only: a classical run is not checkpointed");
        }
    }
    Ok(())
}

/// Refuses a result no one can use, before anything is written: a factor that is zero (every
/// point in one cluster by default), or one that fits X worse than U = 0 does.
fn useful(s: &ClusterSummary) -> anyhow::Result<()> {
    let seeds = if s.restarts.len() > 1 {
        format!("the best of the {} starts", s.restarts.len())
    } else {
        format!("the start from seed {}", s.seed)
    };
    if s.zero_rows == s.n {
        bail!(
            "no usable factor: {seeds} ended at U = 0 (relative error {:.4}), so every point would fall in one cluster; nothing was written. The solver diverged or collapsed: try another `method` or `protocol`, or a smaller `lr`, `beta` or `gamma`",
            s.rel_error
        );
    }
    if s.rel_error.is_nan() || s.rel_error > 1.0 {
        bail!(
            "no usable factor: {seeds} fits X worse than U = 0 does (relative error {:.4e} > 1); nothing was written. The solver diverged: try another `method` or `protocol`, or a smaller `lr`, `beta` or `gamma`",
            s.rel_error
        );
    }
    Ok(())
}

/// The rank asked for, or the number of classes of the labels.
fn resolve_rank(rank: Option<usize>, problem: &Problem) -> anyhow::Result<usize> {
    match (rank, problem.labels.as_deref()) {
        (Some(r), _) => Ok(r),
        (None, Some(labels)) => Ok(class_count(labels)),
        (None, None) => bail!("`rank` is required when no labels are given"),
    }
}

/// The job as it runs, every default resolved: what `job.json` holds.
fn resolve(job: &ClusterJob, rank: usize) -> ClusterJob {
    let mut job = job.clone();
    job.rank = Some(rank);
    if job.builds_graph() {
        job.graph = Some(job.graph.unwrap_or_default());
    }
    match &mut job.solver {
        Solver::Net(net) => {
            net.config.model.rank = rank;
            net.config.seed = job.seed;
            job.run.checkpoint_every =
                Some(job.run.checkpoint_every.unwrap_or(DEFAULT_CHECKPOINT_EVERY));
        }
        Solver::Classical(c) => *c = classical::resolve(c),
    }
    job
}

type Fitted = (ClusterReport, Option<Vec<IterRecord>>);

/// The one restart loop: `fit(i, label)` for every start i, in seed order.
fn starts(
    job: &ClusterJob,
    mut fit: impl FnMut(usize, &str) -> anyhow::Result<Fitted>,
) -> anyhow::Result<Vec<Fitted>> {
    let n = job.restarts;
    (0..n)
        .map(|i| {
            let label = if n > 1 {
                format!(" (start {}/{n})", i + 1)
            } else {
                String::new()
            };
            fit(i, &label)
        })
        .collect()
}

/// The start kept, with every start listed and the time of the whole job.
fn finish(fitted: Vec<Fitted>, started: std::time::Instant, input_seconds: f64) -> Fitted {
    let mut best = keep_best(fitted, |r| &mut r.0.summary, started);
    best.0.summary.input_seconds = Some(input_seconds);
    best
}

/// Where one SymNMF-Net start keeps the loop's files, and whether it continues them. One start:
/// the output folder itself, resumed as asked. Several: `restarts/seed-S/` each; a resumed job
/// continues the starts that have a checkpoint (a finished one is read back) and begins the
/// others.
fn start_dir(
    job: &ClusterJob,
    out: Option<&mut RunDir>,
    seed: u64,
) -> anyhow::Result<(Option<std::path::PathBuf>, bool)> {
    Ok(match out {
        None => (None, job.run.resume()),
        Some(run) if job.restarts == 1 => {
            run.claim(&trainer::FILES)?;
            (Some(run.path().to_path_buf()), job.run.resume())
        }
        Some(run) => {
            let dir = run.file(&format!("restarts/seed-{seed}"))?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
            let resume = job.run.resume() && checkpoint_path(&dir).exists();
            (Some(dir), resume)
        }
    })
}

/// A resumed SymNMF-Net job must name the starts its folder holds: one start keeps the loop's
/// files at the top, several keep them in `restarts/seed-S/`.
fn check_resumable_starts(dir: &std::path::Path, restarts: usize, seed: u64) -> anyhow::Result<()> {
    let asked: Vec<u64> = (0..restarts).map(|i| restart_seed(seed, i)).collect();
    let mut held: Vec<u64> = match std::fs::read_dir(dir.join("restarts")) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_prefix("seed-")?.parse().ok())
            .collect(),
        Err(_) => Vec::new(),
    };
    held.sort_unstable();
    let list = |v: &[u64]| {
        v.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let single = checkpoint_path(dir).exists();
    if restarts > 1 && held.is_empty() && single {
        bail!(
            "`resume`: {} holds one start (seed {}'s checkpoint at the top), not {restarts}: resume it with `restarts` 1 (another configuration otherwise)",
            dir.display(),
            seed
        );
    }
    if restarts == 1 && !held.is_empty() {
        bail!(
            "`resume`: {} holds {} starts (seeds {}), not one: resume it with `restarts` {} and `seed` {} (another configuration otherwise)",
            dir.display(),
            held.len(),
            list(&held),
            held.len(),
            held[0]
        );
    }
    if let Some(s) = held.iter().find(|s| !asked.contains(s)) {
        bail!(
            "`resume`: {} holds the start of seed {s}, which seeds {} do not include: another configuration (`overwrite` starts over)",
            dir.display(),
            list(&asked)
        );
    }
    if restarts > 1
        && !asked
            .iter()
            .any(|&s| checkpoint_path(&dir.join(format!("restarts/seed-{s}"))).exists())
    {
        bail!(
            "{} holds no checkpoint of any of its {restarts} starts: nothing to continue (`overwrite` starts over)",
            dir.display()
        );
    }
    Ok(())
}

/// The run with the lowest relative error (the earliest seed on a tie), with every run listed
/// in its summary and the wall time of all of them.
fn keep_best<T>(
    mut runs: Vec<T>,
    summary: impl Fn(&mut T) -> &mut ClusterSummary,
    started: std::time::Instant,
) -> T {
    let records: Vec<RestartRecord> = runs
        .iter_mut()
        .map(|r| {
            let s = summary(r);
            RestartRecord {
                seed: s.seed,
                rel_error: s.rel_error,
                acc: s.acc,
                seconds: s.seconds,
            }
        })
        .collect();
    let best = (0..runs.len())
        .min_by(|&a, &b| {
            records[a]
                .rel_error
                .total_cmp(&records[b].rel_error)
                .then(a.cmp(&b))
        })
        .expect("at least one start");
    let mut best = runs.swap_remove(best);
    let s = summary(&mut best);
    s.restarts = records;
    s.seconds = started.elapsed().as_secs_f64();
    best
}
