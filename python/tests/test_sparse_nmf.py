"""NMF of a scipy.sparse X: the dense fit of the same matrix, without an m × n array."""

import resource

import numpy as np
import pytest
import scipy.sparse as sp

from nmfnet import NMF


def _sparse_x(m=120, n=90, density=0.08, seed=0):
    X = sp.random(m, n, density=density, random_state=seed, format="csr")
    X.data += 0.25
    return X


@pytest.mark.parametrize("solver", ["hals", "mu", "anls"])
def test_a_sparse_x_gives_the_dense_fit(solver):
    X = _sparse_x()
    # Both in float64 from the same random start (init=None would start a dense X from
    # NNDSVDa, which a sparse one does not take).
    kw = dict(n_components=5, solver=solver, init="random", random_state=0, max_iter=60)
    dense, sparse = NMF(**kw), NMF(**kw)
    W_d = dense.fit_transform(X.toarray())
    W_s = sparse.fit_transform(X)
    assert sparse.n_iter_ == dense.n_iter_
    np.testing.assert_allclose(sparse.components_, dense.components_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(W_s, W_d, rtol=1e-9, atol=1e-12)
    assert sparse.reconstruction_err_ == pytest.approx(dense.reconstruction_err_, rel=1e-9)
    # transform, of every sparse format, is the dense transform.
    for fmt in ("csr", "csc", "coo"):
        np.testing.assert_allclose(
            sparse.transform(X.asformat(fmt)), dense.transform(X.toarray()), rtol=1e-9, atol=1e-12
        )


def test_sparse_input_refuses_what_needs_a_dense_x():
    with pytest.raises(ValueError, match="random"):
        NMF(n_components=3, init="nndsvda").fit(_sparse_x())
    neg = _sparse_x()
    neg.data[0] = -1.0
    with pytest.raises(ValueError, match="Negative"):
        NMF(n_components=3).fit(neg)
    # A claimed shape is checked before its pointer arrays exist: one entry, 2^40 columns.
    wide = sp.csr_matrix(([1.0], ([0], [5])), shape=(1, 2**40))
    with pytest.raises(ValueError, match="memory"):
        NMF(n_components=1).fit(wide)
    # All zeros: W = H = 0, as scikit-learn and the dense input give.
    Z = sp.csr_matrix((50, 40))
    assert not NMF(n_components=2).fit_transform(Z).any()


def test_a_large_sparse_x_is_never_made_dense():
    # 2·10⁴ × 3·10⁴ with 2·10⁴ entries: 4.8 GB as a dense float64 array.
    m, n = 20_000, 30_000
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(
        (rng.uniform(0.5, 1.5, m), (np.arange(m), rng.integers(0, n, m))), shape=(m, n)
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    model = NMF(n_components=4, solver="hals", random_state=0, max_iter=10)
    W = model.fit_transform(X)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert W.shape == (m, 4) and model.components_.shape == (4, n)
    assert grown < 500_000, f"peak memory grew by {grown} kB"
    assert 0.0 < model.reconstruction_err_ <= np.sqrt((X.data**2).sum())
