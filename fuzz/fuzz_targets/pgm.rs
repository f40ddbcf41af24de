//! Binary PGM: any bytes give an image of the announced size or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nmfnet_datasets::formats::pgm;

fuzz_target!(|data: &[u8]| {
    if let Ok(g) = pgm::parse_pgm(std::path::Path::new("fuzz.pgm"), data) {
        assert_eq!(g.pixels.len(), g.width * g.height);
        assert!(g.pixels.iter().all(|v| (0.0..=1.0).contains(v) || *v > 1.0));
    }
});
