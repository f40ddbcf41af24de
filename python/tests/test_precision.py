"""The precision of the core's products follows X (scikit-learn's convention): a dense float32 X
of at least 65536 entries under the Frobenius loss is multiplied in float32, everything else in
float64, and the float32 fit is the float64 one to float32 rounding."""

import numpy as np
import pytest

from nmfnet import NMF


def _x(m=300, n=250, seed=0):
    rng = np.random.default_rng(seed)
    return rng.gamma(1.0, 1.0, (m, 6)) @ rng.gamma(1.0, 1.0, (6, n)) + rng.random((m, n))


@pytest.mark.parametrize("solver", ["cd", "mu", "anls"])
def test_a_large_float32_x_is_multiplied_in_float32_to_the_float64_fit(solver):
    X = _x()
    fits = {}
    for dtype in (np.float64, np.float32):
        model = NMF(6, solver=solver, init="nndsvda", max_iter=300, tol=0, random_state=0)
        W = model.fit_transform(X.astype(dtype))
        assert W.dtype == dtype and model.components_.dtype == dtype
        fits[dtype] = model
    assert fits[np.float64].summary_["precision"] == "f64"
    assert fits[np.float32].summary_["precision"] == "f32"
    a, b = fits[np.float64].reconstruction_err_, fits[np.float32].reconstruction_err_
    assert abs(a - b) <= 1e-4 * a, (a, b)
    # The summary's divergence is the fit's, from f64 products: ½·reconstruction_err_².
    d = fits[np.float32].summary_["divergence"]
    assert abs(d - 0.5 * b * b) <= 1e-5 * d, (d, b)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_small_missing_or_kl_inputs_stay_float64():
    X = _x().astype(np.float32)
    small = NMF(4, max_iter=50).fit(X[:50, :7])
    assert small.summary_["precision"] == "f64"
    holes = X.copy()
    holes[0, 0] = np.nan
    assert NMF(4, max_iter=50).fit(holes).summary_["precision"] == "f64"
    kl = NMF(4, solver="mu", beta_loss="kullback-leibler", max_iter=50).fit(X)
    assert kl.summary_["precision"] == "f64"
    assert NMF(4).fit(np.zeros_like(X)).summary_["precision"] == "f64"


def test_ehals_is_ahead_of_hals_at_equal_iterations():
    # The same start; ehals stopped by its rule (the divergence rule at tol 1e-3), HALS run as
    # many iterations.
    X = _x(400, 300, seed=1)
    fast = NMF(6, solver="ehals", init="nndsvda", tol=1e-3, max_iter=5000, random_state=0).fit(X)
    assert fast.summary_["method"] == "ehals" and fast.summary_["converged"]
    plain = NMF(6, solver="cd", init="nndsvda", tol=0, max_iter=fast.n_iter_, random_state=0)
    plain.fit(X)
    assert fast.reconstruction_err_ < plain.reconstruction_err_
    with pytest.raises(ValueError, match="ehals"):
        NMF(6, solver="ehals", alpha_W=0.1, max_iter=10).fit(X)


def test_fits_hold_numpy_blas_at_one_thread_and_give_it_back():
    # Inside a fit numpy's BLAS runs on one thread (its spinning threads would share the cores
    # with the core's); after it, the user's setting is as it was.
    from threadpoolctl import threadpool_info

    import nmfnet._nmf as module

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("threadpoolctl sees no BLAS library")
    seen = []
    core = module._core

    class Spy:
        def __getattr__(self, name):
            def call(*args, **kwargs):
                seen.append(blas_threads())
                return getattr(core, name)(*args, **kwargs)
            return call

    module._core = Spy()
    try:
        NMF(3, max_iter=20).fit(_x(40, 30))
    finally:
        module._core = core
    assert seen and all(t == [1] * len(t) for t in seen), seen
    assert blas_threads() == before
