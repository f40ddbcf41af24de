//! `bench generator`: where a GAN-UNET generator's forward pass spends its time — each stage
//! (encoder levels, W head, decoder levels, H head, NNLS layer) timed with the device
//! synchronised between stages, beside its arithmetic (multiply-adds counted from the layer
//! shapes), at several widths, with and without the NNLS layer, one group or a batch per call.
//! It explains the equal-error fronts of `gan front`: a forward pass costs what its slowest
//! stages cost, not what its arithmetic would at the machine's GEMM rate.

use anyhow::Result;
use ganunet_burn::GeneratorConfig;
use serde::Serialize;

/// Image side of the benchmark (MNIST and Fashion padded to 32×32, as in training).
const SIDE: usize = 32;

#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub stage: String,
    pub mflop_per_group: f64,
    pub ms_per_group: f64,
    pub gflops: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub backend: String,
    /// Where the HALS sweeps ran: host (inference) or tensor (as in training).
    pub sweeps: String,
    pub width: usize,
    pub nnls_sweeps: usize,
    pub batch: usize,
    pub stages: Vec<StageRow>,
    /// The pass without the clock between stages, ms per group.
    pub ms_per_group: f64,
    pub mflop_per_group: f64,
    /// One round of alternating HALS after the pass, ms per group.
    pub refine_round_ms_per_group: f64,
}

/// The HALS sweep forms named in `sweeps_forms` (host, tensor).
fn parse_forms(sweeps_forms: &[String]) -> Result<Vec<ganunet_burn::Sweeps>> {
    sweeps_forms
        .iter()
        .map(|f| match f.as_str() {
            "host" => Ok(ganunet_burn::Sweeps::Host),
            "tensor" => Ok(ganunet_burn::Sweeps::Tensor),
            other => anyhow::bail!("unknown sweeps form '{other}' (host, tensor)"),
        })
        .collect()
}

/// One setting's row: the generator of `width` with `sweeps` NNLS sweeps run in `how` (named
/// `form`) on `backend`, `batch` groups per call, median of `reps` passes after 3 warm-up.
fn measure(
    backend: &str,
    width: usize,
    sweeps: usize,
    how: ganunet_burn::Sweeps,
    form: &str,
    batch: usize,
    reps: usize,
) -> Result<Row> {
    let cfg = GeneratorConfig {
        base_channels: width,
        max_channels: 8 * width,
        nnls_sweeps: sweeps,
        ..Default::default()
    };
    let t = crate::timing::generator_laps(
        crate::util::choice(backend)?,
        cfg.clone(),
        how,
        batch,
        SIDE,
        3,
        reps,
    )?;
    let per = |s: Vec<f64>| 1e3 * crate::util::median(s) / batch as f64;
    let flops: Vec<(String, f64)> = cfg
        .stage_flops(SIDE)
        .into_iter()
        .map(|(stage, f)| (stage.to_string(), f))
        .collect();
    let stages: Vec<StageRow> = t
        .stages
        .into_iter()
        .map(|(stage, secs)| {
            let f = flops.iter().find(|f| f.0 == stage).map_or(0.0, |f| f.1);
            let ms = per(secs);
            StageRow {
                stage,
                mflop_per_group: f / 1e6,
                ms_per_group: ms,
                gflops: f / (ms * 1e6),
            }
        })
        .collect();
    Ok(Row {
        backend: backend.to_string(),
        sweeps: form.to_string(),
        width,
        nnls_sweeps: sweeps,
        batch,
        mflop_per_group: flops.iter().map(|f| f.1).sum::<f64>() / 1e6,
        ms_per_group: per(t.whole),
        refine_round_ms_per_group: per(t.refine_round),
        stages,
    })
}

/// `bench generator`: every backend, width, NNLS sweep count, sweep form and batch size, each
/// setting's stages printed as it is measured.
pub fn run(
    backends: &[String],
    sweeps_forms: &[String],
    widths: &[usize],
    nnls: &[usize],
    batches: &[usize],
    reps: usize,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    println!(
        "GAN-UNET generator forward pass (group 40, k = 10, {SIDE}×{SIDE}, 5 levels, eval mode), \
         f32, {} threads; median of {reps} passes after 3 warm-up; stages timed with the device \
         synchronised after each",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let forms = parse_forms(sweeps_forms)?;
    for b in backends {
        for &width in widths {
            for &sweeps in nnls {
                for (&how, form) in forms.iter().zip(sweeps_forms) {
                    if sweeps == 0 && form != &sweeps_forms[0] {
                        continue; // no sweeps in the pass: the forms are the same pass
                    }
                    for &batch in batches {
                        let row = measure(b, width, sweeps, how, form, batch, reps)?;
                        print(&row);
                        rows.push(row);
                    }
                }
            }
        }
    }
    Ok(rows)
}

fn print(r: &Row) {
    let staged: f64 = r.stages.iter().map(|s| s.ms_per_group).sum();
    println!(
        "\n{} width {} (max {}), NNLS sweeps {} ({} form), {} group(s) per call: {:.3} ms per \
         group ({:.1} MFLOP, {:.1} GFLOP/s); stages sum to {:.3} ms; one refinement round {:.3} ms",
        r.backend,
        r.width,
        8 * r.width,
        r.nnls_sweeps,
        r.sweeps,
        r.batch,
        r.ms_per_group,
        r.mflop_per_group,
        r.mflop_per_group / r.ms_per_group,
        staged,
        r.refine_round_ms_per_group
    );
    println!("| stage | MFLOP per group | ms per group | share | GFLOP/s |\n|---|---|---|---|---|");
    for s in &r.stages {
        println!(
            "| {} | {:.2} | {:.3} | {:.0} % | {:.1} |",
            s.stage,
            s.mflop_per_group,
            s.ms_per_group,
            100.0 * s.ms_per_group / staged,
            s.gflops
        );
    }
}
