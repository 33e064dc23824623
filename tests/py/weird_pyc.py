"""Write .pyc files holding code objects that CPython's compiler never
produces but marshal loads without complaint, one per oddity, into OUT.
The round-trip test checks that pyasm reproduces each of them exactly.

usage: weird_pyc.py OUT
"""
import dis
import importlib._bootstrap_external as ext
import opcode
import os
import sys

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)


def save(name, co):
    data = ext._code_to_timestamp_pyc(co, 0, 0)
    with open(os.path.join(OUT, name + ".pyc"), "wb") as f:
        f.write(data)


SRC = """
def f(a, b):
    x = a + b
    for i in range(3):
        try:
            x = x * i
        except ValueError:
            pass
    return x
"""
mod = compile(SRC, "weird.py", "exec")
f = mod.co_consts[0]


def with_f(name, **changes):
    g = f.replace(**changes)
    consts = tuple(g if c is f else c for c in mod.co_consts)
    save(name, mod.replace(co_consts=consts))


def patched_f(name, patches):
    """CPython's marshal writes co_code deoptimized (unknown opcodes become
    CACHE, caches become zero), so these oddities are patched into the
    marshalled bytes of f's co_code after the fact."""
    data = bytearray(ext._code_to_timestamp_pyc(mod, 0, 0))
    at = data.find(f.co_code)
    assert at > 0 and data.find(f.co_code, at + 1) < 0
    for offset, value in patches:
        data[at + offset] = value
    with open(os.path.join(OUT, name + ".pyc"), "wb") as out:
        out.write(data)


def find(code, name):
    op = opcode.opmap[name]
    for i in range(0, len(code), 2):
        if code[i] == op:
            return i
    raise LookupError(name)


code = bytearray(f.co_code)

# A cache entry that is not zero.
i = find(code, "BINARY_OP")
patched_f("nonzero_cache", [(i + 2, 0x12), (i + 3, 0x34)])

# An opcode byte 3.11 does not define.
patched_f("unknown_opcode", [(find(code, "NOP"), 0xEE)])

# A constant index past the end of co_consts, and a name index too.
c = bytearray(code)
i = find(c, "LOAD_CONST")
c[i + 1] = 200
i = find(c, "LOAD_GLOBAL")
c[i + 1] = 201
with_f("index_past_end", co_code=bytes(c))

# A jump that lands far outside the code.
c = bytearray(code)
i = find(c, "JUMP_FORWARD") if opcode.opmap["JUMP_FORWARD"] in c[0::2] else find(c, "FOR_ITER")
c[i + 1] = 250
with_f("jump_outside", co_code=bytes(c))

# A jump into the middle of an instruction's caches.
c = bytearray(code)
i = find(c, "FOR_ITER")
j = find(c, "BINARY_OP")
end = i // 2 + 1
c[i + 1] = (j // 2 + 1) - end if j > i else 1
with_f("jump_into_cache", co_code=bytes(c))

# EXTENDED_ARG prefixes that are not the fewest: `EXTENDED_ARG 0` in place
# of the first RESUME's predecessor slot.
c = bytearray(code)
i = find(c, "RESUME")
c[i], c[i + 1] = opcode.opmap["EXTENDED_ARG"], 0
with_f("nonminimal_extended_arg", co_code=bytes(c))

# Odd tables.
with_f("garbage_linetable", co_linetable=b"\x80\x00\x01")
with_f("empty_linetable", co_linetable=b"")
with_f("exception_entry_inside_instruction", co_exceptiontable=bytes([0x80 | 3, 1, 4, 2]))


def entries(table):
    """The exception table's entries, as their bytes (bit 7 opens one)."""
    starts = [i for i, b in enumerate(table) if b & 0x80] + [len(table)]
    return [table[a:b] for a, b in zip(starts, starts[1:])]


# Entries out of order, and one entry written twice (an overlap): CPython
# scans them as if sorted and apart, so the text can only give them raw.
t = entries(f.co_exceptiontable)
with_f("exception_entries_unsorted", co_exceptiontable=b"".join(t[1:] + t[:1]))
with_f("exception_entries_overlapping", co_exceptiontable=b"".join(t[:1] + t))

# The same constant twice, the second one used.
c = bytearray(code)
i = find(c, "LOAD_CONST")
consts = f.co_consts + f.co_consts
c[i + 1] = len(f.co_consts) + c[i + 1]
with_f("duplicate_consts", co_consts=consts, co_code=bytes(c))

# Constants of every kind marshal holds, including lone surrogates.
weird_consts = (
    None, True, False, ..., 0, -1, 2**100, -(2**70), 0.0, -0.0, float("inf"),
    float("-inf"), float("nan"), 1e-310, complex(-0.0, float("nan")),
    "\ud800", "a\udcffb", "\U0001f600", "\u2028", "\x00\x7f", b"\x00\xff'\"",
    (), (1,), ((),), frozenset(), frozenset({1, "a", (2,)}), "'\"both quotes",
)
save("constants", mod.replace(co_consts=mod.co_consts + weird_consts))

# Names that are not identifiers, and a surrogate in a name.
save("odd_names", mod.replace(co_names=mod.co_names + ("not an identifier", "\udc80", "NULL", "None")))

# A code object with no code at all.
save("empty_code", mod.replace(co_code=b"", co_linetable=b"", co_exceptiontable=b""))

# Large arguments: many constants force EXTENDED_ARG.
big = "x = [" + ", ".join(f"'c{i}'" for i in range(70000)) + "]\n"
save("many_constants", compile(big, "big.py", "exec"))

# Hash-based headers, checked and unchecked.
for name, checked in (("hash_checked", True), ("hash_unchecked", False)):
    data = ext._code_to_hash_pyc(mod, b"\x01\x23\x45\x67\x89\xab\xcd\xef", checked)
    with open(os.path.join(OUT, name + ".pyc"), "wb") as out:
        out.write(data)

print(len(os.listdir(OUT)), "files")
