//! IDX images and labels, gzip-compressed or plain: any bytes give a value or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nmfnet_datasets::formats::idx;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.gz");
    if let Ok(images) = idx::parse_images(p, data) {
        assert_eq!(
            images.pixels.len(),
            images.count * images.rows * images.cols
        );
    }
    let _ = idx::parse_labels(p, data);
});
