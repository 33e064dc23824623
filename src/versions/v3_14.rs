//! CPython 3.14 instruction set.
//!
//! Written with the table macro of `v3_11` (one line per instruction, in
//! opcode order; a specialized instruction names its base and shares its
//! argument kind, caches and stack effect). What changed since 3.13:
//!
//! - Renumbered again (`HAVE_ARGUMENT` is 43, again the last instruction
//!   without an argument, `RESUME` 128, the specialized
//!   instructions from 129, the `INSTRUMENTED_*` ones from 234, and
//!   `ENTER_EXECUTOR` is 255).
//! - `BINARY_SUBSCR` is gone: subscripting is `BINARY_OP` with `NB_SUBSCR`
//!   (`[]`), which now has five inline caches instead of one.
//! - New operand tables: `LOAD_COMMON_CONSTANT`, `LOAD_SPECIAL`, and an
//!   `annotate` bit for `SET_FUNCTION_ATTRIBUTE`.
//! - `END_ASYNC_FOR` takes a backward jump (dis's `_is_backward_jump`
//!   names it beside `JUMP_BACKWARD`), while `INSTRUMENTED_END_ASYNC_FOR`,
//!   also in `hasjrel`, counts as a forward one by that same rule.
//!   `INSTRUMENTED_FOR_ITER` is a forward jump; the other instrumented
//!   jumps are plain numbers to dis.
//! - `LOAD_DEREF` is listed among the locals by dis; it still names a cell
//!   or free variable and is `Free` here.
//! - The instrumented instructions now have the stack effects of what
//!   they instrument (`INSTRUMENTED_CALL` is `CALL`'s, the instrumented
//!   conditional jumps pop one).
//! - `dis.stack_effect` accepts every real instruction, `INSTRUMENTED_LINE`
//!   included, with any argument, ignores `jump`, and refuses only the
//!   specialized ones. `opcodes::3.14` in `tests/versions.rs` checks the table against a
//!   real CPython 3.14.

use super::v3_11::instructions;
use super::v3_12::INTRINSIC1;
use super::v3_13::INTRINSIC2;
use super::{ArgKind, CompareEncoding, ForIterExit, Op, OpInfo, OperandValues, VersionSpec};

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
    BINARY_SLICE                              = 1,   None,           0,  |_, _| -2;
    BUILD_TEMPLATE                            = 2,   None,           0,  |_, _| -1;
    BINARY_OP_INPLACE_ADD_UNICODE             = 3   => BINARY_OP;
    CALL_FUNCTION_EX                          = 4,   None,           0,  |_, _| -3;
    CHECK_EG_MATCH                            = 5,   None,           0,  |_, _| 0;
    CHECK_EXC_MATCH                           = 6,   None,           0,  |_, _| 0;
    CLEANUP_THROW                             = 7,   None,           0,  |_, _| -1;
    DELETE_SUBSCR                             = 8,   None,           0,  |_, _| -2;
    END_FOR                                   = 9,   None,           0,  |_, _| -1;
    END_SEND                                  = 10,  None,           0,  |_, _| -1;
    EXIT_INIT_CHECK                           = 11,  None,           0,  |_, _| -1;
    FORMAT_SIMPLE                             = 12,  None,           0,  |_, _| 0;
    FORMAT_WITH_SPEC                          = 13,  None,           0,  |_, _| -1;
    GET_AITER                                 = 14,  None,           0,  |_, _| 0;
    GET_ANEXT                                 = 15,  None,           0,  |_, _| 1;
    GET_ITER                                  = 16,  None,           0,  |_, _| 0;
    RESERVED                                  = 17,  None,           0,  |_, _| 0;
    GET_LEN                                   = 18,  None,           0,  |_, _| 1;
    GET_YIELD_FROM_ITER                       = 19,  None,           0,  |_, _| 0;
    INTERPRETER_EXIT                          = 20,  None,           0,  |_, _| -1;
    LOAD_BUILD_CLASS                          = 21,  None,           0,  |_, _| 1;
    LOAD_LOCALS                               = 22,  None,           0,  |_, _| 1;
    MAKE_FUNCTION                             = 23,  None,           0,  |_, _| 0;
    MATCH_KEYS                                = 24,  None,           0,  |_, _| 1;
    MATCH_MAPPING                             = 25,  None,           0,  |_, _| 1;
    MATCH_SEQUENCE                            = 26,  None,           0,  |_, _| 1;
    NOP                                       = 27,  None,           0,  |_, _| 0;
    NOT_TAKEN                                 = 28,  None,           0,  |_, _| 0;
    POP_EXCEPT                                = 29,  None,           0,  |_, _| -1;
    POP_ITER                                  = 30,  None,           0,  |_, _| -1;
    POP_TOP                                   = 31,  None,           0,  |_, _| -1;
    PUSH_EXC_INFO                             = 32,  None,           0,  |_, _| 1;
    PUSH_NULL                                 = 33,  None,           0,  |_, _| 1;
    RETURN_GENERATOR                          = 34,  None,           0,  |_, _| 1;
    RETURN_VALUE                              = 35,  None,           0,  |_, _| 0;
    SETUP_ANNOTATIONS                         = 36,  None,           0,  |_, _| 0;
    STORE_SLICE                               = 37,  None,           0,  |_, _| -4;
    STORE_SUBSCR                              = 38,  None,           1,  |_, _| -3;
    TO_BOOL                                   = 39,  None,           3,  |_, _| 0;
    UNARY_INVERT                              = 40,  None,           0,  |_, _| 0;
    UNARY_NEGATIVE                            = 41,  None,           0,  |_, _| 0;
    UNARY_NOT                                 = 42,  None,           0,  |_, _| 0;
    WITH_EXCEPT_START                         = 43,  None,           0,  |_, _| 1;
    BINARY_OP                                 = 44,  BinaryOp,       5,  |_, _| -1;
    BUILD_INTERPOLATION                       = 45,  Int,            0,  |a, _| -1 - (a & 1) as i32;
    BUILD_LIST                                = 46,  Int,            0,  |a, _| net(1, int(a));
    BUILD_MAP                                 = 47,  Int,            0,  |a, _| net(1, int(a).wrapping_mul(2));
    BUILD_SET                                 = 48,  Int,            0,  |a, _| net(1, int(a));
    BUILD_SLICE                               = 49,  Int,            0,  |a, _| net(1, int(a));
    BUILD_STRING                              = 50,  Int,            0,  |a, _| net(1, int(a));
    BUILD_TUPLE                               = 51,  Int,            0,  |a, _| net(1, int(a));
    CALL                                      = 52,  Int,            3,  |a, _| net(1, int(a).wrapping_add(2));
    CALL_INTRINSIC_1                          = 53,  Intrinsic1,     0,  |_, _| 0;
    CALL_INTRINSIC_2                          = 54,  Intrinsic2,     0,  |_, _| -1;
    CALL_KW                                   = 55,  Int,            3,  |a, _| net(1, int(a).wrapping_add(3));
    COMPARE_OP                                = 56,  Compare,        1,  |_, _| -1;
    CONTAINS_OP                               = 57,  Int,            1,  |_, _| -1;
    CONVERT_VALUE                             = 58,  Conversion,     0,  |_, _| 0;
    COPY                                      = 59,  Int,            0,  |_, _| 1;
    COPY_FREE_VARS                            = 60,  Int,            0,  |_, _| 0;
    DELETE_ATTR                               = 61,  Name,           0,  |_, _| -1;
    DELETE_DEREF                              = 62,  Free,           0,  |_, _| 0;
    DELETE_FAST                               = 63,  Local,          0,  |_, _| 0;
    DELETE_GLOBAL                             = 64,  Name,           0,  |_, _| 0;
    DELETE_NAME                               = 65,  Name,           0,  |_, _| 0;
    DICT_MERGE                                = 66,  Int,            0,  |_, _| -1;
    DICT_UPDATE                               = 67,  Int,            0,  |_, _| -1;
    END_ASYNC_FOR                             = 68,  JumpBackward,   0,  |_, _| -2;
    EXTENDED_ARG                              = 69,  Int,            0,  |_, _| 0;
    FOR_ITER                                  = 70,  JumpForward,    1,  |_, _| 1;
    GET_AWAITABLE                             = 71,  Int,            0,  |_, _| 0;
    IMPORT_FROM                               = 72,  Name,           0,  |_, _| 1;
    IMPORT_NAME                               = 73,  Name,           0,  |_, _| -1;
    IS_OP                                     = 74,  Int,            0,  |_, _| -1;
    JUMP_BACKWARD                             = 75,  JumpBackward,   1,  |_, _| 0;
    JUMP_BACKWARD_NO_INTERRUPT                = 76,  JumpBackward,   0,  |_, _| 0;
    JUMP_FORWARD                              = 77,  JumpForward,    0,  |_, _| 0;
    LIST_APPEND                               = 78,  Int,            0,  |_, _| -1;
    LIST_EXTEND                               = 79,  Int,            0,  |_, _| -1;
    LOAD_ATTR                                 = 80,  AttrName,       9,  |a, _| (a & 1) as i32;
    LOAD_COMMON_CONSTANT                      = 81,  CommonConstant, 0,  |_, _| 1;
    LOAD_CONST                                = 82,  Const,          0,  |_, _| 1;
    LOAD_DEREF                                = 83,  Free,           0,  |_, _| 1;
    LOAD_FAST                                 = 84,  Local,          0,  |_, _| 1;
    LOAD_FAST_AND_CLEAR                       = 85,  Local,          0,  |_, _| 1;
    LOAD_FAST_BORROW                          = 86,  Local,          0,  |_, _| 1;
    LOAD_FAST_BORROW_LOAD_FAST_BORROW         = 87,  LocalPair,      0,  |_, _| 2;
    LOAD_FAST_CHECK                           = 88,  Local,          0,  |_, _| 1;
    LOAD_FAST_LOAD_FAST                       = 89,  LocalPair,      0,  |_, _| 2;
    LOAD_FROM_DICT_OR_DEREF                   = 90,  Free,           0,  |_, _| 0;
    LOAD_FROM_DICT_OR_GLOBALS                 = 91,  Name,           0,  |_, _| 0;
    LOAD_GLOBAL                               = 92,  GlobalName,     4,  |a, _| (a & 1) as i32 + 1;
    LOAD_NAME                                 = 93,  Name,           0,  |_, _| 1;
    LOAD_SMALL_INT                            = 94,  Int,            0,  |_, _| 1;
    LOAD_SPECIAL                              = 95,  Special,        0,  |_, _| 1;
    LOAD_SUPER_ATTR                           = 96,  SuperAttr,      1,  |a, _| (a & 1) as i32 - 2;
    MAKE_CELL                                 = 97,  Free,           0,  |_, _| 0;
    MAP_ADD                                   = 98,  Int,            0,  |_, _| -2;
    MATCH_CLASS                               = 99,  Int,            0,  |_, _| -2;
    POP_JUMP_IF_FALSE                         = 100, JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_NONE                          = 101, JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_NOT_NONE                      = 102, JumpForward,    1,  |_, _| -1;
    POP_JUMP_IF_TRUE                          = 103, JumpForward,    1,  |_, _| -1;
    RAISE_VARARGS                             = 104, Int,            0,  |a, _| net(0, int(a));
    RERAISE                                   = 105, Int,            0,  |_, _| -1;
    SEND                                      = 106, JumpForward,    1,  |_, _| 0;
    SET_ADD                                   = 107, Int,            0,  |_, _| -1;
    SET_FUNCTION_ATTRIBUTE                    = 108, FunctionAttr,   0,  |_, _| -1;
    SET_UPDATE                                = 109, Int,            0,  |_, _| -1;
    STORE_ATTR                                = 110, Name,           4,  |_, _| -2;
    STORE_DEREF                               = 111, Free,           0,  |_, _| -1;
    STORE_FAST                                = 112, Local,          0,  |_, _| -1;
    STORE_FAST_LOAD_FAST                      = 113, LocalPair,      0,  |_, _| 0;
    STORE_FAST_STORE_FAST                     = 114, LocalPair,      0,  |_, _| -2;
    STORE_GLOBAL                              = 115, Name,           0,  |_, _| -1;
    STORE_NAME                                = 116, Name,           0,  |_, _| -1;
    SWAP                                      = 117, Int,            0,  |_, _| 0;
    UNPACK_EX                                 = 118, UnpackEx,       0,  |a, _| (int(a) & 0xff) + (int(a) >> 8);
    UNPACK_SEQUENCE                           = 119, Int,            1,  |a, _| net(int(a), 1);
    YIELD_VALUE                               = 120, Int,            0,  |_, _| 0;
    RESUME                                    = 128, Int,            0,  |_, _| 0;
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
    BINARY_OP_SUBTRACT_FLOAT                  = 141 => BINARY_OP;
    BINARY_OP_SUBTRACT_INT                    = 142 => BINARY_OP;
    CALL_ALLOC_AND_ENTER_INIT                 = 143 => CALL;
    CALL_BOUND_METHOD_EXACT_ARGS              = 144 => CALL;
    CALL_BOUND_METHOD_GENERAL                 = 145 => CALL;
    CALL_BUILTIN_CLASS                        = 146 => CALL;
    CALL_BUILTIN_FAST                         = 147 => CALL;
    CALL_BUILTIN_FAST_WITH_KEYWORDS           = 148 => CALL;
    CALL_BUILTIN_O                            = 149 => CALL;
    CALL_ISINSTANCE                           = 150 => CALL;
    CALL_KW_BOUND_METHOD                      = 151 => CALL_KW;
    CALL_KW_NON_PY                            = 152 => CALL_KW;
    CALL_KW_PY                                = 153 => CALL_KW;
    CALL_LEN                                  = 154 => CALL;
    CALL_LIST_APPEND                          = 155 => CALL;
    CALL_METHOD_DESCRIPTOR_FAST               = 156 => CALL;
    CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS = 157 => CALL;
    CALL_METHOD_DESCRIPTOR_NOARGS             = 158 => CALL;
    CALL_METHOD_DESCRIPTOR_O                  = 159 => CALL;
    CALL_NON_PY_GENERAL                       = 160 => CALL;
    CALL_PY_EXACT_ARGS                        = 161 => CALL;
    CALL_PY_GENERAL                           = 162 => CALL;
    CALL_STR_1                                = 163 => CALL;
    CALL_TUPLE_1                              = 164 => CALL;
    CALL_TYPE_1                               = 165 => CALL;
    COMPARE_OP_FLOAT                          = 166 => COMPARE_OP;
    COMPARE_OP_INT                            = 167 => COMPARE_OP;
    COMPARE_OP_STR                            = 168 => COMPARE_OP;
    CONTAINS_OP_DICT                          = 169 => CONTAINS_OP;
    CONTAINS_OP_SET                           = 170 => CONTAINS_OP;
    FOR_ITER_GEN                              = 171 => FOR_ITER;
    FOR_ITER_LIST                             = 172 => FOR_ITER;
    FOR_ITER_RANGE                            = 173 => FOR_ITER;
    FOR_ITER_TUPLE                            = 174 => FOR_ITER;
    JUMP_BACKWARD_JIT                         = 175 => JUMP_BACKWARD;
    JUMP_BACKWARD_NO_JIT                      = 176 => JUMP_BACKWARD;
    LOAD_ATTR_CLASS                           = 177 => LOAD_ATTR;
    LOAD_ATTR_CLASS_WITH_METACLASS_CHECK      = 178 => LOAD_ATTR;
    LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN         = 179 => LOAD_ATTR;
    LOAD_ATTR_INSTANCE_VALUE                  = 180 => LOAD_ATTR;
    LOAD_ATTR_METHOD_LAZY_DICT                = 181 => LOAD_ATTR;
    LOAD_ATTR_METHOD_NO_DICT                  = 182 => LOAD_ATTR;
    LOAD_ATTR_METHOD_WITH_VALUES              = 183 => LOAD_ATTR;
    LOAD_ATTR_MODULE                          = 184 => LOAD_ATTR;
    LOAD_ATTR_NONDESCRIPTOR_NO_DICT           = 185 => LOAD_ATTR;
    LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES       = 186 => LOAD_ATTR;
    LOAD_ATTR_PROPERTY                        = 187 => LOAD_ATTR;
    LOAD_ATTR_SLOT                            = 188 => LOAD_ATTR;
    LOAD_ATTR_WITH_HINT                       = 189 => LOAD_ATTR;
    LOAD_CONST_IMMORTAL                       = 190 => LOAD_CONST;
    LOAD_CONST_MORTAL                         = 191 => LOAD_CONST;
    LOAD_GLOBAL_BUILTIN                       = 192 => LOAD_GLOBAL;
    LOAD_GLOBAL_MODULE                        = 193 => LOAD_GLOBAL;
    LOAD_SUPER_ATTR_ATTR                      = 194 => LOAD_SUPER_ATTR;
    LOAD_SUPER_ATTR_METHOD                    = 195 => LOAD_SUPER_ATTR;
    RESUME_CHECK                              = 196 => RESUME;
    SEND_GEN                                  = 197 => SEND;
    STORE_ATTR_INSTANCE_VALUE                 = 198 => STORE_ATTR;
    STORE_ATTR_SLOT                           = 199 => STORE_ATTR;
    STORE_ATTR_WITH_HINT                      = 200 => STORE_ATTR;
    STORE_SUBSCR_DICT                         = 201 => STORE_SUBSCR;
    STORE_SUBSCR_LIST_INT                     = 202 => STORE_SUBSCR;
    TO_BOOL_ALWAYS_TRUE                       = 203 => TO_BOOL;
    TO_BOOL_BOOL                              = 204 => TO_BOOL;
    TO_BOOL_INT                               = 205 => TO_BOOL;
    TO_BOOL_LIST                              = 206 => TO_BOOL;
    TO_BOOL_NONE                              = 207 => TO_BOOL;
    TO_BOOL_STR                               = 208 => TO_BOOL;
    UNPACK_SEQUENCE_LIST                      = 209 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TUPLE                     = 210 => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TWO_TUPLE                 = 211 => UNPACK_SEQUENCE;
    INSTRUMENTED_END_FOR                      = 234, None,           0,  |_, _| -1;
    INSTRUMENTED_POP_ITER                     = 235, None,           0,  |_, _| -1;
    INSTRUMENTED_END_SEND                     = 236, None,           0,  |_, _| -1;
    INSTRUMENTED_FOR_ITER                     = 237, JumpForward,    0,  |_, _| 1;
    INSTRUMENTED_INSTRUCTION                  = 238, None,           0,  |_, _| 0;
    INSTRUMENTED_JUMP_FORWARD                 = 239, Int,            0,  |_, _| 0;
    INSTRUMENTED_NOT_TAKEN                    = 240, None,           0,  |_, _| 0;
    INSTRUMENTED_POP_JUMP_IF_TRUE             = 241, Int,            0,  |_, _| -1;
    INSTRUMENTED_POP_JUMP_IF_FALSE            = 242, Int,            0,  |_, _| -1;
    INSTRUMENTED_POP_JUMP_IF_NONE             = 243, Int,            0,  |_, _| -1;
    INSTRUMENTED_POP_JUMP_IF_NOT_NONE         = 244, Int,            0,  |_, _| -1;
    INSTRUMENTED_RESUME                       = 245, Int,            0,  |_, _| 0;
    INSTRUMENTED_RETURN_VALUE                 = 246, None,           0,  |_, _| 0;
    INSTRUMENTED_YIELD_VALUE                  = 247, Int,            0,  |_, _| 0;
    INSTRUMENTED_END_ASYNC_FOR                = 248, JumpForward,    0,  |_, _| -2;
    INSTRUMENTED_LOAD_SUPER_ATTR              = 249, SuperAttr,      0,  |a, _| (a & 1) as i32 - 2;
    INSTRUMENTED_CALL                         = 250, Int,            0,  |a, _| net(1, int(a).wrapping_add(2));
    INSTRUMENTED_CALL_KW                      = 251, Int,            0,  |a, _| net(1, int(a).wrapping_add(3));
    INSTRUMENTED_CALL_FUNCTION_EX             = 252, None,           0,  |_, _| -3;
    INSTRUMENTED_JUMP_BACKWARD                = 253, Int,            0,  |_, _| 0;
    INSTRUMENTED_LINE                         = 254, None,           0,  |_, _| 0;
    ENTER_EXECUTOR                            = 255, Int,            0,  |_, _| 0;
}

/// `opcode._nb_ops` symbols: 3.12's list and `NB_SUBSCR`.
pub(super) const NB_OPS_314: &[&str] = &[
    "+", "&", "//", "<<", "@", "*", "%", "|", "**", ">>", "-", "/", "^", "+=", "&=", "//=", "<<=",
    "@=", "*=", "%=", "|=", "**=", ">>=", "-=", "/=", "^=", "[]",
];

/// `dis._common_constants`, by name: `LOAD_COMMON_CONSTANT` arguments.
const COMMON_CONSTANTS: &[&str] = &[
    "AssertionError",
    "NotImplementedError",
    "tuple",
    "all",
    "any",
];

/// `dis._special_method_names`: `LOAD_SPECIAL` arguments.
pub(super) const SPECIAL_METHODS: &[&str] = &["__enter__", "__exit__", "__aenter__", "__aexit__"];

/// `dis.FUNCTION_ATTR_FLAGS`: 3.13's flags and `annotate`.
pub(super) const FUNCTION_ATTR_FLAGS: &[(u32, &str)] = &[
    (0x01, "defaults"),
    (0x02, "kwdefaults"),
    (0x04, "annotations"),
    (0x08, "closure"),
    (0x10, "annotate"),
];

/// `LOAD_SMALL_INT`: an index into the small ints the interpreter keeps,
/// 0 to 256 (257 reads past them).
const SMALL_INTS_256: OperandValues =
    OperandValues::upto(Op::LOAD_SMALL_INT, 256, "the small ints CPython 3.14 keeps");

const OPERAND_VALUES: &[OperandValues] = &[
    super::v3_13::RESUME_WHERE_DEPTH1,
    super::v3_13::YIELD_STATE,
    SMALL_INTS_256,
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
    iterator_index_slot: false,
    genexpr_prologue_gets_iter: false,
    stopiteration_handler_keeps_body_depth: false,
    linetable_merges_runs: true,
    marshal_slices: true,
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
