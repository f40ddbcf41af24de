"""scikit-learn's conventions where its own estimator checks do not look: feature names out,
ConvergenceWarning, all-zero input, n_components='auto' and n_components > min(X.shape), the
dtype of a custom start, small graphs. The expected behaviour is scikit-learn 1.9's
(sklearn/decomposition/_nmf.py, sklearn/utils/validation.py)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import NMF as SklearnNMF
from sklearn.exceptions import ConvergenceWarning

from nmfnet import NMF, SymNMF


def nonnegative(shape, seed=0):
    return np.random.default_rng(seed).random(shape)


def blocks(n=30, r=3, seed=0):
    """A planted partition: r dense diagonal blocks and weak noise, symmetric and ≥ 0."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % r
    A = 0.05 * rng.random((n, n)) + (labels[:, None] == labels[None, :])
    return (A + A.T) / 2


# 1. Feature names out (ClassNamePrefixFeaturesOutMixin needs _n_features_out).


def test_nmf_feature_names_out_are_the_class_name_and_component_index():
    X = nonnegative((20, 6))
    est = NMF(3, random_state=0).fit(X)
    names = est.get_feature_names_out()
    np.testing.assert_array_equal(names, ["nmf0", "nmf1", "nmf2"])
    # scikit-learn's NMF names its outputs the same way.
    ref = SklearnNMF(3, init="random", random_state=0, max_iter=1000).fit(X)
    np.testing.assert_array_equal(names, ref.get_feature_names_out())


def test_nmf_feature_names_out_before_fit_is_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NMF(3).get_feature_names_out()


def test_nmf_set_output_pandas_gives_named_columns():
    pd = pytest.importorskip("pandas")
    X = nonnegative((20, 6))
    est = NMF(3, random_state=0).set_output(transform="pandas")
    W = est.fit_transform(X)
    assert isinstance(W, pd.DataFrame)
    assert list(W.columns) == ["nmf0", "nmf1", "nmf2"]
    assert list(est.transform(X).columns) == ["nmf0", "nmf1", "nmf2"]


# 2. ConvergenceWarning when max_iter stops a fit (scikit-learn: "Maximum number of
# iterations %d reached. Increase it to improve convergence.", not with tol = 0).


@pytest.mark.parametrize("solver", ["hals", "mu", "anls"])
def test_nmf_warns_when_max_iter_stops_the_fit(solver):
    X = nonnegative((30, 12))
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 2 reached"):
        NMF(4, solver=solver, max_iter=2, random_state=0).fit(X)


def test_nmf_does_not_warn_when_it_converges_or_tol_is_zero():
    X = nonnegative((30, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = NMF(4, max_iter=5000, random_state=0).fit(X)
        assert est.n_iter_ < 5000
        # tol = 0 asks for every iteration: reaching max_iter is the request, not a failure.
        NMF(4, max_iter=2, tol=0.0, random_state=0).fit(X)


@pytest.mark.parametrize("method", ["symhals", "symanls", "pgd"])
def test_symnmf_classical_warns_when_max_iter_stops_the_fit(method):
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 2 reached"):
        SymNMF(3, method=method, affinity="precomputed", max_iter=2, random_state=0).fit(blocks())


def test_symnmf_net_warns_when_the_epoch_budget_stops_the_fit():
    with pytest.warns(ConvergenceWarning, match="Maximum number of epochs 3 reached"):
        SymNMF(3, affinity="precomputed", max_iter=3, n_restarts=1, random_state=0).fit(blocks())


def test_symnmf_does_not_warn_when_it_converges():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SymNMF(3, method="symhals", affinity="precomputed", random_state=0).fit(blocks())
        assert est.summary_["converged"]


# 3. All-zero input.


@pytest.mark.parametrize("method", ["symhals", "symanls", "symnmf-net"])
@pytest.mark.parametrize("layout", ["dense", "sparse-empty", "sparse-explicit-zeros"])
def test_symnmf_all_zero_affinity_is_a_value_error_naming_it(method, layout):
    A = {
        "dense": np.zeros((6, 6)),
        "sparse-empty": sp.csr_matrix((6, 6)),
        "sparse-explicit-zeros": sp.csr_matrix(
            (np.zeros(6), (np.arange(6), np.arange(6))), shape=(6, 6)
        ),
    }[layout]
    with pytest.raises(ValueError, match="affinity is all zeros"):
        SymNMF(2, method=method, affinity="precomputed", max_iter=5, random_state=0).fit(A)


@pytest.mark.parametrize("solver", ["hals", "mu", "anls"])
def test_nmf_of_an_all_zero_matrix_is_zero_like_scikit_learn(solver):
    """scikit-learn fits an all-zero X with W = 0 and H = 0 (the exact fit), error 0."""
    X = np.zeros((5, 4))
    ref = SklearnNMF(2, init="random", random_state=0)
    W_ref = ref.fit_transform(X)
    est = NMF(2, solver=solver, random_state=0)
    W = est.fit_transform(X)
    np.testing.assert_array_equal(W, W_ref)
    np.testing.assert_array_equal(est.components_, ref.components_)
    assert est.reconstruction_err_ == ref.reconstruction_err_ == 0.0
    assert est.components_.shape == (2, 4) and est.components_.dtype == X.dtype
    np.testing.assert_array_equal(est.transform(nonnegative((3, 4))), np.zeros((3, 2)))


# 4. n_components='auto' (and None) means n_features without a custom start, H.shape[0] with
# one — whatever the shape of X.


@pytest.mark.parametrize("n_components", ["auto", None])
def test_nmf_auto_components_is_n_features_when_there_are_fewer_samples(n_components):
    X = nonnegative((5, 8))
    ref = SklearnNMF(n_components, random_state=0, max_iter=50, tol=0.0).fit(X)
    est = NMF(n_components, random_state=0, max_iter=50, tol=0.0).fit(X)
    assert est.n_components_ == ref.n_components_ == 8
    assert est.components_.shape == ref.components_.shape == (8, 8)


def test_nmf_auto_components_follow_a_custom_start():
    X = nonnegative((5, 8))
    W0, H0 = nonnegative((5, 3), 1), nonnegative((3, 8), 2)
    est = NMF("auto", init="custom", max_iter=20, tol=0.0).fit(X, W=W0, H=H0)
    assert est.n_components_ == 3 and est.components_.shape == (3, 8)


# 5. n_components > min(X.shape): scikit-learn allows it for random starts (init=None picks
# 'random' then) and refuses it for the NNDSVD starts.


@pytest.mark.parametrize("init", [None, "random"])
@pytest.mark.parametrize("solver", ["hals", "mu", "anls"])
def test_nmf_more_components_than_min_shape_with_a_random_start(init, solver):
    X = nonnegative((10, 6))
    est = NMF(8, init=init, solver=solver, random_state=0, max_iter=100, tol=0.0).fit(X)
    assert est.components_.shape == (8, 6) and est.components_.min() >= 0
    # Eight components can always fit six columns at least as well as the zero factorisation.
    assert est.reconstruction_err_ < np.linalg.norm(X)


def test_nmf_more_components_than_min_shape_with_a_custom_start():
    X = nonnegative((10, 6))
    W0, H0 = nonnegative((10, 8), 1), nonnegative((8, 6), 2)
    est = NMF(8, init="custom", max_iter=50, tol=0.0).fit(X, W=W0, H=H0)
    assert est.components_.shape == (8, 6)


@pytest.mark.parametrize("init", ["nndsvd", "nndsvda"])
def test_nmf_nndsvd_refuses_more_components_than_min_shape_like_scikit_learn(init):
    X = nonnegative((10, 6))
    with pytest.raises(ValueError, match=r"n_components <= min\(n_samples, n_features\)"):
        SklearnNMF(8, init=init).fit(X)
    rule = rf"init = '{init}' can only be used when n_components <= min\(n_samples, n_features\)"
    with pytest.raises(ValueError, match=rule):
        NMF(8, init=init).fit(X)


# 6. A custom start of another dtype than X is a TypeError (scikit-learn's _check_w_h).


@pytest.mark.parametrize(
    "x_dtype, w_dtype, h_dtype",
    [
        (np.float64, np.float32, np.float32),
        (np.float64, np.float64, np.float32),
        (np.float32, np.float64, np.float32),
        (np.float32, np.float64, np.float64),
    ],
)
def test_nmf_custom_start_of_another_dtype_is_a_type_error(x_dtype, w_dtype, h_dtype):
    X = nonnegative((6, 5)).astype(x_dtype)
    W0, H0 = nonnegative((6, 2), 1).astype(w_dtype), nonnegative((2, 5), 2).astype(h_dtype)
    with pytest.raises(TypeError, match="same dtype as X"):
        SklearnNMF(2, init="custom").fit(X, W=W0, H=H0)
    with pytest.raises(TypeError, match="same dtype as X"):
        NMF(2, init="custom").fit(X, W=W0, H=H0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nmf_custom_start_of_the_same_dtype_is_used(dtype):
    X = nonnegative((6, 5)).astype(dtype)
    W0, H0 = nonnegative((6, 2), 1).astype(dtype), nonnegative((2, 5), 2).astype(dtype)
    est = NMF(2, init="custom", max_iter=20, tol=0.0).fit(X, W=W0, H=H0)
    assert est.components_.dtype == dtype


# 8. 'knn-self' (10 neighbours by default) on fewer than 11 samples: k becomes n − 1.


@pytest.mark.parametrize("n", [2, 3, 6, 10])
def test_symnmf_knn_self_default_works_on_small_sets(n):
    X = nonnegative((n, 4))
    r = 2 if n > 2 else 1
    est = SymNMF(r, method="symhals", affinity="knn-self", random_state=0).fit(X)
    assert est.labels_.shape == (n,)
    # The graph is the one of n − 1 neighbours (every other point).
    k = SymNMF(r, method="symhals", affinity=f"knn-self:{n - 1}", random_state=0).fit(X)
    np.testing.assert_array_equal(est.affinity_matrix_.toarray(), k.affinity_matrix_.toarray())


def test_symnmf_knn_self_default_is_ten_neighbours_from_eleven_samples():
    X = nonnegative((25, 4))
    a = SymNMF(2, method="symhals", affinity="knn-self", random_state=0).fit(X)
    b = SymNMF(2, method="symhals", affinity="knn-self:10", random_state=0).fit(X)
    np.testing.assert_array_equal(a.affinity_matrix_.toarray(), b.affinity_matrix_.toarray())


def test_symnmf_knn_self_with_too_many_given_neighbours_is_a_value_error():
    with pytest.raises(ValueError, match="k < n"):
        SymNMF(2, method="symhals", affinity="knn-self:6").fit(nonnegative((6, 4)))


# 7. verbose and shuffle (scikit-learn's NMF parameters of the same names).


def test_nmf_verbose_prints_scikit_learns_lines_while_it_runs(capsys):
    X = nonnegative((40, 12))
    NMF(3, solver="cd", random_state=0, tol=1e-3, max_iter=500).fit(X)
    assert capsys.readouterr().out == ""
    NMF(3, solver="cd", random_state=0, tol=1e-3, max_iter=500, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    violations = [float(l.split()[1]) for l in lines if l.startswith("violation: ")]
    assert len(violations) >= 2 and violations[-1] <= 1e-3 < violations[0]
    assert any(l.startswith("Converged at iteration ") for l in lines)
    NMF(3, solver="mu", random_state=0, tol=0, max_iter=25, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Epoch 25 reached after") and lines[0].endswith("seconds.")
    NMF(3, solver="mu", random_state=0, tol=1e-9, max_iter=25, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    epochs = [l for l in lines if l.startswith("Epoch ")]
    assert [l.split()[1] for l in epochs] == ["10", "20", "25"]
    assert "error: " in epochs[0]
    NMF(3, solver="anls", random_state=0, max_iter=3, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert sum(l.startswith("Iteration ") for l in lines) == 4


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_nmf_shuffle_is_seeded_reaches_the_same_fit_and_is_ignored_by_mu():
    X = nonnegative((60, 20), seed=3) @ nonnegative((20, 30), seed=4)
    kw = dict(n_components=4, solver="cd", tol=1e-6, max_iter=1000)
    a = NMF(random_state=0, shuffle=True, **kw).fit(X)
    b = NMF(random_state=0, shuffle=True, **kw).fit(X)
    plain = NMF(random_state=0, **kw).fit(X)
    other = NMF(random_state=1, shuffle=True, **kw).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert not np.array_equal(a.components_, plain.components_)
    assert a.reconstruction_err_ == pytest.approx(plain.reconstruction_err_, rel=0.05)
    assert a.reconstruction_err_ == pytest.approx(other.reconstruction_err_, rel=0.05)
    ref = SklearnNMF(init="nndsvda", shuffle=True, random_state=0, **kw).fit(X)
    assert a.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=0.05)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    # scikit-learn's MU ignores shuffle; so does nmfnet's.
    mu = dict(n_components=4, solver="mu", random_state=0, max_iter=50)
    np.testing.assert_array_equal(
        NMF(shuffle=True, **mu).fit(X).components_, NMF(**mu).fit(X).components_
    )
