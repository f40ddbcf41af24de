"""nmfnet's Python estimators beside scikit-learn's, on the same inputs in one run.

1. nmfnet.NMF(solver='hals') vs sklearn.decomposition.NMF(solver='cd'): relative error
   ‖X − WH‖_F/‖X‖_F and seconds per fit (median of 3), each from its own seeded random start
   ('random') and both from one shared start ('custom'), same max_iter and tol.
2. nmfnet.SymNMF vs sklearn.cluster.SpectralClustering(affinity='precomputed') on the same
   affinity (nmfnet's self-tuning kNN graph): ACC (Hungarian matching), ARI and seconds.

Usage: python bench/python/sklearn_estimators.py  (needs `pip install ./python` first)
"""

import os
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import SpectralClustering
from sklearn.datasets import load_digits, load_wine
from sklearn.decomposition import NMF as SkNMF
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import nmfnet


def acc(y, pred):
    classes, clusters = np.unique(y), np.unique(pred)
    m = np.zeros((clusters.size, classes.size))
    for i, c in enumerate(clusters):
        for j, k in enumerate(classes):
            m[i, j] = np.sum((pred == c) & (y == k))
    r, c = linear_sum_assignment(-m)
    return m[r, c].sum() / y.size


def timed(f, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} threads, Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, nmfnet {nmfnet.__version__}"
    )


def nmf_cases():
    rng = np.random.default_rng(0)
    low = rng.random((2000, 20)) @ rng.random((20, 500)) + 0.01 * rng.random((2000, 500))
    return [
        ("digits 1797×64, k 10", load_digits().data, 10),
        ("wine 178×13, k 3", load_wine().data, 3),
        ("rank-20 + noise 2000×500, k 20", low, 20),
    ]


def main():
    # scikit-learn warns when max_iter is reached; the table says what each reached.
    warnings.filterwarnings("ignore", category=UserWarning)
    print(f"machine: {machine()}\n")
    print("| NMF case | nmfnet hals rel. error | sklearn cd rel. error | difference | nmfnet s | sklearn s | time ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, X, k in nmf_cases():
        norm = np.linalg.norm(X)
        # One start for both: scikit-learn's own 'random' scaling, drawn once.
        rng = np.random.default_rng(0)
        scale = np.sqrt(X.mean() / k)
        W0 = scale * rng.random((X.shape[0], k))
        H0 = scale * rng.random((k, X.shape[1]))
        for init in ("random", "custom"):
            # Fresh copies for every fit: scikit-learn's coordinate descent updates a custom
            # start in place, so a reused one would start the next fit converged.
            def start():
                return {"W": W0.copy(), "H": H0.copy()} if init == "custom" else {}

            ours = nmfnet.NMF(k, solver="hals", init=init, max_iter=500, tol=1e-4, random_state=0)
            W, t_ours = timed(lambda: ours.fit_transform(X, **start()))
            e_ours = np.linalg.norm(X - W @ ours.components_) / norm
            theirs = SkNMF(k, solver="cd", init=init, max_iter=500, tol=1e-4, random_state=0)
            W2, t_theirs = timed(lambda: theirs.fit_transform(X, **start()))
            e_theirs = np.linalg.norm(X - W2 @ theirs.components_) / norm
            print(
                f"| {name}, init {init} | {e_ours:.5f} ({ours.n_iter_} it.) | {e_theirs:.5f} "
                f"({theirs.n_iter_} it.) | {e_ours - e_theirs:+.5f} | "
                f"{t_ours:.3f} | {t_theirs:.3f} | {t_ours / t_theirs:.2f} |"
            )
    print()
    print("| clustering case | method | ACC | ARI | seconds |")
    print("|---|---|---|---|---|")
    digits = load_digits()
    wine = load_wine()
    cases = [
        ("digits (n 1797, r 10)", digits.data, digits.target, 10),
        ("wine, standardised (n 178, r 3)", StandardScaler().fit_transform(wine.data), wine.target, 3),
    ]
    for name, Z, y, r in cases:
        A = nmfnet.SymNMF(r, method="symhals", n_restarts=1, random_state=0).fit(Z).affinity_matrix_
        for label, est in [
            ("SymNMF symnmf-net", nmfnet.SymNMF(r, affinity="precomputed", random_state=0)),
            ("SymNMF symhals", nmfnet.SymNMF(r, method="symhals", affinity="precomputed", random_state=0)),
            ("SymNMF symanls", nmfnet.SymNMF(r, method="symanls", affinity="precomputed", random_state=0)),
            ("SpectralClustering", SpectralClustering(r, affinity="precomputed", random_state=0)),
        ]:
            est_fit, t = timed(lambda: est.fit(A))
            pred = est_fit.labels_
            print(f"| {name} | {label} | {acc(y, pred):.4f} | {adjusted_rand_score(y, pred):.4f} | {t:.3f} |")


if __name__ == "__main__":
    main()
