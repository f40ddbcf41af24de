"""SymNMF: graph clustering by symmetric NMF, a scikit-learn clusterer."""

import json
import sys
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_non_negative, validate_data

from . import _core
from ._common import as_f32, seed_of

METHODS = (
    "symnmf-net",
    "symanls",
    "symhals",
    "symnewton",
    "pgd",
    "admm",
    "scheme4",
    "kuang-anls",
)
AFFINITIES = ("knn", "knn-self", "precomputed")
BACKENDS = ("flex", "ndarray", "wgpu", "cpu")


class SymNMF(ClusterMixin, BaseEstimator):
    """Graph clustering by symmetric NMF: ``A ≈ UUᵀ`` with ``U ≥ 0`` (n_samples × n_components)
    for a similarity graph ``A`` of the samples; the cluster of a sample is the argmax of its
    row of ``U``.

    Parameters
    ----------
    n_components : int, default=8
        Number of clusters r (the columns of U).
    method : str, default='symnmf-net'
        'symnmf-net' (the unrolled network of Li, Kong & Lin, trained with Adam; settings chosen
        without labels), or a classical solver: 'symanls', 'symhals' (Zhu et al. 2018),
        'symnewton', 'pgd' (Kuang et al. 2015), 'admm' (Lu, Hong & Wang 2017), 'scheme4',
        'kuang-anls'.
    affinity : str, default='knn'
        How A is obtained from X. 'knn': the self-tuning Gaussian kNN graph of Kuang, Yun & Park
        (⌊log₂ n⌋+1 neighbours, σ_i the distance to the 7th, normalised-cut scaling), built
        sparse. 'knn-self' (or 'knn-self:K'): binary kNN connectivity with each point itself,
        (C + Cᵀ)/2, ncut scaling — the SymNMF-Net paper's graph. 'precomputed': X is A itself,
        a symmetric nonnegative n × n array or scipy.sparse matrix.
    neighbors : str, default='exact'
        How the graph's nearest neighbours are found from X: 'exact' (every distance), or
        'hnsw' / 'hnsw:EF' (approximate: HNSW graphs on 96 principal axes, EF candidates, default
        18; the neighbours found keep their exact distances; seeded) for n in the tens of
        thousands and more. Must be 'exact' with affinity='precomputed'.
    n_restarts : int or None, default=None
        Seeded starts (seeds random_state, random_state+1, …); the one with the lowest relative
        error ‖A − UUᵀ‖²/‖A‖² is kept — labels are never used. None: nmfnet's default (3).
    max_iter : int or None, default=None
        Classical methods: the iteration budget (default 1000). 'symnmf-net': the most epochs
        (default 600).
    tol : float or None, default=None
        Classical methods: the relative projected-gradient tolerance (default 1e-4).
        'symnmf-net': the loss-plateau tolerance (default 1e-4 over 30 epochs).
    random_state : int, RandomState instance or None, default=None
        Seed of the first start. An int is used as it is, so ``random_state=S`` gives what
        ``nmfnet cluster --seed S`` gives on the same input.
    backend : str, default='flex'
        Burn backend of 'symnmf-net' ('flex', 'ndarray' or 'wgpu' when compiled in; see
        ``nmfnet.backends()``). The classical solvers run on the CPU in f64 whatever it says.
    verbose : int, default=0
        > 0: progress bars on stderr (when it is a terminal) and one line per start at the end.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,), int64
    U_ : ndarray of shape (n_samples, n_components), float64 — the factor of the start kept.
    reconstruction_err_ : float — its relative error ‖A − UUᵀ‖_F² / ‖A‖_F².
    n_iter_ : int — iterations (classical) or epochs (SymNMF-Net) of the start kept.
    affinity_matrix_ : scipy.sparse CSR matrix or ndarray — the graph A that was factorised.
    restarts_ : list of dict — every start: seed, rel_error, seconds.
    summary_ : dict — everything ``nmfnet cluster --json`` reports for the same fit.
    n_features_in_ : int
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(METHODS))],
        "affinity": [str],
        "neighbors": [str],
        "n_restarts": [Interval(Integral, 1, 1000, closed="both"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "backend": [StrOptions(set(BACKENDS))],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=8,
        *,
        method="symnmf-net",
        affinity="knn",
        neighbors="exact",
        n_restarts=None,
        max_iter=None,
        tol=None,
        random_state=None,
        backend="flex",
        verbose=0,
    ):
        self.n_components = n_components
        self.method = method
        self.affinity = affinity
        self.neighbors = neighbors
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.backend = backend
        self.verbose = verbose

    def _graph_name(self):
        a = self.affinity
        if a == "knn":
            return "kuang"
        if a == "knn-self" or (a.startswith("knn-self:") and a[len("knn-self:"):].isdigit()):
            return a
        raise ValueError(
            f"affinity must be 'knn', 'knn-self', 'knn-self:K' or 'precomputed', got {a!r}"
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.affinity == "precomputed":
            tags.input_tags.pairwise = True
            tags.input_tags.sparse = True
            tags.input_tags.positive_only = True
        return tags

    def _job(self, seed, graph=None):
        """The cluster job of nmfnet (what ``nmfnet cluster --job`` reads) for these settings;
        the data is handed over beside it."""
        if self.method == "symnmf-net":
            config = json.loads(_core.net_config("default"))
            if self.max_iter is not None:
                config["epochs"] = int(self.max_iter)
            if self.tol is not None:
                config["plateau_tol"] = float(self.tol)
            solver = {"net": {"backend": self.backend, "config": config}}
        else:
            classical = {"method": self.method}
            if self.max_iter is not None:
                classical["max_iter"] = int(self.max_iter)
            if self.tol is not None:
                classical["tol"] = float(self.tol)
            solver = {"classical": classical}
        job = {
            "rank": int(self.n_components),
            "seed": seed,
            "solver": solver,
            "run": {"progress": bool(self.verbose)},
        }
        if self.n_restarts is not None:
            job["restarts"] = int(self.n_restarts)
        if graph is not None:
            job["graph"] = json.loads(_core.graph_params(graph, self.neighbors))
        return json.dumps(job)

    def fit(self, X, y=None):
        """Builds (or takes) the graph of X and factorises it. y is ignored."""
        self._validate_params()
        precomputed = self.affinity == "precomputed"
        graph = None if precomputed else self._graph_name()
        if precomputed and self.neighbors != "exact":
            raise ValueError(
                f"neighbors={self.neighbors!r} needs features: with affinity='precomputed' X is the graph"
            )
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc", "coo"] if precomputed else False,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2,
        )
        seed = seed_of(self.random_state)
        if precomputed:
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    f"affinity='precomputed' needs a square n × n similarity matrix, got shape {X.shape}"
                )
            check_non_negative(X, "SymNMF (affinity='precomputed')")
            if sp.issparse(X):
                A = sp.csr_matrix(X, dtype=np.float32)
                A.sum_duplicates()
                A.sort_indices()
                u, labels, summary, _ = _core.cluster_csr(
                    A.shape[0],
                    A.indptr.astype(np.int64),
                    A.indices.astype(np.int64),
                    A.data,
                    self._job(seed),
                )
            else:
                A = X
                u, labels, summary, _ = _core.cluster(as_f32(X), False, self._job(seed))
        else:
            Z = as_f32(X)
            job = self._job(seed, graph)
            u, labels, summary, (indptr, indices, data) = _core.cluster(Z, True, job)
            n = Z.shape[0]
            A = sp.csr_matrix((data, indices, indptr), shape=(n, n))
        summary = json.loads(summary)
        self.U_ = u.astype(np.float64)
        self.labels_ = labels.astype(np.int64)
        self.reconstruction_err_ = float(summary["rel_error"])
        self.n_iter_ = int(summary.get("iterations", summary.get("epochs", 0)))
        self.restarts_ = summary["restarts"]
        self.summary_ = summary
        self.affinity_matrix_ = A
        if self.verbose:
            for r in self.restarts_:
                kept = " (kept)" if r["seed"] == summary["seed"] else ""
                print(
                    f"[SymNMF] {self.method} seed {r['seed']}: rel. error {r['rel_error']:.6f}, "
                    f"{r['seconds']:.2f} s{kept}",
                    file=sys.stderr,
                )
        return self

    def fit_predict(self, X, y=None):
        """Fits and returns ``labels_``."""
        return self.fit(X).labels_
