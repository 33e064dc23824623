"""Random and damaged inputs to every function of the pyasm module, run by
test_fuzz.py in a child process: whatever the input, the interpreter must
get a value or a Python exception of the kinds each function documents,
and never crash (a crash ends this process by a signal, which the parent
sees). Hypothesis generates the inputs, derandomized, a bounded number of
examples per property (PYASM_FUZZ_EXAMPLES, 150 by default)."""

import importlib.util
import marshal
import os
import random
import sys
import types

import pyasm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("PYASM_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

SOURCES = [
    "def f(a, *b, c=1, **d):\n    return [x for x in b if x > a], c, d\n",
    "class C:\n    def m(self):\n        return super().m()\n",
    "async def g():\n    async with a as b:\n        async for x in b:\n            yield x\n",
    "try:\n    import os\nexcept* ValueError as e:\n    pass\nfinally:\n    del os\n",
    "match p:\n    case {'x': [1, *r]} if r: print(f'{r!r:>{w}}')\n    case _: pass\n",
    "x = (1.5, -0.0, 2j, b'\\x00', frozenset({'a'}), ..., None, 10**40)\n",
]
def compiled(i, s):
    try:
        return compile(s, "fuzz%d.py" % i, "exec", dont_inherit=True)
    except SyntaxError:
        # Newer syntax than this interpreter reads (except*, match...).
        return None


CODES = [c for c in (compiled(i, s) for i, s in enumerate(SOURCES)) if c is not None]
PYCS = [importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(co) for co in CODES]
TEXTS = [pyasm.disassemble(co) for co in CODES]
# Inputs made to be hostile: deep nesting, lengths of gigabytes, references
# to nothing, every type code.
HOSTILE = [
    PYCS[0][:16] + b"\xa9\x01" * 5000 + b"N",
    PYCS[0][:16] + b"[" + b"\xff\xff\xff\x7f",
    PYCS[0][:16] + b"s\xff\xff\xff\x7f",
    PYCS[0][:16] + b"r\x00\x00\x00\x00",
    PYCS[0][:16] + bytes(range(256)),
]
TEXT_PIECES = [
    ".python 3.11", ".python 3.13", ".code m", ".code @x", ".consts", ".except 0 2 -> 4",
    "LOAD_CONST #99999999999", "EXTENDED_ARG 255", "JUMP_FORWARD L", "L:", "'\\ud800'",
    "1:2-3:4", "(" * 300, "\udc80", "\x00", "\u2028", "\r", "#", "@m", "9" * 5000,
]

# What each function may raise, for an input of the right type.
AS_TEXT = (pyasm.AssemblyError,)
AS_PYC = (ValueError,)


def outcome(f, x, allowed, **kw):
    """Calls f(x): a value, or an exception of the allowed kinds; anything
    else (another exception, a BaseException such as a panic's) fails."""
    try:
        return f(x, **kw)
    except allowed:
        return None


def mutate_bytes(data, rnd):
    data = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        kind = rnd.randrange(5)
        at = rnd.randrange(len(data) + 1)
        if kind == 0 and data:
            data[at % len(data)] ^= 1 << rnd.randrange(8)
        elif kind == 1:
            data[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 4)))
        elif kind == 2:
            del data[at:at + rnd.randint(1, 16)]
        elif kind == 3 and data:
            data[at % len(data)] = rnd.choice([0, 0x7f, 0x80, 0xff, ord("r"), ord("c"), ord("(")])
        else:
            data[at:at] = data[at:at + rnd.randint(1, 64)]
    return bytes(data)


def mutate_text(text, rnd):
    lines = text.split("\n")
    for _ in range(rnd.randint(1, 6)):
        kind = rnd.randrange(6)
        at = rnd.randrange(len(lines))
        if kind == 0:
            del lines[at]
        elif kind == 1:
            lines.insert(at, lines[rnd.randrange(len(lines))])
        elif kind == 2:
            j = rnd.randrange(len(lines))
            lines[at], lines[j] = lines[j], lines[at]
        elif kind == 3:
            lines.insert(at, rnd.choice(TEXT_PIECES))
        elif kind == 4:
            words = lines[at].split(" ")
            words[rnd.randrange(len(words))] = rnd.choice(TEXT_PIECES + ["0", "-1", "None", "x"])
            lines[at] = " ".join(words)
        else:
            line = lines[at]
            cut = rnd.randrange(len(line) + 1)
            lines[at] = line[:cut] + chr(rnd.randrange(0x110000)) + line[cut + 1:]
        if not lines:
            lines = [""]
    return "\n".join(lines)


def text_functions(text):
    diags = pyasm.check(text)
    assert isinstance(diags, list) and all(isinstance(d, pyasm.Diagnostic) for d in diags)
    errors = [d for d in diags if d.severity == "error"]
    pyc = outcome(pyasm.assemble_pyc, text, AS_TEXT)
    # check and assemble agree on whether the text has errors.
    assert (pyc is None) == bool(errors), (errors, text)
    co = outcome(pyasm.assemble, text, AS_TEXT)
    if co is not None:
        assert isinstance(co, types.CodeType)
        # What assembles disassembles again.
        assert isinstance(pyasm.disassemble(co), str)
    if pyc is not None:
        assert isinstance(pyasm.disassemble(pyc), str)


@SETTINGS
@given(st.binary(max_size=4096))
def random_bytes(data):
    outcome(pyasm.disassemble, data, AS_PYC)
    outcome(pyasm.disassemble, PYCS[0][:16] + data, AS_PYC)


@SETTINGS
@given(st.integers(0, len(PYCS) + len(HOSTILE) - 1), st.randoms(use_true_random=False))
def damaged_pycs(which, rnd):
    seeds = PYCS + HOSTILE
    outcome(pyasm.disassemble, mutate_bytes(seeds[which], rnd), AS_PYC)


@SETTINGS
@given(st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=300))
def random_text(text):
    text_functions(text)


@SETTINGS
@given(st.lists(st.sampled_from(TEXT_PIECES + ["", "    ", "RETURN_VALUE", "LOAD_CONST None"]),
                max_size=40))
def text_of_pieces(pieces):
    text_functions("\n".join(pieces))


@SETTINGS
@given(st.integers(0, len(TEXTS) - 1), st.randoms(use_true_random=False))
def damaged_texts(which, rnd):
    text_functions(mutate_text(TEXTS[which], rnd))


ANYTHING = st.one_of(
    st.none(), st.integers(), st.floats(), st.booleans(), st.binary(max_size=64),
    st.text(max_size=64), st.lists(st.integers(), max_size=4), st.just(len), st.just(pyasm),
    st.just(types.CodeType), st.just(b"\x00" * 10_000_000),
)


@SETTINGS
@given(ANYTHING, ANYTHING)
def wrong_types(x, name):
    for f in (pyasm.assemble, pyasm.assemble_pyc, pyasm.check):
        outcome(f, x, (TypeError, pyasm.AssemblyError))
        outcome(f, "", (TypeError, ValueError, pyasm.AssemblyError), filename=name)
    # A str is a path: whatever reading that file raises.
    outcome(pyasm.disassemble, x, (TypeError, ValueError, OSError))


def main():
    for prop in (random_bytes, damaged_pycs, random_text, text_of_pieces, damaged_texts,
                 wrong_types):
        prop()
        print("fuzzed %s: %d examples, no crash" % (prop.__name__, EXAMPLES))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
