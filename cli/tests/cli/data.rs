//! `nmfnet data`.

use crate::common::*;

#[test]
fn data_check_verifies_every_dataset() {
    let Some(dir) = shared_data() else { return };
    let out = nmfnet(&["data", "check", "--data-dir", p(&dir), "--json"]);
    let rows = summary(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 9);
    for r in rows {
        assert_eq!(r["ok"], true, "{r}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in [
        "orl", "coil20", "mnist1", "mnist2", "tdt2", "fashion1", "fashion", "olivetti",
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
