"""ConsensusNMF: cNMF's consensus of many NMF replicates over several ranks."""

import json
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from . import _core
from ._common import quiet_blas, seed_of


class ConsensusNMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Consensus NMF (Kotliar et al., eLife 2019): ``n_replicates`` NMF fits of X ≈ W·H at
    every rank of ``ks`` from random starts, each rank's components pooled, L2-normalised,
    filtered by local density, clustered by k-means into k programs whose medians (scaled to
    sum 1) are the consensus spectra; the usages are refitted by NNLS against them.

    The replicates and the consensus run in nmfnet's Rust core, replicates in parallel; a
    replicate gives the same bits whether it runs alone or among others.

    Parameters
    ----------
    ks : iterable of int, default=range(5, 11)
        The ranks compared.
    n_replicates : int, default=100
    beta_loss : 'frobenius' or 'kullback-leibler', default='frobenius'
        Frobenius: HALS (scikit-learn's coordinate descent, cNMF's solver) under the violation
        rule; Kullback–Leibler: nmfnet's KL coordinate descent ('ccd') under the divergence rule.
    density_threshold : float, default=0.5
        Spectra whose mean distance to their nearest neighbours exceeds it are dropped as
        outliers (2 keeps every one: unit vectors lie within 2 of each other).
    local_neighborhood_size : float in (0, 1], default=0.3
        Those neighbours as a share of n_replicates.
    k : int or None, default=None
        The rank whose consensus ``components_``, ``transform`` and ``fit_transform`` use;
        None: the most stable of ``ks``.
    tol : float, default=1e-4
    max_iter : int, default=1000
    inner_sweeps : int, default=1
        HALS sweeps of each factor per product with X, at most (host engine, Frobenius): 1 is
        cNMF's (scikit-learn's) HALS; more reach the stop rule in fewer products (Gillis &
        Glineur's accelerated HALS: a block of rows is swept again while a sweep still moves it
        by a tenth of what the first moved it), the stop rule's violation being the first
        sweep's. 4 took about half the time of 1 on simulated counts with the same programs,
        but its replicates also agree more at a too-small K, which raised that K's stability
        above the true one's at 100 replicates × K = 5–10 (see the guide): read ``error_`` too.
    random_state : int, RandomState instance or None, default=None
    engine : 'auto', 'host' or 'batched', default='auto'
        Where the replicates run: 'host', the float64 solvers with the replicates on threads;
        'batched', all replicates of a rank as one float32 tensor program on ``backend``
        (HALS for Frobenius, each replicate stopped by the violation rule checked every 10
        iterations; MU for Kullback–Leibler, stopped by the divergence rule);
        'auto', host on a CPU backend and batched on 'wgpu'.
    backend : 'cpu', 'flex', 'ndarray' or 'wgpu', default='cpu'
        The Burn backend of the batched engine (those compiled in: ``nmfnet.backends()``).

    A sparse X with at least 15 % nonzero entries is multiplied by the host engine's HALS
    replicates as a dense copy (faster from about that density on; the copy costs at most 1.7×
    the sparse X's memory). The precision follows X, as in scikit-learn: a float32 X (dense, or
    sparse with that many nonzeros, and at least 65536 entries) on the host engine with the
    Frobenius loss has its products with the replicates' factors computed in float32
    (about twice as fast; the factors and sweeps stay float64, and the replicates follow the
    float64 ones to float32 rounding); every other input runs in float64. The attributes are
    float64 either way.

    Attributes
    ----------
    consensus_ : dict k → ndarray (k, n_features), the consensus spectra (rows sum to 1)
    usage_ : dict k → ndarray (n_samples, k), the usages refitted against them
    stability_ : dict k → float, the silhouette of the k-means clustering of every replicate
        spectrum (cNMF's K-selection statistic: no density filter)
    error_ : dict k → float, ‖X − usage·consensus‖²_F of that clustering's consensus (cNMF's
        prediction error)
    kept_ : dict k → bool ndarray (n_replicates·k,), the spectra the density filter kept
    labels_ : dict k → int ndarray, the cluster of each kept spectrum
    n_iter_ : dict k → int ndarray (n_replicates,), the iterations each replicate ran (those
        equal to ``max_iter`` ran the whole budget: nearly always stopped by it, not by their
        rule)
    k_ : int, the rank chosen (``k``, or the most stable)
    components_ : ndarray (k_, n_features), ``consensus_[k_]``
    """

    _parameter_constraints = {
        "ks": ["array-like"],
        "n_replicates": [Interval(Integral, 1, None, closed="left")],
        "beta_loss": [StrOptions({"frobenius", "kullback-leibler"})],
        "density_threshold": [Interval(Real, 0, None, closed="neither")],
        "local_neighborhood_size": [Interval(Real, 0, 1, closed="right")],
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "inner_sweeps": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "engine": [StrOptions({"auto", "host", "batched"})],
        "backend": [StrOptions({"cpu", "flex", "ndarray", "wgpu"})],
    }

    def __init__(
        self,
        ks=range(5, 11),
        *,
        n_replicates=100,
        beta_loss="frobenius",
        density_threshold=0.5,
        local_neighborhood_size=0.3,
        k=None,
        tol=1e-4,
        max_iter=1000,
        inner_sweeps=1,
        random_state=None,
        engine="auto",
        backend="cpu",
    ):
        self.ks = ks
        self.n_replicates = n_replicates
        self.beta_loss = beta_loss
        self.density_threshold = density_threshold
        self.local_neighborhood_size = local_neighborhood_size
        self.k = k
        self.tol = tol
        self.max_iter = max_iter
        self.inner_sweeps = inner_sweeps
        self.random_state = random_state
        self.engine = engine
        self.backend = backend

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        return tags

    def _job(self, ks, n_features, single=False):
        kl = self.beta_loss == "kullback-leibler"
        seed = seed_of(self.random_state)
        job = {
            "ks": ks,
            "replicates": int(self.n_replicates),
            "method": "ccd" if kl else "hals",
            "params": {
                "rank": 0,
                "max_iter": int(self.max_iter),
                "tol": float(self.tol),
                "stop": "divergence" if kl else "violation",
                "beta_loss": 1.0 if kl else 2.0,
            },
            "consensus": {
                "density_threshold": float(self.density_threshold),
                "local_neighborhood_size": float(self.local_neighborhood_size),
            },
            "seed": seed,
            "precision": "f32" if single else "f64",
            "inner_sweeps": 1 if kl else int(self.inner_sweeps),
        }
        return json.dumps({"job": job, "engine": self.engine, "backend": self.backend})

    @quiet_blas
    def fit(self, X, y=None):
        self._validate_params()
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32], reset=True)
        check_non_negative(X, "ConsensusNMF (input X)")
        ks = sorted({int(k) for k in self.ks})
        if not ks or ks[0] < 1:
            raise ValueError(f"ks must hold ranks ≥ 1, got {list(self.ks)!r}")
        if self.k is not None and self.k not in ks:
            raise ValueError(f"k = {self.k} is not one of ks = {ks}")
        # float32 products where the host engine's grouped HALS replicates run them.
        host = self.engine == "host" or (self.engine == "auto" and self.backend != "wgpu")
        # The CSR arrays the core receives (duplicates summed, as scipy's conversion does).
        Xs = None
        if sp.issparse(X):
            Xs = sp.csr_matrix(X)
            Xs.sum_duplicates()
            Xs.sort_indices()
        # A sparse X with ≥ 15 % nonzeros is multiplied as a dense copy (DENSE_PRODUCTS_DENSITY).
        dense = Xs is None or Xs.nnz >= 0.15 * X.shape[0] * X.shape[1]
        single = (
            X.dtype == np.float32
            and dense
            and self.beta_loss == "frobenius"
            and host
            and X.shape[0] * X.shape[1] >= 1 << 16
        )
        job = self._job(ks, X.shape[1], single)
        if Xs is not None:
            out = _core.consensus_nmf(
                job,
                None,
                Xs.shape,
                Xs.indptr,
                Xs.indices,
                Xs.data.astype(np.float64, copy=False),
            )
        else:
            out = _core.consensus_nmf(job, np.asarray(X, dtype=np.float64))
        self.consensus_, self.usage_, self.stability_, self.error_ = {}, {}, {}, {}
        self.kept_, self.labels_, self.points_, self.n_iter_ = {}, {}, {}, {}
        for k, (spectra, usage, stability, error, kept, labels, points, n_iter) in zip(ks, out):
            self.consensus_[k] = spectra
            self.usage_[k] = usage
            self.stability_[k] = float(stability)
            self.error_[k] = float(error)
            self.kept_[k] = np.asarray(kept, dtype=bool)
            self.labels_[k] = np.asarray(labels, dtype=np.int64)
            self.points_[k] = points
            self.n_iter_[k] = np.asarray(n_iter, dtype=np.int64)
        # The most stable rank (the smallest on a tie), as the command line picks it.
        self.k_ = self.k if self.k is not None else max(ks, key=lambda k: (self.stability_[k], -k))
        self.components_ = self.consensus_[self.k_]
        self._n_features_out = self.k_
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).usage_[self.k_]

    @quiet_blas
    def transform(self, X):
        """Usages of new samples: NNLS of each row against ``components_``."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=np.float64, reset=False)
        check_non_negative(X, "ConsensusNMF.transform (input X)")
        if sp.issparse(X):
            Xs = sp.csr_matrix(X)
            Xs.sort_indices()
            return _core.transform_csr(
                self.components_, Xs.shape, Xs.indptr.astype(np.int64), Xs.indices.astype(np.int64), Xs.data
            )
        return _core.transform(self.components_, np.ascontiguousarray(X))
