"""``assemble(disassemble(co))`` against ``co``, field by field, for every
code object of the running interpreter's standard library compiled here,
tests included."""

import os
import sys
import sysconfig
import types
import warnings

import pyasm
import pytest

import same


def stdlib_sources():
    """Every .py file of the standard library (not of site-packages), in a
    fixed order."""
    root = sysconfig.get_paths()["stdlib"]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def compiled(path):
    """The module's code object, or None for a file that does not compile
    (test data written in Python 2, deliberate syntax errors)."""
    with open(path, "rb") as f:
        source = f.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            return None


def test_every_code_object_of_the_standard_library_comes_back_identical(capsys):
    modules = skipped = total = 0
    problems = []
    for path in stdlib_sources():
        co = compiled(path)
        if co is None:
            skipped += 1
            continue
        modules += 1
        back = pyasm.assemble(pyasm.disassemble(co))
        n, p = same.compare(co, back, path)
        total += n
        problems += p
    identical = total - len(problems)
    with capsys.disabled():
        print(
            "\nPython %d.%d: %d of %d code objects in %d modules identical "
            "(%d files did not compile)"
            % (sys.version_info[:2] + (identical, total, modules, skipped))
        )
    assert [p for p in problems if p][:20] == []
    # The walk found the standard library, tests included.
    assert modules > 1000
    assert identical == total


def sample():
    def f(a, b=2, *args, c, **kw):
        x = [i * a for i in args if i]
        try:
            return x, -0.0, 1j, b"\x00", frozenset({1.5}), (None, ...)
        except ValueError as e:
            raise KeyError(c) from e
    return f.__code__


@pytest.mark.parametrize("field", sorted(same.fields(sample())))
def test_the_comparison_sees_a_change_in_each_field(field):
    co = sample()
    assert same.compare(co, co) == (same.size(co), [])
    replacements = {
        "co_consts": co.co_consts[:-1] + (-1.0,),
        "co_lnotab": None,
        "co_lines": None,
        "co_positions": None,
        "co_linetable": b"",
    }
    name = field
    if field in ("co_lnotab", "co_lines", "co_positions") and hasattr(co, "co_linetable"):
        # Derived from the location table.
        name, new = "co_linetable", replacements["co_linetable"]
    elif field == "co_lnotab":
        # 3.9 and before: the line table itself.
        new = b""
    elif field in replacements:
        new = replacements[field]
    else:
        old = getattr(co, field)
        if isinstance(old, int):
            new = old + 1
        elif isinstance(old, str):
            new = old + "x"
        elif isinstance(old, bytes):
            new = old[:-2] + bytes([old[-2] ^ 1]) + old[-1:]
        elif isinstance(old, tuple):
            new = old + ("zz",)
        else:
            raise AssertionError("no change known for %s" % field)
    change = {name: new}
    if name in ("co_varnames", "co_nlocals"):
        # CPython keeps the two in step.
        change = {"co_varnames": co.co_varnames + ("zz",), "co_nlocals": co.co_nlocals + 1}
    n, problems = same.compare(co, co.replace(**change))
    assert len(problems) == 1 and field in problems[0], problems


def test_the_comparison_sees_a_change_in_a_nested_code_object():
    def outer():
        def inner():
            return 1
        return inner

    co = outer.__code__
    inner = [c for c in co.co_consts if isinstance(c, types.CodeType)][0]
    changed = co.replace(
        co_consts=tuple(inner.replace(co_firstlineno=inner.co_firstlineno + 1) if c is inner else c
                        for c in co.co_consts)
    )
    n, problems = same.compare(co, changed)
    assert n == 2 and len(problems) == 1 and "co_firstlineno" in problems[0], problems


def test_the_comparison_tells_constants_apart_by_type_and_bits():
    for a, b in [(0.0, -0.0), (1, 1.0), (1, True), (float("nan"), -float("nan")),
                 ((1,), [1]), (frozenset({1}), frozenset({1.0})), ("a", b"a")]:
        assert same.key(a) != same.key(b), (a, b)
    assert same.key(float("nan")) == same.key(float("nan"))
