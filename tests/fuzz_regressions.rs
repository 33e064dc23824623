//! Every input the fuzz targets ever failed on, kept in
//! `fuzz/regressions/<target>/`, replayed through the same property the
//! target checks. A target that never failed has inputs made by hand at
//! the limits of what it reads (nesting and reference budgets, cut files,
//! edits inside a character), so no replay runs on nothing. They run on a thread with the stack pyasm's own work
//! threads get, as some nest as deep as marshal allows.

use std::path::Path;

mod common;

fn replay(target: &str, property: fn(&[u8]) -> Result<(), String>) {
    let dir = common::interp::root().join("fuzz/regressions").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !is_readme(p) && !is_hidden(p))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no inputs to replay", dir.display());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = pyasm::with_work_stack(|| property(&data));
        if let Err(e) = r {
            panic!("{}: {e}", f.display());
        }
    }
    println!("{target}: {} regression inputs pass", files.len());
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn is_readme(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == "README.md")
}

#[test]
fn pyc_reader() {
    replay("pyc_reader", pyasm::props::pyc_reader);
}

#[test]
fn pyc_roundtrip() {
    replay("pyc_roundtrip", pyasm::props::pyc_roundtrip);
}

#[test]
fn text() {
    replay("text", |data| {
        pyasm::props::text(&String::from_utf8_lossy(data))
    });
}

#[test]
fn lsp_edits() {
    replay("lsp_edits", pyasm::lsp::selfcheck::run_script);
}
