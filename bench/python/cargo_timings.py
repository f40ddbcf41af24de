"""Summarise `cargo build --timings` reports as Markdown (standard library only).

    python3 bench/python/cargo_timings.py LABEL=target/cargo-timings/cargo-timing-….html ...

For each report: its wall time, the number of units, the sum of their durations, and the units
that took longest (start and duration in seconds, as cargo measured them).
"""

import json
import re
import sys


def units(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"const UNIT_DATA = (\[.*?\]);", text, re.S)
    if not m:
        sys.exit(f"{path}: no UNIT_DATA (not a cargo timings report?)")
    return json.loads(m.group(1))


def main(args):
    top = 12
    for arg in args:
        if arg.startswith("--top="):
            top = int(arg.split("=", 1)[1])
            continue
        label, _, path = arg.partition("=")
        u = units(path)
        end = max(x["start"] + x["duration"] for x in u)
        total = sum(x["duration"] for x in u)
        print(f"### {label}\n")
        print(f"wall {end:.0f} s, {len(u)} units, sum of unit durations {total:.0f} s\n")
        print("| unit | target | start s | duration s |\n|---|---|---:|---:|")
        for x in sorted(u, key=lambda x: -x["duration"])[:top]:
            target = (x.get("target") or "").strip() or "lib"
            print(f"| {x['name']} | {target} | {x['start']:.0f} | {x['duration']:.0f} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
