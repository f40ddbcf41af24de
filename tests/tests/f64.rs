//! Every case on NdArray<f64> with tight tolerances, in a process of its own (see
//! `on_f64_backend!` for why); cases in common/.

#[path = "common/inverse_cases.rs"]
mod inverse_cases;
#[path = "common/net_cases.rs"]
mod net_cases;

mod inverse {
    use super::inverse_cases::*;
    nmfnet_tests::on_f64_backend!(
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
    nmfnet_tests::on_f64_backend!(
        loss_matches_direct,
        init_reproduces_scheme4,
        loss_gradient_matches_finite_differences,
        lambda_projection,
    );
}
