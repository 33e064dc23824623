//! One pass over a JSON text that knows, at every value, the JSON pointer
//! of its place: how deeply the document nests is checked here before
//! serde reads it (serde would recurse once per level), and the pointers
//! diagnostics name are found here as places in the text. It reads bytes
//! and never fails: a text that is not JSON is serde's to report, and
//! this pass only gives up where the nesting goes too deep.

use std::ops::Range;

/// The document nests deeper than the limit: the pointer of the first
/// container too deep, and where it opens.
pub struct TooDeep {
    pub pointer: String,
    pub offset: usize,
}

/// An open container.
struct Frame {
    /// The pointer's length with this container's own place in it.
    own: usize,
    /// Where the member (its key) or element holding it starts.
    start: usize,
    object: bool,
    /// The next element's index, in an array.
    index: usize,
    /// In an object: the next string is a key.
    expect_key: bool,
}

/// Walks `text`, calling `on(pointer, range)` at the end of every value
/// with the range of its member (from its key's opening quote, in an
/// object) or element, and stops at the first container nested more than
/// `max_depth` containers deep, or where `on` returns false.
pub fn walk(
    text: &str,
    max_depth: usize,
    mut on: impl FnMut(&str, Range<usize>) -> bool,
) -> Result<(), TooDeep> {
    let bytes = text.as_bytes();
    let mut pointer = String::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Where the member whose value comes next starts (its key).
    let mut member_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b':' => i += 1,
            b',' => {
                if let Some(f) = stack.last_mut() {
                    if f.object {
                        f.expect_key = true;
                    } else {
                        f.index += 1;
                    }
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i);
                let key = stack.last().is_some_and(|f| f.object && f.expect_key);
                if key {
                    let f = stack.last_mut().expect("an object is open");
                    f.expect_key = false;
                    pointer.truncate(f.own);
                    push_key(&mut pointer, &text[i..end]);
                    member_start = i;
                } else {
                    let start = value_start(&mut pointer, &stack, member_start, i);
                    if !on(&pointer, start..end) {
                        return Ok(());
                    }
                }
                i = end;
            }
            b'{' | b'[' => {
                let start = value_start(&mut pointer, &stack, member_start, i);
                if stack.len() >= max_depth {
                    return Err(TooDeep { pointer, offset: i });
                }
                stack.push(Frame {
                    own: pointer.len(),
                    start,
                    object: b == b'{',
                    index: 0,
                    expect_key: b == b'{',
                });
                i += 1;
            }
            b'}' | b']' => {
                i += 1;
                if let Some(f) = stack.pop() {
                    pointer.truncate(f.own);
                    if !on(&pointer, f.start..i) {
                        return Ok(());
                    }
                }
            }
            _ => {
                // A number or a literal: up to the next delimiter.
                let end = bytes[i..]
                    .iter()
                    .position(|c| b",:]}\" \t\n\r[{".contains(c))
                    .map_or(bytes.len(), |n| i + n);
                let end = end.max(i + 1);
                let start = value_start(&mut pointer, &stack, member_start, i);
                if !on(&pointer, start..end) {
                    return Ok(());
                }
                i = end;
            }
        }
    }
    Ok(())
}

/// Sets `pointer` to the place of a value starting at `at` and returns
/// where its member or element starts.
fn value_start(pointer: &mut String, stack: &[Frame], member_start: usize, at: usize) -> usize {
    match stack.last() {
        Some(f) if !f.object => {
            pointer.truncate(f.own);
            pointer.push('/');
            pointer.push_str(&f.index.to_string());
            at
        }
        Some(_) => member_start,
        None => at,
    }
}

/// The offset just past the string starting with the quote at `at` (the
/// text's end for one never closed).
fn string_end(bytes: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Appends a key, given as its JSON string, as a pointer's segment
/// (RFC 6901: `~` as `~0`, `/` as `~1`).
fn push_key(pointer: &mut String, quoted: &str) {
    let key: String =
        serde_json::from_str(quoted).unwrap_or_else(|_| quoted.trim_matches('"').to_string());
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// A pointer short enough to read in a message: a long one keeps its
/// first and last segments and says how many it leaves out.
pub fn shorten(pointer: &str) -> String {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    if segments.len() <= 24 {
        return pointer.to_string();
    }
    let (head, tail) = (&segments[..12], &segments[segments.len() - 8..]);
    format!(
        "/{}/…({} more)…/{}",
        head.join("/"),
        segments.len() - 20,
        tail.join("/")
    )
}
