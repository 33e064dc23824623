//! Objects to marshal bytes: the mirror image of `reader.rs`.
//!
//! The output uses the compact forms CPython's own writer picks (short
//! tuples, one-byte-per-character strings, binary floats) but never
//! `FLAG_REF`/`REF`: sharing only saves space, and CPython's choice of what to
//! share depends on reference counts that a tree of values does not have.
//!
//! Writing cannot fail. Objects that the target version cannot load (a slice
//! before 3.14, a `NULL` outside a dict) are written anyway; keeping them out
//! is the business of whoever builds the objects.

use super::{code_fields, type_code as tc, CodeField};
use crate::code::{Code, Obj, PyStr, SplitVars};
use crate::versions::Version;
use num_bigint::{BigInt, Sign};
use num_traits::ToPrimitive;

pub struct Writer {
    out: Vec<u8>,
    version: Version,
}

impl Writer {
    pub fn new(version: Version) -> Self {
        Writer {
            out: Vec::new(),
            version,
        }
    }

    /// The version written for. Versions differ in the layout of a code
    /// object and in which objects they can load.
    pub fn version(&self) -> Version {
        self.version
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    // ----- primitive fields -------------------------------------------------

    fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    fn i32(&mut self, v: i32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A four-byte length. Marshal cannot express 2**31 or more; objects that
    /// large cannot come from a reader or a compiler, so this is a bug check.
    fn len32(&mut self, n: usize) {
        let n = i32::try_from(n).expect("marshal cannot write a length of 2**31 or more");
        self.i32(n);
    }

    // ----- dispatch -----------------------------------------------------------

    pub fn write_object(&mut self, obj: &Obj) {
        match obj {
            Obj::Null => self.byte(tc::NULL),
            Obj::None => self.byte(tc::NONE),
            Obj::False => self.byte(tc::FALSE),
            Obj::True => self.byte(tc::TRUE),
            Obj::StopIteration => self.byte(tc::STOPITER),
            Obj::Ellipsis => self.byte(tc::ELLIPSIS),
            Obj::Int(v) => self.write_int(v),
            Obj::Float(bits) => self.write_binary_float(*bits),
            Obj::Complex(re, im) => self.write_binary_complex(*re, *im),
            Obj::Bytes(b) => self.write_bytes(b),
            Obj::Str(s) => self.write_str(s),
            Obj::Tuple(items) => self.write_tuple(items),
            Obj::List(items) => self.write_list(items),
            Obj::Dict(pairs) => self.write_dict(false, pairs),
            Obj::FrozenDict(pairs) => self.write_dict(true, pairs),
            Obj::Set(items) => self.write_set(false, items),
            Obj::FrozenSet(items) => self.write_set(true, items),
            Obj::Slice(parts) => self.write_slice(parts),
            Obj::Code(code) => self.write_code(code),
            // The assembler resolves every reference before marshal sees an
            // object; writing None keeps the writer total if one slips by.
            Obj::CodeRef(_) => {
                debug_assert!(false, "unresolved code reference reached marshal");
                self.byte(tc::NONE)
            }
        }
    }

    // ----- one function per type ----------------------------------------------

    /// `i` when the value fits in 32 bits, otherwise `l`.
    fn write_int(&mut self, v: &BigInt) {
        match v.to_i32() {
            Some(small) => {
                self.byte(tc::INT);
                self.i32(small);
            }
            None => self.write_long(v),
        }
    }

    /// `l`: base-2**15 digits, least significant first, the sign on the count.
    fn write_long(&mut self, v: &BigInt) {
        let digits = digits15(v);
        let count = i32::try_from(digits.len()).expect("int too large for marshal");
        self.byte(tc::LONG);
        self.i32(if v.sign() == Sign::Minus {
            -count
        } else {
            count
        });
        for d in digits {
            self.out.extend_from_slice(&d.to_le_bytes());
        }
    }

    /// `g`.
    fn write_binary_float(&mut self, bits: u64) {
        self.byte(tc::BINARY_FLOAT);
        self.u64(bits);
    }

    /// `y`.
    fn write_binary_complex(&mut self, re: u64, im: u64) {
        self.byte(tc::BINARY_COMPLEX);
        self.u64(re);
        self.u64(im);
    }

    /// `s`.
    fn write_bytes(&mut self, b: &[u8]) {
        self.byte(tc::STRING);
        self.len32(b.len());
        self.out.extend_from_slice(b);
    }

    /// `z`/`Z` or `a`/`A` for ASCII (by length), `u` otherwise. Strings of
    /// name characters get the interned variants, since those are the
    /// strings CPython interns when it makes a code object. That matters
    /// beyond the bytes: a code object whose frozenset constant holds a
    /// string not yet interned rebuilds the set after interning it, and
    /// where hashes collide the rebuilt set iterates in another order.
    fn write_str(&mut self, s: &PyStr) {
        let b = &s.0;
        if b.is_ascii() {
            let interned = s.has_only_name_chars();
            if b.len() < 256 {
                self.byte(if interned {
                    tc::SHORT_ASCII_INTERNED
                } else {
                    tc::SHORT_ASCII
                });
                self.byte(b.len() as u8);
            } else {
                self.byte(if interned {
                    tc::ASCII_INTERNED
                } else {
                    tc::ASCII
                });
                self.len32(b.len());
            }
        } else {
            self.byte(tc::UNICODE);
            self.len32(b.len());
        }
        self.out.extend_from_slice(b);
    }

    /// `)` below 256 items, `(` from there on.
    fn write_tuple(&mut self, items: &[Obj]) {
        self.tuple_header(items.len());
        for item in items {
            self.write_object(item);
        }
    }

    /// `[`.
    fn write_list(&mut self, items: &[Obj]) {
        self.byte(tc::LIST);
        self.len32(items.len());
        for item in items {
            self.write_object(item);
        }
    }

    /// `{`, or 3.15's `}` for a frozendict: pairs, then NULL.
    fn write_dict(&mut self, frozen: bool, pairs: &[(Obj, Obj)]) {
        self.byte(if frozen { tc::FROZENDICT } else { tc::DICT });
        for (key, value) in pairs {
            self.write_object(key);
            self.write_object(value);
        }
        self.byte(tc::NULL);
    }

    /// `<` or `>`.
    fn write_set(&mut self, frozen: bool, items: &[Obj]) {
        self.byte(if frozen { tc::FROZENSET } else { tc::SET });
        self.len32(items.len());
        for item in items {
            self.write_object(item);
        }
    }

    /// `:`.
    fn write_slice(&mut self, parts: &(Obj, Obj, Obj)) {
        self.byte(tc::SLICE);
        self.write_object(&parts.0);
        self.write_object(&parts.1);
        self.write_object(&parts.2);
    }

    /// `c`, in its version's field order (`code_fields`). A code object
    /// whose variables are not of its version's kind (`Code::split_vars`)
    /// gets empty ones.
    pub fn write_code(&mut self, code: &Code) {
        let table = self.version.table();
        debug_assert_eq!(
            code.split_vars.is_some(),
            !table.localsplus,
            "a code object written for the wrong version"
        );
        let none = SplitVars::default();
        let split = code.split_vars.as_deref().unwrap_or(&none);
        self.byte(tc::CODE);
        for &field in code_fields(table) {
            match field {
                CodeField::ArgCount => self.i32(code.argcount as i32),
                CodeField::PosOnlyArgCount => {
                    if table.code_posonlyargcount {
                        self.i32(code.posonlyargcount as i32)
                    }
                }
                CodeField::KwOnlyArgCount => self.i32(code.kwonlyargcount as i32),
                CodeField::NLocals => self.i32(split.nlocals as i32),
                CodeField::StackSize => self.i32(code.stacksize as i32),
                CodeField::Flags => self.i32(code.flags as i32),
                CodeField::Code => self.write_bytes(&code.code),
                CodeField::Consts => self.write_tuple(&code.consts),
                CodeField::Names => self.write_names(&code.names),
                CodeField::LocalsPlusNames => self.write_names(&code.localsplusnames),
                CodeField::LocalsPlusKinds => self.write_bytes(&code.localspluskinds),
                CodeField::VarNames => self.write_names(&split.varnames),
                CodeField::FreeVars => self.write_names(&split.freevars),
                CodeField::CellVars => self.write_names(&split.cellvars),
                CodeField::Filename => self.write_str(&code.filename),
                CodeField::Name => self.write_str(&code.name),
                CodeField::QualName => self.write_str(&code.qualname),
                CodeField::FirstLineNo => self.i32(code.firstlineno),
                CodeField::LineTable => self.write_bytes(&code.linetable),
                CodeField::ExceptionTable => self.write_bytes(&code.exceptiontable),
            }
        }
    }

    // ----- helpers ------------------------------------------------------------

    fn tuple_header(&mut self, n: usize) {
        if n < 256 {
            self.byte(tc::SMALL_TUPLE);
            self.byte(n as u8);
        } else {
            self.byte(tc::TUPLE);
            self.len32(n);
        }
    }

    /// A tuple of str, as the name fields of a code object are stored.
    fn write_names(&mut self, names: &[PyStr]) {
        self.tuple_header(names.len());
        for name in names {
            self.write_str(name);
        }
    }
}

/// The magnitude of `v` as base-2**15 digits, least significant first, with
/// no leading zero digits (so zero has none).
fn digits15(v: &BigInt) -> Vec<u16> {
    let mut digits = Vec::new();
    let mut acc: u64 = 0;
    let mut bits = 0;
    for word in v.magnitude().iter_u32_digits() {
        acc |= (word as u64) << bits;
        bits += 32;
        while bits >= 15 {
            digits.push((acc & 0x7FFF) as u16);
            acc >>= 15;
            bits -= 15;
        }
    }
    if bits > 0 {
        digits.push(acc as u16);
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    digits
}
