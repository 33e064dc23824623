//! CPython 3.6 instruction set, the first with two-byte instructions
//! (wordcode).
//!
//! Written with the table macro of `v3_11` (one line per instruction, in
//! opcode order; no inline caches and no specialized instructions). What
//! sets it apart from 3.11:
//!
//! - One instruction per operator (`BINARY_ADD`, `INPLACE_ADD`...), the
//!   stack shuffled by `ROT_*` and `DUP_TOP*`, calls by `CALL_FUNCTION`,
//!   `CALL_FUNCTION_KW` and `CALL_FUNCTION_EX` (no NULL below the
//!   callable), and `MAKE_FUNCTION` also pops the qualified name.
//! - Blocks instead of an exception table: `SETUP_LOOP`, `SETUP_EXCEPT`,
//!   `SETUP_FINALLY`, `SETUP_WITH` and `SETUP_ASYNC_WITH` (`Handler`),
//!   `POP_BLOCK`, `BREAK_LOOP`, `CONTINUE_LOOP`, `END_FINALLY` and
//!   `WITH_CLEANUP_*`.
//! - Jumps count bytes (`JumpUnit::Bytes`); the conditional ones,
//!   `JUMP_ABSOLUTE` and `CONTINUE_LOOP` are absolute (`JumpAbsolute`).
//! - `COMPARE_OP` also tests `in`, `is` and exception matches
//!   (`CMP_OPS_3_6`); `LOAD_GLOBAL` takes a plain name index.
//! - `STORE_ANNOTATION` exists in this version only.
//!
//! Stack effects say what each instruction does when it runs, per branch
//! (a `SETUP_*` pushes the exception's values only at its handler).
//! `dis.stack_effect` of 3.6 takes no `jump` and answers the larger of the
//! two; `opcodes::3.6` in `tests/versions.rs` compares that with a live
//! `python3.6`. Where 3.6's compiler counts otherwise than the interpreter
//! runs (the `with` cleanup, `END_FINALLY`, `POP_EXCEPT`), the table
//! follows the interpreter, which 3.7's compiler counts correctly, and
//! `counted_effects` keeps 3.6's numbers for the test: the run-time effects
//! are checked against 3.7's table instead.
//! `dis.stack_effect` refuses `NOP` and `EXTENDED_ARG`, which do nothing
//! to the stack; the table says 0.

use super::v3_11::{build, instructions, int};
use super::{
    ArgKind, CloseMark, CompareEncoding, ForIterExit, JumpUnit, Op, OpInfo, OperandValues,
    VersionSpec, CMP_OPS_3_6, MAKE_FUNCTION_FLAGS,
};

instructions! {
    POP_TOP                       = 1,   None,         0,  |_, _| -1;
    ROT_TWO                       = 2,   None,         0,  |_, _| 0;
    ROT_THREE                     = 3,   None,         0,  |_, _| 0;
    DUP_TOP                       = 4,   None,         0,  |_, _| 1;
    DUP_TOP_TWO                   = 5,   None,         0,  |_, _| 2;
    NOP                           = 9,   None,         0,  |_, _| 0;
    UNARY_POSITIVE                = 10,  None,         0,  |_, _| 0;
    UNARY_NEGATIVE                = 11,  None,         0,  |_, _| 0;
    UNARY_NOT                     = 12,  None,         0,  |_, _| 0;
    UNARY_INVERT                  = 15,  None,         0,  |_, _| 0;
    BINARY_MATRIX_MULTIPLY        = 16,  None,         0,  |_, _| -1;
    INPLACE_MATRIX_MULTIPLY       = 17,  None,         0,  |_, _| -1;
    BINARY_POWER                  = 19,  None,         0,  |_, _| -1;
    BINARY_MULTIPLY               = 20,  None,         0,  |_, _| -1;
    BINARY_MODULO                 = 22,  None,         0,  |_, _| -1;
    BINARY_ADD                    = 23,  None,         0,  |_, _| -1;
    BINARY_SUBTRACT               = 24,  None,         0,  |_, _| -1;
    BINARY_SUBSCR                 = 25,  None,         0,  |_, _| -1;
    BINARY_FLOOR_DIVIDE           = 26,  None,         0,  |_, _| -1;
    BINARY_TRUE_DIVIDE            = 27,  None,         0,  |_, _| -1;
    INPLACE_FLOOR_DIVIDE          = 28,  None,         0,  |_, _| -1;
    INPLACE_TRUE_DIVIDE           = 29,  None,         0,  |_, _| -1;
    GET_AITER                     = 50,  None,         0,  |_, _| 0;
    GET_ANEXT                     = 51,  None,         0,  |_, _| 1;
    BEFORE_ASYNC_WITH             = 52,  None,         0,  |_, _| 1;
    INPLACE_ADD                   = 55,  None,         0,  |_, _| -1;
    INPLACE_SUBTRACT              = 56,  None,         0,  |_, _| -1;
    INPLACE_MULTIPLY              = 57,  None,         0,  |_, _| -1;
    INPLACE_MODULO                = 59,  None,         0,  |_, _| -1;
    STORE_SUBSCR                  = 60,  None,         0,  |_, _| -3;
    DELETE_SUBSCR                 = 61,  None,         0,  |_, _| -2;
    BINARY_LSHIFT                 = 62,  None,         0,  |_, _| -1;
    BINARY_RSHIFT                 = 63,  None,         0,  |_, _| -1;
    BINARY_AND                    = 64,  None,         0,  |_, _| -1;
    BINARY_XOR                    = 65,  None,         0,  |_, _| -1;
    BINARY_OR                     = 66,  None,         0,  |_, _| -1;
    INPLACE_POWER                 = 67,  None,         0,  |_, _| -1;
    GET_ITER                      = 68,  None,         0,  |_, _| 0;
    GET_YIELD_FROM_ITER           = 69,  None,         0,  |_, _| 0;
    PRINT_EXPR                    = 70,  None,         0,  |_, _| -1;
    LOAD_BUILD_CLASS              = 71,  None,         0,  |_, _| 1;
    YIELD_FROM                    = 72,  None,         0,  |_, _| -1;
    GET_AWAITABLE                 = 73,  None,         0,  |_, _| 0;
    INPLACE_LSHIFT                = 75,  None,         0,  |_, _| -1;
    INPLACE_RSHIFT                = 76,  None,         0,  |_, _| -1;
    INPLACE_AND                   = 77,  None,         0,  |_, _| -1;
    INPLACE_XOR                   = 78,  None,         0,  |_, _| -1;
    INPLACE_OR                    = 79,  None,         0,  |_, _| -1;
    BREAK_LOOP                    = 80,  None,         0,  |_, _| 0;
    WITH_CLEANUP_START            = 81,  None,         0,  |_, _| 2;
    WITH_CLEANUP_FINISH           = 82,  None,         0,  |_, _| -3;
    RETURN_VALUE                  = 83,  None,         0,  |_, _| -1;
    IMPORT_STAR                   = 84,  None,         0,  |_, _| -1;
    SETUP_ANNOTATIONS             = 85,  None,         0,  |_, _| 0;
    YIELD_VALUE                   = 86,  None,         0,  |_, _| 0;
    POP_BLOCK                     = 87,  None,         0,  |_, _| 0;
    END_FINALLY                   = 88,  None,         0,  |_, _| -6;
    POP_EXCEPT                    = 89,  None,         0,  |_, _| -3;
    STORE_NAME                    = 90,  Name,         0,  |_, _| -1;
    DELETE_NAME                   = 91,  Name,         0,  |_, _| 0;
    UNPACK_SEQUENCE               = 92,  Int,          0,  |a, _| int(a).wrapping_sub(1);
    FOR_ITER                      = 93,  JumpForward,  0,  |_, jump| if jump { -1 } else { 1 };
    UNPACK_EX                     = 94,  UnpackEx,     0,  |a, _| (int(a) & 0xff) + (int(a) >> 8);
    STORE_ATTR                    = 95,  Name,         0,  |_, _| -2;
    DELETE_ATTR                   = 96,  Name,         0,  |_, _| -1;
    STORE_GLOBAL                  = 97,  Name,         0,  |_, _| -1;
    DELETE_GLOBAL                 = 98,  Name,         0,  |_, _| 0;
    LOAD_CONST                    = 100, Const,        0,  |_, _| 1;
    LOAD_NAME                     = 101, Name,         0,  |_, _| 1;
    BUILD_TUPLE                   = 102, Int,          0,  |a, _| build(int(a));
    BUILD_LIST                    = 103, Int,          0,  |a, _| build(int(a));
    BUILD_SET                     = 104, Int,          0,  |a, _| build(int(a));
    BUILD_MAP                     = 105, Int,          0,  |a, _| build(int(a).wrapping_mul(2));
    LOAD_ATTR                     = 106, Name,         0,  |_, _| 0;
    COMPARE_OP                    = 107, Compare,      0,  |_, _| -1;
    IMPORT_NAME                   = 108, Name,         0,  |_, _| -1;
    IMPORT_FROM                   = 109, Name,         0,  |_, _| 1;
    JUMP_FORWARD                  = 110, JumpForward,  0,  |_, _| 0;
    JUMP_IF_FALSE_OR_POP          = 111, JumpAbsolute, 0,  |_, jump| if jump { 0 } else { -1 };
    JUMP_IF_TRUE_OR_POP           = 112, JumpAbsolute, 0,  |_, jump| if jump { 0 } else { -1 };
    JUMP_ABSOLUTE                 = 113, JumpAbsolute, 0,  |_, _| 0;
    POP_JUMP_IF_FALSE             = 114, JumpAbsolute, 0,  |_, _| -1;
    POP_JUMP_IF_TRUE              = 115, JumpAbsolute, 0,  |_, _| -1;
    LOAD_GLOBAL                   = 116, Name,         0,  |_, _| 1;
    CONTINUE_LOOP                 = 119, JumpAbsolute, 0,  |_, _| 0;
    SETUP_LOOP                    = 120, Handler,      0,  |_, _| 0;
    SETUP_EXCEPT                  = 121, Handler,      0,  |_, jump| if jump { 6 } else { 0 };
    SETUP_FINALLY                 = 122, Handler,      0,  |_, jump| if jump { 6 } else { 0 };
    LOAD_FAST                     = 124, Local,        0,  |_, _| 1;
    STORE_FAST                    = 125, Local,        0,  |_, _| -1;
    DELETE_FAST                   = 126, Local,        0,  |_, _| 0;
    STORE_ANNOTATION              = 127, Name,         0,  |_, _| -1;
    RAISE_VARARGS                 = 130, Int,          0,  |a, _| int(a).wrapping_neg();
    CALL_FUNCTION                 = 131, Int,          0,  |a, _| int(a).wrapping_neg();
    MAKE_FUNCTION                 = 132, MakeFunction, 0,  |a, _| -1 - (a & 0x0f).count_ones() as i32;
    BUILD_SLICE                   = 133, Int,          0,  |a, _| if a == 3 { -2 } else { -1 };
    LOAD_CLOSURE                  = 135, Free,         0,  |_, _| 1;
    LOAD_DEREF                    = 136, Free,         0,  |_, _| 1;
    STORE_DEREF                   = 137, Free,         0,  |_, _| -1;
    DELETE_DEREF                  = 138, Free,         0,  |_, _| 0;
    CALL_FUNCTION_KW              = 141, Int,          0,  |a, _| int(a).wrapping_neg().wrapping_sub(1);
    CALL_FUNCTION_EX              = 142, Int,          0,  |a, _| -1 - (a & 1) as i32;
    SETUP_WITH                    = 143, Handler,      0,  |_, jump| if jump { 6 } else { 1 };
    EXTENDED_ARG                  = 144, Int,          0,  |_, _| 0;
    LIST_APPEND                   = 145, Int,          0,  |_, _| -1;
    SET_ADD                       = 146, Int,          0,  |_, _| -1;
    MAP_ADD                       = 147, Int,          0,  |_, _| -2;
    LOAD_CLASSDEREF               = 148, Free,         0,  |_, _| 1;
    BUILD_LIST_UNPACK             = 149, Int,          0,  |a, _| build(int(a));
    BUILD_MAP_UNPACK              = 150, Int,          0,  |a, _| build(int(a));
    BUILD_MAP_UNPACK_WITH_CALL    = 151, Int,          0,  |a, _| build(int(a));
    BUILD_TUPLE_UNPACK            = 152, Int,          0,  |a, _| build(int(a));
    BUILD_SET_UNPACK              = 153, Int,          0,  |a, _| build(int(a));
    SETUP_ASYNC_WITH              = 154, Handler,      0,  |_, jump| if jump { 5 } else { 0 };
    FORMAT_VALUE                  = 155, FormatValue,  0,  |a, _| if a & 0x04 != 0 { -1 } else { 0 };
    BUILD_CONST_KEY_MAP           = 156, Int,          0,  |a, _| int(a).wrapping_neg();
    BUILD_STRING                  = 157, Int,          0,  |a, _| build(int(a));
    BUILD_TUPLE_UNPACK_WITH_CALL  = 158, Int,          0,  |a, _| build(int(a));
}

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: &[],
    cmp_ops: CMP_OPS_3_6,
    compare: CompareEncoding::Index,
    jump_unit: JumpUnit::Bytes,
    localsplus: false,
    intrinsic1: &[],
    intrinsic2: &[],
    common_constants: &[],
    special_methods: &[],
    function_flags: MAKE_FUNCTION_FLAGS,
    args_at_precall: false,
    null_above_callable: false,
    for_iter_exit: ForIterExit::PopsIterator,
    load_fast_checks_unbound: true,
    pop_top_takes_null: false,
    with_exit_depth: 0,
    call_ex_kwargs_slot_always: false,
    call_ex_null_slot: false,
    annotations_any_object: false,
    conditional_annotations_set: false,
    first_const_is_docstring: true,
    iterator_index_slot: false,
    genexpr_prologue_gets_iter: false,
    stopiteration_handler_keeps_body_depth: false,
    linetable_merges_runs: true,
    marshal_slices: false,
    marshal_frozendict: false,
    pyc_flags_word: false,
    code_posonlyargcount: false,
    line_table: super::LineTable::Lnotab,
    // `BAD` (11) is no comparison: the interpreter aborts on it.
    operand_values: &[OperandValues::upto(
        Op::COMPARE_OP,
        10,
        "a comparison of `cmp_op` other than BAD",
    )],
    truth_tests_need_bool: false,
    close_mark: CloseMark::Absent,
    yield_from_trusts_receiver: true,
    get_aiter_awaits: true,
    frame_prologue: false,
    exception_is_three_values: true,
    stack_depth_is_largest: true,
    unwinds_by_why: true,
    block_stack: true,
    finally_entry_marked: false,
    stacksize_counts_unreachable: false,
    stacksize_before_peephole: true,
    stacksize_counted_walk: true,
    make_function_takes_qualname: true,
    // 3.7's compiler counts these as they run; 3.6's over-counts.
    counted_effects: &[
        (Op::WITH_CLEANUP_START, 1),
        (Op::WITH_CLEANUP_FINISH, -1),
        (Op::END_FINALLY, -1),
        (Op::POP_EXCEPT, 0),
        (Op::SETUP_WITH, 7),
        (Op::SETUP_ASYNC_WITH, 6),
    ],
};
