//! Consensus NMF (`nmfnet nmf consensus`, `nmfnet.ConsensusNMF`): the replicates of every
//! rank on one of two engines, then cNMF's consensus (`nmfnet_baselines::consensus`).
//!
//! * `host`: the f64 solvers of `baselines`, replicates on the thread pool (one replicate per
//!   task, each as it would run alone);
//! * `batched`: all replicates of a rank as one tensor program on a Burn backend
//!   (`symnmf_burn::nmf_batch`; f32; `--backend wgpu` runs it on a GPU), from the same random
//!   starts as the host engine; HALS or MU for the Frobenius norm, MU for Kullback–Leibler.
//!
//! `auto` takes the host engine on a CPU backend and the batched one on wgpu: measured on the
//! 2-core EPYC (results/bench/consensus.md), the host engine is the faster there.

use anyhow::{bail, Context};
use faer::Mat;
use nmfnet_baselines::consensus::{
    check_host_options, consensus, dense_products, grouped_applies, replicate_seed,
    replicate_spectra_counted, Consensus, ConsensusJob, HostOptions, Precision,
};
use nmfnet_baselines::data::NmfData;
use nmfnet_baselines::linalg::row_major;
use nmfnet_baselines::nmf::{NmfMethod, NmfStop};
use serde::{Deserialize, Serialize};

use crate::BackendKind;

/// Where the replicates run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Host on a CPU backend, batched on wgpu.
    #[default]
    Auto,
    Host,
    Batched,
}

/// A consensus run: the replicates' and the consensus' settings, and where to run them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusRun {
    pub job: ConsensusJob,
    pub engine: Engine,
    /// The backend of the batched engine.
    pub backend: BackendKind,
}

impl ConsensusRun {
    /// The engine `auto` stands for.
    pub fn engine(&self) -> Engine {
        match self.engine {
            Engine::Auto if self.backend.resolve() == BackendKind::Wgpu => Engine::Batched,
            Engine::Auto => Engine::Host,
            e => e,
        }
    }
}

mod batched;
pub use batched::batched_pooled;
use batched::{batch_method, batched_spectra, dense_f32};

/// Refuses a run that cannot work, before any replicate is fitted: no rank, a rank of 0, no
/// replicates, an iteration budget of 0, a tolerance that is not a finite number ≥ 0, consensus
/// settings without meaning, a stop rule the solver does not have, and for the batched engine
/// what it cannot run and a dense copy of Y (and its factors) beyond the memory available.
pub fn check_run(y: NmfData<'_>, run: &ConsensusRun) -> anyhow::Result<()> {
    let job = &run.job;
    if job.ks.is_empty() {
        bail!("`ks`: give at least one rank");
    }
    if let Some(&k) = job
        .ks
        .iter()
        .find(|&&k| k == 0 || k > y.nrows().max(y.ncols()))
    {
        bail!(
            "`ks`: rank {k} is not between 1 and max(m, n) = {}",
            y.nrows().max(y.ncols())
        );
    }
    if job.replicates == 0 {
        bail!("`replicates` must be at least 1");
    }
    if job.params.max_iter == 0 {
        bail!("`max_iter` must be at least 1");
    }
    if !(job.params.tol.is_finite() && job.params.tol >= 0.0) {
        bail!("`tol` must be a finite number ≥ 0, got {}", job.params.tol);
    }
    job.consensus.check()?;
    let stop = job.params.stop;
    match (job.method, stop) {
        (NmfMethod::Hals, NmfStop::Violation)
        | (NmfMethod::Mu | NmfMethod::Ccd, NmfStop::Divergence) => {}
        (_, NmfStop::ProjectedGradient) if run.engine() == Engine::Host => {}
        (m, s) => bail!(
            "the replicates' solver {m} does not stop by the {} rule",
            s.name()
        ),
    }
    // `precision` and `inner_sweeps` are the host engine's; the batched engine is f32
    // throughout and sweeps once per product.
    if run.engine() == Engine::Host {
        check_host_options(y, job.method, &job.params, job.host_options())?;
        // A sparse Y the grouped replicates multiply as a dense copy (f64, or f32).
        let grouped = grouped_applies(y, job.method, &job.params)
            || job.host_options() != HostOptions::default();
        if y.is_sparse() && grouped && dense_products(y) {
            let kmax = job.ks.iter().copied().max().unwrap_or(1);
            crate::nmf::check_memory(y.nrows(), y.ncols(), kmax * job.replicates, None)
                .context("the dense copy of the sparse Y the replicates multiply")?;
        }
    } else if job.inner_sweeps != 1 {
        bail!(
            "`inner_sweeps` is the host engine's: the batched engine sweeps once per product; use the host engine or 1"
        );
    }
    if run.engine() == Engine::Batched {
        batch_method(job)?;
        let kmax = job.ks.iter().copied().max().unwrap_or(1);
        // Y dense in f32 and R replicates' factors, a few copies each.
        crate::nmf::check_memory(y.nrows(), y.ncols(), kmax * job.replicates, None)?;
    }
    Ok(())
}

/// Runs `run` on Y: per k of the job's ks (in order), its consensus; `each` hears every k done.
pub fn run_consensus(
    y: NmfData<'_>,
    run: &ConsensusRun,
    mut each: impl FnMut(usize),
) -> anyhow::Result<Vec<Consensus>> {
    let job = &run.job;
    check_run(y, run)?;
    let engine = run.engine();
    let yf = (engine == Engine::Batched).then(|| dense_f32(y));
    let mut out = Vec::with_capacity(job.ks.len());
    for &k in &job.ks {
        if job.params.cancel.is_cancelled() {
            bail!("stopped before rank {k}");
        }
        let mut p = job.params.clone();
        p.rank = k;
        let seed = replicate_seed(job.seed, k);
        let (pooled, iterations) = match &yf {
            Some(yf) => batched_spectra(y, yf, run, k, seed)?,
            None => replicate_spectra_counted(
                y,
                job.method,
                &p,
                job.replicates,
                seed,
                job.host_options(),
                &|| {},
            )?,
        };
        let mut c = consensus(y, &pooled, k, &job.consensus)
            .with_context(|| format!("consensus at rank {k}"))?;
        c.iterations = iterations;
        out.push(c);
        each(k);
    }
    Ok(out)
}

/// `nmfnet nmf consensus`: a matrix file, the run, the rank shown in detail, the run options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusCommand {
    /// Y: `.npy`/CSV (dense) or a `scipy.sparse` `.npz` (kept sparse), cells × genes.
    pub matrix: std::path::PathBuf,
    pub consensus: ConsensusRun,
    /// The rank whose spectra, usages and clustergram are written (None: the most stable).
    pub k: Option<usize>,
    pub run: crate::job::RunOptions,
}

impl Default for ConsensusCommand {
    fn default() -> Self {
        Self {
            matrix: std::path::PathBuf::new(),
            consensus: ConsensusRun::default(),
            k: None,
            run: Default::default(),
        }
    }
}

/// What a consensus run reports (`summary.json`, `--json`).
#[derive(Clone, Debug, Serialize)]
pub struct ConsensusSummary {
    pub input: String,
    pub m: usize,
    pub n: usize,
    pub ks: Vec<usize>,
    pub replicates: usize,
    pub engine: Engine,
    pub backend: &'static str,
    /// The precision of the products with Y (f32 on the batched engine).
    pub precision: Precision,
    /// How the replicates multiplied Y, e.g. "dense f32", "sparse f64", "dense f64 (copy of the
    /// sparse Y, 60 % nonzero)".
    pub products: String,
    /// Per k: the silhouette of the clustering of every replicate spectrum.
    pub stability: Vec<f64>,
    /// Per k: ‖Y − usage·spectra‖²_F of that clustering's consensus.
    pub error: Vec<f64>,
    /// Per k: spectra the density filter kept, of replicates·k.
    pub kept: Vec<usize>,
    /// Per k: the median of the replicates' iterations (None for a rank read back on resume).
    pub iterations_median: Vec<Option<usize>>,
    /// Per k: replicates that ran the whole `max_iter` budget (iterations = max_iter: most
    /// stopped by it, not by their rule; None for a rank read back on resume).
    pub at_max_iter: Vec<Option<usize>>,
    /// The rank written in detail: the job's `k`, or the most stable.
    pub k: usize,
    /// Ranks whose replicates a resumed run read back instead of fitting.
    pub resumed_ks: Vec<usize>,
    pub seconds: f64,
}

pub struct ConsensusReport {
    pub summary: ConsensusSummary,
    pub results: Vec<Consensus>,
}

/// How the replicates of `run` multiply Y, in words.
pub fn products(y: NmfData<'_>, run: &ConsensusRun) -> String {
    let job = &run.job;
    if run.engine() == Engine::Batched {
        return "dense f32 (batched)".into();
    }
    let grouped =
        grouped_applies(y, job.method, &job.params) || job.host_options() != HostOptions::default();
    let precision = job.precision.name();
    match y {
        NmfData::Dense(_) | NmfData::Single(_) => format!("dense {precision}"),
        NmfData::Sparse(s) if grouped && dense_products(y) => format!(
            "dense {precision} (copy of the sparse Y, {:.0} % nonzero)",
            100.0 * s.nnz() as f64 / (s.nrows() as f64 * s.ncols() as f64)
        ),
        NmfData::Sparse(_) => "sparse f64".into(),
    }
}

/// The median of counts (the lower middle of an even number); None for none.
fn median_count(v: &[usize]) -> Option<usize> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

/// The input of a consensus run as its fingerprint records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct InputPrint {
    file: std::path::PathBuf,
    sha256: String,
    m: usize,
    n: usize,
}

const INPUT_FILE: &str = "input.json";

fn replicates_file(k: usize) -> String {
    format!("replicates_k{k}.npy")
}

/// Refuses to resume a run begun with another job or input, naming what changed.
fn check_resume(
    dir: &std::path::Path,
    cmd: &ConsensusCommand,
    print: &InputPrint,
) -> anyhow::Result<()> {
    let comparable = |c: &ConsensusCommand| {
        let mut c = c.clone();
        c.run = Default::default();
        serde_json::to_value(c).expect("a job serialises")
    };
    let text = std::fs::read_to_string(dir.join(crate::job::JOB_FILE))
        .with_context(|| format!("`resume`: {} holds no job.json", dir.display()))?;
    let earlier: ConsensusCommand = crate::job::parse_job(&text)
        .with_context(|| format!("`resume`: {} holds a damaged job.json", dir.display()))?;
    if let Some((field, was, now)) =
        crate::cluster::fingerprint::first_difference(&comparable(&earlier), &comparable(cmd), "")
    {
        bail!(
            "`resume`: the run in {} was started with another job: {field} was {was}, is {now} (resume with the same settings, or `overwrite` to start over)",
            dir.display()
        );
    }
    let text = std::fs::read_to_string(dir.join(INPUT_FILE))
        .with_context(|| format!("`resume`: {} holds no {INPUT_FILE}", dir.display()))?;
    let earlier: InputPrint = serde_json::from_str(&text)
        .with_context(|| format!("`resume`: {} holds a damaged {INPUT_FILE}", dir.display()))?;
    if earlier != *print {
        bail!(
            "`resume`: the run in {} was started on another input ({} with sha256 {}, {} × {}; now {} with sha256 {}, {} × {}); `overwrite` starts over",
            dir.display(),
            earlier.file.display(),
            earlier.sha256,
            earlier.m,
            earlier.n,
            print.file.display(),
            print.sha256,
            print.m,
            print.n
        );
    }
    Ok(())
}

/// Y of a matrix file: dense f64, or sparse (never made dense on the host engine). NaN is
/// refused: consensus runs need every entry.
enum Input {
    Dense(Mat<f64>),
    Sparse(nmfnet_baselines::data::SparseMatrix),
}

impl Input {
    fn data(&self) -> NmfData<'_> {
        match self {
            Input::Dense(y) => y.as_ref().into(),
            Input::Sparse(y) => y.into(),
        }
    }
}

fn read_input(path: &std::path::Path, k: usize) -> anyhow::Result<Input> {
    if nmfnet_datasets::io::is_npz(path) {
        let mut missing = Vec::new();
        let (y, _) = crate::nmf::read_sparse(path, k, &mut missing)?;
        if let Some(&(i, j)) = missing.first() {
            bail!(
                "{} has a missing (NaN) entry at ({i}, {j}): consensus NMF needs every entry",
                path.display()
            );
        }
        Ok(Input::Sparse(y))
    } else {
        let read = nmfnet_datasets::io::read_matrix_f64(path)?;
        let (m, n, v) = read.matrix;
        crate::nmf::check_memory(m, n, k, None)?;
        Ok(Input::Dense(Mat::from_fn(m, n, |i, j| v[i * n + j])))
    }
}

/// Runs `nmfnet nmf consensus`: every rank's replicates (read back on `resume` where a killed
/// run saved them) and consensus; with `out`, the files of the guide's list and the figures.
pub fn consensus_command(cmd: &ConsensusCommand) -> anyhow::Result<ConsensusReport> {
    let started = std::time::Instant::now();
    cmd.run.check()?;
    let job = &cmd.consensus.job;
    let kmax = job
        .ks
        .iter()
        .copied()
        .max()
        .context("give at least one rank (`ks`)")?;
    if let Some(k) = cmd.k {
        if !job.ks.contains(&k) {
            bail!("`k` = {k} is not one of `ks` {:?}", job.ks);
        }
    }
    let input = read_input(&cmd.matrix, kmax)?;
    let y = input.data();
    let (m, n) = (y.nrows(), y.ncols());
    check_run(y, &cmd.consensus)?;
    let mut dir = cmd.run.open("nmf consensus", &[cmd.matrix.as_path()])?;
    let print = InputPrint {
        file: cmd.matrix.clone(),
        sha256: if dir.is_some() {
            nmfnet_datasets::catalog::sha256_hex(&nmfnet_datasets::io::read_file(&cmd.matrix)?)
        } else {
            String::new()
        },
        m,
        n,
    };
    if let Some(run) = dir.as_mut() {
        if cmd.run.resume() {
            check_resume(run.path(), cmd, &print)?;
        } else {
            crate::job::write_job(run, cmd)?;
            crate::outdir::write_json(&run.file(INPUT_FILE)?, &print)?;
        }
    }
    let engine = cmd.consensus.engine();
    let quiet = !cmd.run.progress;
    let total = job.ks.len() * job.replicates;
    let bar = nmfnet_train::progress::work_bar(total, "consensus replicates".into(), quiet);
    let yf = (engine == Engine::Batched).then(|| dense_f32(y));
    let mut results = Vec::with_capacity(job.ks.len());
    let mut resumed_ks = Vec::new();
    for &k in &job.ks {
        if cmd.run.cancel.is_cancelled() {
            bail!("stopped before rank {k}");
        }
        let seed = replicate_seed(job.seed, k);
        let saved = dir
            .as_ref()
            .filter(|_| cmd.run.resume())
            .map(|d| d.path().join(replicates_file(k)))
            .filter(|p| p.is_file());
        let (pooled, iterations) = if let Some(p) = saved {
            let read = nmfnet_datasets::io::read_matrix_f64(&p)?;
            let (r, c, v) = read.matrix;
            if (r, c) != (job.replicates * k, n) || read.exponent != 0 {
                bail!(
                    "`resume`: {} is not this run's replicates of rank {k}",
                    p.display()
                );
            }
            resumed_ks.push(k);
            bar.inc(job.replicates as u64);
            (Mat::from_fn(r, c, |i, j| v[i * c + j]), Vec::new())
        } else {
            let (pooled, iterations) = match &yf {
                Some(yf) => {
                    let p = batched_spectra(y, yf, &cmd.consensus, k, seed)?;
                    bar.inc(job.replicates as u64);
                    p
                }
                None => {
                    let mut p = job.params.clone();
                    p.rank = k;
                    p.cancel = cmd.run.cancel.clone();
                    replicate_spectra_counted(
                        y,
                        job.method,
                        &p,
                        job.replicates,
                        seed,
                        job.host_options(),
                        &|| bar.inc(1),
                    )?
                }
            };
            if let Some(run) = dir.as_mut() {
                let rows = row_major(pooled.as_ref());
                nmfnet_datasets::io::write_npy_f64(
                    &run.file(&replicates_file(k))?,
                    pooled.nrows(),
                    n,
                    &rows,
                )?;
            }
            (pooled, iterations)
        };
        let mut c = consensus(y, &pooled, k, &job.consensus)
            .with_context(|| format!("consensus at rank {k}"))?;
        c.iterations = iterations;
        results.push(c);
    }
    bar.finish_and_clear();
    let stability: Vec<f64> = results.iter().map(|c| c.stability).collect();
    let chosen = cmd.k.unwrap_or_else(|| most_stable(&job.ks, &stability));
    let summary = ConsensusSummary {
        input: cmd.matrix.display().to_string(),
        m,
        n,
        ks: job.ks.clone(),
        replicates: job.replicates,
        engine,
        backend: if engine == Engine::Batched {
            cmd.consensus.backend.name()
        } else {
            "host"
        },
        precision: if engine == Engine::Batched {
            Precision::F32
        } else {
            job.precision
        },
        products: products(y, &cmd.consensus),
        stability,
        error: results.iter().map(|c| c.error).collect(),
        kept: results
            .iter()
            .map(|c| c.kept.iter().filter(|&&k| k).count())
            .collect(),
        iterations_median: results
            .iter()
            .map(|c| median_count(&c.iterations))
            .collect(),
        at_max_iter: results
            .iter()
            .map(|c| {
                (!c.iterations.is_empty()).then(|| {
                    c.iterations
                        .iter()
                        .filter(|&&i| i >= job.params.max_iter)
                        .count()
                })
            })
            .collect(),
        k: chosen,
        resumed_ks,
        seconds: started.elapsed().as_secs_f64(),
    };
    if let Some(mut run) = dir {
        write_outputs(&mut run, &summary, &results)?;
        crate::outdir::write_json(&run.file("summary.json")?, &summary)?;
        run.commit()?;
    }
    Ok(ConsensusReport { summary, results })
}

/// The rank of largest stability (the smallest such rank on a tie).
pub fn most_stable(ks: &[usize], stability: &[f64]) -> usize {
    let mut best = 0;
    for i in 1..ks.len() {
        if stability[i] > stability[best] {
            best = i;
        }
    }
    ks[best]
}

/// Spectra and usages of every rank, the K-selection figure and the clustergram of `k`.
fn write_outputs(
    run: &mut nmfnet_train::runtime::rundir::RunDir,
    s: &ConsensusSummary,
    results: &[Consensus],
) -> anyhow::Result<()> {
    let flat = |a: &Mat<f64>| row_major(a.as_ref());
    for (&k, c) in s.ks.iter().zip(results) {
        let sp = &c.spectra;
        nmfnet_datasets::io::write_npy_f64(
            &run.file(&format!("spectra_k{k}.npy"))?,
            sp.nrows(),
            sp.ncols(),
            &flat(sp),
        )?;
        let us = &c.usage;
        nmfnet_datasets::io::write_npy_f64(
            &run.file(&format!("usage_k{k}.npy"))?,
            us.nrows(),
            us.ncols(),
            &flat(us),
        )?;
    }
    let top = s
        .error
        .iter()
        .copied()
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let series = [
        crate::plot::Series {
            label: "stability (silhouette)".into(),
            points: s
                .ks
                .iter()
                .zip(&s.stability)
                .map(|(&k, &v)| (k as f64, v))
                .collect(),
        },
        crate::plot::Series {
            label: format!("error / {top:.4e}"),
            points: s
                .ks
                .iter()
                .zip(&s.error)
                .map(|(&k, &v)| (k as f64, v / top))
                .collect(),
        },
    ];
    crate::plot::line_plot_to(
        &run.file("k_selection.svg")?,
        &run.file("k_selection.png")?,
        "consensus NMF: K selection",
        "K",
        "stability; error relative to the largest",
        &series,
    )?;
    let i = s.ks.iter().position(|&k| k == s.k).expect("k is one of ks");
    clustergram(
        &run.file(&format!("clustergram_k{}.png", s.k))?,
        &results[i],
    )?;
    Ok(())
}

/// The distances between the kept replicate spectra, ordered by cluster, as a heat map (dark:
/// close) with the clusters' borders in white: blocks on the diagonal are programs found again
/// and again.
pub fn clustergram(path: &std::path::Path, c: &Consensus) -> anyhow::Result<()> {
    let p = &c.points;
    let mut order: Vec<usize> = (0..p.nrows()).collect();
    order.sort_by_key(|&i| (c.labels[i], i));
    // At most 800 spectra drawn (every step-th in cluster order), one pixel or more each.
    let step = order.len().div_ceil(800).max(1);
    let order: Vec<usize> = order.into_iter().step_by(step).collect();
    let n = order.len();
    let sub = Mat::from_fn(n, p.ncols(), |a, j| p[(order[a], j)]);
    let g = nmfnet_baselines::linalg::a_b(sub.as_ref(), sub.transpose());
    let d = |a: usize, b: usize| (g[(a, a)] + g[(b, b)] - 2.0 * g[(a, b)]).max(0.0).sqrt();
    let scale = (800 / n.max(1)).clamp(1, 8);
    let side = (n * scale).max(1) as u32;
    let mut img = image::RgbImage::new(side, side);
    // Unit vectors: distances in [0, 2] (nonnegative ones: [0, √2]).
    for a in 0..n {
        for b in 0..n {
            let t = (d(a, b) / std::f64::consts::SQRT_2).clamp(0.0, 1.0);
            // Dark blue (close) to pale yellow (far).
            let px = image::Rgb([
                (20.0 + 230.0 * t) as u8,
                (30.0 + 200.0 * t) as u8,
                (90.0 + 60.0 * (1.0 - t)) as u8,
            ]);
            for u in 0..scale {
                for v in 0..scale {
                    img.put_pixel((b * scale + v) as u32, (a * scale + u) as u32, px);
                }
            }
        }
    }
    for a in 1..n {
        if c.labels[order[a]] != c.labels[order[a - 1]] {
            let at = (a * scale) as u32;
            for t in 0..side {
                img.put_pixel(at, t, image::Rgb([255, 255, 255]));
                img.put_pixel(t, at, image::Rgb([255, 255, 255]));
            }
        }
    }
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    nmfnet_datasets::io::atomic_write(path, &png.into_inner())?;
    Ok(())
}
