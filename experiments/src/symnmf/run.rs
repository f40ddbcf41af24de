//! Running the cells of the SymNMF-Net reproduction that have not finished yet, then the report.

use super::cells::{cells, done, Cell, SymnmfOptions, FAIR_DATASETS};
use super::report::report;
use anyhow::{bail, Context};
use nmfnet_app::cluster::cluster;
use nmfnet_datasets::io::atomic_write;
use nmfnet_train::progress::cell_bar;
use nmfnet_train::runtime::rundir::{Mode, RunDir};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn run_cell(cell: &Cell, data_dir: &Path, out: &Path) -> anyhow::Result<()> {
    let job = cell.job(data_dir, out);
    let dir = cell.dir(out);
    // The cell is not done: whatever an interrupted attempt left goes (the folder belongs to
    // this reproduction), and the cell runs fresh. It is done once its summary and its identity
    // (cell.json, written last) are both there.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let t = Instant::now();
    cluster(&job).with_context(|| format!("cell {}", dir.display()))?;
    // The wall time goes beside the results (times.md), never into them.
    atomic_write(
        &dir.join("wall.json"),
        serde_json::to_string(&serde_json::json!({"seconds": t.elapsed().as_secs_f64()}))?
            .as_bytes(),
    )?;
    atomic_write(
        &dir.join("cell.json"),
        serde_json::to_string_pretty(&cell.identity())?.as_bytes(),
    )?;
    Ok(())
}

/// `nmfnet reproduce symnmf`: runs the cells not finished yet, then writes the report.
pub fn symnmf(opts: &SymnmfOptions) -> anyhow::Result<()> {
    let data_dir = nmfnet_datasets::catalog::data_dir(opts.data_dir.as_deref())?;
    let out = opts.out.clone().unwrap_or_else(|| {
        PathBuf::from(if opts.quick {
            "results/symnmf-quick"
        } else {
            "results/symnmf"
        })
    });
    if opts.seeds == 0 {
        bail!("`seeds` must be at least 1");
    }
    if let Some(ds) = &opts.datasets {
        for d in ds {
            if !FAIR_DATASETS.contains(&d.as_str()) {
                bail!(
                    "unknown clustering data set {d:?} ({})",
                    FAIR_DATASETS.join(", ")
                );
            }
        }
    }
    let mut run = RunDir::open(&out, "reproduce-symnmf", Mode::Continue, &[&data_dir])?;
    run.claim(&["cells"])?;
    let all = cells(opts);
    let todo: Vec<&Cell> = all.iter().filter(|c| !done(c, &out)).collect();
    if !opts.report_only && !todo.is_empty() {
        let bar = cell_bar(todo.len(), opts.quiet);
        println!(
            "{} of {} cells to run ({} finished earlier) → {}",
            todo.len(),
            all.len(),
            all.len() - todo.len(),
            out.display()
        );
        for c in &todo {
            let method = c.method.name();
            bar.set_message(format!(
                "{} {} {method}{} seed {}",
                c.side.name(),
                c.dataset,
                if c.tag.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", c.tag)
                },
                c.seed
            ));
            let t = Instant::now();
            run_cell(c, &data_dir, &out)?;
            bar.println(format!(
                "  {} {} {method} {} seed {}: {:.1} s",
                c.side.name(),
                c.dataset,
                c.tag,
                c.seed,
                t.elapsed().as_secs_f64()
            ));
            bar.inc(1);
        }
        bar.finish_and_clear();
    }
    report(&all, &out, opts)?;
    run.claim_present()?;
    run.commit()?;
    Ok(())
}
