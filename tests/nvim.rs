//! The Neovim plugin (`editors/nvim`) end to end, in a real Neovim: the
//! script `tests/nvim/e2e.lua` opens a copy of `examples/3.11/hello.pyasm`
//! and a broken variant of it through the plugin's filetype detection,
//! waits for the language server's diagnostics, checks hover, runs
//! `:PyasmBuild` (on the good file, the broken one, and the broken one
//! fixed in the unsaved buffer); then the `.pyc` files it wrote run in
//! python3.11 and must print `examples/hello.out`. On the way it loads the
//! plugin's copies of the tree-sitter queries over the grammar, compiled
//! for Neovim's tree-sitter (ABI 14, which every Neovim from 0.7 loads; the
//! committed `grammar/src/parser.c` is ABI 15, for 0.11+ only).
//!
//! Needs `nvim` (`PYASM_NVIM` overrides it), the tree-sitter CLI and a C
//! compiler (`CC`); tests/run-all.sh installs them. Never skipped: a
//! missing Neovim fails the test.

mod common;

use common::interp::{python311, root, run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

fn nvim() -> String {
    std::env::var("PYASM_NVIM").unwrap_or_else(|_| "nvim".to_string())
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
}

/// Replaces the one line equal to `from` (trimmed) with `to`.
fn replace_line(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.lines().filter(|l| l.trim() == from).count(),
        1,
        "expected exactly one `{from}` line in hello.pyasm"
    );
    text.lines()
        .map(|l| if l.trim() == from { to } else { l })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The grammar generated for tree-sitter ABI 14 and compiled into a shared
/// library in `dir`, for Neovim to load.
fn parser_for_neovim(dir: &Path) -> PathBuf {
    for f in ["grammar.js", "tree-sitter.json"] {
        std::fs::copy(root().join("grammar").join(f), dir.join(f)).unwrap();
    }
    run(Command::new("tree-sitter")
        .args(["generate", "--abi", "14", "--js-runtime", "native"])
        .current_dir(dir));
    let so = dir.join("pyasm.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    run(Command::new(cc)
        .args(["-shared", "-fPIC", "-O1", "-Isrc", "src/parser.c", "-o"])
        .arg(&so)
        .current_dir(dir));
    so
}

#[test]
fn neovim_plugin_end_to_end() {
    let version = Command::new(nvim()).arg("--version").output();
    let version = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        other => panic!(
            "cannot run `{}` ({other:?}): this test needs Neovim 0.7 or later; \
             tests/run-all.sh installs it (apt-get install neovim), or set PYASM_NVIM",
            nvim()
        ),
    };
    println!("{}", version.lines().next().unwrap_or("nvim ?"));

    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let hello = std::fs::read_to_string(root().join("examples/3.11/hello.pyasm")).unwrap();
    std::fs::write(work.join("hello.pyasm"), &hello).unwrap();
    let broken = replace_line(&hello, "PRECALL 1", "        PRECAL 1");
    let broken = replace_line(&broken, "LOAD_NAME print", "        LOAD_NAME prnt");
    std::fs::write(work.join("broken.pyasm"), broken).unwrap();
    let ts = tmp.path().join("tree-sitter");
    std::fs::create_dir(&ts).unwrap();
    let parser = parser_for_neovim(&ts);

    // Neovim's own files (the LSP log among them) stay in the temporary
    // folder.
    let home = tmp.path().join("home");
    let result = tmp.path().join("result.txt");
    let (stdout, stderr) = (tmp.path().join("stdout"), tmp.path().join("stderr"));
    let mut cmd = Command::new(nvim());
    cmd.args(["--headless", "--clean", "-u"])
        .arg(root().join("tests/nvim/e2e.lua"))
        .current_dir(&work)
        .env("PYASM_BIN", env!("CARGO_BIN_EXE_pyasm"))
        .env("PYASM_PLUGIN", root().join("editors/nvim"))
        .env("PYASM_WORK", &work)
        .env("PYASM_TS_PARSER", &parser)
        .env("PYASM_RESULT", &result)
        .env("HOME", &home)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap());
    for (var, dir) in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        cmd.env(var, home.join(dir));
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", nvim()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let report = || {
        let logs: Vec<String> = ["cache/nvim/lsp.log", "state/nvim/lsp.log"]
            .iter()
            .map(|p| home.join(p))
            .filter(|p| p.exists())
            .map(|p| {
                let log = read(&p);
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                format!(
                    "--- {} (last lines)\n{}",
                    p.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect();
        format!(
            "--- test log ({})\n{}\n--- nvim stdout\n{}\n--- nvim stderr\n{}\n{}",
            result.display(),
            read(&result),
            read(&stdout),
            read(&stderr),
            logs.join("\n")
        )
    };
    match status {
        None => panic!(
            "nvim did not finish within {TIMEOUT:?}; killed.\n{}",
            report()
        ),
        Some(s) if !s.success() || !read(&result).trim_end().ends_with("OK") => {
            panic!("the Neovim test failed ({s}).\n{}", report())
        }
        Some(_) => println!("{}", read(&result)),
    }

    // The .pyc files :PyasmBuild wrote run and print what they should.
    let expected = std::fs::read_to_string(root().join("examples/hello.out")).unwrap();
    for name in ["hello.pyc", "broken.pyc"] {
        let pyc = work.join(name);
        assert!(pyc.is_file(), "{name} was not written.\n{}", report());
        let out = run(Command::new(python311()).arg(&pyc));
        assert_eq!(out, expected, "{name}: wrong output");
    }
}
