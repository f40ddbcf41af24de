//! The time–error fronts behind `gan front` (`nmfnet_app::gan::front`), called directly: the
//! equal-error rule, and both kinds of solver front against plain runs of the same solver.

use faer::Mat;
use nmfnet_app::gan::front::{
    equal_error, fastest_reaching, refine_front, solver_front, FrontMode, FrontPoint, FrontRun,
    GeneratorPoint, SolverForm, SolverFront,
};
use nmfnet_baselines::nmf::{nmf_start, NmfInit, NmfMethod};
use nmfnet_baselines::subspace::group_epsilon;
fn front(
    method: NmfMethod,
    init: NmfInit,
    mode: FrontMode,
    pts: &[(usize, f64, f64)],
) -> SolverFront {
    SolverFront {
        method,
        init,
        form: SolverForm::F64,
        mode,
        points: pts
            .iter()
            .map(|&(iterations, error, seconds_per_group)| FrontPoint {
                iterations,
                error,
                seconds_per_group,
            })
            .collect(),
    }
}

#[test]
fn equal_error_takes_the_fastest_setting_that_reaches_the_target() {
    let s = vec![
        front(
            NmfMethod::Hals,
            NmfInit::Random,
            FrontMode::Single,
            &[(1, 7.0, 1e-3), (2, 5.5, 2e-3), (3, 5.0, 3e-3)],
        ),
        front(
            NmfMethod::Mu,
            NmfInit::Nndsvda,
            FrontMode::Single,
            &[(1, 5.8, 0.5e-3), (2, 5.6, 1e-3)],
        ),
        front(
            NmfMethod::Hals,
            NmfInit::Random,
            FrontMode::Batched,
            &[(1, 7.0, 0.1e-3), (2, 5.5, 0.2e-3)],
        ),
    ];
    // ε 5.8: MU from NNDSVDa after 1 iteration (0.5 ms) beats HALS after 2 (2 ms).
    let r = fastest_reaching(&s, FrontMode::Single, 5.8).unwrap();
    assert_eq!(
        (r.method, r.init, r.iterations),
        (NmfMethod::Mu, NmfInit::Nndsvda, 1)
    );
    // ε 5.5: only HALS reaches it; batched fronts are not mixed in.
    let r = fastest_reaching(&s, FrontMode::Single, 5.5).unwrap();
    assert_eq!(
        (r.method, r.iterations, r.seconds_per_group),
        (NmfMethod::Hals, 2, 2e-3)
    );
    assert!(fastest_reaching(&s, FrontMode::Single, 4.0).is_none());
    let g = GeneratorPoint {
        model: "m".into(),
        checkpoint_steps: 1,
        refine: 0,
        error: 5.5,
        seconds_per_group: 4e-3,
        seconds_per_group_batched: 0.1e-3,
    };
    let e = equal_error(&s, &[g]);
    assert_eq!(e.len(), 2);
    assert!((e[0].speedup.unwrap() - 0.5).abs() < 1e-12);
    assert!((e[1].speedup.unwrap() - 2.0).abs() < 1e-12);
}

/// Five small nonnegative 30 × 12 "groups".
fn small_groups() -> Vec<Mat<f64>> {
    (0..5)
        .map(|g| {
            Mat::from_fn(30, 12, |i, j| {
                (((i * 7 + j * 3 + g * 5) % 11) as f64) / 10.0
            })
        })
        .collect()
}

/// 20 iterations from NNDSVDa at k = 3, seed 0, `per_call` groups per call, `passes` passes.
fn schedule(ys: &[Mat<f64>], per_call: usize, passes: usize) -> FrontRun<'_> {
    FrontRun {
        ys,
        init: NmfInit::Nndsvda,
        k: 3,
        seed: 0,
        max_iter: 20,
        per_call,
        passes,
    }
}

/// The front is the solver itself: more iterations never raise HALS's ε, batching changes
/// the time but not the errors, and the last point matches a plain run of the same length.
#[test]
fn fronts_follow_the_solver() {
    use nmfnet_baselines::nmf::{nmf_from, NmfParams};
    let ys = small_groups();
    let single = solver_front(schedule(&ys, 1, 1), NmfMethod::Hals).unwrap();
    let batched = solver_front(schedule(&ys, 4, 2), NmfMethod::Hals).unwrap();
    let its: Vec<usize> = single.iter().map(|p| p.iterations).collect();
    assert_eq!(its, (0..=20).collect::<Vec<_>>());
    // Time only grows along a front; ε ends below the start's (HALS lowers the squared
    // error at every sweep; ε, a sum of unsquared column errors, follows it here).
    assert!(single
        .windows(2)
        .all(|w| w[1].seconds_per_group >= w[0].seconds_per_group));
    assert!(single[0].seconds_per_group > 0.0);
    assert!(single[20].error < 0.9 * single[0].error, "{single:?}");
    for (a, b) in single.iter().zip(&batched) {
        assert_eq!((a.iterations, a.error), (b.iterations, b.error));
    }
    // Point 0 is the start itself.
    let start = ys
        .iter()
        .map(|y| {
            let (h, w) = nmf_start(y.as_ref(), 3, NmfInit::Nndsvda, 0).unwrap();
            group_epsilon(y.as_ref(), h.as_ref(), w.as_ref())
        })
        .sum::<f64>()
        / 5.0;
    assert!((single[0].error - start).abs() < 1e-12);
    let mut p = NmfParams::new(3);
    p.tol = 0.0;
    p.max_iter = 20;
    let mean = ys
        .iter()
        .map(|y| {
            let (h, w) = nmf_start(y.as_ref(), 3, NmfInit::Nndsvda, 0).unwrap();
            let f = nmf_from(NmfMethod::Hals, y.as_ref(), &p, h, w).unwrap();
            group_epsilon(y.as_ref(), f.h.as_ref(), f.w.as_ref())
        })
        .sum::<f64>()
        / 5.0;
    assert!(
        (single[20].error - mean).abs() < 1e-12,
        "{} vs {mean}",
        single[20].error
    );
}

/// HALS in the refinement's form: point 0 is the start itself, rounds lower ε (f32, so up
/// to rounding), one group per call and four per call give the same errors (the sweeps
/// run group by group either way), and 20 rounds land near 20 iterations of the f64
/// solver from the same start (the two differ in the f64 solver's column scaling and in
/// precision only).
#[test]
fn the_refinement_form_is_hals_from_the_same_start() {
    let ys = small_groups();
    let single = refine_front(schedule(&ys, 1, 1)).unwrap();
    let batched = refine_front(schedule(&ys, 4, 1)).unwrap();
    let f64_front = solver_front(schedule(&ys, 1, 1), NmfMethod::Hals).unwrap();
    assert_eq!(single.len(), 21);
    assert!((single[0].error - f64_front[0].error).abs() < 1e-5 * f64_front[0].error);
    for w in single.windows(2) {
        assert!(w[1].error <= w[0].error * (1.0 + 1e-5), "{single:?}");
        assert!(w[1].seconds_per_group >= w[0].seconds_per_group);
    }
    assert!(single[20].error < 0.9 * single[0].error, "{single:?}");
    for (a, b) in single.iter().zip(&batched) {
        assert!(
            (a.error - b.error).abs() <= 1e-6 * a.error,
            "{a:?} vs {b:?}"
        );
    }
    let (mine, theirs) = (single[20].error, f64_front[20].error);
    assert!((mine - theirs).abs() < 0.02 * theirs, "{mine} vs {theirs}");
}
