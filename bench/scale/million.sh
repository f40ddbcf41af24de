#!/usr/bin/env bash
# A planted-partition graph of 10⁶ nodes (50 blocks, 10 edge draws per node, 80 % inside),
# written by `nmfnet data planted-graph` and clustered from the .npz by SymHALS (100 iterations);
# then SymNMF-Net's memory per node from short runs (3 epochs) on 10⁵ and 2·10⁵-node graphs of
# the same law. Each command under /usr/bin/time (wall time, peak memory).
# Usage: bench/scale/million.sh OUT_DIR (from the repository root after `cargo build --release`;
# OUT_DIR must not exist).
set -euo pipefail
out=${1:?output dir}
mkdir "$out"
bin=target/release/nmfnet
timed() {
    local name=$1
    shift
    /usr/bin/time -v "$@" >"$out/$name.out" 2>"$out/$name.time"
    echo "$name wall=$(grep 'Elapsed (wall' "$out/$name.time" | awk '{print $NF}') peakKB=$(grep 'Maximum resident' "$out/$name.time" | awk '{print $NF}')"
    tail -n 1 "$out/$name.out"
}
graph() { # nodes blocks name
    timed "gen-$3" "$bin" data planted-graph --nodes "$1" --blocks "$2" --degree 10 --seed 0 \
        --out "$out/$3.npz" --labels-out "$out/$3_labels.npy" --json
}
graph 1000000 50 g1m
timed symhals-1m "$bin" cluster --similarity "$out/g1m.npz" --labels "$out/g1m_labels.npy" \
    --method symhals --restarts 1 --max-iter 100 --quiet --json
for n in 100000 200000; do
    graph "$n" 50 "g$n"
    timed "net-$n" "$bin" cluster --similarity "$out/g$n.npz" --labels "$out/g${n}_labels.npy" \
        --method symnmf-net --restarts 1 --epochs 3 --patience 0 --quiet --json
done
