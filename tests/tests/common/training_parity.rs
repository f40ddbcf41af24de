//! The same SymNMF-Net training on ndarray, flex and wgpu: loss histories and final factors
//! agree. All three are f32 and start from the same U₀ (drawn on the host), so they differ only
//! by summation order; over 10 Adam steps the losses agreed to 6e-8 relative when this was
//! written (ndarray vs flex and vs wgpu on lavapipe); the test allows 1e-3.

use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::synthetic::{planted_graph, PlantedConfig};
use nmfnet_tests::{max_abs, max_diff, wgpu_ready};
use nmfnet_train::symnmf::{train_symnmf, SymNmfRun};
use nmfnet_train::trainer::TrainerConfig;
use symnmf_burn::{SymNmfAutodiffBackend, SymNmfNetConfig, SymNmfTrainingConfig};

fn run<B: SymNmfAutodiffBackend>(name: &'static str) -> SymNmfRun {
    let g = planted_graph(&PlantedConfig {
        clusters: 3,
        per_cluster: 20,
        dim: 4,
        separation: 2.0,
        seed: 3,
    })
    .unwrap();
    let cfg = SymNmfTrainingConfig {
        model: SymNmfNetConfig {
            rank: 3,
            blocks: 4,
            ..Default::default()
        },
        epochs: 10,
        lr: 0.05,
        seed: 1,
        ..Default::default()
    };
    let trainer = TrainerConfig {
        steps: cfg.epochs,
        progress: false,
        ..Default::default()
    };
    train_symnmf::<B>(
        cfg,
        &Graph::Dense(g.x),
        None,
        trainer,
        &Default::default(),
        name,
    )
    .unwrap()
}

fn losses(r: &SymNmfRun) -> Vec<f64> {
    r.report
        .history
        .iter()
        .map(|(_, m)| m.iter().find(|(k, _)| k == "loss").unwrap().1)
        .collect()
}

fn assert_close(a: &SymNmfRun, b: &SymNmfRun) {
    let (la, lb) = (losses(a), losses(b));
    assert_eq!(la.len(), 10);
    let tol = 1e-3 * max_abs(&la);
    eprintln!(
        "{} vs {}: max loss diff {:e} (rel {:e})",
        a.backend,
        b.backend,
        max_diff(&la, &lb),
        max_diff(&la, &lb) / max_abs(&la)
    );
    assert!(
        max_diff(&la, &lb) <= tol,
        "{} vs {}: losses {la:?} vs {lb:?}",
        a.backend,
        b.backend
    );
    let ua: Vec<f64> = a.u.data().iter().map(|&v| v as f64).collect();
    let ub: Vec<f64> = b.u.data().iter().map(|&v| v as f64).collect();
    let err = max_diff(&ua, &ub);
    assert!(
        err <= 1e-3 * max_abs(&ua),
        "{} vs {}: U differs by {err:e}",
        a.backend,
        b.backend
    );
    assert!((a.lambda - b.lambda).abs() <= 1e-3 * a.lambda);
}

#[test]
fn ndarray_flex_and_wgpu_train_alike() {
    let nd = run::<nmfnet_tests::backends::NdArrayF32>("ndarray");
    let flex = run::<nmfnet_tests::backends::Flex>("flex");
    assert_close(&nd, &flex);
    if wgpu_ready() {
        let gpu = run::<nmfnet_tests::backends::Wgpu>("wgpu");
        assert_close(&nd, &gpu);
    }
    // Training moved the factors: the loss of the last epoch is below the first.
    let l = losses(&nd);
    assert!(l[9] < l[0], "loss did not decrease: {l:?}");
}
