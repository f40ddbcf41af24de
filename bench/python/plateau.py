"""Replays the plateau stopping rule of `nmfnet_train::trainer::Plateau` on SymNMF-Net metric
logs (metrics.jsonl, one line per epoch), to choose its patience and tolerance without labels.

The rule, after epoch t (1-based): stop when min(loss[:t - patience]) - min(loss[:t]) <=
tol * min(loss[:t]). For every (patience, tol) and every log this prints the epoch the rule
stops at and the relative error there, against the relative error after all epochs of the log.

usage: python3 plateau.py RUN_DIR [RUN_DIR ...]   (each holding a metrics.jsonl)
"""

import json
import sys


def stop_epoch(losses, patience, tol):
    best = []
    for x in losses:
        best.append(min(best[-1], x) if best else x)
    for t in range(patience + 1, len(losses) + 1):
        if best[t - patience - 1] - best[t - 1] <= tol * abs(best[t - 1]):
            return t
    return len(losses)


def main(dirs):
    logs = {}
    for d in dirs:
        rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
        logs[d] = ([r["loss"] for r in rows], [r["rel_error"] for r in rows])
    print("relative error above the last epoch's, after a fixed number of epochs:")
    for fixed in (100, 200, 300):
        dr = [rel[min(fixed, len(rel)) - 1] - rel[-1] for _, rel in logs.values()]
        print(f"  fixed {fixed:4d}: mean {sum(dr) / len(dr):.5f} max {max(dr):.5f}")
    print("patience tol      mean_epochs max_epochs mean_d_rel_error max_d_rel_error")
    for patience in (10, 20, 30, 50):
        for tol in (1e-3, 3e-4, 1e-4, 3e-5, 1e-5):
            eps, dr = [], []
            for loss, rel in logs.values():
                t = stop_epoch(loss, patience, tol)
                eps.append(t)
                dr.append(rel[t - 1] - rel[-1])
            print(
                f"{patience:8d} {tol:.0e}  {sum(eps) / len(eps):11.1f} {max(eps):10d}"
                f" {sum(dr) / len(dr):16.5f} {max(dr):15.5f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
