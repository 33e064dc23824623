#!/usr/bin/env bash
# Every benchmark of pyasm, in one run: prints figures and goals, asserts
# nothing.
#
#   bash bench/run.sh [--parts corpus,linearity,lsp] [--reps N]
#                     [--bytecode-reps N] [--sizes 1,2,4,...] [--unit N]
#                     [--edits N] [--full-runs N] [--seed N] [--phases]
#
# Parts (all by default):
#   corpus     pyasm's text round trip (`dis` then `build`, directory mode)
#              on the CPython 3.11 standard library, tests included, on all
#              cores and on one, beside the `bytecode` library's object round
#              trip (pinned below, installed into target/bench/venv), marshal's
#              loads+dumps, tree-sitter's bare parse of the same text,
#              CPython's compiler on the same modules' sources (compileall)
#              and its `dis.dis` listing of the same .pyc files; bytes per
#              second, peak memory, the ratios to the goals, and the time of
#              each phase in process (bench/corpus.py, bench/baselines.py,
#              bench/corpus.rs).
#   linearity  generated modules of doubling size through `dis` and `build`
#              (--sizes, in units of --unit statement groups).
#   lsp        the language server on a file of about 100,000 lines
#              (bench/lsp_latency.rs): didChange to publishDiagnostics,
#              memory, the full pass for comparison; then typing into the
#              three inputs of issue 19's F9 (2 million empty lines, an 8 MB
#              constant, 100,000 instructions outside any block).
# --reps: runs per figure (the median is reported; default 5); bytecode's
# round trip takes a minute a run, so it runs --bytecode-reps times
# (default 1). --edits, --full-runs, --seed and --phases go to the language
# server benchmark.
#
# Needs python3.11 (set PYTHON to use another 3.11 interpreter) with venv
# and pip; the corpus is that interpreter's own standard library. Outputs go
# to target/bench/. CARGO_BUILD_JOBS limits the build's parallelism as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
BYTECODE_VERSION=0.19.1
OUT=target/bench

parts=corpus,linearity,lsp
corpus_args=()
lsp_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --parts) parts=$2; shift 2 ;;
        --reps|--bytecode-reps|--sizes|--unit) corpus_args+=("$1" "$2"); shift 2 ;;
        --edits|--full-runs|--seed) lsp_args+=("$1" "$2"); shift 2 ;;
        --phases) lsp_args+=("$1"); shift ;;
        *) echo "bench/run.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
done
has() { case ",$parts," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

cargo build --release --bin pyasm
mkdir -p "$OUT"

if has corpus || has linearity; then
    # The in-process half of the corpus benchmark; its path from cargo.
    corpus_bin=$(cargo bench --bench corpus --no-run --message-format=json 2>/dev/null |
        "$PYTHON" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "corpus":
        print(m["executable"])')
    venv=$OUT/venv
    if ! "$venv/bin/python" -c "import bytecode, sys; sys.exit(bytecode.__version__ != '$BYTECODE_VERSION')" 2>/dev/null; then
        "$PYTHON" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet "bytecode==$BYTECODE_VERSION"
    fi
    py_parts=()
    has corpus && py_parts+=(corpus)
    has linearity && py_parts+=(linearity)
    "$PYTHON" bench/corpus.py --pyasm target/release/pyasm --corpus-bin "$corpus_bin" \
        --work "$OUT/corpus" --venv-python "$venv/bin/python" \
        --parts "$(IFS=,; echo "${py_parts[*]}")" ${corpus_args[@]+"${corpus_args[@]}"}
fi

if has lsp; then
    echo "== Language server: didChange -> publishDiagnostics on a file of about 100,000 lines"
    FILE=$OUT/lsp_100k.pyasm
    # test_typing alone disassembles to about 75,000 lines; the others bring
    # the total to about 100,000.
    MODULES=(test/test_typing.py _pydecimal.py pathlib.py)
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

    # The file must check with zero errors (warnings are expected: the
    # verifier finds some possibly unbound locals in the standard library).
    summary=$(./target/release/pyasm check "$FILE" 2>&1 | tail -n 1) || true
    echo "$summary"
    case "$summary" in
        *" 0 errors"*) ;;
        *) echo "bench/run.sh: $FILE does not check cleanly" >&2; exit 1 ;;
    esac

    cargo bench --bench lsp_latency -- run "$FILE" --server target/release/pyasm ${lsp_args[@]+"${lsp_args[@]}"}

    echo "== Language server: one place typed into in each of issue 19's F9 inputs"
    cargo bench --bench lsp_latency -- f9 "$OUT/f9" --server target/release/pyasm
fi
