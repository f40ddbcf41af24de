//! Properties every solver must have (SPEC §3, §7): nonnegative factors, monotone objectives
//! where the theory promises them, planted clusters recovered, U and V meeting for the
//! penalised two-factor methods, dense and sparse inputs giving the same answer, typed errors
//! on bad input.

use faer::linalg::solvers::DenseSolveCore;
use faer::Mat;
use nmfnet_baselines::linalg::{a_b, kuang_init};
use nmfnet_baselines::nmf::{nmf, nnls_fixed_basis, NmfMethod, NmfParams};
use nmfnet_baselines::sym::{fit, fit_from, SymMethod, SymParams};
use nmfnet_baselines::{SolverError, StopReason, SymMatrix};
use nmfnet_datasets::catalog::synthetic::{planted_graph, PlantedConfig};
use nmfnet_datasets::eval::metrics::accuracy;
use nmfnet_datasets::{graph, Dense};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A small planted problem: 4 clusters of 40 points in 6-D, its kNN graph (SPEC §4).
fn planted() -> (SymMatrix, SymMatrix, Vec<usize>) {
    let cfg = PlantedConfig {
        clusters: 4,
        per_cluster: 40,
        dim: 6,
        ..PlantedConfig::default()
    };
    let g = planted_graph(&cfg).unwrap();
    let dense = SymMatrix::from_dense(&g.x).unwrap();
    let csr = nmfnet_datasets::catalog::synthetic::planted_features(&cfg)
        .and_then(|(z, _)| graph::knn_similarity(&z))
        .unwrap();
    let sparse = SymMatrix::from_csr(&csr).unwrap();
    (dense, sparse, g.labels.unwrap())
}

/// The recorded objective never rises by more than `slack`.
fn assert_monotone(history: &[nmfnet_baselines::IterRecord], slack: f64, what: &str) {
    for w in history.windows(2) {
        assert!(
            w[1].objective <= w[0].objective + slack,
            "{what}: objective rose from {} to {} at iteration {}",
            w[0].objective,
            w[1].objective,
            w[1].iter
        );
    }
}

fn assert_nonnegative(m: &Mat<f64>, what: &str) {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            assert!(
                m[(i, j)] >= 0.0 && m[(i, j)].is_finite(),
                "{what}: entry ({i},{j}) = {}",
                m[(i, j)]
            );
        }
    }
}

#[test]
fn every_method_recovers_planted_clusters_with_nonnegative_factors() {
    let (x, _, labels) = planted();
    for method in SymMethod::ALL {
        // Two seeds, the fit with the lower relative error kept (label-free): from seed 0 PGD
        // stops in a local minimum (ACC 0.63, rel. error 0.7768 against 0.7472), which is a
        // property of the method, not a bug.
        let f = (0..2)
            .map(|seed| {
                let mut p = SymParams::new(4);
                p.max_iter = 500;
                p.seed = seed;
                fit(method, &x, &p, Some(&labels)).unwrap()
            })
            .min_by(|a, b| {
                let ra = a.history.last().unwrap().rel_error;
                let rb = b.history.last().unwrap().rel_error;
                ra.total_cmp(&rb)
            })
            .unwrap();
        assert_nonnegative(&f.u, method.name());
        if let Some(o) = &f.other {
            if method != SymMethod::Admm {
                assert_nonnegative(o, method.name());
            }
        }
        let acc = accuracy(&labels, &f.labels()).unwrap();
        assert!(
            acc >= 0.95,
            "{method}: ACC {acc} on the planted graph ({:?})",
            f.convergence
        );
        let last = f.history.last().unwrap();
        assert!(
            last.rel_error < 0.95 && last.rel_error > 0.0,
            "{method}: rel error {}",
            last.rel_error
        );
        assert_eq!(
            last.acc.map(|a| (a - acc).abs() < 1e-12),
            Some(true),
            "{method}: history ACC"
        );
    }
}

#[test]
fn descent_methods_never_increase_their_objective() {
    let (x, _, _) = planted();
    for method in [
        SymMethod::SymAnls,
        SymMethod::SymHals,
        SymMethod::KuangAnls,
        SymMethod::SymNewton,
        SymMethod::Pgd,
    ] {
        let mut p = SymParams::new(4);
        p.max_iter = 200;
        p.tol = 0.0;
        let f = fit(method, &x, &p, None).unwrap();
        // Slack 1e-12 of the starting objective: it is evaluated in the trace form (rounding
        // of ‖X‖² − 2tr(UᵀXV) + …), so exact ties may differ in the last bits.
        let slack = 1e-12 * f.history[0].objective.abs().max(1.0);
        assert_monotone(&f.history, slack, method.name());
    }
}

#[test]
fn symhals_and_symanls_meet_u_equals_v_at_convergence() {
    let (x, _, _) = planted();
    for method in [SymMethod::SymHals, SymMethod::SymAnls] {
        let mut p = SymParams::new(4);
        p.max_iter = 5000;
        p.tol = 1e-6;
        let f = fit(method, &x, &p, None).unwrap();
        assert_eq!(
            f.convergence.reason,
            StopReason::Tolerance,
            "{method}: {:?}",
            f.convergence
        );
        let u = f.other.as_ref().unwrap();
        let gap = (u - &f.u).norm_l2() / f.u.norm_l2();
        assert!(gap < 1e-3, "{method}: ‖U − V‖/‖V‖ = {gap}");
    }
}

#[test]
fn dense_and_sparse_inputs_give_the_same_fit() {
    let (dense, sparse, _) = planted();
    assert!(sparse.is_sparse());
    for method in SymMethod::ALL {
        let mut p = SymParams::new(4);
        p.max_iter = 30;
        p.tol = 0.0;
        let a = fit(method, &dense, &p, None).unwrap();
        let b = fit(method, &sparse, &p, None).unwrap();
        // The graph is stored in f32 by the data crate either way; only the summation order
        // of X·V differs, so 1e-8 relative leaves room for 30 iterations of amplification.
        let diff = (&a.u - &b.u).norm_l2() / a.u.norm_l2();
        assert!(
            diff < 1e-8,
            "{method}: dense and sparse fits differ by {diff}"
        );
    }
}

#[test]
fn same_seed_same_result_and_seed_matters() {
    let (x, _, _) = planted();
    let mut p = SymParams::new(4);
    p.max_iter = 20;
    let a = fit(SymMethod::SymHals, &x, &p, None).unwrap();
    let b = fit(SymMethod::SymHals, &x, &p, None).unwrap();
    assert_eq!(a.u, b.u);
    p.seed = 1;
    let c = fit(SymMethod::SymHals, &x, &p, None).unwrap();
    assert!(a.u != c.u);
}

#[test]
fn iteration_budget_is_reported_not_an_error() {
    let (x, _, _) = planted();
    let mut p = SymParams::new(4);
    p.max_iter = 3;
    p.tol = 0.0;
    let f = fit(SymMethod::SymHals, &x, &p, None).unwrap();
    assert!(!f.convergence.converged);
    assert_eq!(f.convergence.reason, StopReason::MaxIterations);
    assert_eq!(f.convergence.iterations, 3);
    assert_eq!(f.history.len(), 4);
}

#[test]
fn scheme4_is_the_projected_iteration_of_the_paper() {
    // One iteration by hand: W = max((X+λI)V(VᵀV+λI)⁻¹, 0), then V from W.
    let (x, _, _) = planted();
    let SymMatrix::Dense(xd) = &x else {
        unreachable!()
    };
    let lambda = 0.7;
    let u0 = kuang_init(x.n(), 4, x.mean(), 2.0, 0);
    let step = |v: &Mat<f64>| -> Mat<f64> {
        let lhs = a_b(xd.as_ref(), v.as_ref()) + v * faer::Scale(lambda);
        let mut g = a_b(v.transpose(), v.as_ref());
        for i in 0..4 {
            g[(i, i)] += lambda;
        }
        let inv = g.llt(faer::Side::Lower).unwrap().inverse();
        let mut w = a_b(lhs.as_ref(), inv.as_ref());
        for j in 0..4 {
            for i in 0..x.n() {
                w[(i, j)] = w[(i, j)].max(0.0);
            }
        }
        w
    };
    let expect = step(&step(&u0));
    let mut p = SymParams::new(4);
    p.max_iter = 1;
    p.tol = 0.0;
    p.lambda = Some(lambda);
    let f = fit_from(SymMethod::Scheme4, &x, &p, u0, None).unwrap();
    let diff = (&f.u - &expect).norm_max();
    assert!(
        diff < 1e-12,
        "scheme (4) differs from the hand iteration by {diff}"
    );
}

#[test]
fn bad_inputs_are_typed_errors() {
    let d = |n: usize, m: usize, v: Vec<f32>| Dense::new(n, m, v).unwrap();
    assert!(matches!(
        SymMatrix::from_dense(&d(2, 3, vec![0.0; 6])),
        Err(SolverError::NotSquare { .. })
    ));
    assert!(matches!(
        SymMatrix::from_dense(&d(2, 2, vec![1.0, 0.5, 0.2, 1.0])),
        Err(SolverError::NotSymmetric { .. })
    ));
    assert!(matches!(
        SymMatrix::from_dense(&d(2, 2, vec![1.0, -0.5, -0.5, 1.0])),
        Err(SolverError::Negative { .. })
    ));
    assert!(matches!(
        SymMatrix::from_dense(&d(2, 2, vec![1.0, f32::NAN, f32::NAN, 1.0])),
        Err(SolverError::NonFinite { .. })
    ));
    assert!(matches!(
        SymMatrix::from_dense(&d(0, 0, vec![])),
        Err(SolverError::Empty)
    ));
    let x = SymMatrix::from_dense(&d(2, 2, vec![1.0, 0.5, 0.5, 1.0])).unwrap();
    for rank in [0, 3] {
        assert!(matches!(
            fit(SymMethod::SymHals, &x, &SymParams::new(rank), None),
            Err(SolverError::Rank { .. })
        ));
    }
    let mut p = SymParams::new(1);
    p.lambda = Some(-1.0);
    assert!(matches!(
        fit(SymMethod::SymAnls, &x, &p, None),
        Err(SolverError::Param { name: "lambda", .. })
    ));
    let zero = SymMatrix::from_dense(&d(2, 2, vec![0.0; 4])).unwrap();
    for method in SymMethod::ALL {
        assert!(
            matches!(
                fit(method, &zero, &SymParams::new(1), None),
                Err(SolverError::ZeroMatrix)
            ),
            "{method} on X = 0"
        );
    }
    for method in NmfMethod::ALL {
        assert!(matches!(
            nmf(method, Mat::<f64>::zeros(3, 4).as_ref(), &NmfParams::new(2)),
            Err(SolverError::ZeroMatrix)
        ));
    }
    assert!(matches!(
        fit(SymMethod::SymHals, &x, &SymParams::new(1), Some(&[0, 1, 2])),
        Err(SolverError::Shape(_))
    ));
    assert!(matches!(
        "nope".parse::<SymMethod>(),
        Err(SolverError::Param { .. })
    ));
    let y = Mat::from_fn(3, 4, |i, j| if (i, j) == (1, 2) { -1.0 } else { 1.0 });
    assert!(matches!(
        nmf(NmfMethod::Mu, y.as_ref(), &NmfParams::new(2)),
        Err(SolverError::Negative { .. })
    ));
    let y = Mat::from_fn(3, 4, |_, _| 1.0);
    assert!(matches!(
        nmf(NmfMethod::Hals, y.as_ref(), &NmfParams::new(5)),
        Err(SolverError::Rank { .. })
    ));
    // Between min(m, n) and max(m, n) a random start is allowed (as in scikit-learn) and
    // fits; NNDSVD is not.
    let y = Mat::from_fn(3, 4, |i, j| 1.0 + ((i * 4 + j) % 5) as f64);
    for method in NmfMethod::ALL {
        let fit = nmf(method, y.as_ref(), &NmfParams::new(4)).unwrap();
        assert!(fit.rel_error() < 0.5, "{method:?}: {}", fit.rel_error());
    }
    assert!(matches!(
        nmfnet_baselines::nmf_start(y.as_ref(), 4, nmfnet_baselines::NmfInit::Nndsvd, 0),
        Err(SolverError::Rank { .. })
    ));
}

/// Y = H* W* exactly, H*, W* ≥ 0 and sparse enough to be identifiable.
fn low_rank(m: usize, n: usize, k: usize, seed: u64) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sparse = |rows: usize, cols: usize| {
        Mat::from_fn(rows, cols, |_, _| {
            let u: f64 = rng.random();
            if u < 0.5 {
                0.0
            } else {
                u
            }
        })
    };
    let h = sparse(m, k);
    let w = sparse(k, n);
    let y = a_b(h.as_ref(), w.as_ref());
    (y, h, w)
}

#[test]
fn plain_nmf_objectives_decrease_and_factors_stay_nonnegative() {
    let (y, _, _) = low_rank(60, 40, 5, 3);
    for method in NmfMethod::ALL {
        let mut p = NmfParams::new(5);
        p.tol = 0.0;
        p.max_iter = 150;
        let f = nmf(method, y.as_ref(), &p).unwrap();
        assert_nonnegative(&f.h, method.name());
        assert_nonnegative(&f.w, method.name());
        // Slack relative to the starting objective: the trace form loses ~1e-16·‖Y‖² to
        // cancellation, which shows once the fit is exact (HALS reaches 0 here).
        let slack = 1e-12 * f.history[0].objective;
        assert_monotone(&f.history, slack, method.name());
        let direct = (&y - a_b(f.h.as_ref(), f.w.as_ref())).norm_l2() / y.norm_l2();
        // The history uses the trace form, whose residual carries an absolute error of about
        // 1e-15·‖Y‖² (cancellation); its square root, the relative error, is then uncertain by
        // ~3e-8 once the fit is nearly exact (HALS reaches 5e-11 here).
        assert!(
            (direct - f.rel_error()).abs() < 1e-7,
            "{method}: history {} vs direct {direct}",
            f.rel_error()
        );
    }
}

#[test]
fn anls_and_hals_fit_an_exact_low_rank_matrix() {
    let (y, _, _) = low_rank(50, 40, 4, 5);
    for method in [NmfMethod::Anls, NmfMethod::Hals] {
        let mut p = NmfParams::new(4);
        p.tol = 1e-7;
        p.max_iter = 3000;
        let best = (0..3)
            .map(|seed| {
                p.seed = seed;
                nmf(method, y.as_ref(), &p).unwrap().rel_error()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(
            best < 1e-3,
            "{method}: best relative error {best} on an exact rank-4 matrix"
        );
    }
}

#[test]
fn stop_rule_needs_20_iterations_and_3_in_a_row() {
    let (y, _, _) = low_rank(30, 20, 3, 9);
    let mut p = NmfParams::new(3);
    p.tol = 1.0; // satisfied at once: the run must still go 20 iterations, then 3 in a row
    let f = nmf(NmfMethod::Mu, y.as_ref(), &p).unwrap();
    assert_eq!(f.convergence.reason, StopReason::Tolerance);
    assert_eq!(f.convergence.iterations, 22);
}

#[test]
fn fixed_basis_nnls_recovers_the_coefficients() {
    let (y, h, w) = low_rank(80, 30, 6, 13);
    let w_hat = nnls_fixed_basis(h.as_ref(), y.as_ref()).unwrap();
    let diff = (&w_hat - &w).norm_max();
    assert!(diff < 1e-9, "coefficients recovered to {diff}");
    let bad = Mat::<f64>::zeros(10, 6);
    assert!(matches!(
        nnls_fixed_basis(bad.as_ref(), y.as_ref()),
        Err(SolverError::Shape(_))
    ));
}

/// The scale property in f64, where it holds to rounding: every SymNMF solver on cX (dense and
/// sparse) gives √c·U, the labels and the relative errors of X, iteration by iteration; every
/// NMF solver on cY gives c·HW and the relative errors of Y.
#[test]
fn every_solver_answers_cx_with_the_answer_of_x_scaled() {
    let (dense, sparse, _) = planted();
    let scaled = |x: &SymMatrix, c: f64| x.scaled(c);
    // The planted graph is normalised (‖X‖₂ = 1, which the unit takes as exactly 1 within
    // 1e-6); its triple has an unsnapped unit like its multiples, so the property holds to
    // rounding.
    let (dense, sparse) = (scaled(&dense, 3.0), scaled(&sparse, 3.0));
    for (storage, x) in [("dense", &dense), ("sparse", &sparse)] {
        for method in SymMethod::ALL {
            let mut p = SymParams::new(4);
            p.max_iter = 40;
            let base = fit(method, x, &p, None).unwrap();
            for c in [1e-6, 1e-3, 1e3, 1e6] {
                let got = fit(method, &scaled(x, c), &p, None).unwrap();
                let what = format!("{method} ({storage}) × {c:e}");
                assert_eq!(got.labels(), base.labels(), "{what}");
                assert_eq!(got.history.len(), base.history.len(), "{what}");
                for (a, b) in got.history.iter().zip(&base.history) {
                    assert!(
                        (a.rel_error - b.rel_error).abs() <= 1e-9,
                        "{what}: {a:?} vs {b:?}"
                    );
                }
                assert!(
                    (got.scale / (c * base.scale) - 1.0).abs() <= 1e-12,
                    "{what}"
                );
                let root = c.sqrt();
                let (n, r) = (base.u.nrows(), base.u.ncols());
                let big = (0..n * r).fold(0.0f64, |m, k| m.max(base.u[(k / r, k % r)]));
                for k in 0..n * r {
                    let (i, j) = (k / r, k % r);
                    let d = (got.u[(i, j)] - root * base.u[(i, j)]).abs() / (root * big);
                    assert!(d <= 1e-8, "{what}: U[{i},{j}] off by {d:e}");
                }
            }
        }
    }
    let mut rng = StdRng::seed_from_u64(5);
    let y = Mat::from_fn(30, 20, |_, _| rng.random::<f64>());
    for method in NmfMethod::ALL {
        let mut p = NmfParams::new(3);
        p.max_iter = 60;
        let base = nmf(method, y.as_ref(), &p).unwrap();
        let hw = a_b(base.h.as_ref(), base.w.as_ref());
        for c in [1e-6, 1e-3, 1e3, 1e6] {
            let cy = Mat::from_fn(30, 20, |i, j| c * y[(i, j)]);
            let got = nmf(method, cy.as_ref(), &p).unwrap();
            let what = format!("{method} × {c:e}");
            assert_eq!(
                got.convergence.iterations, base.convergence.iterations,
                "{what}"
            );
            assert!((got.rel_error() - base.rel_error()).abs() <= 1e-9, "{what}");
            let chw = a_b(got.h.as_ref(), got.w.as_ref());
            for i in 0..30 {
                for j in 0..20 {
                    let d = (chw[(i, j)] - c * hw[(i, j)]).abs() / c;
                    assert!(d <= 1e-8, "{what}: HW[{i},{j}] off by {d:e}");
                }
            }
        }
    }
}
