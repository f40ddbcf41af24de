"""Scale: the fits of c·X are the fits of X, scaled. nmfnet's solvers take their guards,
penalties and starts in units of X's own scale (NMF: max X; SymNMF: ‖X‖₂; SymNMF-Net trains on
X/‖X‖₂), so SymNMF of c·A gives A's labels and NMF of c·X gives c·WH with the same relative
error, for c from 1e-6 to 1e6."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neighbors import kneighbors_graph

from nmfnet import NMF, SymNMF

SCALES = (1e-6, 1e-3, 1e3, 1e6)

# What survives the float32 hand-over: c·X is rounded to float32 on its own, so the fits of c·X
# and X start from inputs that differ by float32 rounding (6e-8 relative); measured agreement
# of the factors is far inside this.
RTOL = 1e-5


@pytest.fixture(scope="module")
def digits():
    """The first 300 of scikit-learn's digits (bundled, no download): pixels 0..16."""
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def digits_graph(digits):
    """The SymNMF-Net paper's graph of the digits: 10 nearest neighbours and each point itself,
    (C + Cᵀ)/2, normalised-cut scaling D^{-1/2} A D^{-1/2}; dense float64."""
    X, _ = digits
    C = kneighbors_graph(X, n_neighbors=11, include_self=True).toarray()
    A = (C + C.T) / 2
    d = 1 / np.sqrt(A.sum(axis=1))
    return d[:, None] * A * d[None, :]


@pytest.mark.parametrize(
    "method, kwargs",
    [
        ("symhals", {}),
        # A small epoch budget: the network trains on A/‖A‖₂ whatever c is.
        ("symnmf-net", {"max_iter": 40}),
    ],
)
def test_symnmf_labels_do_not_depend_on_the_graphs_scale(digits_graph, method, kwargs):
    A = digits_graph
    params = {"affinity": "precomputed", "method": method, "n_restarts": 1, "random_state": 0}
    ref = SymNMF(10, **params, **kwargs).fit(A)
    for c in SCALES:
        est = SymNMF(10, **params, **kwargs).fit(A * c)
        np.testing.assert_array_equal(est.labels_, ref.labels_, err_msg=f"c = {c:g}")
        # ‖cA − UUᵀ‖²/‖cA‖² is A's relative error; U is √c times A's.
        assert est.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=1e-4), c
        scaled = np.sqrt(c) * ref.U_
        np.testing.assert_allclose(est.U_, scaled, rtol=1e-3, atol=1e-4 * scaled.max())


# MU runs out of its 300 iterations; the warning says so, and the budget is the same for every c.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["mu", "hals"])
def test_nmf_of_scaled_data_is_the_scaled_factorisation(digits, solver):
    """solver='hals' is the counterpart of scikit-learn's 'cd'."""
    X, _ = digits
    params = {"solver": solver, "init": "random", "random_state": 0, "max_iter": 300}
    ref = NMF(8, **params).fit(X)
    WH = ref.transform(X) @ ref.components_
    rel = ref.reconstruction_err_ / np.linalg.norm(X)
    for c in SCALES:
        est = NMF(8, **params).fit(X * c)
        WH_c = est.transform(X * c) @ est.components_
        # c·X reaches the core as float32, rounded differently from X (about 6e-8): over 300
        # iterations that grows to at most 3e-4 of the largest entry of W·H (measured: MU,
        # c = 1e6), while the relative error agrees to 1e-5.
        np.testing.assert_allclose(
            WH_c, c * WH, rtol=0, atol=1e-3 * c * np.abs(WH).max(), err_msg=f"c = {c:g}"
        )
        assert est.reconstruction_err_ / np.linalg.norm(X * c) == pytest.approx(rel, rel=RTOL), c
