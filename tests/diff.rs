//! `pyasm diff` and `pyasm dis --normalize` on modules the real CPython 3.11
//! compiles: what only affects serialization (constant and name order,
//! EXTENDED_ARG padding, the header) gives no diff, and a change in what the
//! code does shows as exactly that change. Each case starts from the
//! compiler's output; the rebuilt variants are made by editing the
//! disassembly and building it with `pyasm build`.

mod common;

use common::interp::{pyasm, python311, run};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SOURCE: &str = "\
X = 1.5
Y = 'two'
Z = (None, 3)
H = (lambda: 1, lambda: 2)

def f(a, b):
    \"\"\"Adds.\"\"\"
    return a + b

def g(n):
    return [lambda: i * 2 for i in range(n)]

def k():
    print('hi')
";

struct Dir {
    dir: tempfile::TempDir,
    compiled: std::cell::Cell<u32>,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().expect("a temporary folder"),
            compiled: std::cell::Cell::new(0),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// `source` compiled by CPython 3.11 to `name.pyc`, its filename `m.py`
    /// whatever file it was read from. Each source gets another time stamp,
    /// so no two headers are the same.
    fn compile(&self, name: &str, source: &str) -> PathBuf {
        let src = self.path(&format!("{name}.py"));
        std::fs::write(&src, source).unwrap();
        let pyc = self.path(&format!("{name}.pyc"));
        self.compiled.set(self.compiled.get() + 1);
        let mtime = (1_000_000 * self.compiled.get()).to_string();
        run(Command::new(python311()).args([
            "-c".as_ref(),
            "import os, py_compile, sys; \
             os.utime(sys.argv[1], (int(sys.argv[3]),) * 2); \
             py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile='m.py', doraise=True)"
                .as_ref(),
            src.as_os_str(),
            pyc.as_os_str(),
            mtime.as_ref(),
        ]));
        pyc
    }
    /// The text `edit` makes of `pyc`'s disassembly, built to `name.pyc`.
    fn rebuild(&self, pyc: &Path, name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
        let text = edit(&run(pyasm().arg("dis").arg(pyc)));
        let src = self.path(&format!("{name}.pyasm"));
        std::fs::write(&src, text).unwrap();
        let out = self.path(&format!("{name}.pyc"));
        run(pyasm().arg("build").arg(&src).arg("-o").arg(&out));
        out
    }
}

fn diff(a: &Path, b: &Path, extra: &[&str]) -> Output {
    pyasm()
        .arg("diff")
        .args(extra)
        .arg(a)
        .arg(b)
        .output()
        .expect("pyasm runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The diff's changed lines (headers left out), each with its runs of
/// blanks made one space.
fn changes(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("--- ")
                && !l.starts_with("+++ ")
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Asserts that `o` is `pyasm diff` finding no difference.
fn assert_same(o: &Output) {
    assert_eq!(
        (o.status.code(), stdout(o).as_str()),
        (Some(0), ""),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn assert_error(o: &Output, says: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {err}",
        stdout(o)
    );
    assert!(err.contains(says), "stderr does not say {says:?}: {err}");
}

#[test]
fn the_same_source_compiled_twice_gives_no_diff() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let b = d.compile("b", SOURCE);
    assert_same(&diff(&a, &b, &[]));
}

#[test]
fn moved_lines_differ_only_in_positions() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let b = d.compile("b", &format!("\n{SOURCE}"));
    let o = diff(&a, &b, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    // Every code object moved, each with its own header.
    for name in ["module", "f", "g", "g_locals_listcomp"] {
        assert!(
            stdout(&o).contains(&format!("{} (.code {name})", b.display())),
            "no diff of {name}:\n{}",
            stdout(&o)
        );
    }
    assert_same(&diff(&a, &b, &["--ignore-positions"]));
    let normal = |p: &Path| {
        run(pyasm()
            .args(["dis", "--normalize", "--ignore-positions"])
            .arg(p))
    };
    assert_eq!(normal(&a), normal(&b));
}

#[test]
fn one_changed_constant_is_that_change() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let b = d.compile("b", &SOURCE.replace("1.5", "2.5"));
    let o = diff(&a, &b, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        changes(&o),
        ["-1:4-7 LOAD_CONST 1.5", "+1:4-7 LOAD_CONST 2.5"],
        "{}",
        stdout(&o)
    );
    let head = format!("--- {} (.code module)", a.display());
    assert!(stdout(&o).starts_with(&head), "{}", stdout(&o));
    // A constant's type is part of it: 1.5 and 1 differ, as do 1 and True.
    let c = d.compile("c", &SOURCE.replace("1.5", "1"));
    let e = d.compile("e", &SOURCE.replace("1.5", "True"));
    assert_eq!(
        changes(&diff(&c, &e, &[])),
        ["-1:4-5 LOAD_CONST 1", "+1:4-8 LOAD_CONST True"]
    );
}

#[test]
fn one_changed_instruction_is_that_change() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let b = d.compile("b", &SOURCE.replace("a + b", "a - b"));
    let o = diff(&a, &b, &["--ignore-positions"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        changes(&o),
        ["- BINARY_OP +", "+ BINARY_OP -"],
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("(.code f)\n"), "{}", stdout(&o));
}

/// The module's block of a disassembly with `pin` written first in it.
fn pin_first(text: &str, pin: &str) -> String {
    let at = text.find(".code module\n").expect("a module block") + ".code module\n".len();
    format!("{}{pin}{}", &text[..at], &text[at..])
}

#[test]
fn constants_and_names_in_another_order_give_no_diff() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let pins = "    .consts (None, 3)\n    .consts 'two'\n    .consts @lambda_2\n    \
                .consts 1.5\n    .consts @lambda\n    .names g\n    .names Z\n    .names Y\n";
    let b = d.rebuild(&a, "b", |t| pin_first(t, pins));
    // The tables really are in another order.
    let dis = |p: &Path| run(pyasm().arg("dis").arg(p));
    assert_ne!(dis(&a), dis(&b));
    assert_same(&diff(&a, &b, &[]));
    // The same through the text itself, and `dis --normalize` prints one
    // listing for both.
    assert_same(&diff(&a, &d.path("b.pyasm"), &[]));
    let normal = |p: &Path| run(pyasm().args(["dis", "--normalize"]).arg(p));
    assert_eq!(normal(&a), normal(&b));
    assert_eq!(normal(&a), normal(&d.path("b.pyasm")));
    assert!(normal(&a).contains("\n.code g_locals_listcomp\n"));
    // The two lambdas are named in the order the module makes them.
    let b_listing = normal(&b);
    let first = b_listing
        .split("\n.code ")
        .find(|blk| blk.starts_with("lambda\n"));
    assert!(
        first.is_some_and(|blk| blk.contains(" LOAD_CONST 1\n")),
        "{b_listing}"
    );
}

#[test]
fn extended_arg_padding_gives_no_diff() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let b = d.rebuild(&a, "b", |t| {
        t.replacen(
            "STORE_NAME X\n",
            "STORE_NAME X\n            EXTENDED_ARG\n            EXTENDED_ARG\n",
            1,
        )
    });
    let dis = run(pyasm().arg("dis").arg(&b));
    assert_eq!(dis.matches("EXTENDED_ARG").count(), 2, "{dis}");
    assert_same(&diff(&a, &b, &[]));
}

#[test]
fn a_docstring_moved_out_of_its_slot_is_a_difference() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    // The same constants in `f`, unused but for the docstring, which only
    // the first slot makes f.__doc__.
    let pin = |first: &'static str, second: &'static str| {
        move |t: &str| {
            t.replacen(
                "    .consts 'Adds.'\n",
                &format!("    .consts {first}\n    .consts {second}\n"),
                1,
            )
        }
    };
    let with_doc = d.rebuild(&a, "doc", pin("'Adds.'", "None"));
    let without = d.rebuild(&a, "nodoc", pin("None", "'Adds.'"));
    let o = diff(&with_doc, &without, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("(.code f)\n"), "{}", stdout(&o));
}

#[test]
fn from_3_14_the_docstring_is_the_first_constant_where_the_flag_says() {
    let d = Dir::new();
    // `f` returns 'x'; in the second text 'x' comes first, and with
    // HAS_DOCSTRING set it is f.__doc__ instead of 'doc'.
    let text = |name: &str, pins: &str| {
        let path = d.path(name);
        let body = format!(
            ".python 3.14\n.code module\n    .filename 'm.py'\n    LOAD_CONST @f\n    \
             MAKE_FUNCTION\n    STORE_NAME f\n    LOAD_CONST None\n    RETURN_VALUE\n\
             .code f\n    .flags OPTIMIZED NEWLOCALS HAS_DOCSTRING\n{pins}    \
             LOAD_CONST 'x'\n    RETURN_VALUE\n"
        );
        std::fs::write(&path, body).unwrap();
        path
    };
    let a = text("a.pyasm", "    .consts 'doc'\n");
    let b = text("b.pyasm", "    .consts 'x'\n    .consts 'doc'\n");
    let o = diff(&a, &b, &["--ignore-positions"]);
    assert_eq!(changes(&o), ["+ .consts 'x'"], "{}", stdout(&o));
}

#[test]
fn a_field_equal_to_the_computed_one_is_no_difference_and_another_is() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let stacksize = |n: u32| {
        move |t: &str| t.replacen(".code f\n", &format!(".code f\n    .stacksize {n}\n"), 1)
    };
    // `a + b` needs two slots, what the assembler computes.
    assert_same(&diff(&a, &d.rebuild(&a, "same", stacksize(2)), &[]));
    let o = diff(&a, &d.rebuild(&a, "more", stacksize(9)), &[]);
    assert_eq!(changes(&o), ["+ .stacksize 9"], "{}", stdout(&o));
}

#[test]
fn the_normal_listing_builds_the_same_module() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let listing = run(pyasm().args(["dis", "--normalize"]).arg(&a));
    let text = d.path("n.pyasm");
    std::fs::write(&text, &listing).unwrap();
    // `k` loads 'hi' before its first constant, None: the listing pins
    // None, or 'hi' would become k.__doc__.
    assert!(listing.contains(".code k\n    .consts None\n"), "{listing}");
    assert_same(&diff(&a, &text, &[]));
}

#[test]
fn errors_exit_2() {
    let d = Dir::new();
    let a = d.compile("a", SOURCE);
    let other = d.path("other.pyasm");
    std::fs::write(
        &other,
        ".python 3.12\n.code module\n    RETURN_CONST None\n",
    )
    .unwrap();
    assert_error(&diff(&a, &other, &[]), "for Python 3.12");
    assert_error(&diff(&a, &d.path("missing.pyc"), &[]), "missing.pyc");
    let bad = d.path("bad.pyasm");
    std::fs::write(&bad, ".python 3.11\n.code module\n    RETRUN_VALUE\n").unwrap();
    assert_error(&diff(&bad, &a, &[]), "unknown-opcode");
    let garbage = d.path("garbage.pyc");
    std::fs::write(&garbage, b"not a pyc at all").unwrap();
    assert_error(&diff(&a, &garbage, &[]), "garbage.pyc");
}
