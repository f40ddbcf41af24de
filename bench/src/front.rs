//! `bench front`: GAN-UNET against the classical solvers at equal error — both sides in one
//! run on the same fixed MNIST test groups (`nmfnet_app::gan::front`): the solvers' time–error
//! fronts, each trained generator's ε and time, and the ratio of the generator's time to the
//! fastest solver setting that reaches its ε (below 1 the generator is faster).

use anyhow::Result;
use nmfnet_app::gan::front::{gan_front, GanFrontRequest, GanFrontSummary};
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
    let mut req = GanFrontRequest::new("mnist");
    req.data_dir = Some(data_dir.to_path_buf());
    req.groups = groups;
    req.models = models;
    req.progress = false;
    if quick {
        req.iterations = vec![1, 2, 5];
        req.timed_passes = 1;
        req.batch = if groups == 0 { 4 } else { groups.min(4) };
        req.refine = vec![0, 1];
    }
    let s = gan_front(&req)?;
    println!(
        "GAN-UNET at equal error, mnist, {} test groups, {} threads (generator time / fastest solver time reaching its ε; < 1: the generator is faster)",
        s.groups, s.threads
    );
    for e in &s.equal_error {
        match (&e.solver, e.speedup) {
            (Some(r), Some(x)) => println!(
                "  {} refine {} {:7}: ε {:.3} in {:.3} ms vs {} from {} × {} it ({:.3}, {:.3} ms): ratio {:.2}",
                e.model.display(),
                e.refine,
                e.mode.name(),
                e.generator_error,
                1e3 * e.generator_seconds_per_group,
                r.method.name(),
                r.init.name(),
                r.iterations,
                r.error,
                1e3 * r.seconds_per_group,
                1.0 / x
            ),
            _ => println!(
                "  {} refine {} {:7}: ε {:.3} in {:.3} ms; no solver setting reaches it",
                e.model.display(),
                e.refine,
                e.mode.name(),
                e.generator_error,
                1e3 * e.generator_seconds_per_group
            ),
        }
    }
    Ok(s)
}
