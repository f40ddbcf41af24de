//! `nmfnet data …`: verify every data set's files, or describe one.

use crate::args::print_json;
use anyhow::bail;
use clap::Subcommand;
use nmfnet_app::data::{check, info, Loaded};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Verify every data set (files present, sha256, sample and class counts); one row each.
    /// Exits with a non-zero status on any problem.
    Check {
        /// Data folder (default: $NMFNET_DATA).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Print the rows as one JSON array on the last line.
        #[arg(long)]
        json: bool,
    },
    /// Describe one data set; with a data folder, load it and give its class sizes.
    Info {
        /// orl, coil20, mnist1, mnist2, tdt2, fashion1, mnist-full, mnist, fashion or olivetti.
        name: String,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Write a seeded planted-partition graph (a stochastic block model: each node makes
    /// --degree edge draws, a fraction --inside of them inside its block; X = (A + Aᵀ)/2)
    /// straight to a sparse .npz, for `cluster --similarity G.npz --labels y.npy` at any n.
    /// Never writes over an existing file.
    PlantedGraph {
        /// Number of nodes (2 to 2^31 − 1).
        #[arg(long, default_value_t = 1_000_000)]
        nodes: usize,
        /// Number of blocks (clusters).
        #[arg(long, default_value_t = 50)]
        blocks: usize,
        /// Edge draws per node (1 to 1000).
        #[arg(long, default_value_t = 10)]
        degree: usize,
        /// Probability that a draw stays inside the node's block (0 to 1).
        #[arg(long, default_value_t = 0.8)]
        inside: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The graph (.npz in scipy.sparse's CSR layout); must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The block of every node (.npy of int64); must not exist.
        #[arg(long, value_name = "FILE")]
        labels_out: PathBuf,
        /// Show a progress bar.
        #[arg(long)]
        progress: bool,
        /// Print the summary as JSON on the last line.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `nmfnet data …`.
pub fn run(cmd: &DataCommand) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Check { data_dir, json } => data_check(data_dir.as_deref(), *json),
        DataCommand::Info { name, data_dir } => data_info(name, data_dir.as_deref()),
        DataCommand::PlantedGraph {
            nodes,
            blocks,
            degree,
            inside,
            seed,
            out,
            labels_out,
            progress,
            json,
        } => {
            let cfg = nmfnet_app::data::SbmConfig {
                nodes: *nodes,
                blocks: *blocks,
                degree: *degree,
                inside: *inside,
                seed: *seed,
            };
            let s = nmfnet_app::data::planted_graph(&cfg, out, labels_out, *progress)?;
            println!(
                "planted graph: {} nodes, {} blocks, {} stored entries ({:.1} s to generate, {:.1} s to write)",
                cfg.nodes, cfg.blocks, s.nnz, s.seconds_generate, s.seconds_write
            );
            println!("graph  {}", s.graph.display());
            println!("labels {}", s.labels.display());
            if *json {
                print_json(&s)?;
            }
            Ok(())
        }
    }
}

/// One row per data set; an error if any row has a problem.
fn data_check(data_dir: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let c = check(data_dir)?;
    println!("data folder {}", c.dir.display());
    println!(
        "{:<10} {:>8} {:>8} {:>9} {:>7}  status",
        "dataset", "samples", "classes", "features", "load s"
    );
    let fmt = |v: Option<usize>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
    for r in &c.rows {
        println!(
            "{:<10} {:>8} {:>8} {:>9} {:>7.2}  {}",
            r.dataset,
            fmt(r.samples),
            fmt(r.classes),
            fmt(r.features),
            r.seconds,
            match &r.problem {
                None => "ok (sha256 and counts verified)".to_string(),
                Some(p) => format!("FAILED: {p}"),
            }
        );
    }
    if json {
        print_json(&c.rows)?;
    }
    let bad = c.failed();
    if bad > 0 {
        bail!("{bad} of {} data sets failed the check", c.rows.len());
    }
    Ok(())
}

fn data_info(name: &str, data_dir: Option<&Path>) -> anyhow::Result<()> {
    let i = info(name, data_dir)?;
    let (n, c) = i.expected;
    println!("{}: {}", i.name, i.description);
    println!("expected: {n} samples, {c} classes");
    if let Some(r) = i.rank {
        println!("clustering rank r = {r}");
    }
    let Some((dir, loaded)) = &i.loaded else {
        println!("(pass --data-dir or set $NMFNET_DATA to load it)");
        return Ok(());
    };
    match loaded {
        Loaded::Clustering { samples, features } => println!(
            "loaded from {}: {samples} samples × {features} features",
            dir.display()
        ),
        Loaded::Images {
            train,
            test,
            height,
            width,
        } => println!(
            "loaded from {}: {train} train + {test} test images of {height}×{width}",
            dir.display()
        ),
    }
    println!("class sizes: {:?}", i.class_sizes);
    Ok(())
}
