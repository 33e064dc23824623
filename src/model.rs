//! The meaning of a `.pyasm` file, between text and bytes.
//!
//! Lowering turns a syntax tree into a `Module`; the disassembler turns code
//! objects into one; the assembler turns one into code objects and the printer
//! into text. Everything the text can say is representable here, and every
//! optional field is an `Option` whose `None` means "let the assembler work it
//! out". Spans are byte ranges in the source text (empty for values that did
//! not come from text).

use crate::code::linetable::Position;
use crate::code::{Obj, PyStr};
use crate::pyc::PycHeader;
use crate::versions::Version;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

pub type Span = Range<usize>;

#[derive(Clone, Debug)]
pub struct Module {
    pub version: Version,
    /// The `.pyc` header to write; `None` writes a timestamp header of zeros.
    pub header: Option<PycHeader>,
    /// `blocks[0]` is the module's own code object; the others are reached
    /// through `@name` constants, in any order.
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub name: String,
    pub span: Span,
    pub argcount: Option<u32>,
    pub posonlyargcount: Option<u32>,
    pub kwonlyargcount: Option<u32>,
    pub stacksize: Option<u32>,
    pub flags: Option<u32>,
    pub firstlineno: Option<i32>,
    pub filename: Option<PyStr>,
    pub name_field: Option<PyStr>,
    pub qualname: Option<PyStr>,
    /// Declared fast locals, in order. Locals used by `LOAD_FAST`-style
    /// instructions but not declared are appended after these.
    pub vars: Vec<Var>,
    /// 3.6-3.10: `co_nlocals`, where it is not the number of `local`
    /// variables.
    pub nlocals: Option<u32>,
    /// 3.6-3.10: `co_cellvars` in its own order, where that is not the
    /// order of the `cell` variables.
    pub cellvars: Option<Vec<PyStr>>,
    /// Pinned start of `co_consts`; constants first used by instructions
    /// follow in order of first use.
    pub consts: Vec<Constant>,
    /// Pinned start of `co_names`, likewise.
    pub names: Vec<PyStr>,
    pub body: Vec<Stmt>,
    pub excepts: Vec<Except>,
    /// A location table given as raw bytes, replacing the per-instruction
    /// positions.
    pub linetable: Option<Vec<u8>>,
    /// An exception table given as raw bytes, replacing `.except` entries.
    pub exceptiontable: Option<Vec<u8>>,
    /// `.verbatim`: each instruction is exactly one code unit, with no
    /// EXTENDED_ARG or cache entries added (for code the structured form
    /// cannot express).
    pub verbatim: bool,
    /// Spans of directives, for diagnostics that point at a field.
    pub field_spans: Vec<(&'static str, Span)>,
}

/// A block's statements, read where they lie: its own `body`, or runs kept
/// elsewhere. The language server keeps a big block's lines in pieces and
/// assembles them in place, rather than moving 100,000 statements into one
/// `body` and back for every edit.
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    One(&'a [Stmt]),
    Runs(&'a [&'a [Stmt]]),
}

impl<'a> Body<'a> {
    pub fn iter(self) -> impl Iterator<Item = &'a Stmt> + 'a {
        let (one, runs): (&'a [Stmt], &'a [&'a [Stmt]]) = match self {
            Body::One(s) => (s, &[]),
            Body::Runs(r) => (&[], r),
        };
        one.iter().chain(runs.iter().flat_map(|r| r.iter()))
    }

    /// The instructions, in order.
    pub fn instrs(self) -> impl Iterator<Item = &'a Instr> + 'a {
        self.iter().filter_map(|s| match s {
            Stmt::Instr(i) => Some(i),
            Stmt::Label(..) => None,
        })
    }
}

impl Block {
    /// The block's own statements as a [`Body`].
    pub fn stmts(&self) -> Body<'_> {
        Body::One(&self.body)
    }

    pub fn field_span(&self, field: &str) -> Span {
        self.field_spans
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| self.span.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: PyStr,
    pub kinds: u8,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Label(String, Span),
    Instr(Instr),
}

#[derive(Clone, Debug)]
pub struct Instr {
    pub opcode: u8,
    pub arg: Arg,
    /// Source position; positions are sticky in the text, so lowering has
    /// already filled in the inherited ones.
    pub pos: Position,
    pub span: Span,
    /// Span of the operand(s), for diagnostics.
    pub arg_span: Span,
    /// At least this many EXTENDED_ARG prefixes, even where fewer would
    /// hold the argument (written as bare `EXTENDED_ARG` lines before it).
    pub min_ext: u8,
}

/// An operand, as written. Table operands are either symbolic (a value or
/// name looked up in the table) or an exact index (`#n`).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Nothing written: the argument is 0.
    None,
    /// An exact argument: `#n`, a number, or a symbolic form of a packed
    /// argument (operators, flag words) already converted to its value.
    /// For table kinds it is the table index.
    Value(u32),
    /// A constant, looked up in (or added to) `co_consts`.
    Const(Constant),
    /// A name, looked up in `co_names` or the fast locals depending on the
    /// instruction.
    Name(PyStr),
    /// A name with flag bits packed beside it: `LOAD_GLOBAL` (bit 0: push
    /// NULL), 3.12+ `LOAD_ATTR` (bit 0: method, pushes `NULL|self`) and
    /// `LOAD_SUPER_ATTR` (bit 0: method, bit 1: two-argument `super`).
    NameFlags { flags: u32, name: NameRef },
    /// Two fast locals packed in one argument (3.13+ `LOAD_FAST_LOAD_FAST`).
    Pair(NameRef, NameRef),
    /// A jump target.
    Label(String),
    /// A line that did not lower (an unknown opcode or an operand that is
    /// not one): it keeps its place in the block, so that the analyses see
    /// an instruction of unknown effect there rather than a gap, and say
    /// nothing about what follows from it. Only lowering makes it, always
    /// beside an error; such a block is never written.
    Broken,
}

impl Arg {
    /// Whether the operand holds an index or a number as written (a
    /// `Value`, or a name written `#n`), which nothing checked against the
    /// tables or the code while resolving it.
    pub fn has_exact_part(&self) -> bool {
        match self {
            Arg::Value(_) => true,
            Arg::NameFlags { name, .. } => matches!(name, NameRef::Index(_)),
            Arg::Pair(a, b) => matches!(a, NameRef::Index(_)) || matches!(b, NameRef::Index(_)),
            Arg::None | Arg::Const(_) | Arg::Name(_) | Arg::Label(_) | Arg::Broken => false,
        }
    }
}

/// A constant as a block gives it: an operand or a pinned `.consts` entry.
/// Its hash, and whether it refers to other blocks, are found once, when
/// it is made (its line lowered, or a code object disassembled): a block
/// is assembled again after every edit in it, and then a constant on a line
/// the edit did not touch costs nothing, however large it is. Equal
/// constants are equal values ([`Obj`]'s equality); the hash only makes
/// unequal ones quick to tell apart.
///
/// The value is shared: a block is copied (for a request of the language
/// server, or a try of the disassembler) without copying its constants.
#[derive(Clone, Debug)]
pub struct Constant {
    value: Arc<Obj>,
    hash: u64,
    refers: bool,
}

impl Constant {
    pub fn new(value: Obj) -> Constant {
        let hash = {
            let mut h = rustc_hash::FxHasher::default();
            value.hash(&mut h);
            h.finish()
        };
        let mut refers = false;
        value.each_code_ref(&mut |_| refers = true);
        Constant {
            value: Arc::new(value),
            hash,
            refers,
        }
    }

    pub fn value(&self) -> &Obj {
        &self.value
    }

    /// Calls `f` with the name of every block the value refers to
    /// (`@name`), at any depth; nothing to walk for most constants.
    pub fn each_code_ref(&self, f: &mut dyn FnMut(&str)) {
        if self.refers {
            self.value.each_code_ref(f);
        }
    }
}

impl From<Obj> for Constant {
    fn from(value: Obj) -> Constant {
        Constant::new(value)
    }
}

impl std::ops::Deref for Constant {
    type Target = Obj;
    fn deref(&self) -> &Obj {
        &self.value
    }
}

impl PartialEq for Constant {
    fn eq(&self, other: &Constant) -> bool {
        // A table looks up the very constant it was built from: the same
        // one, at no cost however large.
        std::ptr::eq(self, other) || (self.hash == other.hash && self.value == other.value)
    }
}

impl Eq for Constant {}

impl Hash for Constant {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NameRef {
    Index(u32),
    Name(PyStr),
}

#[derive(Clone, Debug)]
pub struct Except {
    pub start: String,
    pub end: String,
    pub handler: String,
    pub depth: Option<u32>,
    pub lasti: bool,
    pub span: Span,
}
