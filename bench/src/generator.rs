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

/// Floating-point operations per group of each stage, in forward order, named as
/// [`ganunet_burn::Stage`] prints them (2 per multiply-add; the convolutions' and products'
/// arithmetic only, not the norms or activations).
pub fn stage_flops(cfg: &GeneratorConfig, side: usize) -> Vec<(String, f64)> {
    let l = cfg.levels.max(1);
    let ch = |i: usize| cfg.channels(i) as f64;
    let mut v = Vec::new();
    for i in 0..l {
        let cin = if i == 0 { cfg.group as f64 } else { ch(i - 1) };
        let out_side = (side >> (i + 1)) as f64;
        v.push((
            format!("down {}", i + 1),
            2.0 * out_side * out_side * cin * ch(i) * 16.0,
        ));
    }
    v.push((
        "W head".into(),
        2.0 * ch(l - 1) * (cfg.k * cfg.group) as f64,
    ));
    for j in (0..l.saturating_sub(1)).rev() {
        let cin = if j + 2 == l {
            ch(l - 1)
        } else {
            2.0 * ch(j + 1)
        };
        let in_side = (side >> (j + 2)) as f64;
        v.push((
            format!("up {}", j + 1),
            2.0 * in_side * in_side * cin * ch(j) * 16.0,
        ));
    }
    let head_in = if l == 1 { ch(0) } else { 2.0 * ch(0) };
    let half = (side / 2) as f64;
    v.push((
        "H head".into(),
        2.0 * half * half * head_in * cfg.k as f64 * 16.0,
    ));
    if cfg.nnls_sweeps > 0 {
        let (p, k, m) = ((side * side) as f64, cfg.k as f64, cfg.group as f64);
        // G = HᵀH and C = HᵀY once, then per sweep k rows of G_j·W.
        let sweeps = cfg.nnls_sweeps as f64;
        v.push((
            "NNLS layer".into(),
            2.0 * p * k * k + 2.0 * p * k * m + sweeps * k * 2.0 * k * m,
        ));
    }
    v
}

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
    let forms = sweeps_forms
        .iter()
        .map(|f| match f.as_str() {
            "host" => Ok(ganunet_burn::Sweeps::Host),
            "tensor" => Ok(ganunet_burn::Sweeps::Tensor),
            other => anyhow::bail!("unknown sweeps form '{other}' (host, tensor)"),
        })
        .collect::<Result<Vec<_>>>()?;
    for b in backends {
        for &width in widths {
            for &sweeps in nnls {
                for (&how, form) in forms.iter().zip(sweeps_forms) {
                    if sweeps == 0 && form != &sweeps_forms[0] {
                        continue; // no sweeps in the pass: the forms are the same pass
                    }
                    for &batch in batches {
                        let cfg = GeneratorConfig {
                            base_channels: width,
                            max_channels: 8 * width,
                            nnls_sweeps: sweeps,
                            ..Default::default()
                        };
                        let t = nmfnet_app::timing::generator_laps(
                            crate::choice(b)?,
                            cfg.clone(),
                            how,
                            batch,
                            SIDE,
                            3,
                            reps,
                        )?;
                        let per = |s: Vec<f64>| 1e3 * crate::median(s) / batch as f64;
                        let flops = stage_flops(&cfg, SIDE);
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
                        let row = Row {
                            backend: b.clone(),
                            sweeps: form.clone(),
                            width,
                            nnls_sweeps: sweeps,
                            batch,
                            mflop_per_group: flops.iter().map(|f| f.1).sum::<f64>() / 1e6,
                            ms_per_group: per(t.whole),
                            refine_round_ms_per_group: per(t.refine_round),
                            stages,
                        };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-stage counts against a hand count, totals against an independent count (the README
    /// quotes 199 MFLOP at width 64, 18.4 at 16, 6.6 at 8).
    #[test]
    fn arithmetic_of_the_widths() {
        let total = |w: usize, s: usize| {
            let cfg = GeneratorConfig {
                base_channels: w,
                max_channels: 8 * w,
                nnls_sweeps: s,
                ..Default::default()
            };
            stage_flops(&cfg, SIDE).iter().map(|f| f.1).sum::<f64>() / 1e6
        };
        // Hand count at width 16, no NNLS layer: down 1 = 2·16²·40·16·16 = 5.24 MFLOP.
        let cfg = GeneratorConfig {
            base_channels: 16,
            max_channels: 128,
            ..Default::default()
        };
        let f = stage_flops(&cfg, SIDE);
        assert_eq!(f[0].0, "down 1");
        assert!((f[0].1 - 2.0 * 256.0 * 40.0 * 16.0 * 16.0).abs() < 1e-6);
        assert_eq!(f.len(), 5 + 1 + 4 + 1);
        // Totals, counted independently (a short Python loop over the same shapes).
        for (w, s, want) in [
            (8, 0, 6.605),
            (16, 0, 18.452),
            (64, 0, 199.639),
            (16, 10, 19.556),
        ] {
            assert!(
                (total(w, s) - want).abs() < 1e-3,
                "width {w}, sweeps {s}: {}",
                total(w, s)
            );
        }
    }
}
