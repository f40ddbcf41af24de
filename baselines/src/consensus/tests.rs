//! Planted programs, replicates alone or in a group, lone, dead and duplicate spectra, the
//! density filter and the silhouette against its definition.

use super::*;
use crate::linalg::uniform;
use crate::nmf::{NmfMethod, NmfParams, NmfStop};

/// Y = usage·programs + noise with `k` programs of disjoint-ish support.
fn planted(m: usize, n: usize, k: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let programs = Mat::from_fn(k, n, |l, j| {
        if j % k == l {
            1.0 + rng.random::<f64>()
        } else {
            0.05 * rng.random::<f64>()
        }
    });
    let usage = Mat::from_fn(m, k, |_, _| {
        let u: f64 = rng.random();
        if u < 0.5 {
            0.0
        } else {
            u
        }
    });
    let noise = uniform(m, n, 0.05, &mut rng);
    (&usage * &programs + noise, programs)
}

fn corr(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (
        a.iter().sum::<f64>() / a.len() as f64,
        b.iter().sum::<f64>() / b.len() as f64,
    );
    let (mut s, mut sa, mut sb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        s += (x - ma) * (y - mb);
        sa += (x - ma) * (x - ma);
        sb += (y - mb) * (y - mb);
    }
    s / (sa * sb).sqrt()
}

#[test]
fn the_consensus_recovers_planted_programs_and_is_stable_at_the_true_k() {
    let (m, n, k) = (150, 40, 4);
    let (y, programs) = planted(m, n, k, 3);
    let mut p = NmfParams::new(k);
    p.stop = NmfStop::Violation;
    p.tol = 1e-4;
    p.max_iter = 1000;
    let pooled = replicate_spectra(y.as_ref().into(), NmfMethod::Hals, &p, 12, 7).unwrap();
    assert_eq!(pooled.shape(), (12 * k, n));
    let c = consensus(y.as_ref().into(), &pooled, k, &ConsensusParams::default()).unwrap();
    for l in 0..k {
        let truth: Vec<f64> = programs.row(l).iter().copied().collect();
        let best = (0..k)
            .map(|c2| {
                corr(
                    &truth,
                    &c.spectra.row(c2).iter().copied().collect::<Vec<_>>(),
                )
            })
            .fold(f64::MIN, f64::max);
        assert!(best > 0.99, "program {l}: best correlation {best}");
        let s: f64 = c.spectra.row(l).iter().sum();
        assert!((s - 1.0).abs() < 1e-12);
    }
    assert!(c.stability > 0.8, "{}", c.stability);
    assert!(c
        .usage
        .as_ref()
        .col_iter()
        .all(|col| col.iter().all(|&v| v >= 0.0)));
    let direct = (&y - &c.usage * &c.spectra).squared_norm_l2();
    assert!(
        (c.error - direct).abs() <= 1e-8 * direct,
        "{} vs {direct}",
        c.error
    );
    // Too many clusters split programs: less stable.
    let mut p6 = p.clone();
    p6.rank = 6;
    let pooled6 = replicate_spectra(y.as_ref().into(), NmfMethod::Hals, &p6, 12, 7).unwrap();
    let c6 = consensus(y.as_ref().into(), &pooled6, 6, &ConsensusParams::default()).unwrap();
    assert!(
        c6.stability < c.stability,
        "{} vs {}",
        c6.stability,
        c.stability
    );
}

#[test]
fn grouped_replicates_are_the_plain_fits() {
    // Large enough for the grouped engine (m·n ≥ 2¹⁶).
    let (y, _) = planted(300, 250, 3, 6);
    assert!(y.nrows() * y.ncols() >= 1 << 16);
    let mut p = NmfParams::new(3);
    p.stop = NmfStop::Violation;
    p.tol = 1e-4;
    p.max_iter = 300;
    let yd: NmfData<'_> = y.as_ref().into();
    assert!(grouped_applies(yd, NmfMethod::Hals, &p));
    let iterations = Iterations::new(4);
    let all = replicate_spectra_with(
        yd,
        NmfMethod::Hals,
        &p,
        4,
        30,
        HostOptions::default(),
        &|r, n| iterations.record(r, n),
    )
    .unwrap();
    let iterations = iterations.into_vec();
    let alone = replicate_spectra(yd, NmfMethod::Hals, &p, 1, 32).unwrap();
    for r in 0..4 {
        let (h0, w0) =
            crate::nmf::nmf_start(yd, 3, crate::nmf::NmfInit::Random, 30 + r as u64).unwrap();
        let plain = crate::nmf::nmf_from(NmfMethod::Hals, yd, &p, h0, w0).unwrap();
        assert_eq!(iterations[r], plain.convergence.iterations, "replicate {r}");
        let scale = plain.w.norm_max();
        for l in 0..3 {
            for j in 0..250 {
                let d = (all[(r * 3 + l, j)] - plain.w[(l, j)]).abs();
                assert!(d <= 1e-9 * scale, "replicate {r} ({l}, {j}): {d}");
                if r == 2 {
                    assert_eq!(all[(r * 3 + l, j)].to_bits(), alone[(l, j)].to_bits());
                }
            }
        }
    }
}

#[test]
fn f32_products_give_the_f64_consensus_and_a_replicate_alone_its_bits() {
    let (y, programs) = planted(300, 250, 3, 6);
    let mut p = NmfParams::new(3);
    p.stop = NmfStop::Violation;
    p.tol = 1e-4;
    p.max_iter = 300;
    let yd: NmfData<'_> = y.as_ref().into();
    let run = |replicates, seed, precision| {
        replicate_spectra_with(
            yd,
            NmfMethod::Hals,
            &p,
            replicates,
            seed,
            HostOptions {
                precision,
                inner_sweeps: 1,
            },
            &|_, _| {},
        )
        .unwrap()
    };
    let (f64s, f32s) = (run(8, 30, Precision::F64), run(8, 30, Precision::F32));
    let alone = run(1, 32, Precision::F32);
    assert_eq!(
        (0..3 * 250)
            .map(|i| alone[(i / 250, i % 250)].to_bits())
            .collect::<Vec<_>>(),
        (0..3 * 250)
            .map(|i| f32s[(2 * 3 + i / 250, i % 250)].to_bits())
            .collect::<Vec<_>>()
    );
    // Not the f64 bits (the products are f32), but the same consensus.
    assert_ne!(f32s[(0, 0)].to_bits(), f64s[(0, 0)].to_bits());
    let cp = ConsensusParams::default();
    let (a, b) = (
        consensus(yd, &f64s, 3, &cp).unwrap(),
        consensus(yd, &f32s, 3, &cp).unwrap(),
    );
    for l in 0..3 {
        let truth: Vec<f64> = programs.row(l).iter().copied().collect();
        let best = |c: &Consensus| {
            (0..3)
                .map(|c2| {
                    corr(
                        &truth,
                        &c.spectra.row(c2).iter().copied().collect::<Vec<_>>(),
                    )
                })
                .fold(f64::MIN, f64::max)
        };
        assert!(
            (best(&a) - best(&b)).abs() < 1e-4,
            "{} {}",
            best(&a),
            best(&b)
        );
    }
    assert!((a.stability - b.stability).abs() < 1e-3);
    assert!((a.error - b.error).abs() <= 1e-5 * a.error);
    // For a solver the grouped replicates do not run (MU), f32 and inner sweeps are refused
    // by name.
    let mut mu = p.clone();
    mu.stop = NmfStop::Divergence;
    for (opts, name) in [
        (
            HostOptions {
                precision: Precision::F32,
                inner_sweeps: 1,
            },
            "precision",
        ),
        (
            HostOptions {
                precision: Precision::F64,
                inner_sweeps: 4,
            },
            "inner_sweeps",
        ),
        (
            HostOptions {
                precision: Precision::F64,
                inner_sweeps: 0,
            },
            "inner_sweeps",
        ),
    ] {
        let method = if opts.inner_sweeps == 0 {
            NmfMethod::Hals
        } else {
            NmfMethod::Mu
        };
        let err = replicate_spectra_with(yd, method, &mu, 2, 0, opts, &|_, _| {}).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn inner_sweeps_reach_the_stop_in_fewer_products_with_the_same_consensus() {
    let (y, programs) = planted(300, 250, 4, 8);
    let yd: NmfData<'_> = y.as_ref().into();
    let mut p = NmfParams::new(4);
    p.stop = NmfStop::Violation;
    p.tol = 1e-4;
    p.max_iter = 1000;
    let run = |inner_sweeps| {
        let iterations = Iterations::new(8);
        let opts = HostOptions {
            precision: Precision::F64,
            inner_sweeps,
        };
        let pooled = replicate_spectra_with(yd, NmfMethod::Hals, &p, 8, 3, opts, &|r, n| {
            iterations.record(r, n)
        })
        .unwrap();
        (
            consensus(yd, &pooled, 4, &ConsensusParams::default()).unwrap(),
            iterations.into_vec(),
        )
    };
    let ((one, it1), (ten, it10)) = (run(1), run(10));
    let (sum1, sum10): (usize, usize) = (it1.iter().sum(), it10.iter().sum());
    assert!(sum10 * 5 < sum1 * 4, "iterations {sum10} vs {sum1}");
    for l in 0..4 {
        let truth: Vec<f64> = programs.row(l).iter().copied().collect();
        let best = |c: &Consensus| {
            (0..4)
                .map(|c2| {
                    corr(
                        &truth,
                        &c.spectra.row(c2).iter().copied().collect::<Vec<_>>(),
                    )
                })
                .fold(f64::MIN, f64::max)
        };
        assert!(best(&ten) > 0.99 && (best(&ten) - best(&one)).abs() < 1e-3);
    }
    assert!(
        (one.error - ten.error).abs() <= 1e-3 * one.error,
        "{} {}",
        one.error,
        ten.error
    );
}

#[test]
fn a_replicate_is_the_same_alone_or_among_others() {
    let (y, _) = planted(60, 20, 3, 1);
    let mut p = NmfParams::new(3);
    p.stop = NmfStop::Violation;
    let all = replicate_spectra(y.as_ref().into(), NmfMethod::Hals, &p, 5, 10).unwrap();
    let third = replicate_spectra(y.as_ref().into(), NmfMethod::Hals, &p, 1, 12).unwrap();
    for l in 0..3 {
        for j in 0..20 {
            assert_eq!(all[(2 * 3 + l, j)].to_bits(), third[(l, j)].to_bits());
        }
    }
}

#[test]
fn the_density_filter_drops_an_outlier_and_the_silhouette_is_the_definition() {
    // Two tight groups of 10 unit vectors in ℝ³ and one stray.
    let mut rng = StdRng::seed_from_u64(2);
    let mut rows: Vec<[f64; 3]> = Vec::new();
    for g in 0..2 {
        for _ in 0..10 {
            let e = 0.01 * rng.random::<f64>();
            rows.push(if g == 0 { [1.0, e, 0.0] } else { [0.0, e, 1.0] });
        }
    }
    rows.push([0.0, 1.0, 0.0]);
    // As 21 "replicates" of rank 1 is not a pooled layout of rank 2: use 1 component each
    // of 21 replicates at k = 1 for the filter, then check the clustering of the rest.
    let spectra = Mat::from_fn(21, 3, |i, j| rows[i][j]);
    let y = Mat::from_fn(4, 3, |i, j| (i + j) as f64 + 1.0);
    let params = ConsensusParams {
        local_neighborhood_size: 0.3,
        ..Default::default()
    };
    let c = consensus(y.as_ref().into(), &spectra, 1, &params).unwrap();
    assert_eq!(c.kept.iter().filter(|&&k| !k).count(), 1);
    assert!(!c.kept[20]);
    // Silhouette against a direct evaluation of its definition, on the kept points.
    let points = &c.points;
    let labels: Vec<usize> = (0..points.nrows())
        .map(|i| usize::from(points[(i, 2)] > 0.5))
        .collect();
    let d = distances(points);
    let s = silhouette(&d, &labels, 2);
    let mut want = 0.0;
    for i in 0..20 {
        let dist = |j: usize| {
            dist2(
                &points.row(i).iter().copied().collect::<Vec<_>>(),
                &points.row(j).iter().copied().collect::<Vec<_>>(),
            )
            .sqrt()
        };
        let same: Vec<usize> = (0..20)
            .filter(|&j| j != i && labels[j] == labels[i])
            .collect();
        let other: Vec<usize> = (0..20).filter(|&j| labels[j] != labels[i]).collect();
        let a = same.iter().map(|&j| dist(j)).sum::<f64>() / same.len() as f64;
        let b = other.iter().map(|&j| dist(j)).sum::<f64>() / other.len() as f64;
        want += (b - a) / a.max(b);
    }
    assert!((s - want / 20.0).abs() < 1e-9, "{s} vs {}", want / 20.0);
    let flat: Vec<f64> = (0..20)
        .flat_map(|i| points.row(i).iter().copied().collect::<Vec<_>>())
        .collect();
    let (km, _) = kmeans(&flat, 3, 2, 5, 0);
    assert!((0..20).all(|i| (km[i] == km[0]) == (labels[i] == labels[0])));
}

#[test]
fn lone_and_dead_spectra_and_duplicate_points_are_handled() {
    let y = Mat::from_fn(5, 4, |i, j| (i + 2 * j) as f64 + 1.0);
    // One replicate of rank 1: a lone spectrum, no neighbours.
    let one = Mat::from_fn(1, 4, |_, j| j as f64 + 1.0);
    let c = consensus(y.as_ref().into(), &one, 1, &ConsensusParams::default()).unwrap();
    assert!(c.kept[0] && (c.spectra.row(0).iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // A dead (all-zero) component takes no part; the rest still make the k programs.
    let (a, b) = ([1.0, 0.1, 0.0, 0.0], [0.0, 0.0, 0.1, 1.0]);
    let pooled = Mat::from_fn(6, 4, |i, j| match i {
        0 => 0.0,
        _ if i % 2 == 1 => a[j],
        _ => b[j],
    });
    let all = ConsensusParams {
        density_threshold: 2.0,
        ..Default::default()
    };
    let c = consensus(y.as_ref().into(), &pooled, 2, &all).unwrap();
    assert!(!c.kept[0] && c.kept[1..].iter().all(|&k| k));
    for l in 0..2 {
        let row: Vec<f64> = c.spectra.row(l).iter().copied().collect();
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{row:?}");
        let close = |want: [f64; 4]| row.iter().zip(want).all(|(x, w)| (x - w).abs() < 1e-12);
        assert!(
            close([1.0 / 1.1, 0.1 / 1.1, 0.0, 0.0]) || close([0.0, 0.0, 0.1 / 1.1, 1.0 / 1.1]),
            "{row:?}"
        );
    }
    // Fewer live spectra than k: a typed error, not a panic.
    let dead = Mat::<f64>::zeros(4, 4);
    assert!(consensus(y.as_ref().into(), &dead, 2, &all).is_err());
    // k-means with fewer distinct points than clusters: no cluster stays empty.
    let flat = vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let (labels, _) = kmeans(&flat, 2, 3, 3, 0);
    for c in 0..3 {
        assert!(labels.contains(&c), "cluster {c} empty: {labels:?}");
    }
}

#[test]
fn a_sparse_y_with_many_nonzeros_is_multiplied_dense_with_the_same_replicates() {
    let (y, _) = planted(300, 250, 3, 6);
    let s = crate::data::SparseMatrix::from_dense(y.as_ref()).unwrap();
    let (yd, ys): (NmfData<'_>, NmfData<'_>) = (y.as_ref().into(), (&s).into());
    assert!(dense_products(ys));
    let mut p = NmfParams::new(3);
    p.stop = NmfStop::Violation;
    p.max_iter = 200;
    for precision in [Precision::F64, Precision::F32] {
        let run = |y| {
            replicate_spectra_with(
                y,
                NmfMethod::Hals,
                &p,
                3,
                4,
                HostOptions {
                    precision,
                    inner_sweeps: 1,
                },
                &|_, _| {},
            )
            .unwrap()
        };
        let (a, b) = (run(yd), run(ys));
        let diff = (&a - &b).norm_max() / a.norm_max();
        // The starts' scale (Y's mean) is summed in another order: last bits, which f32
        // products can round the other way.
        let tol = if precision == Precision::F64 {
            1e-9
        } else {
            1e-5
        };
        assert!(diff <= tol, "{precision:?}: {diff}");
    }
    // A sparse Y below the density is multiplied sparse, and f32 is refused for it.
    let thin = Mat::from_fn(300, 250, |i, j| {
        if (i * 7 + j) % 10 == 0 {
            y[(i, j)]
        } else {
            0.0
        }
    });
    let st = crate::data::SparseMatrix::from_dense(thin.as_ref()).unwrap();
    assert!(!dense_products((&st).into()));
    let err = replicate_spectra_with(
        (&st).into(),
        NmfMethod::Hals,
        &p,
        2,
        0,
        HostOptions {
            precision: Precision::F32,
            inner_sweeps: 1,
        },
        &|_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("15 %"), "{err}");
}

#[test]
fn a_partial_params_object_keeps_the_consensus_defaults() {
    let job: ConsensusJob =
        serde_json::from_str(r#"{"ks": [3], "params": {"tol": 1e-5}}"#).unwrap();
    let defaults = ConsensusJob::default().params;
    assert_eq!(job.params.tol, 1e-5);
    assert_eq!(job.params.stop, crate::nmf::NmfStop::Violation);
    assert_eq!(job.params.max_iter, defaults.max_iter);
    assert_eq!((job.params.max_iter, defaults.tol), (1000, 1e-4));
    // A whole job written back reads as itself; a misspelt field is still refused.
    let text = serde_json::to_string(&job).unwrap();
    assert_eq!(serde_json::from_str::<ConsensusJob>(&text).unwrap(), job);
    let err = serde_json::from_str::<ConsensusJob>(r#"{"params": {"toll": 1e-5}}"#).unwrap_err();
    assert!(err.to_string().contains("toll"), "{err}");
    let err = serde_json::from_str::<ConsensusJob>(r#"{"replicate": 3}"#).unwrap_err();
    assert!(err.to_string().contains("replicate"), "{err}");
    // MU's replicates keep MU's rule.
    let job: ConsensusJob =
        serde_json::from_str(r#"{"method": "mu", "params": {"tol": 1e-5}}"#).unwrap();
    assert_eq!(job.params.stop, crate::nmf::NmfStop::Divergence);
    assert_eq!(job.params.max_iter, 1000);
}
