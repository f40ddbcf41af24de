"""SymNMF: graph clustering by symmetric NMF, a scikit-learn clusterer."""

import json
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_non_negative, validate_data

from . import _core
from ._common import f32_in_range, quiet_blas, seed_of

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
        (C + Cᵀ)/2, ncut scaling — the SymNMF-Net paper's graph; K others, at most n − 1
        ('knn-self' alone: 10, scikit-learn's ``kneighbors_graph(n_neighbors=11,
        include_self=True)``, or n − 1 when there are fewer than 11 samples). 'precomputed': X
        is A itself, a symmetric nonnegative n × n array or scipy.sparse matrix, not all zeros.
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
        (default 600). A start kept that ran out of it warns (``ConvergenceWarning``) unless
        tol is 0.
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
    U_ : ndarray of shape (n_samples, n_components), float64 — the factor of the start kept
        (of A itself, whatever its unit: see below).
    reconstruction_err_ : float — its relative error ‖A − UUᵀ‖_F² / ‖A‖_F².
    n_iter_ : int — iterations (classical) or epochs (SymNMF-Net) of the start kept.
    affinity_matrix_ : scipy.sparse CSR matrix or ndarray — the graph A that was factorised:
        built from X (float32 CSR), or X itself with affinity='precomputed' (a sparse X as a
        float32 CSR, or as a CSR of X's dtype where its values lie beyond float32's range).
    restarts_ : list of dict — every start: seed, rel_error, seconds.
    summary_ : dict — everything ``nmfnet cluster --json`` reports for the same fit.
    n_features_in_ : int

    The core computes in float32. X (the features, or A itself with affinity='precomputed')
    whose largest |entry| lies beyond 2^±100 (1e-50·A would round to zeros, 1e100·A to
    infinities) reaches it as 2^e·X, e the power of two that brings the largest into [1, 2) —
    exactly, as ``nmfnet cluster`` reads such a file. The graph built from features does not
    depend on their unit, so nothing changes there; a precomputed A's factor is scaled back,
    U_ = 2^(−e/2)·U of 2^e·A (float64; exact for even e, one rounding by 1/√2 for odd e), and
    its labels and relative error are A's. ``summary_`` is the core's report of 2^e·X, as
    ``nmfnet cluster --json`` prints it for such a file, with ``input_exponent``: e; for a
    precomputed A its ``x_scale`` and penalties (λ, α, ρ) are those of 2^e·A — multiply them
    by 2^−e for A's.
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

    @staticmethod
    def _knn_self_of(n):
        """'knn-self' for n samples: nmfnet's default K others, at most the n − 1 there are."""
        default = json.loads(_core.graph_params("knn-self", "exact"))["kind"]["knn-self"]["k"]
        return f"knn-self:{min(default, n - 1)}"

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

    @quiet_blas
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
            if not (X.data if sp.issparse(X) else X).any():
                raise ValueError(
                    "SymNMF (affinity='precomputed'): the affinity is all zeros — U = 0 fits it "
                    "exactly and there are no clusters to find"
                )
            # A beyond float32's range goes to the core as 2^e·A (exact; e = 0 within 2^±100):
            # its U is 2^(e/2) times A's, its labels and relative error A's.
            if sp.issparse(X):
                # CSR in X's dtype (COO duplicates summed), then float32.
                A32, e = f32_in_range(sp.csr_matrix(X))
                A32.sum_duplicates()
                A32.sort_indices()
                u, labels, summary, _ = _core.cluster_csr(
                    A32.shape[0],
                    A32.indptr.astype(np.int64),
                    A32.indices.astype(np.int64),
                    A32.data,
                    self._job(seed),
                )
                A = A32 if e == 0 else self._csr_of(X)
            else:
                A32, e = f32_in_range(X)
                A = X
                u, labels, summary, _ = _core.cluster(A32, False, self._job(seed))
            u_exp = e
        else:
            # Features beyond float32's range are scaled by 2^e alike; the graph does not
            # depend on their unit, so neither do U and the labels.
            Z, e = f32_in_range(X)
            if graph == "knn-self":
                graph = self._knn_self_of(Z.shape[0])
            job = self._job(seed, graph)
            u, labels, summary, (indptr, indices, data) = _core.cluster(Z, True, job)
            n = Z.shape[0]
            A = sp.csr_matrix((data, indices, indptr), shape=(n, n))
            u_exp = 0
        summary = json.loads(summary)
        if e:
            summary["input_exponent"] = e
        self.U_ = _unscale_root(u, u_exp)
        self.labels_ = labels.astype(np.int64)
        self.reconstruction_err_ = float(summary["rel_error"])
        self.n_iter_ = int(summary.get("iterations", summary.get("epochs", 0)))
        self.restarts_ = summary["restarts"]
        self.summary_ = summary
        self.affinity_matrix_ = A
        self._warn_if_stopped_by_budget(summary)
        if self.verbose:
            for r in self.restarts_:
                kept = " (kept)" if r["seed"] == summary["seed"] else ""
                print(
                    f"[SymNMF] {self.method} seed {r['seed']}: rel. error {r['rel_error']:.6f}, "
                    f"{r['seconds']:.2f} s{kept}",
                    file=sys.stderr,
                )
        return self

    @staticmethod
    def _csr_of(X):
        """The given sparse affinity as CSR in its own dtype, duplicates summed, indices sorted
        (a copy: X is left as it is)."""
        A = sp.csr_matrix(X, copy=True)
        A.sum_duplicates()
        A.sort_indices()
        return A

    def _warn_if_stopped_by_budget(self, summary):
        """scikit-learn's ConvergenceWarning when the budget, not the stop rule, ended the start
        kept (not with tol = 0, which asks for the whole budget)."""
        if self.tol == 0:
            return
        if "plateau_stopped" in summary:
            if summary["plateau_stopped"] or summary["epochs"] < summary["max_epochs"]:
                return
            what, budget = "epochs", summary["max_epochs"]
        else:
            if summary["stop_reason"] != "max_iterations":
                return
            what, budget = "iterations", summary["iterations"]
        warnings.warn(
            f"Maximum number of {what} {budget} reached. Increase max_iter to improve "
            "convergence.",
            ConvergenceWarning,
        )

    def fit_predict(self, X, y=None):
        """Fits and returns ``labels_``."""
        return self.fit(X).labels_


def _unscale_root(u, e):
    """U of A from the core's U of 2^e·A: 2^(−e/2)·U in float64 (exact for even e; one rounding,
    by 1/√2, for odd e)."""
    u = np.asarray(u, dtype=np.float64)
    if e == 0:
        return u
    half = e // 2  # e = 2·half + (0 or 1), for either sign of e
    if e - 2 * half:
        u = u * np.sqrt(0.5)
    return np.ldexp(u, -half)
