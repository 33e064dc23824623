//! The printer: a `Module` to `.pyasm` text.
//!
//! Its output parses back to the same `Module` (the round-trip tests hold it
//! to that). Layout: directives indented by four spaces, labels at the left
//! margin, instructions after a twelve-column position field that is filled
//! only where the position changes (a longer position is followed by one
//! space). The language server's formatter restores the same layout through
//! [`FIELD_INDENT`] and [`pad_to_opcode`].

use crate::code::kind;
use crate::code::linetable::Position;
use crate::model::{Arg, Block, Module, NameRef, Stmt};
use crate::syntax::literal::{
    bytes_lit, const_text, name_text, string_lit, write_const, write_name, write_position,
};
use crate::versions::{
    ArgKind, CompareEncoding, OpcodeTable, COMPARE_MASKS, FORMAT_CONVERSIONS, FORMAT_SPEC,
};
use std::fmt::Write;

pub fn print_module(m: &Module) -> String {
    let mut out = String::new();
    let _ = writeln!(out, ".python {}", m.version);
    if let Some(h) = &m.header {
        let _ = writeln!(out, ".pyc {}", header_text(h));
    }
    let table = m.version.table();
    for b in &m.blocks {
        out.push('\n');
        print_block(&mut out, table, b);
    }
    out
}

/// One block's lines, as [`print_module`] writes them.
pub fn block_text(table: &OpcodeTable, b: &Block) -> String {
    let mut out = String::new();
    print_block(&mut out, table, b);
    out
}

fn header_text(h: &crate::pyc::PycHeader) -> String {
    match h.flags {
        0 => format!("mtime {} size {}", h.word2, h.word3),
        1 | 3 => {
            let mut bytes = h.word2.to_le_bytes().to_vec();
            bytes.extend(h.word3.to_le_bytes());
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let check = if h.flags == 3 { "checked" } else { "unchecked" };
            format!("hash 0x{hex} {check}")
        }
        f => format!("flags {f} words {} {}", h.word2, h.word3),
    }
}

/// The indent of a block's fields (every directive but `.python`, `.pyc`
/// and `.code`).
pub const FIELD_INDENT: &str = "    ";

/// The width of the position field before an instruction's opcode.
const POS_WIDTH: usize = 12;

/// Pads the instruction line being written to `out`, whose position field
/// (possibly empty) starts at byte `start`, to the opcode's column: the
/// field's width, or one space past a position that fills it. Positions are
/// ASCII, so bytes are columns.
pub fn pad_to_opcode(out: &mut String, start: usize) {
    let used = out.len() - start;
    let pad = if used < POS_WIDTH {
        POS_WIDTH - used
    } else {
        1
    };
    out.extend(std::iter::repeat_n(' ', pad));
}

fn print_block(out: &mut String, table: &OpcodeTable, b: &Block) {
    let _ = writeln!(out, ".code {}", b.name);
    let field = |out: &mut String, name: &str, v: String| {
        let _ = writeln!(out, "{FIELD_INDENT}.{name} {v}");
    };
    if let Some(v) = &b.name_field {
        field(out, "name", string_lit(v));
    }
    if let Some(v) = &b.qualname {
        field(out, "qualname", string_lit(v));
    }
    if let Some(v) = &b.filename {
        field(out, "filename", string_lit(v));
    }
    if let Some(v) = b.firstlineno {
        field(out, "firstlineno", v.to_string());
    }
    if let Some(v) = b.flags {
        field(out, "flags", flags_text(v));
    }
    if let Some(v) = b.argcount {
        field(out, "argcount", v.to_string());
    }
    if let Some(v) = b.posonlyargcount {
        field(out, "posonlyargcount", v.to_string());
    }
    if let Some(v) = b.kwonlyargcount {
        field(out, "kwonlyargcount", v.to_string());
    }
    if let Some(v) = b.stacksize {
        field(out, "stacksize", v.to_string());
    }
    if b.verbatim {
        let _ = writeln!(out, "{FIELD_INDENT}.verbatim");
    }
    for v in &b.vars {
        let _ = writeln!(
            out,
            "{FIELD_INDENT}.var {}{}",
            name_text(&v.name),
            kinds_text(v.kinds)
        );
    }
    if let Some(v) = b.nlocals {
        field(out, "nlocals", v.to_string());
    }
    if let Some(v) = &b.cellvars {
        let mut line = format!("{FIELD_INDENT}.cellvars");
        for n in v {
            line.push(' ');
            line.push_str(&name_text(n));
        }
        let _ = writeln!(out, "{line}");
    }
    for c in &b.consts {
        field(out, "consts", const_text(c));
    }
    for n in &b.names {
        field(out, "names", name_text(n));
    }
    if let Some(t) = &b.linetable {
        field(out, "linetable", bytes_lit(t));
    }
    if let Some(t) = &b.exceptiontable {
        field(out, "exceptiontable", bytes_lit(t));
    }
    for e in &b.excepts {
        let mut s = format!(
            "{FIELD_INDENT}.except {} {} -> {}",
            e.start, e.end, e.handler
        );
        if let Some(d) = e.depth {
            let _ = write!(s, " depth {d}");
        }
        if e.lasti {
            s.push_str(" lasti");
        }
        out.push_str(&s);
        out.push('\n');
    }
    let mut last = Position::NONE;
    let show_pos = b.linetable.is_none();
    // Where positions are changes of line, each is written, even when the
    // line stays; otherwise only where the position changes (see
    // `LineTable::positions_are_changes`).
    let changes = table.line_table.positions_are_changes();
    // A block none of whose instructions has a position shows `-` on its
    // first: with no position written at all, it would be placed on the
    // lines of the file it is read from.
    let mut pin = show_pos
        && b.body
            .iter()
            .all(|s| !matches!(s, Stmt::Instr(i) if i.pos != Position::NONE));
    // Each line is written straight into `out`: the position, padded to
    // its column, the opcode, and the operand after a space (the space
    // taken back when the operand is empty), trailing blanks trimmed.
    for s in &b.body {
        match s {
            Stmt::Label(l, _) => {
                out.push_str(l);
                out.push_str(":\n");
            }
            Stmt::Instr(ins) => {
                for _ in 0..ins.min_ext {
                    pad_to_opcode(out, out.len());
                    out.push_str("EXTENDED_ARG\n");
                }
                let start = out.len();
                let written = if changes {
                    ins.pos != Position::NONE
                } else {
                    ins.pos != last
                };
                if show_pos && (written || pin) {
                    pin = false;
                    last = ins.pos;
                    write_position(out, &ins.pos);
                }
                pad_to_opcode(out, start);
                let op = table.by_code(ins.opcode);
                match op {
                    Some(o) => out.push_str(o.name),
                    None => {
                        let _ = write!(out, "OP_{}", ins.opcode);
                    }
                }
                out.push(' ');
                let before_operand = out.len();
                write_arg(out, table, op.map(|o| o.arg), &ins.arg);
                if out.len() == before_operand {
                    out.pop();
                }
                let kept = out[start..].trim_end().len();
                out.truncate(start + kept);
                out.push('\n');
            }
        }
    }
}

fn flags_text(v: u32) -> String {
    let mut parts = Vec::new();
    let mut rest = v;
    for (bit, name) in crate::code::FLAG_NAMES {
        if v & bit != 0 {
            parts.push(name.to_string());
            rest &= !bit;
        }
    }
    if v == 0 {
        return "0".to_string();
    }
    if rest != 0 {
        parts.push(format!("0x{rest:x}"));
    }
    parts.join(" ")
}

fn kinds_text(k: u8) -> String {
    if k == kind::LOCAL {
        return String::new();
    }
    let mut s = String::new();
    let mut rest = k;
    for &(bit, name) in kind::NAMES {
        if k & bit != 0 {
            s.push(' ');
            s.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 || k == 0 {
        let _ = write!(s, " 0x{rest:02x}");
    }
    s
}

fn write_arg(out: &mut String, table: &OpcodeTable, kind: Option<ArgKind>, arg: &Arg) {
    match arg {
        Arg::None => {}
        Arg::Const(c) => write_const(out, c),
        Arg::Name(n) => write_name(out, n),
        Arg::Label(l) => out.push_str(l),
        // Never made by the disassembler; lowering reported it.
        Arg::Broken => out.push_str("#0"),
        Arg::NameFlags { flags, name } => {
            match kind {
                Some(ArgKind::GlobalName) if flags & 1 == 1 => out.push_str("NULL + "),
                Some(ArgKind::ImportName) => {
                    if flags & 1 == 1 {
                        out.push_str("lazy ");
                    }
                    if flags & 2 == 2 {
                        out.push_str("eager ");
                    }
                }
                Some(ArgKind::AttrName | ArgKind::SuperAttr) => {
                    if kind == Some(ArgKind::SuperAttr) && flags & 2 == 2 {
                        out.push_str("two_arg ");
                    }
                    if flags & 1 == 1 {
                        out.push_str("NULL|self + ");
                    }
                }
                _ => {}
            }
            write_name_ref(out, name);
        }
        Arg::Pair(a, b) => {
            write_name_ref(out, a);
            out.push_str(", ");
            write_name_ref(out, b);
        }
        Arg::Value(v) => out.push_str(&value_text(table, kind, *v)),
    }
}

fn write_name_ref(out: &mut String, n: &NameRef) {
    match n {
        NameRef::Index(i) => {
            let _ = write!(out, "#{i}");
        }
        NameRef::Name(n) => write_name(out, n),
    }
}

/// The symbol for a `COMPARE_OP` argument, when the argument is exactly what
/// CPython's compiler writes for it.
pub fn compare_text(table: &OpcodeTable, v: u32) -> Option<String> {
    let ops = table.cmp_ops;
    match table.compare {
        CompareEncoding::Index => ops.get(v as usize).map(|s| s.to_string()),
        CompareEncoding::Masked => {
            let i = (v >> 4) as usize;
            let sym = ops.get(i)?;
            (v & 15 == COMPARE_MASKS[i]).then(|| sym.to_string())
        }
        CompareEncoding::MaskedBool => {
            let i = (v >> 5) as usize;
            let sym = ops.get(i)?;
            if v & 15 != COMPARE_MASKS[i] {
                return None;
            }
            Some(if v & 16 != 0 {
                format!("bool({sym})")
            } else {
                sym.to_string()
            })
        }
    }
}

fn value_text(table: &OpcodeTable, kind: Option<ArgKind>, v: u32) -> String {
    let listed = |list: &[&str]| match list.get(v as usize) {
        Some(s) => s.to_string(),
        None => format!("#{v}"),
    };
    match kind {
        Some(ArgKind::Compare) => compare_text(table, v).unwrap_or_else(|| format!("#{v}")),
        Some(ArgKind::Intrinsic1) => listed(table.intrinsic1),
        Some(ArgKind::Intrinsic2) => listed(table.intrinsic2),
        Some(ArgKind::CommonConstant) => listed(table.common_constants),
        Some(ArgKind::Special) => listed(table.special_methods),
        Some(ArgKind::FunctionAttr) => match table.function_flags.iter().find(|(b, _)| *b == v) {
            Some((_, n)) => n.to_string(),
            None => format!("#{v}"),
        },
        Some(ArgKind::Conversion) => match FORMAT_CONVERSIONS.iter().find(|(c, _)| *c == v) {
            Some((_, n)) => n.to_string(),
            None => format!("#{v}"),
        },
        Some(ArgKind::Int) | None => v.to_string(),
        Some(ArgKind::BinaryOp) => match table.nb_ops.get(v as usize) {
            Some(s) => s.to_string(),
            None => format!("#{v}"),
        },
        Some(ArgKind::MakeFunction) => {
            let mut parts = Vec::new();
            let mut rest = v;
            for (bit, name) in table.function_flags {
                if v & bit != 0 {
                    parts.push(*name);
                    rest &= !bit;
                }
            }
            if v == 0 {
                return "0".to_string();
            }
            if rest != 0 {
                return format!("#{v}");
            }
            parts.join(" ")
        }
        Some(ArgKind::FormatValue) => {
            if v == 0 {
                return "0".to_string();
            }
            if v & !(FORMAT_SPEC | 3) != 0 {
                return format!("#{v}");
            }
            let mut parts = Vec::new();
            if let Some((_, n)) = FORMAT_CONVERSIONS.iter().find(|(c, _)| *c == v & 3) {
                parts.push(*n);
            }
            if v & FORMAT_SPEC != 0 {
                parts.push("spec");
            }
            parts.join(" ")
        }
        Some(ArgKind::UnpackEx) => {
            if v > 0xFFFF {
                format!("#{v}")
            } else {
                format!("{}, {}", v & 0xFF, v >> 8)
            }
        }
        Some(_) => format!("#{v}"),
    }
}
