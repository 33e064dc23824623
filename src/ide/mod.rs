//! The analysis of one `.pyasm` file, kept up to date edit by edit: the one
//! engine behind `pyasm check`, `pyasm build` and the language server.
//!
//! A file is cut into segments at its `.code` lines (the preamble before the
//! first, then one per block; see [`crate::syntax::lower::segments`]). Each
//! segment is lowered and verified on its own, and the module-wide checks
//! run over small per-block summaries. After an edit only the segments the
//! edit or the reparse touched are lowered again; the others keep their
//! results and move by the edit's length.
//!
//! This module knows nothing of editors or LSP: text comes through
//! [`Source`], edits as tree-sitter `InputEdit`s, and results are [`Diag`]s
//! with byte spans.

mod block;
mod preamble;
pub mod timing;

use crate::analysis::module::{self, BlockFacts};
use crate::analysis::sections::Memo as SectionMemo;
use crate::asm::{self, BlockContext, BlockInfo, Options};
use crate::code::{Code, PyStr};
use crate::diag::Diag;
use crate::model::{Block, Body, Span};
use crate::syntax::lower::{self, Preamble};
use crate::versions::Version;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;
use tree_sitter::{InputEdit, Node, Tree};

/// Read access to the text of a file, by byte range. A `&str` is one; the
/// language server's rope is another.
pub trait Source {
    fn len(&self) -> usize;
    /// The text of `r`, each end moved back to the start of the
    /// character it falls in (a caller looking some bytes back from a node
    /// may land inside one), and cut to the text's end.
    fn slice(&self, r: Range<usize>) -> Cow<'_, str>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Source for &str {
    fn len(&self) -> usize {
        str::len(self)
    }
    fn slice(&self, r: Range<usize>) -> Cow<'_, str> {
        let (a, b) = (
            self.floor_char_boundary(r.start),
            self.floor_char_boundary(r.end),
        );
        Cow::Borrowed(&self[a.min(b)..b])
    }
}

/// One segment and what was found in it. Spans inside are file offsets as
/// they were when the segment was analysed; [`Seg::shift`] moves them to
/// where the segment is now.
#[derive(Debug, Default)]
pub struct Seg {
    /// Where the segment is now (bytes).
    pub start: usize,
    pub end: usize,
    /// `start` when it was analysed.
    at: usize,
    dirty: bool,
    /// Analysed as the module's own block (the first one).
    as_root: bool,
    /// The block lowered from this segment, kept only by
    /// [`FileAnalysis::for_build`]: lowered blocks are most of an
    /// analysis' memory, and the server asks [`FileAnalysis::block`] for
    /// the one or two it needs at a time.
    kept: Option<Box<Block>>,
    /// Layout and stack depths, when the block assembled.
    pub info: Option<BlockInfo>,
    /// The assembled code object, references to other blocks unresolved,
    /// when the analysis keeps them (see [`FileAnalysis::for_build`]).
    code: Option<Box<Code>>,
    /// Found by the assembler; lowering's are in `pieces`.
    diags: Vec<Diag>,
    pub(crate) facts: BlockFacts,
    /// A block's lines in pieces (see [`block`]), covering the segment
    /// once it is analysed; none for the preamble (see
    /// [`FileAnalysis::pieces`]) or an analysis [`FileAnalysis::for_build`]
    /// made.
    pieces: Vec<block::BlockPiece>,
    /// The block lowered, described (see [`FileAnalysis::check_blocks`]).
    described: Option<String>,
    /// What the stack analysis found in each section of a large block,
    /// for the next analysis of the block (see
    /// [`crate::analysis::stack::analyze_keeping`]).
    memo: SectionMemo,
}

impl Seg {
    /// How far the segment moved since it was analysed.
    pub fn delta(&self) -> isize {
        self.start as isize - self.at as isize
    }

    /// A span recorded at analysis, where it is now.
    pub fn shift(&self, s: &Span) -> Span {
        moved(s, self.delta())
    }

    /// A position now, as it was at analysis.
    pub fn unshift(&self, x: usize) -> usize {
        (x as isize - self.delta()).max(0) as usize
    }
}

/// Sorts findings as [`FileAnalysis::first_diagnostics`] reads them: by
/// where they start, then end (stable: those at one place keep their
/// order). Moving them all by one distance keeps that order.
fn in_text_order(diags: &mut [Diag]) {
    diags.sort_by_key(|d| (d.span.start, d.span.end));
}

/// Moves a finding's span and its notes' by `d` bytes.
fn shift_diag(x: &mut Diag, d: isize) {
    x.span = moved(&x.span, d);
    for n in &mut x.notes {
        n.0 = moved(&n.0, d);
    }
}

/// A span moved by `d` bytes.
fn moved(s: &Span, d: isize) -> Span {
    let f = |x: usize| (x as isize + d).max(0) as usize;
    f(s.start)..f(s.end)
}

pub struct FileAnalysis {
    default_version: Version,
    opts: Options,
    /// Contiguous, covering the file; `segments[0]` is the preamble.
    pub segments: Vec<Seg>,
    pub preamble: Preamble,
    module_diags: Vec<Diag>,
    /// The preamble's lines in pieces (see [`preamble`]), covering
    /// `segments[0]`.
    pieces: Vec<preamble::Piece<lower::PreState>>,
    /// How many top-level nodes make a piece (of the preamble or a block).
    piece_nodes: usize,
    /// Segments analysed by the last update (for measurements and tests).
    pub reanalysed: usize,
    /// Bytes of text the last update lowered: the work an edit caused,
    /// counted for the tests that hold it to the edited region.
    pub lowered_bytes: usize,
    /// Instructions the stack analysis walked in the last update, for the
    /// same tests (see [`crate::analysis::stack::SectionMemo::walked`]).
    pub stack_walked: usize,
    /// Instructions the kinds analysis walked in the last update (see
    /// [`crate::analysis::kinds::SectionMemo::walked`]).
    pub kinds_walked: usize,
    /// Instructions the definite-assignment pass walked (see
    /// [`crate::analysis::locals::SectionMemo::walked`]).
    pub locals_walked: usize,
    /// See [`FileAnalysis::set_section_size`].
    section_size: usize,
    /// Keep each block and the code object it assembled to, for
    /// [`FileAnalysis::link`] (see [`FileAnalysis::for_build`]).
    for_build: bool,
    /// See [`FileAnalysis::check_blocks`].
    check_blocks: bool,
}

/// The top-level nodes that start in `range`, and the first node that
/// starts at or after its end.
fn nodes_in<'t>(tree: &'t Tree, range: &Range<usize>) -> (Vec<Node<'t>>, Option<Node<'t>>) {
    let root = tree.root_node();
    let mut out = Vec::new();
    let mut siblings = Siblings::from(root, range.start);
    let mut n = siblings.first;
    // A node that straddles `range.start` starts before it.
    if let Some(x) = n {
        if x.start_byte() < range.start {
            n = siblings.next_after(x);
        }
    }
    while let Some(x) = n {
        if x.start_byte() >= range.end {
            return (out, Some(x));
        }
        out.push(x);
        n = siblings.next_after(x);
    }
    (out, None)
}

/// The top-level nodes that meet bytes `range` (a node straddling its
/// start included), in text order; an empty range meets the node holding
/// it.
pub fn top_nodes_meeting<'t>(tree: &'t Tree, range: &Range<usize>) -> Vec<Node<'t>> {
    let mut siblings = Siblings::from(tree.root_node(), range.start);
    let mut out = Vec::new();
    let mut n = siblings.first;
    while let Some(x) = n {
        if x.start_byte() >= range.end.max(range.start + 1) {
            break;
        }
        if x.end_byte() > range.start || x.start_byte() >= range.start {
            out.push(x);
        }
        n = siblings.next_after(x);
    }
    out
}

/// The byte ranges of the top-level nodes meeting `range` that hold a
/// syntax error, in text order.
pub fn error_lines(tree: &Tree, range: &Range<usize>) -> Vec<Range<usize>> {
    top_nodes_meeting(tree, range)
        .into_iter()
        .filter(|n| n.has_error())
        .map(|n| n.start_byte()..n.end_byte())
        .collect()
}

/// Whether the top-level nodes meeting `range` have the same shape in both
/// trees: the same nodes of the same kinds in the same places. A reparse
/// parses every line that holds an error again (tree-sitter reuses no
/// subtree with an error in it), and its recovery depends on where in the
/// grammar's line groups the line falls: lines inserted far above can turn
/// `top: LOAD_NAME f` from a broken label and an instruction into a label
/// and a broken instruction.
pub fn same_shape(old: &Tree, new: &Tree, range: &Range<usize>) -> bool {
    fn shape(tree: &Tree, range: &Range<usize>) -> Vec<(u16, usize, usize, bool)> {
        let mut out = Vec::new();
        for top in top_nodes_meeting(tree, range) {
            let mut c = top.walk();
            'walk: loop {
                let n = c.node();
                out.push((n.kind_id(), n.start_byte(), n.end_byte(), n.is_missing()));
                if c.goto_first_child() {
                    continue;
                }
                while !c.goto_next_sibling() {
                    if !c.goto_parent() || c.node() == top {
                        break 'walk;
                    }
                }
            }
        }
        out
    }
    shape(old, range) == shape(new, range)
}

/// The next run of dirty items (segments, pieces) at or after `from`: the
/// indices of its first and last item.
fn dirty_run<T>(items: &[T], from: usize, dirty: impl Fn(&T) -> bool) -> Option<(usize, usize)> {
    let k = from + items.get(from..)?.iter().position(&dirty)?;
    let n = items[k..].iter().take_while(|x| dirty(x)).count();
    Some((k, k + n - 1))
}

/// The top-level nodes from the one `first_child_for_byte` finds on, one
/// after the other as `Node::next_sibling` gives them, but with a cursor,
/// in amortised constant time each: `next_sibling` searches down from the
/// root every time, through the hidden nodes that hold a file's many
/// lines (it was half of `pyasm check` on a 100,000-line file).
struct Siblings<'t> {
    first: Option<Node<'t>>,
    /// At the last node given, when it could be placed there.
    cursor: Option<tree_sitter::TreeCursor<'t>>,
}

/// Where the lines start that a reparse may change before byte `at`, in
/// a tree just edited at `at` (`Tree::edit`): the top-level nodes just
/// before it that tree-sitter marked changed, because reading them looked
/// ahead into the edit (an error's recovery can). `at` if none.
pub fn reparsed_before(tree: &Tree, at: usize) -> usize {
    let root = tree.root_node();
    let mut n = crate::syntax::first_top_level(root, at.saturating_sub(1));
    if let Some(x) = n.filter(|x| x.start_byte() >= at) {
        n = x.prev_sibling();
    }
    let mut reach = at;
    // Strictly backwards, whatever `prev_sibling` gives around hidden
    // nodes.
    while let Some(x) = n.filter(|x| x.has_changes() && x.start_byte() < reach) {
        reach = reach.min(x.start_byte());
        n = x.prev_sibling();
    }
    reach
}

impl<'t> Siblings<'t> {
    fn from(root: Node<'t>, byte: usize) -> Self {
        let first = crate::syntax::first_top_level(root, byte);
        let mut cursor = root.walk();
        // The cursor's search may differ from the node's around empty or
        // hidden nodes; then every step goes through `next_sibling`.
        let placed = first.is_some_and(|f| {
            cursor
                .goto_first_child_for_byte(f.start_byte().max(byte))
                .is_some()
                && cursor.node() == f
        });
        Siblings {
            first,
            cursor: placed.then_some(cursor),
        }
    }

    /// The next sibling of `x`, the node given last (or `first`).
    fn next_after(&mut self, x: Node<'t>) -> Option<Node<'t>> {
        let Some(cursor) = self.cursor.as_mut().filter(|c| c.node() == x) else {
            self.cursor = None;
            return x.next_sibling();
        };
        // `next_sibling` passes over nodes that end where `x` ends (empty
        // ones); siblings never overlap, so that is the only difference.
        while cursor.goto_next_sibling() {
            let n = cursor.node();
            if n.end_byte() > x.end_byte() {
                return Some(n);
            }
        }
        self.cursor = None;
        None
    }
}

impl FileAnalysis {
    /// Analyses a whole file.
    pub fn new(tree: &Tree, src: &dyn Source, default_version: Version, opts: Options) -> Self {
        Self::analyse_file(tree, src, default_version, opts, false)
    }

    /// Analyses a whole file and keeps every lowered block and the code
    /// object it assembled to, so that [`FileAnalysis::link`] puts the
    /// module together without lowering or assembling anything again (what
    /// `pyasm build` does).
    ///
    /// It takes the tree, and frees it once every block is lowered, before
    /// any is assembled: the tree of a large file is the biggest thing in
    /// memory, and the verifier's analyses of a large function the next.
    pub fn for_build(
        tree: Tree,
        src: &dyn Source,
        default_version: Version,
        opts: Options,
    ) -> Self {
        let mut fa = Self::empty(src, default_version, opts, true);
        let lowered: Vec<(usize, lower::Segment)> = {
            let fresh = fa.resegment(&tree, src);
            let mut lowered = Vec::with_capacity(fresh.len());
            for (i, (range, nodes)) in fresh.iter().enumerate() {
                // One dirty segment, the whole text, was cut into these.
                debug_assert_eq!(*range, (fa.segments[i].start, fa.segments[i].end));
                // The preamble first: it says how to read the blocks.
                if i == 0 {
                    fa.analyse_preamble(&tree, src);
                } else {
                    lowered.push((i, fa.lower(i, &tree, src, Some(nodes))));
                }
            }
            lowered
        };
        drop(tree);
        for (i, l) in lowered {
            fa.assemble_whole(i, l);
        }
        fa.check_module();
        fa
    }

    fn analyse_file(
        tree: &Tree,
        src: &dyn Source,
        default_version: Version,
        opts: Options,
        for_build: bool,
    ) -> Self {
        let mut fa = Self::empty(src, default_version, opts, for_build);
        fa.update(tree, src);
        fa
    }

    /// An analysis of nothing yet: one dirty segment over the whole text.
    fn empty(src: &dyn Source, default_version: Version, opts: Options, for_build: bool) -> Self {
        FileAnalysis {
            default_version,
            opts,
            segments: vec![Seg {
                start: 0,
                end: src.len(),
                dirty: true,
                ..Seg::default()
            }],
            preamble: Preamble {
                version: default_version,
                header: None,
            },
            module_diags: Vec::new(),
            pieces: Vec::new(),
            piece_nodes: preamble::PIECE_NODES,
            reanalysed: 0,
            lowered_bytes: 0,
            stack_walked: 0,
            kinds_walked: 0,
            locals_walked: 0,
            section_size: 0,
            for_build,
            check_blocks: false,
        }
    }

    /// The module's code object, put together from the blocks and code
    /// objects an analysis made [`FileAnalysis::for_build`] kept (see
    /// [`asm::link`]): nothing is lowered or assembled again. Only for a
    /// file without errors; the limits on what the whole module may cost
    /// are checked here, as the blocks are copied into each other.
    ///
    /// `path` is the file's path as the user gave it: the module's
    /// `co_filename` when its first block has no `.filename` (and so every
    /// other block's without one), so that a traceback names the file.
    pub fn link(self, path: &str) -> Result<Code, Vec<Diag>> {
        let mut blocks = Vec::new();
        let mut codes = Vec::new();
        for s in self.segments.into_iter().skip(1) {
            if let Some(b) = s.kept {
                blocks.push(*b);
                codes.push(s.code.map(|c| *c));
            }
        }
        if let Some(root) = blocks.first_mut() {
            root.filename.get_or_insert_with(|| PyStr::new(path));
        }
        let module = crate::model::Module {
            version: self.preamble.version,
            header: self.preamble.header,
            blocks,
        };
        asm::link(&module, codes)
    }

    /// Forgets every result and analyses the whole text again (after the
    /// text was replaced as a whole).
    pub fn reset(&mut self, tree: &Tree, src: &dyn Source) {
        self.pieces.clear();
        self.segments = vec![Seg {
            start: 0,
            end: src.len(),
            dirty: true,
            ..Seg::default()
        }];
        self.update(tree, src);
    }

    /// Changes the settings; everything is analysed again at the next
    /// update.
    pub fn configure(&mut self, default_version: Version, opts: Options) {
        self.default_version = default_version;
        self.opts = opts;
        for s in &mut self.segments {
            s.dirty = true;
        }
        self.touch_pieces();
        self.touch_block_pieces();
    }

    /// Records an edit (before reparsing): segments after it move, the ones
    /// it touches are marked for analysis.
    pub fn edit(&mut self, e: &InputEdit) {
        let (s, old_end, new_end) = (e.start_byte, e.old_end_byte, e.new_end_byte);
        let map = |p: usize| {
            if p <= s {
                p
            } else if p >= old_end {
                (p as isize + new_end as isize - old_end as isize) as usize
            } else {
                new_end
            }
        };
        for seg in &mut self.segments {
            if seg.end >= s && seg.start <= old_end {
                seg.dirty = true;
            }
            seg.start = map(seg.start);
            seg.end = map(seg.end);
            preamble::edit_pieces(&mut seg.pieces, e, &map);
        }
        preamble::edit_pieces(&mut self.pieces, e, &map);
    }

    /// Marks what touches bytes `r` for analysis: text whose tree the
    /// reparse may change beyond the edits (see [`reparsed_before`]).
    pub fn touch(&mut self, r: Range<usize>) {
        preamble::touch_range(&mut self.pieces, &r);
        for seg in &mut self.segments {
            if seg.end >= r.start && seg.start <= r.end {
                seg.dirty = true;
                preamble::touch_range(&mut seg.pieces, &r);
            }
        }
    }

    /// Brings the analysis up to date with `tree`, reparsed after the edits
    /// given to [`FileAnalysis::edit`]. What the reparse read again beyond
    /// them the caller has marked with [`FileAnalysis::touch`]: the
    /// language server's document is the one place that works that out
    /// (`lsp::document`, from [`reparsed_before`] and the error lines).
    pub fn update(&mut self, tree: &Tree, src: &dyn Source) {
        let len = src.len();
        if let Some(last) = self.segments.last_mut() {
            if last.end != len {
                last.end = len;
                last.dirty = true;
                if self.segments.len() == 1 {
                    self.touch_pieces();
                }
            }
        }
        // The top-level nodes of each segment just cut, so that analysing
        // it does not walk the tree for them a second time.
        let fresh = timing::time("resegment", || self.resegment(tree, src));
        let known: FxHashMap<(usize, usize), Vec<Node>> = fresh.into_iter().collect();
        let nodes_of = |seg: &Seg| known.get(&(seg.start, seg.end)).map(Vec::as_slice);
        self.reanalysed = 0;
        self.lowered_bytes = 0;
        self.stack_walked = 0;
        self.kinds_walked = 0;
        self.locals_walked = 0;
        if self.check_blocks {
            // A block not analysed again keeps the rows its instructions
            // were placed on, even when lines came before it: only the
            // blocks lowered now are described.
            for s in &mut self.segments {
                s.described = None;
            }
        }
        let t = timing::enabled().then(std::time::Instant::now);
        // The preamble first: the version and header concern every block.
        if self.segments[0].dirty {
            let old = self.preamble.clone();
            self.analyse_preamble(tree, src);
            if self.preamble != old {
                for s in &mut self.segments {
                    s.dirty = true;
                }
            }
        }
        for i in 1..self.segments.len() {
            if self.segments[i].dirty || self.segments[i].as_root != (i == 1) {
                let nodes = nodes_of(&self.segments[i]);
                self.analyse(i, tree, src, nodes);
            }
        }
        if let Some(t) = t {
            timing::add("analysis", t.elapsed());
        }
        self.check_module();
    }

    /// The module-wide checks, over every block's facts.
    fn check_module(&mut self) {
        let facts: Vec<(&BlockFacts, isize)> = self.segments[1..]
            .iter()
            .map(|s| (&s.facts, s.delta()))
            .collect();
        self.module_diags = timing::time("module_checks", || {
            module::module_checks(self.preamble.version, &facts, self.opts.verify)
        });
        in_text_order(&mut self.module_diags);
    }

    /// Cuts the dirty runs of segments again from the tree's top-level
    /// nodes, widening a run until both its ends sit on segment boundaries
    /// that the tree agrees with. Returns each new segment's range and its
    /// top-level nodes (what `nodes_in` gives for that range).
    #[allow(clippy::type_complexity)]
    fn resegment<'t>(
        &mut self,
        tree: &'t Tree,
        src: &dyn Source,
    ) -> Vec<((usize, usize), Vec<Node<'t>>)> {
        let name = |r: Span| src.slice(r).into_owned();
        // The preamble's pieces cover it, what is new of it a dirty piece.
        preamble::fit_pieces(&mut self.pieces, 0, self.segments[0].end);
        let mut cut = Vec::new();
        let mut from = 0;
        while let Some((mut i, mut j)) = dirty_run(&self.segments, from, |s| s.dirty) {
            if i == j && i > 0 && self.block_stays(i, tree, &name) {
                // Analysed as it is, its pieces walking their own nodes.
                from = i + 1;
                continue;
            }
            let (nodes, next) = loop {
                let range = self.segments[i].start..self.segments[j].end;
                let root = tree.root_node();
                let (nodes, next) = if i == 0 {
                    // Of the preamble, only its dirty pieces can have
                    // changed (see `preamble`), unless a block now starts
                    // in one: then the lines after it are that block's.
                    let mut nodes = self.dirty_piece_nodes(tree);
                    nodes.retain(|n| n.start_byte() < self.segments[0].end);
                    let from = match nodes.iter().position(|n| lower::starts_block(*n, &name)) {
                        Some(k) => {
                            let from = nodes[k].start_byte();
                            nodes.truncate(k);
                            from
                        }
                        None => self.segments[0].end,
                    };
                    let (rest, next) = nodes_in(tree, &(from..range.end));
                    nodes.extend(rest);
                    (nodes, next)
                } else {
                    nodes_in(tree, &range)
                };
                let straddles_start = crate::syntax::first_top_level(root, range.start)
                    .is_some_and(|x| x.start_byte() < range.start);
                let good_start = i == 0
                    || (!straddles_start
                        && nodes.first().is_some_and(|n| {
                            n.start_byte() == range.start && lower::starts_block(*n, &name)
                        }));
                if !good_start {
                    i -= 1;
                    continue;
                }
                let straddles_end = nodes.last().is_some_and(|n| n.end_byte() > range.end);
                let good_end = j + 1 == self.segments.len()
                    || (!straddles_end
                        && next.is_some_and(|n| {
                            n.start_byte() == self.segments[j + 1].start
                                && lower::starts_block(n, &name)
                        }));
                if !good_end {
                    j += 1;
                    continue;
                }
                break (nodes, next);
            };
            let _ = next;
            let lo = self.segments[i].start;
            let hi = self.segments[j].end;
            let mut starts: Vec<usize> = Vec::new();
            if i == 0 {
                starts.push(0);
            }
            for n in &nodes {
                if lower::starts_block(*n, &name) {
                    starts.push(n.start_byte());
                }
            }
            if starts.is_empty() || starts[0] != lo {
                // Only possible for i == 0, which always starts at 0.
                starts.insert(0, lo);
            }
            let fresh: Vec<Seg> = starts
                .iter()
                .enumerate()
                .map(|(k, &a)| Seg {
                    start: a,
                    end: starts.get(k + 1).copied().unwrap_or(hi),
                    dirty: true,
                    ..Seg::default()
                })
                .collect();
            // Nodes are in text order, and every new segment but the first
            // starts at a node: each takes the nodes that start in it.
            let mut rest = nodes.as_slice();
            for seg in &fresh {
                let k = rest.partition_point(|x| x.start_byte() < seg.end);
                let (mine, after) = rest.split_at(k);
                cut.push(((seg.start, seg.end), mine.to_vec()));
                rest = after;
            }
            let n = fresh.len();
            // A block's pieces stay with the segment that now holds them
            // (`lower_block` fits them to it): segments are cut again after
            // any edit in them.
            let mut kept: Vec<block::BlockPiece> = self.segments[i..=j]
                .iter_mut()
                .flat_map(|s| std::mem::take(&mut s.pieces))
                .collect();
            // So do the stack analysis' sections (it checks that what it
            // kept is what it finds): an edit within a block leaves it one
            // segment, which takes the old one's.
            let mut memos: Vec<SectionMemo> = self.segments[i..=j]
                .iter_mut()
                .map(|s| std::mem::take(&mut s.memo))
                .collect();
            let mut fresh = fresh;
            for (seg, memo) in fresh.iter_mut().zip(memos.drain(..)) {
                seg.memo = memo;
            }
            self.segments.splice(i..=j, fresh);
            // Not the preamble's: its lines have pieces of their own.
            for seg in self.segments[i.max(1)..i + n].iter_mut() {
                let k = kept.partition_point(|p| p.start < seg.start);
                kept.drain(..k);
                let m = kept.partition_point(|p| p.end <= seg.end);
                seg.pieces = kept.drain(..m).collect();
            }
            from = i + n;
        }
        cut
    }

    /// Whether dirty block segment `i` is still one block, as it is: its
    /// pieces cover it, it starts at a `.code` line and ends where the next
    /// one starts (or at the end of the file), and no line of its dirty
    /// pieces starts another. Only the dirty pieces' nodes are walked, and
    /// the lines at its two ends looked up: a clean piece holds the lines
    /// it held, so an edit in a block of 100,000 instructions does not walk
    /// all of them to find that it is still one block.
    fn block_stays(&self, i: usize, tree: &Tree, name: &dyn Fn(Span) -> String) -> bool {
        let seg = &self.segments[i];
        let (lo, hi) = (seg.start, seg.end);
        let pieces = &seg.pieces;
        let covers = pieces.first().is_some_and(|p| p.start == lo)
            && pieces.last().is_some_and(|p| p.end == hi)
            && pieces.windows(2).all(|w| w[0].end == w[1].start);
        if !covers {
            return false;
        }
        let root = tree.root_node();
        let starts_here = |x: usize| {
            crate::syntax::first_top_level(root, x)
                .is_some_and(|n| n.start_byte() == x && lower::starts_block(n, name))
        };
        if !starts_here(lo) || (i + 1 < self.segments.len() && !starts_here(hi)) {
            return false;
        }
        let mut from = 0;
        while let Some((k, j)) = dirty_run(pieces, from, |p| p.dirty) {
            let (nodes, _) = nodes_in(tree, &(pieces[k].start..pieces[j].end));
            if nodes
                .iter()
                .any(|n| n.start_byte() != lo && lower::starts_block(*n, name))
            {
                return false;
            }
            from = j + 1;
        }
        true
    }

    /// Lowers segment `i` as the text and tree are now, with the settings'
    /// changes to what is written (`recompute_stack`); `known` are its
    /// top-level nodes when `resegment` just found them.
    fn lower(
        &self,
        i: usize,
        tree: &Tree,
        src: &dyn Source,
        known: Option<&[Node]>,
    ) -> lower::Segment {
        let (start, end) = (self.segments[i].start, self.segments[i].end);
        let text = src.slice(start..end);
        let walked;
        let nodes = match known {
            Some(k) => {
                debug_assert_eq!(k, nodes_in(tree, &(start..end)).0.as_slice());
                k
            }
            None => {
                walked = nodes_in(tree, &(start..end)).0;
                walked.as_slice()
            }
        };
        let pre = i == 0;
        let version = if pre {
            self.default_version
        } else {
            self.preamble.version
        };
        let mut lowered = lower::lower_segment(&text, start, nodes, version, pre);
        if let Some(b) = lowered.block.as_mut() {
            if self.opts.recompute_stack {
                b.stacksize = None;
                for e in &mut b.excepts {
                    e.depth = None;
                }
            }
        }
        lowered
    }

    /// The block of segment `seg` (one of [`FileAnalysis::segments`]), with
    /// its spans where they are in the text now. Blocks are not kept (but
    /// by [`FileAnalysis::for_build`]), so this lowers it again:
    /// `tree` and `src` must be those of the last update.
    pub fn block(&self, seg: &Seg, tree: &Tree, src: &dyn Source) -> Option<Block> {
        let i = self.segments.iter().position(|s| std::ptr::eq(s, seg))?;
        self.block_at(i, tree, src)
    }

    fn block_at(&self, i: usize, tree: &Tree, src: &dyn Source) -> Option<Block> {
        let seg = &self.segments[i];
        match &seg.kept {
            _ if i == 0 => None,
            Some(b) if seg.delta() == 0 => Some((**b).clone()),
            _ => self
                .block_from_pieces(i, tree)
                .or_else(|| self.lower(i, tree, src, None).block),
        }
    }

    /// The segment of the block named `name`, the first if there are
    /// several.
    pub fn segment_of_block(&self, name: &str) -> Option<&Seg> {
        self.segments[1..].iter().find(|s| s.facts.name == name)
    }

    /// Lowers and assembles segment `i`; `known` are its top-level nodes
    /// when `resegment` just found them.
    fn analyse(&mut self, i: usize, tree: &Tree, src: &dyn Source, known: Option<&[Node]>) {
        if self.for_build {
            self.lowered_bytes += self.segments[i].end - self.segments[i].start;
            let lowered = timing::time("lower", || self.lower(i, tree, src, known));
            timing::time("assemble", || self.assemble_whole(i, lowered));
            return;
        }
        let (block, failed) = timing::time("lower", || self.lower_block(i, tree, src, known));
        // Out of the segment while the assembler reads their statements.
        let pieces = std::mem::take(&mut self.segments[i].pieces);
        let runs = Self::body(&pieces);
        if self.check_blocks {
            let mut whole = block.clone();
            whole.body = runs.concat();
            self.segments[i].described = Some(block::describe(&whole, self.segments[i].start));
        }
        timing::time("assemble", || {
            self.assemble(i, Some(&block), Body::Runs(&runs), Vec::new(), failed)
        });
        drop(runs);
        self.segments[i].pieces = pieces;
    }

    /// [`FileAnalysis::assemble`] for a segment lowered whole (its block's
    /// statements in its `body`).
    fn assemble_whole(&mut self, i: usize, lowered: lower::Segment) {
        let lower::Segment {
            preamble,
            block,
            diags,
        } = lowered;
        if let Some(p) = preamble {
            self.preamble = p;
        }
        let body = block.as_ref().map_or(Body::One(&[]), |b| b.stmts());
        self.assemble(i, block.as_ref(), body, diags, false);
        if self.for_build {
            self.segments[i].kept = block.map(Box::new);
        }
    }

    /// Assembles and verifies segment `i` from its lowered form, its
    /// block's statements read from `body`, and keeps what was found;
    /// `failed`: lowering found errors in lines whose diagnostics are not
    /// in `lowered` (they stay in the block's pieces).
    fn assemble(
        &mut self,
        i: usize,
        block: Option<&Block>,
        body: Body,
        mut diags: Vec<Diag>,
        failed: bool,
    ) {
        self.reanalysed += 1;
        let version = self.preamble.version;
        let start = self.segments[i].start;
        let lowering_failed = failed || diags.iter().any(|d| d.is_error());
        let mut facts = BlockFacts::default();
        let mut info = None;
        let mut code = None;
        let memo = std::cell::RefCell::new(std::mem::take(&mut self.segments[i].memo));
        {
            let mut m = memo.borrow_mut();
            // (The analyses set them; a segment that holds no block, or
            // a block not verified, never runs them.)
            m.stack.walked = 0;
            m.kinds.walked = 0;
            m.locals.walked = 0;
            m.size = self.section_size;
        }
        if let Some(b) = block {
            facts = module::facts(b, body, version);
            let ctx = BlockContext {
                version,
                is_root: i == 1,
                root_filename: &PyStr::default(),
                memo: (!self.for_build).then_some(&memo),
            };
            // References to other blocks stay in the constants: a block's
            // findings do not depend on what its constants hold, and
            // `link` resolves them.
            let children = if self.for_build {
                asm::Children::Unresolved
            } else {
                asm::Children::Findings
            };
            match asm::assemble_body(&ctx, b, body, children, self.opts.verify) {
                Ok((c, mut bi)) => {
                    facts.functions = std::mem::take(&mut bi.functions);
                    facts.hidden = std::mem::take(&mut bi.hidden);
                    if lowering_failed {
                        // A line lowering refused that is not an
                        // instruction (those keep their place, broken, and
                        // the block is not built) may still be missing; the
                        // checks of what must follow what, or that there is
                        // anything at all, would only report its absence.
                        bi.diags
                            .retain(|d| !matches!(d.code, "call-sequence" | "empty-code"));
                    }
                    diags.append(&mut bi.diags);
                    info = Some(bi);
                    if self.for_build {
                        code = Some(c);
                    }
                }
                Err(mut f) => {
                    diags.append(&mut f.diags);
                    // Depths for the language server, where known.
                    info = f.info.map(|b| *b);
                }
            }
        }
        // Kept until the segment is analysed again: no spare capacity.
        diags.shrink_to_fit();
        facts.shrink_to_fit();
        if let Some(bi) = info.as_mut() {
            bi.shrink_to_fit();
        }
        let seg = &mut self.segments[i];
        seg.memo = memo.into_inner();
        self.stack_walked += seg.memo.stack.walked;
        self.kinds_walked += seg.memo.kinds.walked;
        self.locals_walked += seg.memo.locals.walked;
        seg.at = start;
        seg.dirty = false;
        seg.as_root = i == 1;
        seg.info = info;
        seg.code = code.map(Box::new);
        in_text_order(&mut diags);
        seg.diags = diags;
        seg.facts = facts;
        seg.kept = None;
    }

    /// Every diagnostic of the file, in text order.
    pub fn diagnostics(&self) -> Vec<Diag> {
        self.first_diagnostics(usize::MAX, &|_| true).0
    }

    /// The first `max` diagnostics of the file in text order that `keep`
    /// accepts, with how many more it accepts and the first of those. Only
    /// the ones returned are copied: a file can have hundreds of thousands.
    ///
    /// Every piece, segment and the module keep their findings in text
    /// order ([`in_text_order`]), so these are merged rather than sorted:
    /// in the order one stable sort of all of them (pieces of the preamble,
    /// then of each segment followed by its own, then the module's) would
    /// give, the same place and code said once.
    pub fn first_diagnostics(
        &self,
        max: usize,
        keep: &dyn Fn(&Diag) -> bool,
    ) -> (Vec<Diag>, usize, Option<Diag>) {
        // Each run with how far it moved since it was found.
        let mut runs: Vec<(&[Diag], isize)> = Vec::new();
        fn add<'a>(runs: &mut Vec<(&'a [Diag], isize)>, r: &'a [Diag], d: isize) {
            if !r.is_empty() {
                debug_assert!(r.is_sorted_by_key(|x| (x.span.start, x.span.end)));
                runs.push((r, d))
            }
        }
        for p in &self.pieces {
            add(&mut runs, &p.diags, p.delta());
        }
        for s in &self.segments {
            for p in &s.pieces {
                add(&mut runs, &p.diags, p.delta());
            }
            add(&mut runs, &s.diags, s.delta());
        }
        add(&mut runs, &self.module_diags, 0);
        let key = |run: usize, at: usize| {
            let (r, delta) = runs[run];
            let s = moved(&r[at].span, delta);
            std::cmp::Reverse((s.start, s.end, run, at))
        };
        // The next diagnostic of each run, the least first.
        let mut heads: std::collections::BinaryHeap<_> =
            (0..runs.len()).map(|run| key(run, 0)).collect();
        let copy = |(d, delta): (&Diag, isize)| {
            let mut d = d.clone();
            shift_diag(&mut d, delta);
            d
        };
        let mut out = Vec::new();
        let mut more = 0;
        let mut first_more = None;
        let mut last: Option<(Span, &str)> = None;
        while let Some(mut next) = heads.pop() {
            // A run is read on while it stays ahead of every other: pieces
            // do not overlap, so mostly each is read in one go.
            loop {
                let std::cmp::Reverse((start, end, run, at)) = next;
                let x = (&runs[run].0[at], runs[run].1);
                let here = (start..end, x.0.code);
                if last.as_ref() != Some(&here) {
                    last = Some(here);
                    if keep(x.0) {
                        if out.len() < max {
                            out.push(copy(x));
                        } else {
                            more += 1;
                            if first_more.is_none() {
                                first_more = Some(copy(x));
                            }
                        }
                    }
                }
                if at + 1 == runs[run].0.len() {
                    break;
                }
                next = key(run, at + 1);
                if heads.peek().is_some_and(|h| *h > next) {
                    heads.push(next);
                    break;
                }
            }
        }
        (out, more, first_more)
    }

    /// The module as the assembler takes it, its spans where they are in
    /// the text now (`tree` and `src` are those of the last update).
    pub fn module(&self, tree: &Tree, src: &dyn Source) -> crate::model::Module {
        crate::model::Module {
            version: self.preamble.version,
            header: self.preamble.header,
            blocks: (1..self.segments.len())
                .filter_map(|i| self.block_at(i, tree, src))
                .collect(),
        }
    }

    /// The segment holding byte `pos`.
    pub fn segment_at(&self, pos: usize) -> Option<&Seg> {
        let k = self.segments.partition_point(|s| s.end <= pos);
        self.segments
            .get(k)
            .or_else(|| self.segments.last().filter(|s| s.end == pos))
    }
}

impl Seg {
    /// Whether the segment was analysed as the module's own block (the
    /// first), whose field defaults differ (`asm::default_flags`,
    /// `asm::default_name`).
    pub fn is_root(&self) -> bool {
        self.as_root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `nodes_in` by its definition: the first node by a binary search,
    /// the others by `Node::next_sibling`.
    fn nodes_in_slow<'t>(
        tree: &'t Tree,
        range: &Range<usize>,
    ) -> (Vec<Node<'t>>, Option<Node<'t>>) {
        let root = tree.root_node();
        let mut out = Vec::new();
        let mut n = crate::syntax::first_top_level(root, range.start);
        if let Some(x) = n {
            if x.start_byte() < range.start {
                n = x.next_sibling();
            }
        }
        while let Some(x) = n {
            if x.start_byte() >= range.end {
                return (out, Some(x));
            }
            out.push(x);
            n = x.next_sibling();
        }
        (out, None)
    }

    const TEXTS: &[&str] = &[
        "",
        "\n",
        "  \n\n   \n",
        ".python 3.11\n.code module\n    LOAD_CONST None\n    RETURN_VALUE\n",
        ".code module\n1       LOAD_CONST (1, 2\n        LAOD_NAME print\n  # note\n\
         here:\nhere:\n        JUMP_FORWARD nowhere\n        LOAD_FAST\n\
         12\n        COMPARE_OP <>\n.code f\n    .var x\n) ] }\n(\n:\n",
        "LOAD_CONST 'unterminated\nLOAD_CONST \"x\" # c\n.consts @f @g\n\
         226:8-228:55GET_ITER\n-           COPY 3\n\r\n\rLOAD_CONST 1\r\n",
        "L1:L2:\n.code\n.code a b\nLOAD_CONST frozenset({1, (2,)}) [3]\nNOP",
        "@@@\n###\n#1 #2\n...\n,,,\n0x\n1e\n'\n",
    ];

    /// `first_diagnostics` by its definition: every finding collected,
    /// sorted stably by where it is now, the same place and code said
    /// once, then filtered.
    fn first_diagnostics_slow(
        fa: &FileAnalysis,
        max: usize,
        keep: &dyn Fn(&Diag) -> bool,
    ) -> (Vec<Diag>, usize, Option<Diag>) {
        let mut all: Vec<Diag> = Vec::new();
        let mut add = |ds: &[Diag], delta: isize| {
            for d in ds {
                let mut d = d.clone();
                shift_diag(&mut d, delta);
                all.push(d);
            }
        };
        for p in &fa.pieces {
            add(&p.diags, p.delta());
        }
        for s in &fa.segments {
            for p in &s.pieces {
                add(&p.diags, p.delta());
            }
            add(&s.diags, s.delta());
        }
        add(&fa.module_diags, 0);
        all.sort_by_key(|d| (d.span.start, d.span.end));
        all.dedup_by(|a, b| a.span == b.span && a.code == b.code);
        let kept: Vec<Diag> = all.into_iter().filter(|d| keep(d)).collect();
        let more = kept.len().saturating_sub(max);
        let first_more = kept.get(max).cloned();
        (kept.into_iter().take(max).collect(), more, first_more)
    }

    #[test]
    fn first_diagnostics_merges_as_one_sort_would() {
        let mut texts: Vec<String> = TEXTS.iter().map(|t| t.to_string()).collect();
        // Many findings across pieces and blocks: lines outside any block,
        // then blocks with broken lines and stack errors.
        texts.push("    NOP\n    LOAD_FAST x\n".repeat(700));
        texts.push(format!(
            ".code module\n{}.code f\n{}",
            "    POP_TOP\n    LAOD_NAME y\n    JUMP_FORWARD nowhere\n".repeat(400),
            "    BINARY_OP +\n    RETURN_VALUE\n".repeat(300)
        ));
        let mut checked = 0;
        for text in &texts {
            let tree = crate::syntax::parse(text, None);
            let src: &str = text;
            let mut fa = FileAnalysis::new(&tree, &src, Version::V3_11, Options::default());
            for n in [1, 7] {
                fa.set_piece_nodes(n);
                fa.update(&tree, &src);
                let errors = |d: &Diag| d.is_error();
                let all = |_: &Diag| true;
                for max in [0, 1, 5, 100, usize::MAX] {
                    for keep in [&errors as &dyn Fn(&Diag) -> bool, &all] {
                        let fast = fa.first_diagnostics(max, keep);
                        let slow = first_diagnostics_slow(&fa, max, keep);
                        assert_eq!(
                            format!("{fast:?}"),
                            format!("{slow:?}"),
                            "max {max} in {text:?}"
                        );
                        checked += fast.0.len() + fast.1;
                    }
                }
            }
        }
        // Enough findings to have crossed pieces and blocks.
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn nodes_in_walks_the_siblings_next_sibling_gives() {
        let mut texts: Vec<String> = TEXTS.iter().map(|t| t.to_string()).collect();
        for v in crate::versions::Version::ALL.iter().map(|v| v.as_str()) {
            let dir = format!("{}/examples/{v}", env!("CARGO_MANIFEST_DIR"));
            // 3.9 and 3.10 have no examples yet (issue 22).
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries {
                texts.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
            }
        }
        // And short runs of tokens, broken ones mostly.
        let toks = [
            "(", ")", "[", "]", ",", ":", "x", "X", "1", "1:2-3", "-", "'a'", "\n", " ", ".code",
            "@f", "#1", "# c", "...", "x(", "<", "12",
        ];
        let mut seed = 0x5eed_u64;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..2000 {
            let len = 1 + next(10);
            texts.push((0..len).map(|_| toks[next(toks.len())]).collect());
        }
        for text in &texts {
            let tree = crate::syntax::parse(text, None);
            let n = text.len();
            // Every range on small texts; a sample of them on the others.
            let step = (n / 60).max(1);
            let points: Vec<usize> = (0..=n + 1).step_by(step).chain([n, n + 1]).collect();
            for &a in &points {
                for &b in &points {
                    let fast = nodes_in(&tree, &(a..b));
                    let slow = nodes_in_slow(&tree, &(a..b));
                    assert_eq!(fast, slow, "range {a}..{b} of {text:?}");
                }
            }
        }
    }
}
