"""Consensus NMF on simulated single-cell counts with known programs: nmfnet.ConsensusNMF
against cNMF (PyPI `cnmf`), same input, same run (issue 41).

Simulation (scsim-like, seeded, nothing downloaded): `--cells` cells × `--genes` genes;
`--identities` identity programs and one activity program. Each program is a vector of gene
means: a base profile (gamma) times log-normal fold changes on its own 5 % of the genes. A cell
has one identity; a share of the cells (`--activity-share`) also runs the activity program at
usage U(0.1, 0.7). Its expected profile is the usage-weighted mix, scaled to a log-normal
library size; counts are Poisson.

Both tools factorise the same matrix: cNMF's own preparation (`prepare`: TPM, its
high-variance genes, counts of those genes divided by their standard deviation), read back
from its output folder. cNMF then runs `factorize`, `combine`, `consensus` for every K (which
computes the K-selection statistics) and `k_selection_plot`; nmfnet runs
`ConsensusNMF(ks, n_replicates)` and draws the same figure. Timed: everything after `prepare`.

Scores, per tool: the K chosen (the most stable: largest silhouette), and at the true K (9)
program recovery — for each true program (its gene means on the selected genes, divided by
the same standard deviations), the Pearson correlation with its best-matching consensus
spectrum, averaged — and usage recovery (the same for usage columns against the true usages).

Run: /path/to/venv-with-cnmf/bin/python bench/python/consensus_sim.py [--cells 2000 ...]
(the venv needs `cnmf` and nmfnet: pip install cnmf ./python).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp

warnings.simplefilter("ignore")


def simulate(cells, genes, identities, activity_share, seed):
    rng = np.random.default_rng(seed)
    base = rng.gamma(0.6, 2.0, genes) + 0.05
    programs = []
    for _ in range(identities + 1):
        fc = np.ones(genes)
        de = rng.choice(genes, int(0.05 * genes), replace=False)
        fc[de] = rng.lognormal(1.0, 0.6, de.size)
        programs.append(base * fc)
    programs = np.array(programs)  # (identities + 1) × genes; the last is the activity
    usage = np.zeros((cells, identities + 1))
    usage[np.arange(cells), rng.integers(0, identities, cells)] = 1.0
    active = rng.random(cells) < activity_share
    a = rng.uniform(0.1, 0.7, active.sum())
    usage[active, :identities] *= (1 - a)[:, None]
    usage[active, identities] = a
    shares = programs / programs.sum(axis=1, keepdims=True)
    expected = usage @ shares
    library = rng.lognormal(np.log(3000), 0.3, cells)
    counts = rng.poisson(expected * library[:, None]).astype(np.float64)
    return counts, programs, usage


def best_correlations(truth, found):
    """For each row of `truth`, its largest Pearson correlation with a row of `found`."""
    t = truth - truth.mean(axis=1, keepdims=True)
    f = found - found.mean(axis=1, keepdims=True)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    return (t @ f.T).max(axis=1)


def k_figure(ks, stability, error, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(ks, stability, "o-", color="tab:blue")
    ax.set_xlabel("K")
    ax.set_ylabel("stability (silhouette)", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(ks, error, "s-", color="tab:red")
    ax2.set_ylabel("error", color="tab:red")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run_cnmf(counts, ks, replicates, workdir, seed, workers):
    import anndata
    from cnmf import cNMF

    fn = os.path.join(workdir, "counts.h5ad")
    anndata.AnnData(X=sp.csr_matrix(counts)).write_h5ad(fn)
    c = cNMF(output_dir=workdir, name="sim")
    c.prepare(counts_fn=fn, components=ks, n_iter=replicates, seed=seed, num_highvar_genes=min(2000, counts.shape[1]))
    norm = anndata.read_h5ad(c.paths["normalized_counts"])
    X = norm.X.toarray() if sp.issparse(norm.X) else np.asarray(norm.X)
    genes = norm.var.index.astype(int).to_numpy()
    t = time.perf_counter()
    if workers > 1:
        c.factorize_multi_process(workers)
    else:
        c.factorize(worker_i=0, total_workers=1)
    c.combine()
    for k in ks:
        c.consensus(k, density_threshold=2.0, skip_density_and_return_after_stats=True, show_clustering=False, close_clustergram_fig=True)
    c.k_selection_plot(close_fig=True)
    from cnmf.cnmf import load_df_from_npz

    df = load_df_from_npz(c.paths["k_selection_stats"]).sort_values("k")
    spectra = {}
    for k in ks:
        c.consensus(k, density_threshold=0.5, show_clustering=True, close_clustergram_fig=True)
        spectra[k] = load_df_from_npz(c.paths["consensus_spectra"] % (k, "0_5")).values
    seconds = time.perf_counter() - t
    stab = dict(zip(df["k"].astype(int), df["silhouette"].astype(float)))
    err = dict(zip(df["k"].astype(int), df["prediction_error"].astype(float)))
    return X, genes, seconds, stab, err, spectra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=5000)
    ap.add_argument("--genes", type=int, default=3000)
    ap.add_argument("--identities", type=int, default=8)
    ap.add_argument("--activity-share", type=float, default=0.3)
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--ks", default="5-10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="results/consensus_sim")
    a = ap.parse_args()
    lo, hi = (int(v) for v in a.ks.split("-"))
    ks = list(range(lo, hi + 1))
    import nmfnet

    counts, programs, usage = simulate(a.cells, a.genes, a.identities, a.activity_share, a.seed)
    true_k = a.identities + 1
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="cnmf_sim_")
    try:
        X, genes, t_cnmf, stab_c, err_c, spectra_c = run_cnmf(counts, ks, a.replicates, work, a.seed, a.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # The truth on the selected genes, in the units of the factorised matrix.
    sd = counts[:, genes].std(axis=0, ddof=1)
    truth = programs[:, genes] / np.where(sd > 0, sd, 1)
    # nmfnet three ways: the defaults on cNMF's float64 matrix; the matrix as float32 (products
    # in float32); float32 with 4 inner HALS sweeps per product.
    runs = {}
    for name, dtype, inner in (("nmfnet", np.float64, 1), ("nmfnet-f32", np.float32, 1), ("nmfnet-f32-inner4", np.float32, 4)):
        t = time.perf_counter()
        e = nmfnet.ConsensusNMF(ks=ks, n_replicates=a.replicates, random_state=a.seed, inner_sweeps=inner).fit(X.astype(dtype))
        k_figure(ks, [e.stability_[k] for k in ks], [e.error_[k] for k in ks], os.path.join(a.out, f"k_selection_{name}.png"), f"{name} ConsensusNMF")
        runs[name] = (e, time.perf_counter() - t)
    est, t_nmfnet = runs["nmfnet"]
    k_figure(ks, [stab_c[k] for k in ks], [err_c[k] for k in ks], os.path.join(a.out, "k_selection_cnmf.png"), "cNMF")
    k_c = max(ks, key=lambda k: stab_c[k])
    rows = []
    for name, k_chosen, spectra, stab in (
        ("cNMF", k_c, spectra_c, stab_c),
    ) + tuple((name, e.k_, e.consensus_, e.stability_) for name, (e, _) in runs.items()):
        rec = best_correlations(truth, spectra[true_k]) if true_k in spectra else np.array([np.nan])
        rows.append((name, k_chosen, rec.mean(), rec.min(), stab))
    us = best_correlations(usage.T, est.usage_[true_k].T) if true_k in est.usage_ else np.array([np.nan])
    lines = [
        f"cells {a.cells}, genes {a.genes} ({X.shape[1]} selected), programs {true_k} "
        f"({a.identities} identities + 1 activity), replicates {a.replicates}, K {lo}-{hi}, seed {a.seed}",
        f"wall time after prepare: cNMF {t_cnmf:.1f} s ({a.workers} workers); "
        + "; ".join(f"{name} {t:.1f} s (ratio {t / t_cnmf:.3f})" for name, (_, t) in runs.items()),
    ]
    for name, k_chosen, mean, worst, stab in rows:
        lines.append(
            f"{name}: K chosen {k_chosen}; program recovery at K={true_k}: mean r {mean:.4f}, "
            f"min {worst:.4f}; stability " + ", ".join(f"{k}:{stab[k]:.3f}" for k in ks)
        )
    lines.append(f"nmfnet usage recovery at K={true_k}: mean r {us.mean():.4f}")
    print("\n".join(lines), flush=True)
    with open(os.path.join(a.out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
