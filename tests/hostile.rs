//! Hostile input, one test per case: each ends in a clear error (a byte
//! offset for a .pyc, a line and column for a .pyasm) or in success, with
//! the normal exit code, no panic, within a generous time limit (to catch
//! hangs, not to measure speed), and with the peak memory of the `pyasm`
//! process (its own, from wait4) under a bound: 200 MiB for anything
//! small, and a bound linear in the size of the input for inputs that are
//! themselves huge.
//!
//! At the end, a few of the same inputs go through the language server's
//! document (`Document::new` and the features), as `didOpen` would.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
/// Long enough that only a hang can reach it, in a debug build on a busy
/// machine.
const HANG: Duration = Duration::from_secs(600);

/// Inputs of tens of megabytes run one at a time.
static HEAVY: Mutex<()> = Mutex::new(());

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    peak_rss: u64,
}

/// Starts `pyasm` from a small Python process that waits for it with
/// wait4 and writes its peak resident memory to the file named by
/// `RSS_FILE`. Measured from here, the child of a big test process would
/// count the pages it shared with it before exec (Linux keeps the larger
/// of the two high-water marks); Python's own 10 MB or so only make the
/// bounds stricter. Exits as pyasm did (128 + N for signal N).
const WAIT4: &str = r#"
import os, sys
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(os.environ["RSS_FILE"], "w") as f:
    f.write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
"#;

/// Runs `pyasm ARGS` and learns its peak resident memory (see [`WAIT4`]);
/// kills it if it runs into [`HANG`].
fn pyasm(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let rss = dir.path().join("rss");
    let mut child = Command::new("python3.11")
        .arg("-c")
        .arg(WAIT4)
        .arg(common::interp::pyasm_checked_path())
        .args(args.iter().map(|a| a.as_ref()))
        .env("RSS_FILE", &rss)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .expect("python3.11 starts (tests/run-all.sh installs it)");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            // SAFETY: kill has no memory effects; the group is the one
            // just made for the wrapper and pyasm.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            panic!(
                "pyasm {:?} still running after {HANG:?}: a hang",
                show(args)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let code = status.code().filter(|&c| c < 128);
    let run = Run {
        code,
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&std::fs::read(&err).unwrap()).into_owned(),
        peak_rss: std::fs::read_to_string(&rss)
            .expect("the wrapper measured pyasm")
            .parse()
            .unwrap(),
    };
    assert!(
        code.is_some(),
        "pyasm {:?} died: {status:?}: {}",
        show(args),
        tail(&run.stderr)
    );
    assert!(!run.stderr.contains("panicked"), "{}", tail(&run.stderr));
    println!(
        "pyasm {:?}: exit {:?}, {:.1} s, peak {:.1} MiB",
        show(args),
        code,
        started.elapsed().as_secs_f64(),
        run.peak_rss as f64 / MIB as f64
    );
    run
}

fn show(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<String> {
    args.iter()
        .map(|a| {
            let p = Path::new(a.as_ref());
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string())
        })
        .collect()
}

fn tail(s: &str) -> &str {
    let mut i = s.len().saturating_sub(2000);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

fn under(run: &Run, bound: u64) {
    assert!(
        run.peak_rss < bound,
        "peak memory {} MiB, over the bound of {} MiB",
        run.peak_rss / MIB,
        bound / MIB
    );
}

/// A temporary file holding `data`.
fn file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(data).unwrap();
    p
}

fn le(v: i32) -> [u8; 4] {
    v.to_le_bytes()
}

/// The 16-byte header of a 3.11 .pyc.
fn header() -> Vec<u8> {
    let mut h = pyasm::pyc::PycHeader::timestamp(pyasm::versions::Version::V3_11, 0, 0)
        .to_bytes()
        .to_vec();
    h.truncate(16);
    h
}

fn good_pyc() -> Vec<u8> {
    pyasm::assemble(".python 3.11\n.code module\n    .filename 'm.py'\n1       RESUME 0\n        LOAD_CONST ('a', 2, 3.0)\n        RETURN_VALUE\n", &Default::default())
    .pyc
    .unwrap()
}

/// `pyasm dis` of `data` fails with an error naming byte `offset` (from the
/// start of the file) and containing `says`, in bounded memory.
fn dis_fails(name: &str, data: &[u8], offset: usize, says: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), &format!("{name}.pyc"), data);
    let r = pyasm(&[&"dis", &p]);
    assert_eq!(r.code, Some(1), "{name}: {}", r.stderr);
    let want = format!("{name}.pyc: at byte {offset}: ");
    assert!(
        r.stderr.contains(&want),
        "{name}: expected {want:?} in {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(says),
        "{name}: expected {says:?} in {}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    under(&r, 200 * MIB);
}

/// `pyasm check` and `pyasm build` of `text` report an error of `code` at
/// `line:col` (rendered as `file:line:col`), in bounded memory.
fn pyasm_fails(name: &str, text: &[u8], line: usize, col: usize, code: &str, bound: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), &format!("{name}.pyasm"), text);
    let r = pyasm(&[&"check", &"--format", &"json", &p]);
    assert_eq!(r.code, Some(1), "{name}: {}", tail(&r.stderr));
    let found = r.stdout.lines().any(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["code"] == code && v["line"] == line && v["column"] == col
    });
    assert!(
        found,
        "{name}: no {code} at {line}:{col} in\n{}",
        tail(&r.stdout)
    );
    under(&r, bound);
    let out = tmp.path().join("out.pyc");
    let r = pyasm(&[&"build", &p, &"-o", &out]);
    assert_eq!(r.code, Some(1), "{name}: {}", tail(&r.stderr));
    let place = format!("{name}.pyasm:{line}:{col}");
    assert!(
        r.stderr.contains(&place),
        "{name}: no {place} in {}",
        tail(&r.stderr)
    );
    assert!(!out.exists());
    under(&r, bound);
}

// ----- .pyc files -------------------------------------------------------------

#[test]
fn truncated_pyc() {
    let good = good_pyc();
    dis_fails("empty", b"", 0, "16-byte .pyc header");
    dis_fails("short_header", &good[..10], 10, "16-byte .pyc header");
    // Cut anywhere in the body: always an error at or before the cut. The
    // sweep runs in process, through what `pyasm dis` calls on the bytes
    // it read; the binary is run on three of the cuts.
    let error_at = |message: &str| -> usize {
        message
            .split("at byte ")
            .nth(1)
            .and_then(|s| s.split(':').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no byte offset in {message:?}"))
    };
    for cut in 16..good.len() {
        let e = pyasm::disassemble_pyc(&good[..cut]).expect_err("a cut .pyc is refused");
        let at = error_at(&e.to_string());
        assert!(at <= cut, "cut at {cut}, error at {at}: {e}");
    }
    let tmp = tempfile::tempdir().unwrap();
    for cut in [16, good.len() / 2, good.len() - 1] {
        let p = file(tmp.path(), "cut.pyc", &good[..cut]);
        let r = pyasm(&[&"dis", &p]);
        assert_eq!(r.code, Some(1), "cut at {cut}: {}", r.stderr);
        let at = error_at(&r.stderr);
        assert!(at <= cut, "cut at {cut}, error at {at}: {}", r.stderr);
    }
}

#[test]
fn wrong_magic_number() {
    let mut data = good_pyc();
    data[..4].copy_from_slice(&[0x17, 0x0d, 0x0d, 0x0a]); // 3.5's 3351
    dis_fails("old_magic", &data, 0, "found 3351");
    data[..4].copy_from_slice(b"\x7fELF");
    dis_fails("not_pyc", &data, 0, "not a .pyc file of Python 3");
    data[..4].copy_from_slice(&[0xa7, 0x0d, 0x0d, 0x0a]);
    data[4] = 0x10;
    dis_fails("bad_flags", &data, 4, "header flags");
}

#[test]
fn str_length_of_gigabytes() {
    let data = [&header()[..], b"u", &le(0x7fff_fff0), b"abc"].concat();
    dis_fails("huge_str", &data, 17, "found 2147483632");
    let data = [&header()[..], b"a", &le(0x4000_0000), b"abc"].concat();
    dis_fails("huge_ascii", &data, 17, "found 1073741824");
}

#[test]
fn bytes_length_of_gigabytes() {
    let data = [&header()[..], b"s", &le(0x7fff_ffff), b"abc"].concat();
    dis_fails("huge_bytes", &data, 17, "found 2147483647");
    let data = [&header()[..], b"s", &le(-16), b"abc"].concat();
    dis_fails("negative_bytes", &data, 17, "non-negative bytes length");
}

#[test]
fn tuple_length_of_gigabytes() {
    let data = [&header()[..], b"(", &le(2_000_000_000), b"NNNN"].concat();
    dis_fails("huge_tuple", &data, 17, "found 2000000000");
}

#[test]
fn list_set_and_int_lengths_of_gigabytes() {
    let data = [&header()[..], b"[", &le(2_000_000_000), b"NNNN"].concat();
    dis_fails("huge_list", &data, 17, "list length");
    let data = [&header()[..], b">", &le(2_000_000_000), b"NNNN"].concat();
    dis_fails("huge_frozenset", &data, 17, "frozenset size");
    let data = [&header()[..], b"l", &le(-2_000_000_000), b"\x01\x00"].concat();
    dis_fails("huge_int", &data, 17, "int digit count");
}

#[test]
fn code_bytes_of_gigabytes() {
    let mut data = good_pyc();
    // co_code: the bytes object after the code object's five words.
    let at = 16 + 1 + 20;
    assert_eq!(data[at] & 0x7f, b's');
    data[at + 1..at + 5].copy_from_slice(&le(0x7fff_fff0));
    dis_fails("huge_code", &data, at + 1, "found 2147483632");
}

#[test]
fn dict_without_end() {
    // Keys and values, never the NULL that ends a dict.
    let data = [&header()[..], b"{", &b"NT".repeat(1000)].concat();
    dis_fails("endless_dict", &data, 16 + 1 + 2000, "data ends here");
}

#[test]
fn marshal_nested_100000_levels() {
    let data = [&header()[..], &b")\x01".repeat(100_000), b"N"].concat();
    dis_fails(
        "nested_tuples",
        &data,
        16 + 2 * 2000,
        "nested at most 2000 levels",
    );
    let list = [&b"["[..], &le(1)].concat();
    let data = [&header()[..], &list.repeat(100_000), b"N"].concat();
    dis_fails(
        "nested_lists",
        &data,
        16 + 5 * 2000,
        "nested at most 2000 levels",
    );
    let data = [&header()[..], &b"{".repeat(100_000), b"N"].concat();
    dis_fails(
        "nested_dicts",
        &data,
        16 + 2000,
        "nested at most 2000 levels",
    );
}

#[test]
fn marshal_code_objects_nested_100000_levels() {
    // A code object whose constants hold a code object, and so on: the
    // prefix of each level up to its first constant.
    let good = good_pyc();
    let body = &good[16..];
    let consts = 1 + 20 + 5 + u32::from_le_bytes(body[22..26].try_into().unwrap()) as usize;
    assert_eq!(body[consts] & 0x7f, b')');
    let level = [&body[..consts], b")\x01"].concat();
    let data = [&header()[..], &level.repeat(100_000)].concat();
    // Each level is two objects deep (the code object, its constants).
    dis_fails(
        "nested_code",
        &data,
        16 + 1000 * level.len(),
        "nested at most 2000 levels",
    );
}

#[test]
fn references_to_objects_that_do_not_exist() {
    let data = [&header()[..], b"r", &le(5)].concat();
    dis_fails("ref_to_nothing", &data, 17, "found 5");
    let data = [&header()[..], b")\x02\xe9", &le(7), b"r", &le(-1)].concat();
    dis_fails("negative_ref", &data, 24, "found -1");
    let data = [&header()[..], b"\xa9\x01r", &le(0)].concat();
    dis_fails("ref_to_itself", &data, 19, "a cycle");
    // A reference bomb: each level is two references to the one before.
    let mut data = header();
    data.extend_from_slice(b")\x3c\xa9\x02NN");
    for k in 1..60 {
        data.extend_from_slice(&[&b"\xa9\x02r"[..], &le(k - 1), b"r", &le(k - 1)].concat());
    }
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), "bomb.pyc", &data);
    let r = pyasm(&[&"dis", &p]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("at most 2000000 objects"), "{}", r.stderr);
    under(&r, 200 * MIB);
}

#[test]
fn invalid_utf8_in_pyc_names() {
    // The module's co_name (a short ASCII string, 8 bytes) replaced by a
    // str in UTF-8 whose second byte does not continue the first.
    let code = pyasm::pyc::read_pyc(&good_pyc()).unwrap().1;
    let mut w = pyasm::marshal::writer::Writer::new(pyasm::versions::Version::V3_11);
    let mut bad = code.clone();
    bad.name = pyasm::code::PyStr(b"mod\xc3(le".to_vec());
    w.write_code(&bad);
    let body = w.into_bytes();
    let at = body.windows(7).position(|w| w == b"mod\xc3(le").unwrap();
    let data = [&header()[..], &body].concat();
    dis_fails("bad_name", &data, 16 + at + 3, "UTF-8");
}

// ----- .pyasm files -------------------------------------------------------------

fn module(lines: &str) -> String {
    format!(".python 3.11\n.code module\n        RESUME 0\n{lines}        RETURN_VALUE\n")
}

#[test]
fn pyasm_tuples_nested_100000_levels() {
    let n = 100_000;
    let text = module(&format!(
        "        LOAD_CONST {}1{}\n",
        "(".repeat(n),
        ",)".repeat(n)
    ));
    // The 2000th bracket is one level too many.
    pyasm_fails(
        "nested",
        text.as_bytes(),
        4,
        20 + 1999,
        "too-deep",
        200 * MIB,
    );
    // Unclosed, and lists.
    let text = module(&format!("        LOAD_CONST {}\n", "([".repeat(n / 2)));
    pyasm_fails("unclosed", text.as_bytes(), 4, 20 + n, "syntax", 200 * MIB);
}

#[test]
fn pyasm_code_blocks_nested_100000_levels() {
    // Each block's constant is the next block: 100,000 code objects, each
    // inside the one before, far deeper than marshal reads.
    let mut text = String::from(".python 3.11\n.code module\n        RESUME 0\n        LOAD_CONST @b0\n        RETURN_VALUE\n");
    for i in 0..100_000 {
        text.push_str(&format!(
            ".code b{i}\n        RESUME 0\n        LOAD_CONST {}\n        RETURN_VALUE\n",
            if i + 1 < 100_000 {
                format!("@b{}", i + 1)
            } else {
                "None".into()
            }
        ));
    }
    // Reported at the first block, from the innermost out, that goes over:
    // b99000, with 1000 code objects and their constants below its top.
    let _heavy = HEAVY.lock().unwrap_or_else(|p| p.into_inner());
    pyasm_fails(
        "chain",
        text.as_bytes(),
        6 + 4 * 99_000,
        7,
        "too-deep",
        text.len() as u64 * 200,
    );
}

#[test]
fn pyasm_code_blocks_copied_exponentially() {
    // Forty blocks, each referencing the next twice: 2**40 copies.
    let mut text = String::from(".python 3.11\n.code module\n        RESUME 0\n        LOAD_CONST (@b0, @b0)\n        RETURN_VALUE\n");
    for i in 0..40 {
        let next = if i < 39 {
            format!("(@b{0}, @b{0})", i + 1)
        } else {
            "None".into()
        };
        text.push_str(&format!(
            ".code b{i}\n        RESUME 0\n        LOAD_CONST {next}\n        RETURN_VALUE\n"
        ));
    }
    // b22 is the first to need more than 2,000,000 objects (at its name).
    pyasm_fails(
        "copies",
        text.as_bytes(),
        6 + 4 * 22,
        7,
        "too-large",
        200 * MIB,
    );
}

#[test]
fn invalid_utf8_pyasm() {
    let text = b".python 3.11\n.code module\n        LOAD_CONST 'caf\xc3\xa9 \xff'\n";
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), "latin.pyasm", text);
    for cmd in ["check", "build"] {
        let r = pyasm(&[&cmd, &p]);
        assert_eq!(r.code, Some(if cmd == "check" { 2 } else { 1 }));
        assert!(
            r.stderr
                .contains("latin.pyasm:3:26: not UTF-8 text: byte 0xff"),
            "{}",
            r.stderr
        );
        under(&r, 200 * MIB);
    }
    // A name in the text can only be text.
    let text = b".python 3.11\n.code module\n        LOAD_NAME na\xefme\n";
    let p = file(tmp.path(), "name.pyasm", text);
    let r = pyasm(&[&"build", &p]);
    assert!(
        r.stderr.contains("name.pyasm:3:21: not UTF-8 text"),
        "{}",
        r.stderr
    );
}

#[test]
fn pyasm_function_of_8000_locals() {
    // One function storing each of 8,000 locals in turn: the verifier keeps
    // the kinds of every local at every instruction, and copying them all
    // at each store once took gigabytes for a file of half a megabyte.
    let n = 8000;
    let mut text = String::from(
        ".python 3.12\n.code module\n        RESUME 0\n        LOAD_CONST @f\n        MAKE_FUNCTION 0\n        POP_TOP\n        RETURN_CONST None\n.code f\n",
    );
    for k in 0..n {
        text.push_str(&format!("    .var x{k}\n"));
    }
    text.push_str("        RESUME 0\n");
    for k in 0..n {
        text.push_str(&format!(
            "        LOAD_CONST {k}\n        STORE_FAST x{k}\n        LOAD_FAST x{k}\n        POP_JUMP_IF_FALSE s{k}\ns{k}:\n"
        ));
    }
    text.push_str("        LOAD_FAST x0\n        RETURN_VALUE\n");
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), "locals.pyasm", text.as_bytes());
    let out = tmp.path().join("locals.pyc");
    let r = pyasm(&[&"build", &p, &"-o", &out]);
    assert_eq!(r.code, Some(0), "{}", tail(&r.stderr));
    // 8,000 x 8,000 slots of 32 bytes would be 2 GB.
    under(&r, 200 * MIB);
}

#[test]
fn pyasm_of_two_million_lines() {
    // 11,977 functions of 167 lines each: a realistic module, only long.
    let mut text = String::from(".python 3.11\n.code module\n1       RESUME 0\n        LOAD_CONST None\n        RETURN_VALUE\n");
    let mut lines = 5;
    let mut i = 0;
    while lines < 2_000_000 {
        text.push_str(&format!(
            "\n.code f{i}\n    .argcount 1\n    .var x\n1       RESUME 0\n"
        ));
        for k in 0..40 {
            text.push_str(&format!(
                "{}       LOAD_FAST x\n        LOAD_CONST {k}\n        BINARY_OP +\n        STORE_FAST x\n",
                k + 2
            ));
        }
        text.push_str("        LOAD_FAST x\n        RETURN_VALUE\n");
        lines += 167;
        i += 1;
    }
    let _heavy = HEAVY.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), "long.pyasm", text.as_bytes());
    // About 850 bytes per line at the peak (tree, model, analysis): a bound
    // linear in the lines, with room.
    let bound = 200 * MIB + lines as u64 * 1024;
    // `build` runs the analysis `check` runs, then the assembler.
    let out = tmp.path().join("long.pyc");
    let r = pyasm(&[&"build", &p, &"-o", &out]);
    assert_eq!(r.code, Some(0), "{}", tail(&r.stderr));
    under(&r, bound);
    let (_, code) = pyasm::pyc::read_pyc(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(code.consts.len(), 1);
}

#[test]
fn pyasm_line_of_megabytes() {
    let _heavy = HEAVY.lock().unwrap_or_else(|p| p.into_inner());
    let mb = 8 << 20;
    // A string constant of 8 MiB builds.
    let tmp = tempfile::tempdir().unwrap();
    let text = module(&format!("        LOAD_CONST '{}'\n", "a".repeat(mb)));
    let p = file(tmp.path(), "string.pyasm", text.as_bytes());
    let out = tmp.path().join("string.pyc");
    let r = pyasm(&[&"build", &p, &"-o", &out]);
    assert_eq!(r.code, Some(0), "{}", tail(&r.stderr));
    under(&r, 200 * MIB + 20 * mb as u64);
    let (_, code) = pyasm::pyc::read_pyc(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(code.consts[0], pyasm::code::Obj::str(&"a".repeat(mb)));
    // An opcode name of 8 MiB: an error, without comparing it with every
    // opcode character by character.
    let text = module(&format!("        {}\n", "A".repeat(mb)));
    pyasm_fails(
        "opcode",
        text.as_bytes(),
        4,
        9,
        "unknown-opcode",
        200 * MIB + 20 * mb as u64,
    );
    // A tuple of a million items on one line, the last one wrong.
    let items = "1, ".repeat(1_000_000);
    let text = module(&format!("        LOAD_CONST ({items}x)\n"));
    pyasm_fails(
        "tuple",
        text.as_bytes(),
        4,
        21 + items.len(),
        "invalid-operand",
        200 * MIB + 200 * text.len() as u64,
    );
}

#[test]
fn label_defined_a_thousand_times() {
    let mut body = String::new();
    for _ in 0..1000 {
        body.push_str("here:\n        NOP\n");
    }
    body.push_str("        JUMP_BACKWARD here\n        LOAD_CONST None\n");
    let text = module(&body);
    let tmp = tempfile::tempdir().unwrap();
    let p = file(tmp.path(), "labels.pyasm", text.as_bytes());
    let r = pyasm(&[&"check", &"--format", &"json", &p]);
    assert_eq!(r.code, Some(1));
    let dups: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["code"] == "duplicate-label")
        .collect();
    assert_eq!(dups.len(), 999, "every later definition is reported");
    for (k, d) in dups.iter().enumerate() {
        assert_eq!(d["line"], 4 + 2 * (k + 1), "{d}");
        assert_eq!(d["column"], 1);
        // Each points at the first definition.
        assert_eq!(d["related"][0]["line"], 4, "{d}");
    }
    under(&r, 200 * MIB);
    // A hundred thousand definitions: still one error each, in bounded
    // time and memory (no comparison of every pair).
    let mut body = String::new();
    for _ in 0..100_000 {
        body.push_str("here:\n        NOP\n");
    }
    body.push_str("        LOAD_CONST None\n");
    let p = file(tmp.path(), "many.pyasm", module(&body).as_bytes());
    let r = pyasm(&[&"check", &"--format", &"json", &p]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout.lines().count(), 99_999);
    // 200,000 lines: the bound for long files (see
    // `pyasm_of_two_million_lines`).
    under(&r, 200 * MIB + 200_000 * 1024);
}

/// A 3.6 loop that leaves a value on the stack on every round and falls
/// into a `with` statement's cleanup having given back what its entry
/// holds (a mutant of test_hashlib's `test_scrypt`). The count of the
/// slots the cleanup's entry no longer holds grew by the depth the loop
/// gained, on every round, so the stack analysis never ended (and its
/// work list grew without bound). The first mistake is reported, at the
/// loop's head.
#[test]
fn a_loop_through_a_finally_body_that_gives_back_more_each_round() {
    let text = ".python 3.6
.code module
    SETUP_LOOP end
    LOAD_CONST (1, 2)
    GET_ITER
head:
    FOR_ITER done
    STORE_NAME x
    LOAD_NAME x
    SETUP_WITH cleanup
    POP_TOP
    POP_BLOCK
    END_FINALLY
cleanup:
    WITH_CLEANUP_START
    WITH_CLEANUP_FINISH
    LOAD_CONST None
    JUMP_ABSOLUTE head
done:
    POP_BLOCK
end:
    LOAD_CONST None
    RETURN_VALUE
";
    pyasm_fails(
        "leaks-through-finally",
        text.as_bytes(),
        7,
        5,
        "stack-mismatch",
        200 * MIB,
    );
}

// ----- the language server's document -------------------------------------------

mod document {
    use pyasm::lsp::document::{Document, Encoding};
    use pyasm::lsp::features;
    use pyasm::versions::Version;
    use tower_lsp_server::ls_types::{Position, Range};

    /// Opens `text` as `didOpen` would, asks for everything a client asks
    /// for at once, and returns the diagnostics' codes and places.
    fn open(text: &str) -> Vec<(String, u32, u32)> {
        let text = text.to_string();
        pyasm::with_work_stack(move || {
            let doc = Document::new(
                &text,
                1,
                Encoding::Utf16,
                Version::V3_11,
                Default::default(),
            );
            let _ = features::semantic_tokens(&doc);
            let _ = features::outline(&doc);
            let _ = features::folding(&doc);
            let _ = features::format(&doc);
            let end = doc.position(text.len());
            let _ = features::inlay_hints(&doc, Range::new(Position::new(0, 0), end));
            for line in 0..6 {
                for ch in [0, 9, 20, 25, 4000] {
                    let p = Position::new(line, ch);
                    let _ = features::hover(&doc, p);
                    let _ = features::completion(&doc, p);
                    let _ = features::definition(&doc, p);
                }
            }
            doc.analysis
                .diagnostics()
                .iter()
                .map(|d| {
                    let p = doc.position(d.span.start);
                    (d.code.to_string(), p.line + 1, p.character + 1)
                })
                .collect()
        })
    }

    #[test]
    fn nested_100000_levels_in_the_editor() {
        let n = 100_000;
        let text = super::module(&format!(
            "        LOAD_CONST {}1{}\n",
            "(".repeat(n),
            ",)".repeat(n)
        ));
        let diags = open(&text);
        assert!(
            diags.contains(&("too-deep".into(), 4, 20 + 1999)),
            "{diags:?}"
        );
        // At the limit it works.
        let text = super::module(&format!(
            "        LOAD_CONST {}1{}\n",
            "(".repeat(1997),
            ",)".repeat(1997)
        ));
        assert_eq!(open(&text), vec![]);
    }

    #[test]
    fn a_line_of_megabytes_in_the_editor() {
        let text = super::module(&format!("        LOAD_CONST '{}'\n", "é".repeat(1 << 20)));
        assert_eq!(open(&text), vec![]);
        let text = super::module(&format!("        {}\n", "A".repeat(4 << 20)));
        assert_eq!(open(&text)[0], ("unknown-opcode".into(), 4, 9));
    }

    #[test]
    fn a_label_defined_a_thousand_times_in_the_editor() {
        let text = super::module(&"here:\n        NOP\n".repeat(1000));
        let diags = open(&text);
        let dups = diags.iter().filter(|d| d.0 == "duplicate-label").count();
        assert_eq!(dups, 999);
    }
}
