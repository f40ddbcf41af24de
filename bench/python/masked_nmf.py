"""Masked NMF in plain numpy: the independent reference of nmfnet's fits with missing entries
(baselines/src/nmf_mask.rs), written from the objective, not from nmfnet's code.

X (n_samples × n_features) ≈ W H over the entries of X that are not NaN: minimise
½‖M ∘ (X − WH)‖² (+ l1‖W‖₁ + ½ l2‖W‖² and the same on H), M = 1 where X is observed.

One iteration of masked HALS: for each component l in turn, every entry of W's column l takes
its exact coordinate minimiser (clipped at 0) — the rows of W do not interact for a fixed H, so
the whole column moves at once — from the masked residual recomputed in full; then the rows of
H the same way. An entry whose observed curvature is 0 stays as it is. One iteration of masked
MU: W ← W ∘ (X₀Hᵀ) / ((M∘WH)Hᵀ + l1 + l2·W + ε), then H the same way. Masked ANLS: each row
of W, then each column of H, the exact NNLS over its observed entries (SciPy).

Run as a script, it fits a 60 × 40 matrix with 20 % of its entries missing and prints the
relative error over the observed entries.
"""

import numpy as np


def masked_hals(X, W, H, n_iter, l1=0.0, l2=0.0):
    M = ~np.isnan(X)
    X0 = np.where(M, X, 0.0)
    W, H = W.copy(), H.copy()
    k = W.shape[1]
    for _ in range(n_iter):
        for l in range(k):
            R = M * (W @ H - X0)
            g = R @ H[l] + l1 + l2 * W[:, l]
            d = M @ (H[l] ** 2) + l2
            on = d > 0
            W[on, l] = np.maximum(0.0, W[on, l] - g[on] / d[on])
        for l in range(k):
            R = M * (W @ H - X0)
            g = W[:, l] @ R + l1 + l2 * H[l]
            d = (W[:, l] ** 2) @ M + l2
            on = d > 0
            H[l, on] = np.maximum(0.0, H[l, on] - g[on] / d[on])
    return W, H


def masked_mu(X, W, H, n_iter, eps, l1=0.0, l2=0.0):
    M = ~np.isnan(X)
    X0 = np.where(M, X, 0.0)
    W, H = W.copy(), H.copy()
    for _ in range(n_iter):
        W = W * (X0 @ H.T) / ((M * (W @ H)) @ H.T + l1 + l2 * W + eps)
        H = H * (W.T @ X0) / (W.T @ (M * (W @ H)) + l1 + l2 * H + eps)
    return W, H


def masked_anls(X, W, H, n_iter):
    """Alternating exact NNLS over the observed entries (SciPy's Lawson–Hanson), row by row
    of W, then column by column of H."""
    from scipy.optimize import nnls

    M = ~np.isnan(X)
    W, H = W.copy(), H.copy()
    for _ in range(n_iter):
        for i in range(X.shape[0]):
            obs = M[i]
            W[i], _ = nnls(H[:, obs].T, X[i, obs])
        for j in range(X.shape[1]):
            obs = M[:, j]
            H[:, j], _ = nnls(W[obs], X[obs, j])
    return W, H


def masked_rel_error(X, W, H):
    M = ~np.isnan(X)
    X0 = np.where(M, X, 0.0)
    return float(np.linalg.norm(M * (X0 - W @ H)) / np.linalg.norm(X0))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.random((60, 40))
    X[rng.random(X.shape) < 0.2] = np.nan
    W0, H0 = rng.random((60, 4)), rng.random((4, 40))
    W, H = masked_hals(X, W0, H0, 50)
    print("masked HALS, 50 iterations: relative error", masked_rel_error(X, W, H))
