"""float64 data beyond float32's range: the estimators hand the float32 core 2^e·X, e the power
of two that brings the largest |x| into [1, 2) when it lies outside [2^-100, 2^100] (exact; as
``nmfnet`` does with the files it reads, reporting e as ``input_exponent``), and scale the
results back. Without it 1e-50·X rounds to zeros (NMF reported reconstruction_err_ = 0, SymNMF
refused an "all-zero" graph) and 1e100·X to infinities (refused as "infinity").

Two kinds of checks:

* against the fit of the in-range matrix 2^e·(cX), which the core receives bit for bit in both
  fits: the wrapper's scaling and unscaling are then exact whatever the core does with units;
* against the fit of X itself (the core's scale equivariance: NMF of cX gives c·WH, SymNMF of cA
  gives √c·U, the same labels and relative errors). The core receives 2^e·(cX) = f·X, f·max X
  in [1, 2): these agree to float32 rounding where the core is equivariant for that f.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from nmfnet import NMF, SymNMF
from nmfnet._common import as_f32, f32_in_range

# Far beyond float32's range (which ends at ~1.2e-38 for normal numbers and ~3.4e38).
SCALES = (1e-50, 1e100)
RTOL = 1e-5


@pytest.fixture(scope="module")
def X():
    """A fixed nonnegative 30 × 20 float64 matrix of rank about 4, plus noise."""
    rng = np.random.default_rng(7)
    return rng.random((30, 4)) @ rng.random((4, 20)) + 0.05 * rng.random((30, 20))


def block_graph(n=24, r=3, seed=0):
    """A planted partition of n nodes into r blocks: dense symmetric blocks, weak noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % r
    same = labels[:, None] == labels[None, :]
    A = same * (0.5 + rng.random((n, n))) + 0.02 * rng.random((n, n))
    return (A + A.T) / 2


def exponent_of(M):
    return f32_in_range(M)[1]


def no_warnings():
    """Every warning an error: a fit of out-of-range data must not warn."""
    return warnings.catch_warnings(action="error")


# The helper.


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("top", [1.0, 2.0**-100, 2.0**100, 3.0e-20, 7.0e25, 0.0])
def test_in_range_data_are_as_f32_bit_for_bit(dtype, top):
    rng = np.random.default_rng(0)
    a = (rng.random((6, 5)) * top).astype(dtype)
    a.flat[0] = dtype(top)
    a32, k = f32_in_range(a)
    assert k == 0
    assert a32.dtype == np.float32
    np.testing.assert_array_equal(a32, as_f32(a))
    s32, k = f32_in_range(sp.csr_matrix(a))
    assert k == 0 and s32.dtype == np.float32
    np.testing.assert_array_equal(s32.toarray(), as_f32(a))


@pytest.mark.parametrize(
    "top, k",
    [
        (1e-50, 167),  # 1e-50 = 1.87…·2^-167
        (1e100, -332),  # 1e100 = 1.14…·2^332
        (2.0**-101, 101),
        (2.0**100 * (1 + 2.0**-52), -100),
        (5e-324, 1074),  # the smallest float64 (subnormal)
        (1.7e308, -1023),
    ],
)
def test_out_of_range_data_are_scaled_by_the_power_of_two_that_brings_the_largest_into_1_2(
    top, k
):
    rng = np.random.default_rng(1)
    a = rng.random((5, 4)) * top
    a[2, 3] = top
    before = a.copy()
    a32, got = f32_in_range(a)
    assert got == k
    np.testing.assert_array_equal(a, before)  # the input is left as it is
    assert 1.0 <= np.abs(a32).max() < 2.0
    # Exact: float32(2^k · a), the power of two applied in float64 first.
    np.testing.assert_array_equal(a32, np.ldexp(a, k).astype(np.float32))
    s = sp.csr_matrix(a)
    s32, got = f32_in_range(s)
    assert got == k and s32.dtype == np.float32
    np.testing.assert_array_equal(s32.toarray(), a32)
    np.testing.assert_array_equal(s.toarray(), before)


def test_negative_entries_count_by_their_magnitude():
    a = np.array([[-1e60, 3.0], [1.0, -2.0]])
    a32, k = f32_in_range(a)
    assert k == -199 and a32[0, 0] == -np.ldexp(1e60, -199).astype(np.float32)


def test_float32_subnormals_are_scaled_exactly():
    a = np.array([[1e-40, 3e-42], [0.0, 1e-45]], dtype=np.float32)  # all subnormal
    a32, k = f32_in_range(a)
    assert k == 133
    np.testing.assert_array_equal(a32, np.ldexp(a.astype(np.float64), k).astype(np.float32))
    np.testing.assert_array_equal(np.ldexp(a32.astype(np.float64), -k), a.astype(np.float64))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_the_helper_refuses_non_finite_values(bad):
    a = np.ones((3, 3)) * 1e100
    a[1, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        f32_in_range(a)


# NMF.


def nmf_params(solver):
    """A fit that ends by its stop rule (HALS, ANLS), or MU's whole budget (tol = 0, which asks
    for it: MU converges slowly), so that none warns."""
    budget = {"max_iter": 300, "tol": 0.0} if solver == "mu" else {"max_iter": 2000}
    return {"solver": solver, "init": "random", "random_state": 0, **budget}


@pytest.mark.parametrize("solver", ["hals", "mu", "anls"])
@pytest.mark.parametrize("c", SCALES + (2.0**-170, 2.0**330))
def test_nmf_of_out_of_range_data_is_the_fit_of_its_float32_image(X, solver, c):
    Xc = X * c
    e = exponent_of(Xc)
    assert e != 0
    params = nmf_params(solver)
    with no_warnings():
        est = NMF(4, **params)
        W = est.fit_transform(Xc)
        ref = NMF(4, **params)
        W_ref = ref.fit_transform(np.ldexp(Xc, e))  # in range: handed over as it is
    # The same float32 input to the core: the same run, then scaled back exactly.
    np.testing.assert_array_equal(est.components_, ref.components_)
    np.testing.assert_array_equal(np.ldexp(W, e), W_ref)
    assert est.n_iter_ == ref.n_iter_
    assert est.summary_["input_exponent"] == e
    assert "input_exponent" not in ref.summary_
    err = np.ldexp(ref.reconstruction_err_, -e)
    assert est.reconstruction_err_ == pytest.approx(err, rel=1e-12)
    # transform's exact solve in X's unit is the in-range image's, scaled back, for X itself
    # and for new rows.
    np.testing.assert_array_equal(np.ldexp(est.transform(Xc), e), ref.transform(np.ldexp(Xc, e)))
    new = Xc[:7]
    np.testing.assert_array_equal(np.ldexp(est.transform(new), e), ref.transform(np.ldexp(new, e)))


@pytest.mark.parametrize("solver", ["hals", "mu"])
@pytest.mark.parametrize("c", SCALES)
def test_nmf_of_c_times_x_is_c_times_the_fit_of_x(X, solver, c):
    params = nmf_params(solver)
    with no_warnings():
        ref = NMF(4, **params)
        W_ref = ref.fit_transform(X)
        est = NMF(4, **params)
        W = est.fit_transform(X * c)
    WH = W_ref @ ref.components_
    WH_c = W @ est.components_
    assert W.dtype == np.float64 and est.components_.dtype == np.float64
    assert np.isfinite(WH_c).all() and WH_c.max() > 0
    np.testing.assert_allclose(WH_c, c * WH, rtol=RTOL, atol=RTOL * c * WH.max())
    rel = ref.reconstruction_err_ / np.linalg.norm(X)
    assert est.reconstruction_err_ > 0
    assert est.reconstruction_err_ / np.linalg.norm(X * c) == pytest.approx(rel, rel=RTOL)
    # The error is ‖cX − W·H‖_F of what is returned.
    assert est.reconstruction_err_ == pytest.approx(
        c * np.linalg.norm(X - (W / c) @ est.components_), rel=1e-9
    )


def test_nmf_fitted_in_range_transforms_out_of_range_rows(X):
    est = NMF(4, init="random", random_state=0, max_iter=2000).fit(X)
    W = est.transform(X)
    for c in SCALES:
        Wc = est.transform(X * c)
        np.testing.assert_allclose(Wc, c * W, rtol=RTOL, atol=RTOL * c * W.max())
        np.testing.assert_allclose(
            est.inverse_transform(Wc), c * (W @ est.components_), rtol=RTOL, atol=RTOL * c * X.max()
        )


@pytest.mark.parametrize("c", SCALES)
def test_nmf_custom_start_of_out_of_range_data_is_the_scaled_start(X, c):
    """A start (W₀, H₀) of X gives the start (c·W₀, H₀) of cX (the unit on W) or (W₀, c·H₀)
    (on H): both are the fit of X from (W₀, H₀), scaled."""
    rng = np.random.default_rng(3)
    W0, H0 = rng.random((30, 4)), rng.random((4, 20))
    params = {"init": "custom", "solver": "hals", "max_iter": 2000}
    ref = NMF(4, **params)
    W_ref = ref.fit_transform(X, W=W0, H=H0)
    with no_warnings():
        on_w = NMF(4, **params)
        W_w = on_w.fit_transform(X * c, W=W0 * c, H=H0)
        on_h = NMF(4, **params)
        W_h = on_h.fit_transform(X * c, W=W0, H=H0 * c)
    WH = W_ref @ ref.components_
    for est, W in ((on_w, W_w), (on_h, W_h)):
        np.testing.assert_allclose(W @ est.components_, c * WH, rtol=RTOL, atol=RTOL * c * WH.max())
        assert est.reconstruction_err_ / np.linalg.norm(X * c) == pytest.approx(
            ref.reconstruction_err_ / np.linalg.norm(X), rel=RTOL
        )
    # The unit on W: components_ are the start's H's unit, W carries c.
    H = ref.components_
    np.testing.assert_allclose(on_w.components_, H, rtol=RTOL, atol=RTOL * H.max())
    # The unit on H (beyond float32's range itself): components_ in that unit, W in X's / H's.
    np.testing.assert_allclose(on_h.components_, c * H, rtol=RTOL, atol=RTOL * c * H.max())
    np.testing.assert_allclose(W_h, W_ref, rtol=RTOL, atol=RTOL * W_ref.max())


def test_nmf_of_tiny_float32_data(X):
    """float32 X whose largest entry lies below 2^-100 is scaled too (exactly, in float32)."""
    Xs = (X * 2.0**-110).astype(np.float32)
    e = exponent_of(Xs)
    assert e != 0
    est = NMF(4, init="random", random_state=0, max_iter=2000)
    W = est.fit_transform(Xs)
    ref = NMF(4, init="random", random_state=0, max_iter=2000)
    W_ref = ref.fit_transform(np.ldexp(Xs, e))
    assert W.dtype == np.float32 and est.components_.dtype == np.float32
    np.testing.assert_array_equal(est.components_, ref.components_)
    W_back = np.ldexp(W.astype(np.float64), e)
    np.testing.assert_allclose(W_back, W_ref, rtol=1e-6, atol=1e-6 * W_ref.max())
    assert est.reconstruction_err_ / np.linalg.norm(Xs.astype(np.float64)) == pytest.approx(
        ref.reconstruction_err_ / np.linalg.norm(np.ldexp(Xs, e).astype(np.float64)), rel=1e-5
    )


def test_nmf_still_refuses_a_real_infinity_and_takes_nan_as_missing(X):
    Xc = X * 1e100
    Xc[3, 4] = np.inf
    with pytest.raises(ValueError, match="(?i)infinity"):
        NMF(4).fit(Xc)
    est = NMF(4, init="random", random_state=0, max_iter=2000).fit(X)
    with pytest.raises(ValueError, match="(?i)infinity"):
        est.transform(Xc)
    # NaN is a missing entry (tests/test_missing.py), in any unit: the fit of 2^e·X scaled back.
    Xc[3, 4] = np.nan
    big = NMF(4, init="random", random_state=0, max_iter=50, tol=0).fit(Xc)
    small = NMF(4, init="random", random_state=0, max_iter=50, tol=0).fit(Xc * 1e-100)
    assert big.summary_["missing"] == small.summary_["missing"] == 1
    assert big.summary_["rel_error"] == pytest.approx(small.summary_["rel_error"], rel=1e-9)
    assert big.n_iter_ == small.n_iter_ == 50


# SymNMF.

SYM_METHODS = [
    ("symhals", {}),
    ("symanls", {}),
    # A small epoch budget (tol = 0: the whole budget, without a warning).
    ("symnmf-net", {"max_iter": 40, "tol": 0.0}),
]


def sym(method, kwargs, **more):
    return SymNMF(3, method=method, n_restarts=1, random_state=0, **kwargs, **more)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("method, kwargs", SYM_METHODS, ids=[m for m, _ in SYM_METHODS])
@pytest.mark.parametrize("c", SCALES + (2.0**-171,))
def test_symnmf_precomputed_out_of_range_is_the_fit_of_its_float32_image(method, kwargs, sparse, c):
    A = block_graph()
    Ac = A * c
    e = exponent_of(Ac)
    assert e != 0
    wrap = sp.csr_matrix if sparse else np.asarray
    with no_warnings():
        est = sym(method, kwargs, affinity="precomputed").fit(wrap(Ac))
        ref = sym(method, kwargs, affinity="precomputed").fit(wrap(np.ldexp(Ac, e)))
    np.testing.assert_array_equal(est.labels_, ref.labels_)
    assert est.reconstruction_err_ == ref.reconstruction_err_
    assert est.n_iter_ == ref.n_iter_
    assert est.summary_["input_exponent"] == e
    assert est.U_.dtype == np.float64
    # U of A is 2^(−e/2)·U of 2^e·A: exact for even e, one rounding by 1/√2 for odd e.
    np.testing.assert_allclose(est.U_, ref.U_ * 2.0 ** (-e / 2), rtol=4e-16, atol=0)
    if e % 2 == 0:
        np.testing.assert_array_equal(est.U_, np.ldexp(ref.U_, -e // 2))
    # The affinity reported is the user's matrix, in its own unit.
    got = est.affinity_matrix_
    if sparse:
        assert sp.issparse(got) and got.dtype == np.float64
        got = got.toarray()
    np.testing.assert_array_equal(got, Ac)


def same_partition(a, b):
    """The same clusters, whatever their numbers."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("method, kwargs", SYM_METHODS, ids=[m for m, _ in SYM_METHODS])
@pytest.mark.parametrize("c", SCALES)
def test_symnmf_precomputed_clusters_of_c_times_a_are_the_clusters_of_a(method, kwargs, sparse, c):
    A = block_graph()
    wrap = sp.csr_matrix if sparse else np.asarray
    ref = sym(method, kwargs, affinity="precomputed").fit(wrap(A))
    with no_warnings():
        est = sym(method, kwargs, affinity="precomputed").fit(wrap(A * c))
    assert np.isfinite(est.U_).all() and est.U_.max() > 0
    assert same_partition(est.labels_, ref.labels_)
    assert same_partition(ref.labels_, np.arange(A.shape[0]) % 3)  # the planted blocks
    assert est.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=0.1)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("method, kwargs", SYM_METHODS, ids=[m for m, _ in SYM_METHODS])
@pytest.mark.parametrize("c", SCALES)
def test_symnmf_precomputed_fit_of_c_times_a_is_the_fit_of_a_scaled(method, kwargs, sparse, c):
    """The same labels, √c·U and the same relative error: the core's solvers take their
    settings in the unit of A (reported as ``x_scale``), and the fit of cA is the fit of the
    in-range 2^e·cA = f·A (f = 2^e·c, about 0.94 for c = 1e-50 and 1.14 for 1e100 here)."""
    A = block_graph()
    wrap = sp.csr_matrix if sparse else np.asarray
    ref = sym(method, kwargs, affinity="precomputed").fit(wrap(A))
    assert "x_scale" in ref.summary_
    with no_warnings():
        est = sym(method, kwargs, affinity="precomputed").fit(wrap(A * c))
    np.testing.assert_array_equal(est.labels_, ref.labels_)
    assert est.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=1e-4)
    scaled = np.sqrt(c) * ref.U_
    np.testing.assert_allclose(est.U_, scaled, rtol=1e-3, atol=1e-4 * scaled.max())


@pytest.mark.parametrize("affinity", ["knn", "knn-self"])
@pytest.mark.parametrize("c", SCALES)
def test_symnmf_knn_of_out_of_range_features_is_the_graph_of_their_float32_image(affinity, c):
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 6.0, -1.0]])
    F = np.repeat(centres, 12, axis=0) + rng.normal(size=(36, 3))
    Fc = F * c
    e = exponent_of(Fc)
    assert e != 0
    with no_warnings():
        est = sym("symhals", {}, affinity=affinity).fit(Fc)
        ref = sym("symhals", {}, affinity=affinity).fit(np.ldexp(Fc, e))
    # The graph does not depend on the features' unit: nothing is scaled back.
    np.testing.assert_array_equal(est.affinity_matrix_.toarray(), ref.affinity_matrix_.toarray())
    np.testing.assert_array_equal(est.labels_, ref.labels_)
    np.testing.assert_array_equal(est.U_, ref.U_)
    assert est.summary_["input_exponent"] == e
    # And it is the graph of F itself, to float32 rounding.
    plain = sym("symhals", {}, affinity=affinity).fit(F)
    np.testing.assert_array_equal(est.labels_, plain.labels_)
    np.testing.assert_allclose(
        est.affinity_matrix_.toarray(), plain.affinity_matrix_.toarray(), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("bad", [np.inf, np.nan])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_symnmf_still_refuses_a_real_infinity_or_nan(bad, sparse):
    A = block_graph() * 1e100
    A[2, 5] = A[5, 2] = bad
    wrap = sp.csr_matrix if sparse else np.asarray
    with pytest.raises(ValueError, match="(?i)infinity|nan"):
        SymNMF(3, method="symhals", affinity="precomputed").fit(wrap(A))
    F = np.ones((10, 3)) * 1e-50
    F[4, 1] = bad
    with pytest.raises(ValueError, match="(?i)infinity|nan"):
        SymNMF(3, method="symhals").fit(F)


def test_symnmf_does_not_modify_a_given_sparse_affinity():
    A = sp.csr_matrix(block_graph() * 1e-50)
    before = A.copy()
    SymNMF(3, method="symhals", affinity="precomputed", n_restarts=1, random_state=0).fit(A)
    assert (A != before).nnz == 0 and A.dtype == np.float64
