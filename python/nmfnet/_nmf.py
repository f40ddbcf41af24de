"""NMF: X ≈ W·H with the interface of sklearn.decomposition.NMF."""

import json
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from . import _core
from ._common import f64_in_range, quiet_blas, range_exponent, seed_of


class NMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorisation ``X ≈ W·H`` (W: n_samples × k, H = ``components_``:
    k × n_features), minimising ‖X − WH‖_F, with ``sklearn.decomposition.NMF``'s interface.

    Parameters
    ----------
    n_components : int, 'auto' or None, default='auto'
        k; None: n_features; 'auto': the rows of H with ``init='custom'``, else n_features.
        k may exceed min(X.shape) except with the NNDSVD starts (scikit-learn's rule).
    init : None, 'random', 'nndsvd', 'nndsvda', 'nndsvdar' or 'custom', default=None
        The start: 'random' draws W and H uniformly, scaled so that WH has the mean of X, from
        random_state (nmfnet's generator: ``nmfnet nmf --seed S`` draws the same); 'nndsvd'
        takes the positive parts of the leading singular pairs (Boutsidis & Gallopoulos),
        'nndsvda' fills its zeros with the mean of X (scikit-learn's, from an exact SVD:
        scikit-learn's randomized SVD gives the same where it is exact, which a test checks),
        'nndsvdar' with |mean(X)·z|/100, z standard normal from random_state; None is
        scikit-learn's choice: 'nndsvda' where k ≤ min(X.shape), else 'random' ('random' for a
        sparse X). 'custom' takes ``fit_transform(X, W=, H=)``, W and H of X's dtype (a
        TypeError otherwise, as in scikit-learn).
    solver : 'hals', 'cd', 'ehals', 'mu', 'anls' or 'ccd', default='hals'
        HALS (Cichocki–Phan; 'cd' is scikit-learn's name for it), HALS with extrapolation and
        restarts ('ehals', after Ang & Gillis 2019: fewer iterations to the same error;
        Frobenius, no penalties, the divergence rule), Lee–Seung multiplicative updates (for any
        ``beta_loss``, scikit-learn's update), alternating NNLS by block principal pivoting
        (Kim–Park), or 'ccd': cyclic coordinate descent with Newton steps for
        ``beta_loss='kullback-leibler'`` (Hsieh & Dhillon 2011), faster than MU.
    beta_loss : float or 'frobenius', 'kullback-leibler', 'itakura-saito', default='frobenius'
        The β-divergence minimised (2, 1, 0 for the names), scikit-learn's definitions; β ≠ 2
        is solved by 'mu' only. With β ≤ 0, X may not contain zeros.
    alpha_W, alpha_H : float, default=0.0 and 'same'
        Penalty weights of W and H ('same': alpha_W), scikit-learn's: the objective adds
        alpha_W·l1_ratio·n_features·‖W‖₁ + ½·alpha_W·(1 − l1_ratio)·n_features·‖W‖²_F and the
        same for H with n_samples.
    l1_ratio : float in [0, 1], default=0.0
    tol : float, default=1e-4
        Tolerance of the stop rule.
    stop : 'auto', 'violation', 'divergence' or 'projected-gradient', default='auto'
        'violation' (HALS only): scikit-learn's coordinate-descent rule — stop once a sweep's
        violation (the sum of |projected gradient| over the entries, taken before each update)
        is at most tol times the first sweep's; the objective is not computed per iteration.
        'projected-gradient': nmfnet's SPEC rule (the projected gradient's norm relative to the
        start's below tol for 3 iterations after at least 20; ``nmfnet nmf``'s default).
        'divergence' ('mu', 'ccd', 'ehals'): scikit-learn's multiplicative-update rule — every 10
        iterations, stop once the drop of √(2·d_β) since the last check is below tol times the
        start's.
        'auto': 'violation' for 'hals'/'cd', 'divergence' for 'mu', 'projected-gradient' for
        'anls'.
    max_iter : int, default=200
        A fit that stops here before the stop rule holds warns (``ConvergenceWarning``)
        unless tol is 0.
    random_state : int, RandomState instance or None, default=None
        An int is used as the seed as it is (``nmfnet nmf --seed S``).
    verbose : int, default=0
        Progress lines while the solver runs, scikit-learn's where it has them: per sweep
        ``violation: r`` and ``Converged at iteration n`` (violation rule), every 10 iterations
        ``Epoch nn reached after s seconds, error: e`` (divergence rule), one line per
        iteration with the relative projected gradient and error (projected-gradient rule);
        then one summary line.
    shuffle : bool, default=False
        Visit the k coordinates of each HALS/'cd' sweep in a fresh random order drawn from
        random_state (scikit-learn's ``shuffle``); ignored by the other solvers, as in
        scikit-learn.

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
    n_components_ : int
    reconstruction_err_ : float — ‖X − WH‖_F of the fit, or √(2·d_β(X, WH)) for β ≠ 2
        (scikit-learn's definition: no penalty).
    n_iter_ : int
    n_features_in_ : int

    ``fit_transform`` returns the W of the fit, as scikit-learn's does; ``transform`` solves W
    exactly (nonnegative least squares) for the final H, for new rows or for X itself
    (``fit(X).transform(X)`` fits X at least as well as the fit's W); with β ≠ 2 or a penalty
    it runs the solver on W alone with H fixed, from scikit-learn's constant start
    √(mean(X)/k), as scikit-learn's ``transform`` does.
    NaN entries of X are missing, not zeros: HALS, MU and ANLS (Frobenius) fit X over its observed
    entries only, ``inverse_transform(transform(X))`` imputes them, and ``transform`` solves
    each row over its observed entries; a row or column with no observed entry is a
    ValueError. ``summary_['missing']`` counts them.
    An all-zero X is fitted exactly by W = 0 and H = 0 without a solver run, as in
    scikit-learn (``n_iter_`` is 0). A scipy.sparse X (CSR, CSC, COO) is factorised sparse, in
    float64, never made dense; it starts from 'random' or 'custom' (the NNDSVD starts need a
    dense X).

    The core computes in float64 on X's values as they are (a float32 X widened exactly) and
    returns float64 factors, cast to X's dtype; the precision of its products with X follows X,
    as in scikit-learn: a dense float32 X of at least 65536 entries under the Frobenius loss,
    with nothing missing, is multiplied in float32 (about twice as fast where the products
    dominate; the updates stay float64, and the fit follows the float64 one to float32
    rounding), ``summary_['precision']`` says which. X whose largest entry lies beyond 2^±100
    reaches it as 2^e·X, e the power of two that brings the largest into [1, 2) — exactly,
    and the fit of cX is then c times the fit of X, so that no sum of squares overflows — and
    the results are scaled back: W·``components_`` ≈ X and ``reconstruction_err_`` are X's.
    The power goes on W: ``components_`` is the core's H (a custom start's H that lies beyond
    2^±100 itself goes in as 2^h·H, and ``components_`` is then 2^−h times the core's H, in the
    unit of the H given). ``transform`` scales new rows (and
    ``components_``) the same way, so its exact solve is the same in any unit. ``summary_``, the core's report, is that of 2^e·X (its ``y_scale`` too) and says
    ``input_exponent``: e, as ``nmfnet nmf`` reports such a file.
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "init": [StrOptions({"random", "nndsvd", "nndsvda", "nndsvdar", "custom"}), None],
        "solver": [StrOptions({"hals", "cd", "ehals", "mu", "anls", "ccd"})],
        "beta_loss": [
            StrOptions({"frobenius", "kullback-leibler", "itakura-saito"}),
            Real,
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
        "stop": [StrOptions({"auto", "violation", "divergence", "projected-gradient"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "alpha_W": [Interval(Real, 0, None, closed="left")],
        "alpha_H": [Interval(Real, 0, None, closed="left"), StrOptions({"same"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "verbose": ["verbose"],
        "shuffle": ["boolean"],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        init=None,
        solver="hals",
        beta_loss="frobenius",
        tol=1e-4,
        stop="auto",
        max_iter=200,
        random_state=None,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        verbose=0,
        shuffle=False,
    ):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.stop = stop
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose
        self.shuffle = shuffle

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit_transform(self, X, y=None, W=None, H=None):
        """Fits the model and returns W (n_samples × n_components). y is ignored; W and H
        are the start with ``init='custom'`` (both needed, both ≥ 0, of X's dtype)."""
        return self._fit_transform(X, W, H)

    @quiet_blas
    def _fit_transform(self, X, W=None, H=None, rank_selection=None, out=None):
        """fit_transform, or (``rank_selection``: the core's job field) the fit at the rank
        that cross-validation chooses; ``out``: the core's run folder."""
        self._validate_params()
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc", "coo"),
            dtype=[np.float64, np.float32],
            ensure_min_samples=1,
            ensure_all_finite="allow-nan",
        )
        check_non_negative(X, "NMF (input X)")
        # NaN entries are missing: X goes on with them at 0, their places to the core.
        X, missing = _missing_of(X)
        beta = self._beta()
        if beta <= 0 and (X.nnz < X.shape[0] * X.shape[1] or (X.data == 0).any() if sp.issparse(X) else (X == 0).any()):
            raise ValueError(
                "When beta_loss <= 0 and X contains zeros, the solver may diverge. Please add "
                "small values to X, or use a positive beta_loss."
            )
        # X beyond 2^±100 goes to the core as 2^e·X (exact; e = 0 within).
        # A sparse X goes as CSR arrays in float64 (Xs = 2^e·X, made once) and is never made
        # dense.
        if sp.issparse(X):
            e = range_exponent(X)
            Xs = _csr64(X, e)
        elif X.dtype == np.float32 and range_exponent(X) == 0:
            # Held as float32 by the core when its products are (below), else widened there.
            X64, e = X, 0
        else:
            X64, e = f64_in_range(X)
        start, h_exp = {}, 0
        if self.init == "custom":
            k, W, H = self._custom_start(X, W, H)
            # 2^e·X ≈ (2^(e−h)·W)·(2^h·H), with h = 0 unless H itself lies beyond 2^±100:
            # the start of the scaled problem is the user's, exactly.
            H64, h_exp = f64_in_range(H)
            W64 = _ldexp(W, e - h_exp) if e != h_exp else np.asarray(W, dtype=np.float64)
            # nmfnet's H₀ (m × k) is scikit-learn's W, its W₀ (k × n) scikit-learn's H.
            start = {"h0": W64, "w0": H64}
        elif W is not None or H is not None:
            raise ValueError("W and H are a start: pass init='custom' with them")
        else:
            k = X.shape[1] if self.n_components in (None, "auto") else int(self.n_components)
            if self.init in ("nndsvd", "nndsvda", "nndsvdar") and k > min(X.shape):
                # scikit-learn's _initialize_nmf: the SVD has min(X.shape) pairs.
                raise ValueError(
                    f"init = '{self.init}' can only be used when "
                    f"n_components <= min(n_samples, n_features); got n_components = {k} "
                    f"for X of shape {X.shape}"
                )
        params = {
            "rank": k,
            "seed": seed_of(self.random_state),
            "max_iter": int(self.max_iter),
            "tol": float(self.tol),
            "stop": self._stop_rule(),
            "shuffle": self._shuffle(),
            **self._objective(),
        }
        if not (X.count_nonzero() if sp.issparse(X) else X.any()):
            return self._fit_zero(X, k)
        # The precision follows X, as in scikit-learn: a dense float32 X (at least 65536
        # entries, in f32's range as it is) under the Frobenius objective with nothing missing
        # has its products computed in float32.
        if (
            not sp.issparse(X)
            and X.dtype == np.float32
            and X.size >= 1 << 16
            and e == 0
            and params["beta_loss"] == 2.0
            and missing is None
            and rank_selection is None
        ):
            params["precision"] = "f32"
        elif not sp.issparse(X):
            X64 = np.asarray(X64, dtype=np.float64)
        job = {
            "method": self._method(),
            "init": self._start(X, k),
            "params": params,
            "run": {"progress": False},
        }
        if rank_selection is not None:
            job["rank_selection"] = rank_selection
        if out is not None:
            job["run"]["out"] = str(out)
        # Y = X: nmfnet's H (m × k) is scikit-learn's W, its W (k × n) the components.
        fit_W, components, summary = _run_core(
            Xs if sp.issparse(X) else X64, json.dumps(job), start, missing, self.verbose
        )
        summary = json.loads(summary)
        if e:
            summary["input_exponent"] = e
        # The components of 2^e·X, in the start's unit for H (2^−h of the core's): with W in X's
        # unit (below) W·components_ ≈ X.
        if h_exp:
            components = _ldexp(components, -h_exp)
        self.components_ = components.astype(X.dtype)
        k = int(summary["rank"])
        self.n_components_ = self._n_components = k
        self.n_iter_ = int(summary["iterations"])
        self.summary_ = summary
        # The fit's W (the core's H), as scikit-learn's fit_transform returns it: the core
        # fitted 2^e·X ≈ H·W with W = 2^h·components_, so X ≈ (2^(h−e)·H)·components_.
        W_out = (_ldexp(fit_W, h_exp - e) if (e or h_exp) else fit_W).astype(X.dtype)
        # ‖X − WH‖_F in X's dtype, taken as 2^−e·‖2^e·X − (2^e·W)H‖_F (the same number, exactly,
        # but its squares neither underflow nor overflow where X lies beyond 2^±100).
        if beta != 2 or missing is not None:
            # d_β(2^e·X, 2^e·WH) = 2^(eβ)·d_β(X, WH) (with missing entries: ½‖M∘(X − WH)‖²).
            d = max(float(summary["divergence"]), 0.0)
            self.reconstruction_err_ = float(np.sqrt(2 * d) * 2.0 ** (-e * beta / 2))
        elif sp.issparse(X):
            # From the core's own factors (within 2^±100), whatever a custom start's
            # scale: 2^e·X ≈ fit_W·components, components = 2^h·components_.
            core_H = _ldexp(self.components_, h_exp) if h_exp else self.components_
            self.reconstruction_err_ = _sparse_residual(Xs, fit_W, core_H, e)
        elif e:
            scaled_W = _ldexp(W_out, e).astype(X.dtype)
            R = _ldexp(X, e).astype(X.dtype) - scaled_W @ self.components_
            self.reconstruction_err_ = float(np.ldexp(float(np.linalg.norm(R)), -e))
        else:
            self.reconstruction_err_ = float(np.linalg.norm(X - W_out @ self.components_))
        if summary["stop_reason"] == "max_iterations" and self.tol > 0:
            warnings.warn(
                f"Maximum number of iterations {self.max_iter} reached. Increase it to "
                "improve convergence.",
                ConvergenceWarning,
            )
        if self.verbose:
            print(
                f"[NMF] {self.solver}: {self.n_iter_} iterations, "
                f"‖X − WH‖_F = {self.reconstruction_err_:.6g}"
            )
        return W_out

    def _custom_start(self, X, W, H):
        """k and the start (W, H) of ``init='custom'``, checked as scikit-learn's _check_w_h
        checks them: both given, shapes, W, H ≥ 0, X's dtype."""
        if W is None or H is None:
            raise ValueError("init='custom' needs both W and H")
        W, H = np.asarray(W), np.asarray(H)
        check_non_negative(W, "NMF (input W)")
        check_non_negative(H, "NMF (input H)")
        if self.n_components == "auto" and H.ndim == 2:
            k = H.shape[0]
        else:
            k = X.shape[1] if self.n_components in (None, "auto") else int(self.n_components)
        # scikit-learn's words for each way a start can be wrong.
        for A, shape, whom in ((H, (k, X.shape[1]), "NMF (input H)"), (W, (X.shape[0], k), "NMF (input W)")):
            for axis, which in ((0, "first"), (1, "second")):
                if A.ndim != 2 or A.shape[axis] != shape[axis]:
                    got = A.shape[axis] if A.ndim == 2 else A.shape
                    raise ValueError(
                        f"Array with wrong {which} dimension passed to {whom}. Expected "
                        f"{shape[axis]}, but got {got}."
                    )
            if A.size and np.max(A) == 0:
                raise ValueError(f"Array passed to {whom} is full of zeros.")
        if H.dtype != X.dtype or W.dtype != X.dtype:
            raise TypeError(
                f"H and W should have the same dtype as X ({X.dtype}). Got "
                f"H.dtype = {H.dtype} and W.dtype = {W.dtype}."
            )
        return k, W, H

    def _fit_zero(self, X, k):
        """X = 0: W = 0, H = 0 fit it exactly (scikit-learn's result); the solvers refuse a
        zero matrix, whose scale is their unit."""
        self.components_ = np.zeros((k, X.shape[1]), dtype=X.dtype)
        self.n_components_ = k
        self.n_iter_ = 0
        self.summary_ = {
            "method": self._method(),
            "m": X.shape[0],
            "n": X.shape[1],
            "rank": k,
            "rel_error": 0.0,
            "iterations": 0,
            "converged": True,
            "stop_reason": "zero_input",
            "precision": "f64",
        }
        self.reconstruction_err_ = 0.0
        return np.zeros((X.shape[0], k), dtype=X.dtype)

    def _start(self, X, k):
        """The core's start: init=None is scikit-learn's choice, 'nndsvda' where k ≤
        min(X.shape), else 'random' (and 'random' for a sparse X, whose singular vectors the
        NNDSVD starts do not take)."""
        if self.init is None:
            return "nndsvda" if k <= min(X.shape) and not sp.issparse(X) else "random"
        return self.init if self.init in ("nndsvd", "nndsvda", "nndsvdar") else "random"

    def _method(self):
        """The core's solver: 'cd' is scikit-learn's name for HALS."""
        return "hals" if self.solver == "cd" else self.solver

    def _beta(self):
        """beta_loss as a float (scikit-learn's names: 2, 1, 0), checked against the solver:
        MU takes any β, 'ccd' β = 1 only, the others β = 2."""
        names = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}
        beta = names[self.beta_loss] if isinstance(self.beta_loss, str) else float(self.beta_loss)
        if self.solver == "ccd" and beta != 1.0:
            raise ValueError(
                f"solver 'ccd' minimises the Kullback-Leibler divergence: pass "
                f"beta_loss='kullback-leibler', not {self.beta_loss!r}"
            )
        if self.solver not in ("mu", "ccd") and beta != 2:
            raise ValueError(
                f"Invalid beta_loss parameter: solver {self.solver!r} does not handle "
                f"beta_loss = {self.beta_loss!r}"
            )
        return beta

    def _objective(self):
        """The core's β and penalties: scikit-learn's alpha_W weighs its W, nmfnet's H."""
        alpha_h = self.alpha_W if self.alpha_H == "same" else self.alpha_H
        return {
            "beta_loss": self._beta(),
            "alpha_h": float(self.alpha_W),
            "alpha_w": float(alpha_h),
            "l1_ratio": float(self.l1_ratio),
        }

    def _shuffle(self):
        """scikit-learn's shuffle: the coordinate order of its coordinate descent (HALS here),
        ignored by the other solvers as scikit-learn ignores it."""
        return bool(self.shuffle) and self._method() == "hals"

    def _plain(self):
        """Frobenius and no penalty: transform is the exact NNLS solve."""
        o = self._objective()
        return o["beta_loss"] == 2 and o["alpha_h"] == 0 and o["alpha_w"] == 0

    def _stop_rule(self):
        method = self._method()
        if self.stop == "auto":
            return {"hals": "violation", "ehals": "divergence", "mu": "divergence", "ccd": "divergence"}.get(method, "projected-gradient")
        if self.stop == "violation" and method != "hals":
            raise ValueError(f"stop='violation' is HALS's rule; solver={self.solver!r} stops by the projected gradient")
        if self.stop == "divergence" and method not in ("mu", "ccd", "ehals"):
            raise ValueError(f"stop='divergence' is MU's rule; solver={self.solver!r} stops otherwise")
        if self._beta() != 2 and self.stop != "divergence":
            raise ValueError(f"beta_loss={self.beta_loss!r} stops by stop='divergence' (or 'auto')")
        return self.stop

    def fit(self, X, y=None, **params):
        """Fits the model. y is ignored."""
        self.fit_transform(X, **params)
        return self

    @property
    def _n_features_out(self):
        """The outputs of transform, named nmf0, nmf1, … by get_feature_names_out."""
        return self.components_.shape[0]

    def _solve(self, X):
        """W ≥ 0 minimising ‖X − W·components_‖_F: the core solves 2^e·X ≈ W'·(2^h·components_)
        in float64 (e, h = 0 unless X or components_ lie beyond 2^±100; see f64_in_range), and
        W = 2^(h−e)·W', exactly, in X's dtype."""
        X, missing = _missing_of(X)
        if not self.components_.any():
            return np.zeros((X.shape[0], self.components_.shape[0]), dtype=X.dtype)
        if missing is not None or not self._plain():
            return self._solve_fixed(X, missing)
        H64, h_exp = f64_in_range(self.components_)
        if sp.issparse(X):
            e = range_exponent(X)
            Xs = _csr64(X, e)
            W = _core.transform_csr(H64, Xs.shape, *_csr_arrays(Xs))
        else:
            X64, e = f64_in_range(X)
            W = _core.transform(H64, X64)
        if h_exp != e:
            return _ldexp(W, h_exp - e).astype(X.dtype)
        return W.astype(X.dtype)

    def _solve_fixed(self, X, missing=None):
        """scikit-learn's transform for β ≠ 2 or a penalty: the solver run on W alone, H =
        components_ fixed, from W = √(mean(X)/k) everywhere, with the fit's β, penalties and
        stop rule (the core fits 2^e·X ≈ (2^(e−h)·W)(2^h·components_), as in fit)."""
        k = self.components_.shape[0]
        if not (X.count_nonzero() if sp.issparse(X) else X.any()):
            return np.zeros((X.shape[0], k), dtype=X.dtype)
        H64, h_exp = f64_in_range(self.components_)
        if sp.issparse(X):
            e = range_exponent(X)
            Xs = _csr64(X, e)
        else:
            X64, e = f64_in_range(X)
        # scikit-learn's starts: W = √(mean(X)/k) for 'mu', W = 0 for coordinate descent (the KL
        # coordinate descent starts as MU does: its logarithms need WH > 0).
        if self._method() in ("mu", "ccd"):
            W0 = np.full((X.shape[0], k), np.sqrt(float(X.mean()) / k))
        else:
            W0 = np.zeros((X.shape[0], k))
        start = {"h0": _ldexp(W0, e - h_exp), "w0": H64}
        params = {
            "rank": k,
            "max_iter": int(self.max_iter),
            "tol": float(self.tol),
            "stop": self._stop_rule(),
            "fix_w": True,
            "seed": seed_of(self.random_state),
            "shuffle": self._shuffle(),
            **self._objective(),
        }
        method = self._method()
        if method in ("anls", "ehals"):
            # No fixed-basis rule of their own: the penalised solve is HALS's.
            method, params["stop"] = "hals", "violation"
        job = json.dumps({"method": method, "init": "random", "params": params, "run": {"progress": False}})
        W, _, _ = _run_core(Xs if sp.issparse(X) else X64, job, start, missing, self.verbose)
        return (_ldexp(W, h_exp - e) if (e or h_exp) else W).astype(X.dtype)

    @quiet_blas
    def transform(self, X):
        """W ≥ 0 minimising ‖X − W·components_‖_F (or, with β ≠ 2 or a penalty, the fit's
        objective over W), row by row."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc", "coo"),
            dtype=[np.float64, np.float32],
            reset=False,
            ensure_all_finite="allow-nan",
        )
        check_non_negative(X, "NMF (input X)")
        return self._solve(X)

    def inverse_transform(self, X):
        """X ≈ W·components_ from W: for a fit with missing entries, their imputation."""
        check_is_fitted(self)
        return np.asarray(X) @ self.components_


def select_rank(
    X,
    ks,
    *,
    n_replicates=3,
    test_fraction=0.1,
    solver="hals",
    max_iter=2000,
    tol=1e-5,
    random_state=None,
    out=None,
):
    """Chooses the rank k of ``X ≈ W·H`` by cross-validation on held-out entries.

    In each of ``n_replicates`` draws a random share ``test_fraction`` of X's observed entries
    is held out (missing), every k of ``ks`` is fitted on the rest from a seeded random start,
    and its relative error on the held-out entries is measured; the chosen k is the smallest
    whose mean error lies within one standard deviation of the lowest mean. X may be dense or
    sparse and hold NaN (missing entries, never held out). The fits must converge for the
    curve to mean anything: hence the tight default ``tol`` (coordinate descent, stopped by
    scikit-learn's violation rule for 'hals'/'cd', its divergence rule for 'mu').

    Returns a dict: ``ks``, ``test_error`` (mean per k), ``test_error_sd``, ``test_errors``
    (per k and draw), ``train_error``, ``best_k``, ``seconds`` and ``model``, an :class:`NMF`
    fitted on the whole of X at ``best_k``. ``out``: a new folder where the core writes the
    fit, ``summary.json`` and the figure of the curve (``rank.svg``, ``rank.png``).
    ``ks='auto'`` tries 1 to min(X.shape, 20).
    """
    ks = [] if isinstance(ks, str) and ks == "auto" else sorted({int(k) for k in ks})
    model = NMF(
        max(ks) if ks else min(min(X.shape), 20),
        init="random",
        solver=solver,
        max_iter=max_iter,
        tol=tol,
        random_state=random_state,
    )
    selection = {"ks": ks, "replicates": int(n_replicates), "test_fraction": float(test_fraction)}
    model._fit_transform(X, rank_selection=selection, out=out)
    curve = model.summary_["rank_selection"]
    model.n_components = model.n_components_
    return {
        "ks": curve["ks"],
        "test_error": curve["mean"],
        "test_error_sd": curve["sd"],
        "test_errors": curve["test_error"],
        "train_error": curve["train_error"],
        "best_k": curve["chosen"],
        "seconds": curve["seconds"],
        "model": model,
    }


def _run_core(X, job, start, missing, verbose=False):
    """The core's NMF of X (float64: a CSR matrix or an array) as the JSON job says, from the
    start given (if any), with the missing entries given (if any): (H, W, summary JSON). With
    verbose, the solver's progress lines are printed while it runs."""
    start = {**start, "verbose": bool(verbose)}
    if missing is not None:
        start = {**start, "missing": missing}
    if sp.issparse(X):
        return _core.nmf_csr(X.shape, *_csr_arrays(X), job, **start)
    if X.dtype == np.float32:
        # A job with float32 products (nothing missing): X goes as it is.
        return _core.nmf32(X, job, **{k: v for k, v in start.items() if k != "missing"})
    return _core.nmf(X, job, **start)


def _missing_of(X):
    """(X with its NaN entries at 0, (rows, columns) of those entries or None). A sparse X
    loses its stored NaNs (a copy); X itself is never modified."""
    if sp.issparse(X):
        if not np.isnan(X.data).any():
            return X, None
        X = sp.csr_matrix(X, copy=True)
        X.sum_duplicates()
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        nan = np.isnan(X.data)
        missing = (rows[nan].astype(np.int64), X.indices[nan].astype(np.int64))
        X.data[nan] = 0.0
        X.eliminate_zeros()
        return X, missing
    nan = np.isnan(X)
    if not nan.any():
        return X, None
    rows, cols = np.nonzero(nan)
    return np.where(nan, 0, X).astype(X.dtype, copy=False), (rows.astype(np.int64), cols.astype(np.int64))


def _csr64(X, e):
    """2^e·X as a float64 CSR matrix with sorted, summed indices: X itself where it already is
    one (e = 0; never modified), else a copy — the core copies the arrays it receives, and a
    second copy here would count at the peak of a fit."""
    if e == 0 and X.format == "csr" and X.dtype == np.float64 and X.has_canonical_format:
        return X
    Xs = sp.csr_matrix(X, dtype=np.float64, copy=True)
    Xs.sum_duplicates()
    if e:
        Xs.data = np.ldexp(Xs.data, e)
    return Xs


def _csr_arrays(Xs):
    """(indptr, indices, data) of a CSR matrix as the core takes them (int32 or int64 indices,
    as scipy holds them)."""
    return Xs.indptr, Xs.indices, Xs.data


def _sparse_residual(Xs, W, H, e):
    """‖X − W'H'‖_F for Xs = 2^e·X sparse and the core's factors W, H of 2^e·X (so that
    W'H' = 2^−e·WH), without an m × n array: ‖2^e·X − WH‖² = ‖Xs‖² − 2⟨XsHᵀ, W⟩ + ⟨WᵀW, HHᵀ⟩,
    brought back by 2^−e."""
    W = np.asarray(W, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    sq = float(Xs.data @ Xs.data) - 2.0 * float(np.sum(np.asarray(Xs @ H.T) * W))
    sq += float(np.sum((W.T @ W) * (H @ H.T)))
    return float(np.ldexp(np.sqrt(max(sq, 0.0)), -e))


def _ldexp(a, k):
    """2^k·a in float64 (exact for float32 or float64 a, short of float64's own range)."""
    return np.ldexp(np.asarray(a, dtype=np.float64), k)
