//! `nmfnet cluster` end to end: the embedded default, user files, bad input (typed error,
//! non-zero exit, no panic, nothing overwritten), checkpoints and resume, real data sets.

use crate::common::*;

#[test]
fn embedded_default_reaches_the_target_accuracy() {
    let s = summary(&nmfnet(&[
        "cluster",
        "--method",
        "symnmf-net",
        "--json",
        "--quiet",
    ]));
    for key in [
        "method",
        "dataset",
        "n",
        "rank",
        "acc",
        "nmi",
        "purity",
        "rel_error",
        "sparse_factor",
        "seconds",
    ] {
        assert!(s.get(key).is_some(), "JSON summary lacks '{key}': {s}");
    }
    assert_eq!(s["method"], "symnmf-net");
    assert_eq!((s["n"].as_u64(), s["rank"].as_u64()), (Some(400), Some(5)));
    let acc = s["acc"].as_f64().unwrap();
    assert!(acc >= 0.95, "ACC {acc} < 0.95 on the embedded default");
    assert_eq!(s["zero_rows"].as_u64(), Some(0));
}

/// The target of the defaults: on the embedded default every seed 0–9 reaches ACC ≥ 0.95 with
/// the default restarts, for SymNMF-Net and the two classical methods the paper compares.
/// (Single starts of SymHALS and SymANLS miss it for 4 and 2 of seeds 0–49; see
/// bench/restarts.md.)
#[test]
fn every_seed_reaches_the_target_with_the_default_restarts() {
    for method in ["symnmf-net", "symhals", "symanls"] {
        for seed in 0..10 {
            let s = summary(&nmfnet(&[
                "cluster",
                "--method",
                method,
                "--seed",
                &seed.to_string(),
                "--json",
                "--quiet",
            ]));
            let acc = s["acc"].as_f64().unwrap();
            assert!(acc >= 0.95, "{method} seed {seed}: ACC {acc}");
            let starts = s["restarts"].as_array().unwrap();
            assert_eq!(starts.len(), 3, "{method} seed {seed}");
            // The start kept is the one of lowest relative error, and it is what is reported.
            let best = starts
                .iter()
                .min_by(|a, b| {
                    a["rel_error"]
                        .as_f64()
                        .unwrap()
                        .total_cmp(&b["rel_error"].as_f64().unwrap())
                })
                .unwrap();
            assert_eq!(best["seed"], s["seed"]);
            assert_eq!(best["rel_error"], s["rel_error"]);
            let seeds: Vec<u64> = starts.iter().map(|r| r["seed"].as_u64().unwrap()).collect();
            assert_eq!(seeds, vec![seed, seed + 1, seed + 2]);
        }
    }
}

#[test]
fn user_similarity_file_works_the_same_way() {
    let d = tmp("similarity");
    let g = planted_graph(&PlantedConfig::default()).unwrap();
    let x_path = d.join("x.npy");
    let l_path = d.join("labels.txt");
    write_npy(&x_path, &g.x).unwrap();
    let labels: String = g
        .labels
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&l_path, labels).unwrap();

    let default = summary(&nmfnet(&["cluster", "--json", "--quiet"]));
    let user = summary(&nmfnet(&[
        "cluster",
        "--json",
        "--quiet",
        "--similarity",
        p(&x_path),
        "--labels",
        p(&l_path),
    ]));
    assert_eq!(user["dataset"], "x");
    assert_eq!(user["acc"], default["acc"]);
    assert_eq!(user["rank"], default["rank"]);
    let (a, b) = (
        user["rel_error"].as_f64().unwrap(),
        default["rel_error"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-6, "rel. error {a} vs {b}");

    // Without labels the label scores are null and the rank must be given.
    let no_labels = summary(&nmfnet(&[
        "cluster",
        "--json",
        "--quiet",
        "--similarity",
        p(&x_path),
        "--rank",
        "5",
    ]));
    assert!(
        no_labels["acc"].is_null() && no_labels["nmi"].is_null() && no_labels["purity"].is_null()
    );
    let out = nmfnet(&["cluster", "--quiet", "--similarity", p(&x_path)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rank is required"));
}

#[test]
fn a_dense_similarity_of_mostly_zeros_runs_sparse() {
    let d = tmp("mostly-zeros");
    let g = planted_graph(&PlantedConfig::default()).unwrap();
    let zeros = g.x.data().iter().filter(|&&v| v == 0.0).count() as f64 / g.x.data().len() as f64;
    assert!(zeros >= 0.9, "the planted graph has {zeros} zeros");
    let dense = d.join("x.npy");
    write_npy(&dense, &g.x).unwrap();
    let sparse = d.join("x.npz");
    let csr = nmfnet_datasets::sparse::Csr::from_dense(&g.x);
    nmfnet_datasets::formats::npz::write_sparse_npz_new(&sparse, &csr).unwrap();
    for method in ["symhals", "symnmf-net"] {
        let run = |file: &Path, extra: &[&str]| {
            let mut argv = vec![
                "cluster",
                "--json",
                "--quiet",
                "--rank",
                "5",
                "--restarts",
                "1",
            ];
            argv.extend(["--method", method, "--similarity", p(file)]);
            argv.extend(extra);
            summary(&nmfnet(&argv))
        };
        let (a, b) = (run(&dense, &[]), run(&sparse, &[]));
        assert_eq!(a["storage"], "sparse", "{a}");
        assert!(
            (a["dense_input_zeros"].as_f64().unwrap() - zeros).abs() < 1e-12,
            "{a}"
        );
        assert!(b.get("dense_input_zeros").is_none(), "{b}");
        // The same matrix as the .npz gives: the same run, to the last bit.
        assert_eq!(a["rel_error"], b["rel_error"], "{method}");
        assert_eq!(a["restarts"][0]["rel_error"], b["restarts"][0]["rel_error"]);
        // `--dense` keeps it dense.
        let c = run(&dense, &["--dense"]);
        assert_eq!(c["storage"], "dense", "{c}");
        assert!(c.get("dense_input_zeros").is_none(), "{c}");
        let rel = |s: &serde_json::Value| s["rel_error"].as_f64().unwrap();
        assert!(
            (rel(&a) - rel(&c)).abs() < 1e-5,
            "{method}: {} vs {}",
            rel(&a),
            rel(&c)
        );
    }
    // The summary line says why the dense file ran sparse.
    let out = nmfnet(&[
        "cluster",
        "--quiet",
        "--rank",
        "5",
        "--method",
        "symhals",
        "--similarity",
        p(&dense),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sparse X (dense input, "), "{text}");
}

#[test]
fn user_feature_file_builds_the_graph() {
    let d = tmp("features");
    let (z, labels) = planted_features(&PlantedConfig::default()).unwrap();
    let csv: String = (0..z.nrows())
        .map(|i| {
            z.row(i)
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(d.join("z.csv"), csv).unwrap();
    atomic_write(&d.join("y.npy"), &npy_bytes_labels(&labels)).unwrap();
    let s = summary(&nmfnet(&[
        "cluster",
        "--json",
        "--quiet",
        "--features",
        p(&d.join("z.csv")),
        "--labels",
        p(&d.join("y.npy")),
    ]));
    assert!(s["acc"].as_f64().unwrap() >= 0.95, "{s}");
    // The approximate neighbour search gives a graph on which the same clusters are found.
    let approx = summary(&nmfnet(&[
        "cluster",
        "--json",
        "--quiet",
        "--method",
        "symhals",
        "--knn",
        "hnsw:32",
        "--features",
        p(&d.join("z.csv")),
        "--labels",
        p(&d.join("y.npy")),
    ]));
    assert!(approx["acc"].as_f64().unwrap() >= 0.95, "{approx}");
    // --knn applies to feature vectors only; a bad value is refused by name.
    for (args, says) in [
        (
            vec!["--similarity", p(&d.join("z.csv")), "--knn", "hnsw"],
            "--knn",
        ),
        (
            vec!["--features", p(&d.join("z.csv")), "--knn", "hnsw:0"],
            "hnsw:EF",
        ),
    ] {
        let out = nmfnet(&[&["cluster", "--quiet"][..], &args[..]].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let d = tmp("bad");
    let out_dir = d.join("out");
    let write = |name: &str, text: &str| {
        let path = d.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (write("rect.csv", "1,0,0\n0,1,0\n"), "must be square"),
        (write("asym.csv", "1,0.5\n0.1,1\n"), "not symmetric"),
        (write("neg.csv", "1,-0.5\n-0.5,1\n"), "negative"),
        (write("nan.csv", "1,NaN\nNaN,1\n"), "non-finite"),
        (write("inf.csv", "1,inf\ninf,1\n"), "non-finite"),
        (write("empty.csv", "\n# nothing\n"), "empty"),
        (write("text.csv", "1,a\na,1\n"), "not a number"),
        (write("bad.npy", "\u{93}NUMPY garbage"), "not a valid .npy"),
        (d.join("missing.csv"), "cannot read"),
        (d.to_path_buf(), "cannot read"),
    ];
    for (file, phrase) in &cases {
        expect_error(
            &[
                "cluster",
                "--quiet",
                "--rank",
                "1",
                "--similarity",
                p(file),
                "--out",
                p(&out_dir),
            ],
            phrase,
            &d,
        );
    }
    assert!(
        !out_dir.exists(),
        "no output folder may be created for bad input"
    );

    // Parameters.
    expect_error(
        &["cluster", "--quiet", "--rank", "0"],
        "rank must be at least 1",
        &d,
    );
    expect_error(
        &["cluster", "--quiet", "--rank", "401"],
        "larger than the number of points",
        &d,
    );
    expect_error(
        &["cluster", "--quiet", "--blocks", "0"],
        "at least one block",
        &d,
    );
    expect_error(
        &["cluster", "--quiet", "--lr=-1"],
        "invalid parameter lr",
        &d,
    );
    expect_error(
        &["cluster", "--quiet", "--epochs", "0"],
        "invalid parameter epochs",
        &d,
    );
    expect_error(
        &["cluster", "--quiet", "--fixed-lambda", "--lambda", "0.01"],
        "below the lower bound",
        &d,
    );
    let labels = write("short.txt", "0\n1\n");
    expect_error(
        &["cluster", "--quiet", "--labels", p(&labels)],
        "labels but the data has n = 400",
        &d,
    );
    let features = write("few.csv", "1,2\n3,4\n5,6\n");
    expect_error(
        &[
            "cluster",
            "--quiet",
            "--rank",
            "1",
            "--features",
            p(&features),
        ],
        "more than 7 samples",
        &d,
    );
}

#[test]
fn existing_run_is_not_overwritten_and_resume_matches_a_straight_run() {
    let d = tmp("resume");
    let dir = d.join("run");
    let straight = d.join("straight");
    summary(&nmfnet(&[
        "cluster",
        "--quiet",
        "--json",
        "--epochs",
        "30",
        "--out",
        p(&straight),
    ]));

    summary(&nmfnet(&[
        "cluster",
        "--quiet",
        "--json",
        "--epochs",
        "12",
        "--checkpoint-every",
        "5",
        "--out",
        p(&dir),
    ]));
    let u_before = std::fs::read(dir.join("U.npy")).unwrap();
    // A second run into the same folder is refused and changes nothing.
    expect_error(
        &["cluster", "--quiet", "--epochs", "30", "--out", p(&dir)],
        "already holds",
        &dir,
    );
    assert_eq!(std::fs::read(dir.join("U.npy")).unwrap(), u_before);
    // A run with another config cannot resume it.
    expect_error(
        &[
            "cluster",
            "--quiet",
            "--epochs",
            "30",
            "--seed",
            "9",
            "--out",
            p(&dir),
            "--resume",
        ],
        "another job: seed was 0, is 9",
        &dir,
    );

    let resumed = summary(&nmfnet(&[
        "cluster",
        "--quiet",
        "--json",
        "--epochs",
        "30",
        "--out",
        p(&dir),
        "--resume",
    ]));
    let straight_summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(straight.join("summary.json")).unwrap())
            .unwrap();
    let (a, b) = (
        resumed["rel_error"].as_f64().unwrap(),
        straight_summary["rel_error"].as_f64().unwrap(),
    );
    assert!(
        (a - b).abs() <= 1e-6 * b,
        "resumed rel. error {a} vs straight {b}"
    );
    assert_eq!(resumed["acc"], straight_summary["acc"]);
    // The loss history of every start (the default restarts) holds each epoch exactly once.
    for seed in 0..3 {
        let start = dir.join(format!("restarts/seed-{seed}"));
        assert_eq!(logged_steps(&start), (0..30).collect::<Vec<_>>());
    }
    let u = nmfnet_datasets::io::read_matrix(&dir.join("U.npy"))
        .unwrap()
        .matrix;
    assert_eq!(u.shape(), [400, 5]);
    let labels = nmfnet_datasets::io::read_labels(&dir.join("labels.npy")).unwrap();
    assert_eq!(labels.len(), 400);
    let _: Dense = u;
}

#[test]
fn nan_during_training_is_reported_and_keeps_the_checkpoint() {
    let d = tmp("nan");
    let dir = d.join("run");
    let out = nmfnet_nan_at(
        7,
        &[
            "cluster",
            "--quiet",
            "--restarts",
            "1",
            "--epochs",
            "20",
            "--checkpoint-every",
            "1",
            "--out",
            p(&dir),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("is NaN") || stderr.contains("is inf"),
        "{stderr}"
    );
    assert!(stderr.contains("last good checkpoint"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(dir.join("checkpoint.bin").exists());
    // The stopped run resumes from its last good checkpoint; the log holds each epoch once.
    let s = summary(&nmfnet(&[
        "cluster",
        "--quiet",
        "--json",
        "--restarts",
        "1",
        "--epochs",
        "20",
        "--out",
        p(&dir),
        "--resume",
    ]));
    assert_eq!(s["epochs"], 20);
    assert_eq!(logged_steps(&dir), (0..20).collect::<Vec<_>>());
    // Stopped before its first checkpoint: the message says so (not "use --out").
    let dir = d.join("early");
    let out = nmfnet_nan_at(0, &["cluster", "--quiet", "--out", p(&dir)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("before its first checkpoint"), "{stderr}");
}

#[test]
fn help_on_every_subcommand() {
    for args in [
        vec!["--help"],
        vec!["cluster", "--help"],
        vec!["nmf", "--help"],
        vec!["data", "--help"],
        vec!["gan", "baselines", "--help"],
        vec!["reproduce", "ganunet", "--help"],
    ] {
        let out = nmfnet(&args);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));
    }
}

#[test]
fn cluster_on_a_real_dataset() {
    let Some(dir) = shared_data() else { return };
    let s = summary(&nmfnet(&[
        "cluster",
        "--dataset",
        "orl",
        "--data-dir",
        p(&dir),
        "--epochs",
        "3",
        "--json",
        "--quiet",
    ]));
    assert_eq!(
        (s["dataset"].as_str(), s["n"].as_u64(), s["rank"].as_u64()),
        (Some("orl"), Some(400), Some(40))
    );
    assert!(s["acc"].as_f64().unwrap() > 0.3, "{s}");
    // The approximate neighbour search on real images (10,304 pixels: no projection), and its
    // refusal for the text set, whose cosine graph has only the exact search.
    let approx = summary(&nmfnet(&[
        "cluster",
        "--dataset",
        "orl",
        "--data-dir",
        p(&dir),
        "--method",
        "symhals",
        "--restarts",
        "1",
        "--knn",
        "hnsw",
        "--json",
        "--quiet",
    ]));
    assert!(approx["acc"].as_f64().unwrap() > 0.6, "{approx}");
    let out = nmfnet(&[
        "cluster",
        "--dataset",
        "tdt2",
        "--data-dir",
        p(&dir),
        "--knn",
        "hnsw",
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("image features only"),
        "{err}"
    );
    let out = nmfnet(&["cluster", "--dataset", "nope", "--data-dir", p(&dir)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown data set 'nope'"));
    let out = nmfnet(&[
        "cluster",
        "--dataset",
        "orl",
        "--data-dir",
        "/nonexistent/dir",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));
}

#[test]
fn a_partial_config_keeps_the_rank_from_the_labels() {
    let d = tmp("partial-config");
    let cfg = d.join("cfg.json");
    std::fs::write(&cfg, r#"{"cosine_decay": true, "epochs": 5}"#).unwrap();
    let s = summary(&nmfnet(&[
        "cluster",
        "--config",
        p(&cfg),
        "--json",
        "--quiet",
    ]));
    assert_eq!(
        (s["rank"].as_u64(), s["epochs"].as_u64()),
        (Some(5), Some(5)),
        "{s}"
    );
    std::fs::write(&cfg, r#"{"model": {"rank": 3}, "epochs": 5}"#).unwrap();
    let s = summary(&nmfnet(&[
        "cluster",
        "--config",
        p(&cfg),
        "--json",
        "--quiet",
    ]));
    assert_eq!(s["rank"].as_u64(), Some(3), "{s}");
}

#[test]
fn features_of_any_magnitude_give_the_same_clusters() {
    // Feature vectors whose f32 products overflow (1e19) or underflow (1e-22) build the same
    // kNN graphs as the unit-scale ones, with both graph kinds (the exact search panicked on
    // 1e19 before). Only the data's unit changes.
    let d = tmp("feature-scale");
    let (z, _) = planted_features(&PlantedConfig::default()).unwrap();
    let mut labels_by_scale = Vec::new();
    for (name, scale) in [("unit", 1.0f32), ("big", 1e19), ("tiny", 1e-22)] {
        let mut zs = z.clone();
        zs.data_mut().iter_mut().for_each(|v| *v *= scale);
        let file = d.join(format!("{name}.npy"));
        write_npy(&file, &zs).unwrap();
        for graph in ["kuang", "knn-self"] {
            let out = d.join(format!("{name}-{graph}"));
            let s = summary(&nmfnet(&[
                "cluster",
                "--features",
                p(&file),
                "--rank",
                "5",
                "--method",
                "symhals",
                "--restarts",
                "1",
                "--graph",
                graph,
                "--out",
                p(&out),
                "--json",
                "--quiet",
            ]));
            assert_eq!(s["n"].as_u64(), Some(400), "{name} {graph}: {s}");
            labels_by_scale.push((
                (graph, name),
                std::fs::read(out.join("labels.npy")).unwrap(),
            ));
        }
    }
    for graph in ["kuang", "knn-self"] {
        let of = |scale: &str| {
            labels_by_scale
                .iter()
                .find(|((g, n), _)| *g == graph && *n == scale)
                .map(|x| x.1.clone())
                .unwrap()
        };
        assert!(
            of("big") == of("unit") && of("tiny") == of("unit"),
            "{graph}"
        );
    }
}

#[test]
fn resume_refuses_another_input_or_another_job() {
    // A run folder keeps its job and its input's fingerprint; resuming it with anything but
    // more epochs (or other run options) is refused with what changed, and the finished run
    // stays finished (a refused resume rewrote its marker before).
    let d = tmp("resume-fingerprint");
    let (z, _) = planted_features(&PlantedConfig::default()).unwrap();
    let feats = d.join("z.npy");
    write_npy(&feats, &z).unwrap();
    let out = d.join("run");
    let base = [
        "cluster",
        "--features",
        p(&feats),
        "--rank",
        "5",
        "--restarts",
        "1",
        "--out",
        p(&out),
        "--json",
        "--quiet",
    ];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        nmfnet(&a)
    };
    summary(&with(&["--epochs", "5"]));
    let marker = || std::fs::read_to_string(out.join(".nmfnet-run.json")).unwrap();
    let finished = marker();
    for (extra, phrase) in [
        (
            vec!["--epochs", "5", "--resume", "--graph", "knn-self"],
            "graph.kind was \"kuang\"",
        ),
        (
            vec!["--epochs", "5", "--resume", "--knn", "hnsw"],
            "graph.knn was \"exact\"",
        ),
        (
            vec!["--epochs", "5", "--resume", "--lr", "0.01"],
            "solver.net.config.lr was 0.05, is 0.01",
        ),
        (
            vec!["--epochs", "5", "--resume", "--seed", "4"],
            "seed was 0, is 4",
        ),
    ] {
        let r = with(&extra);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            !r.status.success() && err.contains(phrase),
            "{extra:?}: {err}"
        );
        assert_eq!(marker(), finished, "{extra:?} touched the finished run");
    }
    // The same file name with other contents, and with another number of points.
    let mut edited = z.clone();
    edited.data_mut()[0] += 1.0;
    write_npy(&feats.with_extension("tmp.npy"), &edited).unwrap();
    std::fs::rename(feats.with_extension("tmp.npy"), &feats).unwrap();
    let r = with(&["--epochs", "5", "--resume"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("changed since the run"), "{err}");
    let fewer = Dense::new(300, z.ncols(), z.data()[..300 * z.ncols()].to_vec()).unwrap();
    std::fs::remove_file(&feats).unwrap();
    write_npy(&feats, &fewer).unwrap();
    let r = with(&["--epochs", "5", "--resume"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("was started on 400 points, the input now has 300"),
        "{err}"
    );
    assert_eq!(marker(), finished);
    // The original input again: more epochs continue the run.
    std::fs::remove_file(&feats).unwrap();
    write_npy(&feats, &z).unwrap();
    let s = summary(&with(&["--epochs", "8", "--resume"]));
    assert_eq!(s["max_epochs"].as_u64(), Some(8), "{s}");
}
