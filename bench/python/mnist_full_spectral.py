"""Spectral clustering of all 70,000 MNIST images on SPEC §4's kNN graph, built independently
of nmfnet: the reference beside nmfnet's SymHALS / SymANLS / SymNMF-Net numbers on
`--dataset mnist-full` (results/scale/mnist_full.md).

Reads the four IDX files of DATA_DIR/mnist (60,000 training then 10,000 test images, / 255 —
the order of nmfnet's mnist-full), builds the graph with scikit-learn's brute-force
NearestNeighbors (⌊log₂ n⌋ + 1 = 17 neighbours, σ_i = distance to the 7th, Gaussian weights,
OR-symmetrised, normalised-cut scaling; all in float64, sparse), then
SpectralClustering(affinity='precomputed', n_clusters=10, random_state=SEED,
eigen_solver='amg') — the default ARPACK shift-invert did not finish in 12 minutes here — and
k-means on the raw pixels for scale. ACC by the Hungarian method, NMI normalised by max(H) as nmfnet's.

    python -m venv .venv && .venv/bin/pip install numpy scikit-learn pyamg
    .venv/bin/python bench/python/mnist_full_spectral.py ../shared/data [SEED]
"""
import gzip
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.metrics import normalized_mutual_info_score
from sklearn.neighbors import NearestNeighbors


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir):
    d = os.path.join(data_dir, "mnist")
    name = lambda stem: next(
        os.path.join(d, f) for f in sorted(os.listdir(d)) if f.startswith(stem) and f.endswith(".gz")
    )
    x = np.concatenate([idx(name("train-images")), idx(name("t10k-images"))])
    y = np.concatenate([idx(name("train-labels")), idx(name("t10k-labels"))])
    return x.reshape(len(x), -1).astype(np.float64) / 255.0, y.astype(np.int64)


def graph(z):
    n = z.shape[0]
    kk = int(np.floor(np.log2(n))) + 1
    need = max(kk, 7)
    nn = NearestNeighbors(n_neighbors=need + 1, algorithm="brute", n_jobs=-1).fit(z)
    dist, ind = nn.kneighbors(z)
    # Column 0 is the point itself (MNIST has a few duplicate images: drop i wherever it is).
    rows, cols, d2 = [], [], []
    sigma = np.empty(n)
    for i in range(n):
        keep = [(j, dd) for j, dd in zip(ind[i], dist[i]) if j != i][:need]
        sigma[i] = keep[6][1]
        for j, dd in keep[:kk]:
            rows.append(i)
            cols.append(j)
            d2.append(dd * dd)
    sigma = np.maximum(sigma, 1e-12)
    rows, cols, d2 = np.array(rows), np.array(cols), np.array(d2)
    w = np.exp(-d2 / (sigma[rows] * sigma[cols]))
    a = sp.csr_matrix((w, (rows, cols)), shape=(n, n))
    a = a.maximum(a.T)  # OR-symmetrised (the weight is symmetric in i, j)
    deg = np.asarray(a.sum(axis=1)).ravel()
    inv = sp.diags(np.where(deg > 0, 1.0 / np.sqrt(np.where(deg > 0, deg, 1.0)), 0.0))
    x = inv @ a @ inv
    return ((x + x.T) / 2).tocsr()


def acc(y, p):
    k = max(y.max(), p.max()) + 1
    c = np.zeros((k, k), dtype=np.int64)
    np.add.at(c, (p, y), 1)
    r, s = linear_sum_assignment(-c)
    return c[r, s].sum() / len(y)


def main():
    data_dir = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    z, y = load(data_dir)
    t = time.time()
    x = graph(z)
    t_graph = time.time() - t
    print(f"graph: n = {x.shape[0]}, stored entries {x.nnz}, {t_graph:.1f} s")
    t = time.time()
    p = SpectralClustering(
        n_clusters=10,
        affinity="precomputed",
        random_state=seed,
        assign_labels="kmeans",
        eigen_solver="amg",
    ).fit_predict(x)
    t_sc = time.time() - t
    print(
        f"spectral clustering (seed {seed}): ACC {acc(y, p):.4f} "
        f"NMI {normalized_mutual_info_score(y, p, average_method='max'):.4f} ({t_sc:.1f} s)"
    )
    t = time.time()
    p = KMeans(n_clusters=10, n_init=10, random_state=seed).fit_predict(z)
    print(
        f"k-means on the pixels (seed {seed}, 10 inits): ACC {acc(y, p):.4f} "
        f"NMI {normalized_mutual_info_score(y, p, average_method='max'):.4f} ({time.time() - t:.1f} s)"
    )
    import numpy, pyamg, scipy, sklearn

    print(
        f"numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, pyamg {pyamg.__version__}"
    )


if __name__ == "__main__":
    main()
