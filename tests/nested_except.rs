//! Nested `.except` regions mean what they say in every version's real
//! interpreter: the innermost region covering an instruction wins, in
//! whatever order the lines are written.
//!
//! Each version compiles a program whose outer handlers must run (a nested
//! `try`, a generator, an `async with`); `pyasm dis` writes each region
//! CPython's table splits around inner ones as one line, outer before
//! inner. The test writes every block's `.except` lines in reverse order,
//! so that inner regions come first, builds that text, and runs it: the
//! output must be the original program's.

mod common;

use common::interp::{py_script, pyasm, run};
use std::path::Path;

const PROGRAM: &str = r#"
def gen():
    try:
        try:
            yield 1
            missing_in_generator
        except ZeroDivisionError:
            yield "inner in generator"
    except NameError:
        yield "outer in generator"


class Manager:
    async def __aenter__(self):
        return self

    async def __aexit__(self, kind, value, tb):
        print("outer in async with:", kind.__name__)
        return True


async def coroutine():
    async with Manager():
        try:
            missing_in_async_with
        except ZeroDivisionError:
            print("inner in async with")
    return "done"


def drive(c):
    try:
        c.send(None)
    except StopIteration as stop:
        return stop.value


def nested():
    try:
        try:
            1 / 0
        except ZeroDivisionError:
            print("inner")
            missing_in_handler
    except NameError:
        print("outer")


print(list(gen()))
nested()
print(drive(coroutine()))
"#;

const EXPECTED: &str =
    "[1, 'outer in generator']\ninner\nouter\nouter in async with: NameError\ndone\n";

/// The text with each block's `.except` lines in reverse order, and how
/// many of them now come before a line whose region contains theirs.
fn reverse_excepts(text: &str) -> (String, usize) {
    let mut out = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    let mut inner_first = 0;
    // Labels are numbered in the order of their offsets (`L12`).
    let num = |l: &str| l.trim_start_matches('L').parse::<u32>().unwrap_or(0);
    let range = |line: &str| {
        let w: Vec<&str> = line.split_whitespace().collect();
        (num(w[1]), num(w[2]))
    };
    let mut flush = |pending: &mut Vec<&str>, out: &mut Vec<String>| {
        pending.reverse();
        for (i, a) in pending.iter().enumerate() {
            let (s, e) = range(a);
            let outer_later = pending[i + 1..].iter().any(|b| {
                let (bs, be) = range(b);
                bs <= s && e <= be && (bs, be) != (s, e)
            });
            inner_first += outer_later as usize;
        }
        out.extend(pending.drain(..).map(String::from));
    };
    for line in text.lines() {
        if line.trim_start().starts_with(".except ") {
            pending.push(line);
            continue;
        }
        flush(&mut pending, &mut out);
        out.push(line.to_string());
    }
    flush(&mut pending, &mut out);
    (out.join("\n") + "\n", inner_first)
}

#[test]
fn inner_regions_written_first_still_nest_in_every_version() {
    let tmp = tempfile::tempdir().unwrap();
    for version in ["3.11", "3.12", "3.13", "3.14", "3.15"] {
        let src = tmp.path().join(format!("src-{version}"));
        let orig = tmp.path().join(format!("orig-{version}"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("nested.py"), PROGRAM).unwrap();
        run(&mut py_script(version, "compile_tree.py", &[&src, &orig]));
        let pyc = orig.join("nested.pyc");
        let ran = run(&mut py_script(version, "run_pyc.py", &[&pyc]));
        assert_eq!(ran, EXPECTED, "{version}: the compiled program");

        let text = run(pyasm().arg("dis").arg(&pyc));
        let (reversed, inner_first) = reverse_excepts(&text);
        assert!(
            inner_first >= 3,
            "{version}: only {inner_first} inner regions written before their outer ones:\n{reversed}"
        );
        println!(
            "{version}: {inner_first} `.except` lines written before a line that contains them"
        );
        let written = tmp.path().join(format!("reversed-{version}.pyasm"));
        std::fs::write(&written, &reversed).unwrap();
        let rebuilt_dir = tmp.path().join(format!("rebuilt-{version}"));
        std::fs::create_dir_all(&rebuilt_dir).unwrap();
        let rebuilt = rebuilt_dir.join("nested.pyc");
        run(pyasm().arg("build").arg(&written).arg("-o").arg(&rebuilt));
        let ran = run(&mut py_script(
            version,
            "run_pyc.py",
            &[Path::new(&rebuilt)],
        ));
        assert_eq!(ran, EXPECTED, "{version}: inner `.except` lines first");
        // The same table as CPython's, whatever the order of the lines.
        run(&mut py_script(
            version,
            "compare_pyc.py",
            &[&orig, &rebuilt_dir],
        ));
    }
}
