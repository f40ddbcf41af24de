"""Dense HALS against nmf-rs and scikit-learn from one start (issue 39's first case).

Y: 5000 × 2000, a product of two gamma(1, 1) factors of rank 20 with 70 % of its entries set
to 0 (seed 0), k = 20; every tool starts from the same uniform W0, H0 (scaled to Y's mean)
and runs 50 iterations with its stop test off; median of 3 fits, the tools alternating, the
relative error after the fit beside each. Usage: python dense_hals.py
"""

import warnings

import numpy as np
from sklearn.decomposition import NMF as SkNMF

import nmf_rs
from alternate import alternate, median
from nmfnet import NMF


def main():
    rng = np.random.default_rng(0)
    W, H = rng.gamma(1.0, 1.0, (5000, 20)), rng.gamma(1.0, 1.0, (20, 2000))
    Y = W @ H * (rng.random((5000, 2000)) < 0.3)
    k, iters = 20, 50
    s = 2.0 * np.sqrt(Y.mean() / k)
    W0, H0 = rng.uniform(0, s, (5000, k)), rng.uniform(0, s, (k, 2000))
    norm = np.linalg.norm(Y)

    def nmfnet_hals():
        m = NMF(k, init="custom", solver="hals", max_iter=iters, tol=0)
        return m.fit_transform(Y, W=W0.copy(), H=H0.copy()), m.components_

    def nmfrs(method):
        def run():
            r = nmf_rs.nmf(Y, k, method=method, W0=W0.copy(), H0=H0.copy(), max_iter=iters,
                           num_threads=2, stop="max_iter")
            return np.asarray(r.W), np.asarray(r.H)
        return run

    def sklearn_cd():
        m = SkNMF(k, init="custom", solver="cd", max_iter=iters, tol=0)
        return m.fit_transform(Y, W=W0.copy(), H=H0.copy()), m.components_

    runs = {"nmfnet hals": nmfnet_hals, "nmf-rs hals": nmfrs("hals"), "nmf-rs ehals": nmfrs("ehals"),
            "scikit-learn cd": sklearn_cd}
    warnings.simplefilter("ignore")
    times, fits = alternate(runs, 3)
    errors = {name: np.linalg.norm(Y - Wf @ Hf) / norm for name, (Wf, Hf) in fits.items()}
    base = median(times["nmf-rs hals"])
    for name in runs:
        med = median(times[name])
        print(f"{name:16s} median {med:7.3f} s  ({med / base:5.2f}× nmf-rs hals)  "
              f"runs {' '.join(f'{t:.3f}' for t in times[name])}  rel. error {errors[name]:.5f}")


if __name__ == "__main__":
    main()
