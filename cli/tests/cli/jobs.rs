//! Jobs: the flags make one serde job per command, every run that writes saves it as
//! `job.json` with its defaults resolved, and `--job` runs that file again to the same bits.
//! The library names job fields in its messages and the command line renders them as flags.

use crate::common::*;
use clap::Parser;
use nmfnet::cli::{Cli, Command, GanCommand};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

fn parse(line: &str) -> Command {
    let argv: Vec<&str> = std::iter::once("nmfnet")
        .chain(line.split_whitespace())
        .collect();
    Cli::try_parse_from(&argv)
        .unwrap_or_else(|e| panic!("{line} does not parse: {e}"))
        .command
}

/// `job` written as JSON and read back is `job` again.
fn round_trip<J: Serialize + DeserializeOwned + PartialEq + Debug>(job: &J, line: &str) {
    let text = serde_json::to_string_pretty(job).unwrap();
    let back: J = nmfnet_app::job::parse_job(&text)
        .unwrap_or_else(|e| panic!("{line}: its job does not read back: {e}\n{text}"));
    assert_eq!(&back, job, "{line}");
}

#[test]
fn jobs_made_from_flags_survive_json() {
    let cluster = [
        "cluster",
        "cluster --method symhals --rank 4 --seed 7 --restarts 2 --max-iter 50 --tol 1e-6 --lambda 2 --dense",
        "cluster --method admm --rho 3 --protocol zhu --similarity x.npy --rank 3",
        "cluster --features z.npy --labels y.txt --graph knn-self:5 --knn hnsw:20 --rank 3 --out o --overwrite",
        "cluster --preset paper --epochs 7 --patience 3 --plateau-tol 0.01 --lr 0.2 --beta 0.5 --gamma 0.1 --reduction mean --lambda 3 --fixed-lambda --no-project --allow-lambda-below-bound --blocks 4 --backend flex --checkpoint-every 9 --quiet",
        "cluster --dataset orl --data-dir d --coil-full-size --restarts 1 --out o --resume",
    ];
    for line in cluster {
        match parse(line) {
            Command::Cluster(a) => round_trip(&a.job().unwrap(), line),
            other => panic!("{other:?}"),
        }
    }
    for line in [
        "nmf --matrix y.npy --rank 3",
        "nmf --images d --rank 5 --method mu --seed 3 --init nndsvda --max-iter 40 --tol 1e-5 --stop violation --out o --overwrite",
    ] {
        match parse(line) {
            Command::Nmf(a) => round_trip(&a.job().unwrap(), line),
            other => panic!("{other:?}"),
        }
    }
    for line in [
        "gan train --dataset mnist",
        "gan train --dataset face --data-dir d --no-discriminator --steps 9 --batch 4 --k 5 --nnls-sweeps 3 --seed 2 --channels 16 --per-group-norm --devices 2 --out o --checkpoint-every 3",
        "gan train --dataset fashion --tiny --nodes 2 --node 1 --orchestrator ws://h:1 --node-port 5 --node-host h",
    ] {
        match parse(line) {
            Command::Gan(GanCommand::Train(a)) => round_trip(&a.job().unwrap(), line),
            other => panic!("{other:?}"),
        }
    }
    for line in [
        "gan baselines --dataset mnist",
        "gan baselines --dataset face --methods hals,mu --k 4 --groups 2 --train-images 10 --seed 1 --out o",
    ] {
        match parse(line) {
            Command::Gan(GanCommand::Baselines(a)) => round_trip(&a.job().unwrap(), line),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_job_file_excludes_the_flags_it_holds() {
    let d = tmp("job-flags");
    let job = d.join("job.json");
    std::fs::write(&job, "{}").unwrap();
    for args in [
        vec!["cluster", "--job", p(&job), "--epochs", "5"],
        vec!["cluster", "--job", p(&job), "--method", "symhals"],
        vec!["nmf", "--job", p(&job), "--rank", "3"],
        vec!["gan", "train", "--job", p(&job), "--steps", "3"],
    ] {
        let out = nmfnet(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A job with a field no job has, or without its solver, is refused by name.
    std::fs::write(
        &job,
        r#"{"solver": {"classical": {"method": "symhals"}}, "epochz": 3}"#,
    )
    .unwrap();
    let out = nmfnet(&["cluster", "--job", p(&job)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `epochz`"));
    std::fs::write(&job, r#"{"rank": 3}"#).unwrap();
    let out = nmfnet(&["cluster", "--job", p(&job)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing field `solver`"));
}

/// The arrays of a run folder and its metric log (without times), with their contents; and the
/// summary without its times.
fn results(dir: &Path) -> (Vec<(String, Vec<u8>)>, serde_json::Value) {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".npy") {
            files.push((name, std::fs::read(e.path()).unwrap()));
        } else if name == "metrics.jsonl" {
            let lines: Vec<serde_json::Value> = std::fs::read_to_string(e.path())
                .unwrap()
                .lines()
                .map(|l| {
                    let mut v = serde_json::from_str(l).unwrap();
                    strip_times(&mut v);
                    v
                })
                .collect();
            files.push((name, serde_json::to_vec(&lines).unwrap()));
        }
    }
    files.sort();
    let mut s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    strip_times(&mut s);
    (files, s)
}

fn strip_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| !k.contains("seconds"));
            m.values_mut().for_each(strip_times);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_times),
        _ => {}
    }
}

/// Runs `args` into `a`, then its `job.json` into `b`, and compares the two folders.
fn replays(args: &[&str], d: &Path) -> serde_json::Value {
    let (a, b) = (d.join("a"), d.join("b"));
    let mut first: Vec<&str> = args.to_vec();
    first.extend(["--out", p(&a), "--quiet", "--json"]);
    summary(&nmfnet(&first));
    let job: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("job.json")).unwrap()).unwrap();
    let command = args[..if args[0] == "gan" { 2 } else { 1 }].to_vec();
    let job_file = a.join("job.json");
    let mut again = command.clone();
    again.extend(["--job", p(&job_file), "--out", p(&b), "--quiet", "--json"]);
    summary(&nmfnet(&again));
    let (fa, sa) = results(&a);
    let (fb, sb) = results(&b);
    assert!(!fa.is_empty(), "{args:?} wrote no arrays");
    assert_eq!(fa, fb, "{args:?}: the replay gave other arrays");
    assert_eq!(sa, sb, "{args:?}: the replay gave another summary");
    // The replay's job is the first one's but for its folder.
    let mut replayed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("job.json")).unwrap()).unwrap();
    replayed["run"]["out"] = job["run"]["out"].clone();
    assert_eq!(replayed, job, "{args:?}");
    job
}

#[test]
fn cluster_and_nmf_runs_replay_from_their_job_file() {
    let d = tmp("job-replay");
    let net = replays(
        &[
            "cluster",
            "--epochs",
            "15",
            "--restarts",
            "2",
            "--seed",
            "3",
        ],
        &d.join("net"),
    );
    // Defaults resolved: the rank from the labels, the net's whole config, the checkpoints.
    assert_eq!(net["rank"], 5);
    assert_eq!(net["seed"], 3);
    assert_eq!(net["solver"]["net"]["config"]["model"]["rank"], 5);
    assert_eq!(net["solver"]["net"]["config"]["epochs"], 15);
    assert_eq!(net["run"]["checkpoint_every"], 50);
    let hals = replays(
        &["cluster", "--method", "symhals", "--protocol", "zhu"],
        &d.join("hals"),
    );
    assert_eq!(hals["solver"]["classical"]["max_iter"], 500);
    // Zhu's λ is 0.66·‖X‖₂, resolved on the graph when it runs: the job keeps it unset.
    assert_eq!(
        hals["solver"]["classical"]["lambda"],
        serde_json::Value::Null
    );
    assert_eq!(hals["solver"]["classical"]["protocol"], "zhu");
    // A features file: the graph's settings are written out.
    let (z, _) = planted_features(&PlantedConfig::default()).unwrap();
    write_npy(&d.join("z.npy"), &z).unwrap();
    let feats = replays(
        &[
            "cluster",
            "--method",
            "symanls",
            "--features",
            p(&d.join("z.npy")),
            "--rank",
            "5",
            "--restarts",
            "1",
        ],
        &d.join("features"),
    );
    assert_eq!(feats["graph"]["kind"], "kuang");
    assert_eq!(feats["graph"]["knn"], "exact");
    let y = Dense::new(6, 5, (0..30).map(|i| ((i * 7) % 11) as f32).collect()).unwrap();
    write_npy(&d.join("y.npy"), &y).unwrap();
    let nmf = replays(
        &[
            "nmf",
            "--matrix",
            p(&d.join("y.npy")),
            "--rank",
            "2",
            "--init",
            "nndsvd",
        ],
        &d.join("nmf"),
    );
    assert_eq!(nmf["params"]["max_iter"], 500);
    assert_eq!(nmf["init"], "nndsvd");
}

#[test]
fn gan_train_replays_from_its_job_file() {
    let Some(data) = shared_data() else { return };
    let d = tmp("job-gan");
    let job = replays(
        &[
            "gan",
            "train",
            "--dataset",
            "mnist",
            "--data-dir",
            p(&data),
            "--tiny",
            "--steps",
            "2",
            "--seed",
            "4",
        ],
        &d,
    );
    assert_eq!(job["config"]["generator"]["base_channels"], 8);
    assert_eq!(job["config"]["image_shape"], serde_json::json!([28, 28]));
    assert_eq!(job["run"]["checkpoint_every"], 100);
}

#[test]
fn messages_name_job_fields_and_the_command_line_says_flags() {
    let flag = |f: &str| (f == "restarts" || f == "out").then(|| format!("--{f}"));
    assert_eq!(
        nmfnet_app::job::render_fields(
            "`restarts` must be 1..=9; `out` x holds a `cluster` run `",
            flag
        ),
        "--restarts must be 1..=9; --out x holds a `cluster` run `"
    );
    // Through the binary: a job file's bad value comes back in the command line's words.
    let d = tmp("job-words");
    let job = d.join("job.json");
    std::fs::write(
        &job,
        r#"{"solver": {"classical": {"method": "symhals"}}, "restarts": 0}"#,
    )
    .unwrap();
    let out = nmfnet(&["cluster", "--job", p(&job)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--restarts must be between 1 and 1000"),
        "{err}"
    );
}

/// The string literals of a Rust source (comments skipped; escapes kept as written).
fn string_literals(src: &str) -> Vec<(usize, String)> {
    let b = src.as_bytes();
    let find = |from: usize, pat: &[u8]| {
        b[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|k| from + k)
    };
    let line = |i: usize| b[..i].iter().filter(|&&c| c == b'\n').count() + 1;
    let text = |from: usize, to: usize| String::from_utf8_lossy(&b[from..to]).into_owned();
    let (mut i, mut out) = (0, Vec::new());
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            i = find(i, b"\n").unwrap_or(b.len());
        } else if b[i..].starts_with(b"/*") {
            i = find(i, b"*/").map_or(b.len(), |j| j + 2);
        } else if b[i] == b'\'' {
            // A char literal ('"', '\'', 'ε') is skipped whole; a lifetime is one quote.
            i += match (b.get(i + 1), b.get(i + 2)) {
                (Some(b'\\'), _) => find(i + 2, b"'").map_or(1, |j| j + 1 - i),
                (Some(_), Some(b'\'')) => 3,
                _ => match src[i + 1..].chars().next() {
                    Some(c) if src[i + 1 + c.len_utf8()..].starts_with('\'') => 2 + c.len_utf8(),
                    _ => 1,
                },
            };
        } else if b[i] == b'r'
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && b[i + 1..]
                .iter()
                .find(|&&c| c != b'#')
                .is_some_and(|&c| c == b'"')
        {
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            let start = i + 2 + hashes;
            let close = [b"\"".as_slice(), &vec![b'#'; hashes]].concat();
            let end = find(start, &close).unwrap_or(b.len());
            out.push((line(i), text(start, end)));
            i = end + close.len();
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push((line(i), text(i + 1, j.min(b.len()))));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn no_library_crate_names_a_flag() {
    // Report prose of the reproductions quotes whole commands (`nmfnet … --quick`); those are
    // texts of the reports, not messages, and say which program they run.
    let prose = [
        "experiments/src/symnmf/report.rs",
        "experiments/src/ganunet/run.rs",
        "experiments/src/ganunet/report.rs",
        "experiments/src/ganunet/extensions.rs",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut found = Vec::new();
    for krate in [
        "datasets",
        "baselines",
        "symnmf-burn",
        "ganunet-burn",
        "train",
        "app",
        "experiments",
    ] {
        let mut stack = vec![root.join(krate).join("src")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if path.extension().is_none_or(|x| x != "rs") || prose.contains(&rel.as_str()) {
                    continue;
                }
                let src = std::fs::read_to_string(&path).unwrap();
                for (line, s) in string_literals(&src) {
                    let flag = s.match_indices("--").any(|(k, _)| {
                        let before = s[..k].chars().last();
                        let after = s[k + 2..].chars().next();
                        before.is_none_or(|c| c.is_whitespace() || "([,`".contains(c))
                            && after.is_some_and(|c| c.is_ascii_lowercase())
                    });
                    if flag && !s.contains("nmfnet ") {
                        found.push(format!("{rel}:{line}: {s}"));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "flag names in library messages (name the job field in backquotes instead):\n{}",
        found.join("\n")
    );
}
