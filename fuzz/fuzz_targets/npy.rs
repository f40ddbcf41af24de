//! The `.npy` reader (matrices and labels) on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = nmfnet_datasets::io::parse_matrix(Path::new("x.npy"), data);
    let _ = nmfnet_datasets::io::parse_labels(Path::new("x.npy"), data);
});
