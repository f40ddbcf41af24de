//! `nmfnet data`.

use crate::common::*;

#[test]
fn data_check_verifies_every_dataset() {
    let Some(dir) = shared_data() else { return };
    let out = nmfnet(&["data", "check", "--data-dir", p(&dir), "--json"]);
    let rows = summary(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for r in rows {
        assert_eq!(r["ok"], true, "{r}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in [
        "orl",
        "coil20",
        "mnist1",
        "mnist2",
        "tdt2",
        "fashion1",
        "mnist-full",
        "fashion",
        "olivetti",
    ] {
        assert!(stdout.contains(name));
    }
    // A data folder with a corrupted file fails, naming it.
    let d = tmp("corrupt-data");
    std::fs::create_dir_all(d.join("mnist")).unwrap();
    let mut bytes = std::fs::read(dir.join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(d.join("mnist/t10k-labels-idx1-ubyte.gz"), bytes).unwrap();
    let out = nmfnet(&["data", "check", "--data-dir", p(&d)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn planted_graph_writes_new_files_that_cluster_and_never_overwrites() {
    let d = tmp("planted-graph");
    let (g, y) = (d.join("g.npz"), d.join("y.npy"));
    let args = [
        "data",
        "planted-graph",
        "--nodes",
        "3000",
        "--blocks",
        "5",
        "--degree",
        "10",
        "--seed",
        "7",
        "--out",
        p(&g),
        "--labels-out",
        p(&y),
        "--json",
    ];
    let s = summary(&nmfnet(&args));
    assert_eq!(s["config"]["nodes"], 3000);
    let nnz = s["nnz"].as_u64().unwrap();
    assert!((40_000..=60_000).contains(&nnz), "nnz {nnz}");
    // The graph reads back as a symmetric similarity whose blocks SymHALS finds.
    let out = nmfnet(&[
        "cluster",
        "--similarity",
        p(&g),
        "--labels",
        p(&y),
        "--method",
        "symhals",
        "--restarts",
        "1",
        "--json",
    ]);
    let c = summary(&out);
    assert_eq!(c["n"], 3000);
    assert_eq!(c["rank"], 5);
    assert!(c["acc"].as_f64().unwrap() > 0.95, "{c}");
    // A second run with the same names is refused and leaves both files as they were.
    let before = (std::fs::read(&g).unwrap(), std::fs::read(&y).unwrap());
    let mut again = args.to_vec();
    again[9] = "8";
    let out = nmfnet(&again);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exists") && !err.contains("panicked"), "{err}");
    assert_eq!(
        before,
        (std::fs::read(&g).unwrap(), std::fs::read(&y).unwrap())
    );
    // The same seed writes the same bytes.
    let (g2, y2) = (d.join("g2.npz"), d.join("y2.npy"));
    let mut same = args.to_vec();
    same[11] = p(&g2);
    same[13] = p(&y2);
    assert!(nmfnet(&same).status.success());
    assert_eq!(std::fs::read(&g2).unwrap(), before.0);
    assert_eq!(std::fs::read(&y2).unwrap(), before.1);
    // Bad parameters are errors before any file exists.
    let out = nmfnet(&[
        "data",
        "planted-graph",
        "--nodes",
        "10",
        "--blocks",
        "11",
        "--out",
        p(&d.join("h.npz")),
        "--labels-out",
        p(&d.join("h.npy")),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("blocks"));
    assert!(!d.join("h.npz").exists() && !d.join("h.npy").exists());
}
