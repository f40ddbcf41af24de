"""A kNN affinity handed to SymNMF as a dense array against the same graph as scipy.sparse.

The digits data (1797 samples), a symmetric 10-nearest-neighbour connectivity graph (what users
build with scikit-learn's kneighbors_graph), SymHALS at rank 10 from seed 0, 100 iterations;
median of 5 fits of each, alternating. Usage: python dense_mostly_zero.py
"""


import numpy as np
from sklearn.datasets import load_digits
from sklearn.neighbors import kneighbors_graph

from alternate import alternate, median
from nmfnet import SymNMF


def main():
    X, _ = load_digits(return_X_y=True)
    A = kneighbors_graph(X, 10, mode="connectivity", include_self=False)
    A = ((A + A.T) * 0.5).tocsr().astype(np.float64)
    dense = A.toarray()
    print(f"n = {A.shape[0]}, stored entries {A.nnz}, zeros {1 - A.nnz / dense.size:.4f}")
    def fit(x):
        return SymNMF(n_components=10, method="symhals", affinity="precomputed",
                      random_state=0, max_iter=100, tol=0.0, n_restarts=1).fit(x).reconstruction_err_

    times, errors = alternate({"dense": lambda: fit(dense), "sparse": lambda: fit(A)}, 5)
    for name in times:
        print(f"{name:6s} median {median(times[name]) * 1e3:8.1f} ms  "
              f"runs {' '.join(f'{t * 1e3:.1f}' for t in times[name])}  rel. error {errors[name]:.6f}")
    print(f"dense / sparse: {median(times['dense']) / median(times['sparse']):.2f}x")


if __name__ == "__main__":
    main()
