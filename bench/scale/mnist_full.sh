#!/usr/bin/env bash
# Full MNIST (70,000 images) clustered from its kNN graph: the graph by the exact and the HNSW
# search, then SymHALS, SymANLS and SymNMF-Net (sparse X), one start each (seed 0), each under
# /usr/bin/time for wall time and peak memory. Usage: bench/scale/mnist_full.sh DATA_DIR OUT_DIR
# (run from the repository root after `cargo build --release`; OUT_DIR must not exist).
set -euo pipefail
data=${1:?data dir}
out=${2:?output dir}
mkdir "$out"
bin=target/release/nmfnet
run() {
    local name=$1
    shift
    /usr/bin/time -v "$bin" cluster --dataset mnist-full --data-dir "$data" --quiet --json \
        --restarts 1 --seed 0 "$@" >"$out/$name.out" 2>"$out/$name.time"
    local wall rss
    wall=$(grep "Elapsed (wall" "$out/$name.time" | awk '{print $NF}')
    rss=$(grep "Maximum resident" "$out/$name.time" | awk '{print $NF}')
    echo "$name wall=$wall peakKB=$rss $(tail -n 1 "$out/$name.out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("acc=%.4f nmi=%.4f rel=%.5f it=%s input_s=%.1f s=%.1f" % (s["acc"], s["nmi"], s["rel_error"], s.get("iterations", s.get("epochs")), s.get("input_seconds", float("nan")), s["seconds"]))')"
}
run symhals --method symhals
run symanls --method symanls
run net --method symnmf-net
run symhals-hnsw --method symhals --knn hnsw
run net-hnsw --method symnmf-net --knn hnsw
