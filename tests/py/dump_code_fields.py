"""Print, for every .pyc under TREE, the fields of each code object as the
running interpreter (3.6 or later) names them, so that a test can check
that pyasm's model puts every field where the interpreter has it.

usage: dump_code_fields.py TREE
Prints one JSON line per file, in sorted order of relative path:
{"path": REL, "codes": [[co_argcount, co_posonlyargcount (0 before 3.8),
co_kwonlyargcount, co_nlocals, co_stacksize, co_flags, co_firstlineno,
co_name, co_filename, co_names, co_varnames, co_cellvars, co_freevars,
the line table as hex (co_linetable from 3.10, else co_lnotab)], ...]},
code objects in preorder through co_consts.
"""
import json
import marshal
import os
import sys

HEADER = 16 if sys.version_info >= (3, 7) else 12


def record(co, out):
    table = co.co_linetable if hasattr(co, "co_linetable") else co.co_lnotab
    out.append([
        co.co_argcount, getattr(co, "co_posonlyargcount", 0), co.co_kwonlyargcount,
        co.co_nlocals, co.co_stacksize, co.co_flags, co.co_firstlineno,
        co.co_name, co.co_filename, list(co.co_names), list(co.co_varnames),
        list(co.co_cellvars), list(co.co_freevars), table.hex(),
    ])
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            record(c, out)


def main():
    tree = sys.argv[1]
    paths = []
    for root, _dirs, files in os.walk(tree):
        paths += [os.path.join(root, f) for f in files if f.endswith(".pyc")]
    for p in sorted(paths, key=lambda p: os.path.relpath(p, tree)):
        with open(p, "rb") as f:
            co = marshal.loads(f.read()[HEADER:])
        codes = []
        record(co, codes)
        print(json.dumps({"path": os.path.relpath(p, tree), "codes": codes}, ensure_ascii=False))


main()
