"""ConsensusNMF against an independent reference of cNMF's consensus step
(bench/python/cnmf_consensus.py: numpy, SciPy's NNLS, scikit-learn's KMeans and silhouette),
on the replicates nmfnet ran; and the properties of the whole run (planted programs found,
the true k the most stable, seeds, sparse = dense)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

from nmfnet import ConsensusNMF

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "python"))
from cnmf_consensus import cnmf_consensus, local_density  # noqa: E402


def planted(m=300, n=80, k=4, seed=0):
    rng = np.random.default_rng(seed)
    P = np.where(np.arange(n)[None, :] % k == np.arange(k)[:, None], 1 + rng.random((k, n)), 0.05 * rng.random((k, n)))
    U = rng.random((m, k)) * (rng.random((m, k)) < 0.5)
    return U @ P + 0.05 * rng.random((m, n)), P


def best_correlations(truth, found):
    C = np.corrcoef(np.vstack([truth, found]))[: len(truth), len(truth):]
    return C.max(axis=1)


def test_the_consensus_is_cnmfs_step_on_the_same_replicates():
    X, _ = planted()
    k, R = 4, 20
    # threshold 2 keeps every spectrum: points_ are then all the pooled unit spectra.
    full = ConsensusNMF(ks=[k], n_replicates=R, density_threshold=2.0, random_state=3).fit(X)
    points = full.points_[k]
    assert points.shape == (R * k, X.shape[1]) and full.kept_[k].all()
    ref = cnmf_consensus(X, points, k, threshold=2.0)
    assert adjusted_rand_score(ref["labels"], full.labels_[k]) == 1.0
    # With nmfnet's labels, every later step is the reference's to rounding.
    mine = cnmf_consensus(X, points, k, threshold=2.0, labels=full.labels_[k])
    np.testing.assert_allclose(full.consensus_[k], mine["spectra"], rtol=1e-12, atol=1e-15)
    assert full.stability_[k] == pytest.approx(mine["stability"], rel=1e-9)
    np.testing.assert_allclose(full.usage_[k], mine["usage"], rtol=1e-6, atol=1e-8)
    assert full.error_[k] == pytest.approx(mine["error"], rel=1e-8)
    # The density filter, on the same replicates (same seed), drops what the reference drops.
    # A threshold midway between two distinct densities near their median splits them, far
    # from any density (the two sides compute distances differently, to rounding).
    d = np.sort(local_density(points, R, 0.3))
    i = next(i for i in range(len(d) // 2, len(d) - 1) if d[i + 1] - d[i] > 1e-9)
    threshold = float(d[i] + d[i + 1]) / 2
    tight = ConsensusNMF(ks=[k], n_replicates=R, density_threshold=threshold, random_state=3).fit(X)
    ref_tight = cnmf_consensus(X, points, k, threshold=threshold)
    np.testing.assert_array_equal(tight.kept_[k], ref_tight["kept"])
    assert 0 < (~tight.kept_[k]).sum() < R * k
    assert adjusted_rand_score(ref_tight["labels"], tight.labels_[k]) == 1.0
    mine_tight = cnmf_consensus(X, points, k, threshold=threshold, labels=tight.labels_[k])
    np.testing.assert_allclose(tight.consensus_[k], mine_tight["spectra"], rtol=1e-12, atol=1e-15)
    # The K-selection statistics are cNMF's: those of every spectrum, whatever the threshold.
    assert tight.stability_[k] == full.stability_[k]
    assert tight.error_[k] == full.error_[k]


def test_planted_programs_are_found_and_the_true_k_is_the_most_stable():
    X, P = planted(seed=1)
    c = ConsensusNMF(ks=[3, 4, 5, 6], n_replicates=20, random_state=0).fit(X)
    assert c.k_ == 4
    assert best_correlations(P, c.components_).min() > 0.99
    assert c.fit_transform(X).shape == (X.shape[0], 4)
    np.testing.assert_allclose(c.transform(X), c.usage_[4], rtol=1e-6, atol=1e-8)
    again = ConsensusNMF(ks=[3, 4, 5, 6], n_replicates=20, random_state=0).fit(X)
    np.testing.assert_array_equal(again.components_, c.components_)
    s = ConsensusNMF(ks=[4], n_replicates=20, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(s.components_, c.consensus_[4], rtol=1e-6, atol=1e-9)


def test_bad_settings_are_value_errors():
    X, _ = planted(m=40, n=20)
    with pytest.raises(ValueError, match="k = 7 is not one of"):
        ConsensusNMF(ks=[3, 4], k=7, n_replicates=3).fit(X)
    with pytest.raises(ValueError, match="density_threshold"):
        ConsensusNMF(ks=[3], n_replicates=3, density_threshold=1e-9).fit(X)
    with pytest.raises(ValueError):
        ConsensusNMF(ks=[3], n_replicates=0).fit(X)


def test_the_batched_engine_gives_the_host_programs():
    X, P = planted(seed=2)
    kw = dict(ks=[4], n_replicates=10, random_state=0)
    host = ConsensusNMF(engine="host", **kw).fit(X)
    batched = ConsensusNMF(engine="batched", backend="cpu", **kw).fit(X)
    assert best_correlations(host.components_, batched.components_).min() >= 0.999
    assert best_correlations(P, batched.components_).min() > 0.99
    # Kullback–Leibler: coordinate descent on the host, MU batched; the same programs.
    kl_host = ConsensusNMF(engine="host", beta_loss="kullback-leibler", **kw).fit(X)
    kl_batched = ConsensusNMF(engine="batched", beta_loss="kullback-leibler", **kw).fit(X)
    assert best_correlations(kl_host.components_, kl_batched.components_).min() >= 0.99
    with pytest.raises(ValueError, match="not between 1 and"):
        ConsensusNMF(engine="batched", ks=[1000], n_replicates=2).fit(X)


def test_the_cli_gives_pythons_consensus_and_resumes_a_killed_run(nmfnet_cli, workdir):
    import json
    import subprocess

    X, _ = planted(m=120, n=40, seed=3)
    np.save(workdir / "x.npy", X)
    out = workdir / "run"
    args = [nmfnet_cli, "nmf", "consensus", "--matrix", str(workdir / "x.npy"), "--ks", "3-5",
            "--replicates", "8", "--seed", "4", "--out", str(out), "--quiet", "--json"]
    first = subprocess.run(args, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    s = json.loads(first.stdout.strip().splitlines()[-1])
    est = ConsensusNMF(ks=[3, 4, 5], n_replicates=8, random_state=4).fit(X)
    assert s["k"] == est.k_ == 4
    # Each replicate's iterations: the median and the count at the budget in the summary.
    for i, k in enumerate((3, 4, 5)):
        n_iter = est.n_iter_[k]
        assert n_iter.shape == (8,) and (n_iter >= 1).all() and (n_iter <= 1000).all()
        assert s["iterations_median"][i] == int(np.sort(n_iter)[3])
        assert s["at_max_iter"][i] == int((n_iter == 1000).sum())
    for k in (3, 4, 5):
        np.testing.assert_array_equal(np.load(out / f"spectra_k{k}.npy"), est.consensus_[k])
        np.testing.assert_array_equal(np.load(out / f"usage_k{k}.npy"), est.usage_[k])
    assert s["stability"] == [est.stability_[k] for k in (3, 4, 5)]
    for f in ("k_selection.png", "k_selection.svg", "clustergram_k4.png", "summary.json"):
        assert (out / f).stat().st_size > 0
    # A run killed after rank 3: its later ranks' replicates are missing; --resume fits only those.
    (out / "replicates_k4.npy").unlink()
    (out / "replicates_k5.npy").unlink()
    again = subprocess.run(args + ["--resume"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    r = json.loads(again.stdout.strip().splitlines()[-1])
    assert r["resumed_ks"] == [3] and r["stability"] == s["stability"]
    assert r["iterations_median"][0] is None and r["iterations_median"][1:] == s["iterations_median"][1:]
    np.testing.assert_array_equal(np.load(out / "spectra_k4.npy"), est.consensus_[4])
    # Another job on the same folder is refused, naming the change.
    nine = [("9" if a == "8" else a) for a in args]
    other = subprocess.run(nine + ["--resume"], capture_output=True, text=True)
    assert other.returncode != 0 and "replicates was 8, is 9" in other.stderr


def test_float32_input_multiplies_in_float32_and_finds_the_float64_consensus(nmfnet_cli, workdir):
    import json
    import subprocess

    # Large enough for the grouped replicates (≥ 65536 entries).
    X, P = planted(m=400, n=200, k=4, seed=5)
    kw = dict(ks=[4], n_replicates=8, random_state=1)
    c64 = ConsensusNMF(**kw).fit(X)
    c32 = ConsensusNMF(**kw).fit(X.astype(np.float32))
    # Not the float64 bits (the products were float32), the same programs and statistics.
    assert not np.array_equal(c64.components_, c32.components_)
    assert best_correlations(c64.components_, c32.components_).min() >= 0.9999
    assert best_correlations(P, c32.components_).min() > 0.99
    assert c32.stability_[4] == pytest.approx(c64.stability_[4], abs=1e-3)
    assert c32.error_[4] == pytest.approx(c64.error_[4], rel=1e-5)
    # Sparse float32 with ≥ 15 % nonzeros: multiplied as a dense float32 copy, the same programs.
    c32s = ConsensusNMF(**kw).fit(sp.csr_matrix(X.astype(np.float32)))
    assert best_correlations(c32.components_, c32s.components_).min() >= 0.9999
    # The command line's --precision f32 on the same (float32-rounded) matrix is the same run.
    np.save(workdir / "x.npy", X.astype(np.float32).astype(np.float64))
    out = subprocess.run(
        [nmfnet_cli, "nmf", "consensus", "--matrix", str(workdir / "x.npy"), "--ks", "4", "--replicates", "8",
         "--seed", "1", "--precision", "f32", "--quiet", "--json"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout.strip().splitlines()[-1])
    assert s["precision"] == "f32" and s["stability"] == [c32.stability_[4]]
    # Where the replicates do not run grouped (Kullback–Leibler), float32 is not asked for.
    kl = ConsensusNMF(beta_loss="kullback-leibler", **kw).fit(X.astype(np.float32))
    assert best_correlations(P, kl.components_).min() > 0.99
    small = subprocess.run(
        [nmfnet_cli, "nmf", "consensus", "--matrix", str(workdir / "x.npy"), "--ks", "4", "--replicates", "2",
         "--beta-loss", "kullback-leibler", "--precision", "f32", "--quiet"],
        capture_output=True, text=True,
    )
    assert small.returncode != 0 and "precision" in small.stderr


def test_inner_sweeps_take_fewer_iterations_for_the_same_programs(nmfnet_cli, workdir):
    import json
    import subprocess

    X, P = planted(seed=6)
    kw = dict(ks=[4], n_replicates=10, random_state=2)
    one = ConsensusNMF(**kw).fit(X)
    four = ConsensusNMF(inner_sweeps=4, **kw).fit(X)
    assert four.n_iter_[4].sum() < 0.8 * one.n_iter_[4].sum()
    assert best_correlations(P, four.components_).min() > 0.99
    assert best_correlations(one.components_, four.components_).min() > 0.999
    np.save(workdir / "x.npy", X)
    out = subprocess.run(
        [nmfnet_cli, "nmf", "consensus", "--matrix", str(workdir / "x.npy"), "--ks", "4", "--replicates", "10",
         "--seed", "2", "--inner-sweeps", "4", "--quiet", "--json"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["stability"] == [four.stability_[4]]
    with pytest.raises(ValueError, match="inner_sweeps"):
        ConsensusNMF(inner_sweeps=0, **kw).fit(X)
    # The batched engine sweeps once per product: more is refused, not ignored.
    with pytest.raises(ValueError, match="inner_sweeps"):
        ConsensusNMF(engine="batched", inner_sweeps=4, **kw).fit(X)
