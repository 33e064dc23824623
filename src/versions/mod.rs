//! CPython versions and their instruction sets.
//!
//! Each supported version has one module holding its opcode table: the single
//! source of truth for names, numbers, operand kinds, inline caches, jump
//! direction and stack effects. Everything else (assembler, disassembler,
//! analysis, completion) asks these tables and never hard-codes an opcode
//! number. Adding a version means adding a module and its magic number here.
//!
//! A version may have a table (`Version::TABLES`) before it is supported
//! (`Version::ALL`, 3.6 to 3.15): its table is checked against its
//! interpreter, but no `.python` line or `.pyc` reaches the assembler, the
//! disassembler or the analyses until it is.

pub mod builtins;
mod op;
mod v3_10;
mod v3_11;
mod v3_12;
mod v3_13;
mod v3_14;
mod v3_15;
mod v3_6;
mod v3_7;
mod v3_8;
mod v3_9;

pub use op::Op;
use rustc_hash::FxHashMap;
use std::fmt;
use std::sync::OnceLock;

/// The one list of versions: variant, name, magic number and module, in two
/// groups. The enum, `ALL`, `TABLES`, `magic`, `parse`, `as_str` and `table`
/// are all made from it, so a new version is one line here (and its
/// module). `tables_only` versions have a checked opcode table and nothing
/// else yet: `parse` and `from_magic` do not know them, so no text or `.pyc`
/// of theirs reaches the assembler or the disassembler. `supported` ones
/// are read and written. Each group is oldest first, and every tables-only
/// version is older than every supported one.
macro_rules! versions {
    (
        tables_only { $($old:ident = $old_name:literal, $old_magic:literal, $old_module:ident;)* }
        supported { $($variant:ident = $name:literal, $magic:literal, $module:ident;)* }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Version {
            $($old,)*
            $($variant,)*
        }

        impl Version {
            /// Every version pyasm reads and writes, oldest first.
            pub const ALL: &'static [Version] = &[$(Version::$variant),*];

            /// Every version with an opcode table, oldest first: `ALL` and
            /// the older versions whose tables are checked against their
            /// interpreters but which pyasm does not read or write yet.
            pub const TABLES: &'static [Version] =
                &[$(Version::$old,)* $(Version::$variant),*];

            /// The magic number at the start of a `.pyc` (the first two
            /// bytes, little endian; they are followed by `\r\n`).
            pub fn magic(self) -> u16 {
                match self {
                    $(Version::$old => $old_magic,)*
                    $(Version::$variant => $magic,)*
                }
            }

            /// A supported version by name; `None` for a tables-only one.
            pub fn parse(s: &str) -> Option<Version> {
                match s {
                    $($name => Some(Version::$variant),)*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Version::$old => $old_name,)*
                    $(Version::$variant => $name,)*
                }
            }

            /// Whether pyasm reads and writes this version (it is in `ALL`).
            pub fn is_supported(self) -> bool {
                match self {
                    $(Version::$old => false,)*
                    $(Version::$variant => true,)*
                }
            }

            /// The opcode table of this version.
            pub fn table(self) -> &'static OpcodeTable {
                match self {
                    $(Version::$old => {
                        static TABLE: OnceLock<OpcodeTable> = OnceLock::new();
                        TABLE.get_or_init(|| OpcodeTable::new(self, &$old_module::SPEC))
                    })*
                    $(Version::$variant => {
                        static TABLE: OnceLock<OpcodeTable> = OnceLock::new();
                        TABLE.get_or_init(|| OpcodeTable::new(self, &$module::SPEC))
                    })*
                }
            }
        }
    };
}

versions! {
    tables_only {
    }
    supported {
    V3_6 = "3.6", 3379, v3_6;
    V3_7 = "3.7", 3394, v3_7;
    V3_8 = "3.8", 3413, v3_8;
    V3_9 = "3.9", 3425, v3_9;
    V3_10 = "3.10", 3439, v3_10;
    V3_11 = "3.11", 3495, v3_11;
    V3_12 = "3.12", 3531, v3_12;
    V3_13 = "3.13", 3571, v3_13;
    V3_14 = "3.14", 3627, v3_14;
    V3_15 = "3.15", 3666, v3_15;
    }
}

impl Version {
    /// The names of every version in [`Version::ALL`], oldest first and
    /// separated by commas: how messages list the supported versions.
    pub fn names() -> String {
        let names: Vec<&str> = Version::ALL.iter().map(|v| v.as_str()).collect();
        names.join(", ")
    }

    pub fn from_magic(m: u16) -> Option<Version> {
        Version::ALL.iter().copied().find(|v| v.magic() == m)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an instruction's argument means, which decides how it is written in
/// `.pyasm` text. Every kind also accepts the raw form `#n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// The opcode takes no argument (the byte is normally 0).
    None,
    /// A plain number: a count, a small enum, an index without a table.
    Int,
    /// Index into `co_consts`.
    Const,
    /// Index into `co_names`.
    Name,
    /// 3.11 `LOAD_GLOBAL`: `(name index << 1) | push_null`.
    GlobalName,
    /// Index into the fast locals (`co_localsplusnames`; before 3.11,
    /// `co_varnames`: see `VersionSpec::localsplus`).
    Local,
    /// Index into `co_localsplusnames` naming a cell or free variable
    /// (before 3.11, into `co_cellvars` followed by `co_freevars`).
    Free,
    /// Relative jump forward, counted in the version's `jump_unit` from the
    /// end of the instruction and its caches.
    JumpForward,
    /// Relative jump backward, likewise.
    JumpBackward,
    /// Absolute jump (3.6-3.10: `JUMP_ABSOLUTE`, `POP_JUMP_IF_FALSE`,
    /// `JUMP_IF_TRUE_OR_POP`, `CONTINUE_LOOP`...): the target's offset
    /// from the start of the code, in the version's `jump_unit`.
    JumpAbsolute,
    /// 3.6-3.10 `SETUP_*`: pushes a block whose handler (for `SETUP_LOOP`,
    /// the loop's end) is a relative jump forward, in the version's
    /// `jump_unit`, from the end of the instruction. Execution falls
    /// through; the block stack sends control there.
    Handler,
    /// `COMPARE_OP`: index into the version's `cmp_ops`, packed as its
    /// `compare` says.
    Compare,
    /// `BINARY_OP`: index into the `NB_*` operator list.
    BinaryOp,
    /// `MAKE_FUNCTION` flag bits: defaults, kwdefaults, annotations, closure.
    MakeFunction,
    /// `FORMAT_VALUE`: conversion in the low two bits, `spec` in bit 2.
    FormatValue,
    /// `UNPACK_EX`: `before | (after << 8)`.
    UnpackEx,
    /// 3.12+ `LOAD_ATTR`: `(name index << 1) | method`, where `method`
    /// pushes `NULL|self` for a method call.
    AttrName,
    /// 3.12+ `LOAD_SUPER_ATTR`: `(name index << 2) | (two_arg << 1) | method`.
    SuperAttr,
    /// 3.15 `IMPORT_NAME`: `(name index << 2) | (eager << 1) | lazy`, the
    /// flags saying how `lazy import` (PEP 810) treats the import.
    ImportName,
    /// 3.13+ `LOAD_FAST_LOAD_FAST` and kin: two locals, `(first << 4) | second`.
    LocalPair,
    /// `CALL_INTRINSIC_1`: index into the version's unary intrinsics.
    Intrinsic1,
    /// `CALL_INTRINSIC_2`: index into the version's binary intrinsics.
    Intrinsic2,
    /// 3.14 `LOAD_COMMON_CONSTANT`: index into the common constants.
    CommonConstant,
    /// 3.14 `LOAD_SPECIAL`: index into the special method names.
    Special,
    /// 3.13+ `SET_FUNCTION_ATTRIBUTE`: one function-attribute flag.
    FunctionAttr,
    /// 3.13+ `CONVERT_VALUE`: 1 `str`, 2 `repr`, 3 `ascii`.
    Conversion,
}

impl ArgKind {
    /// Whether the argument names a place in the code, written as a label:
    /// the relative and absolute jumps, and 3.6-3.10's `SETUP_*`, whose
    /// argument is its block's handler. (Whether control goes there when
    /// the instruction runs is the analyses' business: a `SETUP_*` falls
    /// through, and the block stack sends control to its handler later.)
    pub fn is_jump(self) -> bool {
        matches!(
            self,
            ArgKind::JumpForward | ArgKind::JumpBackward | ArgKind::JumpAbsolute | ArgKind::Handler
        )
    }

    /// For kinds that pack flag bits below a `co_names` index, how many.
    pub fn name_shift(self) -> Option<u32> {
        match self {
            ArgKind::GlobalName | ArgKind::AttrName => Some(1),
            ArgKind::SuperAttr | ArgKind::ImportName => Some(2),
            _ => None,
        }
    }

    /// Kinds whose symbolic operand is a name in `co_names`.
    pub fn uses_names(self) -> bool {
        self == ArgKind::Name || self.name_shift().is_some()
    }
}

/// One instruction of one version.
#[derive(Clone, Copy, Debug)]
pub struct OpInfo {
    pub name: &'static str,
    /// The instruction; a specialized form carries its base's.
    pub op: Op,
    pub code: u8,
    pub arg: ArgKind,
    /// Inline cache entries (code units) that follow the instruction.
    pub caches: u8,
    /// For a specialized (adaptive) instruction, the instruction it
    /// specializes; `dis` and marshal always show the base form.
    pub base: Option<&'static str>,
    /// Stack effect for an argument: `(arg, jump)` where `jump` says whether
    /// the branch is taken. Instructions that never jump ignore it.
    pub effect: fn(u32, bool) -> i32,
}

impl OpInfo {
    pub fn has_arg(&self) -> bool {
        self.arg != ArgKind::None
    }
    pub fn is_jump(&self) -> bool {
        self.arg.is_jump()
    }
    pub fn stack_effect(&self, arg: u32, jump: bool) -> i32 {
        (self.effect)(arg, jump)
    }
}

/// How `COMPARE_OP` packs its argument in a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareEncoding {
    /// 3.6 to 3.11: the index into `cmp_op`.
    Index,
    /// 3.12: `(index << 4) | mask`, the mask being the comparison's
    /// outcome bits (`COMPARE_MASKS`).
    Masked,
    /// 3.13+: `(index << 5) | (to_bool << 4) | mask`.
    MaskedBool,
}

/// What an exhausted `FOR_ITER` does at its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForIterExit {
    /// 3.11: pops the iterator and jumps; the target is any instruction.
    PopsIterator,
    /// Jumps past the `END_FOR` at its target without running it, so one
    /// must be there.
    SkipsEndFor,
    /// 3.13: jumps past the `END_FOR` and the `POP_TOP` after it.
    SkipsEndForAndPopTop,
}

/// Outcome bits CPython 3.12+ stores beside each comparison, by `cmp_op`
/// index: `<` `<=` `==` `!=` `>` `>=`.
pub const COMPARE_MASKS: [u32; 6] = [2, 10, 8, 7, 4, 12];

/// What a version's jump arguments count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpUnit {
    /// 3.6-3.9: bytes (two per instruction, so every target is even).
    Bytes,
    /// 3.10 on: code units (instructions and inline caches).
    CodeUnits,
}

/// Everything one version module provides.
///
/// Fields about things a version lacks (`PRECALL`, `RESUME`, exception
/// tables, intrinsics...) still get an honest value for it: an empty list,
/// or the answer that describes its instructions, as each field says.
pub struct VersionSpec {
    pub ops: &'static [OpInfo],
    /// Binary operator symbols, by `BINARY_OP` argument (empty before 3.11,
    /// which has one instruction per operator instead).
    pub nb_ops: &'static [&'static str],
    /// Comparison operator symbols, by `COMPARE_OP` index (`opcode.cmp_op`).
    pub cmp_ops: &'static [&'static str],
    pub compare: CompareEncoding,
    /// What jump arguments count: bytes to 3.9, code units from 3.10.
    pub jump_unit: JumpUnit,
    /// Variable names live in one `co_localsplusnames` (3.11 on), which
    /// `Local` and `Free` arguments index; otherwise in `co_varnames`,
    /// `co_cellvars` and `co_freevars`, `Local` indexing the first and
    /// `Free` the other two one after the other. This also decides the
    /// marshal layout of a code object: with localsplus it has
    /// `co_qualname` and `co_exceptiontable`; without, `co_nlocals` and the
    /// three tuples instead (`code::SplitVars`).
    pub localsplus: bool,
    /// Names of `CALL_INTRINSIC_1` / `_2` arguments (empty before 3.12).
    pub intrinsic1: &'static [&'static str],
    pub intrinsic2: &'static [&'static str],
    /// `LOAD_COMMON_CONSTANT` names (3.14+), as written in `.pyasm` text.
    pub common_constants: &'static [&'static str],
    /// `LOAD_SPECIAL` names (3.14).
    pub special_methods: &'static [&'static str],
    /// `SET_FUNCTION_ATTRIBUTE` / `MAKE_FUNCTION` flag names, by bit.
    pub function_flags: &'static [(u32, &'static str)],
    /// 3.11 accounts for a call's arguments at `PRECALL`; `CALL` then
    /// takes only the callable and its NULL or self. (False where there is
    /// no `PRECALL`.)
    pub args_at_precall: bool,
    /// A call's stack is `[callable, NULL or self, args...]`, so
    /// `LOAD_GLOBAL` and a method `LOAD_ATTR` push the NULL or self above
    /// what they load; otherwise `[NULL or method, callable or self,
    /// args...]`, the NULL below (also 3.7-3.10's `LOAD_METHOD`, the only
    /// NULL before 3.11).
    pub null_above_callable: bool,
    /// What an exhausted `FOR_ITER` does when it jumps to its target.
    pub for_iter_exit: ForIterExit,
    /// `LOAD_FAST` (and `LOAD_CLOSURE`) raise `UnboundLocalError` on an
    /// unbound local; otherwise they read its NULL without looking.
    pub load_fast_checks_unbound: bool,
    /// `POP_TOP` also drops a NULL (a `with` leaves `LOAD_SPECIAL`'s NULL
    /// or self to it).
    pub pop_top_takes_null: bool,
    /// How far below the top `WITH_EXCEPT_START` finds the `__exit__` it
    /// calls (the exception being 1; in 3.9 and 3.10 the exception is
    /// three slots, type on top, and the previous one three more). 0 before
    /// 3.9, which has no `WITH_EXCEPT_START`.
    pub with_exit_depth: usize,
    /// `CALL_FUNCTION_EX` always has a slot for the keyword arguments
    /// (NULL when there are none), rather than one when its argument's
    /// bit 0 asks for it.
    pub call_ex_kwargs_slot_always: bool,
    /// `CALL_FUNCTION_EX` has a slot beside its callable for NULL or self,
    /// as every call does from 3.11 on; before, it takes the callable, the
    /// argument tuple and the keywords when its argument says so.
    pub call_ex_null_slot: bool,
    /// A function's annotations may be any object (an `__annotate__`
    /// function's era); otherwise a tuple of name and value pairs or a
    /// dict.
    pub annotations_any_object: bool,
    /// The code keeps the indices of its conditional annotations in a set
    /// under `__conditional_annotations__`, which `SET_ADD` adds to
    /// without checking that it is one.
    pub conditional_annotations_set: bool,
    /// A function's first constant is its docstring when it is a string.
    pub first_const_is_docstring: bool,
    /// An iterator on the stack takes two slots: the iterator (or the
    /// iterable itself) and above it an index or NULL. `GET_ITER` pushes
    /// both, `FOR_ITER` finds the iterator under the second, `POP_ITER`
    /// drops both, and a `SEND` receiver has the same two slots.
    pub iterator_index_slot: bool,
    /// A generator expression's code makes its argument an iterator before
    /// it becomes a generator (`RESUME`, `LOAD_FAST .0`, `GET_ITER` or
    /// `GET_AITER`, `RETURN_GENERATOR`), so a bad argument fails at the
    /// call.
    pub genexpr_prologue_gets_iter: bool,
    /// A generator's catch-all handler (`CALL_INTRINSIC_1
    /// INTRINSIC_STOPITERATION_ERROR`, `RERAISE`) records the depth its
    /// body starts at, the iterator's slots included, even where the loop
    /// has dropped them; it reads only what unwinding pushes.
    pub stopiteration_handler_keeps_body_depth: bool,
    /// The location table gives consecutive instructions at the same
    /// position one run; otherwise each instruction has entries of its own.
    /// (True before 3.11, whose line tables only record where the line
    /// changes.)
    pub linetable_merges_runs: bool,
    /// Marshal has the slice type (`:`).
    pub marshal_slices: bool,
    /// Marshal has the frozendict type (`}`).
    pub marshal_frozendict: bool,
    /// A `.pyc` header has a flags word after the magic number (PEP 552,
    /// 3.7 on: 16 bytes, and hash-based files); otherwise it is 12 bytes,
    /// magic number, source mtime and source size.
    pub pyc_flags_word: bool,
    /// A code object has `co_posonlyargcount` (3.8 on, marshalled after
    /// `co_argcount`).
    pub code_posonlyargcount: bool,
    /// What a code object's line table is and which field holds it.
    pub line_table: LineTable,
    /// The arguments of the instructions whose accepted values differ
    /// between versions (`RESUME`, `YIELD_VALUE`...; none listed yet
    /// before 3.11). Ranges that every
    /// version shares are `analysis::facts`'s (`Operand::Range`); an
    /// instruction is in one place or the other, never both.
    pub operand_values: &'static [OperandValues],
    /// `POP_JUMP_IF_TRUE`, `POP_JUMP_IF_FALSE` and `UNARY_NOT` take an
    /// exact bool (what `TO_BOOL` leaves) and test it by identity: any
    /// other object counts as false (`POP_JUMP_IF_TRUE` falls through on
    /// `1`). Otherwise they ask the object's truth themselves.
    pub truth_tests_need_bool: bool,
    /// The code's own first instructions make its cells (`MAKE_CELL`),
    /// copy its closure into its free variables (`COPY_FREE_VARS`) and
    /// make its generator (`RETURN_GENERATOR`), and the verifier checks
    /// that they do (3.11 on). Otherwise the interpreter does all of that
    /// when it makes the frame: cells and free variables hold their cells
    /// from the first instruction, and no such prologue exists.
    pub frame_prologue: bool,
    /// An exception on the stack is three values, its traceback, value and
    /// type (the type on top), and the exception a handler saves three more
    /// (3.6-3.10); otherwise one object each.
    pub exception_is_three_values: bool,
    /// CPython's `stackdepth()` gives an instruction that paths reach at
    /// different depths the largest of them, and the code relies on it: a
    /// `finally` block is entered with the six values of an exception, or
    /// with fewer by `BEGIN_FINALLY` and `CALL_FINALLY`, and `END_FINALLY`
    /// and `POP_FINALLY` pop what its entry pushed (3.7 and 3.8). Otherwise
    /// every path reaches an instruction at one depth, and paths that
    /// disagree are an error.
    pub stack_depth_is_largest: bool,
    /// The frame keeps a block stack beside the value stack (3.6-3.10):
    /// `SETUP_*` push a block, `POP_BLOCK` and `POP_EXCEPT` pop one, an
    /// exception enters the innermost block's handler through it, and
    /// CPython checks none of it (see `analysis::blockstack`). From 3.11
    /// on, the exception table says the same statically.
    pub block_stack: bool,
    /// `return`, `break` and `continue` unwind the block stack at run time
    /// (3.6-3.7, CPython's `why` codes): `RETURN_VALUE`, `BREAK_LOOP` and
    /// `CONTINUE_LOOP` leave the blocks above their target, entering each
    /// `finally` body on the way with the return value and a code, which
    /// its `END_FINALLY` goes on unwinding with; a `finally` body the code
    /// falls into starts with None; `POP_BLOCK` cuts the value stack to
    /// the block's level.
    pub unwinds_by_why: bool,
    /// A `finally` block (and a `with` statement's cleanup) is entered
    /// with the six values of an exception, its type on top, or with one
    /// value that the compiler counts as six: `BEGIN_FINALLY`'s NULL, or
    /// the return offset `CALL_FINALLY` pushes. `END_FINALLY`,
    /// `POP_FINALLY` and `WITH_CLEANUP_START` decide at run time from that
    /// top value whether to go on, jump back to the offset or raise, so
    /// any other value there crashes the interpreter (3.8). The verifier
    /// follows the entry as kinds of their own (the value, and the five
    /// slots counted but not there below it) that only those instructions
    /// read, and every path into an instruction must bring the same
    /// number of slots. (It follows the exception a handler saves, which
    /// `POP_EXCEPT` restores from the top three slots, the same way.)
    pub finally_entry_marked: bool,
    /// CPython's `co_stacksize` counts code that no path reaches (3.11 on,
    /// whose compiler walks dead handlers from their `try`); before, its
    /// `stackdepth()` walks only from the entry.
    pub stacksize_counts_unreachable: bool,
    /// CPython computes `co_stacksize` before its peephole optimizer
    /// rewrites the code (3.6-3.9: it folds constant tuples, which lowers
    /// the depth the code needs, and removes jumps to jumps), so the size
    /// the final code needs can differ from the recorded one either way,
    /// and the disassembler writes `.stacksize` where it does. From 3.10
    /// on, the size is computed from the final code.
    pub stacksize_before_peephole: bool,
    /// `MAKE_FUNCTION` takes the function's qualified name from the top
    /// of the stack, above the code object (3.6-3.10, whose code objects
    /// have no `co_qualname`).
    pub make_function_takes_qualname: bool,
    /// What the compiler counts for instructions whose effect on the stack
    /// it gets wrong (3.6: `dis.stack_effect` and the `co_stacksize` the
    /// compiler computes, which only ever over-counts): the larger of the
    /// two branches, as that version's `dis.stack_effect` answers. The
    /// table's own effects say what the instruction does when it runs,
    /// which is what every analysis follows; `opcodes` in
    /// `tests/versions.rs` checks these numbers against the interpreter,
    /// and the run-time effects against the next version's table.
    pub counted_effects: &'static [(Op, i32)],
    /// CPython sizes the stack by its compiler's own depth-first walk
    /// (3.6's `stackdepth_walk`), which over-counts: every instruction
    /// counts the larger of its two branches (`counted_effects` where
    /// given), on the fall-through too, the handler of `SETUP_EXCEPT` and
    /// `SETUP_FINALLY` three more, the exit of `FOR_ITER` two less, the
    /// fall-through of `JUMP_IF_*_OR_POP` one less, nothing past an
    /// unconditional jump (nor, in the final code, past a return: see
    /// `stack::counted_walk`), and a
    /// block is walked again only when reached deeper than before. The
    /// assembler's stack size is that walk's, where it is larger than what
    /// the code needs (see `stack::analyze`).
    pub stacksize_counted_walk: bool,
    /// Where a yield says that no handler but the generator's own encloses
    /// it, which lets `close()` finish the generator without throwing
    /// `GeneratorExit` into it.
    pub close_mark: CloseMark,
    /// `YIELD_FROM` sends None to a receiver that is no generator or
    /// coroutine by calling its type's `tp_iternext` without looking
    /// whether it has one (3.6-3.9; 3.10's `PyIter_Send` looks): the
    /// receiver must be an iterator, or what `GET_YIELD_FROM_ITER`,
    /// `GET_AWAITABLE` or `GET_ANEXT` leaves. None there crashes it.
    pub yield_from_trusts_receiver: bool,
    /// `GET_AITER` leaves an awaitable's iterator, which `YIELD_FROM` then
    /// drives to get the asynchronous iterator (3.6's `async for`); later
    /// it leaves that iterator itself, which `GET_ANEXT` reads.
    pub get_aiter_awaits: bool,
}

/// The format of a code object's line table. Marshal stores each as
/// bytes in the same place; they differ in meaning and in the field's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineTable {
    /// 3.6-3.9's `co_lnotab`: pairs of (bytecode offset, line) increments.
    Lnotab,
    /// 3.10's `co_linetable` (PEP 626): pairs of (byte range, line delta),
    /// where a line delta of -128 means no line.
    Lines,
    /// 3.11's `co_linetable`: location entries with lines and columns
    /// (`code::linetable`).
    Locations,
}

impl LineTable {
    /// The code object field that holds the table.
    pub fn field_name(self) -> &'static str {
        match self {
            LineTable::Lnotab => "co_lnotab",
            LineTable::Lines | LineTable::Locations => "co_linetable",
        }
    }

    /// Whether a position written on an instruction is a change of line
    /// the table records there, and an instruction without one records
    /// nothing (`co_lnotab`, whose 3.6-3.8 compilers record a change at
    /// every statement, even on the line already current). Otherwise a
    /// position is the instruction's own, and one not written is the one
    /// before it (sticky).
    pub fn positions_are_changes(self) -> bool {
        self == LineTable::Lnotab
    }
}

/// How a version marks a yield that only the generator's own handler
/// encloses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseMark {
    /// 3.11-3.12: not at all; `close()` always throws in. (3.12's
    /// `YIELD_VALUE` counts the handlers around it, but nothing reads it.)
    Absent,
    /// 3.13+: the flag bits of the `RESUME` after the yield (the `flags`
    /// of its `operand_values`).
    ResumeFlag,
}

/// The arguments one instruction accepts in one version: a field in the
/// bits of `field` that holds 0 to `max`, and beside it any of the flag bits
/// `flags`; nothing else. (A plain range from 0 is a field of every bit.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperandValues {
    pub op: Op,
    pub field: u32,
    pub max: u32,
    pub flags: u32,
    /// What the values mean, in the diagnostic and the docs.
    pub meaning: &'static str,
}

impl OperandValues {
    /// Values 0 to `max`.
    pub const fn upto(op: Op, max: u32, meaning: &'static str) -> Self {
        OperandValues {
            op,
            field: u32::MAX,
            max,
            flags: 0,
            meaning,
        }
    }

    pub fn accepts(&self, a: u32) -> bool {
        a & self.field <= self.max && a & !(self.field | self.flags) == 0
    }

    /// The accepted values in words: "0 to 3", "0 to 3, or any of them
    /// plus 4".
    pub fn values_text(&self) -> String {
        let base = match self.max {
            0 => "0".to_string(),
            1 => "0 or 1".to_string(),
            m => format!("0 to {m}"),
        };
        match self.flags {
            0 => base,
            f => format!("{base}, or any of them plus {f}"),
        }
    }
}

impl VersionSpec {
    /// Where an instruction of argument kind `kind` with argument `arg`
    /// lands, as a code unit offset, when its code (prefixes and caches
    /// included) ends at code unit `end`: relative kinds (`Handler` is a
    /// relative jump forward) count from `end`, `JumpAbsolute` from the
    /// start of the code, all in the version's `jump_unit`. `None` for
    /// other kinds, an argument that lands before the code or past what a
    /// `u32` holds, and a byte count that is odd (no instruction starts in
    /// the middle of a code unit). The one owner of this arithmetic; its
    /// inverse is [`VersionSpec::jump_arg`].
    pub fn jump_target(&self, kind: ArgKind, end: u32, arg: u32) -> Option<u32> {
        let units = match self.jump_unit {
            JumpUnit::CodeUnits => arg,
            JumpUnit::Bytes if arg.is_multiple_of(2) => arg / 2,
            JumpUnit::Bytes => return None,
        };
        match kind {
            ArgKind::JumpForward | ArgKind::Handler => end.checked_add(units),
            ArgKind::JumpBackward => end.checked_sub(units),
            ArgKind::JumpAbsolute => Some(units),
            _ => None,
        }
    }

    /// The argument that makes an instruction of kind `kind` whose code
    /// ends at code unit `end` land at code unit `target`: the inverse of
    /// [`VersionSpec::jump_target`]. `None` when it cannot (a relative jump
    /// the wrong way, an argument past what a `u32` holds, a kind that
    /// does not jump).
    pub fn jump_arg(&self, kind: ArgKind, end: u32, target: u32) -> Option<u32> {
        let units = match kind {
            ArgKind::JumpForward | ArgKind::Handler => target.checked_sub(end)?,
            ArgKind::JumpBackward => end.checked_sub(target)?,
            ArgKind::JumpAbsolute => target,
            _ => return None,
        };
        match self.jump_unit {
            JumpUnit::CodeUnits => Some(units),
            JumpUnit::Bytes => units.checked_mul(2),
        }
    }
}

impl VersionSpec {
    /// What the version's compiler counts for `op` with argument `arg`
    /// when it sizes the stack (`stacksize_counted_walk`), as its
    /// `dis.stack_effect` answers: `counted_effects` where given, else the
    /// larger of the two branches.
    pub fn counted_effect(&self, op: &OpInfo, arg: u32) -> i32 {
        match self.counted_effects.iter().find(|(o, _)| *o == op.op) {
            Some(&(_, e)) => e,
            None => op.stack_effect(arg, true).max(op.stack_effect(arg, false)),
        }
    }

    /// What this version accepts as `op`'s argument, where that is the
    /// version's own.
    pub fn operand_values(&self, op: Op) -> Option<&'static OperandValues> {
        self.operand_values.iter().find(|v| v.op == op)
    }
}

/// Indexed view of one version's instruction list.
pub struct OpcodeTable {
    pub version: Version,
    /// Everything the version module states: its instructions, operand
    /// lists and quirks, read through the table (`Deref`), never copied.
    pub spec: &'static VersionSpec,
    by_code: [Option<u16>; 256],
    by_name: FxHashMap<&'static str, u16>,
    /// By `Op`: the entry of its own name, when this version has one.
    by_op: Vec<Option<u16>>,
}

/// A table is its version's spec with indexes beside it: `table.ops`,
/// `table.args_at_precall` and the rest are the spec's own fields.
impl std::ops::Deref for OpcodeTable {
    type Target = VersionSpec;
    fn deref(&self) -> &VersionSpec {
        self.spec
    }
}

impl OpcodeTable {
    fn new(version: Version, spec: &'static VersionSpec) -> Self {
        let ops = spec.ops;
        let mut by_code = [None; 256];
        let mut by_name = FxHashMap::default();
        let mut by_op = vec![None; Op::ALL.len()];
        for (i, op) in ops.iter().enumerate() {
            assert!(
                by_code[op.code as usize].is_none(),
                "duplicate opcode {}",
                op.code
            );
            by_code[op.code as usize] = Some(i as u16);
            by_name.insert(op.name, i as u16);
            if op.base.is_none() {
                by_op[op.op as usize] = Some(i as u16);
            }
        }
        OpcodeTable {
            version,
            spec,
            by_code,
            by_name,
            by_op,
        }
    }

    pub fn by_code(&self, code: u8) -> Option<&'static OpInfo> {
        self.by_code[code as usize].map(|i| &self.ops[i as usize])
    }

    pub fn by_name(&self, name: &str) -> Option<&'static OpInfo> {
        self.by_name.get(name).map(|&i| &self.ops[i as usize])
    }

    /// The entry of `op` itself (not a specialized form of it).
    pub fn by_op(&self, op: Op) -> Option<&'static OpInfo> {
        self.by_op[op as usize].map(|i| &self.ops[i as usize])
    }

    pub fn extended_arg(&self) -> u8 {
        self.by_name("EXTENDED_ARG").expect("EXTENDED_ARG").code
    }

    /// `CACHE`'s number (3.11 on: older versions have no inline caches).
    pub fn cache(&self) -> u8 {
        self.by_name("CACHE").expect("CACHE").code
    }

    /// Instruction names, for completion and "did you mean" suggestions.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.ops.iter().map(|o| o.name)
    }
}

/// `opcode.cmp_op`, shared by 3.9 to 3.15.
pub const CMP_OPS: &[&str] = &["<", "<=", "==", "!=", ">", ">="];

/// `opcode.cmp_op` of 3.6 to 3.8: the six comparisons, then the tests that
/// 3.9 moved to `CONTAINS_OP`, `IS_OP` and `JUMP_IF_NOT_EXC_MATCH`, and
/// `BAD`, a placeholder the compiler never writes.
pub const CMP_OPS_3_6: &[&str] = &[
    "<",
    "<=",
    "==",
    "!=",
    ">",
    ">=",
    "in",
    "not in",
    "is",
    "is not",
    "exception match",
    "BAD",
];

/// `opcode._nb_ops` symbols, in argument order.
pub const NB_OPS: &[&str] = &[
    "+", "&", "//", "<<", "@", "*", "%", "|", "**", ">>", "-", "/", "^", "+=", "&=", "//=", "<<=",
    "@=", "*=", "%=", "|=", "**=", ">>=", "-=", "/=", "^=",
];

/// `MAKE_FUNCTION` flag names, by bit.
pub const MAKE_FUNCTION_FLAGS: &[(u32, &str)] = &[
    (0x01, "defaults"),
    (0x02, "kwdefaults"),
    (0x04, "annotations"),
    (0x08, "closure"),
];

/// `FORMAT_VALUE` conversions (low two bits) and the spec bit.
pub const FORMAT_CONVERSIONS: &[(u32, &str)] = &[(1, "str"), (2, "repr"), (3, "ascii")];
pub const FORMAT_SPEC: u32 = 0x04;

#[cfg(test)]
mod tests {
    use super::{ArgKind, JumpUnit, Version};

    /// `jump_arg` is `jump_target`'s inverse for every jump kind and unit,
    /// and each kind counts from where it should.
    #[test]
    fn jump_arg_inverts_jump_target() {
        let kinds = [
            ArgKind::JumpForward,
            ArgKind::JumpBackward,
            ArgKind::JumpAbsolute,
            ArgKind::Handler,
        ];
        let mut units = Vec::new();
        for &v in Version::ALL {
            let t = v.table();
            units.push(t.jump_unit);
            for k in kinds {
                for end in [1u32, 2, 7, 300] {
                    for target in [0u32, 1, 5, 7, 8, 299, 300, 301, 70_000] {
                        match t.jump_arg(k, end, target) {
                            Some(a) => {
                                assert_eq!(t.jump_target(k, end, a), Some(target), "{v} {k:?}")
                            }
                            None => assert!(
                                matches!(k, ArgKind::JumpForward | ArgKind::Handler)
                                    && target < end
                                    || k == ArgKind::JumpBackward && target > end,
                                "{v} {k:?} {end} -> {target}"
                            ),
                        }
                    }
                }
            }
            let scale = if t.jump_unit == JumpUnit::Bytes { 2 } else { 1 };
            assert_eq!(t.jump_target(ArgKind::JumpForward, 10, 4 * scale), Some(14));
            assert_eq!(t.jump_target(ArgKind::Handler, 10, 4 * scale), Some(14));
            assert_eq!(t.jump_target(ArgKind::JumpBackward, 10, 4 * scale), Some(6));
            assert_eq!(t.jump_target(ArgKind::JumpAbsolute, 10, 4 * scale), Some(4));
            assert_eq!(t.jump_target(ArgKind::Const, 10, 4), None);
            if scale == 2 {
                // No instruction starts in the middle of a code unit.
                assert_eq!(t.jump_target(ArgKind::JumpAbsolute, 10, 5), None);
            }
        }
        assert!(units.contains(&JumpUnit::Bytes) && units.contains(&JumpUnit::CodeUnits));
    }

    /// `TABLES` is oldest first (by name, order and magic number alike),
    /// ends with `ALL`, and only `ALL` is known by name and magic number.
    #[test]
    fn tables_are_oldest_first_and_end_with_the_supported_versions() {
        let minor = |v: &Version| v.as_str()[2..].parse::<u32>().unwrap();
        for pair in Version::TABLES.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
            assert!(minor(&pair[0]) < minor(&pair[1]), "{pair:?}");
            assert!(pair[0].magic() < pair[1].magic(), "{pair:?}");
        }
        assert!(Version::TABLES.ends_with(Version::ALL));
        for &v in Version::TABLES {
            assert_eq!(v.is_supported(), Version::ALL.contains(&v), "{v}");
            assert_eq!(
                Version::parse(v.as_str()).is_some(),
                v.is_supported(),
                "{v}"
            );
            assert_eq!(
                Version::from_magic(v.magic()).is_some(),
                v.is_supported(),
                "{v}"
            );
            assert_eq!(
                Version::names().contains(v.as_str()),
                v.is_supported(),
                "{v}"
            );
        }
    }
}
