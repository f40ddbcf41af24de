//! `nmfnet nmf`: plain NMF of an image folder or a matrix.

use crate::common::*;

#[test]
fn nmf_of_an_image_folder_writes_factors_and_a_basis_grid() {
    let d = tmp("nmf");
    let imgs = d.join("imgs");
    std::fs::create_dir_all(&imgs).unwrap();
    // 12 images of 8×6 mixing 3 "parts" (bars): an exact rank-3 nonnegative matrix.
    for t in 0..12usize {
        let (a, b, c) = ((t % 3) as u16, (t % 4) as u16, (t % 5) as u16);
        write_pgm(&imgs.join(format!("img{t:02}.pgm")), 6, 8, |i, j| {
            let v = if i < 3 { 20 * a } else { 0 }
                + if j < 2 { 15 * b } else { 0 }
                + if i >= 5 && j >= 3 { 10 * c } else { 0 };
            v.min(255) as u8
        });
    }
    for m in ["mu", "hals", "anls"] {
        let out = d.join(m);
        let s = summary(&nmfnet(&[
            "nmf",
            "--images",
            p(&imgs),
            "--rank",
            "3",
            "--method",
            m,
            "--out",
            p(&out),
            "--json",
            "--quiet",
        ]));
        assert_eq!(
            (s["m"].as_u64(), s["n"].as_u64(), s["rank"].as_u64()),
            (Some(48), Some(12), Some(3))
        );
        assert!(s["rel_error"].as_f64().unwrap() < 0.2, "{m}: {s}");
        for f in [
            "H.npy",
            "W.npy",
            "basis.png",
            "history.jsonl",
            "summary.json",
        ] {
            assert!(out.join(f).is_file(), "{m}: {f} missing");
        }
        let h = nmfnet_datasets::io::read_matrix(&out.join("H.npy"))
            .unwrap()
            .matrix;
        assert_eq!(h.shape(), [48, 3]);
        assert!(h.data().iter().all(|&v| v >= 0.0));
    }
    // The NNDSVD starts: deterministic (the seed does not matter), as good on this exact
    // rank-3 matrix; an unknown start is refused by name.
    let run = |init: &str, seed: &str| {
        summary(&nmfnet(&[
            "nmf",
            "--images",
            p(&imgs),
            "--rank",
            "3",
            "--method",
            "hals",
            "--init",
            init,
            "--seed",
            seed,
            "--json",
            "--quiet",
        ]))
    };
    for init in ["nndsvd", "nndsvda"] {
        let (a, b) = (run(init, "1"), run(init, "2"));
        assert_eq!(a["rel_error"], b["rel_error"], "{init}");
        assert!(a["rel_error"].as_f64().unwrap() < 0.2, "{init}: {a}");
    }
    let bad = nmfnet(&["nmf", "--images", p(&imgs), "--rank", "3", "--init", "svd"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown NMF start"));
    // Bad input: rank 0 or above min(m, n), images of another size, an empty folder, a
    // matrix with a negative entry, a wrong --image-shape.
    let out = d.join("bad-out");
    std::fs::create_dir_all(&out).unwrap();
    expect_error(
        &["nmf", "--images", p(&imgs), "--rank", "0", "--out", p(&out)],
        "rank must be at least 1",
        &out,
    );
    expect_error(
        &[
            "nmf",
            "--images",
            p(&imgs),
            "--rank",
            "49",
            "--out",
            p(&out),
        ],
        "at most 48",
        &out,
    );
    write_pgm(&imgs.join("odd.pgm"), 5, 8, |_, _| 1);
    expect_error(
        &["nmf", "--images", p(&imgs), "--rank", "2", "--out", p(&out)],
        "but the folder's first image is",
        &out,
    );
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    expect_error(
        &[
            "nmf",
            "--images",
            p(&empty),
            "--rank",
            "2",
            "--out",
            p(&out),
        ],
        "no .png or .pgm files",
        &out,
    );
    let neg = d.join("neg.csv");
    std::fs::write(&neg, "1,2\n-1,3\n1,1\n").unwrap();
    expect_error(
        &["nmf", "--matrix", p(&neg), "--rank", "1", "--out", p(&out)],
        "negative entry",
        &out,
    );
    expect_error(
        &[
            "nmf",
            "--matrix",
            p(&neg),
            "--rank",
            "1",
            "--image-shape",
            "2x2",
            "--out",
            p(&out),
        ],
        "has 4 pixels but",
        &out,
    );
}

#[test]
fn a_sparse_npz_is_factorised_without_a_dense_copy() {
    let d = tmp("nmf-sparse");
    // 300 × 200 with about 5 % of its entries nonzero, as .npz and as a dense .npy.
    let (m, n) = (300, 200);
    let value = |i: usize, j: usize| {
        let h = (i * 7919 + j * 104729) % 1000;
        if h < 50 {
            (h + 1) as f32 / 50.0
        } else {
            0.0
        }
    };
    let dense = Dense::new(m, n, (0..m * n).map(|p| value(p / n, p % n)).collect()).unwrap();
    write_npy(&d.join("y.npy"), &dense).unwrap();
    let csr = nmfnet_datasets::sparse::Csr::from_dense(&dense);
    nmfnet_datasets::formats::npz::write_sparse_npz_new(&d.join("y.npz"), &csr).unwrap();
    let run = |file: &str, method: &str| {
        let path = d.join(file);
        let argv = [
            "nmf",
            "--matrix",
            p(&path),
            "--rank",
            "6",
            "--method",
            method,
        ];
        summary(&nmfnet(
            &[&argv[..], &["--max-iter", "40", "--json", "--quiet"]].concat(),
        ))
    };
    for method in ["mu", "hals", "anls"] {
        let (a, b) = (run("y.npy", method), run("y.npz", method));
        assert_eq!(a["iterations"], b["iterations"], "{method}");
        assert_eq!((b["m"].as_u64(), b["n"].as_u64()), (Some(300), Some(200)));
        let (x, y) = (
            a["rel_error"].as_f64().unwrap(),
            b["rel_error"].as_f64().unwrap(),
        );
        assert!(
            (x - y).abs() <= 1e-10 * x,
            "{method}: dense {x}, sparse {y}"
        );
    }
    // NNDSVD needs a dense Y.
    let path = d.join("y.npz");
    let out = nmfnet(&[
        "nmf",
        "--matrix",
        p(&path),
        "--rank",
        "6",
        "--init",
        "nndsvda",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("starts from `random`"));
    // 4·10⁴ × 6·10⁴ with 2·10⁴ entries (19 GB dense): factorised within a 256 MiB budget.
    let (m, n) = (40_000, 60_000);
    let rows: Vec<Vec<(usize, f32)>> = (0..m)
        .map(|i| match i % 2 {
            0 => vec![((i * 31) % n, 1.0 + (i % 5) as f32)],
            _ => vec![],
        })
        .collect();
    let big = nmfnet_datasets::sparse::Csr::from_rows(n, rows).unwrap();
    let path = d.join("big.npz");
    nmfnet_datasets::formats::npz::write_sparse_npz_new(&path, &big).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nmfnet"))
        .args([
            "nmf",
            "--matrix",
            p(&path),
            "--rank",
            "3",
            "--max-iter",
            "5",
            "--json",
            "--quiet",
        ])
        .env("NMFNET_MAX_MEMORY", "256M")
        .output()
        .unwrap();
    let s = summary(&out);
    assert_eq!(
        (s["m"].as_u64(), s["n"].as_u64()),
        (Some(40_000), Some(60_000)),
        "{s}"
    );
}

#[test]
fn f32_products_are_asked_for_and_reported() {
    let d = tmp("nmf-f32");
    let (m, n) = (200, 150);
    let dense = Dense::new(
        m,
        n,
        (0..m * n)
            .map(|p| ((p / n * 31 + p % n * 17) % 97) as f32 / 97.0)
            .collect(),
    )
    .unwrap();
    write_npy(&d.join("y.npy"), &dense).unwrap();
    let csr = nmfnet_datasets::sparse::Csr::from_dense(&dense);
    nmfnet_datasets::formats::npz::write_sparse_npz_new(&d.join("y.npz"), &csr).unwrap();
    let run = |file: &str, precision: &str| {
        nmfnet(&[
            "nmf",
            "--matrix",
            p(&d.join(file)),
            "--rank",
            "5",
            // Far enough that both reach the same fit: their paths part a little on the way
            // (1e-4 apart at 30 iterations, 4e-7 at 300, measured).
            "--max-iter",
            "300",
            "--tol",
            "0",
            "--precision",
            precision,
            "--json",
        ])
    };
    let (a, b) = (run("y.npy", "f64"), run("y.npy", "f32"));
    assert!(String::from_utf8_lossy(&b.stdout).contains("products in f32"));
    let (a, b) = (summary(&a), summary(&b));
    assert_eq!(
        (a["precision"].as_str(), b["precision"].as_str()),
        (Some("f64"), Some("f32"))
    );
    let (x, y) = (
        a["rel_error"].as_f64().unwrap(),
        b["rel_error"].as_f64().unwrap(),
    );
    assert!((x - y).abs() <= 1e-5 * x, "f64 {x}, f32 {y}");
    // A sparse Y has no f32 products: refused by name, not ignored.
    let out = run("y.npz", "f32");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("precision"));
}

#[test]
fn rank_selection_finds_a_planted_rank_and_writes_its_curve() {
    let d = tmp("nmf-rank");
    // An exact rank-3 nonnegative 60 × 40 matrix, well conditioned (each row and column leans
    // on one component; hashed small parts elsewhere), so that every fit converges.
    let (m, n, k) = (60, 40, 3);
    let f = |a: usize, b: usize, s: usize| {
        ((a * 2654435761 + b * 40503 + s * 97) % 1000) as f32 / 1000.0
    };
    let w = |i: usize, l: usize| if i % 3 == l { 1.0 } else { 0.0 } + 0.2 * f(i, l, 1);
    let h = |l: usize, j: usize| if j % 3 == l { 1.0 } else { 0.0 } + 0.2 * f(l, j, 2);
    let y = Dense::new(
        m,
        n,
        (0..m * n)
            .map(|e| (0..k).map(|l| w(e / n, l) * h(l, e % n)).sum())
            .collect(),
    )
    .unwrap();
    write_npy(&d.join("y.npy"), &y).unwrap();
    let out = d.join("run");
    let s = summary(&nmfnet(&[
        "nmf",
        "--matrix",
        p(&d.join("y.npy")),
        "--rank",
        "1,2,3,5",
        "--replicates",
        "2",
        "--stop",
        "violation",
        "--tol",
        "1e-7",
        "--max-iter",
        "3000",
        "--out",
        p(&out),
        "--json",
        "--quiet",
    ]));
    let sel = &s["rank_selection"];
    assert_eq!(s["rank"].as_u64(), Some(3), "{sel}");
    assert_eq!(sel["chosen"].as_u64(), Some(3));
    assert_eq!(sel["test_error"].as_array().unwrap().len(), 4);
    // Held-out error falls to the planted rank.
    let mean: Vec<f64> = sel["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(mean[0] > mean[1] && mean[1] > mean[2], "{mean:?}");
    for f in ["rank.svg", "rank.png", "job.json", "H.npy", "W.npy"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let job: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("job.json")).unwrap()).unwrap();
    assert_eq!(job["rank_selection"]["ks"], serde_json::json!([1, 2, 3, 5]));
    // Selection flags without a selection, and ranks that are not ranks, are usage errors.
    let bad = d.join("bad");
    for (rank, extra, phrase) in [
        ("3", "--replicates=2", "belong to rank selection"),
        ("0-2", "--seed=0", "a rank is a whole number"),
        ("x", "--seed=0", "a rank is a whole number"),
    ] {
        expect_error(
            &[
                "nmf",
                "--matrix",
                p(&d.join("y.npy")),
                "--rank",
                rank,
                extra,
                "--out",
                p(&bad),
            ],
            phrase,
            &d,
        );
    }
}
