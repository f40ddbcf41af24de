"""Peak memory of one sparse NMF fit: nmfnet against scikit-learn on issue 39's 5000 × 40000
matrix with 1 % entries (k = 20, 5 iterations). Each tool runs in its own child process, which
loads X from an .npz, warms the estimator up on a slice, resets the kernel's peak-RSS mark
(/proc/self/clear_refs, Linux) and reports the growth of its resident set over the fit (VmHWM
after − VmRSS before) beside X's and the factors' bytes. Usage: python sparse_memory.py
"""

import os
import subprocess
import sys
import tempfile

CHILD = r'''
import gc, sys, warnings
import numpy as np, scipy.sparse as sp
warnings.simplefilter("ignore")
path, tool, solver = sys.argv[1], sys.argv[2], sys.argv[3]
X = sp.load_npz(path).tocsr()
if tool == "nmfnet":
    from nmfnet import NMF as M
else:
    from sklearn.decomposition import NMF as M
M(2, init="random", solver=solver, max_iter=1, tol=0, random_state=0).fit(X[:50])
gc.collect()
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS:")
M(20, init="random", solver=solver, max_iter=5, tol=0, random_state=0).fit(X)
print(status("VmHWM:") - base)
'''


def main():
    import numpy as np
    import scipy.sparse as sp

    X = sp.random(5000, 40000, density=0.01, random_state=0, format="csr", dtype=np.float64)
    xbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    fbytes = (5000 * 20 + 20 * 40000) * 8
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.npz")
        sp.save_npz(path, X)
        print(f"X {xbytes / 2**20:.1f} MB, factors {fbytes / 2**20:.1f} MB")
        for tool, solver in [("nmfnet", "hals"), ("nmfnet", "mu"), ("scikit-learn", "cd"), ("scikit-learn", "mu")]:
            out = subprocess.run([sys.executable, "-c", CHILD, path, tool, solver],
                                 capture_output=True, text=True, check=True)
            grew = int(out.stdout.strip().splitlines()[-1])
            print(f"{tool:13s} {solver:5s} peak growth {grew / 2**20:7.1f} MB  "
                  f"({grew / (xbytes + fbytes):.2f}× X + factors)")


if __name__ == "__main__":
    main()
