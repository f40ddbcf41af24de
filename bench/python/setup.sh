#!/usr/bin/env bash
# Creates bench/.venv with the Python references of the benchmarks (numpy, scikit-learn, PyTorch).
# Benchmark references only: no Rust crate depends on any of this.
# PyPI's Linux torch wheel pulls its CUDA libraries too (about 3 GB); they are only loaded, the
# benchmarks run PyTorch on the CPU.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet --upgrade pip
"$here/.venv/bin/pip" install --quiet numpy scikit-learn torch
"$here/.venv/bin/python" -c "import torch, numpy, sklearn; print('torch', torch.__version__, 'numpy', numpy.__version__, 'scikit-learn', sklearn.__version__)"
