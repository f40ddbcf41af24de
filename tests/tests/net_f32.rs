//! SymNMF-Net on the f32 backends (ndarray, flex, wgpu); cases in common/.
#[path = "common/net_cases.rs"]
mod cases;
use cases::*;

nmfnet_tests::on_f32_backends!(
    loss_matches_direct,
    init_reproduces_scheme4,
    loss_gradient_matches_finite_differences,
    lambda_projection,
);
