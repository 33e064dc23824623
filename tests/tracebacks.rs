//! Tracebacks point into the `.pyasm` file: a block written without
//! positions is placed on the file's own lines, and the module's
//! `co_filename` is the path `pyasm build` was given. Checked in every
//! version's real interpreter, on a program whose function raises.

mod common;

use common::interp::{py_script, pyasm};
use pyasm::versions::Version;

/// A module that calls `boom`, which divides by zero; no positions, no
/// `.filename`. The call sequence and `MAKE_FUNCTION`'s operand as the
/// version's table and spec say.
fn program(v: Version) -> String {
    let table = v.table();
    let spec = table.spec;
    let make = if table.by_name("MAKE_FUNCTION").unwrap().has_arg() {
        "MAKE_FUNCTION 0"
    } else {
        "MAKE_FUNCTION"
    };
    let call = if spec.args_at_precall {
        "PUSH_NULL\n        LOAD_NAME boom\n        PRECALL 0\n        CALL 0"
    } else if spec.null_above_callable {
        "LOAD_NAME boom\n        PUSH_NULL\n        CALL 0"
    } else {
        "PUSH_NULL\n        LOAD_NAME boom\n        CALL 0"
    };
    format!(
        "# boom() divides by zero.\n.python {v}\n\n.code module\n        RESUME 0\n        \
         LOAD_CONST @boom\n        {make}\n        STORE_NAME boom\n        {call}\n        \
         RETURN_VALUE\n\n.code boom\n        RESUME 0\n        LOAD_CONST 1\n        \
         LOAD_CONST 0\n        BINARY_OP /\n        RETURN_VALUE\n"
    )
}

/// The 1-based line of the first line of `text` that is `what`, indented.
/// `text` built as the file at `path`, as `default` where it names no
/// version.
fn assemble_as(text: &str, path: &str, default: Version) -> pyasm::Assembly {
    pyasm::assemble(
        text,
        &pyasm::TextOptions {
            path: Some(path),
            default_version: default,
            build: Default::default(),
        },
    )
}

fn line_of(text: &str, what: &str) -> usize {
    text.lines().position(|l| l.trim() == what).unwrap() + 1
}

#[test]
fn a_traceback_names_the_pyasm_file_and_the_line_that_raised() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    // The versions whose line table pyasm encodes (3.7-3.10's are issue
    // 22's other half, `code/linetable.rs`).
    let encoded = Version::ALL
        .iter()
        .filter(|v| v.table().line_table == pyasm::versions::LineTable::Locations);
    for &v in encoded {
        let text = program(v);
        let name = format!("boom_{}.pyasm", v.as_str().replace('.', "_"));
        // The path as given on the command line, relative to where
        // `pyasm build` runs.
        let given = format!("sub/{name}");
        std::fs::write(dir.path().join(&given), &text).unwrap();
        let out = pyasm()
            .current_dir(dir.path())
            .args(["build", &given, "-o", "boom.pyc"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{v}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pyc = dir.path().join("boom.pyc");
        let run = py_script(v.as_str(), "run_pyc.py", &[&pyc])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{v}: boom() did not raise");
        assert!(stderr.contains("ZeroDivisionError"), "{v}: {stderr}");
        let call = format!(
            "File \"{given}\", line {}, in <module>",
            line_of(&text, "CALL 0")
        );
        let raise = format!(
            "File \"{given}\", line {}, in boom",
            line_of(&text, "BINARY_OP /")
        );
        assert!(stderr.contains(&call), "{v}: no `{call}` in\n{stderr}");
        assert!(stderr.contains(&raise), "{v}: no `{raise}` in\n{stderr}");
        // The listing pins the positions and the filename: built again
        // from elsewhere, it gives the same bytes.
        let listing = pyasm::disassemble_pyc(&std::fs::read(&pyc).unwrap())
            .unwrap()
            .text;
        assert!(
            listing.contains(&format!(".filename '{given}'")),
            "{listing}"
        );
        let again = assemble_as(&listing, "elsewhere.pyasm", Version::V3_11);
        assert_eq!(
            again.pyc.as_deref(),
            Some(&std::fs::read(&pyc).unwrap()[..]),
            "{v}: {:?}",
            again.diags
        );
    }
}

#[test]
fn the_filename_directive_wins_over_the_path() {
    let text = program(Version::V3_12)
        .replace(".code module\n", ".code module\n    .filename 'boom.py'\n");
    let built = assemble_as(&text, "sub/boom.pyasm", Version::V3_12);
    let code = built.code.unwrap();
    assert_eq!(code.filename.as_str(), Some("boom.py"));
    let pyasm::code::Obj::Code(boom) = &code.consts[0] else {
        panic!("{:?}", code.consts);
    };
    // The other blocks take the module's.
    assert_eq!(boom.filename.as_str(), Some("boom.py"));
    // Without a path and without `.filename`: `''`, as before.
    let built = pyasm::assemble(&program(Version::V3_12), &Default::default());
    assert_eq!(built.code.unwrap().filename.as_str(), Some(""));
}

#[test]
fn positions_written_anywhere_in_a_block_keep_it_off_the_file_lines() {
    // One position on the second instruction: the first has none, as
    // before, and nothing is taken from the file's lines.
    let text = program(Version::V3_12).replace(
        ".code boom\n        RESUME 0\n        LOAD_CONST 1\n",
        ".code boom\n        RESUME 0\n7       LOAD_CONST 1\n",
    );
    let built = assemble_as(&text, "b.pyasm", Version::V3_12);
    let listing = pyasm::disassemble_pyc(&built.pyc.unwrap()).unwrap().text;
    let boom = &listing[listing.find(".code boom").unwrap()..];
    assert!(
        boom.contains("\n            RESUME 0\n7           LOAD_CONST 1\n"),
        "{boom}"
    );
    // And the module's block, written without positions, is on its lines.
    assert!(
        listing.contains(&format!("\n{:<12}RESUME 0\n", line_of(&text, "RESUME 0"))),
        "{listing}"
    );
}

#[test]
fn a_block_without_any_position_is_listed_with_a_dash() {
    // `-` on the first line: the block has a position field, so it keeps
    // "no position" for every instruction instead of the file's lines.
    let text = program(Version::V3_12).replace(
        ".code boom\n        RESUME 0\n",
        ".code boom\n-       RESUME 0\n",
    );
    let built = assemble_as(&text, "b.pyasm", Version::V3_12);
    let pyc = built.pyc.unwrap();
    let listing = pyasm::disassemble_pyc(&pyc).unwrap().text;
    let boom = &listing[listing.find(".code boom").unwrap()..];
    assert!(
        boom.contains("\n-           RESUME 0\n            LOAD_CONST 1\n"),
        "{boom}"
    );
    // Which reads back to the same bytes, from any path.
    let again = assemble_as(&listing, "other.pyasm", Version::V3_11);
    assert_eq!(again.pyc.as_deref(), Some(&pyc[..]), "{:?}", again.diags);
}
