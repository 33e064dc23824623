//! Which real interpreter runs each Python version in the tests and the
//! mutation benchmark, read from `tests/interpreters.txt`, the one place
//! that says so; and which one checks the opcode table of each version
//! pyasm does not read or write yet (`tests/table-interpreters.txt`). No
//! dependencies: `bench/mutants/main.rs` includes this file by path.

use std::path::{Path, PathBuf};

/// The pyenv versions folder: `$PYENV_ROOT/versions`, else
/// `~/.pyenv/versions`.
fn pyenv_versions() -> PathBuf {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".pyenv")
        });
    root.join("versions")
}

/// The full version (`3.12.1`) of the native interpreter that runs
/// `version` (`3.12`), if `tests/interpreters.txt` lists one.
pub fn native_release(repo: &Path, version: &str) -> Option<String> {
    release_in(repo, "tests/interpreters.txt", version)
}

/// The full version `list` (a file of `VERSION FULL` lines) gives `version`.
fn release_in(repo: &Path, list: &str, version: &str) -> Option<String> {
    let list = repo.join(list);
    let text = std::fs::read_to_string(&list)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", list.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find_map(|l| {
            let (v, full) = l.split_once(char::is_whitespace)?;
            (v == version).then(|| full.trim().to_string())
        })
}

/// The native interpreter of `version`, if it is one of those listed. A
/// listed interpreter that is not installed is a failure, never a reason
/// to run something else: `tests/run-all.sh` installs it.
pub fn native(repo: &Path, version: &str) -> Option<PathBuf> {
    Some(installed(&native_release(repo, version)?, version))
}

/// The native interpreter that checks `version`'s opcode table: the one
/// that runs it, or for a version with a table only, the one
/// `tests/table-interpreters.txt` lists.
#[allow(dead_code)] // the mutation benchmark includes this file, and checks no table
pub fn table_native(repo: &Path, version: &str) -> Option<PathBuf> {
    native(repo, version).or_else(|| {
        let full = release_in(repo, "tests/table-interpreters.txt", version)?;
        Some(installed(&full, version))
    })
}

/// pyenv's CPython `full`, which must be installed.
fn installed(full: &str, version: &str) -> PathBuf {
    let exe = pyenv_versions()
        .join(full)
        .join("bin")
        .join(format!("python{version}"));
    assert!(
        exe.is_file(),
        "CPython {full}, the tests' interpreter for {version}, is not installed \
         ({} is missing): `pyenv install {full}` brings it (tests/run-all.sh does)",
        exe.display()
    );
    exe
}
