//! Checks on the real files of `../shared/data`. Without that folder (a user's fresh clone)
//! each test prints one line and passes; with `NMFNET_REQUIRE_DATA=1` (set by CI) a missing
//! folder is a failure. `NMFNET_DATA` overrides the location.

use nmfnet_datasets::catalog::{self, DatasetId, Features, LoadOptions, Split};
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NMFNET_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("NMFNET_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("NMFNET_REQUIRE_DATA=1 but {} does not exist", dir.display());
    }
    eprintln!(
        "skipping: no data folder at {} (set NMFNET_DATA)",
        dir.display()
    );
    None
}

#[test]
fn every_dataset_loads_with_verified_counts() {
    let Some(dir) = data_dir() else { return };
    for id in DatasetId::ALL {
        let row = catalog::check(id, &dir);
        assert!(row.ok, "{}: {:?}", id.name(), row.problem);
        eprintln!(
            "{:>9}: {} samples, {} classes, {} features, {:.2} s",
            row.dataset,
            row.samples.unwrap(),
            row.classes.unwrap(),
            row.features.unwrap(),
            row.seconds
        );
    }
}

#[test]
fn clustering_sets_match_the_spec() {
    let Some(dir) = data_dir() else { return };
    let mnist2 = catalog::load_cluster(DatasetId::Mnist2, &dir, LoadOptions::default()).unwrap();
    let counts: Vec<usize> = (0..3)
        .map(|c| mnist2.labels.iter().filter(|&&l| l == c).count())
        .collect();
    assert_eq!(counts, vec![980, 1135, 1032]);
    // The held-out set: 300 of each class, in the test file's order.
    let f1 = catalog::load_cluster(DatasetId::Fashion1, &dir, LoadOptions::default()).unwrap();
    let counts: Vec<usize> = (0..10)
        .map(|c| f1.labels.iter().filter(|&&l| l == c).count())
        .collect();
    assert_eq!(counts, vec![300; 10]);
    let test = catalog::load_images(DatasetId::Fashion, Split::Test, &dir).unwrap();
    match &f1.features {
        Features::Dense(z) => {
            assert_eq!(z.shape(), [3000, 784]);
            // Its first row is the test file's first image.
            assert_eq!(z.row(0), test.images.row(0));
        }
        _ => panic!("Fashion₁ features are dense"),
    }
    let orl = catalog::load_cluster(DatasetId::Orl, &dir, LoadOptions::default()).unwrap();
    match &orl.features {
        Features::Dense(z) => {
            assert_eq!(z.shape(), [400, 10304]);
            // The README of the data: pixel range 0..251 of 255.
            let max = z.data().iter().cloned().fold(0.0f32, f32::max);
            assert!((max - 251.0 / 255.0).abs() < 1e-6, "max pixel {max}");
        }
        _ => panic!("ORL features are dense"),
    }
    let tdt2 = catalog::load_cluster(DatasetId::Tdt2, &dir, LoadOptions::default()).unwrap();
    match &tdt2.features {
        Features::Sparse(docs) => {
            assert_eq!((docs.nrows(), docs.ncols()), (9394, 36771));
            assert_eq!(docs.nnz(), 1_224_135);
        }
        _ => panic!("TDT-2 features are sparse"),
    }
    let sizes: Vec<usize> = (0..30)
        .map(|c| tdt2.labels.iter().filter(|&&l| l == c).count())
        .collect();
    assert_eq!(&sizes[..5], &[1844, 1828, 1222, 811, 441]);
    let olivetti = catalog::load_images(DatasetId::Olivetti, Split::Test, &dir).unwrap();
    assert_eq!((olivetti.images.nrows(), olivetti.height), (80, 64));
}

#[test]
fn corrupt_real_files_are_typed_errors() {
    use nmfnet_datasets::formats::{idx, mat};
    let Some(dir) = data_dir() else { return };
    // A .mat cut in half.
    let tdt2 = std::fs::read(dir.join("tdt2/TDT2_fea_gnd_derived.mat")).unwrap();
    let err = mat::parse_mat(&tdt2[..tdt2.len() / 2]).unwrap_err();
    assert!(
        err.contains("truncated") || err.contains("corrupt"),
        "{err}"
    );
    // A truncated gzip of real IDX labels.
    let p = dir.join("mnist/t10k-labels-idx1-ubyte.gz");
    let gz = std::fs::read(&p).unwrap();
    let err = idx::parse_labels(&p, &gz[..gz.len() - 100])
        .unwrap_err()
        .to_string();
    assert!(err.contains("gzip") && err.contains("t10k-labels"), "{err}");
    // Images read as labels: wrong magic, named.
    let p = dir.join("mnist/t10k-images-idx3-ubyte.gz");
    let err = idx::parse_labels(&p, &std::fs::read(&p).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("magic number 2051"), "{err}");
    // A PNG that is not one (a PGM renamed), and a PGM with a broken header.
    let pgm = std::fs::read(dir.join("orl/orl_faces/s1/1.pgm")).unwrap();
    let err = nmfnet_datasets::formats::png::png_gray(std::path::Path::new("fake.png"), &pgm, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not a readable PNG") && err.contains("fake.png"),
        "{err}"
    );
    let mut broken = pgm.clone();
    broken[3] = b'x';
    let err = nmfnet_datasets::formats::pgm::parse_pgm(std::path::Path::new("s1/1.pgm"), &broken)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad PGM") && err.contains("width"), "{err}");
}

#[test]
fn a_changed_file_fails_its_checksum() {
    let Some(dir) = data_dir() else { return };
    let tmp = std::env::temp_dir().join(format!("nmfnet-data-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("olivetti")).unwrap();
    let mut bytes = std::fs::read(dir.join("olivetti/olivettifaces.mat")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(tmp.join("olivetti/olivettifaces.mat"), bytes).unwrap();
    let row = catalog::check(DatasetId::Olivetti, &tmp);
    assert!(!row.ok);
    let problem = row.problem.unwrap();
    assert!(
        problem.contains("sha256") && problem.contains("olivettifaces.mat"),
        "{problem}"
    );
    let missing = catalog::check(DatasetId::Orl, &tmp);
    assert!(missing.problem.unwrap().contains("cannot read"));
}
