"""Compare two trees of .pyc files inside the real interpreter: every file in
ORIG must have a counterpart in NEW whose header is equal and whose code
object is equal to the original in every field, recursively and
type-exactly (floats and complex numbers by bit pattern, so -0.0 and NaN
payloads count). As a second, byte-level check the two code objects must
also marshal to the same bytes with format version 2 (no back-references,
so the bytes depend only on the objects); that covers co_localspluskinds,
which Python code cannot read. It runs in 3.6 and later: the fields a
version's code objects lack are not compared, and 3.6's header is 12 bytes.

usage: compare_pyc.py ORIG NEW
Prints `identical N/M` and the first differences; exits 1 unless N == M.
"""
import marshal
import os
import struct
import sys
import types

FIELDS = [
    "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_stacksize",
    "co_flags", "co_code", "co_names", "co_varnames", "co_cellvars",
    "co_freevars", "co_nlocals", "co_linetable", "co_exceptiontable",
    "co_filename", "co_name", "co_qualname", "co_firstlineno",
]
# 3.6-3.9's line table; 3.10 on compute it from co_linetable.
if sys.version_info < (3, 10):
    FIELDS.append("co_lnotab")
FIELDS = [f for f in FIELDS if hasattr(compile("", "", "exec"), f)]
HEADER = 16 if sys.version_info >= (3, 7) else 12


def localsplus(co):
    """The full co_localsplusnames, in order, as the interpreter sees it."""
    names = []
    get = getattr(co, "_varname_from_oparg", None)
    if get is None:
        return names
    i = 0
    while True:
        try:
            names.append(get(i))
        except (IndexError, ValueError):
            return names
        i += 1


def diff(a, b, path):
    """None when equal, else a description of the first difference."""
    if type(a) is not type(b):
        return f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, types.CodeType):
        for f in FIELDS:
            d = diff(getattr(a, f), getattr(b, f), f"{path}.{f}")
            if d:
                return d
        d = diff(tuple(localsplus(a)), tuple(localsplus(b)), f"{path}.localsplusnames")
        if d:
            return d
        qualname = getattr(a, "co_qualname", a.co_name)
        return diff(a.co_consts, b.co_consts, f"{path}({qualname}).co_consts")
    if isinstance(a, float):
        if struct.pack("<d", a) != struct.pack("<d", b):
            return f"{path}: {a!r} != {b!r}"
        return None
    if isinstance(a, complex):
        if struct.pack("<dd", a.real, a.imag) != struct.pack("<dd", b.real, b.imag):
            return f"{path}: {a!r} != {b!r}"
        return None
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(a, (frozenset, set)):
        if len(a) != len(b):
            return f"{path}: size {len(a)} != {len(b)}"
        rest = list(b)
        for x in a:
            for j, y in enumerate(rest):
                if diff(x, y, path) is None:
                    del rest[j]
                    break
            else:
                return f"{path}: {x!r} has no counterpart"
        return None
    if isinstance(a, dict) or type(a).__name__ == "frozendict":  # 3.15
        return diff(list(a.items()), list(b.items()), path)
    if isinstance(a, slice):
        return diff((a.start, a.stop, a.step), (b.start, b.stop, b.step), path)
    if a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


def bytes_diff(x, y):
    """None when both marshal to the same bytes without references."""
    try:
        bx, by = marshal.dumps(x, 2), marshal.dumps(y, 2)
    except ValueError:
        # Objects format 2 cannot hold (3.14's slice constants): the field
        # comparison above has to do.
        return None
    if bx != by:
        at = next(i for i in range(min(len(bx), len(by))) if bx[i] != by[i]) if bx[:1] else 0
        return f"fields equal but marshal bytes differ at byte {at} (localspluskinds?)"
    return None


def main():
    orig, new = sys.argv[1], sys.argv[2]
    total = same = 0
    problems = []
    for root, _dirs, files in os.walk(orig):
        for name in sorted(files):
            if not name.endswith(".pyc"):
                continue
            total += 1
            p = os.path.join(root, name)
            q = os.path.join(new, os.path.relpath(p, orig))
            try:
                with open(p, "rb") as f:
                    a = f.read()
                with open(q, "rb") as f:
                    b = f.read()
            except OSError as e:
                problems.append(f"{p}: {e}")
                continue
            if a[:HEADER] != b[:HEADER]:
                problems.append(f"{p}: header {a[:HEADER].hex()} != {b[:HEADER].hex()}")
                continue
            try:
                x, y = marshal.loads(a[HEADER:]), marshal.loads(b[HEADER:])
                d = diff(x, y, "<module>")
                if d is None:
                    d = bytes_diff(x, y)
            except Exception as e:  # a load failure is a difference too
                d = f"load failed: {e!r}"
            if d:
                problems.append(f"{p}: {d}")
            else:
                same += 1
    for line in problems[:40]:
        print(line)
    print(f"identical {same}/{total}")
    sys.exit(0 if same == total and total > 0 else 1)


main()
