//! Cases for SymNMF-Net: the loss without n×n intermediates against the direct form,
//! Algorithm 1 against an independent f64 implementation of scheme (4), gradients of the whole
//! loss against finite differences, and the λ projection.

use burn::module::Param;
use burn::tensor::Tensor;
use nmfnet_datasets::catalog::synthetic::{planted_graph, PlantedConfig};
use nmfnet_datasets::Dense;
use nmfnet_tests::{host, max_abs, max_diff, tensor, Precision, Target};
use symnmf_burn::inverse::cholesky_inverse;
use symnmf_burn::norms::frobenius2;
use symnmf_burn::{
    loss, loss_direct, Reduction, Similarity, SparseSymmetric, SymNmfAutodiffBackend, SymNmfNet,
    SymNmfNetConfig,
};

/// A small planted-cluster graph: 3 clusters × 12 points (n = 36).
pub fn small_graph() -> Dense {
    planted_graph(&PlantedConfig {
        clusters: 3,
        per_cluster: 12,
        dim: 4,
        separation: 2.0,
        seed: 5,
    })
    .expect("valid planted config")
    .x
}

fn x_tensor<B: burn::tensor::backend::Backend>(x: &Dense, device: &B::Device) -> Tensor<B, 2> {
    let v: Vec<f64> = x.data().iter().map(|&v| v as f64).collect();
    tensor::<B, 2>(v, [x.nrows(), x.ncols()], device)
}

fn config(reduction: Reduction, gamma: f64) -> SymNmfNetConfig {
    SymNmfNetConfig {
        rank: 3,
        blocks: 3,
        beta: 0.1,
        gamma,
        reduction,
        ..Default::default()
    }
}

fn params<B: SymNmfAutodiffBackend>(net: &SymNmfNet<B>) -> Vec<Tensor<B, 2>> {
    net.p.iter().map(|p| p.val()).collect()
}

/// The trace form of the loss equals the direct n×n form, for both reductions and with the ℓ1
/// term. The trace form subtracts terms of size ‖X‖²; relative tolerance 1e3·ε (f32: 1.2e-4).
pub fn loss_matches_direct<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let xd = small_graph();
    let x = x_tensor::<B>(&xd, device);
    let x_norm2 = frobenius2(&x);
    for (reduction, gamma) in [
        (Reduction::Sum, 0.0),
        (Reduction::Mean, 0.0),
        (Reduction::Mean, 0.3),
    ] {
        let cfg = config(reduction, gamma);
        let net = cfg.init(x.clone(), 11).expect("valid config");
        let us = net.forward();
        let ps = params(&net);
        let fast =
            host(loss(&cfg, &x.clone().into(), x_norm2, &us, &ps, net.lambda.val()).total)[0];
        let direct = host(loss_direct(&cfg, &x, &us, &ps, net.lambda.val()))[0];
        let tol = 1e3 * target.eps() * direct.abs();
        assert!(
            (fast - direct).abs() <= tol,
            "{reduction:?}, γ = {gamma}: trace form {fast} vs direct {direct}"
        );
    }
}

/// Scheme (4) in f64 on the host, written independently of the network code:
/// `U_i = max((X+λI)U_{i−1}(U_{i−1}ᵀU_{i−1}+λI)⁻¹, 0)`.
pub fn scheme4_host(
    x: &[f64],
    n: usize,
    u0: &[f64],
    r: usize,
    lambda: f64,
    steps: usize,
) -> Vec<Vec<f64>> {
    let mut out = vec![u0.to_vec()];
    for _ in 0..steps {
        let u = out.last().unwrap();
        let mut g = vec![0.0; r * r];
        for a in 0..r {
            for b in 0..r {
                g[a * r + b] = (0..n).map(|k| u[k * r + a] * u[k * r + b]).sum::<f64>()
                    + if a == b { lambda } else { 0.0 };
            }
        }
        let ginv = cholesky_inverse(&g, r).expect("UᵀU + λI is SPD");
        let mut next = vec![0.0; n * r];
        for i in 0..n {
            // row i of (X + λI)U
            let mut p = vec![0.0; r];
            for c in 0..r {
                p[c] = (0..n).map(|k| x[i * n + k] * u[k * r + c]).sum::<f64>()
                    + lambda * u[i * r + c];
            }
            for c in 0..r {
                let v: f64 = (0..r).map(|k| p[k] * ginv[k * r + c]).sum();
                next[i * r + c] = v.max(0.0);
            }
        }
        out.push(next);
    }
    out
}

/// The untrained network (Algorithm 1) reproduces K steps of scheme (4) computed on the host
/// in f64 from the same U₀ and λ. Tolerance 1e3·ε·max|U| (K = 3 chained products of size n).
pub fn init_reproduces_scheme4<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let xd = small_graph();
    let n = xd.nrows();
    let x = x_tensor::<B>(&xd, device);
    let cfg = config(Reduction::Mean, 0.0);
    let net = cfg.init(x.clone(), 3).expect("valid config");
    let us: Vec<Vec<f64>> = net.forward().into_iter().map(host).collect();
    let xh: Vec<f64> = xd.data().iter().map(|&v| v as f64).collect();
    let reference = scheme4_host(&xh, n, &us[0], cfg.rank, net.lambda_value(), cfg.blocks);
    for (i, (got, want)) in us.iter().zip(&reference).enumerate() {
        let err = max_diff(got, want);
        let tol = 1e3 * target.eps() * max_abs(want).max(1e-30);
        assert!(err <= tol, "U_{i}: max error {err:e} > {tol:e}");
    }
    // The default λ₀ is ‖X‖_F, raised to the bound when that is larger.
    let x_norm = frobenius2(&x).sqrt();
    let lam = net.lambda_value();
    assert!(lam >= x_norm * (1.0 - 1e-6) && lam >= net.lambda_bound * (1.0 - 1e-6));
}

/// Autodiff gradients of the whole loss (through K inversion layers, ReLUs, the trace form)
/// against central finite differences, for λ and a few entries of P_1 and P_K.
/// f64: h = 1e-6, tolerance 1e-5 relative; f32: h = 1e-2 relative step, tolerance 5e-2
/// relative (differences of an f32 sum over n² entries).
pub fn loss_gradient_matches_finite_differences<B: SymNmfAutodiffBackend>(
    device: &B::Device,
    target: Target,
) {
    let xd = small_graph();
    let x = x_tensor::<B>(&xd, device);
    let x_norm2 = frobenius2(&x);
    let cfg = config(Reduction::Sum, 0.05);
    let net = cfg.init(x.clone(), 7).expect("valid config");
    let xs: Similarity<B> = x.clone().into();
    let eval = |net: &SymNmfNet<B>| -> Tensor<B, 1> {
        let us = net.forward();
        loss(&cfg, &xs, x_norm2, &us, &params(net), net.lambda.val()).total
    };
    let grads = eval(&net).backward();
    let g_lambda = host(net.lambda.val().grad(&grads).expect("λ is learnable"))[0];
    let g_p1 = host(net.p[0].val().grad(&grads).expect("P_1 is learnable"));
    let g_pk = host(net.p[2].val().grad(&grads).expect("P_K is learnable"));
    let (rel_h, rtol) = match target.precision {
        Precision::F64 => (1e-6, 1e-5),
        Precision::F32 => (1e-2, 5e-2),
    };

    // λ.
    let lam = net.lambda_value();
    let h = rel_h * lam;
    let at = |v: f64| {
        let mut m = net.clone();
        m.lambda = Param::from_tensor(tensor::<B, 1>(vec![v], [1], device));
        host(eval(&m))[0]
    };
    let fd = (at(lam + h) - at(lam - h)) / (2.0 * h);
    assert!(
        (fd - g_lambda).abs() <= rtol * g_lambda.abs().max(1e-3),
        "∂L/∂λ: finite difference {fd} vs autodiff {g_lambda}"
    );

    // Entries of P_1 and P_K (the largest-gradient entries, where the check is meaningful).
    for (block, g) in [(0usize, &g_p1), (2, &g_pk)] {
        let p_host = host(net.p[block].val());
        let mut idx: Vec<usize> = (0..g.len()).collect();
        idx.sort_by(|&a, &b| g[b].abs().total_cmp(&g[a].abs()));
        let [n, r] = net.p[block].val().dims();
        let entries = if target.slow_ops { 1 } else { 3 };
        for &k in idx.iter().take(entries) {
            let h = rel_h * p_host[k].abs().max(1e-3);
            let at = |s: f64| {
                let mut v = p_host.clone();
                v[k] += s * h;
                let mut m = net.clone();
                m.p[block] = Param::from_tensor(tensor::<B, 2>(v, [n, r], device));
                host(eval(&m))[0]
            };
            let fd = (at(1.0) - at(-1.0)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() <= rtol * g[k].abs(),
                "∂L/∂P_{}[{k}]: finite difference {fd} vs autodiff {}",
                block + 1,
                g[k]
            );
        }
    }
}

/// `small_graph` with its entries below the median set to zero (still symmetric), as a dense
/// matrix and in CSR form.
fn sparsified_graph() -> (Dense, SparseSymmetric) {
    let xd = small_graph();
    let n = xd.nrows();
    let mut sorted = xd.data().to_vec();
    sorted.sort_by(f32::total_cmp);
    let cut = sorted[sorted.len() / 2];
    let data: Vec<f32> = xd
        .data()
        .iter()
        .map(|&v| if v > cut { v } else { 0.0 })
        .collect();
    let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
    for i in 0..n {
        for j in 0..n {
            let v = data[i * n + j];
            if v != 0.0 {
                indices.push(j);
                values.push(v);
            }
        }
        indptr.push(indices.len());
    }
    let sparse = SparseSymmetric::new(n, indptr, indices, values).expect("symmetric CSR");
    (Dense::new(n, n, data).expect("n×n"), sparse)
}

/// The network on a sparse X (host product, custom autodiff op) against the same X dense (the
/// backend's matmul, autodiff's own gradient): Algorithm 1's factors, the loss, and the
/// gradients of λ and all P_i. Tolerance 1e3·ε relative to the largest entry.
pub fn sparse_matches_dense<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let (xd, xs) = sparsified_graph();
    let dense: Similarity<B> = x_tensor::<B>(&xd, device).into();
    let sparse = Similarity::<B>::sparse(xs, device);
    assert_eq!(sparse.storage(), "sparse");
    assert!((dense.frobenius2() - sparse.frobenius2()).abs() <= 1e-5 * dense.frobenius2());
    assert!((dense.mean() - sparse.mean()).abs() <= 1e-5 * dense.mean());
    let cfg = config(Reduction::Sum, 0.05);
    let close = |what: &str, a: &[f64], b: &[f64]| {
        let err = max_diff(a, b);
        let tol = 1e3 * target.eps() * max_abs(a).max(1e-30);
        assert!(
            err <= tol,
            "{what}: dense vs sparse differ by {err:e} > {tol:e}"
        );
    };
    let mut outs = Vec::new();
    for x in [&dense, &sparse] {
        let net = cfg.init(x.clone(), 4).expect("valid config");
        let us = net.forward();
        let total = loss(
            &cfg,
            x,
            x.frobenius2(),
            &us,
            &params(&net),
            net.lambda.val(),
        )
        .total;
        let grads = total.clone().backward();
        let mut g: Vec<Vec<f64>> = vec![host(net.lambda.val().grad(&grads).expect("λ"))];
        g.extend(
            net.p
                .iter()
                .map(|p| host(p.val().grad(&grads).expect("P_i"))),
        );
        let u: Vec<Vec<f64>> = us.into_iter().map(host).collect();
        outs.push((u, host(total), g, net.lambda_bound));
    }
    let (d, s) = (&outs[0], &outs[1]);
    for (i, (a, b)) in d.0.iter().zip(&s.0).enumerate() {
        close(&format!("U_{i}"), a, b);
    }
    close("loss", &d.1, &s.1);
    for (i, (a, b)) in d.2.iter().zip(&s.2).enumerate() {
        close(&format!("gradient {i} (0 = λ, i = P_i)"), a, b);
    }
    assert!(
        (d.3 - s.3).abs() <= 1e3 * target.eps() * d.3,
        "λ bounds differ"
    );
}

/// The device form of the sparse product (sliced ELL, blocks of 7 rows so that several blocks
/// of different widths are used) gives the host product's values, on the backend itself and
/// on its inner backend.
pub fn device_sparse_product_matches_host<B: SymNmfAutodiffBackend>(
    device: &B::Device,
    target: Target,
) {
    use symnmf_burn::ell::DeviceEll;
    use symnmf_burn::similarity::host_spmm;
    let (_, xs) = sparsified_graph();
    let n = xs.n();
    let u: Vec<f64> = (0..n * 3)
        .map(|i| ((i * 29) % 17) as f64 / 5.0 - 1.0)
        .collect();
    let tol = |want: &[f64]| 1e2 * target.eps() * max_abs(want).max(1e-30);
    let ut = tensor::<B, 2>(u.clone(), [n, 3], device);
    let want = host(host_spmm(&xs, ut.clone()));
    let got = host(DeviceEll::<B>::new(&xs, 7, device).mul(ut));
    let err = max_diff(&got, &want);
    assert!(err <= tol(&want), "device vs host product: {err:e}");
    let ui = tensor::<B::InnerBackend, 2>(u, [n, 3], device);
    let got = host(DeviceEll::<B::InnerBackend>::new(&xs, 7, device).mul(ui));
    let err = max_diff(&got, &want);
    assert!(
        err <= tol(&want),
        "device vs host product (inner backend): {err:e}"
    );
}

/// Projection puts λ back on the bound and keeps a learnable λ learnable.
pub fn lambda_projection<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target) {
    let x = x_tensor::<B>(&small_graph(), device);
    let mut net = config(Reduction::Mean, 0.0)
        .init(x, 1)
        .expect("valid config");
    let bound = net.lambda_bound;
    net.lambda = net
        .lambda
        .map(|_| tensor::<B, 1>(vec![0.5 * bound], [1], device).require_grad());
    let net = net.project();
    let lam = net.lambda_value();
    assert!(
        (lam - bound).abs() <= 10.0 * target.eps() * bound,
        "λ {lam} vs bound {bound}"
    );
    assert!(net.lambda.val().is_require_grad());
}
