//! The operand ranges of the verifier, against the real interpreters: for
//! each version, programs compiled by that version's CPython, with one
//! immediate changed to the last value the verifier accepts (which must
//! run as the docs say) or to the first it refuses (which must be refused,
//! and where the interpreter shows it, misbehaves). Also the truth tests
//! of 3.13+: without `TO_BOOL`, a jump on an int goes the wrong way there,
//! and the right way in 3.12.
//!
//! Each case is compiled, disassembled, changed on one line, checked,
//! built with `--no-verify` and run; one interpreter start per version
//! compiles every source and one runs every program.

mod common;

use common::interp::{py_script, pyasm, run};
use std::path::Path;

/// One change of one compiled program.
struct Case {
    name: &'static str,
    /// Versions it applies to.
    versions: &'static [&'static str],
    source: &'static str,
    /// The first line whose words start with these is changed...
    find: &'static [&'static str],
    /// ...to these words (an empty list deletes the line).
    replace: &'static [&'static str],
    /// Whether `pyasm check` must accept the changed file.
    accepted: bool,
    /// What the program must print (or the exception that escapes it);
    /// `!x`: anything but `x`, for a misbehaviour whose details vary.
    prints: &'static str,
}

const GEN: &str = "def g():\n    yield 1\n    yield 2\nprint(list(g()))\n";
const AWAIT: &str = "async def f():\n    await 1\nc = f()\ntry:\n    c.send(None)\nexcept TypeError as e:\n    print(e)\n";
const ASYNC_WITH: &str = "class M:\n    async def __aenter__(self): return 1\n    def __aexit__(self, *a): return 1\nasync def f():\n    async with M():\n        pass\nc = f()\ntry:\n    c.send(None)\nexcept TypeError as e:\n    print(e)\n";
const IS: &str = "a = 1\nb = 2\nprint(a is not b)\n";
const RAISE: &str = "try:\n    raise KeyError('k') from None\nexcept BaseException as e:\n    print(type(e).__name__)\n";
const LESS: &str = "def lt(a, b):\n    return a < b\nprint(sum(lt(i, 500) for i in range(1000)))\n";
const ZERO: &str = "x = 0\nif x:\n    print('yes')\nelse:\n    print('no')\n";
const FMT: &str = "x = 'é'\nprint(f'{x!a:>8}|')\n";

const TEMPLATE: &str = "a = 5\nt = t'{a!a}'\nprint(t.interpolations[0].conversion)\n";

const CLOSE: &str = "def g():\n    try:\n        yield 1\n    finally:\n        print('finally')\nx = g()\nnext(x)\nx.close()\nprint('closed')\n";

const ALL: &[&str] = &["3.11", "3.12", "3.13", "3.14", "3.15"];
const BOOL_TESTS: &[&str] = &["3.13", "3.14", "3.15"];

const CASES: &[Case] = &[
    // RESUME: the last value of each version runs (no visible misuse
    // just past it: the interpreter reads only some of the bits).
    Case {
        name: "resume_last_311",
        versions: &["3.11", "3.12"],
        source: "print('ran')\n",
        find: &["RESUME", "0"],
        replace: &["RESUME", "3"],
        accepted: true,
        prints: "ran",
    },
    Case {
        name: "resume_past_311",
        versions: &["3.11", "3.12"],
        source: "print('ran')\n",
        find: &["RESUME", "0"],
        replace: &["RESUME", "4"],
        accepted: false,
        prints: "ran",
    },
    Case {
        name: "resume_last_313",
        versions: &["3.13", "3.14"],
        source: "print('ran')\n",
        find: &["RESUME", "0"],
        replace: &["RESUME", "7"],
        accepted: true,
        prints: "ran",
    },
    Case {
        name: "resume_last_315",
        versions: &["3.15"],
        source: "print('ran')\n",
        find: &["RESUME", "0"],
        replace: &["RESUME", "12"],
        accepted: true,
        prints: "ran",
    },
    Case {
        name: "resume_past_315",
        versions: &["3.15"],
        source: "print('ran')\n",
        find: &["RESUME", "0"],
        replace: &["RESUME", "5"],
        accepted: false,
        prints: "ran",
    },
    // YIELD_VALUE from 3.13: the generator's state is "suspended" plus the
    // argument. 1 (inside yield from) still yields; from 2 on the state
    // is no suspended one, and the yield acts as a return.
    Case {
        name: "yield_last",
        versions: BOOL_TESTS,
        source: GEN,
        find: &["YIELD_VALUE", "0"],
        replace: &["YIELD_VALUE", "1"],
        accepted: true,
        prints: "[1, 2]",
    },
    Case {
        name: "yield_past",
        versions: &["3.13", "3.14"],
        source: GEN,
        find: &["YIELD_VALUE", "0"],
        replace: &["YIELD_VALUE", "2"],
        accepted: false,
        prints: "[]",
    },
    Case {
        name: "yield_returns",
        versions: &["3.13", "3.14"],
        source: GEN,
        find: &["YIELD_VALUE", "0"],
        replace: &["YIELD_VALUE", "7"],
        accepted: false,
        prints: "[]",
    },
    // 3.15 keeps the generator's state in other numbers: 3 leaves it
    // "executing".
    Case {
        name: "yield_past_315",
        versions: &["3.15"],
        source: GEN,
        find: &["YIELD_VALUE", "0"],
        replace: &["YIELD_VALUE", "3"],
        accepted: false,
        prints: "generator already executing",
    },
    // The mark that lets close() skip throwing into a generator, on a
    // yield inside try/finally: the finally block no longer runs.
    Case {
        name: "close_control",
        versions: &["3.12", "3.13", "3.14", "3.15"],
        source: CLOSE,
        find: &["PRINT_NOTHING"],
        replace: &[],
        accepted: true,
        prints: "finally\nclosed",
    },
    // 3.12 counts the handlers in YIELD_VALUE's argument but reads it
    // nowhere: 1 changes nothing.
    Case {
        name: "close_count_312",
        versions: &["3.12"],
        source: CLOSE,
        find: &["YIELD_VALUE", "2"],
        replace: &["YIELD_VALUE", "1"],
        accepted: true,
        prints: "finally\nclosed",
    },
    Case {
        name: "close_mark_313",
        versions: &["3.13", "3.14"],
        source: CLOSE,
        find: &["RESUME", "1"],
        replace: &["RESUME", "5"],
        accepted: false,
        prints: "!finally\nclosed",
    },
    Case {
        name: "close_mark_315",
        versions: &["3.15"],
        source: CLOSE,
        find: &["RESUME", "1"],
        replace: &["RESUME", "9"],
        accepted: false,
        prints: "!finally\nclosed",
    },
    // GET_AWAITABLE: 2 names __aexit__ in its error; past it the message
    // is an await's, whatever the code was doing.
    Case {
        name: "awaitable_last",
        versions: ALL,
        source: ASYNC_WITH,
        find: &["GET_AWAITABLE", "2"],
        replace: &["GET_AWAITABLE", "2"],
        accepted: true,
        prints: "__aexit__",
    },
    Case {
        name: "awaitable_past",
        versions: ALL,
        source: AWAIT,
        find: &["GET_AWAITABLE", "0"],
        replace: &["GET_AWAITABLE", "3"],
        accepted: false,
        prints: "await",
    },
    // IS_OP: 1 negates; 2 makes every answer true.
    Case {
        name: "is_last",
        versions: ALL,
        source: IS,
        find: &["IS_OP", "1"],
        replace: &["IS_OP", "1"],
        accepted: true,
        prints: "True",
    },
    Case {
        name: "is_past",
        versions: ALL,
        source: "a = 1\nprint(a is not a)\n",
        find: &["IS_OP", "1"],
        replace: &["IS_OP", "2"],
        accepted: false,
        prints: "True",
    },
    // RAISE_VARARGS: 2 is `raise ... from`; 3.11-3.13 refuse 3 with a
    // SystemError, and 3.14 crashes on it (seen under pyodide, where the
    // crash would take the other programs with it, so not run there).
    Case {
        name: "raise_last",
        versions: ALL,
        source: RAISE,
        find: &["RAISE_VARARGS", "2"],
        replace: &["RAISE_VARARGS", "2"],
        accepted: true,
        prints: "KeyError",
    },
    Case {
        name: "raise_past",
        versions: &["3.11", "3.12", "3.13"],
        source: RAISE,
        find: &["RAISE_VARARGS", "2"],
        replace: &["RAISE_VARARGS", "3"],
        accepted: false,
        prints: "SystemError",
    },
    // FORMAT_VALUE: 7 is ascii with a spec.
    Case {
        name: "format_last",
        versions: &["3.11", "3.12"],
        source: FMT,
        find: &["FORMAT_VALUE", "ascii", "spec"],
        replace: &["FORMAT_VALUE", "#7"],
        accepted: true,
        prints: "'\\xe9'|",
    },
    // COMPARE_OP's mask (3.12+): with the mask of `<` the specialized
    // comparison of ints agrees with the generic one; with every outcome
    // bit set it answers True once the function has warmed up.
    Case {
        name: "compare_mask_right",
        versions: &["3.12", "3.13", "3.14", "3.15"],
        source: LESS,
        find: &["COMPARE_OP"],
        replace: &["COMPARE_OP", "#2"],
        accepted: true,
        prints: "500",
    },
    Case {
        name: "compare_mask_wrong",
        versions: &["3.12", "3.13", "3.14", "3.15"],
        source: LESS,
        find: &["COMPARE_OP"],
        replace: &["COMPARE_OP", "#15"],
        accepted: false,
        prints: "!500",
    },
    // BUILD_INTERPOLATION (3.14+): the conversion times 4 (ascii, 3, is
    // the last); from 16 on the interpreter refuses it.
    Case {
        name: "interpolation_last",
        versions: &["3.14", "3.15"],
        source: TEMPLATE,
        find: &["BUILD_INTERPOLATION"],
        replace: &["BUILD_INTERPOLATION", "14"],
        accepted: true,
        prints: "a",
    },
    Case {
        name: "interpolation_past",
        versions: &["3.14", "3.15"],
        source: TEMPLATE,
        find: &["BUILD_INTERPOLATION"],
        replace: &["BUILD_INTERPOLATION", "18"],
        accepted: false,
        prints: "SystemError",
    },
    // Last values the compiler itself writes, running as documented.
    Case {
        name: "contains_last",
        versions: ALL,
        source: "a = 1\nb = (2, 3)\nprint(a not in b)\n",
        find: &["CONTAINS_OP", "1"],
        replace: &["CONTAINS_OP", "1"],
        accepted: true,
        prints: "True",
    },
    Case {
        name: "slice_last",
        versions: ALL,
        source: "a = 1\nb = 8\nc = 3\nprint('abcdefgh'[a:b:c])\n",
        find: &["BUILD_SLICE", "3"],
        replace: &["BUILD_SLICE", "3"],
        accepted: true,
        prints: "beh",
    },
    Case {
        name: "call_ex_last",
        versions: &["3.11", "3.12", "3.13"],
        source: "a = (1,)\nk = {'sep': '-'}\nprint(*a, 2, **k)\n",
        find: &["CALL_FUNCTION_EX", "1"],
        replace: &["CALL_FUNCTION_EX", "1"],
        accepted: true,
        prints: "1-2",
    },
    Case {
        name: "convert_last",
        versions: BOOL_TESTS,
        source: FMT,
        find: &["CONVERT_VALUE"],
        replace: &["CONVERT_VALUE", "#3"],
        accepted: true,
        prints: "'\\xe9'|",
    },
    Case {
        name: "get_iter_last_315",
        versions: &["3.15"],
        source: "def g():\n    yield from (1, 2)\nprint(list(g()))\n",
        find: &["GET_ITER", "3"],
        replace: &["GET_ITER", "3"],
        accepted: true,
        prints: "[1, 2]",
    },
    // LOAD_SMALL_INT: 3.14 keeps the ints 0 to 256, 3.15 0 to 1024; the
    // next reads past them.
    Case {
        name: "small_int_last",
        versions: &["3.14"],
        source: "print(5)\n",
        find: &["LOAD_SMALL_INT", "5"],
        replace: &["LOAD_SMALL_INT", "256"],
        accepted: true,
        prints: "256",
    },
    Case {
        name: "small_int_past",
        versions: &["3.14"],
        source: "print(5)\n",
        find: &["LOAD_SMALL_INT", "5"],
        replace: &["LOAD_SMALL_INT", "257"],
        accepted: false,
        prints: "!257",
    },
    Case {
        name: "small_int_last_315",
        versions: &["3.15"],
        source: "print(5)\n",
        find: &["LOAD_SMALL_INT", "5"],
        replace: &["LOAD_SMALL_INT", "1024"],
        accepted: true,
        prints: "1024",
    },
    Case {
        name: "small_int_past_315",
        versions: &["3.15"],
        source: "print(5)\n",
        find: &["LOAD_SMALL_INT", "5"],
        replace: &["LOAD_SMALL_INT", "1025"],
        accepted: false,
        prints: "!1025",
    },
    // Truth tests: 3.12 asks an int its truth; 3.13+ compare with False
    // by identity, so a jump on 0 without TO_BOOL goes the wrong way.
    Case {
        name: "jump_without_to_bool_312",
        versions: &["3.11", "3.12"],
        source: ZERO,
        find: &["LOAD_NAME", "x"],
        replace: &["LOAD_CONST", "0"],
        accepted: true,
        prints: "no",
    },
    Case {
        name: "jump_with_to_bool",
        versions: BOOL_TESTS,
        source: ZERO,
        find: &["LOAD_NAME", "x"],
        replace: &["LOAD_CONST", "0"],
        accepted: true,
        prints: "no",
    },
];

/// The second change of cases that need two: 3.13+'s jump without its
/// `TO_BOOL`, which the verifier refuses once it sees the int.
const WITHOUT_TO_BOOL: Case = Case {
    name: "jump_without_to_bool",
    versions: BOOL_TESTS,
    source: ZERO,
    find: &["LOAD_NAME", "x"],
    replace: &["LOAD_CONST", "0"],
    accepted: false,
    prints: "yes",
};

fn change(text: &str, find: &[&str], replace: &[&str]) -> Option<String> {
    let mut done = false;
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // The first word may be a position.
        let at = words
            .iter()
            .position(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
        let hit = !done
            && at.is_some_and(|k| {
                words.len() >= k + find.len() && words[k..k + find.len()] == *find
            });
        if hit {
            done = true;
            if !replace.is_empty() {
                let k = at.unwrap_or(0);
                out.push_str(&words[..k].join(" "));
                out.push_str("    ");
                out.push_str(&replace.join(" "));
                out.push('\n');
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    done.then_some(out)
}

/// The text of `case` for `version`: `base`'s disassembly changed, and
/// for the jump without `TO_BOOL`, that line removed too.
fn text_of(case: &Case, base: &str, drop_to_bool: bool) -> String {
    if case.replace.is_empty() && !drop_to_bool && !base.contains(case.find[0]) {
        // A control: the compiled program as it is.
        return base.to_string();
    }
    let t = change(base, case.find, case.replace)
        .unwrap_or_else(|| panic!("{}: no line starts {:?} in\n{base}", case.name, case.find));
    if drop_to_bool {
        change(&t, &["TO_BOOL"], &[]).expect("a TO_BOOL to drop")
    } else {
        t
    }
}

fn trial(version: &str) {
    if version >= "3.14" && !common::has_pyodide(version) {
        panic!("the pinned pyodide build of {version} is missing (npm ci --prefix tests)");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    let pyc = dir.path().join("pyc");
    std::fs::create_dir_all(&src).expect("mkdir");
    let mut cases: Vec<(&Case, bool)> = CASES
        .iter()
        .filter(|c| c.versions.contains(&version))
        .map(|c| (c, false))
        .collect();
    if WITHOUT_TO_BOOL.versions.contains(&version) {
        cases.push((&WITHOUT_TO_BOOL, true));
    }
    for (c, _) in &cases {
        std::fs::write(src.join(format!("{}.py", c.name)), c.source).expect("write");
    }
    run(&mut py_script(version, "compile_tree.py", &[&src, &pyc]));
    let mut built = Vec::new();
    for (c, drop) in &cases {
        let compiled = pyc.join(format!("{}.pyc", c.name));
        let base = run(pyasm().arg("dis").arg(&compiled));
        let text = text_of(c, &base, *drop);
        let asm = dir.path().join(format!("{}.pyasm", c.name));
        std::fs::write(&asm, &text).expect("write");
        let check = pyasm()
            .arg("check")
            .arg(&asm)
            .output()
            .expect("pyasm check");
        let report = String::from_utf8_lossy(&check.stdout).into_owned()
            + &String::from_utf8_lossy(&check.stderr);
        assert_eq!(
            check.status.success(),
            c.accepted,
            "{version} {}: check {}:\n{report}\n{text}",
            c.name,
            if c.accepted {
                "refused it"
            } else {
                "accepted it"
            }
        );
        let out = dir.path().join(format!("{}.pyc", c.name));
        run(pyasm()
            .args(["build", "--no-verify"])
            .arg(&asm)
            .arg("-o")
            .arg(&out));
        built.push(out);
    }
    let args: Vec<&Path> = built.iter().map(|p| p.as_path()).collect();
    let report = run(&mut py_script(version, "run_each.py", &args));
    for (c, _) in &cases {
        let head = format!("== {}.pyc\n", c.name);
        let start = report
            .find(&head)
            .unwrap_or_else(|| panic!("{} missing:\n{report}", c.name))
            + head.len();
        let end = report[start..]
            .find("\n== ")
            .map_or(report.len(), |e| start + e + 1);
        let printed = &report[start..end];
        println!("{version} {}: {}", c.name, printed.trim());
        if let Some(right) = c.prints.strip_prefix('!') {
            // Any answer but the right one (how many calls of a compare
            // run specialized depends on the version's warm-up).
            assert!(
                printed.trim() != right,
                "{version} {}: past the range, still {printed}",
                c.name
            );
        } else {
            assert!(
                printed.contains(c.prints),
                "{version} {}: expected {:?}, printed {printed:?}",
                c.name,
                c.prints
            );
        }
    }
}

#[test]
fn v3_11() {
    trial("3.11");
}

#[test]
fn v3_12() {
    trial("3.12");
}

#[test]
fn v3_13() {
    trial("3.13");
}

#[test]
fn v3_14() {
    trial("3.14");
}

#[test]
fn v3_15() {
    trial("3.15");
}

/// The mutant runner's oracle for mutants that promise the unmutated
/// behaviour: a `TO_BOOL` removed before a jump on `0` (which the verifier
/// cannot see: the value comes from a name) is a misrun in 3.13+, and the
/// original compared with itself is not.
fn misrun_oracle(version: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    let pyc = dir.path().join("pyc");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("m.py"),
        ZERO.replace("print('yes')", "y = 1")
            .replace("print('no')", "z = 2"),
    )
    .expect("write");
    run(&mut py_script(version, "compile_tree.py", &[&src, &pyc]));
    let orig = pyc.join("m.pyc");
    let base = run(pyasm().arg("dis").arg(&orig));
    let asm = dir.path().join("mutant.pyasm");
    std::fs::write(&asm, change(&base, &["TO_BOOL"], &[]).expect("a TO_BOOL")).expect("write");
    let mutant = dir.path().join("mutant.pyc");
    // The verifier accepts it: the value's kind is unknown.
    run(pyasm().arg("build").arg(&asm).arg("-o").arg(&mutant));
    let list = dir.path().join("list.tsv");
    let results = dir.path().join("results.tsv");
    std::fs::write(
        &list,
        format!(
            "1\t{m}\tjson\t{o}\n2\t{o}\tjson\t{o}\n",
            m = mutant.display(),
            o = orig.display()
        ),
    )
    .expect("write");
    let runner = if common::interp::native(version).is_some() {
        py_script(version, "mutants.py", &[Path::new("run"), &list, &results])
    } else {
        let mut c = std::process::Command::new("node");
        c.arg(common::interp::root().join("tests/pyodide/mutants.mjs"))
            .arg(version)
            .arg(&list)
            .arg(&results);
        c
    };
    let mut runner = runner;
    run(&mut runner);
    let got = std::fs::read_to_string(&results).expect("results");
    let outcome = |id: &str| {
        got.lines()
            .find(|l| l.split('\t').next() == Some(id))
            .and_then(|l| l.split('\t').nth(1))
            .unwrap_or("none")
            .to_string()
    };
    assert_eq!(outcome("1"), "misrun", "{version}:\n{got}");
    assert_eq!(outcome("2"), "ok", "{version}:\n{got}");
}

#[test]
fn misrun_oracle_3_13() {
    misrun_oracle("3.13");
}

#[test]
fn misrun_oracle_3_14() {
    misrun_oracle("3.14");
}
