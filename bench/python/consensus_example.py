"""The guide's worked example of `nmfnet nmf consensus` (docs/src/consensus.md): simulated
counts with 6 known programs (bench/python/consensus_sim.py's model: 5 identity programs and one
activity program; 600 cells × 800 genes, seed 1), each gene divided by its standard deviation,
written to a .npy; the command line run on it; its figures and summary copied to
results/consensus_example/.

Run: python bench/python/consensus_example.py [path/to/nmfnet]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from consensus_sim import best_correlations, simulate  # noqa: E402

cli = sys.argv[1] if len(sys.argv) > 1 else "target/release/nmfnet"
counts, programs, usage = simulate(600, 800, 5, 0.3, 1)
sd = counts.std(axis=0, ddof=1)
X = counts / np.where(sd > 0, sd, 1)
work = tempfile.mkdtemp(prefix="consensus_example_")
try:
    np.save(os.path.join(work, "counts.npy"), X)
    out = os.path.join(work, "run")
    cmd = [cli, "nmf", "consensus", "--matrix", os.path.join(work, "counts.npy"), "--ks", "4-8",
           "--replicates", "30", "--seed", "0", "--out", out, "--quiet", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    print(done.stdout)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    k = summary["k"]
    spectra = np.load(os.path.join(out, f"spectra_k{k}.npy"))
    truth = programs / np.where(sd > 0, sd, 1)
    r = best_correlations(truth, spectra)
    print(f"k = {k}: each true program's best correlation with a consensus spectrum: {np.round(r, 4)}")
    dest = os.path.join("results", "consensus_example")
    os.makedirs(dest, exist_ok=True)
    for f in ("k_selection.png", "k_selection.svg", f"clustergram_k{k}.png", "summary.json"):
        shutil.copy(os.path.join(out, f), os.path.join(dest, f))
    with open(os.path.join(dest, "recovery.txt"), "w") as fh:
        fh.write(f"k = {k}; program recovery (best Pearson r per true program): {np.round(r, 4).tolist()}\n")
finally:
    shutil.rmtree(work, ignore_errors=True)
