//! The work an edit causes is bounded by the edited region, whatever the
//! size of the rest of the file (issue 19, F9): counted, not timed, as
//! the parser's steps in the reparse and the bytes of text the analysis
//! lowered again. Each input is made at two sizes; one edit in it must
//! cost the same at both (the parser's steps vary a little with the shape
//! of the balanced trees that hold long runs of lines, so they are held
//! under a bound).
//!
//! Counted here is lowering: the assembler and the verifier still pass
//! over the whole edited block (see docs/ARCHITECTURE.md, "Cost of an
//! edit").

use pyasm::asm::Options;
use pyasm::lsp::document::{Document, Encoding};
use pyasm::versions::Version;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

const MODULE: &str = ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n";

/// Many empty lines before the first `.code`.
fn empty_lines(n: usize) -> String {
    format!("{}{MODULE}", "\n".repeat(n))
}

/// `n` instructions and no `.code` at all.
fn no_block(n: usize) -> String {
    "    NOP\n".repeat(n)
}

/// One block whose second line is a tuple of `n` numbers.
fn huge_constant(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!(
        ".code module\n    LOAD_CONST ({},)\n    POP_TOP\n    LOAD_CONST None\n    RETURN_VALUE\n",
        items.join(", ")
    )
}

/// One block of `n` instructions.
fn big_block(n: usize) -> String {
    format!(
        ".code module\n{}    LOAD_CONST None\n    RETURN_VALUE\n",
        "    NOP\n".repeat(n)
    )
}

/// (parser steps, bytes lowered) by typing `x` at `line`:`character`.
fn work(text: &str, line: u32, character: u32) -> (usize, usize) {
    let mut doc = Document::new(text, 0, Encoding::Utf16, Version::V3_11, Options::default());
    doc.count_parse_steps = true;
    let at = Position::new(line, character);
    let change = TextDocumentContentChangeEvent {
        range: Some(Range::new(at, at)),
        range_length: None,
        text: "x".into(),
    };
    doc.apply(&[change], 1);
    (doc.parse_steps, doc.analysis.lowered_bytes)
}

/// The work at size `n` and `2n`, edited at the same place relative to the
/// file (its middle line, or a fixed line).
fn at_two_sizes(
    make: fn(usize) -> String,
    n: usize,
    place: fn(usize) -> (u32, u32),
) -> [(usize, usize); 2] {
    [n, 2 * n].map(|n| {
        let (l, c) = place(n);
        work(&make(n), l, c)
    })
}

/// Parser steps or bytes lowered an edit may cost whatever the file: a few
/// hundred lines around it.
const BOUND: usize = 20_000;

fn assert_bounded(what: &str, w: [(usize, usize); 2]) {
    println!("{what}: (parser steps, bytes lowered) at n and 2n: {w:?}");
    for (parsed, lowered) in w {
        assert!(
            parsed <= BOUND && lowered <= BOUND,
            "{what}: {w:?} exceeds {BOUND}"
        );
    }
    assert_eq!(w[0].1, w[1].1, "{what}: lowering grew with the file: {w:?}");
}

#[test]
fn an_edit_among_many_empty_lines_costs_the_same_at_any_size() {
    assert_bounded(
        "empty lines",
        at_two_sizes(empty_lines, 100_000, |n| ((n / 2) as u32, 0)),
    );
}

#[test]
fn an_edit_among_many_lines_outside_blocks_costs_the_same_at_any_size() {
    assert_bounded(
        "no block",
        at_two_sizes(no_block, 50_000, |n| ((n / 2) as u32, 4)),
    );
}

#[test]
fn an_edit_beside_a_huge_constant_costs_the_same_at_any_size() {
    // Typed into `POP_TOP`, the line after the constant's.
    assert_bounded(
        "huge constant",
        at_two_sizes(huge_constant, 100_000, |_| (2, 4)),
    );
}

#[test]
fn an_edit_in_a_block_of_many_instructions_costs_the_same_at_any_size() {
    assert_bounded(
        "big block",
        at_two_sizes(big_block, 50_000, |n| ((n / 2) as u32, 4)),
    );
}
