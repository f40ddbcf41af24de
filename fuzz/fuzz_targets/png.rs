//! PNG through the `image` crate, as COIL-20 is read (decode, gray, 32×32 resize).
#![no_main]
use libfuzzer_sys::fuzz_target;
use nmfnet_datasets::formats::png::png_gray;

fuzz_target!(|data: &[u8]| {
    if let Ok((w, h, px)) = png_gray(std::path::Path::new("fuzz.png"), data, Some(32)) {
        assert_eq!((w, h), (32, 32));
        assert_eq!(px.len(), 1024);
    }
});
