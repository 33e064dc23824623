#!/usr/bin/env bash
# The verifier against the real interpreters: mutants of real code objects
# (instructions deleted, duplicated, swapped, jumps and exception entries
# retargeted, arguments changed), each built with `pyasm build` (verifier
# on), and every one it accepts run in CPython: natively where
# tests/interpreters.txt lists the version (a process per mutant), in its
# pyodide build otherwise (a worker per run of mutants; see
# tests/pyodide/mutants.mjs for the isolation). Prints, per
# version: mutants generated, accepted, ran, failed only with a Python
# exception, hangs, crashes, and misruns (mutants whose mutation promises
# the unmutated behaviour, run beside the original, that behaved otherwise:
# see bench/mutants/drive.rs), with each crashing or misrunning mutant
# saved for reproduction. A crash is run again as its unmutated code,
# built from the same corpus text: if that crashes too (CPython's own bugs,
# such as a deallocation chain that overflows the C stack), the crash is
# set aside and listed, not counted. Exits 1 if any accepted mutant crashed
# an interpreter or misran.
#
#   bash bench/mutants.sh [--count N] [--versions 3.11,3.12,3.13,3.14]
#                         [--seed S] [--batch B] [--timeout SECONDS]
#                         [--unmutated]
#
# The corpora are the ones verifier::V in tests/versions.rs checks: 3.11's standard
# library compiled by 3.11; for 3.12 and later, each interpreter's own
# standard library and 3.11's sources, compiled by that version. They are
# made once under target/mutants/VERSION (and disassembled again when the
# pyasm binary changes). Crashing mutants go to target/mutants/crashes:
# VERSION-ID.pyasm and a .txt saying what was mutated and how it ended.
# --unmutated runs the corpus's own code objects instead, unchanged, the
# same way (the control: what the real code does to the runner).
# An unconfirmed trap (WebAssembly) keeps its predecessors in
# VERSION-ID.before; replay them with
#   cargo bench --bench mutants -- replay --version V --case target/mutants/crashes/V-ID [--bisect]
# Needs the native interpreters of tests/interpreters.txt and
# `npm ci --prefix tests`.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=1000
VERSIONS=3.11,3.12,3.13,3.14
SEED=1
BATCH=5000
TIMEOUT=2
UNMUTATED=
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT=$2; shift 2 ;;
        --versions) VERSIONS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --batch) BATCH=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --unmutated) UNMUTATED=--unmutated; shift ;;
        *) echo "usage: bash bench/mutants.sh [--count N] [--versions V,...] [--seed S] [--batch B] [--timeout S] [--unmutated]" >&2; exit 2 ;;
    esac
done

# native VERSION: the path of the version's native interpreter, or nothing
# when it runs in pyodide (tests/interpreters.txt, as the tests read it).
native() {
    local full
    full=$(awk -v v="$1" '$1 == v { print $2 }' tests/interpreters.txt)
    [ -n "$full" ] && echo "${PYENV_ROOT:-$HOME/.pyenv}/versions/$full/bin/python$1"
    return 0
}
PYTHON=$(native 3.11)
OUT=target/mutants
PYASM=target/release/pyasm

cargo build --release --bin pyasm
cargo bench --bench mutants --no-run

STDLIB=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

# compile VERSION SRC DEST: a compiled tree, made once.
compile() {
    local version=$1 src=$2 dest=$3
    [ -d "$dest" ] && return 0
    local exe
    exe=$(native "$version")
    if [ -n "$exe" ]; then
        "$exe" tests/py/compile_tree.py "$src" "$dest.tmp" --exclude site-packages 2>/dev/null
    else
        node tests/pyodide/run.mjs "$version" tests/py/compile_tree.py "$src" "$PWD/$dest.tmp" --exclude site-packages 2>/dev/null
    fi
    mv "$dest.tmp" "$dest"
}

# disassemble ORIG TEXT: again whenever pyasm changed.
disassemble() {
    local orig=$1 text=$2
    if [ -d "$text" ] && [ "$text/.stamp" -nt "$PYASM" ]; then
        return 0
    fi
    rm -rf "$text"
    "$PYASM" dis "$orig" -o "$text" >/dev/null 2>&1
    touch "$text/.stamp"
}

status=0
IFS=, read -ra VS <<< "$VERSIONS"
for v in "${VS[@]}"; do
    d=$OUT/$v
    mkdir -p "$d"
    if [ "$v" = 3.11 ]; then
        compile 3.11 "$STDLIB" "$d/orig-own"
        disassemble "$d/orig-own" "$d/text-own"
        corpus=$d/text-own
    else
        compile "$v" STDLIB "$d/orig-own"
        compile "$v" "$STDLIB" "$d/orig-311"
        disassemble "$d/orig-own" "$d/text-own"
        disassemble "$d/orig-311" "$d/text-311"
        corpus=$d/text-own,$d/text-311
    fi
    cargo bench --bench mutants -- run --version "$v" --corpus "$corpus" \
        --work "$d/work" --keep "$OUT/crashes" --count "$COUNT" --seed "$SEED" \
        --batch "$BATCH" --timeout "$TIMEOUT" --pyasm "$PYASM" $UNMUTATED || status=1
done
exit $status
