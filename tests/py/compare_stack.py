"""Compare the stack sizes and exception-handler depths of two trees of
.pyc files (CPython's own, and pyasm's rebuilt with --recompute-stack),
code object by code object, inside the running interpreter.

usage: compare_stack.py ORIG NEW
Prints `stacksize: equal N, larger L, smaller S of T` and
`handler depths: equal N of T`. It runs in 3.6 and later: before 3.11 there
is no exception table (0 handler depths), and 3.6's header is 12 bytes.
"""
import dis
import marshal
import os
import sys

HEADER = 16 if sys.version_info >= (3, 7) else 12


def handlers(co):
    """The exception table's entries (none before 3.11)."""
    parse = getattr(dis, "_parse_exception_table", None)
    return parse(co) if parse else []


def qualname(co):
    return getattr(co, "co_qualname", co.co_name)


def walk(co):
    yield co
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            yield from walk(c)


def main():
    orig, new = sys.argv[1], sys.argv[2]
    equal = larger = smaller = 0
    h_equal = h_total = 0
    worst = []
    for root, _dirs, files in os.walk(orig):
        for name in sorted(files):
            if not name.endswith(".pyc"):
                continue
            p = os.path.join(root, name)
            q = os.path.join(new, os.path.relpath(p, orig))
            with open(p, "rb") as f:
                a = marshal.loads(f.read()[HEADER:])
            with open(q, "rb") as f:
                b = marshal.loads(f.read()[HEADER:])
            for x, y in zip(walk(a), walk(b)):
                if y.co_stacksize == x.co_stacksize:
                    equal += 1
                elif y.co_stacksize > x.co_stacksize:
                    larger += 1
                else:
                    smaller += 1
                    worst.append(f"{p}: {qualname(x)} {x.co_stacksize} -> {y.co_stacksize}")
                ex = handlers(x)
                ey = handlers(y)
                for e1, e2 in zip(ex, ey):
                    h_total += 1
                    h_equal += e1.depth == e2.depth
                    if e1.depth != e2.depth:
                        worst.append(
                            f"{p}: {qualname(x)} handler at {e1.target}: "
                            f"depth {e1.depth} -> {e2.depth}"
                        )
    for w in worst[:10]:
        print(w)
    total = equal + larger + smaller
    print(f"stacksize: equal {equal}, larger {larger}, smaller {smaller} of {total}")
    print(f"handler depths: equal {h_equal} of {h_total}")


main()
