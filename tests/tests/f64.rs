//! Every case on NdArray<f64> with tight tolerances (feature `ndarray`), in a process of its
//! own (see `on_flex!` for why); cases in common/.

#[path = "common/gan_cases.rs"]
mod gan_cases;
#[path = "common/inverse_cases.rs"]
mod inverse_cases;
#[path = "common/net_cases.rs"]
mod net_cases;
#[path = "common/nmf_batch_cases.rs"]
mod nmf_batch_cases;

nmfnet_tests::all_cases!(on_ndarray_f64);
