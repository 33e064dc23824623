//! The module as JSON (`pyasm dis --format json`, `pyasm build FILE.json`,
//! `src/json.rs`) beyond what the corpora show (`round_trip::V` in
//! tests/versions.rs sends every corpus of every version through JSON):
//! typed constants the compiler cannot write survive exactly; a document
//! with an error gets a diagnostic naming its JSON pointer; every document
//! emitted here validates against docs/pyasm.schema.json under the
//! `jsonschema` package.

mod common;

use common::interp::{identical, py_script, pyasm, python311, run, schema_valid};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A module whose constants the compiler cannot write (a NaN with a
/// payload, a frozenset inside a frozenset) beside ones it can (a big int,
/// -0.0, a lone surrogate, bytes), as a `.pyc` the real 3.11 writes.
const TYPED: &str = r#"
import importlib.util, marshal, struct, sys
src = '''
BIG = -123456789012345678901234567890123456789012345678901234567890
NEG = -0.0
S = '\\udc80a\\ud800'
B = b'\\x00\\xff\\x10'
def f(x):
    return x in {1, 2, 3}
'''
code = compile(src, 'typed.py', 'exec')
nan = struct.unpack('<d', bytes.fromhex('0100000000fcff7f'))[0]
nested = frozenset({1, frozenset({2, (3, frozenset({4}))})})
code = code.replace(co_consts=code.co_consts + (nan, nested, 1+2j))
data = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)
open(sys.argv[1], 'wb').write(data)
"#;

fn typed_pyc(dir: &Path) -> PathBuf {
    let orig = dir.join("orig");
    std::fs::create_dir_all(&orig).unwrap();
    let pyc = orig.join("typed.pyc");
    run(Command::new(python311()).args(["-c", TYPED]).arg(&pyc));
    pyc
}

#[test]
fn typed_constants_round_trip_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let pyc = typed_pyc(tmp.path());
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let doc = docs.join("typed.json");
    run(pyasm()
        .args(["dis", "--format", "json"])
        .arg(&pyc)
        .arg("-o")
        .arg(&doc));
    let text = std::fs::read_to_string(&doc).unwrap();
    let compact: String = text.split_whitespace().collect();
    for typed in [
        r#"{"int":"-123456789012345678901234567890123456789012345678901234567890"}"#,
        r#"{"float":{"bits":"0x8000000000000000","value":"-0.0"}}"#,
        r#"{"float":{"bits":"0x7ffffc0000000001","value":"NaN"}}"#,
        r#"{"str":{"code_points":[56448,97,55296]}}"#,
        r#"{"bytes":"00ff10"}"#,
        r#"{"tuple":[{"int":"3"},{"frozenset":[{"int":"4"}]}]}"#,
        r#"{"code":"f"}"#,
    ] {
        assert!(compact.contains(typed), "{typed} not in\n{text}");
    }
    // The nested frozensets (in the order the set iterates): three levels
    // and `x in {1, 2, 3}`'s one.
    assert_eq!(compact.matches(r#"{"frozenset":["#).count(), 4, "{text}");
    let rebuilt = tmp.path().join("rebuilt");
    run(pyasm()
        .arg("build")
        .arg(&doc)
        .arg("-o")
        .arg(rebuilt.join("typed.pyc")));
    let report = run(&mut py_script(
        "3.11",
        "compare_pyc.py",
        &[&pyc.with_file_name(""), &rebuilt],
    ));
    assert_eq!(identical(&report), (1, 1), "{report}");
    // `pyasm diff` reads the document as the module it is.
    let same = pyasm().arg("diff").arg(&pyc).arg(&doc).output().unwrap();
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    let (report, counts) = schema_valid(&docs);
    assert_eq!(counts, (1, 1), "{report}");
}

/// Edits the typed module's document with `edit` and returns what `pyasm
/// build` printed on stderr, failing unless it refused to build.
fn refused(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let pyc = typed_pyc(tmp.path());
    let out = run(pyasm().args(["dis", "--format", "json"]).arg(&pyc));
    let mut doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    edit(&mut doc);
    let path = tmp.path().join("bad.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let r = pyasm()
        .arg("build")
        .arg(&path)
        .arg("-o")
        .arg(tmp.path().join("bad.pyc"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    assert!(!tmp.path().join("bad.pyc").exists());
    String::from_utf8_lossy(&r.stderr).into_owned()
}

#[test]
fn errors_name_their_json_pointer() {
    // A misspelt opcode, where lowering-from-JSON finds it.
    let err = refused(|d| d["blocks"][0]["body"][2]["op"] = "LOAD_CONTS".into());
    assert!(
        err.contains("error[unknown-opcode]") && err.contains("(at /blocks/0/body/2/op)"),
        "{err}"
    );
    assert!(err.contains("did you mean `LOAD_CONST`?"), "{err}");
    // A jump to a label no line defines, where the assembler finds it.
    let err = refused(|d| {
        let body = d["blocks"][1]["body"].as_array_mut().unwrap();
        let k = body.iter().position(|s| s["op"] == "RETURN_VALUE").unwrap();
        body[k] = serde_json::json!({"op": "JUMP_FORWARD", "arg": {"label": "nowhere"}});
    });
    assert!(
        err.contains("nowhere") && err.contains("/blocks/1/body/"),
        "{err}"
    );
    assert!(err.contains("/arg)"), "{err}");
    // A misspelt member is refused by name, not left out.
    let err = refused(|d| d["blocks"][0]["body"][1]["args"] = serde_json::json!({"value": 1}));
    assert!(
        err.contains("unknown field `args`, expected one of `label`, `op`, `arg`")
            && err.contains("(at /blocks/0/body/1/args)"),
        "{err}"
    );
    // A constant's value the model cannot hold.
    let err = refused(|d| {
        d["blocks"][0]["consts"] = serde_json::json!([{"bytes": "0g"}]);
    });
    assert!(err.contains("(at /blocks/0/consts/0/bytes)"), "{err}");
}

/// `check --format json` of a document: the diagnostic object of a text's
/// check (and of the language server: message with its help), placed by a
/// JSON pointer.
#[test]
fn check_prints_the_diagnostic_object_with_a_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.json");
    let doc = serde_json::json!({"format": "pyasm-module", "python": "3.12", "blocks": [
        {"name": "module", "body": [{"op": "RETRUN_VALUE"}]}]});
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = pyasm()
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let mut keys: Vec<&str> = line
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "code",
            "column",
            "end_column",
            "end_line",
            "line",
            "message",
            "path",
            "pointer",
            "related",
            "severity"
        ]
    );
    assert_eq!(line["pointer"], "/blocks/0/body/0/op");
    // The member `"op": "RETRUN_VALUE"` in the document's one line.
    let member = r#""op":"RETRUN_VALUE""#;
    let at = doc.to_string().find(member).unwrap() + 1;
    assert_eq!((&line["line"], &line["column"]), (&1.into(), &at.into()));
    assert_eq!(line["end_column"], at + member.len());
    assert_eq!(line["code"], "unknown-opcode");
    assert_eq!(line["severity"], "error");
    let message = line["message"].as_str().unwrap();
    assert!(
        message.ends_with("\nhelp: did you mean `RETURN_VALUE`?"),
        "{message}"
    );
}

/// A module whose one constant is `k` tuples around an int.
fn nested(k: usize) -> String {
    format!(
        ".python 3.11\n.code module\n    LOAD_CONST {}1{}\n    RETURN_VALUE\n",
        "(".repeat(k),
        ",)".repeat(k)
    )
}

/// Runs `pyasm build IN -o OUT` in `dir` and returns its exit status and
/// stderr.
fn build_in(dir: &Path, input: &str, output: &str) -> (Option<i32>, String) {
    let r = pyasm()
        .arg("build")
        .arg(dir.join(input))
        .arg("-o")
        .arg(dir.join(output))
        .output()
        .unwrap();
    (
        r.status.code(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    )
}

/// JSON reads back a constant as deep as marshal's limit
/// (`pyasm::marshal::MAX_DEPTH` counts the code object, its constants
/// tuple and the int innermost), far past serde_json's own 128 levels; one
/// level deeper is refused by the assembler with its pointer, as the text
/// is; and a document of a million `[` is an error, not a crash.
#[test]
fn constants_as_deep_as_marshal_reads_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let k = pyasm::marshal::MAX_DEPTH - 3;
    std::fs::write(dir.join("deepest.pyasm"), nested(k)).unwrap();
    assert_eq!(build_in(dir, "deepest.pyasm", "deepest.pyc").0, Some(0));
    run(pyasm()
        .args(["dis", "--format", "json"])
        .arg(dir.join("deepest.pyc"))
        .arg("-o")
        .arg(dir.join("deepest.json")));
    let (status, err) = build_in(dir, "deepest.json", "again.pyc");
    assert_eq!(status, Some(0), "{err}");
    let (a, b) = (
        std::fs::read(dir.join("deepest.pyc")).unwrap(),
        std::fs::read(dir.join("again.pyc")).unwrap(),
    );
    assert!(a == b, "the deepest constant changed through JSON");

    // One level deeper: the text lowers it, and its JSON reads, but
    // neither builds.
    std::fs::write(dir.join("deeper.pyasm"), nested(k + 1)).unwrap();
    let (status, err) = build_in(dir, "deeper.pyasm", "deeper.pyc");
    assert!(
        status == Some(1) && err.contains("error[too-deep]"),
        "{err}"
    );
    run(pyasm()
        .args(["dis", "--format", "json"])
        .arg(dir.join("deeper.pyasm"))
        .arg("-o")
        .arg(dir.join("deeper.json")));
    let (status, err) = build_in(dir, "deeper.json", "deeper.pyc");
    assert_eq!(status, Some(1), "{err}");
    assert!(
        err.contains("error[too-deep]")
            && err.contains(&format!(
                "nests {} levels deep",
                pyasm::marshal::MAX_DEPTH + 1
            ))
            && err.contains("(at /blocks/0)"),
        "{err}"
    );

    // Deeper than any module: refused before serde reads it (which would
    // recurse a million times), with the pointer where it goes too deep.
    let tuples = format!(
        r#"{{"format": "pyasm-module", "python": "3.11", "blocks": [{{"name": "m", "consts": [{}"#,
        r#"{"tuple": ["#.repeat(500_000)
    );
    for (name, doc, at) in [
        ("tuples.json", tuples, "/blocks/0/consts/0/tuple/0/tuple/0/"),
        ("brackets.json", "[".repeat(1_000_000), "/0/0/0/"),
    ] {
        std::fs::write(dir.join(name), doc).unwrap();
        let (status, err) = build_in(dir, name, "never.pyc");
        assert_eq!(status, Some(1), "{err}");
        let deep = format!(
            "nests more than {} arrays and objects deep",
            pyasm::json::MAX_NESTING
        );
        assert!(
            err.contains(&deep) && err.contains(&format!("(at {at}")),
            "{err}"
        );
    }
}

/// A document that does not follow the schema is refused with one error
/// naming the member at fault: its JSON pointer, what was expected, and the
/// line and column where the member is, under `check --format json` as on
/// any diagnostic.
#[test]
fn a_document_off_the_schema_names_the_member_at_fault() {
    let tmp = tempfile::tempdir().unwrap();
    let good = serde_json::json!({"format": "pyasm-module", "python": "3.11", "blocks": [
        {"name": "module", "firstlineno": 1, "consts": [{"int": "1"}],
         "body": [{"op": "RESUME", "arg": {"value": 0}},
                  {"op": "LOAD_CONST", "arg": {"value": 0}},
                  {"op": "RETURN_VALUE"}]}]});
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str, &str); 5] = [
        (
            "a field of the wrong type",
            |d| d["blocks"][0]["firstlineno"] = "one".into(),
            "/blocks/0/firstlineno",
            r#"invalid type: string "one", expected i32"#,
        ),
        (
            "an unknown member of an instruction",
            |d| d["blocks"][0]["body"][1]["const"] = 0.into(),
            "/blocks/0/body/1/const",
            "unknown field `const`, expected one of `label`, `op`, `arg`, `pos`, `min_ext`",
        ),
        (
            "a constant with a bad tag",
            |d| d["blocks"][0]["consts"][0] = serde_json::json!({"tupel": []}),
            "/blocks/0/consts/0/tupel",
            "unknown variant `tupel`, expected one of `None`",
        ),
        (
            "an opcode that is neither a name nor a number",
            |d| d["blocks"][0]["body"][2]["op"] = true.into(),
            "/blocks/0/body/2/op",
            "expected an opcode's name, or its number from 0 to 255",
        ),
        (
            "an instruction without an opcode",
            |d| d["blocks"][0]["body"][2] = serde_json::json!({"pos": {"line": 1}}),
            "/blocks/0/body/2",
            "missing field `op`",
        ),
    ];
    let path = tmp.path().join("doc.json");
    std::fs::write(&path, serde_json::to_string_pretty(&good).unwrap()).unwrap();
    let out = pyasm().args(["check"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for (what, edit, pointer, expected) in cases {
        let mut doc = good.clone();
        edit(&mut doc);
        let text = serde_json::to_string_pretty(&doc).unwrap();
        std::fs::write(&path, &text).unwrap();
        let out = pyasm()
            .args(["check", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{what}: {out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line: serde_json::Value =
            serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{what}: {e}: {stdout}"));
        assert_eq!(line["pointer"], pointer, "{what}: {line}");
        assert_eq!(line["code"], "json", "{what}: {line}");
        let message = line["message"].as_str().unwrap();
        assert!(message.contains(expected), "{what}: {message}");
        // The line the member's key (or element) starts on.
        let last = pointer.rsplit('/').next().unwrap();
        let shown = text
            .lines()
            .nth(line["line"].as_u64().unwrap() as usize - 1)
            .unwrap();
        let col = line["column"].as_u64().unwrap() as usize;
        assert!(
            last.parse::<usize>().is_ok() || shown[col - 1..].starts_with(&format!("\"{last}\"")),
            "{what}: line {shown:?}, column {col}"
        );
    }
}

/// `pyasm dis` converts one form into the other without building: the
/// typed module's JSON printed as text is its disassembly, and that text
/// printed as JSON is the same document; `--help` says what it reads.
#[test]
fn dis_converts_between_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let pyc = typed_pyc(tmp.path());
    let (text, doc) = (tmp.path().join("m.pyasm"), tmp.path().join("m.json"));
    run(pyasm().arg("dis").arg(&pyc).arg("-o").arg(&text));
    run(pyasm()
        .args(["dis", "--format", "json"])
        .arg(&pyc)
        .arg("-o")
        .arg(&doc));
    assert_eq!(
        run(pyasm().arg("dis").arg(&doc)),
        std::fs::read_to_string(&text).unwrap()
    );
    assert_eq!(
        run(pyasm().args(["dis", "--format", "json"]).arg(&text)),
        std::fs::read_to_string(&doc).unwrap()
    );
    // A directory of documents, named by --from.
    let dir = tmp.path().join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&doc, dir.join("m.json")).unwrap();
    let out = tmp.path().join("out");
    run(pyasm()
        .args(["dis", "--from", "json"])
        .arg(&dir)
        .arg("-o")
        .arg(&out));
    assert_eq!(
        std::fs::read_to_string(out.join("m.pyasm")).unwrap(),
        std::fs::read_to_string(&text).unwrap()
    );
    let help = run(pyasm().args(["dis", "--help"]));
    let first = help.lines().next().unwrap();
    assert!(
        first.contains(".pyc") && first.contains(".pyasm") && first.contains(".json"),
        "{help}"
    );
    assert!(help.contains("--from"), "{help}");
}
