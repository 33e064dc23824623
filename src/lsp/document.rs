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
    /// The semantic tokens last sent, and the edits since; behind a lock
    /// because requests read the document shared.
    pub tokens: std::sync::Mutex<TokenState>,
    /// The top-level nodes that hold a syntax error, in text order: a
    /// reparse parses them again wherever they are, and may read them
    /// otherwise (see [`crate::ide::same_shape`]).
    errors: Vec<Range<usize>>,
    /// What the changes of the batch being applied replaced, with the lines
    /// before them that a reparse may read again, as of the text now.
    edited: Vec<Range<usize>>,
}

/// What the semantic tokens last sent for a document were, so that the next
/// request can be answered with what changed, working out only the lines
/// edited since (see `features::semantic_tokens_delta`).
#[derive(Default)]
pub struct TokenState {
    pub sent: Option<SentTokens>,
    /// The edits since, in order, each in the lines of the text it met.
    pub edits: Vec<LineEdit>,
    pub next_id: u64,
}

impl TokenState {
    /// Forgets what was sent (the ids go on, so an old one never matches).
    pub fn forget(&mut self) {
        self.sent = None;
        self.edits = Vec::new();
    }
}

/// More edits than this between two token requests: the next is worked
/// out whole.
const MAX_TOKEN_EDITS: usize = 4096;

pub struct SentTokens {
    /// The result id it went out with.
    pub id: u64,
    /// The version whose table classified it.
    pub version: Version,
    pub tokens: Vec<Token>,
}

/// One semantic token by its place (line, and start and length in the
/// negotiated encoding's units) and its legend indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub line: u32,
    pub start: u32,
    pub len: u32,
    pub kind: u32,
    pub mods: u32,
}

/// Lines `start..=old_end` of the text became lines `start..=new_end`; a
/// line they hold may read differently now.
#[derive(Clone, Copy, Debug)]
pub struct LineEdit {
    pub start: u32,
    pub old_end: u32,
    pub new_end: u32,
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
        let (a, b) = (r.start.min(n), r.end.min(n));
        if let Some(s) = rope.get_byte_slice(a.min(b)..b) {
            return s.into();
        }
        // An end inside a character: moved back to its start.
        let floor = |x: usize| rope.char_to_byte(rope.byte_to_char(x));
        let (a, b) = (floor(a), floor(b));
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

/// What the process running the server does about the memory analyses
/// free (see [`super::Memory`]): nothing unless it set it.
pub(super) static MEMORY: std::sync::OnceLock<super::Memory> = std::sync::OnceLock::new();

fn after_full_build() {
    if let Some(hook) = MEMORY.get().and_then(|m| m.release_freed) {
        hook();
    }
}

/// Edits applied so far, in every document: a release scheduled after one
/// is skipped when another came since.
static EDITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// After an edit's update, on the server's runtime: gives back what the
/// updates kept (see [`KeepFreed`]) once [`super::IDLE_RELEASE`] passes with
/// no other edit.
pub(super) fn release_when_idle() {
    use std::sync::atomic::Ordering::Relaxed;
    let Some(m) = MEMORY.get() else { return };
    let (Some(release), Some(_)) = (m.release_freed, m.keep_freed) else {
        return;
    };
    let edit = EDITS.fetch_add(1, Relaxed) + 1;
    tokio::spawn(async move {
        tokio::time::sleep(super::IDLE_RELEASE).await;
        if EDITS.load(Relaxed) == edit {
            release();
        }
    });
}

/// Keeps what is freed for the next update to use again while it lives
/// (see [`super::Memory::keep_freed`]).
struct KeepFreed(Option<fn(bool)>);

impl KeepFreed {
    fn new() -> Self {
        let hook = MEMORY.get().and_then(|m| m.keep_freed);
        if let Some(h) = hook {
            h(true);
        }
        KeepFreed(hook)
    }
}

impl Drop for KeepFreed {
    fn drop(&mut self) {
        if let Some(h) = self.0 {
            h(false);
        }
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
        let errors = crate::ide::error_lines(&tree, &(0..rope.len_bytes()));
        Document {
            rope,
            tree,
            analysis,
            version,
            encoding,
            count_parse_steps: false,
            parse_steps: 0,
            tokens: Default::default(),
            errors,
            edited: Vec::new(),
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
        // Also when the update panics.
        let _keep = KeepFreed::new();
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
                    self.token_state().forget();
                    self.errors = crate::ide::error_lines(&self.tree, &(0..self.rope.len_bytes()));
                    self.edited.clear();
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
            timing::time("errors", || self.reread_errors(&old));
            timing::time("tree_drop", || drop(old));
            self.analysis.update(&self.tree, &RopeSource(&self.rope));
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
        // The nodes the edit meets, which a node of several lines makes
        // reach past its lines: all of them are read again.
        let met = crate::ide::top_nodes_meeting(&self.tree, &(r.start..r.end.max(r.start + 1)));
        let (met_start, met_end) = met.iter().fold((r.start, r.end), |(a, b), n| {
            (a.min(n.start_byte()), b.max(n.end_byte()))
        });
        let met_lines = (
            self.rope.byte_to_line(met_start.min(self.rope.len_bytes())) as u32,
            self.rope.byte_to_line(
                met_end
                    .saturating_sub(1)
                    .max(met_start)
                    .min(self.rope.len_bytes()),
            ) as u32,
        );
        timing::time("rope_edit", || {
            let ca = self.rope.byte_to_char(r.start);
            let cb = self.rope.byte_to_char(r.end);
            self.rope.remove(ca..cb);
            self.rope.insert(ca, text);
        });
        timing::time("tree_edit", || self.tree.edit(&edit));
        let reach = timing::time("analysis_edit", || {
            self.analysis.edit(&edit);
            let reach = crate::ide::reparsed_before(&self.tree, r.start);
            if reach < r.start {
                self.analysis.touch(reach..r.start);
            }
            reach
        });
        // The lines before the edit are where they were.
        let start = (self.rope.byte_to_line(reach.min(r.start)) as u32).min(met_lines.0);
        let moved = |x: usize| {
            if x >= r.end {
                x - r.end + r.start + text.len()
            } else {
                x.min(r.start)
            }
        };
        let hit = |x: &Range<usize>| x.start <= r.end && x.end >= r.start.min(reach);
        // An error line the edit meets is among the nodes read again.
        self.errors.retain(|x| !hit(x));
        self.edited.push(met_start.min(r.start)..met_end.max(r.end));
        for x in self.errors.iter_mut().chain(self.edited.iter_mut()) {
            *x = moved(x.start)..moved(x.end);
        }
        // The rest of the line the new text ends on is read again with it.
        let end_line = self.rope.byte_to_line(r.start + text.len());
        let line_end = self
            .rope
            .line_to_byte((end_line + 1).min(self.rope.len_lines()));
        let line_start = self.rope.line_to_byte(self.rope.byte_to_line(r.start));
        self.edited
            .push(reach.min(line_start)..line_end.max(r.start + text.len()));
        let mut tokens = self.token_state();
        if tokens.sent.is_some() {
            if tokens.edits.len() < MAX_TOKEN_EDITS {
                // Lines past the edit that a node it met reached: moved by
                // as many lines as the edit added.
                let past = met_lines.1.saturating_sub(old_end_position.row as u32);
                tokens.edits.push(LineEdit {
                    start,
                    old_end: old_end_position.row as u32 + past,
                    new_end: new_end_position.row as u32 + past,
                });
            } else {
                tokens.forget();
            }
        }
    }

    /// After a reparse: the lines that hold an error are read again by
    /// it, anywhere in the text. Those it read otherwise (the line after
    /// included, which a recovery may take from) are marked for the
    /// analysis and the semantic tokens, as an edit's lines are; then the
    /// list of error lines is brought up to date where anything changed.
    fn reread_errors(&mut self, old: &Tree) {
        let len = self.rope.len_bytes();
        let mut edited = std::mem::take(&mut self.edited);
        let mut changed = Vec::new();
        for e in &self.errors {
            let first = self.rope.byte_to_line(e.start.min(len));
            let before = self.rope.line_to_byte(first.saturating_sub(1));
            let line = self.rope.byte_to_line(e.end.min(len));
            let next = self
                .rope
                .line_to_byte((line + 1).min(self.rope.len_lines()));
            let r = before.min(e.start)..next.max(e.end).min(len);
            if !crate::ide::same_shape(old, &self.tree, &r) {
                changed.push(r);
            }
        }
        // The error lines are looked for again in the line before and
        // after each edited run too: a recovery takes from its neighbours,
        // and an edit can turn them into errors or out of them (a reparse
        // that reads a neighbour otherwise marks it itself, as
        // `ide::reparsed_before` finds).
        for e in edited.iter_mut() {
            let first = self.rope.byte_to_line(e.start.min(len));
            let last = self.rope.byte_to_line(e.end.min(len));
            let before = self.rope.line_to_byte(first.saturating_sub(1));
            let after = self
                .rope
                .line_to_byte((last + 2).min(self.rope.len_lines()));
            *e = before.min(e.start)..after.max(e.end).min(len);
        }
        for r in &changed {
            self.analysis.touch(r.clone());
        }
        if !changed.is_empty() {
            let mut tokens = self.token_state();
            for r in &changed {
                if tokens.sent.is_some() {
                    let a = self.rope.byte_to_line(r.start) as u32;
                    let b = self.rope.byte_to_line(r.end) as u32;
                    tokens.edits.push(LineEdit {
                        start: a,
                        old_end: b,
                        new_end: b,
                    });
                }
            }
        }
        edited.extend(changed);
        edited.sort_by_key(|r| r.start);
        // Every line read again: its errors found in the new tree.
        let mut merged: Vec<Range<usize>> = Vec::new();
        for r in edited {
            match merged.last_mut() {
                Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
                _ => merged.push(r),
            }
        }
        let mut errors: Vec<Range<usize>> = std::mem::take(&mut self.errors)
            .into_iter()
            .filter(|x| {
                !merged
                    .iter()
                    .any(|m| x.start < m.end.max(m.start + 1) && x.end > m.start)
            })
            .collect();
        for m in &merged {
            errors.extend(crate::ide::error_lines(&self.tree, m));
        }
        errors.sort_by_key(|r| r.start);
        errors.dedup();
        self.errors = errors;
    }

    /// The semantic token state. After a panic while it was held, what it
    /// remembers is forgotten: the next request is worked out whole.
    pub fn token_state(&self) -> std::sync::MutexGuard<'_, TokenState> {
        self.tokens.lock().unwrap_or_else(|p| {
            let mut g = p.into_inner();
            g.forget();
            self.tokens.clear_poison();
            g
        })
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
            chunk: ("", 0),
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
    /// The rope's chunk last counted in, and where it starts.
    chunk: (&'a str, usize),
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
        let doc = self.doc;
        let rope = &doc.rope;
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
        'scan: while at < byte {
            if !(self.chunk.1 <= at && at < self.chunk.1 + self.chunk.0.len()) {
                let (chunk, start, _, _) = rope.chunk_at_byte(at);
                self.chunk = (chunk, start);
            }
            let (chunk, start) = self.chunk;
            for c in chunk[at - start..].chars() {
                if at + c.len_utf8() > byte {
                    break 'scan;
                }
                at += c.len_utf8();
                cu += c.len_utf16();
            }
        }
        self.counted = (at, cu);
        cu
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// The bytes `len` long at `place` in `text` (both ends moved back to
    /// a character's start, and cut to the text): where a random edit goes.
    pub(crate) fn char_range(text: &str, place: prop::sample::Index, len: usize) -> (usize, usize) {
        let a = text.floor_char_boundary(place.index(text.len() + 1));
        let b = text.floor_char_boundary((a + len).min(text.len()));
        (a, b)
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
            for k in 0..400 {
                text.push_str(&" ".repeat(shift));
                text.push_str(&format!("LOAD_CONST '{}'\n", "€".repeat(100 + k % 7)));
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

    /// The text of a small module with an error line `top:   LOAD_NAME f`
    /// after `far` lines.
    fn error_far_below(far: usize) -> String {
        let mut text = String::from(".code module\n");
        text.push_str(&"    NOP\n".repeat(far));
        text.push_str("top:   LOAD_NAME f  # x\n");
        text.push_str(&"    NOP\n".repeat(20));
        text.push_str("    LOAD_CONST None\n    RETURN_VALUE\n");
        text
    }

    /// Lines inserted above an error line make the reparse read it otherwise
    /// (a broken label and an instruction, or a label and a broken
    /// instruction): the analysis sees it as a fresh one does, however far
    /// below the edit it is. (Before, 300, 600 and 1,500 lines below kept the
    /// old finding.)
    #[test]
    fn an_error_line_read_otherwise_far_below_an_edit_is_analysed_again() {
        for far in [5, 100, 300, 600, 1500] {
            for inserted in 1..9 {
                let text = error_far_below(far);
                let mut doc = doc_of(&text, Encoding::Utf8);
                let at = Position::new(1, 0);
                doc.apply(
                    &[TextDocumentContentChangeEvent {
                        range: Some(tower_lsp_server::ls_types::Range::new(at, at)),
                        range_length: None,
                        text: "    NOP\n".repeat(inserted),
                    }],
                    2,
                );
                let now = doc.text();
                let fresh = doc_of(&now, Encoding::Utf8);
                assert_eq!(
                    doc.analysis.diagnostics(),
                    fresh.analysis.diagnostics(),
                    "{far} lines below, {inserted} inserted"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// The error lines a document keeps, brought up to date edit by
        /// edit, are those of its tree.
        #[test]
        fn the_error_lines_kept_are_those_of_the_tree(
            edits in prop::collection::vec(
                (any::<prop::sample::Index>(), 0usize..8, prop_oneof![
                    Just(""), Just("\n"), Just("x"), Just(" LOAD_FAST q\n"), Just("L9:\n"),
                    Just(".code g\n"), Just("'é\n𝄞"), Just("# c\n\n"), Just("(1,\n2)"), Just(")"),
                ]),
                1..16,
            ),
        ) {
            let mut doc = doc_of(&error_far_below(3), Encoding::Utf8);
            for (place, len, text) in edits {
                let now = doc.text();
                let (a, b) = char_range(&now, place, len);
                let range = tower_lsp_server::ls_types::Range::new(doc.position(a), doc.position(b));
                doc.apply(
                    &[TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: text.into() }],
                    2,
                );
                let scan = crate::ide::error_lines(&doc.tree, &(0..doc.rope.len_bytes()));
                prop_assert_eq!(&doc.errors, &scan, "after {:?} at {}..{} in\n{}", text, a, b, now);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
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
