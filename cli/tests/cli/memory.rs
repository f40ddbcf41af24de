//! Small inputs that claim much: every command refuses them with a typed error before the
//! memory is spent, and each run's own peak resident memory (the kernel's count for that child
//! alone, from `wait4`) stays under 1 GB. Claims the file's content cannot justify are refused
//! whatever the machine has; work a file does justify is estimated first and refused past the
//! memory budget, which `NMFNET_MAX_MEMORY` sets here so that the cases do not depend on the
//! machine.

use crate::common::*;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

/// A case: arguments (`{d}` standing for the scratch folder), environment, standard input, the
/// phrase its error must contain.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>, &'a str);

/// `nmfnet args` with `env` set and standard input from `stdin` (empty when None): its exit
/// status, standard error, and peak resident memory in bytes.
// The child is waited for by `wait4`, which returns its own resource usage.
#[allow(clippy::zombie_processes)]
fn measured(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&Path>,
) -> (std::process::ExitStatus, String, u64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nmfnet"));
    cmd.args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.stdin(match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
        None => Stdio::null(),
    });
    let mut child = cmd.spawn().expect("the nmfnet binary runs");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and not yet waited for; both pointers are valid.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let peak = usage.ru_maxrss as u64 * 1024;
    (std::process::ExitStatus::from_raw(status), err, peak)
}

fn write_lines(path: &Path, n: usize) {
    let text: String = (0..n).map(|i| format!("{i}\n")).collect();
    std::fs::write(path, text).unwrap();
}

#[test]
fn small_files_that_claim_much_are_refused_in_little_memory() {
    const GB: u64 = 1 << 30;
    let d = tmp("memory");
    let at = |name: &str| d.join(name);
    // A graph of 8·10⁶ nodes with one edge: a few kB as .npz.
    let n = 8_000_000;
    let mut indptr = vec![0usize; n + 1];
    indptr[1] = 1;
    indptr[2..].iter_mut().for_each(|p| *p = 2);
    let g = nmfnet_datasets::sparse::Csr::new(n, n, indptr, vec![1, 0], vec![1.0, 1.0]).unwrap();
    nmfnet_datasets::formats::npz::write_sparse_npz_new(&at("claims.npz"), &g).unwrap();
    assert!(std::fs::metadata(at("claims.npz")).unwrap().len() < 1 << 20);
    // A version-1 checkpoint (no checksum, still read by eval and factorize) of 110 bytes whose
    // config asks for a discriminator 16 times the paper's width and holds no state.
    let meta = br#"{"step":0,"config":{"discriminator":{"base_channels":1024}}}"#;
    let mut ck = b"NMFNETCK".to_vec();
    ck.extend_from_slice(&1u32.to_le_bytes());
    ck.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    ck.extend_from_slice(meta);
    std::fs::create_dir(at("wide")).unwrap();
    std::fs::write(at("wide/checkpoint.bin"), &ck).unwrap();
    // One entry in a row of 2^31 − 1 columns: each column costs a pointer and a row of W.
    let wide =
        nmfnet_datasets::sparse::Csr::new(1, i32::MAX as usize, vec![0, 1], vec![5], vec![1.0])
            .unwrap();
    nmfnet_datasets::formats::npz::write_sparse_npz_new(&at("wide.npz"), &wide).unwrap();
    // Reads that would never end.
    std::fs::create_dir(at("zero-run")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", at("zero-run/checkpoint.bin")).unwrap();
    std::fs::create_dir(at("zero-images")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", at("zero-images/a.png")).unwrap();
    std::fs::create_dir(at("faces")).unwrap();
    // Files whose content justifies the work, past a budget of 64 MiB.
    write_lines(&at("points5000.csv"), 5000);
    write_lines(&at("points12000.csv"), 12000);
    write_lines(&at("points20000.csv"), 20000);
    std::fs::create_dir(at("big-images")).unwrap();
    for i in 0..9 {
        write_pgm(&at(&format!("big-images/{i}.pgm")), 1024, 1024, |x, y| {
            ((x + y + i) % 251) as u8
        });
    }
    let budget = [("NMFNET_MAX_MEMORY", "64M")];
    let cases: Vec<Case> = vec![
        (
            "cluster --similarity {d}/claims.npz --rank 2",
            &[],
            None,
            "7999998 of its 8000000 rows are empty",
        ),
        (
            "gan factorize --checkpoint {d}/wide --images {d}/faces --out {d}/f1",
            &[],
            None,
            "the config is not this state's",
        ),
        (
            "gan factorize --checkpoint {d}/zero-run --images {d}/faces --out {d}/f2",
            &[],
            None,
            "not a regular file",
        ),
        (
            "nmf --images {d}/zero-images --rank 1",
            &[],
            None,
            "not a regular file",
        ),
        ("cluster --job -", &[], Some("/dev/zero"), "longer than"),
        (
            "cluster --features {d}/points5000.csv --rank 2 --method symnewton",
            &budget,
            None,
            "symnewton's dense n × n Hessian blocks) needs about",
        ),
        (
            "cluster --features {d}/points12000.csv --rank 2 --method symhals --dense",
            &budget,
            None,
            "the solver's copy of the dense graph) needs about",
        ),
        (
            "cluster --features {d}/points20000.csv --graph knn-self:1000 --rank 2",
            &budget,
            None,
            "the 1000-nearest-neighbour graph of 20000 points needs about",
        ),
        (
            "nmf --matrix {d}/points12000.csv --rank 6000",
            &budget,
            None,
            "an NMF of a 12000 × 1 matrix at rank 6000 needs about",
        ),
        (
            "nmf --matrix {d}/wide.npz --rank 1",
            &budget,
            None,
            "an NMF of a 1 × 2147483647 matrix at rank 1 needs about",
        ),
        (
            "nmf --images {d}/big-images --rank 2",
            &budget,
            None,
            "reading 9 images of 1024×1024",
        ),
        (
            "nmf --matrix {d}/points12000.csv --rank 2",
            &[("NMFNET_MAX_MEMORY", "lots")],
            None,
            "is not a size",
        ),
    ];
    let dir = d.to_str().unwrap();
    for (args, env, stdin, phrase) in cases {
        let args = args.replace("{d}", dir);
        let argv: Vec<&str> = args.split_whitespace().collect();
        let (status, err, peak) = measured(&argv, env, stdin.map(Path::new));
        let line = format!("nmfnet {} ({env:?})", argv.join(" "));
        assert_eq!(status.code(), Some(1), "{line}: {status:?}\n{err}");
        assert!(
            err.contains(phrase),
            "{line}: expected '{phrase}' in\n{err}"
        );
        if env.iter().any(|(_, v)| *v == "64M") {
            assert!(err.contains("(NMFNET_MAX_MEMORY)"), "{line}: {err}");
        }
        assert!(peak < GB, "{line}: peak resident memory {peak} bytes");
    }
    // A training run refused when it builds its model (the run folder is opened and its
    // checkpoint claimed before) leaves no folder and no lock behind.
    if let Some(data) = shared_data() {
        let out = at("wide-train");
        let (status, err, peak) = measured(
            &[
                "gan",
                "train",
                "--dataset",
                "mnist",
                "--data-dir",
                p(&data),
                "--steps",
                "1",
                "--channels",
                "256",
                "--out",
                p(&out),
            ],
            &budget,
            None,
        );
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(err.contains("parameters needs about"), "{err}");
        assert!(peak < GB, "peak resident memory {peak} bytes");
        assert!(!out.exists(), "a refused run left {out:?}");
    }
    // The budget refuses nothing that fits it: the 5000-point file clusters under 1 GiB.
    let (status, err, peak) = measured(
        &[
            "cluster",
            "--features",
            p(&at("points5000.csv")),
            "--rank",
            "2",
            "--method",
            "symhals",
            "--restarts",
            "1",
        ],
        &[("NMFNET_MAX_MEMORY", "1G")],
        None,
    );
    assert!(status.success(), "{err}");
    assert!(peak < GB, "peak resident memory {peak} bytes");
}
