//! Backends the cases run on. Autodiff wraps each, since most cases need gradients. flex is
//! always compiled; ndarray and wgpu with this crate's features of those names.

#[cfg(feature = "ndarray")]
pub type NdArrayF32 = burn::backend::Autodiff<burn::backend::NdArray<f32>>;
#[cfg(feature = "ndarray")]
pub type NdArrayF64 = burn::backend::Autodiff<burn::backend::NdArray<f64>>;
pub type Flex = burn::backend::Autodiff<burn::backend::Flex>;
#[cfg(feature = "wgpu")]
pub type Wgpu = burn::backend::Autodiff<burn::backend::Wgpu>;
