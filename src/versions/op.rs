//! `Op`: every instruction that has an entry of its own in at least one
//! version's table, named once.
//!
//! A table line `NAME = code, ...` says `op: Op::NAME`, so a name missing
//! here does not compile; a specialized line `NAME = code => BASE` carries
//! its base's `Op`. The analyses decide what an instruction does by an
//! exhaustive `match` on `Op`, so a variant added here is a compile error
//! in each of them until someone decides what it means there.
//! `tests` below check that every variant is some version's entry.
//!
//! The instructions that only 3.6-3.10 have are listed apart, so that
//! each era's names read together.

/// Declares `Op` with one variant per name, `Op::ALL` and `Op::name`.
macro_rules! ops {
    ($($name:ident)* ; before_3_11: $($old:ident)*) => {
        /// An instruction, independent of its number in any version.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $($name,)*
            $($old,)*
        }

        impl Op {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Op] = &[$(Op::$name,)* $(Op::$old,)*];

            /// The instruction's name, as the tables and `dis` spell it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Op::$name => stringify!($name),)*
                    $(Op::$old => stringify!($old),)*
                }
            }
        }

    };
}

ops! {
    // Plain instructions, alphabetically, one a line (so that a new
    // version's names merge line by line).
    ASYNC_GEN_WRAP
    BEFORE_ASYNC_WITH
    BEFORE_WITH
    BINARY_OP
    BINARY_SLICE
    BINARY_SUBSCR
    BUILD_CONST_KEY_MAP
    BUILD_INTERPOLATION
    BUILD_LIST
    BUILD_MAP
    BUILD_SET
    BUILD_SLICE
    BUILD_STRING
    BUILD_TEMPLATE
    BUILD_TUPLE
    CACHE
    CALL
    CALL_FUNCTION_EX
    CALL_INTRINSIC_1
    CALL_INTRINSIC_2
    CALL_KW
    CHECK_EG_MATCH
    CHECK_EXC_MATCH
    CLEANUP_THROW
    COMPARE_OP
    CONTAINS_OP
    CONVERT_VALUE
    COPY
    COPY_FREE_VARS
    DELETE_ATTR
    DELETE_DEREF
    DELETE_FAST
    DELETE_GLOBAL
    DELETE_NAME
    DELETE_SUBSCR
    DICT_MERGE
    DICT_UPDATE
    END_ASYNC_FOR
    END_FOR
    END_SEND
    ENTER_EXECUTOR
    EXIT_INIT_CHECK
    EXTENDED_ARG
    FORMAT_SIMPLE
    FORMAT_VALUE
    FORMAT_WITH_SPEC
    FOR_ITER
    GET_AITER
    GET_ANEXT
    GET_AWAITABLE
    GET_ITER
    GET_LEN
    GET_YIELD_FROM_ITER
    IMPORT_FROM
    IMPORT_NAME
    IMPORT_STAR
    INTERPRETER_EXIT
    IS_OP
    JUMP_BACKWARD
    JUMP_BACKWARD_NO_INTERRUPT
    JUMP_FORWARD
    JUMP_IF_FALSE_OR_POP
    JUMP_IF_TRUE_OR_POP
    KW_NAMES
    LIST_APPEND
    LIST_EXTEND
    LIST_TO_TUPLE
    LOAD_ASSERTION_ERROR
    LOAD_ATTR
    LOAD_BUILD_CLASS
    LOAD_CLASSDEREF
    LOAD_CLOSURE
    LOAD_COMMON_CONSTANT
    LOAD_CONST
    LOAD_DEREF
    LOAD_FAST
    LOAD_FAST_AND_CLEAR
    LOAD_FAST_BORROW
    LOAD_FAST_BORROW_LOAD_FAST_BORROW
    LOAD_FAST_CHECK
    LOAD_FAST_LOAD_FAST
    LOAD_FROM_DICT_OR_DEREF
    LOAD_FROM_DICT_OR_GLOBALS
    LOAD_GLOBAL
    LOAD_LOCALS
    LOAD_METHOD
    LOAD_NAME
    LOAD_SMALL_INT
    LOAD_SPECIAL
    LOAD_SUPER_ATTR
    MAKE_CELL
    MAKE_FUNCTION
    MAP_ADD
    MATCH_CLASS
    MATCH_KEYS
    MATCH_MAPPING
    MATCH_SEQUENCE
    NOP
    NOT_TAKEN
    POP_EXCEPT
    POP_ITER
    POP_JUMP_BACKWARD_IF_FALSE
    POP_JUMP_BACKWARD_IF_NONE
    POP_JUMP_BACKWARD_IF_NOT_NONE
    POP_JUMP_BACKWARD_IF_TRUE
    POP_JUMP_FORWARD_IF_FALSE
    POP_JUMP_FORWARD_IF_NONE
    POP_JUMP_FORWARD_IF_NOT_NONE
    POP_JUMP_FORWARD_IF_TRUE
    POP_JUMP_IF_FALSE
    POP_JUMP_IF_NONE
    POP_JUMP_IF_NOT_NONE
    POP_JUMP_IF_TRUE
    POP_TOP
    PRECALL
    PREP_RERAISE_STAR
    PRINT_EXPR
    PUSH_EXC_INFO
    PUSH_NULL
    RAISE_VARARGS
    RERAISE
    RESERVED
    RESUME
    RETURN_CONST
    RETURN_GENERATOR
    RETURN_VALUE
    SEND
    SETUP_ANNOTATIONS
    SET_ADD
    SET_FUNCTION_ATTRIBUTE
    SET_UPDATE
    STORE_ATTR
    STORE_DEREF
    STORE_FAST
    STORE_FAST_LOAD_FAST
    STORE_FAST_STORE_FAST
    STORE_GLOBAL
    STORE_NAME
    STORE_SLICE
    STORE_SUBSCR
    SWAP
    TO_BOOL
    TRACE_RECORD
    UNARY_INVERT
    UNARY_NEGATIVE
    UNARY_NOT
    UNARY_POSITIVE
    UNPACK_EX
    UNPACK_SEQUENCE
    WITH_EXCEPT_START
    YIELD_VALUE
    // Instrumented forms (`sys.monitoring`), which have entries of their own.
    INSTRUMENTED_CALL
    INSTRUMENTED_CALL_FUNCTION_EX
    INSTRUMENTED_CALL_KW
    INSTRUMENTED_END_ASYNC_FOR
    INSTRUMENTED_END_FOR
    INSTRUMENTED_END_SEND
    INSTRUMENTED_FOR_ITER
    INSTRUMENTED_INSTRUCTION
    INSTRUMENTED_JUMP_BACKWARD
    INSTRUMENTED_JUMP_FORWARD
    INSTRUMENTED_LINE
    INSTRUMENTED_LOAD_SUPER_ATTR
    INSTRUMENTED_NOT_TAKEN
    INSTRUMENTED_POP_ITER
    INSTRUMENTED_POP_JUMP_IF_FALSE
    INSTRUMENTED_POP_JUMP_IF_NONE
    INSTRUMENTED_POP_JUMP_IF_NOT_NONE
    INSTRUMENTED_POP_JUMP_IF_TRUE
    INSTRUMENTED_RESUME
    INSTRUMENTED_RETURN_CONST
    INSTRUMENTED_RETURN_VALUE
    INSTRUMENTED_YIELD_VALUE
    ;
    before_3_11:
    // Instructions only 3.6-3.10 have, alphabetically.
    BEGIN_FINALLY
    BINARY_ADD
    BINARY_AND
    BINARY_FLOOR_DIVIDE
    BINARY_LSHIFT
    BINARY_MATRIX_MULTIPLY
    BINARY_MODULO
    BINARY_MULTIPLY
    BINARY_OR
    BINARY_POWER
    BINARY_RSHIFT
    BINARY_SUBTRACT
    BINARY_TRUE_DIVIDE
    BINARY_XOR
    BREAK_LOOP
    BUILD_LIST_UNPACK
    BUILD_MAP_UNPACK
    BUILD_MAP_UNPACK_WITH_CALL
    BUILD_SET_UNPACK
    BUILD_TUPLE_UNPACK
    BUILD_TUPLE_UNPACK_WITH_CALL
    CALL_FINALLY
    CALL_FUNCTION
    CALL_FUNCTION_KW
    CALL_METHOD
    CONTINUE_LOOP
    COPY_DICT_WITHOUT_KEYS
    DUP_TOP
    DUP_TOP_TWO
    END_FINALLY
    GEN_START
    INPLACE_ADD
    INPLACE_AND
    INPLACE_FLOOR_DIVIDE
    INPLACE_LSHIFT
    INPLACE_MATRIX_MULTIPLY
    INPLACE_MODULO
    INPLACE_MULTIPLY
    INPLACE_OR
    INPLACE_POWER
    INPLACE_RSHIFT
    INPLACE_SUBTRACT
    INPLACE_TRUE_DIVIDE
    INPLACE_XOR
    JUMP_ABSOLUTE
    JUMP_IF_NOT_EXC_MATCH
    POP_BLOCK
    POP_FINALLY
    ROT_FOUR
    ROT_N
    ROT_THREE
    ROT_TWO
    SETUP_ASYNC_WITH
    SETUP_EXCEPT
    SETUP_FINALLY
    SETUP_LOOP
    SETUP_WITH
    STORE_ANNOTATION
    WITH_CLEANUP_FINISH
    WITH_CLEANUP_START
    YIELD_FROM
}

#[cfg(test)]
mod tests {
    use super::Op;
    use crate::versions::Version;

    /// No dead variants: each one is the entry of its own name in at least
    /// one version's table.
    #[test]
    fn every_variant_has_an_entry() {
        for &op in Op::ALL {
            let used = Version::TABLES.iter().any(|v| {
                v.table()
                    .by_name(op.name())
                    .is_some_and(|info| info.op == op && info.base.is_none())
            });
            assert!(used, "Op::{} is no version's instruction", op.name());
        }
    }

    /// Each entry's `Op` is its own name, or its base's for a specialized
    /// form.
    #[test]
    fn entries_name_their_op() {
        for v in Version::TABLES {
            for info in v.table().ops {
                assert_eq!(info.op.name(), info.base.unwrap_or(info.name), "{v}");
            }
        }
    }
}
