//! Short descriptions of instructions, for hover text and completion details.
//!
//! One entry per base instruction name of every supported version (3.11 to
//! 3.15), written for this project. Where one name behaves differently in
//! different versions the entry says so. Stack words: TOS is the top of the
//! stack, "the item below" the one under it; "pushes a, b" leaves `b` on top.
//!
//! Specialized (adaptive) forms such as `BINARY_OP_ADD_INT` are not listed:
//! `describe` looks them up in the version tables and answers with the
//! description of the instruction they stand in for.

use crate::versions::Version;

/// What an opcode does, in one or two plain sentences (our own words).
pub fn describe(name: &str) -> Option<&'static str> {
    base_description(name).or_else(|| specialized_base(name).and_then(base_description))
}

/// The instruction a specialized form stands in for, from whichever version
/// table knows it.
fn specialized_base(name: &str) -> Option<&'static str> {
    Version::ALL
        .iter()
        .find_map(|v| v.table().by_name(name).and_then(|op| op.base))
}

/// Text for an `INSTRUMENTED_*` instruction, naming the one it replaces.
macro_rules! instrumented {
    ($base:literal) => {
        concat!(
            "Instrumented form of `",
            $base,
            "`: `sys.monitoring` writes it over the original while events are \
             enabled; it reports the event to the registered callbacks, then does \
             what `",
            $base,
            "` does."
        )
    };
}

fn base_description(name: &str) -> Option<&'static str> {
    Some(match name {
        // ---- Not really executed ------------------------------------------
        "CACHE" => {
            "Not an instruction that runs: an inline cache entry. Code units of this \
             kind follow some instructions and hold the counters and cached lookups \
             of the specializing interpreter; `dis` hides them unless asked."
        }
        "RESERVED" => {
            "Opcode number held in reserve (3.12+). The compiler never emits it and \
             it has no behaviour of its own."
        }
        "NOP" => "Does nothing. Kept as a placeholder, for example to carry a line number.",
        "NOT_TAKEN" => {
            "Does nothing (3.14+). Placed on the fall-through side of a conditional \
             jump so that `sys.monitoring` can report a branch that was not taken."
        }
        "EXTENDED_ARG" => {
            "Supplies eight more high bits for the operand of the next instruction; \
             up to three may be chained to build operands wider than one byte."
        }
        "RESUME" => {
            "Marks where a frame starts or resumes, and checks for pending \
             interrupts and instrumentation. The operand says where: 0 at the start, \
             1 after `yield`, 2 after `yield from`, 3 after `await`, 4 (3.15) at the \
             start of a generator expression; plus 4 (3.13-3.14) or 8 (3.15) after a \
             yield that only the generator's own handler encloses, so that \
             `close()` ends it without throwing in. No other value is valid."
        }
        "TRACE_RECORD" => {
            "Used by the JIT while it records a trace (3.15+): the interpreter \
             writes it in place of other instructions for a while. Never emitted \
             by the compiler."
        }
        "ENTER_EXECUTOR" => {
            "Written over a `JUMP_BACKWARD` (3.13+) when the optimizer has compiled \
             a trace for that loop; the low byte of the operand picks the executor \
             in the code object's list. Never emitted by the compiler."
        }
        "INTERPRETER_EXIT" => {
            "Pops TOS and returns it from the interpreter loop itself (3.12+). Only \
             found in the internal entry frame, never in compiled code."
        }

        // ---- Stack manipulation --------------------------------------------
        "POP_TOP" => "Pops TOS and discards it.",
        "PUSH_NULL" => {
            "Pushes a NULL marker. It fills the self-or-NULL slot of a call: emitted \
             before the callable in 3.11-3.12 and after it in 3.13+; 3.14 also uses \
             it for the absent `**kwargs` of `CALL_FUNCTION_EX`."
        }
        "COPY" => {
            "Pushes another reference to the item the operand names, counting from 1 \
             for TOS (`COPY 1` duplicates TOS)."
        }
        "SWAP" => {
            "Exchanges TOS with the item the operand names, counting from 1 for TOS \
             (`SWAP 2` swaps the top two items)."
        }

        // ---- Constants and names ------------------------------------------
        "LOAD_CONST" => "Pushes `co_consts[operand]`.",
        "LOAD_SMALL_INT" => {
            "Pushes the int equal to the operand (3.14+); used instead of \
             `LOAD_CONST` for small non-negative integers."
        }
        "LOAD_COMMON_CONSTANT" => {
            "Pushes one of a few fixed objects chosen by the operand (3.14+): \
             `AssertionError`, `NotImplementedError`, `tuple`, `all` or `any`; \
             3.15 adds `list`, `set`, `None`, `''`, `True`, `False` and `-1`."
        }
        "RETURN_CONST" => {
            "Returns `co_consts[operand]` to the caller without touching the stack. \
             Exists only in 3.12 and 3.13; other versions use `LOAD_CONST` and \
             `RETURN_VALUE`."
        }
        "LOAD_NAME" => {
            "Pushes the value of `co_names[operand]`, looked up in the local \
             namespace mapping, then the globals, then the builtins. Used at module \
             level, in class bodies and under `exec`."
        }
        "STORE_NAME" => {
            "Pops TOS and binds it to `co_names[operand]` in the local namespace \
             mapping."
        }
        "DELETE_NAME" => "Deletes `co_names[operand]` from the local namespace mapping.",
        "LOAD_GLOBAL" => {
            "Pushes the global or builtin named `co_names[operand >> 1]`. If the low \
             bit is set it also pushes a NULL for a following call: below the value \
             in 3.11-3.12, above it in 3.13+."
        }
        "STORE_GLOBAL" => "Pops TOS and binds it to the global `co_names[operand]`.",
        "DELETE_GLOBAL" => "Deletes the global `co_names[operand]`.",
        "LOAD_LOCALS" => {
            "Pushes the frame's local namespace mapping (3.12+), for example the \
             class namespace inside a class body."
        }
        "LOAD_FROM_DICT_OR_GLOBALS" => {
            "Pops a mapping and pushes the value of `co_names[operand]` found in it, \
             falling back to the globals and then the builtins (3.12+). Used inside \
             class bodies and annotation scopes."
        }
        "LOAD_BUILD_CLASS" => {
            "Pushes `builtins.__build_class__`, which a later call uses to create a \
             class."
        }
        "LOAD_ASSERTION_ERROR" => {
            "Pushes `AssertionError` for an `assert` statement (3.11-3.13; 3.14 uses \
             `LOAD_COMMON_CONSTANT`)."
        }
        "SETUP_ANNOTATIONS" => {
            "Creates an empty `__annotations__` dict in the local namespace if there \
             is none yet. Used by modules and class bodies that annotate names."
        }
        "IMPORT_NAME" => {
            "Pops the fromlist (TOS) and the level below it, imports the module named \
             `co_names[operand]` through `__import__`, and pushes the module. In \
             3.15 the operand is `name << 2` with bit 0 for `lazy` and bit 1 for \
             `eager` (PEP 810 lazy imports)."
        }
        "IMPORT_FROM" => {
            "Pushes attribute `co_names[operand]` of the module at TOS, which stays \
             on the stack; implements the names of `from module import name`."
        }
        "IMPORT_STAR" => {
            "Pops a module and binds all of its public names in the local namespace, \
             as `from module import *` does (3.11; later versions use \
             `CALL_INTRINSIC_1`)."
        }

        // ---- Fast locals, cells and free variables -------------------------
        "LOAD_FAST" => {
            "Pushes the local variable in slot `operand`. In 3.11 it raises \
             `UnboundLocalError` if the slot is empty; from 3.12 the compiler only \
             uses it where the variable is known to be bound (see `LOAD_FAST_CHECK`)."
        }
        "LOAD_FAST_CHECK" => {
            "Pushes the local variable in slot `operand`, raising \
             `UnboundLocalError` if it is unbound (3.12+)."
        }
        "LOAD_FAST_BORROW" => {
            "Pushes the local variable in slot `operand` without taking a new \
             reference (3.14+); the compiler uses it where the local is sure to \
             outlive the pushed value."
        }
        "LOAD_FAST_AND_CLEAR" => {
            "Pushes the local in slot `operand` (or NULL if unbound) and empties the \
             slot (3.12+). Saves an outer variable around an inlined comprehension."
        }
        "LOAD_FAST_LOAD_FAST" => {
            "Pushes two locals (3.13+): first slot `operand >> 4`, then slot \
             `operand & 15`."
        }
        "LOAD_FAST_BORROW_LOAD_FAST_BORROW" => {
            "Pushes two locals without taking new references (3.14+): first slot \
             `operand >> 4`, then slot `operand & 15`."
        }
        "STORE_FAST" => "Pops TOS into the local variable in slot `operand`.",
        "STORE_FAST_LOAD_FAST" => {
            "Pops TOS into local slot `operand >> 4`, then pushes local slot \
             `operand & 15` (3.13+)."
        }
        "STORE_FAST_STORE_FAST" => {
            "Pops TOS into local slot `operand >> 4`, then pops the next item into \
             slot `operand & 15` (3.13+)."
        }
        "DELETE_FAST" => "Unbinds the local variable in slot `operand`.",
        "MAKE_CELL" => {
            "Replaces the value in slot `operand` with a new cell holding it, so that \
             nested functions can share the variable. Emitted at the start of the \
             code."
        }
        "COPY_FREE_VARS" => {
            "Copies the `operand` cells of the function's closure into the frame's \
             free-variable slots. The first instruction of a closure's code."
        }
        "LOAD_CLOSURE" => {
            "Pushes the cell object itself (not its contents) in slot `operand`, to \
             build a closure tuple. A real instruction in 3.11-3.12 only; 3.13+ \
             emits `LOAD_FAST` instead."
        }
        "LOAD_DEREF" => "Pushes the contents of the cell in slot `operand`.",
        "STORE_DEREF" => "Pops TOS into the cell in slot `operand`.",
        "DELETE_DEREF" => "Empties the cell in slot `operand`.",
        "LOAD_CLASSDEREF" => {
            "Pushes the free variable in slot `operand`, looking first in the class \
             namespace and then in the cell (3.11; 3.12+ uses `LOAD_LOCALS` and \
             `LOAD_FROM_DICT_OR_DEREF`)."
        }
        "LOAD_FROM_DICT_OR_DEREF" => {
            "Pops a mapping and pushes the variable of slot `operand` found in it by \
             name, falling back to the contents of that slot's cell (3.12+). Used in \
             class bodies."
        }

        // ---- Attributes and subscripts ------------------------------------
        "LOAD_ATTR" => {
            "Pops an object and pushes one of its attributes. 3.11: the name is \
             `co_names[operand]`. 3.12+: the name is `co_names[operand >> 1]`; if \
             the low bit is set it pushes two values for a call, method and self, \
             or else NULL and the attribute (3.12) or the attribute and NULL (3.13+)."
        }
        "LOAD_METHOD" => {
            "Pops an object and looks up `co_names[operand]` on it for a call \
             (3.11 only): pushes the unbound method and the object, or NULL and the \
             plain attribute."
        }
        "LOAD_SUPER_ATTR" => {
            "Pops `super`, the class and self (TOS) and pushes the attribute \
             `co_names[operand >> 2]` found through `super()` (3.12+). Bit 1 says \
             `super` was called with two arguments; bit 0 asks for a method load, \
             which pushes two values as `LOAD_ATTR` does."
        }
        "LOAD_SPECIAL" => {
            "Pops an object and pushes the special method the operand names \
             (`__enter__`, `__exit__`, `__aenter__`, `__aexit__`) looked up on its \
             type, then self or NULL (3.14+). A `with` starts `COPY 1; LOAD_SPECIAL \
             __exit__; SWAP 2; SWAP 3; LOAD_SPECIAL __enter__; CALL 0`, leaving \
             `__exit__`, its self and what `__enter__` returned."
        }
        "STORE_ATTR" => {
            "Pops the object (TOS) and the value below it, and sets attribute \
             `co_names[operand]` of the object to the value."
        }
        "DELETE_ATTR" => "Pops an object and deletes its attribute `co_names[operand]`.",
        "BINARY_SUBSCR" => {
            "Pops the key (TOS) and the container below it and pushes \
             `container[key]` (3.11-3.13; 3.14 uses `BINARY_OP` instead)."
        }
        "STORE_SUBSCR" => {
            "Pops the key (TOS), the container and the value below them, and does \
             `container[key] = value`."
        }
        "DELETE_SUBSCR" => {
            "Pops the key (TOS) and the container below it and does \
             `del container[key]`."
        }
        "BINARY_SLICE" => {
            "Pops end (TOS), start and container, and pushes `container[start:end]` \
             (3.12+)."
        }
        "STORE_SLICE" => {
            "Pops end (TOS), start, container and value, and does \
             `container[start:end] = value` (3.12+)."
        }

        // ---- Operators -----------------------------------------------------
        "UNARY_POSITIVE" => {
            "Replaces TOS with `+TOS` (3.11; later versions use \
             `CALL_INTRINSIC_1`)."
        }
        "UNARY_NEGATIVE" => "Replaces TOS with `-TOS`.",
        "UNARY_INVERT" => "Replaces TOS with `~TOS`.",
        "UNARY_NOT" => {
            "Replaces TOS with `not TOS`. In 3.13+ TOS must be an exact bool (from \
             `TO_BOOL`, a comparison...): the interpreter tests it by identity, and \
             misreads anything else."
        }
        "TO_BOOL" => "Replaces TOS with `bool(TOS)` (3.13+).",
        "BINARY_OP" => {
            "Pops the right operand (TOS) and the left one below it, and pushes the \
             result of the operator the operand selects: 0-12 are the binary \
             operators (`+`, `&`, `//`, ...) and 13-25 their in-place forms (`+=`, \
             ...). 3.14 adds 26, subscription `left[right]`, replacing \
             `BINARY_SUBSCR`."
        }
        "COMPARE_OP" => {
            "Pops two values and pushes the result of comparing them with `<`, \
             `<=`, `==`, `!=`, `>` or `>=`. The comparison is the operand in 3.11, \
             `operand >> 4` in 3.12 and `operand >> 5` in 3.13+, where bit 4 also \
             asks for the result as a bool. The low four bits are the outcomes that \
             make it true (1 unordered, 2 less, 4 greater, 8 equal): the specialized \
             forms answer from them alone, so they must be those of the operator."
        }
        "IS_OP" => {
            "Pops two values and pushes whether they are the same object; operand 1 \
             inverts the test (`is not`)."
        }
        "CONTAINS_OP" => {
            "Pops the container (TOS) and the value below it and pushes `value in \
             container`; operand 1 inverts the test (`not in`)."
        }

        // ---- Building containers and strings -------------------------------
        "BUILD_TUPLE" => "Pops `operand` items and pushes a tuple of them, in stack order.",
        "BUILD_LIST" => "Pops `operand` items and pushes a list of them, in stack order.",
        "BUILD_SET" => "Pops `operand` items and pushes a set of them.",
        "BUILD_MAP" => {
            "Pops `operand` key/value pairs (twice `operand` items, each key below \
             its value) and pushes a dict of them."
        }
        "BUILD_CONST_KEY_MAP" => {
            "Pops a tuple of keys (TOS) and `operand` values below it and pushes a \
             dict pairing them (3.11-3.13)."
        }
        "BUILD_SLICE" => {
            "Pops two (start, stop) or three (start, stop, step) items, as the \
             operand says, and pushes a `slice` object."
        }
        "BUILD_STRING" => "Pops `operand` strings and pushes their concatenation.",
        "LIST_APPEND" => {
            "Pops TOS and appends it to the list that is `operand` items down once \
             TOS is gone. Used by list comprehensions, where the list is under the \
             loop's iterator: `LIST_APPEND 2` (3.15: 3, the iterator taking two \
             slots)."
        }
        "SET_ADD" => {
            "Pops TOS and adds it to the set that is `operand` items down once TOS \
             is gone. Used by set comprehensions, where the set is under the loop's \
             iterator: `SET_ADD 2` (3.15: 3)."
        }
        "MAP_ADD" => {
            "Pops a value (TOS) and a key below it and stores them in the dict that \
             is `operand` items down once both are gone. Used by dict \
             comprehensions, where the dict is under the loop's iterator: `MAP_ADD \
             2` (3.15: 3)."
        }
        "LIST_EXTEND" => {
            "Pops an iterable and extends with it the list that is `operand` items \
             down. Used to build lists and argument tuples with `*` unpacking."
        }
        "SET_UPDATE" => {
            "Pops an iterable and adds its items to the set that is `operand` items \
             down."
        }
        "DICT_UPDATE" => {
            "Pops a mapping and updates with it the dict that is `operand` items \
             down. Used for `{**a, **b}`."
        }
        "DICT_MERGE" => {
            "Like `DICT_UPDATE`, but raises `TypeError` on a repeated key. Used to \
             collect `**kwargs` for a call."
        }
        "LIST_TO_TUPLE" => {
            "Replaces the list at TOS with a tuple of the same items (3.11; later \
             versions use `CALL_INTRINSIC_1`)."
        }
        "UNPACK_SEQUENCE" => {
            "Pops an iterable and pushes exactly `operand` items from it, last item \
             first, so the first item ends up on top."
        }
        "UNPACK_EX" => {
            "Pops an iterable and unpacks it for a starred assignment: the low byte \
             of the operand counts the targets before the star, the next byte those \
             after; the starred part is pushed as a list."
        }
        "FORMAT_VALUE" => {
            "Formats a value for an f-string (3.11-3.12). Bits 0-1 of the operand \
             pick a conversion (1 `str`, 2 `repr`, 3 `ascii`); if bit 2 is set a \
             format spec is popped from TOS first. Pops the value, pushes the string."
        }
        "CONVERT_VALUE" => {
            "Replaces TOS with `str()`, `repr()` or `ascii()` of it, for operand 1, \
             2 or 3 (3.13+); the `!s`/`!r`/`!a` of an f-string."
        }
        "FORMAT_SIMPLE" => {
            "Replaces TOS with `format(TOS)`, leaving it alone if it is already a \
             str (3.13+)."
        }
        "FORMAT_WITH_SPEC" => {
            "Pops a format spec (TOS) and a value and pushes `format(value, spec)` \
             (3.13+)."
        }
        "BUILD_INTERPOLATION" => {
            "Pops a value, its source text and, if bit 0 of the operand is set, a \
             format spec, and pushes a `string.templatelib.Interpolation` (3.14+); \
             `operand >> 2` is the conversion."
        }
        "BUILD_TEMPLATE" => {
            "Pops a tuple of interpolations (TOS) and a tuple of strings and pushes \
             the `string.templatelib.Template` of a t-string (3.14+)."
        }

        // ---- Functions and calls --------------------------------------------
        "MAKE_FUNCTION" => {
            "Pops a code object and pushes a new function built from it. In \
             3.11-3.12 the operand's flag bits also pop, from below the code object, \
             a closure tuple (8), annotations (4), keyword defaults dict (2) and \
             defaults tuple (1); 3.13+ takes no operand and sets those with \
             `SET_FUNCTION_ATTRIBUTE`."
        }
        "SET_FUNCTION_ATTRIBUTE" => {
            "Pops a function (TOS) and the value below it, stores the value in the \
             function attribute the operand's flag names (defaults, keyword \
             defaults, annotations, closure; 3.14 adds annotate), and pushes the \
             function back (3.13+). Values are pushed before the code in the order \
             defaults, keyword defaults, annotations, closure, so they are set from \
             the last one: `closure` first, `defaults` last."
        }
        "PRECALL" => {
            "First half of a call (3.11 only): with `operand` arguments on the \
             stack, splits a bound method into function and self when no method was \
             loaded, so that the following `CALL` can run faster."
        }
        "KW_NAMES" => {
            "Records the tuple `co_consts[operand]` as the keyword names of the last \
             arguments of the next `CALL` (3.11-3.12; in 3.11 it comes before the \
             call's `PRECALL`); the stack is unchanged."
        }
        "CALL" => {
            "Calls a callable with `operand` arguments and pushes the result. Below \
             the arguments sit two slots: NULL and the callable, or a method and \
             its self (3.11-3.12, where `KW_NAMES` names keyword arguments and 3.11 \
             needs a `PRECALL` first); in 3.13+ the callable then self or NULL, \
             with keywords going to `CALL_KW`."
        }
        "CALL_KW" => {
            "Like `CALL`, but TOS is a tuple naming the last arguments as keywords \
             (3.13+). Pops the names, the `operand` arguments, self-or-NULL and the \
             callable, and pushes the result."
        }
        "CALL_FUNCTION_EX" => {
            "Calls `f(*args, **kwargs)`: pops a tuple of positional arguments, a \
             mapping of keyword arguments if there is one, and the callable and \
             NULL, placed as for `CALL` (NULL below the callable in 3.11-3.12, above \
             it in 3.13+), and pushes the result. Up to 3.13 bit 0 of the operand \
             says whether the mapping is present; 3.14 has no operand and always \
             pops a mapping or NULL."
        }
        "CALL_INTRINSIC_1" => {
            "Replaces TOS with the result of an internal one-argument helper chosen \
             by the operand (3.12+): printing in the REPL, `import *`, unary `+`, \
             list to tuple, typing constructs and others."
        }
        "CALL_INTRINSIC_2" => {
            "Pops two values and pushes the result of an internal two-argument \
             helper chosen by the operand (3.12+), such as preparing an `except*` \
             re-raise or building a type parameter."
        }
        "EXIT_INIT_CHECK" => {
            "Pops the value returned by `__init__` and raises `TypeError` if it is \
             not None (3.13+); follows the specialized call that runs `__init__`."
        }
        "RETURN_VALUE" => "Returns TOS to the caller, ending the frame.",
        "RETURN_GENERATOR" => {
            "Creates a generator, coroutine or async generator from the current \
             frame and returns it to the caller. The first instruction of such a \
             function; when the object first resumes, the sent value (None) is \
             dropped by a following `POP_TOP`."
        }
        "PRINT_EXPR" => {
            "Pops TOS and passes it to `sys.displayhook`, as the interactive prompt \
             does with expression statements (3.11; later versions use \
             `CALL_INTRINSIC_1`)."
        }

        // ---- Jumps and loops ------------------------------------------------
        "JUMP_FORWARD" => "Jumps forward by `operand` code units.",
        "JUMP_BACKWARD" => {
            "Jumps backward by `operand` code units, checking for interrupts and \
             other pending events first. Closes loops."
        }
        "JUMP_BACKWARD_NO_INTERRUPT" => {
            "Jumps backward by `operand` code units without checking for \
             interrupts. Used in the loops of `yield from` and `await`."
        }
        "POP_JUMP_IF_TRUE" => {
            "Pops TOS and jumps forward by `operand` if it is true (3.12+). 3.12 \
             tests any object; 3.13+ needs an exact bool (from `TO_BOOL` or a \
             comparison) and takes anything but `True` for false."
        }
        "POP_JUMP_IF_FALSE" => {
            "Pops TOS and jumps forward by `operand` if it is false (3.12+). 3.12 \
             tests any object; 3.13+ needs an exact bool (from `TO_BOOL` or a \
             comparison) and takes anything but `False` for true."
        }
        "POP_JUMP_IF_NONE" => "Pops TOS and jumps forward by `operand` if it is None (3.12+).",
        "POP_JUMP_IF_NOT_NONE" => {
            "Pops TOS and jumps forward by `operand` if it is not None (3.12+)."
        }
        "POP_JUMP_FORWARD_IF_TRUE" => {
            "Pops TOS and jumps forward by `operand` if it is true (3.11 only)."
        }
        "POP_JUMP_FORWARD_IF_FALSE" => {
            "Pops TOS and jumps forward by `operand` if it is false (3.11 only)."
        }
        "POP_JUMP_FORWARD_IF_NONE" => {
            "Pops TOS and jumps forward by `operand` if it is None (3.11 only)."
        }
        "POP_JUMP_FORWARD_IF_NOT_NONE" => {
            "Pops TOS and jumps forward by `operand` if it is not None (3.11 only)."
        }
        "POP_JUMP_BACKWARD_IF_TRUE" => {
            "Pops TOS and jumps backward by `operand` if it is true (3.11 only)."
        }
        "POP_JUMP_BACKWARD_IF_FALSE" => {
            "Pops TOS and jumps backward by `operand` if it is false (3.11 only)."
        }
        "POP_JUMP_BACKWARD_IF_NONE" => {
            "Pops TOS and jumps backward by `operand` if it is None (3.11 only)."
        }
        "POP_JUMP_BACKWARD_IF_NOT_NONE" => {
            "Pops TOS and jumps backward by `operand` if it is not None (3.11 only)."
        }
        "JUMP_IF_TRUE_OR_POP" => {
            "If TOS is true, jumps forward by `operand` and keeps it; otherwise pops \
             it (3.11 only; implements `or`)."
        }
        "JUMP_IF_FALSE_OR_POP" => {
            "If TOS is false, jumps forward by `operand` and keeps it; otherwise \
             pops it (3.11 only; implements `and`)."
        }
        "GET_ITER" => {
            "Replaces TOS with `iter(TOS)`. In 3.15 an iterator takes two slots, \
             the iterator (or a list or tuple itself) and an index or NULL above \
             it; the operand is 0 for a `for` loop and 3 for `yield from`."
        }
        "FOR_ITER" => {
            "Calls `next()` on the iterator at TOS and pushes the value, keeping the \
             iterator. When it is exhausted, jumps forward by `operand`: 3.11 pops \
             the iterator, 3.12-3.13 drop it and skip the `END_FOR` cleanup at the \
             target, and 3.14+ leaves it for `POP_ITER`. In 3.15 the iterator is \
             the item below TOS."
        }
        "END_FOR" => {
            "Cleanup at the exit of a `for` loop, the target of `FOR_ITER`'s jump \
             (3.12+). 3.12 pops two items, the iterator and a value; 3.13+ pops one \
             value, with `POP_TOP` (3.13) or `POP_ITER` (3.14) after it."
        }
        "POP_ITER" => {
            "Pops the iterator of a finished or abandoned `for` loop (3.14+); in \
             3.15 both of its slots."
        }
        "GET_LEN" => "Pushes `len(TOS)`, keeping TOS. Used by `match` statements.",

        // ---- Generators, coroutines and async --------------------------------
        "YIELD_VALUE" => {
            "Pops TOS and yields it from the generator; when the generator resumes, \
             the value sent in is pushed. In 3.12 the operand counts the handlers \
             around the yield (nothing reads it). In 3.13+ \
             it is 1 inside `yield from` or `await`, else 0; it sets the \
             generator's state, and other values make the yield a return."
        }
        "GET_YIELD_FROM_ITER" => {
            "Leaves TOS alone if it is a generator (or a coroutine, inside a \
             coroutine), otherwise replaces it with `iter(TOS)`. Prepares \
             `yield from` (to 3.14; 3.15 uses `GET_ITER 3`)."
        }
        "SEND" => {
            "Sends TOS into the sub-generator or awaitable below it (`next()` for \
             None) and replaces TOS with what it yields. When the receiver returns \
             instead, jumps forward to its label: 3.11 leaves only the return value, \
             3.12+ leaves receiver and value for the `END_SEND` there. In 3.15 the \
             receiver is two slots, the awaitable and a NULL pushed above it \
             (`PUSH_NULL`)."
        }
        "END_SEND" => {
            "Ends a `yield from` or `await` loop, at the label of its `SEND` (3.12+): \
             pops the receiver from under TOS, keeping the returned value on top. In \
             3.15 the receiver takes two slots, the awaitable and the NULL above it, \
             and both go. No operand."
        }
        "CLEANUP_THROW" => {
            "Handles an exception that `throw()` or `close()` raised in a `yield \
             from` or `await` (3.12+). It handles the region of the loop's \
             `YIELD_VALUE`, at the depth that includes the yielded value, without \
             `lasti`. For `StopIteration` it pops receiver, yielded value and \
             exception, pushes None and the exception's value and continues at the \
             `END_SEND`; anything else is re-raised."
        }
        "GET_AWAITABLE" => {
            "Replaces the awaitable at TOS with the iterator that `await` drives \
             (the coroutine itself, or what `__await__` returns). The operand only \
             tunes error messages: 0 for `await`, 1 after `__aenter__`, 2 after \
             `__aexit__` (nothing above 2)."
        }
        "GET_AITER" => "Replaces TOS with `TOS.__aiter__()`, for `async for`.",
        "GET_ANEXT" => {
            "Pushes the awaitable of `__anext__()` of the async iterator at TOS, \
             keeping the iterator."
        }
        "END_ASYNC_FOR" => {
            "Ends an `async for` loop; it handles the region of `GET_ANEXT` and its \
             await. Pops the exception (TOS) and the async iterator below it if the \
             exception is `StopAsyncIteration`, and re-raises it otherwise. From 3.14 \
             its operand is a backward label, the `END_SEND` of that await, used only \
             by `sys.monitoring`."
        }
        "ASYNC_GEN_WRAP" => {
            "Wraps TOS so that an async generator can yield it (3.11; later versions \
             use `CALL_INTRINSIC_1`)."
        }
        "BEFORE_WITH" => {
            "Pops a context manager and pushes its bound `__exit__` followed by the \
             result of calling its `__enter__()` (3.11-3.13; 3.14 uses \
             `LOAD_SPECIAL`)."
        }
        "BEFORE_ASYNC_WITH" => {
            "Pops an async context manager and pushes its bound `__aexit__` followed \
             by the awaitable returned by `__aenter__()` (3.11-3.13)."
        }
        "WITH_EXCEPT_START" => {
            "In the handler of a `with` block, calls the saved `__exit__` with the \
             type, value and traceback of the exception at TOS, and pushes the \
             result. Below the exception lie the saved exception, `lasti` and \
             `__exit__`; 3.14+ keeps `__exit__` as two slots, function and self. From \
             3.13 the result needs `TO_BOOL` before a conditional jump."
        }

        // ---- Exceptions -------------------------------------------------------
        "RAISE_VARARGS" => {
            "Raises an exception. Operand 0 re-raises the one being handled; 1 \
             pops and raises TOS; 2 pops the cause (TOS) and the exception below it \
             and does `raise exc from cause`."
        }
        "RERAISE" => {
            "Pops the exception at TOS and raises it again. A non-zero operand also \
             restores the frame's last instruction from the saved offset below it, \
             so the traceback points at the original place."
        }
        "PUSH_EXC_INFO" => {
            "Pops an exception, saves the exception currently being handled in its \
             place, and pushes the new one back on top, making it the one being \
             handled. Starts an `except` handler."
        }
        "POP_EXCEPT" => {
            "Pops a value saved by `PUSH_EXC_INFO` and restores it as the exception \
             being handled. Ends an `except` handler."
        }
        "CHECK_EXC_MATCH" => {
            "Pops the type at TOS and pushes whether the exception below it matches, \
             as `except Type:` tests; the exception stays."
        }
        "CHECK_EG_MATCH" => {
            "Pops the type at TOS and the exception group below it, splits the \
             group by that type as `except* Type:` does, and pushes the rest and \
             then the matching part (None if nothing matched)."
        }
        "PREP_RERAISE_STAR" => {
            "Pops the exceptions raised by the `except*` clauses (TOS) and the \
             original group below it and pushes the exception to re-raise, or None \
             (3.11; later versions use `CALL_INTRINSIC_2`)."
        }

        // ---- Pattern matching ---------------------------------------------------
        "MATCH_MAPPING" => "Pushes whether TOS is a mapping for `match` purposes, keeping TOS.",
        "MATCH_SEQUENCE" => {
            "Pushes whether TOS is a sequence for `match` purposes (str, bytes and \
             bytearray do not count), keeping TOS."
        }
        "MATCH_KEYS" => {
            "With a tuple of keys at TOS and a mapping below it, pushes a tuple of \
             the corresponding values, or None if a key is missing; both stay on \
             the stack."
        }
        "MATCH_CLASS" => {
            "Pops a tuple of keyword attribute names (TOS), a class and the subject, \
             and pushes a tuple of the extracted attributes if the subject matches \
             the class pattern, None otherwise. The operand counts positional \
             sub-patterns."
        }

        // ---- Instrumentation (sys.monitoring, 3.12+) -----------------------------
        "INSTRUMENTED_LINE" => {
            "Written by `sys.monitoring` over the first instruction of a line while \
             LINE events are enabled (3.12+): reports the event, then runs the \
             original instruction."
        }
        "INSTRUMENTED_INSTRUCTION" => {
            "Written by `sys.monitoring` over instructions while INSTRUCTION events \
             are enabled (3.12+): reports the event, then runs the original \
             instruction."
        }
        "INSTRUMENTED_RESUME" => instrumented!("RESUME"),
        "INSTRUMENTED_END_FOR" => instrumented!("END_FOR"),
        "INSTRUMENTED_END_SEND" => instrumented!("END_SEND"),
        "INSTRUMENTED_RETURN_VALUE" => instrumented!("RETURN_VALUE"),
        "INSTRUMENTED_RETURN_CONST" => instrumented!("RETURN_CONST"),
        "INSTRUMENTED_YIELD_VALUE" => instrumented!("YIELD_VALUE"),
        "INSTRUMENTED_LOAD_SUPER_ATTR" => instrumented!("LOAD_SUPER_ATTR"),
        "INSTRUMENTED_FOR_ITER" => instrumented!("FOR_ITER"),
        "INSTRUMENTED_CALL" => instrumented!("CALL"),
        "INSTRUMENTED_CALL_KW" => instrumented!("CALL_KW"),
        "INSTRUMENTED_CALL_FUNCTION_EX" => instrumented!("CALL_FUNCTION_EX"),
        "INSTRUMENTED_JUMP_FORWARD" => instrumented!("JUMP_FORWARD"),
        "INSTRUMENTED_JUMP_BACKWARD" => instrumented!("JUMP_BACKWARD"),
        "INSTRUMENTED_POP_JUMP_IF_TRUE" => instrumented!("POP_JUMP_IF_TRUE"),
        "INSTRUMENTED_POP_JUMP_IF_FALSE" => instrumented!("POP_JUMP_IF_FALSE"),
        "INSTRUMENTED_POP_JUMP_IF_NONE" => instrumented!("POP_JUMP_IF_NONE"),
        "INSTRUMENTED_POP_JUMP_IF_NOT_NONE" => instrumented!("POP_JUMP_IF_NOT_NONE"),
        "INSTRUMENTED_NOT_TAKEN" => instrumented!("NOT_TAKEN"),
        "INSTRUMENTED_POP_ITER" => instrumented!("POP_ITER"),
        "INSTRUMENTED_END_ASYNC_FOR" => instrumented!("END_ASYNC_FOR"),

        // ---- 3.6-3.10 only ---------------------------------------------------
        "BINARY_ADD"
        | "BINARY_SUBTRACT"
        | "BINARY_MULTIPLY"
        | "BINARY_MATRIX_MULTIPLY"
        | "BINARY_TRUE_DIVIDE"
        | "BINARY_FLOOR_DIVIDE"
        | "BINARY_MODULO"
        | "BINARY_POWER"
        | "BINARY_LSHIFT"
        | "BINARY_RSHIFT"
        | "BINARY_AND"
        | "BINARY_OR"
        | "BINARY_XOR" => {
            "Before 3.11, one instruction per binary operator: pops the right and \
             the left operand and pushes the result of the operator its name says \
             (`BINARY_ADD` is `+`, `BINARY_MATRIX_MULTIPLY` `@`...). 3.11 folds them \
             into `BINARY_OP`."
        }
        "INPLACE_ADD"
        | "INPLACE_SUBTRACT"
        | "INPLACE_MULTIPLY"
        | "INPLACE_MATRIX_MULTIPLY"
        | "INPLACE_TRUE_DIVIDE"
        | "INPLACE_FLOOR_DIVIDE"
        | "INPLACE_MODULO"
        | "INPLACE_POWER"
        | "INPLACE_LSHIFT"
        | "INPLACE_RSHIFT"
        | "INPLACE_AND"
        | "INPLACE_OR"
        | "INPLACE_XOR" => {
            "Before 3.11, one instruction per augmented assignment: like the \
             matching `BINARY_*`, but tries the in-place method first (`x += y` \
             calls `__iadd__`). 3.11 folds them into `BINARY_OP`."
        }
        "DUP_TOP" => "Before 3.11: pushes the top of the stack again (3.11's `COPY 1`).",
        "DUP_TOP_TWO" => {
            "Before 3.11: pushes the top two items again, in the same order \
             (3.11's `COPY 2`, `COPY 2`)."
        }
        "ROT_TWO" => "Before 3.11: swaps the top two items (3.11's `SWAP 2`).",
        "ROT_THREE" => {
            "Before 3.11: moves the top item down two places, raising the two \
             below it by one."
        }
        "ROT_FOUR" => "3.8-3.10: moves the top item down three places.",
        "ROT_N" => "3.10: moves the top item down `n - 1` places.",
        "CALL_FUNCTION" => {
            "Before 3.11: calls the callable below its `n` positional arguments, \
             pops them all and pushes the result."
        }
        "CALL_FUNCTION_KW" => {
            "Before 3.11: calls the callable below its `n` arguments, the last ones \
             keyword arguments named by the tuple of names on top; pushes the result."
        }
        "CALL_METHOD" => {
            "3.7-3.10: calls what `LOAD_METHOD` left (the method and `self`, or \
             NULL and the callable) with the `n` arguments above it; pushes the result."
        }
        "SETUP_FINALLY" => {
            "Before 3.11: pushes a block whose handler is its label. An exception \
             raised before the matching `POP_BLOCK` unwinds the stack to the level \
             at the `SETUP_FINALLY`, pushes the exception (and the one being \
             handled) and jumps there."
        }
        "SETUP_EXCEPT" => {
            "3.6-3.7: pushes a block for a `try` with `except` clauses, whose \
             handler is its label; an exception inside it jumps there with the \
             exception pushed."
        }
        "SETUP_LOOP" => {
            "3.6-3.7: pushes a loop block whose end is its label, where `BREAK_LOOP` \
             goes."
        }
        "SETUP_WITH" => {
            "Before 3.11: calls `__enter__` of the context manager on top, leaves its \
             `__exit__` below, pushes a block whose handler is its label, and pushes \
             what `__enter__` returned."
        }
        "SETUP_ASYNC_WITH" => {
            "Before 3.11: after `BEFORE_ASYNC_WITH` and the await of `__aenter__`, \
             pushes a block whose handler is its label."
        }
        "POP_BLOCK" => "Before 3.11: removes the innermost block that a `SETUP_*` pushed.",
        "BREAK_LOOP" => {
            "3.6-3.7: leaves the innermost loop, unwinding the blocks inside it, and \
             goes to the loop's end (its `SETUP_LOOP`'s label)."
        }
        "CONTINUE_LOOP" => {
            "3.6-3.7: `continue` inside a `try`: unwinds the blocks inside the loop \
             and jumps to its label, the start of the loop."
        }
        "END_FINALLY" => {
            "3.6-3.8: ends a `finally` or an `except` clause: re-raises the \
             exception on the stack if there is one, otherwise goes on (3.8: or \
             returns to where `CALL_FINALLY` came from)."
        }
        "BEGIN_FINALLY" => {
            "3.8: pushes the NULL that tells a `finally` block it was entered \
             without an exception."
        }
        "CALL_FINALLY" => {
            "3.8: pushes where to come back to and jumps to its label, a `finally` \
             block run on the way out of its `try`."
        }
        "POP_FINALLY" => {
            "3.8: drops what a `finally` block was entered with, keeping the top \
             item when its argument is 1."
        }
        "WITH_CLEANUP_START" => {
            "3.6-3.8: calls the `__exit__` below the exception (or None) on top when \
             a `with` block ends."
        }
        "WITH_CLEANUP_FINISH" => {
            "3.6-3.8: after `WITH_CLEANUP_START`: keeps the exception from \
             propagating when `__exit__` returned true."
        }
        "JUMP_ABSOLUTE" => {
            "Before 3.11: jumps to its label (an offset from the start of the code)."
        }
        "JUMP_IF_NOT_EXC_MATCH" => {
            "3.9-3.10: pops an exception type and the exception below it; jumps to \
             its label unless the exception matches."
        }
        "YIELD_FROM" => {
            "Before 3.11: sends the value on top to the iterator below it \
             (`yield from`, `await`), yielding what it yields until it is done."
        }
        "GEN_START" => {
            "3.10: the first instruction of a generator or coroutine: pops the value \
             it was first sent, which must be None."
        }
        "COPY_DICT_WITHOUT_KEYS" => {
            "3.10: for a mapping pattern's `**rest`: replaces the tuple of keys on \
             top with a copy of the mapping below it without those keys."
        }
        "BUILD_TUPLE_UNPACK"
        | "BUILD_LIST_UNPACK"
        | "BUILD_SET_UNPACK"
        | "BUILD_TUPLE_UNPACK_WITH_CALL" => {
            "3.6-3.8: pops `n` iterables and pushes one tuple (list, set) of all \
             their items, for `*` in displays and calls."
        }
        "BUILD_MAP_UNPACK" | "BUILD_MAP_UNPACK_WITH_CALL" => {
            "3.6-3.8: pops `n` mappings and pushes one dict merging them, for `**` \
             in displays and calls."
        }
        "STORE_ANNOTATION" => {
            "3.6: stores the value on top in `__annotations__` under the name its \
             argument gives."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_of_every_version_is_described() {
        let mut missing = Vec::new();
        for &version in Version::ALL {
            for op in version.table().ops {
                let base = op.base.unwrap_or(op.name);
                match describe(base) {
                    Some(text) if !text.trim().is_empty() => {}
                    _ => missing.push(format!("{version} {base}")),
                }
                if describe(op.name).is_none() {
                    missing.push(format!("{version} {}", op.name));
                }
            }
        }
        assert!(missing.is_empty(), "no description for: {missing:?}");
    }

    #[test]
    fn specialized_forms_share_their_base_description() {
        for &version in Version::ALL {
            for op in version.table().ops {
                if let Some(base) = op.base {
                    assert_eq!(describe(op.name), describe(base), "{version} {}", op.name);
                }
            }
        }
        assert_eq!(describe("BINARY_OP_ADD_INT"), describe("BINARY_OP"));
    }

    #[test]
    fn instrumented_forms_name_their_original() {
        let text = describe("INSTRUMENTED_CALL").unwrap();
        assert!(text.contains("`CALL`"), "{text}");
        assert!(text.contains("sys.monitoring"), "{text}");
    }

    #[test]
    fn unknown_names_have_no_description() {
        assert_eq!(describe("NOT_AN_OPCODE"), None);
        assert_eq!(describe(""), None);
        assert_eq!(describe("load_const"), None);
    }

    #[test]
    fn descriptions_are_short() {
        for &version in Version::ALL {
            for op in version.table().ops {
                let text = describe(op.name).unwrap_or_default();
                assert!(text.len() <= 420, "{} is {} bytes", op.name, text.len());
                assert!(!text.contains("  "), "{} has a double space", op.name);
            }
        }
    }
}
