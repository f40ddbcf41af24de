//! Backend selection: the one place where library code meets a concrete Burn backend.
//!
//! Compiled in by cargo features (all three by default):
//! * `flex`: Burn's pure-Rust CPU backend — the CPU default, because it runs the product that
//!   dominates SymNMF (n×n times n×r) several times faster than ndarray here (see README);
//! * `ndarray`: the CPU backend built on the `ndarray` crate;
//! * `wgpu`: GPUs through Vulkan, Metal or DX12 (on a machine without a GPU, Mesa's software
//!   Vulkan driver works, slowly).
//!
//! Training runs on `Autodiff<…>` of the chosen backend, in `f32`.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use symnmf_burn::SymNmfAutodiffBackend;

/// A backend the user can pick at run time (among those compiled in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// The default CPU backend (flex when compiled in, else ndarray).
    Cpu,
    Flex,
    Ndarray,
    /// wgpu: Vulkan / Metal / DX12.
    Wgpu,
}

impl BackendChoice {
    /// The concrete backend `Cpu` stands for in this build.
    pub fn resolve(self) -> Self {
        match self {
            BackendChoice::Cpu if cfg!(feature = "flex") => BackendChoice::Flex,
            BackendChoice::Cpu => BackendChoice::Ndarray,
            other => other,
        }
    }

    pub fn name(self) -> &'static str {
        match self.resolve() {
            BackendChoice::Flex => "flex",
            BackendChoice::Ndarray => "ndarray",
            BackendChoice::Wgpu => "wgpu",
            BackendChoice::Cpu => unreachable!("resolved above"),
        }
    }
}

/// Names of the backends compiled into this binary.
pub fn compiled_backends() -> Vec<&'static str> {
    let mut v = Vec::new();
    if cfg!(feature = "flex") {
        v.push("flex");
    }
    if cfg!(feature = "ndarray") {
        v.push("ndarray");
    }
    if cfg!(feature = "wgpu") {
        v.push("wgpu");
    }
    v
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("backend '{name}' is not compiled into this binary (compiled: {compiled}); rebuild with `--features {name}`")]
    NotCompiled {
        name: &'static str,
        compiled: String,
    },
    #[error("no wgpu adapter found: install a Vulkan driver (e.g. `apt-get install mesa-vulkan-drivers libvulkan1`) or use --backend cpu")]
    NoWgpuAdapter,
}

/// Work to run on whichever backend the user picked; `run` is generic over the backend.
pub trait BackendJob {
    type Output;
    fn run<B: SymNmfAutodiffBackend>(
        self,
        device: B::Device,
        backend_name: &'static str,
    ) -> Self::Output;
}

/// Whether a wgpu adapter works here: a tiny computation, with burn's panic on a missing
/// adapter caught (and its message silenced).
#[cfg(feature = "wgpu")]
pub fn wgpu_available() -> bool {
    use std::sync::OnceLock;
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let probe = std::panic::catch_unwind(|| {
            use burn::tensor::Tensor;
            let t = Tensor::<burn::backend::Wgpu, 1>::from_floats([1.0, 2.0], &Default::default());
            t.sum().into_scalar()
        });
        std::panic::set_hook(hook);
        matches!(probe, Ok(v) if v == 3.0)
    })
}

#[allow(dead_code)] // unused when every backend is compiled in
fn not_compiled(name: &'static str) -> BackendError {
    BackendError::NotCompiled {
        name,
        compiled: compiled_backends().join(", "),
    }
}

/// Runs `job` on the chosen backend.
pub fn dispatch<J: BackendJob>(choice: BackendChoice, job: J) -> Result<J::Output, BackendError> {
    match choice.resolve() {
        BackendChoice::Flex => {
            #[cfg(feature = "flex")]
            return Ok(
                job.run::<burn::backend::Autodiff<burn::backend::Flex>>(Default::default(), "flex")
            );
            #[cfg(not(feature = "flex"))]
            return Err(not_compiled("flex"));
        }
        BackendChoice::Ndarray => {
            #[cfg(feature = "ndarray")]
            return Ok(
                job.run::<burn::backend::Autodiff<burn::backend::NdArray<f32>>>(
                    Default::default(),
                    "ndarray",
                ),
            );
            #[cfg(not(feature = "ndarray"))]
            return Err(not_compiled("ndarray"));
        }
        BackendChoice::Wgpu => {
            #[cfg(feature = "wgpu")]
            {
                if !wgpu_available() {
                    return Err(BackendError::NoWgpuAdapter);
                }
                return Ok(job.run::<burn::backend::Autodiff<burn::backend::Wgpu>>(
                    Default::default(),
                    "wgpu",
                ));
            }
            #[cfg(not(feature = "wgpu"))]
            return Err(not_compiled("wgpu"));
        }
        BackendChoice::Cpu => unreachable!("resolved above"),
    }
}
