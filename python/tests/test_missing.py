"""Missing entries: NaN in X (or a --mask file) are left out of the objective, not taken as
zeros. References: the plain-numpy masked HALS and MU of bench/python/masked_nmf.py, SciPy's
NNLS row by row, and the CLI."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls

from nmfnet import NMF

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "python"))
from masked_nmf import masked_anls, masked_hals, masked_mu, masked_rel_error  # noqa: E402


def with_holes(m=60, n=40, frac=0.2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((m, n))
    X[rng.random(X.shape) < frac] = np.nan
    return X, rng.random((m, 4)), rng.random((4, n))


def fit(X, W0, H0, **kw):
    est = NMF(4, init="custom", max_iter=50, tol=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = est.fit_transform(X, W=W0.copy(), H=H0.copy())
    return est, W


@pytest.mark.parametrize("penalty", [{}, {"alpha_W": 0.01, "alpha_H": 0.02, "l1_ratio": 0.5}])
def test_masked_fits_are_the_numpy_reference(penalty):
    X, W0, H0 = with_holes()
    m, n = X.shape
    # scikit-learn's scaling of the penalties: W's by n_features, H's by n_samples.
    aw, ah, r = penalty.get("alpha_W", 0.0), penalty.get("alpha_H", 0.0), penalty.get("l1_ratio", 0.0)
    pen_w, pen_h = (n * aw * r, n * aw * (1 - r)), (m * ah * r, m * ah * (1 - r))
    for solver in ("cd", "mu"):
        est, W = fit(X, W0, H0, solver=solver, **penalty)
        if solver == "cd":
            Wr, Hr = _masked_hals_two(X, W0, H0, 50, pen_w, pen_h)
        else:
            eps = 1e-16 * np.nanmax(X) ** 1.5
            Wr, Hr = _masked_mu_two(X, W0, H0, 50, eps, pen_w, pen_h)
        assert est.n_iter_ == 50
        assert np.abs(W - Wr).max() <= 1e-8 * np.abs(Wr).max(), solver
        assert np.abs(est.components_ - Hr).max() <= 1e-8 * np.abs(Hr).max(), solver
        assert est.summary_["missing"] == int(np.isnan(X).sum())
        if not penalty:
            assert est.summary_["rel_error"] == pytest.approx(masked_rel_error(X, W, est.components_), rel=1e-10)


def _masked_hals_two(X, W0, H0, n_iter, pen_w, pen_h):
    """masked_hals with its own penalty on each factor: the W half, then the H half as the W
    half of Xᵀ ≈ HᵀWᵀ."""
    W, H = W0.copy(), H0.copy()
    for _ in range(n_iter):
        W = _half_hals(X, W, H, *pen_w)
        H = _half_hals(X.T, H.T, W.T, *pen_h).T
    return W, H


def _half_hals(X, W, H, l1, l2):
    """The W half of masked_hals (H fixed)."""
    M = ~np.isnan(X)
    X0 = np.where(M, X, 0.0)
    W = W.copy()
    for l in range(W.shape[1]):
        R = M * (W @ H - X0)
        g = R @ H[l] + l1 + l2 * W[:, l]
        d = M @ (H[l] ** 2) + l2
        on = d > 0
        W[on, l] = np.maximum(0.0, W[on, l] - g[on] / d[on])
    return W


def _masked_mu_two(X, W0, H0, n_iter, eps, pen_w, pen_h):
    M = ~np.isnan(X)
    X0 = np.where(M, X, 0.0)
    W, H = W0.copy(), H0.copy()
    for _ in range(n_iter):
        W = W * (X0 @ H.T) / ((M * (W @ H)) @ H.T + pen_w[0] + pen_w[1] * W + eps)
        H = H * (W.T @ X0) / (W.T @ (M * (W @ H)) + pen_h[0] + pen_h[1] * H + eps)
    return W, H


def test_the_plain_reference_without_penalties():
    X, W0, H0 = with_holes(50, 30, seed=3)
    est, W = fit(X, W0, H0, solver="cd")
    Wr, Hr = masked_hals(X, W0, H0, 50)
    np.testing.assert_allclose(W, Wr, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(est.components_, Hr, rtol=1e-8, atol=1e-12)
    est, W = fit(X, W0, H0, solver="mu")
    Wr, Hr = masked_mu(X, W0, H0, 50, 1e-16 * np.nanmax(X) ** 1.5)
    np.testing.assert_allclose(W, Wr, rtol=1e-8, atol=1e-12)
    # ANLS: each row's (and column's) exact NNLS over its observed entries, as SciPy solves it.
    est = NMF(4, init="custom", solver="anls", max_iter=10, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = est.fit_transform(X, W=W0.copy(), H=H0.copy())
    Wr, Hr = masked_anls(X, W0, H0, 10)
    np.testing.assert_allclose(W, Wr, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(est.components_, Hr, rtol=1e-8, atol=1e-10)


def test_sparse_nan_entries_are_missing_and_implicit_zeros_observed():
    rng = np.random.default_rng(1)
    D = rng.random((50, 30))
    D[rng.random(D.shape) < 0.5] = 0.0
    D[(D > 0) & (rng.random(D.shape) < 0.2)] = np.nan
    S = sp.csr_matrix(D)  # NaN is stored: missing; the implicit zeros are observed zeros
    assert np.isnan(S.data).any()
    W0, H0 = rng.random((50, 4)), rng.random((4, 30))
    dense, Wd = fit(D, W0, H0, solver="cd")
    sparse, Ws = fit(S, W0, H0, solver="cd")
    np.testing.assert_allclose(Ws, Wd, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sparse.components_, dense.components_, rtol=1e-9, atol=1e-12)


def test_missing_entries_are_imputed_and_new_rows_solved():
    # An exact rank-4 matrix with 20 % of its entries hidden: the fit recovers them.
    rng = np.random.default_rng(2)
    full = rng.random((80, 4)) @ rng.random((4, 50))
    X = full.copy()
    hole = rng.random(X.shape) < 0.2
    X[hole] = np.nan
    est = NMF(4, solver="cd", init="nndsvda", max_iter=2000, tol=1e-8).fit(X)
    filled = est.inverse_transform(est.transform(X))
    err = np.linalg.norm((filled - full)[hole]) / np.linalg.norm(full[hole])
    assert err < 1e-2, err
    # transform of rows with holes: the NNLS solution over each row's observed entries.
    T = est.transform(X[:5])
    H = est.components_
    for i in range(5):
        obs = ~np.isnan(X[i])
        ref, _ = nnls(H[:, obs].T, X[i, obs])
        np.testing.assert_allclose(T[i], ref, rtol=1e-5, atol=1e-8)


def test_unobserved_rows_and_divergences_are_refused():
    X, _, _ = with_holes()
    X[3] = np.nan
    with pytest.raises(ValueError, match="row 3 of Y has no observed entry"):
        NMF(4).fit(X)
    X, _, _ = with_holes()
    with pytest.raises(ValueError, match="Frobenius"):
        NMF(4, solver="mu", beta_loss="kullback-leibler").fit(X)


def run(cli, *args):
    out = subprocess.run([cli, *args, "--quiet", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_cli_gives_pythons_masked_fit_from_nan_or_a_mask(nmfnet_cli, workdir):
    X, _, _ = with_holes(seed=4)
    np.save(workdir / "x.npy", X)
    np.save(workdir / "filled.npy", np.where(np.isnan(X), 7.0, X))
    np.save(workdir / "mask.npy", np.isnan(X).astype(np.uint8))
    common = ["--rank", "4", "--method", "hals", "--stop", "violation", "--seed", "3", "--max-iter", "80", "--tol", "1e-4"]
    a = run(nmfnet_cli, "nmf", "--matrix", str(workdir / "x.npy"), *common, "--out", str(workdir / "a"))
    b = run(nmfnet_cli, "nmf", "--matrix", str(workdir / "filled.npy"), "--mask", str(workdir / "mask.npy"),
            *common, "--out", str(workdir / "b"))
    assert a["missing"] == b["missing"] == int(np.isnan(X).sum())
    for f in ("H.npy", "W.npy"):
        np.testing.assert_array_equal(np.load(workdir / "a" / f), np.load(workdir / "b" / f))
    est = NMF(4, solver="hals", init="random", random_state=3, max_iter=80, tol=1e-4)
    W = est.fit_transform(X)
    np.testing.assert_array_equal(W.astype(np.float32), np.load(workdir / "a" / "H.npy"))
    np.testing.assert_array_equal(est.components_.astype(np.float32), np.load(workdir / "a" / "W.npy"))
    assert est.n_iter_ == a["iterations"]
    # An all-zero mask changes nothing: the plain path, bit for bit.
    np.save(workdir / "y.npy", np.nan_to_num(X))
    np.save(workdir / "none.npy", np.zeros(X.shape))
    c = run(nmfnet_cli, "nmf", "--matrix", str(workdir / "y.npy"), *common, "--out", str(workdir / "c"))
    d = run(nmfnet_cli, "nmf", "--matrix", str(workdir / "y.npy"), "--mask", str(workdir / "none.npy"),
            *common, "--out", str(workdir / "d"))
    assert "missing" not in c and "missing" not in d
    for f in ("H.npy", "W.npy"):
        np.testing.assert_array_equal(np.load(workdir / "c" / f), np.load(workdir / "d" / f))


def test_the_cli_reads_stored_nan_of_a_sparse_npz_as_missing(nmfnet_cli, workdir):
    rng = np.random.default_rng(6)
    D = rng.random((50, 30)).astype(np.float32).astype(np.float64)  # exact in the f32 reader
    D[rng.random(D.shape) < 0.5] = 0.0
    D[(D > 0) & (rng.random(D.shape) < 0.2)] = np.nan
    sp.save_npz(workdir / "s.npz", sp.csr_matrix(D))
    np.save(workdir / "d.npy", D)
    common = ["--rank", "4", "--method", "hals", "--stop", "violation", "--seed", "2", "--max-iter", "60", "--tol", "1e-4"]
    s = run(nmfnet_cli, "nmf", "--matrix", str(workdir / "s.npz"), *common, "--out", str(workdir / "s"))
    d = run(nmfnet_cli, "nmf", "--matrix", str(workdir / "d.npy"), *common, "--out", str(workdir / "d"))
    assert s["missing"] == d["missing"] == int(np.isnan(D).sum())
    assert s["iterations"] == d["iterations"]
    for f in ("H.npy", "W.npy"):
        np.testing.assert_allclose(np.load(workdir / "s" / f), np.load(workdir / "d" / f), rtol=1e-5, atol=1e-7)
