//! Every case on the f32 backends (ndarray, flex, wgpu), in one test binary; cases in common/.

#[path = "common/gan_cases.rs"]
mod gan_cases;
#[path = "common/inverse_cases.rs"]
mod inverse_cases;
#[path = "common/net_cases.rs"]
mod net_cases;
#[path = "common/training_parity.rs"]
mod training_parity;

nmfnet_tests::all_cases!(on_f32_backends);
