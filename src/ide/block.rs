//! A code block lowered in pieces of a few hundred lines, each kept with
//! what it lowered to until an edit touches it: a block can hold 100,000
//! instructions or one line with an 8 MB constant, and an edit elsewhere in
//! it must not lower (or copy) all of that again.
//!
//! Each piece is lowered from the state the piece before it ended in (see
//! [`lower::lower_block_piece`]), like the preamble's pieces (see
//! [`super::preamble`], whose cutting and moving this shares). Lowering
//! the block puts the pieces' statements and fields together by moving
//! them into one [`Block`] for the assembler, and back into their pieces
//! afterwards: a constant is never copied for an edit that did not touch
//! its line.

use super::preamble::{fit_pieces, recut_pieces, Piece};
use super::{moved, nodes_in, FileAnalysis, Source};
use crate::code::linetable::Position;
use crate::diag::Diag;
use crate::model::{Block, Span, Stmt};
use crate::syntax::lower::{self, BlockState};
use tree_sitter::{Node, Tree};

/// One piece of a block: its lowered lines (diagnostics in the piece).
pub(super) type BlockPiece = Piece<BlockState, lower::BlockPiece>;

/// What [`FileAnalysis::lower_block`] moved out of the pieces, to give
/// back with [`FileAnalysis::restore_block`].
pub(super) struct Moved {
    /// How many statements and pinned constants each piece gave.
    lens: Vec<(usize, usize)>,
    /// The instructions were placed on the file's rows.
    placed: bool,
}

/// Moves every span of a lowered piece by `d` bytes.
fn shift_piece(b: &mut lower::BlockPiece, diags: &mut [Diag], d: isize) {
    shift_block(&mut b.block, d);
    for x in diags {
        x.span = moved(&x.span, d);
        for n in &mut x.notes {
            n.0 = moved(&n.0, d);
        }
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
/// lowered after those of `to`. Statements and pinned constants are moved.
fn merge_fields(to: &mut Block, from: &mut Block) {
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
        exceptiontable
    );
    to.verbatim |= from.verbatim;
    to.vars.extend(from.vars.iter().cloned());
    to.names.extend(from.names.iter().cloned());
    to.excepts.extend(from.excepts.iter().cloned());
    to.field_spans.extend(from.field_spans.iter().cloned());
    to.consts.append(&mut from.consts);
    to.body.append(&mut from.body);
}

/// Puts a block together from its pieces' blocks, in order, moving their
/// statements and pinned constants out ([`merge_fields`]). `positioned`:
/// some line wrote a position; otherwise the instructions are placed on
/// `rows`, their rows in the file. Gives the block, and whether it was
/// placed.
fn put_together(
    parts: &mut [&mut Block],
    positioned: bool,
    rows: Vec<usize>,
    recompute_stack: bool,
) -> (Block, bool) {
    let mut block = Block::default();
    // In one buffer of the final size: grown piece by piece, the
    // statements of a 100,000-line block were copied about twice over,
    // into memory the system had to supply afresh.
    block
        .body
        .reserve_exact(parts.iter().map(|b| b.body.len()).sum());
    block
        .consts
        .reserve_exact(parts.iter().map(|b| b.consts.len()).sum());
    for (k, lb) in parts.iter_mut().enumerate() {
        if k == 0 {
            block.name = lb.name.clone();
            block.span = lb.span.clone();
        }
        merge_fields(&mut block, lb);
    }
    let placed = !positioned && block.linetable.is_none();
    if placed {
        lower::place_on_rows(&mut block, rows);
    }
    if recompute_stack {
        block.stacksize = None;
        for e in &mut block.excepts {
            e.depth = None;
        }
    }
    (block, placed)
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
    /// block together from all of them: the block (spans where they are
    /// now), whether its lines had errors, and what must be given back to
    /// the pieces ([`FileAnalysis::restore_block`]) once it is assembled.
    /// `known` are the segment's top-level nodes when `resegment` just
    /// found them.
    pub(super) fn lower_block(
        &mut self,
        i: usize,
        tree: &Tree,
        src: &dyn Source,
        known: Option<&[Node]>,
    ) -> (Block, bool, Moved) {
        let (lo, hi) = (self.segments[i].start, self.segments[i].end);
        let mut pieces = std::mem::take(&mut self.segments[i].pieces);
        fit_pieces(&mut pieces, lo, hi);
        recut_pieces(&mut pieces, tree, src, (lo, hi), self.piece_nodes);
        let root = tree.root_node();
        let mut state = BlockState {
            version: self.preamble.version,
            verbatim: false,
            last_pos: Position::default(),
            reserved_ext: 0,
        };
        let mut failed = false;
        let mut positioned = false;
        let mut rows = Vec::new();
        let mut walked = Vec::new();
        for (k, p) in pieces.iter_mut().enumerate() {
            let lower_it = p.dirty || p.state_in.as_ref() != Some(&state);
            // The piece's nodes: from those `resegment` found, else walked
            // for a piece to lower, else only the first, for its row.
            let mine: &[Node] = match known {
                Some(nodes) => {
                    let from = nodes.partition_point(|n| n.start_byte() < p.start);
                    let to = nodes.partition_point(|n| n.start_byte() < p.end);
                    &nodes[from..to]
                }
                None if lower_it => {
                    walked = nodes_in(tree, &(p.start..p.end)).0;
                    &walked
                }
                None => {
                    walked.clear();
                    walked.extend(first_node_in(root, p.start, p.end));
                    &walked
                }
            };
            if lower_it {
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
                p.diags.shrink_to_fit();
            } else if p.delta() != 0 {
                let d = p.delta();
                shift_piece(&mut p.kept, &mut p.diags, d);
                p.at = p.start;
            }
            state = p.state_out.clone().expect("a lowered piece");
            failed |= p.diags.iter().any(|d| d.is_error());
            positioned |= p.kept.positioned;
            if let Some(first) = mine.first() {
                let row = first.start_position().row;
                rows.extend(p.kept.rows.iter().map(|&r| row + r as usize));
            }
        }
        let lens = pieces
            .iter()
            .map(|p| (p.kept.block.body.len(), p.kept.block.consts.len()))
            .collect();
        let mut parts: Vec<&mut Block> = pieces.iter_mut().map(|p| &mut p.kept.block).collect();
        let (block, placed) = put_together(&mut parts, positioned, rows, self.opts.recompute_stack);
        self.segments[i].pieces = pieces;
        (block, failed, Moved { lens, placed })
    }

    /// Block segment `i` as [`FileAnalysis::lower_block`] puts it together,
    /// from copies of its pieces' blocks (their constants shared, not
    /// copied), when every piece is as the last update left it: for the
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
        let mut copies: Vec<Block> = seg.pieces.iter().map(|p| p.kept.block.clone()).collect();
        let mut parts: Vec<&mut Block> = copies.iter_mut().collect();
        Some(put_together(&mut parts, positioned, rows, self.opts.recompute_stack).0)
    }

    /// Gives the statements and constants [`FileAnalysis::lower_block`]
    /// moved out of segment `i`'s pieces back to them.
    pub(super) fn restore_block(&mut self, i: usize, mut block: Block, m: Moved) {
        if m.placed {
            for s in &mut block.body {
                if let Stmt::Instr(ins) = s {
                    ins.pos = Position::default();
                }
            }
        }
        let pieces = &mut self.segments[i].pieces;
        // Into the pieces' own buffers, which `merge_fields` emptied but
        // left their capacity: nothing is allocated.
        for (p, (body, consts)) in pieces.iter_mut().zip(m.lens).rev() {
            let b = &mut p.kept.block;
            b.body.extend(block.body.drain(block.body.len() - body..));
            b.consts
                .extend(block.consts.drain(block.consts.len() - consts..));
        }
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
