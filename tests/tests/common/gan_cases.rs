//! Cases for GAN-UNET's HALS layers on every backend: the NNLS layer of the W head and the
//! inference-time alternating refinement against an independent HALS on plain arrays (f64),
//! and the refinement run after a generator's forward pass.

use burn::tensor::Tensor;
use ganunet_burn::nnls::{
    hals_alternate, hals_alternate_with, hals_refine, hals_refine_with, Sweeps,
};
use ganunet_burn::{reconstruct, GeneratorConfig};
use nmfnet_tests::{host, max_diff, tensor, Target};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use symnmf_burn::SymNmfAutodiffBackend;

/// HALS' guard on a dead basis image, as in `ganunet_burn::nnls`.
const FLOOR: f64 = 1e-8;

fn uniform(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random::<f64>()).collect()
}

/// One HALS sweep over the rows of W (k × m) given H (p × k) and Y (p × m), row-major, written
/// from the textbook update `W_j ← max(0, W_j + (HᵀY − HᵀH W)_j / (HᵀH)_jj)`.
fn reference_w_sweep(h: &[f64], w: &mut [f64], y: &[f64], p: usize, k: usize, m: usize) {
    for j in 0..k {
        let hth: Vec<f64> = (0..k)
            .map(|l| (0..p).map(|r| h[r * k + l] * h[r * k + j]).sum())
            .collect();
        for c in 0..m {
            let hty: f64 = (0..p).map(|r| h[r * k + j] * y[r * m + c]).sum();
            let gw: f64 = (0..k).map(|l| hth[l] * w[l * m + c]).sum();
            w[j * m + c] = (w[j * m + c] + (hty - gw) / (hth[j] + FLOOR)).max(0.0);
        }
    }
}

/// One HALS sweep over the columns of H given W: the W sweep of the transposed problem.
fn reference_h_sweep(h: &mut [f64], w: &[f64], y: &[f64], p: usize, k: usize, m: usize) {
    for j in 0..k {
        let wwt: Vec<f64> = (0..k)
            .map(|l| (0..m).map(|c| w[l * m + c] * w[j * m + c]).sum())
            .collect();
        for r in 0..p {
            let ywt: f64 = (0..m).map(|c| y[r * m + c] * w[j * m + c]).sum();
            let hw: f64 = (0..k).map(|l| h[r * k + l] * wwt[l]).sum();
            h[r * k + j] = (h[r * k + j] + (ywt - hw) / (wwt[j] + FLOOR)).max(0.0);
        }
    }
}

/// `hals_refine` (W sweeps) and `hals_alternate` (H then W per round), in both forms (tensor
/// operations; host sweeps), against the plain-array reference, two groups in one batch.
/// Tolerance: a few sweeps of k-term sums of O(1) values, relative 1e-4 in f32 and 1e-9 in f64
/// (the host sweeps are f32 on every backend).
pub fn hals_layers_match_reference<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let (p, k, m) = (24, 4, 7);
    let batch = 2;
    let (h0, w0, y) = (
        uniform(batch * p * k, 1),
        uniform(batch * k * m, 2),
        uniform(batch * p * m, 3),
    );
    let tol = if target.eps() > 1e-10 { 1e-4 } else { 1e-9 };
    let t =
        |v: &Vec<f64>, shape: [usize; 3]| tensor::<B::InnerBackend, 3>(v.clone(), shape, device);
    let sweeps = 3;
    let got_w = host(hals_refine(
        t(&h0, [batch, p, k]),
        t(&y, [batch, p, m]),
        t(&w0, [batch, k, m]),
        sweeps,
    ));
    let (got_h2, got_w2) = hals_alternate(
        t(&h0, [batch, p, k]),
        t(&y, [batch, p, m]),
        t(&w0, [batch, k, m]),
        sweeps,
    );
    let (got_h2, got_w2) = (host(got_h2), host(got_w2));
    // The inference form: products on the backend, row updates on the host (f32 there).
    let host_w = host(hals_refine_with(
        t(&h0, [batch, p, k]),
        t(&y, [batch, p, m]),
        t(&w0, [batch, k, m]),
        sweeps,
        Sweeps::Host,
    ));
    let (host_h2, host_w2) = hals_alternate_with(
        t(&h0, [batch, p, k]),
        t(&y, [batch, p, m]),
        t(&w0, [batch, k, m]),
        sweeps,
        Sweeps::Host,
    );
    let (host_h2, host_w2) = (host(host_h2), host(host_w2));
    let (mut want_w, mut want_h2, mut want_w2) = (w0.clone(), h0.clone(), w0.clone());
    for b in 0..batch {
        let (hs, ws, ys) = (
            b * p * k..(b + 1) * p * k,
            b * k * m..(b + 1) * k * m,
            b * p * m..(b + 1) * p * m,
        );
        for _ in 0..sweeps {
            reference_w_sweep(
                &h0[hs.clone()],
                &mut want_w[ws.clone()],
                &y[ys.clone()],
                p,
                k,
                m,
            );
            reference_h_sweep(
                &mut want_h2[hs.clone()],
                &want_w2[ws.clone()],
                &y[ys.clone()],
                p,
                k,
                m,
            );
            reference_w_sweep(
                &want_h2[hs.clone()],
                &mut want_w2[ws.clone()],
                &y[ys.clone()],
                p,
                k,
                m,
            );
        }
    }
    for (name, got, want, tol) in [
        ("NNLS layer W", &got_w, &want_w, tol),
        ("refined H", &got_h2, &want_h2, tol),
        ("refined W", &got_w2, &want_w2, tol),
        // The host sweeps are f32 on every backend.
        ("NNLS layer W, host sweeps", &host_w, &want_w, 1e-4),
        ("refined H, host sweeps", &host_h2, &want_h2, 1e-4),
        ("refined W, host sweeps", &host_w2, &want_w2, 1e-4),
    ] {
        let scale = want.iter().fold(1.0f64, |s, v| s.max(v.abs()));
        let d = max_diff(got, want);
        assert!(
            d <= tol * scale,
            "{name}: max difference {d} (scale {scale})"
        );
    }
}

/// A small generator's forward pass followed by refinement rounds: factors stay ≥ 0 and the
/// error of HW never rises with more rounds (HALS is exact coordinate descent).
pub fn generator_refinement_lowers_the_error<B: SymNmfAutodiffBackend>(
    device: &B::Device,
    target: Target,
) {
    let cfg = GeneratorConfig {
        group: 8,
        k: 3,
        base_channels: 4,
        max_channels: 8,
        levels: 3,
        ..Default::default()
    };
    let g = cfg.init::<B::InnerBackend>(device).expect("valid config");
    let x = tensor::<B::InnerBackend, 4>(uniform(2 * 8 * 8 * 8, 4), [2, 8, 8, 8], device);
    let rounds: &[usize] = if target.slow_ops {
        &[0, 1, 3]
    } else {
        &[0, 1, 3, 10]
    };
    let mut last = f64::INFINITY;
    for &r in rounds {
        let (h, w) = g.factorize(x.clone(), r);
        assert!(host(h.clone())
            .iter()
            .chain(host(w.clone()).iter())
            .all(|v| *v >= 0.0));
        let err: Tensor<B::InnerBackend, 1> = (reconstruct(h, w) - x.clone()).square().sum();
        let err = host(err)[0];
        assert!(
            err.is_finite() && err <= last * (1.0 + 1e-4),
            "rounds {r}: {last} → {err}"
        );
        last = err;
    }
}
