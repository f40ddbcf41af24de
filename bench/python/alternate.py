"""The timing loop of the one-off comparison scripts: each tool in turn, repeatedly, so that
a machine's slow spells fall on every tool alike."""

import statistics
import time


def alternate(runs, repeats):
    """Calls every function of ``runs`` (name → function of no argument) ``repeats`` times, the
    names in turn. Returns ({name: [seconds of each call]}, {name: what its last call returned})."""
    times = {name: [] for name in runs}
    last = {}
    for _ in range(repeats):
        for name, run in runs.items():
            t = time.perf_counter()
            last[name] = run()
            times[name].append(time.perf_counter() - t)
    return times, last


def median(seconds):
    return statistics.median(seconds)
