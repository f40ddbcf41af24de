//! Every case on the f32 backends (ndarray, flex, wgpu), in one test binary; cases in common/.

#[path = "common/inverse_cases.rs"]
mod inverse_cases;
#[path = "common/net_cases.rs"]
mod net_cases;
#[path = "common/training_parity.rs"]
mod training_parity;

mod inverse {
    use super::inverse_cases::*;
    nmfnet_tests::on_f32_backends!(
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
    nmfnet_tests::on_f32_backends!(
        loss_matches_direct,
        init_reproduces_scheme4,
        loss_gradient_matches_finite_differences,
        lambda_projection,
    );
}
