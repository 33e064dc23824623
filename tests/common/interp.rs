//! Driving the real interpreters from the tests: python3.11 natively, 3.12
//! to 3.14 through `tests/pyodide/run.mjs`. Every test that runs Python goes
//! through here, so the way an interpreter is found and started, and how a
//! failure is reported, is written once.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The python3.11 executable (`PYASM_PYTHON311` overrides it).
pub fn python311() -> String {
    std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".to_string())
}

/// A command running the Python file `script` with `args` in the real
/// interpreter of `version`.
pub fn python(version: &str, script: &Path, args: &[&Path]) -> Command {
    let mut c = if version == "3.11" {
        Command::new(python311())
    } else {
        assert!(
            root().join("tests/node_modules").exists(),
            "tests/node_modules is missing: `npm ci --prefix tests` installs the interpreters (tests/run-all.sh does)"
        );
        let mut c = Command::new("node");
        c.arg(root().join("tests/pyodide/run.mjs")).arg(version);
        c
    };
    c.arg(script).args(args);
    c
}

/// `python` for one of the scripts in `tests/py`.
pub fn py_script(version: &str, name: &str, args: &[&Path]) -> Command {
    python(version, &root().join("tests/py").join(name), args)
}

/// The `pyasm` binary under test.
pub fn pyasm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pyasm"))
}

/// Runs `cmd`, fails the test with its output unless it succeeds, and
/// returns its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot start {cmd:?}: {e} (tests/run-all.sh installs what the tests need)")
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Where python3.11 keeps its standard library.
pub fn stdlib_311() -> String {
    run(Command::new(python311()).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
    ]))
    .trim()
    .to_string()
}

/// `(N, M)` from the `identical N/M` line that closes a comparison report.
pub fn identical(report: &str) -> (usize, usize) {
    report
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("identical "))
        .and_then(|s| s.split_once('/'))
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .unwrap_or_else(|| panic!("no `identical N/M` line in:\n{report}"))
}
