//! `bench gan`: one GAN-UNET training step (PCA disturbing, one discriminator and one generator
//! update on a batch of groups) and one single-group inference, next to the same layers in
//! PyTorch (`bench/python/ganunet.py`). Both sides use random 32×32 groups of 40 images; the
//! parameter counts of both models are compared, so that a change to one side's layers shows.

use crate::timing::gan_steps;
use crate::torch::{last_json_line, python};
use anyhow::{bail, Result};
use ganunet_burn::{DiscriminatorConfig, GeneratorConfig};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::Dense;
use nmfnet_train::tasks::ganunet::GanTrainingConfig;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Image side of the benchmark (MNIST padded to 32×32, as in training).
const SIDE: usize = 32;

/// The model sizes of one comparison.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub base: usize,
    pub disc_base: usize,
}

fn config(sizes: Sizes, batch: usize) -> GanTrainingConfig {
    GanTrainingConfig {
        generator: GeneratorConfig {
            base_channels: sizes.base,
            ..Default::default()
        },
        discriminator: Some(DiscriminatorConfig {
            base_channels: sizes.disc_base,
            ..Default::default()
        }),
        batch,
        ..Default::default()
    }
}

/// 10 classes × 40 random 32×32 images: ten class-balanced groups of 40 per epoch.
fn random_images() -> Result<ImageSet> {
    let n = 400;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let data = (0..n * SIDE * SIDE)
        .map(|_| crate::util::unit_f32(&mut state))
        .collect();
    Ok(ImageSet {
        images: Dense::new(n, SIDE * SIDE, data)?,
        height: SIDE,
        width: SIDE,
        labels: (0..n).map(|i| i % 10).collect(),
    })
}

struct Timing {
    ms_per_step: f64,
    ms_inference: f64,
    generator_params: usize,
    discriminator_params: usize,
    /// Mean milliseconds per step in each phase.
    phase_ms: Vec<(String, f64)>,
}

/// Medians of `steps` training steps and `4·steps` single-group inferences, after 2 warm-up
/// ones of each, on `backend`.
fn ours(backend: &str, cfg: GanTrainingConfig, steps: usize) -> Result<Timing> {
    let t = gan_steps(
        crate::util::choice(backend)?,
        cfg,
        &random_images()?,
        2,
        steps,
        4 * steps,
    )?;
    Ok(Timing {
        ms_per_step: 1e3 * crate::util::median(t.step_seconds),
        ms_inference: 1e3 * crate::util::median(t.inference_seconds),
        generator_params: t.generator_params,
        discriminator_params: t.discriminator_params,
        phase_ms: t
            .phase_seconds
            .into_iter()
            .map(|(p, s)| (p, 1e3 * s))
            .collect(),
    })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub batch: usize,
    pub impl_: String,
    pub ms_per_step: f64,
    pub ms_inference: f64,
    pub generator_params: usize,
    pub discriminator_params: usize,
    /// Step time over PyTorch's, same batch, same run.
    pub step_vs_torch: Option<f64>,
    /// Single-group inference time over PyTorch's.
    pub inference_vs_torch: Option<f64>,
    /// Mean milliseconds per step in each phase of the step (mean over the timed steps, so
    /// their sum is near but not equal to the median step time).
    pub phase_ms: Vec<(String, f64)>,
}

/// Prints what the GAN-UNET table shows and its header.
fn print_header(sizes: Sizes, steps: usize, threads: usize) {
    println!(
        "GAN-UNET (group 40, k = 10, 32×32, generator base {}, discriminator base {}), f32, {threads} threads: \
         training step (PCA + D update + G update) on a batch of groups, median of {steps} after 2 warm-up; \
         inference = one group through the generator in eval mode, median of {}",
        sizes.base,
        sizes.disc_base,
        4 * steps
    );
    println!(
        "{:>5} {:>10} {:>11} {:>9} {:>13} {:>9} {:>9} {:>9}",
        "batch", "impl", "ms/step", "vs torch", "ms/inference", "vs torch", "G params", "D params"
    );
}

/// PyTorch's timing of the same layers (`bench/python/ganunet.py`) on batches of `batch` groups.
fn torch_timing(
    python: &Path,
    sizes: Sizes,
    batch: usize,
    steps: usize,
    threads: usize,
) -> Result<Timing> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/ganunet.py");
    let out = Command::new(python)
        .arg(&script)
        .args(["--base", &sizes.base.to_string()])
        .args(["--disc-base", &sizes.disc_base.to_string()])
        .args(["--batch", &batch.to_string(), "--steps", &steps.to_string()])
        .args(["--threads", &threads.to_string()])
        .output()?;
    let v = last_json_line(&out, "pytorch ganunet")?;
    let num = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Ok(Timing {
        ms_per_step: num("ms_per_step"),
        ms_inference: num("ms_per_group_inference"),
        generator_params: num("generator_params") as usize,
        discriminator_params: num("discriminator_params") as usize,
        phase_ms: v["phase_ms"]
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, x)| Some((k.clone(), x.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// PyTorch's timing among `found`, if it ran.
fn torch_of(found: &[(String, Timing)]) -> Option<&Timing> {
    found.iter().find(|f| f.0 == "pytorch").map(|f| &f.1)
}

/// Fails when PyTorch's model (if it ran) has other parameter counts than ours (the first of
/// `found`).
fn check_same_model(found: &[(String, Timing)]) -> Result<()> {
    if let Some(t) = torch_of(found) {
        let ours = &found[0].1;
        if (ours.generator_params, ours.discriminator_params)
            != (t.generator_params, t.discriminator_params)
        {
            bail!(
                "the PyTorch model is not ours: parameters G {} / D {} vs ours {} / {}",
                t.generator_params,
                t.discriminator_params,
                ours.generator_params,
                ours.discriminator_params
            );
        }
    }
    Ok(())
}

/// The rows of one batch size, in the order of `found`, each printed as it is made.
fn batch_rows(batch: usize, found: &[(String, Timing)]) -> Vec<Row> {
    let torch = torch_of(found);
    let mut rows = Vec::new();
    for (name, t) in found {
        let row = Row {
            batch,
            impl_: name.clone(),
            ms_per_step: t.ms_per_step,
            ms_inference: t.ms_inference,
            generator_params: t.generator_params,
            discriminator_params: t.discriminator_params,
            step_vs_torch: torch.map(|p| t.ms_per_step / p.ms_per_step),
            inference_vs_torch: torch.map(|p| t.ms_inference / p.ms_inference),
            phase_ms: t.phase_ms.clone(),
        };
        let fmt = |x: Option<f64>| x.map_or("—".into(), |x| format!("{x:.2}"));
        println!(
            "{:>5} {:>10} {:>11.1} {:>9} {:>13.2} {:>9} {:>9} {:>9}",
            row.batch,
            row.impl_,
            row.ms_per_step,
            fmt(row.step_vs_torch),
            row.ms_inference,
            fmt(row.inference_vs_torch),
            row.generator_params,
            row.discriminator_params
        );
        rows.push(row);
    }
    rows
}

/// `bench gan`: for each batch size, every backend's step and inference times, then PyTorch's,
/// with the time per phase of the step.
pub fn compare(
    batches: &[usize],
    steps: usize,
    backends: &[String],
    sizes: Sizes,
) -> Result<Vec<Row>> {
    let py = python();
    if let Err(why) = &py {
        println!("PyTorch reference skipped: {why}. Our own numbers follow.");
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    print_header(sizes, steps, threads);
    let mut rows = Vec::new();
    for &batch in batches {
        let mut found = Vec::new();
        for b in backends {
            let t = ours(b, config(sizes, batch), steps)?;
            found.push((b.clone(), t));
        }
        if let Ok(p) = &py {
            found.push((
                "pytorch".into(),
                torch_timing(p, sizes, batch, steps, threads)?,
            ));
        }
        check_same_model(&found)?;
        rows.extend(batch_rows(batch, &found));
        print_phases(&found);
    }
    Ok(rows)
}

/// One line per phase of the step: milliseconds per step of each implementation, and the ratio
/// of the first to PyTorch's where both have the phase.
fn print_phases(found: &[(String, Timing)]) {
    let Some(first) = found.first() else { return };
    let torch = found.iter().find(|f| f.0 == "pytorch").map(|f| &f.1);
    println!(
        "      phase (ms per step)      {}",
        found
            .iter()
            .map(|f| format!("{:>10}", f.0))
            .collect::<String>()
    );
    for (phase, _) in &first.1.phase_ms {
        let cells: String = found
            .iter()
            .map(|f| {
                f.1.phase_ms
                    .iter()
                    .find(|p| &p.0 == phase)
                    .map_or(format!("{:>10}", "—"), |p| format!("{:>10.1}", p.1))
            })
            .collect();
        let ratio = torch
            .and_then(|t| t.phase_ms.iter().find(|p| &p.0 == phase))
            .and_then(|t| {
                let ours = first.1.phase_ms.iter().find(|p| &p.0 == phase)?.1;
                Some(format!("  {:.2}×", ours / t.1))
            })
            .unwrap_or_default();
        println!("      {phase:<24}{cells}{ratio}");
    }
}
