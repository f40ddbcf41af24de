#!/usr/bin/env bash
# Data-parallel GAN-UNET training (feature `collective`): the paper-width model on MNIST,
# batch 4 groups per step, per-group batch norm, 20 steps, seed 0, on one device, on D peers as
# threads (--devices D) and on two processes joined through the orchestrator on 127.0.0.1
# (--nodes 2); every run under /usr/bin/time. Prints training seconds per step and the last
# step's losses (equal across the layouts up to rounding: see the equivalence tests).
# Usage: bench/scale/data_parallel.sh DATA_DIR OUT_DIR
# (from the repository root after `cargo build --release --features collective`; OUT_DIR must
# not exist).
set -euo pipefail
data=${1:?data dir}
out=${2:?output dir}
mkdir "$out"
bin=target/release/nmfnet
run() {
    local name=$1
    shift
    /usr/bin/time -v "$bin" gan train --dataset mnist --data-dir "$data" --steps 20 --batch 4 \
        --per-group-norm --seed 0 --quiet --json --out "$out/$name" "$@" \
        >"$out/$name.out" 2>"$out/$name.time"
    local wall rss
    wall=$(grep "Elapsed (wall" "$out/$name.time" | awk '{print $NF}')
    rss=$(grep "Maximum resident" "$out/$name.time" | awk '{print $NF}')
    echo "$name wall=$wall peakKB=$rss $(tail -n 1 "$out/$name.out" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("train_s=%.2f s_per_step=%.3f test_eps=%.4f" % (s["training_seconds"], s["training_seconds"] / s["steps"], s["test_error"]))') last=$(tail -n 1 "$out/$name/metrics.jsonl")"
}
run one
run threads2 --devices 2
run threads4 --devices 4
run processes2 --nodes 2
