"""Small NMF problems to scikit-learn's own stop rule: nmfnet NMF(solver='hals') against
scikit-learn NMF(solver='cd'), both from NNDSVDa, tol = 1e-4, max_iter = 200 (issue 39's digits
and 2000 × 500 cases). Median of 5 fits each, alternating; iterations and relative error beside.
Usage: python small_nmf.py
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import NMF as SkNMF

from alternate import alternate, median
from nmfnet import NMF


def cases():
    X, _ = load_digits(return_X_y=True)
    yield "digits 1797 × 64, k = 10", X, 10
    rng = np.random.default_rng(0)
    Y = rng.random((2000, 20)) @ rng.random((20, 500)) + 0.1 * rng.random((2000, 500))
    yield "2000 × 500 rank 20 + noise, k = 20", Y, 20


def main():
    warnings.simplefilter("ignore")
    for label, X, k in cases():
        tools = {
            "nmfnet hals": lambda: NMF(k, init="nndsvda", solver="hals", tol=1e-4, max_iter=200),
            "scikit-learn cd": lambda: SkNMF(k, init="nndsvda", solver="cd", tol=1e-4, max_iter=200),
        }
        def fit(make, X=X):
            m = make()
            W = m.fit_transform(X)
            return m.n_iter_, np.linalg.norm(X - W @ m.components_) / np.linalg.norm(X)

        times, info = alternate({name: (lambda m=make: fit(m)) for name, make in tools.items()}, 5)
        base = median(times["scikit-learn cd"])
        print(label)
        for name in tools:
            med = median(times[name])
            print(f"  {name:16s} median {med * 1e3:8.1f} ms ({med / base:5.2f}×)  "
                  f"runs {' '.join(f'{t * 1e3:.1f}' for t in times[name])}  "
                  f"iterations {info[name][0]}  rel. error {info[name][1]:.6f}")


if __name__ == "__main__":
    main()
