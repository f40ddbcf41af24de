//! The same SymNMF-Net training through the shipped entry point (`nmfnet_app::cluster::cluster`,
//! the code path of `nmfnet cluster`) on ndarray, flex and wgpu (the last with feature `wgpu`):
//! loss histories (from each run's `metrics.jsonl`), final factors and λ agree. All three are
//! f32 and start from the same U₀ (drawn on the host), so they differ only by summation order;
//! over 10 Adam steps the losses agreed to 6e-8 relative when this was written (ndarray vs flex
//! and vs wgpu on lavapipe); the test allows 1e-3.

use nmfnet_app::cluster::{
    cluster, ClusterInput, ClusterJob, ClusterReport, MethodDetails, NetSolver, Preset, Solver,
};
use nmfnet_app::BackendKind;
use nmfnet_datasets::catalog::synthetic::{planted_graph, PlantedConfig};
use nmfnet_datasets::io::write_npy;
use nmfnet_tests::{max_abs, max_diff};
#[cfg(feature = "wgpu")]
use nmfnet_train::runtime::backend::BackendError;
use std::path::{Path, PathBuf};

struct Run {
    backend: &'static str,
    losses: Vec<f64>,
    report: ClusterReport,
}

fn run(backend: BackendKind, x: &Path, dir: &Path) -> Run {
    try_run(backend, x, dir).unwrap()
}

fn try_run(backend: BackendKind, x: &Path, dir: &Path) -> anyhow::Result<Run> {
    let out = dir.join(backend.name());
    let mut config = Preset::Default.config();
    config.model.blocks = 4;
    config.epochs = 10;
    config.lr = 0.05;
    let mut job = ClusterJob::new(Solver::Net(NetSolver { backend, config }));
    job.input = ClusterInput::Similarity(x.to_path_buf());
    job.rank = Some(3);
    job.seed = 1;
    // One start: its loss log is then at the top of the folder.
    job.restarts = 1;
    job.run.out = Some(out.clone());
    job.run.progress = false;
    let report = cluster(&job)?;
    let losses = std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect();
    Ok(Run {
        backend: backend.name(),
        losses,
        report,
    })
}

fn lambda(r: &Run) -> f64 {
    match r.report.summary.details {
        MethodDetails::Net { lambda, .. } => lambda,
        _ => panic!("not a SymNMF-Net run"),
    }
}

fn assert_close(a: &Run, b: &Run) {
    let (la, lb) = (&a.losses, &b.losses);
    assert_eq!(la.len(), 10);
    let tol = 1e-3 * max_abs(la);
    eprintln!(
        "{} vs {}: max loss diff {:e} (rel {:e})",
        a.backend,
        b.backend,
        max_diff(la, lb),
        max_diff(la, lb) / max_abs(la)
    );
    assert!(
        max_diff(la, lb) <= tol,
        "{} vs {}: losses {la:?} vs {lb:?}",
        a.backend,
        b.backend
    );
    let ua: Vec<f64> = a.report.u.data().iter().map(|&v| v as f64).collect();
    let ub: Vec<f64> = b.report.u.data().iter().map(|&v| v as f64).collect();
    let err = max_diff(&ua, &ub);
    assert!(
        err <= 1e-3 * max_abs(&ua),
        "{} vs {}: U differs by {err:e}",
        a.backend,
        b.backend
    );
    assert!((lambda(a) - lambda(b)).abs() <= 1e-3 * lambda(a));
}

#[test]
fn ndarray_flex_and_wgpu_train_alike() {
    let dir: PathBuf = std::env::temp_dir().join(format!("nmfnet-parity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let g = planted_graph(&PlantedConfig {
        clusters: 3,
        per_cluster: 20,
        dim: 4,
        separation: 2.0,
        seed: 3,
    })
    .unwrap();
    let x = dir.join("X.npy");
    write_npy(&x, &g.x).unwrap();
    let nd = run(BackendKind::Ndarray, &x, &dir);
    let flex = run(BackendKind::Flex, &x, &dir);
    assert_close(&nd, &flex);
    // wgpu through the entry point too (its adapter probe is the entry point's own).
    #[cfg(feature = "wgpu")]
    match try_run(BackendKind::Wgpu, &x, &dir) {
        Ok(gpu) => assert_close(&nd, &gpu),
        Err(e) if matches!(e.downcast_ref(), Some(BackendError::NoWgpuAdapter)) => {
            nmfnet_tests::no_wgpu_adapter()
        }
        Err(e) => panic!("wgpu run failed: {e:#}"),
    }
    // Training moved the factors: the loss of the last epoch is below the first.
    let l = &nd.losses;
    assert!(l[9] < l[0], "loss did not decrease: {l:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
