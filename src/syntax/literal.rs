//! Decoding of literal tokens: integers, floats, strings and bytes, with
//! Python's escape rules. Pure functions of the token text.

use crate::code::PyStr;
use num_bigint::BigInt;
use num_traits::Num;

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
