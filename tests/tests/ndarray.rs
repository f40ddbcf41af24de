//! Every case on NdArray<f32> (feature `ndarray`), in one test binary; cases in common/.

#[path = "common/gan_cases.rs"]
mod gan_cases;
#[path = "common/inverse_cases.rs"]
mod inverse_cases;
#[path = "common/net_cases.rs"]
mod net_cases;
#[path = "common/nmf_batch_cases.rs"]
mod nmf_batch_cases;

nmfnet_tests::all_cases!(on_ndarray_f32);
