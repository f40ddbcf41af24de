"""Python overhead of nmfnet's estimators against the command line, on MNIST₁ (n 3147, r 10).

The same input (MNIST₁'s features, saved once as .npy) and seed, one start each:
* CLI: `nmfnet cluster --features mnist1.npy --rank 10 --method M --restarts 1 --seed 0 --json`
  — its reported `seconds` (reading the file, the graph, the fit) and the whole process;
* Python: `SymNMF(10, method=M, n_restarts=1, random_state=0).fit(X)` — the wall time of `fit`
  after np.load (validation, the copy to f32, the graph, the fit, the arrays back).
Median of 3 each, alternating. Usage: python bench/python/overhead.py NMFNET_BIN DATA_DIR
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nmfnet


def main():
    cli, data = sys.argv[1], sys.argv[2]
    X, _ = nmfnet.load_dataset("mnist1", data)
    tmp = Path(tempfile.mkdtemp())
    np.save(tmp / "mnist1.npy", X)
    print("| method | CLI `seconds` | CLI process | Python `fit` | Python fit / CLI seconds |")
    print("|---|---|---|---|---|")
    for method in ("symhals", "symnmf-net"):
        cli_s, cli_wall, py_s = [], [], []
        for _ in range(3):
            t = time.perf_counter()
            out = subprocess.run(
                [cli, "cluster", "--features", str(tmp / "mnist1.npy"), "--rank", "10", "--method", method,
                 "--restarts", "1", "--seed", "0", "--json", "--quiet"],
                capture_output=True, text=True, check=True,
            )
            cli_wall.append(time.perf_counter() - t)
            summary = json.loads(out.stdout.strip().splitlines()[-1])
            cli_s.append(summary["seconds"])
            Xl = np.load(tmp / "mnist1.npy")
            t = time.perf_counter()
            est = nmfnet.SymNMF(10, method=method, n_restarts=1, random_state=0).fit(Xl)
            py_s.append(time.perf_counter() - t)
            assert est.reconstruction_err_ == summary["rel_error"]
        c, w, p = (statistics.median(v) for v in (cli_s, cli_wall, py_s))
        print(f"| {method} | {c:.3f} | {w:.3f} | {p:.3f} | {p / c:.3f} |")


if __name__ == "__main__":
    main()
