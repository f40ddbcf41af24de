//! SymNMF-Net on NdArray<f64>, tight tolerances; cases in common/.
#[path = "common/net_cases.rs"]
mod cases;
use cases::*;

nmfnet_tests::on_f64_backend!(
    loss_matches_direct,
    init_reproduces_scheme4,
    loss_gradient_matches_finite_differences,
    lambda_projection,
);
