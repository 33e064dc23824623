//! The exact round trip over the whole CPython 3.11 standard library, tests
//! included: python3.11 compiles every module, `pyasm dis` turns the .pyc
//! files into text, `pyasm build` turns the text back into .pyc files, and
//! python3.11 compares the two code objects field by field.

use std::path::Path;
use std::process::Command;

fn python() -> String {
    std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".to_string())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("failed to start a process");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{:?} failed:\n{stdout}\n{stderr}",
        cmd
    );
    stdout
}

#[test]
fn stdlib_round_trip_is_identical() {
    let py = python();
    let stdlib = run(Command::new(&py).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
    ]));
    let stdlib = stdlib.trim();
    let tmp = tempfile::tempdir().unwrap();
    let orig = tmp.path().join("orig");
    let text = tmp.path().join("text");
    let rebuilt = tmp.path().join("rebuilt");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py");

    let summary = run(Command::new(&py)
        .arg(scripts.join("compile_tree.py"))
        .args([
            Path::new(stdlib),
            &orig,
            Path::new("--exclude"),
            Path::new("site-packages"),
        ]));
    println!("python3.11 {}", summary.trim());

    let pyasm = env!("CARGO_BIN_EXE_pyasm");
    run(Command::new(pyasm)
        .arg("dis")
        .arg(&orig)
        .arg("-o")
        .arg(&text));
    run(Command::new(pyasm)
        .arg("build")
        .arg(&text)
        .arg("-o")
        .arg(&rebuilt));

    let out = Command::new(&py)
        .arg(scripts.join("compare_pyc.py"))
        .arg(&orig)
        .arg(&rebuilt)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    let last = report.lines().last().unwrap_or_default().to_string();
    let (n, m) = last
        .strip_prefix("identical ")
        .and_then(|s| s.split_once('/'))
        .map(|(a, b)| (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()))
        .unwrap_or_else(|| panic!("no summary from compare_pyc.py: {report}"));
    assert!(m > 1500, "too few modules compiled: {m}");
    assert_eq!(n, m, "round trip not identical for every module");
}

/// Code objects the compiler never writes but marshal loads: non-minimal
/// EXTENDED_ARG, non-zero caches, unknown opcodes, indexes and jumps out of
/// range, garbage tables, surrogates. Each must come back identical, through
/// the raw forms where symbols cannot say it.
#[test]
fn hand_made_oddities_round_trip() {
    let py = python();
    let tmp = tempfile::tempdir().unwrap();
    let orig = tmp.path().join("orig");
    let text = tmp.path().join("text");
    let rebuilt = tmp.path().join("rebuilt");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py");
    run(Command::new(&py)
        .arg(scripts.join("weird_pyc.py"))
        .arg(&orig));
    let pyasm = env!("CARGO_BIN_EXE_pyasm");
    run(Command::new(pyasm)
        .arg("dis")
        .arg(&orig)
        .arg("-o")
        .arg(&text));
    // Several oddities are invalid on purpose (indexes past their tables,
    // jumps outside the code): the verifier rejects them, and --no-verify
    // builds them anyway, exactly.
    let refused = Command::new(pyasm)
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
    run(Command::new(pyasm)
        .args(["build", "--no-verify"])
        .arg(&text)
        .arg("-o")
        .arg(&rebuilt));
    let report = run(Command::new(&py)
        .arg(scripts.join("compare_pyc.py"))
        .arg(&orig)
        .arg(&rebuilt));
    println!("{report}");
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
