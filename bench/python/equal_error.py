"""Time to a common error (issue 39's second measure): every tool from the same start, with its
stop test off; the common error is the largest of the tools' relative errors after 200
iterations; each tool's iteration count to reach it is found by bisection (its error after n
iterations, n in 1…200: every tool's error falls with n here, nmfnet ehals's by construction —
it returns its best pair), then that run is timed, median of --repeats, the tools alternating.

Cases: issue 39's dense 5000 × 2000 (gamma rank-20 product, 70 % zeroed, k = 20) and 2000 × 500
(rank 20 + noise, k = 20). float32 rows: the same Y as float32 (nmfnet then multiplies in
float32, scikit-learn computes in float32; nmf-rs takes float64 only).
Usage: python equal_error.py [--repeats N] [--case dense|small] [--json] (--json: one JSON
line at the end, {case: {tool: {error_200, iterations, seconds}}}, for `bench all`)
"""

import json

import argparse
import warnings

import numpy as np
from sklearn.decomposition import NMF as SkNMF

import nmf_rs
from alternate import alternate, median
from nmfnet import NMF


def cases(which):
    rng = np.random.default_rng(0)
    if which in ("all", "dense"):
        W, H = rng.gamma(1.0, 1.0, (5000, 20)), rng.gamma(1.0, 1.0, (20, 2000))
        yield "dense 5000 × 2000, k = 20", W @ H * (rng.random((5000, 2000)) < 0.3), 20
    if which in ("all", "small"):
        rng = np.random.default_rng(0)
        Y = rng.random((2000, 20)) @ rng.random((20, 500)) + 0.1 * rng.random((2000, 500))
        yield "2000 × 500 rank 20 + noise, k = 20", Y, 20


def tools(Y, k, W0, H0):
    """name → function(iterations) → (W, H) in float64."""
    Y32, W032, H032 = Y.astype(np.float32), W0.astype(np.float32), H0.astype(np.float32)

    def ours(solver, X, Ws):
        def run(it):
            stop = "divergence" if solver == "ehals" else "violation"
            m = NMF(k, init="custom", solver=solver, max_iter=it, tol=0, stop=stop)
            W = m.fit_transform(X, W=Ws[0].copy(), H=Ws[1].copy())
            return W.astype(np.float64), m.components_.astype(np.float64)
        return run

    def nmfrs(method):
        def run(it):
            r = nmf_rs.nmf(Y, k, method=method, W0=W0.copy(), H0=H0.copy(), max_iter=it,
                           num_threads=2, stop="max_iter")
            return np.asarray(r.W), np.asarray(r.H)
        return run

    def sklearn(X, Ws):
        def run(it):
            m = SkNMF(k, init="custom", solver="cd", max_iter=it, tol=0)
            W = m.fit_transform(X, W=Ws[0].copy(), H=Ws[1].copy())
            return W.astype(np.float64), m.components_.astype(np.float64)
        return run

    return {
        "nmfnet hals": ours("hals", Y, (W0, H0)),
        "nmfnet ehals": ours("ehals", Y, (W0, H0)),
        "nmf-rs hals": nmfrs("hals"),
        "nmf-rs ehals": nmfrs("ehals"),
        "scikit-learn cd": sklearn(Y, (W0, H0)),
        "nmfnet hals f32": ours("hals", Y32, (W032, H032)),
        "nmfnet ehals f32": ours("ehals", Y32, (W032, H032)),
        "scikit-learn cd f32": sklearn(Y32, (W032, H032)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--case", default="all", choices=["all", "dense", "small"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    report = {}
    for label, Y, k in cases(args.case):
        rng = np.random.default_rng(1)
        s = 2.0 * np.sqrt(Y.mean() / k)
        W0, H0 = rng.uniform(0, s, (Y.shape[0], k)), rng.uniform(0, s, (k, Y.shape[1]))
        norm = np.linalg.norm(Y)
        runs = tools(Y, k, W0, H0)

        def error(name, it):
            W, H = runs[name](it)
            return np.linalg.norm(Y - W @ H) / norm

        after = {name: error(name, 200) for name in runs}
        common = max(after.values())
        needed = {}
        for name in runs:
            lo, hi = 1, 200  # error(hi) ≤ common; find the least such n
            while lo < hi:
                mid = (lo + hi) // 2
                if error(name, mid) <= common:
                    hi = mid
                else:
                    lo = mid + 1
            needed[name] = lo
        times, _ = alternate({name: (lambda n=name: runs[n](needed[n])) for name in runs}, args.repeats)
        fastest = min(median(times[n]) for n in runs if not n.startswith("nmfnet"))
        print(f"{label}: common error {common:.6f} (largest after 200 iterations)")
        for name in runs:
            med = median(times[name])
            print(f"  {name:20s} error after 200 {after[name]:.6f}  iterations to common {needed[name]:4d}  "
                  f"time {med:7.3f} s ({med / fastest:4.2f}× the fastest peer)  "
                  f"runs {' '.join(f'{t:.3f}' for t in times[name])}")
        report[label] = {name: {"error_200": after[name], "iterations": needed[name],
                                "seconds": median(times[name])} for name in runs}
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
