"""Rank selection on planted rank-8 matrices: how often nmfnet.select_rank picks k = 8.

For each seed: W (300 × 8) and H (8 × 200) uniform, Y = max(WH + noise, 0) with Gaussian noise
of 5 % of WH's standard deviation; select_rank over k = 4…12 (3 draws of 10 %, the defaults),
random_state = seed. Prints the chosen k per seed, the count of k = 8 and the time. Then the
digits curve ('auto': k = 1…20) and its time. Run: python bench/python/rank_selection.py
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits

import nmfnet

warnings.simplefilter("ignore")


def planted(seed, m=300, n=200, k=8, noise=0.05):
    rng = np.random.default_rng(seed)
    V = rng.random((m, k)) @ rng.random((k, n))
    return np.maximum(V + noise * V.std() * rng.standard_normal(V.shape), 0.0)


if __name__ == "__main__":
    hits = 0
    for seed in range(10):
        t = time.perf_counter()
        r = nmfnet.select_rank(planted(seed), range(4, 13), random_state=seed)
        hits += r["best_k"] == 8
        print(f"seed {seed}: k = {r['best_k']}  ({time.perf_counter() - t:.1f} s)", flush=True)
    print(f"k = 8 chosen in {hits} of 10 seeds")
    X = load_digits().data
    t = time.perf_counter()
    r = nmfnet.select_rank(X, "auto", random_state=0)
    print(f"digits: k = {r['best_k']} in {time.perf_counter() - t:.1f} s;",
          " ".join(f"{k}:{e:.4f}" for k, e in zip(r["ks"], r["test_error"])))
