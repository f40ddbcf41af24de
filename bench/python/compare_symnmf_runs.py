"""Compare two `nmfnet reproduce symnmf` folders cell by cell and report by report.

    python3 bench/python/compare_symnmf_runs.py results/symnmf /path/to/second-run

Cells: every cells/**/summary.json field except the wall-clock times (seconds,
input_seconds, seconds_per_iteration, at any depth), and U.npy / labels.npy byte for byte.
Reports: results.md, results.json and the figures byte for byte, after replacing the second
folder's name by the first's (the cells' commands name their output folder).
Exit status 1 when anything differs.
"""
import json
import pathlib
import sys

TIMES = {"seconds", "input_seconds", "seconds_per_iteration"}


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in TIMES}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def main(a, b):
    a, b = pathlib.Path(a), pathlib.Path(b)
    bad = []
    cells_a = sorted(p.relative_to(a / "cells") for p in (a / "cells").rglob("summary.json"))
    cells_b = sorted(p.relative_to(b / "cells") for p in (b / "cells").rglob("summary.json"))
    if cells_a != cells_b:
        bad.append(f"cell lists differ: {len(cells_a)} vs {len(cells_b)}")
    for rel in set(cells_a) & set(cells_b):
        pa, pb = a / "cells" / rel, b / "cells" / rel
        if strip(json.loads(pa.read_text())) != strip(json.loads(pb.read_text())):
            bad.append(f"summary differs: {rel}")
        for name in ("U.npy", "labels.npy"):
            fa, fb = pa.parent / name, pb.parent / name
            if fa.exists() != fb.exists() or (fa.exists() and fa.read_bytes() != fb.read_bytes()):
                bad.append(f"{name} differs: {rel.parent}")
    same_reports = 0
    for fa in sorted(a.glob("results.*")) + sorted(a.glob("fig*")):
        fb = b / fa.name
        if not fb.exists():
            bad.append(f"missing: {fa.name}")
            continue
        xb = fb.read_bytes()
        if fa.suffix in (".md", ".json"):
            xb = xb.replace(str(b).rstrip("/").encode() + b"/", str(a).rstrip("/").encode() + b"/")
        if fa.read_bytes() == xb:
            same_reports += 1
        else:
            bad.append(f"report differs: {fa.name}")
    print(f"{len(cells_b)} cells compared, {same_reports} report files identical, {len(bad)} differences")
    for line in bad[:50]:
        print(" ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
