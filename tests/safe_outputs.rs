//! A failed or interrupted build never leaves a partial output and never
//! replaces a good one: single files and directories, builds with errors,
//! builds killed in the middle of writing (by the file size limit's
//! SIGXFSZ, and by SIGKILL), a destination that is full or cannot be a
//! folder. Every check looks at the whole output folder: only complete
//! outputs (each equal to what a clean build writes), nothing temporary.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const HELLO: &str = "\
.python 3.11
.code module
1       RESUME 0
        PUSH_NULL
        LOAD_NAME print
        LOAD_CONST 'hello'
        PRECALL 1
        CALL 1
        POP_TOP
        LOAD_CONST None
        RETURN_VALUE
";

/// A module whose .pyc is about `n` * 2 bytes of code.
fn big(n: usize) -> String {
    let mut s = String::from(".python 3.11\n.code module\n1       RESUME 0\n");
    for _ in 0..n {
        s.push_str("        NOP\n");
    }
    s.push_str("        LOAD_CONST None\n        RETURN_VALUE\n");
    s
}

const BROKEN: &str = ".python 3.11\n.code module\n        RESUME 0\n        LAOD_CONST None\n";

fn pyasm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pyasm"))
}

/// `pyasm` with a file size limit: writing past it raises SIGXFSZ, which
/// kills the process (`ignore` false: a write interrupted mid-way) or is
/// ignored so that the write fails with EFBIG (`ignore` true: a full disk).
fn pyasm_with_size_limit(limit: u64, ignore: bool) -> Command {
    let mut c = pyasm();
    // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork
    // and exec.
    unsafe {
        c.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let action = if ignore { libc::SIG_IGN } else { libc::SIG_DFL };
            libc::signal(libc::SIGXFSZ, action);
            Ok(())
        });
    }
    c
}

fn run(c: &mut Command) -> Output {
    let out = c.output().expect("pyasm runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Writes `sources` (relative name, text) under `dir`.
fn write_tree(dir: &Path, sources: &[(String, String)]) {
    for (name, text) in sources {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// What a clean build of each source gives, written under `src` (the path
/// `pyasm build` was given is the module's filename).
fn reference(src: &Path, sources: &[(String, String)]) -> Vec<(PathBuf, Vec<u8>)> {
    sources
        .iter()
        .filter_map(|(name, text)| {
            let path = src.join(name).display().to_string();
            let pyc = pyasm::assemble(
                text,
                &pyasm::TextOptions {
                    path: Some(&path),
                    default_version: pyasm::versions::Version::V3_11,
                    build: Default::default(),
                },
            )
            .pyc?;
            Some((PathBuf::from(name).with_extension("pyc"), pyc))
        })
        .collect()
}

/// Every file in `out` is a complete output: one of `expected`, equal to
/// it byte for byte; nothing else (no temporary file) is there.
fn only_complete_outputs(out: &Path, expected: &[(PathBuf, Vec<u8>)]) -> usize {
    let found = files(out);
    for f in &found {
        let want = expected
            .iter()
            .find(|(p, _)| p == f)
            .unwrap_or_else(|| panic!("unexpected file {} in {}", f.display(), out.display()));
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            want.1,
            "{} is not a complete output",
            f.display()
        );
    }
    found.len()
}

#[test]
fn failed_directory_build_keeps_the_good_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    let sources = vec![
        ("a.pyasm".to_string(), HELLO.to_string()),
        ("sub/b.pyasm".to_string(), BROKEN.to_string()),
        ("sub/c.pyasm".to_string(), big(50)),
    ];
    write_tree(&src, &sources);
    // A good earlier output of b, and an old one of a.
    std::fs::create_dir_all(out.join("sub")).unwrap();
    std::fs::write(out.join("sub/b.pyc"), b"good old b").unwrap();
    std::fs::write(out.join("a.pyc"), b"old a").unwrap();
    let r = run(pyasm().arg("build").arg(&src).arg("-o").arg(&out));
    assert!(!r.status.success());
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("b.pyasm:4:9"), "{stderr}");
    assert!(stderr.contains("2 of 3 files done, 1 failed"), "{stderr}");
    let mut expected = reference(&src, &sources);
    expected.push(("sub/b.pyc".into(), b"good old b".to_vec()));
    assert_eq!(only_complete_outputs(&out, &expected), 3);
}

#[test]
fn a_build_killed_while_writing_leaves_nothing_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    // Small outputs, and one of about 8 KB, which the 4 KB file size limit
    // interrupts with SIGXFSZ (the default action: the process dies).
    let mut sources: Vec<(String, String)> = (0..20)
        .map(|i| (format!("small{i:02}.pyasm"), HELLO.to_string()))
        .collect();
    sources.push(("zz_big.pyasm".into(), big(4000)));
    write_tree(&src, &sources);
    let r = run(pyasm_with_size_limit(4096, false)
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        r.status.signal(),
        Some(libc::SIGXFSZ),
        "the build should die writing the big output: {:?}",
        r.status
    );
    let expected = reference(&src, &sources);
    let n = if out.exists() {
        only_complete_outputs(&out, &expected)
    } else {
        0
    };
    assert!(
        !out.join("zz_big.pyc").exists(),
        "the interrupted output must not exist"
    );
    println!("killed mid-write: {n} complete outputs, nothing else");

    // The same over a good earlier output: it is still there, unchanged.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("zz_big.pyc"), b"good old output").unwrap();
    let r = run(pyasm_with_size_limit(4096, false)
        .arg("build")
        .arg(src.join("zz_big.pyasm"))
        .arg("-o")
        .arg(out.join("zz_big.pyc")));
    assert!(!r.status.success());
    let mut expected = reference(&src, &sources);
    expected.retain(|(p, _)| p != Path::new("zz_big.pyc"));
    expected.push(("zz_big.pyc".into(), b"good old output".to_vec()));
    only_complete_outputs(&out, &expected);
}

#[test]
fn a_full_disk_is_an_error_and_leaves_nothing_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("big.pyasm");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(&src, big(4000)).unwrap();
    std::fs::write(out.join("big.pyc"), b"good old output").unwrap();
    // Writes past 4 KB fail with EFBIG, as on a full disk.
    let r = run(pyasm_with_size_limit(4096, true)
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(out.join("big.pyc")));
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("big.pyc: File too large"), "{stderr}");
    only_complete_outputs(&out, &[("big.pyc".into(), b"good old output".to_vec())]);
    // `pyasm dis` writes the same way.
    let pyc = tmp.path().join("big.pyc");
    std::fs::write(
        &pyc,
        pyasm::assemble(&big(4000), &Default::default())
            .pyc
            .unwrap(),
    )
    .unwrap();
    let r = run(pyasm_with_size_limit(4096, true)
        .arg("dis")
        .arg(&pyc)
        .arg("-o")
        .arg(out.join("big.pyasm")));
    assert_eq!(r.status.code(), Some(1));
    only_complete_outputs(&out, &[("big.pyc".into(), b"good old output".to_vec())]);
}

#[test]
fn an_output_folder_that_cannot_be_made_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("hello.pyasm");
    std::fs::write(&src, HELLO).unwrap();
    // A file where the output's folder would be.
    let blocker = tmp.path().join("out");
    std::fs::write(&blocker, b"a file").unwrap();
    let r = run(pyasm()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(blocker.join("hello.pyc")));
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("hello.pyc: "), "{stderr}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"a file");
    assert_eq!(files(tmp.path()).len(), 2);
}

#[test]
fn a_directory_build_killed_with_sigkill_leaves_nothing_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    // Enough work (about 300,000 lines) that the build is still writing
    // when it is killed, a moment after its first output appears.
    let sources: Vec<(String, String)> = (0..300)
        .map(|i| (format!("d{}/m{i:03}.pyasm", i % 7), big(1000 + i)))
        .collect();
    write_tree(&src, &sources);
    let mut child = pyasm()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut finished = false;
    loop {
        if out.exists() && !files(&out).is_empty() {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            finished = true;
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "no output");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!finished, "the build finished before it could be killed");
    let n = only_complete_outputs(&out, &reference(&src, &sources));
    assert!(n < sources.len(), "killed before the end");
    println!(
        "killed after {n} of {} outputs, nothing partial",
        sources.len()
    );
}

/// pyasm reads code and never runs it: no source file starts a process or
/// loads a library, and no dependency, direct or not, embeds an
/// interpreter. (Only the tests run code, in CPython. The Python extension
/// in python/, a crate of the same workspace, is the other way round: an
/// interpreter loads it, and its PyO3 is in Cargo.lock but not among the
/// pyasm crate's dependencies.)
#[test]
fn nothing_in_pyasm_runs_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for f in walk(&root.join("src")) {
        if f.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for needle in [
            "process::Command",
            "Command::new",
            "posix_spawn",
            "libc::fork",
            "libc::exec",
            "libc::system",
            "dlopen",
            "libloading",
            "pyo3",
        ] {
            assert!(!text.contains(needle), "{} uses {needle}", f.display());
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} source files found");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let deps = lock_dependencies(&lock, "pyasm");
    assert!(deps.contains("tree-sitter"), "{deps:?}");
    for krate in [
        "pyo3",
        "cpython",
        "rustpython",
        "libloading",
        "wasmtime",
        "inline-python",
    ] {
        assert!(
            !deps.contains(krate),
            "the pyasm crate depends on {krate} (Cargo.lock)"
        );
    }
}

/// The names of the packages `root` depends on in a Cargo.lock, directly
/// or not, itself included.
fn lock_dependencies<'a>(lock: &'a str, root: &'a str) -> std::collections::BTreeSet<&'a str> {
    // Each [[package]] entry: its name and the first word of each of its
    // dependencies ("name" or "name version").
    let mut graph: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for entry in lock.split("[[package]]").skip(1) {
        let mut name = "";
        let mut deps = Vec::new();
        let mut in_deps = false;
        for line in entry.lines() {
            let line = line.trim();
            if let Some(n) = line.strip_prefix("name = ") {
                name = n.trim_matches('"');
            } else if line.starts_with("dependencies = [") {
                in_deps = true;
            } else if in_deps && line == "]" {
                in_deps = false;
            } else if in_deps {
                let dep = line.trim_matches(|c| c == '"' || c == ',');
                deps.push(dep.split(' ').next().unwrap_or(dep));
            }
        }
        graph.entry(name).or_default().extend(deps);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        if seen.insert(n) {
            todo.extend(graph.get(n).into_iter().flatten().copied());
        }
    }
    seen
}
