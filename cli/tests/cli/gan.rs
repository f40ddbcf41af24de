//! `nmfnet gan …`: training, resume, evaluation, factorisation, the classical comparisons.

use crate::common::*;

#[test]
fn gan_train_smoke_run_checkpoints_and_resumes() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("gan");
    let out = d.join("run");
    let s = summary(&nmfnet(&[
        "gan",
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--steps",
        "2",
        "--tiny",
        "--out",
        p(&out),
        "--json",
        "--quiet",
    ]));
    assert_eq!(s["steps"], 2);
    for key in ["train_error", "test_error", "seconds_per_group"] {
        let v = s[key].as_f64().unwrap();
        assert!(v.is_finite() && v > 0.0, "{key}: {s}");
    }
    assert!(s["test_groups"].as_u64().unwrap() >= 200, "{s}");
    assert!(out.join("checkpoint.bin").is_file() && out.join("metrics.jsonl").is_file());
    // Resume to 3 steps: one more line in the log.
    let s = summary(&nmfnet(&[
        "gan",
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--steps",
        "3",
        "--tiny",
        "--out",
        p(&out),
        "--resume",
        "--json",
        "--quiet",
    ]));
    assert_eq!(s["steps"], 3);
    let lines = std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(lines, 3);
    // Resumed once more with every step done (as after a kill during the final evaluation):
    // nothing trains, and the last step's error comes from the log (it was null before).
    let again = summary(&nmfnet(&[
        "gan",
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--steps",
        "3",
        "--tiny",
        "--out",
        p(&out),
        "--resume",
        "--json",
        "--quiet",
    ]));
    assert_eq!(again["train_error"], s["train_error"], "{again}");
    // The checkpoint is usable by eval, on its own data set and on another (generalisation).
    let trained_test = s["test_error"].as_f64().unwrap();
    let e = summary(&nmfnet(&[
        "gan",
        "eval",
        "--checkpoint",
        p(&out),
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--json",
    ]));
    assert_eq!(e["checkpoint_steps"], 3);
    assert!(
        (e["test_error"].as_f64().unwrap() - trained_test).abs() < 1e-4,
        "{e} vs {s}"
    );
    assert!(e["train_error"].as_f64().unwrap() > 0.0 && e["groups"].as_u64().unwrap() >= 200);
    // Latency (one group per pass) and throughput (25 per pass) are both reported; the errors
    // above come from the batched pass and match the training run's one-group pass.
    assert_eq!(e["batch"], 25);
    for key in ["seconds_per_group", "seconds_per_group_batched"] {
        assert!(e[key].as_f64().unwrap() > 0.0, "{key}: {e}");
    }
    // --refine: alternating HALS after the forward pass only lowers ε (a barely trained tiny
    // generator leaves much to gain), and the summary says how many rounds ran.
    let r = summary(&nmfnet(&[
        "gan",
        "eval",
        "--checkpoint",
        p(&out),
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--refine",
        "3",
        "--json",
    ]));
    assert_eq!(r["refine"].as_u64(), Some(3));
    assert_eq!(r["groups"], e["groups"]);
    for key in ["train_error", "test_error"] {
        let (plain, refined) = (e[key].as_f64().unwrap(), r[key].as_f64().unwrap());
        assert!(refined < 0.9 * plain, "{key}: {plain} → {refined}");
    }
    let e = summary(&nmfnet(&[
        "gan",
        "eval",
        "--checkpoint",
        p(&out),
        "--dataset",
        "fashion",
        "--data-dir",
        p(&dir),
        "--json",
    ]));
    assert!(e["test_error"].as_f64().unwrap() > 0.0);
    let bad = nmfnet(&[
        "gan",
        "eval",
        "--checkpoint",
        p(&d),
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
    ]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no checkpoint"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    // factorize: one group of 40 images from a folder.
    let imgs = d.join("group");
    std::fs::create_dir_all(&imgs).unwrap();
    for t in 0..40usize {
        write_pgm(&imgs.join(format!("g{t:02}.pgm")), 28, 28, |i, j| {
            ((i * 7 + j * 3 + t * 11) % 256) as u8
        });
    }
    let f = summary(&nmfnet(&[
        "gan",
        "factorize",
        "--checkpoint",
        p(&out),
        "--images",
        p(&imgs),
        "--out",
        p(&d.join("fact")),
        "--json",
    ]));
    assert_eq!(
        (f["images"].as_u64(), f["k"].as_u64()),
        (Some(40), Some(10))
    );
    for file in ["H.npy", "W.npy", "grid.png"] {
        assert!(d.join("fact").join(file).is_file(), "{file}");
    }
    let h = nmfnet_datasets::io::read_matrix(&d.join("fact/H.npy"))
        .unwrap()
        .matrix;
    assert_eq!(h.shape(), [784, 10]);
    assert!(h.data().iter().all(|&v| v >= 0.0));
    let fr = summary(&nmfnet(&[
        "gan",
        "factorize",
        "--checkpoint",
        p(&out),
        "--images",
        p(&imgs),
        "--out",
        p(&d.join("fact-refined")),
        "--refine",
        "5",
        "--json",
    ]));
    let (plain, refined) = (f["error"].as_f64().unwrap(), fr["error"].as_f64().unwrap());
    assert!(refined < plain, "{plain} → {refined}");
    let w = nmfnet_datasets::io::read_matrix(&d.join("fact-refined/W.npy"))
        .unwrap()
        .matrix;
    assert_eq!(w.shape(), [10, 40]);
    assert!(w.data().iter().all(|&v| v >= 0.0));
    std::fs::remove_file(imgs.join("g00.pgm")).unwrap();
    expect_error(
        &[
            "gan",
            "factorize",
            "--checkpoint",
            p(&out),
            "--images",
            p(&imgs),
            "--out",
            p(&d.join("fact2")),
        ],
        "holds 39 images but the generator factorises groups of 40",
        &d.join("fact"),
    );
    // Without the discriminator (the "UNET" ablation) there is no d_loss.
    let out2 = d.join("unet");
    summary(&nmfnet(&[
        "gan",
        "train",
        "--dataset",
        "face",
        "--data-dir",
        p(&dir),
        "--steps",
        "1",
        "--tiny",
        "--no-discriminator",
        "--k",
        "5",
        "--out",
        p(&out2),
        "--json",
        "--quiet",
    ]));
    let log = std::fs::read_to_string(out2.join("metrics.jsonl")).unwrap();
    assert!(!log.contains("d_loss") && log.contains("g_loss"), "{log}");
    // Bad input: k out of range, an unknown data set, a run already in --out.
    for (args, phrase) in [
        (
            vec!["--dataset", "mnist", "--k", "0"],
            "k (the number of basis images) must be between 1 and the group size 40",
        ),
        (
            vec!["--dataset", "mnist", "--k", "41"],
            "must be between 1 and the group size 40",
        ),
        (vec!["--dataset", "cifar"], "unknown GAN-UNET data set"),
    ] {
        let mut a = vec![
            "gan",
            "train",
            "--data-dir",
            p(&dir),
            "--steps",
            "1",
            "--tiny",
            "--quiet",
        ];
        a.extend(args);
        expect_error(&a, phrase, &d);
    }
    expect_error(
        &[
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            p(&dir),
            "--steps",
            "1",
            "--tiny",
            "--out",
            p(&out),
        ],
        "already holds",
        &out,
    );
}

#[test]
fn gan_baselines_report_both_protocols_and_reject_bad_parameters() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("gan-baselines");
    let s = summary(&nmfnet(&[
        "gan",
        "baselines",
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--groups",
        "2",
        "--train-images",
        "300",
        "--methods",
        "hals,anls",
        "--out",
        p(&d),
        "--json",
        "--quiet",
    ]));
    assert_eq!(
        (s["train_groups"].as_u64(), s["test_groups"].as_u64()),
        (Some(2), Some(2))
    );
    let svd = s["svd_test_error"].as_f64().unwrap();
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        let direct = r["direct_test_error"].as_f64().unwrap();
        let transfer = r["transfer_test_error"].as_f64().unwrap();
        // The rank-k SVD is the Frobenius optimum: a nonnegative factorisation of the same
        // group is not far below it in ε, and the fixed basis (learned elsewhere) does worse
        // than fitting the group itself. MNIST images have norm ≈ 9.3.
        assert!(direct > 0.9 * svd && direct < 9.0, "{r} vs SVD {svd}");
        assert!(transfer > direct, "{r}");
    }
    for f in [
        "hals_direct_grid.png",
        "anls_transfer_grid.png",
        "summary.json",
    ] {
        assert!(d.join(f).is_file(), "{f}");
    }
    let base = [
        "gan",
        "baselines",
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
    ];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    for (extra, phrase) in [
        (&["--k", "0"][..], "k"),
        (&["--k", "41"][..], "k"),
        (&["--methods", "svd"][..], "unknown NMF method"),
    ] {
        let args = with(extra);
        let argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let out = nmfnet(&argv);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(phrase),
            "{extra:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// The NNLS layer of the W head (extension): trains, evaluates, and its sweep count is part of
/// the configuration a checkpoint must match.
#[test]
fn gan_train_with_the_nnls_layer_evaluates_and_guards_its_config() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("gan-nnls");
    let out = d.join("run");
    let train = |sweeps: &str, steps: &str, resume: bool| {
        let mut a = vec![
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            p(&dir),
            "--steps",
            steps,
            "--tiny",
            "--nnls-sweeps",
            sweeps,
            "--out",
            p(&out),
            "--json",
            "--quiet",
        ];
        if resume {
            a.push("--resume");
        }
        nmfnet(&a)
    };
    let s = summary(&train("3", "1", false));
    let trained = s["test_error"].as_f64().unwrap();
    assert!(trained.is_finite() && trained > 0.0, "{s}");
    let e = summary(&nmfnet(&[
        "gan",
        "eval",
        "--checkpoint",
        p(&out),
        "--dataset",
        "mnist",
        "--data-dir",
        p(&dir),
        "--groups",
        "30",
        "--batch",
        "7",
        "--json",
    ]));
    assert_eq!(e["groups"], 30);
    assert!(e["test_error"].as_f64().unwrap() > 0.0, "{e}");
    let bad = train("4", "2", true);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("another configuration") && err.contains("\"nnls_sweeps\":3"),
        "{err}"
    );
}

/// `--channels` sets the generator's width: a bad width is a typed error, the width is part of
/// the configuration a checkpoint must match, and the training time adds up over a resume.
#[test]
fn gan_train_width_is_checked_and_training_time_accumulates() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("gan-width");
    let out = d.join("run");
    let train = |channels: &str, steps: &str, resume: bool| {
        let mut a = vec![
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            p(&dir),
            "--steps",
            steps,
            "--channels",
            channels,
            "--out",
            p(&out),
            "--json",
            "--quiet",
        ];
        if resume {
            a.push("--resume");
        }
        nmfnet(&a)
    };
    let zero = train("0", "1", false);
    assert!(!zero.status.success());
    let err = String::from_utf8_lossy(&zero.stderr);
    assert!(err.contains("base_channels = 0"), "{err}");
    assert!(!out.join("checkpoint.bin").exists());

    let first = summary(&train("4", "1", false));
    let t1 = first["training_seconds"].as_f64().unwrap();
    assert!(t1 > 0.0, "{first}");
    let config = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(
        config.contains("\"base_channels\": 4") && config.contains("\"max_channels\": 32"),
        "{config}"
    );
    let second = summary(&train("4", "2", true));
    let t2 = second["training_seconds"].as_f64().unwrap();
    assert!(t2 > t1, "{t1} then {t2}");
    let bad = train("8", "3", true);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("another configuration"), "{err}");
}

/// The per-step metrics of a run's log (g_loss, train_error, d_loss).
#[cfg(feature = "collective")]
fn logged_losses(dir: &std::path::Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            ["g_loss", "train_error", "d_loss"]
                .iter()
                .map(|k| {
                    v.get(k)
                        .or_else(|| v["metrics"].get(k))
                        .and_then(|x| x.as_f64())
                        .unwrap_or_else(|| panic!("{k} in {l}"))
                })
                .collect()
        })
        .collect()
}

/// Data-parallel training: two peers as threads, two processes joined through the orchestrator
/// on 127.0.0.1 (started by the one command), and one device with the whole batch give the
/// same losses step by step.
#[cfg(feature = "collective")]
#[test]
fn gan_train_on_two_peers_threads_or_processes_matches_one_device() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("gan-parallel");
    let run = |name: &str, extra: &[&str]| {
        let out = d.join(name);
        let mut args = vec![
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            p(&dir),
            "--steps",
            "5",
            "--batch",
            "2",
            "--tiny",
            "--per-group-norm",
            "--out",
            p(&out),
            "--json",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        let s = summary(&nmfnet(&args));
        assert_eq!(s["steps"], 5, "{name}: {s}");
        (logged_losses(&out), s)
    };
    let (alone, _) = run("alone", &[]);
    let (threads, st) = run("threads", &["--devices", "2"]);
    let (processes, sp) = run("processes", &["--nodes", "2"]);
    assert_eq!(alone.len(), 5);
    // Threads and processes run the same arithmetic: the same bits.
    assert_eq!(threads, processes);
    assert_eq!(st["test_error"], sp["test_error"]);
    for (s, (a, b)) in alone.iter().zip(&threads).enumerate() {
        for (m, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-4 * x.abs(),
                "step {s} metric {m}: one device {x}, two peers {y}"
            );
        }
    }
    // Only process 0 wrote: the folder holds one run.
    assert!(d.join("processes").join("checkpoint.bin").is_file());
    // A batch that does not split is refused before any work.
    let out = d.join("odd");
    expect_error(
        &[
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            p(&dir),
            "--steps",
            "1",
            "--batch",
            "3",
            "--tiny",
            "--devices",
            "2",
            "--out",
            p(&out),
        ],
        "multiple",
        &out,
    );
}

#[cfg(not(feature = "collective"))]
#[test]
fn gan_train_on_several_devices_needs_the_collective_feature() {
    let d = tmp("gan-no-collective");
    let out = d.join("run");
    expect_error(
        &[
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--steps",
            "1",
            "--tiny",
            "--devices",
            "2",
            "--out",
            p(&out),
        ],
        "collective",
        &out,
    );
}
