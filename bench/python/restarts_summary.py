"""Summarises bench/data/restarts_*.txt (from bench/python/restarts.py): the ACC of the start of
lowest relative error among N consecutive seeds, for N = 1, 2, 3, 5.

    python3 bench/python/restarts_summary.py bench/data/restarts_embedded.txt bench/data/restarts_orl.txt
"""
import collections
import statistics as st
import sys

for path in sys.argv[1:]:
    print(f"## {path}")
    by = collections.defaultdict(dict)
    for line in open(path):
        m, s, acc, rel, t = line.split()
        by[m][int(s)] = (float(acc), float(rel), float(t))
    for m, v in by.items():
        seeds = sorted(v)
        accs = [v[s][0] for s in seeds]
        print(f"{m}: {len(seeds)} single starts, ACC mean {st.mean(accs):.4f} std {st.pstdev(accs):.4f}, "
              f"below 0.95: {sum(a < 0.95 for a in accs)}, mean {st.mean(v[s][2] for s in seeds):.2f} s")
        for n in (1, 2, 3, 5):
            groups = [seeds[g * n:(g + 1) * n] for g in range(len(seeds) // n)]
            kept = [v[min(g, key=lambda s: (v[s][1], s))][0] for g in groups]
            # Overlapping windows: what `--seed s --restarts n` keeps for each s.
            windows = [v[min(range(s, s + n), key=lambda i: (v[i][1], i))][0] for s in range(len(seeds) - n + 1)]
            print(f"  N={n}: {len(groups)} disjoint groups, kept ACC mean {st.mean(kept):.4f} "
                  f"std {st.pstdev(kept):.4f}; windows below 0.95: {sum(a < 0.95 for a in windows)}/{len(windows)}")
