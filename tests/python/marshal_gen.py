"""Writes the inputs of tests/marshal.rs: .pyc files made by this
interpreter's own compiler, and marshal blobs of non-code objects.

usage: marshal_gen.py samples OUT_DIR
       marshal_gen.py stdlib OUT_DIR STDLIB_DIR

Each output file NAME gets a line "NAME<TAB>origin" in OUT_DIR/manifest.txt.
"""
import importlib._bootstrap_external as bootstrap
import importlib.util
import marshal
import os
import sys
import warnings

warnings.simplefilter("ignore")

SAMPLES = {
    "numbers": r'''
BIG = 123456789012345678901234567890123456789
NBIG = -123456789012345678901234567890123456789
EDGES = (2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**63, -2**63, 2**15, 2**30,
         2**45 - 1, 0, -1, -32768, 32768, 2**1000, -(2**999))
FLOATS = (0.0, -0.0, 1.5, 1e300, 5e-324, 1e309, -1e309, 1e309 - 1e309, 0.1)
COMPLEXES = (1j, -0j, 1 + 2j, 1e309 * 1j, -1.5 - 0.0j, 0j)
''',
    "texts": r'''
B = b"\x00\xff raw \x80 bytes"
EMPTY_B = b""
S = "caf\u00e9 \U0001f600 \ud800 tail"
LONE = "\udfff"
SURR_PAIR_LIKE = "\ud83d\ude00"
ASTRAL = "\U0010ffff"
LONG_ASCII = "not an identifier! " * 20
LONG_IDENT = "a" * 300
LATIN = "\xe9\xff"
EMPTY = ""
def f():
    return "x y", "ident", "\u20ac"
''',
    "containers": r'''
T = ((1, 2), ("a", ("b", None)), (), True, False, ..., None)
BIG_T = (''' + ", ".join(str(i) for i in range(300)) + r''',)
def member(x):
    return x in {1, 2, 3}, x in {"a", "b"}, x not in {1.5, -0.0, 2j, b"z"}
def nested(x):
    return x in {(1, 2), frozenset()}
''',
    "functions": r'''
import sys

def outer(a, /, b, c=3, *args, d, e=5, **kw):
    """Docstring."""
    v = a + b
    def inner(x=1):
        nonlocal v
        v += x
        return v + c
    lam = lambda y, *, z=2: (y, z, a)
    return inner, lam

def cell_arg(a):
    def g():
        return a
    return g

async def agen(n):
    for i in range(n):
        yield i
    async with n as m:
        await m

def gen(xs):
    yield from (x * 2 for x in xs if x)
    return [y for y in xs], {k: v for k, v in xs}, {s for s in xs}

class Klass(object):
    attr = 1
    def method(self):
        return __class__, super().method()
    @staticmethod
    def st(*, k): return k
    class Inner:
        def deep(self):
            def deeper():
                return lambda: self
            return deeper

def handler(a, b):
    try:
        return a / b
    except ZeroDivisionError as exc:
        raise ValueError("no") from exc
    except (TypeError, KeyError):
        return None
    finally:
        print("done")

def fstrings(x):
    return f"{x!r:>{10}} {x=}", x[1:2], x[::2]

with open(__file__) as fh:
    pass
match sys.argv:
    case [_, "x", *rest]:
        pass
    case {"k": v}:
        pass
''',
}

# Objects that no code object holds, for the other marshal types, written
# with every marshal version so that the old forms (text floats, 4-byte
# tuple lengths, 't' strings) appear too.
BLOB = (
    None, True, False, StopIteration, Ellipsis,
    0, 1, -1, 2**31 - 1, -2**31, 2**31, 2**64, -(2**70),
    0.0, -0.0, 1.5, float("inf"), float("-inf"), float("nan"), 1e-310,
    1j, complex(-0.0, 2.5),
    b"", b"\x00\xff", "", "abc", "\ud800x", "\U0001f600", "na\xefve",
    "x" * 300, "y z" * 200,
    [1, [2, [3, []]]],
    {"a": 1, 2: [3], (4, 5): None, "nested": {"d": {}}},
    {1, 2, "s"}, frozenset({3, 4}), set(), frozenset(),
    tuple(range(300)), (),
    compile("def f(q): return q\nx = [1, 2]", "<blob>", "exec"),
)


def write(out_dir, manifest, name, data, origin):
    with open(os.path.join(out_dir, name), "wb") as fh:
        fh.write(data)
    manifest.append(f"{name}\t{origin}")


def samples(out_dir):
    manifest = []
    for i, (name, source) in enumerate(sorted(SAMPLES.items())):
        code = compile(source, f"<{name}>", "exec", dont_inherit=True)
        data = bootstrap._code_to_timestamp_pyc(code, 1700000000 + i, len(source))
        write(out_dir, manifest, f"{name}.pyc", data, name)
        # The same code behind both kinds of hash-based header.
        digest = importlib.util.source_hash(source.encode())
        for checked in (False, True):
            data = bootstrap._code_to_hash_pyc(code, digest, checked)
            tag = "checked" if checked else "unchecked"
            write(out_dir, manifest, f"{name}.{tag}.pyc", data, f"{name} ({tag} hash)")
    for version in range(marshal.version + 1):
        write(out_dir, manifest, f"blob.v{version}.bin",
              marshal.dumps(BLOB, version), f"blob, marshal version {version}")
    return manifest


def stdlib(out_dir, root):
    manifest = []
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ("site-packages", "__pycache__"))
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            path = os.path.join(dirpath, fn)
            try:
                with open(path, "rb") as fh:
                    source = fh.read()
                code = compile(source, path, "exec", dont_inherit=True)
            except Exception:
                continue  # some test files are deliberately broken
            data = bootstrap._code_to_timestamp_pyc(code, 0, len(source))
            count += 1
            write(out_dir, manifest, f"{count:05}.pyc", data, path)
    return manifest


def main():
    mode, out_dir = sys.argv[1], sys.argv[2]
    if mode == "samples":
        manifest = samples(out_dir)
    else:
        manifest = stdlib(out_dir, sys.argv[3])
    with open(os.path.join(out_dir, "manifest.txt"), "w", encoding="utf-8",
              errors="surrogateescape") as fh:
        fh.write("\n".join(manifest) + "\n")
    print(f"wrote {len(manifest)} files")


main()
