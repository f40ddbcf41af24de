"""A planted-partition graph saved with scipy.sparse.save_npz, for `nmfnet cluster --similarity
G.npz`: n nodes in BLOCKS blocks (default 20), 10 edge draws per node, 80 % of them inside the node's block,
weights 1, symmetrised as (A + Aᵀ)/2 with repeats summed.

Usage: python bench/python/planted_npz.py N GRAPH.npz LABELS.npy [BLOCKS]  (default 20 blocks)
"""
import numpy as np, scipy.sparse as sp, sys, time
n, deg = int(sys.argv[1]), 10
rng = np.random.default_rng(0)
# A planted partition: BLOCKS blocks, 80 % of each node's edge draws inside its block.
blocks = int(sys.argv[4]) if len(sys.argv) > 4 else 20
label = rng.integers(0, blocks, n)
rows = np.repeat(np.arange(n), deg)
inside = rng.random(n * deg) < 0.8
order = np.argsort(label, kind="stable")
start = np.searchsorted(label[order], np.arange(blocks))
size = np.bincount(label, minlength=blocks)
pick_in = order[start[label[rows]] + (rng.random(n * deg) * size[label[rows]]).astype(np.int64)]
cols = np.where(inside, pick_in, rng.integers(0, n, n * deg))
A = sp.coo_matrix((np.ones(n * deg, dtype=np.float32), (rows, cols)), shape=(n, n)).tocsr()
A = ((A + A.T) * 0.5).tocsr()
A.sum_duplicates()
sp.save_npz(sys.argv[2], A)
np.save(sys.argv[3], label)
print("n", n, "nnz", A.nnz)
