//! What each instruction does, as far as the analyses care: how control
//! leaves it, how many stack items it reads at least, how many it takes
//! off before it pushes, what it does to the fast locals and to the
//! module's names, which arguments it accepts, and whether it may run at
//! all. (What it does to the kinds of values is `kinds::step`'s, an
//! exhaustive match of its own.) One exhaustive `match` on `Op` decides all of it, so a
//! new instruction does not compile until someone has decided. What
//! depends on the version is in the version's table (argument kind, stack
//! effect) or its `VersionSpec` (`args_at_precall`).

use crate::versions::{Op, OpInfo, OpcodeTable};

/// How control leaves an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flow {
    /// Falls through. (3.14 gives `END_ASYNC_FOR` a target to find its
    /// `SEND`, but it never jumps there.)
    Next,
    /// Conditional branch: may fall through or jump.
    Branch,
    /// Unconditional jump.
    Jump,
    /// Return or raise: no successor in this code object.
    Stop,
}

/// How many stack items an instruction reads, at least, as a function of
/// its argument `a` (see [`inputs`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reads {
    Fixed(i32),
    /// `a`.
    Arg,
    /// `a` plus this many.
    ArgPlus(i32),
    /// `2 * a` (keys and values).
    TwiceArg,
    /// `FORMAT_VALUE`: the value, and the spec when bit 2 says so.
    FormatValue,
    /// `BUILD_INTERPOLATION`: value and text, and the spec when bit 0 says
    /// so.
    Interpolation,
    /// `CALL`: the callable, its NULL or self and `a` arguments; where
    /// `PRECALL` counted the arguments (`args_at_precall`), only the two.
    Call,
    /// `CALL_FUNCTION_EX`: the NULL slot by the callable (from 3.11:
    /// `call_ex_null_slot`), the callable, the argument tuple, and the
    /// keyword mapping: always from 3.14 (`call_ex_kwargs_slot_always`),
    /// before that when bit 0 says so.
    CallEx,
    /// `WITH_EXCEPT_START`: everything down to the exit function, the
    /// version's `with_exit_depth` items.
    WithExit,
}

/// How many stack items an instruction takes off before it pushes: the
/// level an exception inside it can leave the stack at is at least the
/// depth less this (see [`removes`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Removes {
    /// As many as it reads ([`inputs`]).
    Reads,
    /// This many. Instructions that read below what they remove take 0
    /// (`COPY`, `SWAP`, `FOR_ITER`, `PUSH_EXC_INFO`...), and so does
    /// `YIELD_VALUE`: it is thrown into at resumption, when the sent value
    /// has replaced the yielded one.
    Fixed(usize),
    /// `a` plus this many.
    ArgPlus(usize),
    /// `CALL`: `a + 2`; where `PRECALL` counted the arguments, 2.
    Call,
}

/// What an instruction does to the fast locals, which its argument names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LocalUse {
    Nothing,
    /// Assigns local `a` (`LOAD_FAST_CHECK` raises when it is unbound, so
    /// past it the local holds a value too).
    Sets,
    /// Leaves local `a` unbound.
    Clears,
    /// Reads local `a`.
    Reads,
    /// Reads locals `a >> 4` and `a & 15`.
    ReadsPair,
    /// Assigns local `a >> 4`, then reads `a & 15`.
    SetsThenReads,
    /// Assigns locals `a >> 4` and `a & 15`.
    SetsPair,
}

/// What an instruction does with the module's names (`co_names`), for the
/// module checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NameUse {
    Nothing,
    /// Binds or deletes the global or name its argument names.
    Defines,
    /// Reads a global (or builtin) by name.
    Reads,
    /// `LOAD_NAME`: reads a name, from the frame's locals first.
    ReadsLocalsFirst,
    /// `from ... import *`: may define any name.
    ImportsAll,
    /// Runs an intrinsic, which may be `import *`.
    Intrinsic,
}

/// The arguments an instruction accepts beyond what its operand kind says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Operand {
    Any,
    /// From `min` to `max`; `why` says so in the diagnostic.
    Range {
        min: u32,
        max: u32,
        why: &'static str,
    },
}

/// Where an instruction may stand, as the interpreter relies on it (the
/// kinds analysis checks these).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sequence {
    /// Anywhere.
    Free,
    /// `COPY_FREE_VARS`: first, and only in code with free variables.
    CopyFreeVars,
    /// `RETURN_GENERATOR`: once, right after the prologue, in a generator.
    ReturnGenerator,
    /// `YIELD_VALUE`: only in a generator.
    InGenerator,
    /// `PRECALL` (3.11): followed directly by its `CALL`.
    Precall,
    /// `CALL`: where `PRECALL` counts the arguments, directly after it.
    Call,
    /// `KW_NAMES`: directly before the call it names the keywords of.
    KwNames,
    /// `SET_FUNCTION_ATTRIBUTE`: directly after `MAKE_FUNCTION`.
    AfterMakeFunction,
    /// `FOR_ITER`: its target must be what it skips when the iterator
    /// ends (`ForIterExit`).
    ForIter,
}

/// What an instruction does with functions it takes off the stack, for
/// the kinds analysis: calling one directly is a call of that code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FunctionUse {
    /// The slots it removes ([`removes`]) let a function escape.
    Takes,
    /// `PRECALL`: a direct call.
    Precall,
    /// `CALL`: a direct call, unless `PRECALL` was (3.11).
    Call,
    /// 3.6-3.10's `CALL_FUNCTION`: a direct call of the callable below
    /// its arguments.
    CallFunction,
    /// `YIELD_VALUE`: the yielded value escapes.
    Yields,
    /// `SET_FUNCTION_ATTRIBUTE`: the attribute escapes; the function is
    /// put back.
    SetsAttribute,
    /// `CALL_INTRINSIC_2`: `INTRINSIC_SET_FUNCTION_TYPE_PARAMS` puts the
    /// function back.
    Intrinsic2,
}

/// Whether an instruction may appear in a code object that runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Runs {
    Always,
    /// Made by `sys.monitoring` at run time; needs its data.
    Instrumented,
    /// Internal to the interpreter; never part of a code object.
    Internal,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OpFacts {
    /// How control leaves it. `Branch` and `Jump` go to the target only
    /// where the version gives the instruction one (a jump argument).
    pub flow: Flow,
    pub reads: Reads,
    pub removes: Removes,
    pub locals: LocalUse,
    pub names: NameUse,
    pub operand: Operand,
    pub sequence: Sequence,
    pub functions: FunctionUse,
    pub runs: Runs,
}

/// Any argument the operand kind allows.
const ANY: Operand = Operand::Any;

const fn range(min: u32, max: u32, why: &'static str) -> Operand {
    Operand::Range { min, max, why }
}

/// Why `op` may not run in a code object read from a file (`check`'s
/// `forbidden-opcode`), or `None` when it may: specialized forms, which
/// trust caches a file never fills, and the instructions whose `runs` fact
/// is not `Always`. The language server's completion offers only opcodes
/// for which this is `None`.
pub fn forbidden(op: &OpInfo) -> Option<String> {
    if let Some(base) = op.base {
        return Some(format!(
            "{} is a specialized form of {base}: the interpreter makes it at run time and trusts its caches, which a file never holds",
            op.name
        ));
    }
    match facts(op.op).runs {
        Runs::Instrumented => Some(format!(
            "{} is made by sys.monitoring at run time and needs its data, which a file never holds",
            op.name
        )),
        Runs::Internal => Some(format!(
            "{} is internal to the interpreter and never runs as part of a code object",
            op.name
        )),
        Runs::Always => None,
    }
}

/// The facts of one instruction: read from [`FACTS`], since the analyses
/// ask for every instruction they walk.
pub const fn facts(op: Op) -> OpFacts {
    FACTS[op as usize]
}

/// [`facts_of`] every instruction, in the order of `Op`'s variants.
const FACTS: [OpFacts; Op::ALL.len()] = {
    let mut all = [facts_of(Op::NOP); Op::ALL.len()];
    let mut i = 0;
    while i < Op::ALL.len() {
        all[Op::ALL[i] as usize] = facts_of(Op::ALL[i]);
        i += 1;
    }
    all
};

/// The facts of one instruction. Instrumented forms keep what the
/// analyses always assumed of them (a jump argument makes one a branch,
/// `INSTRUMENTED_END_ASYNC_FOR` aside); they are reported as forbidden
/// wherever they are reached.
const fn facts_of(op: Op) -> OpFacts {
    match op {
        Op::PRECALL => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Precall,
            functions: FunctionUse::Precall,
            runs: Runs::Always,
        },
        Op::COPY => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(1, u32::MAX, "1 is the top of the stack"),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::SWAP => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(2, u32::MAX, "2 swaps the top two items"),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BUILD_LIST | Op::BUILD_SET | Op::BUILD_STRING | Op::BUILD_TUPLE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BUILD_SLICE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(2, 3, "the parts of the slice: start, stop and maybe step"),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::DICT_MERGE
        | Op::DICT_UPDATE
        | Op::LIST_APPEND
        | Op::LIST_EXTEND
        | Op::SET_ADD
        | Op::SET_UPDATE => OpFacts {
            flow: Flow::Next,
            reads: Reads::ArgPlus(1),
            removes: Removes::Fixed(1),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(
                1,
                u32::MAX,
                "1 is the slot below the value it adds",
            ),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::MAP_ADD => OpFacts {
            flow: Flow::Next,
            reads: Reads::ArgPlus(2),
            removes: Removes::Fixed(2),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(
                1,
                u32::MAX,
                "1 is the slot below the key and value it adds",
            ),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::CALL_KW => OpFacts {
            flow: Flow::Next,
            reads: Reads::ArgPlus(3),
            removes: Removes::ArgPlus(3),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::CALL => OpFacts {
            flow: Flow::Next,
            reads: Reads::Call,
            removes: Removes::Call,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Call,
            functions: FunctionUse::Call,
            runs: Runs::Always,
        },
        Op::DELETE_FAST | Op::LOAD_FAST_AND_CLEAR => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Clears,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::WITH_EXCEPT_START => OpFacts {
            flow: Flow::Next,
            reads: Reads::WithExit,
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::DELETE_GLOBAL | Op::DELETE_NAME => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Defines,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::COPY_FREE_VARS => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::CopyFreeVars,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // 3.11-3.13: bit 0 says a dict of keyword arguments is there; 3.14
        // gave up the argument.
        Op::CALL_FUNCTION_EX => OpFacts {
            flow: Flow::Next,
            reads: Reads::CallEx,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(0, 1, "0 without keyword arguments, 1 with a dict of them"),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BUILD_CONST_KEY_MAP
        | Op::DELETE_DEREF
        | Op::END_ASYNC_FOR
        | Op::END_FOR
        | Op::EXIT_INIT_CHECK
        | Op::EXTENDED_ARG
        | Op::LIST_TO_TUPLE
        | Op::LOAD_ASSERTION_ERROR
        | Op::LOAD_BUILD_CLASS
        | Op::LOAD_CLASSDEREF
        | Op::LOAD_CLOSURE
        | Op::LOAD_COMMON_CONSTANT
        | Op::LOAD_CONST
        | Op::LOAD_DEREF
        | Op::LOAD_LOCALS
        | Op::NOP
        | Op::NOT_TAKEN
        | Op::PUSH_NULL
        | Op::RESUME
        | Op::SETUP_ANNOTATIONS
        | Op::STORE_SLICE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::KW_NAMES => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::KwNames,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::RETURN_GENERATOR => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::ReturnGenerator,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_SMALL_INT => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_GLOBAL => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Reads,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_NAME => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::ReadsLocalsFirst,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_FAST | Op::LOAD_FAST_BORROW => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Reads,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_FAST_BORROW_LOAD_FAST_BORROW | Op::LOAD_FAST_LOAD_FAST => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::ReadsPair,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_FAST_CHECK | Op::MAKE_CELL => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Sets,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::GET_ANEXT
        | Op::GET_LEN
        | Op::IMPORT_FROM
        | Op::MATCH_MAPPING
        | Op::MATCH_SEQUENCE
        | Op::PUSH_EXC_INFO => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::YIELD_VALUE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::InGenerator,
            functions: FunctionUse::Yields,
            runs: Runs::Always,
        },
        Op::STORE_GLOBAL | Op::STORE_NAME => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Defines,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::IMPORT_STAR => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::ImportsAll,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::CALL_INTRINSIC_1 => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Intrinsic,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::ASYNC_GEN_WRAP
        | Op::BEFORE_ASYNC_WITH
        | Op::BEFORE_WITH
        | Op::CONVERT_VALUE
        | Op::DELETE_ATTR
        | Op::FORMAT_SIMPLE
        | Op::GET_AITER
        | Op::GET_ITER
        | Op::GET_YIELD_FROM_ITER
        | Op::LOAD_ATTR
        | Op::LOAD_FROM_DICT_OR_DEREF
        | Op::LOAD_METHOD
        | Op::LOAD_SPECIAL
        | Op::POP_EXCEPT
        | Op::POP_ITER
        | Op::POP_TOP
        | Op::PRINT_EXPR
        | Op::STORE_DEREF
        | Op::TO_BOOL
        | Op::UNARY_INVERT
        | Op::UNARY_NEGATIVE
        | Op::UNARY_NOT
        | Op::UNARY_POSITIVE
        | Op::UNPACK_EX
        | Op::UNPACK_SEQUENCE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::LOAD_FROM_DICT_OR_GLOBALS => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Reads,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::STORE_FAST => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Sets,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::STORE_FAST_LOAD_FAST => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::SetsThenReads,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::MATCH_KEYS => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::CHECK_EXC_MATCH => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Fixed(1),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::SET_FUNCTION_ATTRIBUTE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::AfterMakeFunction,
            functions: FunctionUse::SetsAttribute,
            runs: Runs::Always,
        },
        Op::CALL_INTRINSIC_2 => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Intrinsic2,
            runs: Runs::Always,
        },
        Op::BINARY_OP
        | Op::BINARY_SUBSCR
        | Op::BUILD_TEMPLATE
        | Op::CHECK_EG_MATCH
        | Op::COMPARE_OP
        | Op::DELETE_SUBSCR
        | Op::END_SEND
        | Op::FORMAT_WITH_SPEC
        | Op::IMPORT_NAME
        | Op::PREP_RERAISE_STAR
        | Op::STORE_ATTR => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::CONTAINS_OP | Op::IS_OP => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(0, 1, "1 negates the test"),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::STORE_FAST_STORE_FAST => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::SetsPair,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BINARY_SLICE
        | Op::CLEANUP_THROW
        | Op::LOAD_SUPER_ATTR
        | Op::MATCH_CLASS
        | Op::STORE_SUBSCR => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(3),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // Beyond 2, the argument only chooses the message of the TypeError
        // for an object that cannot be awaited.
        Op::GET_AWAITABLE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(
                0,
                2,
                "0 for an await, 1 after __aenter__, 2 after __aexit__",
            ),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // 3.11-3.12 take the four flag bits (3.13 moved them to
        // SET_FUNCTION_ATTRIBUTE; its argument is then 0).
        Op::MAKE_FUNCTION => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(
                0,
                15,
                "flags 1 (defaults), 2 (kwdefaults), 4 (annotations) and 8 (closure)",
            ),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::FORMAT_VALUE => OpFacts {
            flow: Flow::Next,
            reads: Reads::FormatValue,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(
                0,
                7,
                "a conversion 0 to 3 (none, str, repr, ascii), plus 4 with a spec",
            ),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BUILD_INTERPOLATION => OpFacts {
            flow: Flow::Next,
            reads: Reads::Interpolation,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(
                0,
                15,
                "a conversion 0 to 3 (none, str, repr, ascii) times 4, plus 1 with a spec, plus 2 as the compiler writes it",
            ),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BUILD_MAP => OpFacts {
            flow: Flow::Next,
            reads: Reads::TwiceArg,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::FOR_ITER => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(1),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::ForIter,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::JUMP_IF_FALSE_OR_POP
        | Op::JUMP_IF_TRUE_OR_POP
        | Op::POP_JUMP_BACKWARD_IF_FALSE
        | Op::POP_JUMP_BACKWARD_IF_NONE
        | Op::POP_JUMP_BACKWARD_IF_NOT_NONE
        | Op::POP_JUMP_BACKWARD_IF_TRUE
        | Op::POP_JUMP_FORWARD_IF_FALSE
        | Op::POP_JUMP_FORWARD_IF_NONE
        | Op::POP_JUMP_FORWARD_IF_NOT_NONE
        | Op::POP_JUMP_FORWARD_IF_TRUE
        | Op::POP_JUMP_IF_FALSE
        | Op::POP_JUMP_IF_NONE
        | Op::POP_JUMP_IF_NOT_NONE
        | Op::POP_JUMP_IF_TRUE => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::SEND => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::JUMP_BACKWARD | Op::JUMP_BACKWARD_NO_INTERRUPT | Op::JUMP_FORWARD => OpFacts {
            flow: Flow::Jump,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::RAISE_VARARGS => OpFacts {
            flow: Flow::Stop,
            reads: Reads::Arg,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: range(0, 2, "0 re-raises, 1 raises a value, 2 raises it from a cause"),
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::RERAISE => OpFacts {
            flow: Flow::Stop,
            reads: Reads::ArgPlus(1),
            removes: Removes::Fixed(1),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::RETURN_CONST => OpFacts {
            flow: Flow::Stop,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::RETURN_VALUE => OpFacts {
            flow: Flow::Stop,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::INSTRUMENTED_CALL
        | Op::INSTRUMENTED_CALL_FUNCTION_EX
        | Op::INSTRUMENTED_CALL_KW
        | Op::INSTRUMENTED_END_ASYNC_FOR
        | Op::INSTRUMENTED_END_FOR
        | Op::INSTRUMENTED_END_SEND
        | Op::INSTRUMENTED_INSTRUCTION
        | Op::INSTRUMENTED_JUMP_BACKWARD
        | Op::INSTRUMENTED_JUMP_FORWARD
        | Op::INSTRUMENTED_LINE
        | Op::INSTRUMENTED_LOAD_SUPER_ATTR
        | Op::INSTRUMENTED_NOT_TAKEN
        | Op::INSTRUMENTED_POP_ITER
        | Op::INSTRUMENTED_POP_JUMP_IF_FALSE
        | Op::INSTRUMENTED_POP_JUMP_IF_NONE
        | Op::INSTRUMENTED_POP_JUMP_IF_NOT_NONE
        | Op::INSTRUMENTED_POP_JUMP_IF_TRUE
        | Op::INSTRUMENTED_RESUME
        | Op::INSTRUMENTED_RETURN_CONST
        | Op::INSTRUMENTED_RETURN_VALUE
        | Op::INSTRUMENTED_YIELD_VALUE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Instrumented,
        },
        // 3.6-3.10: one instruction per operator, as 3.11's BINARY_OP; YIELD_FROM
        // sends the value on top to the receiver below it.
        Op::BINARY_ADD
        | Op::BINARY_AND
        | Op::BINARY_FLOOR_DIVIDE
        | Op::BINARY_LSHIFT
        | Op::BINARY_MATRIX_MULTIPLY
        | Op::BINARY_MODULO
        | Op::BINARY_MULTIPLY
        | Op::BINARY_OR
        | Op::BINARY_POWER
        | Op::BINARY_RSHIFT
        | Op::BINARY_SUBTRACT
        | Op::BINARY_TRUE_DIVIDE
        | Op::BINARY_XOR
        | Op::COPY_DICT_WITHOUT_KEYS
        | Op::INPLACE_ADD
        | Op::INPLACE_AND
        | Op::INPLACE_FLOOR_DIVIDE
        | Op::INPLACE_LSHIFT
        | Op::INPLACE_MATRIX_MULTIPLY
        | Op::INPLACE_MODULO
        | Op::INPLACE_MULTIPLY
        | Op::INPLACE_OR
        | Op::INPLACE_POWER
        | Op::INPLACE_RSHIFT
        | Op::INPLACE_SUBTRACT
        | Op::INPLACE_TRUE_DIVIDE
        | Op::INPLACE_XOR
        | Op::YIELD_FROM => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::BUILD_LIST_UNPACK
        | Op::BUILD_MAP_UNPACK
        | Op::BUILD_MAP_UNPACK_WITH_CALL
        | Op::BUILD_SET_UNPACK
        | Op::BUILD_TUPLE_UNPACK
        | Op::BUILD_TUPLE_UNPACK_WITH_CALL => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // 3.6-3.10's calls: the callable, then its arguments (CALL_FUNCTION_KW
        // adds the tuple of keyword names; CALL_METHOD's callable is two slots,
        // LOAD_METHOD's NULL or method and the callable or self).
        Op::CALL_FUNCTION => OpFacts {
            flow: Flow::Next,
            reads: Reads::ArgPlus(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::CallFunction,
            runs: Runs::Always,
        },
        Op::CALL_METHOD => OpFacts {
            flow: Flow::Next,
            reads: Reads::ArgPlus(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Call,
            runs: Runs::Always,
        },
        Op::CALL_FUNCTION_KW => OpFacts {
            flow: Flow::Next,
            reads: Reads::ArgPlus(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // GEN_START drops the None a new generator is sent; END_FINALLY (3.6-3.8)
        // finds what ended its `finally` on top (the table's effect says how much
        // it takes); WITH_CLEANUP_* find the exit function below it.
        Op::GEN_START
        | Op::END_FINALLY
        | Op::STORE_ANNOTATION
        | Op::WITH_CLEANUP_FINISH
        | Op::WITH_CLEANUP_START => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // They read below what they take off.
        Op::DUP_TOP => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(1),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::DUP_TOP_TWO
        | Op::ROT_TWO => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(2),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::ROT_THREE => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(3),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::ROT_FOUR => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(4),
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::ROT_N => OpFacts {
            flow: Flow::Next,
            reads: Reads::Arg,
            removes: Removes::Fixed(0),
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // The block stack (3.6-3.10): POP_BLOCK drops the innermost block;
        // 3.8's BEGIN_FINALLY pushes the NULLs of a `finally` entered without an
        // exception, and POP_FINALLY drops them (the table's effect).
        Op::BEGIN_FINALLY
        | Op::POP_BLOCK
        | Op::POP_FINALLY => OpFacts {
            flow: Flow::Next,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // A SETUP_* falls through and pushes a block whose handler (for
        // SETUP_LOOP, the loop's end) the block stack sends control to later, with
        // the table's jump effect on the stack: CPython's stackdepth() counts it
        // as a branch to the handler from here, and so do the analyses. 3.8's
        // CALL_FINALLY pushes where to return to and jumps into the `finally`.
        Op::SETUP_ASYNC_WITH
        | Op::SETUP_EXCEPT
        | Op::SETUP_FINALLY
        | Op::SETUP_LOOP
        | Op::CALL_FINALLY => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::SETUP_WITH => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(1),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // 3.6-3.10's absolute jumps (CONTINUE_LOOP: 3.6 and 3.7, to the start
        // of a loop from inside a `try`).
        Op::JUMP_ABSOLUTE
        | Op::CONTINUE_LOOP => OpFacts {
            flow: Flow::Jump,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::JUMP_IF_NOT_EXC_MATCH => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(2),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        // 3.6-3.7: the block stack sends control to the loop's end, which
        // SETUP_LOOP already leads to (as in CPython's stackdepth()): no
        // successor of its own.
        Op::BREAK_LOOP => OpFacts {
            flow: Flow::Stop,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Always,
        },
        Op::CACHE | Op::ENTER_EXECUTOR | Op::INTERPRETER_EXIT | Op::RESERVED | Op::TRACE_RECORD => {
            OpFacts {
                flow: Flow::Next,
                reads: Reads::Fixed(0),
                removes: Removes::Reads,
                locals: LocalUse::Nothing,
                names: NameUse::Nothing,
                operand: ANY,
                sequence: Sequence::Free,
                functions: FunctionUse::Takes,
                runs: Runs::Internal,
            }
        }
        Op::INSTRUMENTED_FOR_ITER => OpFacts {
            flow: Flow::Branch,
            reads: Reads::Fixed(0),
            removes: Removes::Reads,
            locals: LocalUse::Nothing,
            names: NameUse::Nothing,
            operand: ANY,
            sequence: Sequence::Free,
            functions: FunctionUse::Takes,
            runs: Runs::Instrumented,
        },
    }
}

/// How control leaves `op`: its `flow`, where a `Branch` without a jump
/// argument in this version falls through.
pub fn flow_of(op: &OpInfo) -> Flow {
    match facts(op.op).flow {
        Flow::Branch if !op.is_jump() => Flow::Next,
        flow => flow,
    }
}

/// How many stack items an instruction reads, at least: its net effect
/// hides items it pops and pushes back (`BINARY_OP` pops two and pushes
/// one; 3.14's `RETURN_VALUE` has effect 0). The numbers are lower bounds,
/// never more than CPython really pops, so real code never underflows.
pub fn inputs(table: &OpcodeTable, op: &OpInfo, arg: u32) -> i32 {
    let a = arg.min(1 << 20) as i32;
    let n = match facts(op.op).reads {
        Reads::Fixed(n) => n,
        Reads::Arg => a,
        Reads::ArgPlus(n) => a.saturating_add(n),
        Reads::TwiceArg => a.saturating_mul(2),
        Reads::FormatValue => 1 + ((a >> 2) & 1),
        Reads::Interpolation => 2 + (a & 1),
        Reads::Call if table.args_at_precall => 2,
        Reads::Call => a.saturating_add(2),
        Reads::CallEx if table.call_ex_kwargs_slot_always => 4,
        Reads::CallEx => 2 + i32::from(table.call_ex_null_slot) + (a & 1),
        Reads::WithExit => table.with_exit_depth as i32,
    };
    n.max(-op.stack_effect(arg, false))
        .max(-op.stack_effect(arg, true))
}

/// How many of the `depth` stack items an instruction takes off before it
/// pushes.
pub fn removes(table: &OpcodeTable, op: &OpInfo, arg: u32, depth: usize) -> usize {
    let a = arg as usize;
    let n = match facts(op.op).removes {
        Removes::Reads => inputs(table, op, arg).max(0) as usize,
        Removes::Fixed(n) => n,
        Removes::ArgPlus(n) => a.saturating_add(n),
        Removes::Call if table.args_at_precall => 2,
        Removes::Call => a.saturating_add(2),
    };
    n.min(depth)
}

#[cfg(test)]
mod tests {
    use super::{facts, Operand};
    use crate::versions::Version;

    /// The string literals of Rust source `src`, as written (escapes
    /// left as they are). Comments, and the quotes of character literals,
    /// are skipped.
    fn string_literals(src: &str) -> Vec<String> {
        let b = src.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                // A character literal ('"', '\'', 'x'); a lifetime is
                // passed over one byte at a time.
                b'\'' if b.get(i + 1) == Some(&b'\\') => {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
                b'\'' if b.get(i + 2) == Some(&b'\'') => i += 3,
                b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                    && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
                {
                    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                    let open = i + 1 + hashes;
                    if b.get(open) != Some(&b'"') {
                        i += 1;
                        continue;
                    }
                    let close = format!("\"{}", "#".repeat(hashes));
                    let end = src[open + 1..]
                        .find(&close)
                        .map_or(b.len(), |k| open + 1 + k);
                    out.push(src[open + 1..end].to_string());
                    i = end + close.len();
                }
                b'"' => {
                    let start = i + 1;
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    out.push(src[start..i.min(b.len())].to_string());
                    i += 1;
                }
                _ => i += 1,
            }
        }
        out
    }

    /// The facts agree with what each version's table says of the same
    /// instruction, and the table is checked against the real interpreter
    /// (`opcodes::V` in `tests/versions.rs`: jump arguments from
    /// `dis.hasjrel`, local and name operands from `dis.haslocal` and
    /// `dis.hasname`). So a fact that contradicts the interpreter fails
    /// here, for every instruction of every version.
    #[test]
    fn facts_agree_with_every_table() {
        use super::*;
        use crate::versions::ArgKind;
        let mut checked = 0;
        for &v in Version::ALL {
            let table = v.table();
            for op in table.ops.iter().filter(|o| o.base.is_none()) {
                let f = facts(op.op);
                let what = format!("{v} {}", op.name);
                // Control goes to a target only through a jump argument;
                // a jump argument is followed unless the instruction only
                // uses it to find something (3.14's END_ASYNC_FOR finds
                // its SEND), or never runs from a code object.
                if flow_of(op) == Flow::Jump || flow_of(op) == Flow::Branch {
                    assert!(op.is_jump(), "{what}: {:?} without a jump argument", f.flow);
                }
                if op.is_jump() && f.runs == Runs::Always && op.op != Op::END_ASYNC_FOR {
                    assert!(
                        matches!(f.flow, Flow::Jump | Flow::Branch),
                        "{what}: a jump argument, but flow {:?}",
                        f.flow
                    );
                }
                // What it does to locals, it does to the locals its
                // argument names (a cell's slot too: MAKE_CELL).
                if f.locals != LocalUse::Nothing {
                    assert!(
                        matches!(op.arg, ArgKind::Local | ArgKind::LocalPair | ArgKind::Free),
                        "{what}: {:?} of a {:?} operand",
                        f.locals,
                        op.arg
                    );
                }
                let pair = matches!(
                    f.locals,
                    LocalUse::ReadsPair | LocalUse::SetsPair | LocalUse::SetsThenReads
                );
                assert_eq!(pair, op.arg == ArgKind::LocalPair, "{what}: {:?}", f.locals);
                // Module names are read or bound through a name operand.
                if !matches!(
                    f.names,
                    NameUse::Nothing | NameUse::ImportsAll | NameUse::Intrinsic
                ) {
                    assert!(
                        op.arg.uses_names(),
                        "{what}: {:?} of a {:?} operand",
                        f.names,
                        op.arg
                    );
                }
                // It reads at least what its stack effect takes away.
                for arg in [0u32, 1, 2, 3, 4, 7, 8, 15, 16, 255] {
                    for jump in [false, true] {
                        assert!(
                            inputs(table, op, arg) >= -op.stack_effect(arg, jump),
                            "{what} {arg}: reads less than it pops"
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 600, "only {checked} entries checked");
    }

    /// No instruction is named by a string in the analyses: each fact is
    /// the table's, or an exhaustive match on `Op`, so a new instruction
    /// cannot fall into a default unnoticed.
    /// An argument's accepted values have one owner: a range every
    /// version shares (`facts`) or the version's own list, not both; and a
    /// version lists an instruction once, with an argument it has.
    #[test]
    fn operand_values_have_one_owner() {
        for &v in Version::ALL {
            let t = v.table();
            for (k, ov) in t.operand_values.iter().enumerate() {
                assert_eq!(facts(ov.op).operand, Operand::Any, "{v}: {:?}", ov.op);
                assert!(
                    t.operand_values[..k].iter().all(|o| o.op != ov.op),
                    "{v}: {:?} listed twice",
                    ov.op
                );
                let info = t.by_op(ov.op).expect("listed instructions exist");
                assert!(info.has_arg(), "{v}: {} has no argument", info.name);
                assert!(ov.accepts(0) && ov.accepts(ov.max | ov.flags));
                assert!(!ov.accepts((ov.max | ov.flags) + 1));
            }
        }
    }

    #[test]
    fn the_analyses_spell_no_instruction_name() {
        let files = crate::analysis::tests::sources();
        assert!(files.len() >= 6, "{files:?}");
        let mut seen = 0;
        let mut found = Vec::new();
        for f in &files {
            let src = std::fs::read_to_string(f).unwrap();
            for lit in string_literals(&src) {
                seen += 1;
                if Version::ALL
                    .iter()
                    .any(|v| v.table().by_name(&lit).is_some())
                {
                    found.push(format!("{}: \"{lit}\"", f.display()));
                }
            }
        }
        // The scanner does find the literals there are.
        assert!(seen > 100, "only {seen} string literals found");
        assert!(
            found.is_empty(),
            "instruction names as strings:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_scanner_finds_strings_and_skips_comments_and_chars() {
        let src = r##"
            // "not this"
            /* "nor this" */
            let a = "one"; let q = '"'; let e = '\''; fn f<'a>(x: &'a str) {}
            let b = "two \" quoted"; let c = r#"three "raw""#; let d = br"x";
        "##;
        assert_eq!(
            string_literals(src),
            ["one", "two \\\" quoted", "three \"raw\"", "x"]
        );
    }
}
