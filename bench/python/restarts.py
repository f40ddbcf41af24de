import subprocess, json, sys, time
# Single-start runs per seed (nmfnet cluster --restarts 1), one line per run: method seed acc
# rel_error seconds. Used by bench/restarts.md to choose the default restart count.
#   SEEDS=50 python3 bench/python/restarts.py                     # the embedded default
#   SEEDS=30 python3 bench/python/restarts.py --dataset orl --data-dir ../shared/data
args = sys.argv[1:]  # extra input args
NET = ["--reduction", "sum", "--beta", "0.01", "--lr", "0.05", "--epochs", "300"]
seeds = range(int(__import__("os").environ.get("SEEDS", "50")))
methods = __import__("os").environ.get("METHODS", "symnmf-net symhals symanls").split()
for m in methods:
    for s in seeds:
        cmd = ["target/release/nmfnet", "cluster", "--method", m, "--seed", str(s), "--restarts", "1", "--json", "--quiet"] + args
        if m == "symnmf-net":
            cmd += NET
        t = time.time()
        out = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.time() - t
        d = json.loads(out.stdout.strip().splitlines()[-1])
        print(m, s, d.get("acc"), d["rel_error"], round(dt, 3), flush=True)
