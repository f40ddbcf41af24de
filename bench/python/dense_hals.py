"""Dense HALS against nmf-rs and scikit-learn from one start (issue 39's first case).

Y: 5000 × 2000, a product of two gamma(1, 1) factors of rank 20 with 70 % of its entries set
to 0 (seed 0), k = 20; every tool starts from the same uniform W0, H0 (scaled to Y's mean)
and runs 50 iterations with its stop test off; median of 3 fits (5 with --repeats 5), the
tools alternating, the relative error after the fit beside each. The same Y as float32 too:
nmfnet then multiplies in float32 (its precision follows X), scikit-learn computes in float32;
nmf-rs takes float64 only. Usage: python dense_hals.py [--repeats N]
"""

import argparse

import warnings

import numpy as np
from sklearn.decomposition import NMF as SkNMF

import nmf_rs
from alternate import alternate, median
from nmfnet import NMF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    repeats = ap.parse_args().repeats
    rng = np.random.default_rng(0)
    W, H = rng.gamma(1.0, 1.0, (5000, 20)), rng.gamma(1.0, 1.0, (20, 2000))
    Y = W @ H * (rng.random((5000, 2000)) < 0.3)
    k, iters = 20, 50
    s = 2.0 * np.sqrt(Y.mean() / k)
    W0, H0 = rng.uniform(0, s, (5000, k)), rng.uniform(0, s, (k, 2000))
    norm = np.linalg.norm(Y)
    Y32, W032, H032 = Y.astype(np.float32), W0.astype(np.float32), H0.astype(np.float32)

    # Each tool as a function of the iteration count: a run of 1 iteration beside the run of
    # 50 gives the fixed cost (copies, checks, the final error), the difference the cost per
    # iteration.
    def nmfnet_hals(it, X=Y, Ws=(W0, H0)):
        m = NMF(k, init="custom", solver="hals", max_iter=it, tol=0)
        W = m.fit_transform(X, W=Ws[0].copy(), H=Ws[1].copy())
        assert m.summary_["precision"] == ("f32" if X.dtype == np.float32 else "f64")
        return W.astype(np.float64), m.components_.astype(np.float64)

    def nmfrs(method):
        def run(it):
            r = nmf_rs.nmf(Y, k, method=method, W0=W0.copy(), H0=H0.copy(), max_iter=it,
                           num_threads=2, stop="max_iter")
            return np.asarray(r.W), np.asarray(r.H)
        return run

    def sklearn_cd(it, X=Y, Ws=(W0, H0)):
        m = SkNMF(k, init="custom", solver="cd", max_iter=it, tol=0)
        W = m.fit_transform(X, W=Ws[0].copy(), H=Ws[1].copy())
        return W.astype(np.float64), m.components_.astype(np.float64)

    tools = {"nmfnet hals": nmfnet_hals, "nmf-rs hals": nmfrs("hals"), "nmf-rs ehals": nmfrs("ehals"),
             "scikit-learn cd": sklearn_cd,
             "nmfnet hals f32": lambda it: nmfnet_hals(it, Y32, (W032, H032)),
             "scikit-learn cd f32": lambda it: sklearn_cd(it, Y32, (W032, H032))}
    runs = {}
    for name, f in tools.items():
        runs[name] = lambda f=f: f(iters)
        runs[name + " (1 it.)"] = lambda f=f: f(1)
    warnings.simplefilter("ignore")
    times, fits = alternate(runs, repeats)
    errors = {name: np.linalg.norm(Y - Wf @ Hf) / norm for name, (Wf, Hf) in fits.items()}
    per_it = {name: (median(times[name]) - median(times[name + " (1 it.)"])) / (iters - 1)
              for name in tools}
    base, base_it = median(times["nmf-rs hals"]), per_it["nmf-rs hals"]
    for name in tools:
        med = median(times[name])
        print(f"{name:20s} {iters} it. median {med:6.3f} s ({med / base:4.2f}×)  per iteration "
              f"{1e3 * per_it[name]:5.1f} ms ({per_it[name] / base_it:4.2f}× nmf-rs hals, "
              f"{per_it[name] / per_it['scikit-learn cd']:4.2f}× scikit-learn cd)  "
              f"runs {' '.join(f'{t:.3f}' for t in times[name])}  rel. error {errors[name]:.5f}")


if __name__ == "__main__":
    main()
