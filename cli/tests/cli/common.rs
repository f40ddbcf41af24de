//! Helpers of the command-line tests: running the binary, scratch folders, the JSON summary,
//! the shared data folder.

pub use nmfnet_datasets::catalog::synthetic::{planted_features, planted_graph, PlantedConfig};
pub use nmfnet_datasets::io::{atomic_write, npy_bytes_labels, write_npy};
pub use nmfnet_datasets::Dense;
pub use std::path::{Path, PathBuf};
pub use std::process::{Command, Output};

pub fn nmfnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nmfnet"))
        .args(args)
        .output()
        .expect("the nmfnet binary runs")
}

/// `nmfnet` with the loss of training step `step` made NaN (fault injection of the loop).
pub fn nmfnet_nan_at(step: usize, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nmfnet"))
        .args(args)
        .env("NMFNET_FAULT_NAN_AT", step.to_string())
        .output()
        .expect("the nmfnet binary runs")
}

/// The `step` of every line of `dir/metrics.jsonl`.
pub fn logged_steps(dir: &Path) -> Vec<u64> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// A scratch folder removed when the test ends (even when it fails).
pub struct TmpDir(pub PathBuf);

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

pub fn tmp(name: &str) -> TmpDir {
    let d = std::env::temp_dir().join(format!("nmfnet-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TmpDir(d)
}

/// The last stdout line, parsed as the JSON summary.
pub fn summary(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "nmfnet failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().expect("some output")).expect("last line is JSON")
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs a failing command and checks: non-zero exit, the expected phrase in the error, no
/// panic, and the output folder untouched.
pub fn expect_error(args: &[&str], phrase: &str, out_dir: &Path) {
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

/// `../shared/data` when present; required when `NMFNET_REQUIRE_DATA=1` (CI).
pub fn shared_data() -> Option<PathBuf> {
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

/// A binary PGM (P5) file.
pub fn write_pgm(path: &Path, w: usize, h: usize, px: impl Fn(usize, usize) -> u8) {
    let mut bytes = format!("P5\n{w} {h}\n255\n").into_bytes();
    for i in 0..h {
        for j in 0..w {
            bytes.push(px(i, j));
        }
    }
    std::fs::write(path, bytes).unwrap();
}

pub const CLASSICAL: [&str; 7] = [
    "symanls",
    "symhals",
    "symnewton",
    "pgd",
    "admm",
    "scheme4",
    "kuang-anls",
];
