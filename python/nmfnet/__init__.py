"""nmfnet: symmetric NMF graph clustering (SymNMF-Net and the classical solvers) and NMF, as
scikit-learn estimators over nmfnet's Rust core.

* :class:`SymNMF` — a clusterer: ``X ≈ UUᵀ, U ≥ 0`` of a similarity graph (built from the
  samples, or given), the label of a sample being the argmax of its row of ``U``.
* :class:`NMF` — ``X ≈ W·H``, ``W, H ≥ 0``, with the interface of
  ``sklearn.decomposition.NMF``.
* :func:`select_rank` — the rank k of an NMF by cross-validation on held-out entries.
* :class:`ConsensusNMF` — cNMF's consensus of many NMF replicates over several ranks.
* :class:`GanUnet` — a trained GAN-UNET generator: a group of images factorised in one
  forward pass (``GanUnet.load(dir).factorize(images)``), and its training.

The fits run in Rust with the GIL released; Ctrl-C stops them at their next iteration.
"""

from ._core import __version__, backends
from ._core import load_cluster_dataset as _load
from ._consensus import ConsensusNMF
from ._gan import GanUnet
from ._nmf import NMF, select_rank
from ._symnmf import SymNMF



def load_dataset(name, data_dir=None):
    """One of nmfnet's clustering sets with image features ('orl', 'coil20', 'mnist1',
    'mnist2', 'fashion1', 'mnist-full') from ``data_dir`` (default: $NMFNET_DATA), checksums verified:
    returns (X, y), X float32 samples × pixels, y int64 classes."""
    return _load(name, data_dir)


__all__ = ["ConsensusNMF", "GanUnet", "NMF", "SymNMF", "backends", "load_dataset", "select_rank", "__version__"]
