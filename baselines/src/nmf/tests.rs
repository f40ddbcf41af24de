//! Tests of the plain NMF solvers: sparse = dense, the starts, refusals, and components that
//! die under the violation rule.

mod plain {
    use super::super::*;
    use crate::linalg::uniform;
    use crate::sym::alternating_hals_sweep_violation as hals_sweep_violation;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn data() -> Mat<f64> {
        let mut rng = StdRng::seed_from_u64(2);
        uniform(60, 40, 1.0, &mut rng)
    }

    #[test]
    fn ehals_reaches_hals_error_sooner_and_refuses_what_it_lacks() {
        // 200 × 150 of a rank-8 product plus noise, k = 8, one start, the violation rule.
        let mut rng = StdRng::seed_from_u64(4);
        let (a, b) = (
            uniform(200, 8, 1.0, &mut rng),
            uniform(8, 150, 1.0, &mut rng),
        );
        let y = &a * &b + &uniform(200, 150, 0.1, &mut rng);
        let mut p = NmfParams::new(8);
        p.tol = 0.0;
        let error_after = |method, iters| {
            let mut p = p.clone();
            p.max_iter = iters;
            p.stop = match method {
                NmfMethod::Ehals => NmfStop::Divergence,
                _ => NmfStop::Violation,
            };
            let fit = nmf(method, y.as_ref(), &p).unwrap();
            assert_eq!(fit.convergence.iterations, iters);
            assert!(fit
                .h
                .col_iter()
                .chain(fit.w.col_iter())
                .all(|c| c.iter().all(|&v| v >= 0.0)));
            fit.rel_error()
        };
        // Measured: HALS 0.017051, 0.015227, 0.014123, 0.013001 after 100, 200, 400, 2000;
        // ehals 0.015701, 0.013834 after 100, 200 (below HALS's after 400), 0.012845 after 2000.
        let hals: Vec<f64> = [100, 200, 400, 2000]
            .iter()
            .map(|&i| error_after(NmfMethod::Hals, i))
            .collect();
        let ehals: Vec<f64> = [100, 200, 2000]
            .iter()
            .map(|&i| error_after(NmfMethod::Ehals, i))
            .collect();
        assert!(
            ehals[0] < hals[0] && ehals[1] < hals[1] && ehals[2] < hals[3],
            "{ehals:?} vs {hals:?}"
        );
        assert!(ehals[1] <= hals[2], "{ehals:?} vs {hals:?}");
        // Stopped by its rule at tol 1e-4 (measured: 190 iterations), below HALS's error after
        // as many iterations.
        let mut q = p.clone();
        q.tol = 1e-4;
        q.max_iter = 5000;
        q.stop = NmfStop::Divergence;
        let fit = nmf(NmfMethod::Ehals, y.as_ref(), &q).unwrap();
        assert!(fit.convergence.converged, "{:?}", fit.convergence);
        let iters = fit.convergence.iterations;
        assert!(
            fit.rel_error() < error_after(NmfMethod::Hals, iters),
            "{iters}"
        );
        // What it does not do is refused by name.
        for change in [
            |p: &mut NmfParams| p.stop = NmfStop::Violation,
            |p: &mut NmfParams| p.alpha_h = 0.1,
            |p: &mut NmfParams| p.fix_w = true,
        ] {
            let mut q = p.clone();
            q.max_iter = 5;
            q.stop = NmfStop::Divergence;
            assert!(nmf(NmfMethod::Ehals, y.as_ref(), &q).is_ok());
            change(&mut q);
            let err = nmf(NmfMethod::Ehals, y.as_ref(), &q)
                .unwrap_err()
                .to_string();
            assert!(err.contains("ehals"), "{err}");
        }
    }

    #[test]
    fn f32_products_follow_the_f64_fit() {
        // 120 × 80 of a rank-5 product plus noise: every Frobenius solver, both stop rules
        // that apply, from the same start; the f32 products change the iterates only by their
        // rounding (≈ 1e-7 relative), so after 30 iterations the fits agree to a few 1e-5.
        let mut rng = StdRng::seed_from_u64(3);
        let (a, b) = (
            uniform(120, 5, 1.0, &mut rng),
            uniform(5, 80, 1.0, &mut rng),
        );
        let noise = uniform(120, 80, 0.05, &mut rng);
        let y = &a * &b + &noise;
        let cases = [
            (NmfMethod::Mu, NmfStop::ProjectedGradient),
            (NmfMethod::Hals, NmfStop::ProjectedGradient),
            (NmfMethod::Anls, NmfStop::ProjectedGradient),
            (NmfMethod::Hals, NmfStop::Violation),
            (NmfMethod::Mu, NmfStop::Divergence),
        ];
        for (method, stop) in cases {
            let mut p = NmfParams::new(5);
            p.max_iter = 30;
            p.tol = 0.0;
            p.stop = stop;
            let double = nmf(method, y.as_ref(), &p).unwrap();
            p.precision = Precision::F32;
            let single = nmf(method, y.as_ref(), &p).unwrap();
            let (e64, e32) = (double.rel_error(), single.rel_error());
            assert!(
                (e64 - e32).abs() <= 1e-5 * e64,
                "{method} {stop:?}: {e64} vs {e32}"
            );
            // Not the same bits: the products were made in f32.
            assert_ne!(double.h, single.h, "{method} {stop:?}");
            let hw = |f: &NmfFit| &f.h * &f.w;
            let diff = (hw(&double) - hw(&single)).norm_max() / hw(&double).norm_max();
            assert!(diff <= 1e-3, "{method} {stop:?}: HW differs by {diff}");
        }
    }

    #[test]
    fn f32_products_are_refused_where_none_are_made() {
        let y = data();
        let s = crate::data::SparseMatrix::from_dense(y.as_ref()).unwrap();
        let mut p = NmfParams::new(3);
        p.precision = Precision::F32;
        let err = nmf(NmfMethod::Hals, &s, &p).unwrap_err().to_string();
        assert!(err.contains("precision") && err.contains("dense"), "{err}");
        p.beta_loss = 1.0;
        p.stop = NmfStop::Divergence;
        let err = nmf(NmfMethod::Mu, y.as_ref(), &p).unwrap_err().to_string();
        assert!(
            err.contains("precision") && err.contains("Frobenius"),
            "{err}"
        );
        // Entries beyond f32's range are refused, not turned into infinities.
        let mut big = y.clone();
        big[(3, 4)] = 1e39;
        let mut q = NmfParams::new(3);
        q.precision = Precision::F32;
        let err = nmf(NmfMethod::Hals, big.as_ref(), &q)
            .unwrap_err()
            .to_string();
        assert!(err.contains("f32's range"), "{err}");
        // Missing entries are fitted in f64.
        let missing = crate::nmf_mask::Missing::new(60, 40, &[(0, 0)]).unwrap();
        let (h0, w0) = nmf_init(y.as_ref(), 3, 0);
        let mut p = NmfParams::new(3);
        p.precision = Precision::F32;
        let err = crate::nmf_mask::nmf_masked(NmfMethod::Hals, y.as_ref(), &missing, &p, h0, w0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("precision"), "{err}");
    }

    #[test]
    fn a_sparse_y_gives_the_dense_fit() {
        // 60 × 40 with about 15 % of its entries nonzero, held both ways.
        let u = data();
        let y = Mat::from_fn(
            60,
            40,
            |i, j| if u[(i, j)] < 0.15 { u[(i, j)] } else { 0.0 },
        );
        let s = crate::data::SparseMatrix::from_dense(y.as_ref()).unwrap();
        let close = |a: MatRef<'_, f64>, b: MatRef<'_, f64>, what: &str| {
            let diff = (a - b).norm_max();
            assert!(diff <= 1e-9 * a.norm_max().max(1e-300), "{what}: {diff}");
        };
        for method in [NmfMethod::Mu, NmfMethod::Hals, NmfMethod::Anls] {
            let mut p = NmfParams::new(4);
            p.max_iter = 50;
            p.tol = 0.0;
            let (d, sp) = (
                nmf(method, y.as_ref(), &p).unwrap(),
                nmf(method, &s, &p).unwrap(),
            );
            assert_eq!(
                d.convergence.iterations, sp.convergence.iterations,
                "{method}"
            );
            let (a, b) = (d.rel_error(), sp.rel_error());
            assert!((a - b).abs() <= 1e-10 * a, "{method}: {a} vs {b}");
            close(d.h.as_ref(), sp.h.as_ref(), "H");
            close(d.w.as_ref(), sp.w.as_ref(), "W");
            let (h0, w0) = nmf_init(&s, 4, 1);
            let mut st = NmfSteps::new(method, &s, h0.clone(), w0.clone()).unwrap();
            let mut sd = NmfSteps::new(method, y.as_ref(), h0, w0).unwrap();
            for _ in 0..5 {
                st.step().unwrap();
                sd.step().unwrap();
            }
            close(sd.h(), st.h(), "steps' H");
        }
        // scikit-learn's stop rule too.
        let mut p = NmfParams::new(4);
        p.stop = NmfStop::Violation;
        p.tol = 1e-4;
        let (d, sp) = (
            nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap(),
            nmf(NmfMethod::Hals, &s, &p).unwrap(),
        );
        assert_eq!(d.convergence.iterations, sp.convergence.iterations);
        close(d.w.as_ref(), sp.w.as_ref(), "violation W");
        // NNDSVD needs a dense Y: a sparse one is refused by name.
        let err = crate::nmf_start::nmf_start(&s, 4, crate::nmf_start::NmfInit::Nndsvd, 0);
        assert!(err.unwrap_err().to_string().contains("random"));
    }

    #[test]
    fn the_violation_rule_runs_plain_coordinate_descent_sweeps() {
        let y = data();
        let mut p = NmfParams::new(5);
        p.tol = 0.0;
        p.max_iter = 30;
        p.stop = NmfStop::Violation;
        let f = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert_eq!(f.convergence.iterations, 30);
        assert_eq!(f.history.len(), 2);
        // The same 30 sweeps by hand: H, then W, floored at 0, nothing in between.
        let (mut h, mut w) = nmf_init(y.as_ref(), 5, p.seed);
        for _ in 0..30 {
            let ywt = a_b(y.as_ref(), w.transpose());
            let wwt = a_b(w.as_ref(), w.transpose());
            h = hals_sweep_violation(h, ywt.as_ref(), &wwt, 0.0, None).0;
            let hty = at_b(h.as_ref(), y.as_ref());
            let hth = at_b(h.as_ref(), h.as_ref());
            w = hals_sweep_violation(w.transpose().to_owned(), hty.transpose(), &hth, 0.0, None)
                .0
                .transpose()
                .to_owned();
        }
        assert_eq!((&f.h, &f.w), (&h, &w));
        let r = y.as_ref() - &h * &w;
        let rel = (crate::linalg::frob_sq(r.as_ref()) / crate::linalg::frob_sq(y.as_ref())).sqrt();
        assert!(
            (f.rel_error() - rel).abs() <= 1e-12,
            "{} vs {rel}",
            f.rel_error()
        );
    }

    /// The lean stepper runs exactly the iterations of `nmf_from`.
    #[test]
    fn steps_are_the_iterations_of_nmf_from() {
        let y = data();
        for method in NmfMethod::ALL {
            for init in NmfInit::ALL {
                let (h0, w0) = nmf_start(y.as_ref(), 5, init, 3).unwrap();
                let mut p = NmfParams::new(5);
                p.tol = 0.0;
                p.max_iter = 7;
                let f = nmf_from(method, y.as_ref(), &p, h0.clone(), w0.clone()).unwrap();
                assert_eq!(f.convergence.iterations, 7);
                let mut s = NmfSteps::new(method, y.as_ref(), h0, w0).unwrap();
                for _ in 0..7 {
                    s.step().unwrap();
                }
                assert_eq!(
                    (f.h.as_ref(), f.w.as_ref()),
                    (s.h(), s.w()),
                    "{method} {init}"
                );
            }
        }
        let (h0, w0) = nmf_init(y.as_ref(), 5, 0);
        assert!(NmfSteps::new(NmfMethod::Hals, y.as_ref(), w0, h0).is_err());
    }

    #[test]
    fn the_violation_rule_stops_once_the_violation_fell_by_tol() {
        let y = data();
        let mut p = NmfParams::new(5);
        p.stop = NmfStop::Violation;
        p.tol = 1e-2;
        p.max_iter = 10_000;
        let f = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert!(f.convergence.converged, "{:?}", f.convergence);
        let n = f.convergence.iterations;
        assert!(n > 1 && n < 10_000, "{n}");
        // A tighter tolerance needs more sweeps and ends no worse.
        p.tol = 1e-4;
        let g = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert!(g.convergence.iterations > n);
        assert!(g.rel_error() <= f.rel_error() + 1e-12);
        // Only HALS has it.
        assert!(nmf(NmfMethod::Mu, y.as_ref(), &p).is_err());
    }
}

mod dead_components {
    use super::super::*;
    use crate::linalg::uniform;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn a_component_that_dies_stays_finite_under_the_violation_rule() {
        // Columns of very different scales (like wine's), rank 3, from a start whose third
        // component is tiny: it dies, and its partner row must not blow up.
        let mut rng = StdRng::seed_from_u64(9);
        let base = uniform(80, 6, 1.0, &mut rng);
        let y = Mat::from_fn(80, 6, |i, j| {
            base[(i, j)] * [1.0, 10.0, 1000.0, 1.0, 5.0, 0.1][j]
        });
        let mut h0 = uniform(80, 3, 1.0, &mut rng);
        let w0 = uniform(3, 6, 1.0, &mut rng);
        for i in 0..80 {
            h0[(i, 2)] *= 1e-12;
        }
        let mut p = NmfParams::new(3);
        p.stop = NmfStop::Violation;
        p.tol = 1e-6;
        let f = nmf_from(NmfMethod::Hals, y.as_ref(), &p, h0, w0).unwrap();
        let big = f.w.as_ref().norm_max().max(f.h.as_ref().norm_max());
        assert!(big.is_finite() && big < 1e6, "largest entry {big}");
        assert!(f.rel_error() < 0.5, "{}", f.rel_error());
    }
}

mod shuffle {
    use super::super::*;
    use crate::linalg::uniform;
    use crate::nmf_mask::{nmf_masked, Missing};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// scikit-learn's `shuffle`: a seeded random coordinate order under the violation rule —
    /// reproducible, another path than the natural order, to a fit as good (within 5 %); refused
    /// elsewhere.
    #[test]
    fn a_shuffled_order_is_seeded_and_fits_as_well() {
        let mut rng = StdRng::seed_from_u64(4);
        let y = &uniform(50, 30, 1.0, &mut rng) * &uniform(30, 30, 1.0, &mut rng);
        let mut p = NmfParams::new(5);
        p.stop = NmfStop::Violation;
        p.tol = 1e-6;
        p.max_iter = 400;
        let plain = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        p.shuffle = true;
        let a = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        let b = nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap();
        assert_eq!(a.h, b.h);
        assert_eq!(a.w, b.w);
        assert_ne!(a.h, plain.h);
        let (ea, ep) = (a.rel_error(), plain.rel_error());
        assert!(ea <= ep * 1.05 && ep <= ea * 1.05, "{ea} vs {ep}");
        p.seed = 1;
        assert_ne!(nmf(NmfMethod::Hals, y.as_ref(), &p).unwrap().h, a.h);
        // The masked HALS takes it too.
        let missing = Missing::new(50, 30, &[(0, 0), (7, 3)]).unwrap();
        let (h0, w0) = nmf_init(y.as_ref(), 5, 0);
        let m1 = nmf_masked(
            NmfMethod::Hals,
            y.as_ref(),
            &missing,
            &p,
            h0.clone(),
            w0.clone(),
        );
        let m2 = nmf_masked(NmfMethod::Hals, y.as_ref(), &missing, &p, h0, w0);
        assert_eq!(m1.unwrap().h, m2.unwrap().h);
        for (method, stop) in [
            (NmfMethod::Mu, NmfStop::Divergence),
            (NmfMethod::Hals, NmfStop::ProjectedGradient),
            (NmfMethod::Anls, NmfStop::ProjectedGradient),
        ] {
            p.stop = stop;
            let e = nmf(method, y.as_ref(), &p).unwrap_err().to_string();
            assert!(e.contains("shuffle"), "{e}");
        }
    }
}
