//! The language server's document against a fresh start: after any
//! sequence of edits, its text must be what the edits make of the text by a
//! plain string model, and its tree and diagnostics those of a fresh parse
//! and a fresh analysis of that text.
//!
//! `tests/lsp_random_edits.rs` drives it with seeded random edits, and the
//! `lsp_edits` fuzz target (`fuzz/`) and `tests/props.rs` with edit scripts
//! decoded from arbitrary bytes ([`run_script`]). Nothing here runs in the
//! server itself.

use super::document::{Document, Encoding};
use crate::asm::Options;
use crate::diag::Diag;
use crate::ide::FileAnalysis;
use crate::versions::Version;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

/// Pieces an edit inserts: whole lines that start or end blocks, a line
/// with a position (which a block without any loses its placing by), operands,
/// broken syntax, line breaks of every kind, and non-ASCII text (two-,
/// three- and four-byte UTF-8; surrogate pairs in UTF-16).
pub const PIECES: &[&str] = &[
    "\n",
    "\r\n",
    "x",
    " ",
    "#",
    "'",
    "é",
    "😀",
    "'naïve 😀 ok'",
    "\n.code extra\n        RESUME 0\n        LOAD_CONST None\n        RETURN_VALUE\n",
    ".code",
    "\n.code module\n",
    "LOAD_CONST 1\n",
    "\n2       NOP\n",
    "        POP_TOP\n",
    "        JUMP_FORWARD L9\n",
    "L9:\n",
    "@extra",
    "LOAD_FAST x",
    "(1, 2",
    ")",
    ".python 3.12\n",
    ".stacksize 1\n",
    "    .except L9 L9 -> L9\n",
    "// 3",
    "# a comment 😀\n",
];

/// The texts an edit script starts from: nothing, and a few examples.
pub const BASES: &[&str] = &[
    "",
    include_str!("../../examples/3.11/class.pyasm"),
    include_str!("../../examples/3.11/try_except.pyasm"),
    include_str!("../../examples/3.11/closure.pyasm"),
    include_str!("../../examples/3.12/generator.pyasm"),
    include_str!("../../examples/3.14/loop.pyasm"),
];

/// Compares a document with a fresh parse and a fresh analysis of its
/// text, as the server would make them with these settings.
pub fn matches_fresh(
    doc: &Document,
    default_version: Version,
    opts: Options,
) -> Result<(), String> {
    let text = doc.text();
    let tree = crate::syntax::parse(&text, None);
    let fresh = FileAnalysis::new(&tree, &text.as_str(), default_version, opts);
    if doc.tree.root_node().to_sexp() != tree.root_node().to_sexp() {
        return Err(format!(
            "the tree differs from a fresh parse\ntext:\n{text}"
        ));
    }
    if doc.analysis.preamble != fresh.preamble {
        return Err(format!(
            "the preamble differs from a fresh analysis: {:?}, fresh {:?}\ntext:\n{text}",
            doc.analysis.preamble, fresh.preamble
        ));
    }
    if doc.analysis.lowered_blocks().iter().any(Option::is_some) {
        let mut checked = FileAnalysis::new(&tree, &text.as_str(), default_version, opts);
        checked.check_blocks();
        checked.update(&tree, &text.as_str());
        let (got, want) = (doc.analysis.lowered_blocks(), checked.lowered_blocks());
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            if g.is_some() && g != w {
                return Err(format!(
                    "block {k} differs from a fresh lowering\nincremental:\n{g:?}\nfresh:\n{w:?}\ntext:\n{text}"
                ));
            }
        }
    }
    let got = doc.analysis.diagnostics();
    let want = fresh.diagnostics();
    // The analysis for a build lowers each block whole, not in pieces.
    let whole = FileAnalysis::for_build(tree.clone(), &text.as_str(), default_version, opts);
    let want_whole = whole.diagnostics();
    if want != want_whole {
        return Err(format!(
            "a block lowered in pieces differs from it lowered whole\npieces:\n{:?}\nwhole:\n{:?}\ntext:\n{text}",
            want, want_whole
        ));
    }
    if got != want {
        let show = |ds: &[Diag]| {
            ds.iter()
                .map(|d| format!("{:?} {} {}", d.span, d.code, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        };
        return Err(format!(
            "the diagnostics differ from a fresh analysis\nincremental:\n{}\nfresh:\n{}\ntext:\n{text}",
            show(&got),
            show(&want)
        ));
    }
    // The blocks the requests read, put together from the pieces, against
    // the same blocks lowered whole.
    let (segs, whole_segs) = (&doc.analysis.segments, &whole.segments);
    if segs.len() != whole_segs.len() {
        return Err(format!(
            "{} segments, {} lowered whole\ntext:\n{text}",
            segs.len(),
            whole_segs.len()
        ));
    }
    for (k, (s, w)) in segs.iter().zip(whole_segs).enumerate().skip(1) {
        let got = doc.block(s).map(|b| format!("{b:?}"));
        let want = whole
            .block(w, &tree, &text.as_str())
            .map(|b| format!("{b:?}"));
        if got != want {
            return Err(format!(
                "the block of segment {k} differs from it lowered whole\nrequests:\n{got:?}\nwhole:\n{want:?}\ntext:\n{text}"
            ));
        }
    }
    Ok(())
}

/// The byte offset of an LSP position in `text`, worked out on the string
/// itself, independently of the rope: lines end at `\n`, `\r\n` or a lone
/// `\r`; a position past the end of a line is its end, one past the last
/// line is the end of the text, and one inside a character is its start.
pub fn reference_offset(text: &str, p: Position, enc: Encoding) -> usize {
    let b = text.as_bytes();
    let mut start = 0;
    for _ in 0..p.line {
        let Some(k) = b[start..].iter().position(|&c| c == b'\n' || c == b'\r') else {
            return text.len();
        };
        start += k + if b[start + k..].starts_with(b"\r\n") {
            2
        } else {
            1
        };
    }
    let end = b[start..]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .map_or(text.len(), |k| start + k);
    let mut units = 0usize;
    for (i, ch) in text[start..end].char_indices() {
        let w = match enc {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
        if units + w > p.character as usize {
            return start + i;
        }
        units += w;
    }
    end
}

/// Applies one change to a plain string, as LSP defines it.
pub fn reference_apply(text: &mut String, c: &TextDocumentContentChangeEvent, enc: Encoding) {
    match c.range {
        None => *text = c.text.clone(),
        Some(r) => {
            let a = reference_offset(text, r.start, enc);
            let b = reference_offset(text, r.end, enc).max(a);
            text.replace_range(a..b, &c.text);
        }
    }
}

/// Reads bytes one at a time, as zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let (a, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        a
    }
}

/// Runs an edit script decoded from arbitrary bytes, and checks the
/// document against the string model after every change and against a
/// fresh parse and analysis after every batch.
///
/// The first byte picks the base text ([`BASES`]) and, by bit 7, the
/// position encoding (UTF-8 when set). Then each change is six bytes:
/// flags (bit 0 ends the batch, bit 1 makes it a deletion, bit 2 an
/// insertion at one point, bit 3 a replacement of the whole text), the
/// start line and character, the end line and character (lines taken
/// modulo the number of lines plus two, so some are past the end), and the
/// piece to insert: an index into [`PIECES`], or else the length of the
/// text that follows (read as UTF-8, invalid bytes replaced).
pub fn run_script(data: &[u8]) -> Result<(), String> {
    let (version, opts) = (Version::V3_11, Options::default());
    let mut input = Bytes(data);
    let first = input.next();
    let base = BASES[first as usize % BASES.len()];
    let enc = if first & 0x80 != 0 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let mut doc = Document::new(base, 0, enc, version, opts);
    matches_fresh(&doc, version, opts).map_err(|e| format!("after opening: {e}"))?;
    let mut model = base.to_string();
    let mut batch: Vec<TextDocumentContentChangeEvent> = Vec::new();
    let mut batches = 0;
    while !input.0.is_empty() {
        let flags = input.next();
        let lines = model.lines().count() as u32 + 2;
        let mut pos = || {
            let line = input.next() as u32 % lines;
            Position::new(line, input.next() as u32)
        };
        let (mut a, mut b) = (pos(), pos());
        if (b.line, b.character) < (a.line, a.character) {
            std::mem::swap(&mut a, &mut b);
        }
        if flags & 4 != 0 {
            b = a;
        }
        let piece = input.next() as usize;
        let mut text = match PIECES.get(piece) {
            Some(p) => p.to_string(),
            None => String::from_utf8_lossy(input.take(piece - PIECES.len())).into_owned(),
        };
        if flags & 2 != 0 {
            text.clear();
        }
        let change = TextDocumentContentChangeEvent {
            range: (flags & 8 == 0).then_some(Range::new(a, b)),
            range_length: None,
            text,
        };
        reference_apply(&mut model, &change, enc);
        batch.push(change);
        if flags & 1 != 0 || input.0.is_empty() {
            batches += 1;
            doc.apply(&batch, batches);
            batch.clear();
            if doc.text() != model {
                return Err(format!(
                    "after batch {batches}, the document's text differs from the string \
                     model\ndocument:\n{}\nmodel:\n{model}",
                    doc.text()
                ));
            }
            matches_fresh(&doc, version, opts)
                .map_err(|e| format!("after batch {batches}: {e}"))?;
        }
    }
    Ok(())
}
