//! Every check that runs once per CPython version, from one driver. The
//! versions are `Version::ALL`, so a version added there is checked by all
//! of these at once, and fails where it lacks an interpreter instead of
//! being skipped. For each version, in its real interpreter (native or
//! pyodide, as `tests/interpreters.txt` says):
//!
//! - `opcodes::V`, for every version of `Version::TABLES` (also those not
//!   read or written yet, in the interpreter `tests/table-interpreters.txt`
//!   names): the opcode table against the interpreter's own metadata
//!   (`tests/common/mod.rs` says what is compared); where a version runs
//!   natively and also has a pinned pyodide build, `opcodes::V::pyodide`
//!   checks the table against that build too, so the two are shown to
//!   agree on everything the table holds;
//! - `marshal::V`, for every version of `Version::TABLES` that pyasm reads
//!   only at the marshal level so far (3.6 to 3.10): its own standard
//!   library compiled by its interpreter, every `.pyc` read by
//!   `pyc::read_pyc_any` and written back by `pyc::write_pyc`, then compared
//!   in that interpreter (`tests/py/compare_pyc.py`, as `round_trip::V`);
//!   inside it, `line_tables::V` (`tests/versions/line_tables.rs`): every
//!   line table of that library and of the 3.11 sources compiled by the
//!   version decoded and encoded again byte for byte, and the library's
//!   lines equal to the interpreter's;
//! - `round_trip::V`: the exact round trip (`pyasm dis`, `pyasm build`,
//!   then the interpreter compares the code objects field by field and by
//!   marshal bytes, `tests/py/compare_pyc.py`) on the CPython 3.11
//!   standard library sources (tests included) compiled by that version,
//!   and for 3.12 and later also on the version's own standard library;
//!   then the same through JSON (`pyasm dis --format json`, `pyasm build`,
//!   the same comparison), with JSON -> text -> JSON stable on every
//!   document and a sample of them valid under docs/pyasm.schema.json;
//!   `round_trip::V::pyodide` and `verifier::V::pyodide` do both again in
//!   the pinned pyodide build of a version that runs natively: another
//!   patch release (3.12.7 beside 3.12.1, 3.13.2 beside 3.13.0), whose
//!   compiler writes different code and line tables for the same sources;
//! - `verifier::V`: on the same corpora, every `.pyasm` that `pyasm dis`
//!   writes checks with zero errors; `pyasm build --recompute-stack` gives
//!   CPython's `co_stacksize` and handler depths; defects injected into
//!   real code objects are reported with their code;
//! - `mutants::V`: mutants of a few dozen standard-library modules, built
//!   with the verifier on, every accepted one run; none may crash the
//!   interpreter (the full count is `bash bench/mutants.sh`);
//! - `isolation::V`, for a version that runs in pyodide: the pyodide
//!   worker's isolation between mutants;
//! - `handwritten::V`: the programs of `tests/handwritten/V/`, written from
//!   the docs alone, are clean under `pyasm check`, build, and print exactly
//!   their `.out` (all of a version's in one interpreter process).
//!
//! The corpora are compiled and disassembled once per run, by whichever
//! check asks first, and shared. `PYASM_MUTANTS_SEED` picks other mutants,
//! `PYASM_MUTANTS_COUNT` more.

mod common;

#[path = "../bench/mutants/drive.rs"]
mod drive;
#[path = "../bench/mutants/gen.rs"]
mod gen;
#[path = "versions/line_tables.rs"]
mod line_tables;

use common::interp::{
    identical, native, py_script, pyasm_checked as pyasm, pyasm_checked_path, pyodide, root, run,
    schema_valid, stdlib_311, table_native,
};
use libtest_mimic::{Arguments, Trial};
use pyasm::versions::Version;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

fn main() {
    let args = Arguments::from_args();
    let scratch = Arc::new(tempfile::tempdir().expect("a scratch folder"));
    // Per version: the corpora of the interpreter the version runs in, and
    // of its pinned pyodide build where that is another one.
    let corpora: Arc<Vec<[OnceLock<Vec<Corpus>>; 2]>> = Arc::new(
        Version::ALL
            .iter()
            .map(|_| [OnceLock::new(), OnceLock::new()])
            .collect(),
    );
    let mut trials = Vec::new();
    // Every table, also of the versions not read or written yet.
    for &v in Version::TABLES {
        opcode_trials(v, &mut trials);
    }
    // The versions whose code objects have no localsplus (3.6-3.10): their
    // marshal layout is checked field by field against the interpreter,
    // also once pyasm reads and writes them.
    for &v in Version::TABLES.iter().filter(|v| !v.table().localsplus) {
        let s = scratch.clone();
        let trial = format!("marshal::{v}");
        trials.push(Trial::test(trial.clone(), move || {
            timed(&trial, || marshal_round_trip(v, s.path()));
            Ok(())
        }));
    }
    for (i, &v) in Version::ALL.iter().enumerate() {
        let name = v.as_str();
        // The corpus checks in the version's interpreter, and again in its
        // pyodide build where the version runs natively: another patch
        // release, whose compiler writes other code for the same sources.
        let mut interps = vec![Interp {
            version: name,
            pyodide: native(name).is_none(),
        }];
        if native(name).is_some() && common::has_pyodide(name) {
            interps.push(Interp {
                version: name,
                pyodide: true,
            });
        }
        for (slot, it) in interps.into_iter().enumerate() {
            let (s, c) = (scratch.clone(), corpora.clone());
            let trial = format!("round_trip::{}", it.trial());
            trials.push(Trial::test(trial.clone(), move || {
                let corpora = c[i][slot].get_or_init(|| make_corpora(it, s.path()));
                timed(&trial, || round_trip(it, corpora));
                Ok(())
            }));
            let (s, c) = (scratch.clone(), corpora.clone());
            let trial = format!("verifier::{}", it.trial());
            trials.push(Trial::test(trial.clone(), move || {
                let corpora = c[i][slot].get_or_init(|| make_corpora(it, s.path()));
                timed(&trial, || verifier(it, corpora));
                Ok(())
            }));
        }
        // Mutants are hostile code, which mutants.py runs under an audit
        // hook (PEP 578, 3.8 on), and 3.6-3.7 inside bubblewrap
        // (tests/run-all.sh installs it): an interpreter with neither does
        // not run them.
        if audit_hooks(name) || which("bwrap") {
            trials.push(Trial::test(format!("mutants::{name}"), move || {
                timed(&format!("mutants::{name}"), || mutants(name));
                Ok(())
            }));
        } else {
            println!(
                "mutants::{name}: the interpreter has no audit hooks to contain mutants, not run"
            );
        }
        // Every version has a hand-written set (`handwritten` fails
        // without one).
        let s = scratch.clone();
        trials.push(Trial::test(format!("handwritten::{name}"), move || {
            timed(&format!("handwritten::{name}"), || {
                handwritten(name, s.path())
            });
            Ok(())
        }));
        if native(name).is_some() && audit_hooks(name) {
            trials.push(Trial::test(format!("containment::{name}"), move || {
                timed(&format!("containment::{name}"), || containment(name));
                Ok(())
            }));
        }
        if native(name).is_none() {
            trials.push(Trial::test(format!("isolation::{name}"), move || {
                timed(&format!("isolation::{name}"), || isolation(name));
                Ok(())
            }));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    drop(corpora);
    // The scratch folder (every compiled corpus) goes before the exit.
    drop(scratch);
    conclusion.exit();
}

/// `opcodes::V`: `v`'s table against its interpreter, and against its
/// pinned pyodide build where it also has one.
fn opcode_trials(v: Version, trials: &mut Vec<Trial>) {
    let name = v.as_str();
    trials.push(Trial::test(format!("opcodes::{name}"), move || {
        timed(&format!("opcodes::{name}"), || {
            let dump = match table_native(name) {
                Some(exe) => common::dump_native(&exe.display().to_string()),
                None => common::dump_pyodide(name),
            };
            common::check_table(v, &dump);
        });
        Ok(())
    }));
    if native(name).is_some() && common::has_pyodide(name) {
        trials.push(Trial::test(
            format!("opcodes::{name}::pyodide"),
            move || {
                timed(&format!("opcodes::{name}::pyodide"), || {
                    common::check_table(v, &common::dump_pyodide(name))
                });
                Ok(())
            },
        ));
    }
}

/// Whether `version`'s interpreter has `sys.addaudithook` (pyodide builds
/// are all 3.12 and later, which do).
fn audit_hooks(version: &str) -> bool {
    native(version).is_none_or(|exe| drive::has_audit_hooks(&exe))
}

/// Whether a program is on the PATH.
fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Runs `f` and prints how long it took, so the CI log shows where the
/// minutes go.
fn timed(what: &str, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    println!("{what}: took {:.1} s", start.elapsed().as_secs_f64());
}

/// The hand-written set of `tests/handwritten/<version>/`: programs written
/// from `docs/pyasm.md` alone. Each is clean under `pyasm check` (no error,
/// no warning), builds, and prints exactly its `.out` in the version's real
/// interpreter; they all run in one process of it, as pyodide takes seconds
/// to start.
fn handwritten(version: &str, scratch: &Path) {
    let dir = root().join("tests/handwritten").join(version);
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (every version has a hand-written set)",
                dir.display()
            )
        })
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pyasm"))
        .collect();
    sources.sort();
    assert!(
        sources.len() >= 7,
        "{version}: expected the seven hand-written programs"
    );
    let check = run(pyasm().args(["check", "--format", "json"]).arg(&dir));
    assert!(
        check.trim().is_empty(),
        "{version}: pyasm check reports something:\n{check}"
    );
    let out = scratch.join(format!("handwritten-{version}"));
    std::fs::create_dir_all(&out).unwrap();
    let pycs: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let pyc = out.join(src.file_name().unwrap()).with_extension("pyc");
            run(pyasm().arg("build").arg(src).arg("-o").arg(&pyc));
            pyc
        })
        .collect();
    let args: Vec<&Path> = pycs.iter().map(PathBuf::as_path).collect();
    let printed = run(&mut py_script(version, "run_pycs.py", &args));
    let results: Vec<(String, Option<String>)> = serde_json::from_str(printed.trim())
        .unwrap_or_else(|e| panic!("{version}: run_pycs.py printed no results ({e}):\n{printed}"));
    assert_eq!(
        results.len(),
        sources.len(),
        "{version}: one result per program"
    );
    for (src, (stdout, error)) in sources.iter().zip(results) {
        let name = src.file_name().unwrap().to_string_lossy();
        assert_eq!(error, None, "{version} {name}: raised");
        let expected = std::fs::read_to_string(src.with_extension("out"))
            .unwrap_or_else(|e| panic!("{version} {name}: no .out beside it: {e}"));
        assert_eq!(stdout, expected, "{version} {name}: wrong output");
    }
    println!("handwritten::{version}: {} programs", sources.len());
}

/// Which interpreter of a version compiles and compares a corpus.
#[derive(Clone, Copy)]
struct Interp {
    version: &'static str,
    /// The pinned pyodide build, also where the version runs natively.
    pyodide: bool,
}

impl Interp {
    /// `3.12`, or `3.12::pyodide` for the pyodide build of a version that
    /// runs natively.
    fn trial(self) -> String {
        if self.pyodide && native(self.version).is_some() {
            format!("{}::pyodide", self.version)
        } else {
            self.version.to_string()
        }
    }

    /// For messages and file names: `3.12` or `3.12-pyodide`.
    fn label(self) -> String {
        self.trial().replace("::", "-")
    }

    /// Runs one of the scripts in `tests/py` in this interpreter.
    fn script(self, name: &str, args: &[&Path]) -> std::process::Command {
        if self.pyodide {
            pyodide(self.version, &root().join("tests/py").join(name), args)
        } else {
            py_script(self.version, name, args)
        }
    }
}

/// One corpus of one version: compiled by the interpreter, then
/// disassembled.
struct Corpus {
    name: &'static str,
    orig: PathBuf,
    text: PathBuf,
    /// What `compile_tree.py` printed ("compiled N, refused K").
    compiled: String,
    /// Files the corpus must have at least, so that a compile that quietly
    /// found nothing cannot pass.
    at_least: usize,
}

/// Compiles and disassembles `version`'s corpora under `scratch`: the 3.11
/// standard library sources, and for 3.12 and later the version's own
/// standard library first.
fn make_corpora(it: Interp, scratch: &Path) -> Vec<Corpus> {
    let version = it.label();
    let start = Instant::now();
    let mut list = vec![("cpython311", stdlib_311(), 1500)];
    if version != "3.11" {
        list.insert(0, ("own", "STDLIB".to_string(), 400));
    }
    let out = list
        .into_iter()
        .map(|(name, src, at_least)| {
            let orig = scratch.join(format!("{version}-{name}-orig"));
            let text = scratch.join(format!("{version}-{name}-text"));
            let compiled = run(&mut it.script(
                "compile_tree.py",
                &[
                    Path::new(&src),
                    &orig,
                    Path::new("--exclude"),
                    Path::new("site-packages"),
                ],
            ));
            run(pyasm().arg("dis").arg(&orig).arg("-o").arg(&text));
            Corpus {
                name,
                orig,
                text,
                compiled: compiled.lines().last().unwrap_or("").trim().to_string(),
                at_least,
            }
        })
        .collect();
    println!(
        "corpora of {version}: compiled and disassembled in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    out
}

/// `marshal::V`: `v`'s own standard library, compiled by its interpreter,
/// read and written back by pyasm's marshal alone. The bytes cannot be
/// compared: CPython marks objects for back-references by their reference
/// counts, which a tree of values does not keep, and pyasm writes none. So
/// the interpreter compares what it loads from both files, field by field
/// and by `marshal.dumps` without references (`compare_pyc.py`).
fn marshal_round_trip(v: Version, scratch: &Path) {
    let name = v.as_str();
    let exe = table_native(name)
        .unwrap_or_else(|| panic!("tests/table-interpreters.txt names no interpreter of {name}"));
    let script = |file: &str, args: &[&Path]| {
        let mut c = std::process::Command::new(&exe);
        c.arg(root().join("tests/py").join(file)).args(args);
        c
    };
    let orig = scratch.join(format!("{name}-marshal-orig"));
    let new = scratch.join(format!("{name}-marshal-new"));
    let compiled = run(&mut script(
        "compile_tree.py",
        &[
            Path::new("STDLIB"),
            &orig,
            Path::new("--exclude"),
            Path::new("site-packages"),
        ],
    ));
    timed(&format!("line_tables::{name}"), || {
        line_tables::check(v, &exe, &orig, scratch)
    });
    // Every field of the model where the interpreter has it: a round
    // trip alone would not notice two fields exchanged on both ways.
    let fields = run(&mut script("dump_code_fields.py", &[&orig]));
    let mut fields = fields.lines();
    let (mut written, mut same_bytes) = (0, 0);
    for entry in walkdir::WalkDir::new(&orig).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let data = std::fs::read(path).unwrap();
        let (header, code) = pyasm::pyc::read_pyc_any(&data)
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", path.display()));
        assert_eq!(header.version, v, "{}", path.display());
        let rel = path.strip_prefix(&orig).unwrap();
        let theirs: serde_json::Value =
            serde_json::from_str(fields.next().unwrap_or("{}")).unwrap();
        let ours = serde_json::json!({
            "path": rel.to_str().unwrap(),
            "codes": code_fields(v, &code),
        });
        assert!(
            ours == theirs,
            "{name}: {}: pyasm reads\n{ours}\nthe interpreter\n{theirs}",
            rel.display()
        );
        let again = pyasm::pyc::write_pyc(&header, &code);
        same_bytes += usize::from(again == data);
        // What pyasm wrote reads back as what it read.
        assert_eq!(
            pyasm::pyc::read_pyc_any(&again).as_ref().ok(),
            Some(&(header, code)),
            "{name}: {}",
            path.display()
        );
        let target = new.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, again).unwrap();
        written += 1;
    }
    let out = script("compare_pyc.py", &[&orig, &new]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let (n, m) = identical(&report);
    println!(
        "{name} marshal round trip: identical {n}/{m} (the interpreter {}; \
         byte for byte {same_bytes})",
        compiled.trim()
    );
    assert_eq!(m, written, "{name}: compare_pyc.py saw other files");
    assert!(
        n == m && m >= 1000,
        "{name}: identical {n}/{m}, expected at least 1000 files\n{}",
        report.lines().take(10).collect::<Vec<_>>().join("\n")
    );
}

/// What `dump_code_fields.py` prints for `code` and the code objects in
/// its constants, from pyasm's model of a 3.6-3.10 code object.
fn code_fields(v: Version, code: &pyasm::code::Code) -> Vec<serde_json::Value> {
    let text = |s: &pyasm::code::PyStr| s.as_str().expect("UTF-8").to_string();
    let texts = |l: &[pyasm::code::PyStr]| l.iter().map(text).collect::<Vec<_>>();
    let split = code
        .split_vars
        .as_deref()
        .expect("a 3.6-3.10 code object has split_vars");
    assert!(
        code.localsplusnames.is_empty() && code.localspluskinds.is_empty(),
        "{v}: localsplus fields set"
    );
    assert!(
        code.qualname.0.is_empty() && code.exceptiontable.is_empty(),
        "{v}: 3.11's fields set"
    );
    let hex: String = code.linetable.iter().map(|b| format!("{b:02x}")).collect();
    let mut out = vec![serde_json::json!([
        code.argcount,
        code.posonlyargcount,
        code.kwonlyargcount,
        split.nlocals,
        code.stacksize,
        code.flags,
        code.firstlineno,
        text(&code.name),
        text(&code.filename),
        texts(&code.names),
        texts(&split.varnames),
        texts(&split.cellvars),
        texts(&split.freevars),
        hex,
    ])];
    for c in &code.consts {
        if let pyasm::code::Obj::Code(inner) = c {
            out.extend(code_fields(v, inner));
        }
    }
    out
}

fn round_trip(it: Interp, corpora: &[Corpus]) {
    let version = it.label();
    let mut failures = Vec::new();
    let sample = corpora[0]
        .orig
        .with_file_name(format!("{version}-schema-sample"));
    std::fs::create_dir_all(&sample).unwrap();
    for c in corpora {
        let rebuilt = c
            .text
            .with_file_name(format!("{version}-{}-rebuilt", c.name));
        run(pyasm().arg("build").arg(&c.text).arg("-o").arg(&rebuilt));
        let out = it
            .script("compare_pyc.py", &[&c.orig, &rebuilt])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let (n, m) = identical(&report);
        println!("{version} {}: {} -> identical {n}/{m}", c.name, c.compiled);
        if n != m || m < c.at_least {
            let head: String = report.lines().take(10).collect::<Vec<_>>().join("\n");
            failures.push(format!("{version} {}: identical {n}/{m}\n{head}", c.name));
        }
        // The text names its version.
        let any = walkdir::WalkDir::new(&c.text)
            .into_iter()
            .filter_map(|e| e.ok())
            .find(|e| e.file_type().is_file())
            .expect("some .pyasm output");
        let first = std::fs::read_to_string(any.path()).unwrap();
        assert!(
            first.starts_with(&format!(".python {}\n", it.version)),
            "{first:.40}"
        );
        failures.extend(through_json(it, c, &sample));
    }
    let (report, (v, all)) = schema_valid(&sample);
    println!("{version}: schema, every {SAMPLE_EVERY}th JSON document: valid {v}/{all}");
    if v != all || all == 0 {
        failures.push(format!("{version}: schema\n{report:.2000}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every how many JSON documents of a corpus one is checked against the
/// schema: all of them would take the validator minutes.
const SAMPLE_EVERY: usize = 100;

/// The corpus through JSON, as [`round_trip`] sends it through text:
/// `pyasm dis --format json` and `pyasm build` of the documents must give
/// back the compiled files identically; JSON -> text -> JSON is stable (the
/// documents printed as text are the text the `.pyc` disassembles to, and
/// that text printed as JSON is the same documents again). A sample of the
/// documents is copied to `sample` for the schema. The failures, if any.
fn through_json(it: Interp, c: &Corpus, sample: &Path) -> Vec<String> {
    let version = it.label();
    let start = Instant::now();
    let at = |what: &str| {
        c.text
            .with_file_name(format!("{version}-{}-{what}", c.name))
    };
    let (json, rebuilt, text, again) = (
        at("json"),
        at("json-rebuilt"),
        at("json-text"),
        at("json-again"),
    );
    run(pyasm()
        .args(["dis", "--format", "json"])
        .arg(&c.orig)
        .arg("-o")
        .arg(&json));
    run(pyasm()
        .args(["build", "--format", "json"])
        .arg(&json)
        .arg("-o")
        .arg(&rebuilt));
    let out = it
        .script("compare_pyc.py", &[&c.orig, &rebuilt])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let (n, m) = identical(&report);
    println!("{version} {}: through JSON: identical {n}/{m}", c.name);
    let mut failures = Vec::new();
    if n != m || m < c.at_least {
        let head: String = report.lines().take(10).collect::<Vec<_>>().join("\n");
        failures.push(format!(
            "{version} {} through JSON: identical {n}/{m}\n{head}",
            c.name
        ));
    }
    run(pyasm()
        .args(["dis", "--from", "json"])
        .arg(&json)
        .arg("-o")
        .arg(&text));
    run(pyasm()
        .args(["dis", "--from", "pyasm", "--format", "json"])
        .arg(&text)
        .arg("-o")
        .arg(&again));
    let docs = files(&json, "json");
    let mut differ = Vec::new();
    for (k, doc) in docs.iter().enumerate() {
        let rel = doc.strip_prefix(&json).unwrap();
        let bytes = std::fs::read(doc).unwrap();
        let printed = std::fs::read(text.join(rel).with_extension("pyasm")).ok();
        let disassembled = std::fs::read(c.text.join(rel).with_extension("pyasm")).ok();
        if printed.is_none() || printed != disassembled {
            differ.push(format!(
                "{}: JSON -> text is not the disassembly",
                rel.display()
            ));
        } else if std::fs::read(again.join(rel)).ok().as_ref() != Some(&bytes) {
            differ.push(format!(
                "{}: JSON -> text -> JSON changed it",
                rel.display()
            ));
        }
        if k % SAMPLE_EVERY == 0 {
            let name = format!("{}-{}-{k}.json", version, c.name);
            std::fs::write(sample.join(name), &bytes).unwrap();
        }
    }
    // Four more trees per corpus: gone before the next, so that every
    // version's corpora fit on the disk at once.
    for tree in [&json, &rebuilt, &text, &again] {
        let _ = std::fs::remove_dir_all(tree);
    }
    let stable = docs.len() - differ.len();
    println!(
        "{version} {}: JSON -> text -> JSON stable {stable}/{} (through JSON in {:.1} s)",
        c.name,
        docs.len(),
        start.elapsed().as_secs_f64()
    );
    if !differ.is_empty() || docs.len() != m {
        failures.push(format!(
            "{version} {}: JSON -> text -> JSON stable {stable}/{} of {m} files\n{}",
            c.name,
            docs.len(),
            differ[..differ.len().min(10)].join("\n")
        ));
    }
    failures
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

fn counts(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

fn verifier(it: Interp, corpora: &[Corpus]) {
    let version = it.label();
    for c in corpora {
        // No false errors.
        let out = pyasm()
            .args(["check", "--format", "json"])
            .arg(&c.text)
            .output()
            .unwrap();
        let json = String::from_utf8_lossy(&out.stdout);
        let errors: Vec<&str> = json
            .lines()
            .filter(|l| l.contains("\"severity\":\"error\""))
            .collect();
        let warnings = json.lines().count() - errors.len();
        println!(
            "{version} {}: check: {} errors, {warnings} warnings",
            c.name,
            errors.len()
        );
        assert!(
            errors.is_empty(),
            "false errors:\n{}",
            errors[..errors.len().min(10)].join("\n")
        );
        assert_eq!(out.status.code(), Some(0));

        // Stack sizes and handler depths, recomputed. --no-verify: a wrong
        // recomputed depth would make the verifier refuse the file, and
        // every file must be counted.
        let recomputed = c
            .text
            .with_file_name(format!("{version}-{}-recomputed", c.name));
        run(pyasm()
            .args(["build", "--recompute-stack", "--no-verify"])
            .arg(&c.text)
            .arg("-o")
            .arg(&recomputed));
        let report = run(&mut it.script("compare_stack.py", &[&c.orig, &recomputed]));
        let lines: Vec<&str> = report.lines().collect();
        let stack = lines
            .iter()
            .find(|l| l.starts_with("stacksize:"))
            .expect("stacksize line");
        let depths = lines
            .iter()
            .find(|l| l.starts_with("handler depths:"))
            .expect("depths line");
        println!("{version} {}: {stack}; {depths}", c.name);
        let s = counts(stack); // equal, larger, smaller, total
        let h = counts(depths); // equal, total
        let table = Version::parse(it.version)
            .expect("a supported version")
            .table();
        if table.stacksize_before_peephole {
            // CPython sized the code before its peephole optimizer folded
            // constant tuples: the final code may need less, never more.
            assert_eq!(
                s[1], 0,
                "computed stack size larger than CPython's: {stack}"
            );
        } else {
            assert_eq!(s[0], s[3], "{stack}");
            // A stack size below CPython's would let the frame overflow.
            assert_eq!(
                s[2], 0,
                "computed stack size smaller than CPython's: {stack}"
            );
        }
        // Every handler depth equals CPython's.
        assert_eq!(h[0], h[1], "{depths}");
    }

    // Injected defects, in the 3.11 sources as this version compiled them.
    let base = corpora
        .iter()
        .find(|c| c.name == "cpython311")
        .expect("the cpython311 corpus");
    let mutants = base.orig.with_file_name(format!("{version}-defects"));
    let text = base.orig.with_file_name(format!("{version}-defects-text"));
    let made = run(&mut it.script(
        "inject_defects.py",
        &[&base.orig, &mutants, Path::new("60")],
    ));
    run(pyasm().arg("dis").arg(&mutants).arg("-o").arg(&text));
    let out = pyasm()
        .args(["check", "--format", "json"])
        .arg(&text)
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    let manifest = std::fs::read_to_string(mutants.join("manifest.tsv")).unwrap();
    let mut found: HashMap<&str, (u32, u32)> = HashMap::new();
    for line in manifest.lines() {
        let mut p = line.split('\t');
        let (file, kind) = (p.next().unwrap(), p.next().unwrap());
        let path = text.join(file.replace(".pyc", ".pyasm"));
        let needle = format!(
            "\"path\":{}",
            serde_json::to_string(&path.display().to_string()).unwrap()
        );
        let code = format!("\"code\":\"{kind}\"");
        let hit = json
            .lines()
            .any(|l| l.contains(&needle) && l.contains(&code));
        let e = found.entry(kind).or_default();
        e.1 += 1;
        e.0 += hit as u32;
    }
    let mut kinds: Vec<_> = found.into_iter().collect();
    kinds.sort();
    for (kind, (hit, total)) in &kinds {
        println!("{version} injected {kind}: found {hit}/{total}");
    }
    assert_eq!(kinds.len(), 3, "{made}");
    for (kind, (hit, total)) in kinds {
        assert!(
            total > 0 && hit == total,
            "{version} {kind}: found {hit}/{total}"
        );
    }
}

/// Modules with loops, generators, `with`, `try`, comprehensions, closures
/// and classes, present in every version's standard library.
const MODULES: &[&str] = &[
    "argparse",
    "ast",
    "base64",
    "bisect",
    "calendar",
    "colorsys",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "difflib",
    "email.message",
    "email.utils",
    "enum",
    "fnmatch",
    "fractions",
    "functools",
    "gettext",
    "graphlib",
    "heapq",
    "html.parser",
    "inspect",
    "ipaddress",
    "json.decoder",
    "json.encoder",
    "linecache",
    "pprint",
    "queue",
    "shlex",
    "statistics",
    "string",
    "textwrap",
    "tokenize",
    "tomllib._parser",
    "traceback",
    "typing",
    "urllib.parse",
    "weakref",
    "asyncio.locks",
    "asyncio.queues",
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn mutants(version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let orig = tmp.path().join("orig");
    let text = tmp.path().join("text");
    let mut args: Vec<&Path> = vec![Path::new("compile"), &orig];
    args.extend(MODULES.iter().map(Path::new));
    let made = run(&mut py_script(version, "mutants.py", &args));
    println!("{version}: {}", made.trim());
    run(pyasm().arg("dis").arg(&orig).arg("-o").arg(&text));

    let corpus = gen::index(&[text]);
    // The modules the version has are in the corpus, but for two at most
    // that it cannot compile (or whose source a build leaves out).
    let absent: usize = made
        .trim()
        .rsplit_once("absent ")
        .and_then(|(_, n)| n.parse().ok())
        .expect("the count of absent modules");
    assert!(
        corpus.len() + absent + 2 >= MODULES.len(),
        "corpus: {}, absent {absent}",
        corpus.len()
    );
    let cfg = drive::Config {
        version: version.to_string(),
        pyasm: pyasm_checked_path(),
        repo: root(),
        work: tmp.path().join("work"),
        keep: tmp.path().join("crashes"),
        count: env_num("PYASM_MUTANTS_COUNT", 300) as usize,
        seed: env_num("PYASM_MUTANTS_SEED", 7),
        batch: 1000,
        timeout: 2.0,
        native: native(version),
        progress: false,
        unmutated: false,
    };
    let t = drive::run(&cfg, &corpus);
    print!("{}", drive::report(version, &t));
    println!(
        "{version}: most frequent exceptions: {}",
        drive::top_exceptions(&t, 6)
    );
    // The harness itself: mutants were made, some accepted and all of those
    // run, some of them to completion.
    assert_eq!(t.generated, cfg.count);
    assert!(t.accepted > 0 && t.accepted < t.generated);
    assert_eq!(t.missing, 0, "the runner gave no result for some mutants");
    assert_eq!(t.ran, t.accepted);
    assert!(t.ok > 0, "no mutant ran to completion");
    // The point: nothing the verifier accepts crashes the interpreter.
    let saved = |f: &[drive::Found]| {
        f.iter()
            .map(|c| std::fs::read_to_string(&c.saved).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        t.crashes.is_empty() && t.unconfirmed.is_empty(),
        "accepted mutants crashed {version}:\n{}\n{}",
        drive::report(version, &t),
        saved(&t.crashes)
    );
    // Nor does one whose mutation promises the unmutated behaviour (an
    // immediate moved within its meaning, a `TO_BOOL` after a bool, nested
    // `.except` lines in another order) behave otherwise.
    // (Only where code objects have an exception table: 3.11 on.)
    let has_except_lines = Version::parse(version).is_some_and(|v| v.table().localsplus);
    assert!(
        t.reordered > 0 || !has_except_lines,
        "no except-order mutant was made"
    );
    assert!(
        t.misruns.is_empty(),
        "accepted mutants misran in {version}:
{}
{}",
        drive::report(version, &t),
        saved(&t.misruns)
    );
}

/// What the audit hook of `tests/py/mutants.py` lets a mutant change
/// outside its scratch folder, natively: nothing. Module bodies run as
/// mutants are (compiled by the interpreter itself) try what one mutant of
/// the 100,000-mutant runs did, which made /dev/null root-only and broke
/// every process after it, and the ways around the path check (a
/// descriptor opened for reading, a path relative to a directory's
/// descriptor); one changes a file in the scratch folder, which must work.
/// The bodies that touch /dev/null ask for the mode and owner it has, so
/// the test harms nothing if the hook lets them through.
fn containment(version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let target = outside.join("target");
    std::fs::write(&target, "x").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mode = || std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    let t = target.display().to_string();
    let o = outside.display().to_string();
    let steps: Vec<(&str, String, &str)> = vec![
        (
            "cont_devnull_mode",
            "import os\nos.chmod(os.devnull, 0o666)\n".into(),
            "exception",
        ),
        (
            "cont_devnull_owner",
            "import os\nos.chown(os.devnull, 0, 0)\n".into(),
            "exception",
        ),
        (
            "cont_descriptor",
            format!("import os\nfd = os.open({t:?}, os.O_RDONLY)\nos.chmod(fd, 0o600)\n"),
            "exception",
        ),
        (
            "cont_dir_fd",
            format!("import os\nd = os.open({o:?}, os.O_RDONLY)\nos.chmod('target', 0o600, dir_fd=d)\n"),
            "exception",
        ),
        (
            "cont_open_dir_fd",
            format!("import os\nd = os.open({o:?}, os.O_RDONLY)\nos.open('made', os.O_WRONLY | os.O_CREAT, dir_fd=d)\n"),
            "exception",
        ),
        (
            "cont_scratch",
            "import os\np = os.path.join(os.environ['TMPDIR'], 'f')\nopen(p, 'w').close()\nos.chmod(p, 0o600)\nos.remove(p)\n".into(),
            "ok",
        ),
    ];
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&src).unwrap();
    for (name, body, _) in &steps {
        std::fs::write(src.join(format!("{name}.py")), body).unwrap();
    }
    run(&mut py_script(version, "compile_tree.py", &[&src, &out]));
    let list = tmp.path().join("list.tsv");
    let results = tmp.path().join("results.tsv");
    let text: String = steps
        .iter()
        .enumerate()
        .map(|(k, (name, _, _))| {
            format!(
                "{k}\t{}\t{name}\n",
                out.join(format!("{name}.pyc")).display()
            )
        })
        .collect();
    std::fs::write(&list, text).unwrap();
    let exe = native(version).expect("a native interpreter");
    run(std::process::Command::new(exe)
        .args(["-I", "-S"])
        .arg(root().join("tests/py/mutants.py"))
        .arg("run")
        .arg(&list)
        .arg(&results)
        .args(["--timeout", "5"]));
    let got = std::fs::read_to_string(&results).unwrap();
    let wrong: Vec<String> = steps
        .iter()
        .enumerate()
        .filter_map(|(k, (name, _, want))| {
            let line = got
                .lines()
                .find(|l| l.split('\t').next() == Some(&k.to_string()))
                .unwrap_or("no result");
            let outcome = line.split('\t').nth(1).unwrap_or("no result");
            (outcome != *want).then(|| format!("{name}: {line} (wanted {want})"))
        })
        .collect();
    assert!(wrong.is_empty(), "{version}:\n{}", wrong.join("\n"));
    assert_eq!(
        mode(),
        0o644,
        "{version}: a mutant changed a file outside its folder"
    );
    assert!(
        !outside.join("made").exists(),
        "{version}: a mutant made a file outside its folder"
    );
    println!(
        "{version}: containment: {} of {} as wanted",
        steps.len(),
        steps.len()
    );
}

/// The pyodide worker's isolation between mutants, on the ways unmutated
/// code took a long-lived worker down in earlier runs (no pyasm here: the
/// interpreter compiles these module bodies itself, and the runner runs
/// them one after another in one worker, in this order). Each expected
/// outcome differs without the isolation it checks.
fn isolation(version: &str) {
    const STEPS: &[(&str, &str, &str)] = &[
        // Closes fds 0 and 1 (as a function given 0 and 1 for file names
        // does); the next body finds them open again.
        (
            "iso_a",
            "open(0, 'rb').close()\nopen(1, 'rb').close()\n",
            "ok",
        ),
        ("iso_b", "import os\nos.fstat(0)\nos.fstat(1)\n", "ok"),
        // Leaves open a copy of a pipe whose two ends it closed; writing
        // through it later must find it closed (pyodide 0.27 traps).
        (
            "iso_c",
            "import os\nr, w = os.pipe()\nos.iso_fd = os.dup(w)\nos.close(r)\nos.close(w)\n",
            "ok",
        ),
        (
            "iso_d",
            "import os\nos.write(os.iso_fd, b'x')\n",
            "exception",
        ),
        // Cyclic garbage holding an operator.methodcaller, collected by the
        // next body (3.13 and 3.14 trap clearing the C one).
        (
            "iso_e",
            "import operator\nclass C:\n    m = operator.methodcaller('x')\n",
            "ok",
        ),
        ("iso_f", "import gc\ngc.collect()\n", "ok"),
        // A host timer whose callback raises, due when the body has ended.
        (
            "iso_g",
            "from js import setTimeout\nsetTimeout(lambda: 1 / 0, 0)\n",
            "ok",
        ),
        ("iso_h", "import time\ntime.sleep(0.05)\n", "ok"),
        ("iso_i", "x = 1\n", "ok"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&src).unwrap();
    for (name, body, _) in STEPS {
        std::fs::write(src.join(format!("{name}.py")), body).unwrap();
    }
    run(&mut py_script(version, "compile_tree.py", &[&src, &out]));
    let list = tmp.path().join("list.tsv");
    let results = tmp.path().join("results.tsv");
    let text: String = STEPS
        .iter()
        .map(|(name, _, _)| {
            format!(
                "{name}\t{}\t{name}\n",
                out.join(format!("{name}.pyc")).display()
            )
        })
        .collect();
    std::fs::write(&list, text).unwrap();
    run(std::process::Command::new("node")
        .arg(root().join("tests/pyodide/mutants.mjs"))
        .arg(version)
        .arg(&list)
        .arg(&results)
        .args(["--in-order", "--restart-every", "1000"]));
    let got = std::fs::read_to_string(&results).unwrap();
    let outcome = |name: &str| {
        got.lines()
            .find_map(|l| {
                let mut p = l.splitn(3, '\t');
                (p.next() == Some(name)).then(|| p.next().unwrap_or("").to_string())
            })
            .unwrap_or_else(|| "no result".into())
    };
    let wrong: Vec<String> = STEPS
        .iter()
        .filter(|(name, _, want)| outcome(name) != *want)
        .map(|(name, _, want)| format!("{name}: {} (expected {want})", outcome(name)))
        .collect();
    assert!(wrong.is_empty(), "{version}:\n{}\n{got}", wrong.join("\n"));
}
