//! The text label reader on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = nmfnet_datasets::io::parse_labels(Path::new("x.txt"), data);
});
