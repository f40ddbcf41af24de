//! Helpers every benchmark shares: peak memory, backend names, seeded inputs, medians, the GEMM
//! floors.

use anyhow::Result;
use nmfnet_app::BackendKind;
use std::time::Instant;

/// Peak resident set size of this process (Linux `VmHWM`), in MB; NaN elsewhere.
pub(crate) fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

pub(crate) fn choice(name: &str) -> Result<BackendKind> {
    Ok(match name {
        "flex" => BackendKind::Flex,
        "ndarray" => BackendKind::Ndarray,
        "wgpu" => BackendKind::Wgpu,
        other => anyhow::bail!("unknown backend '{other}' (flex, ndarray, wgpu)"),
    })
}

/// The next value in [0, 1) of a xorshift stream (benchmark inputs: cheap, seeded, the same on
/// every run).
pub(crate) fn unit_f32(state: &mut u64) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 40) as f32 / (1u64 << 24) as f32
}

/// Median of a non-empty sample.
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds of `X·U` (n×n times n×r) on a Burn backend (`crate::timing::gemm`).
pub(crate) fn backend_gemm_seconds(backend: &str, n: usize, r: usize, reps: usize) -> Result<f64> {
    Ok(median(crate::timing::gemm(choice(backend)?, n, r, reps)?))
}

/// Median seconds of `X·U` with faer (all threads), in f32 or f64.
pub(crate) fn faer_gemm_seconds<T: faer::traits::RealField + From<f32> + Copy>(
    n: usize,
    r: usize,
    reps: usize,
) -> f64 {
    use faer::linalg::matmul::matmul;
    let x = faer::Mat::<T>::from_fn(n, n, |i, j| {
        T::from(((i * 7 + j * 13) % 101) as f32 / 101.0)
    });
    let u = faer::Mat::<T>::from_fn(n, r, |i, j| T::from(((i * 3 + j * 5) % 89) as f32 / 89.0));
    let mut out = faer::Mat::<T>::zeros(n, r);
    let par = faer::Par::rayon(0);
    let mut product = || {
        matmul(
            out.as_mut(),
            faer::Accum::Replace,
            x.as_ref(),
            u.as_ref(),
            T::from(1.0),
            par,
        );
        std::hint::black_box(&out);
    };
    product(); // warm-up
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                product();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}
