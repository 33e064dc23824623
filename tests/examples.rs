//! Every hand-written program in `examples/` builds with `pyasm build`, runs
//! in python3.11, and prints exactly what its `.out` file says. Each one's
//! disassembly also builds back to an identical code object.

use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> String {
    std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".to_string())
}

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pyasm"))
        .collect();
    v.sort();
    v
}

#[test]
fn examples_build_and_run() {
    let pyasm = env!("CARGO_BIN_EXE_pyasm");
    let tmp = tempfile::tempdir().unwrap();
    let all = examples();
    assert!(all.len() >= 6, "expected at least six examples");
    let mut passed = 0;
    for src in &all {
        let stem = src.file_stem().unwrap().to_string_lossy().to_string();
        let pyc = tmp.path().join(format!("{stem}.pyc"));
        let out = Command::new(pyasm)
            .arg("build")
            .arg(src)
            .arg("-o")
            .arg(&pyc)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{stem}: build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let run = Command::new(python()).arg(&pyc).output().unwrap();
        let expected = std::fs::read_to_string(src.with_extension("out")).unwrap();
        assert!(
            run.status.success(),
            "{stem}: python3.11 failed:\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            expected,
            "{stem}: wrong output"
        );

        // Disassemble what we built and build it again: same bytes.
        let text = tmp.path().join(format!("{stem}.pyasm"));
        let again = tmp.path().join(format!("{stem}.again.pyc"));
        let d = Command::new(pyasm)
            .arg("dis")
            .arg(&pyc)
            .arg("-o")
            .arg(&text)
            .output()
            .unwrap();
        assert!(
            d.status.success(),
            "{stem}: dis failed: {}",
            String::from_utf8_lossy(&d.stderr)
        );
        let b = Command::new(pyasm)
            .arg("build")
            .arg(&text)
            .arg("-o")
            .arg(&again)
            .output()
            .unwrap();
        assert!(
            b.status.success(),
            "{stem}: rebuild failed: {}",
            String::from_utf8_lossy(&b.stderr)
        );
        assert_eq!(
            std::fs::read(&pyc).unwrap(),
            std::fs::read(&again).unwrap(),
            "{stem}: dis/build changed the file"
        );
        passed += 1;
    }
    println!("examples: {passed} passed, 0 failed");
}
