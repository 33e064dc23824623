"""Field-by-field comparison of code objects, for the tests of the pyasm
package: every ``co_*`` attribute the running interpreter has (the
methods ``co_lines`` and ``co_positions`` by what they yield), with
constants compared by type and exact value (a float by its bits, so -0.0
is not 0.0 and NaNs compare by payload), recursing into code constants."""

import struct
import types
import warnings
from typing import Any, Dict, List, Tuple


def fields(co: types.CodeType) -> Dict[str, Any]:
    """Every ``co_*`` attribute of ``co``, methods called."""
    out = {}
    with warnings.catch_warnings():
        # co_lnotab is deprecated from 3.12 on, and still there.
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in dir(co):
            if not name.startswith("co_"):
                continue
            value = getattr(co, name)
            out[name] = list(value()) if callable(value) else value
    return out


def key(x: Any) -> Any:
    """A value that is equal for two constants exactly when they are the
    same constant; a code object inside is only marked, for ``compare`` to
    recurse into. Nested tuples are walked without recursion (constants
    nest as deep as marshal allows, deeper than 3.12's C stack limit lets
    Python code recurse)."""
    out = []
    todo = [x]
    while todo:
        x = todo.pop()
        t = type(x)
        if t is tuple or t is list:
            out.append((t.__name__, len(x)))
            todo.extend(reversed(x))
        elif t is frozenset or t is set:
            out.append((t.__name__,) + tuple(sorted((key(e) for e in x), key=repr)))
        elif t is float:
            out.append(("float", struct.pack("<d", x)))
        elif t is complex:
            out.append(("complex", struct.pack("<dd", x.real, x.imag)))
        elif t is types.CodeType:
            out.append(("code",))
        elif t is slice:
            out.append(("slice", key(x.start), key(x.stop), key(x.step)))
        else:
            out.append((t.__name__, x))
    return tuple(out)


def compare(a: types.CodeType, b: types.CodeType, where: str = "") -> Tuple[int, List[str]]:
    """The number of code objects in ``a``'s tree and, for each that is not
    identical to its counterpart in ``b``, an entry (naming the fields that
    differ, or empty for one of a run already named)."""
    where = where or getattr(a, "co_qualname", a.co_name)
    fa, fb = fields(a), fields(b)
    differing = sorted(
        n for n in set(fa) | set(fb) if n not in fa or n not in fb or key(fa[n]) != key(fb[n])
    )
    problems = ["%s: %s" % (where, ", ".join(differing))] if differing else []
    count = 1
    codes_a = [c for c in a.co_consts if isinstance(c, types.CodeType)]
    codes_b = [c for c in b.co_consts if isinstance(c, types.CodeType)]
    for i, (ca, cb) in enumerate(zip(codes_a, codes_b)):
        n, p = compare(ca, cb, "%s/%d:%s" % (where, i, ca.co_name))
        count += n
        problems += p
    # Code constants without a counterpart differ, and all they hold.
    for extra in codes_a[len(codes_b):]:
        n = size(extra)
        count += n
        problems += ["%s: %d code objects under %s have no counterpart" % (where, n, extra.co_name)]
        problems += [""] * (n - 1)
    return count, problems


def size(co: types.CodeType) -> int:
    """The number of code objects in ``co``'s tree."""
    return 1 + sum(size(c) for c in co.co_consts if isinstance(c, types.CodeType))
