"""numpy's X @ U (X n x n, U n x r) for `bench all`: the GEMM rate of the machine's BLAS
(OpenBLAS in PyPI's numpy), measured in the same run as ours. Prints one JSON line."""

import argparse
import json
import statistics
import time

import numpy as np

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--r", type=int, required=True)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if threadpool_limits is not None:
        threadpool_limits(a.threads)
    rng = np.random.default_rng(0)
    x = rng.random((a.n, a.n)).astype(a.dtype)
    u = rng.random((a.n, a.r)).astype(a.dtype)
    x @ u
    times = []
    for _ in range(a.reps):
        t = time.perf_counter()
        x @ u
        times.append(time.perf_counter() - t)
    secs = statistics.median(times)
    print(json.dumps({"ms": 1e3 * secs, "gflops": 2.0 * a.n * a.n * a.r / secs / 1e9, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
