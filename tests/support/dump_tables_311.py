"""Compiles every .py file of the standard library (site-packages left out),
or of the tree named by the first argument, with the running interpreter,
and prints for every code object the raw material `tests/tables_311.rs`
checks the location-table and exception-table codecs against. Files the
interpreter refuses to compile are counted and skipped.

Output, one JSON value per line:
  {"root": path, "version": "3.11.x"}  first
  {"file": path}                      before the code objects of each file
  [qualname, firstlineno, linetable_hex, exceptiontable_hex, code_units,
   positions, sizes]
  {"skipped": count}                  last
positions is co_positions() run-length encoded as a flat list of
count, line, end_line, col, end_col (null for None) repeated; sizes lists the
length in code units of each instruction in order, counting its EXTENDED_ARG
prefixes and its inline caches, so instruction starts are the running sums.
"""
import json
import opcode
import os
import sys
import sysconfig
import warnings

warnings.simplefilter("ignore")
ROOT = sys.argv[1] if len(sys.argv) > 1 else sysconfig.get_paths()["stdlib"]
EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
CACHES = opcode._inline_cache_entries
out = sys.stdout
dumps = json.JSONEncoder(separators=(",", ":")).encode


def sizes_of(code):
    sizes = []
    i = 0
    while i < len(code):
        start = i
        while code[i] == EXTENDED_ARG:
            i += 2
        i += 2 + 2 * CACHES[code[i]]
        sizes.append((i - start) // 2)
    assert i == len(code)
    return sizes


def runs_of(co):
    flat = []
    prev = None
    for p in co.co_positions():
        if p == prev:
            flat[-5] += 1
        else:
            flat.append(1)
            flat.extend(p)
            prev = p
    return flat


def emit(co):
    out.write(dumps([
        co.co_qualname,
        co.co_firstlineno,
        co.co_linetable.hex(),
        co.co_exceptiontable.hex(),
        len(co.co_code) // 2,
        runs_of(co),
        sizes_of(co.co_code),
    ]))
    out.write("\n")
    for c in co.co_consts:
        if isinstance(c, type(co)):
            emit(c)


out.write(dumps({"root": ROOT, "version": sys.version.split()[0]}) + "\n")
skipped = 0
for dirpath, dirnames, filenames in os.walk(ROOT):
    dirnames[:] = sorted(d for d in dirnames if d != "site-packages")
    for name in sorted(filenames):
        if not name.endswith(".py"):
            continue
        path = os.path.join(dirpath, name)
        try:
            with open(path, "rb") as f:
                co = compile(f.read(), path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            skipped += 1
            continue
        out.write(dumps({"file": path}) + "\n")
        emit(co)
out.write(dumps({"skipped": skipped}) + "\n")
