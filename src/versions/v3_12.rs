//! CPython 3.12 instruction set.
//!
//! Written with the table macro of `v3_11` (one line per instruction, in
//! opcode order; a specialized instruction names its base and shares its
//! argument kind, caches and stack effect). What changed since 3.11:
//!
//! - The backward conditional jumps are gone: only `JUMP_BACKWARD` and
//!   `JUMP_BACKWARD_NO_INTERRUPT` jump backward (dis 3.12 still tests
//!   `'JUMP_BACKWARD' in opname`), and `POP_JUMP_IF_*` lost `FORWARD`.
//! - `LOAD_ATTR` carries the method bit (`AttrName`), `LOAD_SUPER_ATTR`
//!   its own three-part argument, and `COMPARE_OP` packs the comparison
//!   above four mask bits (`CompareEncoding::Masked`).
//! - The `INSTRUMENTED_*` instructions occupy 237-254. They all sit above
//!   `HAVE_ARGUMENT`, so they all take an argument, but only
//!   `INSTRUMENTED_LOAD_SUPER_ATTR` is given a meaning here: dis lists none
//!   of them among the jumps, constants or names. `opcode` gives them no
//!   inline caches (the interpreter skips those of the instruction they
//!   instrument).
//! - Stack effects come from the generated metadata, which in this version
//!   never depends on whether a branch is taken: `FOR_ITER` counts +1 and
//!   `SEND` 0 either way, the values being dropped by the `END_FOR` or
//!   `END_SEND` at the target.
//! - For most `INSTRUMENTED_*` instructions the metadata, and so
//!   `dis.stack_effect`, says 0 whatever they instrument (a call, a
//!   conditional jump); the table repeats those numbers.
//! - `dis.stack_effect` refuses `INSTRUMENTED_LINE` and every specialized
//!   instruction; the table says 0 for the former and repeats the base for
//!   the latter. `opcodes::3.12` in `tests/versions.rs` checks the table against a real
//!   CPython 3.12.

use super::v3_11::instructions;
use super::{
    ArgKind, CompareEncoding, ForIterExit, Op, OpInfo, OperandValues, VersionSpec,
    MAKE_FUNCTION_FLAGS, NB_OPS,
};

/// The argument as `stack_effect` sees it: a C `int`. (CPython refuses
/// arguments of 2**31 and more before it gets this far, so only the
/// wrapping of the arithmetic below matters to it.)
fn int(arg: u32) -> i32 {
    arg as i32
}

/// Net effect of an instruction that pops `popped` values and pushes
/// `pushed`, both computed as CPython's generated metadata does, on C
/// `int`s that wrap.
fn net(pushed: i32, popped: i32) -> i32 {
    pushed.wrapping_sub(popped)
}

instructions! {
    CACHE                                     = 0,   None,           0,  |_, _| 0;
    POP_TOP                                   = 1,   None,           0,  |_, _| -1;
    PUSH_NULL                                 = 2,   None,           0,  |_, _| 1;
    INTERPRETER_EXIT                          = 3,   None,           0,  |_, _| -1;
    END_FOR                                   = 4,   None,           0,  |_, _| -2;
    END_SEND                                  = 5,   None,           0,  |_, _| -1;
    BINARY_OP_ADD_FLOAT                       = 6   => BINARY_OP;
    BINARY_OP_ADD_INT                         = 7   => BINARY_OP;
    BINARY_OP_ADD_UNICODE                     = 8   => BINARY_OP;
    NOP                                       = 9,   None,           0,  |_, _| 0;
    BINARY_OP_INPLACE_ADD_UNICODE             = 10  => BINARY_OP;
    UNARY_NEGATIVE                            = 11,  None,           0,  |_, _| 0;
    UNARY_NOT                                 = 12,  None,           0,  |_, _| 0;
    BINARY_OP_MULTIPLY_FLOAT                  = 13  => BINARY_OP;
    BINARY_OP_MULTIPLY_INT                    = 14  => BINARY_OP;
    UNARY_INVERT                              = 15,  None,           0,  |_, _| 0;
    BINARY_OP_SUBTRACT_FLOAT                  = 16  => BINARY_OP;
    RESERVED                                  = 17,  None,           0,  |_, _| 0;
    BINARY_OP_SUBTRACT_INT                    = 18  => BINARY_OP;
    BINARY_SUBSCR_DICT                        = 19  => BINARY_SUBSCR;
    BINARY_SUBSCR_GETITEM                     = 20  => BINARY_SUBSCR;
    BINARY_SUBSCR_LIST_INT                    = 21  => BINARY_SUBSCR;
    BINARY_SUBSCR_TUPLE_INT                   = 22  => BINARY_SUBSCR;
    CALL_PY_EXACT_ARGS                        = 23  => CALL;
    CALL_PY_WITH_DEFAULTS                     = 24  => CALL;
    BINARY_SUBSCR                             = 25,  None,           1,  |_, _| -1;
    BINARY_SLICE                              = 26,  None,           0,  |_, _| -2;
    STORE_SLICE                               = 27,  None,           0,  |_, _| -4;
    CALL_BOUND_METHOD_EXACT_ARGS              = 28  => CALL;
    CALL_BUILTIN_CLASS                        = 29  => CALL;
    GET_LEN                                   = 30,  None,           0,  |_, _| 1;
    MATCH_MAPPING                             = 31,  None,           0,  |_, _| 1;
    MATCH_SEQUENCE                            = 32,  None,           0,  |_, _| 1;
    MATCH_KEYS                                = 33,  None,           0,  |_, _| 1;
    CALL_BUILTIN_FAST_WITH_KEYWORDS           = 34  => CALL;
    PUSH_EXC_INFO                             = 35,  None,           0,  |_, _| 1;
    CHECK_EXC_MATCH                           = 36,  None,           0,  |_, _| 0;
    CHECK_EG_MATCH                            = 37,  None,           0,  |_, _| 0;
    CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS = 38  => CALL;
    CALL_NO_KW_BUILTIN_FAST                   = 39  => CALL;
    CALL_NO_KW_BUILTIN_O                      = 40  => CALL;
    CALL_NO_KW_ISINSTANCE                     = 41  => CALL;
    CALL_NO_KW_LEN                            = 42  => CALL;
    CALL_NO_KW_LIST_APPEND                    = 43  => CALL;
    CALL_NO_KW_METHOD_DESCRIPTOR_FAST         = 44  => CALL;
    CALL_NO_KW_METHOD_DESCRIPTOR_NOARGS       = 45  => CALL;
    CALL_NO_KW_METHOD_DESCRIPTOR_O            = 46  => CALL;
    CALL_NO_KW_STR_1                          = 47  => CALL;
    CALL_NO_KW_TUPLE_1                        = 48  => CALL;
    WITH_EXCEPT_START                         = 49,  None,           0,  |_, _| 1;
    GET_AITER                                 = 50,  None,           0,  |_, _| 0;
    GET_ANEXT                                 = 51,  None,           0,  |_, _| 1;
    BEFORE_ASYNC_WITH                         = 52,  None,           0,  |_, _| 1;
    BEFORE_WITH                               = 53,  None,           0,  |_, _| 1;
    END_ASYNC_FOR                             = 54,  None,           0,  |_, _| -2;
    CLEANUP_THROW                             = 55,  None,           0,  |_, _| -1;
    CALL_NO_KW_TYPE_1                         = 56  => CALL;
    COMPARE_OP_FLOAT                          = 57  => COMPARE_OP;
    COMPARE_OP_INT                            = 58  => COMPARE_OP;
    COMPARE_OP_STR                            = 59  => COMPARE_OP;
    STORE_SUBSCR                              = 60,  None,           1,  |_, _| -3;
    DELETE_SUBSCR                             = 61,  None,           0,  |_, _| -2;
    FOR_ITER_LIST                             = 62  => FOR_ITER;
    FOR_ITER_TUPLE                            = 63  => FOR_ITER;
    FOR_ITER_RANGE                            = 64  => FOR_ITER;
    FOR_ITER_GEN                              = 65  => FOR_ITER;
    LOAD_SUPER_ATTR_ATTR                      = 66  => LOAD_SUPER_ATTR;
    LOAD_SUPER_ATTR_METHOD                    = 67  => LOAD_SUPER_ATTR;
    GET_ITER                                  = 68,  None,           0,  |_, _| 0;
    GET_YIELD_FROM_ITER                       = 69,  None,           0,  |_, _| 0;
    LOAD_ATTR_CLASS                           = 70  => LOAD_ATTR;
    LOAD_BUILD_CLASS                          = 71,  None,           0,  |_, _| 1;
    LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN         = 72  => LOAD_ATTR;
    LOAD_ATTR_INSTANCE_VALUE                  = 73  => LOAD_ATTR;
    LOAD_ASSERTION_ERROR                      = 74,  None,           0,  |_, _| 1;
    RETURN_GENERATOR                          = 75,  None,           0,  |_, _| 0;
    LOAD_ATTR_MODULE                          = 76  => LOAD_ATTR;
    LOAD_ATTR_PROPERTY                        = 77  => LOAD_ATTR;
    LOAD_ATTR_SLOT                            = 78  => LOAD_ATTR;
    LOAD_ATTR_WITH_HINT                       = 79  => LOAD_ATTR;
    LOAD_ATTR_METHOD_LAZY_DICT                = 80  => LOAD_ATTR;
    LOAD_ATTR_METHOD_NO_DICT                  = 81  => LOAD_ATTR;
    LOAD_ATTR_METHOD_WITH_VALUES              = 82  => LOAD_ATTR;
    RETURN_VALUE                              = 83,  None,           0,  |_, _| -1;
    LOAD_CONST__LOAD_FAST                     = 84  => LOAD_CONST;
    SETUP_ANNOTATIONS                         = 85,  None,           0,  |_, _| 0;
    LOAD_FAST__LOAD_CONST                     = 86  => LOAD_FAST;
    LOAD_LOCALS                               = 87,  None,           0,  |_, _| 1;
    LOAD_FAST__LOAD_FAST                      = 88  => LOAD_FAST;
    POP_EXCEPT                                = 89,  None,           0,  |_, _| -1;
    STORE_NAME                                = 90,  Name,           0,  |_, _| -1;
    DELETE_NAME                               = 91,  Name,           0,  |_, _| 0;
    UNPACK_SEQUENCE                           = 92,  Int,            1,  |a, _| net(int(a), 1);
    FOR_ITER                                  = 93,  JumpForward,    1,  |_, _| 1;
    UNPACK_EX                                 = 94,  UnpackEx,       0,  |a, _| (int(a) & 0xff) + (int(a) >> 8);
    STORE_ATTR                                = 95,  Name,           4,  |_, _| -2;
    DELETE_ATTR                               = 96,  Name,           0,  |_, _| -1;
    STORE_GLOBAL                              = 97,  Name,           0,  |_, _| -1;
    DELETE_GLOBAL                             = 98,  Name,           0,  |_, _| 0;
    SWAP                                      = 99,  Int,            0,  |_, _| 0;
    LOAD_CONST                                = 100, Const,          0,  |_, _| 1;
    LOAD_NAME                                 = 101, Name,           0,  |_, _| 1;
    BUILD_TUPLE                               = 102, Int,            0,  |a, _| net(1, int(a));
    BUILD_LIST                                = 103, Int,            0,  |a, _| net(1, int(a));
    BUILD_SET                                 = 104, Int,            0,  |a, _| net(1, int(a));
    BUILD_MAP                                 = 105, Int,            0,  |a, _| net(1, int(a).wrapping_mul(2));
    LOAD_ATTR                                 = 106, AttrName,       9,  |a, _| (a & 1) as i32;
    COMPARE_OP                                = 107, Compare,        1,  |_, _| -1;
    IMPORT_NAME                               = 108, Name,           0,  |_, _| -1;
    IMPORT_FROM                               = 109, Name,           0,  |_, _| 1;
    JUMP_FORWARD                              = 110, JumpForward,    0,  |_, _| 0;
    LOAD_GLOBAL_BUILTIN                       = 111 => LOAD_GLOBAL;
    LOAD_GLOBAL_MODULE                        = 112 => LOAD_GLOBAL;
    STORE_ATTR_INSTANCE_VALUE                 = 113 => STORE_ATTR;
    POP_JUMP_IF_FALSE                         = 114, JumpForward,    0,  |_, _| -1;
    POP_JUMP_IF_TRUE                          = 115, JumpForward,    0,  |_, _| -1;
    LOAD_GLOBAL                               = 116, GlobalName,     4,  |a, _| (a & 1) as i32 + 1;
    IS_OP                                     = 117, Int,            0,  |_, _| -1;
    CONTAINS_OP                               = 118, Int,            0,  |_, _| -1;
    RERAISE                                   = 119, Int,            0,  |_, _| -1;
    COPY                                      = 120, Int,            0,  |_, _| 1;
    RETURN_CONST                              = 121, Const,          0,  |_, _| 0;
    BINARY_OP                                 = 122, BinaryOp,       1,  |_, _| -1;
    SEND                                      = 123, JumpForward,    1,  |_, _| 0;
    LOAD_FAST                                 = 124, Local,          0,  |_, _| 1;
    STORE_FAST                                = 125, Local,          0,  |_, _| -1;
    DELETE_FAST                               = 126, Local,          0,  |_, _| 0;
    LOAD_FAST_CHECK                           = 127, Local,          0,  |_, _| 1;
    POP_JUMP_IF_NOT_NONE                      = 128, JumpForward,    0,  |_, _| -1;
    POP_JUMP_IF_NONE                          = 129, JumpForward,    0,  |_, _| -1;
    RAISE_VARARGS                             = 130, Int,            0,  |a, _| net(0, int(a));
    GET_AWAITABLE                             = 131, Int,            0,  |_, _| 0;
    MAKE_FUNCTION                             = 132, MakeFunction,   0,  |a, _| -((a & 0x0f).count_ones() as i32);
    BUILD_SLICE                               = 133, Int,            0,  |a, _| if a == 3 { -2 } else { -1 };
    JUMP_BACKWARD_NO_INTERRUPT                = 134, JumpBackward,   0,  |_, _| 0;
    MAKE_CELL                                 = 135, Free,           0,  |_, _| 0;
    LOAD_CLOSURE                              = 136, Free,           0,  |_, _| 1;
    LOAD_DEREF                                = 137, Free,           0,  |_, _| 1;
    STORE_DEREF                               = 138, Free,           0,  |_, _| -1;
    DELETE_DEREF                              = 139, Free,           0,  |_, _| 0;
    JUMP_BACKWARD                             = 140, JumpBackward,   0,  |_, _| 0;
    LOAD_SUPER_ATTR                           = 141, SuperAttr,      1,  |a, _| (a & 1) as i32 - 2;
    CALL_FUNCTION_EX                          = 142, Int,            0,  |a, _| -2 - (a & 1) as i32;
    LOAD_FAST_AND_CLEAR                       = 143, Local,          0,  |_, _| 1;
    EXTENDED_ARG                              = 144, Int,            0,  |_, _| 0;
    LIST_APPEND                               = 145, Int,            0,  |_, _| -1;
    SET_ADD                                   = 146, Int,            0,  |_, _| -1;
    MAP_ADD                                   = 147, Int,            0,  |_, _| -2;
    STORE_ATTR_SLOT                           = 148 => STORE_ATTR;
    COPY_FREE_VARS                            = 149, Int,            0,  |_, _| 0;
    YIELD_VALUE                               = 150, Int,            0,  |_, _| 0;
    RESUME                                    = 151, Int,            0,  |_, _| 0;
    MATCH_CLASS                               = 152, Int,            0,  |_, _| -2;
    STORE_ATTR_WITH_HINT                      = 153 => STORE_ATTR;
    STORE_FAST__LOAD_FAST                     = 154 => STORE_FAST;
    FORMAT_VALUE                              = 155, FormatValue,    0,  |a, _| if a & 0x04 != 0 { -1 } else { 0 };
    BUILD_CONST_KEY_MAP                       = 156, Int,            0,  |a, _| net(1, int(a).wrapping_add(1));
    BUILD_STRING                              = 157, Int,            0,  |a, _| net(1, int(a));
    STORE_FAST__STORE_FAST                    = 158 => STORE_FAST;
    STORE_SUBSCR_DICT                         = 159 => STORE_SUBSCR;
    STORE_SUBSCR_LIST_INT                     = 160 => STORE_SUBSCR;
    UNPACK_SEQUENCE_LIST                      = 161 => UNPACK_SEQUENCE;
    LIST_EXTEND                               = 162, Int,            0,  |_, _| -1;
    SET_UPDATE                                = 163, Int,            0,  |_, _| -1;
    DICT_MERGE                                = 164, Int,            0,  |_, _| -1;
    DICT_UPDATE                               = 165, Int,            0,  |_, _| -1;
    UNPACK_SEQUENCE_TUPLE                     = 166 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TWO_TUPLE                 = 167 => UNPACK_SEQUENCE;
    SEND_GEN                                  = 168 => SEND;
    CALL                                      = 171, Int,            3,  |a, _| net(1, int(a).wrapping_add(2));
    KW_NAMES                                  = 172, Const,          0,  |_, _| 0;
    CALL_INTRINSIC_1                          = 173, Intrinsic1,     0,  |_, _| 0;
    CALL_INTRINSIC_2                          = 174, Intrinsic2,     0,  |_, _| -1;
    LOAD_FROM_DICT_OR_GLOBALS                 = 175, Name,           0,  |_, _| 0;
    LOAD_FROM_DICT_OR_DEREF                   = 176, Free,           0,  |_, _| 0;
    INSTRUMENTED_LOAD_SUPER_ATTR              = 237, SuperAttr,      0,  |a, _| (a & 1) as i32 - 2;
    INSTRUMENTED_POP_JUMP_IF_NONE             = 238, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_NOT_NONE         = 239, Int,            0,  |_, _| 0;
    INSTRUMENTED_RESUME                       = 240, Int,            0,  |_, _| 0;
    INSTRUMENTED_CALL                         = 241, Int,            0,  |_, _| 0;
    INSTRUMENTED_RETURN_VALUE                 = 242, Int,            0,  |_, _| -1;
    INSTRUMENTED_YIELD_VALUE                  = 243, Int,            0,  |_, _| 0;
    INSTRUMENTED_CALL_FUNCTION_EX             = 244, Int,            0,  |_, _| 0;
    INSTRUMENTED_JUMP_FORWARD                 = 245, Int,            0,  |_, _| 0;
    INSTRUMENTED_JUMP_BACKWARD                = 246, Int,            0,  |_, _| 0;
    INSTRUMENTED_RETURN_CONST                 = 247, Int,            0,  |_, _| 0;
    INSTRUMENTED_FOR_ITER                     = 248, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_FALSE            = 249, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_TRUE             = 250, Int,            0,  |_, _| 0;
    INSTRUMENTED_END_FOR                      = 251, Int,            0,  |_, _| -2;
    INSTRUMENTED_END_SEND                     = 252, Int,            0,  |_, _| -1;
    INSTRUMENTED_INSTRUCTION                  = 253, Int,            0,  |_, _| 0;
    INSTRUMENTED_LINE                         = 254, Int,            0,  |_, _| 0;
}

/// `dis._intrinsic_1_descs`: `CALL_INTRINSIC_1` arguments.
pub(super) const INTRINSIC1: &[&str] = &[
    "INTRINSIC_1_INVALID",
    "INTRINSIC_PRINT",
    "INTRINSIC_IMPORT_STAR",
    "INTRINSIC_STOPITERATION_ERROR",
    "INTRINSIC_ASYNC_GEN_WRAP",
    "INTRINSIC_UNARY_POSITIVE",
    "INTRINSIC_LIST_TO_TUPLE",
    "INTRINSIC_TYPEVAR",
    "INTRINSIC_PARAMSPEC",
    "INTRINSIC_TYPEVARTUPLE",
    "INTRINSIC_SUBSCRIPT_GENERIC",
    "INTRINSIC_TYPEALIAS",
];

/// `dis._intrinsic_2_descs`: `CALL_INTRINSIC_2` arguments.
const INTRINSIC2: &[&str] = &[
    "INTRINSIC_2_INVALID",
    "INTRINSIC_PREP_RERAISE_STAR",
    "INTRINSIC_TYPEVAR_WITH_BOUND",
    "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS",
    "INTRINSIC_SET_FUNCTION_TYPE_PARAMS",
];

/// `RESUME` as in 3.11. `YIELD_VALUE`'s argument is the number of
/// exception handlers around the yield, the generator's own included; the
/// interpreter does not read it (seen: 0, 1 and 7 in place of 2 leave a
/// `finally` that `close()` runs as it was), so any number runs.
const OPERAND_VALUES: &[OperandValues] = &[super::v3_11::RESUME_WHERE];

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: NB_OPS,
    cmp_ops: super::CMP_OPS,
    compare: CompareEncoding::Masked,
    jump_unit: super::JumpUnit::CodeUnits,
    localsplus: true,
    intrinsic1: INTRINSIC1,
    intrinsic2: INTRINSIC2,
    common_constants: &[],
    special_methods: &[],
    function_flags: MAKE_FUNCTION_FLAGS,
    args_at_precall: false,
    null_above_callable: false,
    for_iter_exit: ForIterExit::SkipsEndFor,
    load_fast_checks_unbound: false,
    pop_top_takes_null: false,
    with_exit_depth: 4,
    call_ex_kwargs_slot_always: false,
    call_ex_null_slot: true,
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
    line_table: super::LineTable::Locations,
    operand_values: OPERAND_VALUES,
    truth_tests_need_bool: false,
    close_mark: super::CloseMark::Absent,
    yield_from_trusts_receiver: false,
    get_aiter_awaits: false,
    frame_prologue: true,
    exception_is_three_values: false,
    stack_depth_is_largest: false,
    unwinds_by_why: false,
    block_stack: false,
    finally_entry_marked: false,
    stacksize_counts_unreachable: true,
    stacksize_before_peephole: false,
    counted_effects: &[],
    stacksize_counted_walk: false,
    make_function_takes_qualname: false,
};
