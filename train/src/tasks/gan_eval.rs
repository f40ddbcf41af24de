//! A trained generator's error ε on class-balanced groups of a data set (inference only).

use crate::tasks::ganunet::PaddedImages;
use crate::tasks::transfer::to_device;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use ganunet_burn::{balanced_groups, group_error, reconstruct, Generator, GeneratorConfig};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::Dense;

/// The fixed evaluation groups of a split: every class-balanced group of 40, drawn with seed 0
/// whatever the training seed (the generator and the classical baselines use the same ones).
pub fn fixed_groups(set: &ImageSet) -> anyhow::Result<Vec<Vec<usize>>> {
    Ok(balanced_groups(
        &set.labels,
        GeneratorConfig::default().group,
        0,
    )?)
}

/// Which groups [`evaluate`] factorises and how.
#[derive(Clone, Copy, Debug)]
pub struct EvalSpec {
    /// Seed of the class-balanced groups (0 = the fixed groups every report uses).
    pub seed: u64,
    /// > 0 keeps the first `limit` groups.
    pub limit: usize,
    /// Groups per forward pass (BatchNorm uses its running statistics, so batching does not
    /// change the result, only the speed).
    pub batch: usize,
    /// Rounds of alternating HALS after the forward pass ([`Generator::factorize`]); 0 = the
    /// paper's single forward pass.
    pub refine: usize,
    /// Timed passes over all groups (at least 1); the fastest counts. Millisecond passes on a
    /// shared CPU are noisy: [`TIMED_PASSES`] where the time is reported, 1 where only the
    /// error is needed.
    pub timed_passes: usize,
}

/// Timed passes where [`evaluate`]'s time is a reported figure.
pub const TIMED_PASSES: usize = 3;

impl EvalSpec {
    /// All groups of seed 0, one per pass, no refinement, timed as reported figures are.
    pub fn fixed() -> Self {
        Self {
            seed: 0,
            limit: 0,
            batch: 1,
            refine: 0,
            timed_passes: TIMED_PASSES,
        }
    }
}

/// The generator's error ε on class-balanced groups (inference, no autodiff). Returns (mean ε,
/// groups, seconds per group); the timing follows one untimed warm-up pass, is the fastest of
/// `spec.timed_passes` passes over all groups and includes the refinement rounds.
pub fn evaluate<B: AutodiffBackend>(
    generator: &Generator<B>,
    set: &ImageSet,
    cfg: &GeneratorConfig,
    spec: EvalSpec,
    device: &B::Device,
) -> anyhow::Result<(f64, usize, f64)> {
    let EvalSpec {
        seed,
        limit,
        batch,
        refine,
        timed_passes,
    } = spec;
    let data = PaddedImages::new(set, cfg)?;
    let mut groups = balanced_groups(&data.labels, cfg.group, seed)?;
    if limit > 0 {
        groups.truncate(limit);
    }
    let g = generator.valid();
    let pass =
        |chunk: &[Vec<usize>]| -> anyhow::Result<f64> {
            let refs: Vec<&Vec<usize>> = chunk.iter().collect();
            let host = data.batch(&refs);
            let y = to_device::<B::InnerBackend>(&Dense::new(1, host.len(), host)?, device)
                .reshape([chunk.len(), cfg.group, data.side, data.side]);
            let (h, w) = g.factorize(y.clone(), refine);
            Ok(group_error(data.crop(reconstruct(h, w)), data.crop(y))
                .sum()
                .into_scalar()
                .elem::<f64>())
        };
    // One untimed pass at the timed shape first: GPU backends compile (and autotune) their
    // kernels on first use, which is not the cost of factorising a group.
    if let Some(first) = groups.chunks(batch.max(1)).next() {
        pass(first)?;
    }
    let mut best = f64::INFINITY;
    let mut total = 0.0;
    for _ in 0..timed_passes.max(1) {
        let started = std::time::Instant::now();
        total = 0.0;
        for chunk in groups.chunks(batch.max(1)) {
            total += pass(chunk)?;
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    let secs = best / groups.len() as f64;
    Ok((total / groups.len() as f64, groups.len(), secs))
}
