"""What users rely on: typed errors for bad input, pickling, seeds, input layouts, the GIL
released during fits, Ctrl-C."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

import nmfnet
from nmfnet import NMF, SymNMF


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def similarity(n=30, seed=0):
    rng = np.random.default_rng(seed)
    B = rng.random((n, 3))
    return B @ B.T


@pytest.mark.parametrize(
    "X, kwargs, phrase",
    [
        (np.array([[1.0, 0.5], [0.1, 1.0]] * 1).reshape(2, 2), {}, "not symmetric"),
        (np.array([[1.0, -0.5], [-0.5, 1.0]]), {}, "(?i)negative"),
        (np.ones((3, 4)), {}, "square"),
        (np.eye(3), {"n_components": 5}, "rank"),
    ],
)
def test_bad_precomputed_graphs_raise_value_errors_with_the_rust_message(X, kwargs, phrase):
    params = {"n_components": 1, "method": "symhals", "affinity": "precomputed"} | kwargs
    with pytest.raises(ValueError, match=phrase):
        SymNMF(**params).fit(X)


def test_bad_sparse_graph_and_non_finite_input():
    A = sp.csr_matrix(np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="not symmetric"):
        SymNMF(1, method="symhals", affinity="precomputed").fit(A)
    with pytest.raises(ValueError, match="NaN|infinity"):
        SymNMF(2).fit(np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match="(?i)negative"):
        NMF(2).fit(-np.ones((4, 3)))


def test_bad_parameters_raise(wine):
    X, _ = wine
    with pytest.raises(ValueError, match="affinity"):
        SymNMF(3, affinity="cosine").fit(X)
    with pytest.raises(ValueError, match="method"):
        SymNMF(3, method="kmeans").fit(X)
    with pytest.raises(ValueError, match="knn-self:K"):
        SymNMF(3, affinity="knn-self:0").fit(X)
    with pytest.raises(ValueError, match="backend"):
        SymNMF(3, backend="tpu").fit(X)
    with pytest.raises(ValueError, match="init"):
        NMF(2, init="nndsvdx").fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="init='custom'"):
        NMF(2).fit(np.ones((4, 3)), W=np.ones((4, 2)), H=np.ones((2, 3)))
    with pytest.raises(ValueError, match="wrong second dimension passed to NMF \\(input W\\)"):
        NMF(2, init="custom").fit(np.ones((4, 3)), W=np.ones((4, 3)), H=np.ones((2, 3)))


def test_same_seed_same_result_and_any_input_layout(wine):
    X, _ = wine
    a = SymNMF(3, method="symhals", random_state=7).fit(X)
    b = SymNMF(3, method="symhals", random_state=7).fit(np.asfortranarray(X.astype(np.float32)))
    ro = X.copy()
    ro.setflags(write=False)
    c = SymNMF(3, method="symhals", random_state=7).fit(ro)
    np.testing.assert_array_equal(a.U_, b.U_)
    np.testing.assert_array_equal(a.U_, c.U_)
    # One start each: with restarts, neighbouring seeds share starts.
    one = [SymNMF(3, method="symhals", n_restarts=1, random_state=s).fit(X).U_ for s in (7, 8)]
    assert not np.array_equal(one[0], one[1])


def test_precomputed_dense_and_sparse_agree():
    A = similarity(40)
    dense = SymNMF(3, method="symanls", affinity="precomputed", random_state=1).fit(A)
    sparse = SymNMF(3, method="symanls", affinity="precomputed", random_state=1).fit(sp.csr_matrix(A))
    np.testing.assert_allclose(dense.U_, sparse.U_, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(dense.labels_, sparse.labels_)


def test_fitted_estimators_pickle(wine):
    X, _ = wine
    for est in (SymNMF(3, random_state=0).fit(X), NMF(3, random_state=0).fit(np.abs(X))):
        back = pickle.loads(pickle.dumps(est))
        for name in ("U_", "labels_", "components_"):
            if hasattr(est, name):
                np.testing.assert_array_equal(getattr(est, name), getattr(back, name))
    m = NMF(3, random_state=0).fit(np.abs(X))
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(m)).transform(np.abs(X)), m.transform(np.abs(X))
    )


def test_wine_clusters_and_restarts_are_reported(wine):
    X, y = wine
    from sklearn.metrics import adjusted_rand_score

    est = SymNMF(3, method="symhals", n_restarts=4, random_state=0).fit(X)
    assert [r["seed"] for r in est.restarts_] == [0, 1, 2, 3]
    best = min(est.restarts_, key=lambda r: r["rel_error"])
    assert est.reconstruction_err_ == best["rel_error"]
    assert adjusted_rand_score(y, est.labels_) > 0.7
    assert sp.issparse(est.affinity_matrix_) and est.affinity_matrix_.shape == (178, 178)
    assert est.U_.shape == (178, 3) and est.U_.min() >= 0
    np.testing.assert_array_equal(est.labels_, est.U_.argmax(axis=1))


def test_the_gil_is_released_during_a_fit():
    rng = np.random.default_rng(0)
    X = rng.random((1500, 20))
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=tick)
    t.start()
    started = time.perf_counter()
    SymNMF(10, method="symanls", max_iter=200, tol=0.0, n_restarts=1, random_state=0).fit(X)
    elapsed = time.perf_counter() - started
    done.set()
    t.join()
    during = [s for s in ticks if started <= s <= started + elapsed]
    # A thread holding the GIL for the whole fit would leave the ticker at most one tick.
    assert elapsed > 0.2, f"the fit was too short ({elapsed:.3f} s) to tell"
    assert len(during) > 10, f"{len(during)} ticks in {elapsed:.2f} s"


def test_ctrl_c_stops_a_fit_cleanly():
    script = textwrap.dedent(
        """
        import signal, sys, time
        import numpy as np
        from nmfnet import SymNMF
        # Python's own Ctrl-C handler, whatever the parent left (a shell ignores SIGINT for
        # the commands it starts in the background, and Python then installs none).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        X = np.random.default_rng(0).random((3000, 30))
        print("fitting", flush=True)
        t = time.perf_counter()
        try:
            SymNMF(10, method="symanls", max_iter=100000, tol=0.0, n_restarts=1).fit(X)
        except KeyboardInterrupt:
            print(f"interrupted after {time.perf_counter() - t:.2f} s", flush=True)
            sys.exit(3)
        print("finished", flush=True)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "fitting"
    time.sleep(3.0)
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    stopped = time.perf_counter() - sent
    assert p.returncode == 3, out
    assert "interrupted" in out
    assert stopped < 10, f"the fit took {stopped:.1f} s to stop"


def test_backends_are_listed():
    assert "flex" in nmfnet.backends()


def test_a_real_data_set_loads_and_clusters():
    from pathlib import Path

    data = Path(os.environ.get("NMFNET_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    if not (data / "orl").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"no data folder at {data}")
        pytest.skip(f"no data folder at {data}")
    X, y = nmfnet.load_dataset("orl", data)
    assert X.shape == (400, 92 * 112) and X.dtype == np.float32
    assert np.unique(y).size == 40
    est = SymNMF(40, method="symhals", n_restarts=1, random_state=0).fit(X)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(y, est.labels_) > 0.4
    with pytest.raises(ValueError, match="sparse term counts"):
        nmfnet.load_dataset("tdt2", data)
    with pytest.raises(ValueError):
        nmfnet.load_dataset("no-such-set", data)


def test_nndsvd_starts_are_scikit_learns():
    """init='nndsvd'/'nndsvda' start where scikit-learn's initialisation does: the fit equals a
    custom start from sklearn.decomposition._nmf._initialize_nmf, and ignores random_state.
    scikit-learn takes the singular vectors from a randomized SVD, exact here (k + 10
    oversamples ≥ the 12 columns); nmfnet's are exact for any shape."""
    from sklearn.decomposition._nmf import _initialize_nmf

    rng = np.random.default_rng(5)
    X = rng.random((30, 12)) + np.outer(rng.random(30), rng.random(12))
    for init in ("nndsvd", "nndsvda"):
        a = NMF(3, init=init, max_iter=5, tol=0.0, random_state=1).fit(X)
        b = NMF(3, init=init, max_iter=5, tol=0.0, random_state=2).fit(X)
        np.testing.assert_array_equal(a.components_, b.components_)
        W0, H0 = _initialize_nmf(X, 3, init=init)
        c = NMF(3, init="custom", max_iter=5, tol=0.0).fit(X, W=W0, H=H0)
        # float32 round trips: 1e-7 measured.
        np.testing.assert_allclose(a.components_, c.components_, rtol=1e-5, atol=1e-6)
    r = NMF(3, init="random", max_iter=5, tol=0.0).fit(X)
    assert not np.allclose(r.components_, a.components_)


def test_a_custom_start_is_used():
    """init='custom' starts from W and H: random_state does not matter, and the fit improves
    on the start."""
    rng = np.random.default_rng(4)
    X = rng.random((40, 25))
    W0, H0 = rng.random((40, 3)), rng.random((3, 25))
    a = NMF(3, init="custom", max_iter=30, random_state=1).fit(X, W=W0, H=H0)
    b = NMF(3, init="custom", max_iter=30, random_state=2).fit(X, W=W0, H=H0)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert a.reconstruction_err_ < np.linalg.norm(X - W0 @ H0)
    c = NMF(3, init="custom", max_iter=30).fit(X, W=W0 * 2, H=H0)
    assert not np.array_equal(a.components_, c.components_)
