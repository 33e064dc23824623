//! Every hand-written program in `examples/<version>/` builds with
//! `pyasm build` for that version, runs in that version's real interpreter
//! (natively or in pyodide under Node, as `tests/interpreters.txt` says), and prints
//! exactly what `examples/<name>.out` says. Each one's disassembly also
//! builds back to the same bytes.

mod common;

use common::interp::{py_script, root, run};
use std::path::{Path, PathBuf};

/// Runs a .pyc in the interpreter of `version` and returns its stdout.
fn run_pyc(version: &str, pyc: &Path) -> String {
    // A native interpreter runs a .pyc itself; the pyodide builds have no
    // command line.
    match common::interp::native(version) {
        Some(exe) => run(std::process::Command::new(exe).arg(pyc)),
        None => run(&mut py_script(version, "run_pyc.py", &[pyc])),
    }
}

fn pyasm(args: &[&std::ffi::OsStr]) {
    let out = common::interp::pyasm().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "pyasm {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn examples_build_and_run_in_every_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = root().join("examples");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    let mut passed = 0;
    for vdir in &versions {
        let version = vdir.file_name().unwrap().to_string_lossy().to_string();
        let mut sources: Vec<PathBuf> = std::fs::read_dir(vdir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pyasm"))
            .collect();
        sources.sort();
        assert!(sources.len() >= 6, "{version}: expected the six examples");
        for src in sources {
            let stem = src.file_stem().unwrap().to_string_lossy().to_string();
            let name = format!("{version}-{stem}");
            let pyc = tmp.path().join(format!("{name}.pyc"));
            pyasm(&[
                "build".as_ref(),
                src.as_os_str(),
                "-o".as_ref(),
                pyc.as_os_str(),
            ]);
            let expected = std::fs::read_to_string(dir.join(format!("{stem}.out"))).unwrap();
            assert_eq!(run_pyc(&version, &pyc), expected, "{name}: wrong output");

            let text = tmp.path().join(format!("{name}.pyasm"));
            let again = tmp.path().join(format!("{name}.again.pyc"));
            pyasm(&[
                "dis".as_ref(),
                pyc.as_os_str(),
                "-o".as_ref(),
                text.as_os_str(),
            ]);
            pyasm(&[
                "build".as_ref(),
                text.as_os_str(),
                "-o".as_ref(),
                again.as_os_str(),
            ]);
            assert_eq!(
                std::fs::read(&pyc).unwrap(),
                std::fs::read(&again).unwrap(),
                "{name}: dis/build changed the file"
            );
            passed += 1;
        }
    }
    println!("examples: {passed} passed, 0 failed");
}
