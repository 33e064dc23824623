//! The exact round trip of code objects the compiler never writes, checked
//! in the real CPython 3.11. The round trip of real corpora, for every
//! version, is `round_trip::V` in `tests/versions.rs`.

mod common;

use common::interp::{identical, py_script, pyasm, run};

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
    // `.except` lines always build a sorted table without overlaps.
    assert!(read("exception_entries_unsorted.pyasm").contains(".exceptiontable b'"));
    assert!(read("exception_entries_overlapping.pyasm").contains(".exceptiontable b'"));
    assert!(
        stderr.contains("CPython looks entries up as if sorted"),
        "{stderr}"
    );
    assert!(read("nonzero_cache.pyasm").contains(".verbatim"));
    assert!(read("unknown_opcode.pyasm").contains("OP_238"));
    assert!(read("hash_checked.pyasm").contains(".pyc hash 0x0123456789abcdef checked"));
    assert!(read("hash_unchecked.pyasm").contains(".pyc hash 0x0123456789abcdef unchecked"));
    assert!(read("constants.pyasm").contains("'\\ud800'"));
}
