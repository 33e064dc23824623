//! The dialect of 3.7-3.10 (issue 22): what their code objects lack is
//! refused with one error each, and a program written with labels for
//! its jumps and `SETUP_*` handlers, two-word comparisons and a closure
//! builds and runs in each version's real interpreter. (The corpus round
//! trips are `round_trip::V` in tests/versions.rs.)

mod common;

use common::interp::{native, pyasm, run};
use pyasm::api::{check, TextOptions};

fn errors(text: &str) -> Vec<String> {
    check(text, &TextOptions::default())
        .diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn fields_a_version_lacks_are_refused() {
    let cases = [
        ("3.10", ".qualname 'f'", "has no co_qualname"),
        ("3.9", ".except a b -> c", "has no exception table"),
        ("3.10", ".exceptiontable b''", "has no exception table"),
        ("3.11", ".nlocals 3", "co_localsplusnames"),
        ("3.12", ".cellvars x", "co_localsplusnames"),
    ];
    for (version, line, why) in cases {
        let text = format!(
            ".python {version}\n.code m\n    {line}\n    LOAD_CONST None\n    RETURN_VALUE\n"
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{version} {line}: {e:?}");
        assert!(e[0].contains(why), "{version} {line}: {e:?}");
    }
    // The same fields are fine where the version has them.
    let ok = ".python 3.10\n.code m\n    .nlocals 0\n    .cellvars\n    LOAD_CONST None\n    RETURN_VALUE\n";
    assert_eq!(errors(ok), Vec::<String>::new());
}

/// The JSON form refuses the same fields.
#[test]
fn json_refuses_fields_a_version_lacks() {
    let tmp = tempfile::tempdir().unwrap();
    let body =
        r#""body": [{"op": "LOAD_CONST", "arg": {"const": "None"}}, {"op": "RETURN_VALUE"}]"#;
    for (version, field, value) in [
        ("3.10", "qualname", r#""m""#),
        (
            "3.9",
            "excepts",
            r#"[{"start": "a", "end": "b", "handler": "c"}]"#,
        ),
        ("3.11", "nlocals", "2"),
    ] {
        let doc = format!(
            r#"{{"format": "pyasm-module", "python": "{version}", "blocks": [{{"name": "m", "{field}": {value}, {body}}}]}}"#
        );
        let path = tmp.path().join(format!("{field}.json"));
        std::fs::write(&path, doc).unwrap();
        let out = pyasm()
            .arg("build")
            .arg(&path)
            .arg("-o")
            .arg(tmp.path().join("x.pyc"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{version} {field}: built");
        assert!(
            err.contains(&format!(
                "`{field}`: a code object of Python {version} has no such field"
            )),
            "{version} {field}: {err}"
        );
    }
}

/// `total` counts to 5 in a loop with an absolute back jump, a `try` whose
/// handler is a `SETUP_FINALLY` label, a `break` out of the loop, and a
/// closure over a cell that is an argument.
fn program(version: &str, compare_in: &str) -> String {
    format!(
        r#".python {version}
.code module
            LOAD_CONST @outer
            LOAD_CONST 'outer'
            MAKE_FUNCTION
            STORE_NAME outer
            LOAD_NAME print
            LOAD_NAME outer
            LOAD_CONST 5
            CALL_FUNCTION 1
            CALL_FUNCTION 1
            POP_TOP
            LOAD_CONST None
            RETURN_VALUE

.code outer
    .flags OPTIMIZED NEWLOCALS
    .argcount 1
    .var n local cell
    .var total
    .var i
            LOAD_CONST 0
            STORE_FAST total
            LOAD_CONST 0
            STORE_FAST i
loop:
            LOAD_FAST i
            LOAD_CONST (0, 1, 2, 3, 4)
            {compare_in}
            POP_JUMP_IF_FALSE done
            SETUP_FINALLY handler
            LOAD_FAST total
            LOAD_CONST 1
            LOAD_FAST i
            BINARY_TRUE_DIVIDE
            BINARY_ADD
            POP_TOP
            POP_BLOCK
            JUMP_FORWARD next
handler:
            POP_TOP
            POP_TOP
            POP_TOP
            POP_EXCEPT
next:
            LOAD_FAST total
            LOAD_CONST 1
            BINARY_ADD
            STORE_FAST total
            LOAD_FAST i
            LOAD_CONST 1
            BINARY_ADD
            STORE_FAST i
            JUMP_ABSOLUTE loop
done:
            LOAD_CLOSURE n
            BUILD_TUPLE 1
            LOAD_CONST @inner
            LOAD_CONST 'outer.<locals>.inner'
            MAKE_FUNCTION closure
            LOAD_FAST total
            CALL_FUNCTION 1
            RETURN_VALUE

.code inner
    .flags OPTIMIZED NEWLOCALS NESTED
    .argcount 1
    .var t
    .var n free
            LOAD_FAST t
            LOAD_DEREF n
            BINARY_MULTIPLY
            RETURN_VALUE
"#
    )
}

#[test]
fn a_program_with_blocks_and_closures_runs_in_each_version() {
    let tmp = tempfile::tempdir().unwrap();
    // 3.8 writes `in` as COMPARE_OP's operand, 3.9 and 3.10 as CONTAINS_OP.
    // (3.7 is not read or written yet.)
    for (version, compare_in) in [
        ("3.8", "COMPARE_OP in"),
        ("3.9", "CONTAINS_OP 0"),
        ("3.10", "CONTAINS_OP 0"),
    ] {
        let Some(exe) = native(version) else {
            panic!("tests/interpreters.txt lists {version}");
        };
        let src = tmp.path().join(format!("p{version}.pyasm"));
        let pyc = tmp.path().join(format!("p{version}.pyc"));
        std::fs::write(&src, program(version, compare_in)).unwrap();
        let checked = run(pyasm().args(["check"]).arg(&src));
        assert_eq!(checked.trim(), "", "{version}: {checked}");
        run(pyasm().arg("build").arg(&src).arg("-o").arg(&pyc));
        let out = run(std::process::Command::new(&exe).arg(&pyc));
        // 0 raises ZeroDivisionError, caught: 5 rounds, times n = 5.
        assert_eq!(out.trim(), "25", "{version}");
    }
}

/// The line written on an instruction is what the interpreter reports for
/// it. In 3.9, whose `co_lnotab` records changes of line, a line written
/// again where it is already current records a change (3.6-3.8's
/// compilers write one at every statement); in 3.10, as from 3.11 on, it
/// is the instruction's own line and changes nothing. `pyasm dis` writes
/// the built code back with the same column.
#[test]
fn written_lines_are_the_lines_the_interpreter_reports() {
    let text = |version: &str| {
        format!(
            ".python {version}
.code module
    .firstlineno 1
1           LOAD_CONST 1
            POP_TOP
3           LOAD_CONST 2
            POP_TOP
3           LOAD_CONST None
            RETURN_VALUE
"
        )
    };
    let show = r#"
import dis, marshal, sys
data = open(sys.argv[1], "rb").read()
code = marshal.loads(data[16:])
table = code.co_lnotab if sys.version_info < (3, 10) else code.co_linetable
print(list(table))
print([line for _, line in dis.findlinestarts(code)])
"#;
    let tmp = tempfile::tempdir().unwrap();
    for (version, table, starts, column) in [
        ("3.9", "[4, 2, 4, 0]", "[1, 3]", "1 3 3"),
        ("3.10", "[4, 0, 8, 2]", "[1, 3]", "1 3"),
    ] {
        let exe =
            native(version).unwrap_or_else(|| panic!("tests/interpreters.txt lists {version}"));
        let src = tmp.path().join(format!("l{version}.pyasm"));
        let pyc = tmp.path().join(format!("l{version}.pyc"));
        std::fs::write(&src, text(version)).unwrap();
        run(pyasm().arg("build").arg(&src).arg("-o").arg(&pyc));
        let out = run(std::process::Command::new(&exe)
            .arg("-c")
            .arg(show)
            .arg(&pyc));
        assert_eq!(out, format!("{table}\n{starts}\n"), "{version}");
        let listing = run(pyasm().arg("dis").arg(&pyc));
        let written: Vec<&str> = listing
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(written.join(" "), column, "{version}:\n{listing}");
    }
}
