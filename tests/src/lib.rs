//! Helpers shared by the integration tests: running one generic case on every backend,
//! finding out whether a wgpu adapter exists, and the shared data folder.
//!
//! Environment variables:
//! * `NMFNET_REQUIRE_WGPU=1` turns "no wgpu adapter, skipping" into a failure (set by CI, which
//!   installs Mesa's software Vulkan driver).

pub mod backends;
pub mod cases;
pub mod data;
pub mod target;
pub mod values;
pub mod wgpu;

pub use data::shared_data_dir;
pub use target::{Precision, Target};
pub use values::{host, max_abs, max_diff, tensor};
pub use wgpu::{no_wgpu_adapter, wgpu_ready};
