"""Independent reference for the similarity graphs of SPEC §4 (nmfnet-datasets `graph`).

Writes, under datasets/tests/data/:
  graph_features.csv   40 points in 3-D (a closed formula, no RNG)
  graph_expected.csv   the ncut-normalised self-tuning kNN graph of those points
  text_counts.csv      a 30×12 term-count matrix (closed formula)
  text_expected.csv    the tf-idf cosine kNN graph of those documents
  graph_self_expected.csv  the kNN connectivity graph with self-loops (k = 5) of the points:
                       kneighbors_graph(z, 6, include_self=True), (C + Cᵀ)/2, ncut
  text_self_expected.csv   the same with cosine neighbours (k = 4) of the documents

Neighbours come from scikit-learn's NearestNeighbors (brute force), the rest from numpy, in
float64. The Rust test `datasets/tests/graph_reference.rs` compares against these files.

    python -m venv .venv && .venv/bin/pip install numpy scikit-learn
    .venv/bin/python bench/python/graph_reference.py

Produced with numpy 2.4.6, scikit-learn 1.9.1 (Python 3.11).
"""
import os
import numpy as np
from sklearn.neighbors import NearestNeighbors, kneighbors_graph

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "datasets", "tests", "data")


def ncut(a):
    d = a.sum(axis=1)
    inv = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    x = inv[:, None] * a * inv[None, :]
    return (x + x.T) / 2


def knn_graph(z):
    n = z.shape[0]
    kk = int(np.floor(np.log2(n))) + 1
    need = max(kk, 7)
    nn = NearestNeighbors(n_neighbors=need + 1, algorithm="brute").fit(z)
    dist, idx = nn.kneighbors(z)
    assert (idx[:, 0] == np.arange(n)).all(), "points must be distinct (self first)"
    sigma = dist[:, 7]  # 7th nearest other point (column 0 is the point itself)
    d2 = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2)
    mask = np.zeros((n, n), dtype=bool)
    for i in range(n):
        mask[i, idx[i, 1 : kk + 1]] = True
    mask = mask | mask.T
    a = np.where(mask, np.exp(-d2 / np.outer(sigma, sigma)), 0.0)
    np.fill_diagonal(a, 0.0)
    return ncut(a)


def tfidf(counts):
    n = counts.shape[0]
    df = (counts > 0).sum(axis=0)
    idf = np.where(df > 0, np.log(n / np.maximum(df, 1)), 0.0)
    w = counts * idf[None, :]
    norms = np.linalg.norm(w, axis=1)
    return w / np.where(norms > 0, norms, 1.0)[:, None]


def cosine_graph(docs):
    n = docs.shape[0]
    kk = int(np.floor(np.log2(n))) + 1
    nn = NearestNeighbors(n_neighbors=kk + 1, metric="cosine", algorithm="brute").fit(docs)
    _, idx = nn.kneighbors(docs)
    s = docs @ docs.T
    mask = np.zeros((n, n), dtype=bool)
    for i in range(n):
        others = [j for j in idx[i] if j != i][:kk]
        mask[i, others] = True
    mask = mask | mask.T
    a = np.where(mask, np.maximum(s, 0.0), 0.0)
    np.fill_diagonal(a, 0.0)
    return ncut(a)


def self_graph(z, k):
    c = kneighbors_graph(z, n_neighbors=k + 1, mode="connectivity", include_self=True).toarray()
    assert (np.diag(c) == 1).all(), "points must be distinct (each its own nearest)"
    return ncut((c + c.T) / 2)


def cosine_self_graph(docs, k):
    n = docs.shape[0]
    nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(docs)
    _, idx = nn.kneighbors(docs)
    c = np.eye(n)
    for i in range(n):
        others = [j for j in idx[i] if j != i][:k]
        c[i, others] = 1.0
    return ncut((c + c.T) / 2)


def main():
    os.makedirs(OUT, exist_ok=True)
    i = np.arange(40, dtype=np.float64)
    z = np.stack([np.sin(1.3 * i) + (i % 4), np.cos(0.7 * i) * 2, (i * 0.37) % 1.7], axis=1)
    np.savetxt(os.path.join(OUT, "graph_features.csv"), z, delimiter=",", fmt="%.17g")
    # Round-trip the features through float32, as nmfnet reads them.
    z32 = np.loadtxt(os.path.join(OUT, "graph_features.csv"), delimiter=",").astype(np.float32).astype(np.float64)
    np.savetxt(os.path.join(OUT, "graph_expected.csv"), knn_graph(z32), delimiter=",", fmt="%.9e")
    np.savetxt(os.path.join(OUT, "graph_self_expected.csv"), self_graph(z32, 5), delimiter=",", fmt="%.9e")

    d, t = np.meshgrid(np.arange(30), np.arange(12), indexing="ij")
    counts = ((d * 7 + t * 3) % 11 - 5).clip(min=0) * ((d // 10) == (t // 4)) + ((d + 2 * t) % 13 == 0)
    counts = counts.astype(np.float64)
    np.savetxt(os.path.join(OUT, "text_counts.csv"), counts, delimiter=",", fmt="%d")
    np.savetxt(os.path.join(OUT, "text_expected.csv"), cosine_graph(tfidf(counts)), delimiter=",", fmt="%.9e")
    np.savetxt(os.path.join(OUT, "text_self_expected.csv"), cosine_self_graph(tfidf(counts), 4), delimiter=",", fmt="%.9e")


if __name__ == "__main__":
    main()
