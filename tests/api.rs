//! The library's front door (`src/api.rs`) as an embedding uses it: every
//! result says its version, a bare code object's marshal bytes go both
//! ways, diagnostics come as lines and characters, the command line runs
//! in process, and deep constants need no more stack than the caller has.

use pyasm::versions::Version;
use pyasm::{Place, TextOptions};

const PROGRAM: &str = ".python 3.12\n.code module\n    LOAD_CONST 'é'\n    RETURN_VALUE\n";

#[test]
fn every_result_carries_the_version_the_text_names_or_the_default() {
    let built = pyasm::assemble(PROGRAM, &Default::default());
    assert_eq!(built.version, Version::V3_12, "{:?}", built.diags);
    let bare = "\n.code module\n    RETURN_CONST None\n";
    let options = TextOptions {
        default_version: Version::V3_13,
        ..Default::default()
    };
    assert_eq!(pyasm::assemble(bare, &options).version, Version::V3_13);
    assert_eq!(pyasm::check(bare, &options).version, Version::V3_13);
    assert_eq!(pyasm::check(PROGRAM, &options).version, Version::V3_12);
    let dis = pyasm::disassemble_pyc(built.pyc.as_deref().unwrap()).unwrap();
    assert_eq!(dis.version, Version::V3_12);
}

#[test]
fn a_bare_code_object_goes_from_marshal_bytes_to_text_and_back() {
    for &v in pyasm::SUPPORTED_VERSIONS {
        let text = format!(".python {v}\n.code module\n    LOAD_CONST None\n    RETURN_VALUE\n");
        let built = pyasm::assemble(&text, &Default::default());
        let bytes = built.code_bytes().expect("builds").to_vec();
        // The marshal bytes are the .pyc's after its header (12 bytes in
        // 3.6, 16 from 3.7 on).
        let header = pyasm::pyc::header_len(v);
        assert_eq!(header, if v == Version::V3_6 { 12 } else { 16 });
        assert_eq!(bytes, built.pyc.as_deref().unwrap()[header..]);
        let dis = pyasm::disassemble_code(&bytes, v).unwrap();
        assert_eq!(dis.version, v);
        assert!(!dis.text.contains(".pyc"), "no header line:\n{}", dis.text);
        let again = pyasm::assemble(&dis.text, &Default::default());
        assert_eq!(again.version, v);
        assert_eq!(again.code_bytes(), Some(&bytes[..]), "{}", dis.text);
    }
}

#[test]
fn bad_code_bytes_are_an_error_with_an_offset() {
    // A marshalled int, not a code object.
    let e = pyasm::disassemble_code(b"i\x01\x00\x00\x00", Version::V3_11).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("code object"), "{e}");
    let built = pyasm::assemble(PROGRAM, &Default::default());
    let bytes = built.code_bytes().unwrap();
    let cut = bytes.len() - 3;
    let e = pyasm::disassemble_code(&bytes[..cut], Version::V3_12).unwrap_err();
    assert!(e.offset <= cut, "cut at {cut}: {e}");
    let e = pyasm::disassemble_pyc(&built.pyc.as_deref().unwrap()[..20]).unwrap_err();
    assert!(e.offset() >= 16 && e.offset() <= 20, "{e}");
}

#[test]
fn diagnostics_are_placed_in_lines_and_characters_with_their_notes() {
    // The error is after a two-byte character: its column counts one.
    let text = ".python 3.12\n.code module\n    LOAD_CONST 'é' ; RETRUN_VALUE\nRETRUN_VALUE\n";
    let diags = pyasm::check(text, &Default::default()).diags;
    let located = pyasm::locate(text, &diags);
    let typo = located
        .iter()
        .find(|d| d.code == "unknown-opcode")
        .unwrap_or_else(|| panic!("{located:?}"));
    assert_eq!(typo.start, Place { line: 4, column: 1 });
    assert_eq!(
        typo.end,
        Place {
            line: 4,
            column: 13
        }
    );
    let help = typo.notes.last().expect("a suggestion");
    assert_eq!(help.place, None);
    assert!(help.message.contains("RETURN_VALUE"), "{help:?}");

    let text =
        ".python 3.12\n.code module\n.var 'ü'\n  .var 'ü'\n  RESUME 0\n  RETURN_CONST None\n";
    let diags = pyasm::check(text, &Default::default()).diags;
    let located = pyasm::locate(text, &diags);
    let twice = located
        .iter()
        .find(|d| !d.notes.is_empty() && d.notes[0].place.is_some())
        .unwrap_or_else(|| panic!("a note with a place: {located:?}"));
    assert_eq!(twice.start.line, 4);
    let (start, end) = twice.notes[0].place.unwrap();
    // The whole first line; in bytes its end would be column 10.
    assert_eq!(start, Place { line: 3, column: 1 });
    assert_eq!(end, Place { line: 3, column: 9 });
}

#[test]
fn the_report_is_the_one_the_command_line_prints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.pyasm");
    let text = ".python 3.12\n.code module\n    RETRUN_VALUE\n";
    std::fs::write(&path, text).unwrap();
    let shown = path.display().to_string();
    let options = TextOptions {
        path: Some(&shown),
        ..Default::default()
    };
    let report = pyasm::render(&shown, text, &pyasm::check(text, &options).diags);
    assert!(report.contains("RETRUN_VALUE"), "{report}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pyasm"))
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), report);
    // The JSON lines place each diagnostic as `locate` does.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pyasm"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let located = pyasm::locate(text, &pyasm::check(text, &options).diags);
    assert_eq!(lines.len(), located.len());
    for (j, d) in lines.iter().zip(&located) {
        let at = [&j["line"], &j["column"], &j["end_line"], &j["end_column"]];
        let expected = [d.start.line, d.start.column, d.end.line, d.end.column];
        assert_eq!(at.map(|v| v.as_u64().unwrap() as usize), expected);
        assert_eq!(j["severity"], d.severity.as_str());
        assert_eq!(j["code"], d.code);
    }
}

#[test]
fn the_command_line_runs_in_process_and_returns_its_status() {
    let hooks = pyasm::cli::Hooks::default();
    // A usage error returns 2 rather than ending the process.
    assert_eq!(pyasm::cli::run(["pyasm", "--no-such-flag"], &hooks), 2);
    assert_eq!(pyasm::cli::run(["pyasm", "--version"], &hooks), 0);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("m.pyasm");
    let pyc = dir.path().join("m.pyc");
    std::fs::write(&src, PROGRAM).unwrap();
    let args = |a: &[&std::path::Path]| {
        let mut all = vec![std::ffi::OsString::from("pyasm")];
        all.extend(a.iter().map(|p| p.as_os_str().to_owned()));
        all
    };
    let status = pyasm::cli::run(args(&["build".as_ref(), &src, "-o".as_ref(), &pyc]), &hooks);
    assert_eq!(status, 0);
    let shown = src.display().to_string();
    let options = TextOptions {
        path: Some(&shown),
        ..Default::default()
    };
    let built = pyasm::assemble(PROGRAM, &options);
    assert_eq!(std::fs::read(&pyc).unwrap(), built.pyc.unwrap());
    std::fs::write(&src, "RETRUN_VALUE\n").unwrap();
    assert_eq!(pyasm::cli::run(args(&["check".as_ref(), &src]), &hooks), 1);
}

#[test]
fn versions_are_named_and_refused_by_name() {
    assert_eq!(pyasm::parse_version("3.12"), Ok(Version::V3_12));
    assert_eq!(pyasm::version_of(3, 15), Ok(Version::V3_15));
    assert_eq!(pyasm::SUPPORTED_VERSIONS.first(), Some(&Version::V3_6));
    for (given, e) in [
        ("3.5", pyasm::parse_version("3.5").unwrap_err()),
        ("2.7", pyasm::version_of(2, 7).unwrap_err()),
        ("x", pyasm::parse_version("x").unwrap_err()),
    ] {
        let message = e.to_string();
        assert!(message.contains(given), "{message}");
        for v in pyasm::SUPPORTED_VERSIONS {
            assert!(message.contains(v.as_str()), "{message}");
        }
    }
}

/// A tuple constant nested `depth` levels deep.
fn deep_constant(depth: usize) -> String {
    format!(
        ".python 3.12\n.code module\n    LOAD_CONST {}1,{})\n    RETURN_VALUE\n",
        "(".repeat(depth),
        "),".repeat(depth - 1)
    )
}

#[test]
fn deep_constants_need_no_more_stack_than_a_small_thread_has() {
    // A thread with a quarter of a megabyte of stack, smaller than the
    // walks over 1,900 levels take in a debug build.
    let text = deep_constant(1900);
    let on_small_stack = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let mut built = pyasm::assemble(&text, &Default::default());
            assert!(built.diags.is_empty(), "{:?}", built.diags);
            // The code object itself is as deep as the constant: a walk
            // over it, its drop too, belongs on the work stack.
            let code = built.code.take();
            pyasm::with_work_stack(move || drop(code));
            let bytes = built.code_bytes().unwrap().to_vec();
            let dis = pyasm::disassemble_code(&bytes, built.version).unwrap();
            let checked = pyasm::check(&dis.text, &Default::default());
            pyasm::disassemble_pyc(&built.pyc.unwrap()).unwrap();
            checked.diags.len()
        })
        .unwrap();
    assert_eq!(on_small_stack.join().expect("no overflow"), 0);
}

/// The library's sources: everything under `src/` but the executable's
/// own files.
fn library_sources() -> Vec<(std::path::PathBuf, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path != src.join("main.rs")
                && path != src.join("process.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }
    assert!(found.len() > 20, "the library's sources: {}", found.len());
    found
}

#[test]
fn the_library_makes_no_process_wide_decision() {
    // The allocator, tree-sitter's allocator, the memory tuning and rayon's
    // global pool belong to whoever hosts the library: for the `pyasm`
    // executable, src/process.rs and src/main.rs.
    let decisions = [
        "global_allocator",
        "set_allocator",
        "mimalloc",
        "prctl",
        "build_global",
    ];
    for (path, text) in library_sources() {
        for word in decisions {
            assert!(
                !text.contains(word),
                "{} mentions `{word}`, a process-wide decision",
                path.display()
            );
        }
    }
}

/// Whether transparent huge pages are on for process `pid`.
#[cfg(target_os = "linux")]
fn huge_pages_on(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .expect("the kernel reports THP_enabled");
    line.ends_with('1')
}

#[cfg(target_os = "linux")]
#[test]
fn only_the_executable_s_language_server_tunes_its_memory() {
    use std::io::{Read, Write};
    // The command line run in process with no hooks leaves this process
    // as it was.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("m.pyasm");
    std::fs::write(&src, PROGRAM).unwrap();
    let args = [
        std::ffi::OsString::from("pyasm"),
        "check".into(),
        src.into(),
    ];
    assert_eq!(pyasm::cli::run(args, &Default::default()), 0);
    assert!(huge_pages_on(std::process::id()));
    // `pyasm lsp` turns huge pages off for its mimalloc arenas.
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_pyasm"))
        .arg("lsp")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once it answers, it has started: ask it something first.
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let mut stdin = server.stdin.take().unwrap();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
    let mut stdout = server.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8];
    while !seen.ends_with(b"\r\n\r\n") && stdout.read(&mut byte).unwrap() == 1 {
        seen.push(byte[0]);
    }
    assert!(seen.starts_with(b"Content-Length"), "{seen:?}");
    let off = !huge_pages_on(server.id());
    // The end of its input ends the server.
    drop(stdin);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    server.wait().unwrap();
    assert!(off, "pyasm lsp keeps transparent huge pages on");
}
