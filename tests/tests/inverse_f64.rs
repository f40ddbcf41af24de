//! The inversion layer on NdArray<f64>, tight tolerances; cases in common/.
#[path = "common/inverse_cases.rs"]
mod cases;
use cases::*;

nmfnet_tests::on_f64_backend!(
    identity,
    value_matches_reference,
    gradient_matches_reference,
    finite_differences,
    indefinite_gives_nan,
    inner_backend_forward,
);
