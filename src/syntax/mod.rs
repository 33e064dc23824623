//! The concrete syntax of `.pyasm` text: the tree-sitter parser generated from
//! `grammar/grammar.js`, and the syntax errors found in its trees.
//!
//! Parsing never fails: text that does not fit the grammar still yields a
//! tree, with `ERROR` and `MISSING` nodes where it went wrong.
//! [`syntax_errors`] turns those into messages. Lowering a tree with errors
//! into code objects is the caller's business; this module knows nothing of
//! what the directives and opcodes mean.
//!
//! Shape of the tree (see `grammar/grammar.js`): a `source_file` holds one
//! `directive`, `label` or `instruction` per line, plus `comment`s. A code
//! block has no node of its own; it is the run of lines that follows a `.code`
//! directive.

use std::cell::RefCell;
use std::fmt;

use tree_sitter::{Language, Node, Parser, Tree};
use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_pyasm() -> *const ();
}

/// The generated parser, in the form the tree-sitter runtime accepts.
/// Private, as [`language`] is outside the tests: every tree is made by
/// [`parse`] and its kin, so that the process that hosts the library (the
/// `pyasm` executable points tree-sitter at its allocator before anything
/// of tree-sitter's exists) decides alone how trees are allocated.
// SAFETY: `tree_sitter_pyasm` is the language function that `tree-sitter
// generate` wrote into grammar/src/parser.c, which build.rs compiles and links.
const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_pyasm) };

/// The highlighting query (`grammar/queries/highlights.scm`).
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../grammar/queries/highlights.scm");

/// The folding query (`grammar/queries/folds.scm`). Code blocks have no node,
/// so their folding ranges are not in it.
pub const FOLDS_QUERY: &str = include_str!("../../grammar/queries/folds.scm");

/// Names of the node kinds in the grammar.
pub mod literal;
pub mod lower;

pub mod kind {
    pub const SOURCE_FILE: &str = "source_file";
    pub const DIRECTIVE: &str = "directive";
    pub const DIRECTIVE_NAME: &str = "directive_name";
    pub const LABEL: &str = "label";
    pub const INSTRUCTION: &str = "instruction";
    pub const POSITION: &str = "position";
    pub const IDENTIFIER: &str = "identifier";
    pub const INTEGER: &str = "integer";
    pub const FLOAT: &str = "float";
    pub const STRING: &str = "string";
    pub const CODE_REF: &str = "code_ref";
    pub const INDEX: &str = "index";
    pub const OPERATOR: &str = "operator";
    pub const ELLIPSIS: &str = "ellipsis";
    pub const TUPLE: &str = "tuple";
    pub const LIST: &str = "list";
    pub const SET: &str = "set";
    pub const CALL: &str = "call";
    pub const COMMENT: &str = "comment";
}

/// Names of the fields in the grammar.
pub mod field {
    /// The `directive_name` of a directive, the `identifier` of a label.
    pub const NAME: &str = "name";
    /// Each value after a directive's name, and each argument of a call.
    pub const ARGUMENT: &str = "argument";
    /// The optional `position` that starts an instruction.
    pub const POSITION: &str = "position";
    /// The `identifier` naming an instruction's opcode.
    pub const OPCODE: &str = "opcode";
    /// Each value after an instruction's opcode.
    pub const OPERAND: &str = "operand";
    /// The `identifier` before a call's parenthesis.
    pub const FUNCTION: &str = "function";
}

/// The pyasm grammar as a tree-sitter [`Language`]. Public only to the
/// tests (feature `test-support`), which check the grammar and its queries.
#[cfg(feature = "test-support")]
pub fn language() -> Language {
    LANGUAGE.into()
}

#[cfg(not(feature = "test-support"))]
pub(crate) fn language() -> Language {
    LANGUAGE.into()
}

/// The kinds of node that lowering tells apart. [`node_kind`] finds a
/// node's from its kind id with one table lookup, where `Node::kind`
/// measures and checks the kind's name on every call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Directive,
    DirectiveName,
    Label,
    Instruction,
    Position,
    Identifier,
    Integer,
    Float,
    String,
    CodeRef,
    Index,
    Operator,
    Ellipsis,
    Tuple,
    List,
    Set,
    Call,
    Comment,
    /// The anonymous `,` token.
    Comma,
    /// Anything else: other punctuation, line ends, `ERROR` nodes, the
    /// source file.
    Other,
}

/// The grammar's field names as ids (`Node::child_by_field_id`,
/// `TreeCursor::field_id`), found once.
#[derive(Debug)]
pub struct FieldIds {
    pub name: u16,
    pub argument: u16,
    pub position: u16,
    pub opcode: u16,
    pub operand: u16,
    pub function: u16,
}

struct Ids {
    kinds: Vec<NodeKind>,
    fields: FieldIds,
}

fn ids() -> &'static Ids {
    static IDS: std::sync::OnceLock<Ids> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let lang = language();
        let kinds = (0..lang.node_kind_count() as u16)
            .map(|id| {
                let named = lang.node_kind_is_named(id);
                match (lang.node_kind_for_id(id).unwrap_or(""), named) {
                    (kind::DIRECTIVE, true) => NodeKind::Directive,
                    (kind::DIRECTIVE_NAME, true) => NodeKind::DirectiveName,
                    (kind::LABEL, true) => NodeKind::Label,
                    (kind::INSTRUCTION, true) => NodeKind::Instruction,
                    (kind::POSITION, true) => NodeKind::Position,
                    (kind::IDENTIFIER, true) => NodeKind::Identifier,
                    (kind::INTEGER, true) => NodeKind::Integer,
                    (kind::FLOAT, true) => NodeKind::Float,
                    (kind::STRING, true) => NodeKind::String,
                    (kind::CODE_REF, true) => NodeKind::CodeRef,
                    (kind::INDEX, true) => NodeKind::Index,
                    (kind::OPERATOR, true) => NodeKind::Operator,
                    (kind::ELLIPSIS, true) => NodeKind::Ellipsis,
                    (kind::TUPLE, true) => NodeKind::Tuple,
                    (kind::LIST, true) => NodeKind::List,
                    (kind::SET, true) => NodeKind::Set,
                    (kind::CALL, true) => NodeKind::Call,
                    (kind::COMMENT, true) => NodeKind::Comment,
                    (",", false) => NodeKind::Comma,
                    _ => NodeKind::Other,
                }
            })
            .collect();
        let field = |name: &str| {
            lang.field_id_for_name(name)
                .map(|f| f.get())
                .unwrap_or_else(|| panic!("the grammar has no field `{name}`"))
        };
        Ids {
            kinds,
            fields: FieldIds {
                name: field(field::NAME),
                argument: field(field::ARGUMENT),
                position: field(field::POSITION),
                opcode: field(field::OPCODE),
                operand: field(field::OPERAND),
                function: field(field::FUNCTION),
            },
        }
    })
}

/// What kind of node `n` is (see [`NodeKind`]).
pub fn node_kind(n: Node) -> NodeKind {
    ids()
        .kinds
        .get(n.kind_id() as usize)
        .copied()
        .unwrap_or(NodeKind::Other)
}

/// The grammar's field ids.
pub fn field_ids() -> &'static FieldIds {
    &ids().fields
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(new_parser());
}

fn new_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&language())
        .expect("grammar/src/parser.c was generated for another tree-sitter ABI");
    parser
}

/// Parses `text`. Never fails: syntax errors become `ERROR` and `MISSING`
/// nodes (see [`syntax_errors`]).
///
/// `old` is a tree of an earlier version of the same text, already updated
/// with [`Tree::edit`] to describe the changes since; the parser reuses its
/// unchanged parts.
///
/// # Panics
///
/// Only if the generated parser and the tree-sitter runtime disagree on the
/// ABI version, which the crate's tests would catch.
/// The first top-level node of the tree that ends after `byte`: the one
/// that holds it, or else the first that starts after it. Every search for
/// the top-level node at an offset goes through here.
///
/// `Node::first_child_for_byte` alone is not enough: the grammar holds runs
/// of lines in hidden nodes, and when `byte` falls in such a node after its
/// last visible line (on the blank lines that end it), its search goes down
/// into that node, finds nothing there and gives up, as if the file had
/// nothing more. Then a binary search over the root's (visible) children
/// gives the answer.
pub fn first_top_level(root: Node<'_>, byte: usize) -> Option<Node<'_>> {
    if let Some(n) = root.first_child_for_byte(byte) {
        return Some(n);
    }
    let (mut lo, mut hi) = (0, root.child_count());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if root.child(mid).is_some_and(|n| n.end_byte() > byte) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    root.child(lo)
}

pub fn parse(text: &str, old: Option<&Tree>) -> Tree {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        // `parse` returns None only without a language, or after a timeout or
        // cancellation, none of which this parser is ever given.
        parser
            .parse(text, old)
            .expect("a parser with a language and no time limit always returns a tree")
    })
}

/// [`parse`], reading the text in pieces: `read(byte, point)` returns the
/// text from `byte` on (any amount; empty at the end).
pub fn parse_with<T: AsRef<[u8]>, F: FnMut(usize, tree_sitter::Point) -> T>(
    read: &mut F,
    old: Option<&Tree>,
) -> Tree {
    PARSER.with(|parser| {
        parser
            .borrow_mut()
            .parse_with_options(read, old, None)
            .expect("a parser with a language and no time limit always returns a tree")
    })
}

/// [`parse_with`], also counting the parser's steps (each shift, reduce,
/// reuse of a subtree and the like, as its log reports them): the work a
/// reparse did, for the tests that hold an edit's cost to the region it
/// touched. Logging slows parsing; the language server counts only when
/// asked to.
pub fn parse_with_counted<T: AsRef<[u8]>, F: FnMut(usize, tree_sitter::Point) -> T>(
    read: &mut F,
    old: Option<&Tree>,
) -> (Tree, usize) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let steps = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&steps);
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        parser.set_logger(Some(Box::new(move |kind, _| {
            if kind == tree_sitter::LogType::Parse {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })));
        let tree = parser.parse_with_options(read, old, None);
        parser.set_logger(None);
        let tree = tree.expect("a parser with a language and no time limit always returns a tree");
        (tree, steps.load(Ordering::Relaxed))
    })
}

/// A piece of text the grammar could not account for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the problem starts, as a byte offset into the text.
    pub start_byte: usize,
    /// Where it ends (exclusive). Equal to `start_byte` for something missing.
    pub end_byte: usize,
    /// What is wrong, e.g. "unexpected `)`" or "missing `)`".
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Every syntax error in `tree` (parsed from `text`), in text order: one per
/// outermost `ERROR` node (skipped text) and one per `MISSING` node (a token
/// the parser had to assume).
pub fn syntax_errors(tree: &Tree, text: &str) -> Vec<SyntaxError> {
    syntax_errors_in(tree.root_node(), text, 0)
}

/// The syntax errors inside `node`; `text` holds the file from byte `base`
/// on (offsets in the errors are file offsets).
pub fn syntax_errors_in(node: Node<'_>, text: &str, base: usize) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    if !node.has_error() {
        return errors;
    }
    // A walk with a cursor rather than recursion: nesting depth is unbounded.
    let mut cursor = node.walk();
    'walk: loop {
        let node = cursor.node();
        let report = if node.is_error() {
            Some(unexpected(node, text, base))
        } else if node.is_missing() {
            Some(missing(node))
        } else {
            None
        };
        let descend = report.is_none() && node.has_error();
        errors.extend(report);
        if descend && cursor.goto_first_child() {
            continue;
        }
        // Never past `node` itself: the cursor would walk on to its
        // siblings.
        loop {
            if cursor.depth() == 0 {
                break 'walk;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
        }
    }
    errors
}

/// The message for text the parser skipped.
fn unexpected(node: Node<'_>, text: &str, base: usize) -> SyntaxError {
    let skipped = text
        .get(node.start_byte() - base..node.end_byte() - base)
        .unwrap_or("");
    let skipped = skipped.trim();
    let message = if skipped.is_empty() {
        // The parser skipped a line break: the line ended too early.
        let after_position = node
            .prev_sibling()
            .is_some_and(|prev| prev.kind() == kind::POSITION);
        if after_position {
            "expected an opcode after the position".to_string()
        } else {
            "unexpected end of line".to_string()
        }
    } else if is_unterminated_string(node, skipped) {
        "unterminated string".to_string()
    } else {
        format!("unexpected `{}`", excerpt(skipped))
    };
    SyntaxError {
        start_byte: node.start_byte(),
        end_byte: node.end_byte(),
        message,
    }
}

/// Whether the skipped text opens a string that its line never closes. (A
/// complete string out of place is a `string` node inside the error.)
fn is_unterminated_string(node: Node<'_>, skipped: &str) -> bool {
    let quoted = skipped.strip_prefix(['b', 'B']).unwrap_or(skipped);
    let opens_string = quoted.starts_with(['\'', '"']);
    let first_is_string = node
        .child(0)
        .is_some_and(|child| child.kind() == kind::STRING);
    opens_string && !first_is_string
}

/// The first line of `skipped`, shortened if long.
fn excerpt(skipped: &str) -> String {
    const LIMIT: usize = 40;
    let line = skipped.lines().next().unwrap_or("").trim_end();
    let mut chars = line.chars();
    let mut out: String = chars.by_ref().take(LIMIT).collect();
    if chars.next().is_some() || line.len() < skipped.len() {
        out.push('…');
    }
    out
}

/// The message for a token the parser assumed.
fn missing(node: Node<'_>) -> SyntaxError {
    let what = match node.kind() {
        "_newline" => "end of line".to_string(),
        name if node.is_named() => name.replace('_', " "),
        token => format!("`{token}`"),
    };
    SyntaxError {
        start_byte: node.start_byte(),
        end_byte: node.end_byte(),
        message: format!("missing {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the line break that ends the lines before the first `.code`,
    /// tree-sitter's own search finds nothing (it goes down into the hidden
    /// node holding those lines and stops there); the `.code` line after
    /// it is the answer. Found by the `lsp_edits` fuzz target, where it
    /// made an edit's analysis lose every block.
    #[test]
    fn first_top_level_looks_past_the_end_of_a_hidden_run_of_lines() {
        let text = "# one\n#\n.code m\n    RESUME 0\n";
        let tree = parse(text, None);
        let root = tree.root_node();
        let at = text.find("#\n").unwrap() + 1;
        assert_eq!(
            root.first_child_for_byte(at),
            None,
            "tree-sitter now finds the node itself: this test no longer reaches the fallback"
        );
        let n = first_top_level(root, at).expect("the .code line");
        assert_eq!(n.start_byte(), text.find(".code").unwrap());
        // Past the last line there is nothing.
        assert_eq!(first_top_level(root, text.len()), None);
        // On a node, the node.
        assert_eq!(first_top_level(root, 0).map(|n| n.start_byte()), Some(0));
    }
}
