//! Lowering: a tree-sitter tree of a `.pyasm` file to a `Module`.
//!
//! Lowering never stops at the first problem: it reports every error it can
//! find with its span, skips lines that contain syntax errors, and still
//! returns a `Module` holding everything that made sense, so an editor
//! always has something to show.

use super::literal::{self, parse_position, StrLit};
use super::{field_ids, node_kind, NodeKind as K};
use crate::code::linetable::Position;
use crate::code::{flag_by_name, kind, Obj, PyStr};
use crate::diag::Diag;
use crate::model::{Arg, Block, Constant, Except, Instr, Module, NameRef, Span, Stmt, Var};
use crate::pyc::PycHeader;
use crate::versions::{
    ArgKind, CompareEncoding, Op, OpInfo, OpcodeTable, Version, COMPARE_MASKS, FORMAT_CONVERSIONS,
    FORMAT_SPEC,
};
use smallvec::SmallVec;
use tree_sitter::{Node, Tree, TreeCursor};

pub struct Lowered {
    pub module: Module,
    pub diags: Vec<Diag>,
}

/// Lowers a parsed file. Syntax errors in the tree are reported as
/// diagnostics along with everything lowering itself finds.
///
/// The file is lowered segment by segment (see [`segments`]), exactly as
/// the language server lowers the segments an edit touched: the preamble
/// first, for the version, then each code block on its own.
pub fn lower(text: &str, tree: &Tree, default_version: Version) -> Lowered {
    let root = tree.root_node();
    let nodes = top_level(root);
    let segs = segments(&nodes, &|r| text.get(r).unwrap_or("").to_string());
    let mut diags = Vec::new();
    let mut blocks = Vec::new();
    let mut pre = Preamble {
        version: default_version,
        header: None,
    };
    for (k, range) in segs.iter().enumerate() {
        let seg = lower_segment(text, 0, &nodes[range.clone()], pre.version, k == 0);
        diags.extend(seg.diags);
        if let Some(p) = seg.preamble {
            pre = p;
        }
        blocks.extend(seg.block);
    }
    Lowered {
        module: Module {
            version: pre.version,
            header: pre.header,
            blocks,
        },
        diags,
    }
}

/// Every top-level node of a tree, anonymous ones included.
pub fn top_level(root: Node) -> Vec<Node> {
    let mut c = root.walk();
    root.children(&mut c).collect()
}

/// Whether a top-level node is a `.code` directive (even a malformed
/// one): each starts a segment.
pub fn starts_block(n: Node, text: &dyn Fn(Span) -> String) -> bool {
    node_kind(n) == K::Directive
        && n.child_by_field_id(field_ids().name).is_some_and(|d| {
            d.end_byte() - d.start_byte() == 5 && text(d.start_byte()..d.end_byte()) == ".code"
        })
}

/// The children of `n` with field `field`, in order (what
/// `Node::children_by_field_id` gives), walked with `cursor`.
fn field_children<'t>(n: Node<'t>, field: u16, cursor: &mut TreeCursor<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    cursor.reset(n);
    if cursor.goto_first_child() {
        loop {
            if cursor.field_id().map(|f| f.get()) == Some(field) {
                out.push(cursor.node());
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

/// Cuts top-level nodes into segments: the preamble (possibly empty), then
/// one per `.code` directive, up to the next. Ranges index `nodes`.
pub fn segments(nodes: &[Node], text: &dyn Fn(Span) -> String) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, n) in nodes.iter().enumerate() {
        if starts_block(*n, text) {
            out.push(start..i);
            start = i;
        }
    }
    out.push(start..nodes.len());
    out
}

/// What the preamble (the lines before the first `.code`) says of the
/// whole module.
#[derive(Clone, Debug, PartialEq)]
pub struct Preamble {
    pub version: Version,
    pub header: Option<PycHeader>,
}

/// One lowered segment: the preamble's module facts, or one block.
pub struct Segment {
    pub preamble: Option<Preamble>,
    pub block: Option<Block>,
    pub diags: Vec<Diag>,
}

/// Where the lowering of a preamble stands after some of its lines: what
/// the lines after them are read against. A preamble can be lowered piece
/// by piece, each piece from the state the one before it ended in (see
/// [`lower_preamble_piece`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PreState {
    pub version: Version,
    /// The `.python` line that set `version`, if any.
    pub version_span: Option<Span>,
    pub header: Option<PycHeader>,
}

/// Lowers some of a preamble's lines (`nodes`, the top-level nodes in
/// them; `src` holds the text from byte `base` on) from `state`: their
/// diagnostics, and the state after them. Lowering the whole preamble in
/// one piece from `PreState { version: default, version_span: None, header:
/// None }` is what [`lower_segment`] does with it.
pub fn lower_preamble_piece(
    src: &str,
    base: usize,
    nodes: &[Node],
    state: &PreState,
) -> (Vec<Diag>, PreState) {
    let mut lw = Lowerer::new(src, base, nodes, state.version);
    lw.version_span = state.version_span.clone();
    lw.header = state.header;
    lw.lower_nodes(nodes, true);
    let after = PreState {
        version: lw.version,
        version_span: lw.version_span.take(),
        header: lw.header,
    };
    (lw.diags, after)
}

/// Lowers one segment: `nodes` are its top-level nodes, `src` holds the
/// text from byte `base` of the file on (spans stay file offsets).
/// `version` is the module's, from the preamble.
pub fn lower_segment(
    src: &str,
    base: usize,
    nodes: &[Node],
    version: Version,
    preamble: bool,
) -> Segment {
    let mut lw = Lowerer::new(src, base, nodes, version);
    lw.lower_nodes(nodes, preamble);
    Segment {
        preamble: preamble.then_some(Preamble {
            version: lw.version,
            header: lw.header,
        }),
        block: lw.blocks.pop(),
        diags: lw.diags,
    }
}

/// Where the lowering of a block stands after some of its lines: what the
/// lines after them are read against. A block can be lowered piece by
/// piece, each piece from the state the one before it ended in (see
/// [`lower_block_piece`]).
#[derive(Clone, Debug, PartialEq)]
pub struct BlockState {
    pub version: Version,
    /// A `.verbatim` line came before.
    pub verbatim: bool,
    /// The position the next line without one inherits.
    pub last_pos: Position,
    /// Bare `EXTENDED_ARG` lines waiting for their instruction.
    pub reserved_ext: u8,
}

/// Some lines of a block, lowered (see [`lower_block_piece`]).
#[derive(Debug, Default)]
pub struct BlockPiece {
    /// What the lines set of the block, and their statements. Fields the
    /// lines do not set keep their defaults; of the block's first piece,
    /// `name` and `span` are the `.code` line's.
    pub block: Block,
    pub diags: Vec<Diag>,
    /// Whether an instruction line has a position field.
    pub positioned: bool,
    /// For each instruction of `block.body`, in order, its row counted
    /// from the row of the piece's first node: the line a block without
    /// positions places it on (see [`place_on_rows`]).
    pub rows: Vec<u32>,
}

/// Lowers some of a block's lines (`nodes`, the top-level nodes in them,
/// the `.code` line first when `first`; `src` holds the text from byte
/// `base` on) from `state`: what they make of the block, and the state
/// after them. Putting the pieces of a block together in order (see
/// `ide`) gives what [`lower_segment`] gives for the whole block.
pub fn lower_block_piece(
    src: &str,
    base: usize,
    nodes: &[Node],
    state: &BlockState,
    first: bool,
) -> (BlockPiece, BlockState) {
    let mut lw = Lowerer::new(src, base, nodes, state.version);
    if !first {
        lw.cur = Some(Block {
            verbatim: state.verbatim,
            ..Block::default()
        });
    }
    lw.last_pos = state.last_pos;
    lw.reserved_ext = state.reserved_ext;
    lw.lower_lines(nodes, false);
    let block = lw.cur.take().unwrap_or_default();
    let after = BlockState {
        version: state.version,
        verbatim: block.verbatim,
        last_pos: lw.last_pos,
        reserved_ext: lw.reserved_ext,
    };
    let rows = lw.rows_of(&block);
    let piece = BlockPiece {
        block,
        diags: lw.diags,
        positioned: lw.positioned,
        rows,
    };
    (piece, after)
}

/// Places the instructions of a block written without a single position
/// on the rows given (counted from 0), one for each instruction in order:
/// see [`Lowerer::place_on_own_lines`].
pub fn place_on_rows(b: &mut Block, rows: impl IntoIterator<Item = usize>) {
    let instrs = b.body.iter_mut().filter_map(|s| match s {
        Stmt::Instr(ins) => Some(ins),
        Stmt::Label(..) => None,
    });
    for (ins, row) in instrs.zip(rows) {
        ins.pos = Position {
            line: i32::try_from(row + 1).ok(),
            ..Position::NONE
        };
    }
}

impl<'a> Lowerer<'a> {
    fn new(src: &'a str, base: usize, nodes: &[Node], version: Version) -> Self {
        Lowerer {
            src,
            base,
            version,
            version_span: None,
            header: None,
            blocks: Vec::new(),
            cur: None,
            last_pos: Position::default(),
            positioned: false,
            first_row: nodes
                .first()
                .map(|n| (n.start_byte(), n.start_position().row)),
            reserved_ext: 0,
            line_broken: false,
            diags: Vec::new(),
        }
    }

    /// Lowers a segment's top-level nodes, in order, and closes the block
    /// they opened.
    fn lower_nodes(&mut self, nodes: &[Node], preamble: bool) {
        self.lower_lines(nodes, preamble);
        self.finish_block();
    }

    /// Lowers top-level nodes, in order, into the block they open or the
    /// one open.
    fn lower_lines(&mut self, nodes: &[Node], preamble: bool) {
        let (src, base) = (self.src, self.base);
        let lw = self;
        // Where the syntax errors start, in order: an instruction on a line
        // that holds one is already reported.
        let mut error_starts = Vec::new();
        for n in nodes {
            for e in super::syntax_errors_in(*n, src, base) {
                error_starts.push(e.start_byte);
                lw.diags
                    .push(Diag::error("syntax", e.start_byte..e.end_byte, e.message));
            }
        }
        error_starts.sort_unstable();
        let mut cursor: Option<TreeCursor> = None;
        for (i, item) in nodes.iter().enumerate() {
            let item = *item;
            let broken = item.has_error() || item.is_error();
            match node_kind(item) {
                K::Directive if !broken => lw.directive(item),
                K::Label if !broken => lw.label(item),
                K::Instruction => {
                    // Its whole line, from the newline before it to the next.
                    let (start, end) = (item.start_byte(), item.end_byte());
                    let line_start = src
                        .get(..start.saturating_sub(base))
                        .and_then(|r| r.rfind('\n'))
                        .map_or(0, |k| base + k + 1);
                    let line_end = src
                        .get(end.saturating_sub(base)..)
                        .and_then(|r| r.find('\n'))
                        .map_or(usize::MAX, |k| end + k);
                    let k = error_starts.partition_point(|&e| e < line_start);
                    lw.line_broken = broken || error_starts.get(k).is_some_and(|&e| e <= line_end);
                    // One cursor for every line: making one allocates.
                    let c = cursor.get_or_insert_with(|| item.walk());
                    c.reset(item);
                    lw.instruction(item, c)
                }
                _ => {}
            }
            // A malformed `.code` line still opens its block, nameless, so the
            // lines under it are checked as code rather than reported as
            // outside any block.
            if i == 0 && !preamble && lw.cur.is_none() {
                lw.cur = Some(Block {
                    span: span(item),
                    ..Block::default()
                });
            }
        }
    }
}

struct Lowerer<'a> {
    /// The text from byte `base` of the file on.
    src: &'a str,
    base: usize,
    version: Version,
    version_span: Option<Span>,
    header: Option<PycHeader>,
    blocks: Vec<Block>,
    cur: Option<Block>,
    last_pos: Position,
    /// Whether an instruction line of the block has a position field.
    positioned: bool,
    /// Where the segment's first node is: its byte and its row, from which
    /// the rows of the instructions are counted.
    first_row: Option<(usize, usize)>,
    /// Bare `EXTENDED_ARG` lines seen since the last instruction.
    reserved_ext: u8,
    /// The instruction being lowered is on a line with a syntax error,
    /// already reported: it keeps its place as broken, and nothing more
    /// is said about it.
    line_broken: bool,
    diags: Vec<Diag>,
}

fn span(n: Node) -> Span {
    n.start_byte()..n.end_byte()
}

type R<T> = Result<T, Diag>;

/// How deeply constant literals may nest, counting each bracket or call and
/// the value innermost in them. CPython's marshal reads nothing deeper than 2000
/// levels, counted from the module's code object (see
/// [`crate::marshal::MAX_DEPTH`]), so a deeper constant could never be
/// loaded; the assembler checks the exact depth of the whole module.
pub const MAX_LITERAL_DEPTH: usize = crate::marshal::MAX_DEPTH;

impl<'a> Lowerer<'a> {
    fn text(&self, n: Node) -> &'a str {
        let (a, b) = (n.start_byte() - self.base, n.end_byte() - self.base);
        self.src.get(a..b).unwrap_or("")
    }

    fn table(&self) -> &'static OpcodeTable {
        self.version.table()
    }

    fn err(&mut self, d: Diag) {
        self.diags.push(d);
    }

    fn finish_block(&mut self) {
        if let Some(mut b) = self.cur.take() {
            if !self.positioned && b.linetable.is_none() {
                self.place_on_own_lines(&mut b);
            }
            self.blocks.push(b);
        }
    }

    /// A block written without a single position (and without a raw
    /// `.linetable`) is placed on the `.pyasm` file's own lines: each
    /// instruction gets the line it is written on (line only, counted from
    /// 1), so a traceback points into the file. `pyasm dis` writes a
    /// position on the first instruction of every block, `-` for none, so
    /// what it writes keeps the positions it read.
    fn place_on_own_lines(&self, b: &mut Block) {
        let Some((_, row)) = self.first_row else {
            return;
        };
        let rows = self.rows_of(b);
        place_on_rows(b, rows.into_iter().map(|r| row + r as usize));
    }

    /// The row of each instruction of `b`, in order, counted from the row
    /// of the first node lowered.
    fn rows_of(&self, b: &Block) -> Vec<u32> {
        let Some((mut at, _)) = self.first_row else {
            return Vec::new();
        };
        let bytes = self.src.as_bytes();
        let mut row = 0usize;
        let mut out = Vec::new();
        for s in &b.body {
            let Stmt::Instr(ins) = s else { continue };
            // Instructions come in the order of the text.
            let to = ins.span.start.max(at);
            let (a, z) = (at - self.base, (to - self.base).min(bytes.len()));
            row += bytes
                .get(a..z)
                .map_or(0, |t| t.iter().filter(|&&c| c == b'\n').count());
            at = to;
            out.push(u32::try_from(row).unwrap_or(u32::MAX));
        }
        out
    }

    fn block_or_err(&mut self, n: Node, what: &str) -> bool {
        if self.cur.is_none() {
            self.err(
                Diag::error(
                    "outside-block",
                    span(n),
                    format!("{what} must be inside a code block"),
                )
                .help("start a block with `.code NAME`"),
            );
            return false;
        }
        true
    }

    fn args<'t>(&self, n: Node<'t>) -> Vec<Node<'t>> {
        field_children(n, field_ids().argument, &mut n.walk())
    }

    fn directive(&mut self, n: Node) {
        let Some(name_node) = n.child_by_field_id(field_ids().name) else {
            return;
        };
        let name = self.text(name_node);
        let args = self.args(n);
        let sp = span(n);
        let r = match name {
            ".python" => self.dir_python(n, &args),
            ".pyc" => self.dir_pyc(n, &args),
            ".code" => self.dir_code(n, &args),
            _ => {
                if !self.block_or_err(n, &format!("`{name}`")) {
                    return;
                }
                self.block_directive(name, n, &args)
            }
        };
        if let Err(d) = r {
            self.err(d);
        }
        if let Some(b) = self.cur.as_mut() {
            if let Some(f) = FIELD_NAMES.iter().find(|f| name.get(1..) == Some(**f)) {
                b.field_spans.push((f, sp));
            }
        }
    }

    fn one<'t>(&self, n: Node, args: &[Node<'t>], what: &str) -> R<Node<'t>> {
        match args {
            [a] => Ok(*a),
            [] => Err(Diag::error(
                "invalid-operand",
                span(n),
                format!(
                    "`{}` takes {what}",
                    self.text(n.child_by_field_id(field_ids().name).unwrap_or(n))
                ),
            )),
            [_, extra, ..] => Err(Diag::error(
                "invalid-operand",
                extra.start_byte()
                    ..args
                        .last()
                        .map(|a| a.end_byte())
                        .unwrap_or(extra.end_byte()),
                "unexpected extra operand",
            )),
        }
    }

    fn dir_python(&mut self, n: Node, args: &[Node]) -> R<()> {
        let a = self.one(n, args, "a version such as 3.11")?;
        let t = self.text(a);
        let v = Version::parse(t).ok_or_else(|| {
            Diag::error(
                "bad-version",
                span(a),
                format!("unknown Python version `{t}`"),
            )
            .help(supported_help())
        })?;
        if !self.blocks.is_empty() || self.cur.is_some() {
            return Err(Diag::error(
                "late-version",
                span(n),
                "`.python` must come before the first `.code` block",
            ));
        }
        if let Some(prev) = &self.version_span {
            return Err(
                Diag::error("duplicate-version", span(n), "`.python` is given twice")
                    .note(prev.clone(), "first given here"),
            );
        }
        self.version = v;
        self.version_span = Some(span(n));
        Ok(())
    }

    fn dir_pyc(&mut self, n: Node, args: &[Node]) -> R<()> {
        if !self.blocks.is_empty() || self.cur.is_some() {
            return Err(Diag::error(
                "late-header",
                span(n),
                "`.pyc` must come before the first `.code` block",
            ));
        }
        let words: Vec<&str> = args.iter().map(|a| self.text(*a)).collect();
        let bad = || {
            Diag::error(
                "bad-header",
                span(n),
                "expected `.pyc mtime N size N`, `.pyc hash 0x<16 hex digits> checked|unchecked` or `.pyc flags N words N N`",
            )
        };
        let num = |i: usize| -> R<u32> {
            literal::parse_u32(words.get(i).ok_or_else(bad)?)
                .map_err(|m| Diag::error("bad-header", span(args[i]), m))
        };
        let (flags, w2, w3) = match words.first().copied() {
            Some("mtime") if words.len() == 4 && words[2] == "size" => (0, num(1)?, num(3)?),
            Some("hash") if words.len() == 3 => {
                let hex = words[1].strip_prefix("0x").ok_or_else(bad)?;
                if hex.len() != 16 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(bad());
                }
                let bytes: Vec<u8> = (0..8)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect();
                let flags = match words[2] {
                    "checked" => 3,
                    "unchecked" => 1,
                    _ => return Err(bad()),
                };
                (
                    flags,
                    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
                    u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
                )
            }
            Some("flags") if words.len() == 5 && words[2] == "words" => (num(1)?, num(3)?, num(4)?),
            _ => return Err(bad()),
        };
        self.header = Some(PycHeader {
            version: self.version,
            flags,
            word2: w2,
            word3: w3,
        });
        Ok(())
    }

    fn dir_code(&mut self, n: Node, args: &[Node]) -> R<()> {
        let a = self.one(n, args, "a block name")?;
        if node_kind(a) != K::Identifier {
            return Err(Diag::error(
                "invalid-operand",
                span(a),
                "a code block's name must be an identifier",
            ));
        }
        self.finish_block();
        self.cur = Some(Block {
            name: self.text(a).to_string(),
            span: span(a),
            ..Block::default()
        });
        self.last_pos = Position::default();
        self.positioned = false;
        Ok(())
    }

    fn block_directive(&mut self, name: &str, n: Node, args: &[Node]) -> R<()> {
        let sp = span(n);
        let table = self.table();
        // The fields a version's code objects lack (or have only there).
        let lacks = match name {
            ".qualname" if !table.localsplus => Some("has no co_qualname"),
            ".except" | ".exceptiontable" if !table.localsplus => {
                Some("has no exception table: its handlers are the targets of SETUP_* instructions")
            }
            ".posonlyargcount" if !table.code_posonlyargcount => Some("has no co_posonlyargcount"),
            ".nlocals" | ".cellvars" if table.localsplus => {
                Some("keeps its variables in co_localsplusnames: `.var` lines say everything")
            }
            _ => None,
        };
        if let Some(why) = lacks {
            return Err(Diag::error(
                "unknown-directive",
                sp,
                format!("`{name}`: a code object of Python {} {why}", self.version),
            ));
        }
        match name {
            ".nlocals" => {
                let a = self.one(n, args, "a number")?;
                let v = literal::parse_u32(self.int_text(a)?)
                    .map_err(|m| Diag::error("invalid-operand", span(a), m))?;
                self.cur.as_mut().unwrap().nlocals = Some(v);
            }
            ".cellvars" => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.name_of(*a)?);
                }
                self.cur.as_mut().unwrap().cellvars = Some(vals);
            }
            ".name" | ".qualname" | ".filename" => {
                let a = self.one(n, args, "a string")?;
                let s = self.pystr(a)?;
                let b = self.cur.as_mut().unwrap();
                match name {
                    ".name" => b.name_field = Some(s),
                    ".qualname" => b.qualname = Some(s),
                    _ => b.filename = Some(s),
                }
            }
            ".firstlineno" => {
                let a = self.one(n, args, "a line number")?;
                let v = literal::parse_i32(self.int_text(a)?)
                    .map_err(|m| Diag::error("invalid-operand", span(a), m))?;
                self.cur.as_mut().unwrap().firstlineno = Some(v);
            }
            ".argcount" | ".posonlyargcount" | ".kwonlyargcount" | ".stacksize" => {
                let a = self.one(n, args, "a number")?;
                let v = literal::parse_u32(self.int_text(a)?)
                    .map_err(|m| Diag::error("invalid-operand", span(a), m))?;
                let b = self.cur.as_mut().unwrap();
                match name {
                    ".argcount" => b.argcount = Some(v),
                    ".posonlyargcount" => b.posonlyargcount = Some(v),
                    ".kwonlyargcount" => b.kwonlyargcount = Some(v),
                    _ => b.stacksize = Some(v),
                }
            }
            ".flags" => {
                let mut v = 0u32;
                for a in args {
                    let t = self.text(*a);
                    match node_kind(*a) {
                        K::Identifier => match flag_by_name(t) {
                            Some(f) => v |= f,
                            None => {
                                let names: Vec<&str> =
                                    crate::code::FLAG_NAMES.iter().map(|(_, n)| *n).collect();
                                return Err(Diag::error(
                                    "invalid-operand",
                                    span(*a),
                                    format!("unknown flag `{t}`"),
                                )
                                .suggest(t, names.iter().copied()));
                            }
                        },
                        K::Integer => {
                            v |= literal::parse_u32(t)
                                .map_err(|m| Diag::error("invalid-operand", span(*a), m))?
                        }
                        _ => {
                            return Err(Diag::error(
                                "invalid-operand",
                                span(*a),
                                "expected a flag name or a number",
                            ))
                        }
                    }
                }
                self.cur.as_mut().unwrap().flags = Some(v);
            }
            ".var" => {
                let Some((first, rest)) = args.split_first() else {
                    return Err(Diag::error(
                        "invalid-operand",
                        sp,
                        "`.var` takes a name and optional kinds",
                    ));
                };
                let nm = self.name_of(*first)?;
                let mut k = 0u8;
                for a in rest {
                    let t = self.text(*a);
                    let word = kind::NAMES.iter().find(|(_, w)| *w == t).map(|(b, _)| *b);
                    k |= match (node_kind(*a), word) {
                        (K::Identifier, Some(bit)) => bit,
                        (K::Integer, _) => {
                            let v = literal::parse_u32(t)
                                .map_err(|m| Diag::error("invalid-operand", span(*a), m))?;
                            u8::try_from(v).map_err(|_| {
                                Diag::error(
                                    "invalid-operand",
                                    span(*a),
                                    "a kind byte is at most 0xff",
                                )
                            })?
                        }
                        _ => {
                            let d = Diag::error(
                                "invalid-operand",
                                span(*a),
                                format!("unknown variable kind `{t}`"),
                            )
                            .suggest(t, kind::NAMES.iter().map(|(_, w)| *w));
                            return Err(if d.help.is_some() {
                                d
                            } else {
                                d.help("kinds are `local`, `cell`, `free`, `hidden` or a number")
                            });
                        }
                    };
                }
                if rest.is_empty() {
                    k = kind::LOCAL;
                }
                self.cur.as_mut().unwrap().vars.push(Var {
                    name: nm,
                    kinds: k,
                    span: sp,
                });
            }
            ".consts" => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(Constant::new(self.value(*a)?));
                }
                self.cur.as_mut().unwrap().consts.extend(vals);
            }
            ".names" => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.name_of(*a)?);
                }
                self.cur.as_mut().unwrap().names.extend(vals);
            }
            ".linetable" | ".exceptiontable" => {
                let a = self.one(n, args, "a bytes literal")?;
                let v = match self.value(a)? {
                    Obj::Bytes(b) => b,
                    _ => {
                        return Err(Diag::error(
                            "invalid-operand",
                            span(a),
                            "expected a bytes literal such as b'\\x00'",
                        ))
                    }
                };
                let b = self.cur.as_mut().unwrap();
                if name == ".linetable" {
                    b.linetable = Some(v);
                } else {
                    b.exceptiontable = Some(v);
                }
            }
            ".verbatim" => {
                if let Some(a) = args.first() {
                    return Err(Diag::error(
                        "invalid-operand",
                        span(*a),
                        "`.verbatim` takes no operand",
                    ));
                }
                self.cur.as_mut().unwrap().verbatim = true;
            }
            ".except" => {
                let e = self.dir_except(n, args)?;
                self.cur.as_mut().unwrap().excepts.push(e);
            }
            other => {
                let known = [".python", ".pyc", ".code"]
                    .iter()
                    .copied()
                    .chain(BLOCK_DIRECTIVES.iter().copied());
                return Err(Diag::error(
                    "unknown-directive",
                    sp,
                    format!("unknown directive `{other}`"),
                )
                .suggest(other, known));
            }
        }
        Ok(())
    }

    fn dir_except(&mut self, n: Node, args: &[Node]) -> R<Except> {
        let bad = |s: Span| {
            Diag::error(
                "bad-except",
                s,
                "expected `.except START END -> HANDLER [depth N] [lasti]`",
            )
        };
        let t: Vec<&str> = args.iter().map(|a| self.text(*a)).collect();
        let label = |i: usize| -> R<String> {
            match args.get(i) {
                Some(a) if node_kind(*a) == K::Identifier => Ok(t[i].to_string()),
                Some(a) => Err(bad(span(*a))),
                None => Err(bad(span(n))),
            }
        };
        let start = label(0)?;
        let end = label(1)?;
        if t.get(2) != Some(&"->") {
            return Err(bad(args.get(2).map(|a| span(*a)).unwrap_or(span(n))));
        }
        let handler = label(3)?;
        let mut depth = None;
        let mut lasti = false;
        let mut i = 4;
        while i < args.len() {
            match t[i] {
                "depth" => {
                    let a = args.get(i + 1).ok_or_else(|| bad(span(args[i])))?;
                    depth = Some(
                        literal::parse_u32(t[i + 1])
                            .map_err(|m| Diag::error("invalid-operand", span(*a), m))?,
                    );
                    i += 2;
                }
                "lasti" => {
                    lasti = true;
                    i += 1;
                }
                w => return Err(bad(span(args[i])).suggest(w, ["depth", "lasti"])),
            }
        }
        Ok(Except {
            start,
            end,
            handler,
            depth,
            lasti,
            span: span(n),
        })
    }

    fn int_text(&self, n: Node) -> R<&'a str> {
        if node_kind(n) == K::Integer {
            Ok(self.text(n))
        } else {
            Err(Diag::error(
                "invalid-operand",
                span(n),
                "expected an integer",
            ))
        }
    }

    fn pystr(&self, n: Node) -> R<PyStr> {
        match self.value(n)? {
            Obj::Str(s) => Ok(s),
            _ => Err(Diag::error(
                "invalid-operand",
                span(n),
                "expected a string literal",
            )),
        }
    }

    fn name_or_index(&self, n: Node) -> R<NameRef> {
        if node_kind(n) == K::Index {
            literal::parse_u32(&self.text(n)[1..])
                .map(NameRef::Index)
                .map_err(|m| Diag::error("invalid-operand", span(n), m))
        } else {
            Ok(NameRef::Name(self.name_of(n)?))
        }
    }

    /// A name operand: an identifier, or a string for names that are not.
    fn name_of(&self, n: Node) -> R<PyStr> {
        match node_kind(n) {
            K::Identifier => Ok(PyStr::new(self.text(n))),
            K::String => self.pystr(n),
            _ => Err(Diag::error(
                "invalid-operand",
                span(n),
                "expected a name (an identifier or a string)",
            )),
        }
    }

    /// A constant value. Literals nest (tuples in lists in calls...), and a
    /// file can nest them as deep as it likes, so this walks with a stack of
    /// open containers on the heap rather than by recursion, and refuses
    /// nesting deeper than CPython's marshal can load.
    fn value(&self, root: Node) -> R<Obj> {
        /// A container whose items are being lowered.
        struct Open<'t> {
            node: Node<'t>,
            items: Vec<Node<'t>>,
            done: Vec<Obj>,
        }
        let mut open: Vec<Open> = Vec::new();
        let mut next = root;
        loop {
            // Down: a leaf is finished at once, a container opens.
            let mut obj = match self.container_items(next)? {
                None => self.leaf_value(next)?,
                Some(items) => {
                    // This container and the value innermost in it are
                    // two more levels.
                    if open.len() + 2 > MAX_LITERAL_DEPTH {
                        return Err(Diag::error(
                            "too-deep",
                            span(next),
                            format!(
                                "constants may nest at most {MAX_LITERAL_DEPTH} levels deep \
                                 (CPython's marshal reads no deeper), and here they nest deeper"
                            ),
                        ));
                    }
                    match items.first() {
                        Some(&first) => {
                            open.push(Open {
                                node: next,
                                done: Vec::with_capacity(items.len()),
                                items,
                            });
                            next = first;
                            continue;
                        }
                        None => self.container_value(next, &[], Vec::new())?,
                    }
                }
            };
            // Up: hand the finished value to its container, finishing every
            // container that it completes.
            loop {
                let Some(top) = open.last_mut() else {
                    return Ok(obj);
                };
                top.done.push(obj);
                if let Some(&item) = top.items.get(top.done.len()) {
                    next = item;
                    break;
                }
                let Some(done) = open.pop() else {
                    unreachable!("the stack has a top")
                };
                obj = self.container_value(done.node, &done.items, done.done)?;
            }
        }
    }

    /// The nodes whose values a container literal is made of, or None for a
    /// node that is not one (a leaf, or a call whose arguments are not
    /// values). A call to an unknown constructor, or with the wrong number
    /// of arguments, is refused here, before its arguments are looked at.
    fn container_items<'t>(&self, n: Node<'t>) -> R<Option<Vec<Node<'t>>>> {
        Ok(match node_kind(n) {
            K::Tuple | K::List | K::Set => {
                let mut c = n.walk();
                Some(
                    n.named_children(&mut c)
                        .filter(|k| node_kind(*k) != K::Comment)
                        .collect(),
                )
            }
            K::Call => {
                let f = n
                    .child_by_field_name("function")
                    .map(|f| self.text(f))
                    .unwrap_or("");
                let mut c = n.walk();
                let args: Vec<Node> = n.children_by_field_name("argument", &mut c).collect();
                match (f, args.len()) {
                    ("frozenset", 0 | 1) | ("set", 0) | ("complex", 2) | ("float", 1) => Some(args),
                    ("slice", 3) | ("dict", _) | ("frozendict", _) => Some(args),
                    // `f64` takes the text of an integer, not a value.
                    ("f64", 1) => None,
                    _ => {
                        return Err(Diag::error(
                            "invalid-operand",
                            span(n),
                            format!(
                                "unknown constructor `{f}`; known: frozenset, set, complex, \
                                 float, f64, slice, dict, frozendict"
                            ),
                        ))
                    }
                }
            }
            _ => None,
        })
    }

    /// A value with no values inside it.
    fn leaf_value(&self, n: Node) -> R<Obj> {
        let t = self.text(n);
        let sp = span(n);
        let bad = |m: String| Diag::error("invalid-operand", sp.clone(), m);
        let k = node_kind(n);
        Ok(match k {
            K::Integer => Obj::Int(literal::parse_int(t).map_err(bad)?),
            K::Float => Obj::Float(literal::parse_float(t).map_err(bad)?.to_bits()),
            K::String => match literal::parse_string(t).map_err(bad)? {
                StrLit::Str(s) => Obj::Str(s),
                StrLit::Bytes(b) => Obj::Bytes(b),
            },
            K::Ellipsis => Obj::Ellipsis,
            K::CodeRef => Obj::CodeRef(t[1..].to_string()),
            K::Identifier => match t {
                "None" => Obj::None,
                "True" => Obj::True,
                "False" => Obj::False,
                "NULL" => Obj::Null,
                "StopIteration" => Obj::StopIteration,
                "Ellipsis" => Obj::Ellipsis,
                "inf" => Obj::Float(f64::INFINITY.to_bits()),
                "nan" => Obj::Float(f64::NAN.to_bits()),
                _ => {
                    return Err(Diag::error(
                        "invalid-operand",
                        sp,
                        format!("`{t}` is not a constant"),
                    )
                    .help(format!(
                        "write `'{t}'` for a string, or `@{t}` for a code block"
                    )))
                }
            },
            K::Call => {
                // Only `f64(BITS)` is a leaf (see `container_items`).
                let a = n
                    .child_by_field_name("argument")
                    .ok_or_else(|| bad("f64() takes the 64 bits of a float".into()))?;
                let v = literal::parse_int(self.text(a)).map_err(bad)?;
                let bits = u64::try_from(&v)
                    .map_err(|_| bad("f64() takes the 64 bits of a float".into()))?;
                Obj::Float(bits)
            }
            _ => return Err(bad(format!("`{t}` is not a constant"))),
        })
    }

    /// A container literal, from the values of its items (`nodes` are the
    /// items' nodes, for the places of errors).
    fn container_value(&self, n: Node, nodes: &[Node], items: Vec<Obj>) -> R<Obj> {
        let sp = span(n);
        let bad = |m: &str| Diag::error("invalid-operand", sp.clone(), m.to_string());
        Ok(match n.kind() {
            "tuple" => {
                if items.len() == 1 && !self.has_trailing_comma(n) {
                    return Err(bad("a one-element tuple needs a trailing comma: `(x,)`"));
                }
                Obj::Tuple(items)
            }
            "list" => Obj::List(items),
            "set" => Obj::Set(items),
            "call" => {
                let f = n
                    .child_by_field_name("function")
                    .map(|f| self.text(f))
                    .unwrap_or("");
                let float_of = |o: Obj, a: Node| -> R<u64> {
                    match o {
                        Obj::Float(b) => Ok(b),
                        Obj::Int(i) => {
                            Ok((i.to_string().parse::<f64>().unwrap_or(f64::NAN)).to_bits())
                        }
                        _ => Err(Diag::error("invalid-operand", span(a), "expected a number")),
                    }
                };
                let mut it = items.into_iter();
                let mut arg = || it.next().unwrap_or(Obj::None);
                match (f, nodes) {
                    ("frozenset", []) => Obj::FrozenSet(vec![]),
                    ("set", []) => Obj::Set(vec![]),
                    ("frozenset", [_]) => match arg() {
                        Obj::Set(v) | Obj::List(v) | Obj::Tuple(v) => Obj::FrozenSet(v),
                        _ => return Err(bad("frozenset() takes a set literal: frozenset({1, 2})")),
                    },
                    ("complex", [re, im]) => {
                        let (a, b) = (arg(), arg());
                        Obj::Complex(float_of(a, *re)?, float_of(b, *im)?)
                    }
                    ("float", [_]) => match arg() {
                        Obj::Str(s) => match s.as_str() {
                            Some("nan") => Obj::Float(f64::NAN.to_bits()),
                            Some("inf") | Some("+inf") => Obj::Float(f64::INFINITY.to_bits()),
                            Some("-inf") => Obj::Float(f64::NEG_INFINITY.to_bits()),
                            Some(other) => Obj::Float(
                                literal::parse_float(other).map_err(|m| bad(&m))?.to_bits(),
                            ),
                            None => return Err(bad("not a float")),
                        },
                        Obj::Float(b) => Obj::Float(b),
                        _ => return Err(bad("float() takes a string such as 'nan' or '-inf'")),
                    },
                    ("slice", [_, _, _]) => {
                        let (a, b, c) = (arg(), arg(), arg());
                        Obj::Slice(Box::new((a, b, c)))
                    }
                    (kind @ ("dict" | "frozendict"), pairs) => {
                        let mut kv = Vec::with_capacity(pairs.len());
                        for p in pairs {
                            match arg() {
                                Obj::Tuple(v) if v.len() == 2 => {
                                    let mut it = v.into_iter();
                                    if let (Some(k), Some(v)) = (it.next(), it.next()) {
                                        kv.push((k, v));
                                    }
                                }
                                _ => {
                                    return Err(Diag::error(
                                        "invalid-operand",
                                        span(*p),
                                        format!("{kind}() takes (key, value) pairs"),
                                    ))
                                }
                            }
                        }
                        if kind == "dict" {
                            Obj::Dict(kv)
                        } else {
                            Obj::FrozenDict(kv)
                        }
                    }
                    _ => return Err(bad("internal: a constructor without its arguments")),
                }
            }
            _ => return Err(bad("internal: not a container")),
        })
    }

    fn has_trailing_comma(&self, n: Node) -> bool {
        let mut c = n.walk();
        let kids: Vec<Node> = n.children(&mut c).collect();
        kids.len() >= 2 && node_kind(kids[kids.len() - 2]) == K::Comma
    }

    fn label(&mut self, n: Node) {
        if !self.block_or_err(n, "a label") {
            return;
        }
        let Some(nm) = n.child_by_field_id(field_ids().name) else {
            return;
        };
        let name = self.text(nm).to_string();
        self.cur
            .as_mut()
            .unwrap()
            .body
            .push(Stmt::Label(name, span(nm)));
    }

    /// An instruction line; `c` is a cursor on `n`.
    fn instruction<'t>(&mut self, n: Node<'t>, c: &mut TreeCursor<'t>) {
        if !self.block_or_err(n, "an instruction") {
            return;
        }
        // One walk over the line's children finds its position, opcode and
        // operands.
        let f = field_ids();
        let (mut position, mut opcode) = (None, None);
        let mut operands: SmallVec<[Node; 4]> = SmallVec::new();
        if c.goto_first_child() {
            loop {
                match c.field_id().map(|id| id.get()) {
                    Some(id) if id == f.operand => operands.push(c.node()),
                    Some(id) if id == f.opcode && opcode.is_none() => opcode = Some(c.node()),
                    Some(id) if id == f.position && position.is_none() => position = Some(c.node()),
                    _ => {}
                }
                if !c.goto_next_sibling() {
                    break;
                }
            }
        }
        self.positioned |= position.is_some();
        // Where positions are changes of line, one not written records none.
        let unwritten = if self.table().line_table.positions_are_changes() {
            Position::NONE
        } else {
            self.last_pos
        };
        let pos = match position {
            Some(p) => match parse_position(self.text(p)) {
                Some(pos) => pos,
                // (A line the parser could not read has its error already.)
                None if self.text(p).starts_with('#') => {
                    if !n.has_error() {
                        self.err(
                            Diag::error(
                                "bad-position",
                                span(p),
                                "a position is written without `#`; a `#` followed by a digit is an index, not a comment",
                            )
                            .help("to comment the line out, write `# ` (with a space) before it"),
                        );
                    }
                    unwritten
                }
                None => {
                    self.err(Diag::error(
                        "bad-position",
                        span(p),
                        "malformed position; expected L, L-L2, L:C-E or L:C-L2:E",
                    ));
                    unwritten
                }
            },
            None => unwritten,
        };
        self.last_pos = pos;
        let Some(opn) = opcode else {
            return;
        };
        let opname = self.text(opn);
        let table = self.table();
        let arg_span = match (operands.first(), operands.last()) {
            (Some(a), Some(b)) => a.start_byte()..b.end_byte(),
            _ => opn.end_byte()..opn.end_byte(),
        };
        // A bare EXTENDED_ARG reserves a prefix for the next instruction.
        let verbatim = self.cur.as_ref().is_some_and(|b| b.verbatim);
        if opname == "EXTENDED_ARG" && operands.is_empty() && !verbatim {
            if self.reserved_ext >= 3 {
                self.err(Diag::error(
                    "too-many-prefixes",
                    span(n),
                    "an instruction takes at most three EXTENDED_ARG prefixes",
                ));
            } else {
                self.reserved_ext += 1;
            }
            return;
        }
        let min_ext = std::mem::take(&mut self.reserved_ext);
        if self.line_broken {
            self.cur.as_mut().unwrap().body.push(Stmt::Instr(Instr {
                opcode: 0,
                arg: Arg::Broken,
                pos,
                span: span(n),
                arg_span,
                min_ext,
            }));
            return;
        }
        // `known`: the opcode is one the line can be assembled with.
        let (opcode, info, known) = match table.by_name(opname) {
            Some(info) => (info.code, Some(info), true),
            None => match opname
                .strip_prefix("OP_")
                .and_then(|d| d.parse::<u8>().ok())
            {
                Some(code) => (code, table.by_code(code), true),
                None => {
                    let mut d = Diag::error(
                        "unknown-opcode",
                        span(opn),
                        format!(
                            "`{opname}` is not an instruction in Python {}",
                            self.version
                        ),
                    );
                    let elsewhere: Vec<&str> = Version::ALL
                        .iter()
                        .filter(|v| **v != self.version && v.table().by_name(opname).is_some())
                        .map(|v| v.as_str())
                        .collect();
                    if !elsewhere.is_empty() {
                        d = d.note(
                            span(opn),
                            format!("`{opname}` exists in Python {}", elsewhere.join(", ")),
                        );
                    }
                    // What the file's own version writes instead, for the
                    // instructions some versions have and others replaced.
                    let op = Version::ALL
                        .iter()
                        .find_map(|v| v.table().by_name(opname))
                        .map(|i| i.op);
                    let replacement = match op {
                        Some(Op::LOAD_CLOSURE) => Some("load the cell itself with `LOAD_FAST`"),
                        Some(Op::PRECALL) => Some("`CALL` alone does the call"),
                        Some(Op::RETURN_CONST) => Some("write `LOAD_CONST` then `RETURN_VALUE`"),
                        Some(Op::LOAD_METHOD) => Some("write `LOAD_ATTR NULL|self + name`"),
                        Some(Op::KW_NAMES) => {
                            Some("`CALL_KW` takes the names tuple from the stack")
                        }
                        Some(Op::FORMAT_VALUE) => {
                            Some("use `CONVERT_VALUE`, `FORMAT_SIMPLE` or `FORMAT_WITH_SPEC`")
                        }
                        _ => None,
                    };
                    if let Some(r) = replacement {
                        d = d.help(format!("in Python {}, {r}", self.version));
                    } else {
                        d = d.suggest(opname, table.names());
                    }
                    self.err(d);
                    // It keeps its place, with an effect nothing knows.
                    (0, None, false)
                }
            },
        };
        // An instruction whose operand is wrong keeps its place too, as
        // broken: the analyses give it an unknown effect, and the
        // assembler does not report it a second time.
        let arg = if !known {
            Arg::Broken
        } else {
            match self.operand(info, &operands, &arg_span) {
                Ok(a) => a,
                Err(d) => {
                    self.err(d);
                    Arg::Broken
                }
            }
        };
        self.cur.as_mut().unwrap().body.push(Stmt::Instr(Instr {
            opcode,
            arg,
            pos,
            span: span(n),
            arg_span,
            min_ext,
        }));
    }

    fn operand(&self, info: Option<&'static OpInfo>, ops: &[Node], all: &Span) -> R<Arg> {
        let texts: SmallVec<[&str; 4]> = ops.iter().map(|o| self.text(*o)).collect();
        let kinds: SmallVec<[K; 4]> = ops.iter().map(|o| node_kind(*o)).collect();
        let bad = |m: String| Diag::error("invalid-operand", all.clone(), m);
        let index = |i: usize| -> R<u32> {
            literal::parse_u32(&texts[i][1..])
                .map_err(|m| Diag::error("invalid-operand", span(ops[i]), m))
        };
        let int = |i: usize| -> R<u32> {
            literal::parse_u32(texts[i])
                .map_err(|m| Diag::error("invalid-operand", span(ops[i]), m))
        };
        let name = info.map(|i| i.name).unwrap_or("this instruction");
        if ops.is_empty() {
            return Ok(Arg::None);
        }
        // The exact form works everywhere.
        if ops.len() == 1 && kinds[0] == K::Index {
            return Ok(Arg::Value(index(0)?));
        }
        let Some(info) = info else {
            if ops.len() == 1 && kinds[0] == K::Integer {
                return Ok(Arg::Value(int(0)?));
            }
            return Err(bad(
                "an unknown opcode takes a number as its argument".into()
            ));
        };
        let single = || -> R<Node> {
            if ops.len() == 1 {
                Ok(ops[0])
            } else {
                Err(Diag::error(
                    "invalid-operand",
                    ops[1].start_byte()..all.end,
                    format!("{name} takes one operand"),
                ))
            }
        };
        match info.arg {
            ArgKind::None => {
                let mut d = bad(format!(
                    "{name} takes no operand in Python {}",
                    self.version
                ));
                if info.op == Op::MAKE_FUNCTION {
                    d = d.help(format!(
                        "in Python {}, set defaults, closures and the rest with `SET_FUNCTION_ATTRIBUTE`",
                        self.version
                    ));
                }
                Err(d)
            }
            ArgKind::Int => {
                let o = single()?;
                if node_kind(o) != K::Integer {
                    return Err(bad(format!("{name} takes a number")));
                }
                Ok(Arg::Value(int(0)?))
            }
            ArgKind::Const => Ok(Arg::Const(Constant::new(self.value(single()?)?))),
            ArgKind::Name | ArgKind::Local | ArgKind::Free => {
                Ok(Arg::Name(self.name_of(single()?)?))
            }
            ArgKind::ImportName => {
                // `[lazy] [eager] NAME`, or `dis`'s `NAME + lazy` and
                // `NAME + eager`. A lone `lazy` is a module of that name.
                let mut flags = 0u32;
                let mut at = 0usize;
                while at + 1 < texts.len() && matches!(texts[at], "lazy" | "eager") {
                    flags |= if texts[at] == "lazy" { 1 } else { 2 };
                    at += 1;
                }
                if texts.len() == 3 && texts[1] == "+" && matches!(texts[2], "lazy" | "eager") {
                    flags = if texts[2] == "lazy" { 1 } else { 2 };
                    at = 0;
                } else if texts.len() != at + 1 {
                    return Err(bad(format!("{name} takes `[lazy] [eager] NAME`")));
                }
                Ok(Arg::NameFlags {
                    flags,
                    name: self.name_or_index(ops[at])?,
                })
            }
            k @ (ArgKind::GlobalName | ArgKind::AttrName | ArgKind::SuperAttr) => {
                // `[two_arg] [NULL + | NULL|self +] NAME`, or `#n` alone.
                let mut flags = 0u32;
                let mut at = 0usize;
                if k == ArgKind::SuperAttr && texts.first() == Some(&"two_arg") {
                    flags |= 2;
                    at = 1;
                }
                let rest = &texts[at..];
                // `dis` of 3.13+ writes the flag after the name:
                // `print + NULL`, `greet + NULL|self`. Accept that too.
                if rest.len() == 3 && rest[1] == "+" && rest[2] == "NULL" {
                    let name = self.name_or_index(ops[at])?;
                    return Ok(Arg::NameFlags {
                        flags: flags | 1,
                        name,
                    });
                }
                if rest.len() == 5
                    && rest[1] == "+"
                    && rest[2] == "NULL"
                    && rest[3] == "|"
                    && rest[4] == "self"
                {
                    let name = self.name_or_index(ops[at])?;
                    return Ok(Arg::NameFlags {
                        flags: flags | 1,
                        name,
                    });
                }
                if rest.len() >= 3 && rest[0] == "NULL" && rest[1] == "+" {
                    flags |= 1;
                    at += 2;
                } else if rest.len() >= 5
                    && rest[0] == "NULL"
                    && rest[1] == "|"
                    && rest[2] == "self"
                    && rest[3] == "+"
                {
                    flags |= 1;
                    at += 4;
                }
                if ops.len() != at + 1 {
                    let form = match k {
                        ArgKind::GlobalName => "`NAME` or `NULL + NAME`",
                        ArgKind::AttrName => "`NAME` or `NULL|self + NAME`",
                        _ => "`[two_arg] [NULL|self +] NAME`",
                    };
                    return Err(bad(format!("{name} takes {form}")));
                }
                let last = ops[at];
                let name = if node_kind(last) == K::Index {
                    NameRef::Index(index(at)?)
                } else {
                    NameRef::Name(self.name_of(last)?)
                };
                Ok(Arg::NameFlags { flags, name })
            }
            ArgKind::LocalPair => {
                if ops.len() != 2 {
                    return Err(bad(format!("{name} takes two locals: `{name} a, b`")));
                }
                let one = |i: usize| -> R<NameRef> {
                    if kinds[i] == K::Index {
                        Ok(NameRef::Index(index(i)?))
                    } else {
                        Ok(NameRef::Name(self.name_of(ops[i])?))
                    }
                };
                Ok(Arg::Pair(one(0)?, one(1)?))
            }
            ArgKind::Intrinsic1
            | ArgKind::Intrinsic2
            | ArgKind::CommonConstant
            | ArgKind::Special => {
                let o = single()?;
                let t = self.table();
                let list = match info.arg {
                    ArgKind::Intrinsic1 => t.intrinsic1,
                    ArgKind::Intrinsic2 => t.intrinsic2,
                    ArgKind::CommonConstant => t.common_constants,
                    _ => t.special_methods,
                };
                // 3.15's common constants include the literals `''` and
                // `-1`: the list is asked first, so `-1` is the constant
                // while a plain number is still the raw argument.
                let word = if texts[0] == "\"\"" { "''" } else { texts[0] };
                if let Some(i) = list.iter().position(|s| *s == word) {
                    return Ok(Arg::Value(i as u32));
                }
                if node_kind(o) == K::Integer {
                    return Ok(Arg::Value(int(0)?));
                }
                match list.iter().position(|s| *s == texts[0]) {
                    Some(i) => Ok(Arg::Value(i as u32)),
                    None => Err(Diag::error(
                        "invalid-operand",
                        span(o),
                        format!(
                            "`{}` is not an operand of {name} in Python {}",
                            texts[0], self.version
                        ),
                    )
                    .suggest(texts[0], list.iter().copied())),
                }
            }
            ArgKind::FunctionAttr | ArgKind::Conversion => {
                let o = single()?;
                if node_kind(o) == K::Integer {
                    return Ok(Arg::Value(int(0)?));
                }
                let list: &[(u32, &str)] = if info.arg == ArgKind::FunctionAttr {
                    self.table().function_flags
                } else {
                    FORMAT_CONVERSIONS
                };
                match list.iter().find(|(_, n)| *n == texts[0]) {
                    Some((v, _)) => Ok(Arg::Value(*v)),
                    None => {
                        let words: Vec<&str> = list.iter().map(|(_, n)| *n).collect();
                        Err(bad(format!("{name} takes one of: {}", words.join(", ")))
                            .suggest(texts[0], words.iter().copied()))
                    }
                }
            }
            ArgKind::JumpForward
            | ArgKind::JumpBackward
            | ArgKind::JumpAbsolute
            | ArgKind::Handler => {
                let o = single()?;
                if node_kind(o) != K::Identifier {
                    return Err(bad(format!("{name} takes a label")));
                }
                Ok(Arg::Label(texts[0].to_string()))
            }
            ArgKind::BinaryOp => {
                let o = single()?;
                if node_kind(o) == K::Integer {
                    return Ok(Arg::Value(int(0)?));
                }
                // `[]` (3.14's subscript) lexes as an empty list.
                let sym: String = texts[0].chars().filter(|c| !c.is_whitespace()).collect();
                let list = self.table().nb_ops;
                match list.iter().position(|s| *s == sym) {
                    Some(i) => Ok(Arg::Value(i as u32)),
                    None => Err(bad(format!("{name} takes one of: {}", list.join(" ")))),
                }
            }
            // 3.6-3.8's tests of two words: `is not`, `not in`,
            // `exception match`.
            ArgKind::Compare if ops.len() == 2 && kinds.iter().all(|k| *k == K::Identifier) => {
                let t = self.table();
                let sym = texts.join(" ");
                match t.cmp_ops.iter().position(|s| *s == sym) {
                    Some(i) if t.compare == CompareEncoding::Index => Ok(Arg::Value(i as u32)),
                    _ => Err(bad(format!(
                        "{name} takes one of: {}",
                        t.cmp_ops.join(", ")
                    ))),
                }
            }
            ArgKind::Compare => {
                let o = single()?;
                if node_kind(o) == K::Integer {
                    return Ok(Arg::Value(int(0)?));
                }
                let t = self.table();
                // `bool(<)` (3.13+) asks for the result converted to bool.
                let (sym, to_bool) = match node_kind(o) {
                    K::Call
                        if o.child_by_field_id(field_ids().function)
                            .map(|f| self.text(f))
                            == Some("bool") =>
                    {
                        let inner = field_children(o, field_ids().argument, &mut o.walk());
                        match inner.as_slice() {
                            [x] => (self.text(*x), true),
                            _ => {
                                return Err(bad(format!(
                                    "{name} takes `bool(OP)` with one operator"
                                )))
                            }
                        }
                    }
                    _ => (texts[0], false),
                };
                let Some(i) = t.cmp_ops.iter().position(|s| *s == sym) else {
                    return Err(bad(format!("{name} takes one of: {}", t.cmp_ops.join(" "))));
                };
                let i = i as u32;
                let v = match t.compare {
                    CompareEncoding::Index if !to_bool => i,
                    CompareEncoding::Masked if !to_bool => (i << 4) | COMPARE_MASKS[i as usize],
                    CompareEncoding::MaskedBool => {
                        (i << 5) | ((to_bool as u32) << 4) | COMPARE_MASKS[i as usize]
                    }
                    _ => {
                        let with: Vec<&str> = Version::ALL
                            .iter()
                            .filter(|v| v.table().compare == CompareEncoding::MaskedBool)
                            .map(|v| v.as_str())
                            .collect();
                        return Err(bad(format!(
                            "`bool(...)` comparisons exist in Python {}, not in {}",
                            with.join(", "),
                            self.version
                        )));
                    }
                };
                Ok(Arg::Value(v))
            }
            ArgKind::MakeFunction | ArgKind::FormatValue => {
                if ops.len() == 1 && kinds[0] == K::Integer {
                    return Ok(Arg::Value(int(0)?));
                }
                let mut v = 0u32;
                for (i, t) in texts.iter().enumerate() {
                    let bit = if info.arg == ArgKind::MakeFunction {
                        self.table()
                            .function_flags
                            .iter()
                            .find(|(_, n)| n == t)
                            .map(|(b, _)| *b)
                    } else if *t == "spec" {
                        Some(FORMAT_SPEC)
                    } else {
                        FORMAT_CONVERSIONS
                            .iter()
                            .find(|(_, n)| n == t)
                            .map(|(b, _)| *b)
                    };
                    match bit {
                        Some(b) => v |= b,
                        None => {
                            let words: Vec<&str> = if info.arg == ArgKind::MakeFunction {
                                self.table()
                                    .function_flags
                                    .iter()
                                    .map(|(_, n)| *n)
                                    .collect()
                            } else {
                                vec!["str", "repr", "ascii", "spec"]
                            };
                            return Err(Diag::error(
                                "invalid-operand",
                                span(ops[i]),
                                format!(
                                    "{name} takes flag words ({}) or a number",
                                    words.join(", ")
                                ),
                            )
                            .suggest(t, words.iter().copied()));
                        }
                    }
                }
                Ok(Arg::Value(v))
            }
            ArgKind::UnpackEx => match ops.len() {
                1 => Ok(Arg::Value(int(0)?)),
                2 => {
                    let (a, b) = (int(0)?, int(1)?);
                    if a > 0xFF {
                        return Err(Diag::error(
                            "invalid-operand",
                            span(ops[0]),
                            "at most 255 targets before the starred one",
                        ));
                    }
                    Ok(Arg::Value(a | b.saturating_mul(256)))
                }
                _ => Err(bad("UNPACK_EX takes `BEFORE, AFTER`".into())),
            },
        }
    }
}

const FIELD_NAMES: &[&str] = &[
    "name",
    "qualname",
    "filename",
    "firstlineno",
    "argcount",
    "posonlyargcount",
    "kwonlyargcount",
    "stacksize",
    "flags",
    "consts",
    "names",
    "linetable",
    "exceptiontable",
    "nlocals",
    "cellvars",
];

const BLOCK_DIRECTIVES: &[&str] = &[
    ".name",
    ".qualname",
    ".filename",
    ".firstlineno",
    ".argcount",
    ".posonlyargcount",
    ".kwonlyargcount",
    ".stacksize",
    ".flags",
    ".var",
    ".consts",
    ".names",
    ".linetable",
    ".exceptiontable",
    ".verbatim",
    ".except",
    ".nlocals",
    ".cellvars",
];

fn supported_help() -> String {
    format!("supported versions: {}", Version::names())
}
