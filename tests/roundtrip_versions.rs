//! The exact round trip for CPython 3.12, 3.13 and 3.14, each checked inside
//! its real interpreter (pyodide, under Node), over two corpora:
//! the version's own standard library (from its python_stdlib.zip), and the
//! CPython 3.11 standard library sources, tests included, wherever the
//! version compiles them. The version compiles them, `pyasm dis` and
//! `pyasm build` go there and back natively, and the version compares the
//! code objects field by field.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot start {cmd:?}: {e} (is Node installed? run tests/run-all.sh)")
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// Runs a script from tests/py in the real interpreter of `version`.
fn in_python(version: &str, script: &str, args: &[&Path]) -> Command {
    let runner = root().join("tests/pyodide/run.mjs");
    let pkg = root().join("tests/node_modules");
    assert!(
        pkg.exists(),
        "tests/node_modules is missing: `npm ci --prefix tests` installs the interpreters (tests/run-all.sh does)"
    );
    let mut c = Command::new("node");
    c.arg(runner)
        .arg(version)
        .arg(root().join("tests/py").join(script));
    for a in args {
        c.arg(a);
    }
    c
}

fn stdlib_311() -> String {
    let py = std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".to_string());
    run(Command::new(py).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
    ]))
    .trim()
    .to_string()
}

fn identical(report: &str) -> (usize, usize) {
    let last = report.lines().last().unwrap_or_default();
    last.strip_prefix("identical ")
        .and_then(|s| s.split_once('/'))
        .map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap()))
        .unwrap_or_else(|| panic!("no summary in: {report}"))
}

fn round_trip(version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let pyasm = env!("CARGO_BIN_EXE_pyasm");
    let lib311 = stdlib_311();
    let corpora: [(&str, String); 2] = [("own", "STDLIB".to_string()), ("cpython311", lib311)];
    let mut failures = Vec::new();
    for (name, src) in corpora {
        let orig = tmp.path().join(format!("{name}-orig"));
        let text = tmp.path().join(format!("{name}-text"));
        let rebuilt = tmp.path().join(format!("{name}-rebuilt"));
        let compiled = run(&mut in_python(
            version,
            "compile_tree.py",
            &[
                Path::new(&src),
                &orig,
                Path::new("--exclude"),
                Path::new("site-packages"),
            ],
        ));
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
        let out = in_python(version, "compare_pyc.py", &[&orig, &rebuilt])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let (n, m) = identical(&report);
        let head: String = report.lines().take(10).collect::<Vec<_>>().join("\n");
        println!(
            "{version} {name}: {} -> identical {n}/{m}",
            compiled.lines().last().unwrap_or("").trim()
        );
        if n != m || m < 400 {
            failures.push(format!("{version} {name}: identical {n}/{m}\n{head}"));
        }
        // The text names its version.
        let any = walkdir(&text)
            .into_iter()
            .next()
            .expect("some .pyasm output");
        let first = std::fs::read_to_string(any).unwrap();
        assert!(
            first.starts_with(&format!(".python {version}\n")),
            "{first:.40}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
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
