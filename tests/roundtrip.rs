//! The exact round trip, for every version, checked in that version's real
//! interpreter: the interpreter compiles a corpus, `pyasm dis` turns the .pyc
//! files into text, `pyasm build` turns the text back into .pyc files, and
//! the interpreter compares the code objects field by field and by marshal
//! bytes (`tests/py/compare_pyc.py`).
//!
//! Corpora: the CPython 3.11 standard library sources, tests included,
//! compiled by each version; and for 3.12 to 3.15 also the version's own
//! standard library (from pyodide's python_stdlib.zip).

mod common;

use common::interp::{identical, py_script, pyasm, run, stdlib_311};
use std::path::Path;

fn round_trip(version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let mut corpora = vec![("cpython311", stdlib_311(), 1500)];
    if version != "3.11" {
        corpora.insert(0, ("own", "STDLIB".to_string(), 400));
    }
    let mut failures = Vec::new();
    for (name, src, at_least) in corpora {
        let orig = tmp.path().join(format!("{name}-orig"));
        let text = tmp.path().join(format!("{name}-text"));
        let rebuilt = tmp.path().join(format!("{name}-rebuilt"));
        let compiled = run(&mut py_script(
            version,
            "compile_tree.py",
            &[
                Path::new(&src),
                &orig,
                Path::new("--exclude"),
                Path::new("site-packages"),
            ],
        ));
        run(pyasm().arg("dis").arg(&orig).arg("-o").arg(&text));
        run(pyasm().arg("build").arg(&text).arg("-o").arg(&rebuilt));
        let out = py_script(version, "compare_pyc.py", &[&orig, &rebuilt])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let (n, m) = identical(&report);
        println!(
            "{version} {name}: {} -> identical {n}/{m}",
            compiled.lines().last().unwrap_or("").trim()
        );
        if n != m || m < at_least {
            let head: String = report.lines().take(10).collect::<Vec<_>>().join("\n");
            failures.push(format!("{version} {name}: identical {n}/{m}\n{head}"));
        }
        // The text names its version.
        let any = walkdir::WalkDir::new(&text)
            .into_iter()
            .filter_map(|e| e.ok())
            .find(|e| e.file_type().is_file())
            .expect("some .pyasm output");
        let first = std::fs::read_to_string(any.path()).unwrap();
        assert!(
            first.starts_with(&format!(".python {version}\n")),
            "{first:.40}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn round_trip_311() {
    round_trip("3.11");
}

#[test]
fn round_trip_312() {
    round_trip("3.12");
}

#[test]
fn round_trip_313() {
    round_trip("3.13");
}

#[test]
fn round_trip_314() {
    round_trip("3.14");
}

#[test]
fn round_trip_315() {
    round_trip("3.15");
}

/// Code objects the compiler never writes but marshal loads: non-minimal
/// EXTENDED_ARG, non-zero caches, unknown opcodes, indexes and jumps out of
/// range, garbage tables, surrogates. Each must come back identical, through
/// the raw forms where symbols cannot say it.
#[test]
fn hand_made_oddities_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let orig = tmp.path().join("orig");
    let text = tmp.path().join("text");
    let rebuilt = tmp.path().join("rebuilt");
    run(&mut py_script("3.11", "weird_pyc.py", &[&orig]));
    run(pyasm().arg("dis").arg(&orig).arg("-o").arg(&text));
    // Several oddities are invalid on purpose (indexes past their tables,
    // jumps outside the code): the verifier rejects them, and --no-verify
    // builds them anyway, exactly.
    let refused = pyasm()
        .arg("build")
        .arg(&text)
        .arg("-o")
        .arg(tmp.path().join("checked"))
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "the verifier should reject some oddities"
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("undefined-name") && stderr.contains("bad-jump-target"),
        "{stderr}"
    );
    run(pyasm()
        .args(["build", "--no-verify"])
        .arg(&text)
        .arg("-o")
        .arg(&rebuilt));
    // compare_pyc.py exits non-zero unless every file is identical.
    let report = run(&mut py_script("3.11", "compare_pyc.py", &[&orig, &rebuilt]));
    println!("{report}");
    let (n, m) = identical(&report);
    assert!(n == m && m >= 16, "identical {n}/{m}");
    // The oddities that need them are written with the raw forms.
    let read = |n: &str| std::fs::read_to_string(text.join(n)).unwrap();
    // A prefix more than the argument needs is kept as a reserved prefix: a
    // bare EXTENDED_ARG line.
    let nonminimal = read("nonminimal_extended_arg.pyasm");
    assert!(!nonminimal.contains(".verbatim"), "{nonminimal}");
    assert!(
        nonminimal.lines().any(|l| l.trim() == "EXTENDED_ARG"),
        "{nonminimal}"
    );
    assert!(read("garbage_linetable.pyasm").contains(".linetable b'"));
    assert!(read("exception_entry_inside_instruction.pyasm").contains(".exceptiontable b'"));
    assert!(read("nonzero_cache.pyasm").contains(".verbatim"));
    assert!(read("unknown_opcode.pyasm").contains("OP_238"));
    assert!(read("hash_checked.pyasm").contains(".pyc hash 0x0123456789abcdef checked"));
    assert!(read("hash_unchecked.pyasm").contains(".pyc hash 0x0123456789abcdef unchecked"));
    assert!(read("constants.pyasm").contains("'\\ud800'"));
}
