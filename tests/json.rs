//! The module as JSON (`pyasm dis --format json`, `pyasm build FILE.json`,
//! `src/json.rs`): the round trip `.pyc -> JSON -> .pyc` is identical on
//! the 3.11 corpus (the CPython 3.11 standard library compiled by 3.11, as
//! `round_trip::3.11` in tests/versions.rs uses it), judged by the real
//! interpreter; JSON -> text -> JSON is stable on it; typed constants the
//! compiler cannot write survive exactly; a document with an error gets a
//! diagnostic naming its JSON pointer; every document emitted here
//! validates against docs/pyasm.schema.json under the `jsonschema` package.

mod common;

use common::interp::{
    identical, py_script, pyasm, pyasm_checked, python311, root, run, stdlib_311,
};
use pyasm::versions::Version;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Checks every emitted document in `dir` against the schema with the
/// `jsonschema` package (tests/json/requirements.txt) and returns what the
/// script printed (`valid N/M`).
fn validate(dir: &Path) -> String {
    let schema = root().join("docs/pyasm.schema.json");
    // The python3.11 on PATH, where tests/run-all.sh installs the package.
    run(Command::new("python3.11")
        .arg(root().join("tests/py/validate_json.py"))
        .arg(schema)
        .arg(dir))
}

fn valid(report: &str) -> (usize, usize) {
    let line = report
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("valid "))
        .unwrap_or_else(|| panic!("no `valid N/M` line in:\n{report}"));
    let (a, b) = line.split_once('/').unwrap();
    (a.trim().parse().unwrap(), b.trim().parse().unwrap())
}

/// JSON -> text -> JSON, in-process: the document read back, printed as
/// text, and the text lowered, gives the same document.
fn text_and_back(doc: &str) -> Result<(), String> {
    let (module, _, diags) = pyasm::json::from_json(doc)?;
    if !diags.is_empty() {
        return Err(format!("{diags:?}"));
    }
    let text = pyasm::dis::print::print_module(&module);
    let tree = pyasm::syntax::parse(&text, None);
    let lowered = pyasm::syntax::lower::lower(&text, &tree, Version::V3_11);
    if !lowered.diags.is_empty() {
        return Err(format!("the printed text lowers with {:?}", lowered.diags));
    }
    if pyasm::json::to_json(&lowered.module)? != doc {
        return Err("JSON -> text -> JSON changed the document".into());
    }
    Ok(())
}

/// Every file under `dir` whose name ends in `.{ext}`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

/// The corpus through the `checked` binary, as `round_trip::3.11` sends it
/// through text: `pyasm dis --format json` and `pyasm build --format json`
/// of the whole tree, then the interpreter's comparison.
#[test]
fn corpus_311_round_trips_through_json() {
    let tmp = tempfile::tempdir().unwrap();
    let orig = tmp.path().join("orig");
    let json = tmp.path().join("json");
    let rebuilt = tmp.path().join("rebuilt");
    let sample = tmp.path().join("sample");
    std::fs::create_dir_all(&sample).unwrap();
    let compiled = run(&mut py_script(
        "3.11",
        "compile_tree.py",
        &[
            Path::new(&stdlib_311()),
            &orig,
            Path::new("--exclude"),
            Path::new("site-packages"),
        ],
    ));
    let compiled = compiled.lines().last().unwrap_or("").trim().to_string();
    run(pyasm_checked()
        .args(["dis", "--format", "json"])
        .arg(&orig)
        .arg("-o")
        .arg(&json));
    run(pyasm_checked()
        .args(["build", "--format", "json"])
        .arg(&json)
        .arg("-o")
        .arg(&rebuilt));
    let out = py_script("3.11", "compare_pyc.py", &[&orig, &rebuilt])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let (n, m) = identical(&report);
    println!("3.11 cpython311 through JSON: {compiled} -> identical {n}/{m}");
    let docs = files(&json, "json");
    assert!(
        n == m && m == docs.len() && m >= 1500,
        "{} documents\n{report:.2000}",
        docs.len()
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(pyasm::WORK_STACK)
        .start_handler(|_| pyasm::on_work_stack())
        .build()
        .unwrap();
    let failures: Vec<String> = pool.install(|| {
        docs.par_iter()
            .enumerate()
            .filter_map(|(k, f)| {
                let doc = std::fs::read_to_string(f).unwrap();
                // A sample for the schema (all of them would take the
                // validator minutes): every 100th.
                if k % 100 == 0 {
                    std::fs::write(sample.join(format!("{k}.json")), &doc).unwrap();
                }
                text_and_back(&doc)
                    .err()
                    .map(|e| format!("{}: {e}", f.display()))
            })
            .collect()
    });
    println!(
        "JSON -> text -> JSON stable: {}/{}",
        docs.len() - failures.len(),
        docs.len()
    );
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let report = validate(&sample);
    println!("schema, every 100th corpus document: {report}");
    let (v, all) = valid(&report);
    assert!(v == all && all >= docs.len() / 100, "{report}");
}

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
    let report = validate(&docs);
    assert_eq!(valid(&report), (1, 1), "{report}");
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
    // A misspelt member is refused, not left out.
    let err = refused(|d| d["blocks"][0]["body"][1]["args"] = serde_json::json!({"value": 1}));
    assert!(err.contains("did not match any variant"), "{err}");
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
        ["code", "message", "path", "pointer", "related", "severity"]
    );
    assert_eq!(line["pointer"], "/blocks/0/body/0/op");
    assert_eq!(line["code"], "unknown-opcode");
    assert_eq!(line["severity"], "error");
    let message = line["message"].as_str().unwrap();
    assert!(
        message.ends_with("\nhelp: did you mean `RETURN_VALUE`?"),
        "{message}"
    );
}
