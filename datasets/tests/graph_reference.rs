//! The similarity graphs against an independent reference: `bench/python/graph_reference.py`
//! (numpy 2.4.6 + scikit-learn 1.9.1 NearestNeighbors, float64) produced the expected matrices
//! in `tests/data/` from the fixed inputs beside them. Our output is f32 (values ≤ 1), so the
//! tolerance is 1e-6 absolute; both routes (sparse and dense) are checked.

use nmfnet_datasets::graph::{
    cosine_knn_self_similarity, cosine_knn_similarity, knn_self_similarity,
    knn_self_similarity_dense, knn_similarity, knn_similarity_dense, tfidf,
};
use nmfnet_datasets::io::read_matrix;
use nmfnet_datasets::{Csr, Dense};
use std::path::PathBuf;

fn data(name: &str) -> Dense {
    read_matrix(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
    .matrix
}

fn max_diff(a: &Dense, b: &Dense) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.data()
        .iter()
        .zip(b.data())
        .fold(0.0, |m, (x, y)| m.max((*x as f64 - *y as f64).abs()))
}

/// Both routes within 1e-6 of the reference, with edges exactly where the reference has them.
fn assert_both_routes_match(sparse: &Dense, dense: &Dense, expected: &Dense) {
    assert!(
        max_diff(sparse, expected) < 1e-6,
        "sparse route differs by {}",
        max_diff(sparse, expected)
    );
    assert!(
        max_diff(dense, expected) < 1e-6,
        "dense route differs by {}",
        max_diff(dense, expected)
    );
    for (a, b) in sparse.data().iter().zip(expected.data()) {
        assert_eq!(*a == 0.0, *b == 0.0);
    }
}

#[test]
fn euclidean_knn_graph_matches_the_python_reference() {
    let z = data("graph_features.csv");
    let expected = data("graph_expected.csv");
    let sparse = knn_similarity(&z).unwrap().to_dense();
    let dense = knn_similarity_dense(&z).unwrap();
    assert_both_routes_match(&sparse, &dense, &expected);
}

fn documents() -> Csr {
    let counts = data("text_counts.csv");
    let rows = (0..counts.nrows())
        .map(|i| {
            counts
                .row(i)
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(j, &v)| (j, v))
                .collect()
        })
        .collect();
    tfidf(&Csr::from_rows(counts.ncols(), rows).unwrap())
}

#[test]
fn knn_connectivity_graph_with_self_loops_matches_scikit_learn() {
    let z = data("graph_features.csv");
    let expected = data("graph_self_expected.csv");
    let sparse = knn_self_similarity(&z, 5).unwrap().to_dense();
    let dense = knn_self_similarity_dense(&z, 5).unwrap();
    assert_both_routes_match(&sparse, &dense, &expected);
    // A different k is a different graph (the test can tell).
    let k4 = knn_self_similarity(&z, 4).unwrap().to_dense();
    assert!(max_diff(&k4, &expected) > 1e-3);
    let text = cosine_knn_self_similarity(&documents(), 4)
        .unwrap()
        .to_dense();
    let expected = data("text_self_expected.csv");
    assert!(
        max_diff(&text, &expected) < 1e-6,
        "text graph differs by {}",
        max_diff(&text, &expected)
    );
}

#[test]
fn cosine_tfidf_graph_matches_the_python_reference() {
    let x = cosine_knn_similarity(&documents()).unwrap().to_dense();
    let expected = data("text_expected.csv");
    assert!(
        max_diff(&x, &expected) < 1e-6,
        "differs by {}",
        max_diff(&x, &expected)
    );
}
