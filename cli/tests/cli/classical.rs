//! `nmfnet cluster --method …` with the classical solvers.

use crate::common::*;

#[test]
fn classical_methods_cluster_the_embedded_default_and_write_their_outputs() {
    let d = tmp("classical");
    for m in CLASSICAL {
        let out = d.join(m);
        let s = summary(&nmfnet(&[
            "cluster",
            "--method",
            m,
            "--json",
            "--quiet",
            "--out",
            p(&out),
        ]));
        assert_eq!(s["method"], m);
        assert!(s["acc"].as_f64().unwrap() >= 0.95, "{m}: {s}");
        // Same optimum as the other methods (rel. error 0.8482 from seed 0, all methods).
        assert!(
            (s["rel_error"].as_f64().unwrap() - 0.8482).abs() < 1e-3,
            "{m}: {s}"
        );
        assert!(s["iterations"].as_u64().unwrap() >= 1);
        for f in ["U.npy", "labels.npy", "history.jsonl", "summary.json"] {
            assert!(out.join(f).is_file(), "{m}: {f} missing");
        }
        let history = std::fs::read_to_string(out.join("history.jsonl")).unwrap();
        let first: serde_json::Value =
            serde_json::from_str(history.lines().next().unwrap()).unwrap();
        assert_eq!(first["iter"], 0);
        assert!(
            first["acc"].is_number(),
            "labels are known: ACC per iteration"
        );
    }
}

#[test]
fn classical_flag_mixups_and_bad_parameters_are_errors() {
    let d = tmp("classical-bad");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--method", "symhals", "--epochs", "3"],
            "--epochs applies to --method symnmf-net only",
        ),
        (
            vec!["--method", "symhals", "--rho", "2"],
            "--rho applies to --method admm only",
        ),
        (
            vec!["--method", "symnmf-net", "--max-iter", "5"],
            "--max-iter applies to the classical methods only",
        ),
        (
            vec!["--method", "symhals", "--rank", "0"],
            "rank must be at least 1",
        ),
        (
            vec!["--method", "symhals", "--rank", "401"],
            "rank must be at least 1 and at most 400",
        ),
        (
            vec!["--method", "symanls", "--lambda=-1"],
            "invalid parameter lambda",
        ),
        (
            vec!["--method", "admm", "--rho", "0"],
            "invalid parameter rho",
        ),
        (vec!["--method", "pgd", "--tol=-1"], "invalid parameter tol"),
        (
            vec!["--method", "pgd", "--max-iter", "0"],
            "invalid parameter max_iter",
        ),
    ];
    for (extra, phrase) in cases {
        let mut args = vec!["cluster", "--quiet", "--out", p(&d)];
        args.extend(extra);
        expect_error(&args, phrase, &d);
    }
}

/// Every classical method runs from the CLI on each of the five clustering data sets (two
/// iterations each: this checks the plumbing, the bench and `reproduce` check the numbers).
/// SymNewton on TDT-2 is left out here: one iteration factorises 30 Hessian blocks of up to
/// 9,394² (minutes on 2 cores); it runs from the same code path in `bench solvers`.
#[test]
fn classical_methods_run_on_every_clustering_dataset() {
    let Some(dir) = shared_data() else { return };
    for ds in ["orl", "coil20", "mnist1", "mnist2", "tdt2"] {
        for m in CLASSICAL {
            if ds == "tdt2" && m == "symnewton" {
                continue;
            }
            let s = summary(&nmfnet(&[
                "cluster",
                "--dataset",
                ds,
                "--data-dir",
                p(&dir),
                "--method",
                m,
                "--max-iter",
                "2",
                "--json",
                "--quiet",
            ]));
            assert_eq!(s["dataset"], ds);
            assert!(s["acc"].as_f64().unwrap() > 0.0, "{ds} {m}: {s}");
            let rel = s["rel_error"].as_f64().unwrap();
            assert!(rel > 0.0 && rel < 1.0, "{ds} {m}: {s}");
        }
    }
}
