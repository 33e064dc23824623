//! End-to-end tests of `pyasm lsp`: the Python tests in `tests/lsp/` start
//! this build's binary and drive it over stdio with a real LSP client
//! (pytest-lsp, on pygls), feature by feature. They need python3.11 with
//! the packages pinned in `tests/lsp/requirements.txt`, which
//! `tests/run-all.sh` installs; without them this test fails, it does not
//! skip.

mod common;

use std::process::Command;

#[test]
fn language_server_end_to_end() {
    let root = common::interp::root();
    let out = Command::new(common::interp::python311())
        .args(["-m", "pytest", "tests/lsp", "-q", "-p", "no:cacheprovider"])
        .current_dir(&root)
        .env("PYASM_BIN", env!("CARGO_BIN_EXE_pyasm"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (tests/run-all.sh installs what the tests need)",
                common::interp::python311()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    if stderr.contains("No module named pytest") || stdout.contains("No module named pytest") {
        panic!(
            "pytest is not installed for {}: python3.11 -m pip install -r tests/lsp/requirements.txt (tests/run-all.sh does)",
            common::interp::python311()
        );
    }
    assert!(
        out.status.success(),
        "the language server tests failed (exit status {}); the output is above",
        out.status
    );
    // pytest exits 5 when it collects nothing; make sure tests ran.
    assert!(
        stdout.lines().any(|l| l.contains(" passed")),
        "no pytest summary line in the output"
    );
}
