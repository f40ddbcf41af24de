//! The bad-input catalogue: one table of hostile but realistic command lines, each with the
//! class of defect it probes and the phrase its error must contain. Every case must fail with
//! exit status 1 (a typed error) or 2 (a usage error), never panic, and leave the files it was
//! given as they were.

use crate::common::*;

/// A case: (class, arguments with `{d}` standing for the scratch folder, expected phrase).
type Case = (&'static str, Vec<String>, &'static str);

fn case(class: &'static str, args: &str, phrase: &'static str) -> Case {
    (
        class,
        args.split_whitespace().map(|s| s.to_string()).collect(),
        phrase,
    )
}

/// Every file below `dir` with its bytes, the locks left out (they hold the last pid).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.ends_with(".nmfnet.lock") {
                v.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    v.sort();
    v
}

fn fixtures(d: &Path) {
    let text = |name: &str, body: &str| std::fs::write(d.join(name), body).unwrap();
    let bytes = |name: &str, body: &[u8]| std::fs::write(d.join(name), body).unwrap();
    // Similarity matrices and features.
    text("rect.csv", "1,0,0\n0,1,0\n");
    text("asym.csv", "1,0.5\n0.1,1\n");
    text("neg.csv", "1,-0.5\n-0.5,1\n");
    text("nan.csv", "1,NaN\nNaN,1\n");
    text("inf.csv", "1,inf\ninf,1\n");
    text("empty.csv", "\n# nothing\n");
    text("text.csv", "1,a\na,1\n");
    text("ragged.csv", "1,0\n0\n");
    text("zeros.csv", "0,0\n0,0\n");
    text("few.csv", "1,2\n3,4\n5,6\n");
    bytes("garbage.npy", b"\x93NUMPY garbage");
    bytes("magic.npy", b"PK\x03\x04 this is a zip");
    bytes("garbage.npz", b"PK\x03\x04 not really a zip");
    bytes("numpy.npz", b"\x93NUMPY a .npy named .npz");
    let good = nmfnet_datasets::io::npy_bytes_f32(&Dense::new(4, 4, vec![1.0; 16]).unwrap());
    bytes("short.npy", &good[..good.len() - 7]);
    // An object array, as numpy writes `np.array([[1, 'a']], dtype=object)`.
    let header = "{'descr': '|O', 'fortran_order': False, 'shape': (1, 2), }";
    let mut obj = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 64 - (10 + header.len() + 1) % 64;
    let header = format!("{header}{}\n", " ".repeat(pad));
    obj.extend_from_slice(&(header.len() as u16).to_le_bytes());
    obj.extend_from_slice(header.as_bytes());
    obj.extend_from_slice(&[0x80, 0x04, 0x95]);
    bytes("object.npy", &obj);
    // Labels.
    text("labels-short.txt", "0\n1\n");
    text("labels-text.txt", "cat\ndog\n");
    text("labels-neg.txt", &"-1\n".repeat(400));
    text("labels-frac.txt", &"0.5\n".repeat(400));
    // Configs.
    text("cfg-unknown.json", r#"{"epochz": 5}"#);
    text("cfg-type.json", r#"{"epochs": "many"}"#);
    text("cfg-blocks.json", r#"{"model": {"blocks": 100000}}"#);
    text("cfg-lrmin.json", r#"{"lr_min_factor": 1e6}"#);
    text("cfg-beta1.json", r#"{"adam_beta1": 1.5}"#);
    text("cfg-u0.json", r#"{"model": {"u0_scale": 1e9}}"#);
    text("cfg-gamma.json", r#"{"model": {"gamma": 1e30}}"#);
    text("cfg-eps.json", r#"{"adam_epsilon": 5}"#);
    text("cfg-broken.json", r#"{"epochs": 5"#);
    text(
        "cfg-dup.json",
        r#"{"epochs": 5, "model": {"blocks": 3, "blocks": 4}}"#,
    );
    text("job-dup.json", r#"{"rank": 2, "restarts": 1, "rank": 3}"#);
    // Images.
    std::fs::create_dir_all(d.join("no-images")).unwrap();
    text("no-images/readme.txt", "nothing here");
    std::fs::create_dir_all(d.join("mixed")).unwrap();
    bytes(
        "mixed/a.pgm",
        &[b"P5\n2 2\n255\n".as_slice(), &[1, 2, 3, 4]].concat(),
    );
    bytes(
        "mixed/b.pgm",
        &[b"P5\n3 1\n255\n".as_slice(), &[1, 2, 3]].concat(),
    );
    std::fs::create_dir_all(d.join("bad-image")).unwrap();
    bytes("bad-image/a.png", b"\x89PNG\r\n\x1a\n truncated");
    // A user's folder holding their own files, a file where a folder is expected.
    std::fs::create_dir_all(d.join("mine")).unwrap();
    text("mine/labels.npy", "my ground truth");
    text("plain-file", "not a folder");
    // A gan checkpoint folder that is not one.
    std::fs::create_dir_all(d.join("not-a-run")).unwrap();
    bytes(
        "not-a-run/checkpoint.bin",
        b"NMFNETCK\x02\x00\x00\x00 short",
    );
}

fn cases(data: Option<&Path>) -> Vec<Case> {
    let mut v = vec![
        // Malformed similarity / feature files.
        case(
            "file",
            "cluster --rank 1 --similarity {d}/rect.csv",
            "must be square",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/asym.csv",
            "not symmetric",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/neg.csv",
            "negative",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/nan.csv",
            "non-finite",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/inf.csv",
            "non-finite",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/empty.csv",
            "empty",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/text.csv",
            "not a number",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/ragged.csv",
            "line 2",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/zeros.csv",
            "all zeros",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/garbage.npy",
            "not a valid .npy",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/magic.npy",
            "not a valid .npy",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/short.npy",
            "truncated",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/garbage.npz",
            "not a zip archive",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/numpy.npz",
            "not a zip archive",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/object.npy",
            "unsupported dtype",
        ),
        case(
            "file",
            "cluster --rank 1 --similarity {d}/missing.csv",
            "cannot read",
        ),
        case("file", "cluster --rank 1 --similarity {d}", "cannot read"),
        case(
            "file",
            "cluster --rank 2 --features {d}/few.csv",
            "more than",
        ),
        case(
            "file",
            "cluster --rank 2 --features {d}/text.csv",
            "not a number",
        ),
        case("file", "nmf --rank 1 --matrix {d}/neg.csv", "negative"),
        case(
            "file",
            "nmf --rank 1 --matrix {d}/object.npy",
            "unsupported dtype",
        ),
        case(
            "file",
            "nmf --rank 1 --images {d}/no-images",
            "no .png or .pgm",
        ),
        case("file", "nmf --rank 1 --images {d}/mixed", "2×2"),
        case("file", "nmf --rank 1 --images {d}/bad-image", "bad-image"),
        // Labels.
        case(
            "labels",
            "cluster --labels {d}/labels-short.txt",
            "labels but the data has n = 400",
        ),
        case(
            "labels",
            "cluster --labels {d}/labels-text.txt",
            "labels-text.txt",
        ),
        case(
            "labels",
            "cluster --labels {d}/labels-neg.txt",
            "labels-neg.txt",
        ),
        case(
            "labels",
            "cluster --labels {d}/labels-frac.txt",
            "labels-frac.txt",
        ),
        case("labels", "cluster --labels {d}/missing.txt", "cannot read"),
        // Configs and numeric bounds.
        case("config", "cluster --config {d}/cfg-unknown.json", "epochz"),
        case(
            "config",
            "cluster --config {d}/cfg-type.json",
            "expected usize",
        ),
        case(
            "config",
            "cluster --config {d}/cfg-broken.json",
            "cfg-broken.json",
        ),
        case(
            "config",
            "cluster --config {d}/cfg-blocks.json",
            "at most 1000",
        ),
        case(
            "config",
            "cluster --config {d}/cfg-lrmin.json",
            "lr_min_factor",
        ),
        case(
            "config",
            "cluster --config {d}/cfg-beta1.json",
            "adam_beta1",
        ),
        case("bounds", "cluster --blocks 100000", "at most 1000"),
        case("bounds", "cluster --blocks 0", "at least one block"),
        case("bounds", "cluster --epochs 0", "invalid parameter epochs"),
        case("bounds", "cluster --epochs 100000000", "at most 10000000"),
        case("bounds", "cluster --patience 100000000", "plateau_patience"),
        case("bounds", "cluster --plateau-tol 2", "plateau_tol"),
        case("bounds", "cluster --plateau-tol=-1", "plateau_tol"),
        case(
            "bounds",
            "cluster --method symhals --patience 5",
            "symnmf-net only",
        ),
        case("bounds", "cluster --lr=-1", "invalid parameter lr"),
        case("bounds", "cluster --lr 1e30", "at most 1e6"),
        case("bounds", "cluster --lr nan", "invalid parameter lr"),
        case("bounds", "cluster --beta=-1", "beta"),
        case("bounds", "cluster --beta 1e300", "at most 1e6"),
        case("bounds", "cluster --restarts 0", "--restarts"),
        case("bounds", "cluster --restarts 5000", "--restarts"),
        case("flags", "cluster --graph knn-self:0", "knn-self:K needs K"),
        case("flags", "cluster --graph spectral", "unknown graph"),
        case(
            "flags",
            "cluster --graph kuang",
            "--graph applies to --features",
        ),
        case("flags", "cluster --knn hnsw", "--knn applies to --features"),
        case("flags", "cluster --knn annoy", "unknown neighbour search"),
        case("flags", "cluster --knn hnsw:0", "hnsw:EF needs EF"),
        case(
            "flags",
            "cluster --method symhals --preset paper",
            "--preset",
        ),
        case("flags", "cluster --protocol zhu", "classical methods only"),
        // Runs that converge to nothing usable are errors, not results (nothing written).
        case(
            "useless",
            "cluster --method pgd --protocol zhu",
            "no usable factor: the best of the 3 starts ended at U = 0",
        ),
        case("useless", "cluster --lr 1e6 --restarts 1", "no usable factor"),
        case("bounds", "cluster --lambda 1e20", "at most 1e12"),
        case("config", "cluster --config {d}/cfg-u0.json", "u0_scale"),
        case("config", "cluster --config {d}/cfg-gamma.json", "gamma"),
        case(
            "config",
            "cluster --config {d}/cfg-eps.json",
            "adam_epsilon",
        ),
        case("bounds", "cluster --rank 0", "rank must be at least 1"),
        case(
            "bounds",
            "cluster --rank 401",
            "larger than the number of points",
        ),
        case(
            "bounds",
            "cluster --fixed-lambda --lambda 0.01",
            "below the lower bound",
        ),
        case("bounds", "cluster --epochs many", "invalid value"),
        case("bounds", "nmf --rank 0 --matrix {d}/zeros.csv", "rank"),
        case(
            "bounds",
            "nmf --rank 1 --matrix {d}/few.csv --max-iter 100000000",
            "at most 1000000",
        ),
        case(
            "bounds",
            "cluster --method symhals --max-iter 100000000",
            "at most 1000000",
        ),
        case("bounds", "cluster --method symhals --tol=-1", "tol"),
        case("bounds", "cluster --method admm --rho=-1", "rho"),
        case(
            "bounds",
            "nmf --rank 1 --matrix {d}/zeros.csv --image-shape 2xa",
            "HEIGHTxWIDTH",
        ),
        case(
            "bounds",
            "nmf --rank 1 --matrix {d}/zeros.csv --image-shape 3x3",
            "pixels",
        ),
        case("bounds", "cluster --checkpoint-every 0", "at least 1"),
        case("flags", "cluster --upgrade", "--resume"),
        case(
            "bounds",
            "gan eval --checkpoint {d}/nothing-here --dataset mnist --refine 1000000",
            "at most 10000",
        ),
        // Memory: refused with the numbers before anything is allocated.
        case(
            "memory",
            "data planted-graph --nodes 2147483647 --degree 1000 --out {d}/big.npz --labels-out {d}/big.npy",
            "of memory",
        ),
        // Inputs that are not regular files (reading /dev/zero never ends).
        case("file", "cluster --rank 1 --similarity /dev/zero", "not a regular file"),
        case("file", "cluster --rank 1 --features /dev/zero", "not a regular file"),
        case("file", "nmf --rank 1 --matrix /dev/zero", "not a regular file"),
        case("file", "cluster --rank 1 --similarity {d}/mixed", "a folder"),
        case("file", "cluster --labels /dev/zero", "not a regular file"),
        case("config", "cluster --config /dev/zero", "not a regular file"),
        case("config", "cluster --job /dev/zero", "not a regular file"),
        // A key given twice: JSON leaves it undefined, so it is refused.
        case("config", "cluster --config {d}/cfg-dup.json", "\"blocks\" appears twice"),
        case("config", "cluster --job {d}/job-dup.json", "\"rank\" appears twice"),
        // Flags that do not go together.
        case(
            "flags",
            "cluster --method symhals --epochs 5",
            "symnmf-net only",
        ),
        case(
            "flags",
            "cluster --method symnewton --rho 2",
            "--rho applies to --method admm only",
        ),
        case("flags", "cluster --max-iter 5", "classical methods only"),
        case(
            "flags",
            "cluster --method symhals --backend wgpu",
            "symnmf-net only",
        ),
        case("flags", "cluster --method nosuch", "invalid value"),
        case(
            "flags",
            "cluster --resume --overwrite --out {d}/r",
            "cannot be used with",
        ),
        case(
            "flags",
            "cluster --similarity {d}/rect.csv --features {d}/few.csv",
            "cannot be used with",
        ),
        // Output folders.
        case(
            "out",
            "cluster --method symhals --out {d}/mine",
            "did not write",
        ),
        case(
            "out",
            "cluster --method symhals --overwrite --out {d}/mine",
            "did not write",
        ),
        case(
            "out",
            "cluster --method symhals --out {d}/plain-file",
            "not a folder",
        ),
        case(
            "out",
            "cluster --resume --out {d}/nothing-here",
            "no run to continue",
        ),
        case(
            "out",
            "nmf --rank 1 --matrix {d}/few.csv --out {d}/mine",
            "did not write",
        ),
        case(
            "out",
            "nmf --rank 1 --matrix {d}/few.csv --out {d}/plain-file",
            "not a folder",
        ),
        // Checkpoints that are not.
        case(
            "checkpoint",
            "cluster --resume --out {d}/not-a-run",
            "did not write",
        ),
        case(
            "checkpoint",
            "gan factorize --checkpoint {d}/not-a-run --images {d}/mixed --out {d}/f",
            "not an nmfnet checkpoint",
        ),
        case(
            "checkpoint",
            "gan factorize --checkpoint {d}/nothing-here --images {d}/mixed --out {d}/f",
            "holds no checkpoint",
        ),
        case(
            "checkpoint",
            "gan eval --checkpoint {d}/nothing-here --dataset mnist",
            "holds no checkpoint",
        ),
        // GAN parameters.
        case("gan", "gan train --dataset nosuch --steps 1", "nosuch"),
        case(
            "gan",
            "gan baselines --dataset mnist --methods nosuch",
            "--methods",
        ),
    ];
    if let Some(data) = data {
        let dd = data.display().to_string();
        let gan = |args: &str, phrase: &'static str| {
            case(
                "gan",
                &format!("gan train --dataset mnist --data-dir {dd} --tiny --steps 1 {args}"),
                phrase,
            )
        };
        v.push(gan("--k 0", "k (the number of basis images)"));
        v.push(gan("--k 41", "k (the number of basis images)"));
        v.push(gan("--batch 0", "batch must be at least 1"));
        v.push(gan("--batch 5000", "at most 1024"));
        v.push(gan("--nnls-sweeps 1000", "nnls_sweeps"));
        v.push(case(
            "gan",
            &format!("gan train --dataset mnist --data-dir {dd} --tiny --steps 0"),
            "--steps must be between 1",
        ));
        v.push(gan("--resume --out {d}/nothing-here", "no run to continue"));
        v.push(case(
            "gan",
            &format!("gan train --dataset mnist --data-dir {dd} --channels 0 --steps 1"),
            "base_channels",
        ));
        v.push(case(
            "gan",
            &format!("gan eval --checkpoint {{d}}/not-a-run --dataset mnist --data-dir {dd}"),
            "not an nmfnet checkpoint",
        ));
        v.push(case(
            "data",
            &format!("cluster --dataset nosuch --data-dir {dd}"),
            "nosuch",
        ));
        v.push(case(
            "data",
            "cluster --dataset orl --data-dir {d}/nothing-here",
            "nothing-here",
        ));
    }
    v
}

#[test]
fn every_bad_input_is_a_typed_error() {
    let d = tmp("catalogue");
    fixtures(&d);
    let data = shared_data();
    let all = cases(data.as_deref());
    let before = snapshot(&d);
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for (class, args, phrase) in &all {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{d}", &d.display().to_string()))
            .collect();
        let mut argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        argv.push("--quiet");
        if (argv[0] == "gan" && ["eval", "factorize"].contains(&argv[1])) || argv[0] == "data" {
            argv.pop(); // (these have no progress bars to hide)
        }
        let out = nmfnet(&argv);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        *counts.entry(*class).or_insert(0) += 1;
        if !matches!(code, Some(1) | Some(2))
            || !stderr.contains(phrase)
            || stderr.contains("panicked")
        {
            failures.push(format!(
                "[{class}] {} → exit {code:?}, wanted '{phrase}':\n{stderr}",
                argv.join(" ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    assert!(
        snapshot(&d) == before,
        "a refused command changed its inputs"
    );
    // Nothing was created for the refused runs either.
    for name in ["r", "f", "nothing-here"] {
        assert!(!d.join(name).exists(), "{name} was created");
    }
    println!(
        "bad-input catalogue: {} cases, by class {counts:?}",
        all.len()
    );
    assert!(all.len() >= 60, "the catalogue holds {} cases", all.len());
}

#[test]
fn a_failed_write_leaves_nothing_behind_and_a_byte_order_mark_is_not_data() {
    let d = tmp("leftovers");
    // The labels cannot be written (their folder does not exist): the graph written just
    // before goes too, so the same command can run again once the folder is there.
    let graph = d.join("g.npz");
    let labels = d.join("no-such-folder/l.npy");
    let argv = [
        "data",
        "planted-graph",
        "--nodes",
        "200",
        "--blocks",
        "2",
        "--out",
        p(&graph),
        "--labels-out",
        p(&labels),
    ];
    let out = nmfnet(&argv);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!graph.exists(), "the graph of a failed run was left behind");
    std::fs::create_dir(d.join("no-such-folder")).unwrap();
    assert!(nmfnet(&argv).status.success());
    assert!(graph.exists() && labels.exists());
    // A CSV, a label file and a config saved with a UTF-8 byte-order mark (as spreadsheet
    // programs and Windows editors write them) read as without it.
    let bom = "\u{feff}";
    let text = |name: &str, body: String| {
        let f = d.join(name);
        std::fs::write(&f, body).unwrap();
        f
    };
    let sim = text(
        "s.csv",
        format!("{bom}1,1,0,0\n1,1,0,0\n0,0,1,1\n0,0,1,1\n"),
    );
    let lab = text("l.txt", format!("{bom}0\n0\n1\n1\n"));
    let cfg = text("c.json", format!("{bom}{{\"epochs\": 3}}"));
    let s = summary(&nmfnet(&[
        "cluster",
        "--similarity",
        p(&sim),
        "--labels",
        p(&lab),
        "--rank",
        "2",
        "--method",
        "symhals",
        "--restarts",
        "1",
        "--json",
        "--quiet",
    ]));
    assert_eq!(s["n"], 4);
    assert_eq!(s["acc"], 1.0, "{s}");
    let s = summary(&nmfnet(&[
        "cluster",
        "--similarity",
        p(&sim),
        "--rank",
        "2",
        "--config",
        p(&cfg),
        "--json",
        "--quiet",
    ]));
    assert_eq!(s["epochs"], 3, "{s}");
}
