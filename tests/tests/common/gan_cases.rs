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

/// One 4×4, stride-2, padding-1 layer of the U-Net in plain f64 loops: the forward value and
/// the gradients of `⟨r, y⟩` with respect to the input and the weights. `transposed` is the
/// up-sampling layer (weights [c_in, c_out, 4, 4], input side `side`, output `2 side`);
/// otherwise the down-sampling one (weights [c_out, c_in, 4, 4], output `side / 2`).
struct LayerRef {
    y: Vec<f64>,
    gx: Vec<f64>,
    gw: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn layer_reference(
    x: &[f64],
    w: &[f64],
    r: &[f64],
    batch: usize,
    cin: usize,
    cout: usize,
    side: usize,
    transposed: bool,
) -> LayerRef {
    let (s, p, kk) = (2usize, 1isize, 4usize);
    let out = if transposed { side * 2 } else { side / 2 };
    let mut y = vec![0.0; batch * cout * out * out];
    let mut gx = vec![0.0; x.len()];
    let mut gw = vec![0.0; w.len()];
    // Each (input pixel, output pixel, tap) triple the layer connects, visited once; the
    // down layer reads input (oh·s + kh − p), the up layer writes output (ih·s + kh − p).
    for b in 0..batch {
        for o in 0..cout {
            for i in 0..cin {
                for kh in 0..kk {
                    for kw in 0..kk {
                        let wi = if transposed {
                            ((i * cout + o) * kk + kh) * kk + kw
                        } else {
                            ((o * cin + i) * kk + kh) * kk + kw
                        };
                        let (small, big) = if transposed { (side, out) } else { (out, side) };
                        for a in 0..small {
                            let bh = (a * s + kh) as isize - p;
                            if bh < 0 || bh >= big as isize {
                                continue;
                            }
                            for c in 0..small {
                                let bw = (c * s + kw) as isize - p;
                                if bw < 0 || bw >= big as isize {
                                    continue;
                                }
                                let (bh, bw) = (bh as usize, bw as usize);
                                // (input pixel, output pixel)
                                let ((ih, iw), (oh, ow)) = if transposed {
                                    ((a, c), (bh, bw))
                                } else {
                                    ((bh, bw), (a, c))
                                };
                                let xi = ((b * cin + i) * side + ih) * side + iw;
                                let yi = ((b * cout + o) * out + oh) * out + ow;
                                y[yi] += x[xi] * w[wi];
                                gx[xi] += r[yi] * w[wi];
                                gw[wi] += r[yi] * x[xi];
                            }
                        }
                    }
                }
            }
        }
    }
    LayerRef { y, gx, gw }
}

/// The U-Net's convolutions (down: 4×4 stride 2 conv; up: its transpose) and their input and
/// weight gradients against plain loops, at more output positions than one GEMM tile of a
/// tiled kernel holds (676 = 4 · 13² for the down layer; 36 · 16 for a weight gradient, which
/// Burn computes as a convolution with batch and channel axes swapped), and at the U-Net's
/// innermost 2×2 → 1×1 → 2×2 sizes.
pub fn convolutions_match_reference<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    use burn::tensor::module::{conv2d, conv_transpose2d};
    use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
    let tol = if target.eps() > 1e-10 { 1e-4 } else { 1e-10 };
    // (batch, c_in, c_out, input side, transposed)
    let cases: &[(usize, usize, usize, usize, bool)] = &[
        (4, 36, 5, 26, false),
        (3, 6, 36, 2, false),
        (4, 5, 36, 13, true),
        (3, 36, 6, 1, true),
    ];
    for (n, &(batch, cin, cout, side, transposed)) in cases.iter().enumerate() {
        let out = if transposed { side * 2 } else { side / 2 };
        let seed = 10 + 3 * n as u64;
        let x = uniform(batch * cin * side * side, seed);
        let w: Vec<f64> = uniform(cin * cout * 16, seed + 1)
            .iter()
            .map(|v| v - 0.5)
            .collect();
        let r: Vec<f64> = uniform(batch * cout * out * out, seed + 2)
            .iter()
            .map(|v| v - 0.5)
            .collect();
        let want = layer_reference(&x, &w, &r, batch, cin, cout, side, transposed);
        let xt = tensor::<B, 4>(x.clone(), [batch, cin, side, side], device).require_grad();
        let wshape = if transposed {
            [cin, cout, 4, 4]
        } else {
            [cout, cin, 4, 4]
        };
        let wt = tensor::<B, 4>(w.clone(), wshape, device).require_grad();
        let y = if transposed {
            conv_transpose2d(
                xt.clone(),
                wt.clone(),
                None,
                ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
            )
        } else {
            conv2d(
                xt.clone(),
                wt.clone(),
                None,
                ConvOptions::new([2, 2], [1, 1], [1, 1], 1),
            )
        };
        assert_eq!(y.dims(), [batch, cout, out, out], "case {n}");
        let rt = tensor::<B, 4>(r.clone(), [batch, cout, out, out], device);
        let grads = (y.clone() * rt).sum().backward();
        let got_y = host(y);
        let got_gx = host(xt.grad(&grads).expect("input gradient"));
        let got_gw = host(wt.grad(&grads).expect("weight gradient"));
        for (what, got, want) in [
            ("value", &got_y, &want.y),
            ("input gradient", &got_gx, &want.gx),
            ("weight gradient", &got_gw, &want.gw),
        ] {
            let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let d = max_diff(got, want);
            assert!(
                d <= tol * scale,
                "case {n} ({batch}×{cin}→{cout}, side {side}, transposed {transposed}): {what} off by {d} (scale {scale})"
            );
        }
    }
}
