//! Cases for batched NMF (`symnmf_burn::nmf_batch`) on every backend: each replicate of a batch
//! is the replicate run alone (same backend; bit for bit on flex), the batched iterates follow the host f64 solvers
//! (MU, and HALS as scikit-learn's coordinate descent) from the same start, and the stop rule
//! holds each replicate where it would have stopped alone.

use nmfnet_baselines::nmf::{nmf_from, NmfMethod, NmfParams, NmfStop};
use nmfnet_tests::{host, max_abs, max_diff, tensor, Target};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use symnmf_burn::nmf_batch::{nmf_batch, BatchMethod, BatchParams};
use symnmf_burn::SymNmfAutodiffBackend;

type Inner<B> = <B as burn::tensor::backend::AutodiffBackend>::InnerBackend;

fn uniform(len: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..len).map(|_| rng.random::<f64>()).collect()
}

/// A rank-3 m × n matrix plus noise, and `r` random starts at rank `k`.
fn problem(m: usize, n: usize, k: usize, r: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(21);
    let (a, b) = (uniform(m * 3, &mut rng), uniform(3 * n, &mut rng));
    let y: Vec<f64> = (0..m * n)
        .map(|e| {
            let (i, j) = (e / n, e % n);
            (0..3).map(|l| a[i * 3 + l] * b[l * n + j]).sum::<f64>() + 0.1 * rng.random::<f64>()
        })
        .collect();
    (
        y,
        uniform(r * m * k, &mut rng),
        uniform(r * k * n, &mut rng),
    )
}

fn sizes(target: Target) -> (usize, usize, usize, usize) {
    if target.slow_ops {
        (24, 16, 3, 3)
    } else {
        (60, 40, 4, 5)
    }
}

pub fn batch_replicates_equal_replicates_alone<B: SymNmfAutodiffBackend>(
    device: &B::Device,
    target: Target,
) {
    let (m, n, k, r) = sizes(target);
    let (y, h0, w0) = problem(m, n, k, r);
    let yt = tensor::<Inner<B>, 2>(y, [m, n], device);
    for method in [BatchMethod::Mu, BatchMethod::Hals] {
        let params = BatchParams {
            method,
            max_iter: 40,
            tol: 1e-3,
            check_every: 10,
        };
        let all = nmf_batch(
            &yt,
            tensor::<Inner<B>, 3>(h0.clone(), [r, m, k], device),
            tensor::<Inner<B>, 3>(w0.clone(), [r, k, n], device),
            &params,
        );
        let (hb, wb) = (host(all.h), host(all.w));
        for i in 0..r {
            let one = nmf_batch(
                &yt,
                tensor::<Inner<B>, 3>(h0[i * m * k..(i + 1) * m * k].to_vec(), [1, m, k], device),
                tensor::<Inner<B>, 3>(w0[i * k * n..(i + 1) * k * n].to_vec(), [1, k, n], device),
                &params,
            );
            assert_eq!(
                one.iterations[0], all.iterations[i],
                "{method:?} replicate {i}"
            );
            let (h1, w1) = (host(one.h), host(one.w));
            // The products with Y are one GEMM for the batch, one per replicate alone: the
            // same sums, which flex computes in the same order (bit for bit, required here);
            // another backend may block them differently (float32 rounding tolerated).
            let exact = std::any::type_name::<B>().contains("Flex");
            let tol = if exact {
                0.0
            } else {
                1e-4 * max_abs(&h1).max(max_abs(&w1))
            };
            let dh = max_diff(&h1, &hb[i * m * k..(i + 1) * m * k]);
            let dw = max_diff(&w1, &wb[i * k * n..(i + 1) * k * n]);
            assert!(
                dh <= tol && dw <= tol,
                "{method:?} replicate {i}: {dh} {dw} (tol {tol})"
            );
        }
    }
}

pub fn batch_follows_the_host_solvers<B: SymNmfAutodiffBackend>(
    device: &B::Device,
    target: Target,
) {
    let (m, n, k, r) = sizes(target);
    let (y, h0, w0) = problem(m, n, k, r);
    let yt = tensor::<Inner<B>, 2>(y.clone(), [m, n], device);
    let ymat = faer::Mat::from_fn(m, n, |i, j| y[i * n + j]);
    let iters = 20;
    for (method, host_method, stop) in [
        (BatchMethod::Mu, NmfMethod::Mu, NmfStop::Divergence),
        (BatchMethod::Hals, NmfMethod::Hals, NmfStop::Violation),
    ] {
        let params = BatchParams {
            method,
            max_iter: iters,
            tol: 0.0,
            check_every: 10,
        };
        let fit = nmf_batch(
            &yt,
            tensor::<Inner<B>, 3>(h0.clone(), [r, m, k], device),
            tensor::<Inner<B>, 3>(w0.clone(), [r, k, n], device),
            &params,
        );
        assert!(fit.iterations.iter().all(|&i| i == iters));
        for i in 0..r {
            let h = faer::Mat::from_fn(m, k, |a, b| h0[i * m * k + a * k + b]);
            let w = faer::Mat::from_fn(k, n, |a, b| w0[i * k * n + a * n + b]);
            let mut p = NmfParams::new(k);
            p.stop = stop;
            p.tol = 0.0;
            p.max_iter = iters;
            let want = nmf_from(host_method, ymat.as_ref(), &p, h, w).unwrap();
            let err = (&ymat - &want.h * &want.w).norm_l2();
            let rel = (fit.error[i] - err).abs() / err;
            // float32 iterates against float64 ones after 20 iterations.
            assert!(
                rel < 1e-3,
                "{method:?} replicate {i}: error {} vs {err}",
                fit.error[i]
            );
        }
    }
}
