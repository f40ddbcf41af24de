"""SymNMF per iteration against pyplanc (issue 39: keep ≥ 3× ahead of its ANLS-BPP): nmfnet's
SymHALS and SymANLS (`nmfnet.SymNMF(affinity='precomputed')`) and pyplanc 0.0.2's `symNMF`
(`anlsbpp`, `gnsym`) on the digits 10-NN graph (1797 nodes, k = 10) and a 10⁵-node planted
graph (`nmfnet data planted-graph --nodes 100000 --blocks 10 --degree 20`, 4·10⁶ entries,
k = 10). Each tool runs in its own process, one start per fit (nmfnet's estimator runs 3
restarts by default: `n_restarts=1` here); per iteration = (t(11) − t(1)) / 10, t(n) the median
of 5 fits of n iterations. pyplanc needs numpy < 2.3: give its venv's python.
Usage: python symnmf_peers.py PLANC_PYTHON [path/to/nmfnet]
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse as sp

CHILD = r'''
import json, statistics, sys, time, warnings
import numpy as np, scipy.sparse as sp
warnings.simplefilter("ignore")
path, tool, algo, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
A = sp.load_npz(path)
if tool == "pyplanc":
    import pyplanc
    A = A.tocsc().astype(np.float64)
    def fit(n):
        pyplanc.symNMF(A, k, niter=n, algo=algo, ncores=2)
else:
    from nmfnet import SymNMF
    A = A.tocsr().astype(np.float64)
    def fit(n):
        SymNMF(k, method=algo, affinity="precomputed", n_restarts=1, max_iter=n, tol=0,
               random_state=0).fit(A)
def t(n):
    ts = []
    for _ in range(5):
        a = time.perf_counter(); fit(n); ts.append(time.perf_counter() - a)
    return statistics.median(ts)
fit(1)
one, eleven = t(1), t(11)
print(json.dumps({"one": one, "eleven": eleven, "per_iteration": (eleven - one) / 10}))
'''


def digits_graph():
    from sklearn.datasets import load_digits
    from sklearn.neighbors import kneighbors_graph

    X, _ = load_digits(return_X_y=True)
    A = kneighbors_graph(X, 10, include_self=False)
    return ((A + A.T) / 2).tocsr().astype(np.float64)


def main():
    planc = sys.argv[1]
    cli = sys.argv[2] if len(sys.argv) > 2 else "target/release/nmfnet"
    with tempfile.TemporaryDirectory() as d:
        graphs = {"digits 10-NN graph (1797 nodes)": os.path.join(d, "digits.npz"),
                  "planted graph (10⁵ nodes, 4·10⁶ entries)": os.path.join(d, "planted.npz")}
        sp.save_npz(graphs["digits 10-NN graph (1797 nodes)"], digits_graph())
        subprocess.run([cli, "data", "planted-graph", "--nodes", "100000", "--blocks", "10",
                        "--degree", "20", "--out", graphs["planted graph (10⁵ nodes, 4·10⁶ entries)"],
                        "--labels-out", os.path.join(d, "labels.npy")], check=True,
                       capture_output=True)
        runs = [("nmfnet", sys.executable, "symhals"), ("nmfnet", sys.executable, "symanls"),
                ("pyplanc", planc, "anlsbpp"), ("pyplanc", planc, "gnsym")]
        for label, path in graphs.items():
            nnz = sp.load_npz(path).nnz
            print(f"{label}, {nnz} entries, k = 10")
            per = {}
            for tool, python, algo in runs:
                out = subprocess.run([python, "-c", CHILD, path, tool, algo, "10"],
                                     capture_output=True, text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                per[(tool, algo)] = r["per_iteration"]
                print(f"  {tool:8s} {algo:8s} per iteration {1e3 * r['per_iteration']:8.2f} ms  "
                      f"(fits of 1 / 11 iterations: {r['one']:.3f} / {r['eleven']:.3f} s)")
            ref = per[("pyplanc", "anlsbpp")]
            for algo in ("symhals", "symanls"):
                print(f"  pyplanc anlsbpp / nmfnet {algo}: {ref / per[('nmfnet', algo)]:.1f}×")


if __name__ == "__main__":
    main()
