//! The β-divergence against its textbook sum, MU's and the KL coordinate descent's falling
//! objectives, sparse = dense, the fit of cY, penalised stationary points, a fixed W.

use super::*;
use crate::data::SparseMatrix;
use crate::linalg::uniform;
use crate::nmf::{nmf_from, NmfMethod, NmfParams, NmfStop};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// An m × n matrix in [0, 2) with about `zeros` of its entries 0.
fn y(m: usize, n: usize, zeros: f64, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let u = uniform(m, n, 1.0, &mut rng);
    let v = uniform(m, n, 2.0, &mut rng);
    Mat::from_fn(m, n, |i, j| if u[(i, j)] < zeros { 0.0 } else { v[(i, j)] })
}

fn factors(m: usize, n: usize, k: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    (uniform(m, k, 0.5, &mut rng), uniform(k, n, 0.5, &mut rng))
}

/// The textbook β-divergence of one entry, d(y | v) (Févotte & Idier 2011), for v > 0.
fn textbook(y: f64, v: f64, beta: f64) -> f64 {
    if beta == 1.0 {
        if y == 0.0 {
            v
        } else {
            y * (y / v).ln() - y + v
        }
    } else if beta == 0.0 {
        y / v - (y / v).ln() - 1.0
    } else {
        y.powf(beta) / (beta * (beta - 1.0)) + v.powf(beta) / beta
            - y * v.powf(beta - 1.0) / (beta - 1.0)
    }
}

#[test]
fn the_divergence_is_the_textbook_sum_dense_and_sparse() {
    let (h, w) = factors(12, 9, 3, 1);
    // v = (HW)_ij ≥ 3·0.25² > ε: no guard acts, and y = 0 contributes d(0 | v).
    let h = Mat::from_fn(12, 3, |i, l| h[(i, l)] + 0.25);
    let w = Mat::from_fn(3, 9, |l, j| w[(l, j)] + 0.25);
    let v = &h * &w;
    for (beta, zeros) in [
        (-0.5, 0.0),
        (0.0, 0.0),
        (0.5, 0.3),
        (1.0, 0.3),
        (1.5, 0.3),
        (2.0, 0.3),
        (3.0, 0.3),
    ] {
        let yd = y(12, 9, zeros, 7);
        let expect: f64 = (0..9)
            .flat_map(|j| (0..12).map(move |i| (i, j)))
            .map(|(i, j)| textbook(yd[(i, j)], v[(i, j)], beta))
            .sum();
        let s = SparseMatrix::from_dense(yd.as_ref()).unwrap();
        for (what, data) in [
            ("dense", NmfData::from(yd.as_ref())),
            ("sparse", NmfData::from(&s)),
        ] {
            let got = beta_divergence(data, h.as_ref(), w.as_ref(), beta, BETA_EPS * 2.0);
            assert!(
                (got - expect).abs() <= 1e-10 * expect.abs(),
                "β = {beta}, {what}: {got} vs {expect}"
            );
        }
    }
}

fn mu_params(beta: f64, alpha: f64, max_iter: usize, tol: f64) -> NmfParams {
    let mut p = NmfParams::new(4);
    p.beta_loss = beta;
    p.stop = NmfStop::Divergence;
    p.max_iter = max_iter;
    p.tol = tol;
    p.alpha_h = alpha;
    p.alpha_w = 2.0 * alpha;
    p.l1_ratio = 0.3;
    p
}

#[test]
fn mu_lowers_the_penalised_divergence_for_every_beta() {
    for beta in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0] {
        let zeros = if beta <= 0.0 { 0.0 } else { 0.3 };
        let yd = y(40, 30, zeros, 3);
        for alpha in [0.0, 0.01] {
            let (h0, w0) = factors(40, 30, 4, 4);
            // tol > 0 so that the objective is taken every 10 iterations; tiny, so it never stops.
            let p = mu_params(beta, alpha, 200, 1e-300);
            let fit = nmf_from(NmfMethod::Mu, yd.as_ref(), &p, h0, w0).unwrap();
            let obj: Vec<f64> = fit.history.iter().map(|r| r.objective).collect();
            assert_eq!(
                obj.len(),
                21,
                "β = {beta}: the start and every 10th iteration"
            );
            for pair in obj.windows(2) {
                assert!(
                    pair[1] <= pair[0] * (1.0 + 1e-12),
                    "β = {beta}, α = {alpha}: {obj:?}"
                );
            }
            assert!(obj[20] < 0.9 * obj[0], "β = {beta}: {obj:?}");
            assert!(fit
                .h
                .col_iter()
                .chain(fit.w.col_iter())
                .all(|c| c.iter().all(|&x| x >= 0.0)));
        }
    }
}

#[test]
fn a_sparse_y_gives_the_dense_beta_fit() {
    let yd = y(30, 20, 0.7, 5);
    let s = SparseMatrix::from_dense(yd.as_ref()).unwrap();
    for beta in [0.5, 1.0, 1.5, 2.0, 3.0] {
        let p = mu_params(beta, 0.001, 60, 1e-4);
        let (h0, w0) = factors(30, 20, 4, 6);
        let d = nmf_from(NmfMethod::Mu, yd.as_ref(), &p, h0.clone(), w0.clone()).unwrap();
        let sp = nmf_from(NmfMethod::Mu, &s, &p, h0, w0).unwrap();
        assert_eq!(
            d.convergence.iterations, sp.convergence.iterations,
            "β = {beta}"
        );
        let diff = (&d.h - &sp.h).norm_max() + (&d.w - &sp.w).norm_max();
        assert!(diff <= 1e-9 * d.h.norm_max(), "β = {beta}: {diff}");
    }
}

#[test]
fn the_fit_of_cy_is_the_fit_of_y_scaled() {
    let yd = y(30, 20, 0.3, 8);
    for beta in [0.5, 1.0, 1.5] {
        for c in [1e-9, 1e7] {
            let p = mu_params(beta, 0.0, 300, 1e-4);
            let (h0, w0) = factors(30, 20, 4, 9);
            let a = nmf_from(NmfMethod::Mu, yd.as_ref(), &p, h0.clone(), w0.clone()).unwrap();
            let yc = Mat::from_fn(30, 20, |i, j| c * yd[(i, j)]);
            let r = c.sqrt();
            let (hc, wc) = (
                Mat::from_fn(30, 4, |i, l| r * h0[(i, l)]),
                Mat::from_fn(4, 20, |l, j| r * w0[(l, j)]),
            );
            let b = nmf_from(NmfMethod::Mu, yc.as_ref(), &p, hc, wc).unwrap();
            assert_eq!(
                a.convergence.iterations, b.convergence.iterations,
                "β = {beta}, c = {c}"
            );
            let scaled = Mat::from_fn(30, 4, |i, l| r * a.h[(i, l)]);
            let diff = (&scaled - &b.h).norm_max();
            assert!(
                diff <= 1e-9 * scaled.norm_max(),
                "β = {beta}, c = {c}: {diff}"
            );
            let (oa, ob) = (
                a.history.last().unwrap().objective,
                b.history.last().unwrap().objective,
            );
            assert!(
                (ob - c.powf(beta) * oa).abs() <= 1e-9 * ob,
                "β = {beta}, c = {c}: {oa} {ob}"
            );
        }
    }
}

#[test]
fn penalised_solvers_reach_a_stationary_point_of_the_penalised_objective() {
    let yd = y(40, 30, 0.2, 10);
    for method in [NmfMethod::Anls, NmfMethod::Hals, NmfMethod::Mu] {
        let mut p = NmfParams::new(4);
        (p.alpha_h, p.alpha_w, p.l1_ratio) = (0.01, 0.02, 0.5);
        p.max_iter = 3000;
        p.tol = 1e-5;
        let (h0, w0) = factors(40, 30, 4, 11);
        let fit = nmf_from(method, yd.as_ref(), &p, h0, w0).unwrap();
        let obj: Vec<f64> = fit.history.iter().map(|r| r.objective).collect();
        for pair in obj.windows(2) {
            assert!(pair[1] <= pair[0] * (1.0 + 1e-12), "{method}");
        }
        // The projected gradient of the penalised objective fell by the tolerance (not
        // MU's: its entries approach the zeros of an L1 optimum without reaching them,
        // where the gradient stays ≈ l1, so its projected gradient stalls).
        if method != NmfMethod::Mu {
            assert!(fit.convergence.converged, "{method}: {:?}", fit.convergence);
        }
        // The penalised objective is lower there than at the plain fit.
        let mut plain = p.clone();
        (plain.alpha_h, plain.alpha_w) = (0.0, 0.0);
        let (h0, w0) = factors(40, 30, 4, 11);
        let free = nmf_from(method, yd.as_ref(), &plain, h0, w0).unwrap();
        let pen = Penalty::new(0.01, 0.02, 0.5, 40, 30);
        let objective = |f: &crate::nmf::NmfFit| {
            let (h, w) = (f.h.as_ref(), f.w.as_ref());
            beta_divergence(yd.as_ref().into(), h, w, 2.0, 0.0) + pen.value(h, w)
        };
        let (a, b) = (objective(&fit), objective(&free));
        assert!(a < b, "{method}: {a} vs {b}");
        assert!((a - obj[obj.len() - 1]).abs() <= 1e-9 * a, "{method}");
    }
}

#[test]
fn kl_coordinate_descent_falls_faster_than_mu_dense_and_sparse() {
    let yd = y(40, 30, 0.3, 21);
    let s = SparseMatrix::from_dense(yd.as_ref()).unwrap();
    let (h0, w0) = factors(40, 30, 4, 22);
    let p = mu_params(1.0, 0.0, 300, 1e-300);
    let mu = nmf_from(NmfMethod::Mu, yd.as_ref(), &p, h0.clone(), w0.clone()).unwrap();
    let mut q = mu_params(1.0, 0.0, 30, 1e-300);
    let ccd = nmf_from(NmfMethod::Ccd, yd.as_ref(), &q, h0.clone(), w0.clone()).unwrap();
    let obj: Vec<f64> = ccd.history.iter().map(|r| r.objective).collect();
    for pair in obj.windows(2) {
        assert!(pair[1] <= pair[0] * (1.0 + 1e-12), "{obj:?}");
    }
    let (a, b) = (
        ccd.history.last().unwrap().objective,
        mu.history.last().unwrap().objective,
    );
    assert!(
        a <= b,
        "30 coordinate-descent sweeps {a} vs 300 MU steps {b}"
    );
    let sp = nmf_from(NmfMethod::Ccd, &s, &q, h0.clone(), w0.clone()).unwrap();
    assert!((&sp.h - &ccd.h).norm_max() <= 1e-10 * ccd.h.norm_max());
    // With penalties the objective still falls; other β and rules are refused.
    (q.alpha_h, q.alpha_w) = (0.01, 0.01);
    let pen = nmf_from(NmfMethod::Ccd, yd.as_ref(), &q, h0.clone(), w0.clone()).unwrap();
    let obj: Vec<f64> = pen.history.iter().map(|r| r.objective).collect();
    assert!(
        obj.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)),
        "{obj:?}"
    );
    q.beta_loss = 2.0;
    assert!(nmf_from(NmfMethod::Ccd, yd.as_ref(), &q, h0, w0).is_err());
}

#[test]
fn a_fixed_w_is_kept() {
    let yd = y(20, 15, 0.2, 12);
    let (h0, w0) = factors(20, 15, 3, 13);
    for (method, stop, beta) in [
        (NmfMethod::Mu, NmfStop::Divergence, 1.0),
        (NmfMethod::Hals, NmfStop::Violation, 2.0),
    ] {
        let mut p = NmfParams::new(3);
        (p.stop, p.beta_loss, p.fix_w, p.max_iter) = (stop, beta, true, 50);
        let fit = nmf_from(method, yd.as_ref(), &p, h0.clone(), w0.clone()).unwrap();
        assert_eq!(fit.w, w0, "{method}");
        assert!(fit.h != h0, "{method}");
    }
}
