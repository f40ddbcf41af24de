//! The macros that turn each generic case into one `#[test]` per backend.

/// Generates one `#[test]` per generic case
/// `fn case<B: SymNmfAutodiffBackend>(device: &B::Device, target: Target)` on flex.
///
/// Each backend has its own test binary (`tests/{flex,ndarray,wgpu,f64}.rs`): they compile in
/// parallel, and `NdArray<f64>` needs a process of its own anyway — burn 0.21 keeps one default
/// float dtype per device in a process-wide registry, and `NdArray<f32>` and `NdArray<f64>`
/// share the device type, so whichever ran first would set the dtype of the other's tensors.
#[macro_export]
macro_rules! on_flex {
    ($($case:ident),* $(,)?) => {
        mod flex {
            $( #[test] fn $case() {
                super::$case::<$crate::backends::Flex>(&Default::default(), $crate::Target::F32);
            } )*
        }
    };
}

/// [`on_flex!`] on `NdArray<f32>` (feature `ndarray`).
#[macro_export]
macro_rules! on_ndarray_f32 {
    ($($case:ident),* $(,)?) => {
        mod ndarray_f32 {
            $( #[test] fn $case() {
                super::$case::<$crate::backends::NdArrayF32>(&Default::default(), $crate::Target::F32);
            } )*
        }
    };
}

/// [`on_flex!`] on wgpu (feature `wgpu`); each case skips with a message when no adapter
/// works, unless `NMFNET_REQUIRE_WGPU=1`.
#[macro_export]
macro_rules! on_wgpu {
    ($($case:ident),* $(,)?) => {
        mod wgpu {
            $( #[test] fn $case() {
                if !$crate::wgpu_ready::<$crate::backends::Wgpu>() { return; }
                super::$case::<$crate::backends::Wgpu>(&Default::default(), $crate::Target::GPU);
            } )*
        }
    };
}

/// [`on_flex!`] on `NdArray<f64>` with tight tolerances (feature `ndarray`).
#[macro_export]
macro_rules! on_ndarray_f64 {
    ($($case:ident),* $(,)?) => {
        mod ndarray_f64 {
            $( #[test] fn $case() {
                super::$case::<$crate::backends::NdArrayF64>(&Default::default(), $crate::Target::F64);
            } )*
        }
    };
}

/// Every backend case of `tests/common/`, instantiated with one of the `on_*` macros above;
/// the test binary declares the modules `inverse_cases`, `net_cases`, `nmf_batch_cases` and
/// `gan_cases`.
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
                device_sparse_product_matches_host,
            );
        }
        mod nmf_batch {
            use super::nmf_batch_cases::*;
            $crate::$on!(
                batch_replicates_equal_replicates_alone,
                batch_follows_the_host_solvers,
                batched_consensus_gives_the_host_programs,
            );
        }
        mod gan {
            use super::gan_cases::*;
            $crate::$on!(
                hals_layers_match_reference,
                generator_refinement_lowers_the_error,
                convolutions_match_reference,
            );
        }
    };
}
