"""Inject one defect at a time into real code objects and write each mutant
as a .pyc, with a manifest of what was injected where.

usage: inject_defects.py SRC_DIR OUT_DIR [MAX_PER_KIND]

Defects, each chosen with the running interpreter's own dis metadata:
  stack-underflow   the push right before a RETURN_VALUE becomes a NOP,
                    where the stack is provably empty before that push
  bad-jump-target   a jump's argument is changed so it lands outside the code
  undefined-name    a name or local index is set past the end of its table
Manifest lines: `FILE<TAB>KIND<TAB>QUALNAME`. It runs in 3.7 and later:
before 3.11 there are no inline caches and jumps may be absolute, and
before 3.10 they count bytes.
"""
import dis
import importlib._bootstrap_external as ext
import marshal
import opcode
import os
import sys
import types

# 3.6 has no PEP 552 headers, nor the function that writes one.
to_pyc = getattr(ext, "_code_to_timestamp_pyc", None) or ext._code_to_bytecode

SRC, OUT = sys.argv[1], sys.argv[2]
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else 200
os.makedirs(OUT, exist_ok=True)

EXT = opcode.opmap["EXTENDED_ARG"]
NOP = opcode.opmap["NOP"]
CACHES = getattr(opcode, "_inline_cache_entries", None)
HASJREL = set(dis.hasjrel)
HASJABS = set(dis.hasjabs)
# What a jump argument counts: bytes before 3.10, code units since.
SCALE = 2 if sys.version_info < (3, 10) else 1
HEADER = 16 if sys.version_info >= (3, 7) else 12
BACKWARD = {opcode.opmap[n] for n in ("JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT") if n in opcode.opmap}
if sys.version_info < (3, 12):
    BACKWARD |= {o for o in dis.hasjrel if "BACKWARD" in opcode.opname[o]}


def caches(op):
    # None before 3.11, a list by opcode to 3.12, then a mapping by name
    # (3.15: a frozendict).
    if CACHES is None:
        return 0
    if isinstance(CACHES, list):
        return CACHES[op]
    return CACHES.get(opcode.opname[op], 0)


def instructions(code):
    """(start, op, arg, size) in code units, EXTENDED_ARG prefixes included."""
    out, i, n = [], 0, len(code) // 2
    while i < n:
        start, arg = i, 0
        while code[2 * i] == EXT and i + 1 < n:
            arg = (arg << 8) | code[2 * i + 1]
            i += 1
        op = code[2 * i]
        arg = (arg << 8) | code[2 * i + 1]
        i += 1 + caches(op)
        out.append((start, op, arg, i - start))
    return out


def effect(op, arg, jump):
    plain = op < opcode.HAVE_ARGUMENT and sys.version_info < (3, 13)
    try:
        if sys.version_info < (3, 8):
            # No `jump`: one answer for both branches.
            return dis.stack_effect(op) if plain else dis.stack_effect(op, arg)
        if plain:
            return dis.stack_effect(op, jump=jump)
        return dis.stack_effect(op, arg, jump=jump)
    except ValueError:
        return None


def depths(co, instrs):
    """Depth before each instruction on normal paths from the entry, or None
    where the analysis is unsure (any ambiguity gives up on the object)."""
    by_start = {s: k for k, (s, _, _, _) in enumerate(instrs)}
    d = [None] * len(instrs)
    d[0] = 0
    work = [0]
    stops = {opcode.opmap[n] for n in ("RETURN_VALUE", "RAISE_VARARGS", "RERAISE", "RETURN_CONST",
                                       "BREAK_LOOP", "CONTINUE_LOOP", "END_FINALLY") if n in opcode.opmap}
    uncond = {opcode.opmap[n] for n in ("JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT",
                                        "JUMP_ABSOLUTE") if n in opcode.opmap}
    while work:
        k = work.pop()
        start, op, arg, size = instrs[k]
        name = opcode.opname[op]
        if name == "RETURN_GENERATOR":
            return None
        e = effect(op, arg, False)
        if e is None:
            return None
        succ = []
        if op in HASJREL or op in HASJABS:
            end = start + size
            if arg % SCALE:
                return None
            units = arg // SCALE
            if op in HASJABS:
                t = units
            else:
                t = end - units if op in BACKWARD else end + units
            if t not in by_start:
                return None
            te = effect(op, arg, True)
            if te is None:
                return None
            succ.append((by_start[t], d[k] + te))
        if op not in stops and op not in uncond and k + 1 < len(instrs):
            succ.append((k + 1, d[k] + e))
        for j, dj in succ:
            if d[j] is None:
                d[j] = dj
                work.append(j)
            elif d[j] != dj:
                return None
    return d


def replace(co, **fields):
    """`co.replace(...)`, also in 3.7, whose code objects lack it."""
    if hasattr(co, "replace"):
        return co.replace(**fields)
    names = ["argcount", "kwonlyargcount", "nlocals", "stacksize", "flags", "code", "consts",
             "names", "varnames", "filename", "name", "firstlineno", "lnotab", "freevars",
             "cellvars"]
    args = [fields.get("co_" + n, getattr(co, "co_" + n)) for n in names]
    return types.CodeType(*args)


def walk(co, path=()):
    yield co, path
    for i, c in enumerate(co.co_consts):
        if hasattr(c, "co_code"):
            yield from walk(c, path + (i,))


def replace_at(root, path, new):
    if not path:
        return new
    consts = list(root.co_consts)
    consts[path[0]] = replace_at(consts[path[0]], path[1:], new)
    return replace(root, co_consts=tuple(consts))


def mutants(co):
    code = co.co_code
    instrs = instructions(code)
    total = len(code) // 2
    ret = opcode.opmap["RETURN_VALUE"]
    d = depths(co, instrs)
    if d is not None:
        for k in range(1, len(instrs)):
            (s0, op0, a0, z0), (_, op1, _, _) = instrs[k - 1], instrs[k]
            if (op1 == ret and d[k - 1] == 0 and z0 == 1 and effect(op0, a0, False) == 1
                    and opcode.opname[op0].startswith("LOAD_")):
                b = bytearray(code)
                b[2 * s0], b[2 * s0 + 1] = NOP, 0
                yield "stack-underflow", replace(co, co_code=bytes(b))
                break
    for start, op, arg, size in instrs:
        if op in HASJREL and size == 1 + caches(op):
            end = start + size
            if op in BACKWARD and end < 255:
                new = 255
            elif op not in BACKWARD and end + 255 // SCALE > total:
                new = 255
            else:
                continue
            b = bytearray(code)
            b[2 * start + 1] = new
            yield "bad-jump-target", replace(co, co_code=bytes(b))
            break
    for start, op, arg, size in instrs:
        if size != 1 + caches(op):
            continue
        if op in dis.hasname and opcode.opname[op] in ("LOAD_NAME", "STORE_NAME", "LOAD_ATTR", "IMPORT_NAME"):
            limit = len(co.co_names)
        elif op in dis.haslocal and opcode.opname[op] in ("LOAD_FAST", "STORE_FAST"):
            limit = len(co.co_varnames) + len(co.co_cellvars) + len(co.co_freevars)
        else:
            continue
        if limit >= 200:
            continue
        b = bytearray(code)
        b[2 * start + 1] = 250
        yield "undefined-name", replace(co, co_code=bytes(b))
        break


def main():
    counts = {}
    manifest = []
    for root_dir, _dirs, files in os.walk(SRC):
        for name in sorted(files):
            if not name.endswith(".pyc"):
                continue
            with open(os.path.join(root_dir, name), "rb") as f:
                data = f.read()
            module = marshal.loads(data[HEADER:])
            for co, path in walk(module):
                for kind, mutated in mutants(co):
                    if counts.get(kind, 0) >= LIMIT:
                        continue
                    counts[kind] = counts.get(kind, 0) + 1
                    out_name = f"{kind}-{counts[kind]:05d}.pyc"
                    new_module = replace_at(module, path, mutated)
                    with open(os.path.join(OUT, out_name), "wb") as f:
                        f.write(to_pyc(new_module, 0, 0))
                    manifest.append(f"{out_name}\t{kind}\t{getattr(co, 'co_qualname', co.co_name)}")
            if all(counts.get(k, 0) >= LIMIT for k in ("stack-underflow", "bad-jump-target", "undefined-name")):
                break
    with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))


main()
