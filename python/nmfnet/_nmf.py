"""NMF: X ≈ W·H with the interface of sklearn.decomposition.NMF."""

import json
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from . import _core
from ._common import as_f32, seed_of


class NMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorisation ``X ≈ W·H`` (W: n_samples × k, H = ``components_``:
    k × n_features), minimising ‖X − WH‖_F, with ``sklearn.decomposition.NMF``'s interface.

    Parameters
    ----------
    n_components : int, 'auto' or None, default='auto'
        k; 'auto' or None: n_features.
    init : None, 'random', 'nndsvd', 'nndsvda' or 'custom', default=None
        The start: nmfnet draws W and H uniformly, scaled so that WH has the mean of X, from
        random_state ('random'; None means the same — scikit-learn's None picks 'nndsvda'
        when k ≤ min(X.shape), so pass init='nndsvda' for its start); 'nndsvd' takes the
        positive parts of the leading singular pairs (Boutsidis & Gallopoulos), 'nndsvda'
        fills its zeros with the mean of X (scikit-learn's, from an exact SVD: scikit-learn's
        randomized SVD gives the same where it is exact, which a test checks);
        'custom' takes ``fit_transform(X, W=, H=)``. scikit-learn's 'nndsvdar' is refused.
    solver : 'hals', 'mu' or 'anls', default='hals'
        HALS (Cichocki–Phan; the counterpart of scikit-learn's 'cd'), Lee–Seung multiplicative
        updates, or alternating NNLS by block principal pivoting (Kim–Park).
    tol : float, default=1e-4
        Tolerance of the stop rule.
    stop : 'auto', 'violation' or 'projected-gradient', default='auto'
        'violation' (HALS only): scikit-learn's coordinate-descent rule — stop once a sweep's
        violation (the sum of |projected gradient| over the entries, taken before each update)
        is at most tol times the first sweep's; the objective is not computed per iteration.
        'projected-gradient': nmfnet's SPEC rule (the projected gradient's norm relative to the
        start's below tol for 3 iterations after at least 20; ``nmfnet nmf``'s default).
        'auto': 'violation' for 'hals', 'projected-gradient' for 'mu' and 'anls'.
    max_iter : int, default=200
    random_state : int, RandomState instance or None, default=None
        An int is used as the seed as it is (``nmfnet nmf --seed S``).
    verbose : int, default=0

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
    n_components_ : int
    reconstruction_err_ : float — ‖X − WH‖_F of the fit (scikit-learn's definition).
    n_iter_ : int
    n_features_in_ : int

    ``fit_transform`` returns W solved exactly (nonnegative least squares) for the final H, so
    it equals ``fit(X).transform(X)``; ``transform`` solves the same problem for new rows.
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "init": [StrOptions({"random", "nndsvd", "nndsvda", "custom"}), None],
        "solver": [StrOptions({"hals", "mu", "anls"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "stop": [StrOptions({"auto", "violation", "projected-gradient"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        init=None,
        solver="hals",
        tol=1e-4,
        stop="auto",
        max_iter=200,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.tol = tol
        self.stop = stop
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit_transform(self, X, y=None, W=None, H=None):
        """Fits the model and returns W (n_samples × n_components). y is ignored; W and H
        are the start with ``init='custom'`` (both needed, both ≥ 0)."""
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=1)
        check_non_negative(X, "NMF (input X)")
        start = {}
        if self.init == "custom":
            if W is None or H is None:
                raise ValueError("init='custom' needs both W and H")
            W, H = np.asarray(W), np.asarray(H)
            check_non_negative(W, "NMF (input W)")
            check_non_negative(H, "NMF (input H)")
            if self.n_components in (None, "auto") and H.ndim == 2:
                k = H.shape[0]
            else:
                k = X.shape[1] if self.n_components in (None, "auto") else int(self.n_components)
            if W.shape != (X.shape[0], k) or H.shape != (k, X.shape[1]):
                raise ValueError(
                    f"init='custom' needs W of shape {(X.shape[0], k)} and H of shape "
                    f"{(k, X.shape[1])}, got {W.shape} and {H.shape}"
                )
            # nmfnet's H₀ (m × k) is scikit-learn's W, its W₀ (k × n) scikit-learn's H.
            start = {"h0": as_f32(W), "w0": as_f32(H)}
        elif W is not None or H is not None:
            raise ValueError("W and H are a start: pass init='custom' with them")
        else:
            k = X.shape[1] if self.n_components in (None, "auto") else int(self.n_components)
        job = {
            "method": self.solver,
            "init": self.init if self.init in ("nndsvd", "nndsvda") else "random",
            "params": {
                "rank": k,
                "seed": seed_of(self.random_state),
                "max_iter": int(self.max_iter),
                "tol": float(self.tol),
                "stop": self._stop_rule() or "projected-gradient",
            },
            "run": {"progress": False},
        }
        # Y = X: nmfnet's H (m × k) is scikit-learn's W, its W (k × n) the components.
        _, components, summary = _core.nmf(as_f32(X), json.dumps(job), **start)
        summary = json.loads(summary)
        self.components_ = components.astype(X.dtype)
        self.n_components_ = k
        self.n_iter_ = int(summary["iterations"])
        self.summary_ = summary
        W_out = self._solve(X)
        self.reconstruction_err_ = float(np.linalg.norm(X - W_out @ self.components_))
        if self.verbose:
            print(
                f"[NMF] {self.solver}: {self.n_iter_} iterations, "
                f"‖X − WH‖_F = {self.reconstruction_err_:.6g}"
            )
        return W_out

    def _stop_rule(self):
        if self.stop == "auto":
            return "violation" if self.solver == "hals" else "projected-gradient"
        if self.stop == "violation" and self.solver != "hals":
            raise ValueError(f"stop='violation' is HALS's rule; solver={self.solver!r} stops by the projected gradient")
        return self.stop

    def fit(self, X, y=None, **params):
        """Fits the model. y is ignored."""
        self.fit_transform(X, **params)
        return self

    def _solve(self, X):
        return _core.transform(as_f32(self.components_), as_f32(X)).astype(X.dtype)

    def transform(self, X):
        """W ≥ 0 minimising ‖X − W·components_‖_F, row by row."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        check_non_negative(X, "NMF (input X)")
        return self._solve(X)

    def inverse_transform(self, X):
        """X ≈ W·components_ from W."""
        check_is_fitted(self)
        return np.asarray(X) @ self.components_
