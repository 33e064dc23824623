//! Thousands of random edits through the language server's document (rope,
//! tree-sitter tree and incremental file analysis, positions in UTF-16 and
//! UTF-8), checked against a fresh parse and a fresh analysis of the text
//! they lead to: the same tree, the same diagnostics, the same text as the
//! edits make of a plain string. The comparisons are
//! `pyasm::lsp::selfcheck`'s, which the `lsp_edits` fuzz target and
//! `tests/props.rs` use too.

use pyasm::asm::Options;
use pyasm::lsp::document::{Document, Encoding, RopeSource};
use pyasm::lsp::selfcheck::{self, PIECES};
use pyasm::versions::Version;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

mod common;

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A random position: usually on a line of the text and inside it, some-
/// times past the end of a line or of the file (the server must clamp).
fn random_position(rng: &mut Rng, text: &str, enc: Encoding) -> Position {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = rng.below(lines.len() + 1);
    let len = lines
        .get(line)
        .map(|l| match enc {
            Encoding::Utf16 => utf16_len(l),
            Encoding::Utf8 => l.len(),
        })
        .unwrap_or(0);
    let character = if rng.below(20) == 0 {
        len + rng.below(5)
    } else {
        rng.below(len + 1)
    };
    Position::new(line as u32, character as u32)
}

fn check(doc: &Document, context: &str) {
    if let Err(e) = selfcheck::matches_fresh(doc, Version::V3_11, Options::default()) {
        panic!("{context}: {e}");
    }
}

fn run(seed: u64, base: &str, edits: usize, enc: Encoding) {
    run_with(seed, base, edits, enc, None);
}

/// `run`, the preamble and the blocks cut into pieces of `piece_nodes`
/// lines when given, and the stack analysis of blocks of 8 instructions
/// or more kept in sections of 2 (the fresh analysis it is checked against
/// keeps the usual sizes; debug builds also check each kept analysis
/// against a whole one).
fn run_with(seed: u64, base: &str, edits: usize, enc: Encoding, piece_nodes: Option<usize>) {
    let mut rng = Rng(seed);
    let mut doc = Document::new(base, 0, enc, Version::V3_11, Options::default());
    if let Some(n) = piece_nodes {
        doc.analysis.set_piece_nodes(n);
        doc.analysis.set_section_size(2);
        doc.analysis.check_blocks();
        doc.analysis.update(&doc.tree, &RopeSource(&doc.rope));
    }
    check(&doc, "after open");
    for k in 0..edits {
        let text = doc.text();
        // One to three changes per didChange, each against the text the
        // previous one left.
        let n = 1 + rng.below(3);
        let mut changes = Vec::new();
        let mut shadow = text.clone();
        for _ in 0..n {
            let a = random_position(&mut rng, &shadow, enc);
            let b = if rng.below(3) == 0 {
                a
            } else {
                random_position(&mut rng, &shadow, enc)
            };
            let (a, b) = if (a.line, a.character) <= (b.line, b.character) {
                (a, b)
            } else {
                (b, a)
            };
            let insert = if rng.below(4) == 0 {
                String::new()
            } else {
                PIECES[rng.below(PIECES.len())].to_string()
            };
            let c = TextDocumentContentChangeEvent {
                range: Some(Range::new(a, b)),
                range_length: None,
                text: insert,
            };
            // The same change on a plain string, so the next position is
            // drawn from the right text and the document's text can be
            // checked against it.
            selfcheck::reference_apply(&mut shadow, &c, enc);
            changes.push(c);
        }
        doc.apply(&changes, k as i32 + 1);
        assert_eq!(doc.text(), shadow, "text after edit {k} (seed {seed})");
        if k % 25 == 24 || k + 1 == edits || piece_nodes.is_some() {
            check(&doc, &format!("after edit {k} (seed {seed}, {enc:?})"));
        }
    }
    // Replacing the whole text is a change too.
    doc.apply(
        &[TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: base.to_string(),
        }],
        edits as i32 + 1,
    );
    check(&doc, "after replacing the whole text");
}

fn example(name: &str) -> String {
    std::fs::read_to_string(common::interp::root().join("examples").join(name)).unwrap()
}

#[test]
fn random_edits_utf16() {
    let mut total = 0;
    for (i, name) in [
        "3.11/class.pyasm",
        "3.11/try_except.pyasm",
        "3.12/generator.pyasm",
    ]
    .iter()
    .enumerate()
    {
        run(
            0x9E37_79B9 + i as u64,
            &example(name),
            1500,
            Encoding::Utf16,
        );
        total += 1500;
    }
    println!("{total} random edits (UTF-16) matched a fresh parse and analysis");
}

#[test]
fn random_edits_utf8() {
    let base = example("3.11/closure.pyasm");
    run(0xC0FF_EE11, &base, 1500, Encoding::Utf8);
    println!("1500 random edits (UTF-8) matched a fresh parse and analysis");
}

/// Many small blocks, so edits often join, split, create and delete blocks.
#[test]
fn random_edits_many_blocks() {
    let mut text = String::from(".python 3.11\n");
    for i in 0..30 {
        text.push_str(&format!(
            "\n.code b{i}\n1       RESUME 0\n        LOAD_CONST @b{}\n        POP_TOP\n        LOAD_CONST None\n        RETURN_VALUE\n",
            (i + 1) % 30
        ));
    }
    for seed in 0..4u64 {
        run(0x1234_5678 + seed, &text, 2000, Encoding::Utf16);
    }
    println!("8000 random edits over 30 blocks matched a fresh parse and analysis");
}

/// A long preamble in pieces of two or three lines: `.python` and `.pyc`
/// lines, labels and instructions outside any block, broken lines, and
/// blocks that edits make start inside it or end it.
#[test]
fn random_edits_in_a_preamble_of_pieces() {
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(match i % 8 {
            0 => "NOP\n",
            1 => "\n\n",
            2 => ".python 3.12\n",
            3 => "  lbl:  # c\n",
            4 => "LOAD_CONST (1, 2\n",
            5 => ".pyc mtime 1 size 2\n",
            6 => "    POP_TOP 3 ) ]\n",
            _ => ".python 3.11\n",
        });
    }
    text.push_str(".code module\n    LOAD_CONST None\n    RETURN_VALUE\n");
    for (seed, n) in [(1u64, 1usize), (2, 2), (3, 3), (4, 2)] {
        run_with(0xABCD_0000 + seed, &text, 1500, Encoding::Utf16, Some(n));
    }
    println!("6000 random edits in a preamble of pieces matched a fresh analysis");
}

/// Blocks in pieces of one to three lines, with what lowering carries
/// from one line to the next (positions, bare `EXTENDED_ARG` lines,
/// `.verbatim`, block fields set twice), a constant too long to share a
/// piece with other lines, and a block without positions (placed on the
/// file's rows): edits that touch cached pieces and edits beside them.
#[test]
fn random_edits_in_blocks_of_pieces() {
    let long: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
    let long = format!("({},)", long.join(", "));
    let mut text = String::from(
        ".python 3.11
",
    );
    for b in 0..4 {
        text.push_str(&format!(
            ".code b{b}
.argcount 0
"
        ));
        for i in 0..12 {
            text.push_str(&match i % 12 {
                0 => "1:0-1:5 RESUME 0
"
                .to_string(),
                1 => format!(
                    "        LOAD_CONST {long}
"
                ),
                2 => "        POP_TOP
"
                .to_string(),
                3 => "L1:
"
                .to_string(),
                4 => "3       EXTENDED_ARG
"
                .to_string(),
                5 => "        LOAD_CONST 7
"
                .to_string(),
                6 => ".stacksize 4
"
                .to_string(),
                7 => "        POP_TOP
"
                .to_string(),
                8 => ".consts 'a' (1, 2)
"
                .to_string(),
                9 => "        JUMP_BACKWARD L1
"
                .to_string(),
                10 => ".stacksize 9
"
                .to_string(),
                _ => "        LOAD_CONST None
        RETURN_VALUE
"
                .to_string(),
            });
        }
        if b == 2 {
            text.push_str(
                ".verbatim
        NOP
",
            );
        }
    }
    text.push_str(
        ".code plain
    LOAD_CONST None


    NOP
    RETURN_VALUE
",
    );
    for (seed, n) in [(1u64, 1usize), (2, 2), (3, 3)] {
        run_with(0xB10C_0000 + seed, &text, 700, Encoding::Utf16, Some(n));
    }
    println!("2100 random edits in blocks of pieces matched a fresh analysis");
}

/// An edit inside one block analyses that block again and no other.
#[test]
fn only_the_edited_block_is_analysed_again() {
    let mut text = String::from(".python 3.11\n");
    for i in 0..40 {
        text.push_str(&format!(
            "\n.code b{i}\n1       RESUME 0\n        LOAD_CONST {i}\n        POP_TOP\n        LOAD_CONST @b{}\n        RETURN_VALUE\n",
            (i + 1) % 40
        ));
    }
    let mut doc = Document::new(
        &text,
        0,
        Encoding::Utf16,
        Version::V3_11,
        Options::default(),
    );
    assert_eq!(
        doc.analysis.reanalysed, 41,
        "the preamble and 40 blocks at open"
    );
    // Line of `LOAD_CONST 17` in block b17.
    let line = text
        .lines()
        .position(|l| l.ends_with("LOAD_CONST 17"))
        .unwrap() as u32;
    let at = Position::new(line, 19);
    let edit = |t: &str, a: Position, b: Position| TextDocumentContentChangeEvent {
        range: Some(Range::new(a, b)),
        range_length: None,
        text: t.to_string(),
    };
    doc.apply(&[edit("5", at, at)], 1);
    assert_eq!(doc.analysis.reanalysed, 1);
    doc.apply(&[edit("", at, Position::new(line, 20))], 2);
    assert_eq!(doc.analysis.reanalysed, 1);
    check(&doc, "after the two edits");
    // A broken operand: one block again, and its error shows.
    doc.apply(&[edit("(", at, at)], 3);
    assert_eq!(doc.analysis.reanalysed, 1);
    assert!(doc
        .analysis
        .diagnostics()
        .iter()
        .any(|d| d.code == "syntax"));
    println!("one edit, one block analysed again (of 40)");
}

/// Types a short text at a random place of `text` and takes it out again,
/// 300 times, with the analyses kept in sections of two instructions,
/// each state checked against a fresh analysis. The block stays near the
/// valid one, so most sections are found kept, from both states of their
/// entry; the debug build checks each result against a walk of the whole
/// block. A line typed at the start of another moves every instruction
/// after it.
/// Replaces `range` of `doc` with `text`, as version `version`.
fn replace(doc: &mut Document, range: Range, text: &str, version: i32) {
    doc.apply(
        &[TextDocumentContentChangeEvent {
            range: Some(range),
            range_length: None,
            text: text.into(),
        }],
        version,
    );
}

fn typing_and_undoing(text: &str, seed: u64) {
    let typed = ["x", " ", "1", "#", "L1", "POP_TOP", "(", "'", "    NOP\n"];
    let mut rng = Rng(seed);
    let mut doc = Document::new(text, 0, Encoding::Utf16, Version::V3_11, Options::default());
    doc.analysis.set_section_size(2);
    doc.analysis.update(&doc.tree, &RopeSource(&doc.rope));
    check(&doc, "after open");
    let lines: Vec<&str> = text.lines().collect();
    let mut version = 0;
    for k in 0..300 {
        let line = rng.below(lines.len());
        let t = typed[rng.below(typed.len())];
        let column = match t.ends_with('\n') {
            true => 0,
            false => rng.below(lines[line].len() + 1),
        };
        let at = Position::new(line as u32, column as u32);
        let end = match t.strip_suffix('\n') {
            Some(_) => Position::new(at.line + 1, 0),
            None => Position::new(at.line, at.character + t.len() as u32),
        };
        for (range, insert) in [(Range::new(at, at), t), (Range::new(at, end), "")] {
            version += 1;
            replace(&mut doc, range, insert, version);
            check(&doc, &format!("edit {k}: {insert:?} at {at:?}"));
        }
        assert_eq!(doc.text(), text, "edit {k} undone");
    }
}

/// A module block of loops, `try` statements (one with a `finally`) and a
/// `with`, as CPython 3.11 compiles them, typed into and mended (see
/// [`typing_and_undoing`]).
#[test]
fn typing_and_undoing_in_a_block_whose_stack_analysis_is_kept_by_section() {
    typing_and_undoing(include_str!("data/sections_base.pyasm"), 0x5EC7_0001);
}

/// A function whose locals hold values made before the sections that read
/// them (the loop variables, a nested function called later), whose
/// identities the kinds analysis' kept sections carry across moves.
#[test]
fn typing_and_undoing_in_a_function_whose_analyses_are_kept_by_section() {
    typing_and_undoing(include_str!("data/sections_function.pyasm"), 0x5EC7_0002);
}

/// Calls with keyword arguments: the kinds analysis reads a KW_NAMES two
/// instructions before its call, and cuts between sections fall between
/// them, so what a kept walk of a section depends on reaches into the one
/// before it.
#[test]
fn typing_and_undoing_in_calls_whose_keyword_names_are_in_the_section_before() {
    let text = include_str!("data/sections_keywords.pyasm");
    typing_and_undoing(text, 0x5EC7_0003);
    // Each KW_NAMES taken out (a `# ` before it) and put back, in sections
    // of one and two instructions: the call after it is entered in the
    // same state either way (KW_NAMES moves nothing on the stack), so only
    // the instructions before a section, in its key, tell its two walks
    // apart.
    for size in [1, 2] {
        let mut doc = Document::new(text, 0, Encoding::Utf16, Version::V3_11, Options::default());
        doc.analysis.set_section_size(size);
        doc.analysis.update(&doc.tree, &RopeSource(&doc.rope));
        let mut version = 0;
        for (line, l) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.split_whitespace().any(|w| w == "KW_NAMES"))
        {
            let at = Position::new(line as u32, 0);
            let after = Position::new(line as u32, 2);
            for (range, insert) in [(Range::new(at, at), "# "), (Range::new(at, after), "")] {
                version += 1;
                replace(&mut doc, range, insert, version);
                check(
                    &doc,
                    &format!("sections of {size}: {insert:?} before {l:?}"),
                );
            }
        }
    }
}
