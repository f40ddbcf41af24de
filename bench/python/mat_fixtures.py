"""Writes the three tiny MATLAB v5 fixtures of datasets/tests/mat_scipy.rs with SciPy (an
independent implementation of the format the Rust reader is checked against).

    python bench/python/mat_fixtures.py datasets/tests/data

SciPy stamps a creation time into the 128-byte header, so regenerated files differ from the
committed ones in those bytes only; the arrays are the same.
"""
import sys
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out.mkdir(parents=True, exist_ok=True)
a = scipy.sparse.csc_matrix(np.array([[1.0, 0, 2], [0, 0, 3]]))
scipy.io.savemat(out / "scipy_plain.mat", {"fea": a, "gnd": np.array([[1], [2]], dtype=np.uint8)}, do_compression=False)
scipy.io.savemat(out / "scipy_compressed.mat", {"fea": a, "faces": np.arange(6.0).reshape(2, 3)}, do_compression=True)
scipy.io.savemat(
    out / "scipy_single_int16.mat",
    {"x": np.array([[1.5, -2.0]], dtype=np.float32), "n": np.array([[7]], dtype=np.int16)},
    do_compression=False,
)
