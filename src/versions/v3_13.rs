//! CPython 3.13 instruction set.
//!
//! Written with the table macro of `v3_11` (one line per instruction, in
//! opcode order; a specialized instruction names its base and shares its
//! argument kind, caches and stack effect). What changed since 3.12:
//!
//! - The instructions are renumbered: those without an argument first
//!   (0-44, alphabetical apart from `CACHE` and `RESERVED`), then those with
//!   one (45-118), `RESUME` at 149, the specialized instructions from 150
//!   and the `INSTRUMENTED_*` ones from 236. `opcode.HAVE_ARGUMENT` is 44,
//!   the number of the last instruction *without* an argument
//!   (`WITH_EXCEPT_START`), so argument kinds follow `dis.hasarg`, which
//!   also leaves out several `INSTRUMENTED_*` instructions.
//! - `LOAD_CLOSURE` became a pseudo-instruction (`LOAD_FAST` in the
//!   bytecode) and is not listed. `MAKE_FUNCTION` lost its argument to
//!   `SET_FUNCTION_ATTRIBUTE`; `FORMAT_VALUE` became `CONVERT_VALUE`,
//!   `FORMAT_SIMPLE` and `FORMAT_WITH_SPEC`; `LOAD_FAST_LOAD_FAST` and kin
//!   pack two locals into one argument.
//! - The conditional jumps, `JUMP_BACKWARD` and `TO_BOOL` have inline
//!   caches; `COMPARE_OP` adds a bool bit (`CompareEncoding::MaskedBool`).
//! - As in 3.12, `dis.stack_effect` gives 0 for `INSTRUMENTED_CALL`, the
//!   instrumented conditional jumps and others whose plain forms pop or
//!   push; the table follows it.
//! - `dis.stack_effect` ignores `jump` altogether and accepts an argument
//!   for every instruction, ignoring it where there is none; it still
//!   refuses the specialized instructions and `INSTRUMENTED_LINE`.
//!   `opcodes::3.13` in `tests/versions.rs` checks the table against a real CPython 3.13.

use super::v3_11::instructions;
use super::v3_12::INTRINSIC1;
use super::{
    ArgKind, CompareEncoding, ForIterExit, Op, OpInfo, OperandValues, VersionSpec, NB_OPS,
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
    BEFORE_ASYNC_WITH                         = 1,   None,           0,  |_, _| 1;
    BEFORE_WITH                               = 2,   None,           0,  |_, _| 1;
    BINARY_OP_INPLACE_ADD_UNICODE             = 3   => BINARY_OP;
    BINARY_SLICE                              = 4,   None,           0,  |_, _| -2;
    BINARY_SUBSCR                             = 5,   None,           1,  |_, _| -1;
    CHECK_EG_MATCH                            = 6,   None,           0,  |_, _| 0;
    CHECK_EXC_MATCH                           = 7,   None,           0,  |_, _| 0;
    CLEANUP_THROW                             = 8,   None,           0,  |_, _| -1;
    DELETE_SUBSCR                             = 9,   None,           0,  |_, _| -2;
    END_ASYNC_FOR                             = 10,  None,           0,  |_, _| -2;
    END_FOR                                   = 11,  None,           0,  |_, _| -1;
    END_SEND                                  = 12,  None,           0,  |_, _| -1;
    EXIT_INIT_CHECK                           = 13,  None,           0,  |_, _| -1;
    FORMAT_SIMPLE                             = 14,  None,           0,  |_, _| 0;
    FORMAT_WITH_SPEC                          = 15,  None,           0,  |_, _| -1;
    GET_AITER                                 = 16,  None,           0,  |_, _| 0;
    RESERVED                                  = 17,  None,           0,  |_, _| 0;
    GET_ANEXT                                 = 18,  None,           0,  |_, _| 1;
    GET_ITER                                  = 19,  None,           0,  |_, _| 0;
    GET_LEN                                   = 20,  None,           0,  |_, _| 1;
    GET_YIELD_FROM_ITER                       = 21,  None,           0,  |_, _| 0;
    INTERPRETER_EXIT                          = 22,  None,           0,  |_, _| -1;
    LOAD_ASSERTION_ERROR                      = 23,  None,           0,  |_, _| 1;
    LOAD_BUILD_CLASS                          = 24,  None,           0,  |_, _| 1;
    LOAD_LOCALS                               = 25,  None,           0,  |_, _| 1;
    MAKE_FUNCTION                             = 26,  None,           0,  |_, _| 0;
    MATCH_KEYS                                = 27,  None,           0,  |_, _| 1;
    MATCH_MAPPING                             = 28,  None,           0,  |_, _| 1;
    MATCH_SEQUENCE                            = 29,  None,           0,  |_, _| 1;
    NOP                                       = 30,  None,           0,  |_, _| 0;
    POP_EXCEPT                                = 31,  None,           0,  |_, _| -1;
    POP_TOP                                   = 32,  None,           0,  |_, _| -1;
    PUSH_EXC_INFO                             = 33,  None,           0,  |_, _| 1;
    PUSH_NULL                                 = 34,  None,           0,  |_, _| 1;
    RETURN_GENERATOR                          = 35,  None,           0,  |_, _| 1;
    RETURN_VALUE                              = 36,  None,           0,  |_, _| -1;
    SETUP_ANNOTATIONS                         = 37,  None,           0,  |_, _| 0;
    STORE_SLICE                               = 38,  None,           0,  |_, _| -4;
    STORE_SUBSCR                              = 39,  None,           1,  |_, _| -3;
    TO_BOOL                                   = 40,  None,           3,  |_, _| 0;
    UNARY_INVERT                              = 41,  None,           0,  |_, _| 0;
    UNARY_NEGATIVE                            = 42,  None,           0,  |_, _| 0;
    UNARY_NOT                                 = 43,  None,           0,  |_, _| 0;
    WITH_EXCEPT_START                         = 44,  None,           0,  |_, _| 1;
    BINARY_OP                                 = 45,  BinaryOp,       1,  |_, _| -1;
    BUILD_CONST_KEY_MAP                       = 46,  Int,            0,  |a, _| net(1, int(a).wrapping_add(1));
    BUILD_LIST                                = 47,  Int,            0,  |a, _| net(1, int(a));
    BUILD_MAP                                 = 48,  Int,            0,  |a, _| net(1, int(a).wrapping_mul(2));
    BUILD_SET                                 = 49,  Int,            0,  |a, _| net(1, int(a));
    BUILD_SLICE                               = 50,  Int,            0,  |a, _| if a == 3 { -2 } else { -1 };
    BUILD_STRING                              = 51,  Int,            0,  |a, _| net(1, int(a));
    BUILD_TUPLE                               = 52,  Int,            0,  |a, _| net(1, int(a));
    CALL                                      = 53,  Int,            3,  |a, _| net(1, int(a).wrapping_add(2));
    CALL_FUNCTION_EX                          = 54,  Int,            0,  |a, _| -2 - (a & 1) as i32;
    CALL_INTRINSIC_1                          = 55,  Intrinsic1,     0,  |_, _| 0;
    CALL_INTRINSIC_2                          = 56,  Intrinsic2,     0,  |_, _| -1;
    CALL_KW                                   = 57,  Int,            0,  |a, _| net(1, int(a).wrapping_add(3));
    COMPARE_OP                                = 58,  Compare,        1,  |_, _| -1;
    CONTAINS_OP                               = 59,  Int,            1,  |_, _| -1;
    CONVERT_VALUE                             = 60,  Conversion,     0,  |_, _| 0;
    COPY                                      = 61,  Int,            0,  |_, _| 1;
    COPY_FREE_VARS                            = 62,  Int,            0,  |_, _| 0;
    DELETE_ATTR                               = 63,  Name,           0,  |_, _| -1;
    DELETE_DEREF                              = 64,  Free,           0,  |_, _| 0;
    DELETE_FAST                               = 65,  Local,          0,  |_, _| 0;
    DELETE_GLOBAL                             = 66,  Name,           0,  |_, _| 0;
    DELETE_NAME                               = 67,  Name,           0,  |_, _| 0;
    DICT_MERGE                                = 68,  Int,            0,  |_, _| -1;
    DICT_UPDATE                               = 69,  Int,            0,  |_, _| -1;
    ENTER_EXECUTOR                            = 70,  Int,            0,  |_, _| 0;
    EXTENDED_ARG                              = 71,  Int,            0,  |_, _| 0;
    FOR_ITER                                  = 72,  JumpForward,    1,  |_, _| 1;
    GET_AWAITABLE                             = 73,  Int,            0,  |_, _| 0;
    IMPORT_FROM                               = 74,  Name,           0,  |_, _| 1;
    IMPORT_NAME                               = 75,  Name,           0,  |_, _| -1;
    IS_OP                                     = 76,  Int,            0,  |_, _| -1;
    JUMP_BACKWARD                             = 77,  JumpBackward,   1,  |_, _| 0;
    JUMP_BACKWARD_NO_INTERRUPT                = 78,  JumpBackward,   0,  |_, _| 0;
    JUMP_FORWARD                              = 79,  JumpForward,    0,  |_, _| 0;
    LIST_APPEND                               = 80,  Int,            0,  |_, _| -1;
    LIST_EXTEND                               = 81,  Int,            0,  |_, _| -1;
    LOAD_ATTR                                 = 82,  AttrName,       9,  |a, _| (a & 1) as i32;
    LOAD_CONST                                = 83,  Const,          0,  |_, _| 1;
    LOAD_DEREF                                = 84,  Free,           0,  |_, _| 1;
    LOAD_FAST                                 = 85,  Local,          0,  |_, _| 1;
    LOAD_FAST_AND_CLEAR                       = 86,  Local,          0,  |_, _| 1;
    LOAD_FAST_CHECK                           = 87,  Local,          0,  |_, _| 1;
    LOAD_FAST_LOAD_FAST                       = 88,  LocalPair,      0,  |_, _| 2;
    LOAD_FROM_DICT_OR_DEREF                   = 89,  Free,           0,  |_, _| 0;
    LOAD_FROM_DICT_OR_GLOBALS                 = 90,  Name,           0,  |_, _| 0;
    LOAD_GLOBAL                               = 91,  GlobalName,     4,  |a, _| (a & 1) as i32 + 1;
    LOAD_NAME                                 = 92,  Name,           0,  |_, _| 1;
    LOAD_SUPER_ATTR                           = 93,  SuperAttr,      1,  |a, _| (a & 1) as i32 - 2;
    MAKE_CELL                                 = 94,  Free,           0,  |_, _| 0;
    MAP_ADD                                   = 95,  Int,            0,  |_, _| -2;
    MATCH_CLASS                               = 96,  Int,            0,  |_, _| -2;
    POP_JUMP_IF_FALSE                         = 97,  JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_NONE                          = 98,  JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_NOT_NONE                      = 99,  JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_TRUE                          = 100, JumpForward,    1,  |_, _| -1;
    RAISE_VARARGS                             = 101, Int,            0,  |a, _| net(0, int(a));
    RERAISE                                   = 102, Int,            0,  |_, _| -1;
    RETURN_CONST                              = 103, Const,          0,  |_, _| 0;
    SEND                                      = 104, JumpForward,    1,  |_, _| 0;
    SET_ADD                                   = 105, Int,            0,  |_, _| -1;
    SET_FUNCTION_ATTRIBUTE                    = 106, FunctionAttr,   0,  |_, _| -1;
    SET_UPDATE                                = 107, Int,            0,  |_, _| -1;
    STORE_ATTR                                = 108, Name,           4,  |_, _| -2;
    STORE_DEREF                               = 109, Free,           0,  |_, _| -1;
    STORE_FAST                                = 110, Local,          0,  |_, _| -1;
    STORE_FAST_LOAD_FAST                      = 111, LocalPair,      0,  |_, _| 0;
    STORE_FAST_STORE_FAST                     = 112, LocalPair,      0,  |_, _| -2;
    STORE_GLOBAL                              = 113, Name,           0,  |_, _| -1;
    STORE_NAME                                = 114, Name,           0,  |_, _| -1;
    SWAP                                      = 115, Int,            0,  |_, _| 0;
    UNPACK_EX                                 = 116, UnpackEx,       0,  |a, _| (int(a) & 0xff) + (int(a) >> 8);
    UNPACK_SEQUENCE                           = 117, Int,            1,  |a, _| net(int(a), 1);
    YIELD_VALUE                               = 118, Int,            0,  |_, _| 0;
    RESUME                                    = 149, Int,            0,  |_, _| 0;
    BINARY_OP_ADD_FLOAT                       = 150 => BINARY_OP;
    BINARY_OP_ADD_INT                         = 151 => BINARY_OP;
    BINARY_OP_ADD_UNICODE                     = 152 => BINARY_OP;
    BINARY_OP_MULTIPLY_FLOAT                  = 153 => BINARY_OP;
    BINARY_OP_MULTIPLY_INT                    = 154 => BINARY_OP;
    BINARY_OP_SUBTRACT_FLOAT                  = 155 => BINARY_OP;
    BINARY_OP_SUBTRACT_INT                    = 156 => BINARY_OP;
    BINARY_SUBSCR_DICT                        = 157 => BINARY_SUBSCR;
    BINARY_SUBSCR_GETITEM                     = 158 => BINARY_SUBSCR;
    BINARY_SUBSCR_LIST_INT                    = 159 => BINARY_SUBSCR;
    BINARY_SUBSCR_STR_INT                     = 160 => BINARY_SUBSCR;
    BINARY_SUBSCR_TUPLE_INT                   = 161 => BINARY_SUBSCR;
    CALL_ALLOC_AND_ENTER_INIT                 = 162 => CALL;
    CALL_BOUND_METHOD_EXACT_ARGS              = 163 => CALL;
    CALL_BOUND_METHOD_GENERAL                 = 164 => CALL;
    CALL_BUILTIN_CLASS                        = 165 => CALL;
    CALL_BUILTIN_FAST                         = 166 => CALL;
    CALL_BUILTIN_FAST_WITH_KEYWORDS           = 167 => CALL;
    CALL_BUILTIN_O                            = 168 => CALL;
    CALL_ISINSTANCE                           = 169 => CALL;
    CALL_LEN                                  = 170 => CALL;
    CALL_LIST_APPEND                          = 171 => CALL;
    CALL_METHOD_DESCRIPTOR_FAST               = 172 => CALL;
    CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS = 173 => CALL;
    CALL_METHOD_DESCRIPTOR_NOARGS             = 174 => CALL;
    CALL_METHOD_DESCRIPTOR_O                  = 175 => CALL;
    CALL_NON_PY_GENERAL                       = 176 => CALL;
    CALL_PY_EXACT_ARGS                        = 177 => CALL;
    CALL_PY_GENERAL                           = 178 => CALL;
    CALL_STR_1                                = 179 => CALL;
    CALL_TUPLE_1                              = 180 => CALL;
    CALL_TYPE_1                               = 181 => CALL;
    COMPARE_OP_FLOAT                          = 182 => COMPARE_OP;
    COMPARE_OP_INT                            = 183 => COMPARE_OP;
    COMPARE_OP_STR                            = 184 => COMPARE_OP;
    CONTAINS_OP_DICT                          = 185 => CONTAINS_OP;
    CONTAINS_OP_SET                           = 186 => CONTAINS_OP;
    FOR_ITER_GEN                              = 187 => FOR_ITER;
    FOR_ITER_LIST                             = 188 => FOR_ITER;
    FOR_ITER_RANGE                            = 189 => FOR_ITER;
    FOR_ITER_TUPLE                            = 190 => FOR_ITER;
    LOAD_ATTR_CLASS                           = 191 => LOAD_ATTR;
    LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN         = 192 => LOAD_ATTR;
    LOAD_ATTR_INSTANCE_VALUE                  = 193 => LOAD_ATTR;
    LOAD_ATTR_METHOD_LAZY_DICT                = 194 => LOAD_ATTR;
    LOAD_ATTR_METHOD_NO_DICT                  = 195 => LOAD_ATTR;
    LOAD_ATTR_METHOD_WITH_VALUES              = 196 => LOAD_ATTR;
    LOAD_ATTR_MODULE                          = 197 => LOAD_ATTR;
    LOAD_ATTR_NONDESCRIPTOR_NO_DICT           = 198 => LOAD_ATTR;
    LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES       = 199 => LOAD_ATTR;
    LOAD_ATTR_PROPERTY                        = 200 => LOAD_ATTR;
    LOAD_ATTR_SLOT                            = 201 => LOAD_ATTR;
    LOAD_ATTR_WITH_HINT                       = 202 => LOAD_ATTR;
    LOAD_GLOBAL_BUILTIN                       = 203 => LOAD_GLOBAL;
    LOAD_GLOBAL_MODULE                        = 204 => LOAD_GLOBAL;
    LOAD_SUPER_ATTR_ATTR                      = 205 => LOAD_SUPER_ATTR;
    LOAD_SUPER_ATTR_METHOD                    = 206 => LOAD_SUPER_ATTR;
    RESUME_CHECK                              = 207 => RESUME;
    SEND_GEN                                  = 208 => SEND;
    STORE_ATTR_INSTANCE_VALUE                 = 209 => STORE_ATTR;
    STORE_ATTR_SLOT                           = 210 => STORE_ATTR;
    STORE_ATTR_WITH_HINT                      = 211 => STORE_ATTR;
    STORE_SUBSCR_DICT                         = 212 => STORE_SUBSCR;
    STORE_SUBSCR_LIST_INT                     = 213 => STORE_SUBSCR;
    TO_BOOL_ALWAYS_TRUE                       = 214 => TO_BOOL;
    TO_BOOL_BOOL                              = 215 => TO_BOOL;
    TO_BOOL_INT                               = 216 => TO_BOOL;
    TO_BOOL_LIST                              = 217 => TO_BOOL;
    TO_BOOL_NONE                              = 218 => TO_BOOL;
    TO_BOOL_STR                               = 219 => TO_BOOL;
    UNPACK_SEQUENCE_LIST                      = 220 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TUPLE                     = 221 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TWO_TUPLE                 = 222 => UNPACK_SEQUENCE;
    INSTRUMENTED_RESUME                       = 236, Int,            0,  |_, _| 0;
    INSTRUMENTED_END_FOR                      = 237, None,           0,  |_, _| -1;
    INSTRUMENTED_END_SEND                     = 238, None,           0,  |_, _| -1;
    INSTRUMENTED_RETURN_VALUE                 = 239, None,           0,  |_, _| -1;
    INSTRUMENTED_RETURN_CONST                 = 240, Const,          0,  |_, _| 0;
    INSTRUMENTED_YIELD_VALUE                  = 241, Int,            0,  |_, _| 0;
    INSTRUMENTED_LOAD_SUPER_ATTR              = 242, SuperAttr,      0,  |a, _| (a & 1) as i32 - 2;
    INSTRUMENTED_FOR_ITER                     = 243, Int,            0,  |_, _| 0;
    INSTRUMENTED_CALL                         = 244, Int,            0,  |_, _| 0;
    INSTRUMENTED_CALL_KW                      = 245, Int,            0,  |_, _| 0;
    INSTRUMENTED_CALL_FUNCTION_EX             = 246, None,           0,  |_, _| 0;
    INSTRUMENTED_INSTRUCTION                  = 247, None,           0,  |_, _| 0;
    INSTRUMENTED_JUMP_FORWARD                 = 248, Int,            0,  |_, _| 0;
    INSTRUMENTED_JUMP_BACKWARD                = 249, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_TRUE             = 250, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_FALSE            = 251, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_NONE             = 252, Int,            0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_NOT_NONE         = 253, Int,            0,  |_, _| 0;
    INSTRUMENTED_LINE                         = 254, None,           0,  |_, _| 0;
}

/// `dis._intrinsic_2_descs`: `CALL_INTRINSIC_2` arguments.
pub(super) const INTRINSIC2: &[&str] = &[
    "INTRINSIC_2_INVALID",
    "INTRINSIC_PREP_RERAISE_STAR",
    "INTRINSIC_TYPEVAR_WITH_BOUND",
    "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS",
    "INTRINSIC_SET_FUNCTION_TYPE_PARAMS",
    "INTRINSIC_SET_TYPEPARAM_DEFAULT",
];

/// `dis.FUNCTION_ATTR_FLAGS`: `SET_FUNCTION_ATTRIBUTE` arguments, by bit.
pub(super) const FUNCTION_ATTR_FLAGS: &[(u32, &str)] = &[
    (0x01, "defaults"),
    (0x02, "kwdefaults"),
    (0x04, "annotations"),
    (0x08, "closure"),
];

/// `RESUME`: where it stands in its low two bits, as in 3.12, and 4 when
/// the yield before it has no handler around it but the generator's own
/// (`close()` then finishes the generator without throwing
/// `GeneratorExit` into it).
pub(super) const RESUME_WHERE_DEPTH1: OperandValues = OperandValues {
    op: Op::RESUME,
    field: 3,
    max: 3,
    flags: 4,
    meaning: "0 where the code starts, 1 after a yield, 2 after a yield from, 3 after an await; plus 4 after a yield that no handler of its own encloses",
};

/// `YIELD_VALUE`: the generator's state becomes "suspended" plus the
/// argument, so 1 marks a yield inside `yield from` or `await`; 2 leaves
/// it "executing" (the next `send` raises ValueError) and 3 or more
/// "completed" or past it (the yield acts as a return).
pub(super) const YIELD_STATE: OperandValues = OperandValues::upto(
    Op::YIELD_VALUE,
    1,
    "0 for a yield, 1 for the yield inside a yield from or an await",
);

pub(super) const OPERAND_VALUES: &[OperandValues] = &[RESUME_WHERE_DEPTH1, YIELD_STATE];

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: NB_OPS,
    cmp_ops: super::CMP_OPS,
    compare: CompareEncoding::MaskedBool,
    jump_unit: super::JumpUnit::CodeUnits,
    localsplus: true,
    intrinsic1: INTRINSIC1,
    intrinsic2: INTRINSIC2,
    common_constants: &[],
    special_methods: &[],
    function_flags: FUNCTION_ATTR_FLAGS,
    args_at_precall: false,
    null_above_callable: true,
    for_iter_exit: ForIterExit::SkipsEndForAndPopTop,
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
