//! Backend selection: the one place where library code meets a concrete Burn backend.
//!
//! Compiled in by cargo features (none by default in this crate; the `nmfnet` command line, the
//! benchmarks and the Python binding turn on `flex` by default, and `--features ndarray,wgpu`
//! adds the others):
//! * `flex`: Burn's pure-Rust CPU backend — the CPU default, because it runs the product that
//!   dominates SymNMF (n×n times n×r) several times faster than ndarray here (see the guide's
//!   *Backends*);
//! * `ndarray`: the CPU backend built on the `ndarray` crate;
//! * `wgpu`: GPUs through Vulkan, Metal or DX12 (on a machine without a GPU, Mesa's software
//!   Vulkan driver works, slowly).
//!
//! Training runs on `Autodiff<…>` of the chosen backend, in `f32`.

use serde::{Deserialize, Serialize};
use symnmf_burn::SymNmfAutodiffBackend;

/// A backend the user can pick at run time (among those compiled in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The default CPU backend (flex when compiled in, else ndarray).
    #[default]
    Cpu,
    Flex,
    Ndarray,
    /// wgpu: Vulkan / Metal / DX12.
    Wgpu,
}

impl BackendKind {
    /// The concrete backend `Cpu` stands for in this build.
    pub fn resolve(self) -> Self {
        match self {
            BackendKind::Cpu if cfg!(feature = "flex") => BackendKind::Flex,
            BackendKind::Cpu => BackendKind::Ndarray,
            other => other,
        }
    }

    pub fn name(self) -> &'static str {
        match self.resolve() {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cpu => unreachable!("resolved above"),
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = BackendError;
    /// `cpu`, `flex`, `ndarray` or `wgpu` (whether compiled in or not: [`dispatch`] says).
    fn from_str(s: &str) -> Result<Self, BackendError> {
        Ok(match s {
            "cpu" => BackendKind::Cpu,
            "flex" => BackendKind::Flex,
            "ndarray" => BackendKind::Ndarray,
            "wgpu" => BackendKind::Wgpu,
            other => {
                return Err(BackendError::Unknown {
                    name: other.to_string(),
                })
            }
        })
    }
}

impl std::fmt::Display for BackendKind {
    /// The name the user types (`cpu` stays `cpu`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
        })
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
    #[error("unknown backend '{name}' (cpu, flex, ndarray, wgpu)")]
    Unknown { name: String },
    #[error("backend '{name}' is not compiled into this binary (compiled: {compiled}); rebuild with the cargo feature {name}")]
    NotCompiled {
        name: &'static str,
        compiled: String,
    },
    #[error("no wgpu adapter found: install a Vulkan driver (e.g. `apt-get install mesa-vulkan-drivers libvulkan1`) or run on the CPU (`backend` cpu)")]
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

/// Whether backend `B` works on this machine (for wgpu: whether an adapter exists): a tiny
/// computation on its default device, with burn's panic on a missing adapter caught (and its
/// message silenced). Generic, so that the crate that names the backend compiles the probe —
/// instantiating wgpu's runtime here for one probe would cost this crate minutes of build.
pub fn backend_works<B: burn::tensor::backend::Backend>() -> bool {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(|| {
        use burn::tensor::{ElementConversion, Tensor};
        let t = Tensor::<B, 1>::from_floats([1.0, 2.0], &Default::default());
        t.sum().into_scalar().elem::<f64>()
    });
    std::panic::set_hook(hook);
    matches!(probe, Ok(v) if v == 3.0)
}

/// [`backend_works`] for wgpu, once per process.
#[cfg(feature = "wgpu")]
fn wgpu_available<B: burn::tensor::backend::Backend>() -> bool {
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *READY.get_or_init(backend_works::<B>)
}

#[allow(dead_code)] // unused when every backend is compiled in
fn not_compiled(name: &'static str) -> BackendError {
    BackendError::NotCompiled {
        name,
        compiled: compiled_backends().join(", "),
    }
}

/// Runs `job` on the chosen backend.
pub fn dispatch<J: BackendJob>(choice: BackendKind, job: J) -> Result<J::Output, BackendError> {
    match choice.resolve() {
        BackendKind::Flex => {
            #[cfg(feature = "flex")]
            return Ok(
                job.run::<burn::backend::Autodiff<burn::backend::Flex>>(Default::default(), "flex")
            );
            #[cfg(not(feature = "flex"))]
            return Err(not_compiled("flex"));
        }
        BackendKind::Ndarray => {
            #[cfg(feature = "ndarray")]
            return Ok(
                job.run::<burn::backend::Autodiff<burn::backend::NdArray<f32>>>(
                    Default::default(),
                    if cfg!(feature = "ndarray-blas") {
                        "ndarray+openblas"
                    } else {
                        "ndarray"
                    },
                ),
            );
            #[cfg(not(feature = "ndarray"))]
            return Err(not_compiled("ndarray"));
        }
        BackendKind::Wgpu => {
            #[cfg(feature = "wgpu")]
            {
                if !wgpu_available::<burn::backend::Wgpu>() {
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
        BackendKind::Cpu => unreachable!("resolved above"),
    }
}
