"""Helpers shared by the estimators."""

import functools

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

# Seeds are drawn below this bound when random_state is not an int.
_SEED_BOUND = np.iinfo(np.int32).max


def seed_of(random_state):
    """The Rust seed of a scikit-learn ``random_state``: an int is used as it is (so the same
    seed gives what ``nmfnet cluster --seed S`` gives); None or a RandomState draws one."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be ≥ 0, got {random_state}")
        return int(random_state)
    return int(check_random_state(random_state).randint(_SEED_BOUND))


def as_f32(a):
    """A float32 view or copy of a validated float array (any layout: the binding reads it as
    it is, without a contiguous copy of its own)."""
    return np.asarray(a, dtype=np.float32)


# The largest magnitude handed to the core as it is lies in [2^-100, 2^100]; beyond, the data
# are scaled by a power of two first (as ``nmfnet`` does with the files it reads).
_F32_RANGE_EXP = 100


def range_exponent(a):
    """The exponent k of :func:`f32_in_range` alone (no copy of ``a``): 0 when the largest |a|
    is 0 or lies in [2^-100, 2^100], else -floor(log2 max|a|); a NaN or an infinity is a
    ValueError."""
    values = a.data if sp.issparse(a) else np.asarray(a)
    # max |a| without a temporary of a's size.
    big = max(float(values.max()), -float(values.min())) if values.size else 0.0
    if not np.isfinite(big):
        raise ValueError("Input contains NaN or infinity.")
    if big != 0.0 and not (2.0**-_F32_RANGE_EXP <= big <= 2.0**_F32_RANGE_EXP):
        # big = m·2^e with m in [0.5, 1): floor(log2 big) = e − 1, exactly.
        return 1 - int(np.frexp(big)[1])
    return 0


def f64_in_range(a):
    """``(a64, k)``: float64 data for the core, ``a64 = 2^k · a`` exactly, k as in
    :func:`f32_in_range` (0 within 2^±100, where ``a64`` is ``a`` as float64, not copied when it
    already is). The core solves float64 data as they are."""
    k = range_exponent(a)
    values = np.asarray(a, dtype=np.float64)
    return (np.ldexp(values, k) if k else values), k


def f32_in_range(a):
    """``(a32, k)``: float32 data for the core, ``a32 = float32(2^k · a)``, and the exponent k.

    k = 0, and ``a32`` is ``as_f32(a)`` bit for bit (a scipy.sparse matrix: ``a.astype(float32)``,
    same format), when the largest |a| is 0 or lies in [2^-100, 2^100]; otherwise
    k = -floor(log2 max|a|), which brings the largest into [1, 2), so that values far beyond
    float32's range (1e-50 would round to zero, 1e100 to infinity) keep float32's precision.
    A power of two multiplies exactly: ``a32`` is the float32 rounding of 2^k·a itself, and
    2^-k·a32 (in float64) is a to float32 precision. This is what ``nmfnet`` does with the
    values of the files it reads (reporting k as ``input_exponent``). ``a`` is a validated float
    ndarray or scipy.sparse matrix and is never modified; a NaN or an infinity is a ValueError."""
    sparse = sp.issparse(a)
    values = a.data if sparse else np.asarray(a)
    k = range_exponent(a)
    if sparse:
        if k == 0:
            return a.astype(np.float32), 0
        scaled = a.copy()
        scaled.data = np.ldexp(scaled.data, k)
        return scaled.astype(np.float32), k
    if k == 0:
        return as_f32(a), 0
    return as_f32(np.ldexp(values, k)), k


_blas = None


def quiet_blas(method):
    """`method` run inside :func:`one_blas_thread`."""

    @functools.wraps(method)
    def run(*args, **kwargs):
        with one_blas_thread():
            return method(*args, **kwargs)

    return run


def one_blas_thread():
    """A context in which numpy's BLAS runs on one thread — around a whole fit, so that the
    estimator's own numpy products (starts, the reconstruction error) leave no OpenBLAS threads
    spinning beside the core's threads: after a multithreaded numpy product they spin for a
    while, and a fit that starts then shares the cores with them (measured on the 2-core EPYC:
    a sparse MU iteration took 3.2 ms instead of 2.3 when the last fit's error product ran on
    two threads). The user's setting is restored on exit."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")
