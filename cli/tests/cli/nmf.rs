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
