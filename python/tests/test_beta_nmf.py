"""β-divergences and penalties of nmfnet.NMF against scikit-learn's NMF, the independent
reference: the same start, the same iterations, the same objective (to 1e-6 relative)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.decomposition import NMF as SklearnNMF
from sklearn.exceptions import ConvergenceWarning

from nmfnet import NMF

K = 10


@pytest.fixture(scope="module")
def digits():
    return load_digits().data


def start(shape, k=K, seed=0, scale=1.0):
    """A custom start in float32-representable values (the core takes float32), so that both
    libraries start from the same numbers."""
    rng = np.random.default_rng(seed)
    W = np.abs(rng.standard_normal((shape[0], k))) * scale
    H = np.abs(rng.standard_normal((k, shape[1]))) * scale
    return W.astype(np.float32).astype(np.float64), H.astype(np.float32).astype(np.float64)


def fit_both(X, W0, H0, **kw):
    kw = {"n_components": W0.shape[1], "init": "custom", **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = SklearnNMF(**kw)
        W_ref = ref.fit_transform(X, W=W0.copy(), H=H0.copy())
        est = NMF(**kw)
        W = est.fit_transform(X, W=W0.copy(), H=H0.copy())
    return ref, W_ref, est, W


def rel(a, b):
    return abs(a - b) / abs(b)


# The digits (max 16) for β ≥ 1; β < 1 on digits/16 (max 1), where nmfnet's guards, in units
# of max X, are scikit-learn's constants (on the raw digits scikit-learn's β = 0.5 fit is not
# that of digits/16 rescaled; nmfnet's is — see test_beta_fits_of_cx_are_those_of_x).
@pytest.mark.parametrize(
    "beta, shift, scale",
    [
        ("frobenius", 0.0, 1.0),
        ("kullback-leibler", 0.0, 1.0),
        ("itakura-saito", 1.0, 1.0),
        (1.5, 0.0, 1.0),
        (3.0, 0.0, 1.0),
        (0.5, 0.0, 1 / 16),
    ],
)
def test_mu_for_every_beta_is_scikit_learns(digits, beta, shift, scale):
    X = (digits + shift) * scale
    W0, H0 = start(X.shape, scale=np.sqrt(X.mean() / K))
    ref, W_ref, est, W = fit_both(X, W0, H0, solver="mu", beta_loss=beta, max_iter=200, tol=0.0)
    assert est.n_iter_ == ref.n_iter_ == 200
    assert rel(est.reconstruction_err_, ref.reconstruction_err_) < 1e-6
    assert np.abs(W - W_ref).max() <= 1e-4 * np.abs(W_ref).max()
    assert np.abs(est.components_ - ref.components_).max() <= 1e-4 * np.abs(ref.components_).max()


def test_mu_stops_where_scikit_learn_stops(digits):
    """The divergence rule (MU's 'auto'): the same iteration count at scikit-learn's tol."""
    W0, H0 = start(digits.shape, scale=np.sqrt(digits.mean() / K))
    for beta in ("frobenius", "kullback-leibler"):
        ref, _, est, _ = fit_both(digits, W0, H0, solver="mu", beta_loss=beta, max_iter=500, tol=1e-3)
        assert est.n_iter_ == ref.n_iter_ < 500
        assert est.summary_["stop_reason"] == "tolerance"
        assert rel(est.reconstruction_err_, ref.reconstruction_err_) < 1e-6


@pytest.mark.parametrize("alpha_W, alpha_H, l1_ratio", [(0.01, "same", 0.0), (0.02, 0.005, 0.5), (0.01, 0.0, 1.0)])
def test_penalised_fits_are_scikit_learns(digits, alpha_W, alpha_H, l1_ratio):
    """MU (KL and Frobenius) and coordinate descent ('cd', HALS under the violation rule)
    with scikit-learn's penalties and their scaling by n_features / n_samples."""
    X = digits / 16.0
    W0, H0 = start(X.shape, scale=np.sqrt(X.mean() / K))
    pen = {"alpha_W": alpha_W, "alpha_H": alpha_H, "l1_ratio": l1_ratio}
    for kw in (
        {"solver": "mu", "beta_loss": "kullback-leibler", "max_iter": 200, "tol": 0.0},
        {"solver": "mu", "beta_loss": "frobenius", "max_iter": 200, "tol": 0.0},
        {"solver": "cd", "max_iter": 200, "tol": 1e-4},
    ):
        ref, W_ref, est, W = fit_both(X, W0, H0, **kw, **pen)
        assert est.n_iter_ == ref.n_iter_, kw
        assert rel(est.reconstruction_err_, ref.reconstruction_err_) < 1e-6, kw
        assert np.abs(W - W_ref).max() <= 1e-4 * np.abs(W_ref).max(), kw


def test_an_l1_penalty_makes_factors_sparser(digits):
    X = digits / 16.0
    plain = NMF(K, solver="cd", init="nndsvda", max_iter=300).fit(X)
    lasso = NMF(K, solver="cd", init="nndsvda", max_iter=300, alpha_W=0.05, l1_ratio=1.0).fit(X)
    assert (lasso.components_ == 0).sum() > (plain.components_ == 0).sum()
    assert lasso.summary_["objective"] > lasso.summary_["divergence"] > 0


def test_sparse_counts_give_the_dense_kl_fit_and_scikit_learns():
    rng = np.random.default_rng(3)
    X = sp.random(300, 200, density=0.05, random_state=3, format="csr", data_rvs=lambda n: rng.poisson(3, n) + 1.0)
    W0, H0 = start(X.shape, k=5, scale=np.sqrt(X.mean() / 5))
    kw = dict(solver="mu", beta_loss="kullback-leibler", max_iter=100, tol=0.0, alpha_W=0.001)
    ref, W_ref, est, W = fit_both(X, W0, H0, **kw)
    _, _, dense, W_dense = fit_both(X.toarray(), W0, H0, **kw)
    assert rel(est.reconstruction_err_, ref.reconstruction_err_) < 1e-6
    assert rel(est.reconstruction_err_, dense.reconstruction_err_) < 1e-9
    assert np.abs(W - W_dense).max() <= 1e-9 * np.abs(W_dense).max()
    # β = 1.5 reads the whole of V = WH, one row at a time on a sparse X.
    kw["beta_loss"] = 1.5
    ref, _, est, _ = fit_both(X, W0, H0, **kw)
    assert rel(est.reconstruction_err_, ref.reconstruction_err_) < 1e-6


def test_transform_with_a_divergence_is_scikit_learns(digits):
    X = digits / 16.0
    W0, H0 = start(X.shape, scale=np.sqrt(X.mean() / K))
    kw = dict(solver="mu", beta_loss="kullback-leibler", max_iter=200, tol=1e-4)
    ref, _, est, _ = fit_both(X, W0, H0, **kw)
    new = X[:100]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        T_ref, T = ref.transform(new), est.transform(new)
    assert np.abs(T - T_ref).max() <= 1e-4 * np.abs(T_ref).max()


def test_beta_fits_of_cx_are_those_of_x(digits):
    """The guards are in units of max X: the fit of cX is c times the fit of X for every β."""
    W0, H0 = start(digits.shape, scale=np.sqrt(digits.mean() / K))
    for beta in (0.5, 1.0, 1.5):
        kw = dict(n_components=K, init="custom", solver="mu", beta_loss=beta, max_iter=100, tol=0.0)
        a = NMF(**kw)
        Wa = a.fit_transform(digits, W=W0, H=H0)
        c = 2.0**-10
        b = NMF(**kw)
        Wb = b.fit_transform(c * digits, W=np.sqrt(c) * W0, H=np.sqrt(c) * H0)
        np.testing.assert_allclose(Wb, np.sqrt(c) * Wa, rtol=1e-9, atol=1e-12)
        # d_β(cX, cWH) = c^β·d_β(X, WH).
        assert rel(b.reconstruction_err_, c ** (beta / 2) * a.reconstruction_err_) < 1e-9


def test_kl_coordinate_descent_reaches_mus_objective_in_a_tenth_of_the_iterations(digits):
    """solver='ccd' (Hsieh–Dhillon): scikit-learn MU's KL after 500 iterations in 50 sweeps
    (the times: bench/python/kl_solvers.py)."""
    from sklearn.decomposition._nmf import _initialize_nmf

    W0, H0 = _initialize_nmf(digits, K, init="nndsvda", random_state=0)
    kl = dict(init="custom", beta_loss="kullback-leibler", tol=0)
    ref = SklearnNMF(K, solver="mu", max_iter=500, **kl).fit(digits, W=W0.copy(), H=H0.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ccd = NMF(K, solver="ccd", max_iter=50, **kl).fit(digits, W=W0.copy(), H=H0.copy())
        sparse = NMF(K, solver="ccd", max_iter=50, **kl).fit(sp.csr_matrix(digits), W=W0.copy(), H=H0.copy())
    assert ccd.reconstruction_err_ <= ref.reconstruction_err_
    np.testing.assert_allclose(sparse.components_, ccd.components_, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="solver 'ccd' minimises the Kullback-Leibler"):
        NMF(K, solver="ccd").fit(digits)


def test_bad_objectives_are_refused_as_scikit_learn_refuses_them(digits):
    with pytest.raises(ValueError, match="solver 'cd' does not handle beta_loss"):
        NMF(K, solver="cd", beta_loss="kullback-leibler").fit(digits)
    with pytest.raises(ValueError, match="solver 'hals' does not handle beta_loss"):
        NMF(K, beta_loss=1.5).fit(digits)
    with pytest.raises(ValueError, match="beta_loss <= 0 and X contains zeros"):
        NMF(K, solver="mu", beta_loss="itakura-saito").fit(digits)
    with pytest.raises(ValueError, match="beta_loss <= 0 and X contains zeros"):
        NMF(K, solver="mu", beta_loss=-0.5).fit(sp.csr_matrix(digits))
    NMF(3, solver="mu", beta_loss=-0.5, max_iter=20).fit(sp.csr_matrix(digits[:50] + 1.0))
    with pytest.raises(ValueError, match="l1_ratio"):
        NMF(K, l1_ratio=1.5).fit(digits)
    with pytest.raises(ValueError, match="alpha_W"):
        NMF(K, alpha_W=-1.0).fit(digits)
    with pytest.raises(ValueError, match="stop='divergence' is MU's"):
        NMF(K, solver="hals", stop="divergence").fit(digits)
