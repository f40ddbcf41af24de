//! The scale property: a graph multiplied by c clusters exactly as the graph does — for every
//! SymNMF method, SymNMF-Net included, the same labels, U scaled by √c and the same relative
//! error; for every NMF solver, H·W scaled by c and the same relative error — on the embedded
//! default, ORL's graph and a planted sparse graph, for c ∈ {1e-6, 1e-3, 1e3, 1e6}.
//!
//! The runs are short (a fixed iteration or epoch budget): the property holds step by step, so
//! a short run tests it as well as a converged one. The scaled graph is stored in f32 like any
//! input, so its entries differ from c·X by rounding; the tolerances are those of that rounding
//! (looser for the network's U, which trains in f32 and lets the rounding grow).

use nmfnet_app::cluster::{cluster, ClusterInput, ClusterJob, Method, Shared, Solver};
use nmfnet_app::nmf::{nmf, NmfInput, NmfJob};
use nmfnet_baselines::NmfMethod;
use nmfnet_datasets::graph::sbm::{planted_partition, SbmConfig};
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::Dense;

const SCALES: [f64; 4] = [1e-6, 1e-3, 1e3, 1e6];

fn scaled(x: &Graph, c: f64) -> Graph {
    let mut y = x.clone();
    for v in y.values_mut() {
        *v = (*v as f64 * c) as f32;
    }
    y
}

/// One start of `method` on `x` (rank r), with a short budget.
fn run(method: Method, x: &Graph, r: usize) -> nmfnet_app::cluster::ClusterReport {
    let mut job = ClusterJob::of_method(method);
    job.input = ClusterInput::SimilarityData {
        name: "x".into(),
        x: Shared::new(x.clone()),
    };
    job.rank = Some(r);
    job.restarts = 1;
    match &mut job.solver {
        Solver::Net(net) => {
            net.config.epochs = 40;
            net.config.plateau_patience = 0;
        }
        Solver::Classical(c) => c.max_iter = Some(60),
    }
    cluster(&job).unwrap_or_else(|e| panic!("{} on x: {e:#}", method.name()))
}

/// max |a − b| / max |b| over the entries.
fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    let big = b.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (&p, &q)| m.max((p as f64 - q as f64).abs()));
    diff / big
}

fn check_graph(name: &str, x: &Graph, r: usize) {
    for method in Method::ALL {
        let base = run(method, x, r);
        let mut worst = 0.0f64;
        for c in SCALES {
            let got = run(method, &scaled(x, c), r);
            let what = format!("{} on {name} × {c:e}", method.name());
            assert_eq!(got.labels, base.labels, "{what}: labels");
            let (e0, e1) = (base.summary.rel_error, got.summary.rel_error);
            assert!(
                (e1 - e0).abs() <= 1e-6,
                "{what}: relative error {e1} vs {e0}"
            );
            let s = got.summary.x_scale / base.summary.x_scale;
            assert!(
                (s / c - 1.0).abs() <= 1e-5,
                "{what}: x_scale ratio {s} vs {c}"
            );
            let root = c.sqrt() as f32;
            let expect: Vec<f32> = base.u.data().iter().map(|v| v * root).collect();
            let d = rel_diff(got.u.data(), &expect);
            // The network trains in f32: the input's own rounding (about 6e-8) grows over its
            // epochs to about 2e-3 in U (measured on ORL × 1e-6), with the same labels and
            // relative error; the classical solvers, in f64, stay at the rounding.
            let tol = if method == Method::SymnmfNet {
                1e-2
            } else {
                1e-4
            };
            assert!(d <= tol, "{what}: U differs from √c·U by {d:e} (relative)");
            worst = worst.max(d);
        }
        eprintln!("{name}: {}: largest U difference {worst:e}", method.name());
    }
}

/// The graph a job builds, as it is handed to the solvers.
fn graph_of(input: ClusterInput) -> (Graph, usize) {
    let mut job = ClusterJob::of_method(Method::Symhals);
    job.input = input;
    job.restarts = 1;
    job.keep_graph = true;
    if let Solver::Classical(c) = &mut job.solver {
        c.max_iter = Some(1);
    }
    let report = cluster(&job).expect("the graph builds");
    (report.graph.expect("kept"), report.summary.rank)
}

#[test]
fn every_symnmf_method_gives_the_same_answer_for_a_scaled_embedded_graph() {
    let (x, r) = graph_of(ClusterInput::Embedded);
    check_graph("the embedded default", &x, r);
}

#[test]
fn every_symnmf_method_gives_the_same_answer_for_a_scaled_planted_sparse_graph() {
    let cfg = SbmConfig {
        nodes: 600,
        blocks: 4,
        degree: 12,
        inside: 0.85,
        seed: 3,
    };
    let (x, _) = planted_partition(&cfg, &|_, _| {}).unwrap();
    check_graph("a planted graph", &Graph::Sparse(x), 4);
}

#[test]
fn every_symnmf_method_gives_the_same_answer_for_a_scaled_orl_graph() {
    let Some(dir) = crate::common::shared_data() else {
        return;
    };
    let (x, r) = graph_of(ClusterInput::Dataset {
        name: "orl".into(),
        data_dir: Some(dir),
        coil_full_size: false,
    });
    check_graph("ORL", &x, r);
}

#[test]
fn every_nmf_solver_gives_c_times_hw_for_c_times_y() {
    // A nonnegative 60×40 matrix of rank about 4 plus noise, from a fixed generator.
    let (m, n) = (60, 40);
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let h: Vec<f32> = (0..m * 4).map(|_| next()).collect();
    let w: Vec<f32> = (0..4 * n).map(|_| next()).collect();
    let y: Vec<f32> = (0..m * n)
        .map(|ij| {
            let (i, j) = (ij / n, ij % n);
            (0..4).map(|l| h[i * 4 + l] * w[l * n + j]).sum::<f32>() + 0.05 * next()
        })
        .collect();
    let y = Dense::new(m, n, y).unwrap();
    let fit = |method: NmfMethod, y: &Dense| {
        let mut job = NmfJob::new(
            NmfInput::Data {
                name: "y".into(),
                y: Shared::new(y.clone()),
            },
            method,
            4,
        );
        job.params.max_iter = 80;
        job.params.min_iter = 80;
        nmf(&job).unwrap_or_else(|e| panic!("{method} on y: {e:#}"))
    };
    let product = |h: &Dense, w: &Dense| -> Vec<f32> {
        let k = h.ncols();
        (0..m * n)
            .map(|ij| {
                let (i, j) = (ij / n, ij % n);
                (0..k)
                    .map(|l| h.get(i, l) as f64 * w.get(l, j) as f64)
                    .sum::<f64>() as f32
            })
            .collect()
    };
    for method in NmfMethod::ALL {
        let base = fit(method, &y);
        let hw = product(&base.h, &base.w);
        for c in SCALES {
            let cy = Dense::new(
                m,
                n,
                y.data().iter().map(|v| (*v as f64 * c) as f32).collect(),
            )
            .unwrap();
            let got = fit(method, &cy);
            let what = format!("{method} on y × {c:e}");
            let (e0, e1) = (base.summary.rel_error, got.summary.rel_error);
            assert!(
                (e1 - e0).abs() <= 1e-6,
                "{what}: relative error {e1} vs {e0}"
            );
            assert_eq!(got.summary.iterations, base.summary.iterations, "{what}");
            let expect: Vec<f32> = hw.iter().map(|v| (*v as f64 * c) as f32).collect();
            let d = rel_diff(&product(&got.h, &got.w), &expect);
            assert!(
                d <= 1e-4,
                "{what}: HW differs from c·HW by {d:e} (relative)"
            );
        }
    }
}

#[test]
fn files_beyond_f32_are_read_in_f64_and_scaled_by_a_power_of_two() {
    // Valid numbers of 1e-50 or 1e100 became zeros ("converged" to U = 0) or "infinity"
    // when a file went to f32 first. They are checked in f64 and brought into f32's range by
    // a power of two, which every method answers exactly as the file's own unit would; the
    // summary says so.
    use crate::common::*;
    let d = tmp("f64-range");
    let g = planted_graph(&PlantedConfig::default()).unwrap();
    let write = |name: &str, c: f64| {
        let text: String = (0..g.x.nrows())
            .map(|i| {
                let row: Vec<String> =
                    g.x.row(i)
                        .iter()
                        .map(|&v| format!("{:e}", v as f64 * c))
                        .collect();
                row.join(",") + "\n"
            })
            .collect();
        let file = d.join(name);
        std::fs::write(&file, text).unwrap();
        file
    };
    let run = |args: &[&str], out: &Path| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--out", p(out), "--json", "--quiet"]);
        summary(&nmfnet(&a))
    };
    let mut base = None;
    for (name, c) in [("unit.csv", 1.0), ("tiny.csv", 1e-50), ("huge.csv", 1e100)] {
        let file = write(name, c);
        let out = d.join(format!("{name}-cluster"));
        let s = run(
            &[
                "cluster",
                "--similarity",
                p(&file),
                "--rank",
                "5",
                "--method",
                "symhals",
                "--restarts",
                "1",
            ],
            &out,
        );
        let labels = std::fs::read(out.join("labels.npy")).unwrap();
        let nmf = run(
            &["nmf", "--matrix", p(&file), "--rank", "5"],
            &d.join(format!("{name}-nmf")),
        );
        // 2^k·c·max X in [1, 2) (k = 0 when the file is in range).
        let k = s["input_exponent"].as_i64().unwrap_or(0);
        assert_eq!(
            nmf["input_exponent"].as_i64().unwrap_or(0),
            k,
            "{name}: {nmf}"
        );
        let top = g.x.data().iter().fold(0.0f64, |m, &v| m.max(v as f64)) * c;
        let expect = if c == 1.0 { 0.0 } else { -top.log2().floor() };
        assert_eq!(k as f64, expect, "{name}: 2^{k} for {c:e}: {s}");
        let errors = (
            s["rel_error"].as_f64().unwrap(),
            nmf["rel_error"].as_f64().unwrap(),
        );
        match &base {
            None => base = Some((labels, errors)),
            Some((labels0, (e0, f0))) => {
                assert!(&labels == labels0, "{name}: other labels");
                assert!(
                    (errors.0 - e0).abs() <= 1e-6,
                    "{name}: {} vs {e0}",
                    errors.0
                );
                assert!(
                    (errors.1 - f0).abs() <= 1e-6,
                    "{name}: {} vs {f0}",
                    errors.1
                );
            }
        }
    }
}
