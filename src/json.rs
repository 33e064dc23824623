//! The module as JSON, both ways: the one owner of the mapping between a
//! [`Module`] and the documents `pyasm dis --format json` writes and `pyasm
//! build FILE.json` reads (their schema is `docs/pyasm.schema.json`), and
//! of how a diagnostic on a module read from JSON names its place (a JSON
//! pointer such as `/blocks/0/body/3/arg`).
//!
//! The document mirrors the model field for field, so that what the text
//! can say the JSON says too and the assembler sees the same `Module`
//! either way. Constants are typed exactly: an int is its decimal digits in
//! a string (any size), a float is its IEEE-754 bit pattern in hex (the
//! readable value beside it is only for people and is not read), a str
//! that is not valid Unicode (lone surrogates) is the list of its code
//! points, bytes are hex. It never sees text or bytes of a `.pyc`: the
//! model is all it maps.

mod scan;

use crate::code::linetable::Position;
use crate::code::{Obj, PyStr};
use crate::diag::Diag;
use crate::model::{self, Arg, Block, Module, NameRef, Span, Stmt};
use crate::pyc::PycHeader;
use crate::versions::Version;
use num_bigint::BigInt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a document says it is, so that a reader can tell it from other
/// JSON.
const FORMAT: &str = "pyasm-module";

/// How deeply a document may nest, in JSON arrays and objects. A level of
/// a module takes at most three (a dict constant's `{"dict": [[`), and the
/// text writes constants up to [`MAX_LITERAL_DEPTH`] levels deep inside a
/// code object's constants tuple, two levels more: so every module the
/// text can say, the JSON can too, and a document deeper than this holds a
/// constant that CPython's marshal could never load. Checked before serde
/// reads the document, as serde recurses once per level.
///
/// [`MAX_LITERAL_DEPTH`]: crate::syntax::lower::MAX_LITERAL_DEPTH
pub const MAX_NESTING: usize = 3 * (crate::syntax::lower::MAX_LITERAL_DEPTH + 2);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    format: String,
    /// "3.11" and so on.
    python: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header: Option<Header>,
    blocks: Vec<JBlock>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    flags: u32,
    word2: u32,
    word3: u32,
}

/// A block: `None` fields are the ones the assembler works out.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JBlock {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    co_name: Option<JStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qualname: Option<JStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filename: Option<JStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firstlineno: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    flags: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    argcount: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    posonlyargcount: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kwonlyargcount: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stacksize: Option<u32>,
    #[serde(default, skip_serializing_if = "is_false")]
    verbatim: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    vars: Vec<JVar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nlocals: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cellvars: Option<Vec<JStr>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    consts: Vec<JConst>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    names: Vec<JStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    linetable: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exceptiontable: Option<Hex>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    excepts: Vec<JExcept>,
    #[serde(default)]
    body: Vec<JStmt>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JVar {
    name: JStr,
    /// The `co_localspluskinds` byte.
    kinds: u8,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JExcept {
    start: String,
    end: String,
    handler: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    depth: Option<u32>,
    #[serde(default, skip_serializing_if = "is_false")]
    lasti: bool,
}

/// A label line or an instruction. Read through [`JStmtMembers`], so that
/// a misspelt member is refused by name rather than left out (or lost in
/// an untagged enum's "did not match any variant").
#[derive(Serialize)]
#[serde(untagged)]
enum JStmt {
    Label(JLabel),
    Instr(JInstr),
}

#[derive(Serialize)]
struct JLabel {
    label: String,
}

#[derive(Serialize)]
struct JInstr {
    op: Opcode,
    #[serde(skip_serializing_if = "Option::is_none")]
    arg: Option<JArg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pos: Option<JPos>,
    /// EXTENDED_ARG prefixes at least, beyond what the argument needs.
    #[serde(skip_serializing_if = "is_zero")]
    min_ext: u8,
}

/// Every member a line of `body` may have, as it is read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JStmtMembers {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    op: Option<Opcode>,
    #[serde(default)]
    arg: Option<JArg>,
    #[serde(default)]
    pos: Option<JPos>,
    #[serde(default)]
    min_ext: Option<u8>,
}

impl<'de> Deserialize<'de> for JStmt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Within the object's own reading, so that an error is placed at
        // this line of `body` rather than after it.
        struct Line;
        impl<'de> serde::de::Visitor<'de> for Line {
            type Value = JStmt;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#"a label line {"label": L} or an instruction {"op": ...}"#)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<JStmt, A::Error> {
                use serde::de::Error;
                let m =
                    JStmtMembers::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let instr_only = m.arg.is_some() || m.pos.is_some() || m.min_ext.is_some();
                match (m.label, m.op) {
                    (Some(label), None) if !instr_only => Ok(JStmt::Label(JLabel { label })),
                    (None, Some(op)) => Ok(JStmt::Instr(JInstr {
                        op,
                        arg: m.arg,
                        pos: m.pos,
                        min_ext: m.min_ext.unwrap_or(0),
                    })),
                    (None, None) => Err(A::Error::missing_field("op")),
                    _ => Err(A::Error::custom(
                        "a label line has only `label`; an instruction has `op`, and no `label`",
                    )),
                }
            }
        }
        d.deserialize_map(Line)
    }
}

/// An opcode by name, or by number where the version has no name for it.
#[derive(Serialize)]
#[serde(untagged)]
enum Opcode {
    Number(u8),
    Name(String),
}

impl<'de> Deserialize<'de> for Opcode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Op;
        impl serde::de::Visitor<'_> for Op {
            type Value = Opcode;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an opcode's name, or its number from 0 to 255")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Opcode, E> {
                u8::try_from(n)
                    .map(Opcode::Number)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Opcode, E> {
                Ok(Opcode::Name(s.to_string()))
            }
        }
        d.deserialize_any(Op)
    }
}

/// A source position; an absent member is an absent value.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JPos {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_line: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    col: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_col: Option<i32>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum JArg {
    /// The exact argument (a table index for table operands).
    Value(u32),
    Const(JConst),
    Name(JStr),
    NameFlags {
        flags: u32,
        name: JNameRef,
    },
    Pair(JNameRef, JNameRef),
    Label(String),
}

#[derive(Serialize)]
#[serde(untagged)]
enum JNameRef {
    Index(JIndex),
    Name(JStr),
}

#[derive(Serialize)]
struct JIndex {
    index: u32,
}

/// A `str`: a JSON string when it is valid Unicode, else its code points
/// (lone surrogates included).
#[derive(Serialize)]
#[serde(untagged)]
enum JStr {
    Text(String),
    CodePoints(JCodePoints),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JCodePoints {
    code_points: Vec<u32>,
}

/// The members an object standing for a name may have, as it is read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JNameMembers {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    code_points: Option<Vec<u32>>,
}

/// Reads a [`JStr`], and with `index` a [`JNameRef`]: a string, or an
/// object whose members say which (an untagged enum could only say that
/// none matched).
struct StrOrObject {
    index: bool,
}

impl<'de> serde::de::Visitor<'de> for StrOrObject {
    type Value = JNameRef;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(if self.index {
            r#"a name: a string, {"code_points": [...]} or {"index": n}"#
        } else {
            r#"a string, or {"code_points": [...]} for one with lone surrogates"#
        })
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<JNameRef, E> {
        Ok(JNameRef::Name(JStr::Text(s.to_string())))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<JNameRef, A::Error> {
        use serde::de::Error;
        let m = JNameMembers::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        match (m.index, m.code_points) {
            (Some(index), None) if self.index => Ok(JNameRef::Index(JIndex { index })),
            (Some(_), None) => Err(A::Error::unknown_field("index", &["code_points"])),
            (None, Some(code_points)) => Ok(JNameRef::Name(JStr::CodePoints(JCodePoints {
                code_points,
            }))),
            (None, None) => Err(A::Error::missing_field("code_points")),
            (Some(_), Some(_)) => Err(A::Error::custom(
                "a name is an index or code points, not both",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for JNameRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrOrObject { index: true })
    }
}

impl<'de> Deserialize<'de> for JStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(StrOrObject { index: false })? {
            JNameRef::Name(s) => Ok(s),
            // Refused by the visitor already.
            JNameRef::Index(_) => Err(serde::de::Error::unknown_field("index", &["code_points"])),
        }
    }
}

/// Bytes as lower-case hex.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct Hex(String);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JFloat {
    /// The IEEE-754 bits, `0x` and 16 hex digits: what is read.
    bits: String,
    /// The value for people (`-0.0`, `NaN`, `1e100`); never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

/// A constant, tagged with its Python type.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum JConst {
    #[serde(rename = "None")]
    None,
    #[serde(rename = "True")]
    True,
    #[serde(rename = "False")]
    False,
    #[serde(rename = "Ellipsis")]
    Ellipsis,
    #[serde(rename = "StopIteration")]
    StopIteration,
    /// marshal's NULL.
    #[serde(rename = "NULL")]
    Null,
    /// Decimal digits, with a `-` for a negative int.
    Int(String),
    Float(JFloat),
    Complex {
        real: JFloat,
        imag: JFloat,
    },
    Str(JStr),
    Bytes(Hex),
    Tuple(Vec<JConst>),
    List(Vec<JConst>),
    Set(Vec<JConst>),
    Frozenset(Vec<JConst>),
    Dict(Vec<(JConst, JConst)>),
    Frozendict(Vec<(JConst, JConst)>),
    Slice(Box<(JConst, JConst, JConst)>),
    /// A reference to the block of that name (`@name` in text).
    Code(String),
}

// ---------------------------------------------------------------- writing

/// The module as a JSON document (pretty-printed, ending in a newline). An
/// error for what only lowering makes (a broken line) or a code object not
/// replaced by a reference: neither comes out of the disassembler.
pub fn to_json(module: &Module) -> Result<String, String> {
    let doc = Doc {
        format: FORMAT.to_string(),
        python: module.version.as_str().to_string(),
        header: module.header.map(|h| Header {
            flags: h.flags,
            word2: h.word2,
            word3: h.word3,
        }),
        blocks: module
            .blocks
            .iter()
            .map(|b| block_doc(b, module.version))
            .collect::<Result<_, _>>()?,
    };
    let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

fn block_doc(b: &Block, version: Version) -> Result<JBlock, String> {
    let table = version.table();
    let body = b
        .body
        .iter()
        .map(|s| match s {
            Stmt::Label(l, _) => Ok(JStmt::Label(JLabel { label: l.clone() })),
            Stmt::Instr(i) => Ok(JStmt::Instr(JInstr {
                op: match table.by_code(i.opcode) {
                    Some(info) => Opcode::Name(info.name.to_string()),
                    None => Opcode::Number(i.opcode),
                },
                arg: arg_doc(&i.arg)?,
                pos: pos_doc(i.pos),
                min_ext: i.min_ext,
            })),
        })
        .collect::<Result<_, String>>()?;
    Ok(JBlock {
        name: b.name.clone(),
        co_name: b.name_field.as_ref().map(str_doc),
        qualname: b.qualname.as_ref().map(str_doc),
        filename: b.filename.as_ref().map(str_doc),
        firstlineno: b.firstlineno,
        flags: b.flags,
        argcount: b.argcount,
        posonlyargcount: b.posonlyargcount,
        kwonlyargcount: b.kwonlyargcount,
        stacksize: b.stacksize,
        verbatim: b.verbatim,
        vars: b
            .vars
            .iter()
            .map(|v| JVar {
                name: str_doc(&v.name),
                kinds: v.kinds,
            })
            .collect(),
        nlocals: b.nlocals,
        cellvars: b.cellvars.as_ref().map(|v| v.iter().map(str_doc).collect()),
        consts: b
            .consts
            .iter()
            .map(|c| const_doc(c))
            .collect::<Result<_, _>>()?,
        names: b.names.iter().map(str_doc).collect(),
        linetable: b.linetable.as_deref().map(hex),
        exceptiontable: b.exceptiontable.as_deref().map(hex),
        excepts: b
            .excepts
            .iter()
            .map(|e| JExcept {
                start: e.start.clone(),
                end: e.end.clone(),
                handler: e.handler.clone(),
                depth: e.depth,
                lasti: e.lasti,
            })
            .collect(),
        body,
    })
}

fn pos_doc(p: Position) -> Option<JPos> {
    (p != Position::NONE).then_some(JPos {
        line: p.line,
        end_line: p.end_line,
        col: p.col,
        end_col: p.end_col,
    })
}

fn arg_doc(a: &Arg) -> Result<Option<JArg>, String> {
    Ok(Some(match a {
        Arg::None => return Ok(None),
        Arg::Value(v) => JArg::Value(*v),
        Arg::Const(c) => JArg::Const(const_doc(c)?),
        Arg::Name(n) => JArg::Name(str_doc(n)),
        Arg::NameFlags { flags, name } => JArg::NameFlags {
            flags: *flags,
            name: name_ref_doc(name),
        },
        Arg::Pair(a, b) => JArg::Pair(name_ref_doc(a), name_ref_doc(b)),
        Arg::Label(l) => JArg::Label(l.clone()),
        Arg::Broken => return Err("a line that did not lower has no JSON form".into()),
    }))
}

fn name_ref_doc(n: &NameRef) -> JNameRef {
    match n {
        NameRef::Index(i) => JNameRef::Index(JIndex { index: *i }),
        NameRef::Name(s) => JNameRef::Name(str_doc(s)),
    }
}

fn str_doc(s: &PyStr) -> JStr {
    match s.as_str() {
        Some(t) => JStr::Text(t.to_string()),
        None => JStr::CodePoints(JCodePoints {
            code_points: s.chars().unwrap_or_default(),
        }),
    }
}

fn hex(bytes: &[u8]) -> Hex {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    Hex(s)
}

fn float_doc(bits: u64) -> JFloat {
    JFloat {
        bits: format!("{bits:#018x}"),
        value: Some(format!("{:?}", f64::from_bits(bits))),
    }
}

fn const_doc(o: &Obj) -> Result<JConst, String> {
    let all = |v: &[Obj]| v.iter().map(const_doc).collect::<Result<Vec<_>, _>>();
    let pairs = |v: &[(Obj, Obj)]| {
        v.iter()
            .map(|(k, v)| Ok((const_doc(k)?, const_doc(v)?)))
            .collect::<Result<Vec<_>, String>>()
    };
    Ok(match o {
        Obj::Null => JConst::Null,
        Obj::None => JConst::None,
        Obj::True => JConst::True,
        Obj::False => JConst::False,
        Obj::Ellipsis => JConst::Ellipsis,
        Obj::StopIteration => JConst::StopIteration,
        Obj::Int(i) => JConst::Int(i.to_string()),
        Obj::Float(b) => JConst::Float(float_doc(*b)),
        Obj::Complex(r, i) => JConst::Complex {
            real: float_doc(*r),
            imag: float_doc(*i),
        },
        Obj::Str(s) => JConst::Str(str_doc(s)),
        Obj::Bytes(b) => JConst::Bytes(hex(b)),
        Obj::Tuple(v) => JConst::Tuple(all(v)?),
        Obj::List(v) => JConst::List(all(v)?),
        Obj::Set(v) => JConst::Set(all(v)?),
        Obj::FrozenSet(v) => JConst::Frozenset(all(v)?),
        Obj::Dict(v) => JConst::Dict(pairs(v)?),
        Obj::FrozenDict(v) => JConst::Frozendict(pairs(v)?),
        Obj::Slice(s) => JConst::Slice(Box::new((
            const_doc(&s.0)?,
            const_doc(&s.1)?,
            const_doc(&s.2)?,
        ))),
        Obj::CodeRef(n) => JConst::Code(n.clone()),
        Obj::Code(_) => {
            return Err("a code object inside a constant has no JSON form: refer to it".into())
        }
    })
}

// ---------------------------------------------------------------- reading

/// Where the diagnostics on a module read from JSON point: every span the
/// reader gives out is a bucket of [`STRIDE`] offsets, one per JSON
/// pointer, so that an analysis that points inside an operand (an offset
/// past its start) still names that operand's pointer. Bucket 0 is the
/// whole document.
pub struct Pointers(Vec<String>);

const STRIDE: usize = 1 << 16;

impl Pointers {
    fn span(&mut self, pointer: String) -> Span {
        let i = self.0.len();
        self.0.push(pointer);
        i * STRIDE..i * STRIDE + STRIDE - 1
    }

    /// The JSON pointer a span given out by [`from_json`] stands for (`""`,
    /// the whole document, for a span of none of them).
    pub fn pointer(&self, span: &Span) -> &str {
        self.0
            .get(span.start / STRIDE)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Where, in `text` (the document read), the member each pointer of
    /// `diags` names is: from its key's opening quote (an element of an
    /// array: from its start) to the end of its value.
    pub fn places(&self, text: &str, diags: &[Diag]) -> Places {
        if diags.is_empty() {
            return Places(HashMap::new());
        }
        let mut wanted: HashMap<String, Option<Span>> = HashMap::new();
        for d in diags {
            for span in std::iter::once(&d.span).chain(d.notes.iter().map(|(s, _)| s)) {
                // The pointer and a few enclosing ones: a member the
                // document leaves out (an instruction's absent `arg`) is
                // placed at the nearest one present. Not all of them: a
                // pointer thousands of levels deep would make as many
                // long strings.
                let mut p = self.pointer(span);
                for _ in 0..4 {
                    wanted.entry(p.to_string()).or_default();
                    match p.rfind('/') {
                        Some(i) => p = &p[..i],
                        None => break,
                    }
                }
            }
        }
        wanted.entry(String::new()).or_default();
        let deep = scan::walk(text, MAX_NESTING, |p, range| {
            if let Some(slot) = wanted.get_mut(p) {
                *slot = Some(range);
            }
            true
        });
        // A document refused for its depth: the container too deep.
        if let Err(deep) = deep {
            if let Some(slot) = wanted.get_mut(&deep.pointer) {
                *slot = Some(deep.offset..deep.offset + 1);
            }
        }
        Places(
            wanted
                .into_iter()
                .filter_map(|(p, r)| Some((p, r?)))
                .collect(),
        )
    }

    /// The range in the document of the member `span`'s pointer names, or
    /// of the nearest enclosing member present in `places`.
    pub fn text_span(&self, places: &Places, span: &Span) -> Span {
        let mut p = self.pointer(span);
        loop {
            if let Some(r) = places.0.get(p) {
                return r.clone();
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return 0..0,
            }
        }
    }

    /// `diags` with every span the range, in `text`, of its member (see
    /// [`Pointers::text_span`]): for lines and columns in the document.
    pub fn in_text(&self, text: &str, diags: &[Diag]) -> Vec<Diag> {
        let places = self.places(text, diags);
        diags
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.span = self.text_span(&places, &d.span);
                for (s, _) in &mut d.notes {
                    *s = self.text_span(&places, s);
                }
                d
            })
            .collect()
    }

    /// One line per diagnostic and per note, with the line and column of
    /// its member in `text`, the document:
    /// `FILE:LINE:COL: error[code]: message (at /blocks/0/body/3/arg)`.
    pub fn render(&self, file: &str, text: &str, diags: &[Diag]) -> String {
        let places = self.places(text, diags);
        let lines = crate::diag::LineIndex::new(text);
        let at = |span: &Span| {
            let (line, column) = lines.line_col(self.text_span(&places, span).start);
            let pointer = match self.pointer(span) {
                "" => "/".to_string(),
                p => scan::shorten(p),
            };
            (format!("{file}:{line}:{column}"), pointer)
        };
        let mut out = String::new();
        for d in diags {
            let (place, pointer) = at(&d.span);
            out.push_str(&format!(
                "{place}: {}[{}]: {} (at {pointer})\n",
                d.severity.as_str(),
                d.code,
                d.message,
            ));
            for (s, m) in &d.notes {
                let (place, pointer) = at(s);
                out.push_str(&format!("  note: {place}: {m} (at {pointer})\n"));
            }
            if let Some(h) = &d.help {
                out.push_str(&format!("  help: {h}\n"));
            }
        }
        out
    }
}

/// Where the members that diagnostics point at are in a document
/// ([`Pointers::places`]).
pub struct Places(HashMap<String, Span>);

/// A document that is not a module (not JSON, not of the schema, or
/// nesting too deep): the one error, and the pointers its span stands for.
pub type Refused = Box<(Pointers, Diag)>;

fn refused(pointer: String, message: String) -> Refused {
    let mut pointers = Pointers(vec![String::new()]);
    let span = pointers.span(pointer);
    Box::new((pointers, Diag::error("json", span, message)))
}

/// serde_json's error as a diagnostic at the member it was reading: the
/// innermost one whose text holds the place where reading stopped.
fn serde_refusal(text: &str, e: &serde_json::Error) -> Refused {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = line_start + e.column().saturating_sub(1);
    let mut pointer = String::new();
    let _ = scan::walk(text, MAX_NESTING, |p, range| {
        if range.start <= offset && offset <= range.end {
            pointer = p.to_string();
            return false;
        }
        true
    });
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let message = match e.classify() {
        serde_json::error::Category::Data => message.to_string(),
        _ => format!("not JSON: {message}"),
    };
    refused(pointer, message)
}

/// Reads a document back into the module it describes, with the pointers
/// its spans stand for. A document that is not a module (not JSON, not of
/// the schema, nesting deeper than [`MAX_NESTING`]) is refused with one
/// error at the pointer of the member at fault, saying what was expected;
/// a field with a value the model cannot hold (a bad opcode name, bad hex,
/// an int that is not digits) is a diagnostic at that field's pointer.
pub fn from_json(text: &str) -> Result<(Module, Pointers, Vec<Diag>), Refused> {
    crate::with_work_stack(|| read(text))
}

fn read(text: &str) -> Result<(Module, Pointers, Vec<Diag>), Refused> {
    scan::walk(text, MAX_NESTING, |_, _| true).map_err(|deep| {
        let message = format!(
            "the document nests more than {MAX_NESTING} arrays and objects deep: its \
             constants would nest deeper than CPython's marshal reads"
        );
        refused(deep.pointer, message)
    })?;
    // The depth is bounded above, and the reading runs on the work stack.
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let doc = Doc::deserialize(&mut de)
        .and_then(|doc| de.end().map(|()| doc))
        .map_err(|e| serde_refusal(text, &e))?;
    if doc.format != FORMAT {
        return Err(refused(
            "/format".into(),
            format!(
                "not a pyasm module: \"format\" is {:?}, not {FORMAT:?}",
                doc.format
            ),
        ));
    }
    let version = Version::parse(&doc.python).ok_or_else(|| {
        refused(
            "/python".into(),
            format!(
                "unsupported Python version {:?}: pyasm supports {}",
                doc.python,
                Version::names()
            ),
        )
    })?;
    let mut r = Reader {
        pointers: Pointers(vec![String::new()]),
        diags: Vec::new(),
        version,
    };
    let blocks = doc
        .blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| r.block(b, &format!("/blocks/{i}")))
        .collect();
    let module = Module {
        version,
        header: doc.header.map(|h| PycHeader {
            version,
            flags: h.flags,
            word2: h.word2,
            word3: h.word3,
        }),
        blocks,
    };
    Ok((module, r.pointers, r.diags))
}

struct Reader {
    pointers: Pointers,
    diags: Vec<Diag>,
    version: Version,
}

impl Reader {
    fn error(&mut self, span: Span, message: String) {
        self.diags.push(Diag::error("json", span, message));
    }

    fn block(&mut self, j: JBlock, at: &str) -> Block {
        let span = self.pointers.span(at.to_string());
        let mut field_spans = Vec::new();
        // The model's field names for diagnostics, and their members here.
        let present: [(&'static str, &str, bool); 13] = [
            ("name", "co_name", j.co_name.is_some()),
            ("qualname", "qualname", j.qualname.is_some()),
            ("filename", "filename", j.filename.is_some()),
            ("firstlineno", "firstlineno", j.firstlineno.is_some()),
            ("argcount", "argcount", j.argcount.is_some()),
            (
                "posonlyargcount",
                "posonlyargcount",
                j.posonlyargcount.is_some(),
            ),
            (
                "kwonlyargcount",
                "kwonlyargcount",
                j.kwonlyargcount.is_some(),
            ),
            ("stacksize", "stacksize", j.stacksize.is_some()),
            ("flags", "flags", j.flags.is_some()),
            ("consts", "consts", !j.consts.is_empty()),
            ("names", "names", !j.names.is_empty()),
            ("linetable", "linetable", j.linetable.is_some()),
            (
                "exceptiontable",
                "exceptiontable",
                j.exceptiontable.is_some(),
            ),
        ];
        for (field, member, here) in present {
            if here {
                field_spans.push((field, self.pointers.span(format!("{at}/{member}"))));
            }
        }
        // The fields a version's code objects lack, as `.pyasm` text
        // refuses their directives.
        let table = self.version.table();
        let lacks = [
            ("qualname", j.qualname.is_some() && !table.localsplus),
            ("excepts", !j.excepts.is_empty() && !table.localsplus),
            (
                "exceptiontable",
                j.exceptiontable.is_some() && !table.localsplus,
            ),
            (
                "posonlyargcount",
                j.posonlyargcount.is_some() && !table.code_posonlyargcount,
            ),
            ("nlocals", j.nlocals.is_some() && table.localsplus),
            ("cellvars", j.cellvars.is_some() && table.localsplus),
        ];
        for (member, here) in lacks {
            if here {
                let span = self.pointers.span(format!("{at}/{member}"));
                let version = self.version;
                self.error(
                    span,
                    format!("`{member}`: a code object of Python {version} has no such field"),
                );
            }
        }
        let vars = j
            .vars
            .into_iter()
            .enumerate()
            .map(|(k, v)| model::Var {
                name: self.str(v.name),
                kinds: v.kinds,
                span: self.pointers.span(format!("{at}/vars/{k}")),
            })
            .collect();
        let consts = j
            .consts
            .into_iter()
            .enumerate()
            .map(|(k, c)| {
                let where_ = format!("{at}/consts/{k}");
                model::Constant::new(self.obj(c, &where_))
            })
            .collect();
        let names = j.names.into_iter().map(|n| self.str(n)).collect();
        let linetable = j
            .linetable
            .map(|h| self.bytes(h, &format!("{at}/linetable")));
        let exceptiontable = j
            .exceptiontable
            .map(|h| self.bytes(h, &format!("{at}/exceptiontable")));
        let excepts = j
            .excepts
            .into_iter()
            .enumerate()
            .map(|(k, e)| model::Except {
                start: e.start,
                end: e.end,
                handler: e.handler,
                depth: e.depth,
                lasti: e.lasti,
                span: self.pointers.span(format!("{at}/excepts/{k}")),
            })
            .collect();
        let body = j
            .body
            .into_iter()
            .enumerate()
            .map(|(k, s)| self.stmt(s, &format!("{at}/body/{k}")))
            .collect();
        Block {
            name: j.name,
            span,
            argcount: j.argcount,
            posonlyargcount: j.posonlyargcount,
            kwonlyargcount: j.kwonlyargcount,
            stacksize: j.stacksize,
            flags: j.flags,
            firstlineno: j.firstlineno,
            filename: j.filename.map(|s| self.str(s)),
            name_field: j.co_name.map(|s| self.str(s)),
            qualname: j.qualname.map(|s| self.str(s)),
            vars,
            nlocals: j.nlocals,
            cellvars: j
                .cellvars
                .map(|v| v.into_iter().map(|n| self.str(n)).collect()),
            consts,
            names,
            body,
            excepts,
            linetable,
            exceptiontable,
            verbatim: j.verbatim,
            field_spans,
        }
    }

    fn stmt(&mut self, s: JStmt, at: &str) -> Stmt {
        match s {
            JStmt::Label(JLabel { label }) => {
                let span = self.pointers.span(format!("{at}/label"));
                Stmt::Label(label, span)
            }
            JStmt::Instr(JInstr {
                op,
                arg,
                pos,
                min_ext,
            }) => {
                let span = self.pointers.span(at.to_string());
                let op_span = self.pointers.span(format!("{at}/op"));
                let arg_span = self.pointers.span(format!("{at}/arg"));
                let table = self.version.table();
                let opcode = match op {
                    Opcode::Number(n) => n,
                    Opcode::Name(name) => match table.by_name(&name) {
                        Some(info) => info.code,
                        None => {
                            let d = Diag::error(
                                "unknown-opcode",
                                op_span,
                                format!("unknown opcode `{name}` in Python {}", self.version),
                            )
                            .suggest(&name, table.names());
                            self.diags.push(d);
                            0
                        }
                    },
                };
                let arg = match arg {
                    None => Arg::None,
                    Some(a) => self.arg(a, &format!("{at}/arg")),
                };
                let pos = pos.map_or(Position::NONE, |p| Position {
                    line: p.line,
                    end_line: p.end_line,
                    col: p.col,
                    end_col: p.end_col,
                });
                Stmt::Instr(model::Instr {
                    opcode,
                    arg,
                    pos,
                    span,
                    arg_span,
                    min_ext,
                })
            }
        }
    }

    fn arg(&mut self, a: JArg, at: &str) -> Arg {
        match a {
            JArg::Value(v) => Arg::Value(v),
            JArg::Const(c) => Arg::Const(model::Constant::new(self.obj(c, &format!("{at}/const")))),
            JArg::Name(n) => Arg::Name(self.str(n)),
            JArg::NameFlags { flags, name } => Arg::NameFlags {
                flags,
                name: self.name_ref(name),
            },
            JArg::Pair(a, b) => Arg::Pair(self.name_ref(a), self.name_ref(b)),
            JArg::Label(l) => Arg::Label(l),
        }
    }

    fn name_ref(&mut self, n: JNameRef) -> NameRef {
        match n {
            JNameRef::Index(JIndex { index }) => NameRef::Index(index),
            JNameRef::Name(s) => NameRef::Name(self.str(s)),
        }
    }

    fn str(&mut self, s: JStr) -> PyStr {
        match s {
            JStr::Text(t) => PyStr::new(&t),
            // Any code point below 0x110000 is one a Python str can hold;
            // others are clamped out by from_chars' encoding rules.
            JStr::CodePoints(JCodePoints { code_points }) => PyStr::from_chars(&code_points),
        }
    }

    fn bytes(&mut self, h: Hex, at: &str) -> Vec<u8> {
        let s = h.0.as_bytes();
        let digit = |c: u8| (c as char).to_digit(16);
        let parsed: Option<Vec<u8>> = s
            .len()
            .is_multiple_of(2)
            .then(|| {
                s.chunks(2)
                    .map(|p| Some((digit(p[0])? * 16 + digit(p[1])?) as u8))
                    .collect()
            })
            .flatten();
        parsed.unwrap_or_else(|| {
            let span = self.pointers.span(at.to_string());
            self.error(
                span,
                "not bytes: expected an even number of hex digits".into(),
            );
            Vec::new()
        })
    }

    fn float(&mut self, f: JFloat, at: &str) -> u64 {
        let digits = f.bits.strip_prefix("0x").unwrap_or("");
        match u64::from_str_radix(digits, 16) {
            Ok(b) if digits.len() == 16 => b,
            _ => {
                let span = self.pointers.span(format!("{at}/bits"));
                self.error(
                    span,
                    format!(
                        "not a float's bits: {:?} (expected 0x and 16 hex digits)",
                        f.bits
                    ),
                );
                0
            }
        }
    }

    fn obj(&mut self, c: JConst, at: &str) -> Obj {
        let all = |r: &mut Reader, v: Vec<JConst>, tag: &str| {
            v.into_iter()
                .enumerate()
                .map(|(k, c)| r.obj(c, &format!("{at}/{tag}/{k}")))
                .collect::<Vec<_>>()
        };
        match c {
            JConst::Null => Obj::Null,
            JConst::None => Obj::None,
            JConst::True => Obj::True,
            JConst::False => Obj::False,
            JConst::Ellipsis => Obj::Ellipsis,
            JConst::StopIteration => Obj::StopIteration,
            JConst::Int(s) => match parse_int(&s) {
                Some(i) => Obj::Int(i),
                None => {
                    let span = self.pointers.span(format!("{at}/int"));
                    self.error(span, format!("not an int: {s:?} (expected decimal digits)"));
                    Obj::int(0)
                }
            },
            JConst::Float(f) => Obj::Float(self.float(f, &format!("{at}/float"))),
            JConst::Complex { real, imag } => Obj::Complex(
                self.float(real, &format!("{at}/complex/real")),
                self.float(imag, &format!("{at}/complex/imag")),
            ),
            JConst::Str(s) => Obj::Str(self.str(s)),
            JConst::Bytes(h) => Obj::Bytes(self.bytes(h, &format!("{at}/bytes"))),
            JConst::Tuple(v) => Obj::Tuple(all(self, v, "tuple")),
            JConst::List(v) => Obj::List(all(self, v, "list")),
            JConst::Set(v) => Obj::Set(all(self, v, "set")),
            JConst::Frozenset(v) => Obj::FrozenSet(all(self, v, "frozenset")),
            JConst::Dict(v) => Obj::Dict(self.pairs(v, &format!("{at}/dict"))),
            JConst::Frozendict(v) => Obj::FrozenDict(self.pairs(v, &format!("{at}/frozendict"))),
            JConst::Slice(s) => {
                let (a, b, c) = *s;
                Obj::Slice(Box::new((
                    self.obj(a, &format!("{at}/slice/0")),
                    self.obj(b, &format!("{at}/slice/1")),
                    self.obj(c, &format!("{at}/slice/2")),
                )))
            }
            JConst::Code(n) => Obj::CodeRef(n),
        }
    }

    fn pairs(&mut self, v: Vec<(JConst, JConst)>, at: &str) -> Vec<(Obj, Obj)> {
        v.into_iter()
            .enumerate()
            .map(|(k, (a, b))| {
                (
                    self.obj(a, &format!("{at}/{k}/0")),
                    self.obj(b, &format!("{at}/{k}/1")),
                )
            })
            .collect()
    }
}

/// Decimal digits with an optional leading `-`, nothing else.
fn parse_int(s: &str) -> Option<BigInt> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Builds a document as [`crate::assemble`] builds text: the same assembler
/// and verifier on the module it describes, its diagnostics' spans standing
/// for the pointers returned beside them. The module's `co_filename` is
/// `options.path` where the first block has none. A document that is not a
/// module has its one error (see [`from_json`]), and is for
/// `options.default_version`.
pub fn assemble(text: &str, options: &crate::TextOptions) -> (crate::Assembly, Pointers) {
    crate::with_work_stack(|| {
        let (mut module, pointers, mut diags) = match from_json(text) {
            Ok(read) => read,
            Err(refused) => {
                let (pointers, diag) = *refused;
                let assembly = crate::Assembly {
                    version: options.default_version,
                    code: None,
                    pyc: None,
                    diags: vec![diag],
                };
                return (assembly, pointers);
            }
        };
        let version = module.version;
        let mut assembly = crate::Assembly {
            version,
            code: None,
            pyc: None,
            diags: Vec::new(),
        };
        if module.blocks.is_empty() {
            diags.push(Diag::error("json", 0..0, "a module has at least one block"));
        }
        if diags.iter().any(Diag::is_error) {
            assembly.diags = diags;
            return (assembly, pointers);
        }
        if module.blocks[0].filename.is_none() {
            module.blocks[0].filename = Some(PyStr::new(options.path.unwrap_or("")));
        }
        match crate::asm::assemble_with(&module, options.build) {
            Ok((code, warnings)) => {
                diags.extend(warnings);
                let header = module.header.unwrap_or(PycHeader::timestamp(version, 0, 0));
                assembly.pyc = Some(crate::pyc::write_pyc(&header, &code));
                assembly.code = Some(code);
            }
            Err(ds) => diags.extend(ds),
        }
        diags.sort_by_key(|d| (d.span.start, d.span.end));
        assembly.diags = diags;
        (assembly, pointers)
    })
}
