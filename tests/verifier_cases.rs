//! One small program per verifier diagnostic: each must be reported with
//! its stable code, severity and place, and correct code must pass clean.

use pyasm::diag::{line_col, Severity};

/// The (code, severity, line) of every diagnostic for `src`.
fn diags(src: &str) -> Vec<(&'static str, Severity, usize)> {
    pyasm::check_text(src)
        .iter()
        .map(|d| (d.code, d.severity, line_col(src, d.span.start).0))
        .collect()
}

fn has(src: &str, code: &str, sev: Severity, line: usize) {
    let got = diags(src);
    assert!(
        got.iter()
            .any(|(c, s, l)| *c == code && *s == sev && *l == line),
        "expected {code} ({sev:?}) on line {line}, got {got:?}"
    );
}

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

#[test]
fn correct_code_is_clean() {
    let src = ".python 3.12\n.code module\n  RESUME 0\n  LOAD_CONST 1\n  RETURN_VALUE\n";
    assert_eq!(diags(src), vec![]);
}

#[test]
fn duplicate_local() {
    has(
        ".python 3.12\n.code module\n  .var x\n  .var x\n  RESUME 0\n  RETURN_CONST None\n",
        "duplicate-local",
        W,
        4,
    );
}

#[test]
fn stack_underflow() {
    has(
        ".python 3.12\n.code module\n  RESUME 0\n  RETURN_VALUE\n",
        "stack-underflow",
        E,
        4,
    );
    // Net effect 0, but BINARY_OP reads two items.
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  BINARY_OP +\n  RETURN_VALUE\n",
        "stack-underflow",
        E,
        4,
    );
    // 3.14's RETURN_VALUE has effect 0 and still needs its value.
    has(
        ".python 3.14\n.code module\n  RESUME 0\n  RETURN_VALUE\n",
        "stack-underflow",
        E,
        4,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  SWAP 2\n  RETURN_VALUE\n",
        "stack-underflow",
        E,
        4,
    );
}

#[test]
fn bad_jump_target() {
    has(
        ".python 3.12\n.code module\n  JUMP_FORWARD nowhere\n",
        "bad-jump-target",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\nback:\n  NOP\n  JUMP_FORWARD back\n",
        "bad-jump-target",
        E,
        5,
    );
    has(
        ".python 3.12\n.code module\n  JUMP_FORWARD #200\n  RETURN_CONST None\n",
        "bad-jump-target",
        E,
        3,
    );
    // Into the caches of a CALL.
    has(
        ".python 3.12\n.code module\n  PUSH_NULL\n  LOAD_CONST 1\n  POP_JUMP_IF_TRUE #1\n  CALL 0\n  RETURN_VALUE\n",
        "bad-jump-target",
        E,
        5,
    );
}

#[test]
fn undefined_name() {
    has(
        ".python 3.12\n.code module\n  LOAD_CONST #5\n  RETURN_VALUE\n",
        "undefined-name",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_NAME #3\n  RETURN_VALUE\n",
        "undefined-name",
        E,
        3,
    );
    has(
        ".python 3.12\n.code f\n  LOAD_FAST #9\n  RETURN_VALUE\n",
        "undefined-name",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_DEREF x\n  RETURN_VALUE\n",
        "undefined-name",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_CONST @missing\n  RETURN_VALUE\n",
        "undefined-name",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  .except a b -> h\n  RETURN_CONST None\n",
        "undefined-name",
        E,
        3,
    );
}

#[test]
fn stack_mismatch_and_falls_off_end() {
    has(
        ".python 3.12\n.code module\n  LOAD_CONST True\n  POP_JUMP_IF_TRUE join\n  LOAD_CONST 1\njoin:\n  RETURN_CONST None\n",
        "stack-mismatch",
        E,
        7,
    );
    has(".python 3.12\n.code module\n  NOP\n", "falls-off-end", E, 3);
    // Paths that meet at a label ending the code, past the last
    // instruction: reported on that instruction (this used to panic).
    let end = ".python 3.12\n.code module\n  LOAD_CONST True\n  POP_JUMP_IF_TRUE end\n  LOAD_CONST 1\nend:\n";
    has(end, "stack-mismatch", E, 5);
    has(end, "falls-off-end", E, 5);
    // A jump whose label ends the code leaves it too: reported on the jump.
    has(
        ".python 3.12\n.code module\n  LOAD_CONST ()\n  GET_ITER\ntop:\n  FOR_ITER done\n  STORE_NAME x\n  JUMP_BACKWARD top\ndone:\n",
        "falls-off-end",
        E,
        6,
    );
}

#[test]
fn stack_size_too_small_and_unreachable() {
    has(
        ".python 3.12\n.code module\n  .stacksize 1\n  LOAD_CONST 1\n  LOAD_CONST 2\n  BUILD_TUPLE 2\n  RETURN_VALUE\n",
        "stack-size-too-small",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  RETURN_CONST None\n  NOP\n",
        "unreachable",
        W,
        4,
    );
}

#[test]
fn unbound_local() {
    let src = ".python 3.12\n.code module\n  LOAD_CONST @f\n  MAKE_FUNCTION 0\n  RETURN_VALUE\n.code f\n  .var x\n  LOAD_FAST x\n  RETURN_VALUE\n";
    has(src, "unbound-local", E, 8);
    // LOAD_FAST_CHECK is the safe form; 3.11's LOAD_FAST checks too.
    let checked = src.replace("LOAD_FAST x", "LOAD_FAST_CHECK x");
    assert!(!diags(&checked).iter().any(|(c, ..)| *c == "unbound-local"));
    let v311 = ".python 3.11\n.code module\n  LOAD_CONST @f\n  MAKE_FUNCTION 0\n  RETURN_VALUE\n.code f\n  .var x\n  LOAD_FAST x\n  RETURN_VALUE\n";
    has(v311, "unbound-local", W, 8);
    // 3.13's STORE_FAST_LOAD_FAST reads its second local after the store.
    let pair = ".python 3.13\n.code module\n  LOAD_CONST @f\n  MAKE_FUNCTION\n  RETURN_VALUE\n.code f\n  .var x\n  .var y\n  LOAD_CONST 1\n  STORE_FAST_LOAD_FAST y, x\n  RETURN_VALUE\n";
    has(pair, "unbound-local", E, 10);
    let same = pair.replace("y, x", "x, x");
    assert!(!diags(&same).iter().any(|(c, ..)| *c == "unbound-local"));
}

#[test]
fn unknown_global() {
    let src = ".python 3.12\n.code module\n  LOAD_NAME no_such_thing\n  RETURN_VALUE\n";
    has(src, "unknown-global", W, 3);
    let builtin = ".python 3.12\n.code module\n  LOAD_NAME print\n  RETURN_VALUE\n";
    assert!(diags(builtin).is_empty(), "{:?}", diags(builtin));
    let assigned = ".python 3.12\n.code module\n  LOAD_CONST 1\n  STORE_NAME x\n  LOAD_NAME x\n  RETURN_VALUE\n";
    assert!(diags(assigned).is_empty(), "{:?}", diags(assigned));
}

#[test]
fn invalid_operand_and_unknown_opcode() {
    has(
        ".python 3.14\n.code module\n  LOAD_SMALL_INT 300\n  RETURN_VALUE\n",
        "invalid-operand",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  LOAD_CONST 2\n  IS_OP 7\n  RETURN_VALUE\n",
        "invalid-operand",
        E,
        5,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_FAST print\n  RETURN_VALUE\n",
        "unbound-local",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  LAOD_CONST 1\n",
        "unknown-opcode",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  CALL foo\n",
        "invalid-operand",
        E,
        3,
    );
}

#[test]
fn stack_null() {
    // Returning the NULL placeholder.
    has(
        ".python 3.12\n.code module\n  PUSH_NULL\n  RETURN_VALUE\n",
        "stack-null",
        E,
        4,
    );
    // 3.13 wants the callable below the NULL; NULL first calls NULL.
    let wrong = ".python 3.13\n.code module\n  PUSH_NULL\n  LOAD_NAME print\n  LOAD_CONST 1\n  CALL 1\n  RETURN_VALUE\n";
    has(wrong, "stack-null", E, 6);
    let right = ".python 3.13\n.code module\n  LOAD_NAME print\n  PUSH_NULL\n  LOAD_CONST 1\n  CALL 1\n  RETURN_VALUE\n";
    assert!(diags(right).is_empty(), "{:?}", diags(right));
    // ...and 3.12 wants it the other way round.
    let right_312 = ".python 3.12\n.code module\n  PUSH_NULL\n  LOAD_NAME print\n  LOAD_CONST 1\n  CALL 1\n  RETURN_VALUE\n";
    assert!(diags(right_312).is_empty(), "{:?}", diags(right_312));
    has(&right_312.replace("3.12", "3.14"), "stack-null", E, 6);
    // Popped or copied: POP_TOP drops a reference and COPY takes one, and
    // python3.11 dies of a segfault on PUSH_NULL; POP_TOP.
    has(
        ".python 3.11\n.code module\n  PUSH_NULL\n  POP_TOP\n  LOAD_CONST None\n  RETURN_VALUE\n",
        "stack-null",
        E,
        4,
    );
    has(
        ".python 3.13\n.code module\n  PUSH_NULL\n  COPY 1\n  RETURN_VALUE\n",
        "stack-null",
        E,
        4,
    );
    // A NULL passed as an argument.
    has(
        ".python 3.12\n.code module\n  PUSH_NULL\n  LOAD_NAME print\n  PUSH_NULL\n  CALL 1\n  RETURN_VALUE\n",
        "stack-null",
        E,
        6,
    );
}

#[test]
fn operand_kind() {
    // FOR_ITER calls its operand's tp_iternext without looking.
    has(
        ".python 3.11\n.code module\n  BUILD_LIST 0\nloop:\n  FOR_ITER done\n  POP_TOP\n  JUMP_BACKWARD loop\ndone:\n  LOAD_CONST None\n  RETURN_VALUE\n",
        "operand-kind",
        E,
        5,
    );
    // MAKE_FUNCTION stores whatever it gets as the code object.
    has(
        ".python 3.11\n.code module\n  LOAD_CONST 1\n  MAKE_FUNCTION 0\n  RETURN_VALUE\n",
        "operand-kind",
        E,
        4,
    );
    // RERAISE reads an exception's fields.
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  RERAISE 0\n",
        "operand-kind",
        E,
        4,
    );
    // A closure is a tuple of cells.
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  BUILD_TUPLE 1\n  LOAD_CONST @f\n  MAKE_FUNCTION closure\n  RETURN_VALUE\n.code f\n  .var x free\n  COPY_FREE_VARS 1\n  RETURN_CONST None\n",
        "operand-kind",
        E,
        6,
    );
    // LOAD_DEREF before MAKE_CELL reads a NULL as a cell; after STORE_FAST
    // it reads a plain value as one.
    has(
        ".python 3.12\n.code f\n  .var x cell\n  LOAD_DEREF x\n  RETURN_VALUE\n",
        "stack-null",
        E,
        4,
    );
    has(
        ".python 3.12\n.code f\n  .var x cell\n  MAKE_CELL x\n  LOAD_CONST 1\n  STORE_FAST x\n  LOAD_DEREF x\n  RETURN_VALUE\n",
        "operand-kind",
        E,
        7,
    );
    // 3.12+'s LOAD_FAST of a cell before MAKE_CELL reads its NULL.
    has(
        ".python 3.12\n.code f\n  .var x cell\n  LOAD_FAST x\n  RETURN_VALUE\n",
        "stack-null",
        E,
        4,
    );
    // STORE_FAST_LOAD_FAST reads back a NULL that LOAD_FAST_AND_CLEAR left.
    let cleared = ".python 3.13\n.code f\n  .var x\n  .var y\n  LOAD_FAST_AND_CLEAR x\n  STORE_FAST x\n  LOAD_CONST 1\n  STORE_FAST_LOAD_FAST y, x\n  RETURN_VALUE\n";
    has(cleared, "stack-null", E, 8);
    // ... and not when the local it reads is the one it stores.
    let same = cleared.replace("STORE_FAST_LOAD_FAST y, x", "STORE_FAST_LOAD_FAST x, x");
    assert!(!diags(&same).iter().any(|d| d.1 == E), "{:?}", diags(&same));
    // The same value narrowed by a test of its copy is an exception.
    let narrowed = ".python 3.12\n.code module\n    .except a b -> h\na:\n  NOP\nb:\n  RETURN_CONST None\nh:\n  PUSH_EXC_INFO\n  COPY 1\n  POP_JUMP_IF_NOT_NONE r\n  POP_TOP\n  POP_EXCEPT\n  RETURN_CONST None\nr:\n  SWAP 2\n  POP_EXCEPT\n  RERAISE 0\n";
    assert!(
        !diags(narrowed).iter().any(|d| d.1 == E),
        "{:?}",
        diags(narrowed)
    );
}

#[test]
fn handler_depth() {
    // The handler expects three items that the stack never holds.
    has(
        ".python 3.12\n.code module\n    .except a b -> h depth 3\na:\n  NOP\nb:\n  RETURN_CONST None\nh:\n  RERAISE 0\n",
        "handler-depth",
        E,
        5,
    );
}

#[test]
fn bad_prologue() {
    has(
        ".python 3.12\n.code module\n  COPY_FREE_VARS 1\n  RETURN_CONST None\n",
        "bad-prologue",
        E,
        3,
    );
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  YIELD_VALUE 0\n  RETURN_VALUE\n",
        "bad-prologue",
        E,
        4,
    );
    // Free variables and no COPY_FREE_VARS first.
    has(
        ".python 3.12\n.code f\n  .var x free\n  RESUME 0\n  LOAD_DEREF x\n  RETURN_VALUE\n",
        "bad-prologue",
        E,
        4,
    );
}

#[test]
fn call_sequence() {
    // 3.11's PRECALL and CALL must count the same arguments, side by side.
    has(
        ".python 3.11\n.code module\n  PUSH_NULL\n  LOAD_NAME print\n  PRECALL 0\n  LOAD_CONST 1\n  CALL 0\n  RETURN_VALUE\n",
        "call-sequence",
        E,
        5,
    );
    // More keyword names than arguments.
    has(
        ".python 3.12\n.code module\n  PUSH_NULL\n  LOAD_NAME print\n  LOAD_CONST 1\n  KW_NAMES ('a', 'b')\n  CALL 1\n  RETURN_VALUE\n",
        "call-sequence",
        E,
        6,
    );
}

#[test]
fn for_iter_target() {
    // The interpreter skips the END_FOR at FOR_ITER's target unseen.
    has(
        ".python 3.12\n.code module\n  BUILD_LIST 0\n  GET_ITER\nloop:\n  FOR_ITER done\n  POP_TOP\n  JUMP_BACKWARD loop\ndone:\n  RETURN_CONST None\n",
        "bad-jump-target",
        E,
        6,
    );
}

#[test]
fn forbidden_opcode() {
    has(
        ".python 3.12\n.code module\n  LOAD_CONST 1\n  RETURN_VALUE\n  CACHE\n",
        "unreachable",
        W,
        5,
    );
    has(
        ".python 3.12\n.code module\n  CACHE\n  RETURN_CONST None\n",
        "forbidden-opcode",
        E,
        3,
    );
}

#[test]
fn closure_mismatch() {
    // f has a free variable; the function made from it gets no closure.
    has(
        ".python 3.12\n.code module\n  LOAD_CONST @f\n  MAKE_FUNCTION 0\n  RETURN_VALUE\n.code f\n  .var x free\n  COPY_FREE_VARS 1\n  RETURN_CONST None\n",
        "function-contract",
        E,
        4,
    );
    let right = ".python 3.12\n.code module\n  .var x cell\n  MAKE_CELL x\n  LOAD_CLOSURE x\n  BUILD_TUPLE 1\n  LOAD_CONST @f\n  MAKE_FUNCTION closure\n  RETURN_VALUE\n.code f\n  .var x free\n  COPY_FREE_VARS 1\n  RETURN_CONST None\n";
    assert!(!diags(right).iter().any(|d| d.1 == E), "{:?}", diags(right));
}

#[test]
fn hidden_parameters() {
    // A generator expression's `.0` is iterated without a check: its
    // function must be called with what GET_ITER makes.
    let genexpr = "\n.code g\n  .flags OPTIMIZED NEWLOCALS GENERATOR\n  .argcount 1\n  .var '.0'\n  RETURN_GENERATOR\n  POP_TOP\n  RESUME 0\n  LOAD_FAST '.0'\nl:\n  FOR_ITER e\n  POP_TOP\n  JUMP_BACKWARD l\ne:\n  END_FOR\n  RETURN_CONST None\n";
    let call = |arg: &str| {
        format!(".python 3.12\n.code module\n  LOAD_CONST @g\n  MAKE_FUNCTION 0\n{arg}  CALL 0\n  RETURN_VALUE\n{genexpr}")
    };
    let right = call("  LOAD_NAME x\n  GET_ITER\n");
    assert!(
        !diags(&right).iter().any(|d| d.1 == E),
        "{:?}",
        diags(&right)
    );
    has(&call("  LOAD_NAME x\n"), "function-contract", E, 6);
    // Undeclared, `.0` is still the first local (its first use makes it).
    let undeclared = call("  LOAD_NAME x\n").replace("  .var '.0'\n", "");
    has(&undeclared, "function-contract", E, 6);
    // Stored away, it could be called with anything.
    has(
        &format!(".python 3.12\n.code module\n  LOAD_CONST @g\n  MAKE_FUNCTION 0\n  STORE_NAME f\n  RETURN_CONST None\n{genexpr}"),
        "function-contract",
        E,
        5,
    );
}

#[test]
fn raw_tables() {
    // An exception entry whose handler is inside CALL's caches.
    has(
        ".python 3.12\n.code module\n    .exceptiontable b'\\x80\\x01\\x04\\x00'\n  PUSH_NULL\n  LOAD_NAME print\n  CALL 0\n  RETURN_VALUE\n",
        "raw-table",
        E,
        3,
    );
    // A location table that ends before the code does.
    has(
        ".python 3.12\n.code module\n    .linetable b'\\x80\\x00'\n  NOP\n  NOP\n  RETURN_CONST None\n",
        "raw-table",
        E,
        3,
    );
}

#[test]
fn bad_code_object() {
    // Two arguments, one local: marshal refuses to load the code object.
    has(
        ".python 3.12\n.code module\n  LOAD_CONST @f\n  MAKE_FUNCTION 0\n  RETURN_VALUE\n.code f\n  .argcount 2\n  .var a\n  RETURN_CONST None\n",
        "bad-code-object",
        E,
        7,
    );
}

#[test]
fn borrowed_reference() {
    // 3.14: the borrowed `x` would outlive the value STORE_FAST replaces.
    let src = |body: &str| format!(".python 3.14\n.code f\n  .argcount 1\n  .var x\n{body}");
    has(
        &src("  LOAD_FAST_BORROW x\n  LOAD_SMALL_INT 1\n  STORE_FAST x\n  RETURN_VALUE\n"),
        "borrowed-reference",
        E,
        7,
    );
    let right = src("  LOAD_FAST_BORROW x\n  RETURN_VALUE\n");
    assert!(diags(&right).is_empty(), "{:?}", diags(&right));
}
