"""Independent reference for NNDSVD / NNDSVDa (nmfnet-baselines `nmf::nndsvd`).

scikit-learn's NMF initialisation on a 9×6 matrix given by a closed formula (no RNG), rank 3.
scikit-learn factorises X (samples × features) ≈ W·H; nmfnet writes Y ≈ H·W with Y = X, so
nmfnet's H is scikit-learn's W and nmfnet's W is scikit-learn's H. Prints both factors, row
by row, for the Rust test `nndsvd_matches_scikit_learn` in baselines/src/nmf.rs.

    python -m venv .venv && .venv/bin/pip install numpy scikit-learn
    .venv/bin/python bench/python/nndsvd_reference.py

Produced with numpy 2.4.6, scikit-learn 1.9.1 (Python 3.11).
"""
import numpy as np
from sklearn.decomposition._nmf import _initialize_nmf

m, n, k = 9, 6, 3
Y = np.array([[((3 * i + 5 * j) % 7) / 6.0 + 0.1 * ((i * j) % 3) for j in range(n)]
              for i in range(m)])
for init in ("nndsvd", "nndsvda"):
    W, H = _initialize_nmf(Y, k, init=init)
    print(init)
    print("H (= sklearn W):", np.array2string(W.ravel(), precision=17, separator=", ",
                                              max_line_width=100000))
    print("W (= sklearn H):", np.array2string(H.ravel(), precision=17, separator=", ",
                                              max_line_width=100000))
