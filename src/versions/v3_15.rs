//! CPython 3.15 instruction set.
//!
//! Written with the table macro of `v3_11`, like 3.14's, and checked
//! against a real CPython 3.15.0rc1 by `opcodes::3.15` in `tests/versions.rs`. What changed
//! since 3.14:
//!
//! - Renumbered again: `HAVE_ARGUMENT` is 41 (`GET_YIELD_FROM_ITER`,
//!   `LOAD_CONST_IMMORTAL` and `LOAD_CONST_MORTAL` are gone), `RESUME` stays
//!   128, the `INSTRUMENTED_*` instructions start at 233, `ENTER_EXECUTOR`
//!   is 254 and the new `TRACE_RECORD` (a tracing hook of the JIT) 255.
//! - Virtual iterators: an iterator takes two stack slots. `GET_ITER` now
//!   has an argument (0 for a `for` loop, 3 where `yield from` used
//!   `GET_YIELD_FROM_ITER`) and an inline cache, and pushes one more value
//!   than it pops; `POP_ITER` pops both slots. `SEND`'s receiver likewise
//!   takes two slots (an awaitable gets a `PUSH_NULL` under it), so
//!   `END_SEND` pops two.
//! - `IMPORT_NAME`'s argument packs two flag bits under the name index:
//!   `lazy` (bit 0, PEP 810's `lazy import`) and `eager` (bit 1).
//! - `LOAD_COMMON_CONSTANT` knows seven more values: `list`, `set`, and the
//!   literals `None`, `''`, `True`, `False` and `-1`, which the compiler
//!   loads with it instead of `LOAD_CONST`.
//! - `CALL_FUNCTION_EX`, `GET_ITER` and `RESUME` gained one inline cache
//!   entry each.

use super::v3_11::instructions;
use super::v3_12::INTRINSIC1;
use super::v3_13::INTRINSIC2;
use super::v3_14::{FUNCTION_ATTR_FLAGS, NB_OPS_314, SPECIAL_METHODS};
use super::{ArgKind, CompareEncoding, ForIterExit, Op, OpInfo, OperandValues, VersionSpec};

/// The argument as `stack_effect` sees it: a C `int`.
fn int(arg: u32) -> i32 {
    arg as i32
}

/// Net effect of popping `popped` and pushing `pushed`, on wrapping C `int`s.
fn net(pushed: i32, popped: i32) -> i32 {
    pushed.wrapping_sub(popped)
}

instructions! {
    CACHE                                     = 0,   None,           0,  |_, _| 0;
    BINARY_SLICE                              = 1,   None,           0,  |_, _| -2;
    BUILD_TEMPLATE                            = 2,   None,           0,  |_, _| -1;
    BINARY_OP_INPLACE_ADD_UNICODE             = 3   => BINARY_OP;
    CALL_FUNCTION_EX                          = 4,   None,           1,  |_, _| -3;
    CHECK_EG_MATCH                            = 5,   None,           0,  |_, _| 0;
    CHECK_EXC_MATCH                           = 6,   None,           0,  |_, _| 0;
    CLEANUP_THROW                             = 7,   None,           0,  |_, _| -1;
    DELETE_SUBSCR                             = 8,   None,           0,  |_, _| -2;
    END_FOR                                   = 9,   None,           0,  |_, _| -1;
    END_SEND                                  = 10,  None,           0,  |_, _| -2;
    EXIT_INIT_CHECK                           = 11,  None,           0,  |_, _| -1;
    FORMAT_SIMPLE                             = 12,  None,           0,  |_, _| 0;
    FORMAT_WITH_SPEC                          = 13,  None,           0,  |_, _| -1;
    GET_AITER                                 = 14,  None,           0,  |_, _| 0;
    GET_ANEXT                                 = 15,  None,           0,  |_, _| 1;
    GET_LEN                                   = 16,  None,           0,  |_, _| 1;
    RESERVED                                  = 17,  None,           0,  |_, _| 0;
    INTERPRETER_EXIT                          = 18,  None,           0,  |_, _| -1;
    LOAD_BUILD_CLASS                          = 19,  None,           0,  |_, _| 1;
    LOAD_LOCALS                               = 20,  None,           0,  |_, _| 1;
    MAKE_FUNCTION                             = 21,  None,           0,  |_, _| 0;
    MATCH_KEYS                                = 22,  None,           0,  |_, _| 1;
    MATCH_MAPPING                             = 23,  None,           0,  |_, _| 1;
    MATCH_SEQUENCE                            = 24,  None,           0,  |_, _| 1;
    NOP                                       = 25,  None,           0,  |_, _| 0;
    NOT_TAKEN                                 = 26,  None,           0,  |_, _| 0;
    POP_EXCEPT                                = 27,  None,           0,  |_, _| -1;
    POP_ITER                                  = 28,  None,           0,  |_, _| -2;
    POP_TOP                                   = 29,  None,           0,  |_, _| -1;
    PUSH_EXC_INFO                             = 30,  None,           0,  |_, _| 1;
    PUSH_NULL                                 = 31,  None,           0,  |_, _| 1;
    RETURN_GENERATOR                          = 32,  None,           0,  |_, _| 1;
    RETURN_VALUE                              = 33,  None,           0,  |_, _| 0;
    SETUP_ANNOTATIONS                         = 34,  None,           0,  |_, _| 0;
    STORE_SLICE                               = 35,  None,           0,  |_, _| -4;
    STORE_SUBSCR                              = 36,  None,           1,  |_, _| -3;
    TO_BOOL                                   = 37,  None,           3,  |_, _| 0;
    UNARY_INVERT                              = 38,  None,           0,  |_, _| 0;
    UNARY_NEGATIVE                            = 39,  None,           0,  |_, _| 0;
    UNARY_NOT                                 = 40,  None,           0,  |_, _| 0;
    WITH_EXCEPT_START                         = 41,  None,           0,  |_, _| 1;
    BINARY_OP                                 = 42,  BinaryOp,       5,  |_, _| -1;
    BUILD_INTERPOLATION                       = 43,  Int,            0,  |a, _| -1 - (a & 1) as i32;
    BUILD_LIST                                = 44,  Int,            0,  |a, _| net(1, int(a));
    BUILD_MAP                                 = 45,  Int,            0,  |a, _| net(1, int(a).wrapping_mul(2));
    BUILD_SET                                 = 46,  Int,            0,  |a, _| net(1, int(a));
    BUILD_SLICE                               = 47,  Int,            0,  |a, _| net(1, int(a));
    BUILD_STRING                              = 48,  Int,            0,  |a, _| net(1, int(a));
    BUILD_TUPLE                               = 49,  Int,            0,  |a, _| net(1, int(a));
    CALL                                      = 50,  Int,            3,  |a, _| net(1, int(a).wrapping_add(2));
    CALL_INTRINSIC_1                          = 51,  Intrinsic1,     0,  |_, _| 0;
    CALL_INTRINSIC_2                          = 52,  Intrinsic2,     0,  |_, _| -1;
    CALL_KW                                   = 53,  Int,            3,  |a, _| net(1, int(a).wrapping_add(3));
    COMPARE_OP                                = 54,  Compare,        1,  |_, _| -1;
    CONTAINS_OP                               = 55,  Int,            1,  |_, _| -1;
    CONVERT_VALUE                             = 56,  Conversion,     0,  |_, _| 0;
    COPY                                      = 57,  Int,            0,  |_, _| 1;
    COPY_FREE_VARS                            = 58,  Int,            0,  |_, _| 0;
    DELETE_ATTR                               = 59,  Name,           0,  |_, _| -1;
    DELETE_DEREF                              = 60,  Free,           0,  |_, _| 0;
    DELETE_FAST                               = 61,  Local,          0,  |_, _| 0;
    DELETE_GLOBAL                             = 62,  Name,           0,  |_, _| 0;
    DELETE_NAME                               = 63,  Name,           0,  |_, _| 0;
    DICT_MERGE                                = 64,  Int,            0,  |_, _| -1;
    DICT_UPDATE                               = 65,  Int,            0,  |_, _| -1;
    END_ASYNC_FOR                             = 66,  JumpBackward,   0,  |_, _| -2;
    EXTENDED_ARG                              = 67,  Int,            0,  |_, _| 0;
    FOR_ITER                                  = 68,  JumpForward,    1,  |_, _| 1;
    GET_AWAITABLE                             = 69,  Int,            0,  |_, _| 0;
    GET_ITER                                  = 70,  Int,            1,  |_, _| 1;
    IMPORT_FROM                               = 71,  Name,           0,  |_, _| 1;
    IMPORT_NAME                               = 72,  ImportName,     0,  |_, _| -1;
    IS_OP                                     = 73,  Int,            0,  |_, _| -1;
    JUMP_BACKWARD                             = 74,  JumpBackward,   1,  |_, _| 0;
    JUMP_BACKWARD_NO_INTERRUPT                = 75,  JumpBackward,   0,  |_, _| 0;
    JUMP_FORWARD                              = 76,  JumpForward,    0,  |_, _| 0;
    LIST_APPEND                               = 77,  Int,            0,  |_, _| -1;
    LIST_EXTEND                               = 78,  Int,            0,  |_, _| -1;
    LOAD_ATTR                                 = 79,  AttrName,       9,  |a, _| (a & 1) as i32;
    LOAD_COMMON_CONSTANT                      = 80,  CommonConstant, 0,  |_, _| 1;
    LOAD_CONST                                = 81,  Const,          0,  |_, _| 1;
    LOAD_DEREF                                = 82,  Free,           0,  |_, _| 1;
    LOAD_FAST                                 = 83,  Local,          0,  |_, _| 1;
    LOAD_FAST_AND_CLEAR                       = 84,  Local,          0,  |_, _| 1;
    LOAD_FAST_BORROW                          = 85,  Local,          0,  |_, _| 1;
    LOAD_FAST_BORROW_LOAD_FAST_BORROW         = 86,  LocalPair,      0,  |_, _| 2;
    LOAD_FAST_CHECK                           = 87,  Local,          0,  |_, _| 1;
    LOAD_FAST_LOAD_FAST                       = 88,  LocalPair,      0,  |_, _| 2;
    LOAD_FROM_DICT_OR_DEREF                   = 89,  Free,           0,  |_, _| 0;
    LOAD_FROM_DICT_OR_GLOBALS                 = 90,  Name,           0,  |_, _| 0;
    LOAD_GLOBAL                               = 91,  GlobalName,     4,  |a, _| (a & 1) as i32 + 1;
    LOAD_NAME                                 = 92,  Name,           0,  |_, _| 1;
    LOAD_SMALL_INT                            = 93,  Int,            0,  |_, _| 1;
    LOAD_SPECIAL                              = 94,  Special,        0,  |_, _| 1;
    LOAD_SUPER_ATTR                           = 95,  SuperAttr,      1,  |a, _| (a & 1) as i32 - 2;
    MAKE_CELL                                 = 96,  Free,           0,  |_, _| 0;
    MAP_ADD                                   = 97,  Int,            0,  |_, _| -2;
    MATCH_CLASS                               = 98,  Int,            0,  |_, _| -2;
    POP_JUMP_IF_FALSE                         = 99,  JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_NONE                          = 100, JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_NOT_NONE                      = 101, JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_TRUE                          = 102, JumpForward,    1,  |_, _| -1;
    RAISE_VARARGS                             = 103, Int,            0,  |a, _| net(0, int(a));
    RERAISE                                   = 104, Int,            0,  |_, _| -1;
    SEND                                      = 105, JumpForward,    1,  |_, _| 0;
    SET_ADD                                   = 106, Int,            0,  |_, _| -1;
    SET_FUNCTION_ATTRIBUTE                    = 107, FunctionAttr,   0,  |_, _| -1;
    SET_UPDATE                                = 108, Int,            0,  |_, _| -1;
    STORE_ATTR                                = 109, Name,           4,  |_, _| -2;
    STORE_DEREF                               = 110, Free,           0,  |_, _| -1;
    STORE_FAST                                = 111, Local,          0,  |_, _| -1;
    STORE_FAST_LOAD_FAST                      = 112, LocalPair,      0,  |_, _| 0;
    STORE_FAST_STORE_FAST                     = 113, LocalPair,      0,  |_, _| -2;
    STORE_GLOBAL                              = 114, Name,           0,  |_, _| -1;
    STORE_NAME                                = 115, Name,           0,  |_, _| -1;
    SWAP                                      = 116, Int,            0,  |_, _| 0;
    UNPACK_EX                                 = 117, UnpackEx,       0,  |a, _| (int(a) & 0xff) + (int(a) >> 8);
    UNPACK_SEQUENCE                           = 118, Int,            1,  |a, _| net(int(a), 1);
    YIELD_VALUE                               = 119, Int,            0,  |_, _| 0;
    RESUME                                    = 128, Int,            1,  |_, _| 0;
    BINARY_OP_ADD_FLOAT                       = 129 => BINARY_OP;
    BINARY_OP_ADD_INT                         = 130 => BINARY_OP;
    BINARY_OP_ADD_UNICODE                     = 131 => BINARY_OP;
    BINARY_OP_EXTEND                          = 132 => BINARY_OP;
    BINARY_OP_MULTIPLY_FLOAT                  = 133 => BINARY_OP;
    BINARY_OP_MULTIPLY_INT                    = 134 => BINARY_OP;
    BINARY_OP_SUBSCR_DICT                     = 135 => BINARY_OP;
    BINARY_OP_SUBSCR_GETITEM                  = 136 => BINARY_OP;
    BINARY_OP_SUBSCR_LIST_INT                 = 137 => BINARY_OP;
    BINARY_OP_SUBSCR_LIST_SLICE               = 138 => BINARY_OP;
    BINARY_OP_SUBSCR_STR_INT                  = 139 => BINARY_OP;
    BINARY_OP_SUBSCR_TUPLE_INT                = 140 => BINARY_OP;
    BINARY_OP_SUBSCR_USTR_INT                 = 141 => BINARY_OP;
    BINARY_OP_SUBTRACT_FLOAT                  = 142 => BINARY_OP;
    BINARY_OP_SUBTRACT_INT                    = 143 => BINARY_OP;
    CALL_ALLOC_AND_ENTER_INIT                 = 144 => CALL;
    CALL_BOUND_METHOD_EXACT_ARGS              = 145 => CALL;
    CALL_BOUND_METHOD_GENERAL                 = 146 => CALL;
    CALL_BUILTIN_CLASS                        = 147 => CALL;
    CALL_BUILTIN_FAST                         = 148 => CALL;
    CALL_BUILTIN_FAST_WITH_KEYWORDS           = 149 => CALL;
    CALL_BUILTIN_O                            = 150 => CALL;
    CALL_EX_NON_PY_GENERAL                    = 151 => CALL_FUNCTION_EX;
    CALL_EX_PY                                = 152 => CALL_FUNCTION_EX;
    CALL_ISINSTANCE                           = 153 => CALL;
    CALL_KW_BOUND_METHOD                      = 154 => CALL_KW;
    CALL_KW_NON_PY                            = 155 => CALL_KW;
    CALL_KW_PY                                = 156 => CALL_KW;
    CALL_LEN                                  = 157 => CALL;
    CALL_LIST_APPEND                          = 158 => CALL;
    CALL_METHOD_DESCRIPTOR_FAST               = 159 => CALL;
    CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS = 160 => CALL;
    CALL_METHOD_DESCRIPTOR_NOARGS             = 161 => CALL;
    CALL_METHOD_DESCRIPTOR_O                  = 162 => CALL;
    CALL_NON_PY_GENERAL                       = 163 => CALL;
    CALL_PY_EXACT_ARGS                        = 164 => CALL;
    CALL_PY_GENERAL                           = 165 => CALL;
    CALL_STR_1                                = 166 => CALL;
    CALL_TUPLE_1                              = 167 => CALL;
    CALL_TYPE_1                               = 168 => CALL;
    COMPARE_OP_FLOAT                          = 169 => COMPARE_OP;
    COMPARE_OP_INT                            = 170 => COMPARE_OP;
    COMPARE_OP_STR                            = 171 => COMPARE_OP;
    CONTAINS_OP_DICT                          = 172 => CONTAINS_OP;
    CONTAINS_OP_SET                           = 173 => CONTAINS_OP;
    FOR_ITER_GEN                              = 174 => FOR_ITER;
    FOR_ITER_LIST                             = 175 => FOR_ITER;
    FOR_ITER_RANGE                            = 176 => FOR_ITER;
    FOR_ITER_TUPLE                            = 177 => FOR_ITER;
    FOR_ITER_VIRTUAL                          = 178 => FOR_ITER;
    GET_ITER_SELF                             = 179 => GET_ITER;
    GET_ITER_VIRTUAL                          = 180 => GET_ITER;
    JUMP_BACKWARD_JIT                         = 181 => JUMP_BACKWARD;
    JUMP_BACKWARD_NO_JIT                      = 182 => JUMP_BACKWARD;
    LOAD_ATTR_CLASS                           = 183 => LOAD_ATTR;
    LOAD_ATTR_CLASS_WITH_METACLASS_CHECK      = 184 => LOAD_ATTR;
    LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN         = 185 => LOAD_ATTR;
    LOAD_ATTR_INSTANCE_VALUE                  = 186 => LOAD_ATTR;
    LOAD_ATTR_METHOD_LAZY_DICT                = 187 => LOAD_ATTR;
    LOAD_ATTR_METHOD_NO_DICT                  = 188 => LOAD_ATTR;
    LOAD_ATTR_METHOD_WITH_VALUES              = 189 => LOAD_ATTR;
    LOAD_ATTR_MODULE                          = 190 => LOAD_ATTR;
    LOAD_ATTR_NONDESCRIPTOR_NO_DICT           = 191 => LOAD_ATTR;
    LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES       = 192 => LOAD_ATTR;
    LOAD_ATTR_PROPERTY                        = 193 => LOAD_ATTR;
    LOAD_ATTR_SLOT                            = 194 => LOAD_ATTR;
    LOAD_ATTR_WITH_HINT                       = 195 => LOAD_ATTR;
    LOAD_GLOBAL_BUILTIN                       = 196 => LOAD_GLOBAL;
    LOAD_GLOBAL_MODULE                        = 197 => LOAD_GLOBAL;
    LOAD_SUPER_ATTR_ATTR                      = 198 => LOAD_SUPER_ATTR;
    LOAD_SUPER_ATTR_METHOD                    = 199 => LOAD_SUPER_ATTR;
    RESUME_CHECK                              = 200 => RESUME;
    RESUME_CHECK_JIT                          = 201 => RESUME;
    SEND_ASYNC_GEN                            = 202 => SEND;
    SEND_GEN                                  = 203 => SEND;
    SEND_VIRTUAL                              = 204 => SEND;
    STORE_ATTR_INSTANCE_VALUE                 = 205 => STORE_ATTR;
    STORE_ATTR_SLOT                           = 206 => STORE_ATTR;
    STORE_ATTR_WITH_HINT                      = 207 => STORE_ATTR;
    STORE_SUBSCR_DICT                         = 208 => STORE_SUBSCR;
    STORE_SUBSCR_LIST_INT                     = 209 => STORE_SUBSCR;
    TO_BOOL_ALWAYS_TRUE                       = 210 => TO_BOOL;
    TO_BOOL_BOOL                              = 211 => TO_BOOL;
    TO_BOOL_INT                               = 212 => TO_BOOL;
    TO_BOOL_LIST                              = 213 => TO_BOOL;
    TO_BOOL_NONE                              = 214 => TO_BOOL;
    TO_BOOL_STR                               = 215 => TO_BOOL;
    UNPACK_SEQUENCE_LIST                      = 216 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TUPLE                     = 217 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TWO_TUPLE                 = 218 => UNPACK_SEQUENCE;
    INSTRUMENTED_END_FOR                      = 233, None,           0,  |_, _| -1;
    INSTRUMENTED_POP_ITER                     = 234, None,           0,  |_, _| -2;
    INSTRUMENTED_END_SEND                     = 235, None,           0,  |_, _| -2;
    INSTRUMENTED_FOR_ITER                     = 236, JumpForward,    0,  |_, _| 1;
    INSTRUMENTED_INSTRUCTION                  = 237, None,           0,  |_, _| 0;
    INSTRUMENTED_JUMP_FORWARD                 = 238, Int,            0,  |_, _| 0;
    INSTRUMENTED_NOT_TAKEN                    = 239, None,           0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_TRUE             = 240, Int,            0,  |_, _| -1;
    INSTRUMENTED_POP_JUMP_IF_FALSE            = 241, Int,            0,  |_, _| -1;
    INSTRUMENTED_POP_JUMP_IF_NONE             = 242, Int,            0,  |_, _| -1;
    INSTRUMENTED_POP_JUMP_IF_NOT_NONE         = 243, Int,            0,  |_, _| -1;
    INSTRUMENTED_RESUME                       = 244, Int,            0,  |_, _| 0;
    INSTRUMENTED_RETURN_VALUE                 = 245, None,           0,  |_, _| 0;
    INSTRUMENTED_YIELD_VALUE                  = 246, Int,            0,  |_, _| 0;
    INSTRUMENTED_END_ASYNC_FOR                = 247, JumpForward,    0,  |_, _| -2;
    INSTRUMENTED_LOAD_SUPER_ATTR              = 248, SuperAttr,      0,  |a, _| (a & 1) as i32 - 2;
    INSTRUMENTED_CALL                         = 249, Int,            0,  |a, _| net(1, int(a).wrapping_add(2));
    INSTRUMENTED_CALL_KW                      = 250, Int,            0,  |a, _| net(1, int(a).wrapping_add(3));
    INSTRUMENTED_CALL_FUNCTION_EX             = 251, None,           0,  |_, _| -3;
    INSTRUMENTED_JUMP_BACKWARD                = 252, Int,            0,  |_, _| 0;
    INSTRUMENTED_LINE                         = 253, None,           0,  |_, _| 0;
    ENTER_EXECUTOR                            = 254, Int,            0,  |_, _| 0;
    TRACE_RECORD                              = 255, Int,            0,  |_, _| 0;
}

/// `dis._common_constants`: 3.14's five and seven more. Classes and
/// builtins are written by name, the literal values as Python writes them.
const COMMON_CONSTANTS: &[&str] = &[
    "AssertionError",
    "NotImplementedError",
    "tuple",
    "all",
    "any",
    "list",
    "set",
    "None",
    "''",
    "True",
    "False",
    "-1",
];

/// `RESUME`: 3.15 adds 4, the start of a generator expression before its
/// `RETURN_GENERATOR`, so where it stands takes three bits, and the
/// "no handler of its own" mark moves to 8.
const RESUME_WHERE_315: OperandValues = OperandValues {
    op: Op::RESUME,
    field: 7,
    max: 4,
    flags: 8,
    meaning: "0 where the code starts, 1 after a yield, 2 after a yield from, 3 after an await, 4 where a generator expression starts; plus 8 after a yield that no handler of its own encloses",
};

/// `GET_ITER`: 0 for iteration, 1 to 3 for `yield from` (with the check
/// of coroutines the compiler asks for).
const GET_ITER_HOW: OperandValues =
    OperandValues::upto(Op::GET_ITER, 3, "0 to iterate, 1 to 3 for a yield from");

/// `LOAD_SMALL_INT`: 3.15 keeps the ints 0 to 1024 (1025 reads past them).
const SMALL_INTS_1024: OperandValues = OperandValues::upto(
    Op::LOAD_SMALL_INT,
    1024,
    "the small ints CPython 3.15 keeps",
);

const OPERAND_VALUES: &[OperandValues] = &[
    RESUME_WHERE_315,
    super::v3_13::YIELD_STATE,
    GET_ITER_HOW,
    SMALL_INTS_1024,
];

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: NB_OPS_314,
    cmp_ops: super::CMP_OPS,
    compare: CompareEncoding::MaskedBool,
    jump_unit: super::JumpUnit::CodeUnits,
    localsplus: true,
    intrinsic1: INTRINSIC1,
    intrinsic2: INTRINSIC2,
    common_constants: COMMON_CONSTANTS,
    special_methods: SPECIAL_METHODS,
    function_flags: FUNCTION_ATTR_FLAGS,
    args_at_precall: false,
    // The quirks 3.15 keeps from 3.14.
    null_above_callable: true,
    for_iter_exit: ForIterExit::SkipsEndFor,
    load_fast_checks_unbound: false,
    pop_top_takes_null: true,
    with_exit_depth: 5,
    call_ex_kwargs_slot_always: true,
    call_ex_null_slot: true,
    annotations_any_object: true,
    conditional_annotations_set: true,
    first_const_is_docstring: false,
    // New in 3.15.
    iterator_index_slot: true,
    genexpr_prologue_gets_iter: true,
    stopiteration_handler_keeps_body_depth: true,
    linetable_merges_runs: true,
    marshal_slices: true,
    marshal_frozendict: true,
    pyc_flags_word: true,
    code_posonlyargcount: true,
    line_table: super::LineTable::Locations,
    operand_values: OPERAND_VALUES,
    truth_tests_need_bool: true,
    close_mark: super::CloseMark::ResumeFlag,
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
