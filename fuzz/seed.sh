#!/usr/bin/env bash
# Makes the seed corpora of the fuzz targets in fuzz/corpus/<target>/ (not
# committed; small enough to make again in seconds):
#   text          the examples, and pyasm's disassembly of a few standard
#                 library modules as python3.11 compiles them;
#   pyc_reader,   the examples built, and those modules compiled;
#   pyc_roundtrip
#   lsp_edits     one short edit script per base text and encoding.
# usage: fuzz/seed.sh [PYASM_BINARY]   (default: target/debug/pyasm)
set -euo pipefail
cd "$(dirname "$0")/.."
pyasm=${1:-target/debug/pyasm}
c=fuzz/corpus
mkdir -p "$c/text" "$c/pyc_reader" "$c/pyc_roundtrip" "$c/lsp_edits"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in examples/*/*.pyasm; do
    name=$(echo "$f" | tr / _)
    cp "$f" "$c/text/$name"
    "$pyasm" build "$f" -o "$c/pyc_reader/${name%.pyasm}.pyc" 2>/dev/null
done
# A few small standard library modules, compiled by the real interpreter.
python3.11 - "$tmp" <<'PY'
import os, py_compile, sys, sysconfig
out = sys.argv[1]
lib = sysconfig.get_paths()["stdlib"]
names = ["keyword.py", "colorsys.py", "bisect.py", "this.py", "stat.py", "glob.py",
         "fnmatch.py", "shlex.py", "textwrap.py", "dataclasses.py", "contextlib.py"]
for n in names:
    src = os.path.join(lib, n)
    if os.path.exists(src):
        py_compile.compile(src, cfile=os.path.join(out, n[:-3] + ".pyc"), doraise=True)
PY
for f in "$tmp"/*.pyc; do
    name=stdlib_$(basename "$f")
    cp "$f" "$c/pyc_reader/$name"
    "$pyasm" dis "$f" -o "$tmp/${name%.pyc}.pyasm"
    # Only the short ones: a text target input of 100 KB runs a few
    # times a second.
    if [ "$(wc -c < "$tmp/${name%.pyc}.pyasm")" -le 8192 ]; then
        cp "$tmp/${name%.pyc}.pyasm" "$c/text/"
    fi
done
cp "$c"/pyc_reader/* "$c/pyc_roundtrip/"
# Edit scripts (see pyasm::lsp::selfcheck::run_script): base and encoding,
# then a few six-byte changes.
for base in 0 1 2 3 4 5; do
    for enc in 0 128; do
        printf "\\x$(printf %02x $((base + enc)))\\x01\\x03\\x02\\x03\\x05\\x09\\x04\\x02\\x00\\x00\\x00\\x0c" \
            > "$c/lsp_edits/script_${base}_${enc}"
    done
done
echo "seed corpora in $c: $(ls "$c/text" | wc -l) texts, $(ls "$c/pyc_reader" | wc -l) .pyc files, $(ls "$c/lsp_edits" | wc -l) edit scripts"
