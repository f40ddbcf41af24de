"""Sparse NMF: nmfnet on a scipy.sparse X against scikit-learn on the same X.

A 5000 × 2000 matrix with 1 % entries (uniform values, seed 0), k = 20, 50 iterations from a
random start with the tolerance at 0 (both run all 50), median of 3 fits each, the tools
alternating; the relative error after the fit beside each. With --large, issue 39's scaled-down
RcppML case instead: 5000 × 40000 with 1 % entries (2·10⁶ stored).
Usage: python sparse_nmf.py [--large]
"""

import argparse

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF as SkNMF

from alternate import alternate, median
from nmfnet import NMF


def rel_error(X, W, H):
    sq = (X.data @ X.data) - 2 * np.sum(np.asarray(X @ H.T) * W) + np.sum((W.T @ W) * (H @ H.T))
    return np.sqrt(max(sq, 0.0) / (X.data @ X.data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true")
    args = ap.parse_args()
    cols = 40000 if args.large else 2000
    X = sp.random(5000, cols, density=0.01, random_state=0, format="csr", dtype=np.float64)
    runs = {
        "nmfnet hals (sparse)": lambda: NMF(20, solver="hals", random_state=0, max_iter=50, tol=0),
        "nmfnet mu (sparse)": lambda: NMF(20, solver="mu", random_state=0, max_iter=50, tol=0),
        "scikit-learn cd (sparse)": lambda: SkNMF(20, init="random", solver="cd", random_state=0, max_iter=50, tol=0),
        "scikit-learn mu (sparse)": lambda: SkNMF(20, init="random", solver="mu", random_state=0, max_iter=50, tol=0),
    }
    warnings.simplefilter("ignore")

    def fit(make):
        model = make()
        return model.fit_transform(X), model.components_

    times, fits = alternate({name: (lambda m=make: fit(m)) for name, make in runs.items()}, 3)
    errors = {name: rel_error(X, *fits[name]) for name in runs}
    base = median(times["scikit-learn cd (sparse)"])
    for name in runs:
        med = median(times[name])
        print(f"{name:26s} median {med:7.3f} s  ({med / base:5.2f}× scikit-learn cd)  "
              f"runs {' '.join(f'{t:.3f}' for t in times[name])}  rel. error {errors[name]:.4f}")


if __name__ == "__main__":
    main()
