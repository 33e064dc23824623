//! CPython 3.10 instruction set.
//!
//! Written with the table macro of `v3_11` (one line per instruction, in
//! opcode order; no inline caches and no specialized instructions). Since
//! 3.9 (see `v3_6` for what sets the wordcode versions apart from 3.11):
//! jumps count code units, not bytes (`JumpUnit::CodeUnits`); pattern
//! matching brings `GET_LEN`, `MATCH_*` and `COPY_DICT_WITHOUT_KEYS`;
//! `ROT_N`, `GEN_START` are new and `RERAISE` takes an argument.
//!
//! Stack effects follow `dis.stack_effect` of 3.10 with `jump=True` and
//! `jump=False`; `opcodes::3.10` in `tests/versions.rs` checks the whole
//! table against a live `python3.10`.

use super::v3_11::{build, instructions, int};
use super::{
    ArgKind, CloseMark, CompareEncoding, ForIterExit, JumpUnit, Op, OpInfo, VersionSpec, CMP_OPS,
    MAKE_FUNCTION_FLAGS,
};

instructions! {
    POP_TOP                       = 1,   None,         0,  |_, _| -1;
    ROT_TWO                       = 2,   None,         0,  |_, _| 0;
    ROT_THREE                     = 3,   None,         0,  |_, _| 0;
    DUP_TOP                       = 4,   None,         0,  |_, _| 1;
    DUP_TOP_TWO                   = 5,   None,         0,  |_, _| 2;
    ROT_FOUR                      = 6,   None,         0,  |_, _| 0;
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
    GET_LEN                       = 30,  None,         0,  |_, _| 1;
    MATCH_MAPPING                 = 31,  None,         0,  |_, _| 1;
    MATCH_SEQUENCE                = 32,  None,         0,  |_, _| 1;
    MATCH_KEYS                    = 33,  None,         0,  |_, _| 2;
    COPY_DICT_WITHOUT_KEYS        = 34,  None,         0,  |_, _| 0;
    WITH_EXCEPT_START             = 49,  None,         0,  |_, _| 1;
    GET_AITER                     = 50,  None,         0,  |_, _| 0;
    GET_ANEXT                     = 51,  None,         0,  |_, _| 1;
    BEFORE_ASYNC_WITH             = 52,  None,         0,  |_, _| 1;
    END_ASYNC_FOR                 = 54,  None,         0,  |_, _| -7;
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
    LOAD_ASSERTION_ERROR          = 74,  None,         0,  |_, _| 1;
    INPLACE_LSHIFT                = 75,  None,         0,  |_, _| -1;
    INPLACE_RSHIFT                = 76,  None,         0,  |_, _| -1;
    INPLACE_AND                   = 77,  None,         0,  |_, _| -1;
    INPLACE_XOR                   = 78,  None,         0,  |_, _| -1;
    INPLACE_OR                    = 79,  None,         0,  |_, _| -1;
    LIST_TO_TUPLE                 = 82,  None,         0,  |_, _| 0;
    RETURN_VALUE                  = 83,  None,         0,  |_, _| -1;
    IMPORT_STAR                   = 84,  None,         0,  |_, _| -1;
    SETUP_ANNOTATIONS             = 85,  None,         0,  |_, _| 0;
    YIELD_VALUE                   = 86,  None,         0,  |_, _| 0;
    POP_BLOCK                     = 87,  None,         0,  |_, _| 0;
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
    ROT_N                         = 99,  Int,          0,  |_, _| 0;
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
    IS_OP                         = 117, Int,          0,  |_, _| -1;
    CONTAINS_OP                   = 118, Int,          0,  |_, _| -1;
    RERAISE                       = 119, Int,          0,  |_, _| -3;
    JUMP_IF_NOT_EXC_MATCH         = 121, JumpAbsolute, 0,  |_, _| -2;
    SETUP_FINALLY                 = 122, Handler,      0,  |_, jump| if jump { 6 } else { 0 };
    LOAD_FAST                     = 124, Local,        0,  |_, _| 1;
    STORE_FAST                    = 125, Local,        0,  |_, _| -1;
    DELETE_FAST                   = 126, Local,        0,  |_, _| 0;
    GEN_START                     = 129, Int,          0,  |_, _| -1;
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
    MATCH_CLASS                   = 152, Int,          0,  |_, _| -1;
    SETUP_ASYNC_WITH              = 154, Handler,      0,  |_, jump| if jump { 5 } else { 0 };
    FORMAT_VALUE                  = 155, FormatValue,  0,  |a, _| if a & 0x04 != 0 { -1 } else { 0 };
    BUILD_CONST_KEY_MAP           = 156, Int,          0,  |a, _| int(a).wrapping_neg();
    BUILD_STRING                  = 157, Int,          0,  |a, _| build(int(a));
    LOAD_METHOD                   = 160, Name,         0,  |_, _| 1;
    CALL_METHOD                   = 161, Int,          0,  |a, _| int(a).wrapping_neg().wrapping_sub(1);
    LIST_EXTEND                   = 162, Int,          0,  |_, _| -1;
    SET_UPDATE                    = 163, Int,          0,  |_, _| -1;
    DICT_MERGE                    = 164, Int,          0,  |_, _| -1;
    DICT_UPDATE                   = 165, Int,          0,  |_, _| -1;
}

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: &[],
    cmp_ops: CMP_OPS,
    compare: CompareEncoding::Index,
    jump_unit: JumpUnit::CodeUnits,
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
    with_exit_depth: 7,
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
    pyc_flags_word: true,
    code_posonlyargcount: true,
    line_table: super::LineTable::Lines,
    operand_values: &[],
    truth_tests_need_bool: false,
    close_mark: CloseMark::Absent,
    yield_from_trusts_receiver: false,
    get_aiter_awaits: false,
    frame_prologue: false,
    exception_is_three_values: true,
    stack_depth_is_largest: false,
    unwinds_by_why: false,
    block_stack: true,
    finally_entry_marked: false,
    stacksize_counts_unreachable: false,
    stacksize_before_peephole: false,
    counted_effects: &[],
    stacksize_counted_walk: false,
    make_function_takes_qualname: true,
};
