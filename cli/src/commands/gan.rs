//! `nmfnet gan …`: the flags of each GAN-UNET command, the request they make, and what it
//! prints.

use crate::args::{print_json, BackendArg};
use nmfnet_app::gan::baselines::{gan_baselines, GanBaselineRequest, GanBaselineSummary};
use nmfnet_app::gan::eval::{gan_eval, GanEvalRequest};
use nmfnet_app::gan::factorize::{gan_factorize, GanFactorizeRequest};
use nmfnet_app::gan::front::{gan_front, GanFrontRequest, GanFrontSummary};
use nmfnet_app::gan::train::{gan_train, GanTrainRequest, NodeJoin};
use nmfnet_baselines::{NmfInit, NmfMethod};
use std::path::PathBuf;

/// `nmfnet gan train` arguments.
#[derive(clap::Args, Debug)]
pub struct GanTrainArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Train with L1 only (the "UNET" ablation).
    #[arg(long)]
    pub no_discriminator: bool,
    /// Optimiser steps (each: one D and one G update on --batch groups; 1 to 10^8).
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Groups per step (1 to 1024).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Basis images k (1 to the group size, 40).
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// HALS sweeps of the differentiable NNLS layer that refines W given H and the group
    /// (0 = the paper's W head alone; an extension, see ganunet_burn::nnls; at most 200).
    #[arg(long, default_value_t = 0)]
    pub nnls_sweeps: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Generator width: channels after the first down-sampling, doubled per level up to 8×
    /// (pix2pix: 64 → 512). 32 has about 1/4 of the parameters and arithmetic (faster
    /// training and inference); the paper's network is 64.
    #[arg(long, default_value_t = 64, conflicts_with = "tiny")]
    pub channels: usize,
    /// A small network (8 base channels): for smoke tests, not for results.
    #[arg(long)]
    pub tiny: bool,
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, requires = "out", conflicts_with = "resume")]
    pub overwrite: bool,
    #[arg(long, default_value_t = 100)]
    pub checkpoint_every: usize,
    /// Data-parallel peers in this process (threads, one device each: D flex devices on a CPU),
    /// each on --batch / (D × --nodes) groups of every step, gradients averaged before each
    /// optimiser step (cargo feature `collective`; 1 to 64).
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
    /// Processes of a data-parallel run on this machine (1 to 64): the command starts an
    /// orchestrator and the processes, joined over WebSocket on 127.0.0.1; process 0 writes
    /// --out and reports (cargo feature `collective`).
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// This process's place in a --nodes run (set by the command that starts them, or by hand
    /// with --orchestrator and --node-port to join processes on several machines).
    #[arg(long, requires_all = ["orchestrator", "node_port"])]
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
    #[arg(long)]
    pub per_group_norm: bool,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
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
    /// trades speed for error (0 = the paper's single forward pass). Timings include it.
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
    #[arg(long, requires = "out")]
    pub overwrite: bool,
    #[arg(long, visible_alias = "device", value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    #[arg(long)]
    pub json: bool,
}

/// `nmfnet gan baselines` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct GanBaselineArgs {
    /// mnist, fashion or face (Olivetti).
    #[arg(long)]
    pub dataset: String,
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Methods, comma separated (mu, hals, anls).
    #[arg(long, value_delimiter = ',', default_value = "anls,mu,hals")]
    pub methods: Vec<String>,
    /// Basis images k (GAN-UNET's default 10).
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Groups per split (the first N fixed groups, drawn with seed 0 like `gan eval`);
    /// 0 = all of them.
    #[arg(long, default_value_t = 100)]
    pub groups: usize,
    /// Training images the transfer basis is learned on (the first N; 0 = all).
    #[arg(long, default_value_t = 0)]
    pub train_images: usize,
    /// Seed of the solvers' random initialisations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for hals_direct_grid.png etc. (inputs, reconstructions, basis of the first test
    /// group), transfer_basis_<method>.png and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, requires = "out")]
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
    /// Folder for summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out, once this one has succeeded (until then it stays).
    #[arg(long, requires = "out")]
    pub overwrite: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, short)]
    pub quiet: bool,
}

impl GanFrontArgs {
    /// The request these flags stand for (names parsed).
    pub fn request(&self) -> anyhow::Result<GanFrontRequest> {
        let methods = parse_names::<NmfMethod>("--methods", &self.methods)?;
        let inits = parse_names::<NmfInit>("--inits", &self.inits)?;
        Ok(GanFrontRequest {
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
            out: self.out.clone(),
            overwrite: self.overwrite,
            progress: !self.quiet,
        })
    }
}

impl GanTrainArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> GanTrainRequest {
        GanTrainRequest {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            no_discriminator: self.no_discriminator,
            steps: self.steps,
            batch: self.batch,
            k: self.k,
            nnls_sweeps: self.nnls_sweeps,
            seed: self.seed,
            channels: self.channels,
            tiny: self.tiny,
            out: self.out.clone(),
            resume: self.resume,
            overwrite: self.overwrite,
            checkpoint_every: self.checkpoint_every,
            progress: !self.quiet,
            devices: self.devices,
            nodes: self.nodes,
            node: self.node.map(|index| NodeJoin {
                index,
                orchestrator: self.orchestrator.clone().unwrap_or_default(),
                port: self.node_port.unwrap_or_default(),
                host: self.node_host.clone(),
            }),
            per_group_norm: self.per_group_norm,
            cancel: Default::default(),
        }
    }
}

impl GanEvalArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> GanEvalRequest {
        GanEvalRequest {
            checkpoint: self.checkpoint.clone(),
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            groups: self.groups,
            batch: self.batch,
            refine: self.refine,
        }
    }
}

impl GanFactorizeArgs {
    /// The request these flags stand for.
    pub fn request(&self) -> GanFactorizeRequest {
        GanFactorizeRequest {
            checkpoint: self.checkpoint.clone(),
            images: self.images.clone(),
            out: self.out.clone(),
            refine: self.refine,
            overwrite: self.overwrite,
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
    /// The request these flags stand for (the method names parsed).
    pub fn request(&self) -> anyhow::Result<GanBaselineRequest> {
        let methods = parse_names::<NmfMethod>("--methods", &self.methods)?;
        Ok(GanBaselineRequest {
            dataset: self.dataset.clone(),
            data_dir: self.data_dir.clone(),
            methods,
            k: self.k,
            groups: self.groups,
            train_images: self.train_images,
            seed: self.seed,
            out: self.out.clone(),
            overwrite: self.overwrite,
            progress: !self.quiet,
        })
    }
}

/// Runs `nmfnet gan train`.
pub fn train(args: &GanTrainArgs) -> anyhow::Result<()> {
    if args.nodes > 1 && args.node.is_none() {
        return launch_nodes(args);
    }
    let s = gan_train(&args.request(), args.backend.into())?;
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
    let s = gan_eval(&args.request(), args.backend.into())?;
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
    let s = gan_factorize(&args.request(), args.backend.into())?;
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
    let s = gan_baselines(&args.request()?)?;
    print_baselines(&s);
    if args.json {
        print_json(&s)?;
    }
    Ok(())
}

/// Runs `nmfnet gan front`.
pub fn front(args: &GanFrontArgs) -> anyhow::Result<()> {
    let s = gan_front(&args.request()?)?;
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
/// process and N processes of this program on 127.0.0.1 (process 0 with --out and the progress
/// bar, the others quiet), waits for all of them and exits with the first failure.
#[cfg(feature = "collective")]
fn launch_nodes(args: &GanTrainArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let port = free_port()?;
    nmfnet_app::gan::train::spawn_orchestrator(port)?;
    let exe = std::env::current_exe().context("cannot find this program to start the processes")?;
    let req = args.request();
    let mut children = Vec::with_capacity(args.nodes);
    for index in 0..args.nodes {
        let mut node = req.clone();
        node.node = Some(NodeJoin {
            index,
            orchestrator: format!("ws://127.0.0.1:{port}"),
            port: free_port()?,
            host: "127.0.0.1".into(),
        });
        if index > 0 {
            node.out = None;
            node.progress = false;
        }
        let mut argv = nmfnet_app::argv::gan_train(&node);
        argv.remove(0);
        if let Some(b) = crate::args::backend_flag(args.backend) {
            argv.extend(["--backend".to_string(), b.to_string()]);
        }
        if args.json && index == 0 {
            argv.push("--json".into());
        }
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(&argv);
        if index > 0 {
            cmd.stdout(std::process::Stdio::null());
        }
        children.push(
            cmd.spawn()
                .with_context(|| format!("cannot start process {index} of {}", args.nodes))?,
        );
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
                    anyhow::bail!("process {index} of {} failed ({status})", args.nodes);
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
fn launch_nodes(_: &GanTrainArgs) -> anyhow::Result<()> {
    let _ = free_port;
    anyhow::bail!(
        "data-parallel training (--nodes above 1) is not in this build: build with the cargo feature `collective`"
    )
}
