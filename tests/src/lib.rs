//! Helpers shared by the integration tests: running one generic case on every backend,
//! finding out whether a wgpu adapter exists, and the shared data folder.
//!
//! Environment variables:
//! * `NMFNET_REQUIRE_WGPU=1` turns "no wgpu adapter, skipping" into a failure (set by CI, which
//!   installs Mesa's software Vulkan driver).

/// Backends the cases run on. Autodiff wraps each, since most cases need gradients.
pub mod backends {
    pub type NdArrayF32 = burn::backend::Autodiff<burn::backend::NdArray<f32>>;
    pub type NdArrayF64 = burn::backend::Autodiff<burn::backend::NdArray<f64>>;
    pub type Flex = burn::backend::Autodiff<burn::backend::Flex>;
    pub type Wgpu = burn::backend::Autodiff<burn::backend::Wgpu>;
}

/// Floating-point precision of the backend a case runs on, which sets its tolerances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// Machine epsilon.
    pub fn eps(self) -> f64 {
        match self {
            Precision::F32 => f32::EPSILON as f64,
            Precision::F64 => f64::EPSILON,
        }
    }
}

/// What a generic case needs to know about the backend it runs on.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub precision: Precision,
    /// Every op is a round trip to a (software) GPU: keep sizes and op counts small.
    pub slow_ops: bool,
}

impl Target {
    pub const F32: Target = Target {
        precision: Precision::F32,
        slow_ops: false,
    };
    pub const F64: Target = Target {
        precision: Precision::F64,
        slow_ops: false,
    };
    pub const GPU: Target = Target {
        precision: Precision::F32,
        slow_ops: true,
    };
    pub fn eps(self) -> f64 {
        self.precision.eps()
    }
}

/// Whether the wgpu backend has an adapter here (on a machine without a GPU: Mesa's lavapipe).
/// Without one the wgpu cases print a one-line skip message, unless `NMFNET_REQUIRE_WGPU=1`,
/// which makes them fail.
pub fn wgpu_ready() -> bool {
    let ready = nmfnet_train::backend::wgpu_available();
    if !ready {
        if std::env::var("NMFNET_REQUIRE_WGPU").as_deref() == Ok("1") {
            panic!("NMFNET_REQUIRE_WGPU=1 but no wgpu adapter works (install mesa-vulkan-drivers libvulkan1)");
        }
        eprintln!(
            "skipping wgpu case: no wgpu adapter (set NMFNET_REQUIRE_WGPU=1 to make this an error)"
        );
    }
    ready
}

/// Generates one `#[test]` per `f32` backend (ndarray, flex, wgpu) for each generic case
/// `fn case<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target)`.
///
/// `NdArray<f64>` runs through [`on_f64_backend!`] in a test binary of its own: burn 0.21 keeps
/// one default float dtype per device in a process-wide registry, and `NdArray<f32>` and
/// `NdArray<f64>` share the device type, so whichever runs first would set the dtype of the
/// other's new tensors.
#[macro_export]
macro_rules! on_f32_backends {
    ($($case:ident),* $(,)?) => {
        mod ndarray_f32 {
            $( #[test] fn $case() {
                super::$case::<$crate::backends::NdArrayF32>(&Default::default(), $crate::Target::F32);
            } )*
        }
        mod flex {
            $( #[test] fn $case() {
                super::$case::<$crate::backends::Flex>(&Default::default(), $crate::Target::F32);
            } )*
        }
        mod wgpu {
            $( #[test] fn $case() {
                if !$crate::wgpu_ready() { return; }
                super::$case::<$crate::backends::Wgpu>(&Default::default(), $crate::Target::GPU);
            } )*
        }
    };
}

/// The `NdArray<f64>` counterpart of [`on_f32_backends!`], for tight double-precision checks.
#[macro_export]
macro_rules! on_f64_backend {
    ($($case:ident),* $(,)?) => {
        mod ndarray_f64 {
            $( #[test] fn $case() {
                super::$case::<$crate::backends::NdArrayF64>(&Default::default(), $crate::Target::F64);
            } )*
        }
    };
}

/// Every backend case of `tests/common/`, instantiated with `on_f32_backends` or
/// `on_f64_backend`; the test binary declares the modules `inverse_cases`, `net_cases` and `gan_cases`.
#[macro_export]
macro_rules! all_cases {
    ($on:ident) => {
        mod inverse {
            use super::inverse_cases::*;
            $crate::$on!(
                identity,
                value_matches_reference,
                gradient_matches_reference,
                finite_differences,
                indefinite_gives_nan,
                inner_backend_forward,
            );
        }
        mod net {
            use super::net_cases::*;
            $crate::$on!(
                loss_matches_direct,
                init_reproduces_scheme4,
                loss_gradient_matches_finite_differences,
                lambda_projection,
                sparse_matches_dense,
            );
        }
        mod gan {
            use super::gan_cases::*;
            $crate::$on!(
                hals_layers_match_reference,
                generator_refinement_lowers_the_error,
            );
        }
    };
}

/// Row-major host copy of a tensor, as `f64`.
pub fn host<B: burn::tensor::backend::Backend, const D: usize>(
    t: burn::tensor::Tensor<B, D>,
) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("f64 after convert")
}

/// A tensor from `f64` host values, in the backend's float type.
pub fn tensor<B: burn::tensor::backend::Backend, const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &B::Device,
) -> burn::tensor::Tensor<B, D> {
    burn::tensor::Tensor::from_data(
        burn::tensor::TensorData::new(values, shape).convert::<B::FloatElem>(),
        device,
    )
}

/// Largest absolute entry.
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Largest absolute difference.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// The shared data folder (`../shared/data` beside the repository), if present.
pub fn shared_data_dir() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    root.is_dir().then(|| root.canonicalize().unwrap_or(root))
}
