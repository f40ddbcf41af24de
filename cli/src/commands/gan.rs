//! `nmfnet gan …`: the flags of each GAN-UNET command, the job they make, and what it prints.

use crate::args::{override_run, print_json, read_job, run_options, BackendArg};
use clap::ArgGroup;
use nmfnet_app::gan::baselines::{gan_baselines, GanBaselineJob, GanBaselineSummary};
use nmfnet_app::gan::eval::{gan_eval, GanEvalJob};
use nmfnet_app::gan::factorize::{gan_factorize, GanFactorizeJob};
use nmfnet_app::gan::front::{gan_front, GanFrontJob, GanFrontSummary};
use nmfnet_app::gan::train::{gan_train, GanShape, GanTrainJob, NodeJoin, Parallel};
use nmfnet_baselines::{NmfInit, NmfMethod};
use std::path::PathBuf;

/// `nmfnet gan train` arguments.
#[derive(clap::Args, Debug)]
#[command(group(ArgGroup::new("spec").multiple(true)))]
pub struct GanTrainArgs {
    /// Run the job in FILE (the `job.json` of an earlier run, or one written by hand; `-`:
    /// standard input). Only --out, --resume, --overwrite, --checkpoint-every, --quiet and
    /// --json may be given beside it.
    #[arg(long, value_name = "FILE", conflicts_with = "spec")]
    pub job: Option<PathBuf>,
    /// mnist, fashion or face (Olivetti).
    #[arg(long, group = "spec", required_unless_present = "job")]
    pub dataset: Option<String>,
    #[arg(long, value_name = "DIR", group = "spec")]
    pub data_dir: Option<PathBuf>,
    /// Train with L1 only (the "UNET" ablation).
    #[arg(long, group = "spec")]
    pub no_discriminator: bool,
    /// Optimiser steps (each: one D and one G update on --batch groups; 1 to 10^8; default
    /// 1000).
    #[arg(long, group = "spec")]
    pub steps: Option<usize>,
    /// Groups per step (1 to 1024; default 1).
    #[arg(long, group = "spec")]
    pub batch: Option<usize>,
    /// Basis images k (1 to the group size, 40; default 10).
    #[arg(long, group = "spec")]
    pub k: Option<usize>,
    /// HALS sweeps of the differentiable NNLS layer that refines W given H and the group
    /// (0 = the paper's W head alone, the default; an extension, see ganunet_burn::nnls; at
    /// most 200).
    #[arg(long, group = "spec")]
    pub nnls_sweeps: Option<usize>,
    /// Seed (default 0).
    #[arg(long, group = "spec")]
    pub seed: Option<u64>,
    /// Generator width: channels after the first down-sampling, doubled per level up to 8×
    /// (pix2pix: 64 → 512, the default and the paper's). 32 has about 1/4 of the parameters
    /// and arithmetic (faster training and inference).
    #[arg(long, group = "spec", conflicts_with = "tiny")]
    pub channels: Option<usize>,
    /// A small network (8 base channels): for smoke tests, not for results.
    #[arg(long, group = "spec")]
    pub tiny: bool,
    /// Output folder: checkpoint.bin, config.json, metrics.jsonl, job.json, summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub resume: bool,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// With --resume: accept a version-1 checkpoint (written before checksums) this once; the
    /// next checkpoint is written in the current format.
    #[arg(long, requires = "resume")]
    pub upgrade: bool,
    /// Steps between checkpoints (default 100).
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Data-parallel peers in this process (threads, one device each: D flex devices on a CPU),
    /// each on --batch / (D × --nodes) groups of every step, gradients averaged before each
    /// optimiser step (cargo feature `collective`; 1 to 64).
    #[arg(long, group = "spec", default_value_t = 1)]
    pub devices: usize,
    /// Processes of a data-parallel run on this machine (1 to 64): the command starts an
    /// orchestrator and the processes, joined over WebSocket on 127.0.0.1; process 0 writes
    /// --out and reports (cargo feature `collective`).
    #[arg(long, group = "spec", default_value_t = 1)]
    pub nodes: usize,
    /// This process's place in a --nodes run (set by the command that starts them, or by hand
    /// with --orchestrator and --node-port to join processes on several machines).
    #[arg(long, group = "spec", requires_all = ["orchestrator", "node_port"])]
    pub node: Option<usize>,
    /// `ws://HOST:PORT` of the orchestrator of a --nodes run.
    #[arg(long, value_name = "URL", requires = "node")]
    pub orchestrator: Option<String>,
    /// Port of this process's data service in a --nodes run.
    #[arg(long, value_name = "PORT", requires = "node")]
    pub node_port: Option<u16>,
    /// Host name or address the other processes reach this one by.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub node_host: String,
    /// Batch-norm statistics per group rather than over the batch: with it a batch split
    /// between data-parallel peers trains exactly as on one device (without it each peer
    /// normalises over its own share, as data-parallel batch norm usually does).
    #[arg(long, group = "spec")]
    pub per_group_norm: bool,
    #[arg(long, group = "spec", visible_alias = "device", value_enum)]
    pub backend: Option<BackendArg>,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

/// `nmfnet gan eval` arguments.
#[derive(clap::Args, Debug)]
pub struct GanEvalArgs {
    /// Folder of a `gan train --out` run (checkpoint.bin).
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// mnist, fashion or face: may differ from the training set (generalisation).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Evaluate on the first N fixed groups of each split (0 = all; drawn with seed 0, the
    /// same groups `gan baselines` uses).
    #[arg(long, default_value_t = 0)]
    pub groups: usize,
    /// Groups per forward pass for the errors and the throughput figure (the latency figure
    /// always runs one group at a time).
    #[arg(long, default_value_t = 25)]
    pub batch: usize,
    /// Rounds of alternating HALS (H given W, then W given H) run on each group after the
    /// forward pass, started from the generator's factors: an inference-time refinement that
    /// trades speed for error (0 = the paper's single forward pass; at most 10000). Timings include it.
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub refine: usize,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    #[arg(long)]
    pub json: bool,
}

/// `nmfnet gan factorize` arguments.
#[derive(clap::Args, Debug)]
pub struct GanFactorizeArgs {
    /// Folder of a `gan train --out` run.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    /// A folder of exactly one group of same-size PNG/PGM images (file-name order).
    #[arg(long, value_name = "DIR")]
    pub images: PathBuf,
    /// Output folder: H.npy ((height·width) × k, one basis image per column), W.npy (k × m),
    /// grid.png (inputs, reconstructions, basis images).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Rounds of alternating HALS after the forward pass (see `gan eval --refine`).
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub refine: usize,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long)]
    pub overwrite: bool,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    #[arg(long)]
    pub json: bool,
}

/// `nmfnet gan baselines` arguments.
#[derive(clap::Args, Debug, Clone)]
#[command(group(ArgGroup::new("spec").multiple(true)))]
pub struct GanBaselineArgs {
    /// Run the job in FILE (the `job.json` of an earlier run; `-`: standard input). Only
    /// --out, --overwrite, --quiet and --json may be given beside it.
    #[arg(long, value_name = "FILE", conflicts_with = "spec")]
    pub job: Option<PathBuf>,
    /// mnist, fashion or face (Olivetti).
    #[arg(long, group = "spec", required_unless_present = "job")]
    pub dataset: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Methods, comma separated (mu, hals, anls).
    #[arg(
        long,
        group = "spec",
        value_delimiter = ',',
        default_value = "anls,mu,hals"
    )]
    pub methods: Vec<String>,
    /// Basis images k (GAN-UNET's default 10).
    #[arg(long, group = "spec", default_value_t = 10)]
    pub k: usize,
    /// Groups per split (the first N fixed groups, drawn with seed 0 like `gan eval`);
    /// 0 = all of them.
    #[arg(long, group = "spec", default_value_t = 100)]
    pub groups: usize,
    /// Training images the transfer basis is learned on (the first N; 0 = all).
    #[arg(long, group = "spec", default_value_t = 0)]
    pub train_images: usize,
    /// Seed of the solvers' random initialisations.
    #[arg(long, group = "spec", default_value_t = 0)]
    pub seed: u64,
    /// Folder for hals_direct_grid.png etc. (inputs, reconstructions, basis of the first test
    /// group), transfer_basis_METHOD.png, job.json and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long)]
    pub overwrite: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

/// `nmfnet gan front` arguments.
#[derive(clap::Args, Debug)]
pub struct GanFrontArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of a `gan train` run to place on the front (repeat for several).
    #[arg(long = "model", value_name = "DIR")]
    pub models: Vec<PathBuf>,
    /// Refinement rounds of each generator's points (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,5,10")]
    pub refine: Vec<usize>,
    /// Solvers, comma separated (mu, hals, anls).
    #[arg(long, value_delimiter = ',', default_value = "hals,mu,anls")]
    pub methods: Vec<String>,
    /// Solver starts, comma separated (random, nndsvd, nndsvda).
    #[arg(long, value_delimiter = ',', default_value = "random,nndsvd,nndsvda")]
    pub inits: Vec<String>,
    /// Iteration counts of the solvers' points (comma separated, increasing).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,3,5,10,20,50,100,200"
    )]
    pub iterations: Vec<usize>,
    /// Basis images k.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// The first N fixed test groups (seed 0); 0 = all of them.
    #[arg(long, default_value_t = 100)]
    pub groups: usize,
    /// Groups per call of the batched points (solvers and generators).
    #[arg(long, default_value_t = 25)]
    pub batch: usize,
    /// Seed of the random start.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Passes per solver setting; the fastest counts (1 to 100).
    #[arg(long, default_value_t = 3)]
    pub timed_passes: usize,
    /// Folder for job.json and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long)]
    pub overwrite: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

impl GanFrontArgs {
    /// The job these flags stand for (names parsed).
    pub fn job(&self) -> anyhow::Result<GanFrontJob> {
        let methods = parse_names::<NmfMethod>("--methods", &self.methods)?;
        let inits = parse_names::<NmfInit>("--inits", &self.inits)?;
        Ok(GanFrontJob {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            k: self.k,
            groups: self.groups,
            methods,
            inits,
            iterations: self.iterations.clone(),
            batch: self.batch,
            seed: self.seed,
            timed_passes: self.timed_passes,
            models: self.models.clone(),
            refine: self.refine.clone(),
            run: run_options(self.out.clone(), false, self.overwrite, None, self.quiet),
        })
    }
}

impl GanTrainArgs {
    /// The job these flags stand for (`--job`'s file with the run flags over it).
    pub fn job(&self) -> anyhow::Result<GanTrainJob> {
        if let Some(path) = &self.job {
            let mut job: GanTrainJob = read_job(path)?;
            self.override_run(&mut job);
            return Ok(job);
        }
        let shape = GanShape {
            k: self.k.unwrap_or(10),
            channels: self.channels.unwrap_or(64),
            tiny: self.tiny,
            nnls_sweeps: self.nnls_sweeps.unwrap_or(0),
            per_group_norm: self.per_group_norm,
            discriminator: !self.no_discriminator,
            batch: self.batch.unwrap_or(1),
            seed: self.seed.unwrap_or(0),
        };
        let dataset = self
            .dataset
            .clone()
            .expect("clap requires --dataset without --job");
        let mut job = GanTrainJob::new(&dataset, self.steps.unwrap_or(1000), shape.config()?);
        job.data_dir = self.data_dir.clone();
        job.parallel = Parallel {
            devices: self.devices,
            nodes: self.nodes,
            node: self.node.map(|index| NodeJoin {
                index,
                orchestrator: self.orchestrator.clone().unwrap_or_default(),
                port: self.node_port.unwrap_or_default(),
                host: self.node_host.clone(),
            }),
        };
        job.backend = self.backend.unwrap_or(BackendArg::Cpu).into();
        job.run = run_options(
            self.out.clone(),
            self.resume,
            self.overwrite,
            self.checkpoint_every,
            self.quiet,
        );
        job.run.upgrade = self.upgrade;
        Ok(job)
    }

    fn override_run(&self, job: &mut GanTrainJob) {
        override_run(
            &mut job.run,
            self.out.clone(),
            self.resume,
            self.overwrite,
            self.checkpoint_every,
            self.quiet,
        );
        job.run.upgrade |= self.upgrade;
    }
}

impl GanEvalArgs {
    /// The job these flags stand for.
    pub fn job(&self) -> GanEvalJob {
        GanEvalJob {
            checkpoint: self.checkpoint.clone(),
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            groups: self.groups,
            batch: self.batch,
            refine: self.refine,
            backend: self.backend.into(),
        }
    }
}

impl GanFactorizeArgs {
    /// The job these flags stand for.
    pub fn job(&self) -> GanFactorizeJob {
        GanFactorizeJob {
            checkpoint: self.checkpoint.clone(),
            images: self.images.clone(),
            refine: self.refine,
            backend: self.backend.into(),
            run: run_options(Some(self.out.clone()), false, self.overwrite, None, true),
        }
    }
}

/// The names of a comma-separated flag, parsed (an error names the flag).
fn parse_names<T>(flag: &str, names: &[String]) -> anyhow::Result<Vec<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    names
        .iter()
        .map(|s| {
            s.trim()
                .parse::<T>()
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
        })
        .collect()
}

impl GanBaselineArgs {
    /// The job these flags stand for (the method names parsed; `--job`'s file with the run
    /// flags over it).
    pub fn job(&self) -> anyhow::Result<GanBaselineJob> {
        if let Some(path) = &self.job {
            let mut job: GanBaselineJob = read_job(path)?;
            override_run(
                &mut job.run,
                self.out.clone(),
                false,
                self.overwrite,
                None,
                self.quiet,
            );
            return Ok(job);
        }
        let methods = parse_names::<NmfMethod>("--methods", &self.methods)?;
        Ok(GanBaselineJob {
            dataset: self
                .dataset
                .clone()
                .expect("clap requires --dataset without --job"),
            data_dir: self.data_dir.clone(),
            methods,
            k: self.k,
            groups: self.groups,
            train_images: self.train_images,
            seed: self.seed,
            run: run_options(self.out.clone(), false, self.overwrite, None, self.quiet),
        })
    }
}

/// Runs `nmfnet gan train`.
pub fn train(args: &GanTrainArgs) -> anyhow::Result<()> {
    let job = args.job()?;
    if job.parallel.nodes > 1 && job.parallel.node.is_none() {
        return launch_nodes(args, &job);
    }
    let s = gan_train(&job)?;
    println!(
        "gan-unet {} ({} steps, k = {}, {}, backend {}): train ε {}, test ε {:.3} on {} groups, {:.4} s per group, {:.1} s ({} of training in all)",
        s.dataset,
        s.steps,
        s.k,
        if s.discriminator { "with discriminator" } else { "L1 only" },
        s.backend,
        s.train_error
            .map_or("— (no step left to run)".into(), |e| format!("{e:.3}")),
        s.test_error,
        s.test_groups,
        s.seconds_per_group,
        s.seconds,
        s.training_seconds
            .map_or("unknown time".into(), |t| format!("{:.1} min", t / 60.0))
    );
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan eval`.
pub fn eval(args: &GanEvalArgs) -> anyhow::Result<()> {
    let s = gan_eval(&args.job())?;
    println!(
        "gan-unet eval on {} (checkpoint after {} steps, backend {}): train ε {:.3}, test ε {:.3} on {} groups; {:.4} s per group one at a time, {:.4} s per group {} at a time",
        s.dataset,
        s.checkpoint_steps,
        s.backend,
        s.train_error,
        s.test_error,
        s.groups,
        s.seconds_per_group,
        s.seconds_per_group_batched,
        s.batch
    );
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan factorize`.
pub fn factorize(args: &GanFactorizeArgs) -> anyhow::Result<()> {
    let s = gan_factorize(&args.job())?;
    println!(
        "gan-unet factorize: {} images, k = {}, ε {:.3}, {:.4} s (one forward pass); written to {}",
        s.images,
        s.k,
        s.error,
        s.seconds,
        args.out.display()
    );
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan baselines`.
pub fn baselines(args: &GanBaselineArgs) -> anyhow::Result<()> {
    let s = gan_baselines(&args.job()?)?;
    print_baselines(&s);
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan front`.
pub fn front(args: &GanFrontArgs) -> anyhow::Result<()> {
    let s = gan_front(&args.job()?)?;
    print_front(&s);
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Human-readable fronts and the equal-error comparison.
fn print_front(s: &GanFrontSummary) {
    println!(
        "{}: k = {}, {} test groups, batched = {} groups per call, {} threads",
        s.dataset, s.k, s.groups, s.batch, s.threads
    );
    println!("solvers: ε / ms per group after N iterations");
    for f in &s.solvers {
        let pts: Vec<String> = f
            .points
            .iter()
            .filter(|p| s.iterations.contains(&p.iterations))
            .map(|p| {
                format!(
                    "{}: {:.3}/{:.2}",
                    p.iterations,
                    p.error,
                    1e3 * p.seconds_per_group
                )
            })
            .collect();
        println!(
            "  {:8} {:7} {:7}  {}",
            nmfnet_app::gan::front::solver_label(f.method, f.form),
            f.init.name(),
            f.mode.name(),
            pts.join("  ")
        );
    }
    for e in &s.equal_error {
        println!("{}", e.describe());
    }
}

/// Human-readable table.
fn print_baselines(s: &GanBaselineSummary) {
    println!(
        "{}: k = {}, {} train / {} test groups, transfer basis on {} training images",
        s.dataset, s.k, s.train_groups, s.test_groups, s.train_images
    );
    println!(
        "rank-{} SVD (no sign constraint): train ε {:.3}, test ε {:.3}",
        s.k, s.svd_train_error, s.svd_test_error
    );
    println!(
        "rank-{} subspace fitted to ε (no sign constraint): train ε {:.3}, test ε {:.3}",
        s.k, s.subspace_train_error, s.subspace_test_error
    );
    println!(
        "{:6} {:>14} {:>14} {:>12} {:>16} {:>16} {:>10}",
        "method",
        "direct train ε",
        "direct test ε",
        "s/group",
        "transfer train ε",
        "transfer test ε",
        "basis s"
    );
    for r in &s.rows {
        println!(
            "{:6} {:>14.3} {:>14.3} {:>12.4} {:>16.3} {:>16.3} {:>10.1}",
            r.method,
            r.direct_train_error,
            r.direct_test_error,
            r.direct_seconds_per_group,
            r.transfer_train_error,
            r.transfer_test_error,
            r.transfer_basis_seconds
        );
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// `gan train --nodes N` without `--node`: starts burn-collective's orchestrator in this
/// process and N processes of this program on 127.0.0.1, each running `job` with its place in
/// the run (handed over as `--job -` on its standard input; process 0 with the output folder
/// and the progress bar, the others quiet), waits for all of them and exits with the first
/// failure.
#[cfg(feature = "collective")]
fn launch_nodes(args: &GanTrainArgs, job: &GanTrainJob) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let port = free_port()?;
    nmfnet_app::gan::train::spawn_orchestrator(port)?;
    let exe = std::env::current_exe().context("cannot find this program to start the processes")?;
    let nodes = job.parallel.nodes;
    let mut children = Vec::with_capacity(nodes);
    for index in 0..nodes {
        let mut node = job.clone();
        node.parallel.node = Some(NodeJoin {
            index,
            orchestrator: format!("ws://127.0.0.1:{port}"),
            port: free_port()?,
            host: "127.0.0.1".into(),
        });
        if index > 0 {
            node.run.out = None;
            node.run.progress = false;
        }
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(["gan", "train", "--job", "-"]);
        if args.json && index == 0 {
            cmd.arg("--json");
        }
        cmd.stdin(std::process::Stdio::piped());
        if index > 0 {
            cmd.stdout(std::process::Stdio::null());
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start process {index} of {nodes}"))?;
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(serde_json::to_string(&node)?.as_bytes())
            .with_context(|| format!("cannot hand process {index} its job"))?;
        drop(stdin);
        children.push(child);
    }
    // Polled rather than waited in turn: when one process fails, the others would wait for it
    // forever, so they are stopped.
    let mut running: Vec<Option<std::process::Child>> = children.into_iter().map(Some).collect();
    loop {
        let mut left = 0;
        for index in 0..running.len() {
            let Some(child) = running[index].as_mut() else {
                continue;
            };
            match child.try_wait()? {
                None => left += 1,
                Some(status) if status.success() => running[index] = None,
                Some(status) => {
                    for other in running.iter_mut().flatten() {
                        let _ = other.kill();
                        let _ = other.wait();
                    }
                    anyhow::bail!("process {index} of {nodes} failed ({status})");
                }
            }
        }
        if left == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[cfg(not(feature = "collective"))]
fn launch_nodes(_: &GanTrainArgs, _: &GanTrainJob) -> anyhow::Result<()> {
    let _ = free_port;
    anyhow::bail!(
        "data-parallel training (--nodes above 1) is not in this build: build with the cargo feature `collective`"
    )
}
