"""The KL solvers against scikit-learn's MU (issue 40's target: reach scikit-learn MU's
1000-iteration KL objective ≥ 5× faster), from one start (scikit-learn's own initialisation,
handed to every fit as init='custom'), same run.

Cases: the digits (1797 × 64, k = 10, NNDSVDa start) and a sparse 5000 × 2000 count matrix
(5 % entries, Poisson(2) + 1, k = 20, random start). For nmfnet's coordinate descent ('ccd')
the first multiple of 10 iterations whose √(2·KL) is at most scikit-learn's after 1000 MU
iterations is timed. Run: python bench/python/kl_solvers.py
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.decomposition import NMF as SkNMF
from sklearn.decomposition._nmf import _initialize_nmf

import nmfnet

warnings.simplefilter("ignore")


def timed(est, X, W0, H0):
    t = time.perf_counter()
    est.fit(X, W=W0.copy(), H=H0.copy())
    return time.perf_counter() - t


def case(name, X, k, init):
    W0, H0 = _initialize_nmf(X, k, init=init, random_state=0)
    kl = dict(init="custom", beta_loss="kullback-leibler")
    ref = SkNMF(k, solver="mu", max_iter=1000, tol=0, **kl)
    t_ref = timed(ref, X, W0, H0)
    target = ref.reconstruction_err_
    mu = nmfnet.NMF(k, solver="mu", max_iter=1000, tol=0, **kl)
    t_mu = timed(mu, X, W0, H0)
    for iters in range(10, 1001, 10):
        ccd = nmfnet.NMF(k, solver="ccd", max_iter=iters, tol=0, **kl)
        t_ccd = timed(ccd, X, W0, H0)
        if ccd.reconstruction_err_ <= target:
            break
    print(f"{name}: scikit-learn MU 1000 it {t_ref:.3f} s (sqrt(2 KL) {target:.6g}); "
          f"nmfnet MU 1000 it {t_mu:.3f} s ({mu.reconstruction_err_:.6g}, {t_ref / t_mu:.1f}x); "
          f"nmfnet ccd {iters} it {t_ccd:.3f} s ({ccd.reconstruction_err_:.6g}): "
          f"{t_ref / t_ccd:.1f}x faster than scikit-learn MU", flush=True)


if __name__ == "__main__":
    case("digits 1797x64 k=10", load_digits().data, 10, "nndsvda")
    rng = np.random.default_rng(0)
    C = sp.random(5000, 2000, density=0.05, random_state=0, format="csr",
                  data_rvs=lambda n: rng.poisson(2.0, n) + 1.0)
    case("sparse counts 5000x2000 5% k=20", C, 20, "random")
