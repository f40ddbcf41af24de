//! `cluster`: symmetric NMF of a similarity graph (`X ≈ UUᵀ, U ≥ 0`; the label of a point is
//! the argmax of its row of U), by SymNMF-Net or a classical solver.
//!
//! [`cluster`] takes a [`ClusterRequest`] (plain data: what to cluster, how, where to write)
//! and a backend, reads and checks every input before anything is written, runs the method
//! and returns a [`ClusterReport`]: the summary printed and saved as `summary.json`, and the
//! factor and labels themselves.

mod classical;
mod input;
mod net;
mod report;
mod request;

pub use input::feature_graph;
pub use nmfnet_datasets::neighbours::{HnswParams, KnnSearch};
pub use report::{ClusterReport, ClusterSummary, MethodDetails, RestartRecord};
pub use request::{
    ClusterInput, ClusterRequest, GraphKind, Method, Preset, Protocol, Shared, KNN_SELF_DEFAULT_K,
    MAX_RESTARTS,
};
pub use symnmf_burn::Reduction;

use nmfnet_baselines::SymMethod;
use nmfnet_train::checkpoint::checkpoint_path;
use nmfnet_train::runtime::backend::BackendKind;
use nmfnet_train::runtime::rundir::RunDir;
use nmfnet_train::trainer;

/// Seeded starts per request when none is asked for (see the README's "Restarts").
pub const DEFAULT_RESTARTS: usize = 3;

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "ies"
    } else {
        "y"
    }
}

/// Runs `req` on `backend` (SymNMF-Net; the classical solvers run on the CPU in f64 whatever
/// the backend): `restarts` seeded starts (seeds `seed`, `seed + 1`, …), keeping the one with
/// the lowest relative error. Every input is read and checked before anything is written.
pub fn cluster(req: &ClusterRequest, backend: BackendKind) -> anyhow::Result<ClusterReport> {
    let started = std::time::Instant::now();
    let restarts = req.restarts.unwrap_or(DEFAULT_RESTARTS);
    if !(1..=MAX_RESTARTS).contains(&restarts) {
        anyhow::bail!("--restarts must be between 1 and {MAX_RESTARTS}, got {restarts}");
    }
    let label = |i: usize| {
        if restarts > 1 {
            format!(" (start {}/{restarts})", i + 1)
        } else {
            String::new()
        }
    };
    match req.method.solver() {
        Some(m) => {
            let wrong = req.net_only();
            if !wrong.is_empty() {
                anyhow::bail!(
                    "{} appl{} to --method symnmf-net only, not {}",
                    wrong.join(", "),
                    plural(wrong.len()),
                    m
                );
            }
            if backend != BackendKind::Cpu {
                anyhow::bail!(
                    "--backend {} applies to --method symnmf-net only: the classical solvers run on the CPU in f64",
                    backend.name()
                );
            }
            if req.rho.is_some() && m != SymMethod::Admm {
                anyhow::bail!("--rho applies to --method admm only");
            }
            let loading = std::time::Instant::now();
            let problem = input::load_problem(req)?;
            let input_seconds = loading.elapsed().as_secs_f64();
            let out = req.open_out()?;
            let base = req.seed.unwrap_or(0);
            let mut runs = Vec::with_capacity(restarts);
            for i in 0..restarts {
                runs.push(classical::fit(
                    req,
                    m,
                    &problem,
                    base + i as u64,
                    &label(i),
                )?);
            }
            let (mut report, history) = keep_best(runs, |(r, _)| &mut r.summary, started);
            report.summary.input_seconds = Some(input_seconds);
            if let Some(run) = out {
                report.write(run, Some(&history))?;
            }
            if req.keep_graph {
                report.graph = Some(problem.x);
            }
            Ok(report)
        }
        None => {
            let wrong = req.classical_only();
            if !wrong.is_empty() {
                anyhow::bail!(
                    "{} appl{} to the classical methods only, not symnmf-net",
                    wrong.join(", "),
                    plural(wrong.len())
                );
            }
            let loading = std::time::Instant::now();
            let mut problem = input::load_problem(req)?;
            let input_seconds = loading.elapsed().as_secs_f64();
            let x_scale = net::normalise(&mut problem.x);
            let cfg = net::build_config(req, &problem)?;
            let mut out = req.open_out()?;
            if let (Some(run), true) = (&out, req.resume) {
                check_resumable_starts(run.path(), restarts, cfg.seed)?;
            }
            let mut runs = Vec::with_capacity(restarts);
            for i in 0..restarts {
                let mut cfg = cfg.clone();
                cfg.seed = cfg.seed.wrapping_add(i as u64);
                // One start: the loop's files in --out, `--resume` as asked. Several: each in
                // restarts/seed-S/; a resumed request continues the starts that have a
                // checkpoint (a finished one is read back) and begins the others.
                let (out_dir, resume) = match out.as_mut() {
                    None => (None, req.resume),
                    Some(run) if restarts == 1 => {
                        run.claim(&trainer::FILES)?;
                        (Some(run.path().to_path_buf()), req.resume)
                    }
                    Some(run) => {
                        let dir = restart_dir(run, cfg.seed)?;
                        let resume = req.resume && checkpoint_path(&dir).exists();
                        (Some(dir), resume)
                    }
                };
                let fitted = net::fit(
                    req,
                    cfg,
                    &problem,
                    backend,
                    x_scale,
                    out_dir,
                    resume,
                    &label(i),
                );
                let fitted = match (fitted, &out) {
                    (Err(e), Some(dir)) if dir.replacing() => {
                        return Err(e.context(format!(
                            "the replacement run stopped; {} still holds the earlier run",
                            dir.target().display()
                        )))
                    }
                    (r, _) => r?,
                };
                runs.push(fitted);
            }
            let mut report = keep_best(runs, |r| &mut r.summary, started);
            report.summary.input_seconds = Some(input_seconds);
            if let Some(run) = out {
                report.write(run, None)?;
            }
            if req.keep_graph {
                // The graph as given: undo the scaling SymNMF-Net trained on.
                let mut x = problem.x;
                if let Some(s) = x_scale {
                    for v in x.values_mut() {
                        *v = (*v as f64 * s) as f32;
                    }
                }
                report.graph = Some(x);
            }
            Ok(report)
        }
    }
}

/// A resumed SymNMF-Net request must name the starts its folder holds: one start keeps the
/// loop's files at the top, several keep them in `restarts/seed-S/`.
fn check_resumable_starts(dir: &std::path::Path, restarts: usize, seed: u64) -> anyhow::Result<()> {
    let asked: Vec<u64> = (0..restarts as u64).map(|i| seed.wrapping_add(i)).collect();
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
        anyhow::bail!(
            "--resume: {} holds one start (seed {}'s checkpoint at the top), not {restarts}: resume it with --restarts 1 (another configuration otherwise)",
            dir.display(),
            seed
        );
    }
    if restarts == 1 && !held.is_empty() {
        anyhow::bail!(
            "--resume: {} holds {} starts (seeds {}), not one: resume it with --restarts {} --seed {} (another configuration otherwise)",
            dir.display(),
            held.len(),
            list(&held),
            held.len(),
            held[0]
        );
    }
    if let Some(s) = held.iter().find(|s| !asked.contains(s)) {
        anyhow::bail!(
            "--resume: {} holds the start of seed {s}, which seeds {} do not include: another configuration (--overwrite starts over)",
            dir.display(),
            list(&asked)
        );
    }
    if restarts > 1
        && !asked
            .iter()
            .any(|&s| checkpoint_path(&dir.join(format!("restarts/seed-{s}"))).exists())
    {
        anyhow::bail!(
            "{} holds no checkpoint of any of its {restarts} starts: nothing to continue (--overwrite starts over)",
            dir.display()
        );
    }
    Ok(())
}

/// The folder of one start among several: `restarts/seed-S/` (the training loop's files).
fn restart_dir(run: &mut RunDir, seed: u64) -> anyhow::Result<std::path::PathBuf> {
    let dir = run.file(&format!("restarts/seed-{seed}"))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
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
