#!/usr/bin/env bash
# Builds the fuzz targets with cargo-fuzz (libFuzzer, AddressSanitizer,
# debug assertions on) and runs each for a while on its seed corpus.
# usage: fuzz/run.sh [--dev] [SECONDS_PER_TARGET] [TARGET...]
#   default: 30 seconds each, all four targets, optimized build.
#   --dev: an unoptimized build, which takes less than half the CPU time
#   to compile and runs slower: what CI uses for its short runs.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a pyasm binary
# for the seeds (target/debug/pyasm). cargo-fuzz passes nightly-only flags
# to rustc; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# A failing input stops the run with libFuzzer's report, and is left in
# fuzz/artifacts/<target>/; once fixed, keep it in
# fuzz/regressions/<target>/, which tests/fuzz_regressions.rs replays in
# every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"
profile=()
if [ "${1:-}" = --dev ]; then
    profile=(--dev)
    shift
fi
secs=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pyc_reader pyc_roundtrip text lsp_edits)
export RUSTC_BOOTSTRAP=1
bash seed.sh
for t in "${targets[@]}"; do
    cargo fuzz build "${profile[@]}" --debug-assertions "$t"
done
# Inputs may nest as deep as marshal allows (2000 levels); libFuzzer runs
# them on the main thread, which gets the stack pyasm's own work threads
# get (pyasm::WORK_STACK).
ulimit -s 65536
# Each target is one libFuzzer process on one core: as many run at once as
# there are cores, each into its own log, reported in order once all are
# done.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
slots=$(nproc 2>/dev/null || echo 2)
for t in "${targets[@]}"; do
    # Small inputs mutate and run fast; the text-side targets do much
    # work per input.
    opts=(-max_len=65536)
    [ "$t" = text ] && opts=(-max_len=8192 -dict=pyasm.dict)
    [ "$t" = pyc_roundtrip ] && opts=(-max_len=16384)
    [ "$t" = lsp_edits ] && opts=(-max_len=2048)
    while [ "$(jobs -rp | wc -l)" -ge "$slots" ]; do
        wait -n || true
    done
    (
        rc=0
        cargo fuzz run "${profile[@]}" --debug-assertions "$t" "corpus/$t" -- \
            -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
            "${opts[@]}" >"$logs/$t.log" 2>&1 || rc=$?
        echo "$rc" >"$logs/$t.rc"
    ) &
done
wait
status=0
for t in "${targets[@]}"; do
    echo "== fuzzing $t for $secs s"
    if [ "$(cat "$logs/$t.rc" 2>/dev/null)" = 0 ]; then
        grep -E "^(INFO: seed corpus|#[0-9]+ +DONE)|stat::number_of_executed_units|stat::peak_rss_mb|^Done" "$logs/$t.log" || true
    else
        tail -n 60 "$logs/$t.log"
        echo "fuzz target $t failed; the input is in fuzz/artifacts/$t/"
        status=1
    fi
done
exit $status
