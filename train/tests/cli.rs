//! `nmfnet cluster` end to end, through the binary: the embedded default, user files, bad
//! input (typed error, non-zero exit, no panic, nothing overwritten), checkpoints and resume.

use nmfnet_datasets::io::{atomic_write, npy_bytes_labels, write_npy};
use nmfnet_datasets::synthetic::{planted_features, planted_graph, PlantedConfig};
use nmfnet_datasets::Dense;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nmfnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nmfnet"))
        .args(args)
        .output()
        .expect("the nmfnet binary runs")
}

/// A scratch folder removed when the test ends (even when it fails).
struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tmp(name: &str) -> TmpDir {
    let d = std::env::temp_dir().join(format!("nmfnet-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TmpDir(d)
}

/// The last stdout line, parsed as the JSON summary.
fn summary(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "nmfnet failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().expect("some output")).expect("last line is JSON")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

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
}

/// Runs a failing command and checks: non-zero exit, the expected phrase in the error, no
/// panic, and the output folder untouched.
fn expect_error(args: &[&str], phrase: &str, out_dir: &Path) {
    let before: Vec<_> = std::fs::read_dir(out_dir)
        .map(|r| r.count())
        .into_iter()
        .collect();
    let out = nmfnet(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        stderr.contains(phrase),
        "{args:?}: error '{stderr}' lacks '{phrase}'"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    let after: Vec<_> = std::fs::read_dir(out_dir)
        .map(|r| r.count())
        .into_iter()
        .collect();
    assert_eq!(before, after, "{args:?} wrote into the output folder");
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
        "already holds a run",
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
        "another configuration",
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
    // The loss history holds each epoch exactly once.
    let steps: Vec<u64> = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, (0..30).collect::<Vec<_>>());
    let u = nmfnet_datasets::io::read_matrix(&dir.join("U.npy")).unwrap();
    assert_eq!(u.shape(), [400, 5]);
    let labels = nmfnet_datasets::io::read_labels(&dir.join("labels.npy")).unwrap();
    assert_eq!(labels.len(), 400);
    let _: Dense = u;
}

#[test]
fn nan_during_training_is_reported_and_keeps_the_checkpoint() {
    let d = tmp("nan");
    let dir = d.join("run");
    let out = nmfnet(&[
        "cluster",
        "--quiet",
        "--lr",
        "1e30",
        "--epochs",
        "20",
        "--checkpoint-every",
        "1",
        "--out",
        p(&dir),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("is NaN") || stderr.contains("is inf"),
        "{stderr}"
    );
    assert!(stderr.contains("last good checkpoint"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(dir.join("checkpoint.bin").exists());
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

/// `../shared/data` when present; required when `NMFNET_REQUIRE_DATA=1` (CI).
fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("NMFNET_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("NMFNET_REQUIRE_DATA").as_deref() != Ok("1"),
        "NMFNET_REQUIRE_DATA=1 but {} does not exist",
        dir.display()
    );
    eprintln!("skipping: no data folder at {}", dir.display());
    None
}

#[test]
fn data_check_verifies_every_dataset() {
    let Some(dir) = shared_data() else { return };
    let out = nmfnet(&["data", "check", "--data-dir", p(&dir), "--json"]);
    let rows = summary(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 8);
    for r in rows {
        assert_eq!(r["ok"], true, "{r}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in [
        "orl", "coil20", "mnist1", "mnist2", "tdt2", "fashion", "olivetti",
    ] {
        assert!(stdout.contains(name));
    }
    // A data folder with a corrupted file fails, naming it.
    let d = tmp("corrupt-data");
    std::fs::create_dir_all(d.join("mnist")).unwrap();
    let mut bytes = std::fs::read(dir.join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(d.join("mnist/t10k-labels-idx1-ubyte.gz"), bytes).unwrap();
    let out = nmfnet(&["data", "check", "--data-dir", p(&d)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
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

const CLASSICAL: [&str; 7] = [
    "symanls",
    "symhals",
    "symnewton",
    "pgd",
    "admm",
    "scheme4",
    "kuang-anls",
];

#[test]
fn classical_methods_cluster_the_embedded_default_and_write_their_outputs() {
    let d = tmp("classical");
    for m in CLASSICAL {
        let out = d.join(m);
        let s = summary(&nmfnet(&[
            "cluster",
            "--method",
            m,
            "--json",
            "--quiet",
            "--out",
            p(&out),
        ]));
        assert_eq!(s["method"], m);
        assert!(s["acc"].as_f64().unwrap() >= 0.95, "{m}: {s}");
        // Same optimum as the other methods (rel. error 0.8482 from seed 0, all methods).
        assert!(
            (s["rel_error"].as_f64().unwrap() - 0.8482).abs() < 1e-3,
            "{m}: {s}"
        );
        assert!(s["iterations"].as_u64().unwrap() >= 1);
        for f in ["U.npy", "labels.npy", "history.jsonl", "summary.json"] {
            assert!(out.join(f).is_file(), "{m}: {f} missing");
        }
        let history = std::fs::read_to_string(out.join("history.jsonl")).unwrap();
        let first: serde_json::Value =
            serde_json::from_str(history.lines().next().unwrap()).unwrap();
        assert_eq!(first["iter"], 0);
        assert!(
            first["acc"].is_number(),
            "labels are known: ACC per iteration"
        );
    }
}

#[test]
fn classical_flag_mixups_and_bad_parameters_are_errors() {
    let d = tmp("classical-bad");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--method", "symhals", "--epochs", "3"],
            "--epochs applies to --method symnmf-net only",
        ),
        (
            vec!["--method", "symhals", "--rho", "2"],
            "--rho applies to --method admm only",
        ),
        (
            vec!["--method", "symnmf-net", "--max-iter", "5"],
            "--max-iter applies to the classical methods only",
        ),
        (
            vec!["--method", "symhals", "--rank", "0"],
            "rank must be at least 1",
        ),
        (
            vec!["--method", "symhals", "--rank", "401"],
            "rank must be at least 1 and at most 400",
        ),
        (
            vec!["--method", "symanls", "--lambda=-1"],
            "invalid parameter lambda",
        ),
        (
            vec!["--method", "admm", "--rho", "0"],
            "invalid parameter rho",
        ),
        (vec!["--method", "pgd", "--tol=-1"], "invalid parameter tol"),
        (
            vec!["--method", "pgd", "--max-iter", "0"],
            "invalid parameter max_iter",
        ),
    ];
    for (extra, phrase) in cases {
        let mut args = vec!["cluster", "--quiet", "--out", p(&d)];
        args.extend(extra);
        expect_error(&args, phrase, &d);
    }
}

/// A binary PGM (P5) file.
fn write_pgm(path: &Path, w: usize, h: usize, px: impl Fn(usize, usize) -> u8) {
    let mut bytes = format!("P5\n{w} {h}\n255\n").into_bytes();
    for i in 0..h {
        for j in 0..w {
            bytes.push(px(i, j));
        }
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn nmf_of_an_image_folder_writes_factors_and_a_basis_grid() {
    let d = tmp("nmf");
    let imgs = d.join("imgs");
    std::fs::create_dir_all(&imgs).unwrap();
    // 12 images of 8×6 mixing 3 "parts" (bars): an exact rank-3 nonnegative matrix.
    for t in 0..12usize {
        let (a, b, c) = ((t % 3) as u16, (t % 4) as u16, (t % 5) as u16);
        write_pgm(&imgs.join(format!("img{t:02}.pgm")), 6, 8, |i, j| {
            let v = if i < 3 { 20 * a } else { 0 }
                + if j < 2 { 15 * b } else { 0 }
                + if i >= 5 && j >= 3 { 10 * c } else { 0 };
            v.min(255) as u8
        });
    }
    for m in ["mu", "hals", "anls"] {
        let out = d.join(m);
        let s = summary(&nmfnet(&[
            "nmf",
            "--images",
            p(&imgs),
            "--rank",
            "3",
            "--method",
            m,
            "--out",
            p(&out),
            "--json",
            "--quiet",
        ]));
        assert_eq!(
            (s["m"].as_u64(), s["n"].as_u64(), s["rank"].as_u64()),
            (Some(48), Some(12), Some(3))
        );
        assert!(s["rel_error"].as_f64().unwrap() < 0.2, "{m}: {s}");
        for f in [
            "H.npy",
            "W.npy",
            "basis.png",
            "history.jsonl",
            "summary.json",
        ] {
            assert!(out.join(f).is_file(), "{m}: {f} missing");
        }
        let h = nmfnet_datasets::io::read_matrix(&out.join("H.npy")).unwrap();
        assert_eq!(h.shape(), [48, 3]);
        assert!(h.data().iter().all(|&v| v >= 0.0));
    }
    // Bad input: rank 0 or above min(m, n), images of another size, an empty folder, a
    // matrix with a negative entry, a wrong --image-shape.
    let out = d.join("bad-out");
    std::fs::create_dir_all(&out).unwrap();
    expect_error(
        &["nmf", "--images", p(&imgs), "--rank", "0", "--out", p(&out)],
        "rank must be at least 1",
        &out,
    );
    expect_error(
        &[
            "nmf",
            "--images",
            p(&imgs),
            "--rank",
            "13",
            "--out",
            p(&out),
        ],
        "at most 12",
        &out,
    );
    write_pgm(&imgs.join("odd.pgm"), 5, 8, |_, _| 1);
    expect_error(
        &["nmf", "--images", p(&imgs), "--rank", "2", "--out", p(&out)],
        "but the folder's first image is",
        &out,
    );
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    expect_error(
        &[
            "nmf",
            "--images",
            p(&empty),
            "--rank",
            "2",
            "--out",
            p(&out),
        ],
        "no .png or .pgm files",
        &out,
    );
    let neg = d.join("neg.csv");
    std::fs::write(&neg, "1,2\n-1,3\n1,1\n").unwrap();
    expect_error(
        &["nmf", "--matrix", p(&neg), "--rank", "1", "--out", p(&out)],
        "negative entry",
        &out,
    );
    expect_error(
        &[
            "nmf",
            "--matrix",
            p(&neg),
            "--rank",
            "1",
            "--image-shape",
            "2x2",
            "--out",
            p(&out),
        ],
        "has 4 pixels but",
        &out,
    );
}

/// Every classical method runs from the CLI on each of the five clustering data sets (two
/// iterations each: this checks the plumbing, the bench and `reproduce` check the numbers).
/// SymNewton on TDT-2 is left out here: one iteration factorises 30 Hessian blocks of up to
/// 9,394² (minutes on 2 cores); it runs from the same code path in `bench solvers`.
#[test]
fn classical_methods_run_on_every_clustering_dataset() {
    let Some(dir) = shared_data() else { return };
    for ds in ["orl", "coil20", "mnist1", "mnist2", "tdt2"] {
        for m in CLASSICAL {
            if ds == "tdt2" && m == "symnewton" {
                continue;
            }
            let s = summary(&nmfnet(&[
                "cluster",
                "--dataset",
                ds,
                "--data-dir",
                p(&dir),
                "--method",
                m,
                "--max-iter",
                "2",
                "--json",
                "--quiet",
            ]));
            assert_eq!(s["dataset"], ds);
            assert!(s["acc"].as_f64().unwrap() > 0.0, "{ds} {m}: {s}");
            let rel = s["rel_error"].as_f64().unwrap();
            assert!(rel > 0.0 && rel < 1.0, "{ds} {m}: {s}");
        }
    }
}

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
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        first.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("3 of 3 cells to run"), "{stdout}");
    for f in [
        "results.md",
        "results.json",
        "fig4_1_orl.png",
        "fig4_1_orl.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(
        md.contains("| SymNMF-Net |") && md.contains("/ 81.50"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["cells"].as_array().unwrap().len(), 3);
    // Same seeds again: nothing reruns and the numbers are the same.
    let second = run();
    let stdout2 = String::from_utf8_lossy(&second.stdout).to_string();
    assert!(second.status.success());
    assert!(!stdout2.contains("cells to run"), "{stdout2}");
    let json2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["cells"], json2["cells"]);
    // From scratch in another folder: the same numbers (seeded, deterministic).
    let out2 = d.join("r2");
    let fresh = nmfnet(&[
        "reproduce",
        "symnmf",
        "--quick",
        "--quiet",
        "--data-dir",
        p(&dir),
        "--out",
        p(&out2),
    ]);
    assert!(fresh.status.success());
    let json3: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("results.json")).unwrap()).unwrap();
    for (a, b) in json["cells"]
        .as_array()
        .unwrap()
        .iter()
        .zip(json3["cells"].as_array().unwrap())
    {
        for key in ["acc", "nmi", "purity", "rel_error", "sparse_factor"] {
            assert_eq!(
                a["summary"][key], b["summary"][key],
                "{key} differs between two runs: {a} vs {b}"
            );
        }
    }
    // A changed cell (its identity no longer matches) is run again.
    let ident = out.join("cells/orl/symhals/seed0/cell.json");
    std::fs::write(&ident, "{}").unwrap();
    let third = run();
    assert!(String::from_utf8_lossy(&third.stdout).contains("1 of 3 cells to run"));
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
    let h = nmfnet_datasets::io::read_matrix(&d.join("fact/H.npy")).unwrap();
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
    let w = nmfnet_datasets::io::read_matrix(&d.join("fact-refined/W.npy")).unwrap();
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
        "already holds a run",
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

#[test]
fn reproduce_ganunet_quick_writes_the_report_and_reuses_its_cells() {
    let Some(dir) = shared_data() else { return };
    let d = tmp("repro-gan");
    let run = || {
        let out = nmfnet(&[
            "reproduce",
            "ganunet",
            "--quick",
            "--data-dir",
            p(&dir),
            "--out",
            p(&d),
            "--quiet",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
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
    ] {
        assert!(d.join(f).is_file(), "{f}");
    }
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
    // A second run reuses every cell: the model is not retrained (same log), same numbers.
    let log = d.join("cells/mnist/gan-unet/metrics.jsonl");
    let before = std::fs::read_to_string(&log).unwrap();
    run();
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("results.json")).unwrap()).unwrap();
    assert_eq!(
        json["mnist"]["gan_unet"]["test_error"].as_f64().unwrap(),
        first
    );
}
