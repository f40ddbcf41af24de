"""nmfnet.select_rank: the rank of a planted matrix by cross-validation on held-out entries."""

import numpy as np
import pytest
import scipy.sparse as sp

from nmfnet import select_rank


def planted(seed, m=80, n=50, k=4, noise=0.02):
    rng = np.random.default_rng(seed)
    V = rng.random((m, k)) @ rng.random((k, n))
    return np.maximum(V + noise * V.std() * rng.standard_normal(V.shape), 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_planted_rank_is_chosen(seed, tmp_path):
    X = planted(seed)
    r = select_rank(X, [2, 3, 4, 6, 8], random_state=seed, out=tmp_path / "run")
    assert r["best_k"] == 4, r["test_error"]
    assert r["ks"] == [2, 3, 4, 6, 8]
    assert len(r["test_errors"]) == 5 and all(len(e) == 3 for e in r["test_errors"])
    # Underfitting shows on the held-out entries; the training error only falls with k.
    assert r["test_error"][0] > r["test_error"][1] > r["test_error"][2]
    assert all(a >= b - 1e-9 for a, b in zip(r["train_error"], r["train_error"][1:]))
    assert r["model"].components_.shape == (4, 50)
    for f in ("rank.svg", "rank.png", "summary.json", "H.npy", "W.npy"):
        assert (tmp_path / "run" / f).is_file(), f
    # The same seed, the same curve.
    again = select_rank(X, [2, 3, 4, 6, 8], random_state=seed)
    assert again["test_errors"] == r["test_errors"]


def test_missing_entries_and_sparse_input_take_part():
    X = planted(3)
    X[np.random.default_rng(3).random(X.shape) < 0.1] = np.nan
    r = select_rank(X, [2, 4, 6], random_state=0, n_replicates=2)
    assert r["best_k"] == 4, r["test_error"]
    S = planted(4)
    S[S < np.quantile(S, 0.3)] = 0.0
    dense = select_rank(S, [2, 4], random_state=0, n_replicates=2)
    sparse = select_rank(sp.csr_matrix(S), [2, 4], random_state=0, n_replicates=2)
    np.testing.assert_allclose(sparse["test_errors"], dense["test_errors"], rtol=1e-9)


def test_bad_selections_are_refused():
    X = planted(0)
    with pytest.raises(ValueError, match="test_fraction"):
        select_rank(X, [2, 3], test_fraction=0.9)
    with pytest.raises(ValueError, match="at least two ranks"):
        select_rank(X, [3])
    with pytest.raises(ValueError, match="replicates"):
        select_rank(X, [2, 3], n_replicates=0)
