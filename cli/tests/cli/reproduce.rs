//! `nmfnet reproduce … --quick`: the reports are written and finished cells are reused.

use crate::common::*;

#[test]
fn reproduce_quick_writes_results_and_resumes_without_rerunning() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("reproduce");
    let out = d.join("r");
    let run = || {
        nmfnet(&[
            "reproduce",
            "symnmf",
            "--quick",
            "--data-dir",
            p(&dir),
            "--out",
            p(&out),
        ])
    };
    // What must be the same bytes on every run from scratch (times.md is not).
    let files = [
        "results.md",
        "results.json",
        "fig4_1_orl.png",
        "fig4_1_orl.svg",
    ];
    let read_all = || -> Vec<Vec<u8>> {
        files
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
            .collect()
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        first.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("6 of 6 cells to run"), "{stdout}");
    assert!(out.join("times.md").is_file() && out.join("times.json").is_file());
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    // Both protocols, the paper's values beside ours, the paired tests.
    for needle in [
        "## Fair protocol",
        "## Paper protocol",
        "| SymNMF-Net |",
        "/ 81.50",
        "/ 0.2669",
        "Wilcoxon",
    ] {
        assert!(md.contains(needle), "{needle} missing:\n{md}");
    }
    // Every cell runs again from the job it wrote (the command results.md quotes), to the
    // same factor bit for bit.
    assert!(
        md.contains("`nmfnet cluster --job cells/fair/orl/symanls/seed0/job.json`"),
        "{md}"
    );
    for cell in ["fair/orl/symanls/seed0", "paper/orl/symnmf-net/seed0"] {
        let dir = out.join("cells").join(cell);
        let again = d.join(cell.replace('/', "-"));
        let r = nmfnet(&[
            "cluster",
            "--job",
            p(&dir.join("job.json")),
            "--out",
            p(&again),
            "--quiet",
        ]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        for f in ["U.npy", "labels.npy"] {
            assert!(
                std::fs::read(dir.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
                "{cell}: {f} differs in the replay"
            );
        }
    }
    let bytes = read_all();
    let json: serde_json::Value = serde_json::from_slice(&bytes[1]).unwrap();
    let cells = json["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    // No wall-clock time inside the results; the fair cells list their two starts.
    assert!(!String::from_utf8_lossy(&bytes[1]).contains("\"seconds\""));
    let fair_net = cells
        .iter()
        .find(|c| c["cell"]["protocol"] == "fair" && c["cell"]["method"] == "symnmf-net")
        .unwrap();
    assert_eq!(fair_net["summary"]["restarts"].as_array().unwrap().len(), 2);
    // Same seeds again: nothing reruns and the files are the same bytes.
    let second = run();
    let stdout2 = String::from_utf8_lossy(&second.stdout).to_string();
    assert!(second.status.success());
    assert!(!stdout2.contains("cells to run"), "{stdout2}");
    assert!(
        read_all() == bytes,
        "a rerun over finished cells changed the results"
    );
    // From scratch, the same command again: the same bytes (seeded, deterministic).
    std::fs::remove_dir_all(&out).unwrap();
    let fresh = run();
    assert!(fresh.status.success());
    let again = read_all();
    for (f, (a, b)) in files.iter().zip(bytes.iter().zip(&again)) {
        assert!(a == b, "{f} differs between two runs from scratch");
    }
    // A changed cell (its identity no longer matches) is run again.
    let ident = out.join("cells/fair/orl/symhals/seed0/cell.json");
    std::fs::write(&ident, "{}").unwrap();
    let third = run();
    assert!(String::from_utf8_lossy(&third.stdout).contains("1 of 6 cells to run"));
    let bad = nmfnet(&[
        "reproduce",
        "symnmf",
        "--data-dir",
        p(&dir),
        "--datasets",
        "nope",
        "--out",
        p(&out),
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown clustering data set"));
}

#[test]
fn reproduce_ganunet_quick_writes_the_report_and_reuses_its_cells() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("repro-gan");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "reproduce",
            "ganunet",
            "--quick",
            "--data-dir",
            p(&dir),
            "--out",
            p(&d),
        ];
        a.extend_from_slice(extra);
        a
    };
    let run_with = |extra: &[&'static str]| {
        let mut a = args(&["--quiet"]);
        a.extend_from_slice(extra);
        let out = nmfnet(&a);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let run = || run_with(&[]);
    run();
    let md = std::fs::read_to_string(d.join("results.md")).unwrap();
    for needle in [
        "| mnist | hals | direct |",
        "| mnist | hals | transfer |",
        "GAN-UNET (2 steps)",
        "UNET (L1 only)",
        "GAN-UNET + NNLS layer (extension) (2 steps)",
        "GAN-UNET, narrow (extension) (2 steps)",
        "GAN-UNET + NNLS layer, narrow (extension) (2 steps)",
        "rank-10 subspace fitted to ε",
        "Training time on MNIST",
        "speed-up, batched",
        "3.933",
        "speed-up",
        "Inference-time refinement",
        "| mnist | GAN-UNET | 2 |",
        "## Speed-up at equal error (the headline)",
        "fastest solver reaching that ε",
        "| HALS | nndsvda | 1 |",
    ] {
        assert!(md.contains(needle), "results.md lacks {needle:?}:\n{md}");
    }
    for f in [
        "results.json",
        "training_mnist.png",
        "grid_mnist_gan_unet.png",
        "grid_mnist_hals.png",
        "grid_mnist_gan_unet_nnls.png",
        "grid_mnist_gan_unet_nnls_narrow.png",
        "training_time_mnist.png",
        "refine_mnist.png",
        "front_mnist.png",
    ] {
        assert!(d.join(f).is_file(), "{f}");
    }
    // The front tables show the chosen counts (1, 2, 5) only, though every count was measured.
    let row = md
        .lines()
        .find(|l| l.starts_with("| HALS | nndsvda | 1 |"))
        .unwrap();
    assert_eq!(row.matches(" / ").count(), 3, "{row}");
    // The equal-error section comes first; every generator setting is on it, both ways.
    assert!(md.find("Speed-up at equal error") < md.find("## Table 1"));
    let front = &json_of(&d.join("results.json"))["mnist"]["front"];
    let solvers = front["solvers"].as_array().unwrap();
    assert_eq!(
        solvers.len(),
        (3 + 1) * 3 * 2,
        "(methods + HALS in the refinement's f32 form) × starts × modes"
    );
    assert_eq!(
        solvers
            .iter()
            .filter(|f| f["form"] == "refine-f32" && f["method"] == "hals")
            .count(),
        3 * 2
    );
    for f in solvers {
        let pts = f["points"].as_array().unwrap();
        let its: Vec<u64> = pts
            .iter()
            .map(|p| p["iterations"].as_u64().unwrap())
            .collect();
        assert_eq!(
            its,
            [0, 1, 2, 3, 4, 5],
            "every count from the start to the last shown"
        );
        // Later points are the same runs continued: never cheaper.
        let secs: Vec<f64> = pts
            .iter()
            .map(|p| p["seconds_per_group"].as_f64().unwrap())
            .collect();
        assert!(secs.windows(2).all(|w| w[1] >= w[0]), "{secs:?}");
    }
    let generators = front["generators"].as_array().unwrap().len();
    assert_eq!(generators, 5 * 5, "5 models × 5 refinement counts");
    assert_eq!(
        front["equal_error"].as_array().unwrap().len(),
        2 * generators
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("results.json")).unwrap()).unwrap();
    let first = json["mnist"]["gan_unet"]["test_error"].as_f64().unwrap();
    assert!(
        json["mnist"]["gan_unet_nnls_narrow"]["test_error"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // Both references: the ε-fitted subspace never loses to the SVD's.
    let b = &json["mnist"]["baselines"];
    let (svd, fitted) = (
        b["svd_test_error"].as_f64().unwrap(),
        b["subspace_test_error"].as_f64().unwrap(),
    );
    assert!(fitted > 0.0 && fitted <= svd * (1.0 + 1e-9), "{b}");
    // Refinement rounds never raise the test ε of the barely trained model.
    let refined = &json["mnist"]["refine_gan_unet"];
    let errors: Vec<f64> = ["0", "1", "2", "5", "10"]
        .iter()
        .map(|r| refined[*r]["test_error"].as_f64().unwrap())
        .collect();
    assert_eq!(errors[0], first);
    assert!(
        errors.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-5)) && errors[4] < errors[0],
        "{errors:?}"
    );
    // A second run reuses every cell: the model is not retrained (same log), same numbers;
    // without --quiet it prints the equal-error speed-ups, one line per generator and mode.
    let log = d.join("cells/mnist/gan-unet/metrics.jsonl");
    let before = std::fs::read_to_string(&log).unwrap();
    let loud = nmfnet(&args(&[]));
    assert!(loud.status.success());
    let stdout = String::from_utf8_lossy(&loud.stdout);
    assert!(stdout.contains("Speed-up at equal error"), "{stdout}");
    let speedups = stdout
        .lines()
        .filter(|l| l.starts_with("  mnist, ") && l.ends_with('×'))
        .count();
    assert_eq!(
        speedups,
        5 * 2,
        "5 models, one and many groups per call:\n{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("results.json")).unwrap()).unwrap();
    assert_eq!(
        json["mnist"]["gan_unet"]["test_error"].as_f64().unwrap(),
        first
    );
    // --fronts-only reuses the front cell and writes front.md beside the report, untouched.
    let report = std::fs::read_to_string(d.join("results.md")).unwrap();
    run_with(&["--fronts-only"]);
    let front = std::fs::read_to_string(d.join("front.md")).unwrap();
    assert!(
        front.contains("| mnist | GAN-UNET (2 steps) | 0 | 1 |"),
        "{front}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("results.md")).unwrap(),
        report
    );
}

fn json_of(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
