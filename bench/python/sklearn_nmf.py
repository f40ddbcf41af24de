"""scikit-learn's NMF (solver "cd" or "mu", Frobenius loss, no regularisation), or nmf-rs's
`hals`, `ehals` or `lee` (`--solver nmfrs-…`), from a given start, for `bench nmf`: the same
matrix and the same start as ours, a fixed iteration count.

Inputs (float32 .npy written by the Rust side; used here in float64, as ours):
  Y.npy  samples x features (images x pixels), H0.npy samples x k, W0.npy k x features
so that Y ~ H0 W0 in scikit-learn's naming (its W is our W transposed, its H our H transposed).

Prints one JSON line: iterations run, ms per iteration (whole fit / iterations), the relative
error ||Y - HW||_F / ||Y||_F at the end, and the versions.
"""

import argparse
import json
import time
import warnings

import numpy as np
import sklearn
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--y", required=True)
    ap.add_argument("--h0", required=True)
    ap.add_argument("--w0", required=True)
    ap.add_argument(
        "--solver", choices=["cd", "mu", "nmfrs-hals", "nmfrs-ehals", "nmfrs-lee"], required=True
    )
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    y = np.load(a.y).astype(np.float64)
    h0 = np.load(a.h0).astype(np.float64)
    w0 = np.load(a.w0).astype(np.float64)
    k = h0.shape[1]
    if a.solver.startswith("nmfrs-"):
        return nmf_rs_run(a, y, h0, w0, k)
    model = NMF(
        n_components=k,
        init="custom",
        solver=a.solver,
        beta_loss="frobenius",
        max_iter=a.iters,
        tol=0.0,
        alpha_W=0.0,
        alpha_H=0.0,
        random_state=0,
    )
    limits = threadpool_limits(a.threads) if threadpool_limits else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        h = model.fit_transform(y, W=h0.copy(), H=w0.copy())
        secs = time.perf_counter() - t
    if limits is not None:
        limits.unregister()
    rel = float(np.linalg.norm(y - h @ model.components_) / np.linalg.norm(y))
    print(
        json.dumps(
            {
                "iterations": int(model.n_iter_),
                "ms_per_iter": 1e3 * secs / max(model.n_iter_, 1),
                "rel_error": rel,
                "sklearn": sklearn.__version__,
                "numpy": np.__version__,
            }
        )
    )


def nmf_rs_run(a, y, h0, w0, k):
    """nmf-rs (PyPI `nmf-rs`) from the same start: its W is scikit-learn's W (samples × k),
    its H scikit-learn's H; its own stop test off (`stop='max_iter'`)."""
    import nmf_rs

    method = a.solver.removeprefix("nmfrs-")
    t = time.perf_counter()
    r = nmf_rs.nmf(y, k, method=method, W0=h0.copy(), H0=w0.copy(), max_iter=a.iters,
                   num_threads=a.threads, stop="max_iter")
    secs = time.perf_counter() - t
    w, h = np.asarray(r.W), np.asarray(r.H)
    iters = int(getattr(r, "n_iter", a.iters))
    rel = float(np.linalg.norm(y - w @ h) / np.linalg.norm(y))
    print(json.dumps({"iterations": iters, "ms_per_iter": 1e3 * secs / max(iters, 1),
                      "rel_error": rel, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
