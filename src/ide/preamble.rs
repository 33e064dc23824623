//! The preamble (the lines before the first `.code`) lowered in pieces of
//! a few hundred lines, each kept with its findings until an edit touches
//! it: a preamble can be the whole file (instructions nobody put in a
//! block yet, a million empty lines), and an edit in it must not lower all
//! of it again.
//!
//! Each piece is lowered from the state the piece before it ended in (the
//! version a `.python` line set, and where; the `.pyc` header): see
//! [`lower::lower_preamble_piece`]. A piece is lowered again when an edit
//! touched it, or when the state it starts from is no longer the one it
//! was lowered from (a `.python` line was added or removed before it). A
//! piece starts and ends where a line does, so that lowering its lines
//! alone finds what lowering the whole preamble finds.

use super::{dirty_run, moved, nodes_in, timing, FileAnalysis, Source};
use crate::diag::Diag;
use crate::syntax::lower::{self, PreState, Preamble};
use tree_sitter::{InputEdit, Node, Tree};

/// How many top-level nodes a piece holds when the preamble is cut (see
/// [`FileAnalysis::set_piece_nodes`]).
pub(super) const PIECE_NODES: usize = 256;

/// How many bytes of text a piece holds at most, but for a line longer
/// than that alone.
const PIECE_BYTES: usize = 16 * 1024;

/// Some lines of a segment, lowered together and kept with what lowering
/// found until an edit touches them. `S` is the state lowering carries from
/// one piece to the next, `X` what else a piece keeps.
#[derive(Debug, Default)]
pub(super) struct Piece<S, X = ()> {
    /// Where the piece is now (bytes).
    pub(super) start: usize,
    pub(super) end: usize,
    /// `start` when it was lowered.
    pub(super) at: usize,
    pub(super) dirty: bool,
    /// The state it was lowered from and the one it ended in, their spans
    /// where they were then.
    pub(super) state_in: Option<S>,
    pub(super) state_out: Option<S>,
    pub(super) diags: Vec<Diag>,
    pub(super) kept: X,
}

impl<S, X: Default> Piece<S, X> {
    pub(super) fn new(start: usize, end: usize) -> Self {
        Piece {
            start,
            end,
            at: start,
            dirty: true,
            state_in: None,
            state_out: None,
            diags: Vec::new(),
            kept: X::default(),
        }
    }
}

impl<S, X> Piece<S, X> {
    pub(super) fn delta(&self) -> isize {
        self.start as isize - self.at as isize
    }
}

impl Piece<PreState> {
    /// A state recorded at lowering, its span where it is now.
    fn now(&self, s: &Option<PreState>) -> Option<PreState> {
        s.as_ref().map(|s| PreState {
            version_span: s.version_span.as_ref().map(|v| moved(v, self.delta())),
            ..s.clone()
        })
    }
}

/// Moves pieces by an edit and marks the ones it touches, as
/// [`FileAnalysis::edit`] does the segments.
pub(super) fn edit_pieces<S, X>(
    pieces: &mut [Piece<S, X>],
    e: &InputEdit,
    map: &dyn Fn(usize) -> usize,
) {
    let (s, old_end) = (e.start_byte, e.old_end_byte);
    for p in pieces {
        // Text put or taken at a piece's end is the next line's: a piece
        // ends where a line's first node starts.
        if p.end > s && p.start <= old_end {
            p.dirty = true;
        }
        p.start = map(p.start);
        p.end = map(p.end);
    }
}

/// Marks the pieces that touch bytes `r`.
pub(super) fn touch_range<S, X>(pieces: &mut [Piece<S, X>], r: &std::ops::Range<usize>) {
    for p in pieces {
        if p.end >= r.start && p.start <= r.end {
            p.dirty = true;
        }
    }
}

/// Makes `pieces` cover `lo..hi` exactly: pieces cut by its ends are
/// cut (and lowered again), gaps become dirty pieces.
pub(super) fn fit_pieces<S, X: Default>(pieces: &mut Vec<Piece<S, X>>, lo: usize, hi: usize) {
    let old = std::mem::take(pieces);
    let mut at = lo;
    for mut p in old {
        if p.end <= at || p.start >= hi {
            continue;
        }
        if p.start != at {
            if p.start > at {
                pieces.push(Piece::new(at, p.start));
            } else {
                p.start = at;
                p.dirty = true;
            }
        }
        if p.end > hi {
            p.end = hi;
            p.dirty = true;
        }
        at = p.end;
        pieces.push(p);
    }
    if at < hi {
        pieces.push(Piece::new(at, hi));
    }
}

/// Whether a piece of a segment spanning `lo..hi` may start at `x`: one
/// of its ends, or the start of a line's first node.
fn piece_boundary(tree: &Tree, src: &dyn Source, lo: usize, hi: usize, x: usize) -> bool {
    if x == lo || x == hi {
        return true;
    }
    let starts_node =
        crate::syntax::first_top_level(tree.root_node(), x).is_some_and(|n| n.start_byte() == x);
    starts_node && starts_line(src, x)
}

/// Cuts every run of dirty pieces of the segment `lo..hi` again, widened
/// until both its ends are piece boundaries, into pieces of about `n`
/// top-level nodes.
pub(super) fn recut_pieces<S, X: Default>(
    pieces: &mut Vec<Piece<S, X>>,
    tree: &Tree,
    src: &dyn Source,
    (lo, hi): (usize, usize),
    n: usize,
) {
    let mut from = 0;
    while let Some((mut k, mut j)) = dirty_run(pieces, from, |p| p.dirty) {
        loop {
            if !piece_boundary(tree, src, lo, hi, pieces[k].start) {
                k -= 1;
                continue;
            }
            if !piece_boundary(tree, src, lo, hi, pieces[j].end) {
                j += 1;
                continue;
            }
            break;
        }
        let (a, b) = (pieces[k].start, pieces[j].end);
        let nodes = nodes_in(tree, &(a..b)).0;
        let mut starts = vec![a];
        let mut since = 0;
        for (i, node) in nodes.iter().enumerate() {
            let x = node.start_byte();
            // A long line (a huge constant) is a piece of its own, so that
            // an edit beside it does not lower it again.
            let long = i - since >= 1
                && (x - starts[starts.len() - 1] >= PIECE_BYTES
                    || node.end_byte() - x >= PIECE_BYTES);
            if (i - since >= n || long) && x > a && starts_line(src, x) {
                starts.push(x);
                since = i;
            }
        }
        let fresh: Vec<Piece<S, X>> = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| Piece::new(s, starts.get(i + 1).copied().unwrap_or(b)))
            .collect();
        let m = fresh.len();
        pieces.splice(k..=j, fresh);
        from = k + m;
    }
}

/// Whether byte `x` starts a line's first node: only blanks between it
/// and the line end before it (looked for in the 256 bytes before it).
fn starts_line(src: &dyn Source, x: usize) -> bool {
    if x == 0 {
        return true;
    }
    let before = src.slice(x.saturating_sub(256)..x);
    let t = before.trim_end_matches([' ', '\t', '\r', '\x0c']);
    t.ends_with('\n') || (t.is_empty() && x <= 256)
}

impl FileAnalysis {
    /// Cuts the preamble and the blocks into pieces of about `n` top-level nodes from the
    /// next update on (for tests: the size of the pieces changes no
    /// result, only the work an edit causes).
    #[doc(hidden)]
    pub fn set_piece_nodes(&mut self, n: usize) {
        self.piece_nodes = n.max(1);
        self.pieces.clear();
        for s in &mut self.segments {
            s.dirty = true;
            s.pieces.clear();
        }
    }

    pub(super) fn touch_pieces(&mut self) {
        for p in &mut self.pieces {
            p.dirty = true;
        }
    }

    /// The top-level nodes of the dirty pieces, in text order: where a
    /// `.code` line may have appeared in the preamble (the others hold the
    /// lines they held).
    pub(super) fn dirty_piece_nodes<'t>(&self, tree: &'t Tree) -> Vec<Node<'t>> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some((k, j)) = dirty_run(&self.pieces, from, |p| p.dirty) {
            out.extend(nodes_in(tree, &(self.pieces[k].start..self.pieces[j].end)).0);
            from = j + 1;
        }
        out
    }

    /// Lowers the pieces of the preamble that need it, and sets what the
    /// preamble says of the module.
    pub(super) fn analyse_preamble(&mut self, tree: &Tree, src: &dyn Source) {
        let t = timing::enabled().then(std::time::Instant::now);
        fit_pieces(&mut self.pieces, 0, self.segments[0].end);
        recut_pieces(
            &mut self.pieces,
            tree,
            src,
            (0, self.segments[0].end),
            self.piece_nodes,
        );
        let mut state = Some(PreState {
            version: self.default_version,
            version_span: None,
            header: None,
        });
        for k in 0..self.pieces.len() {
            let p = &self.pieces[k];
            if p.dirty || p.now(&p.state_in) != state {
                let from = state.clone().expect("a state to start from");
                let nodes = nodes_in(tree, &(p.start..p.end)).0;
                // Only the text of the nodes: not the blank lines around.
                let (diags, out) = match (nodes.first(), nodes.last()) {
                    (Some(f), Some(l)) => {
                        let (a, b) = (f.start_byte(), l.end_byte().max(f.start_byte()));
                        let text = src.slice(a..b);
                        self.lowered_bytes += b - a;
                        lower::lower_preamble_piece(&text, a, &nodes, &from)
                    }
                    _ => (Vec::new(), from.clone()),
                };
                let p = &mut self.pieces[k];
                p.at = p.start;
                p.dirty = false;
                p.state_in = Some(from);
                p.state_out = Some(out);
                p.diags = diags;
                super::in_text_order(&mut p.diags);
                p.diags.shrink_to_fit();
            }
            let p = &self.pieces[k];
            state = p.now(&p.state_out);
        }
        let state = state.expect("a state");
        self.preamble = Preamble {
            version: state.version,
            header: state.header,
        };
        self.reanalysed += 1;
        let seg = &mut self.segments[0];
        seg.at = seg.start;
        seg.dirty = false;
        seg.as_root = false;
        seg.kept = None;
        seg.info = None;
        seg.code = None;
        seg.diags = Vec::new();
        seg.facts = Default::default();
        if let Some(t) = t {
            timing::add("preamble", t.elapsed());
        }
    }
}
