//! CPython 3.11 instruction set.
//!
//! One line per instruction, in opcode order. A plain instruction reads
//!
//! ```text
//! NAME = code, ArgKind, inline caches, |arg, jump| stack effect;
//! ```
//!
//! and a specialized (adaptive) one, which only the running interpreter
//! writes into its copy of the bytecode, names the instruction it stands in
//! for and shares that instruction's argument kind, caches and stack effect:
//!
//! ```text
//! NAME = code => BASE;
//! ```
//!
//! Stack effects follow `dis.stack_effect` of 3.11, including its habit of
//! doing the arithmetic on a C `int`; `opcodes::3.11` in `tests/versions.rs` checks the whole
//! table against a live `python3.11`.

use super::{
    ArgKind, CompareEncoding, ForIterExit, Op, OpInfo, OperandValues, VersionSpec,
    MAKE_FUNCTION_FLAGS, NB_OPS,
};

/// Builds one `OpInfo` constant per line and the table listing them all.
/// Every instruction becomes a constant of its own name so that a
/// specialized form can copy its base's entry with struct update syntax.
macro_rules! instructions {
    ($(
        $name:ident = $code:literal
        $(, $kind:ident, $caches:literal, $effect:expr)?
        $(=> $base:ident)? ;
    )*) => {
        $( instructions!(@one $name = $code $(, $kind, $caches, $effect)? $(=> $base)?); )*

        pub(super) static OPS: &[OpInfo] = &[$($name),*];
    };
    (@one $name:ident = $code:literal, $kind:ident, $caches:literal, $effect:expr) => {
        const $name: OpInfo = OpInfo {
            name: stringify!($name),
            op: Op::$name,
            code: $code,
            arg: ArgKind::$kind,
            caches: $caches,
            base: None,
            effect: $effect,
        };
    };
    (@one $name:ident = $code:literal => $base:ident) => {
        const $name: OpInfo = OpInfo {
            name: stringify!($name),
            code: $code,
            base: Some($base.name),
            ..$base
        };
    };
}

// The later tables are written with the same macro.
pub(super) use instructions;

/// The argument as `stack_effect` sees it from 3.6 to 3.11: a C `int`, so
/// an argument of 2**31 or more counts as negative and arithmetic wraps.
/// (The tables of 3.6-3.10 use it too.)
pub(super) fn int(arg: u32) -> i32 {
    arg as i32
}

/// Effect of an instruction that pops `items` values and pushes one.
pub(super) fn build(items: i32) -> i32 {
    1i32.wrapping_sub(items)
}

instructions! {
    CACHE                         = 0,   None,         0,  |_, _| 0;
    POP_TOP                       = 1,   None,         0,  |_, _| -1;
    PUSH_NULL                     = 2,   None,         0,  |_, _| 1;
    BINARY_OP_ADAPTIVE            = 3    => BINARY_OP;
    BINARY_OP_ADD_FLOAT           = 4    => BINARY_OP;
    BINARY_OP_ADD_INT             = 5    => BINARY_OP;
    BINARY_OP_ADD_UNICODE         = 6    => BINARY_OP;
    BINARY_OP_INPLACE_ADD_UNICODE = 7    => BINARY_OP;
    BINARY_OP_MULTIPLY_FLOAT      = 8    => BINARY_OP;
    NOP                           = 9,   None,         0,  |_, _| 0;
    UNARY_POSITIVE                = 10,  None,         0,  |_, _| 0;
    UNARY_NEGATIVE                = 11,  None,         0,  |_, _| 0;
    UNARY_NOT                     = 12,  None,         0,  |_, _| 0;
    BINARY_OP_MULTIPLY_INT        = 13   => BINARY_OP;
    BINARY_OP_SUBTRACT_FLOAT      = 14   => BINARY_OP;
    UNARY_INVERT                  = 15,  None,         0,  |_, _| 0;
    BINARY_OP_SUBTRACT_INT        = 16   => BINARY_OP;
    BINARY_SUBSCR_ADAPTIVE        = 17   => BINARY_SUBSCR;
    BINARY_SUBSCR_DICT            = 18   => BINARY_SUBSCR;
    BINARY_SUBSCR_GETITEM         = 19   => BINARY_SUBSCR;
    BINARY_SUBSCR_LIST_INT        = 20   => BINARY_SUBSCR;
    BINARY_SUBSCR_TUPLE_INT       = 21   => BINARY_SUBSCR;
    CALL_ADAPTIVE                 = 22   => CALL;
    CALL_PY_EXACT_ARGS            = 23   => CALL;
    CALL_PY_WITH_DEFAULTS         = 24   => CALL;
    BINARY_SUBSCR                 = 25,  None,         4,  |_, _| -1;
    COMPARE_OP_ADAPTIVE           = 26   => COMPARE_OP;
    COMPARE_OP_FLOAT_JUMP         = 27   => COMPARE_OP;
    COMPARE_OP_INT_JUMP           = 28   => COMPARE_OP;
    COMPARE_OP_STR_JUMP           = 29   => COMPARE_OP;
    GET_LEN                       = 30,  None,         0,  |_, _| 1;
    MATCH_MAPPING                 = 31,  None,         0,  |_, _| 1;
    MATCH_SEQUENCE                = 32,  None,         0,  |_, _| 1;
    MATCH_KEYS                    = 33,  None,         0,  |_, _| 1;
    EXTENDED_ARG_QUICK            = 34   => EXTENDED_ARG;
    PUSH_EXC_INFO                 = 35,  None,         0,  |_, _| 1;
    CHECK_EXC_MATCH               = 36,  None,         0,  |_, _| 0;
    CHECK_EG_MATCH                = 37,  None,         0,  |_, _| 0;
    JUMP_BACKWARD_QUICK           = 38   => JUMP_BACKWARD;
    LOAD_ATTR_ADAPTIVE            = 39   => LOAD_ATTR;
    LOAD_ATTR_INSTANCE_VALUE      = 40   => LOAD_ATTR;
    LOAD_ATTR_MODULE              = 41   => LOAD_ATTR;
    LOAD_ATTR_SLOT                = 42   => LOAD_ATTR;
    LOAD_ATTR_WITH_HINT           = 43   => LOAD_ATTR;
    LOAD_CONST__LOAD_FAST         = 44   => LOAD_CONST;
    LOAD_FAST__LOAD_CONST         = 45   => LOAD_FAST;
    LOAD_FAST__LOAD_FAST          = 46   => LOAD_FAST;
    LOAD_GLOBAL_ADAPTIVE          = 47   => LOAD_GLOBAL;
    LOAD_GLOBAL_BUILTIN           = 48   => LOAD_GLOBAL;
    WITH_EXCEPT_START             = 49,  None,         0,  |_, _| 1;
    GET_AITER                     = 50,  None,         0,  |_, _| 0;
    GET_ANEXT                     = 51,  None,         0,  |_, _| 1;
    BEFORE_ASYNC_WITH             = 52,  None,         0,  |_, _| 1;
    BEFORE_WITH                   = 53,  None,         0,  |_, _| 1;
    END_ASYNC_FOR                 = 54,  None,         0,  |_, _| -2;
    LOAD_GLOBAL_MODULE            = 55   => LOAD_GLOBAL;
    LOAD_METHOD_ADAPTIVE          = 56   => LOAD_METHOD;
    LOAD_METHOD_CLASS             = 57   => LOAD_METHOD;
    LOAD_METHOD_MODULE            = 58   => LOAD_METHOD;
    LOAD_METHOD_NO_DICT           = 59   => LOAD_METHOD;
    STORE_SUBSCR                  = 60,  None,         1,  |_, _| -3;
    DELETE_SUBSCR                 = 61,  None,         0,  |_, _| -2;
    LOAD_METHOD_WITH_DICT         = 62   => LOAD_METHOD;
    LOAD_METHOD_WITH_VALUES       = 63   => LOAD_METHOD;
    PRECALL_ADAPTIVE              = 64   => PRECALL;
    PRECALL_BOUND_METHOD          = 65   => PRECALL;
    PRECALL_BUILTIN_CLASS         = 66   => PRECALL;
    PRECALL_BUILTIN_FAST_WITH_KEYWORDS = 67   => PRECALL;
    GET_ITER                      = 68,  None,         0,  |_, _| 0;
    GET_YIELD_FROM_ITER           = 69,  None,         0,  |_, _| 0;
    PRINT_EXPR                    = 70,  None,         0,  |_, _| -1;
    LOAD_BUILD_CLASS              = 71,  None,         0,  |_, _| 1;
    PRECALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS = 72   => PRECALL;
    PRECALL_NO_KW_BUILTIN_FAST    = 73   => PRECALL;
    LOAD_ASSERTION_ERROR          = 74,  None,         0,  |_, _| 1;
    RETURN_GENERATOR              = 75,  None,         0,  |_, _| 0;
    PRECALL_NO_KW_BUILTIN_O       = 76   => PRECALL;
    PRECALL_NO_KW_ISINSTANCE      = 77   => PRECALL;
    PRECALL_NO_KW_LEN             = 78   => PRECALL;
    PRECALL_NO_KW_LIST_APPEND     = 79   => PRECALL;
    PRECALL_NO_KW_METHOD_DESCRIPTOR_FAST = 80   => PRECALL;
    PRECALL_NO_KW_METHOD_DESCRIPTOR_NOARGS = 81   => PRECALL;
    LIST_TO_TUPLE                 = 82,  None,         0,  |_, _| 0;
    RETURN_VALUE                  = 83,  None,         0,  |_, _| -1;
    IMPORT_STAR                   = 84,  None,         0,  |_, _| -1;
    SETUP_ANNOTATIONS             = 85,  None,         0,  |_, _| 0;
    YIELD_VALUE                   = 86,  None,         0,  |_, _| 0;
    ASYNC_GEN_WRAP                = 87,  None,         0,  |_, _| 0;
    PREP_RERAISE_STAR             = 88,  None,         0,  |_, _| -1;
    POP_EXCEPT                    = 89,  None,         0,  |_, _| -1;
    STORE_NAME                    = 90,  Name,         0,  |_, _| -1;
    DELETE_NAME                   = 91,  Name,         0,  |_, _| 0;
    UNPACK_SEQUENCE               = 92,  Int,          1,  |a, _| int(a).wrapping_sub(1);
    FOR_ITER                      = 93,  JumpForward,  0,  |_, jump| if jump { -1 } else { 1 };
    UNPACK_EX                     = 94,  UnpackEx,     0,  |a, _| (int(a) & 0xff) + (int(a) >> 8);
    STORE_ATTR                    = 95,  Name,         4,  |_, _| -2;
    DELETE_ATTR                   = 96,  Name,         0,  |_, _| -1;
    STORE_GLOBAL                  = 97,  Name,         0,  |_, _| -1;
    DELETE_GLOBAL                 = 98,  Name,         0,  |_, _| 0;
    SWAP                          = 99,  Int,          0,  |_, _| 0;
    LOAD_CONST                    = 100, Const,        0,  |_, _| 1;
    LOAD_NAME                     = 101, Name,         0,  |_, _| 1;
    BUILD_TUPLE                   = 102, Int,          0,  |a, _| build(int(a));
    BUILD_LIST                    = 103, Int,          0,  |a, _| build(int(a));
    BUILD_SET                     = 104, Int,          0,  |a, _| build(int(a));
    BUILD_MAP                     = 105, Int,          0,  |a, _| build(int(a).wrapping_mul(2));
    LOAD_ATTR                     = 106, Name,         4,  |_, _| 0;
    COMPARE_OP                    = 107, Compare,      2,  |_, _| -1;
    IMPORT_NAME                   = 108, Name,         0,  |_, _| -1;
    IMPORT_FROM                   = 109, Name,         0,  |_, _| 1;
    JUMP_FORWARD                  = 110, JumpForward,  0,  |_, _| 0;
    JUMP_IF_FALSE_OR_POP          = 111, JumpForward,  0,  |_, jump| if jump { 0 } else { -1 };
    JUMP_IF_TRUE_OR_POP           = 112, JumpForward,  0,  |_, jump| if jump { 0 } else { -1 };
    PRECALL_NO_KW_METHOD_DESCRIPTOR_O = 113  => PRECALL;
    POP_JUMP_FORWARD_IF_FALSE     = 114, JumpForward,  0,  |_, _| -1;
    POP_JUMP_FORWARD_IF_TRUE      = 115, JumpForward,  0,  |_, _| -1;
    LOAD_GLOBAL                   = 116, GlobalName,   5,  |a, _| 1 + (a & 1) as i32;
    IS_OP                         = 117, Int,          0,  |_, _| -1;
    CONTAINS_OP                   = 118, Int,          0,  |_, _| -1;
    RERAISE                       = 119, Int,          0,  |_, _| -1;
    COPY                          = 120, Int,          0,  |_, _| 1;
    PRECALL_NO_KW_STR_1           = 121  => PRECALL;
    BINARY_OP                     = 122, BinaryOp,     1,  |_, _| -1;
    SEND                          = 123, JumpForward,  0,  |_, jump| if jump { -1 } else { 0 };
    LOAD_FAST                     = 124, Local,        0,  |_, _| 1;
    STORE_FAST                    = 125, Local,        0,  |_, _| -1;
    DELETE_FAST                   = 126, Local,        0,  |_, _| 0;
    PRECALL_NO_KW_TUPLE_1         = 127  => PRECALL;
    POP_JUMP_FORWARD_IF_NOT_NONE  = 128, JumpForward,  0,  |_, _| -1;
    POP_JUMP_FORWARD_IF_NONE      = 129, JumpForward,  0,  |_, _| -1;
    RAISE_VARARGS                 = 130, Int,          0,  |a, _| int(a).wrapping_neg();
    GET_AWAITABLE                 = 131, Int,          0,  |_, _| 0;
    MAKE_FUNCTION                 = 132, MakeFunction, 0,  |a, _| -((a & 0x0f).count_ones() as i32);
    BUILD_SLICE                   = 133, Int,          0,  |a, _| if a == 3 { -2 } else { -1 };
    JUMP_BACKWARD_NO_INTERRUPT    = 134, JumpBackward, 0,  |_, _| 0;
    MAKE_CELL                     = 135, Free,         0,  |_, _| 0;
    LOAD_CLOSURE                  = 136, Free,         0,  |_, _| 1;
    LOAD_DEREF                    = 137, Free,         0,  |_, _| 1;
    STORE_DEREF                   = 138, Free,         0,  |_, _| -1;
    DELETE_DEREF                  = 139, Free,         0,  |_, _| 0;
    JUMP_BACKWARD                 = 140, JumpBackward, 0,  |_, _| 0;
    PRECALL_NO_KW_TYPE_1          = 141  => PRECALL;
    CALL_FUNCTION_EX              = 142, Int,          0,  |a, _| -2 - (a & 1) as i32;
    PRECALL_PYFUNC                = 143  => PRECALL;
    EXTENDED_ARG                  = 144, Int,          0,  |_, _| 0;
    LIST_APPEND                   = 145, Int,          0,  |_, _| -1;
    SET_ADD                       = 146, Int,          0,  |_, _| -1;
    MAP_ADD                       = 147, Int,          0,  |_, _| -2;
    LOAD_CLASSDEREF               = 148, Free,         0,  |_, _| 1;
    COPY_FREE_VARS                = 149, Int,          0,  |_, _| 0;
    RESUME_QUICK                  = 150  => RESUME;
    RESUME                        = 151, Int,          0,  |_, _| 0;
    MATCH_CLASS                   = 152, Int,          0,  |_, _| -2;
    STORE_ATTR_ADAPTIVE           = 153  => STORE_ATTR;
    STORE_ATTR_INSTANCE_VALUE     = 154  => STORE_ATTR;
    FORMAT_VALUE                  = 155, FormatValue,  0,  |a, _| if a & 0x04 != 0 { -1 } else { 0 };
    BUILD_CONST_KEY_MAP           = 156, Int,          0,  |a, _| int(a).wrapping_neg();
    BUILD_STRING                  = 157, Int,          0,  |a, _| build(int(a));
    STORE_ATTR_SLOT               = 158  => STORE_ATTR;
    STORE_ATTR_WITH_HINT          = 159  => STORE_ATTR;
    LOAD_METHOD                   = 160, Name,         10, |_, _| 1;
    STORE_FAST__LOAD_FAST         = 161  => STORE_FAST;
    LIST_EXTEND                   = 162, Int,          0,  |_, _| -1;
    SET_UPDATE                    = 163, Int,          0,  |_, _| -1;
    DICT_MERGE                    = 164, Int,          0,  |_, _| -1;
    DICT_UPDATE                   = 165, Int,          0,  |_, _| -1;
    PRECALL                       = 166, Int,          1,  |a, _| int(a).wrapping_neg();
    STORE_FAST__STORE_FAST        = 167  => STORE_FAST;
    STORE_SUBSCR_ADAPTIVE         = 168  => STORE_SUBSCR;
    STORE_SUBSCR_DICT             = 169  => STORE_SUBSCR;
    STORE_SUBSCR_LIST_INT         = 170  => STORE_SUBSCR;
    CALL                          = 171, Int,          4,  |_, _| -1;
    KW_NAMES                      = 172, Const,        0,  |_, _| 0;
    POP_JUMP_BACKWARD_IF_NOT_NONE = 173, JumpBackward, 0,  |_, _| -1;
    POP_JUMP_BACKWARD_IF_NONE     = 174, JumpBackward, 0,  |_, _| -1;
    POP_JUMP_BACKWARD_IF_FALSE    = 175, JumpBackward, 0,  |_, _| -1;
    POP_JUMP_BACKWARD_IF_TRUE     = 176, JumpBackward, 0,  |_, _| -1;
    UNPACK_SEQUENCE_ADAPTIVE      = 177  => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_LIST          = 178  => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TUPLE         = 179  => UNPACK_SEQUENCE;
    UNPACK_SEQUENCE_TWO_TUPLE     = 180  => UNPACK_SEQUENCE;
}

/// `RESUME`'s argument says where it stands, and only 0 and 1 let the
/// interpreter stop for signals and thread switches there; from 2 on, a
/// suspended generator is taken to be delegating (`gi_yieldfrom`, and
/// `throw()` and `close()` go to the stack top).
pub(super) const RESUME_WHERE: OperandValues = OperandValues::upto(
    Op::RESUME,
    3,
    "0 where the code starts, 1 after a yield, 2 after a yield from, 3 after an await",
);

pub(super) const OPERAND_VALUES: &[OperandValues] = &[RESUME_WHERE];

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: NB_OPS,
    cmp_ops: super::CMP_OPS,
    compare: CompareEncoding::Index,
    jump_unit: super::JumpUnit::CodeUnits,
    localsplus: true,
    intrinsic1: &[],
    intrinsic2: &[],
    common_constants: &[],
    special_methods: &[],
    function_flags: MAKE_FUNCTION_FLAGS,
    args_at_precall: true,
    null_above_callable: false,
    for_iter_exit: ForIterExit::PopsIterator,
    load_fast_checks_unbound: true,
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
    linetable_merges_runs: false,
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
