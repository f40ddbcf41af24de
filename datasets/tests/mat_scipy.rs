//! The MAT reader against files written by another implementation: SciPy 1.17.1
//! `scipy.io.savemat` (numpy 2.4.6), by `bench/python/mat_fixtures.py` (248–312-byte test
//! fixtures, not data; a rerun differs only in the header's timestamp bytes), i.e.:
//!
//! ```python
//! a = scipy.sparse.csc_matrix(np.array([[1., 0, 2], [0, 0, 3]]))
//! savemat("scipy_plain.mat", {"fea": a, "gnd": np.array([[1], [2]], dtype=np.uint8)}, do_compression=False)
//! savemat("scipy_compressed.mat", {"fea": a, "faces": np.arange(6.).reshape(2, 3)}, do_compression=True)
//! savemat("scipy_single_int16.mat", {"x": np.array([[1.5, -2.0]], dtype=np.float32),
//!                                      "n": np.array([[7]], dtype=np.int16)}, do_compression=False)
//! ```

use nmfnet_datasets::formats::mat::{read_mat, MatArray};
use std::path::PathBuf;

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn sparse_fea() -> MatArray {
    // [[1, 0, 2], [0, 0, 3]] in compressed sparse columns.
    MatArray::Sparse {
        rows: 2,
        cols: 3,
        jc: vec![0, 1, 1, 3],
        ir: vec![0, 0, 1],
        values: vec![1.0, 2.0, 3.0],
    }
}

#[test]
fn reads_scipy_uncompressed() {
    let vars = read_mat(&file("scipy_plain.mat")).unwrap();
    let get = |n: &str| vars.iter().find(|v| v.name == n).unwrap().array.clone();
    assert_eq!(get("fea"), sparse_fea());
    assert_eq!(
        get("gnd"),
        MatArray::Dense {
            rows: 2,
            cols: 1,
            data: vec![1.0, 2.0]
        }
    );
}

#[test]
fn reads_scipy_compressed() {
    let vars = read_mat(&file("scipy_compressed.mat")).unwrap();
    let get = |n: &str| vars.iter().find(|v| v.name == n).unwrap().array.clone();
    assert_eq!(get("fea"), sparse_fea());
    // np.arange(6).reshape(2, 3) = [[0,1,2],[3,4,5]], stored column-major.
    assert_eq!(
        get("faces"),
        MatArray::Dense {
            rows: 2,
            cols: 3,
            data: vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        }
    );
}

#[test]
fn reads_single_and_int16_with_small_elements() {
    let vars = read_mat(&file("scipy_single_int16.mat")).unwrap();
    let get = |n: &str| vars.iter().find(|v| v.name == n).unwrap().array.clone();
    assert_eq!(
        get("x"),
        MatArray::Dense {
            rows: 1,
            cols: 2,
            data: vec![1.5, -2.0]
        }
    );
    assert_eq!(
        get("n"),
        MatArray::Dense {
            rows: 1,
            cols: 1,
            data: vec![7.0]
        }
    );
}
