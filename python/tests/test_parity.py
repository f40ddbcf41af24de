"""The Python estimators give what the nmfnet command line gives for the same input and seed,
and arrays travel through .npy both ways."""

import json
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from nmfnet import NMF, SymNMF


def run(cli, *args):
    out = subprocess.run([cli, *args, "--quiet", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def wine_features():
    X, _ = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X)


@pytest.mark.parametrize(
    "method, affinity, graph",
    [("symhals", "knn", None), ("symanls", "knn-self", "knn-self"), ("symnmf-net", "knn", None)],
)
def test_cluster_features_match_the_cli(nmfnet_cli, workdir, wine_features, method, affinity, graph):
    z = workdir / "z.npy"
    np.save(z, wine_features)
    args = ["cluster", "--features", str(z), "--rank", "3", "--method", method, "--seed", "5"]
    args += ["--restarts", "2", "--out", str(workdir / "run")]
    if graph:
        args += ["--graph", graph]
    summary = run(nmfnet_cli, *args)
    est = SymNMF(3, method=method, affinity=affinity, n_restarts=2, random_state=5).fit(wine_features)
    u_cli = np.load(workdir / "run" / "U.npy")
    np.testing.assert_array_equal(est.U_.astype(np.float32), u_cli)
    np.testing.assert_array_equal(est.labels_, np.load(workdir / "run" / "labels.npy"))
    assert est.reconstruction_err_ == summary["rel_error"]
    assert [r["seed"] for r in est.restarts_] == [r["seed"] for r in summary["restarts"]]


def test_cluster_precomputed_matches_the_cli_and_round_trips(nmfnet_cli, workdir):
    rng = np.random.default_rng(3)
    B = rng.random((60, 4))
    A = B @ B.T
    x = workdir / "a.npy"
    np.save(x, A)
    run(nmfnet_cli, "cluster", "--similarity", str(x), "--rank", "4", "--method", "symanls",
        "--seed", "2", "--out", str(workdir / "run"))
    est = SymNMF(4, method="symanls", affinity="precomputed", random_state=2).fit(np.load(x))
    np.testing.assert_array_equal(est.U_.astype(np.float32), np.load(workdir / "run" / "U.npy"))
    # The factor saved from Python reads back bit for bit, and the CLI reads Python's files.
    np.save(workdir / "u.npy", est.U_)
    np.testing.assert_array_equal(np.load(workdir / "u.npy"), est.U_)


@pytest.mark.parametrize("stop", ["projected-gradient", "violation"])
def test_nmf_matches_the_cli(nmfnet_cli, workdir, stop):
    rng = np.random.default_rng(1)
    Y = rng.random((50, 30))
    y = workdir / "y.npy"
    np.save(y, Y)
    summary = run(nmfnet_cli, "nmf", "--matrix", str(y), "--rank", "4", "--method", "hals",
                  "--seed", "9", "--max-iter", "200", "--tol", "1e-4", "--stop", stop, "--out", str(workdir / "run"))
    est = NMF(4, init="random", solver="hals", random_state=9, max_iter=200, tol=1e-4, stop=stop).fit(Y)
    np.testing.assert_array_equal(est.components_.astype(np.float32), np.load(workdir / "run" / "W.npy"))
    assert est.n_iter_ == summary["iterations"]
    # fit_transform's W is the fit's, the CLI's H; transform's exact NNLS solve fits no worse.
    H_cli = np.load(workdir / "run" / "H.npy")
    W = NMF(4, init="random", solver="hals", random_state=9, max_iter=200, tol=1e-4, stop=stop).fit_transform(Y)
    np.testing.assert_array_equal(W.astype(np.float32), H_cli)
    err_cli = np.linalg.norm(Y - H_cli.astype(np.float64) @ est.components_)
    assert est.reconstruction_err_ == pytest.approx(err_cli, rel=1e-6)
    assert np.linalg.norm(Y - est.transform(Y) @ est.components_) <= err_cli * (1 + 1e-6)


@pytest.mark.parametrize("beta, penalty", [("kullback-leibler", False), ("1.5", True)])
def test_a_beta_divergence_fit_matches_the_cli(nmfnet_cli, workdir, beta, penalty):
    """MU for β under scikit-learn's rule, with penalties: the same factors from the CLI and
    Python (H, W stored in float32), the same iterations and divergence."""
    Y = np.random.default_rng(2).random((40, 25))
    y = workdir / "y.npy"
    np.save(y, Y)
    args = ["nmf", "--matrix", str(y), "--rank", "3", "--method", "mu", "--beta-loss", beta,
            "--seed", "4", "--max-iter", "300", "--tol", "1e-4", "--out", str(workdir / "run")]
    kw = dict(solver="mu", init="random", beta_loss=beta if beta[0].isalpha() else float(beta), random_state=4,
              max_iter=300, tol=1e-4)
    if penalty:
        # scikit-learn's alpha_W weighs W (nmfnet's H), its alpha_H the components (nmfnet's W).
        args += ["--alpha-h", "0.01", "--alpha-w", "0.02", "--l1-ratio", "0.25"]
        kw.update(alpha_W=0.01, alpha_H=0.02, l1_ratio=0.25)
    summary = run(nmfnet_cli, *args)
    assert summary["stop_reason"] == "tolerance"
    est = NMF(3, **kw)
    W = est.fit_transform(Y)
    np.testing.assert_array_equal(est.components_.astype(np.float32), np.load(workdir / "run" / "W.npy"))
    np.testing.assert_array_equal(W.astype(np.float32), np.load(workdir / "run" / "H.npy"))
    assert est.n_iter_ == summary["iterations"]
    assert est.summary_["divergence"] == summary["divergence"]
    assert est.summary_["objective"] == summary["objective"] > summary["divergence"] or not penalty
    b = summary["beta_loss"]
    assert est.reconstruction_err_ == pytest.approx(np.sqrt(2 * summary["divergence"]), rel=1e-12)
    assert b == (1.0 if beta[0].isalpha() else 1.5)


def test_a_sparse_npz_graph_matches_between_the_cli_and_python(nmfnet_cli, workdir):
    import scipy.sparse as sp

    rng = np.random.default_rng(8)
    B = sp.random(300, 300, density=0.02, random_state=8, format="csr")
    A = (B + B.T).tocsr()
    A.setdiag(1.0)
    for fmt in ("csr", "coo"):
        g = workdir / f"g_{fmt}.npz"
        sp.save_npz(g, A.asformat(fmt), compressed=(fmt == "csr"))
        run(nmfnet_cli, "cluster", "--similarity", str(g), "--rank", "5", "--method", "symhals",
            "--seed", "1", "--restarts", "1", "--out", str(workdir / fmt))
        est = SymNMF(5, method="symhals", affinity="precomputed", n_restarts=1, random_state=1).fit(A)
        np.testing.assert_array_equal(est.U_.astype(np.float32), np.load(workdir / fmt / "U.npy"))
    # An asymmetric graph is refused by the CLI with the reason.
    sp.save_npz(workdir / "bad.npz", sp.csr_matrix(np.triu(np.ones((4, 4)))))
    out = subprocess.run([nmfnet_cli, "cluster", "--similarity", str(workdir / "bad.npz"), "--rank", "2",
                          "--method", "symhals"], capture_output=True, text=True)
    assert out.returncode != 0 and "not symmetric" in out.stderr, out.stderr


def test_the_planted_graph_written_by_the_cli_is_what_scipy_reads(nmfnet_cli, workdir):
    import scipy.sparse as sp

    g, y = workdir / "planted.npz", workdir / "planted_y.npy"
    out = subprocess.run([nmfnet_cli, "data", "planted-graph", "--nodes", "2000", "--blocks", "4",
                          "--degree", "8", "--seed", "3", "--out", str(g), "--labels-out", str(y), "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout.strip().splitlines()[-1])
    A = sp.load_npz(g)
    labels = np.load(y)
    assert A.format == "csr" and A.shape == (2000, 2000) and A.nnz == s["nnz"]
    assert abs(A - A.T).max() == 0
    # X = (A + Aᵀ)/2 of 8 draws per node: the weights add up to the draws.
    assert A.sum() == pytest.approx(2000 * 8)
    assert labels.dtype == np.int64 and labels.shape == (2000,) and set(labels) == {0, 1, 2, 3}
    # Most weight lies inside the planted blocks (0.8 + 0.2/4 of it in expectation).
    C = A.tocoo()
    inside = C.data[labels[C.row] == labels[C.col]].sum() / C.data.sum()
    assert 0.82 < inside < 0.88, inside


def test_the_approximate_neighbour_search_matches_the_cli(nmfnet_cli, workdir, wine_features):
    z = workdir / "z.npy"
    np.save(z, wine_features)
    run(nmfnet_cli, "cluster", "--features", str(z), "--rank", "3", "--method", "symhals", "--seed", "4",
        "--restarts", "1", "--knn", "hnsw:16", "--out", str(workdir / "run"))
    est = SymNMF(3, method="symhals", neighbors="hnsw:16", n_restarts=1, random_state=4).fit(wine_features)
    np.testing.assert_array_equal(est.U_.astype(np.float32), np.load(workdir / "run" / "U.npy"))
    # On 178 points nearly every true neighbour is found: the graph has the exact one's size.
    exact = SymNMF(3, method="symhals", n_restarts=1, random_state=4).fit(wine_features)
    assert abs(est.affinity_matrix_.nnz - exact.affinity_matrix_.nnz) <= 0.05 * exact.affinity_matrix_.nnz
    with pytest.raises(ValueError, match="hnsw:EF"):
        SymNMF(3, neighbors="hnsw:0").fit(wine_features)
    with pytest.raises(ValueError, match="precomputed"):
        SymNMF(3, affinity="precomputed", neighbors="hnsw").fit(exact.affinity_matrix_)
