#!/usr/bin/env bash
# Creates bench/.venv with the Python references of the benchmarks (numpy, scikit-learn, PyTorch,
# nmf-rs),
# at the versions the committed results (results/bench/) were measured with; set
# NMFNET_BENCH_UNPINNED=1 to take the newest instead.
# Benchmark references only: no Rust crate depends on any of this. `bench all --setup` runs this
# script when bench/.venv is missing.
# PyPI's Linux torch wheel pulls its CUDA libraries too (about 3 GB); they are only loaded, the
# benchmarks run PyTorch on the CPU.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${NMFNET_BENCH_UNPINNED:-0}" = 1 ]; then
    pkgs=(numpy scikit-learn torch nmf-rs)
else
    pkgs=(numpy==2.4.6 scikit-learn==1.9.1 torch==2.15.0 nmf-rs==0.1.0)
fi
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet --upgrade pip
"$here/.venv/bin/pip" install --quiet "${pkgs[@]}"
"$here/.venv/bin/python" -c "import torch, numpy, sklearn; print('torch', torch.__version__, 'numpy', numpy.__version__, 'scikit-learn', sklearn.__version__)"
# nmfnet's own Python package (built from this checkout), for the comparisons run from Python
# (bench/python/equal_error.py in `bench all`).
"$here/.venv/bin/pip" install --quiet "$here/../python"
# pyplanc (the symmetric solvers' peer, bench/python/symnmf_peers.py) needs numpy < 2.3: its
# own venv, bench/.venv-planc.
python3 -m venv "$here/.venv-planc"
"$here/.venv-planc/bin/pip" install --quiet "numpy<2.3" pyplanc==0.0.2 scipy scikit-learn
