//! A code block lowered in pieces of a few hundred lines, each kept with
//! what it lowered to until an edit touches it: a block can hold 100,000
//! instructions or one line with an 8 MB constant, and an edit elsewhere in
//! it must not lower (or copy) all of that again.
//!
//! Each piece is lowered from the state the piece before it ended in (see
//! [`lower::lower_block_piece`]), like the preamble's pieces (see
//! [`super::preamble`], whose cutting and moving this shares). The
//! block's fields are put together from the pieces' (a few lines each);
//! its statements stay in the pieces, and the assembler reads them there
//! as a [`Body`]: nothing of the size of the block is copied or moved for
//! an edit that did not touch it.

use super::preamble::{fit_pieces, recut_pieces, Piece};
use super::{moved, nodes_in, shift_diag, FileAnalysis, Source};
use crate::code::linetable::Position;
use crate::diag::Diag;
use crate::model::{Block, Span, Stmt};
use crate::syntax::lower::{self, BlockState};
use tree_sitter::{Node, Tree};

/// One piece of a block: its lowered lines (diagnostics in the piece).
pub(super) type BlockPiece = Piece<BlockState, lower::BlockPiece>;

/// Moves every span of a lowered piece by `d` bytes.
fn shift_piece(b: &mut lower::BlockPiece, diags: &mut [Diag], d: isize) {
    shift_block(&mut b.block, d);
    for x in diags {
        shift_diag(x, d);
    }
}

/// Moves every span of a block by `d` bytes.
fn shift_block(b: &mut Block, d: isize) {
    let f = |s: &mut Span| *s = moved(s, d);
    f(&mut b.span);
    for v in &mut b.vars {
        f(&mut v.span);
    }
    for s in &mut b.body {
        match s {
            Stmt::Label(_, sp) => f(sp),
            Stmt::Instr(ins) => {
                f(&mut ins.span);
                f(&mut ins.arg_span);
            }
        }
    }
    for e in &mut b.excepts {
        f(&mut e.span);
    }
    for (_, sp) in &mut b.field_spans {
        f(sp);
    }
}

/// A block as text, its spans counted from `start` (see
/// [`FileAnalysis::check_blocks`]).
pub(super) fn describe(b: &Block, start: usize) -> String {
    let mut b = b.clone();
    shift_block(&mut b, -(start as isize));
    format!("{b:?}")
}

/// Sets in `to` every field `from` sets, as the lines of `from` would,
/// lowered after those of `to`; statements are left where they are.
fn merge_fields(to: &mut Block, from: &Block) {
    macro_rules! last_set {
        ($($f:ident),*) => {$(
            if from.$f.is_some() {
                to.$f = from.$f.clone();
            }
        )*};
    }
    last_set!(
        argcount,
        posonlyargcount,
        kwonlyargcount,
        stacksize,
        flags,
        firstlineno,
        filename,
        name_field,
        qualname,
        linetable,
        exceptiontable,
        nlocals,
        cellvars
    );
    to.verbatim |= from.verbatim;
    to.vars.extend(from.vars.iter().cloned());
    to.names.extend(from.names.iter().cloned());
    to.excepts.extend(from.excepts.iter().cloned());
    to.field_spans.extend(from.field_spans.iter().cloned());
    // Shared, not copied (see `Constant`).
    to.consts.extend(from.consts.iter().cloned());
}

/// A block's fields put together from its pieces' blocks, in order, but
/// not its statements (read where they lie: see [`FileAnalysis::body`]).
fn put_together<'b>(parts: impl Iterator<Item = &'b Block>, recompute_stack: bool) -> Block {
    let mut block = Block::default();
    for (k, lb) in parts.enumerate() {
        if k == 0 {
            block.name = lb.name.clone();
            block.span = lb.span.clone();
        }
        merge_fields(&mut block, lb);
    }
    if recompute_stack {
        block.stacksize = None;
        for e in &mut block.excepts {
            e.depth = None;
        }
    }
    block
}

/// The first top-level node that starts in `start..end`.
fn first_node_in(root: Node<'_>, start: usize, end: usize) -> Option<Node<'_>> {
    let mut first = crate::syntax::first_top_level(root, start)?;
    if first.start_byte() < start {
        first = first.next_sibling()?;
    }
    (first.start_byte() < end).then_some(first)
}

impl FileAnalysis {
    /// Lowers the pieces of block segment `i` that need it and puts the
    /// block's fields together from all of them: the block without its
    /// statements (spans where they are now; [`FileAnalysis::body`] gives
    /// those), and whether its lines had errors. `known` are the segment's
    /// top-level nodes when `resegment` just found them.
    ///
    /// The instructions are not placed on their rows here (see
    /// [`lower::place_on_rows`]): a position changes no finding, only the
    /// code object's location table, which the analysis does not keep.
    pub(super) fn lower_block(
        &mut self,
        i: usize,
        tree: &Tree,
        src: &dyn Source,
        known: Option<&[Node]>,
    ) -> (Block, bool) {
        let (lo, hi) = (self.segments[i].start, self.segments[i].end);
        let mut pieces = std::mem::take(&mut self.segments[i].pieces);
        fit_pieces(&mut pieces, lo, hi);
        recut_pieces(&mut pieces, tree, src, (lo, hi), self.piece_nodes);
        let mut state = BlockState {
            version: self.preamble.version,
            verbatim: false,
            last_pos: Position::default(),
            reserved_ext: 0,
        };
        let mut failed = false;
        let mut walked;
        for (k, p) in pieces.iter_mut().enumerate() {
            if p.dirty || p.state_in.as_ref() != Some(&state) {
                // The piece's nodes: of those `resegment` found, or walked.
                let mine: &[Node] = match known {
                    Some(nodes) => {
                        let from = nodes.partition_point(|n| n.start_byte() < p.start);
                        let to = nodes.partition_point(|n| n.start_byte() < p.end);
                        &nodes[from..to]
                    }
                    None => {
                        walked = nodes_in(tree, &(p.start..p.end)).0;
                        &walked
                    }
                };
                // Only the text of the nodes: not the blank lines around.
                let (kept, out) = match (mine.first(), mine.last()) {
                    (Some(f), Some(l)) => {
                        let (a, b) = (f.start_byte(), l.end_byte().max(f.start_byte()));
                        let text = src.slice(a..b);
                        self.lowered_bytes += b - a;
                        lower::lower_block_piece(&text, a, mine, &state, k == 0)
                    }
                    _ => (lower::BlockPiece::default(), state.clone()),
                };
                p.at = p.start;
                p.dirty = false;
                p.state_in = Some(state.clone());
                p.state_out = Some(out);
                p.kept = kept;
                p.diags = std::mem::take(&mut p.kept.diags);
                super::in_text_order(&mut p.diags);
                p.diags.shrink_to_fit();
            } else if p.delta() != 0 {
                let d = p.delta();
                shift_piece(&mut p.kept, &mut p.diags, d);
                p.at = p.start;
            }
            state = p.state_out.clone().expect("a lowered piece");
            failed |= p.diags.iter().any(|d| d.is_error());
        }
        let block = put_together(
            pieces.iter().map(|p| &p.kept.block),
            self.opts.recompute_stack,
        );
        self.segments[i].pieces = pieces;
        (block, failed)
    }

    /// The statements of block segment `i`'s pieces, in order, where they
    /// lie: the [`Body`] of the block [`FileAnalysis::lower_block`] gives.
    pub(super) fn body(pieces: &[BlockPiece]) -> Vec<&[Stmt]> {
        pieces
            .iter()
            .map(|p| p.kept.block.body.as_slice())
            .collect()
    }

    /// Block segment `i` as lowering it whole gives it, put together from
    /// copies of its pieces' blocks (their constants shared, not copied)
    /// and placed on its rows, when every piece is as the last update left it: for the
    /// requests of the language server, which otherwise lower the block
    /// again from its text, 8 MB constants and all. `None` if a piece is
    /// not up to date.
    pub(super) fn block_from_pieces(&self, i: usize, tree: &Tree) -> Option<Block> {
        let seg = &self.segments[i];
        let current = |p: &BlockPiece| !p.dirty && p.delta() == 0 && p.state_out.is_some();
        if seg.dirty || seg.pieces.is_empty() || !seg.pieces.iter().all(current) {
            return None;
        }
        let root = tree.root_node();
        let mut positioned = false;
        let mut rows = Vec::new();
        for p in &seg.pieces {
            positioned |= p.kept.positioned;
            if p.kept.rows.is_empty() {
                continue;
            }
            // The row of the piece's first node, as `lower_block` reads it.
            let row = first_node_in(root, p.start, p.end)?.start_position().row;
            rows.extend(p.kept.rows.iter().map(|&r| row + r as usize));
        }
        let mut block = put_together(
            seg.pieces.iter().map(|p| &p.kept.block),
            self.opts.recompute_stack,
        );
        block.body = Self::body(&seg.pieces).concat();
        if !positioned && block.linetable.is_none() {
            lower::place_on_rows(&mut block, rows);
        }
        Some(block)
    }

    /// Keeps the stack analysis of any block of at least four sections of
    /// `n` instructions by section, from the next analysis of each block
    /// on (for tests: the default keeps only blocks of thousands; the size
    /// changes no result, which debug builds check at every analysis).
    #[doc(hidden)]
    pub fn set_section_size(&mut self, n: usize) {
        self.section_size = n.max(1);
    }

    /// From the next update on, keeps with each block segment analysed a
    /// description of the block lowering gave (its spans relative to the
    /// segment), for tests to compare with a fresh analysis
    /// ([`FileAnalysis::lowered_blocks`]): the diagnostics alone do not
    /// show every field a cached piece could get wrong. Costs a copy of
    /// every block lowered; every block is analysed again at the next
    /// update (its pieces kept).
    #[doc(hidden)]
    pub fn check_blocks(&mut self) {
        self.check_blocks = true;
        for s in &mut self.segments[1..] {
            s.dirty = true;
        }
    }

    /// The descriptions [`FileAnalysis::check_blocks`] asked for, one per
    /// block segment, in order: of the blocks the last update lowered.
    #[doc(hidden)]
    pub fn lowered_blocks(&self) -> Vec<Option<&str>> {
        self.segments[1..]
            .iter()
            .map(|s| s.described.as_deref())
            .collect()
    }

    /// Marks every piece of every block for lowering again.
    pub(super) fn touch_block_pieces(&mut self) {
        for s in &mut self.segments {
            for p in &mut s.pieces {
                p.dirty = true;
            }
        }
    }
}
