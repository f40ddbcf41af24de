//! The output-folder discipline, verified checkpoints, refused resumes and seeded training,
//! through the binary: every way found to lose a user's files or results.

use crate::common::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn cluster_run(dir: &Path, extra: &[&str]) -> Output {
    let mut a = vec!["cluster", "--quiet", "--json", "--out", p(dir)];
    a.extend_from_slice(extra);
    nmfnet(&a)
}

/// [`cluster_run`] with one start: the loop's files (checkpoint, log) at the top of `dir`.
fn cluster_run1(dir: &Path, extra: &[&str]) -> Output {
    let mut a = vec!["--restarts", "1"];
    a.extend_from_slice(extra);
    cluster_run(dir, &a)
}

/// Every file below `dir` with its bytes (names relative to `dir`).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&*d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.ends_with(".nmfnet.lock") {
                // (The lock holds the pid of the last run that took it.)
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                v.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn a_folder_of_user_files_is_never_written_into() {
    let d = tmp("safety-foreign");
    // The user's own folder: features and ground truth, and an unrelated U.npy.
    let x = planted_features(&PlantedConfig::default()).unwrap();
    write_npy(&d.join("f.npy"), &x.0).unwrap();
    atomic_write(&d.join("labels.npy"), &npy_bytes_labels(&x.1)).unwrap();
    std::fs::write(d.join("U.npy"), b"my own factor").unwrap();
    let before = snapshot(&d);
    let (f, labels) = (d.join("f.npy"), d.join("labels.npy"));
    for extra in [&[][..], &["--overwrite"][..]] {
        let mut a = vec![
            "cluster",
            "--quiet",
            "--method",
            "symhals",
            "--features",
            p(&f),
            "--labels",
            p(&labels),
            "--out",
            p(&d),
        ];
        a.extend_from_slice(extra);
        let out = nmfnet(&a);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("did not write"), "{}", stderr(&out));
        assert!(snapshot(&d) == before, "{a:?} touched the user's folder");
    }
    // nmf into the folder of its own input, as an earlier nmf run left it.
    let run = d.join("nmf-run");
    let y: Vec<f32> = (0..600).map(|i| ((i * 7919) % 97) as f32 / 97.0).collect();
    let y_path = d.join("y.npy");
    write_npy(&y_path, &Dense::new(30, 20, y).unwrap()).unwrap();
    summary(&nmfnet(&[
        "nmf",
        "--matrix",
        p(&y_path),
        "--rank",
        "3",
        "--max-iter",
        "5",
        "--out",
        p(&run),
        "--json",
    ]));
    let before = snapshot(&run);
    let out = nmfnet(&[
        "nmf",
        "--matrix",
        p(&run.join("H.npy")),
        "--rank",
        "2",
        "--out",
        p(&run),
        "--overwrite",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("lies inside --out"),
        "{}",
        stderr(&out)
    );
    assert!(
        snapshot(&run) == before,
        "the refused run changed the folder"
    );
}

#[test]
fn overwrite_replaces_a_run_only_once_the_new_one_succeeded() {
    let d = tmp("safety-overwrite");
    let dir = d.join("run");
    summary(&cluster_run(&dir, &["--epochs", "6"]));
    let before = snapshot(&dir);
    // A replacement that stops at a NaN leaves the earlier run exactly as it was.
    let out = nmfnet_nan_at(
        3,
        &[
            "cluster",
            "--quiet",
            "--epochs",
            "20",
            "--overwrite",
            "--out",
            p(&dir),
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("still holds the earlier run"),
        "{}",
        stderr(&out)
    );
    assert!(
        snapshot(&dir) == before,
        "the failed replacement changed the run"
    );
    // Nothing is left beside it.
    let siblings: Vec<_> = std::fs::read_dir(&*d).unwrap().flatten().collect();
    assert_eq!(siblings.len(), 1, "{siblings:?}");
    // A classical method replaces the net run whole: no checkpoint or loss log survives.
    summary(&cluster_run(&dir, &["--method", "symhals", "--overwrite"]));
    assert!(dir.join("history.jsonl").is_file());
    assert!(!dir.join("checkpoint.bin").exists() && !dir.join("metrics.jsonl").exists());
    assert!(!dir.join("config.json").exists() && !dir.join("restarts").exists());
}

#[test]
fn a_second_run_on_the_same_folder_is_refused_while_the_first_runs() {
    let d = tmp("safety-lock");
    let dir = d.join("run");
    let mut first = Command::new(env!("CARGO_BIN_EXE_nmfnet"))
        .args([
            "cluster",
            "--quiet",
            "--epochs",
            "1000000",
            "--checkpoint-every",
            "100000000",
            "--out",
            p(&dir),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first run holds the folder.
    let t = std::time::Instant::now();
    while !dir.join(".nmfnet-run.json").exists() && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for flag in ["--resume", "--overwrite"] {
        let out = cluster_run(&dir, &["--epochs", "5", flag]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("another nmfnet run (pid"),
            "{flag}: {}",
            stderr(&out)
        );
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // Killed before its first checkpoint: a plain rerun is refused, --resume has nothing to
    // continue, --overwrite replaces it.
    let out = cluster_run(&dir, &["--epochs", "5"]);
    assert!(
        stderr(&out).contains("an unfinished `cluster` run"),
        "{}",
        stderr(&out)
    );
    let out = cluster_run(&dir, &["--epochs", "5", "--resume"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no checkpoint"), "{}", stderr(&out));
    summary(&cluster_run(&dir, &["--epochs", "5", "--overwrite"]));
}

#[test]
fn damaged_checkpoints_and_impossible_resumes_are_refused() {
    let d = tmp("safety-ckpt");
    let dir = d.join("run");
    summary(&cluster_run1(
        &dir,
        &["--epochs", "8", "--checkpoint-every", "4"],
    ));
    let good = std::fs::read(dir.join("checkpoint.bin")).unwrap();
    // Fewer epochs than the checkpoint holds.
    let out = cluster_run1(&dir, &["--epochs", "4", "--resume"]);
    assert!(
        stderr(&out).contains("more than the 4 asked for"),
        "{}",
        stderr(&out)
    );
    // Flipped bytes anywhere (weights, step counter, header), a truncation, an extension.
    let mut damaged = Vec::new();
    for i in [0, 9, 14, 30, 40, good.len() / 2, good.len() - 1] {
        let mut b = good.clone();
        b[i] ^= 0x20;
        damaged.push(b);
    }
    damaged.push(good[..good.len() - 3].to_vec());
    damaged.push([good.as_slice(), b"xx"].concat());
    damaged.push(Vec::new());
    for b in &damaged {
        std::fs::write(dir.join("checkpoint.bin"), b).unwrap();
        let out = cluster_run1(&dir, &["--epochs", "12", "--resume"]);
        let e = stderr(&out);
        assert!(!out.status.success());
        assert_eq!(out.status.code(), Some(1), "{e}");
        assert!(e.contains("not an nmfnet checkpoint"), "{e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    // The intact file still resumes.
    std::fs::write(dir.join("checkpoint.bin"), &good).unwrap();
    let s = summary(&cluster_run1(&dir, &["--epochs", "12", "--resume"]));
    assert_eq!(s["epochs"], 12);
}

#[test]
fn gan_training_is_seeded_and_resume_keeps_its_data_set() {
    let Some(data) = shared_data() else { return };
    let d = tmp("safety-gan");
    let run = |out: &Path, ds: &str, steps: &str, extra: &[&str]| {
        let mut a = vec![
            "gan",
            "train",
            "--dataset",
            ds,
            "--data-dir",
            p(&data),
            "--steps",
            steps,
            "--tiny",
            "--quiet",
            "--json",
            "--out",
            p(out),
        ];
        a.extend_from_slice(extra);
        nmfnet(&a)
    };
    let (a, b) = (d.join("a"), d.join("b"));
    let sa = summary(&run(&a, "mnist", "2", &[]));
    let sb = summary(&run(&b, "mnist", "2", &[]));
    for key in ["train_error", "test_error"] {
        assert_eq!(sa[key], sb[key], "{key}: two runs with one seed differ");
    }
    // Every logged loss, bit for bit (only the wall-clock seconds may differ).
    let log = |dir: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("seconds");
                v
            })
            .collect()
    };
    assert_eq!(log(&a), log(&b), "two runs with one seed differ");
    assert_eq!(log(&a).len(), 2);
    // The same on ndarray, when it is compiled in (CI's all-backend build).
    let (na, nb) = (d.join("na"), d.join("nb"));
    let first = run(&na, "mnist", "2", &["--backend", "ndarray"]);
    if first.status.success() {
        let sb = summary(&run(&nb, "mnist", "2", &["--backend", "ndarray"]));
        assert_eq!(summary(&first)["test_error"], sb["test_error"]);
        assert_eq!(log(&na), log(&nb), "two ndarray runs with one seed differ");
    } else {
        assert!(
            stderr(&first).contains("not compiled"),
            "{}",
            stderr(&first)
        );
    }
    // Another seed gives another run.
    let c = d.join("c");
    let sc = summary(&run(&c, "mnist", "2", &["--seed", "1"]));
    assert_ne!(sa["train_error"], sc["train_error"]);
    // Resuming on another data set is refused.
    let out = run(&a, "fashion", "3", &["--resume"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("another configuration"),
        "{}",
        stderr(&out)
    );
}
