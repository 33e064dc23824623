//! Bad input gets every error with its place, and never a partial output:
//! malformed `.pyasm` is reported line by line with rustc-style rendering
//! and writes nothing; malformed `.pyc` names the byte offset.

use std::process::Command;

fn pyasm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pyasm"))
}

const BAD: &str = "\
.python 3.11
.code module
        LOAD_CONST (1, 2
        LAOD_NAME print
        JUMP_FORWARD nowhere
        LOAD_FAST
        COMPARE_OP <>
here:
here:
        RETURN_VALUE
";

#[test]
fn every_pyasm_error_is_reported_with_line_and_column() {
    let built = pyasm::assemble(BAD, &Default::default());
    assert!(built.pyc.is_none());
    let found: Vec<(usize, usize, &str)> = built
        .diags
        .iter()
        .map(|d| {
            let (l, c) = pyasm::diag::line_col(BAD, d.span.start);
            (l, c, d.code)
        })
        .collect();
    let expected = [
        (3, 25, "syntax"),
        (4, 9, "unknown-opcode"),
        (5, 22, "bad-jump-target"),
        (6, 9, "invalid-operand"),
        (7, 21, "invalid-operand"),
        (9, 1, "duplicate-label"),
    ];
    assert_eq!(found, expected);
    let unknown = built
        .diags
        .iter()
        .find(|d| d.code == "unknown-opcode")
        .unwrap();
    assert_eq!(unknown.help.as_deref(), Some("did you mean `LOAD_NAME`?"));
    let dup = built
        .diags
        .iter()
        .find(|d| d.code == "duplicate-label")
        .unwrap();
    assert_eq!(dup.notes.len(), 1, "points at the first definition");
}

#[test]
fn failed_build_writes_nothing_and_keeps_the_old_output() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("bad.pyasm");
    let out = tmp.path().join("bad.pyc");
    std::fs::write(&src, BAD).unwrap();
    std::fs::write(&out, b"previous good output").unwrap();
    let r = pyasm()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!r.status.success());
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains("bad.pyasm:4:9"),
        "rendered with line:column: {stderr}"
    );
    assert!(stderr.contains("6 errors"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"previous good output");
    // No temporary file is left behind either.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn malformed_pyc_errors_name_the_byte_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let good = pyasm::assemble(
        ".python 3.11\n.code module\n    LOAD_CONST (1, 'two', 3.0)\n    RETURN_VALUE\n",
        &Default::default(),
    )
    .pyc
    .unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "byte 0"),
        ("bad-magic", b"abcdabcdabcdabcdxxxx".to_vec(), "magic"),
        ("truncated-header", good[..10].to_vec(), "byte"),
        ("truncated-body", good[..good.len() - 3].to_vec(), "byte"),
        ("bad-type", [&good[..16], &[b'!'][..]].concat(), "byte 16"),
    ];
    for (name, data, needle) in cases {
        let p = tmp.path().join(format!("{name}.pyc"));
        std::fs::write(&p, &data).unwrap();
        let r = pyasm().arg("dis").arg(&p).output().unwrap();
        assert!(!r.status.success(), "{name} should fail");
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(stderr.contains(needle), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}
