//! CPython's `marshal` format: the bytes that follow a `.pyc` header.
//!
//! `reader` turns bytes into the object model of [`crate::code`] and `writer`
//! turns it back into bytes. They mirror each other: one function per type
//! code on each side, so a change to one shows where the other needs it.
//!
//! The reader is fed untrusted files. It never panics and never recurses
//! (nesting costs heap, not machine stack, and is limited as CPython limits
//! it), checks every length against the bytes that are really there before
//! it allocates, and bounds how much a chain of back-references can copy.
//! Every error names the byte offset where reading went wrong and what was
//! expected there.
//!
//! The writer emits no back-references at all. CPython itself decides which
//! objects to share from reference counts at dump time, so no writer can
//! reproduce its bytes exactly; what is promised instead is that CPython loads
//! the output into objects equal, field by field, to the ones written.
//!
//! Code objects are laid out per version ([`code_fields`]): 3.6-3.10 have
//! `co_nlocals`, `co_varnames`, `co_freevars` and `co_cellvars` where 3.11
//! has `co_localsplusnames`, `co_localspluskinds`, `co_qualname` and
//! `co_exceptiontable` (see [`crate::code::Code`]). Every other type code is
//! read and written alike from 3.6 (marshal format 4) on.
//!
//! This module knows nothing of `.pyc` headers (see [`crate::pyc`]) or of text.

pub mod reader;
pub mod writer;

use crate::code::Obj;
use crate::versions::{OpcodeTable, Version};

/// The one-byte type codes, as `Python/marshal.c` names them.
pub mod type_code {
    pub const NULL: u8 = b'0';
    pub const NONE: u8 = b'N';
    pub const FALSE: u8 = b'F';
    pub const TRUE: u8 = b'T';
    pub const STOPITER: u8 = b'S';
    pub const ELLIPSIS: u8 = b'.';
    pub const INT: u8 = b'i';
    /// Only read: no CPython 3 writes it any more.
    pub const INT64: u8 = b'I';
    /// A float as `repr` text; written by marshal versions 0 and 1 only.
    pub const FLOAT: u8 = b'f';
    pub const BINARY_FLOAT: u8 = b'g';
    pub const COMPLEX: u8 = b'x';
    pub const BINARY_COMPLEX: u8 = b'y';
    pub const LONG: u8 = b'l';
    /// A `bytes` object, whatever the name says.
    pub const STRING: u8 = b's';
    pub const INTERNED: u8 = b't';
    pub const REF: u8 = b'r';
    pub const TUPLE: u8 = b'(';
    pub const SMALL_TUPLE: u8 = b')';
    pub const LIST: u8 = b'[';
    pub const DICT: u8 = b'{';
    pub const CODE: u8 = b'c';
    pub const UNICODE: u8 = b'u';
    pub const SET: u8 = b'<';
    pub const FROZENSET: u8 = b'>';
    pub const ASCII: u8 = b'a';
    pub const ASCII_INTERNED: u8 = b'A';
    pub const SHORT_ASCII: u8 = b'z';
    pub const SHORT_ASCII_INTERNED: u8 = b'Z';
    /// Marshal version 5 (Python 3.14) and later.
    pub const SLICE: u8 = b':';
    /// Marshal version 6 (Python 3.15) and later: written as a dict is.
    pub const FROZENDICT: u8 = b'}';
    /// Or-ed into a type code: remember the object for later `REF`s.
    pub const FLAG_REF: u8 = 0x80;
}

/// One field of a marshalled code object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeField {
    ArgCount,
    /// Skipped where the version has none (`VersionSpec::code_posonlyargcount`).
    PosOnlyArgCount,
    KwOnlyArgCount,
    NLocals,
    StackSize,
    Flags,
    Code,
    Consts,
    Names,
    LocalsPlusNames,
    LocalsPlusKinds,
    VarNames,
    FreeVars,
    CellVars,
    Filename,
    Name,
    QualName,
    FirstLineNo,
    LineTable,
    ExceptionTable,
}

impl CodeField {
    /// A 32-bit integer in the stream rather than an object.
    pub(crate) fn is_int(self) -> bool {
        use CodeField::*;
        matches!(
            self,
            ArgCount | PosOnlyArgCount | KwOnlyArgCount | NLocals | StackSize | Flags | FirstLineNo
        )
    }

    /// The attribute's name in Python, for messages.
    pub(crate) fn name(self, table: &OpcodeTable) -> &'static str {
        use CodeField::*;
        match self {
            ArgCount => "co_argcount",
            PosOnlyArgCount => "co_posonlyargcount",
            KwOnlyArgCount => "co_kwonlyargcount",
            NLocals => "co_nlocals",
            StackSize => "co_stacksize",
            Flags => "co_flags",
            Code => "co_code",
            Consts => "co_consts",
            Names => "co_names",
            LocalsPlusNames => "co_localsplusnames",
            LocalsPlusKinds => "co_localspluskinds",
            VarNames => "co_varnames",
            FreeVars => "co_freevars",
            CellVars => "co_cellvars",
            Filename => "co_filename",
            Name => "co_name",
            QualName => "co_qualname",
            FirstLineNo => "co_firstlineno",
            LineTable => table.line_table.field_name(),
            ExceptionTable => "co_exceptiontable",
        }
    }
}

/// The fields of a code object, in the order `Python/marshal.c` writes
/// them: the one place the reader and the writer take the layout from.
/// `VersionSpec::localsplus` picks the list; `co_posonlyargcount` is in
/// both and skipped where the version lacks it.
pub(crate) fn code_fields(table: &OpcodeTable) -> &'static [CodeField] {
    use CodeField::*;
    if table.localsplus {
        &[
            ArgCount,
            PosOnlyArgCount,
            KwOnlyArgCount,
            StackSize,
            Flags,
            Code,
            Consts,
            Names,
            LocalsPlusNames,
            LocalsPlusKinds,
            Filename,
            Name,
            QualName,
            FirstLineNo,
            LineTable,
            ExceptionTable,
        ]
    } else {
        &[
            ArgCount,
            PosOnlyArgCount,
            KwOnlyArgCount,
            NLocals,
            StackSize,
            Flags,
            Code,
            Consts,
            Names,
            VarNames,
            FreeVars,
            CellVars,
            Filename,
            Name,
            FirstLineNo,
            LineTable,
        ]
    }
}

/// How deeply objects may nest, counting every object on the path from the
/// outermost one. CPython uses the same limit in both directions on Linux
/// and macOS (`MAX_MARSHAL_STACK_DEPTH` in `Python/marshal.c`); its Windows
/// builds read only 1000 levels, and its WebAssembly builds 1500.
pub const MAX_DEPTH: usize = 2000;

/// How many objects one `loads` may produce, counting each copy made for a
/// back-reference. A few hundred bytes of `REF`s can otherwise describe a tree
/// of exponential size, since CPython shares where this model copies. For
/// scale: the largest `.pyc` of 3.11's standard library (`test_typing`, 760
/// KB) holds about 32,000 objects and 0.9 MB of payload, copies included.
/// The limit is about 60 times that, and keeps what a hostile file can make
/// the reader hold to about 100 MB.
pub const MAX_OBJECTS: u64 = 2_000_000;

/// How many bytes of `str`, `bytes` and `int` payload one `loads` may
/// produce, copies included, for the same reason.
pub const MAX_PAYLOAD_BYTES: u64 = 64 << 20;

/// Malformed or hostile marshal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {message}")]
pub struct MarshalError {
    /// Counted from the start of the data handed to the reader (for a
    /// `.pyc`, [`crate::pyc`] re-counts it from the start of the file).
    pub offset: usize,
    pub message: String,
}

impl MarshalError {
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        MarshalError {
            offset,
            message: message.into(),
        }
    }
}

/// Reads one object from the start of `data`. Bytes after it are ignored, as
/// CPython's `marshal.loads` ignores them.
pub fn loads(data: &[u8], version: Version) -> Result<Obj, MarshalError> {
    loads_prefix(data, version).map(|(obj, _)| obj)
}

/// Reads one object from the start of `data` and says how many bytes it took.
pub fn loads_prefix(data: &[u8], version: Version) -> Result<(Obj, usize), MarshalError> {
    let mut r = reader::Reader::new(data, version);
    let obj = r.read_object()?;
    Ok((obj, r.position()))
}

/// Serializes `obj` the way `version`'s `marshal.dumps` would, minus the
/// back-references.
pub fn dumps(obj: &Obj, version: Version) -> Vec<u8> {
    let mut w = writer::Writer::new(version);
    w.write_object(obj);
    w.into_bytes()
}
