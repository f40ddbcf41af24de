//! Argument types shared by several commands.

use clap::ValueEnum;
use nmfnet_app::job::{OutMode, RunOptions};
use nmfnet_app::BackendKind;
use std::path::PathBuf;

/// `--backend`: where SymNMF-Net and GAN-UNET run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// The default CPU backend (flex when compiled in, else ndarray).
    Cpu,
    Flex,
    Ndarray,
    /// wgpu: Vulkan / Metal / DX12.
    Wgpu,
}

impl From<BackendArg> for BackendKind {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Cpu => BackendKind::Cpu,
            BackendArg::Flex => BackendKind::Flex,
            BackendArg::Ndarray => BackendKind::Ndarray,
            BackendArg::Wgpu => BackendKind::Wgpu,
        }
    }
}

/// The `--backend` value that selects `b` (`None` for the default).
/// `--precision`: of the products with Y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    F64,
    F32,
}

impl From<PrecisionArg> for nmfnet_baselines::data::Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F64 => Self::F64,
            PrecisionArg::F32 => Self::F32,
        }
    }
}

pub fn backend_flag(b: BackendArg) -> Option<&'static str> {
    match b {
        BackendArg::Cpu => None,
        BackendArg::Flex => Some("flex"),
        BackendArg::Ndarray => Some("ndarray"),
        BackendArg::Wgpu => Some("wgpu"),
    }
}

/// Prints `value` as one JSON line (the last line of stdout, for `--json`).
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// The run options of the flags every writing command has (`--out`, `--resume`, `--overwrite`,
/// `--checkpoint-every`, `--quiet`).
pub fn run_options(
    out: Option<PathBuf>,
    resume: bool,
    overwrite: bool,
    checkpoint_every: Option<usize>,
    quiet: bool,
) -> RunOptions {
    RunOptions {
        out,
        mode: mode(resume, overwrite),
        checkpoint_every,
        upgrade: false,
        progress: !quiet,
        cancel: Default::default(),
    }
}

fn mode(resume: bool, overwrite: bool) -> OutMode {
    match (resume, overwrite) {
        (true, _) => OutMode::Resume,
        (false, true) => OutMode::Overwrite,
        (false, false) => OutMode::New,
    }
}

/// A job file's run options with those the command line gives beside `--job` put over them:
/// the output folder and its mode, the checkpoint interval; `--quiet` hides the bars.
pub fn override_run(
    run: &mut RunOptions,
    out: Option<PathBuf>,
    resume: bool,
    overwrite: bool,
    checkpoint_every: Option<usize>,
    quiet: bool,
) {
    if out.is_some() {
        run.out = out;
        run.mode = OutMode::New;
    }
    if resume || overwrite {
        run.mode = mode(resume, overwrite);
    }
    if checkpoint_every.is_some() {
        run.checkpoint_every = checkpoint_every;
    }
    if quiet {
        run.progress = false;
    }
}

/// A job read from `path` (`-`: standard input).
pub fn read_job<J: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<J> {
    if path == std::path::Path::new("-") {
        // A job is a few kB; a stream without end (`< /dev/zero`) stops at the bound.
        const MAX_JOB_BYTES: u64 = 16 << 20;
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(std::io::stdin(), MAX_JOB_BYTES + 1),
            &mut text,
        )?;
        if text.len() as u64 > MAX_JOB_BYTES {
            anyhow::bail!("the job on standard input is longer than {MAX_JOB_BYTES} bytes");
        }
        return nmfnet_app::job::parse_job(&text)
            .map_err(|e| anyhow::anyhow!("invalid job on standard input: {e}"));
    }
    nmfnet_app::job::read_job(path)
}

/// A usage error of `command`'s flags (exit status 2, with the usage line).
pub fn usage_error(message: String) -> anyhow::Error {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .into()
}
