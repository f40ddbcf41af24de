//! Argument types shared by several commands.

use clap::ValueEnum;
use nmfnet_app::BackendKind;

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
