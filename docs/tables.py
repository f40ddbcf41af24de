#!/usr/bin/env python3
"""The result tables of the README and the guide, made from the committed results/*.json.

Every table sits in a Markdown file between `<!-- table:NAME -->` and `<!-- /table -->`; this
script writes each table there from the JSON its run left (the reproductions' results.json, the
benchmark's all.json). `python3 docs/tables.py` rewrites them; `--check` fails (exit 1) when a
file does not hold what the JSON says, as CI runs it. Standard library only.
"""

import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md"] + sorted((ROOT / "docs" / "src").rglob("*.md"))

DATASETS = ["orl", "coil20", "mnist2", "mnist1", "fashion1", "tdt2"]
LABEL = {"fashion1": "fashion1 (held out)"}
METHODS = [
    ("symanls", "SymANLS"),
    ("symhals", "SymHALS"),
    ("admm", "ADMM"),
    ("symnewton", "SymNewton"),
    ("pgd", "PGD"),
    ("symnmf-net", "SymNMF-Net"),
]


def load(rel):
    return json.loads((ROOT / rel).read_text())


def mean_std(xs):
    m = sum(xs) / len(xs)
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, s


def symnmf_cells(protocol):
    """(dataset, method) → the kept starts' summaries of the table cells (no study tag)."""
    out = defaultdict(list)
    for c in load("results/symnmf/results.json")["cells"]:
        cell = c["cell"]
        if cell["protocol"] == protocol and cell["tag"] == "":
            out[(cell["dataset"], cell["method"])].append(c["summary"])
    return out


def symnmf_acc(protocol, methods, datasets):
    cells = symnmf_cells(protocol)
    head = "| method | " + " | ".join(LABEL.get(d, d) for d in datasets) + " |"
    rows = [head, "|---" * (len(datasets) + 1) + "|"]
    for key, name in methods:
        entries = []
        for d in datasets:
            s = cells.get((d, key))
            if not s:
                entries.append("—")
                continue
            m, sd = mean_std([100 * x["acc"] for x in s])
            entries.append(f"{m:.2f} ± {sd:.2f}")
        rows.append(f"| {name} | " + " | ".join(entries) + " |")
    return "\n".join(rows)


def symnmf_fair():
    return symnmf_acc("fair", METHODS, DATASETS)


def symnmf_fair_short():
    three = [m for m in METHODS if m[0] in ("symanls", "symhals", "symnmf-net")]
    return symnmf_acc("fair", three, DATASETS)


def symnmf_paper_error():
    cells = symnmf_cells("paper")
    datasets = ["orl", "coil20", "mnist2", "mnist1", "tdt2"]
    rows = ["| data set | SymANLS | SymHALS | SymNMF-Net (paper's settings) |", "|---|---|---|---|"]
    for d in datasets:
        entries = []
        for key in ("symanls", "symhals", "symnmf-net"):
            s = cells.get((d, key))
            if not s:
                entries.append("—")
                continue
            m, sd = mean_std([x["rel_error"] for x in s])
            entries.append(f"{m:.4f} ± {sd:.4f}")
        rows.append(f"| {d} | " + " | ".join(entries) + " |")
    return "\n".join(rows)


def symnmf_wilcoxon():
    rows = [
        "| data set | against | ACC: p → verdict | rel. error: p → verdict |",
        "|---|---|---|---|",
    ]
    for w in load("results/symnmf/results.json")["wilcoxon"]:
        if w["protocol"] != "fair":
            continue
        cols = [f"{w[k]['p_value']:.4f} → **{w[k]['verdict']}**" for k in ("acc", "rel_error")]
        rows.append(f"| {LABEL.get(w['dataset'], w['dataset'])} | {w['against']} | " + " | ".join(cols) + " |")
    return "\n".join(rows)


GAN_SETS = [("mnist", "MNIST"), ("fashion", "Fashion"), ("face", "Face")]


def best_speedup(front, mode):
    best = max((e for e in front["equal_error"] if e["mode"] == mode), key=lambda e: e["speedup"])
    model = best["model"].rstrip("/").split("/")[-1]
    return best["speedup"], model, best["refine"], best["generator_error"]


def ganunet_summary():
    d = load("results/ganunet/results.json")
    rows = [
        "| data set | GAN-UNET test ε | HALS direct test ε | rank-10 SVD test ε | best speed-up at equal ε, one group / 25 per call |",
        "|---|---|---|---|---|",
    ]
    for key, name in GAN_SETS:
        s = d[key]
        hals = next(r for r in s["baselines"]["rows"] if r["method"] == "hals")
        single = best_speedup(s["front"], "single")
        batched = best_speedup(s["front"], "batched")
        rows.append(
            f"| {name} | {s['gan_unet']['test_error']:.3f} | {hals['direct_test_error']:.3f} | "
            f"{s['baselines']['svd_test_error']:.3f} | {single[0]:.2f}× ({single[1]}, {single[2]} rounds) / "
            f"{batched[0]:.2f}× ({batched[1]}, {batched[2]} rounds) |"
        )
    return "\n".join(rows)


def bench_summary():
    d = load("results/bench/all.json")
    keep = [r for r in d["summary"] if r.get("target") is not None]
    rows = ["| what | case | ours | value | reference | ref. value | ratio | target |", "|---|---|---|---:|---|---:|---:|---:|"]

    def num(v):
        return f"{v:.3g}" if v is not None else "—"

    for r in keep:
        rows.append(
            f"| {r['section']} | {r['case']} | {r['ours']} | {num(r['value'])} | {r['reference']} | "
            f"{num(r['ref_value'])} | {num(r['ratio'])} | ≤ {r['target']:g} |"
        )
    m = d["machine"]
    rows.append("")
    rows.append(f"Machine: {m['cpu']}, {m['threads']} threads, {m['rustc']}; {m['python']}.")
    return "\n".join(rows)


TABLES = {
    "symnmf-fair": symnmf_fair,
    "symnmf-fair-short": symnmf_fair_short,
    "symnmf-paper-error": symnmf_paper_error,
    "symnmf-wilcoxon": symnmf_wilcoxon,
    "ganunet-summary": ganunet_summary,
    "bench-summary": bench_summary,
}

BLOCK = re.compile(r"(<!-- table:([a-z-]+) -->\n)(.*?)(<!-- /table -->)", re.S)


def render(text):
    def fill(m):
        name = m.group(2)
        if name not in TABLES:
            raise SystemExit(f"unknown table {name!r} (known: {', '.join(TABLES)})")
        return m.group(1) + TABLES[name]() + "\n" + m.group(4)

    return BLOCK.sub(fill, text)


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for path in FILES:
        text = path.read_text()
        new = render(text)
        if new != text:
            if check:
                stale.append(path.relative_to(ROOT))
            else:
                path.write_text(new)
                print(f"wrote the tables of {path.relative_to(ROOT)}")
    if stale:
        print(
            "tables out of date (run `python3 docs/tables.py`): " + ", ".join(map(str, stale)),
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
