//! The text forms of literals, both ways: integers, floats, strings and
//! bytes (with Python's escape rules), names, constants and positions. Each
//! form's parser and printer sit side by side, so that what the printer
//! writes is what the parser reads. Pure functions of the token text or of
//! the value.

use crate::code::linetable::Position;
use crate::code::{Obj, PyStr};
use num_bigint::BigInt;
use num_traits::Num;
use std::fmt::Write;

pub fn parse_int(text: &str) -> Result<BigInt, String> {
    let (neg, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let clean: String = rest.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() {
        return Err(format!("`{text}` is not a number"));
    }
    let v =
        BigInt::from_str_radix(digits, radix).map_err(|_| format!("`{text}` is not a number"))?;
    Ok(if neg { -v } else { v })
}

pub fn parse_u32(text: &str) -> Result<u32, String> {
    let v = parse_int(text)?;
    u32::try_from(&v).map_err(|_| format!("`{text}` is out of range (0 to {})", u32::MAX))
}

pub fn parse_i32(text: &str) -> Result<i32, String> {
    let v = parse_int(text)?;
    i32::try_from(&v).map_err(|_| format!("`{text}` is out of range for a 32-bit integer"))
}

pub fn parse_float(text: &str) -> Result<f64, String> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let clean = clean.strip_prefix('+').unwrap_or(&clean);
    clean
        .parse::<f64>()
        .map_err(|_| format!("`{text}` is not a float"))
}

/// A float literal that reads back to the same bits.
pub fn float_text(bits: u64) -> String {
    let v = f64::from_bits(bits);
    if v.is_nan() {
        if bits == f64::NAN.to_bits() {
            return "float('nan')".to_string();
        }
        return format!("f64(0x{bits:016x})");
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "float('inf')".to_string()
        } else {
            "float('-inf')".to_string()
        };
    }
    // Rust's shortest round-trip form; make sure it reads as a float.
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") {
        s
    } else {
        format!("{s}.0")
    }
}

pub enum StrLit {
    Str(PyStr),
    Bytes(Vec<u8>),
}

/// Decodes a quoted literal with an optional `b` prefix.
pub fn parse_string(text: &str) -> Result<StrLit, String> {
    let (is_bytes, body) = match text.as_bytes().first() {
        Some(b'b') | Some(b'B') => (true, &text[1..]),
        _ => (false, text),
    };
    if body.len() < 2 {
        return Err("unterminated string".into());
    }
    let q = body.as_bytes()[0];
    if body.as_bytes()[body.len() - 1] != q || !(q == b'\'' || q == b'"') {
        return Err("unterminated string".into());
    }
    let inner = &body[1..body.len() - 1];
    let mut cps: Vec<u32> = Vec::with_capacity(inner.len());
    let mut it = inner.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            if is_bytes && !c.is_ascii() {
                return Err(
                    "bytes literals may only contain ASCII characters; use \\x escapes".into(),
                );
            }
            cps.push(c as u32);
            continue;
        }
        let Some(e) = it.next() else {
            return Err("a backslash ends the string".into());
        };
        let hex =
            |it: &mut std::iter::Peekable<std::str::Chars>, n: usize| -> Result<u32, String> {
                let s: String = (0..n).filter_map(|_| it.next()).collect();
                if s.len() != n || !s.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!("escape needs {n} hex digits"));
                }
                Ok(u32::from_str_radix(&s, 16).unwrap_or(0))
            };
        match e {
            '\\' => cps.push(0x5C),
            '\'' => cps.push(0x27),
            '"' => cps.push(0x22),
            'n' => cps.push(0x0A),
            'r' => cps.push(0x0D),
            't' => cps.push(0x09),
            'a' => cps.push(0x07),
            'b' => cps.push(0x08),
            'f' => cps.push(0x0C),
            'v' => cps.push(0x0B),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                cps.push(v);
            }
            'x' => cps.push(hex(&mut it, 2)?),
            'u' if !is_bytes => cps.push(hex(&mut it, 4)?),
            'U' if !is_bytes => {
                let v = hex(&mut it, 8)?;
                if v > 0x10FFFF {
                    return Err("\\U escape is past the last code point".into());
                }
                cps.push(v);
            }
            other => {
                // Python keeps unknown escapes as written.
                cps.push(0x5C);
                cps.push(other as u32);
            }
        }
    }
    if is_bytes {
        if cps.iter().any(|&c| c > 0xFF) {
            return Err("bytes value out of range".into());
        }
        Ok(StrLit::Bytes(cps.iter().map(|&c| c as u8).collect()))
    } else {
        Ok(StrLit::Str(PyStr::from_chars(&cps)))
    }
}

/// A Python string literal for `s`, escaping what an editor would hide or
/// mangle, and lone surrogates (which UTF-8 text cannot carry).
pub fn string_lit(s: &PyStr) -> String {
    let mut out = String::with_capacity(s.0.len() + 2);
    write_string_lit(&mut out, s);
    out
}

pub fn write_string_lit(out: &mut String, s: &PyStr) {
    // Quotes are ASCII, and in (generalized) UTF-8 their bytes mean only
    // them.
    let has_single = s.0.contains(&b'\'');
    let has_double = s.0.contains(&b'"');
    let quote = if has_single && !has_double { '"' } else { '\'' };
    // Most strings need no escape at all.
    let plain = |b: &u8| (0x20..0x7F).contains(b) && *b != b'\\' && *b != quote as u8;
    if s.0.iter().all(plain) {
        out.push(quote);
        // All printable ASCII: valid UTF-8.
        out.push_str(std::str::from_utf8(&s.0).unwrap_or_default());
        out.push(quote);
        return;
    }
    out.reserve(s.0.len() + 2);
    out.push(quote);
    let cps: Vec<u32> = match std::str::from_utf8(&s.0) {
        // Valid UTF-8 holds no surrogates: its code points are the ones
        // `PyStr::chars` would decode.
        Ok(text) => text.chars().map(|c| c as u32).collect(),
        Err(_) => s
            .chars()
            .unwrap_or_else(|| s.0.iter().map(|&b| b as u32).collect()),
    };
    for c in cps {
        match c {
            0x5C => out.push_str("\\\\"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            c if c == quote as u32 => {
                out.push('\\');
                out.push(quote);
            }
            0x00..=0x1F | 0x7F..=0x9F => {
                let _ = write!(out, "\\x{c:02x}");
            }
            0xD800..=0xDFFF | 0x2028 | 0x2029 | 0xFEFF | 0xFFF9..=0xFFFF => {
                let _ = write!(out, "\\u{c:04x}");
            }
            c => match char::from_u32(c) {
                Some(ch) if !ch.is_control() => out.push(ch),
                _ if c <= 0xFFFF => {
                    let _ = write!(out, "\\u{c:04x}");
                }
                _ => {
                    let _ = write!(out, "\\U{c:08x}");
                }
            },
        }
    }
    out.push(quote);
}

pub fn bytes_lit(b: &[u8]) -> String {
    let has_single = b.contains(&b'\'');
    let has_double = b.contains(&b'"');
    let quote = if has_single && !has_double {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7E => out.push(c as char),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(quote as char);
    out
}

/// Identifiers that mean something in operand position; names spelled like
/// them are quoted.
const RESERVED: &[&str] = &[
    "None",
    "True",
    "False",
    "NULL",
    "inf",
    "nan",
    "StopIteration",
];

pub fn name_text(n: &PyStr) -> String {
    let mut s = String::new();
    write_name(&mut s, n);
    s
}

pub fn write_name(out: &mut String, n: &PyStr) {
    match n.as_str() {
        Some(s) if n.is_ascii_identifier() && !RESERVED.contains(&s) => out.push_str(s),
        _ => write_string_lit(out, n),
    }
}

pub fn const_text(o: &Obj) -> String {
    let mut s = String::new();
    write_const(&mut s, o);
    s
}

fn write_seq(out: &mut String, open: &str, items: &[Obj], close: &str, one_comma: bool) {
    out.push_str(open);
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_const(out, x);
    }
    if one_comma && items.len() == 1 {
        out.push(',');
    }
    out.push_str(close);
}

pub fn write_const(out: &mut String, o: &Obj) {
    match o {
        Obj::Null => out.push_str("NULL"),
        Obj::None => out.push_str("None"),
        Obj::False => out.push_str("False"),
        Obj::True => out.push_str("True"),
        Obj::StopIteration => out.push_str("StopIteration"),
        Obj::Ellipsis => out.push_str("..."),
        Obj::Int(i) => match i64::try_from(i) {
            Ok(small) => {
                let _ = write!(out, "{small}");
            }
            Err(_) => {
                let _ = write!(out, "{i}");
            }
        },
        Obj::Float(bits) => out.push_str(&float_text(*bits)),
        Obj::Complex(re, im) => {
            let _ = write!(out, "complex({}, {})", float_text(*re), float_text(*im));
        }
        Obj::Str(s) => write_string_lit(out, s),
        Obj::Bytes(b) => out.push_str(&bytes_lit(b)),
        Obj::Tuple(v) => write_seq(out, "(", v, ")", true),
        Obj::List(v) => write_seq(out, "[", v, "]", false),
        Obj::Set(v) if v.is_empty() => out.push_str("set()"),
        Obj::Set(v) => write_seq(out, "{", v, "}", false),
        Obj::FrozenSet(v) if v.is_empty() => out.push_str("frozenset()"),
        Obj::FrozenSet(v) => write_seq(out, "frozenset({", v, "})", false),
        Obj::Dict(kv) | Obj::FrozenDict(kv) => {
            // `dict((k, v), ...)`, or `frozendict(...)` (3.15): pairs, so
            // that stream order and repeated keys survive.
            out.push_str(if matches!(o, Obj::Dict(_)) {
                "dict("
            } else {
                "frozendict("
            });
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('(');
                write_const(out, k);
                out.push_str(", ");
                write_const(out, v);
                out.push(')');
            }
            out.push(')');
        }
        Obj::Slice(s) => {
            out.push_str("slice(");
            write_const(out, &s.0);
            out.push_str(", ");
            write_const(out, &s.1);
            out.push_str(", ");
            write_const(out, &s.2);
            out.push(')');
        }
        Obj::Code(c) => {
            // The disassembler always replaces code objects by references.
            let _ = write!(out, "@{}", String::from_utf8_lossy(&c.name.0));
        }
        Obj::CodeRef(n) => {
            let _ = write!(out, "@{n}");
        }
    }
}

/// `-`, `L`, `L-L2`, `L:C-E`, `L:C-L2:E`, with `?` for an absent column.
pub fn parse_position(t: &str) -> Option<Position> {
    if t == "-" {
        return Some(Position::default());
    }
    let col = |s: &str| -> Option<Option<i32>> {
        if s == "?" {
            Some(None)
        } else {
            s.parse().ok().map(Some)
        }
    };
    match t.split_once(':') {
        None => {
            let (a, b) = match t.split_once('-') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => {
                    let l = t.parse().ok()?;
                    (l, l)
                }
            };
            Some(Position {
                line: Some(a),
                end_line: Some(b),
                col: None,
                end_col: None,
            })
        }
        Some((line, rest)) => {
            let line: i32 = line.parse().ok()?;
            let (c, rest) = rest.split_once('-')?;
            let (end_line, e) = match rest.split_once(':') {
                Some((l, e)) => (l.parse().ok()?, e),
                None => (line, rest),
            };
            Some(Position {
                line: Some(line),
                end_line: Some(end_line),
                col: col(c)?,
                end_col: col(e)?,
            })
        }
    }
}

/// `L`, `L-L2`, `L:C-E`, `L:C-L2:E`, `-`; `?` stands for an absent column.
pub fn position_text(p: &Position) -> String {
    let mut s = String::new();
    write_position(&mut s, p);
    s
}

pub fn write_position(out: &mut String, p: &Position) {
    let Some(line) = p.line else {
        out.push('-');
        return;
    };
    let col = |out: &mut String, c: Option<i32>| match c {
        Some(c) => {
            let _ = write!(out, "{c}");
        }
        None => out.push('?'),
    };
    let end_line = p.end_line.unwrap_or(line);
    let _ = write!(out, "{line}");
    if p.col.is_none() && p.end_col.is_none() {
        if end_line != line {
            let _ = write!(out, "-{end_line}");
        }
        return;
    }
    out.push(':');
    col(out, p.col);
    out.push('-');
    if end_line != line {
        let _ = write!(out, "{end_line}:");
    }
    col(out, p.end_col);
}
