//! The Python object model that a `.pyc` holds: code objects and the constants
//! they carry.
//!
//! Values here are plain trees with structural, type-exact equality: `1`,
//! `True` and `1.0` are different, `0.0` and `-0.0` are different, and floats
//! compare by bit pattern. That is the equality CPython's compiler uses when it
//! folds duplicate constants, and the one the round trip is judged by.
//! This module knows nothing of text or of bytes on disk.

pub mod exceptiontable;
pub mod linetable;

use num_bigint::BigInt;
use std::fmt;

/// A Python `str`, kept as the bytes marshal writes for it: UTF-8 in which
/// lone surrogates are encoded like ordinary code points ("surrogatepass").
/// Two `str` values are equal exactly when these bytes are equal, so lone
/// surrogates survive every round trip, which a Rust `String` could not do.
/// The bytes are always well formed in that sense: the reader refuses
/// anything else, as CPython does, and text can only describe characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PyStr(pub Vec<u8>);

impl PyStr {
    pub fn new(s: &str) -> Self {
        PyStr(s.as_bytes().to_vec())
    }
    /// The text, when it is valid UTF-8 (it is not when it holds surrogates).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
    /// Decodes the code points, surrogates included. Invalid sequences, which
    /// marshal could not have produced from a real `str`, come back as None.
    pub fn chars(&self) -> Option<Vec<u32>> {
        decode_wtf8(&self.0)
    }
    pub fn from_chars(cps: &[u32]) -> Self {
        let mut out = Vec::with_capacity(cps.len());
        for &c in cps {
            encode_wtf8(c, &mut out);
        }
        PyStr(out)
    }
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
    /// True for strings that Python would accept as an identifier made of
    /// ASCII letters, digits and underscores (what the printer may leave bare).
    pub fn is_ascii_identifier(&self) -> bool {
        let b = &self.0;
        !b.is_empty()
            && (b[0].is_ascii_alphabetic() || b[0] == b'_')
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
    }
    /// True for a non-empty string of ASCII letters, digits and
    /// underscores in any order: the strings CPython's code objects intern
    /// among their constants (`all_name_chars` in `Objects/codeobject.c`,
    /// 3.6 on), `'215'` as well as `'print'`.
    pub fn has_only_name_chars(&self) -> bool {
        !self.0.is_empty()
            && self
                .0
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
    }
    /// Number of code points, as Python's `len()` counts them.
    pub fn char_len(&self) -> usize {
        self.0.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
    }
}

impl fmt::Debug for PyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => write!(f, "{s:?}"),
            None => write!(f, "PyStr({:?})", self.0),
        }
    }
}

/// Decodes generalized UTF-8 (surrogates allowed) into code points.
pub fn decode_wtf8(b: &[u8]) -> Option<Vec<u32>> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let (cp, len) = wtf8_char(&b[i..])?;
        out.push(cp);
        i += len;
    }
    Some(out)
}

/// Where generalized UTF-8 (surrogates allowed, as CPython's marshal reads
/// a `str` with "surrogatepass") first goes wrong, if it does: the offset
/// of the first byte of the sequence that is not a character.
pub fn wtf8_error(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        match wtf8_char(&b[i..]) {
            Some((_, len)) => i += len,
            None => return Some(i),
        }
    }
    None
}

/// The code point at the start of `b`, and its length in bytes.
fn wtf8_char(b: &[u8]) -> Option<(u32, usize)> {
    let c = *b.first()? as u32;
    let (len, init) = match c {
        0x00..=0x7F => (1, c),
        0xC2..=0xDF => (2, c & 0x1F),
        0xE0..=0xEF => (3, c & 0x0F),
        0xF0..=0xF4 => (4, c & 0x07),
        _ => return None,
    };
    let mut cp = init;
    for k in 1..len {
        let cc = *b.get(k)? as u32;
        if cc & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    let min = [0, 0, 0x80, 0x800, 0x10000][len];
    if cp < min || cp > 0x10FFFF {
        return None;
    }
    Some((cp, len))
}

pub fn encode_wtf8(c: u32, out: &mut Vec<u8>) {
    match c {
        0..=0x7F => out.push(c as u8),
        0x80..=0x7FF => {
            out.push(0xC0 | (c >> 6) as u8);
            out.push(0x80 | (c & 0x3F) as u8);
        }
        0x800..=0xFFFF => {
            out.push(0xE0 | (c >> 12) as u8);
            out.push(0x80 | ((c >> 6) & 0x3F) as u8);
            out.push(0x80 | (c & 0x3F) as u8);
        }
        _ => {
            out.push(0xF0 | (c >> 18) as u8);
            out.push(0x80 | ((c >> 12) & 0x3F) as u8);
            out.push(0x80 | ((c >> 6) & 0x3F) as u8);
            out.push(0x80 | (c & 0x3F) as u8);
        }
    }
}

/// Any object marshal can hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Obj {
    /// marshal's TYPE_NULL: only meaningful as a dict terminator, but a
    /// stream may contain it and the reader passes it on.
    Null,
    None,
    False,
    True,
    StopIteration,
    Ellipsis,
    Int(BigInt),
    /// IEEE-754 bits, so every NaN payload and the sign of zero survive.
    Float(u64),
    Complex(u64, u64),
    Str(PyStr),
    Bytes(Vec<u8>),
    Tuple(Vec<Obj>),
    List(Vec<Obj>),
    Dict(Vec<(Obj, Obj)>),
    /// 3.15's `frozendict`, its pairs in stream order.
    FrozenDict(Vec<(Obj, Obj)>),
    Set(Vec<Obj>),
    FrozenSet(Vec<Obj>),
    /// `slice(start, stop, step)`; 3.14 stores these as constants.
    Slice(Box<(Obj, Obj, Obj)>),
    Code(Box<Code>),
    /// A reference to a code block by name (`@name` in text). It exists only
    /// between text and assembly: the assembler replaces every one with the
    /// built code object, so marshal never sees it.
    CodeRef(String),
}

impl Obj {
    pub fn int(v: i64) -> Obj {
        Obj::Int(BigInt::from(v))
    }
    pub fn str(s: &str) -> Obj {
        Obj::Str(PyStr::new(s))
    }
    pub fn float(v: f64) -> Obj {
        Obj::Float(v.to_bits())
    }
    /// Python's name for the object's type, for messages and hover text.
    pub fn type_name(&self) -> &'static str {
        match self {
            Obj::Null => "NULL",
            Obj::None => "NoneType",
            Obj::False | Obj::True => "bool",
            Obj::StopIteration => "type",
            Obj::Ellipsis => "ellipsis",
            Obj::Int(_) => "int",
            Obj::Float(_) => "float",
            Obj::Complex(..) => "complex",
            Obj::Str(_) => "str",
            Obj::Bytes(_) => "bytes",
            Obj::Tuple(_) => "tuple",
            Obj::List(_) => "list",
            Obj::Dict(_) => "dict",
            Obj::FrozenDict(_) => "frozendict",
            Obj::Set(_) => "set",
            Obj::FrozenSet(_) => "frozenset",
            Obj::Slice(_) => "slice",
            Obj::Code(_) | Obj::CodeRef(_) => "code",
        }
    }

    /// Calls `f` with the name of every block reference (`@name`) in the
    /// value, at any depth, in order. A built code object holds none.
    pub fn each_code_ref(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Obj::CodeRef(n) => f(n),
            Obj::Tuple(v) | Obj::List(v) | Obj::Set(v) | Obj::FrozenSet(v) => {
                v.iter().for_each(|x| x.each_code_ref(f))
            }
            Obj::Dict(kv) | Obj::FrozenDict(kv) => kv.iter().for_each(|(k, v)| {
                k.each_code_ref(f);
                v.each_code_ref(f)
            }),
            Obj::Slice(s) => {
                s.0.each_code_ref(f);
                s.1.each_code_ref(f);
                s.2.each_code_ref(f)
            }
            _ => {}
        }
    }
}

/// `co_localspluskinds` bits.
pub mod kind {
    pub const HIDDEN: u8 = 0x10;
    pub const LOCAL: u8 = 0x20;
    pub const CELL: u8 = 0x40;
    pub const FREE: u8 = 0x80;

    /// The words `.var` writes for these bits, in the order the printer
    /// writes them.
    pub const NAMES: &[(u8, &str)] = &[
        (HIDDEN, "hidden"),
        (LOCAL, "local"),
        (CELL, "cell"),
        (FREE, "free"),
    ];
}

/// A code object with every field marshal stores, in 3.11's order.
/// CPython refuses to build a code object whose names are not `str`, so the
/// name fields hold `PyStr` directly.
///
/// A code object of 3.6-3.10 (a version whose `VersionSpec::localsplus` is
/// false) has `split_vars` set, and `localsplusnames`, `localspluskinds`,
/// `qualname` and `exceptiontable` empty, since it has no such fields;
/// `linetable` holds its `co_lnotab` (3.6-3.9) or `co_linetable` (3.10),
/// and `posonlyargcount` is 0 in 3.6 and 3.7, which lack it. A code object
/// of 3.11 on has `split_vars` None. So no field is stored twice, and
/// whatever reads a 3.11 code object can tell one of 3.6-3.10 from it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Code {
    pub argcount: u32,
    pub posonlyargcount: u32,
    pub kwonlyargcount: u32,
    pub stacksize: u32,
    pub flags: u32,
    pub code: Vec<u8>,
    pub consts: Vec<Obj>,
    pub names: Vec<PyStr>,
    pub localsplusnames: Vec<PyStr>,
    pub localspluskinds: Vec<u8>,
    pub filename: PyStr,
    pub name: PyStr,
    pub qualname: PyStr,
    pub firstlineno: i32,
    pub linetable: Vec<u8>,
    pub exceptiontable: Vec<u8>,
    /// The variables of a code object of 3.6-3.10; None from 3.11 on.
    pub split_vars: Option<Box<SplitVars>>,
}

/// How 3.6-3.10 store a code object's variables: three tuples of names
/// and a count, where 3.11 has `co_localsplusnames` and its kinds. They
/// cannot be folded into those losslessly: an argument that is also a cell
/// is named in both `varnames` and `cellvars`, and `cellvars` has an order
/// of its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SplitVars {
    /// `co_nlocals`, which marshal stores apart from `varnames` although
    /// CPython's compiler always makes it their number.
    pub nlocals: u32,
    pub varnames: Vec<PyStr>,
    pub freevars: Vec<PyStr>,
    pub cellvars: Vec<PyStr>,
}

/// Code-object flag names, as `dis.COMPILER_FLAG_NAMES` spells them.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (0x1, "OPTIMIZED"),
    (0x2, "NEWLOCALS"),
    (0x4, "VARARGS"),
    (0x8, "VARKEYWORDS"),
    (0x10, "NESTED"),
    (0x20, "GENERATOR"),
    (0x40, "NOFREE"),
    (0x80, "COROUTINE"),
    (0x100, "ITERABLE_COROUTINE"),
    (0x200, "ASYNC_GENERATOR"),
    (0x4000000, "HAS_DOCSTRING"),
    (0x8000000, "METHOD"),
];

pub fn flag_by_name(name: &str) -> Option<u32> {
    FLAG_NAMES.iter().find(|(_, n)| *n == name).map(|(v, _)| *v)
}
