//! `kill -9` at a random moment: whatever the killed run left, a rerun handles it. For
//! `cluster` and `gan train`, 10 kills each: a plain rerun is refused or runs, `--resume`
//! continues or says there is nothing to continue, and the run finished from there (resumed, or
//! replaced with `--overwrite`) reports what an uninterrupted run reports. For
//! `reproduce symnmf --quick`, 10 kills: the rerun (which continues by itself) finishes the
//! report with the numbers of an uninterrupted run.

use crate::common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small deterministic generator of kill times (xorshift).
struct Times(u64);

impl Times {
    fn next_fraction(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn timed(args: &[&str]) -> (Output, f64) {
    let t = Instant::now();
    let out = nmfnet(args);
    (out, t.elapsed().as_secs_f64())
}

/// Runs `args` and SIGKILLs it after `after` seconds (if it is still running).
fn killed(args: &[&str], after: f64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nmfnet"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs_f64(after));
    let _ = child.kill();
    let _ = child.wait();
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The three reruns of a killed training run: plain, `--resume`, then `--overwrite` when the
/// resume had nothing to continue. Returns the summary of the run that finished.
fn rerun_after_kill(base: &[&str], out: &Path, label: &str) -> serde_json::Value {
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(&["--out", p(out)]);
        a.extend_from_slice(extra);
        nmfnet(&a)
    };
    if !out.join(".nmfnet-run.json").exists() {
        // Killed before it took the folder: a plain rerun is a fresh run.
        return summary(&with(&["--json"]));
    }
    let plain = with(&["--json"]);
    if plain.status.success() {
        panic!(
            "{label}: a plain rerun over a killed run's folder ran: {}",
            err(&plain)
        );
    }
    assert!(
        err(&plain).contains("already holds"),
        "{label}: {}",
        err(&plain)
    );
    let resumed = with(&["--json", "--resume"]);
    if resumed.status.success() {
        return summary(&resumed);
    }
    let e = err(&resumed);
    assert!(
        e.contains("holds no checkpoint") || e.contains("no run to continue"),
        "{label}: --resume failed otherwise: {e}"
    );
    assert!(!e.contains("panicked"), "{label}: {e}");
    summary(&with(&["--json", "--overwrite"]))
}

#[test]
fn a_killed_cluster_run_is_always_recoverable() {
    let d = tmp("kill-cluster");
    let base = [
        "cluster",
        "--quiet",
        "--epochs",
        "150",
        "--checkpoint-every",
        "10",
    ];
    let straight_dir = d.join("straight");
    let mut a = base.to_vec();
    a.extend_from_slice(&["--json", "--out", p(&straight_dir)]);
    let (out, secs) = timed(&a);
    let straight = summary(&out);
    let mut times = Times(0x9e37_79b9_7f4a_7c15);
    for trial in 0..10 {
        let dir = d.join(format!("t{trial}"));
        let mut a = base.to_vec();
        a.extend_from_slice(&["--out", p(&dir)]);
        killed(&a, 1.2 * secs * times.next_fraction());
        let s = rerun_after_kill(&base, &dir, &format!("cluster trial {trial}"));
        assert_eq!(s["acc"], straight["acc"], "trial {trial}");
        let (x, y) = (
            s["rel_error"].as_f64().unwrap(),
            straight["rel_error"].as_f64().unwrap(),
        );
        assert!((x - y).abs() <= 1e-6 * y, "trial {trial}: {x} vs {y}");
        // The default restarts: three starts, each with its own loop files, each stopped by
        // the loss plateau at the epoch of the uninterrupted run.
        let epochs = |dir: &std::path::Path, seed: u64| {
            std::fs::read_to_string(dir.join(format!("restarts/seed-{seed}/metrics.jsonl")))
                .unwrap()
                .lines()
                .count()
        };
        for seed in 0..3 {
            let (steps, want) = (epochs(&dir, seed), epochs(&straight_dir, seed));
            assert!(
                want < 150,
                "start {seed}: the plateau rule should stop before 150 epochs"
            );
            assert_eq!(
                steps, want,
                "trial {trial}, start {seed}: the loss log holds each epoch once, up to the same stop"
            );
        }
    }
}

#[test]
fn a_killed_gan_training_is_always_recoverable() {
    let Some(data) = shared_data() else { return };
    let d = tmp("kill-gan");
    let base = [
        "gan",
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        p(&data),
        "--tiny",
        "--steps",
        "6",
        "--checkpoint-every",
        "2",
        "--quiet",
    ];
    let straight_dir = d.join("straight");
    let mut a = base.to_vec();
    a.extend_from_slice(&["--json", "--out", p(&straight_dir)]);
    let (out, secs) = timed(&a);
    let straight = summary(&out);
    let mut times = Times(0x2545_f491_4f6c_dd1d);
    for trial in 0..10 {
        let dir = d.join(format!("t{trial}"));
        let mut a = base.to_vec();
        a.extend_from_slice(&["--out", p(&dir)]);
        killed(&a, 1.1 * secs * times.next_fraction());
        let s = rerun_after_kill(&base, &dir, &format!("gan trial {trial}"));
        // Seeded and resumable step by step: the same errors as the uninterrupted run.
        assert_eq!(s["test_error"], straight["test_error"], "trial {trial}");
        // (A rerun of a run killed after its last step runs no step: no training error.)
        if !s["train_error"].is_null() {
            assert_eq!(s["train_error"], straight["train_error"], "trial {trial}");
        }
    }
}

#[test]
fn a_killed_reproduction_finishes_on_rerun() {
    let Some(data) = shared_data() else { return };
    let d = tmp("kill-reproduce");
    let args = |out: &Path| -> Vec<String> {
        [
            "reproduce",
            "symnmf",
            "--quick",
            "--quiet",
            "--data-dir",
            p(&data),
            "--out",
            p(out),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let straight = d.join("straight");
    let a = args(&straight);
    let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    let (out, secs) = timed(&a);
    assert!(out.status.success(), "{}", err(&out));
    let table = |dir: &Path| -> serde_json::Value {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        strip_seconds(&mut v);
        v
    };
    let expected = table(&straight);
    let mut times = Times(0x1234_5678_9abc_def1);
    for trial in 0..10 {
        let dir = d.join(format!("t{trial}"));
        let a = args(&dir);
        let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
        killed(&a, 1.1 * secs * times.next_fraction());
        let out = nmfnet(&a);
        assert!(out.status.success(), "trial {trial}: {}", err(&out));
        assert_eq!(table(&dir), expected, "trial {trial}");
    }
}

/// Drops wall-clock fields, which differ between any two runs, and the commands (which name
/// the output folder).
fn strip_seconds(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| !k.contains("seconds") && !k.contains("time") && k != "command");
            for x in m.values_mut() {
                strip_seconds(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_seconds),
        _ => {}
    }
}
