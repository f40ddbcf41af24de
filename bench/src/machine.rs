//! The machine a benchmark ran on, for the head of its report: CPU model, the ISA extensions that
//! decide GEMM speed, threads, kernel, the Rust toolchain, the libraries nmfnet is built on, and
//! the Python references' versions when they are installed.

use crate::torch::python_with;
use serde::Serialize;
use std::process::Command;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    /// The extensions present among those that matter for dense kernels.
    pub isa: Vec<String>,
    pub threads: usize,
    pub kernel: String,
    pub rustc: String,
    /// burn and faer as locked in Cargo.lock.
    pub libraries: Vec<String>,
    /// torch, numpy, scikit-learn of the benchmark Python, if present.
    pub python: Option<String>,
}

/// Extensions reported, in this order, when /proc/cpuinfo lists them.
const ISA: [&str; 9] = [
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
    "amx_bf16",
];

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The version of `name` locked in the workspace's Cargo.lock.
fn locked(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == format!("name = \"{name}\"") {
            let v = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(format!("{name} {v}"));
        }
    }
    None
}

/// Reads what can be read; anything missing is said so, never an error.
pub fn describe() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let flags: Vec<String> = field("flags")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
        .unwrap_or_default();
    Machine {
        cpu: field("model name").unwrap_or_else(|| "unknown CPU".into()),
        isa: ISA
            .iter()
            .filter(|f| flags.iter().any(|g| g == *f))
            .map(|f| f.to_string())
            .collect(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        kernel: run("uname", &["-sr"]).unwrap_or_else(|| "unknown kernel".into()),
        rustc: run("rustc", &["--version"]).unwrap_or_else(|| "rustc not on PATH".into()),
        libraries: ["burn", "faer", "gemm"]
            .iter()
            .filter_map(|n| locked(&lock, n))
            .chain(
                cfg!(feature = "ndarray-blas")
                    .then(|| "ndarray's products through the system OpenBLAS".to_string()),
            )
            .collect(),
        python: python_with(&["torch", "numpy", "sklearn"]).ok().and_then(|p| {
            run(
                p.to_str()?,
                &[
                    "-c",
                    "import torch, numpy, sklearn, platform; print(f'Python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {numpy.__version__}, scikit-learn {sklearn.__version__}')",
                ],
            )
        }),
    }
}

impl Machine {
    /// One Markdown paragraph.
    pub fn markdown(&self) -> String {
        format!(
            "Machine: {}; ISA: {}; {} threads; {}; {}; {}; Python references: {}.",
            self.cpu,
            if self.isa.is_empty() {
                "none of the listed extensions".to_string()
            } else {
                self.isa.join(", ")
            },
            self.threads,
            self.kernel,
            self.rustc,
            self.libraries.join(", "),
            self.python
                .as_deref()
                .unwrap_or("not installed (bench/python/setup.sh)")
        )
    }
}
