//! The checkpoint reader on arbitrary bytes: every input is accepted or refused with an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = nmfnet_train::checkpoint::verify_checkpoint(data);
});
