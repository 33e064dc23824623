"""Compares each file of tests/marshal.rs's inputs with the copy pyasm wrote.

usage: marshal_compare.py DIR

For every NAME listed in DIR/manifest.txt, loads DIR/NAME and DIR/NAME.ours
with this interpreter's marshal (skipping the 16-byte header of a .pyc after
checking it is unchanged) and compares the two objects field by field:
exact types, floats by bit pattern, code objects attribute by attribute.
Prints "same NAME" or "differs NAME: where", then "compared N".
"""
import marshal
import os
import struct
import sys
import types

CODE_FIELDS = (
    "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_stacksize",
    "co_flags", "co_code", "co_names", "co_varnames", "co_cellvars",
    "co_freevars", "co_linetable", "co_exceptiontable", "co_firstlineno",
    "co_filename", "co_name", "co_qualname", "co_nlocals",
)


def localsplus(code):
    """Every name `_varname_from_oparg` gives, in order."""
    names = []
    while True:
        try:
            names.append(code._varname_from_oparg(len(names)))
        except IndexError:
            return names


def diff(a, b, where):
    """None when a and b are the same value, else a description."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    kind = type(a)
    if kind is float:
        same = struct.pack("<d", a) == struct.pack("<d", b)
    elif kind is complex:
        same = struct.pack("<dd", a.real, a.imag) == struct.pack("<dd", b.real, b.imag)
    elif kind in (tuple, list):
        if len(a) != len(b):
            return f"{where}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = diff(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    elif kind is dict:
        return diff(list(a.items()), list(b.items()), f"{where}.items()")
    elif kind in (set, frozenset):
        if len(a) != len(b):
            return f"{where}: size {len(a)} vs {len(b)}"
        left = list(b)
        for x in a:
            match = next((i for i, y in enumerate(left) if diff(x, y, "") is None), None)
            if match is None:
                return f"{where}: {x!r} has no counterpart"
            left.pop(match)
        return None
    elif kind is slice:
        return diff((a.start, a.stop, a.step), (b.start, b.stop, b.step), where)
    elif kind is types.CodeType:
        for field in CODE_FIELDS:
            found = diff(getattr(a, field), getattr(b, field), f"{where}.{field}")
            if found:
                return found
        found = diff(localsplus(a), localsplus(b), f"{where}._varname_from_oparg")
        return found or diff(a.co_consts, b.co_consts, f"{where}.co_consts")
    elif kind is type:
        same = a is b
    else:
        same = a == b
    return None if same else f"{where}: {a!r} vs {b!r}"


def load(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".pyc") or path.endswith(".pyc.ours"):
        return data[:16], marshal.loads(data[16:])
    return b"", marshal.loads(data)


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.txt"), encoding="utf-8",
              errors="surrogateescape") as fh:
        names = [line.split("\t")[0] for line in fh if line.strip()]
    for name in names:
        path = os.path.join(folder, name)
        try:
            head, original = load(path)
            our_head, ours = load(path + ".ours")
        except Exception as exc:
            print(f"differs {name}: cannot load: {exc!r}")
            continue
        found = "header" if head != our_head else diff(original, ours, "obj")
        print(f"differs {name}: {found}" if found else f"same {name}")
    print(f"compared {len(names)}")


main()
