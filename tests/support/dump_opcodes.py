"""Prints what the running interpreter knows about its own instruction set,
for the `tests/opcodes_3*.rs` checks of pyasm's opcode tables.

Runs under CPython 3.6 to 3.15 (natively or in pyodide). Anything the
host prints first (pyodide's package loading, say) is ignored by the
reader: the output proper is the line MARKER followed by one JSON object
on a single line.

The object holds
  version              sys.version
  opmap                real instructions (number < 256) by name
  pseudo               names of the pseudo-instructions left out of opmap
  specialized          specialized instructions by name (none before 3.11)
  deopt                specialized instruction -> the instruction it stands in for
  caches               inline cache entries, by name of every opmap entry
                       (0 before 3.11)
  kinds                the operand kind of every opmap entry, worked out from
                       the dis lists by the rules in `kind` below
  cmp_op, nb_ops, intrinsic1, intrinsic2, common_constants,
  special_methods      the operand lists dis prints arguments with
  function_flags       [bit, name] pairs of MAKE_FUNCTION (to 3.12) or
                       SET_FUNCTION_ATTRIBUTE (3.13+); where dis has no list
                       (3.6, 3.7), the bit the compiler sets for each
  compare_args         [cmp_op index, COMPARE_OP argument] as the compiler
                       writes them for plain and branching comparisons (and
                       for `except`, 3.6-3.8's `exception match`)
  args                 the arguments stack effects were asked for
  effects              name -> [[jump, no_jump], ...] with one pair per entry
                       of `args`, or a single pair (for the call without an
                       argument) when the interpreter insists on that form;
                       null where dis.stack_effect refuses. Names for which it
                       refuses everything are left out.
  branch_effects       whether dis.stack_effect tells the branches apart
                       (3.8+); where it does not, each pair is
                       [effect, null], the effect being the larger of the
                       two branches'.
"""
import dis
import json
import opcode
import sys

MARKER = "--- pyasm opcode dump ---"
VERSION = sys.version_info[:2]
ARGS = list(range(1101)) + [65535, 65536, 2**20, 2**24 - 1, 2**31 - 1, 2**31, 2**32 - 1]

opmap = {name: op for name, op in opcode.opmap.items() if op < 256}
pseudo = sorted(name for name, op in opcode.opmap.items() if op >= 256)

if hasattr(opcode, "_specialized_opmap"):
    specialized = dict(opcode._specialized_opmap)
elif hasattr(opcode, "_specialized_instructions"):
    specialized = {name: dis._all_opmap[name] for name in opcode._specialized_instructions}
else:
    specialized = {}
families = getattr(opcode, "_specializations", {})
deopt = {s: base for base, family in families.items() for s in family}

# None before 3.11; a list by opcode to 3.12, then a mapping by name (a
# frozendict from 3.15).
if not hasattr(opcode, "_inline_cache_entries"):
    caches = {name: 0 for name in opmap}
elif isinstance(opcode._inline_cache_entries, list):
    caches = {name: opcode._inline_cache_entries[op] for name, op in opmap.items()}
else:
    caches = {name: opcode._inline_cache_entries.get(name, 0) for name in opmap}

HASARG = set(getattr(opcode, "hasarg", range(opcode.HAVE_ARGUMENT, 256)))
LOCAL_PAIRS = {
    "LOAD_FAST_LOAD_FAST",
    "STORE_FAST_LOAD_FAST",
    "STORE_FAST_STORE_FAST",
    "LOAD_FAST_BORROW_LOAD_FAST_BORROW",
}
CELLS = {
    "MAKE_CELL",
    "LOAD_CLOSURE",
    "LOAD_DEREF",
    "STORE_DEREF",
    "DELETE_DEREF",
    "LOAD_FROM_DICT_OR_DEREF",
    "LOAD_CLASSDEREF",
}
BY_NAME = {
    "COMPARE_OP": "Compare",
    "BINARY_OP": "BinaryOp",
    "MAKE_FUNCTION": "MakeFunction",
    "FORMAT_VALUE": "FormatValue",
    "UNPACK_EX": "UnpackEx",
    "CALL_INTRINSIC_1": "Intrinsic1",
    "CALL_INTRINSIC_2": "Intrinsic2",
    "LOAD_COMMON_CONSTANT": "CommonConstant",
    "LOAD_SPECIAL": "Special",
    "SET_FUNCTION_ATTRIBUTE": "FunctionAttr",
    "CONVERT_VALUE": "Conversion",
}


def kind(name, op):
    """The ArgKind pyasm should give a real instruction (by variant name)."""
    if op not in HASARG or op < opcode.HAVE_ARGUMENT:
        return "None"
    if name == "LOAD_GLOBAL" and VERSION >= (3, 11):
        return "GlobalName"
    if name == "LOAD_ATTR" and VERSION >= (3, 12):
        return "AttrName"
    if name == "IMPORT_NAME" and VERSION >= (3, 15):
        return "ImportName"
    if name in ("LOAD_SUPER_ATTR", "INSTRUMENTED_LOAD_SUPER_ATTR"):
        return "SuperAttr"
    if name in LOCAL_PAIRS:
        return "LocalPair"
    if name in CELLS or op in opcode.hasfree:
        return "Free"
    if op in opcode.hasconst:
        return "Const"
    if op in opcode.hasname:
        return "Name"
    if op in opcode.haslocal:
        return "Local"
    if op in opcode.hasjrel:
        if name.startswith("SETUP_"):
            return "Handler"
        backward = getattr(dis, "_is_backward_jump", lambda op: False)
        return "JumpBackward" if backward(op) else "JumpForward"
    if op in opcode.hasjabs:
        return "JumpAbsolute"
    if op in opcode.hascompare:
        return "Compare"
    return BY_NAME.get(name, "Int")


# Before 3.8 stack_effect takes no `jump` and answers the larger effect.
BRANCH_EFFECTS = VERSION >= (3, 8)


def effect(op, arg, jump):
    args = () if arg is None else (arg,)
    try:
        if BRANCH_EFFECTS:
            return dis.stack_effect(op, *args, jump=jump)
        return dis.stack_effect(op, *args)
    except (ValueError, OverflowError):
        return None


def effects_of(op, with_arg):
    # Up to 3.12 stack_effect takes an argument exactly when the
    # instruction has one; from 3.13 it accepts (and ignores) one always.
    forms = ARGS if with_arg or VERSION >= (3, 13) else [None]
    if not BRANCH_EFFECTS:
        return [[effect(op, a, None), None] for a in forms]
    return [[effect(op, a, True), effect(op, a, False)] for a in forms]


effects = {}
for name, op in list(opmap.items()) + list(specialized.items()):
    base = deopt.get(name, name)
    got = effects_of(op, opmap[base] in HASARG and opmap[base] >= opcode.HAVE_ARGUMENT)
    if any(v is not None for pair in got for v in pair):
        effects[name] = got

# Sources whose function the compiler makes with one MAKE_FUNCTION flag,
# for the versions whose dis does not list the flags.
FLAG_SOURCES = [
    ("defaults", "def f(a=1): pass"),
    ("kwdefaults", "def f(*, a=1): pass"),
    ("annotations", "def f(a: int): pass"),
    ("closure", "def g():\n    a = 1\n    def f(): return a"),
]


def flags_written():
    """[bit, name] of each MAKE_FUNCTION flag, as the compiler sets it
    (the list of nonzero arguments it wrote, where that is not one)."""
    found = []
    for name, src in FLAG_SOURCES:
        code = compile(src, "<flags>", "exec")
        codes = [code] + [c for c in code.co_consts if hasattr(c, "co_code")]
        args = sorted({ins.arg for c in codes for ins in dis.get_instructions(c)
                       if ins.opname == "MAKE_FUNCTION" and ins.arg})
        found.append([args[0] if len(args) == 1 else args, name])
    return found


if VERSION >= (3, 13):
    function_flags = [[1 << i, n] for i, n in enumerate(dis.FUNCTION_ATTR_FLAGS)]
elif hasattr(dis, "MAKE_FUNCTION_FLAGS"):
    function_flags = [[1 << i, n] for i, n in enumerate(dis.MAKE_FUNCTION_FLAGS)]
else:
    function_flags = flags_written()

# Sources for the cmp_op entries that are not an infix operator: 3.6-3.8's
# `exception match` is an `except` clause. (`BAD`, their last entry, is a
# placeholder nothing compiles to.)
COMPARE_SOURCES = {"exception match": ["try:\n    pass\nexcept a:\n    pass"]}


def compare_args():
    """COMPARE_OP arguments as the compiler writes them."""
    found = set()
    for i, symbol in enumerate(opcode.cmp_op):
        sources = ["x = a %s b" % symbol, "if a %s b: pass" % symbol]
        for src in COMPARE_SOURCES.get(symbol, sources):
            try:
                code = compile(src, "<cmp>", "exec")
            except SyntaxError:
                continue
            for ins in dis.get_instructions(code):
                if ins.opname == "COMPARE_OP":
                    found.add((i, ins.arg))
    return sorted(found)


def common_name(c):
    """A common constant as pyasm writes it: classes and builtins by name,
    the literal values 3.15 added (None, '', True, False, -1) by repr."""
    return c.__name__ if hasattr(c, "__name__") else repr(c)


print(MARKER)
print(json.dumps({
    "version": sys.version,
    "opmap": opmap,
    "pseudo": pseudo,
    "specialized": specialized,
    "deopt": deopt,
    "caches": caches,
    "kinds": {name: kind(name, op) for name, op in opmap.items()},
    "cmp_op": list(opcode.cmp_op),
    "nb_ops": [symbol for _, symbol in getattr(opcode, "_nb_ops", [])],
    "intrinsic1": list(getattr(dis, "_intrinsic_1_descs", [])),
    "intrinsic2": list(getattr(dis, "_intrinsic_2_descs", [])),
    "common_constants": [common_name(c) for c in getattr(dis, "_common_constants", [])],
    "special_methods": list(getattr(dis, "_special_method_names", [])),
    "function_flags": function_flags,
    "compare_args": compare_args(),
    "args": ARGS,
    "effects": effects,
    "branch_effects": BRANCH_EFFECTS,
}, separators=(",", ":")))
