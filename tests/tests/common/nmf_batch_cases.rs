//! Cases for batched NMF (`symnmf_burn::nmf_batch`) on every backend: each replicate of a batch
//! is the replicate run alone (same backend; bit for bit on flex), the batched iterates follow the host f64 solvers
//! (MU, and HALS as scikit-learn's coordinate descent) from the same start, and the stop rule
//! holds each replicate where it would have stopped alone.

use nmfnet_baselines::nmf::{nmf_from, NmfMethod, NmfParams, NmfStop};
use nmfnet_tests::{host, max_abs, max_diff, tensor, Target};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use symnmf_burn::nmf_batch::{nmf_batch, BatchMethod, BatchParams, BatchStop};
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
    for (method, stop, tol) in [
        (BatchMethod::Mu, BatchStop::Error, 1e-3),
        (BatchMethod::MuKl, BatchStop::Error, 1e-3),
        (BatchMethod::Hals, BatchStop::Error, 1e-3),
        (BatchMethod::Hals, BatchStop::Violation, 3e-2),
    ] {
        let params = BatchParams {
            method,
            max_iter: 40,
            tol,
            check_every: 10,
            stop,
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
        if stop == BatchStop::Violation {
            // The rule stopped some replicates before the budget, not all at once.
            assert!(
                all.iterations.iter().any(|&i| i < 40),
                "{:?}",
                all.iterations
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
    for (method, host_method, stop, beta) in [
        (BatchMethod::Mu, NmfMethod::Mu, NmfStop::Divergence, 2.0),
        (BatchMethod::MuKl, NmfMethod::Mu, NmfStop::Divergence, 1.0),
        (BatchMethod::Hals, NmfMethod::Hals, NmfStop::Violation, 2.0),
    ] {
        let params = BatchParams {
            method,
            max_iter: iters,
            tol: 0.0,
            check_every: 10,
            stop: BatchStop::Error,
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
            p.beta_loss = beta;
            let want = nmf_from(host_method, ymat.as_ref(), &p, h, w).unwrap();
            let err = if beta == 2.0 {
                (&ymat - &want.h * &want.w).norm_l2()
            } else {
                let v = &want.h * &want.w;
                let d: f64 = (0..m)
                    .flat_map(|i| (0..n).map(move |j| (i, j)))
                    .map(|(i, j)| {
                        let (x, vv) = (ymat[(i, j)], v[(i, j)]);
                        (if x > 0.0 { x * (x / vv).ln() } else { 0.0 }) - x + vv
                    })
                    .sum();
                (2.0 * d).sqrt()
            };
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

/// The consensus of the batched engine's replicates (float32, on this backend) gives the host
/// engine's programs (float64 solvers from the same starts): each consensus spectrum of one
/// correlates ≥ 0.999 with one of the other's.
pub fn batched_consensus_gives_the_host_programs<B: SymNmfAutodiffBackend>(
    device: &B::Device,
    target: Target,
) {
    use nmfnet_baselines::consensus::{consensus, replicate_spectra, ConsensusJob};
    let (m, n, k) = if target.slow_ops {
        (60, 24, 3)
    } else {
        (150, 40, 4)
    };
    let mut rng = StdRng::seed_from_u64(8);
    // Programs on disjoint genes, cells using a random half of them.
    let p: Vec<f64> = (0..k * n)
        .map(|e| {
            if (e % n) % k == e / n {
                1.0 + rng.random::<f64>()
            } else {
                0.02 * rng.random::<f64>()
            }
        })
        .collect();
    let u: Vec<f64> = (0..m * k)
        .map(|_| {
            if rng.random::<f64>() < 0.5 {
                0.0
            } else {
                rng.random::<f64>()
            }
        })
        .collect();
    let y = faer::Mat::from_fn(m, n, |i, j| {
        (0..k).map(|l| u[i * k + l] * p[l * n + j]).sum::<f64>() + 0.02 * rng.random::<f64>()
    });
    let mut job = ConsensusJob {
        ks: vec![k],
        replicates: 8,
        ..Default::default()
    };
    job.params.rank = k;
    job.params.max_iter = 300;
    let yd = y.as_ref().into();
    let host = replicate_spectra(yd, job.method, &job.params, job.replicates, 5).unwrap();
    let batched = nmfnet_app::consensus::batched_pooled::<B>(yd, &job, k, 5, device).unwrap();
    let (a, b) = (
        consensus(yd, &host, k, &job.consensus).unwrap(),
        consensus(yd, &batched, k, &job.consensus).unwrap(),
    );
    let row = |m: &faer::Mat<f64>, i: usize| -> Vec<f64> { m.row(i).iter().copied().collect() };
    let corr = |x: &[f64], z: &[f64]| {
        let (mx, mz) = (
            x.iter().sum::<f64>() / x.len() as f64,
            z.iter().sum::<f64>() / z.len() as f64,
        );
        let num: f64 = x.iter().zip(z).map(|(p, q)| (p - mx) * (q - mz)).sum();
        let dx: f64 = x.iter().map(|p| (p - mx).powi(2)).sum();
        let dz: f64 = z.iter().map(|q| (q - mz).powi(2)).sum();
        num / (dx * dz).sqrt()
    };
    for i in 0..k {
        let best = (0..k)
            .map(|j| corr(&row(&a.spectra, i), &row(&b.spectra, j)))
            .fold(f64::MIN, f64::max);
        assert!(
            best >= 0.999,
            "host program {i}: best batched correlation {best}"
        );
    }
}
