"""The consensus step of cNMF (Kotliar et al., eLife 2019; the `cnmf` package's
`cNMF.consensus`), written from the paper's description with numpy, SciPy and scikit-learn:
the independent reference of nmfnet's Rust consensus (baselines/src/consensus.rs), used by
python/tests/test_consensus.py.

Given the pooled replicate spectra (R·k × n, replicate r's component l in row r·k + l):
L2-normalise them; drop those whose mean Euclidean distance to their ⌊ρ·R⌋ nearest other
spectra is not below the density threshold; k-means (scikit-learn's, n_init=10) into k
clusters; the consensus spectra are the clusters' medians scaled to sum 1; the stability is
the silhouette; the usages are each row's NNLS against the consensus spectra, and the error
‖X − usage·spectra‖²_F.
"""

import numpy as np
from scipy.optimize import nnls
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score


def l2_rows(S):
    norms = np.linalg.norm(S, axis=1, keepdims=True)
    return np.divide(S, norms, out=np.zeros_like(S), where=norms > 0)


def local_density(unit, replicates, rho):
    """Each spectrum's mean distance to its ⌊ρ·R⌋ nearest other spectra."""
    nn = max(int(rho * replicates), 1)
    D = cdist(unit, unit)
    np.fill_diagonal(D, np.inf)
    return np.sort(D, axis=1)[:, :nn].mean(axis=1)


def density_filter(unit, replicates, rho, threshold):
    """Kept mask: the local density below the threshold."""
    return local_density(unit, replicates, rho) < threshold


def consensus_spectra(points, labels, k):
    med = np.stack([np.median(points[labels == c], axis=0) for c in range(k)])
    return med / med.sum(axis=1, keepdims=True)


def usages(X, spectra):
    return np.stack([nnls(spectra.T, x)[0] for x in X])


def cnmf_consensus(X, pooled, k, threshold=0.5, rho=0.3, labels=None, seed=1):
    """The whole step; `labels` (of the kept spectra) replaces the k-means when given."""
    unit = l2_rows(pooled)
    kept = density_filter(unit, pooled.shape[0] // k, rho, threshold)
    points = unit[kept]
    if labels is None:
        labels = KMeans(k, n_init=10, random_state=seed).fit_predict(points)
    spectra = consensus_spectra(points, labels, k)
    usage = usages(X, spectra)
    return {
        "kept": kept,
        "labels": labels,
        "spectra": spectra,
        "stability": silhouette_score(points, labels),
        "usage": usage,
        "error": float(((X - usage @ spectra) ** 2).sum()),
    }
