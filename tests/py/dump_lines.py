"""Print the line of every code unit of the code objects in a sample of the
.pyc files under TREE, as the running interpreter (3.6 to 3.10) tells it:
from dis.findlinestarts before 3.10, from co_lines() in 3.10.

usage: dump_lines.py TREE EVERY
Takes every EVERY-th file in sorted order of relative path. Prints one JSON
line per file taken: {"path": REL, "codes": [[count, line, count, line,
...], ...]}, each code object's lines run-length encoded (null for no line),
code objects in preorder through co_consts.
"""
import dis
import json
import marshal
import os
import sys

HEADER = 16 if sys.version_info >= (3, 7) else 12


def unit_lines(co):
    units = len(co.co_code) // 2
    lines = [None] * units
    if hasattr(co, "co_lines"):
        for start, end, line in co.co_lines():
            for u in range(start // 2, end // 2):
                lines[u] = line
    else:
        # A start holds until the next one; one at the end of the code
        # covers nothing.
        starts = sorted(dis.findlinestarts(co))
        for k, (addr, line) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else 2 * units
            for u in range(addr // 2, min(end, 2 * units) // 2):
                lines[u] = line
    return lines


def rle(values):
    out = []
    for v in values:
        if out and out[-1] == v:
            out[-2] += 1
        else:
            out += [1, v]
    return out


def record(co, out):
    out.append(rle(unit_lines(co)))
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            record(c, out)


def main():
    tree, every = sys.argv[1], int(sys.argv[2])
    paths = []
    for root, _dirs, files in os.walk(tree):
        paths += [os.path.join(root, f) for f in files if f.endswith(".pyc")]
    paths.sort(key=lambda p: os.path.relpath(p, tree))
    for p in paths[::every]:
        with open(p, "rb") as f:
            code = marshal.loads(f.read()[HEADER:])
        codes = []
        record(code, codes)
        rel = os.path.relpath(p, tree)
        print(json.dumps({"path": rel, "codes": codes}))


main()
