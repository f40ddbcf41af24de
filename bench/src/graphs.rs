//! `bench data` and `bench knn`: loading the clustering data sets and building their graphs,
//! and the exact neighbour search against the approximate (HNSW) one.

use crate::machine;
use crate::util::peak_rss_mb;
use anyhow::Result;
use std::path::Path;
use std::time::Instant;

/// Time to load each data set (checksums included) and to build its graph, with the peak
/// resident memory of the process so far.
pub fn load_and_graph(data_dir: Option<&Path>, datasets: &[String]) -> Result<()> {
    use nmfnet_datasets::catalog;
    let dir = catalog::data_dir(data_dir)?;
    println!(
        "{:>8} {:>9} {:>9} {:>10} {:>12}",
        "dataset", "load s", "graph s", "graph nnz", "peak RSS MB"
    );
    for name in datasets {
        let id = catalog::DatasetId::parse(name)?;
        let t = Instant::now();
        let d = catalog::load_cluster(id, &dir, catalog::LoadOptions::default())?;
        let load = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let g = d.graph()?;
        let graph = t.elapsed().as_secs_f64();
        println!(
            "{name:>8} {load:>9.2} {graph:>9.2} {:>10} {:>12.0}",
            g.nnz(),
            peak_rss_mb()
        );
    }
    Ok(())
}

/// Neighbour lists of `dataset`'s features: the exact blocked search against HNSW at each
/// `ef` and number of principal axes: time, ratio, recall@k of the graph's k and recall@7.
pub fn neighbours(
    data_dir: Option<&Path>,
    dataset: &str,
    ef: &[usize],
    dims: &[usize],
    seed: u64,
) -> Result<()> {
    use nmfnet_datasets::neighbours::{self as knn, hnsw as ann};
    use nmfnet_datasets::progress::no_progress;
    use nmfnet_datasets::{catalog, graph};
    let dir = catalog::data_dir(data_dir)?;
    println!("{}", machine::describe().markdown().trim());
    let d = catalog::load_cluster(
        catalog::DatasetId::parse(dataset)?,
        &dir,
        catalog::LoadOptions::default(),
    )?;
    let catalog::Features::Dense(z) = &d.features else {
        anyhow::bail!("{dataset}: the approximate search is for dense (image) features");
    };
    let n = z.nrows();
    // The lists SPEC §4's graph needs: its k neighbours, at least the 7th for the scale.
    let k = graph::neighbor_count(n).min(n - 1);
    let need = k.max(7);
    println!("{dataset}: n = {n}, d = {}, k = {k}", z.ncols());
    let t = Instant::now();
    let exact = knn::nearest_lists(z, need, &no_progress);
    let base = t.elapsed().as_secs_f64();
    println!("| search | seconds | exact / this | recall@{k} | recall@7 |\n|---|---|---|---|---|");
    println!("| exact (blocked GEMM) | {base:.2} | 1.00 | 1.0000 | 1.0000 |");
    for (dims, ef) in dims.iter().flat_map(|&d| ef.iter().map(move |&e| (d, e))) {
        let t = Instant::now();
        let params = ann::HnswParams { ef, seed, dims };
        let found = ann::approx_nearest_lists(z, need, params, &no_progress);
        let secs = t.elapsed().as_secs_f64();
        let axes = match dims {
            0 => "all axes".to_string(),
            d => format!("{d} axes"),
        };
        println!(
            "| hnsw ef {ef}, {axes} | {secs:.2} | {:.2} | {:.4} | {:.4} |",
            base / secs,
            ann::recall(&found, &exact, k),
            ann::recall(&found, &exact, 7)
        );
    }
    println!("peak RSS {:.0} MB", peak_rss_mb());
    Ok(())
}
