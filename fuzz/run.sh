#!/usr/bin/env bash
# Runs the fuzz targets (default: all) for SECONDS each (default 300), two at a time, from the
# seed corpora in corpus/, and prints one line per target: runs, seconds, peak RSS, crashes
# (artifacts/). The state target keeps going after a crash (-fork) so that all are counted.
#   fuzz/run.sh [SECONDS [TARGET ...]]
# Needs a nightly toolchain and cargo-fuzz: `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
shift || true
targets=(checkpoint checkpoint_state npy npz csv labels idx pgm mat png)
if (($# > 0)); then targets=("$@"); fi
cargo +nightly fuzz build -O -s none >/dev/null
mkdir -p logs
run() {
    local t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    local extra=()
    if [ "$t" = checkpoint_state ]; then extra=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1); fi
    cargo +nightly fuzz run -O -s none "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 \
        "${extra[@]}" >"logs/$t.log" 2>&1 || true
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & fi
    wait
done
echo "| target | runs | seconds | peak RSS (MB) | crashes |"
echo "|---|---:|---:|---:|---:|"
for t in "${targets[@]}"; do
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -n 1 || true)
    [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "logs/$t.log" | tail -n 1 | tr -d '#')
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | sort -n | tail -n 1 || true)
    [ -n "$rss" ] || rss=$(grep -o 'rss: [0-9]*Mb' "logs/$t.log" | grep -o '[0-9]*' | sort -n | tail -n 1 || true)
    [ -n "$rss" ] || rss="n/a (-fork)"
    crashes=$(find "artifacts/$t" -type f | wc -l)
    echo "| $t | $runs | $secs | $rss | $crashes |"
done
