//! Driving the real interpreters from the tests: natively where
//! `tests/interpreters.txt` lists a version (pyenv's builds), otherwise the
//! pinned pyodide build under Node (`tests/pyodide/run.mjs`). Every test
//! that runs Python goes through here, so the way an interpreter is found
//! and started, and how a failure is reported, is written once.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The native interpreter of `version`, if the tests run it natively.
pub fn native(version: &str) -> Option<PathBuf> {
    super::interpreters::native(&root(), version)
}

/// The native interpreter that checks `version`'s opcode table (also for a
/// version pyasm does not read or write yet).
pub fn table_native(version: &str) -> Option<PathBuf> {
    super::interpreters::table_native(&root(), version)
}

/// The native CPython 3.11, which also runs the tests' tools (pytest-lsp,
/// the TOML check of the Helix entry).
pub fn python311() -> String {
    native("3.11")
        .expect("tests/interpreters.txt lists 3.11")
        .display()
        .to_string()
}

/// A command running the Python file `script` with `args` in the real
/// interpreter of `version`: native where there is one, else pyodide.
pub fn python(version: &str, script: &Path, args: &[&Path]) -> Command {
    match native(version) {
        Some(exe) => {
            let mut c = Command::new(exe);
            c.arg(script).args(args);
            c
        }
        None => pyodide(version, script, args),
    }
}

/// A command running `script` in the pyodide build of `version`, also for
/// a version that otherwise runs natively (to show that the two agree).
pub fn pyodide(version: &str, script: &Path, args: &[&Path]) -> Command {
    assert!(
        root().join("tests/node_modules").exists(),
        "tests/node_modules is missing: `npm ci --prefix tests` installs the interpreters (tests/run-all.sh does)"
    );
    let mut c = Command::new("node");
    c.arg(root().join("tests/pyodide/run.mjs"))
        .arg(version)
        .arg(script)
        .args(args);
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

/// The `pyasm` binary for work on whole corpora and huge inputs: the
/// `checked` build (optimized, with debug assertions and overflow checks)
/// when `PYASM_CHECKED_BIN` names it, as `tests/run-all.sh` does, else the
/// test build, several times slower.
pub fn pyasm_checked() -> Command {
    Command::new(pyasm_checked_path())
}

/// The path of [`pyasm_checked`]'s binary.
pub fn pyasm_checked_path() -> PathBuf {
    static SHOWN: std::sync::Once = std::sync::Once::new();
    let bin = std::env::var_os("PYASM_CHECKED_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pyasm")));
    SHOWN.call_once(|| println!("the checked pyasm: {}", bin.display()));
    bin
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

/// Where the native CPython 3.11 keeps its standard library: the source
/// of the corpus every version compiles.
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

/// Checks every `.json` document under `dir` against
/// `docs/pyasm.schema.json` with the `jsonschema` package (in the
/// python3.11 on PATH, where tests/run-all.sh installs it) and returns what
/// the script printed, ending in `valid N/M`, with that `(N, M)`.
pub fn schema_valid(dir: &Path) -> (String, (usize, usize)) {
    let report = run(Command::new("python3.11")
        .arg(root().join("tests/py/validate_json.py"))
        .arg(root().join("docs/pyasm.schema.json"))
        .arg(dir));
    let counts = report
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("valid "))
        .and_then(|s| s.split_once('/'))
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .unwrap_or_else(|| panic!("no `valid N/M` line in:\n{report}"));
    (report, counts)
}
