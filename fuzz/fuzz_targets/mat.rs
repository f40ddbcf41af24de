//! MATLAB v5: any bytes give variables whose structure is consistent, or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nmfnet_datasets::formats::mat::{parse_mat, MatArray};

fuzz_target!(|data: &[u8]| {
    if let Ok(vars) = parse_mat(data) {
        for v in vars {
            match v.array {
                MatArray::Dense { rows, cols, data } => assert_eq!(data.len(), rows * cols),
                MatArray::Sparse {
                    rows,
                    cols,
                    jc,
                    ir,
                    values,
                } => {
                    assert_eq!(jc.len(), cols + 1);
                    assert_eq!(ir.len(), values.len());
                    assert!(ir.iter().all(|&i| i < rows));
                }
                MatArray::Unsupported { .. } => {}
            }
        }
    }
});
