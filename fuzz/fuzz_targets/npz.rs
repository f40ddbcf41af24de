//! The `scipy.sparse.save_npz` reader on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = nmfnet_datasets::formats::npz::parse_sparse_npz(Path::new("x.npz"), data);
});
