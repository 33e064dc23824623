#!/usr/bin/env bash
# The language server benchmark on a file of about 100,000 lines: builds
# pyasm in release mode, makes the file from the disassembly of large 3.11
# standard-library modules, checks it has no errors, then runs
# bench/lsp_latency.rs against `target/release/pyasm lsp`.
#
#   bash bench/run.sh [--edits N] [--full-runs N] [--seed N]
#
# Needs python3.11 (set PYTHON to use another 3.11 interpreter). The file
# is written to target/bench/lsp_100k.pyasm; CARGO_BUILD_JOBS limits the
# build's parallelism as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
OUT=target/bench
FILE=$OUT/lsp_100k.pyasm
# test_typing alone disassembles to about 75,000 lines; the others bring the
# total to about 100,000.
MODULES=(test/test_typing.py _pydecimal.py pathlib.py)

cargo build --release --bin pyasm
cargo bench --bench lsp_latency --no-run

mkdir -p "$OUT/pyc" "$OUT/dis"
STDLIB=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
DIS=()
for m in "${MODULES[@]}"; do
    name=$(echo "${m%.py}" | tr / _)
    "$PYTHON" -c 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)' \
        "$STDLIB/$m" "$OUT/pyc/$name.pyc"
    ./target/release/pyasm dis "$OUT/pyc/$name.pyc" -o "$OUT/dis/$name.pyasm"
    DIS+=("$OUT/dis/$name.pyasm")
done
cargo bench --bench lsp_latency -- make "$FILE" "${DIS[@]}"

# The file must check with zero errors (warnings are expected: the verifier
# finds some possibly unbound locals in the standard library).
summary=$(./target/release/pyasm check "$FILE" 2>&1 | tail -n 1) || true
echo "$summary"
case "$summary" in
    *" 0 errors"*) ;;
    *) echo "bench/run.sh: $FILE does not check cleanly" >&2; exit 1 ;;
esac

cargo bench --bench lsp_latency -- run "$FILE" --server target/release/pyasm "$@"
