//! The work an edit causes is bounded by the edited region, whatever the
//! size of the rest of the file (issue 19, F9): counted, not timed, as
//! the parser's steps in the reparse and the bytes of text the analysis
//! lowered again. Each input is made at two sizes; one edit in it must
//! cost the same at both (the parser's steps vary a little with the shape
//! of the balanced trees that hold long runs of lines, so they are held
//! under a bound).
//!
//! Also counted: the bytes the edit allocated (on the heap, by Rust code;
//! tree-sitter's C runtime allocates through its own `malloc` here), which
//! copying or rebuilding anything of the file's size would show. The
//! assembler and the verifier still pass over the whole edited block (see
//! docs/ARCHITECTURE.md, "Cost of an edit"), so the big block's figure is
//! printed, not bounded.

use pyasm::asm::Options;
use pyasm::lsp::document::{Document, Encoding};
use pyasm::versions::Version;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

/// Counts the bytes each thread asks the heap for, then lets the system
/// allocator serve them.
struct Counting;

thread_local! {
    static ALLOCATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn count(bytes: usize) {
    // Not during the thread's teardown, when its locals are gone.
    let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(bytes)));
}

// SAFETY: every call is passed to the system allocator unchanged; the
// counter is a plain thread-local cell, which allocates nothing.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(layout.size());
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(layout.size());
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        count(new.saturating_sub(layout.size()));
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocated() -> usize {
    ALLOCATED.with(|a| a.get())
}

const MODULE: &str = ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n";

/// Many empty lines before the first `.code`.
fn empty_lines(n: usize) -> String {
    format!("{}{MODULE}", "\n".repeat(n))
}

/// `n` instructions and no `.code` at all.
fn no_block(n: usize) -> String {
    "    NOP\n".repeat(n)
}

/// One block whose second line is a tuple of `n` numbers, and whose third
/// line has a comment: typed into, the block stays one that builds.
fn huge_constant(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!(
        ".code module\n    LOAD_CONST ({},)\n    POP_TOP  # a\n    LOAD_CONST None\n    RETURN_VALUE\n",
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

/// What typing `x` at `line`:`character` cost.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Work {
    parser_steps: usize,
    bytes_lowered: usize,
    bytes_allocated: usize,
}

/// The cost of typing `x` at `line`:`character`.
fn work(text: &str, line: u32, character: u32) -> Work {
    let mut doc = Document::new(text, 0, Encoding::Utf16, Version::V3_11, Options::default());
    doc.count_parse_steps = true;
    let at = Position::new(line, character);
    let change = TextDocumentContentChangeEvent {
        range: Some(Range::new(at, at)),
        range_length: None,
        text: "x".into(),
    };
    let before = allocated();
    doc.apply(&[change], 1);
    let bytes_allocated = allocated() - before;
    Work {
        parser_steps: doc.parse_steps,
        bytes_lowered: doc.analysis.lowered_bytes,
        bytes_allocated,
    }
}

/// The work at size `n` and `2n`, edited at the same place relative to the
/// file (its middle line, or a fixed line).
fn at_two_sizes(make: fn(usize) -> String, n: usize, place: fn(usize) -> (u32, u32)) -> [Work; 2] {
    [n, 2 * n].map(|n| {
        let (l, c) = place(n);
        work(&make(n), l, c)
    })
}

/// Parser steps or bytes lowered an edit may cost whatever the file: a few
/// hundred lines around it.
const BOUND: usize = 20_000;

/// Bytes an edit may allocate whatever the file: the lines around it
/// lowered and assembled again, and the diagnostics. (Copying the files
/// here once would take several megabytes.)
const ALLOC_BOUND: usize = 1 << 20;

fn print_work(what: &str, w: &[Work; 2]) {
    println!(
        "{what}: (parser steps, bytes lowered, bytes allocated) at n and 2n: {:?}",
        w.map(|w| (w.parser_steps, w.bytes_lowered, w.bytes_allocated))
    );
}

fn assert_bounded(what: &str, w: [Work; 2], allocation_bounded: bool) {
    print_work(what, &w);
    for x in w {
        assert!(
            x.parser_steps <= BOUND && x.bytes_lowered <= BOUND,
            "{what}: {w:?} exceeds {BOUND}"
        );
        assert!(
            !allocation_bounded || x.bytes_allocated <= ALLOC_BOUND,
            "{what}: an edit allocated {} bytes, more than {ALLOC_BOUND}: {w:?}",
            x.bytes_allocated
        );
    }
    assert_eq!(
        w[0].bytes_lowered, w[1].bytes_lowered,
        "{what}: lowering grew with the file: {w:?}"
    );
}

#[test]
fn an_edit_among_many_empty_lines_costs_the_same_at_any_size() {
    assert_bounded(
        "empty lines",
        at_two_sizes(empty_lines, 100_000, |n| ((n / 2) as u32, 0)),
        true,
    );
}

#[test]
fn an_edit_among_many_lines_outside_blocks_costs_the_same_at_any_size() {
    assert_bounded(
        "no block",
        at_two_sizes(no_block, 50_000, |n| ((n / 2) as u32, 4)),
        true,
    );
}

#[test]
fn an_edit_beside_a_huge_constant_costs_the_same_at_any_size() {
    // Typed into the comment on the line after the constant's, and into
    // `POP_TOP` (a block that has an error is not built).
    assert_bounded(
        "huge constant",
        at_two_sizes(huge_constant, 100_000, |_| (2, 15)),
        true,
    );
    assert_bounded(
        "huge constant, an error",
        at_two_sizes(huge_constant, 100_000, |_| (2, 4)),
        true,
    );
}

#[test]
fn an_edit_in_a_block_of_many_instructions_costs_the_same_at_any_size() {
    assert_bounded(
        "big block",
        at_two_sizes(big_block, 50_000, |n| ((n / 2) as u32, 4)),
        false,
    );
}

/// The block a request reads (hover, completion, inlay hints) after an
/// edit beside a huge constant: put together from the pieces the edit
/// left, sharing the constant, not lowered again from the text.
#[test]
fn a_request_after_an_edit_beside_a_huge_constant_costs_the_same_at_any_size() {
    let bytes = [100_000, 200_000].map(|n| {
        let mut doc = Document::new(
            &huge_constant(n),
            0,
            Encoding::Utf16,
            Version::V3_11,
            Options::default(),
        );
        let at = Position::new(2, 15);
        doc.apply(
            &[TextDocumentContentChangeEvent {
                range: Some(Range::new(at, at)),
                range_length: None,
                text: "x".into(),
            }],
            1,
        );
        let before = allocated();
        let block = doc.block(&doc.analysis.segments[1]);
        let after = allocated() - before;
        assert!(block.is_some_and(|b| b.body.len() == 4));
        after
    });
    println!("block for a request beside a huge constant: bytes allocated at n and 2n: {bytes:?}");
    for b in bytes {
        assert!(b <= ALLOC_BOUND, "{bytes:?}");
    }
}

/// Typing into a block of many instructions, the stack and kinds analyses
/// walk the section that holds the edit again, not the whole block (issue
/// 19, F9): what they found after a line is kept by section, each for the
/// state its entry was in (a broken line makes the depths after it
/// guesses, so typing a line and mending it walks each section after it
/// from both states once; after that, only the edited one). The kinds
/// analysis does not go past a broken line, and finds the sections after
/// it as it left them.
#[test]
fn typing_into_a_block_of_many_instructions_walks_the_analyses_over_one_section() {
    let edit = |doc: &mut Document, at: Position, text: &str, version: i32| {
        let end = if text.is_empty() {
            Position::new(at.line, at.character + 1)
        } else {
            at
        };
        doc.apply(
            &[TextDocumentContentChangeEvent {
                range: Some(Range::new(at, end)),
                range_length: None,
                text: text.into(),
            }],
            version,
        );
        (doc.analysis.stack_walked, doc.analysis.kinds_walked)
    };
    // Each section unlike the others (alike ones are walked once).
    let block = |n: usize| {
        let lines: String = (0..n / 2)
            .map(|i| format!("    LOAD_CONST {i}\n    POP_TOP\n"))
            .collect();
        format!(".code module\n{lines}    LOAD_CONST None\n    RETURN_VALUE\n")
    };
    let walked = [50_000, 100_000].map(|n| {
        let mut doc = Document::new(
            &block(n),
            0,
            Encoding::Utf16,
            Version::V3_11,
            Options::default(),
        );
        let opened = (doc.analysis.stack_walked, doc.analysis.kinds_walked);
        let at = Position::new((n / 2) as u32, 4);
        // Broken, mended, broken, mended.
        let typed = [
            edit(&mut doc, at, "x", 1),
            edit(&mut doc, at, "", 2),
            edit(&mut doc, at, "x", 3),
            edit(&mut doc, at, "", 4),
        ];
        (opened, typed)
    });
    println!("big block: instructions the (stack, kinds) analyses walked (on opening, then per edit) at n and 2n: {walked:?}");
    let section = pyasm::analysis::stack::SECTION;
    for (n, (opened, typed)) in [50_000, 100_000].into_iter().zip(walked) {
        // Opened: every instruction, once.
        assert_eq!(opened, (n + 2, n + 2));
        // Broken first: the section and every one after it, from a guess.
        assert!(typed[0].0 > n / 2, "{typed:?}");
        // Then one section, wherever the edit is in however large a block.
        for w in &typed[1..] {
            assert!(w.0 <= 2 * section, "{typed:?}");
        }
        for w in &typed {
            assert!(w.1 <= 2 * section, "{typed:?}");
        }
    }
}

/// The same in a function whose instructions store and read its locals:
/// the definite-assignment pass, and the kinds analysis with locals to
/// follow, walk one section per edit too.
#[test]
fn typing_into_a_function_of_many_instructions_walks_its_analyses_over_one_section() {
    let n = 100_000;
    let lines: String = (0..n / 4)
        .map(|i| {
            format!("    LOAD_CONST {i}\n    STORE_FAST b\n    LOAD_FAST b\n    STORE_FAST c\n")
        })
        .collect();
    let text = format!(
        ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n.code f\n    .argcount 1\n    .var a\n    .var b\n    .var c\n    RESUME 0\n{lines}    LOAD_FAST c\n    RETURN_VALUE\n"
    );
    let mut doc = Document::new(
        &text,
        0,
        Encoding::Utf16,
        Version::V3_11,
        Options::default(),
    );
    let walked = |doc: &Document| {
        let a = &doc.analysis;
        (a.stack_walked, a.kinds_walked, a.locals_walked)
    };
    let opened = walked(&doc);
    // A STORE_FAST line (breaking a LOAD_CONST would number every later
    // constant anew).
    let at = Position::new(10 + (n / 2) as u32, 4);
    let mut typed = Vec::new();
    for (k, t) in ["x", "", "x", ""].into_iter().enumerate() {
        let end = match t {
            "" => Position::new(at.line, at.character + 1),
            _ => at,
        };
        doc.apply(
            &[TextDocumentContentChangeEvent {
                range: Some(Range::new(at, end)),
                range_length: None,
                text: t.into(),
            }],
            k as i32 + 1,
        );
        typed.push(walked(&doc));
    }
    println!("big function: instructions the (stack, kinds, definite-assignment) analyses walked, on opening then per edit: {opened:?} {typed:?}");
    // The module's two instructions; RESUME, the lines and the two that
    // end the function.
    assert_eq!(opened, (n + 5, n + 5, n + 5));
    let section = pyasm::analysis::stack::SECTION;
    for w in &typed[1..] {
        assert!(w.0 <= 2 * section, "{typed:?}");
    }
    for w in &typed {
        assert!(w.1 <= 2 * section && w.2 <= 2 * section, "{typed:?}");
    }
}
