//! `bench front`: GAN-UNET against the classical solvers at equal error — both sides in one
//! run on the same fixed MNIST test groups (`nmfnet_app::gan::front`): the solvers' time–error
//! fronts, each trained generator's ε and time, and the speed-up at equal error (the time of
//! the fastest solver setting that reaches the generator's ε over the generator's; `bench all`
//! lists its inverse, generator / solver, against the target 0.2).

use anyhow::Result;
use nmfnet_app::gan::front::{gan_front, GanFrontJob, GanFrontSummary};
use std::path::{Path, PathBuf};

/// Where `nmfnet reproduce ganunet` leaves the MNIST models the front is drawn for.
pub const DEFAULT_MODELS: [&str; 2] = [
    "results/ganunet/cells/mnist/gan-unet-nnls-narrow",
    "results/ganunet/cells/mnist/gan-unet",
];

/// The trained models among `given` (or the defaults when none is given).
pub fn models(given: &[PathBuf]) -> Vec<PathBuf> {
    let candidates: Vec<PathBuf> = if given.is_empty() {
        DEFAULT_MODELS.iter().map(PathBuf::from).collect()
    } else {
        given.to_vec()
    };
    candidates
        .into_iter()
        .filter(|d| d.join("checkpoint.bin").is_file())
        .collect()
}

/// Runs the front on `groups` MNIST test groups.
pub fn run(
    data_dir: &Path,
    models: Vec<PathBuf>,
    groups: usize,
    quick: bool,
) -> Result<GanFrontSummary> {
    let mut req = GanFrontJob::new("mnist");
    req.data_dir = Some(data_dir.to_path_buf());
    req.groups = groups;
    req.models = models;
    req.run.progress = false;
    if quick {
        req.iterations = vec![1, 2, 5];
        req.timed_passes = 1;
        req.batch = if groups == 0 { 4 } else { groups.min(4) };
        req.refine = vec![0, 1];
    }
    let s = gan_front(&req)?;
    println!(
        "GAN-UNET at equal error, mnist, {} test groups, {} threads (speed-up = fastest solver time reaching the generator's ε / generator time; > 1: the generator is faster)",
        s.groups, s.threads
    );
    for e in &s.equal_error {
        println!("  {}", e.describe());
    }
    Ok(s)
}
