//! The properties of the fuzz targets in `fuzz/`, on a bounded number of
//! generated inputs, so that a plain `cargo test` checks them too (the fuzz
//! targets run them for longer, with coverage guidance, in
//! `fuzz/run.sh`). Each property is the library's own
//! (`pyasm::props`, `pyasm::lsp::selfcheck`); this file only makes inputs:
//! arbitrary bytes and text, and real `.pyc` files and `.pyasm` texts
//! (the examples) with random damage done to them.
//!
//! `PYASM_PROPTEST_CASES` sets the number of cases per property (default
//! 256).

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use pyasm::lsp::selfcheck::PIECES;

mod common;

fn config() -> Config {
    let cases = std::env::var("PYASM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        // A failing input is printed; fixed ones are kept as files in
        // fuzz/regressions/ (tests/fuzz_regressions.rs), not here.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

/// Every example of every version, as text.
fn examples() -> Vec<String> {
    let root = common::interp::root().join("examples");
    let mut out = Vec::new();
    // Every version with examples (3.7-3.10 have none yet, issue 22).
    for v in pyasm::versions::Version::ALL {
        let Ok(dir) = std::fs::read_dir(root.join(v.as_str())) else {
            continue;
        };
        let mut names: Vec<_> = dir
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pyasm"))
            .collect();
        names.sort();
        out.extend(names.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    out
}

/// Every example built.
fn example_pycs() -> Vec<Vec<u8>> {
    examples()
        .iter()
        .map(|t| {
            pyasm::assemble(t, &Default::default())
                .pyc
                .expect("the examples build")
        })
        .collect()
}

/// Damage done to bytes: each step picks a place by fraction of the
/// length, then overwrites, flips, deletes or inserts there, or truncates.
#[derive(Clone, Debug)]
enum Damage {
    Set(f64, u8),
    Flip(f64, u8),
    Delete(f64, usize),
    Insert(f64, Vec<u8>),
    Truncate(f64),
}

fn damage() -> impl Strategy<Value = Damage> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Damage::Set(a, b)),
        (at.clone(), 0..8u8).prop_map(|(a, b)| Damage::Flip(a, 1 << b)),
        (at.clone(), 1..8usize).prop_map(|(a, n)| Damage::Delete(a, n)),
        (at.clone(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(a, b)| Damage::Insert(a, b)),
        at.prop_map(Damage::Truncate),
    ]
}

fn apply(mut data: Vec<u8>, steps: &[Damage]) -> Vec<u8> {
    let place = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    for s in steps {
        let len = data.len();
        match s {
            Damage::Set(f, b) if len > 0 => {
                let i = place(*f, len - 1);
                data[i] = *b;
            }
            Damage::Flip(f, b) if len > 0 => {
                let i = place(*f, len - 1);
                data[i] ^= b;
            }
            Damage::Delete(f, n) => {
                let i = place(*f, len);
                data.drain(i..(i + n).min(len));
            }
            Damage::Insert(f, b) => {
                let i = place(*f, len);
                data.splice(i..i, b.iter().copied());
            }
            Damage::Truncate(f) => data.truncate(place(*f, len)),
            _ => {}
        }
    }
    data
}

/// An example `.pyc` with one to four steps of damage.
fn damaged_pyc() -> impl Strategy<Value = Vec<u8>> {
    let pycs = example_pycs();
    (0..pycs.len(), prop::collection::vec(damage(), 1..4))
        .prop_map(move |(k, steps)| apply(pycs[k].clone(), &steps))
}

/// An edit of a text: a place, how much to delete there, and a piece to
/// insert (a piece of the edit scripts', or arbitrary text).
fn text_edit() -> impl Strategy<Value = (f64, usize, String)> {
    (
        0.0..1.0f64,
        0..12usize,
        prop_oneof![
            (0..PIECES.len()).prop_map(|i| PIECES[i].to_string()),
            "\\PC{0,6}",
        ],
    )
}

/// An example's text with one to six edits.
fn damaged_text() -> impl Strategy<Value = String> {
    let texts = examples();
    (0..texts.len(), prop::collection::vec(text_edit(), 1..6)).prop_map(move |(k, edits)| {
        let mut t = texts[k].clone();
        for (f, del, ins) in edits {
            let mut a = ((f * t.len() as f64) as usize).min(t.len());
            while !t.is_char_boundary(a) {
                a -= 1;
            }
            let mut b = (a + del).min(t.len());
            while !t.is_char_boundary(b) {
                b -= 1;
            }
            t.replace_range(a..b, &ins);
        }
        t
    })
}

fn check(r: Result<(), String>) -> Result<(), TestCaseError> {
    r.map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn pyc_reader_on_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..300)) {
        check(pyasm::props::pyc_reader(&data))?;
    }

    #[test]
    fn pyc_reader_on_damaged_pycs(data in damaged_pyc()) {
        check(pyasm::props::pyc_reader(&data))?;
    }

    #[test]
    fn pyc_roundtrip_on_damaged_pycs(data in damaged_pyc()) {
        check(pyasm::props::pyc_roundtrip(&data))?;
    }

    #[test]
    fn text_on_arbitrary_text(text in "\\PC{0,200}") {
        check(pyasm::props::text(&text))?;
    }

    #[test]
    fn text_on_damaged_examples(text in damaged_text()) {
        check(pyasm::props::text(&text))?;
    }

    #[test]
    fn lsp_document_on_edit_scripts(data in prop::collection::vec(any::<u8>(), 0..120)) {
        check(pyasm::lsp::selfcheck::run_script(&data))?;
    }
}

/// The undamaged inputs satisfy the properties too (and the round trip
/// holds for each example exactly).
#[test]
fn undamaged_inputs() {
    for pyc in example_pycs() {
        pyasm::props::pyc_reader(&pyc).unwrap();
        pyasm::props::pyc_roundtrip(&pyc).unwrap();
    }
    for text in examples() {
        pyasm::props::text(&text).unwrap();
    }
}
