//! The inversion layer on the f32 backends (ndarray, flex, wgpu); cases in common/.
#[path = "common/inverse_cases.rs"]
mod cases;
use cases::*;

nmfnet_tests::on_f32_backends!(
    identity,
    value_matches_reference,
    gradient_matches_reference,
    finite_differences,
    indefinite_gives_nan,
    inner_backend_forward,
);
