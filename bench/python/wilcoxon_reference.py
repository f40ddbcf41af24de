"""Reference values for nmfnet's paired Wilcoxon signed-rank test (nmfnet-datasets `stats`).

Prints, for fixed paired samples (closed formulas, no RNG), SciPy's two-sided
`scipy.stats.wilcoxon(x, y)` statistic and p-value with its default settings
(zero_method="wilcox", correction=False, method="auto"), as Rust literals for
datasets/src/stats.rs's test. Produced with SciPy 1.17.1, numpy 2.4.6, Python 3.11.

    .venv/bin/python bench/python/wilcoxon_reference.py
"""
import numpy as np
from scipy.stats import wilcoxon

CASES = {
    # n = 10, no ties, no zeros: the exact distribution.
    "exact_10": (
        [0.8 + 0.03 * np.sin(2.1 * i) + 0.004 * i for i in range(10)],
        [0.8 + 0.03 * np.cos(1.3 * i) for i in range(10)],
    ),
    # n = 12, one sample above the other everywhere.
    "exact_all_above": ([float(i) + 0.5 for i in range(12)], [float(i) * 0.9 for i in range(12)]),
    # n = 25, mixed signs.
    "exact_25": (
        [np.sin(1.7 * i) + 0.1 for i in range(25)],
        [np.cos(0.9 * i) * 0.8 for i in range(25)],
    ),
    # exact ties among |d| (small integers) and one zero difference (dropped): the normal
    # approximation with the tie correction.
    "ties_and_zero": (
        [3, 5, 2, 7, 4, 6, 5, 8, 1, 9, 4],
        [2, 3, 2, 8, 3, 4, 4, 6, 3, 7, 5],
    ),
    # n = 30 without ties: the normal approximation (beyond the exact range here).
    "approx_30": (
        [np.sin(0.37 * i) * 2 + 0.05 * i for i in range(30)],
        [np.cos(0.53 * i) * 1.5 for i in range(30)],
    ),
}

for name, (x, y) in CASES.items():
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    # nmfnet is exact for n ≤ 25 without ties and approximates otherwise; SciPy's "auto" rule
    # differs (exact up to n = 50), so those two cases ask for the approximation explicitly.
    method = "approx" if name in ("approx_30", "ties_and_zero") else "auto"
    r = wilcoxon(x, y, method=method)
    print(f"// {name}: method={method}")
    print(f"(&{list(map(float, x))}, &{list(map(float, y))}, {float(r.statistic)!r}, {float(r.pvalue)!r}),")
