//! An open document: a rope, its tree-sitter tree and its file analysis,
//! kept in step edit by edit, and the conversions between LSP positions
//! (UTF-8 or UTF-16 code units, as negotiated) and byte offsets.
//!
//! Each change is turned into a tree-sitter `InputEdit` against the text
//! before it, then applied to the rope, the tree and the analysis; after a
//! batch of changes the tree is reparsed incrementally and only the
//! segments the edits or the reparse touched are analysed again.

use crate::asm::Options;
use crate::ide::{timing, FileAnalysis, Seg, Source};
use crate::model::Block;
use crate::versions::Version;
use ropey::Rope;
use std::borrow::Cow;
use std::ops::Range;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};
use tree_sitter::{InputEdit, Point, Tree};

/// How LSP counts characters in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

pub struct Document {
    pub rope: Rope,
    pub tree: Tree,
    pub analysis: FileAnalysis,
    pub version: i32,
    pub encoding: Encoding,
    /// When set, the parser's steps in the next reparses are counted into
    /// `parse_steps`: the work an edit caused there, for the tests that
    /// hold it to the edited region. Counting slows parsing.
    pub count_parse_steps: bool,
    pub parse_steps: usize,
}

/// The rope as the analysis reads it.
pub struct RopeSource<'a>(pub &'a Rope);

impl Source for RopeSource<'_> {
    fn len(&self) -> usize {
        self.0.len_bytes()
    }
    fn slice(&self, r: Range<usize>) -> Cow<'_, str> {
        let rope = self.0;
        let n = rope.len_bytes();
        let floor = |x: usize| rope.char_to_byte(rope.byte_to_char(x.min(n)));
        let (a, b) = (floor(r.start), floor(r.end));
        rope.byte_slice(a.min(b)..b).into()
    }
}

/// Parses the rope (again, reusing what it can of `old`); with `count`,
/// also returns the parser's steps (see `syntax::parse_with_counted`).
fn parse_rope(rope: &Rope, old: Option<&Tree>, count: bool) -> (Tree, usize) {
    let mut read = |byte: usize, _: Point| -> &[u8] {
        if byte >= rope.len_bytes() {
            return &[];
        }
        let (chunk, start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - start..]
    };
    if count {
        crate::syntax::parse_with_counted(&mut read, old)
    } else {
        (crate::syntax::parse_with(&mut read, old), 0)
    }
}

/// What runs after a document was analysed whole (see [`super::run`]):
/// nothing unless the process running the server set it.
pub(super) static AFTER_FULL_BUILD: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

fn after_full_build() {
    if let Some(hook) = AFTER_FULL_BUILD.get() {
        hook();
    }
}

impl Document {
    /// The block of one of the analysis' segments, lowered from the text as
    /// it is now (see [`FileAnalysis::block`]).
    pub fn block(&self, seg: &Seg) -> Option<Block> {
        self.analysis
            .block(seg, &self.tree, &RopeSource(&self.rope))
    }

    pub fn new(
        text: &str,
        version: i32,
        encoding: Encoding,
        default_version: Version,
        opts: Options,
    ) -> Self {
        let rope = Rope::from_str(text);
        let (tree, _) = parse_rope(&rope, None, false);
        let analysis = FileAnalysis::new(&tree, &RopeSource(&rope), default_version, opts);
        // Lowering and verifying every block freed far more than the
        // analysis keeps.
        after_full_build();
        Document {
            rope,
            tree,
            analysis,
            version,
            encoding,
            count_parse_steps: false,
            parse_steps: 0,
        }
    }

    /// The whole text.
    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies a `didChange` batch, in order, then reparses and reanalyses.
    /// A range that reaches outside the text (a line past the last, a
    /// character past the end of its line) is clamped to it, as VS Code's
    /// own text model clamps positions, and applied; the returned notes say
    /// which changes were clamped, for the client's log.
    pub fn apply(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
    ) -> Vec<String> {
        let mut clamped = Vec::new();
        let mut edited = false;
        for (k, c) in changes.iter().enumerate() {
            match c.range {
                None => {
                    // A whole new text: nothing to reuse.
                    self.rope = Rope::from_str(&c.text);
                    (self.tree, self.parse_steps) =
                        parse_rope(&self.rope, None, self.count_parse_steps);
                    self.analysis.reset(&self.tree, &RopeSource(&self.rope));
                    after_full_build();
                    edited = false;
                }
                Some(r) => {
                    let (a, b, inside) = timing::time("offsets", || {
                        let (a, a_in) = self.clamped_offset(r.start);
                        let (b, b_in) = self.clamped_offset(r.end);
                        (a, b.max(a), a_in && b_in)
                    });
                    if !inside {
                        clamped.push(format!(
                            "change {} of version {version}: range {}:{}-{}:{} is outside the \
                             document ({} lines); applied to {}:{}-{}:{}",
                            k + 1,
                            r.start.line,
                            r.start.character,
                            r.end.line,
                            r.end.character,
                            self.rope.len_lines(),
                            self.position(a).line,
                            self.position(a).character,
                            self.position(b).line,
                            self.position(b).character,
                        ));
                    }
                    self.replace(a..b, &c.text);
                    edited = true;
                }
            }
        }
        if edited {
            let count = self.count_parse_steps;
            let (new_tree, steps) = timing::time("reparse", || {
                parse_rope(&self.rope, Some(&self.tree), count)
            });
            self.parse_steps = steps;
            // No `Tree::changed_ranges`: it walks every line of both trees
            // (60 ms on 100,000 lines). Lines are separate in the grammar, so
            // a reparse changes only the lines an edit touched and those
            // before it whose reading looked ahead into it (`replace` marks
            // them), and
            // `FileAnalysis::update` checks the ends of each touched run of
            // blocks against the new tree itself (tests/lsp_random_edits.rs
            // holds the result equal to a fresh analysis).
            let old = std::mem::replace(&mut self.tree, new_tree);
            timing::time("tree_drop", || drop(old));
            self.analysis
                .update(&self.tree, &[], &RopeSource(&self.rope));
        }
        self.version = version;
        clamped
    }

    /// Replaces bytes `r` with `text` in the rope, and describes the change
    /// to the tree and the analysis, measured against the text before it.
    pub fn replace(&mut self, r: Range<usize>, text: &str) {
        let start_position = self.point(r.start);
        let old_end_position = self.point(r.end);
        let mut new_end_position = start_position;
        match text.rfind('\n') {
            Some(last) => {
                new_end_position.row += text.matches('\n').count();
                new_end_position.column = text.len() - last - 1;
            }
            None => new_end_position.column += text.len(),
        }
        let edit = InputEdit {
            start_byte: r.start,
            old_end_byte: r.end,
            new_end_byte: r.start + text.len(),
            start_position,
            old_end_position,
            new_end_position,
        };
        timing::time("rope_edit", || {
            let ca = self.rope.byte_to_char(r.start);
            let cb = self.rope.byte_to_char(r.end);
            self.rope.remove(ca..cb);
            self.rope.insert(ca, text);
        });
        timing::time("tree_edit", || self.tree.edit(&edit));
        timing::time("analysis_edit", || {
            self.analysis.edit(&edit);
            let reach = crate::ide::reparsed_before(&self.tree, r.start);
            if reach < r.start {
                self.analysis.touch(reach..r.start);
            }
        });
    }

    /// Tree-sitter's point for a byte: rows end at `\n`, columns are bytes.
    fn point(&self, byte: usize) -> Point {
        let line = self.rope.byte_to_line(byte);
        let start = self.rope.line_to_byte(line);
        Point::new(line, byte - start)
    }

    /// The byte offset of an LSP position, clamped to the text: past the
    /// end of a line is its end, inside a character is its start.
    pub fn offset(&self, p: Position) -> usize {
        self.clamped_offset(p).0
    }

    /// [`Document::offset`], and whether `p` was inside the text: on one of
    /// its lines, at most at the end of that line.
    fn clamped_offset(&self, p: Position) -> (usize, bool) {
        let rope = &self.rope;
        let line = p.line as usize;
        if line >= rope.len_lines() {
            return (rope.len_bytes(), false);
        }
        let line_slice = rope.line(line);
        // The line without its ending.
        let mut len_chars = line_slice.len_chars();
        while len_chars > 0 {
            let c = line_slice.char(len_chars - 1);
            if c == '\n' || c == '\r' {
                len_chars -= 1;
            } else {
                break;
            }
        }
        let line_char = rope.line_to_char(line);
        let (char_in_line, inside) = match self.encoding {
            Encoding::Utf8 => {
                let len_bytes = line_slice.char_to_byte(len_chars);
                let b = (p.character as usize).min(len_bytes);
                (
                    line_slice.byte_to_char(b),
                    p.character as usize <= len_bytes,
                )
            }
            Encoding::Utf16 => {
                let base = rope.char_to_utf16_cu(line_char);
                let end = rope.char_to_utf16_cu(line_char + len_chars);
                let cu = (base + p.character as usize).min(end);
                (
                    rope.utf16_cu_to_char(cu) - line_char,
                    base + p.character as usize <= end,
                )
            }
        };
        (rope.char_to_byte(line_char + char_in_line), inside)
    }

    /// The LSP position of a byte offset (inside a character: of that
    /// character).
    pub fn position(&self, byte: usize) -> Position {
        self.positions().at(byte)
    }

    pub fn range(&self, r: &Range<usize>) -> tower_lsp_server::ls_types::Range {
        let mut p = self.positions();
        tower_lsp_server::ls_types::Range::new(p.at(r.start), p.at(r.end))
    }

    /// A converter of byte offsets to positions that is cheapest when
    /// asked in text order: it keeps the line it last found, and where on
    /// that line it counted to.
    pub fn positions(&self) -> Positions<'_> {
        Positions {
            doc: self,
            line: usize::MAX,
            start: 0,
            next: 0,
            counted: (0, 0),
        }
    }

    /// The text of a byte range.
    pub fn slice(&self, r: Range<usize>) -> String {
        RopeSource(&self.rope).slice(r).into_owned()
    }
}

/// See [`Document::positions`].
pub struct Positions<'a> {
    doc: &'a Document,
    /// The line last found (`usize::MAX`: none yet), where it starts, and
    /// where the next one starts.
    line: usize,
    start: usize,
    next: usize,
    /// A byte offset on that line at a character boundary, and the UTF-16
    /// code units from the line's start to it.
    counted: (usize, usize),
}

/// How far along a line a column is counted character by character from
/// the last place counted; further, the rope's own index answers (a line
/// of megabytes, say, one huge constant).
const COUNT_ALONG: usize = 512;

impl Positions<'_> {
    pub fn at(&mut self, byte: usize) -> Position {
        let rope = &self.doc.rope;
        let byte = byte.min(rope.len_bytes());
        if self.line == usize::MAX || byte < self.start || byte >= self.next {
            self.line = rope.byte_to_line(byte);
            self.start = rope.line_to_byte(self.line);
            self.next = if self.line + 1 < rope.len_lines() {
                rope.line_to_byte(self.line + 1)
            } else {
                rope.len_bytes() + 1
            };
            self.counted = (self.start, 0);
        }
        let character = match self.doc.encoding {
            Encoding::Utf8 => byte - self.start,
            Encoding::Utf16 => self.utf16_column(byte),
        };
        Position::new(self.line as u32, character as u32)
    }

    /// UTF-16 code units from the line's start to the character holding
    /// `byte`, on the line last found.
    fn utf16_column(&mut self, byte: usize) -> usize {
        let rope = &self.doc.rope;
        let (from, cu) = if byte >= self.counted.0 {
            self.counted
        } else {
            (self.start, 0)
        };
        if byte - from > COUNT_ALONG {
            let ch = rope.byte_to_char(byte);
            let line_char = rope.line_to_char(self.line);
            let cu = rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(line_char);
            self.counted = (rope.char_to_byte(ch), cu);
            return cu;
        }
        let (mut at, mut cu) = (from, cu);
        let (chunks, chunk_start, _, _) = rope.chunks_at_byte(from);
        let mut base = chunk_start;
        'chunks: for chunk in chunks {
            for (i, c) in chunk.char_indices() {
                let b = base + i;
                if b < from {
                    continue;
                }
                if b + c.len_utf8() > byte {
                    break 'chunks;
                }
                at = b + c.len_utf8();
                cu += c.len_utf16();
            }
            base += chunk.len();
        }
        self.counted = (at, cu);
        cu
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The position of `byte` by the rope's indexes alone, as
    /// [`Positions`] must give it.
    fn by_index(doc: &Document, byte: usize) -> Position {
        let rope = &doc.rope;
        let byte = byte.min(rope.len_bytes());
        let line = rope.byte_to_line(byte);
        let ch = rope.byte_to_char(byte);
        let line_char = rope.line_to_char(line);
        let character = match doc.encoding {
            Encoding::Utf8 => byte - rope.line_to_byte(line),
            Encoding::Utf16 => rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(line_char),
        };
        Position::new(line as u32, character as u32)
    }

    fn doc_of(text: &str, encoding: Encoding) -> Document {
        Document::new(text, 0, encoding, Version::V3_11, Options::default())
    }

    /// The analysis looks back some bytes from a node for the line's
    /// start; in text of many-byte characters it lands inside one. On the
    /// rope that once panicked (and on a `&str` read as empty).
    #[test]
    fn looking_back_into_a_character_is_the_same_on_the_rope_and_a_str() {
        for shift in 0..3 {
            let mut text = String::new();
            for k in 0..40 {
                text.push_str(&" ".repeat(shift));
                text.push_str(&format!("LOAD_CONST '{}'\n", "€".repeat(100 + k)));
                text.push_str("    NOP\n");
            }
            text.push_str(".code module\n    LOAD_CONST None\n    RETURN_VALUE\n");
            let doc = doc_of(&text, Encoding::Utf16);
            let tree = crate::syntax::parse(&text, None);
            let fresh =
                FileAnalysis::new(&tree, &text.as_str(), Version::V3_11, Options::default());
            assert_eq!(
                doc.analysis.diagnostics(),
                fresh.diagnostics(),
                "shift {shift}"
            );
            assert!(!fresh.diagnostics().is_empty());
        }
    }

    proptest! {
        /// Offsets asked in any order, inside characters and past the end,
        /// on lines short and longer than what is counted along.
        #[test]
        fn positions_agree_with_the_ropes_indexes(
            pieces in prop::collection::vec(
                prop_oneof![
                    Just("\n".to_string()),
                    Just("\r\n".to_string()),
                    "[a-z é€𝄞]{0,12}",
                    "[a𝄞]{600,700}",
                ],
                0..40,
            ),
            asks in prop::collection::vec(any::<prop::sample::Index>(), 1..60),
            sorted in any::<bool>(),
        ) {
            let text: String = pieces.concat();
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                let doc = doc_of(&text, encoding);
                let mut bytes: Vec<usize> =
                    asks.iter().map(|i| i.index(text.len() + 3)).collect();
                if sorted {
                    bytes.sort();
                }
                let mut p = doc.positions();
                for &b in &bytes {
                    prop_assert_eq!(p.at(b), by_index(&doc, b), "byte {} of {:?}", b, encoding);
                }
            }
        }
    }
}
