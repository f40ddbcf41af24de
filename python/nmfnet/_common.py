"""Helpers shared by the estimators."""

import numpy as np
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
