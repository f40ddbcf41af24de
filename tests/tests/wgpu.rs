//! Every case on wgpu (feature `wgpu`; Mesa's lavapipe where there is no GPU), in one test
//! binary; cases in common/.

#[path = "common/gan_cases.rs"]
mod gan_cases;
#[path = "common/inverse_cases.rs"]
mod inverse_cases;
#[path = "common/net_cases.rs"]
mod net_cases;
#[path = "common/nmf_batch_cases.rs"]
mod nmf_batch_cases;

nmfnet_tests::all_cases!(on_wgpu);
